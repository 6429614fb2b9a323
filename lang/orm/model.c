/*
 * This file implements model declarations (LANGUAGE.md sections 7 and 8):
 * the Model base and the field classes as builtins, tq_model_declare for
 * `class Name(Model): field = CharField(...)`, which creates the table when
 * it is missing, binds it when it matches and adds missing columns with
 * ALTER TABLE (printing what changed), abstract models whose fields are
 * inherited, and the @manager_method / @queryset_method decorators.
 *
 * Meta keywords are parsed by meta_keyword() from both the class keywords
 * and a nested `class Meta:`; abstract bases pass theirs (and STATUS) on to
 * their subclasses. Boogie's keywords timestamped, timeframed, status and
 * soft_deletable add their columns here (add_meta_fields) and are recorded
 * for the session; what they do on reads and writes is model_meta.c's.
 * polymorphic adds `ctype` to the parent, and a class deriving from a
 * polymorphic model gets a child table whose primary key is the parent
 * link <parent>_ptr_id; model_poly.c reads and writes them.
 */
#include "orm/queryset.h"
#include "sql/dialect.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <strings.h>

/* Field classes: enum, builtin name, SQL type (%lld: max_length; NULL:
 * the dialect's, see column_def). */
#define FIELD_KINDS(X)                                                     \
    X(AUTO, "AutoField", NULL)                                             \
    X(CHAR, "CharField", "varchar(%lld)")                                  \
    X(TEXT, "TextField", "text")                                           \
    X(INTEGER, "IntegerField", "integer")                                  \
    X(FLOAT, "FloatField", NULL)                                           \
    X(DECIMAL, "DecimalField", "decimal")                                  \
    X(BOOLEAN, "BooleanField", "bool")                                     \
    X(DATE, "DateField", "date")                                           \
    X(DATETIME, "DateTimeField", NULL)                                     \
    X(FOREIGNKEY, "ForeignKey", "bigint")

typedef enum field_kind {
#define X(e, name, sql) FK_##e,
    FIELD_KINDS(X)
#undef X
    FK__COUNT
} field_kind_t;

static const char *const field_names[] = {
#define X(e, name, sql) name,
    FIELD_KINDS(X)
#undef X
};

static const char *const field_sql[] = {
#define X(e, name, sql) sql,
    FIELD_KINDS(X)
#undef X
};

typedef struct field {
    field_kind_t kind;
    int64_t max_length;
    bool null, unique, primary_key;
    tq_value_t *dflt;       /* NULL: none */
    char *db_column;
    tq_value_t *to;         /* ForeignKey target: name or manager */
    char *on_delete;
    tq_value_t *choices;
} field_t;

static void field_destroy(void *p)
{
    field_t *f = p;
    tq_decref(f->dflt);
    tq_decref(f->to);
    tq_decref(f->choices);
    free(f->db_column);
    free(f->on_delete);
    free(f);
}

static char *field_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    field_t *f = tq_native_data(self);
    return tq_xasprintf("<%s>", field_names[f->kind]);
}

static const tq_type_t field_type = {
    .name = "Field",
    .destroy = field_destroy,
    .repr = field_repr,
};

static tq_value_t *make_field(tq_ctx_t *ctx, field_kind_t kind,
                              const tq_args_t *a)
{
    field_t *f = tq_xcalloc(1, sizeof *f);
    f->kind = kind;
    f->max_length = kind == FK_CHAR ? 255 : 0;
    size_t pos = 0;
    if (kind == FK_FOREIGNKEY) {
        if (a->npos < 1) {
            field_destroy(f);
            return tq_raise(ctx, "TypeError",
                            "ForeignKey() needs the related model");
        }
        f->to = tq_incref(a->pos[0]);
        pos = 1;
        if (a->npos > 1 && tq_kind(a->pos[1]) == TQ_STR) {
            f->on_delete = tq_xstrdup(tq_as_str(a->pos[1]));
            pos = 2;
        }
    }
    if (a->npos > pos) {
        field_destroy(f);
        return tq_raise(ctx, "TypeError", "%s() takes keyword options",
                        field_names[kind]);
    }
    for (size_t i = 0; i < a->nkw; i++) {
        const char *k = a->kwnames[i];
        tq_value_t *v = a->kwvalues[i];
        if (!strcmp(k, "max_length")) {
            /* Django's check fields.E121: ints only, bools excluded */
            if (tq_kind(v) != TQ_INT || tq_as_int(v) <= 0) {
                field_destroy(f);
                return tq_raise(ctx, "ValueError", "%s: 'max_length' must "
                                "be a positive integer.", field_names[kind]);
            }
            f->max_length = tq_as_int(v);
        }
        else if (!strcmp(k, "null"))
            f->null = tq_truth(ctx, v) > 0;
        else if (!strcmp(k, "unique"))
            f->unique = tq_truth(ctx, v) > 0;
        else if (!strcmp(k, "primary_key"))
            f->primary_key = tq_truth(ctx, v) > 0;
        else if (!strcmp(k, "default")) {
            /* a column default is an SQL literal, and SQL has no literal
             * for an infinity or a NaN */
            if (tq_kind(v) == TQ_FLOAT && !isfinite(tq_as_float(v))) {
                char *r = tq_repr(ctx, v);
                field_destroy(f);
                tq_raise(ctx, "ValueError", "%s: default=%s is not a "
                         "finite number, and the database has no literal "
                         "for it.", field_names[kind], r ? r : "?");
                free(r);
                return NULL;
            }
            tq_decref(f->dflt);
            f->dflt = tq_incref(v);
        }
        else if (!strcmp(k, "db_column") && tq_kind(v) == TQ_STR)
            f->db_column = tq_xstrdup(tq_as_str(v));
        else if (!strcmp(k, "on_delete") && tq_kind(v) == TQ_STR)
            f->on_delete = tq_xstrdup(tq_as_str(v));
        else if (!strcmp(k, "choices"))
            f->choices = tq_incref(v);
        else if (!strcmp(k, "blank") || !strcmp(k, "verbose_name") ||
                 !strcmp(k, "help_text") || !strcmp(k, "max_digits") ||
                 !strcmp(k, "decimal_places"))
            ;   /* as in Django on SQLite: no effect on the table */
        else {
            field_destroy(f);
            return tq_raise(ctx, "TypeError",
                            "%s() got an unexpected keyword argument '%s'",
                            field_names[kind], k);
        }
    }
    if (kind == FK_AUTO)
        f->primary_key = true;
    return tq_native_new(&field_type, f);
}

#define X(e, name, sql)                                                    \
    static tq_value_t *bi_field_##e(tq_ctx_t *ctx, tq_value_t *self,       \
                                    const tq_args_t *a)                    \
    {                                                                      \
        return make_field(ctx, FK_##e, a);                                 \
    }
FIELD_KINDS(X)
#undef X

static const tq_builtin_fn field_fns[] = {
#define X(e, name, sql) bi_field_##e,
    FIELD_KINDS(X)
#undef X
};

/* ---- Model and abstract models */

/* The Model base, or an abstract model holding its fields (a dict) and
 * the Meta keywords its subclasses inherit. */
typedef struct mbase {
    char *name;
    tq_value_t *fields;     /* NULL for Model itself */
    model_meta_t meta;      /* choices: STATUS, owned */
} mbase_t;

static void mbase_destroy(void *p)
{
    mbase_t *m = p;
    free(m->name);
    tq_decref(m->fields);
    tq_decref(m->meta.choices);
    free(m);
}

static char *mbase_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    mbase_t *m = tq_native_data(self);
    return tq_xasprintf("<class '%s'>", m->name);
}

static const tq_type_t mbase_type = {
    .name = "ModelBase",
    .destroy = mbase_destroy,
    .repr = mbase_repr,
};

static tq_value_t *mbase_new(const char *name, tq_value_t *fields)
{
    mbase_t *m = tq_xcalloc(1, sizeof *m);
    m->name = tq_xstrdup(name);
    m->fields = fields;
    return tq_native_new(&mbase_type, m);
}

/* CamelCase -> snake_case: RentalItem -> rental_item. */
static char *snake(const char *name)
{
    tq_buf_t b = {0};
    for (const char *p = name; *p; p++) {
        if (isupper((unsigned char)*p)) {
            if (p != name && (islower((unsigned char)p[-1]) ||
                              (p[1] && islower((unsigned char)p[1]))))
                tq_buf_addc(&b, '_');
            tq_buf_addc(&b, (char)tolower((unsigned char)*p));
        } else {
            tq_buf_addc(&b, *p);
        }
    }
    return tq_buf_take(&b);
}

typedef struct meta {
    bool abstract;
    char *db_table;
    model_meta_t kw;        /* Boogie's keywords; choices borrowed */
} meta_t;

/* One Meta keyword (class keyword or nested Meta). */
static int meta_keyword(tq_ctx_t *ctx, meta_t *m, const char *k, tq_value_t *v)
{
    bool *flag = !strcmp(k, "abstract")         ? &m->abstract
                 : !strcmp(k, "timestamped")    ? &m->kw.timestamped
                 : !strcmp(k, "timeframed")     ? &m->kw.timeframed
                 : !strcmp(k, "status")         ? &m->kw.status
                 : !strcmp(k, "soft_deletable") ? &m->kw.soft_deletable
                 : !strcmp(k, "polymorphic")    ? &m->kw.polymorphic
                                                : NULL;
    if (flag) {
        int t = tq_truth(ctx, v);
        if (t < 0)
            return -1;
        *flag = t;
        return 0;
    }
    if (!strcmp(k, "db_table") && tq_kind(v) == TQ_STR) {
        free(m->db_table);
        m->db_table = tq_xstrdup(tq_as_str(v));
        return 0;
    }
    if (!strcmp(k, "verbose_name") || !strcmp(k, "verbose_name_plural"))
        return 0;   /* no effect on the table, as in Django */
    tq_raise(ctx, "TypeError", "Meta keyword '%s' is not supported yet", k);
    return -1;
}

/* Appends the fields of `src` (a dict) that are Field values to `dst`,
 * later names replacing earlier ones. */
static void collect_fields(tq_value_t *dst, tq_value_t *src)
{
    for (size_t i = 0; i < tq_dict_len(src); i++) {
        tq_value_t *k = tq_dict_key_at(src, i), *v = tq_dict_value_at(src, i);
        if (tq_kind(k) == TQ_STR && tq_is_native(v, &field_type))
            tq_dict_set(dst, k, v);
    }
}

/* A field that a Meta keyword adds (steals dflt). */
static tq_value_t *meta_field(field_kind_t kind, bool null, tq_value_t *dflt)
{
    field_t *f = tq_xcalloc(1, sizeof *f);
    f->kind = kind;
    f->null = null;
    f->dflt = dflt;
    f->max_length = 100;
    return tq_native_new(&field_type, f);
}

/* Adds `name` to the fields unless the class declares it itself. */
static void add_field(tq_value_t *fields, const char *name, tq_value_t *f)
{
    if (!tq_dict_get_str(fields, name))
        tq_dict_set_str(fields, name, f);
    tq_decref(f);
}

/* STATUS = Choices('draft', 'published') (or (value, label) pairs) as a
 * tuple of str; NULL with TypeError when it is anything else. */
static tq_value_t *status_choices(tq_ctx_t *ctx, tq_value_t *v)
{
    if (tq_kind(v) != TQ_TUPLE && tq_kind(v) != TQ_LIST)
        return tq_raise(ctx, "TypeError",
                        "STATUS must be Choices('draft', 'published', ...)");
    size_t n = tq_seq_len(v);
    tq_value_t *t = tq_tuple_new(n);
    for (size_t i = 0; i < n; i++) {
        tq_value_t *c = tq_seq_get(v, i);
        if ((tq_kind(c) == TQ_TUPLE || tq_kind(c) == TQ_LIST) &&
            tq_seq_len(c) > 0)
            c = tq_seq_get(c, 0);
        if (tq_kind(c) != TQ_STR) {
            tq_decref(t);
            return tq_raise(ctx, "TypeError",
                            "STATUS choices must be strings");
        }
        tq_tuple_set(t, i, tq_incref(c));
    }
    return t;
}

/* The columns of Boogie's Meta keywords, after the declared fields:
 * created modified (timestamped), start end (timeframed), status
 * status_changed (status: choices STATUS, which the caller defaults to
 * Choices('draft', 'published') as section 7 names them), is_removed
 * (soft_deletable). The kernel keeps
 * the timestamps, so they are nullable: SQLite cannot add a NOT NULL
 * column without a constant default to a table that has rows. */
static int add_meta_fields(tq_ctx_t *ctx, tq_value_t *fields,
                           const model_meta_t *kw, const char *name)
{
    if (kw->timestamped) {
        add_field(fields, "created", meta_field(FK_DATETIME, true, NULL));
        add_field(fields, "modified", meta_field(FK_DATETIME, true, NULL));
    }
    if (kw->timeframed) {
        add_field(fields, "start", meta_field(FK_DATETIME, true, NULL));
        add_field(fields, "end", meta_field(FK_DATETIME, true, NULL));
    }
    if (kw->status) {
        if (kw->choices && !tq_seq_len(kw->choices)) {
            tq_raise(ctx, "TypeError",
                     "the STATUS choices of model '%s' are empty", name);
            return -1;
        }
        tq_value_t *f = meta_field(FK_CHAR, false,
                                   tq_incref(tq_seq_get(kw->choices, 0)));
        ((field_t *)tq_native_data(f))->choices = tq_incref(kw->choices);
        add_field(fields, "status", f);
        add_field(fields, "status_changed",
                  meta_field(FK_DATETIME, true, NULL));
    }
    if (kw->soft_deletable)
        add_field(fields, "is_removed",
                  meta_field(FK_BOOLEAN, false, tq_bool(false)));
    return 0;
}

static const char *fk_target_table(tq_ctx_t *ctx, field_t *f,
                                   const char *self_name, char **owned)
{
    *owned = NULL;
    qdesc_t *q = qs_desc(f->to);
    if (q)
        return q->table;
    if (tq_kind(f->to) == TQ_STR) {
        const char *n = tq_as_str(f->to);
        const tq_schema_t *s = db_schema(ctx);
        const tq_stable_t *t = s ? tq_schema_by_bare(s, n) : NULL;
        if (t)
            return t->name;
        if (!strcmp(n, "self"))
            n = self_name;
        *owned = snake(n);
        return *owned;
    }
    tq_raise(ctx, "TypeError", "ForeignKey() needs a model or its name");
    return NULL;
}

/* ForeignKey constraints that wait for their target table (pending_fk_t,
 * queryset.h). */

/* pending_fk_clear: see queryset.h. */
void pending_fk_clear(pending_fk_t *p)
{
    assert(p);
    free(p->schema);
    free(p->table);
    free(p->col);
    free(p->target);
    free(p->on_delete);
}

static void pending_remove(db_state_t *st, size_t i)
{
    pending_fk_clear(&st->pending[i]);
    st->pending[i] = st->pending[--st->npending];
}

/* The REFERENCES clause of a ForeignKey to `target`. */
static void references_sql(tq_buf_t *b, const char *target, const char *od)
{
    tq_buf_add(b, " REFERENCES ");
    tq_buf_ident(b, target);
    tq_buf_add(b, " (\"id\")");
    if (od && (!strcmp(od, "CASCADE") || !strcmp(od, "SET NULL") ||
               !strcmp(od, "RESTRICT") || !strcmp(od, "SET DEFAULT")))
        tq_buf_printf(b, " ON DELETE %s", od);
    tq_buf_add(b, " DEFERRABLE INITIALLY DEFERRED");
}

static int exec_sql(tq_ctx_t *ctx, const char *sql);

/* Adds the waiting constraints of `table` (NULL: every table) whose
 * target exists now; those whose table is gone are dropped. With `write`
 * (a row of `table` is about to be written), a constraint whose target
 * is still missing raises SQLite's error. Refreshes the schema after a
 * change. 0, or -1 raised. */
static int resolve_pending(tq_ctx_t *ctx, const char *schema,
                           const char *table, bool write)
{
    db_state_t *st = db_state(ctx);
    bool changed = false;
    for (size_t i = st->npending; i-- > 0;) {
        const tq_schema_t *s = db_schema(ctx);
        if (!s)
            return -1;
        pending_fk_t *p = &st->pending[i];
        if (table && (strcmp(p->table, table) || strcmp(p->schema, schema)))
            continue;
        const tq_stable_t *t = tq_schema_table(s, p->schema, p->table);
        if (!t || tq_stable_col(t, p->col) < 0) {
            pending_remove(st, i);
            continue;
        }
        if (!tq_schema_table(s, p->schema, p->target)) {
            if (write) {
                tq_raise(ctx, "DatabaseError", "no such table: %s.%s",
                         tq_schema_label(s, p->schema), p->target);
                return -1;
            }
            continue;
        }
        tq_buf_t sql = {0};
        tq_buf_add(&sql, "ALTER TABLE ");
        tq_buf_ident(&sql, p->table);
        tq_buf_add(&sql, " ADD FOREIGN KEY (");
        tq_buf_ident(&sql, p->col);
        tq_buf_addc(&sql, ')');
        references_sql(&sql, p->target, p->on_delete);
        int rc = exec_sql(ctx, sql.s);
        tq_buf_free(&sql);
        if (rc < 0)
            return -1;
        pending_remove(st, i);
        changed = true;
    }
    return changed ? tq_schema_refresh(ctx) : 0;
}

/* model_pending_fks: see queryset.h. */
int model_pending_fks(tq_ctx_t *ctx, const char *schema, const char *table)
{
    return db_state(ctx)->npending ? resolve_pending(ctx, schema, table, true)
                                   : 0;
}

/* The column definition of one field into b; the column name into *col.
 * `table` (in `schema`) is the field's table: a ForeignKey whose target
 * the engine must see first (fk_target_first) and that is missing waits
 * in the session's pending list. */
static int column_def(tq_ctx_t *ctx, const char *model, const char *name,
                      field_t *f, tq_buf_t *b, char **col,
                      const char *schema, const char *table)
{
    char *owned = NULL;
    const char *target = NULL;
    if (f->kind == FK_FOREIGNKEY) {
        target = fk_target_table(ctx, f, model, &owned);
        if (!target)
            return -1;
    }
    *col = f->db_column ? tq_xstrdup(f->db_column) :
           f->kind == FK_FOREIGNKEY ? tq_xasprintf("%s_id", name)
                                    : tq_xstrdup(name);
    const tq_dialect_t *d = tq_dialect_for(tq_ctx_db(ctx));
    tq_buf_ident(b, *col);
    tq_buf_addc(b, ' ');
    switch (f->kind) {
    case FK_AUTO: tq_buf_add(b, d->auto_key_type); break;
    case FK_FLOAT: tq_buf_add(b, d->float_type); break;
    case FK_DATETIME: tq_buf_add(b, d->datetime_type); break;
    default:
        assert(field_sql[f->kind]);
        tq_buf_printf(b, field_sql[f->kind], (long long)f->max_length);
    }
    if (!f->null || f->primary_key)
        tq_buf_add(b, " NOT NULL");
    if (f->primary_key)
        tq_buf_add(b, " PRIMARY KEY");
    if (f->unique && !f->primary_key)
        tq_buf_add(b, " UNIQUE");
    if (f->dflt && f->kind == FK_BOOLEAN && tq_kind(f->dflt) == TQ_BOOL) {
        /* PostgreSQL's boolean takes no 0 or 1 */
        tq_buf_add(b, " DEFAULT ");
        tq_buf_add(b, tq_as_bool_raw(f->dflt) ? d->true_sql : d->false_sql);
    } else if (f->dflt && tq_kind(f->dflt) != TQ_NATIVE) {
        qlit_t l;
        if (db_value_lit(ctx, f->dflt, &l) < 0) {
            free(owned);
            return -1;
        }
        tq_buf_add(b, " DEFAULT ");
        qlit_sql(b, &l);
        qlit_clear(&l);
    }
    if (target) {
        const tq_schema_t *s = db_schema(ctx);
        if (!s) {
            free(owned);
            return -1;
        }
        if (d->fk_target_first && !tq_schema_table(s, schema, target) &&
            strcmp(target, table)) {
            db_state_t *st = db_state(ctx);
            pending_fk_t p = {tq_xstrdup(schema), tq_xstrdup(table),
                              tq_xstrdup(*col), tq_xstrdup(target),
                              f->on_delete ? tq_xstrdup(f->on_delete)
                                           : NULL};
            TQ_PUSH(st->pending, st->npending, st->pcap, p);
        } else {
            references_sql(b, target, f->on_delete);
        }
    }
    free(owned);
    return 0;
}

/* Runs the one DDL statement `sql`; 0, or -1 with the error raised. */
static int exec_sql(tq_ctx_t *ctx, const char *sql)
{
    assert(ctx && sql);
    tqdb_conn_t *db = tq_ctx_db(ctx);
    assert(db);
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, sql, &cur, NULL) == 0) {
        assert(cur);    /* a statement, never blank */
        int rc = tqdb_step(cur);
        tqdb_cursor_free(&cur);
        if (rc == TQDB_DONE)
            return 0;
    }
    tq_raise_db(ctx);
    return -1;
}

/* tq_model_declare: see query.h. */
tq_value_t *tq_model_declare(tq_ctx_t *ctx, const char *name,
                             const tq_args_t *a, tq_value_t *body)
{
    meta_t meta = {0};
    tq_value_t *fields = tq_dict_new();
    tq_value_t *result = NULL, *choices = NULL, *ptr_field = NULL;
    const char *parent = NULL;      /* polymorphic child: the parent table */
    char *ptr_name = NULL;
    char *main_schema = NULL;   /* the default schema, once the table is known */
    bool model_base = false;
    for (size_t i = 0; i < a->npos; i++) {
        tq_value_t *b = a->pos[i];
        if (tq_is_native(b, &mbase_type)) {
            mbase_t *m = tq_native_data(b);
            if (m->fields)
                collect_fields(fields, m->fields);
            /* Meta keywords of abstract bases are inherited */
            meta.kw.timestamped |= m->meta.timestamped;
            meta.kw.timeframed |= m->meta.timeframed;
            meta.kw.status |= m->meta.status;
            meta.kw.soft_deletable |= m->meta.soft_deletable;
            meta.kw.polymorphic |= m->meta.polymorphic;
            if (m->meta.choices)
                meta.kw.choices = m->meta.choices;
            model_base = true;
        } else if (qs_is_manager(b)) {
            qdesc_t *bq = qs_desc(b);
            const model_meta_t *bm = model_meta_find(ctx, bq->schema,
                                                     bq->table);
            if (!bm || !bm->polymorphic || bm->parent || parent ||
                strcmp(bq->schema, tq_schema_main(db_schema(ctx)))) {
                tq_raise(ctx, "TypeError",
                         bm && bm->parent
                             ? "a subclass of the polymorphic child %s is "
                               "not supported yet (one level of inheritance)"
                             : "inheriting from the concrete model %s "
                               "(multi-table inheritance) needs a "
                               "polymorphic=True base",
                         bq->table);
                goto out;
            }
            /* a child table of a polymorphic model: its primary key is
             * the parent link <parent>_ptr_id */
            parent = bq->table;
            ptr_field = tq_native_new(&field_type,
                                      tq_xcalloc(1, sizeof(field_t)));
            field_t *f = tq_native_data(ptr_field);
            f->kind = FK_FOREIGNKEY;
            f->to = tq_incref(b);
            f->primary_key = true;
            f->on_delete = tq_xstrdup("CASCADE");
            meta.kw.polymorphic = true;
            model_base = true;
        }
    }
    if (!model_base) {
        tq_raise(ctx, "TypeError",
                 "class %s must derive from Model (class %s(Model): ...)",
                 name, name);
        goto out;
    }
    for (size_t i = 0; i < a->nkw; i++)
        if (meta_keyword(ctx, &meta, a->kwnames[i], a->kwvalues[i]) < 0)
            goto out;
    tq_value_t *mt = tq_dict_get_str(body, "Meta");
    if (mt && tq_kind(mt) == TQ_DICT)
        for (size_t i = 0; i < tq_dict_len(mt); i++) {
            tq_value_t *k = tq_dict_key_at(mt, i);
            if (tq_kind(k) == TQ_STR &&
                meta_keyword(ctx, &meta, tq_as_str(k),
                             tq_dict_value_at(mt, i)) < 0)
                goto out;
        }
    collect_fields(fields, body);
    tq_value_t *sv = tq_dict_get_str(body, "STATUS");
    if (sv) {
        choices = status_choices(ctx, sv);
        if (!choices)
            goto out;
        meta.kw.choices = choices;
    }
    if (meta.kw.status && !meta.kw.choices) {
        choices = tq_tuple_new(2);
        tq_tuple_set(choices, 0, tq_str("draft"));
        tq_tuple_set(choices, 1, tq_str("published"));
        meta.kw.choices = choices;
    }
    if (parent && meta.abstract) {
        tq_raise(ctx, "TypeError",
                 "an abstract model cannot derive from the model %s", parent);
        goto out;
    }
    if (meta.abstract) {
        result = mbase_new(name, tq_incref(fields));
        mbase_t *m = tq_native_data(result);
        m->meta = meta.kw;
        tq_incref(m->meta.choices);
        goto out;
    }
    if (parent) {
        /* the parent link first, then the child's own fields */
        tq_value_t *own = fields;
        fields = tq_dict_new();
        ptr_name = tq_xasprintf("%s_ptr", parent);
        tq_dict_set_str(fields, ptr_name, ptr_field);
        collect_fields(fields, own);
        tq_decref(own);
        meta.kw.parent = (char *)parent;
        meta.kw.polymorphic = true;
        free(ptr_name);
        ptr_name = tq_xasprintf("%s_ptr_id", parent);
        meta.kw.ptr = ptr_name;
    } else if (meta.kw.polymorphic) {
        add_field(fields, "ctype", meta_field(FK_CHAR, true, NULL));
    }
    if (add_meta_fields(ctx, fields, &meta.kw, name) < 0)
        goto out;
    char *table = meta.db_table ? tq_xstrdup(meta.db_table) : snake(name);
    const tq_schema_t *s = db_schema(ctx);
    if (!s) {
        free(table);
        goto out;
    }
    /* the default schema's name outlives s (refreshed after DDL) */
    main_schema = tq_xstrdup(tq_schema_main(s));
    const tq_stable_t *t = tq_schema_table(s, main_schema, table);
    bool has_pk = false;
    for (size_t i = 0; i < tq_dict_len(fields); i++)
        has_pk |= ((field_t *)tq_native_data(tq_dict_value_at(fields, i)))
                      ->primary_key;
    if (!t) {
        tq_buf_t b = {0};
        tq_buf_add(&b, "CREATE TABLE ");
        tq_buf_ident(&b, table);
        tq_buf_add(&b, " (");
        if (!has_pk)
            tq_buf_printf(&b, "\"id\" %s NOT NULL PRIMARY KEY",
                          tq_dialect_for(tq_ctx_db(ctx))->auto_key_type);
        for (size_t i = 0; i < tq_dict_len(fields); i++) {
            if (!has_pk || i)
                tq_buf_add(&b, ", ");
            char *col = NULL;
            int rc = column_def(ctx, name,
                                tq_as_str(tq_dict_key_at(fields, i)),
                                tq_native_data(tq_dict_value_at(fields, i)),
                                &b, &col, main_schema, table);
            free(col);
            if (rc < 0) {
                tq_buf_free(&b);
                free(table);
                goto out;
            }
        }
        tq_buf_addc(&b, ')');
        int rc = exec_sql(ctx, b.s);
        tq_buf_free(&b);
        if (rc < 0) {
            free(table);
            goto out;
        }
    } else {
        for (size_t i = 0; i < tq_dict_len(fields); i++) {
            tq_buf_t def = {0};
            char *col = NULL;
            field_t *f = tq_native_data(tq_dict_value_at(fields, i));
            if (column_def(ctx, name, tq_as_str(tq_dict_key_at(fields, i)), f,
                           &def, &col, main_schema, table) < 0) {
                tq_buf_free(&def);
                free(table);
                goto out;
            }
            if (tq_stable_col(t, col) == -1) {
                if (f->primary_key || (!f->null && !f->dflt)) {
                    /* SQLite cannot add such a column to existing rows */
                    tq_buf_free(&def);
                    tq_raise(ctx, "ValueError",
                             "cannot add column '%s' to table '%s': a new "
                             "NOT NULL column needs a default",
                             col, table);
                    free(col);
                    free(table);
                    goto out;
                }
                tq_buf_t sql = {0};
                tq_buf_add(&sql, "ALTER TABLE ");
                if (tq_schema_shadowed(s, main_schema, table)) {
                    tq_buf_ident(&sql, main_schema);   /* not temp's */
                    tq_buf_addc(&sql, '.');
                }
                tq_buf_ident(&sql, table);
                tq_buf_add(&sql, " ADD COLUMN ");
                tq_buf_add(&sql, def.s);
                int rc = exec_sql(ctx, sql.s);
                tq_buf_free(&sql);
                if (rc < 0) {
                    tq_buf_free(&def);
                    free(col);
                    free(table);
                    goto out;
                }
                char *msg = tq_xasprintf("Added column %s to table %s\n", col,
                                         table);
                tq_ctx_print(ctx, msg, strlen(msg));
                free(msg);
            }
            tq_buf_free(&def);
            free(col);
        }
    }
    if (tq_schema_refresh(ctx) == 0 &&
        resolve_pending(ctx, NULL, NULL, false) == 0) {
        model_meta_register(ctx, main_schema, table, &meta.kw);
        result = model_default_manager(ctx, main_schema, table);
    }
    free(table);
out:
    free(main_schema);
    free(meta.db_table);
    free(ptr_name);
    tq_decref(ptr_field);
    tq_decref(choices);
    tq_decref(fields);
    return result;
}

/* ---- decorators */

static tq_value_t *register_method(tq_ctx_t *ctx, tq_value_t *self,
                                   const tq_args_t *a, bool manager)
{
    /* self: tuple (manager) */
    tq_value_t *mgr = tq_seq_get(self, 0);
    if (a->npos != 1 || (tq_kind(a->pos[0]) != TQ_FUNCTION &&
                         tq_kind(a->pos[0]) != TQ_BUILTIN))
        return tq_raise(ctx, "TypeError", "the decorator takes a function");
    tq_value_t *fn = a->pos[0];
    tq_value_t *nm = tq_getattr(ctx, fn, "__name__");
    if (!nm)
        return NULL;
    qdesc_t *q = qs_desc(mgr);
    db_state_t *st = db_state(ctx);
    db_method_t m = {0};
    m.schema = tq_xstrdup(q->schema);
    m.table = tq_xstrdup(q->table);
    m.name = tq_xstrdup(tq_as_str(nm));
    m.fn = tq_incref(fn);
    m.manager = manager;
    TQ_PUSH(st->methods, st->nmethods, st->mcap, m);
    tq_decref(nm);
    return tq_incref(fn);
}

static tq_value_t *apply_manager(tq_ctx_t *ctx, tq_value_t *self,
                                 const tq_args_t *a)
{
    return register_method(ctx, self, a, true);
}

static tq_value_t *apply_queryset(tq_ctx_t *ctx, tq_value_t *self,
                                  const tq_args_t *a)
{
    return register_method(ctx, self, a, false);
}

static tq_value_t *decorator(tq_ctx_t *ctx, const tq_args_t *a, bool manager)
{
    if (a->npos != 1 || !qs_desc(a->pos[0]))
        return tq_raise(ctx, "TypeError", "%s() takes a model (a manager)",
                        manager ? "manager_method" : "queryset_method");
    tq_value_t *t = tq_tuple_new(1);
    tq_tuple_set(t, 0, tq_incref(a->pos[0]));
    tq_value_t *r = tq_builtin_new(manager ? "manager_method"
                                           : "queryset_method",
                                   manager ? apply_manager : apply_queryset,
                                   t);
    tq_decref(t);
    return r;
}

static tq_value_t *bi_manager_method(tq_ctx_t *ctx, tq_value_t *self,
                                     const tq_args_t *a)
{
    return decorator(ctx, a, true);
}

static tq_value_t *bi_queryset_method(tq_ctx_t *ctx, tq_value_t *self,
                                      const tq_args_t *a)
{
    return decorator(ctx, a, false);
}

/* Row(*values, **named): a Row built by hand. */
static tq_value_t *bi_row(tq_ctx_t *ctx, tq_value_t *self, const tq_args_t *a)
{
    size_t n = a->npos + a->nkw;
    char **names = tq_xcalloc(n ? n : 1, sizeof *names);
    tq_value_t **vals = tq_xcalloc(n ? n : 1, sizeof *vals);
    for (size_t i = 0; i < n; i++) {
        names[i] = i < a->npos ? tq_xasprintf("_%zu", i)
                               : tq_xstrdup(a->kwnames[i - a->npos]);
        vals[i] = tq_incref(i < a->npos ? a->pos[i]
                                        : a->kwvalues[i - a->npos]);
    }
    tq_value_t *r = row_new(n, names, vals);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r;
}

/* Choices('draft', 'published'): the tuple of choices. */
static tq_value_t *bi_choices(tq_ctx_t *ctx, tq_value_t *self,
                              const tq_args_t *a)
{
    tq_value_t *t = tq_tuple_new(a->npos);
    for (size_t i = 0; i < a->npos; i++)
        tq_tuple_set(t, i, tq_incref(a->pos[i]));
    return t;
}

/* model_register_builtins: see queryset.h. */
void model_register_builtins(tq_ctx_t *ctx)
{
    tq_value_t *v = mbase_new("Model", NULL);
    tq_ctx_define_builtin(ctx, "Model", v);
    tq_decref(v);
    for (size_t i = 0; i < FK__COUNT; i++) {
        v = tq_builtin_new(field_names[i], field_fns[i], NULL);
        tq_ctx_define_builtin(ctx, field_names[i], v);
        tq_decref(v);
    }
    static const char *const on_delete[] = {"CASCADE", "PROTECT", "SET_NULL",
                                            "DO_NOTHING", "RESTRICT"};
    static const char *const on_delete_sql[] = {"CASCADE", "RESTRICT",
                                                "SET NULL", "NO ACTION",
                                                "RESTRICT"};
    for (size_t i = 0; i < 5; i++) {
        v = tq_str(on_delete_sql[i]);
        tq_ctx_define_builtin(ctx, on_delete[i], v);
        tq_decref(v);
    }
    static const struct {
        const char *name;
        tq_builtin_fn fn;
    } fns[] = {{"manager_method", bi_manager_method},
               {"queryset_method", bi_queryset_method},
               {"Row", bi_row},
               {"Choices", bi_choices}};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        v = tq_builtin_new(fns[i].name, fns[i].fn, NULL);
        tq_ctx_define_builtin(ctx, fns[i].name, v);
        tq_decref(v);
    }
}
