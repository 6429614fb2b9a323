/*
 * This file implements the output magics, each a thin layer between the
 * interpreter's context and a renderer: %schema (the tables with their
 * row counts, or one table's columns, types, keys, NOT NULL, defaults and
 * row count, as a table with text/plain and text/html), %graph_models (the
 * ER diagram as image/svg+xml), %timeit / %%timeit and %time / %%time
 * (IPython's loop calibration and output), and %load_csv. magic.c's
 * dispatch table calls them; errors are raised in the context with one
 * sentence.
 */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <sys/resource.h>
#include <time.h>

#include "magic/magic.h"
#include "orm/query.h"
#include "orm/queryset.h"
#include "render/render.h"
#include "render/render_util.h"
#include "sql/dialect.h"

/* The SVG document from its root element on: without the XML declaration,
 * DOCTYPE and comments that graphviz writes first, as IPython's SVG
 * display sends it (nbconvert's HTML sanitizer cannot parse a declaration
 * inside HTML). The whole text when it has no <svg. */
static const char *svg_element(const char *svg)
{
    const char *root = strstr(svg, "<svg");
    return root ? root : svg;
}

/* ---- arguments */

/* Splits a magic's argument line like a shell: spaces separate, '...' and
 * "..." quote. Returns a NULL-terminated malloc'd vector; NULL when a
 * quote is not closed. */
static char **split_args(const char *s, size_t *argc)
{
    char **argv = tq_xcalloc(1, sizeof *argv);
    size_t n = 0;
    while (*s) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        tq_buf_t b = {0};
        tq_buf_reserve(&b, 0);
        b.s[0] = 0;
        while (*s && !isspace((unsigned char)*s)) {
            if (*s == '\'' || *s == '"') {
                char q = *s++;
                while (*s && *s != q)
                    tq_buf_addc(&b, *s++);
                if (!*s) {
                    tq_buf_free(&b);
                    for (size_t i = 0; i < n; i++)
                        free(argv[i]);
                    free(argv);
                    return NULL;
                }
                s++;
            } else {
                tq_buf_addc(&b, *s++);
            }
        }
        argv = tq_xrealloc(argv, (n + 2) * sizeof *argv);
        argv[n++] = tq_buf_take(&b);
        argv[n] = NULL;
    }
    *argc = n;
    return argv;
}

static void free_args(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

/* A result that shows as exactly `text` (no quotes) and maybe HTML/SVG. */
static tq_value_t *bundle_result(const char *plain, const char *type,
                                 const char *data, size_t len)
{
    tq_bundle_t b = {0};
    if (type)
        tq_bundle_add(&b, type, data, len);
    tq_bundle_add(&b, "text/plain", plain, strlen(plain));
    tq_value_t *v = tq_bundle_value_new(&b);
    tq_bundle_clear(&b);
    return v;
}

/* Lowercase without underscores: User, user and "USER" all match "user";
 * RentalItem matches rental_item. */
static char *fold_name(const char *s)
{
    char *out = tq_xmalloc(strlen(s) + 1), *o = out;
    for (; *s; s++)
        if (*s != '_')
            *o++ = (char)tolower((unsigned char)*s);
    *o = 0;
    return out;
}

/* Resolves a user's table name ("user", "User", "RentalItem",
 * "sales.order") to its schema and real name. Raises ValueError and
 * returns -1 when there is no such table. */
static int resolve_table(tq_ctx_t *ctx, const char *name, char **schema,
                         char **table)
{
    tqdb_conn_t *db = tq_ctx_db(ctx);
    const char *dot = strchr(name, '.');
    char *want_schema = dot ? tq_xasprintf("%.*s", (int)(dot - name), name)
                            : NULL;
    char *folded = fold_name(dot ? dot + 1 : name);
    tqdb_cursor_t *st = NULL;
    int rc = tqdb_prepare(db, tq_dialect_for(db)->catalog
                          [TQ_CATALOG_RELATIONS], &st, NULL);
    *schema = *table = NULL;
    if (rc == 0 && st) {
        tqdb_bind_text(st, 1, dot ? dot + 1 : name, -1);
        while (tqdb_step(st) == TQDB_ROW) {
            const char *s = tqdb_column_text(st, 0);
            const char *t = tqdb_column_text(st, 1);
            if (!s || !t)
                continue;
            if (want_schema && strcasecmp(want_schema, s) != 0)
                continue;
            char *f = fold_name(t);
            bool match = strcmp(f, folded) == 0;
            free(f);
            if (match) {
                *schema = tq_xstrdup(s);
                *table = tq_xstrdup(t);
                break;
            }
        }
        tqdb_cursor_free(&st);
    }
    free(want_schema);
    free(folded);
    if (!*table) {
        tq_raise(ctx, "ValueError", "No table named '%s'.", name);
        return -1;
    }
    return 0;
}

/* ---- %schema */

typedef struct binds {
    char **text;      /* bound as text in order, NULL entries as NULL */
    size_t n;
} binds_t;

static int bind_texts(void *ud, tqdb_cursor_t *cur)
{
    binds_t *b = ud;
    for (size_t i = 0; i < b->n; i++) {
        int rc = b->text[i]
               ? tqdb_bind_text_static(cur, (int)i + 1, b->text[i], -1)
               : tqdb_bind_null(cur, (int)i + 1);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Fetches `sql` and makes a table value (text/plain + text/html) with an
 * optional note under it. */
static tq_value_t *table_result(tq_ctx_t *ctx, const char *sql, binds_t *b,
                                const char *note)
{
    tq_sql_t q = {sql, bind_texts, b};
    tq_table_t t;
    char *err = NULL;
    if (tq_table_fetch(tq_ctx_db(ctx), &q, 0, &t, &err) != 0) {
        tq_raise(ctx, "DatabaseError", "%s", err);
        free(err);
        return NULL;
    }
    char *text = tq_text_table(&t);
    char *html = tq_html_table(&t);
    tq_table_clear(&t);
    if (note) {
        char *t2 = tq_xasprintf("%s\n\n%s", text, note);
        free(text);
        text = t2;
        tq_buf_t h = {0};
        tq_buf_add(&h, html);
        tq_buf_add(&h, "\n<p>");
        for (const char *p = note; *p; p++) {
            if (*p == '<')
                tq_buf_add(&h, "&lt;");
            else if (*p == '>')
                tq_buf_add(&h, "&gt;");
            else if (*p == '&')
                tq_buf_add(&h, "&amp;");
            else
                tq_buf_addc(&h, *p);
        }
        tq_buf_add(&h, "</p>");
        free(html);
        html = tq_buf_take(&h);
    }
    tq_render_nuls(text);          /* text/plain goes as a C string */
    tq_value_t *v = bundle_result(text, "text/html", html,
                                  tq_render_nuls(html));
    free(text);
    free(html);
    return v;
}

static int64_t count_rows(tq_ctx_t *ctx, const char *schema,
                          const char *table)
{
    tq_buf_t sql = {0};
    tq_buf_add(&sql, "SELECT count(*) FROM ");
    tq_buf_ident(&sql, schema);
    tq_buf_addc(&sql, '.');
    tq_buf_ident(&sql, table);
    tqdb_cursor_t *st = NULL;
    int64_t n = -1;
    int rc = tqdb_prepare(tq_ctx_db(ctx), sql.s, &st, NULL);
    tq_buf_free(&sql);
    if (rc != 0) {
        tq_raise_db(ctx);
        return -1;
    }
    assert(st);
    if (tqdb_step(st) == TQDB_ROW)
        n = tqdb_column_int(st, 0);
    else
        tq_raise_db(ctx);
    tqdb_cursor_free(&st);
    return n;
}

/* %schema: every table with its columns and rows. */
static tq_value_t *schema_all(tq_ctx_t *ctx)
{
    /* the default schema's tables are shown bare (its real name on
     * PostgreSQL is current_schema()'s) */
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    char *main_schema = tq_xstrdup(tq_schema_main(sc));
    tqdb_cursor_t *st = NULL;
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    int rc = tqdb_prepare(tq_ctx_db(ctx), d->catalog[TQ_CATALOG_TABLES],
                          &st, NULL);
    if (rc != 0) {
        free(main_schema);
        return tq_raise_db(ctx);
    }
    assert(st);
    binds_t b = {0};
    tq_buf_t sql = {0};
    size_t ntables = 0;
    while ((rc = tqdb_step(st)) == TQDB_ROW) {
        const char *s = tqdb_column_text(st, 0);
        const char *t = tqdb_column_text(st, 1);
        assert(s && t);
        b.text = tq_xrealloc(b.text, (b.n + 3) * sizeof *b.text);
        b.text[b.n++] = strcmp(s, main_schema) == 0 ? tq_xstrdup(t)
                                               : tq_xasprintf("%s.%s", s, t);
        b.text[b.n++] = tq_xstrdup(t);
        b.text[b.n++] = tq_xstrdup(s);
        tq_buf_add(&sql, ntables ? " UNION ALL " : "");
        d->summary_columns(&sql, b.n - 2);
        tq_buf_add(&sql, "(SELECT count(*) FROM ");
        tq_buf_ident(&sql, s);
        tq_buf_addc(&sql, '.');
        tq_buf_ident(&sql, t);
        tq_buf_add(&sql, ") AS \"rows\"");
        ntables++;
    }
    tqdb_cursor_free(&st);
    tq_value_t *v;
    if (rc != TQDB_DONE)
        v = tq_raise_db(ctx);
    else if (ntables == 0)
        v = bundle_result("No tables.", NULL, NULL, 0);
    else
        v = table_result(ctx, sql.s, &b, NULL);
    tq_buf_free(&sql);
    for (size_t i = 0; i < b.n; i++)
        free(b.text[i]);
    free(b.text);
    free(main_schema);
    return v;
}

/* %schema TABLE: its columns. */
static tq_value_t *schema_table(tq_ctx_t *ctx, const char *name)
{
    char *schema, *table;
    if (resolve_table(ctx, name, &schema, &table))
        return NULL;
    int64_t rows = count_rows(ctx, schema, table);
    tq_value_t *v = NULL;
    if (rows >= 0) {
        char *bt[2] = {table, schema};
        binds_t b = {bt, 2};
        char *note = tq_xasprintf("%s: %" PRId64 " row%s", table, rows,
                                 rows == 1 ? "" : "s");
        v = table_result(ctx, tq_dialect_for(tq_ctx_db(ctx))->catalog
                              [TQ_CATALOG_TABLE_COLUMNS], &b, note);
        free(note);
    }
    free(schema);
    free(table);
    return v;
}

/* tq_magic_schema: see magic.h. */
tq_value_t *tq_magic_schema(tq_ctx_t *ctx, const char *args, const char *body)
{
    size_t argc;
    char **argv = split_args(args ? args : "", &argc);
    if (!argv)
        return tq_raise(ctx, "ValueError", "Unclosed quote in %%schema's "
                        "arguments.");
    tq_value_t *v;
    if (argc == 0)
        v = schema_all(ctx);
    else if (argc == 1)
        v = schema_table(ctx, argv[0]);
    else
        v = tq_raise(ctx, "ValueError", "%%schema takes at most one table "
                     "name.");
    free_args(argv);
    return v;
}

/* ---- %graph_models */

/* tq_magic_graph_models: see magic.h. Tables of the main database. */
tq_value_t *tq_magic_graph_models(tq_ctx_t *ctx, const char *args,
                                  const char *body)
{
    size_t argc;
    char **argv = split_args(args ? args : "", &argc);
    if (!argv)
        return tq_raise(ctx, "ValueError", "Unclosed quote in "
                        "%%graph_models' arguments.");
    char **names = tq_xcalloc(argc + 1, sizeof *names);
    size_t n = 0;
    tq_value_t *v = NULL;
    bool failed = false;
    for (size_t i = 0; i < argc && !failed; i++) {
        char *schema, *table;
        if (resolve_table(ctx, argv[i], &schema, &table)) {
            failed = true;
            break;
        }
        if (strcmp(schema, tq_schema_main(db_schema(ctx))) != 0) {
            tq_raise(ctx, "ValueError", "%%graph_models draws the main "
                     "database's tables; '%s' is in '%s'.", table, schema);
            failed = true;
        } else {
            names[n++] = table;
            table = NULL;
        }
        free(schema);
        free(table);
    }
    if (!failed) {
        char *svg = NULL, *err = NULL;
        size_t len = 0;
        if (tq_erd_svg(tq_ctx_db(ctx), (const char *const *)names, n, &svg,
                       &len, &err) != 0) {
            tq_raise(ctx, "DatabaseError", "%s", err);
            free(err);
        } else {
            size_t ntables = 0;
            for (const char *p = svg; (p = strstr(p, "class=\"node\""));
                 p++)
                ntables++;
            char *plain = tq_xasprintf("<ER diagram: %zu table%s>", ntables,
                                      ntables == 1 ? "" : "s");
            const char *bare = svg_element(svg);
            v = bundle_result(plain, "image/svg+xml", bare,
                              len - (size_t)(bare - svg));
            free(plain);
            free(svg);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free_args(argv);
    return v;
}

/* ---- %timeit and %time */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs `source` `number` times; the seconds taken, or -1 on error. */
static double time_loops(tq_ctx_t *ctx, const char *source, int64_t number)
{
    double t0 = now();
    for (int64_t i = 0; i < number; i++) {
        tq_value_t *v = tq_ctx_run_source(ctx, source);
        if (!v)
            return -1;
        tq_decref(v);
        if (tq_interrupted(ctx)) {
            if (!tq_error_pending(ctx))
                tq_raise(ctx, "KeyboardInterrupt", "Interrupted.");
            return -1;
        }
    }
    return now() - t0;
}

/* The largest -n and -r accepted. */
#define TIMEIT_MAX_LOOPS 1000000000LL
#define TIMEIT_MAX_RUNS 100000LL

/* Parses "-n N", "-nN", "-r R", "-q", "-o" options; returns the index of
 * the first argument that is not one, or -1 with an error raised. The
 * statement is the rest of the line after those options. */
static const char *timeit_options(tq_ctx_t *ctx, const char *args,
                                  int64_t *number, int64_t *repeat,
                                  bool *quiet)
{
    const char *p = args;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (p[0] != '-' || !(p[1] == 'n' || p[1] == 'r' || p[1] == 'q' ||
                             p[1] == 'o') ||
            !(isspace((unsigned char)p[2]) || p[2] == 0 ||
              isdigit((unsigned char)p[2])))
            return p;
        char opt = p[1];
        p += 2;
        if (opt == 'q' || opt == 'o') {
            if (opt == 'q')
                *quiet = true;
            continue;
        }
        while (isspace((unsigned char)*p))
            p++;
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || (*end && !isspace((unsigned char)*end))) {
            tq_raise(ctx, "ValueError", "%%timeit -%c needs a positive "
                     "integer.", opt);
            return NULL;
        }
        /* a count past these could only fill memory (-r keeps one time
         * per run) or run for days; strtoll's LLONG_MAX on overflow is
         * past them too */
        long long most = opt == 'n' ? TIMEIT_MAX_LOOPS : TIMEIT_MAX_RUNS;
        if (v > most) {
            tq_raise(ctx, "ValueError", "%%timeit -%c takes at most %lld "
                     "%s, not %.*s.", opt, most,
                     opt == 'n' ? "loops" : "runs", (int)(end - p), p);
            return NULL;
        }
        if (opt == 'n')
            *number = v;
        else
            *repeat = v;
        p = end;
    }
}

/* tq_magic_timeit: see magic.h. As IPython: without -n the loop count is
 * the first of 1, 10, 100 ... whose total reaches 0.2 s (that calibration
 * run is not counted), then -r runs (7) of that many loops; the line shows
 * the mean and standard deviation of the per-loop times. %%timeit times
 * the cell's body; the rest of its first line is setup, run once. */
tq_value_t *tq_magic_timeit(tq_ctx_t *ctx, const char *args, const char *body)
{
    int64_t number = 0, repeat = 7;
    bool quiet = false;
    const char *rest = timeit_options(ctx, args ? args : "", &number,
                                      &repeat, &quiet);
    if (!rest)
        return NULL;
    const char *source = body ? body : rest;
    if (body && *rest) {
        tq_value_t *setup = tq_ctx_run_source(ctx, rest);
        if (!setup)
            return NULL;
        tq_decref(setup);
    }
    const char *s = source;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return tq_raise(ctx, "ValueError", "%%timeit needs a statement to "
                        "time.");
    if (number == 0) {
        for (int index = 0; index < 10; index++) {
            number = (int64_t)pow(10, index);
            double t = time_loops(ctx, source, number);
            if (t < 0)
                return NULL;
            if (t >= 0.2)
                break;
        }
    }
    double *per_loop = tq_xcalloc((size_t)repeat, sizeof *per_loop);
    double best = INFINITY, worst = 0;
    for (int64_t r = 0; r < repeat; r++) {
        double t = time_loops(ctx, source, number);
        if (t < 0) {
            free(per_loop);
            return NULL;
        }
        per_loop[r] = t / (double)number;
        best = fmin(best, per_loop[r]);
        worst = fmax(worst, per_loop[r]);
    }
    if (!quiet) {
        tq_buf_t out = {0};
        if (worst > 4 * best && best > 0 && worst > 1e-6)
            tq_buf_printf(&out, "The slowest run took %0.2f times longer "
                          "than the fastest. This could mean that an "
                          "intermediate result is being cached.\n",
                          worst / best);
        char *line = tq_timeit_format(per_loop, (size_t)repeat, number);
        tq_buf_add(&out, line);
        tq_buf_addc(&out, '\n');
        free(line);
        tq_ctx_print(ctx, out.s, out.len);
        tq_buf_free(&out);
    }
    free(per_loop);
    return tq_none();
}

static double cpu_seconds(const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

/* tq_magic_time: see magic.h. Runs the statement (or %%time's body) once,
 * prints IPython's two lines and returns the statement's result. */
tq_value_t *tq_magic_time(tq_ctx_t *ctx, const char *args, const char *body)
{
    const char *source = body ? body : (args ? args : "");
    const char *s = source;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return tq_raise(ctx, "ValueError", "%%time needs a statement to "
                        "time.");
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = now();
    tq_value_t *v = tq_ctx_run_source(ctx, source);
    double wall = now() - t0;
    getrusage(RUSAGE_SELF, &r1);
    if (!v)
        return NULL;
    double user = cpu_seconds(&r1.ru_utime) - cpu_seconds(&r0.ru_utime);
    double sys = cpu_seconds(&r1.ru_stime) - cpu_seconds(&r0.ru_stime);
    char *u = tq_time_format(user), *y = tq_time_format(sys);
    char *tot = tq_time_format(user + sys), *w = tq_time_format(wall);
    char *out = tq_xasprintf("CPU times: user %s, sys: %s, total: %s\n"
                            "Wall time: %s\n", u, y, tot, w);
    tq_ctx_print(ctx, out, strlen(out));
    free(u);
    free(y);
    free(tot);
    free(w);
    free(out);
    return v;
}

/* ---- %load_csv */

/* Rows loaded of the file's rows, to the cell's progress indicator. */
static void load_progress(void *ud, int64_t done, int64_t total)
{
    tq_ctx_progress(ud, done, total);
}

/* tq_magic_load_csv: see magic.h. %load_csv PATH TABLE [--replace]. */
tq_value_t *tq_magic_load_csv(tq_ctx_t *ctx, const char *args,
                              const char *body)
{
    size_t argc;
    char **argv = split_args(args ? args : "", &argc);
    if (!argv)
        return tq_raise(ctx, "ValueError", "Unclosed quote in %%load_csv's "
                        "arguments.");
    const char *pos[2] = {NULL, NULL};
    size_t npos = 0;
    bool replace = false, bad = false;
    for (size_t i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--replace") == 0)
            replace = true;
        else if (argv[i][0] == '-' && argv[i][1] == '-')
            bad = true;
        else if (npos < 2)
            pos[npos++] = argv[i];
        else
            bad = true;
    }
    tq_value_t *v = NULL;
    if (bad || npos != 2 || !*pos[1]) {
        tq_raise(ctx, "ValueError", "Usage: %%load_csv PATH TABLE "
                 "[--replace].");
    } else if (tq_ctx_readonly(ctx)) {
        tq_raise(ctx, "ReadOnlyError", "The database is read-only: "
                 "%%load_csv cannot create '%s'.", pos[1]);
    } else {
        int64_t rows = 0;
        char *err = NULL;
        int rc = tq_csv_load_progress(tq_ctx_db(ctx), pos[0], pos[1],
                                      replace, &rows, &err, load_progress,
                                      ctx);
        tq_ctx_progress(ctx, 0, 0);
        if (rc != 0) {
            tq_raise(ctx, strncmp(err, "Line ", 5) == 0 ||
                          strncmp(err, "Cannot", 6) == 0 ||
                          strncmp(err, "The file", 8) == 0 ||
                          strstr(err, "already exists")
                          ? "ValueError" : "DatabaseError", "%s", err);
            free(err);
        } else if (tq_schema_refresh(ctx) == 0) {
            char *msg = tq_xasprintf("Loaded %" PRId64 " row%s into %s", rows,
                                    rows == 1 ? "" : "s", pos[1]);
            v = bundle_result(msg, NULL, NULL, 0);
            free(msg);
        }
    }
    free_args(argv);
    return v;
}
