/*
 * This file implements the seam of tabula.h: sessions (one SQLite
 * connection and one interpreter context), cell execution in one
 * transaction per cell with rollback and a Python-style traceback on
 * error, user_expressions, interrupts, completion, inspection and the
 * is-complete check, plus the result helpers (bundles are in value.c). It is also
 * where the interpreter core is wired to the database layer (query.h) and
 * the magics (magic.h), and where IPython's habits live: `obj?` (%pinfo)
 * answered from the editor's inspection as a pager page handed back in
 * tq_result_t, help() and dir() through the editor (ctx->describe,
 * ctx->attributes), In/Out/_/__/___ kept per execution count, and
 * tracebacks coloured as IPython 8 colours them.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in tabula.h; the connection hooks it sets on the
 * context (connect, commit_point, history, describe, attributes) are
 * described in vm/interp.h.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mask.h"
#include "editor/complete.h"
#include "frame/frame.h"
#include "vm/eval.h"
#include "editor/inspect.h"
#include "magic/magic.h"
#include "syntax/parse.h"
#include "orm/query.h"

struct tq_session {
    tq_ctx_t *ctx;
    int count;              /* cells executed (In[N]) */
    char **history;
    size_t nhistory, hcap;
    /* IPython's history of inputs and results: In (a list, In[0] == ''),
     * Out (a dict by execution count), both also builtins of ctx. */
    tq_value_t *inputs, *outputs;
    int history_count;      /* In[N] of the running cell, 0 when none */
    tq_bundle_t page;       /* what the running cell pages (`obj?`) */
};

/* ---- results (bundles are in value.c, next to the values they show) */

void tq_result_clear(tq_result_t *result)
{
    tq_bundle_clear(&result->bundle);
    tq_bundle_clear(&result->page);
    free(result->ename);
    free(result->evalue);
    for (size_t i = 0; i < result->traceback_len; i++)
        free(result->traceback[i]);
    free(result->traceback);
    free(result->traceback_lens);
    memset(result, 0, sizeof *result);
}

void tq_completion_clear(tq_completion_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->matches[i]);
        free(c->types[i]);
    }
    free(c->matches);
    free(c->types);
    memset(c, 0, sizeof *c);
}

/* ---- opening databases */

/* Opens the session's database (db.h); NULL with a malloc'd *error. */
static tqdb_conn_t *open_db(const char *path, bool readonly, bool create,
                            char **error)
{
    unsigned flags = (readonly ? TQDB_OPEN_READONLY : 0) |
                     (create ? TQDB_OPEN_CREATE : 0);
    return tqdb_open(path, flags, error);
}

/* ---- help: `obj?`, `obj??`, `%magic?` (the lexer turns them into
 * %pinfo and %pinfo2), paged as IPython pages them */

/* Keeps `text` as the running cell's page (the last one asked wins). */
static void page_text(tq_ctx_t *ctx, const tq_bundle_t *bundle)
{
    tq_session_t *s = ctx->session;
    assert(s);
    tq_bundle_clear(&s->page);
    for (size_t i = 0; i < bundle->count; i++)
        tq_bundle_add(&s->page, bundle->items[i].type, bundle->items[i].data,
                      bundle->items[i].len);
}

/* A magic's page: its kind, usage and doc (magic/magics.h); false when
 * `name` (without its % signs) is no magic. */
static bool describe_magic(const char *name, bool cell, tq_buf_t *b)
{
    const char *const *names = cell ? tq_magic_cell_names()
                                    : tq_magic_line_names();
    bool known = false;
    for (; *names && !known; names++)
        known = strcmp(*names, name) == 0;
    if (!known)
        return false;
    bool also_cell = false;
    for (const char *const *c = tq_magic_cell_names(); *c; c++)
        also_cell = also_cell || strcmp(*c, name) == 0;
    tq_buf_printf(b, "Magic:     %%%s%s\n", cell ? "%" : "", name);
    tq_buf_printf(b, "Kind:      %s\n", also_cell ? "line and cell magic"
                                                  : "line magic");
    tq_buf_printf(b, "Usage:     %s%s\n", cell ? "%" : "",
                  tq_magic_usage(name));
    tq_buf_printf(b, "Docstring: %s\n", tq_magic_doc(name));
    return true;
}

/* %pinfo NAME (`NAME?`) and %pinfo2 NAME (`NAME??`): pages what the
 * editor's inspection says about NAME, or prints that it is unknown. */
static tq_value_t *pinfo(tq_ctx_t *ctx, const char *args, int detail)
{
    tq_bundle_t bundle = {0};
    bool found;
    if (args[0] == '%') {
        bool cell = args[1] == '%';
        tq_buf_t b = {0};
        found = describe_magic(args + (cell ? 2 : 1), cell, &b);
        if (found)
            tq_bundle_add(&bundle, "text/plain", b.s, b.len);
        tq_buf_free(&b);
    } else {
        found = *args && tq_inspect(ctx, args, tq_utf8_count(args,
                                    strlen(args)), detail, &bundle);
    }
    if (found) {
        page_text(ctx, &bundle);
    } else {
        char *msg = tq_xasprintf("Object `%s` not found.\n", args);
        tq_ctx_print(ctx, msg, strlen(msg));
        free(msg);
    }
    tq_bundle_clear(&bundle);
    return tq_none();
}

static tq_value_t *magic_hook(tq_ctx_t *ctx, const char *name,
                              const char *args, const char *body)
{
    if (!body && !strcmp(name, "pinfo"))
        return pinfo(ctx, args, 0);
    if (!body && !strcmp(name, "pinfo2"))
        return pinfo(ctx, args, 1);
    return tq_magic_run(ctx, name, args, body);
}

/* help(x): what `x??` pages, for a value. */
static char *describe_hook(tq_ctx_t *ctx, tq_value_t *v, int detail)
{
    return tq_inspect_value(ctx, v, detail);
}

/* The context's connection hooks (vm/interp.h), defined below. */
static int session_connect(tq_ctx_t *ctx, const char *path, bool readonly,
                           bool create);
static int session_commit_point(tq_ctx_t *ctx,
                                int (*fn)(tq_ctx_t *, void *), void *ud);
static char **session_history(tq_ctx_t *ctx, size_t *count);

tq_session_t *tq_session_new(const tq_options_t *options, char **error)
{
    tq_options_t defaults = {0};
    if (!options)
        options = &defaults;
    char *err = NULL;
    tqdb_conn_t *db = open_db(options->database, options->readonly,
                          options->create, &err);
    if (!db) {
        if (error)
            *error = err;
        else
            free(err);
        return NULL;
    }
    tq_session_t *s = tq_xcalloc(1, sizeof *s);
    s->ctx = tq_ctx_new(db, options->readonly);
    s->ctx->session = s;
    s->ctx->locked_readonly = options->readonly;
    s->ctx->schema_lookup = tq_schema_lookup;
    s->ctx->schema_names = tq_schema_names;
    s->ctx->magic_run = magic_hook;
    s->ctx->model_declare = tq_model_declare;
    s->ctx->connect = session_connect;
    s->ctx->commit_point = session_commit_point;
    s->ctx->history = session_history;
    s->ctx->describe = describe_hook;
    s->ctx->attributes = tq_inspect_attributes;
    s->inputs = tq_list_new(1);
    tq_value_t *empty = tq_str("");
    tq_list_append(s->inputs, empty);
    s->outputs = tq_dict_new();
    tq_ctx_define_builtin(s->ctx, "In", s->inputs);
    tq_ctx_define_builtin(s->ctx, "Out", s->outputs);
    static const char *const results[] = {"_", "__", "___", "_i", "_ii",
                                          "_iii"};
    for (size_t i = 0; i < sizeof results / sizeof *results; i++)
        tq_ctx_define_builtin(s->ctx, results[i], empty);
    tq_decref(empty);
    tq_builtins_register(s->ctx);
    tq_query_register_builtins(s->ctx);
    frame_register_methods();
    if (tq_schema_refresh(s->ctx) < 0) {
        if (error)
            *error = tq_xasprintf("cannot read the schema: %s",
                                  s->ctx->evalue ? s->ctx->evalue : "?");
        tq_session_destroy(&s);
        return NULL;
    }
    tq_ctx_reset_error(s->ctx);
    return s;
}

void tq_session_destroy(tq_session_t **ps)
{
    tq_session_t *s = *ps;
    if (!s)
        return;
    *ps = NULL;
    tqdb_conn_t *db = s->ctx->db;
    tq_ctx_destroy(&s->ctx);
    tqdb_close(&db);
    for (size_t i = 0; i < s->nhistory; i++)
        free(s->history[i]);
    free(s->history);
    tq_decref(s->inputs);
    tq_decref(s->outputs);
    tq_bundle_clear(&s->page);
    free(s);
}

void tq_session_interrupt(tq_session_t *s)
{
    if (!s)
        return;
    s->ctx->interrupt = 1;
    tqdb_conn_t *db = s->ctx->db;
    if (db)
        tqdb_interrupt(db);
}

/* ---- transactions */

static int begin(tq_ctx_t *ctx)
{
    if (!tqdb_in_transaction(ctx->db) && tqdb_begin(ctx->db) < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

static int commit(tq_ctx_t *ctx)
{
    /* frames still pending (a sort not yet read) get their tables in
     * this transaction, so that a later rollback cannot take them */
    if (frame_cell_commit(ctx) < 0)
        return -1;
    if (tqdb_in_transaction(ctx->db) && tqdb_commit(ctx->db) < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

static int session_commit_point(tq_ctx_t *ctx,
                                int (*fn)(tq_ctx_t *, void *), void *ud)
{
    if (commit(ctx) < 0)
        return -1;
    /* Between the two transactions the guard has nothing to keep (and
     * VACUUM's own internal transaction must pass it). */
    tqdb_guard_transaction(ctx->db, false);
    int rc = fn(ctx, ud);
    tqdb_guard_transaction(ctx->db, true);
    if (begin(ctx) < 0)
        return -1;
    return rc;
}

static int session_connect(tq_ctx_t *ctx, const char *path, bool readonly,
                           bool create)
{
    char *err = NULL;
    if (tqdb_in_transaction(ctx->db) && tqdb_wrote(ctx->db)) {
        /* Switching would commit those writes before the cell's end, and
         * a later error could no longer undo them. */
        tq_raise(ctx, "DatabaseError", "%%connect cannot follow changes "
                 "made earlier in the same cell; run it in a cell of its "
                 "own");
        return -1;
    }
    tqdb_conn_t *db = open_db(path, readonly, create, &err);
    if (!db) {
        tq_raise(ctx, "DatabaseError", "%s", err);
        free(err);
        return -1;
    }
    /* The old connection has written nothing in this cell: end its
     * transaction, then close it. */
    if (commit(ctx) < 0) {
        tqdb_close(&db);
        return -1;
    }
    tqdb_conn_t *old = ctx->db;
    tq_ctx_set_db(ctx, db, readonly);
    tqdb_close(&old);
    /* %connect runs inside a cell: the new connection is guarded too
     * (run_transaction lifts the guard of whichever connection is current
     * when the cell ends). */
    tqdb_guard_transaction(db, true);
    if (tq_schema_refresh(ctx) < 0)
        return -1;
    return begin(ctx);
}

static char **session_history(tq_ctx_t *ctx, size_t *count)
{
    const tq_sink_t *sink = ctx->sink;
    if (sink && sink->history)
        return sink->history(sink->ctx, count);
    tq_session_t *s = ctx->session;
    *count = s ? s->nhistory : 0;
    char **cells = tq_xmalloc((*count ? *count : 1) * sizeof *cells);
    for (size_t i = 0; i < *count; i++)
        cells[i] = tq_xstrdup(s->history[i]);
    return cells;
}

/* ---- errors to results */

/* Appends `line` (stolen), of `len` bytes (NUL bytes inside kept), to
 * the result's traceback. */
static void push_line_n(tq_result_t *r, char *line, size_t len)
{
    size_t n = r->traceback_len + 1;
    r->traceback = tq_xrealloc(r->traceback, n * sizeof *r->traceback);
    r->traceback_lens = tq_xrealloc(r->traceback_lens,
                                    n * sizeof *r->traceback_lens);
    r->traceback[r->traceback_len] = line;
    r->traceback_lens[r->traceback_len++] = len;
}

/* Appends `line` (stolen, NUL-ended text). */
static void push_line(tq_result_t *r, char *line)
{
    push_line_n(r, line, strlen(line));
}

/* IPython 8's traceback colours (ANSI): locations and carets green, the
 * exception's name red. evalue stays plain text. */
#define ANSI_GREEN "\x1b[0;32m"
#define ANSI_RED "\x1b[0;31m"
#define ANSI_RESET "\x1b[0m"

/* A traceback location line ("  Cell In[2], line 1") or caret line
 * ("    ^") coloured green; any other line as it is. malloc'd. */
static char *colour_line(const char *line)
{
    size_t sp = strspn(line, " ");
    bool location = !strncmp(line + sp, "Cell In[", 8) ||
                    !strncmp(line + sp, "File \"", 6);
    bool caret = line[sp] == '^' && line[sp + 1 + strspn(line + sp + 1, "~^")]
                                    == 0;
    if (!location && !caret)
        return tq_xstrdup(line);
    return tq_xasprintf("%.*s" ANSI_GREEN "%s" ANSI_RESET, (int)sp, line,
                        line + sp);
}

/* Moves the context's pending error into `r`. */
static void take_error(tq_ctx_t *ctx, tq_result_t *r, bool rolled_back)
{
    r->ename = tq_xstrdup(ctx->ename ? ctx->ename : "ValueError");
    r->evalue_len = ctx->evalue ? ctx->evalue_len : 0;
    r->evalue = tq_xstrndup(ctx->evalue ? ctx->evalue : "", r->evalue_len);
    if (strcmp(r->ename, "SyntaxError") != 0 || ctx->ntb == 0)
        push_line(r, tq_xstrdup("Traceback (most recent call last)"));
    for (size_t i = 0; i < ctx->ntb; i++)
        push_line(r, colour_line(ctx->tb[i]));
    /* "Ename: evalue", or the name alone for an empty str(e), as Python
     * prints it; evalue whole, NUL bytes and all. */
    tq_buf_t last = {0};
    tq_buf_printf(&last, ANSI_RED "%s" ANSI_RESET, r->ename);
    if (r->evalue_len) {
        tq_buf_add(&last, ": ");
        tq_buf_addn(&last, r->evalue, r->evalue_len);
    }
    size_t last_len = last.len;
    push_line_n(r, tq_buf_take(&last), last_len);
    if (rolled_back)
        push_line(r, tq_xstrdup("All writes of this cell were rolled back."));
    tq_ctx_reset_error(ctx);
}

/* Reports a syntax error at its line and column. */
static void syntax_error(tq_ctx_t *ctx, tq_unit_t *unit,
                         const tq_syntax_error_t *err, tq_result_t *r)
{
    tq_node_t at = {0};
    at.line = err->line > 0 ? err->line : 1;
    at.col = err->col;
    tq_ctx_reset_error(ctx);
    ctx->err = true;
    ctx->ename = tq_xstrdup("SyntaxError");
    ctx->evalue = tq_xstrdup(err->msg ? err->msg : "invalid syntax");
    ctx->evalue_len = strlen(ctx->evalue);
    tq_ctx_locate(ctx, unit, &at, NULL, false);
    take_error(ctx, r, false);
}

/* Runs `fn` in the cell transaction; on error rolls back and fills `r`. */
typedef int (*body_fn)(tq_session_t *s, void *ud, tq_result_t *r);

static tq_status_t run_transaction(tq_session_t *s, body_fn fn, void *ud,
                                   tq_result_t *r)
{
    tq_ctx_t *ctx = s->ctx;
    int rc = begin(ctx);
    int64_t changes0 = tqdb_total_changes(ctx->db);
    tqdb_conn_t *db0 = ctx->db;
    void *frames = frame_cell_begin(ctx);
    /* The cell's own SQL may not end the cell's transaction. */
    tqdb_guard_transaction(ctx->db, true);
    if (rc == 0)
        rc = fn(s, ud, r);
    tqdb_guard_transaction(ctx->db, false);
    if (rc == 0 && commit(ctx) == 0) {
        frame_cell_end(ctx, frames, false);
        return TQ_OK;
    }
    /* Error: roll back whatever this cell wrote. */
    bool wrote = false, ddl = false;
    if (tqdb_in_transaction(ctx->db)) {
        wrote = tqdb_wrote(ctx->db) ||
                (ctx->db == db0 && tqdb_total_changes(ctx->db) != changes0);
        int64_t before = wrote ? tqdb_schema_version(ctx->db) : 0;
        tqdb_rollback(ctx->db);
        ddl = wrote && tqdb_schema_version(ctx->db) != before;
    }
    tq_bundle_clear(&r->bundle);
    take_error(ctx, r, wrote);
    /* the frames this cell made are gone with it: unbind them */
    frame_cell_end(ctx, frames, true);
    if (ddl) {
        /* The rollback undid DDL: re-read the schema. */
        tq_schema_refresh(ctx);
        tq_ctx_reset_error(ctx);
    }
    return TQ_ERROR;
}

typedef struct cell_job {
    tq_unit_t *unit;
    tq_nodelist_t body;
    bool silent;
} cell_job_t;

/* ---- IPython's history: In, Out, _, __, ___, _i, _ii, _iii, _N, _iN */

/* In[n] = source (numbers skipped meanwhile hold ''); _i, _ii and _iii
 * the three inputs before it and _iN this one, as IPython keeps them. */
static void record_input(tq_session_t *s, int n, const char *source)
{
    assert(n > 0);
    tq_value_t *empty = tq_str("");
    while (tq_seq_len(s->inputs) < (size_t)n)
        tq_list_append(s->inputs, empty);
    tq_decref(empty);
    char *masked = tq_mask_passwords(source);
    tq_value_t *src = tq_str(masked);
    free(masked);
    if (tq_seq_len(s->inputs) == (size_t)n) {
        tq_list_append(s->inputs, src);
    } else {
        tq_value_t *key = tq_int(n);
        tq_setitem(s->ctx, s->inputs, key, src);
        tq_decref(key);
    }
    static const char *const before[] = {"_i", "_ii", "_iii"};
    for (int k = 0; k < 3; k++)
        if (n - 1 - k >= 0)
            tq_ctx_define_builtin(s->ctx, before[k],
                                  tq_seq_get(s->inputs, (size_t)(n - 1 - k)));
    char name[32];
    snprintf(name, sizeof name, "_i%d", n);
    tq_ctx_define_builtin(s->ctx, name, src);
    tq_decref(src);
}

/* Out[n] = v; _ the newest result, __ and ___ the two before, _N. */
static void record_output(tq_session_t *s, int n, tq_value_t *v)
{
    assert(n > 0 && v);
    tq_value_t *key = tq_int(n);
    tq_dict_set(s->outputs, key, v);
    tq_decref(key);
    tq_value_t *last = tq_map_get(&s->ctx->builtins, "_");
    tq_value_t *last2 = tq_map_get(&s->ctx->builtins, "__");
    if (last2)
        tq_ctx_define_builtin(s->ctx, "___", last2);
    if (last)
        tq_ctx_define_builtin(s->ctx, "__", last);
    tq_ctx_define_builtin(s->ctx, "_", v);
    char name[32];
    snprintf(name, sizeof name, "_%d", n);
    tq_ctx_define_builtin(s->ctx, name, v);
}

static int run_cell(tq_session_t *s, void *ud, tq_result_t *r)
{
    cell_job_t *job = ud;
    tq_value_t *last = NULL;
    if (tq_exec_module(s->ctx, job->unit, &job->body, &last) < 0)
        return -1;
    int rc = 0;
    if (last && tq_kind(last) != TQ_NONE && !job->silent) {
        rc = tq_display_bundle(s->ctx, last, &r->bundle);
        /* Showing the result failed (a query that errs when it runs):
         * point at the last statement. */
        if (rc < 0 && !s->ctx->located && job->body.len)
            tq_ctx_locate(s->ctx, job->unit,
                          job->body.items[job->body.len - 1], NULL, false);
        if (rc == 0 && s->history_count > 0)
            record_output(s, s->history_count, last);
    }
    tq_decref(last);
    return rc;
}

tq_status_t tq_session_execute(tq_session_t *s, const char *source,
                               const tq_sink_t *sink, bool silent,
                               tq_result_t *result)
{
    tq_ctx_t *ctx = s->ctx;
    memset(result, 0, sizeof *result);
    ctx->sink = sink;
    ctx->progress_done = ctx->progress_total = 0;
    tq_ctx_reset_error(ctx);
    if (!silent) {
        s->count++;
        /* A kernel keeps the history itself (in its SQLite file); only a
         * session without one (tabula-run) keeps the cells in memory. */
        if (!sink || !sink->history)
            TQ_PUSH(s->history, s->nhistory, s->hcap,
                    tq_mask_passwords(source));
    }
    /* In[N]: the kernel's number when it keeps the history, else ours. */
    s->history_count = silent ? 0
                       : sink && sink->history ? sink->execution_count
                                               : s->count;
    if (s->history_count > 0)
        record_input(s, s->history_count, source);
    tq_bundle_clear(&s->page);
    ctx->cell = s->count;
    cell_job_t job = {0};
    job.silent = silent;
    job.unit = tq_unit_new(source, strlen(source), silent ? 0 : s->count);
    tq_syntax_error_t err = {0};
    tq_status_t st;
    if (tq_parse(job.unit->arena, job.unit->source, job.unit->len, &job.body,
                 &err) < 0) {
        syntax_error(ctx, job.unit, &err, result);
        st = TQ_ERROR;
    } else {
        st = run_transaction(s, run_cell, &job, result);
    }
    tq_unit_release(&job.unit);
    result->page = s->page;
    memset(&s->page, 0, sizeof s->page);
    s->history_count = 0;
    ctx->sink = NULL;
    ctx->interrupt = 0;
    tq_gc_maybe();
    return st;
}

typedef struct expr_job {
    tq_unit_t *unit;
    tq_node_t *expr;
} expr_job_t;

static int run_expr(tq_session_t *s, void *ud, tq_result_t *r)
{
    expr_job_t *job = ud;
    tq_value_t *v = tq_eval_expr(s->ctx, job->unit, job->expr);
    if (!v)
        return -1;
    char *text = tq_repr(s->ctx, v);
    tq_decref(v);
    if (!text)
        return -1;
    tq_bundle_add(&r->bundle, "text/plain", text, strlen(text));
    free(text);
    return 0;
}

tq_status_t tq_session_evaluate(tq_session_t *s, const char *expr,
                                tq_result_t *result)
{
    tq_ctx_t *ctx = s->ctx;
    memset(result, 0, sizeof *result);
    tq_ctx_reset_error(ctx);
    expr_job_t job = {0};
    job.unit = tq_unit_new(expr, strlen(expr), 0);
    tq_syntax_error_t err = {0};
    tq_status_t st;
    if (tq_parse_expr(job.unit->arena, job.unit->source, job.unit->len,
                      &job.expr, &err) < 0) {
        syntax_error(ctx, job.unit, &err, result);
        st = TQ_ERROR;
    } else {
        st = run_transaction(s, run_expr, &job, result);
    }
    tq_unit_release(&job.unit);
    return st;
}

/* ---- is_complete */

/* Leading whitespace width of the last non-blank line, and whether that
 * line ends with ':' (ignoring comments roughly). */
static void last_line_info(const char *code, size_t *indent, bool *colon)
{
    const char *end = code + strlen(code);
    const char *line_end = end;
    *indent = 0;
    *colon = false;
    while (line_end > code) {
        const char *ls = line_end;
        while (ls > code && ls[-1] != '\n')
            ls--;
        const char *p = ls;
        while (p < line_end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < line_end && *p != '\n' && *p != '\r') {
            *indent = (size_t)(p - ls);
            const char *q = line_end;
            while (q > p && isspace((unsigned char)q[-1]))
                q--;
            *colon = q > p && q[-1] == ':';
            return;
        }
        line_end = ls > code ? ls - 1 : code;
    }
}

static char *spaces(size_t n)
{
    char *s = tq_xmalloc(n + 1);
    memset(s, ' ', n);
    s[n] = 0;
    return s;
}

static bool ends_with_blank_line(const char *code)
{
    size_t n = strlen(code);
    while (n && (code[n - 1] == ' ' || code[n - 1] == '\t' ||
                 code[n - 1] == '\r'))
        n--;
    return n >= 2 && code[n - 1] == '\n' && code[n - 2] == '\n';
}

/* True when the code's last line is blank: a newline follows the last
 * character that is not a space or tab. IPython's rule for where a block
 * ends (jupyter console sends the cell when the user enters such a line). */
static bool ends_with_newline(const char *code)
{
    size_t n = strlen(code);
    while (n && (code[n - 1] == ' ' || code[n - 1] == '\t' ||
                 code[n - 1] == '\r'))
        n--;
    return n >= 1 && code[n - 1] == '\n';
}

tq_completeness_t tq_is_complete(const char *code, char **indent)
{
    if (indent)
        *indent = NULL;
    size_t ind;
    bool colon;
    last_line_info(code, &ind, &colon);
    const char *p = code;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (p[0] == '%' && p[1] == '%') {
        /* Cell magics end with a blank line, as in IPython. */
        if (ends_with_blank_line(code) || !strchr(p, '\n'))
            return strchr(p, '\n') ? TQ_COMPLETE : TQ_INCOMPLETE;
        if (indent)
            *indent = spaces(ind);
        return TQ_INCOMPLETE;
    }
    tq_arena_t *arena = tq_arena_new();
    tq_nodelist_t body;
    tq_syntax_error_t err = {0};
    int rc = tq_parse(arena, code, strlen(code), &body, &err);
    bool eof = err.eof;
    tq_arena_release(&arena);
    if (rc < 0 && !eof)
        return TQ_INVALID;
    if (rc < 0 || ((ind > 0 || colon) && !ends_with_newline(code))) {
        if (indent)
            *indent = spaces(colon ? ind + 4 : ind);
        return TQ_INCOMPLETE;
    }
    return TQ_COMPLETE;
}

/* ---- completion and inspection (complete.c, inspect.c) */

void tq_session_complete(tq_session_t *s, const char *code,
                         size_t cursor_pos, tq_completion_t *out)
{
    tq_complete(s->ctx, code, cursor_pos, out);
}

bool tq_session_inspect(tq_session_t *s, const char *code, size_t cursor_pos,
                        int detail_level, tq_bundle_t *bundle)
{
    return tq_inspect(s->ctx, code, cursor_pos, detail_level, bundle);
}

/* tq_mask_secrets: see tabula.h. */
char *tq_mask_secrets(const char *text)
{
    return tq_mask_passwords(text);
}
