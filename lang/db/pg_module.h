/*
 * This file declares the PostgreSQL module's one entry point: the
 * shared object tabula-pg.so (postgres.c, dbcore.c and base/util.c with
 * libpq, everything hidden) exports TQDB_PG_MODULE_SYMBOL, a function
 * that returns the engine's table when the caller's ABI number matches,
 * else NULL. pg_loader.c is its only caller.
 */
#ifndef TQDB_PG_MODULE_H
#define TQDB_PG_MODULE_H

#include "db/engine.h"

#define TQDB_PG_MODULE_NAME "tabula-pg.so"
#define TQDB_PG_MODULE_SYMBOL "tqdb_pg_module"
/* Raised whenever engine.h's table or connection head changes. */
#define TQDB_PG_MODULE_ABI 2

const tqdb_engine_t *tqdb_pg_module(int abi)
    __attribute__((visibility("default")));

#endif
