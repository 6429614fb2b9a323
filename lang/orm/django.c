/*
 * This file is the session's side of a Django project: %django PATH (and
 * $TABULA_DJANGO, which `tabula-kernel --django PATH` sets) reads the
 * project's models once and keeps it in the database layer's session
 * state, every schema load lays it over the schema (tq_django_apply), and
 * delete() runs as Django's collector does (tq_django_delete).
 *
 * The collector works on primary keys, as Django's does: it reads the
 * keys of the rows to delete, then for every foreign key pointing at
 * them applies its on_delete (CASCADE collects the referencing rows in
 * turn, PROTECT and RESTRICT refuse, SET_NULL and SET_DEFAULT update),
 * and only when everything is collected writes: the updates first, then
 * the deletions, the last collected first. Every statement runs in the
 * cell's transaction, so an error undoes them all.
 */
#include "orm/django.h"

#include <ctype.h>
#include <stdlib.h>
#include <strings.h>

#include "orm/queryset.h"
#include "sql/dialect.h"

/* ---- the project */

/* tq_django_apply: see django.h. */
void tq_django_apply(tq_ctx_t *ctx, tq_schema_t *s)
{
    db_state_t *st = db_state(ctx);
    if (!st->django && !st->django_env_tried) {
        st->django_env_tried = true;
        const char *env = getenv("TABULA_DJANGO");
        if (env && *env) {
            char *err = NULL;
            st->django = tq_django_read(env, &err);
            if (!st->django)
                fprintf(stderr, "tabula: TABULA_DJANGO: %s\n", err);
            free(err);
        }
    }
    if (!st->django)
        return;
    char **notes = NULL;
    size_t n = 0;
    tq_schema_apply_django(s, st->django, &notes, &n);
    for (size_t i = 0; i < n; i++)
        free(notes[i]);
    free(notes);
}

/* tq_django_magic: see django.h. */
tq_value_t *tq_django_magic(tq_ctx_t *ctx, const char *args,
                            const char *body)
{
    (void)body;
    char *path = tq_xstrdup(args);
    size_t n = strlen(path);
    while (n && (path[n - 1] == ' ' || path[n - 1] == '\t' ||
                 path[n - 1] == '/'))
        path[--n] = 0;
    char *p = path;
    while (*p == ' ' || *p == '\t')
        p++;
    if ((*p == '\'' || *p == '"') && n > 1 && path[n - 1] == *p) {
        path[n - 1] = 0;
        p++;
    }
    if (!*p) {
        free(path);
        return tq_raise(ctx, "ValueError", "usage: %%django PATH");
    }
    char *err = NULL;
    tq_djproject_t *proj = tq_django_read(p, &err);
    free(path);
    if (!proj) {
        tq_value_t *r = tq_raise(ctx, "FileNotFoundError", "%%django: %s",
                                 err);
        free(err);
        return r;
    }
    db_state_t *st = db_state(ctx);
    tq_djproject_free(&st->django);
    st->django = proj;
    st->django_env_tried = true;
    if (!tq_ctx_db(ctx))
        return tq_raise(ctx, "DatabaseError", "no database is connected");
    if (tq_schema_refresh(ctx) < 0)
        return NULL;
    /* what the schema could not match, from a second application */
    tq_schema_t *copy = NULL;
    char *lerr = NULL;
    copy = tq_schema_load(tq_ctx_db(ctx), &lerr);
    free(lerr);
    char **notes = NULL;
    size_t nn = 0;
    if (copy)
        tq_schema_apply_django(copy, proj, &notes, &nn);
    tq_schema_free(&copy);

    tq_buf_t b = {0};
    size_t concrete = 0, abstract = 0, proxies = 0;
    for (size_t i = 0; i < proj->nmodels; i++) {
        if (proj->models[i].abstract)
            abstract++;
        else if (proj->models[i].proxy)
            proxies++;
        else
            concrete++;
    }
    tq_buf_printf(&b, "Django project %s: %zu app%s (", proj->root,
                  proj->napps, proj->napps == 1 ? "" : "s");
    for (size_t i = 0; i < proj->napps; i++)
        tq_buf_printf(&b, "%s%s", i ? ", " : "", proj->apps[i]);
    tq_buf_printf(&b, "), %zu model%s", concrete, concrete == 1 ? "" : "s");
    if (proxies)
        tq_buf_printf(&b, "%s%zu prox%s", abstract ? ", " : " and ", proxies,
                      proxies == 1 ? "y" : "ies");
    if (abstract)
        tq_buf_printf(&b, " and %zu abstract", abstract);
    tq_buf_add(&b, "\n");
    for (size_t i = 0; i < proj->nnotes; i++)
        tq_buf_printf(&b, "note: %s\n", proj->notes[i]);
    for (size_t i = 0; i < nn; i++) {
        tq_buf_printf(&b, "note: %s\n", notes[i]);
        free(notes[i]);
    }
    free(notes);
    tq_ctx_print(ctx, b.s, b.len);
    tq_buf_free(&b);
    return tq_none();
}

/* ---- proxy models */

/* The name proxy model m is bound under (malloc'd), or NULL when a
 * table's model already holds it. */
static char *proxy_bound(const tq_schema_t *s, const tq_djproject_t *p,
                         const tq_djmodel_t *m)
{
    size_t same = 0;
    for (size_t i = 0; i < p->nmodels; i++)
        same += !p->models[i].abstract && !strcmp(p->models[i].name, m->name);
    char *name;
    if (same > 1) {
        char *app = tq_schema_camel(m->app);
        name = tq_xasprintf("%s%s", app, m->name);
        free(app);
    } else {
        name = tq_xstrdup(m->name);
    }
    if (tq_schema_by_bare(s, name)) {
        free(name);
        return NULL;
    }
    return name;
}

/* Meta.ordering as written ("['-pub_date', 'headline']") as the
 * compiler's "-pub_date,headline"; NULL when it is empty or holds
 * anything but field names (djschema.c notes those for concrete
 * models). malloc'd. */
static char *ordering_names(const char *text)
{
    tq_buf_t b = {0};
    for (const char *s = text; s && *s;) {
        if (strchr("[](), \t\r\n", *s)) {
            s++;
            continue;
        }
        const char *end = (*s == '\'' || *s == '"') ? strchr(s + 1, *s)
                                                    : NULL;
        bool ok = end && end > s + 1;
        for (const char *c = s + 1; ok && c < end; c++)
            ok = isalnum((unsigned char)*c) || strchr("_-?", *c);
        if (!ok) {
            tq_buf_free(&b);
            return NULL;
        }
        if (b.len)
            tq_buf_addc(&b, ',');
        tq_buf_addn(&b, s + 1, (size_t)(end - s - 1));
        s = end + 1;
    }
    return b.len ? tq_buf_take(&b) : (tq_buf_free(&b), NULL);
}

/* tq_django_proxy: see django.h. */
tq_value_t *tq_django_proxy(tq_ctx_t *ctx, const char *name)
{
    db_state_t *st = db_state(ctx);
    if (!st->django || !st->schema)
        return NULL;
    const tq_djproject_t *p = st->django;
    for (size_t i = 0; i < p->nmodels; i++) {
        const tq_djmodel_t *m = &p->models[i];
        if (!m->proxy || m->abstract || !m->table)
            continue;
        char *bound = proxy_bound(st->schema, p, m);
        bool hit = bound && !strcmp(bound, name);
        free(bound);
        if (!hit)
            continue;
        const tq_stable_t *t = tq_schema_table(st->schema, NULL, m->table);
        if (!t)
            return NULL;
        qdesc_t *q = qdesc_new(t->schema, t->name);
        q->proxy = tq_xasprintf("%s.%s", m->app, m->name);
        q->proxy_ordering = ordering_names(m->ordering);
        return qs_new(q, true);
    }
    return NULL;
}

/* tq_django_proxy_names: see django.h. */
void tq_django_proxy_names(tq_ctx_t *ctx, tq_value_t *list)
{
    db_state_t *st = db_state(ctx);
    if (!st->django || !st->schema)
        return;
    const tq_djproject_t *p = st->django;
    for (size_t i = 0; i < p->nmodels; i++) {
        const tq_djmodel_t *m = &p->models[i];
        char *bound = m->proxy && !m->abstract && m->table &&
                              tq_schema_table(st->schema, NULL, m->table)
                          ? proxy_bound(st->schema, p, m)
                          : NULL;
        if (bound) {
            tq_value_t *v = tq_str(bound);
            tq_list_append(list, v);
            tq_decref(v);
        }
        free(bound);
    }
}

/* ---- choices */

/* Parses a Python literal of choices at *s: strings, numbers, True,
 * False, None, lists and tuples, and NAME("text") calls (gettext's _())
 * as their one argument. A new reference, or NULL when the text is not
 * such a literal (a name, an enum's .choices). */
static tq_value_t *lit_parse(const char **s, int depth)
{
    const char *p = *s;
    while (isspace((unsigned char)*p))
        p++;
    tq_value_t *v = NULL;
    if (depth > 32)
        return NULL;
    if (*p == '[' || *p == '(') {
        char close = *p == '[' ? ']' : ')';
        bool tuple = *p == '(';
        p++;
        tq_value_t *items = tq_list_new(0);
        size_t n = 0;
        bool comma = false;
        for (;;) {
            while (isspace((unsigned char)*p) || *p == ',') {
                comma |= *p == ',';
                p++;
            }
            if (*p == close) {
                p++;
                break;
            }
            tq_value_t *item = lit_parse(&p, depth + 1);
            if (!item) {
                tq_decref(items);
                return NULL;
            }
            tq_list_append(items, item);
            tq_decref(item);
            n++;
        }
        if (tuple && n == 1 && !comma) {       /* (x): x itself */
            v = tq_incref(tq_seq_get(items, 0));
        } else if (tuple) {
            v = tq_tuple_new(n);
            for (size_t i = 0; i < n; i++)
                tq_tuple_set(v, i, tq_incref(tq_seq_get(items, i)));
        } else {
            v = tq_incref(items);
        }
        tq_decref(items);
    } else if (*p == '\'' || *p == '"') {
        char q = *p++;
        tq_buf_t b = {0};
        while (*p && *p != q) {
            if (*p == '\\' && p[1])
                p++;
            tq_buf_addc(&b, *p++);
        }
        if (*p != q) {
            tq_buf_free(&b);
            return NULL;
        }
        p++;
        v = tq_str_n(b.s ? b.s : "", b.len);
        tq_buf_free(&b);
    } else if (isdigit((unsigned char)*p) || *p == '-') {
        char *end;
        long long i = strtoll(p, &end, 10);
        if (*end == '.' || *end == 'e' || *end == 'E') {
            v = tq_float(strtod(p, &end));
        } else {
            v = tq_int(i);
        }
        if (end == p)
            return NULL;
        p = end;
    } else if (isalpha((unsigned char)*p) || *p == '_') {
        const char *w = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        size_t len = (size_t)(p - w);
        if (len == 4 && !strncmp(w, "True", 4))
            v = tq_bool(true);
        else if (len == 5 && !strncmp(w, "False", 5))
            v = tq_bool(false);
        else if (len == 4 && !strncmp(w, "None", 4))
            v = tq_none();
        else if (*p == '(') {
            p++;
            v = lit_parse(&p, depth + 1);
            while (v && isspace((unsigned char)*p))
                p++;
            if (!v || *p != ')') {
                if (v)
                    tq_decref(v);
                return NULL;
            }
            p++;
        } else {
            return NULL;
        }
    } else {
        return NULL;
    }
    *s = p;
    return v;
}

/* The label of `value` among choices `ch` (pairs, or groups of pairs),
 * borrowed, or NULL. */
static tq_value_t *choice_label(tq_ctx_t *ctx, tq_value_t *ch,
                                tq_value_t *value, int depth)
{
    if (tq_kind(ch) != TQ_LIST && tq_kind(ch) != TQ_TUPLE)
        return NULL;
    for (size_t i = 0; i < tq_seq_len(ch); i++) {
        tq_value_t *pair = tq_seq_get(ch, i);
        if ((tq_kind(pair) != TQ_LIST && tq_kind(pair) != TQ_TUPLE) ||
            tq_seq_len(pair) != 2)
            continue;
        tq_value_t *key = tq_seq_get(pair, 0), *lab = tq_seq_get(pair, 1);
        if ((tq_kind(lab) == TQ_LIST || tq_kind(lab) == TQ_TUPLE) &&
            depth == 0) {
            tq_value_t *r = choice_label(ctx, lab, value, 1);
            if (r)
                return r;
            continue;
        }
        if (tq_equal(ctx, key, value) == 1)
            return lab;
    }
    return NULL;
}

/* tq_django_display: see django.h. */
tq_value_t *tq_django_display(tq_ctx_t *ctx, const char *label,
                              const char *field, tq_value_t *value)
{
    db_state_t *st = db_state(ctx);
    const tq_djmodel_t *m = st->django && label
                                ? tq_djproject_model(st->django, label)
                                : NULL;
    const tq_djfield_t *f = NULL;
    for (size_t i = 0; m && i < m->nfields; i++)
        if (!strcmp(m->fields[i].name, field))
            f = &m->fields[i];
    if (!f || !f->choices)
        return NULL;
    const char *text = f->choices;
    tq_value_t *ch = lit_parse(&text, 0);
    if (!ch)
        return NULL;
    tq_value_t *lab = choice_label(ctx, ch, value, 0);
    tq_value_t *r = NULL;
    if (lab) {
        char *s = tq_to_str(ctx, lab);
        r = s ? tq_str_take(s) : NULL;
    } else {
        char *s = tq_to_str(ctx, value);
        r = s ? tq_str_take(s) : NULL;
    }
    tq_decref(ch);
    return r;
}

/* ---- the collector */

typedef struct batch {
    size_t table;
    qlit_t *pks;
    size_t n;
} batch_t;

typedef struct update {
    size_t table;
    const tq_srel_t *rel;
    qlit_t *keys;          /* the referenced keys */
    size_t n;
} update_t;

typedef struct collector {
    tq_ctx_t *ctx;
    const tq_schema_t *s;
    batch_t *batches;
    size_t nb, bcap;
    update_t *updates;
    size_t nu, ucap;
    batch_t *restricted;   /* RESTRICT: rows that must be collected too */
    const tq_srel_t **rrels;
    size_t nr, rcap, nrr, rrcap;
    int depth;
    const char *proxy;     /* a proxy model's label for the first batch */
} collector_t;

static void lits_free(qlit_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        qlit_clear(&v[i]);
    free(v);
}

static bool lit_eq(const qlit_t *a, const qlit_t *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case TQDB_INT:
        return a->i == b->i;
    case TQDB_FLOAT:
        return a->d == b->d;
    case TQDB_TEXT:
    case TQDB_BLOB:
        return a->n == b->n && !memcmp(a->s, b->s, a->n);
    default:
        return false;
    }
}

/* A LIST expression of copies of the keys. */
static qexpr_t *key_list(const qlit_t *keys, size_t n)
{
    qexpr_t *l = qx_new(QX_LIST);
    for (size_t i = 0; i < n; i++)
        qx_push(l, qx_lit(qlit_copy(&keys[i])));
    return l;
}

/* The values of column `col` of table t's rows where `where` holds
 * (stolen): 0, or -1 with an error raised. */
static int fetch_col(collector_t *c, const tq_stable_t *t, const char *col,
                     qexpr_t *where, qlit_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    qdesc_t *q = qdesc_new(t->schema, t->name);
    q->where = where;
    q->mode = QM_FLAT;
    q->order_set = true;
    qdesc_add_field(&q->fields, &q->nfields, col, qx_path(col));
    qsql_t sql;
    qerr_t e = {0};
    int rc = tq_compile_select(tq_dialect_for(tq_ctx_db(c->ctx)), c->s, q,
                               &sql, &e);
    qdesc_unref(q);
    if (rc < 0) {
        db_raise(c->ctx, &e);
        return -1;
    }
    tqdb_cursor_t *cur = db_prepare_cursor(c->ctx, &sql);
    qsql_clear(&sql);
    if (!cur)
        return -1;
    size_t cap = 0;
    while ((rc = tqdb_step(cur)) == TQDB_ROW) {
        tqdb_datum_t d = tqdb_column(cur, 0);
        qlit_t l = qlit_null();
        if (d.type == TQDB_INT)
            l = qlit_int(d.i);
        else if (d.type == TQDB_FLOAT)
            l = qlit_float(d.f);
        else if (d.type == TQDB_TEXT || d.type == TQDB_BLOB) {
            l.type = d.type;
            l.s = tq_xstrndup(d.s, d.len);
            l.n = d.len;
        }
        TQ_PUSH(*out, *n, cap, l);
    }
    if (rc < 0) {
        tq_raise_db(c->ctx);
        tqdb_cursor_free(&cur);
        lits_free(*out, *n);
        *out = NULL;
        *n = 0;
        return -1;
    }
    tqdb_cursor_free(&cur);
    return 0;
}

/* Keys of `keys` not yet collected for table ti (keys stolen). */
static size_t only_new(collector_t *c, size_t ti, qlit_t *keys, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t b = 0; b < c->nb && !seen; b++)
            if (c->batches[b].table == ti)
                for (size_t j = 0; j < c->batches[b].n && !seen; j++)
                    seen = lit_eq(&c->batches[b].pks[j], &keys[i]);
        if (seen)
            qlit_clear(&keys[i]);
        else
            keys[k++] = keys[i];
    }
    return k;
}

static const char *class_name(const tq_stable_t *t)
{
    const char *dot = t->dj_label ? strchr(t->dj_label, '.') : NULL;
    return dot ? dot + 1 : t->bare;
}

/* The multi-table-inheritance link of t (its primary key `<parent>_ptr`
 * referencing the parent), or NULL. */
static const tq_srel_t *parent_ptr(const tq_stable_t *t)
{
    for (size_t r = 0; r < t->nrels; r++) {
        const tq_srel_t *rel = &t->rels[r];
        size_t len = strlen(rel->col);
        if (!rel->reverse && !strcasecmp(rel->col, t->pk) && len >= 8 &&
            !strcmp(rel->col + len - 7, "_ptr_id"))
            return rel;
    }
    return NULL;
}

static int collect(collector_t *c, size_t ti, qlit_t *keys, size_t n,
                   bool related);

/* Applies every on_delete of the relations pointing at table ti's rows
 * with primary keys `keys` (borrowed). */
static int collect_related(collector_t *c, size_t ti, const qlit_t *keys,
                           size_t n)
{
    const tq_stable_t *t = &c->s->tables[ti];
    tq_buf_t protected = {0};
    /* the table and its multi-table parents, whose keys are the same */
    size_t up[16], nup = 0;
    for (size_t cur = ti; nup < 16;) {
        up[nup++] = cur;
        const tq_srel_t *ptr = parent_ptr(&c->s->tables[cur]);
        if (!ptr)
            break;
        cur = ptr->target;
    }
    for (size_t u = 0; u < nup; u++)
    for (size_t ci = 0; ci < c->s->ntables; ci++) {
        const tq_stable_t *ct = &c->s->tables[ci];
        const tq_stable_t *pt = &c->s->tables[up[u]];
        for (size_t r = 0; r < ct->nrels; r++) {
            const tq_srel_t *rel = &ct->rels[r];
            if (rel->reverse || rel->target != up[u] ||
                strcasecmp(rel->target_col, pt->pk) ||
                rel->on_delete == TQ_OD_UNKNOWN ||
                rel->on_delete == TQ_OD_DO_NOTHING)
                continue;
            char *path = tq_xasprintf("%s__in", rel->col);
            qexpr_t *where = qx_kw(path, key_list(keys, n));
            free(path);
            if (rel->on_delete == TQ_OD_SET_NULL ||
                rel->on_delete == TQ_OD_SET_DEFAULT) {
                qlit_t *sub;
                size_t ns;
                if (fetch_col(c, ct, ct->pk, where, &sub, &ns) < 0)
                    return -1;
                lits_free(sub, ns);
                if (ns) {
                    update_t u = {ci, rel, NULL, n};
                    u.keys = tq_xcalloc(n ? n : 1, sizeof *u.keys);
                    for (size_t i = 0; i < n; i++)
                        u.keys[i] = qlit_copy(&keys[i]);
                    TQ_PUSH(c->updates, c->nu, c->ucap, u);
                }
                continue;
            }
            qlit_t *sub;
            size_t ns;
            if (fetch_col(c, ct, ct->pk, where, &sub, &ns) < 0)
                return -1;
            if (!ns) {
                free(sub);
                continue;
            }
            if (rel->on_delete == TQ_OD_PROTECT) {
                tq_buf_printf(&protected, "%s'%s.%s'",
                              protected.len ? ", " : "", class_name(ct),
                              rel->name);
                lits_free(sub, ns);
            } else if (rel->on_delete == TQ_OD_RESTRICT) {
                batch_t b = {ci, sub, ns};
                TQ_PUSH(c->restricted, c->nr, c->rcap, b);
                TQ_PUSH(c->rrels, c->nrr, c->rrcap, rel);
            } else if (collect(c, ci, sub, ns, true) < 0) {
                tq_buf_free(&protected);
                return -1;
            }
        }
    }
    if (protected.len) {
        tq_raise(c->ctx, "ProtectedError",
                 "Cannot delete some instances of model '%s' because they "
                 "are referenced through protected foreign keys: %s.",
                 class_name(t), protected.s);
        tq_buf_free(&protected);
        return -1;
    }
    return 0;
}

/* Collects table ti's rows with primary keys `keys` (stolen), their
 * multi-table parents, and with `related` what references them. */
static int collect(collector_t *c, size_t ti, qlit_t *keys, size_t n,
                   bool related)
{
    if (++c->depth > 200) {
        lits_free(keys, n);
        tq_raise(c->ctx, "RecursionError",
                 "delete(): the cascade is more than 200 levels deep");
        return -1;
    }
    n = only_new(c, ti, keys, n);
    if (!n) {
        free(keys);
        c->depth--;
        return 0;
    }
    batch_t b = {ti, keys, n};
    TQ_PUSH(c->batches, c->nb, c->bcap, b);
    const tq_stable_t *t = &c->s->tables[ti];
    size_t self = c->nb - 1;
    int rc = related ? collect_related(c, ti, c->batches[self].pks,
                                       c->batches[self].n)
                     : 0;
    /* a multi-table child takes its parent rows along (their own
     * relations are not collected, as Django's keep_parents=False) */
    const tq_srel_t *rel = parent_ptr(t);
    if (rc == 0 && rel) {
        qlit_t *pk = tq_xcalloc(c->batches[self].n, sizeof *pk);
        for (size_t i = 0; i < c->batches[self].n; i++)
            pk[i] = qlit_copy(&c->batches[self].pks[i]);
        rc = collect(c, rel->target, pk, c->batches[self].n, false);
    }
    c->depth--;
    return rc;
}

/* RESTRICT refuses unless the restricting rows are collected as well. */
static int check_restricted(collector_t *c, const tq_stable_t *root)
{
    tq_buf_t names = {0};
    for (size_t i = 0; i < c->nr; i++) {
        batch_t *b = &c->restricted[i];
        size_t left = only_new(c, b->table, b->pks, b->n);
        b->n = left;
        if (left) {
            const tq_stable_t *ct = &c->s->tables[b->table];
            tq_buf_printf(&names, "%s'%s.%s'", names.len ? ", " : "",
                          class_name(ct), c->rrels[i]->name);
        }
    }
    if (!names.len)
        return 0;
    tq_raise(c->ctx, "RestrictedError",
             "Cannot delete some instances of model '%s' because they are "
             "referenced through restricted foreign keys: %s.",
             class_name(root), names.s);
    tq_buf_free(&names);
    return -1;
}

/* The value SET_DEFAULT writes: the field's default when it is a number
 * or a string literal, else NULL. */
static qlit_t default_lit(const tq_srel_t *rel)
{
    const char *d = rel->dflt;
    if (!d)
        return qlit_null();
    char *end;
    long long v = strtoll(d, &end, 10);
    if (end != d && !*end)
        return qlit_int(v);
    size_t n = strlen(d);
    if (n >= 2 && (d[0] == '\'' || d[0] == '"') && d[n - 1] == d[0]) {
        char *s = tq_xstrndup(d + 1, n - 2);
        qlit_t l = qlit_text(s);
        free(s);
        return l;
    }
    return qlit_null();
}

/* Writes what was collected; adds the counts to `counts`. */
static int64_t run(collector_t *c, tq_value_t *counts)
{
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(c->ctx));
    for (size_t i = 0; i < c->nu; i++) {
        const update_t *u = &c->updates[i];
        const tq_stable_t *t = &c->s->tables[u->table];
        qdesc_t *q = qdesc_new(t->schema, t->name);
        char *path = tq_xasprintf("%s__in", u->rel->col);
        q->where = qx_kw(path, key_list(u->keys, u->n));
        free(path);
        qfield_t set = {.name = u->rel->col,
                        .expr = qx_lit(u->rel->on_delete == TQ_OD_SET_DEFAULT
                                           ? default_lit(u->rel)
                                           : qlit_null())};
        int64_t n = qs_update(c->ctx, q, &set, 1);
        qx_unref(set.expr);
        qdesc_unref(q);
        if (n < 0)
            return -1;
    }
    int64_t total = 0;
    for (size_t i = c->nb; i-- > 0;) {
        const batch_t *b = &c->batches[i];
        const tq_stable_t *t = &c->s->tables[b->table];
        qdesc_t *q = qdesc_new(t->schema, t->name);
        q->where = qx_kw("pk__in", key_list(b->pks, b->n));
        qsql_t s;
        qerr_t e = {0};
        int rc = tq_compile_delete(d, c->s, q, &s, &e);
        qdesc_unref(q);
        if (rc < 0) {
            db_raise(c->ctx, &e);
            return -1;
        }
        int64_t n = db_exec_write(c->ctx, &s);
        qsql_clear(&s);
        if (n < 0)
            return -1;
        if (!n)
            continue;
        const char *label = i == 0 && c->proxy ? c->proxy
                            : t->dj_label ? t->dj_label : t->bare;
        tq_value_t *old = tq_dict_get_str(counts, label);
        int64_t before = old && tq_kind(old) == TQ_INT ? tq_as_int(old) : 0;
        tq_value_t *nv = tq_int(before + n);
        tq_dict_set_str(counts, label, nv);
        tq_decref(nv);
        total += n;
    }
    return total;
}

static void collector_clear(collector_t *c)
{
    for (size_t i = 0; i < c->nb; i++)
        lits_free(c->batches[i].pks, c->batches[i].n);
    for (size_t i = 0; i < c->nu; i++)
        lits_free(c->updates[i].keys, c->updates[i].n);
    for (size_t i = 0; i < c->nr; i++)
        lits_free(c->restricted[i].pks, c->restricted[i].n);
    free(c->batches);
    free(c->updates);
    free(c->restricted);
    free(c->rrels);
}

/* True when a Django rule decides what deleting t's rows does. */
static bool django_rules(const tq_schema_t *s, const tq_stable_t *t)
{
    if (t->dj_model)
        return true;
    size_t ti = tq_schema_index(s, t);
    for (size_t i = 0; i < s->ntables; i++)
        for (size_t r = 0; r < s->tables[i].nrels; r++) {
            const tq_srel_t *rel = &s->tables[i].rels[r];
            if (!rel->reverse && rel->target == ti &&
                rel->on_delete != TQ_OD_UNKNOWN)
                return true;
        }
    return false;
}

/* tq_django_delete: see django.h. */
int tq_django_delete(tq_ctx_t *ctx, const qdesc_t *q, tq_value_t **result)
{
    *result = NULL;
    const tq_schema_t *s = db_schema(ctx);
    if (!s)
        return -1;
    const tq_stable_t *t = tq_schema_table(s, q->schema, q->table);
    if (!t || !django_rules(s, t))
        return 0;
    collector_t c = {0};
    c.ctx = ctx;
    c.s = s;
    c.proxy = q->proxy;
    qexpr_t *sub = qx_new(QX_SUBQ);
    sub->sub = qdesc_clone(q);
    sub->sub->mode = QM_MODEL;
    qlit_t *keys;
    size_t n;
    if (fetch_col(&c, t, t->pk, qx_kw("pk__in", sub), &keys, &n) < 0)
        return -1;
    tq_value_t *counts = tq_dict_new();
    int64_t total = -1;
    if (collect(&c, tq_schema_index(s, t), keys, n, true) == 0 &&
        check_restricted(&c, t) == 0)
        total = run(&c, counts);
    collector_clear(&c);
    if (total < 0) {
        tq_decref(counts);
        return -1;
    }
    tq_value_t *tuple = tq_tuple_new(2);
    tq_tuple_set(tuple, 0, tq_int(total));
    tq_tuple_set(tuple, 1, counts);
    *result = tuple;
    return 1;
}
