/*
 * This file reads the database's schema into a tq_schema_t. The attached
 * schemas, their tables, columns, single-column foreign keys and
 * single-column unique indexes come from the engine's catalogue
 * (tqdb_catalog_read in db.h), read in one call; Django's app labels come
 * from one query per schema that has django_migrations. It then derives
 * what the language binds: bare CamelCase names (Django app labels
 * stripped when the database has django_migrations, attached tables
 * prefixed only on a clash), the primary key (single-column pk, else
 * rowid), the label column of object reprs, and forward and reverse
 * relations named as Django names them. It knows the database only through
 * db.h; the interpreter-facing side (tq_schema_refresh, the `db` object)
 * is dbobject.c.
 */
#include "db/schema.h"

#include <assert.h>
#include <ctype.h>
#include <strings.h>

#include "base/util.h"

/* Columns whose text labels an object (the first of them in the table). */
static const char *const label_names[] = {"name", "title", "label",
                                          "username", "email"};

/* tq_schema_camel: see schema.h. */
char *tq_schema_camel(const char *name)
{
    tq_buf_t b = {0};
    bool up = true;
    for (const char *p = name; *p; p++) {
        if (*p == '_' || *p == ' ' || *p == '-') {
            up = true;
            continue;
        }
        tq_buf_addc(&b, up ? (char)toupper((unsigned char)*p) : *p);
        up = false;
    }
    if (!b.len)
        tq_buf_add(&b, name);
    return tq_buf_take(&b);
}

static char *lower_dup(const char *s)
{
    char *r = tq_xstrdup(s);
    for (char *p = r; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return r;
}

static bool type_is_text(const char *t)
{
    char *l = lower_dup(t ? t : "");
    bool r = strstr(l, "char") || strstr(l, "clob") || strstr(l, "text");
    free(l);
    return r;
}

/* Finds a table of schema `sch` named `name` (case-insensitive). */
static tq_stable_t *find_in(tq_schema_t *s, const char *sch, const char *name)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (!strcasecmp(s->tables[i].schema, sch) &&
            !strcasecmp(s->tables[i].name, name))
            return &s->tables[i];
    return NULL;
}

/* Copies the catalogue's tables (views excepted) with their columns and
 * single-column unique indexes, in the catalogue's order. */
static void load_tables(tq_schema_t *s, const tqdb_catalog_t *cat)
{
    size_t tcap = 0;
    for (size_t i = 0; i < cat->ntables; i++) {
        const tqdb_table_info_t *ti = &cat->tables[i];
        if (ti->schema && !strcmp(ti->schema, "temp")) {
            s->temp_names = tq_xrealloc(s->temp_names, (s->ntemp + 1) *
                                        sizeof *s->temp_names);
            s->temp_names[s->ntemp++] = tq_xstrdup(ti->name);
            continue;
        }
        if (ti->view)
            continue;
        assert(ti->schema && ti->name);
        tq_stable_t t = {0};
        t.schema = tq_xstrdup(ti->schema);
        t.name = tq_xstrdup(ti->name);
        t.rowid_pk = !ti->without_rowid;
        size_t ccap = 0;
        for (size_t c = 0; c < ti->ncols; c++) {
            const tqdb_column_info_t *ci = &ti->cols[c];
            tq_scol_t col = {0};
            col.name = tq_xstrdup(ci->name);
            col.decltype = tq_xstrdup(ci->decltype ? ci->decltype : "");
            col.notnull = ci->notnull;
            if (ci->dflt)
                col.dflt = tq_xstrdup(ci->dflt);
            col.pk = ci->pk != 0;
            col.text = type_is_text(col.decltype);
            col.rel = -1;
            TQ_PUSH(t.cols, t.ncols, ccap, col);
        }
        for (size_t u = 0; u < ti->nunique; u++) {
            int ci = tq_stable_col(&t, ti->unique[u]);
            if (ci >= 0)
                t.cols[ci].unique = true;
        }
        TQ_PUSH(s->tables, s->ntables, tcap, t);
    }
}

typedef struct fk {
    size_t from, to;    /* table indexes */
    char *col, *to_col;
} fk_t;

/* Collects the single-column foreign keys between tables of one schema,
 * in (schema, table, column) order. */
static void load_fks(tq_schema_t *s, const tqdb_catalog_t *cat, fk_t **fks,
                     size_t *nfk)
{
    size_t fkcap = 0;
    for (size_t i = 0; i < cat->ntables; i++) {
        const tqdb_table_info_t *ti = &cat->tables[i];
        tq_stable_t *from = find_in(s, ti->schema, ti->name);
        if (!from || ti->view)
            continue;
        for (size_t k = 0; k < ti->nfks; k++) {
            const tqdb_fk_info_t *fi = &ti->fks[k];
            tq_stable_t *to = find_in(s, ti->schema, fi->to_table);
            if (!to || tq_stable_col(from, fi->from) < 0)
                continue;
            fk_t f;
            f.from = (size_t)(from - s->tables);
            f.to = (size_t)(to - s->tables);
            f.col = tq_xstrdup(fi->from);
            f.to_col = fi->to ? tq_xstrdup(fi->to) : NULL;
            TQ_PUSH(*fks, *nfk, fkcap, f);
        }
    }
}

/* Reads Django's app labels of schema `sch` when it has django_migrations
 * (an error leaves the labels read so far). */
static void load_apps(tqdb_conn_t *db, tq_schema_t *s, const char *sch,
                      size_t *cap)
{
    if (!find_in(s, sch, "django_migrations"))
        return;
    tq_buf_t q = {0};
    tq_buf_add(&q, "SELECT DISTINCT app FROM ");
    tq_buf_ident(&q, sch);
    tq_buf_add(&q, ".django_migrations");
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, q.s, &cur, NULL) == 0 && cur) {
        while (tqdb_step(cur) == TQDB_ROW) {
            const char *app = tqdb_column_text(cur, 0);
            if (!app)
                app = "";
            bool seen = false;
            for (size_t i = 0; i < s->napps; i++)
                seen |= !strcmp(s->apps[i], app);
            if (!seen && *app)
                TQ_PUSH(s->apps, s->napps, *cap, tq_xstrdup(app));
        }
    }
    tqdb_cursor_free(&cur);
    tq_buf_free(&q);
}

/* The app label that prefixes `name` ("catalog" for catalog_bike), the
 * longest one, or NULL. */
static const char *app_of(const tq_schema_t *s, const char *name)
{
    const char *best = NULL;
    for (size_t i = 0; i < s->napps; i++) {
        size_t n = strlen(s->apps[i]);
        if (!strncmp(name, s->apps[i], n) && name[n] == '_' && name[n + 1] &&
            (!best || n > strlen(best)))
            best = s->apps[i];
    }
    return best;
}

/* Chooses bare names: the preferred short name when unique, main's plain
 * tables winning a clash, others falling back to their full name. */
static void name_tables(tq_schema_t *s)
{
    size_t n = s->ntables;
    char **pref = tq_xcalloc(n, sizeof *pref);
    int *prio = tq_xcalloc(n, sizeof *prio);
    for (size_t i = 0; i < n; i++) {
        tq_stable_t *t = &s->tables[i];
        const char *app = app_of(s, t->name);
        if (app) {
            t->app = tq_xstrdup(app);
            pref[i] = tq_schema_camel(t->name + strlen(app) + 1);
            prio[i] = 1;
            t->dj_label = tq_xasprintf("%s.%s", app, pref[i]);
        } else {
            pref[i] = tq_schema_camel(t->name);
            prio[i] = strcmp(t->schema, tq_schema_main(s)) ? 1 : 0;
        }
        t->model = lower_dup(pref[i]);
    }
    for (size_t i = 0; i < n; i++) {
        tq_stable_t *t = &s->tables[i];
        bool clash = false;
        for (size_t j = 0; j < n && !clash; j++)
            if (j != i && !strcmp(pref[i], pref[j]) && prio[j] <= prio[i])
                clash = true;
        if (!clash) {
            t->bare = tq_xstrdup(pref[i]);
        } else if (t->app) {
            t->bare = tq_schema_camel(t->name);
        } else {
            char *full = tq_xasprintf("%s_%s", t->schema, t->name);
            t->bare = tq_schema_camel(full);
            free(full);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(pref[i]);
    free(pref);
    free(prio);
}

static bool rel_name_taken(const tq_stable_t *t, const char *name)
{
    return tq_stable_rel(t, name) != NULL;
}

static void add_rel(tq_stable_t *t, tq_srel_t r, size_t *cap)
{
    r.via = r.onward = -1;
    TQ_PUSH(t->rels, t->nrels, *cap, r);
}

/* tq_stable_add_rel: see schema.h. Relations grow one at a time here
 * (after build_relations), so the array is reallocated to the count. */
int tq_stable_add_rel(tq_stable_t *t, tq_srel_t r)
{
    t->rels = tq_xrealloc(t->rels, (t->nrels + 1) * sizeof *t->rels);
    t->rels[t->nrels] = r;
    return (int)t->nrels++;
}

/* tq_srel_clear: see schema.h. */
void tq_srel_clear(tq_srel_t *r)
{
    free(r->name);
    free(r->col);
    free(r->target_col);
    free(r->partner);
    free(r->accessor);
    free(r->dflt);
    memset(r, 0, sizeof *r);
}

/* Turns foreign keys into forward and reverse relations. */
static void build_relations(tq_schema_t *s, fk_t *fks, size_t nfk)
{
    size_t *caps = tq_xcalloc(s->ntables, sizeof *caps);
    for (size_t i = 0; i < nfk; i++) {
        tq_stable_t *from = &s->tables[fks[i].from];
        tq_stable_t *to = &s->tables[fks[i].to];
        const char *to_col = fks[i].to_col ? fks[i].to_col : to->pk;
        int ci = tq_stable_col(from, fks[i].col);
        size_t n = strlen(fks[i].col);
        char *name;
        if (n > 3 && !strcasecmp(fks[i].col + n - 3, "_id"))
            name = tq_xstrndup(fks[i].col, n - 3);
        else
            name = tq_xstrdup(fks[i].col);
        if (rel_name_taken(from, name)) {
            free(name);
            continue;
        }
        tq_srel_t fw = {0};
        fw.name = name;
        fw.col = tq_xstrdup(from->cols[ci].name);
        fw.target = fks[i].to;
        fw.target_col = tq_xstrdup(to_col);
        fw.nullable = !from->cols[ci].notnull;
        from->cols[ci].rel = (int)from->nrels;
        add_rel(from, fw, &caps[fks[i].from]);

        char *rname = tq_xstrdup(from->model);
        if (rel_name_taken(to, rname) || tq_stable_col(to, rname) >= 0) {
            free(rname);
            rname = tq_xasprintf("%s_%s", from->model, name);
        }
        tq_srel_t rv = {0};
        rv.name = rname;
        rv.reverse = true;
        rv.col = tq_xstrdup(to_col);
        rv.target = fks[i].from;
        rv.target_col = tq_xstrdup(from->cols[ci].name);
        rv.nullable = true;
        add_rel(to, rv, &caps[fks[i].to]);
    }
    free(caps);
}

/* Fills the primary key of every table. */
static void finish_tables(tq_schema_t *s)
{
    for (size_t i = 0; i < s->ntables; i++) {
        tq_stable_t *t = &s->tables[i];
        int npk = 0, pki = -1;
        for (size_t c = 0; c < t->ncols; c++)
            if (t->cols[c].pk) {
                npk++;
                if (pki < 0)
                    pki = (int)c;
            }
        if (npk == 1 || (npk > 1 && !t->rowid_pk)) {
            t->pk = tq_xstrdup(t->cols[pki].name);
            t->cols[pki].unique = true;
            t->rowid_pk = false;
        } else {
            t->pk = tq_xstrdup("rowid");
            t->rowid_pk = true;
        }
    }
}

/* Chooses the label column of every table (after relations are known). */
static void label_tables(tq_schema_t *s)
{
    for (size_t i = 0; i < s->ntables; i++) {
        tq_stable_t *t = &s->tables[i];
        /* the first text column, in table order, among the label names */
        for (size_t c = 0; c < t->ncols && !t->label; c++) {
            if (!(t->cols[c].text || !*t->cols[c].decltype))
                continue;
            for (size_t k = 0; k < sizeof label_names / sizeof *label_names;
                 k++)
                if (!strcasecmp(t->cols[c].name, label_names[k])) {
                    t->label = tq_xstrdup(t->cols[c].name);
                    break;
                }
        }
        for (size_t c = 0; c < t->ncols && !t->label; c++)
            if (t->cols[c].text && t->cols[c].rel < 0)
                t->label = tq_xstrdup(t->cols[c].name);
    }
}

static const tq_schema_t *sort_schema;

static int cmp_bare(const void *a, const void *b)
{
    return strcmp(sort_schema->tables[*(const size_t *)a].bare,
                  sort_schema->tables[*(const size_t *)b].bare);
}

/* Sorts table indexes by bare name so that name lookups bisect. */
static void index_bare(tq_schema_t *s)
{
    free(s->by_bare);
    s->by_bare = tq_xcalloc(s->ntables + 1, sizeof *s->by_bare);
    for (size_t i = 0; i < s->ntables; i++)
        s->by_bare[i] = i;
    sort_schema = s;
    qsort(s->by_bare, s->ntables, sizeof *s->by_bare, cmp_bare);
    sort_schema = NULL;
}

/* tq_schema_load: see schema.h. */
tq_schema_t *tq_schema_load(tqdb_conn_t *db, char **error)
{
    assert(db && error);
    *error = NULL;
    tqdb_catalog_t cat;
    if (tqdb_catalog_read(db, &cat) < 0) {
        *error = tq_xasprintf("%s", tqdb_errmsg(db));
        return NULL;
    }
    tq_schema_t *s = tq_xcalloc(1, sizeof *s);
    size_t scap = 0, acap = 0, nfk = 0;
    fk_t *fks = NULL;
    for (size_t i = 0; i < cat.nschemas; i++)
        TQ_PUSH(s->schemas, s->nschemas, scap, tq_xstrdup(cat.schemas[i]));
    load_tables(s, &cat);
    for (size_t i = 0; i < s->nschemas; i++)
        load_apps(db, s, s->schemas[i], &acap);
    finish_tables(s);
    name_tables(s);
    load_fks(s, &cat, &fks, &nfk);
    tqdb_catalog_clear(&cat);
    build_relations(s, fks, nfk);
    tq_schema_django_m2m(s);
    label_tables(s);
    index_bare(s);
    for (size_t i = 0; i < nfk; i++) {
        free(fks[i].col);
        free(fks[i].to_col);
    }
    free(fks);
    return s;
}

/* tq_schema_free: see schema.h. */
void tq_schema_free(tq_schema_t **sp)
{
    tq_schema_t *s = *sp;
    if (!s)
        return;
    for (size_t i = 0; i < s->ntables; i++) {
        tq_stable_t *t = &s->tables[i];
        for (size_t c = 0; c < t->ncols; c++) {
            free(t->cols[c].name);
            free(t->cols[c].decltype);
            free(t->cols[c].dflt);
        }
        for (size_t r = 0; r < t->nrels; r++)
            tq_srel_clear(&t->rels[r]);
        free(t->dj_label);
        free(t->dj_ordering);
        free(t->cols);
        free(t->rels);
        free(t->schema);
        free(t->name);
        free(t->bare);
        free(t->model);
        free(t->app);
        free(t->pk);
        free(t->label);
    }
    for (size_t i = 0; i < s->nschemas; i++)
        free(s->schemas[i]);
    for (size_t i = 0; i < s->ntemp; i++)
        free(s->temp_names[i]);
    free(s->temp_names);
    for (size_t i = 0; i < s->napps; i++)
        free(s->apps[i]);
    free(s->schemas);
    free(s->apps);
    free(s->tables);
    free(s->by_bare);
    free(s);
    *sp = NULL;
}

/* tq_schema_main: see schema.h. */
const char *tq_schema_main(const tq_schema_t *s)
{
    return s && s->nschemas ? s->schemas[0] : "main";
}

/* tq_schema_label: see schema.h. */
const char *tq_schema_label(const tq_schema_t *s, const char *schema)
{
    assert(schema);
    return strcmp(schema, tq_schema_main(s)) ? schema : "main";
}

/* tq_schema_table: see schema.h. */
const tq_stable_t *tq_schema_table(const tq_schema_t *s, const char *schema,
                                   const char *name)
{
    if (schema)
        return find_in((tq_schema_t *)s, schema, name);
    const tq_stable_t *m = find_in((tq_schema_t *)s, tq_schema_main(s), name);
    if (m)
        return m;
    const tq_stable_t *found = NULL;
    for (size_t i = 0; i < s->ntables; i++)
        if (!strcasecmp(s->tables[i].name, name)) {
            if (found)
                return NULL;
            found = &s->tables[i];
        }
    return found;
}

/* tq_schema_shadowed: see schema.h. Only main's tables are written
 * unqualified, so only they can be shadowed. */
bool tq_schema_shadowed(const tq_schema_t *s, const char *schema,
                        const char *name)
{
    assert(s && schema && name);
    if (strcmp(schema, tq_schema_main(s)))
        return false;
    for (size_t i = 0; i < s->ntemp; i++)
        if (!strcasecmp(s->temp_names[i], name))
            return true;
    return false;
}

/* tq_schema_by_bare: see schema.h. */
const tq_stable_t *tq_schema_by_bare(const tq_schema_t *s, const char *bare)
{
    size_t lo = 0, hi = s->ntables;
    while (lo < hi && s->by_bare) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->tables[s->by_bare[mid]].bare, bare);
        if (!c)
            return &s->tables[s->by_bare[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* tq_schema_reindex: see schema.h. */
void tq_schema_reindex(tq_schema_t *s)
{
    index_bare(s);
}

/* tq_schema_index: see schema.h. */
size_t tq_schema_index(const tq_schema_t *s, const tq_stable_t *t)
{
    return (size_t)(t - s->tables);
}

/* tq_stable_col: see schema.h. */
int tq_stable_col(const tq_stable_t *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (!strcasecmp(t->cols[i].name, name))
            return (int)i;
    if (t->rowid_pk && (!strcasecmp(name, "rowid") ||
                        (t->pk && !strcasecmp(name, t->pk))))
        return -2;
    return -1;
}

/* tq_stable_rel: see schema.h. */
const tq_srel_t *tq_stable_rel(const tq_stable_t *t, const char *name)
{
    for (size_t i = 0; i < t->nrels; i++)
        if (!strcmp(t->rels[i].name, name))
            return &t->rels[i];
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* tq_stable_choices: see schema.h. */
char *tq_stable_choices(const tq_stable_t *t, const char *const *extra,
                        size_t nextra)
{
    size_t n = 0, cap = t->ncols + t->nrels + nextra + 1;
    const char **v = tq_xcalloc(cap, sizeof *v);
    for (size_t i = 0; i < t->ncols; i++)
        v[n++] = t->cols[i].name;
    for (size_t i = 0; i < t->nrels; i++)
        if (!t->rels[i].hidden)
            v[n++] = t->rels[i].name;
    for (size_t i = 0; i < nextra; i++)
        v[n++] = extra[i];
    qsort(v, n, sizeof *v, cmp_str);
    tq_buf_t b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(v[i], v[i - 1]))
            continue;
        if (b.len)
            tq_buf_add(&b, ", ");
        tq_buf_add(&b, v[i]);
    }
    free(v);
    return tq_buf_take(&b);
}
