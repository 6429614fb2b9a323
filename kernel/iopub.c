/*
 * This file does all iopub publishing. The iopub thread relays messages
 * from an inproc PULL socket to the PUB socket the front ends subscribe
 * to; publishers (one per thread) sign and push whole messages into it, so
 * no ZeroMQ socket is shared between threads. A message of one empty frame
 * tells the relay to forward what is still queued and stop.
 *
 * Stream text is batched, as ipykernel's OutStream does: a publisher
 * pushes raw chunks (one frame: marker, stream name, parent header,
 * bytes), and the relay joins consecutive chunks of the same stream and
 * parent into one stream message, which it signs and publishes when a
 * chunk of another stream or parent arrives, when any other message
 * passes (so output keeps its order with displays, results, errors and
 * status), when the text reaches STREAM_MAX_BYTES, or STREAM_DELAY_MS
 * after its first byte (so a print before a long query shows while the
 * query runs). A loop that prints ten thousand lines sends a handful of
 * messages, not ten thousand. Bytes are joined before the UTF-8 repair,
 * so a character split across two writes survives.
 */
#include "iopub.h"
#include "log.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define RELAY_ENDPOINT "inproc://tabula-iopub"
/* First frame of a stream chunk; a real message starts with its topic,
 * "kernel.<session>.<msg_type>", and the stop message is one empty frame. */
#define CHUNK_MARKER "\001stream"
/* A message of this one frame makes the relay publish its pending text. */
#define FLUSH_MARKER "\001flush"
#define STREAM_DELAY_MS 50
#define STREAM_MAX_BYTES (256 * 1024)

/* Stream text waiting in the relay: one stream name and parent. */
typedef struct pending {
    char name[8];                /* "stdout" or "stderr"; "" when empty */
    char *parent;                /* the parent header's bytes */
    size_t parent_len;
    char *text;
    size_t len, cap;
    long long deadline_ms;       /* when it must go out */
} pending_t;

struct kn_iopub {
    void *pub;
    void *pull;
    kn_signer_t *signer;         /* owned; signs the batched streams */
    pending_t pending;
};

struct kn_publisher {
    void *push;
    kn_signer_t *signer;   /* borrowed from the owning thread */
};

/* A message that could not be sent. While the kernel shuts down the
 * context is terminated (ETERM) and the last status is lost by design:
 * that is a debug line, not a warning a front end would show. */
static void publish_failed(const char *what)
{
    if (errno == ETERM)
        kn_debug("iopub: %s not published: shutting down", what);
    else
        kn_warn("iopub: cannot publish %s: %s", what, zmq_strerror(errno));
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Publishes the pending text as one stream message and empties it. */
static void flush_pending(kn_iopub_t *io)
{
    pending_t *p = &io->pending;
    if (!p->name[0])
        return;
    char topic[128];
    int n = snprintf(topic, sizeof topic, "kernel.%s.stream",
                     kn_message_session());
    kn_part_t ident = {topic, n < 0 ? 0 : (size_t)n};
    kn_msg_t parent = {.header_raw = {p->parent, p->parent_len}};
    json_t *content = json_pack("{ssso}", "name", p->name, "text",
                                kn_json_text(p->text, p->len));
    if (kn_msg_send(io->pub, io->signer, &ident, 1, "stream", &parent,
                    content, NULL) != 0)
        publish_failed("stream");
    p->name[0] = '\0';
    p->len = 0;
    if (p->cap > 64 * 1024) {    /* a burst's buffer is not kept for good */
        free(p->text);
        p->text = NULL;
        p->cap = 0;
    }
    free(p->parent);
    p->parent = NULL;
    p->parent_len = 0;
}

/* Adds one chunk (one frame: CHUNK_MARKER, the stream name's length as
 * one byte, the name, the parent header's length as four bytes in host
 * order, the header, then the text), flushing first when it belongs to
 * another stream or parent. A malformed chunk is dropped. */
static void add_chunk(kn_iopub_t *io, const char *data, size_t size)
{
    pending_t *p = &io->pending;
    size_t at = sizeof CHUNK_MARKER - 1;
    if (size < at + 1)
        return;
    size_t name_len = (unsigned char)data[at++];
    if (name_len == 0 || name_len >= sizeof p->name || size < at + name_len + 4)
        return;
    const char *name = data + at;
    at += name_len;
    uint32_t parent_len;
    memcpy(&parent_len, data + at, 4);
    at += 4;
    if (size - at < parent_len)
        return;
    const char *parent = data + at;
    at += parent_len;
    const char *text = data + at;
    size_t len = size - at;
    if (p->name[0] && (strlen(p->name) != name_len ||
                       memcmp(p->name, name, name_len) != 0 ||
                       p->parent_len != parent_len ||
                       memcmp(p->parent, parent, parent_len) != 0))
        flush_pending(io);
    if (!p->name[0]) {
        memcpy(p->name, name, name_len);
        p->name[name_len] = '\0';
        p->parent = kn_xmalloc(parent_len ? parent_len : 1);
        memcpy(p->parent, parent, parent_len);
        p->parent_len = parent_len;
        p->deadline_ms = now_ms() + STREAM_DELAY_MS;
    }
    if (p->len + len > p->cap) {
        p->cap = (p->len + len) * 2;
        p->text = kn_xrealloc(p->text, p->cap);
    }
    memcpy(p->text + p->len, text, len);
    p->len += len;
    if (p->len >= STREAM_MAX_BYTES)
        flush_pending(io);
}

/* True when the frame starts with (or, `whole`, is) the marker. */
static bool is_marker(zmq_msg_t *m, const char *marker, size_t len, bool whole)
{
    size_t size = zmq_msg_size(m);
    return (whole ? size == len : size >= len) &&
           memcmp(zmq_msg_data(m), marker, len) == 0;
}

/* See iopub.h. */
kn_iopub_t *kn_iopub_new(void *ctx, void *pub, kn_signer_t *signer)
{
    assert(ctx && pub);
    kn_iopub_t *io = kn_xcalloc(1, sizeof *io);
    io->signer = signer;
    io->pub = pub;
    io->pull = kn_wire_socket(ctx, ZMQ_PULL);
    if (!io->pull) {
        kn_error("iopub: cannot create sockets: %s", zmq_strerror(errno));
        kn_iopub_destroy(&io);
        return NULL;
    }
    int hwm = 0;        /* never drop output on the floor inside the kernel */
    zmq_setsockopt(io->pull, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(io->pull, RELAY_ENDPOINT) != 0) {
        kn_error("iopub: cannot bind the relay: %s", zmq_strerror(errno));
        kn_iopub_destroy(&io);
        return NULL;
    }
    return io;
}

/* Receives one multipart message from pull. A stream chunk is batched
 * and a flush request publishes the batch; a real message goes to pub
 * after the pending text. Returns 1 for the stop message, 0 after handling
 * one, -1 on error (EAGAIN with ZMQ_DONTWAIT). */
static int relay_one(kn_iopub_t *io, int flags)
{
    bool first = true;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, io->pull, first ? flags : 0) < 0) {
            zmq_msg_close(&m);
            if (errno == EINTR && !first)
                continue;
            return -1;
        }
        int more = zmq_msg_more(&m);
        if (first && !more) {
            int done = -1;            /* this frame is not forwarded when >= 0 */
            if (zmq_msg_size(&m) == 0) {
                done = 1;
            } else if (is_marker(&m, CHUNK_MARKER, sizeof CHUNK_MARKER - 1,
                                 false)) {
                add_chunk(io, zmq_msg_data(&m), zmq_msg_size(&m));
                done = 0;
            } else if (is_marker(&m, FLUSH_MARKER, sizeof FLUSH_MARKER - 1,
                                 true)) {
                flush_pending(io);
                done = 0;
            }
            if (done >= 0) {
                zmq_msg_close(&m);
                return done;
            }
        }
        if (first)
            flush_pending(io);
        first = false;
        if (zmq_msg_send(&m, io->pub, more ? ZMQ_SNDMORE : 0) < 0)
            zmq_msg_close(&m);
        if (!more)
            return 0;
    }
}

/* The relay loop; see iopub.h. Waits for the next message, or until the
 * pending stream text is due. */
void *kn_iopub_thread(void *arg)
{
    kn_iopub_t *io = arg;
    assert(io && io->pub && io->pull);
    for (;;) {
        long timeout = -1;
        if (io->pending.name[0]) {
            long long left = io->pending.deadline_ms - now_ms();
            timeout = left > 0 ? (long)left : 0;
        }
        zmq_pollitem_t item = {io->pull, 0, ZMQ_POLLIN, 0};
        int ready = zmq_poll(&item, 1, timeout);
        if (ready < 0 && errno != EINTR)
            break;            /* ETERM: the context is going away */
        if (ready <= 0) {
            if (io->pending.name[0] && now_ms() >= io->pending.deadline_ms)
                flush_pending(io);
            continue;
        }
        int rc = relay_one(io, ZMQ_DONTWAIT);
        if (rc == 1)
            break;
        if (rc < 0 && errno != EINTR && errno != EAGAIN)
            break;
    }
    /* forward whatever other publishers queued before the stop */
    while (relay_one(io, ZMQ_DONTWAIT) >= 0)
        ;
    flush_pending(io);
    zmq_close(io->pull);
    zmq_close(io->pub);
    io->pull = io->pub = NULL;
    return NULL;
}

/* Closes whatever sockets the thread did not, frees, NULLs the pointer. */
void kn_iopub_destroy(kn_iopub_t **iopub)
{
    kn_iopub_t *io = *iopub;
    if (!io)
        return;
    if (io->pull)
        zmq_close(io->pull);
    if (io->pub)
        zmq_close(io->pub);
    free(io->pending.parent);
    free(io->pending.text);
    kn_signer_destroy(&io->signer);
    free(io);
    *iopub = NULL;
}

/* See iopub.h. The relay is bound before any publisher connects. */
kn_publisher_t *kn_publisher_new(void *ctx, kn_signer_t *signer)
{
    kn_publisher_t *p = kn_xcalloc(1, sizeof *p);
    p->push = kn_wire_socket(ctx, ZMQ_PUSH);
    p->signer = signer;
    int hwm = 0;
    zmq_setsockopt(p->push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_connect(p->push, RELAY_ENDPOINT) != 0)
        kn_error("iopub: cannot connect to the relay: %s",
                 zmq_strerror(errno));
    return p;
}

/* Closes the PUSH socket (on its own thread) and NULLs the pointer. */
void kn_publisher_destroy(kn_publisher_t **pub)
{
    if (!*pub)
        return;
    zmq_close((*pub)->push);
    free(*pub);
    *pub = NULL;
}

/* Signs and pushes; the topic is kernel.<session>.<msg_type>, as
 * ipykernel names it. */
void kn_publish(kn_publisher_t *pub, const char *msg_type,
                const kn_msg_t *parent, json_t *content)
{
    char topic[128];
    int n = snprintf(topic, sizeof topic, "kernel.%s.%s",
                     kn_message_session(), msg_type);
    kn_part_t ident = {topic, n < 0 ? 0 : (size_t)n};
    if (kn_msg_send(pub->push, pub->signer, &ident, 1, msg_type, parent,
                    content, NULL) != 0)
        publish_failed(msg_type);
}

/* status with execution_state `state`; see iopub.h. */
void kn_publish_status(kn_publisher_t *pub, const kn_msg_t *parent,
                       const char *state)
{
    kn_publish(pub, "status", parent,
               json_pack("{ss}", "execution_state", state));
}

/* A raw chunk for the relay to batch, in one frame (see add_chunk); the
 * relay repairs the text to UTF-8 when it publishes. */
void kn_publish_stream(kn_publisher_t *pub, const kn_msg_t *parent,
                       const char *name, const char *text, size_t len)
{
    const char *header = parent && parent->header_raw.len
                         ? parent->header_raw.data : "{}";
    uint32_t header_len = parent && parent->header_raw.len
                          ? (uint32_t)parent->header_raw.len : 2;
    size_t name_len = strlen(name);
    size_t marker = sizeof CHUNK_MARKER - 1;
    size_t size = marker + 1 + name_len + 4 + header_len + len;
    zmq_msg_t m;
    if (name_len == 0 || name_len > 255 || zmq_msg_init_size(&m, size) != 0) {
        kn_warn("iopub: cannot publish stream %s", name);
        return;
    }
    char *d = zmq_msg_data(&m);
    memcpy(d, CHUNK_MARKER, marker);
    d += marker;
    *d++ = (char)name_len;
    memcpy(d, name, name_len);
    d += name_len;
    memcpy(d, &header_len, 4);
    d += 4;
    memcpy(d, header, header_len);
    d += header_len;
    if (len)
        memcpy(d, text, len);
    if (zmq_msg_send(&m, pub->push, 0) < 0) {
        zmq_msg_close(&m);
        publish_failed("stream");
    }
}

/* One FLUSH_MARKER frame: the relay publishes its pending text now. */
void kn_publish_flush(kn_publisher_t *pub)
{
    if (zmq_send(pub->push, FLUSH_MARKER, sizeof FLUSH_MARKER - 1, 0) < 0)
        kn_warn("iopub: cannot flush: %s", zmq_strerror(errno));
}

/* Sends the one-empty-frame stop message the relay waits for. */
void kn_publisher_stop(kn_publisher_t *pub)
{
    zmq_send(pub->push, "", 0, 0);
}
