/*
 * This file renders a fetched table as text/html in the shape of pandas'
 * DataFrame._repr_html_: a <div> holding a small scoped <style>, a
 * <table border="1" class="dataframe"> with <thead> (column names, and the
 * index name on a second header row) and <tbody> (the index in <th>, cells
 * in <td>), a "..." row between head and tail (as many rows as
 * display.min_rows asks, rx_shown_rows), a "..." column between the first
 * and last columns past display.max_columns, and a "N rows × M columns"
 * paragraph when truncated. Numbers are right-aligned, text left-aligned,
 * NULL is an <em class="tq-null"> cell (NaN in a float column, else
 * None, as pandas shows them), every value is escaped.
 * The style uses only class selectors under .dataframe, so it works in
 * JupyterLab, Notebook 7 and classic Notebook alike.
 */
#include <inttypes.h>
#include <stdint.h>

#include "render/render_util.h"

static const char STYLE[] =
    "<style scoped>\n"
    "    .dataframe tbody tr th:only-of-type {\n"
    "        vertical-align: middle;\n"
    "    }\n"
    "\n"
    "    .dataframe tbody tr th {\n"
    "        vertical-align: top;\n"
    "    }\n"
    "\n"
    "    .dataframe thead th {\n"
    "        text-align: right;\n"
    "    }\n"
    "\n"
    "    .dataframe .tq-num {\n"
    "        text-align: right;\n"
    "        font-variant-numeric: tabular-nums;\n"
    "    }\n"
    "\n"
    "    .dataframe .tq-text {\n"
    "        text-align: left;\n"
    "    }\n"
    "\n"
    "    .dataframe .tq-null {\n"
    "        color: #999;\n"
    "        font-style: italic;\n"
    "    }\n"
    "</style>\n";

/* Appends `s` with &, <, >, " and ' escaped. */
static void add_escaped(tq_buf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': tq_buf_add(b, "&amp;"); break;
        case '<': tq_buf_add(b, "&lt;"); break;
        case '>': tq_buf_add(b, "&gt;"); break;
        case '"': tq_buf_add(b, "&quot;"); break;
        case '\'': tq_buf_add(b, "&#39;"); break;
        default: tq_buf_addc(b, *s);
        }
    }
}

/* A formatted cell without pandas' leading space, shortened past
 * display.max_colwidth (50) as pandas does. */
static void add_cell_text(tq_buf_t *b, const char *cell)
{
    while (*cell == ' ')
        cell++;
    if (rx_utf8_width(cell) > 50) {
        size_t keep = rx_utf8_prefix(cell, 47);
        char *s = tq_xasprintf("%.*s...", (int)keep, cell);
        add_escaped(b, s);
        free(s);
        return;
    }
    add_escaped(b, cell);
}

/* One <td>/<th> cell. */
static void add_cell(tq_buf_t *b, const char *tag, const char *cell,
                     bool null, bool numeric)
{
    /* a NULL cell shows its formatted text ("NaN" in a float column,
     * else "None") without the sign slot */
    const char *missing = "None";
    if (null && cell)
        for (missing = cell; *missing == ' '; missing++)
            ;
    if (strcmp(tag, "th") == 0) {          /* the index, as pandas */
        tq_buf_add(b, "      <th>");
        if (null)
            tq_buf_printf(b, "<em class=\"tq-null\">%s</em>", missing);
        else
            add_cell_text(b, cell);
        tq_buf_add(b, "</th>\n");
        return;
    }
    if (null) {
        tq_buf_printf(b, "      <%s class=\"%s\"><em class=\"tq-null\">%s"
                      "</em></%s>\n", tag, numeric ? "tq-num" : "tq-text",
                      missing, tag);
        return;
    }
    tq_buf_printf(b, "      <%s class=\"%s\">", tag,
                  numeric ? "tq-num" : "tq-text");
    add_cell_text(b, cell);
    tq_buf_printf(b, "</%s>\n", tag);
}

/* tq_html_table: see render.h. */
char *tq_html_table(const tq_table_t *table)
{
    tq_table_t view = rx_shown_rows(table);
    const tq_table_t *t = &view;
    size_t nrows = t->nhead + t->ntail;
    bool has_index = t->has_index && t->ncols > 0;
    size_t first = has_index ? 1 : 0;
    size_t *shown = tq_xcalloc(t->ncols + 1, sizeof *shown);
    size_t dots_after;
    size_t nshown = rx_shown_columns(t, shown, &dots_after);
    bool cut_columns = dots_after != SIZE_MAX;
    bool cut_rows = t->total > (int64_t)nrows;
    bool truncated = cut_rows || cut_columns;
    char ***cells = tq_xcalloc(t->ncols, sizeof *cells);
    bool **nulls = tq_xcalloc(t->ncols, sizeof *nulls);
    rx_colkind_t *kinds = tq_xcalloc(t->ncols, sizeof *kinds);
    if (has_index) {
        nulls[0] = tq_xcalloc(nrows, sizeof **nulls);
        cells[0] = rx_format_column(t, 0, false, &kinds[0], nulls[0]);
    }
    for (size_t k = 0; k < nshown; k++) {
        size_t c = shown[k];
        nulls[c] = tq_xcalloc(nrows, sizeof **nulls);
        cells[c] = rx_format_column(t, c, false, &kinds[c], nulls[c]);
    }

    tq_buf_t b = {0};
    tq_buf_add(&b, "<div>\n");
    tq_buf_add(&b, STYLE);
    tq_buf_add(&b, "<table border=\"1\" class=\"dataframe\">\n");
    tq_buf_add(&b, "  <thead>\n    <tr style=\"text-align: right;\">\n");
    if (has_index)
        tq_buf_add(&b, "      <th></th>\n");
    for (size_t k = 0; k < nshown; k++) {
        size_t c = shown[k];
        if (k == dots_after)
            tq_buf_add(&b, "      <th>...</th>\n");
        tq_buf_printf(&b, "      <th class=\"%s\">",
                      kinds[c] == RX_COL_OBJECT ? "tq-text" : "tq-num");
        add_escaped(&b, t->columns[c]);
        tq_buf_add(&b, "</th>\n");
    }
    if (dots_after == nshown)
        tq_buf_add(&b, "      <th>...</th>\n");
    tq_buf_add(&b, "    </tr>\n");
    if (has_index && t->columns[0][0]) {
        tq_buf_add(&b, "    <tr>\n      <th>");
        add_escaped(&b, t->columns[0]);
        tq_buf_add(&b, "</th>\n");
        for (size_t k = 0; k < nshown + (cut_columns ? 1 : 0); k++)
            tq_buf_add(&b, "      <th></th>\n");
        tq_buf_add(&b, "    </tr>\n");
    }
    tq_buf_add(&b, "  </thead>\n  <tbody>\n");
    for (size_t r = 0; r <= nrows; r++) {
        if (cut_rows && r == t->nhead) {
            /* the "..." row (after the head, even with no tail rows) */
            tq_buf_add(&b, "    <tr>\n");
            if (has_index)
                tq_buf_add(&b, "      <th>...</th>\n");
            for (size_t k = 0; k < nshown; k++) {
                if (k == dots_after)
                    tq_buf_add(&b, "      <td>...</td>\n");
                if (t->ntail == 0)   /* no tail rows: a bare marker */
                    tq_buf_add(&b, "      <td>...</td>\n");
                else
                    tq_buf_printf(&b, "      <td class=\"%s\">...</td>\n",
                                  kinds[shown[k]] == RX_COL_OBJECT
                                  ? "tq-text" : "tq-num");
            }
            if (dots_after == nshown)
                tq_buf_add(&b, "      <td>...</td>\n");
            tq_buf_add(&b, "    </tr>\n");
        }
        if (r == nrows)
            break;
        tq_buf_add(&b, "    <tr>\n");
        if (has_index)
            add_cell(&b, "th", cells[0][r], nulls[0][r], false);
        for (size_t k = 0; k < nshown; k++) {
            size_t c = shown[k];
            if (k == dots_after)
                tq_buf_add(&b, "      <td>...</td>\n");
            add_cell(&b, "td", cells[c][r], nulls[c][r],
                     kinds[c] != RX_COL_OBJECT);
        }
        if (dots_after == nshown)
            tq_buf_add(&b, "      <td>...</td>\n");
        tq_buf_add(&b, "    </tr>\n");
    }
    tq_buf_add(&b, "  </tbody>\n</table>\n");
    if (truncated)
        tq_buf_printf(&b, "<p>%" PRId64 " rows \xc3\x97 %zu columns</p>\n",
                      t->total, t->ncols - first);
    if (cut_rows && t->cap)
        tq_buf_printf(&b, "<p>Showing %zu of %" PRId64 " rows: "
                      "display.max_rows = 0 shows at most %" PRId64
                      " rows.</p>\n", nrows, t->total, t->cap);
    tq_buf_add(&b, "</div>");
    for (size_t c = 0; c < t->ncols; c++) {
        if (cells[c])
            rx_cells_free(cells[c], nrows);
        free(nulls[c]);
    }
    free(cells);
    free(nulls);
    free(kinds);
    free(shown);
    return tq_buf_take(&b);
}
