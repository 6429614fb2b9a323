/*
 * This file declares the read-only guard that --readonly and
 * `%connect PATH --readonly` put on a connection, on top of opening it with
 * SQLITE_OPEN_READONLY: an authorizer that refuses every statement writing
 * to any schema but `temp` (INSERT, UPDATE, DELETE, CREATE, DROP, ALTER,
 * REINDEX, ANALYZE, DETACH, pragmas that set a value). Frames, which live in
 * TEMP tables, keep working; the database files never change.
 */
#ifndef TQ_READONLY_H
#define TQ_READONLY_H

#include <sqlite3.h>

/* Installs the guard on `db` (borrowed). A refused statement fails to
 * prepare with SQLITE_AUTH, which tq_raise_sqlite reports as ReadOnlyError. */
void tq_readonly_guard(sqlite3 *db);

#endif
