#!/usr/bin/python3
"""Differential test of the frames' pandas methods (LANGUAGE.md section 6)
against pandas itself (Debian's python3-pandas, 1.5).

Random frames of 1-12 rows with an int column `a`, a float column `b`, a
text column `c` (all with missing values: NULL in SQLite, NaN or None in
pandas, whose int columns with missing values become float64 as read_sql
makes them) and a text column `d` without missing values are written as
one golden file (tests/golden format): a %%sql cell creating the table,
the frame, then one cell per method whose expected text is pandas' repr
of the same expression on the same data (print() output for info()).
`tabula-run --golden` runs it; each cell's TAP line says whether Tabula's
text is pandas' text, so values and layout are compared together.

Run directly (`test_pandas_methods.py [trials [seed]]`, SHOW=name for
its first difference) it prints, per method, how many trials matched;
under pytest it fails when a method of PINNED mismatches in any trial.
Environment: TABULA_RUN (default build/lang/tabula-run).
"""
import io
import os
import random
import re
import subprocess
import sys
import tempfile
from contextlib import redirect_stdout

import pytest

pd = pytest.importorskip("pandas") if "pytest" in sys.modules else None
if pd is None:
    import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUN = os.environ.get("TABULA_RUN", os.path.join(ROOT, "build", "lang",
                                                "tabula-run"))

# (name, expression): the same text is evaluated by pandas and Tabula.
METHODS = [
    ("dtypes", "df.dtypes"),
    ("shape", "df.shape"),
    ("value_counts", "df['c'].value_counts()"),
    ("value_counts_int", "df['a'].value_counts()"),
    ("unique", "list(df['d'].unique())"),
    ("nunique", "df['c'].nunique()"),
    ("nunique_frame", "df.nunique()"),
    ("isna", "df.isna()"),
    ("notna", "df['b'].notna()"),
    ("fillna", "df.fillna(0)"),
    ("fillna_series", "df['b'].fillna(-1)"),
    ("dropna", "df.dropna()"),
    ("astype", "df['a'].fillna(0).astype(int)"),
    ("rename", "df.rename(columns={'a': 'x'})"),
    ("drop", "df.drop(columns=['c'])"),
    ("set_index", "df.set_index('d')"),
    ("reset_index", "df.reset_index()"),
    ("loc_row", "df.loc[1]"),
    ("loc_cell", "df.loc[1, 'd']"),
    ("loc_slice", "df.loc[2:4]"),
    ("iloc_slice", "df.iloc[1:3]"),
    ("iloc_cell", "df.iloc[0, 3]"),
    ("iloc_list", "df.iloc[[0, -1]]"),
    ("nlargest", "df.nlargest(3, 'b')"),
    ("nsmallest", "df['b'].nsmallest(2)"),
    ("quantile", "df['b'].quantile(0.3)"),
    ("median", "df[['a', 'b']].median()"),
    ("mean", "df[['a', 'b']].mean()"),
    ("sum", "df[['a', 'b']].sum()"),
    ("std", "df[['a', 'b']].std()"),
    ("min", "df[['a', 'b']].min()"),
    ("count", "df.count()"),
    ("corr", "df[['a', 'b']].corr()"),
    ("describe", "df.describe()"),
    ("describe_series", "df['b'].describe()"),
    ("describe_objects", "df[['c', 'd']].describe()"),
    ("std_series", "df['b'].std()"),
    ("cumsum", "df['b'].cumsum()"),
    ("cumsum_frame", "df[['a', 'b']].cumsum()"),
    ("shift", "df['a'].shift()"),
    ("diff", "df['b'].diff()"),
    ("pct_change", "df['b'].pct_change()"),
    ("rank", "df['b'].rank()"),
    ("rolling_mean", "df['b'].rolling(2).mean()"),
    ("rolling_sum", "df['a'].rolling(3).sum()"),
    ("agg", "df[['a', 'b']].agg(['sum', 'mean'])"),
    ("apply", "df['b'].apply(lambda x: x * 2 + 1)"),
    ("str_lower", "df['d'].str.lower()"),
    ("str_upper", "df['d'].str.upper()"),
    ("str_len", "df['d'].str.len()"),
    ("str_contains", "df['d'].str.contains('a')"),
    ("str_startswith", "df['d'].str.startswith('b')"),
    ("to_json", "df.to_json()"),
    ("to_dict", "df['b'].to_dict()"),
    ("head", "df.head(3)"),
    ("tail", "df.tail(2)"),
    ("merge", "df.merge(df[['d', 'a']], on='d')"),
    ("cumcount", "df.groupby('d').cumcount()"),
    ("info", "df.info()"),
]

# Methods that must match pandas in every trial: all of them.
PINNED = {
    "dtypes", "shape", "value_counts", "nunique", "nunique_frame", "isna",
    "notna", "fillna", "fillna_series", "dropna", "rename", "drop",
    "set_index", "reset_index", "quantile", "median", "mean", "sum", "min",
    "count", "cumsum", "cumsum_frame", "rank", "apply", "str_lower",
    "str_upper", "str_len", "str_contains", "str_startswith", "head",
    "loc_cell", "iloc_cell", "to_dict", "to_json", "unique", "astype", "agg",
    "cumcount", "merge", "tail", "diff", "loc_slice", "iloc_slice",
    "value_counts_int", "nlargest", "nsmallest", "describe",
    "describe_series", "describe_objects", "info", "std", "corr",
    "shift", "rolling_sum", "rolling_mean", "pct_change", "loc_row",
    "iloc_list", "std_series",
}

WORDS = ["apple", "Banana", "cherry", "date", "elder", "fig", "grape"]


def random_frame(rng):
    n = rng.randint(1, 12)
    a = [rng.randint(-50, 50) for _ in range(n)]
    # + 0.0: no -0.0 (round(-0.004, 2)), whose sign SQLite loses once a
    # REAL column stores it (reference.md section 6)
    b = [round(rng.uniform(-100, 100), rng.randint(0, 3)) + 0.0
         for _ in range(n)]
    c = [rng.choice(["x", "y", "z", "w"]) for _ in range(n)]
    d = ["%s%d" % (rng.choice(WORDS), rng.randint(0, 3)) for _ in range(n)]
    for col in (a, b, c):
        if rng.random() < 0.6:
            # missing values, never all of them (an all-missing column has
            # no dtype to read: object here, float64 or object in pandas)
            for i in rng.sample(range(n), rng.randint(0, (n - 1) // 2 + 1)):
                if sum(x is not None for x in col) > 1:
                    col[i] = None
    return n, a, b, c, d


def sql_lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, str):
        return "'%s'" % v.replace("'", "''")
    return repr(v)


def pandas_text(df, expr):
    out = io.StringIO()
    with redirect_stdout(out):
        try:
            r = eval(expr, {"df": df})
        except Exception as e:                 # noqa: BLE001
            return "!!! %s: %s" % (type(e).__name__, e)
    printed = out.getvalue()
    if r is None:
        return printed.rstrip("\n")
    if isinstance(r, (pd.DataFrame, pd.Series)):
        text = repr(r)
    elif isinstance(r, tuple):
        text = repr(tuple(x.item() if hasattr(x, "item") else x for x in r))
    elif isinstance(r, list):
        text = repr([x.item() if hasattr(x, "item") else x for x in r])
    elif isinstance(r, dict):
        text = repr({(k.item() if hasattr(k, "item") else k):
                     (v.item() if hasattr(v, "item") else v)
                     for k, v in r.items()})
    elif hasattr(r, "item"):
        text = repr(r.item())
    else:
        text = repr(r)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def golden_file(rng, trials):
    """The golden text and, per cell, its method name."""
    lines, names = [], []
    for t in range(trials):
        n, a, b, c, d = random_frame(rng)
        idx = list(range(1, n + 1))
        df = pd.DataFrame({"a": pd.array(a, dtype="float64") if None in a
                           else a, "b": [float("nan") if x is None else x
                                         for x in b], "c": c, "d": d},
                          index=pd.Index(idx, name="id"))
        if None not in a:
            df["a"] = df["a"].astype("int64")
        if all(x is None for x in b):
            df["b"] = pd.Series([None] * n, index=df.index, dtype=object)
        rows = ", ".join("(%d, %s, %s, %s, %s)" % (i, sql_lit(x), sql_lit(y),
                                                   sql_lit(z), sql_lit(w))
                         for i, x, y, z, w in zip(idx, a, b, c, d))
        lines += [">>> %%sql", "... DROP TABLE IF EXISTS t;",
                  "... CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, d);",
                  "... INSERT INTO t VALUES %s;" % rows]
        names.append(None)
        lines += [">>> df = T.dataframe()"]
        names.append(None)
        for name, expr in METHODS:
            lines.append(">>> " + expr)
            # a fresh index each time: an index that served lookups (the
            # alignment of df["a"] = ... above, loc) counts its hash table
            # in info()'s memory usage, and Index.copy() shares it
            d = df.copy()
            d.index = pd.Index(list(df.index), name=df.index.name)
            want = pandas_text(d, expr)
            lines += [x if x else "" for x in want.split("\n")] if want \
                else []
            names.append(name)
        lines.append("")
    return "\n".join(lines) + "\n", names


def run_golden(text):
    """tabula-run --golden over `text` (a golden file's content): its TAP
    output."""
    with tempfile.NamedTemporaryFile("w", suffix=".test", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        return subprocess.run([RUN, "--golden", path], capture_output=True,
                              text=True).stdout
    finally:
        os.unlink(path)


def tap_results(out, names):
    """The TAP lines of run_golden's output, by the name of each cell
    (names[k - 1] for cell k; None for a set-up cell): {name: (cells that
    passed, cells)} without the set-up cells, and {name: the first cell
    that failed}, a failed set-up cell under "(setup)"."""
    results, fails = {}, {}
    for m in re.finditer(r"^(ok|not ok) (\d+) ", out, re.M):
        k = int(m.group(2))
        name = names[k - 1] if k <= len(names) else None
        ok = m.group(1) == "ok"
        if not ok:
            fails.setdefault(name or "(setup)", k)
        if name is not None:
            good, total = results.get(name, (0, 0))
            results[name] = (good + ok, total + 1)
    return results, fails


def run(trials=40, seed=11):
    rng = random.Random(seed)
    text, names = golden_file(rng, trials)
    out = run_golden(text)
    results, fails = tap_results(out, names)
    return results, fails, out


def test_pandas_methods():
    if not os.path.exists(RUN):
        pytest.skip("build tabula-run first")
    results, fails, out = run()
    bad = sorted(n for n in PINNED if results.get(n, (0, 1))[0]
                 != results.get(n, (0, 1))[1])
    assert not bad, "methods differing from pandas: %s" % ", ".join(bad)


if __name__ == "__main__":
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    results, fails, out = run(trials, seed)
    for name, _ in METHODS:
        good, total = results.get(name, (0, 0))
        print("%-18s %3d/%-3d %s" % (name, good, total,
                                     "" if good == total else
                                     "first diff: cell %d" % fails[name]))
    if os.environ.get("SHOW"):
        want = os.environ["SHOW"]
        for block in out.split("\nnot ok ")[1:]:
            n = int(block.split(" ", 1)[0])
            if n == fails.get(want):
                print("not ok " + block.split("\nok ")[0][:3000])
