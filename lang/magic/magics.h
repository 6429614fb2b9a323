/*
 * This file is the one list of magics. Every table that names them is
 * generated from TQ_MAGICS: magic.c's dispatch table, the names that
 * %lsmagic prints and completion offers after `%` and `%%`
 * (tq_magic_line_names, tq_magic_cell_names), the usage texts of their
 * errors (tq_magic_usage), and what the editor completes in a magic's
 * arguments (editor/complete.c).
 *
 * X(name, fn, WHERE, ARGS, usage, doc):
 *   name   the magic without its % signs (an identifier, stringified);
 *   fn     its tq_magic_fn (magic.h), which gets body NULL as a line
 *          magic and the cell's body as a cell magic;
 *   WHERE  LINE (`%name` only) or LINE_CELL (`%name` and `%%name`);
 *   ARGS   what its arguments are, for completion: NONE, SQL (table and
 *          column names) or PATH (file paths, the first argument);
 *   usage  its synopsis, as "usage: ..." errors show it;
 *   doc    one line for help.
 * The order is %lsmagic's: alphabetical.
 */
#ifndef TQ_MAGIC_MAGICS_H
#define TQ_MAGIC_MAGICS_H

/* %demo's usage, named for demo.c's argument parser, which is also built
 * without the rest of the magics. */
#define TQ_MAGIC_DEMO_USAGE                                                \
    "%demo bikes [--users N] [--bikes N] [--rentals N] [--seed S] "        \
    "[--replace]"

#define TQ_MAGICS(X)                                                       \
    X(attach, magic_attach, LINE, PATH, "%attach PATH as NAME",            \
      "Attaches another database file as schema NAME.")                    \
    X(config, magic_config, LINE, NONE, "%config [KEY [= VALUE]]",         \
      "Shows or sets a display option (display.max_rows ...).")            \
    X(connect, magic_connect, LINE, PATH,                                  \
      "%connect PATH [--readonly] [--create]",                             \
      "Opens a database file (:memory: too) for the session.")             \
    X(demo, tq_magic_demo, LINE, NONE, TQ_MAGIC_DEMO_USAGE,                \
      "Creates the bike-rental demo data (user, bike, rental).")           \
    X(django, tq_django_magic, LINE, PATH, "%django PATH",                 \
      "Reads a Django project's models.py files: names, relations.")     \
    X(graph_models, tq_magic_graph_models, LINE, NONE,                     \
      "%graph_models [TABLE ...]",                                         \
      "The ER diagram of the tables as SVG.")                              \
    X(history, magic_history, LINE, NONE, "%history [-n]",                 \
      "The cells run so far (-n: numbered).")                              \
    X(load_csv, tq_magic_load_csv, LINE, PATH,                             \
      "%load_csv PATH TABLE [--replace]",                                  \
      "Loads a CSV file into a table, types inferred.")                    \
    X(lsmagic, magic_lsmagic, LINE, NONE, "%lsmagic",                      \
      "Lists the line and cell magics.")                                   \
    X(schema, tq_magic_schema, LINE, NONE, "%schema [TABLE]",              \
      "The tables, or one table's columns, types, keys and rows.")         \
    X(sql, magic_sql, LINE_CELL, SQL, "%sql STATEMENT",                    \
      "Runs raw SQL; :name binds the variable name.")                      \
    X(time, tq_magic_time, LINE_CELL, NONE, "%time STATEMENT",             \
      "Runs the statement once and shows its wall time.")                  \
    X(timeit, tq_magic_timeit, LINE_CELL, NONE,                            \
      "%timeit [-n N] [-r R] STATEMENT",                                   \
      "Times the statement over repeated runs, as IPython.")               \
    X(who, magic_who, LINE, NONE, "%who",                                  \
      "Lists the variables and tables.")

/* The ARGS column as an enum. */
typedef enum tq_magic_args {
    TQ_MAGIC_ARGS_NONE,
    TQ_MAGIC_ARGS_SQL,
    TQ_MAGIC_ARGS_PATH,
} tq_magic_args_t;

#endif
