/*
 * This file is the PostgreSQL module's exported entry (pg_module.h): the
 * engine table of postgres.c, for a loader of the same ABI.
 */
#include "db/pg_module.h"

extern const tqdb_engine_t tqdb_postgres_engine;

const tqdb_engine_t *tqdb_pg_module(int abi)
{
    return abi == TQDB_PG_MODULE_ABI ? &tqdb_postgres_engine : NULL;
}
