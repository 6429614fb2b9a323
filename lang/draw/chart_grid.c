/*
 * This file keeps the occupancy grid of a scatter plot or of a line that
 * goes back and forth (chart_grid.h): a bitmap per series, rows of cells
 * down, cells across, and per axis its origin, cell width and the range
 * of the points marked. A point outside a growing axis makes the axis
 * re-grid (axis_grow): its edges stay on old cell edges while its cells
 * double in width, and every marked cell moves to the new cell that holds
 * it whole, so no point is ever placed further than its current cell from
 * where it is. A segment marks every cell its centre line passes through,
 * a row's span of them at a time (word-wide ORs); tiles of TILE x TILE
 * cells, and fine ones of 8 x 8, count their marked cells, and a segment
 * skips the bands of rows whose tiles it crosses are all marked, so a
 * million segments over a covered plot cost about their number, not
 * their length. A segment between the same cells as one of the last few
 * thousand (a line going round the same figure) is skipped: it would
 * mark the same cells within one cell.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "draw/chart_grid.h"

typedef struct axis {
    int n;
    double lo, bw, inv;       /* origin, cell width, 1 / cell width */
    double vmin, vmax;        /* the marked points' range */
    bool fixed;
} axis_t;

/* A tile: one 64-bit word across, TILE rows down; a fine tile: a byte of
 * the word across, 8 rows down. */
enum { TILE_SHIFT = 6, TILE = 1 << TILE_SHIFT, SEEN = 4096 };

/* A segment recently marked, by the cells of its ends. */
typedef struct seen {
    int i0, j0, i1, j1;
    unsigned gen;             /* the grid's generation + 1; 0: empty */
    unsigned s;
} seen_t;

struct pt_grid {
    size_t nseries;
    axis_t ax[2];
    size_t words;             /* 64-bit words per row */
    uint64_t *bits;           /* nseries * n down * words */
    uint64_t *spare;          /* as many, for re-grids (NULL until one) */
    size_t tiles;             /* per series: tile rows * words */
    uint16_t *marked;         /* nseries * tiles: marked cells per tile */
    uint16_t *area;           /* tiles: cells per tile */
    size_t fine_row, fines;   /* fine tiles per row of them; per series */
    uint8_t *fine;            /* nseries * fines: marked cells per fine
                                 tile */
    bool counted;             /* marked and fine kept (from the first
                                 segment on; points alone need neither) */
    unsigned gen;             /* re-grids so far */
    seen_t *seen;             /* SEEN segments, by a hash of their cells */
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
    size_t trows = ((size_t)y.n + TILE - 1) / TILE;
    g->tiles = trows * g->words;
    g->marked = tq_xcalloc(nseries * g->tiles, sizeof *g->marked);
    g->area = tq_xcalloc(g->tiles, sizeof *g->area);
    g->fine_row = g->words * 8;
    g->fines = ((size_t)y.n + 7) / 8 * g->fine_row;
    g->fine = tq_xcalloc(nseries * g->fines, 1);
    for (size_t r = 0; r < trows; r++)
        for (size_t w = 0; w < g->words; w++) {
            size_t across = (size_t)x.n - w * 64;
            size_t down = (size_t)y.n - r * TILE;
            g->area[r * g->words + w] =
                (uint16_t)((across < 64 ? across : 64) *
                           (down < TILE ? down : TILE));
        }
    return g;
}

void pt_grid_free(pt_grid_t **gp)
{
    pt_grid_t *g = *gp;
    if (!g)
        return;
    free(g->bits);
    free(g->spare);
    free(g->marked);
    free(g->area);
    free(g->fine);
    free(g->seen);
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

static void count_tiles(pt_grid_t *g);

/* Moves every marked cell after axis `axis` re-gridded (map: see
 * axis_grow). */
static void remap(pt_grid_t *g, int axis, const int *map)
{
    size_t rows = (size_t)g->ax[1].n, words = g->words;
    size_t per = rows * words;
    if (!g->spare)
        g->spare = tq_xcalloc(g->nseries * per, sizeof *g->spare);
    uint64_t *nb = g->spare;
    memset(nb, 0, g->nseries * per * sizeof *nb);
    for (size_t s = 0; s < g->nseries; s++)
        for (size_t j = 0; j < rows; j++) {
            const uint64_t *row = g->bits + s * per + j * words;
            if (axis == 1) {            /* the row moves whole */
                uint64_t *to = nb + s * per + (size_t)map[j] * words;
                for (size_t w = 0; w < words; w++)
                    to[w] |= row[w];
                continue;
            }
            uint64_t *to = nb + s * per + j * words;
            for (size_t w = 0; w < words; w++) {
                uint64_t bits = row[w];
                while (bits) {
                    int b = __builtin_ctzll(bits);
                    bits &= bits - 1;
                    size_t i = (size_t)map[w * 64 + (size_t)b];
                    to[i / 64] |= (uint64_t)1 << (i % 64);
                }
            }
        }
    g->spare = g->bits;
    g->bits = nb;
    g->gen++;
    if (g->counted)
        count_tiles(g);
}

/* Counts every tile's and fine tile's marked cells afresh. */
static void count_tiles(pt_grid_t *g)
{
    size_t rows = (size_t)g->ax[1].n, words = g->words;
    size_t per = rows * words;
    static uint8_t ones[256];
    if (!ones[255])
        for (int b = 0; b < 256; b++)
            ones[b] = (uint8_t)__builtin_popcount((unsigned)b);
    g->counted = true;
    memset(g->marked, 0, g->nseries * g->tiles * sizeof *g->marked);
    memset(g->fine, 0, g->nseries * g->fines);
    for (size_t s = 0; s < g->nseries; s++)
        for (size_t j = 0; j < rows; j++)
            for (size_t w = 0; w < words; w++) {
                uint64_t b = g->bits[s * per + j * words + w];
                if (!b)
                    continue;
                unsigned all = 0;
                for (int k = 0; k < 8; k++) {
                    unsigned c = ones[b >> (8 * k) & 255];
                    g->fine[s * g->fines + (j >> 3) * g->fine_row + w * 8 +
                            (size_t)k] += (uint8_t)c;
                    all += c;
                }
                g->marked[s * g->tiles + (j >> TILE_SHIFT) * words + w] +=
                    (uint16_t)all;
            }
}

/* Moves every marked cell by k cells along `axis` after the axis moved
 * by whole cells (no marked cell falls outside: the grid holds the
 * points' range): rows move whole, and a row's bits by k, a word at a
 * time. */
static void shift(pt_grid_t *g, int axis, int k)
{
    size_t rows = (size_t)g->ax[1].n, words = g->words;
    size_t per = rows * words;
    if (!g->spare)
        g->spare = tq_xcalloc(g->nseries * per, sizeof *g->spare);
    uint64_t *nb = g->spare;
    if (axis == 1)                  /* (along x every word is written) */
        memset(nb, 0, g->nseries * per * sizeof *nb);
    long q = -k >= 0 ? -k / 64 : -((k + 63) / 64);    /* floor(-k / 64) */
    int sb = (int)(-k - q * 64);
    for (size_t s = 0; s < g->nseries; s++)
        for (size_t j = 0; j < rows; j++) {
            const uint64_t *row = g->bits + s * per + j * words;
            if (axis == 1) {
                long jj = (long)j + k;
                if (jj >= 0 && jj < (long)rows)
                    memcpy(nb + s * per + (size_t)jj * words, row,
                           words * sizeof *row);
                continue;
            }
            uint64_t *to = nb + s * per + j * words;
            /* bit b of `to` is bit b - k of row: word w takes the top of
             * word w + q from bit sb on and the bottom of word w + q + 1 */
            for (size_t w = 0; w < words; w++) {
                long sw = (long)w + q;
                uint64_t lo = sw >= 0 && sw < (long)words ? row[sw] : 0;
                uint64_t hi = sw + 1 >= 0 && sw + 1 < (long)words
                                  ? row[sw + 1] : 0;
                to[w] = sb ? lo >> sb | hi << (64 - sb) : lo;
            }
        }
    g->spare = g->bits;
    g->bits = nb;
    g->gen++;
    if (g->counted)
        count_tiles(g);
}

/* Grows axis a (not fixed) to hold v. */
static void grow(pt_grid_t *g, int a, double v)
{
    axis_t *ax = &g->ax[a];
    if (!(v >= ax->lo && v < ax->lo + ax->n * ax->bw)) {
        int *map = tq_xcalloc((size_t)ax->n, sizeof *map);
        double old_lo = ax->lo, old_bw = ax->bw;
        axis_grow(ax, v, map);
        if (ax->bw == old_bw)          /* moved by whole cells */
            shift(g, a, (int)llround((old_lo - ax->lo) * ax->inv));
        else
            remap(g, a, map);
        free(map);
    }
    if (v < ax->vmin)
        ax->vmin = v;
    if (v > ax->vmax)
        ax->vmax = v;
}

/* Marks cells c0..c1 (inside the grid) of row j of series s. */
static void mark_span(pt_grid_t *g, size_t s, int j, int c0, int c1)
{
    assert(c0 <= c1 && c0 >= 0 && c1 < g->ax[0].n && j >= 0 &&
           j < g->ax[1].n);
    uint64_t *row = g->bits + (s * (size_t)g->ax[1].n + (size_t)j) * g->words;
    uint16_t *marked = g->marked + s * g->tiles +
                       (size_t)(j >> TILE_SHIFT) * g->words;
    for (int w = c0 >> 6; w <= c1 >> 6; w++) {
        if (marked[w] == g->area[(size_t)(j >> TILE_SHIFT) * g->words + w])
            continue;                       /* the tile is all marked */
        int lo = c0 > w * 64 ? c0 - w * 64 : 0;
        int hi = c1 < w * 64 + 63 ? c1 - w * 64 : 63;
        uint64_t m = (~(uint64_t)0 << lo) & (~(uint64_t)0 >> (63 - hi));
        uint64_t add = m & ~row[w];
        if (add) {
            row[w] |= add;
            marked[w] += (uint16_t)__builtin_popcountll(add);
            uint8_t *fine = g->fine + s * g->fines +
                            (size_t)(j >> 3) * g->fine_row + (size_t)w * 8;
            while (add) {
                int k = __builtin_ctzll(add) >> 3;
                fine[k] += (uint8_t)__builtin_popcountll(add >> (8 * k) &
                                                         255);
                add &= ~((uint64_t)255 << (8 * k));
            }
        }
    }
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
    for (int a = 0; a < 2; a++)
        if (!g->ax[a].fixed)
            grow(g, a, v[a]);
    int i = cell_of(&g->ax[0], x), j = cell_of(&g->ax[1], y);
    uint64_t *w = g->bits + (s * (size_t)g->ax[1].n + (size_t)j) * g->words +
                  (size_t)i / 64;
    uint64_t bit = (uint64_t)1 << (i % 64);
    if (!(*w & bit)) {
        *w |= bit;
        if (!g->counted)
            return;
        g->marked[s * g->tiles + (size_t)(j >> TILE_SHIFT) * g->words +
                  (size_t)i / 64]++;
        g->fine[s * g->fines + (size_t)(j >> 3) * g->fine_row +
                (size_t)i / 8]++;
    }
}

/* True when every tile of tile row r between cells c0 and c1 of series
 * s is all marked. */
static bool tiles_marked(const pt_grid_t *g, size_t s, int r, int c0, int c1)
{
    const uint16_t *marked = g->marked + s * g->tiles + (size_t)r * g->words;
    const uint16_t *area = g->area + (size_t)r * g->words;
    for (int w = c0 >> 6; w <= c1 >> 6; w++)
        if (marked[w] != area[w])
            return false;
    return true;
}

/* True when every fine tile of fine row r between cells c0 and c1 of
 * series s is all marked. */
static bool fines_marked(const pt_grid_t *g, size_t s, int r, int c0, int c1)
{
    const uint8_t *fine = g->fine + s * g->fines + (size_t)r * g->fine_row;
    int down = g->ax[1].n - r * 8 < 8 ? g->ax[1].n - r * 8 : 8;
    for (int f = c0 >> 3; f <= c1 >> 3; f++) {
        int across = g->ax[0].n - f * 8 < 8 ? g->ax[0].n - f * 8 : 8;
        if (fine[f] != across * down)
            return false;
    }
    return true;
}

/* True when a segment of series s between the cells (i0, j0) and
 * (i1, j1) was marked lately (since the last re-grid); else remembers
 * this one. */
static bool seen_lately(pt_grid_t *g, size_t s, int i0, int j0, int i1,
                        int j1)
{
    if (!g->seen)
        g->seen = tq_xcalloc(SEEN, sizeof *g->seen);
    if (i0 > i1 || (i0 == i1 && j0 > j1)) {
        int t = i0;
        i0 = i1;
        i1 = t;
        t = j0;
        j0 = j1;
        j1 = t;
    }
    uint64_t h = ((uint64_t)(unsigned)i0 * 0x9E3779B97F4A7C15u) ^
                 ((uint64_t)(unsigned)j0 * 0xC2B2AE3D27D4EB4Fu) ^
                 ((uint64_t)(unsigned)i1 * 0x165667B19E3779F9u) ^
                 ((uint64_t)(unsigned)j1 * 0x27D4EB2F165667C5u) ^
                 ((uint64_t)s * 0x94D049BB133111EBu);
    seen_t *e = &g->seen[(h >> 40) % SEEN];
    seen_t now = {i0, j0, i1, j1, g->gen + 1, (unsigned)s};
    if (e->gen == now.gen && e->s == now.s && e->i0 == i0 && e->j0 == j0 &&
        e->i1 == i1 && e->j1 == j1)
        return true;
    *e = now;
    return false;
}

/* The cells across, c0..c1, that the centre line (u0, v0)-(u1, v1) (in
 * cells, v0 <= v1) passes through while v is in [va, vb]. */
static void span_at(const pt_grid_t *g, double u0, double v0, double u1,
                    double v1, double va, double vb, int *c0, int *c1)
{
    double ua = u0, ub = u1;
    if (v1 > v0) {
        double k = (u1 - u0) / (v1 - v0);
        ua = u0 + (va - v0) * k;
        ub = u0 + (vb - v0) * k;
    }
    double lo = ua < ub ? ua : ub, hi = ua < ub ? ub : ua;
    double ulo = u0 < u1 ? u0 : u1, uhi = u0 < u1 ? u1 : u0;
    lo = lo > ulo ? lo : ulo;             /* against rounding */
    hi = hi < uhi ? hi : uhi;
    int n = g->ax[0].n;
    *c0 = !(lo >= 0) ? 0 : lo >= n ? n - 1 : (int)lo;
    *c1 = !(hi >= 0) ? 0 : hi >= n ? n - 1 : (int)hi;
}

/* Clips the segment p0-p1 (cells) to [0, nx] x [0, ny] (Liang-Barsky);
 * false when nothing is left. */
static bool clip(double p[2][2], double nx, double ny)
{
    double t0 = 0, t1 = 1;
    double d[2] = {p[1][0] - p[0][0], p[1][1] - p[0][1]};
    double lim[2] = {nx, ny};
    for (int a = 0; a < 2; a++) {
        double q[2] = {p[0][a], lim[a] - p[0][a]}, pp[2] = {-d[a], d[a]};
        for (int e = 0; e < 2; e++) {
            if (pp[e] == 0) {
                if (q[e] < 0)
                    return false;
                continue;
            }
            double t = q[e] / pp[e];
            if (pp[e] < 0)
                t0 = fmax(t0, t);
            else
                t1 = fmin(t1, t);
        }
    }
    if (t0 > t1)
        return false;
    double a0 = p[0][0], b0 = p[0][1];
    p[0][0] = a0 + t0 * d[0];
    p[0][1] = b0 + t0 * d[1];
    p[1][0] = a0 + t1 * d[0];
    p[1][1] = b0 + t1 * d[1];
    return true;
}

void pt_grid_segment(pt_grid_t *g, size_t s, double x0, double y0,
                     double x1, double y1)
{
    assert(s < g->nseries);
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return;
    double e[2][2] = {{x0, y0}, {x1, y1}};
    for (int a = 0; a < 2; a++)
        if (!g->ax[a].fixed) {
            grow(g, a, e[0][a]);
            grow(g, a, e[1][a]);
        }
    double p[2][2];
    for (int k = 0; k < 2; k++)
        for (int a = 0; a < 2; a++)
            p[k][a] = (e[k][a] - g->ax[a].lo) * g->ax[a].inv;
    if (!clip(p, g->ax[0].n, g->ax[1].n))
        return;
    if (p[0][1] > p[1][1]) {
        double t[2] = {p[0][0], p[0][1]};
        p[0][0] = p[1][0];
        p[0][1] = p[1][1];
        p[1][0] = t[0];
        p[1][1] = t[1];
    }
    double u0 = p[0][0], v0 = p[0][1], u1 = p[1][0], v1 = p[1][1];
    int nx = g->ax[0].n, ny = g->ax[1].n;
    int j0 = v0 >= ny ? ny - 1 : (int)v0, j1 = v1 >= ny ? ny - 1 : (int)v1;
    int i0 = u0 >= nx ? nx - 1 : (int)u0, i1 = u1 >= nx ? nx - 1 : (int)u1;
    if (seen_lately(g, s, i0, j0, i1, j1))
        return;
    if (!g->counted)
        count_tiles(g);
    /* the ends' cells, and along the longer axis one cell per column or
     * row: the one holding the line at the column's or row's centre */
    mark_span(g, s, j0, i0, i0);
    mark_span(g, s, j1, i1, i1);
    bool flat = fabs(u1 - u0) >= v1 - v0;
    /* bands of TILE rows, then of 8, skipped where all marked */
    for (int r = j0 >> 3; r <= j1 >> 3; r++) {
        int c0, c1;
        if (r % 8 == 0 || r == j0 >> 3) {
            int ja = j0 > r * 8 ? j0 : r * 8;
            int jb = j1 < (r | 7) * 8 + 7 ? j1 : (r | 7) * 8 + 7;
            span_at(g, u0, v0, u1, v1, v0 > ja ? v0 : ja,
                    v1 < jb + 1.0 ? v1 : jb + 1.0, &c0, &c1);
            if (tiles_marked(g, s, r >> 3, c0, c1)) {
                r |= 7;
                continue;
            }
        }
        int ja = j0 > r * 8 ? j0 : r * 8;
        int jb = j1 < r * 8 + 7 ? j1 : r * 8 + 7;
        span_at(g, u0, v0, u1, v1, v0 > ja ? v0 : ja,
                v1 < jb + 1.0 ? v1 : jb + 1.0, &c0, &c1);
        if (fines_marked(g, s, r, c0, c1))
            continue;                   /* this band is all marked */
        if (!flat) {
            /* the cell the line crosses at each row's centre */
            double k = (u1 - u0) / (v1 - v0);
            double ulo = u0 < u1 ? u0 : u1, uhi = u0 < u1 ? u1 : u0;
            for (int j = ja; j <= jb; j++) {
                double vm = j + 0.5 < v0 ? v0 : j + 0.5 > v1 ? v1 : j + 0.5;
                double u = u0 + (vm - v0) * k;
                u = u < ulo ? ulo : u > uhi ? uhi : u;
                int c = u >= nx ? nx - 1 : (int)u;
                const uint64_t *w = g->bits +
                    (s * (size_t)ny + (size_t)j) * g->words + (size_t)c / 64;
                if (!(*w >> (c % 64) & 1))
                    mark_span(g, s, j, c, c);
            }
            continue;
        }
        /* the cells whose centre column the line crosses in each row */
        double k = v1 > v0 ? (u1 - u0) / (v1 - v0) : 0;
        double ulo = u0 < u1 ? u0 : u1, uhi = u0 < u1 ? u1 : u0;
        for (int j = ja; j <= jb; j++) {
            double lo = ulo, hi = uhi;
            if (v1 > v0) {
                double va = v0 > j ? v0 : j, vb = v1 < j + 1.0 ? v1 : j + 1.0;
                double ua = u0 + (va - v0) * k, ub = u0 + (vb - v0) * k;
                lo = ua < ub ? ua : ub;
                hi = ua < ub ? ub : ua;
                lo = lo > ulo ? lo : ulo;
                hi = hi < uhi ? hi : uhi;
            }
            double a = ceil(lo - 0.5), b = floor(hi - 0.5);
            a = a > 0 ? a : 0;
            b = b < nx - 1 ? b : nx - 1;
            if (a <= b)
                mark_span(g, s, j, (int)a, (int)b);
        }
    }
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

void pt_grid_each_run(const pt_grid_t *g, size_t s,
                      void (*run)(void *ud, int i0, int i1, int j), void *ud)
{
    assert(s < g->nseries && run);
    size_t rows = (size_t)g->ax[1].n, words = g->words;
    const uint64_t *b = g->bits + s * rows * words;
    for (size_t j = 0; j < rows; j++) {
        int open = -1;                  /* the run's first cell */
        for (size_t w = 0; w < words; w++) {
            uint64_t bits = b[j * words + w];
            int base = (int)w * 64, p = 0;
            while (p < 64) {
                if (open < 0) {
                    uint64_t rest = bits >> p;
                    if (!rest)
                        break;
                    p += __builtin_ctzll(rest);
                    open = base + p;
                }
                uint64_t gaps = ~bits >> p;
                if (!gaps)
                    break;              /* the run goes on */
                p += __builtin_ctzll(gaps);
                run(ud, open, base + p - 1, (int)j);
                open = -1;
            }
        }
        if (open >= 0)
            run(ud, open, g->ax[0].n - 1, (int)j);
    }
}
