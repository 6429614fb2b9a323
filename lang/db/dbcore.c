/*
 * This file holds what every engine shares behind db.h and needs without
 * the engine list: the error state at the head of each connection, the
 * exception names of the error categories, the catalogue's release and
 * datums. db.c (the front) and each engine use it; the PostgreSQL module
 * (tabula-pg.so, see pg_loader.c) carries its own hidden copy.
 */
#include "db/db.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "db/engine.h"

/* ---- errors */

static const char *const exception_names[] = {
#define X(name, exc) exc,
    TQDB_ERRORS(X)
#undef X
};

/* tqdb_err_exception: see db.h. */
const char *tqdb_err_exception(tqdb_err_t err)
{
    assert((size_t)err < sizeof exception_names / sizeof *exception_names);
    return exception_names[err];
}

/* tqdb_conn_fail: see engine.h. */
int tqdb_conn_fail(tqdb_conn_t *conn, tqdb_err_t err, const char *msg)
{
    assert(err != TQDB_ERR_OK);
    free(conn->errmsg);
    conn->errmsg = tq_xstrdup(msg ? msg : "unknown error");
    conn->err = err;
    conn->merge_refusal = TQDB_MERGE_NONE;
    return -1;
}

void tqdb_conn_clear_error(tqdb_conn_t *conn)
{
    conn->err = TQDB_ERR_OK;
    conn->merge_refusal = TQDB_MERGE_NONE;
    free(conn->errmsg);
    conn->errmsg = NULL;
}

tqdb_err_t tqdb_errcode(const tqdb_conn_t *conn)
{
    return conn->err;
}

const char *tqdb_errmsg(const tqdb_conn_t *conn)
{
    return conn->errmsg ? conn->errmsg : "";
}

/* tqdb_merge_refusal: see db.h. */
tqdb_merge_refusal_t tqdb_merge_refusal(const tqdb_conn_t *conn)
{
    return conn->err != TQDB_ERR_OK ? conn->merge_refusal : TQDB_MERGE_NONE;
}

/* tqdb_catalog_clear: see db.h. */
void tqdb_catalog_clear(tqdb_catalog_t *cat)
{
    for (size_t i = 0; i < cat->nschemas; i++)
        free(cat->schemas[i]);
    free(cat->schemas);
    for (size_t i = 0; i < cat->ntables; i++) {
        tqdb_table_info_t *t = &cat->tables[i];
        free(t->schema);
        free(t->name);
        for (size_t j = 0; j < t->ncols; j++) {
            free(t->cols[j].name);
            free(t->cols[j].decltype);
            free(t->cols[j].dflt);
        }
        free(t->cols);
        for (size_t j = 0; j < t->nunique; j++)
            free(t->unique[j]);
        free(t->unique);
        for (size_t j = 0; j < t->nfks; j++) {
            free(t->fks[j].from);
            free(t->fks[j].to_table);
            free(t->fks[j].to);
        }
        free(t->fks);
    }
    free(cat->tables);
    memset(cat, 0, sizeof *cat);
}

/* ---- bulk loading */

/* tqdb_bulk_target: see engine.h. */
void tqdb_bulk_target(tq_buf_t *sql, const char *table,
                      const char *const *columns, int ncols)
{
    assert(sql && table && (columns || ncols == 0));
    tq_buf_ident(sql, table);
    tq_buf_add(sql, " (");
    for (int i = 0; i < ncols; i++) {
        if (i)
            tq_buf_add(sql, ", ");
        tq_buf_ident(sql, columns[i]);
    }
    tq_buf_add(sql, ")");
}

/* ---- datums */

/* tqdb_datum_dup: see db.h. */
tqdb_datum_t *tqdb_datum_dup(const tqdb_datum_t *d)
{
    bool bytes = d->type == TQDB_TEXT || d->type == TQDB_BLOB;
    size_t extra = bytes ? d->len + 1 : 0;
    tqdb_datum_t *copy = tq_xmalloc(sizeof *copy + extra);
    *copy = *d;
    if (bytes) {
        char *p = (char *)(copy + 1);
        if (d->len)
            memcpy(p, d->s, d->len);
        p[d->len] = 0;
        copy->s = p;
    } else {
        copy->s = NULL;
        copy->len = 0;
    }
    return copy;
}

tqdb_datum_t tqdb_datum_null(void)
{
    return (tqdb_datum_t){.type = TQDB_NULL};
}

tqdb_datum_t tqdb_datum_int(int64_t v)
{
    return (tqdb_datum_t){.type = TQDB_INT, .i = v};
}

tqdb_datum_t tqdb_datum_float(double v)
{
    return (tqdb_datum_t){.type = TQDB_FLOAT, .f = v};
}

tqdb_datum_t tqdb_datum_text(const char *s, size_t len)
{
    return (tqdb_datum_t){.type = TQDB_TEXT, .s = s, .len = len};
}
