/*
 * This file declares the "Did you mean" helper: the closest of a list of
 * names to a misspelt one, by CPython's rule (a Levenshtein distance in
 * which a case change costs half of any other edit, and no more than a
 * third of the characters involved may change), so hints read as Python
 * 3.11's do.
 */
#ifndef TQ_SUGGEST_H
#define TQ_SUGGEST_H

#include <stddef.h>

/* The candidate closest to `name` by CPython's rule, or NULL when none is
 * close enough (or the name is longer than 40 bytes). `name` itself is
 * never suggested. The result is one of `cands` (borrowed). */
const char *tq_suggest(const char *name, const char *const *cands, size_t n);

#endif
