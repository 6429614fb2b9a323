/*
 * This file tests kernel/wire.c: splitting frames at <IDS|MSG> with zero,
 * one and several routing identities and extra buffers; malformed frame
 * lists; sending a signed message over an inproc socket pair and reading
 * it back; and the frame and byte limits of kn_frames_recv.
 */
#include "tap.h"
#include "wire.h"

#include <string.h>

#define P(s) {s, sizeof s - 1}

int main(void)
{
    kn_wire_msg_t m;
    const char *err;

    kn_part_t none[] = {P("<IDS|MSG>"), P("sig"), P("{h}"), P("{p}"),
                        P("{m}"), P("{c}")};
    tap_ok(kn_wire_split(none, 6, &m, &err) == 0 && m.n_idents == 0 &&
           m.n_buffers == 0, "no identity");
    tap_ok(m.json[KN_CONTENT].len == 3 &&
           memcmp(m.json[KN_CONTENT].data, "{c}", 3) == 0 &&
           memcmp(m.signature.data, "sig", 3) == 0, "parts in order");

    kn_part_t two[] = {P("id-1"), P("id-2"), P("<IDS|MSG>"), P(""), P("{h}"),
                       P("{p}"), P("{m}"), P("{c}"), P("buf1"), P("buf2")};
    tap_ok(kn_wire_split(two, 10, &m, &err) == 0 && m.n_idents == 2 &&
           memcmp(m.idents[1].data, "id-2", 4) == 0, "two identities");
    tap_ok(m.n_buffers == 2 && memcmp(m.buffers[1].data, "buf2", 4) == 0,
           "two buffers");
    tap_ok(m.signature.len == 0, "empty signature kept as empty");

    kn_part_t nodelim[] = {P("id"), P("sig"), P("{}"), P("{}"), P("{}"),
                           P("{}")};
    int rc = kn_wire_split(nodelim, 6, &m, &err);  /* sets err first */
    tap_ok(rc != 0, "no delimiter: %s", err);
    kn_part_t shortm[] = {P("id"), P("<IDS|MSG>"), P("sig"), P("{}"), P("{}"),
                          P("{}")};
    rc = kn_wire_split(shortm, 6, &m, &err);
    tap_ok(rc != 0, "too few parts: %s", err);
    tap_ok(kn_wire_split(shortm, 0, &m, &err) != 0, "no frames at all");
    kn_part_t lookalike[] = {P("<IDS|MSG"), P("sig"), P("{}"), P("{}"),
                             P("{}"), P("{}")};
    tap_ok(kn_wire_split(lookalike, 6, &m, &err) != 0,
           "a near-delimiter is not a delimiter");

    /* send and receive through a socket pair */
    void *ctx = zmq_ctx_new();
    void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
    zmq_bind(a, "inproc://wire-test");
    zmq_connect(b, "inproc://wire-test");
    kn_signer_t *s = kn_signer_new("hmac-sha256", "key", 3);
    kn_part_t idents[] = {P("route")};
    kn_part_t json[] = {P("{\"msg_type\":\"x\"}"), P("{}"), P("{}"),
                        P("{\"a\":1}")};
    tap_ok(kn_wire_send(a, s, idents, 1, json) == 0, "send");
    kn_frames_t f = {0};
    tap_ok(kn_frames_recv(b, &f, 0, 64, 1 << 20) == 0 && f.count == 7,
           "received 7 frames");
    tap_ok(kn_wire_split(f.parts, f.count, &m, &err) == 0 &&
           m.n_idents == 1 && memcmp(m.idents[0].data, "route", 5) == 0,
           "identity routed back");
    tap_ok(kn_signer_verify(s, m.json, 4, m.signature.data, m.signature.len)
           == 0, "signature verifies");
    tap_ok(f.total == 5 + 9 + 64 + json[0].len + 2 + 2 + 7,
           "byte count %zu", f.total);

    /* limits */
    kn_wire_send(a, s, idents, 1, json);
    tap_ok(kn_frames_recv(b, &f, 0, 3, 1 << 20) == 0 && f.truncated &&
           f.count == 3, "frame limit truncates");
    kn_wire_send(a, s, idents, 1, json);
    tap_ok(kn_frames_recv(b, &f, 0, 64, 20) == 0 && f.truncated,
           "byte limit truncates");
    kn_wire_send(a, s, idents, 1, json);
    tap_ok(kn_frames_recv(b, &f, 0, 64, 1 << 20) == 0 && !f.truncated &&
           f.count == 7, "next message whole again");
    tap_ok(kn_frames_recv(b, &f, ZMQ_DONTWAIT, 64, 1 << 20) != 0 &&
           zmq_errno() == EAGAIN, "nothing waiting: EAGAIN");
    kn_frames_free(&f);
    kn_signer_destroy(&s);
    zmq_close(a);
    zmq_close(b);
    zmq_ctx_term(ctx);
    return tap_done();
}
