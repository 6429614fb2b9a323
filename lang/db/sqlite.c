/*
 * This file is the SQLite engine behind db.h, and the only file of lang/
 * that calls SQLite's API. Besides mapping the interface onto sqlite3_*
 * calls it gives every connection what Tabula expects of SQLite:
 *  - opening checks that the file is a database, turns foreign keys on,
 *    waits up to 2 s on a locked file, and registers REGEXP and
 *    tq_iregexp (POSIX extended expressions; the second ignores case);
 *  - a read-only connection is opened SQLITE_OPEN_READONLY and carries an
 *    authorizer that refuses every statement writing to any schema but
 *    `temp` (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, REINDEX, ANALYZE,
 *    DETACH, pragmas that set a value), so frames (TEMP tables) work while
 *    the database files never change;
 *  - errors are sorted into db.h's categories from SQLite's result codes.
 * The catalogue is read from pragma_database_list, pragma_table_list,
 * pragma_table_info, pragma_index_list/info and pragma_foreign_key_list.
 */
#include "db/db.h"

#include <assert.h>
#include <regex.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/dbutil.h"
#include "db/sqlite_handle.h"

struct tqdb_conn {
    sqlite3 *db;
    bool readonly;
    tqdb_err_t err;
    char *errmsg;                  /* owned; NULL when no error */
    int (*stop)(void *ud);         /* progress callback, or NULL */
    void *stop_ud;
};

struct tqdb_cursor {
    tqdb_conn_t *conn;
    sqlite3_stmt *stmt;
};

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

/* The category of an SQLite result code (extended or primary). */
static tqdb_err_t category(int rc, const char *msg)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return TQDB_ERR_OK;
    case SQLITE_CONSTRAINT:
        return TQDB_ERR_INTEGRITY;
    case SQLITE_READONLY:
    case SQLITE_AUTH:
        return TQDB_ERR_READONLY;
    case SQLITE_INTERRUPT:
        return TQDB_ERR_INTERRUPTED;
    case SQLITE_MISUSE:
        return TQDB_ERR_MISUSE;
    default:
        if (msg && (strstr(msg, "readonly database") || strstr(msg, "query_only")))
            return TQDB_ERR_READONLY;
        return TQDB_ERR_ERROR;
    }
}

/* Records the connection's current error after a call returned `rc`;
 * returns -1 for the caller to pass on (0 when rc is not an error). */
static int fail(tqdb_conn_t *c, int rc)
{
    const char *msg = sqlite3_errmsg(c->db);
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
        return 0;
    /* sqlite3_errmsg describes the last API call; a bind or a misuse may
     * leave it on "not an error", so fall back to the code's text. */
    if (!msg || !strcmp(msg, "not an error"))
        msg = sqlite3_errstr(rc);
    /* The read-only guard's refusal reads as SQLite's own refusal. */
    if ((rc & 0xff) == SQLITE_AUTH && c->readonly)
        msg = "attempt to write a readonly database";
    free(c->errmsg);
    c->errmsg = db_xstrdup(msg);
    c->err = category(rc, msg);
    return -1;
}

static void clear_error(tqdb_conn_t *c)
{
    c->err = TQDB_ERR_OK;
    free(c->errmsg);
    c->errmsg = NULL;
}

/* tqdb_errcode, tqdb_errmsg: see db.h. */
tqdb_err_t tqdb_errcode(const tqdb_conn_t *conn)
{
    return conn->err;
}

const char *tqdb_errmsg(const tqdb_conn_t *conn)
{
    return conn->errmsg ? conn->errmsg : "";
}

/* ---- the read-only guard */

/* Pragmas that take an argument but only read. */
static bool is_reading_pragma(const char *name)
{
    static const char *const reading[] = {
        "table_info", "table_xinfo", "table_list", "index_list",
        "index_info", "index_xinfo", "foreign_key_list", "foreign_key_check",
        "integrity_check", "quick_check", "database_list", "function_list",
        "collation_list", "pragma_list", "compile_options", "module_list",
    };
    for (size_t i = 0; i < sizeof reading / sizeof *reading; i++)
        if (strcmp(name, reading[i]) == 0)
            return true;
    return false;
}

static bool is_temp(const char *schema)
{
    return schema && strcmp(schema, "temp") == 0;
}

static int authorize(void *unused, int action, const char *a1, const char *a2,
                     const char *schema, const char *trigger)
{
    (void)unused;
    (void)trigger;
    switch (action) {
    case SQLITE_UPDATE:
        /* SQLite itself asks this when a pragma table-valued function first
         * connects. A user's UPDATE of the schema table would also need
         * PRAGMA writable_schema, refused below, and a writable file. */
        if (a1 && strcmp(a1, "sqlite_master") == 0)
            return SQLITE_OK;
        return is_temp(schema) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_INSERT:
    case SQLITE_DELETE:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
    case SQLITE_REINDEX:
    case SQLITE_ANALYZE:
        return is_temp(schema) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_ALTER_TABLE:          /* a1 is the schema here */
        return is_temp(a1) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_DETACH:
        return SQLITE_DENY;
    case SQLITE_PRAGMA:               /* a2 is the value or the argument */
        return a2 == NULL || is_reading_pragma(a1) ? SQLITE_OK : SQLITE_DENY;
    default:
        return SQLITE_OK;
    }
}

/* ---- REGEXP */

static void regex_free(void *p)
{
    regfree(p);
    free(p);
}

/* Patterns longer than this, or whose estimated compiled size (each atom
 * counted as often as nested {m,n} bounds repeat it) passes
 * REGEX_MAX_COST, are refused before regcomp: glibc expands bounded
 * repetitions by copying, so '((a{0,100}){0,100}){0,100}' would take
 * gigabytes and minutes to compile, and its matching time grows with the
 * same size. */
#define REGEX_MAX_LEN 10000
#define REGEX_MAX_COST 10000
#define REGEX_MAX_NESTING 100
/* A bound applied to a group that repeats inside ('(a{0,50}){0,40}') makes
 * matching slow too (a second per short row at 2,000): the product of
 * nested repetition counts is kept under this. */
#define REGEX_MAX_NESTED_REPEAT 256

/* Adds, saturating at REGEX_MAX_COST + 1. */
static uint64_t cost_add(uint64_t a, uint64_t b)
{
    return a + b > REGEX_MAX_COST ? REGEX_MAX_COST + 1 : a + b;
}

static uint64_t cost_mul(uint64_t a, uint64_t b)
{
    return b && a > (REGEX_MAX_COST + 1) / b ? REGEX_MAX_COST + 1 : a * b;
}

/* Whether the POSIX extended pattern is small enough to compile: a scan
 * of its atoms, groups and repetitions (ill-formed patterns pass, for
 * regcomp to report). */
static bool regex_simple_enough(const char *pat)
{
    size_t n = strlen(pat);
    if (n > REGEX_MAX_LEN)
        return false;
    /* Per open group: the cost so far and that of its last atom; the
     * largest repetition product inside it and that of its last atom. */
    uint64_t size[REGEX_MAX_NESTING + 1] = {0}, last[REGEX_MAX_NESTING + 1];
    uint64_t reps[REGEX_MAX_NESTING + 1], last_reps[REGEX_MAX_NESTING + 1];
    int depth = 0;
    last[0] = 0;
    reps[0] = last_reps[0] = 1;
    for (size_t i = 0; i < n; i++) {
        char c = pat[i];
        uint64_t atom = 1, atom_reps = 1;
        switch (c) {
        case '(':
            if (depth == REGEX_MAX_NESTING)
                return false;
            depth++;
            size[depth] = 0;
            last[depth] = 0;
            reps[depth] = last_reps[depth] = 1;
            continue;
        case ')':
            if (depth == 0)
                break;   /* a literal ')' */
            atom = cost_add(size[depth], 1);
            atom_reps = reps[depth];
            depth--;
            break;
        case '|':
            last[depth] = 0;
            last_reps[depth] = 1;
            continue;
        case '*': case '+': case '?':
            size[depth] = cost_add(size[depth], last[depth]);
            last_reps[depth] = cost_mul(last_reps[depth], 2);
            if (last_reps[depth] > reps[depth])
                reps[depth] = last_reps[depth];
            continue;
        case '{': {
            size_t j = i + 1;
            uint64_t lo = 0, hi = 0;
            bool comma = false, digits = false;
            for (; j < n && pat[j] != '}'; j++) {
                if (pat[j] == ',' && !comma) {
                    comma = true;
                } else if (pat[j] >= '0' && pat[j] <= '9') {
                    uint64_t *d = comma ? &hi : &lo;
                    *d = cost_add(cost_mul(*d, 10), (uint64_t)(pat[j] - '0'));
                    digits = true;
                } else {
                    break;
                }
            }
            if (j >= n || pat[j] != '}' || !digits)
                break;   /* not a bound: a literal '{' */
            uint64_t times = lo > hi ? lo : hi;
            if (comma && hi == 0)
                times = lo + 1;   /* {m,}: m copies and a star */
            if (times > 1) {
                uint64_t grown = cost_mul(last[depth], times);
                size[depth] = cost_add(size[depth], grown);
                last[depth] = grown;
                uint64_t product = cost_mul(last_reps[depth], times);
                if (last_reps[depth] > 1 && product > REGEX_MAX_NESTED_REPEAT)
                    return false;
                last_reps[depth] = product;
                if (product > reps[depth])
                    reps[depth] = product;
            }
            if (size[depth] > REGEX_MAX_COST)
                return false;
            i = j;
            continue;
        }
        case '[': {
            size_t j = i + 1;
            if (j < n && pat[j] == '^')
                j++;
            if (j < n && pat[j] == ']')
                j++;
            for (; j < n && pat[j] != ']'; j++)
                if (pat[j] == '[' && j + 1 < n &&
                    (pat[j + 1] == ':' || pat[j + 1] == '.' ||
                     pat[j + 1] == '=')) {
                    char close[3] = {pat[j + 1], ']', 0};
                    const char *end = strstr(pat + j + 2, close);
                    if (!end)
                        break;
                    j = (size_t)(end - pat) + 1;
                }
            i = j < n ? j : n;
            break;
        }
        case '\\':
            if (i + 1 < n)
                i++;
            break;
        default:
            break;
        }
        size[depth] = cost_add(size[depth], atom);
        last[depth] = atom;
        last_reps[depth] = atom_reps;
        if (atom_reps > reps[depth])
            reps[depth] = atom_reps;
        if (size[depth] > REGEX_MAX_COST)
            return false;
    }
    return true;
}

/* REGEXP(pattern, text) and tq_iregexp(pattern, text): POSIX extended
 * regular expressions, compiled once per statement (auxdata). NULL text or
 * pattern gives NULL. */
static void regexp_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *pat = (const char *)sqlite3_value_text(argv[0]);
    const char *txt = (const char *)sqlite3_value_text(argv[1]);
    if (!pat || !txt) {
        sqlite3_result_null(ctx);
        return;
    }
    regex_t *re = sqlite3_get_auxdata(ctx, 0);
    if (!re && !regex_simple_enough(pat)) {
        sqlite3_result_error(ctx, "regular expression too complex", -1);
        return;
    }
    if (!re) {
        re = db_xmalloc(sizeof *re);
        int flags = REG_EXTENDED | REG_NOSUB;
        if (sqlite3_user_data(ctx))
            flags |= REG_ICASE;
        int rc = regcomp(re, pat, flags);
        if (rc) {
            char msg[200];
            regerror(rc, re, msg, sizeof msg);
            free(re);
            char *m = db_xasprintf("invalid regular expression: %s", msg);
            sqlite3_result_error(ctx, m, -1);
            free(m);
            return;
        }
        sqlite3_set_auxdata(ctx, 0, re, regex_free);
        re = sqlite3_get_auxdata(ctx, 0);
        if (!re) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    sqlite3_result_int(ctx, regexec(re, txt, 0, NULL, 0) == 0);
}

static int register_functions(sqlite3 *db)
{
    static int icase = 1;
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    int rc = sqlite3_create_function(db, "regexp", 2, flags, NULL, regexp_fn,
                                     NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "tq_iregexp", 2, flags, &icase,
                                     regexp_fn, NULL, NULL);
    return rc;
}

/* ---- connections */

static int progress(void *ud)
{
    tqdb_conn_t *c = ud;
    return c->stop ? c->stop(c->stop_ud) : 0;
}

/* tqdb_open: see db.h. */
tqdb_conn_t *tqdb_open(const char *target, unsigned flags, char **error)
{
    const char *path = target && *target ? target : ":memory:";
    bool readonly = flags & TQDB_OPEN_READONLY;
    bool memory = strcmp(path, ":memory:") == 0;
    int oflags = readonly ? SQLITE_OPEN_READONLY
                          : SQLITE_OPEN_READWRITE |
                                ((flags & TQDB_OPEN_CREATE) || memory
                                     ? SQLITE_OPEN_CREATE : 0);
    oflags |= SQLITE_OPEN_URI;
    /* A FIFO or a device would block open() or read as garbage. */
    struct stat st;
    if (!memory && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        *error = db_xasprintf("cannot open database '%s': not a regular file",
                              path);
        return NULL;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, oflags, NULL);
    if (rc != SQLITE_OK) {
        *error = db_xasprintf("cannot open database '%s': %s", path,
                              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 2000);
    /* Reading the schema fails early on a file that is not a database. */
    rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
                      NULL);
    if (rc != SQLITE_OK) {
        *error = db_xasprintf("cannot open database '%s': %s", path,
                              sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    register_functions(db);
    if (readonly)
        sqlite3_set_authorizer(db, authorize, NULL);
    tqdb_conn_t *c = db_xcalloc(1, sizeof *c);
    c->db = db;
    c->readonly = readonly;
    sqlite3_progress_handler(db, 1000, progress, c);
    return c;
}

/* tqdb_close: see db.h. */
void tqdb_close(tqdb_conn_t **conn)
{
    tqdb_conn_t *c = *conn;
    if (!c)
        return;
    *conn = NULL;
    sqlite3_close_v2(c->db);
    free(c->errmsg);
    free(c);
}

const char *tqdb_engine(const tqdb_conn_t *conn)
{
    (void)conn;
    return "sqlite";
}

bool tqdb_readonly(const tqdb_conn_t *conn)
{
    return conn->readonly;
}

/* tqdb_exec: see db.h. */
int tqdb_exec(tqdb_conn_t *conn, const char *sql)
{
    clear_error(conn);
    return fail(conn, sqlite3_exec(conn->db, sql, NULL, NULL, NULL));
}

int tqdb_begin(tqdb_conn_t *conn)
{
    return tqdb_exec(conn, "BEGIN");
}

int tqdb_commit(tqdb_conn_t *conn)
{
    return tqdb_exec(conn, "COMMIT");
}

int tqdb_rollback(tqdb_conn_t *conn)
{
    return tqdb_exec(conn, "ROLLBACK");
}

/* Runs "<verb> <name>" for the savepoint statements. */
static int savepoint_stmt(tqdb_conn_t *conn, const char *verb,
                          const char *name)
{
    assert(name && *name);
    char *sql = db_xasprintf("%s %s", verb, name);
    int rc = tqdb_exec(conn, sql);
    free(sql);
    return rc;
}

int tqdb_savepoint(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "SAVEPOINT", name);
}

int tqdb_release(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "RELEASE", name);
}

int tqdb_rollback_to(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "ROLLBACK TO", name);
}

bool tqdb_in_transaction(tqdb_conn_t *conn)
{
    return !sqlite3_get_autocommit(conn->db);
}

bool tqdb_wrote(tqdb_conn_t *conn)
{
    return sqlite3_txn_state(conn->db, NULL) == SQLITE_TXN_WRITE;
}

int64_t tqdb_schema_version(tqdb_conn_t *conn)
{
    sqlite3_stmt *stmt = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(conn->db, "PRAGMA schema_version", -1, &stmt,
                           NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

int64_t tqdb_changes(tqdb_conn_t *conn)
{
    return sqlite3_changes64(conn->db);
}

int64_t tqdb_total_changes(tqdb_conn_t *conn)
{
    return sqlite3_total_changes64(conn->db);
}

int64_t tqdb_last_insert_id(tqdb_conn_t *conn)
{
    return sqlite3_last_insert_rowid(conn->db);
}

/* tqdb_interrupt: see db.h (sqlite3_interrupt is safe from any thread). */
void tqdb_interrupt(tqdb_conn_t *conn)
{
    sqlite3_interrupt(conn->db);
}

void tqdb_set_progress(tqdb_conn_t *conn, int (*stop)(void *ud), void *ud)
{
    conn->stop = stop;
    conn->stop_ud = ud;
}

/* ---- cursors */

/* tqdb_prepare: see db.h. */
int tqdb_prepare(tqdb_conn_t *conn, const char *sql, tqdb_cursor_t **out,
                 const char **tail)
{
    assert(conn && sql && out);
    clear_error(conn);
    sqlite3_stmt *stmt = NULL;
    *out = NULL;
    int rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, tail);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return fail(conn, rc);
    }
    if (!stmt)
        return 0;
    tqdb_cursor_t *cur = db_xmalloc(sizeof *cur);
    cur->conn = conn;
    cur->stmt = stmt;
    *out = cur;
    return 0;
}

void tqdb_cursor_free(tqdb_cursor_t **cur)
{
    tqdb_cursor_t *c = *cur;
    if (!c)
        return;
    *cur = NULL;
    sqlite3_finalize(c->stmt);
    free(c);
}

tqdb_conn_t *tqdb_cursor_conn(tqdb_cursor_t *cur)
{
    return cur->conn;
}

bool tqdb_cursor_readonly(tqdb_cursor_t *cur)
{
    return sqlite3_stmt_readonly(cur->stmt) != 0;
}

int tqdb_param_count(tqdb_cursor_t *cur)
{
    return sqlite3_bind_parameter_count(cur->stmt);
}

const char *tqdb_param_name(tqdb_cursor_t *cur, int i)
{
    return sqlite3_bind_parameter_name(cur->stmt, i);
}

/* Binding's result: 0, or -1 with the error on the connection. */
static int bound(tqdb_cursor_t *cur, int rc)
{
    if (rc == SQLITE_OK)
        return 0;
    return fail(cur->conn, rc);
}

int tqdb_bind(tqdb_cursor_t *cur, int i, const tqdb_datum_t *d)
{
    switch (d->type) {
    case TQDB_NULL: return tqdb_bind_null(cur, i);
    case TQDB_INT: return tqdb_bind_int(cur, i, d->i);
    case TQDB_FLOAT: return tqdb_bind_float(cur, i, d->f);
    case TQDB_TEXT: return tqdb_bind_text(cur, i, d->s, (int64_t)d->len);
    case TQDB_BLOB: return tqdb_bind_blob(cur, i, d->s, d->len);
    }
    assert(!"unknown datum type");
    return -1;
}

int tqdb_bind_null(tqdb_cursor_t *cur, int i)
{
    return bound(cur, sqlite3_bind_null(cur->stmt, i));
}

int tqdb_bind_int(tqdb_cursor_t *cur, int i, int64_t v)
{
    return bound(cur, sqlite3_bind_int64(cur->stmt, i, v));
}

int tqdb_bind_float(tqdb_cursor_t *cur, int i, double v)
{
    return bound(cur, sqlite3_bind_double(cur->stmt, i, v));
}

int tqdb_bind_text(tqdb_cursor_t *cur, int i, const char *s, int64_t len)
{
    if (len < 0)
        len = (int64_t)strlen(s);
    return bound(cur, sqlite3_bind_text64(cur->stmt, i, s, (sqlite3_uint64)len,
                                          SQLITE_TRANSIENT, SQLITE_UTF8));
}

int tqdb_bind_text_static(tqdb_cursor_t *cur, int i, const char *s,
                          int64_t len)
{
    if (len < 0)
        len = (int64_t)strlen(s);
    return bound(cur, sqlite3_bind_text64(cur->stmt, i, s, (sqlite3_uint64)len,
                                          SQLITE_STATIC, SQLITE_UTF8));
}

int tqdb_bind_blob(tqdb_cursor_t *cur, int i, const void *p, size_t len)
{
    return bound(cur, sqlite3_bind_blob64(cur->stmt, i, p, len,
                                          SQLITE_TRANSIENT));
}

/* tqdb_step: see db.h. */
int tqdb_step(tqdb_cursor_t *cur)
{
    int rc = sqlite3_step(cur->stmt);
    if (rc == SQLITE_ROW)
        return TQDB_ROW;
    if (rc == SQLITE_DONE)
        return TQDB_DONE;
    return fail(cur->conn, rc);
}

int tqdb_reset(tqdb_cursor_t *cur)
{
    return fail(cur->conn, sqlite3_reset(cur->stmt));
}

int tqdb_column_count(tqdb_cursor_t *cur)
{
    return sqlite3_column_count(cur->stmt);
}

const char *tqdb_column_name(tqdb_cursor_t *cur, int col)
{
    const char *name = sqlite3_column_name(cur->stmt, col);
    return name ? name : "";
}

const char *tqdb_column_decltype(tqdb_cursor_t *cur, int col)
{
    const char *t = sqlite3_column_decltype(cur->stmt, col);
    return t ? t : "";
}

static tqdb_type_t type_of(int sqlite_type)
{
    switch (sqlite_type) {
    case SQLITE_INTEGER: return TQDB_INT;
    case SQLITE_FLOAT: return TQDB_FLOAT;
    case SQLITE_TEXT: return TQDB_TEXT;
    case SQLITE_BLOB: return TQDB_BLOB;
    default: return TQDB_NULL;
    }
}

tqdb_type_t tqdb_column_type(tqdb_cursor_t *cur, int col)
{
    return type_of(sqlite3_column_type(cur->stmt, col));
}

/* tqdb_column: see db.h. */
tqdb_datum_t tqdb_column(tqdb_cursor_t *cur, int col)
{
    tqdb_datum_t d = {.type = tqdb_column_type(cur, col)};
    switch (d.type) {
    case TQDB_INT:
        d.i = sqlite3_column_int64(cur->stmt, col);
        break;
    case TQDB_FLOAT:
        d.f = sqlite3_column_double(cur->stmt, col);
        break;
    case TQDB_TEXT:
        d.s = (const char *)sqlite3_column_text(cur->stmt, col);
        d.len = (size_t)sqlite3_column_bytes(cur->stmt, col);
        if (!d.s) {             /* out of memory converting: NULL */
            d.type = TQDB_NULL;
            d.len = 0;
        }
        break;
    case TQDB_BLOB:
        d.s = sqlite3_column_blob(cur->stmt, col);
        d.len = (size_t)sqlite3_column_bytes(cur->stmt, col);
        if (!d.s)
            d.s = "";
        break;
    case TQDB_NULL:
        break;
    }
    return d;
}

int64_t tqdb_column_int(tqdb_cursor_t *cur, int col)
{
    return sqlite3_column_int64(cur->stmt, col);
}

double tqdb_column_float(tqdb_cursor_t *cur, int col)
{
    return sqlite3_column_double(cur->stmt, col);
}

const char *tqdb_column_text(tqdb_cursor_t *cur, int col)
{
    return (const char *)sqlite3_column_text(cur->stmt, col);
}

size_t tqdb_column_bytes(tqdb_cursor_t *cur, int col)
{
    return (size_t)sqlite3_column_bytes(cur->stmt, col);
}

/* ---- the catalogue */

/* A prepared catalogue query with ?1 bound to `schema` (NULL: unbound). */
static tqdb_cursor_t *catalog_query(tqdb_conn_t *c, const char *sql,
                                    const char *schema)
{
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(c, sql, &cur, NULL) < 0)
        return NULL;
    assert(cur);
    if (schema && tqdb_bind_text(cur, 1, schema, -1) < 0)
        tqdb_cursor_free(&cur);
    return cur;
}

static const char *text_or_empty(tqdb_cursor_t *cur, int col)
{
    const char *s = tqdb_column_text(cur, col);
    return s ? s : "";
}

static tqdb_table_info_t *find_table(tqdb_catalog_t *cat, const char *schema,
                                     const char *name)
{
    for (size_t i = 0; i < cat->ntables; i++)
        if (!strcmp(cat->tables[i].schema, schema) &&
            !strcmp(cat->tables[i].name, name))
            return &cat->tables[i];
    return NULL;
}

/* Tables of `schema` with their columns, in name order. */
static int read_tables(tqdb_conn_t *c, tqdb_catalog_t *cat, const char *schema,
                       size_t *tcap)
{
    tqdb_cursor_t *cur = catalog_query(c,
        "SELECT t.name, t.wr, c.name, c.type, c.\"notnull\", "
        "c.dflt_value, c.pk FROM pragma_table_list t "
        "JOIN pragma_table_info(t.name, ?1) c "
        "WHERE t.schema = ?1 AND t.type = 'table' AND t.name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY t.name, c.cid", schema);
    if (!cur)
        return -1;
    tqdb_table_info_t *t = NULL;
    size_t ccap = 0;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        const char *tname = text_or_empty(cur, 0);
        if (!t || strcmp(t->name, tname)) {
            tqdb_table_info_t nt = {0};
            nt.schema = db_xstrdup(schema);
            nt.name = db_xstrdup(tname);
            nt.without_rowid = tqdb_column_int(cur, 1) != 0;
            DB_PUSH(cat->tables, cat->ntables, *tcap, nt);
            t = &cat->tables[cat->ntables - 1];
            ccap = 0;
        }
        tqdb_column_info_t col = {0};
        col.name = db_xstrdup(text_or_empty(cur, 2));
        col.decltype = db_xstrdup(text_or_empty(cur, 3));
        col.notnull = tqdb_column_int(cur, 4) != 0;
        if (tqdb_column_type(cur, 5) != TQDB_NULL)
            col.dflt = db_xstrdup(text_or_empty(cur, 5));
        col.pk = (int)tqdb_column_int(cur, 6);
        DB_PUSH(t->cols, t->ncols, ccap, col);
    }
    tqdb_cursor_free(&cur);
    return rc < 0 ? -1 : 0;
}

/* Single-column unique indexes (partial ones excepted) of `schema`. */
static int read_unique(tqdb_conn_t *c, tqdb_catalog_t *cat, const char *schema)
{
    tqdb_cursor_t *cur = catalog_query(c,
        "SELECT t.name, min(ii.name) FROM pragma_table_list t "
        "JOIN pragma_index_list(t.name, ?1) il "
        "JOIN pragma_index_info(il.name, ?1) ii "
        "WHERE t.schema = ?1 AND t.type = 'table' AND il.\"unique\" AND il.partial = 0 "
        "GROUP BY t.name, il.name HAVING count(*) = 1", schema);
    if (!cur)
        return -1;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tqdb_table_info_t *t = find_table(cat, schema, text_or_empty(cur, 0));
        if (!t)
            continue;
        t->unique = db_xrealloc(t->unique, (t->nunique + 1) * sizeof *t->unique);
        t->unique[t->nunique++] = db_xstrdup(text_or_empty(cur, 1));
    }
    tqdb_cursor_free(&cur);
    return rc < 0 ? -1 : 0;
}

/* Single-column foreign keys of `schema`, in (table, column) order. */
static int read_fks(tqdb_conn_t *c, tqdb_catalog_t *cat, const char *schema)
{
    tqdb_cursor_t *cur = catalog_query(c,
        "SELECT t.name, f.\"table\", min(f.\"from\"), min(f.\"to\") "
        "FROM pragma_table_list t "
        "JOIN pragma_foreign_key_list(t.name, ?1) f "
        "WHERE t.schema = ?1 AND t.type = 'table' GROUP BY t.name, f.id "
        "HAVING count(*) = 1 ORDER BY t.name, min(f.\"from\")", schema);
    if (!cur)
        return -1;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tqdb_table_info_t *t = find_table(cat, schema, text_or_empty(cur, 0));
        if (!t)
            continue;
        tqdb_fk_info_t fk = {
            .from = db_xstrdup(text_or_empty(cur, 2)),
            .to_table = db_xstrdup(text_or_empty(cur, 1)),
            .to = tqdb_column_type(cur, 3) == TQDB_NULL
                      ? NULL : db_xstrdup(text_or_empty(cur, 3)),
        };
        t->fks = db_xrealloc(t->fks, (t->nfks + 1) * sizeof *t->fks);
        t->fks[t->nfks++] = fk;
    }
    tqdb_cursor_free(&cur);
    return rc < 0 ? -1 : 0;
}

/* tqdb_catalog_read: see db.h. */
int tqdb_catalog_read(tqdb_conn_t *conn, tqdb_catalog_t *out)
{
    memset(out, 0, sizeof *out);
    size_t scap = 0, tcap = 0;
    tqdb_cursor_t *cur = catalog_query(conn,
        "SELECT name FROM pragma_database_list ORDER BY seq", NULL);
    if (!cur)
        return -1;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        const char *name = text_or_empty(cur, 0);
        if (strcmp(name, "temp"))
            DB_PUSH(out->schemas, out->nschemas, scap, db_xstrdup(name));
    }
    tqdb_cursor_free(&cur);
    if (rc < 0)
        goto fail;
    for (size_t i = 0; i < out->nschemas; i++)
        if (read_tables(conn, out, out->schemas[i], &tcap) < 0 ||
            read_unique(conn, out, out->schemas[i]) < 0 ||
            read_fks(conn, out, out->schemas[i]) < 0)
            goto fail;
    return 0;
fail:
    tqdb_catalog_clear(out);
    return -1;
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

/* ---- the transition: see db/sqlite_handle.h */

sqlite3 *tqdb_sqlite_handle(tqdb_conn_t *conn)
{
    return conn ? conn->db : NULL;
}

/* ---- datums */

/* tqdb_datum_dup: see db.h. */
tqdb_datum_t *tqdb_datum_dup(const tqdb_datum_t *d)
{
    bool bytes = d->type == TQDB_TEXT || d->type == TQDB_BLOB;
    size_t extra = bytes ? d->len + 1 : 0;
    tqdb_datum_t *copy = db_xmalloc(sizeof *copy + extra);
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
