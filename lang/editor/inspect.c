/*
 * This file answers inspect_request (see inspect.h). The name at the
 * cursor (a dotted path such as `User`, `users.filter`, `df.head`) is
 * resolved by lookups and attribute reads on managers, query sets and
 * frames only (no call is made), then described: a table from the schema
 * and one count(*) (detail 1: its CREATE statement from the catalogue and
 * its first rows), a catalogued method by signature and doc (complete.c's
 * catalogue), a query function by signature and doc (sql/funcs.h),
 * anything else by type and truncated repr. The same descriptions serve
 * `obj?` and help() (tq_inspect_value, for a value rather than a name),
 * and the catalogues serve dir() (tq_inspect_attributes).
 */
#include "editor/inspect.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "editor/complete.h"
#include "vm/eval.h"
#include "frame/frame.h"
#include "vm/interp.h"
#include "orm/queryset.h"
#include "sql/funcs.h"
#include "base/util.h"
#include "sql/dialect.h"


#define REPR_SHORT 200
#define REPR_LONG 2000
#define FIRST_ROWS 5

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Appends the identifier double-quoted for SQL. */
static void add_quoted(tq_buf_t *b, const char *id)
{
    tq_buf_addc(b, '"');
    for (; *id; id++) {
        if (*id == '"')
            tq_buf_addc(b, '"');
        tq_buf_addc(b, *id);
    }
    tq_buf_addc(b, '"');
}

static void add_truncated(tq_buf_t *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        tq_buf_add(b, s);
        return;
    }
    /* cut on a UTF-8 boundary */
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    tq_buf_addn(b, s, max);
    tq_buf_printf(b, "... (%zu more bytes)", n - max);
}

/* One integer from a query over the table; -1 on error. */
static int64_t table_count(tq_ctx_t *ctx, const tq_stable_t *t)
{
    tq_buf_t sql = {0};
    tq_buf_add(&sql, "SELECT count(*) FROM ");
    add_quoted(&sql, t->schema);
    tq_buf_addc(&sql, '.');
    add_quoted(&sql, t->name);
    tqdb_conn_t *db = tq_ctx_db(ctx);
    assert(db);
    tqdb_cursor_t *cur = NULL;
    int64_t n = -1;
    if (tqdb_prepare(db, sql.s, &cur, NULL) == 0 && cur &&
        tqdb_step(cur) == TQDB_ROW)
        n = tqdb_column_int(cur, 0);
    tqdb_cursor_free(&cur);
    tq_buf_free(&sql);
    return n;
}

static void create_statement(tq_ctx_t *ctx, const tq_stable_t *t,
                             tq_buf_t *b)
{
    tqdb_conn_t *db = tq_ctx_db(ctx);
    assert(db);
    tq_buf_t sql = {0};
    tq_dialect_for(db)->table_ddl(&sql, t->schema);
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, sql.s, &cur, NULL) == 0 && cur &&
        tqdb_bind_text(cur, 1, t->name, -1) == 0 &&
        tqdb_step(cur) == TQDB_ROW && tqdb_column_text(cur, 0))
        tq_buf_printf(b, "\n\nCREATE statement:\n%s;",
                      tqdb_column_text(cur, 0));
    tqdb_cursor_free(&cur);
    tq_buf_free(&sql);
}

/* The first rows as an aligned text table. */
static void first_rows(tq_ctx_t *ctx, const tq_stable_t *t, tq_buf_t *b)
{
    tq_buf_t sql = {0};
    tq_buf_add(&sql, "SELECT * FROM ");
    add_quoted(&sql, t->schema);
    tq_buf_addc(&sql, '.');
    add_quoted(&sql, t->name);
    tq_buf_printf(&sql, " LIMIT %d", FIRST_ROWS);
    tqdb_conn_t *db = tq_ctx_db(ctx);
    assert(db);
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, sql.s, &cur, NULL) < 0 || !cur) {
        tq_buf_free(&sql);
        return;
    }
    int nc = tqdb_column_count(cur);
    char *cells[FIRST_ROWS + 1][64] = {{0}};
    if (nc > 64)
        nc = 64;
    size_t width[64] = {0};
    int nr = 0;
    for (int c = 0; c < nc; c++)
        cells[0][c] = tq_xstrdup(tqdb_column_name(cur, c));
    while (nr < FIRST_ROWS && tqdb_step(cur) == TQDB_ROW) {
        nr++;
        assert(nr <= FIRST_ROWS);
        for (int c = 0; c < nc; c++) {
            const char *v = tqdb_column_text(cur, c);
            char *s = tq_xstrdup(v ? v : "NULL");
            if (strlen(s) > 30)
                strcpy(s + 27, "...");
            for (char *p = s; *p; p++)
                if (*p == '\n' || *p == '\t')
                    *p = ' ';
            cells[nr][c] = s;
        }
    }
    for (int r = 0; r <= nr; r++)
        for (int c = 0; c < nc; c++) {
            size_t w = tq_utf8_count(cells[r][c], strlen(cells[r][c]));
            if (w > width[c])
                width[c] = w;
        }
    tq_buf_printf(b, "\n\nFirst %d row%s:\n", nr, nr == 1 ? "" : "s");
    for (int r = 0; r <= nr; r++) {
        for (int c = 0; c < nc; c++) {
            size_t w = tq_utf8_count(cells[r][c], strlen(cells[r][c]));
            tq_buf_add(b, cells[r][c]);
            if (c + 1 < nc)
                tq_buf_printf(b, "%*s", (int)(width[c] - w + 2), "");
            free(cells[r][c]);
        }
        tq_buf_addc(b, '\n');
    }
    tqdb_cursor_free(&cur);
    tq_buf_free(&sql);
}

static void describe_table(tq_ctx_t *ctx, const tq_stable_t *t, int detail,
                           tq_buf_t *b)
{
    const tq_schema_t *s = db_schema(ctx);
    tq_buf_printf(b, "Table: %s.%s  (model %s)\n",
                  tq_schema_label(s, t->schema), t->name, t->bare);
    int64_t n = table_count(ctx, t);
    if (n >= 0)
        tq_buf_printf(b, "Rows: %lld\n", (long long)n);
    tq_buf_printf(b, "Primary key: %s\n", t->pk);
    tq_buf_add(b, "Columns:\n");
    size_t w = 0;
    for (size_t i = 0; i < t->ncols; i++)
        if (strlen(t->cols[i].name) > w)
            w = strlen(t->cols[i].name);
    for (size_t i = 0; i < t->ncols; i++) {
        const tq_scol_t *c = &t->cols[i];
        tq_buf_printf(b, "  %-*s  %s", (int)w, c->name,
                      *c->decltype ? c->decltype : "(no type)");
        if (c->pk)
            tq_buf_add(b, "  PRIMARY KEY");
        if (c->notnull && !c->pk)
            tq_buf_add(b, "  NOT NULL");
        if (c->unique && !c->pk)
            tq_buf_add(b, "  UNIQUE");
        if (c->dflt)
            tq_buf_printf(b, "  DEFAULT %s", c->dflt);
        if (c->rel >= 0 && (size_t)c->rel < t->nrels && s) {
            const tq_srel_t *r = &t->rels[c->rel];
            tq_buf_printf(b, "  -> %s.%s", s->tables[r->target].bare,
                          r->target_col);
        }
        tq_buf_addc(b, '\n');
    }
    if (t->nrels && s) {
        tq_buf_add(b, "Relations:\n");
        for (size_t i = 0; i < t->nrels; i++) {
            const tq_srel_t *r = &t->rels[i];
            const tq_stable_t *to = &s->tables[r->target];
            if (r->reverse)
                tq_buf_printf(b, "  %s: %s rows whose %s = %s (reverse)\n",
                              r->name, to->bare, r->target_col, r->col);
            else
                tq_buf_printf(b, "  %s: the %s whose %s = %s%s\n", r->name,
                              to->bare, r->target_col, r->col,
                              r->nullable ? " (nullable)" : "");
        }
    }
    if (detail > 0) {
        create_statement(ctx, t, b);
        first_rows(ctx, t, b);
    }
}

static void describe_method(const tq_method_doc_t *d, const char *owner,
                            tq_buf_t *b)
{
    tq_buf_printf(b, "Signature: %s.%s\nDocstring: %s\n", owner, d->signature,
                  d->doc);
}

/* The query functions' help, from sql/funcs.h. */
static const struct {
    const char *name, *signature, *doc;
} func_docs[] = {
#define X(e, name, kind, sql, sig, doc) {name, sig, doc},
    TQ_FUNCS(X)
#undef X
};

/* A query function's builtin (not a user's value of the same name) by
 * signature and doc; false for anything else. */
static bool describe_function(tq_value_t *v, tq_buf_t *b)
{
    if (tq_kind(v) != TQ_BUILTIN || v->u.bi.self)
        return false;
    for (size_t i = 0; i < sizeof func_docs / sizeof *func_docs; i++)
        if (!strcmp(func_docs[i].name, v->u.bi.name)) {
            tq_buf_printf(b, "Signature: %s\nDocstring: %s\n",
                          func_docs[i].signature, func_docs[i].doc);
            return true;
        }
    return false;
}

static void describe_value(tq_ctx_t *ctx, const char *name, tq_value_t *v,
                           int detail, tq_buf_t *b)
{
    if (name)
        tq_buf_printf(b, "Name:  %s\n", name);
    tq_buf_printf(b, "Type:  %s\n", tq_type_name(v));
    if (tq_is_native(v, &tq_frame_type)) {
        const frame_t *f = tq_native_data(v);
        tq_buf_add(b, "Columns: ");
        for (size_t i = 0; i < f->ncols; i++)
            tq_buf_printf(b, "%s%s", i ? ", " : "", f->cols[i]);
        tq_buf_addc(b, '\n');
    }
    qdesc_t *q = qs_desc(v);
    if (q) {
        tq_buf_printf(b, "Table: %s.%s\n",
                      tq_schema_label(db_schema(ctx), q->schema), q->table);
        tq_value_t *sql = tq_getattr(ctx, v, "query");
        char *text = sql ? tq_to_str(ctx, sql) : NULL;
        tq_decref(sql);
        tq_ctx_reset_error(ctx);
        if (text)
            tq_buf_printf(b, "SQL:   %s\n", text);
        free(text);
        return;   /* its repr would run the query */
    }
    if (tq_kind(v) == TQ_FUNCTION) {
        const tq_function_t *fn = v->u.fn;
        tq_buf_printf(b, "Defined in: Cell In[%d], line %d\n", fn->unit->cell,
                      fn->def->line);
    }
    char *r = tq_repr(ctx, v);
    tq_ctx_reset_error(ctx);
    tq_buf_add(b, "Value: ");
    add_truncated(b, r ? r : "?", detail > 0 ? REPR_LONG : REPR_SHORT);
    tq_buf_addc(b, '\n');
    free(r);
}

/* Reads an attribute where that has no side effect worth fearing:
 * managers, query sets, frames, objects, db. NULL otherwise. */
static tq_value_t *safe_getattr(tq_ctx_t *ctx, tq_value_t *v,
                                const char *name)
{
    if (tq_kind(v) != TQ_NATIVE)
        return NULL;
    tq_value_t *r = tq_getattr(ctx, v, name);
    tq_ctx_reset_error(ctx);
    return r;
}

/* tq_inspect: see inspect.h. */
bool tq_inspect(tq_ctx_t *ctx, const char *code, size_t cursor_pos,
                int detail, tq_bundle_t *bundle)
{
    size_t pos = tq_utf8_offset(code, cursor_pos);
    size_t b = pos, e = pos;
    while (e > 0 && b == e && code[e - 1] == '(') /* `User.filter(|` */
        b = --e;
    while (b > 0 && (ident_char(code[b - 1]) || code[b - 1] == '.'))
        b--;
    while (code[e] && ident_char(code[e]))
        e++;
    while (b < e && code[b] == '.')
        b++;
    while (e > b && code[e - 1] == '.')
        e--;
    if (b >= e || isdigit((unsigned char)code[b]))
        return false;
    char *text = tq_xstrndup(code + b, e - b);
    char *full = tq_xstrndup(code + b, e - b);
    char *save = NULL;
    char *part = strtok_r(text, ".", &save);
    tq_value_t *v = tq_lookup(ctx, part);
    tq_ctx_reset_error(ctx);
    const char *owner = part;
    tq_buf_t out = {0};
    bool found = false;
    char *last = part;
    while (v && (part = strtok_r(NULL, ".", &save))) {
        bool qs = qs_desc(v) != NULL;
        bool fr = frame_check(v);
        const tq_method_doc_t *d =
            qs || fr ? tq_complete_method_doc(part, fr) : NULL;
        if (d && !strtok_r(NULL, ".", &save)) {
            describe_method(d, owner, &out);
            found = true;
            tq_decref(v);
            v = NULL;
            break;
        }
        if (d) {   /* a method in the middle of a path: give up */
            tq_decref(v);
            v = NULL;
            break;
        }
        tq_value_t *next = safe_getattr(ctx, v, part);
        tq_decref(v);
        v = next;
        last = part;
    }
    if (v) {
        const tq_stable_t *t = NULL;
        if (qs_is_manager(v) && tq_ctx_db(ctx)) {
            const tq_schema_t *s = db_schema(ctx);
            tq_ctx_reset_error(ctx);
            qdesc_t *q = qs_desc(v);
            if (s && !q->where && !q->nannos && !q->nfields)
                t = tq_schema_table(s, q->schema, q->table);
        }
        if (t && !strcmp(last, t->bare))
            describe_table(ctx, t, detail, &out);
        else if (!describe_function(v, &out))
            describe_value(ctx, full, v, detail, &out);
        found = true;
        tq_decref(v);
    }
    tq_ctx_reset_error(ctx);
    if (found) {
        tq_bundle_add(bundle, "text/plain", out.s, out.len);
        tq_buf_t md = {0};
        tq_buf_add(&md, "```\n");
        tq_buf_addn(&md, out.s, out.len);
        tq_buf_add(&md, "```\n");
        tq_bundle_add(bundle, "text/markdown", md.s, md.len);
        tq_buf_free(&md);
    }
    tq_buf_free(&out);
    free(text);
    free(full);
    return found;
}

/* The table of a manager without filters (`User`, `db.main.User`), or
 * NULL. */
static const tq_stable_t *manager_table(tq_ctx_t *ctx, tq_value_t *v)
{
    if (!qs_is_manager(v) || !tq_ctx_db(ctx))
        return NULL;
    const tq_schema_t *s = db_schema(ctx);
    tq_ctx_reset_error(ctx);
    qdesc_t *q = qs_desc(v);
    if (!s || q->where || q->nannos || q->nfields)
        return NULL;
    return tq_schema_table(s, q->schema, q->table);
}

/* A method bound to a query set, manager, frame or Series, by the
 * catalogue's signature and doc; false for anything else. */
static bool describe_bound_method(tq_ctx_t *ctx, tq_value_t *v, tq_buf_t *b)
{
    if (tq_kind(v) != TQ_BUILTIN || !v->u.bi.self)
        return false;
    tq_value_t *self = v->u.bi.self;
    bool qs = qs_desc(self) != NULL;
    bool fr = !qs && (frame_check(self) ||
                      tq_is_native(self, &tq_series_type));
    const tq_method_doc_t *d =
        qs || fr ? tq_complete_method_doc(v->u.bi.name, fr) : NULL;
    if (!d)
        return false;
    const tq_stable_t *t = manager_table(ctx, self);
    describe_method(d, t ? t->bare : tq_type_name(self), b);
    return true;
}

/* tq_inspect_value: see inspect.h. */
char *tq_inspect_value(tq_ctx_t *ctx, tq_value_t *v, int detail)
{
    assert(ctx && v);
    tq_buf_t out = {0};
    tq_buf_addn(&out, "", 0);
    const tq_stable_t *t = manager_table(ctx, v);
    if (t)
        describe_table(ctx, t, detail, &out);
    else if (!describe_bound_method(ctx, v, &out) &&
             !describe_function(v, &out))
        describe_value(ctx, NULL, v, detail, &out);
    tq_ctx_reset_error(ctx);
    return tq_buf_take(&out);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends `name` to names[*n] (static or owned by the value, which the
 * caller holds) when there is room. */
static void add_name(const char **names, size_t *n, size_t cap,
                     const char *name)
{
    if (*n < cap)
        names[(*n)++] = name;
}

/* tq_inspect_attributes: see inspect.h. */
tq_value_t *tq_inspect_attributes(tq_ctx_t *ctx, tq_value_t *v)
{
    assert(ctx && v);
    enum { CAP = 4096 };
    const char **names = tq_xmalloc(CAP * sizeof *names);
    size_t n = 0;
    qdesc_t *q = qs_desc(v);
    bool series = tq_is_native(v, &tq_series_type);
    if (q) {
        for (const tq_method_doc_t *d = tq_complete_qs_methods(); d->name; d++)
            add_name(names, &n, CAP, d->name);
        bool manager = qs_is_manager(v);
        if (manager)
            add_name(names, &n, CAP, "objects");
        db_state_t *st = tq_ctx_db(ctx) ? db_state(ctx) : NULL;
        for (size_t i = 0; st && i < st->nmethods; i++)
            if (!strcmp(st->methods[i].table, q->table) &&
                !strcmp(st->methods[i].schema, q->schema) &&
                (manager || !st->methods[i].manager))
                add_name(names, &n, CAP, st->methods[i].name);
    } else if (frame_check(v) || series) {
        for (const tq_method_doc_t *d = tq_complete_frame_methods(); d->name;
             d++)
            if (d->where == 0 || d->where == (series ? 2 : 1))
                add_name(names, &n, CAP, d->name);
        if (!series) {
            const frame_t *f = tq_native_data(v);
            for (size_t i = 0; i < f->ncols; i++)
                add_name(names, &n, CAP, f->cols[i]);
        }
    } else if (tq_is_native(v, &tq_object_type)) {
        const char *sch, *tab;
        char *const *cols;
        tq_value_t *const *vals;
        const bool *given;
        size_t nc = obj_columns(v, &sch, &tab, &cols, &vals, &given);
        for (size_t i = 0; i < nc; i++)
            add_name(names, &n, CAP, cols[i]);
        const tq_schema_t *s = tq_ctx_db(ctx) ? db_schema(ctx) : NULL;
        const tq_stable_t *t = s ? tq_schema_table(s, sch, tab) : NULL;
        for (size_t i = 0; t && i < t->nrels; i++)
            add_name(names, &n, CAP, t->rels[i].name);
        static const char *const object_methods[] = {
            "delete", "pk", "refresh_from_db", "save", NULL};
        for (const char *const *m = object_methods; *m; m++)
            add_name(names, &n, CAP, *m);
    } else {
        const char *const *m = tq_method_names(tq_kind(v));
        for (; m && *m; m++)
            add_name(names, &n, CAP, *m);
    }
    tq_ctx_reset_error(ctx);
    qsort(names, n, sizeof *names, cmp_names);
    tq_value_t *list = tq_list_new(n);
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(names[i], names[i - 1]))
            continue;
        tq_value_t *s = tq_str(names[i]);
        tq_list_append(list, s);
        tq_decref(s);
    }
    free(names);
    return list;
}
