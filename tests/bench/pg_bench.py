#!/usr/bin/python3
"""This file benchmarks Tabula on PostgreSQL against `psql`, one run each,
printed side by side, on the bike demo with 1,000,000 rentals:

  queries  the three queries of tests/bench/query_bench.py on the demo's
           schema ((a) top 10 bikes by revenue, (b) 2025 revenue per
           month, (c) a count filtered through two relations) plus (d) a
           displayed multi-join annotate (rides and revenue per user city
           and bike kind), each a displayed cell timed through a real
           Jupyter client from execute_request to iopub idle, against
           `psql -f` running the SQL Tabula sends (`.query` with
           TABULA_REWRITE=show, so its rewrites included; for the count, the
           COUNT(*) it sends) with its rows to /dev/null, as the wall
           time of the psql process (connection included) and as psql's
           own \\timing of the statement;
  load     `%demo bikes --rentals N` through the kernel (a fresh database)
           against `psql` creating the same tables and indexes and
           `\\copy`-ing the same rows from CSV (a fresh database).

The rows: `%demo bikes --rentals N` run by tabula-run into an SQLite file
(the same generator, same seed, as on PostgreSQL), written to CSV, then
`\\copy`-ed; the queries run on that copy (ANALYZEd), so they run even
when %demo cannot load PostgreSQL itself.

The server is a throwaway cluster (tests/pg/pgcluster.py), never the
machine's own; --url names another server instead (the bench creates and
drops databases tq_bench_*). It prints figures and never passes or fails.
Run from the repository root with the Debian Python:

  /usr/bin/python3 tests/bench/pg_bench.py [--build build]
      [--rentals 1000000] [--url postgresql://...] [--dir /tmp/tabula-pg-bench]
"""
import argparse
import csv
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pg"))
import pgcluster  # noqa: E402
from benchlib import fmt  # noqa: E402
import benchlib  # noqa: E402

# (name, displayed cell, the SQL for psql or None: the cell's own .query)
CASES = [
    ("(a) top 10 bikes by revenue",
     "Bike.annotate(revenue=Sum('rental__total_fee')).order_by('-revenue')"
     ".values('name', 'revenue')[:10]", None),
    ("(b) 2025 revenue per month",
     "Rental.filter(start_time__year=2025).values(month=TruncMonth("
     "'start_time')).annotate(revenue=Sum('total_fee')).order_by('month')",
     None),
    ("(c) count through relations",
     "Rental.filter(bike__kind='city', user__age__lt=30).count()",
     'SELECT COUNT(*) AS "__count" FROM "public"."rental" INNER JOIN '
     '"public"."bike" ON ("rental"."bike_id" = "bike"."id") INNER JOIN '
     '"public"."user" ON ("rental"."user_id" = "user"."id") WHERE '
     '"bike"."kind" = \'city\' AND "user"."age" < 30'),
    ("(d) multi-join annotate",
     "Rental.values('user__city', 'bike__kind').annotate(rides=Count('id'), "
     "revenue=Sum('total_fee'), avg_minutes=Avg('duration_minutes'))"
     ".order_by('-revenue')", None),
]

# The demo's tables as %demo bikes makes them, in PostgreSQL's types.
DDL = """
CREATE TABLE "user" (id integer PRIMARY KEY, name text NOT NULL,
  email text NOT NULL UNIQUE, age integer NOT NULL, city text NOT NULL,
  joined timestamp NOT NULL);
CREATE TABLE bike (id integer PRIMARY KEY, name text NOT NULL,
  kind text NOT NULL, city text NOT NULL,
  hourly_rate double precision NOT NULL);
CREATE TABLE rental (id integer PRIMARY KEY,
  user_id integer NOT NULL REFERENCES "user"(id),
  bike_id integer NOT NULL REFERENCES bike(id),
  start_time timestamp NOT NULL, end_time timestamp NOT NULL,
  duration_minutes integer NOT NULL, total_fee double precision NOT NULL);
"""
INDEXES = """
CREATE INDEX rental_user_id ON rental(user_id);
CREATE INDEX rental_bike_id ON rental(bike_id);
CREATE INDEX rental_start_time ON rental(start_time);
"""


def with_db(url, db):
    return url.rsplit("/", 1)[0] + "/" + db


def psql_argv(url):
    return [os.path.join(pgcluster.bindir(), "psql"), "-X", "-q",
            "-v", "ON_ERROR_STOP=1", url]


def psql_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def psql(url, sql):
    subprocess.run(psql_argv(url) + ["-c", sql], check=True, env=psql_env(),
                   capture_output=True, text=True)


def fresh_db(url, name):
    psql(url, f'DROP DATABASE IF EXISTS "{name}"')
    psql(url, f'CREATE DATABASE "{name}"')
    return with_db(url, name)


def psql_script(url, script, tmp):
    """Wall seconds of `psql -f script` (output to /dev/null) and the sum
    of its \\timing figures."""
    path = os.path.join(tmp, "script.sql")
    with open(path, "w") as f:
        f.write("\\timing on\n" + script)
    t0 = time.perf_counter()
    p = subprocess.run(psql_argv(url) + ["-f", path, "-o", "/dev/null"],
                       env=psql_env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(p.stderr)
    # \timing goes to stdout, unlike the rows (-o): "Time: 12.345 ms"
    ms = [float(x) for x in re.findall(r"Time: ([0-9.]+) ms", p.stdout)]
    return wall, sum(ms) / 1e3 if ms else None


def Kernel(binary, url, root):
    """A tabula kernel on one database URL (benchlib.Kernel), without the
    PG* variables of this shell and with its history under `root`."""
    env = psql_env()
    env["TABULA_HISTORY"] = os.path.join(root, "h.sqlite")
    return benchlib.Kernel(binary, ["--database", url], root,
                           "tabula-pg-bench", "Tabula (pg bench)", env=env)


def generate(run, sqlite_path, rentals, csv_dir):
    """The demo's rows as CSV files (user, bike, rental), from tabula-run's
    %demo into SQLite; reused when already there."""
    paths = {t: os.path.join(csv_dir, f"{t}-{rentals}.csv")
             for t in ("user", "bike", "rental")}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    if os.path.exists(sqlite_path):
        os.remove(sqlite_path)
    subprocess.run([run, sqlite_path, f"%demo bikes --rentals {rentals}"],
                   check=True, capture_output=True)
    con = sqlite3.connect(sqlite_path)
    for t, p in paths.items():
        with open(p + ".tmp", "w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(
                con.execute(f'SELECT * FROM "{t}" ORDER BY id'))
        os.rename(p + ".tmp", p)
    con.close()
    os.remove(sqlite_path)
    return paths


def copy_script(paths):
    return (DDL + "".join(f"\\copy \"{t}\" FROM '{p}' (FORMAT csv)\n"
                          for t, p in paths.items()) + INDEXES)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rentals", type=int, default=1000000)
    ap.add_argument("--url", help="a server of your own (never port 5432's "
                                  "unless it is yours); default: a "
                                  "throwaway cluster")
    ap.add_argument("--dir", default="/tmp/tabula-pg-bench")
    a = ap.parse_args()
    run = os.path.join(a.build, "lang", "tabula-run")
    kernel = os.path.join(a.build, "kernel", "tabula-kernel")
    if not (os.path.exists(run) and os.path.exists(kernel)):
        sys.exit("build first (ninja -C %s)" % a.build)
    os.makedirs(a.dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tabula-pg-bench-")
    t0 = time.perf_counter()
    paths = generate(run, os.path.join(a.dir, "bikes.sqlite"), a.rentals,
                     a.dir)
    print("rows: %s rentals (%s to generate or reuse the CSV)"
          % ("{:,}".format(a.rentals), fmt(time.perf_counter() - t0)))
    server = pgcluster._Named(a.url) if a.url else pgcluster.Cluster()
    try:
        with server as pg:
            bench(pg.url, kernel, paths, a.rentals, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench(url, kernel, paths, rentals, tmp):
    print("server: %s (%s)" % (re.sub(r":[^@/]*@", ":***@", url),
                               subprocess.run(
                                   psql_argv(url) + ["-A", "-t", "-c",
                                                     "SHOW server_version"],
                                   env=psql_env(), capture_output=True,
                                   text=True).stdout.strip()))
    # ---- load: psql \copy, then %demo through the kernel
    copied = fresh_db(url, "tq_bench_copy")
    copy_wall, copy_server = psql_script(copied, copy_script(paths), tmp)
    demo_db = fresh_db(url, "tq_bench_demo")
    k = Kernel(kernel, demo_db, tmp)
    try:
        demo_t, _, demo_err = k.cell(f"%demo bikes --rentals {rentals}")
    finally:
        k.close()
    psql(url, 'DROP DATABASE IF EXISTS "tq_bench_demo"')
    psql(copied, "ANALYZE")

    # ---- queries on the copy
    k = Kernel(kernel, copied, tmp)
    rows = []
    try:
        for name, cell, sql in CASES:
            if sql is None:
                p = subprocess.run(
                    [os.path.join(os.path.dirname(kernel), "..", "lang",
                                  "tabula-run"), copied,
                     f"print(({cell}).query)"],
                    capture_output=True, text=True,
                    env=dict(psql_env(), TABULA_REWRITE="show"))
                sql = p.stdout.strip() if p.returncode == 0 else None
            if sql:
                psql_script(copied, sql + ";\n", tmp)        # warm the cache
            cell_t, size, err = k.cell(cell)
            wall, server = (psql_script(copied, sql + ";\n", tmp) if sql
                            else (None, None))
            rows.append((name, cell, sql, cell_t if not err else None, wall,
                         server, size, err))
    finally:
        k.close()
        psql(url, 'DROP DATABASE IF EXISTS "tq_bench_copy"')

    for name, cell, sql, *_ in rows:
        print("%s\n    cell: %s\n    sql:  %s" % (name, cell, sql))
    print("\none run each; cell = execute_request to iopub idle (displayed);"
          "\npsql = `psql -f` process wall time, rows to /dev/null; "
          "\\timing = psql's own figure for the statement\n")
    print("%-30s %10s %10s %10s %9s %9s %8s" % (
        "query", "cell", "psql", "\\timing", "cell/psql", "cell/\\tm",
        "shown"))
    for name, _, _, c, wall, server, size, err in rows:
        print("%-30s %10s %10s %10s %9s %9s %8s" % (
            name, fmt(c), fmt(wall), fmt(server),
            "%.2f" % (c / wall) if c and wall else "n/a",
            "%.2f" % (c / server) if c and server else "n/a",
            "{:,}".format(size) if not err else "n/a"))
        if err:
            print("    kernel: %s" % err)
    print("\nload %s rentals into a fresh database" % "{:,}".format(rentals))
    print("%-40s %10s" % ("%demo bikes --rentals N (kernel cell)",
                          fmt(demo_t if not demo_err else None)))
    if demo_err:
        print("    kernel: %s" % demo_err)
    print("%-40s %10s   (\\timing sum %s)" % (
        "psql: CREATE TABLE, \\copy, CREATE INDEX", fmt(copy_wall),
        fmt(copy_server)))
    if not demo_err:
        print("%-40s %10.2f" % ("%demo / psql", demo_t / copy_wall))


if __name__ == "__main__":
    main()
