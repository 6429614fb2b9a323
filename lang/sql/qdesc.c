/*
 * This file holds the plain data of queries: literals (qlit_t), the
 * reference-counted expression trees (qexpr_t) that F, Q, aggregates and
 * lookups build, and query descriptions (qdesc_t) with their copy-on-write
 * clone. It knows neither SQL text nor the interpreter (compile.h).
 */
#include "sql/compile.h"
#include "sql/dialect.h"

#include <assert.h>

const char *const tq_qx_func_names[] = {
#define X(e, name, kind, sql, sig, doc) name,
    TQ_FUNCS(X)
#undef X
};

const bool tq_qx_func_is_agg[] = {
#define X(e, name, kind, sql, sig, doc)                                    \
    TQ_FUNC_KIND_##kind == TQ_FUNC_KIND_AGG,
    TQ_FUNCS(X)
#undef X
};

const tq_func_kind_t tq_qx_func_kind[] = {
#define X(e, name, kind, sql, sig, doc) TQ_FUNC_KIND_##kind,
    TQ_FUNCS(X)
#undef X
};

qlit_t qlit_null(void)
{
    return (qlit_t){.type = TQDB_NULL};
}

qlit_t qlit_int(int64_t i)
{
    return (qlit_t){.type = TQDB_INT, .i = i};
}

qlit_t qlit_float(double d)
{
    return (qlit_t){.type = TQDB_FLOAT, .d = d};
}

qlit_t qlit_text(const char *s)
{
    qlit_t l = {.type = TQDB_TEXT};
    l.n = strlen(s);
    l.s = tq_xstrndup(s, l.n);
    return l;
}

qlit_t qlit_copy(const qlit_t *l)
{
    qlit_t c = *l;
    if (l->s)
        c.s = tq_xstrndup(l->s, l->n);
    return c;
}

void qlit_clear(qlit_t *l)
{
    free(l->s);
    *l = qlit_null();
}

qexpr_t *qx_new(qx_kind_t kind)
{
    qexpr_t *e = tq_xcalloc(1, sizeof *e);
    e->refs = 1;
    e->kind = kind;
    e->lit = qlit_null();
    return e;
}

qexpr_t *qx_ref(qexpr_t *e)
{
    if (e)
        e->refs++;
    return e;
}

void qx_unref(qexpr_t *e)
{
    if (!e || --e->refs > 0)
        return;
    for (size_t i = 0; i < e->nargs; i++)
        qx_unref(e->args[i]);
    free(e->args);
    free(e->name);
    qlit_clear(&e->lit);
    qdesc_unref(e->sub);
    qx_unref(e->cond);
    free(e);
}

/* The args array grows by doubling (an in-list may hold 100,000 values:
 * one realloc per value copied the array each time under allocators that
 * cannot grow in place). Its capacity is implied by nargs: 4, then the
 * next power of two, so a push reallocates when nargs is 0 or a power of
 * two of 4 or more. */
void qx_push(qexpr_t *e, qexpr_t *child)
{
    size_t n = e->nargs;
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0))
        e->args = tq_xrealloc(e->args, (n ? 2 * n : 4) * sizeof *e->args);
    e->args[e->nargs++] = child;
}

qexpr_t *qx_lit(qlit_t lit)
{
    qexpr_t *e = qx_new(QX_LIT);
    e->lit = lit;
    return e;
}

qexpr_t *qx_path(const char *path)
{
    qexpr_t *e = qx_new(QX_REF);
    e->name = tq_xstrdup(path);
    return e;
}

qexpr_t *qx_bin(int op, qexpr_t *a, qexpr_t *b)
{
    qexpr_t *e = qx_new(QX_BIN);
    e->op = op;
    qx_push(e, a);
    qx_push(e, b);
    return e;
}

qexpr_t *qx_lookup(qexpr_t *lhs, const char *lookup, qexpr_t *rhs)
{
    qexpr_t *e = qx_new(QX_LOOKUP);
    e->name = tq_xstrdup(lookup);
    qx_push(e, lhs);
    qx_push(e, rhs);
    return e;
}

qexpr_t *qx_kw(const char *path, qexpr_t *rhs)
{
    qexpr_t *e = qx_new(QX_KW);
    e->name = tq_xstrdup(path);
    qx_push(e, rhs);
    return e;
}

qexpr_t *qx_not(qexpr_t *a)
{
    qexpr_t *e = qx_new(QX_NOT);
    qx_push(e, a);
    return e;
}

static qexpr_t *combine(qx_kind_t kind, qexpr_t *a, qexpr_t *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    qexpr_t *e = qx_new(kind);
    qexpr_t *parts[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (parts[i]->kind == kind) {
            for (size_t j = 0; j < parts[i]->nargs; j++)
                qx_push(e, qx_ref(parts[i]->args[j]));
            qx_unref(parts[i]);
        } else {
            qx_push(e, parts[i]);
        }
    }
    return e;
}

qexpr_t *qx_and(qexpr_t *a, qexpr_t *b)
{
    return combine(QX_AND, a, b);
}

qexpr_t *qx_or(qexpr_t *a, qexpr_t *b)
{
    return combine(QX_OR, a, b);
}

bool qx_has_agg(const qexpr_t *e)
{
    if (!e)
        return false;
    if (e->kind == QX_FUNC && tq_qx_func_is_agg[e->op])
        return true;
    if (e->kind == QX_FUNC && e->op == QF_WINDOW)
        return false;             /* a window aggregate groups nothing */
    for (size_t i = 0; i < e->nargs; i++)
        if (qx_has_agg(e->args[i]))
            return true;
    return false;
}

char *qx_default_alias(const qexpr_t *e)
{
    if (e->kind == QX_FUNC && e->nargs == 1 && e->args[0]->kind == QX_REF) {
        char *lower = tq_xstrdup(tq_qx_func_names[e->op]);
        for (char *p = lower; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        char *r = tq_xasprintf("%s__%s", e->args[0]->name, lower);
        free(lower);
        return r;
    }
    if (e->kind == QX_FUNC && e->nargs == 0 && e->op == QF_COUNT)
        return tq_xstrdup("__count");
    return NULL;
}

qdesc_t *qdesc_new(const char *schema, const char *table)
{
    qdesc_t *q = tq_xcalloc(1, sizeof *q);
    q->refs = 1;
    q->schema = tq_xstrdup(schema);
    q->table = tq_xstrdup(table);
    q->limit = -1;
    q->mode = QM_MODEL;
    return q;
}

qdesc_t *qdesc_ref(qdesc_t *q)
{
    if (q)
        q->refs++;
    return q;
}

static qfield_t *copy_fields(const qfield_t *f, size_t n)
{
    if (!n)
        return NULL;
    qfield_t *c = tq_xcalloc(n, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        c[i].name = tq_xstrdup(f[i].name);
        c[i].expr = qx_ref(f[i].expr);
        c[i].calls = f[i].calls;
    }
    return c;
}

static char **copy_names(char *const *v, size_t n)
{
    if (!n)
        return NULL;
    char **c = tq_xcalloc(n, sizeof *c);
    for (size_t i = 0; i < n; i++)
        c[i] = tq_xstrdup(v[i]);
    return c;
}

qdesc_t *qdesc_clone(const qdesc_t *q)
{
    qdesc_t *c = tq_xcalloc(1, sizeof *c);
    *c = *q;
    c->refs = 1;
    c->schema = tq_xstrdup(q->schema);
    c->table = tq_xstrdup(q->table);
    c->where = qx_ref(q->where);
    c->annos = copy_fields(q->annos, q->nannos);
    c->fields = copy_fields(q->fields, q->nfields);
    c->group = copy_fields(q->group, q->ngroup);
    if (q->ncalls) {
        c->calls = tq_xcalloc(q->ncalls, sizeof *c->calls);
        memcpy(c->calls, q->calls, q->ncalls * sizeof *c->calls);
    }
    if (q->norder) {
        c->order = tq_xcalloc(q->norder, sizeof *c->order);
        for (size_t i = 0; i < q->norder; i++) {
            c->order[i].expr = qx_ref(q->order[i].expr);
            c->order[i].desc = q->order[i].desc;
        }
    }
    c->only = copy_names(q->only, q->nonly);
    c->related = copy_names(q->related, q->nrelated);
    c->proxy = q->proxy ? tq_xstrdup(q->proxy) : NULL;
    c->proxy_ordering = q->proxy_ordering ? tq_xstrdup(q->proxy_ordering)
                                          : NULL;
    return c;
}

static void free_fields(qfield_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].name);
        qx_unref(f[i].expr);
    }
    free(f);
}

void qdesc_unref(qdesc_t *q)
{
    if (!q || --q->refs > 0)
        return;
    free(q->schema);
    free(q->table);
    free(q->proxy);
    free(q->proxy_ordering);
    qx_unref(q->where);
    free_fields(q->annos, q->nannos);
    free_fields(q->fields, q->nfields);
    free_fields(q->group, q->ngroup);
    free(q->calls);
    for (size_t i = 0; i < q->norder; i++)
        qx_unref(q->order[i].expr);
    free(q->order);
    for (size_t i = 0; i < q->nonly; i++)
        free(q->only[i]);
    free(q->only);
    for (size_t i = 0; i < q->nrelated; i++)
        free(q->related[i]);
    free(q->related);
    free(q);
}

void qdesc_add_field(qfield_t **arr, size_t *n, const char *name,
                     qexpr_t *expr)
{
    *arr = tq_xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[*n].name = tq_xstrdup(name);
    (*arr)[*n].expr = expr;
    (*arr)[*n].calls = 0;
    (*n)++;
}

void qdesc_add_order(qdesc_t *q, qexpr_t *expr, bool desc)
{
    q->order = tq_xrealloc(q->order, (q->norder + 1) * sizeof *q->order);
    q->order[q->norder].expr = expr;
    q->order[q->norder].desc = desc;
    q->norder++;
}

size_t qx_conjuncts(const qexpr_t *where)
{
    if (!where)
        return 0;
    return where->kind == QX_AND ? where->nargs : 1;
}

void qdesc_end_call(qdesc_t *q)
{
    assert(q && q->refs == 1);
    q->calls = tq_xrealloc(q->calls, (q->ncalls + 1) * sizeof *q->calls);
    q->calls[q->ncalls++] = qx_conjuncts(q->where);
}

bool qdesc_sliced(const qdesc_t *q)
{
    return q->limit >= 0 || q->offset > 0;
}

void qsql_clear(qsql_t *s)
{
    free(s->sql);
    for (size_t i = 0; i < s->nparams; i++)
        qlit_clear(&s->params[i]);
    free(s->params);
    for (size_t i = 0; i < s->ncols; i++)
        free(s->cols[i]);
    free(s->cols);
    free(s->coltypes);
    memset(s, 0, sizeof *s);
}

/* qsql_bind_cursor: see compile.h. */
int qsql_bind_cursor(const qsql_t *s, tqdb_cursor_t *cur)
{
    assert(s && cur && (s->params || s->nparams == 0));
    assert(s->nparams <= (size_t)tqdb_param_count(cur));
    for (size_t i = 0; i < s->nparams; i++) {
        const qlit_t *l = &s->params[i];
        tqdb_datum_t d = {.type = l->type, .i = l->i, .f = l->d,
                          .s = l->s, .len = l->n};
        if (tqdb_bind(cur, (int)i + 1, &d) < 0)
            return -1;
    }
    if (s->coltypes && (size_t)tqdb_column_count(cur) == s->ncols)
        for (size_t i = 0; i < s->ncols; i++)
            if (s->coltypes[i])
                tqdb_column_set_decltype(cur, (int)i, s->coltypes[i]);
    return 0;
}

void qlit_sql(tq_buf_t *b, const qlit_t *l)
{
    switch (l->type) {
    case TQDB_INT: tq_buf_printf(b, "%lld", (long long)l->i); break;
    case TQDB_FLOAT: {
        char tmp[64];
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, l->d);
            if (strtod(tmp, NULL) == l->d)
                break;
        }
        if (!strpbrk(tmp, ".eEn"))
            strcat(tmp, ".0");
        tq_buf_add(b, tmp);
        break;
    }
    case TQDB_TEXT:
        tq_buf_quote(b, l->s, l->n);
        break;
    case TQDB_BLOB:
        tq_buf_add(b, "X'");
        for (size_t i = 0; i < l->n; i++)
            tq_buf_printf(b, "%02X", (unsigned char)l->s[i]);
        tq_buf_addc(b, '\'');
        break;
    default: tq_buf_add(b, "NULL"); break;
    }
}

char *qsql_inline(const qsql_t *s)
{
    tq_buf_t b = {0};
    size_t k = 0;
    bool numbered = s->dialect && s->dialect->numbered_params;
    for (const char *p = s->sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            const char *e = p + 1;
            while (*e && !(*e == q && e[1] != q)) {
                if (*e == q)
                    e++;
                e++;
            }
            tq_buf_addn(&b, p, (size_t)(e - p) + (*e ? 1 : 0));
            p = *e ? e : e - 1;
            continue;
        }
        if (numbered && *p == '$' && p[1] >= '1' && p[1] <= '9') {
            char *end;
            unsigned long n = strtoul(p + 1, &end, 10);
            if (n <= s->nparams) {
                qlit_sql(&b, &s->params[n - 1]);
                p = end - 1;
                continue;
            }
        }
        if (!numbered && *p == '?' && k < s->nparams) {
            qlit_sql(&b, &s->params[k++]);
            continue;
        }
        tq_buf_addc(&b, *p);
    }
    return tq_buf_take(&b);
}

void qerr_clear(qerr_t *e)
{
    free(e->msg);
    e->msg = NULL;
    e->ename = NULL;
}
