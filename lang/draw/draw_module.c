/*
 * This file is the entry point of the drawing module tabula-draw.so (see
 * draw_module.h): it hands the loader the addresses of chart.c's and
 * erd.c's renderers. Everything else in the module is built with hidden
 * visibility, so this is its only exported symbol.
 */
#include "draw/draw_module.h"

__attribute__((visibility("default")))
const tq_draw_api_t *tq_draw_api(void)
{
    static const tq_draw_api_t api = {
        .abi = TQ_DRAW_ABI,
        .chart_png = draw_chart_png,
        .erd_svg = draw_erd_svg,
    };
    return &api;
}
