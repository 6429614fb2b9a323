/*
 * This file implements Tabula's values (value.h): constructors, reference
 * counting, sequences and insertion-ordered dicts, Python's reprs, truth,
 * equality and ordering, arithmetic with Python's int/float semantics on
 * 64-bit ints, generic attribute/item/call dispatch to native types, MIME
 * bundles of values, exception values (e.args, str/repr as Python's, the
 * traceback of their last raise), and the SQLite bridge.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in value.h (and interp.h for the interpreter-private ones).
 */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/eval.h"
#include "base/errors.h"
#include "vm/datetime.h"

/* ---- immortal singletons */

static tq_value_t none_v = {.refs = 1, .kind = TQ_NONE, .immortal = true};
static tq_value_t true_v = {.refs = 1, .kind = TQ_BOOL, .immortal = true,
                            .u.b = true};
static tq_value_t false_v = {.refs = 1, .kind = TQ_BOOL, .immortal = true,
                             .u.b = false};

/* ---- the cycle collector's list of containers */

static tq_value_t gc_head = {.gc_prev = &gc_head, .gc_next = &gc_head};
static size_t gc_allocated;   /* containers made since the last collection */

static void gc_track(tq_value_t *v)
{
    v->gc_tracked = true;
    v->gc_next = &gc_head;
    v->gc_prev = gc_head.gc_prev;
    gc_head.gc_prev->gc_next = v;
    gc_head.gc_prev = v;
    gc_allocated++;
}

static void gc_untrack(tq_value_t *v)
{
    if (!v->gc_tracked)
        return;
    v->gc_prev->gc_next = v->gc_next;
    v->gc_next->gc_prev = v->gc_prev;
    v->gc_tracked = false;
}

static tq_value_t *alloc_value(tq_kind_t kind)
{
    tq_value_t *v = tq_xmalloc(sizeof *v);
    v->refs = 1;
    v->kind = (unsigned char)kind;
    v->immortal = false;
    v->gc_tracked = false;
    if (kind == TQ_LIST || kind == TQ_TUPLE || kind == TQ_DICT ||
        kind == TQ_FUNCTION)
        gc_track(v);
    return v;
}

tq_value_t *tq_function_value_new(tq_function_t *fn)
{
    tq_value_t *v = alloc_value(TQ_FUNCTION);
    v->u.fn = fn;
    return v;
}

tq_value_t *tq_none(void) { return &none_v; }
tq_value_t *tq_bool(bool b) { return b ? &true_v : &false_v; }

tq_value_t *tq_int(int64_t i)
{
    tq_value_t *v = alloc_value(TQ_INT);
    v->u.i = i;
    return v;
}

tq_value_t *tq_float(double d)
{
    tq_value_t *v = alloc_value(TQ_FLOAT);
    v->u.f = d;
    return v;
}

tq_value_t *tq_str_n(const char *s, size_t len)
{
    tq_value_t *v = alloc_value(TQ_STR);
    v->u.str.s = tq_xstrndup(s, len);
    v->u.str.len = len;
    return v;
}

tq_value_t *tq_str(const char *s)
{
    return tq_str_n(s, strlen(s));
}

tq_value_t *tq_str_take(char *s)
{
    return tq_str_take_n(s, strlen(s));
}

tq_value_t *tq_str_take_n(char *s, size_t len)
{
    assert(s[len] == '\0');
    tq_value_t *v = alloc_value(TQ_STR);
    v->u.str.s = s;
    v->u.str.len = len;
    return v;
}

tq_value_t *tq_list_new(size_t capacity)
{
    tq_value_t *v = alloc_value(TQ_LIST);
    v->u.seq.items = capacity ? tq_xmalloc(capacity * sizeof(tq_value_t *))
                              : NULL;
    v->u.seq.len = 0;
    v->u.seq.cap = capacity;
    return v;
}

tq_value_t *tq_tuple_new(size_t count)
{
    tq_value_t *v = alloc_value(TQ_TUPLE);
    v->u.seq.items = count ? tq_xmalloc(count * sizeof(tq_value_t *)) : NULL;
    for (size_t i = 0; i < count; i++)
        v->u.seq.items[i] = &none_v;
    v->u.seq.len = count;
    v->u.seq.cap = count;
    return v;
}

/* ---- dicts: entries in insertion order, plus a hash index past 8 */

typedef struct dict_entry {
    tq_value_t *key, *value;
    uint64_t hash;
} dict_entry_t;

struct tq_dict {
    dict_entry_t *entries;
    size_t len, cap;
    int32_t *index;       /* entry index + 1, 0 empty */
    size_t icap;
};

tq_value_t *tq_dict_new(void)
{
    tq_value_t *v = alloc_value(TQ_DICT);
    v->u.dict = tq_xcalloc(1, sizeof(tq_dict_t));
    return v;
}

tq_value_t *tq_slice_new(tq_value_t *start, tq_value_t *stop,
                         tq_value_t *step)
{
    tq_value_t *v = alloc_value(TQ_SLICE);
    v->u.slice.start = tq_incref(start ? start : &none_v);
    v->u.slice.stop = tq_incref(stop ? stop : &none_v);
    v->u.slice.step = tq_incref(step ? step : &none_v);
    return v;
}

tq_value_t *tq_builtin_new(const char *name, tq_builtin_fn fn,
                           tq_value_t *self)
{
    tq_value_t *v = alloc_value(TQ_BUILTIN);
    v->u.bi.name = name;
    v->u.bi.fn = fn;
    v->u.bi.self = self ? tq_incref(self) : NULL;
    v->u.bi.is_class = false;
    if (self)
        gc_track(v);
    return v;
}

tq_value_t *tq_class_builtin_new(const char *name, tq_builtin_fn fn)
{
    tq_value_t *v = tq_builtin_new(name, fn, NULL);
    v->u.bi.is_class = true;
    return v;
}

tq_value_t *tq_native_new(const tq_type_t *type, void *data)
{
    tq_value_t *v = alloc_value(TQ_NATIVE);
    v->u.native.type = type;
    v->u.native.data = data;
    return v;
}

/* ---- MIME bundles (tabula.h): kept here so that values link without the
 * session */

void tq_bundle_add(tq_bundle_t *bundle, const char *type, const char *data,
                   size_t len)
{
    bundle->items = tq_xrealloc(bundle->items,
                                (bundle->count + 1) * sizeof *bundle->items);
    tq_mime_t *m = &bundle->items[bundle->count++];
    m->type = tq_xstrdup(type);
    m->data = tq_xmalloc(len + 1);
    memcpy(m->data, data, len);
    m->data[len] = 0;
    m->len = len;
}

const tq_mime_t *tq_bundle_find(const tq_bundle_t *bundle, const char *type)
{
    for (size_t i = 0; i < bundle->count; i++)
        if (strcmp(bundle->items[i].type, type) == 0)
            return &bundle->items[i];
    return NULL;
}

void tq_bundle_clear(tq_bundle_t *bundle)
{
    for (size_t i = 0; i < bundle->count; i++) {
        free(bundle->items[i].type);
        free(bundle->items[i].data);
    }
    free(bundle->items);
    bundle->items = NULL;
    bundle->count = 0;
}

/* ---- bundle values and exceptions: internal native types */

static void bundle_destroy(void *data)
{
    tq_bundle_clear(data);
    free(data);
}

static char *bundle_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    const tq_mime_t *m = tq_bundle_find(self->u.native.data, "text/plain");
    return tq_xstrdup(m ? m->data : "");
}

static int bundle_display(tq_ctx_t *ctx, tq_value_t *self, tq_bundle_t *out)
{
    const tq_bundle_t *b = self->u.native.data;
    for (size_t i = 0; i < b->count; i++)
        tq_bundle_add(out, b->items[i].type, b->items[i].data,
                      b->items[i].len);
    return 0;
}

static const tq_type_t bundle_type = {
    .name = "display",
    .destroy = bundle_destroy,
    .repr = bundle_repr,
    .display = bundle_display,
};

tq_value_t *tq_bundle_value_new(tq_bundle_t *bundle)
{
    tq_bundle_t *b = tq_xmalloc(sizeof *b);
    *b = *bundle;
    bundle->items = NULL;
    bundle->count = 0;
    return tq_native_new(&bundle_type, b);
}

const tq_bundle_t *tq_bundle_value_get(const tq_value_t *v)
{
    return tq_is_native(v, &bundle_type) ? v->u.native.data : NULL;
}

/* An exception value: its class's name (base/errors.h), the tuple of the
 * constructor's arguments (e.args), the text str(e) gives when the raiser
 * fixed it (a runtime error's message, kept whole, NUL bytes and all; NULL:
 * computed from args as Python computes it), and the traceback lines of
 * its last raise (innermost last), which `raise e` and a bare `raise`
 * carry on. */
typedef struct exc {
    char *ename;
    tq_value_t *args;
    tq_value_t *msg;
    char **tb;
    size_t ntb;
} exc_t;

static void exc_free_tb(exc_t *e)
{
    for (size_t i = 0; i < e->ntb; i++)
        free(e->tb[i]);
    free(e->tb);
    e->tb = NULL;
    e->ntb = 0;
}

static void exc_destroy(void *data)
{
    exc_t *e = data;
    free(e->ename);
    tq_decref(e->args);
    tq_decref(e->msg);
    exc_free_tb(e);
    free(e);
}

/* repr(e) is built by repr_rec (below), which follows the arguments with
 * the path of the containers being shown, so that a list holding the
 * exception that holds it shows as [...]. */
static char *exc_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    return tq_repr(ctx, self);
}

static tq_value_t *exc_getattr(tq_ctx_t *ctx, tq_value_t *self,
                               const char *name)
{
    exc_t *e = self->u.native.data;
    if (strcmp(name, "args") == 0)
        return tq_incref(e->args);
    return NULL;
}

static const tq_type_t exc_type = {
    .name = "Exception",
    .destroy = exc_destroy,
    .repr = exc_repr,
    .getattr = exc_getattr,
};

tq_value_t *tq_exception_new(const char *ename, tq_value_t *args)
{
    assert(tq_kind(args) == TQ_TUPLE);
    exc_t *e = tq_xcalloc(1, sizeof *e);
    e->ename = tq_xstrdup(ename);
    e->args = tq_incref(args);
    tq_value_t *v = tq_native_new(&exc_type, e);
    /* its args may lead back to it: the cycle collector follows them */
    gc_track(v);
    return v;
}

tq_value_t *tq_exception_of_error(const char *ename, const char *msg,
                                  size_t len)
{
    tq_value_t *args = tq_tuple_new(1);
    tq_value_t *m = tq_str_n(msg, len);
    tq_tuple_set(args, 0, tq_incref(m));
    tq_value_t *v = tq_exception_new(ename, args);
    tq_decref(args);
    ((exc_t *)v->u.native.data)->msg = m;
    return v;
}

const char *tq_exception_name(const tq_value_t *v)
{
    return tq_is_native(v, &exc_type) ? ((exc_t *)v->u.native.data)->ename
                                      : NULL;
}

/* Python's BaseException.__str__ ('' for no arguments, str(a) for one,
 * str(args) for more), KeyError's (repr(a) for one argument), or the
 * message the raiser fixed. */
tq_value_t *tq_exception_str(tq_ctx_t *ctx, tq_value_t *v)
{
    /* str(ValueError(ValueError('x'))) is str of the inner one: a loop,
     * not a recursion, however deep the nesting. */
    for (;;) {
        assert(tq_is_native(v, &exc_type));
        exc_t *e = v->u.native.data;
        if (e->msg)
            return tq_incref(e->msg);
        size_t n = tq_seq_len(e->args);
        if (n == 0)
            return tq_str("");
        if (n > 1)
            return tq_repr_str(ctx, e->args);
        tq_value_t *a = tq_seq_get(e->args, 0);
        if (tq_error_is_a(e->ename, "KeyError"))
            return tq_repr_str(ctx, a);
        if (!tq_is_native(a, &exc_type))
            return tq_str_of(ctx, a);
        v = a;
    }
}

const char *const *tq_exception_tb(const tq_value_t *v, size_t *n)
{
    assert(tq_is_native(v, &exc_type));
    exc_t *e = v->u.native.data;
    *n = e->ntb;
    return (const char *const *)e->tb;
}

void tq_exception_take_tb(tq_value_t *v, char **tb, size_t n)
{
    assert(tq_is_native(v, &exc_type));
    exc_t *e = v->u.native.data;
    exc_free_tb(e);
    e->tb = tb;
    e->ntb = n;
}

/* ---- reference counting */

tq_value_t *tq_incref(tq_value_t *v)
{
    if (v && !v->immortal)
        v->refs++;
    return v;
}

/* Values whose count reached zero and whose children are still to be
 * released, chained through gc_next (free once gc_untrack ran). Freeing
 * drains this list in a loop, so a list nested 300,000 deep is freed
 * without 300,000 nested C calls. A decref made while the list drains
 * (by a child, or by a native type's destroy) only queues. */
static tq_value_t *dead_head;
static bool dead_draining;

/* Releases what v holds, queueing children whose count reaches zero,
 * then frees v itself. */
static void value_free(tq_value_t *v)
{
    switch ((tq_kind_t)v->kind) {
    case TQ_STR:
        free(v->u.str.s);
        break;
    case TQ_LIST:
    case TQ_TUPLE:
        for (size_t i = 0; i < v->u.seq.len; i++)
            tq_decref(v->u.seq.items[i]);
        free(v->u.seq.items);
        break;
    case TQ_DICT: {
        tq_dict_t *d = v->u.dict;
        for (size_t i = 0; i < d->len; i++) {
            tq_decref(d->entries[i].key);
            tq_decref(d->entries[i].value);
        }
        free(d->entries);
        free(d->index);
        free(d);
        break;
    }
    case TQ_SLICE:
        tq_decref(v->u.slice.start);
        tq_decref(v->u.slice.stop);
        tq_decref(v->u.slice.step);
        break;
    case TQ_FUNCTION:
        tq_function_free(v->u.fn);
        break;
    case TQ_BUILTIN:
        tq_decref(v->u.bi.self);
        break;
    case TQ_NATIVE:
        if (v->u.native.type->destroy)
            v->u.native.type->destroy(v->u.native.data);
        break;
    default:
        break;
    }
    free(v);
}

void tq_decref(tq_value_t *v)
{
    if (!v || v->immortal || --v->refs > 0)
        return;
    assert(v->refs == 0);
    gc_untrack(v);
    v->gc_next = dead_head;
    dead_head = v;
    if (dead_draining)
        return;
    dead_draining = true;
    while (dead_head) {
        tq_value_t *next = dead_head;
        dead_head = next->gc_next;
        value_free(next);
    }
    dead_draining = false;
}

/* ---- cycle collection (trial deletion, as CPython's gc) */

/* Calls fn on each value `v` references directly. */
static void gc_children(tq_value_t *v, void (*fn)(tq_value_t *, void *),
                        void *ud)
{
    switch ((tq_kind_t)v->kind) {
    case TQ_LIST: case TQ_TUPLE:
        for (size_t i = 0; i < v->u.seq.len; i++)
            fn(v->u.seq.items[i], ud);
        break;
    case TQ_DICT:
        for (size_t i = 0; i < v->u.dict->len; i++) {
            fn(v->u.dict->entries[i].key, ud);
            fn(v->u.dict->entries[i].value, ud);
        }
        break;
    case TQ_FUNCTION:
        for (size_t i = 0; i < v->u.fn->nparams; i++)
            if (v->u.fn->defaults[i])
                fn(v->u.fn->defaults[i], ud);
        if (v->u.fn->closure)
            fn(v->u.fn->closure, ud);
        break;
    case TQ_BUILTIN:
        if (v->u.bi.self)
            fn(v->u.bi.self, ud);
        break;
    case TQ_NATIVE:
        /* an exception's args (a list in them may hold the exception) */
        if (v->u.native.type == &exc_type)
            fn(((exc_t *)v->u.native.data)->args, ud);
        break;
    default:
        break;
    }
}

static void gc_subtract(tq_value_t *child, void *ud)
{
    if (child->gc_tracked)
        child->gc_refs--;
}

typedef struct gc_stack {
    tq_value_t **items;
    size_t len, cap;
} gc_stack_t;

static void gc_mark(tq_value_t *child, void *ud)
{
    gc_stack_t *st = ud;
    if (child->gc_tracked && !child->gc_reachable) {
        child->gc_reachable = true;
        TQ_PUSH(st->items, st->len, st->cap, child);
    }
}

/* Detaches and releases a container's children. */
static void gc_clear(tq_value_t *v)
{
    switch ((tq_kind_t)v->kind) {
    case TQ_LIST: case TQ_TUPLE: {
        size_t n = v->u.seq.len;
        tq_value_t **items = v->u.seq.items;
        v->u.seq.items = NULL;
        v->u.seq.len = v->u.seq.cap = 0;
        for (size_t i = 0; i < n; i++)
            tq_decref(items[i]);
        free(items);
        break;
    }
    case TQ_DICT: {
        tq_dict_t *d = v->u.dict;
        size_t n = d->len;
        dict_entry_t *e = d->entries;
        d->entries = NULL;
        d->len = d->cap = 0;
        free(d->index);
        d->index = NULL;
        d->icap = 0;
        for (size_t i = 0; i < n; i++) {
            tq_decref(e[i].key);
            tq_decref(e[i].value);
        }
        free(e);
        break;
    }
    case TQ_FUNCTION: {
        tq_value_t *c = v->u.fn->closure;
        v->u.fn->closure = NULL;
        tq_decref(c);
        for (size_t i = 0; i < v->u.fn->nparams; i++) {
            tq_value_t *d = v->u.fn->defaults[i];
            v->u.fn->defaults[i] = NULL;
            tq_decref(d);
        }
        break;
    }
    case TQ_BUILTIN: {
        tq_value_t *self = v->u.bi.self;
        v->u.bi.self = NULL;
        tq_decref(self);
        break;
    }
    case TQ_NATIVE:
        if (v->u.native.type == &exc_type) {
            exc_t *e = v->u.native.data;
            tq_value_t *args = e->args;
            e->args = tq_tuple_new(0);
            tq_decref(args);
        }
        break;
    default:
        break;
    }
}

size_t tq_gc_collect(void)
{
    gc_allocated = 0;
    tq_value_t *v;
    for (v = gc_head.gc_next; v != &gc_head; v = v->gc_next) {
        v->gc_refs = v->refs;
        v->gc_reachable = false;
    }
    for (v = gc_head.gc_next; v != &gc_head; v = v->gc_next)
        gc_children(v, gc_subtract, NULL);
    /* Referenced from outside the containers: reachable, with all that
     * they reference. */
    gc_stack_t st = {0};
    for (v = gc_head.gc_next; v != &gc_head; v = v->gc_next)
        if (v->gc_refs > 0 && !v->gc_reachable) {
            v->gc_reachable = true;
            TQ_PUSH(st.items, st.len, st.cap, v);
        }
    while (st.len) {
        tq_value_t *x = st.items[--st.len];
        gc_children(x, gc_mark, &st);
    }
    /* The rest is garbage: hold it, clear it, release it. */
    gc_stack_t garbage = {0};
    for (v = gc_head.gc_next; v != &gc_head; v = v->gc_next)
        if (!v->gc_reachable)
            TQ_PUSH(garbage.items, garbage.len, garbage.cap, tq_incref(v));
    for (size_t i = 0; i < garbage.len; i++)
        gc_clear(garbage.items[i]);
    for (size_t i = 0; i < garbage.len; i++)
        tq_decref(garbage.items[i]);
    size_t n = garbage.len;
    free(garbage.items);
    free(st.items);
    return n;
}

size_t tq_gc_maybe(void)
{
    return gc_allocated >= 10000 ? tq_gc_collect() : 0;
}

/* ---- inspection */

tq_kind_t tq_kind(const tq_value_t *v) { return (tq_kind_t)v->kind; }

bool tq_is_native(const tq_value_t *v, const tq_type_t *type)
{
    return v && v->kind == TQ_NATIVE && v->u.native.type == type;
}

void *tq_native_data(const tq_value_t *v)
{
    return v->kind == TQ_NATIVE ? v->u.native.data : NULL;
}

const tq_type_t *tq_native_type(const tq_value_t *v)
{
    return v->kind == TQ_NATIVE ? v->u.native.type : NULL;
}

bool tq_as_bool_raw(const tq_value_t *v) { return v->u.b; }

int64_t tq_as_int(const tq_value_t *v)
{
    return v->kind == TQ_BOOL ? (int64_t)v->u.b : v->u.i;
}

double tq_as_float(const tq_value_t *v)
{
    switch (v->kind) {
    case TQ_BOOL: return v->u.b;
    case TQ_INT: return (double)v->u.i;
    case TQ_FLOAT: return v->u.f;
    default: return 0;
    }
}

const char *tq_as_str(const tq_value_t *v) { return v->u.str.s; }
size_t tq_str_len(const tq_value_t *v) { return v->u.str.len; }

const char *tq_type_name(const tq_value_t *v)
{
    switch ((tq_kind_t)v->kind) {
    case TQ_NONE: return "NoneType";
    case TQ_BOOL: return "bool";
    case TQ_INT: return "int";
    case TQ_FLOAT: return "float";
    case TQ_STR: return "str";
    case TQ_LIST: return "list";
    case TQ_TUPLE: return "tuple";
    case TQ_DICT: return "dict";
    case TQ_SLICE: return "slice";
    case TQ_FUNCTION: return "function";
    case TQ_BUILTIN:
        return v->u.bi.is_class ? "type"
               : v->u.bi.self   ? "builtin_function_or_method"
                                : "builtin_function_or_method";
    case TQ_NATIVE:
        return tq_exception_name(v) ? tq_exception_name(v)
                                    : v->u.native.type->name;
    }
    return "object";
}

/* ---- sequences */

size_t tq_seq_len(const tq_value_t *seq) { return seq->u.seq.len; }

tq_value_t *tq_seq_get(const tq_value_t *seq, size_t i)
{
    return seq->u.seq.items[i];
}

void tq_list_append(tq_value_t *list, tq_value_t *item)
{
    TQ_PUSH(list->u.seq.items, list->u.seq.len, list->u.seq.cap,
            tq_incref(item));
}

void tq_list_insert(tq_value_t *list, size_t i, tq_value_t *item)
{
    if (i > list->u.seq.len)
        i = list->u.seq.len;
    tq_list_append(list, item);
    tq_value_t **it = list->u.seq.items;
    memmove(it + i + 1, it + i, (list->u.seq.len - 1 - i) * sizeof *it);
    it[i] = item;
}

tq_value_t *tq_list_pop(tq_value_t *list, size_t i)
{
    tq_value_t **it = list->u.seq.items;
    tq_value_t *v = it[i];
    memmove(it + i, it + i + 1, (list->u.seq.len - i - 1) * sizeof *it);
    list->u.seq.len--;
    return v;
}

void tq_tuple_set(tq_value_t *tuple, size_t i, tq_value_t *item)
{
    tq_decref(tuple->u.seq.items[i]);
    tuple->u.seq.items[i] = item;
}

/* ---- dict operations */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_value(const tq_value_t *k)
{
    switch (k->kind) {
    case TQ_NONE: return 0x9e3779b97f4a7c15ULL;
    case TQ_BOOL: return mix64((uint64_t)k->u.b);
    case TQ_INT: return mix64((uint64_t)k->u.i);
    case TQ_FLOAT: {
        double d = k->u.f;
        if (d == floor(d) && fabs(d) < 9.2e18)
            return mix64((uint64_t)(int64_t)d);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return mix64(bits);
    }
    case TQ_STR: return tq_hash_bytes(k->u.str.s, k->u.str.len);
    case TQ_TUPLE: {
        uint64_t h = 0x345678;
        for (size_t i = 0; i < k->u.seq.len; i++)
            h = mix64(h ^ hash_value(k->u.seq.items[i]));
        return h;
    }
    case TQ_NATIVE:
        if (k->u.native.type->compare && k->u.native.type->hash)
            return k->u.native.type->hash(k);
        return mix64((uint64_t)(uintptr_t)k);
    default: return mix64((uint64_t)(uintptr_t)k);
    }
}

/* Tuples nested deeper than this are refused as keys with RecursionError,
 * so that hash_value and key_equal, which recurse, stay shallow. */
#define KEY_MAX_DEPTH 1000

static bool hashable_depth(tq_ctx_t *ctx, tq_value_t *key, int depth)
{
    switch (key->kind) {
    case TQ_LIST: case TQ_DICT: case TQ_SLICE:
        tq_raise(ctx, "TypeError", "unhashable type: '%s'",
                 tq_type_name(key));
        return false;
    case TQ_TUPLE:
        if (depth >= KEY_MAX_DEPTH) {
            tq_raise(ctx, "RecursionError",
                     "maximum recursion depth exceeded");
            return false;
        }
        for (size_t i = 0; i < key->u.seq.len; i++)
            if (!hashable_depth(ctx, key->u.seq.items[i], depth + 1))
                return false;
        return true;
    default:
        return true;
    }
}

bool tq_hashable(tq_ctx_t *ctx, tq_value_t *key)
{
    return hashable_depth(ctx, key, 0);
}

static bool key_equal(tq_value_t *a, tq_value_t *b)
{
    if (a == b)
        return true;
    bool an = a->kind == TQ_INT || a->kind == TQ_FLOAT || a->kind == TQ_BOOL;
    bool bn = b->kind == TQ_INT || b->kind == TQ_FLOAT || b->kind == TQ_BOOL;
    if (an && bn) {
        if (a->kind != TQ_FLOAT && b->kind != TQ_FLOAT)
            return tq_as_int(a) == tq_as_int(b);
        return tq_as_float(a) == tq_as_float(b);
    }
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case TQ_NONE: return true;
    case TQ_STR:
        return a->u.str.len == b->u.str.len &&
               memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    case TQ_TUPLE:
        if (a->u.seq.len != b->u.seq.len)
            return false;
        for (size_t i = 0; i < a->u.seq.len; i++)
            if (!key_equal(a->u.seq.items[i], b->u.seq.items[i]))
                return false;
        return true;
    case TQ_NATIVE:
        /* natives with a compare hook are equal by value */
        return a->u.native.type == b->u.native.type &&
               a->u.native.type->compare &&
               a->u.native.type->compare(a, b) == 0;
    default:
        return false;
    }
}

static void dict_reindex(tq_dict_t *d)
{
    free(d->index);
    d->index = NULL;
    d->icap = 0;
    if (d->len < 8)
        return;
    size_t icap = 16;
    while (icap < d->len * 2)
        icap *= 2;
    d->index = tq_xcalloc(icap, sizeof *d->index);
    d->icap = icap;
    for (size_t i = 0; i < d->len; i++) {
        size_t j = d->entries[i].hash & (icap - 1);
        while (d->index[j])
            j = (j + 1) & (icap - 1);
        d->index[j] = (int32_t)i + 1;
    }
}

static long dict_find(const tq_dict_t *d, tq_value_t *key, uint64_t h)
{
    if (d->index) {
        size_t mask = d->icap - 1;
        for (size_t j = h & mask; d->index[j]; j = (j + 1) & mask) {
            dict_entry_t *e = &d->entries[d->index[j] - 1];
            if (e->hash == h && key_equal(e->key, key))
                return d->index[j] - 1;
        }
        return -1;
    }
    for (size_t i = 0; i < d->len; i++)
        if (d->entries[i].hash == h && key_equal(d->entries[i].key, key))
            return (long)i;
    return -1;
}

size_t tq_dict_len(const tq_value_t *dict) { return dict->u.dict->len; }

tq_value_t *tq_dict_key_at(const tq_value_t *dict, size_t i)
{
    return dict->u.dict->entries[i].key;
}

tq_value_t *tq_dict_value_at(const tq_value_t *dict, size_t i)
{
    return dict->u.dict->entries[i].value;
}

tq_value_t *tq_dict_get(const tq_value_t *dict, tq_value_t *key)
{
    long i = dict_find(dict->u.dict, key, hash_value(key));
    return i < 0 ? NULL : dict->u.dict->entries[i].value;
}

tq_value_t *tq_dict_get_str(const tq_value_t *dict, const char *key)
{
    tq_value_t *k = tq_str(key);
    tq_value_t *v = tq_dict_get(dict, k);
    tq_decref(k);
    return v;
}

void tq_dict_set(tq_value_t *dict, tq_value_t *key, tq_value_t *value)
{
    tq_dict_t *d = dict->u.dict;
    uint64_t h = hash_value(key);
    long i = dict_find(d, key, h);
    if (i >= 0) {
        tq_incref(value);
        tq_decref(d->entries[i].value);
        d->entries[i].value = value;
        return;
    }
    dict_entry_t e = {tq_incref(key), tq_incref(value), h};
    TQ_PUSH(d->entries, d->len, d->cap, e);
    if (d->len >= 8 && d->len * 2 > d->icap)
        dict_reindex(d);
    else if (d->index) {
        size_t mask = d->icap - 1;
        size_t j = h & mask;
        while (d->index[j])
            j = (j + 1) & mask;
        d->index[j] = (int32_t)d->len;
    }
}

void tq_dict_set_str(tq_value_t *dict, const char *key, tq_value_t *value)
{
    tq_value_t *k = tq_str(key);
    tq_dict_set(dict, k, value);
    tq_decref(k);
}

bool tq_dict_del(tq_value_t *dict, tq_value_t *key)
{
    tq_dict_t *d = dict->u.dict;
    long i = dict_find(d, key, hash_value(key));
    if (i < 0)
        return false;
    tq_decref(d->entries[i].key);
    tq_decref(d->entries[i].value);
    memmove(d->entries + i, d->entries + i + 1,
            (d->len - (size_t)i - 1) * sizeof *d->entries);
    d->len--;
    dict_reindex(d);
    return true;
}

tq_value_t *tq_slice_start(const tq_value_t *s) { return s->u.slice.start; }
tq_value_t *tq_slice_stop(const tq_value_t *s) { return s->u.slice.stop; }
tq_value_t *tq_slice_step(const tq_value_t *s) { return s->u.slice.step; }

tq_value_t *tq_args_kw(const tq_args_t *args, const char *name)
{
    for (size_t i = 0; i < args->nkw; i++)
        if (strcmp(args->kwnames[i], name) == 0)
            return args->kwvalues[i];
    return NULL;
}

/* ---- reprs */

char *tq_float_repr(double d)
{
    if (isnan(d))
        return tq_xstrdup("nan");
    if (isinf(d))
        return tq_xstrdup(d > 0 ? "inf" : "-inf");
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf is "[-]d.ddde[+-]XX": split digits and exponent. */
    char digits[32];
    int nd = 0;
    const char *p = buf;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    tq_buf_t b = {0};
    if (neg)
        tq_buf_addc(&b, '-');
    if (exp >= -5 + 1 && exp < 16) {
        if (exp < 0) {
            tq_buf_add(&b, "0.");
            for (int i = 0; i < -exp - 1; i++)
                tq_buf_addc(&b, '0');
            tq_buf_add(&b, digits);
        } else {
            for (int i = 0; i <= exp; i++)
                tq_buf_addc(&b, i < nd ? digits[i] : '0');
            tq_buf_addc(&b, '.');
            if (nd > exp + 1)
                tq_buf_add(&b, digits + exp + 1);
            else
                tq_buf_addc(&b, '0');
        }
    } else {
        tq_buf_addc(&b, digits[0]);
        if (nd > 1) {
            tq_buf_addc(&b, '.');
            tq_buf_add(&b, digits + 1);
        }
        tq_buf_printf(&b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
    }
    return tq_buf_take(&b);
}

static void repr_str(tq_buf_t *b, const char *s, size_t n)
{
    bool has_single = memchr(s, '\'', n) != NULL;
    bool has_double = memchr(s, '"', n) != NULL;
    char q = has_single && !has_double ? '"' : '\'';
    tq_buf_addc(b, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)q || c == '\\') {
            tq_buf_addc(b, '\\');
            tq_buf_addc(b, (char)c);
        } else if (c == '\n') {
            tq_buf_add(b, "\\n");
        } else if (c == '\r') {
            tq_buf_add(b, "\\r");
        } else if (c == '\t') {
            tq_buf_add(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            tq_buf_printf(b, "\\x%02x", c);
        } else {
            tq_buf_addc(b, (char)c);
        }
    }
    tq_buf_addc(b, q);
}

/* Containers nested deeper than this make repr raise RecursionError
 * (Python's default recursion limit is also 1000). */
#define REPR_MAX_DEPTH 1000

/* The containers being shown, outermost first: a container met again
 * inside itself shows as [...], {...} or (...), as Python does. */
typedef struct repr_path {
    const tq_value_t *items[REPR_MAX_DEPTH];
    int len;
} repr_path_t;

static int repr_rec(tq_ctx_t *ctx, tq_buf_t *b, tq_value_t *v,
                    repr_path_t *path);

/* Whether a container at this depth is too deep to show: 0 (it is not),
 * 1 ("..." written, without a context), or -1 (RecursionError raised). */
static int repr_too_deep(tq_ctx_t *ctx, tq_buf_t *b, const repr_path_t *path)
{
    if (path->len < REPR_MAX_DEPTH)
        return 0;
    if (!ctx) {
        tq_buf_add(b, "...");
        return 1;
    }
    tq_raise(ctx, "RecursionError", "maximum recursion depth exceeded "
             "while getting the repr of an object");
    return -1;
}

static int repr_exception(tq_ctx_t *ctx, tq_buf_t *b, tq_value_t *v,
                          repr_path_t *path);

static int repr_into(tq_ctx_t *ctx, tq_buf_t *b, tq_value_t *v)
{
    repr_path_t path;
    path.len = 0;
    return repr_rec(ctx, b, v, &path);
}

/* A repr longer than this is cut with "..." (shared references can make
 * a small structure's text exponentially long). */
#define REPR_MAX_BYTES ((size_t)1 << 20)

static int repr_rec(tq_ctx_t *ctx, tq_buf_t *b, tq_value_t *v,
                    repr_path_t *path)
{
    if (b->len > REPR_MAX_BYTES)
        return 0;
    switch ((tq_kind_t)v->kind) {
    case TQ_NONE: tq_buf_add(b, "None"); return 0;
    case TQ_BOOL: tq_buf_add(b, v->u.b ? "True" : "False"); return 0;
    case TQ_INT: tq_buf_printf(b, "%lld", (long long)v->u.i); return 0;
    case TQ_FLOAT: {
        char *s = tq_float_repr(v->u.f);
        tq_buf_add(b, s);
        free(s);
        return 0;
    }
    case TQ_STR: repr_str(b, v->u.str.s, v->u.str.len); return 0;
    case TQ_LIST: case TQ_TUPLE: case TQ_DICT: {
        bool list = v->kind == TQ_LIST, dict = v->kind == TQ_DICT;
        int deep = repr_too_deep(ctx, b, path);
        if (deep)
            return deep < 0 ? -1 : 0;
        bool again = false;
        for (int i = 0; i < path->len && !again; i++)
            again = path->items[i] == v;
        if (again) {
            tq_buf_add(b, list ? "[...]" : dict ? "{...}" : "(...)");
            return 0;
        }
        path->items[path->len++] = v;
        tq_buf_addc(b, list ? '[' : dict ? '{' : '(');
        size_t n = dict ? v->u.dict->len : v->u.seq.len;
        int rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (i)
                tq_buf_add(b, ", ");
            if (dict) {
                rc = repr_rec(ctx, b, v->u.dict->entries[i].key, path);
                tq_buf_add(b, ": ");
                if (rc == 0)
                    rc = repr_rec(ctx, b, v->u.dict->entries[i].value, path);
            } else {
                rc = repr_rec(ctx, b, v->u.seq.items[i], path);
            }
        }
        if (!list && !dict && n == 1)
            tq_buf_addc(b, ',');
        tq_buf_addc(b, list ? ']' : dict ? '}' : ')');
        path->len--;
        return rc;
    }
    case TQ_SLICE:
        tq_buf_add(b, "slice(");
        repr_rec(ctx, b, v->u.slice.start, path);
        tq_buf_add(b, ", ");
        repr_rec(ctx, b, v->u.slice.stop, path);
        tq_buf_add(b, ", ");
        repr_rec(ctx, b, v->u.slice.step, path);
        tq_buf_addc(b, ')');
        return 0;
    case TQ_FUNCTION:
        tq_buf_printf(b, "<function %s>", v->u.fn->name);
        return 0;
    case TQ_BUILTIN:
        if (v->u.bi.is_class)
            tq_buf_printf(b, "<class '%s'>", v->u.bi.name);
        else if (v->u.bi.self)
            tq_buf_printf(b, "<built-in method %s of %s object>",
                          v->u.bi.name, tq_type_name(v->u.bi.self));
        else
            tq_buf_printf(b, "<built-in function %s>", v->u.bi.name);
        return 0;
    case TQ_NATIVE: {
        const tq_type_t *t = v->u.native.type;
        if (t == &exc_type)
            return repr_exception(ctx, b, v, path);
        if (!t->repr) {
            tq_buf_printf(b, "<%s object>", t->name);
            return 0;
        }
        if (!ctx) {
            tq_buf_printf(b, "<%s object>", t->name);
            return 0;
        }
        char *s = t->repr(ctx, v);
        if (!s)
            return -1;
        tq_buf_add(b, s);
        free(s);
        return 0;
    }
    }
    return 0;
}

/* Python's BaseException.__repr__: Name() for no arguments, Name(repr(a))
 * for one, Name + repr(args) for more. The exception counts on the path
 * as a container does, so exceptions nested past REPR_MAX_DEPTH raise
 * RecursionError (without a context: "..."). */
static int repr_exception(tq_ctx_t *ctx, tq_buf_t *b, tq_value_t *v,
                          repr_path_t *path)
{
    exc_t *e = v->u.native.data;
    int deep = repr_too_deep(ctx, b, path);
    if (deep)
        return deep < 0 ? -1 : 0;
    path->items[path->len++] = v;
    tq_buf_add(b, e->ename);
    size_t n = tq_seq_len(e->args);
    int rc;
    if (n == 1) {
        tq_buf_addc(b, '(');
        rc = repr_rec(ctx, b, tq_seq_get(e->args, 0), path);
        tq_buf_addc(b, ')');
    } else {
        rc = repr_rec(ctx, b, e->args, path);
    }
    path->len--;
    return rc;
}

char *tq_repr(tq_ctx_t *ctx, tq_value_t *v)
{
    tq_buf_t b = {0};
    if (repr_into(ctx, &b, v) < 0) {
        tq_buf_free(&b);
        return NULL;
    }
    if (b.len > REPR_MAX_BYTES)
        tq_buf_add(&b, "...");
    return tq_buf_take(&b);
}

char *tq_to_str(tq_ctx_t *ctx, tq_value_t *v)
{
    if (v->kind == TQ_STR)
        return tq_xstrndup(v->u.str.s, v->u.str.len);
    if (v->kind == TQ_NATIVE && v->u.native.type->str)
        return v->u.native.type->str(ctx, v);
    if (tq_exception_name(v)) {
        tq_value_t *s = tq_exception_str(ctx, v);
        if (!s)
            return NULL;
        char *r = tq_xstrndup(tq_as_str(s), tq_str_len(s));
        tq_decref(s);
        return r;
    }
    return tq_repr(ctx, v);
}

tq_value_t *tq_str_of(tq_ctx_t *ctx, tq_value_t *v)
{
    if (v->kind == TQ_STR)
        return tq_incref(v);
    if (tq_exception_name(v))
        return tq_exception_str(ctx, v);
    char *s = tq_to_str(ctx, v);
    return s ? tq_str_take(s) : NULL;
}

tq_value_t *tq_repr_str(tq_ctx_t *ctx, tq_value_t *v)
{
    char *s = tq_repr(ctx, v);
    return s ? tq_str_take(s) : NULL;
}

/* ---- truth, equality, ordering */

int tq_truth(tq_ctx_t *ctx, tq_value_t *v)
{
    switch ((tq_kind_t)v->kind) {
    case TQ_NONE: return 0;
    case TQ_BOOL: return v->u.b;
    case TQ_INT: return v->u.i != 0;
    case TQ_FLOAT: return v->u.f != 0;
    case TQ_STR: return v->u.str.len != 0;
    case TQ_LIST: case TQ_TUPLE: return v->u.seq.len != 0;
    case TQ_DICT: return v->u.dict->len != 0;
    case TQ_NATIVE: {
        const tq_type_t *t = v->u.native.type;
        if (t->truth)
            return t->truth(ctx, v);
        if (t->length) {
            int64_t n = t->length(ctx, v);
            return n < 0 ? -1 : n != 0;
        }
        return 1;
    }
    default: return 1;
    }
}

static bool is_number(const tq_value_t *v)
{
    return v->kind == TQ_INT || v->kind == TQ_FLOAT || v->kind == TQ_BOOL;
}

static int equal_depth(tq_ctx_t *ctx, tq_value_t *a, tq_value_t *b, int depth)
{
    if (depth > 200) {
        tq_raise(ctx, "RecursionError",
                 "maximum recursion depth exceeded in comparison");
        return -1;
    }
    if (a == b)
        return 1;
    if (is_number(a) && is_number(b))
        return key_equal(a, b);
    if ((a->kind == TQ_LIST || a->kind == TQ_TUPLE) && a->kind == b->kind) {
        if (a->u.seq.len != b->u.seq.len)
            return 0;
        for (size_t i = 0; i < a->u.seq.len; i++) {
            int r = equal_depth(ctx, a->u.seq.items[i], b->u.seq.items[i],
                                depth + 1);
            if (r != 1)
                return r;
        }
        return 1;
    }
    if (a->kind == TQ_DICT && b->kind == TQ_DICT) {
        if (a->u.dict->len != b->u.dict->len)
            return 0;
        for (size_t i = 0; i < a->u.dict->len; i++) {
            tq_value_t *bv = tq_dict_get(b, a->u.dict->entries[i].key);
            if (!bv)
                return 0;
            int r = equal_depth(ctx, a->u.dict->entries[i].value, bv,
                                depth + 1);
            if (r != 1)
                return r;
        }
        return 1;
    }
    if (a->kind == TQ_BUILTIN && b->kind == TQ_BUILTIN)
        return a->u.bi.fn == b->u.bi.fn && a->u.bi.self == b->u.bi.self &&
               strcmp(a->u.bi.name, b->u.bi.name) == 0;
    if (a->kind != b->kind)
        return 0;
    return key_equal(a, b);
}

int tq_equal(tq_ctx_t *ctx, tq_value_t *a, tq_value_t *b)
{
    return equal_depth(ctx, a, b, 0);
}

static const char *binop_text(tq_binop_t op)
{
    static const char *const names[] = {
#define X(name, text) text,
        TQ_BINOPS(X)
#undef X
    };
    return names[op];
}

static int compare_depth(tq_ctx_t *ctx, tq_value_t *a, tq_value_t *b,
                         const char *optext, int depth)
{
    if (is_number(a) && is_number(b)) {
        if (a->kind != TQ_FLOAT && b->kind != TQ_FLOAT) {
            int64_t x = tq_as_int(a), y = tq_as_int(b);
            return x < y ? -1 : x > y;
        }
        double x = tq_as_float(a), y = tq_as_float(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a->kind == TQ_STR && b->kind == TQ_STR) {
        size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
        int c = memcmp(a->u.str.s, b->u.str.s, n);
        if (c)
            return c < 0 ? -1 : 1;
        return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
    }
    if ((a->kind == TQ_LIST || a->kind == TQ_TUPLE) && a->kind == b->kind &&
        depth < 200) {
        size_t n = a->u.seq.len < b->u.seq.len ? a->u.seq.len : b->u.seq.len;
        for (size_t i = 0; i < n; i++) {
            int eq = tq_equal(ctx, a->u.seq.items[i], b->u.seq.items[i]);
            if (eq < 0)
                return -2;
            if (!eq)
                return compare_depth(ctx, a->u.seq.items[i],
                                     b->u.seq.items[i], optext, depth + 1);
        }
        return a->u.seq.len < b->u.seq.len ? -1 : a->u.seq.len > b->u.seq.len;
    }
    if (a->kind == TQ_NATIVE && b->kind == TQ_NATIVE &&
        a->u.native.type == b->u.native.type && a->u.native.type->compare) {
        int c = a->u.native.type->compare(a, b);
        return c < 0 ? -1 : c > 0;
    }
    tq_raise(ctx, "TypeError",
             "'%s' not supported between instances of '%s' and '%s'", optext,
             tq_type_name(a), tq_type_name(b));
    return -2;
}

int tq_compare(tq_ctx_t *ctx, tq_value_t *a, tq_value_t *b)
{
    return compare_depth(ctx, a, b, "<", 0);
}

/* ---- arithmetic */

static tq_value_t *int_overflow(tq_ctx_t *ctx)
{
    return tq_raise(ctx, "OverflowError",
                    "integer overflow: Tabula ints are 64-bit");
}

static tq_value_t *int_binop(tq_ctx_t *ctx, tq_binop_t op, int64_t a,
                             int64_t b)
{
    int64_t r;
    switch (op) {
    case TQ_OP_ADD:
        if (__builtin_add_overflow(a, b, &r))
            return int_overflow(ctx);
        return tq_int(r);
    case TQ_OP_SUB:
        if (__builtin_sub_overflow(a, b, &r))
            return int_overflow(ctx);
        return tq_int(r);
    case TQ_OP_MUL:
        if (__builtin_mul_overflow(a, b, &r))
            return int_overflow(ctx);
        return tq_int(r);
    case TQ_OP_DIV:
        if (b == 0)
            return tq_raise(ctx, "ZeroDivisionError", "division by zero");
        return tq_float((double)a / (double)b);
    case TQ_OP_FLOORDIV:
        if (b == 0)
            return tq_raise(ctx, "ZeroDivisionError",
                            "integer division or modulo by zero");
        if (a == INT64_MIN && b == -1)
            return int_overflow(ctx);
        r = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0)))
            r--;
        return tq_int(r);
    case TQ_OP_MOD:
        if (b == 0)
            return tq_raise(ctx, "ZeroDivisionError",
                            "integer modulo by zero");
        if (b == -1)
            return tq_int(0);
        r = a % b;
        if (r != 0 && ((r < 0) != (b < 0)))
            r += b;
        return tq_int(r);
    case TQ_OP_POW: {
        if (b < 0) {
            if (a == 0)
                return tq_raise(ctx, "ZeroDivisionError",
                                "0.0 cannot be raised to a negative power");
            return tq_float(pow((double)a, (double)b));
        }
        int64_t result = 1, base = a;
        while (b > 0) {
            if (b & 1)
                if (__builtin_mul_overflow(result, base, &result))
                    return int_overflow(ctx);
            b >>= 1;
            if (b && __builtin_mul_overflow(base, base, &base))
                return int_overflow(ctx);
        }
        return tq_int(result);
    }
    case TQ_OP_AND: return tq_int(a & b);
    case TQ_OP_OR: return tq_int(a | b);
    case TQ_OP_XOR: return tq_int(a ^ b);
    default: return NULL;
    }
}

static tq_value_t *float_binop(tq_ctx_t *ctx, tq_binop_t op, double a,
                               double b)
{
    switch (op) {
    case TQ_OP_ADD: return tq_float(a + b);
    case TQ_OP_SUB: return tq_float(a - b);
    case TQ_OP_MUL: return tq_float(a * b);
    case TQ_OP_DIV:
        if (b == 0)
            return tq_raise(ctx, "ZeroDivisionError",
                            "float division by zero");
        return tq_float(a / b);
    case TQ_OP_FLOORDIV: {
        if (b == 0)
            return tq_raise(ctx, "ZeroDivisionError",
                            "float floor division by zero");
        double m = fmod(a, b);
        if (m != 0 && ((m < 0) != (b < 0)))
            m += b;
        double q = (a - m) / b, fl = floor(q);
        if (q - fl > 0.5)
            fl += 1.0;
        return tq_float(fl);
    }
    case TQ_OP_MOD: {
        if (b == 0)
            return tq_raise(ctx, "ZeroDivisionError", "float modulo");
        double m = fmod(a, b);
        if (m != 0 && ((m < 0) != (b < 0)))
            m += b;
        return tq_float(m);
    }
    case TQ_OP_POW:
        if (a == 0 && b < 0)
            return tq_raise(ctx, "ZeroDivisionError",
                            "0.0 cannot be raised to a negative power");
        if (a < 0 && b != floor(b))
            return tq_raise(ctx, "ValueError",
                            "a negative number cannot be raised to a "
                            "fractional power");
        return tq_float(pow(a, b));
    default: return NULL;
    }
}

static tq_value_t *seq_repeat(tq_ctx_t *ctx, tq_value_t *seq, int64_t n)
{
    if (n < 0)
        n = 0;
    /* The work is bounded by the result's size, never by n alone: an
     * empty sequence times a huge n is empty at once. */
    if (seq->kind == TQ_STR) {
        size_t len = seq->u.str.len;
        if (n == 0 || len == 0)
            return tq_str("");
        if (len > TQ_MAX_STR_BYTES / (size_t)n)
            return tq_raise(ctx, "OverflowError",
                            "repeated string is too long");
        size_t total = len * (size_t)n;
        char *out = tq_xmalloc(total + 1);
        for (size_t at = 0; at < total; at += len)
            memcpy(out + at, seq->u.str.s, len);
        out[total] = 0;
        tq_value_t *v = tq_str_n(out, total);   /* keeps embedded NULs */
        free(out);
        return v;
    }
    size_t len = seq->u.seq.len;
    if (len == 0)
        n = 0;
    if (n && len > TQ_MAX_SEQ_ITEMS / (size_t)n)
        return tq_raise(ctx, "OverflowError", "repeated sequence is too long");
    size_t total = len * (size_t)n;
    tq_value_t *r;
    if (seq->kind == TQ_LIST) {
        r = tq_list_new(total);
        for (int64_t i = 0; i < n; i++)
            for (size_t j = 0; j < len; j++)
                tq_list_append(r, seq->u.seq.items[j]);
    } else {
        r = tq_tuple_new(total);
        for (int64_t i = 0; i < n; i++)
            for (size_t j = 0; j < len; j++)
                tq_tuple_set(r, (size_t)i * len + j,
                             tq_incref(seq->u.seq.items[j]));
    }
    return r;
}

static int contains(tq_ctx_t *ctx, tq_value_t *container, tq_value_t *item)
{
    switch (container->kind) {
    case TQ_STR:
        if (item->kind != TQ_STR) {
            tq_raise(ctx, "TypeError",
                     "'in <string>' requires string as left operand, not %s",
                     tq_type_name(item));
            return -1;
        }
        return memmem(container->u.str.s, container->u.str.len,
                      item->u.str.s, item->u.str.len) != NULL ||
               item->u.str.len == 0;
    case TQ_LIST: case TQ_TUPLE:
        for (size_t i = 0; i < container->u.seq.len; i++) {
            int r = tq_equal(ctx, container->u.seq.items[i], item);
            if (r)
                return r;
        }
        return 0;
    case TQ_DICT:
        if (!tq_hashable(ctx, item))
            return -1;
        return tq_dict_get(container, item) != NULL;
    case TQ_NATIVE: {
        tq_value_t *items = tq_iterate(ctx, container);
        if (!items)
            return -1;
        int r = contains(ctx, items, item);
        tq_decref(items);
        return r;
    }
    default:
        tq_raise(ctx, "TypeError", "argument of type '%s' is not iterable",
                 tq_type_name(container));
        return -1;
    }
}

static tq_value_t *native_binop(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *a,
                                tq_value_t *b, bool *tried)
{
    *tried = false;
    if (a->kind == TQ_NATIVE && a->u.native.type->binop) {
        tq_value_t *r = a->u.native.type->binop(ctx, op, a, b, false);
        if (r || tq_error_pending(ctx))
            return r;
    }
    if (b->kind == TQ_NATIVE && b->u.native.type->binop) {
        tq_value_t *r = b->u.native.type->binop(ctx, op, b, a, true);
        if (r || tq_error_pending(ctx))
            return r;
    }
    *tried = true;
    return NULL;
}

tq_value_t *tq_binary(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *a,
                      tq_value_t *b)
{
    if (a->kind == TQ_NATIVE || b->kind == TQ_NATIVE) {
        bool unsupported;
        tq_value_t *r = native_binop(ctx, op, a, b, &unsupported);
        if (r || !unsupported)
            return r;
    }
    switch (op) {
    case TQ_OP_EQ: case TQ_OP_NE: {
        /* NaN equals nothing, itself included (containers compare their
         * items by identity first, as CPython's do: [x] == [x]) */
        int r = a == b && a->kind == TQ_FLOAT && isnan(tq_as_float(a))
              ? 0 : tq_equal(ctx, a, b);
        if (r < 0)
            return NULL;
        return tq_bool(op == TQ_OP_EQ ? r : !r);
    }
    case TQ_OP_IS: case TQ_OP_IS_NOT: {
        bool same = a == b;
        if (!same && a->kind == b->kind &&
            (a->kind == TQ_NONE || a->kind == TQ_BOOL))
            same = a->kind == TQ_NONE || a->u.b == b->u.b;
        return tq_bool(op == TQ_OP_IS ? same : !same);
    }
    case TQ_OP_IN: case TQ_OP_NOT_IN: {
        int r = contains(ctx, b, a);
        if (r < 0)
            return NULL;
        return tq_bool(op == TQ_OP_IN ? r : !r);
    }
    case TQ_OP_LT: case TQ_OP_LE: case TQ_OP_GT: case TQ_OP_GE: {
        int c = compare_depth(ctx, a, b, binop_text(op), 0);
        if (c == -2)
            return NULL;
        bool r = op == TQ_OP_LT ? c < 0 : op == TQ_OP_LE ? c <= 0
                 : op == TQ_OP_GT ? c > 0 : c >= 0;
        /* NaN compares false every way. */
        if ((a->kind == TQ_FLOAT && isnan(a->u.f)) ||
            (b->kind == TQ_FLOAT && isnan(b->u.f)))
            r = false;
        return tq_bool(r);
    }
    default:
        break;
    }
    if (is_number(a) && is_number(b)) {
        if (a->kind != TQ_FLOAT && b->kind != TQ_FLOAT) {
            tq_value_t *r = int_binop(ctx, op, tq_as_int(a), tq_as_int(b));
            if (r || tq_error_pending(ctx)) {
                if (r && a->kind == TQ_BOOL && b->kind == TQ_BOOL &&
                    (op == TQ_OP_AND || op == TQ_OP_OR || op == TQ_OP_XOR)) {
                    bool bv = r->u.i != 0;
                    tq_decref(r);
                    return tq_bool(bv);
                }
                return r;
            }
        } else if (op != TQ_OP_AND && op != TQ_OP_OR && op != TQ_OP_XOR) {
            return float_binop(ctx, op, tq_as_float(a), tq_as_float(b));
        }
    }
    if (op == TQ_OP_ADD) {
        if ((a->kind == TQ_STR && b->kind == TQ_STR &&
             a->u.str.len + b->u.str.len > TQ_MAX_STR_BYTES) ||
            ((a->kind == TQ_LIST || a->kind == TQ_TUPLE) && a->kind == b->kind &&
             a->u.seq.len + b->u.seq.len > TQ_MAX_SEQ_ITEMS))
            return tq_raise(ctx, "OverflowError",
                            "the result of + is too long for Tabula");
        if (a->kind == TQ_STR && b->kind == TQ_STR) {
            tq_buf_t buf = {0};
            tq_buf_addn(&buf, a->u.str.s, a->u.str.len);
            tq_buf_addn(&buf, b->u.str.s, b->u.str.len);
            tq_value_t *v = tq_str_n(buf.s, buf.len);
            tq_buf_free(&buf);
            return v;
        }
        if ((a->kind == TQ_LIST || a->kind == TQ_TUPLE) && a->kind == b->kind) {
            size_t n = a->u.seq.len + b->u.seq.len;
            tq_value_t *r;
            if (a->kind == TQ_LIST) {
                r = tq_list_new(n);
                for (size_t i = 0; i < a->u.seq.len; i++)
                    tq_list_append(r, a->u.seq.items[i]);
                for (size_t i = 0; i < b->u.seq.len; i++)
                    tq_list_append(r, b->u.seq.items[i]);
            } else {
                r = tq_tuple_new(n);
                for (size_t i = 0; i < a->u.seq.len; i++)
                    tq_tuple_set(r, i, tq_incref(a->u.seq.items[i]));
                for (size_t i = 0; i < b->u.seq.len; i++)
                    tq_tuple_set(r, a->u.seq.len + i,
                                 tq_incref(b->u.seq.items[i]));
            }
            return r;
        }
        if (a->kind == TQ_STR || a->kind == TQ_LIST || a->kind == TQ_TUPLE)
            return tq_raise(ctx, "TypeError",
                            "can only concatenate %s (not \"%s\") to %s",
                            tq_type_name(a), tq_type_name(b),
                            tq_type_name(a));
    }
    if (op == TQ_OP_MUL) {
        bool aseq = a->kind == TQ_STR || a->kind == TQ_LIST ||
                    a->kind == TQ_TUPLE;
        bool bseq = b->kind == TQ_STR || b->kind == TQ_LIST ||
                    b->kind == TQ_TUPLE;
        if (aseq && (b->kind == TQ_INT || b->kind == TQ_BOOL))
            return seq_repeat(ctx, a, tq_as_int(b));
        if (bseq && (a->kind == TQ_INT || a->kind == TQ_BOOL))
            return seq_repeat(ctx, b, tq_as_int(a));
        if (aseq || bseq)
            return tq_raise(ctx, "TypeError",
                            "can't multiply sequence by non-int of type '%s'",
                            tq_type_name(aseq ? b : a));
    }
    if (op == TQ_OP_MOD && a->kind == TQ_STR)
        return tq_str_percent(ctx, a, b);
    if (op == TQ_OP_OR && a->kind == TQ_DICT && b->kind == TQ_DICT) {
        tq_value_t *r = tq_dict_new();
        for (size_t i = 0; i < a->u.dict->len; i++)
            tq_dict_set(r, a->u.dict->entries[i].key,
                        a->u.dict->entries[i].value);
        for (size_t i = 0; i < b->u.dict->len; i++)
            tq_dict_set(r, b->u.dict->entries[i].key,
                        b->u.dict->entries[i].value);
        return r;
    }
    const char *text = op == TQ_OP_POW ? "** or pow()" : binop_text(op);
    return tq_raise(ctx, "TypeError",
                    "unsupported operand type(s) for %s: '%s' and '%s'", text,
                    tq_type_name(a), tq_type_name(b));
}

tq_value_t *tq_unary(tq_ctx_t *ctx, tq_unop_t op, tq_value_t *v)
{
    if (op == TQ_UOP_NOT && (v->kind != TQ_NATIVE ||
                             !v->u.native.type->unop)) {
        int t = tq_truth(ctx, v);
        return t < 0 ? NULL : tq_bool(!t);
    }
    if (v->kind == TQ_NATIVE && v->u.native.type->unop) {
        tq_value_t *r = v->u.native.type->unop(ctx, op, v);
        if (r || tq_error_pending(ctx))
            return r;
        if (op == TQ_UOP_NOT) {
            int t = tq_truth(ctx, v);
            return t < 0 ? NULL : tq_bool(!t);
        }
    }
    switch (v->kind) {
    case TQ_INT: case TQ_BOOL: {
        int64_t i = tq_as_int(v);
        if (op == TQ_UOP_NEG) {
            if (i == INT64_MIN)
                return int_overflow(ctx);
            return tq_int(-i);
        }
        if (op == TQ_UOP_POS)
            return tq_int(i);
        if (op == TQ_UOP_INVERT)
            return tq_int(~i);
        break;
    }
    case TQ_FLOAT:
        if (op == TQ_UOP_NEG)
            return tq_float(-v->u.f);
        if (op == TQ_UOP_POS)
            return tq_float(v->u.f);
        break;
    default:
        break;
    }
    static const char *const names[] = {
#define X(name, text) text,
        TQ_UNOPS(X)
#undef X
    };
    return tq_raise(ctx, "TypeError", "bad operand type for unary %s: '%s'",
                    names[op], tq_type_name(v));
}

/* ---- attributes, items, calls */

tq_value_t *tq_getattr(tq_ctx_t *ctx, tq_value_t *obj, const char *name)
{
    if (obj->kind == TQ_NATIVE) {
        const tq_type_t *t = obj->u.native.type;
        if (t->getattr) {
            tq_value_t *r = t->getattr(ctx, obj, name);
            if (r || tq_error_pending(ctx))
                return r;
        }
        return tq_raise(ctx, "AttributeError",
                        "'%s' object has no attribute '%s'",
                        tq_type_name(obj), name);
    }
    tq_value_t *m = tq_method_get(ctx, obj, name);
    if (m || tq_error_pending(ctx))
        return m;
    if (obj->kind == TQ_FUNCTION && strcmp(name, "__name__") == 0)
        return tq_str(obj->u.fn->name);
    if (obj->kind == TQ_BUILTIN && strcmp(name, "__name__") == 0)
        return tq_str(obj->u.bi.name);
    return tq_raise(ctx, "AttributeError", "'%s' object has no attribute '%s'",
                    tq_type_name(obj), name);
}

int tq_setattr(tq_ctx_t *ctx, tq_value_t *obj, const char *name,
               tq_value_t *value)
{
    if (obj->kind == TQ_NATIVE && obj->u.native.type->setattr)
        return obj->u.native.type->setattr(ctx, obj, name, value);
    tq_raise(ctx, "AttributeError", "'%s' object attribute '%s' is read-only",
             tq_type_name(obj), name);
    return -1;
}

/* Resolves a Python index against a length; -1 (raised) when out of
 * range. */
static long seq_index(tq_ctx_t *ctx, tq_value_t *obj, tq_value_t *key,
                      size_t len)
{
    if (key->kind != TQ_INT && key->kind != TQ_BOOL) {
        tq_raise(ctx, "TypeError", "%s indices must be integers or slices, "
                 "not %s", tq_type_name(obj), tq_type_name(key));
        return -1;
    }
    int64_t i = tq_as_int(key);
    if (i < 0)
        i += (int64_t)len;
    if (i < 0 || i >= (int64_t)len) {
        tq_raise(ctx, "IndexError", "%s index out of range",
                 obj->kind == TQ_STR ? "string" : tq_type_name(obj));
        return -1;
    }
    return (long)i;
}

/* Python's slice.indices(): fills start, stop, step; -1 on error. */
static int slice_indices(tq_ctx_t *ctx, tq_value_t *s, int64_t len,
                         int64_t *start, int64_t *stop, int64_t *step)
{
    tq_value_t *vs[3] = {s->u.slice.start, s->u.slice.stop, s->u.slice.step};
    for (int i = 0; i < 3; i++)
        if (vs[i]->kind != TQ_NONE && vs[i]->kind != TQ_INT &&
            vs[i]->kind != TQ_BOOL) {
            tq_raise(ctx, "TypeError", "slice indices must be integers or "
                     "None");
            return -1;
        }
    *step = vs[2]->kind == TQ_NONE ? 1 : tq_as_int(vs[2]);
    if (*step == 0) {
        tq_raise(ctx, "ValueError", "slice step cannot be zero");
        return -1;
    }
    int64_t lo = *step < 0 ? -1 : 0, hi = *step < 0 ? len - 1 : len;
    if (vs[0]->kind == TQ_NONE) {
        *start = *step < 0 ? hi : lo;
    } else {
        *start = tq_as_int(vs[0]);
        if (*start < 0) {
            *start += len;
            if (*start < lo)
                *start = lo;
        } else if (*start > hi) {
            *start = hi;
        }
    }
    if (vs[1]->kind == TQ_NONE) {
        *stop = *step < 0 ? lo : hi;
    } else {
        *stop = tq_as_int(vs[1]);
        if (*stop < 0) {
            *stop += len;
            if (*stop < lo)
                *stop = lo;
        } else if (*stop > hi) {
            *stop = hi;
        }
    }
    return 0;
}

tq_value_t *tq_getitem(tq_ctx_t *ctx, tq_value_t *obj, tq_value_t *key)
{
    switch (obj->kind) {
    case TQ_LIST: case TQ_TUPLE: case TQ_STR: {
        size_t len = obj->kind == TQ_STR ? obj->u.str.len : obj->u.seq.len;
        if (key->kind == TQ_SLICE) {
            int64_t start, stop, step;
            if (slice_indices(ctx, key, (int64_t)len, &start, &stop, &step) <
                0)
                return NULL;
            if (obj->kind == TQ_STR) {
                tq_buf_t b = {0};
                tq_buf_addn(&b, "", 0);
                for (int64_t i = start; step > 0 ? i < stop : i > stop;
                     i += step)
                    tq_buf_addc(&b, obj->u.str.s[i]);
                tq_value_t *v = tq_str_n(b.s, b.len);
                tq_buf_free(&b);
                return v;
            }
            tq_value_t *r = tq_list_new(0);
            for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
                tq_list_append(r, obj->u.seq.items[i]);
            if (obj->kind == TQ_TUPLE)
                r->kind = TQ_TUPLE;
            return r;
        }
        long i = seq_index(ctx, obj, key, len);
        if (i < 0)
            return NULL;
        if (obj->kind == TQ_STR)
            return tq_str_n(obj->u.str.s + i, 1);
        return tq_incref(obj->u.seq.items[i]);
    }
    case TQ_DICT: {
        if (!tq_hashable(ctx, key))
            return NULL;
        tq_value_t *v = tq_dict_get(obj, key);
        if (!v) {
            char *r = tq_repr(ctx, key);
            tq_raise(ctx, "KeyError", "key %s not found", r ? r : "?");
            free(r);
            return NULL;
        }
        return tq_incref(v);
    }
    case TQ_NATIVE:
        if (obj->u.native.type->getitem)
            return obj->u.native.type->getitem(ctx, obj, key);
        break;
    default:
        break;
    }
    return tq_raise(ctx, "TypeError", "'%s' object is not subscriptable",
                    tq_type_name(obj));
}

int tq_setitem(tq_ctx_t *ctx, tq_value_t *obj, tq_value_t *key,
               tq_value_t *value)
{
    switch (obj->kind) {
    case TQ_LIST: {
        if (key->kind == TQ_SLICE) {
            tq_raise(ctx, "TypeError", "slice assignment is not supported");
            return -1;
        }
        long i = seq_index(ctx, obj, key, obj->u.seq.len);
        if (i < 0)
            return -1;
        tq_incref(value);
        tq_decref(obj->u.seq.items[i]);
        obj->u.seq.items[i] = value;
        return 0;
    }
    case TQ_DICT:
        if (!tq_hashable(ctx, key))
            return -1;
        tq_dict_set(obj, key, value);
        return 0;
    case TQ_NATIVE:
        if (obj->u.native.type->setitem)
            return obj->u.native.type->setitem(ctx, obj, key, value);
        break;
    default:
        break;
    }
    tq_raise(ctx, "TypeError",
             "'%s' object does not support item assignment",
             tq_type_name(obj));
    return -1;
}

int tq_delitem(tq_ctx_t *ctx, tq_value_t *obj, tq_value_t *key)
{
    if (obj->kind == TQ_LIST) {
        long i = seq_index(ctx, obj, key, obj->u.seq.len);
        if (i < 0)
            return -1;
        tq_decref(tq_list_pop(obj, (size_t)i));
        return 0;
    }
    if (obj->kind == TQ_DICT) {
        if (!tq_hashable(ctx, key))
            return -1;
        if (!tq_dict_del(obj, key)) {
            char *r = tq_repr(ctx, key);
            tq_raise(ctx, "KeyError", "key %s not found", r ? r : "?");
            free(r);
            return -1;
        }
        return 0;
    }
    tq_raise(ctx, "TypeError", "'%s' object doesn't support item deletion",
             tq_type_name(obj));
    return -1;
}

tq_value_t *tq_call(tq_ctx_t *ctx, tq_value_t *fn, const tq_args_t *args)
{
    switch (fn->kind) {
    case TQ_BUILTIN:
        if (!fn->u.bi.fn)
            return tq_raise(ctx, "TypeError", "cannot create '%s' instances",
                            fn->u.bi.name);
        return fn->u.bi.fn(ctx, fn->u.bi.self, args);
    case TQ_FUNCTION:
        return tq_function_call(ctx, fn, args);
    case TQ_NATIVE:
        if (fn->u.native.type->call)
            return fn->u.native.type->call(ctx, fn, args);
        break;
    default:
        break;
    }
    return tq_raise(ctx, "TypeError", "'%s' object is not callable",
                    tq_type_name(fn));
}

tq_value_t *tq_call_pos(tq_ctx_t *ctx, tq_value_t *fn, size_t n,
                        tq_value_t **pos)
{
    tq_args_t args = {pos, n, NULL, NULL, 0};
    return tq_call(ctx, fn, &args);
}

tq_value_t *tq_iterate(tq_ctx_t *ctx, tq_value_t *v)
{
    switch (v->kind) {
    case TQ_LIST: case TQ_TUPLE: {
        tq_value_t *r = tq_list_new(v->u.seq.len);
        for (size_t i = 0; i < v->u.seq.len; i++)
            tq_list_append(r, v->u.seq.items[i]);
        return r;
    }
    case TQ_STR: {
        /* One value per character: a string longer than the item cap of
         * `*` would make gigabytes of them. */
        if (v->u.str.len > TQ_MAX_SEQ_ITEMS &&
            tq_utf8_count(v->u.str.s, v->u.str.len) > TQ_MAX_SEQ_ITEMS)
            return tq_raise(ctx, "MemoryError", "a string of more than %zu "
                            "characters is too long to iterate",
                            TQ_MAX_SEQ_ITEMS);
        tq_value_t *r = tq_list_new(v->u.str.len);
        for (size_t i = 0; i < v->u.str.len;) {
            uint32_t cp;
            size_t n = tq_utf8_decode(v->u.str.s + i, v->u.str.len - i, &cp);
            tq_value_t *c = tq_str_n(v->u.str.s + i, n);
            tq_list_append(r, c);
            tq_decref(c);
            i += n;
        }
        return r;
    }
    case TQ_DICT: {
        tq_value_t *r = tq_list_new(v->u.dict->len);
        for (size_t i = 0; i < v->u.dict->len; i++)
            tq_list_append(r, v->u.dict->entries[i].key);
        return r;
    }
    case TQ_NATIVE:
        if (v->u.native.type->iterate)
            return v->u.native.type->iterate(ctx, v);
        break;
    default:
        break;
    }
    return tq_raise(ctx, "TypeError", "'%s' object is not iterable",
                    tq_type_name(v));
}

int tq_display_bundle(tq_ctx_t *ctx, tq_value_t *v, tq_bundle_t *out)
{
    if (v->kind == TQ_NATIVE && v->u.native.type->display) {
        if (v->u.native.type->display(ctx, v, out) < 0)
            return -1;
    }
    if (!tq_bundle_find(out, "text/plain")) {
        char *r = tq_repr(ctx, v);
        if (!r)
            return -1;
        tq_bundle_add(out, "text/plain", r, strlen(r));
        free(r);
    }
    return 0;
}

/* ---- the database bridge (db.h) */

int tq_value_datum(tq_ctx_t *ctx, tq_value_t *v, tqdb_datum_t *out)
{
    switch (v->kind) {
    case TQ_NONE: *out = tqdb_datum_null(); return 0;
    case TQ_BOOL: *out = tqdb_datum_int(v->u.b); return 0;
    case TQ_INT: *out = tqdb_datum_int(v->u.i); return 0;
    case TQ_FLOAT: *out = tqdb_datum_float(v->u.f); return 0;
    case TQ_STR: *out = tqdb_datum_text(v->u.str.s, v->u.str.len); return 0;
    default:
        if (tq_dt_datum(v, out))
            return 0;
        tq_raise(ctx, "TypeError",
                 "cannot bind a value of type '%s' as an SQL parameter",
                 tq_type_name(v));
        return -1;
    }
}

int tq_bind(tq_ctx_t *ctx, tqdb_cursor_t *cur, int index, tq_value_t *v)
{
    tqdb_datum_t d;
    if (tq_value_datum(ctx, v, &d) < 0)
        return -1;
    if (tqdb_bind(cur, index, &d) < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

tq_value_t *tq_datum_value(const tqdb_datum_t *d)
{
    switch (d->type) {
    case TQDB_NULL: return tq_none();
    case TQDB_INT: return tq_int(d->i);
    case TQDB_FLOAT: return tq_float(d->f);
    case TQDB_TEXT:
    case TQDB_BLOB: return tq_str_n(d->s ? d->s : "", d->len);
    }
    assert(!"unknown datum type");
    return tq_none();
}

/* tq_datum_value_typed: see value.h. */
tq_value_t *tq_datum_value_typed(const tqdb_datum_t *d, const char *decltype)
{
    tq_temporal_t kind = tq_temporal_of_decltype(decltype);
    if (kind == TQ_TEMPORAL_DURATION &&
        (d->type == TQDB_INT || d->type == TQDB_FLOAT)) {
        double us = d->type == TQDB_INT ? (double)d->i * 1e6 : d->f * 1e6;
        if (fabs(us) < 9.2e18)
            return tq_timedelta_new((int64_t)nearbyint(us));
    }
    if (kind != TQ_TEMPORAL_NONE && d->type == TQDB_TEXT && d->s) {
        tq_value_t *v = tq_dt_parse_column(d->s, d->len, kind);
        if (v)
            return v;
    }
    return tq_datum_value(d);
}

tq_value_t *tq_cursor_value(tqdb_cursor_t *cur, int col)
{
    tqdb_datum_t d = tqdb_column(cur, col);
    return tq_datum_value_typed(&d, tqdb_column_decltype(cur, col));
}

