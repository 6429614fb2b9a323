/*
 * This file implements the pandas methods of frames (LANGUAGE.md section
 * 6) beyond frame.c's core, each as SQL over the frame's temp table: a
 * common table expression tq_s (fm_src_init) read by one statement that
 * fills a new store (CREATE TEMP TABLE ... AS WITH ...) or yields a few
 * numbers. Window functions give cumsum, shift, diff, pct_change, rank and
 * rolling windows; GROUP BY gives value_counts and the per-column
 * reductions; row positions are rowid ranges (a store's rowids are 1..n
 * in row order, as CREATE TABLE ... AS fills them).
 *
 * The registration table at the end lists every method with where it
 * applies (frames, Series or both) and whether it is a property
 * (dtypes, shape-like values computed at once); frame.c's getattr falls
 * back to frame_method_lookup. Series-only methods and the accessors
 * (str, rolling, loc, iloc) are in frame_series.c.
 *
 * Where pandas and SQL differ, frames decide (tests/golden/frame_*.test
 * and tests/notebooks/test_pandas_methods.py pin it):
 *  - reductions of a frame (sum mean std median quantile) leave text
 *    columns out, as pandas' numeric_only=True; min max count keep them;
 *  - row order of results follows pandas: value_counts by count then first
 *    appearance, merge by left rows (inner: grouped by key in the order
 *    keys first appear on the left).
 */
#include "frame/frame_methods.h"
#include "frame/frame_cols.h"
#include "base/temporal.h"
#include "sql/dialect.h"
#include "vm/interp.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

/* ---- the source CTE */

/* The dtypes of n value expressions `vals` over `from` (a FROM clause
 * with f's parameters): one aggregate statement. 0 or -1 (raised). */
static int read_dtypes(tq_ctx_t *ctx, const char *from, const frag_t *fr,
                       char *const *vals, size_t n, const char **out)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT count(*)");
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    for (size_t i = 0; i < n; i++) {
        tq_buf_printf(&b, ", count(%s), count(CASE WHEN ", vals[i]);
        d->value_type(&b, vals[i]);
        tq_buf_add(&b, " = 'integer' THEN 1 END), count(CASE WHEN ");
        d->value_type(&b, vals[i]);
        tq_buf_add(&b, " = 'real' THEN 1 END)");
    }
    tq_buf_printf(&b, " FROM %s", from);
    tqdb_cursor_t *cur = frame_prepare(ctx, b.s, fr);
    tq_buf_free(&b);
    if (!cur)
        return -1;
    int rc = tqdb_step(cur);
    if (rc == TQDB_ROW) {
        int64_t rows = tqdb_column_int(cur, 0);
        for (size_t i = 0; i < n; i++) {
            int64_t c = tqdb_column_int(cur, (int)(1 + 3 * i)),
                    ni = tqdb_column_int(cur, (int)(2 + 3 * i)),
                    nr = tqdb_column_int(cur, (int)(3 + 3 * i));
            /* ints with missing values read as float64, as read_sql */
            out[i] = c > 0 && ni == c && rows == c ? "int64"
                   : c > 0 && ni + nr == c         ? "float64"
                   : c == 0 && out[i]              ? out[i]
                                                   : "object";
        }
    }
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

/* Drops the cached dtype of cache entry i (swapping the last one in). */
static void dt_forget(fstore_t *st, size_t i)
{
    assert(i < st->ndt);
    free(st->dt_cols[i]);
    st->dt_cols[i] = st->dt_cols[st->ndt - 1];
    st->dt_types[i] = st->dt_types[st->ndt - 1];
    st->ndt--;
}

/* frame_column_changed: see frame_methods.h. */
void frame_column_changed(fstore_t *st, const char *col)
{
    /* only its copy: a column computed from it was made a stored one
     * first (frame.c's solidify) */
    frame_cols_forget(st, col);
    for (size_t i = 0; i < st->ndt; i++)
        if (!strcmp(st->dt_cols[i], col)) {
            dt_forget(st, i);
            return;
        }
}

static int dt_find(const fstore_t *st, const char *col)
{
    for (size_t i = 0; i < st->ndt; i++)
        if (!strcmp(st->dt_cols[i], col))
            return (int)i;
    return -1;
}

static int dt_ensure(tq_ctx_t *ctx, fstore_t *st, const char *const *want,
                     size_t nwant);

/* frame_dtypes_inherit: see frame_methods.h. */
int frame_dtypes_inherit(tq_ctx_t *ctx, fstore_t *dst, fstore_t *src,
                         const qdesc_t *q)
{
    assert(dst != src && q);
    /* reads src's dtypes when they are not cached, in one statement */
    const char **names = tq_xcalloc(q->nfields + 1, sizeof *names);
    size_t n = 0;
    for (size_t i = 0; i < q->nfields; i++)
        /* internal columns (tq_rowid, tq_i: an index) need no dtype */
        if (q->fields[i].expr && q->fields[i].expr->kind == QX_REF &&
            strncmp(q->fields[i].expr->name, "tq_", 3) != 0)
            names[n++] = q->fields[i].expr->name;
    int rc = dt_ensure(ctx, src, names, n);
    free(names);
    if (rc < 0)
        return -1;
    if (src->dt_gen != frame_generation || dst->ndt)
        return 0;
    dst->dt_gen = frame_generation;
    for (size_t i = 0; i < q->nfields; i++) {
        const qfield_t *fd = &q->fields[i];
        if (!fd->expr || fd->expr->kind != QX_REF || dt_find(dst, fd->name) >= 0)
            continue;
        int at = dt_find(src, fd->expr->name);
        if (at < 0)
            continue;
        dst->dt_cols = tq_xrealloc(dst->dt_cols, (dst->ndt + 1) *
                                   sizeof *dst->dt_cols);
        dst->dt_types = tq_xrealloc(dst->dt_types, (dst->ndt + 1) *
                                    sizeof *dst->dt_types);
        dst->dt_cols[dst->ndt] = tq_xstrdup(fd->name);
        dst->dt_types[dst->ndt++] = src->dt_types[at];
    }
    return 0;
}

static bool wanted(const char *const *want, size_t nwant, const char *col)
{
    if (!want)
        return true;
    for (size_t i = 0; i < nwant; i++)
        if (!strcmp(want[i], col))
            return true;
    return false;
}

/* Reads into st's cache the dtypes of the columns `want` (all of the
 * store's when NULL) that it lacks, in one statement; columns declared
 * date or datetime need no reading. The cache holds the columns read
 * since the last frame_changed(); a column assigned since is dropped from
 * it (frame_column_changed). 0 or -1 (raised). */
static int dt_ensure(tq_ctx_t *ctx, fstore_t *st, const char *const *want,
                     size_t nwant)
{
    if (st->dt_gen != frame_generation)
        while (st->ndt)
            dt_forget(st, st->ndt - 1);
    st->dt_gen = frame_generation;
    size_t missing = 0;
    for (size_t i = 0; want && i < nwant; i++)
        missing += dt_find(st, want[i]) < 0;
    if (want && !missing)
        return 0;
    tq_schema_t *sc = frame_schema(ctx, st);
    if (!sc)
        return -1;
    const tq_stable_t *t = &sc->tables[0];
    char **cols = tq_xcalloc(t->ncols + 1, sizeof *cols);
    char **vals = tq_xcalloc(t->ncols + 1, sizeof *vals);
    const char **types = tq_xcalloc(t->ncols + 1, sizeof *types);
    size_t n = 0, nread = 0;
    /* the columns to read first (0..nread), then the declared dates and
     * those whose in-memory copy tells (frame_cols.h) */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < t->ncols; i++) {
            const char *name = t->cols[i].name;
            if (dt_find(st, name) >= 0 || !wanted(want, nwant, name))
                continue;
            tq_temporal_t k = tq_temporal_of_decltype(t->cols[i].decltype);
            /* declared dates and datetimes are pandas' datetime64 columns */
            bool temporal = k == TQ_TEMPORAL_DATE ||
                            k == TQ_TEMPORAL_DATETIME;
            const char *copied = temporal ? NULL
                                          : frame_cols_dtype(st, name);
            if ((temporal || copied) != (pass == 1))
                continue;
            types[n] = temporal ? "datetime64[ns]" : copied;
            /* all missing: float64 when its source column was */
            for (size_t j = 0; !temporal && !copied && j < st->nfloat; j++)
                if (!strcmp(st->float_cols[j], name))
                    types[n] = "float64";
            cols[n] = tq_xstrdup(name);
            tq_buf_t q = {0};
            tq_buf_ident(&q, cols[n]);
            vals[n] = tq_buf_take(&q);
            n++;
            nread += !temporal && !copied;
        }
    tq_schema_free(&sc);
    tq_buf_t from = {0};
    frame_table_ref(&from, st);
    int rc = nread ? read_dtypes(ctx, from.s, NULL, vals, nread, types) : 0;
    tq_buf_free(&from);
    if (rc == 0) {
        st->dt_cols = tq_xrealloc(st->dt_cols, (st->ndt + n + 1) *
                                  sizeof *st->dt_cols);
        st->dt_types = tq_xrealloc(st->dt_types, (st->ndt + n + 1) *
                                   sizeof *st->dt_types);
        for (size_t i = 0; i < n; i++) {
            assert(types[i]);
            st->dt_cols[st->ndt] = cols[i];
            st->dt_types[st->ndt++] = types[i];
            cols[i] = NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(vals[i]);
        free(cols[i]);
    }
    free(vals);
    free(cols);
    free(types);
    return rc;
}

/* fm_store_dtype: see frame_methods.h. */
const char *fm_store_dtype(tq_ctx_t *ctx, fstore_t *st, const char *col)
{
    if (st->mem) {
        /* its copies tell, without making its table */
        const char *d = frame_cols_dtype(st, col);
        if (d)
            return d;
    }
    if (dt_ensure(ctx, st, &col, 1) < 0)
        return NULL;
    int at = dt_find(st, col);
    return at >= 0 ? st->dt_types[at] : "object";
}

/* fm_src_init: see frame_methods.h. */
int fm_src_init(tq_ctx_t *ctx, const frame_t *f, fm_src_t *s)
{
    memset(s, 0, sizeof *s);
    s->f = f;
    frame_flush_drops(ctx);
    if (f->series) {
        if (frame_frag_expr(ctx, f->st, f->expr, &s->fr) < 0)
            return -1;
        s->n = 1;
        s->vals = tq_xcalloc(1, sizeof *s->vals);
        s->names = tq_xcalloc(1, sizeof *s->names);
        s->dtypes = tq_xcalloc(1, sizeof *s->dtypes);
        s->vals[0] = tq_xstrdup("tq_v");
        s->names[0] = tq_xstrdup(f->name ? f->name : "0");
        if (f->boolean) {
            s->dtypes[0] = "bool";
        } else if (f->expr->kind == QX_REF) {
            s->dtypes[0] = fm_store_dtype(ctx, f->st, f->expr->name);
        } else {
            tq_buf_t from = {0};
            frame_table_ref(&from, f->st);
            char *v = s->fr.sql;
            if (read_dtypes(ctx, from.s, &s->fr, &v, 1, s->dtypes) < 0)
                s->dtypes[0] = NULL;
            tq_buf_free(&from);
        }
    } else {
        /* every column's dtype in one statement */
        if (!f->boolean &&
            dt_ensure(ctx, f->st, (const char *const *)f->cols, f->ncols) < 0)
            return -1;
        s->n = f->ncols;
        s->vals = tq_xcalloc(f->ncols + 1, sizeof *s->vals);
        s->names = tq_xcalloc(f->ncols + 1, sizeof *s->names);
        s->dtypes = tq_xcalloc(f->ncols + 1, sizeof *s->dtypes);
        for (size_t i = 0; i < f->ncols; i++) {
            tq_buf_t q = {0};
            tq_buf_ident(&q, f->cols[i]);
            s->vals[i] = tq_buf_take(&q);
            s->names[i] = tq_xstrdup(f->cols[i]);
            s->dtypes[i] = f->boolean ? "bool"
                         : fm_store_dtype(ctx, f->st, f->cols[i]);
            if (!s->dtypes[i])
                break;
        }
    }
    for (size_t i = 0; i < s->n; i++)
        if (!s->dtypes[i]) {
            fm_src_clear(s);
            return -1;
        }
    /* a column declared REAL holds floats already: no CAST, so that
     * derived stores keep its declared type */
    tq_schema_t *sc = f->series ? NULL : frame_schema(ctx, f->st);
    tq_buf_t b = {0};
    tq_buf_printf(&b, "WITH tq_s AS (SELECT %s AS tq_r, ",
                  f->st->dialect->store_rowid);
    tq_buf_ident(&b, f->index);
    tq_buf_add(&b, " AS tq_i");
    for (size_t i = 0; i < s->n; i++) {
        const char *e = f->series ? s->fr.sql : s->vals[i];
        int j = sc ? tq_stable_col(&sc->tables[0], s->names[i]) : -1;
        const char *decl = j >= 0 ? sc->tables[0].cols[j].decltype : "";
        bool real = strcasestr(decl, "REAL") || strcasestr(decl, "FLOA") ||
                    strcasestr(decl, "DOUB");
        if (!strcmp(s->dtypes[i], "float64") && !real)
            tq_buf_printf(&b, ", CAST(%s AS %s) AS %s", e,
                          f->st->dialect->type_real, s->vals[i]);
        else if (f->series)
            tq_buf_printf(&b, ", %s AS tq_v", e);
        else
            tq_buf_printf(&b, ", %s", e);
    }
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, f->st);
    tq_buf_addc(&b, ')');
    s->cte = tq_buf_take(&b);
    tq_schema_free(&sc);
    return 0;
}

/* fm_src_clear: see frame_methods.h. */
void fm_src_clear(fm_src_t *s)
{
    frame_frag_clear(&s->fr);
    free(s->cte);
    for (size_t i = 0; i < s->n; i++) {
        free(s->vals[i]);
        free(s->names[i]);
    }
    free(s->vals);
    free(s->names);
    free(s->dtypes);
    memset(s, 0, sizeof *s);
}

/* fm_param: see frame_methods.h. */
void fm_param(fm_params_t *p, tq_value_t *v)
{
    TQ_PUSH(p->v, p->n, p->cap, tq_incref(v));
}

/* fm_params_clear: see frame_methods.h. */
void fm_params_clear(fm_params_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        tq_decref(p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
}

static tqdb_cursor_t *prepare_text(tq_ctx_t *ctx, const fm_src_t *s,
                                   const char *sql, const fm_params_t *p)
{
    tqdb_cursor_t *cur = frame_prepare(ctx, sql, &s->fr);
    if (!cur)
        return NULL;
    for (size_t i = 0; p && i < p->n; i++)
        if (tq_bind(ctx, cur, (int)(s->fr.q.nparams + 1 + i), p->v[i]) < 0) {
            tqdb_cursor_free(&cur);
            return NULL;
        }
    return cur;
}

/* fm_query: see frame_methods.h. */
tqdb_cursor_t *fm_query(tq_ctx_t *ctx, const fm_src_t *s, const char *body,
                        const fm_params_t *p)
{
    char *sql = tq_xasprintf("%s %s", s->cte, body);
    tqdb_cursor_t *cur = prepare_text(ctx, s, sql, p);
    free(sql);
    return cur;
}

/* The source and parameters of fm_store's statements. */
struct store_prep {
    const fm_src_t *s;
    const fm_params_t *p;
};

static tqdb_cursor_t *store_prep(tq_ctx_t *ctx, const char *sql, void *ud)
{
    const struct store_prep *sp = ud;
    return prepare_text(ctx, sp->s, sql, sp->p);
}

/* fm_store: see frame_methods.h. */
fstore_t *fm_store(tq_ctx_t *ctx, const fm_src_t *s, const char *body,
                   const fm_params_t *p)
{
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    char *sql = tq_xasprintf("%s %s", s->cte, body);
    struct store_prep sp = {s, p};
    tq_schema_t *like = frame_schema(ctx, s->f->st);
    int rc = like ? frame_create_as(ctx, st, sql, store_prep, &sp, NULL, 0,
                                    &like->tables[0]) : -1;
    tq_schema_free(&like);
    free(sql);
    for (size_t i = 0; rc == 0 && i < s->n; i++)
        if (s->dtypes[i] && !strcmp(s->dtypes[i], "float64")) {
            st->float_cols = tq_xrealloc(st->float_cols, (st->nfloat + 2) *
                                         sizeof *st->float_cols);
            st->float_cols[st->nfloat++] = tq_xstrdup(s->names[i]);
            if (s->f->series)
                st->float_cols[st->nfloat++] = tq_xstrdup("tq_v");
        }
    if (rc < 0) {
        if (!tq_error_pending(ctx))
            tq_raise_db(ctx);
        free(st->name);
        free(st);
        return NULL;
    }
    return st;
}

/* fm_frame: see frame_methods.h. */
tq_value_t *fm_frame(fstore_t *st, const char *label, char *const *cols,
                     size_t ncols)
{
    return frame_new(st, "tq_i", label ? label : "", cols, ncols);
}

/* fm_series: see frame_methods.h. */
tq_value_t *fm_series(fstore_t *st, const char *label, const char *name,
                      bool boolean)
{
    tq_value_t *v = frame_series_new(st, "tq_i", label ? label : "",
                                     qx_path("tq_v"), name);
    FM_SELF(v)->boolean = boolean;
    return v;
}

/* fm_arg: see frame_methods.h. */
tq_value_t *fm_arg(const tq_args_t *a, size_t i, const char *name)
{
    if (i < a->npos)
        return a->pos[i];
    return name ? tq_args_kw(a, name) : NULL;
}

/* fm_dtypes: see frame_methods.h. */
const char **fm_dtypes(tq_ctx_t *ctx, const fm_src_t *s)
{
    (void)ctx;
    const char **out = tq_xcalloc(s->n + 1, sizeof *out);
    memcpy(out, s->dtypes, s->n * sizeof *out);
    return out;
}

static bool numeric(const char *dtype)
{
    return strcmp(dtype, "object") != 0 &&
           strncmp(dtype, "datetime64", 10) != 0;
}

/* ---- row counts and row slices */

/* frame_nrows: see frame_methods.h. */
int64_t frame_nrows(tq_ctx_t *ctx, const frame_t *f)
{
    if (f->st->nrows >= 0)
        return f->st->nrows;
    frame_flush_drops(ctx);
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT count(*) FROM ");
    frame_table_ref(&b, f->st);
    tqdb_cursor_t *cur = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!cur)
        return -1;
    int rc = tqdb_step(cur);
    int64_t n = rc == TQDB_ROW ? tqdb_column_int(cur, 0) : -1;
    tqdb_cursor_free(&cur);
    if (rc != TQDB_ROW) {
        tq_raise_db(ctx);
        return -1;
    }
    f->st->nrows = n;
    return n;
}

/* The result of a statement shaped like f: a frame with f's columns or a
 * Series with f's name, over st, indexed by tq_i. */
static tq_value_t *like(const frame_t *f, fstore_t *st, char *const *cols,
                        size_t n)
{
    if (f->series)
        return fm_series(st, f->index_label, f->name, f->boolean);
    tq_value_t *v = fm_frame(st, f->index_label, cols, n);
    FM_SELF(v)->boolean = f->boolean;
    return v;
}

/* SELECT tq_i, <cols as in s> FROM tq_s WHERE <where> ORDER BY tq_r */
static tq_value_t *select_rows(tq_ctx_t *ctx, const frame_t *f,
                               const char *where, const char *order,
                               const fm_params_t *p)
{
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i");
    for (size_t i = 0; i < s.n; i++)
        tq_buf_printf(&b, ", %s", s.vals[i]);
    tq_buf_add(&b, " FROM tq_s");
    if (where)
        tq_buf_printf(&b, " WHERE %s", where);
    tq_buf_printf(&b, " ORDER BY %s", order ? order : "tq_r");
    fstore_t *st = fm_store(ctx, &s, b.s, p);
    tq_buf_free(&b);
    tq_value_t *v = st ? like(f, st, s.names, s.n) : NULL;
    fm_src_clear(&s);
    return v;
}

/* frame_rows_slice: see frame_methods.h. */
tq_value_t *frame_rows_slice(tq_ctx_t *ctx, tq_value_t *self, int64_t start,
                             int64_t count)
{
    const frame_t *f = FM_SELF(self);
    int64_t n = frame_nrows(ctx, f);
    if (n < 0)
        return NULL;
    if (start < 0)
        start = 0;
    if (count < 0)
        count = 0;
    if (start > n)
        start = n;
    if (count > n - start)
        count = n - start;
    /* rowids are 1..n in row order */
    char *where = tq_xasprintf("tq_r > %" PRId64 " AND tq_r <= %" PRId64,
                               start, start + count);
    tq_value_t *v = fm_keep_freq(ctx, select_rows(ctx, f, where, NULL, NULL),
                                 f, FM_ROWS_SLICE);
    free(where);
    if (v)
        FM_SELF(v)->st->nrows = count;
    return v;
}

/* ---- small stores from values */

/* fm_store_float: see frame_methods.h. */
void fm_store_float(fstore_t *st, const char *col)
{
    st->float_cols = tq_xrealloc(st->float_cols, (st->nfloat + 1) *
                                 sizeof *st->float_cols);
    st->float_cols[st->nfloat++] = tq_xstrdup(col);
}

/* A Series of n rows: text labels and owned datums (freed here). */
static tq_value_t *series_from(tq_ctx_t *ctx, char *const *labels,
                               tqdb_datum_t **vals, size_t n,
                               const char *name, bool boolean)
{
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    char *cols[2] = {"tq_i", "tq_v"};
    /* frame_column_type spells a type with its leading space */
    const char *types[2] = {frame_column_type(d, NULL, 0),
                            frame_column_type(d, vals, n)};
    fstore_t *st = frame_store_create(ctx, cols, types, 2);
    int rc = st ? frame_store_fill(ctx, st, (const char *const *)labels, n,
                                   1, (const tqdb_datum_t *const *)vals)
                : -1;
    for (size_t r = 0; r < n; r++)
        free(vals[r]);
    if (rc < 0)
        return NULL;           /* st released */
    st->nrows = (int64_t)n;
    return fm_series(st, "", name, boolean);
}

/* ---- dtypes, info */

static tq_value_t *p_dtypes(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    (void)a;
    const frame_t *f = FM_SELF(self);
    if (f->series && !f->boolean && f->expr->kind == QX_REF) {
        /* a column's dtype is the store's (a memory store's from its
         * copies, its table not made) */
        const char *dt = fm_store_dtype(ctx, f->st, f->expr->name);
        return dt ? tq_str(dt) : NULL;
    }
    fm_src_t s;
    if (fm_src_init(ctx, FM_SELF(self), &s) < 0)
        return NULL;
    const char **dt = fm_dtypes(ctx, &s);
    tq_value_t *v = NULL;
    if (dt) {
        if (FM_SELF(self)->series) {
            v = tq_str(dt[0]);
        } else {
            tqdb_datum_t **vals = tq_xcalloc(s.n + 1, sizeof *vals);
            for (size_t i = 0; i < s.n; i++) {
                tqdb_datum_t d = tqdb_datum_text(dt[i], strlen(dt[i]));
                vals[i] = tqdb_datum_dup(&d);
            }
            v = series_from(ctx, s.names, vals, s.n, NULL, false);
            free(vals);
        }
    }
    free(dt);
    fm_src_clear(&s);
    return v;
}

/* n dashes padded with spaces to width w, then two spaces. */
static void rx_dashes(tq_buf_t *b, size_t n, size_t w)
{
    for (size_t k = 0; k < w; k++)
        tq_buf_addc(b, k < n ? '-' : ' ');
    tq_buf_add(b, "  ");
}

/* pandas' _sizeof_fmt. */
static char *sizeof_fmt(double num, bool plus)
{
    static const char *units[] = {"bytes", "KB", "MB", "GB", "TB"};
    for (size_t i = 0; i < 5; i++) {
        if (num < 1024.0 || i == 4)
            return tq_xasprintf("%3.1f%s %s", num, plus ? "+" : "",
                                units[i]);
        num /= 1024.0;
    }
    return NULL;
}

static tq_value_t *m_info(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    (void)a;
    const frame_t *f = FM_SELF(self);
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    const char **dt = fm_dtypes(ctx, &s);
    if (!dt) {
        fm_src_clear(&s);
        return NULL;
    }
    tq_buf_t q = {0};
    tq_buf_add(&q, "SELECT count(*), min(tq_i), max(tq_i)");
    for (size_t i = 0; i < s.n; i++)
        tq_buf_printf(&q, ", count(%s)", s.vals[i]);
    tq_buf_add(&q, " FROM tq_s");
    tqdb_cursor_t *cur = fm_query(ctx, &s, q.s, NULL);
    tq_buf_free(&q);
    if (!cur || tqdb_step(cur) != TQDB_ROW) {
        if (cur)
            tq_raise_db(ctx);
        tqdb_cursor_free(&cur);
        free(dt);
        fm_src_clear(&s);
        return NULL;
    }
    int64_t rows = tqdb_column_int(cur, 0);
    tq_buf_t b = {0};
    tq_buf_add(&b, "<class 'pandas.core.frame.DataFrame'>\n");
    bool range = !f->index_label[0];
    if (range)
        tq_buf_printf(&b, "RangeIndex: %" PRId64 " entries", rows);
    else
        tq_buf_printf(&b, "Int64Index: %" PRId64 " entries", rows);
    if (rows > 0) {
        char *lo = tqdb_column_text(cur, 1) ? tq_xstrdup(tqdb_column_text(cur, 1)) : tq_xstrdup("None");
        char *hi = tqdb_column_text(cur, 2) ? tq_xstrdup(tqdb_column_text(cur, 2)) : tq_xstrdup("None");
        tq_buf_printf(&b, ", %s to %s", lo, hi);
        free(lo);
        free(hi);
    }
    tq_buf_addc(&b, '\n');
    tq_buf_printf(&b, "Data columns (total %zu columns):\n", s.n);
    /* the table: " #   Column  Non-Null Count  Dtype" */
    size_t wn = strlen("Column"), wc = strlen("Non-Null Count"),
           wd = strlen("Dtype"), wi = s.n >= 10 ? 2 : 1;
    char **counts = tq_xcalloc(s.n + 1, sizeof *counts);
    for (size_t i = 0; i < s.n; i++) {
        counts[i] = tq_xasprintf("%" PRId64 " non-null",
                                 tqdb_column_int(cur, (int)(3 + i)));
        wn = strlen(s.names[i]) > wn ? strlen(s.names[i]) : wn;
        wc = strlen(counts[i]) > wc ? strlen(counts[i]) : wc;
        wd = strlen(dt[i]) > wd ? strlen(dt[i]) : wd;
    }
    tqdb_cursor_free(&cur);
    char *idxw = tq_xasprintf("%zu", s.n);
    wi = strlen(idxw) > 1 ? strlen(idxw) : 1;
    free(idxw);
    wi = wi < 1 ? 1 : wi;
    tq_buf_printf(&b, " %-*s  %-*s  %-*s  %-*s \n", (int)(wi + 1), "#",
                  (int)wn, "Column", (int)wc, "Non-Null Count", (int)wd,
                  "Dtype");
    /* pandas' dashes are as long as the headers, not the columns */
    tq_buf_add(&b, "---  ");
    rx_dashes(&b, strlen("Column"), wn);
    rx_dashes(&b, strlen("Non-Null Count"), wc);
    rx_dashes(&b, strlen("Dtype"), wd);
    b.len--;
    b.s[b.len] = 0;
    tq_buf_add(&b, "\n");

    size_t nint = 0, nfloat = 0, nobj = 0, nbool = 0, ndt = 0;
    for (size_t i = 0; i < s.n; i++) {
        tq_buf_printf(&b, " %-*zu  %-*s  %-*s  %-*s \n", (int)(wi + 1), i,
                      (int)wn, s.names[i], (int)wc, counts[i], (int)wd,
                      dt[i]);
        nint += !strcmp(dt[i], "int64");
        nfloat += !strcmp(dt[i], "float64");
        nobj += !strcmp(dt[i], "object");
        ndt += !strncmp(dt[i], "datetime64", 10);
        nbool += !strcmp(dt[i], "bool");
        free(counts[i]);
    }
    free(counts);
    tq_buf_add(&b, "dtypes: ");
    bool first = true;
#define DT(n, name)                                                        \
    if (n) {                                                               \
        tq_buf_printf(&b, "%s%s(%zu)", first ? "" : ", ", name, n);        \
        first = false;                                                     \
    }
    DT(nbool, "bool")
    DT(ndt, "datetime64[ns]")
    DT(nfloat, "float64")
    DT(nint, "int64")
    DT(nobj, "object")
#undef DT
    tq_buf_addc(&b, '\n');
    double bytes = (range ? 128.0 : 8.0 * (double)rows) +
                   (double)s.n * 8.0 * (double)rows;
    if (nbool)
        bytes -= 7.0 * (double)nbool * (double)rows;
    char *mem = sizeof_fmt(bytes, nobj > 0);
    tq_buf_printf(&b, "memory usage: %s\n", mem);
    free(mem);
    tq_ctx_print(ctx, b.s, b.len);
    tq_buf_free(&b);
    free(dt);
    fm_src_clear(&s);
    return tq_none();
}

/* ---- missing values */

static bool int_or_float(const char *dtype)
{
    return !strcmp(dtype, "int64") || !strcmp(dtype, "float64");
}

/* Appends fmt with each %s replaced by col (and %% by %). */
static void add_col_fmt(tq_buf_t *b, const char *fmt, const char *col)
{
    for (const char *c = fmt; *c; c++) {
        if (c[0] == '%' && c[1] == 's') {
            tq_buf_add(b, col);
            c++;
        } else if (c[0] == '%' && c[1] == '%') {
            tq_buf_addc(b, '%');
            c++;
        } else {
            assert(*c != '%');
            tq_buf_addc(b, *c);
        }
    }
}

/* Each column mapped through `fmt` (SQL text whose every %s is the
 * column, %% a percent sign). With to_float, the
 * result of an int64 or float64 column is float64 even where all its
 * values are missing (pandas' shift, diff, pct_change). */
static tq_value_t *map_columns(tq_ctx_t *ctx, const frame_t *f,
                               const char *fmt, const fm_params_t *p,
                               bool per_col_params, bool only_numeric,
                               bool boolean, bool to_float)
{
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    const char **dt = NULL;
    if ((only_numeric || to_float) && !(dt = fm_dtypes(ctx, &s))) {
        fm_src_clear(&s);
        return NULL;
    }
    fm_params_t all = {0};
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i");
    char **cols = tq_xcalloc(s.n + 1, sizeof *cols);
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (only_numeric && !numeric(dt[i]) && !f->series)
            continue;
        tq_buf_add(&b, ", ");
        add_col_fmt(&b, fmt, s.vals[i]);
        tq_buf_printf(&b, " AS %s", s.vals[i]);
        cols[n++] = s.names[i];
        if (p && per_col_params)
            fm_param(&all, p->v[i < p->n ? i : p->n - 1]);
        else if (p && n == 1)           /* the first column shown */
            for (size_t k = 0; k < p->n; k++)
                fm_param(&all, p->v[k]);
    }
    tq_buf_add(&b, " FROM tq_s ORDER BY tq_r");
    /* a shared parameter list is repeated once per column */
    if (p && !per_col_params && n > 1) {
        size_t once = all.n;
        for (size_t c = 1; c < n; c++)
            for (size_t k = 0; k < once; k++)
                fm_param(&all, all.v[k]);
    }
    fstore_t *st = fm_store(ctx, &s, b.s, &all);
    tq_buf_free(&b);
    fm_params_clear(&all);
    for (size_t i = 0; st && to_float && i < s.n; i++)
        if (int_or_float(dt[i]))
            fm_store_float(st, f->series ? "tq_v" : s.names[i]);
    tq_value_t *v = NULL;
    if (st) {
        if (f->series)
            v = fm_series(st, f->index_label, f->name, boolean);
        else {
            v = fm_frame(st, f->index_label, cols, n);
            FM_SELF(v)->boolean = boolean;
        }
        FM_SELF(v)->st->nrows = f->st->nrows;
        v = fm_keep_freq(ctx, v, f, FM_ROWS_SAME);
    }
    free(cols);
    free(dt);
    fm_src_clear(&s);
    return v;
}

static tq_value_t *isna_impl(tq_ctx_t *ctx, tq_value_t *self, bool na)
{
    const frame_t *f = FM_SELF(self);
    if (f->series) {
        /* lazy: a boolean expression over the same store */
        f->st->refs++;
        qexpr_t *e = qx_lookup(qx_ref(f->expr), "isnull",
                               qx_lit(qlit_int(na ? 1 : 0)));
        tq_value_t *v = frame_series_new(f->st, f->index, f->index_label, e,
                                         f->name);
        FM_SELF(v)->boolean = true;
        return v;
    }
    return map_columns(ctx, f, na ? "(%s IS NULL)" : "(%s IS NOT NULL)",
                       NULL, false, false, true, false);
}

static tq_value_t *m_isna(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    (void)a;
    return isna_impl(ctx, self, true);
}

static tq_value_t *m_notna(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    (void)a;
    return isna_impl(ctx, self, false);
}

static bool scalar(tq_value_t *v)
{
    tq_kind_t k = tq_kind(v);
    return k == TQ_NONE || k == TQ_BOOL || k == TQ_INT || k == TQ_FLOAT ||
           k == TQ_STR;
}

static tq_value_t *m_fillna(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *v = fm_arg(a, 0, "value");
    tq_value_t *method = tq_args_kw(a, "method");
    if (method) {
        if (tq_kind(method) != TQ_STR ||
            (strcmp(tq_as_str(method), "ffill") &&
             strcmp(tq_as_str(method), "pad")))
            return tq_raise(ctx, "ValueError", "fillna(method=) takes "
                            "'ffill' or 'pad'");
        /* the last non-missing value: the first of its run, where runs
         * are numbered by the count of non-missing values so far */
        fm_src_t s;
        if (fm_src_init(ctx, f, &s) < 0)
            return NULL;
        tq_buf_t b = {0};
        tq_buf_add(&b, "SELECT tq_i");
        for (size_t i = 0; i < s.n; i++)
            tq_buf_printf(&b, ", first_value(%s) OVER (PARTITION BY tq_g%zu "
                          "ORDER BY tq_r) AS %s", s.vals[i], i, s.vals[i]);
        tq_buf_add(&b, " FROM (SELECT *");
        for (size_t i = 0; i < s.n; i++)
            tq_buf_printf(&b, ", count(%s) OVER (ORDER BY tq_r) AS tq_g%zu",
                          s.vals[i], i);
        tq_buf_add(&b, " FROM tq_s) AS tq_w ORDER BY tq_r");
        fstore_t *st = fm_store(ctx, &s, b.s, NULL);
        tq_buf_free(&b);
        tq_value_t *r = st ? like(f, st, s.names, s.n) : NULL;
        fm_src_clear(&s);
        return r;
    }
    if (!v)
        return tq_raise(ctx, "ValueError", "Must specify a fill 'value' or "
                        "'method'.");
    fm_params_t p = {0};
    bool per_col = false;
    if (tq_kind(v) == TQ_DICT && !f->series) {
        /* {column: value}: others stay as they are (NULL fills nothing) */
        for (size_t i = 0; i < f->ncols; i++) {
            tq_value_t *x = tq_dict_get_str(v, f->cols[i]);
            fm_param(&p, x ? x : tq_none());
        }
        per_col = true;
    } else if (scalar(v)) {
        fm_param(&p, v);
    } else {
        return tq_raise(ctx, "TypeError", "fillna() takes a scalar or a "
                        "dict of column values, not %s", tq_type_name(v));
    }
    tq_value_t *r = map_columns(ctx, f, "coalesce(%s, ?)", &p, per_col,
                                false, false, false);
    fm_params_clear(&p);
    return r;
}

static tq_value_t *m_dropna(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *how = tq_args_kw(a, "how"), *subset = tq_args_kw(a, "subset");
    bool all = how && tq_kind(how) == TQ_STR && !strcmp(tq_as_str(how), "all");
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    tq_buf_t w = {0};
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (subset) {
            bool in = false;
            size_t m = tq_kind(subset) == TQ_STR ? 1 : tq_seq_len(subset);
            for (size_t j = 0; j < m; j++) {
                tq_value_t *x = tq_kind(subset) == TQ_STR
                              ? subset : tq_seq_get(subset, j);
                in |= tq_kind(x) == TQ_STR &&
                      !strcmp(tq_as_str(x), s.names[i]);
            }
            if (!in)
                continue;
        }
        if (k++)
            tq_buf_add(&w, all ? " OR " : " AND ");
        tq_buf_printf(&w, "%s IS NOT NULL", s.vals[i]);
    }
    fm_src_clear(&s);
    tq_value_t *v = fm_keep_freq(ctx, select_rows(ctx, f, k ? w.s : NULL,
                                                  NULL, NULL),
                                 f, FM_ROWS_MASK);
    tq_buf_free(&w);
    return v;
}

/* ---- astype, rename, drop, set_index, reset_index */

/* The SQL type a pandas dtype casts to, or NULL. */
static const char *cast_type(tq_ctx_t *ctx, tq_value_t *t)
{
    char *r = tq_kind(t) == TQ_STR ? tq_xstrdup(tq_as_str(t))
                                   : tq_repr(ctx, t);
    if (!r)
        return NULL;
    const char *out = NULL;
    if (strstr(r, "float"))
        out = "REAL";
    else if (strstr(r, "int"))
        out = "INTEGER";
    else if (strstr(r, "str") || strstr(r, "object"))
        out = "TEXT";
    free(r);
    if (!out)
        tq_raise(ctx, "TypeError", "astype() takes int, float or str");
    return out;
}

static tq_value_t *m_astype(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *t = fm_arg(a, 0, "dtype");
    if (!t)
        return tq_raise(ctx, "TypeError", "astype() missing 1 required "
                        "positional argument: 'dtype'");
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i");
    int rc = 0;
    for (size_t i = 0; i < s.n && rc == 0; i++) {
        tq_value_t *ti = t;
        if (tq_kind(t) == TQ_DICT)
            ti = tq_dict_get_str(t, s.names[i]);
        if (!ti) {
            tq_buf_printf(&b, ", %s", s.vals[i]);
            continue;
        }
        const char *ty = cast_type(ctx, ti);
        if (!ty) {
            rc = -1;
            break;
        }
        /* str(nan) is 'nan' in pandas; text keeps its NULLs here */
        tq_buf_add(&b, ", ");
        f->st->dialect->astype(&b, !strcmp(ty, "INTEGER") ? 'i'
                                   : !strcmp(ty, "REAL")  ? 'f' : 's',
                               s.vals[i]);
        tq_buf_printf(&b, " AS %s", s.vals[i]);
    }
    tq_value_t *v = NULL;
    if (rc == 0) {
        tq_buf_add(&b, " FROM tq_s ORDER BY tq_r");
        fstore_t *st = fm_store(ctx, &s, b.s, NULL);
        v = st ? like(f, st, s.names, s.n) : NULL;
        if (v && f->series)
            FM_SELF(v)->boolean = false;
    }
    tq_buf_free(&b);
    fm_src_clear(&s);
    return v;
}

/* A copy of f with its columns renamed/reordered: names[i] for the
 * column vals[i] of the source (NULL drops it). */
static tq_value_t *reshape(tq_ctx_t *ctx, const frame_t *f, fm_src_t *s,
                           char **names, const char *index_sql,
                           const char *label)
{
    tq_buf_t b = {0};
    tq_buf_printf(&b, "SELECT %s AS tq_i", index_sql ? index_sql : "tq_i");
    char **cols = tq_xcalloc(s->n + 1, sizeof *cols);
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!names[i])
            continue;
        for (size_t k = 0; k < n; k++)
            if (!strcmp(cols[k], names[i])) {
                tq_buf_free(&b);
                free(cols);
                return tq_raise(ctx, "ValueError", "duplicate column "
                                "name '%s'", names[i]);
            }
        tq_buf_printf(&b, ", %s AS ", s->vals[i]);
        tq_buf_ident(&b, names[i]);
        cols[n++] = names[i];
    }
    tq_buf_add(&b, " FROM tq_s ORDER BY tq_r");
    fstore_t *st = fm_store(ctx, s, b.s, NULL);
    tq_buf_free(&b);
    tq_value_t *v = NULL;
    if (st) {
        v = fm_frame(st, label ? label : f->index_label, cols, n);
        FM_SELF(v)->st->nrows = f->st->nrows;
    }
    free(cols);
    return v;
}

static tq_value_t *m_rename(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    if (f->series) {
        tq_value_t *n = fm_arg(a, 0, "index");
        if (!n || (tq_kind(n) != TQ_STR && tq_kind(n) != TQ_NONE))
            return tq_raise(ctx, "TypeError", "Series.rename() takes a "
                            "name");
        f->st->refs++;
        tq_value_t *v = frame_series_new(f->st, f->index, f->index_label,
                                         qx_ref(f->expr),
                                         tq_kind(n) == TQ_STR
                                         ? tq_as_str(n) : NULL);
        FM_SELF(v)->boolean = f->boolean;
        return v;
    }
    tq_value_t *m = tq_args_kw(a, "columns");
    if (!m || tq_kind(m) != TQ_DICT)
        return tq_raise(ctx, "TypeError", "rename() takes columns={old: "
                        "new}");
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    char **names = tq_xcalloc(s.n + 1, sizeof *names);
    tq_value_t *v = NULL;
    for (size_t i = 0; i < s.n; i++) {
        tq_value_t *x = tq_dict_get_str(m, s.names[i]);
        if (x && tq_kind(x) != TQ_STR) {
            tq_raise(ctx, "TypeError", "new column names are strings");
            goto done;
        }
        names[i] = x ? (char *)tq_as_str(x) : s.names[i];
    }
    v = reshape(ctx, f, &s, names, NULL, NULL);
done:
    free(names);
    fm_src_clear(&s);
    return v;
}

/* The names in a string-or-list argument: a malloc'd array of borrowed
 * strings, or NULL (raised). */
static const char **name_list(tq_ctx_t *ctx, tq_value_t *v, size_t *n)
{
    if (tq_kind(v) == TQ_STR) {
        const char **out = tq_xcalloc(1, sizeof *out);
        out[0] = tq_as_str(v);
        *n = 1;
        return out;
    }
    if (tq_kind(v) != TQ_LIST && tq_kind(v) != TQ_TUPLE) {
        tq_raise(ctx, "TypeError", "columns are named by strings");
        return NULL;
    }
    *n = tq_seq_len(v);
    const char **out = tq_xcalloc(*n + 1, sizeof *out);
    for (size_t i = 0; i < *n; i++) {
        if (tq_kind(tq_seq_get(v, i)) != TQ_STR) {
            free(out);
            tq_raise(ctx, "TypeError", "columns are named by strings");
            return NULL;
        }
        out[i] = tq_as_str(tq_seq_get(v, i));
    }
    return out;
}

static tq_value_t *key_error(tq_ctx_t *ctx, const char *what)
{
    return tq_raise(ctx, "KeyError", "\"%s not found in axis\"", what);
}

static tq_value_t *m_drop(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *cols = tq_args_kw(a, "columns");
    tq_value_t *axis = tq_args_kw(a, "axis");
    tq_value_t *labels = fm_arg(a, 0, "labels");
    tq_value_t *index = tq_args_kw(a, "index");
    bool by_col = cols || (axis && ((tq_kind(axis) == TQ_INT &&
                                     tq_as_int(axis) == 1) ||
                                    (tq_kind(axis) == TQ_STR &&
                                     !strcmp(tq_as_str(axis), "columns"))));
    if (!cols && by_col)
        cols = labels;
    if (!by_col && !index)
        index = labels;
    if (by_col && !f->series) {
        if (!cols)
            return tq_raise(ctx, "TypeError", "drop() needs columns=");
        size_t n;
        const char **drop = name_list(ctx, cols, &n);
        if (!drop)
            return NULL;
        fm_src_t s;
        if (fm_src_init(ctx, f, &s) < 0) {
            free(drop);
            return NULL;
        }
        char **names = tq_xcalloc(s.n + 1, sizeof *names);
        for (size_t i = 0; i < s.n; i++)
            names[i] = s.names[i];
        tq_value_t *v = NULL;
        for (size_t k = 0; k < n; k++) {
            bool found = false;
            for (size_t i = 0; i < s.n; i++)
                if (names[i] && !strcmp(names[i], drop[k])) {
                    names[i] = NULL;
                    found = true;
                }
            if (!found) {
                tq_buf_t m = {0};
                tq_buf_printf(&m, "['%s']", drop[k]);
                key_error(ctx, m.s);
                tq_buf_free(&m);
                goto out;
            }
        }
        v = reshape(ctx, f, &s, names, NULL, NULL);
out:
        free(names);
        free(drop);
        fm_src_clear(&s);
        return v;
    }
    if (!index)
        return tq_raise(ctx, "TypeError", "drop() needs labels, index= or "
                        "columns=");
    /* rows by index label: WHERE tq_i NOT IN (?, ...) */
    fm_params_t p = {0};
    tq_buf_t w = {0};
    tq_buf_add(&w, "tq_i NOT IN (");
    size_t n = (tq_kind(index) == TQ_LIST || tq_kind(index) == TQ_TUPLE)
             ? tq_seq_len(index) : 1;
    for (size_t i = 0; i < n; i++) {
        fm_param(&p, n == 1 && tq_kind(index) != TQ_LIST &&
                     tq_kind(index) != TQ_TUPLE ? index
                                                : tq_seq_get(index, i));
        tq_buf_add(&w, i ? ", ?" : "?");
    }
    tq_buf_addc(&w, ')');
    tq_value_t *v = fm_keep_freq(ctx, select_rows(ctx, f, w.s, NULL, &p), f,
                                 FM_ROWS_MASK);
    tq_buf_free(&w);
    fm_params_clear(&p);
    return v;
}

static tq_value_t *m_set_index(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *k = fm_arg(a, 0, "keys");
    if (!k || tq_kind(k) != TQ_STR)
        return tq_raise(ctx, "TypeError", "set_index() takes one column "
                        "name");
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    char **names = tq_xcalloc(s.n + 1, sizeof *names);
    const char *idx = NULL;
    for (size_t i = 0; i < s.n; i++) {
        if (!strcmp(s.names[i], tq_as_str(k)))
            idx = s.vals[i];
        else
            names[i] = s.names[i];
    }
    tq_value_t *v = NULL;
    if (!idx) {
        tq_buf_t m = {0};
        tq_buf_printf(&m, "None of ['%s'] are in the columns", tq_as_str(k));
        tq_raise(ctx, "KeyError", "\"%s\"", m.s);
        tq_buf_free(&m);
    } else {
        v = reshape(ctx, f, &s, names, idx, tq_as_str(k));
    }
    free(names);
    fm_src_clear(&s);
    return v;
}

static tq_value_t *m_reset_index(tq_ctx_t *ctx, tq_value_t *self,
                                 const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *dropv = tq_args_kw(a, "drop");
    int drop = dropv ? tq_truth(ctx, dropv) : 0;
    if (drop < 0)
        return NULL;
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    if (drop && f->series) {
        fstore_t *st = fm_store(ctx, &s, "SELECT tq_r - 1 AS tq_i, tq_v "
                                "FROM tq_s ORDER BY tq_r", NULL);
        fm_src_clear(&s);
        return st ? fm_series(st, "", f->name, f->boolean) : NULL;
    }
    const char *label = f->index_label[0] ? f->index_label : "index";
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_r - 1 AS tq_i");
    char **cols = tq_xcalloc(s.n + 2, sizeof *cols);
    size_t n = 0;
    if (!drop) {
        tq_buf_add(&b, ", tq_i AS ");
        tq_buf_ident(&b, label);
        cols[n++] = (char *)label;
    }
    for (size_t i = 0; i < s.n; i++) {
        tq_buf_printf(&b, ", %s AS ", s.vals[i]);
        tq_buf_ident(&b, s.names[i]);
        cols[n++] = s.names[i];
    }
    tq_buf_add(&b, " FROM tq_s ORDER BY tq_r");
    fstore_t *st = fm_store(ctx, &s, b.s, NULL);
    tq_buf_free(&b);
    tq_value_t *v = st ? fm_frame(st, "", cols, n) : NULL;
    free(cols);
    fm_src_clear(&s);
    return v;
}

/* ---- sample, nlargest, nsmallest */

static tq_value_t *m_sample(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *nv = fm_arg(a, 0, "n"), *frac = tq_args_kw(a, "frac");
    int64_t total = frame_nrows(ctx, f);
    if (total < 0)
        return NULL;
    int64_t n = 1;
    if (nv && tq_kind(nv) == TQ_INT)
        n = tq_as_int(nv);
    else if (frac && (tq_kind(frac) == TQ_FLOAT || tq_kind(frac) == TQ_INT))
        n = (int64_t)llround(tq_as_float(frac) * (double)total);
    if (n < 0)
        return tq_raise(ctx, "ValueError", "A negative number of rows "
                        "requested. Please provide `n` >= 0.");
    if (n > total)
        return tq_raise(ctx, "ValueError", "Cannot take a larger sample "
                        "than population when 'replace=False'");
    /* random_state is accepted; the database's random order is used */
    char *order = tq_xasprintf("random() LIMIT %" PRId64, n);
    tq_value_t *v = fm_keep_freq(ctx, select_rows(ctx, f, NULL, order, NULL),
                                 f, FM_ROWS_TAKE);
    free(order);
    return v;
}

static tq_value_t *n_extreme(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a, bool largest)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *nv = fm_arg(a, 0, "n");
    tq_value_t *cv = fm_arg(a, 1, "columns");
    int64_t n = nv && tq_kind(nv) == TQ_INT ? tq_as_int(nv) : 5;
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    const char *col = NULL;
    if (f->series) {
        col = s.vals[0];
    } else {
        if (!cv || tq_kind(cv) != TQ_STR) {
            fm_src_clear(&s);
            return tq_raise(ctx, "TypeError", "%s() takes n and a column "
                            "name", largest ? "nlargest" : "nsmallest");
        }
        for (size_t i = 0; i < s.n; i++)
            if (!strcmp(s.names[i], tq_as_str(cv)))
                col = s.vals[i];
        if (!col) {
            fm_src_clear(&s);
            return tq_raise(ctx, "KeyError", "'%s'", tq_as_str(cv));
        }
    }
    /* pandas: the values in order (ties by position), then the missing
     * ones in row order when fewer than n values are there */
    char *order = tq_xasprintf("%s IS NULL, %s %s, tq_r LIMIT %" PRId64,
                               col, col, largest ? "DESC" : "ASC",
                               n < 0 ? 0 : n);
    fm_src_clear(&s);
    tq_value_t *v = select_rows(ctx, f, NULL, order, NULL);
    /* pandas' Series.nlargest(n) sorts the whole Series when n covers it
     * (no frequency kept), else takes positions */
    int64_t total = f->series ? frame_nrows(ctx, f) : 0;
    if (total < 0) {
        tq_decref(v);
        v = NULL;
    }
    if (v && !(f->series && n >= total))
        v = fm_keep_freq(ctx, v, f, FM_ROWS_TAKE);
    free(order);
    return v;
}

static tq_value_t *m_nlargest(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    return n_extreme(ctx, self, a, true);
}

static tq_value_t *m_nsmallest(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a)
{
    return n_extreme(ctx, self, a, false);
}

/* ---- reductions */

/* numpy's linear interpolation between two order statistics. */
static double lerp(double a, double b, double t)
{
    double diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* The q-quantile of column `col` of s (count non-missing values known). */
static int quantile_of(tq_ctx_t *ctx, const fm_src_t *s, const char *col,
                       int64_t count, double q, double *out)
{
    *out = NAN;
    if (count <= 0)
        return 0;
    double pos = q * (double)(count - 1);
    int64_t lo = (int64_t)floor(pos);
    char *body = tq_xasprintf("SELECT %s FROM tq_s WHERE %s IS NOT NULL "
                              "ORDER BY %s LIMIT 2 OFFSET %" PRId64, col,
                              col, col, lo);
    tqdb_cursor_t *cur = fm_query(ctx, s, body, NULL);
    free(body);
    if (!cur)
        return -1;
    double v[2] = {NAN, NAN};
    int rc;
    for (int k = 0; k < 2 && (rc = tqdb_step(cur)) == TQDB_ROW; k++)
        v[k] = tqdb_column_float(cur, 0);
    tqdb_cursor_free(&cur);
    if (isnan(v[1]))
        v[1] = v[0];
    *out = lerp(v[0], v[1], pos - (double)lo);
    return 0;
}

/* A reduction over every value column (frame) into a Series indexed by
 * the column names; over a Series, a scalar. `fn` is sum mean min max
 * count std var median quantile. */
/* reduce() over typed copies: when every reduced column of a frame is
 * numeric and held in memory, and fn is count sum mean min max std var
 * median or quantile (at q), the Series of results computed as pandas
 * does; else NULL without an error (the SQL path follows), or NULL with
 * one raised. */
static tq_value_t *typed_reduce(tq_ctx_t *ctx, const frame_t *f,
                                const fm_src_t *s, const char **dt,
                                const size_t *cols, size_t n, const char *fn,
                                double q)
{
    if (f->series || n == 0)
        return NULL;
    bool order = !strcmp(fn, "median") || !strcmp(fn, "quantile");
    const fcol_t **c = tq_xcalloc(n, sizeof *c);
    for (size_t k = 0; k < n; k++) {
        if (fc_store_column(ctx, f->st, f->cols[cols[k]], dt[cols[k]],
                            &c[k]) < 0 || !c[k]) {
            free(c);
            return NULL;
        }
    }
    tqdb_datum_t **vals = tq_xcalloc(n + 1, sizeof *vals);
    char **labels = tq_xcalloc(n + 1, sizeof *labels);
    bool ok = true;
    for (size_t k = 0; k < n && ok; k++) {
        labels[k] = s->names[cols[k]];
        tq_value_t *v = order ? tq_float(fc_quantile(c[k], q, fn[0] == 'm'))
                              : fc_reduce(c[k], fn);
        if (!v) {
            ok = false;        /* not one of fc_reduce's, or an overflow */
            break;
        }
        tqdb_datum_t d = tq_kind(v) == TQ_INT ? tqdb_datum_int(tq_as_int(v))
                       : isnan(tq_as_float(v)) ? tqdb_datum_null()
                       : tqdb_datum_float(tq_as_float(v));
        vals[k] = tqdb_datum_dup(&d);
        tq_decref(v);
    }
    tq_value_t *r = NULL;
    if (ok) {
        /* df.quantile(q) is named q, as pandas names it */
        char *name = strcmp(fn, "quantile") ? NULL : tq_float_repr(q);
        r = series_from(ctx, labels, vals, n, name, false);
        free(name);
        if (r && strcmp(fn, "count") && strcmp(fn, "sum") &&
            strcmp(fn, "min") && strcmp(fn, "max"))
            fm_store_float(FM_SELF(r)->st, "tq_v");
    } else {
        for (size_t k = 0; k < n; k++)
            free(vals[k]);
    }
    free(vals);
    free(labels);
    free(c);
    return r;
}

static tq_value_t *reduce(tq_ctx_t *ctx, tq_value_t *self, const char *fn,
                          double q)
{
    const frame_t *f = FM_SELF(self);
    if (f->st->pend_q && f->st->pend_same_rows && !f->series) {
        /* a column selection not made yet: the same columns of its
         * source, whose rows (and their order) it keeps */
        assert(!f->st->pend_src->pend_q);
        f->st->pend_src->refs++;
        tq_value_t *src = frame_new(f->st->pend_src, f->index,
                                    f->index_label, f->cols, f->ncols);
        bool held = frame_hold_pending(true);
        tq_value_t *v = reduce(ctx, src, fn, q);
        frame_hold_pending(held);
        tq_decref(src);
        return v;
    }
    if (f->series) {
        /* a copied numeric column: pandas' arithmetic in C */
        const fcol_t *c = NULL;
        if (fc_series_column(ctx, f, &c) < 0)
            return NULL;
        tq_value_t *v = !c ? NULL
            : !strcmp(fn, "median") ? tq_float(fc_quantile(c, q, true))
            : !strcmp(fn, "quantile") ? tq_float(fc_quantile(c, q, false))
            : fc_reduce(c, fn);
        if (v)
            return v;   /* else not a copy, or an int64 sum overflows */
    }
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    const char **dt = fm_dtypes(ctx, &s);
    if (!dt) {
        fm_src_clear(&s);
        return NULL;
    }
    bool keep_text = !strcmp(fn, "min") || !strcmp(fn, "max") ||
                     !strcmp(fn, "count");
    size_t *cols = tq_xcalloc(s.n + 1, sizeof *cols);
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        if (keep_text || numeric(dt[i]))
            cols[n++] = i;
    tq_value_t *typed = typed_reduce(ctx, f, &s, dt, cols, n, fn, q);
    if (typed || tq_error_pending(ctx)) {
        free(cols);
        free(dt);
        fm_src_clear(&s);
        return typed;
    }
    /* one statement: count, sum, avg, min or max and, for std and var,
     * the squared deviations from the mean (two-pass, as pandas' nanvar)
     * of each column, the means read by a subquery */
    bool dev = !strcmp(fn, "std") || !strcmp(fn, "var");
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT 0");
    for (size_t k = 0; k < n; k++) {
        const char *c = s.vals[cols[k]];
        /* only the aggregate asked for (and the count), the others 0 so
         * that each column keeps six places; text has no sum or mean
         * where types are strict */
        tq_buf_printf(&b, ", count(%s)", c);
        static const char *const aggs[4] = {"sum", "mean", "min", "max"};
        bool num = numeric(dt[cols[k]]);
        for (int j = 0; j < 4; j++) {
            if (strcmp(fn, aggs[j]))
                tq_buf_add(&b, ", 0");
            else if (!num && j < 2)
                tq_buf_add(&b, ", NULL");
            else
                tq_buf_printf(&b, ", %s(%s)", j == 1 ? "avg" : aggs[j], c);
        }
        tq_buf_add(&b, ", ");
        if (dev)
            tq_buf_printf(&b, "sum((%s - tq_m%zu) * (%s - tq_m%zu))", c, k, c,
                          k);
        else
            tq_buf_add(&b, "0");
    }
    tq_buf_add(&b, " FROM tq_s");
    if (dev) {
        tq_buf_add(&b, ", (SELECT 0 AS tq_z");
        for (size_t k = 0; k < n; k++)
            tq_buf_printf(&b, ", avg(%s) AS tq_m%zu", s.vals[cols[k]], k);
        tq_buf_add(&b, " FROM tq_s) AS tq_means");
    }
    tqdb_cursor_t *cur = fm_query(ctx, &s, b.s, NULL);
    tq_buf_free(&b);
    tq_value_t *v = NULL;
    tqdb_datum_t **vals = tq_xcalloc(n + 1, sizeof *vals);
    char **labels = tq_xcalloc(n + 1, sizeof *labels);
    int rc = cur ? tqdb_step(cur) : -1;
    if (cur && rc != TQDB_ROW)
        tq_raise_db(ctx);
    for (size_t k = 0; rc == TQDB_ROW && k < n; k++) {
        int base = (int)(1 + 6 * k);
        int64_t cnt = tqdb_column_int(cur, base);
        tqdb_datum_t d = tqdb_datum_null();
        labels[k] = s.names[cols[k]];
        if (!strcmp(fn, "count")) {
            d = tqdb_datum_int(cnt);
        } else if (!strcmp(fn, "sum")) {
            d = tqdb_column(cur, base + 1);
            if (d.type == TQDB_NULL)
                d = tqdb_datum_int(0);
            if (!strcmp(dt[cols[k]], "float64") && d.type == TQDB_INT)
                d = tqdb_datum_float((double)d.i);
        } else if (!strcmp(fn, "mean")) {
            d = tqdb_column(cur, base + 2);
        } else if (!strcmp(fn, "min")) {
            d = tqdb_column(cur, base + 3);
        } else if (!strcmp(fn, "max")) {
            d = tqdb_column(cur, base + 4);
        } else if (!strcmp(fn, "std") || !strcmp(fn, "var")) {
            double ss = tqdb_column_float(cur, base + 5);
            double var = cnt > 1 ? ss / (double)(cnt - 1) : NAN;
            d = isnan(var) ? tqdb_datum_null()
                : tqdb_datum_float(!strcmp(fn, "std") ? sqrt(var) : var);
        } else {
            double r;
            if (quantile_of(ctx, &s, s.vals[cols[k]], cnt, q, &r) < 0) {
                rc = -1;
                break;
            }
            d = isnan(r) ? tqdb_datum_null() : tqdb_datum_float(r);
        }
        if ((!strcmp(fn, "mean")) && d.type == TQDB_INT)
            d = tqdb_datum_float((double)d.i);
        vals[k] = tqdb_datum_dup(&d);
    }
    tqdb_cursor_free(&cur);
    if (rc == TQDB_ROW) {
        if (f->series) {
            bool is_mean = !strcmp(fn, "mean") || !strcmp(fn, "std") ||
                           !strcmp(fn, "var") || !strcmp(fn, "median") ||
                           !strcmp(fn, "quantile");
            if (n == 0)
                v = is_mean ? tq_float(NAN) : tq_none();
            else if (vals[0]->type == TQDB_NULL && is_mean)
                v = tq_float(NAN);
            else
                v = tq_datum_value(vals[0]);
            free(vals[0]);
        } else {
            char *name = strcmp(fn, "quantile") ? NULL : tq_float_repr(q);
            v = series_from(ctx, labels, vals, n, name, false);
            free(name);
            /* float64 even when every value is missing (NaN) */
            if (v && (!strcmp(fn, "mean") || !strcmp(fn, "std") ||
                      !strcmp(fn, "var") || !strcmp(fn, "median") ||
                      !strcmp(fn, "quantile")))
                fm_store_float(FM_SELF(v)->st, "tq_v");
        }
    } else {
        for (size_t k = 0; k < n; k++)
            free(vals[k]);
    }
    free(vals);
    free(labels);
    free(cols);
    free(dt);
    fm_src_clear(&s);
    return v;
}

#define REDUCE_FN(fn)                                                      \
    static tq_value_t *r_##fn(tq_ctx_t *ctx, tq_value_t *self,             \
                              const tq_args_t *a)                          \
    {                                                                      \
        (void)a;                                                           \
        return reduce(ctx, self, #fn, 0.5);                                \
    }
REDUCE_FN(sum)
REDUCE_FN(mean)
REDUCE_FN(min)
REDUCE_FN(max)
REDUCE_FN(count)
REDUCE_FN(std)
REDUCE_FN(var)
REDUCE_FN(median)

static tq_value_t *m_quantile(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    tq_value_t *q = fm_arg(a, 0, "q");
    double x = 0.5;
    if (q) {
        if (tq_kind(q) != TQ_FLOAT && tq_kind(q) != TQ_INT)
            return tq_raise(ctx, "TypeError", "quantile() takes one number");
        x = tq_as_float(q);
    }
    if (x < 0 || x > 1)
        return tq_raise(ctx, "ValueError", "percentiles should all be in "
                        "the interval [0, 1]. Try %g instead.", x / 100);
    return reduce(ctx, self, "quantile", x);
}

/* df.agg('sum') / df.agg(['sum', 'mean']) / s.agg(...) */
static tq_value_t *m_agg(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *fn = fm_arg(a, 0, "func");
    if (!fn)
        return tq_raise(ctx, "TypeError", "agg() takes a function name or a "
                        "list of names");
    static const char *known[] = {"sum", "mean", "min", "max", "count",
                                  "std", "var", "median"};
    if (tq_kind(fn) == TQ_STR) {
        for (size_t i = 0; i < sizeof known / sizeof *known; i++)
            if (!strcmp(known[i], tq_as_str(fn)))
                return reduce(ctx, self, known[i], 0.5);
        return tq_raise(ctx, "AttributeError", "'%s' is not a valid "
                        "function for '%s' object", tq_as_str(fn),
                        f->series ? "Series" : "DataFrame");
    }
    if (tq_kind(fn) != TQ_LIST && tq_kind(fn) != TQ_TUPLE)
        return tq_raise(ctx, "TypeError", "agg() takes a function name or a "
                        "list of names");
    if (!f->series) {
        /* one row per function: a frame indexed by the names */
        size_t nf = tq_seq_len(fn);
        tq_buf_t b = {0};
        for (size_t k = 0; k < nf; k++) {
            tq_value_t *x = tq_seq_get(fn, k);
            const char *name = tq_kind(x) == TQ_STR ? tq_as_str(x) : "";
            bool ok = false;
            for (size_t i = 0; i < sizeof known / sizeof *known; i++)
                ok |= !strcmp(known[i], name);
            if (!ok) {
                tq_buf_free(&b);
                return tq_raise(ctx, "AttributeError", "'%s' is not a valid "
                                "function for 'Series' object", name);
            }
        }
        tq_value_t *rows = tq_list_new(nf);
        for (size_t k = 0; k < nf; k++) {
            tq_value_t *r = reduce(ctx, self, tq_as_str(tq_seq_get(fn, k)),
                                   0.5);
            if (!r) {
                tq_decref(rows);
                return NULL;
            }
            tq_list_append(rows, r);
            tq_decref(r);
        }
        /* build the frame: columns are the reduced Series' labels */
        tq_value_t *first = tq_seq_get(rows, 0);
        frame_t *s0 = FM_SELF(first);
        fm_src_t s;
        if (fm_src_init(ctx, s0, &s) < 0) {
            tq_decref(rows);
            return NULL;
        }
        tqdb_cursor_t *cur = fm_query(ctx, &s, "SELECT tq_i FROM tq_s "
                                      "ORDER BY tq_r", NULL);
        char **cols = NULL;
        size_t nc = 0, cap = 0;
        while (cur && tqdb_step(cur) == TQDB_ROW)
            TQ_PUSH(cols, nc, cap, tq_xstrdup(tqdb_column_text(cur, 0)));
        tqdb_cursor_free(&cur);
        fm_src_clear(&s);
        /* CREATE TABLE t(tq_i, c1, ...) and one row per function, each
         * row read back from its Series' store by label */
        fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
        tq_buf_add(&b, "CREATE TEMP TABLE ");
        tq_buf_ident(&b, st->name);
        tq_buf_add(&b, " AS ");
        for (size_t k = 0; k < nf; k++) {
            frame_t *sk = FM_SELF(tq_seq_get(rows, k));
            if (k)
                tq_buf_add(&b, " UNION ALL ");
            tq_buf_add(&b, "SELECT ");
            tq_buf_printf(&b, "%zu AS tq_o, '%s' AS tq_i", k,
                          tq_as_str(tq_seq_get(fn, k)));
            for (size_t c = 0; c < nc; c++) {
                tq_buf_add(&b, ", (SELECT tq_v FROM ");
                frame_table_ref(&b, sk->st);
                tq_buf_add(&b, " WHERE tq_i = ");
                tq_buf_addc(&b, '\'');
                for (const char *p = cols[c]; *p; p++) {
                    if (*p == '\'')
                        tq_buf_addc(&b, '\'');
                    tq_buf_addc(&b, *p);
                }
                tq_buf_add(&b, "') AS ");
                tq_buf_ident(&b, cols[c]);
            }
        }
        int rc = frame_exec(ctx, b.s);
        tq_buf_free(&b);
        tq_decref(rows);
        if (rc == 0)
            rc = frame_store_number(ctx, st);
        tq_value_t *v = NULL;
        if (rc == 0)
            v = fm_frame(st, "", cols, nc);
        else {
            free(st->name);
            free(st);
        }
        for (size_t c = 0; c < nc; c++)
            free(cols[c]);
        free(cols);
        return v;
    }
    size_t nf = tq_seq_len(fn);
    char **labels = tq_xcalloc(nf + 1, sizeof *labels);
    tqdb_datum_t **vals = tq_xcalloc(nf + 1, sizeof *vals);
    for (size_t k = 0; k < nf; k++) {
        tq_value_t *x = tq_seq_get(fn, k);
        tq_value_t *r = tq_kind(x) == TQ_STR
                      ? m_agg(ctx, self, &(tq_args_t){.pos = &x, .npos = 1})
                      : tq_raise(ctx, "TypeError", "agg() takes names");
        if (!r) {
            for (size_t i = 0; i < k; i++)
                free(vals[i]);
            free(vals);
            free(labels);
            return NULL;
        }
        labels[k] = (char *)tq_as_str(x);
        tqdb_datum_t d;
        if (tq_value_datum(ctx, r, &d) < 0)
            d = tqdb_datum_null();
        if (tq_kind(r) == TQ_FLOAT && isnan(tq_as_float(r)))
            d = tqdb_datum_null();
        vals[k] = tqdb_datum_dup(&d);
        tq_decref(r);
    }
    tq_value_t *v = series_from(ctx, labels, vals, nf, f->name, false);
    free(vals);
    free(labels);
    return v;
}

/* df.corr(): Pearson over pairwise complete rows of the numeric columns,
 * the sums in SQL (means first, as pandas' nancorr), the ratio in C. */
static tq_value_t *m_corr(tq_ctx_t *ctx, tq_value_t *self,
                          const tq_args_t *a)
{
    (void)a;
    const frame_t *f = FM_SELF(self);
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    const char **dt = fm_dtypes(ctx, &s);
    if (!dt) {
        fm_src_clear(&s);
        return NULL;
    }
    size_t *cols = tq_xcalloc(s.n + 1, sizeof *cols), n = 0;
    for (size_t i = 0; i < s.n; i++)
        if (numeric(dt[i]))
            cols[n++] = i;
    double *m = tq_xcalloc(n * n + 1, sizeof *m);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        for (size_t j = i; j < n && rc == 0; j++) {
            const char *x = s.vals[cols[i]], *y = s.vals[cols[j]];
            char *body = tq_xasprintf(
                "SELECT sum((%s - mx) * (%s - my)), sum((%s - mx) * (%s - mx)),"
                " sum((%s - my) * (%s - my)), count(*) FROM tq_s, (SELECT "
                "avg(%s) AS mx, avg(%s) AS my FROM tq_s WHERE %s IS NOT NULL "
                "AND %s IS NOT NULL) AS tq_m WHERE %s IS NOT NULL AND %s IS "
                "NOT NULL", x, y, x, x, y, y, x, y, x, y, x, y);
            tqdb_cursor_t *cur = fm_query(ctx, &s, body, NULL);
            free(body);
            if (!cur || tqdb_step(cur) != TQDB_ROW) {
                if (cur)
                    tq_raise_db(ctx);
                tqdb_cursor_free(&cur);
                rc = -1;
                break;
            }
            double sxy = tqdb_column_float(cur, 0),
                   sxx = tqdb_column_float(cur, 1),
                   syy = tqdb_column_float(cur, 2);
            int64_t cnt = tqdb_column_int(cur, 3);
            tqdb_cursor_free(&cur);
            double r = cnt > 1 ? sxy / sqrt(sxx * syy) : NAN;
            if (!isnan(r))
                r = r > 1 ? 1 : r < -1 ? -1 : r;
            m[i * n + j] = m[j * n + i] = r;
        }
    tq_value_t *v = NULL;
    if (rc == 0) {
        fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
        tq_buf_t b = {0};
        tq_buf_add(&b, "CREATE TEMP TABLE ");
        tq_buf_ident(&b, st->name);
        tq_buf_printf(&b, " (tq_i%s", frame_column_type(st->dialect, NULL,
                                                         0));
        char **names = tq_xcalloc(n + 1, sizeof *names);
        tqdb_datum_t one = tqdb_datum_float(1.0), *onep = &one;
        for (size_t i = 0; i < n; i++) {
            names[i] = s.names[cols[i]];
            tq_buf_add(&b, ", ");
            tq_buf_ident(&b, names[i]);
            tq_buf_add(&b, frame_column_type(st->dialect, &onep, 1));
        }
        tq_buf_addc(&b, ')');
        rc = frame_exec(ctx, b.s);
        tq_buf_free(&b);
        tq_buf_add(&b, "INSERT INTO ");
        frame_table_ref(&b, st);
        tq_buf_add(&b, " VALUES (?");
        for (size_t i = 0; i < n; i++)
            tq_buf_add(&b, ", ?");
        tq_buf_addc(&b, ')');
        tqdb_cursor_t *ins = rc == 0 ? frame_prepare(ctx, b.s, NULL) : NULL;
        tq_buf_free(&b);
        rc = ins ? 0 : -1;
        for (size_t i = 0; i < n && rc == 0; i++) {
            (void)tqdb_reset(ins);
            tqdb_bind_text(ins, 1, names[i], -1);
            for (size_t j = 0; j < n; j++) {
                if (isnan(m[i * n + j]))
                    tqdb_bind_null(ins, (int)j + 2);
                else
                    tqdb_bind_float(ins, (int)j + 2, m[i * n + j]);
            }
            if (tqdb_step(ins) != TQDB_DONE) {
                tq_raise_db(ctx);
                rc = -1;
            }
        }
        tqdb_cursor_free(&ins);
        for (size_t i = 0; rc == 0 && i < n; i++)
            fm_store_float(st, names[i]);
        if (rc == 0)
            rc = frame_store_number(ctx, st);
        if (rc == 0)
            v = fm_frame(st, "", names, n);
        else
            frame_store_unref(st);
        free(names);
    }
    free(m);
    free(cols);
    free(dt);
    fm_src_clear(&s);
    return v;
}

/* ---- windows: cumsum, cummax, cummin, shift, diff, pct_change, rank */

static tq_value_t *window(tq_ctx_t *ctx, tq_value_t *self, const char *fmt,
                          bool numeric_only, bool to_float)
{
    return map_columns(ctx, FM_SELF(self), fmt, NULL, false, numeric_only,
                       false, to_float);
}

/* Records in st's cache that its column `col` has the dtype of column
 * `src_col` of `src` when that is cached as int64 or float64. */
static void dt_seed(fstore_t *st, const char *col, fstore_t *src,
                    const char *src_col)
{
    int at = src->dt_gen == frame_generation ? dt_find(src, src_col) : -1;
    if (at < 0 || (strcmp(src->dt_types[at], "int64") &&
                   strcmp(src->dt_types[at], "float64")))
        return;
    if (st->dt_gen != frame_generation)
        while (st->ndt)
            dt_forget(st, st->ndt - 1);
    st->dt_gen = frame_generation;
    if (dt_find(st, col) >= 0)
        return;
    st->dt_cols = tq_xrealloc(st->dt_cols, (st->ndt + 1) *
                              sizeof *st->dt_cols);
    st->dt_types = tq_xrealloc(st->dt_types, (st->ndt + 1) *
                               sizeof *st->dt_types);
    st->dt_cols[st->ndt] = tq_xstrdup(col);
    st->dt_types[st->ndt++] = src->dt_types[at];
}

/* A running aggregate (cumsum cummax cummin): each numeric column keeps
 * its dtype, recorded for the result so that showing it reads nothing
 * more. */
static tq_value_t *running(tq_ctx_t *ctx, tq_value_t *self, const char *fmt)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *v = window(ctx, self, fmt, true, false);
    if (!v)
        return NULL;
    frame_t *r = FM_SELF(v);
    if (f->series && f->expr->kind == QX_REF)
        dt_seed(r->st, "tq_v", f->st, f->expr->name);
    for (size_t i = 0; !f->series && i < r->ncols; i++)
        dt_seed(r->st, r->cols[i], f->st, r->cols[i]);
    return v;
}

/* cumsum/cummax/cummin of a Series that is a numeric column held in
 * memory, indexed by integers held in memory too: computed in C into a
 * memory store (no table written until a statement needs one). NULL
 * without an error when the SQL path is to run; NULL with one raised. */
static tq_value_t *running_copy(tq_ctx_t *ctx, tq_value_t *self, char op)
{
    const frame_t *f = FM_SELF(self);
    const fcol_t *c = NULL, *ic = NULL;
    if (!f->series || fc_series_column(ctx, f, &c) < 0 || !c ||
        c->nmissing == c->n)
        return NULL;
    /* the index: 0..n-1 for a RangeIndex, else its copy */
    bool range = f->st->range_index && !strcmp(f->index, "tq_index");
    const char *idt = range ? "int64" : fm_store_dtype(ctx, f->st, f->index);
    if (!idt || (!range && fc_store_column(ctx, f->st, f->index, idt,
                                           &ic) < 0) ||
        (!range && (!ic || ic->kind != FCOL_INT || ic->n != c->n)) ||
        !frame_cols_fit(2 * c->n * 8))
        return NULL;
    fcol_t *values = fc_running(c, op);
    if (!values)
        return NULL;
    fcol_t *index = tq_xcalloc(1, sizeof *index);
    index->name = tq_xstrdup("tq_i");
    index->kind = FCOL_INT;
    index->n = c->n;
    if (range) {
        index->iv = fc_array(c->n + 1, sizeof *index->iv, false);
        for (size_t i = 0; i < c->n; i++)
            index->iv[i] = (int64_t)i;
    } else {
        index->iv = fc_array_share(ic->iv);     /* the same labels */
    }
    fstore_t *st = frame_mem_store(ctx, index, values);
    tq_value_t *v = fm_series(st, f->index_label, f->name, false);
    return fm_keep_freq(ctx, v, f, FM_ROWS_SAME);
}

static tq_value_t *m_cumsum(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    (void)a;
    tq_value_t *v = running_copy(ctx, self, '+');
    if (v || tq_error_pending(ctx))
        return v;
    return running(ctx, self, "CASE WHEN %s IS NULL THEN NULL ELSE sum(%s) "
                   "OVER (ORDER BY tq_r ROWS BETWEEN UNBOUNDED PRECEDING AND "
                   "CURRENT ROW) END");
}

static tq_value_t *m_cummax(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    (void)a;
    tq_value_t *v = running_copy(ctx, self, '>');
    if (v || tq_error_pending(ctx))
        return v;
    return running(ctx, self, "CASE WHEN %s IS NULL THEN NULL ELSE max(%s) "
                   "OVER (ORDER BY tq_r ROWS BETWEEN UNBOUNDED PRECEDING AND "
                   "CURRENT ROW) END");
}

static tq_value_t *m_cummin(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    (void)a;
    tq_value_t *v = running_copy(ctx, self, '<');
    if (v || tq_error_pending(ctx))
        return v;
    return running(ctx, self, "CASE WHEN %s IS NULL THEN NULL ELSE min(%s) "
                   "OVER (ORDER BY tq_r ROWS BETWEEN UNBOUNDED PRECEDING AND "
                   "CURRENT ROW) END");
}

static int64_t periods(const tq_args_t *a, int64_t dflt)
{
    tq_value_t *p = fm_arg(a, 0, "periods");
    return p && tq_kind(p) == TQ_INT ? tq_as_int(p) : dflt;
}

/* lag(x, n) or lead(x, -n) over the row order: an SQL text with %%s. */
static char *lag_fmt(int64_t n, const char *pre, const char *post)
{
    if (n >= 0)
        return tq_xasprintf("%slag(%%s, %" PRId64 ") OVER (ORDER BY tq_r)%s",
                            pre, n, post);
    return tq_xasprintf("%slead(%%s, %" PRId64 ") OVER (ORDER BY tq_r)%s",
                        pre, -n, post);
}

static tq_value_t *m_shift(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    /* numbers shifted in pandas are float64: NaN fills the moved rows */
    int64_t n = periods(a, 1);
    char *fmt = lag_fmt(n, "", "");
    tq_value_t *v = window(ctx, self, fmt, false, n != 0);
    free(fmt);
    return v;
}

static tq_value_t *m_diff(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    char *fmt = lag_fmt(periods(a, 1), "%s - ", "");
    tq_value_t *v = window(ctx, self, fmt, true, true);
    free(fmt);
    return v;
}

static tq_value_t *m_pct_change(tq_ctx_t *ctx, tq_value_t *self,
                                const tq_args_t *a)
{
    /* pandas pads missing values forward first (fill_method='pad') */
    tq_value_t *ffill = tq_str("ffill");
    tq_value_t *filled = m_fillna(ctx, self, &(tq_args_t){
        .kwnames = (const char *[]){"method"},
        .kwvalues = (tq_value_t *[]){ffill}, .nkw = 1});
    tq_decref(ffill);
    if (!filled)
        return NULL;
    /* x / 0 is pandas' inf (-inf below zero), 0 / 0 NaN; SQL's is NULL */
    char *prev = lag_fmt(periods(a, 1), "", "");
    const char *real = FM_SELF(self)->st->dialect->type_real;
    char *fmt = tq_xasprintf("CASE WHEN %s = 0 THEN CASE WHEN %%s > 0 THEN "
                             "CAST(? AS %s) WHEN %%s < 0 THEN -CAST(? AS %s) "
                             "END ELSE %%s * 1.0 / %s - 1 END", prev, real,
                             real, prev);
    free(prev);
    tq_value_t *inf = tq_float(INFINITY);
    fm_params_t p = {0};
    fm_param(&p, inf);
    fm_param(&p, inf);
    tq_decref(inf);
    tq_value_t *v = map_columns(ctx, FM_SELF(filled), fmt, &p, false, true,
                                false, true);
    fm_params_clear(&p);
    free(fmt);
    tq_decref(filled);
    return v;
}

static tq_value_t *m_rank(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    tq_value_t *mv = tq_args_kw(a, "method"), *asc = tq_args_kw(a,
                                                                "ascending");
    const char *method = mv && tq_kind(mv) == TQ_STR ? tq_as_str(mv)
                                                     : "average";
    int up = asc ? tq_truth(ctx, asc) : 1;
    if (up < 0)
        return NULL;
    const char *dir = up ? "" : " DESC";
    char *fmt;
    if (!strcmp(method, "average"))
        fmt = tq_xasprintf("CASE WHEN %%s IS NULL THEN NULL ELSE rank() OVER "
                           "(PARTITION BY %%s IS NULL ORDER BY %%s%s) + "
                           "(count(*) OVER (PARTITION BY %%s) - 1) / 2.0 END",
                           dir);
    else if (!strcmp(method, "min"))
        fmt = tq_xasprintf("CASE WHEN %%s IS NULL THEN NULL ELSE 1.0 * rank() "
                           "OVER (PARTITION BY %%s IS NULL ORDER BY %%s%s) "
                           "END", dir);
    else if (!strcmp(method, "max"))
        fmt = tq_xasprintf("CASE WHEN %%s IS NULL THEN NULL ELSE rank() OVER "
                           "(PARTITION BY %%s IS NULL ORDER BY %%s%s) + "
                           "count(*) OVER (PARTITION BY %%s) - 1.0 END", dir);
    else if (!strcmp(method, "first"))
        fmt = tq_xasprintf("CASE WHEN %%s IS NULL THEN NULL ELSE 1.0 * "
                           "row_number() OVER (PARTITION BY %%s IS NULL ORDER "
                           "BY %%s%s, tq_r) END", dir);
    else if (!strcmp(method, "dense"))
        fmt = tq_xasprintf("CASE WHEN %%s IS NULL THEN NULL ELSE 1.0 * "
                           "dense_rank() OVER (PARTITION BY %%s IS NULL ORDER "
                           "BY %%s%s) END", dir);
    else
        return tq_raise(ctx, "ValueError", "rank(method=) takes average, "
                        "min, max, first or dense");
    /* the column appears four times: map_columns fills three %s, so the
     * fourth is spelled through a second pass */
    fm_src_t s;
    const frame_t *f = FM_SELF(self);
    if (fm_src_init(ctx, f, &s) < 0) {
        free(fmt);
        return NULL;
    }
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i");
    for (size_t i = 0; i < s.n; i++) {
        tq_buf_add(&b, ", ");
        const char *c = s.vals[i];
        tq_buf_printf(&b, fmt, c, c, c, c);
        tq_buf_printf(&b, " AS %s", c);
    }
    tq_buf_add(&b, " FROM tq_s ORDER BY tq_r");
    free(fmt);
    fstore_t *st = fm_store(ctx, &s, b.s, NULL);
    tq_buf_free(&b);
    tq_value_t *v = fm_keep_freq(ctx, st ? like(f, st, s.names, s.n) : NULL,
                                 f, FM_ROWS_SAME);
    if (v)
        FM_SELF(v)->boolean = false;
    fm_src_clear(&s);
    return v;
}

/* ---- to_dict, to_json */

/* Every row: index and values, in row order; NULL (raised). */
static tqdb_cursor_t *all_rows(tq_ctx_t *ctx, const fm_src_t *s)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i");
    for (size_t i = 0; i < s->n; i++)
        tq_buf_printf(&b, ", %s", s->vals[i]);
    tq_buf_add(&b, " FROM tq_s ORDER BY tq_r");
    tqdb_cursor_t *cur = fm_query(ctx, s, b.s, NULL);
    tq_buf_free(&b);
    return cur;
}

static tq_value_t *cell_value(const frame_t *f, tqdb_cursor_t *cur, int c)
{
    if (f->boolean && tqdb_column_type(cur, c) == TQDB_INT)
        return tq_bool(tqdb_column_int(cur, c) != 0);
    if (tqdb_column_type(cur, c) == TQDB_NULL)
        return tq_float(NAN);
    return tq_cursor_value(cur, c);
}

static tq_value_t *m_to_dict(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *orient = fm_arg(a, 0, "orient");
    bool records = orient && tq_kind(orient) == TQ_STR &&
                   !strcmp(tq_as_str(orient), "records");
    bool list = orient && tq_kind(orient) == TQ_STR &&
                !strcmp(tq_as_str(orient), "list");
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    tqdb_cursor_t *cur = all_rows(ctx, &s);
    if (!cur) {
        fm_src_clear(&s);
        return NULL;
    }
    tq_value_t *out = records ? tq_list_new(16) : tq_dict_new();
    tq_value_t **per = tq_xcalloc(s.n + 1, sizeof *per);
    if (!f->series && !records)
        for (size_t i = 0; i < s.n; i++) {
            per[i] = list ? tq_list_new(16) : tq_dict_new();
            tq_dict_set_str(out, s.names[i], per[i]);
        }
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tq_value_t *idx = tq_cursor_value(cur, 0);
        if (f->series) {
            tq_value_t *x = cell_value(f, cur, 1);
            tq_dict_set(out, idx, x);
            tq_decref(x);
        } else if (records) {
            tq_value_t *row = tq_dict_new();
            for (size_t i = 0; i < s.n; i++) {
                tq_value_t *x = cell_value(f, cur, (int)i + 1);
                tq_dict_set_str(row, s.names[i], x);
                tq_decref(x);
            }
            tq_list_append(out, row);
            tq_decref(row);
        } else {
            for (size_t i = 0; i < s.n; i++) {
                tq_value_t *x = cell_value(f, cur, (int)i + 1);
                if (list)
                    tq_list_append(per[i], x);
                else
                    tq_dict_set(per[i], idx, x);
                tq_decref(x);
            }
        }
        tq_decref(idx);
    }
    tqdb_cursor_free(&cur);
    if (!f->series && !records)
        for (size_t i = 0; i < s.n; i++)
            tq_decref(per[i]);
    free(per);
    fm_src_clear(&s);
    if (rc < 0) {
        tq_decref(out);
        return tq_raise_db(ctx);
    }
    return out;
}

static void json_str(tq_buf_t *b, const char *s)
{
    tq_buf_addc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            tq_buf_printf(b, "\\%c", c);
        else if (c == '/')
            tq_buf_add(b, "\\/");
        else if (c == '\n')
            tq_buf_add(b, "\\n");
        else if (c == '\t')
            tq_buf_add(b, "\\t");
        else if (c == '\r')
            tq_buf_add(b, "\\r");
        else if (c < 0x20)
            tq_buf_printf(b, "\\u%04x", c);
        else
            tq_buf_addc(b, (char)c);
    }
    tq_buf_addc(b, '"');
}

/* pandas' ujson double (its Buffer_AppendDoubleUnchecked at precision
 * 10): 0.0 for either zero; beyond 1e16 - 1 or below 1e-15 "%.10g";
 * else the whole part and ten decimals, rounded as ujson rounds (half to
 * odd-up), trailing zeros trimmed but one kept: -1e-12 is -0.0. */
static void json_num(tq_buf_t *b, double d)
{
    if (isnan(d) || isinf(d)) {
        tq_buf_add(b, "null");
        return;
    }
    if (d == 0) {
        tq_buf_add(b, "0.0");
        return;
    }
    bool neg = d < 0;
    double v = neg ? -d : d;
    if (v > 1e16 - 1 || v < 1e-15) {
        tq_buf_printf(b, "%.10g", d);
        return;
    }
    const double pow10 = 1e10;
    unsigned long long whole = (unsigned long long)v;
    double tmp = (v - (double)whole) * pow10;
    unsigned long long frac = (unsigned long long)tmp;
    double diff = tmp - (double)frac;
    if (diff > 0.5) {
        if ((double)++frac >= pow10) {
            frac = 0;
            ++whole;
        }
    } else if (diff == 0.5 && (frac == 0 || (frac & 1))) {
        ++frac;
    }
    char digits[16];
    snprintf(digits, sizeof digits, "%010llu", frac);
    size_t n = strlen(digits);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    tq_buf_printf(b, "%s%llu.%s", neg ? "-" : "", whole, digits);
}

static void json_cell(tq_buf_t *b, const frame_t *f, tqdb_cursor_t *cur,
                      int c)
{
    switch (tqdb_column_type(cur, c)) {
    case TQDB_NULL:
        tq_buf_add(b, "null");
        break;
    case TQDB_INT:
        if (f->boolean)
            tq_buf_add(b, tqdb_column_int(cur, c) ? "true" : "false");
        else
            tq_buf_printf(b, "%" PRId64, tqdb_column_int(cur, c));
        break;
    case TQDB_FLOAT:
        json_num(b, tqdb_column_float(cur, c));
        break;
    default:
        json_str(b, tqdb_column_text(cur, c) ? tqdb_column_text(cur, c)
                                             : "");
    }
}

static tq_value_t *m_to_json(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    const frame_t *f = FM_SELF(self);
    tq_value_t *orient = tq_args_kw(a, "orient");
    bool records = orient && tq_kind(orient) == TQ_STR &&
                   !strcmp(tq_as_str(orient), "records");
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    /* orient='columns' (frames) reads column by column: one query each */
    tq_buf_t b = {0};
    int rc = 0;
    if (f->series || records) {
        tqdb_cursor_t *cur = all_rows(ctx, &s);
        if (!cur) {
            fm_src_clear(&s);
            return NULL;
        }
        tq_buf_addc(&b, records ? '[' : '{');
        bool first = true;
        while ((rc = tqdb_step(cur)) == TQDB_ROW) {
            if (!first)
                tq_buf_addc(&b, ',');
            first = false;
            if (f->series) {
                const char *k = tqdb_column_text(cur, 0);
                json_str(&b, k ? k : "null");
                tq_buf_addc(&b, ':');
                json_cell(&b, f, cur, 1);
            } else {
                tq_buf_addc(&b, '{');
                for (size_t i = 0; i < s.n; i++) {
                    if (i)
                        tq_buf_addc(&b, ',');
                    json_str(&b, s.names[i]);
                    tq_buf_addc(&b, ':');
                    json_cell(&b, f, cur, (int)i + 1);
                }
                tq_buf_addc(&b, '}');
            }
        }
        tq_buf_addc(&b, records ? ']' : '}');
        tqdb_cursor_free(&cur);
    } else {
        tq_buf_addc(&b, '{');
        for (size_t i = 0; i < s.n && rc >= 0; i++) {
            if (i)
                tq_buf_addc(&b, ',');
            json_str(&b, s.names[i]);
            tq_buf_add(&b, ":{");
            char *body = tq_xasprintf("SELECT tq_i, %s FROM tq_s ORDER BY "
                                      "tq_r", s.vals[i]);
            tqdb_cursor_t *cur = fm_query(ctx, &s, body, NULL);
            free(body);
            if (!cur) {
                rc = -1;
                break;
            }
            bool first = true;
            while ((rc = tqdb_step(cur)) == TQDB_ROW) {
                if (!first)
                    tq_buf_addc(&b, ',');
                first = false;
                const char *k = tqdb_column_text(cur, 0);
                json_str(&b, k ? k : "null");
                tq_buf_addc(&b, ':');
                json_cell(&b, f, cur, 1);
            }
            tqdb_cursor_free(&cur);
            tq_buf_addc(&b, '}');
        }
        tq_buf_addc(&b, '}');
    }
    fm_src_clear(&s);
    if (rc < 0) {
        tq_buf_free(&b);
        if (!tq_error_pending(ctx))
            tq_raise_db(ctx);
        return NULL;
    }
    return tq_str_take(tq_buf_take(&b));
}

/* ---- merge, concat */

static tq_value_t *m_merge(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    const frame_t *l = FM_SELF(self);
    tq_value_t *ov = fm_arg(a, 0, "right");
    if (!ov || !frame_check(ov) || FM_SELF(ov)->series)
        return tq_raise(ctx, "TypeError", "merge() takes a DataFrame");
    const frame_t *r = FM_SELF(ov);
    if (frame_sync(ctx, (frame_t *)r) < 0)
        return NULL;
    tq_value_t *on = tq_args_kw(a, "on"), *howv = tq_args_kw(a, "how");
    const char *how = howv && tq_kind(howv) == TQ_STR ? tq_as_str(howv)
                                                      : "inner";
    if (strcmp(how, "inner") && strcmp(how, "left"))
        return tq_raise(ctx, "ValueError", "merge(how=) takes 'inner' or "
                        "'left'");
    size_t nk = 0;
    const char **keys = NULL;
    if (on) {
        if (!(keys = name_list(ctx, on, &nk)))
            return NULL;
    } else {
        /* the common columns */
        keys = tq_xcalloc(l->ncols + 1, sizeof *keys);
        for (size_t i = 0; i < l->ncols; i++)
            for (size_t j = 0; j < r->ncols; j++)
                if (!strcmp(l->cols[i], r->cols[j]))
                    keys[nk++] = l->cols[i];
        if (!nk) {
            free(keys);
            return tq_raise(ctx, "MergeError", "No common columns to "
                            "perform merge on.");
        }
    }
    for (size_t k = 0; k < nk; k++) {
        bool inl = false, inr = false;
        for (size_t i = 0; i < l->ncols; i++)
            inl |= !strcmp(l->cols[i], keys[k]);
        for (size_t j = 0; j < r->ncols; j++)
            inr |= !strcmp(r->cols[j], keys[k]);
        if (!inl || !inr) {
            tq_value_t *e = tq_raise(ctx, "KeyError", "'%s'", keys[k]);
            free(keys);
            return e;
        }
    }
    frame_flush_drops(ctx);
    tq_buf_t b = {0};
    char **cols = tq_xcalloc(l->ncols + r->ncols + 1, sizeof *cols);
    size_t nc = 0;
    tq_buf_add(&b, "SELECT row_number() OVER (ORDER BY ");
    if (!strcmp(how, "inner"))
        tq_buf_add(&b, "tq_k, ");
    tq_buf_add(&b, "tq_l.tq_rr, tq_r.tq_rr) - 1 AS tq_i");
    for (size_t i = 0; i < l->ncols; i++) {
        bool key = false, clash = false;
        for (size_t k = 0; k < nk; k++)
            key |= !strcmp(keys[k], l->cols[i]);
        for (size_t j = 0; j < r->ncols && !key; j++)
            clash |= !strcmp(r->cols[j], l->cols[i]);
        char *name = clash ? tq_xasprintf("%s_x", l->cols[i])
                           : tq_xstrdup(l->cols[i]);
        tq_buf_add(&b, ", tq_l.");
        tq_buf_ident(&b, l->cols[i]);
        tq_buf_add(&b, " AS ");
        tq_buf_ident(&b, name);
        cols[nc++] = name;
    }
    for (size_t j = 0; j < r->ncols; j++) {
        bool key = false, clash = false;
        for (size_t k = 0; k < nk; k++)
            key |= !strcmp(keys[k], r->cols[j]);
        if (key)
            continue;
        for (size_t i = 0; i < l->ncols; i++)
            clash |= !strcmp(l->cols[i], r->cols[j]);
        char *name = clash ? tq_xasprintf("%s_y", r->cols[j])
                           : tq_xstrdup(r->cols[j]);
        tq_buf_add(&b, ", tq_r.");
        tq_buf_ident(&b, r->cols[j]);
        tq_buf_add(&b, " AS ");
        tq_buf_ident(&b, name);
        cols[nc++] = name;
    }
    tq_buf_add(&b, " FROM ");
    if (!strcmp(how, "inner")) {
        /* pandas groups inner matches by key, keys in left order */
        tq_buf_printf(&b, "(SELECT *, min(%s) OVER (PARTITION BY ",
                      l->st->dialect->store_rowid);
        for (size_t k = 0; k < nk; k++) {
            if (k)
                tq_buf_add(&b, ", ");
            tq_buf_ident(&b, keys[k]);
        }
        tq_buf_printf(&b, ") AS tq_k, %s AS tq_rr FROM ",
                      l->st->dialect->store_rowid);
        frame_table_ref(&b, l->st);
        tq_buf_add(&b, ") AS tq_l JOIN ");
    } else {
        tq_buf_printf(&b, "(SELECT *, %s AS tq_rr FROM ",
                      l->st->dialect->store_rowid);
        frame_table_ref(&b, l->st);
        tq_buf_add(&b, ") AS tq_l LEFT JOIN ");
    }
    tq_buf_printf(&b, "(SELECT *, %s AS tq_rr FROM ",
                  r->st->dialect->store_rowid);
    frame_table_ref(&b, r->st);
    tq_buf_add(&b, ") AS tq_r ON ");
    for (size_t k = 0; k < nk; k++) {
        if (k)
            tq_buf_add(&b, " AND ");
        tq_buf_add(&b, "tq_l.");
        tq_buf_ident(&b, keys[k]);
        /* pandas matches missing keys with each other */
        tq_buf_add(&b, " IS NOT DISTINCT FROM tq_r.");
        tq_buf_ident(&b, keys[k]);
    }
    tq_buf_add(&b, " ORDER BY tq_i");
    free(keys);
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    int rc = frame_create_as(ctx, st, b.s, NULL, NULL, NULL, 0, NULL);
    tq_buf_free(&b);
    tq_value_t *v = NULL;
    if (rc == 0)
        v = fm_frame(st, "", cols, nc);
    else {
        free(st->name);
        free(st);
    }
    for (size_t i = 0; i < nc; i++)
        free(cols[i]);
    free(cols);
    return v;
}

/* df.concat(other, ...) and concat([df1, df2]): rows of each in turn,
 * the union of their columns (missing ones NULL), indexes kept. */
static tq_value_t *concat_list(tq_ctx_t *ctx, tq_value_t **fs, size_t n)
{
    char **cols = NULL;
    size_t nc = 0, cap = 0;
    for (size_t k = 0; k < n; k++) {
        if (!frame_check(fs[k]) || FM_SELF(fs[k])->series) {
            for (size_t i = 0; i < nc; i++)
                free(cols[i]);
            free(cols);
            return tq_raise(ctx, "TypeError", "concat() takes DataFrames");
        }
        frame_t *f = FM_SELF(fs[k]);
        if (frame_sync(ctx, f) < 0)
            return NULL;
        for (size_t i = 0; i < f->ncols; i++) {
            bool seen = false;
            for (size_t j = 0; j < nc; j++)
                seen |= !strcmp(cols[j], f->cols[i]);
            if (!seen)
                TQ_PUSH(cols, nc, cap, tq_xstrdup(f->cols[i]));
        }
    }
    frame_flush_drops(ctx);
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT tq_i");
    for (size_t j = 0; j < nc; j++) {
        tq_buf_add(&b, ", ");
        tq_buf_ident(&b, cols[j]);
    }
    tq_buf_add(&b, " FROM (");
    for (size_t k = 0; k < n; k++) {
        frame_t *f = FM_SELF(fs[k]);
        if (k)
            tq_buf_add(&b, " UNION ALL ");
        tq_buf_printf(&b, "SELECT %zu AS tq_p, %s AS tq_r, ", k,
                      f->st->dialect->store_rowid);
        tq_buf_ident(&b, f->index);
        tq_buf_add(&b, " AS tq_i");
        for (size_t j = 0; j < nc; j++) {
            bool has = false;
            for (size_t i = 0; i < f->ncols; i++)
                has |= !strcmp(f->cols[i], cols[j]);
            tq_buf_add(&b, ", ");
            if (has)
                tq_buf_ident(&b, cols[j]);
            else
                tq_buf_add(&b, "NULL");
            tq_buf_add(&b, " AS ");
            tq_buf_ident(&b, cols[j]);
        }
        tq_buf_add(&b, " FROM ");
        frame_table_ref(&b, f->st);
    }
    tq_buf_add(&b, ") AS tq_u ORDER BY tq_p, tq_r");
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    int rc = frame_create_as(ctx, st, b.s, NULL, NULL, NULL, 0, NULL);
    tq_buf_free(&b);
    tq_value_t *v = NULL;
    if (rc == 0) {
        /* pandas keeps the first frame's index name when all agree */
        const char *label = FM_SELF(fs[0])->index_label;
        for (size_t k = 1; k < n; k++)
            if (strcmp(label, FM_SELF(fs[k])->index_label))
                label = "";
        v = fm_frame(st, label, cols, nc);
    } else {
        free(st->name);
        free(st);
    }
    for (size_t i = 0; i < nc; i++)
        free(cols[i]);
    free(cols);
    return v;
}

static tq_value_t *m_concat(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    tq_value_t **fs = tq_xcalloc(a->npos + 2, sizeof *fs);
    size_t n = 0;
    fs[n++] = self;
    for (size_t i = 0; i < a->npos; i++) {
        tq_value_t *x = a->pos[i];
        if (tq_kind(x) == TQ_LIST || tq_kind(x) == TQ_TUPLE) {
            fs = tq_xrealloc(fs, (n + tq_seq_len(x) + a->npos + 1) *
                             sizeof *fs);
            for (size_t k = 0; k < tq_seq_len(x); k++)
                fs[n++] = tq_seq_get(x, k);
        } else {
            fs[n++] = x;
        }
    }
    tq_value_t *v = concat_list(ctx, fs, n);
    free(fs);
    return v;
}

/* ---- pivot_table, crosstab */

/* pivot_table(values=, index=, columns=, aggfunc='mean'): the distinct
 * values of `columns` become columns (one pass to read them), the
 * aggregate of each is a CASE inside one GROUP BY. */
static tq_value_t *pivot(tq_ctx_t *ctx, const frame_t *f, const char *vcol,
                         const char *icol, const char *ccol,
                         const char *agg)
{
    fm_src_t s;
    if (fm_src_init(ctx, f, &s) < 0)
        return NULL;
    const char *vi = NULL, *ii = NULL, *ci = NULL;
    for (size_t i = 0; i < s.n; i++) {
        if (vcol && !strcmp(s.names[i], vcol))
            vi = s.vals[i];
        if (!strcmp(s.names[i], icol))
            ii = s.vals[i];
        if (!strcmp(s.names[i], ccol))
            ci = s.vals[i];
    }
    if ((vcol && !vi) || !ii || !ci) {
        fm_src_clear(&s);
        return tq_raise(ctx, "KeyError", "'%s'", !ii ? icol : !ci ? ccol
                                                              : vcol);
    }
    char *body = tq_xasprintf("SELECT DISTINCT %s FROM tq_s WHERE %s IS NOT "
                              "NULL ORDER BY 1", ci, ci);
    tqdb_cursor_t *cur = fm_query(ctx, &s, body, NULL);
    free(body);
    if (!cur) {
        fm_src_clear(&s);
        return NULL;
    }
    fm_params_t p = {0};
    char **names = NULL;
    size_t nn = 0, cap = 0;
    while (tqdb_step(cur) == TQDB_ROW) {
        tq_value_t *x = tq_cursor_value(cur, 0);
        fm_param(&p, x);
        char *label = tq_kind(x) == TQ_STR ? tq_xstrdup(tq_as_str(x))
                                           : tq_repr(ctx, x);
        TQ_PUSH(names, nn, cap, label);
        tq_decref(x);
    }
    tqdb_cursor_free(&cur);
    tq_buf_t b = {0};
    tq_buf_printf(&b, "SELECT %s AS tq_i", ii);
    const char *fn = !strcmp(agg, "sum") ? "sum" : !strcmp(agg, "count")
                   ? "count" : !strcmp(agg, "min") ? "min"
                   : !strcmp(agg, "max") ? "max" : "avg";
    for (size_t k = 0; k < nn; k++) {
        if (!vi)
            tq_buf_printf(&b, ", count(CASE WHEN %s = ? THEN 1 END) AS ", ci);
        else if (!strcmp(fn, "sum"))
            tq_buf_printf(&b, ", CASE WHEN count(CASE WHEN %s = ? THEN 1 END)"
                          " > 0 THEN sum(CASE WHEN %s = ? THEN %s END) END "
                          "AS ", ci, ci, vi);
        else
            tq_buf_printf(&b, ", %s(CASE WHEN %s = ? THEN %s END) AS ", fn,
                          ci, vi);
        tq_buf_ident(&b, names[k]);
    }
    tq_buf_printf(&b, " FROM tq_s WHERE %s IS NOT NULL GROUP BY %s ORDER BY "
                  "%s", ii, ii, ii);
    /* sum uses each value twice */
    fm_params_t all = {0};
    for (size_t k = 0; k < nn; k++) {
        fm_param(&all, p.v[k]);
        if (vi && !strcmp(fn, "sum"))
            fm_param(&all, p.v[k]);
    }
    fstore_t *st = fm_store(ctx, &s, b.s, &all);
    tq_buf_free(&b);
    fm_params_clear(&p);
    fm_params_clear(&all);
    tq_value_t *v = st ? fm_frame(st, icol, names, nn) : NULL;
    for (size_t k = 0; k < nn; k++)
        free(names[k]);
    free(names);
    fm_src_clear(&s);
    return v;
}

static tq_value_t *m_pivot_table(tq_ctx_t *ctx, tq_value_t *self,
                                 const tq_args_t *a)
{
    tq_value_t *v = fm_arg(a, 0, "values"), *i = tq_args_kw(a, "index"),
               *c = tq_args_kw(a, "columns"), *g = tq_args_kw(a, "aggfunc");
    if (!v || !i || !c || tq_kind(v) != TQ_STR || tq_kind(i) != TQ_STR ||
        tq_kind(c) != TQ_STR || (g && tq_kind(g) != TQ_STR))
        return tq_raise(ctx, "TypeError", "pivot_table() takes values=, "
                        "index= and columns= column names and aggfunc=");
    return pivot(ctx, FM_SELF(self), tq_as_str(v), tq_as_str(i),
                 tq_as_str(c), g ? tq_as_str(g) : "mean");
}

/* df.crosstab('a', 'b'): counts of each pair (pd.crosstab(df.a, df.b)). */
static tq_value_t *m_crosstab(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    tq_value_t *i = fm_arg(a, 0, "index"), *c = fm_arg(a, 1, "columns");
    if (!i || !c || tq_kind(i) != TQ_STR || tq_kind(c) != TQ_STR)
        return tq_raise(ctx, "TypeError", "crosstab() takes two column "
                        "names");
    return pivot(ctx, FM_SELF(self), NULL, tq_as_str(i), tq_as_str(c),
                 "count");
}

/* ---- the registration table */

static const fm_method_t frame_methods[] = {
    {"dtypes", p_dtypes, FM_BOTH, true},
    {"dtype", p_dtypes, FM_SERIES, true},
    {"info", m_info, FM_FRAME, false},
    {"isna", m_isna, FM_BOTH, false},
    {"isnull", m_isna, FM_BOTH, false},
    {"notna", m_notna, FM_BOTH, false},
    {"notnull", m_notna, FM_BOTH, false},
    {"fillna", m_fillna, FM_BOTH, false},
    {"dropna", m_dropna, FM_BOTH, false},
    {"astype", m_astype, FM_BOTH, false},
    {"rename", m_rename, FM_BOTH, false},
    {"drop", m_drop, FM_BOTH, false},
    {"set_index", m_set_index, FM_FRAME, false},
    {"reset_index", m_reset_index, FM_BOTH, false},
    {"sample", m_sample, FM_BOTH, false},
    {"nlargest", m_nlargest, FM_BOTH, false},
    {"nsmallest", m_nsmallest, FM_BOTH, false},
    {"sum", r_sum, FM_FRAME, false},
    {"mean", r_mean, FM_FRAME, false},
    {"min", r_min, FM_FRAME, false},
    {"max", r_max, FM_FRAME, false},
    {"count", r_count, FM_FRAME, false},
    {"std", r_std, FM_FRAME, false},
    {"var", r_var, FM_BOTH, false},
    {"median", r_median, FM_BOTH, false},
    {"quantile", m_quantile, FM_BOTH, false},
    {"agg", m_agg, FM_BOTH, false},
    {"aggregate", m_agg, FM_BOTH, false},
    {"corr", m_corr, FM_FRAME, false},
    {"cumsum", m_cumsum, FM_BOTH, false},
    {"resample", frame_resample, FM_FRAME, false},
    {"cummax", m_cummax, FM_BOTH, false},
    {"cummin", m_cummin, FM_BOTH, false},
    {"shift", m_shift, FM_BOTH, false},
    {"diff", m_diff, FM_BOTH, false},
    {"pct_change", m_pct_change, FM_BOTH, false},
    {"rank", m_rank, FM_BOTH, false},
    {"to_dict", m_to_dict, FM_BOTH, false},
    {"to_json", m_to_json, FM_BOTH, false},
    {"merge", m_merge, FM_FRAME, false},
    {"concat", m_concat, FM_FRAME, false},
    {"pivot_table", m_pivot_table, FM_FRAME, false},
    {"crosstab", m_crosstab, FM_FRAME, false},
    {NULL, NULL, FM_BOTH, false},
};

static tq_value_t *lookup_in(tq_ctx_t *ctx, tq_value_t *self,
                             const char *name, const fm_method_t *t)
{
    bool series = FM_SELF(self)->series;
    for (; t->name; t++) {
        if (strcmp(t->name, name) ||
            (t->where == FM_FRAME && series) ||
            (t->where == FM_SERIES && !series))
            continue;
        if (t->property)
            return t->fn(ctx, self, &(tq_args_t){0});
        return tq_builtin_new(t->name, t->fn, self);
    }
    return NULL;
}

/* frame_method_lookup: see frame_methods.h. */
tq_value_t *frame_method_lookup(tq_ctx_t *ctx, tq_value_t *self,
                                const char *name)
{
    tq_value_t *v = lookup_in(ctx, self, name, frame_methods);
    if (v || tq_error_pending(ctx))
        return v;
    return lookup_in(ctx, self, name, fm_series_methods);
}
