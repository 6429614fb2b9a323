/*
 * This file tests the seam (tabula.h) as the kernel uses it, over the
 * database-layer test double: results and their bundles, streams and
 * displays through the sink in order, input(), errors with their
 * traceback lines and caret, one transaction per cell (rollback and its
 * traceback line), silent execution, user expressions, interrupts,
 * is_complete, completion and inspection.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "tabula.h"
#include "tap.h"
#include "base/util.h"

typedef struct capture {
    tq_buf_t log;       /* "stream:name:text|" and "display:text|" */
    const char *answer; /* for input() */
} capture_t;

static void on_stream(void *ud, const char *name, const char *text,
                      size_t len)
{
    capture_t *c = ud;
    tq_buf_printf(&c->log, "stream:%s:%.*s|", name, (int)len, text);
}

static void on_display(void *ud, const tq_bundle_t *b, const char *id,
                       bool update)
{
    capture_t *c = ud;
    const tq_mime_t *m = tq_bundle_find(b, "text/plain");
    tq_buf_printf(&c->log, "display:%s|", m ? m->data : "?");
}

static char *on_input(void *ud, const char *prompt, bool password)
{
    capture_t *c = ud;
    tq_buf_printf(&c->log, "input:%s|", prompt);
    return c->answer ? tq_xstrdup(c->answer) : NULL;
}

static tq_session_t *s;
static capture_t cap;
static tq_sink_t sink = {&cap, on_stream, on_display, on_input, NULL, NULL,
                         0, NULL};

/* Runs a cell; returns "log => result" or "log => !Ename: evalue". */
static char *run(const char *cell, bool silent)
{
    tq_buf_free(&cap.log);
    tq_buf_addn(&cap.log, "", 0);
    tq_result_t r;
    tq_status_t st = tq_session_execute(s, cell, &sink, silent, &r);
    char *out;
    if (st == TQ_OK) {
        const tq_mime_t *m = tq_bundle_find(&r.bundle, "text/plain");
        out = tq_xasprintf("%s => %s", cap.log.s, m ? m->data : "(none)");
    } else {
        out = tq_xasprintf("%s => !%s: %s", cap.log.s, r.ename, r.evalue);
    }
    tq_result_clear(&r);
    return out;
}

static void check_run(const char *cell, const char *want)
{
    char *got = run(cell, false);
    char name[160];
    snprintf(name, sizeof name, "execute %.60s", cell);
    for (char *p = name; *p; p++)
        if (*p == '\n')
            *p = '|';
    tap_is(got, want, name);
    free(got);
}

static void check_traceback(const char *cell, const char *want)
{
    tq_result_t r;
    tq_session_execute(s, cell, &sink, false, &r);
    tq_buf_t b = {0};
    for (size_t i = 0; i < r.traceback_len; i++) {
        /* the lines' text, without their ANSI colours */
        for (const char *p = r.traceback[i]; *p; p++) {
            if (p[0] == '\x1b' && p[1] == '[') {
                p += 2;
                while (*p && *p != 'm')
                    p++;
                if (!*p)
                    break;
                continue;
            }
            tq_buf_addc(&b, *p);
        }
        tq_buf_addc(&b, '\n');
    }
    tap_is(b.s, want, "traceback lines");
    tq_buf_free(&b);
    tq_result_clear(&r);
}

static void *interrupter(void *ud)
{
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    tq_session_interrupt(ud);
    return NULL;
}

/* Runs `cell` while another thread interrupts it after 50 ms. */
static void check_interrupt(const char *cell, const char *want)
{
    pthread_t th;
    pthread_create(&th, NULL, interrupter, s);
    char *got = run(cell, false);
    pthread_join(th, NULL);
    char name[160];
    snprintf(name, sizeof name, "interrupt %.50s", cell);
    for (char *p = name; *p; p++)
        if (*p == '\n')
            *p = '|';
    tap_is(got, want, name);
    free(got);
}

static void check_complete(const char *code, tq_completeness_t want,
                           const char *want_indent)
{
    char *indent = NULL;
    tq_completeness_t got = tq_is_complete(code, &indent);
    char name[160];
    snprintf(name, sizeof name, "is_complete %.50s", code);
    for (char *p = name; *p; p++)
        if (*p == '\n')
            *p = '|';
    bool ok = got == want &&
              ((!want_indent && !indent) ||
               (want_indent && indent && strcmp(indent, want_indent) == 0));
    tap_ok(ok, name);
    if (!ok)
        printf("#   got %d indent '%s'\n", got, indent ? indent : "(null)");
    free(indent);
}

static void check_completion(const char *code, const char *want)
{
    tq_completion_t c;
    tq_session_complete(s, code, tq_utf8_count(code, strlen(code)), &c);
    tq_buf_t b = {0};
    tq_buf_printf(&b, "%zu-%zu:", c.cursor_start, c.cursor_end);
    for (size_t i = 0; i < c.count; i++)
        tq_buf_printf(&b, " %s/%s", c.matches[i], c.types[i]);
    char name[160];
    snprintf(name, sizeof name, "complete %s", code);
    tap_is(b.s, want, name);
    tq_buf_free(&b);
    tq_completion_clear(&c);
}

int main(void)
{
    tq_options_t opts = {.database = ":memory:"};
    char *error = NULL;
    s = tq_session_new(&opts, &error);
    tap_ok(s != NULL, "session on :memory:");
    if (!s)
        return tap_done();

    check_run("1 + 1", " => 2");
    check_run("x = 5", " => (none)");
    check_run("None", " => (none)");
    check_run("x;", " => (none)");
    check_run("print('a'); display(x); print('b'); x * 2",
              "stream:stdout:a\n|display:5|stream:stdout:b\n| => 10");
    cap.answer = "Ann\n";
    check_run("name = input('Who? ')\nname", "input:Who? | => 'Ann'");
    cap.answer = NULL;
    check_run("input()", "input:| => !ValueError: input() is not available: "
              "the front end does not allow stdin");
    check_run("%sql CREATE TABLE t(a)", " => (none)");
    check_run("%sql INSERT INTO t VALUES (1)\nboom",
              " => !NameError: name 'boom' is not defined. Did you mean: 'bool'?");
    check_run("%%sql\nSELECT count(*) AS n FROM t", " =>  n\n 0");

    check_traceback("y = 1\nz = [y,\n     y + 'a']",
        "Traceback (most recent call last)\n"
        "  Cell In[11], line 3\n"
        "    y + 'a']\n"
        "    ^\n"
        "TypeError: unsupported operand type(s) for +: 'int' and 'str'\n");
    check_traceback("def f(v):\n    return v.nope\nf(1)",
        "Traceback (most recent call last)\n"
        "  Cell In[12], line 3\n"
        "    f(1)\n"
        "    ^\n"
        "  Cell In[12], line 2, in f\n"
        "    return v.nope\n"
        "           ^\n"
        "AttributeError: 'int' object has no attribute 'nope'\n");
    check_traceback("%sql INSERT INTO t VALUES (2)\n1/0",
        "Traceback (most recent call last)\n"
        "  Cell In[13], line 2\n"
        "    1/0\n"
        "    ^\n"
        "ZeroDivisionError: division by zero\n"
        "All writes of this cell were rolled back.\n");
    check_traceback("x = (1,\n",
        "  Cell In[14], line 1\n"
        "    x = (1,\n"
        "        ^\n"
        "SyntaxError: '(' was never closed\n");

    /* silent: no result, no history number */
    char *got = run("41 + 1", true);
    tap_is(got, " => (none)", "silent execution shows no result");
    free(got);
    check_traceback("undefined",
        "Traceback (most recent call last)\n"
        "  Cell In[15], line 1\n"
        "    undefined\n"
        "    ^\n"
        "NameError: name 'undefined' is not defined\n");

    /* user expressions */
    tq_result_t r;
    tq_status_t st = tq_session_evaluate(s, "x + 1, 'k'", &r);
    const tq_mime_t *m = tq_bundle_find(&r.bundle, "text/plain");
    tap_ok(st == TQ_OK && m && strcmp(m->data, "(6, 'k')") == 0,
           "evaluate an expression");
    tq_result_clear(&r);
    st = tq_session_evaluate(s, "x +", &r);
    tap_ok(st == TQ_ERROR && strcmp(r.ename, "SyntaxError") == 0,
           "evaluate reports a syntax error");
    tq_result_clear(&r);

    /* an interrupt before the cell is cleared; one during it stops it */
    tq_session_interrupt(s);
    check_run("'runs'", " => 'runs'");
    check_run("def spin():\n    while True:\n        pass\nspin",
              " => <function spin>");
    check_interrupt("spin()", " => !KeyboardInterrupt: Execution interrupted");
    check_interrupt("%sql WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
                    "SELECT i + 1 FROM c) SELECT count(*) FROM c",
                    " => !KeyboardInterrupt: Execution interrupted");
    check_run("'after the interrupt'", " => 'after the interrupt'");

    /* is_complete */
    check_complete("x = 1", TQ_COMPLETE, NULL);
    check_complete("x = (1,", TQ_INCOMPLETE, "");
    check_complete("for i in range(3):", TQ_INCOMPLETE, "    ");
    check_complete("for i in range(3):\n    print(i)", TQ_INCOMPLETE, "    ");
    check_complete("for i in range(3):\n    print(i)\n\n", TQ_COMPLETE, NULL);
    /* A blank or white-space-only last line ends the block, as IPython
     * answers (jupyter console relies on it). */
    check_complete("for b in B:\n    print(b)\n", TQ_COMPLETE, NULL);
    check_complete("for b in B:\n    print(b)\n    ", TQ_COMPLETE, NULL);
    check_complete("for b in B:\n", TQ_INCOMPLETE, "    ");
    check_complete("%%sql\nSELECT 1\n", TQ_INCOMPLETE, "");
    check_complete("s = '''abc", TQ_INCOMPLETE, "");
    check_complete("x = 1 +", TQ_INVALID, NULL);
    check_complete("x = )", TQ_INVALID, NULL);
    check_complete("%sql SELECT 1", TQ_COMPLETE, NULL);
    check_complete("%%sql\nSELECT 1", TQ_INCOMPLETE, "");
    check_complete("%%sql\nSELECT 1\n\n", TQ_COMPLETE, NULL);
    check_complete("x = 1 + \\", TQ_INCOMPLETE, "");

    /* completion and inspection */
    check_run("alpha = 1\nalphabet = 'abc'", " => (none)");
    check_completion("alp", "0-3: alpha/variable alphabet/variable");
    check_completion("alphabet.up", "9-11: upper/method");
    check_completion("x = %conn", "4-9: %connect/magic");
    check_completion("pri", "0-3: print/builtin");
    check_completion("whi", "0-3: while/keyword");
    tq_bundle_t b = {0};
    bool found = tq_session_inspect(s, "alphabet", 3, 0, &b);
    m = tq_bundle_find(&b, "text/plain");
    tap_ok(found && m && strstr(m->data, "Type:  str") &&
           strstr(m->data, "'abc'"), "inspect a variable");
    tq_bundle_clear(&b);
    tap_ok(!tq_session_inspect(s, "nothing_here", 3, 0, &b),
           "inspect an unknown name");

    tq_session_destroy(&s);
    tap_ok(s == NULL, "destroy NULLs the pointer");
    tq_buf_free(&cap.log);
    return tap_done();
}
