/*
 * This file implements the lexer declared in lex.h: a hand-written scanner
 * driven by a character-class table (as SQLite's tokenizer is), producing
 * Python's token stream: INDENT/DEDENT from an indentation stack, NEWLINE
 * only outside brackets, implicit joining inside brackets, backslash
 * continuation, every string form with its escapes, ints and floats, and
 * Tabula's magic lines: `%name args`, a `%%name` cell, `x = %name args`
 * (NAME '=' MAGIC) and IPython's help lines (`obj?`, `?obj`, `obj??`,
 * `%magic?`, lexed as the magics `%pinfo obj` and `%pinfo2 obj`). Errors
 * use Python's wording.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in lex.h.
 */
#include "syntax/lex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Character classes. */
enum {
    CC_OTHER, CC_SPACE, CC_NL, CC_DIGIT, CC_ID, CC_QUOTE, CC_HASH, CC_OP,
    CC_BSLASH, CC_DOT, CC_HIGH,
};

static unsigned char cclass[256];

static void init_classes(void)
{
    static bool done;
    if (done)
        return;
    for (int c = 0; c < 256; c++) {
        unsigned char k = CC_OTHER;
        if (c == ' ' || c == '\t' || c == '\f' || c == '\r')
            k = CC_SPACE;
        else if (c == '\n')
            k = CC_NL;
        else if (c >= '0' && c <= '9')
            k = CC_DIGIT;
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
            k = CC_ID;
        else if (c == '\'' || c == '"')
            k = CC_QUOTE;
        else if (c == '#')
            k = CC_HASH;
        else if (c == '\\')
            k = CC_BSLASH;
        else if (c == '.')
            k = CC_DOT;
        else if (c >= 0x80)
            k = CC_HIGH;
        else if (strchr("()[]{}:,;@+-*/%&|^~<>=!", c))
            k = CC_OP;
        cclass[c] = k;
    }
    done = true;
}

static const char *const tok_names[] = {
#define X(name, text) text,
    TQ_TOKENS(X)
#undef X
#define X(name) #name,
    TQ_KEYWORDS(X)
#undef X
};

const char *tq_tok_name(tq_tok_kind_t kind)
{
    if (kind >= TQ_TOK__COUNT)
        return "?";
    return tok_names[kind];
}

/* Operators, longest first. */
static const struct {
    const char *text;
    tq_tok_kind_t kind;
} operators[] = {
    {"**=", TQ_TOK_DSTAREQ}, {"//=", TQ_TOK_DSLASHEQ},
    {"<<=", TQ_TOK_LSHIFTEQ}, {">>=", TQ_TOK_RSHIFTEQ},
    {"**", TQ_TOK_DSTAR}, {"//", TQ_TOK_DSLASH}, {"<<", TQ_TOK_LSHIFT},
    {">>", TQ_TOK_RSHIFT}, {"<=", TQ_TOK_LE}, {">=", TQ_TOK_GE},
    {"==", TQ_TOK_EQEQ}, {"!=", TQ_TOK_NE}, {"->", TQ_TOK_ARROW},
    {"+=", TQ_TOK_PLUSEQ}, {"-=", TQ_TOK_MINUSEQ}, {"*=", TQ_TOK_STAREQ},
    {"/=", TQ_TOK_SLASHEQ}, {"%=", TQ_TOK_PERCENTEQ}, {"&=", TQ_TOK_AMPEQ},
    {"|=", TQ_TOK_PIPEEQ}, {"^=", TQ_TOK_CARETEQ},
    {"(", TQ_TOK_LPAR}, {")", TQ_TOK_RPAR}, {"[", TQ_TOK_LSQB},
    {"]", TQ_TOK_RSQB}, {"{", TQ_TOK_LBRACE}, {"}", TQ_TOK_RBRACE},
    {":", TQ_TOK_COLON}, {",", TQ_TOK_COMMA}, {";", TQ_TOK_SEMI},
    {"@", TQ_TOK_AT}, {"+", TQ_TOK_PLUS}, {"-", TQ_TOK_MINUS},
    {"*", TQ_TOK_STAR}, {"/", TQ_TOK_SLASH}, {"%", TQ_TOK_PERCENT},
    {"&", TQ_TOK_AMP}, {"|", TQ_TOK_PIPE}, {"^", TQ_TOK_CARET},
    {"~", TQ_TOK_TILDE}, {"<", TQ_TOK_LT}, {">", TQ_TOK_GT},
    {"=", TQ_TOK_ASSIGN},
};

static const struct {
    const char *text;
    tq_tok_kind_t kind;
} keywords[] = {
#define X(name) {#name, TQ_TOK_KW_##name},
    TQ_KEYWORDS(X)
#undef X
};

#define MAX_DEPTH 200
#define MAX_INDENT 100

typedef struct lexer {
    tq_arena_t *arena;
    const char *src;
    size_t len, pos;
    int line;
    size_t line_start;   /* offset of the current line's first byte */
    int line0, col0;
    bool expr_mode;
    bool at_line_start;
    tq_token_t *toks;
    size_t ntoks, cap;
    int indents[MAX_INDENT];
    int nindents;
    char brackets[MAX_DEPTH];
    int bline[MAX_DEPTH], bcol[MAX_DEPTH];
    int depth;
    size_t magic_at;     /* `x = %magic`: offset of the '%', or 0 */
    tq_syntax_error_t *err;
} lexer_t;

static int col_of(const lexer_t *lx, size_t pos)
{
    int col = (int)(pos - lx->line_start);
    if (lx->line == lx->line0)
        col += lx->col0;
    return col;
}

__attribute__((format(printf, 5, 6)))
static int lex_error(lexer_t *lx, int line, int col, bool eof,
                     const char *fmt, ...)
{
    va_list ap;
    tq_buf_t b = {0};
    va_start(ap, fmt);
    tq_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    lx->err->msg = tq_arena_strndup(lx->arena, b.s ? b.s : "", b.len);
    tq_buf_free(&b);
    lx->err->line = line;
    lx->err->col = col;
    lx->err->eof = eof;
    return -1;
}

static tq_token_t *push(lexer_t *lx, tq_tok_kind_t kind, size_t start,
                        size_t end)
{
    tq_token_t t = {0};
    t.kind = kind;
    t.line = lx->line;
    t.col = col_of(lx, start);
    t.end_line = lx->line;
    t.end_col = col_of(lx, end);
    t.start = lx->src + start;
    t.len = end - start;
    TQ_PUSH(lx->toks, lx->ntoks, lx->cap, t);
    return &lx->toks[lx->ntoks - 1];
}

static bool line_has_tokens(const lexer_t *lx)
{
    if (!lx->ntoks)
        return false;
    tq_tok_kind_t k = lx->toks[lx->ntoks - 1].kind;
    return k != TQ_TOK_NEWLINE && k != TQ_TOK_INDENT && k != TQ_TOK_DEDENT;
}

/* Appends the UTF-8 encoding of cp. */
static void put_utf8(tq_buf_t *b, uint32_t cp)
{
    char s[4];
    if (cp < 0x80) {
        tq_buf_addc(b, (char)cp);
    } else if (cp < 0x800) {
        s[0] = (char)(0xC0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3F));
        tq_buf_addn(b, s, 2);
    } else if (cp < 0x10000) {
        s[0] = (char)(0xE0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[2] = (char)(0x80 | (cp & 0x3F));
        tq_buf_addn(b, s, 3);
    } else {
        s[0] = (char)(0xF0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        s[3] = (char)(0x80 | (cp & 0x3F));
        tq_buf_addn(b, s, 4);
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tq_unescape(tq_arena_t *arena, const char *s, size_t n, bool raw,
                char **out, size_t *out_len, const char **msg)
{
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\' || raw || i + 1 >= n) {
            tq_buf_addc(&b, c);
            continue;
        }
        char e = s[++i];
        switch (e) {
        case '\n': break;
        case '\\': tq_buf_addc(&b, '\\'); break;
        case '\'': tq_buf_addc(&b, '\''); break;
        case '"': tq_buf_addc(&b, '"'); break;
        case 'a': tq_buf_addc(&b, '\a'); break;
        case 'b': tq_buf_addc(&b, '\b'); break;
        case 'f': tq_buf_addc(&b, '\f'); break;
        case 'n': tq_buf_addc(&b, '\n'); break;
        case 'r': tq_buf_addc(&b, '\r'); break;
        case 't': tq_buf_addc(&b, '\t'); break;
        case 'v': tq_buf_addc(&b, '\v'); break;
        case 'x': case 'u': case 'U': {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            uint32_t cp = 0;
            for (int k = 0; k < digits; k++) {
                int h = i + 1 + k < n ? hexval(s[i + 1 + k]) : -1;
                if (h < 0) {
                    tq_buf_free(&b);
                    *msg = e == 'x' ? "(unicode error) truncated \\xXX escape"
                                    : "(unicode error) truncated \\uXXXX escape";
                    return -1;
                }
                cp = cp * 16 + (uint32_t)h;
            }
            i += (size_t)digits;
            if (cp > 0x10FFFF) {
                tq_buf_free(&b);
                *msg = "(unicode error) illegal Unicode character";
                return -1;
            }
            put_utf8(&b, cp);
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                uint32_t cp = (uint32_t)(e - '0');
                for (int k = 0; k < 2 && i + 1 < n && s[i + 1] >= '0' &&
                                s[i + 1] <= '7'; k++)
                    cp = cp * 8 + (uint32_t)(s[++i] - '0');
                put_utf8(&b, cp);
            } else {
                tq_buf_addc(&b, '\\');
                tq_buf_addc(&b, e);
            }
        }
    }
    *out = tq_arena_strndup(arena, b.s, b.len);
    *out_len = b.len;
    tq_buf_free(&b);
    return 0;
}

static void newline_at(lexer_t *lx, size_t nl_pos)
{
    lx->line++;
    lx->line_start = nl_pos + 1;
}

/* string -> prefix? quote ... quote */
static int lex_string(lexer_t *lx, size_t start, int flags)
{
    const char *s = lx->src;
    size_t p = lx->pos;
    char q = s[p];
    bool triple = p + 2 < lx->len && s[p + 1] == q && s[p + 2] == q;
    int sline = lx->line, scol = col_of(lx, start);
    size_t sline_start = lx->line_start;
    p += triple ? 3 : 1;
    size_t body = p;
    int body_line = lx->line, body_col = col_of(lx, body);
    size_t body_end;
    for (;;) {
        if (p >= lx->len) {
            /* Python names the last line that holds text. */
            int last = lx->line - (lx->len && s[lx->len - 1] == '\n');
            if (triple)
                return lex_error(lx, sline, scol, true,
                    "unterminated triple-quoted string literal (detected at "
                    "line %d)", last > sline ? last : sline);
            return lex_error(lx, sline, scol, false,
                "unterminated string literal (detected at line %d)",
                lx->line);
        }
        char c = s[p];
        if (c == '\\' && p + 1 < lx->len) {
            if (s[p + 1] == '\n')
                newline_at(lx, p + 1);
            p += 2;
            continue;
        }
        if (c == '\n') {
            if (!triple)
                return lex_error(lx, sline, scol, false,
                    "unterminated string literal (detected at line %d)",
                    lx->line);
            newline_at(lx, p);
            p++;
            continue;
        }
        if (c == q) {
            if (!triple) {
                body_end = p;
                p++;
                break;
            }
            if (p + 2 < lx->len + 0 && s[p + 1] == q && s[p + 2] == q) {
                body_end = p;
                p += 3;
                break;
            }
        }
        p++;
    }
    tq_token_t t = {0};
    t.kind = TQ_TOK_STRING;
    t.line = sline;
    t.col = scol;
    t.end_line = lx->line;
    t.end_col = col_of(lx, p);
    t.start = s + start;
    t.len = p - start;
    t.flags = flags;
    t.body_line = body_line;
    t.body_col = body_col;
    (void)sline_start;
    if (flags & TQ_STR_F) {
        t.str = s + body;
        t.str_len = body_end - body;
    } else {
        const char *msg;
        char *out;
        size_t out_len;
        if (tq_unescape(lx->arena, s + body, body_end - body,
                        (flags & TQ_STR_RAW) != 0, &out, &out_len, &msg) < 0)
            return lex_error(lx, sline, scol, false, "%s", msg);
        t.str = out;
        t.str_len = out_len;
    }
    TQ_PUSH(lx->toks, lx->ntoks, lx->cap, t);
    lx->pos = p;
    return 0;
}

static bool is_id_byte(unsigned char c)
{
    return cclass[c] == CC_ID || cclass[c] == CC_DIGIT || cclass[c] == CC_HIGH;
}

/* A non-ASCII code point that cannot be part of a name. */
static bool is_symbol_cp(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
           (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
           (cp >= 0xFF01 && cp <= 0xFF0F) || cp == 0xFEFF || cp == 0xFFFD ||
           (cp >= 0x1F000 && cp <= 0x1FAFF);
}

static int lex_name(lexer_t *lx)
{
    const char *s = lx->src;
    size_t start = lx->pos, p = start;
    while (p < lx->len && is_id_byte((unsigned char)s[p])) {
        if ((unsigned char)s[p] >= 0x80) {
            uint32_t cp;
            size_t n = tq_utf8_decode(s + p, lx->len - p, &cp);
            if (is_symbol_cp(cp)) {
                if (p == start)
                    return lex_error(lx, lx->line, col_of(lx, p), false,
                                     "invalid character '%.*s' (U+%04X)",
                                     (int)n, s + p, (unsigned)cp);
                break;
            }
            p += n;
        } else {
            p++;
        }
    }
    size_t n = p - start;
    /* String prefixes: r b f u and their pairs. */
    if (p < lx->len && cclass[(unsigned char)s[p]] == CC_QUOTE && n <= 2) {
        int flags = 0;
        bool ok = true;
        for (size_t i = 0; i < n; i++) {
            char c = (char)(s[start + i] | 0x20);
            if (c == 'r' && !(flags & TQ_STR_RAW))
                flags |= TQ_STR_RAW;
            else if (c == 'f' && !(flags & (TQ_STR_F | TQ_STR_BYTES)))
                flags |= TQ_STR_F;
            else if (c == 'b' && !(flags & (TQ_STR_F | TQ_STR_BYTES)))
                flags |= TQ_STR_BYTES;
            else if (c == 'u' && n == 1)
                ;
            else
                ok = false;
        }
        if (ok) {
            lx->pos = p;
            return lex_string(lx, start, flags);
        }
    }
    tq_tok_kind_t kind = TQ_TOK_NAME;
    if (n <= 8) {
        for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++) {
            if (strlen(keywords[i].text) == n &&
                memcmp(keywords[i].text, s + start, n) == 0) {
                kind = keywords[i].kind;
                break;
            }
        }
    }
    tq_token_t *t = push(lx, kind, start, p);
    t->str = tq_arena_strndup(lx->arena, s + start, n);
    t->str_len = n;
    lx->pos = p;
    return 0;
}

static int lex_number(lexer_t *lx)
{
    const char *s = lx->src;
    size_t start = lx->pos, p = start;
    bool is_float = false;
    int base = 10;
    if (s[p] == '0' && p + 1 < lx->len && strchr("xXoObB", s[p + 1])) {
        char b = (char)(s[p + 1] | 0x20);
        base = b == 'x' ? 16 : b == 'o' ? 8 : 2;
        p += 2;
        while (p < lx->len && (hexval(s[p]) >= 0 || s[p] == '_') &&
               (s[p] == '_' || hexval(s[p]) < base))
            p++;
    } else {
        while (p < lx->len && (cclass[(unsigned char)s[p]] == CC_DIGIT ||
                               s[p] == '_'))
            p++;
        if (p < lx->len && s[p] == '.') {
            is_float = true;
            p++;
            while (p < lx->len && (cclass[(unsigned char)s[p]] == CC_DIGIT ||
                                   s[p] == '_'))
                p++;
        }
        if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
            size_t q = p + 1;
            if (q < lx->len && (s[q] == '+' || s[q] == '-'))
                q++;
            if (q < lx->len && cclass[(unsigned char)s[q]] == CC_DIGIT) {
                is_float = true;
                p = q;
                while (p < lx->len &&
                       (cclass[(unsigned char)s[p]] == CC_DIGIT || s[p] == '_'))
                    p++;
            }
        }
    }
    if (p < lx->len && is_id_byte((unsigned char)s[p])) {
        if (s[p] == 'j' || s[p] == 'J')
            return lex_error(lx, lx->line, col_of(lx, start), false,
                             "complex numbers are not supported");
        return lex_error(lx, lx->line, col_of(lx, start), false,
                         base == 10 ? "invalid decimal literal"
                         : base == 16 ? "invalid hexadecimal literal"
                         : base == 8 ? "invalid octal literal"
                                     : "invalid binary literal");
    }
    /* Copy without underscores. */
    char tmp[128];
    size_t k = 0;
    for (size_t i = start + (base == 10 ? 0 : 2); i < p && k < sizeof tmp - 1;
         i++)
        if (s[i] != '_')
            tmp[k++] = s[i];
    tmp[k] = 0;
    if (p - start >= sizeof tmp - 1)
        return lex_error(lx, lx->line, col_of(lx, start), false,
                         "numeric literal too long");
    tq_token_t *t = push(lx, is_float ? TQ_TOK_FLOAT : TQ_TOK_INT, start, p);
    errno = 0;
    if (is_float) {
        t->fval = strtod(tmp, NULL);
    } else {
        if (k == 0)
            return lex_error(lx, lx->line, col_of(lx, start), false,
                             "invalid syntax");
        unsigned long long v = strtoull(tmp, NULL, base);
        if (errno == ERANGE || v > (unsigned long long)INT64_MAX) {
            /* The one exception: -9223372036854775808 is negated later. */
            if (!(errno != ERANGE && v == (unsigned long long)INT64_MAX + 1))
                return lex_error(lx, lx->line, col_of(lx, start), false,
                                 "integer literal too large (Tabula ints are "
                                 "64-bit)");
            t->flags = 1; /* INT64_MIN magnitude: only valid negated */
        }
        t->ival = (int64_t)v;
    }
    lx->pos = p;
    return 0;
}

static int lex_op(lexer_t *lx)
{
    const char *s = lx->src + lx->pos;
    size_t avail = lx->len - lx->pos;
    for (size_t i = 0; i < sizeof operators / sizeof *operators; i++) {
        size_t n = strlen(operators[i].text);
        if (n <= avail && memcmp(s, operators[i].text, n) == 0) {
            tq_tok_kind_t k = operators[i].kind;
            int line = lx->line, col = col_of(lx, lx->pos);
            if (k == TQ_TOK_LPAR || k == TQ_TOK_LSQB || k == TQ_TOK_LBRACE) {
                if (lx->depth >= MAX_DEPTH)
                    return lex_error(lx, line, col, false,
                                     "too many nested parentheses");
                lx->brackets[lx->depth] = s[0];
                lx->bline[lx->depth] = line;
                lx->bcol[lx->depth] = col;
                lx->depth++;
            } else if (k == TQ_TOK_RPAR || k == TQ_TOK_RSQB ||
                       k == TQ_TOK_RBRACE) {
                char open = s[0] == ')' ? '(' : s[0] == ']' ? '[' : '{';
                if (lx->depth == 0)
                    return lex_error(lx, line, col, false, "unmatched '%c'",
                                     s[0]);
                if (lx->brackets[lx->depth - 1] != open) {
                    if (lx->bline[lx->depth - 1] != line)
                        return lex_error(lx, line, col, false,
                            "closing parenthesis '%c' does not match opening "
                            "parenthesis '%c' on line %d", s[0],
                            lx->brackets[lx->depth - 1],
                            lx->bline[lx->depth - 1]);
                    return lex_error(lx, line, col, false,
                        "closing parenthesis '%c' does not match opening "
                        "parenthesis '%c'", s[0], lx->brackets[lx->depth - 1]);
                }
                lx->depth--;
            }
            push(lx, k, lx->pos, lx->pos + n);
            lx->pos += n;
            return 0;
        }
    }
    return lex_error(lx, lx->line, col_of(lx, lx->pos), false,
                     "invalid syntax");
}

/* IPython's help syntax: the line [p, end) is a dotted name or a magic's
 * name with `?` or `??` before or after it (`User?`, `??users.filter`,
 * `%demo?`, `%%sql??`). Returns the number of question marks (1 or 2) and
 * the name's bounds in *nb, *ne, or 0 when the line is something else. */
static int help_line(const char *s, size_t p, size_t end, size_t *nb,
                     size_t *ne)
{
    while (end > p && (s[end - 1] == ' ' || s[end - 1] == '\t' ||
                       s[end - 1] == '\r'))
        end--;
    size_t b = p, e = end;
    int marks = 0;
    if (b < e && s[b] == '?') {
        while (b < e && s[b] == '?' && marks < 3)
            b++, marks++;
    } else {
        while (e > b && s[e - 1] == '?' && marks < 3)
            e--, marks++;
    }
    if (marks == 0 || marks > 2)
        return 0;
    size_t n = b;
    while (n < e && n < b + 2 && s[n] == '%')
        n++;
    if (n >= e || cclass[(unsigned char)s[n]] == CC_DIGIT ||
        s[n] == '.' || s[e - 1] == '.')
        return 0;
    for (size_t i = n; i < e; i++) {
        int k = cclass[(unsigned char)s[i]];
        if (k != CC_ID && k != CC_DIGIT && k != CC_HIGH && k != CC_DOT)
            return 0;
    }
    *nb = b;
    *ne = e;
    return marks;
}

/* The offset of the '%' in a line `name [, name]* = %magic ...` (a line
 * magic's value assigned), or 0 when the line [p, end) is not one. */
static size_t assigned_magic(const char *s, size_t p, size_t end)
{
    size_t i = p;
    for (;;) {
        int k = i < end ? cclass[(unsigned char)s[i]] : CC_OTHER;
        if (k != CC_ID && k != CC_HIGH)
            return 0;
        while (i < end && (cclass[(unsigned char)s[i]] == CC_ID ||
                           cclass[(unsigned char)s[i]] == CC_DIGIT ||
                           cclass[(unsigned char)s[i]] == CC_HIGH))
            i++;
        while (i < end && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < end && s[i] == ',') {
            i++;
            while (i < end && (s[i] == ' ' || s[i] == '\t'))
                i++;
            continue;
        }
        break;
    }
    if (i >= end || s[i] != '=' || (i + 1 < end && s[i + 1] == '='))
        return 0;
    i++;
    while (i < end && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i + 1 < end && s[i] == '%' && cclass[(unsigned char)s[i + 1]] == CC_ID)
        return i;
    return 0;
}

/* Handles the start of a logical line: blank and comment lines, magics,
 * and the indentation stack. Returns 1 when the line was consumed whole,
 * 0 to go on lexing tokens, -1 on error. */
static int line_start(lexer_t *lx)
{
    const char *s = lx->src;
    size_t p = lx->pos;
    int width = 0;
    while (p < lx->len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\f')) {
        if (s[p] == '\t')
            width = (width / 8 + 1) * 8;
        else if (s[p] == ' ')
            width++;
        else
            width = 0;
        p++;
    }
    if (p < lx->len && s[p] == '\r')
        p++;
    if (p >= lx->len) {
        lx->pos = p;
        return 1;
    }
    if (s[p] == '\n' || s[p] == '#') {
        while (p < lx->len && s[p] != '\n')
            p++;
        if (p < lx->len)
            newline_at(lx, p), p++;
        lx->pos = p;
        return 1;
    }
    size_t line_end = p;
    while (line_end < lx->len && s[line_end] != '\n')
        line_end++;
    size_t help_b = 0, help_e = 0;
    int help = help_line(s, p, line_end, &help_b, &help_e);
    /* A cell magic: %% on the first line holding code. */
    if (s[p] == '%' && p + 1 < lx->len && s[p + 1] == '%' && lx->ntoks == 0 &&
        !help) {
        size_t eol = p;
        while (eol < lx->len && s[eol] != '\n')
            eol++;
        size_t end = eol;
        while (end > p && (s[end - 1] == '\r' || s[end - 1] == ' '))
            end--;
        tq_token_t *t = push(lx, TQ_TOK_CELL_MAGIC, p, end);
        t->str = tq_arena_strndup(lx->arena, s + p + 2, end - p - 2);
        t->str_len = end - p - 2;
        size_t body = eol < lx->len ? eol + 1 : eol;
        t->body = tq_arena_strndup(lx->arena, s + body, lx->len - body);
        t->body_len = lx->len - body;
        t->body_line = lx->line + 1;
        push(lx, TQ_TOK_NEWLINE, end, end);
        lx->pos = lx->len;
        return 1;
    }
    /* Indentation. */
    int cur = lx->nindents ? lx->indents[lx->nindents - 1] : 0;
    if (width > cur) {
        if (lx->nindents >= MAX_INDENT)
            return lex_error(lx, lx->line, 0, false,
                             "too many levels of indentation");
        lx->indents[lx->nindents++] = width;
        push(lx, TQ_TOK_INDENT, lx->pos, p);
    } else {
        while (width < cur) {
            lx->nindents--;
            cur = lx->nindents ? lx->indents[lx->nindents - 1] : 0;
            push(lx, TQ_TOK_DEDENT, p, p);
        }
        if (width != cur)
            return lex_error(lx, lx->line, col_of(lx, p), false,
                "unindent does not match any outer indentation level");
    }
    lx->pos = p;
    if (help) {
        /* `obj?` runs as the line magic `%pinfo obj` (`??`: %pinfo2). */
        tq_token_t *t = push(lx, TQ_TOK_MAGIC, p, line_end);
        size_t n = help_e - help_b;
        char *text = tq_arena_alloc(lx->arena, n + 8);
        memcpy(text, help == 2 ? "pinfo2 " : "pinfo ", help == 2 ? 7 : 6);
        memcpy(text + (help == 2 ? 7 : 6), s + help_b, n);
        text[n + (help == 2 ? 7 : 6)] = 0;
        t->str = text;
        t->str_len = n + (help == 2 ? 7 : 6);
        lx->pos = line_end;
        return 0;
    }
    if (s[p] != '%')
        lx->magic_at = assigned_magic(s, p, line_end);
    if (s[p] == '%') {
        size_t eol = p;
        while (eol < lx->len && s[eol] != '\n')
            eol++;
        size_t end = eol;
        while (end > p && (s[end - 1] == '\r' || s[end - 1] == ' ' ||
                           s[end - 1] == '\t'))
            end--;
        tq_token_t *t = push(lx, TQ_TOK_MAGIC, p, end);
        t->str = tq_arena_strndup(lx->arena, s + p + 1, end - p - 1);
        t->str_len = end - p - 1;
        lx->pos = eol;
    }
    return 0;
}

int tq_lex(tq_arena_t *arena, const char *src, size_t len, int line0,
           int col0, bool expr_mode, tq_token_t **tokens, size_t *ntokens,
           tq_syntax_error_t *err)
{
    init_classes();
    lexer_t lx = {0};
    lx.arena = arena;
    lx.src = src;
    lx.len = len;
    lx.line = line0;
    lx.line0 = line0;
    lx.col0 = col0;
    lx.expr_mode = expr_mode;
    lx.at_line_start = !expr_mode;
    lx.err = err;
    err->msg = NULL;
    int rc = 0;
    while (rc == 0) {
        if (lx.at_line_start && lx.depth == 0) {
            lx.at_line_start = false;
            rc = line_start(&lx);
            if (rc < 0)
                break;
            if (rc == 1) {
                rc = 0;
                lx.at_line_start = true;
                if (lx.pos >= lx.len)
                    break;
                continue;
            }
        }
        if (lx.pos >= lx.len)
            break;
        if (lx.magic_at && lx.pos == lx.magic_at && lx.depth == 0) {
            /* The magic of `x = %magic args`: to the end of the line. */
            size_t eol = lx.pos, end;
            while (eol < lx.len && src[eol] != '\n')
                eol++;
            end = eol;
            while (end > lx.pos && (src[end - 1] == '\r' ||
                                    src[end - 1] == ' ' || src[end - 1] == '\t'))
                end--;
            tq_token_t *t = push(&lx, TQ_TOK_MAGIC, lx.pos, end);
            t->str = tq_arena_strndup(lx.arena, src + lx.pos + 1,
                                      end - lx.pos - 1);
            t->str_len = end - lx.pos - 1;
            lx.pos = eol;
            lx.magic_at = 0;
            continue;
        }
        unsigned char c = (unsigned char)src[lx.pos];
        switch (cclass[c]) {
        case CC_SPACE:
            lx.pos++;
            break;
        case CC_HASH:
            while (lx.pos < lx.len && src[lx.pos] != '\n')
                lx.pos++;
            break;
        case CC_NL:
            if (lx.depth == 0 && !expr_mode) {
                if (line_has_tokens(&lx))
                    push(&lx, TQ_TOK_NEWLINE, lx.pos, lx.pos + 1);
                lx.at_line_start = true;
            }
            newline_at(&lx, lx.pos);
            lx.pos++;
            break;
        case CC_BSLASH: {
            size_t p = lx.pos + 1;
            if (p < lx.len && src[p] == '\r')
                p++;
            if (p >= lx.len) {
                rc = lex_error(&lx, lx.line, col_of(&lx, lx.pos), true,
                               "unexpected EOF while parsing");
                break;
            }
            if (src[p] != '\n') {
                rc = lex_error(&lx, lx.line, col_of(&lx, lx.pos + 1), false,
                    "unexpected character after line continuation character");
                break;
            }
            newline_at(&lx, p);
            lx.pos = p + 1;
            if (lx.pos >= lx.len && lx.depth == 0 && !expr_mode)
                rc = lex_error(&lx, lx.line, 0, true,
                               "unexpected EOF while parsing");
            break;
        }
        case CC_DIGIT:
            rc = lex_number(&lx);
            break;
        case CC_DOT:
            if (lx.pos + 1 < lx.len &&
                cclass[(unsigned char)src[lx.pos + 1]] == CC_DIGIT) {
                rc = lex_number(&lx);
            } else {
                push(&lx, TQ_TOK_DOT, lx.pos, lx.pos + 1);
                lx.pos++;
            }
            break;
        case CC_ID:
        case CC_HIGH:
            rc = lex_name(&lx);
            break;
        case CC_QUOTE:
            rc = lex_string(&lx, lx.pos, 0);
            break;
        case CC_OP:
            rc = lex_op(&lx);
            break;
        default:
            rc = lex_error(&lx, lx.line, col_of(&lx, lx.pos), false,
                           "invalid syntax");
        }
    }
    if (rc == 0 && lx.depth > 0) {
        int d = lx.depth - 1;
        rc = lex_error(&lx, lx.bline[d], lx.bcol[d], true,
                       "'%c' was never closed", lx.brackets[d]);
    }
    if (rc < 0) {
        free(lx.toks);
        return -1;
    }
    if (!expr_mode) {
        if (line_has_tokens(&lx))
            push(&lx, TQ_TOK_NEWLINE, lx.pos, lx.pos);
        while (lx.nindents > 0) {
            lx.nindents--;
            push(&lx, TQ_TOK_DEDENT, lx.pos, lx.pos);
        }
    }
    push(&lx, TQ_TOK_END, lx.pos, lx.pos);
    *tokens = tq_arena_alloc(arena, lx.ntoks * sizeof **tokens);
    memcpy(*tokens, lx.toks, lx.ntoks * sizeof **tokens);
    *ntokens = lx.ntoks;
    free(lx.toks);
    return 0;
}
