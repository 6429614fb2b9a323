/*
 * This file declares the running of execute_request (execute.c): one
 * cell at a time on the main thread, whose reply content goes back to
 * the caller (shell.c) to send, and the interrupt of the running cell
 * from any thread.
 */
#ifndef KN_EXECUTE_H
#define KN_EXECUTE_H

#include "state.h"

#include <jansson.h>
#include <stdbool.h>

/* Runs the cell of `msg` (k->current), publishing on k->iopub everything
 * up to execute_result or error. Returns the execute_reply content (a new
 * reference the caller sends and releases) and sets *abort_queue when the
 * cell failed and stop_on_error asks to abort the execute_requests queued
 * behind it. Main thread. */
json_t *kn_execute(kn_kernel_t *k, const kn_msg_t *msg, bool *abort_queue);
/* Interrupts the running cell, if any, and makes a pending input() give
 * up. Any thread, and the SIGINT handler: it touches only the atomics and
 * tq_session_interrupt. */
void kn_execute_interrupt(kn_kernel_t *k);
/* Logs that `msg` is aborted and returns the execute_reply content with
 * status "aborted" (a new reference the caller sends). */
json_t *kn_execute_abort(const kn_msg_t *msg);

#endif
