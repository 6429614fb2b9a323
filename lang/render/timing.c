/*
 * This file formats timings exactly as IPython 8 does
 * (IPython/core/magics/execution.py: _format_time and TimeitResult):
 * a duration takes the unit s, ms, µs or ns chosen from its order of
 * magnitude and three significant digits ("%.3g"); a minute or more is
 * spelled in d/h/min/s parts; the %timeit line gives the mean and the
 * population standard deviation of the per-loop times, the runs and the
 * loops (with thousands separators, as IPython's "{loops:,}").
 */
#include <inttypes.h>
#include <math.h>

#include "render/render_util.h"

/* tq_time_format: see render.h. */
char *tq_time_format(double seconds)
{
    if (seconds >= 60.0) {
        static const struct { const char *suffix; double length; } parts[] = {
            {"d", 86400}, {"h", 3600}, {"min", 60}, {"s", 1},
        };
        tq_buf_t b = {0};
        double leftover = seconds;
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
            int64_t value = (int64_t)(leftover / parts[i].length);
            if (value > 0) {
                leftover = fmod(leftover, parts[i].length);
                tq_buf_printf(&b, "%s%" PRId64 "%s", b.len ? " " : "",
                              value, parts[i].suffix);
            }
            if (leftover < 1)
                break;
        }
        return tq_buf_take(&b);
    }
    static const char *const units[] = {"s", "ms", "\xc2\xb5s", "ns"};
    static const double scaling[] = {1, 1e3, 1e6, 1e9};
    int order = 3;
    if (seconds > 0.0) {
        /* Python: min(-int(floor(log10(t)) // 3), 3), // flooring. */
        double f = floor(log10(seconds));
        order = -(int)floor(f / 3.0);
        if (order > 3)
            order = 3;
        if (order < 0)
            order = 0;
    }
    return tq_xasprintf("%.*g %s", 3, seconds * scaling[order], units[order]);
}

/* An integer with comma thousands separators, as Python's "{:,}". */
static char *thousands(int64_t n)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%" PRId64, n < 0 ? -n : n);
    size_t len = strlen(digits);
    tq_buf_t b = {0};
    if (n < 0)
        tq_buf_addc(&b, '-');
    for (size_t i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            tq_buf_addc(&b, ',');
        tq_buf_addc(&b, digits[i]);
    }
    return tq_buf_take(&b);
}

/* tq_timeit_format: see render.h. The standard deviation is the
 * population one (divided by the number of runs), as IPython computes. */
char *tq_timeit_format(const double *per_loop, size_t runs, int64_t loops)
{
    double mean = 0, var = 0;
    for (size_t i = 0; i < runs; i++)
        mean += per_loop[i];
    if (runs)
        mean /= (double)runs;
    for (size_t i = 0; i < runs; i++)
        var += (per_loop[i] - mean) * (per_loop[i] - mean);
    double stdev = runs ? sqrt(var / (double)runs) : 0;
    char *m = tq_time_format(mean), *s = tq_time_format(stdev);
    char *l = thousands(loops);
    char *out = tq_xasprintf("%s \xc2\xb1 %s per loop (mean \xc2\xb1 std. dev. "
                            "of %zu run%s, %s loop%s each)", m, s, runs,
                            runs == 1 ? "" : "s", l, loops == 1 ? "" : "s");
    free(m);
    free(s);
    free(l);
    return out;
}
