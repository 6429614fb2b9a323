/*
 * This file declares what the kernel says about itself in
 * kernel_info_reply, which the shell and the control channel both answer.
 */
#ifndef KN_KERNEL_INFO_H
#define KN_KERNEL_INFO_H

#include <jansson.h>

#define KN_IMPLEMENTATION "tabula"
#define KN_IMPLEMENTATION_VERSION "0.1.0"

/* The content of kernel_info_reply: a new reference the caller owns. Any
 * thread. */
json_t *kn_kernel_info_content(void);

#endif
