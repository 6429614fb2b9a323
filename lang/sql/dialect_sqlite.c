/*
 * This file is SQLite's SQL dialect (sql/dialect.h): `?` placeholders,
 * date arithmetic with date() and strftime(), standard deviation computed
 * from sums (SQLite has no STDDEV), case-sensitive matching with instr()
 * and GLOB (SQLite's LIKE ignores ASCII case, so only the i- lookups use
 * LIKE, with '\' as escape), REGEXP and tq_iregexp (registered by the
 * engine, db/sqlite.c), long `in` lists as one JSON array read by
 * json_each, the implicit rowid, TEMP tables in schema temp, and the
 * catalogue through pragma_table_list, pragma_table_info,
 * pragma_foreign_key_list and sqlite_schema. It also holds the lookup
 * from an engine's name to its dialect, the one place that names every
 * dialect.
 */
#include "sql/dialect.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sql/lookups.h"

/* ---- statements */

static void sqlite_param(tq_buf_t *b, size_t n)
{
    assert(n >= 1);
    tq_buf_addc(b, '?');
}

/* SQLite has no OFFSET without LIMIT: LIMIT -1 is "no limit". */
static void sqlite_limit(tq_buf_t *b, int64_t limit, int64_t offset)
{
    assert(limit >= 0 || offset > 0);
    if (limit >= 0)
        tq_buf_printf(b, " LIMIT %lld", (long long)limit);
    if (offset > 0) {
        if (limit < 0)
            tq_buf_add(b, " LIMIT -1");
        tq_buf_printf(b, " OFFSET %lld", (long long)offset);
    }
}

/* ---- dates */

static void sqlite_trunc(tq_buf_t *b, qx_func_t unit, const char *arg)
{
    switch (unit) {
    case QF_TRUNCYEAR: tq_buf_printf(b, "date(%s, 'start of year')", arg); break;
    case QF_TRUNCMONTH:
        tq_buf_printf(b, "date(%s, 'start of month')", arg);
        break;
    case QF_TRUNCWEEK:
        tq_buf_printf(b, "date(%s, 'weekday 0', '-6 days')", arg);
        break;
    default: tq_buf_printf(b, "date(%s)", arg); break;
    }
}

/* julianday() keeps milliseconds; the difference of two such doubles
 * near 2.46e6 is off by some microseconds, which ROUND(..., 3) removes. */
static void sqlite_datetime_diff(tq_buf_t *b, const char *x, const char *y)
{
    tq_buf_printf(b, "ROUND((julianday(%s) - julianday(%s)) * 86400.0, 3)",
                  x, y);
}

static void sqlite_extract(tq_buf_t *b, qx_func_t part, const char *arg)
{
    switch (part) {
    case QF_EXTRACTYEAR:
        tq_buf_printf(b, "CAST(strftime('%%Y', %s) AS INTEGER)", arg);
        break;
    case QF_EXTRACTMONTH:
        tq_buf_printf(b, "CAST(strftime('%%m', %s) AS INTEGER)", arg);
        break;
    case QF_EXTRACTDAY:
        tq_buf_printf(b, "CAST(strftime('%%d', %s) AS INTEGER)", arg);
        break;
    case QF_EXTRACTWEEKDAY:
        tq_buf_printf(b, "(CAST(strftime('%%w', %s) AS INTEGER) + 1)", arg);
        break;
    default:
        tq_buf_printf(b, "CAST(strftime('%%H', %s) AS INTEGER)", arg);
        break;
    }
}

/* The strftime format of each transform (sql/lookups.h's column). */
static const struct {
    const char *name, *fmt;
} transforms[] = {
#define X(n, kind, f, doc) {#n, f},
    TQ_LOOKUPS(X)
#undef X
};

static void sqlite_transform(tq_buf_t *b, const char *name, const char *arg)
{
    if (!strcmp(name, "date")) {
        tq_buf_printf(b, "date(%s)", arg);
        return;
    }
    for (size_t i = 0; i < sizeof transforms / sizeof *transforms; i++)
        if (transforms[i].fmt && !strcmp(transforms[i].name, name)) {
            if (!strcmp(name, "week_day"))
                tq_buf_printf(b, "(CAST(strftime('%s', %s) AS INTEGER) + 1)",
                              transforms[i].fmt, arg);
            else
                tq_buf_printf(b, "CAST(strftime('%s', %s) AS INTEGER)",
                              transforms[i].fmt, arg);
            return;
        }
}

/* ---- aggregates, regex, text matching, lists */

/* SQLite has no STDDEV: population (Django's default, sample=False) is
 * sqrt(avg(x*x) - avg(x)^2); sample is sqrt((sum(x*x) - sum(x)^2/n)/(n-1)).
 * max(0, ...) guards against rounding below zero. */
static void sqlite_stddev(tq_buf_t *b, bool variance, bool sample,
                          char *const x[5])
{
    tq_buf_t v = {0};
    if (!sample)
        tq_buf_printf(&v,
                      "max(0.0, avg((%s) * (%s)) - avg(%s) * avg(%s) + 0 * "
                      "count(%s))",
                      x[0], x[1], x[2], x[3], x[4]);
    else
        tq_buf_printf(&v,
                      "max(0.0, (sum((%s) * (%s)) - sum(%s) * sum(%s) * 1.0 "
                      "/ count(%s)) / nullif(count(%s) - 1, 0))",
                      x[0], x[1], x[2], x[3], x[4], x[4]);
    if (variance)
        tq_buf_add(b, v.s);
    else
        tq_buf_printf(b, "sqrt(%s)", v.s);
    tq_buf_free(&v);
}

static void sqlite_regex(tq_buf_t *b, const char *arg, const char *pattern,
                         bool icase)
{
    if (icase)
        tq_buf_printf(b, "tq_iregexp(%s, %s)", pattern, arg);
    else
        tq_buf_printf(b, "%s REGEXP %s", arg, pattern);
}

/* LIKE pattern: `pre` + value with \ % _ escaped + `post`. */
static char *like_pattern(const char *v, const char *pre, const char *post)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, pre);
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '%' || *p == '_')
            tq_buf_addc(&b, '\\');
        tq_buf_addc(&b, *p);
    }
    tq_buf_add(&b, post);
    return tq_buf_take(&b);
}

/* GLOB pattern: `pre` + value with * ? [ bracketed + `post`. */
static char *glob_pattern(const char *v, const char *pre, const char *post)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, pre);
    for (const char *p = v; *p; p++) {
        if (*p == '*' || *p == '?' || *p == '[') {
            tq_buf_addc(&b, '[');
            tq_buf_addc(&b, *p);
            tq_buf_addc(&b, ']');
        } else {
            tq_buf_addc(&b, *p);
        }
    }
    tq_buf_add(&b, post);
    return tq_buf_take(&b);
}

/* LIKE for the i- lookups (SQLite's LIKE ignores ASCII case), instr for
 * contains, GLOB for startswith and endswith. */
static char *sqlite_match(tq_buf_t *b, const char *lhs, tq_match_t m,
                          bool icase, const char *value, const char **after)
{
    assert(value && after);
    if (icase || m == TQ_MATCH_EXACT) {
        const char *pre = m == TQ_MATCH_CONTAINS ||
                          m == TQ_MATCH_ENDSWITH ? "%" : "";
        const char *post = m == TQ_MATCH_CONTAINS ||
                           m == TQ_MATCH_STARTSWITH ? "%" : "";
        tq_buf_printf(b, "%s LIKE ", lhs);
        *after = " ESCAPE '\\'";
        return like_pattern(value, pre, post);
    }
    if (m == TQ_MATCH_CONTAINS) {
        tq_buf_printf(b, "instr(%s, ", lhs);
        *after = ") > 0";
        return tq_xstrdup(value);
    }
    bool start = m == TQ_MATCH_STARTSWITH;
    tq_buf_printf(b, "%s GLOB ", lhs);
    *after = "";
    return glob_pattern(value, start ? "" : "*", start ? "*" : "");
}

static void sqlite_match_expr(tq_buf_t *b, const char *lhs, tq_match_t m,
                              bool icase, const char *r1, const char *r2)
{
    const char *l = icase ? "lower(" : "(";
    switch (m) {
    case TQ_MATCH_EXACT:
        tq_buf_printf(b, "%s%s) = %s%s)", l, lhs, l, r1);
        break;
    case TQ_MATCH_CONTAINS:
        tq_buf_printf(b, "instr(%s%s), %s%s)) > 0", l, lhs, l, r1);
        break;
    case TQ_MATCH_STARTSWITH:
        assert(r2);
        tq_buf_printf(b, "substr(%s%s), 1, length(%s)) = %s%s)", l, lhs, r1,
                      l, r2);
        break;
    case TQ_MATCH_ENDSWITH:
        assert(r2);
        tq_buf_printf(b, "substr(%s%s), -length(%s)) = %s%s)", l, lhs, r1, l,
                      r2);
        break;
    }
}

/* The list's literals as a JSON array, read back by json_each. */
static char *sqlite_in_list(tq_buf_t *out, const char *lhs,
                            const qexpr_t *l, const char **after)
{
    assert(l && l->kind == QX_LIST && after);
    tq_buf_printf(out, "%s IN (SELECT value FROM json_each(", lhs);
    *after = "))";
    tq_buf_t b = {0};
    tq_buf_addc(&b, '[');
    for (size_t i = 0; i < l->nargs; i++) {
        const qlit_t *v = &l->args[i]->lit;
        if (i)
            tq_buf_addc(&b, ',');
        switch (v->type) {
        case TQDB_INT: tq_buf_printf(&b, "%lld", (long long)v->i); break;
        case TQDB_FLOAT: tq_buf_printf(&b, "%.17g", v->d); break;
        case TQDB_TEXT:
            tq_buf_addc(&b, '"');
            for (size_t k = 0; k < v->n; k++) {
                unsigned char c = (unsigned char)v->s[k];
                if (c == '"' || c == '\\')
                    tq_buf_printf(&b, "\\%c", c);
                else if (c < 0x20)
                    tq_buf_printf(&b, "\\u%04x", c);
                else
                    tq_buf_addc(&b, (char)c);
            }
            tq_buf_addc(&b, '"');
            break;
        default: tq_buf_add(&b, "null"); break;
        }
    }
    tq_buf_addc(&b, ']');
    return tq_buf_take(&b);
}

/* ---- frame stores and the catalogue */

static void sqlite_temp_ref(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "temp.");
    tq_buf_ident(b, name);
}

static void sqlite_temp_create(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "CREATE TEMP TABLE ");
    tq_buf_ident(b, name);
}

static void sqlite_bool_int(tq_buf_t *b, const char *x)
{
    tq_buf_add(b, x);
}

/* SQLite's CAST truncates reals to integers and writes 4.0 as "4.0". */
static void sqlite_astype(tq_buf_t *b, char kind, const char *x)
{
    tq_buf_printf(b, "CAST(%s AS %s)", x, kind == 'i' ? "INTEGER"
                                        : kind == 'f' ? "REAL" : "TEXT");
}

static void sqlite_value_type(tq_buf_t *b, const char *x)
{
    tq_buf_printf(b, "typeof(%s)", x);
}

static void sqlite_table_ddl(tq_buf_t *b, const char *schema)
{
    tq_buf_add(b, "SELECT sql FROM ");
    tq_buf_ident(b, schema);
    tq_buf_add(b, ".sqlite_schema WHERE type = 'table' AND name = ?1");
}

static void sqlite_temp_columns(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "PRAGMA temp.table_xinfo(");
    tq_buf_ident(b, name);
    tq_buf_addc(b, ')');
}

static void sqlite_virtual_column(tq_buf_t *b, const char *expr)
{
    tq_buf_printf(b, " GENERATED ALWAYS AS (%s) VIRTUAL", expr);
}

/* table_xinfo's `hidden` is 2 for a virtual generated column */
static void sqlite_temp_virtual_columns(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "SELECT name FROM pragma_table_xinfo(");
    tq_buf_quote(b, name, strlen(name));
    tq_buf_add(b, ", 'temp') WHERE hidden = 2 ORDER BY cid");
}

static void sqlite_summary_columns(tq_buf_t *b, size_t first)
{
    tq_buf_printf(b, "SELECT ?%zu AS \"table\", (SELECT count(*) FROM "
                  "pragma_table_info(?%zu, ?%zu)) AS \"columns\", ", first,
                  first + 1, first + 2);
}

static void sqlite_attach(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "ATTACH DATABASE ? AS ");
    tq_buf_ident(b, name);
}

/* affinity: the column's affinity by SQLite's rules
 * (sqlite.org/datatype3.html 3.1). A type longer than 63 bytes is not
 * guessed (0); ANY keeps values as given in a STRICT table ('b'). */
static char sqlite_affinity(const char *decltype)
{
    char up[64];
    size_t n = 0;
    for (; decltype[n] && n < sizeof up - 1; n++)
        up[n] = (char)toupper((unsigned char)decltype[n]);
    up[n] = 0;
    if (strstr(up, "INT"))
        return 'i';
    if (decltype[n])
        return 0;
    if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
        return 't';
    if (!n || strstr(up, "BLOB") || strstr(up, "ANY"))
        return 'b';
    if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB"))
        return 'r';
    return 'i';         /* NUMERIC */
}

static const tq_dialect_t tq_dialect_sqlite = {
    .name = "sqlite",
    .param = sqlite_param,
    .numbered_params = false,
    .float_param_type = NULL,
    .limit = sqlite_limit,
    .true_sql = "1",
    .false_sql = "0",
    .rowid = "rowid",
    .insert_returning = false,
    .explain = "EXPLAIN QUERY PLAN ",
    .explain_detail_col = 3,          /* id parent notused detail */
    .trunc = sqlite_trunc,
    .datetime_diff = sqlite_datetime_diff,
    .extract = sqlite_extract,
    .transform = sqlite_transform,
    .stddev = sqlite_stddev,
    .regex = sqlite_regex,
    .match = sqlite_match,
    .match_expr = sqlite_match_expr,
    .in_list_max = 64,
    .in_list = sqlite_in_list,
    .temp_schema = "temp",
    .temp_ref = sqlite_temp_ref,
    .temp_create = sqlite_temp_create,
    .store_rowid = "_rowid_",
    .store_create_as = NULL,          /* frame_create_as declares types */
    .store_number = NULL,             /* every table has its rowid */
    .value_type = sqlite_value_type,
    .type_int = "INTEGER",
    .type_real = "REAL",
    .type_text = "TEXT",
    .expr_type = NULL,                /* columns hold any value */
    .virtual_column = sqlite_virtual_column,
    .temp_virtual_columns = sqlite_temp_virtual_columns,
    .update_from_chunked = true,
    .update_merge = true,
    .affinity = sqlite_affinity,
    .astype = sqlite_astype,
    .bool_int = sqlite_bool_int,
    .catalog = {
        [TQ_CATALOG_RELATIONS] =
            "SELECT schema, name FROM pragma_table_list WHERE type IN "
            "('table', 'view') AND schema != 'temp' AND name NOT LIKE "
            "'sqlite\\_%' ESCAPE '\\' ORDER BY schema != 'main', name = ? "
            "DESC",
        [TQ_CATALOG_TABLES] =
            "SELECT schema, name FROM pragma_table_list WHERE type = "
            "'table' AND schema != 'temp' AND name NOT LIKE 'sqlite\\_%' "
            "ESCAPE '\\' ORDER BY schema != 'main', schema, name",
        [TQ_CATALOG_TABLE_COLUMNS] =
            "SELECT p.name AS \"column\", p.type AS \"type\", "
            "trim(CASE WHEN p.pk > 0 THEN 'PK' ELSE '' END || ' ' || "
            "coalesce((SELECT group_concat('FK -> ' || f.\"table\" || "
            "coalesce('.' || f.\"to\", ''), ', ') FROM "
            "pragma_foreign_key_list(?1, ?2) f WHERE f.\"from\" = p.name), "
            "'')) AS \"key\", "
            "CASE WHEN p.\"notnull\" OR (p.pk > 0 AND upper(p.type) = "
            "'INTEGER') THEN 'NOT NULL' ELSE '' END AS \"null\", "
            "coalesce(p.dflt_value, '') AS \"default\" "
            "FROM pragma_table_info(?1, ?2) p ORDER BY p.cid",
        [TQ_CATALOG_MAIN_TABLES] =
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name "
            "NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        [TQ_CATALOG_FIND_RELATION] =
            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
            "AND name = ? COLLATE NOCASE",
        [TQ_CATALOG_FOREIGN_KEYS] =
            "SELECT \"from\", \"table\", \"to\" FROM "
            "pragma_foreign_key_list(?)",
        [TQ_CATALOG_COLUMNS] =
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) "
            "ORDER BY cid",
        [TQ_CATALOG_RELATION_TYPE] =
            "SELECT type FROM main.sqlite_master WHERE name = ?1 COLLATE "
            "NOCASE",
    },
    .table_ddl = sqlite_table_ddl,
    .temp_columns = sqlite_temp_columns,
    .summary_columns = sqlite_summary_columns,
    .group_by_unindexed = "+",
    .greatest = "MAX",
    .least = "MIN",
    .auto_key_type = "integer",
    .datetime_type = "datetime",
    .float_type = "real",
    .has_vacuum = true,
    .has_attach = true,
    .attach = sqlite_attach,
};

/* PostgreSQL's, in sql/dialect_postgres.c. */
extern const tq_dialect_t tq_dialect_postgres;

/* Every dialect, by its engine's name. */
static const tq_dialect_t *const dialects[] = {&tq_dialect_sqlite,
                                               &tq_dialect_postgres};

/* tq_dialect_by_name: see dialect.h. */
const tq_dialect_t *tq_dialect_by_name(const char *name)
{
    assert(name);
    for (size_t i = 0; i < sizeof dialects / sizeof *dialects; i++)
        if (!strcmp(dialects[i]->name, name))
            return dialects[i];
    return NULL;
}

/* tq_dialect_for: see dialect.h. */
const tq_dialect_t *tq_dialect_for(const tqdb_conn_t *conn)
{
    if (!conn)
        return &tq_dialect_sqlite;
    const tq_dialect_t *d = tq_dialect_by_name(tqdb_engine(conn));
    return d ? d : &tq_dialect_sqlite;
}
