/*
 * This file implements query sets and managers (LANGUAGE.md section 5):
 * one native type holding a query description that every method copies
 * and extends, so nothing runs until a result is shown, iterated, counted
 * or indexed, and then exactly one SQL statement runs. Methods: all filter
 * exclude get first last count exists order_by reverse distinct values
 * values_list annotate aggregate select_related only create bulk_create
 * update delete explain to_csv new (dataframe and update_from_dataframe
 * are the frame layer's, registered through qs_register_method), the `.query` text, the `.plot`
 * accessor, positional indexing (qs[0], qs[:3]) and, through index.c,
 * fancy indexing. Display: the repr as Django prints it (at most 20
 * items) and an HTML table from render.h, both from one run of the
 * query that keeps only the shown rows and the count.
 *
 * Where LANGUAGE.md is silent, the database layer decides (and the golden
 * files tests/golden/query_*.test pin it):
 *  - rows come ordered by primary key unless the query set is ordered,
 *    grouped by values(), or distinct (Django leaves them unordered);
 *  - contains/startswith/endswith are case-sensitive (instr, GLOB); the
 *    i- variants use LIKE, which folds ASCII case only;
 *  - print(qs.query) inlines parameters as SQL literals ('it''s'), so the
 *    text runs as is (Django leaves strings unquoted);
 *  - StdDev/Variance are the population figures by default, as Django's
 *    sample=False; sample=True gives the sample figures;
 *  - arithmetic is SQL's: integer / integer is an integer;
 *  - TruncYear/Month/Week/Day give ISO date text ('2025-03-01'), weeks
 *    starting on Monday; Extract* give integers; week_day is 1=Sunday;
 *  - exclude() keeps rows whose condition is NULL, and across a
 *    one-to-many relation removes rows with ANY matching related row;
 *  - delete() returns (n, {'User': n}); cascades are the database's
 *    foreign-key actions, not emulated;
 *  - get() fetches at most 21 rows, reprs 21, as Django.
 * Boogie's Meta keywords hook in here (model_meta.c, model_poly.c): the
 * kernel-kept columns of every UPDATE (qs_update), soft deletion
 * (delete()), polymorphic fetches (qs_fetch, .query, the HTML table) and
 * the attributes they add (all_objects, timeframed, one per status).
 */
#include "orm/queryset.h"
#include "orm/django.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/suggest.h"
#include "render/render.h"
#include "sql/dialect.h"

#define REPR_ITEMS 20

typedef struct qset {
    qdesc_t *q;
    bool manager;
} qset_t;

static void qset_destroy(void *p)
{
    qset_t *s = p;
    qdesc_unref(s->q);
    free(s);
}

/* qs_new: see queryset.h. */
tq_value_t *qs_new(qdesc_t *q, bool manager)
{
    qset_t *s = tq_xcalloc(1, sizeof *s);
    s->q = q;
    s->manager = manager;
    return tq_native_new(&tq_queryset_type, s);
}

/* qs_desc: see queryset.h. */
qdesc_t *qs_desc(const tq_value_t *v)
{
    if (!v || !tq_is_native(v, &tq_queryset_type))
        return NULL;
    return ((qset_t *)tq_native_data(v))->q;
}

/* qs_is_manager: see queryset.h. */
bool qs_is_manager(const tq_value_t *v)
{
    return qs_desc(v) && ((qset_t *)tq_native_data(v))->manager;
}

/* qs_manager: see queryset.h. */
tq_value_t *qs_manager(const char *schema, const char *table)
{
    return qs_new(qdesc_new(schema, table), true);
}

/* qs_table: see queryset.h. */
const tq_stable_t *qs_table(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_schema_t *s = db_schema(ctx);
    if (!s)
        return NULL;
    qerr_t e = {0};
    const tq_stable_t *t = tq_compile_base(s, q, &e);
    if (!t)
        db_raise(ctx, &e);
    return t;
}

/* db_prepare_cursor: see queryset.h. */
tqdb_cursor_t *db_prepare_cursor(tq_ctx_t *ctx, const qsql_t *s)
{
    assert(ctx && s && s->sql);
    tqdb_conn_t *db = tq_ctx_db(ctx);
    assert(db);
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, s->sql, &cur, NULL) < 0 ||
        (cur && qsql_bind_cursor(s, cur) < 0)) {
        tq_raise_db(ctx);
        tqdb_cursor_free(&cur);
        return NULL;
    }
    assert(cur);    /* compiled SQL is never empty */
    return cur;
}

/* db_exec_write: see queryset.h. */
int64_t db_exec_write(tq_ctx_t *ctx, const qsql_t *s)
{
    tqdb_cursor_t *cur = db_prepare_cursor(ctx, s);
    if (!cur)
        return -1;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW)
        ;
    tqdb_cursor_free(&cur);
    if (rc != TQDB_DONE) {
        tq_raise_db(ctx);
        return -1;
    }
    return tqdb_changes(tq_ctx_db(ctx));
}

/* db_exec_insert: see queryset.h. */
tq_value_t *db_exec_insert(tq_ctx_t *ctx, const qsql_t *s)
{
    if (!s->dialect || !s->dialect->insert_returning)
        return db_exec_write(ctx, s) < 0
                   ? NULL
                   : tq_int(tqdb_last_insert_id(tq_ctx_db(ctx)));
    tqdb_cursor_t *cur = db_prepare_cursor(ctx, s);
    if (!cur)
        return NULL;
    tq_value_t *key = NULL;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW)
        if (!key)
            key = db_cursor_value(cur, 0);
    tqdb_cursor_free(&cur);
    if (rc != TQDB_DONE) {
        tq_decref(key);
        tq_raise_db(ctx);
        return NULL;
    }
    return key ? key : tq_none();
}

static const char *bare_of(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_stable_t *t = qs_table(ctx, q);
    return t ? t->bare : q->table;
}

/* One item of the current row as the mode says. */
static tq_value_t *row_item(tq_ctx_t *ctx, const qdesc_t *q,
                            const tq_stable_t *t, const qsql_t *s,
                            tqdb_cursor_t *cur)
{
    size_t n = (size_t)tqdb_column_count(cur);
    assert(n <= s->ncols);    /* every column is named */
    switch (q->mode) {
    case QM_MODEL: {
        tq_value_t *o = obj_from_cursor(ctx, t, cur, s->cols, n,
                                        q->nrelated > 0);
        if (o && q->proxy)
            obj_set_proxy(o, q->proxy);
        return o;
    }
    case QM_FLAT:
        assert(n >= 1);
        return db_cursor_value(cur, 0);
    case QM_VALUES: {
        tq_value_t *d = tq_dict_new();
        for (size_t i = 0; i < n; i++) {
            tq_value_t *v = db_cursor_value(cur, (int)i);
            tq_dict_set_str(d, s->cols[i], v);
            tq_decref(v);
        }
        return d;
    }
    case QM_TUPLES: {
        tq_value_t *tu = tq_tuple_new(n);
        for (size_t i = 0; i < n; i++)
            tq_tuple_set(tu, i, db_cursor_value(cur, (int)i));
        return tu;
    }
    case QM_ROWS: {
        tq_value_t **vals = tq_xcalloc(n, sizeof *vals);
        for (size_t i = 0; i < n; i++)
            vals[i] = db_cursor_value(cur, (int)i);
        return row_new(n, s->cols, vals);
    }
    }
    return tq_none();
}

/* qs_fetch: see queryset.h. */
tq_value_t *qs_fetch(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    tq_value_t *poly = model_poly_fetch(ctx, q);   /* child objects */
    if (poly || tq_error_pending(ctx))
        return poly;
    const tq_stable_t *t = qs_table(ctx, q);
    if (!t)
        return NULL;
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_select_run(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s, &e) < 0)
        return db_raise(ctx, &e);
    tqdb_cursor_t *cur = db_prepare_cursor(ctx, &s);
    if (!cur) {
        qsql_clear(&s);
        return NULL;
    }
    tq_value_t *list = tq_list_new(0);
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tq_value_t *item = row_item(ctx, q, t, &s, cur);
        if (!item) {
            rc = -1;
            break;
        }
        tq_list_append(list, item);
        tq_decref(item);
        if (tq_interrupted(ctx)) {
            rc = -1;    /* tq_raise_db raises KeyboardInterrupt */
            break;
        }
    }
    tqdb_cursor_free(&cur);
    qsql_clear(&s);
    if (rc != TQDB_DONE) {
        tq_decref(list);
        if (!tq_error_pending(ctx))
            tq_raise_db(ctx);
        return NULL;
    }
    return list;
}

/* Runs a one-value SELECT (count, exists); returns the integer or -1. */
static int64_t scalar_int(tq_ctx_t *ctx, qsql_t *s)
{
    tqdb_cursor_t *cur = db_prepare_cursor(ctx, s);
    qsql_clear(s);
    if (!cur)
        return -1;
    assert(tqdb_column_count(cur) >= 1);
    int rc = tqdb_step(cur);
    int64_t v = rc == TQDB_ROW ? tqdb_column_int(cur, 0) : 0;
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return v;
}

static int64_t qs_count(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return -1;
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_count(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s, &e) < 0) {
        db_raise(ctx, &e);
        return -1;
    }
    return scalar_int(ctx, &s);
}

static int qs_exists(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return -1;
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_exists(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s, &e) < 0) {
        db_raise(ctx, &e);
        return -1;
    }
    int64_t v = scalar_int(ctx, &s);
    return v < 0 ? -1 : v > 0;
}

/* qs_update: see queryset.h. */
int64_t qs_update(tq_ctx_t *ctx, const qdesc_t *q, const qfield_t *sets,
                  size_t n)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return -1;
    qfield_t *kept;
    size_t nkept;
    if (model_update_sets(ctx, q, sets, n, &kept, &nkept) < 0)
        return -1;
    qsql_t s;
    qerr_t e = {0};
    int64_t r = -1;
    if (tq_compile_update(tq_dialect_for(tq_ctx_db(ctx)), sc, q,
                          kept ? kept : sets, kept ? nkept : n, &s, &e) < 0) {
        db_raise(ctx, &e);
    } else {
        r = db_exec_write(ctx, &s);
        qsql_clear(&s);
    }
    for (size_t i = 0; kept && i < nkept; i++) {
        free(kept[i].name);
        qx_unref(kept[i].expr);
    }
    free(kept);
    return r;
}

/* ---- repr and display */

/* Django's repr of the first items: "<QuerySet [a, b, ...]>", at most
 * REPR_ITEMS of them and a truncation mark when there are more. */
static char *repr_items(tq_ctx_t *ctx, tq_value_t *items)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "<QuerySet [");
    size_t n = tq_seq_len(items);
    for (size_t i = 0; i < n && i < REPR_ITEMS; i++) {
        char *r = tq_repr(ctx, tq_seq_get(items, i));
        if (!r) {
            tq_buf_free(&b);
            return NULL;
        }
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_add(&b, r);
        free(r);
    }
    if (n > REPR_ITEMS)
        tq_buf_add(&b, ", '...(remaining elements truncated)...'");
    tq_buf_add(&b, "]>");
    return tq_buf_take(&b);
}

static char *qs_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    const qdesc_t *q = qs_desc(self);
    qdesc_t *c = qdesc_clone(q);
    if (c->limit < 0 || c->limit > REPR_ITEMS + 1)
        c->limit = REPR_ITEMS + 1;
    tq_value_t *items = qs_fetch(ctx, c);
    qdesc_unref(c);
    if (!items)
        return NULL;
    char *r = repr_items(ctx, items);
    tq_decref(items);
    return r;
}

static int bind_qsql(void *ud, tqdb_cursor_t *cur)
{
    return qsql_bind_cursor(ud, cur);
}

/* What the display's one pass needs besides the table: the first
 * REPR_ITEMS + 1 rows as items, for text/plain. */
typedef struct display_pass {
    tq_ctx_t *ctx;
    const qdesc_t *q;
    const tq_stable_t *t;
    const qsql_t *s;
    tq_value_t *items;
} display_pass_t;

static int display_row(void *ud, tqdb_cursor_t *cur, int64_t index)
{
    display_pass_t *p = ud;
    if (tq_interrupted(p->ctx))
        return -1;
    if (index > REPR_ITEMS)
        return 0;
    tq_value_t *item = row_item(p->ctx, p->q, p->t, p->s, cur);
    if (!item)
        return -1;
    tq_list_append(p->items, item);
    tq_decref(item);
    return 0;
}

/* The display runs the query once: the same statement qs_fetch runs
 * gives the repr's first items (text/plain) and the HTML table's head,
 * tail ring and count. Polymorphic query sets (child objects in the
 * repr, children's columns in the table) keep two statements. */
static int qs_display(tq_ctx_t *ctx, tq_value_t *self, tq_bundle_t *out)
{
    const qdesc_t *q = qs_desc(self);
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return -1;
    const tq_stable_t *t = qs_table(ctx, q);
    if (!t)
        return -1;
    qsql_t s;
    qerr_t e = {0};
    qdesc_t *pq = model_poly_query(ctx, q);   /* with children's columns */
    if (!pq && tq_error_pending(ctx))
        return -1;
    int rc = tq_compile_select_run(tq_dialect_for(tq_ctx_db(ctx)), sc, pq ? pq : q, &s, &e);
    if (rc < 0) {
        qdesc_unref(pq);
        db_raise(ctx, &e);
        return -1;
    }
    tq_table_t tab;
    char *err = NULL;
    if (pq) {
        qdesc_unref(pq);
        tq_sql_t sql = {.sql = s.sql, .bind = bind_qsql, .ud = &s};
        rc = tq_table_fetch(tq_ctx_db(ctx), &sql, tq_ctx_max_rows(ctx), &tab,
                            &err);
    } else {
        tqdb_cursor_t *cur = db_prepare_cursor(ctx, &s);
        if (!cur) {
            qsql_clear(&s);
            return -1;
        }
        display_pass_t p = {ctx, q, t, &s, tq_list_new(0)};
        rc = tq_table_read(tq_ctx_db(ctx), cur, tq_ctx_max_rows(ctx),
                           display_row, &p, &tab, &err);
        tqdb_cursor_free(&cur);
        char *text = rc == 0 ? repr_items(ctx, p.items) : NULL;
        tq_decref(p.items);
        if (rc == 0 && !text) {
            tq_table_clear(&tab);
            rc = -1;
        }
        if (text) {
            tq_bundle_add(out, "text/plain", text, strlen(text));
            free(text);
        }
    }
    if (rc != 0) {
        if (tq_error_pending(ctx))
            ;
        else if (err && !tq_interrupted(ctx) &&
                 tqdb_errcode(tq_ctx_db(ctx)) != TQDB_ERR_INTERRUPTED)
            tq_raise(ctx, "DatabaseError", "%s", err);
        else
            tq_raise_db(ctx);     /* KeyboardInterrupt */
        free(err);
        qsql_clear(&s);
        return -1;
    }
    tab.has_index = q->mode == QM_MODEL && s.ncols > 0 &&
                    !strcmp(s.cols[0], t->pk);
    tab.display = (tq_display_t){.set = true,
                                 .max_rows = tq_ctx_max_rows(ctx),
                                 .min_rows = tq_ctx_min_rows(ctx),
                                 .max_columns = tq_ctx_max_columns(ctx),
                                 .precision = tq_ctx_precision(ctx)};
    char *html = tq_html_table(&tab);
    tq_bundle_add(out, "text/html", html, tq_render_nuls(html));
    free(html);
    tq_table_clear(&tab);
    qsql_clear(&s);
    return 0;
}

/* ---- .query */

typedef struct qtext {
    char *sql;
} qtext_t;

static void qtext_destroy(void *p)
{
    qtext_t *t = p;
    free(t->sql);
    free(t);
}

static char *qtext_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    return tq_xstrdup(((qtext_t *)tq_native_data(self))->sql);
}

static const tq_type_t qtext_type = {
    .name = "Query",
    .destroy = qtext_destroy,
    .repr = qtext_repr,
};

static tq_value_t *query_text(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    qsql_t s;
    qerr_t e = {0};
    qdesc_t *pq = model_poly_query(ctx, q);   /* what a fetch would run */
    /* Django's SQL; TABULA_REWRITE=show prints the statement that runs
     * (tq_compile_select_run), for tests/bench. */
    const char *show = getenv("TABULA_REWRITE");
    int rc = show && !strcmp(show, "show")
                 ? tq_compile_select_run(tq_dialect_for(tq_ctx_db(ctx)), sc, pq ? pq : q, &s, &e)
                 : tq_compile_select(tq_dialect_for(tq_ctx_db(ctx)), sc, pq ? pq : q, &s, &e);
    qdesc_unref(pq);
    if (rc < 0)
        return db_raise(ctx, &e);
    qtext_t *t = tq_xcalloc(1, sizeof *t);
    t->sql = qsql_inline(&s);
    qsql_clear(&s);
    return tq_native_new(&qtext_type, t);
}

/* ---- .plot */

typedef struct plot {
    qdesc_t *q;
} plot_t;

static void plot_destroy(void *p)
{
    plot_t *pl = p;
    qdesc_unref(pl->q);
    free(pl);
}

static const tq_type_t plot_type;

static const struct {
    const char *name;
    tq_chart_kind_t kind;
} chart_kinds[] = {
#define X(e, name, doc) {#name, TQ_CHART_##e},
    TQ_CHART_KINDS(X)
#undef X
};

/* A cursor on s's SQL with its parameters bound, for the renderers; NULL
 * with the database's error raised. The caller frees it. */
static tqdb_cursor_t *render_cursor(tq_ctx_t *ctx, const qsql_t *s)
{
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(tq_ctx_db(ctx), s->sql, &cur, NULL) < 0 ||
        (cur && qsql_bind_cursor(s, cur) < 0)) {
        tqdb_cursor_free(&cur);
        tq_raise_db(ctx);
        return NULL;
    }
    assert(cur);                       /* compiled SQL is never empty */
    return cur;
}

/* The chart keywords: pandas' in the order of its documentation, then
 * Tabula's picture size. */
static const char *const plot_kwargs[] = {
    "x", "y", "kind", "figsize", "title", "grid", "legend", "logx", "logy",
    "xlim", "ylim", "xlabel", "ylabel", "rot", "stacked", "color", "alpha",
    "bins", "by", "s", "c", "width", "height",
};

/* TypeError unless every keyword of `a` is a chart keyword; false then. */
static bool plot_kwargs_check(tq_ctx_t *ctx, const tq_args_t *a,
                              const char *kname)
{
    for (size_t i = 0; i < a->nkw; i++) {
        bool known = false;
        for (size_t k = 0; k < sizeof plot_kwargs / sizeof *plot_kwargs; k++)
            known |= !strcmp(a->kwnames[i], plot_kwargs[k]);
        if (known)
            continue;
        tq_buf_t b = {0};
        for (size_t k = 0; k < sizeof plot_kwargs / sizeof *plot_kwargs; k++)
            tq_buf_printf(&b, "%s%s", k ? ", " : "", plot_kwargs[k]);
        tq_raise(ctx, "TypeError", "plot.%s() got an unexpected keyword "
                 "argument '%s'; it takes %s", kname, a->kwnames[i], b.s);
        tq_buf_free(&b);
        return false;
    }
    return true;
}

static bool plot_is_number(const tq_value_t *v)
{
    return v && (tq_kind(v) == TQ_INT || tq_kind(v) == TQ_FLOAT);
}

/* Keyword `k` as a number (when given): false with TypeError raised. */
static bool plot_kw_number(tq_ctx_t *ctx, const tq_args_t *a, const char *k,
                           bool *given, double *out)
{
    tq_value_t *v = tq_args_kw(a, k);
    *given = v && tq_kind(v) != TQ_NONE;
    if (!*given)
        return true;
    if (!plot_is_number(v)) {
        tq_raise(ctx, "TypeError", "%s= takes a number", k);
        return false;
    }
    *out = tq_as_float(v);
    return true;
}

/* Keyword `k` as a pair of numbers (figsize, xlim, ylim). */
static bool plot_kw_pair(tq_ctx_t *ctx, const tq_args_t *a, const char *k,
                         bool *given, double out[2])
{
    tq_value_t *v = tq_args_kw(a, k);
    *given = v && tq_kind(v) != TQ_NONE;
    if (!*given)
        return true;
    if ((tq_kind(v) != TQ_TUPLE && tq_kind(v) != TQ_LIST) ||
        tq_seq_len(v) != 2 || !plot_is_number(tq_seq_get(v, 0)) ||
        !plot_is_number(tq_seq_get(v, 1))) {
        tq_raise(ctx, "TypeError", "%s= takes a pair of numbers", k);
        return false;
    }
    out[0] = tq_as_float(tq_seq_get(v, 0));
    out[1] = tq_as_float(tq_seq_get(v, 1));
    return true;
}

/* Keyword `k` as a truth value: -1 with an error raised, 0 absent, 1
 * false, 2 true. */
static int plot_kw_bool(tq_ctx_t *ctx, const tq_args_t *a, const char *k)
{
    tq_value_t *v = tq_args_kw(a, k);
    if (!v || tq_kind(v) == TQ_NONE)
        return 0;
    int t = tq_truth(ctx, v);
    return t < 0 ? -1 : t + 1;
}

/* Keyword `k` as text (when given): false with TypeError raised. */
static bool plot_kw_str(tq_ctx_t *ctx, const tq_args_t *a, const char *k,
                        const char **out)
{
    tq_value_t *v = tq_args_kw(a, k);
    *out = NULL;
    if (!v || tq_kind(v) == TQ_NONE)
        return true;
    if (tq_kind(v) != TQ_STR) {
        tq_raise(ctx, "TypeError", "%s= takes a string", k);
        return false;
    }
    *out = tq_as_str(v);
    return true;
}

enum { PLOT_MAX_COLOURS = 64 };

/* db_chart_value: see queryset.h. */
tq_value_t *db_chart_value(tq_ctx_t *ctx, tqdb_cursor_t *cur,
                           tq_chart_kind_t kind, const char *kname,
                           const tq_args_t *a, const char *what)
{
    tq_chart_opts_t o = {.kind = kind, .scale = 2};
    const char *colours[PLOT_MAX_COLOURS];
    double figsize[2], bins = 0, width = 0, height = 0;
    bool has_fig, has_bins, has_w, has_h, has_alpha, has_s;
    int grid, legend, logx, logy, stacked;
    bool good = plot_kwargs_check(ctx, a, kname) &&
        plot_kw_str(ctx, a, "title", &o.title) &&
        plot_kw_str(ctx, a, "xlabel", &o.xlabel) &&
        plot_kw_str(ctx, a, "ylabel", &o.ylabel) &&
        plot_kw_pair(ctx, a, "figsize", &has_fig, figsize) &&
        plot_kw_pair(ctx, a, "xlim", &o.has_xlim, o.xlim) &&
        plot_kw_pair(ctx, a, "ylim", &o.has_ylim, o.ylim) &&
        plot_kw_number(ctx, a, "rot", &o.has_rot, &o.rot) &&
        plot_kw_number(ctx, a, "alpha", &has_alpha, &o.alpha) &&
        plot_kw_number(ctx, a, "s", &has_s, &o.marker_size) &&
        plot_kw_number(ctx, a, "bins", &has_bins, &bins) &&
        plot_kw_number(ctx, a, "width", &has_w, &width) &&
        plot_kw_number(ctx, a, "height", &has_h, &height) &&
        (grid = plot_kw_bool(ctx, a, "grid")) >= 0 &&
        (legend = plot_kw_bool(ctx, a, "legend")) >= 0 &&
        (logx = plot_kw_bool(ctx, a, "logx")) >= 0 &&
        (logy = plot_kw_bool(ctx, a, "logy")) >= 0 &&
        (stacked = plot_kw_bool(ctx, a, "stacked")) >= 0;
    /* color= (c= for a scatter's points): one colour or one per series */
    tq_value_t *col = tq_args_kw(a, "color");
    if (!col || tq_kind(col) == TQ_NONE)
        col = tq_args_kw(a, "c");
    if (good && col && tq_kind(col) == TQ_STR) {
        colours[0] = tq_as_str(col);
        o.ncolors = 1;
    } else if (good && col && (tq_kind(col) == TQ_LIST ||
                               tq_kind(col) == TQ_TUPLE)) {
        for (size_t i = 0; i < tq_seq_len(col) && i < PLOT_MAX_COLOURS; i++) {
            tq_value_t *c = tq_seq_get(col, i);
            if (tq_kind(c) != TQ_STR) {
                tq_raise(ctx, "TypeError", "color= takes colour names");
                good = false;
                break;
            }
            colours[o.ncolors++] = tq_as_str(c);
        }
    } else if (good && col && tq_kind(col) != TQ_NONE) {
        tq_raise(ctx, "TypeError", "color= takes a colour name or a list "
                 "of them");
        good = false;
    }
    if (!good) {
        tqdb_cursor_free(&cur);
        return NULL;
    }
    o.colors = o.ncolors ? colours : NULL;
    o.grid = grid == 2;
    o.legend = legend == 2 ? 1 : legend == 1 ? 2 : 0;
    o.logx = logx == 2;
    o.logy = logy == 2;
    o.stacked = stacked;
    o.bins = has_bins ? (int)bins : 0;
    if (has_fig) {                       /* inches at 100 dpi */
        o.width = (int)(figsize[0] * 100 + 0.5);
        o.height = (int)(figsize[1] * 100 + 0.5);
    }
    if (has_w)
        o.width = (int)width;
    if (has_h)
        o.height = (int)height;
    if ((has_w || has_h || has_fig) && (o.width <= 0 || o.height <= 0)) {
        if (!o.width)
            o.width = 640;
        if (!o.height)
            o.height = 400;
    }
    tq_value_t *by = tq_args_kw(a, "by");
    o.by_series = by && tq_kind(by) != TQ_NONE;
    char *info = NULL;
    o.info = &info;
    unsigned char *png = NULL;
    size_t len = 0;
    char *err = NULL;
    int rc = tq_chart_png(cur, &o, &png, &len, &err);
    tqdb_cursor_free(&cur);
    if (rc != 0) {
        tq_raise(ctx, "ValueError", "%s", err ? err : "cannot draw the chart");
        free(err);
        free(info);
        return NULL;
    }
    tq_bundle_t b = {0};
    tq_bundle_add(&b, "image/png", (const char *)png, len);
    free(png);
    tq_buf_t t = {0};
    tq_buf_printf(&t, "<%s chart of %s", kname, what);
    if (o.title)
        tq_buf_printf(&t, ": %s", o.title);
    tq_buf_addc(&t, '>');
    tq_bundle_add(&b, "text/plain", t.s, t.len);
    tq_buf_free(&t);
    /* the PNG is drawn at twice its size: IPython's retina metadata, and
     * what was drawn for tests */
    tq_buf_t m = {0};
    tq_buf_printf(&m, "{\"image/png\": {\"width\": %d, \"height\": %d}, "
                  "\"tabula/chart\": %s}", o.width ? o.width : 640,
                  o.height ? o.height : 400, info ? info : "{}");
    tq_bundle_add(&b, TQ_BUNDLE_METADATA, m.s, m.len);
    tq_buf_free(&m);
    free(info);
    return tq_bundle_value_new(&b);
}

/* plot.KIND(x=, y=, by=, and the chart keywords): one SELECT of x and
 * the y columns (a box: the y columns alone; by=: x, the category and y,
 * pivoted to a column per category by tq_chart_by_sql), drawn by
 * tq_chart_png. */
static tq_value_t *plot_draw(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a, tq_chart_kind_t kind,
                             const char *kname)
{
    plot_t *pl = tq_native_data(self);
    qdesc_t *c = qdesc_clone(pl->q);
    qdesc_t *base = pl->q;
    c->mode = QM_TUPLES;
    for (size_t i = 0; i < c->nfields; i++) {
        free(c->fields[i].name);
        qx_unref(c->fields[i].expr);
    }
    free(c->fields);
    c->fields = NULL;
    c->nfields = 0;
    if (!plot_kwargs_check(ctx, a, kname)) {
        qdesc_unref(c);
        return NULL;
    }
    tq_value_t *x = tq_args_kw(a, "x"), *y = tq_args_kw(a, "y");
    tq_value_t *by = tq_args_kw(a, "by");
    if (by && tq_kind(by) == TQ_NONE)
        by = NULL;
    if (by && (tq_kind(by) != TQ_STR || !x || !y || tq_kind(y) != TQ_STR ||
               kind == TQ_CHART_HIST || kind == TQ_CHART_PIE)) {
        qdesc_unref(c);
        tq_raise(ctx, "TypeError", "plot.%s(by=) takes a column name with "
                 "x= and one y= column (line, area, bar, barh, scatter, "
                 "box)", kname);
        return NULL;
    }
    tq_value_t *cols[16];
    size_t ncols = 0;
    if (x && kind != TQ_CHART_BOX)
        cols[ncols++] = x;
    if (by)
        cols[ncols++] = by;
    if (y && (tq_kind(y) == TQ_LIST || tq_kind(y) == TQ_TUPLE)) {
        for (size_t i = 0; i < tq_seq_len(y) && ncols < 16; i++)
            cols[ncols++] = tq_seq_get(y, i);
    } else if (y) {
        cols[ncols++] = y;
    }
    if (!ncols) {
        qdesc_unref(c);
        tq_raise(ctx, "TypeError", "plot.%s() needs x= and y= columns",
                 kname);
        return NULL;
    }
    for (size_t i = 0; i < ncols; i++) {
        if (tq_kind(cols[i]) != TQ_STR) {
            qdesc_unref(c);
            tq_raise(ctx, "TypeError", "plot columns are names");
            return NULL;
        }
        const char *name = tq_as_str(cols[i]);
        /* a name selected by values() keeps its expression */
        qexpr_t *e = NULL;
        for (size_t k = 0; k < base->nfields && !e; k++)
            if (!strcmp(base->fields[k].name, name))
                e = qx_ref(base->fields[k].expr);
        qdesc_add_field(&c->fields, &c->nfields, name, e ? e : qx_path(name));
    }
    c->group_values = base->group_values;
    if (base->group_values)
        for (size_t k = 0; k < base->nfields; k++) {
            bool have = false;
            for (size_t i = 0; i < c->nfields; i++)
                have |= !strcmp(c->fields[i].name, base->fields[k].name);
            if (!have && !qx_has_agg(base->fields[k].expr))
                qdesc_add_field(&c->fields, &c->nfields,
                                base->fields[k].name,
                                qx_ref(base->fields[k].expr));
        }
    const tq_schema_t *sc = db_schema(ctx);
    qsql_t s;
    qerr_t e = {0};
    if (!sc || tq_compile_select_run(tq_dialect_for(tq_ctx_db(ctx)), sc, c, &s, &e) < 0) {
        qdesc_unref(c);
        return sc ? db_raise(ctx, &e) : NULL;
    }
    qdesc_unref(c);
    if (by) {
        /* one series per category: x and a column per category */
        tq_sql_t q = {.sql = s.sql, .bind = bind_qsql, .ud = &s};
        char *pivot = NULL, *err = NULL;
        bool grouped = kind == TQ_CHART_BAR || kind == TQ_CHART_BARH ||
                       kind == TQ_CHART_AREA;
        if (tq_chart_by_sql(tq_ctx_db(ctx), &q, grouped, &pivot, &err) < 0) {
            qsql_clear(&s);
            tq_raise(ctx, "ValueError", "%s", err);
            free(err);
            return NULL;
        }
        free(s.sql);
        s.sql = pivot;
    }
    tqdb_cursor_t *cur = render_cursor(ctx, &s);
    qsql_clear(&s);
    if (!cur)
        return NULL;
    tq_buf_t what = {0};
    if (kind == TQ_CHART_BOX || ncols == 1) {
        tq_buf_printf(&what, "%s", tq_as_str(cols[0]));
        for (size_t i = 1; i < ncols; i++)
            tq_buf_printf(&what, ", %s", tq_as_str(cols[i]));
    } else {
        tq_buf_printf(&what, "%s", tq_as_str(cols[by ? 2 : 1]));
        tq_buf_printf(&what, " by %s", tq_as_str(cols[0]));
        if (by)
            tq_buf_printf(&what, " per %s", tq_as_str(by));
    }
    tq_value_t *chart = db_chart_value(ctx, cur, kind, kname, a, what.s);
    tq_buf_free(&what);
    return chart;
}

#define PLOT_FN(k, kind)                                                   \
    static tq_value_t *plot_##k(tq_ctx_t *ctx, tq_value_t *self,           \
                                const tq_args_t *a)                        \
    {                                                                      \
        return plot_draw(ctx, self, a, kind, #k);                          \
    }
#define X(e, name, doc) PLOT_FN(name, TQ_CHART_##e)
TQ_CHART_KINDS(X)
#undef X

static tq_value_t *plot_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                const char *name)
{
    static const tq_builtin_fn fns[] = {
#define X(e, name, doc) plot_##name,
        TQ_CHART_KINDS(X)
#undef X
    };
    for (size_t i = 0; i < sizeof chart_kinds / sizeof *chart_kinds; i++)
        if (!strcmp(chart_kinds[i].name, name))
            return tq_builtin_new(chart_kinds[i].name, fns[i], self);
    return NULL;
}

static char *plot_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    return tq_xstrdup("<plot accessor: " TQ_CHART_NAMES_SPACED ">");
}

/* qs.plot(kind='line', x=, y=, ...): pandas' callable accessor. */
static tq_value_t *plot_call(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    tq_value_t *k = tq_args_kw(a, "kind");
    const char *name = k && tq_kind(k) == TQ_STR ? tq_as_str(k) : "line";
    if (a->npos || (k && tq_kind(k) != TQ_STR && tq_kind(k) != TQ_NONE))
        return tq_raise(ctx, "TypeError", "plot() takes keywords: kind=, "
                        "x=, y= and the chart keywords");
    for (size_t i = 0; i < sizeof chart_kinds / sizeof *chart_kinds; i++)
        if (!strcmp(chart_kinds[i].name, name))
            return plot_draw(ctx, self, a, chart_kinds[i].kind, name);
    return tq_raise(ctx, "ValueError", "%s is not a valid plot kind; kinds "
                    "are " TQ_CHART_NAMES_SPACED, name);
}

static const tq_type_t plot_type = {
    .name = "PlotAccessor",
    .destroy = plot_destroy,
    .repr = plot_repr,
    .getattr = plot_getattr,
    .call = plot_call,
};

/* ---- methods */

#define SELF_Q(self) (((qset_t *)tq_native_data(self))->q)

static tq_value_t *derived(qdesc_t *c)
{
    return qs_new(c, false);
}

static bool check_unsliced(tq_ctx_t *ctx, const qdesc_t *q, const char *what)
{
    if (qdesc_sliced(q)) {
        tq_raise(ctx, "TypeError", "Cannot %s a query once a slice has been "
                 "taken.", what);
        return false;
    }
    return true;
}

static int no_args(tq_ctx_t *ctx, const tq_args_t *a, const char *name)
{
    if (a->npos || a->nkw) {
        tq_raise(ctx, "TypeError", "%s() takes no arguments", name);
        return -1;
    }
    return 0;
}

static tq_value_t *m_all(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    if (no_args(ctx, a, "all") < 0)
        return NULL;
    return derived(qdesc_clone(SELF_Q(self)));
}

static tq_value_t *filter_like(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a, bool negate)
{
    qdesc_t *q = SELF_Q(self);
    if (!check_unsliced(ctx, q, "filter"))
        return NULL;
    qexpr_t *w = db_filter_args(ctx, a);
    if (!w && tq_error_pending(ctx))
        return NULL;
    qdesc_t *c = qdesc_clone(q);
    if (w)
        c->where = qx_and(c->where, negate ? qx_not(w) : w);
    qdesc_end_call(c);
    return derived(c);
}

static tq_value_t *m_filter(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    return filter_like(ctx, self, a, false);
}

static tq_value_t *m_exclude(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    return filter_like(ctx, self, a, true);
}

static tq_value_t *m_get(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    qdesc_t *q = SELF_Q(self);
    qexpr_t *w = db_filter_args(ctx, a);
    if (!w && tq_error_pending(ctx))
        return NULL;
    qdesc_t *c = qdesc_clone(q);
    c->where = qx_and(c->where, w);
    if (!c->norder) {
        c->order_set = true;    /* get() needs no ordering */
    }
    if (c->limit < 0 || c->limit > 21)
        c->limit = 21;
    tq_value_t *items = qs_fetch(ctx, c);
    qdesc_unref(c);
    if (!items)
        return NULL;
    size_t n = tq_seq_len(items);
    if (n == 1) {
        tq_value_t *r = tq_incref(tq_seq_get(items, 0));
        tq_decref(items);
        return r;
    }
    tq_decref(items);
    const char *bare = bare_of(ctx, q);
    if (!n)
        return tq_raise(ctx, "DoesNotExist",
                        "%s matching query does not exist.", bare);
    if (n > 20)
        return tq_raise(ctx, "MultipleObjectsReturned",
                        "get() returned more than one %s -- it returned more "
                        "than 20!",
                        bare);
    return tq_raise(ctx, "MultipleObjectsReturned",
                    "get() returned more than one %s -- it returned %zu!",
                    bare, n);
}

static tq_value_t *first_last(tq_ctx_t *ctx, tq_value_t *self, bool last)
{
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    if (last)
        c->reversed = !c->reversed;
    if (qdesc_sliced(c) && last) {
        qdesc_unref(c);
        return tq_raise(ctx, "TypeError",
                        "Cannot reverse a query once a slice has been taken.");
    }
    c->order_set = c->norder > 0;
    c->limit = 1;
    tq_value_t *items = qs_fetch(ctx, c);
    qdesc_unref(c);
    if (!items)
        return NULL;
    tq_value_t *r = tq_seq_len(items) ? tq_incref(tq_seq_get(items, 0))
                                      : tq_none();
    tq_decref(items);
    return r;
}

static tq_value_t *m_first(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    if (no_args(ctx, a, "first") < 0)
        return NULL;
    return first_last(ctx, self, false);
}

static tq_value_t *m_last(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    if (no_args(ctx, a, "last") < 0)
        return NULL;
    return first_last(ctx, self, true);
}

static tq_value_t *m_count(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    if (no_args(ctx, a, "count") < 0)
        return NULL;
    int64_t n = qs_count(ctx, SELF_Q(self));
    return n < 0 ? NULL : tq_int(n);
}

static tq_value_t *m_exists(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    if (no_args(ctx, a, "exists") < 0)
        return NULL;
    int r = qs_exists(ctx, SELF_Q(self));
    return r < 0 ? NULL : tq_bool(r);
}

static tq_value_t *m_order_by(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    qdesc_t *q = SELF_Q(self);
    if (!check_unsliced(ctx, q, "reorder"))
        return NULL;
    qdesc_t *c = qdesc_clone(q);
    for (size_t i = 0; i < c->norder; i++)
        qx_unref(c->order[i].expr);
    c->norder = 0;
    c->order_set = true;
    c->reversed = false;
    for (size_t i = 0; i < a->npos; i++) {
        bool desc;
        qexpr_t *e = db_path_expr(ctx, a->pos[i], &desc);
        if (!e) {
            qdesc_unref(c);
            return NULL;
        }
        qdesc_add_order(c, e, desc);
    }
    return derived(c);
}

static tq_value_t *m_reverse(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    if (no_args(ctx, a, "reverse") < 0 ||
        !check_unsliced(ctx, SELF_Q(self), "reverse"))
        return NULL;
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    c->reversed = !c->reversed;
    return derived(c);
}

static tq_value_t *m_distinct(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    if (a->npos || a->nkw)
        return tq_raise(ctx, "TypeError",
                        "DISTINCT ON fields is not supported by this "
                        "database backend");
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    c->distinct = true;
    return derived(c);
}

static void clear_fields(qdesc_t *c)
{
    for (size_t i = 0; i < c->nfields; i++) {
        free(c->fields[i].name);
        qx_unref(c->fields[i].expr);
    }
    free(c->fields);
    c->fields = NULL;
    c->nfields = 0;
}

/* values()/values_list() fields: names, F paths, and keyword expressions. */

/* The default alias of an annotation or aggregate ("rating__sum"),
 * seeing through the Coalesce that an aggregate's default= wraps it in
 * (expr.c marks it with the name "default"), as Django names
 * Sum('x', default=0) "x__sum". NULL when it has none. malloc'd. */
static char *agg_alias(const qexpr_t *e)
{
    if (e->kind == QX_FUNC && e->op == QF_COALESCE && e->name &&
        !strcmp(e->name, "default") && e->nargs == 2)
        e = e->args[0];
    return qx_default_alias(e);
}

static tq_value_t *set_fields(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a, qmode_t mode,
                              bool allow_kw)
{
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    if (c->group_values && c->nfields && c->mode != QM_MODEL) {
        /* values(m=...).annotate(s=Sum(...)).values('s'): the grouping
         * stays, the earlier fields remain names to select */
        for (size_t i = 0; i < c->nfields; i++) {
            qdesc_add_field(&c->group, &c->ngroup, c->fields[i].name,
                            qx_ref(c->fields[i].expr));
            c->group[c->ngroup - 1].calls = c->fields[i].calls;
        }
    }
    clear_fields(c);
    c->group_values = false;
    c->mode = mode;
    for (size_t i = 0; i < a->npos; i++) {
        tq_value_t *v = a->pos[i];
        qexpr_t *e = expr_of(v);
        if (tq_kind(v) == TQ_STR) {
            qdesc_add_field(&c->fields, &c->nfields, tq_as_str(v),
                            qx_path(tq_as_str(v)));
        } else if (e && e->kind == QX_REF) {
            qdesc_add_field(&c->fields, &c->nfields, e->name, qx_ref(e));
        } else if (e) {
            char *alias = agg_alias(e);
            if (!alias)
                alias = tq_xasprintf("expr%zu", i + 1);
            qdesc_add_field(&c->fields, &c->nfields, alias, qx_ref(e));
            free(alias);
        } else {
            qdesc_unref(c);
            return tq_raise(ctx, "TypeError",
                            "values() takes field names or F expressions");
        }
    }
    for (size_t i = 0; i < a->nkw; i++) {
        if (!allow_kw)
            continue;
        qexpr_t *e = tq_kind(a->kwvalues[i]) == TQ_STR
                         ? qx_path(tq_as_str(a->kwvalues[i]))
                         : db_value_expr(ctx, a->kwvalues[i]);
        if (!e) {
            qdesc_unref(c);
            return NULL;
        }
        qdesc_add_field(&c->fields, &c->nfields, a->kwnames[i], e);
    }
    for (size_t i = 0; i < c->nfields; i++) {
        c->fields[i].calls = c->ncalls;
        if (qx_has_agg(c->fields[i].expr))
            c->group_values = true;
    }
    if (mode == QM_MODEL)
        clear_fields(c);
    return derived(c);
}

static tq_value_t *m_values(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    return set_fields(ctx, self, a, QM_VALUES, true);
}

static tq_value_t *m_values_list(tq_ctx_t *ctx, tq_value_t *self,
                                 const tq_args_t *a)
{
    qmode_t mode = QM_TUPLES;
    for (size_t i = 0; i < a->nkw; i++) {
        int t = tq_truth(ctx, a->kwvalues[i]);
        if (t < 0)
            return NULL;
        if (!strcmp(a->kwnames[i], "flat")) {
            if (t)
                mode = QM_FLAT;
        } else if (!strcmp(a->kwnames[i], "named")) {
            if (t)
                mode = QM_ROWS;
        } else {
            return tq_raise(ctx, "TypeError",
                            "Unexpected keyword arguments to values_list: "
                            "('%s',)",
                            a->kwnames[i]);
        }
    }
    if (mode == QM_FLAT && a->npos > 1)
        return tq_raise(ctx, "TypeError",
                        "'flat' is not valid when values_list is called with "
                        "more than one field.");
    if (mode == QM_FLAT && a->npos == 0) {
        /* values_list(flat=True) of a model: the pk, as Django */
        const tq_stable_t *t = qs_table(ctx, SELF_Q(self));
        if (!t)
            return NULL;
        tq_value_t *pk = tq_str(t->pk);
        tq_args_t a2 = {.pos = &pk, .npos = 1};
        tq_value_t *r = set_fields(ctx, self, &a2, mode, false);
        tq_decref(pk);
        return r;
    }
    return set_fields(ctx, self, a, mode, false);
}

static tq_value_t *m_annotate(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    bool to_fields = c->mode != QM_MODEL && c->nfields > 0;
    for (size_t i = 0; i < a->npos + a->nkw; i++) {
        tq_value_t *v = i < a->npos ? a->pos[i] : a->kwvalues[i - a->npos];
        qexpr_t *e = expr_of(v);
        if (!e && tq_kind(v) == TQ_STR && i >= a->npos)
            e = NULL;
        qexpr_t *val = e ? qx_ref(e) : db_value_expr(ctx, v);
        if (!val) {
            qdesc_unref(c);
            return NULL;
        }
        char *name = i < a->npos ? agg_alias(val)
                                 : tq_xstrdup(a->kwnames[i - a->npos]);
        if (!name) {
            qx_unref(val);
            qdesc_unref(c);
            return tq_raise(ctx, "TypeError",
                            "Complex annotations require an alias");
        }
        if (to_fields) {
            qdesc_add_field(&c->fields, &c->nfields, name, val);
            c->fields[c->nfields - 1].calls = c->ncalls;
            if (qx_has_agg(val))
                c->group_values = true;
        } else {
            qdesc_add_field(&c->annos, &c->nannos, name, val);
            c->annos[c->nannos - 1].calls = c->ncalls;
        }
        free(name);
    }
    return derived(c);
}

static tq_value_t *m_aggregate(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a)
{
    size_t n = a->npos + a->nkw;
    qfield_t *aggs = tq_xcalloc(n, sizeof *aggs);
    tq_value_t *r = NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++, k++) {
        tq_value_t *v = i < a->npos ? a->pos[i] : a->kwvalues[i - a->npos];
        qexpr_t *e = expr_of(v);
        if (!e || !qx_has_agg(e)) {
            tq_raise(ctx, "TypeError", "%s is not an aggregate expression",
                     i < a->npos ? "argument" : a->kwnames[i - a->npos]);
            goto out;
        }
        aggs[k].expr = qx_ref(e);
        aggs[k].name = i < a->npos ? agg_alias(e)
                                   : tq_xstrdup(a->kwnames[i - a->npos]);
        if (!aggs[k].name) {
            tq_raise(ctx, "TypeError", "Complex aggregates require an alias");
            k++;
            goto out;
        }
    }
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        goto out;
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_aggregate(tq_dialect_for(tq_ctx_db(ctx)), sc, SELF_Q(self),
                             aggs, n, &s, &e) < 0) {
        db_raise(ctx, &e);
        goto out;
    }
    tqdb_cursor_t *cur = db_prepare_cursor(ctx, &s);
    if (cur) {
        assert((size_t)tqdb_column_count(cur) == n);
        int rc = tqdb_step(cur);
        if (rc == TQDB_ROW) {
            r = tq_dict_new();
            for (size_t i = 0; i < n; i++) {
                tq_value_t *v = tq_cursor_value(cur, (int)i);
                tq_dict_set_str(r, aggs[i].name, v);
                tq_decref(v);
            }
        } else {
            tq_raise_db(ctx);
        }
        tqdb_cursor_free(&cur);
    }
    qsql_clear(&s);
out:
    for (size_t i = 0; i < k; i++) {
        free(aggs[i].name);
        qx_unref(aggs[i].expr);
    }
    free(aggs);
    return r;
}

static tq_value_t *m_select_related(tq_ctx_t *ctx, tq_value_t *self,
                                    const tq_args_t *a)
{
    qdesc_t *q = SELF_Q(self);
    const tq_stable_t *t = qs_table(ctx, q);
    if (!t)
        return NULL;
    qdesc_t *c = qdesc_clone(q);
    for (size_t i = 0; i < a->npos; i++) {
        if (tq_kind(a->pos[i]) != TQ_STR) {
            qdesc_unref(c);
            return tq_raise(ctx, "TypeError",
                            "select_related() takes relation names");
        }
        const char *name = tq_as_str(a->pos[i]);
        const char *sep = strstr(name, "__");
        char *first = tq_xstrndup(name, sep ? (size_t)(sep - name)
                                            : strlen(name));
        const tq_srel_t *r = tq_stable_rel(t, first);
        free(first);
        if (!r || r->reverse) {
            qdesc_unref(c);
            return tq_raise(ctx, "FieldError",
                            "Invalid field name(s) given in select_related: "
                            "'%s'.",
                            name);
        }
        c->related = tq_xrealloc(c->related,
                                 (c->nrelated + 1) * sizeof *c->related);
        c->related[c->nrelated++] = tq_xstrdup(name);
    }
    return derived(c);
}

static tq_value_t *m_only(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    qdesc_t *q = SELF_Q(self);
    const tq_stable_t *t = qs_table(ctx, q);
    if (!t)
        return NULL;
    qdesc_t *c = qdesc_clone(q);
    for (size_t i = 0; i < a->npos; i++) {
        if (tq_kind(a->pos[i]) != TQ_STR ||
            tq_stable_col(t, tq_as_str(a->pos[i])) == -1) {
            char *ch = tq_stable_choices(t, NULL, 0);
            tq_raise(ctx, "FieldError",
                     "Cannot resolve keyword '%s' into field. Choices are: "
                     "%s",
                     tq_kind(a->pos[i]) == TQ_STR ? tq_as_str(a->pos[i]) : "?",
                     ch);
            free(ch);
            qdesc_unref(c);
            return NULL;
        }
        c->only = tq_xrealloc(c->only, (c->nonly + 1) * sizeof *c->only);
        c->only[c->nonly++] = tq_xstrdup(tq_as_str(a->pos[i]));
    }
    return derived(c);
}

/* defer(*fields): every column but those (the key always stays). */
static tq_value_t *m_defer(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    qdesc_t *q = SELF_Q(self);
    const tq_stable_t *t = qs_table(ctx, q);
    if (!t)
        return NULL;
    for (size_t i = 0; i < a->npos; i++)
        if (tq_kind(a->pos[i]) != TQ_STR ||
            tq_stable_col(t, tq_as_str(a->pos[i])) == -1) {
            char *ch = tq_stable_choices(t, NULL, 0);
            tq_raise(ctx, "FieldError",
                     "Cannot resolve keyword '%s' into field. Choices are: "
                     "%s",
                     tq_kind(a->pos[i]) == TQ_STR ? tq_as_str(a->pos[i]) : "?",
                     ch);
            free(ch);
            return NULL;
        }
    qdesc_t *c = qdesc_clone(q);
    for (size_t k = 0; k < c->nonly; k++)
        free(c->only[k]);
    free(c->only);
    c->only = NULL;
    c->nonly = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        bool deferred = false;
        for (size_t k = 0; k < a->npos && !t->cols[i].pk; k++)
            deferred |= !strcasecmp(tq_as_str(a->pos[k]), t->cols[i].name);
        bool kept = !q->nonly || t->cols[i].pk;
        for (size_t k = 0; k < q->nonly && !kept; k++)
            kept = !strcasecmp(q->only[k], t->cols[i].name);
        if (deferred || !kept)
            continue;
        c->only = tq_xrealloc(c->only, (c->nonly + 1) * sizeof *c->only);
        c->only[c->nonly++] = tq_xstrdup(t->cols[i].name);
    }
    return derived(c);
}

/* prefetch_related(*names): accepted; related rows are read by their own
 * statement when an object's relation is used, as without it. */
static tq_value_t *m_prefetch_related(tq_ctx_t *ctx, tq_value_t *self,
                                      const tq_args_t *a)
{
    for (size_t i = 0; i < a->npos; i++)
        if (tq_kind(a->pos[i]) != TQ_STR)
            return tq_raise(ctx, "TypeError",
                            "prefetch_related() takes relation names");
    return derived(qdesc_clone(SELF_Q(self)));
}

/* dates(field, kind, order='ASC') and datetimes(...): the distinct
 * truncated values of a date field that is not null, in order, as one
 * SELECT DISTINCT. */
static tq_value_t *dates_like(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a, bool datetimes)
{
    const char *what = datetimes ? "datetimes" : "dates";
    tq_value_t *field = a->npos > 0 ? a->pos[0] : tq_args_kw(a, "field_name");
    tq_value_t *kind = a->npos > 1 ? a->pos[1] : tq_args_kw(a, "kind");
    tq_value_t *order = a->npos > 2 ? a->pos[2] : tq_args_kw(a, "order");
    if (!field || !kind || tq_kind(field) != TQ_STR || tq_kind(kind) != TQ_STR)
        return tq_raise(ctx, "TypeError",
                        "%s() takes a field name and a kind", what);
    const char *k = tq_as_str(kind);
    static const struct {
        const char *kind;
        qx_func_t f;
    } kinds[] = {{"year", QF_TRUNCYEAR}, {"month", QF_TRUNCMONTH},
                 {"week", QF_TRUNCWEEK}, {"day", QF_TRUNCDAY}};
    size_t ki = 0;
    while (ki < 4 && strcmp(kinds[ki].kind, k))
        ki++;
    if (ki == 4)
        return tq_raise(ctx, "ValueError",
                        datetimes ? "'kind' must be one of 'year', 'month', "
                                    "'week' or 'day' (hour, minute and "
                                    "second are not supported yet)."
                                  : "'kind' must be one of 'year', 'month', "
                                    "'week', or 'day'.");
    const char *o = order && tq_kind(order) == TQ_STR ? tq_as_str(order)
                                                       : "ASC";
    if (strcmp(o, "ASC") && strcmp(o, "DESC"))
        return tq_raise(ctx, "ValueError",
                        "'order' must be either 'ASC' or 'DESC'.");
    qexpr_t *e = qx_new(QX_FUNC);
    e->op = kinds[ki].f;
    qx_push(e, qx_path(tq_as_str(field)));
    if (datetimes) {
        qexpr_t *c = qx_new(QX_FUNC);
        c->op = QF_CONCAT;
        qx_push(c, e);
        qx_push(c, qx_lit(qlit_text(" 00:00:00")));
        e = c;
    }
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    clear_fields(c);
    c->group_values = false;
    c->mode = QM_FLAT;
    c->distinct = true;
    char *name = tq_xasprintf("%sfield", datetimes ? "datetime" : "date");
    qdesc_add_field(&c->fields, &c->nfields, name, e);
    c->where = qx_and(c->where, qx_not(qx_kw(tq_as_str(field),
                                             qx_lit(qlit_null()))));
    for (size_t i = 0; i < c->norder; i++)
        qx_unref(c->order[i].expr);
    c->norder = 0;
    c->order_set = true;
    c->reversed = false;
    qdesc_add_order(c, qx_path(name), !strcmp(o, "DESC"));
    free(name);
    return derived(c);
}

static tq_value_t *m_dates(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    return dates_like(ctx, self, a, false);
}

static tq_value_t *m_datetimes(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a)
{
    return dates_like(ctx, self, a, true);
}

/* raw(sql, params=()): the model's objects from a SELECT the user writes,
 * run as written (Django's RawQuerySet, as a list). */
static tq_value_t *m_raw(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    const tq_stable_t *t = qs_table(ctx, SELF_Q(self));
    if (!t)
        return NULL;
    tq_value_t *params = a->npos > 1 ? a->pos[1] : tq_args_kw(a, "params");
    if (a->npos < 1 || tq_kind(a->pos[0]) != TQ_STR)
        return tq_raise(ctx, "TypeError", "raw() takes an SQL query");
    qsql_t s = {0};
    s.sql = tq_xstrdup(tq_as_str(a->pos[0]));
    s.dialect = tq_dialect_for(tq_ctx_db(ctx));
    if (params && tq_kind(params) != TQ_NONE) {
        if (tq_kind(params) != TQ_LIST && tq_kind(params) != TQ_TUPLE) {
            qsql_clear(&s);
            return tq_raise(ctx, "TypeError",
                            "raw() takes its params as a list or a tuple");
        }
        for (size_t i = 0; i < tq_seq_len(params); i++) {
            qlit_t l;
            if (db_value_lit(ctx, tq_seq_get(params, i), &l) < 0) {
                qsql_clear(&s);
                return NULL;
            }
            TQ_PUSH(s.params, s.nparams, s.pcap, l);
        }
    }
    tqdb_cursor_t *cur = db_prepare_cursor(ctx, &s);
    if (!cur) {
        qsql_clear(&s);
        return NULL;
    }
    /* raw() maps rows to objects: a statement that writes, or returns no
     * columns, is refused before it runs (Django: "Raw query must include
     * the primary key"); writes go through %sql. */
    if (!tqdb_cursor_readonly(cur) || tqdb_column_count(cur) == 0) {
        tqdb_cursor_free(&cur);
        qsql_clear(&s);
        return tq_raise(ctx, "TypeError", "raw() runs a query that returns "
                        "rows of %s; use %%sql for statements that write",
                        t->bare);
    }
    size_t n = (size_t)tqdb_column_count(cur);
    char **cols = tq_xcalloc(n ? n : 1, sizeof *cols);
    for (size_t i = 0; i < n; i++)
        cols[i] = tq_xstrdup(tqdb_column_name(cur, (int)i));
    tq_value_t *list = tq_list_new(0);
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tq_value_t *item = obj_from_cursor(ctx, t, cur, cols, n, false);
        if (!item) {
            rc = -1;
            break;
        }
        tq_list_append(list, item);
        tq_decref(item);
    }
    tqdb_cursor_free(&cur);
    for (size_t i = 0; i < n; i++)
        free(cols[i]);
    free(cols);
    qsql_clear(&s);
    if (rc != TQDB_DONE) {
        tq_decref(list);
        if (!tq_error_pending(ctx))
            tq_raise_db(ctx);
        return NULL;
    }
    return list;
}

static tq_value_t *m_new(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    if (a->npos)
        return tq_raise(ctx, "TypeError", "new() takes keyword fields only");
    const tq_stable_t *t = qs_table(ctx, SELF_Q(self));
    if (!t)
        return NULL;
    return obj_new_unsaved(ctx, t, a);
}

static tq_value_t *m_create(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    tq_value_t *obj = m_new(ctx, self, a);
    if (!obj)
        return NULL;
    if (obj_insert(ctx, obj) < 0) {
        tq_decref(obj);
        return NULL;
    }
    return obj;
}

static tq_value_t *m_bulk_create(tq_ctx_t *ctx, tq_value_t *self,
                                 const tq_args_t *a)
{
    if (a->npos != 1 || (tq_kind(a->pos[0]) != TQ_LIST &&
                         tq_kind(a->pos[0]) != TQ_TUPLE))
        return tq_raise(ctx, "TypeError",
                        "bulk_create() takes a list of unsaved objects");
    tq_value_t *objs = a->pos[0];
    for (size_t i = 0; i < tq_seq_len(objs); i++) {
        tq_value_t *o = tq_seq_get(objs, i);
        if (!tq_is_native(o, &tq_object_type))
            return tq_raise(ctx, "TypeError",
                            "bulk_create() takes objects built with new()");
        if (obj_insert(ctx, o) < 0)
            return NULL;
    }
    return tq_incref(objs);
}

static tq_value_t *m_update(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    if (a->npos)
        return tq_raise(ctx, "TypeError", "update() takes keyword fields");
    qfield_t *sets = tq_xcalloc(a->nkw, sizeof *sets);
    tq_value_t *r = NULL;
    size_t k;
    for (k = 0; k < a->nkw; k++) {
        sets[k].expr = db_value_expr(ctx, a->kwvalues[k]);
        if (!sets[k].expr)
            goto out;
        sets[k].name = tq_xstrdup(a->kwnames[k]);
    }
    int64_t n = qs_update(ctx, SELF_Q(self), sets, a->nkw);
    if (n >= 0)
        r = tq_int(n);
out:
    for (size_t i = 0; i < k; i++) {
        free(sets[i].name);
        qx_unref(sets[i].expr);
    }
    free(sets);
    return r;
}

static tq_value_t *m_delete(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    qdesc_t *q = SELF_Q(self);
    if (q->distinct)
        return tq_raise(ctx, "TypeError",
                        "Cannot call delete() after .distinct().");
    int64_t n;
    int done = model_delete(ctx, q, a, &n);   /* soft, or via the parent */
    if (done < 0)
        return NULL;
    tq_value_t *collected = NULL;
    if (!done && (done = tq_django_delete(ctx, q, &collected)) != 0)
        return collected;                     /* Django's on_delete rules */
    if (!done) {
        qsql_t s;
        qerr_t e = {0};
        if (tq_compile_delete(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s,
                              &e) < 0)
            return db_raise(ctx, &e);
        n = db_exec_write(ctx, &s);
        qsql_clear(&s);
        if (n < 0)
            return NULL;
    }
    tq_value_t *t = tq_tuple_new(2);
    tq_tuple_set(t, 0, tq_int(n));
    tq_value_t *d = tq_dict_new();
    tq_value_t *nv = tq_int(n);
    tq_dict_set_str(d, bare_of(ctx, q), nv);
    tq_decref(nv);
    tq_tuple_set(t, 1, d);
    return t;
}

static tq_value_t *m_explain(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    qsql_t s;
    qerr_t e = {0};
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    if (tq_compile_select_run(d, sc, SELF_Q(self), &s, &e) < 0)
        return db_raise(ctx, &e);
    char *sql = tq_xasprintf("%s%s", d->explain, s.sql);
    free(s.sql);
    s.sql = sql;
    tqdb_cursor_t *cur = db_prepare_cursor(ctx, &s);
    qsql_clear(&s);
    if (!cur)
        return NULL;
    /* the step's text, after the integers before it (SQLite: id parent
     * notused detail) */
    int detail = d->explain_detail_col;
    assert(tqdb_column_count(cur) > detail);
    tq_buf_t b = {0};
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        if (b.len)
            tq_buf_addc(&b, '\n');
        for (int i = 0; i < detail; i++)
            tq_buf_printf(&b, "%d ", (int)tqdb_column_int(cur, i));
        const char *text = tqdb_column_text(cur, detail);
        tq_buf_add(&b, text ? text : "(null)");
    }
    tqdb_cursor_free(&cur);
    if (rc != TQDB_DONE) {
        tq_buf_free(&b);
        return tq_raise_db(ctx);
    }
    return tq_str_take(tq_buf_take(&b));
}

static tq_value_t *m_to_csv(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    if (a->npos != 1 || tq_kind(a->pos[0]) != TQ_STR)
        return tq_raise(ctx, "TypeError", "to_csv() takes a file path");
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_select_run(tq_dialect_for(tq_ctx_db(ctx)), sc, SELF_Q(self), &s, &e) < 0)
        return db_raise(ctx, &e);
    tqdb_cursor_t *cur = render_cursor(ctx, &s);
    qsql_clear(&s);
    if (!cur)
        return NULL;
    int64_t rows = 0;
    char *err = NULL;
    int rc = tq_csv_write(cur, tq_as_str(a->pos[0]), &rows, &err);
    tqdb_cursor_free(&cur);
    if (rc != 0) {
        tq_raise(ctx, "ValueError", "%s", err ? err : "cannot write CSV");
        free(err);
        return NULL;
    }
    return tq_none();
}

/* Splits defaults= from the lookups of get_or_create/update_or_create. */
static tq_value_t *split_defaults(const tq_args_t *a, tq_args_t *lookups)
{
    *lookups = *a;
    lookups->kwnames = tq_xcalloc(a->nkw + 1, sizeof *lookups->kwnames);
    lookups->kwvalues = tq_xcalloc(a->nkw + 1, sizeof *lookups->kwvalues);
    lookups->nkw = 0;
    tq_value_t *defaults = NULL;
    for (size_t i = 0; i < a->nkw; i++) {
        if (!strcmp(a->kwnames[i], "defaults")) {
            defaults = a->kwvalues[i];
            continue;
        }
        lookups->kwnames[lookups->nkw] = a->kwnames[i];
        lookups->kwvalues[lookups->nkw++] = a->kwvalues[i];
    }
    return defaults;
}

/* get_or_create / update_or_create: (object, created). Lookups without
 * "__" become fields of the new object, then defaults (a dict). */
static tq_value_t *get_or_make(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a, bool update)
{
    tq_args_t lk;
    tq_value_t *defaults = split_defaults(a, &lk);
    tq_value_t *r = NULL, *obj = NULL;
    bool created = false;
    if (defaults && tq_kind(defaults) != TQ_DICT && tq_kind(defaults) !=
                                                        TQ_NONE) {
        tq_raise(ctx, "TypeError", "defaults must be a dict");
        goto out;
    }
    size_t nd = defaults && tq_kind(defaults) == TQ_DICT ? tq_dict_len(defaults)
                                                        : 0;
    obj = m_get(ctx, self, &lk);
    if (!obj && tq_error_name(ctx) && !strcmp(tq_error_name(ctx),
                                              "DoesNotExist")) {
        tq_error_clear(ctx);
        tq_args_t c = {0};
        c.kwnames = tq_xcalloc(lk.nkw + nd + 1, sizeof *c.kwnames);
        c.kwvalues = tq_xcalloc(lk.nkw + nd + 1, sizeof *c.kwvalues);
        for (size_t i = 0; i < lk.nkw; i++)
            if (!strstr(lk.kwnames[i], "__")) {
                c.kwnames[c.nkw] = lk.kwnames[i];
                c.kwvalues[c.nkw++] = lk.kwvalues[i];
            }
        for (size_t i = 0; i < nd; i++) {
            tq_value_t *k = tq_dict_key_at(defaults, i);
            if (tq_kind(k) != TQ_STR)
                continue;
            c.kwnames[c.nkw] = tq_as_str(k);
            c.kwvalues[c.nkw++] = tq_dict_value_at(defaults, i);
        }
        obj = m_create(ctx, self, &c);
        free(c.kwnames);
        free(c.kwvalues);
        created = true;
    } else if (obj && update && nd) {
        for (size_t i = 0; i < nd; i++) {
            tq_value_t *k = tq_dict_key_at(defaults, i);
            if (tq_kind(k) == TQ_STR &&
                tq_native_type(obj)->setattr(ctx, obj, tq_as_str(k),
                                             tq_dict_value_at(defaults, i)) < 0)
                goto out;
        }
        tq_value_t *save = tq_getattr(ctx, obj, "save");
        tq_value_t *res = save ? tq_call_pos(ctx, save, 0, NULL) : NULL;
        tq_decref(save);
        if (!res)
            goto out;
        tq_decref(res);
    }
    if (!obj)
        goto out;
    r = tq_tuple_new(2);
    tq_tuple_set(r, 0, tq_incref(obj));
    tq_tuple_set(r, 1, tq_bool(created));
out:
    tq_decref(obj);
    free(lk.kwnames);
    free(lk.kwvalues);
    return r;
}

static tq_value_t *m_get_or_create(tq_ctx_t *ctx, tq_value_t *self,
                                   const tq_args_t *a)
{
    return get_or_make(ctx, self, a, false);
}

static tq_value_t *m_update_or_create(tq_ctx_t *ctx, tq_value_t *self,
                                      const tq_args_t *a)
{
    return get_or_make(ctx, self, a, true);
}

/* in_bulk([pks]): {pk: object} in one SELECT. */
static tq_value_t *m_in_bulk(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    c->mode = QM_MODEL;
    if (a->npos == 1) {
        qexpr_t *v = db_value_expr(ctx, a->pos[0]);
        if (!v || v->kind != QX_LIST) {
            qx_unref(v);
            qdesc_unref(c);
            return tq_error_pending(ctx) ? NULL
                   : tq_raise(ctx, "TypeError", "in_bulk() takes a list of "
                              "primary keys");
        }
        c->where = qx_and(c->where, qx_kw("pk__in", v));
    }
    tq_value_t *items = qs_fetch(ctx, c);
    qdesc_unref(c);
    if (!items)
        return NULL;
    tq_value_t *d = tq_dict_new();
    for (size_t i = 0; i < tq_seq_len(items); i++) {
        tq_value_t *o = tq_seq_get(items, i);
        tq_value_t *pk = obj_pk(o);
        if (!pk) {           /* a table without a key on PostgreSQL */
            tq_decref(items);
            tq_decref(d);
            return tq_raise(ctx, "TypeError", "in_bulk() needs a primary "
                            "key, and table '%s' has none",
                            SELF_Q(self)->table);
        }
        tq_dict_set(d, pk, o);
    }
    tq_decref(items);
    return d;
}

static tq_value_t *m_none(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    if (no_args(ctx, a, "none") < 0)
        return NULL;
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    qexpr_t *f = qx_new(QX_BOOL);
    f->op = 0;
    c->where = qx_and(c->where, f);
    return derived(c);
}

/* latest(field) / earliest(field): the object with the largest/smallest
 * value, one SELECT ... LIMIT 1; DoesNotExist when empty. */
static tq_value_t *latest_like(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a, bool latest)
{
    qdesc_t *c = qdesc_clone(SELF_Q(self));
    for (size_t i = 0; i < c->norder; i++)
        qx_unref(c->order[i].expr);
    c->norder = 0;
    c->order_set = true;
    c->reversed = false;
    for (size_t i = 0; i < a->npos; i++) {
        bool desc;
        qexpr_t *e = db_path_expr(ctx, a->pos[i], &desc);
        if (!e) {
            qdesc_unref(c);
            return NULL;
        }
        qdesc_add_order(c, e, desc != latest);
    }
    if (!a->npos) {
        qdesc_unref(c);
        return tq_raise(ctx, "ValueError",
                        "earliest() and latest() require either fields as "
                        "positional arguments or 'get_latest_by' in the "
                        "model's Meta.");
    }
    c->limit = 1;
    tq_value_t *items = qs_fetch(ctx, c);
    qdesc_unref(c);
    if (!items)
        return NULL;
    tq_value_t *r = tq_seq_len(items)
                        ? tq_incref(tq_seq_get(items, 0))
                        : tq_raise(ctx, "DoesNotExist",
                                   "%s matching query does not exist.",
                                   bare_of(ctx, SELF_Q(self)));
    tq_decref(items);
    return r;
}

static tq_value_t *m_latest(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    return latest_like(ctx, self, a, true);
}

static tq_value_t *m_earliest(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    return latest_like(ctx, self, a, false);
}

static const struct {
    const char *name;
    tq_builtin_fn fn;
} methods[] = {
    {"get_or_create", m_get_or_create},
    {"update_or_create", m_update_or_create}, {"in_bulk", m_in_bulk},
    {"none", m_none}, {"latest", m_latest}, {"earliest", m_earliest},
    {"all", m_all}, {"filter", m_filter}, {"exclude", m_exclude},
    {"get", m_get}, {"first", m_first}, {"last", m_last},
    {"count", m_count}, {"exists", m_exists}, {"order_by", m_order_by},
    {"reverse", m_reverse}, {"distinct", m_distinct}, {"values", m_values},
    {"values_list", m_values_list}, {"annotate", m_annotate},
    {"aggregate", m_aggregate}, {"select_related", m_select_related},
    {"only", m_only}, {"create", m_create}, {"bulk_create", m_bulk_create},
    {"update", m_update}, {"delete", m_delete}, {"explain", m_explain},
    {"to_csv", m_to_csv}, {"new", m_new}, {"defer", m_defer},
    {"prefetch_related", m_prefetch_related}, {"dates", m_dates},
    {"datetimes", m_datetimes}, {"raw", m_raw},
};

/* Methods that a higher layer adds to every query set (the frame layer's
 * dataframe and update_from_dataframe), registered once at start-up by
 * the session through qs_register_method. */
#define QS_MAX_EXTRA_METHODS 8
static struct {
    const char *name;
    tq_builtin_fn fn;
} extra_methods[QS_MAX_EXTRA_METHODS];
static size_t n_extra_methods;

void qs_register_method(const char *name, tq_builtin_fn fn)
{
    assert(name && fn);
    for (size_t i = 0; i < n_extra_methods; i++)
        if (!strcmp(extra_methods[i].name, name)) {
            extra_methods[i].fn = fn;
            return;
        }
    assert(n_extra_methods < QS_MAX_EXTRA_METHODS);
    extra_methods[n_extra_methods].name = name;
    extra_methods[n_extra_methods].fn = fn;
    n_extra_methods++;
}

/* A user method bound to a query set: calls fn(self, *args, **kw). The
 * bound self is a tuple (function, query set). */
static tq_value_t *call_user_method(tq_ctx_t *ctx, tq_value_t *bound,
                                    const tq_args_t *a)
{
    tq_value_t *fn = tq_seq_get(bound, 0), *qs = tq_seq_get(bound, 1);
    tq_value_t **pos = tq_xcalloc(a->npos + 1, sizeof *pos);
    pos[0] = qs;
    for (size_t i = 0; i < a->npos; i++)
        pos[i + 1] = a->pos[i];
    tq_args_t a2 = *a;
    a2.pos = pos;
    a2.npos = a->npos + 1;
    tq_value_t *r = tq_call(ctx, fn, &a2);
    free(pos);
    return r;
}

/* AttributeError for a name that is no method, with Python 3.11's hint
 * when a method is close: "Did you mean: 'count'?". */
static tq_value_t *no_method(tq_ctx_t *ctx, const char *name)
{
    const char *cands[sizeof methods / sizeof *methods +
                      QS_MAX_EXTRA_METHODS + 3];
    size_t n = 0;
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        cands[n++] = methods[i].name;
    for (size_t i = 0; i < n_extra_methods; i++)
        cands[n++] = extra_methods[i].name;
    cands[n++] = "query";
    cands[n++] = "ordered";
    cands[n++] = "plot";
    const char *hint = tq_suggest(name, cands, n);
    if (!hint)
        return tq_raise(ctx, "AttributeError",
                        "'QuerySet' object has no attribute '%s'", name);
    return tq_raise(ctx, "AttributeError",
                    "'QuerySet' object has no attribute '%s'. Did you mean: "
                    "'%s'?",
                    name, hint);
}

/* qs.ordered, as Django's QuerySet.ordered: True for an order_by()
 * with fields, for an empty query set (none()), and for a model's
 * Meta.ordering unless order_by() cleared it or the query set groups
 * (an aggregate annotation, values().annotate()): a default ordering
 * does not order GROUP BY queries. */
static tq_value_t *qs_ordered(tq_ctx_t *ctx, const qdesc_t *q)
{
    const qexpr_t *w = q->where;
    bool empty = w && w->kind == QX_BOOL && !w->op;
    for (size_t i = 0; w && w->kind == QX_AND && i < w->nargs; i++)
        empty |= w->args[i]->kind == QX_BOOL && !w->args[i]->op;
    if (empty || q->norder)
        return tq_bool(true);
    if (q->order_set)
        return tq_bool(false);
    const tq_stable_t *t = qs_table(ctx, q);
    if (!t)
        return NULL;
    bool grouped = q->group_values || q->ngroup;
    for (size_t i = 0; i < q->nannos; i++)
        grouped |= qx_has_agg(q->annos[i].expr);
    for (size_t i = 0; i < q->nfields; i++)
        grouped |= qx_has_agg(q->fields[i].expr);
    return tq_bool((q->proxy_ordering || t->dj_ordering) && !grouped);
}

static tq_value_t *qs_getattr(tq_ctx_t *ctx, tq_value_t *self,
                              const char *name)
{
    qset_t *s = tq_native_data(self);
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (!strcmp(methods[i].name, name))
            return tq_builtin_new(methods[i].name, methods[i].fn, self);
    for (size_t i = 0; i < n_extra_methods; i++)
        if (!strcmp(extra_methods[i].name, name))
            return tq_builtin_new(extra_methods[i].name, extra_methods[i].fn,
                                  self);
    if (!strcmp(name, "objects")) {
        if (!s->manager)
            return tq_raise(ctx, "TypeError",
                            "Manager isn't accessible via QuerySet instances");
        return tq_incref(self);
    }
    if (!strcmp(name, "query"))
        return query_text(ctx, s->q);
    if (!strcmp(name, "ordered"))
        return qs_ordered(ctx, s->q);
    if (!strcmp(name, "plot")) {
        plot_t *p = tq_xcalloc(1, sizeof *p);
        p->q = qdesc_ref(s->q);
        return tq_native_new(&plot_type, p);
    }
    const db_method_t *m = db_method_find(ctx, s->q->schema, s->q->table,
                                          name);
    if (m && name[0] != '<') {       /* "<model>": model_meta.c's entry */
        if (m->manager && !s->manager)
            return tq_raise(ctx, "TypeError",
                            "%s() is a manager method: call it on the manager "
                            "(%s.%s(...)), not on a filtered query set",
                            name, bare_of(ctx, s->q), name);
        tq_value_t *bound = tq_tuple_new(2);
        tq_tuple_set(bound, 0, tq_incref(m->fn));
        tq_tuple_set(bound, 1, tq_incref(self));
        tq_value_t *r = tq_builtin_new("method", call_user_method, bound);
        tq_decref(bound);
        return r;
    }
    /* what Meta keywords add: all_objects, timeframed, STATUS choices */
    tq_value_t *r = model_qs_attr(ctx, s->q, s->manager, name);
    if (r || tq_error_pending(ctx))
        return r;
    return no_method(ctx, name);
}

/* qs[i], qs[a:b], and T[rows, cols] (index.c). */
static tq_value_t *qs_getitem(tq_ctx_t *ctx, tq_value_t *self,
                              tq_value_t *key)
{
    qdesc_t *q = SELF_Q(self);
    if (tq_kind(key) == TQ_TUPLE)
        return index_get(ctx, self, key);
    if (tq_kind(key) == TQ_INT || tq_kind(key) == TQ_BOOL) {
        int64_t i = tq_as_int(key);
        if (i < 0)
            return tq_raise(ctx, "ValueError",
                            "Negative indexing is not supported.");
        if (q->limit >= 0 && i >= q->limit)
            return tq_raise(ctx, "IndexError", "list index out of range");
        qdesc_t *c = qdesc_clone(q);
        c->offset += i;
        c->limit = 1;
        tq_value_t *items = qs_fetch(ctx, c);
        qdesc_unref(c);
        if (!items)
            return NULL;
        tq_value_t *r = NULL;
        if (tq_seq_len(items))
            r = tq_incref(tq_seq_get(items, 0));
        else
            tq_raise(ctx, "IndexError", "list index out of range");
        tq_decref(items);
        return r;
    }
    if (tq_kind(key) == TQ_SLICE) {
        tq_value_t *st = tq_slice_start(key), *sp = tq_slice_stop(key),
                   *step = tq_slice_step(key);
        if (step && tq_kind(step) != TQ_NONE &&
            !(tq_kind(step) == TQ_INT && tq_as_int(step) == 1))
            return tq_raise(ctx, "ValueError",
                            "Query sets do not support slice steps.");
        int64_t start = 0, stop = -1;
        if (st && tq_kind(st) != TQ_NONE) {
            if (tq_kind(st) != TQ_INT)
                return tq_raise(ctx, "TypeError", "slice bounds are ints");
            start = tq_as_int(st);
        }
        if (sp && tq_kind(sp) != TQ_NONE) {
            if (tq_kind(sp) != TQ_INT)
                return tq_raise(ctx, "TypeError", "slice bounds are ints");
            stop = tq_as_int(sp);
            if (stop < 0)
                return tq_raise(ctx, "ValueError",
                                "Negative indexing is not supported.");
        }
        if (start < 0)
            return tq_raise(ctx, "ValueError",
                            "Negative indexing is not supported.");
        qdesc_t *c = qdesc_clone(q);
        int64_t old_limit = c->limit;
        c->offset += start;
        int64_t lim = stop >= 0 ? (stop > start ? stop - start : 0) : -1;
        if (old_limit >= 0) {
            int64_t rest = old_limit > start ? old_limit - start : 0;
            lim = lim < 0 || rest < lim ? rest : lim;
        }
        c->limit = lim;
        return derived(c);
    }
    return tq_raise(ctx, "TypeError",
                    "QuerySet indices must be integers, slices or "
                    "(rows, columns), not %s",
                    tq_type_name(key));
}

static int qs_setitem(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key,
                      tq_value_t *value)
{
    if (tq_kind(key) != TQ_TUPLE) {
        tq_raise(ctx, "TypeError",
                 "assignment needs T[rows, columns] = value");
        return -1;
    }
    return index_set(ctx, self, key, value);
}

/* qs1 | qs2, qs1 & qs2: one query set whose filters are OR-ed / AND-ed,
 * as Django combines query sets of the same model. */
static tq_value_t *qs_binop(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *self,
                            tq_value_t *other, bool reflected)
{
    if (op != TQ_OP_OR && op != TQ_OP_AND)
        return NULL;
    qdesc_t *a = SELF_Q(self), *b = qs_desc(other);
    if (!b)
        return NULL;
    if (reflected) {
        qdesc_t *t = a;
        a = b;
        b = t;
    }
    if (strcmp(a->table, b->table) || strcmp(a->schema, b->schema))
        return tq_raise(ctx, "TypeError",
                        "Cannot combine queries on two different base models.");
    if (qdesc_sliced(a) || qdesc_sliced(b))
        return tq_raise(ctx, "TypeError",
                        "Cannot combine queries once a slice has been taken.");
    if (a->mode != b->mode || a->distinct != b->distinct)
        return tq_raise(ctx, "TypeError",
                        "Cannot combine a unique query with a non-unique "
                        "query.");
    qdesc_t *c = qdesc_clone(a);
    qexpr_t *wa = a->where ? qx_ref(a->where) : qx_new(QX_AND);
    qexpr_t *wb = b->where ? qx_ref(b->where) : qx_new(QX_AND);
    qx_unref(c->where);
    c->where = op == TQ_OP_OR ? qx_or(wa, wb) : qx_and(wa, wb);
    return derived(c);
}

/* User(**fields): the model constructor, an unsaved object as new(). */
static tq_value_t *qs_call(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    if (!((qset_t *)tq_native_data(self))->manager)
        return tq_raise(ctx, "TypeError", "'QuerySet' object is not callable");
    return m_new(ctx, self, a);
}

static tq_value_t *qs_iterate(tq_ctx_t *ctx, tq_value_t *self)
{
    return qs_fetch(ctx, SELF_Q(self));
}

static int64_t qs_length(tq_ctx_t *ctx, tq_value_t *self)
{
    return qs_count(ctx, SELF_Q(self));
}

static int qs_truth(tq_ctx_t *ctx, tq_value_t *self)
{
    return qs_exists(ctx, SELF_Q(self));
}

const tq_type_t tq_queryset_type = {
    .name = "QuerySet",
    .destroy = qset_destroy,
    .repr = qs_repr,
    .display = qs_display,
    .getattr = qs_getattr,
    .getitem = qs_getitem,
    .setitem = qs_setitem,
    .binop = qs_binop,
    .call = qs_call,
    .iterate = qs_iterate,
    .length = qs_length,
    .truth = qs_truth,
};

/* tq_query_register_builtins: see query.h. */
void tq_query_register_builtins(tq_ctx_t *ctx)
{
    expr_register_builtins(ctx);
    model_register_builtins(ctx);
}
