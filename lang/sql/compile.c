/*
 * This file compiles a query description (compile.h) into exactly one SQL
 * statement with bound parameters: SELECT for rows, COUNT, EXISTS and
 * aggregate(), UPDATE, DELETE and INSERT. It resolves relation paths into
 * joins named as Django names them (the table's name, then T2, T3 ...),
 * INNER for positive filters and non-null forward keys, LEFT OUTER
 * otherwise; splits filters on aggregates into HAVING; groups by the
 * values() fields or the base primary key when annotations aggregate; and
 * emits engine-specific SQL through the dialect it is given
 * (sql/dialect.h).
 * Every identifier comes from the schema and is double-quoted; every value
 * is a parameter. Lookups (`__lt`, `__year` ...) are in lookup.c.
 */
#include "sql/compile_int.h"
#include "sql/dialect.h"

#include <assert.h>
#include <strings.h>

/* ---- state helpers */

/* The implicit row id column of a table whose pk is the row id
 * (tq_stable_t.rowid_pk): the engine's, or the table's own row-order
 * column where its pk names one (a frame store on an engine without
 * rowids, frame.h). */
static const char *rowid_col(const tq_dialect_t *d, const tq_stable_t *t)
{
    assert(d && d->rowid && t);
    return t->pk && strcmp(t->pk, "rowid") ? t->pk : d->rowid;
}

/* The column that orders t's rows by default: its primary key, or the
 * engine's row id (SQLite's rowid, PostgreSQL's ctid) for a table without
 * one. Only for ORDER BY: a ctid is unique in one table but not across
 * the partitions of a partitioned table, so it never groups or matches
 * rows. */
static const char *pk_col(const tq_dialect_t *d, const tq_stable_t *t)
{
    return t->rowid_pk ? rowid_col(d, t) : t->pk;
}

/* True when t has no primary key and the engine's row id is an address
 * (PostgreSQL's ctid): it orders the rows, but it is no key to match,
 * group or count them by: it moves when the row is updated, repeats
 * across the partitions of a partitioned table and is no row's own on a
 * foreign table. SQLite's rowid is a key. */
static bool addressed(const tq_dialect_t *d, const tq_stable_t *t)
{
    return t->rowid_pk && d->rowid && strcmp(d->rowid, "rowid") &&
           !strcmp(rowid_col(d, t), d->rowid);
}

/* The TypeError for a table without a primary key on such an engine
 * (addressed()): `what` is what the key was needed for. -1. */
static int no_key(cstate_t *cs, const tq_stable_t *t, const char *what)
{
    return cs_fail(cs, "TypeError",
                   "table '%s' has no primary key, and the %s database has "
                   "no row number to %s", t->name, cs->d->name, what);
}

/* NULLs placed as SQLite places them, after an ORDER BY term's ASC or
 * DESC, on engines that place them otherwise. */
static void nulls_order(const tq_dialect_t *d, tq_buf_t *b, bool desc)
{
    const char *n = desc ? d->desc_nulls : d->asc_nulls;
    if (n)
        tq_buf_add(b, n);
}

int cs_fail(cstate_t *cs, const char *ename, const char *fmt, ...)
{
    if (cs->err->msg)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        abort();
    va_end(ap);
    cs->err->ename = ename;
    cs->err->msg = m;
    return -1;
}

void cs_param(cstate_t *cs, tq_buf_t *b, qlit_t lit)
{
    TQ_PUSH(cs->out->params, cs->out->nparams, cs->out->pcap, lit);
    /* a float beside an integer column stays a float where the engine
     * types an untyped parameter after its neighbour */
    bool cast = lit.type == TQDB_FLOAT && cs->d->float_param_type;
    if (cast)
        tq_buf_add(b, "CAST(");
    cs->d->param(b, cs->out->nparams);
    if (cast)
        tq_buf_printf(b, " AS %s)", cs->d->float_param_type);
}

/* A value whose SQL type nothing around it decides (a selected
 * expression, a Case's THEN/ELSE): a number literal is cast where the
 * dialect asks (typed_literals), else cs_expr. */
static int cs_value(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    if (!cs->d->typed_literals || e->kind != QX_LIT ||
        (e->lit.type != TQDB_INT && e->lit.type != TQDB_FLOAT))
        return cs_expr(cs, e, b);
    bool big = e->lit.type == TQDB_INT &&
               (e->lit.i > 2147483647LL || e->lit.i < -2147483648LL);
    cs->vtype = TQ_TEMPORAL_NONE;
    tq_buf_add(b, "CAST(");
    cs_param(cs, b, qlit_copy(&e->lit));
    tq_buf_add(b, e->lit.type == TQDB_FLOAT ? " AS numeric)"
                  : big ? " AS bigint)" : " AS integer)");
    return 0;
}

static void cs_init(cstate_t *cs, const tq_dialect_t *d,
                    const tq_schema_t *s, const qdesc_t *q,
                    const tq_stable_t *base, qsql_t *out, qerr_t *err)
{
    assert(cs && d && s && q && base && out && err);
    memset(cs, 0, sizeof *cs);
    cs->s = s;
    cs->d = d;
    out->dialect = d;
    cs->q = q;
    cs->base = base;
    cs->base_alias = tq_xstrdup(base->name);
    cs->out = out;
    cs->err = err;
    cs->reuse_upto = SIZE_MAX;
}

static void cs_free(cstate_t *cs)
{
    for (size_t i = 0; i < cs->njoins; i++) {
        free(cs->joins[i].path);
        free(cs->joins[i].alias);
    }
    free(cs->joins);
    free(cs->base_alias);
}

static void split_path(const char *path, char ***parts, size_t *n)
{
    *parts = NULL;
    *n = 0;
    size_t cap = 0;
    const char *p = path;
    for (;;) {
        const char *e = strstr(p, "__");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        TQ_PUSH(*parts, *n, cap, tq_xstrndup(p, len));
        if (!e)
            break;
        p = e + 2;
    }
}

static void free_parts(char **parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
}

static bool alias_used(cstate_t *cs, const char *alias)
{
    for (; cs; cs = cs->parent) {   /* a correlated subquery: every level */
        if (!strcmp(cs->base_alias, alias))
            return true;
        for (size_t i = 0; i < cs->njoins; i++)
            if (!strcmp(cs->joins[i].alias, alias))
                return true;
    }
    return false;
}

/* Marks join j and its ancestors INNER (a positive filter needs them). */
static void make_inner(cstate_t *cs, int j)
{
    while (j >= 0) {
        cs->joins[j].inner = true;
        j = cs->joins[j].parent;
    }
}

/* Returns the join for relation `rel` reached by `path` from `parent`.
 * A many-to-many relation is two joins: its join table first (keyed by
 * the path with a "+" suffix, never a user's path), then the target. */
static int get_join(cstate_t *cs, const char *path, int parent,
                    const tq_srel_t *rel)
{
    if (rel->m2m) {
        const tq_stable_t *from = parent < 0 ? cs->base
                                  : &cs->s->tables[cs->joins[parent].table];
        const tq_stable_t *jt = &cs->s->tables[rel->through];
        assert(rel->via >= 0 && (size_t)rel->via < from->nrels);
        assert(rel->onward >= 0 && (size_t)rel->onward < jt->nrels);
        char *hop = tq_xasprintf("%s+", path);
        int mid = get_join(cs, hop, parent, &from->rels[rel->via]);
        free(hop);
        for (size_t i = 0; i < cs->njoins; i++)
            if (!strcmp(cs->joins[i].path, path) && cs->joins[i].parent == mid) {
                if (cs->filter_ctx)
                    make_inner(cs, (int)i);
                return (int)i;
            }
        cjoin_t j = {0};
        j.path = tq_xstrdup(path);
        j.table = rel->target;
        j.parent = mid;
        j.rel = &jt->rels[rel->onward];
        const char *tname = cs->s->tables[rel->target].name;
        j.alias = alias_used(cs, tname) ? tq_xasprintf("T%zu", cs->njoins + 2)
                                        : tq_xstrdup(tname);
        j.inner = false;
        TQ_PUSH(cs->joins, cs->njoins, cs->jcap, j);
        int idx = (int)cs->njoins - 1;
        if (cs->filter_ctx)
            make_inner(cs, idx);
        return idx;
    }
    for (size_t i = 0; i < cs->njoins; i++)
        if (!strcmp(cs->joins[i].path, path)) {
            if (cs->filter_ctx)
                make_inner(cs, (int)i);
            return (int)i;
        }
    cjoin_t j = {0};
    j.path = tq_xstrdup(path);
    j.table = rel->target;
    j.parent = parent;
    j.rel = rel;
    const char *tname = cs->s->tables[rel->target].name;
    if (!alias_used(cs, tname))
        j.alias = tq_xstrdup(tname);
    else
        j.alias = tq_xasprintf("T%zu", cs->njoins + 2);
    bool parent_inner = parent < 0 || cs->joins[parent].inner;
    j.inner = (!rel->reverse && !rel->nullable && parent_inner);
    TQ_PUSH(cs->joins, cs->njoins, cs->jcap, j);
    int idx = (int)cs->njoins - 1;
    if (cs->filter_ctx)
        make_inner(cs, idx);
    return idx;
}

static void col_sql(tq_buf_t *b, const char *alias, const char *col)
{
    tq_buf_ident(b, alias);
    tq_buf_addc(b, '.');
    tq_buf_ident(b, col);
}

/* The annotation or values() field named `name` (an alias usable in
 * paths), or NULL. */
static const qfield_t *find_alias(const qdesc_t *q, const char *name)
{
    for (size_t i = 0; i < q->nannos; i++)
        if (!strcmp(q->annos[i].name, name))
            return &q->annos[i];
    for (size_t i = 0; i < q->nfields; i++)
        if (!strcmp(q->fields[i].name, name) &&
            !(q->fields[i].expr->kind == QX_REF &&
              !strcmp(q->fields[i].expr->name, name)))
            return &q->fields[i];
    for (size_t i = 0; i < q->ngroup; i++)
        if (!strcmp(q->group[i].name, name) &&
            !(q->group[i].expr->kind == QX_REF &&
              !strcmp(q->group[i].expr->name, name)))
            return &q->group[i];
    return NULL;
}

/* The alias that names the longest head of parts ("entry__count" for
 * entry, count, gt), with *used set to the parts it covers, or NULL. */
static const qfield_t *match_alias(const qdesc_t *q, char **parts, size_t n,
                                   size_t *used)
{
    for (size_t k = n; k > 0; k--) {
        tq_buf_t name = {0};
        for (size_t i = 0; i < k; i++) {
            if (i)
                tq_buf_add(&name, "__");
            tq_buf_add(&name, parts[i]);
        }
        const qfield_t *a = find_alias(q, name.s);
        tq_buf_free(&name);
        if (a) {
            *used = k;
            return a;
        }
    }
    return NULL;
}

/* ---- Django's join reuse for multi-valued relations
 *
 * Within one filter() call, conditions through a reverse or many-to-many
 * relation share its join; each further call joins it anew (so chained
 * filters may match different related rows). Annotations, values() and
 * order_by() reuse the join of the latest call before them that went
 * through the same relation, or the one join they share otherwise. */

/* True when e, outside NOT and subqueries, names a path through `prefix`. */
static bool uses_path(const qexpr_t *e, const char *prefix, int depth)
{
    if (!e || depth > 64 || e->kind == QX_NOT || e->kind == QX_SUBQ)
        return false;
    if ((e->kind == QX_KW || e->kind == QX_REF) && e->name) {
        size_t n = strlen(prefix);
        if (!strncmp(e->name, prefix, n) &&
            (!e->name[n] || !strncmp(e->name + n, "__", 2)))
            return true;
    }
    for (size_t i = 0; i < e->nargs; i++)
        if (uses_path(e->args[i], prefix, depth + 1))
            return true;
    return false;
}

static const qexpr_t *conjunct(const qexpr_t *w, size_t i)
{
    assert(i < qx_conjuncts(w));
    return w->kind == QX_AND ? w->args[i] : w;
}

/* The filter() call (from 1) conjunct i of q's where belongs to, or 0. */
static size_t conjunct_scope(const qdesc_t *q, size_t i)
{
    for (size_t k = 0; k < q->ncalls; k++)
        if (i < q->calls[k])
            return k + 1;
    return 0;
}

/* The latest call up to cs->reuse_upto whose conditions go through
 * `path`, or 0. */
static size_t reuse_scope(cstate_t *cs, const char *path)
{
    const qdesc_t *q = cs->q;
    if (!q || !q->where)
        return 0;
    size_t upto = cs->reuse_upto < q->ncalls ? cs->reuse_upto : q->ncalls;
    size_t nconj = qx_conjuncts(q->where);
    for (size_t k = upto; k > 0; k--) {
        size_t from = k > 1 ? q->calls[k - 2] : 0;
        for (size_t i = from; i < q->calls[k - 1] && i < nconj; i++)
            if (uses_path(conjunct(q->where, i), path, 0))
                return k;
    }
    return 0;
}

/* Keys the join of a multi-valued relation `rel` (path so far in `path`)
 * by the filter() call it belongs to: "2~entry". Paths before the first
 * multi-valued relation stay shared. */
static void scope_join_path(cstate_t *cs, tq_buf_t *path,
                            const tq_srel_t *rel)
{
    if (!rel->reverse || strchr(path->s, '~'))
        return;
    size_t k = cs->scope ? cs->scope : reuse_scope(cs, path->s);
    if (!k)
        return;
    char *p = tq_xasprintf("%zu~%s", k, path->s);
    path->len = 0;
    tq_buf_add(path, p);
    free(p);
}

static const tq_srel_t *parent_link(const tq_stable_t *t);

/* The names a FieldError offers on `t`: its own fields, the annotations of
 * the query on its base table, and the fields a polymorphic child inherits
 * from its parents, as Django lists them. */
static char *choices(cstate_t *cs, const tq_stable_t *t)
{
    size_t n = 0, cap = 1;
    if (t == cs->base && cs->q)
        cap += cs->q->nannos;
    for (const tq_stable_t *p = t; parent_link(p);) {
        p = &cs->s->tables[parent_link(p)->target];
        cap += p->ncols + p->nrels;
    }
    const char **extra = tq_xcalloc(cap, sizeof *extra);
    if (t == cs->base && cs->q)
        for (size_t i = 0; i < cs->q->nannos; i++)
            extra[n++] = cs->q->annos[i].name;
    for (const tq_stable_t *p = t; parent_link(p);) {
        p = &cs->s->tables[parent_link(p)->target];
        for (size_t i = 0; i < p->ncols; i++)
            extra[n++] = p->cols[i].name;
        for (size_t i = 0; i < p->nrels; i++)
            extra[n++] = p->rels[i].name;
    }
    char *c = tq_stable_choices(t, extra, n);
    free(extra);
    return c;
}

static int unknown_field(cstate_t *cs, const tq_stable_t *t, const char *name)
{
    char *c = choices(cs, t);
    cs_fail(cs, "FieldError",
            "Cannot resolve keyword '%s' into field. Choices are: %s", name,
            c);
    free(c);
    return -1;
}

/* The multi-table-inheritance link of a child table: its primary key is a
 * forward relation named `<parent>_ptr` (model_poly.c builds them so), or
 * NULL when the table has none. */
static const tq_srel_t *parent_link(const tq_stable_t *t)
{
    size_t n = t->pk ? strlen(t->pk) : 0;
    if (n < 8 || strcmp(t->pk + n - 7, "_ptr_id"))
        return NULL;
    char name[256];
    if (n - 3 >= sizeof name)
        return NULL;
    memcpy(name, t->pk, n - 3);
    name[n - 3] = 0;
    const tq_srel_t *rel = tq_stable_rel(t, name);
    return rel && !rel->reverse ? rel : NULL;
}

/* Records the column a path resolved to, for value checks and errors
 * (prep.c): column ci of t (-1: none, -2: the row id), reached through
 * relation rel when the path names a relation. */
static void note_column(cstate_t *cs, const tq_stable_t *t, int ci,
                        const tq_srel_t *rel)
{
    cs->last_col = ci >= 0 ? &t->cols[ci] : NULL;
    cs->last_field = ci >= 0 ? t->cols[ci].name : NULL;
    cs->last_rel = rel != NULL;
    if (rel && !rel->reverse) {
        /* a foreign key takes the values of the key it points to */
        const tq_stable_t *tt = &cs->s->tables[rel->target];
        int ti = tq_stable_col(tt, rel->target_col);
        if (ti >= 0) {
            cs->last_col = &tt->cols[ti];
            cs->last_field = tt->cols[ti].name;
        }
    }
}

/* cs_resolve: see compile_int.h. */
int cs_resolve(cstate_t *cs, char **parts, size_t n, tq_buf_t *b,
               bool *plain)
{
    *plain = false;
    cs->vtype = TQ_TEMPORAL_NONE;
    cs->last_col = NULL;
    cs->last_field = NULL;
    cs->last_rel = false;
    size_t k = 0;
    const qfield_t *a = cs->q && n >= 1 ? match_alias(cs->q, parts, n, &k)
                                        : NULL;
    if (a && (k == n || tq_is_lookup(parts[k]) ||
              tq_is_transform(parts[k]))) {
        if (++cs->depth > 32)
            return cs_fail(cs, "ValueError",
                           "Annotation '%s' refers to itself", a->name);
        size_t scope = cs->scope, upto = cs->reuse_upto;
        cs->scope = 0;            /* the annotation's own joins */
        cs->reuse_upto = a->calls;
        tq_buf_addc(b, '(');
        int rc = cs_value(cs, a->expr, b);
        tq_buf_addc(b, ')');
        cs->scope = scope;
        cs->reuse_upto = upto;
        cs->depth--;
        cs->maybe_null = true;
        /* an annotation is no column: its value is not checked as the
         * last column it read (a duration is no datetime) */
        cs->last_col = NULL;
        cs->last_field = NULL;
        cs->last_rel = false;
        return rc < 0 ? -1 : (int)k;
    }
    const tq_stable_t *t = cs->base;
    const char *alias = cs->base_alias;
    int join = -1;
    tq_buf_t path = {0};
    /* a path ending in __isnull keeps every join of its chain outer, as
     * Django promotes them: entry__comments__author__isnull=True matches
     * an entry without comments */
    bool to_isnull = n >= 2 && !strcmp(parts[n - 1], "isnull");
    for (size_t i = 0; i < n; i++) {
        const char *name = parts[i];
        if (!strcmp(name, "pk"))
            name = t->pk;
        const tq_srel_t *rel = tq_stable_rel(t, name);
        int ci = tq_stable_col(t, name);
        const tq_srel_t *up = ci == -1 && !rel ? parent_link(t) : NULL;
        if (up && !cs->no_joins) {
            /* A field inherited from a polymorphic parent: join the parent
             * row through the child's primary key and resolve it there. */
            const tq_stable_t *pt = &cs->s->tables[up->target];
            if (!strcmp(name, "pk") || tq_stable_col(pt, name) != -1 ||
                tq_stable_rel(pt, name)) {
                if (path.len)
                    tq_buf_add(&path, "__");
                tq_buf_add(&path, up->name);
                join = get_join(cs, path.s, join, up);
                t = pt;
                alias = cs->joins[join].alias;
                i--;              /* the same part again, on the parent */
                continue;
            }
        }
        if (path.len)
            tq_buf_add(&path, "__");
        tq_buf_add(&path, name);
        bool more = i + 1 < n;
        if (rel && more) {
            const tq_stable_t *tt = &cs->s->tables[rel->target];
            const char *next = parts[i + 1];
            bool field_next = !strcmp(next, "pk") ||
                              tq_stable_col(tt, next) != -1 ||
                              tq_stable_rel(tt, next);
            if (field_next || !(tq_is_lookup(next) || tq_is_transform(next))) {
                if (cs->no_joins) {
                    tq_buf_free(&path);
                    return cs_fail(cs, "FieldError",
                                   "Joined field references are not "
                                   "permitted in this query");
                }
                bool saved = cs->filter_ctx;
                if (to_isnull)
                    cs->filter_ctx = false;
                scope_join_path(cs, &path, rel);
                join = get_join(cs, path.s, join, rel);
                cs->filter_ctx = saved;
                t = tt;
                alias = cs->joins[join].alias;
                cs->maybe_null = true;
                continue;
            }
        }
        if (ci == -2 && addressed(cs->d, t)) {
            tq_buf_free(&path);
            return no_key(cs, t, strcmp(parts[i], "pk") ? "stand for 'rowid'"
                                                        : "stand for 'pk'");
        }
        if (ci != -1) {
            note_column(cs, t, ci, NULL);
            col_sql(b, alias, ci == -2 ? rowid_col(cs->d, t) : t->cols[ci].name);
            if (ci == -2 || !t->cols[ci].notnull)
                cs->maybe_null |= !(ci >= 0 && t->cols[ci].pk);
            if (ci >= 0)
                cs->vtype = tq_temporal_of_decltype(t->cols[ci].decltype);
            *plain = true;
            tq_buf_free(&path);
            return (int)i + 1;
        }
        if (rel && !rel->reverse) {
            note_column(cs, t, tq_stable_col(t, rel->col), rel);
            col_sql(b, alias, rel->col);
            cs->maybe_null |= rel->nullable;
            *plain = true;
            tq_buf_free(&path);
            return (int)i + 1;
        }
        if (rel) {
            if (cs->no_joins) {
                tq_buf_free(&path);
                return cs_fail(cs, "FieldError",
                               "Joined field references are not permitted "
                               "in this query");
            }
            bool saved = cs->filter_ctx;
            /* rental__isnull=True must see the missing rows */
            if (more && !strcmp(parts[i + 1], "isnull"))
                cs->filter_ctx = false;
            scope_join_path(cs, &path, rel);
            join = get_join(cs, path.s, join, rel);
            cs->filter_ctx = saved;
            const tq_stable_t *tt = &cs->s->tables[rel->target];
            if (cs->in_distinct && addressed(cs->d, tt)) {
                tq_buf_free(&path);
                return no_key(cs, tt, "count its distinct rows by");
            }
            note_column(cs, tt, tq_stable_col(tt, tt->pk), rel);
            col_sql(b, cs->joins[join].alias, pk_col(cs->d, tt));
            cs->maybe_null = true;
            *plain = true;
            tq_buf_free(&path);
            return (int)i + 1;
        }
        tq_buf_free(&path);
        return unknown_field(cs, t, parts[i]);
    }
    tq_buf_free(&path);
    return cs_fail(cs, "FieldError", "Empty field name");
}

static int compile_ref(cstate_t *cs, const char *name, tq_buf_t *b)
{
    char **parts;
    size_t n;
    split_path(name, &parts, &n);
    bool plain;
    size_t start = b->len;
    int used = cs_resolve(cs, parts, n, b, &plain);
    int rc = 0;
    if (used >= 0 && (size_t)used < n) {
        if (tq_is_transform(parts[used]) && (size_t)used + 1 == n) {
            /* F('start_time__year'): a transform as a value, of the
             * column just written (what b held before is kept) */
            tq_buf_t tmp = {0};
            tq_buf_addn(&tmp, b->s + start, b->len - start);
            b->len = start;
            b->s[start] = 0;
            rc = cs_lookup(cs, tmp.s, plain, parts[used], NULL, NULL, b);
            tq_buf_free(&tmp);
            cs->vtype = !strcmp(parts[used], "date") ? TQ_TEMPORAL_DATE
                                                     : TQ_TEMPORAL_NONE;
        } else {
            rc = cs_fail(cs, "FieldError",
                         "Cannot resolve keyword '%s' into field. Join on "
                         "'%s' not permitted.",
                         parts[used], parts[used - 1]);
        }
    }
    free_parts(parts, n);
    return used < 0 ? -1 : rc;
}

static int compile_pred(cstate_t *cs, const qexpr_t *e, tq_buf_t *b);
static int build_select_sub(cstate_t *parent, const qdesc_t *q, tq_buf_t *b);

/* The SQL function of each qx_func_t (sql/funcs.h); NULL where the
 * dialect writes the SQL. */
static const char *const func_sql[] = {
#define X(e, name, kind, sql, sig, doc) sql,
    TQ_FUNCS(X)
#undef X
};

/* `CASE WHEN cond THEN x ELSE NULL END` (x NULL: 1), the argument of an
 * aggregate with filter=. */
static int filtered_arg(cstate_t *cs, const qexpr_t *cond, const qexpr_t *x,
                        tq_buf_t *b)
{
    tq_buf_add(b, "CASE WHEN ");
    if (compile_pred(cs, cond, b) < 0)
        return -1;
    tq_buf_add(b, " THEN ");
    if (x) {
        if (cs_expr(cs, x, b) < 0)
            return -1;
    } else {
        tq_buf_addc(b, '1');
    }
    tq_buf_add(b, " ELSE NULL END");
    return 0;
}

/* A Window's OVER clause: args[1] the partition (a LIST), args[2] the
 * order (a LIST of LISTs of one expression, op 1 descending). */
static int over_clause(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    tq_buf_add(b, " OVER (");
    const qexpr_t *part = e->nargs > 1 ? e->args[1] : NULL;
    const qexpr_t *ord = e->nargs > 2 ? e->args[2] : NULL;
    if (part && part->nargs) {
        tq_buf_add(b, "PARTITION BY ");
        for (size_t i = 0; i < part->nargs; i++) {
            if (i)
                tq_buf_add(b, ", ");
            if (cs_expr(cs, part->args[i], b) < 0)
                return -1;
        }
    }
    if (ord && ord->nargs) {
        tq_buf_add(b, part && part->nargs ? " ORDER BY " : "ORDER BY ");
        for (size_t i = 0; i < ord->nargs; i++) {
            const qexpr_t *o = ord->args[i];
            if (i)
                tq_buf_add(b, ", ");
            if (cs_expr(cs, o->args[0], b) < 0)
                return -1;
            tq_buf_add(b, o->op ? " DESC" : " ASC");
            nulls_order(cs->d, b, o->op);
        }
    }
    /* the frame (Window(frame=RowRange(...)/ValueRange(...))): a LIST of
     * two bounds, NULL unbounded, <0 PRECEDING, 0 CURRENT ROW, >0
     * FOLLOWING, as Django writes it */
    const qexpr_t *fr = e->nargs > 3 ? e->args[3] : NULL;
    if (fr && fr->kind == QX_LIST && fr->nargs == 2) {
        if (part && part->nargs ? 1 : ord && ord->nargs)
            tq_buf_addc(b, ' ');
        tq_buf_add(b, fr->name && !strcmp(fr->name, "ValueRange")
                          ? "RANGE BETWEEN " : "ROWS BETWEEN ");
        for (int k = 0; k < 2; k++) {
            const qlit_t *l = &fr->args[k]->lit;
            if (k)
                tq_buf_add(b, " AND ");
            if (fr->args[k]->kind != QX_LIT || l->type != TQDB_INT)
                tq_buf_add(b, k ? "UNBOUNDED FOLLOWING"
                                : "UNBOUNDED PRECEDING");
            else if (l->i == 0)
                tq_buf_add(b, "CURRENT ROW");
            else
                tq_buf_printf(b, "%lld %s",
                              (long long)(l->i < 0 ? -l->i : l->i),
                              l->i < 0 ? "PRECEDING" : "FOLLOWING");
        }
    }
    tq_buf_addc(b, ')');
    return 0;
}

/* The functions of the COND, SUBQUERY and WINDOW kinds and Concat,
 * Greatest, Least: 1 when f is one of them (compiled into b, or -1),
 * 0 when it is not. */
static int compile_func_more(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    qx_func_t f = (qx_func_t)e->op;
    switch (f) {
    case QF_CONCAT:
        if (e->nargs < 2)
            return cs_fail(cs, "ValueError",
                           "Concat must take at least two expressions");
        tq_buf_addc(b, '(');
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                tq_buf_add(b, " || ");
            /* PostgreSQL (typed_literals) concatenates text only:
             * every part is cast, as Django's ConcatPair does there */
            tq_buf_add(b, cs->d->typed_literals ? "COALESCE(CAST(("
                                                : "COALESCE(");
            if (cs_expr(cs, e->args[i], b) < 0)
                return -1;
            tq_buf_add(b, cs->d->typed_literals ? ") AS text), '')"
                                                : ", '')");
        }
        tq_buf_addc(b, ')');
        return 1;
    case QF_GREATEST:
    case QF_LEAST:
        if (e->nargs < 2)
            return cs_fail(cs, "ValueError",
                           "%s must take at least two expressions",
                           tq_qx_func_names[f]);
        if (cs->d->greatest_skips_nulls) {
            /* NULL when any argument is, as SQLite's MAX and MIN */
            tq_buf_add(b, "CASE WHEN ");
            for (size_t i = 0; i < e->nargs; i++) {
                if (i)
                    tq_buf_add(b, " OR ");
                tq_buf_addc(b, '(');
                if (cs_expr(cs, e->args[i], b) < 0)
                    return -1;
                tq_buf_add(b, ") IS NULL");
            }
            tq_buf_add(b, " THEN NULL ELSE ");
        }
        tq_buf_add(b, f == QF_GREATEST ? cs->d->greatest : cs->d->least);
        tq_buf_addc(b, '(');
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                tq_buf_add(b, ", ");
            if (cs_expr(cs, e->args[i], b) < 0)
                return -1;
        }
        tq_buf_addc(b, ')');
        if (cs->d->greatest_skips_nulls)
            tq_buf_add(b, " END");
        return 1;
    case QF_CASE: {
        bool any = false;
        tq_buf_add(b, "CASE");
        for (size_t i = 0; i < e->nargs; i++) {
            const qexpr_t *w = e->args[i];
            if (w->kind == QX_FUNC && w->op == QF_WHEN) {
                assert(w->nargs == 2);
                tq_buf_add(b, " WHEN ");
                if (compile_pred(cs, w->args[0], b) < 0)
                    return -1;
                tq_buf_add(b, " THEN ");
                if (cs_value(cs, w->args[1], b) < 0)
                    return -1;
                any = true;
            } else {
                assert(i + 1 == e->nargs);
                if (!any)
                    tq_buf_add(b, " WHEN 1 = 0 THEN NULL");
                tq_buf_add(b, " ELSE ");
                if (cs_value(cs, w, b) < 0)
                    return -1;
            }
        }
        if (!e->nargs)
            tq_buf_add(b, " WHEN 1 = 0 THEN NULL");
        tq_buf_add(b, " END");
        return 1;
    }
    case QF_WHEN:
        return cs_fail(cs, "TypeError", "When() is only valid inside Case()");
    case QF_EXISTS:
        assert(e->nargs == 1 && e->args[0]->kind == QX_SUBQ);
        tq_buf_add(b, "EXISTS(");
        if (build_select_sub(cs, e->args[0]->sub, b) < 0)
            return -1;
        tq_buf_addc(b, ')');
        return 1;
    case QF_SUBQUERY:
        assert(e->nargs == 1);
        return cs_expr(cs, e->args[0], b) < 0 ? -1 : 1;
    case QF_WINDOW: {
        assert(e->nargs >= 1);
        const qexpr_t *fn = e->args[0];
        if (fn->kind != QX_FUNC || !(tq_qx_func_is_agg[fn->op] ||
                                     tq_qx_func_kind[fn->op] ==
                                         TQ_FUNC_KIND_WINDOW) ||
            fn->op == QF_WINDOW)
            return cs_fail(cs, "ValueError",
                           "Expression '%s' isn't compatible with OVER "
                           "clauses.",
                           fn->kind == QX_FUNC ? tq_qx_func_names[fn->op]
                                               : "expression");
        bool saved = cs->filter_ctx;
        cs->filter_ctx = false;
        cs->in_window++;
        int rc = cs_expr(cs, fn, b);
        cs->in_window--;
        if (rc == 0)
            rc = over_clause(cs, e, b);
        cs->filter_ctx = saved;
        return rc < 0 ? -1 : 1;
    }
    case QF_ROWNUMBER:
    case QF_RANK:
    case QF_DENSERANK:
    case QF_LAG:
    case QF_LEAD:
        if (!cs->in_window)
            return cs_fail(cs, "ValueError",
                           "%s() is only valid inside Window()",
                           tq_qx_func_names[f]);
        tq_buf_add(b, func_sql[f]);
        tq_buf_addc(b, '(');
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                tq_buf_add(b, ", ");
            if (cs_expr(cs, e->args[i], b) < 0)
                return -1;
        }
        tq_buf_addc(b, ')');
        return 1;
    default:
        return 0;
    }
}

static int compile_func(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    assert(cs && cs->d && e && e->kind == QX_FUNC);
    qx_func_t f = (qx_func_t)e->op;
    int more = compile_func_more(cs, e, b);
    if (more)
        return more < 0 ? -1 : 0;
    if (f == QF_STDDEV || f == QF_VARIANCE) {
        if (e->nargs != 1)
            return cs_fail(cs, "TypeError", "%s takes one expression",
                           tq_qx_func_names[f]);
        char *x[5];
        for (int i = 0; i < 5; i++) {
            tq_buf_t t = {0};
            if ((e->cond ? filtered_arg(cs, e->cond, e->args[0], &t)
                         : cs_expr(cs, e->args[0], &t)) < 0) {
                for (int k = 0; k < i; k++)
                    free(x[k]);
                tq_buf_free(&t);
                return -1;
            }
            x[i] = tq_buf_take(&t);
        }
        cs->d->stddev(b, f == QF_VARIANCE, e->sample, x);
        for (int i = 0; i < 5; i++)
            free(x[i]);
        return 0;
    }
    if (tq_qx_func_kind[f] == TQ_FUNC_KIND_TRUNC ||
        tq_qx_func_kind[f] == TQ_FUNC_KIND_EXTRACT) {
        if (e->nargs != 1)
            return cs_fail(cs, "TypeError", "%s takes one expression",
                           tq_qx_func_names[f]);
        tq_buf_t t = {0};
        if (cs_expr(cs, e->args[0], &t) < 0) {
            tq_buf_free(&t);
            return -1;
        }
        if (tq_qx_func_kind[f] == TQ_FUNC_KIND_TRUNC)
            cs->d->trunc(b, f, t.s);
        else
            cs->d->extract(b, f, t.s);
        tq_buf_free(&t);
        return 0;
    }
    if (f == QF_COUNT && e->nargs == 0) {
        if (!e->cond) {
            tq_buf_add(b, "COUNT(*)");
            return 0;
        }
        tq_buf_add(b, "COUNT(");
        if (filtered_arg(cs, e->cond, NULL, b) < 0)
            return -1;
        tq_buf_addc(b, ')');
        return 0;
    }
    if (f == QF_COALESCE && e->nargs < 2)
        return cs_fail(cs, "ValueError",
                       "Coalesce must take at least two expressions");
    if (f != QF_COALESCE && f != QF_ROUND && e->nargs != 1)
        return cs_fail(cs, "TypeError", "%s takes one expression",
                       tq_qx_func_names[f]);
    tq_buf_add(b, func_sql[f]);
    tq_buf_addc(b, '(');
    if (e->distinct)
        tq_buf_add(b, "DISTINCT ");
    bool saved_distinct = cs->in_distinct;
    cs->in_distinct = e->distinct;
    for (size_t i = 0; i < e->nargs; i++) {
        if (i)
            tq_buf_add(b, ", ");
        if (e->cond && tq_qx_func_is_agg[f]) {
            if (filtered_arg(cs, e->cond, e->args[i], b) < 0)
                return -1;
        } else if (cs_expr(cs, e->args[i], b) < 0) {
            return -1;
        }
    }
    cs->in_distinct = saved_distinct;
    tq_buf_addc(b, ')');
    return 0;
}

static int expr_sql(cstate_t *cs, const qexpr_t *e, tq_buf_t *b);

/* What a function's result holds, given what its (last) argument held:
 * truncations are dates, Min/Max/Coalesce keep their argument's kind,
 * sums and means of durations are durations. */
static tq_temporal_t func_vtype(qx_func_t f, tq_temporal_t arg)
{
    switch (tq_qx_func_kind[f]) {
    case TQ_FUNC_KIND_TRUNC:
        return TQ_TEMPORAL_DATE;
    case TQ_FUNC_KIND_EXTRACT:
        return TQ_TEMPORAL_NONE;
    default:
        break;
    }
    if (f == QF_MIN || f == QF_MAX || f == QF_COALESCE || f == QF_SUBQUERY)
        return arg;
    if ((f == QF_SUM || f == QF_AVG || f == QF_ABS) &&
        arg == TQ_TEMPORAL_DURATION)
        return arg;
    return TQ_TEMPORAL_NONE;
}

/* a op b: the difference of two dates or datetimes is the dialect's
 * duration in seconds (read as a timedelta); sums and differences of
 * durations, and durations scaled by a number, stay durations. */
static int compile_bin(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    tq_buf_t x = {0}, y = {0};
    int rc = -1;
    if (cs_value(cs, e->args[0], &x) < 0)
        goto out;
    tq_temporal_t tx = cs->vtype;
    if (cs_value(cs, e->args[1], &y) < 0)
        goto out;
    tq_temporal_t ty = cs->vtype;
    bool px = tx == TQ_TEMPORAL_DATE || tx == TQ_TEMPORAL_DATETIME;
    bool py = ty == TQ_TEMPORAL_DATE || ty == TQ_TEMPORAL_DATETIME;
    if (e->op == '-' && px && py && cs->d->datetime_diff) {
        cs->d->datetime_diff(b, x.s, y.s);
        cs->vtype = TQ_TEMPORAL_DURATION;
        rc = 0;
        goto out;
    }
    tq_buf_addc(b, '(');
    tq_buf_add(b, x.s);
    tq_buf_printf(b, " %c ", (char)e->op);
    tq_buf_add(b, y.s);
    tq_buf_addc(b, ')');
    bool dx = tx == TQ_TEMPORAL_DURATION, dy = ty == TQ_TEMPORAL_DURATION;
    if (((e->op == '+' || e->op == '-') && dx && dy) ||
        ((e->op == '*' || e->op == '/') && dx && ty == TQ_TEMPORAL_NONE) ||
        (e->op == '*' && dy && tx == TQ_TEMPORAL_NONE))
        cs->vtype = TQ_TEMPORAL_DURATION;
    else
        cs->vtype = TQ_TEMPORAL_NONE;
    rc = 0;
out:
    tq_buf_free(&x);
    tq_buf_free(&y);
    return rc;
}

/* OuterRef('pk'): the path resolved in the query around this subquery
 * (its joins LEFT OUTER, so they never drop outer rows). */
static int outer_ref(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    if (!cs->parent)
        return cs_fail(cs, "ValueError",
                       "This queryset contains a reference to an outer "
                       "query and may only be used in a subquery.");
    cstate_t *p = cs->parent;
    bool saved = p->filter_ctx;
    p->filter_ctx = false;
    int rc = compile_ref(p, e->name, b);
    p->filter_ctx = saved;
    return rc;
}

/* Expressions nested deeper than this fail with RecursionError instead
 * of overflowing the C stack (Python's default limit is also 1000). */
#define CS_EXPR_MAX_DEPTH 1000

/* How many cs_expr calls are active; compiling is not reentrant across
 * threads, as the interpreter is single-threaded. */
static int cs_expr_depth;

/* cs_expr: see compile_int.h. */
int cs_expr(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    if (cs_expr_depth >= CS_EXPR_MAX_DEPTH)
        return cs_fail(cs, "RecursionError",
                       "maximum recursion depth exceeded during compilation");
    cs_expr_depth++;
    cs->vtype = TQ_TEMPORAL_NONE;
    int rc = expr_sql(cs, e, b);
    cs_expr_depth--;
    assert(cs_expr_depth >= 0);
    return rc;
}

/* The SQL of e, appended to b; cs_expr counts the depth around it. */
static int expr_sql(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    switch (e->kind) {
    case QX_LIT:
        cs_param(cs, b, qlit_copy(&e->lit));
        return 0;
    case QX_LIST:
        tq_buf_addc(b, '(');
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                tq_buf_add(b, ", ");
            if (cs_expr(cs, e->args[i], b) < 0)
                return -1;
        }
        tq_buf_addc(b, ')');
        return 0;
    case QX_REF: {
        if (e->op == 1)
            return outer_ref(cs, e, b);
        bool saved = cs->filter_ctx;
        int rc = compile_ref(cs, e->name, b);
        cs->filter_ctx = saved;
        return rc;
    }
    case QX_BIN:
        return compile_bin(cs, e, b);
    case QX_NEG:
        tq_buf_add(b, "(-");
        if (cs_expr(cs, e->args[0], b) < 0)
            return -1;
        tq_buf_addc(b, ')');
        if (cs->vtype != TQ_TEMPORAL_DURATION)
            cs->vtype = TQ_TEMPORAL_NONE;
        return 0;
    case QX_FUNC: {
        bool saved = cs->filter_ctx;
        if (tq_qx_func_is_agg[e->op])
            cs->filter_ctx = false;
        int rc = compile_func(cs, e, b);
        cs->filter_ctx = saved;
        cs->vtype = func_vtype((qx_func_t)e->op, cs->vtype);
        return rc;
    }
    case QX_SUBQ:
        tq_buf_addc(b, '(');
        if (build_select_sub(cs, e->sub, b) < 0)
            return -1;
        tq_buf_addc(b, ')');
        return 0;
    default:
        return compile_pred(cs, e, b);
    }
}

/* True when a path of e crosses a reverse (one-to-many) relation. */
static bool multi_valued(cstate_t *cs, const qexpr_t *e, int depth)
{
    if (!e || depth > 32)
        return false;
    if ((e->kind == QX_KW || e->kind == QX_REF) && e->name) {
        char **parts;
        size_t n;
        split_path(e->name, &parts, &n);
        const tq_stable_t *t = cs->base;
        bool multi = false;
        size_t k;
        if (!(cs->q && match_alias(cs->q, parts, n, &k))) {
            for (size_t i = 0; i < n && !multi; i++) {
                const tq_srel_t *rel = tq_stable_rel(t, parts[i]);
                if (!rel || (!rel->reverse && i + 1 == n))
                    break;
                if (rel->reverse) {
                    multi = true;
                    break;
                }
                t = &cs->s->tables[rel->target];
            }
        }
        free_parts(parts, n);
        if (multi)
            return true;
    }
    for (size_t i = 0; i < e->nargs; i++)
        if (multi_valued(cs, e->args[i], depth + 1))
            return true;
    return false;
}

/* Django's FieldError for a word after a field that is no lookup, with
 * Django 4's hint: "Unsupported lookup 'lesthan' for IntegerField or join
 * on the field not permitted, perhaps you meant lt or lte?". After a
 * transform (`__year`) the field is an IntegerField. */
static int unsupported_lookup(cstate_t *cs, const char *name,
                              bool after_transform)
{
    const char *cls = after_transform
                          ? "IntegerField"
                          : cs_field_class(cs->last_col, cs->last_rel);
    char *hint = cs_lookup_hint(name, after_transform ? NULL : cs->last_col);
    cs_fail(cs, "FieldError",
            "Unsupported lookup '%s' for %s or join on the field not "
            "permitted%s%s",
            name, cls, hint, *hint ? "" : ".");
    free(hint);
    return -1;
}

/* One condition through a multi-valued relation under a NOT, as Django's
 * exclude() splits it: `pk IN (SELECT pk ... WHERE leaf)`, a subquery of
 * its own per condition, so the NOT removes the rows that have ANY
 * matching related row and two conditions need not match the same one. */
static int split_exclude(cstate_t *cs, const qexpr_t *leaf, tq_buf_t *b)
{
    if (addressed(cs->d, cs->base))
        return no_key(cs, cs->base, "match its rows by in an exclude() "
                      "across a multi-valued relation");
    qdesc_t *sub = qdesc_new(cs->base->schema, cs->base->name);
    sub->where = qx_ref((qexpr_t *)leaf);
    tq_buf_addc(b, '(');
    col_sql(b, cs->base_alias, cs->base->pk);
    tq_buf_add(b, " IN (");
    int rc = build_select_sub(cs, sub, b);
    tq_buf_add(b, "))");
    qdesc_unref(sub);
    return rc;
}

/* Predicates: lookups, comparisons and their boolean combinations. */
static int compile_pred(cstate_t *cs, const qexpr_t *e, tq_buf_t *b)
{
    switch (e->kind) {
    case QX_BOOL:
        tq_buf_add(b, e->op ? cs->d->true_sql : cs->d->false_sql);
        return 0;
    case QX_AND:
    case QX_OR: {
        if (!e->nargs) {             /* Q(): true; an empty OR: false */
            tq_buf_add(b, e->kind == QX_AND ? cs->d->true_sql
                                            : cs->d->false_sql);
            return 0;
        }
        bool saved = cs->filter_ctx;
        if (e->kind == QX_OR && e->nargs > 1)
            cs->filter_ctx = false;
        tq_buf_addc(b, '(');
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                tq_buf_add(b, e->kind == QX_AND ? " AND " : " OR ");
            if (compile_pred(cs, e->args[i], b) < 0)
                return -1;
        }
        tq_buf_addc(b, ')');
        cs->filter_ctx = saved;
        return 0;
    }
    case QX_NOT: {
        bool saved = cs->filter_ctx, saved_null = cs->maybe_null;
        bool saved_neg = cs->negated;
        cs->filter_ctx = false;
        cs->maybe_null = false;
        cs->negated = true;
        tq_buf_t t = {0};
        int rc = compile_pred(cs, e->args[0], &t);
        cs->negated = saved_neg;
        if (rc == 0) {
            /* exclude() keeps rows where the condition is NULL, as Django */
            if (cs->maybe_null)
                tq_buf_printf(b, "NOT coalesce(%s, %s)", t.s, cs->d->false_sql);
            else
                tq_buf_printf(b, "NOT %s", t.s);
        }
        tq_buf_free(&t);
        cs->filter_ctx = saved;
        cs->maybe_null = saved_null;
        return rc;
    }
    case QX_LOOKUP: {
        if (cs->negated && multi_valued(cs, e, 0))
            return split_exclude(cs, e, b);
        tq_buf_t lhs = {0};
        bool plain = false;
        int rc;
        if (e->args[0]->kind == QX_REF) {
            char **parts;
            size_t n;
            split_path(e->args[0]->name, &parts, &n);
            rc = cs_resolve(cs, parts, n, &lhs, &plain);
            const char *transform = NULL;
            if (rc >= 0 && (size_t)rc < n) {
                if ((size_t)rc + 1 == n && tq_is_transform(parts[rc]))
                    transform = parts[rc];
                else
                    rc = unsupported_lookup(cs, parts[rc], false);
            }
            qexpr_t *rhs = NULL;
            if (rc >= 0)
                rc = cs_prep_value(cs, transform, e->name, e->args[1], &rhs);
            if (rc >= 0) {
                tq_buf_t t = {0};
                rc = cs_lookup(cs, lhs.s, plain, transform, e->name, rhs,
                               &t);
                if (rc >= 0) {
                    tq_buf_add(b, t.s);
                }
                tq_buf_free(&t);
            }
            qx_unref(rhs);
            free_parts(parts, n);
        } else {
            rc = cs_expr(cs, e->args[0], &lhs);
            if (rc >= 0)
                rc = cs_lookup(cs, lhs.s, false, NULL, e->name, e->args[1],
                               b);
        }
        tq_buf_free(&lhs);
        return rc < 0 ? -1 : 0;
    }
    case QX_KW: {
        if (cs->negated && multi_valued(cs, e, 0))
            return split_exclude(cs, e, b);
        char **parts;
        size_t n;
        split_path(e->name, &parts, &n);
        tq_buf_t lhs = {0};
        bool plain;
        int used = cs_resolve(cs, parts, n, &lhs, &plain);
        int rc = used < 0 ? -1 : 0;
        const char *transform = NULL, *lookup = "exact";
        if (rc == 0) {
            size_t left = n - (size_t)used;
            if (left == 1 && tq_is_lookup(parts[used]))
                lookup = parts[used];
            else if (left == 1 && tq_is_transform(parts[used]))
                transform = parts[used];
            else if (left == 2 && tq_is_transform(parts[used]) &&
                     tq_is_lookup(parts[used + 1])) {
                transform = parts[used];
                lookup = parts[used + 1];
            } else if (left >= 1) {
                rc = unsupported_lookup(
                    cs, parts[left == 2 && tq_is_transform(parts[used])
                                  ? used + 1
                                  : used],
                    left == 2 && tq_is_transform(parts[used]));
            }
        }
        qexpr_t *rhs = NULL;
        if (rc == 0)
            rc = cs_prep_value(cs, transform, lookup, e->args[0], &rhs);
        if (rc == 0)
            rc = cs_lookup(cs, lhs.s, plain, transform, lookup, rhs, b);
        qx_unref(rhs);
        tq_buf_free(&lhs);
        free_parts(parts, n);
        return rc;
    }
    default:
        return cs_expr(cs, e, b);
    }
}

/* Compiles conjunct i of the where clause into dst, joining multi-valued
 * relations as its filter() call does. */
static int compile_conjunct(cstate_t *cs, size_t i, tq_buf_t *dst)
{
    cs->scope = conjunct_scope(cs->q, i);
    int rc = compile_pred(cs, conjunct(cs->q->where, i), dst);
    cs->scope = 0;
    return rc;
}

/* How deep refs_agg is in one expression's arguments: past
 * CS_EXPR_MAX_DEPTH it answers false, as cs_expr then fails on the same
 * tree with RecursionError. */
static int refs_agg_nesting;

/* True when e refers (directly or through an annotation) to an aggregate. */
static bool refs_agg(const qdesc_t *q, const qexpr_t *e, int depth)
{
    if (!e || depth > 32 || refs_agg_nesting >= CS_EXPR_MAX_DEPTH)
        return false;
    if (e->kind == QX_FUNC && tq_qx_func_is_agg[e->op])
        return true;
    if (e->kind == QX_FUNC && e->op == QF_WINDOW)
        return false;             /* a window aggregate groups nothing */
    if ((e->kind == QX_REF || e->kind == QX_KW) && e->name) {
        char **parts;
        size_t n, k;
        split_path(e->name, &parts, &n);
        const qfield_t *a = match_alias(q, parts, n, &k);
        free_parts(parts, n);
        if (a && refs_agg(q, a->expr, depth + 1))
            return true;
    }
    bool found = false;
    refs_agg_nesting++;
    for (size_t i = 0; i < e->nargs && !found; i++)
        found = refs_agg(q, e->args[i], depth);
    refs_agg_nesting--;
    return found;
}

/* ---- statements */

const tq_stable_t *tq_compile_base(const tq_schema_t *s, const qdesc_t *q,
                                   qerr_t *err)
{
    const tq_stable_t *t = s ? tq_schema_table(s, q->schema, q->table) : NULL;
    if (!t && !err->msg) {
        err->ename = "DatabaseError";
        err->msg = tq_xasprintf("no such table: %s.%s",
                                tq_schema_label(s, q->schema), q->table);
    }
    return t;
}

/* A table as SQL names it: main's tables bare, as Django writes them (so
 * .query reads like Django's SQL), unless a temp table or view of the
 * same name would be found first (tq_schema_shadowed); the others with
 * their schema. */
static void table_ref(tq_buf_t *b, const tq_schema_t *s, const tq_stable_t *t)
{
    if (strcmp(t->schema, tq_schema_main(s)) ||
        (s && tq_schema_shadowed(s, t->schema, t->name))) {
        tq_buf_ident(b, t->schema);
        tq_buf_addc(b, '.');
    }
    tq_buf_ident(b, t->name);
}

static void from_sql(cstate_t *cs, tq_buf_t *b)
{
    tq_buf_add(b, " FROM ");
    table_ref(b, cs->s, cs->base);
    if (strcmp(cs->base_alias, cs->base->name)) {
        tq_buf_addc(b, ' ');
        tq_buf_ident(b, cs->base_alias);
    }
    for (size_t i = 0; i < cs->njoins; i++) {
        const cjoin_t *j = &cs->joins[i];
        const tq_stable_t *t = &cs->s->tables[j->table];
        const char *palias =
            j->parent < 0 ? cs->base_alias : cs->joins[j->parent].alias;
        tq_buf_add(b, j->inner ? " INNER JOIN " : " LEFT OUTER JOIN ");
        table_ref(b, cs->s, t);
        if (strcmp(j->alias, t->name)) {
            tq_buf_addc(b, ' ');
            tq_buf_ident(b, j->alias);
        }
        tq_buf_add(b, " ON (");
        col_sql(b, palias, j->rel->col);
        tq_buf_add(b, " = ");
        col_sql(b, j->alias, j->rel->target_col);
        tq_buf_addc(b, ')');
    }
}

typedef enum selkind {
    SEL_ROWS,     /* the rows, as the mode says */
    SEL_COUNT,    /* the rows without ORDER BY, for COUNT wrapping */
    SEL_SUB,      /* one column: pk (or the single values field) */
} selkind_t;

static bool conflicting_anno(cstate_t *cs)
{
    for (size_t i = 0; i < cs->q->nannos; i++)
        if (tq_stable_col(cs->base, cs->q->annos[i].name) != -1 ||
            tq_stable_rel(cs->base, cs->q->annos[i].name)) {
            cs_fail(cs, "ValueError",
                    "The annotation '%s' conflicts with a field on the model.",
                    cs->q->annos[i].name);
            return true;
        }
    return false;
}

/* Appends an output column and what it holds (qsql_t.coltypes). */
static void add_col_name(cstate_t *cs, const char *name, tq_temporal_t type)
{
    size_t cap = cs->out->ncols;
    cs->out->cols = tq_xrealloc(cs->out->cols, (cap + 1) * sizeof(char *));
    cs->out->coltypes = tq_xrealloc(cs->out->coltypes,
                                    (cap + 1) * sizeof(char *));
    cs->out->coltypes[cs->out->ncols] = tq_temporal_decltype(type);
    cs->out->cols[cs->out->ncols++] = tq_xstrdup(name);
}

/* What column `col` of table t holds. */
static tq_temporal_t col_vtype(const tq_stable_t *t, const char *col)
{
    int ci = tq_stable_col(t, col);
    return ci >= 0 ? tq_temporal_of_decltype(t->cols[ci].decltype)
                   : TQ_TEMPORAL_NONE;
}

/* Appends one selected expression "expr AS alias". */
static int select_item(cstate_t *cs, tq_buf_t *b, const char *name,
                       const qexpr_t *e, bool *first)
{
    if (!*first)
        tq_buf_add(b, ", ");
    *first = false;
    if (cs_value(cs, e, b) < 0)
        return -1;
    /* a plain column selected under its own name needs no alias */
    bool bare = e->kind == QX_REF && !strcmp(e->name, name) &&
                !find_alias(cs->q, name) && tq_stable_col(cs->base, name) >= 0;
    if (!bare) {
        tq_buf_add(b, " AS ");
        tq_buf_ident(b, name);
    }
    add_col_name(cs, name, cs->vtype);
    return 0;
}

static void select_column(cstate_t *cs, tq_buf_t *b, const char *col,
                          bool *first)
{
    if (!*first)
        tq_buf_add(b, ", ");
    *first = false;
    col_sql(b, cs->base_alias, col);
    add_col_name(cs, col, col_vtype(cs->base, col));
}

/* select_related(): the columns of every related row along each path,
 * named "bike__id", "bike__name", ..., through the joins the path needs
 * (INNER for non-null keys, LEFT OUTER otherwise). */
static int select_related_cols(cstate_t *cs, tq_buf_t *b, bool *first)
{
    char **done = NULL;
    size_t ndone = 0, dcap = 0;
    int rc = 0;
    for (size_t r = 0; r < cs->q->nrelated && rc == 0; r++) {
        char **parts;
        size_t n;
        split_path(cs->q->related[r], &parts, &n);
        const tq_stable_t *t = cs->base;
        int join = -1;
        tq_buf_t path = {0};
        for (size_t i = 0; i < n; i++) {
            const tq_srel_t *rel = tq_stable_rel(t, parts[i]);
            if (!rel || rel->reverse) {
                rc = cs_fail(cs, "FieldError",
                             "Invalid field name(s) given in select_related: "
                             "'%s'.",
                             parts[i]);
                break;
            }
            if (path.len)
                tq_buf_add(&path, "__");
            tq_buf_add(&path, parts[i]);
            join = get_join(cs, path.s, join, rel);
            t = &cs->s->tables[rel->target];
            bool seen = false;
            for (size_t k = 0; k < ndone; k++)
                seen |= !strcmp(done[k], path.s);
            if (seen)
                continue;
            TQ_PUSH(done, ndone, dcap, tq_xstrdup(path.s));
            cs->joins[join].related = true;
            const char *alias = cs->joins[join].alias;
            for (size_t c = 0; c < t->ncols + (t->rowid_pk ? 1 : 0); c++) {
                const char *col = t->rowid_pk ? (c ? t->cols[c - 1].name
                                                   : rowid_col(cs->d, t))
                                              : t->cols[c].name;
                char *name = tq_xasprintf("%s__%s", path.s, col);
                if (!*first)
                    tq_buf_add(b, ", ");
                *first = false;
                col_sql(b, alias, col);
                tq_buf_add(b, " AS ");
                tq_buf_ident(b, name);
                add_col_name(cs, name, col_vtype(t, col));
                free(name);
            }
        }
        tq_buf_free(&path);
        free_parts(parts, n);
    }
    for (size_t k = 0; k < ndone; k++)
        free(done[k]);
    free(done);
    return rc;
}

/* GROUP BY of a query whose grouped values() was followed by another
 * values(): the earlier non-aggregate fields, as Django keeps them. */
static int group_keys(cstate_t *cs, tq_buf_t *group)
{
    const qdesc_t *q = cs->q;
    for (size_t i = 0; i < q->ngroup; i++) {
        if (refs_agg(q, q->group[i].expr, 0))
            continue;
        if (group->len)
            tq_buf_add(group, ", ");
        cs->reuse_upto = q->group[i].calls;
        int rc = cs_expr(cs, q->group[i].expr, group);
        cs->reuse_upto = SIZE_MAX;
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Builds the SELECT for q into b. */
static int meta_ordering(cstate_t *cs, const char *ordering, bool reversed,
                         tq_buf_t *order);

static int build_select(cstate_t *cs, selkind_t kind, tq_buf_t *b)
{
    const qdesc_t *q = cs->q;
    const tq_stable_t *t = cs->base;
    if (conflicting_anno(cs))
        return -1;
    tq_buf_t cols = {0}, where = {0}, having = {0}, group = {0}, order = {0};
    int rc = -1;
    bool first = true;
    bool has_agg = false;
    bool by_address = cs->sub_address;   /* this select's alone */
    cs->sub_address = false;
    for (size_t i = 0; i < q->nannos; i++)
        has_agg |= refs_agg(q, q->annos[i].expr, 0);
    for (size_t i = 0; i < q->nfields; i++)
        has_agg |= refs_agg(q, q->fields[i].expr, 0);
    for (size_t i = 0; i < q->ngroup; i++)
        has_agg |= refs_agg(q, q->group[i].expr, 0);

    /* SELECT list */
    if (kind == SEL_SUB) {
        if (q->nfields == 1 && q->mode != QM_MODEL) {
            if (select_item(cs, &cols, q->fields[0].name, q->fields[0].expr,
                            &first) < 0)
                goto out;
        } else if (addressed(cs->d, t)) {
            /* a row's address, unique across partitions with its table,
             * stands for it inside one statement only */
            if (!by_address) {
                no_key(cs, t, "select its rows by in a subquery");
                goto out;
            }
            col_sql(&cols, cs->base_alias, "tableoid");
            tq_buf_add(&cols, ", ");
            col_sql(&cols, cs->base_alias, rowid_col(cs->d, t));
        } else {
            select_column(cs, &cols, t->pk, &first);
        }
    } else if (q->mode == QM_MODEL || q->nfields == 0) {
        if (t->rowid_pk)
            select_column(cs, &cols, rowid_col(cs->d, t), &first);
        for (size_t i = 0; i < t->ncols; i++) {
            bool keep = q->mode != QM_MODEL || !q->nonly || t->cols[i].pk;
            for (size_t k = 0; k < q->nonly && !keep; k++)
                keep = !strcasecmp(q->only[k], t->cols[i].name);
            if (keep)
                select_column(cs, &cols, t->cols[i].name, &first);
        }
        if (q->mode == QM_MODEL && kind == SEL_ROWS &&
            select_related_cols(cs, &cols, &first) < 0)
            goto out;
        for (size_t i = 0; i < q->nannos; i++) {
            cs->reuse_upto = q->annos[i].calls;
            int r = select_item(cs, &cols, q->annos[i].name,
                                q->annos[i].expr, &first);
            cs->reuse_upto = SIZE_MAX;
            if (r < 0)
                goto out;
        }
    } else {
        for (size_t i = 0; i < q->nfields; i++) {
            cs->reuse_upto = q->fields[i].calls;
            int r = select_item(cs, &cols, q->fields[i].name,
                                q->fields[i].expr, &first);
            cs->reuse_upto = SIZE_MAX;
            if (r < 0)
                goto out;
        }
    }

    /* WHERE and HAVING */
    if (q->where) {
        const qexpr_t *w = q->where;
        size_t n = w->kind == QX_AND ? w->nargs : 1;
        for (size_t i = 0; i < n; i++) {
            const qexpr_t *c = w->kind == QX_AND ? w->args[i] : w;
            bool agg = refs_agg(q, c, 0);
            tq_buf_t *dst = agg ? &having : &where;
            if (dst->len)
                tq_buf_add(dst, " AND ");
            cs->filter_ctx = !agg;
            int r = compile_conjunct(cs, i, dst);
            cs->filter_ctx = false;
            if (r < 0)
                goto out;
            has_agg |= agg;
        }
    }

    /* GROUP BY */
    if (has_agg) {
        if (q->ngroup) {
            if (group_keys(cs, &group) < 0)
                goto out;
        } else if (q->group_values && q->mode != QM_MODEL && q->nfields) {
            size_t pos = 0;
            for (size_t i = 0; i < q->nfields; i++) {
                pos++;
                if (refs_agg(q, q->fields[i].expr, 0))
                    continue;
                if (group.len)
                    tq_buf_add(&group, ", ");
                tq_buf_printf(&group, "%zu", pos);
            }
        } else {
            if (addressed(cs->d, t)) {
                no_key(cs, t, "group its rows by; annotate values(...) "
                       "instead");
                goto out;
            }
            col_sql(&group, cs->base_alias, pk_col(cs->d, t));
            /* select_related()'s columns: grouped by their row's key too,
             * which PostgreSQL needs (a column is functionally dependent
             * only on its own table's key) */
            for (size_t i = 0; i < cs->njoins; i++) {
                const cjoin_t *j = &cs->joins[i];
                const tq_stable_t *jt = &cs->s->tables[j->table];
                if (!j->related)
                    continue;
                tq_buf_add(&group, ", ");
                col_sql(&group, j->alias, pk_col(cs->d, jt));
            }
        }
    }

    /* ORDER BY */
    if (kind == SEL_ROWS || (kind == SEL_SUB && qdesc_sliced(q))) {
        for (size_t i = 0; i < q->norder; i++) {
            const qexpr_t *e = q->order[i].expr;
            bool desc = q->order[i].desc != q->reversed;
            if (order.len)
                tq_buf_add(&order, ", ");
            bool selected_alias = false;
            if (e->kind == QX_REF && find_alias(q, e->name) &&
                kind == SEL_ROWS) {
                if (q->mode == QM_MODEL || q->nfields == 0)
                    selected_alias = true;
                for (size_t k = 0; k < q->nfields; k++)
                    selected_alias |= !strcmp(q->fields[k].name, e->name);
            }
            if (e->kind == QX_BOOL) {
                tq_buf_add(&order, "RANDOM()");
                continue;
            }
            if (selected_alias)
                tq_buf_ident(&order, e->name);
            else if (cs_expr(cs, e, &order) < 0)
                goto out;
            tq_buf_add(&order, desc ? " DESC" : " ASC");
            nulls_order(cs->d, &order, desc);
        }
        bool grouped_values = has_agg && (q->group_values || q->ngroup) &&
                              q->mode != QM_MODEL;
        bool unordered = !q->norder && !q->order_set;
        const char *meta = q->proxy_ordering ? q->proxy_ordering
                                             : t->dj_ordering;
        if (unordered && meta && !has_agg &&
            (!q->distinct || q->mode == QM_MODEL)) {
            if (meta_ordering(cs, meta, q->reversed, &order) < 0)
                goto out;
        } else if (unordered && !grouped_values && !q->distinct) {
            col_sql(&order, cs->base_alias, pk_col(cs->d, t));
            tq_buf_add(&order, q->reversed ? " DESC" : " ASC");
        }
    }

    tq_buf_add(b, "SELECT ");
    if (q->distinct)
        tq_buf_add(b, "DISTINCT ");
    tq_buf_add(b, cols.s);
    from_sql(cs, b);
    if (where.len) {
        tq_buf_add(b, " WHERE ");
        tq_buf_add(b, where.s);
    }
    if (group.len) {
        tq_buf_add(b, " GROUP BY ");
        tq_buf_add(b, group.s);
    }
    if (having.len) {
        tq_buf_add(b, " HAVING ");
        tq_buf_add(b, having.s);
    }
    if (order.len) {
        tq_buf_add(b, " ORDER BY ");
        tq_buf_add(b, order.s);
    }
    if (q->limit >= 0 || q->offset > 0)
        cs->d->limit(b, q->limit, q->offset > 0 ? q->offset : 0);
    rc = 0;
out:
    tq_buf_free(&cols);
    tq_buf_free(&where);
    tq_buf_free(&having);
    tq_buf_free(&group);
    tq_buf_free(&order);
    return rc;
}

/* The ORDER BY terms of a model's Meta.ordering (tq_stable_t.dj_ordering,
 * "-pub_date,headline"), the order Django gives a query set without
 * order_by(); `reversed` flips each term (reverse()). */
static int meta_ordering(cstate_t *cs, const char *ordering, bool reversed,
                         tq_buf_t *order)
{
    char *names = tq_xstrdup(ordering);
    int rc = 0;
    for (char *n = names, *next; n && rc == 0; n = next) {
        next = strchr(n, ',');
        if (next)
            *next++ = 0;
        if (order->len)
            tq_buf_add(order, ", ");
        if (!strcmp(n, "?")) {
            tq_buf_add(order, "RANDOM()");
            continue;
        }
        bool desc = *n == '-';
        qexpr_t *e = qx_path(n + desc);
        rc = cs_expr(cs, e, order);
        qx_unref(e);
        tq_buf_add(order, desc != reversed ? " DESC" : " ASC");
    }
    free(names);
    return rc < 0 ? -1 : 0;
}

/* True when e holds an OuterRef (outside nested subqueries). */
static bool has_outer(const qexpr_t *e, int depth)
{
    if (!e || depth > 64)
        return false;
    if (e->kind == QX_REF && e->op == 1)
        return true;
    if (has_outer(e->cond, depth + 1))
        return true;
    for (size_t i = 0; i < e->nargs; i++)
        if (has_outer(e->args[i], depth + 1))
            return true;
    return false;
}

static bool desc_has_outer(const qdesc_t *q)
{
    if (has_outer(q->where, 0))
        return true;
    for (size_t i = 0; i < q->nannos; i++)
        if (has_outer(q->annos[i].expr, 0))
            return true;
    for (size_t i = 0; i < q->nfields; i++)
        if (has_outer(q->fields[i].expr, 0))
            return true;
    for (size_t i = 0; i < q->norder; i++)
        if (has_outer(q->order[i].expr, 0))
            return true;
    return false;
}

/* The SELECT of a nested description (pk IN (SELECT ...)). Shares the
 * parent's parameters; its aliases live in their own scope. */
static int build_select_sub(cstate_t *parent, const qdesc_t *q, tq_buf_t *b)
{
    const tq_stable_t *t = tq_compile_base(parent->s, q, parent->err);
    if (!t)
        return -1;
    cstate_t cs;
    size_t ncols = parent->out->ncols;
    char **saved_cols = parent->out->cols;
    const char **saved_types = parent->out->coltypes;
    parent->out->cols = NULL;
    parent->out->coltypes = NULL;
    parent->out->ncols = 0;
    cs_init(&cs, parent->d, parent->s, q, t, parent->out, parent->err);
    if (desc_has_outer(q)) {
        /* correlated (OuterRef): its aliases must not hide the outer
         * query's, so a table the outer query names is U0 here */
        cs.parent = parent;
        if (alias_used(parent, t->name)) {
            free(cs.base_alias);
            cs.base_alias = tq_xasprintf("U%d", parent->depth_sub + 0);
        }
    }
    cs.depth_sub = parent->depth_sub + 1;
    cs.sub_address = parent->sub_address;
    parent->sub_address = false;
    int rc = build_select(&cs, SEL_SUB, b);
    /* what its one column holds (a Subquery of dates is dates: its
     * difference with a date is a duration) */
    tq_temporal_t vt = parent->out->ncols == 1 && parent->out->coltypes
                           ? tq_temporal_of_decltype(parent->out->coltypes[0])
                           : TQ_TEMPORAL_NONE;
    for (size_t i = 0; i < parent->out->ncols; i++)
        free(parent->out->cols[i]);
    free(parent->out->cols);
    free(parent->out->coltypes);
    parent->out->cols = saved_cols;
    parent->out->coltypes = saved_types;
    parent->out->ncols = ncols;
    cs_free(&cs);
    parent->vtype = vt;
    return rc;
}

static int finish(qsql_t *out, tq_buf_t *b, int rc)
{
    if (rc < 0) {
        tq_buf_free(b);
        qsql_clear(out);
        return -1;
    }
    out->sql = tq_buf_take(b);
    return 0;
}

/* tq_compile_select: see compile.h. */
int tq_compile_select(const tq_dialect_t *d, const tq_schema_t *s,
                      const qdesc_t *q, qsql_t *out, qerr_t *err)
{
    memset(out, 0, sizeof *out);
    const tq_stable_t *t = tq_compile_base(s, q, err);
    if (!t)
        return -1;
    cstate_t cs;
    cs_init(&cs, d, s, q, t, out, err);
    tq_buf_t b = {0};
    int rc = build_select(&cs, SEL_ROWS, &b);
    cs_free(&cs);
    return finish(out, &b, rc);
}

static bool needs_wrap(const qdesc_t *q)
{
    bool agg = false;
    for (size_t i = 0; i < q->nannos; i++)
        agg |= refs_agg(q, q->annos[i].expr, 0);
    for (size_t i = 0; i < q->nfields; i++)
        agg |= refs_agg(q, q->fields[i].expr, 0);
    if (q->where && refs_agg(q, q->where, 0))
        agg = true;
    return agg || q->ngroup || q->distinct || qdesc_sliced(q);
}

/* tq_compile_count: see compile.h. */
int tq_compile_count(const tq_dialect_t *d, const tq_schema_t *s,
                     const qdesc_t *q, qsql_t *out, qerr_t *err)
{
    memset(out, 0, sizeof *out);
    const tq_stable_t *t = tq_compile_base(s, q, err);
    if (!t)
        return -1;
    cstate_t cs;
    tq_buf_t b = {0};
    int rc;
    if (needs_wrap(q)) {
        cs_init(&cs, d, s, q, t, out, err);
        tq_buf_add(&b, "SELECT COUNT(*) FROM (");
        rc = build_select(&cs, SEL_COUNT, &b);
        tq_buf_add(&b, ") subquery");
    } else {
        /* annotations stay resolvable in filters; none is selected */
        qdesc_t *ctxq = (qdesc_t *)q;
        cs_init(&cs, d, s, ctxq, t, out, err);
        tq_buf_t where = {0};
        if (q->where) {
            cs.filter_ctx = true;
            const qexpr_t *w = q->where;
            size_t n = w->kind == QX_AND ? w->nargs : 1;
            rc = 0;
            for (size_t i = 0; i < n && rc == 0; i++) {
                if (where.len)
                    tq_buf_add(&where, " AND ");
                cs.filter_ctx = true;
                rc = compile_conjunct(&cs, i, &where);
            }
        } else {
            rc = 0;
        }
        tq_buf_add(&b, "SELECT COUNT(*) AS \"__count\"");
        from_sql(&cs, &b);
        if (where.len) {
            tq_buf_add(&b, " WHERE ");
            tq_buf_add(&b, where.s);
        }
        tq_buf_free(&where);
    }
    cs_free(&cs);
    for (size_t i = 0; i < out->ncols; i++)
        free(out->cols[i]);
    free(out->cols);
    free(out->coltypes);
    out->cols = NULL;
    out->coltypes = NULL;
    out->ncols = 0;
    return finish(out, &b, rc);
}

/* tq_compile_exists: see compile.h. */
int tq_compile_exists(const tq_dialect_t *d, const tq_schema_t *s,
                      const qdesc_t *q, qsql_t *out, qerr_t *err)
{
    qsql_t inner;
    if (tq_compile_count(d, s, q, &inner, err) < 0)
        return -1;
    /* SELECT COUNT(*) ... -> SELECT 1 ... LIMIT 1 on the same body */
    memset(out, 0, sizeof *out);
    tq_buf_t b = {0};
    const char *body = strstr(inner.sql, " FROM ");
    if (!strncmp(inner.sql, "SELECT COUNT(*) FROM (", 22)) {
        tq_buf_add(&b, "SELECT 1 AS \"a\" FROM (");
        tq_buf_add(&b, inner.sql + 22);
    } else {
        tq_buf_add(&b, "SELECT 1 AS \"a\"");
        tq_buf_add(&b, body);
    }
    tq_buf_add(&b, " LIMIT 1");
    out->sql = tq_buf_take(&b);
    out->params = inner.params;
    out->nparams = inner.nparams;
    out->pcap = inner.pcap;
    inner.params = NULL;
    inner.nparams = 0;
    qsql_clear(&inner);
    return 0;
}

/* The value an aggregate takes from each row of the inner query when
 * aggregate() runs over a subquery: its argument, or with filter= the
 * argument where the condition holds (Case(When(cond, then=arg))). */
static qexpr_t *filtered_value(const qexpr_t *e)
{
    qexpr_t *arg = e->nargs ? qx_ref(e->args[0]) : qx_lit(qlit_int(1));
    if (!e->cond)
        return arg;
    qexpr_t *when = qx_new(QX_FUNC);
    when->op = QF_WHEN;
    qx_push(when, qx_ref(e->cond));
    qx_push(when, arg);
    qexpr_t *c = qx_new(QX_FUNC);
    c->op = QF_CASE;
    qx_push(c, when);
    return c;
}

/* tq_compile_aggregate: see compile.h. */
int tq_compile_aggregate(const tq_dialect_t *d, const tq_schema_t *s,
                         const qdesc_t *q, const qfield_t *aggs, size_t n,
                         qsql_t *out, qerr_t *err)
{
    assert(d && s && q && (aggs || n == 0) && out && err);
    memset(out, 0, sizeof *out);
    const tq_stable_t *t = tq_compile_base(s, q, err);
    if (!t)
        return -1;
    cstate_t cs;
    tq_buf_t b = {0};
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        if (!qx_has_agg(aggs[i].expr)) {
            err->ename = "TypeError";
            err->msg = tq_xasprintf("%s is not an aggregate expression.",
                                    aggs[i].name);
            return -1;
        }
    if (needs_wrap(q)) {
        /* aggregate over the rows of the query: inner SELECT of the
         * aggregated arguments, outer aggregates over its columns */
        qdesc_t *inner = qdesc_clone(q);
        inner->mode = QM_VALUES;
        for (size_t i = 0; i < inner->nfields; i++) {
            free(inner->fields[i].name);
            qx_unref(inner->fields[i].expr);
        }
        free(inner->fields);
        inner->fields = NULL;
        inner->nfields = 0;
        inner->group_values = q->group_values && q->nfields;
        if (inner->group_values)
            for (size_t i = 0; i < q->nfields; i++)
                qdesc_add_field(&inner->fields, &inner->nfields,
                                q->fields[i].name, qx_ref(q->fields[i].expr));
        inner->order_set = true;
        tq_buf_t outer = {0};
        tq_buf_add(&outer, "SELECT ");
        for (size_t i = 0; i < n; i++) {
            const qexpr_t *e = aggs[i].expr;
            if (i)
                tq_buf_add(&outer, ", ");
            if (e->kind != QX_FUNC || e->nargs > 1) {
                rc = -1;
                err->ename = "TypeError";
                err->msg = tq_xasprintf(
                    "Cannot compute %s over a sliced, distinct or grouped "
                    "query set",
                    aggs[i].name);
                break;
            }
            char *fname = tq_xasprintf("__a%zu", i);
            const char *fn = tq_qx_func_kind[e->op] == TQ_FUNC_KIND_AGG
                                 ? func_sql[e->op]
                                 : NULL;
            if (e->nargs == 0 && !e->cond) {
                tq_buf_add(&outer, "COUNT(*)");
            } else {
                qdesc_add_field(&inner->fields, &inner->nfields, fname,
                                filtered_value(e));
                if (fn) {
                    tq_buf_printf(&outer, "%s(%s", fn,
                                  e->distinct ? "DISTINCT " : "");
                    tq_buf_ident(&outer, fname);
                    tq_buf_addc(&outer, ')');
                } else {
                    char *x[5];
                    for (int k = 0; k < 5; k++) {
                        tq_buf_t tb = {0};
                        tq_buf_ident(&tb, fname);
                        x[k] = tq_buf_take(&tb);
                    }
                    d->stddev(&outer, e->op == QF_VARIANCE,
                                              e->sample, x);
                    for (int k = 0; k < 5; k++)
                        free(x[k]);
                }
            }
            free(fname);
            tq_buf_add(&outer, " AS ");
            tq_buf_ident(&outer, aggs[i].name);
            add_col_name(&(cstate_t){.out = out}, aggs[i].name,
                         TQ_TEMPORAL_NONE);
        }
        if (rc == 0) {
            cs_init(&cs, d, s, inner, t, out, err);
            size_t nc = out->ncols;
            char **sc = out->cols;
            const char **st = out->coltypes;
            out->cols = NULL;
            out->coltypes = NULL;
            out->ncols = 0;
            tq_buf_add(&outer, " FROM (");
            rc = build_select(&cs, SEL_COUNT, &outer);
            tq_buf_add(&outer, ") subquery");
            for (size_t i = 0; i < out->ncols; i++)
                free(out->cols[i]);
            free(out->cols);
            free(out->coltypes);
            out->cols = sc;
            out->coltypes = st;
            out->ncols = nc;
            cs_free(&cs);
        }
        qdesc_unref(inner);
        return finish(out, &outer, rc);
    }
    cs_init(&cs, d, s, q, t, out, err);
    tq_buf_add(&b, "SELECT ");
    for (size_t i = 0; i < n && rc == 0; i++) {
        bool f = i == 0;
        rc = select_item(&cs, &b, aggs[i].name, aggs[i].expr, &f);
    }
    tq_buf_t where = {0};
    if (rc == 0 && q->where) {
        cs.filter_ctx = true;
        const qexpr_t *w = q->where;
        size_t nw = w->kind == QX_AND ? w->nargs : 1;
        for (size_t i = 0; i < nw && rc == 0; i++) {
            if (where.len)
                tq_buf_add(&where, " AND ");
            cs.filter_ctx = true;
            rc = compile_conjunct(&cs, i, &where);
        }
    }
    if (rc == 0) {
        from_sql(&cs, &b);
        if (where.len) {
            tq_buf_add(&b, " WHERE ");
            tq_buf_add(&b, where.s);
        }
    }
    tq_buf_free(&where);
    cs_free(&cs);
    return finish(out, &b, rc);
}

/* WHERE of an UPDATE/DELETE: direct when the filters need no join and the
 * query is not sliced, else `pk IN (SELECT pk ...)`. */
static int write_where(const tq_dialect_t *d, const tq_schema_t *s,
                       const qdesc_t *q, const tq_stable_t *t, qsql_t *out,
                       qerr_t *err, tq_buf_t *b)
{
    if (!q->where && !qdesc_sliced(q))
        return 0;
    /* dry run to learn whether joins are needed */
    qsql_t dry = {0};
    cstate_t cs;
    cs_init(&cs, d, s, q, t, &dry, err);
    tq_buf_t w = {0};
    int rc = 0;
    for (size_t i = 0; i < qx_conjuncts(q->where) && rc == 0; i++) {
        cs.filter_ctx = true;
        if (i)
            tq_buf_add(&w, " AND ");
        rc = compile_conjunct(&cs, i, &w);
    }
    bool joins = cs.njoins > 0 || refs_agg(q, q->where, 0);
    cs_free(&cs);
    qsql_clear(&dry);
    tq_buf_free(&w);
    if (rc < 0)
        return -1;
    tq_buf_add(b, " WHERE ");
    if (!joins && !qdesc_sliced(q) && !q->distinct) {
        cs_init(&cs, d, s, q, t, out, err);
        cs.filter_ctx = true;
        const qexpr_t *wh = q->where;
        size_t n = wh->kind == QX_AND ? wh->nargs : 1;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (i)
                tq_buf_add(b, " AND ");
            rc = compile_conjunct(&cs, i, b);
        }
        cs_free(&cs);
        return rc;
    }
    cs_init(&cs, d, s, q, t, out, err);
    if (addressed(d, t)) {
        /* a table without a key: its rows' addresses, which hold for
         * the one statement (with the table, as a ctid repeats across
         * partitions) */
        tq_buf_addc(b, '(');
        col_sql(b, cs.base_alias, "tableoid");
        tq_buf_add(b, ", ");
        col_sql(b, cs.base_alias, rowid_col(d, t));
        tq_buf_addc(b, ')');
        cs.sub_address = true;
    } else {
        col_sql(b, cs.base_alias, pk_col(cs.d, t));
    }
    tq_buf_add(b, " IN (");
    qdesc_t *sub = qdesc_clone(q);
    sub->mode = QM_MODEL;
    rc = build_select_sub(&cs, sub, b);
    tq_buf_addc(b, ')');
    qdesc_unref(sub);
    cs_free(&cs);
    return rc;
}


/* tq_compile_update: see compile.h. */
int tq_compile_update(const tq_dialect_t *d, const tq_schema_t *s,
                      const qdesc_t *q, const qfield_t *sets, size_t n,
                      qsql_t *out, qerr_t *err)
{
    memset(out, 0, sizeof *out);
    const tq_stable_t *t = tq_compile_base(s, q, err);
    if (!t)
        return -1;
    if (qdesc_sliced(q)) {
        err->ename = "TypeError";
        err->msg = tq_xstrdup("Cannot update a query once a slice has been "
                              "taken.");
        return -1;
    }
    if (!n) {
        err->ename = "ValueError";
        err->msg = tq_xstrdup("update() needs at least one field");
        return -1;
    }
    cstate_t cs;
    cs_init(&cs, d, s, q, t, out, err);
    cs.no_joins = true;
    tq_buf_t b = {0};
    int rc = 0;
    tq_buf_add(&b, "UPDATE ");
    table_ref(&b, s, t);
    tq_buf_add(&b, " SET ");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *name = sets[i].name;
        if (!strcmp(name, "pk"))
            name = t->pk;
        int ci = tq_stable_col(t, name);
        const tq_srel_t *rel = tq_stable_rel(t, name);
        const char *col = ci >= 0 ? t->cols[ci].name :
                          ci == -2 ? rowid_col(d, t) :
                          rel && !rel->reverse ? rel->col : NULL;
        if (!col) {
            rc = unknown_field(&cs, t, sets[i].name);
            break;
        }
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_ident(&b, col);
        tq_buf_add(&b, " = ");
        rc = cs_expr(&cs, sets[i].expr, &b);
        if (rc == 0 && qx_has_agg(sets[i].expr))
            rc = cs_fail(&cs, "FieldError",
                         "Aggregate functions are not allowed in this query "
                         "(%s=...).",
                         sets[i].name);
    }
    cs_free(&cs);
    if (rc == 0)
        rc = write_where(d, s, q, t, out, err, &b);
    return finish(out, &b, rc);
}

/* tq_compile_delete: see compile.h. */
int tq_compile_delete(const tq_dialect_t *d, const tq_schema_t *s,
                      const qdesc_t *q, qsql_t *out, qerr_t *err)
{
    memset(out, 0, sizeof *out);
    const tq_stable_t *t = tq_compile_base(s, q, err);
    if (!t)
        return -1;
    if (qdesc_sliced(q)) {
        err->ename = "TypeError";
        err->msg = tq_xstrdup("Cannot use 'limit' or 'offset' with delete().");
        return -1;
    }
    tq_buf_t b = {0};
    tq_buf_add(&b, "DELETE FROM ");
    table_ref(&b, s, t);
    int rc = write_where(d, s, q, t, out, err, &b);
    return finish(out, &b, rc);
}

/* The end of an INSERT that yields the new row's key, on engines that
 * give it back that way (tqdb_last_insert_id otherwise). */
static void insert_returning(const tq_dialect_t *d, const tq_stable_t *t,
                             tq_buf_t *b)
{
    if (!d->insert_returning)
        return;
    tq_buf_add(b, " RETURNING ");
    if (addressed(d, t))
        tq_buf_add(b, "NULL");         /* no key to read the new row by */
    else
        tq_buf_ident(b, pk_col(d, t));
}

/* tq_compile_insert: see compile.h. */
int tq_compile_insert(const tq_dialect_t *d, const tq_schema_t *s,
                      const char *schema, const char *table,
                      const char *const *cols, const qlit_t *vals, size_t n,
                      qsql_t *out, qerr_t *err)
{
    assert(d && s && out && err);
    memset(out, 0, sizeof *out);
    out->dialect = d;
    qdesc_t *q = qdesc_new(schema, table);
    const tq_stable_t *t = tq_compile_base(s, q, err);
    qdesc_unref(q);
    if (!t)
        return -1;
    tq_buf_t b = {0};
    tq_buf_add(&b, "INSERT INTO ");
    table_ref(&b, s, t);
    if (!n) {
        tq_buf_add(&b, " DEFAULT VALUES");
        insert_returning(d, t, &b);
        out->sql = tq_buf_take(&b);
        return 0;
    }
    tq_buf_add(&b, " (");
    for (size_t i = 0; i < n; i++) {
        const char *name = !strcmp(cols[i], "pk") ? t->pk : cols[i];
        int ci = tq_stable_col(t, name);
        const tq_srel_t *rel = tq_stable_rel(t, name);
        const char *col = ci >= 0 ? t->cols[ci].name :
                          ci == -2 ? rowid_col(d, t) :
                          rel && !rel->reverse ? rel->col : NULL;
        if (!col) {
            char *c = tq_stable_choices(t, NULL, 0);
            err->ename = "TypeError";
            err->msg = tq_xasprintf("%s() got unexpected keyword arguments: "
                                    "'%s' (fields are: %s)",
                                    t->bare, cols[i], c);
            free(c);
            tq_buf_free(&b);
            return -1;
        }
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_ident(&b, col);
    }
    tq_buf_add(&b, ") VALUES (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            tq_buf_add(&b, ", ");
        TQ_PUSH(out->params, out->nparams, out->pcap, qlit_copy(&vals[i]));
        d->param(&b, out->nparams);
    }
    tq_buf_addc(&b, ')');
    insert_returning(d, t, &b);
    out->sql = tq_buf_take(&b);
    return 0;
}
