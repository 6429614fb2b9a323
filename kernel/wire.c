/*
 * This file frames Jupyter messages: it receives multipart ZeroMQ messages
 * into reusable frames, splits them at the "<IDS|MSG>" delimiter into
 * routing identities, signature, the four JSON parts and extra buffers, and
 * sends replies in the same layout. It also makes the kernel's sockets
 * (every one with the same linger) and binds the channels of the
 * connection file. Nothing here parses JSON.
 */
#include "wire.h"
#include "log.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* How long closing a socket may wait for its unsent messages. */
#define LINGER_MS 1000

/* See wire.h. Identities are every frame before the delimiter. */
int kn_wire_split(const kn_part_t *frames, size_t n, kn_wire_msg_t *out,
                  const char **error)
{
    size_t d = 0;
    static const size_t dlen = sizeof KN_DELIMITER - 1;
    while (d < n && !(frames[d].len == dlen &&
                      memcmp(frames[d].data, KN_DELIMITER, dlen) == 0))
        d++;
    if (d == n) {
        *error = "no <IDS|MSG> delimiter";
        return -1;
    }
    if (n - d < 1 + 1 + KN_JSON_PARTS) {
        *error = "fewer than five parts after the delimiter";
        return -1;
    }
    out->idents = frames;
    out->n_idents = d;
    out->signature = frames[d + 1];
    for (int i = 0; i < KN_JSON_PARTS; i++)
        out->json[i] = frames[d + 2 + i];
    out->buffers = frames + d + 2 + KN_JSON_PARTS;
    out->n_buffers = n - (d + 2 + KN_JSON_PARTS);
    return 0;
}

/* Grows the arrays so that one more frame fits. */
static void reserve(kn_frames_t *f)
{
    if (f->count < f->cap)
        return;
    f->cap = f->cap ? f->cap * 2 : 16;
    f->msgs = kn_xrealloc(f->msgs, f->cap * sizeof *f->msgs);
    f->parts = kn_xrealloc(f->parts, f->cap * sizeof *f->parts);
}

/* Receives every frame of one message; see wire.h for the limits. */
int kn_frames_recv(void *socket, kn_frames_t *f, int flags, size_t max_frames,
                   size_t max_bytes)
{
    kn_frames_reset(f);
    int more = 1;
    while (more) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        /* only the first frame may be non-blocking: the rest are there */
        if (zmq_msg_recv(&msg, socket, f->count == 0 && !f->truncated
                                                ? flags : 0) < 0) {
            int e = errno;
            zmq_msg_close(&msg);
            if (f->count > 0 || f->truncated) {
                if (e == EINTR)     /* the rest of the message is queued */
                    continue;
            }
            kn_frames_reset(f);
            errno = e;
            return -1;
        }
        more = zmq_msg_more(&msg);
        size_t size = zmq_msg_size(&msg);
        if (f->count >= max_frames || f->total + size > max_bytes) {
            f->truncated = true;
            zmq_msg_close(&msg);
            continue;
        }
        reserve(f);
        f->msgs[f->count] = msg;
        f->total += size;
        f->count++;
    }
    for (size_t i = 0; i < f->count; i++) {
        f->parts[i].data = zmq_msg_data(&f->msgs[i]);
        f->parts[i].len = zmq_msg_size(&f->msgs[i]);
    }
    return 0;
}

/* Closes every frame; the arrays stay for reuse. */
void kn_frames_reset(kn_frames_t *f)
{
    for (size_t i = 0; i < f->count; i++)
        zmq_msg_close(&f->msgs[i]);
    f->count = 0;
    f->total = 0;
    f->truncated = false;
}

/* Closes the frames and frees the arrays; f is then empty. */
void kn_frames_free(kn_frames_t *f)
{
    kn_frames_reset(f);
    free(f->msgs);
    free(f->parts);
    memset(f, 0, sizeof *f);
}

/* Sends one frame, retrying when a signal interrupts the call. */
static int send_part(void *socket, const void *data, size_t len, int flags)
{
    while (zmq_send(socket, data, len, flags) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* See wire.h. */
int kn_wire_send(void *socket, kn_signer_t *signer, const kn_part_t *idents,
                 size_t n_idents, const kn_part_t json[KN_JSON_PARTS])
{
    char sig[KN_DIGEST_HEX + 1];
    kn_signer_digest(signer, json, KN_JSON_PARTS, sig);
    for (size_t i = 0; i < n_idents; i++)
        if (send_part(socket, idents[i].data, idents[i].len, ZMQ_SNDMORE))
            return -1;
    if (send_part(socket, KN_DELIMITER, sizeof KN_DELIMITER - 1, ZMQ_SNDMORE) ||
        send_part(socket, sig, strlen(sig), ZMQ_SNDMORE))
        return -1;
    for (int i = 0; i < KN_JSON_PARTS; i++)
        if (send_part(socket, json[i].data, json[i].len,
                      i + 1 < KN_JSON_PARTS ? ZMQ_SNDMORE : 0))
            return -1;
    return 0;
}

/* See wire.h. */
void *kn_wire_socket(void *ctx, int type)
{
    assert(ctx);
    void *s = zmq_socket(ctx, type);
    if (s) {
        int linger = LINGER_MS;
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    }
    return s;
}

/* See wire.h. */
void *kn_wire_bind(void *ctx, int type, const kn_connection_t *conn,
                   kn_channel_t channel)
{
    assert(ctx && conn);
    assert((unsigned)channel < KN_CHANNEL_COUNT);
    char endpoint[512];
    if (kn_connection_endpoint(conn, channel, endpoint, sizeof endpoint)) {
        kn_error("%s: endpoint too long", kn_channel_name(channel));
        return NULL;
    }
    void *s = kn_wire_socket(ctx, type);
    if (!s) {
        kn_error("%s: cannot create a socket: %s", kn_channel_name(channel),
                 zmq_strerror(errno));
        return NULL;
    }
    if (type == ZMQ_ROUTER) {
        /* a client reconnecting with its old identity takes the route over,
         * as ipykernel allows */
        int on = 1;
        zmq_setsockopt(s, ZMQ_ROUTER_HANDOVER, &on, sizeof on);
    }
    if (zmq_bind(s, endpoint) != 0) {
        kn_error("%s: cannot bind %s: %s", kn_channel_name(channel), endpoint,
                 zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}
