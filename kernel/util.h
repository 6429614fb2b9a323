/*
 * This file declares the kernel's allocation helpers: allocation that
 * cannot fail (out of memory aborts the process with a message).
 */
#ifndef KN_UTIL_H
#define KN_UTIL_H

#include <stddef.h>

/* malloc/calloc/realloc/strdup that abort on failure; free with free(). */
void *kn_xmalloc(size_t size);
void *kn_xcalloc(size_t count, size_t size);
void *kn_xrealloc(void *ptr, size_t size);
char *kn_xstrdup(const char *s);
char *kn_xstrndup(const char *s, size_t len);

#endif
