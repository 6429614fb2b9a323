/*
 * This file serves the shell socket on the main thread: it receives one
 * request at a time, drops (and logs) anything that fails decoding, and
 * otherwise publishes status busy, runs the handler for the msg_type and
 * publishes status idle, all with the request as parent header. Every
 * reply on the shell socket goes out from here, execute_reply included
 * (execute.c returns its content). After a failed cell with stop_on_error
 * it drains the requests already queued, answering execute_requests among
 * them with status "aborted".
 */
#include "shell.h"
#include "execute.h"
#include "kernel_info.h"
#include "log.h"
#include "mime.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PARENT_POLL_MS 1000

/* The shell requests the kernel answers, one handler each. */
#define SHELL_HANDLERS(X)   \
    X(kernel_info_request)  \
    X(execute_request)      \
    X(complete_request)     \
    X(inspect_request)      \
    X(is_complete_request)  \
    X(history_request)      \
    X(comm_info_request)    \
    X(comm_open)            \
    X(comm_msg)             \
    X(comm_close)           \
    X(shutdown_request)

/* A handler returns true when the queued execute_requests must abort. */
typedef bool handler_fn(kn_kernel_t *k, const kn_msg_t *msg);

#define X(name) static handler_fn on_##name;
SHELL_HANDLERS(X)
#undef X

static const struct {
    const char *msg_type;
    handler_fn *fn;
} handlers[] = {
#define X(name) {#name, on_##name},
    SHELL_HANDLERS(X)
#undef X
};

static void collect_pending(kn_kernel_t *k);

/* Sends a reply of `type` on the shell socket to msg's sender, with
 * `metadata` (NULL for {}). Steals content and metadata. */
static void reply_with(kn_kernel_t *k, const kn_msg_t *msg, const char *type,
                       json_t *content, json_t *metadata)
{
    if (kn_msg_send(k->shell, k->signer, msg->idents, msg->n_idents, type,
                    msg, content, metadata) != 0)
        kn_warn("shell: cannot send %s: %s", type, zmq_strerror(errno));
}

/* Sends a reply of `type` with empty metadata; steals content. */
static void reply(kn_kernel_t *k, const kn_msg_t *msg, const char *type,
                  json_t *content)
{
    reply_with(k, msg, type, content, NULL);
}

/* Sends execute_reply; its metadata repeats the content's status, as
 * ipykernel's does. Steals content. */
static void reply_execute(kn_kernel_t *k, const kn_msg_t *msg,
                          json_t *content)
{
    const char *status = json_string_value(json_object_get(content,
                                                           "status"));
    assert(status);
    reply_with(k, msg, "execute_reply", content,
               json_pack("{ss}", "status", status));
}

static bool on_kernel_info_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    reply(k, msg, "kernel_info_reply", kn_kernel_info_content());
    return false;
}

/* A failed cell's queued requests are collected before its reply goes
 * out (see collect_pending), and answered after it. */
static bool on_execute_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    bool abort_queue = false;
    json_t *content = kn_execute(k, msg, &abort_queue);
    if (abort_queue)
        collect_pending(k);
    reply_execute(k, msg, content);
    return abort_queue;
}

/* cursor_pos defaults to the end of the code, in code points. */
static size_t cursor_of(const kn_msg_t *msg, const char *code)
{
    long long pos = kn_msg_int(msg, "cursor_pos", -1);
    if (pos >= 0)
        return (size_t)pos;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)code; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

static bool on_complete_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    const char *code = kn_msg_string(msg, "code", "");
    size_t cursor = cursor_of(msg, code);
    tq_completion_t c = {0};
    tq_session_complete(k->session, code, cursor, &c);
    json_t *matches = json_array(), *types = json_array();
    for (size_t i = 0; i < c.count; i++) {
        json_t *text = kn_json_text(c.matches[i], strlen(c.matches[i]));
        const char *type = c.types && c.types[i] ? c.types[i] : "";
        json_array_append(matches, text);
        json_array_append_new(types, json_pack("{sIsIsoss}",
            "start", (json_int_t)c.cursor_start,
            "end", (json_int_t)c.cursor_end, "text", text, "type", type));
    }
    reply(k, msg, "complete_reply", json_pack("{sssosIsIs{so}}",
        "status", "ok", "matches", matches,
        "cursor_start", (json_int_t)(c.count ? c.cursor_start : cursor),
        "cursor_end", (json_int_t)(c.count ? c.cursor_end : cursor),
        "metadata", "_jupyter_types_experimental", types));
    tq_completion_clear(&c);
    return false;
}

static bool on_inspect_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    const char *code = kn_msg_string(msg, "code", "");
    tq_bundle_t bundle = {0};
    bool found = tq_session_inspect(k->session, code, cursor_of(msg, code),
                                    (int)kn_msg_int(msg, "detail_level", 0),
                                    &bundle);
    reply(k, msg, "inspect_reply", json_pack("{sssbsos{}}", "status", "ok",
        "found", found, "data", found ? kn_bundle_json(&bundle)
                                      : json_object(), "metadata"));
    tq_bundle_clear(&bundle);
    return false;
}

static bool on_is_complete_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    static const char *const names[] = {
        [TQ_COMPLETE] = "complete", [TQ_INCOMPLETE] = "incomplete",
        [TQ_INVALID] = "invalid", [TQ_UNKNOWN] = "unknown",
    };
    char *indent = NULL;
    tq_completeness_t c = tq_is_complete(kn_msg_string(msg, "code", ""),
                                         &indent);
    if ((unsigned)c > TQ_UNKNOWN)
        c = TQ_UNKNOWN;
    json_t *content = json_pack("{ss}", "status", names[c]);
    if (c == TQ_INCOMPLETE)
        json_object_set_new(content, "indent",
                            json_string(indent ? indent : ""));
    free(indent);
    reply(k, msg, "is_complete_reply", content);
    return false;
}

static bool on_history_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    reply(k, msg, "history_reply", json_pack("{ssso}", "status", "ok",
          "history", kn_history_query(k->history, msg->content)));
    return false;
}

static bool on_comm_info_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    reply(k, msg, "comm_info_reply", json_pack("{sss{}}", "status", "ok",
                                               "comms"));
    return false;
}

/* No comm targets exist: close the comm at once, as ipykernel does for
 * an unknown target. */
static bool on_comm_open(kn_kernel_t *k, const kn_msg_t *msg)
{
    const char *id = kn_msg_string(msg, "comm_id", NULL);
    const char *target = kn_msg_string(msg, "target_name", "");
    kn_info("shell: no comm target %s; closing comm %s", target,
            id ? id : "(none)");
    if (id)
        kn_publish(k->iopub, "comm_close", msg,
                   json_pack("{sss{}}", "comm_id", id, "data"));
    return false;
}

static bool on_comm_msg(kn_kernel_t *k, const kn_msg_t *msg)
{
    kn_info("shell: comm_msg for unknown comm %s ignored",
            kn_msg_string(msg, "comm_id", "(none)"));
    return false;
}

static bool on_comm_close(kn_kernel_t *k, const kn_msg_t *msg)
{
    kn_info("shell: comm_close for unknown comm %s ignored",
            kn_msg_string(msg, "comm_id", "(none)"));
    return false;
}

/* Old clients send shutdown_request on shell; answer it like control. */
static bool on_shutdown_request(kn_kernel_t *k, const kn_msg_t *msg)
{
    bool restart = kn_msg_bool(msg, "restart", false);
    json_t *content = json_pack("{sssb}", "status", "ok", "restart", restart);
    kn_publish(k->iopub, "shutdown_reply", msg, json_deep_copy(content));
    reply(k, msg, "shutdown_reply", content);
    atomic_store(&k->stopping, true);
    return false;
}

/* Answers a signed request whose content could not be read: status busy,
 * an error reply (requests only), status idle; then clears it. */
static void answer_bad_content(kn_kernel_t *k, kn_msg_t *msg)
{
    char type[96];
    kn_publish_status(k->iopub, msg, "busy");
    json_t *content = kn_msg_bad_content_reply(msg, type, sizeof type);
    if (content)
        reply(k, msg, type, content);
    kn_publish_status(k->iopub, msg, "idle");
    kn_msg_clear(msg);
}

/* Receives and decodes one message into *msg. Returns 1 for a message,
 * 0 when one was dropped (and logged), -1 when none was waiting. */
static int receive(kn_kernel_t *k, kn_msg_t *msg)
{
    if (kn_frames_recv(k->shell, &k->frames, ZMQ_DONTWAIT, KN_MAX_FRAMES,
                       KN_MAX_BYTES) != 0)
        return errno == EINTR ? 0 : -1;
    const char *detail;
    kn_decode_error_t err = kn_msg_decode(k->signer, &k->frames, msg,
                                          &detail);
    if (err == KN_DECODE_CONTENT) {
        kn_warn("shell: %s request %s: %s", msg->msg_type, msg->msg_id,
                msg->bad_content);
        answer_bad_content(k, msg);
    } else if (err != KN_DECODE_OK)
        kn_warn("shell: dropped a message (%zu frames, %zu bytes): %s%s%s",
                k->frames.count, k->frames.total, kn_decode_error_text(err),
                detail ? ": " : "", detail ? detail : "");
    kn_frames_reset(&k->frames);
    return err == KN_DECODE_OK ? 1 : 0;
}

/* Handles one decoded message between status busy and idle, and frees
 * it. With `aborting`, an execute_request is answered "aborted". Returns
 * true when the requests queued behind this one must abort. */
static bool dispatch(kn_kernel_t *k, kn_msg_t *msg, bool aborting)
{
    assert(msg->msg_type);
    assert(!k->current);             /* one request at a time */
    bool abort_queue = false;
    k->current = msg;
    kn_publish_status(k->iopub, msg, "busy");
    size_t i = 0, n = sizeof handlers / sizeof *handlers;
    while (i < n && strcmp(handlers[i].msg_type, msg->msg_type) != 0)
        i++;
    if (aborting && strcmp(msg->msg_type, "execute_request") == 0)
        reply_execute(k, msg, kn_execute_abort(msg));
    else if (i < n)
        abort_queue = handlers[i].fn(k, msg);
    else
        kn_warn("shell: unknown message type %s ignored", msg->msg_type);
    kn_publish_status(k->iopub, msg, "idle");
    k->current = NULL;
    kn_msg_clear(msg);
    return abort_queue;
}

/* Takes every request already waiting on the shell socket into
 * k->pending, to be aborted once the failed cell's reply is out. Called
 * before that reply goes out, so every request collected here was sent
 * before the client could see the error: those are the requests "queued
 * behind" it. */
static void collect_pending(kn_kernel_t *k)
{
    for (;;) {
        kn_msg_t msg;
        int rc = receive(k, &msg);
        if (rc < 0)
            break;
        if (rc == 0)
            continue;
        if (k->n_pending == k->cap_pending) {
            k->cap_pending = k->cap_pending ? k->cap_pending * 2 : 8;
            k->pending = kn_xrealloc(k->pending,
                                     k->cap_pending * sizeof *k->pending);
        }
        k->pending[k->n_pending++] = msg;
    }
}

/* Answers the collected requests: execute_requests are aborted, the
 * others handled as usual. */
static void abort_pending(kn_kernel_t *k)
{
    for (size_t i = 0; i < k->n_pending; i++)
        dispatch(k, &k->pending[i], true);
    k->n_pending = 0;
}

/* The front end that started us, as jupyter_client names it in
 * $JPY_PARENT_PID; 0 when unknown. */
static pid_t parent_pid(void)
{
    const char *env = getenv("JPY_PARENT_PID");
    long pid = env ? strtol(env, NULL, 10) : 0;
    return pid > 1 && (pid_t)pid == getppid() ? (pid_t)pid : 0;
}

/* See shell.h. When the front end that started the kernel dies (our
 * parent changes), the kernel stops too, as ipykernel's parent poller
 * does, instead of lingering as an orphan. */
void kn_shell_serve(kn_kernel_t *k)
{
    pid_t parent = parent_pid();
    zmq_pollitem_t items[] = {
        {k->shell, 0, ZMQ_POLLIN, 0},
        {k->wake, 0, ZMQ_POLLIN, 0},
    };
    while (!atomic_load(&k->stopping)) {
        int rc = zmq_poll(items, 2, parent ? PARENT_POLL_MS : -1);
        if (parent && getppid() != parent) {
            kn_warn("the front end (pid %d) is gone: shutting down",
                    (int)parent);
            break;
        }
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            kn_error("shell: poll failed: %s", zmq_strerror(errno));
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            break;                      /* the control thread asks to stop */
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        kn_msg_t msg;
        if (receive(k, &msg) == 1 && dispatch(k, &msg, false))
            abort_pending(k);
    }
    for (size_t i = 0; i < k->n_pending; i++)
        kn_msg_clear(&k->pending[i]);
    free(k->pending);
    k->pending = NULL;
    k->n_pending = 0;
}
