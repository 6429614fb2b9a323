/*
 * This file renders a fetched table as text/plain in pandas' DataFrame
 * layout (pandas/io/formats/format.py, DataFrameFormatter._to_str_columns):
 * every value column is formatted as a whole (leading sign slot for
 * numbers, one space before text), made fixed width and right-justified
 * under its header; the index column is left-justified with its name on a
 * line of its own; columns are joined with one space. Truncated tables get
 * a "..." row between head and tail and a "[N rows x M columns]" footer.
 * Unlike pandas, trailing spaces are stripped from every line.
 */
#include <inttypes.h>

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
char *tq_text_table(const tq_table_t *t)
{
    size_t nrows = t->nhead + t->ntail;
    if (nrows == 0)
        return empty_text(t);
    bool truncated = t->total > (int64_t)nrows;
    bool has_index = t->has_index && t->ncols > 0;
    bool index_name = has_index && t->columns[0][0] != 0;
    size_t nheader = 1 + (index_name ? 1 : 0);
    size_t first = has_index ? 1 : 0;
    size_t nstr = t->ncols;           /* index column (if any) + values */
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

    for (size_t c = first; c < t->ncols; c++) {
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
        strcol_t *sc = &cols[c];
        col_push(sc, justify(header, w, true));
        free(header);
        if (index_name)
            col_push(sc, tq_xstrdup(""));
        for (size_t r = 0; r < nrows; r++)
            col_push(sc, cells[r]);
        free(cells);
    }

    /* pandas' _insert_dot_separator_vertical. */
    if (truncated) {
        size_t at = nheader + t->nhead;
        for (size_t c = 0; c < nstr; c++) {
            strcol_t *sc = &cols[c];
            size_t cw = rx_utf8_width(sc->lines[at]);
            const char *dots = cw > 3 ? "..." : "..";
            char *d = justify(dots, cw, !(c == 0 && has_index));
            col_push(sc, NULL);
            memmove(sc->lines + at + 1, sc->lines + at,
                    (sc->n - at - 1) * sizeof *sc->lines);
            sc->lines[at] = d;
        }
    }

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
    if (truncated && t->cap)
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
