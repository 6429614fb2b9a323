/*
 * This file declares Tabula's values and the interpreter context that
 * native types (query sets, managers, F expressions, rows, objects, frames)
 * are written against. The interpreter (eval.c, value.c, interp.c)
 * implements it; the database layer (schema.c, query.c, ...) uses it.
 *
 * Ownership, stated once: every tq_value_t is reference counted. A function
 * that returns tq_value_t * returns a NEW reference, which the caller must
 * release with tq_decref (or hand on). Parameters are BORROWED unless the
 * comment says the function "steals" them. A NULL return means an error was
 * raised in the context (tq_raise); the caller propagates NULL.
 *
 * Errors: tq_raise records the first error (ename + message) in the
 * context; the interpreter attaches the source span of the node being
 * evaluated and renders the caret. Later errors are ignored until the
 * context is reset by the next cell.
 */
#ifndef TQ_VALUE_H
#define TQ_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#include "tabula.h"
#include "syntax/ast.h"

typedef struct tq_ctx tq_ctx_t;
typedef struct tq_value tq_value_t;
typedef struct tq_type tq_type_t;

typedef enum tq_kind {
    TQ_NONE,
    TQ_BOOL,
    TQ_INT,
    TQ_FLOAT,
    TQ_STR,
    TQ_LIST,
    TQ_TUPLE,
    TQ_DICT,
    TQ_SLICE,     /* start/stop/step, each a value or None */
    TQ_FUNCTION,  /* a user `def` */
    TQ_BUILTIN,   /* a C function, optionally bound to a self value */
    TQ_NATIVE,    /* an instance of a tq_type_t */
} tq_kind_t;


/* Call arguments: positional values, then keyword names and values.
 * Everything in it is borrowed by the callee. */
typedef struct tq_args {
    tq_value_t **pos;
    size_t npos;
    const char **kwnames;
    tq_value_t **kwvalues;
    size_t nkw;
} tq_args_t;

/* Returns the keyword argument `name` (borrowed) or NULL if absent. */
tq_value_t *tq_args_kw(const tq_args_t *args, const char *name);

typedef tq_value_t *(*tq_builtin_fn)(tq_ctx_t *ctx, tq_value_t *self,
                                     const tq_args_t *args);

/*
 * A native type: a table of hooks. Any hook may be NULL, meaning the
 * operation is a TypeError. Hooks follow the ownership rule above: `self`
 * and arguments are borrowed; returned values are new references.
 */
struct tq_type {
    const char *name;                                  /* for type errors */
    void (*destroy)(void *data);                       /* frees payload */
    /* text/plain representation, malloc'd. */
    char *(*repr)(tq_ctx_t *ctx, tq_value_t *self);
    /* Rich display: add MIME types (text/plain is added by the caller from
     * repr when absent). Returns 0, or -1 with an error raised. */
    int (*display)(tq_ctx_t *ctx, tq_value_t *self, tq_bundle_t *out);
    tq_value_t *(*getattr)(tq_ctx_t *ctx, tq_value_t *self, const char *name);
    int (*setattr)(tq_ctx_t *ctx, tq_value_t *self, const char *name,
                   tq_value_t *value);
    tq_value_t *(*getitem)(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key);
    int (*setitem)(tq_ctx_t *ctx, tq_value_t *self, tq_value_t *key,
                   tq_value_t *value);
    tq_value_t *(*call)(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a);
    /* Binary operator where self is the left (reflected false) or the right
     * (reflected true) operand. Return NULL without raising (check
     * tq_error_pending) to mean "not supported": the interpreter then tries
     * the other operand and finally raises TypeError. */
    tq_value_t *(*binop)(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *self,
                         tq_value_t *other, bool reflected);
    tq_value_t *(*unop)(tq_ctx_t *ctx, tq_unop_t op, tq_value_t *self);
    /* Materialises the items for `for`, list(), len() of iterables:
     * returns a new TQ_LIST. */
    tq_value_t *(*iterate)(tq_ctx_t *ctx, tq_value_t *self);
    /* len(); -1 with an error raised. */
    int64_t (*length)(tq_ctx_t *ctx, tq_value_t *self);
    /* Truth value; -1 with an error raised. NULL hook means true. */
    int (*truth)(tq_ctx_t *ctx, tq_value_t *self);
    /* str() when it differs from repr (NULL: repr). malloc'd. */
    char *(*str)(tq_ctx_t *ctx, tq_value_t *self);
    /* format(self, spec) for a non-empty spec (f"{d:%Y}"); malloc'd, or
     * NULL with an error raised. NULL hook: a spec is a TypeError. */
    char *(*format)(tq_ctx_t *ctx, tq_value_t *self, const char *spec);
    /* Value ordering between two instances of this type (<0, 0, >0), for
     * ==, <, sorted() and dict keys. NULL: instances are equal only to
     * themselves and do not order. */
    int (*compare)(const tq_value_t *a, const tq_value_t *b);
    /* A hash consistent with compare() == 0 (used with compare). */
    uint64_t (*hash)(const tq_value_t *self);
};

/* ---- constructors: all return new references; they never fail (abort on
 * out-of-memory). */
tq_value_t *tq_none(void);
tq_value_t *tq_bool(bool b);
tq_value_t *tq_int(int64_t i);
tq_value_t *tq_float(double d);
tq_value_t *tq_str(const char *s);                 /* copies */
tq_value_t *tq_str_n(const char *s, size_t len);   /* copies */
tq_value_t *tq_str_take(char *s);                  /* steals malloc'd s */
/* steals malloc'd s of len bytes (NULs inside kept), s[len] == 0 */
tq_value_t *tq_str_take_n(char *s, size_t len);
tq_value_t *tq_list_new(size_t capacity);
tq_value_t *tq_tuple_new(size_t count);            /* items start as None */
tq_value_t *tq_dict_new(void);
tq_value_t *tq_slice_new(tq_value_t *start, tq_value_t *stop,
                         tq_value_t *step);        /* borrows; NULL = None */
/* A C function. `self` is borrowed and retained (may be NULL). */
tq_value_t *tq_builtin_new(const char *name, tq_builtin_fn fn,
                           tq_value_t *self);
/* A native instance; takes ownership of `data` (freed by type->destroy). */
tq_value_t *tq_native_new(const tq_type_t *type, void *data);

/* A value whose display is exactly `bundle` (used by magics whose result
 * is an image or a table). Steals the bundle's contents (left empty). */
tq_value_t *tq_bundle_value_new(tq_bundle_t *bundle);

/* ---- reference counting */
tq_value_t *tq_incref(tq_value_t *v);               /* returns v */
void tq_decref(tq_value_t *v);                      /* NULL is fine */

/* ---- inspection (all borrowed) */
tq_kind_t tq_kind(const tq_value_t *v);
bool tq_is_native(const tq_value_t *v, const tq_type_t *type);
void *tq_native_data(const tq_value_t *v);
const tq_type_t *tq_native_type(const tq_value_t *v);
bool tq_as_bool_raw(const tq_value_t *v);          /* TQ_BOOL payload */
int64_t tq_as_int(const tq_value_t *v);            /* TQ_INT or TQ_BOOL */
double tq_as_float(const tq_value_t *v);           /* TQ_INT/FLOAT/BOOL */
const char *tq_as_str(const tq_value_t *v);        /* TQ_STR, NUL-ended */
size_t tq_str_len(const tq_value_t *v);
const char *tq_type_name(const tq_value_t *v);     /* "int", "QuerySet" */

/* Sequences: TQ_LIST and TQ_TUPLE share these. Items are borrowed. */
size_t tq_seq_len(const tq_value_t *seq);
tq_value_t *tq_seq_get(const tq_value_t *seq, size_t i);
void tq_list_append(tq_value_t *list, tq_value_t *item);   /* retains item */
void tq_tuple_set(tq_value_t *tuple, size_t i, tq_value_t *item); /* steals */

/* Dicts keep insertion order; keys are strings, ints, floats, bools or
 * None, compared as Python compares them. Returned items are borrowed. */
size_t tq_dict_len(const tq_value_t *dict);
tq_value_t *tq_dict_key_at(const tq_value_t *dict, size_t i);
tq_value_t *tq_dict_value_at(const tq_value_t *dict, size_t i);
tq_value_t *tq_dict_get(const tq_value_t *dict, tq_value_t *key);
tq_value_t *tq_dict_get_str(const tq_value_t *dict, const char *key);
void tq_dict_set(tq_value_t *dict, tq_value_t *key, tq_value_t *value);
void tq_dict_set_str(tq_value_t *dict, const char *key, tq_value_t *value);

/* Slice payload (borrowed; None when omitted). */
tq_value_t *tq_slice_start(const tq_value_t *s);
tq_value_t *tq_slice_stop(const tq_value_t *s);
tq_value_t *tq_slice_step(const tq_value_t *s);

/* ---- generic operations, Python semantics. NULL on error. */
char *tq_repr(tq_ctx_t *ctx, tq_value_t *v);      /* malloc'd, Python repr */
char *tq_to_str(tq_ctx_t *ctx, tq_value_t *v);    /* malloc'd, Python str */
/* Python's str(v) as a str value (a new reference): a str itself, NUL
 * bytes and all, where tq_to_str's C string would stop at the first. */
tq_value_t *tq_str_of(tq_ctx_t *ctx, tq_value_t *v);
/* Python's repr(v) as a str value (a new reference). */
tq_value_t *tq_repr_str(tq_ctx_t *ctx, tq_value_t *v);
int tq_truth(tq_ctx_t *ctx, tq_value_t *v);       /* 0/1, -1 on error */
/* 1 equal, 0 not, Python == on scalars/sequences; natives by identity. */
int tq_equal(tq_ctx_t *ctx, tq_value_t *a, tq_value_t *b);
tq_value_t *tq_binary(tq_ctx_t *ctx, tq_binop_t op, tq_value_t *a,
                      tq_value_t *b);
tq_value_t *tq_unary(tq_ctx_t *ctx, tq_unop_t op, tq_value_t *v);
tq_value_t *tq_getattr(tq_ctx_t *ctx, tq_value_t *obj, const char *name);
tq_value_t *tq_getitem(tq_ctx_t *ctx, tq_value_t *obj, tq_value_t *key);
tq_value_t *tq_call(tq_ctx_t *ctx, tq_value_t *fn, const tq_args_t *args);
/* Convenience: call with positional arguments only (borrowed). */
tq_value_t *tq_call_pos(tq_ctx_t *ctx, tq_value_t *fn, size_t n,
                        tq_value_t **pos);
/* A list of the items of any iterable (list, tuple, str, dict keys,
 * natives with `iterate`). */
tq_value_t *tq_iterate(tq_ctx_t *ctx, tq_value_t *v);

/* Fills `out` with the value's MIME bundle (rich display + text/plain).
 * Returns 0 or -1 with an error raised. */
int tq_display_bundle(tq_ctx_t *ctx, tq_value_t *v, tq_bundle_t *out);

/* ---- the database bridge */
/* The database bridge (db.h). tq_value_datum: the datum of a scalar value
 * (None, bool, int, float, str, and the date values of vm/datetime.h as
 * ISO text, a timedelta as its seconds), borrowing its text; any other kind raises
 * TypeError and returns -1. tq_bind: binds `v` to parameter `index` of
 * `cur`; 0, or -1 with the error raised. tq_datum_value and
 * tq_cursor_value: a new value from a datum or from column `col` of the
 * cursor's current row (text and blobs become str). */
int tq_value_datum(tq_ctx_t *ctx, tq_value_t *v, tqdb_datum_t *out);
int tq_bind(tq_ctx_t *ctx, tqdb_cursor_t *cur, int index, tq_value_t *v);
tq_value_t *tq_datum_value(const tqdb_datum_t *d);
tq_value_t *tq_cursor_value(tqdb_cursor_t *cur, int col);
/* The one reader of typed columns: a datum of a column declared
 * `decltype` (base/temporal.h names the kinds) as a value. ISO text in a
 * date, datetime or time column becomes a date, datetime or time value
 * (text that does not parse stays a str); a number in a duration column
 * (seconds) becomes a timedelta; everything else is tq_datum_value's.
 * tq_cursor_value reads through it with the cursor's declared type. */
tq_value_t *tq_datum_value_typed(const tqdb_datum_t *d, const char *decltype);


/* ---- the interpreter context */

/* Records an error, unless one is pending already. ename is a name of
 * base/errors.h's catalogue (asserted). Always returns NULL, for
 * `return tq_raise(...)`. */
tq_value_t *tq_raise(tq_ctx_t *ctx, const char *ename, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Raises the connection's last error (db.h) as the exception of its
 * category: KeyboardInterrupt (also whenever the cell was interrupted),
 * ReadOnlyError, IntegrityError, else DatabaseError. Returns NULL. */
tq_value_t *tq_raise_db(tq_ctx_t *ctx);
bool tq_error_pending(const tq_ctx_t *ctx);
const char *tq_error_name(const tq_ctx_t *ctx);    /* NULL when none */
/* Clears a pending error (used by hooks that try an alternative). */
void tq_error_clear(tq_ctx_t *ctx);

/* True once an interrupt arrived during the current cell. */
bool tq_interrupted(const tq_ctx_t *ctx);

tqdb_conn_t *tq_ctx_db(tq_ctx_t *ctx);             /* borrowed */
bool tq_ctx_readonly(const tq_ctx_t *ctx);
/* The database layer's state (schema.c owns it; NULL until connected). */
void *tq_ctx_schema(tq_ctx_t *ctx);
void tq_ctx_set_schema(tq_ctx_t *ctx, void *schema, void (*destroy)(void *));

/* Writes to the cell's stdout stream. */
void tq_ctx_print(tq_ctx_t *ctx, const char *text, size_t len);
/* Sends display_data now. display_id may be NULL. */
void tq_ctx_display(tq_ctx_t *ctx, const tq_bundle_t *bundle,
                    const char *display_id, bool update);
/* Reports known-size work: `done` of `total` units (rows, bytes). The
 * sink's progress callback hears it now and with every later tick, until
 * the next call; total 0 ends the known-size stretch (back to elapsed
 * time only). Cheap: the receiver throttles. */
void tq_ctx_progress(tq_ctx_t *ctx, int64_t done, int64_t total);
/* A tick from a long loop: tells the sink the cell still runs, with the
 * last reported done/total. Called by the database's progress callback
 * and by the evaluator's loops. */
void tq_ctx_tick(tq_ctx_t *ctx);

/* Global variables (user bindings). tq_ctx_get_global returns borrowed or
 * NULL. tq_ctx_set_global retains the value. */
tq_value_t *tq_ctx_get_global(tq_ctx_t *ctx, const char *name);
void tq_ctx_set_global(tq_ctx_t *ctx, const char *name, tq_value_t *value);
/* Builtins: names visible after globals and table names (F, Q, Count...). */
void tq_ctx_define_builtin(tq_ctx_t *ctx, const char *name, tq_value_t *v);

/* Display options (%config display.max_rows = N), pandas' names and
 * defaults: max_rows 60, min_rows 10, max_columns 20, precision 6; 0 for a
 * count is pandas' None. */
int64_t tq_ctx_max_rows(const tq_ctx_t *ctx);
int64_t tq_ctx_min_rows(const tq_ctx_t *ctx);
int64_t tq_ctx_max_columns(const tq_ctx_t *ctx);
int tq_ctx_precision(const tq_ctx_t *ctx);
/* The largest display.precision accepted (printf digits stay small). */
#define TQ_PRECISION_MAX 50

/* Runs Tabula source (statements) in the current context, as %timeit and
 * %time do; returns the value of the last expression or None. */
tq_value_t *tq_ctx_run_source(tq_ctx_t *ctx, const char *source);

#endif
