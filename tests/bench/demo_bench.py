#!/usr/bin/python3
"""This file benchmarks `%demo bikes`, the demo data generator, against a
lower bound: the `sqlite3` shell filling the same three tables with rows of
the same shape from recursive CTEs (random values from SQLite's random(),
no seasonality, no realism). The difference is the price of the realistic
data (weighted calendar, per-city bikes, names) and of the progress
callback. It prints figures and never passes or fails.

Run from the repository root with the Debian Python:
  /usr/bin/python3 tests/bench/demo_bench.py [--build build-demo]
      [--sizes 10000,100000,1000000] [--runs 3]
"""
import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SHELL_SQL = """
CREATE TABLE "user" (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE, age INTEGER NOT NULL, city TEXT NOT NULL,
  joined TEXT NOT NULL);
CREATE TABLE bike (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
  kind TEXT NOT NULL, city TEXT NOT NULL, hourly_rate REAL NOT NULL);
CREATE TABLE rental (id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES "user"(id),
  bike_id INTEGER NOT NULL REFERENCES bike(id), start_time TEXT NOT NULL,
  end_time TEXT NOT NULL, duration_minutes INTEGER NOT NULL,
  total_fee REAL NOT NULL);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO "user" SELECT i, 'User ' || i, 'user' || i || '@example.com',
  18 + abs(random()) % 57, 'City ' || abs(random()) % 6,
  datetime('2021-01-01', '+' || (abs(random()) % 1095) || ' days') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
INSERT INTO bike SELECT i, 'Bike ' || i, 'city', 'City ' || abs(random()) % 6,
  8 + abs(random()) % 10 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rentals}),
r AS (SELECT i, datetime('2024-01-01', '+' || (abs(random()) % 94694400) || ' seconds') AS s,
             5 + abs(random()) % 476 AS d FROM n)
INSERT INTO rental SELECT i, 1 + abs(random()) % 200, 1 + abs(random()) % 50,
  s, datetime(s, '+' || d || ' minutes'), d, round(d * 12.5 / 60, 2) FROM r;
CREATE INDEX rental_user_id ON rental(user_id);
CREATE INDEX rental_bike_id ON rental(bike_id);
CREATE INDEX rental_start_time ON rental(start_time);
COMMIT;
"""


def time_tabula(run, rentals):
    """Seconds the magic reports for itself, and the process's wall time."""
    t0 = time.perf_counter()
    out = subprocess.run([run, ":memory:", f"%demo bikes --rentals {rentals}"],
                         capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - t0
    m = re.search(r"in (\d+\.\d+) s", out)
    if not m:
        sys.exit(f"unexpected output from tabula-run: {out!r}")
    return float(m.group(1)), wall


def time_shell(shell, rentals):
    t0 = time.perf_counter()
    subprocess.run([shell, ":memory:"], input=SHELL_SQL.format(rentals=rentals),
                   capture_output=True, text=True, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-demo")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    run = f"{args.build}/lang/tabula-run"
    shell = shutil.which("sqlite3")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"%demo bikes vs the sqlite3 shell, median of {args.runs} runs, :memory:")
    print(f"{'rentals':>10} {'%demo (magic)':>14} {'%demo (process)':>16}"
          f" {'sqlite3 CTE fill':>17} {'rows/s (%demo)':>15}")
    for n in sizes:
        magic, wall = zip(*(time_tabula(run, n) for _ in range(args.runs)))
        m, w = statistics.median(magic), statistics.median(wall)
        sh = (statistics.median(time_shell(shell, n) for _ in range(args.runs))
              if shell else float("nan"))
        print(f"{n:>10,} {m:>12.3f} s {w:>14.3f} s {sh:>15.3f} s"
              f" {n / m if m else float('inf'):>15,.0f}")


if __name__ == "__main__":
    main()
