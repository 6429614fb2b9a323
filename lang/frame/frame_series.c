/*
 * This file implements the Series methods of frames (LANGUAGE.md section
 * 6) and the accessors that pandas users index or call through: value
 * counts and distinct values, apply (a function of the whole column,
 * called once with the Series so that it builds one SQL expression),
 * s.str (lower upper len contains startswith endswith strip as lazy
 * expressions over the same temp table, so the compiler spells them for
 * the connection's engine), x.rolling(n) (window functions), and the row
 * selectors x.loc[...] (labels) and x.iloc[...] (positions, rowid
 * ranges). Its table fm_series_methods is read by frame_methods.c's
 * lookup after its own.
 */
#include "frame/frame_methods.h"
#include "frame/frame_cols.h"
#include "sql/dialect.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>

/* ---- value_counts, unique, nunique */

/* Past this many distinct values a text column's counts are ordered by
 * SQL (by count, equal counts by first appearance) rather than read. */
#define COUNTS_READ_MAX 100000

/* value_counts() of a text Series: the distinct values and their counts
 * read in order of first appearance, then ordered as pandas orders them
 * (fc_count_order: numpy's introsort, which is not stable past 16
 * values), into a new store. NULL without an error when there are too
 * many values to read (the caller's SQL then orders them); NULL with one
 * raised on failure. */
static tq_value_t *counts_in_order(tq_ctx_t *ctx, const frame_t *f,
                                   const fm_src_t *s, bool normalize,
                                   bool ascending)
{
    tqdb_cursor_t *cur = fm_query(ctx, s, "SELECT tq_v, count(*) FROM tq_s "
                                  "WHERE tq_v IS NOT NULL GROUP BY tq_v "
                                  "ORDER BY min(tq_r)", NULL);
    if (!cur)
        return NULL;
    tqdb_datum_t **keys = NULL;
    int64_t *counts = NULL;
    size_t m = 0, nc = 0, cap = 0, kcap = 0, total = 0;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW && m < COUNTS_READ_MAX) {
        tqdb_datum_t d = tqdb_column(cur, 0);
        tqdb_datum_t *k = tqdb_datum_dup(&d);
        int64_t n = tqdb_column_int(cur, 1);
        TQ_PUSH(keys, m, kcap, k);
        TQ_PUSH(counts, nc, cap, n);
        total += (size_t)n;
    }
    assert(nc == m);
    bool too_many = rc == TQDB_ROW;
    tqdb_cursor_free(&cur);
    tq_value_t *v = NULL;
    if (rc < 0) {
        tq_raise_db(ctx);
    } else if (!too_many) {
        size_t *order = tq_xcalloc(m + 1, sizeof *order);
        fc_count_order(counts, m, ascending, order);
        tqdb_datum_t *vals = tq_xcalloc(2 * m + 1, sizeof *vals);
        const tqdb_datum_t **ptrs = tq_xcalloc(m + 1, sizeof *ptrs);
        for (size_t r = 0; r < m; r++) {
            vals[2 * r] = *keys[order[r]];
            vals[2 * r + 1] = normalize
                ? tqdb_datum_float((double)counts[order[r]] / (double)total)
                : tqdb_datum_int(counts[order[r]]);
            ptrs[r] = keys[r];
        }
        const tq_dialect_t *d = f->st->dialect;
        char *names[2] = {"tq_i", "tq_v"};
        const char *types[2] = {
            frame_column_type(d, (tqdb_datum_t *const *)ptrs, m),
            normalize ? d->type_real : d->type_int};
        fstore_t *st = fc_datum_store(ctx, names, types, 2, vals, m);
        if (st)
            v = fm_series(st, "", f->name, false);
        free(ptrs);
        free(vals);
        free(order);
    }
    for (size_t i = 0; i < m; i++)
        free(keys[i]);
    free(keys);
    free(counts);
    return v;
}

static tq_value_t *m_value_counts(tq_ctx_t *ctx, tq_value_t *self,
                                  const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *nv = tq_args_kw(a, "normalize"),
               *av = tq_args_kw(a, "ascending"),
               *dv = tq_args_kw(a, "dropna");
    int normalize = nv ? tq_truth(ctx, nv) : 0;
    int ascending = av ? tq_truth(ctx, av) : 0;
    int dropna = dv ? tq_truth(ctx, dv) : 1;
    if (normalize < 0 || ascending < 0 || dropna < 0)
        return NULL;
    const fcol_t *c = NULL;
    if (fc_series_column(ctx, f, &c) < 0)
        return NULL;
    if (c && (dropna || c->nmissing == 0)) {
        /* in memory: a hash of the values, counted in one pass */
        fstore_t *st = fc_value_counts(ctx, c, normalize, ascending);
        return st ? fm_series(st, "", f->name, false) : NULL;
    }
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    if (dropna && !strcmp(s.dtypes[0], "object")) {
        tq_value_t *v = counts_in_order(ctx, f, &s, normalize, ascending);
        if (v || tq_error_pending(ctx)) {
            fm_src_clear(&s);
            return v;
        }
    }
    /* pandas sorts by count, equal counts in the order their values
     * first appear while there are at most 16 distinct values (numpy's
     * quicksort is an insertion sort there) */
    char *body = tq_xasprintf(
        "SELECT tq_v AS tq_i, %s AS tq_v FROM tq_s %s GROUP BY tq_v "
        "ORDER BY count(*) %s, min(tq_r)",
        normalize ? "count(*) * 1.0 / (SELECT count(*) FROM tq_s" : "count(*)",
        dropna ? "WHERE tq_v IS NOT NULL" : "",
        ascending ? "ASC" : "DESC");
    if (normalize) {
        char *b2 = tq_xasprintf(
            "SELECT tq_v AS tq_i, count(*) * 1.0 / (SELECT count(*) FROM tq_s"
            "%s) AS tq_v FROM tq_s %s GROUP BY tq_v ORDER BY count(*) %s, "
            "min(tq_r)", dropna ? " WHERE tq_v IS NOT NULL" : "",
            dropna ? "WHERE tq_v IS NOT NULL" : "",
            ascending ? "ASC" : "DESC");
        free(body);
        body = b2;
    }
    fstore_t *st = fm_store(ctx, &s, body, NULL);
    free(body);
    fm_src_clear(&s);
    if (!st)
        return NULL;
    return fm_series(st, "", f->name, false);
}

static tq_value_t *m_unique(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    (void)a;
    const frame_t *f = FM_SELF(self);
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    tqdb_cursor_t *cur = fm_query(ctx, &s, "SELECT tq_v FROM tq_s GROUP BY "
                                  "tq_v ORDER BY min(tq_r)", NULL);
    /* a missing value is None in text (object) columns, NaN in numbers */
    bool text = !strcmp(s.dtypes[0], "object");
    fm_src_clear(&s);
    if (!cur)
        return NULL;
    tq_value_t *l = tq_list_new(16);
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tq_value_t *v;
        if (tqdb_column_type(cur, 0) == TQDB_NULL)
            v = text ? tq_none() : tq_float(NAN);
        else if (f->boolean)
            v = tq_bool(tqdb_column_int(cur, 0) != 0);
        else
            v = tq_cursor_value(cur, 0);
        tq_list_append(l, v);
        tq_decref(v);
    }
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        tq_decref(l);
        return tq_raise_db(ctx);
    }
    return l;
}

static tq_value_t *m_nunique(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    (void)a;
    const frame_t *f = FM_SELF(self);
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT 0");
    for (size_t i = 0; i < s.n; i++)
        tq_buf_printf(&b, ", count(DISTINCT %s)", s.vals[i]);
    tq_buf_add(&b, " FROM tq_s");
    tqdb_cursor_t *cur = fm_query(ctx, &s, b.s, NULL);
    tq_buf_free(&b);
    tq_value_t *v = NULL;
    if (cur && tqdb_step(cur) == TQDB_ROW) {
        if (f->series) {
            v = tq_int(tqdb_column_int(cur, 1));
        } else {
            /* a Series indexed by the column names */
            tq_buf_add(&b, "SELECT tq_i, tq_v FROM (");
            for (size_t i = 0; i < s.n; i++) {
                if (i)
                    tq_buf_add(&b, " UNION ALL ");
                tq_buf_printf(&b, "SELECT %zu AS tq_o, ? AS tq_i, %" PRId64
                              " AS tq_v", i, tqdb_column_int(cur, (int)i + 1));
            }
            tq_buf_add(&b, ") AS tq_u ORDER BY tq_o");
            fm_params_t p = {0};
            for (size_t i = 0; i < s.n; i++) {
                tq_value_t *x = tq_str(s.names[i]);
                fm_param(&p, x);
                tq_decref(x);
            }
            tqdb_cursor_free(&cur);
            fstore_t *st = s.n ? fm_store(ctx, &s, b.s, &p) : NULL;
            tq_buf_free(&b);
            fm_params_clear(&p);
            v = st ? fm_series(st, "", NULL, false) : NULL;
            if (!s.n)
                tq_raise(ctx, "ValueError", "the frame has no columns");
        }
    } else if (cur) {
        tq_raise_db(ctx);
    }
    tqdb_cursor_free(&cur);
    fm_src_clear(&s);
    return v;
}

/* ---- apply, between */

/* s.apply(fn): fn is called once with the Series itself, so that
 * `lambda x: x * 2 + 1` builds one column expression computed by SQL. */
static tq_value_t *m_apply(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    tq_value_t *fn = fm_arg(a, 0, "func");
    if (!fn)
        return tq_raise(ctx, "TypeError", "apply() takes a function");
    tq_value_t *r = tq_call_pos(ctx, fn, 1, (tq_value_t *[]){self});
    if (!r)
        return NULL;
    if (frame_check(r) && FM_SELF(r)->series)
        return r;
    tq_decref(r);
    return tq_raise(ctx, "TypeError", "apply() takes a function of the whole "
                    "column (lambda x: x * 2), computed in SQL; this one "
                    "returned %s", "a single value");
}

/* ---- s.str */

typedef struct fstr {
    tq_value_t *series;
} fstr_t;

static void fstr_destroy(void *p)
{
    fstr_t *x = p;
    tq_decref(x->series);
    free(x);
}

/* A lazy Series over the same store: e (stolen) with name and dtype. */
static tq_value_t *lazy(const frame_t *f, qexpr_t *e, bool boolean)
{
    f->st->refs++;
    tq_value_t *v = frame_series_new(f->st, f->index, f->index_label, e,
                                     f->name);
    FM_SELF(v)->boolean = boolean;
    return v;
}

static qexpr_t *func1(int op, qexpr_t *arg)
{
    qexpr_t *e = qx_new(QX_FUNC);
    e->op = op;
    qx_push(e, arg);
    return e;
}

static const frame_t *str_series(tq_value_t *self)
{
    fstr_t *x = tq_native_data(self);
    return FM_SELF(x->series);
}

static tq_value_t *s_lower(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    (void)ctx, (void)a;
    const frame_t *f = str_series(self);
    return lazy(f, func1(QF_LOWER, qx_ref(f->expr)), false);
}

static tq_value_t *s_upper(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    (void)ctx, (void)a;
    const frame_t *f = str_series(self);
    return lazy(f, func1(QF_UPPER, qx_ref(f->expr)), false);
}

static tq_value_t *s_len(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    (void)ctx, (void)a;
    const frame_t *f = str_series(self);
    return lazy(f, func1(QF_LENGTH, qx_ref(f->expr)), false);
}

/* contains/startswith/endswith through the compiler's lookups (case
 * folded with case=False); patterns are matched literally, so a regular
 * expression must say regex=False or be plain text. */
static tq_value_t *str_lookup(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a, const char *lookup,
                              bool regex_default)
{
    const frame_t *f = str_series(self);
    tq_value_t *pat = fm_arg(a, 0, "pat");
    if (!pat || tq_kind(pat) != TQ_STR)
        return tq_raise(ctx, "TypeError", "%s() takes a string", lookup);
    tq_value_t *cv = tq_args_kw(a, "case"), *rv = tq_args_kw(a, "regex");
    int cs = cv ? tq_truth(ctx, cv) : 1;
    int regex = rv ? tq_truth(ctx, rv) : regex_default;
    if (cs < 0 || regex < 0)
        return NULL;
    if (regex && strpbrk(tq_as_str(pat), ".^$*+?()[]{}|\\"))
        return tq_raise(ctx, "ValueError", "str.%s() matches text literally "
                        "here: pass regex=False for '%s'", lookup,
                        tq_as_str(pat));
    char *name = tq_xasprintf("%s%s", cs ? "" : "i", lookup);
    qexpr_t *e = qx_lookup(qx_ref(f->expr), name,
                           qx_lit(qlit_text(tq_as_str(pat))));
    free(name);
    return lazy(f, e, true);
}

static tq_value_t *s_contains(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    return str_lookup(ctx, self, a, "contains", true);
}

static tq_value_t *s_startswith(tq_ctx_t *ctx, tq_value_t *self,
                                const tq_args_t *a)
{
    return str_lookup(ctx, self, a, "startswith", false);
}

static tq_value_t *s_endswith(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    return str_lookup(ctx, self, a, "endswith", false);
}

static tq_value_t *fstr_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                const char *name)
{
    static const struct {
        const char *name;
        tq_builtin_fn fn;
    } fns[] = {{"lower", s_lower}, {"upper", s_upper}, {"len", s_len},
               {"contains", s_contains}, {"startswith", s_startswith},
               {"endswith", s_endswith}};
    (void)ctx;
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
        if (!strcmp(fns[i].name, name))
            return tq_builtin_new(fns[i].name, fns[i].fn, self);
    return NULL;
}

static char *fstr_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx, (void)self;
    return tq_xstrdup("<str accessor: lower upper len contains startswith "
                      "endswith>");
}

static const tq_type_t fstr_type = {
    .name = "StringMethods",
    .destroy = fstr_destroy,
    .repr = fstr_repr,
    .getattr = fstr_getattr,
};

static tq_value_t *p_str(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    (void)ctx, (void)a;
    fstr_t *x = tq_xcalloc(1, sizeof *x);
    x->series = tq_incref(self);
    return tq_native_new(&fstr_type, x);
}

/* ---- x.rolling(n) */

typedef struct froll {
    tq_value_t *of;
    int64_t n;
} froll_t;

static void froll_destroy(void *p)
{
    froll_t *x = p;
    tq_decref(x->of);
    free(x);
}

/* fn over the last n rows where all n are present (min_periods = n). */
static tq_value_t *roll(tq_ctx_t *ctx, tq_value_t *self, const char *fn)
{
    froll_t *x = tq_native_data(self);
    const frame_t *f = FM_SELF(x->of);
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    char *w = tq_xasprintf("OVER (ORDER BY tq_r ROWS BETWEEN %" PRId64
                           " PRECEDING AND CURRENT ROW)", x->n - 1);
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i");
    for (size_t i = 0; i < s.n; i++)
        tq_buf_printf(&b, ", CASE WHEN count(%s) %s = %" PRId64 " THEN "
                      "%s(%s) %s * 1.0 END AS %s", s.vals[i], w, x->n, fn,
                      s.vals[i], w, s.vals[i]);
    tq_buf_add(&b, " FROM tq_s ORDER BY tq_r");
    free(w);
    fstore_t *st = fm_store(ctx, &s, b.s, NULL);
    tq_buf_free(&b);
    /* a window of numbers is float64, its first n - 1 rows NaN */
    for (size_t i = 0; st && i < s.n; i++)
        if (!strcmp(s.dtypes[i], "int64") || !strcmp(s.dtypes[i], "float64"))
            fm_store_float(st, f->series ? "tq_v" : s.names[i]);
    tq_value_t *v = NULL;
    if (st)
        v = fm_keep_freq(ctx, f->series ? fm_series(st, f->index_label,
                                                    f->name, false)
                                        : fm_frame(st, f->index_label,
                                                   s.names, s.n),
                         f, FM_ROWS_SAME);
    fm_src_clear(&s);
    return v;
}

#define ROLL_FN(fn, sql)                                                   \
    static tq_value_t *r_##fn(tq_ctx_t *ctx, tq_value_t *self,             \
                              const tq_args_t *a)                          \
    {                                                                      \
        (void)a;                                                           \
        return roll(ctx, self, sql);                                       \
    }
ROLL_FN(mean, "avg")
ROLL_FN(sum, "sum")
ROLL_FN(min, "min")
ROLL_FN(max, "max")

static tq_value_t *froll_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                 const char *name)
{
    static const struct {
        const char *name;
        tq_builtin_fn fn;
    } fns[] = {{"mean", r_mean}, {"sum", r_sum}, {"min", r_min},
               {"max", r_max}};
    (void)ctx;
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
        if (!strcmp(fns[i].name, name))
            return tq_builtin_new(fns[i].name, fns[i].fn, self);
    return NULL;
}

static char *froll_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    froll_t *x = tq_native_data(self);
    return tq_xasprintf("Rolling [window=%" PRId64 ",center=False,axis=0,"
                        "method=single]", x->n);
}

static const tq_type_t froll_type = {
    .name = "Rolling",
    .destroy = froll_destroy,
    .repr = froll_repr,
    .getattr = froll_getattr,
};

static tq_value_t *m_rolling(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    tq_value_t *w = fm_arg(a, 0, "window");
    if (!w || tq_kind(w) != TQ_INT || tq_as_int(w) < 1)
        return tq_raise(ctx, "ValueError", "window must be an integer 0 or "
                        "greater");
    froll_t *x = tq_xcalloc(1, sizeof *x);
    x->of = tq_incref(self);
    x->n = tq_as_int(w);
    return tq_native_new(&froll_type, x);
}

/* ---- x.loc[...] and x.iloc[...] */

typedef struct floc {
    tq_value_t *of;
    bool positional;
} floc_t;

static void floc_destroy(void *p)
{
    floc_t *x = p;
    tq_decref(x->of);
    free(x);
}

static bool is_seq(tq_value_t *v)
{
    return tq_kind(v) == TQ_LIST || tq_kind(v) == TQ_TUPLE;
}

/* The row at position r (0-based, rowid r + 1) of a frame as a Series
 * indexed by the column names, named after its index label. */
static tq_value_t *row_series(tq_ctx_t *ctx, const frame_t *f,
                              const fm_src_t *s, const char *where,
                              fm_params_t *p)
{
    /* the label, for the Series' name */
    char *body = tq_xasprintf("SELECT tq_i FROM tq_s WHERE %s", where);
    tqdb_cursor_t *cur = fm_query(ctx, s, body, p);
    free(body);
    if (!cur)
        return NULL;
    int rc = tqdb_step(cur);
    if (rc != TQDB_ROW) {
        tqdb_cursor_free(&cur);
        if (rc < 0)
            return tq_raise_db(ctx);
        if (p && p->n) {
            char *k = tq_repr(ctx, p->v[0]);
            tq_raise(ctx, "KeyError", "%s", k ? k : "");
            free(k);
            return NULL;
        }
        return tq_raise(ctx, "IndexError", "single positional indexer is "
                        "out-of-bounds");
    }
    tq_value_t *label = tq_cursor_value(cur, 0);
    tqdb_cursor_free(&cur);
    char *name = tq_kind(label) == TQ_STR ? tq_xstrdup(tq_as_str(label))
                                          : tq_repr(ctx, label);
    tq_decref(label);
    /* a row of numbers and text is pandas' object: a missing number
     * shows NaN, and where a UNION's branches must agree on a type
     * (expr_type) every value is text, written as it shows */
    const tq_dialect_t *d = f->st->dialect;
    bool mixed = false;
    const char **dt = fm_dtypes(ctx, s);
    if (!dt) {
        free(name);
        return NULL;
    }
    for (size_t i = 0; i < s->n; i++)
        mixed |= strcmp(dt[i], "int64") && strcmp(dt[i], "float64") &&
                 strcmp(dt[i], "bool");
    bool as_text = mixed && d->expr_type;
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i, tq_v FROM (");
    fm_params_t all = {0};
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            tq_buf_add(&b, " UNION ALL ");
        tq_buf_printf(&b, "SELECT %zu AS tq_o, ? AS tq_i, ", i);
        bool nan = mixed && !strcmp(dt[i], "float64");
        if (nan)                     /* a missing number shows NaN */
            tq_buf_add(&b, "coalesce(");
        if (as_text)
            d->astype(&b, 's', s->vals[i]);
        else
            tq_buf_add(&b, s->vals[i]);
        if (nan)
            tq_buf_add(&b, ", 'NaN')");
        tq_buf_printf(&b, " AS tq_v FROM tq_s WHERE %s", where);
        tq_value_t *x = tq_str(s->names[i]);
        fm_param(&all, x);
        tq_decref(x);
        for (size_t k = 0; p && k < p->n; k++)
            fm_param(&all, p->v[k]);
    }
    free(dt);
    tq_buf_add(&b, ") AS tq_u ORDER BY tq_o");
    fstore_t *st = fm_store(ctx, s, b.s, &all);
    tq_buf_free(&b);
    fm_params_clear(&all);
    tq_value_t *v = st ? fm_series(st, "", name, f->boolean) : NULL;
    free(name);
    return v;
}

/* One value of column `col` (quoted SQL in s) where `where`. */
static tq_value_t *cell(tq_ctx_t *ctx, const frame_t *f, const fm_src_t *s,
                        const char *col, const char *where, fm_params_t *p)
{
    char *body = tq_xasprintf("SELECT %s FROM tq_s WHERE %s", col, where);
    tqdb_cursor_t *cur = fm_query(ctx, s, body, p);
    free(body);
    if (!cur)
        return NULL;
    int rc = tqdb_step(cur);
    tq_value_t *v = NULL;
    if (rc == TQDB_ROW) {
        if (tqdb_column_type(cur, 0) == TQDB_NULL)
            v = tq_float(NAN);
        else if (f->boolean)
            v = tq_bool(tqdb_column_int(cur, 0) != 0);
        else
            v = tq_cursor_value(cur, 0);
    } else if (rc < 0) {
        tq_raise_db(ctx);
    } else if (p && p->n) {
        char *k = tq_repr(ctx, p->v[0]);
        tq_raise(ctx, "KeyError", "%s", k ? k : "");
        free(k);
    } else {
        tq_raise(ctx, "IndexError", "single positional indexer is "
                 "out-of-bounds");
    }
    tqdb_cursor_free(&cur);
    return v;
}

/* Rows (a WHERE and an ORDER BY over tq_s, joined to `join` when not
 * NULL) and the chosen columns (all when ncols is SIZE_MAX) as a new
 * frame or Series. */
static tq_value_t *rows_cols(tq_ctx_t *ctx, const frame_t *f,
                             const fm_src_t *s, const char *join,
                             const char *where, const char *order,
                             const size_t *cols, size_t ncols,
                             fm_params_t *p, bool as_series)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i");
    char **names = tq_xcalloc(s->n + 1, sizeof *names);
    size_t n = 0;
    for (size_t k = 0; k < (ncols == SIZE_MAX ? s->n : ncols); k++) {
        size_t i = ncols == SIZE_MAX ? k : cols[k];
        if (as_series)
            tq_buf_printf(&b, ", %s AS tq_v", s->vals[i]);
        else
            tq_buf_printf(&b, ", %s", s->vals[i]);
        names[n++] = s->names[i];
    }
    tq_buf_printf(&b, " FROM tq_s%s WHERE %s ORDER BY %s", join ? join : "",
                  where ? where : f->st->dialect->true_sql,
                  order ? order : "tq_r");
    fstore_t *st = fm_store(ctx, s, b.s, p);
    tq_buf_free(&b);
    tq_value_t *v = NULL;
    if (st) {
        if (f->series)
            v = fm_series(st, f->index_label, f->name, f->boolean);
        else if (as_series)
            v = fm_series(st, f->index_label, names[0], false);
        else
            v = fm_frame(st, f->index_label, names, n);
    }
    free(names);
    return v;
}

/* The columns a key selects: an int/str, a slice or a list. *single is
 * set for one scalar key. Returns a malloc'd index array, or NULL
 * (raised). */
static size_t *pick_cols(tq_ctx_t *ctx, const fm_src_t *s, tq_value_t *k,
                         bool positional, size_t *n, bool *single)
{
    size_t *out = tq_xcalloc(s->n + 1, sizeof *out);
    *n = 0;
    *single = false;
    if (tq_kind(k) == TQ_SLICE) {
        tq_value_t *a = tq_slice_start(k), *b = tq_slice_stop(k);
        int64_t lo = 0, hi = (int64_t)s->n;
        if (positional) {
            if (tq_kind(a) == TQ_INT)
                lo = tq_as_int(a) < 0 ? hi + tq_as_int(a) : tq_as_int(a);
            if (tq_kind(b) == TQ_INT)
                hi = tq_as_int(b) < 0 ? (int64_t)s->n + tq_as_int(b)
                                      : tq_as_int(b);
        } else {
            for (size_t i = 0; i < s->n; i++) {
                if (tq_kind(a) == TQ_STR && !strcmp(s->names[i], tq_as_str(a)))
                    lo = (int64_t)i;
                if (tq_kind(b) == TQ_STR && !strcmp(s->names[i], tq_as_str(b)))
                    hi = (int64_t)i + 1;
            }
        }
        for (int64_t i = lo < 0 ? 0 : lo; i < hi && i < (int64_t)s->n; i++)
            out[(*n)++] = (size_t)i;
        return out;
    }
    size_t m = is_seq(k) ? tq_seq_len(k) : 1;
    *single = !is_seq(k);
    for (size_t j = 0; j < m; j++) {
        tq_value_t *x = is_seq(k) ? tq_seq_get(k, j) : k;
        int64_t found = -1;
        if (positional && tq_kind(x) == TQ_INT) {
            int64_t i = tq_as_int(x);
            if (i < 0)
                i += (int64_t)s->n;
            if (i >= 0 && i < (int64_t)s->n)
                found = i;
        } else if (!positional && tq_kind(x) == TQ_STR) {
            for (size_t i = 0; i < s->n && found < 0; i++)
                if (!strcmp(s->names[i], tq_as_str(x)))
                    found = (int64_t)i;
        }
        if (found < 0) {
            free(out);
            if (positional)
                tq_raise(ctx, "IndexError", "single positional indexer is "
                         "out-of-bounds");
            else
                tq_raise(ctx, "KeyError", "'%s'", tq_kind(x) == TQ_STR
                         ? tq_as_str(x) : "?");
            return NULL;
        }
        out[(*n)++] = (size_t)found;
    }
    return out;
}

/* pandas' KeyError for labels of a list missing from the index (label:
 * the index's name): '[3, 7] not in index' (missing[j] marks keys[j]),
 * or when none is there "None of [Int64Index([3, 7], dtype='int64',
 * name='id')] are in the [index]". */
static void raise_missing(tq_ctx_t *ctx, tq_value_t *const *keys,
                          const bool *missing, size_t n, const char *label)
{
    bool none = true, ints = true, floats = true;
    for (size_t j = 0; j < n; j++) {
        none &= missing[j];
        ints &= tq_kind(keys[j]) == TQ_INT;
        floats &= tq_kind(keys[j]) == TQ_FLOAT;
    }
    tq_buf_t b = {0};
    if (none)
        tq_buf_printf(&b, "None of [%s([", ints ? "Int64Index"
                      : floats ? "Float64Index" : "Index");
    else
        tq_buf_addc(&b, '[');
    for (size_t j = 0, k = 0; j < n; j++) {
        if (!missing[j])
            continue;
        char *r = tq_repr(ctx, keys[j]);
        tq_buf_printf(&b, "%s%s", k++ ? ", " : "", r ? r : "?");
        free(r);
    }
    if (none) {
        tq_buf_printf(&b, "], dtype='%s'", ints ? "int64" : floats
                      ? "float64" : "object");
        if (label && *label)
            tq_buf_printf(&b, ", name='%s'", label);
        tq_buf_add(&b, ")] are in the [index]");
    } else {
        tq_buf_add(&b, "] not in index");
    }
    /* as Python shows a KeyError's text: its repr */
    bool dq = strchr(b.s, '\'') && !strchr(b.s, '"');
    tq_raise(ctx, "KeyError", "%c%s%c", dq ? '"' : '\'', b.s, dq ? '"' : '\'');
    tq_buf_free(&b);
}

/* The rows a list selects, in the list's order and as often as it names
 * them (df.iloc[[0, 0, -1]], df.loc[['a', 'b', 'a']]): a join of tq_s to
 * the list's (position or key, order) pairs as VALUES rows, whose columns
 * SQLite and PostgreSQL both name column1 and column2. A label lists
 * every row that carries it, in row order. Labels are compared by the
 * engine through `CASE tq_i WHEN ? ...` (so that a parameter takes the
 * index's type), and a label missing from the index is pandas' KeyError,
 * a position past either end its IndexError. Sets *join, *where and
 * *order (malloc'd) and adds the parameters to p; 0 or -1 (raised). */
static int list_rows(tq_ctx_t *ctx, const frame_t *f, const fm_src_t *s,
                     tq_value_t *list, bool positional, char **join,
                     char **where, char **order, fm_params_t *p)
{
    size_t m = tq_seq_len(list);
    if (m == 0) {
        *where = tq_xstrdup(f->st->dialect->false_sql);
        return 0;
    }
    /* each key's number among the distinct keys (its first occurrence) */
    size_t *slot = tq_xcalloc(m, sizeof *slot);
    tq_value_t **keys = tq_xcalloc(m, sizeof *keys);
    size_t nkeys = 0;
    int64_t n = positional ? frame_nrows(ctx, f) : 0;
    int rc = n < 0 ? -1 : 0;
    for (size_t j = 0; rc == 0 && j < m; j++) {
        tq_value_t *k = tq_seq_get(list, j);
        if (positional) {
            if (tq_kind(k) != TQ_INT) {
                tq_raise(ctx, "IndexError", "positions are ints");
                rc = -1;
            } else if (tq_as_int(k) >= n || tq_as_int(k) < -n) {
                tq_raise(ctx, "IndexError", "positional indexers are "
                         "out-of-bounds");
                rc = -1;
            }
            continue;
        }
        size_t i = 0;
        for (; i < nkeys; i++) {
            int eq = tq_equal(ctx, keys[i], k);
            if (eq < 0)
                rc = -1;
            if (eq != 0)
                break;
        }
        if (i == nkeys)
            keys[nkeys++] = k;
        slot[j] = i;
    }
    tq_buf_t w = {0}, kase = {0}, vals = {0};
    if (rc == 0 && !positional) {
        tq_buf_add(&w, "tq_i IN (");
        tq_buf_add(&kase, "CASE tq_i");
        for (size_t i = 0; i < nkeys; i++) {
            tq_buf_add(&w, i ? ", ?" : "?");
            tq_buf_printf(&kase, " WHEN ? THEN %zu", i);
        }
        tq_buf_add(&w, ")");
        tq_buf_add(&kase, " END");
        /* which keys the index lacks: one statement over the matches */
        fm_params_t q = {0};
        for (int twice = 0; twice < 2; twice++)
            for (size_t i = 0; i < nkeys; i++)
                fm_param(&q, keys[i]);
        char *body = tq_xasprintf("SELECT DISTINCT %s FROM tq_s WHERE %s",
                                  kase.s, w.s);
        tqdb_cursor_t *cur = fm_query(ctx, s, body, &q);
        free(body);
        fm_params_clear(&q);
        bool *missing = tq_xcalloc(nkeys + 1, sizeof *missing);
        for (size_t i = 0; i < nkeys; i++)
            missing[i] = true;
        int st = cur ? TQDB_ROW : -1;
        while (cur && (st = tqdb_step(cur)) == TQDB_ROW) {
            int64_t i = tqdb_column_int(cur, 0);
            if (i >= 0 && (size_t)i < nkeys)
                missing[i] = false;
        }
        tqdb_cursor_free(&cur);
        if (st < 0) {
            if (!tq_error_pending(ctx))
                tq_raise_db(ctx);
            rc = -1;
        } else {
            for (size_t i = 0; i < nkeys && rc == 0; i++)
                if (missing[i]) {
                    raise_missing(ctx, keys, missing, nkeys, f->index_label);
                    rc = -1;
                }
        }
        free(missing);
    }
    if (rc == 0) {
        tq_buf_add(&vals, "(VALUES ");
        for (size_t j = 0; j < m; j++) {
            int64_t at = 0;
            if (positional) {
                int64_t i = tq_as_int(tq_seq_get(list, j));
                at = (i < 0 ? i + n : i) + 1;           /* the rowid */
            } else {
                at = (int64_t)slot[j];
            }
            tq_buf_printf(&vals, "%s(%" PRId64 ", %zu)", j ? ", " : "", at,
                          j);
        }
        tq_buf_add(&vals, ")");
        if (positional) {
            *join = tq_xasprintf(" JOIN (SELECT column1 AS tq_kr, column2 AS "
                                 "tq_ko FROM %s AS tq_k0) AS tq_k ON tq_r = "
                                 "tq_kr", vals.s);
        } else {
            *join = tq_xasprintf(" JOIN (SELECT column1 AS tq_kr, column2 AS "
                                 "tq_ko FROM %s AS tq_k0) AS tq_k ON %s = "
                                 "tq_kr", vals.s, kase.s);
            *where = tq_buf_take(&w);
            for (size_t i = 0; i < nkeys; i++)         /* the join's CASE */
                fm_param(p, keys[i]);
            for (size_t i = 0; i < nkeys; i++)         /* the WHERE's IN */
                fm_param(p, keys[i]);
        }
        *order = tq_xstrdup("tq_ko, tq_r");
    }
    tq_buf_free(&w);
    tq_buf_free(&kase);
    tq_buf_free(&vals);
    free(slot);
    free(keys);
    return rc;
}

/* True when a list of positions holds a negative one: pandas takes such
 * positions as given, and its index keeps no frequency then. */
static bool negative_in(tq_value_t *list)
{
    for (size_t j = 0; j < tq_seq_len(list); j++)
        if (tq_kind(tq_seq_get(list, j)) == TQ_INT &&
            tq_as_int(tq_seq_get(list, j)) < 0)
            return true;
    return false;
}

static tq_value_t *floc_getitem(tq_ctx_t *ctx, tq_value_t *self,
                                tq_value_t *key)
{
    floc_t *x = tq_native_data(self);
    frame_t *f = FM_SELF(x->of);
    if (frame_sync(ctx, f) < 0)
        return NULL;
    tq_value_t *rk = key, *ck = NULL;
    if (tq_kind(key) == TQ_TUPLE && tq_seq_len(key) == 2) {
        rk = tq_seq_get(key, 0);
        ck = tq_seq_get(key, 1);
        if (f->series)
            return tq_raise(ctx, "IndexingError", "Too many indexers");
    }
    /* boolean Series or predicates: the frame's own filter */
    if (!x->positional && !ck && tq_kind(rk) == TQ_NATIVE)
        return tq_getitem(ctx, x->of, rk);
    if (!x->positional && ck && tq_kind(rk) == TQ_NATIVE) {
        tq_value_t *rows = tq_getitem(ctx, x->of, rk);
        if (!rows)
            return NULL;
        tq_value_t *loc = tq_getattr(ctx, rows, "loc");
        tq_decref(rows);
        if (!loc)
            return NULL;
        tq_value_t *all = tq_slice_new(tq_none(), tq_none(), tq_none());
        tq_value_t *k2 = tq_tuple_new(2);
        tq_tuple_set(k2, 0, all);
        tq_tuple_set(k2, 1, tq_incref(ck));
        tq_value_t *v = tq_getitem(ctx, loc, k2);
        tq_decref(k2);
        tq_decref(loc);
        return v;
    }
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    size_t *cols = NULL, ncols = SIZE_MAX;
    bool one_col = false;
    if (ck && !(cols = pick_cols(ctx, &s, ck, x->positional, &ncols,
                                 &one_col))) {
        fm_src_clear(&s);
        return NULL;
    }
    fm_params_t p = {0};
    char *join = NULL, *where = NULL, *order = NULL;
    bool one_row = false;
    tq_value_t *v = NULL;
    if (tq_kind(rk) == TQ_SLICE) {
        tq_value_t *a = tq_slice_start(rk), *b = tq_slice_stop(rk);
        if (x->positional) {
            int64_t n = frame_nrows(ctx, f);
            if (n < 0)
                goto done;
            int64_t lo = tq_kind(a) == TQ_INT ? tq_as_int(a) : 0;
            int64_t hi = tq_kind(b) == TQ_INT ? tq_as_int(b) : n;
            lo = lo < 0 ? (lo + n < 0 ? 0 : lo + n) : lo;
            hi = hi < 0 ? (hi + n < 0 ? 0 : hi + n) : hi;
            where = tq_xasprintf("tq_r > %" PRId64 " AND tq_r <= %" PRId64,
                                 lo, hi);
        } else {
            /* labels, both ends included, by their first/last position */
            tq_buf_t w = {0};
            tq_buf_add(&w, f->st->dialect->true_sql);
            /* a label missing from a sorted index bounds by value */
            if (tq_kind(a) != TQ_NONE) {
                tq_buf_add(&w, " AND tq_r >= coalesce((SELECT min(tq_r) FROM "
                           "tq_s WHERE tq_i = ?), (SELECT min(tq_r) FROM tq_s "
                           "WHERE tq_i >= ?))");
                fm_param(&p, a);
                fm_param(&p, a);
            }
            if (tq_kind(b) != TQ_NONE) {
                tq_buf_add(&w, " AND tq_r <= coalesce((SELECT max(tq_r) FROM "
                           "tq_s WHERE tq_i = ?), (SELECT max(tq_r) FROM tq_s "
                           "WHERE tq_i <= ?))");
                fm_param(&p, b);
                fm_param(&p, b);
            }
            where = tq_buf_take(&w);
        }
    } else if (is_seq(rk)) {
        if (list_rows(ctx, f, &s, rk, x->positional, &join, &where, &order,
                      &p) < 0)
            goto done;
    } else {
        one_row = true;
        if (x->positional) {
            if (tq_kind(rk) != TQ_INT) {
                tq_raise(ctx, "TypeError", "iloc takes ints, slices or "
                         "lists of ints");
                goto done;
            }
            int64_t n = frame_nrows(ctx, f);
            int64_t i = tq_as_int(rk) < 0 ? tq_as_int(rk) + n : tq_as_int(rk);
            where = tq_xasprintf("tq_r = %" PRId64, i + 1);
        } else {
            where = tq_xstrdup("tq_i = ?");
            fm_param(&p, rk);
        }
    }
    if (one_row && f->series) {
        v = cell(ctx, f, &s, s.vals[0], where, &p);
    } else if (one_row && one_col) {
        v = cell(ctx, f, &s, s.vals[cols[0]], where, &p);
    } else if (one_row) {
        if (cols) {
            /* a row of some columns: restrict the source first */
            fm_src_t s2 = s;
            s2.n = ncols;
            char **vals = tq_xcalloc(ncols + 1, sizeof *vals);
            char **names = tq_xcalloc(ncols + 1, sizeof *names);
            for (size_t k = 0; k < ncols; k++) {
                vals[k] = s.vals[cols[k]];
                names[k] = s.names[cols[k]];
            }
            s2.vals = vals;
            s2.names = names;
            v = row_series(ctx, f, &s2, where, &p);
            free(vals);
            free(names);
        } else {
            v = row_series(ctx, f, &s, where, &p);
        }
    } else {
        v = rows_cols(ctx, f, &s, join, where, order, cols, ncols, &p,
                      one_col);
        /* a slice keeps the index's frequency, iloc's positions may */
        if (tq_kind(rk) == TQ_SLICE)
            v = fm_keep_freq(ctx, v, f, FM_ROWS_SLICE);
        else if (x->positional && is_seq(rk) && !negative_in(rk))
            v = fm_keep_freq(ctx, v, f, FM_ROWS_TAKE);
    }
done:
    free(join);
    free(where);
    free(order);
    free(cols);
    fm_params_clear(&p);
    fm_src_clear(&s);
    return v;
}

static char *floc_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    floc_t *x = tq_native_data(self);
    return tq_xstrdup(x->positional ? "<iLocIndexer>" : "<LocIndexer>");
}

static const tq_type_t floc_type = {
    .name = "Indexer",
    .destroy = floc_destroy,
    .repr = floc_repr,
    .getitem = floc_getitem,
};

static tq_value_t *indexer(tq_value_t *self, bool positional)
{
    floc_t *x = tq_xcalloc(1, sizeof *x);
    x->of = tq_incref(self);
    x->positional = positional;
    return tq_native_new(&floc_type, x);
}

static tq_value_t *p_loc(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    (void)ctx, (void)a;
    return indexer(self, false);
}

static tq_value_t *p_iloc(tq_ctx_t *ctx, tq_value_t *self,
                          const tq_args_t *a)
{
    (void)ctx, (void)a;
    return indexer(self, true);
}

/* fm_series_methods: see frame_methods.h. */
const fm_method_t fm_series_methods[] = {
    {"value_counts", m_value_counts, FM_SERIES, false},
    {"unique", m_unique, FM_SERIES, false},
    {"nunique", m_nunique, FM_BOTH, false},
    {"apply", m_apply, FM_SERIES, false},
    {"str", p_str, FM_SERIES, true},
    {"rolling", m_rolling, FM_BOTH, false},
    {"loc", p_loc, FM_BOTH, true},
    {"iloc", p_iloc, FM_BOTH, true},
    {NULL, NULL, FM_BOTH, false},
};
