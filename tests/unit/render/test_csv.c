/*
 * This file tests CSV loading and writing: inferred column types, RFC 4180
 * quoting (commas, quotes and newlines inside fields), empty fields as
 * NULL, a bad row or an unterminated quote reported with its line and
 * nothing imported, --replace, and the round trip through tq_csv_write.
 */
#include <stdlib.h>
#include <unistd.h>

#include "render/render.h"
#include "tap.h"

static tqdb_conn_t *db;
static char dir[] = "/tmp/tq-csv-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    return path;
}

static char *query_text(const char *sql)
{
    tqdb_cursor_t *st = NULL;
    if (tqdb_prepare(db, sql, &st, NULL) != 0)
        return strdup(tqdb_errmsg(db));
    char *out = NULL;
    if (tqdb_step(st) == TQDB_ROW && tqdb_column_text(st, 0))
        out = strdup(tqdb_column_text(st, 0));
    tqdb_cursor_free(&st);
    return out ? out : strdup("(null)");
}

static void check_query(const char *sql, const char *want, const char *name)
{
    char *got = query_text(sql);
    is_str(got, want, name);
    free(got);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    char *open_error = NULL;
    db = tqdb_open(":memory:", TQDB_OPEN_CREATE, &open_error);
    if (!db) {
        printf("Bail out! %s\n", open_error);
        return 1;
    }
    tqdb_exec(db, "BEGIN");                        /* as a cell does */
    int64_t n = 0;
    char *err = NULL;

    const char *p = write_file("people.csv",
        "\xef\xbb\xbfid,name,score,note,mixed\r\n"
        "1,\"Lennon, John\",27.5,\"said \"\"hi\"\"\",1\r\n"
        "2,Paul,26,\"two\nlines\",x\r\n"
        "3,,,,2.5\r\n");
    ok(tq_csv_load(db, p, "people", false, &n, &err) == 0 && n == 3,
       "load: 3 rows");
    free(err);
    check_query("SELECT group_concat(type, ',') FROM pragma_table_info('people')",
                "INTEGER,TEXT,REAL,TEXT,TEXT", "load: types inferred from all values");
    check_query("SELECT name FROM people WHERE id = 1", "Lennon, John",
                "load: quoted comma");
    check_query("SELECT note FROM people WHERE id = 1", "said \"hi\"",
                "load: doubled quotes");
    check_query("SELECT note FROM people WHERE id = 2", "two\nlines",
                "load: newline inside quotes");
    check_query("SELECT quote(name) || quote(score) FROM people WHERE id = 3",
                "NULLNULL", "load: empty fields are NULL");
    check_query("SELECT typeof(score) FROM people WHERE id = 2", "real",
                "load: 26 stored as REAL in a REAL column");

    p = write_file("bad.csv", "a,b\n1,2\n3,4\n5\n6,7\n");
    err = NULL;
    ok(tq_csv_load(db, p, "bad", false, &n, &err) == -1 && err &&
       strcmp(err, "Line 4 has 1 field but the header has 2.") == 0,
       "bad row: error names line 4");
    if (err)
        printf("# %s\n", err);
    free(err);
    check_query("SELECT count(*) FROM sqlite_schema WHERE name = 'bad'", "0",
                "bad row: nothing imported");

    p = write_file("quote.csv", "a,b\n1,2\n3,\"oops\n4,5\n");
    err = NULL;
    ok(tq_csv_load(db, p, "quote", false, &n, &err) == -1 && err &&
       strcmp(err, "Line 3: unterminated quoted field.") == 0,
       "unterminated quote: error names line 3");
    free(err);

    p = write_file("people2.csv", "k\n10\n20\n");
    err = NULL;
    ok(tq_csv_load(db, p, "people", false, &n, &err) == -1 && err &&
       strstr(err, "already exists"), "existing table without --replace");
    free(err);
    check_query("SELECT count(*) FROM people", "3", "existing table untouched");
    err = NULL;
    ok(tq_csv_load(db, p, "people", true, &n, &err) == 0 && n == 2,
       "--replace loads over it");
    free(err);
    check_query("SELECT group_concat(k) FROM people", "10,20",
                "--replace: new contents");

    /* Write and read back. */
    tqdb_exec(db, "CREATE TABLE w(a INTEGER, b REAL, c TEXT);"
                  "INSERT INTO w VALUES(1, 27.0, 'x,y'),(NULL, 0.1, 'q\"'),"
                  "(3, 1e20, NULL)");
    tqdb_cursor_t *st = NULL;
    tqdb_prepare(db, "SELECT * FROM w", &st, NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    err = NULL;
    ok(tq_csv_write(st, path, &n, &err) == 0 && n == 3, "write: 3 rows");
    tqdb_cursor_free(&st);
    FILE *f = fopen(path, "rb");
    char buf[256] = {0};
    fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    is_str(buf, "a,b,c\n1,27.0,\"x,y\"\n,0.1,\"q\"\"\"\n3,1e+20,\n",
           "write: header, floats as repr, quoting, NULL empty");
    err = NULL;
    ok(tq_csv_load(db, path, "w2", false, &n, &err) == 0 && n == 3,
       "write: reads back");
    check_query("SELECT c FROM w2 WHERE b = 0.1", "q\"", "write: round trip");
    free(err);

    tqdb_close(&db);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return done_testing();
}
