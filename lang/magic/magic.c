/*
 * This file implements the magics dispatch of magic.h and the database
 * magics: %connect, %attach, %sql and %%sql (statements run in the cell's
 * transaction, `:name` parameters bound from variables, rows shown as a
 * table bundle, or kept as a ResultSet value by `rows = %sql ...` and
 * `%%sql rows <<`), %who, %config, %lsmagic and %history. The output magics
 * (%schema, %graph_models, %timeit, %time, %load_csv, %demo) live in the
 * render and demo files and are only listed here.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in magic.h.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/eval.h"
#include "db/db.h"
#include "frame/frame.h"
#include "magic/magic.h"
#include "magic/magics.h"
#include "orm/django.h"
#include "orm/query.h"
#include "render/render.h"
#include "sql/dialect.h"

typedef struct magic {
    const char *name;
    tq_magic_fn fn;
    bool cell;              /* also a cell magic (%%name) */
    const char *usage;
} magic_t;

static tq_value_t *magic_connect(tq_ctx_t *, const char *, const char *);
static tq_value_t *magic_attach(tq_ctx_t *, const char *, const char *);
static tq_value_t *magic_sql(tq_ctx_t *, const char *, const char *);
static tq_value_t *magic_who(tq_ctx_t *, const char *, const char *);
static tq_value_t *magic_config(tq_ctx_t *, const char *, const char *);
static tq_value_t *magic_lsmagic(tq_ctx_t *, const char *, const char *);
static tq_value_t *magic_history(tq_ctx_t *, const char *, const char *);

/* The magics of magic/magics.h, in its order. */
static const magic_t magics[] = {
#define X(name, fn, where, args, usage, doc)                               \
    {#name, fn, CELL_##where, usage},
#define CELL_LINE false
#define CELL_LINE_CELL true
    TQ_MAGICS(X)
#undef CELL_LINE
#undef CELL_LINE_CELL
#undef X
};

const char *const *tq_magic_line_names(void)
{
    static const char *const names[] = {
#define X(name, fn, where, args, usage, doc) #name,
        TQ_MAGICS(X)
#undef X
        NULL,
    };
    return names;
}

const char *const *tq_magic_cell_names(void)
{
    /* CELL_NAME_<WHERE>(name): the name when it is a cell magic too */
    static const char *const names[] = {
#define X(name, fn, where, args, usage, doc) CELL_NAME_##where(#name)
#define CELL_NAME_LINE(name)
#define CELL_NAME_LINE_CELL(name) name,
        TQ_MAGICS(X)
#undef CELL_NAME_LINE
#undef CELL_NAME_LINE_CELL
#undef X
        NULL,
    };
    return names;
}

const char *tq_magic_usage(const char *name)
{
    for (size_t i = 0; i < sizeof magics / sizeof *magics; i++)
        if (strcmp(magics[i].name, name) == 0)
            return magics[i].usage;
    assert(!"tq_magic_usage: not a magic");
    return "";
}

const char *tq_magic_doc(const char *name)
{
    static const struct {
        const char *name, *doc;
    } docs[] = {
#define X(name, fn, where, args, usage, doc) {#name, doc},
        TQ_MAGICS(X)
#undef X
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        if (strcmp(docs[i].name, name) == 0)
            return docs[i].doc;
    return NULL;
}

static tq_value_t *sql_value(tq_ctx_t *ctx, const char *sql);

tq_value_t *tq_magic_run(tq_ctx_t *ctx, const char *name, const char *args,
                         const char *body)
{
    /* `x = %sql ...` keeps every row as a value */
    bool value = ctx->magic_value;
    ctx->magic_value = false;
    if (value && !body && strcmp(name, "sql") == 0)
        return sql_value(ctx, args ? args : "");
    for (size_t i = 0; i < sizeof magics / sizeof *magics; i++)
        if ((!body || magics[i].cell) && strcmp(magics[i].name, name) == 0)
            return magics[i].fn(ctx, args ? args : "", body);
    if (body)
        return tq_raise(ctx, "ValueError", "Cell magic `%%%%%s` not found.",
                        name);
    return tq_raise(ctx, "ValueError", "Line magic function `%%%s` not found.",
                    name);
}

/* ---- argument words: whitespace-separated, quotes group */

typedef struct words {
    char **w;
    size_t n, cap;
} words_t;

static void words_split(words_t *ws, const char *s)
{
    memset(ws, 0, sizeof *ws);
    while (*s) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        tq_buf_t b = {0};
        tq_buf_addn(&b, "", 0);
        while (*s && !isspace((unsigned char)*s)) {
            if (*s == '\'' || *s == '"') {
                char q = *s++;
                while (*s && *s != q)
                    tq_buf_addc(&b, *s++);
                if (*s)
                    s++;
            } else {
                tq_buf_addc(&b, *s++);
            }
        }
        TQ_PUSH(ws->w, ws->n, ws->cap, tq_buf_take(&b));
    }
}

static void words_free(words_t *ws)
{
    for (size_t i = 0; i < ws->n; i++)
        free(ws->w[i]);
    free(ws->w);
}

/* %connect PATH [--readonly] [--create] */
static tq_value_t *magic_connect(tq_ctx_t *ctx, const char *args,
                                 const char *body)
{
    words_t ws;
    words_split(&ws, args);
    const char *path = NULL;
    bool readonly = false, create = false;
    tq_value_t *r = NULL;
    for (size_t i = 0; i < ws.n; i++) {
        if (strcmp(ws.w[i], "--readonly") == 0)
            readonly = true;
        else if (strcmp(ws.w[i], "--create") == 0)
            create = true;
        else if (ws.w[i][0] == '-' && ws.w[i][1] == '-') {
            tq_raise(ctx, "ValueError", "%%connect: unknown option '%s'",
                     ws.w[i]);
            goto done;
        } else if (path) {
            tq_raise(ctx, "ValueError", "usage: %s",
                     tq_magic_usage("connect"));
            goto done;
        } else {
            path = ws.w[i];
        }
    }
    if (!path) {
        tq_raise(ctx, "ValueError", "usage: %s", tq_magic_usage("connect"));
        goto done;
    }
    /* A session started read-only stays read-only. */
    if (ctx->locked_readonly)
        readonly = true;
    if (tq_ctx_connect(ctx, path, readonly, create) == 0)
        r = tq_none();
    /* frames' in-memory copies belong to the old connection's tables */
    frame_changed();
done:
    words_free(&ws);
    return r;
}

static bool is_identifier(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

typedef struct attach_job {
    const char *path, *name;
} attach_job_t;

static int do_attach(tq_ctx_t *ctx, void *ud)
{
    attach_job_t *job = ud;
    assert(ctx->db && job->path && is_identifier(job->name));
    tq_buf_t sql = {0};
    tq_dialect_for(ctx->db)->attach(&sql, job->name);
    tqdb_cursor_t *cur = NULL;
    int rc = tqdb_prepare(ctx->db, sql.s, &cur, NULL);
    tq_buf_free(&sql);
    if (rc == 0)
        rc = tqdb_bind_text(cur, 1, job->path, -1);
    if (rc == 0)
        rc = tqdb_step(cur) < 0 ? -1 : 0;
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        tq_raise(ctx, "DatabaseError", "%s", tqdb_errmsg(ctx->db));
        return -1;
    }
    return 0;
}

/* %attach PATH as NAME */
static tq_value_t *magic_attach(tq_ctx_t *ctx, const char *args,
                                const char *body)
{
    words_t ws;
    words_split(&ws, args);
    tq_value_t *r = NULL;
    if (ws.n != 3 || strcasecmp(ws.w[1], "as") != 0) {
        tq_raise(ctx, "ValueError", "usage: %s", tq_magic_usage("attach"));
    } else if (!is_identifier(ws.w[2])) {
        tq_raise(ctx, "ValueError",
                 "%%attach: '%s' is not a valid schema name", ws.w[2]);
    } else if (!tq_dialect_for(ctx->db)->has_attach) {
        tq_raise(ctx, "OperationalError", "%%attach: the %s database cannot "
                 "attach another database file",
                 tq_dialect_for(ctx->db)->name);
    } else {
        attach_job_t job = {ws.w[0], ws.w[2]};
        if (tqdb_wrote(ctx->db)) {
            /* ATTACH runs between two transactions: it would commit the
             * cell's writes, which a later error could not undo. */
            tq_raise(ctx, "DatabaseError", "%%attach cannot follow changes "
                     "made earlier in the same cell; run it in a cell of "
                     "its own");
        } else if (tq_ctx_commit_point(ctx, do_attach, &job) == 0 &&
            tq_schema_refresh(ctx) == 0)
            r = tq_none();
    }
    words_free(&ws);
    return r;
}

/* ---- %sql */

/* Collects a statement's rows into a table: the first rows and the last
 * rows past max_rows (as tq_table_fetch splits them), in one pass.
 * max_rows < 0 keeps every row (a ResultSet value); 0 or a count past
 * TQ_TABLE_ROW_CAP keeps TQ_TABLE_ROW_CAP rows, as a display does. */
typedef struct collector {
    tq_table_t t;
    int64_t max_rows;
    size_t head_cap, tail_cap;   /* in rows */
    tqdb_datum_t **ring;         /* tail ring buffer, tail_cap rows */
    size_t ring_start, ring_len;
} collector_t;

static void collector_init(collector_t *c, tqdb_cursor_t *cur,
                           int64_t max_rows)
{
    memset(c, 0, sizeof *c);
    if (max_rows == 0 || max_rows > TQ_TABLE_ROW_CAP) {
        /* "show all", and any count past the cap, is capped (render.h) */
        max_rows = TQ_TABLE_ROW_CAP;
        c->t.cap = TQ_TABLE_ROW_CAP;
    }
    c->max_rows = max_rows;
    c->t.ncols = (size_t)tqdb_column_count(cur);
    assert(c->t.ncols > 0);
    c->t.columns = tq_xcalloc(c->t.ncols, sizeof *c->t.columns);
    for (size_t i = 0; i < c->t.ncols; i++) {
        const char *name = tqdb_column_name(cur, (int)i);
        c->t.columns[i] = tq_xstrdup(name ? name : "");
    }
    if (max_rows > 0) {
        c->head_cap = (size_t)(max_rows - max_rows / 2);
        c->tail_cap = (size_t)(max_rows / 2);
        c->ring = tq_xcalloc(c->tail_cap * c->t.ncols + 1, sizeof *c->ring);
    }
}

static void collector_row(collector_t *c, tqdb_cursor_t *cur)
{
    size_t nc = c->t.ncols;
    assert(nc == (size_t)tqdb_column_count(cur));
    tqdb_datum_t **dst;
    if (c->max_rows <= 0 || c->t.nhead < c->head_cap) {
        c->t.head = tq_xrealloc(c->t.head,
                                (c->t.nhead + 1) * nc * sizeof *c->t.head);
        dst = c->t.head + c->t.nhead * nc;
        c->t.nhead++;
    } else if (c->tail_cap == 0) {
        c->t.total++;
        return;
    } else {
        size_t slot;
        if (c->ring_len < c->tail_cap) {
            slot = (c->ring_start + c->ring_len++) % c->tail_cap;
        } else {
            slot = c->ring_start;
            c->ring_start = (c->ring_start + 1) % c->tail_cap;
            for (size_t i = 0; i < nc; i++)
                free(c->ring[slot * nc + i]);
        }
        dst = c->ring + slot * nc;
    }
    for (size_t i = 0; i < nc; i++) {
        tqdb_datum_t d = tqdb_column(cur, (int)i);
        dst[i] = tqdb_datum_dup(&d);
    }
    c->t.total++;
}

/* Moves the ring into head (untruncated) or tail (truncated). */
static void collector_finish(collector_t *c)
{
    size_t nc = c->t.ncols;
    if (c->t.total <= c->max_rows)
        c->t.cap = 0;             /* nothing was cut: no note */
    if (c->ring_len) {
        bool truncated = c->t.total > c->max_rows;
        tqdb_datum_t **out = tq_xmalloc(c->ring_len * nc * sizeof *out);
        for (size_t r = 0; r < c->ring_len; r++) {
            size_t slot = (c->ring_start + r) % c->tail_cap;
            memcpy(out + r * nc, c->ring + slot * nc, nc * sizeof *out);
        }
        if (truncated) {
            c->t.tail = out;
            c->t.ntail = c->ring_len;
        } else {
            c->t.head = tq_xrealloc(c->t.head, (c->t.nhead + c->ring_len) *
                                                   nc * sizeof *c->t.head);
            memcpy(c->t.head + c->t.nhead * nc, out,
                   c->ring_len * nc * sizeof *out);
            c->t.nhead += c->ring_len;
            free(out);
        }
        c->ring_len = 0;
    }
    free(c->ring);
    c->ring = NULL;
}

static void collector_free(collector_t *c)
{
    size_t nc = c->t.ncols;
    for (size_t r = 0; r < c->ring_len; r++) {
        size_t slot = (c->ring_start + r) % c->tail_cap;
        for (size_t i = 0; i < nc; i++)
            free(c->ring[slot * nc + i]);
    }
    free(c->ring);
    c->ring = NULL;
    c->ring_len = 0;
    tq_table_clear(&c->t);
}

/* Binds :name, $name and @name parameters from variables. */
static int bind_params(tq_ctx_t *ctx, tqdb_cursor_t *cur)
{
    int n = tqdb_param_count(cur);
    for (int i = 1; i <= n; i++) {
        const char *pname = tqdb_param_name(cur, i);
        if (!pname || !pname[1] || isdigit((unsigned char)pname[1])) {
            tq_raise(ctx, "DatabaseError",
                     "%%sql binds variables by name: write :name, not %s",
                     pname ? pname : "?");
            return -1;
        }
        tq_value_t *v = tq_lookup(ctx, pname + 1);
        if (!v) {
            if (!tq_error_pending(ctx))
                tq_raise(ctx, "NameError", "name '%s' is not defined",
                         pname + 1);
            return -1;
        }
        int rc = tq_bind(ctx, cur, i, v);
        tq_decref(v);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The statement's text after leading white space, SQL comments and empty
 * statements (';'), which the engine skips too. */
static const char *statement_start(const char *sql)
{
    for (;;) {
        while (isspace((unsigned char)*sql) || *sql == ';')
            sql++;
        if (sql[0] == '-' && sql[1] == '-') {
            sql = strchr(sql, '\n');
            if (!sql)
                return "";
        } else if (sql[0] == '/' && sql[1] == '*') {
            const char *end = strstr(sql + 2, "*/");
            if (!end)
                return "";
            sql = end + 2;
        } else {
            return sql;
        }
    }
}

/* True when the statement's first word is `word` (any case). */
static bool starts_with_word(const char *sql, const char *word)
{
    sql = statement_start(sql);
    size_t n = strlen(word);
    return strncasecmp(sql, word, n) == 0 &&
           !isalnum((unsigned char)sql[n]) && sql[n] != '_';
}

/* True for a statement that changes the schema (it is read again). */
static bool is_ddl(const char *sql)
{
    static const char *const kw[] = {"CREATE", "DROP", "ALTER", "ATTACH",
                                     "DETACH", NULL};
    for (const char *const *k = kw; *k; k++)
        if (starts_with_word(sql, *k))
            return true;
    return false;
}

/* Steps the cursor `ud` to its end, discarding rows. */
static int step_to_end(tq_ctx_t *ctx, void *ud)
{
    tqdb_cursor_t *cur = ud;
    assert(cur);
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW)
        ;
    if (rc != TQDB_DONE) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

/* VACUUM cannot run inside a transaction, so it runs between the cell's
 * transaction and a new one, and only while the cell has written nothing:
 * the commit then carries no change, and an error later in the cell still
 * leaves the database as it was (VACUUM changes no content). A read-only
 * session refuses it, VACUUM INTO included (it writes a file). */
static int run_vacuum(tq_ctx_t *ctx, tqdb_cursor_t *cur)
{
    if (!tq_dialect_for(ctx->db)->has_vacuum) {
        tq_raise(ctx, "OperationalError", "VACUUM: the %s database has no "
                 "VACUUM to run outside the cell's transaction",
                 tq_dialect_for(ctx->db)->name);
        return -1;
    }
    if (ctx->readonly) {
        tq_raise(ctx, "ReadOnlyError", "The database is open read-only: "
                 "VACUUM writes a database file");
        return -1;
    }
    if (tqdb_wrote(ctx->db)) {
        tq_raise(ctx, "DatabaseError", "VACUUM cannot follow changes made "
                 "earlier in the same cell (it runs outside the cell's "
                 "transaction); run it in a cell of its own");
        return -1;
    }
    return tq_ctx_commit_point(ctx, step_to_end, cur);
}

/* pandas' display options of the context, for a table fetched with its
 * max_rows. */
static tq_display_t ctx_display(tq_ctx_t *ctx)
{
    return (tq_display_t){.set = true,
                          .max_rows = tq_ctx_max_rows(ctx),
                          .min_rows = tq_ctx_min_rows(ctx),
                          .max_columns = tq_ctx_max_columns(ctx),
                          .precision = tq_ctx_precision(ctx)};
}

/* The table bundle of collected rows, shown with the context's display
 * options. */
static tq_value_t *table_value(tq_ctx_t *ctx, collector_t *c)
{
    c->t.display = ctx_display(ctx);
    char *html = tq_html_table(&c->t);
    char *text = tq_text_table(&c->t);
    tq_bundle_t b = {0};
    if (html)
        tq_bundle_add(&b, "text/html", html, tq_render_nuls(html));
    if (text)
        tq_bundle_add(&b, "text/plain", text, tq_render_nuls(text));
    free(html);
    free(text);
    return tq_bundle_value_new(&b);
}

/* ---- ResultSet: the rows of `rows = %sql ...` and `%%sql rows <<`, all
 * of them, shown as %sql shows a table; len(), iteration and indexing
 * give the rows as tuples */

static void result_set_destroy(void *data)
{
    tq_table_t *t = data;
    tq_table_clear(t);
    free(t);
}

/* The displayed part of the rows: the first and last rows past
 * max_rows, as tq_table_fetch splits them; cells borrowed from `t`. */
static tq_table_t result_set_view(tq_ctx_t *ctx, const tq_table_t *t)
{
    tq_table_t view = *t;
    view.display = ctx_display(ctx);
    int64_t max_rows = tq_ctx_max_rows(ctx);
    if (max_rows > 0 && max_rows <= TQ_TABLE_ROW_CAP && t->total > max_rows) {
        size_t head = (size_t)(max_rows - max_rows / 2);
        size_t tail = (size_t)(max_rows / 2);
        view.nhead = head;
        view.tail = t->head + (t->nhead - tail) * t->ncols;
        view.ntail = tail;
    }
    return view;
}

static char *result_set_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    tq_table_t view = result_set_view(ctx, tq_native_data(self));
    char *text = tq_text_table(&view);
    tq_render_nuls(text);          /* a repr ends at a NUL */
    return text;
}

static int result_set_display(tq_ctx_t *ctx, tq_value_t *self,
                              tq_bundle_t *out)
{
    tq_table_t view = result_set_view(ctx, tq_native_data(self));
    char *html = tq_html_table(&view);
    char *text = tq_text_table(&view);
    if (html)
        tq_bundle_add(out, "text/html", html, tq_render_nuls(html));
    if (text)
        tq_bundle_add(out, "text/plain", text, tq_render_nuls(text));
    free(html);
    free(text);
    return 0;
}

/* Row i (0-based, in range) as a tuple. */
static tq_value_t *result_set_row(const tq_table_t *t, size_t i)
{
    assert(i < t->nhead);
    tq_value_t *row = tq_tuple_new(t->ncols);
    for (size_t c = 0; c < t->ncols; c++)
        tq_tuple_set(row, c, tq_datum_value(t->head[i * t->ncols + c]));
    return row;
}

static tq_value_t *result_set_iterate(tq_ctx_t *ctx, tq_value_t *self)
{
    const tq_table_t *t = tq_native_data(self);
    tq_value_t *list = tq_list_new(t->nhead);
    for (size_t i = 0; i < t->nhead; i++) {
        tq_value_t *row = result_set_row(t, i);
        tq_list_append(list, row);
        tq_decref(row);
    }
    return list;
}

static int64_t result_set_length(tq_ctx_t *ctx, tq_value_t *self)
{
    const tq_table_t *t = tq_native_data(self);
    return (int64_t)t->nhead;
}

static tq_value_t *result_set_getitem(tq_ctx_t *ctx, tq_value_t *self,
                                      tq_value_t *key)
{
    const tq_table_t *t = tq_native_data(self);
    if (tq_kind(key) != TQ_INT)
        return tq_raise(ctx, "TypeError", "ResultSet indices must be "
                        "integers, not %s", tq_type_name(key));
    int64_t i = tq_as_int(key);
    if (i < 0)
        i += (int64_t)t->nhead;
    if (i < 0 || i >= (int64_t)t->nhead)
        return tq_raise(ctx, "IndexError", "ResultSet index out of range");
    return result_set_row(t, (size_t)i);
}

static tq_value_t *result_set_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                      const char *name)
{
    const tq_table_t *t = tq_native_data(self);
    if (strcmp(name, "keys") == 0 || strcmp(name, "columns") == 0) {
        tq_value_t *list = tq_list_new(t->ncols);
        for (size_t c = 0; c < t->ncols; c++) {
            tq_value_t *n = tq_str(t->columns[c]);
            tq_list_append(list, n);
            tq_decref(n);
        }
        return list;
    }
    return tq_raise(ctx, "AttributeError",
                    "'ResultSet' object has no attribute '%s'", name);
}

static const tq_type_t result_set_type = {
    .name = "ResultSet",
    .destroy = result_set_destroy,
    .repr = result_set_repr,
    .display = result_set_display,
    .getattr = result_set_getattr,
    .getitem = result_set_getitem,
    .iterate = result_set_iterate,
    .length = result_set_length,
};

/* Takes the rows of `t` (every row in head) into a ResultSet value. */
static tq_value_t *result_set_new(tq_table_t *t)
{
    assert(t->ntail == 0 && (int64_t)t->nhead == t->total);
    tq_table_t *own = tq_xmalloc(sizeof *own);
    *own = *t;
    memset(t, 0, sizeof *t);
    return tq_native_new(&result_set_type, own);
}

/* Runs the statements of `sql`; the last one's rows become the value: a
 * table bundle of the first and last rows (keep false) or a ResultSet of
 * every row (keep true); None when no statement returns rows. */
static tq_value_t *run_sql(tq_ctx_t *ctx, const char *sql, bool keep)
{
    const char *tail = sql;
    bool schema_changed = false, have_table = false;
    collector_t table = {0};
    int rc = 0;
    assert(ctx->db && sql);
    while (rc == 0 && tail && *tail) {
        tqdb_cursor_t *cur = NULL;
        const char *next = NULL;
        if (tqdb_prepare(ctx->db, tail, &cur, &next) < 0) {
            tq_raise_db(ctx);
            rc = -1;
            break;
        }
        if (!cur)
            break;      /* nothing but white space or comments */
        assert(next && next > tail);
        const char *text = tail;
        tail = next;
        if (bind_params(ctx, cur) < 0) {
            tqdb_cursor_free(&cur);
            rc = -1;
            break;
        }
        /* ATTACH and DETACH count as read-only statements, yet they change
         * the schemas the names come from. */
        if (is_ddl(text) && (!tqdb_cursor_readonly(cur) ||
                             starts_with_word(text, "ATTACH") ||
                             starts_with_word(text, "DETACH")))
            schema_changed = true;
        /* raw SQL may write a frame's temp table: its in-memory copies
         * and dtypes are read again */
        if (!tqdb_cursor_readonly(cur))
            frame_changed();
        if (starts_with_word(text, "VACUUM")) {
            int vrc = run_vacuum(ctx, cur);
            tqdb_cursor_free(&cur);
            if (vrc < 0) {
                rc = -1;
                break;
            }
            continue;
        }
        bool rows = tqdb_column_count(cur) > 0;
        collector_t c;
        if (rows)
            collector_init(&c, cur, keep ? -1 : tq_ctx_max_rows(ctx));
        int src;
        while ((src = tqdb_step(cur)) == TQDB_ROW) {
            if (ctx->interrupt)
                break;
            if (rows)
                collector_row(&c, cur);
        }
        if (src != TQDB_DONE) {
            if (ctx->interrupt && src == TQDB_ROW)
                tq_raise(ctx, "KeyboardInterrupt", "Execution interrupted");
            else
                tq_raise_db(ctx);
            tqdb_cursor_free(&cur);
            if (rows)
                collector_free(&c);
            rc = -1;
            break;
        }
        tqdb_cursor_free(&cur);
        if (rows) {
            collector_finish(&c);
            if (have_table)
                collector_free(&table);
            table = c;
            have_table = true;
        }
    }
    if (schema_changed) {
        int src = tq_schema_refresh(ctx);
        if (rc == 0 && src < 0)
            rc = -1;
    }
    tq_value_t *result = NULL;
    if (rc == 0 && have_table && keep)
        result = result_set_new(&table.t);
    else if (rc == 0)
        result = have_table ? table_value(ctx, &table) : tq_none();
    if (have_table)
        collector_free(&table);
    return result;
}

static tq_value_t *sql_value(tq_ctx_t *ctx, const char *sql)
{
    return run_sql(ctx, sql, true);
}

/* `%%sql NAME <<` (IPython-sql's form): NAME when the arguments are an
 * identifier followed by `<<`, else NULL. malloc'd. */
static char *result_target(const char *args)
{
    const char *p = args;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *b = p;
    while (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80)
        p++;
    const char *e = p;
    while (*p == ' ' || *p == '\t')
        p++;
    if (e == b || isdigit((unsigned char)*b) || strncmp(p, "<<", 2) != 0)
        return NULL;
    p += 2;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p ? NULL : tq_xstrndup(b, (size_t)(e - b));
}

static tq_value_t *magic_sql(tq_ctx_t *ctx, const char *args,
                             const char *body)
{
    char *target = body ? result_target(args) : NULL;
    if (!target)
        return run_sql(ctx, body && *body ? body : args, false);
    tq_value_t *v = run_sql(ctx, body, true);
    if (v) {
        tq_ctx_set_global(ctx, target, v);
        char *msg = tq_xasprintf("Returning data to local variable %s\n",
                                 target);
        tq_ctx_print(ctx, msg, strlen(msg));
        free(msg);
        tq_decref(v);
        v = tq_none();
    }
    free(target);
    return v;
}

/* ---- %who, %config, %lsmagic, %history */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static tq_value_t *magic_who(tq_ctx_t *ctx, const char *args,
                             const char *body)
{
    size_t n = 0;
    const char **names = tq_xmalloc((ctx->globals.count + 1) * sizeof *names);
    for (size_t i = 0; i < ctx->globals.cap; i++)
        if (ctx->globals.slots[i].key)
            names[n++] = ctx->globals.slots[i].key;
    qsort(names, n, sizeof *names, cmp_str);
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    if (n == 0) {
        tq_buf_add(&b, "Interactive namespace is empty.\n");
    } else {
        tq_buf_add(&b, "Variables: ");
        for (size_t i = 0; i < n; i++)
            tq_buf_printf(&b, "%s%s", i ? "\t" : "", names[i]);
        tq_buf_addc(&b, '\n');
    }
    free(names);
    tq_value_t *tables = tq_schema_names(ctx);
    if (!tables) {
        tq_buf_free(&b);
        return NULL;
    }
    if (tq_kind(tables) == TQ_LIST && tq_seq_len(tables)) {
        tq_buf_add(&b, "Tables: ");
        for (size_t i = 0; i < tq_seq_len(tables); i++) {
            tq_value_t *t = tq_seq_get(tables, i);
            if (tq_kind(t) == TQ_STR)
                tq_buf_printf(&b, "%s%s", i ? "\t" : "", tq_as_str(t));
        }
        tq_buf_addc(&b, '\n');
    }
    tq_decref(tables);
    tq_ctx_print(ctx, b.s, b.len);
    tq_buf_free(&b);
    return tq_none();
}

/* The display options %config knows: pandas' names, in pandas' order
 * (alphabetical, as describe_option('display') lists them). */
typedef enum display_option {
    OPT_MAX_COLUMNS,
    OPT_MAX_ROWS,
    OPT_MIN_ROWS,
    OPT_PRECISION,
    OPT_COUNT
} display_option_t;

static const char *const OPTION_NAMES[OPT_COUNT] = {
    "display.max_columns", "display.max_rows", "display.min_rows",
    "display.precision",
};

static int64_t option_get(tq_ctx_t *ctx, display_option_t o)
{
    switch (o) {
    case OPT_MAX_COLUMNS: return tq_ctx_max_columns(ctx);
    case OPT_MAX_ROWS:    return tq_ctx_max_rows(ctx);
    case OPT_MIN_ROWS:    return tq_ctx_min_rows(ctx);
    case OPT_PRECISION:   return tq_ctx_precision(ctx);
    case OPT_COUNT:       break;
    }
    assert(0);
    return 0;
}

static void option_set(tq_ctx_t *ctx, display_option_t o, int64_t n)
{
    switch (o) {
    case OPT_MAX_COLUMNS: tq_ctx_set_max_columns(ctx, n); return;
    case OPT_MAX_ROWS:    tq_ctx_set_max_rows(ctx, n); return;
    case OPT_MIN_ROWS:    tq_ctx_set_min_rows(ctx, n); return;
    case OPT_PRECISION:   tq_ctx_set_precision(ctx, (int)n); return;
    case OPT_COUNT:       break;
    }
    assert(0);
}

/* The option named `key` ("display.max_rows" or "max_rows"), or
 * OPT_COUNT. */
static display_option_t option_find(const char *key)
{
    for (int o = 0; o < OPT_COUNT; o++)
        if (strcmp(key, OPTION_NAMES[o]) == 0 ||
            strcmp(key, OPTION_NAMES[o] + strlen("display.")) == 0)
            return (display_option_t)o;
    return OPT_COUNT;
}

/* Prints "display.x = value" for option `only`, or for every option when
 * `only` is OPT_COUNT. */
static void options_print(tq_ctx_t *ctx, display_option_t only)
{
    tq_buf_t b = {0};
    for (int o = 0; o < OPT_COUNT; o++)
        if (only == OPT_COUNT || only == (display_option_t)o)
            tq_buf_printf(&b, "%s = %lld\n", OPTION_NAMES[o],
                          (long long)option_get(ctx, (display_option_t)o));
    tq_ctx_print(ctx, b.s, b.len);
    tq_buf_free(&b);
}

/* %config statement_timeout [= VALUE]: the database's statement timeout
 * (tqdb_set_statement_timeout: PostgreSQL's, in its syntax, quoted or
 * not: '5s', 250ms, 0; None is 0, no timeout). Shown as the server shows
 * it. An engine without one (SQLite) refuses with OperationalError; a
 * value the server refuses is a ValueError. */
static tq_value_t *config_statement_timeout(tq_ctx_t *ctx, const char *eq)
{
    tqdb_conn_t *db = tq_ctx_db(ctx);
    if (!eq) {
        char *v = db ? tqdb_statement_timeout(db) : NULL;
        if (!v)
            return tq_raise(ctx, "OperationalError", "%%config: the %s "
                            "database has no statement timeout "
                            "(statement_timeout is PostgreSQL's)",
                            db ? tqdb_engine(db) : "in-memory");
        char *line = tq_xasprintf("statement_timeout = %s\n", v);
        tq_ctx_print(ctx, line, strlen(line));
        free(line);
        free(v);
        return tq_none();
    }
    const char *v = eq + 1;
    while (isspace((unsigned char)*v))
        v++;
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    char *value;
    if (n >= 2 && (v[0] == '\'' || v[0] == '"') && v[n - 1] == v[0])
        value = tq_xstrndup(v + 1, n - 2);
    else
        value = tq_xstrndup(v, n);
    if (strcmp(value, "None") == 0) {
        free(value);
        value = tq_xstrdup("0");
    }
    tq_value_t *r = NULL;
    if (!*value) {
        tq_raise(ctx, "ValueError", "%%config: statement_timeout takes a "
                 "duration such as '5s', '250ms' or 0 (none)");
    } else if (tqdb_set_statement_timeout(db, value) < 0) {
        tqdb_err_t e = tqdb_errcode(db);
        if (e == TQDB_ERR_OPERATIONAL || e == TQDB_ERR_INTERRUPTED)
            tq_raise(ctx, tqdb_err_exception(e), "%%config: %s",
                     tqdb_errmsg(db));
        else
            tq_raise(ctx, "ValueError", "%%config: statement_timeout = "
                     "'%s': %s", value, tqdb_errmsg(db));
    } else {
        r = tq_none();
    }
    free(value);
    return r;
}

/* %config: shows every display option (no argument, or "display"), one
 * of them ("display.max_rows"), or sets one ("display.max_rows = 20";
 * None is 0 for the counts); statement_timeout is the database's. */
static tq_value_t *magic_config(tq_ctx_t *ctx, const char *args,
                                const char *body)
{
    const char *eq = strchr(args, '=');
    size_t kl = eq ? (size_t)(eq - args) : strlen(args);
    while (kl && isspace((unsigned char)args[kl - 1]))
        kl--;
    char *key = tq_xstrndup(args, kl);
    if (!eq && (!*key || strcmp(key, "display") == 0)) {
        free(key);
        options_print(ctx, OPT_COUNT);
        return tq_none();
    }
    if (strcmp(key, "statement_timeout") == 0) {
        free(key);
        return config_statement_timeout(ctx, eq);
    }
    display_option_t o = option_find(key);
    tq_value_t *r = NULL;
    if (o == OPT_COUNT) {
        tq_buf_t known = {0};
        for (int i = 0; i < OPT_COUNT; i++)
            tq_buf_printf(&known, "%s%s", i ? ", " : "", OPTION_NAMES[i]);
        tq_buf_add(&known, ", statement_timeout");
        tq_raise(ctx, "ValueError",
                 "%%config: unknown option '%s' (known: %s)", key, known.s);
        tq_buf_free(&known);
    } else if (!eq) {
        options_print(ctx, o);
        r = tq_none();
    } else {
        const char *name = OPTION_NAMES[o];
        const char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        bool overflow = errno == ERANGE;
        while (isspace((unsigned char)*end))
            end++;
        if (o != OPT_PRECISION && strcmp(v, "None") == 0) {
            option_set(ctx, o, 0);
            r = tq_none();
        } else if (overflow && end != v && !*end) {
            tq_raise(ctx, "OverflowError",
                     "%%config: %s = %s does not fit in a 64-bit integer",
                     name, v);
        } else if (o == OPT_PRECISION &&
                   (end == v || *end || n < 0 || n > TQ_PRECISION_MAX)) {
            tq_raise(ctx, "ValueError",
                     "%%config: %s takes a number from 0 to %d, not '%s'",
                     name, TQ_PRECISION_MAX, v);
        } else if (end == v || *end || n < 0) {
            tq_raise(ctx, "ValueError",
                     "%%config: %s takes a number >= 0 or None, not '%s'",
                     name, v);
        } else {
            option_set(ctx, o, n);
            r = tq_none();
        }
    }
    free(key);
    return r;
}

static tq_value_t *magic_lsmagic(tq_ctx_t *ctx, const char *args,
                                 const char *body)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "Available line magics:\n");
    for (const char *const *n = tq_magic_line_names(); *n; n++)
        tq_buf_printf(&b, "%s%%%s", n == tq_magic_line_names() ? "" : "  ",
                      *n);
    tq_buf_add(&b, "\n\nAvailable cell magics:\n");
    for (const char *const *n = tq_magic_cell_names(); *n; n++)
        tq_buf_printf(&b, "%s%%%%%s", n == tq_magic_cell_names() ? "" : "  ",
                      *n);
    tq_buf_addc(&b, '\n');
    tq_ctx_print(ctx, b.s, b.len);
    tq_buf_free(&b);
    return tq_none();
}

static tq_value_t *magic_history(tq_ctx_t *ctx, const char *args,
                                 const char *body)
{
    size_t n = 0;
    char **cells = tq_ctx_history(ctx, &n);
    bool numbers = strstr(args, "-n") != NULL;
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    /* The running cell (%history itself) is the last one: skip it. */
    for (size_t i = 0; i + 1 < n; i++) {
        if (numbers)
            tq_buf_printf(&b, "%3zu: ", i + 1);
        tq_buf_add(&b, cells[i]);
        tq_buf_addc(&b, '\n');
    }
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
    tq_ctx_print(ctx, b.s, b.len);
    tq_buf_free(&b);
    return tq_none();
}
