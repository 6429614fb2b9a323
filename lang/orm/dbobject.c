/*
 * This file is where the interpreter meets the schema: the database
 * layer's session state (the schema and the methods users add with
 * @manager_method / @queryset_method), tq_schema_refresh, the bare table
 * names (tq_schema_lookup, tq_schema_names) and the `db` object, whose
 * attributes reach every table whatever shadows its bare name: `db.user`,
 * `db.main.user`, `db.catalog.bike` (a Django app label), `db.catalog_bike`,
 * `db.sales.order` (an attached schema).
 */
#include "orm/queryset.h"
#include "orm/django.h"

#include <strings.h>

static void state_destroy(void *p)
{
    db_state_t *st = p;
    tq_schema_free(&st->schema);
    tq_djproject_free(&st->django);
    for (size_t i = 0; i < st->nmethods; i++) {
        free(st->methods[i].schema);
        free(st->methods[i].table);
        free(st->methods[i].name);
        tq_decref(st->methods[i].fn);
    }
    free(st->methods);
    for (size_t i = 0; i < st->npending; i++)
        pending_fk_clear(&st->pending[i]);
    free(st->pending);
    free(st);
}

/* db_state: see queryset.h. */
db_state_t *db_state(tq_ctx_t *ctx)
{
    db_state_t *st = tq_ctx_schema(ctx);
    if (!st) {
        st = tq_xcalloc(1, sizeof *st);
        tq_ctx_set_schema(ctx, st, state_destroy);
    }
    return st;
}

/* tq_schema_refresh: the schema layer's entry point (query.h). Registers
 * the SQL functions compiled queries use, then rereads every schema. */
int tq_schema_refresh(tq_ctx_t *ctx)
{
    tqdb_conn_t *db = tq_ctx_db(ctx);
    if (!db) {
        tq_raise(ctx, "DatabaseError", "no database is connected");
        return -1;
    }
    db_state_t *st = db_state(ctx);
    char *err = NULL;
    tq_schema_t *s = tq_schema_load(tq_ctx_db(ctx), &err);
    if (!s) {
        tq_raise(ctx, "DatabaseError", "cannot read the schema: %s",
                 err ? err : "unknown error");
        free(err);
        return -1;
    }
    tq_django_apply(ctx, s);
    tq_schema_free(&st->schema);
    st->schema = s;
    return 0;
}

/* db_schema: see queryset.h. */
const tq_schema_t *db_schema(tq_ctx_t *ctx)
{
    db_state_t *st = db_state(ctx);
    if (!st->schema && tq_schema_refresh(ctx) < 0)
        return NULL;
    return st->schema;
}

/* db_raise: see queryset.h. */
tq_value_t *db_raise(tq_ctx_t *ctx, qerr_t *e)
{
    tq_raise(ctx, e->ename ? e->ename : "DatabaseError", "%s",
             e->msg ? e->msg : "query failed");
    qerr_clear(e);
    return NULL;
}

/* db_method_find: see queryset.h. */
const db_method_t *db_method_find(tq_ctx_t *ctx, const char *schema,
                                  const char *table, const char *name)
{
    db_state_t *st = db_state(ctx);
    for (size_t i = st->nmethods; i-- > 0;)
        if (!strcmp(st->methods[i].name, name) &&
            !strcasecmp(st->methods[i].table, table) &&
            !strcasecmp(st->methods[i].schema, schema))
            return &st->methods[i];
    return NULL;
}

/* A class name that models of several Django apps share ("Author" of
 * blog and shop) is bound under app-prefixed names only: raises the
 * NameError that lists them, or returns NULL with nothing raised. */
static tq_value_t *ambiguous_model(tq_ctx_t *ctx, const tq_schema_t *s,
                                   const char *name)
{
    tq_buf_t b = {0};
    size_t n = 0;
    for (size_t i = 0; i < s->ntables; i++) {
        const tq_stable_t *t = &s->tables[s->by_bare[i]];
        const char *dot = t->dj_label ? strchr(t->dj_label, '.') : NULL;
        if (!dot || strcmp(dot + 1, name) || !strcmp(t->bare, name))
            continue;
        tq_buf_add(&b, n++ ? ", " : "");
        tq_buf_add(&b, t->bare);
        tq_buf_add(&b, " (");
        tq_buf_add(&b, t->dj_label);
        tq_buf_add(&b, ")");
    }
    if (n >= 2)
        tq_raise(ctx, "NameError",
                 "name '%s' is not defined: %zu models have that name, "
                 "bound as %s", name, n, b.s);
    tq_buf_free(&b);
    return NULL;
}

/* tq_schema_lookup: see query.h. */
tq_value_t *tq_schema_lookup(tq_ctx_t *ctx, const char *name)
{
    if (!strcmp(name, "db"))
        return db_object_new();
    db_state_t *st = db_state(ctx);
    if (!st->schema) {
        if (!tq_ctx_db(ctx))
            return NULL;
        if (tq_schema_refresh(ctx) < 0) {
            tq_error_clear(ctx);
            return NULL;
        }
    }
    const tq_stable_t *t = tq_schema_by_bare(st->schema, name);
    if (!t) {
        tq_value_t *proxy = tq_django_proxy(ctx, name);
        return proxy ? proxy : ambiguous_model(ctx, st->schema, name);
    }
    return qs_manager(t->schema, t->name);
}

/* tq_schema_names: see query.h. */
tq_value_t *tq_schema_names(tq_ctx_t *ctx)
{
    tq_value_t *list = tq_list_new(0);
    const tq_schema_t *s = db_state(ctx)->schema;
    if (!s && tq_ctx_db(ctx) && tq_schema_refresh(ctx) == 0)
        s = db_state(ctx)->schema;
    if (!s) {
        tq_error_clear(ctx);
        return list;
    }
    for (size_t i = 0; i < s->ntables; i++) {
        tq_value_t *v = tq_str(s->tables[i].bare);
        tq_list_append(list, v);
        tq_decref(v);
    }
    tq_django_proxy_names(ctx, list);
    return list;
}

/* ---- the db object: a namespace with an optional schema or app prefix */

typedef struct dbns {
    char *schema;   /* NULL: the top level */
    char *app;      /* a Django app label namespace */
} dbns_t;

static void dbns_destroy(void *p)
{
    dbns_t *n = p;
    free(n->schema);
    free(n->app);
    free(n);
}

static const tq_type_t dbns_type;

static tq_value_t *dbns_new(const char *schema, const char *app)
{
    dbns_t *n = tq_xcalloc(1, sizeof *n);
    n->schema = tq_xstrdup(schema);
    n->app = tq_xstrdup(app);
    return tq_native_new(&dbns_type, n);
}

/* db_object_new: see queryset.h. */
tq_value_t *db_object_new(void)
{
    return dbns_new(NULL, NULL);
}

static tq_value_t *dbns_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                const char *name)
{
    dbns_t *n = tq_native_data(self);
    const tq_schema_t *s = db_schema(ctx);
    if (!s)
        return NULL;
    if (n->app) {
        char *full = tq_xasprintf("%s_%s", n->app, name);
        const tq_stable_t *t = tq_schema_table(s, n->schema, full);
        free(full);
        if (t)
            return qs_manager(t->schema, t->name);
    } else if (n->schema) {
        const tq_stable_t *t = tq_schema_table(s, n->schema, name);
        if (t)
            return qs_manager(t->schema, t->name);
        for (size_t i = 0; i < s->napps; i++)
            if (!strcmp(s->apps[i], name))
                return dbns_new(n->schema, name);
    } else {
        for (size_t i = 0; i < s->nschemas; i++)
            if (!strcmp(s->schemas[i], name))
                return dbns_new(name, NULL);
        if (!strcmp(name, "main"))     /* the default schema's label */
            return dbns_new(tq_schema_main(s), NULL);
        const tq_stable_t *t = tq_schema_table(s, NULL, name);
        if (t)
            return qs_manager(t->schema, t->name);
        for (size_t i = 0; i < s->napps; i++)
            if (!strcmp(s->apps[i], name))
                return dbns_new(tq_schema_main(s), name);
    }
    return NULL; /* the interpreter raises "'db' object has no attribute" */
}

static char *dbns_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    dbns_t *n = tq_native_data(self);
    const tq_schema_t *s = db_schema(ctx);
    tq_buf_t b = {0};
    if (!s) {
        tq_error_clear(ctx);
        return tq_xstrdup("<db: not connected>");
    }
    tq_buf_add(&b, "<db");
    for (size_t i = 0; i < s->nschemas; i++) {
        const char *sch = s->schemas[i];
        if (n->schema && strcmp(n->schema, sch))
            continue;
        tq_buf_printf(&b, "%s%s: ", i && !n->schema ? "; " : " ",
                      tq_schema_label(s, sch));
        bool first = true;
        for (size_t k = 0; k < s->ntables; k++) {
            const tq_stable_t *t = &s->tables[k];
            if (strcmp(t->schema, sch) || (n->app && (!t->app ||
                                                      strcmp(t->app, n->app))))
                continue;
            tq_buf_printf(&b, "%s%s (%s)", first ? "" : ", ", t->name,
                          t->bare);
            first = false;
        }
        if (first)
            tq_buf_add(&b, "no tables");
    }
    tq_buf_addc(&b, '>');
    return tq_buf_take(&b);
}

static const tq_type_t dbns_type = {
    .name = "db",
    .destroy = dbns_destroy,
    .repr = dbns_repr,
    .getattr = dbns_getattr,
};
