/*
 * This file is the interpreter's tiny TAP helper for its unit tests: one
 * `ok`/`not ok` line per check, a diagnostic with the expected and actual
 * text on failure, and the plan at the end.
 */
#ifndef TQ_TAP_H
#define TQ_TAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failures;

static void tap_ok(bool ok, const char *name)
{
    tap_count++;
    if (!ok)
        tap_failures++;
    printf("%sok %d - %s\n", ok ? "" : "not ", tap_count, name);
}

static void tap_diag_text(const char *label, const char *text)
{
    printf("#   %s:\n#     ", label);
    for (const char *p = text ? text : "(null)"; *p; p++) {
        putchar(*p);
        if (*p == '\n')
            printf("#     ");
    }
    putchar('\n');
}

/* Compares strings; prints both on failure. */
static void tap_is(const char *got, const char *want, const char *name)
{
    bool ok = got && want && strcmp(got, want) == 0;
    tap_ok(ok, name);
    if (!ok) {
        tap_diag_text("expected", want);
        tap_diag_text("got", got);
    }
}

static int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failures ? 1 : 0;
}

#endif
