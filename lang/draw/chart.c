/*
 * This file draws charts with cairo into PNG bytes: line, bar, barh,
 * scatter, hist and pie, in the look of matplotlib's defaults (tab10
 * colours, four thin spines, outward tick marks, DejaVu Sans, a framed
 * legend in the emptiest corner when there are several series).
 *
 * The rows come through draw_module.h's row iterator (tq_draw_rows_t),
 * never from the database itself. Memory is bounded by the picture, not by
 * the rows. A line chart reads its rows once: the first RAW_MAX rows are kept as they are; past
 * that every series is reduced per bucket (M4: first, min, max and last
 * point, in row order) on a grid of 4 buckets per pixel column whose
 * bucket width doubles, merging neighbours, whenever a point falls outside
 * it, so a bucket always stays at most half a pixel wide. A scatter plot
 * or a histogram of more than RAW_MAX rows reads the rows a second
 * time (the iterator rewinds, parameters kept) once the first pass has found
 * the ranges: the scatter marks the cells of a 2-pixel grid that hold a
 * point, the histogram counts. Nothing is ever sampled.
 */
#include <assert.h>
#include <math.h>
#include <cairo.h>

#include "draw/chart_axis.h"
#include "draw/draw_module.h"
#include "render/render_util.h"

enum {
    RAW_MAX = 8192,        /* rows drawn as they are */
    MAX_CATEGORIES = 2000, /* bar, barh, pie */
    MAX_SERIES = 64,
    BUCKETS_PER_PX = 4,
    SCATTER_CELL = 2,      /* px */
};

static const double TAB10[10][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c},
    {0xd6, 0x27, 0x28}, {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b},
    {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f}, {0xbc, 0xbd, 0x22},
    {0x17, 0xbe, 0xcf},
};

static const char FONT[] = "DejaVu Sans";
static const double TICK_FONT = 11.5, LABEL_FONT = 12.5, TITLE_FONT = 15;
static const double SPINE_GREY = 0.2;

/* The kinds' names, for messages. */
#define CHART_KINDS(X) X(LINE, "line") X(BAR, "bar") X(BARH, "barh") \
    X(SCATTER, "scatter") X(HIST, "hist") X(PIE, "pie")
static const char *kind_name(tq_chart_kind_t k)
{
    switch (k) {
#define X(name, text) case TQ_CHART_##name: return text;
    CHART_KINDS(X)
#undef X
    }
    return "chart";
}

/* One M4 bucket: the first, last, lowest and highest point it received
 * (row numbers order min and max). */
typedef struct bucket {
    int64_t n;
    double fx, fy, lx, ly, minx, miny, maxx, maxy;
    int64_t mini, maxi;
} bucket_t;

typedef enum xmode { X_NUMBER, X_DATE, X_CATEGORY } xmode_t;

/* Everything read from the statement. */
typedef struct data {
    tq_chart_kind_t kind;
    size_t nseries;
    char *xname;
    char **names;            /* series names */
    xmode_t xmode;
    bool xmode_known;
    int64_t rows;            /* rows with a usable x */
    /* raw rows (at most RAW_MAX; all rows for bar/barh/pie) */
    size_t nraw, rawcap;
    double *rx;              /* x */
    double *ry;              /* nraw * nseries, NAN for NULL */
    char **labels;           /* category labels (bar, pie, text x) */
    size_t nlabels;
    /* reduced line data */
    bool reduced;
    size_t nb;               /* buckets per series */
    double lo, bw;           /* bucket grid */
    double hi, inv_bw;       /* lo + nb * bw, 1 / bw */
    bucket_t *b;             /* nseries * nb */
    /* ranges */
    double xmin, xmax, ymin, ymax;
    bool any_y;
    /* hist */
    int64_t *counts;
    int bins;
    /* scatter occupancy (cells of the plot) */
    unsigned char *cells;
    int cw, ch;
} data_t;

static void data_free(data_t *d)
{
    free(d->xname);
    for (size_t i = 0; i < d->nseries; i++)
        free(d->names[i]);
    free(d->names);
    free(d->rx);
    free(d->ry);
    for (size_t i = 0; i < d->nlabels; i++)
        free(d->labels[i]);
    free(d->labels);
    free(d->b);
    free(d->counts);
    free(d->cells);
}

/* ---- M4 buckets */

static void bucket_add(bucket_t *b, double x, double y, int64_t i)
{
    if (b->n++ == 0) {
        b->fx = b->lx = b->minx = b->maxx = x;
        b->fy = b->ly = b->miny = b->maxy = y;
        b->mini = b->maxi = i;
        return;
    }
    b->lx = x;
    b->ly = y;
    if (y < b->miny) {
        b->miny = y;
        b->minx = x;
        b->mini = i;
    }
    if (y > b->maxy) {
        b->maxy = y;
        b->maxx = x;
        b->maxi = i;
    }
}

/* a then b (b's points come later on the x axis) merged into a. */
static void bucket_merge(bucket_t *a, const bucket_t *b)
{
    if (!b->n)
        return;
    if (!a->n) {
        *a = *b;
        return;
    }
    a->n += b->n;
    a->lx = b->lx;
    a->ly = b->ly;
    if (b->miny < a->miny) {
        a->miny = b->miny;
        a->minx = b->minx;
        a->mini = b->mini;
    }
    if (b->maxy > a->maxy) {
        a->maxy = b->maxy;
        a->maxx = b->maxx;
        a->maxi = b->maxi;
    }
}

/* Doubles the bucket width, growing the grid towards `x`. */
static void grid_double(data_t *d, double x)
{
    size_t nb = d->nb;
    bool left = x < d->lo;
    for (size_t s = 0; s < d->nseries; s++) {
        bucket_t *b = d->b + s * nb;
        bucket_t *tmp = db_xcalloc(nb, sizeof *tmp);
        for (size_t k = 0; k < nb; k++) {
            size_t j = left ? (k + nb) / 2 : k / 2;
            bucket_merge(&tmp[j], &b[k]);
        }
        memcpy(b, tmp, nb * sizeof *b);
        free(tmp);
    }
    if (left)
        d->lo -= (double)nb * d->bw;
    d->bw *= 2;
}

static void grid_add(data_t *d, double x, const double *ys, int64_t row)
{
    while (!(x >= d->lo && x < d->hi)) {
        grid_double(d, x);
        d->hi = d->lo + (double)d->nb * d->bw;
        d->inv_bw = 1 / d->bw;
    }
    size_t k = (size_t)((x - d->lo) * d->inv_bw);
    if (k >= d->nb)
        k = d->nb - 1;
    bucket_t *b = d->b + k;
    for (size_t s = 0; s < d->nseries; s++, b += d->nb)
        if (!isnan(ys[s]))
            bucket_add(b, x, ys[s], row);
}

/* Starts reducing: the grid spans the raw rows' x range. */
static void grid_start(data_t *d, size_t plot_px)
{
    d->nb = plot_px * BUCKETS_PER_PX;
    d->b = db_xcalloc(d->nseries * d->nb, sizeof *d->b);
    double span = d->xmax - d->xmin;
    d->lo = d->xmin;
    d->bw = span > 0 ? span * (1 + 1e-9) / (double)d->nb
                     : (fabs(d->xmin) > 0 ? fabs(d->xmin) * 1e-9 : 1e-9);
    d->hi = d->lo + (double)d->nb * d->bw;
    d->inv_bw = 1 / d->bw;
    for (size_t r = 0; r < d->nraw; r++)
        grid_add(d, d->rx[r], d->ry + r * d->nseries, (int64_t)r);
    d->reduced = true;
}

/* ---- reading */

/* Column `col` of the current row (datum v) as a number, converted as
 * the database converts it. */
static double datum_number(const tq_draw_rows_t *rows, const tqdb_datum_t *v,
                           int col)
{
    switch (v->type) {
    case TQDB_INT:
        return (double)v->i;
    case TQDB_FLOAT:
        return v->f;
    case TQDB_NULL:
        return 0;
    case TQDB_TEXT:
    case TQDB_BLOB:
        break;
    }
    return rows->number(rows->ud, col);
}

/* x of the current row (its column 0 in v); false when the row has no
 * usable x. */
static bool row_x(data_t *d, const tq_draw_rows_t *rows,
                  const tqdb_datum_t *v, double *x)
{
    tqdb_type_t type = v->type;
    if (type == TQDB_NULL)
        return false;
    if (!d->xmode_known) {
        double t;
        if (type == TQDB_INT || type == TQDB_FLOAT)
            d->xmode = X_NUMBER;
        else if (type == TQDB_TEXT && axis_parse_date(v->s, &t))
            d->xmode = X_DATE;
        else
            d->xmode = X_CATEGORY;
        d->xmode_known = true;
    }
    switch (d->xmode) {
    case X_NUMBER:
        *x = datum_number(rows, v, 0);
        return isfinite(*x);
    case X_DATE:
        return type == TQDB_TEXT && axis_parse_date(v->s, x);
    case X_CATEGORY:
        *x = (double)d->rows;
        return true;
    }
    return false;
}

/* Keeps column 0 of the current row (datum v) as a category label: its
 * text as the database converts it, "None" for NULL. */
static void push_label(data_t *d, const tq_draw_rows_t *rows,
                       const tqdb_datum_t *v)
{
    const char *s = v->type == TQDB_TEXT ? v->s
                  : v->type == TQDB_NULL ? NULL
                  : rows->text(rows->ud, 0);
    d->labels = db_xrealloc(d->labels, (d->nlabels + 1) * sizeof *d->labels);
    d->labels[d->nlabels++] = db_xstrdup(s ? s : "None");
}

static void push_raw(data_t *d, double x, const double *ys)
{
    if (d->nraw == d->rawcap) {
        d->rawcap = d->rawcap ? d->rawcap * 2 : 256;
        d->rx = db_xrealloc(d->rx, d->rawcap * sizeof *d->rx);
        d->ry = db_xrealloc(d->ry, d->rawcap * d->nseries * sizeof *d->ry);
    }
    d->rx[d->nraw] = x;
    memcpy(d->ry + d->nraw * d->nseries, ys, d->nseries * sizeof *ys);
    d->nraw++;
}

static void widen_x(data_t *d, double x)
{
    if (d->rows == 0 || x < d->xmin)
        d->xmin = x;
    if (d->rows == 0 || x > d->xmax)
        d->xmax = x;
}

static void widen_y(data_t *d, double y)
{
    if (isnan(y))
        return;
    if (!d->any_y || y < d->ymin)
        d->ymin = y;
    if (!d->any_y || y > d->ymax)
        d->ymax = y;
    d->any_y = true;
}

/* Column `col` of the current row (datum v) as a y value; NAN when it has
 * none. */
static double column_y(const tq_draw_rows_t *rows, const tqdb_datum_t *v,
                       int col)
{
    if (v->type == TQDB_NULL)
        return NAN;
    if (v->type == TQDB_TEXT) {     /* numbers kept as text still count */
        char *end;
        double d = strtod(v->s, &end);
        return *end || end == v->s ? NAN : d;
    }
    double d = datum_number(rows, v, col);
    return isfinite(d) ? d : NAN;
}

/* Columns read per row: x and the series (a histogram: its one column). */
static int row_width(const data_t *d)
{
    return d->kind == TQ_CHART_HIST ? 1 : (int)d->nseries + 1;
}

/* Pass 1 for every kind; line charts reduce here. */
static int read_rows(data_t *d, const tq_draw_rows_t *rows, size_t plot_px,
                     char **error)
{
    double ys[MAX_SERIES];
    tqdb_datum_t row[MAX_SERIES + 1];
    int width = row_width(d);
    int rc;
    bool categorical = d->kind == TQ_CHART_BAR || d->kind == TQ_CHART_BARH ||
                       d->kind == TQ_CHART_PIE;
    while ((rc = rows->next(rows->ud, width, row, error)) == TQDB_ROW) {
        double x;
        if (d->kind == TQ_CHART_HIST) {
            x = column_y(rows, &row[0], 0);
            if (isnan(x))
                continue;
            widen_x(d, x);
            ys[0] = x;
            if (d->nraw < RAW_MAX)
                push_raw(d, x, ys);
            d->rows++;
            continue;
        }
        if (categorical) {
            if (d->nraw >= MAX_CATEGORIES) {
                *error = db_xasprintf("A %s chart shows at most %d "
                                     "categories; aggregate the rows first.",
                                     kind_name(d->kind), MAX_CATEGORIES);
                return -1;
            }
            push_label(d, rows, &row[0]);
            x = (double)d->nraw;
        } else if (!row_x(d, rows, &row[0], &x)) {
            continue;
        } else if (d->xmode == X_CATEGORY && d->nlabels < RAW_MAX) {
            push_label(d, rows, &row[0]);
        }
        for (size_t s = 0; s < d->nseries; s++) {
            ys[s] = column_y(rows, &row[s + 1], (int)s + 1);
            widen_y(d, ys[s]);
        }
        widen_x(d, x);
        if (d->reduced)
            grid_add(d, x, ys, d->rows);
        else if (d->nraw < RAW_MAX || categorical)
            push_raw(d, x, ys);
        else if (d->kind == TQ_CHART_LINE) {
            grid_start(d, plot_px);
            grid_add(d, x, ys, d->rows);
        }
        d->rows++;
    }
    return rc == TQDB_DONE ? 0 : -1;
}

/* ---- geometry */

typedef struct frame {
    cairo_t *cr;
    int width, height;
    double left, right, top, bottom;      /* plot area in px */
    double x0, x1, y0, y1;                /* view in data units */
    axis_ticks_t xt, yt;
    bool xdates;
} frame_t;

static double px_x(const frame_t *f, double x)
{
    return f->left + (x - f->x0) / (f->x1 - f->x0) * (f->right - f->left);
}

static double px_y(const frame_t *f, double y)
{
    return f->bottom - (y - f->y0) / (f->y1 - f->y0) * (f->bottom - f->top);
}

static void set_colour(cairo_t *cr, size_t i)
{
    const double *c = TAB10[i % 10];
    cairo_set_source_rgb(cr, c[0] / 255, c[1] / 255, c[2] / 255);
}

static void font(cairo_t *cr, double size)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

/* Draws `s` with its anchor at (x, y): ax 0 left, 0.5 centre, 1 right;
 * ay 0 top, 0.5 middle, 1 baseline-ish bottom. */
static void text_at(cairo_t *cr, const char *s, double x, double y,
                    double ax, double ay)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    double w = text_width(cr, s);
    double h = fe.ascent * 0.78;   /* cap height of DejaVu Sans */
    cairo_move_to(cr, x - w * ax, y + h * (1 - ay));
    cairo_show_text(cr, s);
}

/* Nice view range with matplotlib's 5% margins. */
static void margins(double *lo, double *hi, bool zero_based)
{
    if (!(*hi > *lo)) {
        double pad = *lo == 0 ? 1 : fabs(*lo) * 0.05;
        *lo -= pad;
        *hi += pad;
        return;
    }
    double m = (*hi - *lo) * 0.05;
    if (zero_based && *lo >= 0) {
        *lo = 0;
        *hi += m;
    } else if (zero_based && *hi <= 0) {
        *hi = 0;
        *lo -= m;
    } else {
        *lo -= m;
        *hi += m;
    }
}

/* Obstacles for choosing the legend's corner. */
typedef struct obstacles {
    double *r;     /* x0 y0 x1 y1 */
    size_t n, cap;
} obstacles_t;

static void obstacle(obstacles_t *o, double x0, double y0, double x1,
                     double y1)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        o->r = db_xrealloc(o->r, o->cap * 4 * sizeof *o->r);
    }
    double *r = o->r + 4 * o->n++;
    r[0] = fmin(x0, x1);
    r[1] = fmin(y0, y1);
    r[2] = fmax(x0, x1);
    r[3] = fmax(y0, y1);
}

/* ---- drawing parts */

static void draw_spines_and_ticks(frame_t *f, bool xaxis, bool yaxis)
{
    cairo_t *cr = f->cr;
    cairo_set_line_width(cr, 1);
    cairo_set_source_rgb(cr, SPINE_GREY, SPINE_GREY, SPINE_GREY);
    double l = floor(f->left) + 0.5, r = floor(f->right) + 0.5;
    double t = floor(f->top) + 0.5, b = floor(f->bottom) + 0.5;
    cairo_rectangle(cr, l, t, r - l, b - t);
    cairo_stroke(cr);
    font(cr, TICK_FONT);
    if (xaxis) {
        for (size_t i = 0; i < f->xt.n; i++) {
            double x = floor(px_x(f, f->xt.at[i])) + 0.5;
            cairo_move_to(cr, x, b);
            cairo_line_to(cr, x, b + 5);
            cairo_stroke(cr);
            text_at(cr, f->xt.label[i], x, b + 9, 0.5, 0);
        }
        if (f->xt.offset[0])
            text_at(cr, f->xt.offset, r, b + 28, 1, 0);
    }
    if (yaxis) {
        for (size_t i = 0; i < f->yt.n; i++) {
            double y = floor(px_y(f, f->yt.at[i])) + 0.5;
            cairo_move_to(cr, l, y);
            cairo_line_to(cr, l - 5, y);
            cairo_stroke(cr);
            text_at(cr, f->yt.label[i], l - 8, y, 1, 0.5);
        }
        if (f->yt.offset[0])
            text_at(cr, f->yt.offset, l, t - 8, 0, 1);
    }
}

/* Title and axis labels. */
static void draw_labels(frame_t *f, const char *title, const char *xlabel,
                        const char *ylabel, double ylabel_x)
{
    cairo_t *cr = f->cr;
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (title && *title) {
        font(cr, TITLE_FONT);
        text_at(cr, title, (f->left + f->right) / 2, f->top - 12, 0.5, 1);
    }
    font(cr, LABEL_FONT);
    if (xlabel && *xlabel)
        text_at(cr, xlabel, (f->left + f->right) / 2, f->height - 10, 0.5, 1);
    if (ylabel && *ylabel) {
        cairo_save(cr);
        cairo_translate(cr, ylabel_x, (f->top + f->bottom) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, ylabel, 0, 0, 0.5, 0.5);
        cairo_restore(cr);
    }
}

/* The legend in the corner of the plot that overlaps the fewest drawn
 * marks (matplotlib's loc="best"). */
static void draw_legend(frame_t *f, data_t *d, const obstacles_t *o)
{
    if (d->nseries < 2)
        return;
    cairo_t *cr = f->cr;
    font(cr, TICK_FONT);
    double w = 0;
    for (size_t s = 0; s < d->nseries; s++)
        w = fmax(w, text_width(cr, d->names[s]));
    double row = 19, bw = w + 46, bh = row * (double)d->nseries + 8;
    double pad = 8;
    double cx[4] = {f->right - pad - bw, f->left + pad, f->left + pad,
                    f->right - pad - bw};
    double cy[4] = {f->top + pad, f->top + pad, f->bottom - pad - bh,
                    f->bottom - pad - bh};
    size_t best = 0, best_hits = SIZE_MAX;
    for (size_t c = 0; c < 4; c++) {
        size_t hits = 0;
        for (size_t i = 0; i < o->n; i++) {
            const double *r = o->r + 4 * i;
            if (r[2] >= cx[c] && r[0] <= cx[c] + bw && r[3] >= cy[c] &&
                r[1] <= cy[c] + bh)
                hits++;
        }
        if (hits < best_hits) {
            best_hits = hits;
            best = c;
        }
    }
    double x = cx[best], y = cy[best];
    cairo_new_path(cr);
    double rr = 3;
    cairo_arc(cr, x + bw - rr, y + rr, rr, -M_PI / 2, 0);
    cairo_arc(cr, x + bw - rr, y + bh - rr, rr, 0, M_PI / 2);
    cairo_arc(cr, x + rr, y + bh - rr, rr, M_PI / 2, M_PI);
    cairo_arc(cr, x + rr, y + rr, rr, M_PI, 3 * M_PI / 2);
    cairo_close_path(cr);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (size_t s = 0; s < d->nseries; s++) {
        double yy = y + 4 + row * ((double)s + 0.5);
        set_colour(cr, s);
        if (d->kind == TQ_CHART_LINE) {
            cairo_set_line_width(cr, 2);
            cairo_move_to(cr, x + 8, yy);
            cairo_line_to(cr, x + 34, yy);
            cairo_stroke(cr);
        } else if (d->kind == TQ_CHART_SCATTER) {
            cairo_arc(cr, x + 21, yy, 3.2, 0, 2 * M_PI);
            cairo_fill(cr);
        } else {
            cairo_rectangle(cr, x + 10, yy - 5, 22, 10);
            cairo_fill(cr);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, d->names[s], x + 40, yy, 0, 0.5);
    }
}

/* ---- the kinds */

static void line_to_point(cairo_t *cr, bool *started, double x, double y)
{
    if (*started)
        cairo_line_to(cr, x, y);
    else
        cairo_move_to(cr, x, y);
    *started = true;
}

static void draw_line(frame_t *f, data_t *d, obstacles_t *o)
{
    cairo_t *cr = f->cr;
    cairo_set_line_width(cr, 2.08);      /* 1.5 pt at 100 dpi */
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
    for (size_t s = 0; s < d->nseries; s++) {
        bool started = false;
        cairo_new_path(cr);
        if (!d->reduced) {
            for (size_t r = 0; r < d->nraw; r++) {
                double y = d->ry[r * d->nseries + s];
                if (isnan(y)) {          /* NULL: a gap, as matplotlib */
                    started = false;
                    continue;
                }
                double px = px_x(f, d->rx[r]), py = px_y(f, y);
                line_to_point(cr, &started, px, py);
                obstacle(o, px, py, px, py);
            }
        } else {
            for (size_t k = 0; k < d->nb; k++) {
                const bucket_t *b = &d->b[s * d->nb + k];
                if (!b->n)
                    continue;
                double pts[4][2] = {{b->fx, b->fy}, {0, 0}, {0, 0},
                                    {b->lx, b->ly}};
                bool min_first = b->mini <= b->maxi;
                pts[min_first ? 1 : 2][0] = b->minx;
                pts[min_first ? 1 : 2][1] = b->miny;
                pts[min_first ? 2 : 1][0] = b->maxx;
                pts[min_first ? 2 : 1][1] = b->maxy;
                for (int i = 0; i < 4; i++) {
                    double px = px_x(f, pts[i][0]), py = px_y(f, pts[i][1]);
                    line_to_point(cr, &started, px, py);
                    obstacle(o, px, py, px, py);
                }
            }
        }
        set_colour(cr, s);
        cairo_stroke(cr);
    }
}

static void draw_scatter(frame_t *f, data_t *d, obstacles_t *o)
{
    cairo_t *cr = f->cr;
    const double r = 3.1;
    for (size_t s = 0; s < d->nseries; s++) {
        set_colour(cr, s);
        cairo_new_path(cr);
        if (!d->cells) {
            for (size_t i = 0; i < d->nraw; i++) {
                double y = d->ry[i * d->nseries + s];
                if (isnan(y))
                    continue;
                double px = px_x(f, d->rx[i]), py = px_y(f, y);
                cairo_new_sub_path(cr);
                cairo_arc(cr, px, py, r, 0, 2 * M_PI);
                obstacle(o, px - r, py - r, px + r, py + r);
            }
        } else {
            const unsigned char *c = d->cells + s * (size_t)d->cw * d->ch;
            for (int j = 0; j < d->ch; j++)
                for (int i = 0; i < d->cw; i++) {
                    if (!c[(size_t)j * d->cw + i])
                        continue;
                    double px = f->left + (i + 0.5) * SCATTER_CELL;
                    double py = f->top + (j + 0.5) * SCATTER_CELL;
                    cairo_new_sub_path(cr);
                    cairo_arc(cr, px, py, r, 0, 2 * M_PI);
                    obstacle(o, px - r, py - r, px + r, py + r);
                }
        }
        cairo_fill(cr);
    }
}

/* Grouped bars (pandas: group width 0.5 around each category). */
static void draw_bars(frame_t *f, data_t *d, obstacles_t *o, bool horizontal)
{
    cairo_t *cr = f->cr;
    double group = 0.5, w = group / (double)d->nseries;
    for (size_t s = 0; s < d->nseries; s++) {
        set_colour(cr, s);
        for (size_t i = 0; i < d->nraw; i++) {
            double v = d->ry[i * d->nseries + s];
            if (isnan(v))
                continue;
            double c0 = (double)i - group / 2 + w * (double)s, c1 = c0 + w;
            double x0, x1, y0, y1;
            if (horizontal) {
                x0 = px_x(f, 0); x1 = px_x(f, v);
                y0 = px_y(f, c0); y1 = px_y(f, c1);
            } else {
                x0 = px_x(f, c0); x1 = px_x(f, c1);
                y0 = px_y(f, 0); y1 = px_y(f, v);
            }
            cairo_rectangle(cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0),
                            fabs(y1 - y0));
            obstacle(o, x0, y0, x1, y1);
        }
        cairo_fill(cr);
    }
}

static void draw_hist(frame_t *f, data_t *d, obstacles_t *o)
{
    cairo_t *cr = f->cr;
    double lo = d->xmin, hi = d->xmax;
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    double bw = (hi - lo) / d->bins;
    for (int i = 0; i < d->bins; i++) {
        double x0 = px_x(f, lo + bw * i), x1 = px_x(f, lo + bw * (i + 1));
        double y0 = px_y(f, 0), y1 = px_y(f, (double)d->counts[i]);
        cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
        obstacle(o, x0, y0, x1, y1);
    }
    set_colour(cr, 0);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
}

/* numpy.histogram's bin of v over [lo, hi] (the last edge inclusive). */
static int bin_of(double v, double lo, double hi, int bins)
{
    if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    int b = (int)((v - lo) / (hi - lo) * bins);
    if (b >= bins)
        b = bins - 1;
    if (b < 0)
        b = 0;
    return b;
}

static void draw_pie(frame_t *f, data_t *d)
{
    cairo_t *cr = f->cr;
    double total = 0;
    for (size_t i = 0; i < d->nraw; i++)
        if (!isnan(d->ry[i * d->nseries]) && d->ry[i * d->nseries] > 0)
            total += d->ry[i * d->nseries];
    double cx = (f->left + f->right) / 2, cy = (f->top + f->bottom) / 2;
    double r = fmin(f->right - f->left, f->bottom - f->top) / 2 * 0.78;
    double a = 0;
    font(cr, TICK_FONT);
    for (size_t i = 0; i < d->nraw; i++) {
        double v = d->ry[i * d->nseries];
        if (isnan(v) || v <= 0 || total <= 0)
            continue;
        double sweep = v / total * 2 * M_PI;
        /* matplotlib: counter-clockwise from 3 o'clock (cairo's y is
         * down, hence the negative angles). */
        cairo_move_to(cr, cx, cy);
        cairo_arc_negative(cr, cx, cy, r, -a, -(a + sweep));
        cairo_close_path(cr);
        set_colour(cr, i);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_set_line_width(cr, 1);
        cairo_stroke(cr);
        double mid = a + sweep / 2;
        double lx = cx + cos(mid) * r * 1.1, ly = cy - sin(mid) * r * 1.1;
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, d->labels[i], lx, ly, cos(mid) >= 0 ? 0 : 1, 0.5);
        a += sweep;
    }
}

/* Category labels under (or beside) bars: every k-th when crowded,
 * rotated 90 degrees as pandas does when they do not fit flat. */
static void draw_category_ticks(frame_t *f, data_t *d, bool horizontal,
                                bool rotate)
{
    cairo_t *cr = f->cr;
    font(cr, TICK_FONT);
    cairo_set_source_rgb(cr, SPINE_GREY, SPINE_GREY, SPINE_GREY);
    cairo_set_line_width(cr, 1);
    size_t n = d->nraw;
    double room = horizontal ? (f->bottom - f->top) : (f->right - f->left);
    double need = horizontal || rotate ? 14 : 0;
    if (!horizontal && !rotate)
        for (size_t i = 0; i < n; i++)
            need = fmax(need, text_width(cr, d->labels[i]) + 6);
    size_t every = 1;
    while (n / every * need > room && every < n)
        every++;
    double b = floor(f->bottom) + 0.5, l = floor(f->left) + 0.5;
    for (size_t i = 0; i < n; i += every) {
        if (horizontal) {
            double y = floor(px_y(f, (double)i)) + 0.5;
            cairo_move_to(cr, l, y);
            cairo_line_to(cr, l - 5, y);
            cairo_stroke(cr);
            text_at(cr, d->labels[i], l - 8, y, 1, 0.5);
        } else {
            double x = floor(px_x(f, (double)i)) + 0.5;
            cairo_move_to(cr, x, b);
            cairo_line_to(cr, x, b + 5);
            cairo_stroke(cr);
            if (rotate) {
                cairo_save(cr);
                cairo_translate(cr, x, b + 8);
                cairo_rotate(cr, -M_PI / 2);
                text_at(cr, d->labels[i], 0, 0, 1, 0.5);
                cairo_restore(cr);
            } else {
                text_at(cr, d->labels[i], x, b + 9, 0.5, 0);
            }
        }
    }
}

/* Dates that are all midnight lose their time; all first-of-month lose
 * the day ("2025-01"), as a reader would write them. */
static void shorten_date_labels(data_t *d)
{
    bool all_midnight = d->nlabels > 0, all_first = d->nlabels > 0;
    for (size_t i = 0; i < d->nlabels; i++) {
        double t;
        const char *s = d->labels[i];
        if (!axis_parse_date(s, &t) || strlen(s) < 7)
            return;
        long long sec = (long long)floor(t);
        if (sec % 86400 != 0)
            all_midnight = false;
        if (strlen(s) >= 10 && strncmp(s + 8, "01", 2) != 0)
            all_first = false;
    }
    if (!all_midnight)
        return;
    for (size_t i = 0; i < d->nlabels; i++)
        d->labels[i][all_first ? 7 : 10 < strlen(d->labels[i])
                                          ? 10 : strlen(d->labels[i])] = 0;
}

/* Returns `s` (taken) or, when wider than `limit` pixels, a new string
 * of its longest prefix that fits with a trailing ellipsis (UTF-8 aware). */
static char *ellipsize(cairo_t *cr, char *s, double limit)
{
    if (text_width(cr, s) <= limit)
        return s;
    size_t len = strlen(s);
    char *t = NULL;
    while (len > 0) {
        do
            len--;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80);
        free(t);
        t = db_xasprintf("%.*s\xe2\x80\xa6", (int)len, s);
        if (text_width(cr, t) <= limit)
            break;
    }
    free(s);
    return t ? t : db_xstrdup("\xe2\x80\xa6");
}

static cairo_status_t png_write(void *closure, const unsigned char *data,
                                unsigned int length)
{
    db_buf_addn(closure, (const char *)data, length);
    return CAIRO_STATUS_SUCCESS;
}

/* Lays the frame out: margins from the title, labels and tick labels. */
static void layout(frame_t *f, data_t *d, const tq_chart_opts_t *o,
                   const char *xlabel, const char *ylabel, double *ylabel_x,
                   bool *rotate)
{
    cairo_t *cr = f->cr;
    bool has_title = o->title && *o->title;
    f->top = has_title ? 40 : 16;
    f->bottom = f->height - (xlabel && *xlabel ? 52 : 32);
    f->right = f->width - 24;
    *rotate = false;
    font(cr, TICK_FONT);
    if (d->kind == TQ_CHART_BAR || d->kind == TQ_CHART_BARH) {
        /* Labels longer than a third of the picture are shortened. */
        double limit = (d->kind == TQ_CHART_BAR ? f->height : f->width) * 0.3;
        for (size_t i = 0; i < d->nlabels; i++)
            d->labels[i] = ellipsize(cr, d->labels[i], limit);
    }
    if (d->kind == TQ_CHART_BAR && d->nraw > 0) {
        /* Flat labels need the slot of their widest one under each bar;
         * else they turn 90 degrees, as pandas turns them. */
        double w = 0;
        for (size_t i = 0; i < d->nraw; i++)
            w = fmax(w, text_width(cr, d->labels[i]));
        double slot = (f->right - 80) / (double)d->nraw;
        if (w + 8 > slot) {
            *rotate = true;
            double extra = w - 14;
            if (extra > 0)
                f->bottom -= extra;
        }
    }
    int ytarget = (int)fmax(2, (f->bottom - f->top) / 50);
    if (d->kind == TQ_CHART_BARH) {
        f->yt.n = 0;
    } else {
        axis_nice_ticks(f->y0, f->y1, ytarget, &f->yt);
    }
    double lw = 0;
    if (d->kind == TQ_CHART_BARH)
        for (size_t i = 0; i < d->nraw; i++)
            lw = fmax(lw, fmin(text_width(cr, d->labels[i]), f->width * 0.3));
    else
        for (size_t i = 0; i < f->yt.n; i++)
            lw = fmax(lw, text_width(cr, f->yt.label[i]));
    double ylab = ylabel && *ylabel ? 22 : 0;
    f->left = 12 + ylab + lw + 10;
    *ylabel_x = 12 + 8;
}

/* draw_chart_png: render.h's tq_chart_png over draw_module.h's rows. */
int draw_chart_png(const tq_draw_rows_t *rows, const tq_chart_opts_t *opts,
                   unsigned char **png, size_t *png_len, char **error)
{
    assert(rows && rows->next && rows->text && rows->number &&
           rows->rewind && opts && png && png_len && error);
    *png = NULL;
    *png_len = 0;
    *error = NULL;
    tq_chart_opts_t o = *opts;
    if (o.width <= 0 || o.height <= 0) {
        o.width = 640;
        o.height = 400;
    }
    if (o.width < 100 || o.height < 80 || o.width > 8000 || o.height > 8000) {
        *error = db_xasprintf("A chart is 100x80 to 8000x8000 pixels, not "
                             "%dx%d.", o.width, o.height);
        return -1;
    }
    if (o.bins <= 0)
        o.bins = 10;
    if (o.bins > 1000)
        o.bins = 1000;
    int ncols = rows->ncols;
    int need = o.kind == TQ_CHART_HIST ? 1 : 2;
    if (ncols < need) {
        *error = db_xasprintf("A %s chart needs %s.", kind_name(o.kind),
                             need == 1 ? "a column"
                                       : "an x column and a y column");
        return -1;
    }
    data_t d = {0};
    d.kind = o.kind;
    d.bins = o.bins;
    d.nseries = o.kind == TQ_CHART_HIST ? 1
              : o.kind == TQ_CHART_PIE ? 1 : (size_t)ncols - 1;
    if (d.nseries > MAX_SERIES) {
        *error = db_xasprintf("A chart shows at most %d series.", MAX_SERIES);
        return -1;
    }
    d.xname = db_xstrdup(rows->names[0]);
    d.names = db_xcalloc(d.nseries, sizeof *d.names);
    for (size_t s = 0; s < d.nseries; s++) {
        int c = o.kind == TQ_CHART_HIST ? 0 : (int)s + 1;
        d.names[s] = db_xstrdup(rows->names[c]);
    }

    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
                                                       o.width, o.height);
    cairo_t *cr = cairo_create(surf);
    frame_t f = {0};
    f.cr = cr;
    f.width = o.width;
    f.height = o.height;
    obstacles_t obs = {0};
    int rc = read_rows(&d, rows, (size_t)o.width, error);

    const char *xlabel = o.xlabel ? o.xlabel : d.xname;
    const char *ylabel = o.ylabel;
    if (!ylabel && d.nseries == 1 && o.kind != TQ_CHART_HIST &&
        o.kind != TQ_CHART_PIE)
        ylabel = d.names[0];
    if (!ylabel && o.kind == TQ_CHART_HIST)
        ylabel = "Frequency";
    if (o.kind == TQ_CHART_BARH) {        /* categories on y, values on x */
        const char *t = xlabel;
        xlabel = o.xlabel ? o.xlabel : (d.nseries == 1 ? d.names[0] : NULL);
        ylabel = o.ylabel ? o.ylabel : t;
    }
    if (o.kind == TQ_CHART_PIE)
        xlabel = o.xlabel, ylabel = o.ylabel;

    /* Second passes: histogram counts and scatter cells. */
    if (rc == 0 && o.kind == TQ_CHART_HIST) {
        d.counts = db_xcalloc((size_t)d.bins, sizeof *d.counts);
        if (d.rows <= (int64_t)d.nraw) {
            for (size_t i = 0; i < d.nraw; i++)
                d.counts[bin_of(d.rx[i], d.xmin, d.xmax, d.bins)]++;
        } else {
            tqdb_datum_t row[1];
            int src = rows->rewind(rows->ud, error);
            while (src == 0 &&
                   (src = rows->next(rows->ud, 1, row, error)) == TQDB_ROW) {
                double v = column_y(rows, &row[0], 0);
                if (!isnan(v))
                    d.counts[bin_of(v, d.xmin, d.xmax, d.bins)]++;
                src = 0;
            }
            if (src != TQDB_DONE)
                rc = -1;
        }
        d.ymin = 0;
        d.ymax = 0;
        for (int i = 0; i < d.bins; i++)
            d.ymax = fmax(d.ymax, (double)d.counts[i]);
        d.any_y = true;
    }
    if (rc == 0 && d.rows == 0 && o.kind != TQ_CHART_PIE) {
        /* An empty chart still has axes. */
        d.xmin = 0;
        d.xmax = 1;
    }
    if (!d.any_y) {
        d.ymin = 0;
        d.ymax = 1;
    }

    if (rc == 0) {
        /* View ranges. */
        bool rotate = false;
        double ylabel_x = 0;
        switch (o.kind) {
        case TQ_CHART_BAR:
            f.x0 = -0.5;
            f.x1 = (double)d.nraw - 0.5;
            f.y0 = fmin(0, d.ymin);
            f.y1 = fmax(0, d.ymax);
            margins(&f.y0, &f.y1, true);
            break;
        case TQ_CHART_BARH:
            f.y0 = -0.5;
            f.y1 = (double)d.nraw - 0.5;
            f.x0 = fmin(0, d.ymin);
            f.x1 = fmax(0, d.ymax);
            margins(&f.x0, &f.x1, true);
            break;
        case TQ_CHART_HIST:
            f.x0 = d.xmin;
            f.x1 = d.xmax;
            if (!(f.x1 > f.x0)) {
                f.x0 -= 0.5;
                f.x1 += 0.5;
            }
            margins(&f.x0, &f.x1, false);
            f.y0 = 0;
            f.y1 = d.ymax;
            margins(&f.y0, &f.y1, true);
            break;
        default:
            f.x0 = d.xmin;
            f.x1 = d.xmax;
            margins(&f.x0, &f.x1, false);
            f.y0 = d.ymin;
            f.y1 = d.ymax;
            margins(&f.y0, &f.y1, false);
        }
        if (o.kind == TQ_CHART_BAR || o.kind == TQ_CHART_BARH ||
            o.kind == TQ_CHART_PIE)
            shorten_date_labels(&d);
        layout(&f, &d, &o, xlabel, ylabel, &ylabel_x, &rotate);
        int xtarget = (int)fmax(2, (f.right - f.left) / 85);
        if (d.xmode == X_DATE && o.kind != TQ_CHART_HIST &&
            o.kind != TQ_CHART_BAR && o.kind != TQ_CHART_BARH) {
            axis_date_ticks(f.x0, f.x1, (int)fmax(2, (f.right - f.left) / 95),
                            &f.xt);
            f.xdates = true;
        } else if (o.kind != TQ_CHART_BAR) {
            axis_nice_ticks(f.x0, f.x1, xtarget, &f.xt);
        }
        /* Text x on a line or scatter chart: ticks at whole rows, labelled
         * with their categories. */
        if (d.xmode == X_CATEGORY && (o.kind == TQ_CHART_LINE ||
                                      o.kind == TQ_CHART_SCATTER)) {
            size_t k = 0;
            for (size_t i = 0; i < f.xt.n; i++) {
                double v = f.xt.at[i];
                if (v != floor(v) || v < 0 || v >= (double)d.nlabels)
                    continue;
                f.xt.at[k] = v;
                snprintf(f.xt.label[k], sizeof f.xt.label[0], "%.39s",
                         d.labels[(size_t)v]);
                k++;
            }
            f.xt.n = k;
        }

        /* Scatter of many rows: second pass into cells. */
        if (o.kind == TQ_CHART_SCATTER && d.rows > (int64_t)d.nraw) {
            d.cw = (int)ceil((f.right - f.left) / SCATTER_CELL);
            d.ch = (int)ceil((f.bottom - f.top) / SCATTER_CELL);
            d.cells = db_xcalloc(d.nseries * (size_t)d.cw * d.ch, 1);
            tqdb_datum_t row_v[MAX_SERIES + 1];
            int width = row_width(&d);
            int src = rows->rewind(rows->ud, error);
            int64_t row = 0;
            d.rows = 0;
            while (src == 0 && (src = rows->next(rows->ud, width, row_v,
                                                 error)) == TQDB_ROW) {
                double x;
                src = 0;
                if (!row_x(&d, rows, &row_v[0], &x))
                    continue;
                d.rows++;
                row++;
                int i = (int)((px_x(&f, x) - f.left) / SCATTER_CELL);
                if (i < 0 || i >= d.cw)
                    continue;
                for (size_t s = 0; s < d.nseries; s++) {
                    double y = column_y(rows, &row_v[s + 1], (int)s + 1);
                    if (isnan(y))
                        continue;
                    int j = (int)((px_y(&f, y) - f.top) / SCATTER_CELL);
                    if (j >= 0 && j < d.ch)
                        d.cells[s * (size_t)d.cw * d.ch +
                                (size_t)j * d.cw + i] = 1;
                }
            }
            (void)row;
            if (src != TQDB_DONE)
                rc = -1;
        }
    }

    if (rc == 0) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        bool rotate = false;
        double ylabel_x = 0;
        layout(&f, &d, &o, xlabel, ylabel, &ylabel_x, &rotate);
        if (o.kind != TQ_CHART_PIE) {
            cairo_save(cr);
            cairo_rectangle(cr, f.left, f.top, f.right - f.left,
                            f.bottom - f.top);
            cairo_clip(cr);
        }
        switch (o.kind) {
        case TQ_CHART_LINE: draw_line(&f, &d, &obs); break;
        case TQ_CHART_SCATTER: draw_scatter(&f, &d, &obs); break;
        case TQ_CHART_BAR: draw_bars(&f, &d, &obs, false); break;
        case TQ_CHART_BARH: draw_bars(&f, &d, &obs, true); break;
        case TQ_CHART_HIST: draw_hist(&f, &d, &obs); break;
        case TQ_CHART_PIE: draw_pie(&f, &d); break;
        }
        if (o.kind != TQ_CHART_PIE) {
            cairo_restore(cr);
            if (o.kind == TQ_CHART_BAR) {
                draw_spines_and_ticks(&f, false, true);
                draw_category_ticks(&f, &d, false, rotate);
            } else if (o.kind == TQ_CHART_BARH) {
                draw_spines_and_ticks(&f, true, false);
                draw_category_ticks(&f, &d, true, false);
            } else {
                draw_spines_and_ticks(&f, true, true);
            }
            if (o.kind != TQ_CHART_HIST)
                draw_legend(&f, &d, &obs);
        }
        draw_labels(&f, o.title, xlabel, ylabel, ylabel_x);
        cairo_surface_flush(surf);
        db_buf_t out = {0};
        if (cairo_surface_write_to_png_stream(surf, png_write, &out) !=
            CAIRO_STATUS_SUCCESS) {
            *error = db_xstrdup("Cannot encode the chart as PNG.");
            db_buf_free(&out);
            rc = -1;
        } else {
            *png_len = out.len;
            *png = (unsigned char *)db_buf_take(&out);
        }
    }
    free(obs.r);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    data_free(&d);
    return rc;
}
