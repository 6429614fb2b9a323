/*
 * This file declares the password mask: the one function that hides the
 * passwords of database targets (a URL's `scheme://user:PASSWORD@host`,
 * a libpq keyword string's `password=VALUE`, quoted or not) wherever a
 * target may show: error messages, the kernel's log, the history, In[n]
 * and traceback source lines. Layers above reach it through base; the
 * kernel through tabula.h (tq_mask_secrets).
 */
#ifndef TQ_BASE_MASK_H
#define TQ_BASE_MASK_H

#include <stddef.h>

/* Calls fn(ud, start, end) for each password value in `text`, a byte
 * span [start, end) (quotes included for a quoted keyword value), in
 * order: the userinfo password of every `scheme://user:PW@` and the
 * value of every `password=VALUE` keyword (also `?password=` and
 * `&password=` in a URL's query). */
void tq_password_spans(const char *text,
                       void (*fn)(void *ud, size_t start, size_t end),
                       void *ud);

/* A malloc'd copy of `text` with every password span replaced by "***";
 * NULL for NULL. */
char *tq_mask_passwords(const char *text);

#endif
