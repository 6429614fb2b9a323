/*
 * This file parses the connection file with jansson: transport, ip, the
 * five ports, key and signature_scheme. Unknown members are ignored, as
 * every kernel does; a missing port or a port out of range is an error.
 */
#include "connection.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const channel_names[] = {
#define X(up, low) #low,
    KN_CHANNELS(X)
#undef X
};

/* The port members in the connection file, parallel to channel_names. */
static const char *const port_members[] = {
    "shell_port", "iopub_port", "stdin_port", "control_port", "hb_port",
};

/* Returns a static name; see connection.h. */
const char *kn_channel_name(kn_channel_t channel)
{
    return channel_names[channel];
}

/* Copies an optional string member, falling back to `dflt`. Returns -1
 * when the member exists but is not a string. */
static int get_string(json_t *root, const char *name, const char *dflt,
                      char **out, size_t *len)
{
    json_t *v = json_object_get(root, name);
    if (!v) {
        *out = dflt ? kn_xstrdup(dflt) : NULL;
        if (len)
            *len = dflt ? strlen(dflt) : 0;
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    *out = kn_xstrndup(json_string_value(v), json_string_length(v));
    if (len)
        *len = json_string_length(v);
    return 0;
}

/* Parses the JSON text into conn (see connection.h). */
int kn_connection_parse(const char *text, size_t len, kn_connection_t *conn,
                        const char **error)
{
    memset(conn, 0, sizeof *conn);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root) {
        *error = "connection file is not valid JSON";
        return -1;
    }
    if (!json_is_object(root)) {
        *error = "connection file is not a JSON object";
        goto fail;
    }
    if (get_string(root, "transport", "tcp", &conn->transport, NULL) ||
        get_string(root, "ip", "127.0.0.1", &conn->ip, NULL) ||
        get_string(root, "key", "", &conn->key, &conn->key_len) ||
        get_string(root, "signature_scheme", "hmac-sha256",
                   &conn->signature_scheme, NULL) ||
        get_string(root, "kernel_name", NULL, &conn->kernel_name, NULL)) {
        *error = "connection file has a non-string transport, ip, key, "
                 "signature_scheme or kernel_name";
        goto fail;
    }
    if (strcmp(conn->transport, "tcp") != 0 &&
        strcmp(conn->transport, "ipc") != 0) {
        *error = "connection file transport must be \"tcp\" or \"ipc\"";
        goto fail;
    }
    if (strcmp(conn->signature_scheme, "hmac-sha256") != 0) {
        *error = "connection file signature_scheme must be \"hmac-sha256\"";
        goto fail;
    }
    for (int c = 0; c < KN_CHANNEL_COUNT; c++) {
        json_t *p = json_object_get(root, port_members[c]);
        if (!json_is_integer(p) || json_integer_value(p) <= 0 ||
            json_integer_value(p) > 65535) {
            *error = "connection file needs shell_port, iopub_port, "
                     "stdin_port, control_port and hb_port in 1..65535";
            goto fail;
        }
        conn->ports[c] = (int)json_integer_value(p);
    }
    json_decref(root);
    return 0;
fail:
    json_decref(root);
    kn_connection_clear(conn);
    return -1;
}

/* Reads the whole file, then parses it. */
int kn_connection_load(const char *path, kn_connection_t *conn,
                       const char **error)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        memset(conn, 0, sizeof *conn);
        *error = "cannot open the connection file";
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = kn_xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap)
            buf = kn_xrealloc(buf, cap *= 2);
    }
    fclose(f);
    int rc = kn_connection_parse(buf, len, conn, error);
    free(buf);
    return rc;
}

/* Frees every string and zeroes conn. */
void kn_connection_clear(kn_connection_t *conn)
{
    free(conn->transport);
    free(conn->ip);
    free(conn->key);
    free(conn->signature_scheme);
    free(conn->kernel_name);
    memset(conn, 0, sizeof *conn);
}

/* tcp://ip:port, or ipc://ip-port as jupyter_client names ipc files. */
int kn_connection_endpoint(const kn_connection_t *conn, kn_channel_t channel,
                           char *buf, size_t size)
{
    int n;
    if (strcmp(conn->transport, "ipc") == 0)
        n = snprintf(buf, size, "ipc://%s-%d", conn->ip, conn->ports[channel]);
    else
        n = snprintf(buf, size, "tcp://%s:%d", conn->ip, conn->ports[channel]);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}
