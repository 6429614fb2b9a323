/*
 * This file is tabula-kernel's entry point: it reads argv (the connection
 * file, the database, --readonly, or the install sub-command), starts the
 * kernel, serves the shell channel until shutdown and exits cleanly.
 */
#include "install.h"
#include "kernel.h"
#include "kernel_info.h"
#include "log.h"
#include "shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: tabula-kernel -f CONNECTION_FILE [--database PATH] [--readonly]\n"
    "                     [--django PATH] [--debug]\n"
    "       tabula-kernel install [--user | --prefix P | --sys-prefix]\n"
    "                             [--name NAME] [--display-name TEXT]\n"
    "                             [--database PATH] [--django PATH]\n"
    "The database also comes from $TABULA_DATABASE; the default is "
    ":memory:.\n"
    "--django PATH (or $TABULA_DJANGO) reads a Django project's models.py\n"
    "files at start-up, as %django PATH does.\n"
    "Log lines go to stderr: warnings and errors only, unless --debug or\n"
    "$TABULA_LOG (debug, info, warn, error) asks for more.\n";

/* Matches "--opt VALUE" and "--opt=VALUE"; advances *i past the value. */
static const char *option_value(int argc, char **argv, int *i,
                                const char *opt)
{
    size_t n = strlen(opt);
    if (strncmp(argv[*i], opt, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

/* Exit codes: 0 after a clean shutdown, 1 when the kernel cannot start,
 * 2 for a usage error. */
int main(int argc, char **argv)
{
    kn_log_init();
    kn_sign_init();
    if (argc > 1 && strcmp(argv[1], "install") == 0)
        return kn_install_main(argc - 1, argv + 1);
    kn_options_t o = {0};
    o.database = getenv("TABULA_DATABASE");
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = option_value(argc, argv, &i, "-f")) ||
            (v = option_value(argc, argv, &i, "--connection-file")))
            o.connection_file = v;
        else if ((v = option_value(argc, argv, &i, "--database")))
            o.database = v;
        else if (strcmp(argv[i], "--readonly") == 0)
            o.readonly = true;
        else if ((v = option_value(argc, argv, &i, "--django")))
            setenv("TABULA_DJANGO", v, 1);   /* read by the schema layer */
        else if (strcmp(argv[i], "--debug") == 0)
            kn_log_verbose(KN_LOG_DEBUG);
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            puts("tabula-kernel " KN_IMPLEMENTATION_VERSION);
            return 0;
        } else {
            fprintf(stderr, "tabula-kernel: unknown option %s\n%s", argv[i],
                    usage);
            return 2;
        }
    }
    if (!o.connection_file) {
        fputs(usage, stderr);
        return 2;
    }
    if (o.database && !*o.database)
        o.database = NULL;
    kn_kernel_t kernel;
    if (kn_kernel_start(&kernel, &o) != 0)
        return 1;
    kn_shell_serve(&kernel);
    kn_kernel_stop(&kernel);
    kn_info("shut down");
    return 0;
}
