/*
 * This file tests kernel/sign.c over one HMAC backend (built once per
 * backend, see meson.build): HMAC-SHA256 against the RFC 4231 test
 * vectors (cases 1-4, 6, 7), digests over several parts, verification
 * (right, wrong, short and missing signatures), the replay history and
 * the empty key that disables signing.
 */
#include "sign.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

typedef struct vector {
    const char *name;
    unsigned char key[131];
    size_t key_len;
    const char *data;
    size_t data_len;
    const char *hmac;
} vector_t;

static void fill(unsigned char *p, unsigned char v, size_t n)
{
    memset(p, v, n);
}

int main(void)
{
    static vector_t v[6];
    char dd[50], cd[50];
    kn_sign_init();
    printf("# HMAC backend: %s\n", kn_hmac_library());
    memset(dd, 0xdd, sizeof dd);
    memset(cd, 0xcd, sizeof cd);

    v[0] = (vector_t){.name = "RFC 4231 case 1", .key_len = 20,
        .data = "Hi There", .data_len = 8,
        .hmac = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"};
    fill(v[0].key, 0x0b, 20);
    v[1] = (vector_t){.name = "RFC 4231 case 2", .key = "Jefe", .key_len = 4,
        .data = "what do ya want for nothing?", .data_len = 28,
        .hmac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"};
    v[2] = (vector_t){.name = "RFC 4231 case 3", .key_len = 20,
        .data = dd, .data_len = 50,
        .hmac = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"};
    fill(v[2].key, 0xaa, 20);
    v[3] = (vector_t){.name = "RFC 4231 case 4", .key_len = 25,
        .data = cd, .data_len = 50,
        .hmac = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"};
    for (int i = 0; i < 25; i++)
        v[3].key[i] = (unsigned char)(i + 1);
    v[4] = (vector_t){.name = "RFC 4231 case 6", .key_len = 131,
        .data = "Test Using Larger Than Block-Size Key - Hash Key First",
        .data_len = 54,
        .hmac = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"};
    fill(v[4].key, 0xaa, 131);
    v[5] = (vector_t){.name = "RFC 4231 case 7", .key_len = 131,
        .data = "This is a test using a larger than block-size key and a "
                "larger than block-size data. The key needs to be hashed "
                "before being used by the HMAC algorithm.",
        .data_len = 152,
        .hmac = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"};
    fill(v[5].key, 0xaa, 131);

    for (int i = 0; i < 6; i++) {
        kn_signer_t *s = kn_signer_new("hmac-sha256", (const char *)v[i].key,
                                       v[i].key_len);
        char out[KN_DIGEST_HEX + 1];
        kn_part_t one = {v[i].data, v[i].data_len};
        kn_signer_digest(s, &one, 1, out);
        tap_ok(strcmp(out, v[i].hmac) == 0, "%s digest", v[i].name);
        /* the same bytes split over four parts give the same MAC */
        size_t q = v[i].data_len / 4;
        kn_part_t four[4] = {
            {v[i].data, q}, {v[i].data + q, q}, {v[i].data + 2 * q, q},
            {v[i].data + 3 * q, v[i].data_len - 3 * q},
        };
        kn_signer_digest(s, four, 4, out);
        tap_ok(strcmp(out, v[i].hmac) == 0, "%s over four parts", v[i].name);
        tap_ok(kn_signer_verify(s, &one, 1, v[i].hmac, 64) == 0,
               "%s verifies", v[i].name);
        kn_signer_destroy(&s);
        tap_ok(s == NULL, "%s destroy NULLs the pointer", v[i].name);
    }

    kn_signer_t *s = kn_signer_new("hmac-sha256", "secret", 6);
    kn_part_t p = {"{}", 2};
    char good[KN_DIGEST_HEX + 1], bad[KN_DIGEST_HEX + 1];
    kn_signer_digest(s, &p, 1, good);
    memcpy(bad, good, sizeof bad);
    bad[10] = bad[10] == '0' ? '1' : '0';
    tap_ok(kn_signer_verify(s, &p, 1, bad, 64) != 0, "one changed digit fails");
    tap_ok(kn_signer_verify(s, &p, 1, good, 63) != 0, "short signature fails");
    tap_ok(kn_signer_verify(s, &p, 1, "", 0) != 0, "missing signature fails");
    kn_part_t other = {"{ }", 3};
    tap_ok(kn_signer_verify(s, &other, 1, good, 64) != 0,
           "signature of other bytes fails");
    tap_ok(kn_signer_new("hmac-md5", "k", 1) == NULL, "unknown scheme refused");

    /* replay history: no number of later messages outruns it */
    tap_ok(kn_signer_remember(s, good, 64, 0) == 0, "first sighting accepted");
    tap_ok(kn_signer_remember(s, good, 64, 0) != 0, "replayed signature refused");
    char sig[KN_DIGEST_HEX + 1];
    int refused = 0;
    double now = kn_signer_now();
    for (int i = 0; i < 10000; i++) {
        char body[32];
        int n = snprintf(body, sizeof body, "{\"n\":%d}", i);
        kn_part_t b = {body, (size_t)n};
        kn_signer_digest(s, &b, 1, sig);
        refused += kn_signer_remember(s, sig, 64, now) != 0;
    }
    tap_ok(refused == 0, "10000 distinct signatures accepted");
    tap_ok(kn_signer_remember(s, sig, 64, now) != 0, "recent one still refused");
    tap_ok(kn_signer_remember(s, good, 64, now) != 0,
           "the first one still refused after 10000 others");
    char old_sig[KN_DIGEST_HEX + 1];
    kn_part_t old_body = {"{\"old\":1}", 9};
    kn_signer_digest(s, &old_body, 1, old_sig);
    tap_ok(kn_signer_remember(s, old_sig, 64, now - 3 * 3600) != 0,
           "a message dated hours before the kernel started is refused");
    {
        /* An entry is forgotten only once much older than the newest
         * message; then anything dated no later than it is refused. */
        kn_signer_t *h = kn_signer_new("hmac-sha256", "key", 3);
        kn_signer_digest(h, &old_body, 1, old_sig);
        tap_ok(kn_signer_remember(h, old_sig, 64, now - 100) == 0,
               "a message within the clock skew is accepted");
        for (int i = 0; i < 5000; i++) {
            char body[32];
            int n = snprintf(body, sizeof body, "{\"m\":%d}", i);
            kn_part_t b = {body, (size_t)n};
            kn_signer_digest(h, &b, 1, sig);
            kn_signer_remember(h, sig, 64, now + 1000);
        }
        tap_ok(kn_signer_remember(h, old_sig, 64, now - 100) != 0,
               "a forgotten message is refused by its date");
        kn_part_t late = {"{\"late\":1}", 10};
        kn_signer_digest(h, &late, 1, sig);
        tap_ok(kn_signer_remember(h, sig, 64, now + 1001) == 0,
               "a newer message is accepted");
        kn_signer_destroy(&h);
    }
    kn_signer_t *clone = kn_signer_clone(s);
    char csig[KN_DIGEST_HEX + 1];
    kn_signer_digest(clone, &p, 1, csig);
    tap_ok(strcmp(csig, good) == 0, "a clone signs with the same key");
    kn_part_t fresh = {"{\"fresh\":1}", 11};
    kn_signer_digest(s, &fresh, 1, sig);
    tap_ok(kn_signer_remember(s, sig, 64, 0) == 0 &&
           kn_signer_remember(clone, sig, 64, 0) != 0,
           "a clone shares the replay history");
    kn_signer_destroy(&s);
    tap_ok(kn_signer_verify(clone, &p, 1, good, 64) == 0,
           "the clone outlives the original");
    kn_signer_destroy(&clone);

    kn_signer_t *off = kn_signer_new("hmac-sha256", "", 0);
    char empty[KN_DIGEST_HEX + 1];
    kn_signer_digest(off, &p, 1, empty);
    tap_ok(!kn_signer_enabled(off) && empty[0] == '\0',
           "empty key: signing off, empty signature");
    tap_ok(kn_signer_verify(off, &p, 1, "", 0) == 0,
           "empty key: anything verifies");
    kn_signer_destroy(&off);
    return tap_done();
}
