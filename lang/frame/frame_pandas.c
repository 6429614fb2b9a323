/*
 * This file computes what pandas computes over a frame's numeric columns
 * held in memory (frame_cols.c), with its arithmetic: numpy's pairwise
 * sums (8 accumulators, blocks of 128, the reduction buffered in chunks of
 * 8,192), nanmean and nanvar's two passes, groupby's Kahan sums over keys
 * sorted ascending, value counts ordered by count as numpy's introsort
 * orders them (equal counts included), and the first or last rows of a
 * sort. Results are scalars or small stores (one row per group or value).
 *
 * Ownership: columns are borrowed; stores returned are new references.
 */
#include "frame/frame_cols.h"
#include "sql/dialect.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* fc_reduce: see frame_cols.h. */
tq_value_t *fc_reduce(const fcol_t *c, const char *fn)
{
    double mean, var;
    if (!strcmp(fn, "count"))
        return tq_int((int64_t)(c->n - c->nmissing));
    if (!strcmp(fn, "sum"))
        return fc_sum_value(c);
    if (!strcmp(fn, "min") || !strcmp(fn, "max"))
        return fc_extreme(c, !strcmp(fn, "max"));
    if (!strcmp(fn, "mean"))
        return tq_float(fc_mean(c));
    if (!strcmp(fn, "std") || !strcmp(fn, "var")) {
        fc_moments(c, &mean, &var);
        return tq_float(!strcmp(fn, "std") ? sqrt(var) : var);
    }
    return NULL;
}

/* fc_values: see frame_cols.h. */
double *fc_values(const fcol_t *c, size_t *n)
{
    double *v = fc_array(c->n, sizeof *v, false);
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
    fstore_t *st = frame_store_create(ctx, names, types, ncols);
    if (!st)
        return NULL;
    const tqdb_datum_t **cells = tq_xcalloc(nrows * ncols + 1,
                                            sizeof *cells);
    for (size_t i = 0; i < nrows * ncols; i++)
        cells[i] = &vals[i];
    int rc = frame_store_fill_rows(ctx, st, nrows, ncols, cells);
    free(cells);
    if (rc < 0)
        return NULL;           /* st released */
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

/* Sifts tmp down from a[i] within the heap a[1..n] (1-based, as numpy
 * indexes it), the larger child first. */
static void sift_down(const int64_t *v, size_t *a, size_t i, size_t n,
                      size_t tmp)
{
    for (size_t j = i << 1; j <= n;) {
        if (j < n && v[a[j]] < v[a[j + 1]])
            j += 1;
        if (!(v[tmp] < v[a[j]]))
            break;
        a[i] = a[j];
        i = j;
        j += j;
    }
    a[i] = tmp;
}

/* numpy 1.24's heapsort of indices (aheapsort_), the fallback of its
 * introsort: tosort[0..n) ordered by v. */
static void aheapsort(const int64_t *v, size_t *tosort, size_t n)
{
    size_t *a = tosort - 1;     /* 1-based */
    for (size_t l = n >> 1; l > 0; --l)
        sift_down(v, a, l, n, a[l]);
    for (; n > 1;) {
        size_t tmp = a[n];
        a[n] = a[1];
        n -= 1;
        sift_down(v, a, 1, n, tmp);
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

/* ---- running totals */

/* fc_running: see frame_cols.h. numpy's accumulate, in row order, over
 * the values with missing ones skipped (pandas' nancumsum: they stay
 * missing, the total goes on past them). */
fcol_t *fc_running(const fcol_t *c, char op)
{
    assert(op == '+' || op == '>' || op == '<');
    assert(c->kind == FCOL_INT || c->kind == FCOL_REAL);
    fcol_t *r = tq_xcalloc(1, sizeof *r);
    r->name = tq_xstrdup("tq_v");
    r->kind = c->kind;
    r->n = c->n;
    r->nmissing = c->nmissing;
    if (c->kind == FCOL_INT) {
        r->iv = fc_array(c->n + 1, sizeof *r->iv, false);
        int64_t acc = 0;
        for (size_t i = 0; i < c->n; i++) {
            int64_t v = c->iv[i];
            if (i == 0)
                acc = v;
            else if (op == '+') {
                if (__builtin_add_overflow(acc, v, &acc)) {
                    /* SQL's window sum reports it */
                    fc_array_free(r->iv);
                    free(r->name);
                    free(r);
                    return NULL;
                }
            } else if (op == '>' ? v > acc : v < acc) {
                acc = v;
            }
            r->iv[i] = acc;
        }
        return r;
    }
    r->x = fc_array(c->n + 1, sizeof *r->x, false);
    if (op == '+') {
        /* np.cumsum over the values with 0 for missing ones */
        double acc = 0.;
        for (size_t i = 0; i < c->n; i++) {
            double v = isnan(c->x[i]) ? 0. : c->x[i];
            acc = i == 0 ? v : acc + v;
            r->x[i] = isnan(c->x[i]) ? NAN : acc;
        }
        return r;
    }
    /* np.maximum (minimum).accumulate with -inf (inf) for missing ones */
    double fill = op == '>' ? -INFINITY : INFINITY, acc = fill;
    for (size_t i = 0; i < c->n; i++) {
        double v = isnan(c->x[i]) ? fill : c->x[i];
        if (i == 0 || (op == '>' ? v > acc : v < acc))
            acc = v;
        r->x[i] = isnan(c->x[i]) ? NAN : acc;
    }
    return r;
}
