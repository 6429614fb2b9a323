/*
 * This file rasterises thick line segments into a coverage mask
 * (chart_mask.h). A segment is swept by a disc of radius h (a round
 * join, as cairo strokes a line chart): in each pixel column it covers, in
 * y, the centre line's span over the column widened by h across the line,
 * joined with the end discs' chords, and in x the part of the column
 * inside [x0 - h, x1 + h]; a pixel's coverage is the covered fraction of its
 * area, and the mask keeps the largest coverage per pixel (the union, as
 * one stroke). The mask is cut into tiles counting their fully covered
 * pixels, coarse ones and fine ones inside them: a segment walks the
 * columns a coarse tile column at a time and skips any stretch whose
 * tiles are all full, then the same with the fine tiles; inside a fine
 * tile that is not full, each column skips rows inside its own run of
 * full pixels (the
 * longest one known, grown as fills touch it). That is what makes a
 * dense scribble of a million segments cheap: its cost follows the
 * segments' number, and their length only where the plot is not yet
 * covered.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/util.h"
#include "draw/chart_mask.h"

/* Two grids of tiles, each counting its fully covered pixels: wide
 * coarse tiles (a long segment crosses few of them, and checking a tile
 * is what a segment over a covered plot costs) and small fine ones (where
 * the plot is not yet covered, a segment fills only the columns of fine
 * tiles that are not full). Sizes are powers of two. */
enum { COARSE_W = 6, COARSE_H = 4, FINE_W = 3, FINE_H = 3 };  /* shifts */

typedef struct tiles {
    int sw, sh;                 /* log2 of a tile's width and height */
    int tw, th;                 /* tiles across and down */
    uint16_t *full;             /* per tile: pixels at 255 */
    uint16_t *area;             /* per tile: its pixels */
} tiles_t;

struct seg_mask {
    cairo_surface_t *surf;      /* CAIRO_FORMAT_A8, w x h */
    unsigned char *px;
    int w, h, stride;
    double half;
    tiles_t coarse, fine;
    int *fa, *fb;               /* per column: rows fa..fb are all 255
                                   (fa > fb: none known) */
};

static void tiles_init(tiles_t *t, int w, int h, int sw, int sh)
{
    t->sw = sw;
    t->sh = sh;
    t->tw = (w + (1 << sw) - 1) >> sw;
    t->th = (h + (1 << sh) - 1) >> sh;
    t->full = tq_xcalloc((size_t)t->tw * t->th, sizeof *t->full);
    t->area = tq_xcalloc((size_t)t->tw * t->th, sizeof *t->area);
    for (int j = 0; j < t->th; j++)
        for (int i = 0; i < t->tw; i++) {
            int cw = w - (i << sw) < (1 << sw) ? w - (i << sw) : 1 << sw;
            int ch = h - (j << sh) < (1 << sh) ? h - (j << sh) : 1 << sh;
            t->area[(size_t)j * t->tw + i] = (uint16_t)(cw * ch);
        }
}

seg_mask_t *seg_mask_new(int w, int h, double half)
{
    assert(w > 0 && h > 0 && half >= 0);
    seg_mask_t *m = tq_xcalloc(1, sizeof *m);
    m->surf = cairo_image_surface_create(CAIRO_FORMAT_A8, w, h);
    cairo_surface_flush(m->surf);
    m->px = cairo_image_surface_get_data(m->surf);
    m->stride = cairo_image_surface_get_stride(m->surf);
    m->w = w;
    m->h = h;
    m->half = half;
    tiles_init(&m->coarse, w, h, COARSE_W, COARSE_H);
    tiles_init(&m->fine, w, h, FINE_W, FINE_H);
    m->fa = tq_xcalloc((size_t)w, sizeof *m->fa);
    m->fb = tq_xcalloc((size_t)w, sizeof *m->fb);
    for (int c = 0; c < w; c++) {
        m->fa[c] = 1;
        m->fb[c] = 0;
    }
    return m;
}

void seg_mask_destroy(seg_mask_t **mp)
{
    seg_mask_t *m = *mp;
    if (!m)
        return;
    cairo_surface_destroy(m->surf);
    free(m->coarse.full);
    free(m->coarse.area);
    free(m->fine.full);
    free(m->fine.area);
    free(m->fa);
    free(m->fb);
    free(m);
    *mp = NULL;
}

cairo_surface_t *seg_mask_surface(seg_mask_t *m)
{
    cairo_surface_mark_dirty(m->surf);
    return m->surf;
}

/* A segment being drawn, x0 <= x1, in mask pixels. */
typedef struct seg {
    double x0, y0, x1, y1, slope, h;
    double ymax;                /* the mask's height + 1 */
    double hk;                  /* h * sqrt(1 + slope^2) */
    double ylo, yhi;            /* the segment's rows widened by h */
    bool vertical;
} seg_t;

/* The centre line's y span over x in [xa, xb] (clamped to the segment)
 * widened by h: the rows a square brush of half width h covers in the
 * columns [xa + h, xb - h], a superset of what column_band gives, for
 * checking tiles. */
static inline void band(const seg_t *s, double xa, double xb, double *lo,
                        double *hi)
{
    if (xa < s->x0)
        xa = s->x0;
    if (xb > s->x1)
        xb = s->x1;
    double ya, yb;
    if (s->vertical) {
        ya = s->y0;
        yb = s->y1;
    } else {
        ya = s->y0 + s->slope * (xa - s->x0);
        yb = s->y0 + s->slope * (xb - s->x0);
    }
    *lo = (ya < yb ? ya : yb) - s->h;
    *hi = (ya < yb ? yb : ya) + s->h;
    if (*lo < -1)               /* far outside: kept in int's range */
        *lo = -1;
    if (*hi > s->ymax)
        *hi = s->ymax;
}

/* The rows that the segment swept by a disc of radius h covers in
 * column [c, c + 1): the centre line's span over the column widened by h
 * across the line (h * sqrt(1 + slope^2) in y, but never past the
 * segment's own rows widened by h), joined with the discs at its ends;
 * false when it covers none. */
static inline bool column_band(const seg_t *s, int c, double *lo,
                               double *hi)
{
    double l = INFINITY, u = -INFINITY;
    double xa = c > s->x0 ? c : s->x0, xb = c + 1 < s->x1 ? c + 1 : s->x1;
    if (xa <= xb) {
        double ya = s->vertical ? s->y0 : s->y0 + s->slope * (xa - s->x0);
        double yb = s->vertical ? s->y1 : s->y0 + s->slope * (xb - s->x0);
        l = (ya < yb ? ya : yb) - s->hk;
        u = (ya < yb ? yb : ya) + s->hk;
        if (l < s->ylo)
            l = s->ylo;
        if (u > s->yhi)
            u = s->yhi;
    }
    for (int e = 0; e < 2; e++) {
        double ex = e ? s->x1 : s->x0, ey = e ? s->y1 : s->y0;
        double dx = ex < c ? c - ex : ex > c + 1 ? ex - (c + 1) : 0;
        if (dx >= s->h)
            continue;
        double r = sqrt(s->h * s->h - dx * dx);
        if (ey - r < l)
            l = ey - r;
        if (ey + r > u)
            u = ey + r;
    }
    if (!(l < u))
        return false;
    *lo = l < -1 ? -1 : l;
    *hi = u > s->ymax ? s->ymax : u;
    return true;
}

/* True when every tile of tile column tc between rows lo and hi (pixels,
 * lo >= -1, hi <= the mask's height + 1) is full. */
static bool tiles_full(const tiles_t *t, int h, int tc, double lo, double hi)
{
    int r0 = lo < 0 ? 0 : (int)lo >> t->sh;
    int r1 = hi >= h ? t->th - 1 : (int)hi >> t->sh;
    for (int r = r0; r <= r1; r++) {
        size_t i = (size_t)r * t->tw + tc;
        if (t->full[i] != t->area[i])
            return false;
    }
    return true;
}

/* Column c: coverage fx (0..1] of the column's width, rows lo..hi. */
static void fill_column(seg_mask_t *m, int c, double fx, double lo,
                        double hi)
{
    if (hi <= 0 || lo >= m->h)
        return;
    int r0 = lo < 0 ? 0 : (int)lo;
    int r1 = hi >= m->h ? m->h - 1 : (int)ceil(hi) - 1;
    if (r0 >= m->fa[c] && r1 <= m->fb[c])
        return;                       /* every pixel already full */
    int q0 = -1, q1 = -2;             /* the rows this fill makes full */
    unsigned char *p = m->px + (size_t)r0 * m->stride + c;
    uint16_t *cfull = m->coarse.full + (c >> COARSE_W);
    uint16_t *ffull = m->fine.full + (c >> FINE_W);
    for (int r = r0; r <= r1; r++, p += m->stride) {
        double top = r > lo ? r : lo, bot = r + 1 < hi ? r + 1 : hi;
        double cov = (bot - top) * fx;
        unsigned v = cov >= 1 ? 255 : (unsigned)(cov * 255 + 0.5);
        if (v == 255) {
            if (q0 < 0)
                q0 = r;
            q1 = r;
        }
        if (v > *p) {
            if (v == 255) {
                cfull[(size_t)(r >> COARSE_H) * m->coarse.tw]++;
                ffull[(size_t)(r >> FINE_H) * m->fine.tw]++;
            }
            *p = (unsigned char)v;
        }
    }
    if (q0 < 0)
        return;
    /* the column's run of full pixels: joined when this one touches it,
     * else replaced when this one is longer; then grown over full
     * neighbours */
    int a = m->fa[c], b = m->fb[c];
    if (a <= b && q0 <= b + 1 && q1 >= a - 1) {
        a = q0 < a ? q0 : a;
        b = q1 > b ? q1 : b;
    } else if (a > b || q1 - q0 > b - a) {
        a = q0;
        b = q1;
    } else {
        return;
    }
    const unsigned char *col = m->px + c;
    while (a > 0 && col[(size_t)(a - 1) * m->stride] == 255)
        a--;
    while (b + 1 < m->h && col[(size_t)(b + 1) * m->stride] == 255)
        b++;
    m->fa[c] = a;
    m->fb[c] = b;
}

void seg_mask_line(seg_mask_t *m, double x0, double y0, double x1,
                   double y1)
{
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    if (x1 < x0) {
        double t = x0;
        x0 = x1;
        x1 = t;
        t = y0;
        y0 = y1;
        y1 = t;
    }
    double h = m->half;
    seg_t s = {.x0 = x0, .y0 = y0, .x1 = x1, .y1 = y1, .h = h,
               .ymax = m->h + 1.0,
               .vertical = x1 - x0 < 1e-9};
    if (!s.vertical)
        s.slope = (y1 - y0) / (x1 - x0);
    s.hk = s.vertical ? h : h * sqrt(1 + s.slope * s.slope);
    s.ylo = (y0 < y1 ? y0 : y1) - h;
    s.yhi = (y0 < y1 ? y1 : y0) + h;
    if ((y0 < y1 ? y1 : y0) + h <= 0 || (y0 < y1 ? y0 : y1) - h >= m->h)
        return;
    double left = x0 - h, right = x1 + h;
    if (right <= 0 || left >= m->w)
        return;
    int c0 = left < 0 ? 0 : (int)left;
    int c1 = right >= m->w ? m->w - 1 : (int)ceil(right) - 1;
    for (int g = c0; g <= c1;) {
        int tc = g >> COARSE_W;
        int gend = ((tc + 1) << COARSE_W) - 1;   /* the tile's last column */
        if (gend > c1)
            gend = c1;
        double lo, hi;
        band(&s, g - h, gend + 1 + h, &lo, &hi);
        if (!tiles_full(&m->coarse, m->h, tc, lo, hi)) {
            for (int f = g; f <= gend;) {
                int fc = f >> FINE_W;
                int fend = ((fc + 1) << FINE_W) - 1;
                if (fend > gend)
                    fend = gend;
                band(&s, f - h, fend + 1 + h, &lo, &hi);
                if (!tiles_full(&m->fine, m->h, fc, lo, hi))
                    for (int c = f; c <= fend; c++) {
                        double fx = (c + 1 < right ? c + 1 : right) -
                                    (c > left ? c : left);
                        if (column_band(&s, c, &lo, &hi))
                            fill_column(m, c, fx, lo, hi);
                    }
                f = fend + 1;
            }
        }
        g = gend + 1;
    }
}
