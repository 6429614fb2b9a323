/*
 * This file compiles Django's lookups and transforms (`__lt`, `__in`,
 * `__icontains`, `__year` ...) into SQL for the compiler (compile.c), and
 * registers on a connection the SQL functions that compiled SQL relies on
 * (REGEXP, tq_iregexp). Year lookups against a literal are sargable:
 * `start_time__year=2025` becomes `start_time >= '2025-01-01' AND
 * start_time < '2026-01-01'`, so an index on the column is used. The
 * engine-specific pieces (transforms, text matching, regex, long `in`
 * lists, boolean constants) are the dialect's hooks (sql/dialect.h).
 */
#include "sql/compile_int.h"
#include "sql/dialect.h"
#include "sql/lookups.h"
#include "base/regex_cost.h"

#include <assert.h>
#include <math.h>
#include <regex.h>
#include <strings.h>

/* The lookups and transforms of sql/lookups.h, in its order. */
static const struct {
    const char *name, *fmt;
    tq_lookup_kind_t kind;
} lookups[] = {
#define X(n, kind, f, doc) {#n, f, TQ_LOOKUP_KIND_##kind},
    TQ_LOOKUPS(X)
#undef X
};

static bool is_kind(const char *name, tq_lookup_kind_t kind)
{
    for (size_t i = 0; i < sizeof lookups / sizeof *lookups; i++)
        if (lookups[i].kind == kind && !strcmp(lookups[i].name, name))
            return true;
    return false;
}

/* tq_is_lookup: see compile_int.h. */
bool tq_is_lookup(const char *name)
{
    return is_kind(name, TQ_LOOKUP_KIND_LOOKUP);
}

/* tq_is_transform: see compile_int.h. */
bool tq_is_transform(const char *name)
{
    return is_kind(name, TQ_LOOKUP_KIND_TRANSFORM);
}

/* The text of a literal for pattern lookups (numbers as SQLite prints). */
static char *lit_text(const qlit_t *l)
{
    switch (l->type) {
    case TQDB_TEXT:
    case TQDB_BLOB: return tq_xstrndup(l->s, l->n);
    case TQDB_INT: return tq_xasprintf("%lld", (long long)l->i);
    case TQDB_FLOAT: return tq_xasprintf("%.15g", l->d);
    default: return NULL;
    }
}

static int rhs_sql(cstate_t *cs, const qexpr_t *rhs, tq_buf_t *b)
{
    return cs_expr(cs, rhs, b);
}

static bool lit_is(const qexpr_t *e, tqdb_type_t type)
{
    return e && e->kind == QX_LIT && e->lit.type == type;
}

/* Sargable year comparison on a bare column against an integer. */
static bool year_range(cstate_t *cs, const char *lhs, const char *lookup,
                       int64_t y, tq_buf_t *b)
{
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%04lld-01-01", (long long)y);
    snprintf(hi, sizeof hi, "%04lld-01-01", (long long)y + 1);
    if (!strcmp(lookup, "exact")) {
        tq_buf_printf(b, "(%s >= ", lhs);
        cs_param(cs, b, qlit_text(lo));
        tq_buf_printf(b, " AND %s < ", lhs);
        cs_param(cs, b, qlit_text(hi));
        tq_buf_addc(b, ')');
    } else if (!strcmp(lookup, "gt") || !strcmp(lookup, "gte")) {
        tq_buf_printf(b, "%s >= ", lhs);
        cs_param(cs, b, qlit_text(lookup[2] ? lo : hi));
    } else if (!strcmp(lookup, "lt") || !strcmp(lookup, "lte")) {
        tq_buf_printf(b, "%s < ", lhs);
        cs_param(cs, b, qlit_text(lookup[2] ? hi : lo));
    } else {
        return false;
    }
    return true;
}

static int pattern_lookup(cstate_t *cs, const char *lhs, const char *lookup,
                          const qexpr_t *rhs, tq_buf_t *b)
{
    bool icase = lookup[0] == 'i' && strcmp(lookup, "in");
    const char *base = icase ? lookup + 1 : lookup;
    tq_match_t m = !strcmp(base, "contains") ? TQ_MATCH_CONTAINS :
                   !strcmp(base, "startswith") ? TQ_MATCH_STARTSWITH :
                   !strcmp(base, "endswith") ? TQ_MATCH_ENDSWITH :
                   TQ_MATCH_EXACT;
    assert(m != TQ_MATCH_EXACT || icase);     /* exact itself is a plain = */
    if (rhs->kind == QX_LIT) {
        char *v = lit_text(&rhs->lit);
        if (!v) {
            /* Django: a None pattern matches nothing */
            tq_buf_add(b, cs->d->false_sql);
            return 0;
        }
        const char *after = "";
        char *pattern = cs->d->match(b, lhs, m, icase, v, &after);
        qlit_t l = {.type = TQDB_TEXT, .s = pattern, .n = strlen(pattern)};
        cs_param(cs, b, l);
        tq_buf_add(b, after);
        free(v);
        return 0;
    }
    /* an expression on the right: compare with functions, no patterns */
    tq_buf_t r1 = {0}, r2 = {0};
    if (rhs_sql(cs, rhs, &r1) < 0) {
        tq_buf_free(&r1);
        return -1;
    }
    int rc = 0;
    bool two = m == TQ_MATCH_STARTSWITH || m == TQ_MATCH_ENDSWITH;
    if (two && rhs_sql(cs, rhs, &r2) < 0)
        rc = -1;
    else
        cs->d->match_expr(b, lhs, m, icase, r1.s, two ? r2.s : NULL);
    tq_buf_free(&r1);
    tq_buf_free(&r2);
    return rc;
}

static bool all_literals(const qexpr_t *l)
{
    for (size_t i = 0; i < l->nargs; i++)
        if (l->args[i]->kind != QX_LIT ||
            l->args[i]->lit.type == TQDB_BLOB ||
            (l->args[i]->lit.type == TQDB_FLOAT &&
             !isfinite(l->args[i]->lit.d)))
            return false;
    return true;
}

/* cs_lookup: see compile_int.h. */
int cs_lookup(cstate_t *cs, const char *lhs_in, bool plain,
              const char *transform, const char *lookup, const qexpr_t *rhs,
              tq_buf_t *b)
{
    tq_buf_t lt = {0};
    const char *lhs = lhs_in;
    if (transform) {
        if (!strcmp(transform, "year") && plain && lookup &&
            lit_is(rhs, TQDB_INT) &&
            year_range(cs, lhs_in, lookup, rhs->lit.i, b))
            return 0;
        cs->d->transform(&lt, transform, lhs_in);
        lhs = lt.s;
    }
    if (!lookup) {                       /* a transform used as a value */
        tq_buf_add(b, lhs);
        tq_buf_free(&lt);
        return 0;
    }
    int rc = 0;
    static const struct {
        const char *name, *op;
    } cmp[] = {{"gt", " > "}, {"gte", " >= "}, {"lt", " < "},
               {"lte", " <= "}};
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(lookup, cmp[i].name)) {
            if (lit_is(rhs, TQDB_NULL)) {
                tq_buf_add(b, cs->d->false_sql);
                goto done;
            }
            tq_buf_add(b, lhs);
            tq_buf_add(b, cmp[i].op);
            rc = rhs_sql(cs, rhs, b);
            goto done;
        }
    if (!strcmp(lookup, "exact") || !strcmp(lookup, "ne")) {
        bool ne = lookup[0] == 'n';
        if (lit_is(rhs, TQDB_NULL)) {
            tq_buf_printf(b, "%s IS %sNULL", lhs, ne ? "NOT " : "");
        } else {
            tq_buf_printf(b, "%s %s ", lhs, ne ? "!=" : "=");
            rc = rhs_sql(cs, rhs, b);
        }
    } else if (!strcmp(lookup, "isnull")) {
        bool yes = rhs->kind == QX_LIT &&
                   ((rhs->lit.type == TQDB_INT && rhs->lit.i) ||
                    (rhs->lit.type == TQDB_FLOAT && rhs->lit.d != 0) ||
                    (rhs->lit.type == TQDB_TEXT && rhs->lit.n));
        if (rhs->kind != QX_LIT) {
            rc = cs_fail(cs, "ValueError",
                         "The QuerySet value for an isnull lookup must be "
                         "True or False.");
            goto done;
        }
        tq_buf_printf(b, "%s IS %sNULL", lhs, yes ? "" : "NOT ");
    } else if (!strcmp(lookup, "in")) {
        if (rhs->kind == QX_LIST && rhs->nargs == 0) {
            tq_buf_add(b, cs->d->false_sql);
        } else if (rhs->kind == QX_LIST && rhs->nargs > cs->d->in_list_max &&
                   all_literals(rhs)) {
            /* a long list is one parameter: engines cap their variables */
            const char *after = "";
            char *list = cs->d->in_list(b, lhs, rhs, &after);
            qlit_t l = {.type = TQDB_TEXT, .s = list, .n = strlen(list)};
            cs_param(cs, b, l);
            tq_buf_add(b, after);
        } else if (rhs->kind == QX_LIST || rhs->kind == QX_SUBQ) {
            tq_buf_printf(b, "%s IN ", lhs);
            rc = rhs_sql(cs, rhs, b);
        } else {
            rc = cs_fail(cs, "TypeError",
                         "'in' lookup needs a list, a tuple or a query set");
        }
    } else if (!strcmp(lookup, "range")) {
        if (rhs->kind != QX_LIST || rhs->nargs != 2) {
            rc = cs_fail(cs, "TypeError",
                         "'range' lookup needs a pair (low, high)");
            goto done;
        }
        tq_buf_printf(b, "%s BETWEEN ", lhs);
        if ((rc = rhs_sql(cs, rhs->args[0], b)) == 0) {
            tq_buf_add(b, " AND ");
            rc = rhs_sql(cs, rhs->args[1], b);
        }
    } else if (!strcmp(lookup, "regex") || !strcmp(lookup, "iregex")) {
        tq_buf_t r = {0};
        /* One regular-expression language on every engine, POSIX's
         * extended (SQLite's REGEXP): a literal pattern it refuses is
         * the same error everywhere, before the engine sees it. */
        if (rhs->kind == QX_LIT && rhs->lit.type == TQDB_TEXT &&
            !tq_regex_simple_enough(rhs->lit.s)) {
            rc = cs_fail(cs, "DatabaseError", "regular expression too "
                         "complex");
            goto done;
        }
        if (rhs->kind == QX_LIT && rhs->lit.type == TQDB_TEXT) {
            regex_t re;
            int bad = regcomp(&re, rhs->lit.s, REG_EXTENDED | REG_NOSUB);
            if (bad) {
                char msg[200];
                regerror(bad, &re, msg, sizeof msg);
                rc = cs_fail(cs, "DatabaseError",
                             "invalid regular expression: %s", msg);
                goto done;
            }
            regfree(&re);
        }
        if ((rc = rhs_sql(cs, rhs, &r)) == 0)
            cs->d->regex(b, lhs, r.s, lookup[0] == 'i');
        tq_buf_free(&r);
    } else if (strstr(lookup, "exact") || strstr(lookup, "contains") ||
               strstr(lookup, "startswith") || strstr(lookup, "endswith")) {
        rc = pattern_lookup(cs, lhs, lookup, rhs, b);
    } else {
        rc = cs_fail(cs, "FieldError", "Unsupported lookup '%s'", lookup);
    }
done:
    tq_buf_free(&lt);
    return rc;
}

/* ---- SQL functions registered on the connection */
