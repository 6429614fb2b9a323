/*
 * This file declares iopub publishing. The iopub thread owns the PUB
 * socket and a PULL socket; each publishing thread (main, control) holds
 * a kn_publisher_t, a PUSH socket into that PULL, and sends signed
 * messages through it. The relay keeps each thread's order, and batches
 * stream text.
 */
#ifndef KN_IOPUB_H
#define KN_IOPUB_H

#include "message.h"

typedef struct kn_iopub kn_iopub_t;
typedef struct kn_publisher kn_publisher_t;

/* Makes the relay around `pub`, the iopub channel's PUB socket already
 * bound (kn_wire_bind), and binds its inproc PULL. Main thread, before
 * the iopub thread starts. Takes `pub` and `signer` (a clone for the
 * relay, which signs the batched stream messages): both are freed with
 * the relay, also on failure. NULL on failure (logged). */
kn_iopub_t *kn_iopub_new(void *ctx, void *pub, kn_signer_t *signer);
/* The iopub thread's body (argument: the kn_iopub_t). It returns after a
 * publisher sends kn_publisher_stop, having forwarded what was queued. */
void *kn_iopub_thread(void *iopub);
/* Frees the relay after its thread has ended; NULLs the pointer. */
void kn_iopub_destroy(kn_iopub_t **iopub);

/* Creates a publisher for the calling thread, connected to the relay
 * (which must exist). Borrows `signer`, which must outlive it. */
kn_publisher_t *kn_publisher_new(void *ctx, kn_signer_t *signer);
/* Closes the publisher's socket (on its own thread), frees it and NULLs
 * the caller's pointer; NULL is allowed. */
void kn_publisher_destroy(kn_publisher_t **pub);

/* Publishes `msg_type` with `parent` as parent header. Steals content. */
void kn_publish(kn_publisher_t *pub, const char *msg_type,
                const kn_msg_t *parent, json_t *content);
/* Publishes status busy/idle/starting. */
void kn_publish_status(kn_publisher_t *pub, const kn_msg_t *parent,
                       const char *state);
/* Queues stream text ("stdout" or "stderr") for the relay, which joins
 * consecutive writes into one stream message (see iopub.c); text need not
 * be valid UTF-8. The bytes are copied. */
void kn_publish_stream(kn_publisher_t *pub, const kn_msg_t *parent,
                       const char *name, const char *text, size_t len);
/* Has the relay publish the stream text it holds now (before input()). */
void kn_publish_flush(kn_publisher_t *pub);
/* Tells the iopub thread to finish. */
void kn_publisher_stop(kn_publisher_t *pub);

#endif
