/*
 * This file is the control thread: it owns the control socket and answers
 * kernel_info_request, interrupt_request (which stops the running cell
 * through kn_execute_interrupt while the main thread is busy with it) and
 * shutdown_request (reply, then ask the main thread to end the process
 * through the wake pipe). It publishes its status messages through its
 * own iopub publisher. It touches only the control thread's part of the
 * kernel state and the atomics, and calls nothing in kernel.c or shell.c.
 */
#include "control.h"
#include "execute.h"
#include "kernel_info.h"
#include "log.h"
#include "state.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

/* The control requests the kernel answers. */
#define CONTROL_HANDLERS(X) \
    X(kernel_info_request)  \
    X(interrupt_request)    \
    X(shutdown_request)

typedef void handler_fn(kn_kernel_t *k, const kn_msg_t *msg);

#define X(name) static handler_fn on_##name;
CONTROL_HANDLERS(X)
#undef X

static const struct {
    const char *msg_type;
    handler_fn *fn;
} handlers[] = {
#define X(name) {#name, on_##name},
    CONTROL_HANDLERS(X)
#undef X
};

static void reply(kn_kernel_t *k, const kn_msg_t *msg, const char *type,
                  json_t *content)
{
    if (kn_msg_send(k->control, k->control_signer, msg->idents,
                    msg->n_idents, type, msg, content, NULL) != 0)
        kn_warn("control: cannot send %s: %s", type, zmq_strerror(errno));
}

/* Asks the main thread to stop: sets `stopping`, interrupts the running
 * cell and wakes the shell loop through the control thread's PAIR. */
static void request_stop(kn_kernel_t *k)
{
    atomic_store(&k->stopping, true);
    kn_execute_interrupt(k);
    if (k->control_wake)
        zmq_send(k->control_wake, "", 0, ZMQ_DONTWAIT);
}

static void on_kernel_info_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    reply(k, msg, "kernel_info_reply", kn_kernel_info_content());
}

static void on_interrupt_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    kn_info("control: interrupt requested");
    kn_execute_interrupt(k);
    reply(k, msg, "interrupt_reply", json_pack("{ss}", "status", "ok"));
}

/* Replies (on control and, as ipykernel does, on iopub) and then asks the
 * main thread to stop; the process exits once the sockets are flushed. */
static void on_shutdown_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    bool restart = kn_msg_bool(msg, "restart", false);
    kn_info("control: shutdown requested (restart %s)",
            restart ? "true" : "false");
    json_t *content = json_pack("{sssb}", "status", "ok", "restart", restart);
    kn_publish(k->control_iopub, "shutdown_reply", msg,
               json_deep_copy(content));
    reply(k, msg, "shutdown_reply", content);
    request_stop(k);
}

/* Handles one control message, or logs why it was dropped. */
static void handle(kn_kernel_t *k, kn_frames_t *frames)
{
    kn_msg_t msg;
    const char *detail;
    kn_decode_error_t err = kn_msg_decode(k->control_signer, frames, &msg,
                                          &detail);
    if (err == KN_DECODE_CONTENT) {
        /* Signed but unreadable: an error reply, never a guess at what
         * the request meant (a shutdown or an interrupt). */
        kn_warn("control: %s request %s: %s", msg.msg_type, msg.msg_id,
                msg.bad_content);
        char type[96];
        kn_publish_status(k->control_iopub, &msg, "busy");
        json_t *content = kn_msg_bad_content_reply(&msg, type, sizeof type);
        if (content &&
            kn_msg_send(k->control, k->control_signer, msg.idents,
                        msg.n_idents, type, &msg, content, NULL) != 0)
            kn_warn("control: cannot send %s", type);
        kn_publish_status(k->control_iopub, &msg, "idle");
        kn_msg_clear(&msg);
        return;
    }
    if (err != KN_DECODE_OK) {
        kn_warn("control: dropped a message (%zu frames, %zu bytes): %s%s%s",
                frames->count, frames->total, kn_decode_error_text(err),
                detail ? ": " : "", detail ? detail : "");
        return;
    }
    kn_publish_status(k->control_iopub, &msg, "busy");
    size_t i = 0, n = sizeof handlers / sizeof *handlers;
    while (i < n && strcmp(handlers[i].msg_type, msg.msg_type) != 0)
        i++;
    if (i < n)
        handlers[i].fn(k, &msg);
    else
        kn_warn("control: unknown message type %s ignored", msg.msg_type);
    kn_publish_status(k->control_iopub, &msg, "idle");
    kn_msg_clear(&msg);
}

/* See control.h. Runs until the context shuts down (ETERM). */
void *kn_control_thread(void *arg)
{
    kn_kernel_t *k = arg;
    assert(k && k->control && k->control_wake);
    assert(k->control_signer && k->control_iopub);
    kn_frames_t frames = {0};
    for (;;) {
        if (kn_frames_recv(k->control, &frames, 0, KN_MAX_FRAMES,
                           KN_MAX_BYTES) != 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        handle(k, &frames);
        kn_frames_reset(&frames);
    }
    kn_frames_free(&frames);
    kn_publisher_destroy(&k->control_iopub);
    zmq_close(k->control_wake);
    zmq_close(k->control);
    k->control = k->control_wake = NULL;
    return NULL;
}
