/*
 * This file draws charts with cairo into PNG bytes: line, bar, barh,
 * scatter, hist, pie, area and box, in the look of matplotlib's defaults
 * (tab10 colours, four thin spines, outward tick marks, DejaVu Sans at 10
 * pt for 100 dpi, MaxNLocator's ticks, a framed legend in the emptiest
 * corner), at `scale` PNG pixels per pixel (2 for high-resolution
 * screens), with pandas' plotting keywords (render.h's tq_chart_opts_t).
 *
 * The rows come through draw_module.h's row iterator (tq_draw_rows_t),
 * never from the database itself, and every kind but the histogram reads
 * them once. Memory is bounded by the picture, not by the rows (box
 * plots, which need every value, excepted), plus at most KEEP_VALUES
 * numbers. Every kind draws its points in row order, as pandas does.
 * Nothing is ever sampled.
 *
 * A line or area chart keeps its first RAW_MAX rows as they are; past
 * that every series is reduced to runs, each run the consecutive rows
 * inside one bucket of a grid of one bucket per device pixel column,
 * kept as its first, lowest, highest and last point; the grid's bucket
 * width doubles, merging neighbouring runs, whenever a point falls
 * outside it. Rows whose x goes back and forth (more than RUNS_PER_BUCKET
 * runs per bucket) keep the runs read so far and then their points while
 * those fit in KEEP_VALUES; they are drawn once the view is known, the
 * kept points' runs inside one device pixel column reduced as above. Past
 * KEEP_VALUES the kept points and every later row go, segment by segment
 * in row order, to a trace (chart_grid.h: the cells, about a half device
 * pixel in axis units, that each series' segments cross, on a grid whose
 * cells double when a point falls outside it); each row's run of traced
 * cells is drawn as one segment between its end cells' centres. Every
 * segment (reduced runs, kept points, traced runs) is rasterised into a
 * coverage mask per series (chart_mask.h) that is painted once: a million
 * segments going back and forth cost about what their number does, not
 * their length. Raw lines are stroked by cairo in chunks of STROKE_CHUNK
 * vertices.
 *
 * A scatter plot follows one rule at every size: each row marks its cell
 * of a grid in axis units (chart_grid.h: a quarter device pixel or less,
 * up to twice that once the points outgrow the grid's first range, which
 * is the range of the first RAW_MAX rows, or of all of them when there
 * are no more), and once the view is laid out every marked cell is drawn
 * as one marker at the cell's centre, stamped from a sprite that cairo
 * drew at the nearest 1/SUB pixel into a coverage mask per series (the
 * union of the markers, as one fill of them covers) painted once. So a
 * point drawn twice, or a second point in a cell, draws nothing more. A
 * histogram of more than RAW_MAX rows reads them again (the iterator
 * rewinds, parameters kept) once the first pass has found their range,
 * and counts.
 */
#include <assert.h>
#include <math.h>
#include <strings.h>
#include <cairo.h>

#include "draw/chart_axis.h"
#include "draw/chart_grid.h"
#include "draw/chart_mask.h"
#include "draw/chart_png.h"
#include "draw/draw_module.h"
#include "render/render_util.h"

enum {
    RAW_MAX = 8192,        /* rows drawn as they are */
    MAX_CATEGORIES = 2000, /* bar, barh, pie */
    MAX_SERIES = 64,
};

static const double TAB10[10][3] = {
    {0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c},
    {0xd6, 0x27, 0x28}, {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b},
    {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f}, {0xbc, 0xbd, 0x22},
    {0x17, 0xbe, 0xcf},
};

static const char FONT[] = "DejaVu Sans";
/* matplotlib's sizes at 100 dpi: 10 pt ticks, labels and legend, 12 pt
 * title. */
static const double TICK_FONT = 10 * 100 / 72.0, LABEL_FONT = 10 * 100 / 72.0,
                    TITLE_FONT = 12 * 100 / 72.0;
static const double SPINE_GREY = 0.2;

/* The kinds' names (render/chart_kinds.h), for messages. */
static const char *kind_name(tq_chart_kind_t k)
{
    switch (k) {
#define X(e, name, doc) case TQ_CHART_##e: return #name;
    TQ_CHART_KINDS(X)
#undef X
    }
    return "chart";
}

/* Appends `s` to a JSON array being built in b ("[" already there). */
static void json_str(tq_buf_t *b, const char *s)
{
    if (!b)
        return;
    if (b->len > 1)
        tq_buf_addc(b, ',');
    tq_buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            tq_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            tq_buf_printf(b, "\\u%04x", *p);
        else
            tq_buf_addc(b, (char)*p);
    }
    tq_buf_addc(b, '"');
}

/* A run: consecutive rows of one series inside one grid bucket (at most
 * a pixel column), kept as its first, lowest, highest and last point (row
 * numbers order the lowest and highest). `gap` starts a new line (a NULL
 * y came before it). */
typedef struct run {
    int64_t k;
    bool gap;
    double fx, fy, lx, ly, minx, miny, maxx, maxy;
    int64_t mini, maxi;
} run_t;

typedef struct runs {
    run_t *r;
    size_t n, cap;
    bool pending_gap;
} runs_t;

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
    size_t nlabels, labelcap;
    /* reduced line data: runs per series on a grid of nb buckets */
    bool reduced;
    bool streamed;           /* too many runs: drawn from the points,
                                the runs so far kept as they were */
    bool gaps_skip;          /* by= series: NULL y skipped, not a gap */
    bool stacked;            /* area: y are running sums of the series */
    size_t nb;
    double lo, bw;           /* bucket grid */
    double hi, inv_bw;       /* lo + nb * bw, 1 / bw */
    runs_t *runs;            /* nseries */
    size_t nruns;            /* over every series */
    /* a streamed line: every point (x and its ys) after its runs, while
     * they fit in KEEP_VALUES; past that, the kept points and every later
     * one go to `trace`, the cells of a grid in axis units that each
     * series' segments cross (chart_grid.h), from each series' last
     * point (tu, tv: axis units; tlast: there is one; tgap: a NULL came
     * after it) */
    bool keeping;
    double *kx, *ky;
    size_t nkept, kcap;
    pt_grid_t *trace;
    double tu[MAX_SERIES], tv[MAX_SERIES];
    bool tlast[MAX_SERIES], tgap[MAX_SERIES];
    /* box: every value of each series */
    double **vals;
    size_t *nvals, *capvals;
    size_t ntotal;
    bool ncolours_given;     /* color= named the series' colours */
    /* ranges */
    double xmin, xmax, ymin, ymax;
    double xposmin, yposmin;  /* least positive x and y (log axes); 0: none */
    bool any_y;
    /* hist */
    int64_t *counts;
    int bins;
    /* scatter: every row's cell on a grid in axis units (GRID_PER_PX
     * cells per device pixel of the picture), each axis fixed to a given
     * view (xlim, ylim, widened by FIXED_MARGIN) or growing with the
     * points; the trace's axes are set up the same way */
    pt_grid_t *grid;
    pt_grid_axis_t grid_axis[2];   /* n and fixed views; ranges at start */
    bool logx, logy;
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
    for (size_t i = 0; d->runs && i < d->nseries; i++)
        free(d->runs[i].r);
    free(d->runs);
    for (size_t i = 0; d->vals && i < d->nseries; i++)
        free(d->vals[i]);
    free(d->vals);
    free(d->nvals);
    free(d->capvals);
    free(d->counts);
    pt_grid_free(&d->grid);
    pt_grid_free(&d->trace);
    free(d->kx);
    free(d->ky);
}

/* ---- runs */

static void run_start(run_t *r, int64_t k, bool gap, double x, double y,
                      int64_t i)
{
    *r = (run_t){.k = k, .gap = gap, .fx = x, .fy = y, .lx = x, .ly = y,
                 .minx = x, .miny = y, .maxx = x, .maxy = y, .mini = i,
                 .maxi = i};
}

static void run_add(run_t *r, double x, double y, int64_t i)
{
    r->lx = x;
    r->ly = y;
    if (y < r->miny) {
        r->miny = y;
        r->minx = x;
        r->mini = i;
    }
    if (y > r->maxy) {
        r->maxy = y;
        r->maxx = x;
        r->maxi = i;
    }
}

/* b (the rows right after a's) merged into a. */
static void run_merge(run_t *a, const run_t *b)
{
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

static int64_t grid_bucket(const data_t *d, double x)
{
    int64_t k = (int64_t)((x - d->lo) * d->inv_bw);
    return k >= (int64_t)d->nb ? (int64_t)d->nb - 1 : k < 0 ? 0 : k;
}

/* Doubles the bucket width, growing the grid towards `x`; neighbouring
 * runs that now share a bucket merge. */
static void grid_double(data_t *d, double x)
{
    if (x < d->lo)
        d->lo -= (double)d->nb * d->bw;
    d->bw *= 2;
    d->hi = d->lo + (double)d->nb * d->bw;
    d->inv_bw = 1 / d->bw;
    d->nruns = 0;
    for (size_t s = 0; s < d->nseries; s++) {
        runs_t *rs = &d->runs[s];
        size_t o = 0;
        for (size_t i = 0; i < rs->n; i++) {
            run_t r = rs->r[i];
            r.k = grid_bucket(d, r.fx);
            if (o > 0 && !r.gap && rs->r[o - 1].k == r.k)
                run_merge(&rs->r[o - 1], &r);
            else
                rs->r[o++] = r;
        }
        rs->n = o;
        d->nruns += o;
    }
}

/* Runs past this many per bucket mean x goes back and forth: the rows
 * are kept (or traced) as points instead of reduced. */
enum { RUNS_PER_BUCKET = 8 };

static void grid_add(data_t *d, double x, const double *ys, int64_t row)
{
    if (d->streamed)
        return;
    while (!(x >= d->lo && x < d->hi))
        grid_double(d, x);
    int64_t k = grid_bucket(d, x);
    for (size_t s = 0; s < d->nseries; s++) {
        runs_t *rs = &d->runs[s];
        if (isnan(ys[s])) {
            rs->pending_gap |= !d->gaps_skip;
            continue;
        }
        run_t *last = rs->n ? &rs->r[rs->n - 1] : NULL;
        if (last && last->k == k && !rs->pending_gap) {
            run_add(last, x, ys[s], row);
            continue;
        }
        if (rs->n == rs->cap) {
            rs->cap = rs->cap ? rs->cap * 2 : 1024;
            rs->r = tq_xrealloc(rs->r, rs->cap * sizeof *rs->r);
        }
        run_start(&rs->r[rs->n++], k, rs->pending_gap, x, ys[s], row);
        rs->pending_gap = false;
        d->nruns++;
    }
    if (d->nruns > d->nseries * d->nb * RUNS_PER_BUCKET) {
        d->streamed = true;      /* the runs stay: the rows so far */
        d->keeping = true;       /* the rows to come */
    }
}

static void keep_point(data_t *d, double x, const double *ys);

/* Starts reducing: the grid spans the raw rows' x range (rows past the
 * point where the line turns out to be streamed are kept instead). */
static void grid_start(data_t *d, size_t plot_px)
{
    d->nb = plot_px;
    d->runs = tq_xcalloc(d->nseries, sizeof *d->runs);
    double span = d->xmax - d->xmin;
    d->lo = d->xmin;
    d->bw = span > 0 ? span * (1 + 1e-9) / (double)d->nb
                     : (fabs(d->xmin) > 0 ? fabs(d->xmin) * 1e-9 : 1e-9);
    d->hi = d->lo + (double)d->nb * d->bw;
    d->inv_bw = 1 / d->bw;
    d->reduced = true;
    for (size_t r = 0; r < d->nraw; r++)
        if (!d->streamed)
            grid_add(d, d->rx[r], d->ry + r * d->nseries, (int64_t)r);
        else
            keep_point(d, d->rx[r], d->ry + r * d->nseries);
}

/* A scatter's grid: GRID_PER_PX cells per device pixel of the picture
 * along each axis (a quarter pixel or less before the grid doubles), a
 * line's trace TRACE_PER_PX (fewer when that would pass GRID_BITS bits
 * over every series); an axis with a given view fixed to it, widened by
 * FIXED_MARGIN of it on either side for the marks whose centre lies just
 * outside the view. */
enum { GRID_PER_PX = 4, TRACE_PER_PX = 2, GRID_BITS = 1 << 28 };
static const double FIXED_MARGIN = 0.125;

static void grid_setup(data_t *d, const tq_chart_opts_t *o, int per_px)
{
    double px = (double)o->width * o->height * o->scale * o->scale *
                (double)d->nseries;
    double per = fmin(per_px, sqrt(GRID_BITS / px));
    const bool has[2] = {o->has_xlim, o->has_ylim};
    const bool log[2] = {d->logx, d->logy};
    const double *lim[2] = {o->xlim, o->ylim};
    const int size[2] = {o->width * o->scale, o->height * o->scale};
    for (int k = 0; k < 2; k++) {
        pt_grid_axis_t *a = &d->grid_axis[k];
        a->n = (int)fmax(1, floor(size[k] * per));
        /* as view_range takes a given view */
        a->fixed = has[k] && (!log[k] || (lim[k][0] > 0 && lim[k][1] > 0));
        if (a->fixed) {
            a->lo = log[k] ? log10(lim[k][0]) : lim[k][0];
            a->hi = log[k] ? log10(lim[k][1]) : lim[k][1];
            if (!(a->hi > a->lo))
                a->hi = a->lo + 1;
            if (!isfinite(a->lo) || !isfinite(a->hi)) {
                a->fixed = false;
                continue;
            }
            double m = (a->hi - a->lo) * FIXED_MARGIN;
            a->lo -= m;
            a->hi += m;
            a->n = (int)fmax(1, floor(a->n * (1 + 2 * FIXED_MARGIN)));
        }
    }
}

/* The grid's axes over the rows' ranges so far (axis units), the fixed
 * ones as set up. */
static void grid_axes(const data_t *d, pt_grid_axis_t a[2])
{
    double lo[2] = {d->logx ? (d->xposmin > 0 ? log10(d->xposmin) : 0)
                            : d->xmin,
                    d->logy ? (d->yposmin > 0 ? log10(d->yposmin) : 0)
                            : d->ymin};
    double hi[2] = {d->logx ? (d->xmax > 0 ? log10(d->xmax) : lo[0])
                            : d->xmax,
                    d->logy ? (d->ymax > 0 ? log10(d->ymax) : lo[1])
                            : d->ymax};
    bool any[2] = {d->rows > 0 || d->nraw > 0, d->any_y};
    for (int k = 0; k < 2; k++) {
        a[k] = d->grid_axis[k];
        if (a[k].fixed)
            continue;
        bool good = any[k] && isfinite(lo[k]) && isfinite(hi[k]) &&
                    lo[k] <= hi[k];
        a[k].lo = good ? lo[k] : 0;
        a[k].hi = good ? hi[k] : 0;
    }
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
    if (d->nlabels == d->labelcap) {     /* doubling: linear in all */
        d->labelcap = d->labelcap ? d->labelcap * 2 : 64;
        d->labels = tq_xrealloc(d->labels, d->labelcap * sizeof *d->labels);
    }
    d->labels[d->nlabels++] = tq_xstrdup(s ? s : "None");
}

static void push_raw(data_t *d, double x, const double *ys)
{
    if (d->nraw == d->rawcap) {
        d->rawcap = d->rawcap ? d->rawcap * 2 : 256;
        d->rx = tq_xrealloc(d->rx, d->rawcap * sizeof *d->rx);
        d->ry = tq_xrealloc(d->ry, d->rawcap * d->nseries * sizeof *d->ry);
    }
    d->rx[d->nraw] = x;
    memcpy(d->ry + d->nraw * d->nseries, ys, d->nseries * sizeof *ys);
    d->nraw++;
}

static double axis_unit(bool log, double v)
{
    return log ? (v > 0 ? log10(v) : NAN) : v;
}

/* A scatter's row on its grid, each series' point in its cell. */
static void grid_mark(data_t *d, double x, const double *ys)
{
    double u = axis_unit(d->logx, x);
    for (size_t s = 0; s < d->nseries; s++)
        pt_grid_add(d->grid, s, u, axis_unit(d->logy, ys[s]));
}

/* A scatter's grid starts over the kept rows' range (axis units) and
 * takes them: past RAW_MAX rows, or after the last row when there are no
 * more. */
static void scatter_grid_start(data_t *d)
{
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (size_t r = 0; r < d->nraw; r++) {
        double u = axis_unit(d->logx, d->rx[r]);
        for (size_t s = 0; s < d->nseries; s++) {
            double v = axis_unit(d->logy, d->ry[r * d->nseries + s]);
            if (!isfinite(u) || !isfinite(v))
                continue;
            lo[0] = fmin(lo[0], u);
            hi[0] = fmax(hi[0], u);
            lo[1] = fmin(lo[1], v);
            hi[1] = fmax(hi[1], v);
        }
    }
    pt_grid_axis_t a[2] = {d->grid_axis[0], d->grid_axis[1]};
    for (int k = 0; k < 2; k++)
        if (!a[k].fixed) {
            a[k].lo = lo[k] <= hi[k] ? lo[k] : 0;
            a[k].hi = lo[k] <= hi[k] ? hi[k] : 0;
        }
    d->grid = pt_grid_new(d->nseries, a[0], a[1]);
    for (size_t r = 0; r < d->nraw; r++)
        grid_mark(d, d->rx[r], d->ry + r * d->nseries);
}

static void widen_x(data_t *d, double x)
{
    if (x > 0 && (d->xposmin == 0 || x < d->xposmin))
        d->xposmin = x;
    if (d->rows == 0 || x < d->xmin)
        d->xmin = x;
    if (d->rows == 0 || x > d->xmax)
        d->xmax = x;
}

static void widen_y(data_t *d, double y)
{
    if (isnan(y))
        return;
    if (y > 0 && (d->yposmin == 0 || y < d->yposmin))
        d->yposmin = y;
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

/* Columns read per row: x and the series (a histogram: its one column;
 * a box plot: its series). */
static int row_width(const data_t *d)
{
    return d->kind == TQ_CHART_HIST ? 1
         : d->kind == TQ_CHART_BOX ? (int)d->nseries : (int)d->nseries + 1;
}

static bool is_line_like(tq_chart_kind_t k)
{
    return k == TQ_CHART_LINE || k == TQ_CHART_AREA;
}

/* Box plots keep every value: at most this many in all. */
enum { BOX_MAX_VALUES = 20000000 };

/* Line and area charts that go back and forth keep their points while
 * they hold at most this many numbers (32 MB); past that they are
 * traced. */
enum { KEEP_VALUES = 4 * 1024 * 1024 };

static double axis_unit(bool log, double v);

/* A streamed line's point past KEEP_VALUES: each series' segment from its
 * last point marks the trace's cells (a NULL y makes a gap unless
 * gaps_skip; a point a log axis cannot show breaks the line, as pen_to
 * does; a point repeating the last one adds nothing). */
static void trace_point(data_t *d, double x, const double *ys)
{
    double u = axis_unit(d->logx, x);
    for (size_t s = 0; s < d->nseries; s++) {
        if (isnan(ys[s])) {
            d->tgap[s] |= !d->gaps_skip;
            continue;
        }
        double v = axis_unit(d->logy, ys[s]);
        if (!isfinite(u) || !isfinite(v)) {
            d->tlast[s] = d->tgap[s] = false;
            continue;
        }
        if (d->tlast[s] && !d->tgap[s] && (u != d->tu[s] || v != d->tv[s]))
            pt_grid_segment(d->trace, s, d->tu[s], d->tv[s], u, v);
        d->tu[s] = u;
        d->tv[s] = v;
        d->tlast[s] = true;
        d->tgap[s] = false;
    }
}

/* The kept points outgrew KEEP_VALUES: the trace starts over the rows'
 * ranges so far, each series going on from its last run, and takes the
 * kept points in row order; nothing is kept from here on. */
static void trace_start(data_t *d)
{
    pt_grid_axis_t a[2];
    grid_axes(d, a);
    d->trace = pt_grid_new(d->nseries, a[0], a[1]);
    for (size_t s = 0; s < d->nseries; s++) {
        const runs_t *rs = &d->runs[s];
        d->tlast[s] = false;
        if (rs->n) {
            d->tu[s] = axis_unit(d->logx, rs->r[rs->n - 1].lx);
            d->tv[s] = axis_unit(d->logy, rs->r[rs->n - 1].ly);
            d->tlast[s] = isfinite(d->tu[s]) && isfinite(d->tv[s]);
        }
        d->tgap[s] = rs->pending_gap;
    }
    for (size_t i = 0; i < d->nkept; i++)
        trace_point(d, d->kx[i], d->ky + i * d->nseries);
    free(d->kx);
    free(d->ky);
    d->kx = d->ky = NULL;
    d->nkept = d->kcap = 0;
    d->keeping = false;
}

static void keep_point(data_t *d, double x, const double *ys)
{
    if (d->trace) {
        trace_point(d, x, ys);
        return;
    }
    if ((d->nkept + 1) * (d->nseries + 1) > KEEP_VALUES) {
        trace_start(d);
        trace_point(d, x, ys);
        return;
    }
    if (d->nkept == d->kcap) {
        d->kcap = d->kcap ? d->kcap * 2 : 4096;
        d->kx = tq_xrealloc(d->kx, d->kcap * sizeof *d->kx);
        d->ky = tq_xrealloc(d->ky, d->kcap * d->nseries * sizeof *d->ky);
    }
    d->kx[d->nkept] = x;
    memcpy(d->ky + d->nkept * d->nseries, ys, d->nseries * sizeof *ys);
    d->nkept++;
}

/* Pass 1 for every kind; line and area charts reduce here. */
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
        if (d->kind == TQ_CHART_BOX) {
            for (size_t s = 0; s < d->nseries; s++) {
                double v = column_y(rows, &row[s], (int)s);
                if (isnan(v))
                    continue;
                if (++d->ntotal > BOX_MAX_VALUES) {
                    *error = tq_xasprintf("A box chart shows at most %d "
                                          "values; aggregate the rows first.",
                                          BOX_MAX_VALUES);
                    return -1;
                }
                if (d->nvals[s] == d->capvals[s]) {
                    d->capvals[s] = d->capvals[s] ? d->capvals[s] * 2 : 256;
                    d->vals[s] = tq_xrealloc(d->vals[s], d->capvals[s] *
                                             sizeof **d->vals);
                }
                d->vals[s][d->nvals[s]++] = v;
            }
            d->rows++;
            continue;
        }
        if (categorical) {
            if (d->nraw >= MAX_CATEGORIES) {
                *error = tq_xasprintf("A %s chart shows at most %d "
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
        double sum = 0;
        for (size_t s = 0; s < d->nseries; s++) {
            ys[s] = column_y(rows, &row[s + 1], (int)s + 1);
            if (d->stacked) {        /* area: running sums, NULL as 0 */
                sum += isnan(ys[s]) ? 0 : ys[s];
                ys[s] = sum;
            }
            widen_y(d, ys[s]);
        }
        widen_x(d, x);
        if (d->streamed) {
            keep_point(d, x, ys);
        } else if (d->reduced)
            grid_add(d, x, ys, d->rows);
        else if (d->grid)
            grid_mark(d, x, ys);
        else if (d->nraw < RAW_MAX || categorical)
            push_raw(d, x, ys);
        else if (d->kind == TQ_CHART_SCATTER) {
            scatter_grid_start(d);
            grid_mark(d, x, ys);
        } else {
            grid_start(d, plot_px);
            if (!d->streamed)
                grid_add(d, x, ys, d->rows);
            else
                keep_point(d, x, ys);
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
    double x0, x1, y0, y1;                /* view in axis units (log10 on a
                                             log axis) */
    bool logx, logy;
    axis_ticks_t xt, yt;
    bool xdates;
    double colours[MAX_SERIES][3];        /* per series, 0..1 */
    double alpha;
    bool gaps_skip;
    int scale;
} frame_t;

static double px_x(const frame_t *f, double x)
{
    return f->left + (axis_unit(f->logx, x) - f->x0) / (f->x1 - f->x0) *
                     (f->right - f->left);
}

static double px_y(const frame_t *f, double y)
{
    return f->bottom - (axis_unit(f->logy, y) - f->y0) / (f->y1 - f->y0) *
                       (f->bottom - f->top);
}

static void set_colour_alpha(const frame_t *f, size_t i, double alpha)
{
    const double *c = f->colours[i % MAX_SERIES];
    cairo_set_source_rgba(f->cr, c[0], c[1], c[2], alpha);
}

static void set_colour(const frame_t *f, size_t i)
{
    set_colour_alpha(f, i, f->alpha);
}

/* matplotlib's colour names that pandas users write. */
static const struct {
    const char *name;
    unsigned rgb;
} NAMED_COLOURS[] = {
    {"b", 0x0000ff}, {"g", 0x008000}, {"r", 0xff0000}, {"c", 0x00bfbf},
    {"m", 0xbf00bf}, {"y", 0xbfbf00}, {"k", 0x000000}, {"w", 0xffffff},
    {"blue", 0x0000ff}, {"green", 0x008000}, {"red", 0xff0000},
    {"cyan", 0x00ffff}, {"magenta", 0xff00ff}, {"yellow", 0xffff00},
    {"black", 0x000000}, {"white", 0xffffff}, {"gray", 0x808080},
    {"grey", 0x808080}, {"orange", 0xffa500}, {"purple", 0x800080},
    {"brown", 0xa52a2a}, {"pink", 0xffc0cb}, {"olive", 0x808000},
    {"navy", 0x000080}, {"teal", 0x008080}, {"lime", 0x00ff00},
    {"gold", 0xffd700}, {"silver", 0xc0c0c0}, {"maroon", 0x800000},
    {"darkblue", 0x00008b}, {"darkgreen", 0x006400},
    {"darkred", 0x8b0000}, {"lightblue", 0xadd8e6},
    {"lightgreen", 0x90ee90}, {"lightgray", 0xd3d3d3},
    {"lightgrey", 0xd3d3d3}, {"darkgray", 0xa9a9a9},
    {"darkgrey", 0xa9a9a9}, {"steelblue", 0x4682b4},
    {"skyblue", 0x87ceeb}, {"salmon", 0xfa8072}, {"tomato", 0xff6347},
    {"coral", 0xff7f50}, {"indigo", 0x4b0082}, {"violet", 0xee82ee},
    {"crimson", 0xdc143c}, {"turquoise", 0x40e0d0},
    {"tab:blue", 0x1f77b4}, {"tab:orange", 0xff7f0e},
    {"tab:green", 0x2ca02c}, {"tab:red", 0xd62728},
    {"tab:purple", 0x9467bd}, {"tab:brown", 0x8c564b},
    {"tab:pink", 0xe377c2}, {"tab:gray", 0x7f7f7f},
    {"tab:grey", 0x7f7f7f}, {"tab:olive", 0xbcbd22},
    {"tab:cyan", 0x17becf},
};

/* A colour text ("red", "C1", "#1f77b4", "#f00", "tab:blue") to 0..1
 * components; false when unknown. */
static bool parse_colour(const char *s, double rgb[3])
{
    unsigned v = 0;
    size_t len = strlen(s);
    if (s[0] == '#' && (len == 7 || len == 4) &&
        strspn(s + 1, "0123456789abcdefABCDEF") == len - 1) {
        v = (unsigned)strtoul(s + 1, NULL, 16);
        if (len == 4)
            v = (v >> 8 & 15) * 0x110000 + (v >> 4 & 15) * 0x1100 +
                (v & 15) * 0x11;
    } else if (s[0] == 'C' && s[1] >= '0' && s[1] <= '9' && !s[2]) {
        const double *c = TAB10[s[1] - '0'];
        for (int i = 0; i < 3; i++)
            rgb[i] = c[i] / 255;
        return true;
    } else {
        size_t i = 0, n = sizeof NAMED_COLOURS / sizeof *NAMED_COLOURS;
        while (i < n && strcasecmp(NAMED_COLOURS[i].name, s) != 0)
            i++;
        if (i == n)
            return false;
        v = NAMED_COLOURS[i].rgb;
    }
    rgb[0] = (v >> 16 & 255) / 255.0;
    rgb[1] = (v >> 8 & 255) / 255.0;
    rgb[2] = (v & 255) / 255.0;
    return true;
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

/* What the plot covers, for choosing the legend's corner: a coarse grid
 * of cells over the plot counting the marks drawn in each (bounded
 * whatever the rows). */
enum { OCC = 32 };
typedef struct obstacles {
    double left, top, w, h;
    unsigned cells[OCC * OCC];
} obstacles_t;

static void obstacles_init(obstacles_t *o, const frame_t *f)
{
    memset(o, 0, sizeof *o);
    o->left = f->left;
    o->top = f->top;
    o->w = fmax(1, f->right - f->left);
    o->h = fmax(1, f->bottom - f->top);
}

static int occ_cell(double v, double origin, double span)
{
    double c = floor((v - origin) / span * OCC);
    return c < 0 ? 0 : c >= OCC ? OCC - 1 : (int)c;
}

static void obstacle(obstacles_t *o, double x0, double y0, double x1,
                     double y1)
{
    if (!isfinite(x0) || !isfinite(x1) || !isfinite(y0) || !isfinite(y1))
        return;
    int i0 = occ_cell(fmin(x0, x1), o->left, o->w);
    int i1 = occ_cell(fmax(x0, x1), o->left, o->w);
    int j0 = occ_cell(fmin(y0, y1), o->top, o->h);
    int j1 = occ_cell(fmax(y0, y1), o->top, o->h);
    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++)
            o->cells[j * OCC + i]++;
}

/* Marks drawn inside the box. */
static size_t obstacles_in(const obstacles_t *o, double x, double y,
                           double w, double h)
{
    int i0 = occ_cell(x, o->left, o->w), i1 = occ_cell(x + w, o->left, o->w);
    int j0 = occ_cell(y, o->top, o->h), j1 = occ_cell(y + h, o->top, o->h);
    size_t n = 0;
    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++)
            n += o->cells[j * OCC + i];
    return n;
}

/* ---- drawing parts */

/* Light grid lines at the ticks (grid=True), under the marks. */
static void draw_grid(frame_t *f, bool xaxis, bool yaxis)
{
    cairo_t *cr = f->cr;
    cairo_set_source_rgb(cr, 0xb0 / 255.0, 0xb0 / 255.0, 0xb0 / 255.0);
    cairo_set_line_width(cr, 1.1);
    for (size_t i = 0; xaxis && i < f->xt.n; i++) {
        double x = px_x(f, f->xt.at[i]);
        cairo_move_to(cr, x, f->top);
        cairo_line_to(cr, x, f->bottom);
    }
    for (size_t i = 0; yaxis && i < f->yt.n; i++) {
        double y = px_y(f, f->yt.at[i]);
        cairo_move_to(cr, f->left, y);
        cairo_line_to(cr, f->right, y);
    }
    cairo_stroke(cr);
}

/* An x tick label under x (rotated `rot` degrees counter-clockwise, its
 * end at the tick, when rot is not 0). */
static void x_tick_label(cairo_t *cr, const char *s, double x, double y,
                         double rot)
{
    if (rot == 0) {
        text_at(cr, s, x, y, 0.5, 0);
        return;
    }
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -rot * M_PI / 180);
    text_at(cr, s, 0, 0, rot > 0 ? 1 : 0, 0.5);
    cairo_restore(cr);
}

static void draw_spines_and_ticks(frame_t *f, bool xaxis, bool yaxis,
                                  double rot)
{
    cairo_t *cr = f->cr;
    cairo_set_line_width(cr, 1.1);           /* 0.8 pt */
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
            cairo_line_to(cr, x, b + 4.9);
            cairo_stroke(cr);
            x_tick_label(cr, f->xt.label[i], x, b + 9.7, rot);
        }
        if (f->xt.offset[0])
            text_at(cr, f->xt.offset, r, b + 30, 1, 0);
    }
    if (yaxis) {
        for (size_t i = 0; i < f->yt.n; i++) {
            double y = floor(px_y(f, f->yt.at[i])) + 0.5;
            cairo_move_to(cr, l, y);
            cairo_line_to(cr, l - 4.9, y);
            cairo_stroke(cr);
            text_at(cr, f->yt.label[i], l - 9.7, y, 1, 0.5);
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
 * marks (matplotlib's loc="best"); `show` says whether there is one. */
static void draw_legend(frame_t *f, data_t *d, const obstacles_t *o)
{
    cairo_t *cr = f->cr;
    font(cr, TICK_FONT);
    double w = 0;
    for (size_t s = 0; s < d->nseries; s++)
        w = fmax(w, text_width(cr, d->names[s]));
    double row = 20, bw = w + 48, bh = row * (double)d->nseries + 8;
    double pad = 8;
    double cx[4] = {f->right - pad - bw, f->left + pad, f->left + pad,
                    f->right - pad - bw};
    double cy[4] = {f->top + pad, f->top + pad, f->bottom - pad - bh,
                    f->bottom - pad - bh};
    size_t best = 0, best_hits = SIZE_MAX;
    for (size_t c = 0; c < 4; c++) {
        size_t hits = obstacles_in(o, cx[c], cy[c], bw, bh);
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
        set_colour(f, s);
        if (d->kind == TQ_CHART_LINE) {
            cairo_set_line_width(cr, 2.08);
            cairo_move_to(cr, x + 8, yy);
            cairo_line_to(cr, x + 36, yy);
            cairo_stroke(cr);
        } else if (d->kind == TQ_CHART_SCATTER) {
            cairo_arc(cr, x + 22, yy, 3.2, 0, 2 * M_PI);
            cairo_fill(cr);
        } else {
            if (d->kind == TQ_CHART_AREA)
                set_colour_alpha(f, s, f->alpha > 0 ? f->alpha : 0.5);
            cairo_rectangle(cr, x + 8, yy - 5, 28, 10);
            cairo_fill(cr);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        text_at(cr, d->names[s], x + 42, yy, 0, 0.5);
    }
}

/* ---- the kinds */

/* A series' polyline, stroked every STROKE_CHUNK vertices: cairo strokes
 * a long round-joined path in time that grows faster than its length. */
enum { STROKE_CHUNK = 512 };

typedef struct pen {
    frame_t *f;
    obstacles_t *o;
    size_t series, n;
    bool started;
    seg_mask_t *mask;              /* NULL: cairo strokes the polyline;
                                      else its segments go to the mask */
    double ox, oy;                 /* the mask's origin in device px */
    double pts[STROKE_CHUNK][2];   /* the polyline not yet stroked */
} pen_t;

/* Strokes the pending polyline, keeping its last vertex to go on from. */
static void pen_flush(pen_t *p)
{
    cairo_t *cr = p->f->cr;
    if (p->mask) {
        double k = p->f->scale;
        for (size_t i = 1; i < p->n; i++)
            seg_mask_line(p->mask, p->pts[i - 1][0] * k - p->ox,
                          p->pts[i - 1][1] * k - p->oy,
                          p->pts[i][0] * k - p->ox, p->pts[i][1] * k - p->oy);
    } else if (p->n > 1) {
        cairo_new_path(cr);
        cairo_move_to(cr, p->pts[0][0], p->pts[0][1]);
        for (size_t i = 1; i < p->n; i++)
            cairo_line_to(cr, p->pts[i][0], p->pts[i][1]);
        set_colour(p->f, p->series);
        cairo_stroke(cr);
    }
    if (p->n > 0) {
        p->pts[0][0] = p->pts[p->n - 1][0];
        p->pts[0][1] = p->pts[p->n - 1][1];
        p->n = 1;
    }
}

/* Moves (gap) or draws to data point (x, y); a non-finite point (a
 * log axis' zero) breaks the line. */
static void pen_to(pen_t *p, double x, double y, bool gap)
{
    double px = px_x(p->f, x), py = px_y(p->f, y);
    if (!isfinite(px) || !isfinite(py)) {
        p->started = false;
        return;
    }
    if (gap || !p->started) {
        pen_flush(p);
        p->n = 0;
    } else if (p->n >= STROKE_CHUNK) {
        pen_flush(p);
    }
    if (p->n > 0 && p->pts[p->n - 1][0] == px && p->pts[p->n - 1][1] == py)
        return;                  /* the same point again */
    p->pts[p->n][0] = px;
    p->pts[p->n][1] = py;
    p->n++;
    p->started = true;
    obstacle(p->o, px, py, px, py);
}

/* A run's points in row order. */
static void pen_run(pen_t *p, const run_t *r)
{
    pen_to(p, r->fx, r->fy, r->gap);
    bool min_first = r->mini <= r->maxi;
    if (min_first) {
        pen_to(p, r->minx, r->miny, false);
        pen_to(p, r->maxx, r->maxy, false);
    } else {
        pen_to(p, r->maxx, r->maxy, false);
        pen_to(p, r->minx, r->miny, false);
    }
    pen_to(p, r->lx, r->ly, false);
}

static void pen_line_style(cairo_t *cr)
{
    cairo_set_line_width(cr, 2.08);      /* 1.5 pt at 100 dpi */
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
}

/* Area: the band between series s and the one under it (0 for the
 * first), filled with alpha; the path runs along s in row order and
 * back along the one under it. */
static void fill_area(frame_t *f, data_t *d, size_t s)
{
    cairo_t *cr = f->cr;
    cairo_new_path(cr);
    bool started = false;
    double base = f->logy ? pow(10, f->y0) : 0;
    if (!d->reduced) {
        for (size_t r = 0; r < d->nraw; r++) {
            double y = d->ry[r * d->nseries + s];
            double px = px_x(f, d->rx[r]), py = px_y(f, isnan(y) ? 0 : y);
            if (!isfinite(px) || !isfinite(py))
                continue;
            if (started)
                cairo_line_to(cr, px, py);
            else
                cairo_move_to(cr, px, py);
            started = true;
        }
        for (size_t r = d->nraw; r-- > 0;) {
            double y = s ? d->ry[r * d->nseries + s - 1] : base;
            double px = px_x(f, d->rx[r]), py = px_y(f, isnan(y) ? 0 : y);
            if (isfinite(px) && isfinite(py))
                cairo_line_to(cr, px, py);
        }
    } else {
        const runs_t *up = &d->runs[s];
        for (size_t i = 0; i < up->n; i++) {
            const run_t *r = &up->r[i];
            double pts[3][2] = {{r->fx, r->fy}, {r->maxx, r->maxy},
                                {r->lx, r->ly}};
            for (int k = 0; k < 3; k++) {
                double px = px_x(f, pts[k][0]), py = px_y(f, pts[k][1]);
                if (!isfinite(px) || !isfinite(py))
                    continue;
                if (started)
                    cairo_line_to(cr, px, py);
                else
                    cairo_move_to(cr, px, py);
                started = true;
            }
        }
        if (s == 0) {
            if (up->n) {
                cairo_line_to(cr, px_x(f, up->r[up->n - 1].lx),
                              px_y(f, base));
                cairo_line_to(cr, px_x(f, up->r[0].fx), px_y(f, base));
            }
        } else {
            const runs_t *dn = &d->runs[s - 1];
            for (size_t i = dn->n; i-- > 0;) {
                const run_t *r = &dn->r[i];
                cairo_line_to(cr, px_x(f, r->lx), px_y(f, r->miny));
                cairo_line_to(cr, px_x(f, r->fx), px_y(f, r->miny));
            }
        }
    }
    cairo_close_path(cr);
    set_colour_alpha(f, s, f->alpha > 0 ? f->alpha : 0.5);
    cairo_fill(cr);
}

/* A coverage mask over the plot in device pixels for the current line
 * width (chart_mask.h), its origin in *ox, *oy. */
static seg_mask_t *plot_mask(const frame_t *f, double *ox, double *oy)
{
    double k = f->scale;
    *ox = floor(f->left * k);
    *oy = floor(f->top * k);
    int mw = (int)ceil(f->right * k - *ox);
    int mh = (int)ceil(f->bottom * k - *oy);
    return seg_mask_new(mw > 0 ? mw : 1, mh > 0 ? mh : 1,
                        cairo_get_line_width(f->cr) * k / 2);
}

/* Paints series s through mask *m at (ox, oy) and frees it. */
static void paint_mask(frame_t *f, size_t s, seg_mask_t **m, double ox,
                       double oy)
{
    cairo_save(f->cr);
    cairo_identity_matrix(f->cr);
    set_colour(f, s);
    cairo_mask_surface(f->cr, seg_mask_surface(*m), ox, oy);
    cairo_restore(f->cr);
    seg_mask_destroy(m);
}

/* Raw rows are stroked by cairo; a reduced line's runs (four vertices
 * per pixel column, their segments overlapping) go through a coverage
 * mask per series, which costs what their pixels do where cairo's
 * stroker pays for every crossing of its outline. */
static void draw_line(frame_t *f, data_t *d, obstacles_t *o)
{
    cairo_t *cr = f->cr;
    if (d->kind == TQ_CHART_AREA)
        for (size_t s = 0; s < d->nseries; s++)
            fill_area(f, d, s);
    pen_line_style(cr);
    pen_t *p = tq_xcalloc(1, sizeof *p);
    for (size_t s = 0; s < d->nseries; s++) {
        *p = (pen_t){.f = f, .o = o, .series = s};
        if (!d->reduced) {
            for (size_t r = 0; r < d->nraw; r++) {
                double y = d->ry[r * d->nseries + s];
                if (isnan(y)) {          /* NULL: a gap, as matplotlib */
                    p->started = p->started && d->gaps_skip;
                    continue;
                }
                pen_to(p, d->rx[r], y, false);
            }
        } else {
            p->mask = plot_mask(f, &p->ox, &p->oy);
            for (size_t k = 0; k < d->runs[s].n; k++)
                pen_run(p, &d->runs[s].r[k]);
        }
        pen_flush(p);
        if (p->mask)
            paint_mask(f, s, &p->mask, p->ox, p->oy);
    }
    free(p);
}

/* A grid's cell centres along one axis as positions in the picture's
 * pixels (NAN where the axis unit is not finite). */
static double *cell_positions(const frame_t *f, const pt_grid_t *g, int axis)
{
    int n = pt_grid_cells(g, axis);
    double *p = tq_xcalloc((size_t)n, sizeof *p);
    for (int i = 0; i < n; i++) {
        double c = pt_grid_centre(g, axis, i);
        p[i] = axis == 0 ? f->left + (c - f->x0) / (f->x1 - f->x0) *
                                         (f->right - f->left)
                         : f->bottom - (c - f->y0) / (f->y1 - f->y0) *
                                           (f->bottom - f->top);
    }
    return p;
}

/* A line's trace drawn into a pen's mask: each row's run of cells that
 * the series' segments crossed becomes one segment between the centres
 * of its first and last cells (the discs the mask sweeps along them are
 * what the segments swept, within half a cell). */
typedef struct trace_paint {
    pen_t *p;
    const double *col, *row;        /* cell centres, picture pixels */
} trace_paint_t;

static void trace_run(void *ud, int i0, int i1, int j)
{
    trace_paint_t *t = ud;
    pen_t *p = t->p;
    double k = p->f->scale, y = t->row[j];
    double x0 = t->col[i0], x1 = t->col[i1];
    seg_mask_line(p->mask, x0 * k - p->ox, y * k - p->oy, x1 * k - p->ox,
                  y * k - p->oy);
    obstacle(p->o, x0, y, x1, y);
}

/* A line chart whose rows go back and forth in x too often to be reduced:
 * the first pass's runs (the rows before it turned out so), then the kept
 * rows, or, when there were too many to keep, the trace of every later
 * segment, are drawn in row order, the kept rows' runs inside one device
 * pixel column reduced to their first, lowest, highest and last point,
 * every series in its own pen. The pens' segments go to a coverage mask
 * per series (chart_mask.h: the union of the segments, as one stroke of
 * them would cover, at a cost that does not grow with their length once
 * the plot is covered), and each mask is painted in the series' colour,
 * one series over the other as matplotlib draws them. */
static void draw_line_streamed(frame_t *f, data_t *d, obstacles_t *o)
{
    pen_line_style(f->cr);
    pen_t *pens = tq_xcalloc(d->nseries, sizeof *pens);
    run_t cur[MAX_SERIES];
    bool have[MAX_SERIES] = {0}, gap[MAX_SERIES] = {0};
    /* each series keeps its pending run and its own polyline */
    for (size_t s = 0; s < d->nseries; s++) {
        pens[s] = (pen_t){.f = f, .o = o, .series = s};
        pens[s].mask = plot_mask(f, &pens[s].ox, &pens[s].oy);
        for (size_t k = 0; k < d->runs[s].n; k++)
            pen_run(&pens[s], &d->runs[s].r[k]);
        gap[s] = d->runs[s].pending_gap;
    }
    for (size_t i = 0; d->keeping && i < d->nkept; i++) {
        double x = d->kx[i];
        const double *ys = d->ky + i * d->nseries;
        int64_t k = (int64_t)floor(px_x(f, x) * f->scale), n = (int64_t)i;
        for (size_t s = 0; s < d->nseries; s++) {
            if (isnan(ys[s])) {
                gap[s] |= !d->gaps_skip;
                continue;
            }
            if (have[s] && cur[s].k == k && !gap[s]) {
                run_add(&cur[s], x, ys[s], n);
                continue;
            }
            if (have[s])
                pen_run(&pens[s], &cur[s]);
            run_start(&cur[s], k, gap[s], x, ys[s], n);
            have[s] = true;
            gap[s] = false;
        }
    }
    trace_paint_t t = {0};
    if (d->trace) {
        t.col = cell_positions(f, d->trace, 0);
        t.row = cell_positions(f, d->trace, 1);
    }
    for (size_t s = 0; s < d->nseries; s++) {
        if (have[s])
            pen_run(&pens[s], &cur[s]);
        pen_flush(&pens[s]);
        if (d->trace) {
            t.p = &pens[s];
            pt_grid_each_run(d->trace, s, trace_run, &t);
        }
        paint_mask(f, s, &pens[s].mask, pens[s].ox, pens[s].oy);
    }
    free((void *)t.col);
    free((void *)t.row);
    free(pens);
}

/* A scatter's marker, a disc of radius r device pixels as cairo fills it,
 * pre-drawn at each of SUB x SUB offsets inside a pixel: a marker is
 * stamped (the larger coverage kept, so overlapping markers make their
 * union, as one fill of them would) from the sprite nearest its position,
 * within half a 1/SUB pixel (fewer offsets for markers so large that
 * their sprites would pass SPRITE_BYTES). */
enum { SUB = 8, SPRITE_BYTES = 1 << 24 };

typedef struct sprites {
    int size, c;                 /* size x size bytes; the disc's centre
                                    inside pixel (c, c) */
    int sub;                     /* offsets per pixel: SUB or fewer */
    unsigned char *px;           /* sub * sub sprites */
} sprites_t;

static void sprites_init(sprites_t *sp, double r)
{
    sp->c = (int)ceil(r) + 1;
    sp->size = 2 * sp->c;        /* c + 1 + r <= 2c: 16 bytes for r < 7 */
    size_t one = (size_t)sp->size * sp->size;
    sp->sub = SUB;
    while (sp->sub > 1 && (size_t)(sp->sub * sp->sub) * one > SPRITE_BYTES)
        sp->sub /= 2;
    int sub = sp->sub;
    sp->px = tq_xcalloc((size_t)(sub * sub) * one, 1);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8,
                                                    sp->size, sp->size);
    for (int qy = 0; qy < sub; qy++)
        for (int qx = 0; qx < sub; qx++) {
            cairo_t *cr = cairo_create(s);
            cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
            cairo_paint(cr);
            cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
            cairo_arc(cr, sp->c + (qx + 0.5) / sub, sp->c + (qy + 0.5) / sub,
                      r, 0, 2 * M_PI);
            cairo_fill(cr);
            cairo_destroy(cr);
            cairo_surface_flush(s);
            const unsigned char *src = cairo_image_surface_get_data(s);
            int stride = cairo_image_surface_get_stride(s);
            unsigned char *dst = sp->px + (size_t)(qy * sub + qx) * one;
            for (int y = 0; y < sp->size; y++)
                memcpy(dst + (size_t)y * sp->size, src + (size_t)y * stride,
                       (size_t)sp->size);
        }
    cairo_surface_destroy(s);
}

/* Stamps the sprite for device position (x, y) (the mask's pixels) into
 * a mask of w x h bytes. */
static void stamp(const sprites_t *sp, unsigned char *mask, int w, int h,
                  int stride, double x, double y)
{
    double fx = floor(x), fy = floor(y);
    int sub = sp->sub;
    int qx = (int)((x - fx) * sub), qy = (int)((y - fy) * sub);
    qx = qx < 0 ? 0 : qx >= sub ? sub - 1 : qx;
    qy = qy < 0 ? 0 : qy >= sub ? sub - 1 : qy;
    int x0 = (int)fx - sp->c, y0 = (int)fy - sp->c, n = sp->size;
    int a = x0 < 0 ? -x0 : 0, b = x0 + n > w ? w - x0 : n;
    int ra = y0 < 0 ? -y0 : 0, rb = y0 + n > h ? h - y0 : n;
    const unsigned char *src = sp->px + (size_t)(qy * sub + qx) * n * n;
    for (int r = ra; r < rb; r++) {
        const unsigned char *p = src + (size_t)r * n;
        unsigned char *q = mask + (size_t)(y0 + r) * stride + x0;
        for (int i = a; i < b; i++)
            q[i] = p[i] > q[i] ? p[i] : q[i];
    }
}

/* A scatter's marked cells, each stamped as a marker at its centre. */
typedef struct scatter_paint {
    const sprites_t *sp;
    unsigned char *mask;
    int w, h, stride;
    const double *col, *row;     /* cell centres in the mask's pixels;
                                    NAN: no marker there touches it */
    const int *occ_i, *occ_j;    /* per cell: first and last obstacle
                                    cell its marker covers */
    obstacles_t *o;
} scatter_paint_t;

static void scatter_cell(void *ud, int i, int j)
{
    scatter_paint_t *p = ud;
    if (isnan(p->col[i]) || isnan(p->row[j]))
        return;
    stamp(p->sp, p->mask, p->w, p->h, p->stride, p->col[i], p->row[j]);
    for (int b = p->occ_j[2 * j]; b <= p->occ_j[2 * j + 1]; b++)
        for (int a = p->occ_i[2 * i]; a <= p->occ_i[2 * i + 1]; a++)
            p->o->cells[b * OCC + a]++;
}

/* A scatter plot at every size: the rows' cells on the grid (a quarter
 * device pixel or less, chart_grid.h), each drawn as one marker of radius
 * r at its centre, through a coverage mask per series painted in the
 * series' colour (so a point drawn twice, or two in one cell, draw what
 * one does). */
static void draw_scatter(frame_t *f, data_t *d, obstacles_t *o, double r)
{
    if (!d->grid)
        return;
    double k = f->scale;
    double ox = floor(f->left * k), oy = floor(f->top * k);
    int mw = (int)ceil(f->right * k - ox), mh = (int)ceil(f->bottom * k - oy);
    mw = mw > 0 ? mw : 1;
    mh = mh > 0 ? mh : 1;
    /* a marker wider than the plot's diagonal covers what that one does */
    sprites_t sp;
    sprites_init(&sp, fmin(r * k, hypot(mw, mh)));
    double *col = cell_positions(f, d->grid, 0);
    double *row = cell_positions(f, d->grid, 1);
    int nx = pt_grid_cells(d->grid, 0), ny = pt_grid_cells(d->grid, 1);
    int *occ_i = tq_xcalloc(2 * (size_t)nx, sizeof *occ_i);
    int *occ_j = tq_xcalloc(2 * (size_t)ny, sizeof *occ_j);
    const int axis_n[2] = {nx, ny}, lim[2] = {mw, mh};
    double *pos[2] = {col, row};
    int *occ[2] = {occ_i, occ_j};
    const double org[2] = {ox, oy}, plot0[2] = {o->left, o->top};
    const double span[2] = {o->w, o->h};
    for (int a = 0; a < 2; a++)
        for (int i = 0; i < axis_n[a]; i++) {
            double v = pos[a][i];
            occ[a][2 * i] = occ_cell(v - r, plot0[a], span[a]);
            occ[a][2 * i + 1] = occ_cell(v + r, plot0[a], span[a]);
            double dev = v * k - org[a];
            pos[a][i] = isfinite(dev) && dev > -sp.size &&
                        dev < lim[a] + sp.size ? dev : NAN;
        }
    scatter_paint_t p = {.sp = &sp, .w = mw, .h = mh, .col = col,
                         .row = row, .occ_i = occ_i, .occ_j = occ_j, .o = o};
    cairo_surface_t *m = cairo_image_surface_create(CAIRO_FORMAT_A8, mw, mh);
    for (size_t s = 0; s < d->nseries; s++) {
        cairo_surface_flush(m);
        p.mask = cairo_image_surface_get_data(m);
        p.stride = cairo_image_surface_get_stride(m);
        memset(p.mask, 0, (size_t)p.stride * mh);
        pt_grid_each(d->grid, s, scatter_cell, &p);
        cairo_surface_mark_dirty(m);
        cairo_save(f->cr);
        cairo_identity_matrix(f->cr);
        set_colour(f, s);
        cairo_mask_surface(f->cr, m, ox, oy);
        cairo_restore(f->cr);
    }
    cairo_surface_destroy(m);
    free(col);
    free(row);
    free(occ_i);
    free(occ_j);
    free(sp.px);
}

/* Grouped bars (pandas: group width 0.5 around each category), or
 * stacked ones (one bar of width 0.5, positive values upwards, negative
 * ones downwards). */
static void draw_bars(frame_t *f, data_t *d, obstacles_t *o, bool horizontal,
                      bool stacked)
{
    cairo_t *cr = f->cr;
    double group = 0.5, w = stacked ? group : group / (double)d->nseries;
    double *pos = tq_xcalloc(d->nraw ? d->nraw : 1, sizeof *pos);
    double *neg = tq_xcalloc(d->nraw ? d->nraw : 1, sizeof *neg);
    for (size_t s = 0; s < d->nseries; s++) {
        set_colour(f, s);
        for (size_t i = 0; i < d->nraw; i++) {
            double v = d->ry[i * d->nseries + s];
            if (isnan(v))
                continue;
            double c0 = stacked ? (double)i - group / 2
                                : (double)i - group / 2 + w * (double)s;
            double c1 = c0 + w, base = 0;
            if (stacked) {
                double *acc = v >= 0 ? &pos[i] : &neg[i];
                base = *acc;
                *acc += v;
                v = *acc;
            }
            double x0, x1, y0, y1;
            if (horizontal) {
                x0 = px_x(f, base); x1 = px_x(f, v);
                y0 = px_y(f, c0); y1 = px_y(f, c1);
            } else {
                x0 = px_x(f, c0); x1 = px_x(f, c1);
                y0 = px_y(f, base); y1 = px_y(f, v);
            }
            if (!isfinite(x0) || !isfinite(x1) || !isfinite(y0) ||
                !isfinite(y1))
                continue;
            cairo_rectangle(cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0),
                            fabs(y1 - y0));
            obstacle(o, x0, y0, x1, y1);
        }
        cairo_fill(cr);
    }
    free(pos);
    free(neg);
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
        double y0 = px_y(f, f->logy ? pow(10, f->y0) : 0);
        double y1 = px_y(f, (double)d->counts[i]);
        if (!isfinite(y1) || !isfinite(x0) || !isfinite(x1))
            continue;
        cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
        obstacle(o, x0, y0, x1, y1);
    }
    set_colour(f, 0);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
}

/* numpy's linear percentile of sorted v. */
static double percentile(const double *v, size_t n, double q)
{
    double at = q * (double)(n - 1);
    size_t i = (size_t)floor(at);
    double frac = at - (double)i;
    return i + 1 < n ? v[i] + (v[i + 1] - v[i]) * frac : v[i];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A box's statistics, as matplotlib's boxplot computes them (whiskers at
 * the furthest values within 1.5 IQR of the box). */
typedef struct box_stats {
    double q1, med, q3, lo, hi;
} box_stats_t;

static box_stats_t box_stats(double *v, size_t n)
{
    box_stats_t b = {0};
    if (!n)
        return b;
    qsort(v, n, sizeof *v, cmp_double);
    b.q1 = percentile(v, n, 0.25);
    b.med = percentile(v, n, 0.5);
    b.q3 = percentile(v, n, 0.75);
    double iqr = b.q3 - b.q1;
    b.lo = b.q1;
    b.hi = b.q3;
    for (size_t i = 0; i < n; i++)
        if (v[i] >= b.q1 - 1.5 * iqr) {
            b.lo = fmin(v[i], b.q1);
            break;
        }
    for (size_t i = n; i-- > 0;)
        if (v[i] <= b.q3 + 1.5 * iqr) {
            b.hi = fmax(v[i], b.q3);
            break;
        }
    return b;
}

/* Boxes at x = 0..n-1 (pandas: 1..n) as pandas draws them: box and whiskers in C0, the
 * median in C2, outliers as open circles. */
static void draw_box(frame_t *f, data_t *d, obstacles_t *o)
{
    cairo_t *cr = f->cr;
    cairo_set_line_width(cr, 1.4);
    for (size_t s = 0; s < d->nseries; s++) {
        size_t n = d->nvals[s];
        if (!n)
            continue;
        box_stats_t b = box_stats(d->vals[s], n);
        double c = (double)s;     /* the category axis is 0..n-1 */
        double xl = px_x(f, c - 0.25), xr = px_x(f, c + 0.25);
        double xcl = px_x(f, c - 0.125), xcr = px_x(f, c + 0.125);
        double xc = px_x(f, c);
        set_colour_alpha(f, 0, 1);
        if (d->ncolours_given)
            set_colour(f, s);
        cairo_rectangle(cr, xl, px_y(f, b.q3), xr - xl,
                        px_y(f, b.q1) - px_y(f, b.q3));
        cairo_move_to(cr, xc, px_y(f, b.q1));
        cairo_line_to(cr, xc, px_y(f, b.lo));
        cairo_move_to(cr, xc, px_y(f, b.q3));
        cairo_line_to(cr, xc, px_y(f, b.hi));
        cairo_move_to(cr, xcl, px_y(f, b.lo));
        cairo_line_to(cr, xcr, px_y(f, b.lo));
        cairo_move_to(cr, xcl, px_y(f, b.hi));
        cairo_line_to(cr, xcr, px_y(f, b.hi));
        cairo_stroke(cr);
        obstacle(o, xl, px_y(f, b.hi), xr, px_y(f, b.lo));
        const double *g = TAB10[2];
        cairo_set_source_rgb(cr, g[0] / 255, g[1] / 255, g[2] / 255);
        cairo_move_to(cr, xl, px_y(f, b.med));
        cairo_line_to(cr, xr, px_y(f, b.med));
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 1);
        double last = NAN;
        for (size_t i = 0; i < n; i++) {
            double v = d->vals[s][i];
            if (v >= b.lo && v <= b.hi)
                continue;
            double py = px_y(f, v);
            if (fabs(py - last) < 0.5 || !isfinite(py))
                continue;        /* same pixel: one circle */
            last = py;
            cairo_new_sub_path(cr);
            cairo_arc(cr, xc, py, 4.2, 0, 2 * M_PI);
            obstacle(o, xc - 4, py - 4, xc + 4, py + 4);
        }
        cairo_stroke(cr);
        cairo_set_line_width(cr, 1.4);
    }
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
        set_colour(f, i);
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
                                double rot, tq_buf_t *shown)
{
    cairo_t *cr = f->cr;
    font(cr, TICK_FONT);
    cairo_set_source_rgb(cr, SPINE_GREY, SPINE_GREY, SPINE_GREY);
    cairo_set_line_width(cr, 1.1);
    size_t n = d->nraw;
    double room = horizontal ? (f->bottom - f->top) : (f->right - f->left);
    double need = horizontal || rot != 0 ? 16 : 0;
    if (!horizontal && rot == 0)
        for (size_t i = 0; i < n; i++)
            need = fmax(need, text_width(cr, d->labels[i]) + 6);
    size_t every = 1;
    while (n / every * need > room && every < n)
        every++;
    double b = floor(f->bottom) + 0.5, l = floor(f->left) + 0.5;
    for (size_t i = 0; i < n; i += every) {
        json_str(shown, d->labels[i]);
        if (horizontal) {
            double y = floor(px_y(f, (double)i)) + 0.5;
            cairo_move_to(cr, l, y);
            cairo_line_to(cr, l - 4.9, y);
            cairo_stroke(cr);
            text_at(cr, d->labels[i], l - 9.7, y, 1, 0.5);
        } else {
            double x = floor(px_x(f, (double)i)) + 0.5;
            cairo_move_to(cr, x, b);
            cairo_line_to(cr, x, b + 4.9);
            cairo_stroke(cr);
            x_tick_label(cr, d->labels[i], x, b + 9.7, rot);
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
        t = tq_xasprintf("%.*s\xe2\x80\xa6", (int)len, s);
        if (text_width(cr, t) <= limit)
            break;
    }
    free(s);
    return t ? t : tq_xstrdup("\xe2\x80\xa6");
}

/* matplotlib's number of tick intervals for an axis of `px` pixels:
 * its length in points over three (x) or two (y) label heights of 10 pt,
 * at most 9. */
static int auto_bins(double px, bool xaxis)
{
    int n = (int)floor(px * 0.72 / (10.0 * (xaxis ? 3 : 2)));
    return n < 1 ? 1 : n > 9 ? 9 : n;
}

/* Lays the frame out: margins from the title, labels and tick labels;
 * y ticks are chosen here (their widths set the left margin). *rot is
 * the x tick labels' rotation: the caller's, or 90 for bar labels that
 * do not fit flat. */
static void layout(frame_t *f, data_t *d, const tq_chart_opts_t *o,
                   const char *xlabel, const char *ylabel, double *ylabel_x,
                   double *rot)
{
    cairo_t *cr = f->cr;
    bool has_title = o->title && *o->title;
    f->top = has_title ? 44 : 18;
    f->bottom = f->height - (xlabel && *xlabel ? 58 : 36);
    f->right = f->width - 24;
    *rot = o->has_rot ? o->rot : 0;
    font(cr, TICK_FONT);
    bool bar_like = d->kind == TQ_CHART_BAR || d->kind == TQ_CHART_BOX;
    if (d->kind == TQ_CHART_BAR || d->kind == TQ_CHART_BARH ||
        d->kind == TQ_CHART_BOX) {
        /* Labels longer than a third of the picture are shortened. */
        double limit = (d->kind != TQ_CHART_BARH ? f->height : f->width) * 0.3;
        for (size_t i = 0; i < d->nlabels; i++)
            d->labels[i] = ellipsize(cr, d->labels[i], limit);
    }
    double wmax = 0;
    if (bar_like)
        for (size_t i = 0; i < d->nraw; i++)
            wmax = fmax(wmax, text_width(cr, d->labels[i]));
    else if (*rot != 0)
        for (size_t i = 0; i < f->xt.n; i++)
            wmax = fmax(wmax, text_width(cr, f->xt.label[i]));
    if (bar_like && d->nraw > 0 && !o->has_rot) {
        /* Flat labels need the slot of their widest one under each bar;
         * else they turn 90 degrees, as pandas turns them. */
        double slot = (f->right - 80) / (double)d->nraw;
        if (wmax + 8 > slot)
            *rot = 90;
    }
    if (*rot != 0) {
        double extra = wmax * fabs(sin(*rot * M_PI / 180)) - 14;
        if (extra > 0)
            f->bottom -= fmin(extra, f->height * 0.4);
    }
    if (d->kind == TQ_CHART_BARH)
        f->yt.n = 0;
    else if (f->logy)
        axis_log_ticks(pow(10, f->y0), pow(10, f->y1),
                       auto_bins(f->bottom - f->top, false) + 1, &f->yt);
    else
        axis_auto_ticks(f->y0, f->y1, auto_bins(f->bottom - f->top, false),
                        &f->yt);
    double lw = 0;
    if (d->kind == TQ_CHART_BARH)
        for (size_t i = 0; i < d->nraw; i++)
            lw = fmax(lw, fmin(text_width(cr, d->labels[i]), f->width * 0.3));
    else
        for (size_t i = 0; i < f->yt.n; i++)
            lw = fmax(lw, text_width(cr, f->yt.label[i]));
    double ylab = ylabel && *ylabel ? 24 : 0;
    f->left = 12 + ylab + lw + 12;
    *ylabel_x = 12 + 9;
}

/* The view of one axis: the data range with margins, or the caller's
 * limits, in axis units (log10 on a log axis, whose range is the
 * positive values'). */
static void view_range(double lo, double hi, double poslo, bool log,
                       bool zero_based, bool margin, const bool has_lim,
                       const double lim[2], double *v0, double *v1)
{
    if (log) {
        lo = poslo > 0 ? log10(poslo) : 0;
        hi = hi > 0 ? log10(hi) : lo + 1;
        zero_based = false;
    }
    if (margin)
        margins(&lo, &hi, zero_based);
    else if (!(hi > lo)) {
        lo -= 0.5;
        hi += 0.5;
    }
    if (has_lim) {
        lo = log ? (lim[0] > 0 ? log10(lim[0]) : lo) : lim[0];
        hi = log ? (lim[1] > 0 ? log10(lim[1]) : hi) : lim[1];
        if (!(hi > lo))
            hi = lo + 1;
    }
    *v0 = lo;
    *v1 = hi;
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
    if (opts->info)
        *opts->info = NULL;
    tq_chart_opts_t o = *opts;
    if (o.width <= 0 || o.height <= 0) {
        o.width = 640;
        o.height = 400;
    }
    if (o.width < 100 || o.height < 80 || o.width > 8000 || o.height > 8000) {
        *error = tq_xasprintf("A chart is 100x80 to 8000x8000 pixels, not "
                             "%dx%d.", o.width, o.height);
        return -1;
    }
    if (o.scale <= 0)
        o.scale = 1;
    if (o.scale > 4)
        o.scale = 4;
    if (o.bins <= 0)
        o.bins = 10;
    if (o.bins > 1000)
        o.bins = 1000;
    if (o.alpha < 0 || o.alpha > 1) {
        *error = tq_xasprintf("alpha is between 0 and 1, not %g.", o.alpha);
        return -1;
    }
    int ncols = rows->ncols;
    int need = o.kind == TQ_CHART_HIST || o.kind == TQ_CHART_BOX ? 1 : 2;
    if (ncols < need) {
        *error = tq_xasprintf("A %s chart needs %s.", kind_name(o.kind),
                             need == 1 ? "a column"
                                       : "an x column and a y column");
        return -1;
    }
    frame_t f = {0};
    for (size_t s = 0; s < MAX_SERIES; s++)
        for (int c = 0; c < 3; c++)
            f.colours[s][c] = TAB10[s % 10][c] / 255;
    for (size_t s = 0; s < o.ncolors && s < MAX_SERIES; s++)
        if (!parse_colour(o.colors[s], f.colours[s])) {
            *error = tq_xasprintf("'%s' is not a colour (a name such as "
                                  "'red', 'C1', 'tab:blue' or '#1f77b4').",
                                  o.colors[s]);
            return -1;
        }
    if (o.ncolors == 1)              /* one colour: every series */
        for (size_t s = 1; s < MAX_SERIES; s++)
            memcpy(f.colours[s], f.colours[0], sizeof f.colours[0]);
    data_t d = {0};
    d.kind = o.kind;
    d.bins = o.bins;
    d.gaps_skip = o.by_series;
    d.stacked = o.kind == TQ_CHART_AREA && o.stacked != 2;
    d.ncolours_given = o.ncolors > 0;
    d.nseries = o.kind == TQ_CHART_HIST ? 1
              : o.kind == TQ_CHART_PIE ? 1
              : o.kind == TQ_CHART_BOX ? (size_t)ncols : (size_t)ncols - 1;
    if (d.nseries > MAX_SERIES) {
        *error = tq_xasprintf("A chart shows at most %d series.", MAX_SERIES);
        return -1;
    }
    d.xname = tq_xstrdup(rows->names[0]);
    d.names = tq_xcalloc(d.nseries, sizeof *d.names);
    for (size_t s = 0; s < d.nseries; s++) {
        int c = o.kind == TQ_CHART_HIST ? 0
              : o.kind == TQ_CHART_BOX ? (int)s : (int)s + 1;
        d.names[s] = tq_xstrdup(rows->names[c]);
    }
    if (o.kind == TQ_CHART_BOX) {
        d.vals = tq_xcalloc(d.nseries, sizeof *d.vals);
        d.nvals = tq_xcalloc(d.nseries, sizeof *d.nvals);
        d.capvals = tq_xcalloc(d.nseries, sizeof *d.capvals);
    }

    cairo_surface_t *surf = cairo_image_surface_create(
        CAIRO_FORMAT_RGB24, o.width * o.scale, o.height * o.scale);
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, o.scale, o.scale);
    f.cr = cr;
    f.width = o.width;
    f.height = o.height;
    f.scale = o.scale;
    f.logx = o.logx && o.kind != TQ_CHART_BAR && o.kind != TQ_CHART_PIE &&
             o.kind != TQ_CHART_BOX;
    f.logy = o.logy && o.kind != TQ_CHART_BARH && o.kind != TQ_CHART_PIE;
    f.alpha = o.alpha > 0 ? o.alpha : 1;
    f.gaps_skip = o.by_series;
    obstacles_t obs;
    d.logx = f.logx;
    d.logy = f.logy;
    if (o.kind == TQ_CHART_SCATTER)
        grid_setup(&d, &o, GRID_PER_PX);
    else if (is_line_like(o.kind))
        grid_setup(&d, &o, TRACE_PER_PX);
    /* reduced per device pixel column of the plot (about the width) */
    int rc = read_rows(&d, rows, (size_t)o.width * (size_t)o.scale, error);
    if (rc == 0 && o.kind == TQ_CHART_SCATTER && !d.grid)
        scatter_grid_start(&d);      /* the rows that were all kept */

    const char *xlabel = o.xlabel ? o.xlabel : d.xname;
    const char *ylabel = o.ylabel;
    if (!ylabel && d.nseries == 1 && o.kind != TQ_CHART_HIST &&
        o.kind != TQ_CHART_PIE && o.kind != TQ_CHART_BOX)
        ylabel = d.names[0];
    if (!ylabel && o.kind == TQ_CHART_HIST)
        ylabel = "Frequency";
    if (o.kind == TQ_CHART_BOX)
        xlabel = o.xlabel;
    if (o.kind == TQ_CHART_BARH) {
        /* pandas: xlabel names the category axis, drawn on the left;
         * ylabel the values' axis, drawn at the bottom */
        const char *category = o.xlabel ? o.xlabel : d.xname;
        xlabel = o.ylabel ? o.ylabel : (d.nseries == 1 ? d.names[0] : NULL);
        ylabel = category;
    }
    if (o.kind == TQ_CHART_PIE)
        xlabel = o.xlabel, ylabel = o.ylabel;
    bool stacked_bars = (o.kind == TQ_CHART_BAR || o.kind == TQ_CHART_BARH) &&
                        o.stacked == 1;

    /* Second passes: histogram counts. */
    if (rc == 0 && o.kind == TQ_CHART_HIST) {
        d.counts = tq_xcalloc((size_t)d.bins, sizeof *d.counts);
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
        d.yposmin = 0;
        for (int i = 0; i < d.bins; i++) {
            d.ymax = fmax(d.ymax, (double)d.counts[i]);
            if (d.counts[i] > 0 && (d.yposmin == 0 ||
                                    d.counts[i] < d.yposmin))
                d.yposmin = (double)d.counts[i];
        }
        d.any_y = true;
    }
    if (rc == 0 && o.kind == TQ_CHART_BOX) {
        /* the range of every value; the boxes' labels are the series */
        bool any = false;
        for (size_t s = 0; s < d.nseries; s++)
            for (size_t i = 0; i < d.nvals[s]; i++) {
                widen_y(&d, d.vals[s][i]);
                any = true;
            }
        d.any_y = any;
        d.labels = tq_xcalloc(d.nseries, sizeof *d.labels);
        for (size_t s = 0; s < d.nseries; s++)
            d.labels[s] = tq_xstrdup(d.names[s]);
        d.labelcap = d.nlabels = d.nraw = d.nseries;
    }
    if (rc == 0 && stacked_bars) {
        /* the range of the stacks */
        d.any_y = false;
        for (size_t i = 0; i < d.nraw; i++) {
            double pos = 0, neg = 0;
            for (size_t s = 0; s < d.nseries; s++) {
                double v = d.ry[i * d.nseries + s];
                if (!isnan(v))
                    *(v >= 0 ? &pos : &neg) += v;
            }
            widen_y(&d, pos);
            widen_y(&d, neg);
        }
    }
    if (rc == 0 && d.rows == 0 && o.kind != TQ_CHART_PIE &&
        o.kind != TQ_CHART_BOX) {
        /* An empty chart still has axes. */
        d.xmin = 0;
        d.xmax = 1;
    }
    if (!d.any_y) {
        d.ymin = 0;
        d.ymax = 1;
    }

    double rot = 0, ylabel_x = 0;
    if (rc == 0) {
        /* View ranges. */
        switch (o.kind) {
        case TQ_CHART_BAR:
        case TQ_CHART_BOX:
            f.x0 = -0.5;
            f.x1 = (double)d.nraw - 0.5;
            view_range(o.kind == TQ_CHART_BAR ? fmin(0, d.ymin) : d.ymin,
                       o.kind == TQ_CHART_BAR ? fmax(0, d.ymax) : d.ymax,
                       d.yposmin, f.logy, o.kind == TQ_CHART_BAR, true,
                       o.has_ylim, o.ylim, &f.y0, &f.y1);
            break;
        case TQ_CHART_BARH:
            f.y0 = -0.5;
            f.y1 = (double)d.nraw - 0.5;
            view_range(fmin(0, d.ymin), fmax(0, d.ymax), d.yposmin, f.logx,
                       true, true, o.has_xlim, o.xlim, &f.x0, &f.x1);
            break;
        case TQ_CHART_HIST:
            view_range(d.xmin, d.xmax, d.xposmin, f.logx, false, true,
                       o.has_xlim, o.xlim, &f.x0, &f.x1);
            view_range(0, d.ymax, d.yposmin, f.logy, true, true, o.has_ylim,
                       o.ylim, &f.y0, &f.y1);
            break;
        default:
            /* matplotlib's 5% margins; pandas' area starts at 0 when
             * every value is positive */
            view_range(d.xmin, d.xmax, d.xposmin, f.logx, false, true,
                       o.has_xlim, o.xlim, &f.x0, &f.x1);
            view_range(o.kind == TQ_CHART_AREA && d.ymin >= 0 ? 0 : d.ymin,
                       d.ymax, d.yposmin, f.logy,
                       o.kind == TQ_CHART_AREA, true, o.has_ylim, o.ylim,
                       &f.y0, &f.y1);
        }
        if (o.kind == TQ_CHART_BAR || o.kind == TQ_CHART_BARH ||
            o.kind == TQ_CHART_PIE)
            shorten_date_labels(&d);
        /* x ticks first for their widths when rotated, then the layout,
         * then x ticks again for the final width */
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 0) {
                f.left = 60;
                f.right = f.width - 24;
            } else {
                layout(&f, &d, &o, xlabel, ylabel, &ylabel_x, &rot);
            }
            double plot_w = f.right - f.left;
            if (f.logx) {
                axis_log_ticks(pow(10, f.x0), pow(10, f.x1),
                               auto_bins(plot_w, true) + 1, &f.xt);
            } else if (d.xmode == X_DATE && o.kind != TQ_CHART_HIST &&
                       o.kind != TQ_CHART_BAR && o.kind != TQ_CHART_BARH &&
                       o.kind != TQ_CHART_BOX) {
                axis_date_ticks(f.x0, f.x1, (int)fmax(2, plot_w / 70),
                                &f.xt);
                f.xdates = true;
            } else if (o.kind != TQ_CHART_BAR && o.kind != TQ_CHART_BOX) {
                axis_auto_ticks(f.x0, f.x1, auto_bins(plot_w, true), &f.xt);
            }
        }
        /* Text x on a line or scatter chart: ticks at whole rows, labelled
         * with their categories. */
        if (d.xmode == X_CATEGORY && (is_line_like(o.kind) ||
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
    }

    tq_buf_t xshown = {0}, yshown = {0};
    tq_buf_addc(&xshown, '[');
    tq_buf_addc(&yshown, '[');
    bool legend = false;
    if (rc == 0) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        obstacles_init(&obs, &f);
        if (o.kind != TQ_CHART_PIE) {
            if (o.grid)
                draw_grid(&f, o.kind != TQ_CHART_BAR && o.kind != TQ_CHART_BOX,
                          o.kind != TQ_CHART_BARH);
            cairo_save(cr);
            cairo_rectangle(cr, f.left, f.top, f.right - f.left,
                            f.bottom - f.top);
            cairo_clip(cr);
        }
        double marker_r = sqrt(o.marker_size > 0 ? o.marker_size : 20) / 2 *
                          100 / 72.0;
        switch (o.kind) {
        case TQ_CHART_LINE:
        case TQ_CHART_AREA:
            if (d.streamed)
                draw_line_streamed(&f, &d, &obs);
            else
                draw_line(&f, &d, &obs);
            break;
        case TQ_CHART_SCATTER: draw_scatter(&f, &d, &obs, marker_r); break;
        case TQ_CHART_BAR: draw_bars(&f, &d, &obs, false, stacked_bars); break;
        case TQ_CHART_BARH: draw_bars(&f, &d, &obs, true, stacked_bars); break;
        case TQ_CHART_HIST: draw_hist(&f, &d, &obs); break;
        case TQ_CHART_PIE: draw_pie(&f, &d); break;
        case TQ_CHART_BOX: draw_box(&f, &d, &obs); break;
        }
        if (o.kind != TQ_CHART_PIE) {
            cairo_restore(cr);
            if (o.kind == TQ_CHART_BAR || o.kind == TQ_CHART_BOX) {
                draw_spines_and_ticks(&f, false, true, rot);
                draw_category_ticks(&f, &d, false, rot, &xshown);
            } else if (o.kind == TQ_CHART_BARH) {
                draw_spines_and_ticks(&f, true, false, rot);
                draw_category_ticks(&f, &d, true, 0, &yshown);
            } else {
                draw_spines_and_ticks(&f, true, true, rot);
            }
            for (size_t i = 0; i < f.xt.n; i++)
                json_str(&xshown, f.xt.label[i]);
            for (size_t i = 0; i < f.yt.n; i++)
                json_str(&yshown, f.yt.label[i]);
            legend = o.kind != TQ_CHART_BOX &&
                     (o.legend == 1 ||
                      (o.legend <= 0 && d.nseries >= 2 &&
                       o.kind != TQ_CHART_HIST));
            if (legend)
                draw_legend(&f, &d, &obs);
        }
        draw_labels(&f, o.title, xlabel, ylabel, ylabel_x);
        cairo_surface_flush(surf);
    }
    if (rc == 0) {
        tq_buf_t out = {0};
        if (chart_png_encode(surf, &out) != 0) {
            *error = tq_xstrdup("Cannot encode the chart as PNG.");
            tq_buf_free(&out);
            rc = -1;
        } else {
            *png_len = out.len;
            *png = (unsigned char *)tq_buf_take(&out);
        }
    }
    if (rc == 0 && opts->info) {
        tq_buf_t info = {0};
        tq_buf_addc(&xshown, ']');
        tq_buf_addc(&yshown, ']');
        tq_buf_printf(&info, "{\"xticks\": %s, \"yticks\": %s, "
                      "\"legend\": [", xshown.s, yshown.s);
        tq_buf_t names = {0};
        tq_buf_addc(&names, '[');
        for (size_t s = 0; legend && s < d.nseries; s++)
            json_str(&names, d.names[s]);
        tq_buf_printf(&info, "%s]}", names.s + 1);
        tq_buf_free(&names);
        *opts->info = tq_buf_take(&info);
    }
    tq_buf_free(&xshown);
    tq_buf_free(&yshown);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    data_free(&d);
    return rc;
}
