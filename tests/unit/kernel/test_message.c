/*
 * This file tests kernel/message.c: decoding a signed message, and every
 * reason to drop one (bad or missing signature, replay, invalid JSON,
 * non-UTF-8 bytes, a header without msg_type or msg_id, a part that is not
 * an object, too many bytes); the header the kernel writes; and the
 * repair of non-UTF-8 text.
 */
#include "message.h"
#include "tap.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define P(s) {s, sizeof s - 1}

/* Builds frames [ident, delim, sig, h, p, m, c] signed with s (or with the
 * given signature when sig is not NULL). */
static kn_frames_t frames_of(kn_signer_t *s, kn_part_t *store, const char *h,
                             const char *c, const char *sig, char *sigbuf)
{
    kn_part_t json[4] = {{h, strlen(h)}, P("{}"), P("{}"), {c, strlen(c)}};
    if (!sig) {
        kn_signer_digest(s, json, 4, sigbuf);
        sig = sigbuf;
    }
    store[0] = (kn_part_t)P("client-id");
    store[1] = (kn_part_t)P("<IDS|MSG>");
    store[2] = (kn_part_t){sig, strlen(sig)};
    for (int i = 0; i < 4; i++)
        store[3 + i] = json[i];
    kn_frames_t f = {0};
    f.parts = store;
    f.count = 7;
    return f;
}

static kn_decode_error_t decode(kn_signer_t *s, const char *h, const char *c,
                                const char *sig, kn_msg_t *msg)
{
    kn_part_t store[7];
    char sigbuf[KN_DIGEST_HEX + 1];
    kn_frames_t f = frames_of(s, store, h, c, sig, sigbuf);
    const char *detail;
    return kn_msg_decode(s, &f, msg, &detail);
}

/* A request header dated now (the replay history refuses messages dated
 * long before the kernel started). */
static char header[256];

static void make_header(void)
{
    char date[32];
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S.000000Z", gmtime(&t));
    snprintf(header, sizeof header,
             "{\"msg_id\":\"m1\",\"msg_type\":\"execute_request\","
             "\"session\":\"s\",\"username\":\"u\",\"date\":\"%s\","
             "\"version\":\"5.3\"}", date);
}

int main(void)
{
    kn_message_init();
    make_header();
    kn_signer_t *s = kn_signer_new("hmac-sha256", "k3y", 3);
    kn_msg_t msg;

    tap_ok(decode(s, header, "{\"code\":\"1 + 1\"}", NULL, &msg) ==
           KN_DECODE_OK, "signed message decodes");
    tap_ok(strcmp(msg.msg_type, "execute_request") == 0 &&
           strcmp(msg.msg_id, "m1") == 0, "msg_type and msg_id");
    tap_ok(strcmp(kn_msg_string(&msg, "code", ""), "1 + 1") == 0 &&
           kn_msg_bool(&msg, "silent", true) && kn_msg_int(&msg, "n", 7) == 7,
           "content accessors and defaults");
    tap_ok(msg.n_idents == 1 && msg.idents[0].len == 9 &&
           memcmp(msg.idents[0].data, "client-id", 9) == 0, "identity copied");
    tap_ok(msg.header_raw.len == strlen(header) &&
           memcmp(msg.header_raw.data, header, strlen(header)) == 0,
           "raw header kept for parent_header");
    kn_msg_clear(&msg);

    tap_ok(decode(s, header, "{\"code\":\"1 + 1\"}", NULL, &msg) ==
           KN_DECODE_REPLAY, "same message again is a replay");
    char wrong[65];
    memset(wrong, 'a', 64);
    wrong[64] = '\0';
    tap_ok(decode(s, header, "{\"code\":\"2\"}", wrong, &msg) ==
           KN_DECODE_SIGNATURE, "wrong signature dropped");
    tap_ok(decode(s, header, "{\"code\":\"2\"}", "", &msg) ==
           KN_DECODE_SIGNATURE, "missing signature dropped");
    tap_ok(msg.header == NULL && msg.content == NULL,
           "dropped message left empty");
    /* A signed request with unreadable content is kept for an error
     * reply (KN_DECODE_CONTENT), its header read and the reason given. */
    tap_ok(decode(s, header, "{\"code\": ", NULL, &msg) == KN_DECODE_CONTENT &&
           !strcmp(msg.msg_type, "execute_request") &&
           strstr(msg.bad_content, "content is not valid JSON") &&
           json_object_size(msg.content) == 0,
           "invalid JSON content kept for an error reply");
    char type[64];
    json_t *r = kn_msg_bad_content_reply(&msg, type, sizeof type);
    tap_ok(r && !strcmp(type, "execute_reply") &&
           !strcmp(json_string_value(json_object_get(r, "status")), "error") &&
           !strcmp(json_string_value(json_object_get(r, "ename")),
                   "ValueError"),
           "its reply is an execute_reply with status error");
    json_decref(r);
    kn_msg_clear(&msg);
    tap_ok(decode(s, header, "{\"code\":\"\xff\xfe\"}", NULL, &msg) ==
           KN_DECODE_CONTENT, "non-UTF-8 content kept for an error reply");
    kn_msg_clear(&msg);
    tap_ok(decode(s, header, "[1]", NULL, &msg) == KN_DECODE_CONTENT,
           "content that is not an object kept for an error reply");
    kn_msg_clear(&msg);
    tap_ok(decode(s, "{\"msg_id\": ", "{}", NULL, &msg) == KN_DECODE_JSON &&
           msg.header == NULL, "invalid JSON header dropped");
    tap_ok(decode(s, "{\"msg_id\":\"m2\"}", "{}", NULL, &msg) ==
           KN_DECODE_HEADER, "header without msg_type dropped");
    tap_ok(decode(s, "{\"msg_type\":\"kernel_info_request\"}", "{}", NULL,
                  &msg) == KN_DECODE_HEADER, "header without msg_id dropped");
    tap_ok(decode(s, "{\"msg_id\":3,\"msg_type\":\"x\"}", "{}", NULL, &msg) ==
           KN_DECODE_HEADER, "numeric msg_id dropped");

    kn_part_t store[7];
    char sigbuf[KN_DIGEST_HEX + 1];
    kn_frames_t f = frames_of(s, store, header, "{\"a\":2}", NULL, sigbuf);
    f.truncated = true;
    const char *detail;
    tap_ok(kn_msg_decode(s, &f, &msg, &detail) == KN_DECODE_TOO_BIG,
           "truncated message dropped");
    f = frames_of(s, store, header, "{\"a\":3}", NULL, sigbuf);
    f.parts = store + 2;        /* no delimiter left */
    f.count = 5;
    detail = NULL;
    kn_decode_error_t derr = kn_msg_decode(s, &f, &msg, &detail);
    tap_ok(derr == KN_DECODE_FRAMING, "missing delimiter dropped: %s",
           detail ? detail : "(no detail)");

    char h[512];
    size_t n = kn_msg_header("status", h, sizeof h);
    json_t *hj = json_loadb(h, n, 0, NULL);
    tap_ok(hj != NULL, "header is JSON: %s", h);
    const char *date = json_string_value(json_object_get(hj, "date"));
    regex_t re;
    regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
            "\\.[0-9]{6}Z$", REG_EXTENDED | REG_NOSUB);
    tap_ok(date && regexec(&re, date, 0, NULL, 0) == 0,
           "date is ISO-8601 with microseconds and Z");
    regfree(&re);
    tap_ok(strcmp(json_string_value(json_object_get(hj, "version")), "5.3")
           == 0 && strcmp(json_string_value(json_object_get(hj, "session")),
                          kn_message_session()) == 0 &&
           strlen(json_string_value(json_object_get(hj, "msg_id"))) == 36,
           "version, session and uuid msg_id");
    json_decref(hj);
    char h2[512];
    kn_msg_header("status", h2, sizeof h2);
    tap_ok(strncmp(h, h2, 48) != 0, "msg_ids differ");

    json_t *t = kn_json_text("a\xff" "b\xc3\xa9", 5);
    tap_ok(t && strcmp(json_string_value(t), "a\xef\xbf\xbd" "b\xc3\xa9") == 0,
           "invalid byte replaced by U+FFFD, valid UTF-8 kept");
    json_decref(t);
    kn_signer_destroy(&s);
    return tap_done();
}
