/*
 * This file implements the evaluator declared in eval.h: a tree walk over
 * the cell's AST. Expressions return new references (NULL on error, with
 * the error raised in the context); statements return an exec status that
 * carries return/break/continue. Name lookup goes locals, the enclosing
 * function's snapshot, user globals, table names (database layer), then
 * builtins. Loops and calls check the interrupt flag; calls are limited in
 * depth so that runaway recursion is an error, not a C stack overflow.
 *
 * The contract and ownership of each non-static function are stated
 * above its declaration in eval.h.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/eval.h"
#include "base/suggest.h"
#include "syntax/parse.h"
#include "base/errors.h"

#define MAX_CALL_DEPTH 200

typedef enum exec_status {
    EX_NORMAL, EX_RETURN, EX_BREAK, EX_CONTINUE, EX_ERROR,
} exec_status_t;

static tq_value_t *eval(tq_ctx_t *ctx, const tq_node_t *n);
static tq_value_t *run_magic(tq_ctx_t *ctx, const tq_node_t *s);
static exec_status_t exec_block(tq_ctx_t *ctx, const tq_nodelist_t *body,
                                tq_value_t **ret);

/* The last source run by tq_ctx_run_source and its tree, so that
 * %timeit's loops time the statement, not the parser. */
static struct {
    tq_unit_t *unit;
    tq_nodelist_t body;
} run_cache;

/* ---- units */

tq_unit_t *tq_unit_new(const char *source, size_t len, int cell)
{
    tq_arena_t *a = tq_arena_new();
    tq_unit_t *u = tq_arena_alloc(a, sizeof *u);
    u->arena = a;
    u->source = tq_arena_strndup(a, source, len);
    u->len = len;
    u->cell = cell;
    return u;
}

void tq_unit_release(tq_unit_t **unit)
{
    if (!*unit)
        return;
    tq_arena_t *a = (*unit)->arena;
    *unit = NULL;
    tq_arena_release(&a);
}

void tq_eval_release_caches(void)
{
    tq_unit_release(&run_cache.unit);
}

void tq_function_free(tq_function_t *fn)
{
    for (size_t i = 0; i < fn->nparams; i++)
        tq_decref(fn->defaults[i]);
    free(fn->defaults);
    tq_decref(fn->closure);
    free(fn->name);
    tq_unit_release(&fn->unit);
    free(fn);
}

static bool check_interrupt(tq_ctx_t *ctx)
{
    if ((++ctx->ticks & 4095) == 0)     /* a long loop still runs */
        tq_ctx_tick(ctx);
    if (ctx->interrupt) {
        tq_raise(ctx, "KeyboardInterrupt", "Execution interrupted");
        return true;
    }
    return false;
}

/* ---- names */

static bool declared_global(const tq_frame_t *f, const char *name)
{
    for (size_t i = 0; i < f->ngnames; i++)
        if (strcmp(f->gnames[i], name) == 0)
            return true;
    return false;
}

static tq_value_t *lookup_h(tq_ctx_t *ctx, const char *name, uint64_t hash)
{
    tq_frame_t *f = ctx->frame;
    if (f) {
        if (f->classns) {
            tq_value_t *v = tq_dict_get_str(f->classns, name);
            if (v)
                return tq_incref(v);
        }
        if (f->locals) {
            tq_value_t *v = tq_map_get_h(f->locals, name, hash);
            if (v)
                return tq_incref(v);
        }
        if (f->closure) {
            tq_value_t *v = tq_dict_get_str(f->closure, name);
            if (v)
                return tq_incref(v);
        }
    }
    tq_value_t *v = tq_map_get_h(&ctx->globals, name, hash);
    if (v)
        return tq_incref(v);
    if (ctx->schema_lookup) {
        v = ctx->schema_lookup(ctx, name);
        if (v || tq_error_pending(ctx))
            return v;
    }
    v = tq_map_get_h(&ctx->builtins, name, hash);
    if (v)
        return tq_incref(v);
    return NULL;
}

/* Appends the keys of `m` to the candidate array. */
static void add_keys(const tq_map_t *m, const char ***c, size_t *n, size_t *cap)
{
    for (size_t i = 0; m && i < m->cap; i++)
        if (m->slots[i].key)
            TQ_PUSH(*c, *n, *cap, m->slots[i].key);
}

/* Raises Python 3.11's NameError for `name`, with "Did you mean" when a
 * name is close: the locals first, then the globals and the tables, then
 * the builtins, as CPython looks (base/suggest.h). */
static void raise_name_error(tq_ctx_t *ctx, const char *name)
{
    const char **c = NULL;
    size_t n = 0, cap = 0;
    const char *hint = NULL;
    tq_frame_t *f = ctx->frame;
    if (f && f->locals) {
        add_keys(f->locals, &c, &n, &cap);
        hint = tq_suggest(name, c, n);
    }
    tq_value_t *tables = NULL;
    if (!hint) {
        n = 0;
        add_keys(&ctx->globals, &c, &n, &cap);
        tables = ctx->schema_names ? ctx->schema_names(ctx) : NULL;
        for (size_t i = 0; tables && i < tq_seq_len(tables); i++)
            TQ_PUSH(c, n, cap, tq_as_str(tq_seq_get(tables, i)));
        hint = tq_suggest(name, c, n);
    }
    if (!hint) {
        n = 0;
        add_keys(&ctx->builtins, &c, &n, &cap);
        hint = tq_suggest(name, c, n);
    }
    if (hint)
        tq_raise(ctx, "NameError",
                 "name '%s' is not defined. Did you mean: '%s'?", name, hint);
    else
        tq_raise(ctx, "NameError", "name '%s' is not defined", name);
    tq_decref(tables);
    free(c);
}

tq_value_t *tq_lookup(tq_ctx_t *ctx, const char *name)
{
    return lookup_h(ctx, name, tq_hash_bytes(name, strlen(name)));
}

static void bind_name(tq_ctx_t *ctx, const char *name, tq_value_t *v)
{
    tq_frame_t *f = ctx->frame;
    if (f && f->classns) {
        tq_dict_set_str(f->classns, name, v);
        return;
    }
    tq_map_t *m = f && f->locals && !declared_global(f, name) ? f->locals
                                                             : &ctx->globals;
    tq_decref(tq_map_set(m, name, tq_incref(v)));
}

static int unbind_name(tq_ctx_t *ctx, const char *name)
{
    tq_frame_t *f = ctx->frame;
    tq_map_t *m = f && f->locals && !declared_global(f, name) ? f->locals
                                                             : &ctx->globals;
    tq_value_t *old = tq_map_del(m, name);
    if (!old) {
        tq_raise(ctx, "NameError", "name '%s' is not defined", name);
        return -1;
    }
    tq_decref(old);
    return 0;
}

/* ---- assignment */

static int assign(tq_ctx_t *ctx, const tq_node_t *t, tq_value_t *v);

static int assign_unpack(tq_ctx_t *ctx, const tq_node_t *t, tq_value_t *v)
{
    tq_value_t *items = tq_iterate(ctx, v);
    if (!items)
        return -1;
    size_t n = tq_seq_len(items), want = t->list.len;
    long star = -1;
    for (size_t i = 0; i < want; i++)
        if (t->list.items[i]->kind == TQ_N_STARRED)
            star = (long)i;
    int rc = 0;
    ctx->node = t;
    if (star < 0 && n != want) {
        if (n > want)
            tq_raise(ctx, "ValueError",
                     "too many values to unpack (expected %zu)", want);
        else
            tq_raise(ctx, "ValueError",
                     "not enough values to unpack (expected %zu, got %zu)",
                     want, n);
        rc = -1;
    } else if (star >= 0 && n < want - 1) {
        tq_raise(ctx, "ValueError",
                 "not enough values to unpack (expected at least %zu, got "
                 "%zu)", want - 1, n);
        rc = -1;
    }
    size_t j = 0;
    for (size_t i = 0; i < want && rc == 0; i++) {
        const tq_node_t *ti = t->list.items[i];
        if ((long)i == star) {
            size_t take = n - (want - 1);
            tq_value_t *rest = tq_list_new(take);
            for (size_t k = 0; k < take; k++)
                tq_list_append(rest, tq_seq_get(items, j++));
            rc = assign(ctx, ti->a, rest);
            tq_decref(rest);
        } else {
            rc = assign(ctx, ti, tq_seq_get(items, j++));
        }
    }
    tq_decref(items);
    return rc;
}

static int assign(tq_ctx_t *ctx, const tq_node_t *t, tq_value_t *v)
{
    switch (t->kind) {
    case TQ_N_NAME:
        bind_name(ctx, t->name, v);
        return 0;
    case TQ_N_ATTR: {
        tq_value_t *obj = eval(ctx, t->a);
        if (!obj)
            return -1;
        ctx->node = t;
        int rc = tq_setattr(ctx, obj, t->name, v);
        tq_decref(obj);
        return rc;
    }
    case TQ_N_SUBSCRIPT: {
        tq_value_t *obj = eval(ctx, t->a);
        if (!obj)
            return -1;
        tq_value_t *key = eval(ctx, t->b);
        if (!key) {
            tq_decref(obj);
            return -1;
        }
        ctx->node = t->b;
        int rc = tq_setitem(ctx, obj, key, v);
        tq_decref(obj);
        tq_decref(key);
        return rc;
    }
    case TQ_N_TUPLE: case TQ_N_LIST:
        return assign_unpack(ctx, t, v);
    default:
        ctx->node = t;
        tq_raise(ctx, "SyntaxError", "cannot assign to expression");
        return -1;
    }
}

/* ---- calls */

typedef struct argbuf {
    tq_value_t **pos;
    size_t npos, pcap;
    const char **kwnames;
    tq_value_t **kwvalues;
    size_t nkw, kcap;
    char **owned_names;   /* names from **kwargs, freed after the call */
    size_t nowned, ocap;
    tq_map_t kwset;       /* kwnames as keys, once there are many of them */
} argbuf_t;

/* Beyond this many keyword arguments, repeats are found with kwset
 * rather than a scan, so that 100,000 of them take linear time. */
#define KW_SCAN_MAX 16

/* Whether name is already among a's keyword arguments. */
static bool kw_seen(argbuf_t *a, const char *name)
{
    if (a->nkw <= KW_SCAN_MAX) {
        for (size_t i = 0; i < a->nkw; i++)
            if (strcmp(a->kwnames[i], name) == 0)
                return true;
        return false;
    }
    if (a->kwset.count == 0)
        for (size_t i = 0; i < a->nkw; i++)
            tq_map_set(&a->kwset, a->kwnames[i], a->kwvalues[i]);
    assert(a->kwset.count == a->nkw);
    return tq_map_get(&a->kwset, name) != NULL;
}

static void argbuf_free(argbuf_t *a)
{
    for (size_t i = 0; i < a->npos; i++)
        tq_decref(a->pos[i]);
    for (size_t i = 0; i < a->nkw; i++)
        tq_decref(a->kwvalues[i]);
    for (size_t i = 0; i < a->nowned; i++)
        free(a->owned_names[i]);
    free(a->pos);
    free(a->kwnames);
    free(a->kwvalues);
    free(a->owned_names);
    tq_map_clear(&a->kwset, NULL);
}

static int add_kw(tq_ctx_t *ctx, argbuf_t *a, const char *name, tq_value_t *v,
                  bool own)
{
    if (kw_seen(a, name)) {
        tq_raise(ctx, "TypeError",
                 "got multiple values for keyword argument '%s'", name);
        tq_decref(v);
        return -1;
    }
    if (own) {
        char *copy = tq_xstrdup(name);
        TQ_PUSH(a->owned_names, a->nowned, a->ocap, copy);
        name = copy;
    }
    if (a->nkw == a->kcap) {
        a->kcap = a->kcap ? a->kcap * 2 : 4;
        a->kwnames = tq_xrealloc(a->kwnames, a->kcap * sizeof *a->kwnames);
        a->kwvalues = tq_xrealloc(a->kwvalues, a->kcap * sizeof *a->kwvalues);
    }
    a->kwnames[a->nkw] = name;
    a->kwvalues[a->nkw++] = v;
    if (a->kwset.count)
        tq_map_set(&a->kwset, name, v);
    return 0;
}

/* Evaluates call arguments (expressions, *x, k=v, **d) into `a`. */
static int eval_args(tq_ctx_t *ctx, const tq_nodelist_t *list, argbuf_t *a)
{
    for (size_t i = 0; i < list->len; i++) {
        const tq_node_t *x = list->items[i];
        if (x->kind == TQ_N_KWARG) {
            tq_value_t *v = eval(ctx, x->a);
            if (!v || add_kw(ctx, a, x->name, v, false) < 0)
                return -1;
        } else if (x->kind == TQ_N_STARRED) {
            tq_value_t *v = eval(ctx, x->a);
            if (!v)
                return -1;
            ctx->node = x;
            tq_value_t *items = tq_iterate(ctx, v);
            tq_decref(v);
            if (!items)
                return -1;
            for (size_t k = 0; k < tq_seq_len(items); k++)
                TQ_PUSH(a->pos, a->npos, a->pcap,
                        tq_incref(tq_seq_get(items, k)));
            tq_decref(items);
        } else if (x->kind == TQ_N_DSTARRED) {
            tq_value_t *v = eval(ctx, x->a);
            if (!v)
                return -1;
            ctx->node = x;
            if (tq_kind(v) != TQ_DICT) {
                tq_raise(ctx, "TypeError",
                         "argument after ** must be a mapping, not %s",
                         tq_type_name(v));
                tq_decref(v);
                return -1;
            }
            for (size_t k = 0; k < tq_dict_len(v); k++) {
                tq_value_t *key = tq_dict_key_at(v, k);
                if (tq_kind(key) != TQ_STR) {
                    tq_raise(ctx, "TypeError", "keywords must be strings");
                    tq_decref(v);
                    return -1;
                }
                if (add_kw(ctx, a, tq_as_str(key),
                           tq_incref(tq_dict_value_at(v, k)), true) < 0) {
                    tq_decref(v);
                    return -1;
                }
            }
            tq_decref(v);
        } else {
            tq_value_t *v = eval(ctx, x);
            if (!v)
                return -1;
            TQ_PUSH(a->pos, a->npos, a->pcap, v);
        }
    }
    return 0;
}

static tq_value_t *eval_call(tq_ctx_t *ctx, const tq_node_t *n)
{
    tq_value_t *fn = eval(ctx, n->a);
    if (!fn)
        return NULL;
    argbuf_t a = {0};
    tq_value_t *r = NULL;
    if (eval_args(ctx, &n->list, &a) == 0) {
        tq_args_t args = {a.pos, a.npos, a.kwnames, a.kwvalues, a.nkw};
        ctx->node = n;
        if (check_interrupt(ctx))
            r = NULL;
        else
            r = tq_call(ctx, fn, &args);
        if (!r && !tq_error_pending(ctx))
            tq_raise(ctx, "ValueError", "%s() failed without an error",
                     tq_type_name(fn));
    }
    argbuf_free(&a);
    tq_decref(fn);
    return r;
}

/* Builds the message's "f() " prefix. */
static const char *fname_of(const tq_function_t *fn)
{
    return fn->name;
}

tq_value_t *tq_function_call(tq_ctx_t *ctx, tq_value_t *fnv,
                             const tq_args_t *args)
{
    tq_function_t *fn = fnv->u.fn;
    const tq_node_t *def = fn->def;
    const tq_nodelist_t *params = &def->list;
    if (ctx->depth >= MAX_CALL_DEPTH)
        return tq_raise(ctx, "RecursionError",
                        "maximum recursion depth exceeded");
    if (check_interrupt(ctx))
        return NULL;
    tq_map_t locals = {0};
    size_t npos_params = 0;
    long star = -1, dstar = -1;
    for (size_t i = 0; i < params->len; i++) {
        if (params->items[i]->op == 1 || params->items[i]->op == 3)
            star = (long)i;
        else if (params->items[i]->op == 2)
            dstar = (long)i;
        else if (star < 0)
            npos_params++;
    }
    bool *kw_used = args->nkw ? tq_xcalloc(args->nkw, sizeof *kw_used) : NULL;
    int rc = 0;
    if (args->npos > npos_params &&
        (star < 0 || params->items[star]->op == 3)) {
        size_t required = 0;
        for (size_t i = 0; i < npos_params; i++)
            if (!fn->defaults[i])
                required++;
        if (required == npos_params)
            tq_raise(ctx, "TypeError",
                     "%s() takes %zu positional argument%s but %zu %s given",
                     fname_of(fn), npos_params, npos_params == 1 ? "" : "s",
                     args->npos, args->npos == 1 ? "was" : "were");
        else
            tq_raise(ctx, "TypeError",
                     "%s() takes from %zu to %zu positional arguments but "
                     "%zu %s given", fname_of(fn), required, npos_params,
                     args->npos, args->npos == 1 ? "was" : "were");
        rc = -1;
    }
    tq_buf_t missing = {0};
    size_t nmissing = 0;
    size_t posi = 0;
    for (size_t i = 0; i < params->len && rc == 0; i++) {
        const tq_node_t *p = params->items[i];
        tq_value_t *v = NULL;
        if (p->op == 3)
            continue;
        if (p->op == 1) {
            size_t rest = args->npos > posi ? args->npos - posi : 0;
            v = tq_tuple_new(rest);
            for (size_t k = 0; k < rest; k++)
                tq_tuple_set(v, k, tq_incref(args->pos[posi + k]));
            posi = args->npos;
        } else if (p->op == 2) {
            v = tq_dict_new();
            for (size_t k = 0; k < args->nkw; k++)
                if (!kw_used[k]) {
                    tq_dict_set_str(v, args->kwnames[k], args->kwvalues[k]);
                    kw_used[k] = true;
                }
        } else {
            bool positional = star < 0 || (long)i < star;
            if (positional && posi < args->npos)
                v = tq_incref(args->pos[posi++]);
            for (size_t k = 0; k < args->nkw; k++) {
                if (!kw_used[k] && strcmp(args->kwnames[k], p->name) == 0) {
                    if (v) {
                        tq_raise(ctx, "TypeError",
                                 "%s() got multiple values for argument '%s'",
                                 fname_of(fn), p->name);
                        tq_decref(v);
                        v = NULL;
                        rc = -1;
                        break;
                    }
                    v = tq_incref(args->kwvalues[k]);
                    kw_used[k] = true;
                }
            }
            if (rc < 0)
                break;
            if (!v && fn->defaults[i])
                v = tq_incref(fn->defaults[i]);
            if (!v) {
                if (nmissing++)
                    tq_buf_add(&missing, " and ");
                tq_buf_printf(&missing, "'%s'", p->name);
                continue;
            }
        }
        tq_decref(tq_map_set(&locals, p->name, v));
    }
    if (rc == 0 && nmissing) {
        tq_raise(ctx, "TypeError",
                 "%s() missing %zu required positional argument%s: %s", fname_of(fn),
                 nmissing, nmissing == 1 ? "" : "s", missing.s);
        rc = -1;
    }
    tq_buf_free(&missing);
    if (rc == 0 && dstar < 0) {
        for (size_t k = 0; k < args->nkw; k++)
            if (!kw_used[k]) {
                tq_raise(ctx, "TypeError",
                         "%s() got an unexpected keyword argument '%s'",
                         fname_of(fn), args->kwnames[k]);
                rc = -1;
                break;
            }
    }
    free(kw_used);
    if (rc < 0) {
        tq_map_clear(&locals, (void (*)(void *))tq_decref);
        return NULL;
    }
    tq_frame_t frame = {0};
    frame.parent = ctx->frame;
    frame.locals = &locals;
    frame.closure = fn->closure;
    frame.unit = fn->unit;
    frame.fname = fn->name;
    const tq_node_t *saved_node = ctx->node;
    ctx->frame = &frame;
    ctx->depth++;
    tq_value_t *result = NULL;
    if (def->kind == TQ_N_LAMBDA) {
        result = eval(ctx, def->a);
    } else {
        tq_value_t *ret = NULL;
        exec_status_t st = exec_block(ctx, &def->list2, &ret);
        if (st == EX_ERROR)
            result = NULL;
        else
            result = ret ? ret : tq_none();
    }
    ctx->depth--;
    ctx->frame = frame.parent;
    if (!result && frame.parent && saved_node)
        tq_ctx_locate(ctx, frame.parent->unit, saved_node,
                      frame.parent->fname, true);
    ctx->node = saved_node;
    free(frame.gnames);
    tq_map_clear(&locals, (void (*)(void *))tq_decref);
    return result;
}

/* Builds a function value for a DEF or LAMBDA node. */
static tq_value_t *make_function(tq_ctx_t *ctx, const tq_node_t *n,
                                 const char *name)
{
    size_t np = n->list.len;
    tq_value_t **defaults = tq_xcalloc(np ? np : 1, sizeof *defaults);
    for (size_t i = 0; i < np; i++) {
        const tq_node_t *p = n->list.items[i];
        if (p->a) {
            defaults[i] = eval(ctx, p->a);
            if (!defaults[i]) {
                for (size_t k = 0; k < i; k++)
                    tq_decref(defaults[k]);
                free(defaults);
                return NULL;
            }
        }
    }
    tq_function_t *fn = tq_xcalloc(1, sizeof *fn);
    fn->name = tq_xstrdup(name);
    fn->unit = ctx->frame->unit;
    tq_arena_retain(fn->unit->arena);
    fn->def = n;
    fn->defaults = defaults;
    fn->nparams = np;
    tq_frame_t *f = ctx->frame;
    if (f->locals || f->closure) {
        /* A snapshot of the enclosing function's names. */
        tq_value_t *snap = tq_dict_new();
        if (f->closure)
            for (size_t i = 0; i < tq_dict_len(f->closure); i++)
                tq_dict_set(snap, tq_dict_key_at(f->closure, i),
                            tq_dict_value_at(f->closure, i));
        if (f->locals)
            for (size_t i = 0; i < f->locals->cap; i++)
                if (f->locals->slots[i].key)
                    tq_dict_set_str(snap, f->locals->slots[i].key,
                                    f->locals->slots[i].value);
        fn->closure = snap;
    }
    return tq_function_value_new(fn);
}

/* ---- expressions */

static tq_value_t *eval_fstring(tq_ctx_t *ctx, const tq_node_t *n)
{
    tq_buf_t b = {0};
    tq_buf_addn(&b, "", 0);
    for (size_t i = 0; i < n->list.len; i++) {
        const tq_node_t *part = n->list.items[i];
        if (part->kind == TQ_N_STR) {
            tq_buf_addn(&b, part->sval, part->slen);
            continue;
        }
        tq_value_t *v = eval(ctx, part->a);
        if (!v) {
            tq_buf_free(&b);
            return NULL;
        }
        if (part->op == 'r' || part->op == 'a' || part->op == 's') {
            tq_value_t *s = part->op == 's' ? tq_str_of(ctx, v)
                                            : tq_repr_str(ctx, v);
            tq_decref(v);
            if (!s) {
                tq_buf_free(&b);
                return NULL;
            }
            v = s;
        }
        char *spec = NULL;
        if (part->b) {
            tq_value_t *sv = eval_fstring(ctx, part->b);
            if (!sv) {
                tq_decref(v);
                tq_buf_free(&b);
                return NULL;
            }
            spec = tq_xstrdup(tq_as_str(sv));
            tq_decref(sv);
        }
        ctx->node = part;
        tq_value_t *s = tq_format_str(ctx, v, spec ? spec : "");
        free(spec);
        tq_decref(v);
        if (!s) {
            tq_buf_free(&b);
            return NULL;
        }
        tq_buf_addn(&b, tq_as_str(s), tq_str_len(s));
        tq_decref(s);
    }
    tq_value_t *r = tq_str_n(b.s, b.len);
    tq_buf_free(&b);
    return r;
}

static tq_value_t *eval_compare(tq_ctx_t *ctx, const tq_node_t *n)
{
    tq_value_t *left = eval(ctx, n->list.items[0]);
    if (!left)
        return NULL;
    for (int i = 0; i < n->op; i++) {
        tq_value_t *right = eval(ctx, n->list.items[i + 1]);
        if (!right) {
            tq_decref(left);
            return NULL;
        }
        ctx->node = n;
        tq_value_t *r = tq_binary(ctx, (tq_binop_t)n->ops[i], left, right);
        tq_decref(left);
        if (!r || i == n->op - 1) {
            tq_decref(right);
            return r;
        }
        int t = tq_truth(ctx, r);
        if (t <= 0) {
            tq_decref(right);
            if (t < 0) {
                tq_decref(r);
                return NULL;
            }
            return r;
        }
        tq_decref(r);
        left = right;
    }
    return left;
}

/* Evaluates list items, expanding *x. */
static tq_value_t *eval_items(tq_ctx_t *ctx, const tq_nodelist_t *l)
{
    tq_value_t *list = tq_list_new(l->len);
    for (size_t i = 0; i < l->len; i++) {
        const tq_node_t *x = l->items[i];
        tq_value_t *v = eval(ctx, x->kind == TQ_N_STARRED ? x->a : x);
        if (!v) {
            tq_decref(list);
            return NULL;
        }
        if (x->kind == TQ_N_STARRED) {
            ctx->node = x;
            tq_value_t *items = tq_iterate(ctx, v);
            tq_decref(v);
            if (!items) {
                tq_decref(list);
                return NULL;
            }
            for (size_t k = 0; k < tq_seq_len(items); k++)
                tq_list_append(list, tq_seq_get(items, k));
            tq_decref(items);
        } else {
            tq_list_append(list, v);
            tq_decref(v);
        }
    }
    return list;
}

/* The names a comprehension target binds, to restore them afterwards. */
static void target_names(const tq_node_t *t, const char **names, size_t *n,
                         size_t max)
{
    if (t->kind == TQ_N_NAME) {
        if (*n < max)
            names[(*n)++] = t->name;
    } else if (t->kind == TQ_N_TUPLE || t->kind == TQ_N_LIST) {
        for (size_t i = 0; i < t->list.len; i++)
            target_names(t->list.items[i], names, n, max);
    } else if (t->kind == TQ_N_STARRED) {
        target_names(t->a, names, n, max);
    }
}

static tq_value_t *eval_listcomp(tq_ctx_t *ctx, const tq_node_t *n)
{
    tq_value_t *iter = eval(ctx, n->c);
    if (!iter)
        return NULL;
    ctx->node = n->c;
    tq_value_t *items = tq_iterate(ctx, iter);
    tq_decref(iter);
    if (!items)
        return NULL;
    /* Save the target names' current bindings: comprehension variables do
     * not leak, as in Python 3. */
    const char *names[16];
    tq_value_t *saved[16];
    size_t nnames = 0;
    target_names(n->b, names, &nnames, 16);
    tq_frame_t *f = ctx->frame;
    tq_map_t *scope = f && f->locals ? f->locals : &ctx->globals;
    for (size_t i = 0; i < nnames; i++) {
        tq_value_t *v = tq_map_get(scope, names[i]);
        saved[i] = v ? tq_incref(v) : NULL;
    }
    bool dict = n->kind == TQ_N_DICTCOMP;
    tq_value_t *out = dict ? tq_dict_new() : tq_list_new(tq_seq_len(items));
    bool ok = true;
    for (size_t i = 0; i < tq_seq_len(items) && ok; i++) {
        if (check_interrupt(ctx) || assign(ctx, n->b, tq_seq_get(items, i))) {
            ok = false;
            break;
        }
        bool keep = true;
        for (size_t k = 0; k < n->list.len && keep; k++) {
            tq_value_t *c = eval(ctx, n->list.items[k]);
            if (!c) {
                ok = false;
                break;
            }
            int t = tq_truth(ctx, c);
            tq_decref(c);
            if (t < 0)
                ok = false;
            keep = t > 0;
        }
        if (!ok || !keep)
            continue;
        tq_value_t *v = eval(ctx, n->a);
        if (!v) {
            ok = false;
            break;
        }
        if (dict) {
            tq_value_t *val = eval(ctx, n->d);
            ctx->node = n->a;
            if (!val || !tq_hashable(ctx, v)) {
                tq_decref(v);
                tq_decref(val);
                ok = false;
                break;
            }
            tq_dict_set(out, v, val);
            tq_decref(val);
        } else {
            tq_list_append(out, v);
        }
        tq_decref(v);
    }
    for (size_t i = 0; i < nnames; i++) {
        if (saved[i])
            tq_decref(tq_map_set(scope, names[i], saved[i]));
        else
            tq_decref(tq_map_del(scope, names[i]));
    }
    tq_decref(items);
    if (!ok) {
        tq_decref(out);
        return NULL;
    }
    return out;
}

/* Deepest expression nesting evaluated at once (calls included): beyond
 * it, a cell is an error rather than a C stack overflow. */
#define MAX_EVAL_DEPTH 4000

static tq_value_t *eval_node(tq_ctx_t *ctx, const tq_node_t *n);

static tq_value_t *eval(tq_ctx_t *ctx, const tq_node_t *n)
{
    if (++ctx->eval_depth > MAX_EVAL_DEPTH) {
        ctx->eval_depth--;
        ctx->node = n;
        return tq_raise(ctx, "RecursionError",
                        "expression too deeply nested to evaluate");
    }
    tq_value_t *v = eval_node(ctx, n);
    ctx->eval_depth--;
    return v;
}

static tq_value_t *eval_node(tq_ctx_t *ctx, const tq_node_t *n)
{
    switch (n->kind) {
    case TQ_N_NAME: {
        tq_value_t *v = lookup_h(ctx, n->name, n->hash);
        if (!v && !tq_error_pending(ctx)) {
            ctx->node = n;
            raise_name_error(ctx, n->name);
        }
        return v;
    }
    case TQ_N_INT: return tq_int(n->ival);
    case TQ_N_FLOAT: return tq_float(n->fval);
    case TQ_N_STR: return tq_str_n(n->sval, n->slen);
    case TQ_N_NONE: return tq_none();
    case TQ_N_TRUE: return tq_bool(true);
    case TQ_N_FALSE: return tq_bool(false);
    case TQ_N_FSTRING: return eval_fstring(ctx, n);
    case TQ_N_BINOP: {
        tq_value_t *a = eval(ctx, n->a);
        if (!a)
            return NULL;
        tq_value_t *b = eval(ctx, n->b);
        if (!b) {
            tq_decref(a);
            return NULL;
        }
        ctx->node = n;
        tq_value_t *r = tq_binary(ctx, (tq_binop_t)n->op, a, b);
        tq_decref(a);
        tq_decref(b);
        return r;
    }
    case TQ_N_UNOP: {
        tq_value_t *a = eval(ctx, n->a);
        if (!a)
            return NULL;
        ctx->node = n;
        tq_value_t *r = tq_unary(ctx, (tq_unop_t)n->op, a);
        tq_decref(a);
        return r;
    }
    case TQ_N_AND: case TQ_N_OR: {
        tq_value_t *a = eval(ctx, n->a);
        if (!a)
            return NULL;
        ctx->node = n;
        int t = tq_truth(ctx, a);
        if (t < 0) {
            tq_decref(a);
            return NULL;
        }
        if ((n->kind == TQ_N_AND) != (t != 0))
            return a;
        tq_decref(a);
        return eval(ctx, n->b);
    }
    case TQ_N_COMPARE:
        return eval_compare(ctx, n);
    case TQ_N_IFEXP: {
        tq_value_t *c = eval(ctx, n->b);
        if (!c)
            return NULL;
        int t = tq_truth(ctx, c);
        tq_decref(c);
        if (t < 0)
            return NULL;
        return eval(ctx, t ? n->a : n->c);
    }
    case TQ_N_CALL:
        return eval_call(ctx, n);
    case TQ_N_ATTR: {
        tq_value_t *obj = eval(ctx, n->a);
        if (!obj)
            return NULL;
        ctx->node = n;
        tq_value_t *r = tq_getattr(ctx, obj, n->name);
        tq_decref(obj);
        return r;
    }
    case TQ_N_SUBSCRIPT: {
        tq_value_t *obj = eval(ctx, n->a);
        if (!obj)
            return NULL;
        tq_value_t *key = eval(ctx, n->b);
        if (!key) {
            tq_decref(obj);
            return NULL;
        }
        ctx->node = n->b;
        tq_value_t *r = tq_getitem(ctx, obj, key);
        tq_decref(obj);
        tq_decref(key);
        return r;
    }
    case TQ_N_SLICE: {
        tq_value_t *parts[3] = {NULL, NULL, NULL};
        const tq_node_t *nodes[3] = {n->a, n->b, n->c};
        for (int i = 0; i < 3; i++) {
            if (!nodes[i])
                continue;
            parts[i] = eval(ctx, nodes[i]);
            if (!parts[i]) {
                for (int k = 0; k < i; k++)
                    tq_decref(parts[k]);
                return NULL;
            }
        }
        tq_value_t *s = tq_slice_new(parts[0], parts[1], parts[2]);
        for (int i = 0; i < 3; i++)
            tq_decref(parts[i]);
        return s;
    }
    case TQ_N_TUPLE: {
        tq_value_t *l = eval_items(ctx, &n->list);
        if (l)
            l->kind = TQ_TUPLE;
        return l;
    }
    case TQ_N_LIST:
        return eval_items(ctx, &n->list);
    case TQ_N_DICT: {
        tq_value_t *d = tq_dict_new();
        for (size_t i = 0; i < n->list.len; i++) {
            const tq_node_t *kn = n->list.items[i];
            if (kn->kind == TQ_N_DSTARRED) {
                tq_value_t *src = eval(ctx, kn->a);
                if (!src) {
                    tq_decref(d);
                    return NULL;
                }
                if (tq_kind(src) != TQ_DICT) {
                    ctx->node = kn;
                    tq_raise(ctx, "TypeError",
                             "'%s' object is not a mapping",
                             tq_type_name(src));
                    tq_decref(src);
                    tq_decref(d);
                    return NULL;
                }
                for (size_t k = 0; k < tq_dict_len(src); k++)
                    tq_dict_set(d, tq_dict_key_at(src, k),
                                tq_dict_value_at(src, k));
                tq_decref(src);
                continue;
            }
            tq_value_t *k = eval(ctx, kn);
            if (!k) {
                tq_decref(d);
                return NULL;
            }
            tq_value_t *v = eval(ctx, n->list2.items[i]);
            ctx->node = kn;
            if (!v || !tq_hashable(ctx, k)) {
                tq_decref(k);
                tq_decref(v);
                tq_decref(d);
                return NULL;
            }
            tq_dict_set(d, k, v);
            tq_decref(k);
            tq_decref(v);
        }
        return d;
    }
    case TQ_N_LISTCOMP: case TQ_N_DICTCOMP:
        return eval_listcomp(ctx, n);
    case TQ_N_LAMBDA:
        return make_function(ctx, n, "<lambda>");
    case TQ_N_MAGIC:
        /* `x = %sql ...`: the magic hands back a value to keep */
        ctx->node = n;
        ctx->magic_value = true;
        return run_magic(ctx, n);
    case TQ_N_STARRED:
        ctx->node = n;
        return tq_raise(ctx, "SyntaxError",
                        "can't use starred expression here");
    case TQ_N_KWARG: case TQ_N_DSTARRED:
        ctx->node = n;
        return tq_raise(ctx, "SyntaxError", "invalid syntax");
    default:
        ctx->node = n;
        return tq_raise(ctx, "SyntaxError", "invalid syntax");
    }
}

/* ---- statements */

static exec_status_t exec_stmt(tq_ctx_t *ctx, const tq_node_t *s,
                               tq_value_t **ret);

static exec_status_t exec_block(tq_ctx_t *ctx, const tq_nodelist_t *body,
                                tq_value_t **ret)
{
    for (size_t i = 0; i < body->len; i++) {
        exec_status_t st = exec_stmt(ctx, body->items[i], ret);
        if (st != EX_NORMAL)
            return st;
    }
    return EX_NORMAL;
}

static exec_status_t exec_augassign(tq_ctx_t *ctx, const tq_node_t *s)
{
    const tq_node_t *t = s->a;
    tq_value_t *obj = NULL, *key = NULL, *cur = NULL, *val = NULL, *r = NULL;
    exec_status_t st = EX_ERROR;
    if (t->kind == TQ_N_NAME) {
        cur = lookup_h(ctx, t->name, t->hash);
        if (!cur) {
            ctx->node = t;
            if (!tq_error_pending(ctx))
                raise_name_error(ctx, t->name);
            return EX_ERROR;
        }
    } else {
        obj = eval(ctx, t->a);
        if (!obj)
            return EX_ERROR;
        if (t->kind == TQ_N_SUBSCRIPT) {
            key = eval(ctx, t->b);
            if (!key)
                goto done;
            ctx->node = t->b;
            cur = tq_getitem(ctx, obj, key);
        } else {
            ctx->node = t;
            cur = tq_getattr(ctx, obj, t->name);
        }
        if (!cur)
            goto done;
    }
    val = eval(ctx, s->b);
    if (!val)
        goto done;
    ctx->node = s;
    if (s->op == TQ_OP_ADD && t->kind == TQ_N_NAME &&
        tq_kind(cur) == TQ_STR && tq_kind(val) == TQ_STR && cur->refs == 2 &&
        !cur->immortal &&
        cur->u.str.len + val->u.str.len <= TQ_MAX_STR_BYTES) {
        /* s += '...' on a string only this name holds grows it in place,
         * as CPython does, so building a string in a loop is linear. */
        size_t n = cur->u.str.len, m = val->u.str.len;
        cur->u.str.s = tq_xrealloc(cur->u.str.s, n + m + 1);
        memcpy(cur->u.str.s + n, val->u.str.s, m);
        cur->u.str.s[n + m] = 0;
        cur->u.str.len = n + m;
        r = tq_incref(cur);
    } else if (s->op == TQ_OP_ADD && tq_kind(cur) == TQ_LIST &&
               tq_kind(val) == TQ_LIST &&
               tq_seq_len(cur) + tq_seq_len(val) <= TQ_MAX_SEQ_ITEMS) {
        /* list += list extends in place, as in Python; the length is read
         * once, so x += x doubles x (past the limit, tq_binary raises). */
        size_t n = tq_seq_len(val);
        for (size_t i = 0; i < n; i++)
            tq_list_append(cur, tq_seq_get(val, i));
        r = tq_incref(cur);
    } else {
        r = tq_binary(ctx, (tq_binop_t)s->op, cur, val);
    }
    if (!r)
        goto done;
    if (t->kind == TQ_N_NAME) {
        bind_name(ctx, t->name, r);
        st = EX_NORMAL;
    } else if (t->kind == TQ_N_SUBSCRIPT) {
        ctx->node = t->b;
        st = tq_setitem(ctx, obj, key, r) < 0 ? EX_ERROR : EX_NORMAL;
    } else {
        ctx->node = t;
        st = tq_setattr(ctx, obj, t->name, r) < 0 ? EX_ERROR : EX_NORMAL;
    }
done:
    tq_decref(obj);
    tq_decref(key);
    tq_decref(cur);
    tq_decref(val);
    tq_decref(r);
    return st;
}

/* Applies decorators bottom-up to a new definition. */
static tq_value_t *decorate(tq_ctx_t *ctx, tq_value_t **decos, size_t n,
                            tq_value_t *v)
{
    for (size_t i = n; i-- > 0;) {
        tq_value_t *r = tq_call_pos(ctx, decos[i], 1, &v);
        tq_decref(v);
        if (!r)
            return NULL;
        v = r;
    }
    return v;
}

static tq_value_t **eval_decorators(tq_ctx_t *ctx, const tq_nodelist_t *l)
{
    tq_value_t **decos = tq_xcalloc(l->len ? l->len : 1, sizeof *decos);
    for (size_t i = 0; i < l->len; i++) {
        decos[i] = eval(ctx, l->items[i]);
        if (!decos[i]) {
            for (size_t k = 0; k < i; k++)
                tq_decref(decos[k]);
            free(decos);
            return NULL;
        }
    }
    return decos;
}

static void free_decorators(tq_value_t **decos, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tq_decref(decos[i]);
    free(decos);
}

static exec_status_t exec_class(tq_ctx_t *ctx, const tq_node_t *s)
{
    tq_value_t **decos = eval_decorators(ctx, &s->list3);
    if (!decos)
        return EX_ERROR;
    argbuf_t a = {0};
    tq_value_t *ns = NULL, *result = NULL;
    exec_status_t st = EX_ERROR;
    if (eval_args(ctx, &s->list, &a) < 0)
        goto done;
    ns = tq_dict_new();
    tq_frame_t frame = *ctx->frame;
    frame.parent = ctx->frame;
    frame.classns = ns;
    frame.gnames = NULL;
    frame.ngnames = frame.gcap = 0;
    bool nested = ctx->frame->classns != NULL;
    ctx->frame = &frame;
    tq_value_t *ret = NULL;
    exec_status_t bst = exec_block(ctx, &s->list2, &ret);
    ctx->frame = frame.parent;
    free(frame.gnames);
    tq_decref(ret);
    if (bst == EX_ERROR)
        goto done;
    if (nested) {
        /* class Meta: inside a model body is a dict of its names. */
        result = tq_incref(ns);
    } else {
        tq_args_t args = {a.pos, a.npos, a.kwnames, a.kwvalues, a.nkw};
        ctx->node = s;
        if (!ctx->model_declare) {
            tq_raise(ctx, "TypeError",
                     "class statements declare models, and no database "
                     "layer is linked");
            goto done;
        }
        result = ctx->model_declare(ctx, s->name, &args, ns);
        if (!result) {
            if (!tq_error_pending(ctx))
                tq_raise(ctx, "TypeError", "cannot declare model '%s'",
                         s->name);
            goto done;
        }
    }
    ctx->node = s;
    result = decorate(ctx, decos, s->list3.len, result);
    if (!result)
        goto done;
    bind_name(ctx, s->name, result);
    st = EX_NORMAL;
done:
    tq_decref(result);
    tq_decref(ns);
    argbuf_free(&a);
    free_decorators(decos, s->list3.len);
    return st;
}

static exec_status_t exec_for(tq_ctx_t *ctx, const tq_node_t *s,
                              tq_value_t **ret)
{
    tq_value_t *iter = eval(ctx, s->b);
    if (!iter)
        return EX_ERROR;
    ctx->node = s->b;
    /* A range is counted, not materialised. */
    int64_t rstart, rstep, rcount;
    bool is_range = tq_range_get(iter, &rstart, &rstep, &rcount);
    tq_value_t *items = is_range ? NULL : tq_iterate(ctx, iter);
    tq_decref(iter);
    if (!is_range && !items)
        return EX_ERROR;
    size_t n = is_range ? (size_t)rcount : tq_seq_len(items);
    exec_status_t st = EX_NORMAL;
    bool broke = false;
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (check_interrupt(ctx)) {
            st = EX_ERROR;
            break;
        }
        if (is_range) {
            tq_value_t *iv = tq_int(rstart + (int64_t)i * rstep);
            rc = assign(ctx, s->a, iv);
            tq_decref(iv);
        } else {
            rc = assign(ctx, s->a, tq_seq_get(items, i));
        }
        if (rc < 0) {
            st = EX_ERROR;
            break;
        }
        st = exec_block(ctx, &s->list, ret);
        if (st == EX_BREAK) {
            st = EX_NORMAL;
            broke = true;
            break;
        }
        if (st == EX_CONTINUE)
            st = EX_NORMAL;
        if (st != EX_NORMAL)
            break;
    }
    tq_decref(items);
    if (st == EX_NORMAL && !broke && s->list2.len)
        st = exec_block(ctx, &s->list2, ret);
    return st;
}

static exec_status_t exec_while(tq_ctx_t *ctx, const tq_node_t *s,
                                tq_value_t **ret)
{
    for (;;) {
        if (check_interrupt(ctx))
            return EX_ERROR;
        tq_value_t *c = eval(ctx, s->a);
        if (!c)
            return EX_ERROR;
        int t = tq_truth(ctx, c);
        tq_decref(c);
        if (t < 0)
            return EX_ERROR;
        if (!t)
            break;
        exec_status_t st = exec_block(ctx, &s->list, ret);
        if (st == EX_BREAK)
            return EX_NORMAL;
        if (st == EX_CONTINUE)
            continue;
        if (st != EX_NORMAL)
            return st;
    }
    if (s->list2.len)
        return exec_block(ctx, &s->list2, ret);
    return EX_NORMAL;
}

/* Whether the value `cls` of an `except` clause catches `ename`: an
 * exception class the error is-a, or a tuple holding one. */
static bool except_value_matches(const tq_value_t *cls, const char *ename)
{
    if (tq_kind(cls) == TQ_TUPLE) {
        for (size_t i = 0; i < tq_seq_len(cls); i++)
            if (except_value_matches(tq_seq_get(cls, i), ename))
                return true;
        return false;
    }
    return tq_kind(cls) == TQ_BUILTIN && cls->u.bi.is_class &&
           tq_error_known(cls->u.bi.name) &&
           tq_error_is_a(ename, cls->u.bi.name);
}

/* Whether an `except` clause's type expression catches `ename`: the error
 * is-a the named class in base/errors.h's catalogue. Types are matched by
 * name (ValueError, User.DoesNotExist, a tuple of them); a name outside
 * the catalogue that the cell bound to a class or a tuple of classes
 * (`except wanted:`) is looked up without raising, since an error is
 * pending. A bare `except` catches everything. */
static bool except_matches(tq_ctx_t *ctx, const tq_node_t *t,
                           const char *ename)
{
    if (!t)
        return true;
    if (t->kind == TQ_N_TUPLE) {
        for (size_t i = 0; i < t->list.len; i++)
            if (except_matches(ctx, t->list.items[i], ename))
                return true;
        return false;
    }
    const char *name = t->kind == TQ_N_NAME || t->kind == TQ_N_ATTR
                           ? t->name : NULL;
    if (!name)
        return false;
    if (t->kind == TQ_N_ATTR || tq_error_known(name))
        return tq_error_is_a(ename, name);
    assert(tq_error_pending(ctx));
    const tq_frame_t *f = ctx->frame;
    const tq_value_t *bound = f && f->locals ? tq_map_get(f->locals, name)
                                             : NULL;
    if (!bound && f && f->closure)
        bound = tq_dict_get_str(f->closure, name);
    if (!bound)
        bound = tq_map_get(&ctx->globals, name);
    if (bound)
        return except_value_matches(bound, ename);
    return strcmp(ename, name) == 0;
}

/* The pending error, moved out of the context while `finally` runs. */
typedef struct saved_error {
    char *ename, *evalue;
    size_t evalue_len;
    tq_value_t *exc;
    char **tb;
    size_t ntb, tbcap;
} saved_error_t;

static void save_error(tq_ctx_t *ctx, saved_error_t *e)
{
    e->ename = ctx->ename;
    e->evalue = ctx->evalue;
    e->evalue_len = ctx->evalue_len;
    e->exc = ctx->exc;
    e->tb = ctx->tb;
    e->ntb = ctx->ntb;
    e->tbcap = ctx->tbcap;
    ctx->ename = ctx->evalue = NULL;
    ctx->evalue_len = 0;
    ctx->exc = NULL;
    ctx->tb = NULL;
    ctx->ntb = ctx->tbcap = 0;
    tq_ctx_reset_error(ctx);
}

static void restore_error(tq_ctx_t *ctx, saved_error_t *e)
{
    tq_ctx_reset_error(ctx);
    ctx->err = true;
    ctx->ename = e->ename;
    ctx->evalue = e->evalue;
    ctx->evalue_len = e->evalue_len;
    ctx->exc = e->exc;
    ctx->tb = e->tb;
    ctx->ntb = e->ntb;
    ctx->tbcap = e->tbcap;
    ctx->located = true;
}

static void drop_error(saved_error_t *e)
{
    free(e->ename);
    free(e->evalue);
    tq_decref(e->exc);
    for (size_t i = 0; i < e->ntb; i++)
        free(e->tb[i]);
    free(e->tb);
}

static exec_status_t exec_try(tq_ctx_t *ctx, const tq_node_t *s,
                              tq_value_t **ret)
{
    exec_status_t st = exec_block(ctx, &s->list, ret);
    if (st == EX_ERROR) {
        for (size_t i = 0; i < s->list2.len; i++) {
            const tq_node_t *h = s->list2.items[i];
            if (!except_matches(ctx, h->a, ctx->ename))
                continue;
            /* The clause handles `exc`: a bare `raise` in it (or in what
             * it calls) raises it again. */
            tq_value_t *exc = tq_ctx_error_value(ctx);
            tq_ctx_reset_error(ctx);
            if (h->name)
                bind_name(ctx, h->name, exc);
            tq_value_t *outer = ctx->handling;
            ctx->handling = exc;
            st = exec_block(ctx, &h->list, ret);
            ctx->handling = outer;
            tq_decref(exc);
            if (h->name) {
                /* As in Python 3, the name is unbound after the clause. */
                saved_error_t saved = {0};
                bool had_error = st == EX_ERROR;
                if (had_error)
                    save_error(ctx, &saved);
                if (unbind_name(ctx, h->name) < 0)
                    tq_ctx_reset_error(ctx);
                if (had_error)
                    restore_error(ctx, &saved);
            }
            break;
        }
    } else if (st == EX_NORMAL && s->list3.len) {
        st = exec_block(ctx, &s->list3, ret);
    }
    if (s->list4.len) {
        saved_error_t saved = {0};
        bool had_error = st == EX_ERROR;
        if (had_error)
            save_error(ctx, &saved);
        exec_status_t fst = exec_block(ctx, &s->list4, ret);
        if (fst != EX_NORMAL) {
            if (had_error)
                drop_error(&saved);
            return fst;
        }
        if (had_error)
            restore_error(ctx, &saved);
    }
    return st;
}

static tq_value_t *run_magic(tq_ctx_t *ctx, const tq_node_t *s)
{
    if (!ctx->magic_run)
        return tq_raise(ctx, "ValueError", "Line magic function `%%%s` not "
                        "found.", s->name);
    tq_value_t *v = ctx->magic_run(ctx, s->name, s->sval,
                                   s->kind == TQ_N_CELL_MAGIC ? s->body : NULL);
    if (!v && !tq_error_pending(ctx))
        tq_raise(ctx, "ValueError", "%%%s failed", s->name);
    return v;
}

static exec_status_t exec_stmt(tq_ctx_t *ctx, const tq_node_t *s,
                               tq_value_t **ret)
{
    ctx->node = s;
    switch (s->kind) {
    case TQ_N_EXPR: {
        tq_value_t *v = eval(ctx, s->a);
        if (!v)
            return EX_ERROR;
        tq_decref(v);
        return EX_NORMAL;
    }
    case TQ_N_ASSIGN: {
        tq_value_t *v = eval(ctx, s->a);
        if (!v)
            return EX_ERROR;
        for (size_t i = 0; i < s->list.len; i++) {
            if (assign(ctx, s->list.items[i], v) < 0) {
                tq_decref(v);
                return EX_ERROR;
            }
        }
        tq_decref(v);
        return EX_NORMAL;
    }
    case TQ_N_AUGASSIGN:
        return exec_augassign(ctx, s);
    case TQ_N_DEF: {
        tq_value_t **decos = eval_decorators(ctx, &s->list3);
        if (!decos)
            return EX_ERROR;
        tq_value_t *fn = make_function(ctx, s, s->name);
        ctx->node = s;
        if (fn)
            fn = decorate(ctx, decos, s->list3.len, fn);
        free_decorators(decos, s->list3.len);
        if (!fn)
            return EX_ERROR;
        bind_name(ctx, s->name, fn);
        tq_decref(fn);
        return EX_NORMAL;
    }
    case TQ_N_CLASS:
        return exec_class(ctx, s);
    case TQ_N_TRY:
        return exec_try(ctx, s, ret);
    case TQ_N_RETURN: {
        tq_value_t *v = s->a ? eval(ctx, s->a) : tq_none();
        if (!v)
            return EX_ERROR;
        tq_decref(*ret);
        *ret = v;
        return EX_RETURN;
    }
    case TQ_N_IF:
        /* An elif chain is an IF alone in each else block: followed in a
         * loop, so that 60,000 elifs need no deep C stack. */
        for (;;) {
            tq_value_t *c = eval(ctx, s->a);
            if (!c)
                return EX_ERROR;
            int t = tq_truth(ctx, c);
            tq_decref(c);
            if (t < 0)
                return EX_ERROR;
            if (t)
                return exec_block(ctx, &s->list, ret);
            if (s->list2.len != 1 || s->list2.items[0]->kind != TQ_N_IF)
                return exec_block(ctx, &s->list2, ret);
            s = s->list2.items[0];
            ctx->node = s;
        }
    case TQ_N_WHILE:
        return exec_while(ctx, s, ret);
    case TQ_N_FOR:
        return exec_for(ctx, s, ret);
    case TQ_N_BREAK:
        return EX_BREAK;
    case TQ_N_CONTINUE:
        return EX_CONTINUE;
    case TQ_N_PASS:
        return EX_NORMAL;
    case TQ_N_DEL:
        for (size_t i = 0; i < s->list.len; i++) {
            const tq_node_t *t = s->list.items[i];
            ctx->node = t;
            if (t->kind == TQ_N_NAME) {
                if (unbind_name(ctx, t->name) < 0)
                    return EX_ERROR;
            } else if (t->kind == TQ_N_SUBSCRIPT) {
                tq_value_t *obj = eval(ctx, t->a);
                if (!obj)
                    return EX_ERROR;
                tq_value_t *key = eval(ctx, t->b);
                int rc = key ? tq_delitem(ctx, obj, key) : -1;
                tq_decref(obj);
                tq_decref(key);
                if (rc < 0)
                    return EX_ERROR;
            } else {
                tq_raise(ctx, "TypeError", "cannot delete attributes");
                return EX_ERROR;
            }
        }
        return EX_NORMAL;
    case TQ_N_GLOBAL: {
        tq_frame_t *f = ctx->frame;
        for (size_t i = 0; i < s->list.len; i++)
            TQ_PUSH(f->gnames, f->ngnames, f->gcap, s->list.items[i]->name);
        return EX_NORMAL;
    }
    case TQ_N_RAISE: {
        if (!s->a) {
            if (ctx->handling)
                tq_raise_exception(ctx, ctx->handling, true);
            else
                tq_raise(ctx, "RuntimeError",
                         "No active exception to reraise");
            return EX_ERROR;
        }
        tq_value_t *e = eval(ctx, s->a);
        if (!e)
            return EX_ERROR;
        ctx->node = s;
        if (tq_kind(e) == TQ_BUILTIN) {
            /* raise ValueError: the class alone. */
            tq_value_t *inst = tq_call_pos(ctx, e, 0, NULL);
            tq_decref(e);
            if (!inst)
                return EX_ERROR;
            e = inst;
        }
        if (tq_exception_name(e))
            tq_raise_exception(ctx, e, false);
        else
            tq_raise(ctx, "TypeError",
                     "exceptions must derive from BaseException");
        tq_decref(e);
        return EX_ERROR;
    }
    case TQ_N_ASSERT: {
        tq_value_t *c = eval(ctx, s->a);
        if (!c)
            return EX_ERROR;
        int t = tq_truth(ctx, c);
        tq_decref(c);
        if (t < 0)
            return EX_ERROR;
        if (t)
            return EX_NORMAL;
        /* AssertionError(message), or AssertionError() without one. */
        tq_value_t *args = tq_tuple_new(s->b ? 1 : 0);
        if (s->b) {
            tq_value_t *m = eval(ctx, s->b);
            if (!m) {
                tq_decref(args);
                return EX_ERROR;
            }
            tq_tuple_set(args, 0, m);
        }
        tq_value_t *exc = tq_exception_new("AssertionError", args);
        tq_decref(args);
        ctx->node = s;
        tq_raise_exception(ctx, exc, false);
        tq_decref(exc);
        return EX_ERROR;
    }
    case TQ_N_MAGIC: case TQ_N_CELL_MAGIC: {
        tq_value_t *v = run_magic(ctx, s);
        if (!v)
            return EX_ERROR;
        tq_decref(v);
        return EX_NORMAL;
    }
    default:
        tq_raise(ctx, "SyntaxError", "invalid syntax");
        return EX_ERROR;
    }
}

/* Runs statements at the level of `frame`; the last expression's value
 * goes to *last. */
static int exec_top(tq_ctx_t *ctx, const tq_nodelist_t *body,
                    tq_value_t **last)
{
    *last = NULL;
    for (size_t i = 0; i < body->len; i++) {
        const tq_node_t *s = body->items[i];
        bool is_last = i + 1 == body->len;
        if (is_last && ((s->kind == TQ_N_EXPR && !s->flag) ||
                        s->kind == TQ_N_MAGIC || s->kind == TQ_N_CELL_MAGIC)) {
            ctx->node = s;
            tq_value_t *v = s->kind == TQ_N_EXPR ? eval(ctx, s->a)
                                                 : run_magic(ctx, s);
            if (!v)
                return -1;
            *last = v;
            return 0;
        }
        tq_value_t *ret = NULL;
        exec_status_t st = exec_stmt(ctx, s, &ret);
        tq_decref(ret);
        if (st == EX_ERROR)
            return -1;
    }
    return 0;
}

int tq_exec_module(tq_ctx_t *ctx, tq_unit_t *unit, const tq_nodelist_t *body,
                   tq_value_t **last)
{
    tq_frame_t frame = {0};
    frame.unit = unit;
    tq_frame_t *saved = ctx->frame;
    ctx->frame = &frame;
    ctx->depth = 0;
    ctx->eval_depth = 0;
    ctx->node = NULL;
    int rc = exec_top(ctx, body, last);
    ctx->frame = saved;
    free(frame.gnames);
    if (rc < 0 && !tq_error_pending(ctx))
        tq_raise(ctx, "ValueError", "the cell failed without an error");
    return rc;
}

tq_value_t *tq_eval_expr(tq_ctx_t *ctx, tq_unit_t *unit,
                         const tq_node_t *expr)
{
    tq_frame_t frame = {0};
    frame.unit = unit;
    tq_frame_t *saved = ctx->frame;
    ctx->frame = &frame;
    tq_value_t *v = eval(ctx, expr);
    ctx->frame = saved;
    return v;
}

tq_value_t *tq_ctx_run_source(tq_ctx_t *ctx, const char *source)
{
    tq_unit_t *unit;
    tq_nodelist_t body;
    if (run_cache.unit && strcmp(run_cache.unit->source, source) == 0) {
        unit = run_cache.unit;
        tq_arena_retain(unit->arena);
        body = run_cache.body;
    } else {
        unit = tq_unit_new(source, strlen(source), 0);
        tq_syntax_error_t err = {0};
        if (tq_parse(unit->arena, unit->source, unit->len, &body, &err) <
            0) {
            tq_raise(ctx, "SyntaxError", "%s", err.msg);
            tq_unit_release(&unit);
            return NULL;
        }
        tq_unit_release(&run_cache.unit);
        run_cache.unit = unit;
        tq_arena_retain(unit->arena);
        run_cache.body = body;
    }
    /* Run at the caller's level: the same names, this unit's source. */
    tq_frame_t frame = {0};
    if (ctx->frame) {
        frame = *ctx->frame;
        frame.gnames = NULL;
        frame.ngnames = frame.gcap = 0;
    }
    frame.parent = ctx->frame;
    frame.unit = unit;
    tq_frame_t *saved = ctx->frame;
    const tq_node_t *saved_node = ctx->node;
    ctx->frame = &frame;
    tq_value_t *last = NULL;
    int rc = exec_top(ctx, &body, &last);
    ctx->frame = saved;
    ctx->node = saved_node;
    free(frame.gnames);
    tq_unit_release(&unit);
    if (rc < 0) {
        tq_decref(last);
        return NULL;
    }
    return last ? last : tq_none();
}
