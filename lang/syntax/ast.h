/*
 * This file declares the abstract syntax tree that parse.c builds and
 * eval.c walks. Every node lives in the cell's arena and carries its source
 * span (1-based lines, 0-based byte columns) for carets in tracebacks.
 * Built by parse.c into the cell's arena; read by the evaluator.
 *
 * Field use per kind (unused fields are zero):
 *   NAME         name, hash
 *   INT FLOAT    ival / fval
 *   STR          sval, slen
 *   NONE TRUE FALSE
 *   FSTRING      list = parts (STR and FORMAT nodes)
 *   FORMAT       a = value, op = conversion ('r', 's', 'a' or 0),
 *                b = format spec (FSTRING) or NULL
 *   BINOP        op = tq_binop_t, a, b
 *   UNOP         op = tq_unop_t, a
 *   AND OR       a, b
 *   COMPARE      list = operands (n + 1), ops = n tq_binop_t
 *   IFEXP        a = value if true, b = condition, c = value if false
 *   CALL         a = callee, list = arguments (expressions, STARRED,
 *                KWARG, DSTARRED)
 *   KWARG        name, a = value
 *   STARRED      a       DSTARRED   a
 *   ATTR         a = object, name
 *   SUBSCRIPT    a = object, b = index (a TUPLE for `x[i, j]`)
 *   SLICE        a = start, b = stop, c = step (each may be NULL)
 *   TUPLE LIST   list = items
 *   DICT         list = keys, list2 = values
 *   LISTCOMP     a = element, b = target, c = iterable, list = conditions
 *   DICTCOMP     a = key, d = value, b = target, c = iterable,
 *                list = conditions
 *   LAMBDA       list = params, a = body expression
 *   PARAM        name, a = default or NULL, op = 0 plain, 1 *args,
 *                3 a bare * (keyword-only marker),
 *                2 **kwargs
 *   EXPR         a = expression, flag = ended with ';'
 *   ASSIGN       list = targets (a = b = 1 has two), a = value
 *   AUGASSIGN    a = target, b = value, op = tq_binop_t
 *   DEF          name, list = params, list2 = body, list3 = decorators
 *   CLASS        name, list = bases and keywords (as CALL arguments),
 *                list2 = body, list3 = decorators
 *   RETURN       a or NULL
 *   IF           a = condition, list = body, list2 = else body
 *   WHILE        a = condition, list = body, list2 = else body
 *   FOR          a = target, b = iterable, list = body, list2 = else body
 *   BREAK CONTINUE PASS
 *   DEL          list = targets
 *   GLOBAL       list = NAME nodes
 *   TRY          list = body, list2 = EXCEPT handlers, list3 = else body,
 *                list4 = finally body
 *   EXCEPT       a = exception type(s) or NULL (bare), name = `as` name
 *                or NULL, list = body
 *   RAISE        a = exception or NULL
 *   ASSERT       a = test, b = message or NULL
 *   MAGIC        name = magic name, sval = arguments (trimmed)
 *   CELL_MAGIC   name, sval = arguments, body = the rest of the cell
 */
#ifndef TQ_AST_H
#define TQ_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Binary and unary operators, defined by the parser and
 * shared with the evaluator and native types. */
#define TQ_BINOPS(X) \
    X(ADD, "+") X(SUB, "-") X(MUL, "*") X(DIV, "/") X(FLOORDIV, "//") \
    X(MOD, "%") X(POW, "**") X(AND, "&") X(OR, "|") X(XOR, "^") \
    X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=") X(EQ, "==") X(NE, "!=") \
    X(IN, "in") X(NOT_IN, "not in") X(IS, "is") X(IS_NOT, "is not")
#define TQ_UNOPS(X) X(NEG, "-") X(POS, "+") X(INVERT, "~") X(NOT, "not")

typedef enum tq_binop {
#define X(name, text) TQ_OP_##name,
    TQ_BINOPS(X)
#undef X
} tq_binop_t;

typedef enum tq_unop {
#define X(name, text) TQ_UOP_##name,
    TQ_UNOPS(X)
#undef X
} tq_unop_t;

#define TQ_NODES(X)                                                        \
    X(NAME) X(INT) X(FLOAT) X(STR) X(NONE) X(TRUE) X(FALSE) X(FSTRING)     \
    X(FORMAT) X(BINOP) X(UNOP) X(AND) X(OR) X(COMPARE) X(IFEXP) X(CALL)    \
    X(KWARG) X(STARRED) X(DSTARRED) X(ATTR) X(SUBSCRIPT) X(SLICE)          \
    X(TUPLE) X(LIST) X(DICT) X(LISTCOMP) X(DICTCOMP) X(LAMBDA) X(PARAM)    \
    X(EXPR) X(ASSIGN) X(AUGASSIGN) X(DEF) X(CLASS) X(RETURN) X(IF)         \
    X(WHILE) X(FOR) X(BREAK) X(CONTINUE) X(PASS) X(DEL) X(GLOBAL)          \
    X(RAISE) X(ASSERT) X(MAGIC) X(CELL_MAGIC) X(TRY) X(EXCEPT)

typedef enum tq_node_kind {
#define X(name) TQ_N_##name,
    TQ_NODES(X)
#undef X
    TQ_N__COUNT
} tq_node_kind_t;

typedef struct tq_node tq_node_t;

typedef struct tq_nodelist {
    tq_node_t **items;
    size_t len;
} tq_nodelist_t;

struct tq_node {
    tq_node_kind_t kind;
    int line, col, end_line, end_col;
    int op;
    bool flag;
    const char *name;
    uint64_t hash;            /* of name, for NAME lookups */
    int64_t ival;
    double fval;
    const char *sval;
    size_t slen;
    const char *body;         /* CELL_MAGIC */
    tq_node_t *a, *b, *c, *d;
    tq_nodelist_t list, list2, list3, list4;
    int *ops;                 /* COMPARE */
};

/* Kind names ("NAME", "BINOP"), for the S-expression dump. */
const char *tq_node_kind_name(tq_node_kind_t kind);

#endif
