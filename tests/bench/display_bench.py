#!/usr/bin/python3
"""This file benchmarks what a user sees: displayed cells of the bike
demo (`%demo bikes`, ANALYZEd), timed from execute_request to iopub idle
through jupyter_client and a real tabula kernel, side by side with the
`sqlite3` shell running the SQL Tabula emits for the cell and the SQL
Django would emit for the same query set. One run of each at every size
(after one warm-up run of the shell, so that every figure reads a warm
page cache), then the growth exponent of each column between each two
consecutive sizes (the log-log slope; 1.0: linear in the rentals).

Frames, after load, against pandas on the same rows: each frame cell is
timed through the kernel (displayed, as a user sees it) and the same
pandas operation in this process, its display included (repr and
_repr_html_, as a notebook renders it), the frame and the pandas
DataFrame built once per size from the rentals (pandas.read_sql).

It prints figures and never passes or fails. Run from the repository root
with the Debian Python:

  /usr/bin/python3 tests/bench/display_bench.py [--build build]
      [--sizes 100000,1000000] [--big] [--no-frames]
      [--dir /tmp/tabula-display-bench]

--big adds 10,000,000 rentals (generating it takes minutes).

Databases are generated once per size in --dir (`%demo bikes --rentals N`
then ANALYZE) and reused by later runs.
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import fmt

# (name, displayed cell, the SQL Django 4.2 would emit on SQLite for it)
CASES = [
    ("top bikes by revenue",
     "Bike.annotate(revenue=Sum('rental__total_fee')).order_by('-revenue')[:10]",
     'SELECT "bike"."id", "bike"."name", "bike"."kind", "bike"."city", '
     '"bike"."hourly_rate", SUM("rental"."total_fee") AS "revenue" '
     'FROM "bike" LEFT OUTER JOIN "rental" ON ("bike"."id" = "rental"."bike_id") '
     'GROUP BY "bike"."id", "bike"."name", "bike"."kind", "bike"."city", '
     '"bike"."hourly_rate" ORDER BY 6 DESC LIMIT 10'),
    ("2025 revenue per month",
     "Rental.filter(start_time__year=2025).values(month=TruncMonth('start_time'))"
     ".annotate(revenue=Sum('total_fee')).order_by('month')",
     'SELECT date("rental"."start_time", \'start of month\') AS "month", '
     'SUM("rental"."total_fee") AS "revenue" FROM "rental" '
     'WHERE "rental"."start_time" BETWEEN \'2025-01-01 00:00:00\' '
     'AND \'2025-12-31 23:59:59.999999\' '
     'GROUP BY 1 ORDER BY 1 ASC'),
    ("users' rentals and spend",
     "User.annotate(rentals=Count('rental'), spend=Sum('rental__total_fee'))"
     ".order_by('-spend')",
     'SELECT "user"."id", "user"."name", "user"."email", "user"."age", '
     '"user"."city", "user"."joined", COUNT("rental"."id") AS "rentals", '
     'SUM("rental"."total_fee") AS "spend" FROM "user" LEFT OUTER JOIN '
     '"rental" ON ("user"."id" = "rental"."user_id") GROUP BY "user"."id", '
     '"user"."name", "user"."email", "user"."age", "user"."city", '
     '"user"."joined" ORDER BY 8 DESC'),
    ("spend on electric bikes",
     "User.filter(rental__bike__kind='electric')"
     ".annotate(spend=Sum('rental__total_fee')).order_by('-spend')",
     'SELECT "user"."id", "user"."name", "user"."email", "user"."age", '
     '"user"."city", "user"."joined", SUM("rental"."total_fee") AS "spend" '
     'FROM "user" INNER JOIN "rental" ON ("user"."id" = "rental"."user_id") '
     'INNER JOIN "bike" ON ("rental"."bike_id" = "bike"."id") '
     'WHERE "bike"."kind" = \'electric\' GROUP BY "user"."id", "user"."name", '
     '"user"."email", "user"."age", "user"."city", "user"."joined" '
     'ORDER BY 7 DESC'),
    ("all rentals (60 shown)",
     "Rental.objects.all()",
     'SELECT "rental"."id", "rental"."user_id", "rental"."bike_id", '
     '"rental"."start_time", "rental"."end_time", "rental"."duration_minutes", '
     '"rental"."total_fee" FROM "rental"'),
]


# (name, Tabula cell on the frame `df`, pandas on the DataFrame `pdf`)
FRAME_LOAD = ("Rental.values('bike_id', 'duration_minutes', 'total_fee')"
              ".dataframe()")
FRAME_CASES = [
    ("show", "df", lambda d: d),
    ("groupby sum", "df.groupby('bike_id').sum()",
     lambda d: d.groupby("bike_id").sum()),
    ("groupby mean", "df.groupby('bike_id').mean()",
     lambda d: d.groupby("bike_id").mean()),
    ("describe", "df.describe()", lambda d: d.describe()),
    ("column arithmetic", "df['fee2'] = df['total_fee'] * 2 + 1; df['fee2']",
     lambda d: d.assign(fee2=d["total_fee"] * 2 + 1)["fee2"]),
    ("sort_values().head()", "df.sort_values('total_fee').head()",
     lambda d: d.sort_values("total_fee").head()),
]


def pandas_seconds(fn, pdf):
    """Seconds of one pandas operation with its display (repr and HTML)."""
    t0 = time.perf_counter()
    r = fn(pdf)
    repr(r)
    if hasattr(r, "_repr_html_"):
        r._repr_html_()
    return time.perf_counter() - t0


def generate(run, path, rentals):
    if os.path.exists(path):
        return
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    subprocess.run([run, tmp, f"%demo bikes --rentals {rentals}"], check=True,
                   capture_output=True)
    subprocess.run(["sqlite3", tmp, "ANALYZE"], check=True)
    os.rename(tmp, path)


def tabula_sql(run, db, cell):
    """The SQL the displayed cell runs (rewrites included)."""
    p = subprocess.run([run, "--readonly", db, f"print(({cell}).query)"],
                       capture_output=True, text=True,
                       env=dict(os.environ, TABULA_REWRITE="show"))
    return p.stdout.strip() if p.returncode == 0 else None


def shell_seconds(db, sql):
    """Wall time of the sqlite3 shell running sql once (rows to a pipe)."""
    t0 = time.perf_counter()
    subprocess.run(["sqlite3", "-readonly", db], input=sql + ";\n",
                   capture_output=True, text=True, check=True)
    return time.perf_counter() - t0


class Kernel(benchlib.Kernel):
    """A tabula kernel on one database, read-only (benchlib.Kernel), in a
    directory of its own that close() removes."""

    def __init__(self, binary, db):
        self.root = tempfile.mkdtemp(prefix="tabula-display-bench-")
        os.environ["TABULA_HISTORY"] = os.path.join(self.root, "h.sqlite")
        super().__init__(binary, ["--database", db, "--readonly"], self.root,
                         "tabula-bench", "Tabula (bench)", ready_timeout=30)

    def cell(self, code):
        """Seconds from execute_request to iopub idle, and the bytes of
        the displayed result (None on an error)."""
        t, size, error = super().cell(code)
        return t, (size if error is None else None)

    def close(self):
        super().close()
        shutil.rmtree(self.root, ignore_errors=True)


def exponent(a, b, na, nb):
    if not a or not b or a <= 0 or b <= 0:
        return "  n/a"
    return "%5.2f" % (math.log(b / a) / math.log(nb / na))


def exponents(values, sizes):
    """The log-log slope between each two consecutive sizes: "e1 e2"."""
    return " ".join(exponent(values[k], values[k + 1], sizes[k], sizes[k + 1])
                    .strip() for k in range(len(sizes) - 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--dir", default="/tmp/tabula-display-bench")
    ap.add_argument("--only", default="", help="case numbers, e.g. 1,3")
    ap.add_argument("--big", action="store_true",
                    help="add 10,000,000 rentals")
    ap.add_argument("--no-frames", action="store_true",
                    help="skip frames against pandas")
    a = ap.parse_args()
    run = os.path.join(a.build, "lang", "tabula-run")
    kernel = os.path.join(a.build, "kernel", "tabula-kernel")
    if not (os.path.exists(run) and os.path.exists(kernel)):
        sys.exit("build first (ninja -C %s)" % a.build)
    if not shutil.which("sqlite3"):
        sys.exit("no sqlite3 shell on PATH")
    os.makedirs(a.dir, exist_ok=True)
    sizes = [int(s) for s in a.sizes.split(",")]
    if a.big and 10000000 not in sizes:
        sizes.append(10000000)
    pd = None
    if not a.no_frames:
        try:
            import pandas as pd
        except ImportError:
            print("no pandas: frames are not compared\n")
    cases = list(enumerate(CASES, 1))
    if a.only:
        keep = {int(x) for x in a.only.split(",")}
        cases = [c for c in cases if c[0] in keep]
    results = {}
    frames = {}
    for n in sizes:
        db = os.path.join(a.dir, "bikes-%d.sqlite" % n)
        generate(run, db, n)
        k = Kernel(kernel, db)
        try:
            for i, (name, cell, django) in cases:
                ours = tabula_sql(run, db, cell)
                shell_seconds(db, ours or django)          # warm the cache
                cell_t, size = k.cell(cell)
                sh = shell_seconds(db, ours) if ours else None
                dj = shell_seconds(db, django)
                results[(i, n)] = (cell_t if size is not None else None,
                                   sh, dj, size)
                if n == sizes[0]:
                    print("(%d) %s\n    cell:   %s\n    tabula: %s\n"
                          "    django: %s" % (i, name, cell, ours, django))
            if pd is not None:
                load_t, _ = k.cell("df = " + FRAME_LOAD)
                import sqlite3
                t0 = time.perf_counter()
                con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
                pdf = pd.read_sql("SELECT id, bike_id, duration_minutes, "
                                  "total_fee FROM rental ORDER BY id", con,
                                  index_col="id")
                con.close()
                frames[("load", n)] = (load_t, time.perf_counter() - t0)
                for name, cell, fn in FRAME_CASES:
                    cell_t, size = k.cell(cell)
                    frames[(name, n)] = (cell_t if size is not None else None,
                                         pandas_seconds(fn, pdf))
                del pdf
        finally:
            k.close()
    print("\none run each; cell = execute_request to iopub idle; shell = "
          "sqlite3 process wall time\n")
    head = "%-30s %9s %10s %10s %10s %7s %7s %8s" % (
        "query", "rentals", "cell", "shell(ours)", "shell(dj)", "cell/sh",
        "dj/cell", "shown")
    print(head)
    for i, (name, _, _) in cases:
        for n in sizes:
            c, sh, dj, size = results[(i, n)]
            print("%-30s %9s %10s %10s %10s %7s %7s %8s" % (
                "(%d) %s" % (i, name) if n == sizes[0] else "", "{:,}".format(n),
                fmt(c), fmt(sh), fmt(dj),
                "%.2f" % (c / sh) if c and sh else "n/a",
                "%.2f" % (dj / c) if c and dj else "n/a",
                "{:,}".format(size) if size is not None else "n/a"))
        if len(sizes) > 1:
            col = [[results[(i, n)][c] for n in sizes] for c in range(3)]
            print("%-30s %9s %10s %10s %10s" % (
                "", "exponent", exponents(col[0], sizes),
                exponents(col[1], sizes), exponents(col[2], sizes)))
    if frames:
        print("\nframes against pandas (after load; each displayed; pandas "
              "with repr and _repr_html_)\n")
        print("%-30s %9s %10s %10s %7s" % ("operation", "rentals", "tabula",
                                           "pandas", "tq/pd"))
        for name in ["load"] + [c[0] for c in FRAME_CASES]:
            for n in sizes:
                t, p = frames[(name, n)]
                print("%-30s %9s %10s %10s %7s" % (
                    name if n == sizes[0] else "", "{:,}".format(n), fmt(t),
                    fmt(p), "%.2f" % (t / p) if t and p else "n/a"))
            if len(sizes) > 1:
                print("%-30s %9s %10s %10s" % (
                    "", "exponent",
                    exponents([frames[(name, n)][0] for n in sizes], sizes),
                    exponents([frames[(name, n)][1] for n in sizes], sizes)))


if __name__ == "__main__":
    main()
