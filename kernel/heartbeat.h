/*
 * This file declares the heartbeat thread (heartbeat.c).
 */
#ifndef KN_HEARTBEAT_H
#define KN_HEARTBEAT_H

/* The heartbeat thread's body; the argument is the bound hb socket, which
 * it takes and closes when the context shuts down. Returns NULL. */
void *kn_heartbeat_thread(void *socket);

#endif
