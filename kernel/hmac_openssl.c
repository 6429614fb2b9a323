/*
 * This file implements hmac.h with OpenSSL 3's EVP_MAC "HMAC" over
 * SHA-256. The keyed context is set up once and duplicated for every
 * message (EVP_MAC_CTX_dup reads the original, so concurrent use of one
 * key is safe). OpenSSL is initialised without reading the system
 * openssl.cnf: HMAC needs only the default provider. Constant-time
 * comparison is CRYPTO_memcmp.
 */
#include "hmac.h"
#include "util.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

struct kn_hmac_key {
    EVP_MAC *mac;
    EVP_MAC_CTX *keyed;       /* initialised with the key, never finalised */
};

void kn_hmac_init(void)
{
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

const char *kn_hmac_library(void)
{
    return "OpenSSL";
}

kn_hmac_key_t *kn_hmac_key_new(const void *key, size_t len)
{
    kn_hmac_key_t *k = kn_xcalloc(1, sizeof *k);
    k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    k->keyed = k->mac ? EVP_MAC_CTX_new(k->mac) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (!k->keyed ||
        !EVP_MAC_init(k->keyed, (const unsigned char *)key, len, params)) {
        kn_hmac_key_free(k);
        return NULL;
    }
    return k;
}

void kn_hmac_key_free(kn_hmac_key_t *key)
{
    if (!key)
        return;
    EVP_MAC_CTX_free(key->keyed);
    EVP_MAC_free(key->mac);
    free(key);
}

int kn_hmac_compute(const kn_hmac_key_t *key, const kn_part_t *parts,
                    size_t n, unsigned char out[KN_HMAC_LEN])
{
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(key->keyed);
    if (!ctx)
        return -1;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++)
        ok = EVP_MAC_update(ctx, (const unsigned char *)parts[i].data,
                            parts[i].len);
    size_t outl = 0;
    if (ok)
        ok = EVP_MAC_final(ctx, out, &outl, KN_HMAC_LEN);
    EVP_MAC_CTX_free(ctx);
    return ok && outl == KN_HMAC_LEN ? 0 : -1;
}

bool kn_hmac_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}
