/*
 * This file implements hmac.h with libsodium's crypto_auth_hmacsha256
 * (HMAC-SHA256 of RFC 2104, keys of any length). The key is absorbed once
 * into a state that is copied for each message, so each signature costs
 * only the message's own hashing. Constant-time comparison is
 * sodium_memcmp.
 */
#include "hmac.h"
#include "util.h"

#include <sodium.h>
#include <string.h>

struct kn_hmac_key {
    crypto_auth_hmacsha256_state keyed;   /* never finalised */
};

void kn_hmac_init(void)
{
    /* 0: initialised now, 1: already; -1 (no random source) leaves HMAC
     * usable, since it needs none, so it is not fatal here. */
    if (sodium_init() < 0)
        return;
}

const char *kn_hmac_library(void)
{
    return "libsodium";
}

kn_hmac_key_t *kn_hmac_key_new(const void *key, size_t len)
{
    kn_hmac_key_t *k = kn_xcalloc(1, sizeof *k);
    if (crypto_auth_hmacsha256_init(&k->keyed, key, len) != 0) {
        kn_hmac_key_free(k);
        return NULL;
    }
    return k;
}

void kn_hmac_key_free(kn_hmac_key_t *key)
{
    if (!key)
        return;
    sodium_memzero(key, sizeof *key);
    free(key);
}

int kn_hmac_compute(const kn_hmac_key_t *key, const kn_part_t *parts,
                    size_t n, unsigned char out[KN_HMAC_LEN])
{
    crypto_auth_hmacsha256_state st = key->keyed;
    for (size_t i = 0; i < n; i++)
        if (crypto_auth_hmacsha256_update(
                &st, (const unsigned char *)parts[i].data, parts[i].len))
            return -1;
    int rc = crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
    return rc == 0 ? 0 : -1;
}

bool kn_hmac_equal(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len) == 0;
}
