/*
 * This file computes the in-memory copy of a computed column (df['x'] =
 * df['a'] * 2 + df['b'], which SQLite holds as a virtual column) from the
 * copies of the columns it reads, with SQLite's arithmetic: + - * and
 * negation, integers exactly and as reals for the rows where they
 * overflow, NULL through every operation and for a NaN result. Rows go
 * 512 at a time through each node, as integers or as doubles (NaN for
 * NULL) when no integer overflows, else row by row with each value's
 * own kind. Anything else (division, functions, text) leaves the column
 * without a copy: it is read when first needed.
 *
 * Ownership: the copy made is adopted by its store (frame_cols_adopt).
 */
#include "frame/frame_cols.h"
#include "frame/frame_methods.h"

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
    const fcol_t *c;            /* a column */
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
    free(e);
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

/* The values of rows [a, a + len) of e in one kind: integers (none
 * missing) or doubles (NaN for NULL). Integer arithmetic that overflows
 * (where SQLite turns to reals for those rows only) makes it fail: false,
 * and eval_chunk's row-by-row kinds take over. */
typedef struct vchunk {
    bool is_int;
    int64_t i[CHUNK];
    double x[CHUNK];
} vchunk_t;

static bool eval_fast(const enode_t *e, size_t a, size_t len, vchunk_t *out)
{
    if (e->c) {
        out->is_int = e->c->kind == FCOL_INT;
        if (out->is_int)
            memcpy(out->i, e->c->iv + a, len * sizeof *out->i);
        else
            memcpy(out->x, e->c->x + a, len * sizeof *out->x);
        return true;
    }
    if (!e->nkids) {
        out->is_int = e->lit.type == 'i';
        for (size_t k = 0; k < len; k++) {
            if (out->is_int)
                out->i[k] = e->lit.i;
            else
                out->x[k] = e->lit.type == 'r' ? e->lit.r : NAN;
        }
        return true;
    }
    if (!eval_fast(e->kid[0], a, len, out))
        return false;
    if (e->op == 'n') {
        if (out->is_int) {
            for (size_t k = 0; k < len; k++)
                if (out->i[k] == INT64_MIN)
                    return false;
                else
                    out->i[k] = -out->i[k];
        } else {
            for (size_t k = 0; k < len; k++)
                out->x[k] = -out->x[k];
        }
        return true;
    }
    vchunk_t ybuf, *y = &ybuf;
    bool ok = eval_fast(e->kid[1], a, len, y);
    if (ok && out->is_int && y->is_int) {
        for (size_t k = 0; k < len && ok; k++)
            ok = !(e->op == '+' ? __builtin_add_overflow(out->i[k], y->i[k],
                                                         &out->i[k])
                 : e->op == '-' ? __builtin_sub_overflow(out->i[k], y->i[k],
                                                         &out->i[k])
                 : __builtin_mul_overflow(out->i[k], y->i[k], &out->i[k]));
    } else if (ok) {
        /* reals: an integer side as a double, NaN (NULL) propagating */
        if (out->is_int)
            for (size_t k = 0; k < len; k++)
                out->x[k] = (double)out->i[k];
        if (y->is_int)
            for (size_t k = 0; k < len; k++)
                y->x[k] = (double)y->i[k];
        out->is_int = false;
        switch (e->op) {
        case '+':
            for (size_t k = 0; k < len; k++)
                out->x[k] += y->x[k];
            break;
        case '-':
            for (size_t k = 0; k < len; k++)
                out->x[k] -= y->x[k];
            break;
        default:
            for (size_t k = 0; k < len; k++)
                out->x[k] *= y->x[k];
            break;
        }
    }
    return ok;
}

/* The column of tree over n rows, each chunk in one kind (eval_fast):
 * true with *iv or *x set (owned), false when a chunk's integers overflow
 * or the kinds of chunks differ. */
static bool eval_column_fast(const enode_t *tree, size_t n, int64_t **iv,
                             double **x, size_t *nmissing)
{
    vchunk_t *v = tq_xcalloc(1, sizeof *v);
    int64_t *ri = NULL;
    double *rx = NULL;
    bool ok = true, first = true, is_int = false;
    *nmissing = 0;
    for (size_t a = 0; a < n && ok; a += CHUNK) {
        size_t len = n - a < CHUNK ? n - a : CHUNK;
        ok = eval_fast(tree, a, len, v);
        if (!ok)
            break;
        if (first) {
            is_int = v->is_int;
            /* every element is written below */
            if (is_int)
                ri = tq_xmalloc((n + 1) * sizeof *ri);
            else
                rx = tq_xmalloc((n + 1) * sizeof *rx);
            first = false;
        }
        if (v->is_int != is_int) {
            ok = false;
            break;
        }
        if (is_int) {
            memcpy(ri + a, v->i, len * sizeof *ri);
        } else {
            for (size_t k = 0; k < len; k++) {
                rx[a + k] = v->x[k];
                *nmissing += isnan(v->x[k]);
            }
        }
    }
    free(v);
    if (!ok || first) {
        free(ri);
        free(rx);
        return false;
    }
    *iv = ri;
    *x = rx;
    return true;
}

/* fc_assign_copy: see frame_cols.h. */
void fc_assign_copy(tq_ctx_t *ctx, fstore_t *st, const char *name,
                    const qexpr_t *e)
{
    frame_cols_forget(st, name);
    if (st->pend_q || st->nrows < 0)
        return;
    size_t n = (size_t)st->nrows;
    if (!frame_cols_fit(n * 8))
        return;
    enode_t *tree = resolve(ctx, st, e, n, 0);
    if (!tree)
        return;
    int64_t *iv = NULL;
    double *x = NULL;
    size_t nmissing = 0;
    if (eval_column_fast(tree, n, &iv, &x, &nmissing))
        goto done;
    /* row by row: integers while every value is one, then doubles */
    iv = tq_xcalloc(n + 1, sizeof *iv);
    num_t v[CHUNK];
    for (size_t a = 0; a < n; a += CHUNK) {
        size_t len = n - a < CHUNK ? n - a : CHUNK;
        eval_chunk(tree, a, len, v);
        for (size_t i = 0; i < len; i++) {
            if (!x && v[i].type != 'i') {
                x = tq_xcalloc(n + 1, sizeof *x);
                for (size_t k = 0; k < a + i; k++)
                    x[k] = (double)iv[k];
                free(iv);
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
    enode_free(tree);
    fcol_t *c = tq_xcalloc(1, sizeof *c);
    c->name = tq_xstrdup(name);
    c->gen = frame_generation;
    c->n = n;
    c->kind = x ? FCOL_REAL : FCOL_INT;
    c->iv = iv;
    c->x = x;
    c->nmissing = nmissing;
    frame_cols_adopt(st, c);
}
