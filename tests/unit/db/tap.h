/*
 * This file is a tiny TAP producer for the database layer's unit tests:
 * ok(), is_str(), is_int() print "ok N - name" or "not ok N - name" with a
 * diagnostic, and done() prints the plan and returns the exit status.
 */
#ifndef DB_TAP_H
#define DB_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void ok(int cond, const char *name)
{
    tap_n++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
}

__attribute__((unused)) static void is_str(const char *got, const char *want, const char *name)
{
    int same = got && want ? !strcmp(got, want) : got == want;
    ok(same, name);
    if (!same)
        printf("#   got:  %s\n#   want: %s\n", got ? got : "(null)",
               want ? want : "(null)");
}

__attribute__((unused)) static void is_int(long long got, long long want, const char *name)
{
    ok(got == want, name);
    if (got != want)
        printf("#   got:  %lld\n#   want: %lld\n", got, want);
}

static int done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
