/*
 * This file tests values (value.c) through value.h: Python's reprs of
 * floats (shortest round-trip), strings (quote choice and escapes) and
 * containers; 64-bit int arithmetic with Python's floor division and
 * modulo signs; the wording of type errors; dicts past their hash-index
 * threshold, with deletion; and the format-spec mini-language.
 */
#include <stdlib.h>

#include "vm/eval.h"
#include "tap.h"

static tq_ctx_t *ctx;

static void check_repr(tq_value_t *v, const char *want)
{
    char *got = tq_repr(ctx, v);
    char name[160];
    snprintf(name, sizeof name, "repr %s", want);
    tap_is(got, want, name);
    free(got);
    tq_decref(v);
}

/* Applies op and checks the repr, or "Ename: message" on error. */
static void check_op(tq_binop_t op, tq_value_t *a, tq_value_t *b,
                     const char *want)
{
    tq_value_t *r = tq_binary(ctx, op, a, b);
    char *got;
    if (r) {
        got = tq_repr(ctx, r);
        tq_decref(r);
    } else {
        got = tq_xasprintf("%s: %s", ctx->ename, ctx->evalue);
        tq_ctx_reset_error(ctx);
    }
    char *ra = tq_repr(ctx, a), *rb = tq_repr(ctx, b);
    char name[200];
    snprintf(name, sizeof name, "%s op%d %s", ra, (int)op, rb);
    tap_is(got, want, name);
    free(ra);
    free(rb);
    free(got);
    tq_decref(a);
    tq_decref(b);
}

static void check_format(tq_value_t *v, const char *spec, const char *want)
{
    char *got = tq_format_value(ctx, v, spec);
    if (!got) {
        got = tq_xasprintf("%s: %s", ctx->ename, ctx->evalue);
        tq_ctx_reset_error(ctx);
    }
    char name[160];
    snprintf(name, sizeof name, "format '%s' -> %s", spec, want);
    tap_is(got, want, name);
    free(got);
    tq_decref(v);
}

int main(void)
{
    ctx = tq_ctx_new(NULL, false);
    tq_builtins_register(ctx);

    check_repr(tq_float(0.1), "0.1");
    check_repr(tq_float(1.0), "1.0");
    check_repr(tq_float(-0.0), "-0.0");
    check_repr(tq_float(1.0 / 3), "0.3333333333333333");
    check_repr(tq_float(2.0 / 3), "0.6666666666666666");
    check_repr(tq_float(0.1 + 0.2), "0.30000000000000004");
    check_repr(tq_float(1e16), "1e+16");
    check_repr(tq_float(1e15), "1000000000000000.0");
    check_repr(tq_float(123456789.125), "123456789.125");
    check_repr(tq_float(0.0001), "0.0001");
    check_repr(tq_float(0.00001), "1e-05");
    check_repr(tq_float(2.5e-7), "2.5e-07");
    check_repr(tq_float(1.5e300), "1.5e+300");
    check_repr(tq_float(1.0 / 0.0), "inf");
    check_repr(tq_float(-1.0 / 0.0), "-inf");
    check_repr(tq_float(0.0 / 0.0), "nan");
    check_repr(tq_int(INT64_MIN), "-9223372036854775808");
    check_repr(tq_str("abc"), "'abc'");
    check_repr(tq_str("it's"), "\"it's\"");
    check_repr(tq_str("both ' and \""), "'both \\' and \"'");
    check_repr(tq_str("tab\there\nnl\\"), "'tab\\there\\nnl\\\\'");
    check_repr(tq_str("\x01\x7f"), "'\\x01\\x7f'");
    check_repr(tq_str("caf\xc3\xa9"), "'caf\xc3\xa9'");
    check_repr(tq_none(), "None");
    check_repr(tq_bool(true), "True");

    tq_value_t *t1 = tq_tuple_new(1);
    tq_tuple_set(t1, 0, tq_int(1));
    check_repr(t1, "(1,)");
    check_repr(tq_tuple_new(0), "()");
    tq_value_t *l = tq_list_new(0);
    tq_value_t *one = tq_int(1), *s = tq_str("a"), *n = tq_none();
    tq_list_append(l, one);
    tq_list_append(l, s);
    tq_list_append(l, n);
    tq_value_t *inner = tq_list_new(0);
    tq_list_append(l, inner);
    check_repr(tq_incref(l), "[1, 'a', None, []]");
    tq_list_append(l, l); /* a list containing itself */
    check_repr(tq_incref(l), "[1, 'a', None, [], [...]]");
    tq_decref(tq_list_pop(l, 4));
    tq_decref(l);
    tq_decref(inner);

    tq_value_t *d = tq_dict_new();
    for (int i = 0; i < 20; i++) {
        tq_value_t *k = tq_int(i), *v = tq_int(i * i);
        tq_dict_set(d, k, v);
        tq_decref(k);
        tq_decref(v);
    }
    tq_value_t *k5 = tq_float(5.0), *k6 = tq_int(6);
    tap_ok(tq_dict_get(d, k5) && tq_as_int(tq_dict_get(d, k5)) == 25,
           "dict: 5.0 finds the int key 5");
    tap_ok(tq_dict_del(d, k6) && !tq_dict_get(d, k6) && tq_dict_len(d) == 19,
           "dict: delete past the index threshold");
    tap_ok(tq_as_int(tq_dict_key_at(d, 6)) == 7,
           "dict: insertion order kept after delete");
    tq_decref(k5);
    tq_decref(k6);
    tq_decref(d);
    tq_value_t *d2 = tq_dict_new();
    tq_dict_set_str(d2, "a", one);
    tq_dict_set_str(d2, "b", s);
    check_repr(d2, "{'a': 1, 'b': 'a'}");
    tq_decref(one);
    tq_decref(s);

    check_op(TQ_OP_FLOORDIV, tq_int(7), tq_int(-2), "-4");
    check_op(TQ_OP_FLOORDIV, tq_int(-7), tq_int(2), "-4");
    check_op(TQ_OP_MOD, tq_int(-7), tq_int(3), "2");
    check_op(TQ_OP_MOD, tq_int(7), tq_int(-3), "-2");
    check_op(TQ_OP_MOD, tq_float(-7.5), tq_int(2), "0.5");
    check_op(TQ_OP_FLOORDIV, tq_float(7.0), tq_int(2), "3.0");
    check_op(TQ_OP_DIV, tq_int(7), tq_int(2), "3.5");
    check_op(TQ_OP_DIV, tq_int(4), tq_int(2), "2.0");
    check_op(TQ_OP_POW, tq_int(2), tq_int(10), "1024");
    check_op(TQ_OP_POW, tq_int(2), tq_int(-1), "0.5");
    check_op(TQ_OP_ADD, tq_int(1), tq_bool(true), "2");
    check_op(TQ_OP_ADD, tq_int(INT64_MAX), tq_int(1),
             "OverflowError: integer overflow: Tabula ints are 64-bit");
    check_op(TQ_OP_DIV, tq_int(1), tq_int(0),
             "ZeroDivisionError: division by zero");
    check_op(TQ_OP_MOD, tq_int(1), tq_int(0),
             "ZeroDivisionError: integer modulo by zero");
    check_op(TQ_OP_ADD, tq_str("a"), tq_int(1),
             "TypeError: can only concatenate str (not \"int\") to str");
    check_op(TQ_OP_ADD, tq_int(1), tq_str("a"),
             "TypeError: unsupported operand type(s) for +: 'int' and 'str'");
    check_op(TQ_OP_LT, tq_int(1), tq_str("a"),
             "TypeError: '<' not supported between instances of 'int' and "
             "'str'");
    check_op(TQ_OP_MUL, tq_str("ab"), tq_int(3), "'ababab'");
    check_op(TQ_OP_IN, tq_str("b"), tq_str("abc"), "True");
    check_op(TQ_OP_EQ, tq_int(1), tq_float(1.0), "True");
    check_op(TQ_OP_AND, tq_bool(true), tq_bool(false), "False");

    check_format(tq_float(3.14159), ".2f", "3.14");
    check_format(tq_float(1234567.891), ",.2f", "1,234,567.89");
    check_format(tq_int(42), ">6", "    42");
    check_format(tq_int(42), "06d", "000042");
    check_format(tq_int(-42), "06d", "-00042");
    check_format(tq_int(255), "#x", "0xff");
    check_format(tq_str("ab"), "*^6", "**ab**");
    check_format(tq_str("ab"), "<4", "ab  ");
    check_format(tq_float(0.25), ".1%", "25.0%");
    check_format(tq_float(12345.678), ".3e", "1.235e+04");
    check_format(tq_int(1234567), ",", "1,234,567");
    check_format(tq_float(2.5), "", "2.5");
    check_format(tq_str("x"), "d",
                 "ValueError: Unknown format code 'd' for object of type "
                 "'str'");
    /* the cycle collector: a list holding itself, then a pair of dicts */
    tq_gc_collect();
    tq_value_t *cyc = tq_list_new(0);
    tq_list_append(cyc, cyc);
    tq_value_t *d1 = tq_dict_new(), *d3 = tq_dict_new();
    tq_dict_set_str(d1, "other", d3);
    tq_dict_set_str(d3, "other", d1);
    tq_value_t *kept = tq_list_new(0);
    tq_list_append(kept, kept);
    tq_decref(cyc);
    tq_decref(d1);
    tq_decref(d3);
    tap_ok(tq_gc_collect() == 3, "gc frees unreachable cycles only");
    tap_ok(tq_seq_len(kept) == 1 && tq_seq_get(kept, 0) == kept,
           "gc leaves a referenced cycle intact");
    tq_decref(tq_list_pop(kept, 0));
    tq_decref(kept);
    tq_ctx_destroy(&ctx);
    return tap_done();
}
