/*
 * This file declares the typed in-memory columns of frame stores
 * (frame_cols.c) and what pandas computes over them: the statistics,
 * groupby aggregates and value counts that frame_stats.c,
 * frame_methods.c and frame_series.c answer in C when every column they
 * read is numeric and copied, and in SQL otherwise.
 *
 * Ownership: a store owns its cached columns (freed by frame_cols_drop);
 * frame_col hands out borrowed pointers, valid until the store's next
 * column assignment, rollback or raw SQL write.
 */
#ifndef TQ_FRAME_COLS_H
#define TQ_FRAME_COLS_H

#include "frame/frame.h"

typedef enum fcol_kind {
    FCOL_NONE,          /* not copied: over the budget */
    FCOL_TEXT,          /* not numeric: a text or blob value seen */
    FCOL_INT,           /* every value an integer, none missing */
    FCOL_REAL           /* doubles, NaN where missing */
} fcol_kind_t;

struct fc_recipe;

typedef struct fcol {
    char *name;
    uint64_t gen;               /* frame_generation when read */
    fcol_kind_t kind;
    size_t n;                   /* the store's rows */
    size_t nmissing;
    int64_t *iv;                /* FCOL_INT (an fc_array) */
    double *x;                  /* FCOL_REAL (an fc_array) */
    size_t bytes;               /* counted against the budget */
    /* A computed column's copy not computed yet (frame_calc.c): kind is
     * FCOL_NONE until the first lookup of the entry computes it. */
    struct fc_recipe *recipe;
} fcol_t;

/* The typed copy of column `col` of st in *out (read in one pass when not
 * cached), or NULL when it holds text, is over the budget, or st is a
 * pending store. 0, or -1 with the error raised (the table is gone). */
int frame_col(tq_ctx_t *ctx, fstore_t *st, const char *col,
              const fcol_t **out);
/* The typed copy behind a Series that is one numeric column of its store
 * (dtype int64 or float64), in *out; NULL for any other Series. 0 or -1
 * (raised). */
int fc_series_column(tq_ctx_t *ctx, const frame_t *f, const fcol_t **out);
/* The same for column `col` of st whose pandas dtype is `dtype`. */
int fc_store_column(tq_ctx_t *ctx, fstore_t *st, const char *col,
                    const char *dtype, const fcol_t **out);
/* Reads the columns among cols[0..n) that may hold numbers (all but those
 * declared text, date or datetime), in one statement: .dataframe() calls
 * it once the store is filled, so that the statistics that follow, and
 * the columns' dtypes, need no scan. 0 or -1 (raised). */
int frame_cols_load(tq_ctx_t *ctx, fstore_t *st, char *const *cols,
                    size_t n);
/* pandas' dtype of column `col` of st as its copy shows it ("int64",
 * "float64", "object"), or NULL when no copy says (none read, over the
 * budget, or every value missing). */
const char *frame_cols_dtype(fstore_t *st, const char *col);
/* The cached copy of `col` of st (any kind), or NULL: nothing is read. */
const fcol_t *frame_cols_peek(fstore_t *st, const char *col);
/* Marks every copy of st current (a memory store's table was just made
 * from them). */
void frame_cols_renew(fstore_t *st);
/* True when a copy of `bytes` more fits the budget of all copies. */
bool frame_cols_fit(size_t bytes);
/* Gives st the copy c (a new FCOL_INT or FCOL_REAL entry, or one with a
 * recipe, of the current generation and n rows, owned by st from now on;
 * n * 8 bytes are counted against the budget). */
void frame_cols_adopt(fstore_t *st, fcol_t *c);
/* Forgets the cached column `col` of st (it was assigned). */
void frame_cols_forget(fstore_t *st, const char *col);
/* frame_calc.c. After df[name] = e made column `name` of st a virtual
 * column computed by SQLite from e: when e is + - * and negation over
 * number literals and int64/float64 columns held in memory, st gets an
 * entry for its copy holding the recipe (the columns' arrays shared, as
 * they are now), computed in memory with SQLite's arithmetic when the
 * entry is first looked up; otherwise no entry: it is read when needed. */
void fc_assign_copy(tq_ctx_t *ctx, fstore_t *st, const char *name,
                    const qexpr_t *e);
/* The recipe of e over st's copies as they are now (owned: adopted by
 * fc_recipe_adopt or freed), or NULL when e is not that arithmetic. */
struct fc_recipe *fc_recipe_make(tq_ctx_t *ctx, fstore_t *st,
                                 const qexpr_t *e);
/* After the existing column `name` of st was written in place with the
 * values r computes: r becomes its copy's recipe (adopted), computed as
 * the column's declared type stores the values; freed instead where it
 * stores them as text. */
void fc_recipe_adopt(tq_ctx_t *ctx, fstore_t *st, const char *name,
                     struct fc_recipe *r);
/* Computes the copy of c from its recipe (then freed): c becomes an
 * FCOL_INT or FCOL_REAL entry. */
void fc_recipe_run(fcol_t *c);
/* Frees a recipe that was never run (NULL allowed). */
void fc_recipe_free(struct fc_recipe *r);
/* The arrays of copies (fcol_t's iv and x). A new array of count
 * elements of `size` bytes (zeroed when `zero`), with one owner, the
 * caller, who releases it with fc_array_free; large ones are mappings
 * of their own, their pages made present at once. Never NULL. */
void *fc_array(size_t count, size_t size, bool zero);
/* p (from fc_array, one owner) resized to count elements. */
void *fc_array_resize(void *p, size_t count, size_t size);
/* p with one owner more (the caller): a copy that holds the same values
 * shares the array instead of copying it. Its values never change once
 * shared. */
void *fc_array_share(void *p);
/* Releases the caller's ownership of p (NULL allowed); the last owner
 * frees it. */
void fc_array_free(void *p);
/* Forgets every cached column of st (one of its columns was assigned). */
void frame_cols_drop(fstore_t *st);

/* ---- frame_pandas.c */

/* numpy's sum of n doubles: pairwise within buffers of 8,192, in order. */
double fc_sum(const double *a, size_t n);
/* pandas' nanmean of a column (NaN with no values). */
double fc_mean(const fcol_t *c);
/* pandas' nanmean and ddof-1 nanvar of a column (NaN when undefined);
 * its std is sqrt(var), as nanstd takes it. */
void fc_moments(const fcol_t *c, double *mean, double *var);
/* pandas' Series.sum(): an int for an int64 column, else a float (0.0
 * with nothing to add). NULL without an error on int64 overflow (the SQL
 * path then reports it). New reference. */
tq_value_t *fc_sum_value(const fcol_t *c);
/* min() or max(): an int, or a float (NaN with no values). */
tq_value_t *fc_extreme(const fcol_t *c, bool max);
/* fn (count sum mean min max std var) of c as pandas gives it: a new
 * reference; NULL without an error for another fn or an int64 sum that
 * overflows (the SQL path then answers, or reports it). */
tq_value_t *fc_reduce(const fcol_t *c, const char *fn);
/* The non-missing values as doubles in row order (an fc_array, owned by
 * the caller), count in *n. */
double *fc_values(const fcol_t *c, size_t *n);

/* frame_stats.c. s.quantile(q) (linear, as numpy 1.24) or, with
 * `median`, s.median() (the mean of the two middle values for an even
 * count) over the values of c that are not missing; NaN with none. */
double fc_quantile(const fcol_t *c, double q, bool median);

/* groupby(key)[cols].fn() with fn sum mean count min max size: a new
 * store indexed by column key_label (sorted keys, missing ones dropped)
 * with one column per names[j] ("size" for size), computed as pandas'
 * cython groupby does (Kahan sums). NULL with an error raised, or NULL
 * without one on int64 overflow (the caller takes the SQL path). */
fstore_t *fc_groupby(tq_ctx_t *ctx, const fcol_t *key, const char *key_label,
                     const fcol_t *const *cols, char *const *names,
                     size_t ncols, const char *fn);
/* s.value_counts() without missing values: a store (tq_i the value,
 * tq_v its count or share) in pandas' order. NULL (raised). */
fstore_t *fc_value_counts(tq_ctx_t *ctx, const fcol_t *c, bool normalize,
                          bool ascending);

/* numpy 1.24's argsort(kind='quicksort') of n int64 values into t. */
void fc_argsort(const int64_t *v, size_t n, size_t *t);
/* The order pandas' value_counts() gives m groups whose counts (in order
 * of first appearance) are `counts`: Series.sort_values through nargsort
 * with numpy's quicksort, so equal counts come as pandas has them. */
void fc_count_order(const int64_t *counts, size_t m, bool ascending,
                    size_t *order);
/* A new store with columns names[i] of declared types types[i] (the
 * first is its index), filled with nrows rows of ncols datums (borrowed)
 * and numbered. NULL (raised). */
fstore_t *fc_datum_store(tq_ctx_t *ctx, char *const *names,
                         const char *const *types, size_t ncols,
                         const tqdb_datum_t *vals, size_t nrows);

/* The k rows (1-based row numbers, in no order) that come first (last:
 * last) when the store's rows are sorted by c, ascending or (desc)
 * descending, missing values last, equal values in row order: what
 * sort_values(c).head(k) (.tail(k)) shows. Returns how many (k, or the
 * rows there are). */
size_t fc_sorted_rows(const fcol_t *c, bool desc, bool last, size_t k,
                      int64_t *rows);
/* cumsum ('+'), cummax ('>') or cummin ('<') of c as pandas computes
 * it: a new copy (owned) of c's kind, missing values staying missing;
 * NULL when an int64 cumsum overflows. */
fcol_t *fc_running(const fcol_t *c, char op);

#endif
