/*
 * This file declares the calendar arithmetic and ISO-8601 text that dates
 * and times need in every layer: the interpreter's date, datetime, time
 * and timedelta values (vm/datetime.c), the SQL compiler's knowledge of
 * which columns hold dates (sql/compile.c), and the renderers and frames
 * that show them as pandas shows datetime64 columns. Nothing here
 * allocates or knows values; it is plain arithmetic on the proleptic
 * Gregorian calendar, as Python's datetime module computes it.
 *
 * Ordinals are Python's: date(1, 1, 1).toordinal() == 1. Years run from 1
 * to 9999 (MINYEAR, MAXYEAR). Times count microseconds.
 */
#ifndef TQ_TEMPORAL_H
#define TQ_TEMPORAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TQ_MINYEAR 1
#define TQ_MAXYEAR 9999
#define TQ_US_PER_SECOND INT64_C(1000000)
#define TQ_US_PER_DAY INT64_C(86400000000)

/* What a column or an expression holds, as far as dates go. */
typedef enum tq_temporal {
    TQ_TEMPORAL_NONE,       /* not a date: read as stored */
    TQ_TEMPORAL_DATE,
    TQ_TEMPORAL_DATETIME,
    TQ_TEMPORAL_TIME,
    TQ_TEMPORAL_DURATION,   /* seconds, read as a timedelta */
} tq_temporal_t;

/* A broken-down date and time (fields as Python names them). */
typedef struct tq_civil {
    int year, month, day;
    int hour, minute, second, usec;
} tq_civil_t;

/* The kind of a declared column type: date; datetime, timestamp (and
 * "timestamp without time zone"); time; timedelta, interval, duration.
 * Case-insensitive; anything else (NULL too) is TQ_TEMPORAL_NONE. */
tq_temporal_t tq_temporal_of_decltype(const char *decltype);
/* The declared type that names a kind ("date", "datetime", "time",
 * "timedelta"), NULL for TQ_TEMPORAL_NONE. Static. */
const char *tq_temporal_decltype(tq_temporal_t kind);

bool tq_is_leap_year(int year);
/* Days in `month` (1..12) of `year`. */
int tq_days_in_month(int year, int month);
/* The ordinal of a valid date, and back (ordinal >= 1 gives year >= 1). */
int64_t tq_ordinal_from_civil(int year, int month, int day);
void tq_civil_from_ordinal(int64_t ordinal, int *year, int *month, int *day);
/* Monday 0 .. Sunday 6, as date.weekday(). */
int tq_ordinal_weekday(int64_t ordinal);

/* Microseconds since 0001-01-01 00:00 of a civil datetime, and back.
 * The civil fields must be valid. */
int64_t tq_us_from_civil(const tq_civil_t *c);
void tq_civil_from_us(int64_t us, tq_civil_t *c);

/*
 * Parses ISO-8601 text as databases store it: `YYYY-MM-DD` (a date),
 * `YYYY-MM-DD HH:MM[:SS[.ffffff]]` with a space or `T` (a datetime) or
 * `HH:MM[:SS[.ffffff]]` (a time); extra fraction digits past six are
 * dropped. Fields are range-checked (2025-02-30 fails). Returns the kind
 * found, or TQ_TEMPORAL_NONE for anything else (a time zone offset too,
 * since only naive values exist), with *out filled on success.
 */
tq_temporal_t tq_temporal_parse(const char *s, size_t n, tq_civil_t *out);

/* ISO text in SQLite's form, NUL-ended into buf (at least 32 bytes):
 * date `2025-01-01`; datetime `2025-01-01 09:30:00` (`.ffffff` when the
 * microseconds are not 0), with `sep` between date and time; time
 * `09:30:00[.ffffff]`. Returns the length. */
size_t tq_temporal_format(tq_temporal_t kind, const tq_civil_t *c, char sep,
                          char *buf);

#endif
