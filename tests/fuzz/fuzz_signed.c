/*
 * This file is the libFuzzer target for correctly signed messages with
 * hostile contents: each input becomes the parent header, metadata or
 * content of a request whose header is valid and whose HMAC is right, so
 * every input gets past the signature check. The kernel must answer every
 * such request: the decoder may only accept it (KN_DECODE_OK) or keep it
 * for an error reply (KN_DECODE_CONTENT), and that reply must exist. Any
 * other outcome aborts, which is how the no-reply class (a request the
 * front end waits for forever) shows up as a fuzzer crash.
 *
 * Input layout: byte 0 picks the request type, byte 1 which part the rest
 * replaces (0 parent, 1 metadata, 2 content).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "message.h"
#include "sign.h"
#include "wire.h"

static const char key[] = "fuzz-key-0123456789abcdef";
static kn_signer_t *signer;

static const char *const request_types[] = {
    "execute_request", "inspect_request", "complete_request",
    "is_complete_request", "history_request", "kernel_info_request",
    "comm_info_request", "shutdown_request", "interrupt_request",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long serial;
    if (!signer) {
        kn_sign_init();
        kn_message_init();
        signer = kn_signer_new("hmac-sha256", key, sizeof key - 1);
    }
    if (size < 2)
        return 0;
    size_t ntypes = sizeof request_types / sizeof *request_types;
    const char *type = request_types[data[0] % ntypes];
    int part = data[1] % 3;
    char date[32], header[256];
    time_t t = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S.000000Z", gmtime(&t));
    /* a new msg_id each run: the replay history never refuses an input */
    snprintf(header, sizeof header,
             "{\"msg_id\":\"fuzz-%lu\",\"msg_type\":\"%s\",\"session\":\"s\","
             "\"username\":\"u\",\"date\":\"%s\",\"version\":\"5.3\"}",
             ++serial, type, date);
    kn_part_t json[4] = {
        {header, strlen(header)}, {"{}", 2}, {"{}", 2}, {"{}", 2},
    };
    json[1 + part].data = (const char *)data + 2;
    json[1 + part].len = size - 2;
    char sig[KN_DIGEST_HEX + 1];
    kn_signer_digest(signer, json, 4, sig);
    kn_part_t frames[7] = {
        {"client", 6}, {"<IDS|MSG>", 9}, {sig, strlen(sig)},
        json[0], json[1], json[2], json[3],
    };
    kn_frames_t f = {0};
    f.parts = frames;
    f.count = 7;
    kn_msg_t msg;
    const char *detail;
    kn_decode_error_t err = kn_msg_decode(signer, &f, &msg, &detail);
    if (err == KN_DECODE_OK) {
        (void)kn_msg_string(&msg, "code", NULL);
        (void)kn_msg_int(&msg, "cursor_pos", -1);
    } else if (err == KN_DECODE_CONTENT) {
        char reply_type[96];
        json_t *reply = kn_msg_bad_content_reply(&msg, reply_type,
                                                 sizeof reply_type);
        if (!reply) {
            fprintf(stderr, "no error reply for a signed %s\n", type);
            abort();
        }
        char *text = json_dumps(reply, JSON_COMPACT);
        if (!text) {
            fprintf(stderr, "the error reply cannot be sent\n");
            abort();
        }
        free(text);
        json_decref(reply);
    } else {
        fprintf(stderr, "a signed %s was dropped: %s\n", type,
                kn_decode_error_text(err));
        abort();
    }
    kn_msg_clear(&msg);
    return 0;
}
