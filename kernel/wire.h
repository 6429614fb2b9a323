/*
 * This file declares the wire format of a Jupyter message on ZeroMQ:
 *
 *   [identity ...] "<IDS|MSG>" signature header parent_header metadata
 *   content [buffer ...]
 *
 * kn_wire_split finds the parts in received frames without copying;
 * kn_frames_recv receives every frame of one multipart message;
 * kn_wire_send writes one. kn_wire_socket and kn_wire_bind make the
 * kernel's sockets, with its options, and bind a channel of the
 * connection file.
 */
#ifndef KN_WIRE_H
#define KN_WIRE_H

#include "connection.h"
#include "sign.h"

#include <stddef.h>
#include <zmq.h>

#define KN_DELIMITER "<IDS|MSG>"

enum { KN_HEADER, KN_PARENT, KN_METADATA, KN_CONTENT, KN_JSON_PARTS };

/* The parts of one message; every pointer borrows from the frames. */
typedef struct kn_wire_msg {
    const kn_part_t *idents;
    size_t n_idents;
    kn_part_t signature;
    kn_part_t json[KN_JSON_PARTS];
    const kn_part_t *buffers;
    size_t n_buffers;
} kn_wire_msg_t;

/* Splits frames[0..n) at the delimiter. Returns 0, or -1 with *error set
 * to a static message when there is no delimiter or too few parts. */
int kn_wire_split(const kn_part_t *frames, size_t n, kn_wire_msg_t *out,
                  const char **error);

/* The frames of one received multipart message, reused between calls. */
typedef struct kn_frames {
    zmq_msg_t *msgs;
    kn_part_t *parts;
    size_t count, cap;
    size_t total;          /* bytes received */
    bool truncated;        /* more than max_frames or max_bytes: dropped */
} kn_frames_t;

/* Receives one whole multipart message from `socket` (flags: 0 or
 * ZMQ_DONTWAIT). Frames past `max_frames` or past `max_bytes` in total
 * are discarded and `truncated` is set. Returns 0, or -1 with errno from
 * ZeroMQ (EAGAIN, ETERM, EINTR). */
int kn_frames_recv(void *socket, kn_frames_t *frames, int flags,
                   size_t max_frames, size_t max_bytes);
/* Closes the frames but keeps the arrays for the next message. */
void kn_frames_reset(kn_frames_t *frames);
/* Frees everything. */
void kn_frames_free(kn_frames_t *frames);

/* Signs json[0..3] with `signer` and sends idents, delimiter, signature and
 * the four parts. Returns 0 or -1 (errno from ZeroMQ). */
int kn_wire_send(void *socket, kn_signer_t *signer, const kn_part_t *idents,
                 size_t n_idents, const kn_part_t json[KN_JSON_PARTS]);

/* Creates a socket of `type` in `ctx` with the options every kernel
 * socket has (a bounded ZMQ_LINGER). Returns a socket the caller closes,
 * or NULL with errno from ZeroMQ. */
void *kn_wire_socket(void *ctx, int type);
/* Creates a socket of `type` bound to `channel`'s endpoint in `conn` (the
 * only addresses the kernel binds); a ROUTER also takes a reconnecting
 * client's route over (ZMQ_ROUTER_HANDOVER). Returns a socket the caller
 * closes, or NULL after logging why. */
void *kn_wire_bind(void *ctx, int type, const kn_connection_t *conn,
                   kn_channel_t channel);

#endif
