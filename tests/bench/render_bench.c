/*
 * This file benchmarks the renderers (figures, not pass/fail; one run
 * each): the HTML and text tables of a 10M-row query, split into the
 * query's own SQL time (count, head LIMIT, tail OFFSET run bare) and the
 * time spent beyond it; a line chart of 1M points against the bare scan of
 * the same statement (best of 5 each; 1x, 2x, and x unordered); an ER
 * diagram of 100 tables. Usage:
 *   render-bench [DB-FILE]   (default /tmp/tq-render-bench.sqlite, built
 *                             on first use: 10M rows, about 400 MB)
 * render_bench.py draws the same 1M-point chart with pandas + matplotlib.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_db.h"
#include "render/render.h"

/* Wall time: the figures are one-off runs on an otherwise idle database. */
static double now(void)
{
    return bench_wall_seconds();
}

/* Steps `sql` to its end reading every column's value (the least any
 * consumer of the rows pays); returns rows. */
static int64_t scan(tqdb_conn_t *db, const char *sql)
{
    tqdb_cursor_t *st = bench_prepare(db, sql);
    int64_t n = 0;
    int ncols = tqdb_column_count(st);
    tqdb_datum_t row[16];
    if (ncols > 16)
        ncols = 16;
    volatile double sink = 0;
    while (tqdb_step(st) == TQDB_ROW) {
        n++;
        tqdb_row(st, ncols, row);
        for (int c = 0; c < ncols; c++)
            sink += row[c].type == TQDB_INT ? (double)row[c].i
                  : row[c].type == TQDB_FLOAT ? row[c].f : 1;
    }
    (void)sink;
    tqdb_cursor_free(&st);
    return n;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/tmp/tq-render-bench.sqlite";
    bool fresh = access(path, F_OK) != 0;
    tqdb_conn_t *db = bench_open(path);
    if (fresh) {
        double t = now();
        bench_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                 "CREATE TABLE big(id INTEGER PRIMARY KEY, name TEXT, "
                 "value REAL, n INT);"
                 "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 "
                 "FROM c WHERE i < 10000000) INSERT INTO big SELECT i, "
                 "'name ' || i, i * 0.25, i % 97 FROM c;");
        printf("# built %s with 10M rows in %.1f s\n", path, now() - t);
    }
    bench_exec(db, "CREATE TEMP TABLE pts(x INTEGER PRIMARY KEY, y REAL);"
             "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
             "WHERE i < 999999) INSERT INTO pts SELECT i, "
             "sin(i / 20000.0) * 100 + (i % 1000) / 50.0 FROM c;");

    /* 1. HTML + text of a 10M-row query, max_rows 60. */
    const char *q10 = "SELECT id, name, value, n FROM big";
    double t0 = now();
    int64_t total = 0;
    {
        tqdb_cursor_t *st = bench_prepare(db, "SELECT count(*) FROM (SELECT id, "
                                    "name, value, n FROM big)");
        tqdb_step(st);
        total = tqdb_column_int(st, 0);
        tqdb_cursor_free(&st);
    }
    double t_count = now() - t0;
    t0 = now();
    scan(db, "SELECT * FROM (SELECT id, name, value, n FROM big) LIMIT 30");
    double t_head = now() - t0;
    char tail[200];
    snprintf(tail, sizeof tail, "SELECT * FROM (SELECT id, name, value, n "
             "FROM big) LIMIT 30 OFFSET %" PRId64, total - 30);
    t0 = now();
    scan(db, tail);
    double t_tail = now() - t0;
    double t_sql = t_count + t_head + t_tail;

    t0 = now();
    tq_sql_t q = {q10, NULL, NULL};
    tq_table_t t;
    char *err = NULL;
    if (tq_table_fetch(db, &q, 60, &t, &err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    t.has_index = true;
    double t1 = now();
    char *html = tq_html_table(&t);
    char *text = tq_text_table(&t);
    double t_render = now() - t1;
    double t_all = now() - t0;
    printf("table of %" PRId64 " rows (max_rows 60): SQL alone %.1f ms "
           "(count %.1f, head %.2f, tail %.1f); fetch+render %.1f ms; "
           "beyond SQL %.2f ms (render %.2f ms); html %zu bytes\n",
           total, t_sql * 1e3, t_count * 1e3, t_head * 1e3, t_tail * 1e3,
           t_all * 1e3, (t_all - t_sql) * 1e3, t_render * 1e3, strlen(html));
    free(html);
    free(text);
    tq_table_clear(&t);

    /* 2. 1M-point line chart: the best of 5 runs of each, interleaved,
     * since a shared machine adds noise of its own; at 1x, at the 2x the
     * kernel draws, and with x in a shuffled order (rows drawn in row
     * order: the second, streamed pass). */
    static const struct {
        const char *sql, *what;
        int scale;
    } lines[] = {
        {"SELECT x, y FROM pts ORDER BY x", "1x", 1},
        {"SELECT x, y FROM pts ORDER BY x", "2x", 2},
        {"SELECT x, y FROM pts ORDER BY y", "2x, x unordered", 2},
    };
    for (size_t li = 0; li < sizeof lines / sizeof *lines; li++) {
        const char *qline = lines[li].sql;
        tq_chart_opts_t o = {.kind = TQ_CHART_LINE, .title = "1M points",
                             .scale = lines[li].scale};
        unsigned char *png;
        size_t png_len;
        double t_chart, t_scan;
        bench_chart_best(db, qline, &o, 5, bench_wall_seconds, scan, &png,
                         &png_len, &t_chart, &t_scan);
        char path[64];
        snprintf(path, sizeof path, "/tmp/tq-render-bench-line%zu.png", li);
        FILE *f = fopen(path, "wb");
        fwrite(png, 1, png_len, f);
        fclose(f);
        free(png);
        printf("line chart of 1M points, %s (best of 5): %.1f ms total, "
               "statement scan alone %.1f ms, beyond the scan %.1f ms (PNG "
               "%zu bytes, %s)\n", lines[li].what, t_chart * 1e3,
               t_scan * 1e3, (t_chart - t_scan) * 1e3, png_len, path);
    }

    /* 3. ER diagram of 100 tables. */
    tqdb_conn_t *mem = bench_open(":memory:");
    for (int i = 0; i < 100; i++) {
        char sql[512];
        if (i == 0)
            snprintf(sql, sizeof sql, "CREATE TABLE t0(id INTEGER PRIMARY "
                     "KEY, name TEXT NOT NULL, created TEXT, score REAL)");
        else
            snprintf(sql, sizeof sql, "CREATE TABLE t%d(id INTEGER PRIMARY "
                     "KEY, name TEXT NOT NULL, created TEXT, score REAL, "
                     "parent_id INTEGER REFERENCES t%d(id), owner_id INTEGER "
                     "REFERENCES t%d(id))", i, (i - 1) / 2, i / 3);
        bench_exec(mem, sql);
    }
    char *svg = NULL;
    size_t svg_len = 0;
    t0 = now();
    tq_erd_svg(mem, NULL, 0, &svg, &svg_len, &err);   /* first: GVC setup */
    double t_first = now() - t0;
    free(svg);
    t0 = now();
    if (tq_erd_svg(mem, NULL, 0, &svg, &svg_len, &err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t_erd = now() - t0;
    free(svg);
    const char *ten[10] = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7",
                           "t8", "t9"};
    t0 = now();
    tq_erd_svg(mem, ten, 10, &svg, &svg_len, &err);
    double t_erd10 = now() - t0;
    free(svg);
    printf("ER diagram of 100 tables, 199 foreign keys: %.1f ms (first call, "
           "with gvContext: %.1f ms); of 10 tables: %.1f ms\n", t_erd * 1e3,
           t_first * 1e3, t_erd10 * 1e3);
    tqdb_close(&mem);
    tqdb_close(&db);
    return 0;
}
