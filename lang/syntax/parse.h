/*
 * This file declares the parser: tokens in, an AST (ast.h) out, or the
 * first syntax error with its position, in Python's wording. Also the
 * S-expression dump of an AST that the parser's unit tests compare, and the
 * completeness check behind tq_is_complete. Implemented by parse.c.
 */
#ifndef TQ_PARSE_H
#define TQ_PARSE_H

#include "syntax/ast.h"
#include "syntax/lex.h"

/* Parses a whole cell into its statements. Every node is allocated in
 * `arena`. Returns 0, or -1 with *err filled. */
int tq_parse(tq_arena_t *arena, const char *src, size_t len,
             tq_nodelist_t *out, tq_syntax_error_t *err);

/* Parses one expression (a tuple when it has top-level commas). */
int tq_parse_expr(tq_arena_t *arena, const char *src, size_t len,
                  tq_node_t **out, tq_syntax_error_t *err);

/* The tree as an S-expression, e.g. "(BINOP + (INT 1) (NAME x))".
 * malloc'd. */
char *tq_ast_dump(const tq_node_t *node);
/* The statements of a cell, one S-expression per line. malloc'd. */
char *tq_ast_dump_list(const tq_nodelist_t *list);

#endif
