/*
 * This file implements tq_module_open (module.h): the search order of
 * lang/'s optional modules and the collection of dlopen's reasons when
 * none can be loaded.
 */
#include "base/module.h"

#include <assert.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* True when the running executable lives in `bindir` (compared after
 * resolving links). */
static bool running_installed(const char *bindir)
{
    char exe[PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || !bindir || !realpath(bindir, dir))
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return strcmp(exe, dir) == 0;
}

/* Opens one candidate; on failure appends dlerror's text to `error`. */
static void *try_open(const char *path, char *error, size_t size)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        size_t used = strlen(error);
        snprintf(error + used, size - used, "%s%s", used ? "; " : "",
                 why ? why : path);
    }
    return h;
}

/* tq_module_open: see module.h. */
void *tq_module_open(const tq_module_paths_t *paths, char *error,
                     size_t size)
{
    assert(paths && error && size > 0);
    error[0] = '\0';
    const char *env = paths->env ? getenv(paths->env) : NULL;
    if (env && *env)
        return try_open(env, error, size);
    bool installed = running_installed(paths->bindir);
    const char *first = installed ? paths->install_path : paths->build_path;
    const char *second = installed ? paths->build_path : paths->install_path;
    void *h = try_open(first, error, size);
    return h ? h : try_open(second, error, size);
}
