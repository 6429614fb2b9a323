/*
 * This file declares the Django side of the ORM layer: reading a
 * project's models.py files (django_read.c), the session's project
 * (%django, $TABULA_DJANGO) laid over every schema load, and delete() as
 * Django's collector runs it (django.c).
 */
#ifndef TQ_ORM_DJANGO_H
#define TQ_ORM_DJANGO_H

#include <stdint.h>

#include "db/djproject.h"
#include "sql/compile.h"
#include "vm/value.h"

/* Reads every app's models under directory `path` without running
 * Python. Returns a project (free with tq_djproject_free), or NULL and a
 * malloc'd message in *error when `path` is no directory or holds no app.
 * What was skipped is in the project's notes, never an error. */
tq_djproject_t *tq_django_read(const char *path, char **error);

/* %django PATH: reads the project, keeps it for the session (replacing an
 * earlier one), rereads the schema and prints what was read and the
 * notes. None, or NULL with an error raised. */
tq_value_t *tq_django_magic(tq_ctx_t *ctx, const char *args,
                            const char *body);

/* Lays the session's project over a freshly loaded schema; the first
 * call reads $TABULA_DJANGO when set (its notes go to stderr's log only
 * when it cannot be read). Called by tq_schema_refresh. */
void tq_django_apply(tq_ctx_t *ctx, tq_schema_t *s);

/* The manager of the project's proxy model bound as `name` (its class
 * name, or the app label in CamelCase plus the class name when another
 * model has that class name), over its concrete model's table with its
 * own Meta.ordering: a new reference, or NULL without an error when no
 * proxy has that name. */
tq_value_t *tq_django_proxy(tq_ctx_t *ctx, const char *name);
/* Appends the bound names of the project's proxy models to `list`. */
void tq_django_proxy_names(tq_ctx_t *ctx, tq_value_t *list);

/* obj.get_FOO_display() of field `field` of the project's model "app.Model"
 * (`label`) for the object's value `value` (borrowed): the label its
 * `choices` give the value (choices as a list or tuple of pairs, grouped
 * choices and `_("...")` labels included), else str(value), as Django
 * gives. A new reference; NULL WITHOUT an error when the field has no
 * readable choices (the attribute does not exist), NULL with an error
 * raised when str() fails. */
tq_value_t *tq_django_display(tq_ctx_t *ctx, const char *label,
                              const char *field, tq_value_t *value);

/* delete() of q's rows as Django's collector runs it when relations
 * pointing at the table carry a known on_delete: PROTECT raises
 * ProtectedError before anything is written, SET_NULL / SET_DEFAULT
 * update the referencing rows, CASCADE collects them too, and the rows
 * go child first. Returns 1 with the (n, {'app.Model': n}) tuple in
 * *result, 0 when no Django rule applies (the caller deletes), -1 with an
 * error raised. */
int tq_django_delete(tq_ctx_t *ctx, const qdesc_t *q, tq_value_t **result);

#endif
