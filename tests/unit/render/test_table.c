/*
 * This file tests the table renderers: tq_table_fetch (count, head, tail),
 * tq_text_table against pandas 1.5's exact layout (index, floats, e
 * notation, truncation, no index) and tq_html_table's structure (thead,
 * index in <th>, right-aligned numbers, NULL marker, escaping, the row
 * count footer).
 */
#include <stdlib.h>

#include "render/render.h"
#include "tap.h"

static tqdb_conn_t *db;

static void exec(const char *sql)
{
    if (tqdb_exec(db, sql) != 0) {
        printf("Bail out! %s: %s\n", sql, tqdb_errmsg(db));
        exit(1);
    }
}

static int bind_int(void *ud, tqdb_cursor_t *cur)
{
    return tqdb_bind_int(cur, 1, *(int64_t *)ud);
}

/* Fetches `sql` with max_rows and returns the table (has_index set). */
static tq_table_t fetch(const char *sql, int64_t max_rows, bool index)
{
    tq_sql_t q = {sql, NULL, NULL};
    tq_table_t t;
    char *err = NULL;
    if (tq_table_fetch(db, &q, max_rows, &t, &err) != 0) {
        printf("Bail out! fetch %s: %s\n", sql, err);
        exit(1);
    }
    t.has_index = index;
    return t;
}

static void check_text(const char *sql, int64_t max_rows, bool index,
                       const char *want, const char *name)
{
    tq_table_t t = fetch(sql, max_rows, index);
    char *s = tq_text_table(&t);
    is_str(s, want, name);
    free(s);
    tq_table_clear(&t);
}

static bool contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

int main(void)
{
    char *open_error = NULL;
    db = tqdb_open(":memory:", TQDB_OPEN_CREATE, &open_error);
    if (!db) {
        printf("Bail out! %s\n", open_error);
        return 1;
    }
    exec("CREATE TABLE user(id INTEGER PRIMARY KEY, name TEXT, age INT);"
         "INSERT INTO user VALUES(1,'John Lennon',27),(2,'Paul McCartney',26),"
         "(3,'George Harrison',22),(4,'Ringo Star',29);"
         "CREATE TABLE f(id INTEGER PRIMARY KEY, score REAL, w REAL, big REAL,"
         " tiny REAL);"
         "INSERT INTO f VALUES(1,27.0,1,1234567.5,1e-7),(2,26.5,2,2,1),"
         "(3,-3.25,3,3,2);"
         "CREATE TABLE ten(id INTEGER PRIMARY KEY, name TEXT, v REAL);"
         "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
         "WHERE i < 9) INSERT INTO ten SELECT i+1, 'n'||i, i*1.5 FROM c;"
         "CREATE TABLE x(id INTEGER PRIMARY KEY, note TEXT, n INT);"
         "INSERT INTO x VALUES(1,'<script>alert(1)</script>',NULL),"
         "(2,NULL,5),(3,'a & b',-7);");

    /* --- fetch */
    tq_table_t t = fetch("SELECT * FROM ten ORDER BY id", 4, true);
    ok(t.total == 10 && t.nhead == 2 && t.ntail == 2 && t.ncols == 3,
       "fetch: count 10, 2 head and 2 tail rows of 3 columns");
    ok(t.head[0]->i == 1 && t.tail[3]->i == 10,
       "fetch: head starts at 1, tail ends at 10");
    ok(strcmp(t.columns[1], "name") == 0, "fetch: column names");
    tq_table_clear(&t);
    t = fetch("SELECT * FROM ten;  ", 0, false);
    ok(t.total == 10 && t.nhead == 10 && t.ntail == 0,
       "fetch: max_rows 0 reads every row, trailing ';' accepted");
    tq_table_clear(&t);
    {
        int64_t lim = 3;
        tq_sql_t q = {"SELECT * FROM ten WHERE id <= ?", bind_int, &lim};
        char *err = NULL;
        ok(tq_table_fetch(db, &q, 2, &t, &err) == 0 && t.total == 3 &&
           t.nhead == 1 && t.ntail == 1 &&
           t.tail[0]->i == 3,
           "fetch: parameters bound in count, head and tail");
        tq_table_clear(&t);
        tq_sql_t bad = {"SELECT nope FROM ten", NULL, NULL};
        ok(tq_table_fetch(db, &bad, 2, &t, &err) == -1 && err &&
           contains(err, "no such column"), "fetch: SQL error reported");
        free(err);
    }

    t = fetch("PRAGMA table_info(ten)", 2, false);
    ok(t.total == 3 && t.nhead == 1 && t.ntail == 1 &&
       strcmp(t.tail[1]->s, "v") == 0,
       "fetch: a PRAGMA (no subquery) in one pass, head and tail");
    tq_table_clear(&t);
    t = fetch("PRAGMA table_info(ten)", 60, false);
    ok(t.total == 3 && t.nhead == 3 && t.ntail == 0,
       "fetch: one pass, untruncated rows all in head");
    tq_table_clear(&t);
    t = fetch("PRAGMA table_info(ten)", 4, false);
    ok(t.total == 3 && t.nhead == 3 && t.ntail == 0,
       "fetch: one pass, 3 rows under max_rows 4 all in head");
    tq_table_clear(&t);

    /* --- text, checked against pandas 1.5.3's repr */
    check_text("SELECT id, name, age FROM user", 60, true,
               "               name  age\n"
               "id\n"
               "1       John Lennon   27\n"
               "2    Paul McCartney   26\n"
               "3   George Harrison   22\n"
               "4        Ringo Star   29", "text: the LANGUAGE.md frame");
    check_text("SELECT * FROM f", 60, true,
               "    score    w        big          tiny\n"
               "id\n"
               "1   27.00  1.0  1234567.5  1.000000e-07\n"
               "2   26.50  2.0        2.0  1.000000e+00\n"
               "3   -3.25  3.0        3.0  2.000000e+00",
               "text: float columns share decimals, e-notation for tiny");
    check_text("SELECT * FROM ten", 4, true,
               "   name     v\n"
               "id\n"
               "1    n0   0.0\n"
               "2    n1   1.5\n"
               "..  ...   ...\n"
               "9    n8  12.0\n"
               "10   n9  13.5\n"
               "\n"
               "[10 rows x 2 columns]", "text: truncation with dots and footer");
    check_text("SELECT name, age FROM user WHERE id <= 2 ORDER BY id DESC", 60,
               false,
               "          name  age\n"
               "Paul McCartney   26\n"
               "   John Lennon   27", "text: without index (index=False)");
    check_text("SELECT note, n FROM x", 60, false,
               "                     note    n\n"
               "<script>alert(1)</script>  NaN\n"
               "                     None  5.0\n"
               "                    a & b -7.0",
               "text: NULL is None in text, NaN in numbers (ints turn float)");
    check_text("SELECT note FROM x WHERE n IS NULL", 60, false,
               "                     note\n"
               "<script>alert(1)</script>",
               "text: a column without NULLs keeps its kind");
    check_text("SELECT NULL AS missing", 60, false, "missing\n   None",
               "text: an all-NULL column is None, as pandas' object column");
    check_text("SELECT * FROM user WHERE id > 100", 60, true,
               "Empty DataFrame\nColumns: [name, age]\nIndex: []",
               "text: empty result as pandas says it");
    check_text("SELECT 1 AS id, 'a' || char(10) || 'b' AS s", 60, true,
               "       s\nid\n1   a\\nb", "text: newline escaped");

    /* --- HTML */
    t = fetch("SELECT * FROM x", 60, true);
    char *h = tq_html_table(&t);
    ok(contains(h, "<table border=\"1\" class=\"dataframe\">") &&
       contains(h, "<thead>") && contains(h, "<tbody>") &&
       contains(h, "</table>"), "html: dataframe table with thead/tbody");
    ok(!contains(h, "<script>") &&
       contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;"),
       "html: <script> in data is escaped");
    ok(contains(h, "a &amp; b"), "html: & escaped");
    ok(count(h, "<em class=\"tq-null\">None</em>") == 1 &&
       count(h, "<em class=\"tq-null\">NaN</em>") == 1,
       "html: NULL cells marked, None in text and NaN in numbers");
    ok(contains(h, "<td class=\"tq-num\">-7.0</td>") &&
       contains(h, ".tq-num {\n        text-align: right;"),
       "html: numbers right-aligned");
    ok(contains(h, "<th>1</th>") && contains(h, "<th>id</th>"),
       "html: index in <th> with its name row");
    ok(!contains(h, "rows \xc3\x97"), "html: no footer when complete");
    free(h);
    tq_table_clear(&t);

    t = fetch("SELECT * FROM ten", 4, true);
    h = tq_html_table(&t);
    ok(contains(h, "<p>10 rows \xc3\x97 2 columns</p>"),
       "html: truncated footer with the row count");
    ok(contains(h, "<th>...</th>") && count(h, "<tr>") == 1 + 4 + 1,
       "html: head + dots row + tail");
    ok(contains(h, "<td class=\"tq-num\">13.5</td>") &&
       contains(h, "<td class=\"tq-num\">0.0</td>"),
       "html: floats formatted per column");
    free(h);
    tq_table_clear(&t);

    /* display options (%config): min_rows shows fewer rows, max_columns
     * a "..." column, precision the float digits */
    t = fetch("SELECT id, name, v, v * 2 AS w FROM ten", 6, true);
    t.display = (tq_display_t){.set = true, .max_rows = 6, .min_rows = 2,
                               .max_columns = 2, .precision = 2};
    h = tq_html_table(&t);
    ok(count(h, "<tr>") == 1 + 1 + 1 + 1 &&
       contains(h, "<th>1</th>") && contains(h, "<th>10</th>") &&
       !contains(h, "<th>2</th>"),
       "html: min_rows shows one head and one tail row");
    ok(count(h, "<th>...</th>") == 2 && count(h, "<td>...</td>") == 3 &&
       contains(h, ">name</th>\n      <th>...</th>\n      <th class") &&
       !contains(h, ">v</th>"),
       "html: max_columns keeps the first and last columns around ...");
    ok(contains(h, "<p>10 rows \xc3\x97 3 columns</p>"),
       "html: footer counts every column");
    free(h);
    {
        tq_table_t third = fetch("SELECT 1 / 3.0 AS third", 6, false);
        third.display = t.display;
        h = tq_html_table(&third);
        ok(contains(h, "<td class=\"tq-num\">0.33</td>"),
           "html: display.precision digits");
        free(h);
        tq_table_clear(&third);
    }
    h = tq_text_table(&t);
    is_str(h, "   name  ...     w\n"         /* pasted from pandas 1.5 */
              "id       ...\n"
              "1    n0  ...   0.0\n"
              "..  ...  ...   ...\n"
              "10   n9  ...  27.0\n"
              "\n"
              "[10 rows x 3 columns]",
           "text: min_rows, max_columns and precision");
    free(h);
    tq_table_clear(&t);

    tqdb_close(&db);
    return done_testing();
}
