/*
 * This file builds the unit tests' database: the bike-rental tables (user,
 * bike, rental with foreign keys), a Django-style app table with
 * django_migrations, a rowid table and an attached schema `sales`.
 * fixture_open_conn opens it through db.h.
 */
#ifndef DB_FIXTURE_H
#define DB_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "db/db.h"

static const char fixture_sql[] =
    "CREATE TABLE user (id INTEGER PRIMARY KEY, name varchar(100) NOT NULL,"
    " age integer NOT NULL, email text UNIQUE);"
    "CREATE TABLE bike (id INTEGER PRIMARY KEY, name text NOT NULL,"
    " model text);"
    "CREATE TABLE rental (id INTEGER PRIMARY KEY,"
    " user_id integer NOT NULL REFERENCES user(id),"
    " bike_id integer REFERENCES bike(id), start_time text NOT NULL,"
    " total_fee real NOT NULL);"
    "CREATE TABLE rental_item (code text, qty integer);"
    "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app text,"
    " name text, applied text);"
    "INSERT INTO django_migrations (app, name) VALUES ('catalog', '0001');"
    "CREATE TABLE catalog_bike (id INTEGER PRIMARY KEY, title text);"
    "CREATE TABLE catalog_part (id INTEGER PRIMARY KEY,"
    " bike_id integer NOT NULL REFERENCES catalog_bike(id), label text);"
    "INSERT INTO user VALUES (1, 'John Lennon', 25, 'john@b.com'),"
    " (2, 'Paul McCartney', 26, NULL), (3, 'George Harrison', 22, NULL),"
    " (4, 'Ringo Star', 29, NULL);"
    "INSERT INTO bike VALUES (1, 'Red', 'city'), (2, 'Blue', NULL);"
    "INSERT INTO rental VALUES (1, 1, 1, '2025-01-05 10:00', 10.0),"
    " (2, 1, 2, '2025-02-07 11:00', 5.5), (3, 2, 1, '2024-12-31 23:00', 3),"
    " (4, 3, NULL, '2025-02-01 09:00', 7);"
    "ATTACH ':memory:' AS sales;"
    "CREATE TABLE sales.\"order\" (id INTEGER PRIMARY KEY, amount real);"
    "CREATE TABLE sales.user (id INTEGER PRIMARY KEY, nick text);";

/* The fixture's connection, opened through db.h as a session opens one
 * (so REGEXP and the engine's other functions are there). */
static tqdb_conn_t *fixture_conn;

/* Opens the fixture database into fixture_conn (exits on failure) and
 * returns the connection; the caller closes it with tqdb_close. */
static tqdb_conn_t *fixture_open_conn(void)
{
    char *err = NULL;
    fixture_conn = tqdb_open(":memory:", TQDB_OPEN_CREATE, &err);
    if (!fixture_conn || tqdb_exec(fixture_conn, fixture_sql) < 0) {
        fprintf(stderr, "fixture: %s\n",
                err ? err : tqdb_errmsg(fixture_conn));
        exit(2);
    }
    return fixture_conn;
}


#endif
