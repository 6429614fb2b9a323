/*
 * This file is the one list of chart kinds. Every table that names them is
 * generated from TQ_CHART_KINDS: the enum tq_chart_kind_t (render.h), the
 * methods of the .plot accessors of query sets (orm/query.c) and frames
 * (frame/frame.c) and their repr, the kinds' names in the drawing
 * module's messages (draw/chart.c), and the editor's doc of `plot`
 * (editor/complete.c). How a kind is drawn stays in draw/chart.c.
 *
 * X(ENUM, name, doc):
 *   ENUM  the tq_chart_kind_t constant's suffix (TQ_CHART_ENUM);
 *   name  the accessor's method (an identifier, stringified);
 *   doc   one line for help.
 * The first kind is the default one; TQ_CHART_KINDS lists the default
 * then the others, so that texts can join the names with separators.
 */
#ifndef TQ_RENDER_CHART_KINDS_H
#define TQ_RENDER_CHART_KINDS_H

#define TQ_CHART_DEFAULT_KIND(X)                                           \
    X(LINE, line, "Lines through the points, x in order.")

#define TQ_CHART_OTHER_KINDS(X)                                            \
    X(BAR, bar, "Vertical bars, one per label.")                           \
    X(BARH, barh, "Horizontal bars, one per label.")                       \
    X(SCATTER, scatter, "A dot per row.")                                  \
    X(HIST, hist, "A histogram of one column's values.")                   \
    X(PIE, pie, "A pie slice per label.")                                 \
    X(AREA, area, "Stacked areas under the lines, x in order.")           \
    X(BOX, box, "A box and whiskers per column.")

#define TQ_CHART_KINDS(X) TQ_CHART_DEFAULT_KIND(X) TQ_CHART_OTHER_KINDS(X)

/* String literals of the names, for texts: "line bar barh scatter hist
 * pie area box" and "line/bar/barh/scatter/hist/pie/area/box". */
#define TQ_CHART_NAME_(e, name, doc) #name
#define TQ_CHART_SPACE_NAME_(e, name, doc) " " #name
#define TQ_CHART_SLASH_NAME_(e, name, doc) "/" #name
#define TQ_CHART_NAMES_SPACED                                              \
    TQ_CHART_DEFAULT_KIND(TQ_CHART_NAME_)                                  \
    TQ_CHART_OTHER_KINDS(TQ_CHART_SPACE_NAME_)
#define TQ_CHART_NAMES_SLASHED                                             \
    TQ_CHART_DEFAULT_KIND(TQ_CHART_NAME_)                                  \
    TQ_CHART_OTHER_KINDS(TQ_CHART_SLASH_NAME_)

#endif
