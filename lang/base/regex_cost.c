/*
 * This file bounds what a regular expression may cost before regcomp sees
 * it (base/regex_cost.h): the `__regex` lookups' literal patterns are
 * checked by the SQL compiler on every engine, and SQLite's REGEXP checks
 * patterns that come from data the same way.
 */
#include "base/regex_cost.h"

#include <stdint.h>
#include <string.h>

/* Patterns longer than this, or whose estimated compiled size (each atom
 * counted as often as nested {m,n} bounds repeat it) passes
 * REGEX_MAX_COST, are refused before regcomp: glibc expands bounded
 * repetitions by copying, so '((a{0,100}){0,100}){0,100}' would take
 * gigabytes and minutes to compile, and its matching time grows with the
 * same size. */
#define REGEX_MAX_LEN 10000
#define REGEX_MAX_COST 10000
#define REGEX_MAX_NESTING 100
/* A bound applied to a group that repeats inside ('(a{0,50}){0,40}') makes
 * matching slow too (a second per short row at 2,000): the product of
 * nested repetition counts is kept under this. */
#define REGEX_MAX_NESTED_REPEAT 256

/* Adds, saturating at REGEX_MAX_COST + 1. */
static uint64_t cost_add(uint64_t a, uint64_t b)
{
    return a + b > REGEX_MAX_COST ? REGEX_MAX_COST + 1 : a + b;
}

static uint64_t cost_mul(uint64_t a, uint64_t b)
{
    return b && a > (REGEX_MAX_COST + 1) / b ? REGEX_MAX_COST + 1 : a * b;
}

/* Whether the POSIX extended pattern is small enough to compile: a scan
 * of its atoms, groups and repetitions (ill-formed patterns pass, for
 * regcomp to report). */
bool tq_regex_simple_enough(const char *pat)
{
    size_t n = strlen(pat);
    if (n > REGEX_MAX_LEN)
        return false;
    /* Per open group: the cost so far and that of its last atom; the
     * largest repetition product inside it and that of its last atom. */
    uint64_t size[REGEX_MAX_NESTING + 1] = {0}, last[REGEX_MAX_NESTING + 1];
    uint64_t reps[REGEX_MAX_NESTING + 1], last_reps[REGEX_MAX_NESTING + 1];
    int depth = 0;
    last[0] = 0;
    reps[0] = last_reps[0] = 1;
    for (size_t i = 0; i < n; i++) {
        char c = pat[i];
        uint64_t atom = 1, atom_reps = 1;
        switch (c) {
        case '(':
            if (depth == REGEX_MAX_NESTING)
                return false;
            depth++;
            size[depth] = 0;
            last[depth] = 0;
            reps[depth] = last_reps[depth] = 1;
            continue;
        case ')':
            if (depth == 0)
                break;   /* a literal ')' */
            atom = cost_add(size[depth], 1);
            atom_reps = reps[depth];
            depth--;
            break;
        case '|':
            last[depth] = 0;
            last_reps[depth] = 1;
            continue;
        case '*': case '+': case '?':
            size[depth] = cost_add(size[depth], last[depth]);
            last_reps[depth] = cost_mul(last_reps[depth], 2);
            if (last_reps[depth] > reps[depth])
                reps[depth] = last_reps[depth];
            continue;
        case '{': {
            size_t j = i + 1;
            uint64_t lo = 0, hi = 0;
            bool comma = false, digits = false;
            for (; j < n && pat[j] != '}'; j++) {
                if (pat[j] == ',' && !comma) {
                    comma = true;
                } else if (pat[j] >= '0' && pat[j] <= '9') {
                    uint64_t *d = comma ? &hi : &lo;
                    *d = cost_add(cost_mul(*d, 10), (uint64_t)(pat[j] - '0'));
                    digits = true;
                } else {
                    break;
                }
            }
            if (j >= n || pat[j] != '}' || !digits)
                break;   /* not a bound: a literal '{' */
            uint64_t times = lo > hi ? lo : hi;
            if (comma && hi == 0)
                times = lo + 1;   /* {m,}: m copies and a star */
            if (times > 1) {
                uint64_t grown = cost_mul(last[depth], times);
                size[depth] = cost_add(size[depth], grown);
                last[depth] = grown;
                uint64_t product = cost_mul(last_reps[depth], times);
                if (last_reps[depth] > 1 && product > REGEX_MAX_NESTED_REPEAT)
                    return false;
                last_reps[depth] = product;
                if (product > reps[depth])
                    reps[depth] = product;
            }
            if (size[depth] > REGEX_MAX_COST)
                return false;
            i = j;
            continue;
        }
        case '[': {
            size_t j = i + 1;
            if (j < n && pat[j] == '^')
                j++;
            if (j < n && pat[j] == ']')
                j++;
            for (; j < n && pat[j] != ']'; j++)
                if (pat[j] == '[' && j + 1 < n &&
                    (pat[j + 1] == ':' || pat[j + 1] == '.' ||
                     pat[j + 1] == '=')) {
                    char close[3] = {pat[j + 1], ']', 0};
                    const char *end = strstr(pat + j + 2, close);
                    if (!end)
                        break;
                    j = (size_t)(end - pat) + 1;
                }
            i = j < n ? j : n;
            break;
        }
        case '\\':
            if (i + 1 < n)
                i++;
            break;
        default:
            break;
        }
        size[depth] = cost_add(size[depth], atom);
        last[depth] = atom;
        last_reps[depth] = atom_reps;
        if (atom_reps > reps[depth])
            reps[depth] = atom_reps;
        if (size[depth] > REGEX_MAX_COST)
            return false;
    }
    return true;
}

