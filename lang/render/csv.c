/*
 * This file moves CSV in and out of the database (through db/db.h). Loading reads an RFC 4180
 * file (comma separated, double-quoted fields with "" inside, CRLF or LF
 * records, newlines allowed inside quotes) twice: a first pass checks
 * every record and infers each column's type from all of its values
 * (INTEGER, else REAL, else TEXT; an empty field is NULL), a second pass
 * creates the table and loads every row (tqdb_bulk_*: COPY on PostgreSQL,
 * where a REAL column is double precision) inside one SAVEPOINT, so that a
 * bad file leaves nothing behind. Writing streams a statement's rows with
 * a header line, quoting only the fields that need it, floats as Python's
 * repr (what pandas' to_csv writes).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "render/render_util.h"
#include "sql/dialect.h"

/* A CSV reader over an in-memory file. */
typedef struct reader {
    const char *p, *end;
    int64_t line;            /* physical line of the next character */
    tq_buf_t *fields;        /* the current record's fields */
    size_t nfields, cap;
} reader_t;

/* Reads the next record into r->fields. Returns 1 with a record, 0 at the
 * end, -1 with *error on an unterminated quoted field. *start_line gets
 * the record's first line. */
static int read_record(reader_t *r, int64_t *start_line, char **error)
{
    if (r->p >= r->end)
        return 0;
    *start_line = r->line;
    r->nfields = 0;
    for (;;) {
        if (r->nfields == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 16;
            r->fields = tq_xrealloc(r->fields, r->cap * sizeof *r->fields);
            memset(r->fields + r->nfields, 0,
                   (r->cap - r->nfields) * sizeof *r->fields);
        }
        tq_buf_t *f = &r->fields[r->nfields++];
        f->len = 0;
        tq_buf_reserve(f, 0);
        f->s[0] = 0;
        if (r->p < r->end && *r->p == '"') {
            int64_t quote_line = r->line;
            r->p++;
            for (;;) {
                if (r->p >= r->end) {
                    *error = tq_xasprintf("Line %" PRId64 ": unterminated "
                                         "quoted field.", quote_line);
                    return -1;
                }
                char c = *r->p++;
                if (c == '"') {
                    if (r->p < r->end && *r->p == '"') {
                        tq_buf_addc(f, '"');
                        r->p++;
                        continue;
                    }
                    break;
                }
                if (c == '\n')
                    r->line++;
                tq_buf_addc(f, c);
            }
            /* Text after a closing quote up to the separator is kept, as
             * Python's csv module does. */
        }
        while (r->p < r->end && *r->p != ',' && *r->p != '\n' &&
               !(*r->p == '\r' && (r->p + 1 == r->end || r->p[1] == '\n')))
            tq_buf_addc(f, *r->p++);
        if (r->p >= r->end)
            return 1;
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p == '\r')
            r->p++;
        r->p++;                  /* '\n' */
        r->line++;
        return 1;
    }
}

typedef enum coltype { COL_EMPTY, COL_INTEGER, COL_REAL, COL_TEXT } coltype_t;

static const char *const TYPE_NAMES[] = {"TEXT", "INTEGER", "REAL", "TEXT"};

static bool parse_int(const char *s, int64_t *out)
{
    if (!*s || *s == ' ' || *s == '+')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

static bool parse_real(const char *s, double *out)
{
    if (!*s || *s == ' ' || *s == '\t')
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || (errno && !isfinite(v)) || isnan(v))
        return false;
    /* Hex floats and "inf" are text in a CSV. */
    for (const char *p = s; *p; p++)
        if (*p == 'x' || *p == 'X' || *p == 'n' || *p == 'N')
            return false;
    *out = v;
    return true;
}

static coltype_t widen(coltype_t t, const char *s)
{
    int64_t i;
    double d;
    if (!*s)
        return t;
    if (t <= COL_INTEGER && parse_int(s, &i))
        return COL_INTEGER;
    if (t <= COL_REAL && parse_real(s, &d))
        return COL_REAL;
    return COL_TEXT;
}

/* Maps `path` read-only (the page cache holds it, not the heap). NULL
 * with *error when it cannot; an empty file maps to "". */
static char *map_file(const char *path, size_t *len, char **error)
{
    /* O_NONBLOCK: a FIFO would block open() until a writer came; it is
     * refused below like any file that is not a regular one. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        *error = tq_xasprintf("Cannot open '%s': %s.", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        *error = tq_xasprintf("'%s' is not a file.", path);
        return NULL;
    }
    *len = (size_t)st.st_size;
    if (*len == 0) {
        close(fd);
        return (char *)"";
    }
    char *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        *error = tq_xasprintf("Cannot read '%s': %s.", path, strerror(errno));
        return NULL;
    }
    madvise(p, *len, MADV_SEQUENTIAL);
    return p;
}

static void unmap_file(char *p, size_t len)
{
    if (len)
        munmap(p, len);
}

static int exec_sql(tqdb_conn_t *db, const char *sql, char **error)
{
    if (tqdb_exec(db, sql) != 0) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        return -1;
    }
    return 0;
}

static void reader_free(reader_t *r)
{
    for (size_t i = 0; i < r->cap; i++)
        tq_buf_free(&r->fields[i]);
    free(r->fields);
}

/* Checks every record and infers the column types (pass 1). Fills the
 * header names and types. */
static int scan(const char *data, size_t len, char ***names, coltype_t **types,
                size_t *ncols, int64_t *nrows, char **error)
{
    reader_t r = {data, data + len, 1, NULL, 0, 0};
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        r.p += 3;
    int64_t line;
    int rc = read_record(&r, &line, error);
    if (rc <= 0) {
        if (rc == 0)
            *error = tq_xstrdup("The file is empty: a header line is "
                               "expected.");
        reader_free(&r);
        return -1;
    }
    *ncols = r.nfields;
    *names = tq_xcalloc(*ncols, sizeof **names);
    *types = tq_xcalloc(*ncols, sizeof **types);
    for (size_t c = 0; c < *ncols; c++) {
        const char *h = r.fields[c].s;
        char *name = *h ? tq_xstrdup(h) : tq_xasprintf("column_%zu", c + 1);
        for (size_t k = 0; k < c; k++)      /* unique, case-insensitively */
            if (strcasecmp((*names)[k], name) == 0) {
                char *u = tq_xasprintf("%s_%zu", name, c + 1);
                free(name);
                name = u;
                k = (size_t)-1;
            }
        (*names)[c] = name;
    }
    *nrows = 0;
    while ((rc = read_record(&r, &line, error)) == 1) {
        if (r.nfields == 1 && r.fields[0].len == 0)
            continue;                      /* blank line */
        if (r.nfields != *ncols) {
            *error = tq_xasprintf("Line %" PRId64 " has %zu field%s but the "
                                 "header has %zu.", line, r.nfields,
                                 r.nfields == 1 ? "" : "s", *ncols);
            rc = -1;
            break;
        }
        for (size_t c = 0; c < *ncols; c++)
            (*types)[c] = widen((*types)[c], r.fields[c].s);
        (*nrows)++;
    }
    reader_free(&r);
    return rc < 0 ? -1 : 0;
}

/* Creates the table and inserts every record (pass 2), inside the
 * caller's savepoint. */
/* Reports every this many rows to a progress callback. */
#define PROGRESS_ROWS 4096

typedef struct progress {
    void (*fn)(void *ud, int64_t done, int64_t total);
    void *ud;
    int64_t total;
} progress_t;

static int insert_all(tqdb_conn_t *db, const char *data, size_t len,
                      const char *table, char **names, coltype_t *types,
                      size_t ncols, int64_t *rows, const progress_t *progress,
                      char **error)
{
    tq_buf_t sql = {0};
    tq_buf_add(&sql, "CREATE TABLE ");
    tq_buf_ident(&sql, table);
    tq_buf_add(&sql, " (");
    for (size_t c = 0; c < ncols; c++) {
        if (c)
            tq_buf_add(&sql, ", ");
        tq_buf_ident(&sql, names[c]);
        /* PostgreSQL's REAL is 4 bytes: its double precision is SQLite's
         * REAL */
        bool pg_real = types[c] == COL_REAL &&
                       strcmp(tq_dialect_for(db)->name, "sqlite") != 0;
        tq_buf_printf(&sql, " %s",
                      pg_real ? "double precision" : TYPE_NAMES[types[c]]);
    }
    tq_buf_add(&sql, ")");
    int rc = exec_sql(db, sql.s, error);
    tq_buf_free(&sql);
    if (rc)
        return -1;
    tqdb_bulk_t *bulk = NULL;
    if (tqdb_bulk_begin(db, table, (const char *const *)names, (int)ncols,
                        &bulk) != 0) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        return -1;
    }
    tqdb_datum_t *row = tq_xcalloc(ncols, sizeof *row);
    reader_t r = {data, data + len, 1, NULL, 0, 0};
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        r.p += 3;
    int64_t line;
    read_record(&r, &line, error);         /* header, checked by scan */
    int64_t sent = 0;
    rc = 0;
    while (read_record(&r, &line, error) == 1) {
        if (r.nfields == 1 && r.fields[0].len == 0)
            continue;
        for (size_t c = 0; c < ncols; c++) {
            const char *s = r.fields[c].s;
            int64_t i;
            double d;
            if (!*s)
                row[c] = tqdb_datum_null();
            else if (types[c] == COL_INTEGER && parse_int(s, &i))
                row[c] = tqdb_datum_int(i);
            else if (types[c] == COL_REAL && parse_real(s, &d))
                row[c] = tqdb_datum_float(d);
            else
                row[c] = tqdb_datum_text(s, r.fields[c].len);
        }
        if (tqdb_bulk_row(bulk, row) != 0) {
            *error = tq_xasprintf("Line %" PRId64 ": %s.", line,
                                 tqdb_errmsg(db));
            rc = -1;
            break;
        }
        sent++;
        if (progress->fn && sent % PROGRESS_ROWS == 0)
            progress->fn(progress->ud,
                         sent < progress->total ? sent : progress->total,
                         progress->total);
    }
    /* PostgreSQL checks the rows as they stream and tells the first
     * refusal (with its COPY line) only now */
    if (tqdb_bulk_end(&bulk, rc == 0, rows) != 0 && rc == 0) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(db));
        rc = -1;
    }
    free(row);
    reader_free(&r);
    return rc;
}

/* tq_csv_load: see render.h. The table must not exist unless `replace`
 * (then it is dropped first, inside the same savepoint). */
int tq_csv_load(tqdb_conn_t *db, const char *path, const char *table,
                bool replace, int64_t *rows_loaded, char **error)
{
    return tq_csv_load_progress(db, path, table, replace, rows_loaded, error,
                                NULL, NULL);
}

/* tq_csv_load_progress: see render.h. */
int tq_csv_load_progress(tqdb_conn_t *db, const char *path,
                         const char *table, bool replace,
                         int64_t *rows_loaded, char **error,
                         void (*progress)(void *ud, int64_t done,
                                          int64_t total),
                         void *ud)
{
    *error = NULL;
    *rows_loaded = 0;
    size_t len = 0;
    char *data = map_file(path, &len, error);
    if (!data)
        return -1;
    char **names = NULL;
    coltype_t *types = NULL;
    size_t ncols = 0;
    int64_t nrows = 0;
    int rc = scan(data, len, &names, &types, &ncols, &nrows, error);
    if (rc == 0 && !replace) {
        tqdb_cursor_t *st = NULL;
        if (tqdb_prepare(db, tq_dialect_for(db)->catalog
                         [TQ_CATALOG_FIND_RELATION], &st, NULL) == 0 && st &&
            tqdb_bind_text_static(st, 1, table, -1) == 0 &&
            tqdb_step(st) == TQDB_ROW) {
            *error = tq_xasprintf("Table '%s' already exists: use --replace "
                                 "to load over it.", table);
            rc = -1;
        }
        tqdb_cursor_free(&st);
    }
    if (rc == 0)
        rc = exec_sql(db, "SAVEPOINT tq_load_csv", error);
    if (rc == 0) {
        if (replace) {
            tq_buf_t drop = {0};
            tq_buf_add(&drop, "DROP TABLE IF EXISTS ");
            tq_buf_ident(&drop, table);
            rc = exec_sql(db, drop.s, error);
            tq_buf_free(&drop);
        }
        if (rc == 0) {
            progress_t pr = {progress, ud, nrows > 0 ? nrows : 1};
            rc = insert_all(db, data, len, table, names, types, ncols,
                            rows_loaded, &pr, error);
        }
        if (rc) {
            tqdb_exec(db, "ROLLBACK TO tq_load_csv");
            *rows_loaded = 0;
        }
        tqdb_exec(db, "RELEASE tq_load_csv");
    }
    for (size_t c = 0; c < ncols; c++)
        free(names[c]);
    free(names);
    free(types);
    unmap_file(data, len);
    return rc;
}

/* ---- writing */

/* Python's repr of a float: the fewest significant digits that read
 * back the same, fixed notation for exponents -4..15, else e-notation. */
static void add_float_repr(tq_buf_t *b, double d)
{
    if (isinf(d)) {
        tq_buf_add(b, d > 0 ? "inf" : "-inf");
        return;
    }
    char s[64];
    /* 15 significant digits always print a shorter exact repr padded with
     * zeros, so the shortest digits are those of the first of 15, 16, 17
     * that reads back, without their trailing zeros. */
    int p = fabs(d) < DBL_MIN ? 1 : 15;     /* subnormals: search all */
    for (; p < 17; p++) {
        snprintf(s, sizeof s, "%.*e", p - 1, d);
        if (strtod(s, NULL) == d)
            break;
    }
    snprintf(s, sizeof s, "%.*e", p - 1, d);
    char *e = strchr(s, 'e');
    while (p > 1 && e[-1] == '0') {
        e--;
        p--;
    }
    snprintf(s, sizeof s, "%.*e", p - 1, d);
    int x = atoi(strchr(s, 'e') + 1);
    if (x >= -4 && x < 16) {
        int decimals = p - 1 - x;
        snprintf(s, sizeof s, "%.*f", decimals > 0 ? decimals : 0, d);
        tq_buf_add(b, s);
        if (!strchr(s, '.'))
            tq_buf_add(b, ".0");
        return;
    }
    tq_buf_add(b, s);
}

static void add_csv_field(tq_buf_t *b, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            quote = true;
    if (!quote) {
        tq_buf_addn(b, s, n);
        return;
    }
    tq_buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            tq_buf_addc(b, '"');
        tq_buf_addc(b, s[i]);
    }
    tq_buf_addc(b, '"');
}

/* tq_csv_write: see render.h. NULL is an empty field; lines end in \n. */
int tq_csv_write(tqdb_cursor_t *cur, const char *path, int64_t *rows_written,
                 char **error)
{
    assert(cur && path && rows_written && error);
    *error = NULL;
    *rows_written = 0;
    /* Never over a database the session has open, in any session (in a
     * read-only one above all): checked before the file is truncated. */
    if (tqdb_is_database_file(tqdb_cursor_conn(cur), path)) {
        *error = tq_xasprintf("Cannot write '%s': it is a database file "
                              "that this session has open.", path);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        *error = tq_xasprintf("Cannot write '%s': %s.", path, strerror(errno));
        return -1;
    }
    int ncols = tqdb_column_count(cur);
    tq_buf_t b = {0};
    for (int c = 0; c < ncols; c++) {
        const char *name = tqdb_column_name(cur, c);
        if (c)
            tq_buf_addc(&b, ',');
        add_csv_field(&b, name, strlen(name));
    }
    tq_buf_addc(&b, '\n');
    int rc;
    bool io_error = false;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        for (int c = 0; c < ncols; c++) {
            if (c)
                tq_buf_addc(&b, ',');
            tqdb_datum_t d = tqdb_column(cur, c);
            switch (d.type) {
            case TQDB_NULL:
                break;
            case TQDB_INT:
                tq_buf_printf(&b, "%" PRId64, d.i);
                break;
            case TQDB_FLOAT:
                add_float_repr(&b, d.f);
                break;
            case TQDB_TEXT:
            case TQDB_BLOB:
                add_csv_field(&b, d.s, d.len);
                break;
            }
        }
        tq_buf_addc(&b, '\n');
        (*rows_written)++;
        if (b.len > 1 << 16) {
            io_error |= fwrite(b.s, 1, b.len, f) != b.len;
            b.len = 0;
        }
    }
    if (b.len)
        io_error |= fwrite(b.s, 1, b.len, f) != b.len;
    tq_buf_free(&b);
    io_error |= fclose(f) != 0;
    if (rc != TQDB_DONE) {
        *error = tq_xasprintf("%s.", tqdb_errmsg(tqdb_cursor_conn(cur)));
        return -1;
    }
    if (io_error) {
        *error = tq_xasprintf("Cannot write '%s'.", path);
        return -1;
    }
    return 0;
}
