/*
 * This file writes the kernel's log lines to stderr: a level tag, the
 * message, a newline, in a single write(2) so that lines from the shell,
 * control and heartbeat threads never interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static kn_log_level_t threshold = KN_LOG_WARN;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* Reads $TABULA_LOG once at start-up, before any thread exists. */
void kn_log_init(void)
{
    const char *env = getenv("TABULA_LOG");
    if (!env)
        return;
    for (size_t i = 0; i < sizeof level_names / sizeof *level_names; i++)
        if (strcmp(env, level_names[i]) == 0)
            threshold = (kn_log_level_t)i;
}

/* kn_log_verbose: see log.h. */
void kn_log_verbose(kn_log_level_t level)
{
    if (level < threshold)
        threshold = level;
}

/* Formats into a stack buffer (long lines are cut) and writes it at once. */
void kn_log(kn_log_level_t level, const char *fmt, ...)
{
    if (level < threshold)
        return;
    char line[1024];
    int n = snprintf(line, sizeof line, "[tabula-kernel] %s: ",
                     level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
