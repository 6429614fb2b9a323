/*
 * This file declares the kernel process's start and stop: the options
 * from the command line, and the two calls main.c makes around
 * kn_shell_serve. The state itself is kn_kernel_t in state.h.
 */
#ifndef KN_KERNEL_H
#define KN_KERNEL_H

#include "state.h"

#include <stdbool.h>

typedef struct kn_options {
    const char *connection_file;
    const char *database;
    bool readonly;
} kn_options_t;

/* Loads the connection file, binds every socket, opens the session and
 * starts the threads, filling the caller's *k. Returns 0, or -1 after
 * logging why (the kernel is then torn down and *k holds nothing). */
int kn_kernel_start(kn_kernel_t *k, const kn_options_t *options);
/* Stops the threads, flushes and closes the sockets, closes the session
 * and frees everything kn_kernel_start made in *k. */
void kn_kernel_stop(kn_kernel_t *k);

#endif
