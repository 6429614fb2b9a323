/*
 * This file decodes and encodes Jupyter messages. Decoding checks, in this
 * order: the frame layout, the HMAC signature over the raw bytes, the
 * replay history, then parses the four parts with jansson (which refuses
 * invalid JSON and non-UTF-8 bytes) and checks the header. Encoding builds
 * the header text directly (all its fields are ASCII we make), reuses the
 * request's raw header bytes as parent header, and dumps content with
 * jansson.
 */
#include "message.h"

#include <assert.h>
#include "util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

static char session_id[37];

static const char *const decode_texts[] = {
#define X(name, text) text,
    KN_DECODE_ERRORS(X)
#undef X
};

/* Static text for the log. */
const char *kn_decode_error_text(kn_decode_error_t err)
{
    return decode_texts[err];
}

/* Generates the session id; main thread, before other threads start. */
void kn_message_init(void)
{
    uuid_t u;
    uuid_generate(u);
    uuid_unparse_lower(u, session_id);
}

/* Borrowed; valid for the life of the process. */
const char *kn_message_session(void)
{
    return session_id;
}

/* Parses one JSON object part; NULL when it is not a JSON object, with
 * the reason in `why` (size >= 1) when given. */
static json_t *parse_object(const kn_part_t *part, char *why, size_t size)
{
    json_error_t error;
    json_t *v = json_loadb(part->data, part->len, 0, &error);
    if (v && !json_is_object(v)) {
        json_decref(v);
        if (why)
            snprintf(why, size, "not a JSON object");
        return NULL;
    }
    if (!v && why)
        snprintf(why, size, "%.100s", error.text);
    return v;
}

/* The header's ISO-8601 date ("2026-01-02T03:04:05.123456Z", or with a
 * +HH:MM offset, or none meaning UTC) in seconds since the epoch; 0 when
 * absent or unreadable. */
static double header_date(json_t *header)
{
    const char *text = json_string_value(json_object_get(header, "date"));
    if (!text)
        return 0;
    struct tm tm = {0};
    int n = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    double seconds = (double)timegm(&tm);
    const char *p = text + n;
    if (*p == '.') {
        double scale = 0.1;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            seconds += (*p - '0') * scale;
    }
    int oh, om;
    if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
        seconds -= (*p == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
    return seconds;
}

/* See message.h. */
kn_decode_error_t kn_msg_decode(kn_signer_t *signer, const kn_frames_t *frames,
                                kn_msg_t *msg, const char **detail)
{
    memset(msg, 0, sizeof *msg);
    *detail = NULL;
    if (frames->truncated)
        return KN_DECODE_TOO_BIG;
    kn_wire_msg_t w;
    if (kn_wire_split(frames->parts, frames->count, &w, detail) != 0)
        return KN_DECODE_FRAMING;
    if (kn_signer_verify(signer, w.json, KN_JSON_PARTS, w.signature.data,
                         w.signature.len) != 0)
        return KN_DECODE_SIGNATURE;
    msg->header = parse_object(&w.json[KN_HEADER], NULL, 0);
    if (!msg->header)
        return KN_DECODE_JSON;
    /* The other parts may be unreadable in a signed message: then it is
     * answered with an error (KN_DECODE_CONTENT), not dropped. */
    static const char *const part_names[] = {"parent header", "metadata",
                                             "content"};
    json_t **parts[] = {&msg->parent, &msg->metadata, &msg->content};
    const int part_index[] = {KN_PARENT, KN_METADATA, KN_CONTENT};
    bool bad = false;
    for (size_t i = 0; i < 3; i++) {
        char why[120];
        *parts[i] = parse_object(&w.json[part_index[i]], why, sizeof why);
        if (!*parts[i]) {
            if (!bad)
                snprintf(msg->bad_content, sizeof msg->bad_content,
                         "the request's %s is not valid JSON: %s",
                         part_names[i], why);
            bad = true;
            *parts[i] = json_object();
        }
    }
    json_t *type = json_object_get(msg->header, "msg_type");
    json_t *id = json_object_get(msg->header, "msg_id");
    if (!json_is_string(type) || !json_is_string(id) ||
        json_string_length(type) == 0) {
        kn_msg_clear(msg);
        return KN_DECODE_HEADER;
    }
    /* only a well-formed, verified message enters the replay history */
    if (kn_signer_remember(signer, w.signature.data, w.signature.len,
                           header_date(msg->header)) != 0) {
        kn_msg_clear(msg);
        return KN_DECODE_REPLAY;
    }
    msg->msg_type = json_string_value(type);
    msg->msg_id = json_string_value(id);
    size_t bytes = w.json[KN_HEADER].len;
    for (size_t i = 0; i < w.n_idents; i++)
        bytes += w.idents[i].len;
    char *buf = kn_xmalloc(bytes ? bytes : 1);
    msg->idents = kn_xcalloc(w.n_idents ? w.n_idents : 1, sizeof *msg->idents);
    msg->n_idents = w.n_idents;
    char *p = buf;
    memcpy(p, w.json[KN_HEADER].data, w.json[KN_HEADER].len);
    msg->header_raw.data = p;
    msg->header_raw.len = w.json[KN_HEADER].len;
    p += w.json[KN_HEADER].len;
    for (size_t i = 0; i < w.n_idents; i++) {
        memcpy(p, w.idents[i].data, w.idents[i].len);
        msg->idents[i].data = p;
        msg->idents[i].len = w.idents[i].len;
        p += w.idents[i].len;
    }
    return bad ? KN_DECODE_CONTENT : KN_DECODE_OK;
}

/* See message.h. */
json_t *kn_msg_bad_content_reply(const kn_msg_t *msg, char *type, size_t size)
{
    assert(msg->msg_type && size > 0);
    static const char suffix[] = "_request";
    size_t n = strlen(msg->msg_type), k = sizeof suffix - 1;
    if (n <= k || strcmp(msg->msg_type + n - k, suffix) != 0 ||
        n - k + sizeof "_reply" > size)
        return NULL;
    snprintf(type, size, "%.*s_reply", (int)(n - k), msg->msg_type);
    /* the parser's message may quote the offending bytes: never invalid
     * UTF-8 in the reply */
    json_t *evalue = kn_json_text(msg->bad_content, strlen(msg->bad_content));
    json_t *reply = json_pack("{s:s, s:s, s:o, s:[]}", "status", "error",
                              "ename", "ValueError", "evalue", evalue,
                              "traceback");
    assert(reply);
    return reply;
}

/* Frees the JSON parts and the copied bytes (one block owned by
 * header_raw). */
void kn_msg_clear(kn_msg_t *msg)
{
    json_decref(msg->header);
    json_decref(msg->parent);
    json_decref(msg->metadata);
    json_decref(msg->content);
    free((char *)msg->header_raw.data);
    free(msg->idents);
    memset(msg, 0, sizeof *msg);
}

/* Formats the current UTC time as 2026-01-02T03:04:05.123456Z. */
static void iso_date(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%06ldZ", ts.tv_nsec / 1000);
}

/* See message.h. msg_type is one of the kernel's own names (ASCII). */
/* Builds the header with the msg_id `id` (a fresh uuid). */
static size_t header_with_id(const char *msg_type, char *buf, size_t size,
                             char id[37])
{
    uuid_t u;
    char date[32];
    uuid_generate(u);
    uuid_unparse_lower(u, id);
    iso_date(date);
    int n = snprintf(buf, size,
                     "{\"msg_id\":\"%s\",\"session\":\"%s\","
                     "\"username\":\"kernel\",\"date\":\"%s\","
                     "\"msg_type\":\"%s\",\"version\":\"" KN_PROTOCOL_VERSION
                     "\"}",
                     id, session_id, date, msg_type);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* See message.h. */
size_t kn_msg_header(const char *msg_type, char *buf, size_t size)
{
    char id[37];
    return header_with_id(msg_type, buf, size, id);
}

/* See message.h. */
int kn_msg_send(void *socket, kn_signer_t *signer, const kn_part_t *idents,
                size_t n_idents, const char *msg_type, const kn_msg_t *parent,
                json_t *content, json_t *metadata)
{
    char id[37];
    return kn_msg_send_id(socket, signer, idents, n_idents, msg_type, parent,
                          content, metadata, id);
}

/* See message.h. */
int kn_msg_send_id(void *socket, kn_signer_t *signer,
                   const kn_part_t *idents, size_t n_idents,
                   const char *msg_type, const kn_msg_t *parent,
                   json_t *content, json_t *metadata, char msg_id[37])
{
    char header[512];
    kn_part_t json[KN_JSON_PARTS];
    json[KN_HEADER].data = header;
    json[KN_HEADER].len = header_with_id(msg_type, header, sizeof header,
                                         msg_id);
    if (parent && parent->header_raw.len) {
        json[KN_PARENT] = parent->header_raw;
    } else {
        json[KN_PARENT].data = "{}";
        json[KN_PARENT].len = 2;
    }
    char *meta = metadata ? json_dumps(metadata, JSON_COMPACT) : NULL;
    char *body = content ? json_dumps(content, JSON_COMPACT) : NULL;
    json[KN_METADATA].data = meta ? meta : "{}";
    json[KN_METADATA].len = strlen(json[KN_METADATA].data);
    json[KN_CONTENT].data = body ? body : "{}";
    json[KN_CONTENT].len = strlen(json[KN_CONTENT].data);
    int rc = kn_wire_send(socket, signer, idents, n_idents, json);
    free(meta);
    free(body);
    json_decref(content);
    json_decref(metadata);
    return rc;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return c == 0 ? 0 : 1;          /* jansson refuses NUL */
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; c &= 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    return len;
}

/* See message.h. The common case (valid text) copies once. */
json_t *kn_json_text(const char *data, size_t len)
{
    json_t *v = json_stringn(data, len);
    if (v)
        return v;
    const unsigned char *s = (const unsigned char *)data;
    char *out = kn_xmalloc(len * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(s + i, len - i);
        if (k == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        }
    }
    v = json_stringn(out, o);
    free(out);
    return v ? v : json_string("");
}

/* Borrowed from msg->content; see message.h. */
const char *kn_msg_string(const kn_msg_t *msg, const char *key,
                          const char *dflt)
{
    json_t *v = json_object_get(msg->content, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* A missing or non-boolean member gives dflt. */
bool kn_msg_bool(const kn_msg_t *msg, const char *key, bool dflt)
{
    json_t *v = json_object_get(msg->content, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* A missing or non-integer member gives dflt. */
long long kn_msg_int(const kn_msg_t *msg, const char *key, long long dflt)
{
    json_t *v = json_object_get(msg->content, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}
