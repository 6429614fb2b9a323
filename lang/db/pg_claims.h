/*
 * This file holds the rule by which a connection target is PostgreSQL's:
 * a postgresql:// or postgres:// URL, or a libpq keyword string whose
 * first word is one of libpq's connection keywords followed by '='. The
 * loader (pg_loader.c, in every program) and the engine (postgres.c, in
 * the module) read the same rule.
 */
#ifndef TQDB_PG_CLAIMS_H
#define TQDB_PG_CLAIMS_H

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* libpq's connection keywords. */
static const char *const tqdb_pg_conn_keywords[] = {
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile",
    "service", "sslmode", "sslrootcert", "sslcert", "sslkey",
    "connect_timeout", "application_name", "options", "client_encoding",
    "target_session_attrs", "channel_binding", "gssencmode",
    "require_auth", "load_balance_hosts", "keepalives",
};

/* True when `target` is PostgreSQL's (see above). */
static inline bool tqdb_pg_claims(const char *target)
{
    if (!target)
        return false;
    if (!strncmp(target, "postgresql://", 13) ||
        !strncmp(target, "postgres://", 11))
        return true;
    while (isspace((unsigned char)*target))
        target++;
    size_t nk = sizeof tqdb_pg_conn_keywords / sizeof *tqdb_pg_conn_keywords;
    for (size_t i = 0; i < nk; i++) {
        size_t n = strlen(tqdb_pg_conn_keywords[i]);
        if (strncasecmp(target, tqdb_pg_conn_keywords[i], n))
            continue;
        const char *q = target + n;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '=')
            return true;
    }
    return false;
}

#endif
