/*
 * This file holds the kernel's allocation helpers: every allocation the
 * kernel makes goes through them, so out-of-memory is one clear abort.
 */
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
    fprintf(stderr, "[tabula-kernel] fatal: out of memory (%zu bytes)\n", size);
    abort();
}

/* Returns size bytes (at least one), never NULL. Caller frees. */
void *kn_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

/* Returns zeroed memory, never NULL. Caller frees. */
void *kn_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

/* Resizes ptr, never returns NULL. */
void *kn_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

/* Copies a NUL-terminated string. Caller frees. */
char *kn_xstrdup(const char *s)
{
    return kn_xstrndup(s, strlen(s));
}

/* Copies len bytes and terminates them. Caller frees. */
char *kn_xstrndup(const char *s, size_t len)
{
    char *p = kn_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
