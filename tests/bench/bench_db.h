/*
 * This file declares the helpers the C benchmarks (chart_bench.c,
 * render_bench.c) share: clocks, statements that end the run on error
 * (a benchmark has nothing to recover), and the best-of-N timing of a
 * chart against the bare scan of its statement. Figures, not pass/fail.
 */
#ifndef TQ_BENCH_DB_H
#define TQ_BENCH_DB_H

#include <stddef.h>
#include <stdint.h>

#include "render/render.h"

/* Seconds of CPU time of this process (on a shared machine the wall time
 * is mostly other people's work). */
double bench_cpu_seconds(void);
/* Seconds of a monotonic wall clock. */
double bench_wall_seconds(void);

/* Runs `sql`; on error prints it with the message and exits 1. */
void bench_exec(tqdb_conn_t *db, const char *sql);
/* Prepares `sql` (the caller owns the cursor); on error exits 1. */
tqdb_cursor_t *bench_prepare(tqdb_conn_t *db, const char *sql);
/* Opens (creating) the database at `path` (the caller closes it); on
 * error exits 1. */
tqdb_conn_t *bench_open(const char *path);

/* The best of `reps` runs of `scan(db, sql)` (*t_scan) and of charting
 * `sql` with `o` into PNG (*t_chart), in seconds of `clock`. *png (the
 * caller frees it) and *png_len hold the last chart's PNG. On a chart
 * error prints it and exits 1. */
void bench_chart_best(tqdb_conn_t *db, const char *sql,
                      const tq_chart_opts_t *o, int reps,
                      double (*clock)(void),
                      int64_t (*scan)(tqdb_conn_t *, const char *),
                      unsigned char **png, size_t *png_len,
                      double *t_chart, double *t_scan);

#endif
