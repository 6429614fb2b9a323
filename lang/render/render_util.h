/*
 * This file holds the renderers' private helpers on top of base/util.h's
 * allocation and buffers: padding,
 * UTF-8 width counting, and the
 * per-column cell formatting (pandas' rules) that the text and HTML tables
 * share (implemented in table.c). Everything else is static inline so that
 * each renderer can be linked into a unit test alone. Used by the
 * renderers (render_html.c, render_text.c, table.c, csv.c) and the
 * drawing module.
 */
#ifndef TQ_RENDER_UTIL_H
#define TQ_RENDER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "render/render.h"

/* Appends n spaces. */
static inline void rx_buf_spaces(tq_buf_t *b, size_t n)
{
    tq_buf_reserve(b, n);
    memset(b->s + b->len, ' ', n);
    b->len += n;
    b->s[b->len] = 0;
}

/* Display width of UTF-8 text: one per code point (pandas' len()). */
static inline size_t rx_utf8_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Byte offset of the first `cps` code points of s. */
static inline size_t rx_utf8_prefix(const char *s, size_t cps)
{
    size_t i = 0, n = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == cps)
                break;
            n++;
        }
    }
    return i;
}

/* ---- shared table cell formatting (table.c) */

/* How a column of a table shows: its kind is decided from every shown
 * value, as pandas decides a dtype. */
typedef enum rx_colkind {
    RX_COL_INT,     /* all non-NULL values are integers */
    RX_COL_FLOAT,   /* numbers, at least one real */
    RX_COL_OBJECT,  /* text, blobs or a mix */
    RX_COL_DATETIME, /* TQ_HINT_DATETIME and every shown value a date:
                        cells without a leading space, headers as text */
} rx_colkind_t;

/* The shown cells of column `col` (head rows then tail rows) formatted as
 * pandas formats them, without padding or leading space: ints in decimal,
 * floats with the column's common number of decimals (27.0 / 26.5) or in
 * e-notation, text bare (tabs and newlines escaped when `escape_ws`), NULL
 * as "None". Returns nhead + ntail malloc'd strings (free with
 * rx_cells_free); *kind gets the column's kind, *is_null[i] is set for
 * NULL cells when is_null is non-NULL. */
char **rx_format_column(const tq_table_t *t, size_t col, bool escape_ws,
                        rx_colkind_t *kind, bool *is_null);
void rx_cells_free(char **cells, size_t n);

/* The rows of `t` that its display options show: a view sharing t's
 * cells (never freed through it). When t->display is set, max_rows is in
 * 1..TQ_TABLE_ROW_CAP and total > max_rows, pandas shows m =
 * min(min_rows, max_rows) rows (max_rows when min_rows is 0): m // 2 of
 * the head and m // 2 of the tail (m = 1: the first row). Otherwise t. */
tq_table_t rx_shown_rows(const tq_table_t *t);

/* The value columns of `t` that display.max_columns shows, as indices
 * into t's columns, into shown[] (room for t->ncols): pandas' first
 * max_columns // 2 and last max_columns // 2 (max_columns 1: the first
 * one). Returns how many; *dots_after gets the count of shown columns
 * before the "..." column, or SIZE_MAX when nothing is hidden. */
size_t rx_shown_columns(const tq_table_t *t, size_t *shown,
                        size_t *dots_after);

/* The shown cell (row r of head then tail, column c). */
static inline const tqdb_datum_t *rx_cell(const tq_table_t *t, size_t r,
                                          size_t c)
{
    if (r < t->nhead)
        return t->head[r * t->ncols + c];
    return t->tail[(r - t->nhead) * t->ncols + c];
}

#endif
