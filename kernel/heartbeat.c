/*
 * This file is the heartbeat thread: a ROUTER socket that sends every
 * message back to its sender unchanged, frame by frame, without copying.
 * Nothing else runs on this thread, so a long cell never delays it.
 */
#include "heartbeat.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <zmq.h>

/* See heartbeat.h. Returns when the context shuts down (ETERM). */
void *kn_heartbeat_thread(void *socket)
{
    assert(socket);
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, socket, 0) < 0) {
            zmq_msg_close(&m);
            if (errno == EINTR)
                continue;
            break;
        }
        int more = zmq_msg_more(&m);
        if (zmq_msg_send(&m, socket, more ? ZMQ_SNDMORE : 0) < 0) {
            zmq_msg_close(&m);
            if (errno == ETERM)
                break;
        }
    }
    zmq_close(socket);
    return NULL;
}
