/*
 * This file declares the kernel process: its sockets, threads and the
 * state the shell handlers share. One kn_kernel_t exists per process.
 *
 * Threads and the sockets each one owns (ZeroMQ sockets never cross):
 *   main      shell (ROUTER), stdin (ROUTER), a PUSH into iopub, wake (PAIR)
 *   control   control (ROUTER), a PUSH into iopub, a PAIR to wake main
 *   iopub     iopub (PUB) and the PULL every publisher pushes into
 *   heartbeat hb (ROUTER), echoing every message
 * Only the atomics below and tq_session_interrupt are touched from more
 * than one thread (and from the SIGINT handler).
 */
#ifndef KN_KERNEL_H
#define KN_KERNEL_H

#include "connection.h"
#include "history.h"
#include "iopub.h"
#include "kernel_info.h"
#include "message.h"
#include "sign.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <tabula.h>

/* Limits on a received message: frames and total bytes. */
#define KN_MAX_FRAMES 64
#define KN_MAX_BYTES (64u * 1024 * 1024)

typedef struct kn_options {
    const char *connection_file;
    const char *database;
    bool readonly;
} kn_options_t;

typedef struct kn_kernel {
    void *ctx;
    kn_connection_t conn;
    tq_session_t *session;

    /* main thread */
    void *shell, *stdin_socket, *wake;
    kn_signer_t *signer;
    kn_publisher_t *iopub;
    kn_frames_t frames;
    const kn_msg_t *current;     /* request being handled */
    kn_msg_t *pending;           /* requests queued behind a failed cell */
    size_t n_pending, cap_pending;
    int execution_count;
    kn_history_t *history;

    /* control thread */
    void *control, *control_wake;
    kn_signer_t *control_signer;
    kn_publisher_t *control_iopub;
    pthread_t control_thread;

    /* heartbeat and iopub threads */
    void *hb;
    kn_iopub_t *iopub_relay;
    pthread_t hb_thread, iopub_thread;

    atomic_bool interrupted;     /* set by interrupt_request and SIGINT */
    atomic_bool executing;       /* a cell is between execute_input and its end */
    atomic_bool stopping;        /* set by shutdown_request */
} kn_kernel_t;

/* Binds every socket, opens the session and starts the threads. Returns
 * 0, or -1 after logging why (the kernel is then torn down). */
int kn_kernel_start(kn_kernel_t *k, const kn_options_t *options);
/* Stops the threads, flushes and closes the sockets, closes the session. */
void kn_kernel_stop(kn_kernel_t *k);

/* shell.c: serves the shell socket until shutdown. */
void kn_shell_serve(kn_kernel_t *k);

/* execute.c: runs the cell of `msg` (k->current), publishing on k->iopub
 * everything up to execute_result or error. Returns the execute_reply
 * content (a new reference the caller sends and releases) and sets
 * *abort_queue when the cell failed and stop_on_error asks to abort the
 * execute_requests queued behind it. */
json_t *kn_execute(kn_kernel_t *k, const kn_msg_t *msg, bool *abort_queue);
/* execute.c: interrupts the running cell, if any, and makes a pending
 * input() give up. Any thread, and the SIGINT handler: it touches only
 * the atomics and tq_session_interrupt. */
void kn_execute_interrupt(kn_kernel_t *k);
/* execute.c: logs that `msg` is aborted and returns the execute_reply
 * content with status "aborted" (a new reference the caller sends). */
json_t *kn_execute_abort(const kn_msg_t *msg);

/* stdin.c: asks the front end of the current request for a line. Returns
 * a malloc'd string, or NULL when stdin is not allowed, on interrupt or
 * on shutdown. */
char *kn_stdin_input(kn_kernel_t *k, const char *prompt, bool password);

/* control.c: the control thread's body (argument: the kernel). */
void *kn_control_thread(void *kernel);
/* heartbeat.c: the heartbeat thread's body (argument: the hb socket). */
void *kn_heartbeat_thread(void *socket);

#endif
