/*
 * This file tests a scatter's occupancy grid (draw/chart_grid.h): fed
 * points that move up, down, outwards both ways at once, or jump about,
 * every point's cell is marked and no other, the grid spans under twice
 * the points' range plus four cells (so its cells stay a fraction of a
 * pixel), and an axis fixed to a given view neither moves nor marks what
 * lies outside it. Segments (a line's trace) that jump about and make the
 * grid grow mark a connected line of cells along each of them, none
 * further than a cell from one, and the rows' runs are the marked cells.
 */
#include <math.h>
#include <stdlib.h>

#include "draw/chart_grid.h"
#include "tap.h"

enum { NX = 256, NY = 128, NPTS = 20000 };

typedef struct marks {
    unsigned char cell[NY][NX];
    size_t n;
} marks_t;

static void mark(void *ud, int i, int j)
{
    marks_t *m = ud;
    m->cell[j][i] = 1;
    m->n++;
}

/* Where v falls along `axis` in cells, from the grid's centres. */
static double cell_at(const pt_grid_t *g, int axis, double v)
{
    double c0 = pt_grid_centre(g, axis, 0);
    double bw = pt_grid_centre(g, axis, 1) - c0;
    return (v - (c0 - bw / 2)) / bw;
}

static int cell_of(const pt_grid_t *g, int axis, double v)
{
    return (int)floor(cell_at(g, axis, v));
}

/* The cells v may be in along `axis` (two when it is on an edge, within
 * rounding): *first and *last. */
static void cells_of(const pt_grid_t *g, int axis, double v, int *first,
                     int *last)
{
    double t = cell_at(g, axis, v), c = floor(t);
    *first = (int)c - (t - c < 1e-6);
    *last = (int)c + (t - c > 1 - 1e-6);
}

/* Feeds `n` points of pattern `kind` and checks the grid. */
static void pattern(const char *name, int kind)
{
    static double xs[NPTS], ys[NPTS];
    for (int k = 0; k < NPTS; k++) {
        double t = k;
        switch (kind) {
        case 0: xs[k] = t; break;                               /* up */
        case 1: xs[k] = -t * 0.37; break;                       /* down */
        case 2: xs[k] = k % 2 ? -t : t * 3; break;              /* outwards */
        default: xs[k] = (double)((k * 7919L) % 10007) - 5000; /* about */
        }
        ys[k] = sin(t / 50) * 1e6 + t;
    }
    double lo = xs[0], hi = xs[0], ylo = ys[0], yhi = ys[0];
    int start = 100;
    for (int k = 0; k < start; k++) {
        lo = fmin(lo, xs[k]);
        hi = fmax(hi, xs[k]);
        ylo = fmin(ylo, ys[k]);
        yhi = fmax(yhi, ys[k]);
    }
    pt_grid_t *g = pt_grid_new(1, (pt_grid_axis_t){NX, lo, hi, false},
                               (pt_grid_axis_t){NY, ylo, yhi, false});
    for (int k = 0; k < NPTS; k++) {
        pt_grid_add(g, 0, xs[k], ys[k]);
        lo = fmin(lo, xs[k]);
        hi = fmax(hi, xs[k]);
        ylo = fmin(ylo, ys[k]);
        yhi = fmax(yhi, ys[k]);
    }
    static marks_t m;
    memset(&m, 0, sizeof m);
    pt_grid_each(g, 0, mark, &m);
    static unsigned char want[NY][NX];
    memset(want, 0, sizeof want);
    size_t missing = 0, outside = 0;
    for (int k = 0; k < NPTS; k++) {
        int i0, i1, j0, j1;
        cells_of(g, 0, xs[k], &i0, &i1);
        cells_of(g, 1, ys[k], &j0, &j1);
        bool found = false;
        for (int j = j0 < 0 ? 0 : j0; j <= j1 && j < NY; j++)
            for (int i = i0 < 0 ? 0 : i0; i <= i1 && i < NX; i++) {
                want[j][i] = 1;
                found |= m.cell[j][i];
            }
        outside += i1 < 0 || i0 >= NX || j1 < 0 || j0 >= NY;
        missing += !found;
    }
    size_t extra = 0;
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++)
            extra += m.cell[j][i] && !want[j][i];
    double bwx = pt_grid_centre(g, 0, 1) - pt_grid_centre(g, 0, 0);
    double bwy = pt_grid_centre(g, 1, 1) - pt_grid_centre(g, 1, 0);
    printf("# %s: %zu cells marked, %zu missing, %zu extra, %zu outside; "
           "grid %.4g x %.4g of range %.4g x %.4g\n", name, m.n, missing,
           extra, outside, NX * bwx, NY * bwy, hi - lo, yhi - ylo);
    char what[128];
    snprintf(what, sizeof what, "%s: each point's cell marked, no other",
             name);
    ok(m.n > 0 && missing == 0 && extra == 0 && outside == 0, what);
    snprintf(what, sizeof what, "%s: the grid under twice the range plus "
             "four cells", name);
    ok(NX * bwx < 2 * (hi - lo) + 4 * bwx &&
       NY * bwy < 2 * (yhi - ylo) + 4 * bwy, what);
    pt_grid_free(&g);
    ok(g == NULL, "pt_grid_free clears the pointer");
}

static void run_mark(void *ud, int i0, int i1, int j)
{
    marks_t *m = ud;
    for (int i = i0; i <= i1; i++) {
        m->cell[j][i] += 1;
        m->n++;
    }
}

/* Distance from (x, y) to the segment a-b, all in cells. */
static double seg_dist(double x, double y, const double a[2],
                       const double b[2])
{
    double dx = b[0] - a[0], dy = b[1] - a[1], l = dx * dx + dy * dy;
    double t = l > 0 ? ((x - a[0]) * dx + (y - a[1]) * dy) / l : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(x - a[0] - t * dx, y - a[1] - t * dy);
}

enum { NSEG = 300 };

static void segments(void)
{
    static double seg[NSEG][4];
    unsigned r = 12345;
    pt_grid_t *g = pt_grid_new(1, (pt_grid_axis_t){NX, 0, 100, false},
                               (pt_grid_axis_t){NY, 0, 50, false});
    for (int k = 0; k < NSEG; k++) {
        for (int c = 0; c < 4; c++) {
            r = r * 1103515245u + 12345u;
            double u = (double)(r >> 8 & 0xffff) / 65535;
            /* later segments reach further out: the grid grows */
            double spread = 1 + k / 100.0;
            seg[k][c] = c % 2 ? (u - 0.5) * 50 * spread + 25
                              : (u - 0.5) * 100 * spread + 50;
        }
        pt_grid_segment(g, 0, seg[k][0], seg[k][1], seg[k][2], seg[k][3]);
    }
    pt_grid_segment(g, 0, seg[7][0], seg[7][1], seg[7][2], seg[7][3]);
    static marks_t each, runs;
    memset(&each, 0, sizeof each);
    memset(&runs, 0, sizeof runs);
    pt_grid_each(g, 0, mark, &each);
    pt_grid_each_run(g, 0, run_mark, &runs);
    bool same = each.n == runs.n;
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++)
            same &= each.cell[j][i] == runs.cell[j][i];
    ok(same && each.n > 1000, "segments: the rows' runs are the marked "
       "cells, each once");
    /* in cells: each segment, and each marked cell's centre */
    double c0x = pt_grid_centre(g, 0, 0), c0y = pt_grid_centre(g, 1, 0);
    double bwx = pt_grid_centre(g, 0, 1) - c0x;
    double bwy = pt_grid_centre(g, 1, 1) - c0y;
    static double cs[NSEG][2][2];
    for (int k = 0; k < NSEG; k++)
        for (int e = 0; e < 2; e++) {
            cs[k][e][0] = (seg[k][2 * e] - c0x) / bwx;
            cs[k][e][1] = (seg[k][2 * e + 1] - c0y) / bwy;
        }
    size_t far = 0, gaps = 0;
    for (int j = 0; j < NY; j++)
        for (int i = 0; i < NX; i++) {
            if (!each.cell[j][i])
                continue;
            double best = INFINITY;
            for (int k = 0; k < NSEG; k++)
                best = fmin(best, seg_dist(i, j, cs[k][0], cs[k][1]));
            far += best > 1;
        }
    for (int k = 0; k < NSEG; k++)
        for (int t = 0; t <= 1000; t++) {
            double x = cs[k][0][0] + (cs[k][1][0] - cs[k][0][0]) * t / 1000;
            double y = cs[k][0][1] + (cs[k][1][1] - cs[k][0][1]) * t / 1000;
            int i = (int)floor(x + 0.5), j = (int)floor(y + 0.5);
            bool near = false;
            for (int b = j - 1; b <= j + 1; b++)
                for (int a = i - 1; a <= i + 1; a++)
                    near |= a >= 0 && a < NX && b >= 0 && b < NY &&
                            each.cell[b][a];
            gaps += !near;
        }
    printf("# segments: %zu cells marked, %zu further than a cell from "
           "every segment, %zu points of a segment with no marked cell "
           "around; grid %.4g x %.4g\n", each.n, far, gaps, NX * bwx,
           NY * bwy);
    ok(far == 0, "segments: no marked cell further than a cell from one");
    ok(gaps == 0, "segments: every point of each has a marked cell next "
       "to it");
    pt_grid_free(&g);
}

int main(void)
{
    segments();
    pattern("up", 0);
    pattern("down", 1);
    pattern("outwards both ways", 2);
    pattern("jumping about", 3);

    /* x fixed to the view [0, 10]: the grid stays, points outside it
     * are dropped; y grows. */
    pt_grid_t *g = pt_grid_new(2, (pt_grid_axis_t){10, 0, 10, true},
                               (pt_grid_axis_t){10, 0, 1, false});
    pt_grid_add(g, 0, 0.5, 0.5);
    pt_grid_add(g, 0, 25, 0.5);         /* outside the view */
    pt_grid_add(g, 1, 9.5, 100);        /* y grows */
    pt_grid_add(g, 1, NAN, 1);          /* not a point */
    static marks_t m0, m1;
    pt_grid_each(g, 0, mark, &m0);
    pt_grid_each(g, 1, mark, &m1);
    ok(pt_grid_centre(g, 0, 0) == 0.5 && pt_grid_centre(g, 0, 9) == 9.5,
       "fixed axis: its cells are the view's tenths");
    ok(m0.n == 1 && m0.cell[cell_of(g, 1, 0.5)][0] &&
       m1.n == 1 && m1.cell[cell_of(g, 1, 100)][9],
       "fixed axis: a point outside the view is dropped, one per series");
    ok(pt_grid_cells(g, 0) == 10 && pt_grid_cells(g, 1) == 10,
       "cells across and down");
    pt_grid_free(&g);
    return done_testing();
}
