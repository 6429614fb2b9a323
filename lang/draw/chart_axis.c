/*
 * This file computes chart axes: nice ticks in 1-2-5 steps (with a shared
 * scale such as "1e6" for very large or small numbers, as matplotlib's
 * ScalarFormatter shows), calendar ticks for date axes that step by
 * minutes, hours, days, weeks, months or years and label at the matching
 * precision, and the ISO-8601 parsing that turns SQLite's date text into
 * epoch seconds.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "draw/chart_axis.h"

/* axis_nice_step: see chart_axis.h. */
double axis_nice_step(double range, int target)
{
    if (!(range > 0) || !isfinite(range))
        return 1;
    if (target < 1)
        target = 1;
    double raw = range / target;
    double mag = pow(10, floor(log10(raw)));
    static const double steps[] = {1, 2, 5, 10};
    for (size_t i = 0; i < 4; i++)
        if (steps[i] * mag >= raw * (1 - 1e-9))
            return steps[i] * mag;
    return 10 * mag;
}

/* axis_format_number: see chart_axis.h. */
void axis_format_number(double v, char *buf, size_t size)
{
    if (v == 0)
        v = 0;                          /* no "-0" */
    if (fabs(v) < 1e15 && v == floor(v))
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.6g", v);
}

/* axis_nice_ticks: see chart_axis.h. Labels share one number of decimals,
 * taken from the step, so 0.0 0.5 1.0 line up as matplotlib's do. */
void axis_nice_ticks(double lo, double hi, int target, axis_ticks_t *out)
{
    memset(out, 0, sizeof *out);
    if (!(hi > lo)) {
        double pad = lo == 0 ? 1 : fabs(lo) * 0.05;
        lo -= pad;
        hi += pad;
    }
    double step = axis_nice_step(hi - lo, target);
    double first = ceil(lo / step - 1e-9) * step;
    double maxabs = fmax(fabs(lo), fabs(hi));
    int exp3 = 0;
    if (maxabs >= 1e6 || (maxabs > 0 && maxabs < 1e-3))
        exp3 = (int)floor(log10(maxabs));
    double scale = pow(10, -exp3);
    if (exp3)
        snprintf(out->offset, sizeof out->offset, "1e%d", exp3);
    double sstep = step * scale;
    int decimals = sstep >= 1 ? 0 : (int)ceil(-log10(sstep) - 1e-9);
    if (decimals > 10)
        decimals = 10;
    for (double v = first; v <= hi + step * 1e-9 && out->n < AXIS_MAX_TICKS;
         v += step) {
        double t = fabs(v) < step * 1e-9 ? 0 : v;
        out->at[out->n] = t;
        snprintf(out->label[out->n], sizeof out->label[0], "%.*f", decimals,
                 t * scale == 0 ? 0.0 : t * scale);
        out->n++;
    }
}

/* axis_group_thousands: see chart_axis.h. */
void axis_group_thousands(char *buf, size_t size)
{
    char *p = buf;
    if (*p == '-')
        p++;
    size_t digits = 0;
    while (p[digits] >= '0' && p[digits] <= '9')
        digits++;
    if (digits <= 3)
        return;
    size_t commas = (digits - 1) / 3, len = strlen(buf);
    if (len + commas + 1 > size)
        return;
    char tmp[64];
    if (len >= sizeof tmp)
        return;
    memcpy(tmp, buf, len + 1);
    size_t lead = (size_t)(p - buf), o = lead;
    for (size_t i = 0; i < digits; i++) {
        if (i > 0 && (digits - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[lead + i];
    }
    memcpy(buf + o, tmp + lead + digits, len - lead - digits + 1);
}

/* matplotlib's _Edge_integer: how many steps fit below (le) or above (ge)
 * x, forgiving rounding near an edge. */
static double edge_le(double x, double step, double tol)
{
    double d = floor(x / step), m = x - d * step;
    return fabs(m / step - 1) < tol ? d + 1 : d;
}

static double edge_ge(double x, double step, double tol)
{
    double d = floor(x / step), m = x - d * step;
    return fabs(m / step) < tol ? d : d + 1;
}

/* axis_auto_ticks: see chart_axis.h. */
void axis_auto_ticks(double lo, double hi, int nbins, axis_ticks_t *out)
{
    memset(out, 0, sizeof *out);
    if (!(hi > lo)) {
        double pad = lo == 0 ? 1 : fabs(lo) * 0.05;
        lo -= pad;
        hi += pad;
    }
    if (nbins < 1)
        nbins = 1;
    if (nbins > 9)
        nbins = 9;
    /* scale_range: the offset when the mean dwarfs the range */
    double dv = hi - lo, meanv = (hi + lo) / 2, offset = 0;
    if (fabs(meanv) / dv >= 100)
        offset = copysign(pow(10, floor(log10(fabs(meanv)))), meanv);
    double scale = pow(10, floor(log10(dv / nbins)));
    double vmin = lo - offset, vmax = hi - offset;
    static const double base[] = {0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20};
    double raw = (vmax - vmin) / nbins;
    size_t istep = 0;
    while (istep + 1 < sizeof base / sizeof *base &&
           base[istep] * scale < raw)
        istep++;
    double tol = 1e-10;
    if (offset > 0) {
        double digits = log10(offset / (base[istep] * scale));
        tol = fmin(0.4999, fmax(1e-10, pow(10, digits - 12)));
    }
    double step = base[istep] * scale, first = 0, last = -1;
    for (size_t k = istep + 1; k-- > 0;) {
        step = base[k] * scale;
        double best = floor(vmin / step) * step;
        double low = edge_le(vmin - best, step, tol);
        double high = edge_ge(vmax - best, step, tol);
        first = low * step + best;
        last = high * step + best;
        int shown = 0;
        for (double i = low; i <= high; i++) {
            double t = i * step + best;
            shown += t >= vmin && t <= vmax;
        }
        if (shown >= 2)
            break;
    }
    double maxabs = fmax(fabs(lo), fabs(hi));
    int exp10 = 0;
    if (maxabs >= 1e6 || (maxabs > 0 && maxabs < 1e-3))
        exp10 = (int)floor(log10(maxabs));
    double shown_scale = pow(10, -exp10);
    if (exp10)
        snprintf(out->offset, sizeof out->offset, "1e%d", exp10);
    double sstep = step * shown_scale;
    int decimals = 0;
    while (decimals < 10 &&
           fabs(sstep * pow(10, decimals) -
                round(sstep * pow(10, decimals))) > 1e-6 *
               fmax(1, sstep * pow(10, decimals)))
        decimals++;
    double slack = step * 1e-9;
    for (double i = 0; first + i * step <= last + slack &&
                       out->n < AXIS_MAX_TICKS; i++) {
        double t = first + i * step + offset;
        if (fabs(t) < slack)
            t = 0;
        if (t < lo - slack || t > hi + slack)
            continue;
        double v = t * shown_scale;
        out->at[out->n] = t;
        snprintf(out->label[out->n], sizeof out->label[0], "%.*f", decimals,
                 v == 0 ? 0.0 : v);
        axis_group_thousands(out->label[out->n], sizeof out->label[0]);
        out->n++;
    }
}

/* axis_log_ticks: see chart_axis.h. */
void axis_log_ticks(double lo, double hi, int target, axis_ticks_t *out)
{
    memset(out, 0, sizeof *out);
    if (!(lo > 0) || !(hi > lo))
        return;
    int e0 = (int)ceil(log10(lo) - 1e-9), e1 = (int)floor(log10(hi) + 1e-9);
    int every = 1;
    while ((e1 - e0) / every + 1 > (target < 2 ? 2 : target))
        every++;
    for (int e = e0; e <= e1 && out->n < AXIS_MAX_TICKS; e++) {
        if ((e - e0) % every)
            continue;
        out->at[out->n] = pow(10, e);
        if (e >= 0)
            snprintf(out->label[out->n], sizeof out->label[0], "%.0f",
                     pow(10, e));
        else
            snprintf(out->label[out->n], sizeof out->label[0], "%.*f", -e,
                     pow(10, e));
        axis_group_thousands(out->label[out->n], sizeof out->label[0]);
        out->n++;
    }
}

/* ---- dates */

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

/* axis_parse_date: see chart_axis.h. */
bool axis_parse_date(const char *s, double *out)
{
    const char *p = s;
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return false;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12)
        return false;
    int d = 1, h = 0, mi = 0, sec = 0;
    double frac = 0;
    if (*p == '-') {
        p++;
        d = digits(&p, 2);
        if (d < 1 || d > 31)
            return false;
        if (*p == ' ' || *p == 'T') {
            p++;
            h = digits(&p, 2);
            if (h < 0 || h > 24 || *p++ != ':')
                return false;
            mi = digits(&p, 2);
            if (mi < 0 || mi > 59)
                return false;
            if (*p == ':') {
                p++;
                sec = digits(&p, 2);
                if (sec < 0 || sec > 60)
                    return false;
                if (*p == '.') {
                    double scale = 0.1;
                    for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
                        frac += (*p - '0') * scale;
                }
            }
            if (*p == 'Z') {
                p++;
            } else if (*p == '+' || *p == '-') {
                int sign = *p++ == '+' ? 1 : -1;
                int oh = digits(&p, 2), om = 0;
                if (oh < 0)
                    return false;
                if (*p == ':')
                    p++;
                if (isdigit((unsigned char)*p))
                    om = digits(&p, 2);
                if (om < 0)
                    return false;
                frac -= sign * (oh * 3600 + om * 60);
            }
        }
    }
    if (*p)
        return false;
    *out = (double)utc(y, mo, d, h, mi, sec) + frac;
    return true;
}

typedef enum unit { U_SECOND, U_MINUTE, U_HOUR, U_DAY, U_MONTH, U_YEAR } unit_t;

static const struct {
    unit_t unit;
    int n;
    double approx;   /* seconds */
} DATE_STEPS[] = {
    {U_SECOND, 1, 1}, {U_SECOND, 5, 5}, {U_SECOND, 15, 15},
    {U_SECOND, 30, 30}, {U_MINUTE, 1, 60}, {U_MINUTE, 5, 300}, {U_MINUTE, 15, 900},
    {U_MINUTE, 30, 1800}, {U_HOUR, 1, 3600}, {U_HOUR, 3, 10800},
    {U_HOUR, 6, 21600}, {U_HOUR, 12, 43200}, {U_DAY, 1, 86400},
    {U_DAY, 2, 172800}, {U_DAY, 7, 604800}, {U_DAY, 14, 1209600},
    {U_MONTH, 1, 2629746}, {U_MONTH, 2, 5259492}, {U_MONTH, 3, 7889238},
    {U_MONTH, 6, 15778476}, {U_YEAR, 1, 31556952}, {U_YEAR, 2, 63113904},
    {U_YEAR, 5, 157784760}, {U_YEAR, 10, 315569520},
    {U_YEAR, 20, 631139040}, {U_YEAR, 50, 1577847600},
    {U_YEAR, 100, 3155695200},
};

/* axis_date_ticks: see chart_axis.h. Days step from the Unix epoch (weeks
 * start on Mondays), months from January, years at multiples of the
 * step; labels are %Y, month names ("Jan 2025", "Mar"), %Y-%m-%d, %m-%d %H:%M, %H:%M or
 * %H:%M:%S. */
void axis_date_ticks(double lo, double hi, int target, axis_ticks_t *out)
{
    memset(out, 0, sizeof *out);
    if (target < 2)
        target = 2;
    size_t k = 0, nsteps = sizeof DATE_STEPS / sizeof DATE_STEPS[0];
    while (k + 1 < nsteps && (hi - lo) / DATE_STEPS[k].approx > target)
        k++;
    unit_t unit = DATE_STEPS[k].unit;
    int n = DATE_STEPS[k].n;
    time_t t0 = (time_t)floor(lo);
    struct tm tm;
    gmtime_r(&t0, &tm);
    const char *fmt = unit == U_YEAR ? "%Y" : unit == U_MONTH ? "%Y-%m"
                    : unit == U_DAY ? "%Y-%m-%d" : "%m-%d %H:%M";
    /* A span inside one day labelled by hours shows the time only. */
    if (unit <= U_HOUR && hi - lo < 86400)
        fmt = "%H:%M";
    if (unit == U_SECOND)
        fmt = "%H:%M:%S";
    if (unit == U_YEAR) {
        int y = tm.tm_year + 1900;
        y = (int)floor((double)y / n) * n;
        for (; out->n < AXIS_MAX_TICKS; y += n) {
            double t = (double)utc(y, 1, 1, 0, 0, 0);
            if (t > hi)
                break;
            if (t >= lo)
                out->at[out->n++] = t;
        }
    } else if (unit == U_MONTH) {
        int y = tm.tm_year + 1900, m = tm.tm_mon;   /* 0-based month */
        m = m / n * n;
        for (; out->n < AXIS_MAX_TICKS; m += n) {
            if (m >= 12) {
                m -= 12;
                y++;
            }
            double t = (double)utc(y, m + 1, 1, 0, 0, 0);
            if (t > hi)
                break;
            if (t >= lo)
                out->at[out->n++] = t;
        }
    } else {
        double step = unit == U_DAY ? 86400.0 * n
                    : unit == U_HOUR ? 3600.0 * n
                    : unit == U_MINUTE ? 60.0 * n : (double)n;
        double origin = unit == U_DAY && n == 7 ? 4 * 86400.0 : 0; /* Mon */
        double t = ceil((lo - origin) / step) * step + origin;
        for (; t <= hi && out->n < AXIS_MAX_TICKS; t += step)
            out->at[out->n++] = t;
    }
    for (size_t i = 0; i < out->n; i++) {
        time_t t = (time_t)out->at[i];
        struct tm x;
        gmtime_r(&t, &x);
        if (unit == U_MONTH)
            fmt = i == 0 || x.tm_mon == 0 ? "%b %Y" : "%b";
        strftime(out->label[i], sizeof out->label[0], fmt, &x);
    }
}
