/*
 * This file implements polymorphic models (Boogie's Meta keyword
 * `polymorphic`, LANGUAGE.md section 7; django-polymorphic's behaviour on
 * Django's multi-table inheritance). model.c declares the tables: the
 * parent gets a `ctype` column naming the table of each row's model, and
 * a subclass of a polymorphic model is a child table whose primary key
 * `<parent>_ptr_id` references the parent's id (ON DELETE CASCADE).
 *
 * Here:
 *  - reading the parent returns child objects in ONE statement: the
 *    parent's columns plus every child's through LEFT OUTER JOINs on the
 *    parent link; a row whose ctype names a child (and whose child row is
 *    there) becomes that child's object, with the parent's columns too;
 *  - reading a child joins its parent (one statement), so its objects see
 *    the inherited columns as attributes;
 *  - creating a child inserts the parent row (ctype = the child's table),
 *    then the child row; save() updates both; delete() deletes the parent
 *    row, whose foreign key cascades to the child.
 * Lookups on a child name inherited fields directly (Dog.filter(name='Rex'):
 * the compiler joins the parent through the link, compile.c parent_link)
 * or through the link (animal_ptr__name). One level of inheritance: a
 * child of a child is refused in model.c.
 */
#include "orm/queryset.h"
#include "sql/dialect.h"

#include <assert.h>
#include <strings.h>

/* The forward relation of child table c that holds the parent link. */
static const tq_srel_t *link_rel(const tq_stable_t *c, const char *ptr)
{
    for (size_t i = 0; i < c->nrels; i++)
        if (!c->rels[i].reverse && !strcasecmp(c->rels[i].col, ptr))
            return &c->rels[i];
    return NULL;
}

/* model_poly_parent: see queryset.h. */
const tq_stable_t *model_poly_parent(tq_ctx_t *ctx, const tq_stable_t *t)
{
    const model_meta_t *m = model_meta_find(ctx, t->schema, t->name);
    if (!m || !m->polymorphic || !m->parent)
        return NULL;
    const tq_schema_t *sc = db_schema(ctx);
    return sc ? tq_schema_table(sc, t->schema, m->parent) : NULL;
}

/* One child of the parent in a fetch: its table, link column, and where
 * its columns start in the SELECT list. */
typedef struct kid {
    const tq_stable_t *t;
    const char *ptr;
    size_t first;
} kid_t;

static void add_path(qdesc_t *c, const char *rel, const char *col)
{
    char *p = rel ? tq_xasprintf("%s__%s", rel, col) : tq_xstrdup(col);
    qdesc_add_field(&c->fields, &c->nfields, p, qx_path(p));
    free(p);
}

/* An object of table t from the columns [a, a+na) of the parent and
 * [b, b+nb) of the child part of one fetched row (values borrowed). */
static tq_value_t *make_obj(const tq_stable_t *t, const char *label,
                            const tq_stable_t *parent, tq_value_t **row,
                            size_t pfirst, const tq_stable_t *child,
                            size_t cfirst)
{
    size_t n = (parent ? parent->ncols : 0) + (child ? child->ncols : 0);
    char **names = tq_xcalloc(n ? n : 1, sizeof *names);
    tq_value_t **vals = tq_xcalloc(n ? n : 1, sizeof *vals);
    size_t k = 0;
    for (size_t i = 0; parent && i < parent->ncols; i++) {
        names[k] = parent->cols[i].name;
        vals[k++] = row[pfirst + i];
    }
    for (size_t i = 0; child && i < child->ncols; i++) {
        names[k] = child->cols[i].name;
        vals[k++] = row[cfirst + i];
    }
    tq_value_t *o = obj_from_values(t, label, names, vals, k);
    free(names);
    free(vals);
    return o;
}

/* The SELECT of a polymorphic fetch: a copy of q yielding tuples of the
 * columns that make_obj reads. *parent: a child's parent table (NULL when
 * q is the parent); kids: the parent's children. NULL (no error) when q
 * is not a polymorphic model query. */
static qdesc_t *poly_desc(tq_ctx_t *ctx, const qdesc_t *q,
                          const tq_stable_t **tp, const tq_stable_t **pp,
                          kid_t **kp, size_t *nk)
{
    *kp = NULL;
    *nk = 0;
    if (q->mode != QM_MODEL || q->nannos || q->nrelated || q->nonly)
        return NULL;
    const model_meta_t *m = model_meta_find(ctx, q->schema, q->table);
    if (!m || !m->polymorphic)
        return NULL;
    const tq_schema_t *sc = db_schema(ctx);
    const tq_stable_t *t = sc ? qs_table(ctx, q) : NULL;
    if (!t)
        return NULL;
    qdesc_t *c = qdesc_clone(q);
    c->mode = QM_TUPLES;
    const tq_stable_t *parent = NULL;
    kid_t *kids = NULL;
    size_t nkids = 0, kcap = 0;
    if (m->parent) {
        /* a child: its columns, then its parent's through the link */
        parent = tq_schema_table(sc, t->schema, m->parent);
        const tq_srel_t *r = parent ? link_rel(t, m->ptr) : NULL;
        if (!r) {
            qdesc_unref(c);
            return NULL;
        }
        for (size_t i = 0; i < t->ncols; i++)
            add_path(c, NULL, t->cols[i].name);
        for (size_t i = 0; i < parent->ncols; i++)
            add_path(c, r->name, parent->cols[i].name);
    } else {
        /* the parent: its columns, then each child's (LEFT JOIN) */
        for (size_t i = 0; i < t->ncols; i++)
            add_path(c, NULL, t->cols[i].name);
        for (size_t j = 0; j < sc->ntables; j++) {
            const tq_stable_t *ct = &sc->tables[j];
            const model_meta_t *cm = model_meta_find(ctx, ct->schema,
                                                     ct->name);
            if (!cm || !cm->parent || strcasecmp(cm->parent, t->name) ||
                strcasecmp(ct->schema, t->schema))
                continue;
            const tq_srel_t *rev = NULL;
            for (size_t i = 0; i < t->nrels; i++)
                if (t->rels[i].reverse && t->rels[i].target == j &&
                    !strcasecmp(t->rels[i].target_col, cm->ptr))
                    rev = &t->rels[i];
            if (!rev)
                continue;
            kid_t k = {ct, cm->ptr, c->nfields};
            TQ_PUSH(kids, nkids, kcap, k);
            for (size_t i = 0; i < ct->ncols; i++)
                add_path(c, rev->name, ct->cols[i].name);
        }
    }
    *tp = t;
    *pp = parent;
    *kp = kids;
    *nk = nkids;
    return c;
}

/* model_poly_query: see queryset.h. */
qdesc_t *model_poly_query(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_stable_t *t, *parent;
    kid_t *kids;
    size_t nkids;
    qdesc_t *c = poly_desc(ctx, q, &t, &parent, &kids, &nkids);
    free(kids);
    return c;
}

/* model_poly_fetch: see queryset.h. */
tq_value_t *model_poly_fetch(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_stable_t *t, *parent;
    kid_t *kids;
    size_t nkids;
    qdesc_t *c = poly_desc(ctx, q, &t, &parent, &kids, &nkids);
    if (!c)
        return NULL;
    const tq_schema_t *sc = db_schema(ctx);
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_select(tq_dialect_for(tq_ctx_db(ctx)), sc, c, &s, &e) < 0) {
        qdesc_unref(c);
        free(kids);
        return db_raise(ctx, &e);
    }
    size_t nf = c->nfields;
    qdesc_unref(c);
    tqdb_cursor_t *cur = db_prepare_cursor(ctx, &s);
    qsql_clear(&s);
    if (!cur) {
        free(kids);
        return NULL;
    }
    assert(nf <= (size_t)tqdb_column_count(cur));
    int ci = tq_stable_col(t, "ctype");
    tq_value_t *list = tq_list_new(0);
    tq_value_t **row = tq_xcalloc(nf ? nf : 1, sizeof *row);
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        for (size_t i = 0; i < nf; i++)
            row[i] = db_cursor_value(cur, (int)i);
        tq_value_t *o = NULL;
        if (parent) {
            o = make_obj(t, parent->label, parent, row, t->ncols, t, 0);
        } else {
            assert(ci < 0 || (size_t)ci < nf);
            tq_value_t *ct = ci >= 0 ? row[ci] : NULL;
            for (size_t k = 0; !o && ct && tq_kind(ct) == TQ_STR &&
                               k < nkids; k++) {
                int pi = tq_stable_col(kids[k].t, kids[k].ptr);
                assert(pi < 0 || kids[k].first + (size_t)pi < nf);
                if (!strcasecmp(tq_as_str(ct), kids[k].t->name) && pi >= 0 &&
                    tq_kind(row[kids[k].first + (size_t)pi]) != TQ_NONE)
                    o = make_obj(kids[k].t, t->label, t, row, 0, kids[k].t,
                                 kids[k].first);
            }
            if (!o)
                o = make_obj(t, NULL, t, row, 0, NULL, 0);
        }
        for (size_t i = 0; i < nf; i++)
            tq_decref(row[i]);
        tq_list_append(list, o);
        tq_decref(o);
        if (tq_interrupted(ctx)) {
            rc = -1;    /* tq_raise_db raises KeyboardInterrupt */
            break;
        }
    }
    tqdb_cursor_free(&cur);
    free(row);
    free(kids);
    if (rc != TQDB_DONE) {
        tq_decref(list);
        tq_raise_db(ctx);
        return NULL;
    }
    return list;
}

/* Inserts the given columns of obj that belong to table t (plus `extra`
 * = `xval`); the new row's pk value, or NULL with an error raised. */
static tq_value_t *insert_part(tq_ctx_t *ctx, tq_value_t *obj,
                               const tq_stable_t *t, const char *extra,
                               tq_value_t *xval)
{
    const char *schema, *table;
    char *const *names;
    tq_value_t *const *vals;
    const bool *given;
    size_t n = obj_columns(obj, &schema, &table, &names, &vals, &given);
    const char **cols = tq_xcalloc(n + 1, sizeof *cols);
    qlit_t *lits = tq_xcalloc(n + 1, sizeof *lits);
    size_t k = 0;
    tq_value_t *pk = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!given[i] || tq_stable_col(t, names[i]) < 0 ||
            (extra && !strcasecmp(names[i], extra)))
            continue;
        if (db_value_lit(ctx, vals[i], &lits[k]) < 0)
            goto out;
        cols[k++] = names[i];
    }
    if (extra) {
        if (db_value_lit(ctx, xval, &lits[k]) < 0)
            goto out;
        cols[k++] = extra;
    }
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_insert(tq_dialect_for(tq_ctx_db(ctx)), db_schema(ctx),
                          t->schema, t->name, cols, lits, k, &s, &e) < 0) {
        db_raise(ctx, &e);
        goto out;
    }
    pk = db_exec_insert(ctx, &s);
    qsql_clear(&s);
out:
    for (size_t i = 0; i < k; i++)
        qlit_clear(&lits[i]);
    free(lits);
    free(cols);
    return pk;
}

/* model_poly_insert: see queryset.h. */
int model_poly_insert(tq_ctx_t *ctx, tq_value_t *obj)
{
    const char *schema, *table;
    char *const *names;
    tq_value_t *const *vals;
    const bool *given;
    obj_columns(obj, &schema, &table, &names, &vals, &given);
    const model_meta_t *m = model_meta_find(ctx, schema, table);
    if (!m || !m->polymorphic || !m->parent)
        return 0;
    const tq_schema_t *sc = db_schema(ctx);
    const tq_stable_t *t = sc ? tq_schema_table(sc, schema, table) : NULL;
    const tq_stable_t *p = t ? tq_schema_table(sc, schema, m->parent) : NULL;
    if (!p) {
        tq_raise(ctx, "DatabaseError", "no such table: %s",
                 t ? m->parent : table);
        return -1;
    }
    /* a pk given for the child is the parent's id too */
    tq_value_t *ptr = tq_getattr(ctx, obj, m->ptr);
    if (!ptr)
        return -1;
    if (tq_kind(ptr) != TQ_NONE &&
        tq_native_type(obj)->setattr(ctx, obj, p->pk, ptr) < 0) {
        tq_decref(ptr);
        return -1;
    }
    tq_decref(ptr);
    tq_value_t *ct = tq_str(t->name);
    tq_value_t *pk = insert_part(ctx, obj, p, "ctype", ct);
    tq_decref(ct);
    if (!pk)
        return -1;
    tq_value_t *cpk = insert_part(ctx, obj, t, m->ptr, pk);
    int rc = cpk ? 0 : -1;
    tq_decref(cpk);
    if (rc == 0)
        rc = tq_native_type(obj)->setattr(ctx, obj, m->ptr, pk);
    tq_decref(pk);
    if (rc < 0)
        return -1;
    tq_value_t *refresh = tq_getattr(ctx, obj, "refresh_from_db");
    tq_value_t *r = refresh ? tq_call_pos(ctx, refresh, 0, NULL) : NULL;
    tq_decref(refresh);
    if (!r)
        return -1;
    tq_decref(r);
    return 1;
}

/* model_poly_save: see queryset.h. */
int model_poly_save(tq_ctx_t *ctx, tq_value_t *obj)
{
    const char *schema, *table;
    char *const *names;
    tq_value_t *const *vals;
    const bool *given;
    size_t n = obj_columns(obj, &schema, &table, &names, &vals, &given);
    const model_meta_t *m = model_meta_find(ctx, schema, table);
    if (!m || !m->polymorphic || !m->parent)
        return 0;
    const tq_schema_t *sc = db_schema(ctx);
    const tq_stable_t *t = sc ? tq_schema_table(sc, schema, table) : NULL;
    const tq_stable_t *p = t ? tq_schema_table(sc, schema, m->parent) : NULL;
    if (!p)
        return 0;
    tq_value_t *pk = tq_getattr(ctx, obj, m->ptr);
    if (!pk)
        return -1;
    qfield_t *sets = tq_xcalloc(n ? n : 1, sizeof *sets);
    size_t k = 0;
    int rc = -1;
    qlit_t l;
    for (size_t i = 0; i < n; i++) {
        if (tq_stable_col(p, names[i]) < 0 || tq_stable_col(t, names[i]) >= 0 ||
            !strcasecmp(names[i], p->pk) || !strcasecmp(names[i], "ctype") ||
            model_kept_column(ctx, p->schema, p->name, names[i]))
            continue;
        if (db_value_lit(ctx, vals[i], &l) < 0)
            goto out;
        sets[k].name = tq_xstrdup(names[i]);
        sets[k++].expr = qx_lit(l);
    }
    if (db_value_lit(ctx, pk, &l) < 0)
        goto out;
    qdesc_t *q = qdesc_new(p->schema, p->name);
    q->where = qx_kw("pk", qx_lit(l));
    rc = k && qs_update(ctx, q, sets, k) < 0 ? -1 : 0;
    qdesc_unref(q);
out:
    for (size_t i = 0; i < k; i++) {
        free(sets[i].name);
        qx_unref(sets[i].expr);
    }
    free(sets);
    tq_decref(pk);
    return rc;
}
