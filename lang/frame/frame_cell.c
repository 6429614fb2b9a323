/*
 * This file keeps frames whole across failed cells (LANGUAGE.md section
 * 6): a frame's temp table lives in the cell's transaction, so a cell
 * that fails and rolls back drops the tables of the frames it made. Those
 * frames are unbound with the cell: each global that the failed cell
 * bound to such a frame or Series gets back the value it had before the
 * cell (or is unbound when it had none), so no name is left pointing at a
 * table that is gone. Frames made by earlier cells only lose the columns
 * the failed cell added (frame_sync), as the rollback restores their
 * table.
 *
 * The session calls frame_cell_begin before each cell (a snapshot of the
 * globals: names and references, no copies of frames) and frame_cell_end
 * after it.
 */
#include "frame/frame.h"

#include <assert.h>

#include "sql/dialect.h"
#include "vm/interp.h"

typedef struct cell_snapshot {
    uint64_t first_store;     /* stores numbered from here are the cell's */
    char **names;
    tq_value_t **values;
    size_t n;
} cell_snapshot_t;

/* The number in a store name tq_frame_N. */
static uint64_t store_number(const fstore_t *st)
{
    return strtoull(st->name + strlen("tq_frame_"), NULL, 10);
}

/* frame_cell_begin: see frame.h. */
void *frame_cell_begin(tq_ctx_t *ctx)
{
    cell_snapshot_t *s = tq_xcalloc(1, sizeof *s);
    fstore_t *probe = frame_store_new(tq_dialect_for(tq_ctx_db(ctx)));
    s->first_store = store_number(probe) + 1;
    free(probe->name);
    free(probe);
    const tq_map_t *g = &ctx->globals;
    s->names = tq_xcalloc(g->count + 1, sizeof *s->names);
    s->values = tq_xcalloc(g->count + 1, sizeof *s->values);
    for (size_t i = 0; i < g->cap; i++) {
        if (!g->slots[i].key)
            continue;
        assert(s->n < g->count);
        s->names[s->n] = tq_xstrdup(g->slots[i].key);
        s->values[s->n] = tq_incref(g->slots[i].value);
        s->n++;
    }
    return s;
}

/* True when v is a frame or Series whose store the failed cell made and
 * whose table is gone. */
static bool lost(tq_ctx_t *ctx, const cell_snapshot_t *s, tq_value_t *v)
{
    if (!frame_check(v))
        return false;
    const frame_t *f = tq_native_data(v);
    if (store_number(f->st) < s->first_store)
        return false;
    /* made in this cell and held in memory: unbound as its table would be */
    if (f->st->mem)
        return true;
    tq_schema_t *sc = frame_schema(ctx, f->st);
    if (sc) {
        tq_schema_free(&sc);
        return false;
    }
    tq_ctx_reset_error(ctx);
    return true;
}

/* frame_cell_commit: see frame.h. */
int frame_cell_commit(tq_ctx_t *ctx)
{
    return frame_force_pending(ctx);
}

/* frame_cell_end: see frame.h. */
void frame_cell_end(tq_ctx_t *ctx, void *snapshot, bool rolled_back)
{
    cell_snapshot_t *s = snapshot;
    frame_mem_cell_end(rolled_back);
    if (!s)
        return;
    if (rolled_back) {
        frame_changed();
        frame_abandon_pending();
    }
    if (rolled_back && !tq_error_pending(ctx)) {
        tq_map_t *g = &ctx->globals;
        /* collect first: the map changes while names are restored */
        char **lost_names = tq_xcalloc(g->count + 1, sizeof *lost_names);
        size_t nlost = 0;
        for (size_t i = 0; i < g->cap; i++)
            if (g->slots[i].key && lost(ctx, s, g->slots[i].value))
                lost_names[nlost++] = tq_xstrdup(g->slots[i].key);
        for (size_t k = 0; k < nlost; k++) {
            tq_value_t *before = NULL;
            for (size_t i = 0; i < s->n && !before; i++)
                if (!strcmp(s->names[i], lost_names[k]))
                    before = s->values[i];
            tq_value_t *old = before
                ? tq_map_set(g, lost_names[k], tq_incref(before))
                : tq_map_del(g, lost_names[k]);
            tq_decref(old);
            free(lost_names[k]);
        }
        free(lost_names);
    }
    for (size_t i = 0; i < s->n; i++) {
        free(s->names[i]);
        tq_decref(s->values[i]);
    }
    free(s->names);
    free(s->values);
    free(s);
}
