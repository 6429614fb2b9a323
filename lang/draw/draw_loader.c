/*
 * This file implements render.h's tq_chart_png and tq_erd_svg for the
 * kernel and tabula-run by loading the drawing module tabula-draw.so (see
 * draw_module.h) on the first call and forwarding to it, so that cairo and
 * graphviz are mapped only once a cell draws. The module is looked for as
 * base/module.h says, $TABULA_DRAW_MODULE first. It is loaded once per
 * process and never unloaded; a module that is missing or of another ABI
 * is an error returned to the caller (the cell fails, the kernel stays
 * up). The module is handed rows and tables, never the connection
 * (draw_source.c). Part of the draw layer's static library.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "base/module.h"
#include "base/util.h"
#include "draw/draw_module.h"

#ifndef TQ_DRAW_BUILD_PATH
#error "TQ_DRAW_BUILD_PATH must name the module in the build tree"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const tq_draw_api_t *draw_api;
static char load_error[768];

static void load_module(void)
{
    static const tq_module_paths_t paths = {
        .env = "TABULA_DRAW_MODULE",
        .build_path = TQ_DRAW_BUILD_PATH,
        .install_path = TQ_DRAW_INSTALL_PATH,
        .bindir = TQ_DRAW_BINDIR,
    };
    void *h = tq_module_open(&paths, load_error, sizeof load_error);
    if (!h)
        return;
    const tq_draw_api_t *(*get)(void) =
        (const tq_draw_api_t *(*)(void))dlsym(h, TQ_DRAW_API_SYMBOL);
    const tq_draw_api_t *api = get ? get() : NULL;
    if (!api || api->abi != TQ_DRAW_ABI) {
        snprintf(load_error, sizeof load_error,
                 "%s is not a drawing module of this kernel (ABI %d)",
                 TQ_DRAW_MODULE_NAME, TQ_DRAW_ABI);
        dlclose(h);
        return;
    }
    draw_api = api;
}

/* The loaded module, or NULL with *error set to a malloc'd explanation. */
static const tq_draw_api_t *module(char **error)
{
    pthread_once(&load_once, load_module);
    if (!draw_api)
        *error = tq_xasprintf("Charts and diagrams need the drawing module "
                              "%s, which could not be loaded: %s",
                              TQ_DRAW_MODULE_NAME, load_error);
    return draw_api;
}

/* tq_chart_png: see render.h. The module gets the cursor's rows. */
int tq_chart_png(tqdb_cursor_t *cur, const tq_chart_opts_t *opts,
                 unsigned char **png, size_t *png_len, char **error)
{
    *png = NULL;
    *png_len = 0;
    *error = NULL;
    const tq_draw_api_t *api = module(error);
    return api ? draw_chart_through(api, cur, opts, png, png_len, error)
               : -1;
}

/* tq_erd_svg: see render.h. The module gets the tables read here. */
int tq_erd_svg(tqdb_conn_t *db, const char *const *tables, size_t n,
               char **svg, size_t *svg_len, char **error)
{
    *svg = NULL;
    *svg_len = 0;
    *error = NULL;
    const tq_draw_api_t *api = module(error);
    return api ? draw_erd_through(api, db, tables, n, svg, svg_len, error)
               : -1;
}
