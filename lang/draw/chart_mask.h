/*
 * This file declares a coverage mask of thick line segments
 * (chart_mask.c): the union of many segments rasterised into an 8-bit
 * alpha mask in device pixels, each pixel the largest coverage any
 * segment gives it (so the union looks like one stroke, as cairo draws a
 * path), with tiles that are already fully covered skipped. Line charts
 * whose points go back and forth in x draw through it: a million long
 * segments cost about as much as their number, not their length.
 * No cairo here beyond the surface that the mask is composited from.
 */
#ifndef TQ_CHART_MASK_H
#define TQ_CHART_MASK_H

#include <cairo.h>

typedef struct seg_mask seg_mask_t;

/* A mask of w x h device pixels (both > 0) for segments of half width
 * `half` (device pixels; swept by a disc of that radius). The caller owns
 * it and frees it with seg_mask_destroy. */
seg_mask_t *seg_mask_new(int w, int h, double half);

/* Adds the segment from (x0, y0) to (x1, y1), in device pixels relative
 * to the mask's top left corner; the parts outside the mask are dropped.
 * Non-finite ends are ignored. */
void seg_mask_line(seg_mask_t *m, double x0, double y0, double x1,
                   double y1);

/* The mask as a cairo A8 surface (borrowed: valid until the mask is
 * destroyed), for cairo_mask_surface. */
cairo_surface_t *seg_mask_surface(seg_mask_t *m);

/* Frees *m (NULL allowed) and sets it to NULL. */
void seg_mask_destroy(seg_mask_t **m);

#endif
