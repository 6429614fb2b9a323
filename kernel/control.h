/*
 * This file declares the control thread (control.c).
 */
#ifndef KN_CONTROL_H
#define KN_CONTROL_H

/* The control thread's body; the argument is the kn_kernel_t. It uses the
 * control thread's part of it (control, control_wake, control_signer,
 * control_iopub), closes those sockets and the publisher when the context
 * shuts down, and returns NULL. */
void *kn_control_thread(void *kernel);

#endif
