/*
 * This file keeps typed in-memory copies of a store's numeric columns
 * (LANGUAGE.md section 6, issue 15): an int64 column as an array of
 * int64_t, a float64 one (ints with missing values included, as read_sql
 * makes them) as doubles with NaN where a value is missing. The temp table
 * stays the frame's truth; a copy is read in one pass, in row order, when
 * the frame is made (.dataframe()) or when a statistic first needs it, and
 * is dropped when any column of its store is assigned (frame_cols_drop),
 * when a cell rolls back or raw SQL writes (frame_changed: a generation),
 * and with its store. All copies together stay under FCOL_BUDGET bytes;
 * past it a column is simply not copied and the SQL paths serve it.
 *
 * The second part computes what pandas computes over such a column, with
 * its arithmetic: numpy's pairwise sums (8 accumulators, blocks of 128,
 * the reduction buffered in chunks of 8,192), nanvar's two passes, and the
 * Kahan sums of pandas' groupby; sorted group keys; value counts ordered
 * by count, equal counts in order of first appearance. Results are small
 * stores (one row per group or value) or scalars.
 *
 * Ownership: cached columns belong to their store; frame_col returns a
 * borrowed pointer valid until the next frame operation that may assign.
 */
#include "frame/frame_cols.h"
#include "frame/frame_methods.h"
#include "sql/dialect.h"
#include "base/temporal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* All copies together, in bytes; beyond it columns stay in SQL only. */
#define FCOL_BUDGET ((size_t)768 << 20)
static size_t fcol_bytes;

static void fcol_clear(fcol_t *c)
{
    size_t bytes = c->n * (c->kind == FCOL_INT ? sizeof *c->iv
                                                : sizeof *c->x);
    if (c->iv || c->x) {
        assert(fcol_bytes >= bytes);
        fcol_bytes -= bytes;
    }
    free(c->name);
    free(c->iv);
    free(c->x);
    memset(c, 0, sizeof *c);
}

/* frame_cols_drop: see frame_cols.h. */
void frame_cols_drop(fstore_t *st)
{
    for (size_t i = 0; i < st->nfcols; i++) {
        fcol_clear(st->fcols[i]);
        free(st->fcols[i]);
    }
    free(st->fcols);
    st->fcols = NULL;
    st->nfcols = 0;
}

/* A column read so far: values as they came, whichever kind they fit. */
typedef struct reading {
    const char *name;
    fcol_kind_t kind;       /* FCOL_INT until a float or a missing value,
                               FCOL_TEXT or FCOL_NONE once dropped */
    size_t nmissing;
    int64_t *iv;            /* while every value is an integer */
    double *x;              /* once one is not (or is missing) */
} reading_t;

/* Switches a reading from integers to doubles (r->iv's n values). */
static void to_real(reading_t *r, size_t n, size_t cap)
{
    r->x = tq_xcalloc(cap ? cap : 1, sizeof *r->x);
    for (size_t i = 0; i < n; i++)
        r->x[i] = (double)r->iv[i];
    free(r->iv);
    r->iv = NULL;
    r->kind = FCOL_REAL;
}

static void drop_reading(reading_t *r, fcol_kind_t why)
{
    free(r->iv);
    free(r->x);
    r->iv = NULL;
    r->x = NULL;
    r->kind = why;
}

/* Keeps the readings within the budget at `cap` rows each: those past it
 * (the last ones first) are dropped as not copied. */
static void fit_budget(reading_t *r, size_t n, size_t cap)
{
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += r[i].kind == FCOL_INT || r[i].kind == FCOL_REAL;
    for (size_t i = n; i-- > 0 && live &&
                       fcol_bytes + live * cap * 8 > FCOL_BUDGET;)
        if (r[i].kind == FCOL_INT || r[i].kind == FCOL_REAL) {
            drop_reading(&r[i], FCOL_NONE);
            live--;
        }
}

/* Reads columns `names` of st in row order into new cache entries (those
 * that turn out to hold text become entries marked FCOL_TEXT). 0 or -1
 * (raised). */
static int read_columns(tq_ctx_t *ctx, fstore_t *st, const char *const *names,
                        size_t n)
{
    assert(n > 0);
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT ");
    for (size_t i = 0; i < n; i++) {
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_ident(&b, names[i]);
    }
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, st);
    tq_buf_printf(&b, " ORDER BY %s", st->dialect->store_rowid);
    tqdb_cursor_t *cur = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!cur)
        return -1;
    reading_t *r = tq_xcalloc(n, sizeof *r);
    size_t rows = 0, cap = st->nrows > 0 ? (size_t)st->nrows : 1024;
    for (size_t i = 0; i < n; i++) {
        r[i].name = names[i];
        r[i].kind = FCOL_INT;
    }
    fit_budget(r, n, cap);
    for (size_t i = 0; i < n; i++)
        if (r[i].kind == FCOL_INT)
            r[i].iv = tq_xcalloc(cap, sizeof *r[i].iv);
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        if (rows == cap) {
            cap *= 2;
            fit_budget(r, n, cap);
            for (size_t i = 0; i < n; i++) {
                if (r[i].iv)
                    r[i].iv = tq_xrealloc(r[i].iv, cap * sizeof *r[i].iv);
                if (r[i].x)
                    r[i].x = tq_xrealloc(r[i].x, cap * sizeof *r[i].x);
            }
        }
        for (size_t i = 0; i < n; i++) {
            reading_t *c = &r[i];
            if (c->kind != FCOL_INT && c->kind != FCOL_REAL) {
                /* a text seen past the budget still says "object" */
                if (c->kind == FCOL_NONE) {
                    tqdb_type_t t = tqdb_column_type(cur, (int)i);
                    if (t == TQDB_TEXT || t == TQDB_BLOB)
                        c->kind = FCOL_TEXT;
                }
                continue;
            }
            switch (tqdb_column_type(cur, (int)i)) {
            case TQDB_INT:
                if (c->kind == FCOL_REAL)
                    c->x[rows] = (double)tqdb_column_int(cur, (int)i);
                else
                    c->iv[rows] = tqdb_column_int(cur, (int)i);
                break;
            case TQDB_FLOAT:
            case TQDB_NULL: {
                bool null = tqdb_column_type(cur, (int)i) == TQDB_NULL;
                double d = null ? NAN : tqdb_column_float(cur, (int)i);
                if (isnan(d))
                    c->nmissing++;
                if (c->kind == FCOL_INT)
                    to_real(c, rows, cap);
                c->x[rows] = isnan(d) ? NAN : d;
                break;
            }
            default:
                drop_reading(c, FCOL_TEXT);
                break;
            }
        }
        rows++;
    }
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        for (size_t i = 0; i < n; i++)
            drop_reading(&r[i], FCOL_NONE);
        free(r);
        return tq_raise_db(ctx), -1;
    }
    if (st->nrows < 0)
        st->nrows = (int64_t)rows;
    assert(st->nrows == (int64_t)rows);
    for (size_t i = 0; i < n; i++) {
        st->fcols = tq_xrealloc(st->fcols,
                                (st->nfcols + 1) * sizeof *st->fcols);
        fcol_t *c = tq_xcalloc(1, sizeof *c);
        st->fcols[st->nfcols++] = c;
        c->name = tq_xstrdup(r[i].name);
        c->gen = frame_generation;
        c->n = rows;
        c->kind = r[i].kind;
        if (c->kind != FCOL_INT && c->kind != FCOL_REAL)
            continue;
        c->nmissing = r[i].nmissing;
        size_t keep = rows ? rows : 1;
        if (c->kind == FCOL_INT)
            c->iv = tq_xrealloc(r[i].iv, keep * sizeof *c->iv);
        else
            c->x = tq_xrealloc(r[i].x, keep * sizeof *c->x);
        fcol_bytes += rows * 8;
        assert(fcol_bytes <= FCOL_BUDGET);
    }
    free(r);
    return 0;
}

/* The entry of `col` in st's cache, dropping stale entries first. */
static fcol_t *find(fstore_t *st, const char *col)
{
    for (size_t i = 0; i < st->nfcols;) {
        if (st->fcols[i]->gen != frame_generation) {
            fcol_clear(st->fcols[i]);
            free(st->fcols[i]);
            st->fcols[i] = st->fcols[--st->nfcols];
            continue;
        }
        if (!strcmp(st->fcols[i]->name, col))
            return st->fcols[i];
        i++;
    }
    return NULL;
}

/* frame_col: see frame_cols.h. */
int frame_col(tq_ctx_t *ctx, fstore_t *st, const char *col,
              const fcol_t **out)
{
    *out = NULL;
    if (st->pend_q)
        return 0;              /* not made yet: the SQL paths decide */
    fcol_t *c = find(st, col);
    if (!c) {
        if (read_columns(ctx, st, &col, 1) < 0)
            return -1;
        c = find(st, col);
        assert(c);
    }
    if (c->kind == FCOL_INT || c->kind == FCOL_REAL)
        *out = c;
    return 0;
}

/* frame_cols_forget: see frame_cols.h. */
void frame_cols_forget(fstore_t *st, const char *col)
{
    for (size_t i = 0; i < st->nfcols; i++)
        if (!strcmp(st->fcols[i]->name, col)) {
            fcol_clear(st->fcols[i]);
            free(st->fcols[i]);
            st->fcols[i] = st->fcols[--st->nfcols];
            return;
        }
}

/* ---- computed columns: SQLite's arithmetic in C */

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
    if (fcol_bytes + n * 8 > FCOL_BUDGET)
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
    fcol_bytes += n * 8;
    st->fcols = tq_xrealloc(st->fcols, (st->nfcols + 1) * sizeof *st->fcols);
    st->fcols[st->nfcols++] = c;
}

/* frame_cols_dtype: see frame_cols.h. The rules of read_dtypes
 * (frame_methods.c): integers without a missing value are int64, numbers
 * float64, anything with a text object; all missing says nothing. */
const char *frame_cols_dtype(fstore_t *st, const char *col)
{
    if (st->pend_q)
        return NULL;
    const fcol_t *c = find(st, col);
    if (!c)
        return NULL;
    switch (c->kind) {
    case FCOL_INT:
        return c->n ? "int64" : NULL;
    case FCOL_REAL:
        return c->n > c->nmissing ? "float64" : NULL;
    case FCOL_TEXT:
        return "object";
    case FCOL_NONE:
        break;
    }
    return NULL;
}

/* fc_series_column: see frame_cols.h. */
int fc_series_column(tq_ctx_t *ctx, const frame_t *f, const fcol_t **out)
{
    *out = NULL;
    if (!f->series || f->boolean || f->expr->kind != QX_REF ||
        f->st->pend_q)
        return 0;
    const char *dt = fm_store_dtype(ctx, f->st, f->expr->name);
    if (!dt)
        return -1;
    return fc_store_column(ctx, f->st, f->expr->name, dt, out);
}

/* fc_store_column: see frame_cols.h. */
int fc_store_column(tq_ctx_t *ctx, fstore_t *st, const char *col,
                    const char *dtype, const fcol_t **out)
{
    *out = NULL;
    if (strcmp(dtype, "int64") && strcmp(dtype, "float64"))
        return 0;
    if (frame_col(ctx, st, col, out) < 0)
        return -1;
    /* the copy's kind must be the dtype's (a float64 column of integers,
     * kept float by its source, stays with SQL) */
    if (*out && ((*out)->kind == FCOL_INT) != !strcmp(dtype, "int64"))
        *out = NULL;
    return 0;
}

/* frame_cols_load: see frame_cols.h. */
int frame_cols_load(tq_ctx_t *ctx, fstore_t *st, char *const *cols,
                    size_t ncols)
{
    tq_schema_t *sc = frame_schema(ctx, st);
    if (!sc)
        return -1;
    const char **want = tq_xcalloc(ncols + 1, sizeof *want);
    size_t n = 0;
    for (size_t i = 0; i < ncols; i++) {
        int j = tq_stable_col(&sc->tables[0], cols[i]);
        if (j < 0 || sc->tables[0].cols[j].text || find(st, cols[i]))
            continue;
        /* declared dates are text to the engine, datetime64 to pandas */
        tq_temporal_t k =
            tq_temporal_of_decltype(sc->tables[0].cols[j].decltype);
        if (k != TQ_TEMPORAL_DATE && k != TQ_TEMPORAL_DATETIME)
            want[n++] = cols[i];
    }
    int rc = n ? read_columns(ctx, st, want, n) : 0;
    free(want);
    tq_schema_free(&sc);
    return rc;
}

/* ---- pandas' arithmetic */

/* What a pairwise sum adds up: the values themselves (doubles or
 * integers, 0 for missing ones, as pandas fills them before summing), or
 * their squared deviations from a mean (0 for missing ones, nanvar). */
typedef struct terms {
    const double *x;            /* doubles, NaN where missing; or */
    const int64_t *iv;          /* integers */
    bool sqdev;
    double mean;
} terms_t;

static inline double term(const terms_t *t, size_t i)
{
    double v = t->iv ? (double)t->iv[i] : t->x[i];
    if (isnan(v))
        return 0.;
    if (t->sqdev) {
        double d = t->mean - v;
        return d * d;
    }
    return v;
}

/* numpy's pairwise sum (DOUBLE_pairwise_sum) of terms [a, a + n). */
static double pairwise(const terms_t *t, size_t a, size_t n)
{
    if (n < 8) {
        double r = 0.;
        for (size_t i = 0; i < n; i++)
            r += term(t, a + i);
        return r;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = term(t, a + (size_t)j);
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += term(t, a + i + (size_t)j);
        double res = ((r[0] + r[1]) + (r[2] + r[3])) +
                     ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += term(t, a + i);
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(t, a, n2) + pairwise(t, a + n2, n - n2);
}

/* numpy reduces in buffers of 8,192 values, each summed pairwise, the
 * buffers' sums added in order. */
static double terms_sum(const terms_t *t, size_t n)
{
    double s = 0.;
    for (size_t k = 0; k < n; k += 8192)
        s += pairwise(t, k, n - k < 8192 ? n - k : 8192);
    return s;
}

/* fc_sum: see frame_cols.h. */
double fc_sum(const double *a, size_t n)
{
    terms_t t = {.x = a};
    return terms_sum(&t, n);
}

/* fc_mean: see frame_cols.h. */
double fc_mean(const fcol_t *c)
{
    size_t count = c->n - c->nmissing;
    if (count == 0)
        return NAN;
    terms_t t = {.x = c->x, .iv = c->kind == FCOL_INT ? c->iv : NULL};
    return terms_sum(&t, c->n) / (double)count;
}

/* fc_moments: see frame_cols.h. */
void fc_moments(const fcol_t *c, double *mean, double *var)
{
    size_t count = c->n - c->nmissing;
    *mean = fc_mean(c);
    *var = NAN;
    if (count > 1) {
        terms_t t = {.x = c->x, .iv = c->kind == FCOL_INT ? c->iv : NULL,
                     .sqdev = true, .mean = *mean};
        *var = terms_sum(&t, c->n) / (double)(count - 1);
    }
}

/* fc_sum_value: see frame_cols.h. */
tq_value_t *fc_sum_value(const fcol_t *c)
{
    if (c->kind == FCOL_INT) {
        int64_t s = 0;
        for (size_t i = 0; i < c->n; i++)
            if (__builtin_add_overflow(s, c->iv[i], &s))
                return NULL;
        return tq_int(s);
    }
    terms_t t = {.x = c->x};
    return tq_float(terms_sum(&t, c->n));
}

/* fc_extreme: see frame_cols.h. */
tq_value_t *fc_extreme(const fcol_t *c, bool max)
{
    if (c->kind == FCOL_INT) {
        if (c->n == 0)
            return tq_float(NAN);
        int64_t m = c->iv[0];
        for (size_t i = 1; i < c->n; i++)
            if (max ? c->iv[i] > m : c->iv[i] < m)
                m = c->iv[i];
        return tq_int(m);
    }
    double m = NAN;
    for (size_t i = 0; i < c->n; i++)
        if (!isnan(c->x[i]) && (isnan(m) || (max ? c->x[i] > m
                                                 : c->x[i] < m)))
            m = c->x[i];
    return tq_float(m);
}

/* fc_values: see frame_cols.h. */
double *fc_values(const fcol_t *c, size_t *n)
{
    double *v = tq_xcalloc(c->n ? c->n : 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        double d = c->kind == FCOL_INT ? (double)c->iv[i] : c->x[i];
        if (!isnan(d))
            v[k++] = d;
    }
    *n = k;
    return v;
}

/* ---- hashing values: groups and value counts */

/* A value as a hash key: its integer, or its double's bits (-0.0 as 0.0,
 * as pandas' hash tables do). */
static uint64_t key_bits(const fcol_t *c, size_t i)
{
    if (c->kind == FCOL_INT)
        return (uint64_t)c->iv[i];
    double d = c->x[i] == 0 ? 0. : c->x[i];
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static bool missing(const fcol_t *c, size_t i)
{
    return c->kind == FCOL_REAL && isnan(c->x[i]);
}

/* Open addressing from keys to dense group numbers, in order of first
 * appearance. */
typedef struct khash {
    uint64_t *keys;
    uint32_t *slot;         /* group + 1, 0 for empty */
    size_t mask;
    size_t ngroups;
    size_t *first;          /* each group's first row */
    size_t cap;
} khash_t;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static void kh_init(khash_t *h, size_t expect)
{
    size_t size = 64;
    while (size < expect * 2)
        size *= 2;
    memset(h, 0, sizeof *h);
    h->mask = size - 1;
    h->keys = tq_xcalloc(size, sizeof *h->keys);
    h->slot = tq_xcalloc(size, sizeof *h->slot);
}

static void kh_free(khash_t *h)
{
    free(h->keys);
    free(h->slot);
    free(h->first);
}

static void kh_grow(khash_t *h)
{
    khash_t g;
    kh_init(&g, (h->mask + 1));
    for (size_t i = 0; i <= h->mask; i++)
        if (h->slot[i]) {
            size_t j = mix(h->keys[i]) & g.mask;
            while (g.slot[j])
                j = (j + 1) & g.mask;
            g.keys[j] = h->keys[i];
            g.slot[j] = h->slot[i];
        }
    free(h->keys);
    free(h->slot);
    h->keys = g.keys;
    h->slot = g.slot;
    h->mask = g.mask;
}

/* The group of key k first seen at row `row`. */
static size_t kh_group(khash_t *h, uint64_t k, size_t row)
{
    size_t j = mix(k) & h->mask;
    while (h->slot[j]) {
        if (h->keys[j] == k)
            return h->slot[j] - 1;
        j = (j + 1) & h->mask;
    }
    if ((h->ngroups + 1) * 2 > h->mask + 1) {
        kh_grow(h);
        return kh_group(h, k, row);
    }
    assert(h->ngroups < UINT32_MAX);
    h->keys[j] = k;
    h->slot[j] = (uint32_t)(h->ngroups + 1);
    TQ_PUSH(h->first, h->ngroups, h->cap, row);
    return h->ngroups - 1;
}

/* The groups of c's rows (missing values: SIZE_MAX), numbered in order
 * of first appearance, into h (its `first` rows). Owned array. Integers
 * within a narrow range are numbered through a table indexed by value,
 * the others through the hash. */
/* True when c holds integers within a narrow range (a table indexed by
 * value beats hashing): their least value and hi - lo in *lo, *span. */
static bool narrow_ints(const fcol_t *c, int64_t *lo, uint64_t *span)
{
    if (c->kind != FCOL_INT || c->n == 0)
        return false;
    int64_t l = c->iv[0], hi = c->iv[0];
    for (size_t i = 1; i < c->n; i++) {
        if (c->iv[i] < l)
            l = c->iv[i];
        if (c->iv[i] > hi)
            hi = c->iv[i];
    }
    *lo = l;
    *span = (uint64_t)hi - (uint64_t)l;
    return *span < ((uint64_t)1 << 22) && *span <= 4 * (uint64_t)c->n;
}

static size_t *group_rows(const fcol_t *c, khash_t *h)
{
    kh_init(h, 1024);
    size_t *g = tq_xmalloc((c->n ? c->n : 1) * sizeof *g);
    int64_t lo;
    uint64_t span;
    if (narrow_ints(c, &lo, &span)) {
        uint32_t *slot = tq_xcalloc(span + 1, sizeof *slot);
        for (size_t i = 0; i < c->n; i++) {
            uint32_t *s = &slot[(uint64_t)c->iv[i] - (uint64_t)lo];
            if (!*s) {
                TQ_PUSH(h->first, h->ngroups, h->cap, i);
                *s = (uint32_t)h->ngroups;
            }
            g[i] = *s - 1;
        }
        free(slot);
        return g;
    }
    for (size_t i = 0; i < c->n; i++)
        g[i] = missing(c, i) ? SIZE_MAX : kh_group(h, key_bits(c, i), i);
    return g;
}

/* A key of c (at row `row`) as a datum. */
static tqdb_datum_t key_datum(const fcol_t *c, size_t row)
{
    return c->kind == FCOL_INT ? tqdb_datum_int(c->iv[row])
                               : tqdb_datum_float(c->x[row] == 0 ? 0.
                                                             : c->x[row]);
}

/* fc_datum_store: see frame_cols.h. */
fstore_t *fc_datum_store(tq_ctx_t *ctx, char *const *names,
                             const char *const *types, size_t ncols,
                             const tqdb_datum_t *vals, size_t nrows)
{
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    tq_buf_t b = {0};
    st->dialect->temp_create(&b, st->name);
    tq_buf_add(&b, " (");
    for (size_t c = 0; c < ncols; c++) {
        if (c)
            tq_buf_add(&b, ", ");
        tq_buf_ident(&b, names[c]);
        tq_buf_printf(&b, " %s", types[c]);
    }
    tq_buf_addc(&b, ')');
    int rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    if (rc < 0) {
        free(st->name);
        free(st);
        return NULL;
    }
    tq_buf_add(&b, "INSERT INTO ");
    frame_table_ref(&b, st);
    tq_buf_add(&b, " VALUES (");
    for (size_t c = 0; c < ncols; c++)
        tq_buf_add(&b, c ? ", ?" : "?");
    tq_buf_addc(&b, ')');
    tqdb_cursor_t *ins = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!ins) {
        frame_store_unref(st);
        return NULL;
    }
    rc = 0;
    for (size_t r = 0; r < nrows && rc == 0; r++) {
        (void)tqdb_reset(ins);
        for (size_t c = 0; c < ncols && rc == 0; c++)
            rc = tqdb_bind(ins, (int)c + 1, &vals[r * ncols + c]);
        if (rc == 0)
            rc = tqdb_step(ins);
        assert(rc != TQDB_ROW);
    }
    tqdb_cursor_free(&ins);
    if (rc < 0)
        tq_raise_db(ctx);
    if (rc < 0 || frame_store_number(ctx, st) < 0) {
        frame_store_unref(st);
        return NULL;
    }
    st->nrows = (int64_t)nrows;
    return st;
}

static const char *kind_type(const tq_dialect_t *d, bool real)
{
    return real ? d->type_real : d->type_int;
}

/* Orders groups by key (ascending; integers exactly, doubles by value). */
static const fcol_t *sort_col;
static const size_t *sort_first;
static int by_key(const void *a, const void *b)
{
    size_t ra = sort_first[*(const size_t *)a],
           rb = sort_first[*(const size_t *)b];
    if (sort_col->kind == FCOL_INT)
        return (sort_col->iv[ra] > sort_col->iv[rb]) -
               (sort_col->iv[ra] < sort_col->iv[rb]);
    return (sort_col->x[ra] > sort_col->x[rb]) -
           (sort_col->x[ra] < sort_col->x[rb]);
}

/* fc_groupby: see frame_cols.h. */
fstore_t *fc_groupby(tq_ctx_t *ctx, const fcol_t *key, const char *key_label,
                     const fcol_t *const *cols, char *const *names,
                     size_t ncols, const char *fn)
{
    assert(key->kind != FCOL_NONE);
    khash_t h;
    size_t *g = group_rows(key, &h);
    size_t ng = h.ngroups;
    bool size = !strcmp(fn, "size"), mean = !strcmp(fn, "mean"),
         sum = !strcmp(fn, "sum"), count = !strcmp(fn, "count"),
         mx = !strcmp(fn, "max");
    size_t nv = size ? 1 : ncols;
    /* per group and column: Kahan sums as pandas' group_add and
     * group_mean, observation counts, extremes */
    double *acc = tq_xcalloc(ng * nv + 1, sizeof *acc),
           *comp = tq_xcalloc(ng * nv + 1, sizeof *comp);
    int64_t *isum = tq_xcalloc(ng * nv + 1, sizeof *isum),
            *nobs = tq_xcalloc(ng * nv + 1, sizeof *nobs);
    bool overflow = false;
    for (size_t i = 0; i < key->n; i++) {
        if (g[i] == SIZE_MAX)
            continue;
        for (size_t j = 0; j < nv; j++) {
            size_t at = g[i] * nv + j;
            if (size) {
                nobs[at]++;
                continue;
            }
            const fcol_t *c = cols[j];
            if (c->kind == FCOL_INT) {
                int64_t v = c->iv[i];
                if (sum) {
                    overflow |= __builtin_add_overflow(isum[at], v,
                                                       &isum[at]);
                } else if (!count && !mean) {
                    if (nobs[at] == 0 || (mx ? v > isum[at] : v < isum[at]))
                        isum[at] = v;
                }
                if (mean) {
                    double y = (double)v - comp[at], t = acc[at] + y;
                    comp[at] = t - acc[at] - y;
                    acc[at] = t;
                }
                nobs[at]++;
                continue;
            }
            double v = c->x[i];
            if (isnan(v))
                continue;
            if (sum || mean) {
                double y = v - comp[at], t = acc[at] + y;
                comp[at] = t - acc[at] - y;
                acc[at] = t;
            } else if (!count) {
                if (nobs[at] == 0 || (mx ? v > acc[at] : v < acc[at]))
                    acc[at] = v;
            }
            nobs[at]++;
        }
    }
    free(comp);
    free(g);
    fstore_t *st = NULL;
    if (overflow) {
        st = NULL;        /* the SQL path raises SQLite's integer overflow */
    } else {
        size_t *order = tq_xcalloc(ng + 1, sizeof *order);
        for (size_t k = 0; k < ng; k++)
            order[k] = k;
        sort_col = key;
        sort_first = h.first;
        qsort(order, ng, sizeof *order, by_key);
        const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
        size_t w = nv + 1;
        char **cn = tq_xcalloc(w, sizeof *cn);
        const char **ct = tq_xcalloc(w, sizeof *ct);
        cn[0] = (char *)key_label;
        ct[0] = kind_type(d, key->kind == FCOL_REAL);
        for (size_t j = 0; j < nv; j++) {
            cn[j + 1] = size ? (char *)"size" : names[j];
            bool real = !size && !count &&
                        (mean || cols[j]->kind == FCOL_REAL);
            ct[j + 1] = kind_type(d, real);
        }
        tqdb_datum_t *vals = tq_xcalloc(ng * w + 1, sizeof *vals);
        for (size_t r = 0; r < ng; r++) {
            size_t k = order[r];
            vals[r * w] = key_datum(key, h.first[k]);
            for (size_t j = 0; j < nv; j++) {
                size_t at = k * nv + j;
                tqdb_datum_t *o = &vals[r * w + j + 1];
                if (size || count)
                    *o = tqdb_datum_int(nobs[at]);
                else if (mean)
                    *o = nobs[at] ? tqdb_datum_float(acc[at] /
                                                     (double)nobs[at])
                                  : tqdb_datum_null();
                else if (cols[j]->kind == FCOL_INT)
                    *o = tqdb_datum_int(isum[at]);
                else if (sum)
                    *o = tqdb_datum_float(acc[at]);
                else
                    *o = nobs[at] ? tqdb_datum_float(acc[at])
                                  : tqdb_datum_null();
            }
        }
        st = fc_datum_store(ctx, cn, ct, w, vals, ng);
        free(vals);
        free(cn);
        free(ct);
        free(order);
        if (!st) {
            free(acc);
            free(isum);
            free(nobs);
            kh_free(&h);
            return NULL;
        }
    }
    free(acc);
    free(isum);
    free(nobs);
    kh_free(&h);
    return st;
}

/* numpy 1.24's heapsort of indices (aheapsort_), the fallback of its
 * introsort: tosort[0..n) ordered by v. */
static void aheapsort(const int64_t *v, size_t *tosort, size_t n)
{
    size_t *a = tosort - 1;     /* 1-based, as numpy indexes it */
    size_t i, j, l, tmp;
    for (l = n >> 1; l > 0; --l) {
        tmp = a[l];
        for (i = l, j = l << 1; j <= n;) {
            if (j < n && v[a[j]] < v[a[j + 1]])
                j += 1;
            if (v[tmp] < v[a[j]]) {
                a[i] = a[j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        a[i] = tmp;
    }
    for (; n > 1;) {
        tmp = a[n];
        a[n] = a[1];
        n -= 1;
        for (i = 1, j = 2; j <= n;) {
            if (j < n && v[a[j]] < v[a[j + 1]])
                j++;
            if (v[tmp] < v[a[j]]) {
                a[i] = a[j];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        a[i] = tmp;
    }
}

#define SWAP_IDX(a, b)  do { size_t t_ = (a); (a) = (b); (b) = t_; } while (0)

/* fc_argsort: see frame_cols.h. numpy 1.24's aquicksort_: median of three,
 * insertion sort below 16 elements, heapsort past 2 log2(n) levels. */
void fc_argsort(const int64_t *v, size_t num, size_t *t)
{
    for (size_t i = 0; i < num; i++)
        t[i] = i;
    if (num <= 1)
        return;
    size_t *pl = t, *pr = t + num - 1;
    size_t *stack[128], **sptr = stack;
    int depth[64], *psdepth = depth;
    int cdepth = 0;
    for (size_t u = num; u >>= 1;)
        cdepth++;
    cdepth *= 2;
    for (;;) {
        if (cdepth < 0) {
            aheapsort(v, pl, (size_t)(pr - pl) + 1);
            goto stack_pop;
        }
        while (pr - pl > 15) {
            size_t *pm = pl + ((pr - pl) >> 1), *pi, *pj, *pk;
            if (v[*pm] < v[*pl])
                SWAP_IDX(*pm, *pl);
            if (v[*pr] < v[*pm])
                SWAP_IDX(*pr, *pm);
            if (v[*pm] < v[*pl])
                SWAP_IDX(*pm, *pl);
            int64_t vp = v[*pm];
            pi = pl;
            pj = pr - 1;
            SWAP_IDX(*pm, *pj);
            for (;;) {
                do
                    ++pi;
                while (v[*pi] < vp);
                do
                    --pj;
                while (vp < v[*pj]);
                if (pi >= pj)
                    break;
                SWAP_IDX(*pi, *pj);
            }
            pk = pr - 1;
            SWAP_IDX(*pi, *pk);
            /* the larger part waits on the stack */
            if (pi - pl < pr - pi) {
                *sptr++ = pi + 1;
                *sptr++ = pr;
                pr = pi - 1;
            } else {
                *sptr++ = pl;
                *sptr++ = pi - 1;
                pl = pi + 1;
            }
            assert(psdepth < depth + 64);
            *psdepth++ = --cdepth;
        }
        for (size_t *pi = pl + 1; pi <= pr; ++pi) {
            size_t vi = *pi;
            int64_t vp = v[vi];
            size_t *pj = pi, *pk = pi - 1;
            while (pj > pl && vp < v[*pk])
                *pj-- = *pk--;
            *pj = vi;
        }
    stack_pop:
        if (sptr == stack)
            break;
        pr = *(--sptr);
        pl = *(--sptr);
        cdepth = *(--psdepth);
    }
}

/* fc_count_order: see frame_cols.h. pandas' nargsort: for a descending
 * sort the counts are reversed, sorted ascending, and the result read
 * backwards. */
void fc_count_order(const int64_t *counts, size_t m, bool ascending,
                    size_t *order)
{
    if (ascending) {
        fc_argsort(counts, m, order);
        return;
    }
    int64_t *rev = tq_xcalloc(m + 1, sizeof *rev);
    size_t *o = tq_xcalloc(m + 1, sizeof *o);
    for (size_t i = 0; i < m; i++)
        rev[i] = counts[m - 1 - i];
    fc_argsort(rev, m, o);
    for (size_t i = 0; i < m; i++)
        order[i] = m - 1 - o[m - 1 - i];
    free(rev);
    free(o);
}

/* fc_value_counts: see frame_cols.h. */
fstore_t *fc_value_counts(tq_ctx_t *ctx, const fcol_t *c, bool normalize,
                          bool ascending)
{
    khash_t h;
    int64_t *counts = NULL;
    size_t total = 0, ng;
    int64_t lo;
    uint64_t span;
    if (narrow_ints(c, &lo, &span)) {
        /* counted in a table indexed by value, then numbered in order of
         * first appearance */
        int64_t *by_value = tq_xcalloc(span + 1, sizeof *by_value);
        kh_init(&h, 1);
        for (size_t i = 0; i < c->n; i++)
            if (by_value[(uint64_t)c->iv[i] - (uint64_t)lo]++ == 0)
                TQ_PUSH(h.first, h.ngroups, h.cap, i);
        ng = h.ngroups;
        counts = tq_xcalloc(ng + 1, sizeof *counts);
        for (size_t k = 0; k < ng; k++)
            counts[k] = by_value[(uint64_t)c->iv[h.first[k]] - (uint64_t)lo];
        total = c->n;
        free(by_value);
    } else {
        size_t *g = group_rows(c, &h);
        ng = h.ngroups;
        counts = tq_xcalloc(ng + 1, sizeof *counts);
        for (size_t i = 0; i < c->n; i++)
            if (g[i] != SIZE_MAX) {
                counts[g[i]]++;
                total++;
            }
        free(g);
    }
    size_t *order = tq_xcalloc(ng + 1, sizeof *order);
    fc_count_order(counts, ng, ascending, order);
    tqdb_datum_t *vals = tq_xcalloc(2 * ng + 1, sizeof *vals);
    for (size_t r = 0; r < ng; r++) {
        size_t k = order[r];
        vals[2 * r] = key_datum(c, h.first[k]);
        vals[2 * r + 1] = normalize
            ? tqdb_datum_float((double)counts[k] / (double)total)
            : tqdb_datum_int(counts[k]);
    }
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    char *names[2] = {"tq_i", "tq_v"};
    const char *types[2] = {kind_type(d, c->kind == FCOL_REAL),
                            kind_type(d, normalize)};
    fstore_t *st = fc_datum_store(ctx, names, types, 2, vals, ng);
    free(vals);
    free(order);
    free(counts);
    kh_free(&h);
    return st;
}

/* ---- the first or last rows of a sort */

/* Row i's place in a sort by c (missing values last, then by row): true
 * when row a comes before row b. */
static bool sorts_before(const fcol_t *c, bool desc, size_t a, size_t b)
{
    if (c->kind == FCOL_INT) {
        if (c->iv[a] != c->iv[b])
            return desc ? c->iv[a] > c->iv[b] : c->iv[a] < c->iv[b];
        return a < b;
    }
    bool na = isnan(c->x[a]), nb = isnan(c->x[b]);
    if (na != nb)
        return nb;
    if (!na && c->x[a] != c->x[b])
        return desc ? c->x[a] > c->x[b] : c->x[a] < c->x[b];
    return a < b;
}

/* fc_sorted_rows: see frame_cols.h. A heap of the k rows kept so far,
 * the one that would go first out at its top. */
size_t fc_sorted_rows(const fcol_t *c, bool desc, bool last, size_t k,
                      int64_t *rows)
{
    if (k > c->n)
        k = c->n;
    if (k == 0)
        return 0;
    size_t *h = tq_xcalloc(k, sizeof *h), nh = 0;
    /* out(a, b): a leaves the heap before b (for the first rows, the
     * one sorting last leaves first) */
#define OUT(a, b) (last ? sorts_before(c, desc, (a), (b)) \
                        : sorts_before(c, desc, (b), (a)))
    for (size_t i = 0; i < c->n; i++) {
        size_t at;
        if (nh < k) {
            at = nh++;
            h[at] = i;
            while (at > 0 && OUT(h[at], h[(at - 1) / 2])) {
                size_t p = (at - 1) / 2, t = h[p];
                h[p] = h[at];
                h[at] = t;
                at = p;
            }
            continue;
        }
        if (!OUT(h[0], i))
            continue;
        h[0] = i;
        at = 0;
        for (;;) {
            size_t l = 2 * at + 1, r = l + 1, m = at;
            if (l < nh && OUT(h[l], h[m]))
                m = l;
            if (r < nh && OUT(h[r], h[m]))
                m = r;
            if (m == at)
                break;
            size_t t = h[m];
            h[m] = h[at];
            h[at] = t;
            at = m;
        }
    }
#undef OUT
    for (size_t j = 0; j < nh; j++)
        rows[j] = (int64_t)h[j] + 1;
    free(h);
    return nh;
}
