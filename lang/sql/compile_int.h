/*
 * This file is the SQL compiler's private state, shared by compile.c
 * (statements, expressions, joins) and lookup.c (Django lookups and
 * transforms). Nothing outside those two files includes it.
 */
#ifndef TQ_COMPILE_INT_H
#define TQ_COMPILE_INT_H

#include "base/temporal.h"
#include "sql/compile.h"

/* One join, keyed by its relation path ("bike", "bike__owner"). */
typedef struct cjoin {
    char *path;
    size_t table;          /* target table index in the schema */
    char *alias;
    int parent;            /* index of the parent join, -1 for the base */
    const tq_srel_t *rel;
    bool inner;
    bool related;          /* select_related() selects its columns */
} cjoin_t;

typedef struct cstate {
    const tq_schema_t *s;
    const tq_dialect_t *d;
    const qdesc_t *q;
    const tq_stable_t *base;
    char *base_alias;
    cjoin_t *joins;
    size_t njoins, jcap;
    qsql_t *out;
    qerr_t *err;
    bool filter_ctx;       /* positive AND-ed filter: joins may be INNER */
    bool maybe_null;       /* a nullable column or a join was referenced */
    bool no_joins;         /* UPDATE SET: a join is a FieldError */
    bool in_distinct;      /* inside an aggregate's DISTINCT argument */
    bool sub_address;      /* the next SEL_SUB of a table without a key
                              selects its rows' addresses (tableoid, ctid)
                              for an UPDATE/DELETE of the same statement */
    int depth;             /* annotation expansion depth guard */
    /* what the expression compiled last holds, as far as dates go: set
     * by every value expression (a date column, a truncation, the
     * difference of two datetimes), read by the select list */
    tq_temporal_t vtype;
    /* Django's join reuse for multi-valued relations: the filter() call
     * (from 1) whose conditions are compiled, which joins a reverse or
     * many-to-many relation anew; 0 outside filters, where a path reuses
     * the join of the latest call (up to reuse_upto) that used it. */
    size_t scope;
    size_t reuse_upto;
    bool negated;          /* inside a NOT: multi-valued leaves are
                              subqueries, one per leaf, as Django splits
                              an exclude() */
    /* The column cs_resolve last resolved a path to (NULL: an annotation
     * or the row id), the name Django gives its field in errors (a foreign
     * key's target field: "id"), and whether it is a relation. */
    const tq_scol_t *last_col;
    const char *last_field;
    bool last_rel;
    int in_window;         /* inside a Window's expression */
    struct cstate *parent; /* the query around a correlated subquery */
    int depth_sub;         /* how deep in subqueries (U0, U1 ... aliases) */
} cstate_t;

/* Sets the error (first one wins) and returns -1. */
int cs_fail(cstate_t *cs, const char *ename, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends a parameter and "?" to b. */
void cs_param(cstate_t *cs, tq_buf_t *b, qlit_t lit);
/* Compiles a value expression into b. */
int cs_expr(cstate_t *cs, const qexpr_t *e, tq_buf_t *b);
/* Resolves `path` as far as fields go: writes the column's SQL into b and
 * returns how many "__" parts were consumed (the rest are lookups), or -1.
 * `plain` is set when the result is a bare column (no parameters). */
int cs_resolve(cstate_t *cs, char **parts, size_t nparts, tq_buf_t *b,
               bool *plain);

/* lookup.c: true when `name` is a lookup or a transform. */
bool tq_is_lookup(const char *name);
bool tq_is_transform(const char *name);
/* lookup.c: `lhs` (SQL text; `plain` when a bare column) with optional
 * transform and lookup applied to rhs, into b. */
int cs_lookup(cstate_t *cs, const char *lhs, bool plain,
              const char *transform, const char *lookup, const qexpr_t *rhs,
              tq_buf_t *b);

/* prep.c: the rhs of `lookup` (after `transform`, or NULL) prepared for
 * the field cs_resolve last resolved, as Django's get_prep_value: *out is
 * a new reference to rhs or to a converted copy. -1 with the error set
 * (ValueError, ValidationError, TypeError with Django's wording). */
int cs_prep_value(cstate_t *cs, const char *transform, const char *lookup,
                  const qexpr_t *rhs, qexpr_t **out);
/* prep.c: Django's field class for a column ("IntegerField",
 * "DateTimeField" ...), "ForeignKey" when fk. Static text. */
const char *cs_field_class(const tq_scol_t *col, bool fk);
/* prep.c: Django's hint for an unknown lookup `name` on column col
 * (NULL: unknown) among the lookups of sql/lookups.h (the date transforms
 * only for columns that may hold dates): ", perhaps you meant lt or
 * lte?", from difflib's close matches or a word for a comparison such as
 * "lessthan"; or "". malloc'd. */
char *cs_lookup_hint(const char *name, const tq_scol_t *col);

#endif
