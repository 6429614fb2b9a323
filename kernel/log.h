/*
 * This file declares the kernel's logging: one line per event on stderr,
 * which Jupyter front ends show in the terminal that started them.
 * Thread-safe (each line is one write).
 */
#ifndef KN_LOG_H
#define KN_LOG_H

typedef enum kn_log_level {
    KN_LOG_DEBUG,
    KN_LOG_INFO,
    KN_LOG_WARN,
    KN_LOG_ERROR,
} kn_log_level_t;

/* Sets the lowest level that is written: the level named by $TABULA_LOG
 * (debug, info, warn, error), else KN_LOG_WARN, so that front ends that
 * show the kernel's stderr (jupyter console, nbconvert) show only what
 * needs attention. Called once before any thread starts. */
void kn_log_init(void);
/* Lowers the threshold to `level` when that is more verbose than the
 * current one (--debug sets KN_LOG_DEBUG). Before any thread starts. */
void kn_log_verbose(kn_log_level_t level);

/* Writes one formatted line at `level`. */
void kn_log(kn_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define kn_debug(...) kn_log(KN_LOG_DEBUG, __VA_ARGS__)
#define kn_info(...) kn_log(KN_LOG_INFO, __VA_ARGS__)
#define kn_warn(...) kn_log(KN_LOG_WARN, __VA_ARGS__)
#define kn_error(...) kn_log(KN_LOG_ERROR, __VA_ARGS__)

#endif
