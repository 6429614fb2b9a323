/*
 * This file declares the editor help behind complete_request: what can be
 * typed at the cursor of a cell, read from the text before the cursor (a
 * small lexical scan: strings, comments, open brackets) and from the
 * session (variables, tables and their columns, relations and lookups,
 * query-set and frame methods, magics, file paths). It also exposes the
 * method catalogue (signature and one-line doc) that inspect.c shows.
 * Implemented by complete.c, in the editor layer.
 *
 * Nothing here runs user code: receivers are resolved by looking names up
 * and by the static result type of query-set methods, never by calling.
 */
#ifndef TQ_COMPLETE_H
#define TQ_COMPLETE_H

#include "vm/value.h"

/* Fills `out` (zeroed first; the caller clears it with
 * tq_completion_clear) with the sorted, unique matches at `cursor_pos`
 * (code points) and the replaced range [cursor_start, cursor_end) in code
 * points. Never leaves an error pending in ctx. */
void tq_complete(tq_ctx_t *ctx, const char *code, size_t cursor_pos,
                 tq_completion_t *out);

/* One documented method of query sets/managers or frames/Series. */
typedef struct tq_method_doc {
    const char *name;
    const char *signature;   /* "filter(*q, **lookups)" */
    const char *doc;         /* one line */
    int returns;             /* TQ_RET_* below: static result type */
    int where;               /* frames: 0 both, 1 DataFrame, 2 Series */
} tq_method_doc_t;

#define TQ_RET_OTHER 0
#define TQ_RET_QS 1          /* a query set of the same table */
#define TQ_RET_FRAME 2
#define TQ_RET_SERIES 3
#define TQ_RET_OBJECT 4      /* a model object of the same table */

/* The query-set/manager catalogue and the frame/Series catalogue.
 * NULL-name terminated, static. */
const tq_method_doc_t *tq_complete_qs_methods(void);
const tq_method_doc_t *tq_complete_frame_methods(void);
/* The catalogue entry `name` for a query set (frame false) or a frame or
 * Series (frame true), or NULL. */
const tq_method_doc_t *tq_complete_method_doc(const char *name, bool frame);

/* Lookups and transforms that may follow `column__` (NULL-terminated). */
const char *const *tq_complete_lookup_names(void);

#endif
