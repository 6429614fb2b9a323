/*
 * This file declares the database layer's picture of the database: every
 * table of every attached schema with its columns, primary key, bare
 * (CamelCase) name and relations (forward from foreign keys, reverse as
 * Django names them). schema.c reads it through db.h alone, without the
 * interpreter, so the SQL compiler and its unit tests can use it.
 *
 * Ownership: tq_schema_load returns a schema that the caller frees with
 * tq_schema_free; every pointer into it is borrowed and lives as long as
 * the schema. Query descriptions never keep pointers into a schema (the
 * schema is replaced after DDL); they name tables by (schema, table).
 */
#ifndef TQ_SCHEMA_H
#define TQ_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"

/* One column of a table. */
typedef struct tq_scol {
    char *name;
    char *decltype;   /* as declared, "" when none */
    bool notnull;
    bool pk;          /* part of the declared primary key */
    bool text;        /* TEXT affinity (CHAR, CLOB, TEXT in the type) */
    bool unique;      /* single-column unique index or single-column pk */
    char *dflt;       /* default expression text or NULL */
    int rel;          /* index of the forward relation it holds, or -1 */
} tq_scol_t;

/* What deleting a referenced row does to the rows that reference it, as
 * Django's collector does (on_delete=), or UNKNOWN: the database's own
 * rule (no Django project read, nothing known). */
#define TQ_ONDELETE(X) \
    X(UNKNOWN) X(CASCADE) X(PROTECT) X(RESTRICT) X(SET_NULL) \
    X(SET_DEFAULT) X(DO_NOTHING)
typedef enum tq_ondelete {
#define X(n) TQ_OD_##n,
    TQ_ONDELETE(X)
#undef X
} tq_ondelete_t;

/* A relation from a table to another table. Forward: many-to-one through
 * this table's column `col` to the target's `target_col`. Reverse: one-to-
 * many from this table's `col` (usually the pk) to the target's
 * `target_col` (the foreign key column). */
typedef struct tq_srel {
    char *name;        /* "bike" (forward) or "rental" (reverse) */
    bool reverse;
    char *col;         /* column on this table */
    size_t target;     /* index of the target table in the schema */
    char *target_col;  /* column on the target table */
    bool nullable;     /* forward: the FK column may be NULL */
    /* Many-to-many (both directions): rows of the target reached through
     * the join table `through`: this table's reverse relation rels[via]
     * to it, then its forward relation tables[through].rels[onward] to
     * the target. `reverse` is set too (the relation is multi-valued). */
    bool m2m;
    size_t through;
    int via, onward;
    char *partner;     /* m2m: the relation's name seen from the target */
    bool hidden;       /* left out of FieldError choices (relations of an
                          auto-created join table) */
    char *accessor;    /* the object attribute (reverse: "entry_set" or
                          related_name); NULL: the name itself */
    tq_ondelete_t on_delete;  /* forward: what deleting the target does */
    char *dflt;        /* forward, SET_DEFAULT: the default as Python text */
} tq_srel_t;

typedef struct tq_stable {
    char *schema;      /* "main", "sales" */
    char *name;        /* the table's SQL name */
    char *bare;        /* the model name bound in the session: "User" */
    char *model;       /* lowercased model name for reverse names: "user" */
    char *app;         /* Django app label when detected, else NULL */
    char *pk;          /* primary key column, or "rowid" */
    bool rowid_pk;     /* the pk is the implicit rowid */
    char *label;       /* column used in <User: ...> or NULL */
    char *dj_label;    /* Django's model label "blog.Entry" (delete()
                          counts), or NULL outside a Django app */
    bool dj_join;      /* an auto-created many-to-many join table */
    bool dj_model;     /* described by a models.py (%django) */
    char *dj_ordering; /* Meta.ordering as "-pub_date,headline" (names,
                          '-' for descending, "?" random), or NULL: the
                          order of a query set given no order_by() */
    tq_scol_t *cols;
    size_t ncols;
    tq_srel_t *rels;
    size_t nrels;
} tq_stable_t;

typedef struct tq_schema {
    char **schemas;    /* attached schema names, the default one first
                          (tq_schema_main), no "temp" */
    size_t nschemas;
    char **apps;       /* Django app labels (from django_migrations) */
    size_t napps;
    tq_stable_t *tables;
    size_t ntables;
    size_t *by_bare;   /* table indexes sorted by bare name (lookups) */
    bool django;       /* a Django project's models were applied */
    char **temp_names; /* tables and views of the temp schema, which hide
                          main's tables of the same name in SQL that does
                          not name a schema (tq_schema_shadowed) */
    size_t ntemp;
} tq_schema_t;

/* Reads every table of every attached schema of `db` (temp and the
 * engine's internal tables excepted). Returns NULL and a malloc'd message
 * in *error on a database error (the connection keeps the error too). */
tq_schema_t *tq_schema_load(tqdb_conn_t *db, char **error);
/* Frees the schema and NULLs the caller's pointer. */
void tq_schema_free(tq_schema_t **schema);

/* The default schema: the one SQL reaches without naming a schema, whose
 * tables are written bare. SQLite's "main"; on PostgreSQL the first
 * schema of the search path (current_schema(), usually "public"): the
 * catalogue lists it first. Borrowed from s; "main" when s has none. */
const char *tq_schema_main(const tq_schema_t *s);
/* The name Tabula shows and accepts (db.main.user) for `schema`: "main"
 * for the default schema on every engine, so that `db`, `Table?` and
 * errors read the same on SQLite and PostgreSQL; any other schema's own
 * name. SQL text always takes the real name. Borrowed. */
const char *tq_schema_label(const tq_schema_t *s, const char *schema);
/* The table `name` in `schema` (NULL: main first, then a unique match in
 * the other schemas). NULL when absent. */
const tq_stable_t *tq_schema_table(const tq_schema_t *s, const char *schema,
                                   const char *name);
/* True when SQL must name `schema` for table `name`: a table or view of
 * the temp schema has the name (case-insensitively), and an unqualified
 * name would reach it before main's table. */
bool tq_schema_shadowed(const tq_schema_t *s, const char *schema,
                        const char *name);
/* The table whose bare name is `bare`, or NULL. */
const tq_stable_t *tq_schema_by_bare(const tq_schema_t *s, const char *bare);
/* Index of a table pointer inside s->tables. */
size_t tq_schema_index(const tq_schema_t *s, const tq_stable_t *t);

/* Index of column `name` in `t` (case-insensitive as SQLite), or -1. The
 * name "rowid" resolves to -2 for rowid tables. */
int tq_stable_col(const tq_stable_t *t, const char *name);
/* The relation `name` of `t`, or NULL. */
const tq_srel_t *tq_stable_rel(const tq_stable_t *t, const char *name);
/* Django's choice list for FieldError: column names, forward relation
 * names and reverse relation names (plus `extra`, e.g. annotations),
 * sorted and unique, joined with ", ". malloc'd. */
char *tq_stable_choices(const tq_stable_t *t, const char *const *extra,
                        size_t nextra);

/* Sorts the bare-name index again after bare names changed. */
void tq_schema_reindex(tq_schema_t *s);
/* Appends a relation to t (steals its strings); returns its index. */
int tq_stable_add_rel(tq_stable_t *t, tq_srel_t r);
/* Frees the strings of one relation. */
void tq_srel_clear(tq_srel_t *r);

/* Django's many-to-many join tables found without a project (djschema.c):
 * a table `<app>_<model>_<field>` next to the table `<app>_<model>`, with
 * three columns (a primary key and two foreign keys, one to
 * `<app>_<model>`) becomes the relation `field` of the model and its
 * reverse `<model>` on the target. Called by tq_schema_load. */
void tq_schema_django_m2m(tq_schema_t *s);

/* snake_case (or any identifier) to CamelCase: rental_item -> RentalItem.
 * malloc'd. */
char *tq_schema_camel(const char *name);

#endif
