/*
 * This file implements pandas' `.dt` accessor on a frame's Series
 * (LANGUAGE.md section 12): df['start_time'].dt.year is a new Series
 * whose values are computed in SQL over the same store, as every Series
 * is (frame.h), with the extraction functions of sql/funcs.h or the
 * lookups' transforms (sql/lookups.h). Nothing is read row by row.
 *
 * Properties: year month day hour minute second (integers), weekday and
 * dayofweek (Monday 0 to Sunday 6, as pandas), date (the date part), as
 * pandas names them. minute and second need a column (df['c'].dt.minute),
 * not a computed Series.
 */
#include "frame/frame.h"

#include <assert.h>
#include <string.h>

typedef struct dtacc {
    tq_value_t *series;         /* the Series the accessor reads */
} dtacc_t;

static void dtacc_destroy(void *p)
{
    dtacc_t *d = p;
    tq_decref(d->series);
    free(d);
}

static char *dtacc_repr(tq_ctx_t *ctx, tq_value_t *self)
{
    (void)ctx;
    (void)self;
    return tq_xstrdup("<pandas.core.indexes.accessors."
                      "DatetimeProperties object>");
}

/* Extract<part>(e) as an expression (new reference). */
static qexpr_t *func_of(qx_func_t f, qexpr_t *e)
{
    qexpr_t *x = qx_new(QX_FUNC);
    x->op = f;
    qx_push(x, qx_ref(e));
    return x;
}

static tq_value_t *dtacc_getattr(tq_ctx_t *ctx, tq_value_t *self,
                                 const char *name)
{
    dtacc_t *d = tq_native_data(self);
    frame_t *f = tq_native_data(d->series);
    assert(f->series && f->expr);
    static const struct {
        const char *name;
        qx_func_t func;
    } parts[] = {
        {"year", QF_EXTRACTYEAR}, {"month", QF_EXTRACTMONTH},
        {"day", QF_EXTRACTDAY}, {"hour", QF_EXTRACTHOUR},
        {"date", QF_TRUNCDATE},
    };
    qexpr_t *e = NULL;
    for (size_t i = 0; i < sizeof parts / sizeof *parts && !e; i++)
        if (!strcmp(parts[i].name, name))
            e = func_of(parts[i].func, f->expr);
    if (!e && (!strcmp(name, "weekday") || !strcmp(name, "dayofweek") ||
               !strcmp(name, "day_of_week"))) {
        /* ExtractWeekDay is Sunday 1 .. Saturday 7; pandas Monday 0 */
        e = qx_bin('%', qx_bin('+', func_of(QF_EXTRACTWEEKDAY, f->expr),
                               qx_lit(qlit_int(5))),
                   qx_lit(qlit_int(7)));
    }
    if (!e && (!strcmp(name, "minute") || !strcmp(name, "second"))) {
        if (f->expr->kind != QX_REF)
            return tq_raise(ctx, "AttributeError",
                            ".dt.%s needs a column of the frame", name);
        char *path = tq_xasprintf("%s__%s", f->expr->name, name);
        e = qx_path(path);
        free(path);
    }
    if (!e)
        return NULL;
    f->st->refs++;
    return frame_series_new(f->st, f->index, f->index_label, e, f->name);
}

static const tq_type_t dtacc_type = {
    .name = "DatetimeProperties",
    .destroy = dtacc_destroy,
    .repr = dtacc_repr,
    .getattr = dtacc_getattr,
};

/* frame_dt_accessor: see frame.h. */
tq_value_t *frame_dt_accessor(tq_ctx_t *ctx, tq_value_t *series)
{
    (void)ctx;
    assert(tq_is_native(series, &tq_series_type));
    dtacc_t *d = tq_xcalloc(1, sizeof *d);
    d->series = tq_incref(series);
    return tq_native_new(&dtacc_type, d);
}
