/*
 * This file declares message signing: HMAC-SHA256 over the four JSON parts
 * of a Jupyter message (header, parent_header, metadata, content), written
 * as 64 lowercase hex digits, and a bounded history of recently seen
 * signatures so that a replayed message is refused.
 *
 * A signer belongs to one thread; each other thread that sends or
 * receives gets a clone (same key, same replay history).
 */
#ifndef KN_SIGN_H
#define KN_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "hmac.h"

#define KN_DIGEST_HEX 64

typedef struct kn_signer kn_signer_t;

/* Initialises the HMAC library (hmac.h); call once, first, on the main
 * thread. */
void kn_sign_init(void);

/* Creates a signer for `key` (len bytes; empty disables signing) and the
 * scheme named in the connection file. Returns NULL for an unknown scheme. */
kn_signer_t *kn_signer_new(const char *scheme, const char *key, size_t len);
/* Frees the signer (the replay history with its last user) and NULLs the
 * caller's pointer. */
void kn_signer_destroy(kn_signer_t **signer);

/* A signer for another thread: the same prepared key and the same replay
 * history, which is thread-safe. Never NULL (kept nullable for callers
 * that check). */
kn_signer_t *kn_signer_clone(kn_signer_t *signer);

/* True when a key is set. */
bool kn_signer_enabled(const kn_signer_t *signer);

/* Writes the hex digest of `parts` (n of them) plus a NUL into out.
 * With signing off, writes the empty string. */
void kn_signer_digest(kn_signer_t *signer, const kn_part_t *parts, size_t n,
                      char out[KN_DIGEST_HEX + 1]);

/* Checks `signature` against the digest of `parts` in constant time.
 * Returns 0 when it matches, -1 otherwise. With signing off, always 0. */
int kn_signer_verify(kn_signer_t *signer, const kn_part_t *parts, size_t n,
                     const char *signature, size_t sig_len);

/* Records a verified signature with its message's header date (seconds
 * since the epoch; 0 or NaN when the header has none). Returns -1 for a
 * replay: a signature seen before, or a date that the history can no
 * longer vouch for (before the kernel started, less the allowed clock
 * skew, or no later than the newest signature it forgot); 0 otherwise.
 * The history forgets only signatures much older than the newest (see
 * sign.c), so no number of later messages outruns it. No-op with signing
 * off. */
int kn_signer_remember(kn_signer_t *signer, const char *signature,
                       size_t sig_len, double date);
/* The current time in seconds since the epoch. */
double kn_signer_now(void);

#endif
