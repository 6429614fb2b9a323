/*
 * This file declares kn_kernel_t, the state the kernel's threads share,
 * and no functions, so that every layer above iopub can take the kernel
 * state without calling the file that makes it. kernel.c creates and
 * frees everything in it; one kn_kernel_t exists per process.
 *
 * Threads and the sockets each one owns (ZeroMQ sockets never cross):
 *   main      shell (ROUTER), stdin (ROUTER), a PUSH into iopub, wake (PAIR)
 *   control   control (ROUTER), a PUSH into iopub, a PAIR to wake main
 *   iopub     iopub (PUB) and the PULL every publisher pushes into
 *   heartbeat hb (ROUTER), echoing every message
 * Only the atomics below and tq_session_interrupt are touched from more
 * than one thread (and from the SIGINT handler).
 */
#ifndef KN_STATE_H
#define KN_STATE_H

#include "connection.h"
#include "history.h"
#include "iopub.h"
#include "message.h"
#include "sign.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <tabula.h>

/* Limits on a received message: frames and total bytes. */
#define KN_MAX_FRAMES 64
#define KN_MAX_BYTES (64u * 1024 * 1024)

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

#endif
