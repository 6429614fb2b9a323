/*
 * This file is a transition, to be deleted: it hands out the SQLite handle
 * behind a connection to the code that still calls sqlite3_* directly
 * while it moves onto db.h. Nothing new may include it; tests/layers
 * lists the files that still do.
 */
#ifndef TQDB_SQLITE_HANDLE_H
#define TQDB_SQLITE_HANDLE_H

#include <sqlite3.h>

#include "db/db.h"

/* The connection's SQLite handle (borrowed), or NULL for NULL. */
sqlite3 *tqdb_sqlite_handle(tqdb_conn_t *conn);

#endif
