/*
 * This file implements the calendar arithmetic and ISO-8601 text of
 * base/temporal.h: Howard Hinnant's days-from-civil algorithms shifted to
 * Python's ordinals, and a strict parser of the ISO forms databases store.
 */
#include "base/temporal.h"

#include <assert.h>
#include <stdio.h>
#include <strings.h>

/* date(1970, 1, 1).toordinal() */
#define ORDINAL_1970 INT64_C(719163)

/* tq_temporal_of_decltype: see temporal.h. */
tq_temporal_t tq_temporal_of_decltype(const char *d)
{
    if (!d || !*d)
        return TQ_TEMPORAL_NONE;
    if (!strcasecmp(d, "date"))
        return TQ_TEMPORAL_DATE;
    if (!strcasecmp(d, "datetime") || !strcasecmp(d, "timestamp") ||
        !strcasecmp(d, "timestamp without time zone"))
        return TQ_TEMPORAL_DATETIME;
    if (!strcasecmp(d, "time") || !strcasecmp(d, "time without time zone"))
        return TQ_TEMPORAL_TIME;
    if (!strcasecmp(d, "timedelta") || !strcasecmp(d, "interval") ||
        !strcasecmp(d, "duration"))
        return TQ_TEMPORAL_DURATION;
    return TQ_TEMPORAL_NONE;
}

/* tq_temporal_decltype: see temporal.h. */
const char *tq_temporal_decltype(tq_temporal_t kind)
{
    switch (kind) {
    case TQ_TEMPORAL_DATE: return "date";
    case TQ_TEMPORAL_DATETIME: return "datetime";
    case TQ_TEMPORAL_TIME: return "time";
    case TQ_TEMPORAL_DURATION: return "timedelta";
    default: return NULL;
    }
}

/* tq_is_leap_year: see temporal.h. */
bool tq_is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* tq_days_in_month: see temporal.h. */
int tq_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    assert(m >= 1 && m <= 12);
    return m == 2 && tq_is_leap_year(y) ? 29 : days[m - 1];
}

/* tq_ordinal_from_civil: see temporal.h. */
int64_t tq_ordinal_from_civil(int y, int m, int d)
{
    assert(m >= 1 && m <= 12 && d >= 1 && d <= 31);
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 + ORDINAL_1970;
}

/* tq_civil_from_ordinal: see temporal.h. */
void tq_civil_from_ordinal(int64_t ordinal, int *year, int *month, int *day)
{
    int64_t z = ordinal - ORDINAL_1970 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

/* tq_ordinal_weekday: see temporal.h. */
int tq_ordinal_weekday(int64_t ordinal)
{
    /* ordinal 1 (0001-01-01) was a Monday */
    int64_t w = (ordinal + 6) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* tq_us_from_civil: see temporal.h. */
int64_t tq_us_from_civil(const tq_civil_t *c)
{
    int64_t days = tq_ordinal_from_civil(c->year, c->month, c->day) - 1;
    return days * TQ_US_PER_DAY +
           ((int64_t)c->hour * 3600 + c->minute * 60 + c->second) *
               TQ_US_PER_SECOND +
           c->usec;
}

/* tq_civil_from_us: see temporal.h. */
void tq_civil_from_us(int64_t us, tq_civil_t *c)
{
    int64_t days = us / TQ_US_PER_DAY, rest = us % TQ_US_PER_DAY;
    if (rest < 0) {
        rest += TQ_US_PER_DAY;
        days--;
    }
    tq_civil_from_ordinal(days + 1, &c->year, &c->month, &c->day);
    int64_t secs = rest / TQ_US_PER_SECOND;
    c->usec = (int)(rest % TQ_US_PER_SECOND);
    c->hour = (int)(secs / 3600);
    c->minute = (int)(secs / 60 % 60);
    c->second = (int)(secs % 60);
}

/* Reads exactly `width` digits at s[*i]; -1 when they are not there. */
static int digits(const char *s, size_t n, size_t *i, int width)
{
    int v = 0;
    for (int k = 0; k < width; k++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    return v;
}

/* HH:MM[:SS[.f+]] at s[*i]; false when malformed or out of range. */
static bool parse_time(const char *s, size_t n, size_t *i, tq_civil_t *c)
{
    c->hour = digits(s, n, i, 2);
    if (c->hour < 0 || *i >= n || s[(*i)++] != ':')
        return false;
    c->minute = digits(s, n, i, 2);
    c->second = c->usec = 0;
    if (c->minute < 0)
        return false;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        c->second = digits(s, n, i, 2);
        if (c->second < 0)
            return false;
        if (*i < n && s[*i] == '.') {
            (*i)++;
            int k = 0, us = 0;
            while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
                if (k < 6)
                    us = us * 10 + (s[*i] - '0');
                k++;
                (*i)++;
            }
            if (k == 0)
                return false;
            for (; k < 6; k++)
                us *= 10;
            c->usec = us;
        }
    }
    return c->hour <= 23 && c->minute <= 59 && c->second <= 59;
}

/* tq_temporal_parse: see temporal.h. */
tq_temporal_t tq_temporal_parse(const char *s, size_t n, tq_civil_t *out)
{
    tq_civil_t c = {0};
    size_t i = 0;
    if (n >= 3 && s[2] == ':') {
        c.year = 1;
        c.month = c.day = 1;
        if (!parse_time(s, n, &i, &c) || i != n)
            return TQ_TEMPORAL_NONE;
        *out = c;
        return TQ_TEMPORAL_TIME;
    }
    c.year = digits(s, n, &i, 4);
    if (c.year < TQ_MINYEAR || i >= n || s[i++] != '-')
        return TQ_TEMPORAL_NONE;
    c.month = digits(s, n, &i, 2);
    if (c.month < 1 || c.month > 12 || i >= n || s[i++] != '-')
        return TQ_TEMPORAL_NONE;
    c.day = digits(s, n, &i, 2);
    if (c.day < 1 || c.day > tq_days_in_month(c.year, c.month))
        return TQ_TEMPORAL_NONE;
    if (i == n) {
        *out = c;
        return TQ_TEMPORAL_DATE;
    }
    if (s[i] != ' ' && s[i] != 'T')
        return TQ_TEMPORAL_NONE;
    i++;
    if (!parse_time(s, n, &i, &c) || i != n)
        return TQ_TEMPORAL_NONE;
    *out = c;
    return TQ_TEMPORAL_DATETIME;
}

/* tq_temporal_format: see temporal.h. */
size_t tq_temporal_format(tq_temporal_t kind, const tq_civil_t *c, char sep,
                          char *buf)
{
    int n = 0;
    if (kind == TQ_TEMPORAL_DATE || kind == TQ_TEMPORAL_DATETIME)
        n = snprintf(buf, 32, "%04d-%02d-%02d", c->year, c->month, c->day);
    if (kind == TQ_TEMPORAL_DATETIME)
        buf[n++] = sep;
    if (kind == TQ_TEMPORAL_DATETIME || kind == TQ_TEMPORAL_TIME) {
        n += snprintf(buf + n, 32 - (size_t)n, "%02d:%02d:%02d", c->hour,
                      c->minute, c->second);
        if (c->usec)
            n += snprintf(buf + n, 32 - (size_t)n, ".%06d", c->usec);
    }
    buf[n] = 0;
    assert(n > 0 && n < 32);
    return (size_t)n;
}
