/*
 * This file tests the chart axes' arithmetic: 1-2-5 nice steps and tick
 * labels with shared decimals and a "1e6" scale, matplotlib's MaxNLocator
 * (checked against matplotlib's own picks) with thousands separators, log
 * ticks, ISO-8601 parsing (dates,
 * times, fractions, zones, bad text), and calendar ticks at year, month,
 * day, hour and second steps.
 */
#include <stdlib.h>

#include "draw/chart_axis.h"
#include "tap.h"

static char joined[2048];

static const char *labels(const axis_ticks_t *t)
{
    joined[0] = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (i)
            strcat(joined, " ");
        strcat(joined, t->label[i]);
    }
    return joined;
}

static double date(const char *s)
{
    double t = -1;
    axis_parse_date(s, &t);
    return t;
}

int main(void)
{
    axis_ticks_t t;
    ok(axis_nice_step(100, 5) == 20 && axis_nice_step(7, 5) == 2 &&
       axis_nice_step(0.03, 6) == 0.005 && axis_nice_step(900, 3) == 500,
       "nice steps are 1, 2 or 5 times a power of ten");
    axis_nice_ticks(0, 100, 5, &t);
    is_str(labels(&t), "0 20 40 60 80 100", "ticks 0..100");
    axis_nice_ticks(-0.55, 1.05, 4, &t);
    is_str(labels(&t), "-0.5 0.0 0.5 1.0", "ticks share their decimals");
    axis_nice_ticks(-50000, 1050000, 6, &t);
    is_str(labels(&t), "0.0 0.2 0.4 0.6 0.8 1.0", "large values scaled");
    is_str(t.offset, "1e6", "with a 1e6 offset");
    axis_nice_ticks(5, 5, 4, &t);
    ok(t.n >= 2, "a flat range still gets ticks");
    axis_auto_ticks(-5, 105, 9, &t);
    is_str(labels(&t), "0 20 40 60 80 100", "MaxNLocator: 0..100");
    axis_auto_ticks(-0.1, 1.1, 9, &t);
    is_str(labels(&t), "0.0 0.2 0.4 0.6 0.8 1.0", "MaxNLocator: 0..1");
    axis_auto_ticks(0, 10, 9, &t);
    is_str(labels(&t), "0 2 4 6 8 10", "MaxNLocator: steps of 2");
    axis_auto_ticks(-500, 10500, 9, &t);
    is_str(labels(&t), "0 2,000 4,000 6,000 8,000 10,000",
           "thousands separators");
    axis_auto_ticks(0, 7.5, 9, &t);
    is_str(labels(&t), "0 1 2 3 4 5 6 7", "MaxNLocator: unit steps");
    axis_log_ticks(0.5, 2000, 6, &t);
    is_str(labels(&t), "1 10 100 1,000", "log ticks");

    ok(date("1970-01-02") == 86400, "date");
    ok(date("2025-01-31 12:30:15") == date("2025-01-31") + 45015,
       "date and time");
    ok(date("2025-01-31T12:30:15.5Z") == date("2025-01-31") + 45015.5,
       "T, fraction and Z");
    ok(date("2025-01-31T12:30+02:00") == date("2025-01-31") + 10 * 3600 +
       1800, "zone offset");
    ok(date("2025-03") == date("2025-03-01"), "year-month");
    double x;
    ok(!axis_parse_date("hello", &x) && !axis_parse_date("2025-13-01", &x) &&
       !axis_parse_date("2025-01-01 nope", &x) &&
       !axis_parse_date("12", &x), "not dates");

    axis_date_ticks(date("2025-01-01"), date("2025-12-31"), 6, &t);
    is_str(labels(&t), "Jan 2025 Mar May Jul Sep Nov",
           "a year: every 2 months");
    axis_date_ticks(date("2000-06-01"), date("2030-01-01"), 7, &t);
    is_str(labels(&t), "2005 2010 2015 2020 2025 2030", "decades: 5 years");
    axis_date_ticks(date("2025-03-01"), date("2025-03-10"), 6, &t);
    is_str(labels(&t), "2025-03-01 2025-03-03 2025-03-05 2025-03-07 "
           "2025-03-09", "days: every 2 days");
    axis_date_ticks(date("2025-03-01 08:00"), date("2025-03-01 20:00"), 6, &t);
    is_str(labels(&t), "09:00 12:00 15:00 18:00", "hours within a day");
    axis_date_ticks(date("2025-03-01 08:00:00"), date("2025-03-01 08:00:50"),
                    6, &t);
    is_str(labels(&t), "08:00:00 08:00:15 08:00:30 08:00:45", "seconds");
    return done_testing();
}
