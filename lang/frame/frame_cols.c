/*
 * This file keeps typed in-memory copies of a store's numeric columns
 * (LANGUAGE.md section 6, issue 15): an int64 column as an array of
 * int64_t, a float64 one (ints with missing values included, as read_sql
 * makes them) as doubles with NaN where a value is missing. The temp table
 * stays the frame's truth; a copy is read in one pass, in row order, when
 * the frame is made (.dataframe()) or when a statistic first needs it, and
 * is dropped when its column is assigned (frame_cols_forget), when a cell
 * rolls back, raw SQL writes or %connect moves (frame_changed: a
 * generation), and with its store. All copies together stay under
 * FCOL_BUDGET bytes; past it a column is simply not copied and the SQL
 * paths serve it. A copy also tells the column's pandas dtype, so that no
 * scan is needed to learn it.
 *
 * frame_calc.c computes the copies of computed columns; frame_pandas.c
 * computes pandas' statistics over copies.
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* All copies together, in bytes; beyond it columns stay in SQL only. */
#define FCOL_BUDGET ((size_t)768 << 20)
static size_t fcol_bytes;

/* Every array of a copy starts FC_HEAD bytes into its allocation, after
 * its head: its count of owners (copies that hold the same values, an
 * index and the index of a Series made from it, share one array) and,
 * for a mapping of its own, its size. 64 bytes keep the values aligned
 * for vector loads. */
#define FC_HEAD ((size_t)64)

typedef struct fc_head {
    size_t refs;
    size_t bytes;               /* the block's, head included */
    bool mapped;                /* a mapping of its own, not a heap block */
} fc_head_t;

/* Arrays of at least this many bytes are mappings of their own, their
 * pages made present by the mapping call (MAP_POPULATE) rather than by
 * a fault per page on first write: a third less time on a million-row
 * column. (Huge pages, numpy's way, cost five times more than faults on
 * a process's first hundreds of MiB here.) Under AddressSanitizer they
 * stay heap blocks, which it checks. */
#if defined(__SANITIZE_ADDRESS__)
#define FC_MAP_MIN ((size_t)-1)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FC_MAP_MIN ((size_t)-1)
#endif
#endif
#ifndef FC_MAP_MIN
#define FC_MAP_MIN ((size_t)4 << 20)
#endif

static fc_head_t *fc_head(void *p)
{
    return (fc_head_t *)(void *)((char *)p - FC_HEAD);
}

static size_t fc_bytes(size_t count, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count ? count : 1, size, &bytes) ||
        __builtin_add_overflow(bytes, FC_HEAD, &bytes))
        abort();
    return bytes;
}

/* A new block of `bytes` (zeroed when `zero`; a mapping always is). */
static fc_head_t *fc_block(size_t bytes, bool zero)
{
#ifdef MAP_POPULATE
    if (bytes >= FC_MAP_MIN) {
        void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (m == MAP_FAILED)
            abort();
        fc_head_t *h = m;
        h->bytes = bytes;
        h->mapped = true;
        return h;
    }
#endif
    fc_head_t *h = zero ? tq_xcalloc(1, bytes) : tq_xmalloc(bytes);
    h->bytes = bytes;
    h->mapped = false;
    return h;
}

static void fc_block_free(fc_head_t *h)
{
    if (h->mapped)
        munmap(h, h->bytes);
    else
        free(h);
}

/* fc_array: see frame_cols.h. */
void *fc_array(size_t count, size_t size, bool zero)
{
    fc_head_t *h = fc_block(fc_bytes(count, size), zero);
    h->refs = 1;
    return (char *)h + FC_HEAD;
}

/* fc_array_resize: see frame_cols.h. */
void *fc_array_resize(void *p, size_t count, size_t size)
{
    fc_head_t *h = fc_head(p);
    assert(h->refs == 1);
    size_t bytes = fc_bytes(count, size);
    if (bytes == h->bytes)
        return p;               /* a column read to its known count */
    if (!h->mapped && bytes < FC_MAP_MIN) {
        h = tq_xrealloc(h, bytes);
        h->bytes = bytes;
        return (char *)h + FC_HEAD;
    }
#ifdef MREMAP_MAYMOVE
    if (h->mapped) {
        void *m = mremap(h, h->bytes, bytes, MREMAP_MAYMOVE);
        if (m == MAP_FAILED)
            abort();
        h = m;
        h->bytes = bytes;
        return (char *)h + FC_HEAD;
    }
#endif
    fc_head_t *n = fc_block(bytes, false);
    memcpy((char *)n + FC_HEAD, p,
           (h->bytes < bytes ? h->bytes : bytes) - FC_HEAD);
    n->refs = 1;
    fc_block_free(h);
    return (char *)n + FC_HEAD;
}

/* fc_array_share: see frame_cols.h. */
void *fc_array_share(void *p)
{
    assert(p && fc_head(p)->refs > 0);
    fc_head(p)->refs++;
    return p;
}

/* fc_array_free: see frame_cols.h. */
void fc_array_free(void *p)
{
    if (!p)
        return;
    fc_head_t *h = fc_head(p);
    assert(h->refs > 0);
    if (--h->refs == 0)
        fc_block_free(h);
}

static void fcol_clear(fcol_t *c)
{
    assert(fcol_bytes >= c->bytes);
    fcol_bytes -= c->bytes;
    fc_recipe_free(c->recipe);
    free(c->name);
    fc_array_free(c->iv);
    fc_array_free(c->x);
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
    r->x = fc_array(cap, sizeof *r->x, false);
    for (size_t i = 0; i < n; i++)
        r->x[i] = (double)r->iv[i];
    fc_array_free(r->iv);
    r->iv = NULL;
    r->kind = FCOL_REAL;
}

static void drop_reading(reading_t *r, fcol_kind_t why)
{
    fc_array_free(r->iv);
    fc_array_free(r->x);
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
    tqdb_cursor_t *cur = frame_store_rows(ctx, st, names, n);
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
            r[i].iv = fc_array(cap, sizeof *r[i].iv, false);
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        if (rows == cap) {
            cap *= 2;
            fit_budget(r, n, cap);
            for (size_t i = 0; i < n; i++) {
                if (r[i].iv)
                    r[i].iv = fc_array_resize(r[i].iv, cap, sizeof *r[i].iv);
                if (r[i].x)
                    r[i].x = fc_array_resize(r[i].x, cap, sizeof *r[i].x);
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
            c->iv = fc_array_resize(r[i].iv, keep, sizeof *c->iv);
        else
            c->x = fc_array_resize(r[i].x, keep, sizeof *c->x);
        c->bytes = rows * 8;
        fcol_bytes += c->bytes;
        assert(fcol_bytes <= FCOL_BUDGET);
    }
    free(r);
    return 0;
}

/* Frees entry i of st's cache (the last one takes its place). */
static void remove_at(fstore_t *st, size_t i)
{
    assert(i < st->nfcols);
    fcol_clear(st->fcols[i]);
    free(st->fcols[i]);
    st->fcols[i] = st->fcols[--st->nfcols];
}

/* The entry of `col` in st's cache, dropping stale entries first; a
 * computed column's copy is computed on this first lookup. */
static fcol_t *find(fstore_t *st, const char *col)
{
    for (size_t i = 0; i < st->nfcols;) {
        /* a memory store's copies are its rows: never stale */
        if (!st->mem && st->fcols[i]->gen != frame_generation) {
            remove_at(st, i);
            continue;
        }
        if (!strcmp(st->fcols[i]->name, col)) {
            if (st->fcols[i]->recipe)
                fc_recipe_run(st->fcols[i]);
            return st->fcols[i];
        }
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

/* frame_cols_peek: see frame_cols.h. */
const fcol_t *frame_cols_peek(fstore_t *st, const char *col)
{
    return find(st, col);
}

/* frame_cols_renew: see frame_cols.h. */
void frame_cols_renew(fstore_t *st)
{
    for (size_t i = 0; i < st->nfcols; i++)
        st->fcols[i]->gen = frame_generation;
}

/* frame_cols_forget: see frame_cols.h. */
void frame_cols_forget(fstore_t *st, const char *col)
{
    for (size_t i = 0; i < st->nfcols; i++)
        if (!strcmp(st->fcols[i]->name, col)) {
            remove_at(st, i);
            return;
        }
}

/* frame_cols_fit: see frame_cols.h. */
bool frame_cols_fit(size_t bytes)
{
    return fcol_bytes + bytes <= FCOL_BUDGET;
}

/* frame_cols_adopt: see frame_cols.h. */
void frame_cols_adopt(fstore_t *st, fcol_t *c)
{
    assert(c->kind == FCOL_INT || c->kind == FCOL_REAL || c->recipe);
    assert(c->gen == frame_generation);
    c->bytes = c->n * 8;
    fcol_bytes += c->bytes;
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
