/*
 * This file tests ER diagrams through libgvc: the SVG names every table,
 * lists columns with their types and PK/FK marks, has one edge per foreign
 * key labelled with its column, escapes odd names, honours a table list,
 * and reports an unknown table. With TQ_CHART_DIR set, the SVG is written
 * there to be looked at.
 */
#include <stdlib.h>

#include "render/render.h"
#include "tap.h"

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
    tqdb_conn_t *db = tqdb_open(":memory:", TQDB_OPEN_CREATE, &open_error);
    if (!db) {
        printf("Bail out! %s\n", open_error);
        return 1;
    }
    tqdb_exec(db,
        "CREATE TABLE user(id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL,"
        " age INTEGER);"
        "CREATE TABLE bike(id INTEGER PRIMARY KEY, model TEXT);"
        "CREATE TABLE rental(id INTEGER PRIMARY KEY,"
        " user_id INTEGER NOT NULL REFERENCES user(id),"
        " bike_id INTEGER REFERENCES bike(id), total_fee REAL);"
        "CREATE TABLE \"odd <&> name\"(x TEXT, owner INT REFERENCES user);");
    char *svg = NULL, *err = NULL;
    size_t len = 0;
    ok(tq_erd_svg(db, NULL, 0, &svg, &len, &err) == 0 && svg &&
       len == strlen(svg), "all tables: SVG");
    const char *dir = getenv("TQ_CHART_DIR");
    if (dir && svg) {
        char path[512];
        snprintf(path, sizeof path, "%s/erd.svg", dir);
        FILE *f = fopen(path, "w");
        fputs(svg, f);
        fclose(f);
    }
    ok(svg && strstr(svg, "<svg") && strstr(svg, "</svg>"), "is SVG");
    ok(svg && strstr(svg, ">user</text>") && strstr(svg, ">bike</text>") &&
       strstr(svg, ">rental</text>") &&
       strstr(svg, ">odd &lt;&amp;&gt; name</text>"),
       "names every table (escaped)");
    ok(svg && count(svg, "class=\"edge\"") == 3, "one edge per foreign key");
    ok(svg && strstr(svg, "> user_id</text>") && strstr(svg, "> bike_id</text>")
       && strstr(svg, "> owner</text>"), "edges labelled with the column");
    ok(svg && strstr(svg, "FK \xe2\x86\x92 user.id") &&
       strstr(svg, "INTEGER PK"), "PK and FK marks");
    ok(svg && strstr(svg, "VARCHAR(100) NOT NULL"), "types and NOT NULL");
    free(svg);

    const char *some[] = {"Rental", "user"};
    ok(tq_erd_svg(db, some, 2, &svg, &len, &err) == 0 &&
       !strstr(svg, ">bike</text>") && strstr(svg, ">rental</text>") &&
       count(svg, "class=\"edge\"") == 1, "table list: two tables, one edge");
    free(svg);
    const char *bad[] = {"nope"};
    svg = NULL;
    ok(tq_erd_svg(db, bad, 1, &svg, &len, &err) == -1 && err &&
       strcmp(err, "No table named 'nope'.") == 0 && !svg,
       "unknown table: error");
    free(err);
    tqdb_close(&db);
    return done_testing();
}
