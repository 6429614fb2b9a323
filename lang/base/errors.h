/*
 * This file is the catalogue of error names the language raises and
 * `except` matches: one X-macro list of (name, parent), in Python's
 * hierarchy for Python's own names (pandas' MergeError and IndexingError
 * among them) and Django's for the database family
 * (LANGUAGE.md section 11). Every `tq_raise` names an entry of this list;
 * `except X:` catches an error whose name is-a X; `raise X(...)` and
 * `isinstance(e, X)` know the same names. Owned by base/errors.c; any
 * lang/ file may use it.
 *
 * The parents of the database family, as Django defines them:
 *   DatabaseError           django.db.DatabaseError (PEP 249's Error is
 *                           not a name here, so it hangs from Exception)
 *   IntegrityError,
 *   OperationalError        django.db, children of DatabaseError
 *   ReadOnlyError           Tabula's own (a write on a read-only session),
 *                           a DatabaseError as sqlite3 reports it
 *   ProtectedError          django.db.models.ProtectedError(IntegrityError)
 *   RestrictedError         django.db.models.RestrictedError(IntegrityError)
 *   FieldError, ValidationError, ObjectDoesNotExist,
 *   MultipleObjectsReturned django.core.exceptions, children of Exception
 *   DoesNotExist            each model's Model.DoesNotExist, a child of
 *                           ObjectDoesNotExist (Model.MultipleObjectsReturned
 *                           is raised as MultipleObjectsReturned itself)
 *
 * A parent is listed before its children, so the list read top-down is a
 * walk of the tree from BaseException.
 */
#ifndef TQ_ERRORS_H
#define TQ_ERRORS_H

#include <stdbool.h>

/* X(name, parent): the root's parent is NONE. */
#define TQ_ERRORS(X)                                  \
    X(BaseException, NONE)                            \
    X(KeyboardInterrupt, BaseException)               \
    X(Exception, BaseException)                       \
    X(ArithmeticError, Exception)                     \
    X(ZeroDivisionError, ArithmeticError)             \
    X(OverflowError, ArithmeticError)                 \
    X(LookupError, Exception)                         \
    X(IndexError, LookupError)                        \
    X(KeyError, LookupError)                          \
    X(ValueError, Exception)                          \
    X(TypeError, Exception)                           \
    X(NameError, Exception)                           \
    X(UnboundLocalError, NameError)                   \
    X(AttributeError, Exception)                      \
    X(RuntimeError, Exception)                        \
    X(RecursionError, RuntimeError)                   \
    X(NotImplementedError, RuntimeError)              \
    X(AssertionError, Exception)                      \
    X(MemoryError, Exception)                         \
    X(OSError, Exception)                             \
    X(FileNotFoundError, OSError)                     \
    X(IndexingError, Exception)                       \
    X(MergeError, ValueError)                         \
    X(SyntaxError, Exception)                         \
    X(StopIteration, Exception)                       \
    X(DatabaseError, Exception)                       \
    X(IntegrityError, DatabaseError)                  \
    X(ProtectedError, IntegrityError)                 \
    X(RestrictedError, IntegrityError)                \
    X(OperationalError, DatabaseError)                \
    X(ReadOnlyError, DatabaseError)                   \
    X(FieldError, Exception)                          \
    X(ValidationError, Exception)                     \
    X(ObjectDoesNotExist, Exception)                  \
    X(DoesNotExist, ObjectDoesNotExist)               \
    X(MultipleObjectsReturned, Exception)

/* One enumerator per name, TQ_ERR_ValueError ...; TQ_ERR_NONE is the
 * root's parent. */
typedef enum tq_err {
    TQ_ERR_NONE = -1,
#define TQ_ERR_ENUM(name, parent) TQ_ERR_##name,
    TQ_ERRORS(TQ_ERR_ENUM)
#undef TQ_ERR_ENUM
    TQ_ERR_COUNT
} tq_err_t;

/* Whether `name` is in the catalogue. `name` may be NULL (not known). */
bool tq_error_known(const char *name);

/* The parent of `name` (a static string), or NULL when `name` is
 * BaseException or not in the catalogue. */
const char *tq_error_parent(const char *name);

/* Whether an error named `name` is-a `ancestor`: `name` equals it or one
 * of its parents does. A name outside the catalogue is-a only itself. */
bool tq_error_is_a(const char *name, const char *ancestor);

/* The catalogue entry `i` (0 <= i < TQ_ERR_COUNT): its static name. */
const char *tq_error_at(int i);

#endif
