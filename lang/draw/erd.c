/*
 * This file draws entity-relationship diagrams the way django-extensions'
 * graph_models does, with graphviz's libgvc in-process (no subprocess):
 * each table is a plaintext node whose HTML-like label is a table with a
 * coloured header (the table's name) and one row per column (name, type,
 * PK / FK -> table.col / NOT NULL marks), and each foreign key is an edge
 * from the column's row to the referenced table, labelled with the column.
 * The schema comes straight from SQLite (sqlite_schema, PRAGMA table_info
 * and foreign_key_list); the graph is written as DOT, read with agmemread,
 * laid out with "dot" and rendered to SVG with gvRenderData.
 *
 * The GVC_t context is costly (it loads the plugin configuration), so one
 * is created on first use and kept for the process; graphviz keeps some
 * plugin memory reachable from it until exit, which leak checkers report
 * as still reachable, not lost.
 */
#include <inttypes.h>
#include <gvc.h>

#include "render/render_util.h"

static GVC_t *gvc;

/* Escapes text for an HTML-like graphviz label. */
static void add_html(db_buf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': db_buf_add(b, "&amp;"); break;
        case '<': db_buf_add(b, "&lt;"); break;
        case '>': db_buf_add(b, "&gt;"); break;
        case '"': db_buf_add(b, "&quot;"); break;
        default: db_buf_addc(b, *s);
        }
    }
}

/* A DOT quoted string. */
static void add_dot_string(db_buf_t *b, const char *s)
{
    db_buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            db_buf_addc(b, '\\');
        if (*s == '\n')
            db_buf_add(b, "\\n");
        else
            db_buf_addc(b, *s);
    }
    db_buf_addc(b, '"');
}

typedef struct fk {
    char *from, *table, *to;
    int port;        /* the column's row */
} fk_t;

/* Reads the table names of the main schema (no sqlite_ internals). */
static int table_names(sqlite3 *db, char ***names, size_t *n, char **error)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = "
                           "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                           " ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
        *error = db_xasprintf("%s.", sqlite3_errmsg(db));
        return -1;
    }
    *names = NULL;
    *n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        *names = db_xrealloc(*names, (*n + 1) * sizeof **names);
        (*names)[(*n)++] = db_xstrdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return 0;
}

/* The table's real name when it exists (case-insensitively), else NULL. */
static char *find_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type IN "
                       "('table', 'view') AND name = ? COLLATE NOCASE", -1,
                       &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    char *out = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        out = db_xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/* The shown table's real name matching s case-insensitively, or NULL. */
static const char *shown_name(char **names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (sqlite3_stricmp(names[i], s) == 0)
            return names[i];
    return NULL;
}

static bool in_list(char **names, size_t n, const char *s)
{
    return shown_name(names, n, s) != NULL;
}

/* Appends one table's node and its edges (to tables in `shown`). */
static void add_table(sqlite3 *db, db_buf_t *dot, const char *table,
                      char **shown, size_t nshown)
{
    /* Foreign keys first: the rows mark them. */
    fk_t *fks = NULL;
    size_t nfk = 0;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT \"from\", \"table\", \"to\" FROM "
                       "pragma_foreign_key_list(?)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        fks = db_xrealloc(fks, (nfk + 1) * sizeof *fks);
        const char *to = (const char *)sqlite3_column_text(st, 2);
        fks[nfk].from = db_xstrdup((const char *)sqlite3_column_text(st, 0));
        fks[nfk].table = db_xstrdup((const char *)sqlite3_column_text(st, 1));
        fks[nfk].to = to ? db_xstrdup(to) : NULL;
        nfk++;
    }
    sqlite3_finalize(st);

    db_buf_add(dot, "  ");
    add_dot_string(dot, table);
    db_buf_add(dot, " [label=<\n    <TABLE BGCOLOR=\"white\" BORDER=\"1\" "
               "CELLBORDER=\"0\" CELLSPACING=\"0\" COLOR=\"#1b563f\">\n"
               "    <TR><TD COLSPAN=\"2\" CELLPADDING=\"5\" ALIGN=\"CENTER\" "
               "BGCOLOR=\"#1b563f\"><FONT COLOR=\"white\" POINT-SIZE=\"11\">"
               "<B>");
    add_html(dot, table);
    db_buf_add(dot, "</B></FONT></TD></TR>\n");
    sqlite3_prepare_v2(db, "SELECT name, type, \"notnull\", pk FROM "
                       "pragma_table_info(?) ORDER BY cid", -1, &st, NULL);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int col = 0;
    for (size_t i = 0; i < nfk; i++)
        fks[i].port = -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        for (size_t i = 0; i < nfk; i++)
            if (strcmp(fks[i].from, name) == 0)
                fks[i].port = col;
        const char *type = (const char *)sqlite3_column_text(st, 1);
        bool notnull = sqlite3_column_int(st, 2) != 0;
        bool pk = sqlite3_column_int(st, 3) != 0;
        const fk_t *fk = NULL;
        for (size_t i = 0; i < nfk; i++)
            if (strcmp(fks[i].from, name) == 0)
                fk = &fks[i];
        db_buf_add(dot, "    <TR><TD ALIGN=\"LEFT\">");
        db_buf_add(dot, pk ? "<B>" : fk ? "<I>" : "");
        add_html(dot, name);
        db_buf_add(dot, pk ? "</B>" : fk ? "</I>" : "");
        db_buf_printf(dot, "</TD><TD ALIGN=\"LEFT\" PORT=\"c%d\"><FONT "
                      "COLOR=\"#555555\">", col);
        add_html(dot, type && *type ? type : "ANY");
        if (pk)
            db_buf_add(dot, " PK");
        if (fk) {
            db_buf_add(dot, " FK &#8594; ");
            add_html(dot, fk->table);
            if (fk->to) {
                db_buf_addc(dot, '.');
                add_html(dot, fk->to);
            }
        }
        if (notnull && !pk)
            db_buf_add(dot, " NOT NULL");
        db_buf_add(dot, "</FONT></TD></TR>\n");
        col++;
    }
    sqlite3_finalize(st);
    db_buf_add(dot, "    </TABLE>>];\n");

    /* One edge per foreign key column, from its row. */
    for (size_t i = 0; i < nfk; i++) {
        if (in_list(shown, nshown, fks[i].table)) {
            const char *target = shown_name(shown, nshown, fks[i].table);
            int port = fks[i].port;
            db_buf_add(dot, "  ");
            add_dot_string(dot, table);
            if (port >= 0)
                db_buf_printf(dot, ":c%d:e", port);
            db_buf_add(dot, " -> ");
            add_dot_string(dot, target);
            db_buf_add(dot, " [label=");
            char *label = db_xasprintf(" %s", fks[i].from);
            add_dot_string(dot, label);
            free(label);
            db_buf_add(dot, "];\n");
        }
        free(fks[i].from);
        free(fks[i].table);
        free(fks[i].to);
    }
    free(fks);
}

/* tq_erd_svg: see render.h. Unknown table names are an error naming the
 * first one; edges are drawn between the shown tables. */
int tq_erd_svg(sqlite3 *db, const char *const *tables, size_t n, char **svg,
               size_t *svg_len, char **error)
{
    *svg = NULL;
    *svg_len = 0;
    *error = NULL;
    char **shown = NULL;
    size_t nshown = 0;
    if (n == 0) {
        if (table_names(db, &shown, &nshown, error))
            return -1;
    } else {
        shown = db_xcalloc(n, sizeof *shown);
        for (size_t i = 0; i < n; i++) {
            char *real = find_table(db, tables[i]);
            if (!real) {
                *error = db_xasprintf("No table named '%s'.", tables[i]);
                for (size_t k = 0; k < nshown; k++)
                    free(shown[k]);
                free(shown);
                return -1;
            }
            if (in_list(shown, nshown, real))
                free(real);
            else
                shown[nshown++] = real;
        }
    }
    db_buf_t dot = {0};
    db_buf_add(&dot,
        "digraph model_graph {\n"
        "  graph [fontname=\"DejaVu Sans\", fontsize=8, splines=true, "
        "rankdir=\"TB\", nodesep=0.4, ranksep=0.6, bgcolor=\"white\"];\n"
        "  node [fontname=\"DejaVu Sans\", fontsize=9, shape=plaintext];\n"
        "  edge [fontname=\"DejaVu Sans\", fontsize=8, color=\"#555555\", "
        "fontcolor=\"#333333\", arrowsize=0.7];\n");
    for (size_t i = 0; i < nshown; i++)
        add_table(db, &dot, shown[i], shown, nshown);
    db_buf_add(&dot, "}\n");
    for (size_t i = 0; i < nshown; i++)
        free(shown[i]);
    free(shown);

    if (!gvc)
        gvc = gvContext();
    Agraph_t *g = agmemread(dot.s);
    db_buf_free(&dot);
    if (!g) {
        *error = db_xstrdup("Graphviz could not read the diagram.");
        return -1;
    }
    int rc = -1;
    if (gvLayout(gvc, g, "dot") != 0) {
        *error = db_xstrdup("Graphviz could not lay the diagram out.");
    } else {
        char *data = NULL;
        unsigned int len = 0;
        if (gvRenderData(gvc, g, "svg", &data, &len) != 0 || !data) {
            *error = db_xstrdup("Graphviz could not render SVG.");
        } else {
            *svg = db_xmalloc(len + 1);
            memcpy(*svg, data, len);
            (*svg)[len] = 0;
            *svg_len = len;
            rc = 0;
        }
        gvFreeRenderData(data);
        gvFreeLayout(gvc, g);
    }
    agclose(g);
    return rc;
}
