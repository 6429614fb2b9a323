/*
 * This file is the read-only guard (see readonly.h): one SQLite authorizer
 * callback. SQLite asks it about every action while it prepares a
 * statement; writes are allowed only when their schema is `temp`.
 */
#include <stdbool.h>
#include <string.h>

#include "db/readonly.h"

/* Pragmas that take an argument but only read. */
static bool is_reading_pragma(const char *name)
{
    static const char *const reading[] = {
        "table_info", "table_xinfo", "table_list", "index_list",
        "index_info", "index_xinfo", "foreign_key_list", "foreign_key_check",
        "integrity_check", "quick_check", "database_list", "function_list",
        "collation_list", "pragma_list", "compile_options", "module_list",
    };
    for (size_t i = 0; i < sizeof reading / sizeof *reading; i++)
        if (strcmp(name, reading[i]) == 0)
            return true;
    return false;
}

static bool is_temp(const char *schema)
{
    return schema && strcmp(schema, "temp") == 0;
}

static int authorize(void *unused, int action, const char *a1, const char *a2,
                     const char *schema, const char *trigger)
{
    (void)unused;
    (void)trigger;
    switch (action) {
    case SQLITE_UPDATE:
        /* SQLite itself asks this when a pragma table-valued function first
         * connects. A user's UPDATE of the schema table would also need
         * PRAGMA writable_schema, refused below, and a writable file. */
        if (a1 && strcmp(a1, "sqlite_master") == 0)
            return SQLITE_OK;
        return is_temp(schema) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_INSERT:
    case SQLITE_DELETE:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
    case SQLITE_REINDEX:
    case SQLITE_ANALYZE:
        return is_temp(schema) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_ALTER_TABLE:          /* a1 is the schema here */
        return is_temp(a1) ? SQLITE_OK : SQLITE_DENY;
    case SQLITE_DETACH:
        return SQLITE_DENY;
    case SQLITE_PRAGMA:               /* a2 is the value or the argument */
        return a2 == NULL || is_reading_pragma(a1) ? SQLITE_OK : SQLITE_DENY;
    default:
        return SQLITE_OK;
    }
}

void tq_readonly_guard(sqlite3 *db)
{
    sqlite3_set_authorizer(db, authorize, NULL);
}
