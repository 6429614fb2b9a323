/*
 * This file tests the output magics through a real session (tabula.h):
 * %load_csv (result text, types, bad row error with nothing imported,
 * --replace), %schema with and without a table, %graph_models' SVG,
 * %timeit / %%timeit's IPython line on stdout, %time's two lines and its
 * result, and the errors' names.
 */
#include <stdlib.h>
#include <unistd.h>

#include "tabula.h"
#include "tap.h"

static char out[65536];
static size_t outlen;

static void on_stream(void *ctx, const char *name, const char *text,
                      size_t len)
{
    if (outlen + len < sizeof out) {
        memcpy(out + outlen, text, len);
        outlen += len;
        out[outlen] = 0;
    }
}

static tq_session_t *s;
static tq_result_t res;

/* Runs a cell; returns its status. stdout is in `out`. */
static tq_status_t run(const char *src)
{
    tq_result_clear(&res);
    memset(&res, 0, sizeof res);
    outlen = 0;
    out[0] = 0;
    tq_sink_t sink = {NULL, on_stream, NULL, NULL, NULL, NULL, 0, NULL};
    tq_status_t st = tq_session_execute(s, src, &sink, false, &res);
    if (st == TQ_ERROR)
        printf("# %s: %s\n", res.ename, res.evalue);
    return st;
}

static const char *mime(const char *type)
{
    const tq_mime_t *m = tq_bundle_find(&res.bundle, type);
    return m ? m->data : NULL;
}

static bool has(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle);
}

int main(void)
{
    char dir[] = "/tmp/tq-magic-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[256], bad[256], cell[600];
    snprintf(path, sizeof path, "%s/people.csv", dir);
    FILE *f = fopen(path, "w");
    fputs("id,name,score\n1,\"Lennon, John\",27.5\n2,Paul,26\n3,,\n", f);
    fclose(f);
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    f = fopen(bad, "w");
    fputs("a,b\n1,2\n3\n", f);
    fclose(f);

    tq_options_t opts = {0};
    char *err = NULL;
    s = tq_session_new(&opts, &err);
    if (!s) {
        printf("Bail out! %s\n", err);
        return 1;
    }

    snprintf(cell, sizeof cell, "%%load_csv %s people", path);
    ok(run(cell) == TQ_OK &&
       has(mime("text/plain"), "Loaded 3 rows into people"),
       "%load_csv: Loaded 3 rows into people");
    snprintf(cell, sizeof cell, "%%load_csv %s people", path);
    ok(run(cell) == TQ_ERROR && res.ename && strcmp(res.ename, "ValueError")
       == 0 && has(res.evalue, "already exists"),
       "%load_csv: existing table is a ValueError");
    snprintf(cell, sizeof cell, "%%load_csv '%s' people --replace", path);
    ok(run(cell) == TQ_OK, "%load_csv --replace");
    snprintf(cell, sizeof cell, "%%load_csv %s oops", bad);
    ok(run(cell) == TQ_ERROR && has(res.evalue, "Line 3"),
       "%load_csv: bad row names its line");
    ok(run("%schema") == TQ_OK && has(mime("text/plain"), "people") &&
       has(mime("text/html"), "class=\"dataframe\"") &&
       !has(mime("text/plain"), "oops"),
       "%schema: tables (the bad load left nothing)");
    ok(run("%schema people") == TQ_OK &&
       has(mime("text/plain"), "INTEGER") && has(mime("text/plain"), "REAL") &&
       has(mime("text/plain"), "people: 3 rows"),
       "%schema TABLE: columns, types, row count");
    ok(run("%schema nope") == TQ_ERROR && has(res.evalue, "No table named"),
       "%schema: unknown table");
    ok(run("%graph_models") == TQ_OK && has(mime("image/svg+xml"), "<svg") &&
       has(mime("text/plain"), "ER diagram"), "%graph_models: SVG");
    ok(run("%timeit -n 3 -r 2 1 + 1") == TQ_OK &&
       has(out, " per loop (mean \xc2\xb1 std. dev. of 2 runs, 3 loops each)"),
       "%timeit -n 3 -r 2: IPython's line");
    printf("# %s", out);
    ok(run("%%timeit -n 1 -r 1\nx = 2\nx * 3") == TQ_OK &&
       has(out, "(mean \xc2\xb1 std. dev. of 1 run, 1 loop each)"),
       "%%timeit: singular run and loop");
    ok(run("%time 6 * 7") == TQ_OK && has(out, "CPU times: user ") &&
       has(out, ", sys: ") && has(out, ", total: ") &&
       has(out, "\nWall time: ") && has(mime("text/plain"), "42"),
       "%time: IPython's two lines, then the result");
    printf("# %s", out);

    tq_result_clear(&res);
    tq_session_destroy(&s);
    snprintf(cell, sizeof cell, "rm -rf %s", dir);
    if (system(cell) != 0)
        return 1;
    return done_testing();
}
