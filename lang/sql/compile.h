/*
 * This file declares the query description that query sets build lazily
 * and the compiler that turns one description into exactly one SQL
 * statement with bound parameters. Nothing here knows the interpreter's
 * values: literals are qlit_t scalars, so the compiler is unit-tested with
 * a schema and hand-built descriptions alone (tests/unit/db).
 *
 * Expressions (qexpr_t) are immutable, reference-counted trees shared
 * between F/Q values and descriptions. Descriptions (qdesc_t) are
 * reference-counted too and copied on write (qdesc_clone) by every query
 * set method. Paths ("bike__name", "age__lt") stay unresolved strings
 * until compile time, when they are checked against the schema: an unknown
 * name is a FieldError with Django's wording, and every identifier that
 * reaches SQL text comes from the schema and is double-quoted.
 *
 * Dialect: SQL that differs between engines (placeholders, LIMIT, date
 * truncation and extraction, text matching, regex, standard deviation,
 * long `in` lists, the row id) goes through one table of hooks,
 * tq_dialect_t (sql/dialect.h), passed to every compile function.
 *
 * Statements run through db/db.h (qsql_bind_cursor).
 */
#ifndef TQ_COMPILE_H
#define TQ_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#include "base/util.h"
#include "db/schema.h"
#include "sql/funcs.h"

/* The dialect: the SQL that differs between engines (sql/dialect.h).
 * Every compile function takes one, from tq_dialect_for(conn). */
typedef struct tq_dialect tq_dialect_t;

/* A scalar bound as a parameter: type is TQDB_NULL, TQDB_INT,
 * TQDB_FLOAT, TQDB_TEXT or TQDB_BLOB (db/db.h). `s` (n bytes) is owned. */
typedef struct qlit {
    tqdb_type_t type;
    int64_t i;
    double d;
    char *s;
    size_t n;
} qlit_t;

qlit_t qlit_null(void);
qlit_t qlit_int(int64_t i);
qlit_t qlit_float(double d);
qlit_t qlit_text(const char *s);            /* copies */
qlit_t qlit_copy(const qlit_t *l);
void qlit_clear(qlit_t *l);

/* Aggregates and functions: the list is sql/funcs.h. */
typedef enum qx_func {
#define X(e, name, kind, sql, sig, doc) QF_##e,
    TQ_FUNCS(X)
#undef X
    QF__COUNT
} qx_func_t;

extern const char *const tq_qx_func_names[];
extern const bool tq_qx_func_is_agg[];
extern const tq_func_kind_t tq_qx_func_kind[];

/* Expression kinds. */
#define QX_KINDS(X)                                                        \
    X(LIT)      /* lit */                                                  \
    X(LIST)     /* args: literals or expressions (for `in`, `range`) */    \
    X(REF)      /* name: a path "bike__name", "pk", or an annotation */    \
    X(BIN)      /* op: '+' '-' '*' '/' '%'; args[0], args[1] */            \
    X(NEG)      /* args[0] */                                              \
    X(LOOKUP)   /* args[0] lhs, name lookup ("lt"), args[1] rhs */         \
    X(KW)       /* name "age__lt" (unresolved), args[0] rhs */             \
    X(AND)      /* args */                                                 \
    X(OR)       /* args */                                                 \
    X(NOT)      /* args[0] */                                              \
    X(FUNC)     /* op: qx_func_t; args (none: COUNT(*)); distinct */       \
    X(SUBQ)     /* sub: a description, compiled to SELECT pk (or its one
                   field) */                                               \
    X(BOOL)     /* op: constant truth (1 or 0) */

typedef enum qx_kind {
#define X(k) QX_##k,
    QX_KINDS(X)
#undef X
} qx_kind_t;

typedef struct qdesc qdesc_t;

typedef struct qexpr {
    int refs;
    qx_kind_t kind;
    int op;
    bool distinct;
    bool sample;          /* StdDev/Variance(sample=True) */
    char *name;
    qlit_t lit;
    struct qexpr **args;
    size_t nargs;
    qdesc_t *sub;
    /* FUNC of an aggregate: its filter=Q(...) condition, or NULL. REF: op 1
     * is an OuterRef (resolved in the query around a subquery). LIST in a
     * Window's order: op 1 is descending. */
    struct qexpr *cond;
} qexpr_t;

qexpr_t *qx_new(qx_kind_t kind);
qexpr_t *qx_ref(qexpr_t *e);                 /* returns e, +1 */
void qx_unref(qexpr_t *e);                   /* NULL is fine */
/* Builders: they STEAL their expression arguments. */
qexpr_t *qx_lit(qlit_t lit);                 /* steals lit */
qexpr_t *qx_path(const char *path);          /* REF */
qexpr_t *qx_bin(int op, qexpr_t *a, qexpr_t *b);
qexpr_t *qx_lookup(qexpr_t *lhs, const char *lookup, qexpr_t *rhs);
qexpr_t *qx_kw(const char *path, qexpr_t *rhs);
qexpr_t *qx_not(qexpr_t *a);
/* AND/OR of a and b, flattening nested nodes of the same kind. Either may
 * be NULL (then the other is returned). */
qexpr_t *qx_and(qexpr_t *a, qexpr_t *b);
qexpr_t *qx_or(qexpr_t *a, qexpr_t *b);
void qx_push(qexpr_t *e, qexpr_t *child);    /* steals child */
/* True when the tree holds an aggregate. */
bool qx_has_agg(const qexpr_t *e);
/* The default alias of an aggregate in aggregate(): "total_fee__sum". */
char *qx_default_alias(const qexpr_t *e);

/* What a query set yields. */
#define QMODES(X) X(MODEL) X(VALUES) X(TUPLES) X(FLAT) X(ROWS)
typedef enum qmode {
#define X(m) QM_##m,
    QMODES(X)
#undef X
} qmode_t;

typedef struct qfield {
    char *name;
    qexpr_t *expr;
    size_t calls;         /* annotate(): filter() calls made before it */
} qfield_t;

typedef struct qorder {
    qexpr_t *expr;
    bool desc;
} qorder_t;

/* A query description: one SELECT (or UPDATE/DELETE/count) of a table. */
struct qdesc {
    int refs;
    char *schema, *table;       /* the base table */
    qexpr_t *where;             /* filters, AND-ed; NULL for none */
    /* Where each filter()/exclude() call ends: calls[k] is the number of
     * conjuncts of `where` after call k. A multi-valued relation is joined
     * anew for each call, as Django joins it; conjuncts past the last
     * recorded call (added by other code) share one join. */
    size_t *calls;
    size_t ncalls;
    /* The fields of an earlier grouped values() (values(...).annotate(...)
     * followed by values()/values_list()): names usable as aliases, and
     * the non-aggregate ones stay the GROUP BY keys. */
    qfield_t *group;
    size_t ngroup;
    qfield_t *annos;            /* annotate(), in order */
    size_t nannos;
    qfield_t *fields;           /* values()/values_list() fields */
    size_t nfields;
    bool group_values;          /* values() came before an aggregate */
    qorder_t *order;
    size_t norder;
    bool order_set;             /* order_by() was called */
    bool reversed, distinct;
    qmode_t mode;
    int64_t limit, offset;      /* limit -1: none */
    char **only;
    size_t nonly;
    char **related;             /* select_related() names (accepted) */
    size_t nrelated;
    /* A Django proxy model's query set: its label ("blog.PublishedEntry",
     * delete() counts it) and its Meta.ordering as "-pub_date,headline",
     * the order when no order_by() is given (NULL: the table's). Both
     * NULL for the table's own model. */
    char *proxy, *proxy_ordering;
};

qdesc_t *qdesc_new(const char *schema, const char *table);
qdesc_t *qdesc_clone(const qdesc_t *q);      /* a fresh copy, refs 1 */
qdesc_t *qdesc_ref(qdesc_t *q);
void qdesc_unref(qdesc_t *q);
void qdesc_add_field(qfield_t **arr, size_t *n, const char *name,
                     qexpr_t *expr);         /* steals expr */
void qdesc_add_order(qdesc_t *q, qexpr_t *expr, bool desc); /* steals */
/* Records the end of one filter()/exclude() call (q->calls). */
void qdesc_end_call(qdesc_t *q);
/* The number of conjuncts of a where clause (0 for NULL). */
size_t qx_conjuncts(const qexpr_t *where);
/* True when the description has a LIMIT or OFFSET. */
bool qdesc_sliced(const qdesc_t *q);

/* A compiled statement: SQL text, its parameters, its column names. */
typedef struct qsql {
    char *sql;
    qlit_t *params;
    size_t nparams, pcap;
    char **cols;
    size_t ncols;
    /* NULL, or ncols entries: the declared type of each column that holds
     * dates or durations ("date", "datetime", "time", "timedelta": static
     * strings of base/temporal.h), NULL for the others. qsql_bind_cursor
     * declares them on the cursor, so that a computed duration or a
     * truncated date reads as a timedelta or a date. */
    const char **coltypes;
    const tq_dialect_t *dialect;   /* its placeholders' form; NULL: `?` */
} qsql_t;

void qsql_clear(qsql_t *s);
/* Binds the statement's parameters to `cur` in order, and declares its
 * columns' types (coltypes) when the cursor has the statement's columns;
 * 0, or -1 with the error on the cursor's connection. */
int qsql_bind_cursor(const qsql_t *s, tqdb_cursor_t *cur);
/* The SQL with parameters inlined as SQL literals (what print(qs.query)
 * shows). malloc'd. */
char *qsql_inline(const qsql_t *s);
/* Renders one literal as SQL ('it''s', 12, 1.5, NULL, X'00'). */
void qlit_sql(tq_buf_t *b, const qlit_t *l);

/* A compile error: ename (FieldError, TypeError, ValueError) and a
 * malloc'd message. */
typedef struct qerr {
    const char *ename;
    char *msg;
} qerr_t;

void qerr_clear(qerr_t *e);

/* SELECT for iteration and display (columns as the mode says). */
int tq_compile_select(const tq_dialect_t *d, const tq_schema_t *s,
                      const qdesc_t *q, qsql_t *out, qerr_t *err);
/* The SELECT that runs for iteration and display: tq_compile_select's,
 * or an equal statement the planner runs faster (rewrite.c: aggregates
 * over a reverse relation computed on the child table before the join).
 * Same columns, parameters and errors as tq_compile_select. */
int tq_compile_select_run(const tq_dialect_t *d, const tq_schema_t *s,
                          const qdesc_t *q, qsql_t *out, qerr_t *err);
/* SELECT COUNT(*) of the rows the description yields. */
int tq_compile_count(const tq_dialect_t *d, const tq_schema_t *s,
                     const qdesc_t *q, qsql_t *out, qerr_t *err);
/* SELECT 1 ... LIMIT 1. */
int tq_compile_exists(const tq_dialect_t *d, const tq_schema_t *s,
                      const qdesc_t *q, qsql_t *out, qerr_t *err);
/* SELECT agg AS name, ... over the description's rows. */
int tq_compile_aggregate(const tq_dialect_t *d, const tq_schema_t *s,
                         const qdesc_t *q, const qfield_t *aggs, size_t n,
                         qsql_t *out, qerr_t *err);
/* UPDATE the base table: each set's name is a column, its expr the value
 * (literals and F expressions over the same table). */
int tq_compile_update(const tq_dialect_t *d, const tq_schema_t *s,
                      const qdesc_t *q, const qfield_t *sets, size_t n,
                      qsql_t *out, qerr_t *err);
/* DELETE the description's rows. */
int tq_compile_delete(const tq_dialect_t *d, const tq_schema_t *s,
                      const qdesc_t *q, qsql_t *out, qerr_t *err);
/* INSERT INTO table (cols) VALUES (?, ...), parameters copied from vals.
 * Columns are checked against the schema. With the dialect's
 * insert_returning, the statement yields the new row's primary key. */
int tq_compile_insert(const tq_dialect_t *d, const tq_schema_t *s,
                      const char *schema, const char *table,
                      const char *const *cols, const qlit_t *vals, size_t n,
                      qsql_t *out, qerr_t *err);

/* Resolves the description's base table or sets a DatabaseError. */
const tq_stable_t *tq_compile_base(const tq_schema_t *s, const qdesc_t *q,
                                   qerr_t *err);

#endif
