/*
 * This file tests query-set display through a whole session (tabula.h):
 * the result bundle of a query set holds text/plain (the repr) and a
 * text/html table of the shown rows; `.plot.line(...)` gives image/png and
 * a text/plain naming the chart; `.query` is text/plain SQL; managers show
 * their table.
 */
#include <stdlib.h>
#include <string.h>

#include "tabula.h"
#include "tap.h"

static tq_session_t *s;

static tq_status_t run(const char *cell, tq_result_t *r)
{
    memset(r, 0, sizeof *r);
    tq_status_t st = tq_session_execute(s, cell, NULL, false, r);
    if (st != TQ_OK)
        printf("# %s: %s: %s\n", cell, r->ename, r->evalue);
    return st;
}

int main(void)
{
    tq_options_t o = {.database = ":memory:"};
    char *err = NULL;
    s = tq_session_new(&o, &err);
    ok(s != NULL, "session");
    if (!s)
        return done();
    tq_result_t r;
    ok(run("%%sql\nCREATE TABLE user (id INTEGER PRIMARY KEY, name text, "
           "age integer);\nINSERT INTO user VALUES (1, 'a<b>', 20), "
           "(2, 'Paul', 30), (3, NULL, 40);",
           &r) == TQ_OK, "fixture");
    tq_result_clear(&r);

    ok(run("User.filter(age__gt=10)", &r) == TQ_OK, "query set runs");
    const tq_mime_t *html = tq_bundle_find(&r.bundle, "text/html");
    const tq_mime_t *plain = tq_bundle_find(&r.bundle, "text/plain");
    ok(html != NULL, "query set has text/html");
    ok(html && strstr(html->data, "<table") != NULL, "html is a table");
    ok(html && strstr(html->data, "a&lt;b&gt;") != NULL, "html escapes values");
    ok(html && strstr(html->data, "Paul") != NULL, "html shows rows");
    is_str(plain ? plain->data : NULL,
           "<QuerySet [<User: a<b>>, <User: Paul>, <User: User object (3)>]>",
           "text/plain is the repr");
    tq_result_clear(&r);

    ok(run("%config display.max_rows = 2", &r) == TQ_OK, "max rows");
    tq_result_clear(&r);
    ok(run("User", &r) == TQ_OK, "manager shows");
    html = tq_bundle_find(&r.bundle, "text/html");
    ok(html && strstr(html->data, "3 rows") != NULL,
       "truncated table says the row count");
    tq_result_clear(&r);

    ok(run("User.values('age').query", &r) == TQ_OK, ".query");
    plain = tq_bundle_find(&r.bundle, "text/plain");
    is_str(plain ? plain->data : NULL,
           "SELECT \"user\".\"age\" FROM \"user\" ORDER BY \"user\".\"id\" ASC",
           ".query text/plain");
    ok(tq_bundle_find(&r.bundle, "text/html") == NULL, ".query is text only");
    tq_result_clear(&r);

    ok(run("User.plot.line(x='id', y='age', title='Ages')", &r) == TQ_OK,
       "plot runs");
    const tq_mime_t *png = tq_bundle_find(&r.bundle, "image/png");
    ok(png && png->len > 8 && !memcmp(png->data, "\x89PNG", 4),
       "plot gives a PNG");
    plain = tq_bundle_find(&r.bundle, "text/plain");
    is_str(plain ? plain->data : NULL, "<line chart of age by id: Ages>",
           "plot text/plain names the chart");
    tq_result_clear(&r);

    ok(run("User.plot.bar(x='name', y=['age', 'id'])", &r) == TQ_OK,
       "bar with two series");
    ok(tq_bundle_find(&r.bundle, "image/png") != NULL, "bar PNG");
    tq_result_clear(&r);
    ok(run("User.plot.hist(x='age', bins=3)", &r) == TQ_OK, "hist");
    tq_result_clear(&r);
    ok(run("User.plot.line(x='nope', y='age')", &r) == TQ_ERROR,
       "plot of an unknown column fails");
    is_str(r.ename, "FieldError", "plot error name");
    tq_result_clear(&r);

    ok(run("User.values('name').to_csv('/tmp/tabula_db_test.csv')", &r) ==
           TQ_OK, "to_csv");
    tq_result_clear(&r);
    FILE *f = fopen("/tmp/tabula_db_test.csv", "r");
    char buf[256] = {0};
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    ok(strncmp(buf, "name", 4) == 0 && strstr(buf, "Paul") != NULL,
       "csv has a header and rows");
    remove("/tmp/tabula_db_test.csv");
    tq_session_destroy(&s);
    return done();
}
