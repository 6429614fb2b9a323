/*
 * This file holds the statistics of frames (LANGUAGE.md section 6):
 * df.describe() and s.describe() as pandas prints them (count mean std
 * min 25% 50% 75% max of the numeric columns, numpy's linear quantiles;
 * count unique top freq when no column is numeric), df.groupby(k)[col]
 * with sum mean count min max size as one GROUP BY statement whose result
 * is a new temp table indexed by k, and the Series aggregates s.sum()
 * mean count min max std. Over numeric columns held in memory
 * (frame_cols.h) all of them are computed in C with pandas' arithmetic
 * (frame_pandas.c); otherwise describe() and std() read their inputs in
 * one statement over the temp table and compute in C (numpy's pairwise
 * sums, quartiles by selection) and the other statistics are SQL
 * aggregates.
 */
#include "frame/frame.h"
#include "frame/frame_methods.h"
#include "frame/frame_cols.h"
#include "sql/dialect.h"

#include <assert.h>
#include <math.h>

#define SELF(v) ((frame_t *)tq_native_data(v))

/* One described input: its name and its SQL (a quoted column or a Series
 * fragment with parameters). */
typedef struct dcol {
    char *name;
    frag_t f;
} dcol_t;

static void dcols_free(dcol_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(d[i].name);
        frame_frag_clear(&d[i].f);
    }
    free(d);
}

/* The inputs of a frame or a Series. NULL (raised) on error. */
static dcol_t *inputs(tq_ctx_t *ctx, const frame_t *f, size_t *n)
{
    if (f->series) {
        dcol_t *d = tq_xcalloc(1, sizeof *d);
        d->name = tq_xstrdup(f->name ? f->name : "0");
        if (frame_frag_expr(ctx, f->st, f->expr, &d->f) < 0) {
            dcols_free(d, 1);
            return NULL;
        }
        *n = 1;
        return d;
    }
    dcol_t *d = tq_xcalloc(f->ncols, sizeof *d);
    for (size_t i = 0; i < f->ncols; i++) {
        tq_buf_t b = {0};
        tq_buf_ident(&b, f->cols[i]);
        d[i].name = tq_xstrdup(f->cols[i]);
        d[i].f.sql = tq_buf_take(&b);
    }
    *n = f->ncols;
    return d;
}

/* Prepares `WITH tq_v(tq_x, tq_r) AS (SELECT <input>, <store row id>
 * FROM <store>) <body>`: the input's parameters come first in the text, so they
 * are bound as 1..n and the body's own `?` follow, bound from `extra`. */
static tqdb_cursor_t *stat_prepare(tq_ctx_t *ctx, const frame_t *f,
                                   const dcol_t *d, const char *body,
                                   const double *extra, size_t nextra)
{
    assert(d->f.sql && body && (extra || nextra == 0));
    tq_buf_t b = {0};
    tq_buf_printf(&b, "WITH tq_v(tq_x, tq_r) AS (SELECT %s, %s FROM ",
                  d->f.sql, f->st->dialect->store_rowid);
    frame_table_ref(&b, f->st);
    tq_buf_printf(&b, ") %s", body);
    tqdb_cursor_t *st = frame_prepare(ctx, b.s, &d->f);
    tq_buf_free(&b);
    if (!st)
        return NULL;
    for (size_t i = 0; i < nextra; i++)
        if (tqdb_bind_float(st, (int)(d->f.q.nparams + 1 + i), extra[i]) < 0) {
            tqdb_cursor_free(&st);
            tq_raise_db(ctx);
            return NULL;
        }
    return st;
}

/* Runs `SELECT <sel> FROM tq_v WHERE tq_x IS NOT NULL` over the input and
 * reads nout doubles (NaN for NULL). 0 or -1 (raised). */
static int stat_row(tq_ctx_t *ctx, const frame_t *f, const dcol_t *d,
                    const char *sel, const double *extra, size_t nextra,
                    double *out, size_t nout)
{
    char *body = tq_xasprintf("SELECT %s FROM tq_v WHERE tq_x IS NOT NULL",
                              sel);
    for (size_t i = 0; i < nout; i++)
        out[i] = NAN;
    tqdb_cursor_t *st = stat_prepare(ctx, f, d, body, extra, nextra);
    free(body);
    if (!st)
        return -1;
    assert(tqdb_column_count(st) == (int)nout);
    int rc = tqdb_step(st);
    if (rc == TQDB_ROW)
        for (size_t i = 0; i < nout; i++)
            out[i] = tqdb_column_type(st, (int)i) == TQDB_NULL
                   ? NAN : tqdb_column_float(st, (int)i);
    tqdb_cursor_free(&st);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

/* numpy's linear interpolation between two order statistics. */
static double lerp(double a, double b, double t)
{
    double diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* Moves the k-th smallest of x[0..n) to x[k], the smaller ones before it
 * and the others after it (Hoare's selection, median of three). */
static void select_kth(double *x, size_t n, size_t k)
{
    assert(k < n);
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        /* order x[lo], x[mid], x[hi]; the median is the pivot */
        if (x[mid] < x[lo]) { double t = x[mid]; x[mid] = x[lo]; x[lo] = t; }
        if (x[hi] < x[lo]) { double t = x[hi]; x[hi] = x[lo]; x[lo] = t; }
        if (x[hi] < x[mid]) { double t = x[hi]; x[hi] = x[mid]; x[mid] = t; }
        double pivot = x[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot)
                i++;
            while (x[j] > pivot)
                j--;
            if (i <= j) {
                double t = x[i]; x[i] = x[j]; x[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        /* now x[lo..j] <= pivot <= x[i..hi], and j < i */
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* Order statistics of x[0..n), asked for at rising positions: x[a..end)
 * hold the a-th to (end-1)-th smallest in place, those before x[a] are no
 * greater and those from x[end] no smaller. */
typedef struct order {
    double *x;
    size_t n, a, end;
} order_t;

/* The p-th smallest value (p no lower than any position asked before). */
static double order_stat(order_t *o, size_t p)
{
    assert(p < o->n && p >= o->a);
    if (p >= o->end) {
        if (p == o->end && o->end > 0) {
            /* the next one: the least of the rest */
            select_kth(o->x + p, o->n - p, 0);
        } else {
            select_kth(o->x + o->end, o->n - o->end, p - o->end);
            o->a = p;
        }
        o->end = p + 1;
    }
    return o->x[p];
}

/* numpy 1.24's 'linear' quantile q of n values (n > 0): at virtual
 * index (n - 1) * q, between the values at its floor and the
 * next rank, as the positions of two ranks, weight in *t. */
static void quantile_ranks(size_t n, double q, size_t r[2], double *t)
{
    double vi = (double)(n - 1) * q;
    double lof = floor(vi);
    if (lof < 0)
        lof = 0;
    r[0] = (size_t)lof;
    r[1] = r[0] + 1 > n - 1 ? n - 1 : r[0] + 1;
    *t = vi - lof;
}

/* The describe() numbers of the n values x that are not missing (in any
 * order; reordered here), given their mean and standard deviation: out[0]
 * count, out[3] min, out[4..6] numpy's linear quartiles, out[7] max. */
static void describe_numbers(double *x, size_t n, double out[8])
{
    out[0] = (double)n;
    out[3] = out[4] = out[5] = out[6] = out[7] = NAN;
    if (n == 0)
        return;
    double mn = x[0], mx = x[0];
    for (size_t i = 0; i < n; i++) {
        if (x[i] < mn)
            mn = x[i];
        if (x[i] > mx)
            mx = x[i];
    }
    out[3] = mn;
    out[7] = mx;
    static const double qs[3] = {0.25, 0.5, 0.75};
    order_t o = {x, n, 0, 0};
    for (int q = 0; q < 3; q++) {
        size_t r[2];
        double t;
        quantile_ranks(n, qs[q], r, &t);
        double a = order_stat(&o, r[0]), b = order_stat(&o, r[1]);
        out[4 + q] = lerp(a, b, t);
    }
}

/* ---- order statistics of a copy, without copying it */

/* A value of c as a key whose unsigned order is the values' order: an
 * integer with its sign bit flipped, a double's bits with the sign bit
 * set for positives and all bits flipped for negatives (-0.0 as 0.0). */
static uint64_t order_key(const fcol_t *c, size_t i)
{
    if (c->kind == FCOL_INT)
        return (uint64_t)c->iv[i] ^ ((uint64_t)1 << 63);
    double d = c->x[i] == 0 ? 0.0 : c->x[i];
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u >> 63 ? ~u : u | ((uint64_t)1 << 63);
}

static double key_value(const fcol_t *c, uint64_t k)
{
    if (c->kind == FCOL_INT)
        return (double)(int64_t)(k ^ ((uint64_t)1 << 63));
    uint64_t u = k >> 63 ? k & ~((uint64_t)1 << 63) : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static bool is_value(const fcol_t *c, size_t i)
{
    return c->kind == FCOL_INT || !isnan(c->x[i]);
}

enum { RANK_BUCKETS = 1 << 16 };

/* The values of c at ranks[0..m) (0-based among its values that are not
 * missing, ascending; m <= RANK_MAX) into out[0..m), with c's values
 * left as they are: one pass finds the least and greatest key, one
 * counts the values in 65,536 buckets of equal key width, and one
 * gathers the values of the buckets that hold the ranks asked for, each
 * rank then selected among its bucket's (a bucket one key wide needs no
 * gathering). Where numpy partitions a copy of the whole column, this
 * reads it three times and copies a few buckets. */
enum { RANK_MAX = 8 };

static void rank_values(const fcol_t *c, const size_t *ranks, size_t m,
                        double *out)
{
    assert(c->n > c->nmissing && m <= RANK_MAX);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < c->n; i++)
        if (is_value(c, i)) {
            uint64_t k = order_key(c, i);
            lo = k < lo ? k : lo;
            hi = k > hi ? k : hi;
        }
    int shift = 0;
    while (((hi - lo) >> shift) >= RANK_BUCKETS)
        shift++;
    size_t *count = tq_xcalloc(RANK_BUCKETS, sizeof *count);
    for (size_t i = 0; i < c->n; i++)
        if (is_value(c, i))
            count[(order_key(c, i) - lo) >> shift]++;
    /* each rank's bucket, and its rank within the bucket */
    size_t bucket[RANK_MAX], within[RANK_MAX];
    for (size_t j = 0; j < m; j++) {
        size_t b = 0, below = 0;
        while (below + count[b] <= ranks[j]) {
            below += count[b];
            b++;
            assert(b < RANK_BUCKETS);
        }
        bucket[j] = b;
        within[j] = ranks[j] - below;
    }
    /* the buckets to gather, each its slot: one pass for all */
    uint8_t *slot = tq_xcalloc(RANK_BUCKETS, 1);     /* 0 none, else 1 + k */
    double *got[RANK_MAX] = {0};
    size_t fill[RANK_MAX] = {0}, nslots = 0;
    for (size_t j = 0; j < m; j++) {
        if (shift == 0) {
            /* one key per bucket: the bucket is the value */
            out[j] = key_value(c, lo + bucket[j]);
        } else if (!slot[bucket[j]]) {
            slot[bucket[j]] = (uint8_t)(1 + nslots);
            got[nslots++] = fc_array(count[bucket[j]], sizeof(double),
                                     false);
        }
    }
    if (nslots) {
        for (size_t i = 0; i < c->n; i++)
            if (is_value(c, i)) {
                uint8_t k = slot[(order_key(c, i) - lo) >> shift];
                if (k)
                    got[k - 1][fill[k - 1]++] = c->kind == FCOL_INT
                        ? (double)c->iv[i] : c->x[i];
            }
        /* each rank by bucket, rising within it, so that a selection
         * narrows the next */
        for (size_t k = 0; k < nslots; k++) {
            size_t b = 0;
            while (slot[b] != k + 1)
                b++;
            size_t n = count[b];
            assert(fill[k] == n);
            order_t o = {got[k], n, 0, 0};
            /* its ranks, rising: order_stat narrows as it goes */
            size_t w[RANK_MAX], nw = 0;
            for (size_t j = 0; j < m; j++)
                if (bucket[j] == b) {
                    size_t at = nw++;
                    while (at > 0 && w[at - 1] > within[j]) {
                        w[at] = w[at - 1];
                        at--;
                    }
                    w[at] = within[j];
                }
            for (size_t i = 0; i < nw; i++) {
                if (i > 0 && w[i] == w[i - 1])
                    continue;
                double v = order_stat(&o, w[i]);
                for (size_t j = 0; j < m; j++)
                    if (bucket[j] == b && within[j] == w[i])
                        out[j] = v;
            }
            fc_array_free(got[k]);
        }
    }
    free(slot);
    free(count);
}

/* fc_quantile: see frame_cols.h. */
double fc_quantile(const fcol_t *c, double q, bool median)
{
    assert(q >= 0 && q <= 1);
    size_t n = c->n - c->nmissing;
    if (n == 0)
        return NAN;
    double v[2] = {0};
    if (median) {
        /* np.median: the middle value, or the mean of the two */
        size_t r[2] = {(n - 1) / 2, n / 2};
        rank_values(c, r, n % 2 ? 1 : 2, v);
        return n % 2 ? v[0] : (v[0] + v[1]) / 2.0;
    }
    /* at the q that pandas' np.percentile(values, q * 100) divides back */
    size_t r[2];
    double t;
    quantile_ranks(n, q * 100.0 / 100.0, r, &t);
    rank_values(c, r, 2, v);
    return lerp(v[0], v[1], t);
}

/* The eight describe() numbers of the n values x (in row order, NaN where
 * missing; reordered here): count, pandas' nanmean and ddof-1 nanstd
 * (numpy's pairwise sums over the values with 0 for missing ones), min,
 * numpy's linear quartiles, max. */
static void describe_values(double *x, size_t n, double out[8])
{
    fcol_t c = {.kind = FCOL_REAL, .n = n, .x = x};
    for (size_t i = 0; i < n; i++)
        c.nmissing += isnan(x[i]);
    fc_moments(&c, &out[1], &out[2]);
    out[2] = sqrt(out[2]);
    /* the numbers alone, for the order statistics */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            x[k++] = x[i];
    describe_numbers(x, k, out);
}

/* The same from a typed copy, which stays as it is (rank_values). */
static void describe_copy(const fcol_t *c, double out[8])
{
    fc_moments(c, &out[1], &out[2]);
    out[2] = sqrt(out[2]);
    size_t n = c->n - c->nmissing;
    out[0] = (double)n;
    out[3] = out[4] = out[5] = out[6] = out[7] = NAN;
    if (n == 0)
        return;
    /* min, the quartiles' ranks (as describe_numbers finds them), max */
    static const double qs[3] = {0.25, 0.5, 0.75};
    size_t r[8];
    double t[3], v[8] = {0};
    r[0] = 0;
    for (int q = 0; q < 3; q++)
        quantile_ranks(n, qs[q], &r[1 + 2 * q], &t[q]);
    r[7] = n - 1;
    rank_values(c, r, 8, v);
    out[3] = v[0];
    for (int q = 0; q < 3; q++)
        out[4 + q] = lerp(v[1 + 2 * q], v[2 + 2 * q], t[q]);
    out[7] = v[7];
}

/* Column i's values read by describe_inputs: how many numbers and texts
 * it holds, and while it holds no text its values in row order (NaN
 * where missing: n of them, nnum numbers). */
typedef struct dvals {
    double *x;
    size_t n, cap, nnum;
    size_t ntext;
    char *text;                 /* the first text, for an error */
} dvals_t;

/* Reads every input in one statement over the store, in row order:
 * SELECT <input 1>, ..., <input n> FROM <store>. 0 or -1 (raised). */
static int describe_inputs(tq_ctx_t *ctx, const frame_t *f, const dcol_t *d,
                           size_t n, dvals_t *out)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT ");
    for (size_t i = 0; i < n; i++)
        tq_buf_printf(&b, "%s%s", i ? ", " : "", d[i].f.sql);
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, f->st);
    tq_buf_printf(&b, " ORDER BY %s", f->st->dialect->store_rowid);
    /* a frame's inputs are column names; a Series has one input */
    assert(f->series || n == 0 || d[0].f.q.nparams == 0);
    tqdb_cursor_t *cur = frame_prepare(ctx, b.s, f->series ? &d[0].f : NULL);
    tq_buf_free(&b);
    if (!cur)
        return -1;
    tqdb_datum_t *row = tq_xcalloc(n + 1, sizeof *row);
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tqdb_row(cur, (int)n, row);
        for (size_t i = 0; i < n; i++) {
            dvals_t *v = &out[i];
            switch (row[i].type) {
            case TQDB_INT:
            case TQDB_FLOAT:
                v->nnum++;
                if (v->ntext == 0)
                    TQ_PUSH(v->x, v->n, v->cap, row[i].type == TQDB_INT
                            ? (double)row[i].i : row[i].f);
                else
                    v->n++;
                break;
            case TQDB_TEXT:
            case TQDB_BLOB:
                /* an object column: its numbers are not needed */
                if (v->ntext++ == 0) {
                    free(v->x);
                    v->x = NULL;
                    v->cap = 0;
                    v->text = row[i].type == TQDB_TEXT
                            ? tq_xstrndup(row[i].s, row[i].len)
                            : tq_xstrdup("<bytes>");
                }
                break;
            case TQDB_NULL:
                if (v->ntext == 0)
                    TQ_PUSH(v->x, v->n, v->cap, NAN);
                break;
            }
        }
    }
    free(row);
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

/* The inputs' typed copies, when every input is either a numeric column
 * held in memory or, in a frame, a column of dtype object or datetime64
 * (text to the engine, never described as numbers: *text[i] set, out[i]
 * NULL): 1 (out[0..n) set), 0 (read them with SQL), or -1 (raised). */
static int typed_inputs(tq_ctx_t *ctx, const frame_t *f, size_t n,
                        const fcol_t **out, bool *text)
{
    int rc = 1;
    for (size_t i = 0; i < n && rc == 1; i++) {
        if (f->series) {
            rc = fc_series_column(ctx, f, &out[i]);
        } else {
            const char *dt = fm_store_dtype(ctx, f->st, f->cols[i]);
            if (dt && (!strcmp(dt, "object") ||
                       !strncmp(dt, "datetime64", 10))) {
                text[i] = true;
                continue;
            }
            rc = dt ? fc_store_column(ctx, f->st, f->cols[i], dt, &out[i])
                    : -1;
        }
        if (rc == 0)
            rc = out[i] ? 1 : 0;
    }
    return n ? rc : 0;
}

static void dvals_free(dvals_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].x);
        free(v[i].text);
    }
    free(v);
}

/* A new store with a text index column and the given columns, filled row
 * by row from values (nrows x ncols datums, bound as they come). */
static fstore_t *small_store(tq_ctx_t *ctx, const char *const *labels,
                             size_t nrows, char *const *cols, size_t ncols,
                             const char *coltype, tqdb_datum_t *const *vals)
{
    assert(labels && vals && coltype);
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    /* REAL as the dialect names a double; no type as its text */
    const char *ty = !strcmp(coltype, "REAL") ? d->type_real
                   : *coltype || !d->expr_type ? coltype
                   : d->type_text;
    char **names = tq_xcalloc(ncols + 1, sizeof *names);
    const char **types = tq_xcalloc(ncols + 1, sizeof *types);
    names[0] = "tq_index";
    types[0] = "TEXT";
    for (size_t c = 0; c < ncols; c++) {
        names[c + 1] = cols[c];
        types[c + 1] = ty;
    }
    fstore_t *st = frame_store_create(ctx, names, types, ncols + 1);
    free(names);
    free(types);
    if (!st)
        return NULL;
    return frame_store_fill(ctx, st, labels, nrows, ncols,
                            (const tqdb_datum_t *const *)vals) < 0 ? NULL : st;
}

/* A number (NULL for NaN) as an owned datum (free() it): an integer when
 * is_int, else a real. */
static tqdb_datum_t *real_value(double d, bool is_int)
{
    tqdb_datum_t v = isnan(d) ? tqdb_datum_null()
                   : is_int   ? tqdb_datum_int((int64_t)d)
                              : tqdb_datum_float(d);
    return tqdb_datum_dup(&v);
}

/* count unique top freq of a non-numeric input, as owned datums in out[0..3]
 * (the caller frees those set, on failure too). */
static int describe_object(tq_ctx_t *ctx, const frame_t *f, const dcol_t *d,
                           tqdb_datum_t **out)
{
    double r[2];
    if (stat_row(ctx, f, d, "count(tq_x), count(DISTINCT tq_x)", NULL, 0,
                 r, 2) < 0)
        return -1;
    out[0] = real_value(r[0], true);
    out[1] = real_value(r[1], true);
    /* top: the most frequent value, the first seen among equals */
    tqdb_cursor_t *st = stat_prepare(ctx, f, d,
        "SELECT tq_x, count(*) AS tq_n, min(tq_r) AS tq_m FROM tq_v WHERE "
        "tq_x IS NOT NULL GROUP BY tq_x ORDER BY tq_n DESC, tq_m LIMIT 1",
        NULL, 0);
    if (!st)
        return -1;
    int rc = tqdb_step(st);
    if (rc == TQDB_ROW) {
        tqdb_datum_t top = tqdb_column(st, 0);
        out[2] = tqdb_datum_dup(&top);
        out[3] = real_value(tqdb_column_float(st, 1), true);
    } else if (rc == TQDB_DONE) {
        out[2] = real_value(NAN, false);
        out[3] = real_value(NAN, false);
    }
    tqdb_cursor_free(&st);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

/* frame_describe: see frame.h. */
tq_value_t *frame_describe(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a)
{
    if (a->npos || a->nkw)
        return tq_raise(ctx, "TypeError", "describe() takes no arguments");
    frame_t *f = SELF(self);
    frame_flush_drops(ctx);
    size_t n;
    dcol_t *d = inputs(ctx, f, &n);
    if (!d)
        return NULL;
    /* one read of every input: kinds and numbers; the numbers of a
     * numeric input stay in memory until it is described */
    dvals_t *dv = tq_xcalloc(n + 1, sizeof *dv);
    const fcol_t **copies = tq_xcalloc(n + 1, sizeof *copies);
    bool *text = tq_xcalloc(n + 1, sizeof *text);
    int typed = typed_inputs(ctx, f, n, copies, text);
    for (size_t i = 0; typed == 1 && i < n; i++) {
        /* a text input is described only when no input is numeric */
        if (text[i])
            dv[i].ntext = 1;
        else
            dv[i].nnum = copies[i]->n - copies[i]->nmissing;
    }
    free(text);
    if (typed < 0 || (!typed && describe_inputs(ctx, f, d, n, dv) < 0)) {
        free(copies);
        dvals_free(dv, n);
        dcols_free(d, n);
        return NULL;
    }
    bool *numeric = tq_xcalloc(n, sizeof *numeric);
    size_t nnum = 0;
    for (size_t i = 0; i < n; i++) {
        numeric[i] = dv[i].nnum > 0 && dv[i].ntext == 0;
        nnum += numeric[i];
    }
    static const char *const num_labels[8] = {
        "count", "mean", "std", "min", "25%", "50%", "75%", "max"};
    static const char *const obj_labels[4] = {"count", "unique", "top",
                                              "freq"};
    bool objects = nnum == 0;
    size_t nrows = objects ? 4 : 8;
    size_t ncols = objects ? n : nnum;
    char **names = tq_xcalloc(ncols, sizeof *names);
    tqdb_datum_t **vals = tq_xcalloc(nrows * ncols, sizeof *vals);
    size_t c = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!objects && !numeric[i])
            continue;
        names[c] = d[i].name;
        if (objects) {
            tqdb_datum_t *o[4] = {0};
            rc = describe_object(ctx, f, &d[i], o);
            for (size_t r = 0; r < 4; r++)
                vals[r * ncols + c] = o[r];
        } else {
            double o[8];
            if (typed == 1)
                describe_copy(copies[i], o);
            else
                describe_values(dv[i].x, dv[i].n, o);
            free(dv[i].x);
            dv[i].x = NULL;
            for (size_t r = 0; r < 8; r++)
                vals[r * ncols + c] = real_value(o[r], false);
        }
        c++;
    }
    fstore_t *st = NULL;
    if (rc == 0)
        st = small_store(ctx, objects ? obj_labels : num_labels, nrows,
                         names, ncols, objects ? "" : "REAL", vals);
    tq_value_t *v = NULL;
    if (st) {
        if (f->series)
            v = frame_series_new(st, "tq_index", "", qx_path(names[0]),
                                 f->name);
        else
            v = frame_new(st, "tq_index", "", names, ncols);
    }
    for (size_t i = 0; i < nrows * ncols; i++)
        free(vals[i]);
    free(vals);
    free(names);
    free(numeric);
    free(copies);
    dvals_free(dv, n);
    dcols_free(d, n);
    return v;
}

/* ---- Series aggregates */

/* frame_series_agg: see frame.h. */
tq_value_t *frame_series_agg(tq_ctx_t *ctx, tq_value_t *self, const char *fn)
{
    frame_t *f = SELF(self);
    frame_flush_drops(ctx);
    const fcol_t *c = NULL;
    if (fc_series_column(ctx, f, &c) < 0)
        return NULL;
    if (c) {
        /* in memory: pandas' own arithmetic */
        tq_value_t *r = fc_reduce(c, fn);
        if (r)
            return r;          /* else an int64 overflow: SQL reports it */
    }
    size_t n;
    dcol_t *d = inputs(ctx, f, &n);
    if (!d)
        return NULL;
    tq_value_t *r = NULL;
    if (!strcmp(fn, "std")) {
        dvals_t *dv = tq_xcalloc(2, sizeof *dv);
        if (describe_inputs(ctx, f, d, 1, dv) == 0) {
            double o[8];
            if (dv[0].ntext)
                r = tq_raise(ctx, "TypeError", "could not convert string "
                             "to float: '%s'", dv[0].text);
            else {
                describe_values(dv[0].x, dv[0].n, o);
                r = tq_float(o[2]);
            }
        }
        dvals_free(dv, 1);
        dcols_free(d, n);
        return r;
    }
    const char *sql = !strcmp(fn, "sum")   ? "coalesce(sum(%s), 0)"
                    : !strcmp(fn, "mean")  ? "avg(%s)"
                    : !strcmp(fn, "count") ? "count(%s)"
                    : !strcmp(fn, "min")   ? "min(%s)"
                                           : "max(%s)";
    tq_buf_t b = {0}, x = {0};
    if (f->boolean)                 /* True counts 1, as in pandas */
        f->st->dialect->bool_int(&x, d->f.sql);
    else
        tq_buf_add(&x, d->f.sql);
    tq_buf_add(&b, "SELECT ");
    tq_buf_printf(&b, sql, x.s);
    tq_buf_free(&x);
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, f->st);
    tqdb_cursor_t *st = frame_prepare(ctx, b.s, &d->f);
    tq_buf_free(&b);
    dcols_free(d, n);
    if (!st)
        return NULL;
    int rc = tqdb_step(st);
    if (rc == TQDB_ROW) {
        if (!strcmp(fn, "mean") && tqdb_column_type(st, 0) == TQDB_NULL)
            r = tq_float(NAN);
        else if (!strcmp(fn, "mean"))
            r = tq_float(tqdb_column_float(st, 0));
        else
            r = tq_cursor_value(st, 0);
        if (f->boolean && !strcmp(fn, "min") && tq_kind(r) == TQ_INT) {
            tq_value_t *b2 = tq_bool(tq_as_int(r) != 0);
            tq_decref(r);
            r = b2;
        }
        /* a float64 column of integers (some missing) gives floats */
        if (r && tq_kind(r) == TQ_INT && !f->boolean && strcmp(fn, "count") &&
            f->expr->kind == QX_REF) {
            const char *dt = fm_store_dtype(ctx, f->st, f->expr->name);
            if (!dt)
                tq_error_clear(ctx);    /* the value stands as read */
            else if (!strcmp(dt, "float64")) {
                tq_value_t *x = tq_float((double)tq_as_int(r));
                tq_decref(r);
                r = x;
            }
        }
    }
    tqdb_cursor_free(&st);
    if (!r) {
        /* an aggregate without GROUP BY always yields its one row */
        assert(rc < 0);
        return tq_raise_db(ctx);
    }
    return r;
}

/* ---- groupby */

typedef struct fgroup {
    tq_value_t *frame;
    char *key;           /* the store column grouped by */
    char *key_label;     /* its name as the user gave it */
    char **cols;         /* selected columns, or NULL for all but the key */
    size_t ncols;
    bool series;        /* selected by gb['col'] */
} fgroup_t;

static void fgroup_destroy(void *p)
{
    fgroup_t *g = p;
    tq_decref(g->frame);
    free(g->key);
    free(g->key_label);
    for (size_t i = 0; i < g->ncols; i++)
        free(g->cols[i]);
    free(g->cols);
    free(g);
}

static const tq_type_t fgroup_type;

static bool has_col(const frame_t *f, const char *name)
{
    for (size_t i = 0; i < f->ncols; i++)
        if (!strcmp(f->cols[i], name))
            return true;
    return false;
}

static tq_value_t *unknown(tq_ctx_t *ctx, const frame_t *f, const char *n)
{
    size_t m = f->ncols;
    const char **names = tq_xcalloc(m + 1, sizeof *names);
    for (size_t i = 0; i < m; i++)
        names[i] = f->cols[i];
    if (f->index_label[0])
        names[m++] = f->index_label;
    for (size_t i = 1; i < m; i++)          /* sort: few columns */
        for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            const char *t = names[k];
            names[k] = names[k - 1];
            names[k - 1] = t;
        }
    tq_buf_t b = {0};
    for (size_t i = 0; i < m; i++) {
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_add(&b, names[i]);
    }
    free(names);
    tq_raise(ctx, "FieldError", "Cannot resolve keyword '%s' into field. "
             "Choices are: %s", n, b.s ? b.s : "");
    tq_buf_free(&b);
    return NULL;
}

/* frame_groupby: see frame.h. */
tq_value_t *frame_groupby(tq_ctx_t *ctx, tq_value_t *self,
                          const tq_args_t *a)
{
    frame_t *f = SELF(self);
    tq_value_t *k = a->npos ? a->pos[0] : tq_args_kw(a, "by");
    if (!k || a->npos > 1 || tq_kind(k) != TQ_STR)
        return tq_raise(ctx, "TypeError", "groupby() takes one column name");
    const char *name = tq_as_str(k);
    const char *key = name;
    if (!has_col(f, name)) {
        if (f->index_label[0] && !strcmp(name, f->index_label))
            key = f->index;
        else
            return unknown(ctx, f, name);
    }
    fgroup_t *g = tq_xcalloc(1, sizeof *g);
    g->frame = tq_incref(self);
    g->key = tq_xstrdup(key);
    g->key_label = tq_xstrdup(name);
    return tq_native_new(&fgroup_type, g);
}

static tq_value_t *fgroup_getitem(tq_ctx_t *ctx, tq_value_t *self,
                                  tq_value_t *key)
{
    fgroup_t *g = tq_native_data(self);
    frame_t *f = SELF(g->frame);
    bool one = tq_kind(key) == TQ_STR;
    if (!one && tq_kind(key) != TQ_LIST && tq_kind(key) != TQ_TUPLE)
        return tq_raise(ctx, "TypeError", "select grouped columns by name");
    size_t n = one ? 1 : tq_seq_len(key);
    for (size_t i = 0; i < n; i++) {
        tq_value_t *c = one ? key : tq_seq_get(key, i);
        if (tq_kind(c) != TQ_STR)
            return tq_raise(ctx, "TypeError", "select grouped columns by "
                            "name");
        if (!has_col(f, tq_as_str(c)))
            return unknown(ctx, f, tq_as_str(c));
    }
    fgroup_t *h = tq_xcalloc(1, sizeof *h);
    h->frame = tq_incref(g->frame);
    h->key = tq_xstrdup(g->key);
    h->key_label = tq_xstrdup(g->key_label);
    h->cols = tq_xcalloc(n, sizeof *h->cols);
    for (size_t i = 0; i < n; i++)
        h->cols[i] = tq_xstrdup(tq_as_str(one ? key : tq_seq_get(key, i)));
    h->ncols = n;
    h->series = one;
    return tq_native_new(&fgroup_type, h);
}

/* The groups computed in memory, when the key and every aggregated
 * column are numeric columns held as typed copies: *out the result store
 * (NULL when the SQL path is to run). 0 or -1 (raised). */
static int typed_group(tq_ctx_t *ctx, const frame_t *f, const fgroup_t *g,
                       char **cols, size_t n, const char *fn, fstore_t **out)
{
    *out = NULL;
    const char *kt = fm_store_dtype(ctx, f->st, g->key);
    const fcol_t *key = NULL;
    if (!kt || fc_store_column(ctx, f->st, g->key, kt, &key) < 0)
        return -1;
    if (!key)
        return 0;
    const fcol_t **c = tq_xcalloc(n + 1, sizeof *c);
    for (size_t i = 0; i < n; i++) {
        const char *dt = fm_store_dtype(ctx, f->st, cols[i]);
        if (!dt || fc_store_column(ctx, f->st, cols[i], dt, &c[i]) < 0) {
            free(c);
            return -1;
        }
        if (!c[i]) {
            free(c);
            return 0;
        }
    }
    *out = fc_groupby(ctx, key, g->key_label, c, cols, n, fn);
    free(c);
    return *out || !tq_error_pending(ctx) ? 0 : -1;
}

/* One GROUP BY statement into a new store indexed by the key. */
static tq_value_t *group_agg(tq_ctx_t *ctx, tq_value_t *self, const char *fn)
{
    fgroup_t *g = tq_native_data(self);
    frame_t *f = SELF(g->frame);
    frame_flush_drops(ctx);
    bool size = !strcmp(fn, "size");
    bool numeric_only = !strcmp(fn, "sum") || !strcmp(fn, "mean");
    /* the aggregated columns: selected, or every column but the key
     * (numeric ones only for sum and mean, as pandas drops the others) */
    char **cols = tq_xcalloc(f->ncols + 1, sizeof *cols);
    size_t n = 0;
    if (!size) {
        if (g->cols) {
            for (size_t i = 0; i < g->ncols; i++)
                cols[n++] = g->cols[i];
        } else {
            for (size_t i = 0; i < f->ncols; i++) {
                if (!strcmp(f->cols[i], g->key))
                    continue;
                if (numeric_only) {
                    /* the column's dtype, read once and cached */
                    const char *dt = fm_store_dtype(ctx, f->st, f->cols[i]);
                    if (!dt) {
                        free(cols);
                        return NULL;
                    }
                    if (!strcmp(dt, "object") || !strncmp(dt, "datetime", 8))
                        continue;
                }
                cols[n++] = f->cols[i];
            }
        }
    }
    fstore_t *typed = NULL;
    if (typed_group(ctx, f, g, cols, n, fn, &typed) < 0) {
        free(cols);
        return NULL;
    }
    if (typed) {
        tq_value_t *v;
        if (size)
            v = frame_series_new(typed, g->key_label, g->key_label,
                                 qx_path("size"), NULL);
        else if (g->series)
            v = frame_series_new(typed, g->key_label, g->key_label,
                                 qx_path(cols[0]), cols[0]);
        else
            v = frame_new(typed, g->key_label, g->key_label, cols, n);
        free(cols);
        return v;
    }
    const char *agg = !strcmp(fn, "sum")   ? "coalesce(sum(%s), 0)"
                    : !strcmp(fn, "mean")  ? "avg(%s)"
                    : !strcmp(fn, "count") ? "count(%s)"
                    : !strcmp(fn, "min")   ? "min(%s)"
                                           : "max(%s)";
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    tq_buf_t b = {0};
    st->dialect->temp_create(&b, st->name);
    tq_buf_add(&b, " AS SELECT ");
    tq_buf_ident(&b, g->key);
    tq_buf_add(&b, " AS ");
    tq_buf_ident(&b, g->key_label);
    if (size)
        tq_buf_add(&b, ", count(*) AS \"size\"");
    for (size_t i = 0; i < n; i++) {
        tq_buf_t id = {0};
        tq_buf_ident(&id, cols[i]);
        tq_buf_add(&b, ", ");
        tq_buf_printf(&b, agg, id.s);
        tq_buf_add(&b, " AS ");
        tq_buf_add(&b, id.s);
        tq_buf_free(&id);
    }
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, f->st);
    tq_buf_add(&b, " WHERE ");
    tq_buf_ident(&b, g->key);
    tq_buf_add(&b, " IS NOT NULL GROUP BY 1 ORDER BY 1");
    int rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    if (rc == 0)
        rc = frame_store_number(ctx, st);
    if (rc < 0) {
        free(cols);
        free(st->name);
        free(st);
        return NULL;
    }
    tq_value_t *v;
    if (size)
        v = frame_series_new(st, g->key_label, g->key_label,
                             qx_path("size"), NULL);
    else if (g->series)
        v = frame_series_new(st, g->key_label, g->key_label,
                             qx_path(cols[0]), cols[0]);
    else
        v = frame_new(st, g->key_label, g->key_label, cols, n);
    free(cols);
    return v;
}

#define GROUP_FN(fn)                                                       \
    static tq_value_t *g_##fn(tq_ctx_t *ctx, tq_value_t *self,             \
                              const tq_args_t *a)                          \
    {                                                                      \
        if (a->npos || a->nkw)                                             \
            return tq_raise(ctx, "TypeError", #fn "() takes no arguments");\
        return group_agg(ctx, self, #fn);                                  \
    }
GROUP_FN(sum)
GROUP_FN(mean)
GROUP_FN(count)
GROUP_FN(min)
GROUP_FN(max)
GROUP_FN(size)

/* gb.cumcount(): each row's number within its group, in row order (one
 * window function), a Series on the frame's index. */
static tq_value_t *g_cumcount(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    (void)a;
    fgroup_t *g = tq_native_data(self);
    frame_t *f = SELF(g->frame);
    frame_flush_drops(ctx);
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    tq_buf_t b = {0};
    tq_buf_add(&b, "CREATE TEMP TABLE ");
    tq_buf_ident(&b, st->name);
    tq_buf_add(&b, " AS SELECT ");
    tq_buf_ident(&b, f->index);
    /* rows with a missing key are in no group: NaN, as pandas */
    tq_buf_add(&b, " AS tq_i, CASE WHEN ");
    tq_buf_ident(&b, g->key);
    tq_buf_add(&b, " IS NULL THEN NULL ELSE row_number() OVER (PARTITION BY ");
    tq_buf_ident(&b, g->key);
    tq_buf_printf(&b, " ORDER BY %s) - 1 END AS tq_v FROM ",
                  f->st->dialect->store_rowid);
    frame_table_ref(&b, f->st);
    tq_buf_printf(&b, " ORDER BY %s", f->st->dialect->store_rowid);
    int rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    if (rc == 0)
        rc = frame_store_number(ctx, st);
    if (rc < 0) {
        free(st->name);
        free(st);
        return NULL;
    }
    return frame_series_new(st, "tq_i", f->index_label, qx_path("tq_v"),
                            NULL);
}

static tq_value_t *fgroup_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                  const char *name)
{
    static const struct {
        const char *name;
        tq_builtin_fn fn;
    } fns[] = {{"sum", g_sum}, {"mean", g_mean}, {"count", g_count},
               {"min", g_min}, {"max", g_max}, {"size", g_size},
               {"cumcount", g_cumcount}};
    (void)ctx;
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
        if (!strcmp(fns[i].name, name))
            return tq_builtin_new(fns[i].name, fns[i].fn, self);
    return NULL;
}

static char *fgroup_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    fgroup_t *g = tq_native_data(self);
    (void)ctx;
    return tq_xasprintf("<%s GroupBy by '%s'>",
                        g->series ? "Series" : "DataFrame", g->key_label);
}

static const tq_type_t fgroup_type = {
    .name = "GroupBy",
    .destroy = fgroup_destroy,
    .repr = fgroup_repr,
    .getattr = fgroup_getattr,
    .getitem = fgroup_getitem,
};
