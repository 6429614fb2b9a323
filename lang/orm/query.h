/*
 * This file is what the interpreter needs from the database layer: schema
 * introspection (tables as names, keys, relations), the builtins that build
 * queries (F, Q, aggregates and functions, Model and fields), and the hooks
 * the evaluator calls for `class` declarations and decorators. The query
 * set, manager, row and object types themselves stay private to the
 * database layer (schema.c, query.c, lookup.c, compile.c, objects.c ...).
 *
 * Ownership follows value.h: returned values are new references.
 */
#ifndef TQ_QUERY_H
#define TQ_QUERY_H

#include "vm/value.h"

/* (Re)reads the schema of every attached database (PRAGMA table_list,
 * table_info, foreign_key_list) and stores it with tq_ctx_set_schema.
 * Called at session start, after %connect and %attach, and after any
 * statement that may have changed the schema. Returns 0 or -1 (raised). */
int tq_schema_refresh(tq_ctx_t *ctx);

/* Resolves a bare name that is not a user variable: a table's CamelCase
 * name (User, RentalItem, Bike) or `db`. Returns a new reference, or NULL
 * WITHOUT raising when the name is not a table. */
tq_value_t *tq_schema_lookup(tq_ctx_t *ctx, const char *name);

/* Every bare table name, for %who and completion: a new TQ_LIST of str. */
tq_value_t *tq_schema_names(tq_ctx_t *ctx);

/* Defines F, Q, Count, Sum, Avg, Min, Max, StdDev, Coalesce, Lower, Upper,
 * Length, TruncYear/Month/Week/Day, ExtractYear/Month/Day, Row, Model, the
 * field classes, Choices, CASCADE..., manager_method, queryset_method. */
void tq_query_register_builtins(tq_ctx_t *ctx);

/* `class Name(bases..., **keywords): body` where a base is Model or a
 * model. `fields` is a TQ_DICT of the class body's assignments in order
 * (field objects, constants, nested Meta as a dict). Creates or binds the
 * table and returns the new manager (bound by the caller to `name`), or
 * NULL with an error raised. The evaluator calls it for every class
 * statement; a class with no model base is a TypeError raised here. */
tq_value_t *tq_model_declare(tq_ctx_t *ctx, const char *name,
                             const tq_args_t *bases_and_keywords,
                             tq_value_t *fields);

#endif
