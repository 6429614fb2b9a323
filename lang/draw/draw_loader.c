/*
 * This file implements render.h's tq_chart_png and tq_erd_svg for the
 * kernel and tabula-run by loading the drawing module tabula-draw.so (see
 * draw_module.h) on the first call and forwarding to it, so that cairo and
 * graphviz are mapped only once a cell draws. The module is looked for at
 * $TABULA_DRAW_MODULE when it is set, else in the installed library
 * directory and in the build tree: the installed one first when the
 * running program is the installed one (its directory is the configured
 * bindir), the build tree's first otherwise. It is loaded once per
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

#include "base/util.h"
#include "draw/draw_module.h"

#ifndef TQ_DRAW_BUILD_PATH
#error "TQ_DRAW_BUILD_PATH must name the module in the build tree"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const tq_draw_api_t *draw_api;
static char load_error[768];

/* True when the running executable lives in the configured bindir
 * (compared after resolving symbolic links on both sides). */
static bool running_installed(void)
{
    char exe[PATH_MAX], bindir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || !realpath(TQ_DRAW_BINDIR, bindir))
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return strcmp(exe, bindir) == 0;
}

/* Opens one candidate; on failure appends dlerror's text to load_error. */
static void *open_module(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        size_t used = strlen(load_error);
        snprintf(load_error + used, sizeof load_error - used, "%s%s",
                 used ? "; " : "", why ? why : path);
    }
    return h;
}

static void load_module(void)
{
    const char *env = getenv("TABULA_DRAW_MODULE");
    void *h = NULL;
    if (env && *env) {
        h = open_module(env);
    } else {
        /* the installed module first for an installed program, the build
         * tree's first for a program run from it; then the other */
        bool installed = running_installed();
        h = open_module(installed ? TQ_DRAW_INSTALL_PATH : TQ_DRAW_BUILD_PATH);
        if (!h)
            h = open_module(installed ? TQ_DRAW_BUILD_PATH
                                      : TQ_DRAW_INSTALL_PATH);
    }
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
