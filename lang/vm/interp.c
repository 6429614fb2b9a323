/*
 * This file implements the interpreter context (struct tq_ctx) and the
 * context functions of value.h: raising and locating errors (the first
 * error wins; its traceback lines carry the cell line and a caret), also
 * from an exception value (`raise e`, a bare `raise`),
 * SQLite error mapping, the interrupt flag, stdout, display,
 * globals and builtins, and display options.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in value.h (context functions) and interp.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vm/eval.h"
#include "base/errors.h"
#include "base/mask.h"

#include <assert.h>

/* The connection's progress callback: a non-zero return stops the
 * statement as an interrupt, so an interrupt flag set before the statement
 * started (which the engine's own interrupt forgets) still stops it. */
static int progress_interrupt(void *p)
{
    tq_ctx_t *ctx = p;
    tq_ctx_tick(ctx);
    return ctx->interrupt != 0;
}

tq_ctx_t *tq_ctx_new(tqdb_conn_t *db, bool readonly)
{
    tq_ctx_t *ctx = tq_xcalloc(1, sizeof *ctx);
    ctx->db = db;
    if (db)
        tqdb_set_progress(db, progress_interrupt, ctx);
    ctx->readonly = readonly;
    ctx->max_rows = 60;
    ctx->min_rows = 10;
    ctx->max_columns = 20;
    ctx->precision = 6;
    return ctx;
}

/* tq_ctx_connect, tq_ctx_commit_point, tq_ctx_history: see interp.h. */
int tq_ctx_connect(tq_ctx_t *ctx, const char *path, bool readonly,
                   bool create)
{
    assert(ctx->connect);
    return ctx->connect(ctx, path, readonly, create);
}

int tq_ctx_commit_point(tq_ctx_t *ctx, int (*fn)(tq_ctx_t *, void *),
                        void *ud)
{
    assert(ctx->commit_point);
    return ctx->commit_point(ctx, fn, ud);
}

char **tq_ctx_history(tq_ctx_t *ctx, size_t *count)
{
    assert(ctx->history);
    return ctx->history(ctx, count);
}

static void decref_value(void *v)
{
    tq_decref(v);
}

void tq_ctx_destroy(tq_ctx_t **pctx)
{
    tq_ctx_t *ctx = *pctx;
    if (!ctx)
        return;
    *pctx = NULL;
    tq_ctx_reset_error(ctx);
    assert(!ctx->handling);
    tq_map_clear(&ctx->globals, decref_value);
    tq_map_clear(&ctx->builtins, decref_value);
    /* Cycles among the session's values go with it. */
    tq_gc_collect();
    tq_eval_release_caches();
    if (ctx->schema && ctx->schema_destroy)
        ctx->schema_destroy(ctx->schema);
    free(ctx);
}

void tq_ctx_reset_error(tq_ctx_t *ctx)
{
    ctx->err = false;
    free(ctx->ename);
    free(ctx->evalue);
    ctx->ename = ctx->evalue = NULL;
    ctx->evalue_len = 0;
    tq_decref(ctx->exc);
    ctx->exc = NULL;
    for (size_t i = 0; i < ctx->ntb; i++)
        free(ctx->tb[i]);
    free(ctx->tb);
    ctx->tb = NULL;
    ctx->ntb = ctx->tbcap = 0;
    ctx->located = false;
}

/* The source line `line` (1-based) of a unit, malloc'd, without '\n'. */
static char *source_line(const tq_unit_t *u, int line)
{
    const char *s = u->source;
    for (int l = 1; l < line && s; l++) {
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    if (!s)
        return tq_xstrdup("");
    const char *e = strchr(s, '\n');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n && s[n - 1] == '\r')
        n--;
    return tq_xstrndup(s, n);
}

void tq_ctx_locate(tq_ctx_t *ctx, tq_unit_t *unit, const tq_node_t *node,
                   const char *fname, bool outer)
{
    if (!ctx->err || !unit || !node)
        return;
    char *where;
    if (unit->cell > 0)
        where = fname ? tq_xasprintf("  Cell In[%d], line %d, in %s",
                                     unit->cell, node->line, fname)
                      : tq_xasprintf("  Cell In[%d], line %d", unit->cell,
                                     node->line);
    else
        where = fname ? tq_xasprintf("  File \"<string>\", line %d, in %s",
                                     node->line, fname)
                      : tq_xasprintf("  File \"<string>\", line %d",
                                     node->line);
    char *line = source_line(unit, node->line);
    /* Strip the indentation as Python does, moving the caret with it. */
    size_t indent = 0;
    while (line[indent] == ' ' || line[indent] == '\t')
        indent++;
    size_t col = (size_t)node->col;
    size_t caret = col >= indent ? tq_utf8_count(line + indent, col - indent)
                                 : 0;
    char *shown = tq_mask_passwords(line + indent);
    char *code = tq_xasprintf("    %s", shown);
    free(shown);
    tq_buf_t b = {0};
    tq_buf_add(&b, "    ");
    for (size_t i = 0; i < caret; i++)
        tq_buf_addc(&b, ' ');
    tq_buf_addc(&b, '^');
    char *lines[3] = {where, code, tq_buf_take(&b)};
    free(line);
    if (ctx->ntb + 3 > ctx->tbcap) {
        ctx->tbcap = (ctx->ntb + 3) * 2;
        ctx->tb = tq_xrealloc(ctx->tb, ctx->tbcap * sizeof *ctx->tb);
    }
    if (outer) {
        memmove(ctx->tb + 3, ctx->tb, ctx->ntb * sizeof *ctx->tb);
        memcpy(ctx->tb, lines, sizeof lines);
    } else {
        memcpy(ctx->tb + ctx->ntb, lines, sizeof lines);
    }
    ctx->ntb += 3;
    ctx->located = true;
}

tq_value_t *tq_raise(tq_ctx_t *ctx, const char *ename, const char *fmt, ...)
{
    /* Every error the language raises is in base/errors.h's catalogue. */
    assert(tq_error_known(ename));
    if (ctx->err)
        return NULL;
    va_list ap;
    tq_buf_t b = {0};
    va_start(ap, fmt);
    tq_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    ctx->err = true;
    ctx->ename = tq_xstrdup(ename);
    ctx->evalue_len = b.len;
    ctx->evalue = tq_buf_take(&b);
    if (ctx->frame && ctx->node)
        tq_ctx_locate(ctx, ctx->frame->unit, ctx->node, ctx->frame->fname,
                      false);
    return NULL;
}

_Static_assert(TQ_TB_CARRIED_LINES % 3 == 0, "whole frames of 3 lines");

/* Appends copies of `n` traceback lines to the pending error's. */
static void add_tb_lines(tq_ctx_t *ctx, const char *const *lines, size_t n)
{
    if (ctx->ntb + n > ctx->tbcap) {
        ctx->tbcap = (ctx->ntb + n) * 2;
        ctx->tb = tq_xrealloc(ctx->tb, ctx->tbcap * sizeof *ctx->tb);
    }
    for (size_t i = 0; i < n; i++)
        ctx->tb[ctx->ntb++] = tq_xstrdup(lines[i]);
    if (n)
        ctx->located = true;
}

tq_value_t *tq_raise_exception(tq_ctx_t *ctx, tq_value_t *exc, bool reraise)
{
    const char *ename = tq_exception_name(exc);
    assert(ename && tq_error_known(ename));
    if (ctx->err)
        return NULL;
    tq_value_t *text = tq_exception_str(ctx, exc);
    if (!text)
        return NULL;
    ctx->err = true;
    ctx->ename = tq_xstrdup(ename);
    ctx->evalue_len = tq_str_len(text);
    ctx->evalue = tq_xstrndup(tq_as_str(text), ctx->evalue_len);
    tq_decref(text);
    ctx->exc = tq_incref(exc);
    if (!reraise && ctx->frame && ctx->node)
        tq_ctx_locate(ctx, ctx->frame->unit, ctx->node, ctx->frame->fname,
                      false);
    size_t n;
    const char *const *lines = tq_exception_tb(exc, &n);
    if (!reraise && n > TQ_TB_CARRIED_LINES) {
        /* the innermost frames, where it was first raised (whole frames:
         * 3 lines each) */
        lines += n - TQ_TB_CARRIED_LINES;
        n = TQ_TB_CARRIED_LINES;
    }
    add_tb_lines(ctx, lines, n);
    return NULL;
}

tq_value_t *tq_ctx_error_value(tq_ctx_t *ctx)
{
    assert(ctx->err);
    if (!ctx->exc)
        ctx->exc = tq_exception_of_error(ctx->ename, ctx->evalue,
                                         ctx->evalue_len);
    tq_exception_take_tb(ctx->exc, ctx->tb, ctx->ntb);
    ctx->tb = NULL;
    ctx->ntb = ctx->tbcap = 0;
    return tq_incref(ctx->exc);
}

tq_value_t *tq_raise_db(tq_ctx_t *ctx)
{
    assert(ctx->db);
    tqdb_err_t err = tqdb_errcode(ctx->db);
    const char *msg = tqdb_errmsg(ctx->db);
    if (err == TQDB_ERR_INTERRUPTED || ctx->interrupt)
        return tq_raise(ctx, "KeyboardInterrupt", "Execution interrupted");
    if (err == TQDB_ERR_READONLY)
        return tq_raise(ctx, "ReadOnlyError",
                        "The database is open read-only: %s", msg);
    if (err == TQDB_ERR_INTEGRITY)
        return tq_raise(ctx, "IntegrityError", "%s", msg);
    if (err == TQDB_ERR_OPERATIONAL)
        return tq_raise(ctx, "OperationalError", "%s", msg);
    return tq_raise(ctx, "DatabaseError", "%s", msg);
}

bool tq_error_pending(const tq_ctx_t *ctx)
{
    return ctx->err;
}

const char *tq_error_name(const tq_ctx_t *ctx)
{
    return ctx->err ? ctx->ename : NULL;
}

void tq_error_clear(tq_ctx_t *ctx)
{
    tq_ctx_reset_error(ctx);
}

bool tq_interrupted(const tq_ctx_t *ctx)
{
    return ctx->interrupt != 0;
}

tqdb_conn_t *tq_ctx_db(tq_ctx_t *ctx)
{
    return ctx->db;
}

bool tq_ctx_readonly(const tq_ctx_t *ctx)
{
    return ctx->readonly;
}

void tq_ctx_set_db(tq_ctx_t *ctx, tqdb_conn_t *db, bool readonly)
{
    ctx->db = db;
    if (db)
        tqdb_set_progress(db, progress_interrupt, ctx);
    ctx->readonly = readonly;
}

void *tq_ctx_schema(tq_ctx_t *ctx)
{
    return ctx->schema;
}

void tq_ctx_set_schema(tq_ctx_t *ctx, void *schema, void (*destroy)(void *))
{
    if (ctx->schema && ctx->schema != schema && ctx->schema_destroy)
        ctx->schema_destroy(ctx->schema);
    ctx->schema = schema;
    ctx->schema_destroy = destroy;
}

/* Every write goes to the sink at once: batching is the receiver's job
 * (the kernel's iopub relay joins writes and publishes them on a timer,
 * so text printed before a long computation shows while it runs). */
void tq_ctx_print(tq_ctx_t *ctx, const char *text, size_t len)
{
    if (len && ctx->sink && ctx->sink->stream)
        ctx->sink->stream(ctx->sink->ctx, "stdout", text, len);
}

void tq_ctx_progress(tq_ctx_t *ctx, int64_t done, int64_t total)
{
    assert(done >= 0 && total >= 0);
    ctx->progress_done = done;
    ctx->progress_total = total;
    tq_ctx_tick(ctx);
}

void tq_ctx_tick(tq_ctx_t *ctx)
{
    if (ctx->sink && ctx->sink->progress)
        ctx->sink->progress(ctx->sink->ctx, ctx->progress_done,
                            ctx->progress_total);
}

void tq_ctx_display(tq_ctx_t *ctx, const tq_bundle_t *bundle,
                    const char *display_id, bool update)
{
    if (ctx->sink && ctx->sink->display)
        ctx->sink->display(ctx->sink->ctx, bundle, display_id, update);
}

tq_value_t *tq_ctx_get_global(tq_ctx_t *ctx, const char *name)
{
    return tq_map_get(&ctx->globals, name);
}

void tq_ctx_set_global(tq_ctx_t *ctx, const char *name, tq_value_t *value)
{
    tq_decref(tq_map_set(&ctx->globals, name, tq_incref(value)));
}

void tq_ctx_define_builtin(tq_ctx_t *ctx, const char *name, tq_value_t *v)
{
    tq_decref(tq_map_set(&ctx->builtins, name, tq_incref(v)));
}

int64_t tq_ctx_max_rows(const tq_ctx_t *ctx)
{
    return ctx->max_rows;
}

void tq_ctx_set_max_rows(tq_ctx_t *ctx, int64_t n)
{
    ctx->max_rows = n;
}

int64_t tq_ctx_min_rows(const tq_ctx_t *ctx)
{
    return ctx->min_rows;
}

void tq_ctx_set_min_rows(tq_ctx_t *ctx, int64_t n)
{
    assert(n >= 0);
    ctx->min_rows = n;
}

int64_t tq_ctx_max_columns(const tq_ctx_t *ctx)
{
    return ctx->max_columns;
}

void tq_ctx_set_max_columns(tq_ctx_t *ctx, int64_t n)
{
    assert(n >= 0);
    ctx->max_columns = n;
}

int tq_ctx_precision(const tq_ctx_t *ctx)
{
    return ctx->precision;
}

void tq_ctx_set_precision(tq_ctx_t *ctx, int digits)
{
    assert(digits >= 0 && digits <= TQ_PRECISION_MAX);
    ctx->precision = digits;
}
