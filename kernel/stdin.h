/*
 * This file declares input() over the stdin channel (stdin.c).
 */
#ifndef KN_STDIN_H
#define KN_STDIN_H

#include "state.h"

#include <stdbool.h>

/* Asks the front end of the current request (k->current) for a line, on
 * the main thread. Returns a malloc'd string the caller frees, or NULL
 * when stdin is not allowed, on interrupt or on shutdown. */
char *kn_stdin_input(kn_kernel_t *k, const char *prompt, bool password);

#endif
