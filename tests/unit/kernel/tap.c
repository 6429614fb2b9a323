/*
 * This file writes TAP (version 12) for the kernel unit tests.
 */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>

static int count, failed;

bool tap_ok(bool cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s %d - ", cond ? "ok" : "not ok", ++count);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (!cond)
        failed++;
    fflush(stdout);
    return cond;
}

int tap_done(void)
{
    printf("1..%d\n", count);
    return failed ? 1 : 0;
}
