/*
 * This file tests kernel/mime.c: text types as strings, PNG as base64
 * without line breaks, application/json as a JSON value, invalid JSON and
 * invalid UTF-8 kept as (repaired) text.
 */
#include "mime.h"
#include "tap.h"

#include <string.h>

int main(void)
{
    char png[] = "\x89PNG\r\n\x1a\n\x00\x01\x02";
    tq_mime_t items[] = {
        {"text/plain", "42", 2},
        {"text/html", "<b>x</b>", 8},
        {"image/png", png, 11},
        {"application/json", "{\"a\": [1, 2]}", 13},
        {"application/vnd.x+json", "not json", 8},
        {"image/svg+xml", "<svg/>", 6},
        {"text/csv", "a\xff", 2},
    };
    tq_bundle_t b = {items, sizeof items / sizeof *items};
    json_t *d = kn_bundle_json(&b);
    tap_ok(json_object_size(d) == 7, "seven representations");
    tap_ok(strcmp(json_string_value(json_object_get(d, "text/plain")), "42")
           == 0, "text/plain as a string");
    tap_ok(strcmp(json_string_value(json_object_get(d, "image/png")),
                  "iVBORw0KGgoAAQI=") == 0, "PNG as base64");
    json_t *j = json_object_get(d, "application/json");
    tap_ok(json_is_object(j) &&
           json_integer_value(json_array_get(json_object_get(j, "a"), 1)) == 2,
           "application/json as a JSON value");
    tap_ok(strcmp(json_string_value(json_object_get(d,
           "application/vnd.x+json")), "not json") == 0,
           "invalid JSON kept as text");
    tap_ok(strcmp(json_string_value(json_object_get(d, "image/svg+xml")),
                  "<svg/>") == 0, "SVG as text");
    tap_ok(strcmp(json_string_value(json_object_get(d, "text/csv")),
                  "a\xef\xbf\xbd") == 0, "invalid UTF-8 repaired");
    json_decref(d);
    tq_bundle_t empty = {NULL, 0};
    d = kn_bundle_json(&empty);
    tap_ok(json_object_size(d) == 0, "empty bundle, empty object");
    json_decref(d);
    return tap_done();
}
