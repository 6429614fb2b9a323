/*
 * This file implements F, Q and the aggregate/function builtins as one
 * native type wrapping a qexpr_t tree (LANGUAGE.md section 4): `F.age`,
 * `F('age')`, `F.bike.name` (≡ F('bike__name')); arithmetic builds
 * expressions, comparisons build predicates, `& | ~` combine them; methods
 * isin isnull contains startswith endswith between. Q(**lookups) is the
 * AND of its lookups. It also converts interpreter values into query
 * literals and expressions for the rest of the database layer.
 */
#include "orm/queryset.h"
#include "vm/datetime.h"

#include <assert.h>

typedef struct xval {
    qexpr_t *e;     /* NULL for the bare F root */
    bool f;         /* an F path: attribute access extends it */
    int order;      /* order_by(F.x.desc()): 1 asc, 2 desc, 0 none */
} xval_t;

/* Releases x's tree without recursing: a node this value owns alone has
 * its children moved to a work stack before qx_unref frees it, so a tree
 * two million levels deep (`e = e + 1` in a loop) is freed in a loop. */
static void xval_destroy(void *p)
{
    xval_t *x = p;
    qexpr_t **stack = NULL;
    size_t len = 0, cap = 0;
    if (x->e)
        TQ_PUSH(stack, len, cap, x->e);
    while (len) {
        qexpr_t *e = stack[--len];
        if (e->refs == 1) {
            for (size_t i = 0; i < e->nargs; i++)
                if (e->args[i])
                    TQ_PUSH(stack, len, cap, e->args[i]);
            e->nargs = 0;
        }
        qx_unref(e);
    }
    free(stack);
    free(x);
}

/* expr_new: see queryset.h. */
tq_value_t *expr_new(qexpr_t *e, bool f)
{
    xval_t *x = tq_xcalloc(1, sizeof *x);
    x->e = e;
    x->f = f;
    return tq_native_new(&tq_expr_type, x);
}

/* expr_of: see queryset.h. */
qexpr_t *expr_of(const tq_value_t *v)
{
    if (!v || !tq_is_native(v, &tq_expr_type))
        return NULL;
    return ((xval_t *)tq_native_data(v))->e;
}

/* db_value_lit: see queryset.h. */
int db_value_lit(tq_ctx_t *ctx, tq_value_t *v, qlit_t *out)
{
    switch (tq_kind(v)) {
    case TQ_NONE: *out = qlit_null(); return 0;
    case TQ_BOOL: *out = qlit_int(tq_as_bool_raw(v)); return 0;
    case TQ_INT: *out = qlit_int(tq_as_int(v)); return 0;
    case TQ_FLOAT: *out = qlit_float(tq_as_float(v)); return 0;
    case TQ_STR:
        *out = (qlit_t){.type = TQDB_TEXT, .n = tq_str_len(v)};
        out->s = tq_xstrndup(tq_as_str(v), out->n);
        return 0;
    default: break;
    }
    tqdb_datum_t d;
    if (tq_dt_datum(v, &d)) {          /* dates bind as their ISO text */
        *out = d.type == TQDB_TEXT ? qlit_text(d.s)
               : d.type == TQDB_INT ? qlit_int(d.i) : qlit_float(d.f);
        return 0;
    }
    tq_value_t *pk = obj_pk(v);
    if (pk && tq_kind(pk) != TQ_NATIVE)
        return db_value_lit(ctx, pk, out);
    tq_raise(ctx, "TypeError", "a %s cannot be used as a query value",
             tq_type_name(v));
    return -1;
}

/* db_value_expr: see queryset.h. */
static bool is_frame(const qexpr_t *e);

qexpr_t *db_value_expr(tq_ctx_t *ctx, tq_value_t *v)
{
    qexpr_t *e = expr_of(v);
    if (e && is_frame(e)) {
        tq_raise(ctx, "TypeError", "%s() is only valid as Window(frame=...)",
                 e->name);
        return NULL;
    }
    if (e)
        return qx_ref(e);
    if (tq_is_native(v, &tq_expr_type)) {
        tq_raise(ctx, "TypeError", "F needs a field name: F.age or F('age')");
        return NULL;
    }
    if (tq_kind(v) == TQ_LIST || tq_kind(v) == TQ_TUPLE) {
        qexpr_t *l = qx_new(QX_LIST);
        for (size_t i = 0; i < tq_seq_len(v); i++) {
            qexpr_t *item = db_value_expr(ctx, tq_seq_get(v, i));
            if (!item) {
                qx_unref(l);
                return NULL;
            }
            qx_push(l, item);
        }
        return l;
    }
    qdesc_t *q = qs_desc(v);
    if (q) {
        qexpr_t *s = qx_new(QX_SUBQ);
        s->sub = qdesc_ref(q);
        return s;
    }
    qlit_t lit;
    if (db_value_lit(ctx, v, &lit) < 0)
        return NULL;
    return qx_lit(lit);
}

/* db_filter_args: see queryset.h. */
qexpr_t *db_filter_args(tq_ctx_t *ctx, const tq_args_t *a)
{
    qexpr_t *w = NULL;
    for (size_t i = 0; i < a->npos; i++) {
        qexpr_t *e = expr_of(a->pos[i]);
        if (!e) {
            qx_unref(w);
            tq_raise(ctx, "TypeError",
                     "filter() takes Q objects, F predicates and keyword "
                     "lookups, not %s",
                     tq_type_name(a->pos[i]));
            return NULL;
        }
        w = qx_and(w, qx_ref(e));
    }
    for (size_t i = 0; i < a->nkw; i++) {
        qexpr_t *rhs = db_value_expr(ctx, a->kwvalues[i]);
        if (!rhs) {
            qx_unref(w);
            return NULL;
        }
        w = qx_and(w, qx_kw(a->kwnames[i], rhs));
    }
    return w;
}

/* db_path_expr: see queryset.h. */
qexpr_t *db_path_expr(tq_ctx_t *ctx, tq_value_t *v, bool *desc)
{
    *desc = false;
    if (tq_kind(v) == TQ_STR) {
        const char *s = tq_as_str(v);
        if (!strcmp(s, "?")) {
            qexpr_t *r = qx_new(QX_BOOL);
            r->op = 1;
            return r;
        }
        if (*s == '-') {
            *desc = true;
            s++;
        }
        if (!*s) {
            tq_raise(ctx, "FieldError", "Empty field name");
            return NULL;
        }
        return qx_path(s);
    }
    qexpr_t *e = expr_of(v);
    if (e) {
        *desc = ((xval_t *)tq_native_data(v))->order == 2;
        return qx_ref(e);
    }
    tq_raise(ctx, "TypeError", "expected a field name or F, got %s",
             tq_type_name(v));
    return NULL;
}

/* ---- repr: Django-like text of an expression */

/* Expressions nested deeper than this make repr raise RecursionError
 * (Python's default recursion limit is also 1000). */
#define EXPR_REPR_MAX_DEPTH 1000

static int expr_text(tq_buf_t *b, const qexpr_t *e, int depth);

static void lit_text(tq_buf_t *b, const qlit_t *l)
{
    switch (l->type) {
    case TQDB_NULL: tq_buf_add(b, "None"); break;
    case TQDB_TEXT:
        tq_buf_addc(b, '\'');
        for (size_t i = 0; i < l->n; i++) {
            if (l->s[i] == '\'' || l->s[i] == '\\')
                tq_buf_addc(b, '\\');
            tq_buf_addc(b, l->s[i]);
        }
        tq_buf_addc(b, '\'');
        break;
    default: qlit_sql(b, l); break;
    }
}

static const char *lookup_op(const char *name)
{
    static const char *const map[][2] = {
        {"lt", "<"}, {"lte", "<="}, {"gt", ">"}, {"gte", ">="},
        {"exact", "=="}, {"ne", "!="}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i][0], name))
            return map[i][1];
    return NULL;
}

/* Appends e's text; -1 when e is nested deeper than EXPR_REPR_MAX_DEPTH
 * below the root (the caller raises RecursionError). */
static int expr_text(tq_buf_t *b, const qexpr_t *e, int depth)
{
    if (depth > EXPR_REPR_MAX_DEPTH)
        return -1;
    switch (e->kind) {
    case QX_LIT: lit_text(b, &e->lit); break;
    case QX_LIST:
        if (e->name && e->nargs == 2) {       /* RowRange/ValueRange */
            tq_buf_printf(b, "%s(start=", e->name);
            lit_text(b, &e->args[0]->lit);
            tq_buf_add(b, ", end=");
            lit_text(b, &e->args[1]->lit);
            tq_buf_addc(b, ')');
            break;
        }
        tq_buf_addc(b, '[');
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                tq_buf_add(b, ", ");
            if (expr_text(b, e->args[i], depth + 1) < 0)
                return -1;
        }
        tq_buf_addc(b, ']');
        break;
    case QX_REF: tq_buf_printf(b, "F(%s)", e->name); break;
    case QX_BIN:
        if (expr_text(b, e->args[0], depth + 1) < 0)
            return -1;
        tq_buf_printf(b, " %c ", (char)e->op);
        if (expr_text(b, e->args[1], depth + 1) < 0)
            return -1;
        break;
    case QX_NEG:
        tq_buf_add(b, "-(");
        if (expr_text(b, e->args[0], depth + 1) < 0)
            return -1;
        tq_buf_addc(b, ')');
        break;
    case QX_LOOKUP: {
        const char *op = lookup_op(e->name);
        if (expr_text(b, e->args[0], depth + 1) < 0)
            return -1;
        if (op)
            tq_buf_printf(b, " %s ", op);
        else
            tq_buf_printf(b, ".%s(", e->name);
        if (expr_text(b, e->args[1], depth + 1) < 0)
            return -1;
        if (!op)
            tq_buf_addc(b, ')');
        break;
    }
    case QX_KW:
        tq_buf_printf(b, "('%s', ", e->name);
        if (expr_text(b, e->args[0], depth + 1) < 0)
            return -1;
        tq_buf_addc(b, ')');
        break;
    case QX_AND:
    case QX_OR:
        tq_buf_printf(b, "(%s: ", e->kind == QX_AND ? "AND" : "OR");
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                tq_buf_add(b, ", ");
            if (expr_text(b, e->args[i], depth + 1) < 0)
                return -1;
        }
        tq_buf_addc(b, ')');
        break;
    case QX_NOT:
        tq_buf_add(b, "(NOT ");
        if (expr_text(b, e->args[0], depth + 1) < 0)
            return -1;
        tq_buf_addc(b, ')');
        break;
    case QX_FUNC:
        tq_buf_printf(b, "%s(", tq_qx_func_names[e->op]);
        if (!e->nargs && e->op == QF_COUNT)
            tq_buf_add(b, "'*'");
        for (size_t i = 0; i < e->nargs; i++) {
            if (i)
                tq_buf_add(b, ", ");
            if (expr_text(b, e->args[i], depth + 1) < 0)
                return -1;
        }
        if (e->distinct)
            tq_buf_add(b, ", distinct=True");
        tq_buf_addc(b, ')');
        break;
    case QX_SUBQ: tq_buf_add(b, "<QuerySet>"); break;
    case QX_BOOL: tq_buf_add(b, e->op ? "True" : "False"); break;
    }
    return 0;
}

static char *xval_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    xval_t *x = tq_native_data(self);
    if (!x->e)
        return tq_xstrdup("F");
    tq_buf_t b = {0};
    int rc;
    if (x->e->kind == QX_KW || x->e->kind == QX_AND || x->e->kind == QX_OR ||
        x->e->kind == QX_NOT) {
        tq_buf_add(&b, "<Q: ");
        rc = expr_text(&b, x->e, 0);
        tq_buf_addc(&b, '>');
    } else {
        rc = expr_text(&b, x->e, 0);
    }
    if (rc < 0) {
        tq_buf_free(&b);
        tq_raise(ctx, "RecursionError", "maximum recursion depth exceeded "
                 "while getting the repr of an object");
        return NULL;
    }
    return tq_buf_take(&b);
}

/* ---- F methods */

static tq_value_t *method_lookup(tq_ctx_t *ctx, tq_value_t *self,
                                 const char *lookup, tq_value_t *arg)
{
    qexpr_t *rhs = db_value_expr(ctx, arg);
    if (!rhs)
        return NULL;
    return expr_new(qx_lookup(qx_ref(expr_of(self)), lookup, rhs), false);
}

static int want_args(tq_ctx_t *ctx, const tq_args_t *a, size_t n,
                     const char *name)
{
    if (a->npos != n || a->nkw) {
        tq_raise(ctx, "TypeError", "%s() takes %zu argument%s", name, n,
                 n == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

#define F_METHOD(fname, lookup)                                            \
    static tq_value_t *f_##fname(tq_ctx_t *ctx, tq_value_t *self,          \
                                 const tq_args_t *a)                       \
    {                                                                      \
        if (want_args(ctx, a, 1, #fname) < 0)                              \
            return NULL;                                                   \
        return method_lookup(ctx, self, lookup, a->pos[0]);                \
    }
F_METHOD(isin, "in")
F_METHOD(contains, "contains")
F_METHOD(icontains, "icontains")
F_METHOD(startswith, "startswith")
F_METHOD(istartswith, "istartswith")
F_METHOD(endswith, "endswith")
F_METHOD(iendswith, "iendswith")
F_METHOD(regex, "regex")

static tq_value_t *f_isnull(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    if (a->npos > 1 || a->nkw) {
        tq_raise(ctx, "TypeError", "isnull() takes at most 1 argument");
        return NULL;
    }
    int yes = 1;
    if (a->npos && (yes = tq_truth(ctx, a->pos[0])) < 0)
        return NULL;
    return expr_new(qx_lookup(qx_ref(expr_of(self)), "isnull",
                              qx_lit(qlit_int(yes))), false);
}

static tq_value_t *f_between(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    if (want_args(ctx, a, 2, "between") < 0)
        return NULL;
    qexpr_t *l = qx_new(QX_LIST);
    for (int i = 0; i < 2; i++) {
        qexpr_t *v = db_value_expr(ctx, a->pos[i]);
        if (!v) {
            qx_unref(l);
            return NULL;
        }
        qx_push(l, v);
    }
    return expr_new(qx_lookup(qx_ref(expr_of(self)), "range", l), false);
}

static tq_value_t *ordered(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a, int order)
{
    if (want_args(ctx, a, 0, order == 2 ? "desc" : "asc") < 0)
        return NULL;
    tq_value_t *r = expr_new(qx_ref(expr_of(self)), false);
    ((xval_t *)tq_native_data(r))->order = order;
    return r;
}

static tq_value_t *f_asc(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    return ordered(ctx, self, a, 1);
}

static tq_value_t *f_desc(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    return ordered(ctx, self, a, 2);
}

static const struct {
    const char *name;
    tq_builtin_fn fn;
} f_methods[] = {
    {"asc", f_asc}, {"desc", f_desc},
    {"isin", f_isin}, {"contains", f_contains}, {"icontains", f_icontains},
    {"startswith", f_startswith}, {"istartswith", f_istartswith},
    {"endswith", f_endswith}, {"iendswith", f_iendswith},
    {"regex", f_regex}, {"isnull", f_isnull}, {"between", f_between},
};

static tq_value_t *xval_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                const char *name)
{
    xval_t *x = tq_native_data(self);
    if (x->e) {
        for (size_t i = 0; i < sizeof f_methods / sizeof *f_methods; i++)
            if (!strcmp(f_methods[i].name, name))
                return tq_builtin_new(f_methods[i].name, f_methods[i].fn,
                                      self);
    }
    if (!x->f)
        return NULL;
    if (!x->e)
        return expr_new(qx_path(name), true);
    char *p = tq_xasprintf("%s__%s", x->e->name, name);
    tq_value_t *r = expr_new(qx_path(p), true);
    free(p);
    return r;
}

static tq_value_t *xval_call(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a)
{
    xval_t *x = tq_native_data(self);
    if (!x->f || x->e) {
        tq_raise(ctx, "TypeError", "'%s' object is not callable",
                 x->f ? "F" : "Expression");
        return NULL;
    }
    if (a->npos != 1 || a->nkw || tq_kind(a->pos[0]) != TQ_STR) {
        tq_raise(ctx, "TypeError", "F() takes one field name");
        return NULL;
    }
    return expr_new(qx_path(tq_as_str(a->pos[0])), true);
}

static bool is_pred(const qexpr_t *e)
{
    switch (e->kind) {
    case QX_LOOKUP: case QX_KW: case QX_AND: case QX_OR: case QX_NOT:
    case QX_BOOL:
        return true;
    case QX_FUNC:
        return e->op == QF_EXISTS;    /* Exists(...) is a condition */
    default:
        return false;
    }
}

/* db_cmp_lookup: see queryset.h. */
const char *db_cmp_lookup(tq_binop_t op, bool reflected)
{
    switch (op) {
    case TQ_OP_LT: return reflected ? "gt" : "lt";
    case TQ_OP_LE: return reflected ? "gte" : "lte";
    case TQ_OP_GT: return reflected ? "lt" : "gt";
    case TQ_OP_GE: return reflected ? "lte" : "gte";
    case TQ_OP_EQ: return "exact";
    case TQ_OP_NE: return "ne";
    default: return NULL;
    }
}

/* db_arith_op: see queryset.h. */
char db_arith_op(tq_binop_t op)
{
    switch (op) {
    case TQ_OP_ADD: return '+';
    case TQ_OP_SUB: return '-';
    case TQ_OP_MUL: return '*';
    case TQ_OP_DIV: return '/';
    case TQ_OP_MOD: return '%';
    default: return 0;
    }
}

static tq_value_t *xval_binop(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *self,
                              tq_value_t *other, bool reflected)
{
    xval_t *x = tq_native_data(self);
    if (!x->e)
        return NULL;
    const char *cmp = db_cmp_lookup(op, reflected);
    if (op == TQ_OP_AND || op == TQ_OP_OR) {
        qexpr_t *o = expr_of(other);
        if (!o || !is_pred(o) || !is_pred(x->e)) {
            tq_raise(ctx, "TypeError",
                     "& and | combine predicates (Q objects, F comparisons)");
            return NULL;
        }
        qexpr_t *a = qx_ref(reflected ? o : x->e);
        qexpr_t *b = qx_ref(reflected ? x->e : o);
        return expr_new(op == TQ_OP_AND ? qx_and(a, b) : qx_or(a, b), false);
    }
    qexpr_t *o = db_value_expr(ctx, other);
    if (!o) {
        /* not ours: let the interpreter try the other side */
        if (tq_error_pending(ctx) && !expr_of(other) &&
            !tq_is_native(other, &tq_expr_type))
            tq_error_clear(ctx);
        return NULL;
    }
    if (cmp)
        return expr_new(qx_lookup(qx_ref(x->e), cmp, o), false);
    if ((op == TQ_OP_ADD || op == TQ_OP_SUB || op == TQ_OP_MUL ||
         op == TQ_OP_DIV || op == TQ_OP_MOD)) {
        qexpr_t *a = reflected ? o : qx_ref(x->e);
        qexpr_t *b = reflected ? qx_ref(x->e) : o;
        return expr_new(qx_bin(db_arith_op(op), a, b), false);
    }
    qx_unref(o);
    return NULL;
}

static tq_value_t *xval_unop(tq_ctx_t *ctx, tq_unop_t op, tq_value_t *self)
{
    xval_t *x = tq_native_data(self);
    if (!x->e)
        return NULL;
    if (op == TQ_UOP_NEG) {
        qexpr_t *n = qx_new(QX_NEG);
        qx_push(n, qx_ref(x->e));
        return expr_new(n, false);
    }
    if (op == TQ_UOP_POS)
        return tq_incref(self);
    if (op == TQ_UOP_INVERT) {
        if (!is_pred(x->e)) {
            tq_raise(ctx, "TypeError", "~ negates predicates, not values");
            return NULL;
        }
        if (x->e->kind == QX_NOT)
            return expr_new(qx_ref(x->e->args[0]), false);
        return expr_new(qx_not(qx_ref(x->e)), false);
    }
    return NULL;
}

const tq_type_t tq_expr_type = {
    .name = "F",
    .destroy = xval_destroy,
    .repr = xval_repr,
    .getattr = xval_getattr,
    .call = xval_call,
    .binop = xval_binop,
    .unop = xval_unop,
};

/* ---- builtins */

static tq_value_t *bi_Q(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    qexpr_t *w = db_filter_args(ctx, a);
    if (!w) {
        if (tq_error_pending(ctx))
            return NULL;
        w = qx_new(QX_AND);   /* Q(): matches everything */
    }
    if (w->kind != QX_AND && !is_pred(w)) {
        qx_unref(w);
        tq_raise(ctx, "TypeError", "Q() takes lookups and predicates");
        return NULL;
    }
    return expr_new(w, false);
}

/* OuterRef('pk'): a field of the query around a subquery. */
static tq_value_t *bi_OuterRef(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a)
{
    if (a->npos != 1 || a->nkw || tq_kind(a->pos[0]) != TQ_STR) {
        tq_raise(ctx, "TypeError", "OuterRef() takes one field name");
        return NULL;
    }
    qexpr_t *e = qx_path(tq_as_str(a->pos[0]));
    e->op = 1;
    return expr_new(e, false);
}

static tq_value_t *bi_Value(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    if (a->npos != 1) {
        tq_raise(ctx, "TypeError", "Value() takes one value");
        return NULL;
    }
    qlit_t l;
    if (db_value_lit(ctx, a->pos[0], &l) < 0)
        return NULL;
    return expr_new(qx_lit(l), false);
}

/* Binds the arguments of `name`(...) to the slots of the parameters
 * kw[0..n): the positional ones in order (the caller has checked there
 * are at most n), then the keywords by name (borrowed values; a slot not
 * given is left as it was). 0, or -1 with TypeError raised on a keyword
 * that is not a parameter. */
static int bind_args(tq_ctx_t *ctx, const char *name, const tq_args_t *a,
                     const char *const *kw, size_t n, tq_value_t **slots)
{
    assert(a->npos <= n);
    for (size_t i = 0; i < a->npos; i++)
        slots[i] = a->pos[i];
    for (size_t i = 0; i < a->nkw; i++) {
        size_t k = 0;
        while (k < n && strcmp(kw[k], a->kwnames[i]))
            k++;
        if (k == n) {
            tq_raise(ctx, "TypeError",
                     "%s() got an unexpected keyword argument '%s'", name,
                     a->kwnames[i]);
            return -1;
        }
        slots[k] = a->kwvalues[i];
    }
    return 0;
}

/* RowRange(start=None, end=None) and ValueRange(...): a Window's frame,
 * kept as a LIST named "RowRange"/"ValueRange" holding the two bounds
 * (NULL literal: unbounded; else an int, negative PRECEDING, 0 CURRENT
 * ROW, positive FOLLOWING). The bounds are checked as Django checks them
 * (its wording); the frame is only valid as Window(frame=). */
static tq_value_t *make_frame(tq_ctx_t *ctx, const char *name,
                              const tq_args_t *a)
{
    tq_value_t *bound[2] = {NULL, NULL};
    static const char *const kw[] = {"start", "end"};
    if (a->npos > 2)
        return tq_raise(ctx, "TypeError", "%s() takes a start and an end",
                        name);
    if (bind_args(ctx, name, a, kw, 2, bound) < 0)
        return NULL;
    qexpr_t *l = qx_new(QX_LIST);
    l->name = tq_xstrdup(name);
    for (int k = 0; k < 2; k++) {
        tq_value_t *v = bound[k];
        if (!v || tq_kind(v) == TQ_NONE) {
            qx_push(l, qx_lit(qlit_null()));
            continue;
        }
        bool ok = tq_kind(v) == TQ_INT || tq_kind(v) == TQ_BOOL;
        int64_t n = !ok ? 0 : tq_kind(v) == TQ_BOOL ? tq_as_bool_raw(v)
                                                   : tq_as_int(v);
        if (!ok || (k == 0 && n > 0) || (k == 1 && n < 0)) {
            qx_unref(l);
            char *r = tq_repr(ctx, v);
            tq_raise(ctx, "ValueError",
                     k == 0 ? "start argument must be a negative integer, "
                              "zero, or None, but got '%s'."
                            : "end argument must be a positive integer, "
                              "zero, or None, but got '%s'.",
                     r ? r : "?");
            free(r);
            return NULL;
        }
        qx_push(l, qx_lit(qlit_int(n)));
    }
    return expr_new(l, false);
}

static tq_value_t *bi_RowRange(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a)
{
    (void)self;
    return make_frame(ctx, "RowRange", a);
}

static tq_value_t *bi_ValueRange(tq_ctx_t *ctx, tq_value_t *self,
                                 const tq_args_t *a)
{
    (void)self;
    return make_frame(ctx, "ValueRange", a);
}

/* True for a Window frame (RowRange/ValueRange). */
static bool is_frame(const qexpr_t *e)
{
    return e && e->kind == QX_LIST && e->name &&
           (!strcmp(e->name, "RowRange") || !strcmp(e->name, "ValueRange"));
}

/* A function argument: a string is a field path, F and expressions are
 * themselves, other scalars literals. */
static qexpr_t *func_arg(tq_ctx_t *ctx, tq_value_t *v)
{
    if (tq_kind(v) == TQ_STR)
        return qx_path(tq_as_str(v));
    return db_value_expr(ctx, v);
}

/* ---- Case, When, Concat, Greatest, Least, Exists, Subquery, Window */

static qexpr_t *func_node(qx_func_t f)
{
    qexpr_t *e = qx_new(QX_FUNC);
    e->op = (int)f;
    return e;
}

/* A condition for When or filter=: a Q, an F predicate, or lookups. */
static qexpr_t *condition_of(tq_ctx_t *ctx, const char *who, tq_value_t *v)
{
    qexpr_t *e = expr_of(v);
    if (!e || !is_pred(e)) {
        tq_raise(ctx, "TypeError",
                 "%s takes a Q object, an F predicate or lookups as its "
                 "condition, not %s",
                 who, tq_type_name(v));
        return NULL;
    }
    return qx_ref(e);
}

/* When(Q(...) or lookups, then=value): strings in then= name fields, as
 * Django parses them. */
static tq_value_t *make_when(tq_ctx_t *ctx, const tq_args_t *a)
{
    qexpr_t *cond = NULL, *then = NULL;
    tq_args_t lk = {0};
    const char *names[64];
    tq_value_t *vals[64];
    lk.kwnames = names;
    lk.kwvalues = vals;
    for (size_t i = 0; i < a->nkw; i++) {
        if (!strcmp(a->kwnames[i], "then")) {
            then = func_arg(ctx, a->kwvalues[i]);
            if (!then)
                goto fail;
        } else if (!strcmp(a->kwnames[i], "condition")) {
            cond = qx_and(cond, condition_of(ctx, "When()", a->kwvalues[i]));
            if (tq_error_pending(ctx))
                goto fail;
        } else if (lk.nkw < 64) {
            names[lk.nkw] = a->kwnames[i];
            vals[lk.nkw++] = a->kwvalues[i];
        }
    }
    for (size_t i = 0; i < a->npos; i++) {
        qexpr_t *c = condition_of(ctx, "When()", a->pos[i]);
        if (!c)
            goto fail;
        cond = qx_and(cond, c);
    }
    if (lk.nkw) {
        qexpr_t *w = db_filter_args(ctx, &lk);
        if (!w)
            goto fail;
        cond = qx_and(cond, w);
    }
    if (!cond) {
        tq_raise(ctx, "TypeError",
                 "When() supports a Q object, a boolean expression, or "
                 "lookups as a condition.");
        goto fail;
    }
    if (!then)
        then = qx_lit(qlit_null());
    qexpr_t *e = func_node(QF_WHEN);
    qx_push(e, cond);
    qx_push(e, then);
    return expr_new(e, false);
fail:
    qx_unref(cond);
    qx_unref(then);
    return NULL;
}

/* Case(When(...), ..., default=value): the Whens, then the default. */
static tq_value_t *make_case(tq_ctx_t *ctx, const tq_args_t *a)
{
    qexpr_t *e = func_node(QF_CASE);
    for (size_t i = 0; i < a->npos; i++) {
        qexpr_t *w = expr_of(a->pos[i]);
        if (!w || w->kind != QX_FUNC || w->op != QF_WHEN) {
            qx_unref(e);
            return tq_raise(ctx, "TypeError",
                            "Positional arguments must all be When objects.");
        }
        qx_push(e, qx_ref(w));
    }
    for (size_t i = 0; i < a->nkw; i++) {
        if (!strcmp(a->kwnames[i], "default")) {
            qexpr_t *d = func_arg(ctx, a->kwvalues[i]);
            if (!d) {
                qx_unref(e);
                return NULL;
            }
            qx_push(e, d);
        } else if (strcmp(a->kwnames[i], "output_field")) {
            qx_unref(e);
            return tq_raise(ctx, "TypeError",
                            "Case() got an unexpected keyword argument '%s'",
                            a->kwnames[i]);
        }
    }
    return expr_new(e, false);
}

/* Exists(qs) and Subquery(qs). */
static tq_value_t *make_subquery(tq_ctx_t *ctx, qx_func_t f,
                                 const tq_args_t *a)
{
    if (a->npos != 1 || !qs_desc(a->pos[0]))
        return tq_raise(ctx, "TypeError", "%s() takes one query set",
                        tq_qx_func_names[f]);
    qexpr_t *sub = db_value_expr(ctx, a->pos[0]);
    if (!sub)
        return NULL;
    qexpr_t *e = func_node(f);
    qx_push(e, sub);
    return expr_new(e, false);
}

/* A list of expressions for partition_by= and order_by= (one value or a
 * list); order items are LISTs of one expression, op 1 descending. */
static qexpr_t *window_list(tq_ctx_t *ctx, tq_value_t *v, bool order)
{
    qexpr_t *l = qx_new(QX_LIST);
    bool seq = tq_kind(v) == TQ_LIST || tq_kind(v) == TQ_TUPLE;
    size_t n = seq ? tq_seq_len(v) : 1;
    for (size_t i = 0; i < n; i++) {
        tq_value_t *item = seq ? tq_seq_get(v, i) : v;
        bool desc = false;
        qexpr_t *x = order ? db_path_expr(ctx, item, &desc)
                           : func_arg(ctx, item);
        if (!x) {
            qx_unref(l);
            return NULL;
        }
        if (order) {
            qexpr_t *o = qx_new(QX_LIST);
            o->op = desc;
            qx_push(o, x);
            x = o;
        }
        qx_push(l, x);
    }
    return l;
}

/* Window(expression, partition_by=, order_by=, frame=None): a WINDOW
 * node of the function, the partition list, the order list and, with a
 * frame, the frame (a LIST named RowRange/ValueRange). */
static tq_value_t *make_window(tq_ctx_t *ctx, const tq_args_t *a)
{
    qexpr_t *fn = NULL, *part = NULL, *ord = NULL, *frame = NULL;
    if (a->npos > 1)
        return tq_raise(ctx, "TypeError", "Window() takes one expression");
    if (a->npos)
        fn = db_value_expr(ctx, a->pos[0]);
    for (size_t i = 0; i < a->nkw && !tq_error_pending(ctx); i++) {
        const char *k = a->kwnames[i];
        if (!strcmp(k, "expression"))
            fn = db_value_expr(ctx, a->kwvalues[i]);
        else if (!strcmp(k, "partition_by"))
            part = window_list(ctx, a->kwvalues[i], false);
        else if (!strcmp(k, "order_by"))
            ord = window_list(ctx, a->kwvalues[i], true);
        else if (!strcmp(k, "frame") &&
                 tq_kind(a->kwvalues[i]) != TQ_NONE) {
            qexpr_t *fr = expr_of(a->kwvalues[i]);
            if (!is_frame(fr))
                tq_raise(ctx, "TypeError", "Window(frame=) takes RowRange() "
                         "or ValueRange()");
            else
                frame = qx_ref(fr);
        } else if (!strcmp(k, "frame"))
            continue;
        else if (strcmp(k, "output_field") ||
                 tq_kind(a->kwvalues[i]) != TQ_NONE)
            tq_raise(ctx, "TypeError",
                     "Window() got an unexpected keyword argument '%s'", k);
    }
    if (!tq_error_pending(ctx) && (!fn || fn->kind != QX_FUNC))
        tq_raise(ctx, "ValueError",
                 "Expression '%s' isn't compatible with OVER clauses.",
                 fn ? "expression" : "None");
    if (tq_error_pending(ctx)) {
        qx_unref(fn);
        qx_unref(part);
        qx_unref(ord);
        qx_unref(frame);
        return NULL;
    }
    qexpr_t *e = func_node(QF_WINDOW);
    qx_push(e, fn);
    qx_push(e, part ? part : qx_new(QX_LIST));
    qx_push(e, ord ? ord : qx_new(QX_LIST));
    if (frame)
        qx_push(e, frame);
    return expr_new(e, false);
}

/* RowNumber(), Rank(), DenseRank(); Lag/Lead(expression, offset=1,
 * default=None). */
static tq_value_t *make_window_fn(tq_ctx_t *ctx, qx_func_t f,
                                  const tq_args_t *a)
{
    bool shifts = f == QF_LAG || f == QF_LEAD;
    qexpr_t *e = func_node(f);
    tq_value_t *args[3] = {0};
    static const char *const kw[] = {"expression", "offset", "default"};
    if (a->npos > (shifts ? 3u : 0u)) {
        qx_unref(e);
        return tq_raise(ctx, "TypeError", "%s() takes %s",
                        tq_qx_func_names[f],
                        shifts ? "an expression, an offset and a default"
                               : "no arguments");
    }
    if (bind_args(ctx, tq_qx_func_names[f], a, kw, shifts ? 3 : 0, args) < 0) {
        qx_unref(e);
        return NULL;
    }
    if (shifts) {
        if (!args[0]) {
            qx_unref(e);
            return tq_raise(ctx, "ValueError",
                            "%s requires a non-null source expression.",
                            tq_qx_func_names[f]);
        }
        /* Django: "Lag's offset must be a positive integer." */
        if (args[1] && (tq_kind(args[1]) != TQ_INT || tq_as_int(args[1]) <= 0)) {
            qx_unref(e);
            return tq_raise(ctx, "ValueError",
                            "%s's offset must be a positive integer.",
                            tq_qx_func_names[f]);
        }
        size_t n = args[2] ? 3 : args[1] ? 2 : 1;
        for (size_t i = 0; i < n; i++) {
            qexpr_t *x = i == 0 ? func_arg(ctx, args[0])
                         : args[i] ? db_value_expr(ctx, args[i])
                                   : qx_lit(qlit_int(1));
            if (!x) {
                qx_unref(e);
                return NULL;
            }
            qx_push(e, x);
        }
    }
    return expr_new(e, false);
}

/* The builders of the functions that are not f(expression, ...) of
 * fields: 1 with *out set (NULL on error), 0 for the others. */
static int make_func_more(tq_ctx_t *ctx, qx_func_t f, const tq_args_t *a,
                          tq_value_t **out)
{
    switch (tq_qx_func_kind[f]) {
    case TQ_FUNC_KIND_COND:
        *out = f == QF_CASE ? make_case(ctx, a) : make_when(ctx, a);
        return 1;
    case TQ_FUNC_KIND_SUBQUERY:
        *out = make_subquery(ctx, f, a);
        return 1;
    case TQ_FUNC_KIND_WINDOW:
        *out = f == QF_WINDOW ? make_window(ctx, a)
                              : make_window_fn(ctx, f, a);
        return 1;
    default:
        return 0;
    }
}

/* An aggregate's default= (Django 4): the value it gives where it
 * aggregates no row, as Coalesce(aggregate, default) named "default" (so
 * that its default alias stays the aggregate's). Count refuses one, as
 * Django does (it gives 0). Steals e; NULL with an error raised. */
static qexpr_t *agg_default(tq_ctx_t *ctx, qx_func_t f, qexpr_t *e,
                            tq_value_t *dflt)
{
    if (!dflt || tq_kind(dflt) == TQ_NONE)
        return e;
    if (f == QF_COUNT) {
        qx_unref(e);
        tq_raise(ctx, "TypeError", "Count does not allow default.");
        return NULL;
    }
    qexpr_t *d = func_arg(ctx, dflt);
    if (!d) {
        qx_unref(e);
        return NULL;
    }
    qexpr_t *c = func_node(QF_COALESCE);
    c->name = tq_xstrdup("default");
    qx_push(c, e);
    qx_push(c, d);
    return c;
}

static tq_value_t *make_func(tq_ctx_t *ctx, qx_func_t f, const tq_args_t *a)
{
    tq_value_t *more;
    if (make_func_more(ctx, f, a, &more))
        return more;
    tq_value_t *dflt = NULL;
    qexpr_t *e = qx_new(QX_FUNC);
    e->op = (int)f;
    for (size_t i = 0; i < a->npos; i++) {
        if (f == QF_COUNT && tq_kind(a->pos[i]) == TQ_STR &&
            !strcmp(tq_as_str(a->pos[i]), "*"))
            continue;
        qexpr_t *arg = (f == QF_ROUND && i == 1)
                           ? db_value_expr(ctx, a->pos[i])
                           : func_arg(ctx, a->pos[i]);
        if (!arg) {
            qx_unref(e);
            return NULL;
        }
        qx_push(e, arg);
    }
    for (size_t i = 0; i < a->nkw; i++) {
        if (!strcmp(a->kwnames[i], "filter") && tq_qx_func_is_agg[f]) {
            qexpr_t *c = condition_of(ctx, "filter=", a->kwvalues[i]);
            if (!c) {
                qx_unref(e);
                return NULL;
            }
            qx_unref(e->cond);
            e->cond = c;
            continue;
        }
        if (!strcmp(a->kwnames[i], "output_field"))
            continue;
        if (!strcmp(a->kwnames[i], "default") && tq_qx_func_is_agg[f]) {
            dflt = a->kwvalues[i];
            continue;
        }
        int t = tq_truth(ctx, a->kwvalues[i]);
        if (t < 0) {
            qx_unref(e);
            return NULL;
        }
        if (!strcmp(a->kwnames[i], "distinct") && tq_qx_func_is_agg[f])
            e->distinct = t;
        else if (!strcmp(a->kwnames[i], "sample") &&
                 (f == QF_STDDEV || f == QF_VARIANCE))
            e->sample = t;
        else {
            qx_unref(e);
            tq_raise(ctx, "TypeError",
                     "%s() got an unexpected keyword argument '%s'",
                     tq_qx_func_names[f], a->kwnames[i]);
            return NULL;
        }
    }
    bool many = f == QF_COALESCE || f == QF_ROUND || f == QF_CONCAT ||
                f == QF_GREATEST || f == QF_LEAST;
    if (f != QF_COUNT && !many && e->nargs != 1) {
        qx_unref(e);
        tq_raise(ctx, "TypeError", "%s() takes exactly one expression",
                 tq_qx_func_names[f]);
        return NULL;
    }
    if (f == QF_COUNT && e->nargs > 1) {
        qx_unref(e);
        tq_raise(ctx, "TypeError", "Count() takes one expression");
        return NULL;
    }
    e = agg_default(ctx, f, e, dflt);
    return e ? expr_new(e, false) : NULL;
}

#define X(en, name, kind, sql, sig, doc)                                   \
    static tq_value_t *bi_##en(tq_ctx_t *ctx, tq_value_t *self,            \
                               const tq_args_t *a)                         \
    {                                                                      \
        return make_func(ctx, QF_##en, a);                                 \
    }
TQ_FUNCS(X)
#undef X

static const tq_builtin_fn func_fns[] = {
#define X(en, name, kind, sql, sig, doc) bi_##en,
    TQ_FUNCS(X)
#undef X
};

/* expr_register_builtins: see queryset.h. */
void expr_register_builtins(tq_ctx_t *ctx)
{
    tq_value_t *v = expr_new(NULL, true);
    tq_ctx_define_builtin(ctx, "F", v);
    tq_decref(v);
    static const struct {
        const char *name;
        tq_builtin_fn fn;
    } named[] = {
        {"Q", bi_Q},
        {"Value", bi_Value},
        {"OuterRef", bi_OuterRef},
        {"RowRange", bi_RowRange},
        {"ValueRange", bi_ValueRange},
    };
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        v = tq_builtin_new(named[i].name, named[i].fn, NULL);
        tq_ctx_define_builtin(ctx, named[i].name, v);
        tq_decref(v);
    }
    for (size_t i = 0; i < QF__COUNT; i++) {
        v = tq_builtin_new(tq_qx_func_names[i], func_fns[i], NULL);
        tq_ctx_define_builtin(ctx, tq_qx_func_names[i], v);
        tq_decref(v);
    }
}
