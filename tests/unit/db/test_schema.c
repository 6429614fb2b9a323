/*
 * This file tests the schema reader (lang/db/schema.c): bare names (snake
 * case, Django app labels, attached schemas on a clash), primary keys
 * (declared or rowid), labels, forward and reverse relations, and
 * FieldError's sorted choice list.
 */
#include <stdlib.h>

#include "fixture.h"
#include "db/schema.h"
#include "tap.h"

int main(void)
{
    tqdb_conn_t *db = fixture_open_conn();
    char *err = NULL;
    tq_schema_t *s = tq_schema_load(db, &err);
    ok(s != NULL, "schema loads");
    if (!s) {
        printf("# %s\n", err);
        return done();
    }
    is_int((long long)s->nschemas, 2, "two schemas (temp skipped)");
    const tq_stable_t *u = tq_schema_table(s, NULL, "user");
    ok(u && !strcmp(u->schema, "main"), "user resolves to main first");
    is_str(u->bare, "User", "user -> User");
    is_str(u->pk, "id", "user pk");
    is_str(u->label, "name", "user label is name");
    ok(u->cols[3].unique, "email unique");
    const tq_stable_t *ri = tq_schema_table(s, "main", "rental_item");
    is_str(ri->bare, "RentalItem", "rental_item -> RentalItem");
    ok(ri->rowid_pk, "rental_item has a rowid pk");
    is_str(ri->pk, "rowid", "rowid pk name");
    is_str(ri->label, "code", "first text column labels");
    const tq_stable_t *cb = tq_schema_table(s, "main", "catalog_bike");
    is_str(cb->app, "catalog", "app label detected");
    is_str(cb->bare, "CatalogBike", "catalog_bike clashes with bike");
    const tq_stable_t *cp = tq_schema_table(s, "main", "catalog_part");
    is_str(cp->bare, "Part", "catalog_part -> Part when unique");
    is_str(cp->model, "part", "model name of an app table");
    const tq_stable_t *so = tq_schema_table(s, "sales", "order");
    is_str(so->bare, "Order", "sales.order -> Order when unique");
    const tq_stable_t *su = tq_schema_table(s, "sales", "user");
    is_str(su->bare, "SalesUser", "sales.user clashes with main's User");
    ok(tq_schema_by_bare(s, "User") == u, "by bare name");
    ok(tq_schema_table(s, NULL, "order") == so, "unique table in another schema");
    const tq_stable_t *r = tq_schema_table(s, NULL, "rental");
    const tq_srel_t *fb = tq_stable_rel(r, "bike");
    ok(fb && !fb->reverse && fb->nullable, "rental.bike forward, nullable");
    is_str(fb ? fb->col : NULL, "bike_id", "forward column");
    const tq_srel_t *fu = tq_stable_rel(r, "user");
    ok(fu && !fu->nullable, "rental.user not nullable");
    const tq_stable_t *b = tq_schema_table(s, NULL, "bike");
    const tq_srel_t *rv = tq_stable_rel(b, "rental");
    ok(rv && rv->reverse, "bike.rental reverse");
    is_str(rv ? rv->target_col : NULL, "bike_id", "reverse target column");
    ok(tq_stable_rel(cb, "part") != NULL, "reverse named after model name");
    char *c = tq_stable_choices(r, NULL, 0);
    is_str(c, "bike, bike_id, id, start_time, total_fee, user, user_id",
           "rental choices sorted");
    free(c);
    const char *extra[] = {"spend"};
    c = tq_stable_choices(u, extra, 1);
    is_str(c, "age, email, id, name, rental, spend", "user choices + annotation");
    free(c);
    char *cc = tq_schema_camel("rental_item_x");
    is_str(cc, "RentalItemX", "camel");
    free(cc);
    is_int(tq_stable_col(u, "AGE"), 2, "columns case-insensitive");
    is_int(tq_stable_col(ri, "rowid"), -2, "rowid resolves on rowid tables");
    is_int(tq_stable_col(u, "nope"), -1, "unknown column");
    tq_schema_free(&s);
    ok(s == NULL, "free NULLs the pointer");
    tqdb_exec(db, "CREATE TABLE post (id INTEGER PRIMARY KEY, body text, "
                  "title text, name text, n integer);"
                  "CREATE TABLE num (a integer, b real);"
                  "CREATE TABLE trip (id INTEGER PRIMARY KEY, "
                  "src integer REFERENCES bike(id), "
                  "dst integer REFERENCES bike(id));");
    s = tq_schema_load(db, &err);
    const tq_stable_t *post = tq_schema_table(s, NULL, "post");
    is_str(post->label, "title", "label: first label-named text column");
    ok(tq_schema_table(s, NULL, "num")->label == NULL, "no text column");
    const tq_stable_t *bk = tq_schema_table(s, NULL, "bike");
    ok(tq_stable_rel(bk, "trip") && tq_stable_rel(bk, "trip_src"),
       "a second foreign key to the same table gets model_field");
    const tq_stable_t *trip = tq_schema_table(s, NULL, "trip");
    ok(tq_stable_rel(trip, "src") && !tq_stable_rel(trip, "src")->reverse,
       "a key without _id keeps its column name as relation");
    tq_schema_free(&s);
    tqdb_close(&fixture_conn);
    return done();
}
