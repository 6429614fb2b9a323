/*
 * This file does all iopub publishing. The iopub thread relays messages
 * from an inproc PULL socket to the PUB socket the front ends subscribe
 * to; publishers (one per thread) sign and push whole messages into it, so
 * no ZeroMQ socket is shared between threads. A message of one empty frame
 * tells the relay to forward what is still queued and stop.
 */
#include "iopub.h"
#include "kernel.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define RELAY_ENDPOINT "inproc://tabula-iopub"

struct kn_iopub {
    void *pub;
    void *pull;
};

struct kn_publisher {
    void *push;
    kn_signer_t *signer;   /* borrowed from the owning thread */
};

/* See iopub.h. */
kn_iopub_t *kn_iopub_new(void *ctx, const char *endpoint)
{
    kn_iopub_t *io = kn_xcalloc(1, sizeof *io);
    io->pub = zmq_socket(ctx, ZMQ_PUB);
    io->pull = zmq_socket(ctx, ZMQ_PULL);
    if (!io->pub || !io->pull) {
        kn_error("iopub: cannot create sockets: %s", zmq_strerror(errno));
        kn_iopub_destroy(&io);
        return NULL;
    }
    kn_socket_setup(io->pub);
    kn_socket_setup(io->pull);
    int hwm = 0;        /* never drop output on the floor inside the kernel */
    zmq_setsockopt(io->pull, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(io->pub, endpoint) != 0) {
        kn_error("iopub: cannot bind %s: %s", endpoint, zmq_strerror(errno));
        kn_iopub_destroy(&io);
        return NULL;
    }
    if (zmq_bind(io->pull, RELAY_ENDPOINT) != 0) {
        kn_error("iopub: cannot bind the relay: %s", zmq_strerror(errno));
        kn_iopub_destroy(&io);
        return NULL;
    }
    return io;
}

/* Forwards one multipart message from pull to pub. Returns 1 for the stop
 * message, 0 after forwarding, -1 on error (EAGAIN with ZMQ_DONTWAIT). */
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
        if (first && !more && zmq_msg_size(&m) == 0) {
            zmq_msg_close(&m);
            return 1;
        }
        first = false;
        if (zmq_msg_send(&m, io->pub, more ? ZMQ_SNDMORE : 0) < 0)
            zmq_msg_close(&m);
        if (!more)
            return 0;
    }
}

/* The relay loop; see iopub.h. */
void *kn_iopub_thread(void *arg)
{
    kn_iopub_t *io = arg;
    for (;;) {
        int rc = relay_one(io, 0);
        if (rc == 1)
            break;
        if (rc < 0 && errno != EINTR)
            break;            /* ETERM: the context is going away */
    }
    /* forward whatever other publishers queued before the stop */
    while (relay_one(io, ZMQ_DONTWAIT) >= 0)
        ;
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
    free(io);
    *iopub = NULL;
}

/* See iopub.h. The relay is bound before any publisher connects. */
kn_publisher_t *kn_publisher_new(void *ctx, kn_signer_t *signer)
{
    kn_publisher_t *p = kn_xcalloc(1, sizeof *p);
    p->push = zmq_socket(ctx, ZMQ_PUSH);
    p->signer = signer;
    kn_socket_setup(p->push);
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
        kn_warn("iopub: cannot publish %s: %s", msg_type, zmq_strerror(errno));
}

/* status with execution_state `state`; see iopub.h. */
void kn_publish_status(kn_publisher_t *pub, const kn_msg_t *parent,
                       const char *state)
{
    kn_publish(pub, "status", parent,
               json_pack("{ss}", "execution_state", state));
}

/* stream text, repaired to UTF-8 when needed; see iopub.h. */
void kn_publish_stream(kn_publisher_t *pub, const kn_msg_t *parent,
                       const char *name, const char *text, size_t len)
{
    kn_publish(pub, "stream", parent,
               json_pack("{ssso}", "name", name, "text",
                         kn_json_text(text, len)));
}

/* Sends the one-empty-frame stop message the relay waits for. */
void kn_publisher_stop(kn_publisher_t *pub)
{
    zmq_send(pub->push, "", 0, 0);
}
