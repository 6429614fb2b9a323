/*
 * This file rewrites one shape of compiled SELECT into a faster, equal
 * one: aggregates over a reverse relation of the base table, as in
 *
 *   Bike.annotate(revenue=Sum('rental__total_fee')).order_by('-revenue')
 *
 * which the compiler (and Django) emit as the base table LEFT OUTER JOIN
 * the child table GROUP BY the base key. SQLite runs that join by walking
 * the child's foreign-key index and reading every child row at random.
 * Aggregating the child table first, in one sequential scan grouped by
 * its foreign key, and joining the base table to that small result is
 * 2-4 times faster at a million children:
 *
 *   SELECT "bike".*, "agg"."a0" AS "revenue" FROM "bike"
 *   LEFT OUTER JOIN (SELECT "rental"."bike_id" AS "k",
 *                           SUM("rental"."total_fee") AS "a0"
 *                    FROM "rental" GROUP BY +"rental"."bike_id") AS "agg"
 *   ON ("bike"."id" = "agg"."k") ORDER BY "revenue" DESC
 *
 * (the unary + keeps SQLite from grouping through the index).
 *
 * The rewrite applies only where the two statements are equal row for row:
 *  - every annotation is Count, Sum, Avg, Min or Max (optionally
 *    distinct) of one column of the same child table reached through one
 *    reverse relation of the base table, or Count of the relation itself;
 *    Count(*) is excluded (the outer join counts 1 for a childless row);
 *  - the join has LEFT OUTER semantics: every base row is kept, and a base
 *    row without children gets NULL from Sum/Avg/Min/Max as in the join
 *    and 0 from Count through COALESCE;
 *  - nothing else joins and nothing filters (no WHERE, no HAVING), no
 *    parameters, no distinct, no select_related or only(), no values()
 *    grouping; values()/values_list() fields name base columns or the
 *    annotations themselves;
 *  - both key columns are integers (no collation or affinity can make the
 *    grouping differ from the join's equality);
 *  - the whole child table is aggregated anyway: the query is unsliced, or
 *    it is ordered by an annotation (a LIMIT without that order lets the
 *    join stop early, so it is left alone).
 * tq_compile_select_run is the one caller: the statements that run rows
 * (iteration, display, charts, to_csv, explain) go through it, while
 * tq_compile_select and `.query` keep the Django-shaped SQL.
 * The column names come from the ordinary compilation, which always runs
 * first (its errors and checks stand); the rewrite checks that its select
 * list names the same columns and otherwise keeps the ordinary SQL. Sums
 * of floats may differ in the last bits, as any change of summation order
 * does; SQL leaves that order unspecified in both forms.
 *
 * The environment variable TABULA_REWRITE=off turns the rewrite off (and
 * TABULA_REWRITE=show makes `.query` print the rewritten statement), so
 * that tests/bench and the differential test can run both forms.
 */
#include "sql/compile_int.h"
#include "sql/dialect.h"

#include <assert.h>
#include <stdlib.h>
#include <strings.h>

/* One rewritten aggregate: its function, distinctness and child column. */
typedef struct ragg {
    const char *name;       /* the annotation's name */
    const char *func;       /* "COUNT", "SUM", ... */
    bool count, distinct;
    const char *col;        /* column of the child table */
} ragg_t;

typedef struct rplan {
    const tq_stable_t *base, *child;
    const tq_srel_t *rel;   /* base -> child, reverse */
    ragg_t *aggs;
    size_t naggs;
} rplan_t;

static bool integer_col(const tq_stable_t *t, const char *name)
{
    if (!strcmp(name, "rowid") && t->rowid_pk)
        return true;
    int c = tq_stable_col(t, name);
    if (c < 0)
        return false;
    const char *d = t->cols[c].decltype;
    for (const char *p = d; p && *p; p++)
        if (!strncasecmp(p, "INT", 3))
            return true;
    return false;
}

/* Fills a from an annotation expression; false when it is not an
 * aggregate of one child column through a reverse relation. */
static bool match_agg(rplan_t *p, const tq_schema_t *s, const char *name,
                      const qexpr_t *e, ragg_t *a)
{
    if (e->kind != QX_FUNC || e->nargs != 1 || e->args[0]->kind != QX_REF)
        return false;
    static const struct {
        qx_func_t f;
        const char *sql;
    } ok[] = {{QF_COUNT, "COUNT"}, {QF_SUM, "SUM"}, {QF_AVG, "AVG"},
              {QF_MIN, "MIN"}, {QF_MAX, "MAX"}};
    a->func = NULL;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (e->op == (int)ok[i].f)
            a->func = ok[i].sql;
    if (!a->func)
        return false;
    a->name = name;
    a->count = e->op == QF_COUNT;
    a->distinct = e->distinct;
    const char *path = e->args[0]->name;
    const char *sep = strstr(path, "__");
    size_t head = sep ? (size_t)(sep - path) : strlen(path);
    const tq_srel_t *rel = NULL;
    for (size_t i = 0; i < p->base->nrels; i++)
        if (strlen(p->base->rels[i].name) == head &&
            !strncmp(p->base->rels[i].name, path, head))
            rel = &p->base->rels[i];
    if (!rel || !rel->reverse || (p->rel && p->rel != rel))
        return false;
    p->rel = rel;
    p->child = &s->tables[rel->target];
    if (!sep) {
        if (!a->count)
            return false;
        /* a child without a key: its rows counted by their link column
         * (not NULL in a group), a DISTINCT count left to the join */
        if (p->child->rowid_pk && (a->distinct || rel->m2m))
            return false;
        a->col = p->child->rowid_pk ? rel->target_col : p->child->pk;
        return true;
    }
    a->col = sep + 2;
    return !strstr(a->col, "__") && tq_stable_col(p->child, a->col) >= 0;
}

static const ragg_t *find_agg(const rplan_t *p, const char *name)
{
    for (size_t i = 0; i < p->naggs; i++)
        if (!strcmp(p->aggs[i].name, name))
            return &p->aggs[i];
    return NULL;
}

/* A table as compile.c names it: main's bare unless a temp table or view
 * of the same name hides it (tq_schema_shadowed). */
static void table_ref(tq_buf_t *b, const tq_schema_t *s, const tq_stable_t *t)
{
    if (strcmp(t->schema, tq_schema_main(s)) ||
        tq_schema_shadowed(s, t->schema, t->name)) {
        tq_buf_ident(b, t->schema);
        tq_buf_addc(b, '.');
    }
    tq_buf_ident(b, t->name);
}

static void column(tq_buf_t *b, const char *alias, const char *col)
{
    tq_buf_ident(b, alias);
    tq_buf_addc(b, '.');
    tq_buf_ident(b, col);
}

/* The aggregate's value in the outer query. */
static void agg_value(tq_buf_t *b, const rplan_t *p, const ragg_t *a)
{
    size_t i = (size_t)(a - p->aggs);
    if (a->count)
        tq_buf_printf(b, "COALESCE(\"agg\".\"a%zu\", 0)", i);
    else
        tq_buf_printf(b, "\"agg\".\"a%zu\"", i);
}

/* Appends one outer select item and its column name; false on a field
 * the rewrite does not know. */
static bool select_ref(tq_buf_t *b, char ***names, size_t *n,
                       const rplan_t *p, const char *name, const char *ref)
{
    if (*n)
        tq_buf_add(b, ", ");
    const ragg_t *a = find_agg(p, ref);
    if (a) {
        agg_value(b, p, a);
        tq_buf_add(b, " AS ");
        tq_buf_ident(b, name);
    } else if (!strcmp(name, ref) && tq_stable_col(p->base, ref) >= 0) {
        column(b, p->base->name, ref);
    } else {
        return false;
    }
    *names = tq_xrealloc(*names, (*n + 1) * sizeof **names);
    (*names)[(*n)++] = tq_xstrdup(name);
    return true;
}

/* Builds the rewritten SQL into b; false when the query is not of the
 * shape described above. */
static bool build(const tq_dialect_t *d, const tq_schema_t *s,
                  const qdesc_t *q, const qsql_t *out,
                  rplan_t *p, tq_buf_t *b)
{
    if (p->base->rowid_pk || q->where || q->distinct || q->group_values || q->nonly ||
        q->nrelated || q->nannos == 0 || out->nparams)
        return false;
    p->aggs = tq_xcalloc(q->nannos, sizeof *p->aggs);
    for (size_t i = 0; i < q->nannos; i++)
        if (!match_agg(p, s, q->annos[i].name, q->annos[i].expr,
                       &p->aggs[p->naggs++]))
            return false;
    if (!integer_col(p->base, p->rel->col) ||
        !integer_col(p->child, p->rel->target_col))
        return false;
    /* the order: annotations, base columns, pk or random */
    bool by_agg = false;
    for (size_t i = 0; i < q->norder; i++) {
        const qexpr_t *e = q->order[i].expr;
        if (e->kind == QX_BOOL)
            continue;
        if (e->kind != QX_REF)
            return false;
        if (find_agg(p, e->name))
            by_agg = true;
        else if (strcmp(e->name, "pk") &&
                 tq_stable_col(p->base, e->name) < 0)
            return false;
    }
    if (qdesc_sliced(q) && !by_agg)
        return false;

    tq_buf_t cols = {0};
    char **names = NULL;
    size_t n = 0;
    bool ok = true;
    if (q->mode == QM_MODEL || q->nfields == 0) {
        for (size_t i = 0; ok && i < p->base->ncols; i++)
            ok = select_ref(&cols, &names, &n, p, p->base->cols[i].name,
                            p->base->cols[i].name);
        for (size_t i = 0; ok && i < q->nannos; i++)
            ok = select_ref(&cols, &names, &n, p, q->annos[i].name,
                            q->annos[i].name);
    } else {
        for (size_t i = 0; ok && i < q->nfields; i++) {
            const qexpr_t *e = q->fields[i].expr;
            ok = e->kind == QX_REF &&
                 select_ref(&cols, &names, &n, p, q->fields[i].name,
                            e->name);
        }
    }
    ok = ok && n == out->ncols;
    for (size_t i = 0; i < n; i++) {
        ok = ok && !strcmp(names[i], out->cols[i]);
        free(names[i]);
    }
    free(names);
    if (!ok) {
        tq_buf_free(&cols);
        return false;
    }

    tq_buf_add(b, "SELECT ");
    tq_buf_add(b, cols.s);
    tq_buf_free(&cols);
    tq_buf_add(b, " FROM ");
    table_ref(b, s, p->base);
    tq_buf_add(b, " LEFT OUTER JOIN (SELECT ");
    column(b, p->child->name, p->rel->target_col);
    tq_buf_add(b, " AS \"k\"");
    for (size_t i = 0; i < p->naggs; i++) {
        const ragg_t *a = &p->aggs[i];
        tq_buf_printf(b, ", %s(%s", a->func, a->distinct ? "DISTINCT " : "");
        column(b, p->child->name, a->col);
        tq_buf_printf(b, ") AS \"a%zu\"", i);
    }
    tq_buf_add(b, " FROM ");
    table_ref(b, s, p->child);
    tq_buf_add(b, " GROUP BY ");
    tq_buf_add(b, d->group_by_unindexed);
    column(b, p->child->name, p->rel->target_col);
    tq_buf_add(b, ") AS \"agg\" ON (");
    column(b, p->base->name, p->rel->col);
    tq_buf_add(b, " = \"agg\".\"k\")");

    bool selected_annos = q->mode == QM_MODEL || q->nfields == 0;
    tq_buf_t order = {0};
    for (size_t i = 0; i < q->norder; i++) {
        const qexpr_t *e = q->order[i].expr;
        bool desc = q->order[i].desc != q->reversed;
        if (order.len)
            tq_buf_add(&order, ", ");
        if (e->kind == QX_BOOL) {
            tq_buf_add(&order, "RANDOM()");
            continue;
        }
        const ragg_t *a = find_agg(p, e->name);
        bool selected = selected_annos;
        for (size_t k = 0; a && k < q->nfields; k++)
            selected |= !strcmp(q->fields[k].name, e->name);
        if (a && selected)
            tq_buf_ident(&order, e->name);
        else if (a)
            agg_value(&order, p, a);
        else
            column(&order, p->base->name,
                   strcmp(e->name, "pk") ? e->name : p->base->pk);
        tq_buf_add(&order, desc ? " DESC" : " ASC");
        /* NULLs where SQLite puts them (sql/dialect.h) */
        const char *nulls = desc ? d->desc_nulls : d->asc_nulls;
        if (nulls)
            tq_buf_add(&order, nulls);
    }
    if (!q->norder && !q->order_set) {
        column(&order, p->base->name, p->base->pk);
        tq_buf_add(&order, q->reversed ? " DESC" : " ASC");
    }
    if (order.len) {
        tq_buf_add(b, " ORDER BY ");
        tq_buf_add(b, order.s);
    }
    tq_buf_free(&order);
    if (q->limit >= 0)
        tq_buf_printf(b, " LIMIT %lld", (long long)q->limit);
    if (q->offset > 0) {
        if (q->limit < 0)
            tq_buf_add(b, " LIMIT -1");
        tq_buf_printf(b, " OFFSET %lld", (long long)q->offset);
    }
    return true;
}

/* Replaces out->sql, compiled from q, by the rewritten statement when q
 * has the shape above; returns true when it did. */
static bool rewrite_select(const tq_dialect_t *d, const tq_schema_t *s,
                           const qdesc_t *q,
                           qsql_t *out)
{
    assert(s && q && out && out->sql);
    const char *mode = getenv("TABULA_REWRITE");
    if (mode && !strcmp(mode, "off"))
        return false;
    rplan_t p = {.base = tq_schema_table(s, q->schema, q->table)};
    if (!p.base || !strcasecmp(p.base->name, "agg"))
        return false;    /* "agg" names the aggregated child */
    tq_buf_t b = {0};
    bool ok = build(d, s, q, out, &p, &b);
    free(p.aggs);
    if (!ok) {
        tq_buf_free(&b);
        return false;
    }
    free(out->sql);
    out->sql = tq_buf_take(&b);
    return true;
}

/* tq_compile_select_run: see compile.h. */
int tq_compile_select_run(const tq_dialect_t *d, const tq_schema_t *s,
                          const qdesc_t *q, qsql_t *out, qerr_t *err)
{
    assert(d);
    if (tq_compile_select(d, s, q, out, err) < 0)
        return -1;
    rewrite_select(d, s, q, out);
    return 0;
}
