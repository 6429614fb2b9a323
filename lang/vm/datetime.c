/*
 * This file implements the date, datetime, time and timedelta values of
 * vm/datetime.h as Python's datetime module behaves: one payload (a kind
 * and one integer: a date's ordinal, a datetime's microseconds since
 * 0001-01-01, a time's microseconds since midnight, a timedelta's
 * microseconds), four native types sharing hooks, and the four class
 * values that build them (`date(2025, 1, 1)`, `datetime.now()`,
 * `date.fromisoformat(s)`). Error texts are CPython's.
 *
 * Where Tabula differs: timedeltas hold int64 microseconds, about
 * ±292,000 years (Python allows ±999,999,999 days), and only naive
 * values exist.
 */
#include "vm/datetime.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "base/util.h"
#include "vm/interp.h"

typedef struct dtv {
    tq_temporal_t kind;
    int64_t v;
    char iso[32];          /* the bound text, filled by tq_dt_datum */
} dtv_t;

#define DTV(v) ((dtv_t *)tq_native_data(v))

static const tq_type_t *type_of_kind(tq_temporal_t kind)
{
    switch (kind) {
    case TQ_TEMPORAL_DATE: return &tq_date_type;
    case TQ_TEMPORAL_DATETIME: return &tq_datetime_type;
    case TQ_TEMPORAL_TIME: return &tq_time_type;
    case TQ_TEMPORAL_DURATION: return &tq_timedelta_type;
    default: break;
    }
    assert(!"not a date kind");
    return NULL;
}

static tq_value_t *dtv_new(tq_temporal_t kind, int64_t v)
{
    dtv_t *d = tq_xcalloc(1, sizeof *d);
    d->kind = kind;
    d->v = v;
    return tq_native_new(type_of_kind(kind), d);
}

/* tq_dt_kind: see datetime.h. */
tq_temporal_t tq_dt_kind(const tq_value_t *v)
{
    if (tq_kind(v) != TQ_NATIVE)
        return TQ_TEMPORAL_NONE;
    const tq_type_t *t = tq_native_type(v);
    if (t == &tq_date_type || t == &tq_datetime_type ||
        t == &tq_time_type || t == &tq_timedelta_type)
        return DTV(v)->kind;
    return TQ_TEMPORAL_NONE;
}

/* The smallest and largest datetime, in microseconds. */
#define DT_MAX_US (INT64_C(3652059) * TQ_US_PER_DAY - 1)
#define DATE_MAX_ORDINAL INT64_C(3652059)

/* tq_dt_from_civil: see datetime.h. */
tq_value_t *tq_dt_from_civil(tq_temporal_t kind, const tq_civil_t *c)
{
    switch (kind) {
    case TQ_TEMPORAL_DATE:
        return dtv_new(kind, tq_ordinal_from_civil(c->year, c->month, c->day));
    case TQ_TEMPORAL_DATETIME:
        return dtv_new(kind, tq_us_from_civil(c));
    case TQ_TEMPORAL_TIME:
        return dtv_new(kind, ((int64_t)c->hour * 3600 + c->minute * 60 +
                              c->second) * TQ_US_PER_SECOND + c->usec);
    default:
        assert(!"not a civil kind");
        return tq_none();
    }
}

/* tq_timedelta_new: see datetime.h. */
tq_value_t *tq_timedelta_new(int64_t us)
{
    return dtv_new(TQ_TEMPORAL_DURATION, us);
}

/* tq_timedelta_us: see datetime.h. */
int64_t tq_timedelta_us(const tq_value_t *v)
{
    assert(tq_dt_kind(v) == TQ_TEMPORAL_DURATION);
    return DTV(v)->v;
}

/* tq_dt_civil: see datetime.h. */
bool tq_dt_civil(const tq_value_t *v, tq_civil_t *c)
{
    tq_temporal_t k = tq_dt_kind(v);
    memset(c, 0, sizeof *c);
    switch (k) {
    case TQ_TEMPORAL_DATE:
        tq_civil_from_ordinal(DTV(v)->v, &c->year, &c->month, &c->day);
        return true;
    case TQ_TEMPORAL_DATETIME:
        tq_civil_from_us(DTV(v)->v, c);
        return true;
    case TQ_TEMPORAL_TIME:
        tq_civil_from_us(DTV(v)->v, c);
        return true;
    default:
        return false;
    }
}

/* tq_dt_parse_column: see datetime.h. */
tq_value_t *tq_dt_parse_column(const char *s, size_t n, tq_temporal_t column)
{
    tq_civil_t c;
    tq_temporal_t k = tq_temporal_parse(s, n, &c);
    switch (column) {
    case TQ_TEMPORAL_DATE:
        if (k == TQ_TEMPORAL_DATE || k == TQ_TEMPORAL_DATETIME)
            return tq_dt_from_civil(k, &c);
        return NULL;
    case TQ_TEMPORAL_DATETIME:
        if (k == TQ_TEMPORAL_DATE || k == TQ_TEMPORAL_DATETIME)
            return tq_dt_from_civil(TQ_TEMPORAL_DATETIME, &c);
        return NULL;
    case TQ_TEMPORAL_TIME:
        return k == TQ_TEMPORAL_TIME ? tq_dt_from_civil(k, &c) : NULL;
    default:
        return NULL;
    }
}

/* tq_dt_datum: see datetime.h. */
bool tq_dt_datum(tq_value_t *v, tqdb_datum_t *out)
{
    tq_temporal_t k = tq_dt_kind(v);
    if (k == TQ_TEMPORAL_NONE)
        return false;
    dtv_t *d = DTV(v);
    if (k == TQ_TEMPORAL_DURATION) {
        if (d->v % TQ_US_PER_SECOND == 0)
            *out = tqdb_datum_int(d->v / TQ_US_PER_SECOND);
        else
            *out = tqdb_datum_float((double)d->v / 1e6);
        return true;
    }
    tq_civil_t c;
    tq_dt_civil(v, &c);
    size_t n = tq_temporal_format(k, &c, ' ', d->iso);
    *out = tqdb_datum_text(d->iso, n);
    return true;
}

/* ---- text */

/* Python's str() of a timedelta: "-1 day, 23:59:59.000005". */
static char *timedelta_str(int64_t us)
{
    int64_t days = us / TQ_US_PER_DAY, rest = us % TQ_US_PER_DAY;
    if (rest < 0) {
        rest += TQ_US_PER_DAY;
        days--;
    }
    tq_buf_t b = {0};
    if (days)
        tq_buf_printf(&b, "%" PRId64 " day%s, ", days,
                      days == 1 || days == -1 ? "" : "s");
    int64_t secs = rest / TQ_US_PER_SECOND;
    tq_buf_printf(&b, "%d:%02d:%02d", (int)(secs / 3600),
                  (int)(secs / 60 % 60), (int)(secs % 60));
    if (rest % TQ_US_PER_SECOND)
        tq_buf_printf(&b, ".%06d", (int)(rest % TQ_US_PER_SECOND));
    return tq_buf_take(&b);
}

static char *dt_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    dtv_t *d = DTV(self);
    tq_civil_t c;
    tq_buf_t b = {0};
    switch (d->kind) {
    case TQ_TEMPORAL_DATE:
        tq_dt_civil(self, &c);
        tq_buf_printf(&b, "datetime.date(%d, %d, %d)", c.year, c.month, c.day);
        break;
    case TQ_TEMPORAL_DATETIME:
    case TQ_TEMPORAL_TIME:
        tq_dt_civil(self, &c);
        if (d->kind == TQ_TEMPORAL_DATETIME)
            tq_buf_printf(&b, "datetime.datetime(%d, %d, %d, ", c.year,
                          c.month, c.day);
        else
            tq_buf_add(&b, "datetime.time(");
        tq_buf_printf(&b, "%d, %d", c.hour, c.minute);
        if (c.second || c.usec)
            tq_buf_printf(&b, ", %d", c.second);
        if (c.usec)
            tq_buf_printf(&b, ", %d", c.usec);
        tq_buf_addc(&b, ')');
        break;
    default: {
        int64_t days = d->v / TQ_US_PER_DAY, rest = d->v % TQ_US_PER_DAY;
        if (rest < 0) {
            rest += TQ_US_PER_DAY;
            days--;
        }
        int64_t secs = rest / TQ_US_PER_SECOND, us = rest % TQ_US_PER_SECOND;
        tq_buf_add(&b, "datetime.timedelta(");
        const char *sep = "";
        if (days) {
            tq_buf_printf(&b, "days=%" PRId64, days);
            sep = ", ";
        }
        if (secs) {
            tq_buf_printf(&b, "%sseconds=%" PRId64, sep, secs);
            sep = ", ";
        }
        if (us)
            tq_buf_printf(&b, "%smicroseconds=%" PRId64, sep, us);
        if (!days && !secs && !us)
            tq_buf_addc(&b, '0');
        tq_buf_addc(&b, ')');
        break;
    }
    }
    return tq_buf_take(&b);
}

static char *dt_str(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    dtv_t *d = DTV(self);
    if (d->kind == TQ_TEMPORAL_DURATION)
        return timedelta_str(d->v);
    tq_civil_t c;
    tq_dt_civil(self, &c);
    char buf[32];
    tq_temporal_format(d->kind, &c, ' ', buf);
    return tq_xstrdup(buf);
}

/* Python's strftime: %f, %z and %Z are replaced here (naive values have
 * an empty offset and zone), the rest is the C library's, as CPython
 * does. A time's date is 1900-01-01. */
static char *dt_strftime(tq_ctx_t *ctx, tq_value_t *self, const char *fmt)
{
    tq_civil_t c;
    tq_dt_civil(self, &c);
    if (DTV(self)->kind == TQ_TEMPORAL_TIME)
        c.year = 1900, c.month = 1, c.day = 1;
    tq_buf_t f = {0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%' || !p[1]) {
            tq_buf_addc(&f, *p);
            continue;
        }
        p++;
        if (*p == 'f')
            tq_buf_printf(&f, "%06d", c.usec);
        else if (*p == 'z' || *p == 'Z')
            ;
        else {
            tq_buf_addc(&f, '%');
            tq_buf_addc(&f, *p);
        }
    }
    const char *ff = f.s ? f.s : "";
    int64_t ord = tq_ordinal_from_civil(c.year, c.month, c.day);
    struct tm tm = {
        .tm_year = c.year - 1900, .tm_mon = c.month - 1, .tm_mday = c.day,
        .tm_hour = c.hour, .tm_min = c.minute, .tm_sec = c.second,
        .tm_wday = (tq_ordinal_weekday(ord) + 1) % 7,
        .tm_yday = (int)(ord - tq_ordinal_from_civil(c.year, 1, 1)),
        .tm_isdst = -1,
    };
    size_t cap = strlen(ff) * 4 + 64;
    char *out = NULL;
    for (;;) {
        out = tq_xrealloc(out, cap);
        size_t n = strftime(out, cap, ff, &tm);
        if (n > 0 || cap > strlen(ff) * 64 + 1024)
            break;
        cap *= 4;
    }
    tq_buf_free(&f);
    (void)ctx;
    return out;
}

static char *dt_format(tq_ctx_t *ctx, tq_value_t *self, const char *spec)
{
    if (DTV(self)->kind == TQ_TEMPORAL_DURATION) {
        tq_raise(ctx, "TypeError",
                 "unsupported format string passed to "
                 "datetime.timedelta.__format__");
        return NULL;
    }
    return dt_strftime(ctx, self, spec);
}

/* ---- comparison and hashing */

static int dt_compare(const tq_value_t *a, const tq_value_t *b)
{
    int64_t x = DTV(a)->v, y = DTV(b)->v;
    return x < y ? -1 : x > y;
}

static uint64_t dt_hash(const tq_value_t *self)
{
    uint64_t x = (uint64_t)DTV(self)->v * 0x9e3779b97f4a7c15ULL +
                 (uint64_t)DTV(self)->kind;
    x ^= x >> 31;
    return x * 0xbf58476d1ce4e5b9ULL;
}

static int dt_truth(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    return DTV(self)->kind != TQ_TEMPORAL_DURATION || DTV(self)->v != 0;
}

/* ---- arithmetic */

static tq_value_t *out_of_range(tq_ctx_t *ctx)
{
    return tq_raise(ctx, "OverflowError", "date value out of range");
}

static tq_value_t *td_overflow(tq_ctx_t *ctx)
{
    return tq_raise(ctx, "OverflowError",
                    "timedelta out of range (Tabula keeps about "
                    "+/-292,000 years)");
}

/* A timedelta of us * f microseconds, rounded half to even. */
static tq_value_t *td_scaled(tq_ctx_t *ctx, int64_t us, double f, bool divide)
{
    if (divide && f == 0)
        return tq_raise(ctx, "ZeroDivisionError", "division by zero");
    long double r = divide ? (long double)us / f : (long double)us * f;
    if (isnan((double)r) || !(fabsl(r) < 9.2e18L))
        return isnan((double)r)
                   ? tq_raise(ctx, "ValueError",
                              "cannot convert float NaN to integer")
                   : td_overflow(ctx);
    return tq_timedelta_new((int64_t)nearbyintl(r));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static tq_value_t *datetime_plus(tq_ctx_t *ctx, const dtv_t *d, int64_t us)
{
    if (d->kind == TQ_TEMPORAL_DATE) {
        int64_t days = floor_div(us, TQ_US_PER_DAY);
        /* Python's date + timedelta uses the timedelta's days only */
        int64_t o = d->v + days;
        if (o < 1 || o > DATE_MAX_ORDINAL)
            return out_of_range(ctx);
        return dtv_new(TQ_TEMPORAL_DATE, o);
    }
    int64_t r;
    if (__builtin_add_overflow(d->v, us, &r) || r < 0 || r > DT_MAX_US)
        return out_of_range(ctx);
    return dtv_new(TQ_TEMPORAL_DATETIME, r);
}

static tq_value_t *dt_binop(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *self,
                            tq_value_t *other, bool reflected)
{
    dtv_t *d = DTV(self);
    tq_temporal_t ok = tq_dt_kind(other);
    tq_value_t *a = reflected ? other : self, *b = reflected ? self : other;
    tq_temporal_t ak = tq_dt_kind(a), bk = tq_dt_kind(b);
    bool a_point = ak == TQ_TEMPORAL_DATE || ak == TQ_TEMPORAL_DATETIME;
    switch (op) {
    case TQ_OP_ADD:
        if (reflected && ok != TQ_TEMPORAL_NONE)
            return NULL;   /* the left operand's hook answered already */
        if (a_point && bk == TQ_TEMPORAL_DURATION)
            return datetime_plus(ctx, DTV(a), DTV(b)->v);
        if (bk == TQ_TEMPORAL_DATE || bk == TQ_TEMPORAL_DATETIME) {
            if (ak == TQ_TEMPORAL_DURATION)
                return datetime_plus(ctx, DTV(b), DTV(a)->v);
            return NULL;
        }
        if (ak == TQ_TEMPORAL_DURATION && bk == TQ_TEMPORAL_DURATION) {
            int64_t r;
            if (__builtin_add_overflow(DTV(a)->v, DTV(b)->v, &r))
                return td_overflow(ctx);
            return tq_timedelta_new(r);
        }
        return NULL;
    case TQ_OP_SUB:
        if (reflected && ok != TQ_TEMPORAL_NONE)
            return NULL;
        if (a_point && bk == TQ_TEMPORAL_DURATION) {
            if (DTV(b)->v == INT64_MIN)
                return td_overflow(ctx);
            return datetime_plus(ctx, DTV(a), -DTV(b)->v);
        }
        if (a_point && ak == bk) {
            int64_t diff = DTV(a)->v - DTV(b)->v;
            return tq_timedelta_new(ak == TQ_TEMPORAL_DATE
                                        ? diff * TQ_US_PER_DAY : diff);
        }
        if (ak == TQ_TEMPORAL_DURATION && bk == TQ_TEMPORAL_DURATION) {
            int64_t r;
            if (__builtin_sub_overflow(DTV(a)->v, DTV(b)->v, &r))
                return td_overflow(ctx);
            return tq_timedelta_new(r);
        }
        return NULL;
    case TQ_OP_MUL:
        if (d->kind != TQ_TEMPORAL_DURATION)
            return NULL;
        if (tq_kind(other) == TQ_INT || tq_kind(other) == TQ_BOOL) {
            int64_t r;
            if (__builtin_mul_overflow(d->v, tq_as_int(other), &r))
                return td_overflow(ctx);
            return tq_timedelta_new(r);
        }
        if (tq_kind(other) == TQ_FLOAT)
            return td_scaled(ctx, d->v, tq_as_float(other), false);
        return NULL;
    case TQ_OP_DIV:
    case TQ_OP_FLOORDIV:
    case TQ_OP_MOD:
        if (ak != TQ_TEMPORAL_DURATION)
            return NULL;
        if (bk == TQ_TEMPORAL_DURATION) {
            int64_t x = DTV(a)->v, y = DTV(b)->v;
            if (y == 0)
                return tq_raise(ctx, "ZeroDivisionError",
                                op == TQ_OP_DIV ? "division by zero"
                                : "integer division or modulo by zero");
            if (op == TQ_OP_DIV)
                return tq_float((double)x / (double)y);
            int64_t q = floor_div(x, y);
            if (op == TQ_OP_FLOORDIV)
                return tq_int(q);
            return tq_timedelta_new(x - q * y);
        }
        if (op == TQ_OP_MOD)
            return NULL;
        if (tq_kind(b) == TQ_INT || tq_kind(b) == TQ_BOOL) {
            int64_t y = tq_as_int(b);
            if (y == 0)
                return tq_raise(ctx, "ZeroDivisionError",
                                op == TQ_OP_DIV ? "division by zero"
                                : "integer division or modulo by zero");
            if (op == TQ_OP_FLOORDIV)
                return tq_timedelta_new(floor_div(DTV(a)->v, y));
            return td_scaled(ctx, DTV(a)->v, (double)y, true);
        }
        if (tq_kind(b) == TQ_FLOAT && op == TQ_OP_DIV)
            return td_scaled(ctx, DTV(a)->v, tq_as_float(b), true);
        return NULL;
    default:
        return NULL;
    }
}

static tq_value_t *dt_unop(tq_ctx_t *ctx, tq_unop_t op, tq_value_t *self)
{
    dtv_t *d = DTV(self);
    if (op == TQ_UOP_NOT)
        return NULL;
    if (d->kind != TQ_TEMPORAL_DURATION)
        return tq_raise(ctx, "TypeError", "bad operand type for unary %s: "
                        "'%s'", op == TQ_UOP_NEG ? "-" : op == TQ_UOP_POS
                        ? "+" : "~", tq_native_type(self)->name);
    if (op == TQ_UOP_POS)
        return tq_incref(self);
    if (op == TQ_UOP_NEG) {
        if (d->v == INT64_MIN)
            return td_overflow(ctx);
        return tq_timedelta_new(-d->v);
    }
    return tq_raise(ctx, "TypeError", "bad operand type for unary ~: '%s'",
                    tq_native_type(self)->name);
}

/* ---- arguments */

/* Reads integer arguments by position then keyword into vals (names[i]
 * for each; the first `required` must be given; the others keep their
 * value). False with the error raised. */
static bool int_args(tq_ctx_t *ctx, const tq_args_t *a, const char *fname,
                     const char *const *names, size_t count, size_t required,
                     int64_t *vals)
{
    bool given[8] = {false};
    assert(count <= 8);
    if (a->npos > count) {
        tq_raise(ctx, "TypeError",
                 "%s() takes at most %zu arguments (%zu given)", fname,
                 count, a->npos);
        return false;
    }
    for (size_t k = 0; k < a->nkw; k++) {
        size_t i = 0;
        while (i < count && strcmp(names[i], a->kwnames[k]))
            i++;
        if (i == count) {
            tq_raise(ctx, "TypeError",
                     "'%s' is an invalid keyword argument for %s()",
                     a->kwnames[k], fname);
            return false;
        }
        if (i < a->npos) {
            tq_raise(ctx, "TypeError",
                     "argument for %s() given by name ('%s') and position "
                     "(%zu)", fname, names[i], i + 1);
            return false;
        }
    }
    for (size_t i = 0; i < count; i++) {
        tq_value_t *v = i < a->npos ? a->pos[i] : tq_args_kw(a, names[i]);
        if (!v)
            continue;
        if (tq_kind(v) != TQ_INT && tq_kind(v) != TQ_BOOL) {
            tq_raise(ctx, "TypeError",
                     "'%s' object cannot be interpreted as an integer",
                     tq_type_name(v));
            return false;
        }
        vals[i] = tq_as_int(v);
        given[i] = true;
    }
    for (size_t i = 0; i < required; i++)
        if (!given[i]) {
            tq_raise(ctx, "TypeError",
                     "function missing required argument '%s' (pos %zu)",
                     names[i], i + 1);
            return false;
        }
    return true;
}

/* Checks civil fields as Python's constructors do. */
static bool check_civil(tq_ctx_t *ctx, const int64_t *v, bool date,
                        bool time)
{
    if (date) {
        if (v[0] < TQ_MINYEAR || v[0] > TQ_MAXYEAR) {
            tq_raise(ctx, "ValueError", "year %" PRId64 " is out of range",
                     v[0]);
            return false;
        }
        if (v[1] < 1 || v[1] > 12) {
            tq_raise(ctx, "ValueError", "month must be in 1..12");
            return false;
        }
        if (v[2] < 1 || v[2] > tq_days_in_month((int)v[0], (int)v[1])) {
            tq_raise(ctx, "ValueError", "day is out of range for month");
            return false;
        }
        v += 3;
    }
    if (time) {
        static const char *const what[] = {"hour must be in 0..23",
                                           "minute must be in 0..59",
                                           "second must be in 0..59",
                                           "microsecond must be in "
                                           "0..999999"};
        static const int64_t max[] = {23, 59, 59, 999999};
        for (int i = 0; i < 4; i++)
            if (v[i] < 0 || v[i] > max[i]) {
                tq_raise(ctx, "ValueError", "%s", what[i]);
                return false;
            }
    }
    return true;
}

static tq_civil_t civil_of(const int64_t *v, bool date, bool time)
{
    tq_civil_t c = {.year = 1, .month = 1, .day = 1};
    if (date) {
        c.year = (int)v[0], c.month = (int)v[1], c.day = (int)v[2];
        v += 3;
    }
    if (time)
        c.hour = (int)v[0], c.minute = (int)v[1], c.second = (int)v[2],
        c.usec = (int)v[3];
    return c;
}

static const char *const date_names[] = {"year", "month", "day", "hour",
                                         "minute", "second", "microsecond"};

/* date(year, month, day), datetime(year, month, day, hour=0, ...),
 * time(hour=0, ...). */
static tq_value_t *construct(tq_ctx_t *ctx, tq_temporal_t kind,
                             const tq_args_t *a)
{
    int64_t v[7] = {0};
    bool date = kind != TQ_TEMPORAL_TIME;
    bool time = kind != TQ_TEMPORAL_DATE;
    const char *const *names = date ? date_names : date_names + 3;
    size_t count = kind == TQ_TEMPORAL_DATE ? 3 : kind == TQ_TEMPORAL_TIME
                                                      ? 4 : 7;
    const char *fname = kind == TQ_TEMPORAL_DATE ? "date"
                        : kind == TQ_TEMPORAL_TIME ? "time" : "datetime";
    if (!int_args(ctx, a, fname, names, count, date ? 3 : 0, v) ||
        !check_civil(ctx, v, date, time))
        return NULL;
    tq_civil_t c = civil_of(v, date, time);
    return tq_dt_from_civil(kind, &c);
}

/* timedelta(days=0, seconds=0, microseconds=0, milliseconds=0, minutes=0,
 * hours=0, weeks=0): ints exactly, floats rounded half to even. */
static tq_value_t *construct_timedelta(tq_ctx_t *ctx, const tq_args_t *a)
{
    static const char *const names[] = {"days", "seconds", "microseconds",
                                        "milliseconds", "minutes", "hours",
                                        "weeks"};
    static const int64_t scale[] = {TQ_US_PER_DAY, TQ_US_PER_SECOND, 1, 1000,
                                    60 * TQ_US_PER_SECOND,
                                    3600 * TQ_US_PER_SECOND,
                                    7 * TQ_US_PER_DAY};
    if (a->npos > 7)
        return tq_raise(ctx, "TypeError", "timedelta() takes at most 7 "
                        "arguments (%zu given)", a->npos);
    for (size_t k = 0; k < a->nkw; k++) {
        size_t i = 0;
        while (i < 7 && strcmp(names[i], a->kwnames[k]))
            i++;
        if (i == 7)
            return tq_raise(ctx, "TypeError", "'%s' is an invalid keyword "
                            "argument for __new__()", a->kwnames[k]);
    }
    int64_t total = 0;
    long double ftotal = 0;
    bool any_float = false;
    for (size_t i = 0; i < 7; i++) {
        tq_value_t *v = i < a->npos ? a->pos[i] : tq_args_kw(a, names[i]);
        if (!v)
            continue;
        if (tq_kind(v) == TQ_FLOAT) {
            any_float = true;
            ftotal += (long double)tq_as_float(v) * scale[i];
            continue;
        }
        if (tq_kind(v) != TQ_INT && tq_kind(v) != TQ_BOOL)
            return tq_raise(ctx, "TypeError", "unsupported type for timedelta "
                            "%s component: %s", names[i], tq_type_name(v));
        int64_t p;
        if (__builtin_mul_overflow(tq_as_int(v), scale[i], &p) ||
            __builtin_add_overflow(total, p, &total))
            return td_overflow(ctx);
    }
    if (any_float) {
        long double r = nearbyintl(ftotal + (long double)total);
        if (isnan((double)r))
            return tq_raise(ctx, "ValueError",
                            "cannot convert float NaN to integer");
        if (!(fabsl(r) < 9.2e18L))
            return td_overflow(ctx);
        total = (int64_t)r;
    }
    return tq_timedelta_new(total);
}

/* ---- methods */

#define METHOD(name) \
    static tq_value_t *name(tq_ctx_t *ctx, tq_value_t *self, \
                            const tq_args_t *a)

static bool no_args(tq_ctx_t *ctx, const tq_args_t *a, const char *name)
{
    if (a->npos || a->nkw) {
        tq_raise(ctx, "TypeError", "%s() takes no arguments (%zu given)",
                 name, a->npos + a->nkw);
        return false;
    }
    return true;
}

METHOD(m_weekday)
{
    if (!no_args(ctx, a, "weekday"))
        return NULL;
    tq_civil_t c;
    tq_dt_civil(self, &c);
    return tq_int(tq_ordinal_weekday(
        tq_ordinal_from_civil(c.year, c.month, c.day)));
}

METHOD(m_isoweekday)
{
    if (!no_args(ctx, a, "isoweekday"))
        return NULL;
    tq_civil_t c;
    tq_dt_civil(self, &c);
    return tq_int(tq_ordinal_weekday(
                      tq_ordinal_from_civil(c.year, c.month, c.day)) + 1);
}

METHOD(m_toordinal)
{
    if (!no_args(ctx, a, "toordinal"))
        return NULL;
    tq_civil_t c;
    tq_dt_civil(self, &c);
    return tq_int(tq_ordinal_from_civil(c.year, c.month, c.day));
}

METHOD(m_isoformat)
{
    tq_value_t *sep = a->npos ? a->pos[0] : tq_args_kw(a, "sep");
    if (a->npos + a->nkw > (sep ? 1u : 0u) ||
        (sep && DTV(self)->kind != TQ_TEMPORAL_DATETIME))
        return tq_raise(ctx, "TypeError", "isoformat() got an unexpected "
                        "argument");
    if (sep && (tq_kind(sep) != TQ_STR || tq_str_len(sep) != 1))
        return tq_raise(ctx, "TypeError", "isoformat() argument 1 must be a "
                        "unicode character, not %s", tq_type_name(sep));
    tq_civil_t c;
    tq_dt_civil(self, &c);
    char buf[32];
    tq_temporal_format(DTV(self)->kind, &c, sep ? tq_as_str(sep)[0] : 'T',
                       buf);
    return tq_str(buf);
}

METHOD(m_strftime)
{
    tq_value_t *f = a->npos ? a->pos[0] : tq_args_kw(a, "format");
    if (!f || a->npos + a->nkw != 1)
        return tq_raise(ctx, "TypeError", "strftime() takes exactly one "
                        "argument (%zu given)", a->npos + a->nkw);
    if (tq_kind(f) != TQ_STR)
        return tq_raise(ctx, "TypeError", "strftime() argument 1 must be str, "
                        "not %s", tq_type_name(f));
    char *s = dt_strftime(ctx, self, tq_as_str(f));
    return s ? tq_str_take(s) : NULL;
}

METHOD(m_date)
{
    if (!no_args(ctx, a, "date"))
        return NULL;
    tq_civil_t c;
    tq_dt_civil(self, &c);
    return tq_dt_from_civil(TQ_TEMPORAL_DATE, &c);
}

METHOD(m_time)
{
    if (!no_args(ctx, a, "time"))
        return NULL;
    tq_civil_t c;
    tq_dt_civil(self, &c);
    return tq_dt_from_civil(TQ_TEMPORAL_TIME, &c);
}

METHOD(m_replace)
{
    tq_temporal_t k = DTV(self)->kind;
    bool date = k != TQ_TEMPORAL_TIME, time = k != TQ_TEMPORAL_DATE;
    tq_civil_t c;
    tq_dt_civil(self, &c);
    int64_t v[7] = {c.year, c.month, c.day, c.hour, c.minute, c.second,
                    c.usec};
    int64_t *start = date ? v : v + 3;
    size_t count = k == TQ_TEMPORAL_DATE ? 3 : k == TQ_TEMPORAL_TIME ? 4 : 7;
    if (!int_args(ctx, a, "replace", date ? date_names : date_names + 3,
                  count, 0, start) ||
        !check_civil(ctx, start, date, time))
        return NULL;
    tq_civil_t r = civil_of(start, date, time);
    return tq_dt_from_civil(k, &r);
}

METHOD(m_total_seconds)
{
    if (!no_args(ctx, a, "total_seconds"))
        return NULL;
    int64_t us = DTV(self)->v;
    /* exact for whole seconds, as Python's (us / 10**6) */
    if (us % TQ_US_PER_SECOND == 0)
        return tq_float((double)(us / TQ_US_PER_SECOND));
    return tq_float((double)us / 1e6);
}

typedef struct method {
    const char *name;
    tq_builtin_fn fn;
    unsigned kinds;        /* 1 << tq_temporal_t */
} method_t;

#define K(k) (1u << TQ_TEMPORAL_##k)

static const method_t methods[] = {
    {"weekday", m_weekday, K(DATE) | K(DATETIME)},
    {"isoweekday", m_isoweekday, K(DATE) | K(DATETIME)},
    {"toordinal", m_toordinal, K(DATE) | K(DATETIME)},
    {"isoformat", m_isoformat, K(DATE) | K(DATETIME) | K(TIME)},
    {"strftime", m_strftime, K(DATE) | K(DATETIME) | K(TIME)},
    {"replace", m_replace, K(DATE) | K(DATETIME) | K(TIME)},
    {"date", m_date, K(DATETIME)},
    {"time", m_time, K(DATETIME)},
    {"total_seconds", m_total_seconds, K(DURATION)},
};

static tq_value_t *dt_getattr(tq_ctx_t *ctx, tq_value_t *self,
                              const char *name)
{
    (void)ctx;
    dtv_t *d = DTV(self);
    if (d->kind == TQ_TEMPORAL_DURATION) {
        int64_t days = floor_div(d->v, TQ_US_PER_DAY);
        int64_t rest = d->v - days * TQ_US_PER_DAY;
        if (!strcmp(name, "days"))
            return tq_int(days);
        if (!strcmp(name, "seconds"))
            return tq_int(rest / TQ_US_PER_SECOND);
        if (!strcmp(name, "microseconds"))
            return tq_int(rest % TQ_US_PER_SECOND);
    } else {
        tq_civil_t c;
        tq_dt_civil(self, &c);
        const int fields[] = {c.year, c.month, c.day, c.hour, c.minute,
                              c.second, c.usec};
        for (int i = 0; i < 7; i++) {
            bool has = i < 3 ? d->kind != TQ_TEMPORAL_TIME
                             : d->kind != TQ_TEMPORAL_DATE;
            if (has && !strcmp(name, date_names[i]))
                return tq_int(fields[i]);
        }
    }
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if ((methods[i].kinds & (1u << d->kind)) &&
            !strcmp(methods[i].name, name))
            return tq_builtin_new(name, methods[i].fn, self);
    return NULL;
}

static void dt_destroy(void *p)
{
    free(p);
}

#define DT_TYPE(var, tname)                                                \
    const tq_type_t var = {                                                \
        .name = tname, .destroy = dt_destroy, .repr = dt_repr,             \
        .getattr = dt_getattr, .binop = dt_binop, .unop = dt_unop,         \
        .truth = dt_truth, .str = dt_str, .format = dt_format,             \
        .compare = dt_compare, .hash = dt_hash,                            \
    }

DT_TYPE(tq_date_type, "datetime.date");
DT_TYPE(tq_datetime_type, "datetime.datetime");
DT_TYPE(tq_time_type, "datetime.time");
DT_TYPE(tq_timedelta_type, "datetime.timedelta");

/* ---- the classes: date, datetime, time, timedelta */

typedef struct dtclass {
    tq_temporal_t kind;
} dtclass_t;

static tq_value_t *now_value(tq_temporal_t kind)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    time_t secs = tv.tv_sec;
    struct tm tm;
    localtime_r(&secs, &tm);
    tq_civil_t c = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                    tm.tm_min, tm.tm_sec, (int)tv.tv_usec};
    if (c.second > 59)
        c.second = 59;                 /* a leap second */
    return tq_dt_from_civil(kind, &c);
}

static tq_value_t *cls_now(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    (void)self;
    if (!no_args(ctx, a, "now"))
        return NULL;
    return now_value(TQ_TEMPORAL_DATETIME);
}

static tq_value_t *cls_today(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    if (!no_args(ctx, a, "today"))
        return NULL;
    /* date.today() is a date, datetime.today() a datetime */
    dtclass_t *k = self ? tq_native_data(self) : NULL;
    return now_value(k ? k->kind : TQ_TEMPORAL_DATE);
}

static tq_value_t *cls_fromisoformat(tq_ctx_t *ctx, tq_value_t *self,
                                     const tq_args_t *a)
{
    dtclass_t *k = tq_native_data(self);
    if (a->npos != 1 || a->nkw)
        return tq_raise(ctx, "TypeError", "fromisoformat() takes exactly one "
                        "argument (%zu given)", a->npos + a->nkw);
    if (tq_kind(a->pos[0]) != TQ_STR)
        return tq_raise(ctx, "TypeError", "fromisoformat: argument must be "
                        "str");
    const char *s = tq_as_str(a->pos[0]);
    size_t n = tq_str_len(a->pos[0]);
    tq_civil_t c;
    tq_temporal_t got = tq_temporal_parse(s, n, &c);
    bool ok = got == k->kind ||
              (k->kind == TQ_TEMPORAL_DATETIME && got == TQ_TEMPORAL_DATE);
    if (!ok)
        return tq_raise(ctx, "ValueError", "Invalid isoformat string: '%s'",
                        s);
    return tq_dt_from_civil(k->kind, &c);
}

static tq_value_t *cls_combine(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a)
{
    (void)self;
    if (a->npos != 2 || a->nkw || tq_dt_kind(a->pos[0]) == TQ_TEMPORAL_NONE ||
        tq_dt_kind(a->pos[0]) == TQ_TEMPORAL_DURATION ||
        tq_dt_kind(a->pos[1]) != TQ_TEMPORAL_TIME)
        return tq_raise(ctx, "TypeError", "combine() takes a date and a time");
    tq_civil_t d, t;
    tq_dt_civil(a->pos[0], &d);
    tq_dt_civil(a->pos[1], &t);
    d.hour = t.hour, d.minute = t.minute, d.second = t.second,
    d.usec = t.usec;
    return tq_dt_from_civil(TQ_TEMPORAL_DATETIME, &d);
}

static tq_value_t *cls_call(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    dtclass_t *k = tq_native_data(self);
    if (k->kind == TQ_TEMPORAL_DURATION)
        return construct_timedelta(ctx, a);
    return construct(ctx, k->kind, a);
}

static tq_value_t *class_new(tq_temporal_t kind);
static const char *kind_name(tq_temporal_t kind);

static tq_value_t *cls_getattr(tq_ctx_t *ctx, tq_value_t *self,
                               const char *name)
{
    (void)ctx;
    dtclass_t *k = tq_native_data(self);
    bool point = k->kind == TQ_TEMPORAL_DATE ||
                 k->kind == TQ_TEMPORAL_DATETIME;
    if (!strcmp(name, "now") && k->kind == TQ_TEMPORAL_DATETIME)
        return tq_builtin_new("now", cls_now, self);
    if (!strcmp(name, "today") && point)
        return tq_builtin_new("today", cls_today, self);
    if (!strcmp(name, "fromisoformat") && k->kind != TQ_TEMPORAL_DURATION)
        return tq_builtin_new("fromisoformat", cls_fromisoformat, self);
    if (!strcmp(name, "combine") && k->kind == TQ_TEMPORAL_DATETIME)
        return tq_builtin_new("combine", cls_combine, self);
    if (!strcmp(name, "__name__"))
        return tq_str(strchr(type_of_kind(k->kind)->name, '.') + 1);
    /* datetime.date(2025, 1, 1), as Python's reprs are written, works
     * when `datetime` is this class, as if it were the module */
    if (k->kind == TQ_TEMPORAL_DATETIME)
        for (int i = TQ_TEMPORAL_DATE; i <= TQ_TEMPORAL_DURATION; i++)
            if (!strcmp(name, kind_name((tq_temporal_t)i)))
                return class_new((tq_temporal_t)i);
    return NULL;
}

static const tq_type_t date_class, datetime_class, time_class,
    timedelta_class;

/* The class value of a kind (a new reference). */
static tq_value_t *class_new(tq_temporal_t kind)
{
    static const tq_type_t *const types[] = {
        [TQ_TEMPORAL_DATE] = &date_class,
        [TQ_TEMPORAL_DATETIME] = &datetime_class,
        [TQ_TEMPORAL_TIME] = &time_class,
        [TQ_TEMPORAL_DURATION] = &timedelta_class,
    };
    assert(kind >= TQ_TEMPORAL_DATE && kind <= TQ_TEMPORAL_DURATION);
    dtclass_t *k = tq_xcalloc(1, sizeof *k);
    k->kind = kind;
    return tq_native_new(types[kind], k);
}

/* The builtin name of a kind's class: date, datetime, time, timedelta. */
static const char *kind_name(tq_temporal_t kind)
{
    return strchr(type_of_kind(kind)->name, '.') + 1;
}

static char *cls_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    dtclass_t *k = tq_native_data(self);
    return tq_xasprintf("<class '%s'>", type_of_kind(k->kind)->name);
}

/* The class values share their instances' type names, so that
 * isinstance(x, date) (which compares type names) holds. */
#define CLS_TYPE(var, tname)                                               \
    static const tq_type_t var = {                                         \
        .name = tname, .destroy = dt_destroy, .repr = cls_repr,            \
        .getattr = cls_getattr, .call = cls_call,                          \
    }

CLS_TYPE(date_class, "datetime.date");
CLS_TYPE(datetime_class, "datetime.datetime");
CLS_TYPE(time_class, "datetime.time");
CLS_TYPE(timedelta_class, "datetime.timedelta");

/* tq_datetime_register: see datetime.h. */
void tq_datetime_register(tq_ctx_t *ctx)
{
    static const struct {
        const char *name;
        const tq_type_t *type;
        tq_temporal_t kind;
    } classes[] = {
        {"date", &date_class, TQ_TEMPORAL_DATE},
        {"datetime", &datetime_class, TQ_TEMPORAL_DATETIME},
        {"time", &time_class, TQ_TEMPORAL_TIME},
        {"timedelta", &timedelta_class, TQ_TEMPORAL_DURATION},
    };
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        tq_value_t *v = class_new(classes[i].kind);
        assert(tq_native_type(v) == classes[i].type);
        tq_ctx_define_builtin(ctx, classes[i].name, v);
        tq_decref(v);
    }
    tq_value_t *now = tq_builtin_new("now", cls_now, NULL);
    tq_ctx_define_builtin(ctx, "now", now);
    tq_decref(now);
    tq_value_t *today = tq_builtin_new("today", cls_today, NULL);
    tq_ctx_define_builtin(ctx, "today", today);
    tq_decref(today);
}
