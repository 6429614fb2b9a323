#!/usr/bin/python3
"""Differential test of frame statistics on frames large enough for
pandas' own arithmetic to show (LANGUAGE.md section 6, issue 15).

The frames of test_pandas_methods.py hold at most 12 rows; there a sum
in row order and numpy's pairwise sum agree. Here each frame holds
20,000-30,000 rows, so that numpy's summation (8 accumulators, blocks of
128, buffers of 8,192), pandas' nanvar, its groupby Kahan sums and the
order its value_counts() gives equal counts (numpy's introsort) all
decide the last digits and the order shown. Tabula computes these over
the in-memory copies of a frame's numeric columns (lang/frame/
frame_cols.c); SQL's sum() or a stable sort would differ.

Columns: `a` ints, `b` ints with missing values (float64, as read_sql
makes them), `c` floats with missing values, `k` a key cycling over 40
values (equal counts in every group), `r` a random key, `t` text (its
value counts read by SQL, ordered in C). Running totals (cumsum, cummax,
cummin) are computed in C into memory stores: shown from memory, then
read back through their tables. Each expression's
expected text is pandas' repr of the same expression; dicts (to_dict())
show full float digits and the order of keys. Run as one golden file by
`tabula-run --golden`.

Environment: TABULA_RUN (default build/lang/tabula-run).
"""
import os
import random
import re
import sys

import pytest

pd = pytest.importorskip("pandas") if "pytest" in sys.modules else None
if pd is None:
    import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_pandas_methods import (RUN, pandas_text, run_golden,  # noqa: E402
                                 sql_lit, tap_results)

EXPRS = [
    ("sum_int", "df['a'].sum()"),
    ("mean_int", "df['a'].mean()"),
    ("std_int", "df['a'].std()"),
    ("sum_float", "df['c'].sum()"),
    ("mean_float", "df['c'].mean()"),
    ("std_float", "df['c'].std()"),
    ("sum_intna", "df['b'].sum()"),
    ("mean_intna", "df['b'].mean()"),
    ("std_intna", "df['b'].std()"),
    ("extremes", "(df['c'].min(), df['c'].max(), df['b'].min(), "
                 "df['a'].max(), df['b'].count())"),
    ("frame_mean", "df[['a', 'b', 'c']].mean().to_dict()"),
    ("frame_std", "df[['a', 'b', 'c']].std().to_dict()"),
    ("frame_var", "df[['a', 'b', 'c']].var().to_dict()"),
    ("frame_sum", "df[['a', 'b', 'c']].sum().to_dict()"),
    ("describe", "df.describe()"),
    ("median_float", "df['c'].median()"),
    ("median_int", "df['a'].median()"),
    ("quantile_intna", "df['b'].quantile(0.3)"),
    ("quantile_float", "df['c'].quantile(0.77)"),
    ("var_float", "df['c'].var()"),
    ("frame_median", "df[['a', 'b', 'c']].median().to_dict()"),
    ("frame_quantile", "df[['a', 'b', 'c']].quantile(0.9)"),
    ("describe_c", "df['c'].describe().to_dict()"),
    ("gb_sum", "df.groupby('k')['c'].sum().to_dict()"),
    ("gb_mean", "df.groupby('r')['c'].mean().to_dict()"),
    ("gb_sum_int", "df.groupby('k')['a'].sum().to_dict()"),
    ("gb_mean_int", "df.groupby('r')['a'].mean().to_dict()"),
    ("gb_count", "df.groupby('r')['b'].count().to_dict()"),
    ("gb_min", "df.groupby('k')['c'].min().to_dict()"),
    ("gb_max", "df.groupby('r')['b'].max().to_dict()"),
    ("gb_size", "df.groupby('r').size().to_dict()"),
    ("gb_frame", "df.groupby('k')[['a', 'c']].mean()"),
    ("vc_even", "df['k'].value_counts().to_dict()"),
    ("vc_random", "df['r'].value_counts().to_dict()"),
    ("vc_ascending", "df['r'].value_counts(ascending=True).to_dict()"),
    ("vc_normalize", "df['k'].value_counts(normalize=True).to_dict()"),
    ("vc_floats", "df['b'].value_counts().head(30).to_dict()"),
    ("cumsum_shown", "df['c'].cumsum()"),
    ("cumsum_sum", "(df['c'].cumsum().sum(), df['b'].cumsum().max(), "
                   "df['a'].cumsum().min())"),
    ("cumsum_rows", "df['c'].cumsum().iloc[[0, 100, 9999, -1]].tolist()"),
    ("cummax", "df['b'].cummax().value_counts().head(5).to_dict()"),
    ("cummin", "df['c'].cummin().tail(4)"),
    ("vc_text", "df['t'].value_counts().to_dict()"),
    ("vc_text_normalize",
     "df['t'].value_counts(normalize=True, ascending=True).to_dict()"),
]
# Statements run before the expression of the same name (pandas and
# Tabula alike): a computed column, whose copy C computes.
ASSIGN = [
    ("computed", "df['x'] = df['a'] * 3 - df['c'] + 1",
     "(df['x'].sum(), df['x'].mean(), df['x'].std(), df['x'].count())"),
    ("computed_int", "df['y'] = -df['a'] * 7 + 2",
     "(df['y'].sum(), df['y'].mean(), df['y'].std(), str(df['y'].dtype))"),
    # order statistics over keys too wide for one bucket each (big ints),
    # and over floats with many equal values (several ranks per bucket)
    ("ranks_bigint", "df['g'] = df['a'] * 1000003 + df['r']",
     "(df['g'].median(), df['g'].quantile(0.3), df['g'].describe().to_dict())"),
    ("ranks_dup", "df['h'] = df['b'] * 0.5",
     "(df['h'].median(), df['h'].quantile(0.37), df['h'].describe().to_dict())"),
]


def frame(rng):
    n = rng.randint(20000, 30000)
    a = [rng.randint(-1000, 1000) for _ in range(n)]
    b = [None if rng.random() < 0.1 else rng.randint(-60, 60)
         for _ in range(n)]
    c = [None if rng.random() < 0.1 else rng.uniform(-1e3, 1e3)
         for _ in range(n)]
    k = [i % 40 for i in range(n)]
    r = [rng.randint(0, 90) for _ in range(n)]
    t = [None if rng.random() < 0.05 else
         "w%d" % (i % 30) if i % 2 else "v%d" % rng.randint(0, 45)
         for i in range(n)]
    return n, a, b, c, k, r, t


def golden_file(rng, trials):
    lines, names = [], []
    for _ in range(trials):
        n, a, b, c, k, r, t = frame(rng)
        idx = list(range(1, n + 1))
        df = pd.DataFrame({"a": a,
                           "b": [float("nan") if x is None else float(x)
                                 for x in b],
                           "c": [float("nan") if x is None else x for x in c],
                           "k": k, "r": r, "t": t},
                          index=pd.Index(idx, name="id"))
        rows = ", ".join("(%d, %s, %s, %s, %d, %d, %s)" % (
            i, sql_lit(x), sql_lit(y), sql_lit(z), p, q, sql_lit(w))
            for i, x, y, z, p, q, w in zip(idx, a, b, c, k, r, t))
        lines += [">>> %%sql", "... DROP TABLE IF EXISTS t;",
                  "... CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, k, "
                  "r, t TEXT);",
                  "... INSERT INTO t VALUES %s;" % rows]
        names.append(None)
        lines.append(">>> df = T.dataframe()")
        names.append(None)
        for name, expr in EXPRS:
            lines.append(">>> " + expr)
            want = pandas_text(df.copy(), expr)
            lines += [x if x else "" for x in want.split("\n")]
            names.append(name)
        for name, stmt, expr in ASSIGN:
            exec(stmt, {"df": df})
            lines.append(">>> " + stmt)
            names.append(None)
            lines.append(">>> " + expr)
            want = pandas_text(df, expr)
            lines += [x if x else "" for x in want.split("\n")]
            names.append(name)
        lines.append("")
    return "\n".join(lines) + "\n", names


def run(trials=2, seed=5):
    rng = random.Random(seed)
    text, names = golden_file(rng, trials)
    out = run_golden(text)
    _, bad = tap_results(out, names)
    count = len(re.findall(r"^(?:ok|not ok) ", out, re.M))
    return bad, count, len(names), out


def test_pandas_large():
    if not os.path.exists(RUN):
        pytest.skip("build tabula-run first")
    bad, count, expected, out = run()
    assert count == expected, out[-3000:]
    assert not bad, "differ from pandas: %s\n%s" % (
        ", ".join(sorted(bad)), out[-4000:])


if __name__ == "__main__":
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    bad, count, expected, out = run(trials, seed)
    print("%d/%d cells ran; differing: %s" % (count, expected,
                                             ", ".join(sorted(bad)) or "none"))
    if os.environ.get("SHOW"):
        for block in out.split("\nnot ok ")[1:]:
            print("not ok " + block[:2500])
