/*
 * This file stands for the PostgreSQL engine in every program: a loader
 * table (engine.h) that claims PostgreSQL's targets (pg_claims.h) and, on
 * the first one opened, loads the engine from its module tabula-pg.so
 * (postgres.c with libpq, found as base/module.h says, $TABULA_PG_MODULE
 * first) and hands the open to it. A kernel that never reaches a server
 * does not map libpq, OpenSSL, Kerberos and LDAP: several MiB of resident
 * memory. A module that is missing or of another ABI makes the open fail
 * with a message that says so.
 */
#include "db/db.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "base/module.h"
#include "base/util.h"
#include "db/engine.h"
#include "db/pg_claims.h"
#include "db/pg_module.h"

#ifndef TQ_PG_BUILD_PATH
#error "TQ_PG_BUILD_PATH must name the module in the build tree"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const tqdb_engine_t *engine;
static char load_error[768];

static void load_module(void)
{
    static const tq_module_paths_t paths = {
        .env = "TABULA_PG_MODULE",
        .build_path = TQ_PG_BUILD_PATH,
        .install_path = TQ_PG_INSTALL_PATH,
        .bindir = TQ_PG_BINDIR,
    };
    void *h = tq_module_open(&paths, load_error, sizeof load_error);
    if (!h)
        return;
    const tqdb_engine_t *(*get)(int abi) =
        (const tqdb_engine_t *(*)(int))dlsym(h, TQDB_PG_MODULE_SYMBOL);
    const tqdb_engine_t *e = get ? get(TQDB_PG_MODULE_ABI) : NULL;
    if (!e) {
        snprintf(load_error, sizeof load_error,
                 "%s is not the PostgreSQL engine of this program (ABI %d)",
                 TQDB_PG_MODULE_NAME, TQDB_PG_MODULE_ABI);
        return;
    }
    engine = e;
}

static bool loader_claims(const char *target)
{
    return tqdb_pg_claims(target);
}

/* Loads the engine (once per process) and opens the target with it. */
static tqdb_conn_t *loader_open(const char *target, unsigned flags,
                                char **error)
{
    pthread_once(&load_once, load_module);
    if (!engine) {
        *error = tq_xasprintf("PostgreSQL needs the engine module %s, which "
                              "could not be loaded: %s", TQDB_PG_MODULE_NAME,
                              load_error);
        return NULL;
    }
    return engine->open(target, flags, error);
}

/* tqdb_postgres_loader: db.c's engine list names it. */
const tqdb_engine_t tqdb_postgres_loader = {
    .name = "postgresql",
    .loader = true,
    .claims = loader_claims,
    .open = loader_open,
};
