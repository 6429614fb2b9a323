/*
 * This file declares what one database engine implements behind db.h: a
 * table of operations (tqdb_engine_t), one per engine file (sqlite.c,
 * postgres.c), as SQLite keeps its operating systems behind its VFS table.
 * db.c picks the engine from the connection target and forwards every
 * db.h call through the table; nothing above the db layer includes this
 * header.
 *
 * Each engine's connection and cursor structs begin with the common
 * headers below, so that db.c can reach the table and the error state
 * without knowing the engine. An engine records its errors with
 * tqdb_conn_fail (db.c) and clears them with tqdb_conn_clear_error.
 *
 * The contract of every operation is the one of the db.h function of the
 * same name; `conn` and `cur` are never NULL when an operation is called.
 */
#ifndef TQDB_ENGINE_H
#define TQDB_ENGINE_H

#include "base/util.h"
#include "db/db.h"

typedef struct tqdb_engine tqdb_engine_t;

/* The head of every engine's connection. */
struct tqdb_conn {
    const tqdb_engine_t *engine;
    bool readonly;
    tqdb_err_t err;
    char *errmsg;                  /* owned; NULL when no error */
    int (*stop)(void *ud);         /* progress callback, or NULL */
    void *stop_ud;
    bool guard;                    /* tqdb_guard_transaction is on */
    /* the refusal of the last error (db.h, tqdb_merge_refusal): set by
     * the engine after tqdb_conn_fail, cleared with the error */
    tqdb_merge_refusal_t merge_refusal;
};

/* The head of every engine's bulk loader. */
struct tqdb_bulk {
    tqdb_conn_t *conn;
    int ncols;
    int64_t rows;                  /* rows accepted by bulk_row */
};

/* The head of every engine's cursor. */
struct tqdb_cursor {
    tqdb_conn_t *conn;
    /* declared types set by tqdb_column_set_decltype (db.c owns them;
     * tqdb_prepare clears them, engines never touch them) */
    const char **decltypes;
    int ndecltypes;
};

struct tqdb_engine {
    const char *name;              /* "sqlite", "postgresql" */
    /* A loader stands for an engine in a module (pg_loader.c): only its
     * claims and open are called; the connections it opens belong to the
     * loaded engine's table. */
    bool loader;
    /* Whether `target` names a database of this engine (a URL scheme, a
     * keyword string). The SQLite engine takes whatever no other claims. */
    bool (*claims)(const char *target);
    /* Opens `target`; on failure NULL with a malloc'd *error. The engine
     * allocates its connection (head first) and fills the head's engine
     * and readonly fields. */
    tqdb_conn_t *(*open)(const char *target, unsigned flags, char **error);
    void (*close)(tqdb_conn_t *conn);
    int (*exec)(tqdb_conn_t *conn, const char *sql);
    int (*begin)(tqdb_conn_t *conn);
    int (*commit)(tqdb_conn_t *conn);
    int (*rollback)(tqdb_conn_t *conn);
    int (*savepoint)(tqdb_conn_t *conn, const char *name);
    int (*release)(tqdb_conn_t *conn, const char *name);
    int (*rollback_to)(tqdb_conn_t *conn, const char *name);
    bool (*in_transaction)(tqdb_conn_t *conn);
    bool (*wrote)(tqdb_conn_t *conn);
    int64_t (*schema_version)(tqdb_conn_t *conn);
    int64_t (*changes)(tqdb_conn_t *conn);
    int64_t (*total_changes)(tqdb_conn_t *conn);
    int64_t (*last_insert_id)(tqdb_conn_t *conn);
    void (*interrupt)(tqdb_conn_t *conn);   /* any thread, signal-safe */
    int (*prepare)(tqdb_conn_t *conn, const char *sql, tqdb_cursor_t **out,
                   const char **tail);
    void (*cursor_free)(tqdb_cursor_t *cur);
    bool (*cursor_readonly)(tqdb_cursor_t *cur);
    int (*param_count)(tqdb_cursor_t *cur);
    const char *(*param_name)(tqdb_cursor_t *cur, int i);
    int (*bind)(tqdb_cursor_t *cur, int i, const tqdb_datum_t *d,
                bool copy);
    int (*step)(tqdb_cursor_t *cur);
    int (*reset)(tqdb_cursor_t *cur);
    int (*column_count)(tqdb_cursor_t *cur);
    const char *(*column_name)(tqdb_cursor_t *cur, int col);
    const char *(*column_decltype)(tqdb_cursor_t *cur, int col);
    tqdb_datum_t (*column)(tqdb_cursor_t *cur, int col);
    tqdb_type_t (*column_type)(tqdb_cursor_t *cur, int col);
    int64_t (*column_int)(tqdb_cursor_t *cur, int col);
    double (*column_float)(tqdb_cursor_t *cur, int col);
    const char *(*column_text)(tqdb_cursor_t *cur, int col);
    size_t (*column_bytes)(tqdb_cursor_t *cur, int col);
    void (*row)(tqdb_cursor_t *cur, int ncols, tqdb_datum_t *out);
    int (*catalog_read)(tqdb_conn_t *conn, tqdb_catalog_t *out);
    /* Bulk loading (db.h): begin allocates the loader (head first, filled
     * by db.c) or returns NULL with the error on conn; end frees it. */
    tqdb_bulk_t *(*bulk_begin)(tqdb_conn_t *conn, const char *table,
                               const char *const *columns, int ncols);
    int (*bulk_row)(tqdb_bulk_t *bulk, const tqdb_datum_t *row);
    int (*bulk_end)(tqdb_bulk_t *bulk, bool commit, int64_t *rows);
    /* The statement timeout (db.h); NULL when the engine has none. */
    int (*set_statement_timeout)(tqdb_conn_t *conn, const char *value);
    char *(*statement_timeout)(tqdb_conn_t *conn);
    /* The files of the open databases (main, attached), malloc'd paths in
     * a malloc'd array of *n; NULL entries skipped by the caller. */
    char **(*database_files)(tqdb_conn_t *conn, size_t *n);
    /* Reads of whole tables once (db.h tqdb_read_once); NULL when the
     * engine reads them the same way either way. */
    void (*read_once)(tqdb_conn_t *conn, bool on);
    /* Merge joins (db.h, tqdb_merge_lend); NULL when the engine has none.
     * Errors as db.h says; db.c cleared the error first. */
    int (*merge_lend)(tqdb_conn_t *conn, const char *name,
                      const int64_t *keys, size_t n,
                      const tqdb_merge_col_t *cols, int ncols,
                      void (*at)(void *ud, size_t row), void *ud);
    int (*merge_finish)(tqdb_conn_t *conn, const char *name);
};

/* Records an error on `conn`: its category and a copy of `msg`. Returns
 * -1 for the engine to pass on. */
int tqdb_conn_fail(tqdb_conn_t *conn, tqdb_err_t err, const char *msg);
void tqdb_conn_clear_error(tqdb_conn_t *conn);

/* Appends to `sql` (the caller's buffer) the target of a bulk load: the
 * quoted `table`, then its `ncols` quoted `columns` in parentheses, as
 * both INSERT INTO ... and COPY ... name them. */
void tqdb_bulk_target(tq_buf_t *sql, const char *table,
                      const char *const *columns, int ncols);

#endif
