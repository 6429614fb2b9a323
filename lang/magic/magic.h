/*
 * This file declares the magics: lines starting with `%` and cells starting
 * with `%%` (LANGUAGE.md section 9). magic.c owns the dispatch table and the
 * database magics (%connect, %attach, %sql, %who, %config, %lsmagic,
 * %history); the output magics (%schema, %graph_models, %timeit, %time,
 * %load_csv) live in their own files and are listed in magic.c's table.
 *
 * A magic returns a new reference to its result value (None when it shows
 * nothing; a tq_bundle_value_new value for rich output), or NULL with an
 * error raised in the context.
 */
#ifndef TQ_MAGIC_H
#define TQ_MAGIC_H

#include "vm/value.h"

/* `args` is the rest of the magic's line after its name, trimmed.
 * `body` is the cell's text after the first line for a cell magic (%%),
 * NULL for a line magic. Both borrowed. */
typedef tq_value_t *(*tq_magic_fn)(tq_ctx_t *ctx, const char *args,
                                   const char *body);

/* Runs the magic `name` (without its % signs). Raises NameError-like
 * UsageError... as ValueError "Line magic function `%name` not found."
 * when unknown, as IPython words it. */
tq_value_t *tq_magic_run(tq_ctx_t *ctx, const char *name, const char *args,
                         const char *body);

/* Names of every line magic and cell magic, for %lsmagic and completion.
 * NULL-terminated, static. The list is magic/magics.h. */
const char *const *tq_magic_line_names(void);
const char *const *tq_magic_cell_names(void);

/* The usage text of the magic `name` ("%attach PATH as NAME"), static;
 * `name` must be one of the list's. */
const char *tq_magic_usage(const char *name);

/* The one-line doc of the magic `name` (magics.h), static; NULL when
 * `name` is no magic. */
const char *tq_magic_doc(const char *name);

/* Output magics (render side). */
tq_value_t *tq_magic_schema(tq_ctx_t *ctx, const char *args, const char *body);
tq_value_t *tq_magic_graph_models(tq_ctx_t *ctx, const char *args,
                                  const char *body);
tq_value_t *tq_magic_timeit(tq_ctx_t *ctx, const char *args, const char *body);
tq_value_t *tq_magic_time(tq_ctx_t *ctx, const char *args, const char *body);
tq_value_t *tq_magic_load_csv(tq_ctx_t *ctx, const char *args,
                              const char *body);

/* %demo bikes [--users N] [--bikes N] [--rentals N] [--seed S] (demo.c). */
tq_value_t *tq_magic_demo(tq_ctx_t *ctx, const char *args, const char *body);

#endif
