/*
 * This file is the database layer's private header for its native types:
 * the session state kept with tq_ctx_set_schema (schema + user-defined
 * manager/queryset methods), query sets and managers (query.c), F/Q and
 * function expressions (expr.c), rows and model objects (objects.c), fancy
 * indexing (index.c), models and fields (model.c) and the `db` object
 * (dbobject.c). The interpreter sees none of it: it goes through query.h.
 *
 * Ownership follows value.h: returned tq_value_t * are new references,
 * arguments are borrowed unless "steals" is said. Functions returning int
 * give 0, or -1 with an error raised in the context.
 *
 * The database is reached through db/db.h (cursors, datums).
 */
#ifndef TQ_QUERYSET_H
#define TQ_QUERYSET_H

#include "sql/compile.h"
#include "render/render.h"
#include "orm/query.h"
#include "db/djproject.h"
#include "vm/value.h"

/* ---- session state (dbobject.c) */

/* A method added with @manager_method / @queryset_method. */
typedef struct db_method {
    char *schema, *table, *name;
    tq_value_t *fn;
    bool manager;             /* manager-only */
} db_method_t;

/* A model's ForeignKey whose target table did not exist yet on an engine
 * that checks it when the constraint is made (dialect fk_target_first):
 * the column was created without the constraint, which model.c adds once
 * the target's table exists. */
typedef struct pending_fk {
    char *schema, *table, *col, *target, *on_delete;
} pending_fk_t;

/* Frees the strings *p owns (not p itself); model.c. */
void pending_fk_clear(pending_fk_t *p);

typedef struct db_state {
    tq_schema_t *schema;
    pending_fk_t *pending;      /* ForeignKeys waiting for their table */
    size_t npending, pcap;
    tq_djproject_t *django;     /* %django's project, or NULL */
    bool django_env_tried;      /* $TABULA_DJANGO was looked at */
    db_method_t *methods;
    size_t nmethods, mcap;
} db_state_t;

/* The state, created on first use (never NULL). */
db_state_t *db_state(tq_ctx_t *ctx);
/* The current schema, loading it if needed; NULL with an error raised. */
const tq_schema_t *db_schema(tq_ctx_t *ctx);
/* Raises the compile error `e` (and clears it); returns NULL. */
tq_value_t *db_raise(tq_ctx_t *ctx, qerr_t *e);
/* A user method of the table, or NULL. */
const db_method_t *db_method_find(tq_ctx_t *ctx, const char *schema,
                                  const char *table, const char *name);

/* ---- query sets and managers (query.c) */

extern const tq_type_t tq_queryset_type;
/* A query set over q (steals q). manager: the whole table, as `User`. */
tq_value_t *qs_new(qdesc_t *q, bool manager);
/* The description of a query set or manager, or NULL if v is neither. */
qdesc_t *qs_desc(const tq_value_t *v);
bool qs_is_manager(const tq_value_t *v);
/* Adds a method to every query set and manager, for a layer above this
 * one (frames add dataframe and update_from_dataframe). Called at start-up
 * before any cell runs; `name` must be a static string (not copied). A
 * second call with the same name replaces the function. */
void qs_register_method(const char *name, tq_builtin_fn fn);
/* A manager of the table (schema, name). */
tq_value_t *qs_manager(const char *schema, const char *table);
/* Prepares compiled SQL and binds its parameters: a cursor the caller
 * frees with tqdb_cursor_free, or NULL with an error raised. */
tqdb_cursor_t *db_prepare_cursor(tq_ctx_t *ctx, const qsql_t *s);
/* The items of q, as its mode says (objects, dicts, tuples, scalars,
 * rows): a new list. */
tq_value_t *qs_fetch(tq_ctx_t *ctx, const qdesc_t *q);
/* Runs a write statement; returns changed rows or -1. */
int64_t db_exec_write(tq_ctx_t *ctx, const qsql_t *s);
/* Runs an INSERT from tq_compile_insert and returns the new row's key (a
 * new reference): the value RETURNING gave when the dialect asks for it
 * (insert_returning), else tqdb_last_insert_id as an int. NULL with an
 * error raised when the INSERT fails. */
tq_value_t *db_exec_insert(tq_ctx_t *ctx, const qsql_t *s);
/* Runs UPDATE q SET sets (steals nothing); rows changed or -1. */
int64_t qs_update(tq_ctx_t *ctx, const qdesc_t *q, const qfield_t *sets,
                  size_t n);
/* Draws a chart from a prepared statement (x, then the y columns) with the
 * options of plot.KIND(title=, xlabel=, ylabel=, width=, height=, bins=)
 * and returns a value showing image/png and "<KIND chart of WHAT: title>".
 * Frees `cur` in every case; NULL with an error raised. */
tq_value_t *db_chart_value(tq_ctx_t *ctx, tqdb_cursor_t *cur,
                           tq_chart_kind_t kind, const char *kname,
                           const tq_args_t *a, const char *what);
/* The table of q, or NULL with an error raised. */
const tq_stable_t *qs_table(tq_ctx_t *ctx, const qdesc_t *q);

/* ---- expressions (expr.c) */

/* The Django lookup a comparison operator builds (`<` gives "lt"; with the
 * operands swapped, "gt"), or NULL for other operators. */
const char *db_cmp_lookup(tq_binop_t op, bool reflected);
/* The SQL character of an arithmetic operator (+ - * / %), or 0. */
char db_arith_op(tq_binop_t op);

extern const tq_type_t tq_expr_type;     /* F(...), expressions, Q(...) */
/* Wraps e (steals). `f` marks a bare F path (attribute access extends it). */
tq_value_t *expr_new(qexpr_t *e, bool f);
/* The expression of an F/Q/function value (borrowed), or NULL. */
qexpr_t *expr_of(const tq_value_t *v);
/* A scalar (None, bool, int, float, str; a saved object gives its pk) as a
 * literal. -1 with TypeError otherwise. */
int db_value_lit(tq_ctx_t *ctx, tq_value_t *v, qlit_t *out);
/* Any value usable in a query: F/Q/functions as themselves, lists and
 * tuples as LIST, query sets as SUBQ, scalars as literals. New reference. */
qexpr_t *db_value_expr(tq_ctx_t *ctx, tq_value_t *v);
/* keyword lookups AND-ed (Q(**kw), filter(**kw)); positional F/Q values
 * AND-ed too. NULL with an error raised (or NULL without error when there
 * is nothing: check tq_error_pending). */
qexpr_t *db_filter_args(tq_ctx_t *ctx, const tq_args_t *a);
/* A path from a value: 'name', '-name', F.name. NULL + TypeError. */
qexpr_t *db_path_expr(tq_ctx_t *ctx, tq_value_t *v, bool *desc);
/* Registers F, Q and the aggregate/function builtins. */
void expr_register_builtins(tq_ctx_t *ctx);

/* ---- rows and objects (objects.c) */

extern const tq_type_t tq_row_type;
extern const tq_type_t tq_object_type;
/* A Row of n values (steals the values array and its references) named by
 * names (copied). */
tq_value_t *row_new(size_t n, char *const *names, tq_value_t **vals);
/* A model object from the current row of `cur`, whose first n columns
 * are named `cols` (steals nothing). With `related` (select_related()),
 * columns named "rel__col" fill the object's cache of related objects. */
tq_value_t *obj_from_cursor(tq_ctx_t *ctx, const tq_stable_t *t,
                            tqdb_cursor_t *cur, char *const *cols, size_t n,
                            bool related);
/* A column of the cursor's current row as a value; a BooleanField column
 * (declared bool/boolean) holding an integer gives False/True, as Django
 * does. */
tq_value_t *db_cursor_value(tqdb_cursor_t *cur, int col);
/* An unsaved object with the given keyword fields (Model.new(**kw)). */
tq_value_t *obj_new_unsaved(tq_ctx_t *ctx, const tq_stable_t *t,
                            const tq_args_t *a);
/* A saved object of table t from named values (borrowed); `label` is the
 * label column when t has none (a polymorphic child's parent's). */
tq_value_t *obj_from_values(const tq_stable_t *t, const char *label,
                            char *const *names, tq_value_t **vals, size_t n);
/* The object's table, columns, values and given flags (all borrowed);
 * returns the number of columns. */
size_t obj_columns(const tq_value_t *v, const char **schema,
                   const char **table, char *const **names,
                   tq_value_t *const **vals, const bool **given);
/* Inserts an unsaved object (bulk_create/save); 0 or -1. */
int obj_insert(tq_ctx_t *ctx, tq_value_t *obj);
/* Marks a model object as an instance of proxy model `label`
 * ("blog.PublishedEntry", copied; NULL: none): it shows that class and
 * delete() counts it under that label. */
void obj_set_proxy(tq_value_t *v, const char *label);
/* The object's pk value (borrowed) or NULL when v is not a saved object. */
tq_value_t *obj_pk(const tq_value_t *v);
/* "<User: John Lennon>" text. malloc'd. */
char *obj_repr(tq_ctx_t *ctx, tq_value_t *v);

/* ---- fancy indexing (index.c) */

/* T[key] for a tuple key of two (rows, cols). */
tq_value_t *index_get(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key);
int index_set(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key,
              tq_value_t *value);

/* ---- models (model.c) */

void model_register_builtins(tq_ctx_t *ctx);

/* ---- what Meta keywords do (model_meta.c) */

/* The Meta of a declared model that changes how the kernel writes and
 * reads it. `choices` (STATUS) is a tuple of str or NULL. */
typedef struct model_meta {
    bool timestamped, timeframed, status, soft_deletable, polymorphic;
    tq_value_t *choices;
    char *parent;          /* polymorphic child: the parent table, else NULL */
    char *ptr;             /* its parent link column: "animal_ptr_id" */
} model_meta_t;

/* Records m (copied, choices retained) for the table; the latest wins. */
void model_meta_register(tq_ctx_t *ctx, const char *schema, const char *table,
                         const model_meta_t *m);
/* The table's Meta (borrowed), or NULL for a table no class declared. */
const model_meta_t *model_meta_find(tq_ctx_t *ctx, const char *schema,
                                    const char *table);
/* Now as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC. malloc'd. */
char *model_now(void);
/* The default manager's filter of the table (soft_deletable: is_removed
 * false), a new reference, or NULL for none. */
qexpr_t *model_default_where(tq_ctx_t *ctx, const char *schema,
                             const char *table);
/* The default manager of the table (soft_deletable: hides removed rows). */
tq_value_t *model_default_manager(tq_ctx_t *ctx, const char *schema,
                                  const char *table);
/* Manager/query-set attributes that Meta adds (all_objects, timeframed,
 * one per STATUS choice): a new reference, or NULL WITHOUT an error when
 * `name` is none of them (NULL with an error raised on misuse). */
tq_value_t *model_qs_attr(tq_ctx_t *ctx, const qdesc_t *q, bool manager,
                          const char *name);
/* Fills kernel-kept columns (created, modified, status_changed) of an
 * object about to be inserted; 0 or -1. */
/* Before a row of (schema, table) is written: the ForeignKeys of the
 * table still waiting for their target get their constraint when the
 * target exists now, else the write fails as SQLite's does ("no such
 * table: main.club"). 0, or -1 raised. */
int model_pending_fks(tq_ctx_t *ctx, const char *schema, const char *table);
int model_before_insert(tq_ctx_t *ctx, tq_value_t *obj, const char *schema,
                        const char *table);
/* True for a column that save() leaves to the kernel. */
bool model_kept_column(tq_ctx_t *ctx, const char *schema, const char *table,
                       const char *col);
/* The SET list of an UPDATE of q with the kernel-kept columns added:
 * *out (caller frees names and unrefs exprs) or NULL when unchanged. May
 * run one UPDATE of status_changed first. 0 or -1. */
int model_update_sets(tq_ctx_t *ctx, const qdesc_t *q, const qfield_t *sets,
                      size_t n, qfield_t **out, size_t *nout);
/* delete() of q's rows with args `a` (soft= for soft-deletable models):
 * MODEL_DELETED_SOFT when it flagged *n rows, MODEL_DELETED_HARD when it
 * deleted them (a polymorphic child: through its parent rows), 0 when the
 * caller deletes, -1 on error (bad arguments too). */
#define MODEL_DELETED_SOFT 1
#define MODEL_DELETED_HARD 2
int model_delete(tq_ctx_t *ctx, const qdesc_t *q, const tq_args_t *a,
                 int64_t *n);

/* ---- polymorphic models (model_poly.c) */

/* The parent table of a polymorphic child table, or NULL. */
const tq_stable_t *model_poly_parent(tq_ctx_t *ctx, const tq_stable_t *t);
/* qs_fetch of a polymorphic model's objects in one SELECT (parent with
 * LEFT JOINs to its children, or child joined to its parent); NULL WITHOUT
 * an error when q is not such a query. */
tq_value_t *model_poly_fetch(tq_ctx_t *ctx, const qdesc_t *q);
/* The description that model_poly_fetch compiles for q (what .query
 * shows), or NULL when q is not a polymorphic model query. */
qdesc_t *model_poly_query(tq_ctx_t *ctx, const qdesc_t *q);
/* Inserts a polymorphic child object (parent row, then child row):
 * 1 done, 0 not a child, -1 error. */
int model_poly_insert(tq_ctx_t *ctx, tq_value_t *obj);
/* After a child's save() updated its row: updates the parent's columns.
 * 0 or -1. */
int model_poly_save(tq_ctx_t *ctx, tq_value_t *obj);

/* ---- the db object (dbobject.c) */

tq_value_t *db_object_new(void);

#endif
