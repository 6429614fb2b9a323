/*
 * This file encodes a chart's picture as PNG (chart_png.h): signature,
 * IHDR, one IDAT of the deflated rows, IEND, each chunk with its CRC
 * (zlib's crc32). A row is its filter byte (2, "Up") and each pixel's
 * red, green and blue less the pixel's above (modulo 256), read from
 * cairo's native-endian 0x00RRGGBB words.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "draw/chart_png.h"

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Appends the chunk `type` with `len` bytes of data. */
static void chunk(tq_buf_t *out, const char *type, const unsigned char *data,
                  size_t len)
{
    unsigned char head[8];
    put32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    tq_buf_addn(out, (const char *)head, 8);
    if (len)
        tq_buf_addn(out, (const char *)data, len);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, (uInt)len);
    unsigned char tail[4];
    put32(tail, (uint32_t)crc);
    tq_buf_addn(out, (const char *)tail, 4);
}

int chart_png_encode(cairo_surface_t *s, tq_buf_t *out)
{
    assert(s && out &&
           cairo_image_surface_get_format(s) == CAIRO_FORMAT_RGB24);
    int w = cairo_image_surface_get_width(s);
    int h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    size_t rowlen = 1 + (size_t)w * 3;
    unsigned char *row = tq_xcalloc(rowlen, 1);
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(row);
        return -1;
    }
    size_t cap = deflateBound(&z, (uLong)(rowlen * (size_t)h));
    if (cap > UINT32_MAX) {          /* past what one call can take */
        deflateEnd(&z);
        free(row);
        return -1;
    }
    unsigned char *idat = tq_xcalloc(cap ? cap : 1, 1);
    z.next_out = idat;
    z.avail_out = (uInt)cap;
    int zrc = Z_OK;
    for (int y = 0; y < h && zrc == Z_OK; y++) {
        const uint32_t *cur = (const uint32_t *)(px + (size_t)y * stride);
        const uint32_t *up = y ? (const uint32_t *)(px + (size_t)(y - 1) *
                                                    stride) : NULL;
        row[0] = 2;                                   /* Up */
        unsigned char *o = row + 1;
        for (int x = 0; x < w; x++, o += 3) {
            uint32_t c = cur[x], a = up ? up[x] : 0;
            o[0] = (unsigned char)((c >> 16) - (a >> 16));
            o[1] = (unsigned char)((c >> 8) - (a >> 8));
            o[2] = (unsigned char)(c - a);
        }
        z.next_in = row;
        z.avail_in = (uInt)rowlen;
        zrc = deflate(&z, y + 1 == h ? Z_FINISH : Z_NO_FLUSH);
        if (y + 1 == h && zrc == Z_STREAM_END)
            zrc = Z_OK;
        else if (zrc == Z_OK && z.avail_in != 0)
            zrc = Z_BUF_ERROR;             /* deflateBound is a bound */
    }
    if (h == 0)
        zrc = deflate(&z, Z_FINISH) == Z_STREAM_END ? Z_OK : Z_BUF_ERROR;
    size_t idat_len = cap - z.avail_out;
    deflateEnd(&z);
    free(row);
    if (zrc != Z_OK) {
        free(idat);
        return -1;
    }
    tq_buf_addn(out, "\x89PNG\r\n\x1a\n", 8);
    unsigned char ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;                /* bits per sample */
    ihdr[9] = 2;                /* RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;  /* deflate, filters, no interlace */
    chunk(out, "IHDR", ihdr, sizeof ihdr);
    chunk(out, "IDAT", idat, idat_len);
    chunk(out, "IEND", NULL, 0);
    free(idat);
    return 0;
}
