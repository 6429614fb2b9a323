/*
 * This file is the seam between the language and its drawing module,
 * tabula-draw.so: the charts (chart.c, cairo) and the ER diagrams (erd.c,
 * graphviz) are built into a shared module that the kernel loads with
 * dlopen on the first chart or diagram, so that a kernel which never draws
 * does not map cairo, pixman, fontconfig, freetype, X11 and graphviz
 * (about a third of its resident memory at start-up). The module exports
 * one symbol, TQ_DRAW_API_SYMBOL, a function returning a static table of
 * entry points whose signatures are render.h's tq_chart_png and
 * tq_erd_svg; `abi` must equal TQ_DRAW_ABI or the loader refuses the
 * module. Owned by draw_module.c (the module side) and draw_loader.c (the
 * caller side).
 */
#ifndef TQ_DRAW_MODULE_H
#define TQ_DRAW_MODULE_H

#include "render/render.h"

/* Bump whenever render.h's chart or diagram signatures or options change. */
#define TQ_DRAW_ABI 1
#define TQ_DRAW_API_SYMBOL "tq_draw_api"
#define TQ_DRAW_MODULE_NAME "tabula-draw.so"

typedef struct tq_draw_api {
    int abi;
    int (*chart_png)(sqlite3_stmt *stmt, const tq_chart_opts_t *opts,
                     unsigned char **png, size_t *png_len, char **error);
    int (*erd_svg)(sqlite3 *db, const char *const *tables, size_t n,
                   char **svg, size_t *svg_len, char **error);
} tq_draw_api_t;

/* The module's one export. Static data; never freed. */
const tq_draw_api_t *tq_draw_api(void);

#endif
