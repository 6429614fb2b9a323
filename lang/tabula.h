/*
 * This file is the seam between the kernel (kernel/) and the language
 * (lang/). The kernel knows ZeroMQ and JSON but not Tabula's syntax; the
 * language knows SQLite and Tabula but not ZeroMQ or JSON. Everything that
 * crosses between them is declared here and nowhere else.
 *
 * The kernel creates one session per process, hands it each cell's source
 * with a sink of callbacks, and receives, in order, stream text, display
 * bundles, then either a result bundle or an error. Editor requests
 * (complete, inspect, is_complete) are answered from the same session.
 *
 * Ownership: strings passed in are borrowed for the duration of the call.
 * Bundles passed to sink callbacks are borrowed for the duration of the
 * callback. Structures filled in for the caller (tq_result_t,
 * tq_completion_t, tq_bundle_t) are owned by the caller and released with
 * the matching *_clear function.
 *
 * Threads: every function runs on the kernel's main thread except
 * tq_session_interrupt, which any thread (or a signal handler) may call.
 */
#ifndef TABULA_H
#define TABULA_H

#include <stdbool.h>
#include <stddef.h>

#define TQ_LANGUAGE_NAME "tabula"
#define TQ_LANGUAGE_VERSION "0.1.0"
#define TQ_FILE_EXTENSION ".tq"
#define TQ_MIMETYPE "text/x-tabula"

typedef struct tq_session tq_session_t;

/* One MIME representation. `data` holds `len` bytes: UTF-8 text for text
 * types and SVG, raw bytes for binary types such as image/png (the kernel
 * base64-encodes those). Always NUL-terminated one past `len`. */
typedef struct tq_mime {
    char *type;
    char *data;
    size_t len;
} tq_mime_t;

/* A MIME bundle: at least text/plain when non-empty. */
typedef struct tq_bundle {
    tq_mime_t *items;
    size_t count;
} tq_bundle_t;

/* A representation of this type is not data but the bundle's metadata: a
 * JSON object keyed by MIME type (IPython's {"image/png": {"width": W,
 * "height": H}} for a PNG drawn at twice its size). The kernel sends it
 * as the message's "metadata" and leaves it out of "data". */
#define TQ_BUNDLE_METADATA "application/x-tabula-metadata+json"

/* Adds a representation; copies `type` and `len` bytes of `data`. */
void tq_bundle_add(tq_bundle_t *bundle, const char *type, const char *data,
                   size_t len);
/* Looks a representation up by type; NULL when absent. Borrowed. */
const tq_mime_t *tq_bundle_find(const tq_bundle_t *bundle, const char *type);
/* Frees every representation and leaves an empty bundle. */
void tq_bundle_clear(tq_bundle_t *bundle);

/* Callbacks through which a running cell talks to the outside world.
 * Any callback may be NULL: output is then discarded and input() fails. */
typedef struct tq_sink {
    void *ctx;
    /* name is "stdout" or "stderr". Called once per write (each print),
     * unbuffered: a receiver that sends text over a network batches it. */
    void (*stream)(void *ctx, const char *name, const char *text, size_t len);
    /* display_id may be NULL; update true means update_display_data. */
    void (*display)(void *ctx, const tq_bundle_t *bundle,
                    const char *display_id, bool update);
    /* Asks the front end for a line of input. Returns a malloc'd string
     * the language frees, or NULL when stdin is not allowed/interrupted. */
    char *(*input)(void *ctx, const char *prompt, bool password);
    /* The cells this kernel session has stored in its history, oldest
     * first, the running one last (for %history): a malloc'd array of
     * malloc'd strings that the language frees, its length in *count.
     * When NULL, the session keeps the cells in memory itself. */
    char **(*history)(void *ctx, size_t *count);
    /* Clears the cell's output (IPython's clear_output); wait true means
     * when the next output arrives. */
    void (*clear_output)(void *ctx, bool wait);
    /* With `history`: the kernel's execution count of this cell, 0 when
     * the cell is not stored in history (In[N] and Out[N] are then left
     * alone). Without `history`, ignored: the session numbers the cells
     * it runs that are not silent. */
    int execution_count;
    /* Says the cell is still working: `done` of `total` units, total 0
     * when the size is unknown (a long statement, a long loop). Called
     * often from long work on the thread that runs the cell (after every
     * thousand or so database steps), so it must be cheap: the receiver
     * decides when to show it (the kernel: after one second, a few
     * updates a second, cleared when the cell ends). NULL: no progress
     * (silent requests, front ends that did not ask for it). */
    void (*progress)(void *ctx, long long done, long long total);
} tq_sink_t;

typedef enum tq_status {
    TQ_OK = 0,     /* result holds the cell's result bundle (maybe empty) */
    TQ_ERROR = 1,  /* result holds ename, evalue and traceback */
} tq_status_t;

typedef struct tq_result {
    tq_bundle_t bundle;   /* empty when the cell has no displayable result */
    char *ename;          /* error name, e.g. "FieldError" */
    char *evalue;         /* one sentence: str() of the exception */
    size_t evalue_len;    /* its bytes; NUL bytes inside are kept
                           * (ValueError('a\x00b')), evalue[len] == 0 */
    char **traceback;     /* lines, may contain ANSI colour codes */
    size_t *traceback_lens; /* the bytes of each line: the last one,
                           * "Ename: evalue", holds evalue's NUL bytes */
    size_t traceback_len;
    tq_bundle_t page;     /* what `obj?` pages (IPython's pager payload):
                           * empty unless the cell asked for help */
} tq_result_t;

void tq_result_clear(tq_result_t *result);

typedef struct tq_options {
    const char *database; /* path or ":memory:"; NULL means ":memory:" */
    bool readonly;        /* open read-only and refuse every write */
    bool create;          /* create the file if missing */
    const char *history;  /* path of the history database, or NULL */
} tq_options_t;

/* Creates a session. Returns NULL and writes a message to *error (malloc'd,
 * caller frees) when the database cannot be opened. */
tq_session_t *tq_session_new(const tq_options_t *options, char **error);
/* Destroys the session and NULLs the caller's pointer. */
void tq_session_destroy(tq_session_t **session);

/* Runs one cell. `silent` suppresses the result bundle (outputs from print
 * and display still flow through the sink). The cell runs in one
 * transaction: on TQ_ERROR its writes have been rolled back. */
tq_status_t tq_session_execute(tq_session_t *session, const char *source,
                               const tq_sink_t *sink, bool silent,
                               tq_result_t *result);

/* Evaluates one expression for user_expressions: fills `bundle` with its
 * text/plain (TQ_OK) or fills `result` error fields (TQ_ERROR). */
tq_status_t tq_session_evaluate(tq_session_t *session, const char *expr,
                                tq_result_t *result);

/* Async-signal-safe and thread-safe: stops the running statement; the cell
 * then fails with KeyboardInterrupt. Harmless when nothing runs. */
void tq_session_interrupt(tq_session_t *session);

/* Completion. Positions are in Unicode code points, as Jupyter counts. */
typedef struct tq_completion {
    char **matches;
    char **types;         /* parallel to matches: "table", "column", ... */
    size_t count;
    size_t cursor_start;
    size_t cursor_end;
} tq_completion_t;

void tq_session_complete(tq_session_t *session, const char *code,
                         size_t cursor_pos, tq_completion_t *out);
void tq_completion_clear(tq_completion_t *completion);

/* Inspection: fills `bundle` (text/plain at least) and returns true when
 * something was found at the cursor. detail_level is 0 or 1. */
bool tq_session_inspect(tq_session_t *session, const char *code,
                        size_t cursor_pos, int detail_level,
                        tq_bundle_t *bundle);

typedef enum tq_completeness {
    TQ_COMPLETE,
    TQ_INCOMPLETE,
    TQ_INVALID,
    TQ_UNKNOWN,
} tq_completeness_t;

/* Decides whether `code` is a complete cell. For TQ_INCOMPLETE, *indent
 * receives a malloc'd string of spaces to continue with. */
tq_completeness_t tq_is_complete(const char *code, char **indent);

/* A malloc'd copy of `text` with the password of every database target in
 * it (`scheme://user:PASSWORD@`, `password=VALUE`) replaced by "***": for
 * whatever shows or keeps a cell or a target (logs, history, messages).
 * NULL for NULL. */
char *tq_mask_secrets(const char *text);

#endif
