/*
 * This file implements frames (LANGUAGE.md section 6): qs.dataframe()
 * materialises a query set as a TEMP table (tq_frame_N) of the session's
 * database, and the frame value names that table's index column and value
 * columns. A Series (df['age'], df['a'] * 2 + df['b'], df['age'] > 25) is
 * the same value holding one column expression over the same table, so
 * `df['age'] += 1` is one UPDATE and df[df['age'] > 25] or df[F.age > 25]
 * is one CREATE TEMP TABLE ... AS SELECT ... WHERE. Expressions are
 * compiled by compile.h against a one-table schema describing the temp
 * table (frame_schema), which checks names and binds every value.
 *
 * Row order is the temp table's row-order column, 1..n: SQLite's rowid,
 * or on an engine without one (PostgreSQL) a column tq_row that the
 * dialect adds as the store is made (store_create_as numbers a query's
 * rows with row_number(), store_number a store filled otherwise), and
 * every read orders by it. Every derived frame (filter, head, tail,
 * sort_values, column selection) is a new temp table filled in the wanted
 * order. Where columns have one type (PostgreSQL), a store keeps its
 * query's types and an assigned column takes its value's (expr_type). Temp tables die with the connection, and a frame's is
 * dropped at the next frame operation after its last value is freed (the
 * destroy hook has no context, and the connection may have been replaced
 * by %connect since: the numbers are never reused, so a late DROP ... IF
 * EXISTS is harmless).
 *
 * Also here: display (pandas' text layout through render.h, the HTML
 * table, pandas' Series text), .columns, len(), .shape, .to_csv, .plot and
 * Manager.update_from_dataframe. describe and groupby live in
 * frame_stats.c.
 *
 * Where LANGUAGE.md is silent, frames decide (tests/golden/frame_*.test
 * pin it):
 *  - the index is the pk for query sets with one row per table row
 *    (values() and fancy indexing get the pk added); grouped or distinct
 *    ones get pandas' RangeIndex 0..n-1, which update_from_dataframe
 *    refuses;
 *  - `/` on columns is true division, as pandas (query-set arithmetic
 *    stays SQL's); comparisons give bool Series shown True/False;
 *  - df['c'] = a Series of another frame aligns on the index (NULL where
 *    no row matches); arithmetic between two frames' columns is a
 *    ValueError (compute them in one frame);
 *  - a Series is a view: s = df['a'] sees later assignments to df['a'];
 *  - dtype is read from the values: int64, float64, object (text or a
 *    mix), bool (comparisons), and from the declared type for dates
 *    (datetime64[ns]): stores are created with their source columns'
 *    declared types (frame_create_as); NULL shows as the renderer shows
 *    it (None), NaN in float64 columns and NaT in datetime64 ones
 *    (tq_table_t's hints);
 *  - sort_values is stable with NULLs last; groupby drops NULL keys,
 *    sorts by key, and sum/mean leave text columns out;
 *  - update_from_dataframe runs UPDATE ... FROM the frame (one pass over
 *    the frame with pk lookups; a correlated subquery per row would be
 *    quadratic on an unindexed temp table), in chunks of the frame's
 *    rowids so that the join the engine builds first stays small; on
 *    SQLite a frame whose index ascends (as dataframe() makes it) is
 *    first joined as a merge instead, read by key as the table is
 *    scanned: its index and numeric columns from their copies in memory
 *    (frame_cols.h), the others loaded chunk by chunk (update_merge); a
 *    duplicated index value updates its row from one of its frame rows;
 *  - frames work on a read-only connection too: SQLite's guard
 *    (readonly.c) allows writes to the temp schema only, PostgreSQL's
 *    engine runs reads read-only and pg_temp writes read-write
 *    (lang/db/postgres.c, "read-only sessions");
 *  - df['c'] = <expression over the frame's own columns> adds, where the
 *    dialect has virtual_column (SQLite), a column computed when read
 *    (no UPDATE of every row); before any column of the store is
 *    written in place, its virtual columns are filled as plain columns
 *    (solidify), so a later assignment never changes what an earlier
 *    one computed;
 *  - a failed cell rolls back its frame changes with its other writes;
 *    frames re-read their column lists (frame_sync) so a rolled-back
 *    column disappears.
 */
#include "frame/frame.h"
#include "frame/frame_cols.h"
#include "frame/frame_methods.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>

#include "render/render.h"
#include "render/render_util.h"
#include "sql/dialect.h"
#include "base/temporal.h"

#define SELF(v) ((frame_t *)tq_native_data(v))

/* ---- stores and lazy drops */

static uint64_t store_counter;
static char **pending_drops;
static size_t npending, pending_cap;

/* frame_store_new: see frame.h. */
fstore_t *frame_store_new(const tq_dialect_t *d)
{
    assert(d);
    fstore_t *st = tq_xcalloc(1, sizeof *st);
    st->refs = 1;
    st->dialect = d;
    st->nrows = -1;
    st->name = tq_xasprintf("tq_frame_%" PRIu64, ++store_counter);
    return st;
}

/* ---- pending stores (sort_values: frame.h) */

static fstore_t **pend;
static size_t npend, pend_cap;
static bool forcing;            /* a pending store's own statements run */

static void pending_add(fstore_t *st)
{
    assert(st->pend_q && st->pend_src);
    TQ_PUSH(pend, npend, pend_cap, st);
}

/* Takes st off the pending list and drops what it held. */
static void pending_forget(fstore_t *st)
{
    for (size_t i = 0; i < npend; i++)
        if (pend[i] == st) {
            memmove(pend + i, pend + i + 1, (npend - i - 1) * sizeof *pend);
            npend--;
            break;
        }
    qdesc_unref(st->pend_q);
    st->pend_q = NULL;
    fstore_t *src = st->pend_src;
    st->pend_src = NULL;
    frame_store_unref(src);
}

static fstore_t *create_from(tq_ctx_t *ctx, fstore_t *st, const fstore_t *src,
                             const qdesc_t *q);

/* Makes st's table (its source's first). */
static int force_one(tq_ctx_t *ctx, fstore_t *st)
{
    if (!st->pend_q)
        return 0;
    if (st->pend_src->pend_q && force_one(ctx, st->pend_src) < 0) {
        pending_forget(st);
        return -1;
    }
    int rc = create_from(ctx, st, st->pend_src, st->pend_q) ? 0 : -1;
    if (rc == 0)
        rc = frame_dtypes_inherit(ctx, st, st->pend_src, st->pend_q);
    pending_forget(st);
    return rc;
}

/* frame_force_pending: see frame.h. */
int frame_force_pending(tq_ctx_t *ctx)
{
    if (forcing || npend == 0)
        return 0;
    forcing = true;
    int rc = 0;
    while (npend > 0 && rc == 0)
        rc = force_one(ctx, pend[0]);
    forcing = false;
    return rc;
}

/* frame_hold_pending: see frame.h. */
bool frame_hold_pending(bool hold)
{
    bool was = forcing;
    forcing = hold;
    return was;
}

/* frame_abandon_pending: see frame.h. */
void frame_abandon_pending(void)
{
    while (npend > 0)
        pending_forget(pend[0]);
}

/* ---- memory stores (frame.h) */

static int make_table(tq_ctx_t *ctx, const fstore_t *st, char *const *names,
                      const char *const *types, size_t ncols);

static fstore_t **mems;          /* memory stores, tables not made */
static size_t nmems, mems_cap;
static fstore_t **made;          /* memory stores made in this cell (held) */
static size_t nmade, made_cap;

static void mem_forget(fstore_t *st)
{
    for (size_t i = 0; i < nmems; i++)
        if (mems[i] == st) {
            mems[i] = mems[--nmems];
            return;
        }
}

/* frame_mem_store: see frame.h. */
fstore_t *frame_mem_store(tq_ctx_t *ctx, fcol_t *index, fcol_t *values)
{
    assert(index->n == values->n);
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    st->mem = true;
    st->nrows = (int64_t)values->n;
    free(index->name);
    index->name = tq_xstrdup("tq_i");
    free(values->name);
    values->name = tq_xstrdup("tq_v");
    index->gen = values->gen = frame_generation;
    frame_cols_adopt(st, index);
    frame_cols_adopt(st, values);
    TQ_PUSH(mems, nmems, mems_cap, st);
    return st;
}

/* frame_mem_make: see frame.h. */
int frame_mem_make(tq_ctx_t *ctx, fstore_t *st)
{
    if (!st->mem)
        return 0;
    const fcol_t *c[2] = {frame_cols_peek(st, "tq_i"),
                          frame_cols_peek(st, "tq_v")};
    assert(c[0] && c[1] && c[0]->n == c[1]->n);
    /* off the list first: the statements below name st */
    st->mem = false;
    mem_forget(st);
    char *names[2] = {"tq_i", "tq_v"};
    const char *types[2];
    for (int k = 0; k < 2; k++)
        types[k] = c[k]->kind == FCOL_INT ? st->dialect->type_int
                                          : st->dialect->type_real;
    int rc = make_table(ctx, st, names, types, 2);
    tqdb_cursor_t *ins = NULL;
    if (rc == 0) {
        tq_buf_t b = {0};
        tq_buf_add(&b, "INSERT INTO ");
        frame_table_ref(&b, st);
        tq_buf_add(&b, " VALUES (?, ?)");
        ins = frame_prepare(ctx, b.s, NULL);
        tq_buf_free(&b);
        rc = ins ? 0 : -1;
    }
    for (size_t r = 0; rc == 0 && r < c[1]->n; r++) {
        (void)tqdb_reset(ins);
        for (int k = 0; k < 2 && rc == 0; k++) {
            if (c[k]->kind == FCOL_INT)
                rc = tqdb_bind_int(ins, k + 1, c[k]->iv[r]);
            else if (isnan(c[k]->x[r]))
                rc = tqdb_bind_null(ins, k + 1);
            else
                rc = tqdb_bind_float(ins, k + 1, c[k]->x[r]);
        }
        if (rc == 0)
            rc = tqdb_step(ins) == TQDB_DONE ? 0 : -1;
        if (rc < 0)
            tq_raise_db(ctx);
    }
    tqdb_cursor_free(&ins);
    if (rc == 0)
        rc = frame_store_number(ctx, st);
    if (rc < 0) {
        /* the cell fails: its rollback takes what was made */
        st->mem = true;
        TQ_PUSH(mems, nmems, mems_cap, st);
        return -1;
    }
    /* the copies are now ordinary copies of a made table */
    frame_cols_renew(st);
    st->refs++;
    TQ_PUSH(made, nmade, made_cap, st);
    return 0;
}

/* Makes the memory stores that `sql` names. 0 or -1 (raised). */
static int mem_make_named(tq_ctx_t *ctx, const char *sql)
{
    for (size_t i = 0; i < nmems;) {
        fstore_t *st = mems[i];
        char *quoted = tq_xasprintf("\"%s\"", st->name);
        bool named = strstr(sql, quoted) != NULL;
        free(quoted);
        if (!named) {
            i++;
            continue;
        }
        if (frame_mem_make(ctx, st) < 0)
            return -1;
        i = 0;                  /* the list changed */
    }
    return 0;
}

/* frame_mem_cell_end: see frame.h. */
void frame_mem_cell_end(bool rolled_back)
{
    for (size_t i = 0; i < nmade; i++) {
        fstore_t *st = made[i];
        if (rolled_back && st->refs > 1 && frame_cols_peek(st, "tq_i") &&
            frame_cols_peek(st, "tq_v")) {
            /* its table went with the cell; its rows did not */
            st->mem = true;
            TQ_PUSH(mems, nmems, mems_cap, st);
        }
        frame_store_unref(st);
    }
    nmade = 0;
}

/* frame_store_unref: see frame.h. */
void frame_store_unref(fstore_t *st)
{
    if (!st || --st->refs > 0)
        return;
    if (st->mem) {
        /* never made: nothing to drop */
        mem_forget(st);
        free(st->name);
    } else if (st->pend_q) {
        /* never made: nothing to drop */
        pending_forget(st);
        free(st->name);
    } else {
        TQ_PUSH(pending_drops, npending, pending_cap, st->name);
    }
    frame_cols_drop(st);
    for (size_t i = 0; i < st->ndt; i++)
        free(st->dt_cols[i]);
    free(st->dt_cols);
    free(st->dt_types);
    for (size_t i = 0; i < st->nfloat; i++)
        free(st->float_cols[i]);
    free(st->float_cols);
    free(st->freq);
    free(st);
}

uint64_t frame_generation = 1;

/* frame_changed: see frame.h. */
void frame_changed(void)
{
    frame_generation++;
}

/* frame_flush_drops: see frame.h. */
void frame_flush_drops(tq_ctx_t *ctx)
{
    tqdb_conn_t *db = tq_ctx_db(ctx);
    for (size_t i = 0; i < npending; i++) {
        assert(pending_drops[i]);
        if (db) {
            /* best effort: a table already gone is no error to report */
            tq_buf_t b = {0};
            tq_buf_add(&b, "DROP TABLE IF EXISTS ");
            tq_dialect_for(db)->temp_ref(&b, pending_drops[i]);
            (void)tqdb_exec(db, b.s);
            tq_buf_free(&b);
        }
        free(pending_drops[i]);
    }
    npending = 0;
}

/* frame_exec: see frame.h. */
int frame_exec(tq_ctx_t *ctx, const char *sql)
{
    assert(sql);
    if (frame_force_pending(ctx) < 0 || mem_make_named(ctx, sql) < 0)
        return -1;
    tqdb_conn_t *db = tq_ctx_db(ctx);
    if (!db) {
        tq_raise(ctx, "DatabaseError", "no database is connected");
        return -1;
    }
    tqdb_cursor_t *st = NULL;
    int rc = tqdb_prepare(db, sql, &st, NULL);
    assert(rc < 0 || st);      /* never an empty statement */
    if (rc == 0) {
        while ((rc = tqdb_step(st)) == TQDB_ROW)
            ;
    }
    tqdb_cursor_free(&st);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return 0;
}

/* ---- the one-table schema of a store */

/* frame_table_ref: see frame.h. */
void frame_table_ref(tq_buf_t *b, const fstore_t *st)
{
    st->dialect->temp_ref(b, st->name);
}

/* frame_schema: see frame.h. */
tq_schema_t *frame_schema(tq_ctx_t *ctx, const fstore_t *st)
{
    assert(st && st->name);
    if (frame_force_pending(ctx) < 0 ||
        frame_mem_make(ctx, (fstore_t *)st) < 0)
        return NULL;
    tqdb_conn_t *db = tq_ctx_db(ctx);
    if (!db) {
        tq_raise(ctx, "DatabaseError", "no database is connected");
        return NULL;
    }
    if (tq_dialect_for(db) != st->dialect) {
        /* %connect moved to another engine: the store's session ended */
        tq_raise(ctx, "DatabaseError", "the frame's temp table is gone (its "
                 "connection was closed or its cell rolled back)");
        return NULL;
    }
    tq_buf_t b = {0};
    st->dialect->temp_columns(&b, st->name);
    tqdb_cursor_t *s = NULL;
    int rc = tqdb_prepare(db, b.s, &s, NULL);
    tq_buf_free(&b);
    if (rc < 0) {
        tq_raise_db(ctx);
        return NULL;
    }
    assert(s);
    tq_schema_t *sc = tq_xcalloc(1, sizeof *sc);
    sc->schemas = tq_xcalloc(1, sizeof *sc->schemas);
    sc->schemas[0] = tq_xstrdup("main");
    sc->nschemas = 1;
    sc->tables = tq_xcalloc(1, sizeof *sc->tables);
    sc->ntables = 1;
    tq_stable_t *t = &sc->tables[0];
    t->schema = tq_xstrdup(st->dialect->temp_schema);
    t->name = tq_xstrdup(st->name);
    t->bare = tq_xstrdup("DataFrame");
    t->model = tq_xstrdup("dataframe");
    /* the row-order column is the key, so that the compiler's default
     * ORDER BY (and "pk") is the frame's row order: SQLite's rowid, or
     * the store's own column (tq_row) where the engine has none, which
     * the compiler then reads in the rowid's place (a rowid-keyed table
     * whose pk is not "rowid") */
    bool own = st->dialect->store_create_as != NULL;
    t->pk = tq_xstrdup(own ? st->dialect->store_rowid : "rowid");
    t->rowid_pk = true;
    size_t cap = 0;
    while (tqdb_step(s) == TQDB_ROW) {
        tq_scol_t c = {0};
        c.name = tq_xstrdup(tqdb_column_text(s, 1));
        const char *type = tqdb_column_text(s, 2);
        c.decltype = tq_xstrdup(type ? type : "");
        c.text = type && (strcasestr(type, "CHAR") || strcasestr(type, "CLOB")
                          || strcasestr(type, "TEXT"));
        c.rel = -1;
        TQ_PUSH(t->cols, t->ncols, cap, c);
    }
    tqdb_cursor_free(&s);
    if (t->ncols == 0) {
        tq_schema_free(&sc);
        tq_raise(ctx, "DatabaseError", "the frame's temp table is gone (its "
                 "connection was closed or its cell rolled back)");
        return NULL;
    }
    return sc;
}

/* frame_sync: see frame.h. */
int frame_sync(tq_ctx_t *ctx, frame_t *f)
{
    frame_flush_drops(ctx);
    /* a pending or memory store has exactly f's columns */
    if (f->st->pend_q || f->st->mem)
        return 0;
    tq_schema_t *sc = frame_schema(ctx, f->st);
    if (!sc)
        return -1;
    const tq_stable_t *t = &sc->tables[0];
    size_t k = 0;
    for (size_t i = 0; i < f->ncols; i++) {
        if (tq_stable_col(t, f->cols[i]) >= 0)
            f->cols[k++] = f->cols[i];
        else
            free(f->cols[i]);
    }
    f->ncols = k;
    tq_schema_free(&sc);
    return 0;
}

/* frame_desc: see frame.h. */
qdesc_t *frame_desc(const fstore_t *st)
{
    qdesc_t *q = qdesc_new(st->dialect->temp_schema, st->name);
    q->mode = QM_ROWS;
    return q;
}

/* frame_frag_clear: see frame.h. */
void frame_frag_clear(frag_t *f)
{
    free(f->sql);
    qsql_clear(&f->q);
    memset(f, 0, sizeof *f);
}

/* frame_frag_expr: see frame.h. */
int frame_frag_expr(tq_ctx_t *ctx, const fstore_t *st, qexpr_t *e,
                     frag_t *out)
{
    memset(out, 0, sizeof *out);
    tq_schema_t *sc = frame_schema(ctx, st);
    if (!sc)
        return -1;
    qdesc_t *q = frame_desc(st);
    q->order_set = true;
    qdesc_add_field(&q->fields, &q->nfields, "tq_frag", qx_ref(e));
    qerr_t err = {0};
    int rc = tq_compile_select(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &out->q,
                               &err);
    qdesc_unref(q);
    tq_schema_free(&sc);
    if (rc < 0) {
        db_raise(ctx, &err);
        return -1;
    }
    tq_buf_t tail = {0};
    tq_buf_add(&tail, " AS \"tq_frag\" FROM ");
    tq_buf_ident(&tail, st->dialect->temp_schema);
    tq_buf_addc(&tail, '.');
    tq_buf_ident(&tail, st->name);
    const char *sql = out->q.sql;
    const char *end = strstr(sql, tail.s);
    tq_buf_free(&tail);
    if (strncmp(sql, "SELECT ", 7) || !end) {
        frame_frag_clear(out);
        tq_raise(ctx, "DatabaseError", "cannot compile the frame expression");
        return -1;
    }
    out->sql = tq_xstrndup(sql + 7, (size_t)(end - sql - 7));
    return 0;
}

/* frame_store_rows: see frame.h. */
tqdb_cursor_t *frame_store_rows(tq_ctx_t *ctx, const fstore_t *st,
                                const char *const *cols, size_t n)
{
    assert(n > 0);
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT ");
    for (size_t i = 0; i < n; i++) {
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_ident(&b, cols[i]);
    }
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, st);
    tq_buf_printf(&b, " ORDER BY %s", st->dialect->store_rowid);
    tqdb_cursor_t *cur = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    return cur;
}

/* frame_prepare: see frame.h. */
tqdb_cursor_t *frame_prepare(tq_ctx_t *ctx, const char *sql, const frag_t *f)
{
    assert(sql);
    if (frame_force_pending(ctx) < 0 || mem_make_named(ctx, sql) < 0)
        return NULL;
    tqdb_conn_t *db = tq_ctx_db(ctx);
    if (!db) {
        tq_raise(ctx, "DatabaseError", "no database is connected");
        return NULL;
    }
    tqdb_cursor_t *st = NULL;
    int rc = tqdb_prepare(db, sql, &st, NULL);
    /* frames build every statement themselves: never an empty one */
    assert(rc < 0 || st);
    if (rc == 0 && f)
        rc = qsql_bind_cursor(&f->q, st);
    if (rc < 0) {
        tqdb_cursor_free(&st);
        tq_raise_db(ctx);
        return NULL;
    }
    return st;
}

/* Runs a statement with the fragment's parameters; changes or -1. */
static int64_t exec_frag(tq_ctx_t *ctx, const char *sql, const frag_t *f)
{
    tqdb_cursor_t *st = frame_prepare(ctx, sql, f);
    if (!st)
        return -1;
    int rc;
    while ((rc = tqdb_step(st)) == TQDB_ROW)
        ;
    tqdb_cursor_free(&st);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return tqdb_changes(tq_ctx_db(ctx));
}

/* The single integer a one-row query yields (an aggregate without GROUP
 * BY), or -1 with an error raised. */
static int64_t query_int(tq_ctx_t *ctx, const char *sql, const frag_t *f)
{
    tqdb_cursor_t *st = frame_prepare(ctx, sql, f);
    if (!st)
        return -1;
    int rc = tqdb_step(st);
    int64_t n = rc == TQDB_ROW ? tqdb_column_int(st, 0) : -1;
    tqdb_cursor_free(&st);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    assert(rc == TQDB_ROW);
    return n;
}

/* frame_create_as: see frame.h. */
int frame_create_as(tq_ctx_t *ctx, fstore_t *st, const char *select,
                    frame_prep_fn prep, void *ud, const char *const *types,
                    size_t ntypes, const tq_stable_t *like)
{
    assert(st && select);
    if (st->dialect->store_create_as) {
        /* the engine keeps the query's column types itself */
        tq_buf_t b = {0};
        st->dialect->store_create_as(&b, st->name, select);
        tqdb_cursor_t *cur = prep ? prep(ctx, b.s, ud)
                                  : frame_prepare(ctx, b.s, NULL);
        tq_buf_free(&b);
        if (!cur)
            return -1;
        int rc;
        while ((rc = tqdb_step(cur)) == TQDB_ROW)
            ;
        tqdb_cursor_free(&cur);
        if (rc < 0) {
            tq_raise_db(ctx);
            return -1;
        }
        return 0;
    }
    tqdb_cursor_t *cur = prep ? prep(ctx, select, ud)
                              : frame_prepare(ctx, select, NULL);
    if (!cur)
        return -1;
    tq_buf_t b = {0};
    st->dialect->temp_create(&b, st->name);
    tq_buf_add(&b, " (");
    int n = tqdb_column_count(cur);
    for (int i = 0; i < n; i++) {
        const char *type = (size_t)i < ntypes && types && types[i]
                         ? types[i] : tqdb_column_decltype(cur, i);
        const char *name = tqdb_column_name(cur, i);
        int j = like && !(type && type[0]) ? tq_stable_col(like, name) : -1;
        tq_temporal_t k = j >= 0 ? tq_temporal_of_decltype(
                                       like->cols[j].decltype)
                                 : TQ_TEMPORAL_NONE;
        if (k == TQ_TEMPORAL_DATE || k == TQ_TEMPORAL_DATETIME)
            type = like->cols[j].decltype;
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_ident(&b, name);
        if (type && type[0])
            tq_buf_printf(&b, " %s", type);
    }
    tq_buf_addc(&b, ')');
    tqdb_cursor_free(&cur);
    int rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    if (rc < 0)
        return -1;
    tq_buf_add(&b, "INSERT INTO ");
    frame_table_ref(&b, st);
    tq_buf_printf(&b, " %s", select);
    cur = prep ? prep(ctx, b.s, ud) : frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!cur)
        return -1;
    /* the source is read once: its pages need not stay mapped in */
    tqdb_conn_t *db = tq_ctx_db(ctx);
    tqdb_read_once(db, true);
    while ((rc = tqdb_step(cur)) == TQDB_ROW)
        ;
    tqdb_cursor_free(&cur);
    tqdb_read_once(db, false);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    /* the rows just inserted: no count(*) scan later */
    st->nrows = tqdb_changes(tq_ctx_db(ctx));
    return 0;
}

/* frame_store_number: see frame.h. */
int frame_store_number(tq_ctx_t *ctx, const fstore_t *st)
{
    if (!st->dialect->store_number)
        return 0;
    tq_buf_t b = {0};
    st->dialect->store_number(&b, st->name);
    int rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    return rc;
}

/* frame_store_fill: see frame.h. */
int frame_store_fill(tq_ctx_t *ctx, fstore_t *st, const char *const *labels,
                     size_t nrows, size_t ncols,
                     const tqdb_datum_t *const *vals)
{
    assert(labels && vals);
    /* each row as its label (a text) then its values */
    tqdb_datum_t *text = tq_xcalloc(nrows + 1, sizeof *text);
    const tqdb_datum_t **cells = tq_xcalloc(nrows * (ncols + 1) + 1,
                                            sizeof *cells);
    for (size_t r = 0; r < nrows; r++) {
        text[r] = tqdb_datum_text(labels[r], strlen(labels[r]));
        cells[r * (ncols + 1)] = &text[r];
        for (size_t c = 0; c < ncols; c++)
            cells[r * (ncols + 1) + c + 1] = vals[r * ncols + c];
    }
    int rc = frame_store_fill_rows(ctx, st, nrows, ncols + 1, cells);
    free(cells);
    free(text);
    return rc;
}

/* CREATE TEMP TABLE st (names[c] types[c], ...). 0 or -1 (raised). */
static int make_table(tq_ctx_t *ctx, const fstore_t *st, char *const *names,
                      const char *const *types, size_t ncols)
{
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
    return rc;
}

/* frame_store_create: see frame.h. */
fstore_t *frame_store_create(tq_ctx_t *ctx, char *const *names,
                             const char *const *types, size_t ncols)
{
    assert(ncols > 0);
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    if (make_table(ctx, st, names, types, ncols) < 0) {
        /* never made: nothing to drop */
        free(st->name);
        free(st);
        return NULL;
    }
    return st;
}

/* frame_store_fill_rows: see frame.h. */
int frame_store_fill_rows(tq_ctx_t *ctx, fstore_t *st, size_t nrows,
                          size_t ncols, const tqdb_datum_t *const *cells)
{
    assert(cells && ncols > 0);
    tq_buf_t b = {0};
    tq_buf_add(&b, "INSERT INTO ");
    frame_table_ref(&b, st);
    tq_buf_add(&b, " VALUES (?");
    for (size_t c = 1; c < ncols; c++)
        tq_buf_add(&b, ", ?");
    tq_buf_addc(&b, ')');
    tqdb_cursor_t *ins = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!ins) {
        frame_store_unref(st);
        return -1;
    }
    int rc = 0;
    for (size_t r = 0; r < nrows && rc == 0; r++) {
        /* the previous step ended DONE, so the reset cannot fail */
        (void)tqdb_reset(ins);
        for (size_t c = 0; c < ncols && rc == 0; c++) {
            assert(cells[r * ncols + c]);
            rc = tqdb_bind(ins, (int)c + 1, cells[r * ncols + c]);
        }
        if (rc == 0)
            rc = tqdb_step(ins);
        /* an INSERT yields no row */
        assert(rc != TQDB_ROW);
    }
    tqdb_cursor_free(&ins);
    if (rc < 0)
        tq_raise_db(ctx);
    /* the rows' order, where the engine has no rowid */
    if (rc < 0 || frame_store_number(ctx, st) < 0) {
        frame_store_unref(st);
        return -1;
    }
    return 0;
}

/* frame_column_type: see frame.h. */
const char *frame_column_type(const tq_dialect_t *d,
                              tqdb_datum_t *const *vals, size_t n)
{
    if (!d->expr_type)
        return "";
    static char buf[3][64];
    bool num = vals != NULL, real = false;
    for (size_t i = 0; vals && i < n; i++) {
        tqdb_type_t t = vals[i] ? vals[i]->type : TQDB_NULL;
        num &= t == TQDB_INT || t == TQDB_FLOAT || t == TQDB_NULL;
        real |= t == TQDB_FLOAT;
    }
    const char *type = !num ? d->type_text : real ? d->type_real
                                                  : d->type_int;
    int k = type == d->type_text ? 0 : type == d->type_real ? 1 : 2;
    snprintf(buf[k], sizeof buf[k], " %s", type);
    return buf[k];
}

/* Prepares a statement with a compiled query's parameters (ud: qsql_t). */
static tqdb_cursor_t *prep_qsql(tq_ctx_t *ctx, const char *sql, void *ud)
{
    const qsql_t *s = ud;
    tqdb_cursor_t *cur = frame_prepare(ctx, sql, NULL);
    if (cur && qsql_bind_cursor(s, cur) < 0) {
        tqdb_cursor_free(&cur);
        tq_raise_db(ctx);
        return NULL;
    }
    return cur;
}

/* Creates st's table from q over src's schema; st, or NULL (raised). */
static fstore_t *create_from(tq_ctx_t *ctx, fstore_t *st, const fstore_t *src,
                             const qdesc_t *q)
{
    tq_schema_t *sc = frame_schema(ctx, src);
    if (!sc)
        return NULL;
    qsql_t s;
    qerr_t err = {0};
    int rc = tq_compile_select(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s, &err);
    if (rc < 0) {
        tq_schema_free(&sc);
        db_raise(ctx, &err);
        return NULL;
    }
    int n = frame_create_as(ctx, st, s.sql, prep_qsql, &s, s.coltypes,
                            s.coltypes ? s.ncols : 0, &sc->tables[0]);
    tq_schema_free(&sc);
    qsql_clear(&s);
    return n < 0 ? NULL : st;
}

/* frame_materialise: see frame.h. */
fstore_t *frame_materialise(tq_ctx_t *ctx, const fstore_t *src,
                            const qdesc_t *q)
{
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    if (!create_from(ctx, st, src, q)) {
        free(st->name);
        free(st);
        return NULL;
    }
    return st;
}

/* ---- values */

static void frame_destroy(void *p)
{
    frame_t *f = p;
    frame_store_unref(f->st);
    free(f->index);
    free(f->index_label);
    for (size_t i = 0; i < f->ncols; i++)
        free(f->cols[i]);
    free(f->cols);
    qx_unref(f->expr);
    free(f->name);
    free(f);
}

/* frame_new: see frame.h. */
tq_value_t *frame_new(fstore_t *st, const char *index, const char *label,
                      char *const *cols, size_t ncols)
{
    frame_t *f = tq_xcalloc(1, sizeof *f);
    f->st = st;
    f->index = tq_xstrdup(index);
    f->index_label = tq_xstrdup(label);
    f->cols = tq_xcalloc(ncols, sizeof *f->cols);
    for (size_t i = 0; i < ncols; i++)
        f->cols[i] = tq_xstrdup(cols[i]);
    f->ncols = ncols;
    return tq_native_new(&tq_frame_type, f);
}

/* frame_series_new: see frame.h. */
tq_value_t *frame_series_new(fstore_t *st, const char *index,
                             const char *label, qexpr_t *expr,
                             const char *name)
{
    frame_t *f = tq_xcalloc(1, sizeof *f);
    f->st = st;
    f->index = tq_xstrdup(index);
    f->index_label = tq_xstrdup(label);
    f->series = true;
    f->expr = expr;
    f->name = tq_xstrdup(name);
    return tq_native_new(&tq_series_type, f);
}

/* frame_check: see frame.h. */
bool frame_check(const tq_value_t *v)
{
    return v && (tq_is_native(v, &tq_frame_type) ||
                 tq_is_native(v, &tq_series_type));
}

static bool is_pred(const qexpr_t *e)
{
    return e && (e->kind == QX_LOOKUP || e->kind == QX_KW ||
                 e->kind == QX_AND || e->kind == QX_OR ||
                 e->kind == QX_NOT || e->kind == QX_BOOL);
}

static int col_index(const frame_t *f, const char *name)
{
    for (size_t i = 0; i < f->ncols; i++)
        if (!strcmp(f->cols[i], name))
            return (int)i;
    return -1;
}

/* Django's FieldError for an unknown column of a frame. */
static void *no_column(tq_ctx_t *ctx, const frame_t *f, const char *name)
{
    size_t n = f->ncols;
    char **names = tq_xcalloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = f->cols[i];
    if (f->index_label[0])
        names[n++] = f->index_label;
    for (size_t i = 1; i < n; i++)          /* sort: few columns */
        for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            char *t = names[k];
            names[k] = names[k - 1];
            names[k - 1] = t;
        }
    tq_buf_t b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_add(&b, names[i]);
    }
    tq_raise(ctx, "FieldError",
             "Cannot resolve keyword '%s' into field. Choices are: %s", name,
             b.s ? b.s : "");
    tq_buf_free(&b);
    free(names);
    return NULL;
}

/* ---- dataframe() */

/* True when the description yields one row per table row, so the pk can
 * be the index. */
static bool keeps_pk(const qdesc_t *q)
{
    if (q->distinct)
        return false;
    for (size_t i = 0; i < q->nfields; i++)
        if (qx_has_agg(q->fields[i].expr))
            return false;
    if (q->group_values && q->mode != QM_MODEL)
        for (size_t i = 0; i < q->nannos; i++)
            if (qx_has_agg(q->annos[i].expr))
                return false;
    return true;
}

/* frame_from_query: see frame.h. */
tq_value_t *frame_from_query(tq_ctx_t *ctx, const qdesc_t *q0)
{
    frame_flush_drops(ctx);
    const tq_schema_t *sc = db_schema(ctx);
    if (!sc)
        return NULL;
    const tq_stable_t *t = qs_table(ctx, q0);
    if (!t)
        return NULL;
    qdesc_t *q = qdesc_clone(q0);
    /* A table without a primary key on an engine whose row id is an
     * address (PostgreSQL's ctid): the address is no index (it changes
     * when the row is updated), so the frame leaves it out and is indexed
     * by position. */
    const tq_dialect_t *dl = tq_dialect_for(tq_ctx_db(ctx));
    bool addressed = t->rowid_pk && dl->rowid && strcmp(dl->rowid, "rowid");
    bool pk = keeps_pk(q) && !addressed;
    int pkcol = -1;        /* the compiled column that is the index */
    if (q->mode != QM_MODEL && q->nfields) {
        if (pk) {
            for (size_t i = 0; i < q->nfields && pkcol < 0; i++) {
                const qexpr_t *e = q->fields[i].expr;
                if (e->kind == QX_REF &&
                    (!strcmp(e->name, "pk") || !strcmp(e->name, t->pk)))
                    pkcol = (int)i;
            }
            if (pkcol < 0) {
                q->fields = tq_xrealloc(q->fields,
                                        (q->nfields + 1) * sizeof *q->fields);
                memmove(q->fields + 1, q->fields,
                        q->nfields * sizeof *q->fields);
                q->fields[0].name = tq_xstrdup(t->pk);
                q->fields[0].expr = qx_path("pk");
                q->nfields++;
                pkcol = 0;
            }
        }
        q->mode = QM_ROWS;
    }
    qsql_t s;
    qerr_t err = {0};
    if (tq_compile_select(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s,
                          &err) < 0) {
        qdesc_unref(q);
        return db_raise(ctx, &err);
    }
    if (q->mode == QM_MODEL || q->nfields == 0)
        for (size_t i = 0; i < s.ncols && pkcol < 0; i++)
            if (!strcmp(s.cols[i], t->rowid_pk ? "rowid" : t->pk))
                pkcol = (int)i;
    qdesc_unref(q);
    int addr = -1;                     /* the address column, left out */
    if (addressed)
        for (size_t i = 0; i < s.ncols && addr < 0; i++)
            if (!strcmp(s.cols[i], dl->rowid))
                addr = (int)i;

    /* WITH q("c1", ...) AS (sql) names the columns as the query set does
     * (values('bike__name') keeps its name); the rowid pk is renamed so
     * that the temp table keeps its own rowid. */
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    const char *index = pkcol >= 0 ? s.cols[pkcol] : "tq_index";
    if (pkcol >= 0 && !strcasecmp(index, "rowid"))
        index = "tq_rowid";
    tq_buf_t b = {0};
    tq_buf_add(&b, "WITH tq_q(");
    for (size_t i = 0; i < s.ncols; i++) {
        if (i)
            tq_buf_add(&b, ", ");
        tq_buf_ident(&b, (int)i == pkcol ? index : s.cols[i]);
    }
    tq_buf_printf(&b, ") AS (%s) SELECT ", s.sql);
    if (pkcol < 0)
        tq_buf_add(&b, "row_number() OVER () - 1 AS \"tq_index\", ");
    if (addr < 0)
        tq_buf_add(&b, "*");
    for (size_t i = 0, k = 0; addr >= 0 && i < s.ncols; i++)
        if ((int)i != addr) {
            tq_buf_add(&b, k++ ? ", " : "");
            tq_buf_ident(&b, s.cols[i]);
        }
    tq_buf_add(&b, " FROM tq_q");
    free(s.sql);
    s.sql = tq_buf_take(&b);
    /* computed dates keep their types: coltypes shifted past tq_index */
    const char **types = tq_xcalloc(s.ncols + 1, sizeof *types);
    for (size_t i = 0, k = pkcol < 0; s.coltypes && i < s.ncols; i++)
        if ((int)i != addr)
            types[k++] = s.coltypes[i];
    int n = frame_create_as(ctx, st, s.sql, prep_qsql, &s, types,
                            s.ncols + 1 - (addr >= 0), NULL);
    free(types);
    if (n < 0) {
        qsql_clear(&s);
        free(st->name);
        free(st);
        return NULL;
    }
    char **cols = tq_xcalloc(s.ncols + 1, sizeof *cols);
    size_t ncols = 0;
    for (size_t i = 0; i < s.ncols; i++)
        if ((int)i != pkcol && (int)i != addr)
            cols[ncols++] = s.cols[i];
    /* the numeric columns in memory too, as pandas holds them: the
     * statistics that follow read no table */
    /* its index too, unless it is a RangeIndex (0..n-1 by row) */
    cols[ncols] = (char *)index;
    st->range_index = pkcol < 0;
    int loaded = frame_cols_load(ctx, st, cols, ncols + (pkcol >= 0));
    if (loaded < 0) {
        free(cols);
        qsql_clear(&s);
        frame_store_unref(st);
        return NULL;
    }
    tq_value_t *v = frame_new(st, index,
                              pkcol >= 0 ? s.cols[pkcol] : "", cols, ncols);
    free(cols);
    qsql_clear(&s);
    return v;
}

/* frame_qs_dataframe: see frame.h. */
tq_value_t *frame_qs_dataframe(tq_ctx_t *ctx, tq_value_t *self,
                               const tq_args_t *a)
{
    if (a->npos || a->nkw)
        return tq_raise(ctx, "TypeError", "dataframe() takes no arguments");
    const qdesc_t *q = qs_desc(self);
    if (!q)
        return tq_raise(ctx, "TypeError", "dataframe() needs a query set");
    return frame_from_query(ctx, q);
}

/* ---- fetching for display */

typedef struct fetch {
    char *sql;
    frag_t f;
} fetch_t;

/* A cursor on `sql` with the fragment's parameters bound, for the
 * renderers (to_csv, plot); NULL with the error raised. The caller frees
 * it. */
static tqdb_cursor_t *render_cursor(tq_ctx_t *ctx, const char *sql,
                                    const frag_t *f)
{
    if (frame_force_pending(ctx) < 0 || mem_make_named(ctx, sql) < 0)
        return NULL;
    tqdb_conn_t *db = tq_ctx_db(ctx);
    if (!db) {
        tq_raise(ctx, "DatabaseError", "no database is connected");
        return NULL;
    }
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, sql, &cur, NULL) < 0 ||
        (cur && f && f->q.nparams && qsql_bind_cursor(&f->q, cur) < 0)) {
        tqdb_cursor_free(&cur);
        tq_raise_db(ctx);
        return NULL;
    }
    return cur;                        /* generated SQL is never empty */
}

static int bind_frag(void *ud, tqdb_cursor_t *cur)
{
    const frag_t *f = ud;
    return f->q.nparams ? qsql_bind_cursor(&f->q, cur) : 0;
}

/* The fragment's parameters for a statement that holds it twice (1..n,
 * then n+1..2n). */
static int bind_frag_twice(void *ud, tqdb_cursor_t *cur)
{
    const frag_t *f = ud;
    for (size_t i = 0; i < f->q.nparams; i++) {
        const qlit_t *l = &f->q.params[i];
        tqdb_datum_t d = {.type = l->type, .i = l->i, .f = l->d,
                          .s = l->s, .len = l->n};
        if (tqdb_bind(cur, (int)i + 1, &d) < 0 ||
            tqdb_bind(cur, (int)(i + 1 + f->q.nparams), &d) < 0)
            return -1;
    }
    return 0;
}

/* SELECT index, values FROM store ORDER BY rowid: for a frame its columns,
 * for a Series its expression (parameters in fe->f). */
static int select_sql(tq_ctx_t *ctx, const frame_t *f, bool with_index,
                      const char *index_alias, fetch_t *fe)
{
    memset(fe, 0, sizeof *fe);
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT ");
    bool first = true;
    if (with_index) {
        tq_buf_ident(&b, f->index);
        if (index_alias) {
            tq_buf_add(&b, " AS ");
            tq_buf_ident(&b, index_alias);
        }
        first = false;
    }
    if (f->series) {
        if (frame_frag_expr(ctx, f->st, f->expr, &fe->f) < 0) {
            tq_buf_free(&b);
            return -1;
        }
        tq_buf_printf(&b, "%s%s AS ", first ? "" : ", ", fe->f.sql);
        tq_buf_ident(&b, f->name ? f->name : "0");
    } else {
        for (size_t i = 0; i < f->ncols; i++) {
            if (!first)
                tq_buf_add(&b, ", ");
            first = false;
            tq_buf_ident(&b, f->cols[i]);
        }
    }
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, f->st);
    tq_buf_printf(&b, " ORDER BY %s", f->st->dialect->store_rowid);
    fe->sql = tq_buf_take(&b);
    return 0;
}

static void fetch_clear(fetch_t *fe)
{
    free(fe->sql);
    frame_frag_clear(&fe->f);
}

static const char *series_dtype(tq_ctx_t *ctx, const frame_t *f);

/* True when every shown value of column c is NULL. */
static bool shown_all_null(const tq_table_t *t, size_t c)
{
    for (size_t r = 0; r < t->nhead + t->ntail; r++)
        if (rx_cell(t, r, c)->type != TQDB_NULL)
            return false;
    return true;
}

/* The renderer's kind hint of a column from its declared type (dates,
 * floats) or, when every shown value is missing, its dtype over all rows
 * (float64 shows NaN). */
static unsigned char column_hint(tq_ctx_t *ctx, const frame_t *f,
                                 const tq_stable_t *st, const char *col,
                                 bool all_null)
{
    int i = col ? tq_stable_col(st, col) : -1;
    const char *decl = i >= 0 ? st->cols[i].decltype : "";
    tq_temporal_t k = tq_temporal_of_decltype(decl);
    if (k == TQ_TEMPORAL_DATE || k == TQ_TEMPORAL_DATETIME)
        return TQ_HINT_DATETIME;
    if (strcasestr(decl, "REAL") || strcasestr(decl, "FLOA") ||
        strcasestr(decl, "DOUB"))
        return TQ_HINT_FLOAT;
    if (!all_null)
        return TQ_HINT_NONE;
    const char *dtype = col ? fm_store_dtype(ctx, f->st, col)
                            : series_dtype(ctx, f);
    return dtype && !strcmp(dtype, "float64") ? TQ_HINT_FLOAT : TQ_HINT_NONE;
}

/* Sets t's kind hints for the frame's value columns (the Series' one). */
static int set_hints(tq_ctx_t *ctx, const frame_t *f, tq_table_t *t)
{
    if (f->boolean)
        return 0;
    tq_schema_t *sc = frame_schema(ctx, f->st);
    if (!sc)
        return -1;
    t->hints = tq_xcalloc(t->ncols + 1, 1);
    for (size_t c = 1; c < t->ncols; c++) {
        const char *col = !f->series ? f->cols[c - 1]
                        : f->expr->kind == QX_REF ? f->expr->name : NULL;
        t->hints[c] = column_hint(ctx, f, &sc->tables[0], col,
                                  shown_all_null(t, c));
    }
    tq_schema_free(&sc);
    return tq_error_pending(ctx) ? -1 : 0;
}

/* Row r of a copy as an owned datum. */
static tqdb_datum_t *copy_cell(const fcol_t *c, size_t r)
{
    tqdb_datum_t d = c->kind == FCOL_INT ? tqdb_datum_int(c->iv[r])
                   : isnan(c->x[r])      ? tqdb_datum_null()
                                         : tqdb_datum_float(c->x[r]);
    return tqdb_datum_dup(&d);
}

/* fetch_table of a Series over a memory store: the shown rows from its
 * copies, as tq_table_fetch would cut them. */
static int mem_fetch(tq_ctx_t *ctx, const frame_t *f, tq_table_t *t)
{
    const fcol_t *c[2] = {frame_cols_peek(f->st, "tq_i"),
                          frame_cols_peek(f->st, "tq_v")};
    assert(f->series && c[0] && c[1]);
    memset(t, 0, sizeof *t);
    int64_t total = (int64_t)c[1]->n, max_rows = tq_ctx_max_rows(ctx);
    bool all = max_rows <= 0 || max_rows > TQ_TABLE_ROW_CAP;
    int64_t limit = all ? TQ_TABLE_ROW_CAP : max_rows;
    bool cut = total > limit;
    t->ncols = 2;
    t->columns = tq_xcalloc(2, sizeof *t->columns);
    t->columns[0] = tq_xstrdup(f->index_label);
    t->columns[1] = tq_xstrdup("tq_v");
    t->has_index = true;
    t->total = total;
    t->cap = all && cut ? TQ_TABLE_ROW_CAP : 0;
    t->nhead = (size_t)(cut ? limit - limit / 2 : total);
    t->ntail = (size_t)(cut ? limit / 2 : 0);
    t->head = tq_xcalloc(t->nhead * 2 + 1, sizeof *t->head);
    t->tail = tq_xcalloc(t->ntail * 2 + 1, sizeof *t->tail);
    for (size_t r = 0; r < t->nhead; r++)
        for (int k = 0; k < 2; k++)
            t->head[r * 2 + k] = copy_cell(c[k], r);
    for (size_t r = 0; r < t->ntail; r++)
        for (int k = 0; k < 2; k++)
            t->tail[r * 2 + k] = copy_cell(c[k], (size_t)total - t->ntail + r);
    t->display = (tq_display_t){.set = true,
                                .max_rows = tq_ctx_max_rows(ctx),
                                .min_rows = tq_ctx_min_rows(ctx),
                                .max_columns = tq_ctx_max_columns(ctx),
                                .precision = tq_ctx_precision(ctx)};
    t->hints = tq_xcalloc(2, 1);
    t->hints[1] = c[1]->kind == FCOL_REAL ? TQ_HINT_FLOAT : TQ_HINT_NONE;
    return 0;
}

/* Fetches the shown rows (head, tail, count) with the index column. */
static int fetch_table(tq_ctx_t *ctx, const frame_t *f, tq_table_t *t)
{
    if (f->st->mem && f->series && f->expr->kind == QX_REF &&
        !strcmp(f->expr->name, "tq_v"))
        return mem_fetch(ctx, f, t);
    frame_flush_drops(ctx);
    if (frame_force_pending(ctx) < 0)
        return -1;
    fetch_t fe;
    if (select_sql(ctx, f, true, NULL, &fe) < 0)
        return -1;
    /* the row count is kept by the store, and rowids are 1..n in row
     * order: a truncated display reads its head and tail rows by rowid
     * range, never a count or an OFFSET scan */
    int64_t max_rows = tq_ctx_max_rows(ctx);
    int64_t total = frame_nrows(ctx, f);
    if (total < 0) {
        fetch_clear(&fe);
        return -1;
    }
    int64_t h = max_rows - max_rows / 2, tl = max_rows / 2;
    bool cut = max_rows > 0 && total > max_rows;
    if (cut) {
        const char *rid = f->st->dialect->store_rowid;
        char *order_by = tq_xasprintf(" ORDER BY %s", rid);
        char *order = strstr(fe.sql, order_by);
        assert(order);
        *order = 0;
        /* two rowid ranges as two branches: an OR of both would scan the
         * table; UNION ALL appends its branches in order */
        char *sql = tq_xasprintf("SELECT * FROM (%s WHERE %s <= %" PRId64
                                 "%s) AS tq_h UNION ALL SELECT "
                                 "* FROM (%s WHERE %s > %" PRId64
                                 "%s) AS tq_t", fe.sql, rid, h, order_by,
                                 fe.sql, rid, total - tl, order_by);
        free(order_by);
        free(fe.sql);
        fe.sql = sql;
    }
    tq_sql_t q = {.sql = fe.sql, .bind = cut ? bind_frag_twice : bind_frag,
                  .ud = &fe.f};
    char *error = NULL;
    memset(t, 0, sizeof *t);
    int rc = tq_table_fetch(tq_ctx_db(ctx), &q, 0, t, &error);
    fetch_clear(&fe);
    if (rc == 0 && cut && t->nhead == (size_t)(h + tl)) {
        t->ntail = (size_t)tl;
        t->nhead = (size_t)h;
        t->tail = tq_xcalloc(t->ntail * t->ncols + 1, sizeof *t->tail);
        memcpy(t->tail, t->head + t->nhead * t->ncols,
               t->ntail * t->ncols * sizeof *t->tail);
        t->total = total;
    }
    if (rc == 0 && f->boolean && !f->series) {
        /* frames of comparisons hold 0/1: shown True/False */
        for (size_t r = 0; r < t->nhead + t->ntail; r++)
            for (size_t c = 1; c < t->ncols; c++) {
                tqdb_datum_t **cell = r < t->nhead
                    ? &t->head[r * t->ncols + c]
                    : &t->tail[(r - t->nhead) * t->ncols + c];
                if ((*cell)->type != TQDB_INT)
                    continue;
                const char *word = (*cell)->i ? "True" : "False";
                tqdb_datum_t d = tqdb_datum_text(word, strlen(word));
                free(*cell);
                *cell = tqdb_datum_dup(&d);
            }
    }
    if (rc < 0) {
        tq_raise(ctx, "DatabaseError", "%s",
                 error ? error : "cannot read the frame");
        free(error);
        return -1;
    }
    t->has_index = true;
    free(t->columns[0]);
    t->columns[0] = tq_xstrdup(f->index_label);
    t->display = (tq_display_t){.set = true,
                                .max_rows = tq_ctx_max_rows(ctx),
                                .min_rows = tq_ctx_min_rows(ctx),
                                .max_columns = tq_ctx_max_columns(ctx),
                                .precision = tq_ctx_precision(ctx)};
    if (set_hints(ctx, f, t) < 0) {
        tq_table_clear(t);
        return -1;
    }
    return 0;
}

/* pandas' dtype name of a Series' values: decided over every row. */
static const char *series_dtype(tq_ctx_t *ctx, const frame_t *f)
{
    if (f->boolean)
        return "bool";
    if (f->expr->kind == QX_REF)        /* a column: its kept dtype */
        return fm_store_dtype(ctx, f->st, f->expr->name);
    fetch_t fe;
    if (select_sql(ctx, f, false, NULL, &fe) < 0)
        return NULL;
    tq_buf_t q = {0};
    tq_buf_printf(&q, "WITH tq_s(v) AS (%s) SELECT count(v), count(CASE "
                  "WHEN ", fe.sql);
    f->st->dialect->value_type(&q, "v");
    tq_buf_add(&q, " = 'integer' THEN 1 END), count(CASE WHEN ");
    f->st->dialect->value_type(&q, "v");
    tq_buf_add(&q, " = 'real' THEN 1 END), count(*) FROM tq_s");
    char *sql = tq_buf_take(&q);
    tqdb_cursor_t *st = frame_prepare(ctx, sql, &fe.f);
    free(sql);
    fetch_clear(&fe);
    if (!st)
        return NULL;
    const char *dtype = "object";
    if (tqdb_step(st) == TQDB_ROW) {
        int64_t n = tqdb_column_int(st, 0),
                ni = tqdb_column_int(st, 1),
                nr = tqdb_column_int(st, 2);
        /* n counts non-NULL values; pandas turns ints with missing
         * values into float64 */
        int64_t rows = tqdb_column_int(st, 3);
        if (n > 0 && ni == n && rows == n)
            dtype = "int64";
        else if (n > 0 && ni + nr == n)
            dtype = "float64";
    }
    tqdb_cursor_free(&st);
    return dtype;
}

/* pandas' SeriesFormatter.to_string: the index left-justified, three
 * spaces, the values (with their sign slot) right-justified; the index
 * name on its own line; "Name: x, dtype: int64" (with "Length: N" when
 * truncated) below. */
static char *series_text(tq_ctx_t *ctx, const frame_t *f)
{
    tq_table_t t;
    if (fetch_table(ctx, f, &t) < 0)
        return NULL;
    const char *dtype = series_dtype(ctx, f);
    if (!dtype) {
        tq_table_clear(&t);
        return NULL;
    }
    tq_buf_t b = {0};
    size_t nrows = t.nhead + t.ntail;
    bool truncated = t.total > (int64_t)nrows;
    char *freq;
    if (frame_freq_text(ctx, f, &freq) < 0) {
        tq_table_clear(&t);
        return NULL;
    }
    tq_buf_t footer = {0};
    if (freq)
        tq_buf_printf(&footer, "Freq: %s, ", freq);
    free(freq);
    if (f->name)
        tq_buf_printf(&footer, "Name: %s, ", f->name);
    if (truncated)
        tq_buf_printf(&footer, "Length: %" PRId64 ", ", t.total);
    tq_buf_printf(&footer, "dtype: %s", dtype);
    if (nrows == 0) {
        tq_buf_printf(&b, "Series([], %s)", footer.s);
        tq_buf_free(&footer);
        tq_table_clear(&t);
        return tq_buf_take(&b);
    }
    /* pandas' SeriesFormatter shows min(min_rows, max_rows) // 2 rows
     * on each side */
    tq_table_t shown = rx_shown_rows(&t);
    nrows = shown.nhead + shown.ntail;
    rx_colkind_t kind, ikind;
    char **idx = rx_format_column(&shown, 0, true, &ikind, NULL);
    char **vals = rx_format_column(&shown, 1, true, &kind, NULL);
    /* a numeric index keeps a sign slot when a label is negative, as
     * pandas' Index.format trims only the spaces common to all labels */
    bool idx_sign = false;
    for (size_t r = 0; r < nrows; r++)
        idx_sign |= (ikind == RX_COL_INT || ikind == RX_COL_FLOAT) &&
                    idx[r][strspn(idx[r], " ")] == '-';
    bool sign_slot = kind != RX_COL_DATETIME;
    if (f->boolean)
        for (size_t r = 0; r < nrows; r++) {
            const char *x = vals[r] + strspn(vals[r], " ");
            if (!strcmp(x, "1") || !strcmp(x, "0")) {
                char *v = tq_xstrdup(x[0] == '1' ? "True" : "False");
                free(vals[r]);
                vals[r] = v;
            }
        }
    /* the values' sign slot (pandas' leading_space): one space before
     * anything that does not start with '-' */
    size_t iw = 0, vw = 0;
    for (size_t r = 0; r < nrows; r++) {
        while (idx[r][0] == ' ')
            memmove(idx[r], idx[r] + 1, strlen(idx[r]));
        if (idx_sign && idx[r][0] != '-') {
            char *v = tq_xasprintf(" %s", idx[r]);
            free(idx[r]);
            idx[r] = v;
        }
        /* pandas' float formatter gives NaN no sign slot */
        bool nan = kind == RX_COL_FLOAT && !strcmp(vals[r], "NaN");
        if (sign_slot && !nan && vals[r][0] != ' ' && vals[r][0] != '-') {
            char *v = tq_xasprintf(" %s", vals[r]);
            free(vals[r]);
            vals[r] = v;
        }
        size_t w = rx_utf8_width(idx[r]);
        iw = w > iw ? w : iw;
        w = rx_utf8_width(vals[r]);
        vw = w > vw ? w : vw;
    }
    if (f->index_label[0])
        tq_buf_printf(&b, "%s\n", f->index_label);
    for (size_t r = 0; r < nrows; r++) {
        if (truncated && r == shown.nhead) {
            /* pandas centres the dots in the values' common width (its
             * formatter pads every value to it first) */
            size_t w = vw;
            const char *dots = w > 3 ? "..." : "..";
            /* Python's str.center: the odd space goes left when the
             * width is odd */
            size_t marg = w > strlen(dots) ? w - strlen(dots) : 0;
            size_t left = marg / 2 + (marg & w & 1);
            rx_buf_spaces(&b, iw + 3 + left);
            tq_buf_add(&b, dots);
            tq_buf_addc(&b, '\n');
        }
        tq_buf_add(&b, idx[r]);
        rx_buf_spaces(&b, iw - rx_utf8_width(idx[r]) + 3);
        rx_buf_spaces(&b, vw - rx_utf8_width(vals[r]));
        tq_buf_add(&b, vals[r]);
        tq_buf_addc(&b, '\n');
    }
    tq_buf_add(&b, footer.s);
    tq_buf_free(&footer);
    rx_cells_free(idx, nrows);
    rx_cells_free(vals, nrows);
    tq_table_clear(&t);
    char *s = tq_buf_take(&b);
    tq_render_nuls(s);             /* a repr ends at a NUL */
    return s;
}

static char *frame_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    frame_t *f = SELF(self);
    if (frame_sync(ctx, f) < 0)
        return NULL;
    if (f->series)
        return series_text(ctx, f);
    tq_table_t t;
    if (fetch_table(ctx, f, &t) < 0)
        return NULL;
    char *s = tq_text_table(&t);
    tq_table_clear(&t);
    tq_render_nuls(s);             /* a repr ends at a NUL */
    return s;
}

static int frame_display(tq_ctx_t *ctx, tq_value_t *self, tq_bundle_t *out)
{
    frame_t *f = SELF(self);
    if (frame_sync(ctx, f) < 0)
        return -1;
    if (f->series)
        return 0;              /* pandas shows a Series as text only */
    tq_table_t t;
    if (fetch_table(ctx, f, &t) < 0)
        return -1;
    char *html = tq_html_table(&t);
    char *text = tq_text_table(&t);
    tq_table_clear(&t);
    tq_bundle_add(out, "text/html", html, tq_render_nuls(html));
    tq_bundle_add(out, "text/plain", text, tq_render_nuls(text));
    free(html);
    free(text);
    return 0;
}

/* ---- len, derived frames */

static int64_t frame_rows(tq_ctx_t *ctx, const frame_t *f)
{
    return frame_nrows(ctx, f);
}

static int64_t frame_length(tq_ctx_t *ctx, tq_value_t *self)
{
    if (frame_sync(ctx, SELF(self)) < 0)
        return -1;
    return frame_rows(ctx, SELF(self));
}

/* A description over f's store selecting its index and columns (or its
 * expression), in row order unless the caller orders it. */
static qdesc_t *select_desc(const frame_t *f)
{
    qdesc_t *q = frame_desc(f->st);
    qdesc_add_field(&q->fields, &q->nfields, f->index, qx_path(f->index));
    if (f->series)
        qdesc_add_field(&q->fields, &q->nfields, f->name ? f->name : "0",
                        qx_ref(f->expr));
    else
        for (size_t i = 0; i < f->ncols; i++)
            qdesc_add_field(&q->fields, &q->nfields, f->cols[i],
                            qx_path(f->cols[i]));
    return q;
}

static tq_value_t *value_over(const frame_t *f, fstore_t *st);

/* The frame or Series that q (from select_desc, a filter) yields, in a
 * new store. */
static tq_value_t *derive(tq_ctx_t *ctx, const frame_t *f, const qdesc_t *q)
{
    frame_flush_drops(ctx);
    fstore_t *st = frame_materialise(ctx, f->st, q);
    if (!st)
        return NULL;
    if (frame_dtypes_inherit(ctx, st, f->st, q) < 0) {
        frame_store_unref(st);
        return NULL;
    }
    return fm_keep_freq(ctx, value_over(f, st), f, FM_ROWS_MASK);
}

/* A frame or Series shaped like f over st (steals st). */
static tq_value_t *value_over(const frame_t *f, fstore_t *st)
{
    if (f->series) {
        const char *name = f->name ? f->name : "0";
        tq_value_t *v = frame_series_new(st, f->index, f->index_label,
                                         qx_path(name), f->name);
        SELF(v)->boolean = f->boolean;
        return v;
    }
    return frame_new(st, f->index, f->index_label, f->cols, f->ncols);
}

/* Columns whose names hold "__" would read as relations in the compiler:
 * refuse them in derived frames with a clear message. */
static bool plain_names(tq_ctx_t *ctx, const frame_t *f)
{
    const char *bad = strstr(f->index, "__") ? f->index : NULL;
    for (size_t i = 0; i < f->ncols && !bad; i++)
        if (strstr(f->cols[i], "__"))
            bad = f->cols[i];
    if (bad)
        tq_raise(ctx, "ValueError", "column '%s': rename columns holding "
                 "'__' (values(%s=...)) before deriving frames", bad, bad);
    return !bad;
}

static tq_value_t *filtered(tq_ctx_t *ctx, const frame_t *f, qexpr_t *pred)
{
    if (!plain_names(ctx, f))
        return NULL;
    qdesc_t *q = select_desc(f);
    q->where = qx_ref(pred);
    tq_value_t *v = derive(ctx, f, q);
    qdesc_unref(q);
    return v;
}

/* The frame or Series that q (select_desc with the same rows: reordered,
 * or some of the columns when same_rows) yields, in a pending store: made
 * when first read, except by head() and tail() (pending_slice) and, for
 * same_rows, whole-frame reductions (frame_methods.c reduce). q is
 * checked now, so that its errors are raised here. */
static tq_value_t *derive_pending(tq_ctx_t *ctx, const frame_t *f,
                                  qdesc_t *q, bool same_rows)
{
    frame_flush_drops(ctx);
    int64_t n = frame_rows(ctx, f);
    if (n < 0)
        return NULL;
    tq_schema_t *sc = frame_schema(ctx, f->st);
    if (!sc)
        return NULL;
    qsql_t s;
    qerr_t err = {0};
    int rc = tq_compile_select(tq_dialect_for(tq_ctx_db(ctx)), sc, q, &s,
                               &err);
    tq_schema_free(&sc);
    if (rc < 0) {
        db_raise(ctx, &err);
        return NULL;
    }
    qsql_clear(&s);
    fstore_t *st = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    st->nrows = n;
    st->pend_q = qdesc_ref(q);
    st->pend_src = f->st;
    st->pend_same_rows = same_rows;
    f->st->refs++;
    pending_add(st);
    /* pandas' Series.sort_values indexes its index by an array, which
     * keeps no frequency; DataFrame.sort_values takes positions */
    tq_value_t *v = value_over(f, st);
    return same_rows ? fm_keep_freq(ctx, v, f, FM_ROWS_SAME)
         : f->series ? v : fm_keep_freq(ctx, v, f, FM_ROWS_TAKE);
}

/* When the pending store p is a sort by one numeric column held in memory
 * (sort_values: its key's missing values first or last, the key, the row
 * order), and rows [start, start + count) are its first or last few: the
 * predicate `pk IN (those rows)` found in C (fc_sorted_rows), so that the
 * statement sorts only them. NULL (no error) otherwise. */
static qexpr_t *sorted_rows_filter(tq_ctx_t *ctx, const fstore_t *p,
                                   int64_t start, int64_t count,
                                   int64_t total)
{
    const qdesc_t *q = p->pend_q;
    if (p->pend_same_rows || q->where || q->norder != 3 || count <= 0 ||
        count > 4096 || (start != 0 && start + count != total) ||
        q->order[1].expr->kind != QX_REF || q->order[1].expr->op != 0)
        return NULL;
    const char *key = q->order[1].expr->name;
    /* these read the source, whose table is made: p stays pending */
    bool held = frame_hold_pending(true);
    const char *dt = fm_store_dtype(ctx, p->pend_src, key);
    const fcol_t *c = NULL;
    int rc = dt ? fc_store_column(ctx, p->pend_src, key, dt, &c) : -1;
    frame_hold_pending(held);
    if (rc < 0) {
        tq_error_clear(ctx);
        return NULL;
    }
    if (!c || (int64_t)c->n != total)
        return NULL;
    int64_t *rows = tq_xcalloc((size_t)count, sizeof *rows);
    size_t n = fc_sorted_rows(c, q->order[1].desc, start != 0,
                              (size_t)count, rows);
    qexpr_t *list = qx_new(QX_LIST);
    for (size_t i = 0; i < n; i++)
        qx_push(list, qx_lit(qlit_int(rows[i])));
    free(rows);
    return qx_lookup(qx_path("pk"), "in", list);
}

/* Rows start .. start + count of f, whose store is pending: its query
 * with LIMIT and OFFSET, the pending table never made. */
static tq_value_t *pending_slice(tq_ctx_t *ctx, const frame_t *f,
                                 int64_t start, int64_t count)
{
    fstore_t *p = f->st;
    /* sort_values made the source's table before it recorded q */
    assert(p->pend_q && !p->pend_src->pend_q && !forcing);
    qdesc_t *q = qdesc_clone(p->pend_q);
    q->limit = count;
    q->offset = start;
    qexpr_t *only = sorted_rows_filter(ctx, p, start, count, p->nrows);
    if (only) {
        /* those rows alone, in the same order */
        q->where = only;
        q->offset = 0;
    }
    /* the slice reads the source, not the pending table */
    forcing = true;
    fstore_t *st = frame_materialise(ctx, p->pend_src, q);
    int rc = st ? frame_dtypes_inherit(ctx, st, p->pend_src, q) : -1;
    forcing = false;
    qdesc_unref(q);
    if (rc < 0) {
        frame_store_unref(st);
        return NULL;
    }
    st->nrows = count;
    return fm_keep_freq(ctx, value_over(f, st), f, FM_ROWS_SLICE);
}

static tq_value_t *head_tail(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a, bool tail)
{
    frame_t *f = SELF(self);
    int64_t n = 5;
    tq_value_t *nv = a->npos ? a->pos[0] : tq_args_kw(a, "n");
    if (nv) {
        if (tq_kind(nv) != TQ_INT)
            return tq_raise(ctx, "TypeError", "%s(n) takes an int",
                            tail ? "tail" : "head");
        n = tq_as_int(nv);
    }
    int64_t total = frame_rows(ctx, f);
    if (total < 0)
        return NULL;
    /* pandas: a negative n means all rows but the last (first) -n */
    int64_t keep = n >= 0 ? (n < total ? n : total)
                          : (total + n > 0 ? total + n : 0);
    if (f->st->pend_q)
        return pending_slice(ctx, f, tail ? total - keep : 0, keep);
    return frame_rows_slice(ctx, self, tail ? total - keep : 0, keep);
}

static tq_value_t *m_head(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    return head_tail(ctx, self, a, false);
}

static tq_value_t *m_tail(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    return head_tail(ctx, self, a, true);
}

/* sort_values(by, ascending=True): a stable sort, NULLs last as pandas. */
static tq_value_t *m_sort_values(tq_ctx_t *ctx, tq_value_t *self,
                                 const tq_args_t *a)
{
    frame_t *f = SELF(self);
    tq_value_t *by = a->npos ? a->pos[0] : tq_args_kw(a, "by");
    tq_value_t *asc = tq_args_kw(a, "ascending");
    if (a->npos > 1)
        asc = a->pos[1];
    if (!by && !f->series)
        return tq_raise(ctx, "TypeError",
                        "sort_values() missing 1 required positional "
                        "argument: 'by'");
    if (!plain_names(ctx, f))
        return NULL;
    size_t nby = 1;
    tq_value_t *list = NULL;
    if (by && (tq_kind(by) == TQ_LIST || tq_kind(by) == TQ_TUPLE)) {
        list = by;
        nby = tq_seq_len(by);
    }
    qdesc_t *q = select_desc(f);
    for (size_t i = 0; i < nby; i++) {
        qexpr_t *e;
        if (!by) {
            e = qx_ref(f->expr);
        } else {
            tq_value_t *k = list ? tq_seq_get(list, i) : by;
            if (tq_kind(k) != TQ_STR) {
                qdesc_unref(q);
                return tq_raise(ctx, "TypeError",
                                "sort_values() takes column names");
            }
            const char *name = tq_as_str(k);
            if (col_index(f, name) < 0 && strcmp(name, f->index_label) &&
                !(f->series && f->name && !strcmp(name, f->name))) {
                qdesc_unref(q);
                return no_column(ctx, f, name);
            }
            if (f->series && f->name && !strcmp(name, f->name))
                e = qx_ref(f->expr);
            else
                e = qx_path(!strcmp(name, f->index_label) &&
                            col_index(f, name) < 0 ? f->index : name);
        }
        bool desc = false;
        if (asc) {
            tq_value_t *av = asc;
            if (tq_kind(asc) == TQ_LIST || tq_kind(asc) == TQ_TUPLE) {
                if (tq_seq_len(asc) != nby) {
                    qx_unref(e);
                    qdesc_unref(q);
                    return tq_raise(ctx, "ValueError",
                                    "Length of ascending (%zu) != length of "
                                    "by (%zu)", tq_seq_len(asc), nby);
                }
                av = tq_seq_get(asc, i);
            }
            int t = tq_truth(ctx, av);
            if (t < 0) {
                qx_unref(e);
                qdesc_unref(q);
                return NULL;
            }
            desc = !t;
        }
        qdesc_add_order(q, qx_lookup(qx_ref(e), "isnull", qx_lit(qlit_int(1))),
                        false);
        qdesc_add_order(q, e, desc);
    }
    qdesc_add_order(q, qx_path("pk"), false);
    tq_value_t *v = derive_pending(ctx, f, q, false);
    qdesc_unref(q);
    return v;
}

/* ---- columns: df['c'], df[['a', 'b']], df[pred], df['c'] = expr */

static tq_value_t *column(tq_ctx_t *ctx, const frame_t *f, const char *name)
{
    if (col_index(f, name) < 0)
        return no_column(ctx, f, name);
    f->st->refs++;
    return frame_series_new(f->st, f->index, f->index_label, qx_path(name),
                            name);
}

/* The predicate of a filter key (a boolean Series of the same frame, an
 * F comparison or a Q object), borrowed; NULL when it is not one. */
static qexpr_t *filter_of(tq_ctx_t *ctx, const frame_t *f, tq_value_t *key)
{
    if (frame_check(key)) {
        frame_t *k = SELF(key);
        if (!k->series || !is_pred(k->expr))
            return NULL;
        if (k->st != f->st) {
            tq_raise(ctx, "ValueError", "a boolean Series filters only the "
                     "frame it was computed from");
            return NULL;
        }
        return k->expr;
    }
    qexpr_t *e = expr_of(key);
    return is_pred(e) ? e : NULL;
}

static tq_value_t *frame_getitem(tq_ctx_t *ctx, tq_value_t *self,
                                 tq_value_t *key)
{
    frame_t *f = SELF(self);
    if (frame_sync(ctx, f) < 0)
        return NULL;
    if (f->series) {
        qexpr_t *p = filter_of(ctx, f, key);
        if (p)
            return filtered(ctx, f, p);
        if (tq_error_pending(ctx))
            return NULL;
        return tq_raise(ctx, "TypeError", "a Series is indexed by a boolean "
                        "Series or an F predicate");
    }
    if (tq_kind(key) == TQ_STR)
        return column(ctx, f, tq_as_str(key));
    if (tq_kind(key) == TQ_LIST || tq_kind(key) == TQ_TUPLE) {
        size_t n = tq_seq_len(key);
        char **names = tq_xcalloc(n, sizeof *names);
        for (size_t i = 0; i < n; i++) {
            tq_value_t *k = tq_seq_get(key, i);
            if (tq_kind(k) != TQ_STR) {
                free(names);
                return tq_raise(ctx, "TypeError", "columns are named by "
                                "strings, not %s", tq_type_name(k));
            }
            names[i] = (char *)tq_as_str(k);
            if (col_index(f, names[i]) < 0) {
                free(names);
                return no_column(ctx, f, tq_as_str(k));
            }
        }
        frame_t sub = *f;
        sub.cols = names;
        sub.ncols = n;
        tq_value_t *v = NULL;
        if (plain_names(ctx, &sub)) {
            qdesc_t *q = select_desc(&sub);
            v = derive_pending(ctx, &sub, q, true);
            qdesc_unref(q);
        }
        free(names);
        return v;
    }
    qexpr_t *p = filter_of(ctx, f, key);
    if (p)
        return filtered(ctx, f, p);
    if (tq_error_pending(ctx))
        return NULL;
    return tq_raise(ctx, "TypeError", "a frame is indexed by a column name, "
                    "a list of names or a predicate, not %s",
                    tq_type_name(key));
}

/* The expression a value assigns to a column of f: a Series of the same
 * frame, an F expression, or a scalar. New reference or NULL (raised). */
static qexpr_t *assigned_expr(tq_ctx_t *ctx, const frame_t *f,
                              tq_value_t *v)
{
    if (frame_check(v)) {
        frame_t *s = SELF(v);
        if (!s->series) {
            tq_raise(ctx, "ValueError", "a column is assigned a Series, an "
                     "expression or a scalar, not a DataFrame");
            return NULL;
        }
        return qx_ref(s->expr);
    }
    return db_value_expr(ctx, v);
}

/* ---- typed columns (engines whose columns hold one type: expr_type) */

/* The kind of a declared type: 'i' integers, 'f' other numbers, 'b'
 * booleans, 't' text (and "unknown", an untyped literal), else 'o'. */
static char type_class(const char *t)
{
    if (!t || !*t || strcasestr(t, "unknown") || strcasestr(t, "char") ||
        strcasestr(t, "text"))
        return 't';
    if (strcasestr(t, "int"))
        return 'i';
    if (strcasestr(t, "double") || strcasestr(t, "real") ||
        strcasestr(t, "numeric") || strcasestr(t, "float"))
        return 'f';
    if (strcasestr(t, "bool"))
        return 'b';
    return 'o';
}

/* The declared type a typed engine's column needs for scalar v (NULL: v
 * is not a scalar). */
static const char *scalar_type(const tq_dialect_t *d, tq_value_t *v)
{
    switch (tq_kind(v)) {
    case TQ_INT: case TQ_BOOL: return d->type_int;
    case TQ_FLOAT: return d->type_real;
    case TQ_STR: case TQ_NONE: return d->type_text;
    default: return NULL;
    }
}

/* The type of fragment fr over store `st` (its static type, read even
 * when the store has no rows); malloc'd, or NULL (raised). */
static char *frag_type(tq_ctx_t *ctx, const fstore_t *st, const frag_t *fr)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT ");
    st->dialect->expr_type(&b, "tq_s.tq_x");
    tq_buf_printf(&b, " FROM (SELECT 1 AS tq_one) AS tq_o LEFT JOIN (SELECT "
                  "%s AS tq_x FROM ", fr->sql);
    frame_table_ref(&b, st);
    tq_buf_add(&b, " LIMIT 1) AS tq_s ON 1 = 1");
    tqdb_cursor_t *cur = frame_prepare(ctx, b.s, fr);
    tq_buf_free(&b);
    if (!cur)
        return NULL;
    int rc = tqdb_step(cur);
    const char *t = rc == TQDB_ROW ? tqdb_column_text(cur, 0) : NULL;
    char *type = tq_xstrdup(t && type_class(t) != 't' ? t
                                                     : st->dialect->type_text);
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        free(type);
        tq_raise_db(ctx);
        return NULL;
    }
    return type;
}

/* The declared type of f's column `name`, malloc'd ("" when it has none
 * or is missing), or NULL (raised). */
static char *column_type(tq_ctx_t *ctx, const frame_t *f, const char *name)
{
    tq_schema_t *sc = frame_schema(ctx, f->st);
    if (!sc)
        return NULL;
    int i = tq_stable_col(&sc->tables[0], name);
    char *t = tq_xstrdup(i >= 0 ? sc->tables[0].cols[i].decltype : "");
    tq_schema_free(&sc);
    return t;
}

/* ALTER TABLE store ADD COLUMN name [type]. */
static int add_column(tq_ctx_t *ctx, const fstore_t *st, const char *name,
                      const char *type)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "ALTER TABLE ");
    frame_table_ref(&b, st);
    tq_buf_add(&b, " ADD COLUMN ");
    tq_buf_ident(&b, name);
    if (type && *type)
        tq_buf_printf(&b, " %s", type);
    int rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    return rc;
}

/* ALTER TABLE store DROP COLUMN name, then, when `rename` is given,
 * RENAME COLUMN rename TO name. */
static int replace_column(tq_ctx_t *ctx, const fstore_t *st,
                          const char *name, const char *rename)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "ALTER TABLE ");
    frame_table_ref(&b, st);
    tq_buf_add(&b, " DROP COLUMN ");
    tq_buf_ident(&b, name);
    int rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    if (rc < 0 || !rename)
        return rc;
    tq_buf_add(&b, "ALTER TABLE ");
    frame_table_ref(&b, st);
    tq_buf_add(&b, " RENAME COLUMN ");
    tq_buf_ident(&b, rename);
    tq_buf_add(&b, " TO ");
    tq_buf_ident(&b, name);
    rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    return rc;
}

/* ---- lazy computed columns (the dialect's virtual_column) */

/* Appends parameter l as an SQL literal that reads back as exactly the
 * value bound; false when it has none (a blob, an infinite or NaN float,
 * text holding NUL, the smallest integer). Parenthesised, so that a
 * negative number never meets a preceding minus as a comment. */
static bool literal(tq_buf_t *b, const qlit_t *l)
{
    switch (l->type) {
    case TQDB_NULL:
        tq_buf_add(b, "NULL");
        return true;
    case TQDB_INT:
        if (l->i == INT64_MIN)
            return false;
        tq_buf_printf(b, "(%" PRId64 ")", l->i);
        return true;
    case TQDB_FLOAT: {
        if (!isfinite(l->d))
            return false;
        char num[40];
        snprintf(num, sizeof num, "%.17g", l->d);
        tq_buf_printf(b, "(%s%s)", num, strpbrk(num, ".e") ? "" : ".0");
        return true;
    }
    case TQDB_TEXT:
        if (l->n && memchr(l->s, 0, l->n))
            return false;
        tq_buf_quote(b, l->s, l->n);
        return true;
    default:
        return false;
    }
}

/* Fragment fr (over one store, `?` placeholders) as a virtual column's
 * expression: qualifiers dropped (every column is the store's own; the
 * engine refuses "." there) and parameters written as literals.
 * malloc'd, or NULL when it cannot be written so. */
static char *virtual_expr(const frag_t *fr)
{
    tq_buf_t b = {0};
    size_t k = 0;
    const char *s = fr->sql;
    while (*s) {
        if (*s == '\'' || *s == '"') {
            /* a string or a quoted name, its quote doubled inside */
            char q = *s;
            const char *e = s + 1;
            while (*e && !(*e == q && e[1] != q))
                e += *e == q ? 2 : 1;
            if (!*e)
                goto fail;
            e++;
            if (q == '"' && *e == '.')
                s = e + 1;              /* a table's (or schema's) name */
            else {
                tq_buf_addn(&b, s, (size_t)(e - s));
                s = e;
            }
        } else if (*s == '?') {
            if (k >= fr->q.nparams || (s[1] >= '0' && s[1] <= '9') ||
                !literal(&b, &fr->q.params[k]))
                goto fail;
            k++;
            s++;
        } else {
            tq_buf_addc(&b, *s++);
        }
    }
    if (k != fr->q.nparams)
        goto fail;
    return tq_buf_take(&b);
fail:
    tq_buf_free(&b);
    return NULL;
}

/* Adds column `name` to st computed from fragment fr when read. 1 when
 * added, 0 when the engine or the expression does not allow it (nothing
 * changed, no error: the caller fills a plain column). */
static int add_virtual(tq_ctx_t *ctx, const fstore_t *st, const char *name,
                       const frag_t *fr)
{
    if (!st->dialect->virtual_column)
        return 0;
    char *expr = virtual_expr(fr);
    if (!expr)
        return 0;
    tq_buf_t b = {0};
    tq_buf_add(&b, "ALTER TABLE ");
    frame_table_ref(&b, st);
    tq_buf_add(&b, " ADD COLUMN ");
    tq_buf_ident(&b, name);
    st->dialect->virtual_column(&b, expr);
    free(expr);
    int rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    if (rc < 0) {
        /* a function the engine refuses there (not deterministic, a
         * subquery): the statement changed nothing */
        tq_error_clear(ctx);
        return 0;
    }
    return 1;
}

/* Turns st's virtual columns into plain ones holding the same values
 * (same names), before a column of st is written in place. 0 or -1. */
static int solidify(tq_ctx_t *ctx, const fstore_t *st)
{
    const tq_dialect_t *d = st->dialect;
    if (!d->temp_virtual_columns)
        return 0;
    tq_buf_t b = {0};
    d->temp_virtual_columns(&b, st->name);
    tqdb_cursor_t *cur = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!cur)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        char *c = tq_xstrdup(tqdb_column_text(cur, 0));
        TQ_PUSH(names, n, cap, c);
    }
    tqdb_cursor_free(&cur);
    if (rc < 0) {
        tq_raise_db(ctx);
        rc = -1;
        goto out;
    }
    rc = 0;
    if (n == 0)
        goto out;
    char tmp[32];
    for (size_t i = 0; i < n && rc == 0; i++) {
        snprintf(tmp, sizeof tmp, "tq_solid_%zu", i);
        rc = add_column(ctx, st, tmp, NULL);
    }
    if (rc < 0)
        goto out;
    tq_buf_add(&b, "UPDATE ");
    frame_table_ref(&b, st);
    for (size_t i = 0; i < n; i++) {
        tq_buf_printf(&b, "%s\"tq_solid_%zu\" = ", i ? ", " : " SET ", i);
        tq_buf_ident(&b, names[i]);
    }
    rc = frame_exec(ctx, b.s);
    tq_buf_free(&b);
    /* later virtual columns may read earlier ones: drop from the last */
    for (size_t i = n; i-- > 0 && rc == 0;) {
        snprintf(tmp, sizeof tmp, "tq_solid_%zu", i);
        rc = replace_column(ctx, st, names[i], tmp);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* df['c'] = [v1, v2, ...]: one value per row in row order, as pandas
 * (the length must match). The values are in memory already, so one
 * prepared UPDATE ... WHERE _rowid_ = ? steps once per row. */
static int assign_list(tq_ctx_t *ctx, frame_t *f, const char *name,
                       tq_value_t *list)
{
    frame_column_changed(f->st, name);
    if (col_index(f, name) >= 0 && solidify(ctx, f->st) < 0)
        return -1;
    size_t n = tq_seq_len(list);
    int64_t rows = frame_rows(ctx, f);
    if (rows < 0)
        return -1;
    if ((int64_t)n != rows) {
        tq_raise(ctx, "ValueError", "Length of values (%zu) does not match "
                 "length of index (%" PRId64 ")", n, rows);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        tq_kind_t k = tq_kind(tq_seq_get(list, i));
        if (k != TQ_NONE && k != TQ_BOOL && k != TQ_INT && k != TQ_FLOAT &&
            k != TQ_STR) {
            tq_raise(ctx, "TypeError", "a column holds scalars, not %s",
                     tq_type_name(tq_seq_get(list, i)));
            return -1;
        }
    }
    const tq_dialect_t *d = f->st->dialect;
    const char *type = NULL;
    if (d->expr_type) {
        /* one type for the column: text when any value is, else float
         * when any is, else integers */
        char cls = 0;
        for (size_t i = 0; i < n; i++) {
            tq_kind_t k = tq_kind(tq_seq_get(list, i));
            char c = k == TQ_STR ? 't' : k == TQ_FLOAT ? 'f'
                   : k == TQ_NONE ? 0 : 'i';
            if (c == 't' || (c == 'f' && cls != 't') || (c == 'i' && !cls))
                cls = c;
        }
        type = cls == 'i' ? d->type_int : cls == 'f' ? d->type_real
                                                     : d->type_text;
        if (col_index(f, name) >= 0) {
            char *old = column_type(ctx, f, name);
            if (!old)
                return -1;
            bool same = type_class(old) == type_class(type);
            free(old);
            /* every value is replaced: the column is made anew */
            if (!same) {
                if (replace_column(ctx, f->st, name, NULL) < 0 ||
                    add_column(ctx, f->st, name, type) < 0)
                    return -1;
            }
        }
    }
    int64_t *ids = tq_xcalloc(n, sizeof *ids);
    tq_buf_t b = {0};
    tq_buf_printf(&b, "SELECT %s FROM ", f->st->dialect->store_rowid);
    frame_table_ref(&b, f->st);
    tq_buf_printf(&b, " ORDER BY %s", f->st->dialect->store_rowid);
    tqdb_cursor_t *st = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!st) {
        free(ids);
        return -1;
    }
    size_t k = 0;
    while (k < n && tqdb_step(st) == TQDB_ROW)
        ids[k++] = tqdb_column_int(st, 0);
    tqdb_cursor_free(&st);
    if (col_index(f, name) < 0) {
        if (add_column(ctx, f->st, name, type) < 0) {
            free(ids);
            return -1;
        }
        f->cols = tq_xrealloc(f->cols, (f->ncols + 1) * sizeof *f->cols);
        f->cols[f->ncols++] = tq_xstrdup(name);
    }
    tq_buf_add(&b, "UPDATE ");
    frame_table_ref(&b, f->st);
    tq_buf_add(&b, " SET ");
    tq_buf_ident(&b, name);
    tq_buf_printf(&b, " = ? WHERE %s = ?", f->st->dialect->store_rowid);
    st = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!st) {
        free(ids);
        return -1;
    }
    int rc = TQDB_DONE;
    for (size_t i = 0; i < k && rc == TQDB_DONE; i++) {
        /* the previous step ended DONE, so the reset cannot fail */
        (void)tqdb_reset(st);
        if (tq_bind(ctx, st, 1, tq_seq_get(list, i)) < 0) {
            tqdb_cursor_free(&st);
            free(ids);
            return -1;
        }
        rc = tqdb_bind_int(st, 2, ids[i]);
        if (rc == 0)
            rc = tqdb_step(st);
    }
    tqdb_cursor_free(&st);
    free(ids);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    /* an UPDATE yields no row */
    assert(rc == TQDB_DONE);
    return 0;
}

/* The recipe of the copy that df[name] = value leaves in the existing
 * column `name` of f's store, made before anything changes (the values
 * it reads are the ones assigned from), or NULL: not an untyped engine's
 * column written in place from f's own columns and numbers, or not
 * arithmetic over copies. Never raises. */
static struct fc_recipe *in_place_recipe(tq_ctx_t *ctx, const frame_t *f,
                                         const char *name, tq_value_t *value)
{
    if (tq_kind(value) == TQ_LIST || tq_kind(value) == TQ_TUPLE ||
        col_index(f, name) < 0 || !f->st->dialect->affinity ||
        (frame_check(value) && SELF(value)->st != f->st))
        return NULL;
    qexpr_t *e = assigned_expr(ctx, f, value);
    if (!e) {
        tq_error_clear(ctx);
        return NULL;
    }
    struct fc_recipe *r = fc_recipe_make(ctx, f->st, e);
    qx_unref(e);
    return r;
}

static int setitem(tq_ctx_t *ctx, frame_t *f, const char *name,
                   tq_value_t *value);

static int frame_setitem(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key,
                         tq_value_t *value)
{
    frame_t *f = SELF(self);
    /* a pending store is made (with its dtypes) before its columns change */
    if (frame_force_pending(ctx) < 0 || frame_sync(ctx, f) < 0)
        return -1;
    if (f->series || tq_kind(key) != TQ_STR) {
        tq_raise(ctx, "TypeError", "assignment needs df['column'] = value");
        return -1;
    }
    const char *name = tq_as_str(key);
    if (!strcmp(name, f->index) || !strncmp(name, "tq_", 3) ||
        !strcasecmp(name, "rowid") ||
        !strcasecmp(name, f->st->dialect->store_rowid) ||
        !strcasecmp(name, "oid") || !*name) {
        tq_raise(ctx, "ValueError", "'%s' cannot name a frame column", name);
        return -1;
    }
    /* written in place: its copy is the recipe's, read before the write */
    struct fc_recipe *pre = in_place_recipe(ctx, f, name, value);
    int rc = setitem(ctx, f, name, value);
    if (rc == 0 && pre)
        fc_recipe_adopt(ctx, f->st, name, pre);
    else
        fc_recipe_free(pre);
    return rc;
}

/* frame_setitem once its key is checked: df[name] = value. 0 or -1. */
static int setitem(tq_ctx_t *ctx, frame_t *f, const char *name,
                   tq_value_t *value)
{
    /* its dtype is read again; the other columns keep theirs */
    frame_column_changed(f->st, name);
    if (tq_kind(value) == TQ_LIST || tq_kind(value) == TQ_TUPLE)
        return assign_list(ctx, f, name, value);
    /* a Series of another frame is aligned on the index, as pandas:
     * rows without a match get NULL */
    const frame_t *other = frame_check(value) && SELF(value)->series &&
                           SELF(value)->st != f->st ? SELF(value) : NULL;
    if (other && frame_sync(ctx, SELF(value)) < 0)
        return -1;
    qexpr_t *e = assigned_expr(ctx, f, value);
    if (!e)
        return -1;
    frag_t fr;
    int rc = frame_frag_expr(ctx, other ? other->st : f->st, e, &fr);
    if (rc < 0) {
        qx_unref(e);
        return -1;
    }
    tq_buf_t b = {0};
    /* the value is computed before the column exists, so that a name
     * error leaves the frame as it was */
    bool add = col_index(f, name) < 0;
    /* a new column computed from f's own columns: read when used */
    if (add && !other) {
        rc = add_virtual(ctx, f->st, name, &fr);
        if (rc > 0) {
            frame_frag_clear(&fr);
            f->cols = tq_xrealloc(f->cols, (f->ncols + 1) * sizeof *f->cols);
            f->cols[f->ncols++] = tq_xstrdup(name);
            /* its values in memory too, where C computes them as SQLite */
            fc_assign_copy(ctx, f->st, name, e);
            qx_unref(e);
            return 0;
        }
    }
    qx_unref(e);
    /* writing a column in place: what virtual columns computed from it
     * is fixed first */
    if (!add && solidify(ctx, f->st) < 0) {
        frame_frag_clear(&fr);
        return -1;
    }
    /* a typed engine's column takes the value's type; an existing column
     * of another kind gets the values in a new column (tq_new) that then
     * replaces it, since the value may read the old one */
    char *type = NULL;
    const char *target = name;
    if (f->st->dialect->expr_type) {
        const char *t = scalar_type(f->st->dialect, value);
        type = t ? tq_xstrdup(t) : frag_type(ctx, other ? other->st : f->st,
                                             &fr);
        char *old = type && !add ? column_type(ctx, f, name) : NULL;
        if (!type || (!add && !old)) {
            free(type);
            frame_frag_clear(&fr);
            return -1;
        }
        if (type_class(type) == 'b') {
            /* a comparison is stored as 1/0, as SQLite stores it */
            tq_buf_t x = {0};
            f->st->dialect->bool_int(&x, fr.sql);
            free(fr.sql);
            fr.sql = tq_buf_take(&x);
            free(type);
            type = tq_xstrdup(f->st->dialect->type_int);
        }
        if (old && type_class(old) != type_class(type))
            target = "tq_new";
        free(old);
    }
    if (add || target != name) {
        rc = add_column(ctx, f->st, target, type);
        if (rc < 0) {
            free(type);
            frame_frag_clear(&fr);
            return -1;
        }
    }
    free(type);
    if (other && target == name) {
        tq_buf_add(&b, "UPDATE ");
        frame_table_ref(&b, f->st);
        tq_buf_add(&b, " SET ");
        tq_buf_ident(&b, name);
        tq_buf_add(&b, " = NULL");
        rc = frame_exec(ctx, b.s);
        tq_buf_free(&b);
        if (rc < 0) {
            frame_frag_clear(&fr);
            return -1;
        }
    }
    tq_buf_add(&b, "UPDATE ");
    frame_table_ref(&b, f->st);
    tq_buf_add(&b, " SET ");
    tq_buf_ident(&b, target);
    tq_buf_printf(&b, " = %s", fr.sql);
    if (other) {
        /* UPDATE ... FROM: one pass with an automatic index, where a
         * correlated subquery per row would be quadratic */
        tq_buf_add(&b, " FROM ");
        frame_table_ref(&b, other->st);
        tq_buf_add(&b, " WHERE ");
        tq_buf_ident(&b, other->st->name);
        tq_buf_addc(&b, '.');
        tq_buf_ident(&b, other->index);
        tq_buf_add(&b, " = ");
        tq_buf_ident(&b, f->st->name);
        tq_buf_addc(&b, '.');
        tq_buf_ident(&b, f->index);
    }
    int64_t n = exec_frag(ctx, b.s, &fr);
    tq_buf_free(&b);
    frame_frag_clear(&fr);
    if (n < 0)
        return -1;
    if (target != name && replace_column(ctx, f->st, name, target) < 0)
        return -1;
    if (add) {
        f->cols = tq_xrealloc(f->cols, (f->ncols + 1) * sizeof *f->cols);
        f->cols[f->ncols++] = tq_xstrdup(name);
    }
    return 0;
}

/* ---- column arithmetic */

static tq_value_t *frame_binop(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *self,
                               tq_value_t *other, bool reflected)
{
    frame_t *f = SELF(self);
    if (!f->series)
        return NULL;
    const char *cmp = db_cmp_lookup(op, reflected);
    if (!cmp && !db_arith_op(op) && op != TQ_OP_AND && op != TQ_OP_OR)
        return NULL;
    qexpr_t *o;
    const char *oname = NULL;
    bool named_other = false;
    if (frame_check(other)) {
        frame_t *s = SELF(other);
        if (!s->series)
            return NULL;
        if (s->st != f->st) {
            tq_raise(ctx, "ValueError", "columns of different frames do not "
                     "combine: compute them in one frame");
            return NULL;
        }
        o = qx_ref(s->expr);
        oname = s->name;
        named_other = true;
    } else {
        if (tq_kind(other) == TQ_STR && !cmp && op != TQ_OP_AND &&
            op != TQ_OP_OR) {
            tq_raise(ctx, "TypeError", "text arithmetic on columns is not "
                     "supported (SQL's + is numeric)");
            return NULL;
        }
        o = db_value_expr(ctx, other);
        if (!o) {
            tq_error_clear(ctx);
            return NULL;
        }
    }
    qexpr_t *me = qx_ref(f->expr), *r;
    bool boolean = false;
    if (op == TQ_OP_AND || op == TQ_OP_OR) {
        if (!is_pred(me) || !is_pred(o)) {
            qx_unref(me);
            qx_unref(o);
            tq_raise(ctx, "TypeError", "& and | combine boolean Series and "
                     "predicates");
            return NULL;
        }
        r = op == TQ_OP_AND ? qx_and(me, o) : qx_or(me, o);
        boolean = true;
    } else if (cmp) {
        r = qx_lookup(me, cmp, o);
        boolean = true;
    } else {
        qexpr_t *l = reflected ? o : me, *rr = reflected ? me : o;
        /* pandas' / is true division: make the dividend real */
        if (op == TQ_OP_DIV)
            l = qx_bin('*', l, qx_lit(qlit_float(1.0)));
        r = qx_bin(db_arith_op(op), l, rr);
    }
    /* pandas keeps the name when both operands share it (or one is a
     * scalar) */
    const char *name = f->name;
    if (named_other && (!oname || !name || strcmp(oname, name)))
        name = NULL;
    f->st->refs++;
    tq_value_t *v = frame_series_new(f->st, f->index, f->index_label, r,
                                     name);
    SELF(v)->boolean = boolean;
    return v;
}

static tq_value_t *frame_unop(tq_ctx_t *ctx, tq_unop_t op, tq_value_t *self)
{
    frame_t *f = SELF(self);
    if (!f->series)
        return NULL;
    qexpr_t *r;
    if (op == TQ_UOP_NEG) {
        r = qx_new(QX_NEG);
        qx_push(r, qx_ref(f->expr));
    } else if (op == TQ_UOP_INVERT && is_pred(f->expr)) {
        r = qx_not(qx_ref(f->expr));
    } else if (op == TQ_UOP_POS) {
        return tq_incref(self);
    } else {
        return tq_raise(ctx, "TypeError", "bad operand type for unary %s: "
                        "'Series'", op == TQ_UOP_INVERT ? "~" : "not");
    }
    f->st->refs++;
    tq_value_t *v = frame_series_new(f->st, f->index, f->index_label, r,
                                     f->name);
    SELF(v)->boolean = op == TQ_UOP_INVERT;
    return v;
}

static int frame_truth(tq_ctx_t *ctx, tq_value_t *self)
{
    tq_raise(ctx, "ValueError", "The truth value of a %s is ambiguous. Use "
             "a.empty, a.bool(), a.item(), a.any() or a.all().",
             SELF(self)->series ? "Series" : "DataFrame");
    return -1;
}

/* for c in df: the column names, as pandas; for v in s: the values. */
static tq_value_t *frame_iterate(tq_ctx_t *ctx, tq_value_t *self)
{
    frame_t *f = SELF(self);
    if (!f->series) {
        tq_value_t *l = tq_list_new(f->ncols);
        for (size_t i = 0; i < f->ncols; i++) {
            tq_value_t *s = tq_str(f->cols[i]);
            tq_list_append(l, s);
            tq_decref(s);
        }
        return l;
    }
    frame_flush_drops(ctx);
    /* pandas' values: a missing float is nan, a comparison's 1/0 a bool */
    const char *dtype = series_dtype(ctx, f);
    if (!dtype)
        return NULL;
    bool floats = !strcmp(dtype, "float64");
    const fcol_t *c = NULL;
    if (f->st->mem && f->expr->kind == QX_REF &&
        (c = frame_cols_peek(f->st, f->expr->name))) {
        /* a memory store's rows, read from memory */
        tq_value_t *l = tq_list_new(c->n);
        for (size_t r = 0; r < c->n; r++) {
            tq_value_t *v = c->kind == FCOL_INT ? tq_int(c->iv[r])
                                                : tq_float(c->x[r]);
            tq_list_append(l, v);
            tq_decref(v);
        }
        return l;
    }
    fetch_t fe;
    if (select_sql(ctx, f, false, NULL, &fe) < 0)
        return NULL;
    tqdb_cursor_t *st = frame_prepare(ctx, fe.sql, &fe.f);
    fetch_clear(&fe);
    if (!st)
        return NULL;
    tq_value_t *l = tq_list_new(16);
    int rc;
    while ((rc = tqdb_step(st)) == TQDB_ROW) {
        tqdb_type_t t = tqdb_column_type(st, 0);
        tq_value_t *v = t == TQDB_NULL && floats ? tq_float(NAN)
                      : t == TQDB_INT && f->boolean
                          ? tq_bool(tqdb_column_int(st, 0) != 0)
                          : tq_cursor_value(st, 0);
        tq_list_append(l, v);
        tq_decref(v);
    }
    tqdb_cursor_free(&st);
    if (rc < 0) {
        tq_decref(l);
        return tq_raise_db(ctx);
    }
    return l;
}

/* ---- .columns: pandas' Index(['name', 'age'], dtype='object') */

typedef struct findex {
    tq_value_t *list;
} findex_t;

static void findex_destroy(void *p)
{
    findex_t *x = p;
    tq_decref(x->list);
    free(x);
}

static char *findex_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    findex_t *x = tq_native_data(self);
    char *items = tq_repr(ctx, x->list);
    if (!items)
        return NULL;
    char *s = tq_xasprintf("Index(%s, dtype='object')", items);
    free(items);
    return s;
}

static tq_value_t *findex_iterate(tq_ctx_t *ctx, tq_value_t *self)
{
    findex_t *x = tq_native_data(self);
    (void)ctx;
    size_t n = tq_seq_len(x->list);
    tq_value_t *l = tq_list_new(n);
    for (size_t i = 0; i < n; i++)
        tq_list_append(l, tq_seq_get(x->list, i));
    return l;
}

static int64_t findex_length(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    return (int64_t)tq_seq_len(((findex_t *)tq_native_data(self))->list);
}

static tq_value_t *findex_getitem(tq_ctx_t *ctx, tq_value_t *self,
                                  tq_value_t *key)
{
    return tq_getitem(ctx, ((findex_t *)tq_native_data(self))->list, key);
}

static tq_value_t *findex_binop(tq_ctx_t *ctx, tq_binop_t op,
                                tq_value_t *self, tq_value_t *other,
                                bool reflected)
{
    findex_t *x = tq_native_data(self);
    if (op == TQ_OP_IN && reflected)
        return tq_binary(ctx, TQ_OP_IN, other, x->list);
    if (op == TQ_OP_NOT_IN && reflected)
        return tq_binary(ctx, TQ_OP_NOT_IN, other, x->list);
    return NULL;
}

static const tq_type_t findex_type = {
    .name = "Index",
    .destroy = findex_destroy,
    .repr = findex_repr,
    .getitem = findex_getitem,
    .binop = findex_binop,
    .iterate = findex_iterate,
    .length = findex_length,
};

/* ---- to_csv, plot */

static tq_value_t *m_to_csv(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    frame_t *f = SELF(self);
    if (frame_force_pending(ctx) < 0)
        return NULL;
    tq_value_t *path = a->npos ? a->pos[0] : tq_args_kw(a, "path_or_buf");
    if (!path || tq_kind(path) != TQ_STR)
        return tq_raise(ctx, "TypeError", "to_csv() takes a file path");
    tq_value_t *iv = tq_args_kw(a, "index");
    int with_index = iv ? tq_truth(ctx, iv) : 1;
    if (with_index < 0)
        return NULL;
    frame_flush_drops(ctx);
    fetch_t fe;
    /* pandas writes the index under its name ("" when unnamed) */
    if (select_sql(ctx, f, with_index, f->index_label, &fe) < 0)
        return NULL;
    tqdb_cursor_t *cur = render_cursor(ctx, fe.sql, &fe.f);
    fetch_clear(&fe);
    if (!cur)
        return NULL;
    int64_t rows = 0;
    char *err = NULL;
    int rc = tq_csv_write(cur, tq_as_str(path), &rows, &err);
    tqdb_cursor_free(&cur);
    if (rc != 0) {
        tq_raise(ctx, "ValueError", "%s", err ? err : "cannot write CSV");
        free(err);
        return NULL;
    }
    return tq_none();
}

typedef struct fplot {
    tq_value_t *frame;
} fplot_t;

static void fplot_destroy(void *p)
{
    fplot_t *x = p;
    tq_decref(x->frame);
    free(x);
}

static const struct {
    const char *name;
    tq_chart_kind_t kind;
} chart_kinds[] = {
#define X(e, name, doc) {#name, TQ_CHART_##e},
    TQ_CHART_KINDS(X)
#undef X
};

/* A plotted column: the index label or a value column; its store name. */
static const char *plot_col(tq_ctx_t *ctx, const frame_t *f, tq_value_t *v)
{
    if (tq_kind(v) != TQ_STR) {
        tq_raise(ctx, "TypeError", "plot columns are named by strings");
        return NULL;
    }
    const char *n = tq_as_str(v);
    if (col_index(f, n) >= 0)
        return n;
    if (f->index_label[0] && !strcmp(n, f->index_label))
        return f->index;
    no_column(ctx, f, n);
    return NULL;
}

static tq_value_t *plot_draw(tq_ctx_t *ctx, tq_value_t *self,
                             const tq_args_t *a, const char *kname)
{
    fplot_t *p = tq_native_data(self);
    frame_t *f = SELF(p->frame);
    /* the chart's SQL runs in the draw layer */
    if (frame_force_pending(ctx) < 0)
        return NULL;
    tq_chart_kind_t kind = TQ_CHART_LINE;
    for (size_t i = 0; i < sizeof chart_kinds / sizeof *chart_kinds; i++)
        if (!strcmp(chart_kinds[i].name, kname))
            kind = chart_kinds[i].kind;
    frame_flush_drops(ctx);
    /* x: x= or the index; y: y= (a name or a list) or every value column;
     * by=: x, the category and y, pivoted to a column per category */
    tq_buf_t b = {0};
    frag_t fr = {0};
    const char *xname = f->index_label[0] ? f->index_label : "index";
    tq_buf_add(&b, "SELECT ");
    tq_value_t *xv = tq_args_kw(a, "x"), *yv = tq_args_kw(a, "y");
    tq_value_t *byv = tq_args_kw(a, "by");
    if (byv && tq_kind(byv) == TQ_NONE)
        byv = NULL;
    const char *xcol = f->index, *bycol = NULL;
    bool has_x = kind != TQ_CHART_HIST && kind != TQ_CHART_BOX;
    if (byv && (f->series || !yv || tq_kind(yv) != TQ_STR || !has_x ||
                kind == TQ_CHART_PIE)) {
        tq_raise(ctx, "TypeError", "plot.%s(by=) takes a column name with "
                 "one y= column (line, area, bar, barh, scatter)", kname);
        goto fail;
    }
    if (byv && !(bycol = plot_col(ctx, f, byv)))
        goto fail;
    if (xv) {
        if (!(xcol = plot_col(ctx, f, xv)))
            goto fail;
        xname = tq_as_str(xv);
    }
    if (has_x) {
        tq_buf_ident(&b, xcol);
        tq_buf_add(&b, " AS ");
        tq_buf_ident(&b, xname);
    }
    if (bycol) {
        tq_buf_add(&b, ", ");
        tq_buf_ident(&b, bycol);
        tq_buf_add(&b, " AS ");
        tq_buf_ident(&b, tq_as_str(byv));
    }
    size_t ny = 0;
    const char *first_y = NULL;
    if (f->series) {
        if (frame_frag_expr(ctx, f->st, f->expr, &fr) < 0)
            goto fail;
        tq_buf_printf(&b, "%s%s AS ", has_x ? ", " : "", fr.sql);
        first_y = f->name ? f->name : "0";
        tq_buf_ident(&b, first_y);
        ny = 1;
    } else {
        size_t n = yv ? (tq_kind(yv) == TQ_LIST || tq_kind(yv) == TQ_TUPLE
                         ? tq_seq_len(yv) : 1)
                      : f->ncols;
        for (size_t i = 0; i < n; i++) {
            const char *c;
            if (yv) {
                tq_value_t *k = tq_kind(yv) == TQ_STR ? yv
                                                      : tq_seq_get(yv, i);
                if (!(c = plot_col(ctx, f, k)))
                    goto fail;
            } else {
                c = f->cols[i];
            }
            if (xv && !yv && !strcmp(c, xcol))
                continue;
            if (kind == TQ_CHART_HIST && ny)
                break;             /* a histogram draws one column */
            if (ny || has_x)
                tq_buf_add(&b, ", ");
            tq_buf_ident(&b, c);
            first_y = first_y ? first_y : c;
            ny++;
        }
    }
    if (!ny) {
        tq_raise(ctx, "TypeError", "no numeric data to plot");
        goto fail;
    }
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, f->st);
    tq_buf_printf(&b, " ORDER BY %s", f->st->dialect->store_rowid);
    if (bycol) {
        tq_sql_t q = {.sql = b.s, .bind = bind_frag, .ud = &fr};
        char *pivot = NULL, *err = NULL;
        bool grouped = kind == TQ_CHART_BAR || kind == TQ_CHART_BARH ||
                       kind == TQ_CHART_AREA;
        if (tq_chart_by_sql(tq_ctx_db(ctx), &q, grouped, &pivot, &err) < 0) {
            tq_raise(ctx, "ValueError", "%s", err);
            free(err);
            goto fail;
        }
        tq_buf_free(&b);
        tq_buf_add(&b, pivot);
        free(pivot);
    }
    tqdb_cursor_t *cur = render_cursor(ctx, b.s, &fr);
    tq_buf_free(&b);
    frame_frag_clear(&fr);
    if (!cur)
        return NULL;
    tq_buf_t what = {0};
    tq_buf_printf(&what, "%s", first_y);
    if (ny > 1)
        tq_buf_printf(&what, " and %zu more", ny - 1);
    if (has_x)
        tq_buf_printf(&what, " by %s", xname);
    if (bycol)
        tq_buf_printf(&what, " per %s", tq_as_str(byv));
    tq_value_t *chart = db_chart_value(ctx, cur, kind, kname, a, what.s);
    tq_buf_free(&what);
    return chart;
fail:
    tq_buf_free(&b);
    frame_frag_clear(&fr);
    return NULL;
}

#define PLOT_FN(k)                                                         \
    static tq_value_t *plot_##k(tq_ctx_t *ctx, tq_value_t *self,           \
                                const tq_args_t *a)                        \
    {                                                                      \
        return plot_draw(ctx, self, a, #k);                                \
    }
#define X(e, name, doc) PLOT_FN(name)
TQ_CHART_KINDS(X)
#undef X

static tq_value_t *fplot_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                 const char *name)
{
    static const tq_builtin_fn fns[] = {
#define X(e, name, doc) plot_##name,
        TQ_CHART_KINDS(X)
#undef X
    };
    (void)ctx;
    for (size_t i = 0; i < sizeof chart_kinds / sizeof *chart_kinds; i++)
        if (!strcmp(chart_kinds[i].name, name))
            return tq_builtin_new(chart_kinds[i].name, fns[i], self);
    return NULL;
}

static char *fplot_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    (void)self;
    return tq_xstrdup("<plot accessor: " TQ_CHART_NAMES_SPACED ">");
}

/* df.plot(kind='line', x=, y=, ...): pandas' callable accessor. */
static tq_value_t *fplot_call(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    tq_value_t *k = tq_args_kw(a, "kind");
    const char *name = k && tq_kind(k) == TQ_STR ? tq_as_str(k) : "line";
    if (a->npos || (k && tq_kind(k) != TQ_STR && tq_kind(k) != TQ_NONE))
        return tq_raise(ctx, "TypeError", "plot() takes keywords: kind=, "
                        "x=, y= and the chart keywords");
    for (size_t i = 0; i < sizeof chart_kinds / sizeof *chart_kinds; i++)
        if (!strcmp(chart_kinds[i].name, name))
            return plot_draw(ctx, self, a, name);
    return tq_raise(ctx, "ValueError", "%s is not a valid plot kind; kinds "
                    "are " TQ_CHART_NAMES_SPACED, name);
}

static const tq_type_t fplot_type = {
    .name = "PlotAccessor",
    .destroy = fplot_destroy,
    .repr = fplot_repr,
    .getattr = fplot_getattr,
    .call = fplot_call,
};

/* ---- Series aggregates (bound names) */

#define SERIES_AGG(fn)                                                     \
    static tq_value_t *m_##fn(tq_ctx_t *ctx, tq_value_t *self,             \
                              const tq_args_t *a)                          \
    {                                                                      \
        if (a->npos || a->nkw)                                             \
            return tq_raise(ctx, "TypeError", #fn "() takes no arguments");\
        return frame_series_agg(ctx, self, #fn);                           \
    }
SERIES_AGG(sum)
SERIES_AGG(mean)
SERIES_AGG(count)
SERIES_AGG(min)
SERIES_AGG(max)
SERIES_AGG(std)

static tq_value_t *m_tolist(tq_ctx_t *ctx, tq_value_t *self,
                            const tq_args_t *a)
{
    (void)a;
    return frame_iterate(ctx, self);
}

static const struct {
    const char *name;
    tq_builtin_fn fn;
    int where;           /* 0 both, 1 frame only, 2 series only */
} methods[] = {
    {"head", m_head, 0}, {"tail", m_tail, 0},
    {"sort_values", m_sort_values, 0}, {"to_csv", m_to_csv, 0},
    {"describe", frame_describe, 0}, {"groupby", frame_groupby, 1},
    {"sum", m_sum, 2}, {"mean", m_mean, 2}, {"count", m_count, 2},
    {"min", m_min, 2}, {"max", m_max, 2}, {"std", m_std, 2},
    {"tolist", m_tolist, 2},
};

static tq_value_t *frame_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                 const char *name)
{
    frame_t *f = SELF(self);
    if (frame_sync(ctx, f) < 0)
        return NULL;
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (!strcmp(methods[i].name, name) &&
            (methods[i].where == 0 || methods[i].where == (f->series ? 2 : 1)))
            return tq_builtin_new(methods[i].name, methods[i].fn, self);
    if (!strcmp(name, "columns") && !f->series) {
        findex_t *x = tq_xcalloc(1, sizeof *x);
        x->list = frame_iterate(ctx, self);
        return tq_native_new(&findex_type, x);
    }
    if (!strcmp(name, "name") && f->series)
        return f->name ? tq_str(f->name) : tq_none();
    if (!strcmp(name, "dt") && f->series)
        return frame_dt_accessor(ctx, self);
    if (!strcmp(name, "shape")) {
        int64_t n = frame_rows(ctx, f);
        if (n < 0)
            return NULL;
        tq_value_t *t = tq_tuple_new(f->series ? 1 : 2);
        tq_tuple_set(t, 0, tq_int(n));
        if (!f->series)
            tq_tuple_set(t, 1, tq_int((int64_t)f->ncols));
        return t;
    }
    if (!strcmp(name, "plot")) {
        fplot_t *p = tq_xcalloc(1, sizeof *p);
        p->frame = tq_incref(self);
        return tq_native_new(&fplot_type, p);
    }
    /* df.age: a column, as pandas allows */
    if (!f->series && col_index(f, name) >= 0)
        return column(ctx, f, name);
    return frame_method_lookup(ctx, self, name);
}

const tq_type_t tq_frame_type = {
    .name = "DataFrame",
    .destroy = frame_destroy,
    .repr = frame_repr,
    .display = frame_display,
    .getattr = frame_getattr,
    .getitem = frame_getitem,
    .setitem = frame_setitem,
    .binop = frame_binop,
    .unop = frame_unop,
    .iterate = frame_iterate,
    .length = frame_length,
    .truth = frame_truth,
};

/* The same hooks under pandas' other name, for type names in messages. */
const tq_type_t tq_series_type = {
    .name = "Series",
    .destroy = frame_destroy,
    .repr = frame_repr,
    .display = frame_display,
    .getattr = frame_getattr,
    .getitem = frame_getitem,
    .setitem = frame_setitem,
    .binop = frame_binop,
    .unop = frame_unop,
    .iterate = frame_iterate,
    .length = frame_length,
    .truth = frame_truth,
};

/* ---- update_from_dataframe */

/* Frame rows joined and written per statement by update_from_dataframe. */
#define UPDATE_CHUNK 65536

/* update_from_dataframe's merge joins a chunk only where its keys span
 * less than this many times its rows (the table's rows the merge reads
 * against the frame's rows UPDATE ... FROM reads). */
#define MERGE_SPAN 4

/* The index value of the frame's first row after rowid `at` (after) or
 * of its last row at or before it: 1 with *key set, 0 when there is no
 * such row or its value is not an integer, -1 with the error raised. */
static int merge_key(tq_ctx_t *ctx, const frame_t *f, int64_t at, bool after,
                     int64_t *key)
{
    const char *rid = f->st->dialect->store_rowid;
    tq_buf_t b = {0};
    tq_buf_add(&b, "SELECT ");
    tq_buf_ident(&b, f->index);
    tq_buf_add(&b, " FROM ");
    frame_table_ref(&b, f->st);
    tq_buf_printf(&b, " WHERE %s %s %" PRId64 " ORDER BY %s%s LIMIT 1", rid,
                  after ? ">" : "<=", at, rid, after ? "" : " DESC");
    tqdb_cursor_t *st = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    if (!st)
        return -1;
    int rc = tqdb_step(st);
    int found = rc == TQDB_ROW && tqdb_column_type(st, 0) == TQDB_INT;
    if (found)
        *key = tqdb_column_int(st, 0);
    tqdb_cursor_free(&st);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return found;
}

/* update_from_dataframe's statements: `UPDATE "schema"."table" SET `. */
static void update_head(tq_buf_t *b, const tq_stable_t *t)
{
    tq_buf_add(b, "UPDATE ");
    tq_buf_ident(b, t->schema);
    tq_buf_addc(b, '.');
    tq_buf_ident(b, t->name);
    tq_buf_add(b, " SET ");
}

/* The table's column that frame column i writes, after a comma past the
 * first (its value follows). */
static void update_target(tq_buf_t *b, const tq_stable_t *t,
                          const frame_t *f, size_t i)
{
    int c = tq_stable_col(t, f->cols[i]);
    assert(c >= 0);             /* checked before anything is written */
    if (i)
        tq_buf_add(b, ", ");
    tq_buf_ident(b, t->cols[c].name);
}

/* Which refusal of the engine's merge functions (db.h,
 * tqdb_merge_refusal) the error just raised is, then cleared; NONE for
 * any other error, which stays raised. */
static tqdb_merge_refusal_t merge_refusal(tq_ctx_t *ctx)
{
    tqdb_conn_t *db = tq_ctx_db(ctx);
    tqdb_merge_refusal_t why = db ? tqdb_merge_refusal(db)
                                  : TQDB_MERGE_NONE;
    if (why != TQDB_MERGE_NONE)
        tq_error_clear(ctx);
    return why;
}

/* The typed copy (frame_cols.h) of frame column i that update_merge can
 * lend the engine in place of the temp table's values, or NULL (the
 * column is then read through SQL): an int64 copy holds the table's
 * integers; a float64 copy holds doubles where the table may hold
 * integers (a column with missing values), so it is lent only where the
 * target column stores both alike and no integer it may stand for is
 * past 2^53 (where a double would round it). The rows are `rows`, the
 * index's. */
static const fcol_t *merge_copy(const tq_stable_t *t, const frame_t *f,
                                size_t i, size_t rows)
{
    const fcol_t *c = frame_cols_peek(f->st, f->cols[i]);
    if (!c || c->n != rows)
        return NULL;
    if (c->kind == FCOL_INT)
        return c;
    if (c->kind != FCOL_REAL)
        return NULL;
    int tc = tq_stable_col(t, f->cols[i]);
    assert(tc >= 0);
    /* the target must store 2.0 as it stores 2 */
    char aff = f->st->dialect->affinity
             ? f->st->dialect->affinity(t->cols[tc].decltype) : 0;
    if (aff != 'i' && aff != 'r')
        return NULL;
    for (size_t r = 0; r < rows; r++)
        if (fabs(c->x[r]) >= 0x1p53 && c->x[r] == nearbyint(c->x[r]))
            return NULL;
    return c;
}

/* True when keys[0..n) (ascending) are sparse among the table's somewhere:
 * a block of UPDATE_CHUNK of them spans MERGE_SPAN times more keys. */
static bool merge_sparse(const int64_t *keys, size_t n)
{
    for (size_t lo = 0; lo < n; lo += UPDATE_CHUNK) {
        size_t hi = n - lo < UPDATE_CHUNK ? n : lo + UPDATE_CHUNK;
        if ((uint64_t)keys[hi - 1] - (uint64_t)keys[lo] >=
            MERGE_SPAN * (uint64_t)(hi - lo))
            return true;
    }
    return false;
}

/* Whether keys[0..n) (ascending, n > 0) span every key of table t: 1 or
 * 0, -1 with the error raised. When they do, *strict says whether they
 * may hold every one of them (no more rows in t than distinct keys): a
 * merge that does not meet a row the frame lacks (tq_merge_take). */
static int merge_covers(tq_ctx_t *ctx, const tq_stable_t *t,
                        const int64_t *keys, size_t n, bool *strict)
{
    tq_buf_t b = {0}, from = {0};
    tq_buf_ident(&from, t->pk);
    tq_buf_add(&from, ") FROM ");
    tq_buf_ident(&from, t->schema);
    tq_buf_addc(&from, '.');
    tq_buf_ident(&from, t->name);
    tq_buf_printf(&b, "SELECT (SELECT min(%s), (SELECT max(%s), "
                  "(SELECT count(*) FROM ", from.s, from.s);
    tq_buf_ident(&b, t->schema);
    tq_buf_addc(&b, '.');
    tq_buf_ident(&b, t->name);
    tq_buf_add(&b, ")");
    tqdb_cursor_t *st = frame_prepare(ctx, b.s, NULL);
    tq_buf_free(&b);
    tq_buf_free(&from);
    if (!st)
        return -1;
    int rc = tqdb_step(st);
    int cover = 0;
    if (rc == TQDB_ROW && tqdb_column_type(st, 2) == TQDB_INT) {
        int64_t rows = tqdb_column_int(st, 2);
        bool ints = tqdb_column_type(st, 0) == TQDB_INT &&
                    tqdb_column_type(st, 1) == TQDB_INT;
        cover = rows > 0 && ints && keys[0] <= tqdb_column_int(st, 0) &&
                keys[n - 1] >= tqdb_column_int(st, 1);
        size_t distinct = 1;
        for (size_t i = 1; cover && i < n; i++)
            distinct += keys[i] != keys[i - 1];
        if (cover)
            *strict = (uint64_t)rows <= distinct;
    }
    tqdb_cursor_free(&st);
    if (rc < 0) {
        tq_raise_db(ctx);
        return -1;
    }
    return cover;
}

/* The engine's reading of the rows lent, told to the progress indicator. */
typedef struct merge_at {
    tq_ctx_t *ctx;
    int64_t rows;
} merge_at_t;

static void merge_at(void *ud, size_t row)
{
    merge_at_t *a = ud;
    tq_ctx_progress(a->ctx, (int64_t)row, a->rows);
}

/* update_from_dataframe as merge joins (dialect update_merge), inside the
 * caller's SAVEPOINT tq_frame_update: per chunk of the frame's rows (by
 * rowid, lo < rowid <= hi, as the frame's keys ascend: keys k_prev <
 * key <= k_hi, k_prev the last key of the chunk before),
 *
 *   SELECT tq_merge_load('tq_frame_N', "id", "name") FROM temp.tq_frame_N
 *     WHERE _rowid_ > lo AND _rowid_ <= hi
 *   UPDATE "user" SET "age" = tq_merge_take('tq_frame_N:c', "user"."id", 1),
 *     "name" = tq_merge_take('tq_frame_N', "user"."id", 1)
 *     WHERE "user"."id" > k_prev AND "user"."id" <= k_hi
 *
 * the chunk's rows kept in memory, then one pass over the table's rows
 * of the chunk in key order, each written as it is read, where UPDATE ...
 * FROM first builds the whole join. The frame's columns held in memory
 * (frame_cols.h: its index and merge_copy's columns, here "age") are not
 * read again: the engine reads them in place, lent once for every chunk
 * under 'tq_frame_N:c' (tqdb_merge_lend), and only the others are loaded
 * from the temp table, chunk by chunk (none, usually). Once a chunk meets
 * a row of the table the frame lacks (tq_merge_take refuses it), that
 * chunk and the rest write only the rows the frame has: SET "age" =
 * tq_merge_value(...) ... AND tq_merge_has(...). When every column is
 * lent and the frame's keys span all of the table's (merge_covers), one
 * statement writes every row, with no range to check on each: its
 * progress is told by the engine as it reads the rows lent, and it starts
 * with tq_merge_value ... WHERE tq_merge_has(...) where the table has
 * more rows than the frame has keys. The engine checks that
 * the keys ascend as it loads or is lent them, this function that they
 * ascend across loaded chunks; a frame whose keys do not (sort_values,
 * an order_by), or whose keys are sparse among the table's (MERGE_SPAN),
 * is refused: its writes are rolled back and the caller runs UPDATE ...
 * FROM. 0 when done, 1 when refused, -1 with the error raised. */
static int update_merge(tq_ctx_t *ctx, const tq_stable_t *t, const frame_t *f,
                        int64_t last_row)
{
    const char *rid = f->st->dialect->store_rowid;
    tqdb_conn_t *db = tq_ctx_db(ctx);
    tq_buf_t name = {0}, lname = {0}, key = {0}, load = {0};
    tq_buf_quote(&name, f->st->name, strlen(f->st->name));
    char *lent_name = tq_xasprintf("%s:c", f->st->name);
    tq_buf_quote(&lname, lent_name, strlen(lent_name));
    tq_buf_ident(&key, t->name);
    tq_buf_addc(&key, '.');
    tq_buf_ident(&key, t->pk);
    /* the copies lent: the index's (its rows 1..last_row in rowid order,
     * as the store's rowids are) and the columns merge_copy gives; col[i]
     * is the value number of column i in its rows (lent or loaded) */
    const fcol_t *ix = NULL;
    if (!f->st->range_index && !f->st->pend_q && last_row > 0) {
        /* those not held (a column assigned since) are read first, in
         * one pass, and kept as copies (text columns are not read) */
        char **want = tq_xcalloc(f->ncols + 1, sizeof *want);
        size_t nwant = 0;
        for (size_t i = 0; i < f->ncols; i++)
            if (!frame_cols_peek(f->st, f->cols[i]))
                want[nwant++] = f->cols[i];
        if (!frame_cols_peek(f->st, f->index))
            want[nwant++] = f->index;
        int loaded = nwant ? frame_cols_load(ctx, f->st, want, nwant) : 0;
        free(want);
        if (loaded < 0) {
            tq_buf_free(&key);
            tq_buf_free(&lname);
            tq_buf_free(&name);
            free(lent_name);
            return -1;
        }
        ix = frame_cols_peek(f->st, f->index);
        if (ix && (ix->kind != FCOL_INT || ix->n != (size_t)last_row))
            ix = NULL;
    }
    size_t *col = tq_xcalloc(f->ncols + 1, sizeof *col);
    bool *is_lent = tq_xcalloc(f->ncols + 1, sizeof *is_lent);
    tqdb_merge_col_t *lcols = tq_xcalloc(f->ncols + 1, sizeof *lcols);
    size_t nlent = 0, nload = 0;
    for (size_t i = 0; i < f->ncols; i++) {
        const fcol_t *c = ix ? merge_copy(t, f, i, ix->n) : NULL;
        is_lent[i] = c != NULL;
        if (c) {
            lcols[nlent].iv = c->kind == FCOL_INT ? c->iv : NULL;
            lcols[nlent].x = c->kind == FCOL_INT ? NULL : c->x;
        }
        col[i] = c ? ++nlent : ++nload;
    }
    int rc = 0;
    merge_at_t at = {ctx, last_row};
    if (nlent && tqdb_merge_lend(db, lent_name, ix->iv, ix->n, lcols,
                                 (int)nlent, merge_at, &at) < 0)
        rc = tqdb_merge_refusal(db) == TQDB_MERGE_UNORDERED ? 1
            : (tq_raise_db(ctx), -1);
    const char *has_name = nlent ? lname.s : name.s;
    bool strict = true;         /* the frame has every row so far */
    /* every column lent, keys as dense as the table's and spanning all
     * of them: one statement, without a range to check row by row */
    bool whole = false;
    if (rc == 0 && nlent && !nload) {
        rc = merge_sparse(ix->iv, ix->n) ? 1 : 0;
        int cover = rc ? 0 : merge_covers(ctx, t, ix->iv, ix->n, &strict);
        if (cover < 0)
            rc = -1;
        whole = cover > 0;
    }
    int64_t step = whole ? last_row : UPDATE_CHUNK, k_prev = 0;
    for (int64_t lo = 0; lo < last_row && rc == 0; lo += step) {
        int64_t hi = lo + step, k_first, k_hi;
        if (nlent) {
            /* lent keys ascend (the engine checked them) */
            k_first = ix->iv[lo];
            k_hi = ix->iv[(hi < last_row ? hi : last_row) - 1];
        } else {
            int a = merge_key(ctx, f, lo, true, &k_first);
            int z = a > 0 ? merge_key(ctx, f, hi, false, &k_hi) : a;
            if (a < 0 || z < 0) {
                rc = -1;
                break;
            }
            if (!a || !z || (lo && k_first < k_prev) || k_hi < k_first) {
                rc = 1;
                break;
            }
        }
        /* the merge reads the table's rows between the chunk's first and
         * last keys, UPDATE ... FROM only the frame's: on a frame whose
         * keys are that much sparser than the table's it costs more */
        uint64_t rows = (uint64_t)((hi < last_row ? hi : last_row) - lo);
        if (!whole &&
            (uint64_t)k_hi - (uint64_t)k_first >= MERGE_SPAN * rows) {
            rc = 1;
            break;
        }
        if (nload) {
            tq_buf_printf(&load, "SELECT tq_merge_load(%s, ", name.s);
            tq_buf_ident(&load, f->index);
            for (size_t i = 0; i < f->ncols; i++)
                if (!is_lent[i]) {
                    tq_buf_add(&load, ", ");
                    tq_buf_ident(&load, f->cols[i]);
                }
            tq_buf_add(&load, ") FROM ");
            frame_table_ref(&load, f->st);
            tq_buf_printf(&load, " WHERE %s > %" PRId64 " AND %s <= %"
                          PRId64, rid, lo, rid, hi);
            int64_t loaded = query_int(ctx, load.s, NULL);
            tq_buf_free(&load);
            if (loaded <= 0) {
                rc = loaded == 0 || merge_refusal(ctx) ? 1 : -1;
                break;
            }
        }
        for (;;) {
            tq_buf_t b = {0};
            update_head(&b, t);
            for (size_t i = 0; i < f->ncols; i++) {
                update_target(&b, t, f, i);
                tq_buf_printf(&b, " = tq_merge_%s(%s, %s, %zu)",
                              strict ? "take" : "value",
                              is_lent[i] ? lname.s : name.s, key.s, col[i]);
            }
            if (!whole)
                tq_buf_printf(&b, " WHERE %s %s %" PRId64 " AND %s <= %"
                              PRId64, key.s, lo ? ">" : ">=",
                              lo ? k_prev : k_first, key.s, k_hi);
            if (!strict)
                tq_buf_printf(&b, " %s tq_merge_has(%s, %s)",
                              whole ? "WHERE" : "AND", has_name, key.s);
            int64_t n = exec_frag(ctx, b.s, NULL);
            tq_buf_free(&b);
            if (n >= 0)
                break;
            tqdb_merge_refusal_t why = merge_refusal(ctx);
            if (why == TQDB_MERGE_ABSENT && strict) {
                strict = false;         /* the chunk again, rows it has */
                continue;
            }
            rc = why != TQDB_MERGE_NONE ? 1 : -1;
            break;
        }
        k_prev = k_hi;
        tq_ctx_progress(ctx, hi < last_row ? hi : last_row, last_row);
    }
    /* the rows kept are forgotten whatever happened (an error raised
     * stays the cell's: the connection's own is not read again) */
    (void)tqdb_merge_finish(db, f->st->name);
    /* no statement runs: the rows lent (and `at`) are forgotten */
    int forgotten = tqdb_merge_finish(db, lent_name);
    assert(forgotten == 0);
    (void)forgotten;
    tq_ctx_progress(ctx, 0, 0);
    free(lcols);
    free(is_lent);
    free(col);
    free(lent_name);
    tq_buf_free(&load);
    tq_buf_free(&key);
    tq_buf_free(&lname);
    tq_buf_free(&name);
    if (rc == 1 && frame_exec(ctx, "ROLLBACK TO tq_frame_update") < 0)
        return -1;
    return rc;
}

/* frame_update_table: see frame.h. */
tq_value_t *frame_update_table(tq_ctx_t *ctx, tq_value_t *manager,
                               tq_value_t *df)
{
    const qdesc_t *q = qs_desc(manager);
    if (!q)
        return tq_raise(ctx, "TypeError", "update_from_dataframe() is a "
                        "manager method");
    if (!frame_check(df) || SELF(df)->series)
        return tq_raise(ctx, "TypeError", "update_from_dataframe() takes a "
                        "DataFrame, not %s", tq_type_name(df));
    frame_t *f = SELF(df);
    if (frame_sync(ctx, f) < 0)
        return NULL;
    const tq_stable_t *t = qs_table(ctx, q);
    if (!t)
        return NULL;
    if (!f->index_label[0])
        return tq_raise(ctx, "ValueError", "the frame has no primary-key "
                        "index (it came from a grouped or distinct query)");
    if (f->ncols == 0)
        return tq_none();
    for (size_t i = 0; i < f->ncols; i++) {
        int c = tq_stable_col(t, f->cols[i]);
        if (c < 0 || t->cols[c].pk) {
            if (c >= 0)
                return tq_raise(ctx, "ValueError", "update_from_dataframe() "
                                "cannot change the primary key '%s'",
                                f->cols[i]);
            char *choices = tq_stable_choices(t, NULL, 0);
            tq_raise(ctx, "FieldError", "Cannot resolve keyword '%s' into "
                     "field. Choices are: %s", f->cols[i], choices);
            free(choices);
            return NULL;
        }
    }
    /* restricted to a filtered query set's rows: pk IN (its SELECT) */
    qsql_t sub = {0};
    bool restrict_rows = q->where || qdesc_sliced(q);
    if (restrict_rows) {
        qdesc_t *c = qdesc_clone(q);
        c->mode = QM_FLAT;
        for (size_t i = 0; i < c->nfields; i++) {
            free(c->fields[i].name);
            qx_unref(c->fields[i].expr);
        }
        free(c->fields);
        c->fields = NULL;
        c->nfields = 0;
        qdesc_add_field(&c->fields, &c->nfields, "pk", qx_path("pk"));
        qerr_t err = {0};
        const tq_schema_t *sc = db_schema(ctx);
        int rc = sc ? tq_compile_select(tq_dialect_for(tq_ctx_db(ctx)), sc, c,
                                        &sub, &err) : -1;
        qdesc_unref(c);
        if (rc < 0)
            return sc ? db_raise(ctx, &err) : NULL;
    }
    /* UPDATE "user" SET "age" = tq_f."age", ... FROM temp.tq_frame_N AS
     * tq_f WHERE "user"."id" = tq_f."id": set-based. Where the engine
     * builds the whole join before it writes (update_from_chunked), an
     * unrestricted update runs in chunks of the frame's rows (by its
     * rowid), each joined and written while it is small (and reported to
     * the progress indicator); elsewhere it is one statement. */
    bool chunked = !restrict_rows && f->st->dialect->update_from_chunked;
    /* Where the engine has merge joins (update_merge), an unrestricted
     * update tries them first (update_merge above): about a plain UPDATE's
     * time on SQLite, where UPDATE ... FROM, which joins every row before
     * it writes one, takes twice that; a frame whose keys do not ascend
     * falls back to it. */
    bool merge = !restrict_rows && f->st->dialect->update_merge;
    int64_t last_row = 0;
    if (chunked || merge) {
        tq_buf_t m = {0};
        tq_buf_printf(&m, "SELECT coalesce(max(%s), 0) FROM ",
                      f->st->dialect->store_rowid);
        frame_table_ref(&m, f->st);
        last_row = query_int(ctx, m.s, NULL);
        tq_buf_free(&m);
        if (last_row < 0)
            return NULL;
    }
    tq_buf_t b = {0};
    update_head(&b, t);
    for (size_t i = 0; i < f->ncols; i++) {
        update_target(&b, t, f, i);
        tq_buf_add(&b, " = tq_f.");
        tq_buf_ident(&b, f->cols[i]);
    }
    tq_buf_add(&b, " FROM ");
    size_t range_at = 0;              /* where the chunk's bounds go */
    if (!chunked) {
        frame_table_ref(&b, f->st);
    } else {
        tq_buf_add(&b, "(SELECT * FROM ");
        frame_table_ref(&b, f->st);
        tq_buf_printf(&b, " WHERE %s > ", f->st->dialect->store_rowid);
        range_at = b.len;
        tq_buf_add(&b, ")");
    }
    tq_buf_add(&b, " AS tq_f WHERE ");
    tq_buf_ident(&b, t->name);
    tq_buf_addc(&b, '.');
    tq_buf_ident(&b, t->pk);
    tq_buf_add(&b, " = tq_f.");
    tq_buf_ident(&b, f->index);
    if (restrict_rows) {
        tq_buf_add(&b, " AND ");
        tq_buf_ident(&b, t->name);
        tq_buf_addc(&b, '.');
        tq_buf_ident(&b, t->pk);
        tq_buf_printf(&b, " IN (%s)", sub.sql);
    }
    frag_t fr = {0};
    fr.q = sub;
    fr.q.sql = NULL;
    free(sub.sql);
    if (frame_exec(ctx, "SAVEPOINT tq_frame_update") < 0) {
        tq_buf_free(&b);
        frame_frag_clear(&fr);
        return NULL;
    }
    int64_t n = 0;
    int merged = merge ? update_merge(ctx, t, f, last_row) : 1;
    if (merged <= 0) {
        n = merged;                   /* done, or -1 with the error */
    } else if (!chunked) {
        n = exec_frag(ctx, b.s, restrict_rows ? &fr : NULL);
    } else {
        for (int64_t lo = 0; lo < last_row && n >= 0; lo += UPDATE_CHUNK) {
            int64_t hi = lo + UPDATE_CHUNK;
            char *sql = tq_xasprintf("%.*s%" PRId64 " AND %s <= %" PRId64 "%s",
                                     (int)range_at, b.s, lo,
                                     f->st->dialect->store_rowid, hi,
                                     b.s + range_at);
            n = exec_frag(ctx, sql, &fr);
            free(sql);
            tq_ctx_progress(ctx, hi < last_row ? hi : last_row, last_row);
        }
        tq_ctx_progress(ctx, 0, 0);
    }
    tq_buf_free(&b);
    frame_frag_clear(&fr);
    tqdb_conn_t *db = tq_ctx_db(ctx);
    if (n < 0) {
        /* the error is raised already; undoing is best effort */
        assert(db && tq_error_pending(ctx));
        (void)tqdb_exec(db, "ROLLBACK TO tq_frame_update");
        (void)tqdb_exec(db, "RELEASE tq_frame_update");
        return NULL;
    }
    if (frame_exec(ctx, "RELEASE tq_frame_update") < 0)
        return NULL;
    return tq_none();
}

/* frame_register_methods: see frame.h. */
void frame_register_methods(void)
{
    qs_register_method("dataframe", frame_qs_dataframe);
    qs_register_method("update_from_dataframe",
                       frame_qs_update_from_dataframe);
}

/* frame_qs_update_from_dataframe: see frame.h. */
tq_value_t *frame_qs_update_from_dataframe(tq_ctx_t *ctx, tq_value_t *self,
                                           const tq_args_t *a)
{
    tq_value_t *df = a->npos == 1 ? a->pos[0] : tq_args_kw(a, "df");
    if (!df || a->npos > 1)
        return tq_raise(ctx, "TypeError", "update_from_dataframe() takes "
                        "one frame");
    return frame_update_table(ctx, self, df);
}
