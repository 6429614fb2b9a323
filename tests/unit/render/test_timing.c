/*
 * This file tests IPython's timing format: _format_time's unit choice and
 * three significant digits, minutes and more, and the %timeit line with
 * its singular/plural runs and loops and thousands separators (IPython
 * 8.5's "{loops:,}").
 */
#include <stdlib.h>

#include "render/render.h"
#include "tap.h"

static void check_time(double s, const char *want)
{
    char *got = tq_time_format(s);
    char name[64];
    snprintf(name, sizeof name, "time %g -> %s", s, want);
    is_str(got, want, name);
    free(got);
}

int main(void)
{
    /* Expected strings from IPython 8.5's _format_time. */
    check_time(0.00123, "1.23 ms");
    check_time(0.0456, "45.6 ms");
    check_time(2.01, "2.01 s");
    check_time(45.6e-6, "45.6 \xc2\xb5s");
    check_time(7.523e-9, "7.52 ns");
    check_time(1e-12, "0.001 ns");
    check_time(0, "0 ns");
    check_time(0.5, "500 ms");
    check_time(0.9997, "1e+03 ms");
    check_time(59.5, "59.5 s");
    check_time(61.5, "1min 1s");
    check_time(3725, "1h 2min 5s");
    check_time(90061, "1d 1h 1min 1s");

    double runs[7] = {1.2e-3, 1.25e-3, 1.3e-3, 1.2e-3, 1.24e-3, 1.21e-3,
                      1.22e-3};
    char *s = tq_timeit_format(runs, 7, 1000);
    is_str(s, "1.23 ms \xc2\xb1 33.1 \xc2\xb5s per loop (mean \xc2\xb1 std. dev. of "
              "7 runs, 1,000 loops each)", "timeit: 7 runs, 1,000 loops");
    free(s);
    double one[1] = {2.5};
    s = tq_timeit_format(one, 1, 1);
    is_str(s, "2.5 s \xc2\xb1 0 ns per loop (mean \xc2\xb1 std. dev. of 1 run, "
              "1 loop each)", "timeit: singular run and loop");
    free(s);
    double two[2] = {1e-7, 3e-7};
    s = tq_timeit_format(two, 2, 10000000);
    is_str(s, "200 ns \xc2\xb1 100 ns per loop (mean \xc2\xb1 std. dev. of 2 runs, "
              "10,000,000 loops each)", "timeit: big loop count");
    free(s);
    return done_testing();
}
