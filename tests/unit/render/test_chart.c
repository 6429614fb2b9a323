/*
 * This file tests the charts: every kind gives a PNG (signature, IHDR
 * width and height), a 1M-point line chart is reduced per pixel column
 * without losing a one-row spike (read back with cairo and looked for in
 * the picture), date x values, a many-row scatter (also on a log axis
 * through a given view) and hist's second pass, lines going back and
 * forth drawn from kept points as when too many to keep (traced), a
 * scatter and lines going back and forth of more points than could be
 * kept read in one pass (rows counted through the drawing module's row
 * iterator) and drawing what fewer, kept, rows draw, a scatter drawing
 * the same picture whether a point comes once or twice on either side of
 * RAW_MAX, and the errors. With TQ_CHART_DIR set, the PNGs are written
 * there to be looked at.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <cairo.h>

#include "draw/draw_module.h"
#include "render/render.h"
#include "tap.h"

static tqdb_conn_t *db;

/* A cursor on `sql`; bails out when it cannot be prepared. */
static tqdb_cursor_t *prepare(const char *sql)
{
    tqdb_cursor_t *cur = NULL;
    if (tqdb_prepare(db, sql, &cur, NULL) != 0 || !cur) {
        printf("Bail out! %s\n", tqdb_errmsg(db));
        exit(1);
    }
    return cur;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

typedef struct reader { const unsigned char *p; size_t left; } reader_t;

static cairo_status_t read_png(void *closure, unsigned char *data,
                               unsigned int length)
{
    reader_t *r = closure;
    if (length > r->left)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p, length);
    r->p += length;
    r->left -= length;
    return CAIRO_STATUS_SUCCESS;
}

static unsigned char *png;
static size_t png_len;

/* Draws `sql` as `kind` and checks the PNG header; keeps the PNG. */
static bool chart(const char *sql, tq_chart_opts_t o, const char *file,
                  const char *name)
{
    free(png);
    png = NULL;
    tqdb_cursor_t *st = prepare(sql);
    char *err = NULL;
    int rc = tq_chart_png(st, &o, &png, &png_len, &err);
    tqdb_cursor_free(&st);
    if (rc) {
        ok(false, name);
        printf("# %s\n", err);
        free(err);
        return false;
    }
    int w = o.width ? o.width : 640, h = o.height ? o.height : 400;
    bool good = png_len > 33 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0 &&
                memcmp(png + 12, "IHDR", 4) == 0 &&
                be32(png + 16) == (uint32_t)w && be32(png + 20) == (uint32_t)h;
    ok(good, name);
    const char *dir = getenv("TQ_CHART_DIR");
    if (dir) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.png", dir, file);
        FILE *f = fopen(path, "wb");
        fwrite(png, 1, png_len, f);
        fclose(f);
    }
    return good;
}

/* The darkest pixel's coordinates in the columns [x0, x1) above row ymax
 * whose colour is tab10 blue-ish; -1 when none. */
static int blue_top(int x0, int x1)
{
    reader_t r = {png, png_len};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_png,
                                                                    &r);
    int w = cairo_image_surface_get_width(s);
    int h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int top = -1;
    for (int y = 0; y < h && top < 0; y++)
        for (int x = x0; x < x1 && x < w; x++) {
            uint32_t px = *(uint32_t *)(data + y * stride + x * 4);
            int rr = px >> 16 & 255, g = px >> 8 & 255, b = px & 255;
            if (b > 150 && rr < 120 && g < 160) {
                top = y;
                break;
            }
        }
    cairo_surface_destroy(s);
    return top;
}

/* The PNG's pixels as "ink" (darker than light grey: a mark or text) or
 * not; the caller frees. */
static unsigned char *ink(int *w, int *h)
{
    reader_t r = {png, png_len};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_png,
                                                                    &r);
    *w = cairo_image_surface_get_width(s);
    *h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    unsigned char *out = malloc((size_t)*w * *h);
    for (int y = 0; y < *h; y++)
        for (int x = 0; x < *w; x++) {
            uint32_t px = *(uint32_t *)(data + y * stride + x * 4);
            int rr = px >> 16 & 255;
            out[y * *w + x] = rr < 200 ? 2 : rr < 250 ? 1 : 0;
        }
    cairo_surface_destroy(s);
    return out;
}

/* Rows made up on the fly for the drawing module, n of them, counting
 * the rows handed out and the rewinds: x = i and a y that jumps about,
 * or (tri) rows going round the triangle (0, 0), (100, 10), (50, 40),
 * or (star) rows going round a five-pointed star, each point moved by up
 * to 2 along x and y; the first `small` of those go round the figure a
 * tenth of its size (so that the rows read before a line turns out to go
 * back and forth draw only that). */
typedef struct made_rows {
    int64_t n, i, handed, rewinds, small;
    bool tri, star;
    int nulls;                  /* series after y that are all NULL */
} made_rows_t;

static int made_next(void *ud, int n, tqdb_datum_t *row, char **error)
{
    (void)error;
    made_rows_t *m = ud;
    if (m->i == m->n)
        return TQDB_DONE;
    int64_t i = m->i++;
    m->handed++;
    double x = (double)i, y = (double)(i * 7919 % 100003);
    if (m->tri) {
        static const double tx[3] = {0, 100, 50}, ty[3] = {0, 10, 40};
        x = tx[i % 3];
        y = ty[i % 3];
    } else if (m->star) {
        double a = M_PI / 2 + (double)(i * 2 % 5) * 2 * M_PI / 5;
        x = cos(a) * 100 + (double)(i * 7919 % 1001) / 250 - 2;
        y = sin(a) * 100 + (double)(i * 104729 % 1009) / 252 - 2;
    }
    if (i < m->small) {
        x = x / 10 + 20;
        y = y / 10 + 10;
    }
    row[0] = m->tri || m->star ? (tqdb_datum_t){.type = TQDB_FLOAT, .f = x}
                               : (tqdb_datum_t){.type = TQDB_INT, .i = i};
    if (n > 1)
        row[1] = (tqdb_datum_t){.type = TQDB_FLOAT, .f = y};
    for (int c = 2; c < n; c++)
        row[c] = (tqdb_datum_t){.type = TQDB_NULL};
    return TQDB_ROW;
}

static const char *made_text(void *ud, int col)
{
    (void)ud;
    (void)col;
    return NULL;
}

static double made_number(void *ud, int col)
{
    (void)ud;
    (void)col;
    return 0;
}

static int made_rewind(void *ud, char **error)
{
    (void)error;
    made_rows_t *m = ud;
    m->i = 0;
    m->rewinds++;
    return 0;
}

/* A scatter of 2.5M rows (more points than KEEP_VALUES' 4M numbers keep,
 * which a second pass would read again): every row is read once. */
static void scatter_reads_once(void)
{
    static const char *const names[] = {"x", "y"};
    made_rows_t m = {.n = 2500000};
    tq_draw_rows_t rows = {.ncols = 2, .names = names, .ud = &m,
                           .next = made_next, .text = made_text,
                           .number = made_number, .rewind = made_rewind};
    tq_chart_opts_t o = {.kind = TQ_CHART_SCATTER, .scale = 2};
    unsigned char *p = NULL;
    size_t n = 0;
    char *err = NULL;
    int rc = tq_draw_api()->chart_png(&rows, &o, &p, &n, &err);
    printf("# %lld rows handed out, %lld rewinds\n", (long long)m.handed,
           (long long)m.rewinds);
    ok(rc == 0 && n > 8 && m.rewinds == 0 && m.handed == m.n,
       "2.5M-point scatter: its rows read once");
    free(p);
    free(err);
}

/* Draws made rows m (the counters reset) with o into the PNG kept in
 * `png`; false on an error. */
static bool made_chart(made_rows_t *m, tq_chart_opts_t o, const char *file)
{
    static const char *const names[] = {"x", "y", "a", "b", "c", "d", "e",
                                        "f", "g"};
    m->i = m->handed = m->rewinds = 0;
    assert(m->nulls <= 7);
    tq_draw_rows_t rows = {.ncols = 2 + m->nulls, .names = names, .ud = m,
                           .next = made_next, .text = made_text,
                           .number = made_number, .rewind = made_rewind};
    free(png);
    png = NULL;
    char *err = NULL;
    int rc = tq_draw_api()->chart_png(&rows, &o, &png, &png_len, &err);
    if (rc)
        printf("# %s\n", err);
    free(err);
    const char *dir = getenv("TQ_CHART_DIR");
    if (rc == 0 && dir) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.png", dir, file);
        FILE *f = fopen(path, "wb");
        fwrite(png, 1, png_len, f);
        fclose(f);
    }
    return rc == 0;
}

/* The PNG kept in `png` as 0xRRGGBB pixels; the caller frees. */
static uint32_t *pixels(int *w, int *h)
{
    reader_t r = {png, png_len};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_png,
                                                                    &r);
    *w = cairo_image_surface_get_width(s);
    *h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    uint32_t *out = malloc((size_t)*w * *h * sizeof *out);
    for (int y = 0; y < *h; y++)
        for (int x = 0; x < *w; x++)
            out[y * *w + x] = *(const uint32_t *)(data + y * stride + x * 4) &
                              0xffffff;
    cairo_surface_destroy(s);
    return out;
}

/* Pixels of a and b (w x h each) that differ in any channel by more than
 * `by`; *marked counts those that are not white in a or b. */
static size_t differ(const uint32_t *a, const uint32_t *b, int w, int h,
                     int by, size_t *marked)
{
    size_t n = 0;
    *marked = 0;
    for (int i = 0; i < w * h; i++) {
        *marked += a[i] != 0xffffff || b[i] != 0xffffff;
        int most = 0;
        for (int c = 0; c < 24; c += 8) {
            int d = abs((int)(a[i] >> c & 255) - (int)(b[i] >> c & 255));
            most = d > most ? d : most;
        }
        n += most > by;
    }
    return n;
}

/* Lines of one series whose x goes back and forth, more rows than
 * KEEP_VALUES' 4M numbers keep (2.1M points): their rows are read once
 * (no rewind), and they draw what the same figure drawn from fewer rows,
 * which are kept, draws (the rows before the line turned out to go back
 * and forth draw a small copy of the figure aside): a triangle's outline
 * (the same three segments again and again) and a star whose rows are
 * each moved a little. */
static void lines_read_once(void)
{
    tq_chart_opts_t o = {.kind = TQ_CHART_LINE, .scale = 2, .width = 500,
                         .height = 400, .legend = 2, .ylabel = "y"};
    made_rows_t m = {.n = 50001, .small = 20000, .tri = true};
    int w, h, w2, h2;
    bool good = made_chart(&m, o, "tri50k");
    uint32_t *a = good ? pixels(&w, &h) : NULL;
    m.n = 2200001;
    good = good && made_chart(&m, o, "tri2200k");
    printf("# %lld rows handed out, %lld rewinds\n", (long long)m.handed,
           (long long)m.rewinds);
    ok(good && m.rewinds == 0 && m.handed == m.n,
       "2.2M rows round a triangle: read once");
    uint32_t *b = good ? pixels(&w2, &h2) : NULL;
    size_t marked = 0, apart = 0, apart32 = 0;
    if (good && w == w2 && h == h2) {
        apart = differ(a, b, w, h, 64, &marked);
        apart32 = differ(a, b, w, h, 32, &marked);
    }
    printf("# triangle: %zu pixels marked, %zu differ by more than 64, %zu "
           "by more than 32 (50k rows kept, 2.2M traced)\n", marked, apart,
           apart32);
    ok(good && w == w2 && h == h2 && marked > 10000 &&
       apart * 100 < 3 * marked,
       "2.2M rows round a triangle draw what 50k kept rows draw");
    free(a);
    free(b);

    /* the star's thin lines go back and forth across the plot, which
     * costs their length where they do not cover it: 7 empty series make
     * 600k rows too many to keep (then traced), 400k rows are kept */
    m = (made_rows_t){.n = 400000, .small = 20000, .star = true};
    good = made_chart(&m, o, "star400k");
    a = good ? pixels(&w, &h) : NULL;
    m.n = 600000;
    m.nulls = 7;
    good = good && made_chart(&m, o, "star600k");
    printf("# %lld rows handed out, %lld rewinds\n", (long long)m.handed,
           (long long)m.rewinds);
    ok(good && m.rewinds == 0 && m.handed == m.n,
       "600k rows of 8 series round a star: read once");
    b = good ? pixels(&w2, &h2) : NULL;
    apart32 = 0;
    apart = 0;
    if (good && w == w2 && h == h2) {
        apart = differ(a, b, w, h, 64, &marked);
        apart32 = differ(a, b, w, h, 32, &marked);
    }
    printf("# star: %zu pixels marked, %zu differ by more than 64, %zu by "
           "more than 32 (400k rows kept, 600k traced)\n", marked, apart,
           apart32);
    ok(good && w == w2 && h == h2 && marked > 10000 &&
       apart * 100 < 3 * marked,
       "600k rows round a star draw what 400k kept rows draw");
    free(a);
    free(b);
}

/* A scatter draws one rule at every size: 8192 points (all kept before
 * the grid is made) and the same points with one of them again (8193
 * rows, the grid made while reading) give the same picture, as do 100
 * and 101. */
static void scatter_one_rule(void)
{
    tq_chart_opts_t o = {.kind = TQ_CHART_SCATTER};
    static const struct {
        int n;
        const char *file;
    } sizes[] = {{100, "scatter100"}, {8192, "scatter8192"}};
    for (size_t k = 0; k < 2; k++) {
        char sql[256], name[128];
        snprintf(sql, sizeof sql, "SELECT x, y FROM pts WHERE x < %d",
                 sizes[k].n);
        int w, h, w2, h2;
        bool good = chart(sql, o, sizes[k].file, "scatter: PNG");
        uint32_t *a = good ? pixels(&w, &h) : NULL;
        snprintf(sql, sizeof sql, "SELECT x, y FROM pts WHERE x < %d "
                 "UNION ALL SELECT x, y FROM pts WHERE x = 7", sizes[k].n);
        snprintf(name, sizeof name, "%s+1", sizes[k].file);
        good = good && chart(sql, o, name, "scatter: PNG");
        uint32_t *b = good ? pixels(&w2, &h2) : NULL;
        size_t marked = 0, apart = good && w == w2 && h == h2
                                      ? differ(a, b, w, h, 8, &marked) : 0;
        printf("# %d points and one again: %zu pixels marked, %zu apart\n",
               sizes[k].n, marked, apart);
        snprintf(name, sizeof name, "scatter of %d points and of %d (one "
                 "twice): the same picture", sizes[k].n, sizes[k].n + 1);
        ok(good && w == w2 && h == h2 && marked > 1000 && apart == 0, name);
        free(a);
        free(b);
    }
}

int main(void)
{
    char *open_error = NULL;
    db = tqdb_open(":memory:", TQDB_OPEN_CREATE, &open_error);
    if (!db) {
        printf("Bail out! %s\n", open_error);
        return 1;
    }
    tqdb_exec(db,
        "CREATE TABLE s(x INTEGER, y REAL, z REAL);"
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
        "WHERE i < 99) INSERT INTO s SELECT i, sin(i/10.0)*50+50, "
        "cos(i/7.0)*30+40 FROM c;"
        "CREATE TABLE big(x INTEGER PRIMARY KEY, y REAL);"
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
        "WHERE i < 999999) INSERT INTO big SELECT i, "
        "CASE WHEN i = 500000 THEN 100 ELSE (i % 1000) / 1000.0 END FROM c;"
        "CREATE TABLE tri(x REAL, y REAL);"
        "INSERT INTO tri VALUES(0, 0), (100, 10), (50, 40), (0, 0);"
        "CREATE TABLE zz(x REAL, y REAL);"
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
        "WHERE i < 30000) INSERT INTO zz SELECT CASE i % 3 WHEN 0 THEN 0 "
        "WHEN 1 THEN 100 ELSE 50 END, CASE i % 3 WHEN 0 THEN 0 WHEN 1 "
        "THEN 10 ELSE 40 END FROM c;"
        "CREATE TABLE shuf AS SELECT x, y FROM big WHERE x < 300000 "
        "ORDER BY x * 7919 % 300007;"
        "CREATE TABLE half AS SELECT x, 2 + sin(x / 5000.0) AS y FROM big "
        "WHERE x < 150000 ORDER BY x;"
        "INSERT INTO half SELECT x, y FROM shuf;"
        "CREATE TABLE cat(name TEXT, sales REAL, cost REAL);"
        "INSERT INTO cat VALUES('north', 120, 80), ('south', 95.5, 70),"
        "('east <&>', 143, 90), ('west', 60, 75);"
        "CREATE TABLE pts(x INTEGER, y REAL);"
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
        "WHERE i < 8191) INSERT INTO pts SELECT i, (i * 7919 % 10007) * "
        "sin(i) FROM c;"
        "CREATE TABLE d(day TEXT, rentals INT);"
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
        "WHERE i < 364) INSERT INTO d SELECT date('2025-01-01', '+'||i||' "
        "days'), 100 + (i * 37 % 50) + i / 5 FROM c;");

    tq_chart_opts_t o = {0};
    o.kind = TQ_CHART_LINE;
    o.title = "Two waves";
    chart("SELECT x, y, z FROM s", o, "line", "line: PNG 640x400");
    o.kind = TQ_CHART_BAR;
    o.title = "Sales by region";
    chart("SELECT name, sales, cost FROM cat", o, "bar", "bar: PNG");
    o.kind = TQ_CHART_BARH;
    o.title = NULL;
    chart("SELECT name, sales FROM cat", o, "barh", "barh: PNG");
    o.kind = TQ_CHART_SCATTER;
    o.width = 500;
    o.height = 500;
    chart("SELECT y, z FROM s", o, "scatter", "scatter: PNG 500x500");
    o.kind = TQ_CHART_HIST;
    o.width = o.height = 0;
    o.bins = 20;
    chart("SELECT y FROM s", o, "hist", "hist: PNG");
    o.kind = TQ_CHART_PIE;
    o.title = "Share";
    chart("SELECT name, sales FROM cat", o, "pie", "pie: PNG");
    o.kind = TQ_CHART_LINE;
    o.title = "Rentals per day";
    chart("SELECT day, rentals FROM d ORDER BY day", o, "dates",
          "line with ISO dates: PNG");
    o.title = "Monthly";
    chart("SELECT strftime('%Y-%m-01', day) AS month, sum(rentals) FROM d "
          "GROUP BY 1", o, "months", "line with month dates: PNG");
    o.kind = TQ_CHART_BAR;
    chart("SELECT strftime('%Y-%m-01 00:00:00', day) AS month, "
          "sum(rentals) AS rentals FROM d GROUP BY 1", o, "monthbar",
          "bar of months: PNG");

    /* 1M points: reduced, the single spike at row 500000 still drawn. */
    o.kind = TQ_CHART_LINE;
    o.title = "1M points";
    o.width = 800;
    o.height = 300;
    if (chart("SELECT x, y FROM big ORDER BY x", o, "big",
              "1M-point line: PNG 800x300")) {
        int mid = blue_top(0, 800);
        ok(mid >= 0 && mid < 60, "1M-point line: the one-row spike reaches "
           "the top of the plot");
    } else {
        ok(false, "1M-point line: spike");
    }
    /* 30,001 rows going round a triangle: too far back and forth to be
     * reduced, kept and drawn through a coverage mask; the picture is
     * the triangle's outline that the 4 rows of one round draw with
     * cairo's stroke (ink where it has ink, within antialiasing). */
    o.title = "triangle";
    if (chart("SELECT x, y FROM tri", o, "tri", "triangle: PNG")) {
        int w, h, w2, h2;
        unsigned char *a = ink(&w, &h);
        chart("SELECT x, y FROM zz", o, "zz", "30k rows round a triangle: "
              "PNG");
        unsigned char *b = ink(&w2, &h2);
        size_t inked = 0, only_a = 0, only_b = 0;
        for (int i = 0; w == w2 && h == h2 && i < w * h; i++) {
            inked += a[i] == 2;
            only_a += a[i] == 2 && b[i] == 0;
            only_b += b[i] == 2 && a[i] == 0;
        }
        printf("# %zu pixels inked, %zu only by the stroke, %zu only by "
               "the mask\n", inked, only_a, only_b);
        ok(w == w2 && h == h2 && inked > 3000 && only_a * 100 < inked &&
           only_b * 100 < inked, "30k rows round a triangle: the outline "
           "of one round");
        free(a);
        free(b);
    } else {
        ok(false, "triangle outline");
    }
    /* The same rows through a view that puts them far outside the plot
     * (device coordinates around 1e12) and on a log axis (the zeros
     * break the line): drawn without a mark inside, and without a fault
     * under the sanitizers. */
    o.title = "far away";
    o.has_ylim = true;
    o.ylim[0] = 1e6;
    o.ylim[1] = 1e6 + 1e-6;
    chart("SELECT x, y FROM zz", o, "zzfar", "30k rows far outside the "
          "view: PNG");
    o.has_ylim = false;
    o.logy = true;
    chart("SELECT x, y FROM zz", o, "zzlog", "30k rows on a log axis: PNG");
    o.logy = false;
    o.kind = TQ_CHART_SCATTER;
    o.title = "1M scatter";
    chart("SELECT x, y FROM big", o, "bigscatter", "1M-point scatter: PNG");
    /* On a log y axis (the zeros not drawn) through a given x view: the
     * one-row spike is the top mark in the middle of the plot. */
    o.logy = true;
    o.has_xlim = true;
    o.xlim[0] = 250000;
    o.xlim[1] = 750000;
    if (chart("SELECT x, y FROM big", o, "bigscatterlog",
              "1M-point scatter, log y, xlim: PNG")) {
        int mid = blue_top(380, 460), side = blue_top(100, 300);
        printf("# top marks: %d in the middle, %d aside\n", mid, side);
        ok(mid >= 0 && mid < 60 && side > 80, "1M-point scatter, log y, "
           "xlim: the one-row spike drawn at the top in the middle");
    } else {
        ok(false, "1M-point scatter, log y, xlim: spike");
    }
    o.logy = false;
    o.has_xlim = false;

    /* Past KEEP_VALUES numbers (4M: 300k rows of x and 15 series) a line
     * going back and forth is traced instead of kept (after the runs of
     * the rows before it went back and forth), a scatter is drawn from its
     * grid as always: the same picture (the series drawn over each other
     * in one colour). */
    static const char *const blue[] = {"C0"};
    o.legend = 2;
    o.ylabel = "y";
    o.colors = blue;
    o.ncolors = 1;
#define Y15 "y, y, y, y, y, y, y, y, y, y, y, y, y, y, y"
#define N14 "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, " \
            "NULL, NULL, NULL, NULL"
    static const struct {
        const char *one, *many, *file, *name;
        tq_chart_kind_t kind;
    } again[] = {
        {"SELECT x, y FROM shuf", "SELECT x, " Y15 " FROM shuf", "again",
         "300k-point scatter", TQ_CHART_SCATTER},
        {"SELECT x, y FROM shuf", "SELECT x, " Y15 " FROM shuf",
         "againline", "300k unordered points' line", TQ_CHART_LINE},
        /* ordered for 150k rows, then back and forth: one series draws
         * the rows before that from their runs, then the kept ones; the
         * 14 empty series only make the rows too many to keep (a thin
         * line painted 15 times over would darken its edges) */
        {"SELECT x, y FROM half", "SELECT x, y, " N14 " FROM half",
         "halfline", "150k ordered then 300k unordered points' line",
         TQ_CHART_LINE},
    };
#undef Y15
#undef N14
    for (size_t k = 0; k < sizeof again / sizeof *again; k++) {
        o.kind = again[k].kind;
        int w, h, w2, h2;
        if (!chart(again[k].one, o, again[k].file, again[k].name)) {
            ok(false, again[k].name);
            continue;
        }
        unsigned char *a = ink(&w, &h);
        chart(again[k].many, o, again[k].file, again[k].name);
        unsigned char *b = ink(&w2, &h2);
        size_t inked = 0, apart = 0;
        for (int i = 0; w == w2 && h == h2 && i < w * h; i++) {
            inked += a[i] == 2;
            apart += (a[i] == 2 && b[i] == 0) || (b[i] == 2 && a[i] == 0);
        }
        printf("# %s: %zu pixels inked, %zu apart\n", again[k].name, inked,
               apart);
        char name[160];
        snprintf(name, sizeof name, "%s, 15 series: too many to keep, "
                 "drawn as the kept points are", again[k].name);
        ok(w == w2 && h == h2 && inked > 1000 && apart * 100 < inked, name);
        free(a);
        free(b);
    }
    o.legend = 0;
    o.ylabel = NULL;
    o.colors = NULL;
    o.ncolors = 0;
    scatter_reads_once();
    lines_read_once();
    scatter_one_rule();
    o.kind = TQ_CHART_HIST;
    o.title = "1M hist";
    chart("SELECT y FROM big WHERE y < 1", o, "bighist",
          "1M-value hist: PNG");

    /* Errors. */
    tqdb_cursor_t *st = prepare("SELECT x FROM s");
    tq_chart_opts_t e = {0};
    e.kind = TQ_CHART_LINE;
    char *err = NULL;
    unsigned char *p = NULL;
    size_t n = 0;
    ok(tq_chart_png(st, &e, &p, &n, &err) == -1 && err &&
       strstr(err, "needs an x column and a y column"),
       "line of one column: error");
    free(err);
    tqdb_cursor_free(&st);
    st = prepare("SELECT x, y FROM big");
    e.kind = TQ_CHART_BAR;
    err = NULL;
    ok(tq_chart_png(st, &e, &p, &n, &err) == -1 && err &&
       strstr(err, "at most 2000 categories"), "bar of 1M categories: error");
    free(err);
    tqdb_cursor_free(&st);
    /* Empty result: axes only. */
    e.kind = TQ_CHART_LINE;
    st = prepare("SELECT x, y FROM s WHERE 0");
    err = NULL;
    ok(tq_chart_png(st, &e, &p, &n, &err) == 0 && n > 8, "empty line chart");
    free(p);
    tqdb_cursor_free(&st);

    free(png);
    tqdb_close(&db);
    return done_testing();
}
