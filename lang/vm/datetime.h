/*
 * This file declares Tabula's date and time values (LANGUAGE.md section
 * 12): date, datetime, time and timedelta, with the behaviour of Python's
 * datetime module (constructors, attributes, arithmetic, comparisons,
 * hashing, repr and str, strftime). They are native values of four types;
 * the builtins `date`, `datetime`, `time`, `timedelta`, `now` and `today`
 * build them (tq_datetime_register).
 *
 * Only naive values exist: there is no tzinfo, and text with a time zone
 * offset is not read as a date (it stays a str).
 *
 * Ownership follows vm/value.h: constructors return new references.
 */
#ifndef TQ_VM_DATETIME_H
#define TQ_VM_DATETIME_H

#include <stdbool.h>
#include <stdint.h>

#include "base/temporal.h"
#include "vm/value.h"

extern const tq_type_t tq_date_type, tq_datetime_type, tq_time_type,
    tq_timedelta_type;

/* The kind of a date value, TQ_TEMPORAL_NONE for any other value
 * (a timedelta is TQ_TEMPORAL_DURATION). */
tq_temporal_t tq_dt_kind(const tq_value_t *v);

/* A date, datetime or time from valid civil fields (asserted): the kind
 * says which fields count. */
tq_value_t *tq_dt_from_civil(tq_temporal_t kind, const tq_civil_t *c);
/* A timedelta of `us` microseconds. */
tq_value_t *tq_timedelta_new(int64_t us);
/* The civil fields of a date, datetime or time value (time: 0001-01-01;
 * date: midnight). False for other values. */
bool tq_dt_civil(const tq_value_t *v, tq_civil_t *out);
/* A timedelta's microseconds. */
int64_t tq_timedelta_us(const tq_value_t *v);

/* The value that ISO text of a column of kind `column` reads as, or NULL
 * when the text is not such a date (the caller keeps the str): a date
 * column gives dates (a datetime when the text has a time), a datetime
 * column datetimes (midnight for a bare date), a time column times. */
tq_value_t *tq_dt_parse_column(const char *s, size_t n, tq_temporal_t column);

/* The datum that binds a date value: ISO text in SQLite's form, held in
 * the value (valid while it lives), or a timedelta's seconds. False when
 * `v` is not a date value. */
bool tq_dt_datum(tq_value_t *v, tqdb_datum_t *out);

/* Registers the builtins date, datetime, time, timedelta, now, today. */
void tq_datetime_register(tq_ctx_t *ctx);

#endif
