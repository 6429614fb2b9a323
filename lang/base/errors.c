/*
 * This file answers questions about the error catalogue of errors.h: which
 * names it holds, each one's parent, and whether one name is-a another
 * (the test `except` and isinstance() apply). The table is built from
 * TQ_ERRORS, so the names and their parents cannot drift apart.
 */
#include "base/errors.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

typedef struct error_entry {
    const char *name;
    tq_err_t parent;
} error_entry_t;

static const error_entry_t catalogue[TQ_ERR_COUNT] = {
#define TQ_ERR_ENTRY(name, parent) {#name, TQ_ERR_##parent},
    TQ_ERRORS(TQ_ERR_ENTRY)
#undef TQ_ERR_ENTRY
};

/* The catalogue index of `name`, or TQ_ERR_NONE. */
static tq_err_t error_find(const char *name)
{
    if (!name)
        return TQ_ERR_NONE;
    for (int i = 0; i < TQ_ERR_COUNT; i++)
        if (strcmp(catalogue[i].name, name) == 0) {
            /* A parent precedes its children (see errors.h). */
            assert(catalogue[i].parent < (tq_err_t)i);
            return (tq_err_t)i;
        }
    return TQ_ERR_NONE;
}

/* tq_error_known: see errors.h. */
bool tq_error_known(const char *name)
{
    return error_find(name) != TQ_ERR_NONE;
}

/* tq_error_parent: see errors.h. */
const char *tq_error_parent(const char *name)
{
    tq_err_t e = error_find(name);
    if (e == TQ_ERR_NONE || catalogue[e].parent == TQ_ERR_NONE)
        return NULL;
    return catalogue[catalogue[e].parent].name;
}

/* tq_error_is_a: see errors.h. */
bool tq_error_is_a(const char *name, const char *ancestor)
{
    assert(name && ancestor);
    if (strcmp(name, ancestor) == 0)
        return true;
    for (tq_err_t e = error_find(name); e != TQ_ERR_NONE;
         e = catalogue[e].parent)
        if (strcmp(catalogue[e].name, ancestor) == 0)
            return true;
    return false;
}

/* tq_error_at: see errors.h. */
const char *tq_error_at(int i)
{
    assert(i >= 0 && i < TQ_ERR_COUNT);
    return catalogue[i].name;
}
