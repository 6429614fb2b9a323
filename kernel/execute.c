/*
 * This file runs execute_request: it numbers the cell, publishes
 * execute_input, runs the cell through tq_session_execute with a sink
 * whose callbacks publish stream, display_data/update_display_data and
 * clear_output and serve input() over stdin (and a progress indicator
 * for long cells, progress.c), then publishes
 * execute_result or error, puts what the cell paged in the reply's
 * payload, evaluates user_expressions and returns the execute_reply
 * content for shell.c to send. It also makes the "aborted" content for requests
 * queued behind a failed cell, and interrupts a running cell for the
 * control thread and the SIGINT handler. Nothing here writes to the
 * shell socket.
 */
#include "execute.h"
#include "log.h"
#include "mime.h"
#include "progress.h"
#include "stdin.h"
#include "util.h"
#include "tabula.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
    kn_kernel_t *k;
    const kn_msg_t *msg;
    kn_progress_t progress;
} run_t;

static void on_stream(void *ctx, const char *name, const char *text,
                      size_t len)
{
    run_t *run = ctx;
    if (len == 0)
        return;
    kn_publish_stream(run->k->iopub, run->msg,
                      strcmp(name, "stderr") == 0 ? "stderr" : "stdout",
                      text, len);
}

static void on_display(void *ctx, const tq_bundle_t *bundle,
                       const char *display_id, bool update)
{
    run_t *run = ctx;
    if (update && !display_id) {
        kn_warn("execute: update_display_data without a display_id ignored");
        return;
    }
    json_t *content = json_pack("{soso}", "data", kn_bundle_json(bundle),
                                "metadata", kn_bundle_metadata(bundle));
    json_object_set_new(content, "transient", display_id
                        ? json_pack("{ss}", "display_id", display_id)
                        : json_object());
    kn_publish(run->k->iopub, update ? "update_display_data" : "display_data",
               run->msg, content);
}

static char *on_input(void *ctx, const char *prompt, bool password)
{
    run_t *run = ctx;
    kn_progress_end(&run->progress);   /* no clock ticks while the user types */
    kn_publish_flush(run->k->iopub);     /* earlier output before the prompt */
    return kn_stdin_input(run->k, prompt, password);
}

static void on_clear_output(void *ctx, bool wait)
{
    run_t *run = ctx;
    kn_progress_forget(&run->progress);
    kn_publish(run->k->iopub, "clear_output", run->msg,
               json_pack("{sb}", "wait", wait));
}

/* The execute_reply's payload: IPython's pager payload when the cell
 * paged something (`obj?`), else empty. */
static json_t *payload_json(const tq_result_t *r)
{
    json_t *payload = json_array();
    if (r->page.count > 0)
        json_array_append_new(payload,
                              json_pack("{sssosi}", "source", "page", "data",
                                        kn_bundle_json(&r->page), "start", 0));
    return payload;
}

static void on_progress(void *ctx, long long done, long long total)
{
    run_t *run = ctx;
    kn_progress_report(&run->progress, done, total);
}

static char **on_history(void *ctx, size_t *count)
{
    run_t *run = ctx;
    return kn_history_cells(run->k->history, count);
}

/* The traceback lines as a JSON array. */
static json_t *traceback_json(const tq_result_t *r)
{
    json_t *tb = json_array();
    for (size_t i = 0; i < r->traceback_len; i++)
        json_array_append_new(tb, kn_json_text(r->traceback[i],
                                               r->traceback_lens[i]));
    return tb;
}

/* ename/evalue/traceback as members of `obj` (the one place that builds
 * the error fields of every reply and message). */
static void set_error(json_t *obj, const tq_result_t *r)
{
    const char *ename = r->ename ? r->ename : "Error";
    /* evalue's NUL bytes (ValueError('a\x00b')) go out as \u0000 */
    const char *evalue = r->evalue ? r->evalue : "";
    size_t evalue_len = r->evalue ? r->evalue_len : 0;
    json_object_set_new(obj, "ename", kn_json_text(ename, strlen(ename)));
    json_object_set_new(obj, "evalue", kn_json_text(evalue, evalue_len));
    json_object_set_new(obj, "traceback", traceback_json(r));
}

/* Evaluates each user expression; failures become error entries. */
static json_t *user_expressions(kn_kernel_t *k, json_t *exprs)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(exprs, key, v) {
        if (!json_is_string(v))
            continue;
        tq_result_t r = {0};
        json_t *entry;
        if (tq_session_evaluate(k->session, json_string_value(v), &r)
            == TQ_OK) {
            entry = json_pack("{sssoso}", "status", "ok", "data",
                              kn_bundle_json(&r.bundle), "metadata",
                              kn_bundle_metadata(&r.bundle));
        } else {
            entry = json_pack("{ss}", "status", "error");
            set_error(entry, &r);
        }
        tq_result_clear(&r);
        json_object_set_new(out, key, entry);
    }
    return out;
}

/* See execute.h. The caller owns the returned content. */
json_t *kn_execute(kn_kernel_t *k, const kn_msg_t *msg, bool *abort_queue)
{
    assert(k && msg && abort_queue);
    assert(k->session && k->iopub && k->history);
    assert(k->current == msg);       /* input() answers the current request */
    assert(!atomic_load(&k->executing));
    const char *code = kn_msg_string(msg, "code", "");
    bool silent = kn_msg_bool(msg, "silent", false);
    bool store = !silent && kn_msg_bool(msg, "store_history", true);
    bool stop_on_error = kn_msg_bool(msg, "stop_on_error", true);
    json_t *exprs = json_object_get(msg->content, "user_expressions");

    atomic_store(&k->interrupted, false);
    atomic_store(&k->executing, true);
    int count = store ? ++k->execution_count : k->execution_count;
    /* what is shown and kept of the cell never holds a database
     * password (a %connect URL) */
    char *shown = tq_mask_secrets(code);
    if (!silent)
        kn_publish(k->iopub, "execute_input", msg,
                   json_pack("{sosi}", "code",
                             kn_json_text(shown, strlen(shown)),
                             "execution_count", count));
    if (store)
        kn_history_store(k->history, count, shown);
    free(shown);

    /* The progress indicator is for people watching: not for silent
     * requests, nor for clients that cannot answer input() either (an
     * interactive front end sends allow_stdin true; nbclient, papermill
     * and nbconvert send false, and their saved notebooks keep no empty
     * indicator outputs). */
    bool progress = !silent && kn_msg_bool(msg, "allow_stdin", false);
    run_t run = {k, msg, {0}};
    kn_progress_begin(&run.progress, k->iopub, msg, progress);
    tq_sink_t sink = {&run, on_stream, on_display, on_input, on_history,
                      on_clear_output, store ? count : 0,
                      progress ? on_progress : NULL};
    tq_result_t r = {0};
    tq_status_t st = tq_session_execute(k->session, code, &sink, silent, &r);
    kn_progress_end(&run.progress);
    atomic_store(&k->executing, false);
    json_t *reply;
    if (st == TQ_OK) {
        if (!silent && r.bundle.count > 0)
            kn_publish(k->iopub, "execute_result", msg,
                       json_pack("{sisoso}", "execution_count", count,
                                 "data", kn_bundle_json(&r.bundle),
                                 "metadata", kn_bundle_metadata(&r.bundle)));
        reply = json_pack("{sssisoso}", "status", "ok", "execution_count",
                          count, "user_expressions",
                          json_is_object(exprs) ? user_expressions(k, exprs)
                                                : json_object(),
                          "payload", payload_json(&r));
    } else {
        json_t *err = json_object();
        set_error(err, &r);
        kn_publish(k->iopub, "error", msg, json_deep_copy(err));
        reply = err;
        json_object_set_new(reply, "status", json_string("error"));
        json_object_set_new(reply, "execution_count", json_integer(count));
        json_object_set_new(reply, "user_expressions", json_object());
        json_object_set_new(reply, "payload", json_array());
    }
    tq_result_clear(&r);
    *abort_queue = st != TQ_OK && stop_on_error;
    assert(json_is_string(json_object_get(reply, "status")));
    return reply;
}

/* See execute.h: only atomics and tq_session_interrupt, so any thread and
 * the signal handler may call it. */
void kn_execute_interrupt(kn_kernel_t *k)
{
    assert(k);
    atomic_store(&k->interrupted, true);
    if (k->session && atomic_load(&k->executing))
        tq_session_interrupt(k->session);
}

/* See execute.h. The caller owns the returned content. */
json_t *kn_execute_abort(const kn_msg_t *msg)
{
    assert(msg && msg->msg_id);
    kn_info("execute: aborted %s queued behind an error", msg->msg_id);
    return json_pack("{ss}", "status", "aborted");
}
