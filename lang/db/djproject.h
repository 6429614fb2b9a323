/*
 * This file declares what Tabula knows of a Django project: its apps'
 * models as their models.py files declare them (read by orm/django.c
 * without running Python), and the function that lays them over the
 * schema read from the database (djschema.c): model names, tables, Django
 * relation names, many-to-many relations through their join tables and
 * on_delete rules.
 *
 * Ownership: a project owns every string and array in it; free it with
 * tq_djproject_free. tq_schema_apply_django borrows the project.
 */
#ifndef TQ_DJPROJECT_H
#define TQ_DJPROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "db/schema.h"

/* One field of a model, as its class body declares it. */
typedef struct tq_djfield {
    char *name;             /* the attribute: "blog" */
    char *kind;             /* the field class: "ForeignKey", "CharField" */
    char *column;           /* db_column=, or NULL (Django's default) */
    char *to;               /* relations: "app.Model" once resolved */
    tq_ondelete_t on_delete;
    char *related_name;     /* related_name= (may hold %(class)s), or NULL */
    char *related_query_name;
    char *through;          /* many-to-many: "app.Model", or NULL */
    char *db_table;         /* many-to-many: the join table's db_table */
    char *choices;          /* choices= as written (Python text), or NULL */
    char *dflt;             /* default= as written, "@now" for auto_now
                               and auto_now_add, "''" for a string field
                               without one (Django's), or NULL */
    bool null;
    bool primary_key;       /* primary_key=True */
    bool symmetrical_off;   /* symmetrical=False */
} tq_djfield_t;

/* One model class. */
typedef struct tq_djmodel {
    char *app;              /* app label: "blog" */
    char *name;             /* class name: "OrderItem" */
    char *table;            /* db_table (Django's default when not given) */
    bool abstract, proxy;
    char *parent;           /* multi-table inheritance: "app.Model" */
    char *ordering;         /* Meta.ordering as written, or NULL */
    char *unique_together;  /* Meta.unique_together as written, or NULL */
    tq_djfield_t *fields;   /* own fields and those of abstract bases */
    size_t nfields;
} tq_djmodel_t;

/* A project: every app's models and the notes of what was skipped. */
typedef struct tq_djproject {
    char *root;
    char **apps;            /* app labels, in the order found */
    size_t napps;
    tq_djmodel_t *models;
    size_t nmodels;
    char **notes;           /* "blog/models.py:12: skipped method save" */
    size_t nnotes;
} tq_djproject_t;

/* Frees the project and NULLs the caller's pointer. */
void tq_djproject_free(tq_djproject_t **p);
/* The model "app.Model" (or a bare "Model" unique in the project). */
const tq_djmodel_t *tq_djproject_model(const tq_djproject_t *p,
                                       const char *ref);

/* Lays the project's models over schema `s`: tables of concrete models
 * take the model's name as their bare name (app label prefixed when two
 * apps share a class name), relations their Django names and on_delete,
 * many-to-many fields become relations through their join tables,
 * Meta.ordering the tables' dj_ordering (the default order). What
 * cannot be matched in the database (a model without its table) is added
 * to *notes as a malloc'd line (the caller frees them). */
void tq_schema_apply_django(tq_schema_t *s, const tq_djproject_t *p,
                            char ***notes, size_t *nnotes);

#endif
