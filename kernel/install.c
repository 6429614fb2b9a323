/*
 * This file installs the kernelspec. The destination follows
 * jupyter_client's KernelSpecManager.install_kernel_spec: --user goes to
 * the user's Jupyter data dir, --prefix P to P/share/jupyter/kernels,
 * --sys-prefix to the active environment's prefix ($CONDA_PREFIX, else
 * $VIRTUAL_ENV: the sys.prefix of that environment's Python, where its
 * Jupyter looks) or, outside one, the system Python's prefix (/usr on
 * Debian), and the default to /usr/local/share/jupyter/kernels. An
 * existing spec of the same name is replaced. kernel.json names this binary by its absolute
 * path; the logos are copied from the installed share dir or, in a build
 * tree, from the source tree's kernelspec/.
 */
#include "install.h"
#include "util.h"
#include "tabula.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KN_KERNELSPEC_SRCDIR
#define KN_KERNELSPEC_SRCDIR ""
#endif
#ifndef KN_KERNELSPEC_DATADIR
#define KN_KERNELSPEC_DATADIR ""
#endif
#define KN_SYS_PREFIX "/usr"

static const char *const logos[] = {
    "logo-32x32.png", "logo-64x64.png", "logo-svg.svg",
};

static const char usage[] =
    "usage: tabula-kernel install [--user | --prefix P | --sys-prefix]\n"
    "                             [--name NAME] [--display-name TEXT]\n"
    "                             [--database PATH] [--readonly]\n"
    "                             [--django PATH]\n"
    "Installs the Tabula kernelspec for Jupyter.\n"
    "  --user          into the user's Jupyter data dir\n"
    "                  (~/.local/share/jupyter/kernels)\n"
    "  --prefix P      into P/share/jupyter/kernels\n"
    "  --sys-prefix    into the active conda or virtual environment\n"
    "                  ($CONDA_PREFIX, $VIRTUAL_ENV), else\n"
    "                  " KN_SYS_PREFIX "/share/jupyter/kernels\n"
    "  (default)       into /usr/local/share/jupyter/kernels\n"
    "  --name NAME     kernelspec name (default tabula)\n"
    "  --display-name  name shown in front ends (default Tabula)\n"
    "  --database P    database the kernel opens (default :memory:): a\n"
    "                  file, or a PostgreSQL URL or keyword string without\n"
    "                  a password (~/.pgpass or PGPASSWORD give it)\n"
    "  --readonly      open that database read-only\n"
    "  --django P      Django project whose models.py files name the\n"
    "                  tables and relations (as %django P)\n";

/* mkdir -p; returns 0 or -1 with errno. */
static int make_dirs(const char *path)
{
    char *p = kn_xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; ; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

/* Copies the file src to dst; 0 or -1. */
static int copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(dst, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (ferror(in))
        rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

/* The directory holding the logos, or NULL. */
static const char *logo_dir(char *buf, size_t size)
{
    const char *env = getenv("TABULA_KERNELSPEC_DIR");
    char probe[PATH_MAX + 64];
    const char *candidates[] = {env, KN_KERNELSPEC_DATADIR,
                                KN_KERNELSPEC_SRCDIR};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        if (!candidates[i] || !*candidates[i])
            continue;
        snprintf(probe, sizeof probe, "%s/%s", candidates[i], logos[0]);
        if (access(probe, R_OK) == 0) {
            snprintf(buf, size, "%s", candidates[i]);
            return buf;
        }
    }
    return NULL;
}

/* The user's Jupyter data dir, as jupyter_core computes it. */
static void user_data_dir(char *buf, size_t size)
{
    const char *data = getenv("JUPYTER_DATA_DIR");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (data && *data)
        snprintf(buf, size, "%s", data);
    else if (xdg && *xdg)
        snprintf(buf, size, "%s/jupyter", xdg);
    else
        snprintf(buf, size, "%s/.local/share/jupyter", home ? home : "");
}

static bool valid_name(const char *name)
{
    if (!*name)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
            *p != '-')
            return false;
    return true;
}

/* An absolute version of a database path (":memory:" stays as it is). */
static char *absolute(const char *path)
{
    if (path[0] == '/' || path[0] == ':' || strncmp(path, "file:", 5) == 0)
        return kn_xstrdup(path);
    /* a server's URL (postgresql://...) or a libpq keyword string
     * (host=... dbname=...) is no file name */
    if (strstr(path, "://") || strchr(path, '='))
        return kn_xstrdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return kn_xstrdup(path);
    char *out = kn_xmalloc(strlen(cwd) + strlen(path) + 2);
    sprintf(out, "%s/%s", cwd, path);
    return out;
}

/* The prefix of the environment whose Jupyter should see the spec: an
 * activated conda environment, else an activated virtualenv, else the
 * system Python's. The result is a static string or the environment's. */
static const char *active_prefix(void)
{
    const char *names[] = { "CONDA_PREFIX", "VIRTUAL_ENV" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = getenv(names[i]);
        if (v && v[0] == '/')
            return v;
    }
    return KN_SYS_PREFIX;
}

/* See install.h. */
int kn_install_main(int argc, char **argv)
{
    enum { DEFAULT, USER, PREFIX, SYS_PREFIX } where = DEFAULT;
    int chosen = 0;
    const char *prefix = NULL, *name = "tabula", *display = "Tabula";
    const char *database = NULL, *django = NULL;
    bool readonly = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_next = i + 1 < argc;
        if (strcmp(a, "--user") == 0) {
            where = USER;
            chosen++;
        } else if (strcmp(a, "--sys-prefix") == 0) {
            where = SYS_PREFIX;
            chosen++;
        } else if (strcmp(a, "--prefix") == 0 && has_next) {
            where = PREFIX;
            prefix = argv[++i];
            chosen++;
        } else if (strcmp(a, "--name") == 0 && has_next) {
            name = argv[++i];
        } else if (strcmp(a, "--display-name") == 0 && has_next) {
            display = argv[++i];
        } else if (strcmp(a, "--database") == 0 && has_next) {
            database = argv[++i];
        } else if (strcmp(a, "--readonly") == 0) {
            readonly = true;
        } else if (strcmp(a, "--django") == 0 && has_next) {
            django = argv[++i];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else {
            fprintf(stderr, "tabula-kernel install: unknown or incomplete "
                    "option %s\n%s", a, usage);
            return 2;
        }
    }
    if (chosen > 1) {
        fprintf(stderr, "tabula-kernel install: choose one of --user, "
                "--prefix and --sys-prefix\n");
        return 2;
    }
    /* kernel.json is a plain file that any front end lists: a password in
     * it would be kept in clear, so libpq's own places are asked for */
    char *masked = database ? tq_mask_secrets(database) : NULL;
    bool secret = masked && strcmp(masked, database) != 0;
    free(masked);
    if (secret) {
        fprintf(stderr, "tabula-kernel install: --database holds a password, "
                "which kernel.json would keep in clear; leave it out and put "
                "it in ~/.pgpass (or PGPASSWORD in the kernel's "
                "environment)\n");
        return 2;
    }
    if (!valid_name(name)) {
        fprintf(stderr, "tabula-kernel install: invalid kernel name %s "
                "(letters, digits, '.', '_' and '-' only)\n", name);
        return 2;
    }
    char lower[256];
    snprintf(lower, sizeof lower, "%s", name);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);

    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "tabula-kernel install: cannot find my own path\n");
        return 1;
    }
    exe[n] = '\0';
    char logos_at[PATH_MAX];
    if (!logo_dir(logos_at, sizeof logos_at)) {
        fprintf(stderr, "tabula-kernel install: cannot find the logos; set "
                "TABULA_KERNELSPEC_DIR to the kernelspec/ directory\n");
        return 1;
    }

    char base[PATH_MAX], dest[PATH_MAX + 300];
    switch (where) {
    case USER: user_data_dir(base, sizeof base); break;
    case PREFIX: snprintf(base, sizeof base, "%s/share/jupyter", prefix); break;
    case SYS_PREFIX:
        snprintf(base, sizeof base, "%s/share/jupyter", active_prefix());
        break;
    default: snprintf(base, sizeof base, "/usr/local/share/jupyter"); break;
    }
    snprintf(dest, sizeof dest, "%s/kernels/%s", base, lower);

    struct stat st;
    if (stat(dest, &st) == 0)
        nftw(dest, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (make_dirs(dest) != 0) {
        fprintf(stderr, "tabula-kernel install: cannot create %s: %s%s\n",
                dest, strerror(errno),
                errno == EACCES ? " (try --user)" : "");
        return 1;
    }

    json_t *args = json_pack("[sss]", exe, "-f", "{connection_file}");
    if (database) {
        char *abs = absolute(database);
        json_array_append_new(args, json_string("--database"));
        json_array_append_new(args, json_string(abs));
        free(abs);
    }
    if (readonly)
        json_array_append_new(args, json_string("--readonly"));
    if (django) {
        char *abs = absolute(django);
        json_array_append_new(args, json_string("--django"));
        json_array_append_new(args, json_string(abs));
        free(abs);
    }
    json_t *spec = json_pack("{so ss ss ss s{sb}}", "argv", args,
                             "display_name", display, "language", "tabula",
                             "interrupt_mode", "message", "metadata",
                             "debugger", 0);
    if (!spec) {
        fprintf(stderr, "tabula-kernel install: display name is not UTF-8\n");
        return 2;
    }
    char path[PATH_MAX + 400];
    snprintf(path, sizeof path, "%s/kernel.json", dest);
    int rc = json_dump_file(spec, path, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(spec);
    if (rc != 0) {
        fprintf(stderr, "tabula-kernel install: cannot write %s\n", path);
        return 1;
    }
    for (size_t i = 0; i < sizeof logos / sizeof *logos; i++) {
        char src[PATH_MAX + 64];
        snprintf(src, sizeof src, "%s/%s", logos_at, logos[i]);
        snprintf(path, sizeof path, "%s/%s", dest, logos[i]);
        if (copy_file(src, path) != 0) {
            fprintf(stderr, "tabula-kernel install: cannot copy %s to %s\n",
                    src, path);
            return 1;
        }
    }
    printf("Installed kernelspec %s in %s\n", lower, dest);
    return 0;
}
