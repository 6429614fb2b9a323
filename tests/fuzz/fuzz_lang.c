/*
 * This file is the libFuzzer target for the language: each input is one
 * cell, executed in a long-lived session over an in-memory database, so the
 * lexer, parser, evaluator, SQL compiler and renderers all see arbitrary
 * bytes. Crashes, sanitizer reports and leaks are findings; Tabula errors
 * (SyntaxError, FieldError...) are the expected answer to garbage.
 *
 * The session runs cells as a kernel does (the sink keeps the history), on
 * a ring of HISTORY_RING execution counts: In[N], Out[N], _iN and _N are
 * recorded and replaced as in a notebook, but their number stays bounded.
 * Numbered as tabula-run numbers them, every input kept something for
 * good (its text, In[N], _iN, Out[N]): libFuzzer then saw more mallocs
 * than frees in every run and ran LeakSanitizer's heap scan after each
 * one, and each NameError's "did you mean" compared every name ever
 * recorded; the fuzzer ran at a ninth of its pace.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* strcasestr */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tabula.h"

static tq_session_t *session;

enum { HISTORY_RING = 16 };

/* The kernel's history: none kept (%history is excluded below). */
static char **no_history(void *ctx, size_t *count)
{
    (void)ctx;
    *count = 0;
    return NULL;
}

/* A cell that may load files or sleep is not useful to fuzz: magics that
 * touch the file system are skipped, the rest run. Transaction statements
 * inside %sql run (COMMIT, ROLLBACK, SAVEPOINT, VACUUM...); ATTACH only of
 * ':memory:' and no VACUUM INTO, which would write files. */
static int is_excluded(const char *cell)
{
    static const char *const skip[] = {"%connect", "%attach", "%load_csv",
                                       "%demo", "%timeit", "%%timeit",
                                       "to_csv", "%history", "input("};
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (strstr(cell, skip[i]))
            return 1;
    if (strcasestr(cell, "INTO") && strcasestr(cell, "VACUUM"))
        return 1;
    for (const char *a = strcasestr(cell, "ATTACH"); a;
         a = strcasestr(a + 1, "ATTACH")) {
        const char *q = a + 6;
        while (*q && *q != '\'' && *q != '"' && *q != '\n')
            q++;
        if (strncmp(q, "':memory:'", 10) != 0)
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!session) {
        tq_options_t options = {.database = ":memory:"};
        char *error = NULL;
        session = tq_session_new(&options, &error);
        if (!session)
            abort();
    }
    char *cell = malloc(size + 1);
    memcpy(cell, data, size);
    cell[size] = '\0';
    if (!is_excluded(cell)) {
        static unsigned long runs;
        tq_result_t result = {0};
        tq_sink_t sink = {.history = no_history,
                          .execution_count = (int)(runs++ % HISTORY_RING) + 1};
        tq_session_execute(session, cell, &sink, false, &result);
        tq_result_clear(&result);
    }
    free(cell);
    return 0;
}
