/*
 * This file declares the HMAC-SHA256 primitive that sign.c builds message
 * signatures on, so that the library behind it is one choice made at
 * build time (meson option `hmac`): libsodium (hmac_sodium.c, the
 * default: libzmq already maps it, so signing adds no library to the
 * process) or OpenSSL 3's EVP_MAC (hmac_openssl.c: loading its default
 * provider costs about 3.5 MiB of resident memory, a third of the
 * kernel's). Both are checked against RFC 4231 in tests/unit/kernel.
 *
 * A key is prepared once and is read-only afterwards, so one key may be
 * used from several threads at once; kn_hmac_compute keeps its working
 * state on the caller's stack.
 */
#ifndef KN_HMAC_H
#define KN_HMAC_H

#include <stdbool.h>
#include <stddef.h>

#define KN_HMAC_LEN 32

typedef struct kn_hmac_key kn_hmac_key_t;

/* A byte range to authenticate. */
typedef struct kn_part {
    const char *data;
    size_t len;
} kn_part_t;

/* Initialises the library once, on the main thread, before any key. */
void kn_hmac_init(void);

/* The name of the library in use, for logs ("libsodium", "OpenSSL"). */
const char *kn_hmac_library(void);

/* Prepares a key (copied; any length). NULL on a library failure. The
 * caller owns the key and frees it with kn_hmac_key_free (NULL is fine). */
kn_hmac_key_t *kn_hmac_key_new(const void *key, size_t len);
void kn_hmac_key_free(kn_hmac_key_t *key);

/* HMAC-SHA256 of the concatenation of `parts` (n of them) into out.
 * Returns 0, or -1 on a library failure (out is then undefined). */
int kn_hmac_compute(const kn_hmac_key_t *key, const kn_part_t *parts,
                    size_t n, unsigned char out[KN_HMAC_LEN]);

/* Compares len bytes in time independent of their content. */
bool kn_hmac_equal(const void *a, const void *b, size_t len);

#endif
