/*
 * This file is the one list of the query functions and aggregates that
 * F-expressions may call (Count('fee'), TruncMonth('start') ...). Every
 * table that names them is generated from TQ_FUNCS: the compiler's enum
 * qx_func_t, names and aggregate flags (sql/compile.h, sql/qdesc.c), its
 * SQL names (sql/compile.c), the builtins that build them (orm/expr.c),
 * and the editor's completion of field names inside their calls
 * (editor/complete.c).
 *
 * X(ENUM, name, KIND, sql, signature, doc):
 *   ENUM       the qx_func_t constant's suffix (QF_ENUM);
 *   name       the builtin's name;
 *   KIND       AGG (an aggregate: groups rows, takes distinct= and
 *              filter=), SCALAR (a row function), TRUNC (the dialect's
 *              trunc), EXTRACT (the dialect's extract), COND (Case and
 *              When), SUBQUERY (Exists, Subquery) or WINDOW (Window and
 *              the functions only a Window takes);
 *   sql        the SQL function of AGG, SCALAR and WINDOW entries, NULL
 *              where the compiler or the dialect writes the SQL (StdDev,
 *              Variance, TRUNC, EXTRACT, Concat, Greatest, Least, COND,
 *              SUBQUERY, Window);
 *   signature  as help shows it;
 *   doc        one line for help.
 */
#ifndef TQ_SQL_FUNCS_H
#define TQ_SQL_FUNCS_H

#define TQ_FUNCS(X)                                                        \
    X(COUNT, "Count", AGG, "COUNT", "Count(expression='*', distinct=False)", \
      "The number of rows, or of non-null values of the expression.")      \
    X(SUM, "Sum", AGG, "SUM", "Sum(expression, distinct=False)",           \
      "The sum of the expression over the rows.")                          \
    X(AVG, "Avg", AGG, "AVG", "Avg(expression, distinct=False)",           \
      "The mean of the expression over the rows.")                         \
    X(MIN, "Min", AGG, "MIN", "Min(expression)",                           \
      "The smallest value of the expression.")                             \
    X(MAX, "Max", AGG, "MAX", "Max(expression)",                           \
      "The largest value of the expression.")                              \
    X(STDDEV, "StdDev", AGG, NULL, "StdDev(expression, sample=False)",     \
      "The standard deviation (population unless sample=True).")           \
    X(VARIANCE, "Variance", AGG, NULL, "Variance(expression, sample=False)", \
      "The variance (population unless sample=True).")                     \
    X(COALESCE, "Coalesce", SCALAR, "COALESCE", "Coalesce(*expressions)",  \
      "The first of two or more expressions that is not null.")            \
    X(LOWER, "Lower", SCALAR, "LOWER", "Lower(expression)",                \
      "The text in lower case.")                                           \
    X(UPPER, "Upper", SCALAR, "UPPER", "Upper(expression)",                \
      "The text in upper case.")                                           \
    X(LENGTH, "Length", SCALAR, "LENGTH", "Length(expression)",            \
      "The length of the text.")                                           \
    X(ABS, "Abs", SCALAR, "ABS", "Abs(expression)",                        \
      "The absolute value.")                                               \
    X(ROUND, "Round", SCALAR, "ROUND", "Round(expression[, places])",      \
      "The value rounded to places decimal places (0 by default).")        \
    X(TRUNCYEAR, "TruncYear", TRUNC, NULL, "TruncYear(expression)",        \
      "The date of the first day of the year.")                            \
    X(TRUNCMONTH, "TruncMonth", TRUNC, NULL, "TruncMonth(expression)",     \
      "The date of the first day of the month.")                           \
    X(TRUNCWEEK, "TruncWeek", TRUNC, NULL, "TruncWeek(expression)",        \
      "The date of the Monday starting the week.")                         \
    X(TRUNCDAY, "TruncDay", TRUNC, NULL, "TruncDay(expression)",           \
      "The date of the day.")                                              \
    X(TRUNCDATE, "TruncDate", TRUNC, NULL, "TruncDate(expression)",        \
      "The date part of a datetime.")                                      \
    X(EXTRACTYEAR, "ExtractYear", EXTRACT, NULL, "ExtractYear(expression)", \
      "The year, as an integer.")                                          \
    X(EXTRACTMONTH, "ExtractMonth", EXTRACT, NULL,                         \
      "ExtractMonth(expression)", "The month, 1 to 12.")                   \
    X(EXTRACTDAY, "ExtractDay", EXTRACT, NULL, "ExtractDay(expression)",   \
      "The day of the month, 1 to 31.")                                    \
    X(EXTRACTWEEKDAY, "ExtractWeekDay", EXTRACT, NULL,                     \
      "ExtractWeekDay(expression)",                                        \
      "The day of the week, 1 (Sunday) to 7 (Saturday).")                  \
    X(EXTRACTHOUR, "ExtractHour", EXTRACT, NULL, "ExtractHour(expression)", \
      "The hour, 0 to 23.")                                                \
    X(CONCAT, "Concat", SCALAR, NULL, "Concat(*expressions)",              \
      "The texts joined end to end; a null counts as empty text.")         \
    X(GREATEST, "Greatest", SCALAR, NULL, "Greatest(*expressions)",        \
      "The largest of two or more expressions (null if one is null).")     \
    X(LEAST, "Least", SCALAR, NULL, "Least(*expressions)",                 \
      "The smallest of two or more expressions (null if one is null).")    \
    X(CASE, "Case", COND, NULL, "Case(*whens, default=None)",              \
      "The result of the first When whose condition holds, else default.") \
    X(WHEN, "When", COND, NULL, "When(condition=None, then=None, **lookups)", \
      "A condition (a Q, F predicate or lookups) and its result, in Case.") \
    X(EXISTS, "Exists", SUBQUERY, NULL, "Exists(queryset)",                \
      "True when the query set has a row; OuterRef names the outer row.")  \
    X(SUBQUERY, "Subquery", SUBQUERY, NULL, "Subquery(queryset)",          \
      "The value of the query set's first row (values() of one field).")   \
    X(WINDOW, "Window", WINDOW, NULL,                                      \
      "Window(expression, partition_by=None, order_by=None, frame=None)",  \
      "A window function or aggregate over partitions of the rows; frame=" \
      "RowRange(start, end) or ValueRange(start, end).")                   \
    X(ROWNUMBER, "RowNumber", WINDOW, "ROW_NUMBER", "RowNumber()",         \
      "The number of the row in its partition, from 1 (in a Window).")     \
    X(RANK, "Rank", WINDOW, "RANK", "Rank()",                              \
      "The rank of the row, with gaps after ties (in a Window).")          \
    X(DENSERANK, "DenseRank", WINDOW, "DENSE_RANK", "DenseRank()",         \
      "The rank of the row, without gaps after ties (in a Window).")       \
    X(LAG, "Lag", WINDOW, "LAG", "Lag(expression, offset=1, default=None)", \
      "The expression on the row offset rows before (in a Window).")       \
    X(LEAD, "Lead", WINDOW, "LEAD", "Lead(expression, offset=1, default=None)", \
      "The expression on the row offset rows after (in a Window).")

/* The KIND column as an enum: TQ_FUNC_KIND_AGG ... */
typedef enum tq_func_kind {
    TQ_FUNC_KIND_AGG,
    TQ_FUNC_KIND_SCALAR,
    TQ_FUNC_KIND_TRUNC,
    TQ_FUNC_KIND_EXTRACT,
    TQ_FUNC_KIND_COND,       /* Case, When */
    TQ_FUNC_KIND_SUBQUERY,   /* Exists, Subquery: args[0] is a QX_SUBQ */
    TQ_FUNC_KIND_WINDOW,     /* Window and the functions it takes */
} tq_func_kind_t;

#endif
