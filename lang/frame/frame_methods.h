/*
 * This file declares what the pandas methods of frames share
 * (frame_methods.c, frame_series.c): a frame or Series read as one
 * common table expression, statements over it that fill a new store, and
 * the registration table that frame.c's attribute lookup falls back to.
 * Every method is SQL over the frame's temp table (window functions,
 * GROUP BY, CTEs) or, for reductions and value counts of numeric columns
 * held in memory, C over their copies (frame_cols.h); nothing walks the
 * rows in interpreter values.
 *
 * Result stores made here name their index column "tq_i" and, for a
 * Series, their value column "tq_v", so that user column names holding
 * "__" never reach the query compiler.
 *
 * Ownership follows value.h: returned values are new references,
 * arguments are borrowed.
 */
#ifndef TQ_FRAME_METHODS_H
#define TQ_FRAME_METHODS_H

#include "frame/frame.h"

#define FM_SELF(v) ((frame_t *)tq_native_data(v))

/* A frame or Series as `WITH tq_s AS (SELECT _rowid_ AS tq_r, <index> AS
 * tq_i, <value columns> FROM temp.T)`: value columns keep their names
 * (a Series' is "tq_v"); `vals[i]` is the quoted SQL name of column i in
 * tq_s and `names[i]` its shown name. Columns of dtype float64 (ints
 * with missing values, as read_sql makes them) read as REAL, so that
 * results derived from them stay float64 as in pandas. */
typedef struct fm_src {
    const frame_t *f;
    frag_t fr;                   /* a Series' expression and parameters */
    char *cte;
    char **vals;
    char **names;
    const char **dtypes;         /* pandas dtype of each value column */
    size_t n;
} fm_src_t;

/* Fills `s` for f; 0 or -1 (raised). Clear with fm_src_clear. */
int fm_src_init(tq_ctx_t *ctx, const frame_t *f, fm_src_t *s);
void fm_src_clear(fm_src_t *s);

/* Extra parameters bound after the source's own, in text order. */
typedef struct fm_params {
    tq_value_t **v;
    size_t n, cap;
} fm_params_t;
void fm_param(fm_params_t *p, tq_value_t *v);   /* retains v */
void fm_params_clear(fm_params_t *p);

/* Prepares `<cte> <body>` with the source's then p's parameters bound.
 * NULL (raised). */
tqdb_cursor_t *fm_query(tq_ctx_t *ctx, const fm_src_t *s, const char *body,
                        const fm_params_t *p);
/* CREATE TEMP TABLE <new> AS <cte> <body>: the new store or NULL
 * (raised). */
fstore_t *fm_store(tq_ctx_t *ctx, const fm_src_t *s, const char *body,
                   const fm_params_t *p);

/* Records that column `col` of st (a store's column name: "tq_v" for a
 * Series' values) is float64 even when all its values are missing, as
 * pandas' float results (shift, diff, rolling) are. */
void fm_store_float(fstore_t *st, const char *col);

/* How a result's rows come from its source's: what pandas does to the
 * frequency of a DatetimeIndex (fstore_t.freq). */
typedef enum fm_rows {
    FM_ROWS_SAME,      /* every row once, in order (shift, rank, columns) */
    FM_ROWS_SLICE,     /* a run of rows (head, tail, iloc[a:b]): kept */
    FM_ROWS_MASK,      /* a filter (boolean mask, dropna): kept when the
                          rows left are a run */
    FM_ROWS_TAKE,      /* positions (sort_values, nlargest, iloc[[...]]):
                          a multiple when they step evenly ("-2M") */
} fm_rows_t;

/* frame_dt.c: v (a frame or Series over a new store; NULL is passed on)
 * was made from f's rows as `how` says; when f's index has a frequency,
 * v's store records what pandas' index would keep. Returns v, or NULL
 * (raised, v released) when f's labels cannot be read. */
tq_value_t *fm_keep_freq(tq_ctx_t *ctx, tq_value_t *v, const frame_t *f,
                         fm_rows_t how);
/* frame_dt.c: pandas' freqstr of f's index ("M", "2M", "W-SUN") in *out
 * (malloc'd), or NULL when it has none. 0, or -1 (raised). */
int frame_freq_text(tq_ctx_t *ctx, const frame_t *f, char **out);

/* A frame over st (stolen) indexed by tq_i, shown as label. */
tq_value_t *fm_frame(fstore_t *st, const char *label, char *const *cols,
                     size_t ncols);
/* A Series over st (stolen) with index tq_i and values tq_v. */
tq_value_t *fm_series(fstore_t *st, const char *label, const char *name,
                      bool boolean);

/* pandas' dtype of each value column of s ("int64", "float64", "object",
 * "bool"); a malloc'd array of static strings, or NULL (raised). */
const char **fm_dtypes(tq_ctx_t *ctx, const fm_src_t *s);

/* The pandas dtype of column `col` of a store, read for every column at
 * once and kept until frame_changed() (or, for one column, until
 * frame_column_changed()); NULL (raised) on error. */
const char *fm_store_dtype(tq_ctx_t *ctx, fstore_t *st, const char *col);

/* Marks the cached dtype of column `col` of st stale: its values were
 * assigned (frame.c's setitem). The other columns keep theirs. */
void frame_column_changed(fstore_t *st, const char *col);

/* dst holds rows of src (a filter, a sort, a column selection: q lists
 * dst's columns as fields): each field that names a column of src takes
 * its cached dtype, as pandas keeps a column's dtype through row
 * selections, and dst's columns need no scan to learn theirs (src's are
 * read when not cached). Nothing is copied when dst's cache is not empty.
 * 0 or -1 (raised). */
int frame_dtypes_inherit(tq_ctx_t *ctx, fstore_t *dst, fstore_t *src,
                         const qdesc_t *q);

/* frame_dt.c: df.resample(rule, on='col') (or on a date index): a
 * resampler whose sum mean count min max size give one row per calendar
 * bin (D W M MS Q QS A AS), empty bins included, as pandas. */
tq_value_t *frame_resample(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a);

/* Rows [start, start + count) of f (row positions), as a new frame or
 * Series: head, tail and iloc slices read a rowid range. */
tq_value_t *frame_rows_slice(tq_ctx_t *ctx, tq_value_t *self, int64_t start,
                             int64_t count);
/* Rows of f in the store's rowid order, counted once and kept. */
int64_t frame_nrows(tq_ctx_t *ctx, const frame_t *f);

/* The registration table: a method (a builtin bound to the value) or a
 * property (computed at once), for frames, Series or both. */
typedef enum fm_where { FM_BOTH, FM_FRAME, FM_SERIES } fm_where_t;
typedef struct fm_method {
    const char *name;
    tq_builtin_fn fn;
    fm_where_t where;
    bool property;
} fm_method_t;

/* The Series methods of frame_series.c (terminated by a NULL name). */
extern const fm_method_t fm_series_methods[];

/* The attribute `name` of a frame or Series from the tables of
 * frame_methods.c and frame_series.c; NULL without an error when there is
 * none. frame.c's getattr falls back to it. */
tq_value_t *frame_method_lookup(tq_ctx_t *ctx, tq_value_t *self,
                                const char *name);

/* Bound keyword or positional argument `i` named `name`. */
tq_value_t *fm_arg(const tq_args_t *a, size_t i, const char *name);

#endif
