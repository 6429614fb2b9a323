/*
 * This file gives a Django-made database Django's own names. Without a
 * project (tq_schema_django_m2m, run by every schema load) it finds the
 * many-to-many join tables that Django's migrate creates and turns each
 * into a relation in both directions. With a project read from its
 * models.py files (tq_schema_apply_django) it renames tables' bare names
 * to the model classes, relations to their field names and related names,
 * records on_delete, and builds many-to-many relations through the join
 * table or the `through` model.
 *
 * A many-to-many relation reuses two relations that the foreign keys of
 * the join table already gave: the reverse one from the source table to
 * the join table (`via`) and the forward one from the join table to the
 * target (`onward`); the SQL compiler joins both.
 */
#include "db/djproject.h"

#include <assert.h>
#include <ctype.h>
#include <strings.h>

#include "base/util.h"

static char *lower_dup(const char *s)
{
    char *r = tq_xstrdup(s);
    for (char *p = r; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return r;
}

/* Index of t's forward relation held by column `col`, or -1. */
static int fwd_rel(const tq_stable_t *t, const char *col)
{
    for (size_t i = 0; i < t->nrels; i++)
        if (!t->rels[i].reverse && !strcasecmp(t->rels[i].col, col))
            return (int)i;
    return -1;
}

/* Index of t's reverse relation to table `from` through its column
 * `col`, or -1. */
static int rev_rel(const tq_stable_t *t, size_t from, const char *col)
{
    for (size_t i = 0; i < t->nrels; i++)
        if (t->rels[i].reverse && !t->rels[i].m2m &&
            t->rels[i].target == from &&
            !strcasecmp(t->rels[i].target_col, col))
            return (int)i;
    return -1;
}

/* Adds to table `src` the many-to-many relation `name` to table `tgt`
 * through table `j`, whose column src_col references src and tgt_col
 * references tgt. Returns 0, or -1 (nothing added) when the foreign keys
 * are not there. Takes nothing; copies the strings. */
static int add_m2m(tq_schema_t *s, size_t src, const char *name, size_t j,
                   const char *src_col, const char *tgt_col, size_t tgt,
                   const char *partner, const char *accessor)
{
    tq_stable_t *st = &s->tables[src];
    const tq_stable_t *jt = &s->tables[j];
    int via = rev_rel(st, j, src_col);
    int onward = fwd_rel(jt, tgt_col);
    if (via < 0 || onward < 0 || tq_stable_rel(st, name) ||
        tq_stable_col(st, name) >= 0)
        return -1;
    tq_srel_t r = {0};
    r.name = tq_xstrdup(name);
    r.reverse = true;
    r.m2m = true;
    r.col = tq_xstrdup(st->pk);
    r.target = tgt;
    r.target_col = tq_xstrdup(s->tables[tgt].pk);
    r.nullable = true;
    r.through = j;
    r.via = via;
    r.onward = onward;
    r.partner = partner ? tq_xstrdup(partner) : NULL;
    r.accessor = accessor ? tq_xstrdup(accessor) : NULL;
    tq_stable_add_rel(st, r);
    return 0;
}

/* Marks table j an auto-created join table: its rows go with either side
 * (Django's CASCADE), and the relations its foreign keys gave the two
 * sides are not offered as names. */
static void mark_join(tq_schema_t *s, size_t j, const char *label)
{
    tq_stable_t *jt = &s->tables[j];
    jt->dj_join = true;
    if (label) {
        free(jt->dj_label);
        jt->dj_label = tq_xstrdup(label);
    }
    for (size_t i = 0; i < jt->nrels; i++) {
        tq_srel_t *f = &jt->rels[i];
        if (f->reverse)
            continue;
        f->on_delete = TQ_OD_CASCADE;
        tq_stable_t *to = &s->tables[f->target];
        int rv = rev_rel(to, j, f->col);
        if (rv >= 0)
            to->rels[rv].hidden = true;
    }
}

/* The class part of a Django label "blog.Entry", or the bare name. */
static const char *class_of(const tq_stable_t *t)
{
    const char *dot = t->dj_label ? strchr(t->dj_label, '.') : NULL;
    return dot ? dot + 1 : t->bare;
}

/* tq_schema_django_m2m: see schema.h. */
void tq_schema_django_m2m(tq_schema_t *s)
{
    for (size_t j = 0; j < s->ntables; j++) {
        tq_stable_t *jt = &s->tables[j];
        if (!jt->app || jt->ncols != 3 || jt->nrels != 2 ||
            jt->rels[0].reverse || jt->rels[1].reverse || jt->rowid_pk)
            continue;
        /* the longest table name that prefixes this one with "_" */
        size_t src = s->ntables, best = 0;
        for (size_t i = 0; i < s->ntables; i++) {
            const tq_stable_t *t = &s->tables[i];
            size_t n = strlen(t->name);
            if (i != j && !strcmp(t->schema, jt->schema) &&
                !strncmp(jt->name, t->name, n) && jt->name[n] == '_' &&
                jt->name[n + 1] && n > best) {
                src = i;
                best = n;
            }
        }
        if (src == s->ntables)
            continue;
        const tq_stable_t *st = &s->tables[src];
        const char *field = jt->name + best + 1;
        char *plain = tq_xasprintf("%s_id", st->model);
        char *from = tq_xasprintf("from_%s_id", st->model);
        int a = -1;
        for (int k = 0; k < 2; k++)
            if (jt->rels[k].target == src &&
                (!strcasecmp(jt->rels[k].col, plain) ||
                 !strcasecmp(jt->rels[k].col, from)))
                a = k;
        free(plain);
        free(from);
        if (a < 0)
            continue;
        const tq_srel_t *ra = &jt->rels[a], *rb = &jt->rels[1 - a];
        size_t tgt = rb->target;
        char *acc = tq_xasprintf("%s_set", st->model);
        char *label = tq_xasprintf("%s.%s_%s", jt->app, class_of(st), field);
        char *src_col = tq_xstrdup(ra->col), *tgt_col = tq_xstrdup(rb->col);
        mark_join(s, j, label);
        if (add_m2m(s, src, field, j, src_col, tgt_col, tgt,
                    tgt == src ? NULL : s->tables[src].model, NULL) == 0 &&
            tgt != src)
            add_m2m(s, tgt, s->tables[src].model, j, tgt_col, src_col, src,
                    field, acc);
        free(src_col);
        free(tgt_col);
        free(acc);
        free(label);
    }
}

/* ---- a project's models over the schema */

/* `text` with %(class)s and %(app_label)s replaced, as Django does in
 * related names of abstract bases. malloc'd. */
static char *expand_name(const char *text, const tq_djmodel_t *m)
{
    tq_buf_t b = {0};
    char *cls = lower_dup(m->name);
    for (const char *p = text; *p;) {
        if (!strncmp(p, "%(class)s", 9)) {
            tq_buf_add(&b, cls);
            p += 9;
        } else if (!strncmp(p, "%(app_label)s", 13)) {
            tq_buf_add(&b, m->app);
            p += 13;
        } else {
            tq_buf_addc(&b, *p++);
        }
    }
    free(cls);
    if (!b.len)
        tq_buf_add(&b, "");
    return tq_buf_take(&b);
}

static void set_str(char **dst, char *value)
{
    free(*dst);
    *dst = value;
}

/* The table of a concrete model, or NULL. */
static tq_stable_t *model_table(tq_schema_t *s, const tq_djmodel_t *m)
{
    if (!m || m->abstract || m->proxy || !m->table)
        return NULL;
    return (tq_stable_t *)tq_schema_table(s, NULL, m->table);
}

static void note(char ***notes, size_t *n, size_t *cap, char *line)
{
    TQ_PUSH(*notes, *n, *cap, line);
}

static bool is_fk(const tq_djfield_t *f)
{
    return !strcmp(f->kind, "ForeignKey") || !strcmp(f->kind, "OneToOneField");
}

/* Names a table after its model: the class name, or app + class when two
 * apps have the class. */
static void name_models(tq_schema_t *s, const tq_djproject_t *p)
{
    for (size_t i = 0; i < p->nmodels; i++) {
        const tq_djmodel_t *m = &p->models[i];
        tq_stable_t *t = model_table(s, m);
        if (!t)
            continue;
        size_t same = 0;
        for (size_t k = 0; k < p->nmodels; k++)
            same += model_table(s, &p->models[k]) &&
                    !strcmp(p->models[k].name, m->name);
        char *bare = same > 1 ? tq_xasprintf("%c%s%s",
                                             toupper((unsigned char)*m->app),
                                             "", m->name)
                              : tq_xstrdup(m->name);
        if (same > 1) {
            char *app = tq_schema_camel(m->app);
            free(bare);
            bare = tq_xasprintf("%s%s", app, m->name);
            free(app);
        }
        /* a table outside the project holding the name gives it up */
        for (size_t k = 0; k < s->ntables; k++)
            if (&s->tables[k] != t && !s->tables[k].dj_model &&
                !strcmp(s->tables[k].bare, bare))
                set_str(&s->tables[k].bare, tq_schema_camel(s->tables[k].name));
        set_str(&t->bare, bare);
        set_str(&t->model, lower_dup(m->name));
        set_str(&t->app, tq_xstrdup(m->app));
        set_str(&t->dj_label, tq_xasprintf("%s.%s", m->app, m->name));
        t->dj_model = true;
    }
}

/* Gives a foreign key field its Django names and on_delete. */
static void apply_fk(tq_schema_t *s, const tq_djproject_t *p,
                     const tq_djmodel_t *m, const tq_djfield_t *f,
                     char ***notes, size_t *nn, size_t *cap)
{
    tq_stable_t *t = model_table(s, m);
    const tq_djmodel_t *tm = f->to ? tq_djproject_model(p, f->to) : NULL;
    tq_stable_t *to = model_table(s, tm);
    if (!t || !to) {
        note(notes, nn, cap, tq_xasprintf("%s.%s.%s: target %s not found",
                                          m->app, m->name, f->name,
                                          f->to ? f->to : "?"));
        return;
    }
    size_t ti = tq_schema_index(s, t), toi = tq_schema_index(s, to);
    char *col = f->column ? tq_xstrdup(f->column)
                          : tq_xasprintf("%s_id", f->name);
    int fr = fwd_rel(t, col);
    int ci = tq_stable_col(t, col);
    if (fr < 0 && ci >= 0) {
        /* no constraint in the database (db_constraint=False): the model
         * still declares the relation */
        tq_srel_t fw = {0};
        fw.name = tq_xstrdup(f->name);
        fw.col = tq_xstrdup(t->cols[ci].name);
        fw.target = toi;
        fw.target_col = tq_xstrdup(to->pk);
        fw.nullable = !t->cols[ci].notnull;
        fw.via = fw.onward = -1;
        fr = tq_stable_add_rel(t, fw);
        t->cols[ci].rel = fr;
        tq_srel_t rv = {0};
        rv.name = tq_xstrdup(t->model);
        rv.reverse = true;
        rv.col = tq_xstrdup(to->pk);
        rv.target = ti;
        rv.target_col = tq_xstrdup(t->cols[ci].name);
        rv.nullable = true;
        rv.via = rv.onward = -1;
        tq_stable_add_rel(to, rv);
    }
    if (fr < 0) {
        note(notes, nn, cap, tq_xasprintf("%s.%s.%s: no column %s in %s",
                                          m->app, m->name, f->name, col,
                                          t->name));
        free(col);
        return;
    }
    tq_srel_t *r = &t->rels[fr];
    if (strcmp(r->name, f->name))
        set_str(&r->name, tq_xstrdup(f->name));
    r->on_delete = f->on_delete;
    if (f->dflt)
        set_str(&r->dflt, tq_xstrdup(f->dflt));
    int rv = rev_rel(to, ti, col);
    free(col);
    if (rv < 0)
        return;
    tq_srel_t *rr = &to->rels[rv];
    char *rn = f->related_name ? expand_name(f->related_name, m) : NULL;
    char *rqn = f->related_query_name ? expand_name(f->related_query_name, m)
                                      : NULL;
    bool hide = rn && rn[strlen(rn) - 1] == '+';
    char *model = lower_dup(m->name);
    char *qname = rqn ? tq_xstrdup(rqn)
                  : rn && !hide ? tq_xstrdup(rn) : tq_xstrdup(model);
    char *acc = rn && !hide ? tq_xstrdup(rn)
                : !strcmp(f->kind, "OneToOneField") ? tq_xstrdup(model)
                : tq_xasprintf("%s_set", model);
    set_str(&rr->name, qname);
    set_str(&rr->accessor, acc);
    rr->hidden = hide;
    free(rn);
    free(rqn);
    free(model);
}

/* Drops the many-to-many relations through table j that a detection made
 * (they come last in each table's relations, after the foreign keys). */
static void drop_m2m_through(tq_schema_t *s, size_t j)
{
    for (size_t i = 0; i < s->ntables; i++) {
        tq_stable_t *t = &s->tables[i];
        size_t k = 0;
        for (size_t r = 0; r < t->nrels; r++) {
            if (t->rels[r].m2m && t->rels[r].through == j) {
                tq_srel_clear(&t->rels[r]);
                continue;
            }
            t->rels[k++] = t->rels[r];
        }
        t->nrels = k;
    }
}

/* The first forward relation of j to table `to` other than `skip`'s
 * column, or -1. */
static int fk_to(const tq_stable_t *j, size_t to, const char *skip)
{
    for (size_t i = 0; i < j->nrels; i++)
        if (!j->rels[i].reverse && j->rels[i].target == to &&
            (!skip || strcasecmp(j->rels[i].col, skip)))
            return (int)i;
    return -1;
}

/* Builds a many-to-many field's relations in both directions. */
static void apply_m2m(tq_schema_t *s, const tq_djproject_t *p,
                      const tq_djmodel_t *m, const tq_djfield_t *f,
                      char ***notes, size_t *nn, size_t *cap)
{
    tq_stable_t *t = model_table(s, m);
    const tq_djmodel_t *tm = f->to ? tq_djproject_model(p, f->to) : NULL;
    tq_stable_t *to = model_table(s, tm);
    const tq_djmodel_t *thm = f->through ? tq_djproject_model(p, f->through)
                                         : NULL;
    char *jname = thm ? tq_xstrdup(thm->table ? thm->table : "")
                  : f->db_table ? tq_xstrdup(f->db_table)
                  : t ? tq_xasprintf("%s_%s", t->name, f->name) : NULL;
    tq_stable_t *jt = jname ? (tq_stable_t *)tq_schema_table(s, NULL, jname)
                            : NULL;
    if (!t || !to || !jt) {
        note(notes, nn, cap,
             tq_xasprintf("%s.%s.%s: %s not found", m->app, m->name, f->name,
                          !t || !to ? "target model" : "join table"));
        free(jname);
        return;
    }
    free(jname);
    size_t ti = tq_schema_index(s, t), toi = tq_schema_index(s, to),
           ji = tq_schema_index(s, jt);
    drop_m2m_through(s, ji);
    bool self = ti == toi;
    char *model = lower_dup(m->name);
    char *src_col, *tgt_col;
    if (thm) {
        int a = fk_to(jt, ti, NULL);
        int b = a >= 0 ? fk_to(jt, toi, self ? jt->rels[a].col : NULL) : -1;
        if (a < 0 || b < 0) {
            note(notes, nn, cap,
                 tq_xasprintf("%s.%s.%s: %s lacks its foreign keys", m->app,
                              m->name, f->name, jt->name));
            free(model);
            return;
        }
        src_col = tq_xstrdup(jt->rels[a].col);
        tgt_col = tq_xstrdup(jt->rels[b].col);
    } else {
        char *tmodel = lower_dup(tm->name);
        src_col = self ? tq_xasprintf("from_%s_id", model)
                       : tq_xasprintf("%s_id", model);
        tgt_col = self ? tq_xasprintf("to_%s_id", model)
                       : tq_xasprintf("%s_id", tmodel);
        free(tmodel);
        char *label = tq_xasprintf("%s.%s_%s", m->app, m->name, f->name);
        mark_join(s, ji, label);
        free(label);
    }
    char *rn = f->related_name ? expand_name(f->related_name, m) : NULL;
    char *rqn = f->related_query_name ? expand_name(f->related_query_name, m)
                                      : NULL;
    bool hide = rn && rn[strlen(rn) - 1] == '+';
    char *qname = rqn ? tq_xstrdup(rqn)
                  : rn && !hide ? tq_xstrdup(rn) : tq_xstrdup(model);
    char *acc = rn && !hide ? tq_xstrdup(rn) : tq_xasprintf("%s_set", model);
    bool symmetrical = self && !f->symmetrical_off && !thm;
    if (add_m2m(s, ti, f->name, ji, src_col, tgt_col, toi,
                symmetrical || hide ? NULL : qname, NULL) < 0)
        note(notes, nn, cap,
             tq_xasprintf("%s.%s.%s: the join table %s has no foreign key "
                          "%s/%s", m->app, m->name, f->name, jt->name,
                          src_col, tgt_col));
    else if (!symmetrical && !hide)
        add_m2m(s, toi, qname, ji, tgt_col, src_col, ti, f->name, acc);
    free(src_col);
    free(tgt_col);
    free(rn);
    free(rqn);
    free(qname);
    free(acc);
    free(model);
}

/* Meta.ordering as written ("['-pub_date', 'headline']", a tuple or one
 * string) as "-pub_date,headline"; NULL when it holds anything but
 * strings of field paths (F() expressions), which is noted. */
static char *ordering_list(const tq_djmodel_t *m, char ***notes,
                           size_t *nn, size_t *cap)
{
    tq_buf_t b = {0};
    const char *s = m->ordering;
    bool ok = true;
    while (ok && *s) {
        if (strchr("[](), \t\r\n", *s)) {
            s++;
            continue;
        }
        char q = *s;
        const char *end = q == '\'' || q == '"' ? strchr(s + 1, q) : NULL;
        ok = end && end > s + 1;
        for (const char *c = s + 1; ok && c < end; c++)
            ok = isalnum((unsigned char)*c) || strchr("_-?", *c);
        if (!ok)
            break;
        if (b.len)
            tq_buf_addc(&b, ',');
        tq_buf_addn(&b, s + 1, (size_t)(end - s - 1));
        s = end + 1;
    }
    if (!ok || !b.len) {
        if (!ok)
            note(notes, nn, cap,
                 tq_xasprintf("%s.%s: Meta.ordering %s not used (only field "
                              "names are)", m->app, m->name, m->ordering));
        tq_buf_free(&b);
        return NULL;
    }
    return b.s;
}

/* The column of m's primary key as Django sees it: the field declared
 * primary_key=True (its db_column, or name_id for a relation), the parent
 * link of a multi-table child, else Django's implicit "id". */
static char *model_pk_column(const tq_djproject_t *p, const tq_djmodel_t *m)
{
    for (size_t k = 0; k < m->nfields; k++) {
        const tq_djfield_t *f = &m->fields[k];
        if (!f->primary_key)
            continue;
        if (f->column)
            return tq_xstrdup(f->column);
        return is_fk(f) ? tq_xasprintf("%s_id", f->name)
                        : tq_xstrdup(f->name);
    }
    const tq_djmodel_t *pm = m->parent ? tq_djproject_model(p, m->parent)
                                       : NULL;
    if (pm) {
        char *ptr = lower_dup(pm->name);
        char *col = tq_xasprintf("%s_ptr_id", ptr);
        free(ptr);
        return col;
    }
    return tq_xstrdup("id");
}

/* A table the catalogue gives no primary key (Django declares one, but a
 * partitioned or foreign table cannot hold the constraint) takes the
 * model's: Django's objects are identified by it, not by a row id. */
static void apply_pk(tq_stable_t *t, const tq_djproject_t *p,
                     const tq_djmodel_t *m)
{
    if (!t->rowid_pk)
        return;
    char *col = model_pk_column(p, m);
    if (tq_stable_col(t, col) >= 0) {
        free(t->pk);
        t->pk = col;
        t->rowid_pk = false;
    } else {
        free(col);
    }
}

/* tq_schema_apply_django: see djproject.h. */
void tq_schema_apply_django(tq_schema_t *s, const tq_djproject_t *p,
                            char ***notes, size_t *nnotes)
{
    assert(s && p && notes && nnotes);
    size_t cap = *nnotes;
    name_models(s, p);
    for (size_t i = 0; i < p->nmodels; i++) {
        const tq_djmodel_t *m = &p->models[i];
        tq_stable_t *t = model_table(s, m);
        if (!t) {
            if (!m->abstract && !m->proxy)
                note(notes, nnotes, &cap,
                     tq_xasprintf("%s.%s: no table %s in the database",
                                  m->app, m->name, m->table ? m->table : "?"));
            continue;
        }
        if (!m->proxy)
            apply_pk(t, p, m);
        if (m->ordering)
            set_str(&t->dj_ordering, ordering_list(m, notes, nnotes, &cap));
        if (m->parent) {
            /* the parent link <parent>_ptr cascades from the parent row */
            const tq_djmodel_t *pm = tq_djproject_model(p, m->parent);
            char *ptr = pm ? lower_dup(pm->name) : NULL;
            char *col = ptr ? tq_xasprintf("%s_ptr_id", ptr) : NULL;
            int fr = col ? fwd_rel(t, col) : -1;
            if (fr >= 0) {
                t->rels[fr].on_delete = TQ_OD_CASCADE;
                tq_stable_t *pt = &s->tables[t->rels[fr].target];
                int rv = rev_rel(pt, tq_schema_index(s, t), col);
                if (rv >= 0) {
                    set_str(&pt->rels[rv].name, lower_dup(m->name));
                    set_str(&pt->rels[rv].accessor, lower_dup(m->name));
                }
            }
            free(ptr);
            free(col);
        }
        for (size_t k = 0; k < m->nfields; k++)
            if (is_fk(&m->fields[k]))
                apply_fk(s, p, m, &m->fields[k], notes, nnotes, &cap);
    }
    for (size_t i = 0; i < p->nmodels; i++) {
        const tq_djmodel_t *m = &p->models[i];
        if (!model_table(s, m))
            continue;
        for (size_t k = 0; k < m->nfields; k++)
            if (!strcmp(m->fields[k].kind, "ManyToManyField"))
                apply_m2m(s, p, m, &m->fields[k], notes, nnotes, &cap);
    }
    s->django = true;
    tq_schema_reindex(s);
}

/* tq_djproject_model: see djproject.h. */
const tq_djmodel_t *tq_djproject_model(const tq_djproject_t *p,
                                       const char *ref)
{
    const char *dot = strchr(ref, '.');
    const tq_djmodel_t *found = NULL;
    for (size_t i = 0; i < p->nmodels; i++) {
        const tq_djmodel_t *m = &p->models[i];
        if (dot) {
            size_t n = (size_t)(dot - ref);
            if (strlen(m->app) == n && !strncmp(m->app, ref, n) &&
                !strcasecmp(m->name, dot + 1))
                return m;
        } else if (!strcmp(m->name, ref)) {
            if (found)
                return NULL;
            found = m;
        }
    }
    return found;
}

/* tq_djproject_free: see djproject.h. */
void tq_djproject_free(tq_djproject_t **pp)
{
    tq_djproject_t *p = *pp;
    if (!p)
        return;
    for (size_t i = 0; i < p->nmodels; i++) {
        tq_djmodel_t *m = &p->models[i];
        for (size_t k = 0; k < m->nfields; k++) {
            tq_djfield_t *f = &m->fields[k];
            free(f->name);
            free(f->kind);
            free(f->column);
            free(f->to);
            free(f->related_name);
            free(f->related_query_name);
            free(f->through);
            free(f->db_table);
            free(f->choices);
            free(f->dflt);
        }
        free(m->fields);
        free(m->app);
        free(m->name);
        free(m->table);
        free(m->parent);
        free(m->ordering);
        free(m->unique_together);
    }
    for (size_t i = 0; i < p->napps; i++)
        free(p->apps[i]);
    for (size_t i = 0; i < p->nnotes; i++)
        free(p->notes[i]);
    free(p->apps);
    free(p->models);
    free(p->notes);
    free(p->root);
    free(p);
    *pp = NULL;
}
