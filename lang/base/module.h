/*
 * This file declares how lang/ opens its optional modules (the drawing
 * module, the PostgreSQL engine): shared objects loaded with dlopen on
 * first use, so that a kernel that never draws or never reaches a server
 * does not map cairo, graphviz or libpq and their dependencies. A module
 * is looked for at the path in its environment variable when that is
 * set, else in the installed library directory and in the build tree:
 * the installed one first when the running program is the installed one
 * (its directory is the configured bindir), the build tree's first
 * otherwise.
 */
#ifndef TQ_MODULE_H
#define TQ_MODULE_H

#include <stddef.h>

/* Where one module may be found. */
typedef struct tq_module_paths {
    const char *env;          /* environment variable naming it, or NULL */
    const char *build_path;   /* the build tree's copy */
    const char *install_path; /* the installed copy */
    const char *bindir;       /* the installed programs' directory */
} tq_module_paths_t;

/* Opens the module (RTLD_NOW | RTLD_LOCAL) and returns the handle, or
 * NULL with the reasons (dlerror's text for each path tried) written into
 * `error` (size bytes, NUL-terminated). Never unloaded. */
void *tq_module_open(const tq_module_paths_t *paths, char *error,
                     size_t size);

#endif
