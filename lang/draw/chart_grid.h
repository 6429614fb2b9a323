/*
 * This file declares the occupancy grid of a scatter plot, or of a line
 * whose x goes back and forth (chart_grid.c): which cells of a fixed
 * number of cells across and down hold a point of each series, or are
 * crossed by a segment's centre line, read in one pass before the
 * picture's view is known. Along an axis whose view is given
 * (xlim/ylim) the grid is that view and never moves; along the others it
 * spans the points seen so far and, when a point falls outside, its cells
 * double in width (as often as needed) from an origin on an old cell
 * edge, each old cell falling whole into one new cell: the grid never
 * spans more than about twice the points' range, so its cells stay a
 * fraction of a pixel once the view is laid out. Values are in axis units
 * (the caller takes log10 on a log axis). Memory: one bit per cell and
 * series, and (once a segment is marked) a count per 64 x 64 and per
 * 8 x 8 cells.
 */
#ifndef TQ_CHART_GRID_H
#define TQ_CHART_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pt_grid pt_grid_t;

/* One axis of a new grid: n cells (> 0) over [lo, hi] (the points' range
 * so far: lo <= hi, finite), fixed when the range is the view's and must
 * not grow (points outside it are then dropped). */
typedef struct pt_grid_axis {
    int n;
    double lo, hi;
    bool fixed;
} pt_grid_axis_t;

/* A grid for `nseries` series (> 0); the caller owns it and frees it with
 * pt_grid_free. */
pt_grid_t *pt_grid_new(size_t nseries, pt_grid_axis_t x, pt_grid_axis_t y);

/* Marks the cell of (x, y) for series s; non-finite values are ignored. */
void pt_grid_add(pt_grid_t *g, size_t s, double x, double y);

/* Marks the cells that the segment from (x0, y0) to (x1, y1) passes
 * through for series s (its ends' cells included), growing the axes that
 * are not fixed to hold both ends; the parts outside a fixed axis are
 * dropped. Non-finite ends are ignored. */
void pt_grid_segment(pt_grid_t *g, size_t s, double x0, double y0,
                     double x1, double y1);

/* Cells across (axis 0) or down (axis 1). */
int pt_grid_cells(const pt_grid_t *g, int axis);

/* The centre of cell i along `axis`, in axis units. */
double pt_grid_centre(const pt_grid_t *g, int axis, int i);

/* Calls `cell` with the indexes (across, down) of every marked cell of
 * series s. */
void pt_grid_each(const pt_grid_t *g, size_t s,
                  void (*cell)(void *ud, int i, int j), void *ud);

/* Calls `run` with every run of marked cells of series s along a row:
 * cells i0..i1 across (i0 <= i1) of row j. */
void pt_grid_each_run(const pt_grid_t *g, size_t s,
                      void (*run)(void *ud, int i0, int i1, int j), void *ud);

/* Frees *g (NULL allowed) and sets it to NULL. */
void pt_grid_free(pt_grid_t **g);

#endif
