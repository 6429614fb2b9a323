/*
 * This file is the password mask (base/mask.h): it finds the passwords in
 * a text by their two shapes, a URL's userinfo and libpq's password
 * keyword, and writes the text again with "***" in their place. It knows
 * nothing of the engines: any text may pass through it, and one that
 * holds no password comes back unchanged.
 */
#include "base/mask.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"

/* Whether `p` in `s` begins the keyword `kw` (any case) as a whole word,
 * followed by optional blanks and '='. */
static bool keyword_at(const char *s, const char *p, const char *kw)
{
    size_t n = strlen(kw);
    if (strncasecmp(p, kw, n))
        return false;
    if (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
        return false;
    const char *q = p + n;
    while (*q == ' ' || *q == '\t')
        q++;
    return *q == '=';
}

/* A character that ends a URL's authority part. */
static bool authority_end(char c)
{
    return !c || c == '/' || c == '?' || c == '#' || c == '"' ||
           c == '\'' || isspace((unsigned char)c);
}

/* tq_password_spans: see mask.h. */
void tq_password_spans(const char *text,
                       void (*fn)(void *ud, size_t start, size_t end),
                       void *ud)
{
    /* the spans are reported in text order: URL userinfo and keywords
     * are found in one pass */
    for (const char *p = text; *p; p++) {
        if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
            const char *auth = p + 3, *e = auth, *at = NULL;
            while (!authority_end(*e)) {
                if (*e == '@')
                    at = e;
                e++;
            }
            if (at) {
                const char *colon = memchr(auth, ':', (size_t)(at - auth));
                if (colon && at > colon + 1)
                    fn(ud, (size_t)(colon + 1 - text), (size_t)(at - text));
            }
            p = at ? at : p + 2;
            continue;
        }
        if (!keyword_at(text, p, "password"))
            continue;
        const char *v = strchr(p, '=') + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        const char *e = v;
        if (*v == '\'') {
            for (e = v + 1; *e && *e != '\''; e++)
                if (*e == '\\' && e[1])
                    e++;
            if (*e)
                e++;
        } else {
            while (*e && !isspace((unsigned char)*e) && *e != '&' &&
                   *e != '"' && *e != '\'')
                e++;
        }
        if (e > v)
            fn(ud, (size_t)(v - text), (size_t)(e - text));
        p = e > p ? e - 1 : p;
        if (!*e)
            break;
    }
}

/* The replacement under way: the text, the output and where it stands. */
typedef struct masking {
    const char *text;
    tq_buf_t out;
    size_t at;
} masking_t;

static void replace_span(void *ud, size_t start, size_t end)
{
    masking_t *m = ud;
    if (start < m->at)
        return;
    tq_buf_addn(&m->out, m->text + m->at, start - m->at);
    tq_buf_add(&m->out, "***");
    m->at = end;
}

/* tq_mask_passwords: see mask.h. */
char *tq_mask_passwords(const char *text)
{
    if (!text)
        return NULL;
    masking_t m = {.text = text};
    tq_buf_addn(&m.out, "", 0);
    tq_password_spans(text, replace_span, &m);
    tq_buf_add(&m.out, text + m.at);
    return tq_buf_take(&m.out);
}
