/*
 * This file gives the renderers' unit tests render.h's tq_chart_png and
 * tq_erd_svg without dlopen: the drawing module's sources are linked in,
 * and these go through its entry table (tq_draw_api) and the caller's side
 * (draw_source.c) exactly as the kernel's loader does.
 */
#include "draw/draw_module.h"

/* tq_chart_png: see render.h. */
int tq_chart_png(tqdb_cursor_t *cur, const tq_chart_opts_t *opts,
                 unsigned char **png, size_t *png_len, char **error)
{
    *png = NULL;
    *png_len = 0;
    *error = NULL;
    return draw_chart_through(tq_draw_api(), cur, opts, png, png_len, error);
}

/* tq_erd_svg: see render.h. */
int tq_erd_svg(tqdb_conn_t *db, const char *const *tables, size_t n,
               char **svg, size_t *svg_len, char **error)
{
    return draw_erd_through(tq_draw_api(), db, tables, n, svg, svg_len,
                            error);
}
