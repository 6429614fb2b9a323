/*
 * This file computes the in-memory copy of a computed column (df['x'] =
 * df['a'] * 2 + df['b'], which SQLite holds as a virtual column) from the
 * copies of the columns it reads, with SQLite's arithmetic: + - * and
 * negation, integers exactly and as reals for the rows where they
 * overflow, NULL through every operation and for a NaN result. Rows go
 * 512 at a time through each node, as integers or as doubles (NaN for
 * NULL) when no integer overflows (one vectorisable loop per node), else
 * row by row with each value's own kind. Anything else (division, functions, text) leaves the column
 * without a copy: it is read when first needed.
 *
 * The copy is computed when first looked up, from the arrays its columns
 * held when it was assigned (shared with them, so that an assignment in
 * place or a dropped entry in between changes nothing).
 *
 * Ownership: the entry made is adopted by its store (frame_cols_adopt);
 * its recipe owns the tree and its shares of the arrays.
 */
#include "frame/frame_cols.h"
#include "frame/frame_methods.h"
#include "sql/dialect.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One value as SQLite's arithmetic yields it: NULL, an integer or a
 * real. */
typedef struct num {
    char type;              /* 'n' NULL, 'i', 'r' */
    int64_t i;
    double r;
} num_t;

/* a op b as SQLite's OP_Add, OP_Subtract and OP_Multiply compute it:
 * integers exactly, as reals when that overflows; a NaN result is NULL. */
static num_t arith(int op, num_t a, num_t b)
{
    if (a.type == 'n' || b.type == 'n')
        return (num_t){'n', 0, 0};
    if (a.type == 'i' && b.type == 'i') {
        int64_t r;
        bool over = op == '+' ? __builtin_add_overflow(a.i, b.i, &r)
                  : op == '-' ? __builtin_sub_overflow(a.i, b.i, &r)
                              : __builtin_mul_overflow(a.i, b.i, &r);
        if (!over)
            return (num_t){'i', r, 0};
    }
    double x = a.type == 'i' ? (double)a.i : a.r,
           y = b.type == 'i' ? (double)b.i : b.r;
    double r = op == '+' ? x + y : op == '-' ? x - y : x * y;
    return isnan(r) ? (num_t){'n', 0, 0} : (num_t){'r', 0, r};
}

/* An arithmetic tree resolved against the copies: a column, a literal,
 * a negation or a binary operation. */
typedef struct enode {
    const fcol_t *c;            /* a column: &own once kept */
    fcol_t own;                 /* the column's arrays, shared (keep()) */
    num_t lit;                  /* a literal (when !c and !nkids) */
    int op;                     /* '+' '-' '*', or 'n' for negation */
    struct enode *kid[2];
    int nkids;
} enode_t;

static void enode_free(enode_t *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->nkids; i++)
        enode_free(e->kid[i]);
    if (e->c == &e->own) {
        fc_array_free(e->own.iv);
        fc_array_free(e->own.x);
    }
    free(e);
}

/* Makes the tree hold its columns' arrays itself (shared): the columns'
 * entries may be dropped, or their columns assigned, before it is run,
 * and it computes what they held when the column was assigned. */
static void keep(enode_t *e)
{
    for (int i = 0; i < e->nkids; i++)
        keep(e->kid[i]);
    if (!e->c || e->c == &e->own)
        return;
    e->own = *e->c;
    e->own.name = NULL;
    e->own.recipe = NULL;
    e->own.iv = e->own.iv ? fc_array_share(e->own.iv) : NULL;
    e->own.x = e->own.x ? fc_array_share(e->own.x) : NULL;
    e->c = &e->own;
}

/* What a computed column's copy is computed from (fcol_t's recipe), and
 * how the column its values are stored in stores them (the dialect's
 * affinity: 'i', 'r', or 'b' as they are, a virtual column's). */
struct fc_recipe {
    enode_t *tree;
    size_t n;
    char affinity;
};

/* fc_recipe_free: see frame_cols.h. */
void fc_recipe_free(struct fc_recipe *r)
{
    if (!r)
        return;
    enode_free(r->tree);
    free(r);
}

/* e resolved (owned), or NULL when it is not plain arithmetic (+ - * and
 * negation) over int64/float64 columns held in memory and number
 * literals. */
static enode_t *resolve(tq_ctx_t *ctx, fstore_t *st, const qexpr_t *e,
                        size_t n, int depth)
{
    if (depth > 16)
        return NULL;
    enode_t *r = tq_xcalloc(1, sizeof *r);
    switch (e->kind) {
    case QX_LIT:
        if (e->lit.type == TQDB_INT)
            r->lit = (num_t){'i', e->lit.i, 0};
        else if (e->lit.type == TQDB_FLOAT)
            r->lit = isnan(e->lit.d) ? (num_t){'n', 0, 0}
                                     : (num_t){'r', 0, e->lit.d};
        else
            goto no;
        return r;
    case QX_REF: {
        if (e->op != 0 || !e->name)
            goto no;
        const char *dt = fm_store_dtype(ctx, st, e->name);
        if (!dt || fc_store_column(ctx, st, e->name, dt, &r->c) < 0) {
            tq_error_clear(ctx);
            goto no;
        }
        if (!r->c || r->c->n != n)
            goto no;
        return r;
    }
    case QX_NEG:
        r->op = 'n';
        r->nkids = 1;
        if (!(r->kid[0] = resolve(ctx, st, e->args[0], n, depth + 1)))
            goto no;
        return r;
    case QX_BIN:
        if (e->op != '+' && e->op != '-' && e->op != '*')
            goto no;
        r->op = e->op;
        r->nkids = 2;
        if (!(r->kid[0] = resolve(ctx, st, e->args[0], n, depth + 1)) ||
            !(r->kid[1] = resolve(ctx, st, e->args[1], n, depth + 1)))
            goto no;
        return r;
    default:
        break;
    }
no:
    enode_free(r);
    return NULL;
}

#define CHUNK 512

/* The values of rows [a, a + len) of e into out (len <= CHUNK). */
static void eval_chunk(const enode_t *e, size_t a, size_t len, num_t *out)
{
    if (e->c) {
        if (e->c->kind == FCOL_INT) {
            for (size_t i = 0; i < len; i++)
                out[i] = (num_t){'i', e->c->iv[a + i], 0};
        } else {
            for (size_t i = 0; i < len; i++) {
                double d = e->c->x[a + i];
                out[i] = isnan(d) ? (num_t){'n', 0, 0} : (num_t){'r', 0, d};
            }
        }
        return;
    }
    if (!e->nkids) {
        for (size_t i = 0; i < len; i++)
            out[i] = e->lit;
        return;
    }
    eval_chunk(e->kid[0], a, len, out);
    if (e->op == 'n') {
        for (size_t i = 0; i < len; i++)
            out[i] = arith('-', (num_t){'i', 0, 0}, out[i]);
        return;
    }
    num_t y[CHUNK];
    eval_chunk(e->kid[1], a, len, y);
    for (size_t i = 0; i < len; i++)
        out[i] = arith(e->op, out[i], y[i]);
}

/* The column of a tree as one kind, chunk by chunk: each node writes its
 * CHUNK values into its own buffer (the root into the result), reading
 * its kids' values where they lie (a column's copy in place, a literal
 * from a buffer filled once), with one loop per operation that the
 * compiler can vectorise. The kind is known before a row is read:
 * integers when every column and literal is one, else doubles (NaN for
 * NULL). Integer arithmetic that overflows (where SQLite turns to reals
 * for those rows only) makes it fail, and eval_chunk's row-by-row kinds
 * take over. */
typedef struct fast {
    const enode_t *e;
    bool is_int;
    struct fast *kid[2];
    int64_t *ibuf;              /* this node's values: ibuf or xbuf */
    double *xbuf;
    double *conv[2];            /* a kid's integers as doubles */
} fast_t;

static void fast_free(fast_t *f)
{
    if (!f)
        return;
    for (int k = 0; k < 2; k++) {
        fast_free(f->kid[k]);
        free(f->conv[k]);
    }
    free(f->ibuf);
    free(f->xbuf);
    free(f);
}

/* The plan for e: every node's kind and buffers (owned). */
static fast_t *fast_plan(const enode_t *e)
{
    fast_t *f = tq_xcalloc(1, sizeof *f);
    f->e = e;
    if (e->c) {
        f->is_int = e->c->kind == FCOL_INT;
        return f;
    }
    if (!e->nkids) {
        /* a literal: CHUNK copies of it, read like a column */
        f->is_int = e->lit.type == 'i';
        if (f->is_int) {
            f->ibuf = tq_xmalloc(CHUNK * sizeof *f->ibuf);
            for (size_t k = 0; k < CHUNK; k++)
                f->ibuf[k] = e->lit.i;
        } else {
            f->xbuf = tq_xmalloc(CHUNK * sizeof *f->xbuf);
            for (size_t k = 0; k < CHUNK; k++)
                f->xbuf[k] = e->lit.type == 'r' ? e->lit.r : NAN;
        }
        return f;
    }
    f->is_int = true;
    for (int k = 0; k < e->nkids; k++) {
        f->kid[k] = fast_plan(e->kid[k]);
        f->is_int = f->is_int && f->kid[k]->is_int;
    }
    for (int k = 0; k < e->nkids; k++)
        if (!f->is_int && f->kid[k]->is_int)
            f->conv[k] = tq_xmalloc(CHUNK * sizeof *f->conv[k]);
    if (f->is_int)
        f->ibuf = tq_xmalloc(CHUNK * sizeof *f->ibuf);
    else
        f->xbuf = tq_xmalloc(CHUNK * sizeof *f->xbuf);
    return f;
}

/* Where the values of rows [a, a + len) of f are once evaluated. */
static const int64_t *fast_ints(const fast_t *f, size_t a)
{
    return f->e->c ? f->e->c->iv + a : f->ibuf;
}

static const double *fast_reals(const fast_t *f, size_t a)
{
    return f->e->c ? f->e->c->x + a : f->xbuf;
}

/* The loops below are compiled twice, for AVX2 and for the baseline,
 * the machine choosing when the program loads, as numpy's are. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FAST_LOOPS __attribute__((target_clones("avx2", "default")))
#else
#define FAST_LOOPS
#endif

/* The NaNs among x[0..n): x * 0 is NaN for NaN and the infinities only,
 * so one vectorised pass finds the blocks of up to 4,096 values that
 * hold one, and only those are counted. */
FAST_LOOPS static size_t count_nan(const double *x, size_t n)
{
    size_t count = 0;
    for (size_t a = 0; a < n; a += 4096) {
        size_t len = n - a < 4096 ? n - a : 4096;
        uint64_t seen = 0;
        for (size_t i = 0; i < len; i++) {
            double z = x[a + i] * 0.0;
            uint64_t bits;
            memcpy(&bits, &z, sizeof bits);
            seen |= bits;
        }
        if ((seen & 0x7ff0000000000000u) == 0x7ff0000000000000u)
            for (size_t i = 0; i < len; i++)
                count += isnan(x[a + i]);
    }
    return count;
}

/* Kid k's values as doubles. */
FAST_LOOPS static const double *fast_kid_reals(const fast_t *f, int k, size_t a,
                                    size_t len)
{
    const fast_t *kid = f->kid[k];
    if (!kid->is_int)
        return fast_reals(kid, a);
    const int64_t *v = fast_ints(kid, a);
    double *d = f->conv[k];
    /* integers within +-2^51 become doubles exactly by adding them to the
     * bits of 1.5 * 2^52 and subtracting that: loops the compiler
     * vectorises, where int64-to-double has no SSE2 or AVX2 instruction
     * (numpy's trick too) */
    uint64_t far = 0;
    for (size_t i = 0; i < len; i++)
        far |= ((uint64_t)v[i] + ((uint64_t)1 << 51)) >> 52;
    if (far) {
        for (size_t i = 0; i < len; i++)
            d[i] = (double)v[i];
        return d;
    }
    const uint64_t magic = 0x4338000000000000u;     /* 1.5 * 2^52 */
    uint64_t *bits = (uint64_t *)(void *)d;
    for (size_t i = 0; i < len; i++)
        bits[i] = (uint64_t)v[i] + magic;
    for (size_t i = 0; i < len; i++)
        d[i] -= 0x1.8p52;
    return d;
}

/* v as a double by the trick above: exact while |v| < 2^51. */
static inline double small_to_double(int64_t v)
{
    uint64_t bits = (uint64_t)v + 0x4338000000000000u;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d - 0x1.8p52;
}

/* An operation between an integer kid and a real one in one loop, the
 * integers turned into doubles on the way: true when done, false when
 * an integer lies past +-2^51 (the caller converts them exactly). */
FAST_LOOPS static bool fused_mixed(const fast_t *f, int op, size_t a,
                                   size_t len, double *out)
{
    bool left_int = f->kid[0]->is_int;
    const int64_t *v = fast_ints(f->kid[left_int ? 0 : 1], a);
    const double *r = fast_reals(f->kid[left_int ? 1 : 0], a);
    uint64_t far = 0;
#define FUSED(expr)                                                       \
    for (size_t i = 0; i < len; i++) {                                    \
        far |= ((uint64_t)v[i] + ((uint64_t)1 << 51)) >> 52;              \
        double d = small_to_double(v[i]);                                 \
        out[i] = (expr);                                                  \
    }
    switch (op) {
    case '+':
        FUSED(d + r[i]);
        break;
    case '-':
        if (left_int)
            FUSED(d - r[i])
        else
            FUSED(r[i] - d)
        break;
    default:
        FUSED(d * r[i]);
        break;
    }
#undef FUSED
    return !far;
}

/* Evaluates rows [a, a + len) of f into its buffer (or into iout/xout,
 * the result's, for the root). False when integers overflow. */
FAST_LOOPS static bool fast_eval(fast_t *f, size_t a, size_t len,
                                 int64_t *iout, double *xout)
{
    if (f->e->c || !f->e->nkids)
        return true;            /* read in place */
    for (int k = 0; k < f->e->nkids; k++)
        if (!fast_eval(f->kid[k], a, len, NULL, NULL))
            return false;
    int op = f->e->op;
    if (f->is_int) {
        int64_t *out = iout ? iout : f->ibuf;
        const int64_t *x = fast_ints(f->kid[0], a);
        bool over = false;
        if (op == 'n') {
            for (size_t i = 0; i < len; i++) {
                over |= x[i] == INT64_MIN;
                out[i] = (int64_t)(0 - (uint64_t)x[i]);
            }
            return !over;
        }
        const int64_t *y = fast_ints(f->kid[1], a);
        /* two's complement sums overflow where the result's sign differs
         * from both operands' (for a difference: from x's, y's differing):
         * written with bit operations the compiler vectorises */
        uint64_t sign = 0;
        switch (op) {
        case '+':
            for (size_t i = 0; i < len; i++) {
                uint64_t r = (uint64_t)x[i] + (uint64_t)y[i];
                sign |= ((uint64_t)x[i] ^ r) & ((uint64_t)y[i] ^ r);
                out[i] = (int64_t)r;
            }
            break;
        case '-':
            for (size_t i = 0; i < len; i++) {
                uint64_t r = (uint64_t)x[i] - (uint64_t)y[i];
                sign |= ((uint64_t)x[i] ^ (uint64_t)y[i]) &
                        ((uint64_t)x[i] ^ r);
                out[i] = (int64_t)r;
            }
            break;
        default:
            if (!f->kid[1]->e->c && !f->kid[1]->e->nkids &&
                f->kid[1]->e->lit.i > 0) {
                /* times a positive literal: the bounds it keeps within */
                int64_t k = f->kid[1]->e->lit.i, lo = INT64_MIN / k,
                        hi = INT64_MAX / k;
                if ((k & (k - 1)) == 0) {
                    /* a power of two: a shift, which AVX2 has */
                    int shift = __builtin_ctzll((unsigned long long)k);
                    for (size_t i = 0; i < len; i++) {
                        sign |= (uint64_t)(x[i] < lo) | (uint64_t)(x[i] > hi);
                        out[i] = (int64_t)((uint64_t)x[i] << shift);
                    }
                } else {
                    for (size_t i = 0; i < len; i++) {
                        sign |= (uint64_t)(x[i] < lo) | (uint64_t)(x[i] > hi);
                        out[i] = (int64_t)((uint64_t)x[i] * (uint64_t)k);
                    }
                }
                sign <<= 63;
                break;
            }
            for (size_t i = 0; i < len; i++)
                over |= __builtin_mul_overflow(x[i], y[i], &out[i]);
            break;
        }
        return !over && !(sign >> 63);
    }
    /* reals: an integer side as a double, NaN (NULL) propagating */
    double *out = xout ? xout : f->xbuf;
    if (op != 'n' && f->kid[0]->is_int != f->kid[1]->is_int &&
        fused_mixed(f, op, a, len, out))
        return true;
    const double *x = fast_kid_reals(f, 0, a, len);
    if (op == 'n') {
        for (size_t i = 0; i < len; i++)
            out[i] = -x[i];
        return true;
    }
    const double *y = fast_kid_reals(f, 1, a, len);
    switch (op) {
    case '+':
        for (size_t i = 0; i < len; i++)
            out[i] = x[i] + y[i];
        break;
    case '-':
        for (size_t i = 0; i < len; i++)
            out[i] = x[i] - y[i];
        break;
    default:
        for (size_t i = 0; i < len; i++)
            out[i] = x[i] * y[i];
        break;
    }
    return true;
}

/* The column of tree over n rows in one kind (fast_eval): true with *iv
 * or *x set (owned), false when integers overflow. */
static bool eval_column_fast(const enode_t *tree, size_t n, int64_t **iv,
                             double **x, size_t *nmissing)
{
    fast_t *f = fast_plan(tree);
    int64_t *ri = NULL;
    double *rx = NULL;
    /* every element is written below */
    if (f->is_int)
        ri = fc_array(n + 1, sizeof *ri, false);
    else
        rx = fc_array(n + 1, sizeof *rx, false);
    bool ok = true;
    size_t missing = 0;
    for (size_t a = 0; a < n && ok; a += CHUNK) {
        size_t len = n - a < CHUNK ? n - a : CHUNK;
        ok = fast_eval(f, a, len, ri ? ri + a : NULL, rx ? rx + a : NULL);
        /* a lone column or literal is read where it lies */
        if (ok && (tree->c || !tree->nkids)) {
            if (ri)
                memcpy(ri + a, fast_ints(f, a), len * sizeof *ri);
            else
                memcpy(rx + a, fast_reals(f, a), len * sizeof *rx);
        }
        /* the chunk's NaNs while it is in the cache */
        if (ok && rx)
            missing += count_nan(rx + a, len);
    }
    fast_free(f);
    if (!ok) {
        fc_array_free(ri);
        fc_array_free(rx);
        return false;
    }
    *nmissing = missing;
    *iv = ri;
    *x = rx;
    return true;
}

/* fc_recipe_make: see frame_cols.h. */
struct fc_recipe *fc_recipe_make(tq_ctx_t *ctx, fstore_t *st,
                                 const qexpr_t *e)
{
    if (st->pend_q || st->nrows < 0)
        return NULL;
    size_t n = (size_t)st->nrows;
    if (!frame_cols_fit(n * 8))
        return NULL;
    enode_t *tree = resolve(ctx, st, e, n, 0);
    if (!tree)
        return NULL;
    keep(tree);
    struct fc_recipe *r = tq_xcalloc(1, sizeof *r);
    r->tree = tree;
    r->n = n;
    r->affinity = 'b';
    return r;
}

/* Gives st an entry `name` whose copy r computes when first read. */
static void add_entry(fstore_t *st, const char *name, struct fc_recipe *r)
{
    fcol_t *c = tq_xcalloc(1, sizeof *c);
    c->name = tq_xstrdup(name);
    c->gen = frame_generation;
    c->n = r->n;
    c->kind = FCOL_NONE;
    c->recipe = r;
    frame_cols_adopt(st, c);
}

/* fc_recipe_adopt: see frame_cols.h. */
void fc_recipe_adopt(tq_ctx_t *ctx, fstore_t *st, const char *name,
                     struct fc_recipe *r)
{
    frame_cols_forget(st, name);
    tq_schema_t *sc = st->nrows == (int64_t)r->n ? frame_schema(ctx, st)
                                                : NULL;
    int j = sc ? tq_stable_col(&sc->tables[0], name) : -1;
    char aff = j >= 0 && st->dialect->affinity
             ? st->dialect->affinity(sc->tables[0].cols[j].decltype) : 0;
    if (!sc)
        tq_error_clear(ctx);    /* the table is gone: no copy */
    tq_schema_free(&sc);
    if (!aff || aff == 't' || !frame_cols_fit(r->n * 8)) {
        fc_recipe_free(r);      /* numbers stored as text: no copy */
        return;
    }
    r->affinity = aff;
    add_entry(st, name, r);
}

/* fc_assign_copy: see frame_cols.h. The entry only keeps the resolved
 * tree; the values are computed on its first lookup (fc_recipe_run), as
 * most assignments are read later, if at all, and then at once. */
void fc_assign_copy(tq_ctx_t *ctx, fstore_t *st, const char *name,
                    const qexpr_t *e)
{
    frame_cols_forget(st, name);
    struct fc_recipe *r = fc_recipe_make(ctx, st, e);
    if (r)
        add_entry(st, name, r);
}

/* The copy as the column's affinity stores the values (struct
 * fc_recipe): integers of an INTEGER or NUMERIC column when every value
 * is a real equal to one (sqlite3VdbeIntegerAffinity's test), reals of a
 * REAL column. */
static void apply_affinity(char aff, size_t n, int64_t **iv, double **x,
                           size_t nmissing)
{
    if (aff == 'r' && *iv) {
        double *d = fc_array(n + 1, sizeof *d, false);
        for (size_t i = 0; i < n; i++)
            d[i] = (double)(*iv)[i];
        fc_array_free(*iv);
        *iv = NULL;
        *x = d;
        return;
    }
    if (aff != 'i' || !*x || nmissing)
        return;
    for (size_t i = 0; i < n; i++) {
        double d = (*x)[i];
        /* within int64 and its bounds excluded, as SQLite's test */
        if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0) ||
            d != (double)(int64_t)d || (int64_t)d == INT64_MIN ||
            (int64_t)d == INT64_MAX)
            return;
    }
    int64_t *v = fc_array(n + 1, sizeof *v, false);
    for (size_t i = 0; i < n; i++)
        v[i] = (int64_t)(*x)[i];
    fc_array_free(*x);
    *x = NULL;
    *iv = v;
}

/* fc_recipe_run: see frame_cols.h. */
void fc_recipe_run(fcol_t *c)
{
    assert(c->recipe && c->kind == FCOL_NONE && !c->iv && !c->x);
    const enode_t *tree = c->recipe->tree;
    size_t n = c->n;
    int64_t *iv = NULL;
    double *x = NULL;
    size_t nmissing = 0;
    if (eval_column_fast(tree, n, &iv, &x, &nmissing))
        goto done;
    /* row by row: integers while every value is one, then doubles */
    iv = fc_array(n + 1, sizeof *iv, true);
    num_t v[CHUNK];
    for (size_t a = 0; a < n; a += CHUNK) {
        size_t len = n - a < CHUNK ? n - a : CHUNK;
        eval_chunk(tree, a, len, v);
        for (size_t i = 0; i < len; i++) {
            if (!x && v[i].type != 'i') {
                x = fc_array(n + 1, sizeof *x, true);
                for (size_t k = 0; k < a + i; k++)
                    x[k] = (double)iv[k];
                fc_array_free(iv);
                iv = NULL;
            }
            if (x) {
                x[a + i] = v[i].type == 'i' ? (double)v[i].i
                         : v[i].type == 'r' ? v[i].r : NAN;
                nmissing += v[i].type == 'n';
            } else {
                iv[a + i] = v[i].i;
            }
        }
    }
done:
    apply_affinity(c->recipe->affinity, n, &iv, &x, nmissing);
    fc_recipe_free(c->recipe);
    c->recipe = NULL;
    c->kind = x ? FCOL_REAL : FCOL_INT;
    c->iv = iv;
    c->x = x;
    c->nmissing = nmissing;
}
