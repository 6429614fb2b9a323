/*
 * This file holds the database layer's small private helpers: allocation
 * that aborts on out-of-memory and a growable string buffer used to build
 * SQL text and reprs. Everything is static inline so that the SQL compiler
 * and the schema reader can be linked into unit tests without the
 * interpreter. Owned by the database layer (schema.c, compile.c, query.c...).
 */
#ifndef TQ_DBUTIL_H
#define TQ_DBUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void *db_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

static inline void *db_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

static inline void *db_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static inline char *db_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *p = db_xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static inline char *db_xstrndup(const char *s, size_t n)
{
    char *p = db_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* Appends to a dynamic array: `arr` of `count` items with `cap` capacity. */
#define DB_PUSH(arr, count, cap, item)                                     \
    do {                                                                   \
        if ((count) == (cap)) {                                            \
            (cap) = (cap) ? (cap) * 2 : 8;                                 \
            (arr) = db_xrealloc((arr), (cap) * sizeof *(arr));             \
        }                                                                  \
        (arr)[(count)++] = (item);                                         \
    } while (0)

/* A growable NUL-terminated string. */
typedef struct db_buf {
    char *s;
    size_t len, cap;
} db_buf_t;

static inline void db_buf_grow(db_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + extra + 1)
            cap *= 2;
        b->s = db_xrealloc(b->s, cap);
        b->cap = cap;
    }
}

static inline void db_buf_addn(db_buf_t *b, const char *s, size_t n)
{
    db_buf_grow(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static inline void db_buf_add(db_buf_t *b, const char *s)
{
    db_buf_addn(b, s, strlen(s));
}

static inline void db_buf_addc(db_buf_t *b, char c)
{
    db_buf_addn(b, &c, 1);
}

__attribute__((format(printf, 2, 3)))
static inline void db_buf_printf(db_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    db_buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Appends an SQL identifier double-quoted, doubling inner quotes. */
static inline void db_buf_ident(db_buf_t *b, const char *id)
{
    db_buf_addc(b, '"');
    for (const char *p = id; *p; p++) {
        if (*p == '"')
            db_buf_addc(b, '"');
        db_buf_addc(b, *p);
    }
    db_buf_addc(b, '"');
}

/* Returns the buffer's string (never NULL) and leaves the buffer empty. */
static inline char *db_buf_take(db_buf_t *b)
{
    char *s = b->s ? b->s : db_xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

static inline void db_buf_free(db_buf_t *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

__attribute__((format(printf, 1, 2)))
static inline char *db_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

#endif
