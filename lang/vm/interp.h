/*
 * This file declares the interpreter's private structures, shared by
 * value.c, interp.c, eval.c, builtins.c, session.c and magic.c (and by
 * nothing outside the interpreter): the layout of tq_value_t, user
 * functions, code units (a cell's arena and source), frames, and struct
 * tq_ctx. The public contract is value.h; this header is what stands
 * behind it. Implemented by interp.c, eval.c and builtins.c.
 */
#ifndef TQ_INTERP_H
#define TQ_INTERP_H

#include <signal.h>
#include <stdatomic.h>

#include "syntax/ast.h"
#include "base/util.h"
#include "vm/value.h"

/* Size caps for values built by operators (*, +): beyond them a cell
 * fails with ValueError rather than exhausting memory. */
#define TQ_MAX_STR_BYTES ((size_t)1 << 26)
#define TQ_MAX_SEQ_ITEMS ((size_t)1 << 22)

/* A code unit: one executed cell (or %timeit body), its arena and source.
 * Lives inside its own arena; functions defined in it retain the arena. */
typedef struct tq_unit {
    tq_arena_t *arena;
    const char *source;
    size_t len;
    int cell;              /* In[N]; 0 for internal sources */
} tq_unit_t;

/* A user `def` or lambda. */
typedef struct tq_function {
    char *name;
    tq_unit_t *unit;       /* its arena is retained */
    const tq_node_t *def;  /* DEF or LAMBDA */
    tq_value_t **defaults; /* per parameter, NULL when none */
    size_t nparams;
    tq_value_t *closure;   /* dict snapshot of enclosing locals, or NULL */
} tq_function_t;

typedef struct tq_dict tq_dict_t;

struct tq_value {
    int refs;
    unsigned char kind;
    bool immortal;
    bool gc_tracked;       /* on the container list (value.c's collector) */
    bool gc_reachable;
    int gc_refs;
    struct tq_value *gc_prev, *gc_next;
    union {
        bool b;
        int64_t i;
        double f;
        struct {
            char *s;
            size_t len;
        } str;
        struct {
            tq_value_t **items;
            size_t len, cap;
        } seq;
        tq_dict_t *dict;
        struct {
            tq_value_t *start, *stop, *step;
        } slice;
        tq_function_t *fn;
        struct {
            const char *name;
            tq_builtin_fn fn;
            tq_value_t *self;
            bool is_class;     /* int, str, ... : repr <class 'int'> */
        } bi;
        struct {
            const tq_type_t *type;
            void *data;
        } native;
    } u;
};

/* A call frame. Module level has no locals. */
typedef struct tq_frame {
    struct tq_frame *parent;
    tq_map_t *locals;
    tq_value_t *closure;
    tq_unit_t *unit;
    const char *fname;     /* NULL at module level */
    const char **gnames;   /* names declared `global` in this call */
    size_t ngnames, gcap;
    tq_value_t *classns;   /* a class body's namespace (dict), or NULL */
} tq_frame_t;

struct tq_ctx {
    tqdb_conn_t *db;
    bool readonly;
    bool locked_readonly;  /* the session was opened read-only */
    void *schema;
    void (*schema_destroy)(void *);
    tq_map_t globals;      /* name -> tq_value_t * (owned reference) */
    tq_map_t builtins;
    /* the pending error */
    bool err;
    char *ename;
    char *evalue;          /* str(e): evalue_len bytes (NUL bytes kept) */
    size_t evalue_len;
    tq_value_t *exc;       /* the raised exception value (owned), or NULL
                            * for a runtime error (tq_raise), made at
                            * `except` from ename and evalue */
    tq_value_t *handling;  /* the exception the running `except` clause
                            * handles, for a bare `raise` (borrowed from
                            * that clause's exec_try), else NULL */
    char **tb;             /* location lines, innermost frame last */
    size_t ntb, tbcap;
    bool located;
    /* the running cell */
    const tq_sink_t *sink;
    volatile sig_atomic_t interrupt;
    int64_t max_rows;
    int64_t min_rows, max_columns;   /* pandas' display.min_rows, .max_columns */
    int precision;                   /* pandas' display.precision */
    tq_frame_t *frame;
    int depth;             /* user function calls */
    int eval_depth;        /* nested eval() calls */
    const tq_node_t *node; /* node being evaluated, for carets */
    int cell;
    int repr_depth;
    void *session;         /* the tq_session_t that owns this context */
    /* Hooks into the database and render layers, set by session.c, so
     * that the core links (and its unit tests run) without them. */
    tq_value_t *(*schema_lookup)(tq_ctx_t *ctx, const char *name);
    /* The tables' bare names (a new list of str), for "Did you mean". */
    tq_value_t *(*schema_names)(tq_ctx_t *ctx);
    tq_value_t *(*magic_run)(tq_ctx_t *ctx, const char *name,
                             const char *args, const char *body);
    tq_value_t *(*model_declare)(tq_ctx_t *ctx, const char *name,
                                 const tq_args_t *bases, tq_value_t *fields);
    /* The session's connection work, for the magics (see tq_ctx_connect,
     * tq_ctx_commit_point and tq_ctx_history below). */
    int (*connect)(tq_ctx_t *ctx, const char *path, bool readonly,
                   bool create);
    int (*commit_point)(tq_ctx_t *ctx, int (*fn)(tq_ctx_t *, void *),
                        void *ud);
    char **(*history)(tq_ctx_t *ctx, size_t *count);
    /* The editor's help, for help() and dir() (set by session.c; NULL in
     * a bare interpreter): describe returns the malloc'd text that `obj?`
     * pages for the value (detail 0 or 1); attributes returns a new list
     * of the value's attribute names, sorted. Neither runs user code. */
    char *(*describe)(tq_ctx_t *ctx, tq_value_t *v, int detail);
    tq_value_t *(*attributes)(tq_ctx_t *ctx, tq_value_t *v);
    /* Set by the evaluator just before a magic whose value is assigned
     * (`x = %sql ...`), read and cleared by the magic dispatcher: such a
     * magic hands back a value to keep (every row), not only to show. */
    bool magic_value;
    /* Progress of the running cell (tq_ctx_progress): the last reported
     * units, and a counter that thins the evaluator's ticks. */
    int64_t progress_done, progress_total;
    unsigned ticks;
};

/* Context life cycle (interp.c). */
tq_ctx_t *tq_ctx_new(tqdb_conn_t *db, bool readonly);
void tq_ctx_destroy(tq_ctx_t **ctx);
/* Forgets the pending error and its traceback. */
void tq_ctx_reset_error(tq_ctx_t *ctx);
/* Adds a traceback location for `node` in `unit` (outer frames are
 * prepended while unwinding: `outer` true). */
void tq_ctx_locate(tq_ctx_t *ctx, tq_unit_t *unit, const tq_node_t *node,
                   const char *fname, bool outer);
/* Raises the exception value `exc` (borrowed, retained as ctx->exc)
 * unless an error is pending: its name, str(e) as evalue. A `raise e`
 * (reraise false) locates the current node and keeps e's earlier
 * traceback lines after it, as Python does, the innermost
 * TQ_TB_CARRIED_LINES of them (10 frames: an exception raised again in a
 * loop does not grow without end);
 * a bare `raise` (reraise true) has e's traceback lines alone. Returns
 * NULL. */
tq_value_t *tq_raise_exception(tq_ctx_t *ctx, tq_value_t *exc, bool reraise);
#define TQ_TB_CARRIED_LINES 30
/* The pending error as an exception value (a new reference: ctx->exc, or
 * one made from ename and evalue), for `except E as e`; the value takes
 * the traceback lines, and the error stays pending without them. */
tq_value_t *tq_ctx_error_value(tq_ctx_t *ctx);
/* Replaces the database connection (the old one is not closed here). */
void tq_ctx_set_db(tq_ctx_t *ctx, tqdb_conn_t *db, bool readonly);
void tq_ctx_set_max_rows(tq_ctx_t *ctx, int64_t n);
/* The other display options (%config), stored as given: n >= 0 (0 is
 * pandas' None), precision 0..TQ_PRECISION_MAX. */
void tq_ctx_set_min_rows(tq_ctx_t *ctx, int64_t n);
void tq_ctx_set_max_columns(tq_ctx_t *ctx, int64_t n);
void tq_ctx_set_precision(tq_ctx_t *ctx, int digits);

/* Connections (the session's hooks above, set by session.c; these call
 * them): commits the running cell's transaction,
 * opens `path` (replacing the session's database), refreshes the schema
 * and begins a new transaction. Returns 0 or -1 with an error raised. */
int tq_ctx_connect(tq_ctx_t *ctx, const char *path, bool readonly,
                   bool create);
/* Ends the cell's transaction (COMMIT) and starts a new one, for
 * statements that cannot run inside a transaction (ATTACH). 0 or -1. */
int tq_ctx_commit_point(tq_ctx_t *ctx, int (*fn)(tq_ctx_t *, void *),
                        void *ud);
/* The session's executed cells, oldest first, the running one last (for
 * %history): from the kernel's history when its sink keeps one, else from
 * the session's own list. Returns a malloc'd array of malloc'd strings
 * (caller frees both) and its length in *count. */
char **tq_ctx_history(tq_ctx_t *ctx, size_t *count);

/* Builtins (builtins.c): registers every builtin function in ctx. */
void tq_builtins_register(tq_ctx_t *ctx);
/* Methods of str, list and dict: a bound builtin, or NULL without raising
 * when the type has no such method. */
tq_value_t *tq_method_get(tq_ctx_t *ctx, tq_value_t *obj, const char *name);
/* Method names of a builtin kind, NULL-terminated (for completion). */
const char *const *tq_method_names(tq_kind_t kind);
/* A range value's start, step and number of items; false for others. */
bool tq_range_get(const tq_value_t *v, int64_t *start, int64_t *step,
                  int64_t *count);
/* Python's printf-style 'fmt' % args. */
tq_value_t *tq_str_percent(tq_ctx_t *ctx, tq_value_t *fmt, tq_value_t *args);
/* Formats a value with a format spec ("{:.2f}", f-strings). malloc'd; a
 * C string, so a str's text stops at its first NUL byte: tq_format_str
 * gives the str value, NULs kept. */
char *tq_format_value(tq_ctx_t *ctx, tq_value_t *v, const char *spec);
tq_value_t *tq_format_str(tq_ctx_t *ctx, tq_value_t *v, const char *spec);

/* value.c internals shared with the evaluator. */
tq_value_t *tq_function_value_new(tq_function_t *fn);   /* takes fn */
/* The cycle collector: frees containers (lists, tuples, dicts, functions,
 * bound methods) that only reference each other. Values held by native
 * payloads count as referenced from outside, so nothing live is freed.
 * tq_gc_maybe collects when enough containers were made since the last
 * collection. Returns the number of containers freed. */
size_t tq_gc_collect(void);
size_t tq_gc_maybe(void);
tq_value_t *tq_class_builtin_new(const char *name, tq_builtin_fn fn);
bool tq_hashable(tq_ctx_t *ctx, tq_value_t *key);   /* raises TypeError */
bool tq_dict_del(tq_value_t *dict, tq_value_t *key);
void tq_list_insert(tq_value_t *list, size_t i, tq_value_t *item); /* retains */
tq_value_t *tq_list_pop(tq_value_t *list, size_t i);  /* returns the ref */
/* Python ordering for sort/min/max: -1, 0, 1, or -2 with TypeError. */
int tq_compare(tq_ctx_t *ctx, tq_value_t *a, tq_value_t *b);
int tq_setitem(tq_ctx_t *ctx, tq_value_t *obj, tq_value_t *key,
               tq_value_t *value);
int tq_setattr(tq_ctx_t *ctx, tq_value_t *obj, const char *name,
               tq_value_t *value);
int tq_delitem(tq_ctx_t *ctx, tq_value_t *obj, tq_value_t *key);
/* Python repr of a float. malloc'd. */
char *tq_float_repr(double d);
/* The bundle behind a tq_bundle_value_new value, or NULL. */
const tq_bundle_t *tq_bundle_value_get(const tq_value_t *v);
/* Exception values (value.c): what `ValueError('x', 2)` builds, `raise`
 * raises and `except E as e` binds. tq_exception_new: an exception of the
 * catalogue's class `ename` whose args are the tuple `args` (borrowed,
 * retained); str(e) is computed from them as Python computes it.
 * tq_exception_of_error: the exception of an error raised by the runtime
 * (tq_raise), args == (msg,) and str(e) exactly the `len` bytes of `msg`
 * (NUL bytes kept). Both return new references. */
tq_value_t *tq_exception_new(const char *ename, tq_value_t *args);
tq_value_t *tq_exception_of_error(const char *ename, const char *msg,
                                  size_t len);
/* The class name of an exception value (borrowed), NULL for any other. */
const char *tq_exception_name(const tq_value_t *v);
/* str(e) of an exception value as a str value (new reference; NUL bytes
 * kept), or NULL with an error raised (str() of an argument failed). */
tq_value_t *tq_exception_str(tq_ctx_t *ctx, tq_value_t *v);
/* The traceback lines of the exception's last raise, innermost last
 * (borrowed; *n lines), and their replacement by `tb` (n malloc'd lines
 * in a malloc'd array, stolen; NULL for none). */
const char *const *tq_exception_tb(const tq_value_t *v, size_t *n);
void tq_exception_take_tb(tq_value_t *v, char **tb, size_t n);

#endif
