/*
 * This file is db.h's front: it picks the engine that claims a connection
 * target and forwards every call through that engine's table of
 * operations (engine.h), with the typed bind helpers on top. What every
 * engine shares (errors, datums, the catalogue's release) is dbcore.c.
 *
 * Being the one door, it also keeps the statement log: with
 * TABULA_SQL_LOG=<path> in the environment, every statement that comes
 * through (prepared, executed, a transaction's or savepoint's statement,
 * a bulk load's target) is appended to <path> as one JSON line, so that
 * tests can see which SQL an operation runs, and which it does not. Off,
 * it costs one comparison per statement.
 */
#include "db/db.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "db/engine.h"

/* The engines, most specific first: the last one (SQLite) claims every
 * target that no other engine claims. */
extern const tqdb_engine_t tqdb_postgres_loader;   /* pg_loader.c */
extern const tqdb_engine_t tqdb_sqlite_engine;
static const tqdb_engine_t *const engines[] = {
    &tqdb_postgres_loader,
    &tqdb_sqlite_engine,
};

/* ---- the statement log */

/* The log's file descriptor (opened O_APPEND), or -1 when off. Set once,
 * on the first tqdb_open, before any statement; read without a lock. */
static int sql_log_fd = -1;
static pthread_once_t sql_log_once = PTHREAD_ONCE_INIT;

/* Opens $TABULA_SQL_LOG for appending, once per process; a path that
 * cannot be opened leaves the log off, with a word on stderr. */
static void sql_log_open(void)
{
    const char *path = getenv("TABULA_SQL_LOG");
    if (!path || !*path)
        return;
    sql_log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (sql_log_fd < 0) {
        char *msg = tq_xasprintf("tabula: TABULA_SQL_LOG: cannot open %s: "
                                 "%s\n", path, strerror(errno));
        ssize_t w = write(STDERR_FILENO, msg, strlen(msg));
        (void)w;
        free(msg);
    }
}

/* Appends `len` bytes of s to b as the body of a JSON string: quotes,
 * backslashes and control characters escaped, so that a statement with
 * line breaks stays on its line. Other bytes go as they are. */
static void json_body(tq_buf_t *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            tq_buf_addc(b, '\\');
            tq_buf_addc(b, (char)c);
        } else if (c == '\n') {
            tq_buf_add(b, "\\n");
        } else if (c == '\t') {
            tq_buf_add(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            tq_buf_printf(b, "\\u%04x", c);
        } else {
            tq_buf_addc(b, (char)c);
        }
    }
}

/* Logs one statement: `op` (what the caller asked: "prepare", "exec",
 * "begin", "savepoint", "bulk", ...), the first `len` bytes of `sql`
 * (the statement, or a bulk load's target), then `name` when not NULL
 * (a savepoint's), and whether the engine took it. The line is written
 * with one write(2) on an O_APPEND descriptor, so the lines of several
 * threads or processes sharing the file do not mix. */
static void sql_log(const tqdb_conn_t *conn, const char *op, const char *sql,
                    size_t len, const char *name, bool ok)
{
    assert(sql_log_fd >= 0 && op && sql);
    tq_buf_t b = {0};
    tq_buf_printf(&b, "{\"pid\": %ld, \"engine\": \"%s\", \"op\": \"%s\", "
                  "\"sql\": \"", (long)getpid(), conn->engine->name, op);
    json_body(&b, sql, len);
    if (name) {
        tq_buf_addc(&b, ' ');
        json_body(&b, name, strlen(name));
    }
    tq_buf_printf(&b, "\", \"ok\": %s}\n", ok ? "true" : "false");
    for (size_t off = 0; off < b.len;) {
        ssize_t w = write(sql_log_fd, b.s + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;              /* a full disk loses log lines, not cells */
        off += (size_t)w;
    }
    tq_buf_free(&b);
}

/* sql_log for a whole statement when the log is on; passes rc on. */
static int logged(tqdb_conn_t *conn, const char *op, const char *sql,
                  const char *name, int rc)
{
    if (sql_log_fd >= 0)
        sql_log(conn, op, sql, strlen(sql), name, rc >= 0);
    return rc;
}

/* ---- connections */

/* tqdb_open: see db.h. */
tqdb_conn_t *tqdb_open(const char *target, unsigned flags, char **error)
{
    pthread_once(&sql_log_once, sql_log_open);
    size_t n = sizeof engines / sizeof *engines;
    for (size_t i = 0; i < n; i++) {
        const tqdb_engine_t *e = engines[i];
        if (i + 1 < n && !e->claims(target))
            continue;
        tqdb_conn_t *c = e->open(target, flags, error);
        /* a loader's connection belongs to the engine it loaded */
        assert(!c || ((c->engine == e || e->loader) &&
                      c->readonly == !!(flags & TQDB_OPEN_READONLY)));
        return c;
    }
    assert(!"no engine");
    return NULL;
}

/* tqdb_close: see db.h. */
void tqdb_close(tqdb_conn_t **conn)
{
    tqdb_conn_t *c = *conn;
    if (!c)
        return;
    *conn = NULL;
    free(c->errmsg);
    c->errmsg = NULL;
    c->engine->close(c);
}

const char *tqdb_engine(const tqdb_conn_t *conn)
{
    return conn->engine->name;
}

bool tqdb_readonly(const tqdb_conn_t *conn)
{
    return conn->readonly;
}

int tqdb_exec(tqdb_conn_t *conn, const char *sql)
{
    return logged(conn, "exec", sql, NULL, conn->engine->exec(conn, sql));
}

int tqdb_begin(tqdb_conn_t *conn)
{
    return logged(conn, "begin", "BEGIN", NULL, conn->engine->begin(conn));
}

int tqdb_commit(tqdb_conn_t *conn)
{
    return logged(conn, "commit", "COMMIT", NULL, conn->engine->commit(conn));
}

int tqdb_rollback(tqdb_conn_t *conn)
{
    return logged(conn, "rollback", "ROLLBACK", NULL,
                  conn->engine->rollback(conn));
}

int tqdb_savepoint(tqdb_conn_t *conn, const char *name)
{
    assert(name && *name);
    return logged(conn, "savepoint", "SAVEPOINT", name,
                  conn->engine->savepoint(conn, name));
}

int tqdb_release(tqdb_conn_t *conn, const char *name)
{
    assert(name && *name);
    return logged(conn, "release", "RELEASE", name,
                  conn->engine->release(conn, name));
}

int tqdb_rollback_to(tqdb_conn_t *conn, const char *name)
{
    assert(name && *name);
    return logged(conn, "rollback_to", "ROLLBACK TO", name,
                  conn->engine->rollback_to(conn, name));
}

bool tqdb_in_transaction(tqdb_conn_t *conn)
{
    return conn->engine->in_transaction(conn);
}

bool tqdb_wrote(tqdb_conn_t *conn)
{
    return conn->engine->wrote(conn);
}

/* tqdb_guard_transaction: see db.h; each engine reads conn->guard when it
 * prepares a statement. */
void tqdb_guard_transaction(tqdb_conn_t *conn, bool on)
{
    conn->guard = on;
}

/* Whether `a` and `b` are the same existing file. */
static bool same_file(const struct stat *a, const char *b)
{
    struct stat sb;
    return stat(b, &sb) == 0 && a->st_dev == sb.st_dev &&
           a->st_ino == sb.st_ino;
}

/* tqdb_is_database_file: see db.h. */
bool tqdb_is_database_file(tqdb_conn_t *conn, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !conn->engine->database_files)
        return false;
    size_t n = 0;
    char **files = conn->engine->database_files(conn, &n);
    bool found = false;
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; files[i] && !found &&
                           k < sizeof suffixes / sizeof *suffixes; k++) {
            char *f = tq_xasprintf("%s%s", files[i], suffixes[k]);
            found = same_file(&st, f);
            free(f);
        }
        free(files[i]);
    }
    free(files);
    return found;
}

int64_t tqdb_schema_version(tqdb_conn_t *conn)
{
    return conn->engine->schema_version(conn);
}

void tqdb_read_once(tqdb_conn_t *conn, bool on)
{
    if (conn->engine->read_once)
        conn->engine->read_once(conn, on);
}

int64_t tqdb_changes(tqdb_conn_t *conn)
{
    return conn->engine->changes(conn);
}

int64_t tqdb_total_changes(tqdb_conn_t *conn)
{
    return conn->engine->total_changes(conn);
}

int64_t tqdb_last_insert_id(tqdb_conn_t *conn)
{
    return conn->engine->last_insert_id(conn);
}

/* tqdb_interrupt: see db.h; the engine's operation is signal-safe. */
void tqdb_interrupt(tqdb_conn_t *conn)
{
    conn->engine->interrupt(conn);
}

void tqdb_set_progress(tqdb_conn_t *conn, int (*stop)(void *ud), void *ud)
{
    conn->stop = stop;
    conn->stop_ud = ud;
}

/* tqdb_set_statement_timeout: see db.h. */
int tqdb_set_statement_timeout(tqdb_conn_t *conn, const char *value)
{
    assert(value);
    tqdb_conn_clear_error(conn);
    if (!conn->engine->set_statement_timeout) {
        char *msg = tq_xasprintf("the %s database has no statement timeout "
                                 "(statement_timeout is PostgreSQL's)",
                                 conn->engine->name);
        tqdb_conn_fail(conn, TQDB_ERR_OPERATIONAL, msg);
        free(msg);
        return -1;
    }
    return conn->engine->set_statement_timeout(conn, value);
}

char *tqdb_statement_timeout(tqdb_conn_t *conn)
{
    return conn->engine->statement_timeout
               ? conn->engine->statement_timeout(conn) : NULL;
}

/* ---- merge joins */

/* tqdb_merge_lend: see db.h. */
int tqdb_merge_lend(tqdb_conn_t *conn, const char *name, const int64_t *keys,
                    size_t n, const tqdb_merge_col_t *cols, int ncols,
                    void (*at)(void *ud, size_t row), void *ud)
{
    assert(conn && name && (keys || !n) && (cols || !ncols) && ncols >= 0);
    tqdb_conn_clear_error(conn);
    if (!conn->engine->merge_lend)
        return tqdb_conn_fail(conn, TQDB_ERR_MISUSE, "the database has no "
                              "merge functions");
    return conn->engine->merge_lend(conn, name, keys, n, cols, ncols, at,
                                    ud);
}

/* tqdb_merge_finish: see db.h. */
int tqdb_merge_finish(tqdb_conn_t *conn, const char *name)
{
    assert(conn && name);
    tqdb_conn_clear_error(conn);
    return conn->engine->merge_finish ? conn->engine->merge_finish(conn, name)
                                      : 0;
}

/* ---- cursors */

/* tqdb_prepare: see db.h; the engine always says where the statement
 * ends, so that the log holds that statement alone. */
int tqdb_prepare(tqdb_conn_t *conn, const char *sql, tqdb_cursor_t **out,
                 const char **tail)
{
    assert(conn && sql && out);
    *out = NULL;
    const char *end = NULL;
    int rc = conn->engine->prepare(conn, sql, out, tail ? tail : &end);
    assert(rc == 0 || !*out);
    assert(!*out || (*out)->conn == conn);
    if (sql_log_fd >= 0 && (*out || rc < 0)) {
        /* the first statement alone (up to where the engine stopped), or
         * all of a text that failed */
        const char *stop = rc == 0 ? (tail ? *tail : end) : NULL;
        assert(!stop || stop >= sql);
        size_t len = stop ? (size_t)(stop - sql) : strlen(sql);
        sql_log(conn, "prepare", sql, len, NULL, rc == 0);
    }
    if (*out) {
        (*out)->decltypes = NULL;
        (*out)->ndecltypes = 0;
    }
    return rc;
}

void tqdb_cursor_free(tqdb_cursor_t **cur)
{
    tqdb_cursor_t *c = *cur;
    if (!c)
        return;
    *cur = NULL;
    free(c->decltypes);
    c->conn->engine->cursor_free(c);
}

tqdb_conn_t *tqdb_cursor_conn(tqdb_cursor_t *cur)
{
    return cur->conn;
}

bool tqdb_cursor_readonly(tqdb_cursor_t *cur)
{
    return cur->conn->engine->cursor_readonly(cur);
}

int tqdb_param_count(tqdb_cursor_t *cur)
{
    return cur->conn->engine->param_count(cur);
}

const char *tqdb_param_name(tqdb_cursor_t *cur, int i)
{
    return cur->conn->engine->param_name(cur, i);
}

int tqdb_bind(tqdb_cursor_t *cur, int i, const tqdb_datum_t *d)
{
    return cur->conn->engine->bind(cur, i, d, true);
}

int tqdb_bind_null(tqdb_cursor_t *cur, int i)
{
    tqdb_datum_t d = tqdb_datum_null();
    return cur->conn->engine->bind(cur, i, &d, true);
}

int tqdb_bind_int(tqdb_cursor_t *cur, int i, int64_t v)
{
    tqdb_datum_t d = tqdb_datum_int(v);
    return cur->conn->engine->bind(cur, i, &d, true);
}

int tqdb_bind_float(tqdb_cursor_t *cur, int i, double v)
{
    tqdb_datum_t d = tqdb_datum_float(v);
    return cur->conn->engine->bind(cur, i, &d, true);
}

int tqdb_bind_text(tqdb_cursor_t *cur, int i, const char *s, int64_t len)
{
    tqdb_datum_t d = tqdb_datum_text(s, len < 0 ? strlen(s) : (size_t)len);
    return cur->conn->engine->bind(cur, i, &d, true);
}

int tqdb_bind_text_static(tqdb_cursor_t *cur, int i, const char *s,
                          int64_t len)
{
    tqdb_datum_t d = tqdb_datum_text(s, len < 0 ? strlen(s) : (size_t)len);
    return cur->conn->engine->bind(cur, i, &d, false);
}

int tqdb_bind_blob(tqdb_cursor_t *cur, int i, const void *p, size_t len)
{
    tqdb_datum_t d = {.type = TQDB_BLOB, .s = p, .len = len};
    return cur->conn->engine->bind(cur, i, &d, true);
}

int tqdb_step(tqdb_cursor_t *cur)
{
    int rc = cur->conn->engine->step(cur);
    assert(rc == TQDB_ROW || rc == TQDB_DONE || rc == -1);
    return rc;
}

int tqdb_reset(tqdb_cursor_t *cur)
{
    return cur->conn->engine->reset(cur);
}

int tqdb_column_count(tqdb_cursor_t *cur)
{
    return cur->conn->engine->column_count(cur);
}

const char *tqdb_column_name(tqdb_cursor_t *cur, int col)
{
    assert(col >= 0);
    return cur->conn->engine->column_name(cur, col);
}

/* tqdb_column_set_decltype: see db.h. */
void tqdb_column_set_decltype(tqdb_cursor_t *cur, int col,
                              const char *decltype)
{
    assert(cur && col >= 0 && col < tqdb_column_count(cur));
    if (col >= cur->ndecltypes) {
        int n = tqdb_column_count(cur);
        cur->decltypes = realloc(cur->decltypes, (size_t)n * sizeof(char *));
        if (!cur->decltypes)
            abort();
        for (int i = cur->ndecltypes; i < n; i++)
            cur->decltypes[i] = NULL;
        cur->ndecltypes = n;
    }
    cur->decltypes[col] = decltype;
}

const char *tqdb_column_decltype(tqdb_cursor_t *cur, int col)
{
    if (col >= 0 && col < cur->ndecltypes && cur->decltypes[col])
        return cur->decltypes[col];
    assert(col >= 0);
    return cur->conn->engine->column_decltype(cur, col);
}

tqdb_datum_t tqdb_column(tqdb_cursor_t *cur, int col)
{
    assert(col >= 0);
    return cur->conn->engine->column(cur, col);
}

tqdb_type_t tqdb_column_type(tqdb_cursor_t *cur, int col)
{
    return cur->conn->engine->column_type(cur, col);
}

int64_t tqdb_column_int(tqdb_cursor_t *cur, int col)
{
    return cur->conn->engine->column_int(cur, col);
}

double tqdb_column_float(tqdb_cursor_t *cur, int col)
{
    return cur->conn->engine->column_float(cur, col);
}

const char *tqdb_column_text(tqdb_cursor_t *cur, int col)
{
    return cur->conn->engine->column_text(cur, col);
}

size_t tqdb_column_bytes(tqdb_cursor_t *cur, int col)
{
    return cur->conn->engine->column_bytes(cur, col);
}

void tqdb_row(tqdb_cursor_t *cur, int ncols, tqdb_datum_t *out)
{
    assert(ncols >= 0 && (out || ncols == 0));
    cur->conn->engine->row(cur, ncols, out);
}

/* ---- bulk loading */

/* tqdb_bulk_begin: see db.h. */
int tqdb_bulk_begin(tqdb_conn_t *conn, const char *table,
                    const char *const *columns, int ncols, tqdb_bulk_t **out)
{
    assert(conn && table && *table && columns && ncols > 0 && out);
    *out = NULL;
    tqdb_conn_clear_error(conn);
    tqdb_bulk_t *b = conn->engine->bulk_begin(conn, table, columns, ncols);
    if (sql_log_fd >= 0) {
        tq_buf_t target = {0};
        tqdb_bulk_target(&target, table, columns, ncols);
        sql_log(conn, "bulk", target.s, target.len, NULL, b != NULL);
        tq_buf_free(&target);
    }
    if (!b)
        return -1;
    b->conn = conn;
    b->ncols = ncols;
    b->rows = 0;
    *out = b;
    return 0;
}

/* tqdb_bulk_row: see db.h. */
int tqdb_bulk_row(tqdb_bulk_t *bulk, const tqdb_datum_t *row)
{
    assert(bulk && row);
    if (bulk->conn->engine->bulk_row(bulk, row) < 0)
        return -1;
    bulk->rows++;
    return 0;
}

/* tqdb_bulk_end: see db.h. */
int tqdb_bulk_end(tqdb_bulk_t **bulk, bool commit, int64_t *rows)
{
    tqdb_bulk_t *b = *bulk;
    if (rows)
        *rows = 0;
    if (!b)
        return 0;
    *bulk = NULL;
    return b->conn->engine->bulk_end(b, commit, rows);
}

/* ---- the catalogue */

int tqdb_catalog_read(tqdb_conn_t *conn, tqdb_catalog_t *out)
{
    memset(out, 0, sizeof *out);
    return conn->engine->catalog_read(conn, out);
}
