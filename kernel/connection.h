/*
 * This file declares the connection file: the JSON document a Jupyter
 * front end writes to tell the kernel where to bind and how to sign.
 */
#ifndef KN_CONNECTION_H
#define KN_CONNECTION_H

#include <stddef.h>

#define KN_CHANNELS(X) \
    X(SHELL, shell)        \
    X(IOPUB, iopub)        \
    X(STDIN, stdin)        \
    X(CONTROL, control)    \
    X(HB, hb)

typedef enum kn_channel {
#define X(up, low) KN_CHANNEL_##up,
    KN_CHANNELS(X)
#undef X
    KN_CHANNEL_COUNT
} kn_channel_t;

typedef struct kn_connection {
    char *transport;        /* "tcp" or "ipc" */
    char *ip;               /* address, or ipc path prefix */
    int ports[KN_CHANNEL_COUNT];
    char *key;              /* may be empty: signing off */
    size_t key_len;
    char *signature_scheme; /* "hmac-sha256" */
    char *kernel_name;      /* may be NULL */
} kn_connection_t;

/* Parses the connection file text (len bytes). On failure returns -1 and
 * sets *error to a static message. Fills `conn`, which the caller releases
 * with kn_connection_clear. */
int kn_connection_parse(const char *text, size_t len, kn_connection_t *conn,
                        const char **error);

/* Reads and parses the file at `path`; as kn_connection_parse. */
int kn_connection_load(const char *path, kn_connection_t *conn,
                       const char **error);

void kn_connection_clear(kn_connection_t *conn);

/* Writes the ZeroMQ endpoint of `channel` into buf ("tcp://ip:port" or
 * "ipc://ip-port"). Returns 0, or -1 when it does not fit. */
int kn_connection_endpoint(const kn_connection_t *conn, kn_channel_t channel,
                           char *buf, size_t size);

/* The channel's name as the connection file spells it ("shell", ...). */
const char *kn_channel_name(kn_channel_t channel);

#endif
