/*
 * This file is the seam between the language and its drawing module,
 * tabula-draw.so: the charts (chart.c, cairo) and the ER diagrams (erd.c,
 * graphviz) are built into a shared module that the kernel loads with
 * dlopen on the first chart or diagram, so that a kernel which never draws
 * does not map cairo, pixman, fontconfig, freetype, X11 and graphviz
 * (about a third of its resident memory at start-up). The module exports
 * one symbol, TQ_DRAW_API_SYMBOL, a function returning a static table of
 * entry points; `abi` must equal TQ_DRAW_ABI or the loader refuses the
 * module.
 *
 * The module never sees the database: it links no database library and
 * gets plain data. A chart reads its rows through tq_draw_rows_t, a small
 * iterator that the caller implements over a cursor (draw_source.c), so
 * that a million-point line chart streams instead of being materialised.
 * An ER diagram gets the tables to show already read (tq_erd_table_t).
 * Datums (tqdb_datum_t) and the row codes are db/db.h's types, which the
 * module reads but whose functions it never calls.
 *
 * Implemented by draw_module.c, chart.c and erd.c (the module side) and
 * by draw_source.c and draw_loader.c (the caller side).
 */
#ifndef TQ_DRAW_MODULE_H
#define TQ_DRAW_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "render/render.h"

/* Bump whenever this header's structures or entry points, or render.h's
 * chart options, change. */
#define TQ_DRAW_ABI 3
#define TQ_DRAW_API_SYMBOL "tq_draw_api"
#define TQ_DRAW_MODULE_NAME "tabula-draw.so"

/* The rows of a chart's statement. Column 0 is x, 1.. the y series. */
typedef struct tq_draw_rows {
    int ncols;
    const char *const *names;   /* ncols column names, never NULL */
    void *ud;
    /* Moves to the next row and stores its columns 0..n-1 (n <= ncols) in
     * row[], borrowed until the next call: TQDB_ROW, TQDB_DONE, or -1
     * with a malloc'd one-sentence message in *error. */
    int (*next)(void *ud, int n, tqdb_datum_t *row, char **error);
    /* Column `col` of the current row converted as the database converts
     * it: to text (NULL for NULL; borrowed until next), to a number. */
    const char *(*text)(void *ud, int col);
    double (*number)(void *ud, int col);
    /* Starts again before the first row, with the same parameters: 0, or
     * -1 with a malloc'd message in *error. */
    int (*rewind)(void *ud, char **error);
} tq_draw_rows_t;

/* One column of a diagram's table. */
typedef struct tq_erd_column {
    const char *name;
    const char *type;        /* as declared, "" when none */
    bool notnull;
    bool pk;                 /* part of the primary key */
} tq_erd_column_t;

/* One foreign-key column: `from` references table `table` (as written in
 * the declaration) at column `to` (NULL when the declaration names none). */
typedef struct tq_erd_fk {
    const char *from;
    const char *table;
    const char *to;
} tq_erd_fk_t;

/* One table to show, with its columns in declaration order and its
 * foreign-key columns as the database lists them. */
typedef struct tq_erd_table {
    const char *name;
    const tq_erd_column_t *cols;
    size_t ncols;
    const tq_erd_fk_t *fks;
    size_t nfks;
} tq_erd_table_t;

typedef struct tq_draw_api {
    int abi;
    /* render.h's tq_chart_png over rows instead of a cursor. */
    int (*chart_png)(const tq_draw_rows_t *rows, const tq_chart_opts_t *opts,
                     unsigned char **png, size_t *png_len, char **error);
    /* render.h's tq_erd_svg over the tables to show, already resolved
     * (distinct, real names); edges join the tables shown. */
    int (*erd_svg)(const tq_erd_table_t *tables, size_t n, char **svg,
                   size_t *svg_len, char **error);
} tq_draw_api_t;

/* The module's one export. Static data; never freed. */
const tq_draw_api_t *tq_draw_api(void);

/* The module's entry points (chart.c and erd.c), as the table holds them;
 * hidden in the module, linked directly by the renderers' unit tests. */
int draw_chart_png(const tq_draw_rows_t *rows, const tq_chart_opts_t *opts,
                   unsigned char **png, size_t *png_len, char **error);
int draw_erd_svg(const tq_erd_table_t *tables, size_t n, char **svg,
                 size_t *svg_len, char **error);

/* The caller's side (draw_source.c): render.h's tq_chart_png and
 * tq_erd_svg through `api`, reading the cursor's rows and the diagram's
 * tables through db.h. Output and errors as render.h says. */
int draw_chart_through(const tq_draw_api_t *api, tqdb_cursor_t *cur,
                       const tq_chart_opts_t *opts, unsigned char **png,
                       size_t *png_len, char **error);
int draw_erd_through(const tq_draw_api_t *api, tqdb_conn_t *db,
                     const char *const *tables, size_t n, char **svg,
                     size_t *svg_len, char **error);

#endif
