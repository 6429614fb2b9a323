/*
 * This file declares the execution history behind history_request: every
 * stored cell as (session, line, source) in an SQLite file under the
 * Jupyter data dir, opened lazily on first use so that start-up does no
 * work for it. Main thread only.
 */
#ifndef KN_HISTORY_H
#define KN_HISTORY_H

#include <jansson.h>

typedef struct kn_history kn_history_t;

/* Chooses the file: $TABULA_HISTORY (":memory:" allowed), else
 * $JUPYTER_DATA_DIR/tabula/history.sqlite, else
 * ${XDG_DATA_HOME:-~/.local/share}/jupyter/tabula/history.sqlite. */
kn_history_t *kn_history_new(void);
void kn_history_destroy(kn_history_t **history);

/* Stores cell number `line` of this kernel's session. Failures are
 * logged; history is then simply empty. */
void kn_history_store(kn_history_t *history, int line, const char *source);

/* Answers a history_request's content (hist_access_type tail, range or
 * search; n, session, start, stop, pattern, unique, output). Returns a new
 * JSON array of [session, line, source] (or [session, line, [source,
 * null]] when output is asked for). */
json_t *kn_history_query(kn_history_t *history, json_t *content);

/* The sources of this kernel's session, oldest first: a malloc'd array of
 * malloc'd strings (caller frees both) and its length in *count. An empty
 * history gives NULL and 0. */
char **kn_history_cells(kn_history_t *history, size_t *count);

#endif
