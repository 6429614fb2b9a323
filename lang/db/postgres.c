/*
 * This file is the PostgreSQL engine behind db.h (its table of operations,
 * engine.h, is tqdb_postgres_engine), and the only file of lang/ that calls
 * libpq. It claims postgresql:// and postgres:// URLs and libpq keyword
 * strings (see claims below and tqdb_open in db.h); libpq itself applies
 * the PG* environment variables and ~/.pgpass.
 *
 * What each connection gets on top of libpq:
 *  - at open: client_encoding UTF8, DateStyle ISO, TimeZone UTC (unless
 *    PGTZ names another), and on a read-only connection
 *    default_transaction_read_only (plus BEGIN READ ONLY, and a refusal of
 *    statements that would switch read-write back on);
 *  - cursors are server-side prepared statements (named tqN), prepared by
 *    tqdb_prepare so that errors and result columns are known at once, and
 *    run with PQsendQueryPrepared in single-row mode so a huge result never
 *    sits in memory. SQLite-style placeholders (?, ?NNN, :name) are
 *    translated to $n unless the statement already uses $n. libpq runs one
 *    command at a time: when another command needs the connection while a
 *    cursor is still streaming, that cursor's remaining rows are read into
 *    memory first (only such nested use buffers rows);
 *  - values come back as text and become datums by type OID (integers and
 *    bool -> INT, float and numeric -> FLOAT, bytea -> BLOB, everything
 *    else TEXT; timestamptz loses its "+00" suffix in UTC);
 *  - errors are sorted by SQLSTATE, and the common ones read as SQLite's
 *    own texts ("no such table: x", "UNIQUE constraint failed: t.c"...) so
 *    the same cells give the same errors on both engines;
 *  - every wait for the server polls the socket, so that the progress
 *    callback can stop a statement, which is then cancelled with PQcancel
 *    (also what tqdb_interrupt sends, from any thread or signal handler);
 *  - a lost connection fails the statement with OPERATIONAL; the next
 *    exec, begin or prepare tries PQreset once;
 *  - the target's password never appears in an error message
 *    (tq_mask_passwords, base/mask.h);
 *  - bulk loads (tqdb_bulk_*) stream through COPY FROM STDIN in its text
 *    format; a statement_timeout set through tqdb_set_statement_timeout
 *    is set again at every BEGIN and reconnection, and its cancellation
 *    (57014 "statement timeout") is OPERATIONAL, not an interrupt.
 * Server-side errors inside a transaction abort it, as PostgreSQL does;
 * the caller puts a savepoint around a statement whose failure it means
 * to survive.
 */
#include "db/db.h"
#include "db/engine.h"
#include "db/pg_claims.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "base/mask.h"

const tqdb_engine_t tqdb_postgres_engine;

/* Type OIDs (pg_type.dat) this file converts or names. */
enum {
    OID_BOOL = 16, OID_BYTEA = 17, OID_NAME = 19, OID_INT8 = 20,
    OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26,
    OID_JSON = 114, OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_BPCHAR = 1042,
    OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIME = 1083,
    OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_INTERVAL = 1186,
    OID_TIMETZ = 1266, OID_NUMERIC = 1700, OID_UUID = 2950,
    OID_JSONB = 3802,
};

/* Freed prepared statements wait in a list and are deallocated together
 * once this many have gathered (one round trip for all). */
#define DEAD_BATCH 32
/* How many rows reset or free reads from an unfinished result before
 * cancelling the rest instead. */
#define DRAIN_LIMIT 1000
/* How often (ms) a wait for the server calls the progress callback. */
#define POLL_MS 20

typedef struct pg_cursor pg_cursor_t;

/* A connection: db.h's head, then libpq's. */
typedef struct pg_conn {
    tqdb_conn_t head;
    PGconn *pg;
    PGcancel *volatile cancel;   /* for PQcancel, from any thread */
    PGcancel **retired;          /* earlier cancel objects, freed at close */
    size_t nretired;
    char *masked;                /* the target with its password masked */
    char **secrets;              /* password texts to scrub from messages */
    size_t nsecrets;
    bool wrote;                  /* a writing statement ran since BEGIN */
    int64_t changes, total_changes;
    unsigned generation;         /* bumped by each reconnection */
    unsigned next_name;          /* names of prepared statements */
    pg_cursor_t *active;         /* the cursor whose rows are streaming */
    bool stmt_sp;                /* savepoint tq_stmt is set (see arm) */
    bool ro_sp;                  /* ... with transaction_read_only set in
                                    it (a read-only session's read) */
    int64_t ro_base;             /* read-only session: rows written
                                    outside the temp schema as counted at
                                    BEGIN (nontemp_writes), or -1 */
    char **dead;                 /* statement names to DEALLOCATE */
    size_t ndead, deadcap;
    char *timeout;               /* statement_timeout as a SQL literal, or
                                    NULL: the server's own */
    volatile sig_atomic_t cancelled; /* a cancel was sent since settle */
} pg_conn_t;

typedef enum { CUR_IDLE, CUR_RUNNING, CUR_DONE } cur_state_t;

/* A cursor: db.h's head, then a prepared statement and its results. */
struct pg_cursor {
    tqdb_cursor_t head;
    char name[24];
    unsigned generation;         /* of the connection it was prepared on */
    char *sql;                   /* translated to $n placeholders */
    bool readonly;
    bool manages;                /* manages savepoints or the transaction */
    int nparams;
    char **pnames;               /* [1..nparams]: ":name", "?NNN" or NULL */
    Oid *ptypes;                 /* [0..nparams-1], from the server */
    const char **values;         /* bound values, [0..nparams-1] */
    char **owned;                /* the copies among them */
    int *lengths, *formats;
    int ncols;
    char **cnames, **cdecl;
    Oid *coids;
    cur_state_t state;
    PGresult *row;               /* the current row */
    tqdb_datum_t *cells;         /* the current row as datums */
    char **scratch;              /* converted bytes per column */
    size_t *scratch_cap;
    PGresult **buf;              /* results read ahead (see settle) */
    size_t nbuf, ibuf, bufcap;
    int rc;                      /* how the last run ended: 0 or -1 */
    tqdb_err_t err;              /* and its error, for reset */
    char *errmsg;
};

static pg_conn_t *pgc(tqdb_conn_t *conn)
{
    assert(conn->engine == &tqdb_postgres_engine);
    return (pg_conn_t *)conn;
}

static pg_cursor_t *pcur(tqdb_cursor_t *cur)
{
    assert(cur->conn->engine == &tqdb_postgres_engine);
    return (pg_cursor_t *)cur;
}

/* ---- the password mask */

typedef struct spans {
    size_t start[8], end[8];
    size_t n;
} spans_t;

static void add_span(void *ud, size_t start, size_t end)
{
    spans_t *s = ud;
    if (s->n < 8 && end > start) {
        s->start[s->n] = start;
        s->end[s->n] = end;
        s->n++;
    }
}

/* Decodes %XX escapes (a URL's password as libpq reads it). */
static char *percent_decode(const char *s, size_t n)
{
    char *out = tq_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = 0;
    return out;
}

/* The password texts of `target` (raw and decoded), to scrub from the
 * messages libpq writes, which may quote parts of the target. */
static void collect_secrets(pg_conn_t *c, const char *target)
{
    spans_t sp = {0};
    tq_password_spans(target, add_span, &sp);
    c->secrets = tq_xcalloc(2 * sp.n + 1, sizeof *c->secrets);
    for (size_t i = 0; i < sp.n; i++) {
        const char *v = target + sp.start[i];
        size_t n = sp.end[i] - sp.start[i];
        if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
            v++;
            n -= 2;
        }
        if (!n)
            continue;
        c->secrets[c->nsecrets++] = tq_xstrndup(v, n);
        char *dec = percent_decode(v, n);
        if (strcmp(dec, c->secrets[c->nsecrets - 1]))
            c->secrets[c->nsecrets++] = dec;
        else
            free(dec);
    }
}

/* Replaces every secret in `msg` (malloc'd, taken) by "***". */
static char *scrub(char **secrets, size_t nsecrets, char *msg)
{
    for (size_t i = 0; i < nsecrets; i++) {
        const char *sec = secrets[i];
        size_t n = strlen(sec);
        char *hit;
        while (n && (hit = strstr(msg, sec))) {
            char *m = tq_xasprintf("%.*s***%s", (int)(hit - msg), msg,
                                   hit + n);
            free(msg);
            msg = m;
        }
    }
    return msg;
}

/* libpq's multi-line message as one line: newlines and tabs become single
 * spaces, the trailing ones go. Malloc'd. */
static char *one_line(const char *msg)
{
    tq_buf_t b = {0};
    tq_buf_add(&b, "");
    bool space = false;
    for (const char *p = msg ? msg : ""; *p; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            space = b.len > 0;
            continue;
        }
        if (space && *p != ' ')
            tq_buf_addc(&b, ' ');
        space = false;
        tq_buf_addc(&b, *p);
    }
    return tq_buf_take(&b);
}

/* ---- errors */

/* Records `msg` (malloc'd, taken) as the connection's error, scrubbed of
 * the target's passwords. Returns -1. */
static int fail_text(pg_conn_t *c, tqdb_err_t err, char *msg)
{
    msg = scrub(c->secrets, c->nsecrets, msg);
    tqdb_conn_fail(&c->head, err, msg);
    free(msg);
    return -1;
}

/* Records the connection's own error (libpq's PQerrorMessage): a lost
 * connection is OPERATIONAL. */
static int fail_conn(pg_conn_t *c)
{
    char *msg = one_line(PQerrorMessage(c->pg));
    if (!*msg) {
        free(msg);
        msg = tq_xstrdup("server closed the connection unexpectedly");
    }
    tqdb_err_t err = PQstatus(c->pg) == CONNECTION_BAD ? TQDB_ERR_OPERATIONAL
                                                        : TQDB_ERR_ERROR;
    return fail_text(c, err, msg);
}

/* The text between the first pair of double quotes of `msg`, or NULL. */
static char *quoted(const char *msg)
{
    const char *a = strchr(msg, '"');
    const char *b = a ? strchr(a + 1, '"') : NULL;
    return b ? tq_xstrndup(a + 1, (size_t)(b - a - 1)) : NULL;
}

/* "UNIQUE constraint failed: t.a, t.b" from DETAIL "Key (a, b)=(...)". */
static char *unique_text(const char *table, const char *detail)
{
    const char *k = detail ? strstr(detail, "Key (") : NULL;
    const char *e = k ? strstr(k, ")=(") : NULL;
    if (!table || !e)
        return NULL;
    tq_buf_t b = {0};
    tq_buf_add(&b, "UNIQUE constraint failed: ");
    const char *p = k + 5;
    while (p < e) {
        const char *comma = strstr(p, ", ");
        if (!comma || comma > e)
            comma = e;
        if (b.s[b.len - 1] != ' ')
            tq_buf_add(&b, ", ");
        tq_buf_printf(&b, "%s.%.*s", table, (int)(comma - p), p);
        p = comma < e ? comma + 2 : e;
    }
    return tq_buf_take(&b);
}

/* The category and message of a failed result, SQLite's texts for the
 * errors whose cells must read the same on both engines. */
static int fail_result(pg_conn_t *c, const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                            : NULL;
    if (!state || !primary)
        return fail_conn(c);
    const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
    const char *column = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
    const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    tqdb_err_t err = TQDB_ERR_ERROR;
    char *msg = NULL;
    if (!strncmp(state, "23", 2)) {
        err = TQDB_ERR_INTEGRITY;
        if (!strcmp(state, "23505"))
            msg = unique_text(table, detail);
        else if (!strcmp(state, "23502") && table && column)
            msg = tq_xasprintf("NOT NULL constraint failed: %s.%s", table,
                               column);
        else if (!strcmp(state, "23503"))
            msg = tq_xstrdup("FOREIGN KEY constraint failed");
        else if (!strcmp(state, "23514") && constraint)
            msg = tq_xasprintf("CHECK constraint failed: %s", constraint);
    } else if (!strcmp(state, "25006")) {
        err = TQDB_ERR_READONLY;
        msg = tq_xstrdup("attempt to write a readonly database");
    } else if (!strcmp(state, "57014") &&
               (strstr(primary, "statement timeout") ||
                (c->timeout && !c->cancelled))) {
        /* statement_timeout is no interrupt: the server gave up (told by
         * its English text, or by no cancel of ours when lc_messages
         * speaks another language) */
        err = TQDB_ERR_OPERATIONAL;
        msg = tq_xstrdup("canceling statement due to statement timeout");
    } else if (!strcmp(state, "57014")) {
        err = TQDB_ERR_INTERRUPTED;
        if (strstr(primary, "user request"))
            msg = tq_xstrdup("interrupted");
    } else if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
               !strncmp(state, "53", 2) || !strncmp(state, "40", 2)) {
        err = TQDB_ERR_OPERATIONAL;
    } else if (!strcmp(state, "42P01")) {
        char *name = quoted(primary);
        if (name)
            msg = tq_xasprintf("no such table: %s", name);
        free(name);
    } else if (!strcmp(state, "42703")) {
        /* column "y" does not exist / column t.y does not exist */
        char *name = quoted(primary);
        if (!name && !strncmp(primary, "column ", 7)) {
            const char *e = strstr(primary, " does not exist");
            if (e)
                name = tq_xstrndup(primary + 7, (size_t)(e - primary - 7));
        }
        if (name)
            msg = tq_xasprintf("no such column: %s", name);
        free(name);
    } else if (!strcmp(state, "42883") && !strncmp(primary, "function ", 9)) {
        size_t n = strcspn(primary + 9, "(");
        msg = tq_xasprintf("no such function: %.*s", (int)n, primary + 9);
    }
    if (PQstatus(c->pg) == CONNECTION_BAD)
        err = TQDB_ERR_OPERATIONAL;
    return fail_text(c, err, msg ? msg : tq_xstrdup(primary));
}

/* ---- the SQL scanner */

/* What scanning one statement found. */
typedef struct scan {
    tq_buf_t out;              /* the statement with $n placeholders */
    const char *tail;          /* where the next statement starts */
    bool empty;                /* nothing but white space and comments */
    int nparams;               /* the highest placeholder number */
    char **names;              /* [1..nparams]: a name or NULL */
    size_t namecap;
    char first[16];            /* the first keyword, lower case */
    bool dml;                  /* insert, update, delete or merge appears */
    bool into;                 /* SELECT ... INTO creates a table */
    bool sequence;             /* nextval or setval appears */
    bool analyze;              /* EXPLAIN ANALYZE runs the statement */
    bool toggles_readonly;     /* "read write" or "read_only" appears, or
                                  a large-object function that writes
                                  (PostgreSQL lets those run inside a
                                  READ ONLY transaction) */
    int nwords;                /* words seen so far */
    bool rollback_to;          /* ROLLBACK [WORK|TRANSACTION] TO ... */
} scan_t;

static bool ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_' ||
           (unsigned char)ch >= 0x80;
}

/* Sets parameter `n`'s name (NULL: positional). */
static void scan_param(scan_t *s, int n, const char *name)
{
    if ((size_t)n + 1 > s->namecap) {
        size_t cap = s->namecap ? s->namecap : 8;
        while (cap < (size_t)n + 1)
            cap *= 2;
        s->names = tq_xrealloc(s->names, cap * sizeof *s->names);
        memset(s->names + s->namecap, 0,
               (cap - s->namecap) * sizeof *s->names);
        s->namecap = cap;
    }
    if (name && !s->names[n])
        s->names[n] = tq_xstrdup(name);
    if (n > s->nparams)
        s->nparams = n;
}

/* The number of the named parameter `name` (":x"), given one if new. */
static int named_param(scan_t *s, const char *name)
{
    for (int i = 1; i <= s->nparams; i++)
        if (s->names[i] && !strcmp(s->names[i], name))
            return i;
    int n = s->nparams + 1;
    scan_param(s, n, name);
    return n;
}

/* The end of the quoted or commented span starting at `p`, or NULL when
 * `p` starts none: '...', E'...', "...", -- ..., nested slash-star
 * comments and $tag$...$tag$. */
static const char *skip_span(const char *start, const char *p)
{
    if (*p == '\'' || ((*p == 'E' || *p == 'e') && p[1] == '\'' &&
                       (p == start || !ident_char(p[-1])))) {
        bool backslash = *p != '\'';
        p += backslash ? 2 : 1;
        while (*p) {
            if (backslash && *p == '\\' && p[1])
                p += 2;
            else if (*p == '\'' && p[1] == '\'')
                p += 2;
            else if (*p == '\'')
                return p + 1;
            else
                p++;
        }
        return p;
    }
    if (*p == '"') {
        for (p++; *p; p++)
            if (*p == '"') {
                if (p[1] != '"')
                    return p + 1;
                p++;
            }
        return p;
    }
    if (p[0] == '-' && p[1] == '-') {
        while (*p && *p != '\n')
            p++;
        return p;
    }
    if (p[0] == '/' && p[1] == '*') {
        int depth = 0;
        while (*p) {
            if (p[0] == '/' && p[1] == '*') {
                depth++;
                p += 2;
            } else if (p[0] == '*' && p[1] == '/') {
                p += 2;
                if (--depth == 0)
                    return p;
            } else {
                p++;
            }
        }
        return p;
    }
    if (*p == '$' && (p == start || !ident_char(p[-1])) &&
        !isdigit((unsigned char)p[1])) {
        const char *q = p + 1;
        while (ident_char(*q) && *q != '$')
            q++;
        if (*q != '$')
            return NULL;
        size_t taglen = (size_t)(q - p + 1);
        for (const char *r = q + 1; *r; r++)
            if (*r == '$' && !strncmp(r, p, taglen))
                return r + taglen;
        return p + strlen(p);
    }
    return NULL;
}

/* Whether the statement from `p` uses PostgreSQL's own $n placeholders
 * (then ? and :name stay as they are: jsonb's ? operator, casts). */
static bool uses_dollar_params(const char *start, const char *end)
{
    for (const char *p = start; p + 1 < end;) {
        const char *q = skip_span(start, p);
        if (q) {
            p = q;
            continue;
        }
        if (*p == '$' && isdigit((unsigned char)p[1]) &&
            (p == start || !ident_char(p[-1])))
            return true;
        p++;
    }
    return false;
}

/* Notes a word of the statement: its first keyword, and the words that
 * tell whether it writes (reads_only) or would switch read-write on. */
static void scan_word(scan_t *s, const char *w, size_t n, const char *prev,
                      size_t prevn)
{
    char lw[32];
    if (n >= sizeof lw)
        return;
    for (size_t i = 0; i < n; i++)
        lw[i] = (char)tolower((unsigned char)w[i]);
    lw[n] = 0;
    if (!s->first[0] && n < sizeof s->first)
        memcpy(s->first, lw, n + 1);
    s->nwords++;
    if (!strcmp(s->first, "rollback") && !strcmp(lw, "to") &&
        s->nwords <= 3)
        s->rollback_to = true;
    if (!strcmp(lw, "insert") || !strcmp(lw, "update") ||
        !strcmp(lw, "delete") || !strcmp(lw, "merge"))
        s->dml = true;
    else if (!strcmp(lw, "into"))
        s->into = true;
    else if (!strcmp(lw, "nextval") || !strcmp(lw, "setval"))
        s->sequence = true;
    else if (!strcmp(lw, "analyze") || !strcmp(lw, "analyse"))
        s->analyze = true;
    if ((strcmp(s->first, "show") &&
         (!strcmp(lw, "read_only") || !strcmp(lw, "transaction_read_only") ||
          !strcmp(lw, "default_transaction_read_only") ||
          !strcmp(lw, "session_authorization") ||
          (!strcmp(lw, "write") && prevn == 4 &&
           !strncasecmp(prev, "read", 4)))))
        s->toggles_readonly = true;
}

/* Whether the text names a large-object function that writes, anywhere
 * (quoted, in a string, in a DO block's body): PostgreSQL runs those
 * inside a READ ONLY transaction, so a read-only connection refuses any
 * statement that mentions one. */
static bool names_lo_write(const char *sql, size_t n)
{
    static const char *const names[] = {
        "lo_create", "lo_creat", "lo_import", "lo_export", "lo_from_bytea",
        "lo_put", "lo_unlink", "lowrite", "lo_truncate",
    };
    for (size_t i = 0; i < n; i++) {
        if (i && (isalnum((unsigned char)sql[i - 1]) || sql[i - 1] == '_'))
            continue;
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            size_t len = strlen(names[k]);
            if (len <= n - i && !strncasecmp(sql + i, names[k], len))
                return true;
        }
    }
    return false;
}

/* Scans the first statement of `sql` up to its ';' (scan_t). */
static void scan_statement(const char *sql, scan_t *s)
{
    memset(s, 0, sizeof *s);
    tq_buf_add(&s->out, "");
    s->empty = true;
    const char *end = sql;
    while (*end) {
        const char *q = skip_span(sql, end);
        if (q) {
            end = q;
            continue;
        }
        if (*end == ';')
            break;
        end++;
    }
    bool translate = !uses_dollar_params(sql, end);
    const char *prev = NULL;
    size_t prevn = 0;
    const char *p = sql;
    while (p < end) {
        const char *q = skip_span(sql, p);
        if (q) {
            bool comment = (*p == '-' && p[1] == '-') || (*p == '/' && p[1] == '*');
            if (!comment)
                s->empty = false;
            tq_buf_addn(&s->out, p, (size_t)(q - p));
            p = q;
            continue;
        }
        if (!isspace((unsigned char)*p))
            s->empty = false;
        if (translate && *p == '?') {
            const char *d = p + 1;
            int n;
            if (isdigit((unsigned char)*d)) {
                n = (int)strtol(d, NULL, 10);
                while (isdigit((unsigned char)*d))
                    d++;
                char *name = tq_xstrndup(p, (size_t)(d - p));
                scan_param(s, n, name);
                free(name);
            } else {
                n = s->nparams + 1;
                scan_param(s, n, NULL);
            }
            tq_buf_printf(&s->out, "$%d", n);
            p = d;
            continue;
        }
        if (translate && *p == ':' && (p == sql || p[-1] != ':') &&
            (isalpha((unsigned char)p[1]) || p[1] == '_')) {
            const char *d = p + 1;
            while (ident_char(*d))
                d++;
            char *name = tq_xstrndup(p, (size_t)(d - p));
            tq_buf_printf(&s->out, "$%d", named_param(s, name));
            free(name);
            p = d;
            continue;
        }
        if (*p == '$' && isdigit((unsigned char)p[1])) {
            const char *d = p + 1;
            int n = (int)strtol(d, NULL, 10);
            while (isdigit((unsigned char)*d))
                d++;
            scan_param(s, n, NULL);
            tq_buf_addn(&s->out, p, (size_t)(d - p));
            p = d;
            continue;
        }
        if (isalpha((unsigned char)*p) || *p == '_') {
            const char *d = p;
            while (ident_char(*d))
                d++;
            scan_word(s, p, (size_t)(d - p), prev, prevn);
            prev = p;
            prevn = (size_t)(d - p);
            tq_buf_addn(&s->out, p, (size_t)(d - p));
            p = d;
            continue;
        }
        tq_buf_addc(&s->out, *p++);
    }
    s->tail = *end == ';' ? end + 1 : end;
    if (names_lo_write(sql, (size_t)(s->tail - sql)))
        s->toggles_readonly = true;
}

static void scan_clear(scan_t *s)
{
    free(s->out.s);
    for (size_t i = 0; i < s->namecap; i++)
        free(s->names[i]);
    free(s->names);
    memset(s, 0, sizeof *s);
}

/* Whether the statement only reads, judged from its words: queries
 * (SELECT without INTO, VALUES, TABLE, WITH without a data-changing
 * part), EXPLAIN without ANALYZE of one, SHOW, settings, transaction
 * control and cursor commands. A SELECT of a function that writes is
 * missed unless it is nextval or setval. */
static bool reads_only(const scan_t *s)
{
    static const char *const control[] = {
        "show", "set", "reset", "begin", "start", "commit", "end",
        "rollback", "abort", "savepoint", "release", "fetch", "move",
        "close", "declare", "listen", "unlisten", "discard", "deallocate",
    };
    const char *f = s->first;
    if (!f[0])
        return true;
    if (!strcmp(f, "select") || !strcmp(f, "values") || !strcmp(f, "table"))
        return !s->into && !s->sequence;
    if (!strcmp(f, "with"))
        return !s->dml && !s->into && !s->sequence;
    if (!strcmp(f, "explain"))
        return !s->analyze || (!s->dml && !s->into && !s->sequence);
    for (size_t i = 0; i < sizeof control / sizeof *control; i++)
        if (!strcmp(f, control[i]))
            return true;
    return false;
}

/* ---- read-only sessions
 *
 * A read-only connection (TQDB_OPEN_READONLY) must refuse every write to
 * the database while frames, which live in TEMP tables, keep working.
 * PostgreSQL's READ ONLY transactions refuse CREATE TEMP TABLE, and a
 * transaction cannot turn read-write again once it has run a query, but
 * a subtransaction can turn read-only and its rollback turns it back. So
 * a read-only session's cell transaction is read-write, and:
 *  - a statement that only reads (reads_only) runs inside its statement
 *    savepoint with SET LOCAL transaction_read_only = on, and the next
 *    command rolls back to that savepoint rather than releasing it
 *    (nothing a read did is kept; the transaction is read-write again):
 *    the server itself refuses whatever such a statement would write,
 *    functions included;
 *  - a statement that writes only TEMP objects (temp_write: CREATE TEMP
 *    ..., or INSERT, UPDATE, DELETE, ALTER TABLE, DROP TABLE, TRUNCATE of
 *    tables named pg_temp.X) runs read-write;
 *  - any other write is refused before it runs;
 *  - COMMIT first asks the server whether the transaction changed a row
 *    of a table outside the temp schema (a function called from a temp
 *    write) and rolls back instead when it did: the pg_stat_xact counts
 *    against those taken at BEGIN (they need track_counts, on by
 *    default; a function's DDL is not counted).
 * Outside a transaction default_transaction_read_only applies. */

/* The next word or "quoted" identifier of `p` after spaces and comments:
 * its start in *w and length in *n (0 at the end or before a symbol); the
 * text after it. */
static const char *next_word(const char *p, const char **w, size_t *n)
{
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else {
            break;
        }
    }
    *w = p;
    if (*p == '"') {
        const char *e = p + 1;
        while (*e && !(*e == '"' && e[1] != '"'))
            e += *e == '"' ? 2 : 1;
        *n = *e ? (size_t)(e + 1 - p) : 0;
        return *e ? e + 1 : e;
    }
    const char *e = p;
    while (ident_char(*e))
        e++;
    *n = (size_t)(e - p);
    return e;
}

/* Whether word (w, n) is `kw` (lower case), unquoted. */
static bool word_is(const char *w, size_t n, const char *kw)
{
    return n == strlen(kw) && !strncasecmp(w, kw, n);
}

/* Whether `p` starts with a table named in the temp schema: pg_temp.X or
 * "pg_temp".X; sets *after past it. */
static bool temp_name(const char *p, const char **after)
{
    const char *w;
    size_t n;
    p = next_word(p, &w, &n);
    if (!(word_is(w, n, "pg_temp") ||
          (n == 9 && !strncmp(w, "\"pg_temp\"", 9))) || *p != '.')
        return false;
    p = next_word(p + 1, &w, &n);
    *after = p;
    return n > 0;
}

/* Whether statement `sql` writes TEMP objects only, judged from its
 * words: CREATE [LOCAL|GLOBAL] TEMP|TEMPORARY ...; INSERT INTO, UPDATE
 * [ONLY], DELETE FROM [ONLY], ALTER TABLE [IF EXISTS] [ONLY] of pg_temp.X;
 * DROP TABLE [IF EXISTS] and TRUNCATE [TABLE] [ONLY] of pg_temp names
 * only. */
static bool temp_write(const char *sql)
{
    const char *w;
    size_t n;
    const char *p = next_word(sql, &w, &n);
    if (word_is(w, n, "create")) {
        p = next_word(p, &w, &n);
        if (word_is(w, n, "local") || word_is(w, n, "global"))
            p = next_word(p, &w, &n);
        return word_is(w, n, "temp") || word_is(w, n, "temporary");
    }
    bool list = false;
    if (word_is(w, n, "insert") || word_is(w, n, "delete")) {
        p = next_word(p, &w, &n);
        if (!word_is(w, n, "into") && !word_is(w, n, "from"))
            return false;
    } else if (word_is(w, n, "alter") || word_is(w, n, "drop")) {
        list = word_is(w, n, "drop");
        p = next_word(p, &w, &n);
        if (!word_is(w, n, "table"))
            return false;
    } else if (word_is(w, n, "truncate")) {
        list = true;
        const char *q = next_word(p, &w, &n);
        if (word_is(w, n, "table"))
            p = q;
    } else if (!word_is(w, n, "update")) {
        return false;
    }
    /* IF EXISTS, ONLY */
    const char *q = next_word(p, &w, &n);
    if (word_is(w, n, "if")) {
        q = next_word(q, &w, &n);
        if (!word_is(w, n, "exists"))
            return false;
        p = q;
        q = next_word(p, &w, &n);
    }
    if (word_is(w, n, "only"))
        p = q;
    for (;;) {
        if (!temp_name(p, &p))
            return false;
        while (isspace((unsigned char)*p))
            p++;
        if (!list || *p != ',')
            return !list || !*p || *p == ';' || isalpha((unsigned char)*p);
        p++;
    }
}

/* Whether the statement begins or ends the transaction (BEGIN, START,
 * COMMIT, END, ABORT, ROLLBACK but not ROLLBACK TO), which the
 * transaction guard refuses. */
static bool ends_or_begins(const scan_t *s)
{
    const char *f = s->first;
    return !strcmp(f, "begin") || !strcmp(f, "start") ||
           !strcmp(f, "commit") || !strcmp(f, "end") ||
           !strcmp(f, "abort") || (!strcmp(f, "rollback") && !s->rollback_to);
}

/* Whether the statement manages savepoints (SAVEPOINT, RELEASE, ROLLBACK
 * TO) or the transaction: the statement savepoint stays out of its way. */
static bool manages_transaction(const scan_t *s)
{
    return ends_or_begins(s) || !strcmp(s->first, "savepoint") ||
           !strcmp(s->first, "release") || s->rollback_to ||
           !strcmp(s->first, "prepare") || !strcmp(s->first, "set");
}

/* ---- waiting for the server */

/* Sends the cancel request (signal-safe: PQcancel on the object made at
 * connection time). */
static void send_cancel(pg_conn_t *c)
{
    PGcancel *k = c->cancel;
    char errbuf[256];
    c->cancelled = 1;
    if (k)
        PQcancel(k, errbuf, sizeof errbuf);
}

/* The next result of the command in flight (NULL: none left), waiting
 * with a polled socket so that the progress callback runs every POLL_MS
 * and can cancel the command. */
static PGresult *next_result(pg_conn_t *c)
{
    bool cancelled = false;
    while (PQisBusy(c->pg)) {
        struct pollfd pfd = {.fd = PQsocket(c->pg), .events = POLLIN};
        if (pfd.fd < 0)
            break;
        bool ask = c->head.stop && !cancelled;
        int n = poll(&pfd, 1, ask ? POLL_MS : -1);
        if (n < 0 && errno != EINTR)
            break;
        if (ask && c->head.stop(c->head.stop_ud)) {
            send_cancel(c);
            cancelled = true;
        }
        if (n > 0 && !PQconsumeInput(c->pg))
            break;
    }
    return PQgetResult(c->pg);
}

/* Reads and drops the results left of the command in flight. */
static void discard_results(pg_conn_t *c)
{
    PGresult *r;
    while ((r = next_result(c))) {
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_COPY_IN)
            PQputCopyEnd(c->pg, "COPY FROM STDIN is not supported here");
        else if (st == PGRES_COPY_OUT) {
            char *buf;
            while (PQgetCopyData(c->pg, &buf, 0) > 0)
                PQfreemem(buf);
        } else if (st == PGRES_COPY_BOTH) {
            break;
        }
        if (PQstatus(c->pg) == CONNECTION_BAD)
            break;
    }
}

/* Counts the rows a finished INSERT/UPDATE/DELETE/MERGE changed. */
static void count_changes(pg_conn_t *c, const PGresult *r)
{
    const char *tag = PQcmdStatus((PGresult *)r);
    if (strncmp(tag, "INSERT", 6) && strncmp(tag, "UPDATE", 6) &&
        strncmp(tag, "DELETE", 6) && strncmp(tag, "MERGE", 5))
        return;
    c->changes = strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
    c->total_changes += c->changes;
}

static void cursor_read_rest(pg_cursor_t *cur);
static int session_setup(pg_conn_t *c);
static void recover(pg_conn_t *c);

/* Makes the connection ready for a new command: the streaming cursor, if
 * any, reads its remaining rows into memory, freed statements are
 * deallocated, and a lost connection is reset once. 0 or -1. */
static int settle(pg_conn_t *c)
{
    c->cancelled = 0;
    if (c->active)
        cursor_read_rest(c->active);
    assert(!c->active);
    if (PQstatus(c->pg) == CONNECTION_OK)
        recover(c);
    if (PQstatus(c->pg) == CONNECTION_BAD) {
        PQreset(c->pg);
        if (PQstatus(c->pg) != CONNECTION_OK) {
            char *m = one_line(PQerrorMessage(c->pg));
            char *msg = tq_xasprintf("cannot reconnect to '%s': %s",
                                     c->masked, m);
            free(m);
            return fail_text(c, TQDB_ERR_OPERATIONAL, msg);
        }
        c->generation++;
        c->wrote = false;
        c->stmt_sp = c->ro_sp = false;
        for (size_t i = 0; i < c->ndead; i++)
            free(c->dead[i]);
        c->ndead = 0;
        if (session_setup(c) < 0)
            return -1;
    }
    if (c->ndead >= DEAD_BATCH &&
        PQtransactionStatus(c->pg) != PQTRANS_INERROR) {
        tq_buf_t b = {0};
        for (size_t i = 0; i < c->ndead; i++) {
            tq_buf_printf(&b, "DEALLOCATE %s;", c->dead[i]);
            free(c->dead[i]);
        }
        c->ndead = 0;
        if (PQsendQuery(c->pg, b.s))
            discard_results(c);
        free(b.s);
    }
    return 0;
}

/* Runs `sql` (statements separated by ';', the simple protocol). 0 or -1
 * with the first error. */
static int run(pg_conn_t *c, const char *sql)
{
    tqdb_conn_clear_error(&c->head);
    if (settle(c) < 0)
        return -1;
    if (!PQsendQuery(c->pg, sql))
        return fail_conn(c);
    int rc = 0;
    PGresult *r;
    while ((r = next_result(c))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_FATAL_ERROR && rc == 0)
            rc = fail_result(c, r);
        else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            count_changes(c, r);
        PQclear(r);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
            discard_results(c);
            if (rc == 0)
                rc = fail_text(c, TQDB_ERR_ERROR,
                               tq_xstrdup("COPY to or from the client is not "
                                          "supported here"));
            break;
        }
        if (PQstatus(c->pg) == CONNECTION_BAD)
            break;
    }
    if (rc == 0 && PQstatus(c->pg) == CONNECTION_BAD)
        rc = fail_conn(c);
    return rc;
}

/* Drops the server's notices (WARNING: there is no transaction in
 * progress...): the kernel's stderr is no place for them. */
static void quiet(void *ud, const char *message)
{
    (void)ud;
    (void)message;
}

/* Sets what every connection expects (see the top of this file); after a
 * reconnection too. 0 or -1. */
static int session_setup(pg_conn_t *c)
{
    PQsetNoticeProcessor(c->pg, quiet, NULL);
    PGcancel *old = c->cancel;
    c->cancel = PQgetCancel(c->pg);
    if (old) {
        c->retired = tq_xrealloc(c->retired,
                                 (c->nretired + 1) * sizeof *c->retired);
        c->retired[c->nretired++] = old;
    }
    tq_buf_t b = {0};
    tq_buf_add(&b, "SET DateStyle = ISO; SET IntervalStyle = postgres;");
    if (!getenv("PGTZ"))
        tq_buf_add(&b, "SET TimeZone = 'UTC';");
    if (c->head.readonly)
        tq_buf_add(&b, "SET default_transaction_read_only = on;");
    if (c->timeout)
        tq_buf_printf(&b, "SET statement_timeout = %s;", c->timeout);
    int rc = PQsendQuery(c->pg, b.s) ? 0 : -1;
    free(b.s);
    PGresult *r;
    while ((r = next_result(c))) {
        if (PQresultStatus(r) == PGRES_FATAL_ERROR && rc == 0)
            rc = fail_result(c, r);
        PQclear(r);
    }
    return rc;
}

/* The transaction guard's refusal (tqdb_guard_transaction), SQLite's
 * engine's words. -1. */
static int fail_guard(pg_conn_t *c)
{
    return fail_text(c, TQDB_ERR_MISUSE, tq_xstrdup(
        "a cell runs in one transaction of its own: it commits when "
        "it succeeds and rolls back when it fails, so BEGIN, COMMIT, "
        "END and ROLLBACK are refused inside it (SAVEPOINT, RELEASE "
        "and ROLLBACK TO work)"));
}

/* ---- the statement savepoint
 *
 * PostgreSQL aborts the whole transaction on any error, where SQLite
 * undoes only the failed statement. So that a cell can catch a
 * DatabaseError and go on, each statement run inside a transaction
 * (tqdb_exec, each run of a cursor, each prepare) is preceded by a
 * savepoint tq_stmt ("RELEASE SAVEPOINT tq_stmt; SAVEPOINT tq_stmt" when
 * the previous one is still there: one round trip), and the next command
 * after a failure first rolls back to it (recover). Statements that
 * manage savepoints or the transaction themselves release it first and
 * run without one, so that a user's savepoints nest as written. */

/* Sends `sql` through the simple protocol and reads its results; true
 * when every statement succeeded. The connection's error is untouched. */
static bool run_quiet(pg_conn_t *c, const char *sql)
{
    if (!PQsendQuery(c->pg, sql))
        return false;
    bool ok = true;
    PGresult *r;
    while ((r = next_result(c))) {
        if (PQresultStatus(r) == PGRES_FATAL_ERROR)
            ok = false;
        PQclear(r);
    }
    return ok;
}

/* After a failed statement inside a transaction: back to the statement
 * savepoint, which leaves the transaction usable. */
static void recover(pg_conn_t *c)
{
    if (c->stmt_sp && PQtransactionStatus(c->pg) == PQTRANS_INERROR) {
        if (!run_quiet(c, "ROLLBACK TO SAVEPOINT tq_stmt"))
            c->stmt_sp = false;
        c->ro_sp = false;        /* the rollback undid its SET LOCAL */
    }
    if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
        c->stmt_sp = c->ro_sp = false;
}

/* Before a statement: a fresh statement savepoint when inside a
 * transaction; `ro`: one in which the statement runs read-only (a
 * read-only session's read). The savepoint of a read-only statement is
 * rolled back rather than released (see read-only sessions). */
static void arm_ro(pg_conn_t *c, bool ro)
{
    if (PQtransactionStatus(c->pg) != PQTRANS_INTRANS) {
        c->stmt_sp = c->ro_sp = false;
        return;
    }
    tq_buf_t b = {0};
    if (c->stmt_sp && c->ro_sp)
        tq_buf_add(&b, "ROLLBACK TO SAVEPOINT tq_stmt; ");
    if (c->stmt_sp)
        tq_buf_add(&b, "RELEASE SAVEPOINT tq_stmt; ");
    tq_buf_add(&b, "SAVEPOINT tq_stmt");
    if (ro)
        tq_buf_add(&b, "; SET LOCAL transaction_read_only = on");
    c->stmt_sp = run_quiet(c, b.s);
    c->ro_sp = c->stmt_sp && ro;
    tq_buf_free(&b);
}

static void arm(pg_conn_t *c)
{
    arm_ro(c, false);
}

/* Before a statement that manages savepoints or the transaction: the
 * statement savepoint goes (the transaction keeps what it did; a
 * read-only one is rolled back, which keeps nothing). */
static void disarm(pg_conn_t *c)
{
    if (c->stmt_sp && PQtransactionStatus(c->pg) == PQTRANS_INTRANS)
        run_quiet(c, c->ro_sp ? "ROLLBACK TO SAVEPOINT tq_stmt; RELEASE "
                                "SAVEPOINT tq_stmt"
                              : "RELEASE SAVEPOINT tq_stmt");
    c->stmt_sp = c->ro_sp = false;
}

/* ---- connections */

/* The engine claims PostgreSQL's targets by pg_claims.h's rule (the one
 * the loader, pg_loader.c, applies before loading this module). */
static bool pg_claims(const char *target)
{
    return tqdb_pg_claims(target);
}

static void conn_free(pg_conn_t *c)
{
    if (c->cancel)
        PQfreeCancel(c->cancel);
    for (size_t i = 0; i < c->nretired; i++)
        PQfreeCancel(c->retired[i]);
    free(c->retired);
    if (c->pg)
        PQfinish(c->pg);
    free(c->masked);
    for (size_t i = 0; i < c->nsecrets; i++)
        free(c->secrets[i]);
    free(c->secrets);
    for (size_t i = 0; i < c->ndead; i++)
        free(c->dead[i]);
    free(c->dead);
    free(c->timeout);
    free(c);
}

static tqdb_conn_t *pg_open(const char *target, unsigned flags, char **error)
{
    assert(target);
    pg_conn_t *c = tq_xcalloc(1, sizeof *c);
    c->head.engine = &tqdb_postgres_engine;
    c->head.readonly = flags & TQDB_OPEN_READONLY;
    c->masked = tq_mask_passwords(target);
    collect_secrets(c, target);
    /* dbname is expanded as a URL or keyword string; client_encoding,
     * later in the list, wins over one in the target. */
    const char *const keys[] = {"dbname", "fallback_application_name",
                                "client_encoding", NULL};
    const char *const vals[] = {target, "tabula", "UTF8", NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        char *m = one_line(c->pg ? PQerrorMessage(c->pg) : "out of memory");
        char *msg = tq_xasprintf("cannot connect to '%s': %s", c->masked, m);
        free(m);
        *error = scrub(c->secrets, c->nsecrets, msg);
        conn_free(c);
        return NULL;
    }
    if (session_setup(c) < 0) {
        *error = tq_xasprintf("cannot set up '%s': %s", c->masked,
                              tqdb_errmsg(&c->head));
        free(c->head.errmsg);
        conn_free(c);
        return NULL;
    }
    return &c->head;
}

static void cursor_drop(pg_cursor_t *cur);

static void pg_close(tqdb_conn_t *conn)
{
    pg_conn_t *c = pgc(conn);
    assert(!c->active);
    conn_free(c);
}

static int pg_exec(tqdb_conn_t *conn, const char *sql)
{
    pg_conn_t *c = pgc(conn);
    if (conn->readonly) {
        for (const char *p = sql; *p;) {
            scan_t s;
            scan_statement(p, &s);
            bool toggles = s.toggles_readonly;
            p = s.tail;
            scan_clear(&s);
            if (toggles)
                return fail_text(c, TQDB_ERR_READONLY,
                    tq_xstrdup("attempt to write a readonly database"));
        }
    }
    bool writes = false, manages = false, guarded = false, refused = false;
    for (const char *p = sql; *p;) {
        scan_t s;
        scan_statement(p, &s);
        bool w = !reads_only(&s);
        writes = writes || w;
        manages = manages || manages_transaction(&s);
        guarded = guarded || ends_or_begins(&s);
        refused = refused || (w && !s.empty && !temp_write(s.out.s));
        p = s.tail;
        scan_clear(&s);
    }
    if (guarded && conn->guard)
        return fail_guard(c);
    if (conn->readonly && refused)
        return fail_text(c, TQDB_ERR_READONLY,
                         tq_xstrdup("attempt to write a readonly database"));
    tqdb_conn_clear_error(conn);
    if (settle(c) < 0)
        return -1;
    if (manages)
        disarm(c);
    else
        arm_ro(c, conn->readonly && !writes);
    int rc = run(c, sql);
    if (rc == 0 && writes)
        c->wrote = true;
    return rc;
}

static int64_t nontemp_writes(pg_conn_t *c);

/* BEGIN; when it finds the connection lost (the server restarted between
 * transactions) nothing is lost with it, so it reconnects and tries once
 * more. A statement_timeout set with tqdb_set_statement_timeout is set
 * again in the same round trip: a rolled-back transaction undoes a SET. */
static int pg_begin(tqdb_conn_t *conn)
{
    pg_conn_t *c = pgc(conn);
    c->wrote = false;
    c->stmt_sp = c->ro_sp = false;
    /* read-write even when read-only: see read-only sessions */
    char *sql = tq_xasprintf("%s%s%s%s",
                             conn->readonly ? "BEGIN READ WRITE" : "BEGIN",
                             c->timeout ? "; SET statement_timeout = " : "",
                             c->timeout ? c->timeout : "",
                             c->timeout ? ";" : "");
    int rc = run(c, sql);
    if (rc < 0 && PQstatus(c->pg) == CONNECTION_BAD)
        rc = run(c, sql);
    free(sql);
    if (rc == 0 && conn->readonly)
        c->ro_base = nontemp_writes(c);
    return rc;
}

static bool query_value(pg_conn_t *c, const char *sql, char **value);
static bool pg_in_transaction(tqdb_conn_t *conn);

/* The rows inserted, updated or deleted in tables outside the temp
 * schema that the backend has counted and not yet reported (the
 * pg_stat_xact views: the current transaction's, subtransactions undone
 * included, plus earlier transactions' until the backend next reports at
 * idle, never inside a transaction), or -1 when the question fails. */
static int64_t nontemp_writes(pg_conn_t *c)
{
    char *v = NULL;
    if (settle(c) < 0 || !query_value(c,
            "SELECT coalesce(sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del), "
            "0) FROM pg_stat_xact_user_tables s JOIN pg_class r ON r.oid = "
            "s.relid WHERE r.relpersistence <> 't'", &v))
        return -1;
    int64_t n = strtoll(v, NULL, 10);
    free(v);
    return n;
}

/* In a read-only session's transaction: whether it changed a row of a
 * table outside the temp schema since BEGIN. True too when the count
 * fails. */
static bool wrote_outside_temp(pg_conn_t *c)
{
    int64_t n = nontemp_writes(c);
    return n < 0 || c->ro_base < 0 || n != c->ro_base;
}

static int pg_commit(tqdb_conn_t *conn)
{
    pg_conn_t *c = pgc(conn);
    if (conn->readonly && pg_in_transaction(conn) && wrote_outside_temp(c)) {
        (void)run(c, "ROLLBACK");
        c->wrote = false;
        c->stmt_sp = c->ro_sp = false;
        return fail_text(c, TQDB_ERR_READONLY,
                         tq_xstrdup("attempt to write a readonly database"));
    }
    int rc = run(c, "COMMIT");
    c->wrote = false;
    c->stmt_sp = c->ro_sp = false;
    return rc;
}

static int pg_rollback(tqdb_conn_t *conn)
{
    pg_conn_t *c = pgc(conn);
    int rc = run(c, "ROLLBACK");
    c->wrote = false;
    c->stmt_sp = c->ro_sp = false;
    return rc;
}

/* Runs "<verb> <name>" for the savepoint statements. */
static int savepoint_stmt(tqdb_conn_t *conn, const char *verb,
                          const char *name)
{
    pg_conn_t *c = pgc(conn);
    tqdb_conn_clear_error(conn);
    if (settle(c) < 0)
        return -1;
    disarm(c);
    char *sql = tq_xasprintf("%s %s", verb, name);
    int rc = run(c, sql);
    free(sql);
    return rc;
}

static int pg_savepoint(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "SAVEPOINT", name);
}

static int pg_release(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "RELEASE SAVEPOINT", name);
}

static int pg_rollback_to(tqdb_conn_t *conn, const char *name)
{
    return savepoint_stmt(conn, "ROLLBACK TO SAVEPOINT", name);
}

static bool pg_in_transaction(tqdb_conn_t *conn)
{
    PGTransactionStatusType st = PQtransactionStatus(pgc(conn)->pg);
    return st == PQTRANS_INTRANS || st == PQTRANS_INERROR ||
           st == PQTRANS_ACTIVE;
}

/* True when a statement that is not read-only (reads_only) succeeded
 * since BEGIN and the transaction is still open. */
static bool pg_wrote(tqdb_conn_t *conn)
{
    return pgc(conn)->wrote && pg_in_transaction(conn);
}

/* Runs a one-value query through the simple protocol, without touching
 * the connection's error; false when it fails or gives no value. */
static bool query_value(pg_conn_t *c, const char *sql, char **value)
{
    *value = NULL;
    if (settle(c) < 0 || !PQsendQuery(c->pg, sql))
        return false;
    PGresult *r;
    bool ok = false;
    while ((r = next_result(c))) {
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
            PQnfields(r) >= 1 && !PQgetisnull(r, 0, 0) && !*value) {
            *value = tq_xstrdup(PQgetvalue(r, 0, 0));
            ok = true;
        }
        PQclear(r);
    }
    return ok;
}

/* A number that changes with every change to the user schemas' tables,
 * views, columns, constraints and indexes: the sum of hashes of their
 * catalogue rows' (oid, xmin, cmin). DDL writes new catalogue rows (a new
 * xmin, or within one transaction a new cmin); a rolled-back DDL leaves
 * the old rows, so the number comes back as well. VACUUM and ANALYZE
 * update pg_class in place (xmin kept). */
static int64_t pg_schema_version(tqdb_conn_t *conn)
{
    pg_conn_t *c = pgc(conn);
    if (PQtransactionStatus(c->pg) == PQTRANS_INERROR)
        return -1;
    static const char sql[] =
        "WITH rel AS (SELECT c.oid, c.xmin, c.cmin FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "
        "AND c.relkind IN ('r','p','v','m','f','i','I')) "
        "SELECT (SELECT count(*) + coalesce(sum(hashtext(oid::text || "
        "':' || xmin::text || ':' || cmin::text)), 0) FROM rel) "
        "+ (SELECT coalesce(sum(hashtext(a.attrelid::text || ':' || "
        "a.attnum::text || ':' || a.xmin::text || ':' || a.cmin::text)), 0) "
        "FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid "
        "WHERE a.attnum > 0) "
        "+ (SELECT coalesce(sum(hashtext(k.oid::text || ':' || "
        "k.xmin::text || ':' || k.cmin::text)), 0) FROM pg_constraint k "
        "JOIN rel ON rel.oid = k.conrelid) "
        "+ (SELECT coalesce(sum(hashtext(d.oid::text || ':' || "
        "d.xmin::text || ':' || d.cmin::text)), 0) FROM pg_attrdef d "
        "JOIN rel ON rel.oid = d.adrelid) "
        "+ (SELECT count(*) FROM pg_namespace)";
    char *v = NULL;
    if (!query_value(c, sql, &v))
        return -1;
    int64_t n = strtoll(v, NULL, 10);
    free(v);
    return n < 0 ? -n : n;
}

static int64_t pg_changes(tqdb_conn_t *conn)
{
    return pgc(conn)->changes;
}

static int64_t pg_total_changes(tqdb_conn_t *conn)
{
    return pgc(conn)->total_changes;
}

/* lastval(): the value the session's last nextval() gave, which is the
 * key of the last row inserted into a serial or identity table. PostgreSQL
 * keeps no rowid; the SQL compiler asks for new keys with RETURNING (the
 * dialect), and this is for callers that have none. Inside a transaction
 * the query runs under a savepoint, since lastval() fails (and would abort
 * the transaction) before any nextval(). 0 when there is none. */
static int64_t pg_last_insert_id(tqdb_conn_t *conn)
{
    pg_conn_t *c = pgc(conn);
    PGTransactionStatusType st = PQtransactionStatus(c->pg);
    if (st == PQTRANS_INERROR)
        return 0;
    bool in_tx = st == PQTRANS_INTRANS;
    char *v = NULL;
    int64_t id = 0;
    if (in_tx) {
        if (!query_value(c, "SAVEPOINT tq_lastval; SELECT 1", &v))
            return 0;
        free(v);
    }
    bool ok = query_value(c, "SELECT lastval()", &v);
    if (ok)
        id = strtoll(v, NULL, 10);
    free(v);
    if (in_tx) {
        query_value(c, ok ? "RELEASE SAVEPOINT tq_lastval; SELECT 1"
                          : "ROLLBACK TO SAVEPOINT tq_lastval; "
                            "RELEASE SAVEPOINT tq_lastval; SELECT 1", &v);
        free(v);
    }
    return id;
}

/* PQcancel is safe from any thread and from a signal handler. */
static void pg_interrupt(tqdb_conn_t *conn)
{
    send_cancel(pgc(conn));
}

/* ---- cursors */

/* Drops the cursor's current row and converted cells. */
static void row_clear(pg_cursor_t *cur)
{
    if (cur->row)
        PQclear(cur->row);
    cur->row = NULL;
}

static void buf_clear(pg_cursor_t *cur)
{
    for (size_t i = cur->ibuf; i < cur->nbuf; i++)
        PQclear(cur->buf[i]);
    cur->nbuf = cur->ibuf = 0;
}

/* Reads the rest of the running cursor's results into its buffer, so the
 * connection can take another command (settle). */
static void cursor_read_rest(pg_cursor_t *cur)
{
    pg_conn_t *c = pgc(cur->head.conn);
    assert(c->active == cur && cur->state == CUR_RUNNING);
    PGresult *r;
    while ((r = next_result(c))) {
        if (cur->ibuf > 0 && cur->ibuf == cur->nbuf)
            cur->ibuf = cur->nbuf = 0;
        TQ_PUSH(cur->buf, cur->nbuf, cur->bufcap, r);
    }
    c->active = NULL;
}

/* Stops the cursor's run: reads what is left of its results (cancelling
 * the statement after DRAIN_LIMIT rows) and drops them. */
static void cursor_stop(pg_cursor_t *cur)
{
    pg_conn_t *c = pgc(cur->head.conn);
    if (c->active == cur) {
        PGresult *r;
        size_t n = 0;
        while ((r = next_result(c))) {
            PQclear(r);
            if (++n == DRAIN_LIMIT)
                send_cancel(c);
        }
        c->active = NULL;
    }
    buf_clear(cur);
    row_clear(cur);
    cur->state = CUR_IDLE;
}

/* Frees the cursor's bound values. */
static void params_free(pg_cursor_t *cur)
{
    for (int i = 0; i < cur->nparams; i++)
        free(cur->owned[i]);
    free(cur->owned);
    free(cur->values);
    free(cur->lengths);
    free(cur->formats);
    free(cur->ptypes);
    if (cur->pnames)
        for (int i = 0; i <= cur->nparams; i++)
            free(cur->pnames[i]);
    free(cur->pnames);
}

static void columns_free(pg_cursor_t *cur)
{
    for (int i = 0; i < cur->ncols; i++) {
        free(cur->cnames[i]);
        free(cur->cdecl[i]);
        free(cur->scratch[i]);
    }
    free(cur->cnames);
    free(cur->cdecl);
    free(cur->coids);
    free(cur->cells);
    free(cur->scratch);
    free(cur->scratch_cap);
    cur->ncols = 0;
}

/* The declared type name of a result column of type `oid` (modifier
 * `mod`) that comes from a table column; "" otherwise. */
static char *decl_name(Oid oid, int mod, bool from_table)
{
    if (!from_table)
        return tq_xstrdup("");
    const char *name = "";
    switch (oid) {
    case OID_BOOL: name = "boolean"; break;
    case OID_BYTEA: name = "bytea"; break;
    case OID_NAME: name = "name"; break;
    case OID_INT8: name = "bigint"; break;
    case OID_INT2: name = "smallint"; break;
    case OID_INT4: name = "integer"; break;
    case OID_TEXT: name = "text"; break;
    case OID_OID: name = "oid"; break;
    case OID_JSON: name = "json"; break;
    case OID_FLOAT4: name = "real"; break;
    case OID_FLOAT8: name = "double precision"; break;
    case OID_BPCHAR: name = "character"; break;
    case OID_VARCHAR: name = "character varying"; break;
    case OID_DATE: name = "date"; break;
    case OID_TIME: name = "time without time zone"; break;
    case OID_TIMESTAMP: name = "timestamp without time zone"; break;
    case OID_TIMESTAMPTZ: name = "timestamp with time zone"; break;
    case OID_INTERVAL: name = "interval"; break;
    case OID_TIMETZ: name = "time with time zone"; break;
    case OID_NUMERIC: name = "numeric"; break;
    case OID_UUID: name = "uuid"; break;
    case OID_JSONB: name = "jsonb"; break;
    }
    if ((oid == OID_VARCHAR || oid == OID_BPCHAR) && mod >= 4)
        return tq_xasprintf("%s(%d)", name, mod - 4);
    if (oid == OID_NUMERIC && mod >= 4)
        return tq_xasprintf("numeric(%d,%d)", ((mod - 4) >> 16) & 0xffff,
                            (mod - 4) & 0xffff);
    return tq_xstrdup(name);
}

/* Reads the result columns of a description (PQdescribePrepared, or a
 * run's first result). */
static void columns_read(pg_cursor_t *cur, const PGresult *desc)
{
    columns_free(cur);
    int n = PQnfields(desc);
    cur->ncols = n;
    cur->cnames = tq_xcalloc((size_t)n + 1, sizeof *cur->cnames);
    cur->cdecl = tq_xcalloc((size_t)n + 1, sizeof *cur->cdecl);
    cur->coids = tq_xcalloc((size_t)n + 1, sizeof *cur->coids);
    cur->cells = tq_xcalloc((size_t)n + 1, sizeof *cur->cells);
    cur->scratch = tq_xcalloc((size_t)n + 1, sizeof *cur->scratch);
    cur->scratch_cap = tq_xcalloc((size_t)n + 1, sizeof *cur->scratch_cap);
    for (int i = 0; i < n; i++) {
        cur->cnames[i] = tq_xstrdup(PQfname(desc, i));
        cur->coids[i] = PQftype(desc, i);
        cur->cdecl[i] = decl_name(cur->coids[i], PQfmod(desc, i),
                                  PQftable(desc, i) != InvalidOid);
    }
}

/* Prepares the cursor's statement on the server under its name and reads
 * its parameters and columns. 0 or -1. */
static int server_prepare(pg_cursor_t *cur)
{
    pg_conn_t *c = pgc(cur->head.conn);
    snprintf(cur->name, sizeof cur->name, "tq%u", ++c->next_name);
    cur->generation = c->generation;
    PGresult *r = PQprepare(c->pg, cur->name, cur->sql, 0, NULL);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        int rc = fail_result(c, r);
        PQclear(r);
        return rc;
    }
    PQclear(r);
    r = PQdescribePrepared(c->pg, cur->name);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        int rc = fail_result(c, r);
        PQclear(r);
        return rc;
    }
    int n = PQnparams(r);
    if (n != cur->nparams) {
        /* The server counts the $n it saw; keep the names read so far. */
        char **names = tq_xcalloc((size_t)n + 1, sizeof *names);
        for (int i = 1; i <= n && i <= cur->nparams; i++) {
            names[i] = cur->pnames[i];
            cur->pnames[i] = NULL;
        }
        params_free(cur);
        cur->pnames = names;
        cur->nparams = n;
        cur->owned = tq_xcalloc((size_t)n + 1, sizeof *cur->owned);
        cur->values = tq_xcalloc((size_t)n + 1, sizeof *cur->values);
        cur->lengths = tq_xcalloc((size_t)n + 1, sizeof *cur->lengths);
        cur->formats = tq_xcalloc((size_t)n + 1, sizeof *cur->formats);
        cur->ptypes = tq_xcalloc((size_t)n + 1, sizeof *cur->ptypes);
    }
    for (int i = 0; i < n; i++)
        cur->ptypes[i] = PQparamtype(r, i);
    columns_read(cur, r);
    PQclear(r);
    return 0;
}

static int pg_prepare(tqdb_conn_t *conn, const char *sql, tqdb_cursor_t **out,
                      const char **tail)
{
    pg_conn_t *c = pgc(conn);
    tqdb_conn_clear_error(conn);
    *out = NULL;
    scan_t s;
    const char *p = sql;
    for (;;) {
        scan_statement(p, &s);
        if (!s.empty || !*s.tail)
            break;
        p = s.tail;
        scan_clear(&s);
    }
    if (tail)
        *tail = s.tail;
    if (s.empty) {
        scan_clear(&s);
        return 0;
    }
    if (conn->readonly && s.toggles_readonly) {
        scan_clear(&s);
        return fail_text(c, TQDB_ERR_READONLY,
                         tq_xstrdup("attempt to write a readonly database"));
    }
    if (conn->guard && ends_or_begins(&s)) {
        scan_clear(&s);
        return fail_guard(c);
    }
    if (conn->readonly && !reads_only(&s) && !temp_write(s.out.s)) {
        scan_clear(&s);
        return fail_text(c, TQDB_ERR_READONLY,
                         tq_xstrdup("attempt to write a readonly database"));
    }
    if (settle(c) < 0) {
        scan_clear(&s);
        return -1;
    }
    bool manages = manages_transaction(&s);
    if (manages)
        disarm(c);
    else
        arm(c);
    pg_cursor_t *cur = tq_xcalloc(1, sizeof *cur);
    cur->head.conn = conn;
    cur->manages = manages;
    cur->readonly = reads_only(&s);
    cur->sql = tq_buf_take(&s.out);
    cur->nparams = s.nparams;
    size_t n = (size_t)s.nparams + 1;
    cur->pnames = tq_xcalloc(n, sizeof *cur->pnames);
    for (int i = 1; i <= s.nparams; i++) {
        cur->pnames[i] = s.names[i];
        s.names[i] = NULL;
    }
    scan_clear(&s);
    cur->owned = tq_xcalloc(n, sizeof *cur->owned);
    cur->values = tq_xcalloc(n, sizeof *cur->values);
    cur->lengths = tq_xcalloc(n, sizeof *cur->lengths);
    cur->formats = tq_xcalloc(n, sizeof *cur->formats);
    cur->ptypes = tq_xcalloc(n, sizeof *cur->ptypes);
    if (server_prepare(cur) < 0) {
        cursor_drop(cur);
        return -1;
    }
    *out = &cur->head;
    return 0;
}

/* Frees the cursor's memory (its server statement is the caller's). */
static void cursor_drop(pg_cursor_t *cur)
{
    row_clear(cur);
    buf_clear(cur);
    free(cur->buf);
    params_free(cur);
    columns_free(cur);
    free(cur->sql);
    free(cur->errmsg);
    free(cur);
}

static void pg_cursor_free(tqdb_cursor_t *tc)
{
    pg_cursor_t *cur = pcur(tc);
    pg_conn_t *c = pgc(tc->conn);
    cursor_stop(cur);
    if (cur->generation == c->generation && cur->name[0])
        TQ_PUSH(c->dead, c->ndead, c->deadcap, tq_xstrdup(cur->name));
    cursor_drop(cur);
}

static bool pg_cursor_readonly(tqdb_cursor_t *cur)
{
    return pcur(cur)->readonly;
}

static int pg_param_count(tqdb_cursor_t *cur)
{
    return pcur(cur)->nparams;
}

static const char *pg_param_name(tqdb_cursor_t *cur, int i)
{
    pg_cursor_t *p = pcur(cur);
    return i >= 1 && i <= p->nparams ? p->pnames[i] : NULL;
}

/* Binds `d` as parameter i: text format, but bytea (and blobs) binary. */
static int pg_bind(tqdb_cursor_t *tc, int i, const tqdb_datum_t *d, bool copy)
{
    pg_cursor_t *cur = pcur(tc);
    if (i < 1 || i > cur->nparams)
        return fail_text(pgc(tc->conn), TQDB_ERR_ERROR,
                         tq_xstrdup("column index out of range"));
    if (cur->state != CUR_IDLE)
        cursor_stop(cur);
    int k = i - 1;
    free(cur->owned[k]);
    cur->owned[k] = NULL;
    cur->values[k] = NULL;
    cur->lengths[k] = 0;
    cur->formats[k] = 0;
    char num[64];
    switch (d->type) {
    case TQDB_NULL:
        return 0;
    case TQDB_INT:
        snprintf(num, sizeof num, "%" PRId64, d->i);
        cur->owned[k] = tq_xstrdup(num);
        break;
    case TQDB_FLOAT:
        if (isnan(d->f))
            snprintf(num, sizeof num, "NaN");
        else if (isinf(d->f))
            snprintf(num, sizeof num, d->f > 0 ? "Infinity" : "-Infinity");
        else
            snprintf(num, sizeof num, "%.17g", d->f);
        cur->owned[k] = tq_xstrdup(num);
        break;
    case TQDB_TEXT:
        if (cur->ptypes[k] == OID_BYTEA) {
            cur->owned[k] = tq_xstrndup(d->s, d->len);
            cur->lengths[k] = (int)d->len;
            cur->formats[k] = 1;
        } else if (!copy && d->s[d->len] == 0) {
            cur->values[k] = d->s;
            return 0;
        } else {
            cur->owned[k] = tq_xstrndup(d->s, d->len);
        }
        break;
    case TQDB_BLOB:
        cur->owned[k] = tq_xstrndup(d->s ? d->s : "", d->len);
        cur->lengths[k] = (int)d->len;
        cur->formats[k] = 1;
        break;
    }
    cur->values[k] = cur->owned[k];
    return 0;
}

/* Converts the text of a bytea value ("\x0a0b...") into the column's
 * scratch bytes. */
static void decode_bytea(pg_cursor_t *cur, int col, const char *s, size_t n,
                         tqdb_datum_t *d)
{
    size_t need = n / 2 + 1;
    if (cur->scratch_cap[col] < need) {
        cur->scratch[col] = tq_xrealloc(cur->scratch[col], need);
        cur->scratch_cap[col] = need;
    }
    char *out = cur->scratch[col];
    size_t len = 0;
    if (n >= 2 && s[0] == '\\' && s[1] == 'x') {
        for (size_t i = 2; i + 1 < n; i += 2) {
            char hex[3] = {s[i], s[i + 1], 0};
            out[len++] = (char)strtol(hex, NULL, 16);
        }
    } else {
        size_t u = 0;
        unsigned char *bytes = PQunescapeBytea((const unsigned char *)s, &u);
        if (bytes && u + 1 > cur->scratch_cap[col]) {
            cur->scratch[col] = tq_xrealloc(cur->scratch[col], u + 1);
            cur->scratch_cap[col] = u + 1;
            out = cur->scratch[col];
        }
        if (bytes)
            memcpy(out, bytes, u);
        len = bytes ? u : 0;
        PQfreemem(bytes);
    }
    out[len] = 0;
    d->type = TQDB_BLOB;
    d->s = out;
    d->len = len;
}

/* A time of day with a fraction of a second, as PostgreSQL writes it
 * ("08:45:00.5", trailing zeros dropped), with the six digits that
 * Python's str() of a datetime or time writes and that SQLite keeps
 * ("08:45:00.500000"); other text (no fraction, six digits already) as
 * it is. The text is s (n bytes), or the cell's scratch buffer. */
static const char *six_digit_fraction(pg_cursor_t *cur, int i, const char *s,
                                      size_t *n)
{
    const char *dot = memchr(s, '.', *n);
    if (!dot || dot < s + 3 || dot[-3] != ':')
        return s;
    size_t digits = 0;
    while (dot + 1 + digits < s + *n && dot[1 + digits] >= '0' &&
           dot[1 + digits] <= '9')
        digits++;
    if (digits >= 6)
        return s;
    size_t head = (size_t)(dot - s) + 1 + digits, pad = 6 - digits;
    size_t len = *n + pad;
    char *out = tq_xmalloc(len + 1);
    memcpy(out, s, head);
    memset(out + head, '0', pad);
    memcpy(out + head + pad, s + head, *n - head);   /* an offset, " BC" */
    out[len] = 0;
    free(cur->scratch[i]);
    cur->scratch[i] = out;
    cur->scratch_cap[i] = len + 1;
    *n = len;
    return out;
}

/* Converts the current row's values into datums (cells). */
static void row_convert(pg_cursor_t *cur)
{
    PGresult *r = cur->row;
    for (int i = 0; i < cur->ncols; i++) {
        tqdb_datum_t d = {.type = TQDB_NULL};
        if (PQgetisnull(r, 0, i)) {
            cur->cells[i] = d;
            continue;
        }
        const char *s = PQgetvalue(r, 0, i);
        size_t n = (size_t)PQgetlength(r, 0, i);
        switch (cur->coids[i]) {
        case OID_INT2:
        case OID_INT4:
        case OID_INT8:
        case OID_OID:
            d.type = TQDB_INT;
            d.i = strtoll(s, NULL, 10);
            break;
        case OID_BOOL:
            d.type = TQDB_INT;
            d.i = s[0] == 't';
            break;
        case OID_NUMERIC:
            /* a whole numeric (sum() of bigints, an unconstrained numeric
             * column holding 5) is an integer, as SQLite's NUMERIC
             * affinity stores it, when it fits */
            if (!strpbrk(s, ".eEIN")) {
                char *end;
                errno = 0;
                long long v = strtoll(s, &end, 10);
                if (!errno && !*end) {
                    d.type = TQDB_INT;
                    d.i = v;
                    break;
                }
            }
            d.type = TQDB_FLOAT;
            d.f = strtod(s, NULL);
            break;
        case OID_FLOAT4:
        case OID_FLOAT8:
            d.type = TQDB_FLOAT;
            d.f = strtod(s, NULL);
            break;
        case OID_BYTEA:
            decode_bytea(cur, i, s, n, &d);
            break;
        case OID_TIMESTAMPTZ:
            /* In UTC the offset is "+00": drop it, as SQLite text has none. */
            if (n > 3 && !strcmp(s + n - 3, "+00")) {
                if (cur->scratch_cap[i] < n) {
                    cur->scratch[i] = tq_xrealloc(cur->scratch[i], n);
                    cur->scratch_cap[i] = n;
                }
                memcpy(cur->scratch[i], s, n - 3);
                cur->scratch[i][n - 3] = 0;
                s = cur->scratch[i];
                n -= 3;
            }
            /* fall through */
        case OID_TIMESTAMP:
        case OID_TIME:
            s = six_digit_fraction(cur, i, s, &n);
            d.type = TQDB_TEXT;
            d.s = s;
            d.len = n;
            break;
        default:
            d.type = TQDB_TEXT;
            d.s = s;
            d.len = n;
            break;
        }
        cur->cells[i] = d;
    }
}

/* Starts the cursor's statement (re-preparing it after a reconnection).
 * 0 or -1. */
static int cursor_start(pg_cursor_t *cur)
{
    pg_conn_t *c = pgc(cur->head.conn);
    tqdb_conn_clear_error(&c->head);
    if (settle(c) < 0)
        return -1;
    if (cur->manages)
        disarm(c);
    else
        arm_ro(c, c->head.readonly && cur->readonly);
    if (cur->generation != c->generation && server_prepare(cur) < 0)
        return -1;
    if (!PQsendQueryPrepared(c->pg, cur->name, cur->nparams, cur->values,
                             cur->lengths, cur->formats, 0))
        return fail_conn(c);
    PQsetSingleRowMode(c->pg);
    c->active = cur;
    cur->state = CUR_RUNNING;
    cur->rc = 0;
    return 0;
}

/* The cursor's next result: read ahead into its buffer, or from the
 * connection while it streams. NULL when the run is over. */
static PGresult *cursor_next(pg_cursor_t *cur)
{
    pg_conn_t *c = pgc(cur->head.conn);
    if (cur->ibuf < cur->nbuf)
        return cur->buf[cur->ibuf++];
    if (c->active == cur) {
        PGresult *r = next_result(c);
        if (!r)
            c->active = NULL;
        return r;
    }
    return NULL;
}

/* Ends the run: the remaining results (a statement's final NULL) are read
 * and the connection is free again. */
static void cursor_finish(pg_cursor_t *cur)
{
    PGresult *r;
    while ((r = cursor_next(cur)))
        PQclear(r);
    cur->state = CUR_DONE;
}

static int pg_step(tqdb_cursor_t *tc)
{
    pg_cursor_t *cur = pcur(tc);
    pg_conn_t *c = pgc(tc->conn);
    row_clear(cur);
    if (cur->state == CUR_DONE)
        return TQDB_DONE;
    if (cur->state == CUR_IDLE && cursor_start(cur) < 0) {
        cur->state = CUR_DONE;
        cur->rc = -1;
        return -1;
    }
    PGresult *r = cursor_next(cur);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_SINGLE_TUPLE) {
        if (PQnfields(r) != cur->ncols)
            columns_read(cur, r);
        cur->row = r;
        row_convert(cur);
        return TQDB_ROW;
    }
    int rc = TQDB_DONE;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (st == PGRES_TUPLES_OK && PQnfields(r) != cur->ncols)
            columns_read(cur, r);
        count_changes(c, r);
        if (!cur->readonly && pg_in_transaction(tc->conn))
            c->wrote = true;
    } else if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
        PQclear(r);
        r = NULL;
        discard_results(c);
        c->active = NULL;
        rc = fail_text(c, TQDB_ERR_ERROR,
                       tq_xstrdup("COPY to or from the client is not "
                                  "supported here"));
    } else {
        rc = fail_result(c, r);
    }
    PQclear(r);
    cursor_finish(cur);
    if (rc < 0) {
        cur->rc = -1;
        cur->err = c->head.err;
        free(cur->errmsg);
        cur->errmsg = tq_xstrdup(tqdb_errmsg(&c->head));
    }
    return rc;
}

/* Rewinds the cursor; like SQLite's reset it returns the error of the last
 * run, if any. */
static int pg_reset(tqdb_cursor_t *tc)
{
    pg_cursor_t *cur = pcur(tc);
    cursor_stop(cur);
    int rc = cur->rc;
    cur->rc = 0;
    if (rc < 0 && cur->errmsg) {
        tqdb_conn_fail(tc->conn, cur->err, cur->errmsg);
        free(cur->errmsg);
        cur->errmsg = NULL;
    }
    return rc;
}

static int pg_column_count(tqdb_cursor_t *cur)
{
    return pcur(cur)->ncols;
}

static const char *pg_column_name(tqdb_cursor_t *tc, int col)
{
    pg_cursor_t *cur = pcur(tc);
    return col < cur->ncols ? cur->cnames[col] : "";
}

static const char *pg_column_decltype(tqdb_cursor_t *tc, int col)
{
    pg_cursor_t *cur = pcur(tc);
    return col < cur->ncols ? cur->cdecl[col] : "";
}

static tqdb_datum_t pg_column(tqdb_cursor_t *tc, int col)
{
    pg_cursor_t *cur = pcur(tc);
    if (!cur->row || col >= cur->ncols)
        return tqdb_datum_null();
    return cur->cells[col];
}

static tqdb_type_t pg_column_type(tqdb_cursor_t *cur, int col)
{
    return pg_column(cur, col).type;
}

static int64_t pg_column_int(tqdb_cursor_t *cur, int col)
{
    tqdb_datum_t d = pg_column(cur, col);
    switch (d.type) {
    case TQDB_INT: return d.i;
    case TQDB_FLOAT: return (int64_t)d.f;
    case TQDB_TEXT: return strtoll(d.s, NULL, 10);
    default: return 0;
    }
}

static double pg_column_float(tqdb_cursor_t *cur, int col)
{
    tqdb_datum_t d = pg_column(cur, col);
    switch (d.type) {
    case TQDB_INT: return (double)d.i;
    case TQDB_FLOAT: return d.f;
    case TQDB_TEXT: return strtod(d.s, NULL);
    default: return 0.0;
    }
}

/* Text of the value: the server's own text for numbers and bool (as
 * PQgetvalue gives it), the bytes for text and blobs. */
static const char *pg_column_text(tqdb_cursor_t *tc, int col)
{
    pg_cursor_t *cur = pcur(tc);
    tqdb_datum_t d = pg_column(tc, col);
    switch (d.type) {
    case TQDB_NULL: return NULL;
    case TQDB_TEXT:
    case TQDB_BLOB: return d.s;
    case TQDB_INT:
        if (cur->coids[col] == OID_BOOL)
            return d.i ? "1" : "0";
        /* fall through */
    default:
        return PQgetvalue(cur->row, 0, col);
    }
}

static size_t pg_column_bytes(tqdb_cursor_t *tc, int col)
{
    tqdb_datum_t d = pg_column(tc, col);
    if (d.type == TQDB_TEXT || d.type == TQDB_BLOB)
        return d.len;
    const char *s = pg_column_text(tc, col);
    return s ? strlen(s) : 0;
}

static void pg_row(tqdb_cursor_t *tc, int ncols, tqdb_datum_t *out)
{
    pg_cursor_t *cur = pcur(tc);
    assert(ncols <= cur->ncols);
    for (int i = 0; i < ncols; i++)
        out[i] = cur->row ? cur->cells[i] : tqdb_datum_null();
}

/* ---- the catalogue */

/* Runs a catalogue query with up to one text parameter; the whole result
 * (small) or NULL with the error on the connection. */
static PGresult *catalog_query(pg_conn_t *c, const char *sql,
                               const char *param)
{
    if (settle(c) < 0)
        return NULL;
    const char *vals[1] = {param};
    if (!PQsendQueryParams(c->pg, sql, param ? 1 : 0, NULL, vals, NULL, NULL,
                           0)) {
        fail_conn(c);
        return NULL;
    }
    PGresult *r, *res = NULL;
    while ((r = next_result(c))) {
        if (!res)
            res = r;
        else
            PQclear(r);
    }
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail_result(c, res);
        PQclear(res);
        return NULL;
    }
    return res;
}

static char *value_dup(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL
                                    : tq_xstrdup(PQgetvalue(r, row, col));
}

/* The search path's schemas, then the other user schemas by name. */
static const char schemas_sql[] =
    "SELECT n.nspname FROM pg_namespace n "
    "LEFT JOIN unnest(current_schemas(false)) WITH ORDINALITY AS sp(s, i) "
    "ON sp.s = n.nspname "
    "WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "
    "ORDER BY sp.i NULLS LAST, n.nspname";

/* Tables, views and their columns of schema $1 (partitions excepted: the
 * partitioned table stands for them). */
static const char tables_sql[] =
    "SELECT c.relname, c.relkind IN ('v','m'), a.attname, "
    "format_type(a.atttypid, a.atttypmod), pg_get_expr(d.adbin, d.adrelid), "
    "a.attnotnull, coalesce(array_position(pk.conkey, a.attnum), 0), "
    "a.attidentity "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "AND NOT a.attisdropped "
    "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
    "LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p' "
    "WHERE n.nspname = $1 AND c.relkind IN ('r','p','v','m','f') "
    "AND NOT c.relispartition "
    "ORDER BY c.relname, a.attnum";

/* Single-column unique constraints and indexes (not the primary key,
 * partial or expression indexes) of schema $1. */
static const char unique_sql[] =
    "SELECT DISTINCT c.relname, a.attname FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
    "WHERE n.nspname = $1 AND i.indisunique AND NOT i.indisprimary "
    "AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL "
    "ORDER BY 1, 2";

/* Single-column foreign keys of schema $1; the target table is qualified
 * when it lives in another schema. */
static const char fks_sql[] =
    "SELECT c.relname, "
    "CASE WHEN tn.nspname = n.nspname THEN t.relname "
    "ELSE tn.nspname || '.' || t.relname END, a.attname, ta.attname "
    "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_class t ON t.oid = k.confrelid "
    "JOIN pg_namespace tn ON tn.oid = t.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1] "
    "JOIN pg_attribute ta ON ta.attrelid = t.oid AND ta.attnum = k.confkey[1] "
    "WHERE n.nspname = $1 AND k.contype = 'f' AND cardinality(k.conkey) = 1 "
    "AND NOT c.relispartition "
    "ORDER BY c.relname, a.attname";

/* This session's temporary tables and views: they come first in the
 * search path and hide the tables of the same name (the schema model
 * then names the schema of those). */
static const char temp_sql[] =
    "SELECT c.relname FROM pg_class c "
    "WHERE c.relnamespace = pg_my_temp_schema() "
    "AND c.relkind IN ('r','p','v','m','f') ORDER BY 1";

static tqdb_table_info_t *find_table(tqdb_catalog_t *cat, size_t from,
                                     const char *name)
{
    for (size_t i = from; i < cat->ntables; i++)
        if (!strcmp(cat->tables[i].name, name))
            return &cat->tables[i];
    return NULL;
}

/* Reads schema `schema`'s tables into `cat`. 0 or -1. */
static int read_schema(pg_conn_t *c, tqdb_catalog_t *cat, const char *schema,
                       size_t *tcap)
{
    PGresult *r = catalog_query(c, tables_sql, schema);
    if (!r)
        return -1;
    size_t first = cat->ntables, ccap = 0;
    tqdb_table_info_t *t = NULL;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *tname = PQgetvalue(r, i, 0);
        if (!t || strcmp(t->name, tname)) {
            tqdb_table_info_t nt = {0};
            nt.schema = tq_xstrdup(schema);
            nt.name = tq_xstrdup(tname);
            nt.view = PQgetvalue(r, i, 1)[0] == 't';
            nt.without_rowid = true;   /* PostgreSQL has no rowid */
            TQ_PUSH(cat->tables, cat->ntables, *tcap, nt);
            t = &cat->tables[cat->ntables - 1];
            ccap = 0;
        }
        tqdb_column_info_t col = {0};
        col.name = value_dup(r, i, 2);
        col.decltype = value_dup(r, i, 3);
        if (!col.decltype)
            col.decltype = tq_xstrdup("");
        col.dflt = value_dup(r, i, 4);
        const char *identity = PQgetvalue(r, i, 7);
        if (!col.dflt && identity[0] == 'a')
            col.dflt = tq_xstrdup("generated always as identity");
        else if (!col.dflt && identity[0] == 'd')
            col.dflt = tq_xstrdup("generated by default as identity");
        col.notnull = PQgetvalue(r, i, 5)[0] == 't';
        col.pk = atoi(PQgetvalue(r, i, 6));
        TQ_PUSH(t->cols, t->ncols, ccap, col);
    }
    PQclear(r);
    if (!(r = catalog_query(c, unique_sql, schema)))
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        tqdb_table_info_t *ut = find_table(cat, first, PQgetvalue(r, i, 0));
        if (!ut)
            continue;
        ut->unique = tq_xrealloc(ut->unique,
                                 (ut->nunique + 1) * sizeof *ut->unique);
        ut->unique[ut->nunique++] = tq_xstrdup(PQgetvalue(r, i, 1));
    }
    PQclear(r);
    if (!(r = catalog_query(c, fks_sql, schema)))
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        tqdb_table_info_t *ft = find_table(cat, first, PQgetvalue(r, i, 0));
        if (!ft)
            continue;
        tqdb_fk_info_t fk = {
            .from = tq_xstrdup(PQgetvalue(r, i, 2)),
            .to_table = tq_xstrdup(PQgetvalue(r, i, 1)),
            .to = tq_xstrdup(PQgetvalue(r, i, 3)),
        };
        ft->fks = tq_xrealloc(ft->fks, (ft->nfks + 1) * sizeof *ft->fks);
        ft->fks[ft->nfks++] = fk;
    }
    PQclear(r);
    return 0;
}

static int pg_catalog_read(tqdb_conn_t *conn, tqdb_catalog_t *out)
{
    pg_conn_t *c = pgc(conn);
    tqdb_conn_clear_error(conn);
    PGresult *r = catalog_query(c, schemas_sql, NULL);
    if (!r)
        return -1;
    size_t scap = 0, tcap = 0;
    for (int i = 0; i < PQntuples(r); i++)
        TQ_PUSH(out->schemas, out->nschemas, scap,
                tq_xstrdup(PQgetvalue(r, i, 0)));
    PQclear(r);
    for (size_t i = 0; i < out->nschemas; i++)
        if (read_schema(c, out, out->schemas[i], &tcap) < 0) {
            tqdb_catalog_clear(out);
            return -1;
        }
    if (!(r = catalog_query(c, temp_sql, NULL))) {
        tqdb_catalog_clear(out);
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        tqdb_table_info_t t = {0};
        t.schema = tq_xstrdup("temp");
        t.name = tq_xstrdup(PQgetvalue(r, i, 0));
        TQ_PUSH(out->tables, out->ntables, tcap, t);
    }
    PQclear(r);
    return 0;
}

/* ---- statement_timeout */

/* tqdb_set_statement_timeout (db.h): the server checks the value (SET
 * through set_config with the value as a parameter), its own spelling
 * ("5s") is kept and set again at every BEGIN and reconnection. */
static int pg_set_statement_timeout(tqdb_conn_t *conn, const char *value)
{
    pg_conn_t *c = pgc(conn);
    tqdb_conn_clear_error(conn);
    if (settle(c) < 0)
        return -1;
    arm(c);
    const char *params[1] = {value};
    if (!PQsendQueryParams(c->pg, "SELECT set_config('statement_timeout', "
                           "$1, false)", 1, NULL, params, NULL, NULL, 0))
        return fail_conn(c);
    int rc = -1;
    char *shown = NULL;
    PGresult *r;
    while ((r = next_result(c))) {
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
            !shown) {
            shown = tq_xstrdup(PQgetvalue(r, 0, 0));
            rc = 0;
        } else if (PQresultStatus(r) == PGRES_FATAL_ERROR) {
            rc = fail_result(c, r);
        }
        PQclear(r);
    }
    if (rc == 0) {
        char *lit = PQescapeLiteral(c->pg, shown, strlen(shown));
        if (!lit) {
            free(shown);
            return fail_conn(c);
        }
        free(c->timeout);
        c->timeout = tq_xstrdup(lit);
        PQfreemem(lit);
    }
    free(shown);
    return rc;
}

/* tqdb_statement_timeout (db.h): SHOW statement_timeout. */
static char *pg_statement_timeout(tqdb_conn_t *conn)
{
    char *v = NULL;
    query_value(pgc(conn), "SHOW statement_timeout", &v);
    return v;
}

/* ---- bulk loading: COPY FROM STDIN
 *
 * Rows go to the server in COPY's text format: tab-separated columns, one
 * line per row, \N for NULL, and inside text a backslash, tab, newline or
 * carriage return written as \\, \t, \n, \r; a bytea value is "\\x" and
 * its hex digits. They gather in a buffer sent every COPY_CHUNK bytes.
 * The server checks each row as it arrives and reports the first refusal
 * when the copy ends (PQputCopyEnd, then the command's result). Like every
 * statement, COPY runs under the statement savepoint (arm), so a failed
 * copy leaves the transaction usable. */

#define COPY_CHUNK (256 * 1024)
/* Rows between two calls of the progress callback. */
#define COPY_CHECK_ROWS 1024

typedef struct pg_bulk {
    tqdb_bulk_t head;
    tq_buf_t buf;
    bool failed;         /* a row was refused or the connection failed */
} pg_bulk_t;

static tqdb_bulk_t *pg_bulk_begin(tqdb_conn_t *conn, const char *table,
                                  const char *const *columns, int ncols)
{
    pg_conn_t *c = pgc(conn);
    if (settle(c) < 0)
        return NULL;
    arm(c);
    tq_buf_t sql = {0};
    tq_buf_add(&sql, "COPY ");
    tqdb_bulk_target(&sql, table, columns, ncols);
    tq_buf_add(&sql, " FROM STDIN");
    int sent = PQsendQuery(c->pg, sql.s);
    tq_buf_free(&sql);
    if (!sent) {
        fail_conn(c);
        return NULL;
    }
    PGresult *r = next_result(c);
    if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
        if (r)
            fail_result(c, r);
        else
            fail_conn(c);
        PQclear(r);
        discard_results(c);
        return NULL;
    }
    PQclear(r);
    pg_bulk_t *b = tq_xcalloc(1, sizeof *b);
    return &b->head;
}

/* Appends a double that reads back the same (NaN and the infinities in
 * PostgreSQL's words). */
static void copy_float(tq_buf_t *b, double f)
{
    if (isnan(f)) {
        tq_buf_add(b, "NaN");
    } else if (isinf(f)) {
        tq_buf_add(b, f > 0 ? "Infinity" : "-Infinity");
    } else {
        char s[40];
        snprintf(s, sizeof s, "%.15g", f);
        if (strtod(s, NULL) != f)
            snprintf(s, sizeof s, "%.17g", f);
        tq_buf_add(b, s);
    }
}

/* Appends text escaped for COPY's text format; -1 on a NUL byte. */
static int copy_text(tq_buf_t *b, const char *s, size_t n)
{
    tq_buf_reserve(b, n + 16);
    const char *run = s, *end = s + n;
    for (const char *p = s; p < end; p++) {
        char esc;
        switch (*p) {
        case '\\': esc = '\\'; break;
        case '\t': esc = 't'; break;
        case '\n': esc = 'n'; break;
        case '\r': esc = 'r'; break;
        case '\0': return -1;
        default: continue;
        }
        tq_buf_addn(b, run, (size_t)(p - run));
        tq_buf_addc(b, '\\');
        tq_buf_addc(b, esc);
        run = p + 1;
    }
    tq_buf_addn(b, run, (size_t)(end - run));
    return 0;
}

/* Sends what the buffer holds; -1 with the connection's error. */
static int copy_flush(pg_conn_t *c, pg_bulk_t *b)
{
    if (b->buf.len && PQputCopyData(c->pg, b->buf.s, (int)b->buf.len) != 1) {
        b->failed = true;
        return fail_conn(c);
    }
    b->buf.len = 0;
    return 0;
}

static int pg_bulk_row(tqdb_bulk_t *bulk, const tqdb_datum_t *row)
{
    pg_bulk_t *b = (pg_bulk_t *)bulk;
    pg_conn_t *c = pgc(bulk->conn);
    if (b->failed)
        return -1;
    size_t start = b->buf.len;
    for (int i = 0; i < bulk->ncols; i++) {
        const tqdb_datum_t *d = &row[i];
        if (i)
            tq_buf_addc(&b->buf, '\t');
        switch (d->type) {
        case TQDB_NULL:
            tq_buf_add(&b->buf, "\\N");
            break;
        case TQDB_INT:
            tq_buf_printf(&b->buf, "%" PRId64, d->i);
            break;
        case TQDB_FLOAT:
            copy_float(&b->buf, d->f);
            break;
        case TQDB_TEXT:
            if (copy_text(&b->buf, d->s, d->len) < 0) {
                b->buf.len = start;
                return fail_text(c, TQDB_ERR_ERROR, tq_xstrdup(
                    "a text value holds a NUL byte (\\0), which a "
                    "database text cannot hold"));
            }
            break;
        case TQDB_BLOB:
            tq_buf_add(&b->buf, "\\\\x");
            for (size_t k = 0; k < d->len; k++)
                tq_buf_printf(&b->buf, "%02x", (unsigned char)d->s[k]);
            break;
        }
    }
    tq_buf_addc(&b->buf, '\n');
    if (b->buf.len >= COPY_CHUNK && copy_flush(c, b) < 0)
        return -1;
    if ((bulk->rows + 1) % COPY_CHECK_ROWS == 0 && c->head.stop &&
        c->head.stop(c->head.stop_ud)) {
        b->failed = true;
        return fail_text(c, TQDB_ERR_INTERRUPTED, tq_xstrdup("interrupted"));
    }
    return 0;
}

/* Adds the row that the server refused to the connection's error, from
 * its context ("COPY t, line 5, column x: ..."): "... (row 5 of the
 * load)". */
static void copy_where(pg_conn_t *c, const char *context)
{
    const char *at = context ? strstr(context, ", line ") : NULL;
    if (!at || strncmp(context, "COPY ", 5) != 0)
        return;
    long long line = strtoll(at + 7, NULL, 10);
    if (line <= 0)
        return;
    char *msg = tq_xasprintf("%s (row %lld of the load)",
                             tqdb_errmsg(&c->head), line);
    tqdb_conn_fail(&c->head, tqdb_errcode(&c->head), msg);
    free(msg);
}

/* Ends the copy: PQputCopyEnd, then the command's result. An abandoned
 * copy ends with an error message, which makes the server throw its rows
 * away; the connection keeps the error that stopped the load. */
static int pg_bulk_end(tqdb_bulk_t *bulk, bool commit, int64_t *rows)
{
    pg_bulk_t *b = (pg_bulk_t *)bulk;
    pg_conn_t *c = pgc(bulk->conn);
    commit = commit && !b->failed;
    int rc = 0;
    if (commit)
        rc = copy_flush(c, b);
    commit = commit && rc == 0;
    if (PQputCopyEnd(c->pg, commit ? NULL : "the load was abandoned") != 1 &&
        commit)
        rc = fail_conn(c);
    PGresult *r;
    while ((r = next_result(c))) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK && commit && rc == 0) {
            c->changes = strtoll(PQcmdTuples(r), NULL, 10);
            c->total_changes += c->changes;
            if (rows)
                *rows = c->changes;
        } else if (st == PGRES_FATAL_ERROR && commit && rc == 0) {
            rc = fail_result(c, r);
            copy_where(c, PQresultErrorField(r, PG_DIAG_CONTEXT));
        }
        PQclear(r);
        if (st == PGRES_COPY_IN)
            break;                    /* cannot happen after PQputCopyEnd */
    }
    if (commit && rc == 0)
        c->wrote = true;
    tq_buf_free(&b->buf);
    free(b);
    return rc;
}

const tqdb_engine_t tqdb_postgres_engine = {
    .name = "postgresql",
    .claims = pg_claims,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback_to = pg_rollback_to,
    .in_transaction = pg_in_transaction,
    .wrote = pg_wrote,
    .schema_version = pg_schema_version,
    .changes = pg_changes,
    .total_changes = pg_total_changes,
    .last_insert_id = pg_last_insert_id,
    .interrupt = pg_interrupt,
    .prepare = pg_prepare,
    .cursor_free = pg_cursor_free,
    .cursor_readonly = pg_cursor_readonly,
    .param_count = pg_param_count,
    .param_name = pg_param_name,
    .bind = pg_bind,
    .step = pg_step,
    .reset = pg_reset,
    .column_count = pg_column_count,
    .column_name = pg_column_name,
    .column_decltype = pg_column_decltype,
    .column = pg_column,
    .column_type = pg_column_type,
    .column_int = pg_column_int,
    .column_float = pg_column_float,
    .column_text = pg_column_text,
    .column_bytes = pg_column_bytes,
    .row = pg_row,
    .catalog_read = pg_catalog_read,
    .bulk_begin = pg_bulk_begin,
    .bulk_row = pg_bulk_row,
    .bulk_end = pg_bulk_end,
    .set_statement_timeout = pg_set_statement_timeout,
    .statement_timeout = pg_statement_timeout,
};
