/*
 * This file is PostgreSQL's SQL dialect (sql/dialect.h): `$n`
 * placeholders, LIMIT ALL, TRUE and FALSE, no rowid (a table is read by
 * its declared key, one without a key by ctid, and new keys come back
 * with RETURNING), date
 * arithmetic with date_trunc() and extract() over values cast to
 * timestamp (so that text columns holding ISO dates work as on SQLite,
 * and the results have SQLite's types: TruncMonth a date, extract an
 * integer), stddev_pop/var_samp natively, case-sensitive matching with
 * strpos() and LIKE, the i- lookups with ILIKE (both with '\' as
 * escape), `~` and `~*` regular expressions, long `in` lists as one array
 * parameter (`= ANY($1)`, the array bound as its text form), GREATEST and
 * LEAST, frame stores as TEMP tables in pg_temp with an explicit row-order
 * column, and the catalogue through pg_catalog. PostgreSQL has neither
 * VACUUM inside a transaction nor ATTACH: the magics refuse both.
 *
 * The catalogue's "main" schema is the first schema of the search path
 * (current_schema()).
 */
#include "sql/dialect.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ---- statements */

static void pg_param(tq_buf_t *b, size_t n)
{
    assert(n >= 1);
    tq_buf_printf(b, "$%zu", n);
}

static void pg_limit(tq_buf_t *b, int64_t limit, int64_t offset)
{
    assert(limit >= 0 || offset > 0);
    if (limit >= 0)
        tq_buf_printf(b, " LIMIT %lld", (long long)limit);
    if (offset > 0)
        tq_buf_printf(b, " OFFSET %lld", (long long)offset);
}

/* ---- dates: every argument is cast to timestamp first, so that a text
 * column holding 'YYYY-MM-DD HH:MM:SS' reads as SQLite reads it */

static void pg_trunc(tq_buf_t *b, qx_func_t unit, const char *arg)
{
    const char *u = unit == QF_TRUNCYEAR  ? "year"
                  : unit == QF_TRUNCMONTH ? "month"
                  : unit == QF_TRUNCWEEK  ? "week"
                                          : NULL;
    if (u)
        tq_buf_printf(b, "CAST(date_trunc('%s', CAST(%s AS timestamp)) AS "
                      "date)", u, arg);
    else
        tq_buf_printf(b, "CAST(CAST(%s AS timestamp) AS date)", arg);
}

static void pg_datetime_diff(tq_buf_t *b, const char *x, const char *y)
{
    tq_buf_printf(b, "CAST(EXTRACT(EPOCH FROM CAST(%s AS timestamp) - "
                  "CAST(%s AS timestamp)) AS double precision)", x, y);
}

/* extract() of `field`; dow is 0 (Sunday) to 6, Django's week_day 1 to 7. */
static void extract_field(tq_buf_t *b, const char *field, const char *arg)
{
    if (!strcmp(field, "dow"))
        tq_buf_printf(b, "(CAST(extract(dow FROM CAST(%s AS timestamp)) AS "
                      "integer) + 1)", arg);
    else if (!strcmp(field, "second"))
        tq_buf_printf(b, "CAST(floor(extract(second FROM CAST(%s AS "
                      "timestamp))) AS integer)", arg);
    else
        tq_buf_printf(b, "CAST(extract(%s FROM CAST(%s AS timestamp)) AS "
                      "integer)", field, arg);
}

static void pg_extract(tq_buf_t *b, qx_func_t part, const char *arg)
{
    switch (part) {
    case QF_EXTRACTYEAR: extract_field(b, "year", arg); break;
    case QF_EXTRACTMONTH: extract_field(b, "month", arg); break;
    case QF_EXTRACTDAY: extract_field(b, "day", arg); break;
    case QF_EXTRACTWEEKDAY: extract_field(b, "dow", arg); break;
    default: extract_field(b, "hour", arg); break;
    }
}

static void pg_transform(tq_buf_t *b, const char *name, const char *arg)
{
    static const struct {
        const char *name, *field;
    } fields[] = {
        {"year", "year"}, {"month", "month"}, {"day", "day"},
        {"week_day", "dow"}, {"hour", "hour"}, {"minute", "minute"},
        {"second", "second"},
    };
    if (!strcmp(name, "date")) {
        tq_buf_printf(b, "CAST(CAST(%s AS timestamp) AS date)", arg);
        return;
    }
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!strcmp(fields[i].name, name)) {
            extract_field(b, fields[i].field, arg);
            return;
        }
}

/* ---- aggregates, regex, text matching, lists */

/* Natively; the copies x[1..4] are needed only when they carry
 * parameters of their own (every placeholder of the statement must
 * appear in it), and then they are counted, which changes nothing. */
static void pg_stddev(tq_buf_t *b, bool variance, bool sample,
                      char *const x[5])
{
    const char *fn = variance ? (sample ? "var_samp" : "var_pop")
                              : (sample ? "stddev_samp" : "stddev_pop");
    if (!strchr(x[1], '$')) {
        tq_buf_printf(b, "%s(%s)", fn, x[0]);
        return;
    }
    tq_buf_printf(b, "CASE WHEN count(%s) + count(%s) + count(%s) + "
                  "count(%s) >= 0 THEN %s(%s) END", x[1], x[2], x[3], x[4],
                  fn, x[0]);
}

static void pg_regex(tq_buf_t *b, const char *arg, const char *pattern,
                     bool icase)
{
    tq_buf_printf(b, "CAST(%s AS text) %s %s", arg, icase ? "~*" : "~",
                  pattern);
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

/* strpos for contains, LIKE for startswith and endswith, ILIKE for the
 * i- lookups; the left side is cast to text (a number matches by its
 * text, as on SQLite). */
static char *pg_match(tq_buf_t *b, const char *lhs, tq_match_t m,
                      bool icase, const char *value, const char **after)
{
    assert(value && after);
    if (!icase && m == TQ_MATCH_CONTAINS) {
        tq_buf_printf(b, "strpos(CAST(%s AS text), ", lhs);
        *after = ") > 0";
        return tq_xstrdup(value);
    }
    const char *pre = m == TQ_MATCH_CONTAINS ||
                      m == TQ_MATCH_ENDSWITH ? "%" : "";
    const char *post = m == TQ_MATCH_CONTAINS ||
                       m == TQ_MATCH_STARTSWITH ? "%" : "";
    tq_buf_printf(b, "CAST(%s AS text) %s ", lhs,
                  icase || m == TQ_MATCH_EXACT ? "ILIKE" : "LIKE");
    *after = " ESCAPE '\\'";
    return like_pattern(value, pre, post);
}

static void pg_match_expr(tq_buf_t *b, const char *lhs, tq_match_t m,
                          bool icase, const char *r1, const char *r2)
{
    const char *l = icase ? "lower(CAST(" : "(CAST(";
    const char *t = " AS text))";
    switch (m) {
    case TQ_MATCH_EXACT:
        tq_buf_printf(b, "%s%s%s = %s%s%s", l, lhs, t, l, r1, t);
        break;
    case TQ_MATCH_CONTAINS:
        tq_buf_printf(b, "strpos(%s%s%s, %s%s%s) > 0", l, lhs, t, l, r1, t);
        break;
    case TQ_MATCH_STARTSWITH:
        assert(r2);
        tq_buf_printf(b, "left(%s%s%s, length(CAST(%s AS text))) = %s%s%s",
                      l, lhs, t, r1, l, r2, t);
        break;
    case TQ_MATCH_ENDSWITH:
        assert(r2);
        tq_buf_printf(b, "right(%s%s%s, length(CAST(%s AS text))) = %s%s%s",
                      l, lhs, t, r1, l, r2, t);
        break;
    }
}

/* The list's literals as one array parameter in PostgreSQL's text form
 * ({1,2,"a b",NULL}); the server gives the parameter the array type of
 * `lhs`'s type, and the engine binds it as text. */
static char *pg_in_list(tq_buf_t *out, const char *lhs, const qexpr_t *l,
                        const char **after)
{
    assert(l && l->kind == QX_LIST && after);
    /* an array with a float in it is one of double precision, or
     * PostgreSQL reads it as the column's type (integer[] refuses 2.5) */
    bool floats = false;
    for (size_t i = 0; i < l->nargs; i++)
        floats |= l->args[i]->lit.type == TQDB_FLOAT;
    tq_buf_printf(out, "%s = ANY(%s", lhs, floats ? "CAST(" : "");
    *after = floats ? " AS double precision[]))" : ")";
    tq_buf_t b = {0};
    tq_buf_addc(&b, '{');
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
                char c = v->s[k];
                if (c == '"' || c == '\\')
                    tq_buf_addc(&b, '\\');
                tq_buf_addc(&b, c);
            }
            tq_buf_addc(&b, '"');
            break;
        default: tq_buf_add(&b, "NULL"); break;
        }
    }
    tq_buf_addc(&b, '}');
    return tq_buf_take(&b);
}

/* ---- frame stores and the catalogue */

static void pg_temp_ref(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "pg_temp.");
    tq_buf_ident(b, name);
}

static void pg_temp_create(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "CREATE TEMP TABLE ");
    tq_buf_ident(b, name);
}

/* A store from a query: its columns keep their types, and row_number()
 * over the query in its order numbers the rows (a WindowAgg without
 * ORDER BY reads its input in the order the subquery yields it). */
static void pg_store_create_as(tq_buf_t *b, const char *name,
                               const char *select)
{
    tq_buf_add(b, "CREATE TEMP TABLE ");
    tq_buf_ident(b, name);
    tq_buf_printf(b, " AS SELECT tq_s.*, row_number() OVER () AS tq_row "
                  "FROM (%s) AS tq_s", select);
}

/* A bigserial column added to a filled table takes its values in the
 * rewrite's scan order, the insertion order of a table just filled. */
static void pg_store_number(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "ALTER TABLE pg_temp.");
    tq_buf_ident(b, name);
    tq_buf_add(b, " ADD COLUMN tq_row bigserial");
}

/* SQLite's storage classes from the value's type; a numeric of scale 0
 * (sum() of bigints, a count through numeric) is an integer. */
static void pg_value_type(tq_buf_t *b, const char *x)
{
    tq_buf_printf(b, "CASE WHEN (%s) IS NULL THEN 'null' WHEN pg_typeof(%s) "
                  "IN ('smallint'::regtype, 'integer'::regtype, "
                  "'bigint'::regtype, 'boolean'::regtype) THEN 'integer' "
                  "WHEN pg_typeof(%s) = 'numeric'::regtype THEN CASE WHEN "
                  "scale(CAST(CAST(%s AS text) AS numeric)) = 0 THEN "
                  "'integer' ELSE 'real' END WHEN pg_typeof(%s) IN "
                  "('real'::regtype, 'double precision'::regtype) THEN "
                  "'real' WHEN pg_typeof(%s) = 'bytea'::regtype THEN 'blob' "
                  "ELSE 'text' END", x, x, x, x, x, x);
}

static void pg_bool_int(tq_buf_t *b, const char *x)
{
    tq_buf_printf(b, "CAST((%s) AS integer)", x);
}

/* PostgreSQL's CAST rounds to integers (trunc first, as pandas) and
 * writes the double 4 as "4" (a whole float gets Python's ".0"). */
static void pg_astype(tq_buf_t *b, char kind, const char *x)
{
    if (kind == 'i')
        tq_buf_printf(b, "CAST(trunc(CAST(%s AS double precision)) AS "
                      "bigint)", x);
    else if (kind == 'f')
        tq_buf_printf(b, "CAST(%s AS double precision)", x);
    else
        tq_buf_printf(b, "CASE WHEN pg_typeof(%s) IN ('double precision'::"
                      "regtype, 'real'::regtype) THEN CASE WHEN CAST(CAST("
                      "%s AS text) AS double precision) = trunc(CAST(CAST(%s "
                      "AS text) AS double precision)) AND CAST(%s AS text) "
                      "!~ '[e.]' THEN CAST(%s AS text) || '.0' ELSE CAST(%s "
                      "AS text) END ELSE CAST(%s AS text) END",
                      x, x, x, x, x, x, x);
}

static void pg_expr_type(tq_buf_t *b, const char *x)
{
    tq_buf_printf(b, "CAST(pg_typeof(%s) AS text)", x);
}

/* PostgreSQL keeps no DDL text: the statement is rebuilt from the
 * catalogue (columns, types, NOT NULL, defaults, the primary key). */
static void pg_table_ddl(tq_buf_t *b, const char *schema)
{
    tq_buf_add(b, "SELECT 'CREATE TABLE ' || quote_ident(c.relname) || ' ("
               "' || string_agg(quote_ident(a.attname) || ' ' || "
               "format_type(a.atttypid, a.atttypmod) || CASE WHEN "
               "a.attnum = ANY(coalesce(pk.conkey, '{}')) AND "
               "cardinality(pk.conkey) = 1 THEN ' PRIMARY KEY' WHEN "
               "a.attnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' "
               "DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' "
               "ORDER BY a.attnum) || ')' AS sql FROM pg_class c "
               "JOIN pg_namespace n ON n.oid = c.relnamespace "
               "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
               "AND NOT a.attisdropped "
               "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND "
               "d.adnum = a.attnum "
               "LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND "
               "pk.contype = 'p' WHERE c.relname = ?1 AND n.nspname = ");
    if (!strcmp(schema, "main")) {
        tq_buf_add(b, "current_schema()");
    } else {
        tq_buf_quote(b, schema, strlen(schema));
    }
    tq_buf_add(b, " GROUP BY c.relname");
}

/* Column 0 the position, 1 the name, 2 the type (as SQLite's
 * table_info); the row-order column is not the frame's. */
static void pg_temp_columns(tq_buf_t *b, const char *name)
{
    tq_buf_add(b, "SELECT a.attnum, a.attname, format_type(a.atttypid, "
               "a.atttypmod) FROM pg_attribute a WHERE a.attrelid = "
               "to_regclass(");
    char *rel = tq_xasprintf("pg_temp.%s", name);
    tq_buf_quote(b, rel, strlen(rel));
    free(rel);
    tq_buf_add(b, ") AND a.attnum > 0 AND NOT a.attisdropped AND "
               "a.attname <> 'tq_row' ORDER BY a.attnum");
}

static void pg_summary_columns(tq_buf_t *b, size_t first)
{
    tq_buf_printf(b, "SELECT CAST(?%zu AS text) AS \"table\", (SELECT "
                  "count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = "
                  "a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relname = CAST(?%zu AS text) AND n.nspname = "
                  "CAST(?%zu AS text) AND a.attnum > 0 AND NOT "
                  "a.attisdropped) AS \"columns\", ", first, first + 1,
                  first + 2);
}

/* The user schemas' tables (r, p) and views (v, m), partitions aside. */
#define PG_USER_RELATIONS                                                   \
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "       \
    "WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "     \
    "AND NOT c.relispartition "
#define PG_MAIN_RELATIONS                                                   \
    "FROM pg_class c WHERE c.relnamespace = "                               \
    "to_regnamespace(current_schema()) AND NOT c.relispartition "

const tq_dialect_t tq_dialect_postgres = {
    .name = "postgresql",
    .param = pg_param,
    .numbered_params = true,
    .float_param_type = "double precision",
    .limit = pg_limit,
    .true_sql = "TRUE",
    .false_sql = "FALSE",
    .typed_literals = true,
    .asc_nulls = " NULLS FIRST",
    .desc_nulls = " NULLS LAST",
    /* a table without a primary key is read by its row's physical
     * address: good within a statement and until the row is updated */
    .rowid = "ctid",
    .insert_returning = true,
    .explain = "EXPLAIN ",
    .explain_detail_col = 0,          /* QUERY PLAN */
    .trunc = pg_trunc,
    .datetime_diff = pg_datetime_diff,
    .extract = pg_extract,
    .transform = pg_transform,
    .stddev = pg_stddev,
    .regex = pg_regex,
    .match = pg_match,
    .match_expr = pg_match_expr,
    .in_list_max = 64,
    .in_list = pg_in_list,
    .temp_schema = "pg_temp",
    .temp_ref = pg_temp_ref,
    .temp_create = pg_temp_create,
    .store_rowid = "tq_row",
    .store_create_as = pg_store_create_as,
    .store_number = pg_store_number,
    .value_type = pg_value_type,
    .type_int = "bigint",
    .type_real = "double precision",
    .type_text = "text",
    .expr_type = pg_expr_type,
    .virtual_column = NULL,           /* generated columns are STORED */
    .temp_virtual_columns = NULL,
    .update_from_chunked = false,
    .update_merge = false,
    .astype = pg_astype,
    .bool_int = pg_bool_int,
    .catalog = {
        [TQ_CATALOG_RELATIONS] =
            "SELECT CAST(n.nspname AS text) AS schema, CAST(c.relname AS "
            "text) AS name " PG_USER_RELATIONS
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
            "ORDER BY n.nspname <> current_schema(), c.relname = "
            "CAST(?1 AS text) DESC",
        [TQ_CATALOG_TABLES] =
            "SELECT CAST(n.nspname AS text) AS schema, CAST(c.relname AS "
            "text) AS name " PG_USER_RELATIONS
            "AND c.relkind IN ('r', 'p', 'f') "
            "ORDER BY n.nspname <> current_schema(), 1, 2",
        [TQ_CATALOG_TABLE_COLUMNS] =
            "SELECT CAST(a.attname AS text) AS \"column\", "
            "format_type(a.atttypid, a.atttypmod) AS \"type\", "
            "trim(CASE WHEN EXISTS (SELECT 1 FROM pg_constraint k WHERE "
            "k.conrelid = c.oid AND k.contype = 'p' AND a.attnum = "
            "ANY(k.conkey)) THEN 'PK' ELSE '' END || ' ' || coalesce(("
            "SELECT string_agg('FK -> ' || t.relname || '.' || ta.attname, "
            "', ') FROM pg_constraint k JOIN pg_class t ON t.oid = "
            "k.confrelid JOIN pg_attribute ta ON ta.attrelid = t.oid AND "
            "ta.attnum = k.confkey[1] WHERE k.conrelid = c.oid AND "
            "k.contype = 'f' AND k.conkey[1] = a.attnum), '')) AS \"key\", "
            "CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE '' END AS \"null\", "
            "coalesce(pg_get_expr(d.adbin, d.adrelid), '') AS \"default\" "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND "
            "NOT a.attisdropped LEFT JOIN pg_attrdef d ON d.adrelid = c.oid "
            "AND d.adnum = a.attnum WHERE c.relname = CAST(?1 AS text) AND "
            "n.nspname = CASE WHEN CAST(?2 AS text) = 'main' THEN "
            "current_schema() ELSE CAST(?2 AS text) END ORDER BY a.attnum",
        [TQ_CATALOG_MAIN_TABLES] =
            "SELECT CAST(c.relname AS text) AS name " PG_MAIN_RELATIONS
            "AND c.relkind IN ('r', 'p', 'f') ORDER BY 1",
        [TQ_CATALOG_FIND_RELATION] =
            "SELECT CAST(c.relname AS text) AS name " PG_MAIN_RELATIONS
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND lower(c.relname) "
            "= lower(CAST(? AS text))",
        [TQ_CATALOG_FOREIGN_KEYS] =
            "SELECT CAST(a.attname AS text) AS \"from\", CAST(t.relname AS "
            "text) AS \"table\", CAST(ta.attname AS text) AS \"to\" "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_class t ON t.oid = k.confrelid "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = "
            "k.conkey[1] JOIN pg_attribute ta ON ta.attrelid = t.oid AND "
            "ta.attnum = k.confkey[1] WHERE k.contype = 'f' AND "
            "c.relnamespace = to_regnamespace(current_schema()) AND "
            "c.relname = CAST(? AS text) ORDER BY a.attnum",
        [TQ_CATALOG_COLUMNS] =
            "SELECT CAST(a.attname AS text) AS name, format_type(a.atttypid, "
            "a.atttypmod) AS type, CAST(a.attnotnull AS integer) AS "
            "\"notnull\", coalesce(array_position(pk.conkey, a.attnum), 0) "
            "AS pk FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
            "AND a.attnum > 0 AND NOT a.attisdropped LEFT JOIN pg_constraint "
            "pk ON pk.conrelid = c.oid AND pk.contype = 'p' WHERE "
            "c.relnamespace = to_regnamespace(current_schema()) AND "
            "c.relname = CAST(? AS text) ORDER BY a.attnum",
        [TQ_CATALOG_RELATION_TYPE] =
            "SELECT CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE "
            "'table' END AS type " PG_MAIN_RELATIONS
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND lower(c.relname) "
            "= lower(CAST(?1 AS text))",
    },
    .table_ddl = pg_table_ddl,
    .temp_columns = pg_temp_columns,
    .summary_columns = pg_summary_columns,
    .group_by_unindexed = "",
    .greatest = "GREATEST",
    .greatest_skips_nulls = true,
    .least = "LEAST",
    .auto_key_type = "integer GENERATED BY DEFAULT AS IDENTITY",
    .datetime_type = "timestamp",
    .float_type = "double precision",
    .fk_target_first = true,
    .key_advance = "SELECT setval(pg_get_serial_sequence(?1, ?2), "
                   "greatest(CAST(?3 AS bigint), coalesce("
                   "pg_sequence_last_value(pg_get_serial_sequence(?1, ?2)), "
                   "0)))",
    .has_vacuum = false,
    .has_attach = false,
    .attach = NULL,
};
