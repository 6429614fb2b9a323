/*
 * This file declares the SQL dialect: the one table that holds every piece
 * of SQL text that differs between database engines. The compiler
 * (sql/compile.c, sql/lookup.c) takes a dialect in every tq_compile_*
 * call, and the layers above the compiler (orm, frame, magic, editor,
 * draw) ask the dialect of their connection for the engine-specific SQL
 * they run themselves (catalogue queries, frame stores, EXPLAIN, ATTACH).
 * SQLite's dialect is sql/dialect_sqlite.c; another engine's dialect is one
 * more file beside it, listed in tq_dialect_by_name (sql/dialect_sqlite.c
 * holds the lookup too, since SQLite is the only dialect today).
 *
 * The rule: no SQL text that an engine would write differently lives
 * outside lang/sql and lang/db. Standard SQL that every engine accepts
 * (SELECT, JOIN, GROUP BY, CASE, count(*), "quoted" identifiers, LIKE with
 * ESCAPE, CREATE TEMP TABLE ... AS, DROP TABLE IF EXISTS, UPDATE ... FROM)
 * may be written anywhere; tests/layers/check_sql_text.py fails on the
 * SQLite-only words (pragma_, sqlite_schema, sqlite_master, _rowid_, GLOB,
 * strftime, julianday, LIMIT -1, QUERY PLAN, INSERT OR) in a string
 * literal of orm, frame, magic, editor or draw.
 *
 * The hooks, by piece of SQL (SQLite's choice, then how PostgreSQL would
 * write it):
 *   param            placeholders: `?` (PostgreSQL `$1`, numbered_params)
 *   limit            LIMIT/OFFSET, OFFSET alone: `LIMIT -1 OFFSET n`
 *                    (PostgreSQL `OFFSET n` or `LIMIT ALL OFFSET n`)
 *   true_sql/false_sql  boolean constants: 1 and 0 (TRUE and FALSE)
 *   rowid            the implicit row id the compiler names for a table
 *                    without a declared key: "rowid" (PostgreSQL has none:
 *                    "ctid", the row's address until it is updated)
 *   trunc            date truncation: date(x, 'start of month')
 *                    (date_trunc('month', x))
 *   datetime_diff    seconds between two datetimes (F.end - F.start):
 *                    julianday arithmetic (EXTRACT(EPOCH FROM a - b))
 *   extract          integer date parts: CAST(strftime('%m', x) AS INTEGER)
 *                    (CAST(extract(month FROM x) AS integer))
 *   transform        the lookups' transforms (`__year`, `__date` ...), same
 *   stddev           StdDev/Variance: computed from sums (stddev_pop,
 *                    var_samp natively)
 *   regex            `x REGEXP p`, tq_iregexp(p, x) (x ~ p, x ~* p)
 *   greatest, least  Greatest/Least: the scalar MAX and MIN (GREATEST,
 *                    LEAST)
 *   match            contains/startswith/endswith/iexact and i- forms
 *                    against a literal: instr, GLOB, LIKE (position(),
 *                    LIKE, ILIKE); one parameter holds the pattern
 *   match_expr       the same against an expression: instr, substr, lower
 *   in_list_max, in_list  long `in` lists as one parameter: json_each
 *                    (= ANY($1))
 *   explain          EXPLAIN QUERY PLAN and the column of its detail
 *                    (EXPLAIN, column 0)
 *   temp_schema, temp_ref, temp_create, store_rowid  frame stores: TEMP
 *                    tables in schema temp, row order by _rowid_
 *                    (pg_temp, a serial column)
 *   catalog[], table_ddl, temp_columns, summary_columns  catalogue queries
 *                    above the db layer: pragma_table_list,
 *                    pragma_table_info, pragma_foreign_key_list,
 *                    sqlite_schema (information_schema, pg_catalog)
 *   insert_returning the new row's id: tqdb_last_insert_id (RETURNING id)
 *   has_vacuum, has_attach, attach  VACUUM and ATTACH DATABASE: SQLite has
 *                    both; an engine without them makes the magics refuse
 *                    with a clear error
 * Identifiers are double-quoted (tq_buf_ident) and CAST targets are
 * written inside the hooks, so both are the dialect's too. String
 * aggregation appears only inside catalogue queries (group_concat).
 *
 * Every hook appends to a tq_buf_t; every `const char *` hook argument is
 * SQL text already compiled (with its own placeholders, bound in the order
 * the text shows them). Dialects are static and immutable.
 */
#ifndef TQ_SQL_DIALECT_H
#define TQ_SQL_DIALECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "db/db.h"
#include "sql/compile.h"

/* The text lookups the dialect writes (sql/lookup.c). */
typedef enum tq_match {
    TQ_MATCH_EXACT,        /* iexact only: exact is a plain = */
    TQ_MATCH_CONTAINS,
    TQ_MATCH_STARTSWITH,
    TQ_MATCH_ENDSWITH,
} tq_match_t;

/* The catalogue queries that layers above the db layer run as SQL, with
 * the parameters and columns every dialect's text must have:
 * X(NAME, doc). */
#define TQ_CATALOG_QUERIES(X)                                               \
    X(RELATIONS, "user tables and views outside the temp schema: columns " \
      "schema, name; main first, then the one named exactly ?1")            \
    X(TABLES, "user tables outside the temp schema: columns schema, name; " \
      "main first, then by schema and name; no parameter")                  \
    X(TABLE_COLUMNS, "the columns of table ?1 in schema ?2 for %schema: "   \
      "columns column, type, key ('PK', 'FK -> t.c'), null ('NOT NULL' "    \
      "or ''), default; in declaration order")                              \
    X(MAIN_TABLES, "user tables of the main schema: column name; by name")  \
    X(FIND_RELATION, "the real name of the main table or view named ?1, "   \
      "compared case-insensitively: column name")                           \
    X(FOREIGN_KEYS, "the foreign keys of main table ?1: columns from, "     \
      "table, to (NULL: the target's primary key)")                         \
    X(COLUMNS, "the columns of main table ?1: columns name, type, "         \
      "notnull, pk; in declaration order")                                  \
    X(RELATION_TYPE, "the type ('table', 'view' ...) of the main relation " \
      "named ?1, case-insensitively: column type")

typedef enum tq_catalog {
#define X(name, doc) TQ_CATALOG_##name,
    TQ_CATALOG_QUERIES(X)
#undef X
    TQ_CATALOG__COUNT
} tq_catalog_t;

struct tq_dialect {
    const char *name;            /* as tqdb_engine() names the engine */

    /* ---- statements */
    /* The n-th (from 1) placeholder of a statement. */
    void (*param)(tq_buf_t *b, size_t n);
    bool numbered_params;        /* placeholders carry their number ($n) */
    /* LIMIT and OFFSET: limit -1 for none, offset 0 for none. */
    void (*limit)(tq_buf_t *b, int64_t limit, int64_t offset);
    const char *true_sql, *false_sql;
    /* The engine types values strictly (PostgreSQL): a number literal
     * whose type nothing around it gives (a selected Value(3), a Case's
     * THEN/ELSE, an operand of + - * /) is cast, as psycopg2 sends
     * Django's typed literals (integers ::integer, ::bigint past 32
     * bits, floats ::numeric), and Concat casts its parts to text.
     * False where the engine needs neither (SQLite). */
    bool typed_literals;
    /* Written after ASC and DESC so that NULLs sort as SQLite sorts them
     * (smallest: first ascending, last descending); NULL where the
     * engine does so already. */
    const char *asc_nulls, *desc_nulls;
    /* The implicit row id a table without a declared key is read by
     * (tq_stable_t.rowid_pk), or NULL when the engine has none. */
    const char *rowid;
    /* An INSERT gets the new row's id back with RETURNING (compiled by
     * tq_compile_insert) rather than from tqdb_last_insert_id. */
    bool insert_returning;
    /* The prefix that turns a SELECT into its plan, and the column of the
     * plan's rows that holds the text of each step. */
    const char *explain;
    int explain_detail_col;

    /* ---- expressions */
    /* date truncation of `arg` to unit QF_TRUNC* */
    void (*trunc)(tq_buf_t *b, qx_func_t unit, const char *arg);
    /* the seconds from the date or datetime `b` to `a` (a - b) as a
     * number, to the millisecond: ROUND((julianday(a) - julianday(b)) *
     * 86400, 3) (EXTRACT(EPOCH FROM a - b)); a is compiled before b.
     * NULL: the engine subtracts dates itself and F arithmetic stays
     * plain `-`. */
    void (*datetime_diff)(tq_buf_t *b, const char *a, const char *bb);
    /* integer extraction of QF_EXTRACT* */
    void (*extract)(tq_buf_t *b, qx_func_t part, const char *arg);
    /* a lookup transform (sql/lookups.h: year month day week_day hour
     * minute second date) of `arg`: integers, the date for `date` */
    void (*transform)(tq_buf_t *b, const char *name, const char *arg);
    /* population (sample false) or sample standard deviation / variance
     * of x; x[0..4] are five separately compiled copies of the argument
     * (each carries its own parameters), used in order. */
    void (*stddev)(tq_buf_t *b, bool variance, bool sample,
                   char *const x[5]);
    /* `arg` matches the regular expression `pattern` */
    void (*regex)(tq_buf_t *b, const char *arg, const char *pattern,
                  bool icase);
    /* `lhs` matches the literal text `value` (m, icase): appends the SQL
     * before the one parameter, returns the parameter's text (malloc'd;
     * the caller binds it) and sets *after to the SQL after it. */
    char *(*match)(tq_buf_t *b, const char *lhs, tq_match_t m, bool icase,
                   const char *value, const char **after);
    /* `lhs` matches the expression r1 (m, icase); r2 is a second copy of
     * it for STARTSWITH and ENDSWITH (NULL otherwise); used in order. */
    void (*match_expr)(tq_buf_t *b, const char *lhs, tq_match_t m,
                       bool icase, const char *r1, const char *r2);
    /* Greatest and Least of two or more values: MAX(a, b) and MIN(a, b)
     * (GREATEST, LEAST) */
    const char *greatest, *least;
    /* `in` lists longer than this, of literals only (no blob, no
     * non-finite float), go through in_list as one parameter. */
    size_t in_list_max;
    /* `lhs IN list` with the list as one parameter: like match. */
    char *(*in_list)(tq_buf_t *b, const char *lhs, const qexpr_t *list,
                     const char **after);

    /* ---- frame stores (temporary tables of this connection only) */
    const char *temp_schema;     /* the schema TEMP tables live in */
    /* a temp table by name, for FROM, INSERT INTO, DROP TABLE */
    void (*temp_ref)(tq_buf_t *b, const char *name);
    /* `CREATE TEMP TABLE name`, before its ( columns ) or AS SELECT */
    void (*temp_create)(tq_buf_t *b, const char *name);
    /* the column that orders a store's rows (insertion order); not a
     * name a frame column may take */
    const char *store_rowid;

    /* ---- the catalogue, as SQL */
    const char *catalog[TQ_CATALOG__COUNT];
    /* The CREATE statement of table ?1 in `schema`: column sql. */
    void (*table_ddl)(tq_buf_t *b, const char *schema);
    /* The columns of temp table `name` in declaration order: column 1 is
     * the name, column 2 the declared type. */
    void (*temp_columns)(tq_buf_t *b, const char *name);
    /* The start of one row of %schema's summary: `SELECT <p> AS "table",
     * <number of columns> AS "columns", ` where placeholder `first` is
     * the name shown, first + 1 the table's name and first + 2 its
     * schema's. */
    void (*summary_columns)(tq_buf_t *b, size_t first);

    /* ---- maintenance */
    /* Written before a GROUP BY column to keep the planner off that
     * column's index (SQLite's unary +; "" where no such hint exists),
     * used by the aggregate-first rewrite (rewrite.c). */
    const char *group_by_unindexed;
    bool has_vacuum;             /* VACUUM (outside a transaction) */
    bool has_attach;             /* another database file in a schema */
    /* attach the file bound as the one parameter as schema `name` */
    void (*attach)(tq_buf_t *b, const char *name);
};

/* The dialect of a connection, from its engine's name (tqdb_engine).
 * Never NULL: SQLite's when conn is NULL or its engine has no dialect of
 * its own yet. Static. */
const tq_dialect_t *tq_dialect_for(const tqdb_conn_t *conn);
/* The dialect named `name` ("sqlite"), or NULL. Static. */
const tq_dialect_t *tq_dialect_by_name(const char *name);

#endif
