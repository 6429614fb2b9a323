/*
 * This file is the one list of Django's lookups and transforms, the words
 * that may follow `field__` in filter(), exclude(), get() and Q. Every
 * table that names them is generated from TQ_LOOKUPS: the compiler's
 * tq_is_lookup/tq_is_transform and its transform table (sql/lookup.c),
 * and the editor's completion after `column__` (editor/complete.c). What
 * a lookup compiles to stays in cs_lookup (sql/lookup.c).
 *
 * X(name, KIND, strftime, doc):
 *   name      the word as typed after `__` (an identifier, stringified);
 *   KIND      LOOKUP (compares the field with the value: the last word of
 *             a path) or TRANSFORM (turns the field into a part of it,
 *             which a lookup may follow: `start__year__gte`);
 *   strftime  a TRANSFORM's strftime format for its date part, NULL for
 *             lookups and for `date`, which compiles to date(...);
 *   doc       one line for help.
 * The order is the completion's: lookups first, then transforms.
 */
#ifndef TQ_SQL_LOOKUPS_H
#define TQ_SQL_LOOKUPS_H

#define TQ_LOOKUPS(X)                                                      \
    X(exact, LOOKUP, NULL, "Equal to the value (None: IS NULL).")          \
    X(iexact, LOOKUP, NULL, "Equal to the value, ignoring case.")          \
    X(contains, LOOKUP, NULL, "Contains the text, case-sensitive.")        \
    X(icontains, LOOKUP, NULL, "Contains the text, ignoring case.")        \
    X(in, LOOKUP, NULL, "One of a list, a tuple or a query set.")          \
    X(gt, LOOKUP, NULL, "Greater than the value.")                         \
    X(gte, LOOKUP, NULL, "Greater than or equal to the value.")            \
    X(lt, LOOKUP, NULL, "Less than the value.")                            \
    X(lte, LOOKUP, NULL, "Less than or equal to the value.")               \
    X(startswith, LOOKUP, NULL, "Starts with the text, case-sensitive.")   \
    X(istartswith, LOOKUP, NULL, "Starts with the text, ignoring case.")   \
    X(endswith, LOOKUP, NULL, "Ends with the text, case-sensitive.")       \
    X(iendswith, LOOKUP, NULL, "Ends with the text, ignoring case.")       \
    X(range, LOOKUP, NULL, "Between low and high, both included.")         \
    X(isnull, LOOKUP, NULL, "IS NULL when True, IS NOT NULL when False.")  \
    X(regex, LOOKUP, NULL, "Matches the regular expression.")              \
    X(iregex, LOOKUP, NULL, "Matches the regular expression, any case.")   \
    X(ne, LOOKUP, NULL, "Not equal to the value (None: IS NOT NULL).")     \
    X(year, TRANSFORM, "%Y", "The year of a date or datetime.")            \
    X(month, TRANSFORM, "%m", "The month, 1 to 12.")                       \
    X(day, TRANSFORM, "%d", "The day of the month, 1 to 31.")              \
    X(week_day, TRANSFORM, "%w", "The day of the week, 1 (Sunday) to 7.")  \
    X(hour, TRANSFORM, "%H", "The hour, 0 to 23.")                         \
    X(minute, TRANSFORM, "%M", "The minute, 0 to 59.")                     \
    X(second, TRANSFORM, "%S", "The second, 0 to 59.")                     \
    X(date, TRANSFORM, NULL, "The date part of a datetime.")

/* The KIND column as an enum: TQ_LOOKUP_KIND_LOOKUP, ..._TRANSFORM. */
typedef enum tq_lookup_kind {
    TQ_LOOKUP_KIND_LOOKUP,
    TQ_LOOKUP_KIND_TRANSFORM,
} tq_lookup_kind_t;

#endif
