/*
 * This file generates the bike-rental demo database behind `%demo bikes`:
 * users, bikes and rentals with foreign keys, drawn from a deterministic
 * PRNG (splitmix64 seeding xoshiro256**), so a seed always gives the same
 * rows. The data are meant to make charts worth looking at: rentals follow
 * the seasons (summer peaks, winter troughs), grow year on year, prefer
 * weekends and commuting hours, and users mostly rent bikes in their own
 * city; a few heavy users and popular bikes stand out.
 *
 * Speed: one bulk load per table (tqdb_bulk_*, db.h: PostgreSQL's COPY,
 * SQLite's prepared INSERT), inside one SAVEPOINT; the indexes are built
 * after the rows are in. The tables' DDL is the one place the engines
 * differ (SQLite's main schema and its datetime and REAL; PostgreSQL's
 * search path, timestamp and double precision). Progress is
 * reported through a callback; the `%demo` magic at the bottom hands it
 * to the cell's common progress indicator (tq_ctx_progress), which the
 * kernel shows as a bar updated in place once the cell runs past a
 * second.
 */
#include "magic/demo.h"

#include <assert.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "magic/magics.h"
#include "sql/dialect.h"
#ifndef TQ_DEMO_CORE_ONLY
#include "magic/magic.h"
#include "orm/query.h"
#include "vm/value.h"
#endif

/* ---- allocation that cannot fail */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("tabula: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("tabula: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        fputs("tabula: out of memory\n", stderr);
        abort();
    }
    return s;
}

static char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

static int set_error(char **error, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_error(char **error, int code, const char *fmt, ...)
{
    if (error) {
        va_list ap;
        va_start(ap, fmt);
        *error = xvasprintf(fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- the PRNG: xoshiro256** seeded through splitmix64 */

typedef struct rng {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1). */
static double rng_unit(rng_t *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n >= 1 (Lemire's multiply-shift; the tiny
 * bias for huge n does not matter for demo data). */
static uint64_t rng_below(rng_t *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Standard normal (Box-Muller, one of the pair). */
static double rng_normal(rng_t *r)
{
    double u1 = 1.0 - rng_unit(r), u2 = rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Index into a cumulative weight array `cum` of n entries (last = total). */
static size_t pick_cumulative(rng_t *r, const double *cum, size_t n)
{
    double x = rng_unit(r) * cum[n - 1];
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ---- dates: days since 1970-01-01 <-> civil (Howard Hinnant's algorithms) */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* Writes 'YYYY-MM-DD HH:MM:SS' (19 characters and a NUL) for the given
 * seconds since 1970-01-01 00:00:00. */
static void format_time(char out[20], int64_t secs)
{
    int64_t days = secs / 86400;
    int sod = (int)(secs % 86400);
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    put2(out, y / 100);
    put2(out + 2, y % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = ' ';
    put2(out + 11, sod / 3600);
    out[13] = ':';
    put2(out + 14, sod / 60 % 60);
    out[16] = ':';
    put2(out + 17, sod % 60);
    out[19] = '\0';
}

/* ---- the built-in vocabularies */

static const char *const first_names[] = {
    "Alice", "Bruno", "Chloé", "Daniel", "Emma", "Farid", "Greta", "Hugo",
    "Ines", "Jonas", "Kira", "Liam", "Maya", "Noah", "Olga", "Pablo",
    "Quinn", "Rosa", "Sami", "Tessa", "Umar", "Vera", "Wim", "Xenia",
    "Yusuf", "Zoé", "Aiko", "Ben", "Clara", "Diego", "Elif", "Finn",
    "Hana", "Ivan", "Julia", "Karim", "Lena", "Marco", "Nina", "Oscar",
};

/* ASCII spellings for e-mail addresses, parallel to first_names. */
static const char *const first_names_ascii[] = {
    "alice", "bruno", "chloe", "daniel", "emma", "farid", "greta", "hugo",
    "ines", "jonas", "kira", "liam", "maya", "noah", "olga", "pablo",
    "quinn", "rosa", "sami", "tessa", "umar", "vera", "wim", "xenia",
    "yusuf", "zoe", "aiko", "ben", "clara", "diego", "elif", "finn",
    "hana", "ivan", "julia", "karim", "lena", "marco", "nina", "oscar",
};

static const char *const last_names[] = {
    "Andersen", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer",
    "García", "Horvat", "Ivanova", "Jansen", "Kowalski", "Lambert",
    "Meyer", "Novak", "Olsen", "Petrov", "Quispe", "Rossi", "Schmidt",
    "Tanaka", "Urban", "Vogel", "Weber", "Yilmaz", "Zimmermann", "Moreau",
    "Nakamura", "Okafor", "Silva", "Kim",
};

static const char *const last_names_ascii[] = {
    "andersen", "bianchi", "costa", "dubois", "eriksen", "fischer",
    "garcia", "horvat", "ivanova", "jansen", "kowalski", "lambert",
    "meyer", "novak", "olsen", "petrov", "quispe", "rossi", "schmidt",
    "tanaka", "urban", "vogel", "weber", "yilmaz", "zimmermann", "moreau",
    "nakamura", "okafor", "silva", "kim",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Cities with their share of users and bikes. */
#define DEMO_CITIES(X) \
    X("Amsterdam", 24) X("Copenhagen", 20) X("Berlin", 18) \
    X("Paris", 16) X("Barcelona", 12) X("Vienna", 10)

static const char *const city_names[] = {
#define X(name, weight) name,
    DEMO_CITIES(X)
#undef X
};
static const double city_weights[] = {
#define X(name, weight) weight,
    DEMO_CITIES(X)
#undef X
};
#define NCITIES NELEM(city_names)

/* Bike kinds: name, base hourly rate, popularity. */
#define DEMO_KINDS(X) \
    X("city", 8.0, 1.4) X("electric", 15.0, 1.6) X("road", 10.0, 0.8) \
    X("mountain", 12.0, 0.6) X("cargo", 14.0, 0.35) X("tandem", 18.0, 0.25)

static const char *const kind_names[] = {
#define X(name, rate, pop) name,
    DEMO_KINDS(X)
#undef X
};
static const double kind_rates[] = {
#define X(name, rate, pop) rate,
    DEMO_KINDS(X)
#undef X
};
static const double kind_popularity[] = {
#define X(name, rate, pop) pop,
    DEMO_KINDS(X)
#undef X
};
#define NKINDS NELEM(kind_names)

static const char *const bike_adjectives[] = {
    "Blue", "Red", "Silver", "Golden", "Swift", "Quiet", "Lucky", "Brave",
    "Green", "Midnight", "Rusty", "Sunny", "Wild", "Little", "Electric",
    "Northern", "Happy", "Flying", "Crimson", "Jolly",
};
static const char *const bike_nouns[] = {
    "Falcon", "Comet", "Otter", "Arrow", "Heron", "Breeze", "Fox", "Dart",
    "Pelican", "Rocket", "Badger", "Lynx", "Sparrow", "Tiger", "Wave",
    "Pony", "Raven", "Hare", "Meteor", "Kestrel",
};

/* Seasonality by month (January first), growth by year (2024..2026),
 * weekday factor (Monday first) and the hour-of-day profile. */
static const double month_factor[12] = {
    0.45, 0.50, 0.70, 0.90, 1.10, 1.30, 1.45, 1.40, 1.15, 0.90, 0.60, 0.50,
};
static const double year_factor[3] = {1.00, 1.25, 1.45};
static const double weekday_factor[7] = {
    1.00, 0.95, 0.95, 1.00, 1.10, 1.35, 1.25,
};
static const double hour_weights[24] = {
    0.10, 0.05, 0.03, 0.03, 0.05, 0.20, 0.60, 1.50, 2.20, 1.20, 0.90, 1.00,
    1.30, 1.20, 1.10, 1.20, 1.60, 2.30, 2.00, 1.30, 0.90, 0.60, 0.40, 0.20,
};

#define FIRST_YEAR 2024
#define NYEARS 3

/* ---- option parsing */

/* Public: see demo.h. */
void tq_demo_opts_default(tq_demo_opts_t *opts)
{
    opts->users = TQ_DEMO_DEFAULT_USERS;
    opts->bikes = TQ_DEMO_DEFAULT_BIKES;
    opts->rentals = TQ_DEMO_DEFAULT_RENTALS;
    opts->seed = TQ_DEMO_DEFAULT_SEED;
    opts->replace = false;
}

/* Parses an unsigned decimal with optional '_' or ',' separators between
 * digits. Returns 0, or -1 when the text is not such a number or exceeds
 * UINT64_MAX. */
static int parse_count(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    bool digit_before = false;
    if (len == 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '_' || c == ',') {
            if (!digit_before || i + 1 == len)
                return -1;
            digit_before = false;
            continue;
        }
        if (c < '0' || c > '9')
            return -1;
        if (v > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(c - '0');
        digit_before = true;
    }
    *out = v;
    return 0;
}

typedef struct word {
    const char *p;
    size_t len;
} word_t;

static bool word_is(word_t w, const char *s)
{
    return strlen(s) == w.len && memcmp(w.p, s, w.len) == 0;
}

static const char *next_word(const char *s, word_t *w)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    w->p = s;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
        s++;
    w->len = (size_t)(s - w->p);
    return s;
}

/* The usage text is magic/magics.h's, as "usage: %s". */
#define DEMO_USAGE "usage: %s"

/* Public: see demo.h. */
int tq_demo_parse_args(const char *args, tq_demo_opts_t *opts, char **error)
{
    word_t w;
    const char *s = next_word(args ? args : "", &w);
    tq_demo_opts_default(opts);
    if (w.len == 0)
        return set_error(error, -1, "%%demo needs a data set name; "
                         DEMO_USAGE, TQ_MAGIC_DEMO_USAGE);
    if (!word_is(w, "bikes"))
        return set_error(error, -1, "Unknown demo data set '%.*s'; the "
                         "only one is 'bikes'.", (int)w.len, w.p);
    for (;;) {
        s = next_word(s, &w);
        if (w.len == 0)
            return 0;
        if (word_is(w, "--replace")) {
            opts->replace = true;
            continue;
        }
        /* --name N or --name=N */
        const char *eq = memchr(w.p, '=', w.len);
        word_t name = {w.p, eq ? (size_t)(eq - w.p) : w.len};
        word_t value;
        if (eq) {
            value.p = eq + 1;
            value.len = w.len - name.len - 1;
        } else {
            s = next_word(s, &value);
        }
        int64_t *target = NULL, max = 0, min = 0;
        if (word_is(name, "--users"))
            target = &opts->users, min = 1, max = TQ_DEMO_MAX_USERS;
        else if (word_is(name, "--bikes"))
            target = &opts->bikes, min = 1, max = TQ_DEMO_MAX_BIKES;
        else if (word_is(name, "--rentals"))
            target = &opts->rentals, min = 0, max = TQ_DEMO_MAX_RENTALS;
        else if (!word_is(name, "--seed"))
            return set_error(error, -1, "Unknown option '%.*s'; "
                             DEMO_USAGE, (int)name.len, name.p,
                             TQ_MAGIC_DEMO_USAGE);
        if (value.len == 0)
            return set_error(error, -1, "Option '%.*s' needs a value; "
                             DEMO_USAGE, (int)name.len, name.p,
                             TQ_MAGIC_DEMO_USAGE);
        uint64_t v;
        if (parse_count(value.p, value.len, &v) < 0)
            return set_error(error, -1, "Option '%.*s' takes a "
                             "non-negative whole number, not '%.*s'.",
                             (int)name.len, name.p, (int)value.len,
                             value.p);
        if (!target) {
            opts->seed = v;
            continue;
        }
        if (v < (uint64_t)min || v > (uint64_t)max)
            return set_error(error, -1, "Option '%.*s' must be between "
                             "%lld and %lld.", (int)name.len, name.p,
                             (long long)min, (long long)max);
        *target = (int64_t)v;
    }
}

/* ---- the generator */

typedef struct gen {
    tqdb_conn_t *db;
    const tq_demo_opts_t *opts;
    rng_t rng;
    tq_demo_progress_fn progress;
    void *ud;
    int64_t done, total, next_report;
    char **error;
    /* per user: city, cumulative activity weight */
    unsigned char *user_city;
    double *user_cum;
    /* per bike: cumulative popularity, overall and within each city */
    double *bike_cum;
    int64_t *city_bikes[NCITIES];     /* bike ids (1-based) per city */
    double *city_bike_cum[NCITIES];
    size_t city_nbikes[NCITIES];
    double *bike_weight;
    double *bike_rate;
    /* per day of 2024..2026: cumulative rental weight */
    double *day_cum;
    size_t ndays;
    int64_t first_day;                /* days since 1970 of 2024-01-01 */
    double hour_cum[24];
} gen_t;

/* The connection's last error as a tq_demo_error_t with its message. */
static int db_error(gen_t *g, const char *what)
{
    if (tqdb_errcode(g->db) == TQDB_ERR_INTERRUPTED)
        return set_error(g->error, TQ_DEMO_EINTERRUPTED,
                         "The demo data generation was interrupted.");
    return set_error(g->error, TQ_DEMO_EDATABASE, "%s: %s", what,
                     tqdb_errmsg(g->db));
}

static int exec(gen_t *g, const char *sql)
{
    if (tqdb_exec(g->db, sql) < 0)
        return db_error(g, "Could not create the demo tables");
    return 0;
}

static int prepare(gen_t *g, const char *sql, tqdb_cursor_t **cur)
{
    if (tqdb_prepare(g->db, sql, cur, NULL) < 0)
        return db_error(g, "Could not prepare the demo inserts");
    assert(*cur);
    return 0;
}

/* Starts the bulk load of one table's columns. */
static int bulk_begin(gen_t *g, const char *table, const char *const *cols,
                      int ncols, tqdb_bulk_t **bulk)
{
    if (tqdb_bulk_begin(g->db, table, cols, ncols, bulk) < 0) {
        char *what = xasprintf("Could not start loading %s", table);
        int r = db_error(g, what);
        free(what);
        return r;
    }
    return 0;
}

/* Ends a bulk load: kept when r is 0, else thrown away (and r kept). */
static int bulk_end(gen_t *g, tqdb_bulk_t **bulk, int r, const char *table)
{
    if (tqdb_bulk_end(bulk, r == 0, NULL) < 0 && r == 0) {
        char *what = xasprintf("Could not insert into %s", table);
        r = db_error(g, what);
        free(what);
    }
    return r;
}

/* Counts one inserted row and reports progress now and then. */
static int advance(gen_t *g)
{
    g->done++;
    if (g->done >= g->next_report || g->done == g->total) {
        g->next_report = g->done + 4096;
        if (g->progress && g->progress(g->ud, g->done, g->total))
            return set_error(g->error, TQ_DEMO_EINTERRUPTED,
                             "The demo data generation was interrupted.");
    }
    return 0;
}

/* Loads one row and counts it. */
static int put_row(gen_t *g, tqdb_bulk_t *bulk, const tqdb_datum_t *row,
                   const char *table)
{
    if (tqdb_bulk_row(bulk, row) < 0) {
        char *what = xasprintf("Could not insert into %s", table);
        int r = db_error(g, what);
        free(what);
        return r;
    }
    return advance(g);
}

static tqdb_datum_t text(const char *s)
{
    return tqdb_datum_text(s, strlen(s));
}

/* Rounds to cents. */
static double cents(double x)
{
    return round(x * 100.0) / 100.0;
}

static int exists_any(gen_t *g, bool *exists, char **which)
{
    static const char *const names[] = {"user", "bike", "rental"};
    tqdb_cursor_t *cur;
    *exists = false;
    if (prepare(g, tq_dialect_for(g->db)->catalog[TQ_CATALOG_RELATION_TYPE],
                &cur) < 0)
        return TQ_DEMO_EDATABASE;
    for (size_t i = 0; i < NELEM(names) && !*exists; i++) {
        tqdb_bind_text_static(cur, 1, names[i], -1);
        int rc = tqdb_step(cur);
        if (rc == TQDB_ROW) {
            const char *type = tqdb_column_text(cur, 0);
            *exists = true;
            *which = xasprintf("%s '%s'", type ? type : "(null)", names[i]);
        } else if (rc != TQDB_DONE) {
            tqdb_cursor_free(&cur);
            return db_error(g, "Could not read the schema");
        }
        tqdb_reset(cur);
    }
    tqdb_cursor_free(&cur);
    return 0;
}

/* Whether the connection is SQLite's (main schema, datetime, REAL) rather
 * than PostgreSQL's (search path, timestamp, double precision). */
static bool on_sqlite(gen_t *g)
{
    return strcmp(tq_dialect_for(g->db)->name, "sqlite") == 0;
}

static int create_tables(gen_t *g)
{
    bool sq = on_sqlite(g);
    const char *in = sq ? "main." : "";
    const char *ts = sq ? "datetime" : "timestamp";
    const char *real = sq ? "REAL" : "double precision";
    if (g->opts->replace) {
        char *drop = xasprintf("DROP TABLE IF EXISTS %s\"rental\";"
                               "DROP TABLE IF EXISTS %s\"bike\";"
                               "DROP TABLE IF EXISTS %s\"user\";",
                               in, in, in);
        int r = exec(g, drop);
        free(drop);
        if (r < 0)
            return r;
    }
    char *ddl = xasprintf(
        "CREATE TABLE %s\"user\" (\n"
        "  \"id\" INTEGER PRIMARY KEY,\n"
        "  \"name\" TEXT NOT NULL,\n"
        "  \"email\" TEXT NOT NULL UNIQUE,\n"
        "  \"age\" INTEGER NOT NULL,\n"
        "  \"city\" TEXT NOT NULL,\n"
        "  \"joined\" %s NOT NULL\n"
        ");\n"
        "CREATE TABLE %s\"bike\" (\n"
        "  \"id\" INTEGER PRIMARY KEY,\n"
        "  \"name\" TEXT NOT NULL,\n"
        "  \"kind\" TEXT NOT NULL,\n"
        "  \"city\" TEXT NOT NULL,\n"
        "  \"hourly_rate\" %s NOT NULL\n"
        ");\n"
        "CREATE TABLE %s\"rental\" (\n"
        "  \"id\" INTEGER PRIMARY KEY,\n"
        "  \"user_id\" INTEGER NOT NULL%s,\n"
        "  \"bike_id\" INTEGER NOT NULL%s,\n"
        "  \"start_time\" %s NOT NULL,\n"
        "  \"end_time\" %s NOT NULL,\n"
        "  \"duration_minutes\" INTEGER NOT NULL,\n"
        "  \"total_fee\" %s NOT NULL\n"
        ");\n", in, ts, in, real, in,
        sq ? " REFERENCES \"user\"(\"id\")" : "",
        sq ? " REFERENCES \"bike\"(\"id\")" : "", ts, ts, real);
    int r = exec(g, ddl);
    free(ddl);
    return r;
}

/* The indexes, after the rows are in; on PostgreSQL the foreign keys of
 * rental too: checked row by row during the COPY they cost seven times
 * the load itself, checked at once by ALTER TABLE they cost a second per
 * million rows (SQLite cannot add them later, and checks none unless
 * foreign_keys is on). */
static int create_indexes(gen_t *g)
{
    bool sq = on_sqlite(g);
    const char *in = sq ? "main." : "";
    char *sql = xasprintf(
        "%s"
        "CREATE INDEX %s\"rental_user_id\" ON \"rental\"(\"user_id\");\n"
        "CREATE INDEX %s\"rental_bike_id\" ON \"rental\"(\"bike_id\");\n"
        "CREATE INDEX %s\"rental_start_time\" ON \"rental\"(\"start_time\");\n",
        sq ? "" : "ALTER TABLE \"rental\" "
                  "ADD FOREIGN KEY (\"user_id\") REFERENCES \"user\"(\"id\"), "
                  "ADD FOREIGN KEY (\"bike_id\") REFERENCES \"bike\"(\"id\");\n",
        in, in, in);
    int r = exec(g, sql);
    free(sql);
    return r;
}

static int insert_users(gen_t *g)
{
    static const char *const cols[] = {"id", "name", "email", "age", "city",
                                       "joined"};
    tqdb_bulk_t *bulk;
    double city_cum[NCITIES], acc = 0;
    for (size_t c = 0; c < NCITIES; c++)
        city_cum[c] = acc += city_weights[c];
    int r = bulk_begin(g, "user", cols, (int)NELEM(cols), &bulk);
    if (r < 0)
        return r;
    int64_t n = g->opts->users;
    g->user_city = xmalloc((size_t)n);
    g->user_cum = xmalloc((size_t)n * sizeof(double));
    int64_t join_lo = days_from_civil(2021, 1, 1) * 86400;
    int64_t join_span = (days_from_civil(2024, 1, 1) * 86400) - join_lo;
    double acc_w = 0;
    for (int64_t id = 1; id <= n && r == 0; id++) {
        size_t fi = rng_below(&g->rng, NELEM(first_names));
        size_t li = rng_below(&g->rng, NELEM(last_names));
        char name[96], email[128], joined[20];
        snprintf(name, sizeof name, "%s %s", first_names[fi], last_names[li]);
        snprintf(email, sizeof email, "%s.%s%lld@example.com",
                 first_names_ascii[fi], last_names_ascii[li], (long long)id);
        /* Ages 18..75, most between 22 and 45. */
        int age = 18 + (int)(57.0 * pow(rng_unit(&g->rng), 1.8));
        size_t city = pick_cumulative(&g->rng, city_cum, NCITIES);
        format_time(joined, join_lo + (int64_t)rng_below(&g->rng,
                                                         (uint64_t)join_span));
        /* Activity: log-normal, so a few users ride a lot. */
        acc_w += exp(0.9 * rng_normal(&g->rng));
        g->user_cum[id - 1] = acc_w;
        g->user_city[id - 1] = (unsigned char)city;
        tqdb_datum_t row[] = {
            tqdb_datum_int(id), text(name), text(email), tqdb_datum_int(age),
            text(city_names[city]), tqdb_datum_text(joined, 19),
        };
        r = put_row(g, bulk, row, "user");
    }
    return bulk_end(g, &bulk, r, "user");
}

static int insert_bikes(gen_t *g)
{
    static const char *const cols[] = {"id", "name", "kind", "city",
                                       "hourly_rate"};
    tqdb_bulk_t *bulk;
    double city_cum[NCITIES], kind_cum[NKINDS], acc = 0;
    for (size_t c = 0; c < NCITIES; c++)
        city_cum[c] = acc += city_weights[c];
    acc = 0;
    /* Everyday kinds are more common in the fleet than tandems. */
    for (size_t k = 0; k < NKINDS; k++)
        kind_cum[k] = acc += kind_popularity[k];
    int r = bulk_begin(g, "bike", cols, (int)NELEM(cols), &bulk);
    if (r < 0)
        return r;
    int64_t n = g->opts->bikes;
    size_t ncombos = NELEM(bike_adjectives) * NELEM(bike_nouns);
    /* A random start and a stride coprime with ncombos (400 = 2^4 * 5^2)
     * walk every adjective-noun pair once before any repeats. */
    static const uint64_t strides[] = {7, 13, 17, 23, 31, 37, 41, 43};
    uint64_t stride = strides[rng_below(&g->rng, NELEM(strides))];
    uint64_t start = rng_below(&g->rng, ncombos);
    unsigned char *bike_city = xmalloc((size_t)n);
    g->bike_weight = xmalloc((size_t)n * sizeof(double));
    g->bike_rate = xmalloc((size_t)n * sizeof(double));
    g->bike_cum = xmalloc((size_t)n * sizeof(double));
    double acc_w = 0;
    for (int64_t id = 1; id <= n && r == 0; id++) {
        uint64_t combo = (start + (uint64_t)(id - 1) * stride) % ncombos;
        int64_t round_no = (id - 1) / (int64_t)ncombos;
        char name[96];
        const char *adj = bike_adjectives[combo / NELEM(bike_nouns)];
        const char *noun = bike_nouns[combo % NELEM(bike_nouns)];
        if (round_no == 0)
            snprintf(name, sizeof name, "%s %s", adj, noun);
        else
            snprintf(name, sizeof name, "%s %s %lld", adj, noun,
                     (long long)round_no + 1);
        size_t kind = pick_cumulative(&g->rng, kind_cum, NKINDS);
        size_t city = pick_cumulative(&g->rng, city_cum, NCITIES);
        /* Rates: the kind's base plus 0, 0.50, ... 2.00. */
        double rate = kind_rates[kind] + 0.5 * (double)rng_below(&g->rng, 5);
        double weight = kind_popularity[kind] *
                        exp(0.6 * rng_normal(&g->rng));
        bike_city[id - 1] = (unsigned char)city;
        g->bike_weight[id - 1] = weight;
        g->bike_rate[id - 1] = rate;
        g->bike_cum[id - 1] = acc_w += weight;
        tqdb_datum_t row[] = {
            tqdb_datum_int(id), text(name), text(kind_names[kind]),
            text(city_names[city]), tqdb_datum_float(rate),
        };
        r = put_row(g, bulk, row, "bike");
    }
    r = bulk_end(g, &bulk, r, "bike");
    if (r == 0) {
        /* Per-city lists of bikes with their cumulative popularity. */
        for (int64_t i = 0; i < n; i++)
            g->city_nbikes[bike_city[i]]++;
        for (size_t c = 0; c < NCITIES; c++) {
            g->city_bikes[c] = xcalloc(g->city_nbikes[c], sizeof(int64_t));
            g->city_bike_cum[c] = xcalloc(g->city_nbikes[c], sizeof(double));
            g->city_nbikes[c] = 0;
        }
        for (int64_t i = 0; i < n; i++) {
            size_t c = bike_city[i], k = g->city_nbikes[c]++;
            g->city_bikes[c][k] = i + 1;
            g->city_bike_cum[c][k] =
                (k ? g->city_bike_cum[c][k - 1] : 0) + g->bike_weight[i];
        }
    }
    free(bike_city);
    return r;
}

/* Builds the day and hour distributions. Each day's weight is its month's
 * season times its year's growth times its weekday, times a little random
 * "weather" so that no two weeks look the same. */
static void build_calendar(gen_t *g)
{
    g->first_day = days_from_civil(FIRST_YEAR, 1, 1);
    int64_t last = days_from_civil(FIRST_YEAR + NYEARS, 1, 1);
    g->ndays = (size_t)(last - g->first_day);
    g->day_cum = xmalloc(g->ndays * sizeof(double));
    double acc = 0;
    for (size_t i = 0; i < g->ndays; i++) {
        int64_t day = g->first_day + (int64_t)i;
        int y, m, d;
        civil_from_days(day, &y, &m, &d);
        /* 1970-01-01 was a Thursday (Monday = 0 gives 3). */
        int wd = (int)((day % 7 + 7 + 3) % 7);
        double weather = 0.65 + 0.7 * rng_unit(&g->rng);
        acc += month_factor[m - 1] * year_factor[y - FIRST_YEAR] *
               weekday_factor[wd] * weather;
        g->day_cum[i] = acc;
    }
    acc = 0;
    for (int h = 0; h < 24; h++)
        g->hour_cum[h] = acc += hour_weights[h];
}

static int64_t pick_bike(gen_t *g, size_t city)
{
    size_t n = g->city_nbikes[city];
    /* Mostly a bike of the user's own city; sometimes one met travelling. */
    if (n > 0 && rng_unit(&g->rng) < 0.9)
        return g->city_bikes[city][pick_cumulative(&g->rng,
                                                   g->city_bike_cum[city], n)];
    return (int64_t)pick_cumulative(&g->rng, g->bike_cum,
                                    (size_t)g->opts->bikes) + 1;
}

/* Minutes: commutes are short, leisure rides longer, weekend tours long. */
static int pick_duration(gen_t *g, bool weekend)
{
    double u = rng_unit(&g->rng);
    double p_commute = weekend ? 0.35 : 0.65;
    double p_leisure = weekend ? 0.45 : 0.28;
    if (u < p_commute)
        return 5 + (int)rng_below(&g->rng, 41);        /* 5..45 */
    if (u < p_commute + p_leisure)
        return 45 + (int)rng_below(&g->rng, 136);      /* 45..180 */
    return 180 + (int)rng_below(&g->rng, 301);         /* 180..480 */
}

static int insert_rentals(gen_t *g)
{
    static const char *const cols[] = {"id", "user_id", "bike_id",
                                       "start_time", "end_time",
                                       "duration_minutes", "total_fee"};
    tqdb_bulk_t *bulk;
    int r = bulk_begin(g, "rental", cols, (int)NELEM(cols), &bulk);
    if (r < 0)
        return r;
    int64_t n = g->opts->rentals;
    /* Rentals are drawn in random order of time; ids follow insertion. */
    for (int64_t id = 1; id <= n && r == 0; id++) {
        size_t user = pick_cumulative(&g->rng, g->user_cum,
                                      (size_t)g->opts->users);
        int64_t bike = pick_bike(g, g->user_city[user]);
        size_t di = pick_cumulative(&g->rng, g->day_cum, g->ndays);
        int64_t day = g->first_day + (int64_t)di;
        bool weekend = ((day % 7 + 7 + 3) % 7) >= 5;
        int hour = (int)pick_cumulative(&g->rng, g->hour_cum, 24);
        int64_t start = day * 86400 + hour * 3600 +
                        (int64_t)rng_below(&g->rng, 3600);
        int minutes = pick_duration(g, weekend);
        int64_t end = start + (int64_t)minutes * 60;
        double fee = cents(g->bike_rate[bike - 1] * minutes / 60.0);
        char st[20], et[20];
        format_time(st, start);
        format_time(et, end);
        tqdb_datum_t row[] = {
            tqdb_datum_int(id), tqdb_datum_int((int64_t)user + 1),
            tqdb_datum_int(bike), tqdb_datum_text(st, 19),
            tqdb_datum_text(et, 19), tqdb_datum_int(minutes),
            tqdb_datum_float(fee),
        };
        r = put_row(g, bulk, row, "rental");
    }
    return bulk_end(g, &bulk, r, "rental");
}

static void gen_free(gen_t *g)
{
    free(g->user_city);
    free(g->user_cum);
    free(g->bike_cum);
    free(g->bike_weight);
    free(g->bike_rate);
    free(g->day_cum);
    for (size_t c = 0; c < NCITIES; c++) {
        free(g->city_bikes[c]);
        free(g->city_bike_cum[c]);
    }
}

static int generate(gen_t *g)
{
    int r;
    if ((r = create_tables(g)) < 0 || (r = insert_users(g)) < 0 ||
        (r = insert_bikes(g)) < 0)
        return r;
    build_calendar(g);
    if ((r = insert_rentals(g)) < 0 || (r = create_indexes(g)) < 0)
        return r;
    return 0;
}

/* Public: see demo.h. */
int tq_demo_bikes(tqdb_conn_t *db, const tq_demo_opts_t *opts,
                  tq_demo_progress_fn progress, void *ud, char **error)
{
    assert(db && opts);
    if (error)
        *error = NULL;
    if (opts->users < 1 || opts->users > TQ_DEMO_MAX_USERS ||
        opts->bikes < 1 || opts->bikes > TQ_DEMO_MAX_BIKES ||
        opts->rentals < 0 || opts->rentals > TQ_DEMO_MAX_RENTALS)
        return set_error(error, TQ_DEMO_EINVALID, "The demo needs 1 to %d "
                         "users, 1 to %d bikes and 0 to %d rentals.",
                         TQ_DEMO_MAX_USERS, TQ_DEMO_MAX_BIKES,
                         TQ_DEMO_MAX_RENTALS);
    gen_t g = {
        .db = db, .opts = opts, .progress = progress, .ud = ud,
        .total = opts->users + opts->bikes + opts->rentals,
        .error = error,
    };
    rng_seed(&g.rng, opts->seed);
    if (!opts->replace) {
        bool exists;
        char *which = NULL;
        int r = exists_any(&g, &exists, &which);
        if (r < 0)
            return r;
        if (exists) {
            set_error(error, TQ_DEMO_EEXIST, "The database has a %s already; "
                      "use %%demo bikes --replace to drop and recreate the "
                      "demo tables.", which);
            free(which);
            return TQ_DEMO_EEXIST;
        }
    }
    if (tqdb_savepoint(db, "tq_demo") < 0)
        return db_error(&g, "Could not start the demo transaction");
    int r = generate(&g);
    if (r == 0 && tqdb_release(db, "tq_demo") < 0)
        r = db_error(&g, "Could not commit the demo data");
    if (r < 0) {
        tqdb_rollback_to(db, "tq_demo");
        tqdb_release(db, "tq_demo");
    }
    gen_free(&g);
    return r;
}

/* ---- the %demo magic
 *
 * tests/notebooks/demo_test.c compiles this file with TQ_DEMO_CORE_ONLY to
 * test the generator without linking the interpreter. */
#ifndef TQ_DEMO_CORE_ONLY

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Writes n with thousands separators ("1,000,000"). */
static void format_count(char *out, size_t size, int64_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && digits[i - 1] != '-' && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

/* The demo's progress through the common indicator (tq_ctx_progress):
 * done and total in rows; a non-zero return stops the generation. */
static int on_progress(void *ud, int64_t done, int64_t total)
{
    tq_ctx_t *ctx = ud;
    if (tq_interrupted(ctx))
        return 1;
    tq_ctx_progress(ctx, done, total);
    return 0;
}

/* Public (magic.h): `%demo bikes [--users N] [--bikes N] [--rentals N]
 * [--seed S] [--replace]`. Creates the demo tables in the main database,
 * refreshes the schema so User, Bike and Rental are bound, and returns a
 * text/plain summary. Errors: ValueError for bad arguments or existing
 * tables, ReadOnlyError on a read-only connection, KeyboardInterrupt,
 * DatabaseError. */
tq_value_t *tq_magic_demo(tq_ctx_t *ctx, const char *args, const char *body)
{
    tq_demo_opts_t opts;
    char *error = NULL;
    if (body)
        return tq_raise(ctx, "ValueError", "%%demo is a line magic; use "
                        "%%demo, not %%%%demo.");
    if (tq_demo_parse_args(args, &opts, &error) < 0) {
        tq_raise(ctx, "ValueError", "%s", error);
        free(error);
        return NULL;
    }
    if (tq_ctx_readonly(ctx))
        return tq_raise(ctx, "ReadOnlyError", "The database is open "
                        "read-only; %%demo cannot create tables.");
    double started = now_seconds();
    tq_ctx_progress(ctx, 0, opts.users + opts.bikes + opts.rentals);
    int r = tq_demo_bikes(tq_ctx_db(ctx), &opts, on_progress, ctx, &error);
    double elapsed = now_seconds() - started;
    tq_ctx_progress(ctx, 0, 0);
    if (r < 0) {
        if (r == TQ_DEMO_EINTERRUPTED || tq_interrupted(ctx))
            tq_raise(ctx, "KeyboardInterrupt", "%s", error);
        else if (r == TQ_DEMO_EDATABASE)
            tq_raise(ctx, "DatabaseError", "%s", error);
        else
            tq_raise(ctx, "ValueError", "%s", error);
        free(error);
        return NULL;
    }
    if (tq_schema_refresh(ctx) < 0)
        return NULL;
    char u[32], b[32], rn[32];
    format_count(u, sizeof u, opts.users);
    format_count(b, sizeof b, opts.bikes);
    format_count(rn, sizeof rn, opts.rentals);
    char *text = xasprintf("Created %s users, %s bikes, %s rentals in "
                           "%.2f s (seed %llu)", u, b, rn, elapsed,
                           (unsigned long long)opts.seed);
    tq_bundle_t bundle = {0};
    tq_bundle_add(&bundle, "text/plain", text, strlen(text));
    free(text);
    return tq_bundle_value_new(&bundle);
}

#endif /* TQ_DEMO_CORE_ONLY */
