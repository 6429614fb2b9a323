/*
 * This file answers complete_request (see complete.h). It scans the cell
 * up to the cursor once to learn whether the cursor is inside a string or
 * a comment and which brackets are open, then picks one context:
 *
 *   %na                 magic names (line magics, %% cell magics)
 *   %connect pa         file paths (also %load_csv, %attach)
 *   User.filter(ag      keyword columns `age=`, relations `bike=`/`bike__`,
 *                       lookups and transforms after `col__`, relation
 *                       paths after `rel__` (filter, exclude, get, create,
 *                       update, get_or_create, update_or_create, new, Q)
 *   users[:, 'na        column names inside strings (fancy indexing,
 *                       order_by/values/values_list/only/select_related)
 *   F.na                columns and relations of the enclosing call's table
 *   expr.na             methods of the receiver's type (query sets and
 *                       managers, frames and Series, objects, str/list/dict)
 *   na                  variables, tables, builtins, keywords
 *
 * Receivers are resolved without running user code: names are looked up,
 * attributes read only on managers/objects/db, and calls typed by the
 * catalogue below (filter() of a query set is a query set of its table).
 *
 * Layer: editor, the top layer under the session; it reads the schema,
 * the query sets, frames and magics of the layers below it.
 */
#include "editor/complete.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sql/compile_int.h"
#include "sql/funcs.h"
#include "sql/lookups.h"
#include "render/chart_kinds.h"
#include "vm/eval.h"
#include "frame/frame.h"
#include "vm/interp.h"
#include "magic/magic.h"
#include "magic/magics.h"
#include "orm/queryset.h"
#include "base/util.h"


/* ---- catalogues */

#define QS_METHODS(X)                                                       \
    X("all", "all()", "A copy of the query set.", QS)                      \
    X("filter", "filter(*q, **lookups)",                                   \
      "Rows matching every lookup (AND-ed), as a new query set.", QS)      \
    X("exclude", "exclude(*q, **lookups)",                                 \
      "Rows not matching the lookups, as a new query set.", QS)            \
    X("get", "get(*q, **lookups)",                                         \
      "The one matching object; DoesNotExist or MultipleObjectsReturned "  \
      "otherwise.", OBJECT)                                                \
    X("first", "first()", "The first object in order, or None.", OBJECT)   \
    X("last", "last()", "The last object in order, or None.", OBJECT)      \
    X("latest", "latest(*fields)",                                         \
      "The object with the greatest value of the fields.", OBJECT)         \
    X("earliest", "earliest(*fields)",                                     \
      "The object with the smallest value of the fields.", OBJECT)         \
    X("count", "count()", "The number of rows (SELECT count(*)).", OTHER)  \
    X("exists", "exists()", "True when at least one row matches.", OTHER)  \
    X("order_by", "order_by(*fields)",                                     \
      "Ordered by the fields ('-field' descending).", QS)                  \
    X("reverse", "reverse()", "The same rows in reverse order.", QS)       \
    X("distinct", "distinct()", "Without duplicate rows.", QS)             \
    X("values", "values(*fields, **expressions)",                          \
      "Rows as dicts of the fields.", QS)                                  \
    X("values_list", "values_list(*fields, flat=False, named=False)",      \
      "Rows as tuples (flat: single values).", QS)                         \
    X("annotate", "annotate(**expressions)",                               \
      "Adds a computed column (aggregates group by the row).", QS)         \
    X("aggregate", "aggregate(*aggregates, **aggregates)",                 \
      "A dict of aggregates over the whole query set.", OTHER)             \
    X("select_related", "select_related(*relations)",                      \
      "Fetches the related objects in the same SELECT.", QS)               \
    X("only", "only(*fields)", "Loads only the named columns.", QS)        \
    X("none", "none()", "An empty query set.", QS)                         \
    X("in_bulk", "in_bulk(id_list=None, field_name='pk')",                 \
      "A dict from key to object.", OTHER)                                 \
    X("create", "create(**fields)", "Inserts a row and returns its object.", \
      OBJECT)                                                              \
    X("get_or_create", "get_or_create(defaults=None, **lookups)",          \
      "(object, created): the matching object or a new one.", OTHER)       \
    X("update_or_create", "update_or_create(defaults=None, **lookups)",    \
      "(object, created): updates the matching object or creates one.",    \
      OTHER)                                                               \
    X("bulk_create", "bulk_create(objs)", "Inserts many unsaved objects.", \
      OTHER)                                                               \
    X("new", "new(**fields)", "An unsaved object (save() inserts it).",    \
      OBJECT)                                                              \
    X("update", "update(**fields)",                                        \
      "Updates every matching row; returns the number changed.", OTHER)    \
    X("delete", "delete()",                                                \
      "Deletes every matching row; returns (total, per-table counts).",    \
      OTHER)                                                               \
    X("explain", "explain()", "SQLite's query plan of the query set.",     \
      OTHER)                                                               \
    X("to_csv", "to_csv(path=None)",                                       \
      "The rows as CSV text, or written to path.", OTHER)                  \
    X("dataframe", "dataframe()", "The rows as a DataFrame.", FRAME)       \
    X("update_from_dataframe", "update_from_dataframe(df)",                \
      "Updates rows from a frame, matched by primary key.", OTHER)         \
    X("query", "query", "The SQL this query set runs (attribute).", OTHER) \
    X("plot", "plot", "Charts: plot." TQ_CHART_NAMES_SLASHED "(...).",     \
      OTHER)

#define FRAME_METHODS(X)                                                    \
    X("head", "head(n=5)", "The first n rows.", FRAME, 0)                  \
    X("tail", "tail(n=5)", "The last n rows.", FRAME, 0)                   \
    X("sort_values", "sort_values(by, ascending=True)",                    \
      "Sorted by one or more columns.", FRAME, 0)                          \
    X("to_csv", "to_csv(path=None)", "CSV text, or written to path.",      \
      OTHER, 0)                                                            \
    X("describe", "describe()", "count, mean, std, min, quartiles, max.",  \
      FRAME, 0)                                                            \
    X("groupby", "groupby(by)", "Groups rows for an aggregate.", OTHER, 1) \
    X("columns", "columns", "The column names (attribute).", OTHER, 1)     \
    X("shape", "shape", "(rows, columns) (attribute).", OTHER, 0)          \
    X("plot", "plot", "Charts: plot." TQ_CHART_NAMES_SLASHED "(...).",     \
      OTHER, 0)                                                            \
    X("name", "name", "The Series' name (attribute).", OTHER, 2)           \
    X("sum", "sum()", "The sum of the values.", OTHER, 2)                  \
    X("mean", "mean()", "The mean of the values.", OTHER, 2)               \
    X("count", "count()", "The number of non-null values.", OTHER, 2)      \
    X("min", "min()", "The smallest value.", OTHER, 2)                     \
    X("max", "max()", "The largest value.", OTHER, 2)                      \
    X("std", "std()", "The sample standard deviation.", OTHER, 2)          \
    X("tolist", "tolist()", "The values as a list.", OTHER, 2)

static const tq_method_doc_t qs_docs[] = {
#define X(n, sig, doc, ret) {n, sig, doc, TQ_RET_##ret, 0},
    QS_METHODS(X)
#undef X
    {NULL, NULL, NULL, 0, 0},
};

static const tq_method_doc_t frame_docs[] = {
#define X(n, sig, doc, ret, where) {n, sig, doc, TQ_RET_##ret, where},
    FRAME_METHODS(X)
#undef X
    {NULL, NULL, NULL, 0, 0},
};

/* Lookups then transforms (sql/lookups.h); only those the compiler knows
 * are offered. */
static const char *const lookup_candidates[] = {
#define X(n, kind, fmt, doc) #n,
    TQ_LOOKUPS(X)
#undef X
    NULL,
};

/* Methods whose keyword arguments are column lookups or fields. */
static const char *const kw_methods[] = {
    "filter", "exclude", "get", "create", "update", "get_or_create",
    "update_or_create", "new", NULL,
};

/* Methods whose string arguments are field names. */
static const char *const field_methods[] = {
    "order_by", "values", "values_list", "only", "select_related",
    "latest", "earliest", "sort_values", NULL,
};

/* Functions whose first string argument is a field path: F and the
 * query functions of sql/funcs.h. */
static const char *const expr_functions[] = {
    "F",
#define X(e, name, kind, sql, sig, doc) name,
    TQ_FUNCS(X)
#undef X
    NULL,
};

static const char *const keywords[] = {
    "and", "assert", "break", "class", "continue", "def", "del", "elif",
    "else", "False", "for", "global", "if", "in", "is", "lambda", "None",
    "not", "or", "pass", "raise", "return", "True", "while", NULL,
};

/* What each magic's arguments are (magic/magics.h). */
static const struct {
    const char *name;
    tq_magic_args_t args;
} magic_args[] = {
#define X(name, fn, where, args, usage, doc) {#name, TQ_MAGIC_ARGS_##args},
    TQ_MAGICS(X)
#undef X
};

/* The arguments of the magic named by s[0..n), NONE when unknown. */
static tq_magic_args_t magic_args_of(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof magic_args / sizeof *magic_args; i++)
        if (strlen(magic_args[i].name) == n &&
            !strncmp(magic_args[i].name, s, n))
            return magic_args[i].args;
    return TQ_MAGIC_ARGS_NONE;
}

/* tq_complete_qs_methods and the three below: see complete.h. */
const tq_method_doc_t *tq_complete_qs_methods(void)
{
    return qs_docs;
}

const tq_method_doc_t *tq_complete_frame_methods(void)
{
    return frame_docs;
}

const tq_method_doc_t *tq_complete_method_doc(const char *name, bool frame)
{
    for (const tq_method_doc_t *d = frame ? frame_docs : qs_docs; d->name;
         d++)
        if (!strcmp(d->name, name))
            return d;
    return NULL;
}

const char *const *tq_complete_lookup_names(void)
{
    return lookup_candidates;
}

static bool in_list(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && !strncmp(*list, s, n))
            return true;
    return false;
}

/* ---- the match list */

typedef struct mset {
    tq_completion_t *out;
    size_t cap;
    const char *prefix;      /* what the typed word must be a prefix of */
} mset_t;

/* Adds lead+name+tail when it starts with the typed prefix. */
static void add3(mset_t *m, const char *lead, const char *name,
                 const char *tail, const char *type)
{
    char *full = tq_xasprintf("%s%s%s", lead, name, tail);
    size_t pn = strlen(m->prefix);
    if (strncmp(full, m->prefix, pn) != 0) {
        free(full);
        return;
    }
    for (size_t i = 0; i < m->out->count; i++)
        if (!strcmp(m->out->matches[i], full)) {
            free(full);
            return;
        }
    if (m->out->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->out->matches = tq_xrealloc(m->out->matches,
                                      m->cap * sizeof *m->out->matches);
        m->out->types = tq_xrealloc(m->out->types,
                                    m->cap * sizeof *m->out->types);
    }
    m->out->matches[m->out->count] = full;
    m->out->types[m->out->count++] = tq_xstrdup(type);
}

static void add(mset_t *m, const char *name, const char *type)
{
    add3(m, "", name, "", type);
}

static int cmp_index(const void *a, const void *b, void *arg)
{
    char **names = arg;
    return strcmp(names[*(const size_t *)a], names[*(const size_t *)b]);
}

/* Sorts matches (types follow). */
static void sort_matches(tq_completion_t *c)
{
    if (c->count < 2)
        return;
    size_t *idx = tq_xmalloc(c->count * sizeof *idx);
    for (size_t i = 0; i < c->count; i++)
        idx[i] = i;
    qsort_r(idx, c->count, sizeof *idx, cmp_index, c->matches);
    char **m = tq_xmalloc(c->count * sizeof *m);
    char **t = tq_xmalloc(c->count * sizeof *t);
    for (size_t i = 0; i < c->count; i++) {
        m[i] = c->matches[idx[i]];
        t[i] = c->types[idx[i]];
    }
    memcpy(c->matches, m, c->count * sizeof *m);
    memcpy(c->types, t, c->count * sizeof *t);
    free(m);
    free(t);
    free(idx);
}

/* ---- scanning the text before the cursor */

#define MAX_OPEN 64

typedef struct scan {
    bool in_str;
    size_t str_body;         /* offset just after the opening quote(s) */
    size_t str_quote;        /* offset of the opening quote */
    bool comment;
    size_t open[MAX_OPEN];   /* offsets of unclosed brackets */
    size_t nopen;
} scan_t;

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static void scan_to(const char *code, size_t pos, scan_t *s)
{
    memset(s, 0, sizeof *s);
    size_t depth_overflow = 0;
    for (size_t i = 0; i < pos;) {
        char c = code[i];
        if (c == '#') {
            while (i < pos && code[i] != '\n')
                i++;
            if (i >= pos)
                s->comment = true;
            continue;
        }
        if (c == '\'' || c == '"') {
            bool triple = i + 2 < pos + 2 && code[i + 1] == c &&
                          code[i + 2] == c;
            size_t q = i;
            i += triple ? 3 : 1;
            bool closed = false;
            while (i < pos) {
                if (code[i] == '\\') {
                    i += 2;
                    continue;
                }
                if (!triple && code[i] == '\n')
                    break;
                if (code[i] == c &&
                    (!triple || (code[i + 1] == c && code[i + 2] == c))) {
                    i += triple ? 3 : 1;
                    closed = true;
                    break;
                }
                i++;
            }
            if (!closed && i >= pos) {
                s->in_str = true;
                s->str_quote = q;
                s->str_body = q + (triple ? 3 : 1);
                if (s->str_body > pos)
                    s->str_body = pos;
                return;
            }
            continue;
        }
        if (c == '(' || c == '[' || c == '{') {
            if (s->nopen < MAX_OPEN)
                s->open[s->nopen++] = i;
            else
                depth_overflow++;
        } else if (c == ')' || c == ']' || c == '}') {
            if (depth_overflow)
                depth_overflow--;
            else if (s->nopen)
                s->nopen--;
        }
        i++;
    }
}

/* The start of the receiver expression ending at `end` (exclusive): names,
 * dots and balanced (...) / [...] groups. */
static size_t receiver_start(const char *code, size_t end)
{
    size_t b = end;
    while (b > 0) {
        char c = code[b - 1];
        if (ident_char(c) || c == '.') {
            b--;
        } else if (c == ')' || c == ']') {
            char open = c == ')' ? '(' : '[';
            int depth = 0;
            size_t k = b;
            while (k > 0) {
                k--;
                if (code[k] == c)
                    depth++;
                else if (code[k] == open && --depth == 0)
                    break;
            }
            if (depth != 0)
                break;
            b = k;
        } else {
            break;
        }
    }
    while (b < end && code[b] == '.')
        b++;
    return b;
}

/* ---- resolving receivers */

typedef enum rkind {
    RK_NONE,
    RK_VALUE,     /* a value of another kind (v) */
    RK_QS,        /* a query set or manager of `table` */
    RK_FRAME,     /* a DataFrame: v, or the columns of `table` */
    RK_SERIES,
    RK_OBJECT,    /* a model object of `table` */
    RK_F,         /* F or an F path: `table` is the path's table */
} rkind_t;

typedef struct recv {
    rkind_t kind;
    tq_value_t *v;                 /* owned, may be NULL */
    const tq_stable_t *table;      /* borrowed from the schema */
    bool manager;
} recv_t;

static void recv_clear(recv_t *r)
{
    tq_decref(r->v);
    memset(r, 0, sizeof *r);
}

static const tq_schema_t *schema_of(tq_ctx_t *ctx)
{
    if (!tq_ctx_db(ctx))
        return NULL;
    const tq_schema_t *s = db_schema(ctx);
    tq_ctx_reset_error(ctx);
    return s;
}

static const tq_stable_t *table_of_desc(tq_ctx_t *ctx, const qdesc_t *q)
{
    const tq_schema_t *s = schema_of(ctx);
    return s ? tq_schema_table(s, q->schema, q->table) : NULL;
}

/* Classifies a value; takes the reference. */
static void recv_set_value(tq_ctx_t *ctx, recv_t *r, tq_value_t *v)
{
    recv_clear(r);
    if (!v)
        return;
    r->v = v;
    r->kind = RK_VALUE;
    qdesc_t *q = qs_desc(v);
    if (q) {
        r->kind = RK_QS;
        r->manager = qs_is_manager(v);
        r->table = table_of_desc(ctx, q);
    } else if (tq_is_native(v, &tq_frame_type)) {
        r->kind = RK_FRAME;
    } else if (tq_is_native(v, &tq_series_type)) {
        r->kind = RK_SERIES;
    } else if (tq_is_native(v, &tq_object_type)) {
        const char *sch, *tab;
        char *const *names;
        tq_value_t *const *vals;
        const bool *given;
        obj_columns(v, &sch, &tab, &names, &vals, &given);
        const tq_schema_t *s = schema_of(ctx);
        r->table = s ? tq_schema_table(s, sch, tab) : NULL;
        r->kind = RK_OBJECT;
    }
}

/* The relation `name` of t followed: its target table, or NULL. */
static const tq_stable_t *follow(tq_ctx_t *ctx, const tq_stable_t *t,
                                 const char *name)
{
    const tq_schema_t *s = schema_of(ctx);
    const tq_srel_t *rel = t && s ? tq_stable_rel(t, name) : NULL;
    return rel ? &s->tables[rel->target] : NULL;
}

/* Resolves receiver text: name(.name | (...) | [...])*. Calls are typed
 * from the catalogue, never run. */
static void resolve(tq_ctx_t *ctx, const char *text, size_t n, recv_t *r,
                    const tq_stable_t *ftable)
{
    memset(r, 0, sizeof *r);
    size_t i = 0;
    while (i < n && ident_char(text[i]))
        i++;
    if (i == 0)
        return;
    char *first = tq_xstrndup(text, i);
    if (!strcmp(first, "F")) {
        r->kind = RK_F;
        r->table = ftable;
    } else {
        recv_set_value(ctx, r, tq_lookup(ctx, first));
        tq_ctx_reset_error(ctx);
    }
    free(first);
    while (i < n && r->kind != RK_NONE) {
        if (text[i] == '.') {
            size_t b = ++i;
            while (i < n && ident_char(text[i]))
                i++;
            char *name = tq_xstrndup(text + b, i - b);
            bool call = i < n && text[i] == '(';
            if (call) {
                int depth = 0;
                while (i < n) {
                    if (text[i] == '(')
                        depth++;
                    else if (text[i] == ')' && --depth == 0)
                        break;
                    i++;
                }
                i++;
            }
            if (r->kind == RK_F) {
                const tq_stable_t *t = follow(ctx, r->table, name);
                r->table = t;
                if (!t || call)
                    recv_clear(r);
            } else if (r->kind == RK_QS) {
                const tq_method_doc_t *d = tq_complete_method_doc(name, false);
                bool keep_value = !call && (!strcmp(name, "objects") ||
                                            !strcmp(name, "all_objects"));
                if (keep_value) {
                    /* the manager itself: stays as it is */
                } else if (d && (call || d->returns == TQ_RET_OTHER)) {
                    const tq_stable_t *t = r->table;
                    recv_clear(r);
                    r->table = t;
                    r->kind = d->returns == TQ_RET_QS       ? RK_QS
                              : d->returns == TQ_RET_FRAME  ? RK_FRAME
                              : d->returns == TQ_RET_OBJECT ? RK_OBJECT
                                                            : RK_NONE;
                } else {
                    recv_clear(r);
                }
            } else if (r->kind == RK_FRAME || r->kind == RK_SERIES) {
                const tq_method_doc_t *d = tq_complete_method_doc(name, true);
                rkind_t k = r->kind;
                const tq_stable_t *t = r->table;
                if (d && call && d->returns == TQ_RET_FRAME) {
                    tq_value_t *v = r->v ? tq_incref(r->v) : NULL;
                    recv_clear(r);
                    r->kind = k;
                    r->v = v;    /* same columns */
                    r->table = t;
                } else {
                    recv_clear(r);
                }
            } else if (r->kind == RK_OBJECT && !call) {
                const tq_stable_t *t = follow(ctx, r->table, name);
                recv_clear(r);
                if (t) {
                    r->kind = RK_OBJECT;
                    r->table = t;
                }
            } else if (r->kind == RK_VALUE && !call &&
                       tq_kind(r->v) == TQ_NATIVE &&
                       !strcmp(tq_type_name(r->v), "db")) {
                /* db.main: namespaces only hold managers, no side effects */
                recv_set_value(ctx, r, tq_getattr(ctx, r->v, name));
                tq_ctx_reset_error(ctx);
            } else {
                recv_clear(r);
            }
            free(name);
        } else if (text[i] == '[') {
            /* frame['col'] is a Series; other subscripts are unknown */
            rkind_t k = r->kind;
            recv_clear(r);
            if (k == RK_FRAME && i + 1 < n &&
                (text[i + 1] == '\'' || text[i + 1] == '"'))
                r->kind = RK_SERIES;
            int depth = 0;
            while (i < n) {
                if (text[i] == '[')
                    depth++;
                else if (text[i] == ']' && --depth == 0)
                    break;
                i++;
            }
            i++;
        } else {
            recv_clear(r);
        }
    }
}

/* ---- candidates */

/* Columns and relations of t, each with `tail` appended. */
static void add_fields(mset_t *m, const char *lead, const tq_stable_t *t,
                       const char *col_tail, bool relations)
{
    for (size_t i = 0; i < t->ncols; i++)
        add3(m, lead, t->cols[i].name, col_tail, "column");
    if (!relations)
        return;
    for (size_t i = 0; i < t->nrels; i++)
        add3(m, lead, t->rels[i].name, col_tail, "relation");
}

static void add_frame_columns(mset_t *m, const recv_t *r)
{
    if (r->v && tq_is_native(r->v, &tq_frame_type)) {
        const frame_t *f = tq_native_data(r->v);
        for (size_t i = 0; i < f->ncols; i++)
            add(m, f->cols[i], "column");
    } else if (r->table) {
        add_fields(m, "", r->table, "", false);
    }
}

/* Keyword or string field path `word` ("bike__mod", "age__l") relative to
 * t: walks the complete parts, offers the last. kw: keyword arguments
 * (columns get "=", relations "=" and "__"). */
static void add_path(tq_ctx_t *ctx, mset_t *m, const tq_stable_t *t,
                     const char *word, bool kw)
{
    const char *p = word;
    const char *sep;
    bool after_column = false;
    while ((sep = strstr(p, "__"))) {
        char *part = tq_xstrndup(p, (size_t)(sep - p));
        const tq_stable_t *next = after_column ? NULL : follow(ctx, t, part);
        if (next) {
            t = next;
        } else if (!after_column && tq_stable_col(t, part) != -1) {
            after_column = true;   /* lookups and transforms follow */
        } else if (after_column && tq_is_transform(part)) {
            /* age__year__ : lookups again */
        } else {
            free(part);
            return;
        }
        free(part);
        p = sep + 2;
    }
    char *lead = tq_xstrndup(word, (size_t)(p - word));
    if (after_column) {
        for (const char *const *l = lookup_candidates; *l; l++)
            if (tq_is_lookup(*l) || tq_is_transform(*l))
                add3(m, lead, *l, "", "lookup");
    } else {
        for (size_t i = 0; i < t->ncols; i++)
            add3(m, lead, t->cols[i].name, kw ? "=" : "", "column");
        for (size_t i = 0; i < t->nrels; i++) {
            if (kw && !t->rels[i].reverse)
                add3(m, lead, t->rels[i].name, "=", "relation");
            add3(m, lead, t->rels[i].name, "__", "relation");
        }
        if (*lead && kw)
            for (const char *const *l = lookup_candidates; *l; l++)
                if (!strcmp(*l, "in") || !strcmp(*l, "isnull") ||
                    !strcmp(*l, "exact"))
                    add3(m, lead, *l, "", "lookup");
    }
    free(lead);
}

static void add_methods(tq_ctx_t *ctx, mset_t *m, const recv_t *r)
{
    switch (r->kind) {
    case RK_QS:
        for (const tq_method_doc_t *d = qs_docs; d->name; d++)
            add(m, d->name, "method");
        if (r->manager)
            add(m, "objects", "property");
        if (r->table) {
            db_state_t *st = tq_ctx_db(ctx) ? db_state(ctx) : NULL;
            for (size_t i = 0; st && i < st->nmethods; i++)
                if (!strcmp(st->methods[i].table, r->table->name) &&
                    !strcmp(st->methods[i].schema, r->table->schema) &&
                    (r->manager || !st->methods[i].manager))
                    add(m, st->methods[i].name, "method");
            const model_meta_t *meta = model_meta_find(ctx, r->table->schema,
                                                       r->table->name);
            if (meta && meta->soft_deletable && r->manager)
                add(m, "all_objects", "property");
            if (meta && meta->timeframed)
                add(m, "timeframed", "property");
            if (meta && meta->choices)
                for (size_t i = 0; i < tq_seq_len(meta->choices); i++) {
                    tq_value_t *c = tq_seq_get(meta->choices, i);
                    if (tq_kind(c) == TQ_STR)
                        add(m, tq_as_str(c), "property");
                }
        }
        break;
    case RK_FRAME:
    case RK_SERIES:
        for (const tq_method_doc_t *d = frame_docs; d->name; d++)
            if (d->where == 0 || d->where == (r->kind == RK_SERIES ? 2 : 1))
                add(m, d->name, d->signature[strlen(d->name)] == '('
                                    ? "method" : "property");
        if (r->kind == RK_FRAME)
            add_frame_columns(m, r);
        break;
    case RK_OBJECT:
        if (r->table)
            add_fields(m, "", r->table, "", true);
        for (size_t i = 0; r->table && i < r->table->nrels; i++)
            if (r->table->rels[i].accessor && !r->table->rels[i].hidden)
                add(m, r->table->rels[i].accessor, "relation");
        add(m, "save", "method");
        add(m, "delete", "method");
        add(m, "refresh_from_db", "method");
        add(m, "pk", "property");
        break;
    case RK_F:
        if (r->table)
            add_fields(m, "", r->table, "", true);
        break;
    case RK_VALUE: {
        const char *const *names = tq_method_names(tq_kind(r->v));
        for (; names && *names; names++)
            add(m, *names, "method");
        break;
    }
    case RK_NONE:
        break;
    }
}

/* The table of the innermost enclosing call whose receiver is a query set
 * (for F. and Q(...) keywords). */
static const tq_stable_t *enclosing_table(tq_ctx_t *ctx, const char *code,
                                          const scan_t *s)
{
    for (size_t k = s->nopen; k-- > 0;) {
        size_t at = s->open[k];
        if (code[at] != '(')
            continue;
        size_t b = receiver_start(code, at);
        size_t dot = at;
        while (dot > b && code[dot - 1] != '.')
            dot--;
        if (dot <= b)
            continue;
        recv_t r;
        resolve(ctx, code + b, dot - 1 - b, &r, NULL);
        const tq_stable_t *t = r.kind == RK_QS ? r.table : NULL;
        recv_clear(&r);
        if (t)
            return t;
    }
    return NULL;
}

/* `db.` offers schemas, app labels and tables; `db.sales.` the tables of
 * that schema (`text` is the receiver: "db" or "db.sales"). */
static void add_db_names(tq_ctx_t *ctx, mset_t *m, const char *text,
                         size_t n)
{
    const tq_schema_t *s = schema_of(ctx);
    if (!s)
        return;
    const char *dot = memchr(text, '.', n);
    const char *ns = dot ? dot + 1 : NULL;
    size_t nsn = dot ? n - (size_t)(ns - text) : 0;
    if (!ns) {
        for (size_t i = 0; i < s->nschemas; i++)
            add(m, s->schemas[i], "module");
        for (size_t i = 0; i < s->napps; i++)
            add(m, s->apps[i], "module");
    }
    for (size_t i = 0; i < s->ntables; i++) {
        const tq_stable_t *t = &s->tables[i];
        if (ns ? strlen(t->schema) == nsn && !strncmp(t->schema, ns, nsn)
               : !strcmp(t->schema, tq_schema_main(s))) {
            add(m, t->name, "table");
            add(m, t->bare, "table");
        }
    }
}

static void add_names(tq_ctx_t *ctx, mset_t *m)
{
    for (size_t i = 0; i < ctx->globals.cap; i++)
        if (ctx->globals.slots[i].key)
            add(m, ctx->globals.slots[i].key, "variable");
    if (tq_ctx_db(ctx)) {
        tq_value_t *tables = tq_schema_names(ctx);
        tq_ctx_reset_error(ctx);
        if (tables && tq_kind(tables) == TQ_LIST)
            for (size_t i = 0; i < tq_seq_len(tables); i++) {
                tq_value_t *t = tq_seq_get(tables, i);
                if (tq_kind(t) == TQ_STR)
                    add(m, tq_as_str(t), "table");
            }
        tq_decref(tables);
    }
    for (size_t i = 0; i < ctx->builtins.cap; i++)
        if (ctx->builtins.slots[i].key)
            add(m, ctx->builtins.slots[i].key, "builtin");
    for (const char *const *k = keywords; *k; k++)
        add(m, *k, "keyword");
}

static void add_paths(mset_t *m, const char *token)
{
    const char *slash = strrchr(token, '/');
    char *dir = slash ? tq_xstrndup(token, (size_t)(slash - token) + 1)
                      : tq_xstrdup("");
    const char *base = slash ? slash + 1 : token;
    DIR *d = opendir(*dir ? dir : ".");
    if (d) {
        struct dirent *e;
        size_t found = 0;
        while ((e = readdir(d)) && found < 1000) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            if (e->d_name[0] == '.' && base[0] != '.')
                continue;
            if (strncmp(e->d_name, base, strlen(base)) != 0)
                continue;
            char *full = tq_xasprintf("%s%s", dir, e->d_name);
            struct stat st;
            bool isdir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
            free(full);
            add3(m, dir, e->d_name, isdir ? "/" : "", "path");
            found++;
        }
        closedir(d);
    }
    free(dir);
}

/* SQL text (%sql line, %%sql cell): the word at the cursor among table
 * and column names (SQL names, not models). */
static void add_sql_names(tq_ctx_t *ctx, mset_t *m, const char *code,
                          size_t pos, size_t *start)
{
    size_t w = pos;
    while (w > 0 && ident_char(code[w - 1]))
        w--;
    *start = w;
    const tq_schema_t *s = schema_of(ctx);
    if (!s || w == pos)
        return;
    char *word = tq_xstrndup(code + w, pos - w);
    m->prefix = word;
    for (size_t i = 0; i < s->ntables; i++) {
        add(m, s->tables[i].name, "table");
        add_fields(m, "", &s->tables[i], "", false);
    }
    m->prefix = "";
    free(word);
}

/* The body of a %%sql cell: SQL names; false for other cells. */
static bool complete_sql_cell(tq_ctx_t *ctx, mset_t *m, const char *code,
                              size_t pos, size_t *start)
{
    const char *p = code;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (strncmp(p, "%%sql", 5) != 0 || ident_char(p[5]))
        return false;
    const char *nl = strchr(p, '\n');
    if (!nl || (size_t)(nl - code) >= pos)
        return false;   /* still on the magic's own line */
    add_sql_names(ctx, m, code, pos, start);
    return true;
}

/* Magics: `%na` at the start of a line or after whitespace, `=` or `(`
 * (x = %connect ...). Returns true when the cursor is in a magic's name or
 * arguments (whatever was found). */
static bool complete_magic(tq_ctx_t *ctx, mset_t *m, const char *code,
                           size_t pos, size_t *start)
{
    size_t ls = pos;
    while (ls > 0 && code[ls - 1] != '\n')
        ls--;
    size_t p = pos;
    bool found = false;
    for (size_t k = ls; k < pos; k++) {
        if (code[k] != '%' || (k > ls && code[k - 1] == '%'))
            continue;
        size_t before = k;
        while (before > ls &&
               (code[before - 1] == ' ' || code[before - 1] == '\t'))
            before--;
        if (before == ls || before < k || code[before - 1] == '=' ||
            code[before - 1] == '(') {
            p = k;
            found = true;
        }
    }
    if (!found)
        return false;
    size_t first = ls;
    while (first < pos && (code[first] == ' ' || code[first] == '\t'))
        first++;
    bool at_line_start = p == first;
    bool cell = p + 1 < pos && code[p + 1] == '%';
    size_t nb = p + (cell ? 2 : 1), ne = nb;
    while (ne < pos && ident_char(code[ne]))
        ne++;
    if (ne == pos) {
        char *typed = tq_xstrndup(code + p, pos - p);
        m->prefix = typed;
        const char *const *names = cell ? tq_magic_cell_names()
                                        : tq_magic_line_names();
        for (; *names; names++)
            add3(m, cell ? "%%" : "%", *names, "", "magic");
        m->prefix = "";
        free(typed);
        *start = p;
        return true;
    }
    if (ne == nb || (ne < pos && !isspace((unsigned char)code[ne])))
        return at_line_start;
    if (magic_args_of(code + nb, ne - nb) == TQ_MAGIC_ARGS_SQL) {
        add_sql_names(ctx, m, code, pos, start);
        return true;
    }
    if (cell || magic_args_of(code + nb, ne - nb) != TQ_MAGIC_ARGS_PATH)
        return at_line_start;
    size_t tb = pos;
    while (tb > ne && !isspace((unsigned char)code[tb - 1]))
        tb--;
    char *token = tq_xstrndup(code + tb, pos - tb);
    m->prefix = token;
    add_paths(m, token);
    m->prefix = "";
    free(token);
    *start = tb;
    return true;
}

/* Inside a string literal: column names for fancy indexing and field
 * arguments. */
static void complete_string(tq_ctx_t *ctx, mset_t *m, const char *code,
                            size_t pos, const scan_t *s, size_t *start)
{
    /* a list literal of names (T[:, ['a', 'b']]) belongs to the
     * subscript around it */
    size_t k = s->nopen;
    while (k > 0 && code[s->open[k - 1]] == '[' &&
           receiver_start(code, s->open[k - 1]) == s->open[k - 1])
        k--;
    if (k == 0)
        return;
    size_t at = s->open[k - 1];
    size_t b = receiver_start(code, at);
    if (b >= at)
        return;
    size_t body = s->str_body;
    if (body < pos && code[body] == '-' && code[at] == '(')
        body++;
    char *typed = tq_xstrndup(code + body, pos - body);
    m->prefix = typed;
    recv_t r;
    if (code[at] == '[') {
        resolve(ctx, code + b, at - b, &r, NULL);
        if (r.kind == RK_QS && r.table)
            add_path(ctx, m, r.table, typed, false);
        else if (r.kind == RK_FRAME)
            add_frame_columns(m, &r);
        recv_clear(&r);
    } else if (code[at] == '(') {
        size_t dot = at;
        while (dot > b && code[dot - 1] != '.')
            dot--;
        if (dot <= b && in_list(expr_functions, code + b, at - b)) {
            /* F('fee'), Sum('fee') inside a query: the query's table */
            scan_t outer = *s;
            outer.nopen = k - 1;
            const tq_stable_t *t = enclosing_table(ctx, code, &outer);
            if (t)
                add_path(ctx, m, t, typed, false);
        } else if (dot > b && in_list(field_methods, code + dot, at - dot)) {
            resolve(ctx, code + b, dot - 1 - b, &r, NULL);
            if (r.kind == RK_QS && r.table)
                add_path(ctx, m, r.table, typed, false);
            else if (r.kind == RK_FRAME)
                add_frame_columns(m, &r);
            recv_clear(&r);
        }
    }
    m->prefix = "";
    free(typed);
    *start = body;
}

/* At a keyword position of a filter-like call: the call's table, else
 * NULL. */
static const tq_stable_t *keyword_table(tq_ctx_t *ctx, const char *code,
                                        size_t wstart, const scan_t *s)
{
    if (!s->nopen || code[s->open[s->nopen - 1]] != '(')
        return NULL;
    size_t k = wstart;
    while (k > 0 && isspace((unsigned char)code[k - 1]))
        k--;
    if (k == 0 || (code[k - 1] != '(' && code[k - 1] != ','))
        return NULL;
    size_t at = s->open[s->nopen - 1];
    size_t b = receiver_start(code, at);
    size_t dot = at;
    while (dot > b && code[dot - 1] != '.')
        dot--;
    if (dot <= b) {
        /* Q(...) inside a filter call: the outer call's table */
        if (at - b == 1 && code[b] == 'Q' && s->nopen > 1) {
            scan_t outer = *s;
            outer.nopen--;
            return enclosing_table(ctx, code, &outer);
        }
        return NULL;
    }
    if (!in_list(kw_methods, code + dot, at - dot))
        return NULL;
    recv_t r;
    resolve(ctx, code + b, dot - 1 - b, &r, NULL);
    const tq_stable_t *t = r.kind == RK_QS ? r.table : NULL;
    recv_clear(&r);
    return t;
}

/* tq_complete: see complete.h. */
void tq_complete(tq_ctx_t *ctx, const char *code, size_t cursor_pos,
                 tq_completion_t *out)
{
    memset(out, 0, sizeof *out);
    size_t pos = tq_utf8_offset(code, cursor_pos);
    mset_t m = {out, 0, ""};
    size_t start = pos;
    scan_t s;
    scan_to(code, pos, &s);
    if (complete_sql_cell(ctx, &m, code, pos, &start)) {
        /* done */
    } else if (s.comment) {
        /* nothing to offer */
    } else if (s.in_str) {
        complete_string(ctx, &m, code, pos, &s, &start);
    } else if (complete_magic(ctx, &m, code, pos, &start)) {
        /* done */
    } else {
        size_t w = pos;
        while (w > 0 && ident_char(code[w - 1]))
            w--;
        start = w;
        char *word = tq_xstrndup(code + w, pos - w);
        m.prefix = word;
        if (w > 0 && code[w - 1] == '.') {
            size_t b = receiver_start(code, w - 1);
            bool f = code[b] == 'F' && !ident_char(code[b + 1]);
            const tq_stable_t *ft = f ? enclosing_table(ctx, code, &s) : NULL;
            recv_t r;
            resolve(ctx, code + b, w - 1 - b, &r, ft);
            if (r.kind == RK_F && !r.table && w - 1 - b == 1) {
                /* F. outside a query: every table's fields */
                const tq_schema_t *sch = schema_of(ctx);
                for (size_t i = 0; sch && i < sch->ntables; i++)
                    add_fields(&m, "", &sch->tables[i], "", true);
            }
            if (r.kind == RK_VALUE && tq_kind(r.v) == TQ_NATIVE &&
                !strcmp(tq_type_name(r.v), "db"))
                add_db_names(ctx, &m, code + b, w - 1 - b);
            add_methods(ctx, &m, &r);
            recv_clear(&r);
        } else {
            const tq_stable_t *t = keyword_table(ctx, code, w, &s);
            if (t)
                add_path(ctx, &m, t, word, true);
            if (!strstr(word, "__"))
                add_names(ctx, &m);
        }
        m.prefix = "";
        free(word);
    }
    tq_ctx_reset_error(ctx);
    sort_matches(out);
    out->cursor_start = tq_utf8_count(code, start);
    out->cursor_end = cursor_pos < tq_utf8_count(code, strlen(code))
                          ? cursor_pos
                          : tq_utf8_count(code, strlen(code));
}
