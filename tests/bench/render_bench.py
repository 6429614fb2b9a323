#!/usr/bin/python3
"""The same 1M-point line chart as render_bench.c, with pandas + matplotlib
(Agg, 640x400 PNG into memory), for comparison. One run; prints the time to
plot and save, and the time including read_sql from SQLite."""
import io
import math
import sqlite3
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

db = sqlite3.connect(":memory:")
db.execute("CREATE TABLE pts(x INTEGER PRIMARY KEY, y REAL)")
db.create_function("sin", 1, math.sin)
db.execute("WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c "
           "WHERE i < 999999) INSERT INTO pts SELECT i, "
           "sin(i / 20000.0) * 100 + (i % 1000) / 50.0 FROM c")
t0 = time.perf_counter()
df = pd.read_sql("SELECT x, y FROM pts ORDER BY x", db)
t1 = time.perf_counter()
ax = df.plot.line(x="x", y="y", title="1M points", figsize=(6.4, 4.0))
buf = io.BytesIO()
ax.figure.savefig(buf, format="png", dpi=100)
t2 = time.perf_counter()
plt.close(ax.figure)
open("/tmp/tq-render-bench-line-mpl.png", "wb").write(buf.getvalue())
print("pandas+matplotlib line chart of 1M points: plot+savefig %.1f ms, "
      "with read_sql %.1f ms (PNG %d bytes)"
      % ((t2 - t1) * 1e3, (t2 - t0) * 1e3, len(buf.getvalue())))
