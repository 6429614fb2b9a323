/*
 * This file declares the renderers: they turn rows from the database into MIME
 * representations (HTML tables, PNG charts, SVG ER diagrams) and hold the
 * small data helpers they need (fetching head and tail rows with the count,
 * CSV in and out, IPython's timing format). They know SQLite but not the
 * interpreter's values, so query sets, frames and magics all share them.
 * They reach the database through db/db.h alone.
 *
 * Ownership: inputs are borrowed. Outputs (char **, unsigned char **,
 * tq_table_t) belong to the caller: free() strings and buffers, and
 * tq_table_clear() tables. Functions return 0, or -1 with a malloc'd
 * one-sentence message in *error (caller frees).
 */
#ifndef TQ_RENDER_H
#define TQ_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "db/db.h"

/* A SELECT statement and how to bind its parameters. */
typedef struct tq_sql {
    const char *sql;
    /* Binds parameters 1..n on a freshly prepared cursor; returns 0, or
     * -1 with the error on the cursor's connection. NULL when there are no
     * parameters. */
    int (*bind)(void *ud, tqdb_cursor_t *cur);
    void *ud;
} tq_sql_t;

/* pandas' display options as a table shows them (%config). A zeroed
 * tq_display_t (set false) keeps every fetched row and column and 6
 * digits. */
typedef struct tq_display {
    bool set;
    int64_t max_rows;     /* the max_rows the rows were fetched with (0:
                             pandas' None, every row up to the cap) */
    int64_t min_rows;     /* rows shown, head and tail halves, when total
                             > max_rows (0: max_rows rows) */
    int64_t max_columns;  /* columns shown, first and last halves around
                             a "..." column (0: every column) */
    int precision;        /* digits of floats */
} tq_display_t;

/* What a table display needs: the first rows, the last rows and the count,
 * never more. Cells are owned datum copies (tqdb_datum_dup, freed with
 * free() by tq_table_clear), row-major
 * (row * ncols + col). When total <= max_rows every row is in `head` and
 * ntail is 0. */
typedef struct tq_table {
    size_t ncols;
    char **columns;           /* column names */
    bool has_index;           /* column 0 is the index (shown as row label) */
    size_t nhead, ntail;
    tqdb_datum_t **head;
    tqdb_datum_t **tail;
    int64_t total;            /* rows in the whole result */
    int64_t cap;              /* non-zero: max_rows <= 0 asked for every
                                 row and TQ_TABLE_ROW_CAP cut them (the
                                 tables then say so under the footer) */
    /* NULL, or ncols tq_colhint_t values (malloc'd, freed by
     * tq_table_clear) that the caller knows from declared types or dtypes
     * and the shown values cannot tell: a float64 column whose shown
     * values are all missing shows NaN, a datetime64 column shows as
     * pandas shows it. */
    unsigned char *hints;
    /* The display options the renderers apply to the fetched rows
     * (min_rows shows fewer of them, pandas' max_rows // 2 each side;
     * max_columns and precision); set by the caller after the fetch. */
    tq_display_t display;
} tq_table_t;

typedef enum tq_colhint {
    TQ_HINT_NONE,       /* decided from the shown values */
    TQ_HINT_FLOAT,      /* float64: NULL is NaN, ints show as floats */
    TQ_HINT_DATETIME,   /* datetime64: ISO dates and datetimes shown as
                           pandas shows them (all midnight: the date
                           alone; seconds always; .fff or .ffffff when a
                           value has them), NULL as NaT; text that is not
                           a date shows as the shown values decide */
} tq_colhint_t;

/* The most rows a display keeps when max_rows <= 0 ("show all") or
 * max_rows > TQ_TABLE_ROW_CAP (which reads as "show all" too): a
 * longer result is cut like max_rows = TQ_TABLE_ROW_CAP, with a note, so
 * that no display holds millions of rows (1M rows made a 177 MB HTML
 * message). */
#define TQ_TABLE_ROW_CAP 10000

/* Runs `q` (SELECT count(*), then head and tail with LIMIT/OFFSET as
 * subqueries) and fills `out`. With max_rows <= 0 every row is fetched,
 * up to TQ_TABLE_ROW_CAP.
 * When total > max_rows, head holds max_rows - max_rows/2 rows and tail
 * max_rows/2. A statement that cannot be a subquery (PRAGMA, EXPLAIN...)
 * is read once instead, keeping the head and a ring of the last rows.
 * `q->bind` is called once per statement prepared. has_index is set by
 * the caller afterwards if it wants one. */
int tq_table_fetch(tqdb_conn_t *db, const tq_sql_t *q, int64_t max_rows,
                   tq_table_t *out, char **error);
void tq_table_clear(tq_table_t *t);

/* Called by tq_table_read on every row, before the row is kept, with its
 * 0-based index: returns 0 to go on, or -1 to stop the read. */
typedef int (*tq_row_fn)(void *ud, tqdb_cursor_t *cur, int64_t index);

/* Steps a prepared, bound cursor once to its end and fills `out`: the
 * first max_rows - max_rows/2 rows in head, the last max_rows/2 through a
 * ring into tail, and the count (max_rows <= 0: TQ_TABLE_ROW_CAP). on_row
 * (may be NULL) sees every row, so a caller builds its own items from the
 * same pass. The cursor is not freed. Returns 0, or -1 with `out` cleared
 * and *error set (a database error) or NULL (on_row stopped). */
int tq_table_read(tqdb_conn_t *db, tqdb_cursor_t *cur, int64_t max_rows,
                  tq_row_fn on_row, void *ud, tq_table_t *out, char **error);

/* HTML: a <table class="dataframe"> like pandas', every value escaped,
 * numbers right-aligned, NULL shown as a distinct <em>None</em> cell, a
 * "…" row between head and tail, a "..." column between the first and
 * last columns past display.max_columns, and a "N rows × M columns"
 * footer when truncated. Returns malloc'd HTML. */
char *tq_html_table(const tq_table_t *t);

/* Plain text in pandas' layout (LANGUAGE.md section 6): columns right-
 * aligned, strings shown bare, NULL as None; with has_index the index
 * column's name on its own line under the header and its values as row
 * labels; "..." rows, a "..." column past display.max_columns (pandas'
 * horizontal truncation) and a "[N rows x M columns]" line when truncated.
 * Matches pandas 1.5's DataFrame.to_string (floats share decimals,
 * e-notation for tiny/huge, display.max_colwidth 50, index=False when
 * has_index is false) with trailing spaces stripped from every line; no
 * horizontal wrapping. Zero rows: pandas' "Empty DataFrame" text.
 * Returns malloc'd text without a trailing newline. */
char *tq_text_table(const tq_table_t *t);

/* The text of tq_html_table and tq_text_table carries each NUL byte of a
 * value as the pair C0 80 (modified UTF-8's NUL, which no valid UTF-8
 * holds), so that the byte survives formatting through C strings. This
 * turns the pairs of `s` back into NUL bytes in place and returns the
 * length of the text in bytes (s stays NUL-terminated one past it): the
 * length to put in a MIME bundle. A repr, which is a C string, ends at
 * the first NUL. */
size_t tq_render_nuls(char *s);

/* Charts (cairo); the kinds are listed in render/chart_kinds.h. */
#include "render/chart_kinds.h"

typedef enum tq_chart_kind {
#define X(e, name, doc) TQ_CHART_##e,
    TQ_CHART_KINDS(X)
#undef X
} tq_chart_kind_t;

typedef struct tq_chart_opts {
    tq_chart_kind_t kind;
    const char *title, *xlabel, *ylabel;   /* NULL: none / column names */
    int width, height;                     /* pixels; 0: 640 x 400 */
    int scale;             /* PNG pixels per pixel (2: retina); 0: 1 */
    int bins;                              /* hist; 0: 10 */
    /* pandas' keywords; zero values are pandas' defaults */
    bool logx, logy, grid;
    int legend;            /* -1 or 0 default (shown for 2+ series); 1 shown;
                              2 hidden */
    int stacked;           /* 0 default (area stacked, bars side by side);
                              1 stacked; 2 not stacked */
    const char *const *colors;  /* series colours ("C1", "red", "#1f77b4",
                                   "tab:blue"), ncolors of them; NULL: tab10 */
    size_t ncolors;
    double alpha;          /* 0: opaque (area 0.5) */
    bool has_xlim, has_ylim, has_rot;
    double xlim[2], ylim[2];
    double rot;            /* x tick labels' rotation in degrees */
    double marker_size;    /* scatter's s, in points squared; 0: 20 */
    bool by_series;        /* series from by=: a NULL y is skipped (the
                              series' other rows), not a gap */
    /* When not NULL, receives a malloc'd JSON object describing what was
     * drawn: {"xticks": [labels], "yticks": [labels], "legend": [names]}
     * (category axes list their shown labels); the caller frees it. */
    char **info;
} tq_chart_opts_t;

/* The SQL of a chart with one series per category (pandas' `by=`): `q`
 * selects x, the category and y, in that order; the result selects x and
 * one column per distinct category (sorted; named by its text, "None"
 * for NULL; at most 64), holding y on that category's rows and NULL on
 * the others, row for row; `grouped` gives one row per x instead (the
 * sum of each category's y, x in order). The result has q's parameters
 * and is bound as q is. Returns 0 with malloc'd SQL in *sql. */
int tq_chart_by_sql(tqdb_conn_t *db, const tq_sql_t *q, bool grouped,
                    char **sql, char **error);

/* Draws a chart from a prepared, bound cursor: column 0 is x (number,
 * ISO-8601 date text, or other text taken as categories in row order; for
 * bar/barh/pie a label), columns 1.. are the y series named by their
 * column names (hist: column 0 alone is the data; pie: column 1 only;
 * box: every column is a series). Every kind draws its points in row
 * order, at every size. Line, area and scatter charts step the
 * statement once: past 8192 rows every line is reduced per pixel column,
 * in row order (a run of rows inside one column becomes its first,
 * lowest, highest and last point), never sampled, in memory bounded by
 * the width when x is ordered; rows whose x goes back and forth are kept
 * while they fit, then traced in row order on a grid in axis units
 * (draw/chart_grid.h) bounded by the picture. Scatter plots mark such a
 * grid at every size, one marker per marked cell. Histograms of more
 * than 8192 rows step it a second time after tqdb_reset (bindings are
 * kept): first the range, then the bin counts. Bar, barh and pie take
 * at most 2000 rows. The
 * cursor is stepped to its end but not freed. The drawing runs in the
 * module tabula-draw.so (draw/draw_module.h), which gets the rows, not
 * the cursor. Fills a malloc'd PNG. */
int tq_chart_png(tqdb_cursor_t *cur, const tq_chart_opts_t *opts,
                 unsigned char **png, size_t *png_len, char **error);

/* ER diagram of the named tables of the main schema (all when n == 0;
 * names match case-insensitively, an unknown one is an error) through
 * graphviz's libgvc in-process: a box per table with columns, types and
 * PK/FK/NOT NULL marks, an edge per foreign key between shown tables,
 * labelled with its column. One GVC_t is kept for the process; the
 * layout runs in a forked child, so that graphviz 2.43's leak of about
 * 1 KB per table per call in its HTML-label code (htmlparse, sizeArray,
 * pango_parse_markup) ends with the child. The tables are read here
 * through db.h and handed to the module as a diagram model. Fills
 * malloc'd SVG text. */
int tq_erd_svg(tqdb_conn_t *db, const char *const *tables, size_t n,
               char **svg, size_t *svg_len, char **error);

/* CSV: load a file into a new table (RFC 4180; INTEGER, REAL or TEXT per
 * column inferred from every value, empty fields NULL; inside one
 * SAVEPOINT; a bad row or an unterminated quote is an error naming its
 * line and nothing is imported; an existing table is an error unless
 * `replace`, which drops it in the same savepoint), and write a
 * statement's rows with a header line (floats as Python's repr, NULL as
 * an empty field, fields quoted only when needed). */
int tq_csv_load(tqdb_conn_t *db, const char *path, const char *table,
                bool replace, int64_t *rows_loaded, char **error);
/* The same, reporting rows inserted of the rows in the file to `progress`
 * (with `ud`) every few thousand rows; progress may be NULL. */
int tq_csv_load_progress(tqdb_conn_t *db, const char *path,
                         const char *table, bool replace,
                         int64_t *rows_loaded, char **error,
                         void (*progress)(void *ud, int64_t done,
                                          int64_t total),
                         void *ud);
int tq_csv_write(tqdb_cursor_t *cur, const char *path, int64_t *rows_written,
                 char **error);

/* IPython's %timeit line:
 * "1.2 ms ± 34.5 µs per loop (mean ± std. dev. of 7 runs, 100 loops each)".
 * `per_loop` holds one mean time per run, in seconds; the deviation is the
 * population one; loops get thousands separators ("1,000 loops") as
 * IPython 8 prints them. Returns malloc'd. */
char *tq_timeit_format(const double *per_loop, size_t runs, int64_t loops);
/* A duration as IPython prints it ("1.23 ms", "45.6 µs", "2.01 s"). */
char *tq_time_format(double seconds);

#endif
