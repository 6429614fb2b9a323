/*
 * This file implements Boogie's fancy indexing, T[rows, cols], for reading
 * and for assignment (LANGUAGE.md section 3). Rows: a scalar primary key,
 * a list of keys, `:`, a query set, an F predicate or a Q. Cols: a name or
 * F, a list of them, or `:`. One row gives a value, a Row or an object;
 * many rows give a lazy query set (flat values, Rows or objects) ordered by
 * primary key unless T is ordered. Assignment is one UPDATE and builds no
 * object.
 */
#include "orm/queryset.h"
#include "sql/dialect.h"

typedef struct sel {
    qdesc_t *q;        /* the selected rows (unsliced when written) */
    bool single;       /* a scalar primary key */
} sel_t;

static bool is_full_slice(tq_value_t *v)
{
    if (tq_kind(v) != TQ_SLICE)
        return false;
    tq_value_t *a = tq_slice_start(v), *b = tq_slice_stop(v),
               *c = tq_slice_step(v);
    return (!a || tq_kind(a) == TQ_NONE) && (!b || tq_kind(b) == TQ_NONE) &&
           (!c || tq_kind(c) == TQ_NONE);
}

/* Resolves the rows index into a description. */
/* Rows picked by key from a table without a primary key: SQLite's rowid
 * is a number; an engine whose row id is an address (PostgreSQL's ctid)
 * has no key to pick them by. 0, or -1 raised. */
static int check_keyed(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_schema_t *sc = db_schema(ctx);
    const tq_stable_t *t = sc ? tq_schema_table(sc, q->schema, q->table)
                              : NULL;
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    if (!t || !t->rowid_pk || !d->rowid || !strcmp(d->rowid, "rowid"))
        return 0;
    tq_raise(ctx, "TypeError",
             "table '%s' has no primary key, and the %s database has no "
             "row number to pick its rows by; use a filter or a predicate",
             t->name, d->name);
    return -1;
}

static int select_rows(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *rows,
                       sel_t *out)
{
    qdesc_t *base = qs_desc(self);
    out->single = false;
    out->q = NULL;
    if (is_full_slice(rows)) {
        out->q = qdesc_clone(base);
        return 0;
    }
    if (tq_kind(rows) == TQ_SLICE) {
        tq_value_t *sub = tq_getitem(ctx, self, rows);
        if (!sub)
            return -1;
        out->q = qdesc_clone(qs_desc(sub));
        tq_decref(sub);
        return 0;
    }
    qexpr_t *e = expr_of(rows);
    if (e) {
        out->q = qdesc_clone(base);
        if (qdesc_sliced(out->q)) {
            qdesc_unref(out->q);
            out->q = NULL;
            tq_raise(ctx, "TypeError",
                     "Cannot filter a query once a slice has been taken.");
            return -1;
        }
        out->q->where = qx_and(out->q->where, qx_ref(e));
        return 0;
    }
    if ((tq_kind(rows) == TQ_LIST || tq_kind(rows) == TQ_TUPLE) &&
        check_keyed(ctx, base) < 0)
        return -1;
    if (tq_kind(rows) == TQ_LIST || tq_kind(rows) == TQ_TUPLE ||
        qs_desc(rows)) {
        qexpr_t *v = db_value_expr(ctx, rows);
        if (!v)
            return -1;
        out->q = qdesc_clone(base);
        out->q->where = qx_and(out->q->where, qx_kw("pk__in", v));
        return 0;
    }
    switch (tq_kind(rows)) {
    case TQ_INT: case TQ_STR: case TQ_FLOAT: case TQ_BOOL: case TQ_NATIVE: {
        qlit_t l;
        if (check_keyed(ctx, base) < 0 || db_value_lit(ctx, rows, &l) < 0)
            return -1;
        out->q = qdesc_clone(base);
        out->q->where = qx_and(out->q->where, qx_kw("pk", qx_lit(l)));
        out->single = true;
        return 0;
    }
    default:
        tq_raise(ctx, "TypeError",
                 "rows must be a key, a list of keys, ':', a query set or a "
                 "predicate, not %s",
                 tq_type_name(rows));
        return -1;
    }
}

/* A column index item: 'name' or F.name -> malloc'd path. */
static char *col_path(tq_ctx_t *ctx, tq_value_t *v)
{
    if (tq_kind(v) == TQ_STR)
        return tq_xstrdup(tq_as_str(v));
    qexpr_t *e = expr_of(v);
    if (e && e->kind == QX_REF)
        return tq_xstrdup(e->name);
    tq_raise(ctx, "TypeError", "columns are names or F fields, not %s",
             tq_type_name(v));
    return NULL;
}

/* Column names of a cols index: n == 0 and *all for `:`; *scalar when a
 * single name (not a list) was given. */
static char **select_cols(tq_ctx_t *ctx, tq_value_t *cols, size_t *n,
                          bool *all, bool *scalar)
{
    *n = 0;
    *all = false;
    *scalar = false;
    if (is_full_slice(cols)) {
        *all = true;
        return NULL;
    }
    if (tq_kind(cols) == TQ_LIST || tq_kind(cols) == TQ_TUPLE) {
        size_t k = tq_seq_len(cols);
        char **names = tq_xcalloc(k ? k : 1, sizeof *names);
        for (size_t i = 0; i < k; i++) {
            names[i] = col_path(ctx, tq_seq_get(cols, i));
            if (!names[i]) {
                for (size_t j = 0; j < i; j++)
                    free(names[j]);
                free(names);
                return NULL;
            }
        }
        *n = k;
        if (!k) {
            free(names);
            tq_raise(ctx, "ValueError", "an empty list of columns");
            return NULL;
        }
        return names;
    }
    char *p = col_path(ctx, cols);
    if (!p)
        return NULL;
    char **names = tq_xcalloc(1, sizeof *names);
    names[0] = p;
    *n = 1;
    *scalar = true;
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Checks the description compiles (unknown columns fail now). */
static int validate(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return -1;
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_select(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s, &e) < 0) {
        db_raise(ctx, &e);
        return -1;
    }
    qsql_clear(&s);
    return 0;
}

/* index_get: see queryset.h. */
tq_value_t *index_get(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key)
{
    if (tq_seq_len(key) != 2)
        return tq_raise(ctx, "TypeError",
                        "T[rows, cols] takes two indices, got %zu",
                        tq_seq_len(key));
    sel_t sel;
    if (select_rows(ctx, self, tq_seq_get(key, 0), &sel) < 0)
        return NULL;
    size_t n;
    bool all, scalar;
    char **names = select_cols(ctx, tq_seq_get(key, 1), &n, &all, &scalar);
    if (!names && !all) {
        qdesc_unref(sel.q);
        return NULL;
    }
    qdesc_t *q = sel.q;
    if (!all) {
        for (size_t i = 0; i < q->nfields; i++) {
            free(q->fields[i].name);
            qx_unref(q->fields[i].expr);
        }
        free(q->fields);
        q->fields = NULL;
        q->nfields = 0;
        q->group_values = false;
        for (size_t i = 0; i < n; i++)
            qdesc_add_field(&q->fields, &q->nfields, names[i],
                            qx_path(names[i]));
        q->mode = scalar ? QM_FLAT : QM_ROWS;
    } else {
        q->mode = QM_MODEL;
    }
    free_names(names, n);
    if (!sel.single) {
        if (validate(ctx, q) < 0) {
            qdesc_unref(q);
            return NULL;
        }
        return qs_new(q, false);
    }
    q->limit = 1;
    tq_value_t *items = qs_fetch(ctx, q);
    if (!items) {
        qdesc_unref(q);
        return NULL;
    }
    tq_value_t *r;
    if (tq_seq_len(items)) {
        r = tq_incref(tq_seq_get(items, 0));
    } else {
        const tq_stable_t *t = qs_table(ctx, q);
        r = tq_raise(ctx, "DoesNotExist", "%s matching query does not exist.",
                     t ? t->bare : q->table);
    }
    tq_decref(items);
    qdesc_unref(q);
    return r;
}

/* index_set: see queryset.h. */
int index_set(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key,
              tq_value_t *value)
{
    if (tq_seq_len(key) != 2) {
        tq_raise(ctx, "TypeError", "T[rows, cols] = v takes two indices");
        return -1;
    }
    sel_t sel;
    if (select_rows(ctx, self, tq_seq_get(key, 0), &sel) < 0)
        return -1;
    size_t n;
    bool all, scalar;
    char **names = select_cols(ctx, tq_seq_get(key, 1), &n, &all, &scalar);
    if (!names) {
        if (all)
            tq_raise(ctx, "TypeError",
                     "assign columns: T[rows, 'col'] = v or "
                     "T[rows, ['a', 'b']] = v1, v2");
        qdesc_unref(sel.q);
        return -1;
    }
    int rc = -1;
    qfield_t *sets = tq_xcalloc(n, sizeof *sets);
    size_t k = 0;
    tq_value_t *items = NULL;
    if (scalar) {
        sets[0].expr = db_value_expr(ctx, value);
        if (!sets[0].expr)
            goto out;
        sets[0].name = tq_xstrdup(names[0]);
        k = 1;
    } else {
        items = tq_iterate(ctx, value);
        if (!items)
            goto out;
        if (tq_seq_len(items) != n) {
            tq_raise(ctx, "ValueError",
                     "%zu columns but %zu values to assign", n,
                     tq_seq_len(items));
            goto out;
        }
        for (k = 0; k < n; k++) {
            sets[k].expr = db_value_expr(ctx, tq_seq_get(items, k));
            if (!sets[k].expr)
                goto out;
            sets[k].name = tq_xstrdup(names[k]);
        }
    }
    qdesc_t *q = sel.q;
    if (qdesc_sliced(q) || q->nannos) {
        /* UPDATE ... WHERE pk IN (the selected rows) */
        qdesc_t *w = qdesc_new(q->schema, q->table);
        qexpr_t *sub = qx_new(QX_SUBQ);
        qdesc_t *c = qdesc_clone(q);
        c->mode = QM_MODEL;
        sub->sub = c;
        w->where = qx_kw("pk__in", sub);
        qdesc_unref(sel.q);
        sel.q = q = w;
    }
    int64_t changed = qs_update(ctx, q, sets, k);
    if (changed < 0)
        goto out;
    if (sel.single && changed == 0) {
        const tq_stable_t *t = qs_table(ctx, q);
        tq_raise(ctx, "DoesNotExist", "%s matching query does not exist.",
                 t ? t->bare : q->table);
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < k; i++) {
        free(sets[i].name);
        qx_unref(sets[i].expr);
    }
    free(sets);
    tq_decref(items);
    free_names(names, n);
    qdesc_unref(sel.q);
    return rc;
}
