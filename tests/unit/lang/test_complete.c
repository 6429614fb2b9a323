/*
 * This file tests the editor help (complete.c, inspect.c) in-process over
 * the real database layer: the method catalogue against what query sets,
 * managers, frames and Series really answer (so the catalogue cannot drift
 * from query.c and frame.c), the lookup list against the compiler's, field
 * completion inside every query function of sql/funcs.h, and
 * completion contexts with their exact ranges in code points.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/compile_int.h"
#include "editor/complete.h"
#include "tabula.h"
#include "base/util.h"

#include "tap.h"

static tq_session_t *s;

static bool run_ok(const char *cell)
{
    tq_result_t r = {0};
    tq_status_t st = tq_session_execute(s, cell, NULL, true, &r);
    if (st != TQ_OK)
        printf("# %s: %s: %s\n", cell, r.ename ? r.ename : "?",
               r.evalue ? r.evalue : "?");
    tq_result_clear(&r);
    return st == TQ_OK;
}

/* "start-end: match/type ..." for the completion at the end of code. */
static void check_completion(const char *code, const char *want)
{
    tq_completion_t c;
    tq_session_complete(s, code, tq_utf8_count(code, strlen(code)), &c);
    tq_buf_t b = {0};
    tq_buf_printf(&b, "%zu-%zu:", c.cursor_start, c.cursor_end);
    for (size_t i = 0; i < c.count; i++)
        tq_buf_printf(&b, " %s/%s", c.matches[i], c.types[i]);
    char name[160];
    snprintf(name, sizeof name, "complete %s", code);
    tap_is(b.s, want, name);
    tq_buf_free(&b);
    tq_completion_clear(&c);
}

static void check_inspect(const char *code, int detail, const char *want)
{
    tq_bundle_t b = {0};
    bool found = tq_session_inspect(s, code, tq_utf8_count(code, strlen(code)),
                                    detail, &b);
    const tq_mime_t *m = tq_bundle_find(&b, "text/plain");
    char name[160];
    snprintf(name, sizeof name, "inspect %s (detail %d) has '%s'", code,
             detail, want);
    tap_ok(found && m && strstr(m->data, want), name);
    if (!(found && m && strstr(m->data, want)))
        tap_diag_text("got", m ? m->data : "(not found)");
    tq_bundle_clear(&b);
}

int main(void)
{
    tq_options_t opts = {.database = ":memory:"};
    char *err = NULL;
    s = tq_session_new(&opts, &err);
    tap_ok(s != NULL, "session");
    run_ok("%sql CREATE TABLE bike (id INTEGER PRIMARY KEY, model TEXT)");
    run_ok("%sql CREATE TABLE rental (id INTEGER PRIMARY KEY, "
           "bike_id INTEGER REFERENCES bike(id), fee REAL)");
    run_ok("Bike.objects.create(model='Brompton')");
    run_ok("df = Bike.objects.dataframe()\nser = df['model']\n"
           "qs = Rental.filter(fee__gt=1)");

    /* every catalogued method exists on the values it is offered for */
    char cell[200], name[80];
    for (const tq_method_doc_t *d = tq_complete_qs_methods(); d->name; d++) {
        snprintf(cell, sizeof cell, "x = Bike.objects.%s\ny = qs.%s", d->name,
                 d->name);
        snprintf(name, sizeof name, "query set has %s", d->name);
        tap_ok(run_ok(cell), name);
    }
    for (const tq_method_doc_t *d = tq_complete_frame_methods(); d->name;
         d++) {
        snprintf(cell, sizeof cell, "x = %s.%s", d->where == 2 ? "ser" : "df",
                 d->name);
        if (d->where == 0)
            snprintf(cell, sizeof cell, "x = df.%s\ny = ser.%s", d->name,
                     d->name);
        snprintf(name, sizeof name, "frame has %s", d->name);
        tap_ok(run_ok(cell), name);
    }
    for (const char *const *l = tq_complete_lookup_names(); *l; l++) {
        snprintf(name, sizeof name, "the compiler knows __%s", *l);
        tap_ok(tq_is_lookup(*l) || tq_is_transform(*l), name);
    }

    check_completion("Bik", "0-3: Bike/table");
    check_completion("Rental.filter(fe", "14-16: fee=/column");
    check_completion("Rental.filter(fee__g",
                     "14-20: fee__gt/lookup fee__gte/lookup");
    check_completion("Rental.filter(bike__m", "14-21: bike__model=/column");
    check_completion("Bike.objects.values_li", "13-22: values_list/method");
    check_completion("qs.exi", "3-6: exists/method");
    check_completion("df.des", "3-6: describe/method");
    check_completion("ser.me", "4-6: mean/method");
    check_completion("df[['mo", "5-7: model/column");
    check_completion("Rental[:, 'fe", "11-13: fee/column");
    check_completion("Rental.filter(fee__gt=F.bi",
                     "24-26: bike/relation bike_id/column");
    check_completion("s = 'é😀'; Bik", "10-13: Bike/table");
    /* field names inside every query function's call (sql/funcs.h) */
    for (size_t i = 0; i < QF__COUNT; i++) {
        snprintf(cell, sizeof cell, "Rental.objects.annotate(x=%s('fe",
                 tq_qx_func_names[i]);
        snprintf(name, sizeof name, "%zu-%zu: fee/column",
                 strlen(cell) - 2, strlen(cell));
        check_completion(cell, name);
    }
    check_completion("%lsm", "0-4: %lsmagic/magic");
    check_completion("y = %conn", "4-9: %connect/magic");
    check_completion("%sql SELECT mo", "12-14: model/column");
    check_completion("%%sql\nSELECT * FROM ren", "20-23: rental/table");
    check_completion("# Bik", "5-5:");
    check_completion("x = 'Bik", "8-8:");

    check_inspect("Bike", 0, "Table: main.bike  (model Bike)");
    check_inspect("Bike", 0, "Rows: 1");
    check_inspect("Rental", 0, "bike: the Bike whose id = bike_id");
    check_inspect("Bike", 1, "CREATE TABLE bike (id INTEGER PRIMARY KEY");
    check_inspect("Bike", 1, "Brompton");
    check_inspect("qs.order_by", 0, "order_by(*fields)");
    check_inspect("df", 0, "Columns: model");
    check_inspect("Sum", 0, "Signature: Sum(expression, distinct=False)");
    check_inspect("ExtractHour", 0, "Docstring: The hour, 0 to 23.");

    tq_session_destroy(&s);
    return tap_done();
}
