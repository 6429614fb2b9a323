/*
 * This file tests SQLite's merge-join functions (tq_merge_load,
 * tq_merge_take, tq_merge_has, tq_merge_value, tq_merge_finish in
 * lang/db/sqlite.c) through db.h, where a session cannot reach them: an
 * UPDATE from rows loaded writes every row with its value kept as loaded
 * (integer, real, text, blob, NULL); one interrupted half-way undoes its
 * writes and leaves the connection usable; rows loaded and never
 * finished are forgotten as the connection closes (under ASan a
 * connection SQLite could not close would leak).
 */
#include <stdlib.h>

#include "db/db.h"
#include "tap.h"

#define ROWS 20000

typedef struct {
    tqdb_conn_t *c;
    int calls;
} stopper_t;

/* The progress callback: interrupts the connection on its 5th call. */
static int interrupt_soon(void *ud)
{
    stopper_t *s = ud;
    if (++s->calls == 5)
        tqdb_interrupt(s->c);
    return 0;
}

static long long count(tqdb_conn_t *c, const char *sql)
{
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(c, sql, &cur, NULL) < 0 || tqdb_step(cur) != TQDB_ROW) {
        printf("# %s: %s\n", sql, tqdb_errmsg(c));
        tqdb_cursor_free(&cur);
        return -1;
    }
    long long n = tqdb_column_int(cur, 0);
    tqdb_cursor_free(&cur);
    return n;
}

int main(void)
{
    char *err = NULL;
    tqdb_conn_t *c = tqdb_open(":memory:", TQDB_OPEN_CREATE, &err);
    ok(c != NULL, "opens");
    if (!c) {
        printf("# %s\n", err);
        return done();
    }
    char sql[600];
    snprintf(sql, sizeof sql,
             "CREATE TABLE t (id INTEGER PRIMARY KEY, v);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < %d) INSERT INTO t SELECT i, 0 FROM n;"
             "CREATE TEMP TABLE f AS SELECT id AS k, CASE id %% 5 WHEN 0 THEN"
             " id * 2 WHEN 1 THEN id / 2.0 WHEN 2 THEN 'x' || id WHEN 3 THEN"
             " CAST('b' || id AS BLOB) END AS v FROM t ORDER BY id;", ROWS);
    ok(tqdb_exec(c, sql) == 0, "tables made");
    const char *load = "SELECT tq_merge_load('f', k, v) FROM temp.f";
    const char *update = "UPDATE t SET v = tq_merge_take('f', t.id, 1)";

    is_int(count(c, load), ROWS, "every row loaded");
    stopper_t s = {c, 0};
    tqdb_set_progress(c, interrupt_soon, &s);
    ok(tqdb_exec(c, update) < 0, "the UPDATE is interrupted");
    is_int(tqdb_errcode(c), TQDB_ERR_INTERRUPTED, "as an interruption");
    tqdb_set_progress(c, NULL, NULL);
    is_int(count(c, "SELECT count(*) FROM t WHERE v IS NOT 0"), 0,
           "the next statement runs, nothing written");

    ok(tqdb_exec(c, update) == 0, "the UPDATE runs again");
    is_int(tqdb_changes(c), ROWS, "every row");
    is_int(count(c, "SELECT count(*) FROM t JOIN temp.f ON f.k = t.id "
                 "WHERE t.v IS f.v AND typeof(t.v) = typeof(f.v)"), ROWS,
           "every value as loaded, of its type");
    is_int(count(c, "SELECT tq_merge_finish('f')"), 1, "forgotten");
    ok(tqdb_exec(c, update) < 0, "nothing loaded by that name any more");

    is_int(count(c, load), ROWS, "loaded again, never finished");
    tqdb_close(&c);
    return done();
}
