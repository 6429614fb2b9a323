/*
 * This file tests the lexer (lex.c): token streams for every token family
 * (names, keywords, numbers, every string form, operators, INDENT/DEDENT,
 * implicit and explicit line joining, magics) and the exact text and
 * position of each lexical error.
 */
#include <stdlib.h>

#include "syntax/lex.h"
#include "tap.h"

/* The token stream as "KIND:text" words. */
static char *dump(const char *src, tq_syntax_error_t *err)
{
    tq_arena_t *a = tq_arena_new();
    tq_token_t *t;
    size_t n;
    char *out;
    if (tq_lex(a, src, strlen(src), 1, 0, false, &t, &n, err) < 0) {
        out = tq_xasprintf("error %d:%d %s%s", err->line, err->col, err->msg,
                           err->eof ? " (eof)" : "");
    } else {
        tq_buf_t b = {0};
        for (size_t i = 0; i < n; i++) {
            if (i)
                tq_buf_addc(&b, ' ');
            tq_buf_add(&b, tq_tok_name(t[i].kind));
            switch (t[i].kind) {
            case TQ_TOK_NAME:
                tq_buf_printf(&b, ":%s", t[i].str);
                break;
            case TQ_TOK_INT:
                tq_buf_printf(&b, ":%lld", (long long)t[i].ival);
                break;
            case TQ_TOK_FLOAT:
                tq_buf_printf(&b, ":%g", t[i].fval);
                break;
            case TQ_TOK_STRING: case TQ_TOK_MAGIC: case TQ_TOK_CELL_MAGIC:
                tq_buf_printf(&b, ":[%.*s]", (int)t[i].str_len, t[i].str);
                if (t[i].flags)
                    tq_buf_printf(&b, "/%d", t[i].flags);
                if (t[i].body)
                    tq_buf_printf(&b, "+[%s]", t[i].body);
                break;
            default:
                break;
            }
        }
        out = tq_buf_take(&b);
    }
    tq_arena_release(&a);
    return out;
}

static void check(const char *src, const char *want)
{
    tq_syntax_error_t err = {0};
    char *got = dump(src, &err);
    char name[200];
    snprintf(name, sizeof name, "lex %.60s", src);
    for (char *p = name; *p; p++)
        if (*p == '\n')
            *p = '|';
    tap_is(got, want, name);
    free(got);
}

int main(void)
{
    check("x = 1", "name:x = integer:1 newline end of input");
    check("if x:\n    y\nz",
          "if name:x : newline indent name:y newline dedent name:z newline "
          "end of input");
    check("if a:\n  if b:\n    c\nd",
          "if name:a : newline indent if name:b : newline indent name:c "
          "newline dedent dedent name:d newline end of input");
    check("f(1,\n  2)\n", "name:f ( integer:1 , integer:2 ) newline end of "
          "input");
    check("x = 1 + \\\n  2", "name:x = integer:1 + integer:2 newline end of "
          "input");
    check("# only a comment\n\n   \nx", "name:x newline end of input");
    check("a.b[1:2]", "name:a . name:b [ integer:1 : integer:2 ] newline end "
          "of input");
    check("1.5 .5 1e3 1_000 0x1F 0o17 0b101 7.",
          "float:1.5 float:0.5 float:1000 integer:1000 integer:31 integer:15 "
          "integer:5 float:7 newline end of input");
    check("'it''s' \"a\\tb\"",
          "string:[it] string:[s] string:[a\tb] newline end of input");
    check("'\\x41\\u00e9\\n\\\\'", "string:[A\xc3\xa9\n\\] newline end of input");
    check("r'a\\nb'", "string:[a\\nb]/1 newline end of input");
    check("f'{x:.2f}'", "string:[{x:.2f}]/2 newline end of input");
    check("'''a\nb'''", "string:[a\nb] newline end of input");
    check("\"\"\"x \"y\" z\"\"\"", "string:[x \"y\" z] newline end of input");
    check("a <= b != c // d ** e -> f",
          "name:a <= name:b != name:c // name:d ** name:e -> name:f newline "
          "end of input");
    check("x += 1; y //= 2", "name:x += integer:1 ; name:y //= integer:2 "
          "newline end of input");
    check("not x is None and True",
          "not name:x is None and True newline end of input");
    check("%sql SELECT * FROM t WHERE a = :a",
          "magic:[sql SELECT * FROM t WHERE a = :a] newline end of input");
    check("x = 1\n%who\ny", "name:x = integer:1 newline magic:[who] newline "
          "name:y newline end of input");
    check("for i in x:\n    %time f()\n",
          "for name:i in name:x : newline indent magic:[time f()] newline "
          "dedent end of input");
    check("%%sql\nSELECT 1;\nSELECT 2",
          "cell magic:[sql]+[SELECT 1;\nSELECT 2] newline end of input");
    check("x = (a\n     % b)", "name:x = ( name:a % name:b ) newline end of "
          "input");
    check("\xc3\xa9t\xc3\xa9 = 1", "name:\xc3\xa9t\xc3\xa9 = integer:1 newline "
          "end of input");
    /* errors */
    check("x = (1,", "error 1:4 '(' was never closed (eof)");
    check("x = [1,\n2", "error 1:4 '[' was never closed (eof)");
    check("s = 'abc", "error 1:4 unterminated string literal (detected at "
          "line 1)");
    check("s = '''abc\n", "error 1:4 unterminated triple-quoted string "
          "literal (detected at line 1) (eof)");
    check("x = 1abc", "error 1:4 invalid decimal literal");
    check("x = 1 $", "error 1:6 invalid syntax");
    check("x = 1)", "error 1:5 unmatched ')'");
    check("(1]", "error 1:2 closing parenthesis ']' does not match opening "
          "parenthesis '('");
    check("if x:\n    y\n  z", "error 3:2 unindent does not match any outer "
          "indentation level");
    check("x = 1 + \\", "error 1:8 unexpected EOF while parsing (eof)");
    check("x = \\ 1", "error 1:5 unexpected character after line "
          "continuation character");
    check("x = 99999999999999999999", "error 1:4 integer literal too large "
          "(Tabula ints are 64-bit)");
    check("x = \xe2\x82\xac", "error 1:4 invalid character '\xe2\x82\xac' "
          "(U+20AC)");
    return tap_done();
}
