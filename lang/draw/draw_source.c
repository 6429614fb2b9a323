/*
 * This file is the caller's side of the drawing module's ABI (see
 * draw_module.h): it turns a cursor into the module's row iterator
 * (stepping, reading a row's datums at once with tqdb_row, rewinding with
 * tqdb_reset) and reads an ER diagram's tables through db.h (the main
 * schema's tables by name, or the named tables or views resolved
 * case-insensitively; each with its columns and foreign-key columns), then
 * calls the module's entry points. It also writes the SQL of `by=` charts
 * (render.h's tq_chart_by_sql), which needs the categories read first. The kernel's loader (draw_loader.c)
 * passes the module it loaded; the renderers' unit tests pass the module's
 * table linked in directly. Part of the draw layer's static library.
 */
#include <assert.h>
#include <strings.h>

#include "base/util.h"
#include "draw/draw_module.h"
#include "sql/dialect.h"

/* ---- rows of a cursor */

typedef struct cursor_rows {
    tqdb_cursor_t *cur;
} cursor_rows_t;

static int rows_next(void *ud, int n, tqdb_datum_t *row, char **error)
{
    cursor_rows_t *r = ud;
    int rc = tqdb_step(r->cur);
    if (rc == TQDB_ROW)
        tqdb_row(r->cur, n, row);
    else if (rc < 0)
        *error = tq_xasprintf("%s.", tqdb_errmsg(tqdb_cursor_conn(r->cur)));
    return rc;
}

static const char *rows_text(void *ud, int col)
{
    cursor_rows_t *r = ud;
    return tqdb_column_text(r->cur, col);
}

static double rows_number(void *ud, int col)
{
    cursor_rows_t *r = ud;
    return tqdb_column_float(r->cur, col);
}

static int rows_rewind(void *ud, char **error)
{
    cursor_rows_t *r = ud;
    if (tqdb_reset(r->cur) < 0) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(tqdb_cursor_conn(r->cur)));
        return -1;
    }
    return 0;
}

/* draw_chart_through: see draw_module.h. */
int draw_chart_through(const tq_draw_api_t *api, tqdb_cursor_t *cur,
                       const tq_chart_opts_t *opts, unsigned char **png,
                       size_t *png_len, char **error)
{
    assert(api && cur && opts && png && png_len && error);
    int ncols = tqdb_column_count(cur);
    const char **names = tq_xcalloc(ncols ? (size_t)ncols : 1,
                                    sizeof *names);
    for (int c = 0; c < ncols; c++)
        names[c] = tqdb_column_name(cur, c);
    cursor_rows_t r = {cur};
    tq_draw_rows_t rows = {
        .ncols = ncols,
        .names = names,
        .ud = &r,
        .next = rows_next,
        .text = rows_text,
        .number = rows_number,
        .rewind = rows_rewind,
    };
    int rc = api->chart_png(&rows, opts, png, png_len, error);
    free(names);
    return rc;
}

/* ---- one series per category */

enum { BY_MAX_SERIES = 64 };

static void add_ident(tq_buf_t *b, const char *s)
{
    tq_buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            tq_buf_addc(b, '"');
        tq_buf_addc(b, *s);
    }
    tq_buf_addc(b, '"');
}

/* Column `col` of the current row as an SQL literal. */
static void add_literal(tq_buf_t *b, tqdb_cursor_t *cur, int col)
{
    switch (tqdb_column_type(cur, col)) {
    case TQDB_NULL:
        tq_buf_add(b, "NULL");
        return;
    case TQDB_INT:
        tq_buf_printf(b, "%lld", (long long)tqdb_column_int(cur, col));
        return;
    case TQDB_FLOAT:
        tq_buf_printf(b, "%.17g", tqdb_column_float(cur, col));
        return;
    case TQDB_TEXT:
    case TQDB_BLOB:
        break;
    }
    const char *s = tqdb_column_text(cur, col);
    tq_buf_quote(b, s ? s : "", s ? strlen(s) : 0);
}

/* tq_chart_by_sql: see render.h. */
int tq_chart_by_sql(tqdb_conn_t *db, const tq_sql_t *q, bool grouped,
                    char **sql, char **error)
{
    assert(db && q && q->sql && sql && error);
    *sql = NULL;
    *error = NULL;
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, q->sql, &cur, NULL) < 0 || !cur) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        return -1;
    }
    if (tqdb_column_count(cur) != 3) {
        tqdb_cursor_free(&cur);
        *error = tq_xstrdup("by= draws one y column per category.");
        return -1;
    }
    char *names[3];
    for (int c = 0; c < 3; c++)
        names[c] = tq_xstrdup(tqdb_column_name(cur, c));
    tqdb_cursor_free(&cur);
    tq_buf_t d = {0};
    tq_buf_add(&d, "SELECT DISTINCT ");
    add_ident(&d, names[1]);
    tq_buf_printf(&d, " FROM (%s) ORDER BY 1 LIMIT %d", q->sql,
                  BY_MAX_SERIES + 1);
    tq_buf_t out = {0};
    tq_buf_add(&out, "SELECT ");
    add_ident(&out, names[0]);
    int n = 0, rc = -1;
    if (tqdb_prepare(db, d.s, &cur, NULL) < 0 || !cur ||
        (q->bind && q->bind(q->ud, cur) < 0)) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        goto done;
    }
    int step;
    while ((step = tqdb_step(cur)) == TQDB_ROW) {
        if (++n > BY_MAX_SERIES) {
            *error = tq_xasprintf("by= draws at most %d categories.",
                                  BY_MAX_SERIES);
            goto done;
        }
        const char *label = tqdb_column_text(cur, 0);
        tq_buf_add(&out, grouped ? ", sum(CASE WHEN " : ", CASE WHEN ");
        add_ident(&out, names[1]);
        tq_buf_add(&out, " IS ");
        add_literal(&out, cur, 0);
        tq_buf_add(&out, " THEN ");
        add_ident(&out, names[2]);
        tq_buf_add(&out, grouped ? " END) AS " : " END AS ");
        add_ident(&out, label ? label : "None");
    }
    if (step != TQDB_DONE) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        goto done;
    }
    if (n == 0) {              /* no rows: one empty series named y */
        tq_buf_add(&out, ", ");
        add_ident(&out, names[2]);
    }
    tq_buf_printf(&out, " FROM (%s)", q->sql);
    if (grouped) {
        tq_buf_add(&out, " GROUP BY 1 ORDER BY 1");
    }
    *sql = tq_buf_take(&out);
    rc = 0;
done:
    tqdb_cursor_free(&cur);
    tq_buf_free(&d);
    tq_buf_free(&out);
    for (int c = 0; c < 3; c++)
        free(names[c]);
    return rc;
}

/* ---- an ER diagram's tables */

/* The tables read for a diagram; every string is owned. */
typedef struct erd_read {
    tq_erd_table_t *tables;
    size_t n;
} erd_read_t;

static void erd_read_clear(erd_read_t *e)
{
    for (size_t i = 0; i < e->n; i++) {
        tq_erd_table_t *t = &e->tables[i];
        free((char *)t->name);
        for (size_t c = 0; c < t->ncols; c++) {
            free((char *)t->cols[c].name);
            free((char *)t->cols[c].type);
        }
        free((void *)t->cols);
        for (size_t k = 0; k < t->nfks; k++) {
            free((char *)t->fks[k].from);
            free((char *)t->fks[k].table);
            free((char *)t->fks[k].to);
        }
        free((void *)t->fks);
    }
    free(e->tables);
    memset(e, 0, sizeof *e);
}

static char *text_dup(tqdb_cursor_t *cur, int col)
{
    const char *s = tqdb_column_text(cur, col);
    return tq_xstrdup(s ? s : "");
}

/* A cursor on `sql` with `arg` bound to ?1 (when not NULL); NULL when it
 * cannot be prepared. */
static tqdb_cursor_t *query(tqdb_conn_t *db, const char *sql, const char *arg)
{
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, sql, &cur, NULL) < 0)
        return NULL;
    if (cur && arg && tqdb_bind_text_static(cur, 1, arg, -1) < 0)
        tqdb_cursor_free(&cur);
    return cur;
}

/* Appends a table named `name` (owned) with nothing read yet. */
static void push_table(erd_read_t *e, char *name)
{
    e->tables = tq_xrealloc(e->tables, (e->n + 1) * sizeof *e->tables);
    e->tables[e->n++] = (tq_erd_table_t){.name = name};
}

/* The main schema's tables in name order (no engine internals). */
static int all_tables(tqdb_conn_t *db, erd_read_t *e, char **error)
{
    tqdb_cursor_t *cur = query(db, tq_dialect_for(db)->catalog
                               [TQ_CATALOG_MAIN_TABLES], NULL);
    if (!cur) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        return -1;
    }
    while (tqdb_step(cur) == TQDB_ROW)
        push_table(e, text_dup(cur, 0));
    tqdb_cursor_free(&cur);
    return 0;
}

/* The real name of table or view `name` (case-insensitively), or NULL. */
static char *find_table(tqdb_conn_t *db, const char *name)
{
    tqdb_cursor_t *cur = query(db, tq_dialect_for(db)->catalog
                               [TQ_CATALOG_FIND_RELATION], name);
    char *out = NULL;
    if (cur && tqdb_step(cur) == TQDB_ROW)
        out = text_dup(cur, 0);
    tqdb_cursor_free(&cur);
    return out;
}

/* Reads t's foreign-key columns and columns (a table that cannot be read
 * shows none). */
static void read_table(tqdb_conn_t *db, tq_erd_table_t *t)
{
    tq_erd_fk_t *fks = NULL;
    size_t nfks = 0;
    const tq_dialect_t *d = tq_dialect_for(db);
    tqdb_cursor_t *cur = query(db, d->catalog[TQ_CATALOG_FOREIGN_KEYS],
                               t->name);
    while (cur && tqdb_step(cur) == TQDB_ROW) {
        fks = tq_xrealloc(fks, (nfks + 1) * sizeof *fks);
        const char *to = tqdb_column_text(cur, 2);
        fks[nfks].from = text_dup(cur, 0);
        fks[nfks].table = text_dup(cur, 1);
        fks[nfks].to = to ? tq_xstrdup(to) : NULL;
        nfks++;
    }
    tqdb_cursor_free(&cur);
    t->fks = fks;
    t->nfks = nfks;

    tq_erd_column_t *cols = NULL;
    size_t ncols = 0;
    cur = query(db, d->catalog[TQ_CATALOG_COLUMNS], t->name);
    while (cur && tqdb_step(cur) == TQDB_ROW) {
        cols = tq_xrealloc(cols, (ncols + 1) * sizeof *cols);
        cols[ncols].name = text_dup(cur, 0);
        cols[ncols].type = text_dup(cur, 1);
        cols[ncols].notnull = tqdb_column_int(cur, 2) != 0;
        cols[ncols].pk = tqdb_column_int(cur, 3) != 0;
        ncols++;
    }
    tqdb_cursor_free(&cur);
    t->cols = cols;
    t->ncols = ncols;
}

/* draw_erd_through: see draw_module.h. Unknown table names are an error
 * naming the first one; a name given twice is shown once. */
int draw_erd_through(const tq_draw_api_t *api, tqdb_conn_t *db,
                     const char *const *tables, size_t n, char **svg,
                     size_t *svg_len, char **error)
{
    assert(api && db && (tables || n == 0) && svg && svg_len && error);
    *svg = NULL;
    *svg_len = 0;
    *error = NULL;
    erd_read_t e = {0};
    if (n == 0 && all_tables(db, &e, error) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char *real = find_table(db, tables[i]);
        if (!real) {
            *error = tq_xasprintf("No table named '%s'.", tables[i]);
            erd_read_clear(&e);
            return -1;
        }
        bool seen = false;
        for (size_t k = 0; k < e.n && !seen; k++)
            seen = strcasecmp(e.tables[k].name, real) == 0;
        if (seen)
            free(real);
        else
            push_table(&e, real);
    }
    for (size_t i = 0; i < e.n; i++)
        read_table(db, &e.tables[i]);
    int rc = api->erd_svg(e.tables, e.n, svg, svg_len, error);
    erd_read_clear(&e);
    return rc;
}
