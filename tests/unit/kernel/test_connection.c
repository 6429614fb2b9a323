/*
 * This file tests kernel/connection.c: a jupyter_client connection file,
 * ipc endpoints, defaults, and each kind of invalid file.
 */
#include "connection.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char good[] =
    "{\"shell_port\": 5001, \"iopub_port\": 5002, \"stdin_port\": 5003,"
    " \"control_port\": 5004, \"hb_port\": 5005, \"ip\": \"127.0.0.1\","
    " \"key\": \"a0436f6c-1916-498b-8eb9-e81ab9368e84\","
    " \"transport\": \"tcp\", \"signature_scheme\": \"hmac-sha256\","
    " \"kernel_name\": \"tabula\", \"jupyter_session\": \"x\"}";

static int parse(const char *text, kn_connection_t *c, const char **err)
{
    return kn_connection_parse(text, strlen(text), c, err);
}

int main(void)
{
    kn_connection_t c;
    const char *err = NULL;
    tap_ok(parse(good, &c, &err) == 0, "jupyter_client file parses");
    tap_ok(c.ports[KN_CHANNEL_SHELL] == 5001 && c.ports[KN_CHANNEL_IOPUB] == 5002
           && c.ports[KN_CHANNEL_STDIN] == 5003 &&
           c.ports[KN_CHANNEL_CONTROL] == 5004 && c.ports[KN_CHANNEL_HB] == 5005,
           "five ports read");
    tap_ok(c.key_len == 36 && strcmp(c.key, "a0436f6c-1916-498b-8eb9-e81ab9368e84")
           == 0, "key read");
    char ep[128];
    kn_connection_endpoint(&c, KN_CHANNEL_CONTROL, ep, sizeof ep);
    tap_ok(strcmp(ep, "tcp://127.0.0.1:5004") == 0, "tcp endpoint %s", ep);
    tap_ok(kn_connection_endpoint(&c, KN_CHANNEL_HB, ep, 10) != 0,
           "endpoint too long for the buffer refused");
    tap_ok(strcmp(kn_channel_name(KN_CHANNEL_HB), "hb") == 0, "channel names");
    kn_connection_clear(&c);

    tap_ok(parse("{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
                 "\"control_port\":4,\"hb_port\":5,\"transport\":\"ipc\","
                 "\"ip\":\"/tmp/k\"}", &c, &err) == 0, "ipc file parses");
    kn_connection_endpoint(&c, KN_CHANNEL_STDIN, ep, sizeof ep);
    tap_ok(strcmp(ep, "ipc:///tmp/k-3") == 0, "ipc endpoint %s", ep);
    tap_ok(c.key_len == 0 && strcmp(c.signature_scheme, "hmac-sha256") == 0,
           "defaults: empty key, hmac-sha256");
    kn_connection_clear(&c);

    const char *bad[] = {
        "", "not json", "[1,2]", "{\"shell_port\": 1}",
        "{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
        "\"control_port\":4,\"hb_port\":70000}",
        "{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
        "\"control_port\":4,\"hb_port\":\"5\"}",
        "{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
        "\"control_port\":4,\"hb_port\":5,\"signature_scheme\":\"hmac-md5\"}",
        "{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
        "\"control_port\":4,\"hb_port\":5,\"transport\":\"udp\"}",
        "{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
        "\"control_port\":4,\"hb_port\":5,\"key\":42}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = NULL;
        int rc = parse(bad[i], &c, &err);
        tap_ok(rc != 0 && err != NULL, "invalid file %zu refused (%s)", i,
               err ? err : "no message");
    }

    char path[] = "/tmp/kn-conn-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(good, f);
    fclose(f);
    tap_ok(kn_connection_load(path, &c, &err) == 0 &&
           c.ports[KN_CHANNEL_HB] == 5005, "loaded from a file");
    kn_connection_clear(&c);
    unlink(path);
    tap_ok(kn_connection_load(path, &c, &err) != 0, "missing file refused");
    return tap_done();
}
