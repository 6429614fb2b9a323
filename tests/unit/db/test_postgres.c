/*
 * This file tests the PostgreSQL engine through db.h alone: connections,
 * exec, prepare/bind/step of each type, placeholders, transactions and
 * savepoints, wrote/changes, errors by category with SQLite's texts,
 * interrupt from another thread and through the progress callback, a
 * lost connection, the catalogue, schema_version and password masking.
 *
 * The server is the one TABULA_TEST_PG names (tests/pg/pgcluster.py
 * starts a throwaway cluster and sets it; tests/pg/test_pg_engine.py runs
 * this test so); without it the test is skipped. TABULA_TEST_PG_PASSWORD_URL,
 * when set, names a password user for the masking test. Each run works in
 * its own schema, dropped at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "tap.h"

static const char *url;
static char schema[64];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static tqdb_conn_t *connect_to(const char *target, unsigned flags)
{
    char *err = NULL;
    tqdb_conn_t *c = tqdb_open(target, flags, &err);
    if (!c)
        printf("# open failed: %s\n", err ? err : "?");
    free(err);
    return c;
}

/* Runs one statement with the search path set to the test's schema. */
static int exec(tqdb_conn_t *c, const char *sql)
{
    int rc = tqdb_exec(c, sql);
    if (rc < 0)
        printf("# exec %s: %s\n", sql, tqdb_errmsg(c));
    return rc;
}

/* The first column of the first row of `sql` as text (malloc'd), or NULL. */
static char *scalar(tqdb_conn_t *c, const char *sql)
{
    tqdb_cursor_t *cur = NULL;
    char *v = NULL;
    if (tqdb_prepare(c, sql, &cur, NULL) == 0 && cur &&
        tqdb_step(cur) == TQDB_ROW && tqdb_column_text(cur, 0))
        v = strdup(tqdb_column_text(cur, 0));
    tqdb_cursor_free(&cur);
    return v;
}

static void test_open(tqdb_conn_t *c)
{
    is_str(tqdb_engine(c), "postgresql", "the engine's name");
    ok(!tqdb_readonly(c), "read-write by default");
    char *tz = scalar(c, "SHOW TimeZone");
    is_str(tz, "UTC", "the session's time zone is UTC");
    free(tz);
}

static void test_types(tqdb_conn_t *c)
{
    exec(c, "CREATE TABLE kinds (i2 smallint, i4 integer, i8 bigint, "
            "f4 real, f8 double precision, num numeric(10,2), b boolean, "
            "t text, vc varchar(20), ch char(3), by bytea, d date, "
            "ts timestamp, tz timestamptz, tm time, iv interval)");
    tqdb_cursor_t *cur = NULL;
    int rc = tqdb_prepare(c, "INSERT INTO kinds VALUES (?, ?, ?, ?, ?, ?, ?, "
                             "?, ?, ?, ?, ?, ?, ?, ?, ?)", &cur, NULL);
    ok(rc == 0 && cur, "prepare an INSERT with 16 placeholders");
    if (!cur)
        return;
    is_int(tqdb_param_count(cur), 16, "16 parameters");
    ok(!tqdb_cursor_readonly(cur), "an INSERT is not read-only");
    tqdb_bind_int(cur, 1, 7);
    tqdb_bind_int(cur, 2, 70000);
    tqdb_bind_int(cur, 3, 9000000000LL);
    tqdb_bind_float(cur, 4, 1.5);
    tqdb_bind_float(cur, 5, 2.25);
    tqdb_bind_text(cur, 6, "12.50", -1);
    tqdb_bind_int(cur, 7, 1);
    tqdb_bind_text(cur, 8, "héllo", -1);
    tqdb_bind_text_static(cur, 9, "vary", 4);
    tqdb_bind_text(cur, 10, "ab", -1);
    tqdb_bind_blob(cur, 11, "\x00\x01\xff", 3);
    tqdb_bind_text(cur, 12, "2025-03-04", -1);
    tqdb_bind_text(cur, 13, "2025-03-04 05:06:07", -1);
    tqdb_bind_text(cur, 14, "2025-03-04 05:06:07+00", -1);
    tqdb_bind_text(cur, 15, "05:06:07", -1);
    tqdb_bind_text(cur, 16, "1 day 02:00:00", -1);
    is_int(tqdb_step(cur), TQDB_DONE, "the INSERT runs");
    is_int(tqdb_changes(c), 1, "one row changed");
    /* Again with NULLs everywhere. */
    tqdb_reset(cur);
    for (int i = 1; i <= 16; i++)
        tqdb_bind_null(cur, i);
    is_int(tqdb_step(cur), TQDB_DONE, "the INSERT of NULLs runs");
    tqdb_cursor_free(&cur);

    rc = tqdb_prepare(c, "SELECT * FROM kinds ORDER BY i2 NULLS LAST", &cur,
                      NULL);
    ok(rc == 0 && cur, "prepare the SELECT");
    if (!cur)
        return;
    is_int(tqdb_column_count(cur), 16, "16 columns before the first step");
    is_str(tqdb_column_name(cur, 1), "i4", "a column's name");
    is_str(tqdb_column_decltype(cur, 6), "boolean", "bool's declared type");
    is_str(tqdb_column_decltype(cur, 8), "character varying(20)",
           "varchar's declared type");
    ok(tqdb_cursor_readonly(cur), "a SELECT is read-only");
    is_int(tqdb_step(cur), TQDB_ROW, "a row");
    tqdb_datum_t row[16];
    tqdb_row(cur, 16, row);
    ok(row[0].type == TQDB_INT && row[0].i == 7, "int2 -> INT");
    ok(row[1].type == TQDB_INT && row[1].i == 70000, "int4 -> INT");
    ok(row[2].type == TQDB_INT && row[2].i == 9000000000LL, "int8 -> INT");
    ok(row[3].type == TQDB_FLOAT && row[3].f == 1.5, "float4 -> FLOAT");
    ok(row[4].type == TQDB_FLOAT && row[4].f == 2.25, "float8 -> FLOAT");
    ok(row[5].type == TQDB_FLOAT && row[5].f == 12.5, "numeric -> FLOAT");
    ok(row[6].type == TQDB_INT && row[6].i == 1, "bool -> INT 1");
    ok(row[7].type == TQDB_TEXT && !strcmp(row[7].s, "héllo") &&
       row[7].len == strlen("héllo"), "text -> TEXT (UTF-8)");
    ok(row[8].type == TQDB_TEXT && !strcmp(row[8].s, "vary"), "varchar");
    ok(row[9].type == TQDB_TEXT && !strcmp(row[9].s, "ab "), "char(3)");
    ok(row[10].type == TQDB_BLOB && row[10].len == 3 &&
       !memcmp(row[10].s, "\x00\x01\xff", 3), "bytea -> BLOB");
    is_str(row[11].s, "2025-03-04", "date as ISO text");
    is_str(row[12].s, "2025-03-04 05:06:07", "timestamp as ISO text");
    is_str(row[13].s, "2025-03-04 05:06:07", "timestamptz in UTC, no offset");
    is_int(row[13].len, 19, "its length");
    is_str(row[14].s, "05:06:07", "time");
    is_str(row[15].s, "1 day 02:00:00", "interval");
    is_int(tqdb_column_int(cur, 2), 9000000000LL, "tqdb_column_int");
    is_str(tqdb_column_text(cur, 1), "70000", "numbers as text");
    is_int((long long)tqdb_column_bytes(cur, 10), 3, "blob bytes");
    is_int(tqdb_step(cur), TQDB_ROW, "the NULL row");
    int nulls = 0;
    for (int i = 0; i < 16; i++)
        nulls += tqdb_column_type(cur, i) == TQDB_NULL;
    is_int(nulls, 16, "NULL -> NULL in every column");
    ok(tqdb_column_text(cur, 7) == NULL, "NULL's text is NULL");
    is_int(tqdb_step(cur), TQDB_DONE, "done");
    is_int(tqdb_step(cur), TQDB_DONE, "done stays done");
    /* Reset runs the statement again. */
    is_int(tqdb_reset(cur), 0, "reset");
    is_int(tqdb_step(cur), TQDB_ROW, "the first row again");
    is_int(tqdb_column_int(cur, 0), 7, "same value");
    tqdb_cursor_free(&cur);

    /* An expression has no declared type. */
    tqdb_prepare(c, "SELECT 1 + 1 AS two, 'x' || 'y'", &cur, NULL);
    is_str(tqdb_column_decltype(cur, 0), "", "an expression's decltype");
    is_int(tqdb_step(cur), TQDB_ROW, "expression row");
    ok(tqdb_column_type(cur, 0) == TQDB_INT && tqdb_column_int(cur, 0) == 2,
       "1 + 1 is INT 2");
    is_str(tqdb_column_name(cur, 0), "two", "alias");
    tqdb_cursor_free(&cur);
}

static void test_placeholders(tqdb_conn_t *c)
{
    tqdb_cursor_t *cur = NULL;
    int rc = tqdb_prepare(c, "SELECT :a::int + ?2::int, :a::int, 'a ? :b', "
                             "\"weird?col\" FROM (SELECT 1 AS \"weird?col\") s "
                             "-- ? in a comment\n", &cur, NULL);
    ok(rc == 0 && cur, "prepare with :name, ?NNN, casts, quotes, comments");
    if (!cur) {
        printf("# %s\n", tqdb_errmsg(c));
        return;
    }
    is_int(tqdb_param_count(cur), 2, "two parameters");
    is_str(tqdb_param_name(cur, 1), ":a", "the first is :a");
    is_str(tqdb_param_name(cur, 2), "?2", "the second is ?2");
    tqdb_bind_int(cur, 1, 40);
    tqdb_bind_int(cur, 2, 2);
    is_int(tqdb_step(cur), TQDB_ROW, "row");
    is_int(tqdb_column_int(cur, 0), 42, ":a + ?2");
    is_int(tqdb_column_int(cur, 1), 40, ":a again");
    is_str(tqdb_column_text(cur, 2), "a ? :b", "a string is left alone");
    tqdb_cursor_free(&cur);

    rc = tqdb_prepare(c, "SELECT $1::int * 2, '{\"a\":1}'::jsonb ? 'a'", &cur,
                      NULL);
    ok(rc == 0 && cur, "$n passes through; then ? stays an operator");
    if (cur) {
        is_int(tqdb_param_count(cur), 1, "one parameter");
        ok(tqdb_param_name(cur, 1) == NULL, "positional: no name");
        tqdb_bind_int(cur, 1, 21);
        tqdb_step(cur);
        is_int(tqdb_column_int(cur, 0), 42, "$1 * 2");
        is_int(tqdb_column_int(cur, 1), 1, "jsonb ? 'a'");
    }
    tqdb_cursor_free(&cur);
}

static void test_tail(tqdb_conn_t *c)
{
    const char *sql = "SELECT 1; /* c */ SELECT ';' ; -- end\n";
    const char *tail = NULL;
    tqdb_cursor_t *cur = NULL;
    tqdb_prepare(c, sql, &cur, &tail);
    ok(cur != NULL, "first statement");
    is_str(tail, " /* c */ SELECT ';' ; -- end\n", "tail after the ';'");
    tqdb_cursor_free(&cur);
    tqdb_prepare(c, tail, &cur, &tail);
    ok(cur != NULL, "second statement");
    if (cur) {
        tqdb_step(cur);
        is_str(tqdb_column_text(cur, 0), ";", "a ';' in a string");
    }
    tqdb_cursor_free(&cur);
    tqdb_prepare(c, tail, &cur, &tail);
    ok(cur == NULL, "a comment alone gives no cursor");
    is_int(exec(c, "CREATE TABLE m (a int); INSERT INTO m VALUES (1), (2);"
                   "UPDATE m SET a = a + 1"), 0, "exec of three statements");
    is_int(tqdb_changes(c), 2, "changes of the last");
}

static int count_rows(tqdb_conn_t *c, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    char *v = scalar(c, sql);
    int n = v ? atoi(v) : -1;
    free(v);
    return n;
}

static void test_transactions(tqdb_conn_t *c)
{
    exec(c, "CREATE TABLE tx (a int)");
    ok(!tqdb_in_transaction(c), "autocommit");
    is_int(tqdb_begin(c), 0, "BEGIN");
    ok(tqdb_in_transaction(c), "in a transaction");
    ok(!tqdb_wrote(c), "nothing written yet");
    tqdb_cursor_t *cur = NULL;
    tqdb_prepare(c, "SELECT count(*) FROM tx", &cur, NULL);
    tqdb_step(cur);
    tqdb_cursor_free(&cur);
    ok(!tqdb_wrote(c), "a SELECT writes nothing");
    exec(c, "INSERT INTO tx VALUES (1)");
    ok(tqdb_wrote(c), "an INSERT wrote");
    is_int(tqdb_savepoint(c, "sp1"), 0, "SAVEPOINT");
    exec(c, "INSERT INTO tx VALUES (2)");
    is_int(count_rows(c, "tx"), 2, "two rows inside");
    is_int(tqdb_rollback_to(c, "sp1"), 0, "ROLLBACK TO");
    is_int(tqdb_release(c, "sp1"), 0, "RELEASE");
    is_int(count_rows(c, "tx"), 1, "one row after the savepoint's rollback");
    /* A failed statement under a savepoint leaves the transaction usable. */
    tqdb_savepoint(c, "sp2");
    ok(tqdb_exec(c, "INSERT INTO tx VALUES ('x')") < 0, "a bad INSERT");
    tqdb_rollback_to(c, "sp2");
    tqdb_release(c, "sp2");
    is_int(count_rows(c, "tx"), 1, "the transaction goes on");
    is_int(tqdb_commit(c), 0, "COMMIT");
    ok(!tqdb_in_transaction(c), "out of the transaction");
    ok(!tqdb_wrote(c), "wrote is about the open transaction");
    tqdb_begin(c);
    exec(c, "INSERT INTO tx VALUES (3)");
    tqdb_rollback(c);
    is_int(count_rows(c, "tx"), 1, "ROLLBACK undoes");
    exec(c, "UPDATE tx SET a = a");
    is_int(tqdb_changes(c), 1, "changes of an UPDATE");
    long long before = tqdb_total_changes(c);
    exec(c, "DELETE FROM tx");
    is_int(tqdb_total_changes(c) - before, 1, "total_changes grows");
    exec(c, "CREATE TABLE ser (id serial PRIMARY KEY, v text)");
    exec(c, "INSERT INTO ser (v) VALUES ('a'), ('b')");
    is_int(tqdb_last_insert_id(c), 2, "last_insert_id is lastval()");
    tqdb_begin(c);
    tqdb_conn_t *fresh = connect_to(url, 0);
    if (fresh) {
        tqdb_begin(fresh);
        is_int(tqdb_last_insert_id(fresh), 0, "no lastval yet: 0");
        is_int(count_rows(fresh, "pg_class") > 0, 1,
               "and the transaction goes on");
        tqdb_rollback(fresh);
        tqdb_close(&fresh);
    }
    tqdb_rollback(c);
}

static void test_errors(tqdb_conn_t *c)
{
    exec(c, "CREATE TABLE u (a int UNIQUE, b int NOT NULL DEFAULT 0)");
    exec(c, "INSERT INTO u VALUES (1, 1)");
    ok(tqdb_exec(c, "INSERT INTO u VALUES (1, 1)") < 0, "duplicate fails");
    is_int(tqdb_errcode(c), TQDB_ERR_INTEGRITY, "unique -> INTEGRITY");
    is_str(tqdb_errmsg(c), "UNIQUE constraint failed: u.a", "SQLite's text");
    tqdb_exec(c, "INSERT INTO u VALUES (2, NULL)");
    is_int(tqdb_errcode(c), TQDB_ERR_INTEGRITY, "not null -> INTEGRITY");
    is_str(tqdb_errmsg(c), "NOT NULL constraint failed: u.b", "its text");
    tqdb_cursor_t *cur = NULL;
    ok(tqdb_prepare(c, "SELECT * FROM nope", &cur, NULL) < 0 && !cur,
       "a missing table fails at prepare");
    is_int(tqdb_errcode(c), TQDB_ERR_ERROR, "as ERROR");
    is_str(tqdb_errmsg(c), "no such table: nope", "SQLite's text");
    tqdb_prepare(c, "SELECT zz FROM u", &cur, NULL);
    is_str(tqdb_errmsg(c), "no such column: zz", "a missing column");
    tqdb_prepare(c, "SELECT nofunc(1)", &cur, NULL);
    is_str(tqdb_errmsg(c), "no such function: nofunc", "a missing function");
    tqdb_prepare(c, "SELEC 1", &cur, NULL);
    ok(strstr(tqdb_errmsg(c), "syntax error") != NULL,
       "others keep PostgreSQL's message");
}

static void test_readonly(void)
{
    tqdb_conn_t *ro = connect_to(url, TQDB_OPEN_READONLY);
    ok(ro != NULL, "open read-only");
    if (!ro)
        return;
    ok(tqdb_readonly(ro), "it says so");
    char sql[256];
    snprintf(sql, sizeof sql, "SET search_path = %s", schema);
    exec(ro, sql);
    is_int(count_rows(ro, "u"), 1, "reads work");
    ok(tqdb_exec(ro, "INSERT INTO u VALUES (5, 5)") < 0, "an INSERT fails");
    is_int(tqdb_errcode(ro), TQDB_ERR_READONLY, "as READONLY");
    is_str(tqdb_errmsg(ro), "attempt to write a readonly database",
           "SQLite's text");
    tqdb_begin(ro);
    ok(tqdb_exec(ro, "UPDATE u SET a = 3") < 0, "in a transaction too");
    is_int(tqdb_errcode(ro), TQDB_ERR_READONLY, "READONLY");
    tqdb_rollback(ro);
    ok(tqdb_exec(ro, "SET default_transaction_read_only = off") < 0,
       "switching read-write on is refused");
    is_int(tqdb_errcode(ro), TQDB_ERR_READONLY, "READONLY");
    tqdb_cursor_t *cur = NULL;
    ok(tqdb_prepare(ro, "SET TRANSACTION READ WRITE", &cur, NULL) < 0,
       "through prepare too");

    /* TEMP tables work inside a read-only session's transaction (where
     * frames live); reads run read-only, functions that write included;
     * a write that slips into a temp write fails the COMMIT */
    tqdb_conn_t *rw = connect_to(url, 0);
    snprintf(sql, sizeof sql, "CREATE FUNCTION %s.bump() RETURNS int "
             "LANGUAGE sql AS 'UPDATE %s.u SET b = b + 1 RETURNING 1'",
             schema, schema);
    ok(rw && exec(rw, sql) == 0, "a function that writes");
    tqdb_close(&rw);
    ok(tqdb_begin(ro) == 0, "BEGIN");
    ok(exec(ro, "CREATE TEMP TABLE scratch (x int)") == 0,
       "CREATE TEMP TABLE in a read-only transaction");
    ok(exec(ro, "INSERT INTO pg_temp.scratch VALUES (1), (2)") == 0,
       "INSERT INTO pg_temp.X");
    is_int(count_rows(ro, "scratch"), 2, "read back");
    ok(tqdb_exec(ro, "SELECT bump()") < 0, "a SELECT of bump() fails");
    is_int(tqdb_errcode(ro), TQDB_ERR_READONLY, "READONLY");
    ok(tqdb_exec(ro, "INSERT INTO scratch VALUES (3)") < 0,
       "an unqualified INSERT is refused before it runs");
    is_int(tqdb_errcode(ro), TQDB_ERR_READONLY, "READONLY");
    ok(tqdb_exec(ro, "WITH d AS (DELETE FROM u RETURNING a) INSERT INTO "
                     "pg_temp.scratch SELECT a FROM d") < 0,
       "a data-changing WITH is refused");
    ok(exec(ro, "DROP TABLE IF EXISTS pg_temp.scratch") == 0,
       "DROP TABLE pg_temp.X");
    ok(tqdb_commit(ro) == 0, "COMMIT");
    char *b0 = scalar(ro, "SELECT sum(b) FROM u");
    ok(tqdb_begin(ro) == 0, "BEGIN again");
    ok(exec(ro, "CREATE TEMP TABLE sneaky AS SELECT bump() AS x") == 0,
       "a temp write that calls bump() runs");
    ok(tqdb_commit(ro) < 0, "but the COMMIT fails");
    is_int(tqdb_errcode(ro), TQDB_ERR_READONLY, "READONLY");
    ok(!tqdb_in_transaction(ro), "and the transaction is rolled back");
    char *b1 = scalar(ro, "SELECT sum(b) FROM u");
    ok(b0 && b1 && !strcmp(b0, b1), "the table is as it was");
    free(b0);
    free(b1);
    tqdb_close(&ro);
}

typedef struct {
    tqdb_conn_t *c;
    double at;
} interrupter_t;

static void *interrupt_later(void *ud)
{
    interrupter_t *it = ud;
    usleep(300 * 1000);
    it->at = now_ms();
    tqdb_interrupt(it->c);
    return NULL;
}

static int stop_after(void *ud)
{
    double *deadline = ud;
    return now_ms() > *deadline;
}

static void test_interrupt(tqdb_conn_t *c)
{
    interrupter_t it = {c, 0};
    pthread_t th;
    pthread_create(&th, NULL, interrupt_later, &it);
    tqdb_cursor_t *cur = NULL;
    tqdb_prepare(c, "SELECT pg_sleep(30)", &cur, NULL);
    int rc = tqdb_step(cur);
    double took = now_ms() - it.at;
    pthread_join(th, NULL);
    is_int(rc, -1, "pg_sleep(30) stops");
    is_int(tqdb_errcode(c), TQDB_ERR_INTERRUPTED, "as INTERRUPTED");
    is_str(tqdb_errmsg(c), "interrupted", "SQLite's text");
    ok(took < 200, "within 200 ms of tqdb_interrupt");
    printf("# stopped %.1f ms after the interrupt\n", took);
    tqdb_cursor_free(&cur);

    double deadline = now_ms() + 300;
    tqdb_set_progress(c, stop_after, &deadline);
    tqdb_prepare(c, "SELECT pg_sleep(30)", &cur, NULL);
    rc = tqdb_step(cur);
    took = now_ms() - deadline;
    tqdb_set_progress(c, NULL, NULL);
    is_int(rc, -1, "the progress callback stops it too");
    is_int(tqdb_errcode(c), TQDB_ERR_INTERRUPTED, "as INTERRUPTED");
    ok(took < 200, "within 200 ms");
    tqdb_cursor_free(&cur);
    char *v = scalar(c, "SELECT 5");
    is_str(v, "5", "the connection works after");
    free(v);
}

static void test_streaming(tqdb_conn_t *c)
{
    tqdb_cursor_t *big = NULL, *other = NULL;
    tqdb_prepare(c, "SELECT g, repeat('x', 100) FROM generate_series(1, "
                    "300000) g", &big, NULL);
    long n = 0, sum = 0;
    while (tqdb_step(big) == TQDB_ROW) {
        n++;
        sum += tqdb_column_int(big, 0);
    }
    is_int(n, 300000, "300,000 rows one at a time");
    is_int(sum, 300000L * 300001L / 2, "all of them");
    tqdb_reset(big);
    /* Another statement while one streams: the first keeps its rows. */
    tqdb_step(big);
    tqdb_step(big);
    tqdb_prepare(c, "SELECT 'inner'", &other, NULL);
    is_int(tqdb_step(other), TQDB_ROW, "a nested statement runs");
    is_str(tqdb_column_text(other, 0), "inner", "with its value");
    tqdb_cursor_free(&other);
    is_int(tqdb_column_int(big, 0), 2, "the outer row is still there");
    n = 2;
    while (tqdb_step(big) == TQDB_ROW)
        n++;
    is_int(n, 300000, "and the outer rows go on");
    /* Freeing a cursor in mid-stream leaves the connection usable. */
    tqdb_reset(big);
    tqdb_step(big);
    tqdb_cursor_free(&big);
    char *v = scalar(c, "SELECT 6");
    is_str(v, "6", "after freeing a half-read cursor");
    free(v);
}

static void test_catalog(tqdb_conn_t *c)
{
    exec(c, "CREATE TABLE station (id integer GENERATED ALWAYS AS IDENTITY "
            "PRIMARY KEY, name text NOT NULL UNIQUE, code varchar(8))");
    exec(c, "CREATE TABLE rental (id bigserial, station_id int REFERENCES "
            "station(id), at date NOT NULL, price numeric(8,2) DEFAULT 0, "
            "PRIMARY KEY (id, at)) PARTITION BY RANGE (at)");
    exec(c, "CREATE TABLE rental_2025 PARTITION OF rental FOR VALUES FROM "
            "('2025-01-01') TO ('2026-01-01')");
    exec(c, "CREATE VIEW busy AS SELECT station_id, count(*) AS n FROM "
            "rental GROUP BY station_id");
    exec(c, "ALTER TABLE station ADD COLUMN gone int");
    exec(c, "ALTER TABLE station DROP COLUMN gone");
    tqdb_catalog_t cat;
    is_int(tqdb_catalog_read(c, &cat), 0, "the catalogue reads");
    ok(cat.nschemas >= 2 && !strcmp(cat.schemas[0], schema),
       "the search path's schema first");
    int publics = 0;
    for (size_t i = 0; i < cat.nschemas; i++) {
        publics += !strcmp(cat.schemas[i], "public");
        ok(strncmp(cat.schemas[i], "pg_", 3) &&
           strcmp(cat.schemas[i], "information_schema"), cat.schemas[i]);
    }
    is_int(publics, 1, "public among the others");
    tqdb_table_info_t *st = NULL, *re = NULL, *bu = NULL;
    int partitions = 0;
    for (size_t i = 0; i < cat.ntables; i++) {
        tqdb_table_info_t *t = &cat.tables[i];
        if (strcmp(t->schema, schema))
            continue;
        if (!strcmp(t->name, "station")) st = t;
        if (!strcmp(t->name, "rental")) re = t;
        if (!strcmp(t->name, "busy")) bu = t;
        if (!strcmp(t->name, "rental_2025")) partitions++;
    }
    ok(st && re && bu, "tables, the partitioned table and the view");
    is_int(partitions, 0, "partitions are not listed");
    if (st) {
        is_int(st->ncols, 3, "station's columns (the dropped one gone)");
        is_str(st->cols[0].name, "id", "attnum order");
        is_int(st->cols[0].pk, 1, "id is the primary key");
        ok(st->cols[0].dflt != NULL, "an identity column has a default");
        is_str(st->cols[2].decltype, "character varying(8)", "format_type");
        ok(st->cols[1].notnull, "NOT NULL");
        ok(st->nunique == 1 && !strcmp(st->unique[0], "name"),
           "the unique column");
        ok(!st->view, "a table");
    }
    if (re) {
        ok(!re->view, "a partitioned table looks like a table");
        is_int(re->ncols, 4, "rental's columns");
        is_int(re->cols[0].pk, 1, "id is key column 1");
        is_int(re->cols[2].pk, 2, "at is key column 2");
        ok(re->cols[0].dflt && strstr(re->cols[0].dflt, "nextval("),
           "a serial's default");
        is_str(re->cols[3].dflt, "0", "a default's text");
        ok(re->nfks == 1 && !strcmp(re->fks[0].from, "station_id") &&
           !strcmp(re->fks[0].to_table, "station") &&
           !strcmp(re->fks[0].to, "id"), "the foreign key");
    }
    if (bu) {
        ok(bu->view, "a view");
        is_int(bu->ncols, 2, "its columns");
    }
    tqdb_catalog_clear(&cat);
}

static void test_schema_version(tqdb_conn_t *c)
{
    long long v1 = tqdb_schema_version(c);
    ok(v1 >= 0, "schema_version reads");
    is_int(tqdb_schema_version(c), v1, "stable");
    exec(c, "INSERT INTO u VALUES (9, 9)");
    is_int(tqdb_schema_version(c), v1, "data does not change it");
    tqdb_begin(c);
    exec(c, "CREATE TABLE sv (a int)");
    long long v2 = tqdb_schema_version(c);
    ok(v2 != v1, "CREATE changes it");
    exec(c, "ALTER TABLE sv RENAME COLUMN a TO b");
    ok(tqdb_schema_version(c) != v2, "a renamed column changes it");
    tqdb_rollback(c);
    is_int(tqdb_schema_version(c), v1, "a rolled-back DDL brings it back");
    exec(c, "ALTER TABLE u ADD COLUMN c int");
    ok(tqdb_schema_version(c) != v1, "ALTER changes it");
}

/* Whether `msg` holds any of the password's texts. */
static void no_password(const char *what, const char *target,
                        const char *password)
{
    char *err = NULL;
    tqdb_conn_t *c = tqdb_open(target, 0, &err);
    ok(c == NULL && err, what);
    if (err) {
        ok(strstr(err, password) == NULL, "  and the password is not shown");
        printf("# %s\n", err);
    }
    tqdb_close(&c);
    free(err);
}

static void test_masking(void)
{
    no_password("a bad percent escape in the password",
                "postgresql://u:hun%zzter2@127.0.0.1:1/db", "zzter2");
    no_password("a keyword string with a bad option",
                "host=127.0.0.1 port=1 password='se cret' bogus=1", "se cret");
    no_password("a refused port", "postgresql://u:hunter2@127.0.0.1:1/db",
                "hunter2");
    no_password("a password in the query",
                "postgresql://127.0.0.1:1/db?password=hunter3&x=%zz",
                "hunter3");
    const char *pw_url = getenv("TABULA_TEST_PG_PASSWORD_URL");
    if (pw_url) {
        tqdb_conn_t *c = connect_to(pw_url, 0);
        ok(c != NULL, "the password user connects");
        tqdb_close(&c);
        /* The same URL with a wrong password: authentication fails. */
        const char *colon = strchr(strstr(pw_url, "://") + 3, ':');
        const char *at = strchr(pw_url, '@');
        char bad[512];
        snprintf(bad, sizeof bad, "%.*sWr0ngPassw0rd%s",
                 (int)(colon + 1 - pw_url), pw_url, at);
        no_password("a wrong password", bad, "Wr0ngPassw0rd");
    }
}

static void test_lost_connection(tqdb_conn_t *c)
{
    char *pid = scalar(c, "SELECT pg_backend_pid()");
    tqdb_conn_t *admin = connect_to(url, 0);
    if (!pid || !admin) {
        ok(0, "lost connection set-up");
        free(pid);
        tqdb_close(&admin);
        return;
    }
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", pid);
    char *done_ = scalar(admin, sql);
    free(done_);
    tqdb_close(&admin);
    usleep(100 * 1000);
    tqdb_cursor_t *cur = NULL;
    int rc = tqdb_prepare(c, "SELECT 1", &cur, NULL);
    if (rc == 0 && cur)
        rc = tqdb_step(cur);
    tqdb_cursor_free(&cur);
    ok(rc < 0, "a statement on a lost connection fails");
    is_int(tqdb_errcode(c), TQDB_ERR_OPERATIONAL, "as OPERATIONAL");
    printf("# %s\n", tqdb_errmsg(c));
    char *again = scalar(c, "SELECT 7");
    is_str(again, "7", "the next statement reconnects");
    free(again);
    char *pid2 = scalar(c, "SELECT pg_backend_pid()");
    ok(pid2 && strcmp(pid, pid2), "on a new backend");
    free(pid);
    free(pid2);
}

static void test_keyword_string(void)
{
    /* postgresql://user@host:port/db -> a keyword string. */
    char user[64], host[64], db[64];
    int port;
    if (sscanf(url, "postgresql://%63[^@]@%63[^:]:%d/%63s", user, host, &port,
               db) != 4) {
        printf("# keyword string: skipped for %s\n", url);
        return;
    }
    char kw[256];
    snprintf(kw, sizeof kw, "host=%s port=%d dbname=%s user=%s", host, port,
             db, user);
    tqdb_conn_t *c = connect_to(kw, 0);
    ok(c != NULL, "a keyword string opens");
    if (c)
        is_str(tqdb_engine(c), "postgresql", "on PostgreSQL");
    tqdb_close(&c);
}

int main(void)
{
    url = getenv("TABULA_TEST_PG");
    if (!url || !*url) {
        printf("1..0 # SKIP TABULA_TEST_PG is not set "
               "(tests/pg/pgcluster.py run -- ...)\n");
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    tqdb_conn_t *c = connect_to(url, 0);
    ok(c != NULL, "connect");
    if (!c)
        return done();
    snprintf(schema, sizeof schema, "tq_test_%d", (int)getpid());
    char sql[512];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; "
             "CREATE SCHEMA %s; SET search_path = %s, public", schema, schema,
             schema);
    exec(c, sql);
    test_open(c);
    test_types(c);
    test_placeholders(c);
    test_tail(c);
    test_transactions(c);
    test_errors(c);
    test_readonly();
    test_interrupt(c);
    test_streaming(c);
    test_catalog(c);
    test_schema_version(c);
    test_masking();
    test_keyword_string();
    test_lost_connection(c);
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
    exec(c, sql);
    tqdb_close(&c);
    return done();
}
