/*
 * This file implements the shared helpers of util.h: aborting allocation,
 * string buffers, the reference-counted arena and the string hash map.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in util.h.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *tq_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

void *tq_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

void *tq_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

char *tq_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    return tq_xstrndup(s, strlen(s));
}

char *tq_xstrndup(const char *s, size_t n)
{
    char *p = tq_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *tq_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

/* tq_buf_reserve: see util.h. */
void tq_buf_reserve(tq_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + extra + 1)
            cap *= 2;
        b->s = tq_xrealloc(b->s, cap);
        b->cap = cap;
    }
}

void tq_buf_addn(tq_buf_t *b, const char *s, size_t n)
{
    tq_buf_reserve(b, n);
    if (n)
        memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

/* tq_buf_ident: see util.h. */
void tq_buf_ident(tq_buf_t *b, const char *id)
{
    tq_buf_addc(b, '"');
    for (const char *p = id; *p; p++) {
        if (*p == '"')
            tq_buf_addc(b, '"');
        tq_buf_addc(b, *p);
    }
    tq_buf_addc(b, '"');
}

void tq_buf_quote(tq_buf_t *b, const char *s, size_t n)
{
    tq_buf_addc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            tq_buf_addc(b, '\'');
        tq_buf_addc(b, s[i]);
    }
    tq_buf_addc(b, '\'');
}

void tq_buf_add(tq_buf_t *b, const char *s)
{
    tq_buf_addn(b, s, strlen(s));
}

void tq_buf_addc(tq_buf_t *b, char c)
{
    tq_buf_reserve(b, 1);
    b->s[b->len++] = c;
    b->s[b->len] = 0;
}

void tq_buf_vprintf(tq_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    tq_buf_reserve(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void tq_buf_printf(tq_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *tq_buf_take(tq_buf_t *b)
{
    char *s = b->s ? b->s : tq_xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void tq_buf_free(tq_buf_t *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* ---- arena: a chain of blocks, the newest first */

typedef struct block {
    struct block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
} block_t;

struct tq_arena {
    int refs;
    block_t *head;
};

tq_arena_t *tq_arena_new(void)
{
    tq_arena_t *a = tq_xcalloc(1, sizeof *a);
    a->refs = 1;
    return a;
}

void *tq_arena_alloc(tq_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    block_t *b = a->head;
    if (!b || b->used + n > b->size) {
        size_t size = n > 8192 ? n : 8192;
        b = tq_xmalloc(sizeof *b + size);
        b->used = 0;
        b->size = size;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *tq_arena_strndup(tq_arena_t *a, const char *s, size_t n)
{
    char *p = tq_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

tq_arena_t *tq_arena_retain(tq_arena_t *a)
{
    if (a)
        a->refs++;
    return a;
}

void tq_arena_release(tq_arena_t **ap)
{
    tq_arena_t *a = *ap;
    *ap = NULL;
    if (!a || --a->refs > 0)
        return;
    for (block_t *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

/* ---- hash map */

uint64_t tq_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void *tq_map_get_h(const tq_map_t *m, const char *key, uint64_t hash)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        tq_map_slot_t *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->hash == hash && strcmp(s->key, key) == 0)
            return s->value;
    }
}

void *tq_map_get(const tq_map_t *m, const char *key)
{
    return tq_map_get_h(m, key, tq_hash_bytes(key, strlen(key)));
}

static void map_insert_slot(tq_map_slot_t *slots, size_t cap,
                            tq_map_slot_t slot)
{
    size_t mask = cap - 1;
    size_t i = slot.hash & mask;
    while (slots[i].key)
        i = (i + 1) & mask;
    slots[i] = slot;
}

void *tq_map_set(tq_map_t *m, const char *key, void *value)
{
    uint64_t hash = tq_hash_bytes(key, strlen(key));
    if (m->cap) {
        size_t mask = m->cap - 1;
        for (size_t i = hash & mask; m->slots[i].key; i = (i + 1) & mask) {
            tq_map_slot_t *s = &m->slots[i];
            if (s->hash == hash && strcmp(s->key, key) == 0) {
                void *old = s->value;
                s->value = value;
                return old;
            }
        }
    }
    if ((m->count + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        tq_map_slot_t *slots = tq_xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].key)
                map_insert_slot(slots, cap, m->slots[i]);
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    tq_map_slot_t slot = {tq_xstrdup(key), hash, value};
    map_insert_slot(m->slots, m->cap, slot);
    m->count++;
    return NULL;
}

void *tq_map_del(tq_map_t *m, const char *key)
{
    if (!m->cap)
        return NULL;
    uint64_t hash = tq_hash_bytes(key, strlen(key));
    size_t mask = m->cap - 1;
    size_t i = hash & mask;
    for (;; i = (i + 1) & mask) {
        if (!m->slots[i].key)
            return NULL;
        if (m->slots[i].hash == hash && strcmp(m->slots[i].key, key) == 0)
            break;
    }
    void *old = m->slots[i].value;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->count--;
    /* Backward-shift: re-insert the rest of the cluster. */
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        tq_map_slot_t s = m->slots[j];
        m->slots[j].key = NULL;
        map_insert_slot(m->slots, m->cap, s);
    }
    return old;
}

void tq_map_clear(tq_map_t *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key) {
            free(m->slots[i].key);
            if (free_value)
                free_value(m->slots[i].value);
        }
    }
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}

/* ---- UTF-8 */

size_t tq_utf8_decode(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0) {
        *cp = 0;
        return 0;
    }
    unsigned c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

size_t tq_utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

size_t tq_utf8_offset(const char *s, size_t cp)
{
    size_t i = 0, seen = 0;
    while (s[i]) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (seen == cp)
                return i;
            seen++;
        }
        i++;
    }
    return i;
}
