/*
 * This file is `tabula-run`, the language without a kernel:
 *
 *   tabula-run [--readonly] [--time N] DB.sqlite CELL...
 *       runs each CELL in one session on DB (created if missing), printing
 *       its streams, displays and result (text/plain); on an error prints
 *       the traceback to stderr and exits 1. --time N runs every cell N
 *       times (the last run prints) and reports the mean wall and CPU
 *       time per run on stderr, and at the end the peak and anonymous
 *       resident memory.
 *   tabula-run --golden [--database TARGET] FILE...
 *       runs golden files (doctest style: `>>> ` cells, `... `
 *       continuations, the expected output up to a blank line, `!!! Ename:
 *       evalue` for an expected error, `<BLANKLINE>` for an empty output
 *       line, `#` comments between cases, a first line `# options:
 *       --readonly` for a read-only session, a comment `# engine: NAME`
 *       just before a cell for a cell that runs on that engine only, the
 *       others skip it) and prints TAP, one test per cell. Each file is one
 *       session on a fresh in-memory database, or on TARGET (a PostgreSQL
 *       URL or keyword string: the caller gives each file a fresh
 *       database).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "tabula.h"
#include "base/util.h"

/* A copy of the `len` bytes of `line` without ANSI colour sequences
 * (ESC [ ... m): the traceback's colours are for front ends and
 * terminals, not for files and pipes. NUL bytes are kept; the copy's
 * length goes to *out_len. malloc'd. */
static char *strip_ansi(const char *line, size_t len, size_t *out_len)
{
    char *out = tq_xmalloc(len + 1), *o = out;
    const char *end = line + len;
    for (const char *p = line; p < end; p++) {
        if (p[0] == '\033' && p + 1 < end && p[1] == '[') {
            const char *q = p + 2;
            while (q < end && *q != 'm')
                q++;
            if (q < end) {
                p = q;
                continue;
            }
        }
        *o++ = *p;
    }
    *o = 0;
    *out_len = (size_t)(o - out);
    return out;
}

/* Writes a traceback line of `len` bytes to stderr (NUL bytes and all,
 * as Python writes an exception's text), in colour only on a terminal. */
static void print_traceback_line(const char *line, size_t len)
{
    if (isatty(STDERR_FILENO)) {
        fwrite(line, 1, len, stderr);
        fputc('\n', stderr);
        return;
    }
    size_t n;
    char *plain = strip_ansi(line, len, &n);
    fwrite(plain, 1, n, stderr);
    fputc('\n', stderr);
    free(plain);
}

/* ---- the command line runner */

static void cli_stream(void *ud, const char *name, const char *text,
                       size_t len)
{
    fwrite(text, 1, len, strcmp(name, "stderr") == 0 ? stderr : stdout);
}

static void print_plain(const tq_bundle_t *b)
{
    const tq_mime_t *m = tq_bundle_find(b, "text/plain");
    if (m) {
        fwrite(m->data, 1, m->len, stdout);
        fputc('\n', stdout);
    }
}

static void cli_display(void *ud, const tq_bundle_t *b, const char *id,
                        bool update)
{
    print_plain(b);
}

static char *cli_input(void *ud, const char *prompt, bool password)
{
    fputs(prompt, stdout);
    fflush(stdout);
    char *line = NULL;
    size_t cap = 0;
    if (getline(&line, &cap, stdin) < 0) {
        free(line);
        return NULL;
    }
    return line;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* With --time, the process's peak resident memory (VmHWM, which unlike
 * getrusage's maxrss does not count what the parent held before exec)
 * and its anonymous resident memory now (RssAnon: what it holds itself,
 * without the database file's mapped pages, which RssFile counts). */
static void print_peak_memory(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmHWM:", 6) == 0)
            fprintf(stderr, "peak resident:%s", line + 6);
        if (strncmp(line, "RssAnon:", 8) == 0)
            fprintf(stderr, "anonymous resident:%s", line + 8);
        if (strncmp(line, "RssFile:", 8) == 0)
            fprintf(stderr, "file resident:%s", line + 8);
    }
    if (f)
        fclose(f);
}

static int run_cells(int argc, char **argv)
{
    tq_options_t opts = {.create = true};
    long repeat = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--readonly") == 0)
            opts.readonly = true;
        else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc)
            repeat = atol(argv[++i]);
        else {
            fprintf(stderr, "tabula-run: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "usage: tabula-run [--readonly] [--time N] DB "
                        "CELL...\n       tabula-run --golden FILE...\n");
        return 2;
    }
    opts.database = argv[i++];
    char *error = NULL;
    tq_session_t *s = tq_session_new(&opts, &error);
    if (!s) {
        fprintf(stderr, "tabula-run: %s\n", error);
        free(error);
        return 1;
    }
    tq_sink_t sink = {NULL, cli_stream, cli_display, cli_input, NULL, NULL,
                      0, NULL};
    int status = 0;
    for (; i < argc && status == 0; i++) {
        tq_result_t r;
        /* with --time, the runs before the last one print nothing */
        double t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        for (long k = 0; k + 1 < repeat; k++) {
            tq_sink_t quiet = {0};
            tq_session_execute(s, argv[i], &quiet, false, &r);
            tq_result_clear(&r);
        }
        tq_status_t st = tq_session_execute(s, argv[i], &sink, false, &r);
        if (repeat > 0) {
            double per = (now() - t0) / (double)repeat,
                   cpu = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) /
                         (double)repeat;
            fprintf(stderr, "%.2f us per run (%ld runs, %.2f us CPU): %s\n",
                    per * 1e6, repeat, cpu * 1e6, argv[i]);
        }
        if (st == TQ_OK) {
            print_plain(&r.page);
            print_plain(&r.bundle);
        } else {
            fflush(stdout);
            for (size_t k = 0; k < r.traceback_len; k++)
                print_traceback_line(r.traceback[k], r.traceback_lens[k]);
            status = 1;
        }
        fflush(stdout);
        tq_result_clear(&r);
    }
    /* before the session frees what it holds */
    if (repeat > 0)
        print_peak_memory();
    tq_session_destroy(&s);
    return status;
}

/* ---- golden files */

typedef struct gcase {
    char *file;
    int line;
    char *code;
    char *expected;   /* lines joined with '\n', each line ending '\n' */
    char *engine;     /* `# engine: NAME` before it: that engine only */
} gcase_t;

typedef struct gfile {
    char *path;
    bool readonly;
    gcase_t *cases;
    size_t ncases, cap;
} gfile_t;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    tq_buf_t b = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        tq_buf_addn(&b, buf, n);
    fclose(f);
    return tq_buf_take(&b);
}

static bool starts(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int parse_golden(const char *path, gfile_t *gf)
{
    memset(gf, 0, sizeof *gf);
    gf->path = tq_xstrdup(path);
    char *text = read_file(path);
    if (!text)
        return -1;
    char *save = NULL;
    int lineno = 0;
    gcase_t *cur = NULL;
    bool in_expected = false;
    char *engine = NULL;
    tq_buf_t code = {0}, exp = {0};
    /* strtok would skip blank lines: split by hand. */
    char *p = text;
    (void)save;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        char *line = p;
        p = nl ? nl + 1 : p + strlen(p);
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = 0;
        if (lineno == 1 && starts(line, "# options:")) {
            if (strstr(line, "--readonly"))
                gf->readonly = true;
            continue;
        }
        if (starts(line, ">>>")) {
            if (cur && in_expected)
                cur->expected = tq_buf_take(&exp);
            gcase_t c = {0};
            c.file = gf->path;
            c.line = lineno;
            c.engine = engine;
            engine = NULL;
            TQ_PUSH(gf->cases, gf->ncases, gf->cap, c);
            cur = &gf->cases[gf->ncases - 1];
            tq_buf_free(&code);
            tq_buf_add(&code, line[3] == ' ' ? line + 4 : line + 3);
            tq_buf_addc(&code, '\n');
            /* continuations */
            while (*p && starts(p, "...")) {
                char *nl2 = strchr(p, '\n');
                if (nl2)
                    *nl2 = 0;
                char *cl = p;
                p = nl2 ? nl2 + 1 : p + strlen(p);
                lineno++;
                size_t cl_len = strlen(cl);
                if (cl_len && cl[cl_len - 1] == '\r')
                    cl[--cl_len] = 0;
                tq_buf_add(&code, cl[3] == ' ' ? cl + 4 : cl + 3);
                tq_buf_addc(&code, '\n');
            }
            cur->code = tq_buf_take(&code);
            in_expected = true;
            tq_buf_free(&exp);
            tq_buf_addn(&exp, "", 0);
            continue;
        }
        /* a blank line, or the engine marker of the next cell, ends the
         * expected output */
        if (ll == 0 || starts(line, "# engine:")) {
            if (cur && in_expected)
                cur->expected = tq_buf_take(&exp);
            in_expected = false;
            if (ll)
                goto marker;
            continue;
        }
        if (in_expected) {
            tq_buf_add(&exp, strcmp(line, "<BLANKLINE>") == 0 ? "" : line);
            tq_buf_addc(&exp, '\n');
            continue;
        }
        /* Outside a case: comments and prose are ignored, but for the
         * engine marker of the next cell. */
    marker:
        if (starts(line, "# engine:")) {
            const char *e = line + 9;
            while (*e == ' ')
                e++;
            free(engine);
            engine = tq_xstrdup(e);
        }
    }
    if (cur && in_expected)
        cur->expected = tq_buf_take(&exp);
    free(engine);
    for (size_t i = 0; i < gf->ncases; i++)
        if (!gf->cases[i].expected)
            gf->cases[i].expected = tq_xstrdup("");
    tq_buf_free(&code);
    tq_buf_free(&exp);
    free(text);
    return 0;
}

static void golden_stream(void *ud, const char *name, const char *text,
                          size_t len)
{
    tq_buf_addn(ud, text, len);
}

static void golden_display(void *ud, const tq_bundle_t *b, const char *id,
                           bool update)
{
    const tq_mime_t *m = tq_bundle_find(b, "text/plain");
    if (m) {
        tq_buf_addn(ud, m->data, m->len);
        tq_buf_addc(ud, '\n');
    }
}

/* Lines with trailing whitespace removed and trailing blank lines
 * dropped, joined with '\n'. malloc'd. */
static char *normalize(const char *s)
{
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    const char *p = s;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        size_t k = n;
        while (k && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\r'))
            k--;
        tq_buf_addn(&b, p, k);
        tq_buf_addc(&b, '\n');
        p = nl ? nl + 1 : p + n;
    }
    while (b.len && b.s[b.len - 1] == '\n')
        b.s[--b.len] = 0;
    return tq_buf_take(&b);
}

static void tap_diag(const char *label, const char *text)
{
    printf("#   %s:\n", label);
    const char *p = text;
    if (!*p)
        printf("#     (nothing)\n");
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        printf("#     %.*s\n", (int)n, p);
        p = nl ? nl + 1 : p + n;
    }
}

/* The engine a golden run's target names: "postgresql" for a URL or a
 * keyword string, else "sqlite". */
static const char *target_engine(const char *target)
{
    if (!strncmp(target, "postgresql://", 13) ||
        !strncmp(target, "postgres://", 11) || strchr(target, '='))
        return "postgresql";
    return "sqlite";
}

static int run_golden(int argc, char **argv)
{
    gfile_t *files = tq_xcalloc((size_t)argc, sizeof *files);
    size_t nfiles = 0, total = 0;
    const char *target = ":memory:";
    int first = 2;
    if (argc > 3 && !strcmp(argv[2], "--database")) {
        target = argv[3];
        first = 4;
    }
    const char *engine = target_engine(target);
    for (int i = first; i < argc; i++) {
        if (parse_golden(argv[i], &files[nfiles]) < 0) {
            printf("Bail out! cannot read %s\n", argv[i]);
            return 1;
        }
        total += files[nfiles].ncases;
        nfiles++;
    }
    printf("1..%zu\n", total);
    size_t n = 0, failed = 0;
    for (size_t f = 0; f < nfiles; f++) {
        gfile_t *gf = &files[f];
        tq_options_t opts = {.database = target, .readonly = gf->readonly};
        char *error = NULL;
        tq_session_t *s = tq_session_new(&opts, &error);
        for (size_t c = 0; c < gf->ncases; c++) {
            gcase_t *gc = &gf->cases[c];
            n++;
            if (gc->engine && strcmp(gc->engine, engine)) {
                printf("ok %zu - %s:%d # SKIP %s only\n", n, gc->file,
                       gc->line, gc->engine);
                continue;
            }
            if (!s) {
                printf("not ok %zu - %s:%d # session: %s\n", n, gc->file,
                       gc->line, error ? error : "?");
                failed++;
                continue;
            }
            tq_buf_t out = {0};
            tq_buf_addn(&out, "", 0);
            tq_sink_t sink = {&out, golden_stream, golden_display, NULL, NULL,
                              NULL, 0, NULL};
            tq_result_t r;
            if (tq_session_execute(s, gc->code, &sink, false, &r) == TQ_OK) {
                const tq_mime_t *page = tq_bundle_find(&r.page, "text/plain");
                if (page)
                    tq_buf_addn(&out, page->data, page->len);
                const tq_mime_t *m = tq_bundle_find(&r.bundle, "text/plain");
                if (m) {
                    tq_buf_addn(&out, m->data, m->len);
                    tq_buf_addc(&out, '\n');
                }
            } else {
                /* the traceback's last line: the name alone when
                 * str(e) is empty */
                tq_buf_printf(&out, "!!! %s", r.ename);
                if (r.evalue_len) {
                    tq_buf_add(&out, ": ");
                    tq_buf_addn(&out, r.evalue, r.evalue_len);
                }
                tq_buf_addc(&out, '\n');
            }
            char *actual = normalize(out.s);
            char *expected = normalize(gc->expected);
            if (strcmp(actual, expected) == 0) {
                printf("ok %zu - %s:%d\n", n, gc->file, gc->line);
            } else {
                failed++;
                printf("not ok %zu - %s:%d\n", n, gc->file, gc->line);
                tap_diag("cell", gc->code);
                tap_diag("expected", expected);
                tap_diag("actual", actual);
                if (r.traceback_len) {
                    printf("#   traceback:\n");
                    for (size_t k = 0; k < r.traceback_len; k++) {
                        size_t n;
                        char *plain = strip_ansi(r.traceback[k],
                                                 strlen(r.traceback[k]), &n);
                        printf("#     %s\n", plain);
                        free(plain);
                    }
                }
            }
            free(actual);
            free(expected);
            tq_buf_free(&out);
            tq_result_clear(&r);
        }
        tq_session_destroy(&s);
        free(error);
        for (size_t c = 0; c < gf->ncases; c++) {
            free(gf->cases[c].code);
            free(gf->cases[c].expected);
            free(gf->cases[c].engine);
        }
        free(gf->cases);
        free(gf->path);
    }
    free(files);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--golden") == 0)
        return run_golden(argc, argv);
    return run_cells(argc, argv);
}
