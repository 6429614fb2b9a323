/*
 * This file serves input() through the stdin channel: it sends an
 * input_request to the front end that made the current execute_request
 * (same routing identities, that request as parent header) and waits for
 * the signed input_reply, giving up on interrupt or shutdown. A reply
 * nobody asked for never answers a later input(): replies already waiting
 * are discarded before the request goes out (as ipykernel does), and a
 * reply whose parent header names another request is dropped.
 */
#include "stdin.h"
#include "log.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#define POLL_MS 100

/* Discards whatever waits on the stdin socket: replies to earlier
 * requests, or sent unasked. */
static void discard_waiting(kn_kernel_t *k)
{
    kn_frames_t frames = {0};
    while (kn_frames_recv(k->stdin_socket, &frames, ZMQ_DONTWAIT,
                          KN_MAX_FRAMES, KN_MAX_BYTES) == 0) {
        kn_warn("stdin: discarded a message sent before input() asked");
        kn_frames_reset(&frames);
    }
    kn_frames_free(&frames);
}

/* Whether `reply` answers the input_request `request_id`: its parent
 * header names that request, or it has none (jupyter_client's
 * BlockingKernelClient.input sends input_reply without a parent). */
static bool answers(const kn_msg_t *reply, const char *request_id)
{
    json_t *id = json_object_get(reply->parent, "msg_id");
    if (!json_is_string(id))
        return json_object_size(reply->parent) == 0;
    return strcmp(json_string_value(id), request_id) == 0;
}

/* See stdin.h. Replies to other requests are ignored and logged. */
char *kn_stdin_input(kn_kernel_t *k, const char *prompt, bool password)
{
    assert(k && k->stdin_socket && k->signer);
    const kn_msg_t *req = k->current;
    if (!req || !kn_msg_bool(req, "allow_stdin", false))
        return NULL;
    discard_waiting(k);
    json_t *content = json_pack("{sosb}", "prompt",
                                kn_json_text(prompt ? prompt : "",
                                             prompt ? strlen(prompt) : 0),
                                "password", password);
    char request_id[37];
    if (kn_msg_send_id(k->stdin_socket, k->signer, req->idents,
                       req->n_idents, "input_request", req, content, NULL,
                       request_id) != 0) {
        kn_warn("stdin: cannot send input_request: %s", zmq_strerror(errno));
        return NULL;
    }
    kn_frames_t frames = {0};
    char *answer = NULL;
    while (!atomic_load(&k->interrupted) && !atomic_load(&k->stopping)) {
        zmq_pollitem_t item = {k->stdin_socket, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, POLL_MS);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        if (kn_frames_recv(k->stdin_socket, &frames, ZMQ_DONTWAIT,
                           KN_MAX_FRAMES, KN_MAX_BYTES) != 0)
            continue;
        kn_msg_t reply;
        const char *detail;
        kn_decode_error_t err = kn_msg_decode(k->signer, &frames, &reply,
                                              &detail);
        if (err != KN_DECODE_OK) {
            kn_warn("stdin: dropped a message: %s%s%s",
                    kn_decode_error_text(err), detail ? ": " : "",
                    detail ? detail : "");
            if (err == KN_DECODE_CONTENT)
                kn_msg_clear(&reply);
            continue;
        }
        if (strcmp(reply.msg_type, "input_reply") == 0 &&
            !answers(&reply, request_id)) {
            kn_warn("stdin: dropped an input_reply to another request");
            kn_msg_clear(&reply);
            continue;
        }
        if (strcmp(reply.msg_type, "input_reply") == 0) {
            const char *value = kn_msg_string(&reply, "value", "");
            answer = kn_xstrdup(value);
            kn_msg_clear(&reply);
            break;
        }
        kn_warn("stdin: ignored %s while waiting for input_reply",
                reply.msg_type);
        kn_msg_clear(&reply);
    }
    kn_frames_free(&frames);
    return answer;
}
