/*
 * This file is the renderers' tiny TAP harness: ok(), is_str() and
 * done_testing(), printing "ok N - name" / "not ok N - name" with a
 * diagnostic of what differed, and the plan at the end.
 */
#ifndef RENDER_TAP_H
#define RENDER_TAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline bool ok(bool cond, const char *name)
{
    tap_n++;
    printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
    if (!cond)
        tap_failed++;
    fflush(stdout);
    return cond;
}

static inline bool is_str(const char *got, const char *want, const char *name)
{
    bool same = got && want && strcmp(got, want) == 0;
    ok(same, name);
    if (!same) {
        printf("# got:\n");
        for (const char *p = got ? got : "(null)"; ; ) {
            const char *nl = strchr(p, '\n');
            printf("#   |%.*s|\n", (int)(nl ? nl - p : (long)strlen(p)), p);
            if (!nl)
                break;
            p = nl + 1;
        }
        printf("# want:\n");
        for (const char *p = want ? want : "(null)"; ; ) {
            const char *nl = strchr(p, '\n');
            printf("#   |%.*s|\n", (int)(nl ? nl - p : (long)strlen(p)), p);
            if (!nl)
                break;
            p = nl + 1;
        }
    }
    return same;
}

static inline int done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
