/*
 * This file is the libFuzzer target for the kernel's message decoder: each
 * input becomes the frames of one received multipart message and goes
 * through kn_msg_decode, then through the accessors the shell handlers use
 * on a decoded message (kn_msg_string, kn_msg_bool, kn_msg_int) and through
 * kn_json_text, which turns arbitrary bytes into a JSON string.
 *
 * Input layout: the first byte holds flags, the rest is split into frames
 * at every 0x1F byte (the ASCII unit separator).
 *   bit 0  sign: the frame after "<IDS|MSG>" is replaced by the correct
 *          HMAC-SHA256 of the four frames after it, with the fixed key
 *          below, so the decoder gets past the signature check and parses
 *          the JSON parts
 *   bit 1  decode with an empty key (signing off) instead
 *   bit 2  mark the frames as truncated (over the kernel's size limits)
 *   bit 3  the rest is a connection file, not frames
 * A signer keeps a replay history, so an input run twice is refused the
 * second time: that path is fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connection.h"
#include "message.h"
#include "sign.h"
#include "wire.h"

#define SEPARATOR 0x1F
#define MAX_FRAMES 64

static const char key[] = "fuzz-key-0123456789abcdef";
static kn_signer_t *keyed, *unkeyed;

/* Reads every content member the request handlers read, by name. */
static void touch_content(const kn_msg_t *msg)
{
    static const char *const strings[] = {"code", "text", "hist_access_type",
                                          "pattern", "comm_id", "target_name",
                                          "value", NULL};
    static const char *const bools[] = {"silent", "store_history",
                                        "allow_stdin", "stop_on_error",
                                        "restart", "raw", "output", "unique",
                                        NULL};
    static const char *const ints[] = {"cursor_pos", "detail_level", "n",
                                       "session", "start", "stop", NULL};
    for (int i = 0; strings[i]; i++)
        (void)kn_msg_string(msg, strings[i], NULL);
    for (int i = 0; bools[i]; i++)
        (void)kn_msg_bool(msg, bools[i], false);
    for (int i = 0; ints[i]; i++)
        (void)kn_msg_int(msg, ints[i], -1);
}

/* Parses a connection file and formats its endpoints. */
static void fuzz_connection(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    kn_connection_t conn;
    memset(&conn, 0, sizeof conn);
    const char *error = NULL;
    if (kn_connection_parse(text, size, &conn, &error) == 0) {
        if (!conn.transport || !conn.ip || !conn.signature_scheme)
            abort();
        char endpoint[512];
        for (int c = 0; c < KN_CHANNEL_COUNT; c++) {
            (void)kn_channel_name((kn_channel_t)c);
            if (kn_connection_endpoint(&conn, (kn_channel_t)c, endpoint,
                                       sizeof endpoint) == 0 &&
                strlen(endpoint) >= sizeof endpoint)
                abort();
        }
        kn_signer_t *s = kn_signer_new(conn.signature_scheme, conn.key,
                                       conn.key_len);
        kn_signer_destroy(&s);
        kn_connection_clear(&conn);
    } else if (!error) {
        abort();
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!keyed) {
        kn_sign_init();
        kn_message_init();
        keyed = kn_signer_new("hmac-sha256", key, sizeof key - 1);
        unkeyed = kn_signer_new("hmac-sha256", "", 0);
        if (!keyed || !unkeyed)
            abort();
    }
    if (size == 0)
        return 0;
    unsigned flags = data[0];
    data++, size--;
    if (flags & 8) {
        fuzz_connection(data, size);
        return 0;
    }

    /* a private copy, so that a decoder reading past a frame is caught */
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    kn_part_t parts[MAX_FRAMES];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < MAX_FRAMES; i++) {
        if (i == size || (unsigned char)copy[i] == SEPARATOR) {
            parts[n].data = copy + start;
            parts[n].len = i - start;
            n++;
            start = i + 1;
        }
    }

    kn_signer_t *signer = (flags & 2) ? unkeyed : keyed;
    char digest[KN_DIGEST_HEX + 1];
    if (flags & 1) {
        for (size_t d = 0; d + 1 + 1 + KN_JSON_PARTS <= n; d++) {
            if (parts[d].len == sizeof KN_DELIMITER - 1 &&
                memcmp(parts[d].data, KN_DELIMITER, parts[d].len) == 0) {
                kn_signer_digest(signer, parts + d + 2, KN_JSON_PARTS, digest);
                parts[d + 1].data = digest;
                parts[d + 1].len = strlen(digest);
                break;
            }
        }
    }

    kn_frames_t frames = {.parts = parts, .count = n, .cap = n,
                          .truncated = (flags & 4) != 0};
    kn_msg_t msg;
    const char *detail = NULL;
    kn_decode_error_t err = kn_msg_decode(signer, &frames, &msg, &detail);
    (void)kn_decode_error_text(err);
    if (err == KN_DECODE_OK || err == KN_DECODE_CONTENT) {
        /* KN_DECODE_CONTENT keeps the message for its error reply */
        if (!msg.msg_type || !msg.msg_id || !msg.header || !msg.content)
            abort();
        touch_content(&msg);
        kn_msg_clear(&msg);
    } else if (err == KN_DECODE_CONTENT) {
        /* the one failure that leaves msg filled (message.h): a signed
         * request with unreadable content, answered with an error */
        if (!msg.msg_type || !msg.msg_id || !msg.header)
            abort();
        char type[64];
        json_t *reply = kn_msg_bad_content_reply(&msg, type, sizeof type);
        json_decref(reply);
        kn_msg_clear(&msg);
    }

    json_t *text = kn_json_text(copy, size);
    if (!text || !json_is_string(text))
        abort();
    json_decref(text);
    free(copy);
    return 0;
}
