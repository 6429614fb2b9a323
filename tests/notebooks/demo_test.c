/*
 * This file tests the bike-rental demo generator (lang/magic/demo.c) without an
 * interpreter: argument parsing, the tables, keys and indexes it creates,
 * determinism for a seed, the invariants of the data (fees, durations,
 * dates, foreign keys), seasonality, the existing-table rule, progress and
 * stopping, and its speed on a million rentals. Output is TAP.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "magic/demo.h"

static int test_no, failures;

static void ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", ++test_no);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond)
        failures++;
    fflush(stdout);
}

static tqdb_conn_t *open_memory(void)
{
    char *err = NULL;
    tqdb_conn_t *db = tqdb_open(":memory:", TQDB_OPEN_CREATE, &err);
    if (!db) {
        printf("Bail out! cannot open :memory: (%s)\n", err ? err : "?");
        exit(1);
    }
    return db;
}

/* The single integer result of `sql`, or -999999 on error. */
static long long scalar(tqdb_conn_t *db, const char *sql)
{
    tqdb_cursor_t *cur;
    long long v = -999999;
    if (tqdb_prepare(db, sql, &cur, NULL) < 0 || !cur) {
        printf("# SQL error: %s in %s\n", tqdb_errmsg(db), sql);
        return v;
    }
    if (tqdb_step(cur) == TQDB_ROW)
        v = tqdb_column_int(cur, 0);
    tqdb_cursor_free(&cur);
    return v;
}

/* The single text result of `sql` (malloc'd), or NULL. */
static char *text(tqdb_conn_t *db, const char *sql)
{
    tqdb_cursor_t *cur;
    char *v = NULL;
    if (tqdb_prepare(db, sql, &cur, NULL) < 0 || !cur) {
        printf("# SQL error: %s in %s\n", tqdb_errmsg(db), sql);
        return NULL;
    }
    if (tqdb_step(cur) == TQDB_ROW && tqdb_column_text(cur, 0))
        v = strdup(tqdb_column_text(cur, 0));
    tqdb_cursor_free(&cur);
    return v;
}

/* A digest of every row of the three tables, to compare databases. */
static char *digest(tqdb_conn_t *db)
{
    return text(db,
        "SELECT (SELECT group_concat(id || '|' || name || '|' || email || '|'"
        "  || age || '|' || city || '|' || joined, ';') FROM user)"
        " || '#' || (SELECT group_concat(id || '|' || name || '|' || kind"
        "  || '|' || city || '|' || hourly_rate, ';') FROM bike)"
        " || '#' || (SELECT group_concat(id || '|' || user_id || '|' ||"
        "  bike_id || '|' || start_time || '|' || end_time || '|' ||"
        "  duration_minutes || '|' || total_fee, ';') FROM rental)");
}

static void test_parse(void)
{
    tq_demo_opts_t o;
    char *err = NULL;

    ok(tq_demo_parse_args("bikes", &o, &err) == 0 && o.users == 200 &&
       o.bikes == 50 && o.rentals == 10000 && o.seed == 42 && !o.replace,
       "parse: defaults are 200 users, 50 bikes, 10,000 rentals, seed 42");
    ok(tq_demo_parse_args("  bikes --users 10 --bikes=3 --rentals 1_000_000 "
                          "--seed 7 --replace ", &o, &err) == 0 &&
       o.users == 10 && o.bikes == 3 && o.rentals == 1000000 && o.seed == 7
       && o.replace, "parse: every option, both spellings, separators");
    ok(tq_demo_parse_args("bikes --rentals 1,000", &o, &err) == 0 &&
       o.rentals == 1000, "parse: comma separators");

    static const struct {
        const char *args, *needle;
    } bad[] = {
        {"", "needs a data set name"},
        {"cars", "Unknown demo data set 'cars'"},
        {"bikes --rentals", "needs a value"},
        {"bikes --rentals -5", "non-negative whole number, not '-5'"},
        {"bikes --rentals 1__0", "non-negative whole number"},
        {"bikes --users 0", "between 1 and"},
        {"bikes --bikes 99999999", "between 1 and"},
        {"bikes --colour red", "Unknown option '--colour'"},
        {"bikes --seed 99999999999999999999999", "whole number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        int r = tq_demo_parse_args(bad[i].args, &o, &err);
        ok(r == -1 && err && strstr(err, bad[i].needle),
           "parse error for '%s': %s", bad[i].args, err ? err : "(none)");
        free(err);
    }
}

static void test_schema(tqdb_conn_t *db)
{
    ok(scalar(db, "SELECT count(*) FROM user") == 200, "200 users");
    ok(scalar(db, "SELECT count(*) FROM bike") == 50, "50 bikes");
    ok(scalar(db, "SELECT count(*) FROM rental") == 10000, "10,000 rentals");
    char *cols = text(db, "SELECT group_concat(name, ',') FROM "
                          "pragma_table_info('user')");
    ok(cols && !strcmp(cols, "id,name,email,age,city,joined"),
       "user columns: %s", cols ? cols : "?");
    free(cols);
    cols = text(db, "SELECT group_concat(name, ',') FROM "
                    "pragma_table_info('bike')");
    ok(cols && !strcmp(cols, "id,name,kind,city,hourly_rate"),
       "bike columns: %s", cols ? cols : "?");
    free(cols);
    cols = text(db, "SELECT group_concat(name, ',') FROM "
                    "pragma_table_info('rental')");
    ok(cols && !strcmp(cols, "id,user_id,bike_id,start_time,end_time,"
                             "duration_minutes,total_fee"),
       "rental columns: %s", cols ? cols : "?");
    free(cols);
    ok(scalar(db, "SELECT count(*) FROM pragma_table_info('user') "
                  "WHERE name = 'id' AND pk = 1 AND type = 'INTEGER'") == 1,
       "user.id is the INTEGER PRIMARY KEY");
    char *fks = text(db, "SELECT group_concat(\"from\" || '->' || \"table\""
                         " || '.' || \"to\", ',') FROM (SELECT * FROM "
                         "pragma_foreign_key_list('rental') ORDER BY "
                         "\"from\")");
    ok(fks && !strcmp(fks, "bike_id->bike.id,user_id->user.id"),
       "rental foreign keys: %s", fks ? fks : "?");
    free(fks);
    char *idx = text(db, "SELECT group_concat(ii.name, ',') FROM (SELECT "
                         "name FROM pragma_index_list('rental') ORDER BY "
                         "name) il, pragma_index_info(il.name) ii");
    ok(idx && !strcmp(idx, "bike_id,start_time,user_id"),
       "rental indexes on: %s", idx ? idx : "?");
    free(idx);
}

static void test_invariants(tqdb_conn_t *db)
{
    ok(scalar(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0,
       "every foreign key resolves");
    ok(scalar(db, "SELECT count(*) FROM rental WHERE "
                  "abs((julianday(end_time) - julianday(start_time)) * 1440"
                  " - duration_minutes) > 0.01") == 0,
       "end_time = start_time + duration_minutes");
    ok(scalar(db, "SELECT count(*) FROM rental r JOIN bike b ON "
                  "b.id = r.bike_id WHERE abs(r.total_fee - "
                  "b.hourly_rate * r.duration_minutes / 60.0) > 0.00501 "
                  "OR abs(r.total_fee * 100 - round(r.total_fee * 100)) "
                  "> 1e-6") == 0,
       "total_fee = hourly_rate * duration rounded to cents");
    ok(scalar(db, "SELECT count(*) FROM rental WHERE start_time NOT GLOB "
                  "'20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]"
                  ":[0-5][0-9]' OR datetime(start_time) IS NOT start_time "
                  "OR datetime(end_time) IS NOT end_time") == 0,
       "times are valid 'YYYY-MM-DD HH:MM:SS' text");
    ok(scalar(db, "SELECT min(start_time) >= '2024-01-01' AND "
                  "max(start_time) < '2027-01-01' FROM rental") == 1,
       "rentals start in 2024-2026");
    ok(scalar(db, "SELECT count(DISTINCT substr(start_time, 1, 4)) "
                  "FROM rental") == 3, "every one of the three years occurs");
    ok(scalar(db, "SELECT count(DISTINCT substr(start_time, 1, 7)) FROM "
                  "rental WHERE start_time LIKE '2025%'") == 12,
       "2025 has rentals in all 12 months");
    ok(scalar(db, "SELECT min(duration_minutes) >= 5 AND "
                  "max(duration_minutes) <= 480 FROM rental") == 1,
       "durations between 5 minutes and 8 hours");
    ok(scalar(db, "SELECT min(age) >= 18 AND max(age) <= 75 FROM user") == 1,
       "ages 18-75");
    ok(scalar(db, "SELECT count(*) FROM user WHERE joined >= "
                  "'2024-01-01'") == 0, "users joined before the rentals");
    ok(scalar(db, "SELECT count(DISTINCT email) FROM user") == 200,
       "e-mail addresses are unique");
    ok(scalar(db, "SELECT count(DISTINCT name) FROM bike") == 50,
       "bike names are unique");
    ok(scalar(db, "SELECT count(DISTINCT kind) FROM bike") >= 4,
       "several bike kinds");
    /* Seasonality: in each year July has clearly more rentals than
     * January, and 2025 more than 2024. */
    for (int y = 2024; y <= 2026; y++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT count(*) FROM rental WHERE start_time "
                 "LIKE '%d-07%%') > 2 * (SELECT count(*) FROM rental WHERE "
                 "start_time LIKE '%d-01%%')", y, y);
        ok(scalar(db, sql) == 1, "July %d busier than twice January", y);
    }
    ok(scalar(db, "SELECT (SELECT count(*) FROM rental WHERE start_time "
                  "LIKE '2025%') > (SELECT count(*) FROM rental WHERE "
                  "start_time LIKE '2024%')") == 1, "2025 grows over 2024");
    /* A few heavy users: the top spender spends well above the median. */
    ok(scalar(db, "WITH s AS (SELECT sum(total_fee) AS x FROM rental GROUP "
                  "BY user_id) SELECT (SELECT max(x) FROM s) > 3 * (SELECT x "
                  "FROM s ORDER BY x LIMIT 1 OFFSET (SELECT count(*) / 2 "
                  "FROM s))") == 1, "spend is skewed (top > 3 x median)");
    /* Users mostly ride in their own city. */
    ok(scalar(db, "SELECT 100 * sum(u.city = b.city) / count(*) FROM rental "
                  "r JOIN user u ON u.id = r.user_id JOIN bike b ON "
                  "b.id = r.bike_id") >= 80, "most rentals in the user's city");
}

/* Pinned figures of the default demo (seed 42): the notebooks' stored
 * outputs and prose rely on them, so a change to the generator must be
 * deliberate (update these, then re-execute the notebooks). */
static void test_pinned(tqdb_conn_t *db)
{
    char *s = text(db, "SELECT printf('%.2f|%d|%s|%s|%s', sum(total_fee), "
                       "sum(duration_minutes), (SELECT name FROM user WHERE "
                       "id = 1), (SELECT name FROM bike WHERE id = 1), "
                       "(SELECT start_time FROM rental WHERE id = 1)) "
                       "FROM rental");
    ok(s && !strcmp(s, "189385.27|900362|Daniel Lambert|Lucky Arrow|"
                       "2024-07-28 17:47:22"),
       "seed 42 gives the pinned data: %s", s ? s : "?");
    free(s);
}

static void test_determinism(const char *first)
{
    tqdb_conn_t *db = open_memory();
    tq_demo_opts_t o;
    char *err = NULL;
    tq_demo_opts_default(&o);
    ok(tq_demo_bikes(db, &o, NULL, NULL, &err) == 0, "second run, seed 42");
    char *second = digest(db);
    ok(first && second && !strcmp(first, second),
       "the same seed gives the same rows");
    free(second);
    tqdb_close(&db);

    db = open_memory();
    o.seed = 43;
    ok(tq_demo_bikes(db, &o, NULL, NULL, &err) == 0, "run with seed 43");
    char *other = digest(db);
    ok(first && other && strcmp(first, other) != 0,
       "another seed gives other rows");
    free(other);
    tqdb_close(&db);
}

static void test_exists(tqdb_conn_t *db)
{
    tq_demo_opts_t o;
    char *err = NULL;
    tq_demo_opts_default(&o);
    o.rentals = 5;
    int r = tq_demo_bikes(db, &o, NULL, NULL, &err);
    ok(r == TQ_DEMO_EEXIST && err && strstr(err, "table 'user'") &&
       strstr(err, "--replace"), "existing tables: %s", err ? err : "?");
    free(err);
    ok(scalar(db, "SELECT count(*) FROM rental") == 10000,
       "existing tables are left alone");
    o.replace = true;
    err = NULL;
    r = tq_demo_bikes(db, &o, NULL, NULL, &err);
    ok(r == 0, "--replace recreates (%s)", err ? err : "no error");
    free(err);
    ok(scalar(db, "SELECT count(*) FROM rental") == 5,
       "after --replace: 5 rentals");

    /* A table named differently in case counts too (SQLite names are
     * case-insensitive). */
    tqdb_conn_t *db2 = open_memory();
    tqdb_exec(db2, "CREATE TABLE Bike (x)");
    o.replace = false;
    err = NULL;
    r = tq_demo_bikes(db2, &o, NULL, NULL, &err);
    ok(r == TQ_DEMO_EEXIST && scalar(db2, "SELECT count(*) FROM "
                                          "sqlite_master WHERE name = 'user'") == 0,
       "a table 'Bike' blocks the demo and nothing is created");
    free(err);
    tqdb_close(&db2);
}

typedef struct progress_log {
    long long calls, last_done, last_total, stop_at;
    int monotone;
} progress_log_t;

static int record_progress(void *ud, int64_t done, int64_t total)
{
    progress_log_t *p = ud;
    if (done < p->last_done)
        p->monotone = 0;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return p->stop_at && done >= p->stop_at;
}

static void test_progress_and_stop(void)
{
    tqdb_conn_t *db = open_memory();
    tq_demo_opts_t o;
    char *err = NULL;
    tq_demo_opts_default(&o);
    o.rentals = 50000;
    progress_log_t p = {.monotone = 1};
    ok(tq_demo_bikes(db, &o, record_progress, &p, &err) == 0,
       "50,000 rentals with a progress callback");
    ok(p.calls >= 10 && p.monotone && p.last_done == p.last_total &&
       p.last_total == 200 + 50 + 50000,
       "progress: %lld calls, monotone, ends at %lld of %lld", p.calls,
       p.last_done, p.last_total);
    tqdb_close(&db);

    db = open_memory();
    tqdb_exec(db, "CREATE TABLE keep (x); BEGIN; INSERT INTO keep "
                  "VALUES (1);");
    progress_log_t stop = {.monotone = 1, .stop_at = 20000};
    err = NULL;
    int r = tq_demo_bikes(db, &o, record_progress, &stop, &err);
    ok(r == TQ_DEMO_EINTERRUPTED && err && strstr(err, "interrupted"),
       "a progress callback can stop it: %s", err ? err : "?");
    free(err);
    ok(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                  "('user', 'bike', 'rental')") == 0 &&
       tqdb_in_transaction(db) &&
       scalar(db, "SELECT count(*) FROM keep") == 1,
       "a stop rolls back to the savepoint; the outer transaction lives");
    tqdb_commit(db);
    tqdb_close(&db);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_million(void)
{
    tqdb_conn_t *db = open_memory();
    tq_demo_opts_t o;
    char *err = NULL;
    tq_demo_opts_default(&o);
    o.rentals = 1000000;
    double t0 = now();
    int r = tq_demo_bikes(db, &o, NULL, NULL, &err);
    double secs = now() - t0;
    printf("# 1,000,000 rentals in %.2f s\n", secs);
    /* Generous bound: a few seconds on a laptop, slower under sanitizers. */
    ok(r == 0 && scalar(db, "SELECT count(*) FROM rental") == 1000000 &&
       secs < 60, "1,000,000 rentals in %.2f s", secs);
    free(err);
    tqdb_close(&db);
}

int main(void)
{
    test_parse();

    tqdb_conn_t *db = open_memory();
    tq_demo_opts_t o;
    char *err = NULL;
    tq_demo_opts_default(&o);
    int r = tq_demo_bikes(db, &o, NULL, NULL, &err);
    ok(r == 0, "default demo (%s)", err ? err : "no error");
    free(err);
    ok(!tqdb_in_transaction(db), "outside a transaction it commits");
    test_schema(db);
    test_invariants(db);
    test_pinned(db);
    char *first = digest(db);
    test_determinism(first);
    free(first);
    test_exists(db);
    tqdb_close(&db);

    test_progress_and_stop();
    test_million();

    printf("1..%d\n", test_no);
    return failures ? 1 : 0;
}
