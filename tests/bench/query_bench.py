#!/usr/bin/python3
"""This file benchmarks Tabula's query sets against the same SQL in SQLite.

It generates a bike-rental database of 1,000,000 rentals (one INSERT with a
recursive CTE per table, a few seconds), then times three queries as
Tabula cells through `tabula-run --time N` and as hand-written SQL through
Python's sqlite3 module and through the `sqlite3` shell:

  (a) top 10 bikes by revenue (a reverse-relation aggregate, GROUP BY)
  (b) 2025 revenue per month (sargable year filter, TruncMonth, GROUP BY)
  (c) a count filtered through a relation (INNER JOIN)

plus the interpreter's overhead for a cell that builds a query and touches
no rows (the target is < 50 µs). It prints figures and never passes or
fails. Run with /usr/bin/python3 from the repository root:

  /usr/bin/python3 tests/bench/query_bench.py [--build build-db]
      [--rentals 1000000] [--db /tmp/tabula_bench.sqlite] [--runs 5]
"""
import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time

SCHEMA = """
CREATE TABLE user (id INTEGER PRIMARY KEY, name varchar(100) NOT NULL,
                   age integer NOT NULL);
CREATE TABLE bike (id INTEGER PRIMARY KEY, name text NOT NULL,
                   model text NOT NULL);
CREATE TABLE rental (id INTEGER PRIMARY KEY,
                     user_id integer NOT NULL REFERENCES user(id),
                     bike_id integer NOT NULL REFERENCES bike(id),
                     start_time text NOT NULL, total_fee real NOT NULL);
"""

FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {users})
INSERT INTO user SELECT i, 'user ' || i, 18 + (i * 7919) % 60 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {bikes})
INSERT INTO bike SELECT i, 'bike ' || i,
    CASE i % 3 WHEN 0 THEN 'city' WHEN 1 THEN 'mountain' ELSE 'road' END FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rentals})
INSERT INTO rental SELECT i, 1 + (i * 2654435761) % {users},
    1 + (i * 40503) % {bikes},
    datetime('2023-01-01', '+' || ((i * 104729) % (3 * 365 * 24 * 60)) || ' minutes'),
    round(1 + ((i * 97) % 2000) / 100.0, 2) FROM n;
CREATE INDEX rental_bike ON rental(bike_id);
CREATE INDEX rental_user ON rental(user_id);
CREATE INDEX rental_start ON rental(start_time);
ANALYZE;
"""

CASES = [
    ("(a) top 10 bikes by revenue",
     "list(Bike.annotate(revenue=Sum('rental__total_fee'))"
     ".order_by('-revenue').values_list('name', 'revenue')[:10])",
     'SELECT "bike"."name", SUM("rental"."total_fee") AS "revenue" '
     'FROM "bike" LEFT OUTER JOIN "rental" ON ("bike"."id" = "rental"."bike_id") '
     'GROUP BY "bike"."id" ORDER BY "revenue" DESC LIMIT 10'),
    ("(b) 2025 revenue per month",
     "list(Rental.filter(start_time__year=2025)"
     ".values(month=TruncMonth('start_time'))"
     ".annotate(revenue=Sum('total_fee')).order_by('month'))",
     "SELECT date(start_time, 'start of month') AS month, "
     "SUM(total_fee) AS revenue FROM rental "
     "WHERE start_time >= '2025-01-01' AND start_time < '2026-01-01' "
     "GROUP BY 1 ORDER BY month"),
    ("(c) count through a relation",
     "Rental.filter(bike__model='city', user__age__lt=30).count()",
     "SELECT COUNT(*) FROM rental JOIN bike ON rental.bike_id = bike.id "
     "JOIN user ON rental.user_id = user.id "
     "WHERE bike.model = 'city' AND user.age < 30"),
]

OVERHEAD = [
    ("build a query set, no rows",
     "qs = User.filter(age__lt=30, name__startswith='user 1')"
     ".exclude(age=20).order_by('-age')[:10]"),
    ("build + compile to SQL, no rows",
     "s = str(User.filter(age__lt=30).annotate(n=Count('rental'))"
     ".order_by('-n')[:10].query)"),
]


def generate(path, users, bikes, rentals):
    if os.path.exists(path):
        os.remove(path)
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    con.executescript(FILL.format(users=users, bikes=bikes, rentals=rentals))
    con.commit()
    con.close()
    return time.perf_counter() - t0


def fmt(sec):
    if sec < 1e-3:
        return "%.1f µs" % (sec * 1e6)
    if sec < 1:
        return "%.2f ms" % (sec * 1e3)
    return "%.2f s" % sec


def parse_time(text):
    """Seconds from tabula-run --time's report (a number and a unit)."""
    m = re.search(r"([0-9.]+)\s*(ns|µs|us|ms|s)\b", text)
    if not m:
        return None
    scale = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    return float(m.group(1)) * scale[m.group(2)]


def tabula_cell(run, db, cell, n, wall_too=True):
    """Mean seconds per run of one cell inside one session (tabula-run
    --time N), and the wall time of a whole `tabula-run DB CELL` process
    that runs the cell once (start-up, schema read, the query, exit)."""
    p = subprocess.run([run, "--readonly", "--time", str(n), db, cell],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, None, p.stderr.strip()
    wall = None
    if wall_too:
        t0 = time.perf_counter()
        subprocess.run([run, "--readonly", db, cell], capture_output=True)
        wall = time.perf_counter() - t0
    return parse_time(p.stderr), wall, p.stderr.strip()


def python_sql(db, sql, n):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    best = []
    for _ in range(n):
        t0 = time.perf_counter()
        con.execute(sql).fetchall()
        best.append(time.perf_counter() - t0)
    con.close()
    return sum(best) / len(best)


def shell_sql(db, sql, n):
    """Mean `Run Time: real` of the sqlite3 shell's .timer over n runs."""
    exe = shutil.which("sqlite3")
    if not exe:
        return None
    script = ".timer on\n" + (sql + ";\n") * n
    p = subprocess.run([exe, "-readonly", db], input=script,
                       capture_output=True, text=True)
    times = [float(x) for x in re.findall(r"Run Time: real ([0-9.]+)",
                                          p.stdout + p.stderr)]
    return sum(times) / len(times) if times else None


def kernel_times(kernel, db, cells, runs):
    """Mean round trip (execute_request to its reply) of each cell through
    a real Jupyter client and the tabula kernel opened read-only on db."""
    import json
    import tempfile
    from jupyter_client import KernelManager
    root = tempfile.mkdtemp(prefix="tabula-bench-")
    spec = os.path.join(root, "kernels", "tabula-bench")
    os.makedirs(spec)
    with open(os.path.join(spec, "kernel.json"), "w") as f:
        json.dump({"argv": [os.path.abspath(kernel), "-f", "{connection_file}",
                            "--database", db, "--readonly"],
                   "display_name": "Tabula (bench)", "language": "tabula"}, f)
    os.environ["JUPYTER_PATH"] = root
    km = KernelManager(kernel_name="tabula-bench")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    out = []
    try:
        kc.wait_for_ready(timeout=30)
        for cell in cells:
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                msg_id = kc.execute(cell)
                while True:
                    reply = kc.get_shell_msg(timeout=600)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        break
                times.append(time.perf_counter() - t0)
                ok = reply["content"]["status"] == "ok"
            out.append(sum(times) / len(times) if ok else None)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        shutil.rmtree(root, ignore_errors=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build-db")
    ap.add_argument("--rentals", type=int, default=1000000)
    ap.add_argument("--users", type=int, default=10000)
    ap.add_argument("--bikes", type=int, default=1000)
    ap.add_argument("--db", default="/tmp/tabula_bench.sqlite")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--reuse", action="store_true",
                    help="keep an existing database file")
    a = ap.parse_args()
    run = os.path.join(a.build, "lang", "tabula-run")
    if not os.path.exists(run):
        sys.exit("no %s: build first (ninja -C %s)" % (run, a.build))
    if not (a.reuse and os.path.exists(a.db)):
        gen = generate(a.db, a.users, a.bikes, a.rentals)
        print("generated %d rentals, %d users, %d bikes in %s (%s)"
              % (a.rentals, a.users, a.bikes, fmt(gen), a.db))
    print("sqlite %s; means of %d runs\n" % (sqlite3.sqlite_version, a.runs))
    print("%-32s %12s %12s %12s %12s" % ("query", "tabula cell", "py sqlite3",
                                         "sqlite3 sh", "tabula-run"))
    for name, cell, sql in CASES:
        t, wall, msg = tabula_cell(run, a.db, cell, a.runs)
        py = python_sql(a.db, sql, a.runs)
        sh = shell_sql(a.db, sql, a.runs)
        print("%-32s %12s %12s %12s %12s" % (
            name, fmt(t) if t else "error", fmt(py),
            fmt(sh) if sh is not None else "n/a",
            fmt(wall) if wall else "error"))
        if t is None:
            print("   tabula-run: %s" % msg)
    print()
    for name, cell in OVERHEAD:
        n = 20000
        t, wall, msg = tabula_cell(run, a.db, cell, n, False)
        print("%-32s %12s per cell (%d runs in one session)"
              % (name, fmt(t) if t else "error: " + msg, n))
    kernel = os.path.join(a.build, "kernel", "tabula-kernel")
    if os.path.exists(kernel):
        print("\nthrough the kernel (jupyter_client round trip, mean of %d)"
              % a.runs)
        cells = [c for _, c, _ in CASES] + [c for _, c in OVERHEAD]
        names = [n for n, _, _ in CASES] + [n for n, _ in OVERHEAD]
        try:
            for name, t in zip(names, kernel_times(kernel, a.db, cells,
                                                   a.runs)):
                print("%-32s %12s" % (name, fmt(t) if t else "error"))
        except Exception as e:  # the figures above stand on their own
            print("kernel run failed: %s" % e)


if __name__ == "__main__":
    main()
