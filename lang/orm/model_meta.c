/*
 * This file implements what Boogie's Meta keywords do after the table
 * exists (LANGUAGE.md section 7; model.c declares the columns):
 *  - timestamped: `created` and `modified` are set by the kernel on
 *    create/bulk_create/save (an insert sets modified = created, as
 *    model_utils' TimeStampedModel does) and on every UPDATE the kernel
 *    runs (save(), QuerySet.update(), T[rows, cols] = v). Django's auto_now
 *    leaves bulk updates alone; Tabula keeps `modified` true on its main
 *    write path (assignment), unless the update names `modified` itself.
 *  - status: `status_changed` is set on insert and whenever an UPDATE
 *    gives a row a different status (a literal status: only the rows whose
 *    status differs; an expression: every updated row).
 *  - soft_deletable: the default manager (the name the class binds, and
 *    `.objects`) and reverse relations (`club.member_set`, as Django's
 *    related managers) hide rows whose is_removed is true, while
 *    `Model.all_objects` and `db.member` see every row; obj.delete() and
 *    qs.delete() set is_removed (one UPDATE) unless called with
 *    soft=False.
 *  - timeframed: `Model.timeframed` holds the rows where now is inside
 *    [start, end], a missing bound being open.
 *  - status also gives one query set per choice (`Article.published`, as
 *    model_utils' StatusModel) and `Article.STATUS`, the choices.
 *
 * The Meta of a model lives in the session's method registry (queryset.h's
 * db_method_t) under the name "<model>", which no attribute can spell, so
 * it is freed with the session and follows the table across redeclaration
 * (the latest declaration wins, as for methods).
 *
 * Timestamps are ISO-8601 UTC text with microseconds:
 * 'YYYY-MM-DD HH:MM:SS.ffffff', which sorts and compares as text and is
 * what Django stores in SQLite.
 */
#include "orm/queryset.h"
#include "sql/dialect.h"

#include <strings.h>
#include <time.h>

#define META_KEY "<model>"

static void meta_destroy(void *p)
{
    model_meta_t *m = p;
    tq_decref(m->choices);
    free(m->parent);
    free(m->ptr);
    free(m);
}

static const tq_type_t meta_type = {
    .name = "ModelMeta",
    .destroy = meta_destroy,
};

/* model_meta_register: see queryset.h. */
void model_meta_register(tq_ctx_t *ctx, const char *schema, const char *table,
                         const model_meta_t *m)
{
    model_meta_t *c = tq_xcalloc(1, sizeof *c);
    *c = *m;
    if (c->choices)
        tq_incref(c->choices);
    c->parent = tq_xstrdup(m->parent);
    c->ptr = tq_xstrdup(m->ptr);
    db_state_t *st = db_state(ctx);
    db_method_t e = {0};
    e.schema = tq_xstrdup(schema);
    e.table = tq_xstrdup(table);
    e.name = tq_xstrdup(META_KEY);
    e.fn = tq_native_new(&meta_type, c);
    TQ_PUSH(st->methods, st->nmethods, st->mcap, e);
}

/* model_meta_find: see queryset.h. */
const model_meta_t *model_meta_find(tq_ctx_t *ctx, const char *schema,
                                    const char *table)
{
    const db_method_t *e = db_method_find(ctx, schema, table, META_KEY);
    if (!e || !tq_is_native(e->fn, &meta_type))
        return NULL;
    const model_meta_t *m = tq_native_data(e->fn);
    /* a redeclaration without keywords shadows the older Meta */
    if (!(m->timestamped || m->timeframed || m->status ||
          m->soft_deletable || m->polymorphic))
        return NULL;
    /* after %connect the table of that name may be another one: the Meta
     * holds only while the table has the columns it needs */
    const tq_schema_t *sc = db_state(ctx)->schema;
    const tq_stable_t *t = sc ? tq_schema_table(sc, schema, table) : NULL;
    if (!t)
        return NULL;
    const char *need[8];
    size_t n = 0;
    if (m->timestamped) {
        need[n++] = "created";
        need[n++] = "modified";
    }
    if (m->timeframed) {
        need[n++] = "start";
        need[n++] = "end";
    }
    if (m->status) {
        need[n++] = "status";
        need[n++] = "status_changed";
    }
    if (m->soft_deletable)
        need[n++] = "is_removed";
    if (m->polymorphic)
        need[n++] = m->parent ? m->ptr : "ctype";
    for (size_t i = 0; i < n; i++)
        if (tq_stable_col(t, need[i]) < 0)
            return NULL;
    return m;
}

/* model_now: see queryset.h. */
char *model_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[40];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%06ld", ts.tv_nsec / 1000);
    return tq_xstrdup(buf);
}

static qexpr_t *now_lit(const char *now)
{
    return qx_lit(qlit_text(now));
}

/* The Meta of a polymorphic child's parent, or NULL. */
static const model_meta_t *parent_meta(tq_ctx_t *ctx, const char *schema,
                                       const model_meta_t *m)
{
    return m && m->parent ? model_meta_find(ctx, schema, m->parent) : NULL;
}

/* True when the model's rows (or its parent rows) are soft-deleted. */
static bool soft_of(tq_ctx_t *ctx, const char *schema, const model_meta_t *m)
{
    const model_meta_t *pm = parent_meta(ctx, schema, m);
    return m && (m->soft_deletable || (pm && pm->soft_deletable));
}

/* model_default_where: see queryset.h. */
qexpr_t *model_default_where(tq_ctx_t *ctx, const char *schema,
                             const char *table)
{
    const model_meta_t *m = model_meta_find(ctx, schema, table);
    if (!soft_of(ctx, schema, m))
        return NULL;
    if (m->soft_deletable)
        return qx_kw("is_removed", qx_lit(qlit_int(0)));
    /* a child of a soft-deletable parent: through the parent link */
    char *path = tq_xasprintf("%.*s__is_removed",
                              (int)(strlen(m->ptr) - 3), m->ptr);
    qexpr_t *e = qx_kw(path, qx_lit(qlit_int(0)));
    free(path);
    return e;
}

/* model_default_manager: see queryset.h. */
tq_value_t *model_default_manager(tq_ctx_t *ctx, const char *schema,
                                  const char *table)
{
    qdesc_t *q = qdesc_new(schema, table);
    q->where = model_default_where(ctx, schema, table);
    return qs_new(q, true);
}

/* model_qs_attr: see queryset.h. */
tq_value_t *model_qs_attr(tq_ctx_t *ctx, const qdesc_t *q, bool manager,
                          const char *name)
{
    const model_meta_t *m = model_meta_find(ctx, q->schema, q->table);
    if (!m)
        return NULL;
    if (!strcmp(name, "all_objects") && soft_of(ctx, q->schema, m)) {
        if (!manager)
            return tq_raise(ctx, "TypeError",
                            "Manager isn't accessible via QuerySet instances");
        return qs_manager(q->schema, q->table);
    }
    if (!strcmp(name, "timeframed") && m->timeframed) {
        char *now = model_now();
        qexpr_t *s = qx_or(qx_kw("start__isnull", qx_lit(qlit_int(1))),
                           qx_kw("start__lte", now_lit(now)));
        qexpr_t *e = qx_or(qx_kw("end__isnull", qx_lit(qlit_int(1))),
                           qx_kw("end__gte", now_lit(now)));
        free(now);
        qdesc_t *c = qdesc_clone(q);
        c->where = qx_and(c->where, qx_and(s, e));
        return qs_new(c, false);
    }
    if (m->status && m->choices && !strcmp(name, "STATUS"))
        return tq_incref(m->choices);
    if (m->status && m->choices) {
        for (size_t i = 0; i < tq_seq_len(m->choices); i++) {
            tq_value_t *ch = tq_seq_get(m->choices, i);
            if (tq_kind(ch) == TQ_STR && !strcmp(tq_as_str(ch), name)) {
                qdesc_t *c = qdesc_clone(q);
                c->where = qx_and(c->where,
                                  qx_kw("status", qx_lit(qlit_text(name))));
                return qs_new(c, false);
            }
        }
    }
    return NULL;
}

/* Sets obj.name = now (or `value`) when the attribute is None. */
static int fill(tq_ctx_t *ctx, tq_value_t *obj, const char *name,
                tq_value_t *value)
{
    tq_value_t *cur = tq_getattr(ctx, obj, name);
    if (!cur) {
        tq_error_clear(ctx);
        return 0;                     /* the table lacks it: bound as is */
    }
    int rc = 0;
    if (tq_kind(cur) == TQ_NONE)
        rc = tq_native_type(obj)->setattr(ctx, obj, name, value);
    tq_decref(cur);
    return rc;
}

/* model_before_insert: see queryset.h. */
int model_before_insert(tq_ctx_t *ctx, tq_value_t *obj, const char *schema,
                        const char *table)
{
    const model_meta_t *m = model_meta_find(ctx, schema, table);
    if (!m)
        return 0;
    char *now = model_now();
    tq_value_t *nv = tq_str(now);
    free(now);
    int rc = 0;
    /* a polymorphic child's object holds its parent's columns too */
    const model_meta_t *pm = parent_meta(ctx, schema, m);
    if (m->timestamped || (pm && pm->timestamped)) {
        rc = fill(ctx, obj, "created", nv);
        tq_value_t *created = rc < 0 ? NULL : tq_getattr(ctx, obj, "created");
        if (created) {
            rc = fill(ctx, obj, "modified", created);
            tq_decref(created);
        } else {
            tq_error_clear(ctx);
        }
    }
    if (rc == 0 && (m->status || (pm && pm->status)))
        rc = fill(ctx, obj, "status_changed", nv);
    tq_decref(nv);
    if (rc == 0 && m->polymorphic && !m->parent) {
        tq_value_t *ct = tq_str(table);    /* the row's model: its table */
        rc = fill(ctx, obj, "ctype", ct);
        tq_decref(ct);
    }
    return rc;
}

/* model_kept_column: see queryset.h. */
bool model_kept_column(tq_ctx_t *ctx, const char *schema, const char *table,
                       const char *col)
{
    const model_meta_t *m = model_meta_find(ctx, schema, table);
    if (!m)
        return false;
    if (m->timestamped &&
        (!strcasecmp(col, "created") || !strcasecmp(col, "modified")))
        return true;
    return m->status && !strcasecmp(col, "status_changed");
}

static const qfield_t *find_set(const qfield_t *sets, size_t n,
                                const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(sets[i].name, name))
            return &sets[i];
    return NULL;
}

/* UPDATE q SET status_changed = now WHERE the row's status is not `lit`. */
static int touch_status_changed(tq_ctx_t *ctx, const qdesc_t *q,
                                const qexpr_t *lit, const char *now)
{
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return -1;
    qdesc_t *c;
    if (qdesc_sliced(q) || q->nannos) {
        c = qdesc_new(q->schema, q->table);
        qexpr_t *sub = qx_new(QX_SUBQ);
        sub->sub = qdesc_clone(q);
        sub->sub->mode = QM_MODEL;
        c->where = qx_kw("pk__in", sub);
    } else {
        c = qdesc_clone(q);
    }
    c->where = qx_and(c->where,
                      qx_not(qx_kw("status", qx_ref((qexpr_t *)lit))));
    qfield_t set = {.name = "status_changed", .expr = now_lit(now)};
    qsql_t s;
    qerr_t e = {0};
    int rc = tq_compile_update(tq_dialect_for(tq_ctx_db(ctx)), sc, c, &set, 1,
                               &s, &e);
    qx_unref(set.expr);
    qdesc_unref(c);
    if (rc < 0) {
        db_raise(ctx, &e);
        return -1;
    }
    int64_t n = db_exec_write(ctx, &s);
    qsql_clear(&s);
    return n < 0 ? -1 : 0;
}

/* model_update_sets: see queryset.h. */
int model_update_sets(tq_ctx_t *ctx, const qdesc_t *q, const qfield_t *sets,
                      size_t n, qfield_t **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    const model_meta_t *m = model_meta_find(ctx, q->schema, q->table);
    if (!m || (!m->timestamped && !m->status))
        return 0;
    const qfield_t *st = m->status ? find_set(sets, n, "status") : NULL;
    bool stamp = m->timestamped && !find_set(sets, n, "modified");
    bool status_always = false;
    char *now = model_now();
    if (st && !find_set(sets, n, "status_changed")) {
        if (st->expr->kind == QX_LIT) {
            if (touch_status_changed(ctx, q, st->expr, now) < 0) {
                free(now);
                return -1;
            }
        } else {
            status_always = true;
        }
    }
    if (!stamp && !status_always) {
        free(now);
        return 0;
    }
    qfield_t *c = tq_xcalloc(n + 2, sizeof *c);
    size_t k = 0;
    for (; k < n; k++) {
        c[k].name = tq_xstrdup(sets[k].name);
        c[k].expr = qx_ref(sets[k].expr);
    }
    if (stamp) {
        c[k].name = tq_xstrdup("modified");
        c[k++].expr = now_lit(now);
    }
    if (status_always) {
        c[k].name = tq_xstrdup("status_changed");
        c[k++].expr = now_lit(now);
    }
    free(now);
    *out = c;
    *nout = k;
    return 0;
}

/* model_delete: see queryset.h. */
int model_delete(tq_ctx_t *ctx, const qdesc_t *q, const tq_args_t *a,
                 int64_t *n)
{
    const model_meta_t *m = model_meta_find(ctx, q->schema, q->table);
    bool soft = soft_of(ctx, q->schema, m);
    bool bad = a->npos > 0 || a->nkw > 1 ||
               (a->nkw == 1 && (!soft || strcmp(a->kwnames[0], "soft")));
    if (bad) {
        tq_raise(ctx, "TypeError", soft ? "delete() takes only soft="
                                        : "delete() takes no arguments");
        return -1;
    }
    if (soft && a->nkw == 1) {
        int t = tq_truth(ctx, a->kwvalues[0]);
        if (t < 0)
            return -1;
        soft = t;
    }
    if (m && m->parent) {
        /* a polymorphic child: delete (or flag) its parent rows; a
         * deletion cascades to the child rows */
        const tq_schema_t *sc = db_schema(ctx);
        if (!sc)
            return -1;
        qdesc_t *p = qdesc_new(q->schema, m->parent);
        qexpr_t *sub = qx_new(QX_SUBQ);
        sub->sub = qdesc_clone(q);
        sub->sub->mode = QM_MODEL;
        p->where = qx_kw("pk__in", sub);
        if (soft) {
            qfield_t set = {.name = "is_removed", .expr = qx_lit(qlit_int(1))};
            *n = qs_update(ctx, p, &set, 1);
            qx_unref(set.expr);
            qdesc_unref(p);
            return *n < 0 ? -1 : MODEL_DELETED_SOFT;
        }
        qsql_t s;
        qerr_t e = {0};
        int rc = tq_compile_delete(tq_dialect_for(tq_ctx_db(ctx)), sc, p, &s,
                                   &e);
        qdesc_unref(p);
        if (rc < 0) {
            db_raise(ctx, &e);
            return -1;
        }
        *n = db_exec_write(ctx, &s);
        qsql_clear(&s);
        return *n < 0 ? -1 : MODEL_DELETED_HARD;
    }
    if (!soft)
        return 0;
    qfield_t set = {.name = "is_removed", .expr = qx_lit(qlit_int(1))};
    *n = qs_update(ctx, q, &set, 1);
    qx_unref(set.expr);
    return *n < 0 ? -1 : MODEL_DELETED_SOFT;
}
