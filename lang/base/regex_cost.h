/*
 * This file declares the cost bound of regular expressions: glibc's
 * regcomp expands bounded repetitions by copying, so a short pattern such
 * as '((a{0,100}){0,100}){0,100}' would take gigabytes and minutes to
 * compile. Patterns that fail the bound are refused with "regular
 * expression too complex" before any engine compiles them.
 */
#ifndef TQ_REGEX_COST_H
#define TQ_REGEX_COST_H

#include <stdbool.h>

/* Whether the POSIX extended pattern (NUL-terminated) is small enough to
 * compile and match: its length, its estimated compiled size and its
 * nested repetitions are under fixed bounds. Ill-formed patterns pass,
 * for regcomp to report. */
bool tq_regex_simple_enough(const char *pat);

#endif
