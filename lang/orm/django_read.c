/*
 * This file reads a Django project's models without running Python: it
 * finds the apps under a directory (a directory with models.py or a
 * models/ package; the app label is the directory's name unless its
 * apps.py gives an AppConfig `label`), tokenizes each models file with
 * Tabula's own lexer (syntax/lex.h) and reads it statement by statement,
 * tolerantly: `class` statements with their fields (`x = models.XField(...)`
 * or a field imported from django.db.models) and their `class Meta`.
 * Everything else (methods, decorators, managers with code, custom field
 * classes, imports from outside Django and the project's apps, top-level
 * code) is skipped with one note each, never an error.
 *
 * After every app is read, class bases are resolved across apps: a class
 * is a model when a base is models.Model or another model; abstract bases
 * give their fields to their children, a concrete base makes a
 * multi-table child, and relation targets ('self', 'app.Model', a class)
 * become "app.Model".
 */
#include "orm/django.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/util.h"
#include "syntax/lex.h"

/* A class statement as read, before bases are resolved. */
typedef struct rclass {
    char *app, *name, *file;
    int line;
    char **bases;           /* dotted names as written */
    size_t nbases;
    tq_djfield_t *fields;
    size_t nfields, fcap;
    char **skipped;         /* notes to give if it turns out a model */
    size_t nskipped, scap;
    char *db_table, *ordering, *unique_together, *app_label;
    bool abstract, proxy;
    bool has_meta;          /* the body has a `class Meta` */
    char *meta_base;        /* `class Meta(Base.Meta)`: "Base.Meta" */
    char **consts;          /* class constants: name, then value text */
    size_t nconsts, kcap;
    int model;              /* -1 unknown, 0 no, 1 yes */
    bool done;              /* fields of abstract bases merged */
} rclass_t;

/* An imported name: `from shop.models import Product as P`. */
typedef struct ralias {
    char *app, *name, *as;
} ralias_t;

typedef struct reader {
    tq_djproject_t *p;
    size_t ncap, acap, mcap;
    rclass_t *classes;
    size_t nclasses, ccap;
    ralias_t *aliases;
    size_t naliases, alcap;
    char **mconsts;         /* module constants: app, name, value text */
    size_t nmconsts, mkcap;
    char **djnames;         /* names imported from django.db.models */
    size_t ndj, djcap;
    /* the file being read */
    const char *app, *file;
    tq_token_t *t;
    size_t n;
} reader_t;

static void note(reader_t *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(reader_t *r, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tq_buf_t b = {0};
    if (r->file)
        tq_buf_printf(&b, "%s:%d: ", r->file, line);
    char tmp[512];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    tq_buf_add(&b, tmp);
    TQ_PUSH(r->p->notes, r->p->nnotes, r->ncap, tq_buf_take(&b));
}

/* ---- tokens */

static bool is(const reader_t *r, size_t i, tq_tok_kind_t k)
{
    return i < r->n && r->t[i].kind == k;
}

static bool name_is(const reader_t *r, size_t i, const char *s)
{
    return is(r, i, TQ_TOK_NAME) && r->t[i].len == strlen(s) &&
           !strncmp(r->t[i].start, s, r->t[i].len);
}

static char *tok_text(const reader_t *r, size_t i)
{
    return tq_xstrndup(r->t[i].start, r->t[i].len);
}

/* The source text of tokens [a, b). */
static char *range_text(const reader_t *r, size_t a, size_t b)
{
    if (a >= b)
        return tq_xstrdup("");
    const char *s = r->t[a].start;
    const char *e = r->t[b - 1].start + r->t[b - 1].len;
    return tq_xstrndup(s, (size_t)(e - s));
}

/* The end (the NEWLINE or END) of the logical line starting at i. */
static size_t line_end(const reader_t *r, size_t i)
{
    while (i < r->n && r->t[i].kind != TQ_TOK_NEWLINE &&
           r->t[i].kind != TQ_TOK_END)
        i++;
    return i;
}

/* The index after the statement starting at i, its block included. */
static size_t skip_stmt(const reader_t *r, size_t i)
{
    i = line_end(r, i);
    if (is(r, i, TQ_TOK_NEWLINE))
        i++;
    if (is(r, i, TQ_TOK_INDENT)) {
        int depth = 0;
        for (; i < r->n; i++) {
            if (r->t[i].kind == TQ_TOK_INDENT)
                depth++;
            else if (r->t[i].kind == TQ_TOK_DEDENT && --depth == 0)
                return i + 1;
            else if (r->t[i].kind == TQ_TOK_END)
                return i;
        }
    }
    return i;
}

/* A dotted name at i ("models.CharField"): its text and the index after
 * it, or NULL. */
static char *dotted(const reader_t *r, size_t *i)
{
    size_t k = *i;
    if (!is(r, k, TQ_TOK_NAME))
        return NULL;
    tq_buf_t b = {0};
    tq_buf_addn(&b, r->t[k].start, r->t[k].len);
    k++;
    while (is(r, k, TQ_TOK_DOT) && is(r, k + 1, TQ_TOK_NAME)) {
        tq_buf_addc(&b, '.');
        tq_buf_addn(&b, r->t[k + 1].start, r->t[k + 1].len);
        k += 2;
    }
    *i = k;
    return tq_buf_take(&b);
}

/* The index of the bracket closing the one at i (or r->n). */
static size_t closing(const reader_t *r, size_t i)
{
    int depth = 0;
    for (; i < r->n; i++) {
        tq_tok_kind_t k = r->t[i].kind;
        if (k == TQ_TOK_LPAR || k == TQ_TOK_LSQB || k == TQ_TOK_LBRACE)
            depth++;
        else if ((k == TQ_TOK_RPAR || k == TQ_TOK_RSQB ||
                  k == TQ_TOK_RBRACE) && --depth == 0)
            return i;
    }
    return r->n;
}

/* One argument of a call: tokens [a, b), keyword name or NULL. */
typedef struct rarg {
    char *kw;
    size_t a, b;
} rarg_t;

/* Splits the arguments of the call whose "(" is at i. */
static size_t call_args(const reader_t *r, size_t i, rarg_t *args,
                        size_t max)
{
    size_t end = closing(r, i), n = 0, a = i + 1;
    int depth = 0;
    for (size_t k = i + 1; k <= end && k < r->n; k++) {
        tq_tok_kind_t kind = r->t[k].kind;
        if (kind == TQ_TOK_LPAR || kind == TQ_TOK_LSQB ||
            kind == TQ_TOK_LBRACE)
            depth++;
        else if ((kind == TQ_TOK_RPAR || kind == TQ_TOK_RSQB ||
                  kind == TQ_TOK_RBRACE) && k != end)
            depth--;
        if ((kind == TQ_TOK_COMMA && depth == 0) || k == end) {
            if (k > a && n < max) {
                rarg_t *g = &args[n++];
                g->kw = NULL;
                g->a = a;
                g->b = k;
                if (is(r, a, TQ_TOK_NAME) && is(r, a + 1, TQ_TOK_ASSIGN)) {
                    g->kw = tok_text(r, a);
                    g->a = a + 2;
                }
            }
            a = k + 1;
        }
    }
    return n;
}

/* The argument's string when it is one string literal, else NULL. */
static char *arg_str(const reader_t *r, const rarg_t *g)
{
    if (g->b != g->a + 1 || !is(r, g->a, TQ_TOK_STRING))
        return NULL;
    return tq_xstrndup(r->t[g->a].str, r->t[g->a].str_len);
}

/* The argument as a reference to a model: a string or a dotted name
 * (its last part). NULL otherwise. */
static char *arg_ref(const reader_t *r, const rarg_t *g)
{
    char *s = arg_str(r, g);
    if (s)
        return s;
    size_t k = g->a;
    char *d = dotted(r, &k);
    if (!d || k != g->b) {
        free(d);
        return NULL;
    }
    return d;
}

static bool arg_true(const reader_t *r, const rarg_t *g)
{
    return g->b == g->a + 1 && is(r, g->a, TQ_TOK_KW_True);
}

static bool arg_false(const reader_t *r, const rarg_t *g)
{
    return g->b == g->a + 1 && is(r, g->a, TQ_TOK_KW_False);
}

static tq_ondelete_t on_delete_of(const char *text)
{
    const char *last = strrchr(text, '.');
    last = last ? last + 1 : text;
#define X(n)                                                               \
    if (!strcmp(last, #n))                                                 \
        return TQ_OD_##n;
    TQ_ONDELETE(X)
#undef X
    return TQ_OD_UNKNOWN;
}

/* ---- class bodies */

static bool is_django_name(const reader_t *r, const char *name)
{
    for (size_t i = 0; i < r->ndj; i++)
        if (!strcmp(r->djnames[i], name))
            return true;
    return false;
}

/* The field class of a callee when it is one of Django's: "CharField"
 * for models.CharField or an imported CharField, else NULL. */
static const char *django_field(const reader_t *r, const char *callee)
{
    const char *kind = NULL;
    if (!strncmp(callee, "models.", 7) && !strchr(callee + 7, '.'))
        kind = callee + 7;
    else if (!strchr(callee, '.') && is_django_name(r, callee))
        kind = callee;
    if (!kind)
        return NULL;
    size_t n = strlen(kind);
    if ((n > 5 && !strcmp(kind + n - 5, "Field")) ||
        !strcmp(kind, "ForeignKey"))
        return kind;
    return NULL;
}

static void skipped(reader_t *r, rclass_t *c, int line, const char *what)
{
    char *s = tq_xasprintf("%s:%d: skipped %s", r->file, line, what);
    TQ_PUSH(c->skipped, c->nskipped, c->scap, s);
}

/* A field statement `name = callee(args)` whose "(" is at i. */
static void read_field(reader_t *r, rclass_t *c, const char *name,
                       const char *kind, size_t i)
{
    rarg_t args[32];
    size_t n = call_args(r, i, args, 32);
    tq_djfield_t f = {0};
    f.name = tq_xstrdup(name);
    f.kind = tq_xstrdup(kind);
    bool rel = !strcmp(kind, "ForeignKey") || !strcmp(kind, "OneToOneField") ||
               !strcmp(kind, "ManyToManyField");
    size_t pos = 0;
    for (size_t k = 0; k < n; k++) {
        rarg_t *g = &args[k];
        const char *kw = g->kw;
        if (!kw) {
            if (rel && pos == 0)
                kw = "to";
            else if (rel && pos == 1 && strcmp(kind, "ManyToManyField"))
                kw = "on_delete";
            pos++;
        }
        if (!kw) {
        } else if (!strcmp(kw, "to")) {
            f.to = arg_ref(r, g);
        } else if (!strcmp(kw, "on_delete")) {
            char *t = range_text(r, g->a, g->b);
            f.on_delete = on_delete_of(t);
            if (f.on_delete == TQ_OD_UNKNOWN)
                note(r, r->t[g->a].line,
                     "%s.%s: on_delete=%s is not known; the database's own "
                     "rule applies", c->name, name, t);
            free(t);
        } else if (!strcmp(kw, "related_name")) {
            f.related_name = arg_str(r, g);
        } else if (!strcmp(kw, "related_query_name")) {
            f.related_query_name = arg_str(r, g);
        } else if (!strcmp(kw, "through")) {
            f.through = arg_ref(r, g);
        } else if (!strcmp(kw, "db_table")) {
            f.db_table = arg_str(r, g);
        } else if (!strcmp(kw, "db_column")) {
            f.column = arg_str(r, g);
        } else if (!strcmp(kw, "null")) {
            f.null = arg_true(r, g);
        } else if (!strcmp(kw, "symmetrical")) {
            f.symmetrical_off = arg_false(r, g);
        } else if (!strcmp(kw, "choices")) {
            f.choices = range_text(r, g->a, g->b);
        } else if (!strcmp(kw, "default")) {
            f.dflt = range_text(r, g->a, g->b);
        }
        free(g->kw);
    }
    TQ_PUSH(c->fields, c->nfields, c->fcap, f);
}

/* `class Meta:` options. */
static void read_meta(reader_t *r, rclass_t *c, size_t i, size_t end)
{
    while (i < end) {
        if (is(r, i, TQ_TOK_INDENT) || is(r, i, TQ_TOK_DEDENT) ||
            is(r, i, TQ_TOK_NEWLINE)) {
            i++;
            continue;
        }
        size_t e = line_end(r, i);
        if (is(r, i, TQ_TOK_NAME) && is(r, i + 1, TQ_TOK_ASSIGN)) {
            rarg_t g = {NULL, i + 2, e};
            if (name_is(r, i, "db_table")) {
                free(c->db_table);
                c->db_table = arg_str(r, &g);
            } else if (name_is(r, i, "ordering")) {
                free(c->ordering);
                c->ordering = range_text(r, g.a, g.b);
            } else if (name_is(r, i, "unique_together")) {
                free(c->unique_together);
                c->unique_together = range_text(r, g.a, g.b);
            } else if (name_is(r, i, "abstract")) {
                c->abstract = arg_true(r, &g);
            } else if (name_is(r, i, "proxy")) {
                c->proxy = arg_true(r, &g);
            } else if (name_is(r, i, "app_label")) {
                free(c->app_label);
                c->app_label = arg_str(r, &g);
            }
        }
        i = skip_stmt(r, i);
    }
}

/* The statements of a class body, tokens [i, end). */
static void read_body(reader_t *r, rclass_t *c, size_t i, size_t end)
{
    while (i < end) {
        tq_tok_kind_t k = r->t[i].kind;
        int line = r->t[i].line;
        size_t next = skip_stmt(r, i);
        if (k == TQ_TOK_NEWLINE || k == TQ_TOK_INDENT ||
            k == TQ_TOK_DEDENT) {
            i++;
            continue;
        }
        if (k == TQ_TOK_KW_class && name_is(r, i + 1, "Meta")) {
            size_t b = line_end(r, i) + 1;
            c->has_meta = true;
            if (is(r, i + 2, TQ_TOK_LPAR)) {
                size_t q = i + 3;
                free(c->meta_base);
                c->meta_base = dotted(r, &q);
            }
            read_meta(r, c, b, next);
        } else if (k == TQ_TOK_AT || k == TQ_TOK_KW_def) {
            size_t d = i;
            char *deco = NULL;
            while (is(r, d, TQ_TOK_AT)) {
                size_t q = d + 1;
                if (!deco)
                    deco = dotted(r, &q);
                d = line_end(r, d) + 1;
            }
            next = skip_stmt(r, d);
            char *fn = is(r, d + 1, TQ_TOK_NAME) ? tok_text(r, d + 1)
                                                 : tq_xstrdup("?");
            char *what = deco ? tq_xasprintf("method %s.%s (@%s)", c->name,
                                             fn, deco)
                              : tq_xasprintf("method %s.%s", c->name, fn);
            skipped(r, c, line, what);
            free(what);
            free(fn);
            free(deco);
        } else if (k == TQ_TOK_NAME && is(r, i + 1, TQ_TOK_ASSIGN)) {
            char *name = tok_text(r, i);
            size_t q = i + 2;
            char *callee = dotted(r, &q);
            const char *kind = callee ? django_field(r, callee) : NULL;
            if (kind && is(r, q, TQ_TOK_LPAR)) {
                read_field(r, c, name, kind, q);
            } else if (callee && is(r, q, TQ_TOK_LPAR) &&
                       strstr(callee, "Manager")) {
                if (strcmp(callee, "models.Manager")) {
                    char *what = tq_xasprintf("manager %s.%s (%s)", c->name,
                                              name, callee);
                    skipped(r, c, line, what);
                    free(what);
                }
            } else if (callee && is(r, q, TQ_TOK_LPAR) &&
                       isupper((unsigned char)callee[0])) {
                /* a class of the project: a custom field (its kind marked
                 * with "~"), checked once the classes are known */
                char *custom = tq_xasprintf("~%s", callee);
                read_field(r, c, name, custom, q);
                free(custom);
            }
            else if (!callee || !is(r, q, TQ_TOK_LPAR)) {
                /* a class constant (choices = [...]): kept as text */
                char *v = range_text(r, i + 2, line_end(r, i));
                TQ_PUSH(c->consts, c->nconsts, c->kcap, tq_xstrdup(name));
                TQ_PUSH(c->consts, c->nconsts, c->kcap, v);
            }
            free(callee);
            free(name);
        } else if (k == TQ_TOK_STRING || k == TQ_TOK_KW_pass) {
            /* a docstring, pass */
        } else {
            char *what = tq_xasprintf("statement in class %s", c->name);
            skipped(r, c, line, what);
            free(what);
        }
        i = next;
    }
}

/* class NAME(BASES): BODY */
static size_t read_class(reader_t *r, size_t i)
{
    size_t next = skip_stmt(r, i);
    if (!is(r, i + 1, TQ_TOK_NAME))
        return next;
    rclass_t c = {0};
    c.app = tq_xstrdup(r->app);
    c.file = tq_xstrdup(r->file);
    c.name = tok_text(r, i + 1);
    c.line = r->t[i].line;
    c.model = -1;
    size_t k = i + 2, bcap = 0;
    if (is(r, k, TQ_TOK_LPAR)) {
        size_t end = closing(r, k);
        k++;
        while (k < end) {
            size_t q = k;
            char *b = dotted(r, &q);
            if (b && !is(r, q, TQ_TOK_ASSIGN))
                TQ_PUSH(c.bases, c.nbases, bcap, b);
            else
                free(b);
            while (q < end && !is(r, q, TQ_TOK_COMMA))
                q++;
            k = q + 1;
        }
        k = end + 1;
    }
    size_t body = line_end(r, k);
    if (is(r, body, TQ_TOK_NEWLINE) && is(r, body + 1, TQ_TOK_INDENT))
        read_body(r, &c, body + 2, next - 1);
    TQ_PUSH(r->classes, r->nclasses, r->ccap, c);
    return next;
}

/* from MODULE import NAMES / import MODULE */
static void read_import(reader_t *r, size_t i, size_t end)
{
    int line = r->t[i].line;
    if (is(r, i, TQ_TOK_KW_import)) {
        char *text = range_text(r, i + 1, end);
        if (strncmp(text, "django", 6))
            note(r, line, "skipped import %s", text);
        free(text);
        return;
    }
    size_t k = i + 1;
    tq_buf_t mod = {0};
    while (is(r, k, TQ_TOK_DOT)) {
        tq_buf_addc(&mod, '.');
        k++;
    }
    size_t q = k;
    char *d = dotted(r, &q);
    if (d)
        tq_buf_add(&mod, d);
    free(d);
    if (!mod.len)
        tq_buf_add(&mod, "");
    k = q;
    if (!is(r, k, TQ_TOK_KW_import)) {
        tq_buf_free(&mod);
        return;
    }
    k++;
    bool django = !strncmp(mod.s, "django", 6);
    bool dj_models = !strcmp(mod.s, "django.db.models");
    /* "blog.models", ".models", "." (inside a models/ package) */
    const char *app = NULL;
    char *app_buf = NULL;
    size_t ml = strlen(mod.s);
    if (ml > 7 && !strcmp(mod.s + ml - 7, ".models") && mod.s[0] != '.') {
        app_buf = tq_xstrndup(mod.s, ml - 7);
        char *dot = strrchr(app_buf, '.');
        app = dot ? dot + 1 : app_buf;
    } else if (mod.s[0] == '.') {
        app = r->app;
    }
    for (; k < end; k++) {
        if (!is(r, k, TQ_TOK_NAME))
            continue;
        char *name = tok_text(r, k);
        char *as = NULL;
        if (is(r, k + 1, TQ_TOK_KW_as) && is(r, k + 2, TQ_TOK_NAME)) {
            as = tok_text(r, k + 2);
            k += 2;
        }
        if (dj_models) {
            TQ_PUSH(r->djnames, r->ndj, r->djcap,
                    tq_xstrdup(as ? as : name));
        } else if (app) {
            ralias_t al = {tq_xstrdup(app), tq_xstrdup(name),
                           tq_xstrdup(as ? as : name)};
            TQ_PUSH(r->aliases, r->naliases, r->alcap, al);
        }
        free(name);
        free(as);
    }
    if (!django && !app)
        note(r, line, "skipped import from %s", mod.s);
    free(app_buf);
    tq_buf_free(&mod);
}

/* Reads one models file of app `app`. */
static void read_file(reader_t *r, const char *app, const char *path,
                      const char *shown)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        note(r, 0, "cannot read %s", shown);
        return;
    }
    tq_buf_t src = {0};
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0)
        tq_buf_addn(&src, chunk, got);
    fclose(fp);
    if (!src.len)
        tq_buf_add(&src, "");
    tq_arena_t *arena = tq_arena_new();
    tq_syntax_error_t err = {0};
    r->app = app;
    r->file = shown;
    if (tq_lex(arena, src.s, src.len, 1, 0, false, &r->t, &r->n, &err) < 0) {
        note(r, err.line, "skipped the file: %s", err.msg ? err.msg : "?");
        tq_arena_release(&arena);
        tq_buf_free(&src);
        return;
    }
    size_t i = 0;
    while (i < r->n && r->t[i].kind != TQ_TOK_END) {
        tq_tok_kind_t k = r->t[i].kind;
        int line = r->t[i].line;
        size_t next = skip_stmt(r, i);
        if (next <= i)
            next = i + 1;
        if (k == TQ_TOK_NEWLINE || k == TQ_TOK_INDENT ||
            k == TQ_TOK_DEDENT || k == TQ_TOK_STRING) {
            i = k == TQ_TOK_STRING ? next : i + 1;
            continue;
        }
        if (k == TQ_TOK_KW_from || k == TQ_TOK_KW_import) {
            read_import(r, i, line_end(r, i));
        } else if (k == TQ_TOK_KW_class) {
            next = read_class(r, i);
        } else if (k == TQ_TOK_AT) {
            size_t d = i;
            while (is(r, d, TQ_TOK_AT))
                d = line_end(r, d) + 1;
            next = skip_stmt(r, d);
            char *what = is(r, d + 1, TQ_TOK_NAME) ? tok_text(r, d + 1)
                                                  : tq_xstrdup("?");
            note(r, line, "skipped decorated %s %s",
                 is(r, d, TQ_TOK_KW_class) ? "class" : "function", what);
            free(what);
        } else if (k == TQ_TOK_KW_def) {
            char *fn = is(r, i + 1, TQ_TOK_NAME) ? tok_text(r, i + 1)
                                                 : tq_xstrdup("?");
            note(r, line, "skipped function %s", fn);
            free(fn);
        } else if (k == TQ_TOK_NAME && is(r, i + 1, TQ_TOK_ASSIGN) &&
                   (is(r, i + 2, TQ_TOK_LSQB) || is(r, i + 2, TQ_TOK_LPAR))) {
            /* a module constant (CITIES = (...)): kept for choices= */
            TQ_PUSH(r->mconsts, r->nmconsts, r->mkcap, tq_xstrdup(r->app));
            TQ_PUSH(r->mconsts, r->nmconsts, r->mkcap, tok_text(r, i));
            TQ_PUSH(r->mconsts, r->nmconsts, r->mkcap,
                    range_text(r, i + 2, line_end(r, i)));
        } else if (k == TQ_TOK_NAME && is(r, i + 1, TQ_TOK_ASSIGN)) {
            char *name = tok_text(r, i);
            note(r, line, "skipped module-level assignment %s", name);
            free(name);
        } else {
            note(r, line, "skipped a statement");
        }
        i = next;
    }
    r->t = NULL;
    r->n = 0;
    r->file = NULL;
    tq_arena_release(&arena);
    tq_buf_free(&src);
}

/* ---- apps */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The `label = "..."` of an AppConfig in dir/apps.py, or NULL. */
static char *app_label(const char *dir)
{
    char *path = tq_xasprintf("%s/apps.py", dir);
    FILE *fp = fopen(path, "rb");
    free(path);
    if (!fp)
        return NULL;
    tq_buf_t src = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0)
        tq_buf_addn(&src, chunk, got);
    fclose(fp);
    if (!src.len)
        tq_buf_add(&src, "");
    tq_arena_t *arena = tq_arena_new();
    tq_token_t *t = NULL;
    size_t n = 0;
    tq_syntax_error_t err = {0};
    char *label = NULL;
    if (tq_lex(arena, src.s, src.len, 1, 0, false, &t, &n, &err) == 0)
        for (size_t i = 1; i + 2 < n && !label; i++)
            if (t[i].kind == TQ_TOK_NAME && t[i].len == 5 &&
                !strncmp(t[i].start, "label", 5) &&
                (t[i - 1].kind == TQ_TOK_NEWLINE ||
                 t[i - 1].kind == TQ_TOK_INDENT) &&
                t[i + 1].kind == TQ_TOK_ASSIGN &&
                t[i + 2].kind == TQ_TOK_STRING)
                label = tq_xstrndup(t[i + 2].str, t[i + 2].str_len);
    tq_arena_release(&arena);
    tq_buf_free(&src);
    return label;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir (dot files excepted); free with free_names. */
static char **dir_names(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    if (!d)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            TQ_PUSH(v, *n, cap, tq_xstrdup(e->d_name));
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Reads the app in `dir` (shown relative to the root as `rel`). */
static void read_app(reader_t *r, const char *dir, const char *rel,
                     const char *base)
{
    char *label = app_label(dir);
    char *app = label ? label : tq_xstrdup(base);
    TQ_PUSH(r->p->apps, r->p->napps, r->acap, app);
    char *single = tq_xasprintf("%s/models.py", dir);
    if (is_file(single)) {
        char *shown = tq_xasprintf("%s%smodels.py", rel, *rel ? "/" : "");
        read_file(r, app, single, shown);
        free(shown);
    } else {
        char *pkg = tq_xasprintf("%s/models", dir);
        size_t n;
        char **names = dir_names(pkg, &n);
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(names[i]);
            if (l < 4 || strcmp(names[i] + l - 3, ".py"))
                continue;
            char *path = tq_xasprintf("%s/%s", pkg, names[i]);
            char *shown = tq_xasprintf("%s%smodels/%s", rel, *rel ? "/" : "",
                                       names[i]);
            read_file(r, app, path, shown);
            free(shown);
            free(path);
        }
        free_names(names, n);
        free(pkg);
    }
    free(single);
}

static bool skip_dir(const char *name)
{
    static const char *const skip[] = {"migrations", "node_modules",
                                       "site-packages", "venv", "env",
                                       "static", "templates", "media",
                                       "build"};
    if (name[0] == '_' || name[0] == '.')
        return true;
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (!strcmp(name, skip[i]))
            return true;
    return false;
}

/* Finds the apps under dir, depth first in name order. */
static void find_apps(reader_t *r, const char *dir, const char *rel,
                      int depth)
{
    char *m1 = tq_xasprintf("%s/models.py", dir);
    char *m2 = tq_xasprintf("%s/models/__init__.py", dir);
    bool app = is_file(m1) || is_file(m2);
    free(m1);
    free(m2);
    if (app) {
        const char *base = strrchr(dir, '/');
        base = base ? base + 1 : dir;
        read_app(r, dir, rel, base);
    }
    if (depth >= 4)
        return;
    size_t n;
    char **names = dir_names(dir, &n);
    for (size_t i = 0; i < n; i++) {
        if (skip_dir(names[i]) || (app && !strcmp(names[i], "models")))
            continue;
        char *sub = tq_xasprintf("%s/%s", dir, names[i]);
        if (is_dir(sub)) {
            char *srel = tq_xasprintf("%s%s%s", rel, *rel ? "/" : "",
                                      names[i]);
            find_apps(r, sub, srel, depth + 1);
            free(srel);
        }
        free(sub);
    }
    free_names(names, n);
}

/* ---- resolution */

/* The class a reference names, seen from app `app`: "app.Model",
 * "Model" (the same app first, then an import, then a unique name), or
 * NULL. */
static rclass_t *find_class(reader_t *r, const char *app, const char *ref)
{
    const char *dot = strrchr(ref, '.');
    if (dot && strncmp(ref, "models.", 7)) {
        size_t n = (size_t)(dot - ref);
        const char *a = ref;
        for (const char *d2 = dot; d2-- > ref;)
            if (*d2 == '.') {
                a = d2 + 1;
                n = (size_t)(dot - a);
                break;
            }
        for (size_t i = 0; i < r->nclasses; i++)
            if (strlen(r->classes[i].app) == n &&
                !strncmp(r->classes[i].app, a, n) &&
                !strcmp(r->classes[i].name, dot + 1))
                return &r->classes[i];
        return NULL;
    }
    for (size_t i = 0; i < r->nclasses; i++)
        if (!strcmp(r->classes[i].app, app) &&
            !strcmp(r->classes[i].name, ref))
            return &r->classes[i];
    for (size_t i = 0; i < r->naliases; i++)
        if (!strcmp(r->aliases[i].as, ref)) {
            char *full = tq_xasprintf("%s.%s", r->aliases[i].app,
                                      r->aliases[i].name);
            rclass_t *c = strcmp(r->aliases[i].app, app) || strcmp(
                r->aliases[i].name, ref) ? find_class(r, app, full) : NULL;
            free(full);
            if (c)
                return c;
        }
    rclass_t *found = NULL;
    for (size_t i = 0; i < r->nclasses; i++)
        if (!strcmp(r->classes[i].name, ref)) {
            if (found)
                return NULL;
            found = &r->classes[i];
        }
    return found;
}

static bool is_model_base(const reader_t *r, const char *b)
{
    return !strcmp(b, "models.Model") ||
           (!strcmp(b, "Model") && is_django_name(r, "Model"));
}

/* Decides which classes are models (a fixed point over their bases). */
static void classify(reader_t *r)
{
    bool changed = true;
    while (changed) {
        changed = false;
        for (size_t i = 0; i < r->nclasses; i++) {
            rclass_t *c = &r->classes[i];
            if (c->model == 1)
                continue;
            for (size_t b = 0; b < c->nbases; b++) {
                rclass_t *bc = is_model_base(r, c->bases[b])
                                   ? NULL
                                   : find_class(r, c->app, c->bases[b]);
                if (is_model_base(r, c->bases[b]) || (bc && bc->model == 1)) {
                    c->model = 1;
                    changed = true;
                    break;
                }
            }
        }
    }
}

static tq_djfield_t field_copy(const tq_djfield_t *f)
{
    tq_djfield_t c = *f;
    c.name = tq_xstrdup(f->name);
    c.kind = tq_xstrdup(f->kind);
    c.column = tq_xstrdup(f->column);
    c.to = tq_xstrdup(f->to);
    c.related_name = tq_xstrdup(f->related_name);
    c.related_query_name = tq_xstrdup(f->related_query_name);
    c.through = tq_xstrdup(f->through);
    c.db_table = tq_xstrdup(f->db_table);
    c.choices = tq_xstrdup(f->choices);
    c.dflt = tq_xstrdup(f->dflt);
    return c;
}

/* "app.Model" for a reference seen from class c, or NULL. */
static char *resolve_ref(reader_t *r, const rclass_t *c, const char *ref)
{
    if (!ref)
        return NULL;
    if (!strcmp(ref, "self"))
        return tq_xasprintf("%s.%s", c->app, c->name);
    rclass_t *t = find_class(r, c->app, ref);
    if (t)
        return tq_xasprintf("%s.%s", t->app, t->name);
    return tq_xstrdup(ref);
}

/* The table of class c: its db_table, Django's default, or for a proxy
 * its concrete ancestor's. malloc'd. */
static char *concrete_table(reader_t *r, const rclass_t *c, int depth)
{
    for (size_t b = 0; c->proxy && depth < 16 && b < c->nbases; b++) {
        rclass_t *bc = find_class(r, c->app, c->bases[b]);
        if (bc && bc->model == 1 && !bc->abstract)
            return concrete_table(r, bc, depth + 1);
    }
    if (c->db_table)
        return tq_xstrdup(c->db_table);
    char *t = tq_xasprintf("%s_%s", c->app_label ? c->app_label : c->app,
                           c->name);
    for (char *p = t; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return t;
}

/* Meta.ordering of class c as Django inherits it (malloc'd, or NULL):
 * its own Meta's; else, without a Meta of its own, its first abstract
 * base's (Django hands an abstract base's Meta to a child that declares
 * none), or with `class Meta(Base.Meta)` that base's; else a concrete
 * parent's (multi-table child or proxy: Django copies the parent's
 * ordering when the child's Meta does not set one). */
static char *inherited_ordering(reader_t *r, const rclass_t *c, int depth)
{
    if (c->ordering)
        return tq_xstrdup(c->ordering);
    if (depth > 16)
        return NULL;
    for (size_t b = 0; b < c->nbases; b++) {
        rclass_t *bc = find_class(r, c->app, c->bases[b]);
        if (!bc || bc->model != 1 || !bc->abstract)
            continue;
        bool takes = !c->has_meta;
        if (c->meta_base) {
            char *want = tq_xasprintf("%s.Meta", c->bases[b]);
            takes = !strcmp(c->meta_base, want);
            free(want);
        }
        if (takes) {
            char *o = inherited_ordering(r, bc, depth + 1);
            if (o || !c->meta_base)
                return o;
        }
    }
    for (size_t b = 0; b < c->nbases; b++) {
        rclass_t *bc = find_class(r, c->app, c->bases[b]);
        if (bc && bc->model == 1 && !bc->abstract)
            return inherited_ordering(r, bc, depth + 1);
    }
    return NULL;
}

/* choices= as written, with a class constant's name (choices=STATUS)
 * replaced by its value (the class's own, then its bases'). malloc'd. */
static char *choices_text(reader_t *r, const rclass_t *c, const char *text,
                          int depth)
{
    if (!text)
        return NULL;
    for (size_t i = 0; i + 1 < c->nconsts; i += 2)
        if (!strcmp(c->consts[i], text))
            return tq_xstrdup(c->consts[i + 1]);
    for (size_t b = 0; depth < 16 && b < c->nbases; b++) {
        rclass_t *bc = find_class(r, c->app, c->bases[b]);
        if (bc) {
            char *v = choices_text(r, bc, text, depth + 1);
            if (strcmp(v, text))
                return v;
            free(v);
        }
    }
    for (size_t i = 0; i + 2 < r->nmconsts; i += 3)
        if (!strcmp(r->mconsts[i], c->app) &&
            !strcmp(r->mconsts[i + 1], text))
            return tq_xstrdup(r->mconsts[i + 2]);
    return tq_xstrdup(text);
}

/* Builds the model of class c: abstract bases' fields first. */
static void build_model(reader_t *r, rclass_t *c, int depth)
{
    tq_djmodel_t m = {0};
    m.app = tq_xstrdup(c->app);
    m.name = tq_xstrdup(c->name);
    m.abstract = c->abstract;
    m.proxy = c->proxy;
    m.ordering = inherited_ordering(r, c, 0);
    m.unique_together = tq_xstrdup(c->unique_together);
    size_t fcap = 0;
    /* abstract ancestors, nearest last so that own fields win */
    rclass_t *chain[16];
    size_t nchain = 0;
    for (rclass_t *k = c; k && nchain < 16 && depth < 16;) {
        rclass_t *next = NULL;
        for (size_t b = 0; b < k->nbases; b++) {
            rclass_t *bc = find_class(r, k->app, k->bases[b]);
            if (bc && bc->model == 1 && bc->abstract) {
                chain[nchain++] = bc;
                next = bc;
                break;
            }
            if (bc && bc->model == 1 && k == c && !m.parent) {
                if (!c->proxy)
                    m.parent = tq_xasprintf("%s.%s", bc->app, bc->name);
                else if (!m.table)
                    m.table = concrete_table(r, bc, 0);
            }
        }
        k = next;
    }
    for (size_t k = nchain; k-- > 0;)
        for (size_t f = 0; f < chain[k]->nfields; f++) {
            tq_djfield_t fc = field_copy(&chain[k]->fields[f]);
            TQ_PUSH(m.fields, m.nfields, fcap, fc);
        }
    for (size_t f = 0; f < c->nfields; f++) {
        tq_djfield_t fc = field_copy(&c->fields[f]);
        TQ_PUSH(m.fields, m.nfields, fcap, fc);
    }
    /* custom field classes: kept as plain columns, with a note */
    size_t k = 0;
    for (size_t f = 0; f < m.nfields; f++) {
        tq_djfield_t *fd = &m.fields[f];
        if (fd->kind[0] == '~' && !strstr(fd->kind, "Field")) {
            /* not a field at all (an instance of some class) */
            free(fd->name);
            free(fd->kind);
            free(fd->to);
            free(fd->related_name);
            free(fd->related_query_name);
            free(fd->through);
            free(fd->db_table);
            free(fd->column);
            free(fd->choices);
            free(fd->dflt);
            continue;
        }
        if (fd->kind[0] == '~') {
            char *s = tq_xstrdup(fd->kind + 1);
            free(fd->kind);
            fd->kind = s;
        }
        char *to = resolve_ref(r, c, fd->to);
        free(fd->to);
        fd->to = to;
        char *th = resolve_ref(r, c, fd->through);
        free(fd->through);
        fd->through = th;
        char *ch = choices_text(r, c, fd->choices, 0);
        free(fd->choices);
        fd->choices = ch;
        m.fields[k++] = *fd;
    }
    m.nfields = k;
    const char *app = c->app_label ? c->app_label : c->app;
    if (c->app_label) {
        free(m.app);
        m.app = tq_xstrdup(c->app_label);
    }
    if (!m.table) {
        if (c->db_table) {
            m.table = tq_xstrdup(c->db_table);
        } else {
            m.table = tq_xasprintf("%s_%s", app, c->name);
            for (char *p = m.table; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        }
    }
    TQ_PUSH(r->p->models, r->p->nmodels, r->mcap, m);
}

/* Notes of a class: what was skipped in it, or why it is not a model. */
static void class_notes(reader_t *r, rclass_t *c)
{
    if (c->model == 1) {
        for (size_t i = 0; i < c->nskipped; i++)
            TQ_PUSH(r->p->notes, r->p->nnotes, r->ncap,
                    tq_xstrdup(c->skipped[i]));
        for (size_t f = 0; f < c->nfields; f++) {
            const tq_djfield_t *fd = &c->fields[f];
            if (fd->kind[0] != '~')
                continue;
            rclass_t *fc = find_class(r, c->app, fd->kind + 1);
            if (!strstr(fd->kind, "Field")) {
                char *line = tq_xasprintf("%s: skipped attribute %s.%s (%s)",
                                          c->file, c->name, fd->name,
                                          fd->kind + 1);
                TQ_PUSH(r->p->notes, r->p->nnotes, r->ncap, line);
                continue;
            }
            char *line = tq_xasprintf(
                "%s: %s %s %s.%s read as a plain column", c->file,
                fc ? "custom field" : "unknown field class", fd->kind + 1,
                c->name, fd->name);
            TQ_PUSH(r->p->notes, r->p->nnotes, r->ncap, line);
        }
        return;
    }
    const char *what = "class";
    for (size_t b = 0; b < c->nbases; b++) {
        if (strstr(c->bases[b], "Field"))
            what = "custom field class";
        else if (strstr(c->bases[b], "Manager") ||
                 strstr(c->bases[b], "QuerySet"))
            what = "manager class";
    }
    char *line = tq_xasprintf("%s:%d: skipped %s %s (not a model)", c->file,
                              c->line, what, c->name);
    TQ_PUSH(r->p->notes, r->p->nnotes, r->ncap, line);
}

static void rclass_free(rclass_t *c)
{
    for (size_t i = 0; i < c->nconsts; i++)
        free(c->consts[i]);
    free(c->consts);
    free(c->meta_base);
    for (size_t i = 0; i < c->nbases; i++)
        free(c->bases[i]);
    for (size_t i = 0; i < c->nskipped; i++)
        free(c->skipped[i]);
    for (size_t i = 0; i < c->nfields; i++) {
        tq_djfield_t *f = &c->fields[i];
        free(f->name);
        free(f->kind);
        free(f->column);
        free(f->to);
        free(f->related_name);
        free(f->related_query_name);
        free(f->through);
        free(f->db_table);
        free(f->choices);
        free(f->dflt);
    }
    free(c->fields);
    free(c->bases);
    free(c->skipped);
    free(c->app);
    free(c->name);
    free(c->file);
    free(c->db_table);
    free(c->ordering);
    free(c->unique_together);
    free(c->app_label);
}

/* tq_django_read: see django.h. */
tq_djproject_t *tq_django_read(const char *path, char **error)
{
    *error = NULL;
    if (!is_dir(path)) {
        *error = tq_xasprintf("%s is not a directory", path);
        return NULL;
    }
    reader_t r = {0};
    r.p = tq_xcalloc(1, sizeof *r.p);
    r.p->root = tq_xstrdup(path);
    find_apps(&r, path, "", 0);
    classify(&r);
    for (size_t i = 0; i < r.nclasses; i++) {
        class_notes(&r, &r.classes[i]);
        if (r.classes[i].model == 1)
            build_model(&r, &r.classes[i], 0);
    }
    for (size_t i = 0; i < r.nclasses; i++)
        rclass_free(&r.classes[i]);
    free(r.classes);
    for (size_t i = 0; i < r.naliases; i++) {
        free(r.aliases[i].app);
        free(r.aliases[i].name);
        free(r.aliases[i].as);
    }
    free(r.aliases);
    free_names(r.djnames, r.ndj);
    free_names(r.mconsts, r.nmconsts);
    if (!r.p->napps) {
        *error = tq_xasprintf("no Django app (a directory with models.py) "
                              "under %s", path);
        tq_djproject_free(&r.p);
        return NULL;
    }
    return r.p;
}
