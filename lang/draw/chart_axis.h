/*
 * This file declares the chart axes' arithmetic (chart_axis.c): nice
 * number ticks in 1-2-5 steps with their labels, calendar ticks for date
 * axes (seconds to centuries), and ISO-8601 text parsed to epoch seconds.
 * Pure functions, no cairo: chart.c draws what these compute.
 */
#ifndef TQ_CHART_AXIS_H
#define TQ_CHART_AXIS_H

#include <stdbool.h>
#include <stddef.h>

enum { AXIS_MAX_TICKS = 64 };

/* Ticks of one axis: positions in data units and their labels. `offset`
 * is a matplotlib-like "1e6" text shown by the axis when labels are
 * scaled, or empty. */
typedef struct axis_ticks {
    size_t n;
    double at[AXIS_MAX_TICKS];
    char label[AXIS_MAX_TICKS][40];
    char offset[16];
} axis_ticks_t;

/* Ticks in 1-2-5 steps covering [lo, hi] with at most `target` intervals,
 * every tick inside [lo, hi]. */
void axis_nice_ticks(double lo, double hi, int target, axis_ticks_t *out);

/* matplotlib's AutoLocator (MaxNLocator with steps 1, 2, 2.5, 5 and 10
 * and at most `nbins` intervals, nbins clipped to 1..9) over [lo, hi],
 * keeping the ticks inside; labels share the step's decimals and carry
 * thousands separators ("12,500"), and values of 1e6 or more (or below
 * 1e-3) are scaled with an `offset` text such as "1e6". */
void axis_auto_ticks(double lo, double hi, int nbins, axis_ticks_t *out);

/* Ticks of a log10 axis over [lo, hi] (both > 0): the powers of ten
 * inside, labelled "1", "10", "100", "0.1"... (every other one when more
 * than `target`). */
void axis_log_ticks(double lo, double hi, int target, axis_ticks_t *out);

/* Inserts thousands separators into a formatted number in place ("-12345.5"
 * becomes "-12,345.5"); `size` is buf's size. */
void axis_group_thousands(char *buf, size_t size);

/* The nice step for a range split into about `target` intervals. */
double axis_nice_step(double range, int target);

/* Calendar ticks for epoch seconds in [lo, hi]: aligned seconds, minutes,
 * hours, days, months or years, at most `target` of them. Monthly ticks
 * are labelled with month names as pandas labels a monthly axis: "Jan
 * 2025" on the first tick and at each January, "Mar" on the others. */
void axis_date_ticks(double lo, double hi, int target, axis_ticks_t *out);

/* ISO-8601 date or date-time text ("2025-01-31", "2025-01-31 12:00:00",
 * "2025-01-31T12:00:00.5Z", "2025-01-31T12:00+02:00", "2025-01") to
 * epoch seconds (UTC). False when `s` is not such a date. */
bool axis_parse_date(const char *s, double *out);

/* A number for a label: integers bare, else %g with few digits. */
void axis_format_number(double v, char *buf, size_t size);

#endif
