/*
 * This file holds the renderers' private helpers: allocation that aborts
 * on out-of-memory, a growable byte buffer, UTF-8 width counting, and the
 * per-column cell formatting (pandas' rules) that the text and HTML tables
 * share (implemented in table.c). Everything else is static inline so that
 * each renderer can be linked into a unit test alone. Owned by the
 * renderers (render_html.c, render_text.c, chart.c, erd.c, csv.c ...).
 */
#ifndef TQ_RENDER_UTIL_H
#define TQ_RENDER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

static inline void *rx_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

static inline void *rx_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

static inline void *rx_realloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static inline char *rx_strdup(const char *s)
{
    size_t n = strlen(s);
    char *p = rx_malloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

__attribute__((format(printf, 1, 2)))
static inline char *rx_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

/* A growable NUL-terminated byte buffer. */
typedef struct rx_buf {
    char *s;
    size_t len, cap;
} rx_buf_t;

static inline void rx_buf_grow(rx_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra + 1)
            cap *= 2;
        b->s = rx_realloc(b->s, cap);
        b->cap = cap;
    }
}

static inline void rx_buf_addn(rx_buf_t *b, const char *s, size_t n)
{
    rx_buf_grow(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static inline void rx_buf_add(rx_buf_t *b, const char *s)
{
    rx_buf_addn(b, s, strlen(s));
}

static inline void rx_buf_addc(rx_buf_t *b, char c)
{
    rx_buf_addn(b, &c, 1);
}

static inline void rx_buf_spaces(rx_buf_t *b, size_t n)
{
    rx_buf_grow(b, n);
    memset(b->s + b->len, ' ', n);
    b->len += n;
    b->s[b->len] = 0;
}

__attribute__((format(printf, 2, 3)))
static inline void rx_buf_printf(rx_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    rx_buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Appends an SQL identifier double-quoted, doubling inner quotes. */
static inline void rx_buf_ident(rx_buf_t *b, const char *id)
{
    rx_buf_addc(b, '"');
    for (const char *p = id; *p; p++) {
        if (*p == '"')
            rx_buf_addc(b, '"');
        rx_buf_addc(b, *p);
    }
    rx_buf_addc(b, '"');
}

/* Returns the buffer's string (never NULL) and leaves the buffer empty. */
static inline char *rx_buf_take(rx_buf_t *b)
{
    char *s = b->s ? b->s : rx_strdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

static inline void rx_buf_free(rx_buf_t *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
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

/* The shown cell (row r of head then tail, column c). */
static inline sqlite3_value *rx_cell(const tq_table_t *t, size_t r,
                                     size_t c)
{
    if (r < t->nhead)
        return t->head[r * t->ncols + c];
    return t->tail[(r - t->nhead) * t->ncols + c];
}

#endif
