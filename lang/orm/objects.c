/*
 * This file implements the two kinds of row values (LANGUAGE.md section 3):
 * Row, a mutable named tuple (`Row('John Lennon', 25)`, r[0], r.name,
 * r.name = 'x' changes only the local copy), and model objects
 * (`<User: John Lennon>`), whose attributes are the row's columns, whose
 * forward relations fetch the related object and whose `<model>_set`
 * reverse relations are query sets; save() writes one UPDATE (or INSERT
 * for an object built with new()), delete() one DELETE. Models declared
 * with Meta keywords (model_meta.c, model_poly.c) change that: the kernel
 * fills created/modified/status_changed, a soft-deletable delete() sets
 * is_removed, and a polymorphic child's object holds its parent's columns
 * and writes both rows.
 */
#include "orm/queryset.h"
#include "orm/django.h"
#include "base/suggest.h"
#include "sql/dialect.h"
#include "vm/datetime.h"

#include <assert.h>
#include <strings.h>

/* ---- Row */

typedef struct row {
    size_t n;
    char **names;
    tq_value_t **vals;
} row_t;

static void row_destroy(void *p)
{
    row_t *r = p;
    for (size_t i = 0; i < r->n; i++) {
        free(r->names[i]);
        tq_decref(r->vals[i]);
    }
    free(r->names);
    free(r->vals);
    free(r);
}

/* row_new: see queryset.h. */
tq_value_t *row_new(size_t n, char *const *names, tq_value_t **vals)
{
    row_t *r = tq_xcalloc(1, sizeof *r);
    r->n = n;
    r->names = tq_xcalloc(n, sizeof *r->names);
    for (size_t i = 0; i < n; i++)
        r->names[i] = tq_xstrdup(names[i]);
    r->vals = vals;
    return tq_native_new(&tq_row_type, r);
}

static char *row_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    row_t *r = tq_native_data(self);
    tq_buf_t b = {0};
    tq_buf_add(&b, "Row(");
    for (size_t i = 0; i < r->n; i++) {
        char *s = tq_repr(ctx, r->vals[i]);
        if (!s) {
            tq_buf_free(&b);
            return NULL;
        }
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_add(&b, s);
        free(s);
    }
    tq_buf_addc(&b, ')');
    return tq_buf_take(&b);
}

static int row_index(tq_ctx_t *ctx, row_t *r, tq_value_t *key)
{
    if (tq_kind(key) == TQ_STR) {
        for (size_t i = 0; i < r->n; i++)
            if (!strcmp(r->names[i], tq_as_str(key)))
                return (int)i;
        tq_raise(ctx, "KeyError", "'%s'", tq_as_str(key));
        return -1;
    }
    if (tq_kind(key) != TQ_INT) {
        tq_raise(ctx, "TypeError", "Row indices must be integers or names");
        return -1;
    }
    int64_t i = tq_as_int(key);
    if (i < 0)
        i += (int64_t)r->n;
    if (i < 0 || i >= (int64_t)r->n) {
        tq_raise(ctx, "IndexError", "tuple index out of range");
        return -1;
    }
    return (int)i;
}

static tq_value_t *row_getitem(tq_ctx_t *ctx, tq_value_t *self,
                               tq_value_t *key)
{
    row_t *r = tq_native_data(self);
    int i = row_index(ctx, r, key);
    return i < 0 ? NULL : tq_incref(r->vals[i]);
}

static int row_setitem(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key,
                       tq_value_t *value)
{
    row_t *r = tq_native_data(self);
    int i = row_index(ctx, r, key);
    if (i < 0)
        return -1;
    tq_decref(r->vals[i]);
    r->vals[i] = tq_incref(value);
    return 0;
}

static tq_value_t *row_asdict(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    row_t *r = tq_native_data(self);
    tq_value_t *d = tq_dict_new();
    for (size_t i = 0; i < r->n; i++)
        tq_dict_set_str(d, r->names[i], r->vals[i]);
    return d;
}

static tq_value_t *row_getattr(tq_ctx_t *ctx, tq_value_t *self,
                               const char *name)
{
    row_t *r = tq_native_data(self);
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->names[i], name))
            return tq_incref(r->vals[i]);
    if (!strcmp(name, "_fields")) {
        tq_value_t *t = tq_tuple_new(r->n);
        for (size_t i = 0; i < r->n; i++)
            tq_tuple_set(t, i, tq_str(r->names[i]));
        return t;
    }
    if (!strcmp(name, "_asdict"))
        return tq_builtin_new("_asdict", row_asdict, self);
    return NULL;
}

static int row_setattr(tq_ctx_t *ctx, tq_value_t *self, const char *name,
                       tq_value_t *value)
{
    row_t *r = tq_native_data(self);
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->names[i], name)) {
            tq_decref(r->vals[i]);
            r->vals[i] = tq_incref(value);
            return 0;
        }
    tq_raise(ctx, "AttributeError", "Row has no field '%s'", name);
    return -1;
}

static tq_value_t *row_iterate(tq_ctx_t *ctx, tq_value_t *self)
{
    row_t *r = tq_native_data(self);
    tq_value_t *l = tq_list_new(r->n);
    for (size_t i = 0; i < r->n; i++)
        tq_list_append(l, r->vals[i]);
    return l;
}

static int64_t row_length(tq_ctx_t *ctx, tq_value_t *self)
{
    return (int64_t)((row_t *)tq_native_data(self))->n;
}

static int row_truth(tq_ctx_t *ctx, tq_value_t *self)
{
    return ((row_t *)tq_native_data(self))->n > 0;
}

static tq_value_t *row_binop(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *self,
                             tq_value_t *other, bool reflected)
{
    if (op != TQ_OP_EQ && op != TQ_OP_NE)
        return NULL;
    row_t *r = tq_native_data(self);
    bool eq = false;
    if (tq_is_native(other, &tq_row_type) || tq_kind(other) == TQ_TUPLE ||
        tq_kind(other) == TQ_LIST) {
        tq_value_t *items = tq_iterate(ctx, other);
        if (!items)
            return NULL;
        eq = tq_seq_len(items) == r->n;
        for (size_t i = 0; eq && i < r->n; i++) {
            int e = tq_equal(ctx, r->vals[i], tq_seq_get(items, i));
            if (e < 0) {
                tq_decref(items);
                return NULL;
            }
            eq = e;
        }
        tq_decref(items);
    }
    return tq_bool(op == TQ_OP_EQ ? eq : !eq);
}

const tq_type_t tq_row_type = {
    .name = "Row",
    .destroy = row_destroy,
    .repr = row_repr,
    .getattr = row_getattr,
    .setattr = row_setattr,
    .getitem = row_getitem,
    .setitem = row_setitem,
    .binop = row_binop,
    .iterate = row_iterate,
    .length = row_length,
    .truth = row_truth,
};

/* ---- model objects */

typedef struct obj {
    char *schema, *table, *bare, *pkcol, *label;
    size_t n;
    char **cols;
    tq_value_t **vals;
    bool *given;        /* set by new(**kw) or loaded */
    bool saved;
    char *proxy;        /* a proxy model's label "blog.PublishedEntry"
                           (its name shows, delete() counts it), or NULL */
    size_t nrel;        /* select_related() cache: relation -> object */
    char **rel_names;
    tq_value_t **rel_objs;
} obj_t;

static void obj_clear(obj_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->cols[i]);
        tq_decref(o->vals[i]);
    }
    free(o->cols);
    free(o->vals);
    free(o->given);
    o->cols = NULL;
    o->vals = NULL;
    o->given = NULL;
    o->n = 0;
}

/* The name an object shows: its proxy model's class, else its model's
 * bound name. */
static const char *obj_shown(const obj_t *o)
{
    const char *dot = o->proxy ? strchr(o->proxy, '.') : NULL;
    return dot ? dot + 1 : o->bare;
}

/* obj_set_proxy: see queryset.h. */
void obj_set_proxy(tq_value_t *v, const char *label)
{
    obj_t *o = tq_native_data(v);
    free(o->proxy);
    o->proxy = label ? tq_xstrdup(label) : NULL;
}

static void obj_destroy(void *p)
{
    obj_t *o = p;
    obj_clear(o);
    for (size_t i = 0; i < o->nrel; i++) {
        free(o->rel_names[i]);
        tq_decref(o->rel_objs[i]);
    }
    free(o->rel_names);
    free(o->rel_objs);
    free(o->schema);
    free(o->table);
    free(o->bare);
    free(o->proxy);
    free(o->pkcol);
    free(o->label);
    free(o);
}

static obj_t *obj_alloc(const tq_stable_t *t, size_t n)
{
    obj_t *o = tq_xcalloc(1, sizeof *o);
    o->schema = tq_xstrdup(t->schema);
    o->table = tq_xstrdup(t->name);
    o->bare = tq_xstrdup(t->bare);
    o->pkcol = tq_xstrdup(t->pk);
    o->label = tq_xstrdup(t->label);
    o->n = n;
    o->cols = tq_xcalloc(n, sizeof *o->cols);
    o->vals = tq_xcalloc(n, sizeof *o->vals);
    o->given = tq_xcalloc(n, sizeof *o->given);
    return o;
}

static int obj_col(const obj_t *o, const char *name)
{
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->cols[i], name))
            return (int)i;
    for (size_t i = 0; i < o->n; i++)
        if (!strcasecmp(o->cols[i], name))
            return (int)i;
    return -1;
}

/* An object of table t from named values (borrowed); with `related`,
 * names "rel__col" build the related objects of select_related(). */
static tq_value_t *build_obj(const tq_schema_t *sc, const tq_stable_t *t,
                             char *const *names, tq_value_t **vals, size_t n,
                             bool related)
{
    bool *sub = tq_xcalloc(n ? n : 1, sizeof *sub);
    size_t own = 0;
    for (size_t i = 0; i < n; i++) {
        const char *sep = related ? strstr(names[i], "__") : NULL;
        if (sep) {
            char *prefix = tq_xstrndup(names[i], (size_t)(sep - names[i]));
            const tq_srel_t *rel = tq_stable_rel(t, prefix);
            if (rel && !rel->reverse) {
                const tq_stable_t *tt = &sc->tables[rel->target];
                const char *rest = sep + 2, *sep2 = strstr(rest, "__");
                char *first = tq_xstrndup(rest, sep2 ? (size_t)(sep2 - rest)
                                                     : strlen(rest));
                sub[i] = tq_stable_col(tt, first) != -1 ||
                         (sep2 && tq_stable_rel(tt, first));
                free(first);
            }
            free(prefix);
        }
        own += !sub[i];
    }
    obj_t *o = obj_alloc(t, own);
    for (size_t i = 0, k = 0; i < n; i++)
        if (!sub[i]) {
            o->cols[k] = tq_xstrdup(names[i]);
            o->vals[k] = tq_incref(vals[i]);
            o->given[k++] = true;
        }
    o->saved = true;
    for (size_t i = 0; i < n; i++) {
        if (!sub[i])
            continue;
        size_t plen = (size_t)(strstr(names[i], "__") - names[i]);
        char *prefix = tq_xstrndup(names[i], plen);
        const tq_srel_t *rel = tq_stable_rel(t, prefix);
        char **sn = tq_xcalloc(n, sizeof *sn);
        tq_value_t **sv = tq_xcalloc(n, sizeof *sv);
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            if (sub[j] && !strncmp(names[j], prefix, plen) &&
                !strncmp(names[j] + plen, "__", 2)) {
                sn[k] = names[j] + plen + 2;
                sv[k++] = vals[j];
                sub[j] = false;
            }
        tq_value_t *ro = build_obj(sc, &sc->tables[rel->target], sn, sv, k,
                                   true);
        if (!obj_pk(ro)) {           /* LEFT JOIN without a row */
            tq_decref(ro);
            ro = tq_none();
        }
        o->rel_names = tq_xrealloc(o->rel_names,
                                   (o->nrel + 1) * sizeof *o->rel_names);
        o->rel_objs = tq_xrealloc(o->rel_objs,
                                  (o->nrel + 1) * sizeof *o->rel_objs);
        o->rel_names[o->nrel] = prefix;
        o->rel_objs[o->nrel++] = ro;
        free(sn);
        free(sv);
    }
    free(sub);
    return tq_native_new(&tq_object_type, o);
}

/* True for the declared types of a BooleanField column. */
static bool is_bool_decltype(const char *decl)
{
    return decl && (!strcasecmp(decl, "bool") || !strcasecmp(decl, "boolean"));
}

/* db_cursor_value: see queryset.h. */
tq_value_t *db_cursor_value(tqdb_cursor_t *cur, int col)
{
    assert(cur && col >= 0 && col < tqdb_column_count(cur));
    if (tqdb_column_type(cur, col) == TQDB_INT &&
        is_bool_decltype(tqdb_column_decltype(cur, col)))
        return tq_bool(tqdb_column_int(cur, col) != 0);
    return tq_cursor_value(cur, col);
}

/* obj_from_cursor: see queryset.h. */
tq_value_t *obj_from_cursor(tq_ctx_t *ctx, const tq_stable_t *t,
                            tqdb_cursor_t *cur, char *const *cols, size_t n,
                            bool related)
{
    assert(ctx && t && cur && (cols || n == 0));
    assert(n <= (size_t)tqdb_column_count(cur));
    const tq_schema_t *sc = related ? db_schema(ctx) : NULL;
    tq_value_t **vals = tq_xcalloc(n ? n : 1, sizeof *vals);
    for (size_t i = 0; i < n; i++)
        vals[i] = db_cursor_value(cur, (int)i);
    tq_value_t *r = build_obj(sc, t, cols, vals, n, related && sc);
    for (size_t i = 0; i < n; i++)
        tq_decref(vals[i]);
    free(vals);
    return r;
}

/* obj_new_unsaved: see queryset.h. */
tq_value_t *obj_new_unsaved(tq_ctx_t *ctx, const tq_stable_t *t,
                            const tq_args_t *a)
{
    size_t extra = t->rowid_pk ? 1 : 0;
    const tq_stable_t *pt = model_poly_parent(ctx, t);   /* its parent's */
    size_t np = pt ? pt->ncols : 0;                      /* columns too */
    obj_t *o = obj_alloc(t, np + t->ncols + extra);
    if (extra)
        o->cols[0] = tq_xstrdup("rowid");
    for (size_t i = 0; i < np; i++)
        o->cols[i + extra] = tq_xstrdup(pt->cols[i].name);
    for (size_t i = 0; i < t->ncols; i++)
        o->cols[i + np + extra] = tq_xstrdup(t->cols[i].name);
    if (!o->label && pt)
        o->label = tq_xstrdup(pt->label);
    for (size_t i = 0; i < o->n; i++)
        o->vals[i] = tq_none();
    tq_value_t *v = tq_native_new(&tq_object_type, o);
    for (size_t k = 0; k < a->nkw; k++) {
        const char *name = a->kwnames[k];
        if (!strcmp(name, "pk"))
            name = t->pk;
        int ci = obj_col(o, name);
        tq_value_t *val = a->kwvalues[k];
        const tq_srel_t *rel = tq_stable_rel(t, name);
        if (ci < 0 && rel && !rel->reverse) {
            ci = obj_col(o, rel->col);
            tq_value_t *pk = obj_pk(val);
            if (pk)
                val = pk;
        }
        if (ci < 0) {
            tq_decref(v);
            tq_raise(ctx, "TypeError",
                     "%s() got unexpected keyword arguments: '%s'", t->bare,
                     a->kwnames[k]);
            return NULL;
        }
        if (tq_kind(val) == TQ_NATIVE && !obj_pk(val) &&
            tq_dt_kind(val) == TQ_TEMPORAL_NONE) {
            tq_raise(ctx, "TypeError", "a %s cannot be stored in column '%s'",
                     tq_type_name(val), o->cols[ci]);
            tq_decref(v);
            return NULL;
        }
        tq_value_t *pk = obj_pk(val);
        tq_decref(o->vals[ci]);
        o->vals[ci] = tq_incref(pk ? pk : val);
        o->given[ci] = true;
    }
    return v;
}

/* obj_from_values: see queryset.h. */
tq_value_t *obj_from_values(const tq_stable_t *t, const char *label,
                            char *const *names, tq_value_t **vals, size_t n)
{
    tq_value_t *v = build_obj(NULL, t, names, vals, n, false);
    obj_t *o = tq_native_data(v);
    if (!o->label && label)
        o->label = tq_xstrdup(label);
    return v;
}

/* obj_columns: see queryset.h. */
size_t obj_columns(const tq_value_t *v, const char **schema,
                   const char **table, char *const **names,
                   tq_value_t *const **vals, const bool **given)
{
    obj_t *o = tq_native_data(v);
    *schema = o->schema;
    *table = o->table;
    *names = o->cols;
    *vals = o->vals;
    *given = o->given;
    return o->n;
}

/* obj_pk: see queryset.h. */
tq_value_t *obj_pk(const tq_value_t *v)
{
    if (!v || !tq_is_native(v, &tq_object_type))
        return NULL;
    obj_t *o = tq_native_data(v);
    int i = obj_col(o, o->pkcol);
    if (i < 0 || tq_kind(o->vals[i]) == TQ_NONE)
        return NULL;
    return o->vals[i];
}

/* obj_repr: see queryset.h. */
char *obj_repr(tq_ctx_t *ctx, tq_value_t *v)
{
    obj_t *o = tq_native_data(v);
    int li = o->label ? obj_col(o, o->label) : -1;
    if (li >= 0 && tq_kind(o->vals[li]) != TQ_NONE) {
        char *s = tq_to_str(ctx, o->vals[li]);
        if (!s)
            return NULL;
        char *r = tq_xasprintf("<%s: %s>", obj_shown(o), s);
        free(s);
        return r;
    }
    tq_value_t *pk = obj_pk(v);
    char *p = pk ? tq_to_str(ctx, pk) : tq_xstrdup("None");
    if (!p)
        return NULL;
    char *r = tq_xasprintf("<%s: %s object (%s)>", obj_shown(o),
                           obj_shown(o), p);
    free(p);
    return r;
}

static char *obj_repr_hook(tq_ctx_t *ctx, tq_value_t *self)
{
    return obj_repr(ctx, self);
}

/* A description of this object's row (pk = value). */
static qdesc_t *obj_desc(tq_ctx_t *ctx, obj_t *o, tq_value_t *pk)
{
    qdesc_t *q = qdesc_new(o->schema, o->table);
    qlit_t l;
    if (db_value_lit(ctx, pk, &l) < 0) {
        qdesc_unref(q);
        return NULL;
    }
    q->where = qx_kw("pk", qx_lit(l));
    return q;
}

/* Replaces the object's columns with the row now in the database. */
static int obj_reload(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *pk)
{
    obj_t *o = tq_native_data(self);
    qdesc_t *q = obj_desc(ctx, o, pk);
    if (!q)
        return -1;
    tq_value_t *items = qs_fetch(ctx, q);
    qdesc_unref(q);
    if (!items)
        return -1;
    if (!tq_seq_len(items)) {
        tq_decref(items);
        tq_raise(ctx, "DoesNotExist", "%s matching query does not exist.",
                 o->bare);
        return -1;
    }
    obj_t *fresh = tq_native_data(tq_seq_get(items, 0));
    obj_clear(o);
    o->n = fresh->n;
    o->cols = tq_xcalloc(o->n, sizeof *o->cols);
    o->vals = tq_xcalloc(o->n, sizeof *o->vals);
    o->given = tq_xcalloc(o->n, sizeof *o->given);
    for (size_t i = 0; i < o->n; i++) {
        o->cols[i] = tq_xstrdup(fresh->cols[i]);
        o->vals[i] = tq_incref(fresh->vals[i]);
        o->given[i] = true;
    }
    o->saved = true;
    tq_decref(items);
    return 0;
}

/* obj_insert: see queryset.h. */
/* After a row was inserted with its own integer key `key`: the engine's
 * key generator moves past it (the dialect's key_advance). 0, or -1
 * raised. */
static int advance_key(tq_ctx_t *ctx, const tq_stable_t *t, int64_t key)
{
    tqdb_conn_t *db = tq_ctx_db(ctx);
    const char *sql = tq_dialect_for(db)->key_advance;
    if (!sql)
        return 0;
    tq_buf_t name = {0};
    tq_buf_ident(&name, t->schema);
    tq_buf_addc(&name, '.');
    tq_buf_ident(&name, t->name);
    tqdb_cursor_t *cur = NULL;
    int rc = tqdb_prepare(db, sql, &cur, NULL);
    if (rc == 0) {
        assert(cur);
        tqdb_bind_text(cur, 1, name.s, -1);
        tqdb_bind_text(cur, 2, t->pk, -1);
        tqdb_bind_int(cur, 3, key);
        rc = tqdb_step(cur) == TQDB_ROW ? 0 : -1;
        tqdb_cursor_free(&cur);
    }
    tq_buf_free(&name);
    if (rc < 0)
        tq_raise_db(ctx);
    return rc;
}

int obj_insert(tq_ctx_t *ctx, tq_value_t *self)
{
    obj_t *o = tq_native_data(self);
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc || model_pending_fks(ctx, o->schema, o->table) < 0 ||
        !(sc = db_schema(ctx)) ||
        model_before_insert(ctx, self, o->schema, o->table) < 0)
        return -1;
    const tq_stable_t *dt = tq_schema_table(sc, o->schema, o->table);
    if (dt && tq_django_defaults(ctx, self, dt) < 0)
        return -1;
    int poly = model_poly_insert(ctx, self);   /* parent row, then child */
    if (poly)
        return poly < 0 ? -1 : 0;
    const char **cols = tq_xcalloc(o->n, sizeof *cols);
    qlit_t *vals = tq_xcalloc(o->n, sizeof *vals);
    size_t k = 0;
    int rc = -1;
    for (size_t i = 0; i < o->n; i++) {
        if (!o->given[i])
            continue;
        /* a key set to None is the database's to choose, as Django
         * leaves it out (PostgreSQL's identity refuses a NULL) */
        if (o->vals[i] == tq_none() && o->pkcol &&
            !strcasecmp(o->cols[i], o->pkcol))
            continue;
        if (db_value_lit(ctx, o->vals[i], &vals[k]) < 0)
            goto out;
        cols[k++] = o->cols[i];
    }
    qsql_t s;
    qerr_t e = {0};
    if (tq_compile_insert(tq_dialect_for(tq_ctx_db(ctx)), sc, o->schema,
                          o->table, cols, vals, k, &s, &e) < 0) {
        db_raise(ctx, &e);
        goto out;
    }
    bool returning = s.dialect && s.dialect->insert_returning;
    tq_value_t *returned = returning ? db_exec_insert(ctx, &s) : NULL;
    int64_t n = returning ? (returned ? 0 : -1) : db_exec_write(ctx, &s);
    qsql_clear(&s);
    if (n < 0)
        goto out;
    tq_value_t *pk = obj_pk(self);
    const tq_stable_t *t = tq_schema_table(sc, o->schema, o->table);
    bool int_pk = t && (t->rowid_pk ||
                        (tq_stable_col(t, t->pk) >= 0 &&
                         !strcasecmp(t->cols[tq_stable_col(t, t->pk)].decltype,
                                     "integer")));
    tq_value_t *newpk = pk ? tq_incref(pk) :
                        returning ? (returned == tq_none()
                                         ? NULL : tq_incref(returned)) :
                        int_pk ? tq_int(tqdb_last_insert_id(tq_ctx_db(ctx)))
                               : NULL;
    tq_decref(returned);
    if (!newpk) {
        o->saved = true;
        rc = 0;
        goto out;
    }
    if (pk && tq_kind(pk) == TQ_INT && t && !t->rowid_pk &&
        advance_key(ctx, t, tq_as_int(pk)) < 0) {
        tq_decref(newpk);
        goto out;
    }
    rc = obj_reload(ctx, self, newpk);
    tq_decref(newpk);
out:
    for (size_t i = 0; i < k; i++)
        qlit_clear(&vals[i]);
    free(vals);
    free(cols);
    return rc;
}

/* An object of a table without a primary key, on an engine whose row id
 * is an address (PostgreSQL's ctid, which moves when the row is updated
 * and may be reused once it is deleted): it has no key to find its row
 * by, so saving, deleting or refreshing it refuses, where SQLite goes by
 * the rowid. NULL with the TypeError raised (`what` is "save"), or `self`
 * when the object has a key. Borrowed. */
static tq_value_t *check_addressed(tq_ctx_t *ctx, tq_value_t *self,
                                   const char *what, const char *instead)
{
    obj_t *o = tq_native_data(self);
    const tq_schema_t *sc = db_schema(ctx);
    const tq_stable_t *t = sc ? tq_schema_table(sc, o->schema, o->table)
                              : NULL;
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    if (!t || !t->rowid_pk || !d->rowid || !strcmp(d->rowid, "rowid"))
        return self;
    return tq_raise(ctx, "TypeError",
                    "table '%s' has no primary key, and the %s database has "
                    "no row number to %s a %s object by; use %s.objects."
                    "filter(...).%s",
                    t->name, d->name, what, o->bare, o->bare, instead);
}

static tq_value_t *o_save(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    obj_t *o = tq_native_data(self);
    tq_value_t *pk = obj_pk(self);
    if (o->saved && !check_addressed(ctx, self, "save", "update(...)"))
        return NULL;
    if (!o->saved || !pk)
        return obj_insert(ctx, self) < 0 ? NULL : tq_none();
    qfield_t *sets = tq_xcalloc(o->n, sizeof *sets);
    size_t k = 0;
    tq_value_t *r = NULL;
    const tq_schema_t *sc = db_schema(ctx);
    const tq_stable_t *t = sc ? tq_schema_table(sc, o->schema, o->table)
                              : NULL;
    if (!t) {
        free(sets);
        return tq_raise(ctx, "DatabaseError", "no such table: %s", o->table);
    }
    for (size_t i = 0; i < o->n; i++) {
        if (!strcasecmp(o->cols[i], o->pkcol) || tq_stable_col(t, o->cols[i])
                                                     < 0)
            continue;          /* annotations are not columns */
        if (model_kept_column(ctx, o->schema, o->table, o->cols[i]))
            continue;          /* created, modified ...: the kernel's */
        qlit_t l;
        if (db_value_lit(ctx, o->vals[i], &l) < 0)
            goto out;
        sets[k].name = tq_xstrdup(o->cols[i]);
        sets[k].expr = qx_lit(l);
        k++;
    }
    qdesc_t *q = obj_desc(ctx, o, pk);
    if (!q)
        goto out;
    int64_t n = k ? qs_update(ctx, q, sets, k) : 1;
    if (n == 0) {
        /* Django inserts when the UPDATE matched nothing */
        qdesc_unref(q);
        r = obj_insert(ctx, self) < 0 ? NULL : tq_none();
        goto out;
    }
    qdesc_unref(q);
    if (n > 0 && model_poly_save(ctx, self) < 0)
        n = -1;
    if (n > 0 && model_meta_find(ctx, o->schema, o->table)) {
        pk = tq_incref(pk);    /* the kernel-kept columns changed too */
        int rc = obj_reload(ctx, self, pk);
        tq_decref(pk);
        if (rc < 0)
            n = -1;
    }
    if (n > 0)
        r = tq_none();
out:
    for (size_t i = 0; i < k; i++) {
        free(sets[i].name);
        qx_unref(sets[i].expr);
    }
    free(sets);
    return r;
}

static tq_value_t *o_delete(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    obj_t *o = tq_native_data(self);
    tq_value_t *pk = obj_pk(self);
    if (o->saved && !check_addressed(ctx, self, "delete", "delete()"))
        return NULL;
    if (!pk)
        return tq_raise(ctx, "ValueError",
                        "%s object can't be deleted because its id attribute "
                        "is set to None.",
                        o->bare);
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    qdesc_t *q = obj_desc(ctx, o, pk);
    if (!q)
        return NULL;
    if (o->proxy)
        q->proxy = tq_xstrdup(o->proxy);
    int64_t n;
    int done = model_delete(ctx, q, a, &n);   /* soft flag, or the parent */
    int soft = done == MODEL_DELETED_HARD ? 0 : done;
    if (soft) {
        qdesc_unref(q);
        if (soft < 0)
            return NULL;
        pk = tq_incref(pk);
        int rc = obj_reload(ctx, self, pk);
        tq_decref(pk);
        if (rc < 0)
            return NULL;
        tq_value_t *t = tq_tuple_new(2);
        tq_tuple_set(t, 0, tq_int(n));
        tq_value_t *d = tq_dict_new(), *nv = tq_int(n);
        tq_dict_set_str(d, o->bare, nv);
        tq_decref(nv);
        tq_tuple_set(t, 1, d);
        return t;
    }
    tq_value_t *collected = NULL;
    if (!done && (done = tq_django_delete(ctx, q, &collected)) != 0) {
        qdesc_unref(q);                       /* Django's on_delete rules */
        if (done < 0)
            return NULL;
        int pi = obj_col(o, o->pkcol);
        tq_decref(o->vals[pi]);
        o->vals[pi] = tq_none();
        o->saved = false;
        return collected;
    }
    if (!done) {
        qsql_t s;
        qerr_t e = {0};
        int rc = tq_compile_delete(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s,
                                   &e);
        qdesc_unref(q);
        if (rc < 0)
            return db_raise(ctx, &e);
        n = db_exec_write(ctx, &s);
        qsql_clear(&s);
        if (n < 0)
            return NULL;
    } else {
        qdesc_unref(q);
    }
    int pi = obj_col(o, o->pkcol);
    tq_decref(o->vals[pi]);
    o->vals[pi] = tq_none();
    o->saved = false;
    tq_value_t *t = tq_tuple_new(2);
    tq_tuple_set(t, 0, tq_int(n));
    tq_value_t *d = tq_dict_new(), *nv = tq_int(n);
    tq_dict_set_str(d, o->bare, nv);
    tq_decref(nv);
    tq_tuple_set(t, 1, d);
    return t;
}

static tq_value_t *o_refresh(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    tq_value_t *pk = obj_pk(self);
    obj_t *o = tq_native_data(self);
    if (o->saved && !check_addressed(ctx, self, "refresh", "get()"))
        return NULL;
    if (!pk)
        return tq_raise(ctx, "ValueError", "an unsaved object has no row");
    pk = tq_incref(pk);
    int rc = obj_reload(ctx, self, pk);
    tq_decref(pk);
    return rc < 0 ? NULL : tq_none();
}

/* The reverse or many-to-many relation of t whose object attribute is
 * `name`: its accessor (Django's `entry_set`, a related_name, a
 * many-to-many field), else its query name (`entry`, which completion
 * offers too), or NULL. */
static const tq_srel_t *reverse_accessor(const tq_stable_t *t,
                                         const char *name)
{
    for (size_t i = 0; i < t->nrels; i++) {
        const tq_srel_t *r = &t->rels[i];
        if (!r->reverse)
            continue;
        if (r->accessor ? !strcmp(r->accessor, name)
                        : r->m2m && !strcmp(r->name, name))
            return r;
    }
    for (size_t i = 0; i < t->nrels; i++)
        if (t->rels[i].reverse && !strcmp(t->rels[i].name, name))
            return &t->rels[i];
    return NULL;
}

/* entry.authors / author.entry_set: the targets related to the object
 * through a many-to-many relation, as a query set filtered on the
 * relation's name seen from the target. */
static tq_value_t *m2m_related(tq_ctx_t *ctx, const tq_schema_t *sc,
                               obj_t *o, const tq_srel_t *rel)
{
    const tq_stable_t *tt = &sc->tables[rel->target];
    int ki = obj_col(o, rel->col);
    if (!rel->partner || ki < 0)
        return tq_raise(ctx, "AttributeError",
                        "'%s' object has no attribute '%s'", o->bare,
                        rel->name);
    qdesc_t *q = qdesc_new(tt->schema, tt->name);
    qlit_t l;
    if (db_value_lit(ctx, o->vals[ki], &l) < 0) {
        qdesc_unref(q);
        return NULL;
    }
    q->where = qx_and(model_default_where(ctx, tt->schema, tt->name),
                      qx_kw(rel->partner, qx_lit(l)));
    return qs_new(q, false);
}

/* AttributeError for a name an object does not have, with Python 3.11's
 * hint when a field, relation or method is close ("Did you mean:
 * 'user'?"); NULL (the interpreter's plain error) when none is. */
static const tq_srel_t *parent_ptr_rel(const tq_stable_t *t);

static tq_value_t *no_field(tq_ctx_t *ctx, const obj_t *o,
                            const tq_stable_t *t, const char *name)
{
    /* a multi-table child also has its parent's fields */
    const tq_schema_t *sc = db_schema(ctx);
    const tq_srel_t *ptr = sc ? parent_ptr_rel(t) : NULL;
    const tq_stable_t *pt = ptr ? &sc->tables[ptr->target] : NULL;
    if (!sc)
        tq_error_clear(ctx);
    size_t cap = o->n + 2 * t->nrels + 4 + (pt ? pt->ncols : 0), n = 0;
    const char **cands = tq_xcalloc(cap, sizeof *cands);
    char **owned = tq_xcalloc(t->nrels + 1, sizeof *owned);
    size_t nowned = 0;
    for (size_t i = 0; i < o->n; i++)
        cands[n++] = o->cols[i];
    for (size_t i = 0; i < t->nrels; i++) {
        if (!t->rels[i].reverse) {
            cands[n++] = t->rels[i].name;
        } else {
            owned[nowned] = tq_xasprintf("%s_set", t->rels[i].name);
            cands[n++] = owned[nowned++];
        }
    }
    for (size_t i = 0; pt && i < pt->ncols; i++)
        cands[n++] = pt->cols[i].name;
    cands[n++] = "pk";
    cands[n++] = "save";
    cands[n++] = "delete";
    cands[n++] = "refresh_from_db";
    assert(n <= cap);
    const char *hint = tq_suggest(name, cands, n);
    tq_value_t *r = NULL;
    if (hint)
        tq_raise(ctx, "AttributeError",
                 "'%s' object has no attribute '%s'. Did you mean: '%s'?",
                 t->bare, name, hint);
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    free(cands);
    return r;
}

/* The parent link of a multi-table child (its primary key `<parent>_ptr`
 * referencing the parent), or NULL. */
static const tq_srel_t *parent_ptr_rel(const tq_stable_t *t)
{
    for (size_t r = 0; r < t->nrels; r++) {
        const tq_srel_t *rel = &t->rels[r];
        size_t len = strlen(rel->col);
        if (!rel->reverse && !strcasecmp(rel->col, t->pk) && len > 7 &&
            !strcmp(rel->col + len - 7, "_ptr_id"))
            return rel;
    }
    return NULL;
}

/* A multi-table child's field inherited from its parent model (book.name
 * for Book(Product)): read from the parent row its `<parent>_ptr` key
 * points at. NULL without an error when the parent has no such field. */
static tq_value_t *parent_attr(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_stable_t *t, const char *name)
{
    const tq_schema_t *sc = db_schema(ctx);
    const tq_srel_t *ptr = sc ? parent_ptr_rel(t) : NULL;
    if (!ptr)
        return NULL;
    const tq_stable_t *pt = &sc->tables[ptr->target];
    if (tq_stable_col(pt, name) < 0 && !tq_stable_rel(pt, name) &&
        strncmp(name, "get_", 4))
        return NULL;
    tq_value_t *parent = tq_getattr(ctx, self, ptr->name);
    if (!parent || tq_kind(parent) == TQ_NONE) {
        if (parent)
            tq_decref(parent);
        return NULL;
    }
    tq_value_t *v = tq_getattr(ctx, parent, name);
    tq_decref(parent);
    return v;
}

static tq_value_t *give_display(tq_ctx_t *ctx, tq_value_t *self,
                                const tq_args_t *a)
{
    if (a->npos || a->nkw)
        return tq_raise(ctx, "TypeError",
                        "get_FOO_display() takes no arguments");
    return tq_incref(self);
}

/* obj.get_FOO_display for a field with choices in the Django project
 * (%django): a method giving the value's label; NULL without an error
 * when `name` is no such method. */
static tq_value_t *choices_display(tq_ctx_t *ctx, obj_t *o,
                                   const tq_stable_t *t, const char *name)
{
    size_t n = strlen(name);
    if (!t->dj_label || n <= 12 || strncmp(name, "get_", 4) ||
        strcmp(name + n - 8, "_display"))
        return NULL;
    char *field = tq_xstrndup(name + 4, n - 12);
    int ci = obj_col(o, field);
    if (ci < 0) {
        char *col = tq_xasprintf("%s_id", field);
        ci = obj_col(o, col);
        free(col);
    }
    tq_value_t *label = ci >= 0 ? tq_django_display(ctx, t->dj_label, field,
                                                   o->vals[ci])
                                : NULL;
    free(field);
    if (!label)
        return NULL;
    tq_value_t *fn = tq_builtin_new("get_FOO_display", give_display, label);
    tq_decref(label);
    return fn;
}

static tq_value_t *obj_getattr(tq_ctx_t *ctx, tq_value_t *self,
                               const char *name)
{
    obj_t *o = tq_native_data(self);
    if (!strcmp(name, "pk")) {
        tq_value_t *pk = obj_pk(self);
        return pk ? tq_incref(pk) : tq_none();
    }
    int ci = obj_col(o, name);
    if (ci >= 0)
        return tq_incref(o->vals[ci]);
    if (!strcmp(name, "save"))
        return tq_builtin_new("save", o_save, self);
    if (!strcmp(name, "delete"))
        return tq_builtin_new("delete", o_delete, self);
    if (!strcmp(name, "refresh_from_db"))
        return tq_builtin_new("refresh_from_db", o_refresh, self);
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    const tq_stable_t *t = tq_schema_table(sc, o->schema, o->table);
    if (!t)
        return NULL;
    const tq_srel_t *rel = tq_stable_rel(t, name);
    for (size_t i = 0; rel && !rel->reverse && i < o->nrel; i++)
        if (!strcmp(o->rel_names[i], name))
            return tq_incref(o->rel_objs[i]);
    if (rel && !rel->reverse) {
        int fi = obj_col(o, rel->col);
        if (fi < 0 || tq_kind(o->vals[fi]) == TQ_NONE)
            return tq_none();
        const tq_stable_t *tt = &sc->tables[rel->target];
        qdesc_t *q = qdesc_new(tt->schema, tt->name);
        qlit_t l;
        if (db_value_lit(ctx, o->vals[fi], &l) < 0) {
            qdesc_unref(q);
            return NULL;
        }
        q->where = qx_kw(rel->target_col, qx_lit(l));
        tq_value_t *items = qs_fetch(ctx, q);
        qdesc_unref(q);
        if (!items)
            return NULL;
        tq_value_t *r = tq_seq_len(items) ? tq_incref(tq_seq_get(items, 0))
                        : tq_raise(ctx, "DoesNotExist",
                                   "%s matching query does not exist.",
                                   tt->bare);
        tq_decref(items);
        return r;
    }
    tq_value_t *display = choices_display(ctx, o, t, name);
    if (display || tq_error_pending(ctx))
        return display;
    tq_value_t *inherited = parent_attr(ctx, self, t, name);
    if (inherited || tq_error_pending(ctx))
        return inherited;
    rel = reverse_accessor(t, name);
    if (rel && rel->m2m)
        return m2m_related(ctx, sc, o, rel);
    size_t n = strlen(name);
    if (rel || (n > 4 && !strcmp(name + n - 4, "_set"))) {
        if (!rel) {
            char *rn = tq_xstrndup(name, n - 4);
            rel = tq_stable_rel(t, rn);
            free(rn);
        }
        if (rel && rel->reverse && !rel->m2m) {
            int ki = obj_col(o, rel->col);
            const tq_stable_t *tt = &sc->tables[rel->target];
            qdesc_t *q = qdesc_new(tt->schema, tt->name);
            qlit_t l;
            if (ki < 0 || db_value_lit(ctx, o->vals[ki], &l) < 0) {
                qdesc_unref(q);
                return tq_error_pending(ctx) ? NULL : tq_none();
            }
            q->where = qx_and(model_default_where(ctx, tt->schema, tt->name),
                              qx_kw(rel->target_col, qx_lit(l)));
            return qs_new(q, false);
        }
    }
    return no_field(ctx, o, t, name);
}

static int obj_setattr(tq_ctx_t *ctx, tq_value_t *self, const char *name,
                       tq_value_t *value)
{
    obj_t *o = tq_native_data(self);
    if (!strcmp(name, "pk"))
        name = o->pkcol;
    int ci = obj_col(o, name);
    tq_value_t *v = value;
    if (ci < 0) {
        const tq_schema_t *sc = db_schema(ctx);
        const tq_stable_t *t = sc ? tq_schema_table(sc, o->schema, o->table)
                                  : NULL;
        const tq_srel_t *rel = t ? tq_stable_rel(t, name) : NULL;
        if (rel && !rel->reverse) {
            ci = obj_col(o, rel->col);
            if (tq_kind(value) != TQ_NONE) {
                v = obj_pk(value);
                if (!v) {
                    tq_raise(ctx, "ValueError",
                             "Cannot assign %s: '%s' must be a saved object",
                             tq_type_name(value), name);
                    return -1;
                }
            }
        }
    }
    if (ci < 0) {
        tq_raise(ctx, "TypeError", "%s has no column '%s'", o->bare, name);
        return -1;
    }
    if (tq_kind(v) == TQ_NATIVE && !obj_pk(v)) {
        tq_raise(ctx, "TypeError", "a %s cannot be stored in column '%s'",
                 tq_type_name(v), o->cols[ci]);
        return -1;
    }
    tq_value_t *store = obj_pk(v) ? obj_pk(v) : v;
    tq_decref(o->vals[ci]);
    o->vals[ci] = tq_incref(store);
    o->given[ci] = true;
    return 0;
}

static tq_value_t *obj_binop(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *self,
                             tq_value_t *other, bool reflected)
{
    if (op != TQ_OP_EQ && op != TQ_OP_NE)
        return NULL;
    bool eq = self == other;
    if (!eq && tq_is_native(other, &tq_object_type)) {
        obj_t *a = tq_native_data(self), *b = tq_native_data(other);
        tq_value_t *pa = obj_pk(self), *pb = obj_pk(other);
        if (pa && pb && !strcmp(a->table, b->table) &&
            !strcmp(a->schema, b->schema)) {
            int e = tq_equal(ctx, pa, pb);
            if (e < 0)
                return NULL;
            eq = e;
        }
    }
    return tq_bool(op == TQ_OP_EQ ? eq : !eq);
}

const tq_type_t tq_object_type = {
    .name = "Model",
    .destroy = obj_destroy,
    .repr = obj_repr_hook,
    .getattr = obj_getattr,
    .setattr = obj_setattr,
    .binop = obj_binop,
};
