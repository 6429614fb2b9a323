/*
 * This file declares the PNG encoder of the charts (chart_png.c): an
 * RGB24 cairo image surface as an 8-bit RGB PNG, every row with PNG's
 * "Up" filter, deflated at zlib's default level. A chart is mostly flat
 * colour and straight lines: that packs it no bigger than cairo's own
 * encoder (libpng trying every filter on every row, after converting
 * each row through its transformations) in well under half its time.
 */
#ifndef TQ_CHART_PNG_H
#define TQ_CHART_PNG_H

#include <cairo.h>

#include "base/util.h"

/* Appends surface `s` (CAIRO_FORMAT_RGB24, flushed) as a PNG file to
 * *out (the caller's buffer); 0, or -1 when zlib fails (out then holds
 * part of a file, for the caller to drop). */
int chart_png_encode(cairo_surface_t *s, tq_buf_t *out);

#endif
