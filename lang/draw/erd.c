/*
 * This file draws entity-relationship diagrams the way django-extensions'
 * graph_models does, with graphviz's libgvc (no dot subprocess):
 * each table is a plaintext node whose HTML-like label is a table with a
 * coloured header (the table's name) and one row per column (name, type,
 * PK / FK -> table.col / NOT NULL marks), and each foreign key is an edge
 * from the column's row to the referenced table, labelled with the column.
 * The tables come already read (draw_module.h's tq_erd_table_t, which
 * draw_source.c fills through db.h); the graph is written as DOT, read
 * with agmemread, laid out with "dot" and rendered to SVG with
 * gvRenderData.
 *
 * The layout runs in a forked child that sends the SVG back through a
 * pipe: graphviz 2.43 leaks about 1 KB per table per layout in its
 * HTML-label code, and a child's leaks end with it, so a kernel drawing
 * `%graph_models` again and again does not grow.
 *
 * The GVC_t context is costly (it loads the plugin configuration), so one
 * is created on first use and kept for the process (children inherit
 * it); graphviz keeps some plugin memory reachable from it until exit, which leak checkers report
 * as still reachable, not lost.
 */
#include <assert.h>
#include <inttypes.h>
#include <strings.h>
#include <errno.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gvc.h>

#include "draw/draw_module.h"
#include "render/render_util.h"

static GVC_t *gvc;

/* Escapes text for an HTML-like graphviz label. */
static void add_html(tq_buf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': tq_buf_add(b, "&amp;"); break;
        case '<': tq_buf_add(b, "&lt;"); break;
        case '>': tq_buf_add(b, "&gt;"); break;
        case '"': tq_buf_add(b, "&quot;"); break;
        default: tq_buf_addc(b, *s);
        }
    }
}

/* A DOT quoted string. */
static void add_dot_string(tq_buf_t *b, const char *s)
{
    tq_buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            tq_buf_addc(b, '\\');
        if (*s == '\n')
            tq_buf_add(b, "\\n");
        else
            tq_buf_addc(b, *s);
    }
    tq_buf_addc(b, '"');
}

/* The shown table's real name matching s case-insensitively, or NULL. */
static const char *shown_name(const tq_erd_table_t *tables, size_t n,
                              const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(tables[i].name, s) == 0)
            return tables[i].name;
    return NULL;
}

/* The last foreign key whose column is `name`, or NULL. */
static const tq_erd_fk_t *fk_of(const tq_erd_table_t *t, const char *name)
{
    const tq_erd_fk_t *fk = NULL;
    for (size_t i = 0; i < t->nfks; i++)
        if (strcmp(t->fks[i].from, name) == 0)
            fk = &t->fks[i];
    return fk;
}

/* The row (column position) of the last column named `from`, or -1. */
static int port_of(const tq_erd_table_t *t, const char *from)
{
    int port = -1;
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->cols[c].name, from) == 0)
            port = (int)c;
    return port;
}

/* Appends one table's node and its edges (to tables in `shown`). */
static void add_table(tq_buf_t *dot, const tq_erd_table_t *t,
                      const tq_erd_table_t *shown, size_t nshown)
{
    tq_buf_add(dot, "  ");
    add_dot_string(dot, t->name);
    tq_buf_add(dot, " [label=<\n    <TABLE BGCOLOR=\"white\" BORDER=\"1\" "
               "CELLBORDER=\"0\" CELLSPACING=\"0\" COLOR=\"#1b563f\">\n"
               "    <TR><TD COLSPAN=\"2\" CELLPADDING=\"5\" ALIGN=\"CENTER\" "
               "BGCOLOR=\"#1b563f\"><FONT COLOR=\"white\" POINT-SIZE=\"11\">"
               "<B>");
    add_html(dot, t->name);
    tq_buf_add(dot, "</B></FONT></TD></TR>\n");
    for (size_t c = 0; c < t->ncols; c++) {
        const tq_erd_column_t *col = &t->cols[c];
        const char *type = col->type;
        bool pk = col->pk;
        const tq_erd_fk_t *fk = fk_of(t, col->name);
        tq_buf_add(dot, "    <TR><TD ALIGN=\"LEFT\">");
        tq_buf_add(dot, pk ? "<B>" : fk ? "<I>" : "");
        add_html(dot, col->name);
        tq_buf_add(dot, pk ? "</B>" : fk ? "</I>" : "");
        tq_buf_printf(dot, "</TD><TD ALIGN=\"LEFT\" PORT=\"c%d\"><FONT "
                      "COLOR=\"#555555\">", (int)c);
        add_html(dot, type && *type ? type : "ANY");
        if (pk)
            tq_buf_add(dot, " PK");
        if (fk) {
            tq_buf_add(dot, " FK &#8594; ");
            add_html(dot, fk->table);
            if (fk->to) {
                tq_buf_addc(dot, '.');
                add_html(dot, fk->to);
            }
        }
        if (col->notnull && !pk)
            tq_buf_add(dot, " NOT NULL");
        tq_buf_add(dot, "</FONT></TD></TR>\n");
    }
    tq_buf_add(dot, "    </TABLE>>];\n");

    /* One edge per foreign key column, from its row. */
    for (size_t i = 0; i < t->nfks; i++) {
        const char *target = shown_name(shown, nshown, t->fks[i].table);
        if (!target)
            continue;
        int port = port_of(t, t->fks[i].from);
        tq_buf_add(dot, "  ");
        add_dot_string(dot, t->name);
        if (port >= 0)
            tq_buf_printf(dot, ":c%d:e", port);
        tq_buf_add(dot, " -> ");
        add_dot_string(dot, target);
        tq_buf_add(dot, " [label=");
        char *label = tq_xasprintf(" %s", t->fks[i].from);
        add_dot_string(dot, label);
        free(label);
        tq_buf_add(dot, "];\n");
    }
}

/* Lays `dot` out and renders it to SVG in this process; 0 with the
 * malloc'd SVG, or -1 with a malloc'd message. */
static int layout_here(const char *dot, char **svg, size_t *svg_len,
                       char **error)
{
    Agraph_t *g = agmemread(dot);
    if (!g) {
        *error = tq_xstrdup("Graphviz could not read the diagram.");
        return -1;
    }
    int rc = -1;
    if (gvLayout(gvc, g, "dot") != 0) {
        *error = tq_xstrdup("Graphviz could not lay the diagram out.");
    } else {
        char *data = NULL;
        unsigned int len = 0;
        if (gvRenderData(gvc, g, "svg", &data, &len) != 0 || !data) {
            *error = tq_xstrdup("Graphviz could not render SVG.");
        } else {
            *svg = tq_xmalloc(len + 1);
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

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

/* Lays `dot` out in a forked child, which sends back a status byte ('0'
 * SVG, '1' message), a length and the text, then exits: graphviz's
 * HTML-label code leaks about 1 KB per table per layout, and the leak
 * ends with the child, so the process does not grow with every diagram.
 * Falls back to laying out here when fork fails. */
static int layout_in_child(const char *dot, char **svg, size_t *svg_len,
                           char **error)
{
    int fds[2];
    if (pipe(fds) != 0)
        return layout_here(dot, svg, svg_len, error);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return layout_here(dot, svg, svg_len, error);
    }
    if (pid == 0) {
        close(fds[0]);
        char *out = NULL, *msg = NULL;
        size_t len = 0;
        int rc = layout_here(dot, &out, &len, &msg);
        const char *text = rc == 0 ? out : msg;
        uint64_t n = rc == 0 ? len : strlen(msg);
        char status = rc == 0 ? '0' : '1';
        bool ok = write_all(fds[1], &status, 1) &&
                  write_all(fds[1], &n, sizeof n) &&
                  write_all(fds[1], text, (size_t)n);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    tq_buf_t in = {0};
    char chunk[65536];
    for (;;) {
        ssize_t r = read(fds[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        tq_buf_addn(&in, chunk, (size_t)r);
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    uint64_t n = 0;
    if (in.len >= 1 + sizeof n)
        memcpy(&n, in.s + 1, sizeof n);
    if (in.len < 1 + sizeof n || in.len - 1 - sizeof n != n) {
        tq_buf_free(&in);
        *error = tq_xstrdup("Graphviz stopped before the diagram was drawn.");
        return -1;
    }
    char *text = tq_xmalloc((size_t)n + 1);
    memcpy(text, in.s + 1 + sizeof n, (size_t)n);
    text[n] = 0;
    bool good = in.s[0] == '0';
    tq_buf_free(&in);
    if (good) {
        *svg = text;
        *svg_len = (size_t)n;
        return 0;
    }
    *error = text;
    return -1;
}

/* draw_erd_svg: render.h's tq_erd_svg over the tables to show (see
 * draw_module.h); edges are drawn between the shown tables. */
int draw_erd_svg(const tq_erd_table_t *tables, size_t n, char **svg,
                 size_t *svg_len, char **error)
{
    assert((tables || n == 0) && svg && svg_len && error);
    *svg = NULL;
    *svg_len = 0;
    *error = NULL;
    tq_buf_t dot = {0};
    tq_buf_add(&dot,
        "digraph model_graph {\n"
        "  graph [fontname=\"DejaVu Sans\", fontsize=8, splines=true, "
        "rankdir=\"TB\", nodesep=0.4, ranksep=0.6, bgcolor=\"white\"];\n"
        "  node [fontname=\"DejaVu Sans\", fontsize=9, shape=plaintext];\n"
        "  edge [fontname=\"DejaVu Sans\", fontsize=8, color=\"#555555\", "
        "fontcolor=\"#333333\", arrowsize=0.7];\n");
    for (size_t i = 0; i < n; i++)
        add_table(&dot, &tables[i], tables, n);
    tq_buf_add(&dot, "}\n");

    if (!gvc)
        gvc = gvContext();
    int rc = layout_in_child(dot.s, svg, svg_len, error);
    tq_buf_free(&dot);
    return rc;
}
