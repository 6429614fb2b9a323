/*
 * This file benchmarks charts of many points (figures, not pass/fail):
 * line and scatter charts of N points (default 1M) drawn into PNG at the
 * kernel's 2x, with x ordered, x unordered (rows in a shuffled order) and
 * a scatter, each the best of `reps` runs against the bare scan of the
 * same statement, in CPU milliseconds of this process (the machine is
 * shared). chart_bench.py runs it next to pandas + matplotlib on
 * the same data. Usage:
 *   chart-bench [N [REPS [OUT-DIR [CASES]]]]
 *   (defaults 1000000, 3, /tmp, 012: the cases' numbers to run)
 * The points: x = i, y = sin(i / (N / 50)) * 100 + (i % 1000) / 50, in a
 * table of SQLite's memory; "unordered" reads a copy of the table stored
 * in the order of a hash of i (a plain scan, rows in a shuffled order).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_db.h"
#include "render/render.h"

/* Steps `sql` to its end reading both columns; returns rows. */
static int64_t scan(tqdb_conn_t *db, const char *sql)
{
    tqdb_cursor_t *st = bench_prepare(db, sql);
    int64_t n = 0;
    tqdb_datum_t row[2];
    volatile double sink = 0;
    while (tqdb_step(st) == TQDB_ROW) {
        n++;
        tqdb_row(st, 2, row);
        sink += row[1].type == TQDB_FLOAT ? row[1].f : 1;
    }
    (void)sink;
    tqdb_cursor_free(&st);
    return n;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    const char *which = argc > 4 ? argv[4] : "012";
    tqdb_conn_t *db = bench_open(":memory:");
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TABLE pts(x INTEGER PRIMARY KEY, y REAL, h INT);"
             "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
             "WHERE i < %ld) INSERT INTO pts SELECT i, sin(i / %f) * 100 + "
             "(i %% 1000) / 50.0, (i * 2654435761) %% 4294967296 FROM c;"
             "CREATE TABLE upts AS SELECT x, y FROM pts ORDER BY h;",
             n - 1, n / 50.0);
    bench_exec(db, sql);
    static const struct {
        const char *sql, *what;
        tq_chart_kind_t kind;
    } cases[] = {
        {"SELECT x, y FROM pts ORDER BY x", "line, x ordered",
         TQ_CHART_LINE},
        {"SELECT x, y FROM upts", "line, x unordered",
         TQ_CHART_LINE},
        {"SELECT x, y FROM pts ORDER BY x", "scatter", TQ_CHART_SCATTER},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
        if (!strchr(which, (int)('0' + ci)))
            continue;
        tq_chart_opts_t o = {.kind = cases[ci].kind, .title = "points",
                             .scale = 2};
        unsigned char *png;
        size_t png_len;
        double t_chart, t_scan;
        bench_chart_best(db, cases[ci].sql, &o, reps, bench_cpu_seconds,
                         scan, &png, &png_len, &t_chart, &t_scan);
        char path[512];
        snprintf(path, sizeof path, "%s/tq-chart-bench-%zu.png", dir, ci);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(png, 1, png_len, f);
            fclose(f);
        }
        free(png);
        printf("tabula\t%s\t%ld\t%.1f\t%.1f\t%s\n", cases[ci].what, n,
               t_chart * 1e3, t_scan * 1e3, path);
        fflush(stdout);
    }
    tqdb_close(&db);
    return 0;
}
