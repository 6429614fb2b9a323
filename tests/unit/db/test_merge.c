/*
 * This file tests SQLite's merge-join functions (tq_merge_load,
 * tq_merge_take, tq_merge_has, tq_merge_value, tq_merge_finish in
 * lang/db/sqlite.c) through db.h, where a session cannot reach them: an
 * UPDATE from rows loaded writes every row with its value kept as loaded
 * (integer, real, text, blob, NULL); one interrupted half-way undoes its
 * writes and leaves the connection usable; rows loaded and never
 * finished are forgotten as the connection closes (under ASan a
 * connection SQLite could not close would leak). Rows lent from memory
 * (tqdb_merge_lend) are read in place: integers, doubles, NaN as NULL, a
 * key's first row; keys that do not ascend are refused, and the refusals
 * (keys out of order, a key absent) are told by tqdb_merge_refusal, not
 * by their message; the lent arrays are never freed by the engine (ASan:
 * they are freed here after the connection closes).
 */
#include <math.h>
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

typedef struct {
    int calls;
    size_t last;
} heard_t;

/* The lent rows' watcher: counts its calls. */
static void heard(void *ud, size_t row)
{
    heard_t *h = ud;
    h->calls++;
    h->last = row;
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

    /* rows lent: keys with gaps and a repeat (its first row counts) */
    int64_t *keys = malloc(ROWS * sizeof *keys);
    int64_t *iv = malloc(ROWS * sizeof *iv);
    double *x = malloc(ROWS * sizeof *x);
    for (int i = 0; i < ROWS; i++) {
        keys[i] = 2 * (i / 2) + 1;          /* 1 1 3 3 5 5 ... */
        iv[i] = (int64_t)i * 1000003;
        x[i] = i % 3 == 0 ? NAN : i + 0.5;
    }
    tqdb_merge_col_t cols[2] = {{iv, NULL}, {NULL, x}};
    ok(tqdb_merge_lend(c, "f", keys, ROWS, cols, 2, NULL, NULL) == 0,
       "rows lent over rows loaded");
    ok(tqdb_exec(c, "CREATE TABLE u (id INTEGER PRIMARY KEY, a, b);"
                 "INSERT INTO u SELECT id, NULL, 7 FROM t;") == 0, "u made");
    ok(tqdb_exec(c, "UPDATE u SET a = tq_merge_take('f', id, 1), "
                 "b = tq_merge_take('f', id, 2)") < 0,
       "a key lent lacks: refused");
    is_int(tqdb_merge_refusal(c), TQDB_MERGE_ABSENT, "told as absent");
    ok(tqdb_exec(c, "UPDATE u SET a = tq_merge_value('f', id, 1), "
                 "b = tq_merge_value('f', id, 2) WHERE tq_merge_has('f', id)")
       == 0, "the keys lent written");
    is_int(tqdb_merge_refusal(c), TQDB_MERGE_NONE, "no refusal kept");
    is_int(count(c, "SELECT count(*) FROM u WHERE id % 2 = 1 AND "
                 "typeof(a) = 'integer' AND a = ((id - 1) * 1000003) AND "
                 "(CASE WHEN (id - 1) % 3 = 0 THEN b IS NULL ELSE "
                 "typeof(b) = 'real' AND b = id - 0.5 END)"), ROWS / 2,
           "integers and doubles of each key's first row, NaN as NULL");
    is_int(count(c, "SELECT count(*) FROM u WHERE id % 2 = 0 AND a IS NULL "
                 "AND b = 7"), ROWS / 2, "the other rows left alone");
    ok(tqdb_exec(c, "SELECT tq_merge_value('f', 2.0, 1)") < 0,
       "a key not an integer: refused");
    is_int(tqdb_merge_refusal(c), TQDB_MERGE_UNORDERED, "told as unordered");
    ok(tqdb_exec(c, "SELECT no_such_function()") < 0, "another error");
    is_int(tqdb_merge_refusal(c), TQDB_MERGE_NONE, "no refusal");
    ok(tqdb_merge_finish(c, "f") == 0 && tqdb_merge_finish(c, "f") == 0,
       "finished (twice: nothing left)");
    ok(tqdb_exec(c, "SELECT tq_merge_has('f', 1)") < 0,
       "nothing lent by that name any more");
    is_int(tqdb_merge_refusal(c), TQDB_MERGE_NONE, "an error, no refusal");

    keys[7] = 0;                            /* below the key before it */
    ok(tqdb_merge_lend(c, "g", keys, ROWS, cols, 2, NULL, NULL) < 0,
       "keys out of order");
    is_int(tqdb_merge_refusal(c), TQDB_MERGE_UNORDERED, "told as unordered");
    ok(tqdb_exec(c, "SELECT tq_merge_has('g', 1)") < 0, "nothing kept");
    keys[7] = 7;

    /* lent rows replaced by rows loaded under the same name (the lent
     * arrays are not reused), then lent again and left to the close */
    ok(tqdb_merge_lend(c, "f", keys, ROWS, cols, 1, NULL, NULL) == 0,
       "lent again");
    is_int(count(c, load), ROWS, "loaded over rows lent");
    is_int(count(c, "SELECT tq_merge_value('f', 5, 1) = 10"), 1,
           "the rows loaded are read");
    ok(tqdb_merge_lend(c, "h", keys, ROWS, cols, 2, NULL, NULL) == 0,
       "lent, kept");
    is_int(count(c, "SELECT tq_merge_value('h', 5, 1)"), 4 * 1000003,
           "read in place");

    /* how far the rows lent are read: every TQDB_MERGE_AT_EVERY rows */
    enum { SPAN = 3 * TQDB_MERGE_AT_EVERY + 5 };
    int64_t *span = malloc(SPAN * sizeof *span);
    for (int i = 0; i < SPAN; i++)
        span[i] = i + 1;
    heard_t h = {0};
    ok(tqdb_merge_lend(c, "p", span, SPAN, cols, 0, heard, &h) == 0,
       "lent with a watcher");
    snprintf(sql, sizeof sql, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
             "SELECT i + 1 FROM n WHERE i < %d) SELECT sum(tq_merge_has('p',"
             " i)) FROM n", SPAN);
    is_int(count(c, sql), SPAN, "every key found");
    is_int(h.calls, 3, "told three times");
    is_int((long long)h.last, 3 * TQDB_MERGE_AT_EVERY, "at the row reached");
    tqdb_close(&c);
    free(span);
    free(keys);
    free(iv);
    free(x);
    return done();
}
