/*
 * This file renders a fetched table as text/plain in pandas' DataFrame
 * layout (pandas/io/formats/format.py, DataFrameFormatter._to_str_columns):
 * every value column is formatted as a whole (leading sign slot for
 * numbers, one space before text), made fixed width and right-justified
 * under its header; the index column is left-justified with its name on a
 * line of its own; columns are joined with one space. Truncated tables get
 * a "..." row between head and tail (display.min_rows picks how many rows,
 * rx_shown_rows), a " ..." column between the first and last columns
 * past display.max_columns (rx_shown_columns), and a "[N rows x M
 * columns]" footer.
 * Unlike pandas, trailing spaces are stripped from every line.
 */
#include <inttypes.h>
#include <stdint.h>

#include "render/render_util.h"

/* pandas' display.max_colwidth. */
enum { MAX_COLWIDTH = 50 };

/* One column of output lines (header rows, then cells), all malloc'd. */
typedef struct strcol {
    char **lines;
    size_t n;
} strcol_t;

static void col_push(strcol_t *c, char *s)
{
    c->lines = tq_xrealloc(c->lines, (c->n + 1) * sizeof *c->lines);
    c->lines[c->n++] = s;
}

/* `s` padded with spaces to `width` code points, on the left (right
 * justified) or on the right. */
static char *justify(const char *s, size_t width, bool right)
{
    size_t w = rx_utf8_width(s);
    size_t pad = w < width ? width - w : 0;
    size_t len = strlen(s);
    char *out = tq_xmalloc(len + pad + 1);
    if (right) {
        memset(out, ' ', pad);
        memcpy(out + pad, s, len);
    } else {
        memcpy(out, s, len);
        memset(out + len, ' ', pad);
    }
    out[len + pad] = 0;
    return out;
}

/* pandas' _make_fixed_width: cap the width at max_colwidth, shorten longer
 * cells with "...", then justify every cell. Replaces cells in place and
 * returns the width. */
static size_t fixed_width(char **cells, size_t n, size_t minimum, bool right)
{
    size_t max_len = minimum;
    for (size_t i = 0; i < n; i++) {
        size_t w = rx_utf8_width(cells[i]);
        if (w > max_len)
            max_len = w;
    }
    if (max_len > MAX_COLWIDTH)
        max_len = MAX_COLWIDTH;
    for (size_t i = 0; i < n; i++) {
        if (rx_utf8_width(cells[i]) > max_len) {
            size_t keep = rx_utf8_prefix(cells[i], max_len - 3);
            cells[i][keep] = 0;
            char *s = tq_xasprintf("%s...", cells[i]);
            free(cells[i]);
            cells[i] = s;
        }
        char *s = justify(cells[i], max_len, right);
        free(cells[i]);
        cells[i] = s;
    }
    return max_len;
}

/* The "Empty DataFrame" text pandas shows for zero rows. */
static char *empty_text(const tq_table_t *t)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "Empty DataFrame\nColumns: [");
    size_t first = t->has_index ? 1 : 0;
    for (size_t c = first; c < t->ncols; c++) {
        if (c > first)
            tq_buf_add(&b, ", ");
        tq_buf_add(&b, t->columns[c]);
    }
    tq_buf_add(&b, "]\nIndex: []");
    return tq_buf_take(&b);
}

/* tq_text_table: see render.h. */
char *tq_text_table(const tq_table_t *table)
{
    tq_table_t view = rx_shown_rows(table);
    const tq_table_t *t = &view;
    size_t nrows = t->nhead + t->ntail;
    if (nrows == 0)
        return empty_text(t);
    bool has_index = t->has_index && t->ncols > 0;
    size_t first = has_index ? 1 : 0;
    size_t *shown = tq_xcalloc(t->ncols + 1, sizeof *shown);
    size_t dots_after;
    size_t nshown = rx_shown_columns(t, shown, &dots_after);
    bool cut_columns = dots_after != SIZE_MAX;
    bool cut_rows = t->total > (int64_t)nrows;
    bool truncated = cut_rows || cut_columns;
    bool index_name = has_index && t->columns[0][0] != 0;
    size_t nheader = 1 + (index_name ? 1 : 0);
    /* index column (if any), shown values and the "..." column */
    size_t nstr = first + nshown + (cut_columns ? 1 : 0);
    size_t dots_col = cut_columns ? first + dots_after : SIZE_MAX;
    strcol_t *cols = tq_xcalloc(nstr, sizeof *cols);

    /* The index: formatted as a whole, common leading space trimmed
     * (pandas' trim_front), left-justified with its name. */
    if (has_index) {
        rx_colkind_t kind;
        char **cells = rx_format_column(t, 0, true, &kind, NULL);
        for (;;) {
            bool all = true;
            for (size_t r = 0; r < nrows; r++)
                if (cells[r][0] != ' ')
                    all = false;
            if (!all)
                break;
            for (size_t r = 0; r < nrows; r++)
                memmove(cells[r], cells[r] + 1, strlen(cells[r]));
        }
        size_t n = nrows + (index_name ? 1 : 0);
        char **all = tq_xcalloc(n, sizeof *all);
        size_t k = 0;
        if (index_name)
            all[k++] = tq_xstrdup(t->columns[0]);
        for (size_t r = 0; r < nrows; r++)
            all[k++] = cells[r];
        free(cells);
        fixed_width(all, n, 0, false);
        col_push(&cols[0], tq_xstrdup(""));
        for (size_t i = 0; i < n; i++)
            col_push(&cols[0], all[i]);
        free(all);
    }

    /* pandas' _insert_dot_separator_horizontal: " ..." on every line */
    if (cut_columns)
        for (size_t i = 0; i < nheader + nrows; i++)
            col_push(&cols[dots_col], tq_xstrdup(" ..."));

    for (size_t k = 0; k < nshown; k++) {
        size_t c = shown[k];
        rx_colkind_t kind;
        char **cells = rx_format_column(t, c, true, &kind, NULL);
        if (!has_index)     /* pandas: leading_space=self.index */
            for (size_t r = 0; r < nrows; r++)
                if (cells[r][0] == ' ')
                    memmove(cells[r], cells[r] + 1, strlen(cells[r]));
        char *header = kind == RX_COL_OBJECT || kind == RX_COL_DATETIME
                     ? tq_xstrdup(t->columns[c])
                     : tq_xasprintf(" %s", t->columns[c]);
        size_t hw = rx_utf8_width(header);
        size_t w = fixed_width(cells, nrows, hw, true);
        if (hw > w)
            w = hw;
        strcol_t *sc = &cols[first + k + (k >= dots_after ? 1 : 0)];
        col_push(sc, justify(header, w, true));
        free(header);
        if (index_name)
            col_push(sc, tq_xstrdup(""));
        for (size_t r = 0; r < nrows; r++)
            col_push(sc, cells[r]);
        free(cells);
    }

    /* pandas' _insert_dot_separator_vertical. */
    if (cut_rows) {
        size_t at = nheader + t->nhead;
        for (size_t c = 0; c < nstr; c++) {
            strcol_t *sc = &cols[c];
            size_t cw = c == dots_col ? 4 : rx_utf8_width(sc->lines[at]);
            const char *dots = cw > 3 ? "..." : "..";
            char *d = justify(dots, cw, !(c == 0 && has_index));
            col_push(sc, NULL);
            memmove(sc->lines + at + 1, sc->lines + at,
                    (sc->n - at - 1) * sizeof *sc->lines);
            sc->lines[at] = d;
        }
    }
    free(shown);

    /* pandas' adjoin(1, ...): every column but the last padded to its
     * width plus one space. */
    size_t *widths = tq_xcalloc(nstr, sizeof *widths);
    for (size_t c = 0; c < nstr; c++)
        for (size_t i = 0; i < cols[c].n; i++) {
            size_t w = rx_utf8_width(cols[c].lines[i]);
            if (w > widths[c])
                widths[c] = w;
        }
    tq_buf_t b = {0};
    size_t nlines = cols[0].n;
    for (size_t i = 0; i < nlines; i++) {
        size_t start = b.len;
        for (size_t c = 0; c < nstr; c++) {
            const char *s = cols[c].lines[i];
            tq_buf_add(&b, s);
            if (c + 1 < nstr)
                rx_buf_spaces(&b, widths[c] + 1 - rx_utf8_width(s));
        }
        while (b.len > start && b.s[b.len - 1] == ' ')
            b.s[--b.len] = 0;
        if (i + 1 < nlines)
            tq_buf_addc(&b, '\n');
    }
    if (truncated)
        tq_buf_printf(&b, "\n\n[%" PRId64 " rows x %zu columns]", t->total,
                      t->ncols - first);
    if (cut_rows && t->cap)
        tq_buf_printf(&b, "\nShowing %zu of %" PRId64 " rows: "
                      "display.max_rows = 0 shows at most %" PRId64 " rows.",
                      nrows, t->total, t->cap);
    for (size_t c = 0; c < nstr; c++) {
        for (size_t i = 0; i < cols[c].n; i++)
            free(cols[c].lines[i]);
        free(cols[c].lines);
    }
    free(cols);
    free(widths);
    return tq_buf_take(&b);
}
