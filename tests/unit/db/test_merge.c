/*
 * This file tests SQLite's merge-join functions (tq_merge_has,
 * tq_merge_value, tq_merge_finish in lang/db/sqlite.c) through db.h where
 * a session cannot reach them: an UPDATE interrupted half-way (by
 * tqdb_interrupt, whose flag SQLite keeps while any statement is active)
 * leaves no cursor running, so the next statements run and the cursor's
 * table can be dropped before tq_merge_finish; and a complete one after
 * it writes every row; a cursor left unfinished is forgotten as the
 * connection closes.
 */
#include <stdlib.h>

#include "db/db.h"
#include "tap.h"

#define ROWS 20000

static const char cursor[] =
    "'SELECT k, v FROM temp.f ORDER BY rowid'";

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
             "CREATE TABLE t (id INTEGER PRIMARY KEY, v integer NOT NULL);"
             "CREATE TEMP TABLE f (k integer, v integer);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < %d) INSERT INTO t SELECT i, 0 FROM n;"
             "INSERT INTO f SELECT id, id * 2 FROM t;", ROWS);
    ok(tqdb_exec(c, sql) == 0, "tables made");
    char update[600];
    snprintf(update, sizeof update,
             "UPDATE t SET v = tq_merge_value(%s, t.id, 1) "
             "WHERE tq_merge_has(%s, t.id)", cursor, cursor);
    char finish[200];
    snprintf(finish, sizeof finish, "SELECT tq_merge_finish(%s)", cursor);

    stopper_t s = {c, 0};
    tqdb_set_progress(c, interrupt_soon, &s);
    ok(tqdb_exec(c, update) < 0, "the UPDATE is interrupted");
    is_int(tqdb_errcode(c), TQDB_ERR_INTERRUPTED, "as an interruption");
    tqdb_set_progress(c, NULL, NULL);
    is_int(count(c, "SELECT count(*) FROM t WHERE v != 0"), 0,
           "the next statement runs, nothing written");
    ok(tqdb_exec(c, "DROP TABLE temp.f") == 0,
       "no cursor holds its table");
    /* a constraint that fails half-way: the cursor stops too */
    snprintf(sql, sizeof sql, "CREATE TEMP TABLE f AS SELECT id AS k, "
             "CASE WHEN id < %d THEN 1 END AS v FROM t ORDER BY id", ROWS / 2);
    ok(tqdb_exec(c, sql) == 0, "a frame with a NULL half-way");
    ok(tqdb_exec(c, update) < 0, "the UPDATE fails");
    is_str(tqdb_errmsg(c), "NOT NULL constraint failed: t.v", "on NOT NULL");
    ok(tqdb_exec(c, "DROP TABLE temp.f") == 0,
       "no cursor holds its table");
    snprintf(sql, sizeof sql, "CREATE TEMP TABLE f AS SELECT id AS k, "
             "id * 2 AS v FROM t ORDER BY id");
    ok(tqdb_exec(c, sql) == 0, "the table made anew");
    ok(tqdb_exec(c, "SELECT tq_merge_finish('SELECT 1')") == 0,
       "a cursor no statement used is read whole");

    ok(tqdb_exec(c, update) == 0, "the UPDATE runs again");
    is_int(tqdb_changes(c), ROWS, "every row");
    is_int(count(c, finish), 1, "its cursor was in order");
    is_int(count(c, "SELECT count(*) FROM t WHERE v = 2 * id"), ROWS,
           "every row from its key");
    ok(tqdb_exec(c, "DROP TABLE temp.f") == 0,
       "no cursor holds the table");
    /* a cursor never finished: closing the connection forgets it (under
     * ASan a connection left open would leak) */
    ok(tqdb_exec(c, "SELECT tq_merge_has('SELECT 1', 1)") == 0,
       "a cursor left unfinished");
    tqdb_close(&c);
    return done();
}
