/*
 * This file declares the bike-rental demo generator behind `%demo bikes`
 * (LANGUAGE.md section 9). The generator knows the database (through
 * db.h) but not the interpreter: it creates the tables `user`, `bike` and
 * `rental` with their foreign keys and indexes and fills them with
 * realistic, seasonal data drawn from its own deterministic PRNG: the same
 * seed gives the same database on every run and build (the draws go
 * through libm's exp, log and cos, so only a libm that rounds differently
 * could move a rare pick).
 * tq_magic_demo (declared in magic.h, defined in demo.c) parses the magic's
 * arguments, shows a progress bar and calls it.
 *
 * Ownership: inputs are borrowed; an error message written to *error is
 * malloc'd and belongs to the caller.
 */
#ifndef TQ_DEMO_H
#define TQ_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

/* What to generate. tq_demo_opts_default fills the documented defaults. */
typedef struct tq_demo_opts {
    int64_t users;     /* >= 1; default 200 */
    int64_t bikes;     /* >= 1; default 50 */
    int64_t rentals;   /* >= 0; default 10,000 */
    uint64_t seed;     /* default 42 */
    bool replace;      /* drop existing user/bike/rental tables first */
} tq_demo_opts_t;

#define TQ_DEMO_DEFAULT_USERS 200
#define TQ_DEMO_DEFAULT_BIKES 50
#define TQ_DEMO_DEFAULT_RENTALS 10000
#define TQ_DEMO_DEFAULT_SEED 42
#define TQ_DEMO_MAX_USERS 10000000
#define TQ_DEMO_MAX_BIKES 1000000
#define TQ_DEMO_MAX_RENTALS 100000000

/* Error codes of tq_demo_bikes (0 is success). */
#define TQ_DEMO_ERRORS(X) \
    X(EXIST, -1, "a demo table exists already")      \
    X(INTERRUPTED, -2, "interrupted")                  \
    X(DATABASE, -3, "database error")                  \
    X(INVALID, -4, "invalid options")

typedef enum tq_demo_error {
#define X(name, code, text) TQ_DEMO_E##name = code,
    TQ_DEMO_ERRORS(X)
#undef X
} tq_demo_error_t;

/* Progress: `done` of `total` rows inserted so far (users, bikes and
 * rentals together). Called after each table and every few thousand rows,
 * with done == total last. Returning nonzero stops the generation, which
 * then fails with TQ_DEMO_EINTERRUPTED and leaves the database as before. */
typedef int (*tq_demo_progress_fn)(void *ud, int64_t done, int64_t total);

/* Fills `opts` with the defaults above. */
void tq_demo_opts_default(tq_demo_opts_t *opts);

/* Parses the arguments of `%demo` (the text after the magic's name):
 * "bikes [--users N] [--bikes N] [--rentals N] [--seed S] [--replace]",
 * also "--rentals=N"; numbers may use '_' or ',' as digit separators.
 * Starts from the defaults. Returns 0, or -1 with a one-sentence message
 * in *error (malloc'd, caller frees). */
int tq_demo_parse_args(const char *args, tq_demo_opts_t *opts, char **error);

/* Creates and fills the demo tables in the `main` schema of `db`, inside
 * one SAVEPOINT (so it nests in the cell's transaction, and an error or a
 * stop leaves the database unchanged):
 *   user(id INTEGER PRIMARY KEY, name, email, age, city, joined)
 *   bike(id INTEGER PRIMARY KEY, name, kind, city, hourly_rate)
 *   rental(id INTEGER PRIMARY KEY, user_id REFERENCES user(id),
 *          bike_id REFERENCES bike(id), start_time, end_time,
 *          duration_minutes, total_fee)
 * with indexes on rental(user_id), rental(bike_id), rental(start_time).
 * Times are ISO-8601 text 'YYYY-MM-DD HH:MM:SS', rentals start between
 * 2024-01-01 and 2026-12-31, and total_fee = hourly_rate * minutes / 60
 * rounded to cents. When a table of these names exists (any of the
 * three) and opts->replace is false, fails with TQ_DEMO_EEXIST; with
 * replace, the three tables are dropped first. `progress` may be NULL.
 * Returns 0 or a negative tq_demo_error_t with a message in *error. */
int tq_demo_bikes(tqdb_conn_t *db, const tq_demo_opts_t *opts,
                  tq_demo_progress_fn progress, void *ud, char **error);

#endif
