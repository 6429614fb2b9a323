/*
 * This file checks the values of lookups against the field they compare
 * with before any SQL runs, as Django's get_prep_value does, and names
 * fields and lookups in errors as Django names them:
 *   - integer fields (and the integer transforms `__year`, `__month` ...)
 *     take what Python's int() takes: 12, '12', True, and a float is
 *     compared as the number it is (a date part must be whole); 'abc' is `ValueError: Field 'age' expected a number but got
 *     'abc'.` A foreign key checks against the key it points to (Django's
 *     "Field 'id' ...");
 *   - float fields take what float() takes, decimal fields a decimal
 *     number (ValidationError otherwise);
 *   - date and datetime fields (declared date, datetime, timestamp) take
 *     ISO text in Django's formats and get it normalised ('2005-3-1' is
 *     '2005-03-01'); other text is a ValidationError with Django's wording
 *     ("... has an invalid date format ...", "... but it is an invalid
 *     date."). A column declared TEXT (or untyped) gets one check only:
 *     text shaped like a date (YYYY-MM-DD...) must be a real date;
 *   - booleans take True/False, 1/0, 't'/'f', 'True'/'False', '1'/'0'.
 * Only the comparing lookups prepare their value (exact gt gte lt lte, and
 * each item of in and range), as in Django; text lookups take any text.
 * Values that are not literals (F, subqueries) are left alone.
 */
#include "sql/compile_int.h"
#include "sql/lookups.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <strings.h>

typedef enum vkind {
    VK_ANY,
    VK_INT,
    VK_FLOAT,
    VK_DECIMAL,
    VK_DATE,
    VK_DATETIME,
    VK_BOOL,
    VK_TEXT,
} vkind_t;

/* The kind of value a column holds, from its declared type (SQLite's
 * affinity rules, refined by the names Django's SQLite backend declares:
 * date, datetime, decimal, bool). */
static vkind_t decl_kind(const char *decl)
{
    if (!decl || !*decl)
        return VK_ANY;
    char low[64];
    size_t n = 0;
    for (; decl[n] && n + 1 < sizeof low; n++)
        low[n] = (char)tolower((unsigned char)decl[n]);
    low[n] = 0;
    if (strstr(low, "bool"))
        return VK_BOOL;
    if (strstr(low, "int"))
        return VK_INT;
    if (strstr(low, "datetime") || strstr(low, "timestamp"))
        return VK_DATETIME;
    if (strstr(low, "date"))
        return VK_DATE;
    if (strstr(low, "char") || strstr(low, "clob") || strstr(low, "text"))
        return VK_TEXT;
    if (strstr(low, "real") || strstr(low, "floa") || strstr(low, "doub"))
        return VK_FLOAT;
    if (strstr(low, "dec") || strstr(low, "num"))
        return VK_DECIMAL;
    return VK_ANY;
}

/* cs_field_class: see compile_int.h. */
const char *cs_field_class(const tq_scol_t *col, bool fk)
{
    if (fk)
        return "ForeignKey";
    if (!col)
        return "Field";
    if (col->pk && decl_kind(col->decltype) == VK_INT)
        return "AutoField";
    switch (decl_kind(col->decltype)) {
    case VK_INT: return "IntegerField";
    case VK_FLOAT: return "FloatField";
    case VK_DECIMAL: return "DecimalField";
    case VK_DATE: return "DateField";
    case VK_DATETIME: return "DateTimeField";
    case VK_BOOL: return "BooleanField";
    case VK_TEXT:
        return strncasecmp(col->decltype, "text", 4) ? "CharField"
                                                      : "TextField";
    default: return "Field";
    }
}

/* Python's repr of a str (quotes as Python picks them). */
static void py_repr(tq_buf_t *b, const char *s, size_t n)
{
    bool sq = memchr(s, '\'', n) != NULL, dq = memchr(s, '"', n) != NULL;
    char q = sq && !dq ? '"' : '\'';
    tq_buf_addc(b, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)q || c == '\\') {
            tq_buf_addc(b, '\\');
            tq_buf_addc(b, (char)c);
        } else if (c == '\n') {
            tq_buf_add(b, "\\n");
        } else if (c == '\t') {
            tq_buf_add(b, "\\t");
        } else if (c < 0x20) {
            tq_buf_printf(b, "\\x%02x", c);
        } else {
            tq_buf_addc(b, (char)c);
        }
    }
    tq_buf_addc(b, q);
}

/* Python's repr of a literal, for "expected a number but got ...". */
static char *lit_repr(const qlit_t *l)
{
    tq_buf_t b = {0};
    switch (l->type) {
    case TQDB_TEXT: py_repr(&b, l->s ? l->s : "", l->n); break;
    case TQDB_INT: tq_buf_printf(&b, "%lld", (long long)l->i); break;
    case TQDB_FLOAT: tq_buf_printf(&b, "%.17g", l->d); break;
    case TQDB_NULL: tq_buf_add(&b, "None"); break;
    default: tq_buf_add(&b, "b'...'"); break;
    }
    return tq_buf_take(&b);
}

static const char *skip_space(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Python's int(text): optional spaces and sign, digits with single
 * underscores between them. */
static bool parse_int(const char *s, int64_t *out)
{
    const char *p = skip_space(s);
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!isdigit((unsigned char)*p))
        return false;
    char digits[32];
    size_t n = 0;
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n + 1 >= sizeof digits)
                return false;
            digits[n++] = *p;
        } else if (*p == '_' && isdigit((unsigned char)p[1]) &&
                   isdigit((unsigned char)p[-1])) {
            continue;
        } else {
            break;
        }
    }
    if (*skip_space(p))
        return false;
    digits[n] = 0;
    errno = 0;
    long long v = strtoll(digits, NULL, 10);
    if (errno)
        return false;
    *out = neg ? -v : v;
    return true;
}

/* Python's float(text). */
static bool parse_float(const char *s, double *out)
{
    const char *p = skip_space(s);
    if (!*p)
        return false;
    char *end;
    errno = 0;
    double d = strtod(p, &end);
    if (end == p || *skip_space(end))
        return false;
    *out = d;
    return true;
}

static int ndigits(const char *p, int min, int max)
{
    int n = 0;
    while (n < max && isdigit((unsigned char)p[n]))
        n++;
    return n >= min ? n : 0;
}

static int num(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

static bool real_date(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Django's date_re at the start of s: YYYY-M[M]-D[D]; the length
 * matched, or 0. */
static size_t match_date(const char *s, int *y, int *m, int *d)
{
    int a = ndigits(s, 4, 4);
    if (!a || s[4] != '-')
        return 0;
    int b = ndigits(s + 5, 1, 2);
    if (!b || s[5 + b] != '-')
        return 0;
    int c = ndigits(s + 6 + b, 1, 2);
    if (!c)
        return 0;
    *y = num(s, 4);
    *m = num(s + 5, b);
    *d = num(s + 6 + b, c);
    return (size_t)(6 + b + c);
}

typedef enum dres { D_OK, D_FORMAT, D_BAD_DATE, D_BAD_TIME } dres_t;

/* Django's parse_datetime: date, [T ], H[H]:M[M][:S[S][.ffffff]], spaces,
 * an optional zone; the normalised text into out. */
static dres_t parse_datetime(const char *s, tq_buf_t *out)
{
    int y, mo, d;
    size_t n = match_date(s, &y, &mo, &d);
    if (!n || (s[n] != 'T' && s[n] != ' '))
        return D_FORMAT;
    const char *p = s + n + 1;
    int a = ndigits(p, 1, 2);
    if (!a || p[a] != ':')
        return D_FORMAT;
    int h = num(p, a);
    p += a + 1;
    int b = ndigits(p, 1, 2);
    if (!b)
        return D_FORMAT;
    int mi = num(p, b), sec = 0, us = 0;
    p += b;
    bool has_us = false;
    if (*p == ':') {
        int c = ndigits(p + 1, 1, 2);
        if (!c)
            return D_FORMAT;
        sec = num(p + 1, c);
        p += 1 + c;
        if (*p == '.' || *p == ',') {
            int f = ndigits(p + 1, 1, 12);
            if (!f)
                return D_FORMAT;
            char frac[7] = "000000";
            memcpy(frac, p + 1, (size_t)(f < 6 ? f : 6));
            us = atoi(frac);
            has_us = true;
            p += 1 + f;
        }
    }
    p = skip_space(p);
    const char *zone = p;
    if (*p == 'Z') {
        p++;
    } else if ((*p == '+' || *p == '-') && ndigits(p + 1, 2, 2)) {
        p += 3;
        if (*p == ':')
            p++;
        if (ndigits(p, 2, 2))
            p += 2;
    }
    if (*p)
        return D_FORMAT;
    if (!real_date(y, mo, d) || h > 23 || mi > 59 || sec > 59)
        return D_BAD_TIME;
    tq_buf_printf(out, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, sec);
    if (has_us && us)
        tq_buf_printf(out, ".%06d", us);
    if (zone < p)
        tq_buf_addn(out, zone, (size_t)(p - zone));
    return D_OK;
}

/* Django's parse_date on the whole text; the normalised date into out. */
static dres_t parse_date(const char *s, tq_buf_t *out)
{
    int y, m, d;
    size_t n = match_date(s, &y, &m, &d);
    if (!n || s[n])
        return D_FORMAT;
    if (!real_date(y, m, d))
        return D_BAD_DATE;
    tq_buf_printf(out, "%04d-%02d-%02d", y, m, d);
    return D_OK;
}

static int fail_validation(cstate_t *cs, const char *s, const char *what)
{
    /* Django quotes the value in curly quotes, and a ValidationError
     * shows as the list of its messages */
    return cs_fail(cs, "ValidationError",
                   "['\xe2\x80\x9c%s\xe2\x80\x9d %s']", s, what);
}

static int fail_number(cstate_t *cs, const char *field, const qlit_t *l)
{
    char *r = lit_repr(l);
    cs_fail(cs, "ValueError", "Field '%s' expected a number but got %s.",
            field, r);
    free(r);
    return -1;
}

/* Prepares one literal for a field of kind k (part: a date part such as
 * `__year`): 0 with *out set (a copy, possibly converted), or -1 with the
 * error set. */
static int prep_lit(cstate_t *cs, vkind_t k, bool part, const char *field,
                    const qlit_t *l, qlit_t *out)
{
    /* a varchar or char column holds names, not dates */
    const tq_scol_t *col = cs->last_col;
    bool char_field = k == VK_TEXT && col && col->decltype &&
                      strncasecmp(col->decltype, "text", 4);
    *out = qlit_copy(l);
    if (l->type == TQDB_NULL || l->type == TQDB_BLOB)
        return 0;
    const char *s = l->type == TQDB_TEXT ? (l->s ? l->s : "") : NULL;
    if (s && strlen(s) != l->n)
        return 0;                      /* text with NUL bytes: as given */
    switch (k) {
    case VK_INT:
        if (l->type == TQDB_FLOAT) {
            if (isnan(l->d))
                return cs_fail(cs, "ValueError",
                               "Field '%s' expected a number but got nan.",
                               field);
            /* a column compares with the number as it is; a date part
             * (`__year`) is whole, so a fraction is an error (Django
             * would truncate it with int()) */
            if (part && l->d != trunc(l->d))
                return cs_fail(cs, "ValueError",
                               "Field '%s' expected a whole number but got "
                               "%.17g.",
                               field, l->d);
        } else if (s) {
            int64_t v;
            if (!parse_int(s, &v)) {
                qlit_clear(out);
                return fail_number(cs, field, l);
            }
            qlit_clear(out);
            *out = qlit_int(v);
        }
        return 0;
    case VK_FLOAT:
        if (s) {
            double d;
            if (!parse_float(s, &d)) {
                qlit_clear(out);
                return fail_number(cs, field, l);
            }
            qlit_clear(out);
            *out = qlit_float(d);
        }
        return 0;
    case VK_DECIMAL:
        if (s) {
            double d;
            if (!parse_float(s, &d) || !isfinite(d)) {
                qlit_clear(out);
                return fail_validation(cs, s, "value must be a decimal "
                                              "number.");
            }
        }
        return 0;
    case VK_BOOL:
        if (l->type == TQDB_INT && (l->i == 0 || l->i == 1))
            return 0;
        if (s && (!strcmp(s, "t") || !strcmp(s, "True") || !strcmp(s, "1"))) {
            qlit_clear(out);
            *out = qlit_int(1);
            return 0;
        }
        if (s && (!strcmp(s, "f") || !strcmp(s, "False") || !strcmp(s, "0"))) {
            qlit_clear(out);
            *out = qlit_int(0);
            return 0;
        }
        {
            char *r = lit_repr(l);
            if (l->type == TQDB_TEXT) {
                free(r);
                r = tq_xstrdup(s);
            }
            qlit_clear(out);
            fail_validation(cs, r, "value must be either True or False.");
            free(r);
        }
        return -1;
    case VK_DATE:
    case VK_DATETIME: {
        if (!s) {
            qlit_clear(out);
            return cs_fail(cs, "TypeError", "expected string or bytes-like "
                                            "object, got '%s'",
                           l->type == TQDB_INT ? "int" : "float");
        }
        tq_buf_t norm = {0};
        dres_t r;
        if (k == VK_DATE) {
            r = parse_date(s, &norm);
            if (r == D_FORMAT) {
                /* a datetime's text on a date field: its date, as
                 * DateField.to_python takes a datetime */
                tq_buf_t dt = {0};
                if (parse_datetime(s, &dt) == D_OK) {
                    tq_buf_addn(&norm, dt.s, 10);
                    r = D_OK;
                }
                tq_buf_free(&dt);
            }
        } else {
            r = parse_datetime(s, &norm);
            if (r == D_FORMAT) {
                norm.len = 0;
                r = parse_date(s, &norm);
                if (r == D_OK)
                    tq_buf_add(&norm, " 00:00:00");
            }
        }
        qlit_clear(out);
        if (r == D_OK) {
            *out = qlit_text(norm.s);
            tq_buf_free(&norm);
            return 0;
        }
        tq_buf_free(&norm);
        if (r == D_BAD_DATE)
            return fail_validation(cs, s, "value has the correct format "
                                          "(YYYY-MM-DD) but it is an invalid "
                                          "date.");
        if (r == D_BAD_TIME)
            return fail_validation(cs, s, "value has the correct format "
                                          "(YYYY-MM-DD HH:MM[:ss[.uuuuuu]]"
                                          "[TZ]) but it is an invalid "
                                          "date/time.");
        if (k == VK_DATE)
            return fail_validation(cs, s, "value has an invalid date format. "
                                          "It must be in YYYY-MM-DD format.");
        return fail_validation(cs, s, "value has an invalid format. It must "
                                      "be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]]"
                                      "[TZ] format.");
    }
    case VK_TEXT:
    case VK_ANY:
        if (s && !char_field) {
            /* text shaped like a date must be a real date */
            int y, m, d;
            size_t n = match_date(s, &y, &m, &d);
            if (n && (!s[n] || s[n] == ' ' || s[n] == 'T') &&
                !real_date(y, m, d)) {
                qlit_clear(out);
                return fail_validation(cs, s, "value has the correct format "
                                              "(YYYY-MM-DD) but it is an "
                                              "invalid date.");
            }
        }
        return 0;
    }
    return 0;
}

/* True for the lookups whose value Django prepares with the field. */
static bool prepares(const char *lookup)
{
    static const char *const names[] = {"exact", "gt", "gte", "lt", "lte",
                                        "in", "range", "ne"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(lookup, names[i]))
            return true;
    return false;
}

/* cs_prep_value: see compile_int.h. */
int cs_prep_value(cstate_t *cs, const char *transform, const char *lookup,
                  const qexpr_t *rhs, qexpr_t **out)
{
    assert(cs && lookup && rhs && out);
    *out = qx_ref((qexpr_t *)rhs);
    const tq_scol_t *col = cs->last_col;
    if (!prepares(lookup) || (!col && !transform))
        return 0;
    vkind_t k = col ? decl_kind(col->decltype) : VK_ANY;
    const char *field = cs->last_field ? cs->last_field : "None";
    char *tname = NULL;
    if (transform) {
        bool date = !strcmp(transform, "date");
        k = date ? VK_DATE : VK_INT;
        tname = tq_xasprintf("%s__%s", field, transform);
        field = tname;
    }
    int rc = 0;
    if (rhs->kind == QX_LIT) {
        qlit_t l;
        rc = prep_lit(cs, k, transform != NULL, field, &rhs->lit, &l);
        if (rc == 0) {
            qx_unref(*out);
            *out = qx_lit(l);
        }
    } else if (rhs->kind == QX_LIST) {
        qexpr_t *list = qx_new(QX_LIST);
        for (size_t i = 0; i < rhs->nargs && rc == 0; i++) {
            const qexpr_t *a = rhs->args[i];
            if (a->kind != QX_LIT) {
                qx_push(list, qx_ref((qexpr_t *)a));
                continue;
            }
            qlit_t l;
            rc = prep_lit(cs, k, transform != NULL, field, &a->lit, &l);
            if (rc == 0)
                qx_push(list, qx_lit(l));
        }
        qx_unref(*out);
        *out = list;
    }
    free(tname);
    if (rc < 0) {
        qx_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- near misses of lookups */

/* The length of the longest common block of a[alo..ahi) and b[blo..bhi),
 * its start in each, as difflib's find_longest_match (without junk). */
static size_t longest_block(const char *a, size_t alo, size_t ahi,
                            const char *b, size_t blo, size_t bhi,
                            size_t *ai, size_t *bi)
{
    size_t best = 0;
    *ai = alo;
    *bi = blo;
    for (size_t i = alo; i < ahi; i++)
        for (size_t j = blo; j < bhi; j++) {
            size_t k = 0;
            while (i + k < ahi && j + k < bhi && a[i + k] == b[j + k])
                k++;
            if (k > best) {
                best = k;
                *ai = i;
                *bi = j;
            }
        }
    return best;
}

/* The number of matching characters, as difflib's get_matching_blocks. */
static size_t matching(const char *a, size_t alo, size_t ahi, const char *b,
                       size_t blo, size_t bhi, int depth)
{
    if (alo >= ahi || blo >= bhi || depth > 64)
        return 0;
    size_t i, j;
    size_t k = longest_block(a, alo, ahi, b, blo, bhi, &i, &j);
    if (!k)
        return 0;
    return k + matching(a, alo, i, b, blo, j, depth + 1) +
           matching(a, i + k, ahi, b, j + k, bhi, depth + 1);
}

/* difflib.SequenceMatcher(None, a, b).ratio() */
static double ratio(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (!na && !nb)
        return 1.0;
    return 2.0 * (double)matching(a, 0, na, b, 0, nb, 0) /
           (double)(na + nb);
}

/* Words a user may type for a comparison, and the lookups they mean. */
static const struct {
    const char *prefix;
    const char *hint;
} lookup_words[] = {
    {"les", "lt or lte"},     {"smaller", "lt or lte"},
    {"below", "lt or lte"},   {"under", "lt or lte"},
    {"great", "gt or gte"},   {"more", "gt or gte"},
    {"above", "gt or gte"},   {"over", "gt or gte"},
    {"equal", "exact"},       {"eq", "exact"},
    {"like", "contains or icontains"},
    {"between", "range"},     {"not", "ne"},
};

/* cs_lookup_hint: see compile_int.h. */
char *cs_lookup_hint(const char *name, const tq_scol_t *col)
{
    assert(name);
    static const struct {
        const char *name;
        bool transform;
    } all[] = {
#define X(n, kind, f, doc) {#n, TQ_LOOKUP_KIND_##kind == \
                                    TQ_LOOKUP_KIND_TRANSFORM},
        TQ_LOOKUPS(X)
#undef X
    };
    vkind_t k = col ? decl_kind(col->decltype) : VK_ANY;
    bool dates = k == VK_ANY || k == VK_TEXT || k == VK_DATE ||
                 k == VK_DATETIME;
    const char *cands[sizeof all / sizeof *all];
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (!all[i].transform || dates)
            cands[n++] = all[i].name;
    /* difflib.get_close_matches(name, cands): up to 3 with a ratio of at
     * least 0.6, best first */
    const char *best[3] = {0};
    double score[3] = {0};
    for (size_t i = 0; i < n; i++) {
        double r = ratio(name, cands[i]);
        if (r < 0.6)
            continue;
        for (int k = 0; k < 3; k++)
            if (!best[k] || r > score[k]) {
                for (int m = 2; m > k; m--) {
                    best[m] = best[m - 1];
                    score[m] = score[m - 1];
                }
                best[k] = cands[i];
                score[k] = r;
                break;
            }
    }
    tq_buf_t b = {0};
    if (best[0]) {
        tq_buf_add(&b, ", perhaps you meant ");
        for (int k = 0; k < 3 && best[k]; k++) {
            if (k)
                tq_buf_add(&b, " or ");
            tq_buf_add(&b, best[k]);
        }
        tq_buf_addc(&b, '?');
        return tq_buf_take(&b);
    }
    char low[64];
    size_t len = 0;
    for (const char *p = name; *p && len + 1 < sizeof low; p++)
        if (*p != '_')
            low[len++] = (char)tolower((unsigned char)*p);
    low[len] = 0;
    for (size_t i = 0; i < sizeof lookup_words / sizeof *lookup_words; i++)
        if (!strncmp(low, lookup_words[i].prefix,
                     strlen(lookup_words[i].prefix))) {
            tq_buf_printf(&b, ", perhaps you meant %s?",
                          lookup_words[i].hint);
            return tq_buf_take(&b);
        }
    return tq_xstrdup("");
}
