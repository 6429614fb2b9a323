/*
 * This file declares the language library's small shared helpers:
 * allocation that aborts on out-of-memory, a growable string buffer, a
 * reference-counted arena (one per executed cell: tokens, AST, the cell's
 * source) and a string-keyed hash map used for variables and builtins.
 * This is the one allocation and buffer family of lang/.
 * Implemented by util.c; any lang/ file may use it.
 */
#ifndef TQ_UTIL_H
#define TQ_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocation: never returns NULL (aborts). */
void *tq_xmalloc(size_t n);
void *tq_xcalloc(size_t n, size_t size);
void *tq_xrealloc(void *p, size_t n);
char *tq_xstrdup(const char *s);               /* NULL stays NULL */
char *tq_xstrndup(const char *s, size_t n);
char *tq_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Appends `item` to the dynamic array `arr` of `count` items and `cap`
 * capacity, growing it. */
#define TQ_PUSH(arr, count, cap, item)                                   \
    do {                                                                 \
        if ((count) == (cap)) {                                          \
            (cap) = (cap) ? (cap) * 2 : 8;                               \
            (arr) = tq_xrealloc((arr), (cap) * sizeof *(arr));           \
        }                                                                \
        (arr)[(count)++] = (item);                                       \
    } while (0)

/* A growable NUL-terminated string; zero-initialise before use. */
typedef struct tq_buf {
    char *s;
    size_t len, cap;
} tq_buf_t;

/* Makes room for `extra` more bytes (and the NUL) without adding any. */
void tq_buf_reserve(tq_buf_t *b, size_t extra);
void tq_buf_addn(tq_buf_t *b, const char *s, size_t n);
void tq_buf_add(tq_buf_t *b, const char *s);
void tq_buf_addc(tq_buf_t *b, char c);
void tq_buf_printf(tq_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tq_buf_vprintf(tq_buf_t *b, const char *fmt, va_list ap);
/* Appends an SQL identifier double-quoted, doubling inner quotes (the form
 * every engine here accepts; SQL text otherwise lives in lang/sql). */
void tq_buf_ident(tq_buf_t *b, const char *id);
/* Appends the n bytes of s as an SQL string literal: single-quoted,
 * inner single quotes doubled (the form every engine here accepts). */
void tq_buf_quote(tq_buf_t *b, const char *s, size_t n);
/* Returns the string (never NULL, malloc'd) and leaves the buffer empty. */
char *tq_buf_take(tq_buf_t *b);
void tq_buf_free(tq_buf_t *b);

/* A bump allocator freed in one call. Reference counted, so that a cell's
 * AST can outlive the cell while a function defined in it is alive. */
typedef struct tq_arena tq_arena_t;

tq_arena_t *tq_arena_new(void);
/* Zeroed memory, 16-byte aligned, valid until the arena is released. */
void *tq_arena_alloc(tq_arena_t *a, size_t n);
char *tq_arena_strndup(tq_arena_t *a, const char *s, size_t n);
tq_arena_t *tq_arena_retain(tq_arena_t *a);
/* Drops one reference; frees everything at zero. NULLs the pointer. */
void tq_arena_release(tq_arena_t **a);

/* A string-keyed hash map (open addressing, linear probing). Keys are
 * copied; values are opaque pointers owned by the caller. Zero-initialise
 * before use. */
typedef struct tq_map_slot {
    char *key;        /* NULL: empty slot */
    uint64_t hash;
    void *value;
} tq_map_slot_t;

typedef struct tq_map {
    tq_map_slot_t *slots;
    size_t cap, count;
} tq_map_t;

uint64_t tq_hash_bytes(const void *p, size_t n);
void *tq_map_get(const tq_map_t *m, const char *key);
void *tq_map_get_h(const tq_map_t *m, const char *key, uint64_t hash);
/* Sets key to value; returns the previous value or NULL. */
void *tq_map_set(tq_map_t *m, const char *key, void *value);
/* Removes key; returns its value or NULL when absent. */
void *tq_map_del(tq_map_t *m, const char *key);
/* Frees every key, calls free_value (may be NULL) on every value. */
void tq_map_clear(tq_map_t *m, void (*free_value)(void *));

/* Decodes one UTF-8 code point at s (n bytes available); returns its
 * length (1 for invalid bytes) and stores the code point in *cp. */
size_t tq_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Number of code points in s[0..n). */
size_t tq_utf8_count(const char *s, size_t n);
/* Byte offset of code point index `cp` in s (clamped to strlen). */
size_t tq_utf8_offset(const char *s, size_t cp);

#endif
