/*
 * This file implements the parser declared in parse.h: recursive descent
 * for statements, and one binding-power loop (as Lua's subexpr) for
 * Python's binary operators. Syntax errors unwind with longjmp to the
 * entry point; everything lives in the cell's arena, so nothing leaks.
 * Each grammar function carries its rule in the comment above it.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in parse.h.
 */
#include "syntax/parse.h"

#include <assert.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *const node_names[] = {
#define X(name) #name,
    TQ_NODES(X)
#undef X
};

const char *tq_node_kind_name(tq_node_kind_t kind)
{
    return kind < TQ_N__COUNT ? node_names[kind] : "?";
}

#define MAX_NESTING 150

typedef struct parser {
    tq_arena_t *arena;
    tq_token_t *t;
    size_t n, pos;
    tq_syntax_error_t *err;
    int func_depth, loop_depth, nesting;
    bool inner;          /* an f-string field: never "incomplete" */
    jmp_buf jmp;
} parser_t;

/* An arena-backed growable node list. */
typedef struct vec {
    tq_node_t **items;
    size_t len, cap;
} vec_t;

static void vec_push(parser_t *p, vec_t *v, tq_node_t *n)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        tq_node_t **items = tq_arena_alloc(p->arena, cap * sizeof *items);
        if (v->len)
            memcpy(items, v->items, v->len * sizeof *items);
        v->items = items;
        v->cap = cap;
    }
    v->items[v->len++] = n;
}

static tq_nodelist_t vec_list(vec_t *v)
{
    tq_nodelist_t l = {v->items, v->len};
    return l;
}

static tq_token_t *cur(parser_t *p)
{
    return &p->t[p->pos];
}

static tq_tok_kind_t kind(parser_t *p)
{
    return p->t[p->pos].kind;
}

static tq_tok_kind_t peek_kind(parser_t *p, size_t k)
{
    size_t i = p->pos + k;
    return i < p->n ? p->t[i].kind : TQ_TOK_END;
}

static tq_token_t *advance(parser_t *p)
{
    tq_token_t *t = &p->t[p->pos];
    if (p->pos + 1 < p->n)
        p->pos++;
    return t;
}

static bool accept(parser_t *p, tq_tok_kind_t k)
{
    if (kind(p) == k) {
        advance(p);
        return true;
    }
    return false;
}

__attribute__((noreturn, format(printf, 4, 5)))
static void fail_at(parser_t *p, int line, int col, const char *fmt, ...)
{
    va_list ap;
    tq_buf_t b = {0};
    va_start(ap, fmt);
    tq_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    p->err->msg = tq_arena_strndup(p->arena, b.s ? b.s : "", b.len);
    tq_buf_free(&b);
    p->err->line = line;
    p->err->col = col;
    longjmp(p->jmp, 1);
}

/* Fails at the current token. At the end of the input, the error is
 * marked eof so that the cell may be reported incomplete. */
__attribute__((noreturn))
static void fail(parser_t *p, const char *msg)
{
    tq_token_t *t = cur(p);
    p->err->eof = t->kind == TQ_TOK_END && !p->inner;
    fail_at(p, t->line, t->col, "%s", msg);
}

static void expect(parser_t *p, tq_tok_kind_t k, const char *msg)
{
    if (!accept(p, k))
        fail(p, msg);
}

static tq_node_t *node_at(parser_t *p, tq_node_kind_t k, const tq_token_t *t)
{
    tq_node_t *n = tq_arena_alloc(p->arena, sizeof *n);
    n->kind = k;
    n->line = t->line;
    n->col = t->col;
    n->end_line = t->end_line;
    n->end_col = t->end_col;
    return n;
}

static tq_node_t *node_from(parser_t *p, tq_node_kind_t k, const tq_node_t *f)
{
    tq_node_t *n = tq_arena_alloc(p->arena, sizeof *n);
    n->kind = k;
    n->line = f->line;
    n->col = f->col;
    n->end_line = f->end_line;
    n->end_col = f->end_col;
    return n;
}

/* Sets the node's end to the end of the last consumed token. */
static tq_node_t *finish(parser_t *p, tq_node_t *n)
{
    if (p->pos > 0) {
        tq_token_t *t = &p->t[p->pos - 1];
        n->end_line = t->end_line;
        n->end_col = t->end_col;
    }
    return n;
}

static void enter(parser_t *p)
{
    if (++p->nesting > MAX_NESTING)
        fail(p, "too many nested parentheses");
}

static tq_node_t *parse_test(parser_t *p);
static tq_node_t *parse_binary(parser_t *p, int min_prec);
static tq_node_t *parse_unary(parser_t *p);
static void parse_statement(parser_t *p, vec_t *out);

enum {
    PREC_OR = 1, PREC_AND, PREC_NOT, PREC_CMP, PREC_BOR, PREC_BXOR,
    PREC_BAND, PREC_ARITH, PREC_TERM,
};

/* The binary operator at the cursor: its precedence (0 when none), its
 * tq_binop_t and how many tokens it spans. */
static int binary_prec(parser_t *p, int *op, int *ntok)
{
    *ntok = 1;
    switch (kind(p)) {
    case TQ_TOK_KW_or: *op = -1; return PREC_OR;
    case TQ_TOK_KW_and: *op = -2; return PREC_AND;
    case TQ_TOK_LT: *op = TQ_OP_LT; return PREC_CMP;
    case TQ_TOK_LE: *op = TQ_OP_LE; return PREC_CMP;
    case TQ_TOK_GT: *op = TQ_OP_GT; return PREC_CMP;
    case TQ_TOK_GE: *op = TQ_OP_GE; return PREC_CMP;
    case TQ_TOK_EQEQ: *op = TQ_OP_EQ; return PREC_CMP;
    case TQ_TOK_NE: *op = TQ_OP_NE; return PREC_CMP;
    case TQ_TOK_KW_in: *op = TQ_OP_IN; return PREC_CMP;
    case TQ_TOK_KW_not:
        if (peek_kind(p, 1) == TQ_TOK_KW_in) {
            *op = TQ_OP_NOT_IN;
            *ntok = 2;
            return PREC_CMP;
        }
        return 0;
    case TQ_TOK_KW_is:
        if (peek_kind(p, 1) == TQ_TOK_KW_not) {
            *op = TQ_OP_IS_NOT;
            *ntok = 2;
        } else {
            *op = TQ_OP_IS;
        }
        return PREC_CMP;
    case TQ_TOK_PIPE: *op = TQ_OP_OR; return PREC_BOR;
    case TQ_TOK_CARET: *op = TQ_OP_XOR; return PREC_BXOR;
    case TQ_TOK_AMP: *op = TQ_OP_AND; return PREC_BAND;
    case TQ_TOK_PLUS: *op = TQ_OP_ADD; return PREC_ARITH;
    case TQ_TOK_MINUS: *op = TQ_OP_SUB; return PREC_ARITH;
    case TQ_TOK_STAR: *op = TQ_OP_MUL; return PREC_TERM;
    case TQ_TOK_SLASH: *op = TQ_OP_DIV; return PREC_TERM;
    case TQ_TOK_DSLASH: *op = TQ_OP_FLOORDIV; return PREC_TERM;
    case TQ_TOK_PERCENT: *op = TQ_OP_MOD; return PREC_TERM;
    default: return 0;
    }
}

/* ---- f-strings */

static tq_node_t *parse_fstring_body(parser_t *p, const tq_token_t *t,
                                     const char *s, size_t n, int line,
                                     int col, bool raw);

/* Line and column of offset `off` in s, starting at (line, col). */
static void pos_of(const char *s, size_t off, int line, int col, int *oline,
                   int *ocol)
{
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            line++;
            col = 0;
        } else {
            col++;
        }
    }
    *oline = line;
    *ocol = col;
}

static void add_literal(parser_t *p, vec_t *parts, const tq_token_t *t,
                        const char *s, size_t n, bool raw, int line, int col)
{
    if (!n)
        return;
    char *out;
    size_t out_len;
    const char *msg;
    /* Undouble the braces first. */
    char *tmp = tq_arena_alloc(p->arena, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        tmp[k++] = s[i];
        if ((s[i] == '{' || s[i] == '}') && i + 1 < n && s[i + 1] == s[i])
            i++;
    }
    if (tq_unescape(p->arena, tmp, k, raw, &out, &out_len, &msg) < 0)
        fail_at(p, line, col, "%s", msg);
    tq_node_t *lit = node_at(p, TQ_N_STR, t);
    lit->sval = out;
    lit->slen = out_len;
    vec_push(p, parts, lit);
}

/* fstring -> (literal | '{' expr ['!' conv] [':' spec] '}')* */
static tq_node_t *parse_fstring_body(parser_t *p, const tq_token_t *t,
                                     const char *s, size_t n, int line,
                                     int col, bool raw)
{
    vec_t parts = {0};
    size_t lit = 0, i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '{' && i + 1 < n && s[i + 1] == '{') {
            i += 2;
            continue;
        }
        if (c == '}') {
            if (i + 1 < n && s[i + 1] == '}') {
                i += 2;
                continue;
            }
            int l, cc;
            pos_of(s, i, line, col, &l, &cc);
            fail_at(p, l, cc, "f-string: single '}' is not allowed");
        }
        if (c != '{') {
            i++;
            continue;
        }
        add_literal(p, &parts, t, s + lit, i - lit, raw, line, col);
        size_t start = ++i;
        int depth = 0;
        char quote = 0;
        size_t expr_end = 0, conv = 0, spec = 0;
        for (; i < n; i++) {
            char d = s[i];
            if (quote) {
                if (d == quote)
                    quote = 0;
                continue;
            }
            if (d == '\'' || d == '"')
                quote = d;
            else if (d == '(' || d == '[' || d == '{')
                depth++;
            else if ((d == ')' || d == ']' || d == '}') && depth > 0)
                depth--;
            else if (depth == 0 && d == '!' && i + 1 < n && s[i + 1] != '=' &&
                     !expr_end)
                expr_end = i, conv = i + 1;
            else if (depth == 0 && d == ':' && !spec) {
                if (!expr_end)
                    expr_end = i;
                spec = i + 1;
                /* The spec runs to the matching '}'. */
                int sd = 0;
                for (i = spec; i < n; i++) {
                    if (s[i] == '{')
                        sd++;
                    else if (s[i] == '}') {
                        if (sd == 0)
                            break;
                        sd--;
                    }
                }
                break;
            } else if (depth == 0 && d == '}')
                break;
        }
        if (i >= n) {
            int l, cc;
            pos_of(s, start - 1, line, col, &l, &cc);
            fail_at(p, l, cc, "f-string: expecting '}'");
        }
        if (!expr_end)
            expr_end = i;
        int el, ec;
        pos_of(s, start, line, col, &el, &ec);
        tq_token_t *toks;
        size_t ntoks;
        tq_syntax_error_t err = {0};
        size_t elen = expr_end - start;
        bool blank = true;
        for (size_t k = start; k < expr_end; k++)
            if (s[k] != ' ')
                blank = false;
        if (blank)
            fail_at(p, el, ec, "f-string: empty expression not allowed");
        if (tq_lex(p->arena, s + start, elen, el, ec, true, &toks, &ntoks,
                   &err) < 0)
            fail_at(p, err.line, err.col, "%s", err.msg);
        /* The copy shares the entry point's jmp_buf. */
        parser_t sub = *p;
        sub.t = toks;
        sub.n = ntoks;
        sub.pos = 0;
        sub.inner = true;
        tq_node_t *fmt = node_at(p, TQ_N_FORMAT, t);
        fmt->a = parse_test(&sub);
        if (sub.t[sub.pos].kind != TQ_TOK_END) {
            sub.err->eof = false;
            fail_at(&sub, sub.t[sub.pos].line, sub.t[sub.pos].col,
                    "f-string: invalid syntax");
        }
        fmt->line = fmt->a->line;
        fmt->col = fmt->a->col;
        if (conv) {
            char cv = s[conv];
            size_t cend = spec ? spec - 1 : i;
            if (cend != conv + 1 || (cv != 'r' && cv != 's' && cv != 'a'))
                fail_at(p, el, ec,
                        "f-string: invalid conversion character: expected "
                        "'s', 'r', or 'a'");
            fmt->op = cv;
        }
        if (spec) {
            int sl, sc;
            pos_of(s, spec, line, col, &sl, &sc);
            fmt->b = parse_fstring_body(p, t, s + spec, i - spec, sl, sc, raw);
        }
        vec_push(p, &parts, fmt);
        i++;
        lit = i;
    }
    add_literal(p, &parts, t, s + lit, n - lit, raw, line, col);
    tq_node_t *f = node_at(p, TQ_N_FSTRING, t);
    f->list = vec_list(&parts);
    return f;
}

/* strings -> STRING+ (adjacent literals concatenate) */
static tq_node_t *parse_strings(parser_t *p)
{
    tq_token_t *first = cur(p);
    bool any_f = false;
    size_t count = 0;
    for (size_t i = p->pos; p->t[i].kind == TQ_TOK_STRING; i++) {
        count++;
        if (p->t[i].flags & TQ_STR_F)
            any_f = true;
    }
    if (!any_f) {
        tq_buf_t b = {0};
        tq_buf_addn(&b, "", 0);
        while (kind(p) == TQ_TOK_STRING) {
            tq_token_t *t = advance(p);
            tq_buf_addn(&b, t->str, t->str_len);
        }
        tq_node_t *n = node_at(p, TQ_N_STR, first);
        n->sval = tq_arena_strndup(p->arena, b.s, b.len);
        n->slen = b.len;
        tq_buf_free(&b);
        return finish(p, n);
    }
    vec_t parts = {0};
    while (kind(p) == TQ_TOK_STRING) {
        tq_token_t *t = advance(p);
        if (t->flags & TQ_STR_F) {
            tq_node_t *f = parse_fstring_body(p, t, t->str, t->str_len,
                                              t->body_line, t->body_col,
                                              t->flags & TQ_STR_RAW);
            for (size_t i = 0; i < f->list.len; i++)
                vec_push(p, &parts, f->list.items[i]);
        } else {
            tq_node_t *lit = node_at(p, TQ_N_STR, t);
            lit->sval = t->str;
            lit->slen = t->str_len;
            vec_push(p, &parts, lit);
        }
    }
    (void)count;
    tq_node_t *n = node_at(p, TQ_N_FSTRING, first);
    n->list = vec_list(&parts);
    return finish(p, n);
}

/* comp_for -> 'for' exprlist 'in' or_test ('if' or_test)* */
static tq_node_t *parse_exprlist(parser_t *p);

static void parse_comp_for(parser_t *p, tq_node_t *comp)
{
    expect(p, TQ_TOK_KW_for, "invalid syntax");
    comp->b = parse_exprlist(p);
    expect(p, TQ_TOK_KW_in, "invalid syntax");
    comp->c = parse_binary(p, PREC_OR);
    vec_t conds = {0};
    while (accept(p, TQ_TOK_KW_if))
        vec_push(p, &conds, parse_binary(p, PREC_OR));
    if (kind(p) == TQ_TOK_KW_for)
        fail(p, "nested comprehensions are not supported");
    comp->list = vec_list(&conds);
}

static void split_magic(parser_t *p, tq_node_t *n, const char *s,
                        size_t len);

/* atom -> NAME | NUMBER | strings | None | True | False
 *       | '(' [testlist_comp] ')' | '[' [testlist_comp] ']'
 *       | '{' [dictmaker] '}' | MAGIC */

static tq_node_t *parse_atom(parser_t *p)
{
    tq_token_t *t = cur(p);
    tq_node_t *n;
    switch (t->kind) {
    case TQ_TOK_MAGIC:
        /* `x = %sql ...`: the lexer makes the magic one token */
        advance(p);
        n = node_at(p, TQ_N_MAGIC, t);
        split_magic(p, n, t->str, t->str_len);
        if (!n->name[0])
            fail_at(p, t->line, t->col, "invalid syntax");
        return n;
    case TQ_TOK_NAME:
        advance(p);
        n = node_at(p, TQ_N_NAME, t);
        n->name = t->str;
        n->hash = tq_hash_bytes(t->str, t->str_len);
        return n;
    case TQ_TOK_INT:
        if (t->flags)
            fail(p, "integer literal too large (Tabula ints are 64-bit)");
        advance(p);
        n = node_at(p, TQ_N_INT, t);
        n->ival = t->ival;
        return n;
    case TQ_TOK_FLOAT:
        advance(p);
        n = node_at(p, TQ_N_FLOAT, t);
        n->fval = t->fval;
        return n;
    case TQ_TOK_STRING:
        return parse_strings(p);
    case TQ_TOK_KW_None:
        advance(p);
        return node_at(p, TQ_N_NONE, t);
    case TQ_TOK_KW_True:
        advance(p);
        return node_at(p, TQ_N_TRUE, t);
    case TQ_TOK_KW_False:
        advance(p);
        return node_at(p, TQ_N_FALSE, t);
    case TQ_TOK_LPAR: {
        advance(p);
        enter(p);
        if (accept(p, TQ_TOK_RPAR)) {
            p->nesting--;
            return finish(p, node_at(p, TQ_N_TUPLE, t));
        }
        tq_node_t *first = parse_test(p);
        if (kind(p) == TQ_TOK_KW_for) {
            n = node_at(p, TQ_N_LISTCOMP, t);
            n->a = first;
            parse_comp_for(p, n);
            expect(p, TQ_TOK_RPAR, "invalid syntax");
            p->nesting--;
            return finish(p, n);
        }
        if (kind(p) != TQ_TOK_COMMA) {
            expect(p, TQ_TOK_RPAR, "invalid syntax");
            p->nesting--;
            return first;
        }
        vec_t items = {0};
        vec_push(p, &items, first);
        while (accept(p, TQ_TOK_COMMA)) {
            if (kind(p) == TQ_TOK_RPAR)
                break;
            vec_push(p, &items, parse_test(p));
        }
        expect(p, TQ_TOK_RPAR, "invalid syntax");
        p->nesting--;
        n = node_at(p, TQ_N_TUPLE, t);
        n->list = vec_list(&items);
        return finish(p, n);
    }
    case TQ_TOK_LSQB: {
        advance(p);
        enter(p);
        n = node_at(p, TQ_N_LIST, t);
        if (accept(p, TQ_TOK_RSQB)) {
            p->nesting--;
            return finish(p, n);
        }
        tq_node_t *first;
        if (accept(p, TQ_TOK_STAR)) {
            first = node_at(p, TQ_N_STARRED, &p->t[p->pos - 1]);
            first->a = parse_binary(p, PREC_BOR);
        } else {
            first = parse_test(p);
        }
        if (kind(p) == TQ_TOK_KW_for && first->kind != TQ_N_STARRED) {
            n->kind = TQ_N_LISTCOMP;
            n->a = first;
            parse_comp_for(p, n);
            expect(p, TQ_TOK_RSQB, "invalid syntax");
            p->nesting--;
            return finish(p, n);
        }
        vec_t items = {0};
        vec_push(p, &items, first);
        while (accept(p, TQ_TOK_COMMA)) {
            if (kind(p) == TQ_TOK_RSQB)
                break;
            if (accept(p, TQ_TOK_STAR)) {
                tq_node_t *s = node_at(p, TQ_N_STARRED, &p->t[p->pos - 1]);
                s->a = parse_binary(p, PREC_BOR);
                vec_push(p, &items, s);
            } else {
                vec_push(p, &items, parse_test(p));
            }
        }
        expect(p, TQ_TOK_RSQB, "invalid syntax");
        p->nesting--;
        n->list = vec_list(&items);
        return finish(p, n);
    }
    case TQ_TOK_LBRACE: {
        advance(p);
        enter(p);
        n = node_at(p, TQ_N_DICT, t);
        vec_t keys = {0}, values = {0};
        while (kind(p) != TQ_TOK_RBRACE) {
            if (accept(p, TQ_TOK_DSTAR)) {
                tq_node_t *d = node_at(p, TQ_N_DSTARRED, &p->t[p->pos - 1]);
                d->a = parse_binary(p, PREC_BOR);
                vec_push(p, &keys, d);
                vec_push(p, &values, d);
            } else {
                vec_push(p, &keys, parse_test(p));
                if (kind(p) != TQ_TOK_COLON)
                    fail(p, "set literals are not supported: use a list");
                advance(p);
                vec_push(p, &values, parse_test(p));
                if (keys.len == 1 && kind(p) == TQ_TOK_KW_for) {
                    /* {key: value for target in iterable if cond} */
                    n->kind = TQ_N_DICTCOMP;
                    n->a = keys.items[0];
                    n->d = values.items[0];
                    parse_comp_for(p, n);
                    expect(p, TQ_TOK_RBRACE, "invalid syntax");
                    p->nesting--;
                    return finish(p, n);
                }
            }
            if (!accept(p, TQ_TOK_COMMA))
                break;
        }
        expect(p, TQ_TOK_RBRACE, "invalid syntax");
        p->nesting--;
        n->list = vec_list(&keys);
        n->list2 = vec_list(&values);
        return finish(p, n);
    }
    case TQ_TOK_END:
        fail(p, "unexpected EOF while parsing");
    case TQ_TOK_INDENT:
        fail(p, "unexpected indent");
    default:
        fail(p, "invalid syntax");
    }
}

/* arglist -> [argument (',' argument)* [',']]
 * argument -> test [comp_for] | NAME '=' test | '*' test | '**' test */
/* A set of names in the parser's arena (open addressing, linear probing),
 * so that a call with 100,000 keyword arguments is checked for repeats
 * in linear time. Zero-initialise before use. */
typedef struct name_set {
    const char **slots;
    size_t cap, count;
} name_set_t;

static size_t name_slot(const char *const *slots, size_t cap,
                        const char *name)
{
    assert(cap && (cap & (cap - 1)) == 0);
    size_t j = (size_t)tq_hash_bytes(name, strlen(name)) & (cap - 1);
    while (slots[j] && strcmp(slots[j], name) != 0)
        j = (j + 1) & (cap - 1);
    return j;
}

/* Adds name (kept by pointer; it lives in the arena); false when the set
 * already holds it. */
static bool name_set_add(parser_t *p, name_set_t *set, const char *name)
{
    if (2 * (set->count + 1) > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        const char **slots = tq_arena_alloc(p->arena, cap * sizeof *slots);
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i])
                slots[name_slot(slots, cap, set->slots[i])] = set->slots[i];
        set->slots = slots;
        set->cap = cap;
    }
    size_t j = name_slot(set->slots, set->cap, name);
    if (set->slots[j])
        return false;
    set->slots[j] = name;
    set->count++;
    return true;
}

static tq_nodelist_t parse_arglist(parser_t *p, tq_tok_kind_t close)
{
    vec_t args = {0};
    name_set_t kwnames = {0};
    bool seen_kw = false, seen_dstar = false;
    while (kind(p) != close) {
        tq_token_t *t = cur(p);
        tq_node_t *a;
        if (accept(p, TQ_TOK_STAR)) {
            if (seen_dstar)
                fail_at(p, t->line, t->col,
                        "iterable argument unpacking follows keyword argument "
                        "unpacking");
            a = node_at(p, TQ_N_STARRED, t);
            a->a = parse_test(p);
        } else if (accept(p, TQ_TOK_DSTAR)) {
            a = node_at(p, TQ_N_DSTARRED, t);
            a->a = parse_test(p);
            seen_dstar = true;
        } else if (t->kind == TQ_TOK_NAME && peek_kind(p, 1) == TQ_TOK_ASSIGN) {
            advance(p);
            advance(p);
            if (!name_set_add(p, &kwnames, t->str))
                fail_at(p, t->line, t->col, "keyword argument repeated: %s",
                        t->str);
            a = node_at(p, TQ_N_KWARG, t);
            a->name = t->str;
            a->a = parse_test(p);
            seen_kw = true;
        } else {
            a = parse_test(p);
            if (kind(p) == TQ_TOK_KW_for) {
                tq_node_t *comp = node_from(p, TQ_N_LISTCOMP, a);
                comp->a = a;
                parse_comp_for(p, comp);
                a = finish(p, comp);
            } else if (kind(p) == TQ_TOK_ASSIGN) {
                fail(p, "expression cannot contain assignment, perhaps you "
                        "meant \"==\"?");
            }
            if (seen_dstar)
                fail_at(p, a->line, a->col,
                        "positional argument follows keyword argument "
                        "unpacking");
            if (seen_kw)
                fail_at(p, a->line, a->col,
                        "positional argument follows keyword argument");
        }
        vec_push(p, &args, finish(p, a));
        if (!accept(p, TQ_TOK_COMMA))
            break;
    }
    return vec_list(&args);
}

/* subscript -> test | [test] ':' [test] [':' [test]] */
static tq_node_t *parse_subscript(parser_t *p)
{
    tq_token_t *t = cur(p);
    tq_node_t *start = NULL;
    if (kind(p) != TQ_TOK_COLON)
        start = parse_test(p);
    if (kind(p) != TQ_TOK_COLON)
        return start;
    tq_node_t *s = node_at(p, TQ_N_SLICE, t);
    advance(p);
    s->a = start;
    tq_tok_kind_t k = kind(p);
    if (k != TQ_TOK_COLON && k != TQ_TOK_COMMA && k != TQ_TOK_RSQB)
        s->b = parse_test(p);
    if (accept(p, TQ_TOK_COLON)) {
        k = kind(p);
        if (k != TQ_TOK_COMMA && k != TQ_TOK_RSQB)
            s->c = parse_test(p);
    }
    return finish(p, s);
}

/* primary -> atom trailer*
 * trailer -> '(' arglist ')' | '[' subscriptlist ']' | '.' NAME */
static tq_node_t *parse_primary(parser_t *p)
{
    tq_node_t *e = parse_atom(p);
    for (;;) {
        tq_token_t *t = cur(p);
        if (t->kind == TQ_TOK_LPAR) {
            advance(p);
            enter(p);
            tq_node_t *c = node_from(p, TQ_N_CALL, e);
            c->a = e;
            c->list = parse_arglist(p, TQ_TOK_RPAR);
            expect(p, TQ_TOK_RPAR, "invalid syntax");
            p->nesting--;
            e = finish(p, c);
        } else if (t->kind == TQ_TOK_LSQB) {
            advance(p);
            enter(p);
            tq_node_t *s = node_from(p, TQ_N_SUBSCRIPT, e);
            s->a = e;
            tq_node_t *first = parse_subscript(p);
            if (kind(p) == TQ_TOK_COMMA) {
                tq_node_t *tup = node_from(p, TQ_N_TUPLE, first);
                vec_t items = {0};
                vec_push(p, &items, first);
                while (accept(p, TQ_TOK_COMMA)) {
                    if (kind(p) == TQ_TOK_RSQB)
                        break;
                    vec_push(p, &items, parse_subscript(p));
                }
                tup->list = vec_list(&items);
                first = finish(p, tup);
            }
            s->b = first;
            expect(p, TQ_TOK_RSQB, "invalid syntax");
            p->nesting--;
            e = finish(p, s);
        } else if (t->kind == TQ_TOK_DOT) {
            advance(p);
            tq_token_t *name = cur(p);
            if (name->kind != TQ_TOK_NAME)
                fail(p, "invalid syntax");
            advance(p);
            tq_node_t *a = node_from(p, TQ_N_ATTR, e);
            a->a = e;
            a->name = name->str;
            e = finish(p, a);
        } else {
            return e;
        }
    }
}

/* power -> primary ['**' unary] */
static tq_node_t *parse_power(parser_t *p)
{
    tq_node_t *e = parse_primary(p);
    if (kind(p) == TQ_TOK_DSTAR) {
        advance(p);
        enter(p);
        tq_node_t *b = node_from(p, TQ_N_BINOP, e);
        b->op = TQ_OP_POW;
        b->a = e;
        b->b = parse_unary(p);
        p->nesting--;
        return finish(p, b);
    }
    return e;
}

/* unary -> ('-' | '+' | '~') unary | power */
static tq_node_t *parse_unary(parser_t *p)
{
    tq_token_t *t = cur(p);
    int op;
    switch (t->kind) {
    case TQ_TOK_MINUS: op = TQ_UOP_NEG; break;
    case TQ_TOK_PLUS: op = TQ_UOP_POS; break;
    case TQ_TOK_TILDE: op = TQ_UOP_INVERT; break;
    default: return parse_power(p);
    }
    advance(p);
    /* -9223372036854775808 is the one literal whose magnitude overflows. */
    if (op == TQ_UOP_NEG && kind(p) == TQ_TOK_INT && cur(p)->flags &&
        peek_kind(p, 1) != TQ_TOK_DSTAR) {
        tq_node_t *n = node_at(p, TQ_N_INT, t);
        n->ival = INT64_MIN;
        advance(p);
        return finish(p, n);
    }
    enter(p);
    tq_node_t *n = node_at(p, TQ_N_UNOP, t);
    n->op = op;
    n->a = parse_unary(p);
    p->nesting--;
    return finish(p, n);
}

/* or_test -> and_test ('or' and_test)*   ... down to
 * term -> unary (('*' | '/' | '//' | '%') unary)*
 * not_test -> 'not' not_test | comparison
 * comparison -> bor (comp_op bor)*       (chained) */
static tq_node_t *parse_binary(parser_t *p, int min_prec)
{
    tq_node_t *left;
    enter(p);
    if (kind(p) == TQ_TOK_KW_not && min_prec <= PREC_NOT) {
        tq_token_t *t = advance(p);
        left = node_at(p, TQ_N_UNOP, t);
        left->op = TQ_UOP_NOT;
        left->a = parse_binary(p, PREC_NOT);
        finish(p, left);
    } else {
        left = parse_unary(p);
    }
    for (;;) {
        int op, ntok;
        int prec = binary_prec(p, &op, &ntok);
        if (prec == 0 || prec < min_prec)
            break;
        if (prec == PREC_CMP) {
            vec_t operands = {0};
            int ops[64];
            size_t nops = 0;
            vec_push(p, &operands, left);
            while ((prec = binary_prec(p, &op, &ntok)) == PREC_CMP) {
                if (nops == 64)
                    fail(p, "too many chained comparisons");
                for (int i = 0; i < ntok; i++)
                    advance(p);
                ops[nops++] = op;
                vec_push(p, &operands, parse_binary(p, PREC_CMP + 1));
            }
            tq_node_t *c = node_from(p, TQ_N_COMPARE, left);
            c->list = vec_list(&operands);
            c->ops = tq_arena_alloc(p->arena, nops * sizeof *c->ops);
            memcpy(c->ops, ops, nops * sizeof *ops);
            c->op = (int)nops;
            left = finish(p, c);
            continue;
        }
        for (int i = 0; i < ntok; i++)
            advance(p);
        tq_node_t *right = parse_binary(p, prec + 1);
        tq_node_t *b;
        if (op == -1 || op == -2) {
            b = node_from(p, op == -1 ? TQ_N_OR : TQ_N_AND, left);
        } else {
            b = node_from(p, TQ_N_BINOP, left);
            b->op = op;
        }
        b->a = left;
        b->b = right;
        left = finish(p, b);
    }
    p->nesting--;
    return left;
}

static tq_nodelist_t parse_params(parser_t *p, tq_tok_kind_t close);

/* test -> or_test ['if' or_test 'else' test] | lambdef */
static tq_node_t *parse_test(parser_t *p)
{
    if (kind(p) == TQ_TOK_KW_lambda) {
        tq_token_t *t = advance(p);
        /* A lambda's body nests like a parenthesis: CPython's own parser
         * gives up on 'lambda: ' * 300000 (its stack overflows), with the
         * message used here. */
        if (++p->nesting > MAX_NESTING)
            fail(p, "Parser stack overflowed - Python source too complex "
                    "to parse");
        tq_node_t *l = node_at(p, TQ_N_LAMBDA, t);
        l->list = parse_params(p, TQ_TOK_COLON);
        expect(p, TQ_TOK_COLON, "expected ':'");
        p->func_depth++;
        l->a = parse_test(p);
        p->func_depth--;
        p->nesting--;
        return finish(p, l);
    }
    tq_node_t *e = parse_binary(p, PREC_OR);
    if (kind(p) != TQ_TOK_KW_if)
        return e;
    advance(p);
    enter(p);
    tq_node_t *n = node_from(p, TQ_N_IFEXP, e);
    n->a = e;
    n->b = parse_binary(p, PREC_OR);
    if (kind(p) != TQ_TOK_KW_else)
        fail(p, "expected 'else' after 'if' expression");
    advance(p);
    n->c = parse_test(p);
    p->nesting--;
    return finish(p, n);
}

static bool starts_expr(tq_tok_kind_t k)
{
    switch (k) {
    case TQ_TOK_NAME: case TQ_TOK_INT: case TQ_TOK_FLOAT: case TQ_TOK_STRING:
    case TQ_TOK_KW_None: case TQ_TOK_KW_True: case TQ_TOK_KW_False:
    case TQ_TOK_LPAR: case TQ_TOK_LSQB: case TQ_TOK_LBRACE:
    case TQ_TOK_MINUS: case TQ_TOK_PLUS: case TQ_TOK_TILDE:
    case TQ_TOK_KW_not: case TQ_TOK_KW_lambda: case TQ_TOK_STAR:
        return true;
    default:
        return false;
    }
}

/* testlist -> test (',' test)* [','] ; a tuple when there is a comma.
 * '*' test items are allowed (for targets and list displays). */
static tq_node_t *parse_testlist(parser_t *p)
{
    tq_token_t *t = cur(p);
    tq_node_t *first;
    if (accept(p, TQ_TOK_STAR)) {
        first = node_at(p, TQ_N_STARRED, t);
        first->a = parse_binary(p, PREC_BOR);
        finish(p, first);
    } else {
        first = parse_test(p);
    }
    if (kind(p) != TQ_TOK_COMMA) {
        if (first->kind == TQ_N_STARRED)
            fail_at(p, first->line, first->col,
                    "can't use starred expression here");
        return first;
    }
    vec_t items = {0};
    vec_push(p, &items, first);
    while (accept(p, TQ_TOK_COMMA)) {
        if (!starts_expr(kind(p)))
            break;
        tq_token_t *s = cur(p);
        if (accept(p, TQ_TOK_STAR)) {
            tq_node_t *st = node_at(p, TQ_N_STARRED, s);
            st->a = parse_binary(p, PREC_BOR);
            vec_push(p, &items, finish(p, st));
        } else {
            vec_push(p, &items, parse_test(p));
        }
    }
    tq_node_t *tup = node_from(p, TQ_N_TUPLE, first);
    tup->list = vec_list(&items);
    return finish(p, tup);
}

/* exprlist -> bor (',' bor)* [','] ; for-loop and comprehension targets */
static tq_node_t *parse_exprlist(parser_t *p)
{
    tq_node_t *first = parse_binary(p, PREC_BOR);
    if (kind(p) != TQ_TOK_COMMA)
        return first;
    vec_t items = {0};
    vec_push(p, &items, first);
    while (accept(p, TQ_TOK_COMMA)) {
        if (kind(p) == TQ_TOK_KW_in)
            break;
        vec_push(p, &items, parse_binary(p, PREC_BOR));
    }
    tq_node_t *tup = node_from(p, TQ_N_TUPLE, first);
    tup->list = vec_list(&items);
    return finish(p, tup);
}

/* What a target that is not assignable is called in Python's messages. */
static const char *target_desc(const tq_node_t *n)
{
    switch (n->kind) {
    case TQ_N_CALL: return "function call";
    case TQ_N_INT: case TQ_N_FLOAT: case TQ_N_STR: return "literal";
    case TQ_N_FSTRING: return "f-string expression";
    case TQ_N_NONE: return "None";
    case TQ_N_TRUE: return "True";
    case TQ_N_FALSE: return "False";
    case TQ_N_COMPARE: return "comparison";
    case TQ_N_IFEXP: return "conditional expression";
    case TQ_N_LAMBDA: return "lambda";
    case TQ_N_DICT: return "dict literal";
    case TQ_N_LISTCOMP: return "list comprehension";
    case TQ_N_TUPLE: return "tuple";
    case TQ_N_LIST: return "list";
    default: return "expression";
    }
}

/* Checks that `n` can be assigned to. `how` is 0 for '=', 1 for for/del. */
static void check_target(parser_t *p, const tq_node_t *n, int how)
{
    switch (n->kind) {
    case TQ_N_NAME: case TQ_N_ATTR: case TQ_N_SUBSCRIPT:
        return;
    case TQ_N_STARRED:
        check_target(p, n->a, how);
        return;
    case TQ_N_TUPLE: case TQ_N_LIST:
        for (size_t i = 0; i < n->list.len; i++)
            check_target(p, n->list.items[i], how);
        return;
    case TQ_N_NONE: case TQ_N_TRUE: case TQ_N_FALSE:
        fail_at(p, n->line, n->col, "cannot assign to %s", target_desc(n));
    default:
        if (how == 0)
            fail_at(p, n->line, n->col,
                    "cannot assign to %s here. Maybe you meant '==' instead "
                    "of '='?", target_desc(n));
        fail_at(p, n->line, n->col, "cannot assign to %s", target_desc(n));
    }
}

static int augassign_op(tq_tok_kind_t k)
{
    switch (k) {
    case TQ_TOK_PLUSEQ: return TQ_OP_ADD;
    case TQ_TOK_MINUSEQ: return TQ_OP_SUB;
    case TQ_TOK_STAREQ: return TQ_OP_MUL;
    case TQ_TOK_SLASHEQ: return TQ_OP_DIV;
    case TQ_TOK_DSLASHEQ: return TQ_OP_FLOORDIV;
    case TQ_TOK_PERCENTEQ: return TQ_OP_MOD;
    case TQ_TOK_DSTAREQ: return TQ_OP_POW;
    case TQ_TOK_AMPEQ: return TQ_OP_AND;
    case TQ_TOK_PIPEEQ: return TQ_OP_OR;
    case TQ_TOK_CARETEQ: return TQ_OP_XOR;
    default: return -1;
    }
}

/* Splits a magic line "name args" into the node's name and sval. */
static void split_magic(parser_t *p, tq_node_t *n, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t ns = i;
    while (i < len && s[i] != ' ' && s[i] != '\t')
        i++;
    n->name = tq_arena_strndup(p->arena, s + ns, i - ns);
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t end = len;
    while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t' ||
                       s[end - 1] == '\r'))
        end--;
    n->sval = tq_arena_strndup(p->arena, s + i, end - i);
    n->slen = end - i;
}

/* small_stmt -> expr_stmt | 'pass' | 'break' | 'continue'
 *             | 'return' [testlist] | 'del' exprlist | 'global' NAME+
 *             | 'raise' [test] | 'assert' test [',' test] | MAGIC
 * expr_stmt -> testlist (augassign testlist | ('=' testlist)*) */
static tq_node_t *parse_small(parser_t *p)
{
    tq_token_t *t = cur(p);
    tq_node_t *n;
    switch (t->kind) {
    case TQ_TOK_KW_pass:
        advance(p);
        return node_at(p, TQ_N_PASS, t);
    case TQ_TOK_KW_break:
        if (!p->loop_depth)
            fail(p, "'break' outside loop");
        advance(p);
        return node_at(p, TQ_N_BREAK, t);
    case TQ_TOK_KW_continue:
        if (!p->loop_depth)
            fail(p, "'continue' not properly in loop");
        advance(p);
        return node_at(p, TQ_N_CONTINUE, t);
    case TQ_TOK_KW_return:
        if (!p->func_depth)
            fail(p, "'return' outside function");
        advance(p);
        n = node_at(p, TQ_N_RETURN, t);
        if (starts_expr(kind(p)))
            n->a = parse_testlist(p);
        return finish(p, n);
    case TQ_TOK_KW_del: {
        advance(p);
        n = node_at(p, TQ_N_DEL, t);
        tq_node_t *targets = parse_exprlist(p);
        if (targets->kind == TQ_N_TUPLE && targets->line == t->line &&
            targets != NULL) {
            n->list = targets->list;
        } else {
            n->list.items = tq_arena_alloc(p->arena, sizeof(tq_node_t *));
            n->list.items[0] = targets;
            n->list.len = 1;
        }
        for (size_t i = 0; i < n->list.len; i++) {
            tq_node_t *x = n->list.items[i];
            if (x->kind != TQ_N_NAME && x->kind != TQ_N_SUBSCRIPT &&
                x->kind != TQ_N_ATTR)
                fail_at(p, x->line, x->col, "cannot delete %s",
                        target_desc(x));
        }
        return finish(p, n);
    }
    case TQ_TOK_KW_nonlocal:
        fail(p, "nonlocal is not supported: an inner function sees a "
                "snapshot of the enclosing function's names");
    case TQ_TOK_KW_global: {
        advance(p);
        n = node_at(p, TQ_N_GLOBAL, t);
        vec_t names = {0};
        do {
            tq_token_t *nt = cur(p);
            if (nt->kind != TQ_TOK_NAME)
                fail(p, "invalid syntax");
            advance(p);
            tq_node_t *x = node_at(p, TQ_N_NAME, nt);
            x->name = nt->str;
            x->hash = tq_hash_bytes(nt->str, nt->str_len);
            vec_push(p, &names, x);
        } while (accept(p, TQ_TOK_COMMA));
        n->list = vec_list(&names);
        return finish(p, n);
    }
    case TQ_TOK_KW_raise:
        advance(p);
        n = node_at(p, TQ_N_RAISE, t);
        if (starts_expr(kind(p)))
            n->a = parse_test(p);
        return finish(p, n);
    case TQ_TOK_KW_assert:
        advance(p);
        n = node_at(p, TQ_N_ASSERT, t);
        n->a = parse_test(p);
        if (accept(p, TQ_TOK_COMMA))
            n->b = parse_test(p);
        return finish(p, n);
    case TQ_TOK_MAGIC:
        advance(p);
        n = node_at(p, TQ_N_MAGIC, t);
        split_magic(p, n, t->str, t->str_len);
        if (!n->name[0])
            fail_at(p, t->line, t->col, "invalid syntax");
        return n;
    case TQ_TOK_KW_import: case TQ_TOK_KW_from:
        fail(p, "import is not supported: Tabula has no modules (tables are "
                "already names)");
    case TQ_TOK_INDENT:
        fail(p, "unexpected indent");
    default:
        break;
    }
    /* print "x": Python 2 habits get Python 3's hint. */
    if (t->kind == TQ_TOK_NAME && strcmp(t->str, "print") == 0 &&
        (peek_kind(p, 1) == TQ_TOK_STRING || peek_kind(p, 1) == TQ_TOK_NAME ||
         peek_kind(p, 1) == TQ_TOK_INT))
        fail(p, "Missing parentheses in call to 'print'. Did you mean "
                "print(...)?");
    tq_node_t *e = parse_testlist(p);
    int aop = augassign_op(kind(p));
    if (aop >= 0) {
        if (e->kind != TQ_N_NAME && e->kind != TQ_N_ATTR &&
            e->kind != TQ_N_SUBSCRIPT)
            fail_at(p, e->line, e->col,
                    "'%s' is an illegal expression for augmented assignment",
                    target_desc(e));
        advance(p);
        n = node_from(p, TQ_N_AUGASSIGN, e);
        n->op = aop;
        n->a = e;
        n->b = parse_testlist(p);
        return finish(p, n);
    }
    if (kind(p) == TQ_TOK_ASSIGN) {
        vec_t targets = {0};
        tq_node_t *value = e;
        while (accept(p, TQ_TOK_ASSIGN)) {
            check_target(p, value, 0);
            vec_push(p, &targets, value);
            value = parse_testlist(p);
        }
        n = node_from(p, TQ_N_ASSIGN, e);
        n->list = vec_list(&targets);
        n->a = value;
        return finish(p, n);
    }
    if (kind(p) == TQ_TOK_COLON)
        fail(p, "invalid syntax (annotations are not supported)");
    n = node_from(p, TQ_N_EXPR, e);
    n->a = e;
    return finish(p, n);
}

/* simple_stmts -> small_stmt (';' small_stmt)* [';'] NEWLINE */
static void parse_simple(parser_t *p, vec_t *out)
{
    for (;;) {
        tq_node_t *s = parse_small(p);
        vec_push(p, out, s);
        if (accept(p, TQ_TOK_SEMI)) {
            if (kind(p) == TQ_TOK_NEWLINE || kind(p) == TQ_TOK_END) {
                s->flag = true;
                break;
            }
            continue;
        }
        break;
    }
    if (kind(p) == TQ_TOK_END)
        return;
    if (!accept(p, TQ_TOK_NEWLINE))
        fail(p, "invalid syntax");
}

/* block -> simple_stmts | NEWLINE INDENT stmt+ DEDENT */
static tq_nodelist_t parse_block(parser_t *p, const char *what, int line)
{
    vec_t body = {0};
    if (!accept(p, TQ_TOK_NEWLINE)) {
        if (kind(p) == TQ_TOK_END) {
            p->err->eof = true;
            fail_at(p, cur(p)->line, cur(p)->col,
                    "expected an indented block after %s on line %d", what,
                    line);
        }
        parse_simple(p, &body);
        return vec_list(&body);
    }
    if (kind(p) != TQ_TOK_INDENT) {
        tq_tok_kind_t k = kind(p);
        p->err->eof = k == TQ_TOK_END;
        fail_at(p, cur(p)->line, cur(p)->col,
                "expected an indented block after %s on line %d", what, line);
    }
    advance(p);
    enter(p);
    while (kind(p) != TQ_TOK_DEDENT && kind(p) != TQ_TOK_END)
        parse_statement(p, &body);
    accept(p, TQ_TOK_DEDENT);
    p->nesting--;
    return vec_list(&body);
}

static void expect_colon(parser_t *p)
{
    if (!accept(p, TQ_TOK_COLON))
        fail(p, "expected ':'");
}

/* params -> [param (',' param)*] ; param -> NAME ['=' test] | '*' NAME
 *         | '**' NAME */
static tq_nodelist_t parse_params(parser_t *p, tq_tok_kind_t close)
{
    vec_t params = {0};
    name_set_t names = {0};
    bool seen_default = false, seen_star = false;
    while (kind(p) != close) {
        tq_token_t *t = cur(p);
        int star = 0;
        if (accept(p, TQ_TOK_STAR))
            star = 1;
        else if (accept(p, TQ_TOK_DSTAR))
            star = 2;
        tq_token_t *nt = cur(p);
        if (star == 1 && (nt->kind == TQ_TOK_COMMA || nt->kind == close)) {
            /* A bare '*': the parameters after it are keyword-only. */
            if (seen_star)
                fail(p, "* argument may appear only once");
            if (nt->kind == close || peek_kind(p, 1) == close)
                fail(p, "named arguments must follow bare *");
            tq_node_t *mark = node_at(p, TQ_N_PARAM, t);
            mark->name = "*";
            mark->op = 3;
            seen_star = true;
            vec_push(p, &params, mark);
            advance(p);
            continue;
        }
        if (nt->kind != TQ_TOK_NAME)
            fail(p, "invalid syntax");
        advance(p);
        if (!name_set_add(p, &names, nt->str))
            fail_at(p, nt->line, nt->col,
                    "duplicate argument '%s' in function definition",
                    nt->str);
        tq_node_t *prm = node_at(p, TQ_N_PARAM, t);
        prm->name = nt->str;
        prm->op = star;
        if (star == 0 && accept(p, TQ_TOK_ASSIGN)) {
            prm->a = parse_test(p);
            seen_default = true;
        } else if (star == 0 && seen_default && !seen_star) {
            fail_at(p, nt->line, nt->col,
                    "non-default argument follows default argument");
        }
        if (star == 1)
            seen_star = true;
        vec_push(p, &params, finish(p, prm));
        if (star == 2 && kind(p) == TQ_TOK_COMMA &&
            peek_kind(p, 1) != close)
            fail(p, "arguments cannot follow var-keyword argument");
        if (!accept(p, TQ_TOK_COMMA))
            break;
    }
    return vec_list(&params);
}

/* funcdef -> 'def' NAME '(' params ')' ['->' test] ':' block */
static tq_node_t *parse_def(parser_t *p, tq_nodelist_t decorators)
{
    tq_token_t *t = advance(p);
    tq_token_t *nt = cur(p);
    if (nt->kind != TQ_TOK_NAME)
        fail(p, "invalid syntax");
    advance(p);
    tq_node_t *n = node_at(p, TQ_N_DEF, t);
    n->name = nt->str;
    n->list3 = decorators;
    if (kind(p) != TQ_TOK_LPAR)
        fail(p, "expected '('");
    advance(p);
    n->list = parse_params(p, TQ_TOK_RPAR);
    expect(p, TQ_TOK_RPAR, "invalid syntax");
    if (accept(p, TQ_TOK_ARROW))
        parse_test(p);
    expect_colon(p);
    int saved_loop = p->loop_depth;
    p->loop_depth = 0;
    p->func_depth++;
    n->list2 = parse_block(p, "function definition", t->line);
    p->func_depth--;
    p->loop_depth = saved_loop;
    return n;
}

/* classdef -> 'class' NAME ['(' arglist ')'] ':' block */
static tq_node_t *parse_class(parser_t *p, tq_nodelist_t decorators)
{
    tq_token_t *t = advance(p);
    tq_token_t *nt = cur(p);
    if (nt->kind != TQ_TOK_NAME)
        fail(p, "invalid syntax");
    advance(p);
    tq_node_t *n = node_at(p, TQ_N_CLASS, t);
    n->name = nt->str;
    n->list3 = decorators;
    if (accept(p, TQ_TOK_LPAR)) {
        n->list = parse_arglist(p, TQ_TOK_RPAR);
        expect(p, TQ_TOK_RPAR, "invalid syntax");
    }
    expect_colon(p);
    int saved_loop = p->loop_depth, saved_func = p->func_depth;
    p->loop_depth = 0;
    p->func_depth = 0;
    n->list2 = parse_block(p, "class definition", t->line);
    p->loop_depth = saved_loop;
    p->func_depth = saved_func;
    return n;
}

/* if_stmt -> 'if' test ':' block ('elif' test ':' block)*
 *            ['else' ':' block] */
static tq_node_t *parse_if(parser_t *p)
{
    /* Each elif becomes an IF alone in the else block of the one before;
     * the chain is built in a loop, so 60,000 elifs need no deep C stack. */
    tq_node_t *first = NULL, *last = NULL;
    for (;;) {
        tq_token_t *t = advance(p);
        tq_node_t *n = node_at(p, TQ_N_IF, t);
        n->a = parse_test(p);
        expect_colon(p);
        n->list = parse_block(p, t->kind == TQ_TOK_KW_if ? "'if' statement"
                                                         : "'elif' statement",
                              t->line);
        if (last) {
            last->list2.items = tq_arena_alloc(p->arena, sizeof(tq_node_t *));
            last->list2.items[0] = n;
            last->list2.len = 1;
        } else {
            first = n;
        }
        last = n;
        if (kind(p) == TQ_TOK_KW_elif)
            continue;
        if (kind(p) == TQ_TOK_KW_else) {
            tq_token_t *et = advance(p);
            expect_colon(p);
            n->list2 = parse_block(p, "'else' statement", et->line);
        }
        return first;
    }
}

/* while_stmt -> 'while' test ':' block ['else' ':' block]
 * for_stmt -> 'for' exprlist 'in' testlist ':' block ['else' ':' block] */
static tq_node_t *parse_loop(parser_t *p)
{
    tq_token_t *t = advance(p);
    bool is_for = t->kind == TQ_TOK_KW_for;
    tq_node_t *n = node_at(p, is_for ? TQ_N_FOR : TQ_N_WHILE, t);
    if (is_for) {
        n->a = parse_exprlist(p);
        check_target(p, n->a, 1);
        if (!accept(p, TQ_TOK_KW_in))
            fail(p, "invalid syntax");
        n->b = parse_testlist(p);
    } else {
        n->a = parse_test(p);
    }
    expect_colon(p);
    p->loop_depth++;
    n->list = parse_block(p, is_for ? "'for' statement" : "'while' statement",
                          t->line);
    p->loop_depth--;
    if (kind(p) == TQ_TOK_KW_else) {
        tq_token_t *et = advance(p);
        expect_colon(p);
        n->list2 = parse_block(p, "'else' statement", et->line);
    }
    return n;
}

/* try_stmt -> 'try' ':' block
 *             (('except' [test ['as' NAME]] ':' block)+
 *              ['else' ':' block] ['finally' ':' block]
 *             | 'finally' ':' block) */
static tq_node_t *parse_try(parser_t *p)
{
    tq_token_t *t = advance(p);
    tq_node_t *n = node_at(p, TQ_N_TRY, t);
    expect_colon(p);
    n->list = parse_block(p, "'try' statement", t->line);
    vec_t handlers = {0};
    bool bare_seen = false;
    while (kind(p) == TQ_TOK_KW_except) {
        tq_token_t *et = advance(p);
        tq_node_t *h = node_at(p, TQ_N_EXCEPT, et);
        if (bare_seen)
            fail_at(p, et->line, et->col, "default 'except:' must be last");
        if (kind(p) != TQ_TOK_COLON) {
            h->a = parse_test(p);
            if (accept(p, TQ_TOK_KW_as)) {
                tq_token_t *nt = cur(p);
                if (nt->kind != TQ_TOK_NAME)
                    fail(p, "invalid syntax");
                advance(p);
                h->name = nt->str;
            } else if (kind(p) == TQ_TOK_COMMA) {
                fail(p, "multiple exception types must be parenthesized");
            }
        } else {
            bare_seen = true;
        }
        expect_colon(p);
        h->list = parse_block(p, "'except' statement", et->line);
        vec_push(p, &handlers, h);
    }
    n->list2 = vec_list(&handlers);
    if (handlers.len && kind(p) == TQ_TOK_KW_else) {
        tq_token_t *et = advance(p);
        expect_colon(p);
        n->list3 = parse_block(p, "'else' statement", et->line);
    }
    if (kind(p) == TQ_TOK_KW_finally) {
        tq_token_t *ft = advance(p);
        expect_colon(p);
        n->list4 = parse_block(p, "'finally' statement", ft->line);
    } else if (!handlers.len) {
        fail(p, "expected 'except' or 'finally' block");
    }
    return n;
}

/* stmt -> compound_stmt | simple_stmts | CELL_MAGIC NEWLINE
 * decorated -> ('@' test NEWLINE)+ (funcdef | classdef) */
static void parse_statement(parser_t *p, vec_t *out)
{
    tq_token_t *t = cur(p);
    switch (t->kind) {
    case TQ_TOK_NEWLINE:
        advance(p);
        return;
    case TQ_TOK_INDENT:
        fail(p, "unexpected indent");
    case TQ_TOK_KW_if:
        vec_push(p, out, parse_if(p));
        return;
    case TQ_TOK_KW_while: case TQ_TOK_KW_for:
        vec_push(p, out, parse_loop(p));
        return;
    case TQ_TOK_KW_def: {
        tq_nodelist_t none = {0};
        vec_push(p, out, parse_def(p, none));
        return;
    }
    case TQ_TOK_KW_class: {
        tq_nodelist_t none = {0};
        vec_push(p, out, parse_class(p, none));
        return;
    }
    case TQ_TOK_AT: {
        vec_t decos = {0};
        while (accept(p, TQ_TOK_AT)) {
            vec_push(p, &decos, parse_test(p));
            expect(p, TQ_TOK_NEWLINE, "invalid syntax");
        }
        if (kind(p) == TQ_TOK_KW_def)
            vec_push(p, out, parse_def(p, vec_list(&decos)));
        else if (kind(p) == TQ_TOK_KW_class)
            vec_push(p, out, parse_class(p, vec_list(&decos)));
        else
            fail(p, "invalid syntax");
        return;
    }
    case TQ_TOK_CELL_MAGIC: {
        advance(p);
        tq_node_t *n = node_at(p, TQ_N_CELL_MAGIC, t);
        split_magic(p, n, t->str, t->str_len);
        n->body = t->body;
        n->ival = t->body_line;
        vec_push(p, out, n);
        accept(p, TQ_TOK_NEWLINE);
        return;
    }
    case TQ_TOK_KW_try:
        vec_push(p, out, parse_try(p));
        return;
    case TQ_TOK_KW_else: case TQ_TOK_KW_elif:
    case TQ_TOK_KW_except: case TQ_TOK_KW_finally:
    case TQ_TOK_KW_with: case TQ_TOK_KW_yield: case TQ_TOK_KW_async:
    case TQ_TOK_KW_await:
        fail(p, "invalid syntax");
    default:
        parse_simple(p, out);
    }
}

int tq_parse(tq_arena_t *arena, const char *src, size_t len,
             tq_nodelist_t *out, tq_syntax_error_t *err)
{
    parser_t p = {0};
    p.arena = arena;
    p.err = err;
    err->msg = NULL;
    err->eof = false;
    if (tq_lex(arena, src, len, 1, 0, false, &p.t, &p.n, err) < 0)
        return -1;
    if (setjmp(p.jmp))
        return -1;
    vec_t body = {0};
    while (kind(&p) != TQ_TOK_END) {
        if (kind(&p) == TQ_TOK_DEDENT) {
            advance(&p);
            continue;
        }
        parse_statement(&p, &body);
    }
    *out = vec_list(&body);
    return 0;
}

int tq_parse_expr(tq_arena_t *arena, const char *src, size_t len,
                  tq_node_t **out, tq_syntax_error_t *err)
{
    parser_t p = {0};
    p.arena = arena;
    p.err = err;
    err->msg = NULL;
    err->eof = false;
    if (tq_lex(arena, src, len, 1, 0, true, &p.t, &p.n, err) < 0)
        return -1;
    if (setjmp(p.jmp))
        return -1;
    *out = parse_testlist(&p);
    if (kind(&p) != TQ_TOK_END)
        fail(&p, "invalid syntax");
    return 0;
}

/* ---- S-expression dump */

static const char *binop_text(int op)
{
    static const char *const names[] = {
#define X(name, text) text,
        TQ_BINOPS(X)
#undef X
    };
    return op >= 0 && op < (int)(sizeof names / sizeof *names) ? names[op]
                                                               : "?";
}

static const char *unop_text(int op)
{
    static const char *const names[] = {
#define X(name, text) text,
        TQ_UNOPS(X)
#undef X
    };
    return op >= 0 && op < (int)(sizeof names / sizeof *names) ? names[op]
                                                               : "?";
}

static void dump(tq_buf_t *b, const tq_node_t *n);

static void dump_list(tq_buf_t *b, const tq_nodelist_t *l)
{
    tq_buf_addc(b, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            tq_buf_addc(b, ' ');
        dump(b, l->items[i]);
    }
    tq_buf_addc(b, ']');
}

static void dump_str(tq_buf_t *b, const char *s, size_t n)
{
    tq_buf_addc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\')
            tq_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            tq_buf_add(b, "\\n");
        else if (c < 0x20)
            tq_buf_printf(b, "\\x%02x", c);
        else
            tq_buf_addc(b, (char)c);
    }
    tq_buf_addc(b, '\'');
}

static void dump(tq_buf_t *b, const tq_node_t *n)
{
    if (!n) {
        tq_buf_add(b, "-");
        return;
    }
    switch (n->kind) {
    case TQ_N_NAME: tq_buf_add(b, n->name); return;
    case TQ_N_INT: tq_buf_printf(b, "%lld", (long long)n->ival); return;
    case TQ_N_FLOAT: tq_buf_printf(b, "%.17g", n->fval); return;
    case TQ_N_STR: dump_str(b, n->sval, n->slen); return;
    case TQ_N_NONE: tq_buf_add(b, "None"); return;
    case TQ_N_TRUE: tq_buf_add(b, "True"); return;
    case TQ_N_FALSE: tq_buf_add(b, "False"); return;
    default: break;
    }
    tq_buf_addc(b, '(');
    tq_buf_add(b, tq_node_kind_name(n->kind));
    switch (n->kind) {
    case TQ_N_BINOP: case TQ_N_AUGASSIGN:
        tq_buf_printf(b, " %s", binop_text(n->op));
        break;
    case TQ_N_UNOP:
        tq_buf_printf(b, " %s", unop_text(n->op));
        break;
    case TQ_N_COMPARE:
        for (int i = 0; i < n->op; i++)
            tq_buf_printf(b, " %s", binop_text(n->ops[i]));
        break;
    case TQ_N_FORMAT:
        if (n->op)
            tq_buf_printf(b, " !%c", n->op);
        break;
    case TQ_N_PARAM:
        tq_buf_printf(b, " %s%s", n->op == 1 ? "*" : n->op == 2 ? "**" : "",
                      n->op == 3 ? "*" : n->name);
        break;
    case TQ_N_KWARG: case TQ_N_ATTR: case TQ_N_DEF: case TQ_N_CLASS:
        tq_buf_printf(b, " %s", n->name);
        break;
    case TQ_N_EXCEPT:
        if (n->name)
            tq_buf_printf(b, " as %s", n->name);
        break;
    case TQ_N_MAGIC: case TQ_N_CELL_MAGIC:
        tq_buf_printf(b, " %s ", n->name);
        dump_str(b, n->sval, n->slen);
        if (n->body) {
            tq_buf_addc(b, ' ');
            dump_str(b, n->body, strlen(n->body));
        }
        break;
    case TQ_N_EXPR:
        if (n->flag)
            tq_buf_add(b, " ;");
        break;
    default:
        break;
    }
    const tq_node_t *kids[4] = {n->a, n->b, n->c, n->d};
    int nkids = 0;
    for (int i = 0; i < 4; i++)
        if (kids[i])
            nkids = i + 1;
    for (int i = 0; i < nkids; i++) {
        tq_buf_addc(b, ' ');
        dump(b, kids[i]);
    }
    if (n->list.len || n->list2.len || n->list3.len || n->list4.len ||
        n->kind == TQ_N_CALL || n->kind == TQ_N_TUPLE ||
        n->kind == TQ_N_LIST || n->kind == TQ_N_DICT || n->kind == TQ_N_DEF) {
        tq_buf_addc(b, ' ');
        dump_list(b, &n->list);
    }
    if (n->list2.len || n->list3.len || n->list4.len) {
        tq_buf_addc(b, ' ');
        dump_list(b, &n->list2);
    }
    if (n->list3.len || n->list4.len) {
        tq_buf_addc(b, ' ');
        dump_list(b, &n->list3);
    }
    if (n->list4.len) {
        tq_buf_addc(b, ' ');
        dump_list(b, &n->list4);
    }
    tq_buf_addc(b, ')');
}

char *tq_ast_dump(const tq_node_t *node)
{
    tq_buf_t b = {0};
    dump(&b, node);
    return tq_buf_take(&b);
}

char *tq_ast_dump_list(const tq_nodelist_t *list)
{
    tq_buf_t b = {0};
    for (size_t i = 0; i < list->len; i++) {
        dump(&b, list->items[i]);
        tq_buf_addc(&b, '\n');
    }
    return tq_buf_take(&b);
}
