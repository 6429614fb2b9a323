/*
 * This file declares the one door to a database: a connection interface
 * that every layer above uses and that each engine implements in one file
 * (db/sqlite.c, db/postgres.c). Nothing above this layer names an engine's own API.
 *
 * A connection (tqdb_conn_t) runs statements through cursors
 * (tqdb_cursor_t: one prepared statement with its parameters and its
 * current row). Values cross as datums (tqdb_datum_t): NULL, a 64-bit
 * integer, a double, UTF-8 text or a blob, engine-neutral.
 *
 * Errors: functions that can fail return 0 (or a row code) on success and
 * -1 on failure; the connection then holds the last error as a category
 * (tqdb_err_t, for the caller's choice of exception) and a message
 * (tqdb_errmsg), both valid until the next call on that connection.
 *
 * Ownership: tqdb_open returns a connection that the caller closes with
 * tqdb_close; tqdb_prepare returns a cursor that the caller frees with
 * tqdb_cursor_free before closing its connection. Datums read from a cursor
 * borrow the cursor's memory until its next step, reset or free; a datum
 * copied with tqdb_datum_dup is one malloc'd block the caller frees with
 * free(). Strings passed in are borrowed for the call (bound text is
 * copied unless bound with tqdb_bind_text_static).
 *
 * Threads: a connection and its cursors are used by one thread at a time;
 * tqdb_interrupt alone may be called from any thread or a signal handler.
 */
#ifndef TQDB_DB_H
#define TQDB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tqdb_conn tqdb_conn_t;
typedef struct tqdb_cursor tqdb_cursor_t;

/* The kinds of a datum and of a column's value. */
typedef enum tqdb_type {
    TQDB_NULL,
    TQDB_INT,
    TQDB_FLOAT,
    TQDB_TEXT,
    TQDB_BLOB,
} tqdb_type_t;

/* A value crossing the interface. For TEXT, `s` is UTF-8 and NUL-terminated
 * at s[len] (NULs inside count in len); for BLOB, `s` points at len bytes. */
typedef struct tqdb_datum {
    tqdb_type_t type;
    int64_t i;         /* TQDB_INT */
    double f;          /* TQDB_FLOAT */
    const char *s;     /* TQDB_TEXT, TQDB_BLOB */
    size_t len;
} tqdb_datum_t;

/* Error categories, each with the exception a cell raises for it by
 * default: X(NAME, "ExceptionName"). */
#define TQDB_ERRORS(X)                          \
    X(OK, "")                                   \
    X(ERROR, "DatabaseError")                   \
    X(INTEGRITY, "IntegrityError")              \
    X(READONLY, "ReadOnlyError")                \
    X(INTERRUPTED, "KeyboardInterrupt")         \
    X(OPERATIONAL, "OperationalError")          \
    X(MISUSE, "DatabaseError")

typedef enum tqdb_err {
#define X(name, exc) TQDB_ERR_##name,
    TQDB_ERRORS(X)
#undef X
} tqdb_err_t;

/* The exception name of a category ("" for OK). */
const char *tqdb_err_exception(tqdb_err_t err);

/* Why the last failed statement (or tqdb_merge_lend) failed, where the
 * engine's merge functions refused it rather than failed (SQLite's
 * tq_merge_* in db/sqlite.c; sql/dialect.h, update_merge): the statement
 * is undone and the caller joins the other way. Kept with the error: the
 * next call that clears the error clears it. */
typedef enum tqdb_merge_refusal {
    TQDB_MERGE_NONE,        /* no refusal (another error, or none) */
    TQDB_MERGE_UNORDERED,   /* keys not ascending integers */
    TQDB_MERGE_ABSENT,      /* tq_merge_take: a key not loaded */
} tqdb_merge_refusal_t;

tqdb_merge_refusal_t tqdb_merge_refusal(const tqdb_conn_t *conn);

/* Row codes of tqdb_step. */
enum { TQDB_DONE = 0, TQDB_ROW = 1 };

/* ---- connections */

/* Open flags. */
enum {
    TQDB_OPEN_READONLY = 1 << 0, /* refuse every write (TEMP objects aside) */
    TQDB_OPEN_CREATE = 1 << 1,   /* create the database when missing */
};

/* Opens `target` and checks that it is a database. PostgreSQL (postgres.c)
 * claims a target that starts with "postgresql://" or "postgres://", or a
 * libpq keyword string: one whose first word is a libpq connection keyword
 * followed by '=' ("host=db dbname=shop", "dbname=shop"); libpq applies
 * the PG* environment variables and ~/.pgpass, and no message ever shows
 * the target's password. Every other target is SQLite's: a path,
 * ":memory:" or a file: URI (NULL or "" is ":memory:"). Returns the
 * connection, or NULL with a malloc'd message in *error (caller frees). A
 * read-only connection refuses every statement that writes anything but
 * TEMP objects (on PostgreSQL every transaction is READ ONLY, which also
 * refuses CREATE TEMP); frames keep working. A read-only SQLite connection
 * creates no file: a WAL database with no -wal file (no connection has it
 * open) is opened immutable, so another process's writes during the
 * session are not seen (and a read racing its checkpoint can fail); one
 * with a -wal file is opened as it is (that file already exists). */
tqdb_conn_t *tqdb_open(const char *target, unsigned flags, char **error);
/* Closes the connection (every cursor must be freed) and NULLs *conn. */
void tqdb_close(tqdb_conn_t **conn);

/* The engine's name: "sqlite" or "postgresql". */
const char *tqdb_engine(const tqdb_conn_t *conn);
/* True when the connection was opened with TQDB_OPEN_READONLY. */
bool tqdb_readonly(const tqdb_conn_t *conn);

/* The last error's category and message (never NULL; "" when none). */
tqdb_err_t tqdb_errcode(const tqdb_conn_t *conn);
const char *tqdb_errmsg(const tqdb_conn_t *conn);

/* Runs one or more statements separated by ';', discarding rows. 0 or -1. */
int tqdb_exec(tqdb_conn_t *conn, const char *sql);

/* Transactions. begin/commit/rollback: 0 or -1. Savepoints are named by
 * the caller with an identifier (no quoting is done). */
int tqdb_begin(tqdb_conn_t *conn);
int tqdb_commit(tqdb_conn_t *conn);
int tqdb_rollback(tqdb_conn_t *conn);
int tqdb_savepoint(tqdb_conn_t *conn, const char *name);
int tqdb_release(tqdb_conn_t *conn, const char *name);
int tqdb_rollback_to(tqdb_conn_t *conn, const char *name);
/* True inside an explicit transaction. */
bool tqdb_in_transaction(tqdb_conn_t *conn);
/* True when the open transaction has written to the database. */
bool tqdb_wrote(tqdb_conn_t *conn);
/* While `on`, a statement that would start or end the connection's
 * transaction (BEGIN, COMMIT, END, ROLLBACK without TO) fails to prepare
 * with TQDB_ERR_MISUSE: the session keeps one transaction per cell, so a
 * cell's own SQL cannot commit half of the cell. tqdb_begin, tqdb_commit
 * and tqdb_rollback are not affected; savepoints are allowed. */
void tqdb_guard_transaction(tqdb_conn_t *conn, bool on);
/* True when `path` names a file the connection has open as a database
 * (the main database, an attached one, or their journals), compared by
 * device and inode; false for a path that does not exist. Writers of
 * other files (CSV) refuse such a path. */
bool tqdb_is_database_file(tqdb_conn_t *conn, const char *path);

/* A number that changes with every change to the main schema's tables
 * (DDL), or -1 when it cannot be read. */
int64_t tqdb_schema_version(tqdb_conn_t *conn);

/* Brackets statements that read whole tables once, from start to end
 * (a frame's load): on SQLite they read without the memory map of the
 * database file, whose pages would otherwise stay mapped into the
 * process and count as its memory; `on` false maps it again. Other
 * engines ignore it. */
void tqdb_read_once(tqdb_conn_t *conn, bool on);

/* Rows changed by the last INSERT/UPDATE/DELETE, and since opening. */
int64_t tqdb_changes(tqdb_conn_t *conn);
int64_t tqdb_total_changes(tqdb_conn_t *conn);
/* The key of the last inserted row (SQLite's rowid; on PostgreSQL, which
 * has no rowid, lastval(): the last value a sequence gave this session, 0
 * when none; new keys are better asked for with RETURNING). */
int64_t tqdb_last_insert_id(tqdb_conn_t *conn);

/* Asks the running statement to stop: it fails with TQDB_ERR_INTERRUPTED.
 * Safe from any thread and from a signal handler. */
void tqdb_interrupt(tqdb_conn_t *conn);
/* Calls `stop(ud)` now and then while statements run; a non-zero answer
 * interrupts the statement as tqdb_interrupt does. NULL removes it. */
void tqdb_set_progress(tqdb_conn_t *conn, int (*stop)(void *ud), void *ud);

/* Sets how long one statement may run before the server cancels it:
 * PostgreSQL's statement_timeout, `value` in its syntax ("5s", "250ms",
 * "2min", a bare number of milliseconds; "0" for none). It holds for the
 * rest of the connection (every later transaction, a reconnection too).
 * A statement past it fails with TQDB_ERR_OPERATIONAL "canceling
 * statement due to statement timeout" (an interrupt stays
 * TQDB_ERR_INTERRUPTED). An engine without one (SQLite) refuses with
 * TQDB_ERR_OPERATIONAL; a bad value is the server's error. 0 or -1. */
int tqdb_set_statement_timeout(tqdb_conn_t *conn, const char *value);
/* The statement timeout in force (malloc'd, "0" when none), or NULL when
 * the engine has none or it cannot be read. */
char *tqdb_statement_timeout(tqdb_conn_t *conn);

/* ---- cursors */

/* Prepares the first statement of `sql`. On success returns 0, stores the
 * cursor in *out (NULL when `sql` holds only white space or comments) and,
 * when `tail` is not NULL, where the next statement starts. -1 on error. */
int tqdb_prepare(tqdb_conn_t *conn, const char *sql, tqdb_cursor_t **out,
                 const char **tail);
/* Frees the cursor and NULLs *cur (NULL is fine). */
void tqdb_cursor_free(tqdb_cursor_t **cur);
/* The cursor's connection, for its error. */
tqdb_conn_t *tqdb_cursor_conn(tqdb_cursor_t *cur);
/* True when the statement cannot write (SELECT, read-only pragmas...). */
bool tqdb_cursor_readonly(tqdb_cursor_t *cur);

/* Parameters, numbered from 1. Each returns 0 or -1. */
int tqdb_param_count(tqdb_cursor_t *cur);
/* The name of parameter `i` (":name") or NULL for a positional one. */
const char *tqdb_param_name(tqdb_cursor_t *cur, int i);
int tqdb_bind(tqdb_cursor_t *cur, int i, const tqdb_datum_t *d);
int tqdb_bind_null(tqdb_cursor_t *cur, int i);
int tqdb_bind_int(tqdb_cursor_t *cur, int i, int64_t v);
int tqdb_bind_float(tqdb_cursor_t *cur, int i, double v);
/* Text of `len` bytes (-1: up to the NUL), copied. */
int tqdb_bind_text(tqdb_cursor_t *cur, int i, const char *s, int64_t len);
/* The same without a copy: `s` must stay valid until the parameter is
 * bound again, the cursor is reset with new bindings, or freed. */
int tqdb_bind_text_static(tqdb_cursor_t *cur, int i, const char *s,
                          int64_t len);
int tqdb_bind_blob(tqdb_cursor_t *cur, int i, const void *p, size_t len);

/* Runs the statement to its next row: TQDB_ROW, TQDB_DONE or -1. */
int tqdb_step(tqdb_cursor_t *cur);
/* Rewinds the statement to run again; bindings are kept. 0 or -1 (the
 * error of the last step, if any). */
int tqdb_reset(tqdb_cursor_t *cur);

/* Columns of the result, numbered from 0. Names and declared types are
 * valid until the cursor is freed; the declared type is "" when the
 * column is an expression or has none. */
int tqdb_column_count(tqdb_cursor_t *cur);
const char *tqdb_column_name(tqdb_cursor_t *cur, int col);
const char *tqdb_column_decltype(tqdb_cursor_t *cur, int col);
/* Declares the type of result column `col` for tqdb_column_decltype, over
 * the engine's: the SQL compiler knows that an expression holds a date or
 * a duration ("date", "timedelta") where the engine reports none.
 * `decltype` is borrowed for the cursor's life (a string literal). */
void tqdb_column_set_decltype(tqdb_cursor_t *cur, int col,
                              const char *decltype);
/* The current row's value of `col`, borrowed until the next step. */
tqdb_datum_t tqdb_column(tqdb_cursor_t *cur, int col);
tqdb_type_t tqdb_column_type(tqdb_cursor_t *cur, int col);
int64_t tqdb_column_int(tqdb_cursor_t *cur, int col);
double tqdb_column_float(tqdb_cursor_t *cur, int col);
/* Text (numbers as text), NULL for SQL NULL; borrowed until the next step. */
const char *tqdb_column_text(tqdb_cursor_t *cur, int col);
/* Bytes of the text or blob value. */
size_t tqdb_column_bytes(tqdb_cursor_t *cur, int col);
/* Reads the current row's columns 0..ncols-1 into out[] at once, each as
 * tqdb_column would give it (borrowed until the next step, reset or free),
 * without the per-call overhead of reading them one by one: what renderers
 * scanning a million rows use. ncols must not exceed the column count. */
void tqdb_row(tqdb_cursor_t *cur, int ncols, tqdb_datum_t *out);

/* ---- bulk loading
 *
 * Many rows into one table at the speed the engine loads them best:
 * PostgreSQL streams them through COPY FROM STDIN (text format), SQLite
 * runs one prepared INSERT per row. The rows go into the table `table` of
 * the main schema (SQLite's main, PostgreSQL's search path), `ncols`
 * columns named in `columns` (no quoting needed: the engine quotes them).
 *
 * Errors: begin and row return -1 with the error on the connection; on
 * PostgreSQL a row the server refuses (a constraint, a bad value) is
 * reported by tqdb_bulk_end, since the server checks rows as they stream.
 * A text value holding a NUL byte is refused (PostgreSQL's text cannot
 * hold one; the same error on both engines). After a failure the
 * transaction keeps working (the statement savepoint) but the rows of the
 * load may be half in: the caller runs the load inside its own SAVEPOINT
 * and rolls back to it on error, as %demo and %load_csv do.
 *
 * Ownership: tqdb_bulk_begin returns a loader that tqdb_bulk_end frees
 * (and NULLs); no other statement runs on the connection in between. */
typedef struct tqdb_bulk tqdb_bulk_t;

/* Starts a load. 0 and *out, or -1 (nothing to end). */
int tqdb_bulk_begin(tqdb_conn_t *conn, const char *table,
                    const char *const *columns, int ncols, tqdb_bulk_t **out);
/* Adds one row of ncols datums (borrowed for the call). 0 or -1. */
int tqdb_bulk_row(tqdb_bulk_t *bulk, const tqdb_datum_t *row);
/* Finishes the load and frees it: with `commit` false the rows sent so
 * far are thrown away (COPY fails on purpose) and 0 is returned. With
 * `commit`, 0 when every row went in, else -1 with the error on the
 * connection. *rows gets the rows loaded (NULL: not wanted). */
int tqdb_bulk_end(tqdb_bulk_t **bulk, bool commit, int64_t *rows);

/* ---- merge joins: rows lent to the engine's merge functions
 *
 * What tq_merge_load keeps (db/sqlite.c), from the caller's memory
 * instead of a statement's rows: rows keys[0..n) (ascending integers,
 * repeats allowed: a key's first row counts) with ncols values each,
 * named `name` for tq_merge_has, tq_merge_value and tq_merge_take.
 * Column j is cols[j].iv (n integers) or, when that is NULL, cols[j].x
 * (n doubles, NaN read as NULL). Keys that do not ascend are refused
 * (TQDB_MERGE_UNORDERED) and nothing is kept. As statements read them,
 * at(ud, row) (NULL: not called) hears how far: every TQDB_MERGE_AT_EVERY
 * rows past the last row it heard of, `row` the index of the row just
 * found; it runs inside the statement and must not use the connection.
 * An engine without merge functions (PostgreSQL) fails with
 * TQDB_ERR_MISUSE.
 *
 * Ownership: keys and the value arrays are borrowed, and must stay as
 * they are, until tqdb_merge_finish(name), rows loaded or lent under the
 * same name, or the connection closes; `cols` itself is copied. */
typedef struct tqdb_merge_col {
    const int64_t *iv;
    const double *x;
} tqdb_merge_col_t;

#define TQDB_MERGE_AT_EVERY 65536

/* 0, or -1 with the error on the connection. */
int tqdb_merge_lend(tqdb_conn_t *conn, const char *name, const int64_t *keys,
                    size_t n, const tqdb_merge_col_t *cols, int ncols,
                    void (*at)(void *ud, size_t row), void *ud);
/* Forgets the rows loaded or lent under `name` (none: nothing), whatever
 * the connection's state (an interrupted statement, an error): 0, or -1
 * when a running statement uses them. An engine without merge functions
 * has nothing to forget. */
int tqdb_merge_finish(tqdb_conn_t *conn, const char *name);

/* ---- datums */

/* A copy of `d` in one malloc'd block (free() it); its bytes follow the
 * struct, NUL-terminated. Never NULL. */
tqdb_datum_t *tqdb_datum_dup(const tqdb_datum_t *d);
/* Convenience constructors of borrowed datums. */
tqdb_datum_t tqdb_datum_null(void);
tqdb_datum_t tqdb_datum_int(int64_t v);
tqdb_datum_t tqdb_datum_float(double v);
tqdb_datum_t tqdb_datum_text(const char *s, size_t len);

/* ---- the catalogue */

/* One column as the catalogue declares it. */
typedef struct tqdb_column_info {
    char *name;
    char *decltype;    /* "" when none */
    char *dflt;        /* default expression text, or NULL */
    bool notnull;
    int pk;            /* position in the primary key (1..), 0 when not */
} tqdb_column_info_t;

/* One foreign-key column: this table's `from` references `to_table`'s
 * `to` (NULL: the target's primary key). */
typedef struct tqdb_fk_info {
    char *from;
    char *to_table;
    char *to;
} tqdb_fk_info_t;

/* One table or view of one schema. */
typedef struct tqdb_table_info {
    char *schema;
    char *name;
    bool view;
    bool without_rowid;
    tqdb_column_info_t *cols;
    size_t ncols;
    char **unique;     /* columns with a single-column unique index */
    size_t nunique;
    tqdb_fk_info_t *fks;
    size_t nfks;
} tqdb_table_info_t;

/* Everything the schema model needs, read in one call. */
typedef struct tqdb_catalog {
    char **schemas;    /* the user-visible schemas, the main one first */
    size_t nschemas;
    tqdb_table_info_t *tables;
    size_t ntables;
} tqdb_catalog_t;

/* Reads the catalogue: every table and view of every schema (the
 * engine's internal tables excepted). Temporary tables and views come
 * last, by name only (schema "temp", no columns), so that the schema
 * model knows which names they hide; an engine without them lists none.
 * 0, or -1 with the error on the connection. Clear `out` with
 * tqdb_catalog_clear. */
int tqdb_catalog_read(tqdb_conn_t *conn, tqdb_catalog_t *out);
void tqdb_catalog_clear(tqdb_catalog_t *cat);

#endif
