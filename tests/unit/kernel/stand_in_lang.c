/*
 * This file is a test double for the language side (lang/tabula.h), used
 * only by the test executable tabula-kernel-standin so that the protocol
 * can be tested before, and independently of, the real interpreter. It
 * understands just the cells the protocol tests send: integer arithmetic
 * with +, names and assignment, string literals, print(), display(),
 * input(), `%sql QUERY` run on SQLite (interruptible), NameError and
 * SyntaxError. It is not Tabula.
 */
#include <tabula.h>

#include <ctype.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VARS 64

struct tq_session {
    sqlite3 *db;
    volatile sig_atomic_t stop;
    char *names[MAX_VARS];
    char *values[MAX_VARS];   /* text/plain reprs */
    int nvars;
};

static char *sdup(const char *s) { return strdup(s); }

static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *out = NULL;
    if (vasprintf(&out, f, ap) < 0)
        abort();
    va_end(ap);
    return out;
}

void tq_bundle_add(tq_bundle_t *b, const char *type, const char *data,
                   size_t len)
{
    b->items = realloc(b->items, (b->count + 1) * sizeof *b->items);
    tq_mime_t *m = &b->items[b->count++];
    m->type = sdup(type);
    m->data = malloc(len + 1);
    memcpy(m->data, data, len);
    m->data[len] = '\0';
    m->len = len;
}

const tq_mime_t *tq_bundle_find(const tq_bundle_t *b, const char *type)
{
    for (size_t i = 0; i < b->count; i++)
        if (strcmp(b->items[i].type, type) == 0)
            return &b->items[i];
    return NULL;
}

void tq_bundle_clear(tq_bundle_t *b)
{
    for (size_t i = 0; i < b->count; i++) {
        free(b->items[i].type);
        free(b->items[i].data);
    }
    free(b->items);
    b->items = NULL;
    b->count = 0;
}

void tq_result_clear(tq_result_t *r)
{
    tq_bundle_clear(&r->bundle);
    free(r->ename);
    free(r->evalue);
    for (size_t i = 0; i < r->traceback_len; i++)
        free(r->traceback[i]);
    free(r->traceback);
    free(r->traceback_lens);
    memset(r, 0, sizeof *r);
}

void tq_completion_clear(tq_completion_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->matches[i]);
        free(c->types[i]);
    }
    free(c->matches);
    free(c->types);
    memset(c, 0, sizeof *c);
}

tq_session_t *tq_session_new(const tq_options_t *o, char **error)
{
    tq_session_t *s = calloc(1, sizeof *s);
    int flags = o->readonly ? SQLITE_OPEN_READONLY
                            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(o->database ? o->database : ":memory:", &s->db,
                        flags, NULL) != SQLITE_OK) {
        *error = sdup(sqlite3_errmsg(s->db));
        sqlite3_close(s->db);
        free(s);
        return NULL;
    }
    return s;
}

void tq_session_destroy(tq_session_t **session)
{
    tq_session_t *s = *session;
    if (!s)
        return;
    sqlite3_close(s->db);
    for (int i = 0; i < s->nvars; i++) {
        free(s->names[i]);
        free(s->values[i]);
    }
    free(s);
    *session = NULL;
}

void tq_session_interrupt(tq_session_t *s)
{
    s->stop = 1;
    sqlite3_interrupt(s->db);
}

static void fail(tq_result_t *r, const char *ename, const char *evalue)
{
    r->ename = sdup(ename);
    r->evalue = sdup(evalue);
    r->evalue_len = strlen(evalue);
    r->traceback = calloc(1, sizeof *r->traceback);
    r->traceback[0] = fmt("\x1b[31m%s\x1b[0m: %s", ename, evalue);
    r->traceback_lens = calloc(1, sizeof *r->traceback_lens);
    r->traceback_lens[0] = strlen(r->traceback[0]);
    r->traceback_len = 1;
}

static const char *lookup(tq_session_t *s, const char *name, size_t len)
{
    for (int i = 0; i < s->nvars; i++)
        if (strlen(s->names[i]) == len && !memcmp(s->names[i], name, len))
            return s->values[i];
    return NULL;
}

static void assign(tq_session_t *s, const char *name, const char *value)
{
    for (int i = 0; i < s->nvars; i++)
        if (strcmp(s->names[i], name) == 0) {
            free(s->values[i]);
            s->values[i] = sdup(value);
            return;
        }
    if (s->nvars < MAX_VARS) {
        s->names[s->nvars] = sdup(name);
        s->values[s->nvars++] = sdup(value);
    }
}

static const char *skip(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A quoted string literal at p: returns its contents, advances *end. */
static char *string_lit(const char *p, const char **end)
{
    char q = *p;
    const char *close = strchr(p + 1, q);
    if (!close)
        return NULL;
    *end = close + 1;
    return strndup(p + 1, (size_t)(close - p - 1));
}

/* expr -> term {'+' term}; term -> int | name | string. Returns the
 * text/plain repr or NULL with r filled. */
static char *eval(tq_session_t *s, const char *p, tq_result_t *r)
{
    long long sum = 0;
    bool any = false;
    char *str = NULL;
    for (;;) {
        p = skip(p);
        if (*p == '\0') {
            fail(r, "SyntaxError", "invalid syntax");
            free(str);
            return NULL;
        }
        if (*p == '\'' || *p == '"') {
            const char *end;
            char *lit = string_lit(p, &end);
            if (!lit) {
                fail(r, "SyntaxError", "unterminated string literal");
                return NULL;
            }
            free(str);
            str = fmt("'%s'", lit);
            free(lit);
            p = end;
        } else if (isdigit((unsigned char)*p)) {
            sum += strtoll(p, (char **)&p, 10);
            any = true;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            const char *b = p;
            while (isalnum((unsigned char)*p) || *p == '_')
                p++;
            const char *v = lookup(s, b, (size_t)(p - b));
            if (!v) {
                char *msg = fmt("name '%.*s' is not defined", (int)(p - b), b);
                fail(r, "NameError", msg);
                free(msg);
                free(str);
                return NULL;
            }
            if (v[0] == '\'') {
                free(str);
                str = sdup(v);
            } else {
                sum += strtoll(v, NULL, 10);
                any = true;
            }
        } else {
            fail(r, "SyntaxError", "invalid syntax");
            free(str);
            return NULL;
        }
        p = skip(p);
        if (*p == '+') {
            p++;
            continue;
        }
        if (*p != '\0' && *p != ';') {
            fail(r, "SyntaxError", "invalid syntax");
            free(str);
            return NULL;
        }
        break;
    }
    if (str && !any)
        return str;
    free(str);
    return fmt("%lld", sum);
}

static bool call_arg(const char *line, const char *fn, const char **arg,
                     size_t *len)
{
    size_t n = strlen(fn);
    if (strncmp(line, fn, n) != 0 || line[n] != '(')
        return false;
    const char *close = strrchr(line, ')');
    if (!close)
        return false;
    *arg = line + n + 1;
    *len = (size_t)(close - *arg);
    return true;
}

/* Runs `%sql QUERY`; the result is the first column of the last row. */
static char *run_sql(tq_session_t *s, const char *sql, tq_result_t *r)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(r, "OperationalError", sqlite3_errmsg(s->db));
        return NULL;
    }
    char *last = sdup("None");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        free(last);
        const char *t = (const char *)sqlite3_column_text(st, 0);
        last = sdup(t ? t : "None");
    }
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_INTERRUPT || s->stop)
            fail(r, "KeyboardInterrupt", "the statement was interrupted");
        else
            fail(r, "OperationalError", sqlite3_errmsg(s->db));
        free(last);
        last = NULL;
    }
    sqlite3_finalize(st);
    return last;
}

/* One statement; returns its value repr (cell result candidate) or NULL.
 * *failed is set when r holds an error. */
static char *statement(tq_session_t *s, const char *line, const tq_sink_t *k,
                       tq_result_t *r, bool *failed)
{
    const char *arg;
    size_t len;
    *failed = false;
    if (strncmp(line, "%sql ", 5) == 0) {
        char *v = run_sql(s, line + 5, r);
        *failed = !v;
        return v;
    }
    if (call_arg(line, "print", &arg, &len) ||
        call_arg(line, "display", &arg, &len) ||
        call_arg(line, "input", &arg, &len)) {
        char *a = strndup(arg, len);
        char *v = len ? eval(s, a, r) : sdup("''");
        free(a);
        if (!v) {
            *failed = true;
            return NULL;
        }
        if (line[0] == 'p') {
            char *text = v[0] == '\'' ? fmt("%.*s\n", (int)strlen(v) - 2, v + 1)
                                      : fmt("%s\n", v);
            if (k && k->stream)
                k->stream(k->ctx, "stdout", text, strlen(text));
            free(text);
            free(v);
            return NULL;
        }
        if (line[0] == 'd') {
            tq_bundle_t b = {0};
            tq_bundle_add(&b, "text/plain", v, strlen(v));
            if (k && k->display)
                k->display(k->ctx, &b, NULL, false);
            tq_bundle_clear(&b);
            free(v);
            return NULL;
        }
        char *prompt = v[0] == '\'' ? strndup(v + 1, strlen(v) - 2) : sdup(v);
        free(v);
        char *answer = k && k->input ? k->input(k->ctx, prompt, false) : NULL;
        free(prompt);
        if (!answer) {
            fail(r, s->stop ? "KeyboardInterrupt" : "StdinNotImplementedError",
                 "input() is not available");
            *failed = true;
            return NULL;
        }
        v = fmt("'%s'", answer);
        free(answer);
        return v;
    }
    const char *eq = strchr(line, '=');
    if (eq && eq[1] != '=') {
        char *name = strndup(line, (size_t)(eq - line));
        char *end = name + strlen(name);
        while (end > name && end[-1] == ' ')
            *--end = '\0';
        char *v = eval(s, eq + 1, r);
        if (v)
            assign(s, name, v);
        free(name);
        free(v);
        *failed = !v;
        return NULL;
    }
    char *v = eval(s, line, r);
    *failed = !v;
    return v;
}

tq_status_t tq_session_execute(tq_session_t *s, const char *source,
                               const tq_sink_t *sink, bool silent,
                               tq_result_t *r)
{
    memset(r, 0, sizeof *r);
    s->stop = 0;
    char *copy = sdup(source), *save = NULL, *last = NULL;
    tq_status_t st = TQ_OK;
    for (char *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line = (char *)skip(line);
        if (*line == '\0' || *line == '#')
            continue;
        free(last);
        bool failed;
        last = statement(s, line, sink, r, &failed);
        if (failed) {
            st = TQ_ERROR;
            break;
        }
    }
    if (st == TQ_OK && last && !silent)
        tq_bundle_add(&r->bundle, "text/plain", last, strlen(last));
    free(last);
    free(copy);
    return st;
}

tq_status_t tq_session_evaluate(tq_session_t *s, const char *expr,
                                tq_result_t *r)
{
    memset(r, 0, sizeof *r);
    char *v = eval(s, expr, r);
    if (!v)
        return TQ_ERROR;
    tq_bundle_add(&r->bundle, "text/plain", v, strlen(v));
    free(v);
    return TQ_OK;
}

/* The identifier that ends at cursor (ASCII test input only). */
static size_t word_start(const char *code, size_t cursor)
{
    size_t b = cursor;
    while (b > 0 && (isalnum((unsigned char)code[b - 1]) || code[b - 1] == '_'))
        b--;
    return b;
}

void tq_session_complete(tq_session_t *s, const char *code, size_t cursor,
                         tq_completion_t *out)
{
    static const char *const builtins[] = {"print", "display", "input"};
    memset(out, 0, sizeof *out);
    size_t len = strlen(code);
    if (cursor > len)
        cursor = len;
    size_t b = word_start(code, cursor);
    size_t n = cursor - b;
    out->matches = calloc(MAX_VARS + 3, sizeof *out->matches);
    out->types = calloc(MAX_VARS + 3, sizeof *out->types);
    for (int i = 0; i < s->nvars; i++)
        if (strncmp(s->names[i], code + b, n) == 0) {
            out->matches[out->count] = sdup(s->names[i]);
            out->types[out->count++] = sdup("instance");
        }
    for (int i = 0; i < 3; i++)
        if (strncmp(builtins[i], code + b, n) == 0) {
            out->matches[out->count] = sdup(builtins[i]);
            out->types[out->count++] = sdup("function");
        }
    out->cursor_start = b;
    out->cursor_end = cursor;
}

bool tq_session_inspect(tq_session_t *s, const char *code, size_t cursor,
                        int detail_level, tq_bundle_t *bundle)
{
    size_t len = strlen(code);
    if (cursor > len)
        cursor = len;
    size_t e = cursor;
    while (isalnum((unsigned char)code[e]) || code[e] == '_')
        e++;
    size_t b = word_start(code, cursor);
    const char *v = lookup(s, code + b, e - b);
    if (!v)
        return false;
    char *text = fmt("%.*s = %s", (int)(e - b), code + b, v);
    tq_bundle_add(bundle, "text/plain", text, strlen(text));
    free(text);
    return true;
}

tq_completeness_t tq_is_complete(const char *code, char **indent)
{
    int depth = 0;
    for (const char *p = code; *p; p++)
        depth += (*p == '(') - (*p == ')');
    size_t n = strlen(code);
    while (n > 0 && isspace((unsigned char)code[n - 1]))
        n--;
    if (depth > 0 || (n > 0 && code[n - 1] == ':')) {
        *indent = sdup(depth > 0 ? "" : "    ");
        return TQ_INCOMPLETE;
    }
    if (depth < 0 || (n > 0 && strchr("+-*/", code[n - 1])))
        return TQ_INVALID;
    return TQ_COMPLETE;
}

/* The stand-in keeps no database, so there is no password to mask: a
 * copy. */
char *tq_mask_secrets(const char *text)
{
    return text ? sdup(text) : NULL;
}
