/*
 * This file is the SQLite engine behind db.h (its table of operations,
 * engine.h, is tqdb_sqlite_engine), and the only file of lang/ that calls
 * SQLite's API. Besides mapping the interface onto sqlite3_* calls it
 * gives every connection what Tabula expects of SQLite:
 *  - opening checks that the file is a database, turns foreign keys on,
 *    waits up to 2 s on a locked file, and registers REGEXP and
 *    tq_iregexp (POSIX extended expressions; the second ignores case),
 *    and the tq_merge functions (a merge join for UPDATE from a frame);
 *  - a read-only connection is opened SQLITE_OPEN_READONLY and carries an
 *    authorizer that refuses every statement writing to any schema but
 *    `temp` (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, REINDEX, ANALYZE,
 *    DETACH, pragmas that set a value), so frames (TEMP tables) work while
 *    the database files never change; a WAL database no other
 *    connection has open is opened immutable, so that no -wal or -shm
 *    file appears next to it (readonly_uri);
 *  - errors are sorted into db.h's categories from SQLite's result codes.
 * The catalogue is read from pragma_database_list, pragma_table_list,
 * pragma_table_info, pragma_index_list/info and pragma_foreign_key_list.
 */
#include "db/db.h"
#include "db/engine.h"

#include <assert.h>
#include <regex.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "base/util.h"
#include "base/regex_cost.h"

/* The largest memory map of a database file (PRAGMA mmap_size). */
#define SQ_MMAP_BYTES 268435456
#define SQ_STR_(x) #x
#define SQ_STR(x) SQ_STR_(x)

const tqdb_engine_t tqdb_sqlite_engine;

/* A connection: db.h's head, then the SQLite handle. */
/* Why the authorizer last refused a statement. */
enum { DENIED_NONE, DENIED_READONLY, DENIED_TRANSACTION };

typedef struct sq_conn {
    tqdb_conn_t head;
    sqlite3 *db;
    bool internal;     /* tqdb_begin/commit/rollback: the guard lets it by */
    int denied;        /* DENIED_*, set by the authorizer */
    struct merge_list *merges;  /* the tq_merge functions' cursors */
} sq_conn_t;

/* A cursor: db.h's head, then the statement. */
typedef struct sq_cursor {
    tqdb_cursor_t head;
    sqlite3_stmt *stmt;
} sq_cursor_t;

static sq_conn_t *sq(tqdb_conn_t *conn)
{
    assert(conn->engine == &tqdb_sqlite_engine);
    return (sq_conn_t *)conn;
}

static sqlite3 *handle(tqdb_conn_t *conn)
{
    return sq(conn)->db;
}

static sqlite3_stmt *stmt_of(tqdb_cursor_t *cur)
{
    assert(cur->conn->engine == &tqdb_sqlite_engine);
    return ((sq_cursor_t *)cur)->stmt;
}

/* ---- errors */

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

static tqdb_merge_refusal_t merge_take_refusal(struct merge_list *l);

/* Records the connection's current error after a call returned `rc`;
 * returns -1 for the caller to pass on (0 when rc is not an error). */
static int fail(tqdb_conn_t *c, int rc)
{
    const char *msg = sqlite3_errmsg(handle(c));
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
        return 0;
    /* sqlite3_errmsg describes the last API call; a bind or a misuse may
     * leave it on "not an error", so fall back to the code's text. */
    if (!msg || !strcmp(msg, "not an error"))
        msg = sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_AUTH) {
        int denied = sq(c)->denied;
        sq(c)->denied = DENIED_NONE;
        if (denied == DENIED_TRANSACTION)
            return tqdb_conn_fail(c, TQDB_ERR_MISUSE,
                "a cell runs in one transaction of its own: it commits when "
                "it succeeds and rolls back when it fails, so BEGIN, COMMIT, "
                "END and ROLLBACK are refused inside it (SAVEPOINT, RELEASE "
                "and ROLLBACK TO work)");
        /* the read-only rules' refusal reads as SQLite's own refusal */
        if (c->readonly)
            msg = "attempt to write a readonly database";
    }
    tqdb_conn_fail(c, category(rc, msg), msg);
    /* a merge function's refusal failed the statement: kept with the
     * error (tqdb_merge_refusal) */
    c->merge_refusal = merge_take_refusal(sq(c)->merges);
    return -1;
}

/* ---- the authorizer: the transaction guard and the read-only rules */

static int readonly_verdict(int action, const char *a1, const char *a2,
                            const char *schema);

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

/* The authorizer of every connection: the transaction guard always (see
 * tqdb_guard_transaction), the read-only rules on read-only connections.
 * A refusal records its reason for fail(). */
static int authorize(void *ud, int action, const char *a1, const char *a2,
                     const char *schema, const char *trigger)
{
    sq_conn_t *c = ud;
    (void)trigger;
    if (action == SQLITE_TRANSACTION && c->head.guard && !c->internal) {
        c->denied = DENIED_TRANSACTION;
        return SQLITE_DENY;
    }
    if (!c->head.readonly)
        return SQLITE_OK;
    int verdict = readonly_verdict(action, a1, a2, schema);
    if (verdict == SQLITE_DENY)
        c->denied = DENIED_READONLY;
    return verdict;
}

/* The read-only rules: every write to any schema but `temp` is refused. */
static int readonly_verdict(int action, const char *a1, const char *a2,
                            const char *schema)
{
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
    if (!re && !tq_regex_simple_enough(pat)) {
        sqlite3_result_error(ctx, "regular expression too complex", -1);
        return;
    }
    if (!re) {
        re = tq_xmalloc(sizeof *re);
        int flags = REG_EXTENDED | REG_NOSUB;
        if (sqlite3_user_data(ctx))
            flags |= REG_ICASE;
        int rc = regcomp(re, pat, flags);
        if (rc) {
            char msg[200];
            regerror(rc, re, msg, sizeof msg);
            free(re);
            char *m = tq_xasprintf("invalid regular expression: %s", msg);
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

/* ---- tq_merge_*: a merge join for UPDATE from a frame */

/* tq_merge_load(name, key, v1, ..., vn), an aggregate, keeps the rows it
 * reads in memory under `name` (the rows kept under it before go as it
 * starts, their memory reused; a load of no row keeps nothing new);
 * tq_merge_has(name, key), tq_merge_value(name, key, i) and
 * tq_merge_take(name, key, i) then join the rows of a statement to them
 * as it runs, without building the join first as UPDATE ... FROM does
 * (dialect.h, update_merge); tq_merge_finish(name) forgets them:
 *
 *   SELECT tq_merge_load('f', id, v) FROM f WHERE ...;
 *   UPDATE t SET c = tq_merge_take('f', t.id, 1) WHERE t.id BETWEEN a AND b;
 *   SELECT tq_merge_finish('f');
 *
 * The keys loaded must ascend (or repeat) as the rows are read, integers
 * (rows with a NULL key are left out): a key that is not an integer or is
 * below the one before it fails the load with MERGE_REFUSED, a refusal
 * (TQDB_MERGE_UNORDERED, db.h). A key asked that is not an integer (nor
 * NULL, never found) is refused the same way. tq_merge_has is 1 where
 * `key` was loaded (0 else), tq_merge_value is value i (1..n) of its
 * first row (NULL where the key is absent), tq_merge_take the same but
 * fails the statement with MERGE_ABSENT (TQDB_MERGE_ABSENT) where the
 * key is absent (one call a row fewer than has and value, where every
 * row is there). Keys asked in ascending
 * order cost a step each, others a binary search. Values are kept as
 * read (integer, real, text, blob, NULL). Rows can also be lent from the
 * caller's memory (tqdb_merge_lend: sq_merge_lend), read in place.
 * Loading or finishing rows a running statement uses is an error; the
 * connection forgets what is left as it closes (sq_close). */

#define MERGE_REFUSED "tq_merge: keys not ascending integers"
#define MERGE_ABSENT "tq_merge: a key not loaded"

typedef struct merge_val {
    int type;                  /* SQLITE_INTEGER ... SQLITE_NULL */
    int len;                   /* text, blob: bytes at p */
    union {
        sqlite3_int64 i;
        double f;
        char *p;               /* malloc'd */
    } u;
} merge_val_t;

typedef struct merge {
    struct merge *next;
    char *name;
    int nvals;                 /* values a row */
    size_t n, cap;             /* rows */
    const int64_t *keys;       /* ascending: kbuf, or lent */
    int64_t *kbuf;             /* loaded: owned (cap) */
    merge_val_t *vals;         /* loaded: n * nvals */
    tqdb_merge_col_t *lent;    /* lent: nvals columns (owned, their
                                  arrays borrowed), NULL when loaded */
    void (*at)(void *ud, size_t row);  /* lent: told how far (db.h) */
    void *at_ud;
    size_t at_next;            /* the row past which `at` is told next */
    size_t pos;                /* the row the last key asked found */
    int sites;                 /* call sites of a running statement */
    bool refused;              /* loading met a key out of order */
} merge_t;

/* One connection's rows (the user data of its tq_merge functions). */
typedef struct merge_list {
    merge_t *head;
    /* the refusal a function just raised, for fail() to keep with the
     * statement's error (tqdb_merge_refusal) */
    tqdb_merge_refusal_t refusal;
} merge_list_t;

/* The refusal a merge function raised since the last call (none, and
 * none from now on). */
static tqdb_merge_refusal_t merge_take_refusal(merge_list_t *l)
{
    if (!l)
        return TQDB_MERGE_NONE;
    tqdb_merge_refusal_t why = l->refusal;
    l->refusal = TQDB_MERGE_NONE;
    return why;
}

/* Fails the function's statement with a refusal (db.h). */
static void merge_refuse(sqlite3_context *ctx, tqdb_merge_refusal_t why)
{
    merge_list_t *l = sqlite3_user_data(ctx);
    l->refusal = why;
    sqlite3_result_error(ctx, why == TQDB_MERGE_ABSENT ? MERGE_ABSENT
                         : MERGE_REFUSED, -1);
}

static void merge_free(merge_list_t *l, merge_t *m)
{
    for (merge_t **p = &l->head; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            break;
        }
    for (size_t i = 0; m->vals && i < m->n * (size_t)m->nvals; i++)
        if (m->vals[i].type == SQLITE_TEXT || m->vals[i].type == SQLITE_BLOB)
            free(m->vals[i].u.p);
    free(m->kbuf);
    free(m->vals);
    free(m->lent);
    free(m->name);
    free(m);
}

/* Forgets every row kept (a connection about to close). */
static void merge_list_clear(merge_list_t *l)
{
    while (l->head)
        merge_free(l, l->head);
}

static void merge_list_free(void *p)
{
    merge_list_clear(p);
    free(p);
}

static merge_t *merge_lookup(merge_list_t *l, const char *name)
{
    for (merge_t *m = l->head; m; m = m->next)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

/* The aggregate's state: the rows being loaded (not yet in the list). */
typedef struct merge_load {
    merge_t *m;
} merge_load_t;

static void merge_load_step(sqlite3_context *ctx, int argc,
                            sqlite3_value **argv)
{
    merge_load_t *ld = sqlite3_aggregate_context(ctx, sizeof *ld);
    if (!ld) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!ld->m) {
        const char *name = (const char *)sqlite3_value_text(argv[0]);
        if (argc < 2 || !name) {
            sqlite3_result_error(ctx, "tq_merge_load: a name and a key", -1);
            return;
        }
        merge_list_t *l = sqlite3_user_data(ctx);
        merge_t *old = merge_lookup(l, name);
        if (old && old->sites) {
            sqlite3_result_error(ctx, "tq_merge_load: the rows are in use",
                                 -1);
            return;
        }
        ld->m = tq_xcalloc(1, sizeof *ld->m);
        ld->m->name = tq_xstrdup(name);
        ld->m->nvals = argc - 2;
        if (old) {
            /* the rows kept before go: their arrays, as large as a chunk
             * before, hold the new ones (no growing nor page faults) */
            merge_t *m = ld->m;
            if (old->nvals == m->nvals && !old->lent) {
                m->kbuf = old->kbuf;
                m->keys = m->kbuf;
                m->vals = old->vals;
                m->cap = old->cap;
                for (size_t i = 0; i < old->n * (size_t)old->nvals; i++)
                    if (old->vals[i].type == SQLITE_TEXT ||
                        old->vals[i].type == SQLITE_BLOB)
                        free(old->vals[i].u.p);
                old->kbuf = NULL;
                old->vals = NULL;
                old->n = 0;
            }
            merge_free(l, old);
        }
    }
    merge_t *m = ld->m;
    if (m->refused)
        return;
    int type = sqlite3_value_type(argv[1]);
    if (type == SQLITE_NULL)
        return;
    sqlite3_int64 k = sqlite3_value_int64(argv[1]);
    if (type != SQLITE_INTEGER || (m->n && k < m->keys[m->n - 1])) {
        m->refused = true;
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->kbuf = tq_xrealloc(m->kbuf, m->cap * sizeof *m->kbuf);
        m->keys = m->kbuf;
        m->vals = tq_xrealloc(m->vals, m->cap * (size_t)m->nvals *
                              sizeof *m->vals);
    }
    m->kbuf[m->n] = k;
    merge_val_t *out = m->vals + m->n * (size_t)m->nvals;
    for (int i = 0; i < m->nvals; i++) {
        sqlite3_value *v = argv[i + 2];
        merge_val_t *o = &out[i];
        o->type = sqlite3_value_type(v);
        o->len = 0;
        switch (o->type) {
        case SQLITE_INTEGER:
            o->u.i = sqlite3_value_int64(v);
            break;
        case SQLITE_FLOAT:
            o->u.f = sqlite3_value_double(v);
            break;
        case SQLITE_TEXT:
        case SQLITE_BLOB: {
            const void *src = o->type == SQLITE_TEXT
                ? (const void *)sqlite3_value_text(v) : sqlite3_value_blob(v);
            o->len = sqlite3_value_bytes(v);
            o->u.p = tq_xmalloc((size_t)o->len + 1);
            if (o->len)
                memcpy(o->u.p, src, (size_t)o->len);
            o->u.p[o->len] = 0;
            break;
        }
        default:
            o->type = SQLITE_NULL;
        }
    }
    m->n++;
}

static void merge_load_final(sqlite3_context *ctx)
{
    merge_load_t *ld = sqlite3_aggregate_context(ctx, 0);
    merge_t *m = ld ? ld->m : NULL;
    if (!m) {
        sqlite3_result_int(ctx, 0);     /* no row: nothing kept */
        return;
    }
    merge_list_t *l = sqlite3_user_data(ctx);
    ld->m = NULL;
    merge_t *old = merge_lookup(l, m->name);
    if (m->refused || old) {
        /* `old` came in since the first row: a statement loading twice */
        if (m->refused)
            merge_refuse(ctx, TQDB_MERGE_UNORDERED);
        else
            sqlite3_result_error(ctx, "tq_merge_load: loaded twice at once",
                                 -1);
        m->next = NULL;
        merge_list_t none = {.head = m};
        merge_free(&none, m);
        return;
    }
    m->next = l->head;
    l->head = m;
    sqlite3_result_int64(ctx, (sqlite3_int64)m->n);
}

/* A call site's hold on rows ends with its statement. */
static void merge_site_release(void *p)
{
    ((merge_t *)p)->sites--;
}

/* The rows named by argument 0, held by the call site (auxdata); NULL
 * with the error set on ctx. */
static merge_t *merge_site(sqlite3_context *ctx, sqlite3_value *name)
{
    merge_t *m = sqlite3_get_auxdata(ctx, 0);
    if (m)
        return m;
    const char *s = (const char *)sqlite3_value_text(name);
    m = s ? merge_lookup(sqlite3_user_data(ctx), s) : NULL;
    if (!m) {
        sqlite3_result_error(ctx, "tq_merge: no rows loaded by that name",
                             -1);
        return NULL;
    }
    m->sites++;
    sqlite3_set_auxdata(ctx, 0, m, merge_site_release);
    if (sqlite3_get_auxdata(ctx, 0) != m) {  /* released at once: no memory */
        sqlite3_result_error_nomem(ctx);
        return NULL;
    }
    return m;
}

/* The row of the call site's rows (*out) whose key is argument 1: its
 * index, -1 when absent, -2 with the error set on ctx. */
static long long merge_seek(sqlite3_context *ctx, sqlite3_value **argv,
                            merge_t **out)
{
    merge_t *m = *out = merge_site(ctx, argv[0]);
    if (!m)
        return -2;
    int type = sqlite3_value_type(argv[1]);
    if (type == SQLITE_NULL)
        return -1;
    if (type != SQLITE_INTEGER) {
        /* 2.0 would equal 2 in SQL: the caller joins the other way */
        merge_refuse(ctx, TQDB_MERGE_UNORDERED);
        return -2;
    }
    sqlite3_int64 key = sqlite3_value_int64(argv[1]);
    /* m->pos is the first row of its key */
    size_t p = m->pos;
    if (p < m->n && m->keys[p] == key) {
        /* the same key again (another column, or has then value) */
    } else if (p + 1 < m->n && m->keys[p] < key && m->keys[p + 1] == key) {
        p++;                    /* the next key: an ascending scan */
    } else {
        size_t lo = 0, hi = m->n;   /* the first key not below `key` */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (m->keys[mid] < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        p = lo;
    }
    if (p >= m->n || m->keys[p] != key)
        return -1;
    m->pos = p;
    if (m->at && p >= m->at_next) {
        m->at_next = p + TQDB_MERGE_AT_EVERY;
        m->at(m->at_ud, p);
    }
    return (long long)p;
}

static void merge_has_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    merge_t *m;
    long long row = merge_seek(ctx, argv, &m);
    if (row > -2)
        sqlite3_result_int(ctx, row >= 0);
}

/* tq_merge_value(name, key, i), and tq_merge_take (strict): value i of
 * the key's first row; tq_merge_take refuses an absent key
 * (MERGE_ABSENT). The rows outlive the statement: text and blobs are
 * passed without a copy. */
static void merge_column(sqlite3_context *ctx, sqlite3_value **argv,
                         bool strict)
{
    merge_t *m;
    long long row = merge_seek(ctx, argv, &m);
    if (row == -2)
        return;
    int col = sqlite3_value_int(argv[2]);
    if (row < 0 && strict) {
        merge_refuse(ctx, TQDB_MERGE_ABSENT);
        return;
    }
    if (row < 0 || col < 1 || col > m->nvals) {
        sqlite3_result_null(ctx);
        return;
    }
    if (m->lent) {
        const tqdb_merge_col_t *c = &m->lent[col - 1];
        if (c->iv) {
            sqlite3_result_int64(ctx, c->iv[row]);
        } else {
            double d = c->x[row];
            if (isnan(d))
                sqlite3_result_null(ctx);
            else
                sqlite3_result_double(ctx, d);
        }
        return;
    }
    const merge_val_t *v = &m->vals[(size_t)row * (size_t)m->nvals +
                                    (size_t)(col - 1)];
    switch (v->type) {
    case SQLITE_INTEGER:
        sqlite3_result_int64(ctx, v->u.i);
        break;
    case SQLITE_FLOAT:
        sqlite3_result_double(ctx, v->u.f);
        break;
    case SQLITE_TEXT:
        sqlite3_result_text(ctx, v->u.p, v->len, SQLITE_STATIC);
        break;
    case SQLITE_BLOB:
        sqlite3_result_blob(ctx, v->u.p, v->len, SQLITE_STATIC);
        break;
    default:
        sqlite3_result_null(ctx);
    }
}

static void merge_value_fn(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv)
{
    (void)argc;
    merge_column(ctx, argv, false);
}

static void merge_take_fn(sqlite3_context *ctx, int argc,
                          sqlite3_value **argv)
{
    (void)argc;
    merge_column(ctx, argv, true);
}

static void merge_finish_fn(sqlite3_context *ctx, int argc,
                            sqlite3_value **argv)
{
    (void)argc;
    merge_list_t *l = sqlite3_user_data(ctx);
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    merge_t *m = name ? merge_lookup(l, name) : NULL;
    if (m && m->sites) {
        sqlite3_result_error(ctx, "tq_merge: the rows are in use", -1);
        return;
    }
    if (m)
        merge_free(l, m);
    sqlite3_result_int(ctx, m != NULL);
}

/* tqdb_merge_lend (db.h): the rows kept under `name` from now on. */
static int sq_merge_lend(tqdb_conn_t *conn, const char *name,
                         const int64_t *keys, size_t n,
                         const tqdb_merge_col_t *cols, int ncols,
                         void (*at)(void *ud, size_t row), void *ud)
{
    merge_list_t *l = sq(conn)->merges;
    if (!l)
        return tqdb_conn_fail(conn, TQDB_ERR_MISUSE, "tq_merge: the "
                              "connection has no merge functions");
    merge_t *old = merge_lookup(l, name);
    if (old && old->sites)
        return tqdb_conn_fail(conn, TQDB_ERR_MISUSE,
                              "tq_merge: the rows are in use");
    if (old)
        merge_free(l, old);
    for (size_t i = 1; i < n; i++)
        if (keys[i] < keys[i - 1]) {
            tqdb_conn_fail(conn, TQDB_ERR_ERROR, MERGE_REFUSED);
            conn->merge_refusal = TQDB_MERGE_UNORDERED;
            return -1;
        }
    merge_t *m = tq_xcalloc(1, sizeof *m);
    m->name = tq_xstrdup(name);
    m->nvals = ncols;
    m->n = m->cap = n;
    m->keys = keys;
    m->at = at;
    m->at_ud = ud;
    m->at_next = TQDB_MERGE_AT_EVERY;
    m->lent = tq_xcalloc(ncols ? (size_t)ncols : 1, sizeof *m->lent);
    for (int j = 0; j < ncols; j++) {
        assert(cols[j].iv || cols[j].x);
        m->lent[j] = cols[j];
    }
    m->next = l->head;
    l->head = m;
    return 0;
}

/* tqdb_merge_finish (db.h). */
static int sq_merge_finish(tqdb_conn_t *conn, const char *name)
{
    merge_list_t *l = sq(conn)->merges;
    merge_t *m = l ? merge_lookup(l, name) : NULL;
    if (m && m->sites)
        return tqdb_conn_fail(conn, TQDB_ERR_MISUSE,
                              "tq_merge: the rows are in use");
    if (m)
        merge_free(l, m);
    return 0;
}

/* Registers the connection's SQL functions; *merges is its merge list
 * (owned by the connection: sq_close clears it), NULL when registering
 * failed. */
static int register_functions(sqlite3 *db, merge_list_t **merges)
{
    *merges = NULL;
    static int icase = 1;
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    int rc = sqlite3_create_function(db, "regexp", 2, flags, NULL, regexp_fn,
                                     NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "tq_iregexp", 2, flags, &icase,
                                     regexp_fn, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    merge_list_t *l = tq_xcalloc(1, sizeof *l);
    /* the list outlives every statement: freed as the connection closes
     * (at once when registering fails) */
    rc = sqlite3_create_function_v2(db, "tq_merge_finish", 1, SQLITE_UTF8,
                                    l, merge_finish_fn, NULL, NULL,
                                    merge_list_free);
    if (rc != SQLITE_OK)
        return rc;
    *merges = l;
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "tq_merge_load", -1, SQLITE_UTF8, l,
                                     NULL, merge_load_step, merge_load_final);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "tq_merge_has", 2, SQLITE_UTF8,
                                     l, merge_has_fn, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "tq_merge_value", 3, SQLITE_UTF8,
                                     l, merge_value_fn, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "tq_merge_take", 3, SQLITE_UTF8,
                                     l, merge_take_fn, NULL, NULL);
    return rc;
}

/* ---- connections */

static int progress(void *ud)
{
    tqdb_conn_t *c = ud;
    return c->stop ? c->stop(c->stop_ud) : 0;
}

/* The engine of every target no other engine claims. */
static bool sq_claims(const char *target)
{
    (void)target;
    return true;
}

/* True when the file at `path` is an SQLite database in WAL mode: bytes
 * 18 and 19 of its header (the write and read versions) are 2. */
static bool wal_mode_file(const char *path)
{
    unsigned char h[20];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    return n == sizeof h && h[18] == 2 && h[19] == 2;
}

/* The name to open a read-only connection by. A WAL database read by a
 * read-only connection gets -wal and -shm files that SQLite cannot remove
 * again (removing them needs a checkpoint, which is a write), so a WAL
 * database that no connection has open (no -wal file) is opened as
 * "file:PATH?immutable=1": no lock, no -shm, no -wal, nothing new next to
 * the file. The price, which db.h states: a write by another process
 * during the session is not seen, and one that checkpoints into the file
 * while a statement reads it can make that statement fail. A database
 * with a -wal file (a writer has it open, or crashed) is opened as it is:
 * its newest rows are in that file, and the -wal already exists. Returns
 * a malloc'd URI, or NULL to open `path` itself. */
static char *readonly_uri(const char *path)
{
    if (strncmp(path, "file:", 5) == 0 || !wal_mode_file(path))
        return NULL;
    char *wal = tq_xasprintf("%s-wal", path);
    struct stat st;
    bool has_wal = stat(wal, &st) == 0;
    free(wal);
    if (has_wal)
        return NULL;
    tq_buf_t b = {0};
    /* an absolute path after an empty authority, so that "//x" is
     * never read as a host */
    tq_buf_add(&b, path[0] == '/' ? "file://" : "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            tq_buf_printf(&b, "%%%02X", (unsigned char)*p);
        else
            tq_buf_addc(&b, *p);
    }
    tq_buf_add(&b, "?immutable=1");
    return tq_buf_take(&b);
}

static tqdb_conn_t *sq_open(const char *target, unsigned flags, char **error)
{
    const char *path = target && *target ? target : ":memory:";
    bool readonly = flags & TQDB_OPEN_READONLY;
    bool memory = strcmp(path, ":memory:") == 0;
    int oflags = readonly ? SQLITE_OPEN_READONLY
                          : SQLITE_OPEN_READWRITE |
                                ((flags & TQDB_OPEN_CREATE) || memory
                                     ? SQLITE_OPEN_CREATE : 0);
    /* one thread at a time (db.h): no mutex around every call, which
     * costs as much as reading a column (sqlite3_interrupt, the one call
     * from another thread, takes none) */
    oflags |= SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    /* A FIFO or a device would block open() or read as garbage. */
    struct stat st;
    if (!memory && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        *error = tq_xasprintf("cannot open database '%s': not a regular file",
                              path);
        return NULL;
    }
    sqlite3 *db = NULL;
    char *uri = readonly && !memory ? readonly_uri(path) : NULL;
    int rc = sqlite3_open_v2(uri ? uri : path, &db, oflags, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        *error = tq_xasprintf("cannot open database '%s': %s", path,
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
        *error = tq_xasprintf("cannot open database '%s': %s", path,
                              sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    /* Reads through a memory map of up to 256 MiB: scans of a large file
     * spend 20-35% less time copying pages (the pages are the page
     * cache's, shared, not the kernel's own memory). */
    if (!memory)
        sqlite3_exec(db, "PRAGMA mmap_size=" SQ_STR(SQ_MMAP_BYTES), NULL, NULL,
                     NULL);
    merge_list_t *merges;
    register_functions(db, &merges);
    sq_conn_t *c = tq_xcalloc(1, sizeof *c);
    c->merges = merges;
    c->head.engine = &tqdb_sqlite_engine;
    c->head.readonly = readonly;
    c->db = db;
    sqlite3_set_authorizer(db, authorize, c);
    sqlite3_progress_handler(db, 1000, progress, &c->head);
    return &c->head;
}

static void sq_close(tqdb_conn_t *conn)
{
    sq_conn_t *c = sq(conn);
    if (c->merges)
        merge_list_clear(c->merges);    /* cursors a failed cell left */
    sqlite3_close_v2(c->db);
    free(c);
}

static int sq_exec(tqdb_conn_t *conn, const char *sql)
{
    tqdb_conn_clear_error(conn);
    (void)merge_take_refusal(sq(conn)->merges);   /* none left over */
    return fail(conn, sqlite3_exec(handle(conn), sql, NULL, NULL, NULL));
}

/* The session's own transaction statements, which the guard lets by. */
static int internal_exec(tqdb_conn_t *conn, const char *sql)
{
    sq_conn_t *c = sq(conn);
    c->internal = true;
    int rc = sq_exec(conn, sql);
    c->internal = false;
    return rc;
}

static int sq_begin(tqdb_conn_t *conn)
{
    return internal_exec(conn, "BEGIN");
}

static int sq_commit(tqdb_conn_t *conn)
{
    return internal_exec(conn, "COMMIT");
}

static int sq_rollback(tqdb_conn_t *conn)
{
    return internal_exec(conn, "ROLLBACK");
}

/* Runs "<verb> <name>" for the savepoint statements. */
static int savepoint_stmt(tqdb_conn_t *conn, const char *verb,
                          const char *name)
{
    assert(name && *name);
    char *sql = tq_xasprintf("%s %s", verb, name);
    int rc = sq_exec(conn, sql);
    free(sql);
    return rc;
}

static int sq_savepoint(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "SAVEPOINT", name);
}

static int sq_release(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "RELEASE", name);
}

static int sq_rollback_to(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "ROLLBACK TO", name);
}

static bool sq_in_transaction(tqdb_conn_t *conn)
{
    return !sqlite3_get_autocommit(handle(conn));
}

static bool sq_wrote(tqdb_conn_t *conn)
{
    return sqlite3_txn_state(handle(conn), NULL) == SQLITE_TXN_WRITE;
}

static int64_t sq_schema_version(tqdb_conn_t *conn)
{
    sqlite3_stmt *stmt = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(handle(conn), "PRAGMA schema_version", -1, &stmt,
                           NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

static int64_t sq_changes(tqdb_conn_t *conn)
{
    return sqlite3_changes64(handle(conn));
}

static int64_t sq_total_changes(tqdb_conn_t *conn)
{
    return sqlite3_total_changes64(handle(conn));
}

static int64_t sq_last_insert_id(tqdb_conn_t *conn)
{
    return sqlite3_last_insert_rowid(handle(conn));
}

/* sqlite3_interrupt is safe from any thread and from a signal handler. */
static void sq_interrupt(tqdb_conn_t *conn)
{
    sqlite3_interrupt(handle(conn));
}

/* ---- cursors */

static int sq_prepare(tqdb_conn_t *conn, const char *sql, tqdb_cursor_t **out,
                      const char **tail)
{
    tqdb_conn_clear_error(conn);
    (void)merge_take_refusal(sq(conn)->merges);   /* none left over */
    sqlite3_stmt *stmt = NULL;
    *out = NULL;
    int rc = sqlite3_prepare_v2(handle(conn), sql, -1, &stmt, tail);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return fail(conn, rc);
    }
    if (!stmt)
        return 0;
    sq_cursor_t *cur = tq_xmalloc(sizeof *cur);
    cur->head.conn = conn;
    cur->stmt = stmt;
    *out = &cur->head;
    return 0;
}

static void sq_cursor_free(tqdb_cursor_t *cur)
{
    sqlite3_finalize(stmt_of(cur));
    free(cur);
}

static bool sq_cursor_readonly(tqdb_cursor_t *cur)
{
    return sqlite3_stmt_readonly(stmt_of(cur)) != 0;
}

static int sq_param_count(tqdb_cursor_t *cur)
{
    return sqlite3_bind_parameter_count(stmt_of(cur));
}

static const char *sq_param_name(tqdb_cursor_t *cur, int i)
{
    return sqlite3_bind_parameter_name(stmt_of(cur), i);
}

/* Binding's result: 0, or -1 with the error on the connection. */
static int bound(tqdb_cursor_t *cur, int rc)
{
    if (rc == SQLITE_OK)
        return 0;
    return fail(cur->conn, rc);
}

/* Binds `d`; its bytes are copied, or borrowed when `copy` is false. */
static int sq_bind(tqdb_cursor_t *cur, int i, const tqdb_datum_t *d,
                   bool copy)
{
    sqlite3_stmt *st = stmt_of(cur);
    sqlite3_destructor_type keep = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
    switch (d->type) {
    case TQDB_NULL: return bound(cur, sqlite3_bind_null(st, i));
    case TQDB_INT: return bound(cur, sqlite3_bind_int64(st, i, d->i));
    case TQDB_FLOAT: return bound(cur, sqlite3_bind_double(st, i, d->f));
    case TQDB_TEXT:
        return bound(cur, sqlite3_bind_text64(st, i, d->s,
                                              (sqlite3_uint64)d->len, keep,
                                              SQLITE_UTF8));
    case TQDB_BLOB:
        return bound(cur, sqlite3_bind_blob64(st, i, d->s, d->len, keep));
    }
    assert(!"unknown datum type");
    return -1;
}

static int sq_step(tqdb_cursor_t *cur)
{
    int rc = sqlite3_step(stmt_of(cur));
    if (rc == SQLITE_ROW)
        return TQDB_ROW;
    if (rc == SQLITE_DONE)
        return TQDB_DONE;
    return fail(cur->conn, rc);
}

static int sq_reset(tqdb_cursor_t *cur)
{
    return fail(cur->conn, sqlite3_reset(stmt_of(cur)));
}

static int sq_column_count(tqdb_cursor_t *cur)
{
    return sqlite3_column_count(stmt_of(cur));
}

static const char *sq_column_name(tqdb_cursor_t *cur, int col)
{
    const char *name = sqlite3_column_name(stmt_of(cur), col);
    return name ? name : "";
}

static const char *sq_column_decltype(tqdb_cursor_t *cur, int col)
{
    const char *t = sqlite3_column_decltype(stmt_of(cur), col);
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

static tqdb_type_t sq_column_type(tqdb_cursor_t *cur, int col)
{
    return type_of(sqlite3_column_type(stmt_of(cur), col));
}

static tqdb_datum_t sq_column(tqdb_cursor_t *cur, int col)
{
    sqlite3_stmt *st = stmt_of(cur);
    tqdb_datum_t d = {.type = sq_column_type(cur, col)};
    switch (d.type) {
    case TQDB_INT:
        d.i = sqlite3_column_int64(st, col);
        break;
    case TQDB_FLOAT:
        d.f = sqlite3_column_double(st, col);
        break;
    case TQDB_TEXT:
        d.s = (const char *)sqlite3_column_text(st, col);
        d.len = (size_t)sqlite3_column_bytes(st, col);
        if (!d.s) {             /* out of memory converting: NULL */
            d.type = TQDB_NULL;
            d.len = 0;
        }
        break;
    case TQDB_BLOB:
        d.s = sqlite3_column_blob(st, col);
        d.len = (size_t)sqlite3_column_bytes(st, col);
        if (!d.s)
            d.s = "";
        break;
    case TQDB_NULL:
        break;
    }
    return d;
}

static int64_t sq_column_int(tqdb_cursor_t *cur, int col)
{
    return sqlite3_column_int64(stmt_of(cur), col);
}

static double sq_column_float(tqdb_cursor_t *cur, int col)
{
    return sqlite3_column_double(stmt_of(cur), col);
}

static const char *sq_column_text(tqdb_cursor_t *cur, int col)
{
    return (const char *)sqlite3_column_text(stmt_of(cur), col);
}

static size_t sq_column_bytes(tqdb_cursor_t *cur, int col)
{
    return (size_t)sqlite3_column_bytes(stmt_of(cur), col);
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
            nt.schema = tq_xstrdup(schema);
            nt.name = tq_xstrdup(tname);
            nt.without_rowid = tqdb_column_int(cur, 1) != 0;
            TQ_PUSH(cat->tables, cat->ntables, *tcap, nt);
            t = &cat->tables[cat->ntables - 1];
            ccap = 0;
        }
        tqdb_column_info_t col = {0};
        col.name = tq_xstrdup(text_or_empty(cur, 2));
        col.decltype = tq_xstrdup(text_or_empty(cur, 3));
        col.notnull = tqdb_column_int(cur, 4) != 0;
        if (tqdb_column_type(cur, 5) != TQDB_NULL)
            col.dflt = tq_xstrdup(text_or_empty(cur, 5));
        col.pk = (int)tqdb_column_int(cur, 6);
        TQ_PUSH(t->cols, t->ncols, ccap, col);
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
        t->unique = tq_xrealloc(t->unique, (t->nunique + 1) * sizeof *t->unique);
        t->unique[t->nunique++] = tq_xstrdup(text_or_empty(cur, 1));
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
            .from = tq_xstrdup(text_or_empty(cur, 2)),
            .to_table = tq_xstrdup(text_or_empty(cur, 1)),
            .to = tqdb_column_type(cur, 3) == TQDB_NULL
                      ? NULL : tq_xstrdup(text_or_empty(cur, 3)),
        };
        t->fks = tq_xrealloc(t->fks, (t->nfks + 1) * sizeof *t->fks);
        t->fks[t->nfks++] = fk;
    }
    tqdb_cursor_free(&cur);
    return rc < 0 ? -1 : 0;
}

static int sq_catalog_read(tqdb_conn_t *conn, tqdb_catalog_t *out)
{
    size_t scap = 0, tcap = 0;
    tqdb_cursor_t *cur = catalog_query(conn,
        "SELECT name FROM pragma_database_list ORDER BY seq", NULL);
    if (!cur)
        return -1;
    int rc;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        const char *name = text_or_empty(cur, 0);
        if (strcmp(name, "temp"))
            TQ_PUSH(out->schemas, out->nschemas, scap, tq_xstrdup(name));
    }
    tqdb_cursor_free(&cur);
    if (rc < 0)
        goto fail;
    for (size_t i = 0; i < out->nschemas; i++)
        if (read_tables(conn, out, out->schemas[i], &tcap) < 0 ||
            read_unique(conn, out, out->schemas[i]) < 0 ||
            read_fks(conn, out, out->schemas[i]) < 0)
            goto fail;
    /* temp's tables and views, by name: they hide main's in SQL that
     * names no schema */
    cur = catalog_query(conn,
        "SELECT name, type = 'view' FROM pragma_table_list "
        "WHERE schema = ?1 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "AND type IN ('table', 'view') ORDER BY name", "temp");
    if (!cur)
        goto fail;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tqdb_table_info_t t = {0};
        t.schema = tq_xstrdup("temp");
        t.name = tq_xstrdup(text_or_empty(cur, 0));
        t.view = tqdb_column_int(cur, 1) != 0;
        TQ_PUSH(out->tables, out->ntables, tcap, t);
    }
    tqdb_cursor_free(&cur);
    if (rc < 0)
        goto fail;
    return 0;
fail:
    tqdb_catalog_clear(out);
    return -1;
}

/* The files of the main and attached databases (temp and in-memory ones
 * have none). */
/* The main database's memory map off (on false) or back to its size,
 * set on the file itself: the pager then reads pages the ordinary way,
 * into its bounded cache, and the pages mapped so far are unmapped. An
 * in-memory database has no file and no map. */
static void sq_read_once(tqdb_conn_t *conn, bool on)
{
    sq_conn_t *c = (sq_conn_t *)conn;
    sqlite3_int64 size = on ? 0 : SQ_MMAP_BYTES;
    const char *file = sqlite3_db_filename(c->db, "main");
    if (file && file[0])
        (void)sqlite3_file_control(c->db, "main", SQLITE_FCNTL_MMAP_SIZE,
                                   &size);
}

static char **sq_database_files(tqdb_conn_t *conn, size_t *n)
{
    *n = 0;
    sqlite3 *db = handle(conn);
    size_t cap = 4;
    char **files = tq_xcalloc(cap, sizeof *files);
    for (int i = 0;; i++) {
        const char *name = sqlite3_db_name(db, i);
        if (!name)
            break;
        const char *file = sqlite3_db_filename(db, name);
        if (!file || !*file)
            continue;
        if (*n == cap)
            files = tq_xrealloc(files, (cap *= 2) * sizeof *files);
        files[(*n)++] = tq_xstrdup(file);
    }
    return files;
}

/* ---- the table */

/* The row at once (tqdb_row): each column is read through sqlite3_column_value
 * once; the sqlite3_value_* accessors take no connection mutex, unlike
 * the sqlite3_column_* ones that tqdb_column calls twice per column. */
static void sq_row(tqdb_cursor_t *cur, int ncols, tqdb_datum_t *out)
{
    assert(cur && out && ncols >= 0);
    sqlite3_stmt *st = stmt_of(cur);
    for (int c = 0; c < ncols; c++) {
        sqlite3_value *v = sqlite3_column_value(st, c);
        tqdb_datum_t d = {.type = TQDB_NULL};
        switch (sqlite3_value_type(v)) {
        case SQLITE_INTEGER:
            d.type = TQDB_INT;
            d.i = sqlite3_value_int64(v);
            break;
        case SQLITE_FLOAT:
            d.type = TQDB_FLOAT;
            d.f = sqlite3_value_double(v);
            break;
        case SQLITE_TEXT:
            d.s = (const char *)sqlite3_value_text(v);
            d.len = (size_t)sqlite3_value_bytes(v);
            d.type = d.s ? TQDB_TEXT : TQDB_NULL;   /* NULL: out of memory */
            if (!d.s)
                d.len = 0;
            break;
        case SQLITE_BLOB:
            d.type = TQDB_BLOB;
            d.s = sqlite3_value_blob(v);
            d.len = (size_t)sqlite3_value_bytes(v);
            if (!d.s)
                d.s = "";
            break;
        }
        out[c] = d;
    }
}

/* ---- bulk loading: one prepared INSERT, run once per row */

typedef struct sq_bulk {
    tqdb_bulk_t head;
    sqlite3_stmt *stmt;
} sq_bulk_t;

static tqdb_bulk_t *sq_bulk_begin(tqdb_conn_t *conn, const char *table,
                                  const char *const *columns, int ncols)
{
    tq_buf_t sql = {0};
    tq_buf_add(&sql, "INSERT INTO main.");
    tqdb_bulk_target(&sql, table, columns, ncols);
    tq_buf_add(&sql, " VALUES (");
    for (int i = 0; i < ncols; i++)
        tq_buf_add(&sql, i ? ", ?" : "?");
    tq_buf_add(&sql, ")");
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(handle(conn), sql.s, -1, &stmt, NULL);
    tq_buf_free(&sql);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        fail(conn, rc);
        return NULL;
    }
    sq_bulk_t *b = tq_xcalloc(1, sizeof *b);
    b->stmt = stmt;
    return &b->head;
}

/* Binds the row without copies and runs the INSERT. A NUL inside text is
 * refused as PostgreSQL's engine refuses it, so a load means the same on
 * both engines. */
static int sq_bulk_row(tqdb_bulk_t *bulk, const tqdb_datum_t *row)
{
    sq_bulk_t *b = (sq_bulk_t *)bulk;
    tqdb_conn_t *conn = bulk->conn;
    int rc = SQLITE_OK;
    for (int i = 0; i < bulk->ncols && rc == SQLITE_OK; i++) {
        const tqdb_datum_t *d = &row[i];
        switch (d->type) {
        case TQDB_NULL: rc = sqlite3_bind_null(b->stmt, i + 1); break;
        case TQDB_INT: rc = sqlite3_bind_int64(b->stmt, i + 1, d->i); break;
        case TQDB_FLOAT:
            rc = sqlite3_bind_double(b->stmt, i + 1, d->f);
            break;
        case TQDB_TEXT:
            if (memchr(d->s, 0, d->len)) {
                sqlite3_reset(b->stmt);
                return tqdb_conn_fail(conn, TQDB_ERR_ERROR,
                    "a text value holds a NUL byte (\\0), which a "
                    "database text cannot hold");
            }
            rc = sqlite3_bind_text64(b->stmt, i + 1, d->s,
                                     (sqlite3_uint64)d->len, SQLITE_STATIC,
                                     SQLITE_UTF8);
            break;
        case TQDB_BLOB:
            rc = sqlite3_bind_blob64(b->stmt, i + 1, d->s, d->len,
                                     SQLITE_STATIC);
            break;
        }
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(b->stmt);
    if (rc != SQLITE_DONE) {
        fail(conn, rc);
        sqlite3_reset(b->stmt);
        return -1;
    }
    sqlite3_reset(b->stmt);
    return 0;
}

/* Every row already went in: nothing to commit, nothing to undo (the
 * caller's savepoint undoes an abandoned load). */
static int sq_bulk_end(tqdb_bulk_t *bulk, bool commit, int64_t *rows)
{
    sq_bulk_t *b = (sq_bulk_t *)bulk;
    if (rows)
        *rows = commit ? bulk->rows : 0;
    sqlite3_finalize(b->stmt);
    free(b);
    return 0;
}

const tqdb_engine_t tqdb_sqlite_engine = {
    .name = "sqlite",
    .claims = sq_claims,
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .in_transaction = sq_in_transaction,
    .wrote = sq_wrote,
    .schema_version = sq_schema_version,
    .changes = sq_changes,
    .total_changes = sq_total_changes,
    .last_insert_id = sq_last_insert_id,
    .interrupt = sq_interrupt,
    .prepare = sq_prepare,
    .cursor_free = sq_cursor_free,
    .cursor_readonly = sq_cursor_readonly,
    .param_count = sq_param_count,
    .param_name = sq_param_name,
    .bind = sq_bind,
    .step = sq_step,
    .reset = sq_reset,
    .column_count = sq_column_count,
    .column_name = sq_column_name,
    .column_decltype = sq_column_decltype,
    .column = sq_column,
    .column_type = sq_column_type,
    .column_int = sq_column_int,
    .column_float = sq_column_float,
    .column_text = sq_column_text,
    .column_bytes = sq_column_bytes,
    .row = sq_row,
    .catalog_read = sq_catalog_read,
    .database_files = sq_database_files,
    .read_once = sq_read_once,
    .bulk_begin = sq_bulk_begin,
    .bulk_row = sq_bulk_row,
    .bulk_end = sq_bulk_end,
    .merge_lend = sq_merge_lend,
    .merge_finish = sq_merge_finish,
};
