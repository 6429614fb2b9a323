/*
 * This file declares the shell channel's loop (shell.c).
 */
#ifndef KN_SHELL_H
#define KN_SHELL_H

#include "state.h"

/* Serves the shell socket on the main thread until shutdown (a
 * shutdown_request, the control thread's wake, or the front end gone).
 * The sockets stay open: kn_kernel_stop closes them. */
void kn_shell_serve(kn_kernel_t *k);

#endif
