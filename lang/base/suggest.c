/*
 * This file implements tq_suggest (suggest.h) after CPython's
 * Python/suggestions.c: the same costs, the same distance bound and the
 * same tie rule (the first candidate at the smallest distance wins).
 */
#include "base/suggest.h"

#include <assert.h>
#include <string.h>

#define MAX_STRING_SIZE 40
#define MOVE_COST 2
#define CASE_COST 1

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* The cost of replacing a by b: nothing, a case change, or an edit. */
static size_t substitution_cost(char a, char b)
{
    if ((a & 31) != (b & 31))
        return MOVE_COST;
    if (a == b)
        return 0;
    return lower((unsigned char)a) == lower((unsigned char)b) ? CASE_COST
                                                              : MOVE_COST;
}

/* The weighted edit distance of a and b, or max_cost + 1 when it exceeds
 * max_cost. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb,
                       size_t max_cost)
{
    while (na && nb && a[0] == b[0]) {  /* common prefix */
        a++, b++, na--, nb--;
    }
    while (na && nb && a[na - 1] == b[nb - 1]) {  /* common suffix */
        na--, nb--;
    }
    if (na == 0 || nb == 0)
        return (na + nb) * MOVE_COST;
    if (na > MAX_STRING_SIZE || nb > MAX_STRING_SIZE)
        return max_cost + 1;
    if (nb < na) {                      /* make a the shorter */
        const char *t = a;
        a = b, b = t;
        size_t tn = na;
        na = nb, nb = tn;
    }
    if ((nb - na) * MOVE_COST > max_cost)
        return max_cost + 1;
    size_t row[MAX_STRING_SIZE];
    for (size_t i = 0; i < na; i++)
        row[i] = (i + 1) * MOVE_COST;
    size_t result = 0;
    for (size_t j = 0; j < nb; j++) {
        /* as CPython: the row starts from cost(b[:j], a[:0]) */
        size_t diag = j * MOVE_COST;
        result = diag;
        size_t min_row = (size_t)-1;
        for (size_t i = 0; i < na; i++) {
            size_t sub = diag + substitution_cost(b[j], a[i]);
            diag = row[i];
            size_t insert_delete = (result < diag ? result : diag) + MOVE_COST;
            result = insert_delete < sub ? insert_delete : sub;
            row[i] = result;
            if (result < min_row)
                min_row = result;
        }
        if (min_row > max_cost)
            return max_cost + 1;
    }
    return result;
}

/* tq_suggest: see suggest.h. */
const char *tq_suggest(const char *name, const char *const *cands, size_t n)
{
    assert(name);
    size_t len = strlen(name);
    if (len > MAX_STRING_SIZE)
        return NULL;
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        const char *item = cands[i];
        if (!item || strcmp(item, name) == 0)
            continue;
        size_t ilen = strlen(item);
        size_t max = (len + ilen + 3) * MOVE_COST / 6;
        if (best && best_distance - 1 < max)
            max = best_distance - 1;
        size_t d = distance(name, len, item, ilen, max);
        if (d > max)
            continue;
        if (!best || d < best_distance) {
            best = item;
            best_distance = d;
        }
    }
    return best;
}
