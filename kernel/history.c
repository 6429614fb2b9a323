/*
 * This file keeps the execution history in SQLite, the way IPython's
 * history.sqlite does: a sessions table (one row per kernel start) and a
 * history table of (session, line, source). The file is opened on the
 * first store or query; all values are bound parameters.
 */
#include "history.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct kn_history {
    char *path;
    sqlite3 *db;
    bool failed;         /* opening failed once: stay empty */
    sqlite3_int64 session;
};

/* mkdir -p for the directory part of path. */
static void make_parents(const char *path)
{
    char *p = kn_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(p, 0700);
        *s = '/';
    }
    free(p);
}

/* See history.h. */
kn_history_t *kn_history_new(void)
{
    kn_history_t *h = kn_xcalloc(1, sizeof *h);
    const char *env = getenv("TABULA_HISTORY");
    char buf[4096];
    if (env && *env) {
        h->path = kn_xstrdup(env);
        return h;
    }
    const char *data = getenv("JUPYTER_DATA_DIR");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (data && *data)
        snprintf(buf, sizeof buf, "%s/tabula/history.sqlite", data);
    else if (xdg && *xdg)
        snprintf(buf, sizeof buf, "%s/jupyter/tabula/history.sqlite", xdg);
    else
        snprintf(buf, sizeof buf, "%s/.local/share/jupyter/tabula/"
                 "history.sqlite", home ? home : "/tmp");
    h->path = kn_xstrdup(buf);
    return h;
}

/* Closes the file and NULLs the caller's pointer. */
void kn_history_destroy(kn_history_t **history)
{
    kn_history_t *h = *history;
    if (!h)
        return;
    sqlite3_close(h->db);
    free(h->path);
    free(h);
    *history = NULL;
}

/* Opens the file and starts this kernel's session; false on failure. */
static bool ensure_open(kn_history_t *h)
{
    if (h->db)
        return true;
    if (h->failed)
        return false;
    if (strcmp(h->path, ":memory:") != 0)
        make_parents(h->path);
    if (sqlite3_open(h->path, &h->db) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(h->db, 2000);
    /* WAL without a sync per commit: one write per cell, no fsync */
    sqlite3_exec(h->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                 NULL, NULL, NULL);
    if (sqlite3_exec(h->db,
            "CREATE TABLE IF NOT EXISTS sessions(session INTEGER PRIMARY KEY "
            "AUTOINCREMENT, start TEXT);"
            "CREATE TABLE IF NOT EXISTS history(session INTEGER, line INTEGER,"
            " source TEXT, PRIMARY KEY(session, line));"
            "INSERT INTO sessions(start) VALUES (datetime('now'));",
            NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    h->session = sqlite3_last_insert_rowid(h->db);
    return true;
fail:
    kn_warn("history: cannot use %s: %s", h->path,
            h->db ? sqlite3_errmsg(h->db) : "out of memory");
    sqlite3_close(h->db);
    h->db = NULL;
    h->failed = true;
    return false;
}

/* See history.h. */
void kn_history_store(kn_history_t *h, int line, const char *source)
{
    if (!ensure_open(h))
        return;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO history"
                           "(session, line, source) VALUES (?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        kn_warn("history: %s", sqlite3_errmsg(h->db));
        return;
    }
    sqlite3_bind_int64(st, 1, h->session);
    sqlite3_bind_int(st, 2, line);
    sqlite3_bind_text(st, 3, source, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        kn_warn("history: %s", sqlite3_errmsg(h->db));
    sqlite3_finalize(st);
}

static long long int_member(json_t *content, const char *key, long long dflt)
{
    json_t *v = json_object_get(content, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* Runs a prepared statement whose rows are (session, line, source) and
 * appends them to `out`. Finalizes the statement. */
static void collect(sqlite3_stmt *st, bool output, json_t *out)
{
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *src = (const char *)sqlite3_column_text(st, 2);
        json_t *text = json_string(src ? src : "");
        if (!text)
            text = json_string("");
        json_t *entry = output ? json_pack("[o n]", text) : text;
        json_array_append_new(out, json_pack("[I I o]",
            (json_int_t)sqlite3_column_int64(st, 0),
            (json_int_t)sqlite3_column_int64(st, 1), entry));
    }
    sqlite3_finalize(st);
}

/* See history.h. Rows come back oldest first, as IPython returns them. */
json_t *kn_history_query(kn_history_t *h, json_t *content)
{
    json_t *out = json_array();
    if (!ensure_open(h))
        return out;
    json_t *type_v = json_object_get(content, "hist_access_type");
    const char *type = json_is_string(type_v) ? json_string_value(type_v)
                                              : "tail";
    bool output = json_is_true(json_object_get(content, "output"));
    long long n = int_member(content, "n", 10);
    sqlite3_stmt *st = NULL;
    int rc;
    if (strcmp(type, "range") == 0) {
        long long session = int_member(content, "session", 0);
        long long start = int_member(content, "start", 0);
        long long stop = int_member(content, "stop", -1);
        /* 0 is this session; negative counts back from it */
        if (session <= 0)
            session += h->session;
        rc = sqlite3_prepare_v2(h->db,
            "SELECT session, line, source FROM history WHERE session = ? "
            "AND line >= ? AND (? < 0 OR line < ?) ORDER BY line",
            -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, session);
            sqlite3_bind_int64(st, 2, start);
            sqlite3_bind_int64(st, 3, stop);
            sqlite3_bind_int64(st, 4, stop);
        }
    } else if (strcmp(type, "search") == 0) {
        json_t *pat = json_object_get(content, "pattern");
        bool unique = json_is_true(json_object_get(content, "unique"));
        rc = sqlite3_prepare_v2(h->db, unique
            ? "SELECT * FROM (SELECT session, line, source FROM history "
              "WHERE source GLOB ?1 AND rowid IN (SELECT max(rowid) FROM "
              "history GROUP BY source) ORDER BY session DESC, line DESC "
              "LIMIT ?2) ORDER BY session, line"
            : "SELECT * FROM (SELECT session, line, source FROM history "
              "WHERE source GLOB ?1 ORDER BY session DESC, line DESC "
              "LIMIT ?2) ORDER BY session, line",
            -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, json_is_string(pat)
                              ? json_string_value(pat) : "*", -1,
                              SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 2, n > 0 ? n : -1);
        }
    } else {
        rc = sqlite3_prepare_v2(h->db,
            "SELECT * FROM (SELECT session, line, source FROM history "
            "ORDER BY session DESC, line DESC LIMIT ?) ORDER BY session, line",
            -1, &st, NULL);
        if (rc == SQLITE_OK)
            sqlite3_bind_int64(st, 1, n > 0 ? n : 10);
    }
    if (rc != SQLITE_OK) {
        kn_warn("history: %s", sqlite3_errmsg(h->db));
        return out;
    }
    collect(st, output, out);
    return out;
}

/* See history.h. */
char **kn_history_cells(kn_history_t *h, size_t *count)
{
    *count = 0;
    if (!ensure_open(h))
        return NULL;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h->db, "SELECT source FROM history WHERE "
                           "session = ? ORDER BY line", -1, &st,
                           NULL) != SQLITE_OK) {
        kn_warn("history: %s", sqlite3_errmsg(h->db));
        return NULL;
    }
    sqlite3_bind_int64(st, 1, h->session);
    char **cells = NULL;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            cells = kn_xrealloc(cells, cap * sizeof *cells);
        }
        const char *source = (const char *)sqlite3_column_text(st, 0);
        cells[(*count)++] = kn_xstrdup(source ? source : "");
    }
    sqlite3_finalize(st);
    return cells;
}
