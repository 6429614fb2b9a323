/*
 * This file declares the lexer: it turns a cell's source into an array of
 * tokens, Python's way (INDENT/DEDENT from an indentation stack, NEWLINE
 * only outside brackets, backslash continuation), plus the magic lines of
 * LANGUAGE.md section 9: a line whose first non-blank character is `%` at a
 * statement start is one MAGIC token holding the raw text after the `%`; a
 * cell whose first line starts with `%%` is one CELL_MAGIC token (first
 * line + body). Implemented by lex.c.
 *
 * Ownership: tokens and their decoded strings live in the arena passed in.
 */
#ifndef TQ_LEX_H
#define TQ_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define TQ_TOKENS(X)                                                       \
    X(END, "end of input") X(NEWLINE, "newline") X(INDENT, "indent")       \
    X(DEDENT, "dedent") X(NAME, "name") X(INT, "integer")                  \
    X(FLOAT, "float") X(STRING, "string") X(MAGIC, "magic")                \
    X(CELL_MAGIC, "cell magic")                                            \
    X(LPAR, "(") X(RPAR, ")") X(LSQB, "[") X(RSQB, "]") X(LBRACE, "{")     \
    X(RBRACE, "}") X(COLON, ":") X(COMMA, ",") X(SEMI, ";") X(DOT, ".")    \
    X(AT, "@") X(ARROW, "->") X(PLUS, "+") X(MINUS, "-") X(STAR, "*")      \
    X(DSTAR, "**") X(SLASH, "/") X(DSLASH, "//") X(PERCENT, "%")           \
    X(AMP, "&") X(PIPE, "|") X(CARET, "^") X(TILDE, "~") X(LSHIFT, "<<")   \
    X(RSHIFT, ">>") X(LT, "<") X(GT, ">") X(LE, "<=") X(GE, ">=")          \
    X(EQEQ, "==") X(NE, "!=") X(ASSIGN, "=") X(PLUSEQ, "+=")               \
    X(MINUSEQ, "-=") X(STAREQ, "*=") X(SLASHEQ, "/=") X(DSLASHEQ, "//=")   \
    X(PERCENTEQ, "%=") X(DSTAREQ, "**=") X(AMPEQ, "&=") X(PIPEEQ, "|=")    \
    X(CARETEQ, "^=") X(LSHIFTEQ, "<<=") X(RSHIFTEQ, ">>=")

/* Python's keywords; each is its own token kind TQ_TOK_KW_<name>. */
#define TQ_KEYWORDS(X)                                                     \
    X(False) X(None) X(True) X(and) X(as) X(assert) X(async) X(await)      \
    X(break) X(class) X(continue) X(def) X(del) X(elif) X(else)            \
    X(except) X(finally) X(for) X(from) X(global) X(if) X(import) X(in)    \
    X(is) X(lambda) X(nonlocal) X(not) X(or) X(pass) X(raise) X(return)    \
    X(try) X(while) X(with) X(yield)

typedef enum tq_tok_kind {
#define X(name, text) TQ_TOK_##name,
    TQ_TOKENS(X)
#undef X
#define X(name) TQ_TOK_KW_##name,
    TQ_KEYWORDS(X)
#undef X
    TQ_TOK__COUNT
} tq_tok_kind_t;

/* String token flags. */
enum { TQ_STR_RAW = 1, TQ_STR_F = 2, TQ_STR_BYTES = 4 };

typedef struct tq_token {
    tq_tok_kind_t kind;
    int line, col;           /* 1-based line, 0-based byte column */
    int end_line, end_col;
    const char *start;       /* into the source */
    size_t len;
    int64_t ival;            /* INT */
    double fval;             /* FLOAT */
    /* STRING: decoded text (for f-strings: the raw body between quotes,
     * escapes untouched, with its source position in body_line/body_col);
     * MAGIC/CELL_MAGIC: the first line after the % signs. */
    const char *str;
    size_t str_len;
    int flags;
    int body_line, body_col;
    /* CELL_MAGIC: the rest of the cell after the first line. */
    const char *body;
    size_t body_len;
} tq_token_t;

/* A syntax error: message, position and whether it was found at the end
 * of the input (then the cell may just be incomplete). */
typedef struct tq_syntax_error {
    char *msg;               /* arena string; NULL when no error */
    int line, col;
    bool eof;
} tq_syntax_error_t;

/* Tokenizes src[0..len). `line0`/`col0` give the position of src[0]
 * (1 and 0 for a cell); `expr_mode` lexes one expression as if inside
 * brackets (f-string fields). Returns 0, or -1 with *err filled. */
int tq_lex(tq_arena_t *arena, const char *src, size_t len, int line0,
           int col0, bool expr_mode, tq_token_t **tokens, size_t *ntokens,
           tq_syntax_error_t *err);

/* The display name of a token kind ("name", "(", "if"). */
const char *tq_tok_name(tq_tok_kind_t kind);

/* Decodes the escapes of a string body (not raw) into the arena.
 * Returns 0, or -1 with a message in *msg (static string). */
int tq_unescape(tq_arena_t *arena, const char *s, size_t n, bool raw,
                char **out, size_t *out_len, const char **msg);

#endif
