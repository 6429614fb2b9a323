#!/usr/bin/python3
"""This file benchmarks charts of many points side by side: Tabula's
chart-bench (tests/bench/chart_bench.c: a line chart with x ordered, one
with x unordered, a scatter, each drawn from a SQLite statement into a 2x
PNG, the best of REPS runs) and pandas + matplotlib (Agg) drawing the
same points into a PNG of the same pixels (6.4 x 4 in at 200 dpi), from
pandas.read_sql of the same statement. Times are CPU seconds of each
process (the machine is shared: wall time would be other people's work).
It prints figures and never passes or fails:

  ninja -C build tests/unit/render/chart-bench
  /usr/bin/python3 tests/bench/chart_bench.py [--build build] [--n 1000000]
      [--reps 3] [--quick]

Record (issue 15), tabula's side: `build/tests/unit/render/chart-bench N 3
/tmp 012` (debugoptimized, 2-core shared machine), CPU ms: chart, scan,
beyond (the chart less the scans it makes):

  N = 1M             before (bf8b28a)        after
  line, x ordered    159.1  81.8   77.3      116.4  80.6   35.8
  line, x unordered  344.5  82.3  262.2      339.0  83.9  255.1
  scatter            173.3  82.0   91.3      161.2  81.6   79.6
  N = 3M
  line, x ordered    364.6 244.0  120.6      310.2 239.8   70.4
  line, x unordered 1003.0 246.3  510.4 (2)  977.0 240.0  497.0 (2)
  scatter            638.8 239.0  160.8 (2)  366.1 242.1  124.0

(2): two scans, the statement run again. The ordered line's fixed cost
went to a coverage mask instead of cairo's stroke (17 -> 4 ms), a PNG
encoder of its own (21 -> 13 ms) and no kept points (16 ms); the scatter
reads its rows once at any size.
"""
import argparse
import io
import math
import os
import sqlite3
import subprocess
import sys
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

CASES = [
    ("line, x ordered", "SELECT x, y FROM pts ORDER BY x", "line"),
    ("line, x unordered", "SELECT x, y FROM upts", "line"),
    ("scatter", "SELECT x, y FROM pts ORDER BY x", "scatter"),
]


def points(n):
    """The chart-bench points in SQLite's memory: pts by x, upts shuffled."""
    db = sqlite3.connect(":memory:")
    db.create_function("sin", 1, math.sin)
    db.execute("CREATE TABLE pts(x INTEGER PRIMARY KEY, y REAL, h INT)")
    db.execute("WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
               "WHERE i < ?) INSERT INTO pts SELECT i, sin(i / ?) * 100 + "
               "(i % 1000) / 50.0, (i * 2654435761) % 4294967296 FROM c",
               (n - 1, n / 50.0))
    db.execute("CREATE TABLE upts AS SELECT x, y FROM pts ORDER BY h")
    return db


def matplotlib_ms(db, sql, kind, reps, out):
    """CPU ms of read_sql + plot + savefig and of read_sql alone; None
    when Agg refuses the path at matplotlib's default settings."""
    best_read = best_all = math.inf
    png = b""
    for _ in range(reps):
        t0 = time.process_time()
        df = pd.read_sql(sql, db)
        t1 = time.process_time()
        if kind == "line":
            ax = df.plot.line(x="x", y="y", title="points", figsize=(6.4, 4.0))
        else:
            ax = df.plot.scatter(x="x", y="y", title="points",
                                 figsize=(6.4, 4.0))
        buf = io.BytesIO()
        try:
            ax.figure.savefig(buf, format="png", dpi=200)
        except OverflowError:         # "Exceeded cell block limit in Agg"
            plt.close(ax.figure)
            return None
        t2 = time.process_time()
        plt.close(ax.figure)
        png = buf.getvalue()
        best_read = min(best_read, t1 - t0)
        best_all = min(best_all, t2 - t0)
    with open(out, "wb") as f:
        f.write(png)
    return best_all * 1e3, best_read * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--quick", action="store_true",
                    help="no retry of a path Agg refuses (the unordered "
                    "line: 1.5 CPU minutes with agg.path.chunksize)")
    a = ap.parse_args()
    exe = os.path.join(a.build, "tests", "unit", "render", "chart-bench")
    if not os.path.exists(exe):
        sys.exit("build it first: ninja -C %s tests/unit/render/chart-bench"
                 % a.build)
    p = subprocess.run([exe, str(a.n), str(a.reps), a.dir], check=True,
                       capture_output=True, text=True)
    ours = {}
    for line in p.stdout.splitlines():
        _, what, _, total, scan, path = line.split("\t")
        ours[what] = (float(total), float(scan), path)
    db = points(a.n)
    print("%d points, 1280x800 PNG, CPU ms, best of %d" % (a.n, a.reps))
    print("%-18s %10s %10s %10s | %10s %10s %10s" % (
        "chart", "tabula", "scan", "beyond", "matplotlib", "read_sql",
        "beyond"))
    for i, (what, sql, kind) in enumerate(CASES):
        total, scan, path = ours[what]
        # an unordered line's second pass walks the kept points (chart.c's
        # KEEP_VALUES: 4M numbers, x and y per point) or, past them, runs
        # the statement again; a scatter reads its rows once at any size
        passes = 2 if what == "line, x unordered" and a.n * 2 > 4 << 20 \
            else 1
        out = os.path.join(a.dir, "mpl-chart-bench-%d.png" % i)
        row = "%-18s %10.1f %10.1f %10.1f | " % (what, total, scan,
                                                 total - passes * scan)
        m = matplotlib_ms(db, sql, kind, a.reps, out)
        if m is None:
            print(row + "fails at the defaults (Agg's cell block limit)")
            if a.quick:
                continue
            # as matplotlib's message advises
            matplotlib.rcParams["agg.path.chunksize"] = 10000
            m = matplotlib_ms(db, sql, kind, a.reps, out)
            matplotlib.rcParams["agg.path.chunksize"] = 0
            what = "  agg.path.chunksize=10000"
            row = "%-18s %10s %10s %10s | " % (what, "", "", "")
        print(row + "%10.1f %10.1f %10.1f" % (m[0], m[1], m[0] - m[1]))
    print("\ntabula: 'scan' is the statement stepped alone; 'beyond' is the "
          "chart less the\nscans it makes (a second one for unordered lines "
          "past 2M points).\nPNGs: %s/tq-chart-bench-N.png and "
          "%s/mpl-chart-bench-N.png" % (a.dir, a.dir))


if __name__ == "__main__":
    main()
