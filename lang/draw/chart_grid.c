/*
 * This file keeps the occupancy grid of a scatter plot of many points
 * (chart_grid.h): a bitmap per series, rows of cells down, cells across,
 * and per axis its origin, cell width and the range of the points marked.
 * A point outside a growing axis makes the axis re-grid (axis_grow): its
 * edges stay on old cell edges while its cells double in width, and every
 * marked cell moves to the new cell that holds it whole, so no point is
 * ever placed further than its current cell from where it is.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "base/util.h"
#include "draw/chart_grid.h"

typedef struct axis {
    int n;
    double lo, bw, inv;       /* origin, cell width, 1 / cell width */
    double vmin, vmax;        /* the marked points' range */
    bool fixed;
} axis_t;

struct pt_grid {
    size_t nseries;
    axis_t ax[2];
    size_t words;             /* 64-bit words per row */
    uint64_t *bits;           /* nseries * n down * words */
};

static void axis_init(axis_t *a, pt_grid_axis_t g)
{
    assert(g.n > 0 && isfinite(g.lo) && isfinite(g.hi) && g.lo <= g.hi);
    double span = g.hi - g.lo;
    a->n = g.n;
    a->lo = g.lo;
    a->fixed = g.fixed;
    if (g.fixed)
        a->bw = (span > 0 ? span : 1) / g.n;
    else
        a->bw = span > 0 ? span * (1 + 1e-9) / g.n
                         : (fabs(g.lo) > 0 ? fabs(g.lo) * 1e-9 : 1e-9);
    a->inv = 1 / a->bw;
    a->vmin = g.hi;
    a->vmax = g.lo;
}

pt_grid_t *pt_grid_new(size_t nseries, pt_grid_axis_t x, pt_grid_axis_t y)
{
    assert(nseries > 0);
    pt_grid_t *g = tq_xcalloc(1, sizeof *g);
    g->nseries = nseries;
    axis_init(&g->ax[0], x);
    axis_init(&g->ax[1], y);
    g->words = ((size_t)x.n + 63) / 64;
    g->bits = tq_xcalloc(nseries * (size_t)y.n * g->words, sizeof *g->bits);
    return g;
}

void pt_grid_free(pt_grid_t **gp)
{
    pt_grid_t *g = *gp;
    if (!g)
        return;
    free(g->bits);
    free(g);
    *gp = NULL;
}

int pt_grid_cells(const pt_grid_t *g, int axis)
{
    assert(axis == 0 || axis == 1);
    return g->ax[axis].n;
}

double pt_grid_centre(const pt_grid_t *g, int axis, int i)
{
    assert(axis == 0 || axis == 1);
    const axis_t *a = &g->ax[axis];
    return a->lo + ((double)i + 0.5) * a->bw;
}

/* The cell of v on a (inside it), clamped against rounding. */
static int cell_of(const axis_t *a, double v)
{
    double t = (v - a->lo) * a->inv;
    int n = a->n;
    return !(t >= 0) ? 0 : t >= n ? n - 1 : (int)t;
}

/* Re-grids axis a to hold v too: the cell width doubles as few times as
 * it takes for the points' range (and a cell either side for the edges)
 * to fit, and the grid is centred on the points, its origin on an old
 * cell edge. So the grid stays under twice the points' range plus four
 * cells, and the room left on either side at least halves before the
 * points outgrow it again: re-grids come at most a dozen or so per
 * doubling, whichever way the points move. Fills map[i] with the new
 * cell of old cell i (the one holding its centre: every new edge is an
 * old edge). */
static void axis_grow(axis_t *a, double v, int *map)
{
    double lo = fmin(a->vmin, v), hi = fmax(a->vmax, v);
    axis_t old = *a;
    double bw = a->bw;
    for (int k = 0; k < 2100; k++, bw *= 2) {
        if (!(a->n * bw > hi - lo + 2 * old.bw))
            continue;
        double j = floor(((lo + hi) / 2 - a->n * bw / 2 - old.lo) *
                         old.inv);
        a->lo = isfinite(j) ? old.lo + j * old.bw : lo;
        if (a->lo <= lo && hi < a->lo + a->n * bw)
            break;
    }
    a->bw = bw;
    a->inv = 1 / bw;
    for (int i = 0; i < a->n; i++)
        map[i] = cell_of(a, old.lo + (i + 0.5) * old.bw);
}

/* Moves every marked cell after axis `axis` re-gridded (map: see
 * axis_grow). */
static void remap(pt_grid_t *g, int axis, const int *map)
{
    size_t rows = (size_t)g->ax[1].n, words = g->words;
    size_t per = rows * words;
    uint64_t *nb = tq_xcalloc(g->nseries * per, sizeof *nb);
    for (size_t s = 0; s < g->nseries; s++)
        for (size_t j = 0; j < rows; j++)
            for (size_t w = 0; w < words; w++) {
                uint64_t bits = g->bits[s * per + j * words + w];
                while (bits) {
                    int b = __builtin_ctzll(bits);
                    bits &= bits - 1;
                    size_t i = w * 64 + (size_t)b, jj = j;
                    if (axis == 0)
                        i = (size_t)map[i];
                    else
                        jj = (size_t)map[j];
                    nb[s * per + jj * words + i / 64] |=
                        (uint64_t)1 << (i % 64);
                }
            }
    free(g->bits);
    g->bits = nb;
}

void pt_grid_add(pt_grid_t *g, size_t s, double x, double y)
{
    assert(s < g->nseries);
    if (!isfinite(x) || !isfinite(y))
        return;
    double v[2] = {x, y};
    for (int a = 0; a < 2; a++) {
        axis_t *ax = &g->ax[a];
        if (ax->fixed && !(v[a] >= ax->lo && v[a] <= ax->lo + ax->n * ax->bw))
            return;                  /* outside a given view: not drawn */
    }
    for (int a = 0; a < 2; a++) {
        axis_t *ax = &g->ax[a];
        if (!ax->fixed &&
            !(v[a] >= ax->lo && v[a] < ax->lo + ax->n * ax->bw)) {
            int *map = tq_xcalloc((size_t)ax->n, sizeof *map);
            axis_grow(ax, v[a], map);
            remap(g, a, map);
            free(map);
        }
        if (v[a] < ax->vmin)
            ax->vmin = v[a];
        if (v[a] > ax->vmax)
            ax->vmax = v[a];
    }
    int i = cell_of(&g->ax[0], x), j = cell_of(&g->ax[1], y);
    g->bits[s * (size_t)g->ax[1].n * g->words + (size_t)j * g->words +
            (size_t)i / 64] |= (uint64_t)1 << (i % 64);
}

void pt_grid_each(const pt_grid_t *g, size_t s,
                  void (*cell)(void *ud, int i, int j), void *ud)
{
    assert(s < g->nseries && cell);
    size_t rows = (size_t)g->ax[1].n, words = g->words;
    const uint64_t *b = g->bits + s * rows * words;
    for (size_t j = 0; j < rows; j++)
        for (size_t w = 0; w < words; w++) {
            uint64_t bits = b[j * words + w];
            while (bits) {
                int k = __builtin_ctzll(bits);
                bits &= bits - 1;
                cell(ud, (int)(w * 64) + k, (int)j);
            }
        }
}
