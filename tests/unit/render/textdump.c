/*
 * This file is a small driver for pandas_compare.py: it prints
 * tq_text_table of a query over an SQLite file.
 * Usage: render-textdump DB SQL MAX_ROWS HAS_INDEX
 *                        [MIN_ROWS MAX_COLUMNS PRECISION]
 * (the last three set the table's display options, as %config does).
 */
#include <stdio.h>
#include <stdlib.h>

#include "render/render.h"

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 8) {
        fprintf(stderr, "usage: %s DB SQL MAX_ROWS HAS_INDEX "
                "[MIN_ROWS MAX_COLUMNS PRECISION]\n", argv[0]);
        return 2;
    }
    char *open_error = NULL;
    tqdb_conn_t *db = tqdb_open(argv[1], TQDB_OPEN_READONLY, &open_error);
    if (!db) {
        fprintf(stderr, "%s\n", open_error);
        free(open_error);
        return 1;
    }
    tq_sql_t q = {argv[2], NULL, NULL};
    tq_table_t t;
    char *err = NULL;
    if (tq_table_fetch(db, &q, atoi(argv[3]), &t, &err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(err);
        return 1;
    }
    t.has_index = atoi(argv[4]) != 0;
    if (argc == 8)
        t.display = (tq_display_t){.set = true,
                                   .max_rows = atoi(argv[3]),
                                   .min_rows = atoi(argv[5]),
                                   .max_columns = atoi(argv[6]),
                                   .precision = atoi(argv[7])};
    char *s = tq_text_table(&t);
    fputs(s, stdout);
    free(s);
    tq_table_clear(&t);
    tqdb_close(&db);
    return 0;
}
