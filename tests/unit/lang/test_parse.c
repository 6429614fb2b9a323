/*
 * This file tests the parser (parse.c): the shape of the tree for each
 * construct, printed as an S-expression, so precedence, associativity,
 * chained comparisons, subscripts with tuples and slices, calls with every
 * argument form, assignment targets and every statement are pinned; and
 * the exact message, position and eof flag of each syntax error.
 */
#include <stdlib.h>

#include "syntax/parse.h"
#include "tap.h"

static void check(const char *src, const char *want)
{
    tq_arena_t *a = tq_arena_new();
    tq_nodelist_t body;
    tq_syntax_error_t err = {0};
    char *got;
    if (tq_parse(a, src, strlen(src), &body, &err) < 0) {
        got = tq_xasprintf("error %d:%d %s%s\n", err.line, err.col, err.msg,
                           err.eof ? " (eof)" : "");
    } else {
        got = tq_ast_dump_list(&body);
    }
    char name[200];
    snprintf(name, sizeof name, "parse %.60s", src);
    for (char *p = name; *p; p++)
        if (*p == '\n')
            *p = '|';
    tap_is(got, want, name);
    free(got);
    tq_arena_release(&a);
}

int main(void)
{
    /* precedence and associativity */
    check("1 + 2 * 3", "(EXPR (BINOP + 1 (BINOP * 2 3)))\n");
    check("(1 + 2) * 3", "(EXPR (BINOP * (BINOP + 1 2) 3))\n");
    check("1 - 2 - 3", "(EXPR (BINOP - (BINOP - 1 2) 3))\n");
    check("2 ** 3 ** 2", "(EXPR (BINOP ** 2 (BINOP ** 3 2)))\n");
    check("-2 ** 2", "(EXPR (UNOP - (BINOP ** 2 2)))\n");
    check("2 ** -1", "(EXPR (BINOP ** 2 (UNOP - 1)))\n");
    check("a // b % c", "(EXPR (BINOP % (BINOP // a b) c))\n");
    check("a | b ^ c & d", "(EXPR (BINOP | a (BINOP ^ b (BINOP & c d))))\n");
    check("not a == b", "(EXPR (UNOP not (COMPARE == [a b])))\n");
    check("a or b and not c", "(EXPR (OR a (AND b (UNOP not c))))\n");
    check("a < b <= c", "(EXPR (COMPARE < <= [a b c]))\n");
    check("x not in y", "(EXPR (COMPARE not in [x y]))\n");
    check("x is not None", "(EXPR (COMPARE is not [x None]))\n");
    check("F.age < 25 | ~(F.x > 1)",
          "(EXPR (COMPARE < [(ATTR age F) (BINOP | 25 (UNOP ~ (COMPARE > "
          "[(ATTR x F) 1])))]))\n");
    check("a if c else b", "(EXPR (IFEXP a c b))\n");
    check("-9223372036854775808", "(EXPR -9223372036854775808)\n");
    /* primaries */
    check("f(1, x=2, *a, **k)",
          "(EXPR (CALL f [1 (KWARG x 2) (STARRED a) (DSTARRED k)]))\n");
    check("T[1, :]", "(EXPR (SUBSCRIPT T (TUPLE [1 (SLICE)])))\n");
    check("T[:, ['a', 'b']]",
          "(EXPR (SUBSCRIPT T (TUPLE [(SLICE) (LIST ['a' 'b'])])))\n");
    check("qs[2:5]", "(EXPR (SUBSCRIPT qs (SLICE 2 5)))\n");
    check("x[::-1]", "(EXPR (SUBSCRIPT x (SLICE - - (UNOP - 1))))\n");
    check("a.b.c(d)[0]",
          "(EXPR (SUBSCRIPT (CALL (ATTR c (ATTR b a)) [d]) 0))\n");
    check("(1,)", "(EXPR (TUPLE [1]))\n");
    check("()", "(EXPR (TUPLE []))\n");
    check("{'a': 1, **d}",
          "(EXPR (DICT ['a' (DSTARRED d)] [1 (DSTARRED d)]))\n");
    check("[x * 2 for x in y if x]",
          "(EXPR (LISTCOMP (BINOP * x 2) x y [x]))\n");
    check("sum(x for x in y)", "(EXPR (CALL sum [(LISTCOMP x x y)]))\n");
    check("'a' 'b'", "(EXPR 'ab')\n");
    check("f'{x!r:>{w}} y'",
          "(EXPR (FSTRING [(FORMAT !r x (FSTRING ['>' (FORMAT w)])) ' y']))\n");
    check("lambda a, b=1: a + b",
          "(EXPR (LAMBDA (BINOP + a b) [(PARAM a) (PARAM b 1)]))\n");
    /* statements */
    check("x = 1;", "(ASSIGN 1 [x])\n");
    check("x;", "(EXPR ; x)\n");
    check("a, b = 1, 2", "(ASSIGN (TUPLE [1 2]) [(TUPLE [a b])])\n");
    check("a = b = 0", "(ASSIGN 0 [a b])\n");
    check("users[pk, ['name', 'age']] = 'John Lennon', 27",
          "(ASSIGN (TUPLE ['John Lennon' 27]) [(SUBSCRIPT users (TUPLE [pk "
          "(LIST ['name' 'age'])]))])\n");
    check("u.age = 30", "(ASSIGN 30 [(ATTR age u)])\n");
    check("df['age'] += 1", "(AUGASSIGN + (SUBSCRIPT df 'age') 1)\n");
    check("def f(a, b=2, *c, **d):\n    return a\n",
          "(DEF f [(PARAM a) (PARAM b 2) (PARAM *c) (PARAM **d)] [(RETURN "
          "a)])\n");
    check("if a:\n    b\nelif c:\n    d\nelse:\n    e",
          "(IF a [(EXPR b)] [(IF c [(EXPR d)] [(EXPR e)])])\n");
    check("for i, j in x:\n    break\n",
          "(FOR (TUPLE [i j]) x [(BREAK)])\n");
    check("while x: continue", "(WHILE x [(CONTINUE)])\n");
    check("class Member(BaseUser, timestamped=True):\n    name = 1\n"
          "    class Meta:\n        abstract = True\n",
          "(CLASS Member [BaseUser (KWARG timestamped True)] [(ASSIGN 1 "
          "[name]) (CLASS Meta [] [(ASSIGN True [abstract])])])\n");
    check("@manager_method(User)\ndef f(self):\n    pass\n",
          "(DEF f [(PARAM self)] [(PASS)] [(CALL manager_method [User])])\n");
    check("%sql SELECT 1\nx", "(MAGIC sql 'SELECT 1')\n(EXPR x)\n");
    check("%%sql  -x\nSELECT :a", "(CELL_MAGIC sql '-x' 'SELECT :a')\n");
    check("del x[0], y", "(DEL [(SUBSCRIPT x 0) y])\n");
    check("try:\n    a\nexcept (K, V) as e:\n    b\nexcept:\n    c\n"
          "else:\n    d\nfinally:\n    f\n",
          "(TRY [(EXPR a)] [(EXCEPT as e (TUPLE [K V]) [(EXPR b)]) (EXCEPT "
          "[(EXPR c)])] [(EXPR d)] [(EXPR f)])\n");
    check("{k: v for k, v in d}",
          "(EXPR (DICTCOMP k (TUPLE [k v]) d v))\n");
    check("x = 1\n\n\ny = 2\n", "(ASSIGN 1 [x])\n(ASSIGN 2 [y])\n");
    /* errors: message, position, eof */
    check("x = ", "error 1:4 invalid syntax\n");
    check("1 +", "error 1:3 invalid syntax\n");
    check("f(", "error 1:1 '(' was never closed (eof)\n");
    check("if x:", "error 1:5 expected an indented block after 'if' "
          "statement on line 1 (eof)\n");
    check("if x:\n", "error 2:0 expected an indented block after 'if' "
          "statement on line 1 (eof)\n");
    check("if x:\ny", "error 2:0 expected an indented block after 'if' "
          "statement on line 1\n");
    check("def f()\n    pass", "error 1:7 expected ':'\n");
    check("for x in y\n    pass", "error 1:10 expected ':'\n");
    check("x = 1\n    y = 2", "error 2:0 unexpected indent\n");
    check("  x", "error 1:0 unexpected indent\n");
    check("x y", "error 1:2 invalid syntax\n");
    check("f() = 1", "error 1:0 cannot assign to function call here. Maybe "
          "you meant '==' instead of '='?\n");
    check("1 = x", "error 1:0 cannot assign to literal here. Maybe you meant "
          "'==' instead of '='?\n");
    check("None = 1", "error 1:0 cannot assign to None\n");
    check("f() += 1", "error 1:0 'function call' is an illegal expression "
          "for augmented assignment\n");
    check("return 1", "error 1:0 'return' outside function\n");
    check("break", "error 1:0 'break' outside loop\n");
    check("continue", "error 1:0 'continue' not properly in loop\n");
    check("def f(a=1, b): pass", "error 1:11 non-default argument follows "
          "default argument\n");
    check("def f(a, *, b): pass",
          "(DEF f [(PARAM a) (PARAM *) (PARAM b)] [(PASS)])\n");
    check("def f(a, *): pass", "error 1:10 named arguments must follow "
          "bare *\n");
    check("def f(a, a): pass", "error 1:9 duplicate argument 'a' in function "
          "definition\n");
    check("f(a=1, 2)", "error 1:7 positional argument follows keyword "
          "argument\n");
    check("f(a=1, a=2)", "error 1:7 keyword argument repeated: a\n");
    check("print 'x'", "error 1:0 Missing parentheses in call to 'print'. "
          "Did you mean print(...)?\n");
    check("else: x", "error 1:0 invalid syntax\n");
    check("f'{}'", "error 1:3 f-string: empty expression not allowed\n");
    check("x = (1 +\n", "error 1:4 '(' was never closed (eof)\n");
    check("try:\n    a\nb", "error 3:0 expected 'except' or 'finally' "
          "block\n");
    check("try:\n    a\nexcept:\n    b\nexcept K:\n    c",
          "error 5:0 default 'except:' must be last\n");
    check("import os", "error 1:0 import is not supported: Tabula has no "
          "modules (tables are already names)\n");
    return tap_done();
}
