/*
 * This file tests the SQL compiler (lang/sql/compile.c, lang/sql/lookup.c) on the
 * fixture schema: each case builds a query description by hand, checks the
 * exact SQL text and parameters (inlined as print(qs.query) shows them),
 * then runs the statement and checks how many rows it yields, so a wrong
 * join or lookup fails here. Each case holds its expected SQL per dialect
 * (want_t); SQLite's is the one written today.
 */
#include <stddef.h>
#include <stdlib.h>

#include "sql/compile.h"
#include "sql/dialect.h"
#include "fixture.h"
#include "tap.h"

static tqdb_conn_t *db;
static tq_schema_t *schema;

/* Prepares compiled SQL with its parameters bound, or NULL. */
static tqdb_cursor_t *prepare(const qsql_t *s)
{
    tqdb_cursor_t *st = NULL;
    if (tqdb_prepare(db, s->sql, &st, NULL) < 0 || !st ||
        qsql_bind_cursor(s, st) < 0) {
        printf("# prepare: %s\n", tqdb_errmsg(db));
        tqdb_cursor_free(&st);
        return NULL;
    }
    return st;
}

/* Runs compiled SQL; returns rows or -1. */
static int run(const qsql_t *s)
{
    tqdb_cursor_t *st = prepare(s);
    if (!st)
        return -1;
    int n = 0, rc;
    while ((rc = tqdb_step(st)) == TQDB_ROW)
        n++;
    if (rc != TQDB_DONE) {
        printf("# step: %s\n", tqdb_errmsg(db));
        n = -1;
    }
    tqdb_cursor_free(&st);
    return n;
}

/* First column of the first row as text (static buffer). */
static const char *scalar(const qsql_t *s)
{
    static char buf[256];
    buf[0] = 0;
    tqdb_cursor_t *st = prepare(s);
    if (!st)
        return "(prepare failed)";
    if (tqdb_step(st) == TQDB_ROW) {
        const char *t = tqdb_column_text(st, 0);
        snprintf(buf, sizeof buf, "%s", t ? t : "NULL");
    }
    tqdb_cursor_free(&st);
    return buf;
}

enum { SELECT, COUNT, EXISTS, DELETE };

/* The expected SQL of a case in each dialect, as print(qs.query) shows
 * it. A dialect whose text a case does not give (NULL), or that the build
 * does not have, is not checked on that case; another dialect's text is
 * added per case as one more field: (want_t){.sqlite = ..., .postgres =
 * ...}. */
typedef struct want {
    const char *sqlite;
    const char *postgres;
} want_t;
#define W(sqlite_sql) ((want_t){.sqlite = (sqlite_sql)})

static const struct {
    const char *name;
    size_t offset;
} dialects[] = {
    {"sqlite", offsetof(want_t, sqlite)},
    {"postgresql", offsetof(want_t, postgres)},
};

static const tq_dialect_t *sqlite;

static int compile(const tq_dialect_t *d, int what, const qdesc_t *q,
                   qsql_t *s, qerr_t *e)
{
    return what == SELECT ? tq_compile_select(d, schema, q, s, e) :
           what == COUNT ? tq_compile_count(d, schema, q, s, e) :
           what == EXISTS ? tq_compile_exists(d, schema, q, s, e) :
                            tq_compile_delete(d, schema, q, s, e);
}

/* Compiles q (stealing it) in every dialect, checks the inlined SQL of
 * each, and the row count on the fixture's connection (SQLite). */
static void check(qdesc_t *q, int what, want_t want, int want_rows,
                  const char *name)
{
    for (size_t i = 0; i < sizeof dialects / sizeof *dialects; i++) {
        const tq_dialect_t *d = tq_dialect_by_name(dialects[i].name);
        const char *want_sql =
            *(const char *const *)((const char *)&want + dialects[i].offset);
        if (!d || !want_sql)
            continue;
        qsql_t s;
        qerr_t e = {0};
        if (compile(d, what, q, &s, &e) < 0) {
            ok(0, name);
            printf("# %s: %s: %s\n", d->name, e.ename, e.msg);
            qerr_clear(&e);
            continue;
        }
        char *in = qsql_inline(&s);
        is_str(in, want_sql, name);
        if (want_rows >= 0 && d == tq_dialect_for(db))
            is_int(run(&s), want_rows, name);
        free(in);
        qsql_clear(&s);
    }
    qdesc_unref(q);
}

static void check_err(qdesc_t *q, const char *ename, const char *msg,
                      const char *name)
{
    qsql_t s;
    qerr_t e = {0};
    int rc = tq_compile_select(sqlite, schema, q, &s, &e);
    ok(rc < 0, name);
    if (rc == 0)
        qsql_clear(&s);
    is_str(e.ename, ename, name);
    is_str(e.msg, msg, name);
    qerr_clear(&e);
    qdesc_unref(q);
}

static qexpr_t *kw_int(const char *path, int64_t v)
{
    return qx_kw(path, qx_lit(qlit_int(v)));
}

static qexpr_t *kw_text(const char *path, const char *v)
{
    return qx_kw(path, qx_lit(qlit_text(v)));
}

static qdesc_t *filt(const char *table, qexpr_t *w)
{
    qdesc_t *q = qdesc_new("main", table);
    q->where = w;
    return q;
}

static qexpr_t *func(qx_func_t f, const char *path)
{
    qexpr_t *e = qx_new(QX_FUNC);
    e->op = f;
    if (path)
        qx_push(e, qx_path(path));
    return e;
}

static qexpr_t *list_int(int n, const int64_t *v)
{
    qexpr_t *l = qx_new(QX_LIST);
    for (int i = 0; i < n; i++)
        qx_push(l, qx_lit(qlit_int(v[i])));
    return l;
}

#define UC "SELECT \"user\".\"id\", \"user\".\"name\", \"user\".\"age\", \"user\".\"email\""
#define U UC " FROM \"user\""
#define BYPK " ORDER BY \"user\".\"id\" ASC"

int main(void)
{
    db = fixture_open_conn();
    sqlite = tq_dialect_by_name("sqlite");
    char *err;
    schema = tq_schema_load(fixture_conn, &err);

    check(qdesc_new("main", "user"), SELECT, W(U BYPK), 4, "all");
    check(filt("user", kw_int("age__lt", 25)), SELECT,
          W(U " WHERE \"user\".\"age\" < 25" BYPK), 1, "lt");
    check(filt("user", kw_int("age", 25)), SELECT,
          W(U " WHERE \"user\".\"age\" = 25" BYPK), 1, "exact implicit");
    check(filt("user", kw_int("age__gte", 26)), SELECT,
          W(U " WHERE \"user\".\"age\" >= 26" BYPK), 2, "gte");
    check(filt("user", kw_int("pk", 2)), SELECT,
          W(U " WHERE \"user\".\"id\" = 2" BYPK), 1, "pk alias");
    check(filt("user", qx_kw("email", qx_lit(qlit_null()))), SELECT,
          W(U " WHERE \"user\".\"email\" IS NULL" BYPK), 3, "exact None");
    check(filt("user", kw_int("email__isnull", 0)), SELECT,
          W(U " WHERE \"user\".\"email\" IS NOT NULL" BYPK), 1, "isnull False");
    check(filt("user", kw_text("name__contains", "Lennon")), SELECT,
          W(U " WHERE instr(\"user\".\"name\", 'Lennon') > 0" BYPK), 1,
          "contains");
    check(filt("user", kw_text("name__contains", "lennon")), SELECT,
          W(U " WHERE instr(\"user\".\"name\", 'lennon') > 0" BYPK), 0,
          "contains is case-sensitive");
    check(filt("user", kw_text("name__icontains", "LENNON")), SELECT,
          W(U " WHERE \"user\".\"name\" LIKE '%LENNON%' ESCAPE '\\'" BYPK), 1,
          "icontains");
    check(filt("user", kw_text("name__icontains", "50%_")), SELECT,
          W(U " WHERE \"user\".\"name\" LIKE '%50\\%\\_%' ESCAPE '\\'" BYPK), 0,
          "icontains escapes wildcards");
    check(filt("user", kw_text("name__startswith", "J*")), SELECT,
          W(U " WHERE \"user\".\"name\" GLOB 'J[*]*'" BYPK), 0,
          "startswith escapes glob");
    check(filt("user", kw_text("name__startswith", "Jo")), SELECT,
          W(U " WHERE \"user\".\"name\" GLOB 'Jo*'" BYPK), 1, "startswith");
    check(filt("user", kw_text("name__endswith", "Star")), SELECT,
          W(U " WHERE \"user\".\"name\" GLOB '*Star'" BYPK), 1, "endswith");
    check(filt("user", kw_text("name__istartswith", "jo")), SELECT,
          W(U " WHERE \"user\".\"name\" LIKE 'jo%' ESCAPE '\\'" BYPK), 1,
          "istartswith");
    check(filt("user", kw_text("name__iexact", "john lennon")), SELECT,
          W(U " WHERE \"user\".\"name\" LIKE 'john lennon' ESCAPE '\\'" BYPK), 1,
          "iexact");
    check(filt("user", kw_text("name", "x' OR '1'='1")), SELECT,
          W(U " WHERE \"user\".\"name\" = 'x'' OR ''1''=''1'" BYPK), 0,
          "injection stays data");
    int64_t ids[] = {1, 3};
    check(filt("user", qx_kw("id__in", list_int(2, ids))), SELECT,
          W(U " WHERE \"user\".\"id\" IN (1, 3)" BYPK), 2, "in");
    check(filt("user", qx_kw("id__in", list_int(0, ids))), SELECT,
          W(U " WHERE 0" BYPK), 0, "in empty");
    check(filt("user", qx_kw("age__range", list_int(2, (int64_t[]){22, 25}))),
          SELECT, W(U " WHERE \"user\".\"age\" BETWEEN 22 AND 25" BYPK), 2,
          "range");
    check(filt("user", kw_text("name__regex", "^(John|Paul) ")), SELECT,
          W(U " WHERE \"user\".\"name\" REGEXP '^(John|Paul) '" BYPK), 2,
          "regex");
    check(filt("user", kw_text("name__iregex", "^john")), SELECT,
          W(U " WHERE tq_iregexp('^john', \"user\".\"name\")" BYPK), 1,
          "iregex");

    /* dates */
    check(filt("rental", kw_int("start_time__year", 2025)), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" WHERE "
          "(\"rental\".\"start_time\" >= '2025-01-01' AND "
          "\"rental\".\"start_time\" < '2026-01-01')"),
          1, "year is sargable");
    {
        qsql_t s; qerr_t e = {0};
        qdesc_t *q = filt("rental", kw_int("start_time__year", 2025));
        tq_compile_count(sqlite, schema, q, &s, &e);
        is_str(scalar(&s), "3", "three rentals in 2025");
        qsql_clear(&s); qdesc_unref(q);
    }
    check(filt("rental", kw_int("start_time__year__lt", 2025)), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" WHERE "
          "\"rental\".\"start_time\" < '2025-01-01'"), 1, "year lt");
    check(filt("rental", kw_int("start_time__month", 2)), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" WHERE "
          "CAST(strftime('%m', \"rental\".\"start_time\") AS INTEGER) = 2"), 1,
          "month");
    check(filt("rental", kw_int("start_time__week_day", 1)), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" WHERE "
          "(CAST(strftime('%w', \"rental\".\"start_time\") AS INTEGER) + 1) = 1"),
          1, "week_day");
    check(filt("rental", kw_text("start_time__date", "2025-01-05")), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" WHERE "
          "date(\"rental\".\"start_time\") = '2025-01-05'"), 1, "date");
    check(filt("rental", kw_int("start_time__hour__gte", 11)), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" WHERE "
          "CAST(strftime('%H', \"rental\".\"start_time\") AS INTEGER) >= 11"),
          1, "hour gte");

    /* relations */
    check(filt("rental", kw_text("bike__name", "Red")), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" INNER JOIN \"bike\" "
          "ON (\"rental\".\"bike_id\" = \"bike\".\"id\") WHERE "
          "\"bike\".\"name\" = 'Red'"), 1, "forward relation");
    {
        qsql_t s; qerr_t e = {0};
        qdesc_t *q = filt("rental", kw_text("bike__name", "Red"));
        tq_compile_count(sqlite, schema, q, &s, &e);
        is_str(scalar(&s), "2", "two rentals of Red");
        qsql_clear(&s); qdesc_unref(q);
    }
    check(filt("user", qx_kw("rental__total_fee__gt",
                             qx_lit(qlit_float(6)))), SELECT,
          W(U " INNER JOIN \"rental\" ON (\"user\".\"id\" = \"rental\".\"user_id\")"
          " WHERE \"rental\".\"total_fee\" > 6.0" BYPK), 2, "reverse relation");
    check(filt("user", kw_int("rental__isnull", 1)), SELECT,
          W(U " LEFT OUTER JOIN \"rental\" ON (\"user\".\"id\" = "
          "\"rental\".\"user_id\") WHERE \"rental\".\"id\" IS NULL" BYPK), 1,
          "reverse isnull keeps LEFT JOIN");
    check(filt("rental", kw_int("bike", 1)), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" WHERE "
          "\"rental\".\"bike_id\" = 1"), 1, "relation name compares the key");
    check(filt("rental", kw_text("user__rental__bike__name", "Blue")), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" INNER JOIN \"user\" "
          "ON (\"rental\".\"user_id\" = \"user\".\"id\") INNER JOIN \"rental\" \"T3\""
          " ON (\"user\".\"id\" = \"T3\".\"user_id\") INNER JOIN \"bike\" ON "
          "(\"T3\".\"bike_id\" = \"bike\".\"id\") WHERE \"bike\".\"name\" = 'Blue'"),
          1, "self-join alias T3");

    /* negation, OR */
    check(filt("user", qx_not(kw_int("age", 25))), SELECT,
          W(U " WHERE NOT \"user\".\"age\" = 25" BYPK), 3, "exclude not null col");
    check(filt("user", qx_not(kw_text("email", "john@b.com"))), SELECT,
          ((want_t){.sqlite = U " WHERE NOT coalesce(\"user\".\"email\" = "
                    "'john@b.com', 0)" BYPK,
                    .postgres = U " WHERE NOT coalesce(\"user\".\"email\" = "
                    "'john@b.com', FALSE)" BYPK}), 3,
          "exclude keeps NULLs");
    check(filt("user", qx_or(kw_int("age", 25), kw_int("age", 29))), SELECT,
          W(U " WHERE (\"user\".\"age\" = 25 OR \"user\".\"age\" = 29)" BYPK), 2,
          "or");
    check(filt("rental", qx_or(kw_text("bike__name", "Red"),
                               kw_int("total_fee__gt", 6))), COUNT,
          W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" LEFT OUTER JOIN "
          "\"bike\" ON (\"rental\".\"bike_id\" = \"bike\".\"id\") WHERE "
          "(\"bike\".\"name\" = 'Red' OR \"rental\".\"total_fee\" > 6)"), 1,
          "or through a nullable relation is LEFT");
    {
        qsql_t s; qerr_t e = {0};
        qdesc_t *q = filt("rental", qx_or(kw_text("bike__name", "Red"),
                                          kw_int("total_fee__gt", 6)));
        tq_compile_count(sqlite, schema, q, &s, &e);
        is_str(scalar(&s), "3", "or counts the rental without bike");
        qsql_clear(&s); qdesc_unref(q);
    }

    /* F expressions */
    check(filt("user", qx_lookup(qx_path("age"), "gt",
                                 qx_bin('+', qx_path("id"),
                                        qx_lit(qlit_int(20))))),
          SELECT, W(U " WHERE \"user\".\"age\" > (\"user\".\"id\" + 20)" BYPK), 3,
          "F arithmetic");

    /* ordering, slicing, values */
    {
        qdesc_t *q = qdesc_new("main", "user");
        q->mode = QM_FLAT;
        qdesc_add_field(&q->fields, &q->nfields, "name", qx_path("name"));
        qdesc_add_order(q, qx_path("age"), true);
        q->order_set = true;
        q->limit = 2;
        q->offset = 1;
        check(q, SELECT,
              W("SELECT \"user\".\"name\" FROM \"user\" ORDER BY \"user\".\"age\" "
              "DESC LIMIT 2 OFFSET 1"), 2, "values_list flat, order, slice");
    }
    {
        qdesc_t *q = qdesc_new("main", "user");
        q->reversed = true;
        q->offset = 3;
        check(q, SELECT, W(U " ORDER BY \"user\".\"id\" DESC LIMIT -1 OFFSET 3"),
              1, "reverse + offset only");
    }
    {
        qdesc_t *q = qdesc_new("main", "rental");
        q->mode = QM_VALUES;
        qdesc_add_field(&q->fields, &q->nfields, "bike__name",
                        qx_path("bike__name"));
        check(q, SELECT,
              W("SELECT \"bike\".\"name\" AS \"bike__name\" FROM \"rental\" LEFT "
              "OUTER JOIN \"bike\" ON (\"rental\".\"bike_id\" = \"bike\".\"id\")"
              " ORDER BY \"rental\".\"id\" ASC"), 4,
              "values through a nullable relation");
    }

    /* PostgreSQL: Greatest is NULL when an argument is (SQLite's MAX),
     * Concat casts to text, a number in Case is typed */
    {
        qdesc_t *q = qdesc_new("main", "user");
        q->mode = QM_VALUES;
        qexpr_t *g = func(QF_GREATEST, "age");
        qx_push(g, qx_lit(qlit_int(26)));
        qdesc_add_field(&q->fields, &q->nfields, "g", g);
        qexpr_t *c = func(QF_CONCAT, "name");
        qx_push(c, qx_path("age"));
        qdesc_add_field(&q->fields, &q->nfields, "c", c);
        qexpr_t *w = qx_new(QX_FUNC);
        w->op = QF_WHEN;
        qx_push(w, kw_int("age__gte", 26));
        qx_push(w, qx_lit(qlit_int(1)));
        qexpr_t *k = qx_new(QX_FUNC);
        k->op = QF_CASE;
        qx_push(k, w);
        qx_push(k, qx_lit(qlit_int(0)));
        qdesc_add_field(&q->fields, &q->nfields, "k", k);
        check(q, SELECT,
              ((want_t){.sqlite = "SELECT MAX(\"user\".\"age\", 26) AS \"g\", "
                        "(COALESCE(\"user\".\"name\", '') || "
                        "COALESCE(\"user\".\"age\", '')) AS \"c\", CASE WHEN "
                        "\"user\".\"age\" >= 26 THEN 1 ELSE 0 END AS \"k\" "
                        "FROM \"user\"" BYPK,
                        .postgres = "SELECT CASE WHEN (\"user\".\"age\") IS NULL "
                        "OR (26) IS NULL THEN NULL ELSE GREATEST(\"user\".\"age\", "
                        "26) END AS \"g\", (COALESCE(CAST((\"user\".\"name\") AS "
                        "text), '') || COALESCE(CAST((\"user\".\"age\") AS text), "
                        "'')) AS \"c\", CASE WHEN \"user\".\"age\" >= 26 THEN "
                        "CAST(1 AS integer) ELSE CAST(0 AS integer) END AS \"k\" "
                        "FROM \"user\"" BYPK}), 4,
              "Greatest, Concat, Case per dialect");
    }

    /* annotate + aggregates */
    {
        qdesc_t *q = qdesc_new("main", "user");
        qdesc_add_field(&q->annos, &q->nannos, "spend",
                        func(QF_SUM, "rental__total_fee"));
        qdesc_add_order(q, qx_path("spend"), true);
        q->order_set = true;
        q->limit = 3;
        check(q, SELECT,
              W(UC ", SUM(\"rental\".\"total_fee\") AS \"spend\" FROM \"user\" LEFT "
              "OUTER JOIN \"rental\" ON (\"user\".\"id\" = \"rental\".\"user_id\")"
              " GROUP BY \"user\".\"id\" ORDER BY \"spend\" DESC LIMIT 3"), 3,
              "annotate Sum over reverse relation");
    }
    {
        qdesc_t *q = qdesc_new("main", "rental");
        q->where = kw_int("start_time__year", 2025);
        q->mode = QM_VALUES;
        qexpr_t *tm = qx_new(QX_FUNC);
        tm->op = QF_TRUNCMONTH;
        qx_push(tm, qx_path("start_time"));
        qdesc_add_field(&q->fields, &q->nfields, "month", tm);
        qdesc_add_field(&q->fields, &q->nfields, "revenue",
                        func(QF_SUM, "total_fee"));
        q->group_values = true;
        qdesc_add_order(q, qx_path("month"), false);
        q->order_set = true;
        check(q, SELECT,
              W("SELECT date(\"rental\".\"start_time\", 'start of month') AS "
              "\"month\", SUM(\"rental\".\"total_fee\") AS \"revenue\" FROM "
              "\"rental\" WHERE (\"rental\".\"start_time\" >= '2025-01-01' AND "
              "\"rental\".\"start_time\" < '2026-01-01') GROUP BY 1 ORDER BY "
              "\"month\" ASC"), 2, "revenue per month");
    }
    {
        qdesc_t *q = qdesc_new("main", "user");
        qdesc_add_field(&q->annos, &q->nannos, "n", func(QF_COUNT, "rental"));
        q->where = kw_int("n__gte", 2);
        check(q, SELECT,
              W(UC ", COUNT(\"rental\".\"id\") AS \"n\" FROM \"user\" LEFT OUTER "
              "JOIN \"rental\" ON (\"user\".\"id\" = \"rental\".\"user_id\") "
              "GROUP BY \"user\".\"id\" HAVING (COUNT(\"rental\".\"id\")) >= 2"
              BYPK), 1, "filter on an aggregate is HAVING");
    }
    {
        qdesc_t *q = qdesc_new("main", "user");
        qdesc_add_field(&q->annos, &q->nannos, "n", func(QF_COUNT, "rental"));
        q->where = kw_int("n__gte", 1);
        check(q, COUNT,
              W("SELECT COUNT(*) FROM (" UC ", COUNT(\"rental\".\"id\") AS \"n\" "
              "FROM \"user\" LEFT OUTER JOIN \"rental\" ON (\"user\".\"id\" = "
              "\"rental\".\"user_id\") GROUP BY \"user\".\"id\" HAVING "
              "(COUNT(\"rental\".\"id\")) >= 1) subquery"), 1,
              "count of a grouped query wraps");
    }
    {
        qdesc_t *q = qdesc_new("main", "rental");
        qsql_t s; qerr_t e = {0};
        qfield_t aggs[2] = {{.name = "total_fee__sum", .expr = func(QF_SUM, "total_fee")},
                            {.name = "sd", .expr = func(QF_STDDEV, "total_fee")}};
        ok(tq_compile_aggregate(sqlite, schema, q, aggs, 2, &s, &e) == 0,
           "aggregate");
        is_str(scalar(&s), "25.5", "Sum of fees");
        char *in = qsql_inline(&s);
        ok(strstr(in, "sqrt(max(0.0, avg((\"rental\".\"total_fee\")") != NULL,
           "StdDev population formula");
        free(in);
        is_int((long long)s.ncols, 2, "aggregate columns");
        is_str(s.cols[0], "total_fee__sum", "aggregate alias");
        qsql_clear(&s);
        qx_unref(aggs[0].expr); qx_unref(aggs[1].expr);
        qdesc_unref(q);
    }
    {
        qdesc_t *q = qdesc_new("main", "rental");
        q->limit = 2;
        qsql_t s; qerr_t e = {0};
        qfield_t aggs[1] = {{.name = "s", .expr = func(QF_SUM, "total_fee")}};
        ok(tq_compile_aggregate(sqlite, schema, q, aggs, 1, &s, &e) == 0,
           "aggregate over a slice");
        is_str(scalar(&s), "15.5", "sum of the first two rentals");
        qsql_clear(&s);
        qx_unref(aggs[0].expr);
        qdesc_unref(q);
    }

    /* exists, delete, update, insert */
    check(filt("user", kw_int("age__gt", 100)), EXISTS,
          W("SELECT 1 AS \"a\" FROM \"user\" WHERE \"user\".\"age\" > 100 LIMIT 1"),
          0, "exists");
    check(filt("rental", kw_text("bike__name", "nope")), DELETE,
          W("DELETE FROM \"rental\" WHERE \"rental\".\"id\" IN (SELECT "
          "\"rental\".\"id\" FROM \"rental\" INNER JOIN \"bike\" ON "
          "(\"rental\".\"bike_id\" = \"bike\".\"id\") WHERE \"bike\".\"name\" "
          "= 'nope')"), 0, "delete through a join uses pk IN");
    {
        qdesc_t *q = filt("user", kw_int("age__lt", 25));
        qsql_t s; qerr_t e = {0};
        qfield_t sets[1] = {{.name = "age", .expr = qx_bin('+', qx_path("age"),
                                           qx_lit(qlit_int(1)))}};
        ok(tq_compile_update(sqlite, schema, q, sets, 1, &s, &e) == 0, "update");
        char *in = qsql_inline(&s);
        is_str(in, "UPDATE \"user\" SET \"age\" = (\"user\".\"age\" + 1) WHERE "
                   "\"user\".\"age\" < 25", "update F + 1 is one UPDATE");
        free(in);
        is_int(run(&s), 0, "update runs");
        is_int((int)tqdb_changes(db), 1, "one row updated");
        qsql_clear(&s);
        qx_unref(sets[0].expr);
        sets[0].expr = qx_path("rental__total_fee");
        ok(tq_compile_update(sqlite, schema, q, sets, 1, &s, &e) < 0,
           "joined reference in update refused");
        is_str(e.msg, "Joined field references are not permitted in this query",
               "update join message");
        qerr_clear(&e);
        qx_unref(sets[0].expr);
        qdesc_unref(q);
    }
    {
        qsql_t s; qerr_t e = {0};
        const char *cols[] = {"name", "age", "pk"};
        qlit_t vals[3] = {qlit_text("Bob"), qlit_int(18), qlit_int(9)};
        ok(tq_compile_insert(sqlite, schema, "main", "user", cols, vals, 3,
                             &s, &e) == 0,
           "insert");
        char *in = qsql_inline(&s);
        is_str(in, "INSERT INTO \"user\" (\"name\", \"age\", \"id\") VALUES "
                   "('Bob', 18, 9)", "insert text");
        free(in);
        is_int(run(&s), 0, "insert runs");
        qsql_clear(&s);
        for (int i = 0; i < 3; i++) qlit_clear(&vals[i]);
    }
    {
        qdesc_t *q = qdesc_new("sales", "order");
        check(q, SELECT,
              W("SELECT \"order\".\"id\", \"order\".\"amount\" FROM "
              "\"sales\".\"order\" ORDER BY \"order\".\"id\" ASC"), 0,
              "attached schema table");
    }
    {
        qdesc_t *q = qdesc_new("main", "rental_item");
        check(q, SELECT,
              W("SELECT \"rental_item\".\"rowid\", \"rental_item\".\"code\", "
              "\"rental_item\".\"qty\" FROM \"rental_item\" ORDER BY "
              "\"rental_item\".\"rowid\" ASC"), 0, "rowid table");
    }
    {
        qdesc_t *sub = filt("user", kw_int("age__lt", 25));
        qexpr_t *sq = qx_new(QX_SUBQ);
        sq->sub = sub;
        check(filt("rental", qx_kw("user__in", sq)), COUNT,
              W("SELECT COUNT(*) AS \"__count\" FROM \"rental\" WHERE "
              "\"rental\".\"user_id\" IN (SELECT \"user\".\"id\" FROM \"user\" "
              "WHERE \"user\".\"age\" < 25)"), 1, "in a query set");
    }


    /* functions through the dialect */
    {
        qdesc_t *q = qdesc_new("main", "rental");
        q->mode = QM_TUPLES;
        const qx_func_t fs[] = {QF_TRUNCWEEK, QF_TRUNCYEAR, QF_TRUNCDAY,
                                QF_EXTRACTMONTH, QF_EXTRACTWEEKDAY};
        const char *names[] = {"w", "y", "d", "m", "wd"};
        for (int i = 0; i < 5; i++) {
            qexpr_t *f = qx_new(QX_FUNC);
            f->op = fs[i];
            qx_push(f, qx_path("start_time"));
            qdesc_add_field(&q->fields, &q->nfields, names[i], f);
        }
        q->where = kw_int("pk", 1);
        qsql_t s; qerr_t e = {0};
        ok(tq_compile_select(sqlite, schema, q, &s, &e) == 0,
           "date functions compile");
        is_str(s.sql,
               "SELECT date(\"rental\".\"start_time\", 'weekday 0', '-6 days') AS \"w\", "
               "date(\"rental\".\"start_time\", 'start of year') AS \"y\", "
               "date(\"rental\".\"start_time\") AS \"d\", "
               "CAST(strftime('%m', \"rental\".\"start_time\") AS INTEGER) AS \"m\", "
               "(CAST(strftime('%w', \"rental\".\"start_time\") AS INTEGER) + 1) AS \"wd\" "
               "FROM \"rental\" WHERE \"rental\".\"id\" = ? ORDER BY \"rental\".\"id\" ASC",
               "date function SQL");
        tqdb_cursor_t *st = NULL;
        tqdb_prepare(db, s.sql, &st, NULL);
        qsql_bind_cursor(&s, st);
        ok(st && tqdb_step(st) == TQDB_ROW, "date functions run");
        is_str(tqdb_column_text(st, 0), "2024-12-30",
               "TruncWeek is the Monday (2025-01-05 is a Sunday)");
        is_str(tqdb_column_text(st, 1), "2025-01-01", "TruncYear");
        is_int((int)tqdb_column_int(st, 3), 1, "ExtractMonth");
        is_int((int)tqdb_column_int(st, 4), 1, "week_day 1 is Sunday");
        tqdb_cursor_free(&st);
        qsql_clear(&s);
        qdesc_unref(q);
    }
    {
        qdesc_t *q = qdesc_new("main", "user");
        q->mode = QM_FLAT;
        qexpr_t *c = qx_new(QX_FUNC);
        c->op = QF_COALESCE;
        qx_push(c, qx_path("email"));
        qx_push(c, qx_lit(qlit_text("none")));
        qdesc_add_field(&q->fields, &q->nfields, "contact", c);
        check(q, SELECT,
              W("SELECT COALESCE(\"user\".\"email\", 'none') AS \"contact\" FROM "
              "\"user\" ORDER BY \"user\".\"id\" ASC"), 5, "Coalesce");
    }
    {
        qdesc_t *q = qdesc_new("main", "bike");
        qexpr_t *c = func(QF_COUNT, "rental__user");
        c->distinct = true;
        qdesc_add_field(&q->annos, &q->nannos, "riders", c);
        check(q, SELECT,
              W("SELECT \"bike\".\"id\", \"bike\".\"name\", \"bike\".\"model\", "
              "COUNT(DISTINCT \"rental\".\"user_id\") AS \"riders\" FROM \"bike\" "
              "LEFT OUTER JOIN \"rental\" ON (\"bike\".\"id\" = \"rental\".\"bike_id\") "
              "GROUP BY \"bike\".\"id\" ORDER BY \"bike\".\"id\" ASC"), 2,
              "Count distinct over a reverse relation");
    }
    check(filt("user", qx_not(kw_int("rental__total_fee__gt", 6))), SELECT,
          W(U " WHERE NOT (\"user\".\"id\" IN (SELECT \"user\".\"id\" FROM "
          "\"user\" INNER JOIN \"rental\" ON (\"user\".\"id\" = "
          "\"rental\".\"user_id\") WHERE \"rental\".\"total_fee\" > 6))" BYPK),
          3, "exclude across a reverse relation is a subquery");
    {
        qdesc_t *q = qdesc_new("main", "rental");
        q->related = tq_xcalloc(1, sizeof *q->related);
        q->related[0] = tq_xstrdup("user");
        q->nrelated = 1;
        q->where = kw_int("pk", 2);
        check(q, SELECT,
              W("SELECT \"rental\".\"id\", \"rental\".\"user_id\", \"rental\".\"bike_id\", "
              "\"rental\".\"start_time\", \"rental\".\"total_fee\", \"user\".\"id\" AS "
              "\"user__id\", \"user\".\"name\" AS \"user__name\", \"user\".\"age\" AS "
              "\"user__age\", \"user\".\"email\" AS \"user__email\" FROM \"rental\" "
              "INNER JOIN \"user\" ON (\"rental\".\"user_id\" = \"user\".\"id\") WHERE "
              "\"rental\".\"id\" = 2 ORDER BY \"rental\".\"id\" ASC"), 1,
              "select_related through a non-null key is INNER");
    }
    {
        qdesc_t *inner = qdesc_new("main", "user");
        qdesc_add_order(inner, qx_path("age"), true);
        inner->order_set = true;
        inner->limit = 2;
        qexpr_t *sq = qx_new(QX_SUBQ);
        sq->sub = inner;
        qdesc_t *q = filt("user", qx_kw("pk__in", sq));
        qsql_t s; qerr_t e = {0};
        qfield_t sets[1] = {{.name = "age", .expr = qx_lit(qlit_int(50))}};
        ok(tq_compile_update(sqlite, schema, q, sets, 1, &s, &e) == 0,
           "update of a sliced selection");
        is_str(s.sql, "UPDATE \"user\" SET \"age\" = ? WHERE \"user\".\"id\" IN "
                      "(SELECT \"user\".\"id\" FROM \"user\" ORDER BY \"user\".\"age\" "
                      "DESC LIMIT 2)", "sliced subquery keeps ORDER BY and LIMIT");
        is_int(run(&s), 0, "runs");
        is_int((int)tqdb_changes(db), 2, "two oldest updated");
        qsql_clear(&s);
        qx_unref(sets[0].expr);
        qdesc_unref(q);
    }
    {
        qdesc_t *q = qdesc_new("main", "user");
        qdesc_add_field(&q->annos, &q->nannos, "n", func(QF_COUNT, "rental"));
        q->where = qx_or(kw_int("n", 0), kw_int("age__gt", 28));
        check(q, COUNT,
              W("SELECT COUNT(*) FROM (" UC ", COUNT(\"rental\".\"id\") AS \"n\" FROM "
              "\"user\" LEFT OUTER JOIN \"rental\" ON (\"user\".\"id\" = "
              "\"rental\".\"user_id\") GROUP BY \"user\".\"id\" HAVING "
              "((COUNT(\"rental\".\"id\")) = 0 OR \"user\".\"age\" > 28)) subquery"),
              1, "an OR mixing an aggregate goes to HAVING");
    }

    /* errors */
    check_err(filt("user", kw_int("agee", 1)), "FieldError",
              "Cannot resolve keyword 'agee' into field. Choices are: age, "
              "email, id, name, rental", "unknown field");
    check_err(filt("rental", kw_int("bike__nam", 1)), "FieldError",
              "Cannot resolve keyword 'nam' into field. Choices are: id, "
              "model, name, rental", "unknown field through a relation");
    check_err(filt("user", kw_int("age__foo", 1)), "FieldError",
              "Unsupported lookup 'foo' for IntegerField or join on the field "
              "not permitted.", "unknown lookup");
    {
        qdesc_t *q = qdesc_new("main", "user");
        qdesc_add_field(&q->annos, &q->nannos, "age", func(QF_COUNT, "rental"));
        check_err(q, "ValueError",
                  "The annotation 'age' conflicts with a field on the model.",
                  "annotation clash");
    }
    {
        qdesc_t *q = qdesc_new("main", "user");
        q->limit = 1;
        qsql_t s; qerr_t e = {0};
        ok(tq_compile_delete(sqlite, schema, q, &s, &e) < 0,
           "delete sliced refused");
        is_str(e.msg, "Cannot use 'limit' or 'offset' with delete().",
               "delete slice message");
        qerr_clear(&e);
        qdesc_unref(q);
    }
    {
        qsql_t s = {0};
        s.sql = tq_xstrdup("SELECT ? , '?', \"a?\", ?");
        qlit_t a = qlit_text("it's"), b = qlit_float(2);
        TQ_PUSH(s.params, s.nparams, s.pcap, a);
        TQ_PUSH(s.params, s.nparams, s.pcap, b);
        char *in = qsql_inline(&s);
        is_str(in, "SELECT 'it''s' , '?', \"a?\", 2.0",
               "inline skips quoted text");
        free(in);
        qsql_clear(&s);
    }
    {
        /* SQLite's affinities: where 2.0 written is stored as 2 ('i',
         * 'r'), as text, or as it is */
        static const struct {
            const char *decltype;
            char affinity;
        } aff[] = {
            {"INTEGER", 'i'}, {"bigint", 'i'}, {"REAL", 'r'},
            {"double precision", 'r'}, {"decimal(10,5)", 'i'},
            {"datetime", 'i'}, {"varchar(100)", 't'}, {"TEXT", 't'},
            {"clob", 't'}, {"blob", 'b'}, {"", 'b'}, {"ANY", 'b'},
            {"point", 'i'},
        };
        ok(sqlite->affinity != NULL, "sqlite: affinity");
        for (size_t i = 0; sqlite->affinity &&
                           i < sizeof aff / sizeof *aff; i++)
            is_int(sqlite->affinity(aff[i].decltype), aff[i].affinity,
                   aff[i].decltype);
    }
    tq_schema_free(&schema);
    tqdb_close(&fixture_conn);
    return done();
}
