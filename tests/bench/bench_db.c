/*
 * This file implements the helpers the C benchmarks share (bench_db.h):
 * clocks, statements that exit on error, and the best-of-N chart timing.
 */
#include "bench_db.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_cpu_seconds(void)
{
    return seconds_of(CLOCK_PROCESS_CPUTIME_ID);
}

double bench_wall_seconds(void)
{
    return seconds_of(CLOCK_MONOTONIC);
}

void bench_exec(tqdb_conn_t *db, const char *sql)
{
    if (tqdb_exec(db, sql) != 0) {
        fprintf(stderr, "%s: %s\n", sql, tqdb_errmsg(db));
        exit(1);
    }
}

tqdb_cursor_t *bench_prepare(tqdb_conn_t *db, const char *sql)
{
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, sql, &cur, NULL) != 0 || !cur) {
        fprintf(stderr, "%s: %s\n", sql, tqdb_errmsg(db));
        exit(1);
    }
    return cur;
}

tqdb_conn_t *bench_open(const char *path)
{
    char *err = NULL;
    tqdb_conn_t *db = tqdb_open(path, TQDB_OPEN_CREATE, &err);
    if (!db) {
        fprintf(stderr, "%s: %s\n", path, err);
        exit(1);
    }
    return db;
}

void bench_chart_best(tqdb_conn_t *db, const char *sql,
                      const tq_chart_opts_t *o, int reps,
                      double (*clock)(void),
                      int64_t (*scan)(tqdb_conn_t *, const char *),
                      unsigned char **png, size_t *png_len,
                      double *t_chart, double *t_scan)
{
    assert(db && sql && o && clock && scan && png && png_len);
    *png = NULL;
    *png_len = 0;
    *t_scan = 1e9;
    *t_chart = 1e9;
    for (int rep = 0; rep < reps; rep++) {
        double t0 = clock();
        scan(db, sql);
        if (clock() - t0 < *t_scan)
            *t_scan = clock() - t0;
        free(*png);
        *png = NULL;
        tqdb_cursor_t *st = bench_prepare(db, sql);
        char *err = NULL;
        t0 = clock();
        if (tq_chart_png(st, o, png, png_len, &err)) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
        if (clock() - t0 < *t_chart)
            *t_chart = clock() - t0;
        tqdb_cursor_free(&st);
    }
}
