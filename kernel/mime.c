/*
 * This file turns a tq_bundle_t into a Jupyter MIME bundle: text types and
 * SVG go as strings, application/json and +json types as JSON values,
 * every other type (PNG, JPEG, PDF) as base64 with libsodium's encoder
 * (libzmq already loads libsodium).
 */
#include "mime.h"
#include "message.h"
#include "util.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static bool is_text(const char *type)
{
    return strncmp(type, "text/", 5) == 0 || strcmp(type, "image/svg+xml") == 0
        || strcmp(type, "application/javascript") == 0
        || ends_with(type, "+xml");
}

/* base64 without line breaks, as Jupyter expects. */
static json_t *base64(const char *data, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len,
                                           sodium_base64_VARIANT_ORIGINAL);
    char *out = kn_xmalloc(cap);
    sodium_bin2base64(out, cap, (const unsigned char *)data, len,
                      sodium_base64_VARIANT_ORIGINAL);
    json_t *v = json_stringn(out, strlen(out));
    free(out);
    return v;
}

/* See mime.h. */
json_t *kn_bundle_json(const tq_bundle_t *bundle)
{
    json_t *data = json_object();
    for (size_t i = 0; i < bundle->count; i++) {
        const tq_mime_t *m = &bundle->items[i];
        json_t *v = NULL;
        if (strcmp(m->type, TQ_BUNDLE_METADATA) == 0)
            continue;                   /* kn_bundle_metadata's */
        if (strcmp(m->type, "application/json") == 0 ||
            ends_with(m->type, "+json"))
            v = json_loadb(m->data, m->len, JSON_DECODE_ANY, NULL);
        if (!v)
            v = is_text(m->type) || ends_with(m->type, "json")
                ? kn_json_text(m->data, m->len) : base64(m->data, m->len);
        json_object_set_new(data, m->type, v);
    }
    return data;
}

/* See mime.h. */
json_t *kn_bundle_metadata(const tq_bundle_t *bundle)
{
    const tq_mime_t *m = NULL;
    for (size_t i = 0; i < bundle->count && !m; i++)
        if (strcmp(bundle->items[i].type, TQ_BUNDLE_METADATA) == 0)
            m = &bundle->items[i];
    json_t *v = m ? json_loadb(m->data, m->len, 0, NULL) : NULL;
    if (v && json_is_object(v))
        return v;
    json_decref(v);
    return json_object();
}
