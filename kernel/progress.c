/*
 * This file turns the language's progress reports into the indicator a
 * front end shows under a long cell (see progress.h): after a second, a
 * line with the elapsed time, and a bar with "done / total" when the work
 * has a known size (text/plain and text/html with a <progress> element,
 * indeterminate when the size is unknown). Reports arrive thousands of
 * times a second from the database's progress callback, so a report that
 * is not due costs one clock read.
 */
#include "progress.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BAR_WIDTH 30

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes n with thousands separators ("1,000,000"). */
static void format_count(char *out, size_t size, long long n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

/* The data of one indicator: the bar when total > 0, else the time. */
static json_t *indicator_data(long long done, long long total,
                              long long elapsed_ms)
{
    char text[256], html[512], secs[32];
    snprintf(secs, sizeof secs, "%.1f s", (double)elapsed_ms / 1000.0);
    if (total > 0) {
        if (done > total)
            done = total;
        int pct = (int)(done * 100 / total);
        char bar[BAR_WIDTH + 1], d[32], t[32];
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < pct * BAR_WIDTH / 100 ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        format_count(d, sizeof d, done);
        format_count(t, sizeof t, total);
        snprintf(text, sizeof text, "[%s] %3d%%  %s / %s  %s", bar, pct, d,
                 t, secs);
        snprintf(html, sizeof html,
                 "<div class=\"tabula-progress\"><progress value=\"%lld\" "
                 "max=\"%lld\" style=\"width: 20em\"></progress> "
                 "<span>%d%% &middot; %s / %s &middot; %s</span></div>",
                 done, total, pct, d, t, secs);
    } else {
        snprintf(text, sizeof text, "Running\xe2\x80\xa6 %s", secs);
        snprintf(html, sizeof html,
                 "<div class=\"tabula-progress\"><progress "
                 "style=\"width: 20em\"></progress> <span>%s</span></div>",
                 secs);
    }
    return json_pack("{ssss}", "text/plain", text, "text/html", html);
}

static void publish(kn_progress_t *p, bool update, json_t *data)
{
    json_t *content = json_pack("{sos{}s{ss}}", "data", data, "metadata",
                                "transient", "display_id", p->display_id);
    kn_publish(p->pub, update ? "update_display_data" : "display_data",
               p->parent, content);
}

/* See progress.h. */
void kn_progress_begin(kn_progress_t *p, kn_publisher_t *pub,
                       const kn_msg_t *parent, bool enabled)
{
    assert(p && (!enabled || (pub && parent)));
    memset(p, 0, sizeof *p);
    p->pub = pub;
    p->parent = parent;
    p->enabled = enabled;
    p->started_ms = now_ms();
    snprintf(p->display_id, sizeof p->display_id, "tabula-progress-%s",
             parent && parent->msg_id ? parent->msg_id : "cell");
}

/* See progress.h. */
void kn_progress_report(kn_progress_t *p, long long done, long long total)
{
    if (!p->enabled)
        return;
    long long now = now_ms();
    if (now - p->started_ms < KN_PROGRESS_DELAY_MS)
        return;
    /* the moment known-size work completes is shown even when early */
    bool reached = total > 0 && done >= total &&
                   (p->last_total != total || p->last_done < total);
    if (p->shown && !reached && now - p->last_ms < KN_PROGRESS_INTERVAL_MS)
        return;
    publish(p, p->shown, indicator_data(done, total, now - p->started_ms));
    p->shown = true;
    p->last_ms = now;
    p->last_done = done;
    p->last_total = total;
}

/* See progress.h. */
void kn_progress_end(kn_progress_t *p)
{
    if (p->shown)
        publish(p, true, json_object());
    p->shown = false;
    p->last_done = p->last_total = 0;
    p->started_ms = now_ms();
}

/* See progress.h. */
void kn_progress_forget(kn_progress_t *p)
{
    p->shown = false;
}
