/*
 * This file declares the tiny TAP producer the kernel unit tests share:
 * one "ok N - name" line per check, a plan at the end, and an exit code
 * that is non-zero when any check failed.
 */
#ifndef KN_TAP_H
#define KN_TAP_H

#include <stdbool.h>

/* Records one check; returns cond. */
bool tap_ok(bool cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints the plan; returns the process exit code. */
int tap_done(void);

#endif
