/*
 * This file starts and stops the kernel process: it opens the session
 * (on a helper thread, while it binds), binds the five sockets named in
 * the connection file through kn_wire_bind (and nothing else) and the
 * inproc wake pipe, starts the iopub, heartbeat and control threads,
 * installs the SIGINT handler, and at shutdown flushes iopub, ends the
 * threads through zmq_ctx_shutdown and closes everything with a bounded
 * linger.
 */
#include "kernel.h"
#include "control.h"
#include "execute.h"
#include "heartbeat.h"
#include "log.h"
#include "util.h"
#include "tabula.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define WAKE_ENDPOINT "inproc://tabula-wake"

static kn_kernel_t *signal_kernel;   /* for the SIGINT handler */

static void on_sigint(int sig)
{
    (void)sig;
    if (signal_kernel)
        kn_execute_interrupt(signal_kernel);
}

/* True for ipc and for the loopback addresses, where an empty key is
 * tolerated (with a warning) as the protocol allows. */
static bool is_local(const kn_connection_t *c)
{
    return strcmp(c->transport, "ipc") == 0 ||
           strncmp(c->ip, "127.", 4) == 0 || strcmp(c->ip, "localhost") == 0 ||
           strcmp(c->ip, "::1") == 0;
}

/* The session and the history database, opened on a helper thread while
 * the main thread sets up ZeroMQ (context, I/O thread, five binds): each
 * takes about a millisecond, so start-up pays for one. Neither keeps any
 * tie to the thread that made it. */
typedef struct opener {
    tq_options_t options;
    tq_session_t *session;
    char *error;              /* malloc'd, when session is NULL */
    kn_history_t *history;
} opener_t;

static void *open_session(void *arg)
{
    opener_t *op = arg;
    op->session = tq_session_new(&op->options, &op->error);
    if (op->session)
        op->history = kn_history_new();
    return NULL;
}

/* See kernel.h. */
int kn_kernel_start(kn_kernel_t *k, const kn_options_t *o)
{
    assert(k && o && o->connection_file);
    memset(k, 0, sizeof *k);
    const char *error = NULL;
    if (kn_connection_load(o->connection_file, &k->conn, &error) != 0) {
        kn_error("%s: %s", o->connection_file, error);
        return -1;
    }
    if (k->conn.key_len == 0) {
        if (!is_local(&k->conn)) {
            kn_error("refusing to listen on %s with an empty key: anyone "
                     "who can reach the ports could run code; put a key in "
                     "the connection file", k->conn.ip);
            kn_connection_clear(&k->conn);
            return -1;
        }
        kn_warn("the connection file has an empty key: messages are not "
                "signed and anyone who can reach the ports can run code");
    }
    k->signer = kn_signer_new(k->conn.signature_scheme, k->conn.key,
                              k->conn.key_len);
    k->control_signer = k->signer ? kn_signer_clone(k->signer) : NULL;
    if (!k->signer || !k->control_signer) {
        kn_error("cannot set up %s signing", k->conn.signature_scheme);
        goto fail;
    }
    opener_t op = {.options = {
        .database = o->database ? o->database : ":memory:",
        .readonly = o->readonly,
        .create = !o->readonly,
        .history = NULL,
    }};
    pthread_t opener_thread;
    bool opening = pthread_create(&opener_thread, NULL, open_session, &op) == 0;
    if (!opening)
        open_session(&op);
    kn_message_init();
    k->ctx = zmq_ctx_new();
    void *pub = kn_wire_bind(k->ctx, ZMQ_PUB, &k->conn, KN_CHANNEL_IOPUB);
    if (pub)
        k->iopub_relay = kn_iopub_new(k->ctx, pub, kn_signer_clone(k->signer));
    k->shell = kn_wire_bind(k->ctx, ZMQ_ROUTER, &k->conn, KN_CHANNEL_SHELL);
    k->stdin_socket = kn_wire_bind(k->ctx, ZMQ_ROUTER, &k->conn,
                                   KN_CHANNEL_STDIN);
    k->control = kn_wire_bind(k->ctx, ZMQ_ROUTER, &k->conn,
                              KN_CHANNEL_CONTROL);
    k->hb = kn_wire_bind(k->ctx, ZMQ_ROUTER, &k->conn, KN_CHANNEL_HB);
    if (opening)
        pthread_join(opener_thread, NULL);
    k->session = op.session;
    k->history = op.history;
    if (!k->session) {
        char *shown = tq_mask_secrets(op.options.database);
        kn_error("cannot open %s: %s", shown,
                 op.error ? op.error : "unknown error");
        free(shown);
        free(op.error);
        goto fail;
    }
    if (!k->iopub_relay || !k->shell || !k->stdin_socket || !k->control ||
        !k->hb)
        goto fail;
    k->wake = kn_wire_socket(k->ctx, ZMQ_PAIR);
    k->control_wake = kn_wire_socket(k->ctx, ZMQ_PAIR);
    if (zmq_bind(k->wake, WAKE_ENDPOINT) != 0 ||
        zmq_connect(k->control_wake, WAKE_ENDPOINT) != 0) {
        kn_error("cannot set up the wake pipe: %s", zmq_strerror(errno));
        goto fail;
    }
    k->iopub = kn_publisher_new(k->ctx, k->signer);
    k->control_iopub = kn_publisher_new(k->ctx, k->control_signer);

    signal_kernel = k;
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    pthread_create(&k->iopub_thread, NULL, kn_iopub_thread, k->iopub_relay);
    pthread_create(&k->hb_thread, NULL, kn_heartbeat_thread, k->hb);
    pthread_create(&k->control_thread, NULL, kn_control_thread, k);
    kn_publish_status(k->iopub, NULL, "starting");
    char *shown = tq_mask_secrets(op.options.database);
    kn_info("ready: %s, session %s", shown, kn_message_session());
    free(shown);
    return 0;
fail:
    /* no thread runs yet: close what was made */
    kn_publisher_destroy(&k->iopub);
    kn_publisher_destroy(&k->control_iopub);
    void *sockets[] = {k->shell, k->stdin_socket, k->control, k->hb,
                       k->wake, k->control_wake};
    for (size_t i = 0; i < sizeof sockets / sizeof *sockets; i++)
        if (sockets[i])
            zmq_close(sockets[i]);
    kn_iopub_destroy(&k->iopub_relay);
    if (k->ctx)
        zmq_ctx_term(k->ctx);
    tq_session_destroy(&k->session);
    kn_history_destroy(&k->history);
    kn_signer_destroy(&k->signer);
    kn_signer_destroy(&k->control_signer);
    kn_connection_clear(&k->conn);
    return -1;
}

/* See kernel.h. iopub first (so the last status and shutdown_reply go
 * out), then the context shutdown ends control and heartbeat. */
void kn_kernel_stop(kn_kernel_t *k)
{
    assert(k && k->ctx && k->iopub && signal_kernel == k);
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGINT, &sa, NULL);
    kn_publisher_stop(k->iopub);
    pthread_join(k->iopub_thread, NULL);
    zmq_ctx_shutdown(k->ctx);
    pthread_join(k->control_thread, NULL);
    pthread_join(k->hb_thread, NULL);
    kn_publisher_destroy(&k->iopub);
    zmq_close(k->shell);
    zmq_close(k->stdin_socket);
    zmq_close(k->wake);
    kn_frames_free(&k->frames);
    zmq_ctx_term(k->ctx);
    kn_iopub_destroy(&k->iopub_relay);
    signal_kernel = NULL;
    tq_session_destroy(&k->session);
    kn_history_destroy(&k->history);
    kn_signer_destroy(&k->signer);
    kn_signer_destroy(&k->control_signer);
    kn_connection_clear(&k->conn);
}
