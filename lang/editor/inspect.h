/*
 * This file declares the editor help behind inspect_request (Shift-Tab,
 * `?` in consoles): what the name at the cursor is. A table shows its
 * columns, types, keys, relations and row count (detail 1 adds its CREATE
 * statement and first rows); a query-set, manager or frame method shows
 * its signature and one-line doc; any other name a summary of its value
 * (type and truncated repr). Implemented by inspect.c, in the editor layer.
 */
#ifndef TQ_INSPECT_H
#define TQ_INSPECT_H

#include "vm/value.h"

/* Fills `bundle` with text/plain (and text/markdown) and returns true
 * when a name at `cursor_pos` (code points; the name may end at the
 * cursor or just before an open parenthesis there) resolves. Runs no user
 * code and never leaves an error pending in ctx. detail_level 0 or 1. */
bool tq_inspect(tq_ctx_t *ctx, const char *code, size_t cursor_pos,
                int detail_level, tq_bundle_t *bundle);

/* The text that `obj?` pages, for a value rather than a name (help()):
 * a manager's table, a bound query-set or frame method's signature and
 * doc, a query function's, else the value's type and truncated repr.
 * Returns malloc'd text (caller frees); never leaves an error pending. */
char *tq_inspect_value(tq_ctx_t *ctx, tq_value_t *v, int detail);

/* dir(v): a new sorted list of attribute names: a query set's or
 * manager's methods (the catalogue and the model's own), a frame's
 * methods and columns, a Series' methods, a model object's fields,
 * relations and methods, the methods of str, list, tuple and dict; an
 * empty list for anything else. Never leaves an error pending. */
tq_value_t *tq_inspect_attributes(tq_ctx_t *ctx, tq_value_t *v);

#endif
