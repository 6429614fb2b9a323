/*
 * This file signs and verifies Jupyter messages with HMAC-SHA256 through
 * hmac.h (libsodium or OpenSSL, chosen at build time). The key is prepared
 * once and shared, read-only, by every signer cloned from the first.
 * Signatures are compared in constant time. A ring of recent signatures
 * with an open-addressing index refuses replays, as ipykernel's digest
 * history does; unlike a history of fixed size it cannot be outrun:
 *  - each signature is kept with its message's date; a full ring forgets
 *    its oldest entry, or grows (up to MAX_HISTORY) while that entry is
 *    within KEEP_SECONDS of the newest, so a burst from clients whose
 *    clocks differ slightly is not refused;
 *  - a message dated at or before the newest forgotten entry is refused,
 *    since it might be one of those forgotten;
 *  - a message dated more than SKEW_SECONDS before the kernel started is
 *    refused: the connection file's key outlives a restart, this process's
 *    history does not.
 * A message without a readable date is dated when it arrives.
 */
#include "sign.h"
#include "util.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY 4096          /* the ring's first capacity, a power of two */
#define KEEP_SECONDS 2.0      /* entries this much younger than the newest
                                 are not dropped while the ring may grow */
#define MAX_HISTORY 65536     /* the ring grows no further than this */
#define SKEW_SECONDS 600.0    /* clock skew allowed before the kernel's start */

/* What every signer cloned from one shares (shell, stdin and control see
 * one history, as ipykernel's session does): the prepared key, read-only
 * once made, and the replay history, a ring of recent digests with an
 * open-addressing index guarded by a mutex. */
typedef struct shared {
    pthread_mutex_t lock;
    atomic_int refs;
    kn_hmac_key_t *key;
    unsigned char (*ring)[32];
    double *dates;            /* each ring entry's message date (seconds) */
    size_t cap;               /* ring capacity, a power of two */
    size_t ring_next, ring_count;
    int *slots;               /* 2 * cap: ring index + 1, 0 empty, -1 deleted */
    size_t tombs;             /* deleted slots; the index is rebuilt */
    double newest;            /* the newest date remembered */
    double horizon;           /* the newest date forgotten (0: none) */
    double start;             /* when the signer was made */
} shared_t;

struct kn_signer {
    shared_t *shared;         /* NULL when signing is off (empty key) */
};

/* Initialises the HMAC library (see hmac.h). */
void kn_sign_init(void)
{
    kn_hmac_init();
}

/* Creates a signer; the key is copied into the HMAC library's state. */
kn_signer_t *kn_signer_new(const char *scheme, const char *key, size_t len)
{
    kn_signer_t *s = kn_xcalloc(1, sizeof *s);
    if (len == 0)
        return s;
    if (scheme && *scheme && strcmp(scheme, "hmac-sha256") != 0) {
        free(s);
        return NULL;
    }
    kn_hmac_key_t *prepared = kn_hmac_key_new(key, len);
    if (!prepared) {
        free(s);
        return NULL;
    }
    s->shared = kn_xcalloc(1, sizeof *s->shared);
    s->shared->key = prepared;
    pthread_mutex_init(&s->shared->lock, NULL);
    atomic_init(&s->shared->refs, 1);
    s->shared->cap = HISTORY;
    s->shared->ring = kn_xcalloc(HISTORY, sizeof *s->shared->ring);
    s->shared->dates = kn_xcalloc(HISTORY, sizeof *s->shared->dates);
    s->shared->slots = kn_xcalloc(2 * HISTORY, sizeof *s->shared->slots);
    s->shared->start = kn_signer_now();
    return s;
}

/* See sign.h. Called on the thread that owns `signer`, before the clone
 * is handed to its own thread. */
kn_signer_t *kn_signer_clone(kn_signer_t *signer)
{
    kn_signer_t *c = kn_xcalloc(1, sizeof *c);
    if (!signer->shared)
        return c;
    c->shared = signer->shared;
    atomic_fetch_add(&c->shared->refs, 1);
    return c;
}

/* Frees the signer and NULLs the caller's pointer. */
void kn_signer_destroy(kn_signer_t **signer)
{
    kn_signer_t *s = *signer;
    if (!s)
        return;
    if (s->shared && atomic_fetch_sub(&s->shared->refs, 1) == 1) {
        kn_hmac_key_free(s->shared->key);
        pthread_mutex_destroy(&s->shared->lock);
        free(s->shared->ring);
        free(s->shared->dates);
        free(s->shared->slots);
        free(s->shared);
    }
    free(s);
    *signer = NULL;
}

/* False for an empty key. */
bool kn_signer_enabled(const kn_signer_t *signer)
{
    return signer->shared != NULL;
}

/* Computes the raw 32-byte MAC; returns 0 or -1 on a library failure. */
static int mac_raw(kn_signer_t *s, const kn_part_t *parts, size_t n,
                   unsigned char out[KN_HMAC_LEN])
{
    return kn_hmac_compute(s->shared->key, parts, n, out);
}

static void to_hex(const unsigned char raw[32], char out[KN_DIGEST_HEX + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[KN_DIGEST_HEX] = '\0';
}

/* Writes the lowercase hex digest of the parts, or "" with signing off. */
void kn_signer_digest(kn_signer_t *signer, const kn_part_t *parts, size_t n,
                      char out[KN_DIGEST_HEX + 1])
{
    unsigned char raw[32];
    if (!signer->shared || mac_raw(signer, parts, n, raw) != 0) {
        out[0] = '\0';
        return;
    }
    to_hex(raw, out);
}

/* Verifies in constant time with respect to the signature's content. */
int kn_signer_verify(kn_signer_t *signer, const kn_part_t *parts, size_t n,
                     const char *signature, size_t sig_len)
{
    if (!signer->shared)
        return 0;
    unsigned char raw[32];
    char expect[KN_DIGEST_HEX + 1];
    if (sig_len != KN_DIGEST_HEX || mac_raw(signer, parts, n, raw) != 0)
        return -1;
    to_hex(raw, expect);
    return kn_hmac_equal(expect, signature, KN_DIGEST_HEX) ? 0 : -1;
}

/* Decodes 64 hex digits (either case) into 32 bytes; -1 if not hex. */
static int from_hex(const char *hex, unsigned char out[32])
{
    for (int i = 0; i < 64; i++) {
        char c = hex[i];
        int v = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return 0;
}

static size_t slot_of(const shared_t *s, const unsigned char d[32])
{
    size_t h;
    memcpy(&h, d, sizeof h);
    return h & (2 * s->cap - 1);
}

/* Finds the slot holding digest d, or the first free slot (-1 if none). */
static long find_slot(shared_t *s, const unsigned char d[32], bool *found)
{
    long first_free = -1;
    size_t nslots = 2 * s->cap;
    size_t i = slot_of(s, d);
    for (size_t probe = 0; probe < nslots; probe++, i = (i + 1) & (nslots - 1)) {
        int v = s->slots[i];
        if (v == 0) {
            *found = false;
            return first_free >= 0 ? first_free : (long)i;
        }
        if (v < 0) {
            if (first_free < 0)
                first_free = (long)i;
        } else if (memcmp(s->ring[v - 1], d, 32) == 0) {
            *found = true;
            return (long)i;
        }
    }
    *found = false;
    return first_free;
}

/* Rebuilds the index from the ring once deleted slots pile up. */
static void rebuild(shared_t *s)
{
    memset(s->slots, 0, 2 * s->cap * sizeof *s->slots);
    s->tombs = 0;
    for (size_t k = 0; k < s->ring_count; k++) {
        size_t idx = (s->ring_next + s->cap - s->ring_count + k) % s->cap;
        bool found;
        long slot = find_slot(s, s->ring[idx], &found);
        if (slot >= 0 && !found)
            s->slots[slot] = (int)idx + 1;
    }
}

/* Doubles the ring (full, and its oldest entry still too young to forget):
 * entries keep their order from index 0, and the index is rebuilt. */
static void grow(shared_t *s)
{
    assert(s->ring_count == s->cap);
    size_t cap = s->cap * 2;
    unsigned char (*ring)[32] = kn_xcalloc(cap, sizeof *ring);
    double *dates = kn_xcalloc(cap, sizeof *dates);
    for (size_t k = 0; k < s->ring_count; k++) {
        size_t idx = (s->ring_next + k) % s->cap;   /* oldest first */
        memcpy(ring[k], s->ring[idx], 32);
        dates[k] = s->dates[idx];
    }
    free(s->ring);
    free(s->dates);
    free(s->slots);
    s->ring = ring;
    s->dates = dates;
    s->ring_next = s->ring_count;
    s->cap = cap;
    s->slots = kn_xcalloc(2 * cap, sizeof *s->slots);
    rebuild(s);
}

/* Seconds since the epoch, as a double. */
double kn_signer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* See sign.h. */
int kn_signer_remember(kn_signer_t *signer, const char *signature,
                       size_t sig_len, double date)
{
    unsigned char d[32];
    if (!signer->shared || sig_len != KN_DIGEST_HEX ||
        from_hex(signature, d) != 0)
        return 0;
    shared_t *s = signer->shared;
    if (!(date > 0))                 /* no readable date: dated on arrival */
        date = kn_signer_now();
    pthread_mutex_lock(&s->lock);
    if (date < s->start - SKEW_SECONDS ||
        (s->horizon > 0 && date <= s->horizon)) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    bool found;
    long slot = find_slot(s, d, &found);
    if (found) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    if (date > s->newest)
        s->newest = date;
    if (s->ring_count == s->cap) {
        size_t oldest = s->ring_next;   /* the next write overwrites it */
        if (s->dates[oldest] > s->newest - KEEP_SECONDS &&
            s->cap < MAX_HISTORY) {
            grow(s);
        } else {
            bool old_found;
            long old = find_slot(s, s->ring[oldest], &old_found);
            if (old_found) {
                s->slots[old] = -1;
                s->tombs++;
            }
            if (s->dates[oldest] > s->horizon)
                s->horizon = s->dates[oldest];
            s->ring_count--;
            if (s->tombs > s->cap / 2)
                rebuild(s);
        }
        slot = find_slot(s, d, &found);
    }
    assert(s->ring_count < s->cap);
    memcpy(s->ring[s->ring_next], d, 32);
    s->dates[s->ring_next] = date;
    if (slot >= 0)
        s->slots[slot] = (int)s->ring_next + 1;
    s->ring_next = (s->ring_next + 1) % s->cap;
    s->ring_count++;
    pthread_mutex_unlock(&s->lock);
    return 0;
}
