/*
 * This file declares frames, the pandas bridge of LANGUAGE.md section 6.
 * A frame is a TEMP table of the session's database (tq_frame_N) seen
 * through a native value that names its index column and its value
 * columns; a Series is the same value with one column expression over the
 * same temp table. The table is the frame's truth: operations are one or
 * a few SQL statements, compiled through compile.h against a one-table
 * schema that describes the temp table, so column names are checked
 * (FieldError with Django's wording) and values are bound parameters.
 * Numeric columns also have typed in-memory copies (frame_cols.h), over
 * which statistics, groupby, value counts and sorted heads are computed
 * in C as pandas computes them.
 *
 * The first part is what the database layer (query.c) calls; the second
 * part is shared by frame.c and frame_stats.c only.
 *
 * Ownership follows value.h: returned values are new references,
 * arguments are borrowed.
 */
#ifndef TQ_FRAME_H
#define TQ_FRAME_H

#include "db/db.h"
#include "orm/queryset.h"
#include "vm/value.h"

/* ---- the query-set side (registered on query sets by frame_register_methods) */

/* qs.dataframe(): materialises the query set `self` as a frame
 * (CREATE TEMP TABLE ... AS <its SELECT>). The index is the table's
 * primary key whenever the query yields one row per table row (the pk
 * column is added to values()/fancy-indexed selections); grouped or
 * distinct selections get pandas' RangeIndex (0..n-1). Builtin-shaped so
 * that query.c's method table can list it. */
tq_value_t *frame_qs_dataframe(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a);
/* The same from a description. */
tq_value_t *frame_from_query(tq_ctx_t *ctx, const qdesc_t *q);

/* Manager.update_from_dataframe(df): inside one SAVEPOINT, one UPDATE of
 * the rows whose primary key is in the frame's index (restricted to the
 * query set's rows when `self` is filtered), only the frame's columns; a
 * column the table lacks is a FieldError raised before anything is
 * written. Returns None. Builtin-shaped for query.c's method table. */
tq_value_t *frame_qs_update_from_dataframe(tq_ctx_t *ctx, tq_value_t *self,
                                           const tq_args_t *a);
/* The same with the manager/query set and the frame as values. */
tq_value_t *frame_update_table(tq_ctx_t *ctx, tq_value_t *manager,
                               tq_value_t *df);

/* Adds dataframe() and update_from_dataframe() to every query set and
 * manager (through the query-set layer's qs_register_method). The session
 * calls it once before the first cell; calling it again is harmless. */
void frame_register_methods(void);

/* True when v is a frame or a Series. */
bool frame_check(const tq_value_t *v);

/* ---- private to frame.c and frame_stats.c */

extern const tq_type_t tq_frame_type;     /* "DataFrame" */
extern const tq_type_t tq_series_type;    /* "Series": the same hooks */

/* One temp table, shared by a frame and the Series taken from it. Dropped
 * (lazily, at the next frame operation on a connection) when the last
 * value using it is freed. */
typedef struct fstore {
    int refs;
    char *name;                 /* tq_frame_N, in the temp schema */
    const tq_dialect_t *dialect; /* its connection's: the store's SQL */
    int64_t nrows;              /* rows, once counted (-1: not yet); a
                                   store's rows never change after it is
                                   filled, only its columns */
    /* pandas dtypes of its columns, read once per generation (see
     * frame_changed): column names and static dtype names */
    uint64_t dt_gen;
    size_t ndt;
    char **dt_cols;
    const char **dt_types;
    /* columns whose source column (the store this one was derived from)
     * was float64: all missing here, they stay float64, as pandas keeps
     * a dtype through slicing and rolling */
    char **float_cols;
    size_t nfloat;
    /* the frequency of its "tq_i" index, as pandas' DatetimeIndex.freq
     * (frame_dt.c: a resample's bins and the results pandas lets keep
     * it), shown in a Series' footer ("Freq: M"): NULL for none, else
     * the bins' offset ("M", "W-SUN" ...) times freq_mult ("2M"). When
     * freq_rows is not FM_ROWS_SAME (frame_methods.h) the rows were
     * picked from a source whose index had that frequency, and the
     * labels decide whether they keep one, as pandas' positions do. */
    char *freq;
    int64_t freq_mult;
    int freq_rows;
    /* a pending store (sort_values): its table is not made yet. It is
     * CREATE ... AS pend_q over pend_src (owned references), made by
     * frame_force_pending before any other frame statement runs and at
     * the latest before its cell commits; head() and tail() read pend_q
     * with a LIMIT instead (ORDER BY ... LIMIT n, a top-n sort). NULL
     * once made. nrows is known (pend_src's). */
    struct fstore *pend_src;
    qdesc_t *pend_q;
    /* pend_q keeps pend_src's rows in their order (a column selection):
     * an aggregate over the pending store may read pend_src instead */
    bool pend_same_rows;
    /* its index column is "tq_index" holding 0..n-1 in row order (a
     * RangeIndex, as .dataframe() makes it): not copied, since the row
     * number tells it */
    bool range_index;
    /* a memory store: its rows are its typed copies "tq_i" and "tq_v"
     * (a Series computed in C), its table not made until a statement
     * names it (frame_mem_make) */
    bool mem;
    /* typed copies of numeric columns (frame_cols.h), each allocated on
     * its own so that pointers to them stay valid while others are read */
    struct fcol **fcols;
    size_t nfcols;
} fstore_t;

/* A memory store holding a Series' rows: `index` and `values` (new
 * copies, adopted: named "tq_i" and "tq_v" here) of the same length. Its
 * table is made, from the copies, only when a statement names it
 * (frame_prepare, frame_exec, frame_schema ...), so that a Series
 * computed in C (cumsum) is shown, summed and counted without writing
 * its rows. The caller checked frame_cols_fit. */
fstore_t *frame_mem_store(tq_ctx_t *ctx, struct fcol *index,
                          struct fcol *values);
/* Makes st's table from its copies when it is a memory store. 0, or -1
 * (raised). */
int frame_mem_make(tq_ctx_t *ctx, fstore_t *st);
/* At a cell's end: a memory store whose table this cell made keeps its
 * copies, so that a rollback (which takes the table away) leaves it a
 * memory store again. */
void frame_mem_cell_end(bool rolled_back);

/* Makes the tables of every pending store (in dependency order), inside
 * the running transaction. 0, or -1 with the error raised (that store
 * stays without a table: "the frame's temp table is gone"). Every
 * statement frame.c prepares calls it first. */
int frame_force_pending(tq_ctx_t *ctx);
/* While held (true), frame_force_pending does nothing: for statements
 * that read a pending store's source in its place (a source is never
 * pending itself). Returns the previous state, to restore. */
bool frame_hold_pending(bool hold);
/* Forgets every pending store without making its table (a rolled-back
 * cell made them: their frames are unbound or gone with it). */
void frame_abandon_pending(void);

/* Marks every store's cached dtypes stale: called when a column's values
 * change (assignment) or a cell rolls back. */
void frame_changed(void);
extern uint64_t frame_generation;

typedef struct frame {
    fstore_t *st;
    char *index;                /* the store's index column */
    char *index_label;          /* its shown name ("" for a RangeIndex) */
    char **cols;                /* frame: value columns, in order */
    size_t ncols;
    bool series;
    qexpr_t *expr;              /* series: its values over the store */
    char *name;                 /* series: its name, or NULL */
    bool boolean;               /* series: a comparison (dtype bool) */
} frame_t;

/* A one-table schema describing the store (columns from its dialect's
 * temp_columns), for the compiler: base table "temp"."tq_frame_N" keyed
 * by its row-order column (the rowid, or the dialect's store_rowid where
 * the engine has none), so the default order is the frame's row order.
 * NULL with an error raised (the store's table is gone, or the session
 * moved to another engine). Free with tq_schema_free. */
tq_schema_t *frame_schema(tq_ctx_t *ctx, const fstore_t *st);
/* Drops from f's column list the columns its table lost (a failed cell's
 * rollback undoes ALTER TABLE); raises when the table itself is gone.
 * Also flushes pending drops. 0 or -1. */
int frame_sync(tq_ctx_t *ctx, frame_t *f);
/* A fresh description over the store (mode ROWS, no fields). */
qdesc_t *frame_desc(const fstore_t *st);
/* Runs CREATE TEMP TABLE <new> AS <q compiled over st's schema>; returns
 * the new store or NULL (raised). */
fstore_t *frame_materialise(tq_ctx_t *ctx, const fstore_t *st,
                            const qdesc_t *q);
/* Prepares the full statement `sql` and binds its parameters; NULL with
 * the error raised. */
typedef tqdb_cursor_t *(*frame_prep_fn)(tq_ctx_t *ctx, const char *sql,
                                        void *ud);
/* Creates st's table with the columns, names and declared types of the
 * query `select` (CREATE TEMP TABLE name ("c" type, ...)), then fills it
 * with the query's rows in their order (INSERT INTO name <select>), so
 * that a date column keeps its type where CREATE TABLE ... AS would record
 * only an affinity; on an engine whose CREATE TABLE ... AS keeps types
 * (the dialect's store_create_as) one statement instead, with the
 * row-order column. types[i] (i < ntypes, when not NULL) overrides column
 * i's declared type (a computed date); a column without one takes the
 * declared date or datetime type of the column of the same name in
 * `like` (the source store's table, may be NULL), else none. `prep`
 * prepares and binds each statement (NULL: no parameters). Records the
 * rows inserted in st->nrows (the INSERT path). 0, or -1 with the error
 * raised. */
int frame_create_as(tq_ctx_t *ctx, fstore_t *st, const char *select,
                    frame_prep_fn prep, void *ud, const char *const *types,
                    size_t ntypes, const tq_stable_t *like);
/* Numbers the rows of store st, filled without going through
 * frame_create_as (CREATE TEMP TABLE ... AS, or a column list and INSERT),
 * in their insertion order: adds the dialect's store_rowid where the
 * engine has no rowid (store_number); nothing on SQLite. Call it once,
 * right after the store is filled. 0, or -1 with the error raised. */
int frame_store_number(tq_ctx_t *ctx, const fstore_t *st);
/* Fills store st, just created with a label column and ncols others, with
 * nrows rows: labels[r] then vals[r * ncols + c] (borrowed), and numbers
 * them (frame_store_number). 0; or -1 with the error raised and st
 * released (frame_store_unref). */
int frame_store_fill(tq_ctx_t *ctx, fstore_t *st, const char *const *labels,
                     size_t nrows, size_t ncols,
                     const tqdb_datum_t *const *vals);
/* A new store whose table has the columns names[c] of declared types
 * types[c] (as the dialect spells them; "" for none), the first its
 * index, and no rows yet. NULL (raised). */
fstore_t *frame_store_create(tq_ctx_t *ctx, char *const *names,
                             const char *const *types, size_t ncols);
/* The same with every column's value given: cells[r * ncols + c]
 * (borrowed) is row r's value of column c, the first column included. */
int frame_store_fill_rows(tq_ctx_t *ctx, fstore_t *st, size_t nrows,
                          size_t ncols, const tqdb_datum_t *const *cells);
/* The declared type, written with its leading space, of a store column
 * that will hold the n datums `vals` (NULL: text labels): on an engine
 * whose columns have one type (the dialect's expr_type) the integer,
 * number or text type they fit; "" on SQLite, whose columns take any
 * value. Static. */
const char *frame_column_type(const tq_dialect_t *d,
                              tqdb_datum_t *const *vals, size_t n);
/* Creates an empty store name (tq_frame_N) and a store holding it, whose
 * SQL is written in dialect `d` (its connection's, tq_dialect_for). */
fstore_t *frame_store_new(const tq_dialect_t *d);
void frame_store_unref(fstore_t *st);
/* Drops the temp tables of freed frames on this connection. */
void frame_flush_drops(tq_ctx_t *ctx);
/* A frame value over st (steals the store reference) with index column
 * `index` (shown as `label`) and value columns `cols` (copied). */
tq_value_t *frame_new(fstore_t *st, const char *index, const char *label,
                      char *const *cols, size_t ncols);
/* A Series value over st (steals the store and expr references). */
tq_value_t *frame_series_new(fstore_t *st, const char *index,
                             const char *label, qexpr_t *expr,
                             const char *name);
/* A cursor over columns cols[0..n) of st in row order (SELECT ... ORDER
 * BY its row-order column), or NULL with the error raised. The caller
 * frees it. */
tqdb_cursor_t *frame_store_rows(tq_ctx_t *ctx, const fstore_t *st,
                                const char *const *cols, size_t n);
/* Runs one statement with no result rows; 0 or -1 (raised). */
int frame_exec(tq_ctx_t *ctx, const char *sql);
/* Appends the store's table as its dialect names a temp table
 * (temp."tq_frame_N" on SQLite). */
void frame_table_ref(tq_buf_t *b, const fstore_t *st);

/* An SQL fragment compiled over a store: its text and its parameters
 * (bound from 1 by frame_prepare). */
typedef struct frag {
    char *sql;
    qsql_t q;
} frag_t;

/* Compiles expression e over the store into a fragment valid wherever the
 * store's table is in FROM unaliased. 0 or -1 (raised). */
int frame_frag_expr(tq_ctx_t *ctx, const fstore_t *st, qexpr_t *e,
                    frag_t *out);
void frame_frag_clear(frag_t *f);
/* Prepares the one statement `sql` on the session's connection and binds
 * f's parameters from 1 (f may be NULL). Returns a cursor the caller frees
 * with tqdb_cursor_free, or NULL with the error raised. */
tqdb_cursor_t *frame_prepare(tq_ctx_t *ctx, const char *sql, const frag_t *f);

/* frame_cell.c: a failed cell unbinds the frames it made. Called by the
 * session around each cell's transaction: begin returns a snapshot of the
 * globals (owned, opaque); end frees it and, when the cell was rolled
 * back, restores each global bound to a frame or Series whose temp table
 * the rollback dropped to its value before the cell (or unbinds it). */
void *frame_cell_begin(tq_ctx_t *ctx);
void frame_cell_end(tq_ctx_t *ctx, void *snapshot, bool rolled_back);
/* Called by the session after a cell ran without error, before its
 * transaction commits: makes the tables of pending stores
 * (frame_force_pending), so that a later cell's rollback cannot take
 * them away. 0, or -1 with the error raised (the cell then fails). */
int frame_cell_commit(tq_ctx_t *ctx);

/* frame_dt.c: the `.dt` accessor of a Series (s.dt.year ...). */
tq_value_t *frame_dt_accessor(tq_ctx_t *ctx, tq_value_t *series);

/* frame_stats.c: df.describe(), df.groupby(k) and Series aggregates. */
tq_value_t *frame_describe(tq_ctx_t *ctx, tq_value_t *self,
                           const tq_args_t *a);
tq_value_t *frame_groupby(tq_ctx_t *ctx, tq_value_t *self,
                          const tq_args_t *a);
/* s.sum() mean count min max std of a Series: a scalar. */
tq_value_t *frame_series_agg(tq_ctx_t *ctx, tq_value_t *self,
                             const char *fn);

#endif
