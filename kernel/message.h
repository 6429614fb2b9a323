/*
 * This file declares Jupyter messages as the kernel handles them: a
 * received message, verified and parsed with jansson, and the sending of
 * new messages with a fresh header (uuid msg_id, ISO-8601 date with
 * microseconds and Z, protocol version 5.3) whose parent header is the raw
 * header of the request it answers.
 */
#ifndef KN_MESSAGE_H
#define KN_MESSAGE_H

#include "sign.h"
#include "wire.h"

#include <jansson.h>
#include <stdbool.h>

#define KN_PROTOCOL_VERSION "5.3"

/* A received, verified message. Everything is owned by the message. */
typedef struct kn_msg {
    json_t *header, *parent, *metadata, *content;
    const char *msg_type;   /* borrowed from header */
    const char *msg_id;     /* borrowed from header */
    kn_part_t *idents;      /* copies of the routing identities */
    size_t n_idents;
    kn_part_t header_raw;   /* copy of the header bytes, for replies */
    /* KN_DECODE_CONTENT only: why the parent header, metadata or content
     * could not be read (those parts are then empty objects). */
    char bad_content[160];
} kn_msg_t;

/* Why a message was refused, as an X-macro list for the log. */
#define KN_DECODE_ERRORS(X)                                       \
    X(OK, "ok")                                                   \
    X(FRAMING, "malformed frames")                                \
    X(SIGNATURE, "wrong or missing signature")                    \
    X(REPLAY, "replayed signature")                               \
    X(JSON, "invalid JSON or non-UTF-8 bytes")                    \
    X(HEADER, "header lacks msg_id, msg_type or is not an object")\
    X(CONTENT, "unreadable content in a signed message")          \
    X(TOO_BIG, "message too large")

typedef enum kn_decode_error {
#define X(name, text) KN_DECODE_##name,
    KN_DECODE_ERRORS(X)
#undef X
} kn_decode_error_t;

/* Describes a decode error. */
const char *kn_decode_error_text(kn_decode_error_t err);

/* Makes the kernel's session id; call once before any thread starts. */
void kn_message_init(void);
/* The kernel's session id (a uuid). */
const char *kn_message_session(void);

/* Verifies and parses received frames into `msg` (zeroed on failure).
 * The signature is checked before any byte is parsed. Returns
 * KN_DECODE_OK or the reason the message must be dropped; `detail` then
 * points to a static string or NULL. KN_DECODE_CONTENT is the one failure
 * that leaves `msg` filled (header, ids, routing identities; the unreadable
 * parts as empty objects, the reason in msg->bad_content): a signed request
 * whose content is not valid JSON (NUL escapes, lone surrogates, invalid
 * UTF-8, integers past 64 bits) must still get an error reply, or the
 * front end waits forever. The caller answers it with
 * kn_msg_bad_content_reply and clears it. */
kn_decode_error_t kn_msg_decode(kn_signer_t *signer, const kn_frames_t *frames,
                                kn_msg_t *msg, const char **detail);
/* For a KN_DECODE_CONTENT message: the reply's type (msg_type with
 * "_request" turned into "_reply", written into `type`) and its content,
 * an error with ename ValueError (new reference). NULL when the message
 * is not a request, which gets no reply. */
json_t *kn_msg_bad_content_reply(const kn_msg_t *msg, char *type,
                                 size_t size);

/* Frees what kn_msg_decode allocated and zeroes msg. */
void kn_msg_clear(kn_msg_t *msg);

/* Builds a new header for `msg_type` into buf (size >= 512); returns its
 * length. */
size_t kn_msg_header(const char *msg_type, char *buf, size_t size);

/* Sends a message of `msg_type` to `idents` on `socket`, with `parent`'s
 * header as parent header (an empty one when parent is NULL). Steals
 * `content` and `metadata` (NULL means {}). Returns 0 or -1. */
int kn_msg_send(void *socket, kn_signer_t *signer, const kn_part_t *idents,
                size_t n_idents, const char *msg_type, const kn_msg_t *parent,
                json_t *content, json_t *metadata);
/* The same, writing the new message's msg_id into `msg_id` (37 bytes). */
int kn_msg_send_id(void *socket, kn_signer_t *signer,
                   const kn_part_t *idents, size_t n_idents,
                   const char *msg_type, const kn_msg_t *parent,
                   json_t *content, json_t *metadata, char msg_id[37]);

/* A JSON string from bytes that may not be valid UTF-8: invalid sequences
 * become U+FFFD. Returns a new reference. */
json_t *kn_json_text(const char *data, size_t len);

/* A string member of msg->content, or `dflt`. Borrowed. */
const char *kn_msg_string(const kn_msg_t *msg, const char *key,
                          const char *dflt);
/* A boolean member of msg->content, or `dflt`. */
bool kn_msg_bool(const kn_msg_t *msg, const char *key, bool dflt);
/* An integer member of msg->content, or `dflt`. */
long long kn_msg_int(const kn_msg_t *msg, const char *key, long long dflt);

#endif
