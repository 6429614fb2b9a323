#!/usr/bin/python3
"""Differential test of tq_text_table against pandas (TAP): random frames
of ints, floats (plain, tiny, huge) and text up to 60 characters, some with
missing values (NULL in SQLite; NaN in pandas' number columns, which turn
ints into floats as read_sql does, and None in text), with and without an
index, truncated or not, are written to SQLite as they are, rendered by
render-textdump and compared with pandas' DataFrame.to_string under the
options its repr uses (max_rows/min_rows, max_colwidth 50, the dimensions
footer when truncated), trailing spaces stripped; every other frame also
draws display.min_rows, display.max_columns and display.precision (from a
random stream of their own, so the frames stay the same) and compares
under them. Skips without pandas.
Usage: pandas_compare.py PATH-TO-render-textdump"""
import os
import random
import sqlite3
import subprocess
import sys
import tempfile

try:
    import pandas as pd
except ImportError:
    print("1..0 # SKIP pandas is not installed")
    sys.exit(0)

dump = sys.argv[1]
random.seed(7)
options = random.Random(11)         # the display options' own draws
TRIALS = 200
print("1..%d" % TRIALS)
tmp = tempfile.mkdtemp()
failed = 0
for trial in range(TRIALS):
    n = random.randint(1, 12)
    cols = {}
    for c in range(random.randint(1, 4)):
        kind = random.choice(["int", "float", "str", "tiny", "huge"])
        if kind == "int":
            v = [random.randint(-10 ** random.randint(1, 8), 10 ** random.randint(1, 8))
                 for _ in range(n)]
        elif kind == "float":
            v = [round(random.uniform(-1000, 1000), random.randint(0, 4)) for _ in range(n)]
        elif kind == "tiny":
            v = [random.choice([1e-7, 2.5e-8, 0.5, 3.0, 1.25]) for _ in range(n)]
        elif kind == "huge":
            v = [random.choice([1.5e7, 123456789.125, 2.0, 0.5]) for _ in range(n)]
        else:
            v = ["".join(random.choice("abc XYZ\u00e9") for _ in range(random.randint(0, 60)))
                 for _ in range(n)]
        if random.random() < 0.3:          # some missing values
            for i in random.sample(range(n), random.randint(1, n)):
                v[i] = None
        cols["c%d_%s" % (c, kind)] = v
    # The kind of a column (number or text) is read from the rows shown;
    # pandas reads every row. They differ only when the shown part of a
    # truncated column is all missing, which is kept out of the draw:
    max_rows = random.choice([0, 0, 4, 6])
    if max_rows and n > max_rows:
        for v in cols.values():
            if any(x is not None for x in v) and v[0] is None:
                v[0] = next(x for x in v if x is not None)
    if random.random() < 0.7:
        idx = list(range(1, n + 1))
    else:
        idx = [random.randint(-50, 1000) for _ in range(n)]
    df = pd.DataFrame(cols, index=pd.Index(idx, name="id"))
    path = os.path.join(tmp, "t%d.db" % trial)
    db = sqlite3.connect(path)
    # the values as they are (ints stay INTEGER next to NULLs), not
    # through to_sql, which would store pandas' floats
    db.execute("CREATE TABLE t(id, %s)" % ", ".join('"%s"' % c for c in cols))
    db.executemany("INSERT INTO t VALUES (%s)" % ", ".join("?" * (len(cols) + 1)),
                   zip(idx, *cols.values()))
    db.commit()
    db.close()
    has_index = random.random() < 0.8
    mr = max_rows if (max_rows and n > max_rows) else 60
    extra = []
    if trial % 2:
        min_rows = options.choice([0, 2, 3, 4, 10])
        max_cols = options.choice([0, 1, 2, 3, 20])
        precision = options.choice([0, 2, 3, 6, 8])
        extra = [str(min_rows), str(max_cols), str(precision)]
        with pd.option_context("display.precision", precision):
            want = df.to_string(index=has_index, max_rows=mr,
                                min_rows=min_rows or None,
                                max_cols=max_cols or None, max_colwidth=50,
                                show_dimensions="truncate")
    else:
        want = df.to_string(index=has_index, max_rows=mr, min_rows=mr,
                            max_colwidth=50, show_dimensions="truncate")
    want = "\n".join(line.rstrip() for line in want.split("\n"))
    sql = "SELECT * FROM t" if has_index else \
        "SELECT " + ", ".join('"%s"' % c for c in cols) + " FROM t"
    got = subprocess.run([dump, path, sql, str(max_rows), str(int(has_index))] + extra,
                         capture_output=True, text=True).stdout
    os.remove(path)
    if got == want:
        print("ok %d - frame %d (%d rows, index %s, max_rows %d%s)"
              % (trial + 1, trial, n, has_index, max_rows,
                 ", min_rows/max_columns/precision " + "/".join(extra)
                 if extra else ""))
    else:
        failed += 1
        print("not ok %d - frame %d" % (trial + 1, trial))
        for line in ("want:\n" + want + "\ngot:\n" + got).split("\n"):
            print("# |" + line + "|")
os.rmdir(tmp)
sys.exit(1 if failed else 0)
