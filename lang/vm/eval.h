/*
 * This file declares the evaluator: it walks the AST of a cell (ast.h) in
 * the interpreter context, with Python's semantics for statements, names
 * (locals, globals, tables, builtins), calls and assignment targets. Owned
 * by the interpreter (eval.c).
 */
#ifndef TQ_EVAL_H
#define TQ_EVAL_H

#include "vm/interp.h"

/* Code units (eval.c). */
tq_unit_t *tq_unit_new(const char *source, size_t len, int cell);
void tq_unit_release(tq_unit_t **unit);

/* Evaluation (eval.c). Runs a parsed cell at module level. On success
 * returns 0 and, when the last statement is an expression not ended by
 * ';' (or a magic), stores its value in *last (new reference; NULL when
 * none). On error returns -1 with the error raised and located. */
int tq_exec_module(tq_ctx_t *ctx, tq_unit_t *unit, const tq_nodelist_t *body,
                   tq_value_t **last);
/* Evaluates one expression at module level (user_expressions). */
tq_value_t *tq_eval_expr(tq_ctx_t *ctx, tq_unit_t *unit,
                         const tq_node_t *expr);
/* Calls a user function (value.c's tq_call dispatches here). */
tq_value_t *tq_function_call(tq_ctx_t *ctx, tq_value_t *fn,
                             const tq_args_t *args);
/* Looks a name up as user code would: locals, globals, tables, builtins.
 * New reference, or NULL without raising when unbound. */
tq_value_t *tq_lookup(tq_ctx_t *ctx, const char *name);
/* Frees the parse cache of tq_ctx_run_source (at session end). */
void tq_eval_release_caches(void);
/* Frees a function payload (value.c calls it). */
void tq_function_free(tq_function_t *fn);


#endif
