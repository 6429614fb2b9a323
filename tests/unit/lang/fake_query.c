/*
 * This file is a test double of query.h for the interpreter's own tests:
 * a database layer that knows no tables, so that the core (lexer, parser,
 * evaluator, %sql, transactions) can be tested with `tabula-run-core`
 * whatever state the real database layer is in. It is linked only into
 * test binaries under tests/unit/lang, never into tabula-run or the kernel.
 */
#include "query.h"

int tq_schema_refresh(tq_ctx_t *ctx)
{
    return 0;
}

tq_value_t *tq_schema_lookup(tq_ctx_t *ctx, const char *name)
{
    return NULL;
}

tq_value_t *tq_schema_names(tq_ctx_t *ctx)
{
    return tq_list_new(0);
}

void tq_query_register_builtins(tq_ctx_t *ctx)
{
}

tq_value_t *tq_model_declare(tq_ctx_t *ctx, const char *name,
                             const tq_args_t *bases_and_keywords,
                             tq_value_t *fields)
{
    return tq_raise(ctx, "TypeError",
                    "class %s: the test double has no database layer", name);
}
