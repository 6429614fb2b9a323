/*
 * This file implements pandas' `.dt` accessor on a frame's Series
 * (LANGUAGE.md section 12): df['start_time'].dt.year is a new Series
 * whose values are computed in SQL over the same store, as every Series
 * is (frame.h), with the extraction functions of sql/funcs.h or the
 * lookups' transforms (sql/lookups.h). Nothing is read row by row.
 *
 * Properties: year month day hour minute second (integers), weekday and
 * dayofweek (Monday 0 to Sunday 6, as pandas), date (the date part), as
 * pandas names them. minute and second need a column (df['c'].dt.minute),
 * not a computed Series.
 *
 * It also holds df.resample(rule, on=...) and its aggregates (the section
 * below), and the frequency of a resample's index (fstore_t.freq): what
 * results made from its rows keep of it, as pandas' DatetimeIndex keeps
 * its freq, and the "Freq: M" a Series shows.
 */
#include "frame/frame.h"
#include "frame/frame_methods.h"
#include "base/temporal.h"
#include "sql/dialect.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

typedef struct dtacc {
    tq_value_t *series;         /* the Series the accessor reads */
} dtacc_t;

static void dtacc_destroy(void *p)
{
    dtacc_t *d = p;
    tq_decref(d->series);
    free(d);
}

static char *dtacc_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    (void)self;
    return tq_xstrdup("<pandas.core.indexes.accessors."
                      "DatetimeProperties object>");
}

/* Extract<part>(e) as an expression (new reference). */
static qexpr_t *func_of(qx_func_t f, qexpr_t *e)
{
    qexpr_t *x = qx_new(QX_FUNC);
    x->op = f;
    qx_push(x, qx_ref(e));
    return x;
}

static tq_value_t *dtacc_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                 const char *name)
{
    dtacc_t *d = tq_native_data(self);
    frame_t *f = tq_native_data(d->series);
    assert(f->series && f->expr);
    static const struct {
        const char *name;
        qx_func_t func;
    } parts[] = {
        {"year", QF_EXTRACTYEAR}, {"month", QF_EXTRACTMONTH},
        {"day", QF_EXTRACTDAY}, {"hour", QF_EXTRACTHOUR},
        {"date", QF_TRUNCDATE},
    };
    qexpr_t *e = NULL;
    for (size_t i = 0; i < sizeof parts / sizeof *parts && !e; i++)
        if (!strcmp(parts[i].name, name))
            e = func_of(parts[i].func, f->expr);
    if (!e && (!strcmp(name, "weekday") || !strcmp(name, "dayofweek") ||
               !strcmp(name, "day_of_week"))) {
        /* ExtractWeekDay is Sunday 1 .. Saturday 7; pandas Monday 0 */
        e = qx_bin('%', qx_bin('+', func_of(QF_EXTRACTWEEKDAY, f->expr),
                               qx_lit(qlit_int(5))),
                   qx_lit(qlit_int(7)));
    }
    if (!e && (!strcmp(name, "minute") || !strcmp(name, "second"))) {
        if (f->expr->kind != QX_REF)
            return tq_raise(ctx, "AttributeError",
                            ".dt.%s needs a column of the frame", name);
        char *path = tq_xasprintf("%s__%s", f->expr->name, name);
        e = qx_path(path);
        free(path);
    }
    if (!e)
        return NULL;
    f->st->refs++;
    return frame_series_new(f->st, f->index, f->index_label, e, f->name);
}

static const tq_type_t dtacc_type = {
    .name = "DatetimeProperties",
    .destroy = dtacc_destroy,
    .repr = dtacc_repr,
    .getattr = dtacc_getattr,
};

/* frame_dt_accessor: see frame.h. */
tq_value_t *frame_dt_accessor(tq_ctx_t *ctx, tq_value_t *series)
{
    (void)ctx;
    assert(tq_is_native(series, &tq_series_type));
    dtacc_t *d = tq_xcalloc(1, sizeof *d);
    d->series = tq_incref(series);
    return tq_native_new(&dtacc_type, d);
}

/* ---- resample */

/*
 * df.resample(rule, on='col') (or on a date index) groups rows by
 * calendar bins, as pandas: one GROUP BY statement over the store by the
 * dialect's truncation of the date (day, week, month or year: quarters
 * fold months), then every bin between the first and the last, empty
 * ones included, in C (the groups are few), into a new store indexed by
 * the bins' labels: the bin's end for D W M Q A (a week is Monday to
 * Sunday, labelled by the Sunday), its start for MS QS AS.
 */
typedef enum rs_unit { RS_DAY, RS_WEEK, RS_MONTH, RS_QUARTER, RS_YEAR }
    rs_unit_t;

typedef struct resampler {
    tq_value_t *frame;          /* the frame (a reference) */
    char *on;                   /* its date column or index column */
    char *label;                /* the result index's shown name */
    char *rule;
    rs_unit_t unit;
    bool start;                 /* labelled by the bin's first day */
    char *col;                  /* r['c']: one column, a Series result */
} resampler_t;

static const tq_type_t resampler_type;

static void resampler_destroy(void *p)
{
    resampler_t *r = p;
    tq_decref(r->frame);
    free(r->on);
    free(r->label);
    free(r->rule);
    free(r->col);
    free(r);
}

static resampler_t *resampler_copy(const resampler_t *r, const char *col)
{
    resampler_t *c = tq_xcalloc(1, sizeof *c);
    c->frame = tq_incref(r->frame);
    c->on = tq_xstrdup(r->on);
    c->label = tq_xstrdup(r->label);
    c->rule = tq_xstrdup(r->rule);
    c->unit = r->unit;
    c->start = r->start;
    c->col = col ? tq_xstrdup(col) : NULL;
    return c;
}

/* The bins' labels as pandas names the rule's offset (its freqstr). */
static const char *rule_freq(rs_unit_t unit, bool start)
{
    switch (unit) {
    case RS_DAY:
        return "D";
    case RS_WEEK:
        return "W-SUN";
    case RS_MONTH:
        return start ? "MS" : "M";
    case RS_QUARTER:
        return start ? "QS-JAN" : "Q-DEC";
    case RS_YEAR:
        return start ? "AS-JAN" : "A-DEC";
    }
    return "D";
}

/* pandas' rule names (with their anchored spellings). */
static int parse_rule(const char *s, rs_unit_t *unit, bool *start)
{
    static const struct {
        const char *name;
        rs_unit_t unit;
        bool start;
    } rules[] = {
        {"D", RS_DAY, false}, {"W", RS_WEEK, false},
        {"W-SUN", RS_WEEK, false}, {"M", RS_MONTH, false},
        {"MS", RS_MONTH, true}, {"Q", RS_QUARTER, false},
        {"Q-DEC", RS_QUARTER, false}, {"QS", RS_QUARTER, true},
        {"QS-JAN", RS_QUARTER, true}, {"A", RS_YEAR, false},
        {"Y", RS_YEAR, false}, {"A-DEC", RS_YEAR, false},
        {"Y-DEC", RS_YEAR, false}, {"AS", RS_YEAR, true},
        {"YS", RS_YEAR, true}, {"AS-JAN", RS_YEAR, true},
        {"YS-JAN", RS_YEAR, true},
    };
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
        if (!strcmp(rules[i].name, s)) {
            *unit = rules[i].unit;
            *start = rules[i].start;
            return 0;
        }
    return -1;
}

static bool frame_has(const frame_t *f, const char *name)
{
    for (size_t i = 0; i < f->ncols; i++)
        if (!strcmp(f->cols[i], name))
            return true;
    return false;
}

/* frame_resample: see frame_methods.h. */
tq_value_t *frame_resample(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    frame_t *f = tq_native_data(self);
    if (f->series)
        return tq_raise(ctx, "TypeError", "resample() needs a DataFrame");
    tq_value_t *rule = fm_arg(a, 0, "rule");
    tq_value_t *on = tq_args_kw(a, "on");
    for (size_t i = 0; i < a->nkw; i++)
        if (strcmp(a->kwnames[i], "rule") && strcmp(a->kwnames[i], "on"))
            return tq_raise(ctx, "TypeError", "resample() got an unexpected "
                            "keyword argument '%s'", a->kwnames[i]);
    if (!rule || tq_kind(rule) != TQ_STR || a->npos > 1)
        return tq_raise(ctx, "TypeError", "resample() takes a rule such as "
                        "'D', 'W', 'M', 'MS', 'Q', 'QS', 'A' or 'AS'");
    rs_unit_t unit;
    bool start;
    if (parse_rule(tq_as_str(rule), &unit, &start) < 0)
        return tq_raise(ctx, "ValueError", "Invalid frequency: %s (rules: "
                        "D W M MS Q QS A AS)", tq_as_str(rule));
    if (on && on != tq_none() && tq_kind(on) != TQ_STR)
        return tq_raise(ctx, "TypeError", "on= names a column");
    bool by_col = on && tq_kind(on) == TQ_STR;
    const char *col = by_col ? tq_as_str(on) : f->index;
    if (by_col && !frame_has(f, col))
        return tq_raise(ctx, "KeyError", "'%s'", col);
    const char *dt = fm_store_dtype(ctx, f->st, col);
    if (!dt)
        return NULL;
    if (strncmp(dt, "datetime64", 10) != 0)
        return tq_raise(ctx, "TypeError", "Only valid with DatetimeIndex, "
                        "TimedeltaIndex or PeriodIndex, but got an instance "
                        "of 'Index'");
    resampler_t *r = tq_xcalloc(1, sizeof *r);
    r->frame = tq_incref(self);
    r->on = tq_xstrdup(col);
    r->label = tq_xstrdup(by_col ? col : f->index_label);
    r->rule = tq_xstrdup(tq_as_str(rule));
    r->unit = unit;
    r->start = start;
    return tq_native_new(&resampler_type, r);
}

/* One aggregated column across the bins. */
typedef struct rs_col {
    const char *name;
    const char *dtype;          /* the frame column's pandas dtype */
    int64_t *count;
    double *sum;                /* float64 sums */
    int64_t *isum;              /* int64 sums */
    tqdb_datum_t *min, *max;    /* owned text for text values */
} rs_col_t;

/* The bin of a date: days since year 1 for days and weeks, months since
 * year 0 for the others. */
static int64_t bin_of(rs_unit_t u, const tq_civil_t *c)
{
    switch (u) {
    case RS_DAY:
    case RS_WEEK: return tq_ordinal_from_civil(c->year, c->month, c->day);
    case RS_MONTH: return (int64_t)c->year * 12 + c->month - 1;
    case RS_QUARTER: return (int64_t)c->year * 12 + (c->month - 1) / 3 * 3;
    case RS_YEAR: return (int64_t)c->year * 12;
    }
    return 0;
}

static int64_t bin_step(rs_unit_t u)
{
    return u == RS_DAY ? 1 : u == RS_WEEK ? 7 : u == RS_MONTH ? 1
         : u == RS_QUARTER ? 3 : 12;
}

/* The label of a bin as ISO date text (buf of 32 bytes). */
static void bin_label(rs_unit_t u, bool start, int64_t b, char *buf)
{
    tq_civil_t c = {0};
    if (u == RS_DAY || u == RS_WEEK) {
        /* a week's bin is its Monday; W labels it by the Sunday */
        tq_civil_from_ordinal(b + (u == RS_WEEK ? 6 : 0), &c.year, &c.month,
                              &c.day);
    } else {
        int64_t last = b + (start ? 0 : bin_step(u) - 1);
        c.year = (int)(last / 12);
        c.month = (int)(last % 12) + 1;
        c.day = start ? 1 : tq_days_in_month(c.year, c.month);
    }
    tq_temporal_format(TQ_TEMPORAL_DATE, &c, ' ', buf);
}

/* ---- the index frequency (fstore_t.freq) */

/* The unit of a resample's freqstr (rule_freq), or -1. */
static int freq_unit(const char *freq)
{
    static const struct {
        const char *freq;
        rs_unit_t unit;
    } units[] = {
        {"D", RS_DAY}, {"W-SUN", RS_WEEK}, {"M", RS_MONTH},
        {"MS", RS_MONTH}, {"Q-DEC", RS_QUARTER}, {"QS-JAN", RS_QUARTER},
        {"A-DEC", RS_YEAR}, {"AS-JAN", RS_YEAR},
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (!strcmp(units[i].freq, freq))
            return (int)units[i].unit;
    return -1;
}

/* The frequency of st's index as a multiple of st->freq in *mult: 1, or
 * 0 when it has none, or -1 (raised). Rows picked from a source (a
 * filter, positions) read their labels in row order, as pandas reads
 * their positions: a filter keeps the source's frequency when its rows
 * are a run (one bin step of the source apart), positions that step
 * evenly give that step; no row or one keeps the source's. */
static int store_freq(tq_ctx_t *ctx, fstore_t *st, int64_t *mult)
{
    if (!st->freq)
        return 0;
    *mult = st->freq_mult;
    if (st->freq_rows == FM_ROWS_SAME || st->freq_rows == FM_ROWS_SLICE)
        return 1;
    if (st->pend_q && frame_force_pending(ctx) < 0)  /* a sort to make */
        return -1;
    int unit = freq_unit(st->freq);
    if (unit < 0)
        return 0;
    static const char *const index[1] = {"tq_i"};
    tqdb_cursor_t *cur = frame_store_rows(ctx, st, index, 1);
    if (!cur)
        return -1;
    int64_t n = 0, prev = 0, step = 0;
    bool even = true;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW && even) {
        tqdb_datum_t d = tqdb_column(cur, 0);
        tq_civil_t c;
        if (d.type != TQDB_TEXT ||
            tq_temporal_parse(d.s, d.len, &c) == TQ_TEMPORAL_NONE) {
            even = false;
            break;
        }
        /* the bin's number (bins count from year 1: positive) */
        int64_t bin = bin_of((rs_unit_t)unit, &c) /
                      bin_step((rs_unit_t)unit);
        if (n == 1)
            step = bin - prev;
        else if (n > 1 && bin - prev != step)
            even = false;
        prev = bin;
        n++;
    }
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    if (!even)
        return 0;
    if (n <= 1)
        return 1;
    if (st->freq_rows == FM_ROWS_MASK)
        return step == st->freq_mult;
    if (step == 0)
        return 0;
    *mult = step;
    return 1;
}

/* fm_keep_freq: see frame_methods.h. */
tq_value_t *fm_keep_freq(tq_ctx_t *ctx, tq_value_t *v, const frame_t *f,
                         fm_rows_t how)
{
    if (!v)
        return NULL;
    fstore_t *dst = FM_SELF(v)->st, *src = f->st;
    if (dst == src || !src->freq || strcmp(f->index, "tq_i") != 0 ||
        strcmp(FM_SELF(v)->index, "tq_i") != 0)
        return v;
    int64_t mult = src->freq_mult;
    int rows = src->freq_rows;
    if (how != FM_ROWS_SAME) {
        int rc = store_freq(ctx, src, &mult);
        if (rc < 0) {
            tq_decref(v);
            return NULL;
        }
        if (rc == 0)
            return v;
        /* a run of rows has the source's frequency as it is */
        rows = how == FM_ROWS_SLICE ? FM_ROWS_SAME : (int)how;
    }
    free(dst->freq);
    dst->freq = tq_xstrdup(src->freq);
    dst->freq_mult = mult;
    dst->freq_rows = rows;
    return v;
}

/* frame_freq_text: see frame_methods.h. */
int frame_freq_text(tq_ctx_t *ctx, const frame_t *f, char **out)
{
    *out = NULL;
    if (!f->st->freq || strcmp(f->index, "tq_i") != 0)
        return 0;
    int64_t mult;
    int rc = store_freq(ctx, f->st, &mult);
    if (rc <= 0)
        return rc;
    *out = mult == 1 ? tq_xstrdup(f->st->freq)
                     : tq_xasprintf("%" PRId64 "%s", mult, f->st->freq);
    return 0;
}

/* less-than between two non-null datums of one column (numbers before
 * texts, texts bytewise, as SQL's BINARY collation) */
static bool datum_less(const tqdb_datum_t *x, const tqdb_datum_t *y)
{
    bool xt = x->type == TQDB_TEXT || x->type == TQDB_BLOB;
    bool yt = y->type == TQDB_TEXT || y->type == TQDB_BLOB;
    if (xt != yt)
        return !xt;
    if (xt) {
        size_t n = x->len < y->len ? x->len : y->len;
        int c = memcmp(x->s, y->s, n);
        return c < 0 || (c == 0 && x->len < y->len);
    }
    double a = x->type == TQDB_INT ? (double)x->i : x->f;
    double b = y->type == TQDB_INT ? (double)y->i : y->f;
    return a < b;
}

static void datum_keep(tqdb_datum_t *slot, const tqdb_datum_t *v, bool less)
{
    if (v->type == TQDB_NULL)
        return;
    if (slot->type != TQDB_NULL &&
        (less ? !datum_less(v, slot) : !datum_less(slot, v)))
        return;
    if (slot->type == TQDB_TEXT || slot->type == TQDB_BLOB)
        free((char *)slot->s);
    *slot = *v;
    if (v->type == TQDB_TEXT || v->type == TQDB_BLOB) {
        char *s = tq_xmalloc(v->len + 1);
        memcpy(s, v->s, v->len);
        s[v->len] = '\0';
        slot->s = s;
    }
}

static bool is_numeric(const char *dtype)
{
    return !strcmp(dtype, "int64") || !strcmp(dtype, "float64") ||
           !strcmp(dtype, "bool");
}

/* Creates the result store: "tq_i" (date), then the columns with their
 * declared types, filled from vals (nbins x ncols datums). */
static fstore_t *rs_store(tq_ctx_t *ctx, char *const *labels, size_t nbins,
                          char *const *names, const char *const *types,
                          size_t ncols, const tqdb_datum_t *vals)
{
    char **cn = tq_xcalloc(ncols + 1, sizeof *cn);
    const char **ct = tq_xcalloc(ncols + 1, sizeof *ct);
    cn[0] = "tq_i";
    ct[0] = "date";
    for (size_t c = 0; c < ncols; c++) {
        cn[c + 1] = names[c];
        ct[c + 1] = types[c];
    }
    fstore_t *st = frame_store_create(ctx, cn, ct, ncols + 1);
    free(cn);
    free(ct);
    if (!st)
        return NULL;
    const tqdb_datum_t **cells = tq_xcalloc(nbins * ncols + 1, sizeof *cells);
    for (size_t i = 0; i < nbins * ncols; i++)
        cells[i] = &vals[i];
    int rc = frame_store_fill(ctx, st, (const char *const *)labels, nbins,
                              ncols, cells);
    free(cells);
    return rc < 0 ? NULL : st;
}

/* The bins of r's rows with fn (sum mean count min max size) of each
 * column: a frame, or a Series for r['c'] and size(). */
static tq_value_t *rs_agg(tq_ctx_t *ctx, tq_value_t *self, const char *fn)
{
    resampler_t *r = tq_native_data(self);
    frame_t *f = tq_native_data(r->frame);
    if (frame_sync(ctx, f) < 0)
        return NULL;
    frame_flush_drops(ctx);
    bool size = !strcmp(fn, "size");
    bool numeric_only = !strcmp(fn, "sum") || !strcmp(fn, "mean");
    /* the columns: the selected one, or all but the date column */
    size_t n = 0;
    rs_col_t *cols = tq_xcalloc(f->ncols + 1, sizeof *cols);
    for (size_t i = 0; i < f->ncols && !size; i++) {
        const char *name = f->cols[i];
        if (r->col ? strcmp(name, r->col) != 0 : !strcmp(name, r->on))
            continue;
        const char *dt = fm_store_dtype(ctx, f->st, name);
        if (!dt) {
            free(cols);
            return NULL;
        }
        if (numeric_only && !is_numeric(dt)) {
            if (r->col) {
                free(cols);
                return tq_raise(ctx, "TypeError", "%s() of the text column "
                                "'%s'", fn, name);
            }
            continue;
        }
        cols[n].name = name;
        cols[n++].dtype = dt;
    }
    /* one GROUP BY over the store by the truncated date */
    qx_func_t tf = r->unit == RS_DAY ? QF_TRUNCDAY
                 : r->unit == RS_WEEK ? QF_TRUNCWEEK
                 : r->unit == RS_YEAR ? QF_TRUNCYEAR : QF_TRUNCMONTH;
    qexpr_t *path = qx_path(r->on);
    qexpr_t *e = func_of(tf, path);
    qx_unref(path);
    frag_t key;
    int rc = frame_frag_expr(ctx, f->st, e, &key);
    qx_unref(e);
    if (rc < 0) {
        free(cols);
        return NULL;
    }
    tq_buf_t b = {0};
    tq_buf_printf(&b, "SELECT %s, count(*)", key.sql);
    for (size_t i = 0; i < n; i++) {
        tq_buf_t q = {0};
        tq_buf_ident(&q, cols[i].name);
        tq_buf_printf(&b, ", count(%s), %s(%s), min(%s), max(%s)", q.s,
                      is_numeric(cols[i].dtype) ? "sum" : "count", q.s, q.s,
                      q.s);
        tq_buf_free(&q);
    }
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, f->st);
    tq_buf_add(&b, " WHERE ");
    tq_buf_ident(&b, r->on);
    tq_buf_add(&b, " IS NOT NULL GROUP BY 1 ORDER BY 1");
    tqdb_cursor_t *cur = frame_prepare(ctx, b.s, &key);
    tq_buf_free(&b);
    frame_frag_clear(&key);
    if (!cur) {
        free(cols);
        return NULL;
    }
    /* the groups, read once: kept as rows of datums to fold into bins */
    int64_t first = 0, last = 0, nbins = 0;
    size_t width = 2 + 4 * n, ngroups = 0, cap = 0;
    tqdb_datum_t *groups = NULL;
    int64_t *gbin = NULL;
    size_t gcap = 0;
    int st;
    tqdb_datum_t *row = tq_xcalloc(width, sizeof *row);
    while ((st = tqdb_step(cur)) == TQDB_ROW) {
        tqdb_row(cur, (int)width, row);
        tq_civil_t c;
        if (row[0].type != TQDB_TEXT ||
            tq_temporal_parse(row[0].s, row[0].len, &c) == TQ_TEMPORAL_NONE)
            continue;       /* not a date: no bin */
        int64_t bin = bin_of(r->unit, &c);
        size_t g = ngroups, ng = ngroups;
        TQ_PUSH(gbin, ng, gcap, bin);
        ngroups = ng;
        if (ngroups * width > cap) {
            cap = ngroups * width * 2;
            groups = tq_xrealloc(groups, cap * sizeof *groups);
        }
        for (size_t k = 0; k < width; k++) {
            groups[g * width + k] = (tqdb_datum_t){.type = TQDB_NULL};
            datum_keep(&groups[g * width + k], &row[k], true);
        }
        if (g == 0)
            first = bin;
        last = bin;
    }
    free(row);
    tqdb_cursor_free(&cur);
    tq_value_t *v = NULL;
    if (st < 0) {
        tq_raise_db(ctx);
        goto out;
    }
    nbins = ngroups ? (last - first) / bin_step(r->unit) + 1 : 0;
    if (nbins > 10000000) {
        tq_raise(ctx, "ValueError", "resample('%s') would make %" PRId64
                 " bins", r->rule, nbins);
        goto out;
    }
    /* fold the groups into bins */
    size_t nout = size ? 1 : n;
    int64_t *cnt = tq_xcalloc((size_t)nbins * (nout + 1) + 1, sizeof *cnt);
    int64_t *isum = tq_xcalloc((size_t)nbins * nout + 1, sizeof *isum);
    double *fsum = tq_xcalloc((size_t)nbins * nout + 1, sizeof *fsum);
    tqdb_datum_t *mm = tq_xcalloc((size_t)nbins * nout * 2 + 1, sizeof *mm);
    for (size_t g = 0; g < ngroups; g++) {
        size_t bi = (size_t)((gbin[g] - first) / bin_step(r->unit));
        const tqdb_datum_t *gr = &groups[g * width];
        if (size) {
            cnt[bi] += gr[1].i;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const tqdb_datum_t *a = &gr[2 + 4 * i];
            size_t k = bi * nout + i;
            cnt[k] += a[0].i;
            if (a[1].type == TQDB_INT)
                isum[k] += a[1].i;
            fsum[k] += a[1].type == TQDB_INT ? (double)a[1].i
                     : a[1].type == TQDB_FLOAT ? a[1].f : 0;
            datum_keep(&mm[2 * k], &a[2], true);
            datum_keep(&mm[2 * k + 1], &a[3], false);
        }
    }
    /* the result's columns and values */
    char **labels = tq_xcalloc((size_t)nbins + 1, sizeof *labels);
    for (int64_t i = 0; i < nbins; i++) {
        char buf[32];
        bin_label(r->unit, r->start, first + i * bin_step(r->unit), buf);
        labels[i] = tq_xstrdup(buf);
    }
    char **names = tq_xcalloc(nout + 1, sizeof *names);
    const char **types = tq_xcalloc(nout + 1, sizeof *types);
    tqdb_datum_t *vals = tq_xcalloc((size_t)nbins * nout + 1, sizeof *vals);
    for (size_t i = 0; i < nout; i++) {
        names[i] = size ? "tq_v" : (char *)cols[i].name;
        bool isint = !size && !strcmp(cols[i].dtype, "int64");
        bool empty = false;
        for (int64_t bi = 0; bi < nbins; bi++)
            empty |= cnt[bi * nout + i] == 0;
        for (int64_t bi = 0; bi < nbins; bi++) {
            size_t k = (size_t)bi * nout + i;
            tqdb_datum_t *o = &vals[k];
            if (size || !strcmp(fn, "count")) {
                *o = tqdb_datum_int(cnt[k]);
            } else if (!strcmp(fn, "sum")) {
                *o = isint ? tqdb_datum_int(isum[k]) : tqdb_datum_float(fsum[k]);
            } else if (!strcmp(fn, "mean")) {
                *o = cnt[k] ? tqdb_datum_float(fsum[k] / (double)cnt[k])
                            : tqdb_datum_null();
            } else {
                *o = mm[2 * k + (strcmp(fn, "max") == 0)];
                /* an int column with an empty bin becomes float64 */
                if (isint && empty && o->type == TQDB_INT)
                    *o = tqdb_datum_float((double)o->i);
            }
        }
        bool counts = size || !strcmp(fn, "count");
        types[i] = counts ? "INTEGER"
                 : !strcmp(fn, "mean") ? "REAL"
                 : !strcmp(fn, "sum") ? (isint ? "INTEGER" : "REAL")
                 : !is_numeric(cols[i].dtype) ? ""
                 : isint && !empty ? "INTEGER" : "REAL";
    }
    fstore_t *sto = rs_store(ctx, labels, (size_t)nbins, names, types, nout,
                             vals);
    if (sto) {
        /* the bins are the index's frequency: Series show "Freq: M" */
        sto->freq = tq_xstrdup(rule_freq(r->unit, r->start));
        sto->freq_mult = 1;
        sto->freq_rows = FM_ROWS_SAME;
        if (size)
            v = fm_series(sto, r->label, NULL, false);
        else if (r->col)
            v = frame_series_new(sto, "tq_i", r->label, qx_path(r->col),
                                 r->col);
        else
            v = fm_frame(sto, r->label, names, nout);
    }
    for (int64_t i = 0; i < nbins; i++)
        free(labels[i]);
    free(labels);
    free(names);
    free(types);
    free(vals);
    for (size_t k = 0; k < (size_t)nbins * nout * 2; k++)
        if (mm[k].type == TQDB_TEXT || mm[k].type == TQDB_BLOB)
            free((char *)mm[k].s);
    free(mm);
    free(cnt);
    free(isum);
    free(fsum);
out:
    for (size_t k = 0; k < ngroups * width; k++)
        if (groups[k].type == TQDB_TEXT || groups[k].type == TQDB_BLOB)
            free((char *)groups[k].s);
    free(groups);
    free(gbin);
    free(cols);
    return v;
}

static tq_value_t *rs_sum(tq_ctx_t *c, tq_value_t *s, const tq_args_t *a)
{
    (void)a;
    return rs_agg(c, s, "sum");
}
static tq_value_t *rs_mean(tq_ctx_t *c, tq_value_t *s, const tq_args_t *a)
{
    (void)a;
    return rs_agg(c, s, "mean");
}
static tq_value_t *rs_count(tq_ctx_t *c, tq_value_t *s, const tq_args_t *a)
{
    (void)a;
    return rs_agg(c, s, "count");
}
static tq_value_t *rs_min(tq_ctx_t *c, tq_value_t *s, const tq_args_t *a)
{
    (void)a;
    return rs_agg(c, s, "min");
}
static tq_value_t *rs_max(tq_ctx_t *c, tq_value_t *s, const tq_args_t *a)
{
    (void)a;
    return rs_agg(c, s, "max");
}
static tq_value_t *rs_size(tq_ctx_t *c, tq_value_t *s, const tq_args_t *a)
{
    (void)a;
    return rs_agg(c, s, "size");
}

static tq_value_t *resampler_select(tq_ctx_t *ctx, tq_value_t *self,
                                    const char *name)
{
    resampler_t *r = tq_native_data(self);
    frame_t *f = tq_native_data(r->frame);
    if (!frame_has(f, name) || !strcmp(name, r->on))
        return tq_raise(ctx, "KeyError", "'Column not found: %s'", name);
    return tq_native_new(&resampler_type, resampler_copy(r, name));
}

static tq_value_t *resampler_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                     const char *name)
{
    static const struct {
        const char *name;
        tq_builtin_fn fn;
    } fns[] = {{"sum", rs_sum}, {"mean", rs_mean}, {"count", rs_count},
               {"min", rs_min}, {"max", rs_max}, {"size", rs_size}};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
        if (!strcmp(fns[i].name, name))
            return tq_builtin_new(fns[i].name, fns[i].fn, self);
    resampler_t *r = tq_native_data(self);
    if (!r->col && frame_has(tq_native_data(r->frame), name))
        return resampler_select(ctx, self, name);
    return NULL;
}

static tq_value_t *resampler_getitem(tq_ctx_t *ctx, tq_value_t *self,
                                     tq_value_t *key)
{
    resampler_t *r = tq_native_data(self);
    if (tq_kind(key) != TQ_STR || r->col)
        return tq_raise(ctx, "TypeError", "select one resampled column by "
                        "name");
    return resampler_select(ctx, self, tq_as_str(key));
}

static char *resampler_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    resampler_t *r = tq_native_data(self);
    (void)ctx;
    return tq_xasprintf("DatetimeIndexResampler [freq=<%s>, on=%s]", r->rule,
                        r->on);
}

static const tq_type_t resampler_type = {
    .name = "DatetimeIndexResampler",
    .destroy = resampler_destroy,
    .repr = resampler_repr,
    .getattr = resampler_getattr,
    .getitem = resampler_getitem,
};
