/*
 * This file implements Tabula's builtin functions (print, display, input,
 * len, range, sum, min, max, round, abs, str, int, float, bool, list, dict,
 * tuple, sorted, enumerate, zip, isinstance, type, repr, any, all, ...,
 * and IPython's dir, help and clear_output), the output streams as values
 * (stdout, stderr, sys.stdout, sys.stderr: print's file=),
 * the methods of str, list and dict, and Python's format-spec
 * mini-language for str.format and f-strings. Wording of errors follows
 * CPython's.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in interp.h.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/eval.h"
#include "vm/datetime.h"
#include "base/errors.h"

#define BUILTIN(name) \
    static tq_value_t *name(tq_ctx_t *ctx, tq_value_t *self, \
                            const tq_args_t *args)

/* ---- argument checks */

static bool check_args(tq_ctx_t *ctx, const tq_args_t *args, const char *name,
                       size_t min, size_t max, bool kw_ok)
{
    if (!kw_ok && args->nkw) {
        tq_raise(ctx, "TypeError", "%s() takes no keyword arguments", name);
        return false;
    }
    if (args->npos < min || args->npos > max) {
        if (min == max && min == 0)
            tq_raise(ctx, "TypeError", "%s() takes no arguments (%zu given)",
                     name, args->npos);
        else if (min == max && min == 1)
            tq_raise(ctx, "TypeError",
                     "%s() takes exactly one argument (%zu given)", name,
                     args->npos);
        else if (min == max)
            tq_raise(ctx, "TypeError",
                     "%s() takes exactly %zu arguments (%zu given)", name,
                     min, args->npos);
        else if (args->npos < min)
            tq_raise(ctx, "TypeError",
                     "%s() takes at least %zu argument%s (%zu given)", name,
                     min, min == 1 ? "" : "s", args->npos);
        else
            tq_raise(ctx, "TypeError",
                     "%s() takes at most %zu argument%s (%zu given)", name,
                     max, max == 1 ? "" : "s", args->npos);
        return false;
    }
    return true;
}

/* Rejects keyword arguments other than the listed ones. */
static bool check_kw(tq_ctx_t *ctx, const tq_args_t *args, const char *name,
                     const char *const *allowed)
{
    for (size_t i = 0; i < args->nkw; i++) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, args->kwnames[i]) == 0)
                ok = true;
        if (!ok) {
            tq_raise(ctx, "TypeError",
                     "%s() got an unexpected keyword argument '%s'", name,
                     args->kwnames[i]);
            return false;
        }
    }
    return true;
}

static bool is_int(const tq_value_t *v)
{
    return tq_kind(v) == TQ_INT || tq_kind(v) == TQ_BOOL;
}

static bool is_num(const tq_value_t *v)
{
    return is_int(v) || tq_kind(v) == TQ_FLOAT;
}

static bool want_int(tq_ctx_t *ctx, tq_value_t *v, int64_t *out)
{
    if (!is_int(v)) {
        tq_raise(ctx, "TypeError",
                 "'%s' object cannot be interpreted as an integer",
                 tq_type_name(v));
        return false;
    }
    *out = tq_as_int(v);
    return true;
}

static bool want_str(tq_ctx_t *ctx, tq_value_t *v, const char *what)
{
    if (tq_kind(v) != TQ_STR) {
        tq_raise(ctx, "TypeError", "%s must be str, not %s", what,
                 tq_type_name(v));
        return false;
    }
    return true;
}

/* True when a string of `bytes` bytes stays within TQ_MAX_STR_BYTES, the
 * cap that `*` and `+` apply; otherwise raises MemoryError (Python's
 * error when a result cannot be allocated) naming the method. */
static bool str_size_ok(tq_ctx_t *ctx, uint64_t bytes, const char *method)
{
    if (bytes <= TQ_MAX_STR_BYTES)
        return true;
    tq_raise(ctx, "MemoryError", "%s() result would be longer than %zu MiB",
             method, TQ_MAX_STR_BYTES >> 20);
    return false;
}

/* The same for a list or tuple of `items` items (TQ_MAX_SEQ_ITEMS). */
static bool seq_size_ok(tq_ctx_t *ctx, uint64_t items, const char *method)
{
    if (items <= TQ_MAX_SEQ_ITEMS)
        return true;
    tq_raise(ctx, "MemoryError", "%s() result would have more than %zu items",
             method, TQ_MAX_SEQ_ITEMS);
    return false;
}

/* ---- output */

/* ---- stdout, stderr and sys: the output streams as values, so that
 * print(..., file=stderr) and stderr.write(...) reach the sink's stderr */

static const char *const stream_names[] = {"stdout", "stderr"};

static char *stream_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    return tq_xasprintf("<OutStream name='%s'>",
                        (const char *)tq_native_data(self));
}

/* Writes `len` bytes of text to the sink's stream `name`. */
static void stream_send(tq_ctx_t *ctx, const char *name, const char *text,
                        size_t len)
{
    if (!strcmp(name, "stdout"))
        tq_ctx_print(ctx, text, len);
    else if (len && ctx->sink && ctx->sink->stream)
        ctx->sink->stream(ctx->sink->ctx, name, text, len);
}

static tq_value_t *stream_write(tq_ctx_t *ctx, tq_value_t *self,
                                const tq_args_t *args)
{
    if (args->npos != 1 || args->nkw)
        return tq_raise(ctx, "TypeError",
                        "write() takes exactly one argument (%zu given)",
                        args->npos + args->nkw);
    if (tq_kind(args->pos[0]) != TQ_STR)
        return tq_raise(ctx, "TypeError",
                        "write() argument must be str, not %s",
                        tq_type_name(args->pos[0]));
    stream_send(ctx, tq_native_data(self), tq_as_str(args->pos[0]),
                tq_str_len(args->pos[0]));
    return tq_int((int64_t)tq_utf8_count(tq_as_str(args->pos[0]),
                                         tq_str_len(args->pos[0])));
}

static tq_value_t *stream_flush(tq_ctx_t *ctx, tq_value_t *self,
                                const tq_args_t *args)
{
    (void)self;
    (void)args;
    (void)ctx;
    return tq_none();
}

static tq_value_t *stream_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                  const char *name);

static const tq_type_t stream_type = {
    .name = "OutStream",
    .repr = stream_repr,
    .getattr = stream_getattr,
};

static tq_value_t *stream_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                  const char *name)
{
    if (!strcmp(name, "write"))
        return tq_builtin_new("write", stream_write, self);
    if (!strcmp(name, "flush"))
        return tq_builtin_new("flush", stream_flush, self);
    if (!strcmp(name, "name"))
        return tq_str_take(tq_xasprintf("<%s>", (const char *)tq_native_data(self)));
    return tq_raise(ctx, "AttributeError",
                    "'OutStream' object has no attribute '%s'", name);
}

static char *sys_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    (void)self;
    return tq_xstrdup("<module 'sys' (built-in)>");
}

static tq_value_t *sys_getattr(tq_ctx_t *ctx, tq_value_t *self,
                               const char *name)
{
    (void)self;
    for (size_t i = 0; i < 2; i++)
        if (!strcmp(name, stream_names[i]))
            return tq_native_new(&stream_type, (void *)stream_names[i]);
    return tq_raise(ctx, "AttributeError",
                    "module 'sys' has no attribute '%s'", name);
}

static const tq_type_t sys_type = {
    .name = "module",
    .repr = sys_repr,
    .getattr = sys_getattr,
};

/* print's destination: None or absent is stdout, a stream value its
 * stream, anything else with a write method gets the text through it.
 * Returns 0, or -1 with an error raised. */
static int print_to(tq_ctx_t *ctx, tq_value_t *file, const char *text,
                    size_t len)
{
    if (!file || tq_kind(file) == TQ_NONE) {
        tq_ctx_print(ctx, text, len);
        return 0;
    }
    if (tq_is_native(file, &stream_type)) {
        stream_send(ctx, tq_native_data(file), text, len);
        return 0;
    }
    tq_value_t *write = tq_getattr(ctx, file, "write");
    if (!write)
        return -1;
    tq_value_t *arg = tq_str_n(text, len);
    tq_value_t *r = tq_call_pos(ctx, write, 1, &arg);
    tq_decref(arg);
    tq_decref(write);
    if (!r)
        return -1;
    tq_decref(r);
    return 0;
}

BUILTIN(bi_print)
{
    static const char *const kws[] = {"sep", "end", "flush", "file", NULL};
    for (size_t i = 0; i < args->nkw; i++) {
        bool known = false;
        for (const char *const *k = kws; *k; k++)
            known = known || strcmp(*k, args->kwnames[i]) == 0;
        if (!known)
            return tq_raise(ctx, "TypeError",
                            "'%s' is an invalid keyword argument for print()",
                            args->kwnames[i]);
    }
    tq_value_t *sepv = tq_args_kw(args, "sep"), *endv = tq_args_kw(args, "end");
    const char *sep = " ", *end = "\n";
    size_t sep_len = 1, end_len = 1;   /* NUL bytes in them are kept */
    if (sepv && tq_kind(sepv) != TQ_NONE) {
        if (tq_kind(sepv) != TQ_STR)
            return tq_raise(ctx, "TypeError",
                            "sep must be None or a string, not %s",
                            tq_type_name(sepv));
        sep = tq_as_str(sepv);
        sep_len = tq_str_len(sepv);
    }
    if (endv && tq_kind(endv) != TQ_NONE) {
        if (tq_kind(endv) != TQ_STR)
            return tq_raise(ctx, "TypeError",
                            "end must be None or a string, not %s",
                            tq_type_name(endv));
        end = tq_as_str(endv);
        end_len = tq_str_len(endv);
    }
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    for (size_t i = 0; i < args->npos; i++) {
        if (i)
            tq_buf_addn(&b, sep, sep_len);
        if (tq_kind(args->pos[i]) == TQ_STR) {
            tq_buf_addn(&b, tq_as_str(args->pos[i]), tq_str_len(args->pos[i]));
            continue;
        }
        /* str() as a str value: an exception's text keeps its NULs */
        tq_value_t *s = tq_str_of(ctx, args->pos[i]);
        if (!s) {
            tq_buf_free(&b);
            return NULL;
        }
        tq_buf_addn(&b, tq_as_str(s), tq_str_len(s));
        tq_decref(s);
    }
    tq_buf_addn(&b, end, end_len);
    int rc = print_to(ctx, tq_args_kw(args, "file"), b.s, b.len);
    tq_buf_free(&b);
    return rc < 0 ? NULL : tq_none();
}

BUILTIN(bi_display)
{
    for (size_t i = 0; i < args->npos; i++) {
        tq_bundle_t bundle = {0};
        if (tq_display_bundle(ctx, args->pos[i], &bundle) < 0) {
            tq_bundle_clear(&bundle);
            return NULL;
        }
        tq_ctx_display(ctx, &bundle, NULL, false);
        tq_bundle_clear(&bundle);
    }
    return tq_none();
}

BUILTIN(bi_input)
{
    if (!check_args(ctx, args, "input", 0, 1, false))
        return NULL;
    char *prompt = args->npos ? tq_to_str(ctx, args->pos[0]) : tq_xstrdup("");
    if (!prompt)
        return NULL;
    char *line = NULL;
    if (ctx->sink && ctx->sink->input)
        line = ctx->sink->input(ctx->sink->ctx, prompt, false);
    free(prompt);
    if (!line) {
        if (ctx->interrupt)
            return tq_raise(ctx, "KeyboardInterrupt", "Execution interrupted");
        return tq_raise(ctx, "ValueError",
                        "input() is not available: the front end does not "
                        "allow stdin");
    }
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n')
        line[--n] = 0;
    return tq_str_take(line);
}

/* ---- range: a lazy native */

typedef struct range {
    int64_t start, stop, step;
} range_t;

static int64_t range_len(const range_t *r)
{
    if (r->step > 0 && r->start < r->stop)
        return (int64_t)(((__int128)r->stop - r->start - 1) / r->step + 1);
    if (r->step < 0 && r->start > r->stop)
        return (int64_t)(((__int128)r->start - r->stop - 1) / -r->step + 1);
    return 0;
}

static char *range_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    range_t *r = tq_native_data(self);
    if (r->step == 1)
        return tq_xasprintf("range(%lld, %lld)", (long long)r->start,
                            (long long)r->stop);
    return tq_xasprintf("range(%lld, %lld, %lld)", (long long)r->start,
                        (long long)r->stop, (long long)r->step);
}

static int64_t range_length(tq_ctx_t *ctx, tq_value_t *self)
{
    return range_len(tq_native_data(self));
}

static tq_value_t *range_iterate(tq_ctx_t *ctx, tq_value_t *self)
{
    range_t *r = tq_native_data(self);
    int64_t n = range_len(r);
    if (n > 10000000)
        return tq_raise(ctx, "ValueError",
                        "range of %lld items is too large to make a list of",
                        (long long)n);
    tq_value_t *l = tq_list_new((size_t)n);
    for (int64_t i = 0; i < n; i++) {
        tq_value_t *v = tq_int(r->start + i * r->step);
        tq_list_append(l, v);
        tq_decref(v);
    }
    return l;
}

static tq_value_t *range_getitem(tq_ctx_t *ctx, tq_value_t *self,
                                 tq_value_t *key)
{
    range_t *r = tq_native_data(self);
    int64_t n = range_len(r), i;
    if (!is_int(key))
        return tq_raise(ctx, "TypeError",
                        "range indices must be integers, not %s",
                        tq_type_name(key));
    i = tq_as_int(key);
    if (i < 0)
        i += n;
    if (i < 0 || i >= n)
        return tq_raise(ctx, "IndexError", "range object index out of range");
    return tq_int(r->start + i * r->step);
}

static tq_value_t *range_binop(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *self,
                               tq_value_t *other, bool reflected)
{
    if ((op == TQ_OP_IN || op == TQ_OP_NOT_IN) && reflected && is_int(other)) {
        range_t *r = tq_native_data(self);
        int64_t x = tq_as_int(other);
        bool in = r->step > 0 ? (x >= r->start && x < r->stop)
                              : (x <= r->start && x > r->stop);
        in = in && (x - r->start) % r->step == 0;
        return tq_bool(op == TQ_OP_IN ? in : !in);
    }
    return NULL;
}

static const tq_type_t range_type = {
    .name = "range",
    .destroy = free,
    .repr = range_repr,
    .getitem = range_getitem,
    .binop = range_binop,
    .iterate = range_iterate,
    .length = range_length,
};

bool tq_range_get(const tq_value_t *v, int64_t *start, int64_t *step,
                  int64_t *count)
{
    if (!tq_is_native(v, &range_type))
        return false;
    const range_t *r = tq_native_data(v);
    *start = r->start;
    *step = r->step;
    *count = range_len(r);
    return true;
}

BUILTIN(bi_range)
{
    if (!check_args(ctx, args, "range", 1, 3, false))
        return NULL;
    int64_t v[3] = {0, 0, 1};
    for (size_t i = 0; i < args->npos; i++)
        if (!want_int(ctx, args->pos[i], &v[i]))
            return NULL;
    range_t *r = tq_xmalloc(sizeof *r);
    if (args->npos == 1) {
        r->start = 0;
        r->stop = v[0];
        r->step = 1;
    } else {
        r->start = v[0];
        r->stop = v[1];
        r->step = args->npos == 3 ? v[2] : 1;
    }
    if (r->step == 0) {
        free(r);
        return tq_raise(ctx, "ValueError", "range() arg 3 must not be zero");
    }
    return tq_native_new(&range_type, r);
}

/* ---- sizes and numbers */

BUILTIN(bi_len)
{
    if (!check_args(ctx, args, "len", 1, 1, false))
        return NULL;
    tq_value_t *v = args->pos[0];
    switch (tq_kind(v)) {
    case TQ_STR:
        return tq_int((int64_t)tq_utf8_count(tq_as_str(v), tq_str_len(v)));
    case TQ_LIST: case TQ_TUPLE:
        return tq_int((int64_t)tq_seq_len(v));
    case TQ_DICT:
        return tq_int((int64_t)tq_dict_len(v));
    case TQ_NATIVE: {
        const tq_type_t *t = tq_native_type(v);
        if (t->length) {
            int64_t n = t->length(ctx, v);
            return n < 0 ? NULL : tq_int(n);
        }
        if (t->iterate) {
            tq_value_t *items = t->iterate(ctx, v);
            if (!items)
                return NULL;
            int64_t n = (int64_t)tq_seq_len(items);
            tq_decref(items);
            return tq_int(n);
        }
        break;
    }
    default:
        break;
    }
    return tq_raise(ctx, "TypeError", "object of type '%s' has no len()",
                    tq_type_name(v));
}

BUILTIN(bi_sum)
{
    static const char *const kws[] = {"start", NULL};
    if (!check_kw(ctx, args, "sum", kws) ||
        !check_args(ctx, args, "sum", 1, 2, true))
        return NULL;
    tq_value_t *items = tq_iterate(ctx, args->pos[0]);
    if (!items)
        return NULL;
    tq_value_t *start = args->npos > 1 ? args->pos[1] : tq_args_kw(args, "start");
    tq_value_t *acc = start ? tq_incref(start) : tq_int(0);
    if (tq_kind(acc) == TQ_STR) {
        tq_decref(items);
        tq_decref(acc);
        return tq_raise(ctx, "TypeError",
                        "sum() can't sum strings [use ''.join(seq) instead]");
    }
    for (size_t i = 0; i < tq_seq_len(items); i++) {
        tq_value_t *r = tq_binary(ctx, TQ_OP_ADD, acc, tq_seq_get(items, i));
        tq_decref(acc);
        acc = r;
        if (!acc)
            break;
    }
    tq_decref(items);
    return acc;
}

/* Calls key(x) or returns x (new reference). */
static tq_value_t *apply_key(tq_ctx_t *ctx, tq_value_t *key, tq_value_t *x)
{
    if (!key || tq_kind(key) == TQ_NONE)
        return tq_incref(x);
    return tq_call_pos(ctx, key, 1, &x);
}

static tq_value_t *minmax(tq_ctx_t *ctx, const tq_args_t *args,
                          const char *name, int sign)
{
    static const char *const kws[] = {"key", "default", NULL};
    if (!check_kw(ctx, args, name, kws))
        return NULL;
    if (args->npos == 0)
        return tq_raise(ctx, "TypeError",
                        "%s expected at least 1 argument, got 0", name);
    tq_value_t *items;
    if (args->npos == 1) {
        items = tq_iterate(ctx, args->pos[0]);
        if (!items)
            return NULL;
    } else {
        items = tq_list_new(args->npos);
        for (size_t i = 0; i < args->npos; i++)
            tq_list_append(items, args->pos[i]);
    }
    tq_value_t *key = tq_args_kw(args, "key");
    size_t n = tq_seq_len(items);
    if (n == 0) {
        tq_decref(items);
        tq_value_t *d = tq_args_kw(args, "default");
        if (d)
            return tq_incref(d);
        return tq_raise(ctx, "ValueError", "%s() arg is an empty sequence",
                        name);
    }
    tq_value_t *best = tq_seq_get(items, 0);
    tq_value_t *bestk = apply_key(ctx, key, best);
    for (size_t i = 1; i < n && bestk; i++) {
        tq_value_t *x = tq_seq_get(items, i);
        tq_value_t *k = apply_key(ctx, key, x);
        if (!k) {
            tq_decref(bestk);
            bestk = NULL;
            break;
        }
        int c = tq_compare(ctx, k, bestk);
        if (c == -2) {
            tq_decref(k);
            tq_decref(bestk);
            bestk = NULL;
            break;
        }
        if (c * sign > 0) {
            tq_decref(bestk);
            bestk = k;
            best = x;
        } else {
            tq_decref(k);
        }
    }
    tq_value_t *r = bestk ? tq_incref(best) : NULL;
    tq_decref(bestk);
    tq_decref(items);
    return r;
}

BUILTIN(bi_min) { return minmax(ctx, args, "min", -1); }
BUILTIN(bi_max) { return minmax(ctx, args, "max", 1); }

BUILTIN(bi_abs)
{
    if (!check_args(ctx, args, "abs", 1, 1, false))
        return NULL;
    tq_value_t *v = args->pos[0];
    if (tq_kind(v) == TQ_FLOAT)
        return tq_float(fabs(tq_as_float(v)));
    if (is_int(v)) {
        int64_t i = tq_as_int(v);
        if (i == INT64_MIN)
            return tq_raise(ctx, "OverflowError",
                            "integer overflow: Tabula ints are 64-bit");
        return tq_int(i < 0 ? -i : i);
    }
    return tq_raise(ctx, "TypeError", "bad operand type for abs(): '%s'",
                    tq_type_name(v));
}

BUILTIN(bi_round)
{
    static const char *const kws[] = {"ndigits", NULL};
    if (!check_kw(ctx, args, "round", kws) ||
        !check_args(ctx, args, "round", 1, 2, true))
        return NULL;
    tq_value_t *v = args->pos[0];
    tq_value_t *nd = args->npos > 1 ? args->pos[1] : tq_args_kw(args, "ndigits");
    if (!is_num(v))
        return tq_raise(ctx, "TypeError",
                        "type %s doesn't define __round__ method",
                        tq_type_name(v));
    if (!nd || tq_kind(nd) == TQ_NONE) {
        if (is_int(v))
            return tq_int(tq_as_int(v));
        double d = tq_as_float(v);
        if (isnan(d))
            return tq_raise(ctx, "ValueError",
                            "cannot convert float NaN to integer");
        if (isinf(d) || fabs(d) >= 9.2e18)
            return tq_raise(ctx, "OverflowError",
                            "cannot convert float infinity to integer");
        return tq_int((int64_t)nearbyint(d));
    }
    int64_t n;
    if (!want_int(ctx, nd, &n))
        return NULL;
    if (is_int(v)) {
        int64_t i = tq_as_int(v);
        if (n >= 0)
            return tq_int(i);
        if (n < -18)
            return tq_int(0);
        int64_t p = 1;
        for (int64_t k = 0; k < -n; k++)
            p *= 10;
        double q = (double)i / (double)p;
        return tq_int((int64_t)nearbyint(q) * p);
    }
    double d = tq_as_float(v);
    if (isnan(d) || isinf(d))
        return tq_float(d);
    if (n > 300)
        return tq_float(d);
    if (n < -308)
        return tq_float(d * 0.0);   /* 10**-n is past the float range */
    if (n >= 0) {
        char buf[512];
        snprintf(buf, sizeof buf, "%.*f", (int)n, d);
        return tq_float(strtod(buf, NULL));
    }
    double p = pow(10.0, (double)-n);
    return tq_float(nearbyint(d / p) * p);
}

/* ---- conversions (the type names are callable classes) */

BUILTIN(bi_str)
{
    if (!check_args(ctx, args, "str", 0, 1, false))
        return NULL;
    if (args->npos == 0)
        return tq_str("");
    return tq_str_of(ctx, args->pos[0]);
}

static tq_value_t *parse_int(tq_ctx_t *ctx, tq_value_t *sv, int base)
{
    const char *s = tq_as_str(sv);
    size_t n = tq_str_len(sv);
    while (n && isspace((unsigned char)*s))
        s++, n--;
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char buf[80];
    size_t k = 0;
    bool ok = n > 0 && n < sizeof buf;
    for (size_t i = 0; ok && i < n; i++) {
        if (s[i] == '_' && i > 0 && i + 1 < n && s[i - 1] != '_')
            continue;
        buf[k++] = s[i];
    }
    buf[k] = 0;
    if (ok) {
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, base);
        if (*end == 0 && k > 0 && !isspace((unsigned char)buf[0]) &&
            errno != ERANGE && end != buf)
            return tq_int(v);
        if (errno == ERANGE && *end == 0)
            return tq_raise(ctx, "OverflowError",
                            "integer overflow: Tabula ints are 64-bit");
    }
    char *r = tq_repr(ctx, sv);
    tq_raise(ctx, "ValueError", "invalid literal for int() with base %d: %s",
             base, r);
    free(r);
    return NULL;
}

BUILTIN(bi_int)
{
    static const char *const kws[] = {"base", NULL};
    if (!check_kw(ctx, args, "int", kws) ||
        !check_args(ctx, args, "int", 0, 2, true))
        return NULL;
    if (args->npos == 0)
        return tq_int(0);
    tq_value_t *v = args->pos[0];
    tq_value_t *bv = args->npos > 1 ? args->pos[1] : tq_args_kw(args, "base");
    int64_t base = 10;
    if (bv && !want_int(ctx, bv, &base))
        return NULL;
    if (bv && tq_kind(v) != TQ_STR)
        return tq_raise(ctx, "TypeError",
                        "int() can't convert non-string with explicit base");
    switch (tq_kind(v)) {
    case TQ_INT: case TQ_BOOL:
        return tq_int(tq_as_int(v));
    case TQ_FLOAT: {
        double d = tq_as_float(v);
        if (isnan(d))
            return tq_raise(ctx, "ValueError",
                            "cannot convert float NaN to integer");
        if (isinf(d))
            return tq_raise(ctx, "OverflowError",
                            "cannot convert float infinity to integer");
        if (fabs(d) >= 9.2233720368547758e18)
            return tq_raise(ctx, "OverflowError",
                            "integer overflow: Tabula ints are 64-bit");
        return tq_int((int64_t)trunc(d));
    }
    case TQ_STR:
        if (base != 0 && (base < 2 || base > 36))
            return tq_raise(ctx, "ValueError",
                            "int() base must be >= 2 and <= 36, or 0");
        return parse_int(ctx, v, (int)base);
    default:
        return tq_raise(ctx, "TypeError",
                        "int() argument must be a string, a bytes-like object "
                        "or a real number, not '%s'", tq_type_name(v));
    }
}

BUILTIN(bi_float)
{
    if (!check_args(ctx, args, "float", 0, 1, false))
        return NULL;
    if (args->npos == 0)
        return tq_float(0);
    tq_value_t *v = args->pos[0];
    if (is_num(v))
        return tq_float(tq_as_float(v));
    if (tq_kind(v) == TQ_STR) {
        const char *s = tq_as_str(v);
        while (isspace((unsigned char)*s))
            s++;
        char buf[128];
        size_t k = 0;
        for (; *s && k < sizeof buf - 1; s++)
            if (*s != '_')
                buf[k++] = *s;
        while (k && isspace((unsigned char)buf[k - 1]))
            k--;
        buf[k] = 0;
        char *end;
        double d = strtod(buf, &end);
        bool hex = strchr(buf, 'x') || strchr(buf, 'X');
        if (k && *end == 0 && !hex)
            return tq_float(d);
        char *r = tq_repr(ctx, v);
        tq_raise(ctx, "ValueError", "could not convert string to float: %s",
                 r);
        free(r);
        return NULL;
    }
    return tq_raise(ctx, "TypeError",
                    "float() argument must be a string or a real number, not "
                    "'%s'", tq_type_name(v));
}

BUILTIN(bi_bool)
{
    if (!check_args(ctx, args, "bool", 0, 1, false))
        return NULL;
    if (args->npos == 0)
        return tq_bool(false);
    int t = tq_truth(ctx, args->pos[0]);
    return t < 0 ? NULL : tq_bool(t);
}

BUILTIN(bi_list)
{
    if (!check_args(ctx, args, "list", 0, 1, false))
        return NULL;
    if (args->npos == 0)
        return tq_list_new(0);
    return tq_iterate(ctx, args->pos[0]);
}

BUILTIN(bi_tuple)
{
    if (!check_args(ctx, args, "tuple", 0, 1, false))
        return NULL;
    if (args->npos == 0)
        return tq_tuple_new(0);
    if (tq_kind(args->pos[0]) == TQ_TUPLE)
        return tq_incref(args->pos[0]);
    tq_value_t *l = tq_iterate(ctx, args->pos[0]);
    if (!l)
        return NULL;
    size_t n = tq_seq_len(l);
    tq_value_t *t = tq_tuple_new(n);
    for (size_t i = 0; i < n; i++)
        tq_tuple_set(t, i, tq_incref(tq_seq_get(l, i)));
    tq_decref(l);
    return t;
}

/* Fills dict `d` from a mapping or an iterable of pairs. */
static int dict_update_from(tq_ctx_t *ctx, tq_value_t *d, tq_value_t *src)
{
    if (tq_kind(src) == TQ_DICT) {
        for (size_t i = 0; i < tq_dict_len(src); i++)
            tq_dict_set(d, tq_dict_key_at(src, i), tq_dict_value_at(src, i));
        return 0;
    }
    tq_value_t *items = tq_iterate(ctx, src);
    if (!items)
        return -1;
    for (size_t i = 0; i < tq_seq_len(items); i++) {
        tq_value_t *pair = tq_iterate(ctx, tq_seq_get(items, i));
        if (!pair) {
            tq_decref(items);
            return -1;
        }
        if (tq_seq_len(pair) != 2) {
            tq_raise(ctx, "ValueError",
                     "dictionary update sequence element #%zu has length "
                     "%zu; 2 is required", i, tq_seq_len(pair));
            tq_decref(pair);
            tq_decref(items);
            return -1;
        }
        if (!tq_hashable(ctx, tq_seq_get(pair, 0))) {
            tq_decref(pair);
            tq_decref(items);
            return -1;
        }
        tq_dict_set(d, tq_seq_get(pair, 0), tq_seq_get(pair, 1));
        tq_decref(pair);
    }
    tq_decref(items);
    return 0;
}

BUILTIN(bi_dict)
{
    if (!check_args(ctx, args, "dict", 0, 1, true))
        return NULL;
    tq_value_t *d = tq_dict_new();
    if (args->npos && dict_update_from(ctx, d, args->pos[0]) < 0) {
        tq_decref(d);
        return NULL;
    }
    for (size_t i = 0; i < args->nkw; i++)
        tq_dict_set_str(d, args->kwnames[i], args->kwvalues[i]);
    return d;
}

/* Stable merge sort of items by keys; -1 on a comparison error. */
static int merge_sort(tq_ctx_t *ctx, tq_value_t **items, tq_value_t **keys,
                      size_t n, bool reverse, tq_value_t **ti,
                      tq_value_t **tk)
{
    if (n < 2)
        return 0;
    size_t h = n / 2;
    if (merge_sort(ctx, items, keys, h, reverse, ti, tk) < 0 ||
        merge_sort(ctx, items + h, keys + h, n - h, reverse, ti, tk) < 0)
        return -1;
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        int c = tq_compare(ctx, keys[j], keys[i]);
        if (c == -2)
            return -1;
        bool take_right = reverse ? c > 0 : c < 0;
        if (take_right) {
            ti[k] = items[j];
            tk[k++] = keys[j++];
        } else {
            ti[k] = items[i];
            tk[k++] = keys[i++];
        }
    }
    while (i < h) {
        ti[k] = items[i];
        tk[k++] = keys[i++];
    }
    while (j < n) {
        ti[k] = items[j];
        tk[k++] = keys[j++];
    }
    memcpy(items, ti, n * sizeof *items);
    memcpy(keys, tk, n * sizeof *keys);
    return 0;
}

/* Sorts a list in place with Python's key= and reverse=. */
static int sort_list(tq_ctx_t *ctx, tq_value_t *list, tq_value_t *key,
                     tq_value_t *reverse)
{
    size_t n = tq_seq_len(list);
    int rev = reverse ? tq_truth(ctx, reverse) : 0;
    if (rev < 0)
        return -1;
    tq_value_t **items = tq_xmalloc((n ? n : 1) * sizeof *items);
    tq_value_t **keys = tq_xcalloc(n ? n : 1, sizeof *keys);
    tq_value_t **ti = tq_xmalloc((n ? n : 1) * sizeof *ti);
    tq_value_t **tk = tq_xmalloc((n ? n : 1) * sizeof *tk);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        items[i] = tq_seq_get(list, i);
        keys[i] = apply_key(ctx, key, items[i]);
        if (!keys[i]) {
            rc = -1;
            break;
        }
    }
    if (rc == 0)
        rc = merge_sort(ctx, items, keys, n, rev, ti, tk);
    if (rc == 0)
        for (size_t i = 0; i < n; i++)
            list->u.seq.items[i] = items[i];
    for (size_t i = 0; i < n; i++)
        tq_decref(keys[i]);
    free(items);
    free(keys);
    free(ti);
    free(tk);
    return rc;
}

BUILTIN(bi_sorted)
{
    static const char *const kws[] = {"key", "reverse", NULL};
    if (!check_kw(ctx, args, "sorted", kws) ||
        !check_args(ctx, args, "sorted", 1, 1, true))
        return NULL;
    tq_value_t *l = tq_iterate(ctx, args->pos[0]);
    if (!l)
        return NULL;
    if (sort_list(ctx, l, tq_args_kw(args, "key"),
                  tq_args_kw(args, "reverse")) < 0) {
        tq_decref(l);
        return NULL;
    }
    return l;
}

BUILTIN(bi_reversed)
{
    if (!check_args(ctx, args, "reversed", 1, 1, false))
        return NULL;
    tq_value_t *l = tq_iterate(ctx, args->pos[0]);
    if (!l)
        return NULL;
    size_t n = tq_seq_len(l);
    for (size_t i = 0; i < n / 2; i++) {
        tq_value_t *t = l->u.seq.items[i];
        l->u.seq.items[i] = l->u.seq.items[n - 1 - i];
        l->u.seq.items[n - 1 - i] = t;
    }
    return l;
}

static tq_value_t *pair(tq_value_t *a, tq_value_t *b)
{
    tq_value_t *t = tq_tuple_new(2);
    tq_tuple_set(t, 0, a);
    tq_tuple_set(t, 1, b);
    return t;
}

BUILTIN(bi_enumerate)
{
    static const char *const kws[] = {"start", NULL};
    if (!check_kw(ctx, args, "enumerate", kws) ||
        !check_args(ctx, args, "enumerate", 1, 2, true))
        return NULL;
    int64_t start = 0;
    tq_value_t *sv = args->npos > 1 ? args->pos[1] : tq_args_kw(args, "start");
    if (sv && !want_int(ctx, sv, &start))
        return NULL;
    tq_value_t *items = tq_iterate(ctx, args->pos[0]);
    if (!items)
        return NULL;
    size_t n = tq_seq_len(items);
    tq_value_t *out = tq_list_new(n);
    for (size_t i = 0; i < n; i++) {
        tq_value_t *p = pair(tq_int(start + (int64_t)i),
                             tq_incref(tq_seq_get(items, i)));
        tq_list_append(out, p);
        tq_decref(p);
    }
    tq_decref(items);
    return out;
}

BUILTIN(bi_zip)
{
    if (!check_args(ctx, args, "zip", 0, 64, false))
        return NULL;
    size_t k = args->npos, n = SIZE_MAX;
    tq_value_t *lists[64];
    for (size_t i = 0; i < k; i++) {
        lists[i] = tq_iterate(ctx, args->pos[i]);
        if (!lists[i]) {
            for (size_t j = 0; j < i; j++)
                tq_decref(lists[j]);
            return NULL;
        }
        if (tq_seq_len(lists[i]) < n)
            n = tq_seq_len(lists[i]);
    }
    if (k == 0)
        n = 0;
    tq_value_t *out = tq_list_new(n);
    for (size_t r = 0; r < n; r++) {
        tq_value_t *t = tq_tuple_new(k);
        for (size_t i = 0; i < k; i++)
            tq_tuple_set(t, i, tq_incref(tq_seq_get(lists[i], r)));
        tq_list_append(out, t);
        tq_decref(t);
    }
    for (size_t i = 0; i < k; i++)
        tq_decref(lists[i]);
    return out;
}

BUILTIN(bi_map)
{
    if (!check_args(ctx, args, "map", 2, 2, false))
        return NULL;
    tq_value_t *items = tq_iterate(ctx, args->pos[1]);
    if (!items)
        return NULL;
    tq_value_t *out = tq_list_new(tq_seq_len(items));
    for (size_t i = 0; i < tq_seq_len(items); i++) {
        tq_value_t *x = tq_seq_get(items, i);
        tq_value_t *r = tq_call_pos(ctx, args->pos[0], 1, &x);
        if (!r) {
            tq_decref(out);
            out = NULL;
            break;
        }
        tq_list_append(out, r);
        tq_decref(r);
    }
    tq_decref(items);
    return out;
}

BUILTIN(bi_filter)
{
    if (!check_args(ctx, args, "filter", 2, 2, false))
        return NULL;
    tq_value_t *items = tq_iterate(ctx, args->pos[1]);
    if (!items)
        return NULL;
    tq_value_t *out = tq_list_new(0);
    for (size_t i = 0; i < tq_seq_len(items); i++) {
        tq_value_t *x = tq_seq_get(items, i);
        tq_value_t *r = tq_kind(args->pos[0]) == TQ_NONE
                            ? tq_incref(x)
                            : tq_call_pos(ctx, args->pos[0], 1, &x);
        int t = r ? tq_truth(ctx, r) : -1;
        tq_decref(r);
        if (t < 0) {
            tq_decref(out);
            out = NULL;
            break;
        }
        if (t)
            tq_list_append(out, x);
    }
    tq_decref(items);
    return out;
}

static tq_value_t *any_all(tq_ctx_t *ctx, const tq_args_t *args, bool all)
{
    if (!check_args(ctx, args, all ? "all" : "any", 1, 1, false))
        return NULL;
    tq_value_t *items = tq_iterate(ctx, args->pos[0]);
    if (!items)
        return NULL;
    bool result = all;
    for (size_t i = 0; i < tq_seq_len(items); i++) {
        int t = tq_truth(ctx, tq_seq_get(items, i));
        if (t < 0) {
            tq_decref(items);
            return NULL;
        }
        if (all && !t) {
            result = false;
            break;
        }
        if (!all && t) {
            result = true;
            break;
        }
    }
    tq_decref(items);
    return tq_bool(result);
}

BUILTIN(bi_divmod)
{
    if (!check_args(ctx, args, "divmod", 2, 2, false))
        return NULL;
    tq_value_t *q = tq_binary(ctx, TQ_OP_FLOORDIV, args->pos[0], args->pos[1]);
    if (!q)
        return NULL;
    tq_value_t *r = tq_binary(ctx, TQ_OP_MOD, args->pos[0], args->pos[1]);
    if (!r) {
        tq_decref(q);
        return NULL;
    }
    return pair(q, r);
}

BUILTIN(bi_pow)
{
    if (!check_args(ctx, args, "pow", 2, 2, false))
        return NULL;
    return tq_binary(ctx, TQ_OP_POW, args->pos[0], args->pos[1]);
}

BUILTIN(bi_chr)
{
    if (!check_args(ctx, args, "chr", 1, 1, false))
        return NULL;
    int64_t cp;
    if (!want_int(ctx, args->pos[0], &cp))
        return NULL;
    if (cp < 0 || cp > 0x10FFFF)
        return tq_raise(ctx, "ValueError", "chr() arg not in range(0x110000)");
    char buf[5] = {0};
    if (cp < 0x80) {
        buf[0] = (char)cp;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
    } else {
        buf[0] = (char)(0xF0 | (cp >> 18));
        buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[3] = (char)(0x80 | (cp & 0x3F));
    }
    return tq_str_n(buf, cp ? strlen(buf) : 1);
}

BUILTIN(bi_ord)
{
    if (!check_args(ctx, args, "ord", 1, 1, false))
        return NULL;
    tq_value_t *v = args->pos[0];
    if (tq_kind(v) != TQ_STR)
        return tq_raise(ctx, "TypeError",
                        "ord() expected string of length 1, but %s found",
                        tq_type_name(v));
    size_t n = tq_utf8_count(tq_as_str(v), tq_str_len(v));
    if (n != 1)
        return tq_raise(ctx, "TypeError",
                        "ord() expected a character, but string of length "
                        "%zu found", n);
    uint32_t cp;
    tq_utf8_decode(tq_as_str(v), tq_str_len(v), &cp);
    return tq_int(cp);
}

static tq_value_t *int_base(tq_ctx_t *ctx, const tq_args_t *args,
                            const char *name, const char *spec)
{
    if (!check_args(ctx, args, name, 1, 1, false))
        return NULL;
    if (!is_int(args->pos[0]))
        return tq_raise(ctx, "TypeError",
                        "'%s' object cannot be interpreted as an integer",
                        tq_type_name(args->pos[0]));
    char *s = tq_format_value(ctx, args->pos[0], spec);
    return s ? tq_str_take(s) : NULL;
}

BUILTIN(bi_hex) { return int_base(ctx, args, "hex", "#x"); }
BUILTIN(bi_oct) { return int_base(ctx, args, "oct", "#o"); }
BUILTIN(bi_bin) { return int_base(ctx, args, "bin", "#b"); }

BUILTIN(bi_any) { return any_all(ctx, args, false); }
BUILTIN(bi_all) { return any_all(ctx, args, true); }

BUILTIN(bi_repr)
{
    if (!check_args(ctx, args, "repr", 1, 1, false))
        return NULL;
    char *s = tq_repr(ctx, args->pos[0]);
    return s ? tq_str_take(s) : NULL;
}

BUILTIN(bi_type)
{
    if (!check_args(ctx, args, "type", 1, 1, false))
        return NULL;
    const char *name = tq_type_name(args->pos[0]);
    tq_value_t *cls = tq_map_get(&ctx->builtins, name);
    if (cls && tq_kind(cls) == TQ_BUILTIN && cls->u.bi.is_class)
        return tq_incref(cls);
    return tq_class_builtin_new(name, NULL);
}

/* Whether `v` is an instance of the class value `cls`. */
static int instance_of(tq_ctx_t *ctx, tq_value_t *v, tq_value_t *cls)
{
    if (tq_kind(cls) == TQ_TUPLE) {
        for (size_t i = 0; i < tq_seq_len(cls); i++) {
            int r = instance_of(ctx, v, tq_seq_get(cls, i));
            if (r)
                return r;
        }
        return 0;
    }
    if (tq_kind(cls) != TQ_BUILTIN || !cls->u.bi.is_class) {
        if (tq_kind(cls) == TQ_NATIVE)
            return strcmp(tq_type_name(v), tq_type_name(cls)) == 0;
        tq_raise(ctx, "TypeError",
                 "isinstance() arg 2 must be a type or tuple of types");
        return -1;
    }
    const char *name = cls->u.bi.name;
    const char *ename = tq_exception_name(v);
    if (ename && tq_error_known(name))
        return tq_error_is_a(ename, name);
    const char *vt = tq_type_name(v);
    if (strcmp(name, vt) == 0)
        return 1;
    if (strcmp(name, "int") == 0 && tq_kind(v) == TQ_BOOL)
        return 1;
    if (strcmp(name, "object") == 0)
        return 1;
    return 0;
}

BUILTIN(bi_isinstance)
{
    if (!check_args(ctx, args, "isinstance", 2, 2, false))
        return NULL;
    int r = instance_of(ctx, args->pos[0], args->pos[1]);
    return r < 0 ? NULL : tq_bool(r);
}

BUILTIN(bi_callable)
{
    if (!check_args(ctx, args, "callable", 1, 1, false))
        return NULL;
    tq_value_t *v = args->pos[0];
    bool c = tq_kind(v) == TQ_FUNCTION || tq_kind(v) == TQ_BUILTIN ||
             (tq_kind(v) == TQ_NATIVE && tq_native_type(v)->call);
    return tq_bool(c);
}

BUILTIN(bi_hasattr)
{
    if (!check_args(ctx, args, "hasattr", 2, 2, false))
        return NULL;
    if (!want_str(ctx, args->pos[1], "attribute name"))
        return NULL;
    tq_value_t *v = tq_getattr(ctx, args->pos[0], tq_as_str(args->pos[1]));
    if (v) {
        tq_decref(v);
        return tq_bool(true);
    }
    const char *en = tq_error_name(ctx);
    if (en && tq_error_is_a(en, "AttributeError")) {
        tq_error_clear(ctx);
        return tq_bool(false);
    }
    return NULL;
}

/* The exception classes of base/errors.h's catalogue, usable with
 * `raise`: ValueError('...'), any number of positional arguments, kept as
 * e.args. `self` is the class's name, a str. */
BUILTIN(bi_exception)
{
    assert(self && tq_kind(self) == TQ_STR &&
           tq_error_known(tq_as_str(self)));
    if (args->nkw)
        return tq_raise(ctx, "TypeError",
                        "%s() takes no keyword arguments", tq_as_str(self));
    tq_value_t *t = tq_tuple_new(args->npos);
    for (size_t i = 0; i < args->npos; i++)
        tq_tuple_set(t, i, tq_incref(args->pos[i]));
    tq_value_t *e = tq_exception_new(tq_as_str(self), t);
    tq_decref(t);
    return e;
}

/* ---- str methods */

#define METHOD(name) BUILTIN(name)

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static tq_value_t *case_map(tq_value_t *self, int mode)
{
    const char *s = tq_as_str(self);
    size_t n = tq_str_len(self);
    char *out = tq_xmalloc(n + 1);
    bool word_start = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (mode == 0)
            c = (char)toupper((unsigned char)c);
        else if (mode == 1)
            c = (char)tolower((unsigned char)c);
        else if (mode == 2) {
            c = word_start ? (char)toupper((unsigned char)c)
                           : (char)tolower((unsigned char)c);
            word_start = !isalpha((unsigned char)c);
        } else if (mode == 3) {
            c = i == 0 ? (char)toupper((unsigned char)c)
                       : (char)tolower((unsigned char)c);
        } else if (mode == 4) {
            c = isupper((unsigned char)c) ? (char)tolower((unsigned char)c)
                                          : (char)toupper((unsigned char)c);
        }
        out[i] = c;
    }
    out[n] = 0;
    tq_value_t *v = tq_str_n(out, n);
    free(out);
    return v;
}

METHOD(m_upper) { return check_args(ctx, args, "str.upper", 0, 0, false) ? case_map(self, 0) : NULL; }
METHOD(m_lower) { return check_args(ctx, args, "str.lower", 0, 0, false) ? case_map(self, 1) : NULL; }
METHOD(m_title) { return check_args(ctx, args, "str.title", 0, 0, false) ? case_map(self, 2) : NULL; }
METHOD(m_capitalize) { return check_args(ctx, args, "str.capitalize", 0, 0, false) ? case_map(self, 3) : NULL; }
METHOD(m_swapcase) { return check_args(ctx, args, "str.swapcase", 0, 0, false) ? case_map(self, 4) : NULL; }

static tq_value_t *strip_impl(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *args, const char *name,
                              bool left, bool right)
{
    if (!check_args(ctx, args, name, 0, 1, false))
        return NULL;
    const char *chars = NULL;
    if (args->npos && tq_kind(args->pos[0]) != TQ_NONE) {
        if (!want_str(ctx, args->pos[0], "strip arg"))
            return NULL;
        chars = tq_as_str(args->pos[0]);
    }
    const char *s = tq_as_str(self);
    size_t a = 0, b = tq_str_len(self);
    while (left && a < b && (chars ? strchr(chars, s[a]) != NULL
                                   : is_space(s[a])))
        a++;
    while (right && b > a && (chars ? strchr(chars, s[b - 1]) != NULL
                                    : is_space(s[b - 1])))
        b--;
    return tq_str_n(s + a, b - a);
}

METHOD(m_strip) { return strip_impl(ctx, self, args, "strip", true, true); }
METHOD(m_lstrip) { return strip_impl(ctx, self, args, "lstrip", true, false); }
METHOD(m_rstrip) { return strip_impl(ctx, self, args, "rstrip", false, true); }

static void append_str(tq_value_t *list, const char *s, size_t n)
{
    tq_value_t *v = tq_str_n(s, n);
    tq_list_append(list, v);
    tq_decref(v);
}

/* True (with MemoryError raised and *out released) once a split has
 * made TQ_MAX_SEQ_ITEMS pieces. */
static bool split_full(tq_ctx_t *ctx, tq_value_t **out)
{
    if (tq_seq_len(*out) < TQ_MAX_SEQ_ITEMS)
        return false;
    seq_size_ok(ctx, (uint64_t)TQ_MAX_SEQ_ITEMS + 1, "split");
    tq_decref(*out);
    *out = NULL;
    return true;
}

METHOD(m_split)
{
    static const char *const kws[] = {"sep", "maxsplit", NULL};
    if (!check_kw(ctx, args, "split", kws) ||
        !check_args(ctx, args, "split", 0, 2, true))
        return NULL;
    tq_value_t *sepv = args->npos > 0 ? args->pos[0] : tq_args_kw(args, "sep");
    tq_value_t *maxv = args->npos > 1 ? args->pos[1]
                                      : tq_args_kw(args, "maxsplit");
    int64_t maxsplit = -1;
    if (maxv && !want_int(ctx, maxv, &maxsplit))
        return NULL;
    const char *s = tq_as_str(self);
    size_t n = tq_str_len(self);
    tq_value_t *out = tq_list_new(0);
    if (!sepv || tq_kind(sepv) == TQ_NONE) {
        size_t i = 0;
        int64_t splits = 0;
        while (i < n) {
            while (i < n && is_space(s[i]))
                i++;
            if (i >= n)
                break;
            if (maxsplit >= 0 && splits >= maxsplit) {
                size_t e = n;
                while (e > i && is_space(s[e - 1]))
                    e--;
                append_str(out, s + i, e - i);
                break;
            }
            size_t st = i;
            while (i < n && !is_space(s[i]))
                i++;
            append_str(out, s + st, i - st);
            splits++;
            if (split_full(ctx, &out))
                return NULL;
        }
        return out;
    }
    if (!want_str(ctx, sepv, "sep")) {
        tq_decref(out);
        return NULL;
    }
    const char *sep = tq_as_str(sepv);
    size_t sl = tq_str_len(sepv);
    if (sl == 0) {
        tq_decref(out);
        return tq_raise(ctx, "ValueError", "empty separator");
    }
    size_t st = 0;
    int64_t splits = 0;
    for (size_t i = 0; i + sl <= n;) {
        if ((maxsplit < 0 || splits < maxsplit) &&
            memcmp(s + i, sep, sl) == 0) {
            append_str(out, s + st, i - st);
            i += sl;
            st = i;
            splits++;
            if (split_full(ctx, &out))
                return NULL;
        } else {
            i++;
        }
    }
    append_str(out, s + st, n - st);
    return out;
}

METHOD(m_splitlines)
{
    if (!check_args(ctx, args, "splitlines", 0, 0, false))
        return NULL;
    const char *s = tq_as_str(self);
    size_t n = tq_str_len(self), st = 0;
    tq_value_t *out = tq_list_new(0);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || s[i] == '\r') {
            append_str(out, s + st, i - st);
            if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
                i++;
            st = i + 1;
        }
    }
    if (st < n)
        append_str(out, s + st, n - st);
    return out;
}

METHOD(m_join)
{
    if (!check_args(ctx, args, "join", 1, 1, false))
        return NULL;
    tq_value_t *items = tq_iterate(ctx, args->pos[0]);
    if (!items)
        return NULL;
    uint64_t total = 0;
    for (size_t i = 0; i < tq_seq_len(items) && total <= TQ_MAX_STR_BYTES;
         i++) {
        tq_value_t *x = tq_seq_get(items, i);
        if (tq_kind(x) != TQ_STR)
            break;   /* the loop below raises the TypeError */
        total += (i ? tq_str_len(self) : 0) + tq_str_len(x);
    }
    if (!str_size_ok(ctx, total, "join")) {
        tq_decref(items);
        return NULL;
    }
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    for (size_t i = 0; i < tq_seq_len(items); i++) {
        tq_value_t *x = tq_seq_get(items, i);
        if (tq_kind(x) != TQ_STR) {
            tq_raise(ctx, "TypeError",
                     "sequence item %zu: expected str instance, %s found", i,
                     tq_type_name(x));
            tq_buf_free(&b);
            tq_decref(items);
            return NULL;
        }
        if (i)
            tq_buf_addn(&b, tq_as_str(self), tq_str_len(self));
        tq_buf_addn(&b, tq_as_str(x), tq_str_len(x));
    }
    tq_decref(items);
    tq_value_t *v = tq_str_n(b.s, b.len);
    tq_buf_free(&b);
    return v;
}

METHOD(m_replace)
{
    if (!check_args(ctx, args, "replace", 2, 3, false))
        return NULL;
    if (!want_str(ctx, args->pos[0], "replace() argument 1") ||
        !want_str(ctx, args->pos[1], "replace() argument 2"))
        return NULL;
    int64_t count = -1;
    if (args->npos > 2 && !want_int(ctx, args->pos[2], &count))
        return NULL;
    const char *s = tq_as_str(self), *old = tq_as_str(args->pos[0]);
    const char *new = tq_as_str(args->pos[1]);
    size_t n = tq_str_len(self), ol = tq_str_len(args->pos[0]);
    size_t nl = tq_str_len(args->pos[1]);
    uint64_t hits = 0;   /* the replacements the loops below will make */
    if (ol == 0) {
        hits = (uint64_t)n + 1;
    } else {
        for (size_t i = 0; i + ol <= n && (count < 0 || hits < (uint64_t)count);)
            if (memcmp(s + i, old, ol) == 0) {
                hits++;
                i += ol;
            } else {
                i++;
            }
    }
    if (count >= 0 && hits > (uint64_t)count)
        hits = (uint64_t)count;
    if (nl > ol && !str_size_ok(ctx, n + hits * (nl - ol), "replace"))
        return NULL;
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    int64_t done = 0;
    if (ol == 0) {
        for (size_t i = 0; i <= n; i++) {
            if (count < 0 || done < count) {
                tq_buf_addn(&b, new, nl);
                done++;
            }
            if (i < n)
                tq_buf_addc(&b, s[i]);
        }
    } else {
        for (size_t i = 0; i < n;) {
            if ((count < 0 || done < count) && i + ol <= n &&
                memcmp(s + i, old, ol) == 0) {
                tq_buf_addn(&b, new, nl);
                i += ol;
                done++;
            } else {
                tq_buf_addc(&b, s[i++]);
            }
        }
    }
    tq_value_t *v = tq_str_n(b.s, b.len);
    tq_buf_free(&b);
    return v;
}

static tq_value_t *starts_ends(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *args, bool ends)
{
    const char *name = ends ? "endswith" : "startswith";
    if (!check_args(ctx, args, name, 1, 1, false))
        return NULL;
    tq_value_t *p = args->pos[0];
    if (tq_kind(p) == TQ_TUPLE) {
        for (size_t i = 0; i < tq_seq_len(p); i++) {
            tq_value_t *sub = tq_seq_get(p, i);
            tq_args_t one = {&sub, 1, NULL, NULL, 0};
            tq_value_t *r = starts_ends(ctx, self, &one, ends);
            if (!r || tq_as_bool_raw(r))
                return r;
        }
        return tq_bool(false);
    }
    if (tq_kind(p) != TQ_STR)
        return tq_raise(ctx, "TypeError",
                        "%s first arg must be str or a tuple of str, not %s",
                        name, tq_type_name(p));
    size_t n = tq_str_len(self), pl = tq_str_len(p);
    if (pl > n)
        return tq_bool(false);
    const char *s = tq_as_str(self) + (ends ? n - pl : 0);
    return tq_bool(memcmp(s, tq_as_str(p), pl) == 0);
}

METHOD(m_startswith) { return starts_ends(ctx, self, args, false); }
METHOD(m_endswith) { return starts_ends(ctx, self, args, true); }

/* Byte offset of `needle` in the str `self`, or -1 (rfind when rev). */
static long str_find(tq_value_t *self, tq_value_t *needle, bool rev)
{
    const char *s = tq_as_str(self), *p = tq_as_str(needle);
    size_t n = tq_str_len(self), pl = tq_str_len(needle);
    if (pl > n)
        return -1;
    if (rev) {
        for (size_t i = n - pl + 1; i-- > 0;)
            if (memcmp(s + i, p, pl) == 0)
                return (long)i;
        return -1;
    }
    const char *hit = memmem(s, n, p, pl);
    return hit ? (long)(hit - s) : -1;
}

static tq_value_t *find_impl(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *args, const char *name,
                             bool rev, bool raise)
{
    if (!check_args(ctx, args, name, 1, 1, false) ||
        !want_str(ctx, args->pos[0], "substring"))
        return NULL;
    long i = str_find(self, args->pos[0], rev);
    if (i < 0 && raise)
        return tq_raise(ctx, "ValueError", "substring not found");
    if (i < 0)
        return tq_int(-1);
    return tq_int((int64_t)tq_utf8_count(tq_as_str(self), (size_t)i));
}

METHOD(m_find) { return find_impl(ctx, self, args, "find", false, false); }
METHOD(m_rfind) { return find_impl(ctx, self, args, "rfind", true, false); }
METHOD(m_str_index) { return find_impl(ctx, self, args, "index", false, true); }

METHOD(m_str_count)
{
    if (!check_args(ctx, args, "count", 1, 1, false) ||
        !want_str(ctx, args->pos[0], "substring"))
        return NULL;
    const char *s = tq_as_str(self), *p = tq_as_str(args->pos[0]);
    size_t n = tq_str_len(self), pl = tq_str_len(args->pos[0]);
    if (pl == 0)
        return tq_int((int64_t)tq_utf8_count(s, n) + 1);
    int64_t c = 0;
    for (size_t i = 0; i + pl <= n;) {
        if (memcmp(s + i, p, pl) == 0) {
            c++;
            i += pl;
        } else {
            i++;
        }
    }
    return tq_int(c);
}

static tq_value_t *str_pred(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *args, int (*pred)(int),
                            const char *name)
{
    if (!check_args(ctx, args, name, 0, 0, false))
        return NULL;
    size_t n = tq_str_len(self);
    if (n == 0)
        return tq_bool(false);
    const char *s = tq_as_str(self);
    for (size_t i = 0; i < n; i++)
        if (!pred((unsigned char)s[i]))
            return tq_bool(false);
    return tq_bool(true);
}

METHOD(m_isdigit) { return str_pred(ctx, self, args, isdigit, "isdigit"); }
METHOD(m_isalpha) { return str_pred(ctx, self, args, isalpha, "isalpha"); }
METHOD(m_isalnum) { return str_pred(ctx, self, args, isalnum, "isalnum"); }
METHOD(m_isspace) { return str_pred(ctx, self, args, isspace, "isspace"); }

static int not_lower(int c) { return !islower(c); }
static int not_upper(int c) { return !isupper(c); }

METHOD(m_isupper)
{
    tq_value_t *r = str_pred(ctx, self, args, not_lower, "isupper");
    if (!r || !tq_as_bool_raw(r))
        return r;
    const char *s = tq_as_str(self);
    for (size_t i = 0; i < tq_str_len(self); i++)
        if (isupper((unsigned char)s[i]))
            return tq_bool(true);
    return tq_bool(false);
}

METHOD(m_islower)
{
    tq_value_t *r = str_pred(ctx, self, args, not_upper, "islower");
    if (!r || !tq_as_bool_raw(r))
        return r;
    const char *s = tq_as_str(self);
    for (size_t i = 0; i < tq_str_len(self); i++)
        if (islower((unsigned char)s[i]))
            return tq_bool(true);
    return tq_bool(false);
}

static tq_value_t *pad_impl(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *args, const char *name,
                            char align)
{
    if (!check_args(ctx, args, name, 1, 2, false))
        return NULL;
    int64_t width;
    if (!want_int(ctx, args->pos[0], &width))
        return NULL;
    char fill = ' ';
    if (args->npos > 1) {
        if (tq_kind(args->pos[1]) != TQ_STR || tq_str_len(args->pos[1]) != 1)
            return tq_raise(ctx, "TypeError",
                            "The fill character must be exactly one "
                            "character long");
        fill = tq_as_str(args->pos[1])[0];
    }
    char spec[64];
    snprintf(spec, sizeof spec, "%c%c%lld", fill, align, (long long)width);
    return tq_format_str(ctx, self, spec);
}

METHOD(m_ljust) { return pad_impl(ctx, self, args, "ljust", '<'); }
METHOD(m_rjust) { return pad_impl(ctx, self, args, "rjust", '>'); }
METHOD(m_center) { return pad_impl(ctx, self, args, "center", '^'); }

METHOD(m_zfill)
{
    if (!check_args(ctx, args, "zfill", 1, 1, false))
        return NULL;
    int64_t width;
    if (!want_int(ctx, args->pos[0], &width))
        return NULL;
    const char *s = tq_as_str(self);
    size_t n = tq_str_len(self);
    if ((int64_t)n >= width)
        return tq_incref(self);
    if (!str_size_ok(ctx, (uint64_t)width, "zfill"))
        return NULL;
    tq_buf_t b = {0};
    size_t start = 0;
    if (n && (s[0] == '-' || s[0] == '+')) {
        tq_buf_addc(&b, s[0]);
        start = 1;
    }
    for (int64_t i = 0; i < width - (int64_t)n; i++)
        tq_buf_addc(&b, '0');
    tq_buf_addn(&b, s + start, n - start);
    return tq_str_take(tq_buf_take(&b));
}

/* str.format: {} {0} {name} with !r/!s and :spec. */
METHOD(m_format)
{
    const char *s = tq_as_str(self);
    size_t n = tq_str_len(self);
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    size_t auto_index = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '}' ) {
            if (i + 1 < n && s[i + 1] == '}')
                i++;
            else {
                tq_buf_free(&b);
                return tq_raise(ctx, "ValueError",
                                "Single '}' encountered in format string");
            }
            tq_buf_addc(&b, '}');
            continue;
        }
        if (c != '{') {
            tq_buf_addc(&b, c);
            continue;
        }
        if (i + 1 < n && s[i + 1] == '{') {
            tq_buf_addc(&b, '{');
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && s[j] != '}')
            j++;
        if (j >= n) {
            tq_buf_free(&b);
            return tq_raise(ctx, "ValueError",
                            "Single '{' encountered in format string");
        }
        /* field = name [!conv] [:spec] */
        char *field = tq_xstrndup(s + i + 1, j - i - 1);
        char *spec = strchr(field, ':');
        if (spec)
            *spec++ = 0;
        char *conv = strchr(field, '!');
        if (conv)
            *conv++ = 0;
        tq_value_t *v = NULL;
        if (field[0] == 0) {
            if (auto_index < args->npos)
                v = tq_incref(args->pos[auto_index]);
            else
                tq_raise(ctx, "IndexError",
                         "Replacement index %zu out of range for positional "
                         "args tuple", auto_index);
            auto_index++;
        } else if (isdigit((unsigned char)field[0])) {
            size_t k = (size_t)atol(field);
            if (k < args->npos)
                v = tq_incref(args->pos[k]);
            else
                tq_raise(ctx, "IndexError",
                         "Replacement index %zu out of range for positional "
                         "args tuple", k);
        } else {
            tq_value_t *kv = tq_args_kw(args, field);
            if (kv)
                v = tq_incref(kv);
            else
                tq_raise(ctx, "KeyError", "key '%s' not found", field);
        }
        if (v && conv && !(conv[0] && strchr("rsa", conv[0]))) {
            if (conv[0])
                tq_raise(ctx, "ValueError", "Unknown conversion specifier %s",
                         conv);
            else
                tq_raise(ctx, "ValueError", "unmatched '{' in format spec");
            tq_decref(v);
            v = NULL;
        }
        if (v && conv && (*conv == 'r' || *conv == 's')) {
            tq_value_t *t = *conv == 'r' ? tq_repr_str(ctx, v)
                                         : tq_str_of(ctx, v);
            tq_decref(v);
            v = t;
        }
        tq_value_t *out = v ? tq_format_str(ctx, v, spec ? spec : "") : NULL;
        tq_decref(v);
        free(field);
        if (!out) {
            tq_buf_free(&b);
            return NULL;
        }
        tq_buf_addn(&b, tq_as_str(out), tq_str_len(out));
        tq_decref(out);
        i = j;
    }
    tq_value_t *r = tq_str_n(b.s, b.len);
    tq_buf_free(&b);
    return r;
}

/* ---- list methods */

METHOD(m_append)
{
    if (!check_args(ctx, args, "append", 1, 1, false))
        return NULL;
    tq_list_append(self, args->pos[0]);
    return tq_none();
}

METHOD(m_extend)
{
    if (!check_args(ctx, args, "extend", 1, 1, false))
        return NULL;
    tq_value_t *items = tq_iterate(ctx, args->pos[0]);
    if (!items)
        return NULL;
    if (!seq_size_ok(ctx, (uint64_t)tq_seq_len(self) + tq_seq_len(items),
                     "extend")) {
        tq_decref(items);
        return NULL;
    }
    for (size_t i = 0; i < tq_seq_len(items); i++)
        tq_list_append(self, tq_seq_get(items, i));
    tq_decref(items);
    return tq_none();
}

METHOD(m_insert)
{
    if (!check_args(ctx, args, "insert", 2, 2, false))
        return NULL;
    int64_t i;
    if (!want_int(ctx, args->pos[0], &i))
        return NULL;
    int64_t n = (int64_t)tq_seq_len(self);
    if (i < 0)
        i += n;
    if (i < 0)
        i = 0;
    if (i > n)
        i = n;
    tq_list_insert(self, (size_t)i, args->pos[1]);
    return tq_none();
}

METHOD(m_list_pop)
{
    if (!check_args(ctx, args, "pop", 0, 1, false))
        return NULL;
    int64_t n = (int64_t)tq_seq_len(self), i = n - 1;
    if (args->npos && !want_int(ctx, args->pos[0], &i))
        return NULL;
    if (n == 0)
        return tq_raise(ctx, "IndexError", "pop from empty list");
    if (i < 0)
        i += n;
    if (i < 0 || i >= n)
        return tq_raise(ctx, "IndexError", "pop index out of range");
    return tq_list_pop(self, (size_t)i);
}

static long seq_find(tq_ctx_t *ctx, tq_value_t *seq, tq_value_t *x)
{
    for (size_t i = 0; i < tq_seq_len(seq); i++) {
        int r = tq_equal(ctx, tq_seq_get(seq, i), x);
        if (r < 0)
            return -2;
        if (r)
            return (long)i;
    }
    return -1;
}

METHOD(m_list_index)
{
    if (!check_args(ctx, args, "index", 1, 1, false))
        return NULL;
    long i = seq_find(ctx, self, args->pos[0]);
    if (i == -2)
        return NULL;
    if (i < 0) {
        char *r = tq_repr(ctx, args->pos[0]);
        tq_raise(ctx, "ValueError", "%s is not in %s", r ? r : "?",
                 tq_type_name(self));
        free(r);
        return NULL;
    }
    return tq_int(i);
}

METHOD(m_list_count)
{
    if (!check_args(ctx, args, "count", 1, 1, false))
        return NULL;
    int64_t c = 0;
    for (size_t i = 0; i < tq_seq_len(self); i++) {
        int r = tq_equal(ctx, tq_seq_get(self, i), args->pos[0]);
        if (r < 0)
            return NULL;
        c += r;
    }
    return tq_int(c);
}

METHOD(m_remove)
{
    if (!check_args(ctx, args, "remove", 1, 1, false))
        return NULL;
    long i = seq_find(ctx, self, args->pos[0]);
    if (i == -2)
        return NULL;
    if (i < 0)
        return tq_raise(ctx, "ValueError", "list.remove(x): x not in list");
    tq_decref(tq_list_pop(self, (size_t)i));
    return tq_none();
}

METHOD(m_reverse)
{
    if (!check_args(ctx, args, "reverse", 0, 0, false))
        return NULL;
    size_t n = tq_seq_len(self);
    for (size_t i = 0; i < n / 2; i++) {
        tq_value_t *t = self->u.seq.items[i];
        self->u.seq.items[i] = self->u.seq.items[n - 1 - i];
        self->u.seq.items[n - 1 - i] = t;
    }
    return tq_none();
}

METHOD(m_sort)
{
    static const char *const kws[] = {"key", "reverse", NULL};
    if (!check_kw(ctx, args, "sort", kws) ||
        !check_args(ctx, args, "sort", 0, 0, true))
        return NULL;
    if (sort_list(ctx, self, tq_args_kw(args, "key"),
                  tq_args_kw(args, "reverse")) < 0)
        return NULL;
    return tq_none();
}

METHOD(m_list_clear)
{
    if (!check_args(ctx, args, "clear", 0, 0, false))
        return NULL;
    while (tq_seq_len(self))
        tq_decref(tq_list_pop(self, tq_seq_len(self) - 1));
    return tq_none();
}

METHOD(m_list_copy)
{
    if (!check_args(ctx, args, "copy", 0, 0, false))
        return NULL;
    return tq_iterate(ctx, self);
}

/* ---- dict methods */

METHOD(m_keys)
{
    if (!check_args(ctx, args, "keys", 0, 0, false))
        return NULL;
    return tq_iterate(ctx, self);
}

METHOD(m_values)
{
    if (!check_args(ctx, args, "values", 0, 0, false))
        return NULL;
    tq_value_t *l = tq_list_new(tq_dict_len(self));
    for (size_t i = 0; i < tq_dict_len(self); i++)
        tq_list_append(l, tq_dict_value_at(self, i));
    return l;
}

METHOD(m_items)
{
    if (!check_args(ctx, args, "items", 0, 0, false))
        return NULL;
    tq_value_t *l = tq_list_new(tq_dict_len(self));
    for (size_t i = 0; i < tq_dict_len(self); i++) {
        tq_value_t *p = pair(tq_incref(tq_dict_key_at(self, i)),
                             tq_incref(tq_dict_value_at(self, i)));
        tq_list_append(l, p);
        tq_decref(p);
    }
    return l;
}

METHOD(m_get)
{
    if (!check_args(ctx, args, "get", 1, 2, false))
        return NULL;
    if (!tq_hashable(ctx, args->pos[0]))
        return NULL;
    tq_value_t *v = tq_dict_get(self, args->pos[0]);
    if (v)
        return tq_incref(v);
    return args->npos > 1 ? tq_incref(args->pos[1]) : tq_none();
}

METHOD(m_setdefault)
{
    if (!check_args(ctx, args, "setdefault", 1, 2, false))
        return NULL;
    if (!tq_hashable(ctx, args->pos[0]))
        return NULL;
    tq_value_t *v = tq_dict_get(self, args->pos[0]);
    if (v)
        return tq_incref(v);
    tq_value_t *d = args->npos > 1 ? args->pos[1] : tq_none();
    tq_dict_set(self, args->pos[0], d);
    return tq_incref(d);
}

METHOD(m_update)
{
    if (!check_args(ctx, args, "update", 0, 1, true))
        return NULL;
    if (args->npos && dict_update_from(ctx, self, args->pos[0]) < 0)
        return NULL;
    for (size_t i = 0; i < args->nkw; i++)
        tq_dict_set_str(self, args->kwnames[i], args->kwvalues[i]);
    return tq_none();
}

METHOD(m_dict_pop)
{
    if (!check_args(ctx, args, "pop", 1, 2, false))
        return NULL;
    if (!tq_hashable(ctx, args->pos[0]))
        return NULL;
    tq_value_t *v = tq_dict_get(self, args->pos[0]);
    if (!v) {
        if (args->npos > 1)
            return tq_incref(args->pos[1]);
        char *r = tq_repr(ctx, args->pos[0]);
        tq_raise(ctx, "KeyError", "key %s not found", r ? r : "?");
        free(r);
        return NULL;
    }
    tq_incref(v);
    tq_dict_del(self, args->pos[0]);
    return v;
}

METHOD(m_dict_clear)
{
    if (!check_args(ctx, args, "clear", 0, 0, false))
        return NULL;
    while (tq_dict_len(self))
        tq_dict_del(self, tq_dict_key_at(self, tq_dict_len(self) - 1));
    return tq_none();
}

METHOD(m_dict_copy)
{
    if (!check_args(ctx, args, "copy", 0, 0, false))
        return NULL;
    tq_value_t *d = tq_dict_new();
    dict_update_from(ctx, d, self);
    return d;
}

typedef struct method {
    const char *name;
    tq_builtin_fn fn;
} method_t;

static const method_t str_methods[] = {
    {"upper", m_upper}, {"lower", m_lower}, {"title", m_title},
    {"capitalize", m_capitalize}, {"swapcase", m_swapcase},
    {"strip", m_strip}, {"lstrip", m_lstrip}, {"rstrip", m_rstrip},
    {"split", m_split}, {"splitlines", m_splitlines}, {"join", m_join},
    {"replace", m_replace}, {"startswith", m_startswith},
    {"endswith", m_endswith}, {"find", m_find}, {"rfind", m_rfind},
    {"index", m_str_index}, {"count", m_str_count}, {"format", m_format},
    {"isdigit", m_isdigit}, {"isalpha", m_isalpha}, {"isalnum", m_isalnum},
    {"isspace", m_isspace}, {"isupper", m_isupper}, {"islower", m_islower},
    {"ljust", m_ljust}, {"rjust", m_rjust}, {"center", m_center},
    {"zfill", m_zfill}, {NULL, NULL},
};

static const method_t list_methods[] = {
    {"append", m_append}, {"extend", m_extend}, {"insert", m_insert},
    {"pop", m_list_pop}, {"index", m_list_index}, {"count", m_list_count},
    {"remove", m_remove}, {"reverse", m_reverse}, {"sort", m_sort},
    {"clear", m_list_clear}, {"copy", m_list_copy}, {NULL, NULL},
};

static const method_t tuple_methods[] = {
    {"index", m_list_index}, {"count", m_list_count}, {NULL, NULL},
};

static const method_t dict_methods[] = {
    {"keys", m_keys}, {"values", m_values}, {"items", m_items},
    {"get", m_get}, {"setdefault", m_setdefault}, {"update", m_update},
    {"pop", m_dict_pop}, {"clear", m_dict_clear}, {"copy", m_dict_copy},
    {NULL, NULL},
};

static const method_t *methods_of(tq_kind_t kind)
{
    switch (kind) {
    case TQ_STR: return str_methods;
    case TQ_LIST: return list_methods;
    case TQ_TUPLE: return tuple_methods;
    case TQ_DICT: return dict_methods;
    default: return NULL;
    }
}

tq_value_t *tq_method_get(tq_ctx_t *ctx, tq_value_t *obj, const char *name)
{
    const method_t *m = methods_of(tq_kind(obj));
    for (; m && m->name; m++)
        if (strcmp(m->name, name) == 0)
            return tq_builtin_new(m->name, m->fn, obj);
    return NULL;
}

const char *const *tq_method_names(tq_kind_t kind)
{
    static const char *names[4][40];
    static bool done;
    if (!done) {
        tq_kind_t kinds[4] = {TQ_STR, TQ_LIST, TQ_TUPLE, TQ_DICT};
        for (int k = 0; k < 4; k++) {
            const method_t *m = methods_of(kinds[k]);
            int i = 0;
            for (; m->name && i < 39; m++)
                names[k][i++] = m->name;
            names[k][i] = NULL;
        }
        done = true;
    }
    switch (kind) {
    case TQ_STR: return names[0];
    case TQ_LIST: return names[1];
    case TQ_TUPLE: return names[2];
    case TQ_DICT: return names[3];
    default: return NULL;
    }
}

/* The UTF-8 bytes of code point cp (at most 0x10FFFF), malloc'd. */
static char *utf8_char(uint32_t cp)
{
    assert(cp <= 0x10FFFF);
    char buf[5] = {0};
    if (cp < 0x80) {
        buf[0] = (char)cp;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xC0 | cp >> 6);
        buf[1] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | cp >> 12);
        buf[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
    } else {
        buf[0] = (char)(0xF0 | cp >> 18);
        buf[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        buf[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        buf[3] = (char)(0x80 | (cp & 0x3F));
    }
    return tq_xstrdup(buf);
}

/* ---- the format-spec mini-language */

typedef struct spec {
    char fill, align, sign, type;
    bool alt, zero, has_width, has_prec;
    char grouping;
    int width, prec;
} spec_t;

static bool parse_spec(const char *s, spec_t *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->fill = ' ';
    size_t n = strlen(s), i = 0;
    if (n >= 2 && strchr("<>^=", s[1])) {
        sp->fill = s[0];
        sp->align = s[1];
        i = 2;
    } else if (n >= 1 && strchr("<>^=", s[0])) {
        sp->align = s[0];
        i = 1;
    }
    if (i < n && strchr("+- ", s[i]))
        sp->sign = s[i++];
    if (i < n && s[i] == '#')
        sp->alt = true, i++;
    if (i < n && s[i] == '0') {
        sp->zero = true;
        i++;
    }
    while (i < n && isdigit((unsigned char)s[i])) {
        sp->has_width = true;
        sp->width = sp->width * 10 + (s[i++] - '0');
        if (sp->width > 10000)
            return false;
    }
    if (i < n && (s[i] == ',' || s[i] == '_'))
        sp->grouping = s[i++];
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !isdigit((unsigned char)s[i]))
            return false;
        sp->has_prec = true;
        while (i < n && isdigit((unsigned char)s[i])) {
            sp->prec = sp->prec * 10 + (s[i++] - '0');
            if (sp->prec > 1000)
                return false;
        }
    }
    if (i < n)
        sp->type = s[i++];
    if (i != n)
        return false;
    if (sp->zero && !sp->align) {
        sp->fill = '0';
        sp->align = '=';
    }
    return true;
}

/* Inserts thousands separators into the integer digits of `num`. */
static char *group_digits(const char *num, char sep)
{
    tq_buf_t b = {0};
    const char *p = num;
    if (*p == '-' || *p == '+' || *p == ' ')
        tq_buf_addc(&b, *p++);
    size_t digits = 0;
    while (isdigit((unsigned char)p[digits]))
        digits++;
    for (size_t i = 0; i < digits; i++) {
        if (i && (digits - i) % 3 == 0)
            tq_buf_addc(&b, sep);
        tq_buf_addc(&b, p[i]);
    }
    tq_buf_add(&b, p + digits);
    return tq_buf_take(&b);
}

/* body (n bytes, NULs kept) padded to the spec's width; its length in
 * *outlen when outlen is not NULL. */
static char *pad_n(const char *body, size_t n, const spec_t *sp,
                   char default_align, size_t *outlen)
{
    size_t len = tq_utf8_count(body, n);
    if (!sp->has_width || (int)len >= sp->width) {
        if (outlen)
            *outlen = n;
        return tq_xstrndup(body, n);
    }
    size_t padn = (size_t)sp->width - len;
    char align = sp->align ? sp->align : default_align;
    tq_buf_t b = {0};
    size_t left = align == '<' ? 0 : align == '^' ? padn / 2 : padn;
    if (align == '=') {
        const char *p = body;
        if (*p == '-' || *p == '+' || *p == ' ')
            tq_buf_addc(&b, *p++);
        for (size_t i = 0; i < padn; i++)
            tq_buf_addc(&b, sp->fill);
        tq_buf_addn(&b, p, n - (size_t)(p - body));
    } else {
        for (size_t i = 0; i < left; i++)
            tq_buf_addc(&b, sp->fill);
        tq_buf_addn(&b, body, n);
        for (size_t i = 0; i < padn - left; i++)
            tq_buf_addc(&b, sp->fill);
    }
    if (outlen)
        *outlen = b.len;
    return tq_buf_take(&b);
}

static char *pad(const char *body, const spec_t *sp, char default_align)
{
    return pad_n(body, strlen(body), sp, default_align, NULL);
}

static char *format_float(double d, const spec_t *sp)
{
    char type = sp->type;
    int prec = sp->has_prec ? sp->prec : 6;
    char *body;
    if (isnan(d) || isinf(d)) {
        body = tq_xstrdup(isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
        if (type == 'F' || type == 'E' || type == 'G')
            for (char *p = body; *p; p++)
                *p = (char)toupper((unsigned char)*p);
    } else if (type == 'f' || type == 'F') {
        body = tq_xasprintf("%.*f", prec, d);
    } else if (type == 'e' || type == 'E') {
        body = tq_xasprintf(type == 'e' ? "%.*e" : "%.*E", prec, d);
    } else if (type == '%') {
        body = tq_xasprintf("%.*f%%", prec, d * 100);
    } else if (type == 'g' || type == 'G') {
        body = tq_xasprintf(type == 'g' ? "%.*g" : "%.*G",
                            prec == 0 ? 1 : prec, d);
    } else if (sp->has_prec) {
        /* No type with a precision: like 'g' but keeps a '.0'. */
        body = tq_xasprintf("%.*g", prec == 0 ? 1 : prec, d);
        if (!strpbrk(body, ".e")) {
            char *t = tq_xasprintf("%s.0", body);
            free(body);
            body = t;
        }
    } else {
        body = tq_float_repr(d);
    }
    if (sp->sign && d >= 0 && body[0] != '-') {
        char *t = tq_xasprintf("%c%s", sp->sign == '-' ? 0 : sp->sign, body);
        if (sp->sign == '-') {
            free(t);
        } else {
            free(body);
            body = t;
        }
    }
    if (sp->grouping) {
        char *t = group_digits(body, sp->grouping);
        free(body);
        body = t;
    }
    return body;
}

/* The byte offset of code point cp in s (n bytes), n when s is shorter. */
static size_t utf8_offset_n(const char *s, size_t n, size_t cp)
{
    size_t seen = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && seen++ == cp)
            return i;
    return n;
}

/* tq_format_value; a str's text (and an exception's, without a spec)
 * keeps its NUL bytes, its length in *len (other values leave *len
 * alone). */
static char *format_value_n(tq_ctx_t *ctx, tq_value_t *v,
                            const char *specstr, size_t *len)
{
    if (!specstr[0] && tq_kind(v) == TQ_STR) {
        *len = tq_str_len(v);
        return tq_xstrndup(tq_as_str(v), *len);
    }
    if (!specstr[0] && tq_exception_name(v)) {
        tq_value_t *s = tq_exception_str(ctx, v);
        if (!s)
            return NULL;
        *len = tq_str_len(s);
        char *r = tq_xstrndup(tq_as_str(s), *len);
        tq_decref(s);
        return r;
    }
    if (!specstr[0])
        return tq_to_str(ctx, v);
    if (tq_kind(v) == TQ_NATIVE && tq_native_type(v)->format)
        return tq_native_type(v)->format(ctx, v, specstr);
    spec_t sp;
    if (!parse_spec(specstr, &sp)) {
        tq_raise(ctx, "ValueError", "Invalid format specifier '%s' for object "
                 "of type '%s'", specstr, tq_type_name(v));
        return NULL;
    }
    char *body = NULL, *out;
    switch (tq_kind(v)) {
    case TQ_STR:
        if (sp.type && sp.type != 's')
            goto bad;
        if (sp.sign || sp.grouping || sp.align == '=')
            goto bad;
        return pad_n(tq_as_str(v),
                     sp.has_prec ? utf8_offset_n(tq_as_str(v), tq_str_len(v),
                                                 (size_t)sp.prec)
                                 : tq_str_len(v),
                     &sp, '<', len);
    case TQ_INT: case TQ_BOOL: {
        int64_t i = tq_as_int(v);
        if (tq_kind(v) == TQ_BOOL && !sp.type && !sp.sign && !sp.grouping &&
            !sp.zero) {
            out = pad(i ? "True" : "False", &sp, '<');
            return out;
        }
        switch (sp.type) {
        case 0: case 'd': case 'n':
            if (sp.has_prec) {
                tq_raise(ctx, "ValueError",
                         "Precision not allowed in integer format specifier");
                return NULL;
            }
            body = tq_xasprintf("%lld", (long long)i);
            break;
        case 'x': case 'X': case 'o': case 'b': {
            uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
            tq_buf_t b = {0};
            if (i < 0)
                tq_buf_addc(&b, '-');
            if (sp.alt)
                tq_buf_add(&b, sp.type == 'x' ? "0x" : sp.type == 'X' ? "0X"
                               : sp.type == 'o' ? "0o" : "0b");
            char digits[80];
            int k = 0;
            unsigned base = sp.type == 'o' ? 8 : sp.type == 'b' ? 2 : 16;
            const char *dig = sp.type == 'X' ? "0123456789ABCDEF"
                                             : "0123456789abcdef";
            do {
                digits[k++] = dig[u % base];
                u /= base;
            } while (u);
            while (k)
                tq_buf_addc(&b, digits[--k]);
            body = tq_buf_take(&b);
            break;
        }
        case 'c': {
            if (i < 0 || i > 0x10FFFF) {
                tq_raise(ctx, "OverflowError",
                         "%%c arg not in range(0x110000)");
                return NULL;
            }
            body = utf8_char((uint32_t)i);
            break;
        }
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case '%':
            body = format_float((double)i, &sp);
            out = pad(body, &sp, '>');
            free(body);
            return out;
        default:
            goto bad;
        }
        if (sp.sign && i >= 0 && sp.sign != '-') {
            char *t = tq_xasprintf("%c%s", sp.sign, body);
            free(body);
            body = t;
        }
        if (sp.grouping) {
            char *t = group_digits(body, sp.grouping);
            free(body);
            body = t;
        }
        out = pad(body, &sp, '>');
        free(body);
        return out;
    }
    case TQ_FLOAT:
        if (sp.type && !strchr("fFeEgG%n", sp.type))
            goto bad;
        body = format_float(tq_as_float(v), &sp);
        out = pad(body, &sp, '>');
        free(body);
        return out;
    default:
        if (sp.type || sp.sign || sp.grouping || sp.has_prec)
            goto bad_type;
        body = tq_to_str(ctx, v);
        if (!body)
            return NULL;
        out = pad(body, &sp, '<');
        free(body);
        return out;
    }
bad:
    tq_raise(ctx, "ValueError",
             "Unknown format code '%c' for object of type '%s'",
             sp.type ? sp.type : '?', tq_type_name(v));
    return NULL;
bad_type:
    tq_raise(ctx, "TypeError",
             "unsupported format string passed to %s.__format__",
             tq_type_name(v));
    return NULL;
}

char *tq_format_value(tq_ctx_t *ctx, tq_value_t *v, const char *specstr)
{
    size_t len;
    return format_value_n(ctx, v, specstr, &len);
}

tq_value_t *tq_format_str(tq_ctx_t *ctx, tq_value_t *v, const char *spec)
{
    size_t len = SIZE_MAX;
    char *s = format_value_n(ctx, v, spec, &len);
    if (!s)
        return NULL;
    return tq_str_take_n(s, len == SIZE_MAX ? strlen(s) : len);
}

/* ---- printf-style formatting: 'fmt' % args */

tq_value_t *tq_str_percent(tq_ctx_t *ctx, tq_value_t *fmtv, tq_value_t *argv)
{
    const char *f = tq_as_str(fmtv);
    size_t n = tq_str_len(fmtv), next = 0;
    tq_value_t *single = NULL, *mapping = NULL;
    size_t nargs;
    if (tq_kind(argv) == TQ_TUPLE) {
        nargs = tq_seq_len(argv);
    } else {
        if (tq_kind(argv) == TQ_DICT)
            mapping = argv;
        single = argv;
        nargs = 1;
    }
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    for (size_t i = 0; i < n; i++) {
        if (f[i] != '%') {
            tq_buf_addc(&b, f[i]);
            continue;
        }
        if (++i >= n)
            goto incomplete;
        if (f[i] == '%') {
            tq_buf_addc(&b, '%');
            continue;
        }
        tq_value_t *arg = NULL;
        if (f[i] == '(') {
            size_t e = i + 1;
            while (e < n && f[e] != ')')
                e++;
            if (e >= n || !mapping) {
                tq_buf_free(&b);
                return tq_raise(ctx, "TypeError",
                                "format requires a mapping");
            }
            char *key = tq_xstrndup(f + i + 1, e - i - 1);
            arg = tq_dict_get_str(mapping, key);
            if (!arg) {
                tq_raise(ctx, "KeyError", "key '%s' not found", key);
                free(key);
                tq_buf_free(&b);
                return NULL;
            }
            free(key);
            i = e + 1;
        }
        char spec[64];
        size_t k = 0;
        char align = 0, sign = 0;
        bool zero = false;
        for (; i < n && strchr("-+ 0#", f[i]); i++) {
            if (f[i] == '-')
                align = '<';
            else if (f[i] == '+' || f[i] == ' ')
                sign = f[i];
            else if (f[i] == '0')
                zero = true;
        }
        char width[16] = "", prec[16] = "";
        size_t w = 0, p = 0;
        while (i < n && isdigit((unsigned char)f[i]) && w < 8)
            width[w++] = f[i++];
        width[w] = 0;
        if (i < n && f[i] == '.') {
            i++;
            while (i < n && isdigit((unsigned char)f[i]) && p < 8)
                prec[p++] = f[i++];
            prec[p] = 0;
            if (!p)
                strcpy(prec, "0");
        }
        if (i >= n)
            goto incomplete;
        char conv = f[i];
        if (!strchr("sdifFeEgGxXorca", conv)) {
            tq_buf_free(&b);
            return tq_raise(ctx, "ValueError",
                            "unsupported format character '%c' (0x%x) at "
                            "index %zu", conv, (unsigned)(unsigned char)conv,
                            i);
        }
        if (!arg) {
            if (next >= nargs) {
                tq_buf_free(&b);
                return tq_raise(ctx, "TypeError",
                                "not enough arguments for format string");
            }
            arg = single ? single : tq_seq_get(argv, next);
            next++;
        }
        tq_value_t *val = tq_incref(arg);
        char type = conv == 'i' ? 'd' : conv;
        if (conv == 's' || conv == 'r' || conv == 'a') {
            tq_value_t *t = conv == 's' ? tq_str_of(ctx, val)
                                        : tq_repr_str(ctx, val);
            tq_decref(val);
            if (!t) {
                tq_buf_free(&b);
                return NULL;
            }
            val = t;
            type = 0;
        } else if (!is_num(val)) {
            tq_buf_free(&b);
            tq_raise(ctx, "TypeError",
                     "%%%c format: a real number is required, not %s", conv,
                     tq_type_name(val));
            tq_decref(val);
            return NULL;
        } else if (type == 'd' && tq_kind(val) == TQ_FLOAT &&
                   !(fabs(tq_as_float(val)) < 9.2e18)) {
            double d = tq_as_float(val);
            tq_buf_free(&b);
            tq_decref(val);
            if (isnan(d))
                return tq_raise(ctx, "ValueError",
                                "cannot convert float NaN to integer");
            if (isinf(d))
                return tq_raise(ctx, "OverflowError",
                                "cannot convert float infinity to integer");
            return tq_raise(ctx, "OverflowError",
                            "integer overflow: Tabula ints are 64-bit");
        } else if (type == 'd' && tq_kind(val) == TQ_FLOAT) {
            double d = tq_as_float(val);
            tq_decref(val);
            val = tq_int((int64_t)d);
        }
        if (zero && !align && type)
            spec[k++] = '0';
        else if (align)
            spec[k++] = align;
        else if (!type)
            spec[k++] = '>';
        if (sign && type)
            spec[k++] = sign;
        spec[k] = 0;
        char *full = tq_xasprintf("%s%s%s%s%s", spec, width, p ? "." : "",
                                  prec, type ? (char[]){type, 0} : "");
        if (conv == 's' && p) {
            /* %.3s truncates */
            free(full);
            full = tq_xasprintf("%s%s.%s", spec, width, prec);
        }
        tq_value_t *out = tq_format_str(ctx, val, full);
        free(full);
        tq_decref(val);
        if (!out) {
            tq_buf_free(&b);
            return NULL;
        }
        tq_buf_addn(&b, tq_as_str(out), tq_str_len(out));
        tq_decref(out);
    }
    if (!mapping && next < nargs) {
        tq_buf_free(&b);
        return tq_raise(ctx, "TypeError",
                        "not all arguments converted during string "
                        "formatting");
    }
    size_t blen = b.len;
    return tq_str_take_n(tq_buf_take(&b), blen);
incomplete:
    tq_buf_free(&b);
    return tq_raise(ctx, "ValueError", "incomplete format");
}

/* ---- IPython's habits: dir, help, clear_output */

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* dir(): the names defined in the cell's scope, sorted; dir(x): x's
 * attribute names (the editor's list, ctx->attributes), sorted. */
BUILTIN(bi_dir)
{
    (void)self;
    if (!check_args(ctx, args, "dir", 0, 1, false))
        return NULL;
    if (args->npos == 1) {
        if (ctx->attributes)
            return ctx->attributes(ctx, args->pos[0]);
        tq_value_t *list = tq_list_new(0);
        const char *const *m = tq_method_names(tq_kind(args->pos[0]));
        for (; m && *m; m++) {
            tq_value_t *n = tq_str(*m);
            tq_list_append(list, n);
            tq_decref(n);
        }
        return list;
    }
    tq_map_t *scope = ctx->frame && ctx->frame->locals ? ctx->frame->locals
                                                       : &ctx->globals;
    const char **names = tq_xmalloc((scope->count + 1) * sizeof *names);
    size_t n = 0;
    for (size_t i = 0; i < scope->cap; i++)
        if (scope->slots[i].key)
            names[n++] = scope->slots[i].key;
    qsort(names, n, sizeof *names, cmp_cstr);
    tq_value_t *list = tq_list_new(n);
    for (size_t i = 0; i < n; i++) {
        tq_value_t *v = tq_str(names[i]);
        tq_list_append(list, v);
        tq_decref(v);
    }
    free(names);
    return list;
}

/* help(x) prints what `x?` pages (ctx->describe) to stdout, as Python's
 * help does; help() prints how to ask. */
BUILTIN(bi_help)
{
    (void)self;
    if (!check_args(ctx, args, "help", 0, 1, false))
        return NULL;
    char *text;
    if (args->npos == 0)
        text = tq_xstrdup(
            "Type help(object) or object? for help about object: a table's "
            "columns, a method's signature, a value's type.\n"
            "%lsmagic lists the magics; %magic? describes one.\n");
    else if (ctx->describe)
        text = ctx->describe(ctx, args->pos[0], 0);
    else
        text = tq_repr(ctx, args->pos[0]);
    if (!text)
        return NULL;
    size_t len = strlen(text);
    tq_ctx_print(ctx, text, len);
    if (len && text[len - 1] != '\n')
        tq_ctx_print(ctx, "\n", 1);
    free(text);
    return tq_none();
}

/* clear_output(wait=False): asks the front end to clear the cell's
 * output, at once or (wait) when the next output arrives. */
BUILTIN(bi_clear_output)
{
    (void)self;
    static const char *const kws[] = {"wait", NULL};
    if (!check_args(ctx, args, "clear_output", 0, 1, true) ||
        !check_kw(ctx, args, "clear_output", kws))
        return NULL;
    tq_value_t *waitv = args->npos ? args->pos[0] : tq_args_kw(args, "wait");
    int wait = waitv ? tq_truth(ctx, waitv) : 0;
    if (wait < 0)
        return NULL;
    if (ctx->sink && ctx->sink->clear_output)
        ctx->sink->clear_output(ctx->sink->ctx, wait == 1);
    return tq_none();
}

/* ---- registration */

void tq_builtins_register(tq_ctx_t *ctx)
{
    static const method_t fns[] = {
        {"print", bi_print}, {"display", bi_display}, {"input", bi_input},
        {"len", bi_len}, {"sum", bi_sum}, {"min", bi_min}, {"max", bi_max},
        {"abs", bi_abs}, {"round", bi_round}, {"sorted", bi_sorted},
        {"reversed", bi_reversed}, {"enumerate", bi_enumerate},
        {"zip", bi_zip}, {"map", bi_map}, {"filter", bi_filter},
        {"any", bi_any}, {"all", bi_all}, {"repr", bi_repr},
        {"type", bi_type}, {"isinstance", bi_isinstance},
        {"callable", bi_callable}, {"hasattr", bi_hasattr},
        {"divmod", bi_divmod}, {"pow", bi_pow}, {"chr", bi_chr},
        {"ord", bi_ord}, {"hex", bi_hex}, {"oct", bi_oct}, {"bin", bi_bin},
        {"dir", bi_dir}, {"help", bi_help}, {"clear_output", bi_clear_output},
    };
    static const method_t classes[] = {
        {"str", bi_str}, {"int", bi_int}, {"float", bi_float},
        {"bool", bi_bool}, {"list", bi_list}, {"tuple", bi_tuple},
        {"dict", bi_dict}, {"range", bi_range},
    };
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        tq_value_t *v = tq_builtin_new(fns[i].name, fns[i].fn, NULL);
        tq_ctx_define_builtin(ctx, fns[i].name, v);
        tq_decref(v);
    }
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        tq_value_t *v = tq_class_builtin_new(classes[i].name, classes[i].fn);
        tq_ctx_define_builtin(ctx, classes[i].name, v);
        tq_decref(v);
    }
    for (int i = 0; i < TQ_ERR_COUNT; i++) {
        const char *name = tq_error_at(i);
        tq_value_t *self = tq_str(name);
        tq_value_t *v = tq_builtin_new(name, bi_exception, self);
        v->u.bi.is_class = true;
        tq_ctx_define_builtin(ctx, name, v);
        tq_decref(v);
        tq_decref(self);
    }
    for (size_t i = 0; i < 2; i++) {
        tq_value_t *v = tq_native_new(&stream_type, (void *)stream_names[i]);
        tq_ctx_define_builtin(ctx, stream_names[i], v);
        tq_decref(v);
    }
    tq_value_t *sys = tq_native_new(&sys_type, NULL);
    tq_ctx_define_builtin(ctx, "sys", sys);
    tq_decref(sys);
    static const char *const plain_classes[] = {"NoneType", "function",
                                                "object", NULL};
    for (const char *const *p = plain_classes; *p; p++) {
        tq_value_t *v = tq_class_builtin_new(*p, NULL);
        tq_ctx_define_builtin(ctx, *p, v);
        tq_decref(v);
    }    tq_datetime_register(ctx);
}
