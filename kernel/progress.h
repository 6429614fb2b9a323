/*
 * This file declares the progress indicator of a running cell: the
 * language reports "still working, done of total" through the sink's
 * progress callback (tabula.h), and this turns those reports into one
 * display_data with a transient display_id, then update_display_data
 * messages for the same id, and a last update to empty data that clears
 * it when the cell ends. Everything runs on the thread that runs the
 * cell and goes through its publisher, so the indicator keeps its order
 * with the cell's other output.
 */
#ifndef KN_PROGRESS_H
#define KN_PROGRESS_H

#include "iopub.h"

#include <stdbool.h>

/* Nothing shows before the cell has run this long. */
#define KN_PROGRESS_DELAY_MS 1000
/* Updates after the first are at least this far apart. */
#define KN_PROGRESS_INTERVAL_MS 250

typedef struct kn_progress {
    kn_publisher_t *pub;      /* borrowed */
    const kn_msg_t *parent;   /* borrowed: the execute_request */
    bool enabled;
    bool shown;               /* a display_data went out and is not cleared */
    long long started_ms;     /* monotonic clock at the cell's start */
    long long last_ms;        /* when the last message went out */
    long long last_done, last_total;
    char display_id[96];
} kn_progress_t;

/* Starts the clock for one cell. Nothing is ever published when
 * `enabled` is false. Borrows pub and parent until kn_progress_end. */
void kn_progress_begin(kn_progress_t *p, kn_publisher_t *pub,
                       const kn_msg_t *parent, bool enabled);
/* One report (tq_sink_t.progress): publishes when it is due (after
 * KN_PROGRESS_DELAY_MS, then every KN_PROGRESS_INTERVAL_MS, and once
 * when known-size work reaches its total); otherwise costs a clock read. */
void kn_progress_report(kn_progress_t *p, long long done, long long total);
/* Clears what is shown (an update to empty data) and starts the clock
 * again: before input() waits for the user, and at the cell's end. */
void kn_progress_end(kn_progress_t *p);
/* The front end cleared the cell's output (clear_output): the indicator
 * went with it, and the next due report displays a new one. */
void kn_progress_forget(kn_progress_t *p);

#endif
