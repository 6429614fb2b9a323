/*
 * This file fetches what a table display needs and nothing more: the row
 * count, the first rows and the last rows of a SELECT, each through the
 * statement wrapped as a subquery, so that showing a query of ten million
 * rows costs one count and two short LIMIT reads; or, for a caller that
 * has its own cursor (a displayed query set), all three from one pass
 * (tq_table_read). "Show all" (max_rows <= 0) keeps at most
 * TQ_TABLE_ROW_CAP rows and says so. It also formats a shown
 * column's cells the way pandas does (dtype decided from the values, floats
 * with a common number of decimals), which the text and HTML tables share.
 */
#include <assert.h>
#include <inttypes.h>
#include <math.h>

#include "base/temporal.h"
#include "render/render_util.h"

/* Prepares `sql`, binds q's parameters; NULL with *error set on failure. */
static tqdb_cursor_t *prepare_bound(tqdb_conn_t *db, const tq_sql_t *q,
                                   const char *sql, char **error)
{
    tqdb_cursor_t *cur = NULL;
    int rc = tqdb_prepare(db, sql, &cur, NULL);
    if (rc == 0 && !cur) {                  /* only spaces: no statement */
        *error = tq_xstrdup("not an error.");
        return NULL;
    }
    if (rc == 0 && q->bind)
        rc = q->bind(q->ud, cur);
    if (rc != 0) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        tqdb_cursor_free(&cur);
        return NULL;
    }
    return cur;
}

/* Stores owned copies of the current row's `ncols` values in row[]. */
static void copy_row(tqdb_cursor_t *cur, size_t ncols, tqdb_datum_t **row)
{
    for (size_t c = 0; c < ncols; c++) {
        tqdb_datum_t d = tqdb_column(cur, (int)c);
        row[c] = tqdb_datum_dup(&d);
    }
}

/* The cursor's column names, malloc'd ("" for a nameless column). */
static char **column_names(tqdb_cursor_t *cur, size_t ncols)
{
    char **names = tq_xcalloc(ncols, sizeof *names);
    for (size_t c = 0; c < ncols; c++)
        names[c] = tq_xstrdup(tqdb_column_name(cur, (int)c));
    return names;
}

/* Steps `cur` to its end, appending each row's values to *cells; stores
 * the row count in *nrows. Returns 0 or -1 with *error. */
static int read_rows(tqdb_conn_t *db, tqdb_cursor_t *cur, size_t ncols,
                     tqdb_datum_t ***cells, size_t *nrows, char **error)
{
    size_t cap = 0, n = 0;
    tqdb_datum_t **v = NULL;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        if ((n + 1) * ncols > cap) {
            cap = cap ? cap * 2 : 16 * (ncols ? ncols : 1);
            while (cap < (n + 1) * ncols)
                cap *= 2;
            v = tq_xrealloc(v, cap * sizeof *v);
        }
        copy_row(cur, ncols, v + n * ncols);
        n++;
    }
    *cells = v;
    *nrows = n;
    if (rc != TQDB_DONE) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        return -1;
    }
    return 0;
}

/* Runs `sql` (q's statement wrapped by fmt) into cells. */
static int run_into(tqdb_conn_t *db, const tq_sql_t *q, const char *sql,
                    tq_table_t *out, bool tail, char **error)
{
    tqdb_cursor_t *cur = prepare_bound(db, q, sql, error);
    if (!cur)
        return -1;
    if (!out->columns) {
        out->ncols = (size_t)tqdb_column_count(cur);
        out->columns = column_names(cur, out->ncols);
    }
    int rc = read_rows(db, cur, out->ncols, tail ? &out->tail : &out->head,
                       tail ? &out->ntail : &out->nhead, error);
    tqdb_cursor_free(&cur);
    return rc;
}

/* The rows kept when max_rows <= 0 ("show all") or past the cap: past it
 * the display is truncated like max_rows = TQ_TABLE_ROW_CAP and says so,
 * so that no display can hold millions of rows in memory (nor allocate a
 * ring for %config display.max_rows = 10000000000). */
static int64_t effective_max_rows(int64_t max_rows, tq_table_t *out)
{
    if (max_rows > 0 && max_rows <= TQ_TABLE_ROW_CAP)
        return max_rows;
    out->cap = TQ_TABLE_ROW_CAP;
    return TQ_TABLE_ROW_CAP;
}

/* tq_table_read: see render.h. The first h rows go to head, the rows after
 * them through a ring of t rows, the count goes on to the end. */
int tq_table_read(tqdb_conn_t *db, tqdb_cursor_t *cur, int64_t max_rows,
                  tq_row_fn on_row, void *ud, tq_table_t *out, char **error)
{
    assert(db && cur && out && error);
    memset(out, 0, sizeof *out);
    *error = NULL;
    max_rows = effective_max_rows(max_rows, out);
    size_t ncols = (size_t)tqdb_column_count(cur);
    out->ncols = ncols;
    out->columns = column_names(cur, ncols);
    size_t h = (size_t)(max_rows - max_rows / 2);
    size_t t = (size_t)(max_rows / 2);
    size_t hcap = 0;
    tqdb_datum_t **ring = t ? tq_xcalloc(t * (ncols ? ncols : 1),
                                        sizeof *ring) : NULL;
    int64_t n = 0;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        if (on_row && on_row(ud, cur, n) < 0) {
            rc = -2;
            break;
        }
        tqdb_datum_t **row = NULL;
        if ((size_t)n < h) {
            if ((out->nhead + 1) * ncols > hcap) {
                hcap = hcap ? hcap * 2 : 16 * (ncols ? ncols : 1);
                out->head = tq_xrealloc(out->head, hcap * sizeof *out->head);
            }
            row = out->head + out->nhead++ * ncols;
        } else if (t) {
            row = ring + ((size_t)n - h) % t * ncols;
            for (size_t c = 0; c < ncols; c++)
                free(row[c]);
        }
        if (row)
            copy_row(cur, ncols, row);
        n++;
    }
    out->total = n;
    if (t && (size_t)n > h) {
        size_t kept = (size_t)n - h < t ? (size_t)n - h : t;
        out->tail = tq_xcalloc(kept * (ncols ? ncols : 1), sizeof *out->tail);
        size_t start = (size_t)n - h > t ? ((size_t)n - h) % t : 0;
        for (size_t i = 0; i < kept; i++)
            memcpy(out->tail + i * ncols, ring + (start + i) % t * ncols,
                   ncols * sizeof *ring);
        out->ntail = kept;
    }
    free(ring);
    if (rc != TQDB_DONE) {
        if (rc != -2)
            *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        tq_table_clear(out);
        return -1;
    }
    /* A result that was not truncated keeps every row in head. */
    if (out->ntail && (int64_t)(out->nhead + out->ntail) == n) {
        out->head = tq_xrealloc(out->head, (size_t)n * ncols *
                               sizeof *out->head);
        memcpy(out->head + out->nhead * ncols, out->tail,
               out->ntail * ncols * sizeof *out->tail);
        out->nhead += out->ntail;
        out->ntail = 0;
        free(out->tail);
        out->tail = NULL;
    }
    if (n <= max_rows)
        out->cap = 0;     /* nothing was cut: no note */
    return 0;
}

/* tq_table_fetch: see render.h. Three statements, each with q's bindings:
 * the count, the head (LIMIT h) and, when truncated, the tail (LIMIT t
 * OFFSET total - t). Untruncated results are read by the statement itself
 * in one pass after the count. */
int tq_table_fetch(tqdb_conn_t *db, const tq_sql_t *q, int64_t max_rows,
                   tq_table_t *out, char **error)
{
    assert(db && q && q->sql && out && error);
    memset(out, 0, sizeof *out);
    *error = NULL;
    /* Trailing semicolons and spaces would break the subquery. */
    size_t len = strlen(q->sql);
    while (len && (q->sql[len - 1] == ';' || q->sql[len - 1] == ' ' ||
                   q->sql[len - 1] == '\n' || q->sql[len - 1] == '\t'))
        len--;
    /* the alias: PostgreSQL names every subquery in FROM */
    char *sql = tq_xasprintf("SELECT count(*) FROM (%.*s) AS tq_n", (int)len,
                             q->sql);
    tqdb_cursor_t *cur = prepare_bound(db, q, sql, error);
    free(sql);
    if (!cur) {
        /* Not a subquery (PRAGMA, EXPLAIN, VALUES with ORDER BY...): one
         * pass over the statement itself, still bounded in memory. */
        sql = tq_xasprintf("%.*s", (int)len, q->sql);
        char *direct_error = NULL;
        cur = prepare_bound(db, q, sql, &direct_error);
        free(sql);
        if (!cur) {
            free(direct_error);
            return -1;
        }
        free(*error);
        *error = NULL;
        int rc = tq_table_read(db, cur, max_rows, NULL, NULL, out, error);
        tqdb_cursor_free(&cur);
        return rc;
    }
    int rc = tqdb_step(cur);
    if (rc != TQDB_ROW) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        tqdb_cursor_free(&cur);
        return -1;
    }
    out->total = tqdb_column_int(cur, 0);
    tqdb_cursor_free(&cur);

    max_rows = effective_max_rows(max_rows, out);
    if (out->total <= max_rows) {
        out->cap = 0;
        sql = tq_xasprintf("%.*s", (int)len, q->sql);
        rc = run_into(db, q, sql, out, false, error);
        free(sql);
        if (rc == 0)
            out->total = (int64_t)out->nhead;   /* exact even if it moved */
        if (rc)
            tq_table_clear(out);
        return rc;
    }
    int64_t h = max_rows - max_rows / 2, t = max_rows / 2;
    sql = tq_xasprintf("SELECT * FROM (%.*s) LIMIT %" PRId64, (int)len,
                      q->sql, h);
    rc = run_into(db, q, sql, out, false, error);
    free(sql);
    if (rc == 0 && t > 0) {
        sql = tq_xasprintf("SELECT * FROM (%.*s) LIMIT %" PRId64
                          " OFFSET %" PRId64, (int)len, q->sql, t,
                          out->total - t);
        rc = run_into(db, q, sql, out, true, error);
        free(sql);
    }
    if (rc)
        tq_table_clear(out);
    return rc;
}

/* tq_table_clear: see render.h. */
void tq_table_clear(tq_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nhead * t->ncols; i++)
        free(t->head[i]);
    for (size_t i = 0; i < t->ntail * t->ncols; i++)
        free(t->tail[i]);
    for (size_t c = 0; c < t->ncols; c++)
        free(t->columns ? t->columns[c] : NULL);
    free(t->columns);
    free(t->hints);
    free(t->head);
    free(t->tail);
    memset(t, 0, sizeof *t);
}

/* ---- pandas cell formatting */

/* pandas' display.precision, by default. */
enum { PRECISION = 6 };

/* The float digits `t` is shown with. */
static int table_precision(const tq_table_t *t)
{
    return t->display.set ? t->display.precision : PRECISION;
}

/* Text with \t, \r, \n shown escaped (pandas' pprint_thing); a NUL byte
 * as C0 80 (tq_render_nuls). */
static void add_escaped_text(tq_buf_t *b, const char *s, size_t n,
                             bool escape_ws)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == 0)
            tq_buf_add(b, "\xC0\x80");
        else if (escape_ws && c == '\t')
            tq_buf_add(b, "\\t");
        else if (escape_ws && c == '\n')
            tq_buf_add(b, "\\n");
        else if (escape_ws && c == '\r')
            tq_buf_add(b, "\\r");
        else
            tq_buf_addc(b, c);
    }
}

/* Bytes as Python's repr of bytes: b'..'. */
static void add_bytes_repr(tq_buf_t *b, const unsigned char *p, size_t n)
{
    tq_buf_add(b, "b'");
    for (size_t i = 0; i < n; i++) {
        unsigned c = p[i];
        if (c == '\\' || c == '\'')
            tq_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            tq_buf_add(b, "\\n");
        else if (c == '\t')
            tq_buf_add(b, "\\t");
        else if (c == '\r')
            tq_buf_add(b, "\\r");
        else if (c < 32 || c >= 127)
            tq_buf_printf(b, "\\x%02x", c);
        else
            tq_buf_addc(b, (char)c);
    }
    tq_buf_addc(b, '\'');
}

/* Is `s` (after its leading space/sign) digits '.' digits? */
static bool is_decimal_number(const char *s)
{
    while (*s == ' ')
        s++;
    if (*s == '-' || *s == '+')
        s++;
    if (!(*s >= '0' && *s <= '9'))
        return false;
    while (*s >= '0' && *s <= '9')
        s++;
    if (*s != '.')
        return false;
    s++;
    while (*s >= '0' && *s <= '9')
        s++;
    return *s == 0;
}

/* pandas' _trim_zeros_float: drop trailing zeros from every decimal number
 * of the column while all of them end in 0, keeping one decimal. */
static void trim_zeros_column(char **cells, size_t n)
{
    for (;;) {
        size_t numbers = 0;
        bool all_zero = true;
        for (size_t i = 0; i < n; i++) {
            if (!cells[i] || !is_decimal_number(cells[i]))
                continue;
            numbers++;
            size_t l = strlen(cells[i]);
            if (cells[i][l - 1] != '0')
                all_zero = false;
        }
        if (!numbers || !all_zero)
            break;
        for (size_t i = 0; i < n; i++)
            if (cells[i] && is_decimal_number(cells[i]))
                cells[i][strlen(cells[i]) - 1] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!cells[i] || !is_decimal_number(cells[i]))
            continue;
        size_t l = strlen(cells[i]);
        if (cells[i][l - 1] == '.') {
            cells[i] = tq_xrealloc(cells[i], l + 2);
            cells[i][l] = '0';
            cells[i][l + 1] = 0;
        }
    }
}

/* pandas' _trim_zeros_single_float, for floats in object columns. */
static char *single_float(double d, int precision)
{
    char *s = tq_xasprintf("% .*f", precision, d);
    if (is_decimal_number(s)) {
        size_t l = strlen(s);
        while (l && s[l - 1] == '0')
            s[--l] = 0;
        if (l && s[l - 1] == '.') {
            s = tq_xrealloc(s, l + 2);
            s[l] = '0';
            s[l + 1] = 0;
        }
    }
    return s;
}

/* pandas' datetime64 cells of column `col` (see TQ_HINT_DATETIME), or
 * NULL when a shown value is not ISO date text. */
static char **format_datetimes(const tq_table_t *t, size_t col)
{
    size_t n = t->nhead + t->ntail;
    tq_civil_t *cv = tq_xcalloc(n + 1, sizeof *cv);
    bool *null = tq_xcalloc(n + 1, sizeof *null);
    bool dates_only = true;
    int digits = 0;
    for (size_t r = 0; r < n; r++) {
        const tqdb_datum_t *v = rx_cell(t, r, col);
        if (v->type == TQDB_NULL) {
            null[r] = true;
            continue;
        }
        tq_temporal_t k = v->type == TQDB_TEXT
                        ? tq_temporal_parse(v->s, v->len, &cv[r])
                        : TQ_TEMPORAL_NONE;
        if (k != TQ_TEMPORAL_DATE && k != TQ_TEMPORAL_DATETIME) {
            free(cv);
            free(null);
            return NULL;
        }
        if (cv[r].hour || cv[r].minute || cv[r].second || cv[r].usec)
            dates_only = false;
        if (cv[r].usec % 1000)
            digits = 6;
        else if (cv[r].usec && digits < 3)
            digits = 3;
    }
    char **cells = tq_xcalloc(n, sizeof *cells);
    for (size_t r = 0; r < n; r++) {
        const tq_civil_t *c = &cv[r];
        if (null[r])
            cells[r] = tq_xstrdup("NaT");
        else if (dates_only)
            cells[r] = tq_xasprintf("%04d-%02d-%02d", c->year, c->month,
                                    c->day);
        else if (digits)
            cells[r] = tq_xasprintf("%04d-%02d-%02d %02d:%02d:%02d.%0*d",
                                    c->year, c->month, c->day, c->hour,
                                    c->minute, c->second, digits,
                                    digits == 3 ? c->usec / 1000 : c->usec);
        else
            cells[r] = tq_xasprintf("%04d-%02d-%02d %02d:%02d:%02d",
                                    c->year, c->month, c->day, c->hour,
                                    c->minute, c->second);
    }
    free(cv);
    free(null);
    return cells;
}

/* rx_format_column: see render_util.h. Strings carry pandas' leading
 * space: the sign slot of numbers (" 27", "-3"), one space before text
 * (" John"). A number column with NULLs is a float column, as pandas'
 * read_sql makes it (1 -> "1.0"), and NULL there is "NaN"; elsewhere NULL
 * is " None", and a column of NULLs only is a text column, as pandas'
 * object column of None. */
char **rx_format_column(const tq_table_t *t, size_t col, bool escape_ws,
                        rx_colkind_t *kind, bool *is_null)
{
    size_t n = t->nhead + t->ntail;
    char **cells = tq_xcalloc(n, sizeof *cells);
    bool any_int = false, any_float = false, any_other = false,
         any_null = false;
    for (size_t r = 0; r < n; r++) {
        tqdb_type_t type = rx_cell(t, r, col)->type;
        if (is_null)
            is_null[r] = type == TQDB_NULL;
        if (type == TQDB_INT)
            any_int = true;
        else if (type == TQDB_FLOAT)
            any_float = true;
        else if (type != TQDB_NULL)
            any_other = true;
        else
            any_null = true;
    }
    /* (decided from the rows shown: a truncated table's hidden rows are
     * not read again, so a shown part that is all NULL is None unless
     * the caller's hint says the column is float64) */
    unsigned hint = t->hints ? t->hints[col] : TQ_HINT_NONE;
    if (hint == TQ_HINT_DATETIME && !any_int && !any_float) {
        char **dates = format_datetimes(t, col);
        if (dates) {
            rx_cells_free(cells, n);
            *kind = RX_COL_DATETIME;
            return dates;
        }
    }
    rx_colkind_t k = any_other ? RX_COL_OBJECT
                   : hint == TQ_HINT_FLOAT ? RX_COL_FLOAT
                   : !(any_int || any_float) ? RX_COL_OBJECT
                   : any_float || any_null ? RX_COL_FLOAT
                   : RX_COL_INT;
    *kind = k;
    int precision = table_precision(t);

    if (k == RX_COL_FLOAT) {
        /* pandas: values below 10 ** -precision would show as 0 */
        double tiny = pow(10.0, -precision);
        bool small = false, large = false;
        for (int pass = 0; pass < 2; pass++) {
            size_t maxlen = 0;
            for (size_t r = 0; r < n; r++) {
                const tqdb_datum_t *v = rx_cell(t, r, col);
                free(cells[r]);
                if (v->type == TQDB_NULL) {
                    cells[r] = tq_xstrdup("NaN");
                    continue;
                }
                assert(v->type == TQDB_INT || v->type == TQDB_FLOAT);
                double d = v->type == TQDB_INT ? (double)v->i : v->f;
                double a = fabs(d);
                if (a > 1e6)
                    large = true;
                if (a > 0 && a < tiny)
                    small = true;
                cells[r] = pass ? tq_xasprintf("% .*e", precision, d)
                                : tq_xasprintf("% .*f", precision, d);
            }
            if (pass)
                break;
            trim_zeros_column(cells, n);
            for (size_t r = 0; r < n; r++)
                if (strlen(cells[r]) > maxlen)
                    maxlen = strlen(cells[r]);
            bool too_long = maxlen > (size_t)precision + 6;
            if (!(small || (too_long && large)))
                break;
        }
        return cells;
    }
    for (size_t r = 0; r < n; r++) {
        const tqdb_datum_t *v = rx_cell(t, r, col);
        tq_buf_t b = {0};
        switch (v->type) {
        case TQDB_NULL:                /* only text columns get here */
            tq_buf_add(&b, " None");
            break;
        case TQDB_INT:
            tq_buf_printf(&b, "% " PRId64, v->i);
            break;
        case TQDB_FLOAT: {
            char *s = single_float(v->f, precision);
            tq_buf_add(&b, s);
            free(s);
            break;
        }
        case TQDB_TEXT:
            tq_buf_addc(&b, ' ');
            add_escaped_text(&b, v->s, v->len, escape_ws);
            break;
        case TQDB_BLOB:
            tq_buf_addc(&b, ' ');
            add_bytes_repr(&b, (const unsigned char *)v->s, v->len);
            break;
        }
        cells[r] = tq_buf_take(&b);
    }
    return cells;
}

/* rx_shown_rows: see render_util.h. */
tq_table_t rx_shown_rows(const tq_table_t *t)
{
    assert(t);
    tq_table_t view = *t;
    const tq_display_t *d = &t->display;
    if (!d->set || d->max_rows <= 0 || d->max_rows > TQ_TABLE_ROW_CAP ||
        t->total <= d->max_rows)
        return view;
    int64_t m = d->min_rows > 0 && d->min_rows < d->max_rows ? d->min_rows
                                                               : d->max_rows;
    size_t half = (size_t)(m / 2);
    size_t head = half ? half : 1, tail = half;
    if (head > t->nhead)
        head = t->nhead;
    if (tail > t->ntail)
        tail = t->ntail;
    view.nhead = head;
    view.ntail = tail;
    view.tail = tail ? t->tail + (t->ntail - tail) * t->ncols : NULL;
    return view;
}

/* rx_shown_columns: see render_util.h. */
size_t rx_shown_columns(const tq_table_t *t, size_t *shown,
                        size_t *dots_after)
{
    assert(t && shown && dots_after);
    size_t first = t->has_index && t->ncols > 0 ? 1 : 0;
    size_t nvalues = t->ncols - first;
    int64_t mc = t->display.set ? t->display.max_columns : 0;
    size_t n = 0;
    *dots_after = SIZE_MAX;
    if (mc <= 0 || (uint64_t)mc >= nvalues) {
        for (size_t c = first; c < t->ncols; c++)
            shown[n++] = c;
        return n;
    }
    size_t half = (size_t)mc / 2;
    size_t left = half ? half : 1;
    for (size_t c = 0; c < left; c++)
        shown[n++] = first + c;
    *dots_after = n;
    for (size_t c = t->ncols - half; c < t->ncols; c++)
        shown[n++] = c;
    return n;
}

/* tq_render_nuls: see render.h. */
size_t tq_render_nuls(char *s)
{
    assert(s);
    size_t out = 0;
    for (size_t i = 0; s[i]; i++) {
        if ((unsigned char)s[i] == 0xC0 && (unsigned char)s[i + 1] == 0x80) {
            s[out++] = 0;
            i++;
        } else {
            s[out++] = s[i];
        }
    }
    s[out] = 0;
    return out;
}

/* rx_cells_free: see render_util.h. */
void rx_cells_free(char **cells, size_t n)
{
    if (!cells)
        return;
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}
