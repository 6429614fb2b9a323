/*
 * This file tests kernel/history.c on an in-memory database: tail, range
 * (with stop exclusive), search with a glob, unique and n, output pairs.
 */
#include "history.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static json_t *query(kn_history_t *h, const char *json)
{
    json_t *content = json_loads(json, 0, NULL);
    json_t *out = kn_history_query(h, content);
    json_decref(content);
    return out;
}

static const char *source_at(json_t *rows, size_t i)
{
    return json_string_value(json_array_get(json_array_get(rows, i), 2));
}

static long long line_at(json_t *rows, size_t i)
{
    return json_integer_value(json_array_get(json_array_get(rows, i), 1));
}

int main(void)
{
    setenv("TABULA_HISTORY", ":memory:", 1);
    kn_history_t *h = kn_history_new();
    json_t *r = query(h, "{\"hist_access_type\": \"tail\", \"n\": 5}");
    tap_ok(json_array_size(r) == 0, "empty history");
    json_decref(r);
    const char *cells[] = {"x = 1", "x + 1", "print(x)", "x = 1", "y = 2"};
    for (int i = 0; i < 5; i++)
        kn_history_store(h, i + 1, cells[i]);

    r = query(h, "{\"hist_access_type\": \"tail\", \"n\": 2}");
    tap_ok(json_array_size(r) == 2 && strcmp(source_at(r, 0), "x = 1") == 0
           && strcmp(source_at(r, 1), "y = 2") == 0 && line_at(r, 1) == 5,
           "tail n=2, oldest first");
    json_decref(r);

    r = query(h, "{\"hist_access_type\": \"range\", \"session\": 0, "
                 "\"start\": 2, \"stop\": 4}");
    tap_ok(json_array_size(r) == 2 && line_at(r, 0) == 2 && line_at(r, 1) == 3,
           "range 2..4 gives lines 2 and 3");
    json_decref(r);

    r = query(h, "{\"hist_access_type\": \"search\", \"pattern\": \"x = *\", "
                 "\"n\": 10}");
    tap_ok(json_array_size(r) == 2, "search finds both x = 1");
    json_decref(r);
    r = query(h, "{\"hist_access_type\": \"search\", \"pattern\": \"x = *\", "
                 "\"unique\": true, \"n\": 10}");
    tap_ok(json_array_size(r) == 1 && line_at(r, 0) == 4,
           "unique keeps the latest");
    json_decref(r);
    r = query(h, "{\"hist_access_type\": \"search\", \"pattern\": \"*\", "
                 "\"n\": 1}");
    tap_ok(json_array_size(r) == 1 && line_at(r, 0) == 5, "search n=1");
    json_decref(r);

    r = query(h, "{\"hist_access_type\": \"tail\", \"n\": 1, \"output\": true}");
    json_t *pair = json_array_get(json_array_get(r, 0), 2);
    tap_ok(json_is_array(pair) && json_is_null(json_array_get(pair, 1)) &&
           strcmp(json_string_value(json_array_get(pair, 0)), "y = 2") == 0,
           "output=true gives [input, null]");
    json_decref(r);

    r = query(h, "{\"hist_access_type\": \"search\", \"pattern\": \"'; DROP "
                 "TABLE history; --\"}");
    tap_ok(json_array_size(r) == 0, "a hostile pattern is just a pattern");
    json_decref(r);
    r = query(h, "{\"hist_access_type\": \"tail\", \"n\": 10}");
    tap_ok(json_array_size(r) == 5, "history intact");
    json_decref(r);
    kn_history_destroy(&h);
    tap_ok(h == NULL, "destroy NULLs the pointer");
    return tap_done();
}
