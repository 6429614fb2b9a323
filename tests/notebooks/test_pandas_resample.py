#!/usr/bin/python3
"""Differential test of df.resample (LANGUAGE.md section 6, reference.md
section 12) against pandas itself (Debian's python3-pandas, 1.5).

Random frames of 1-10 rides (a datetime column `t`, a float column `fee`
with missing values, an int column `n`, a text column `s`) are resampled
by one of the rules D W M MS Q QS A AS, and each expression below is
evaluated by pandas and by Tabula on the same data: one golden file
(tests/golden format) whose expected text is pandas' repr, run by
`tabula-run --golden`. Series over the bins carry pandas' `Freq:` footer,
which slices, element-wise methods and arithmetic keep and a sort or a
filter drops, so the footer is compared with the values.

Run directly it prints, per expression, how many trials matched; under
pytest it fails when any trial of any expression differs.
Environment: TABULA_RUN (default build/lang/tabula-run).
"""
import datetime
import os
import random
import re
import sys
import warnings

import pytest

pd = pytest.importorskip("pandas") if "pytest" in sys.modules else None
if pd is None:
    import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_pandas_methods import RUN, run_golden, tap_results  # noqa: E402

EXPRS = [
    "r.size()",
    "r['fee'].sum()",
    "r['n'].sum()",
    "r['fee'].mean()",
    "r['n'].max()",
    "r['fee'].count()",
    "r.count()",
    "r.sum()['n']",
    "r['n'].sum().head(2)",
    "r['n'].sum().tail(2)",
    "r['fee'].sum().iloc[1:]",
    "r['n'].sum().shift()",
    "r['fee'].sum().cumsum()",
    "r['n'].sum() * 2",
    "r['n'].sum().sort_values()",
    "r['fee'].mean().dropna()",
    "r['n'].sum().rolling(2).sum()",
    # rows picked from the bins: a filter keeps the frequency when its
    # rows are a run, positions that step evenly make a multiple ("-2M")
    "s[s > 3]",
    "s[s < 6]",
    "s.sort_values()",
    "s.sort_values().head(2)",
    "s.nlargest(2)",
    "s.nlargest(1)",
    "s.iloc[[0, -1]]",
    "s.iloc[[1, 0]]",
    "s.iloc[[0, 2]]",
    "r.sum().sort_values('n')['n']",
    "r.sum().nlargest(2, 'n')['n']",
    "r['fee'].sum().dropna()",
]

# rule -> the span of days the rides cover (a few bins each)
RULES = {"D": 6, "W": 40, "M": 120, "MS": 120, "Q": 400, "QS": 400,
         "A": 1200, "AS": 1200}


def random_rides(rng):
    n = rng.randint(1, 10)
    rule = rng.choice(sorted(RULES))
    start = datetime.datetime(2024, 11, 20) + datetime.timedelta(
        days=rng.randint(0, 60))
    t = [start + datetime.timedelta(seconds=rng.randint(0, RULES[rule] *
                                                        86400))
         for _ in range(n)]
    t = [x.replace(second=0) for x in t]
    fee = [round(rng.uniform(0, 50), rng.randint(0, 2)) for _ in range(n)]
    if n > 1:
        for i in rng.sample(range(n), rng.randint(0, n // 2)):
            fee[i] = None
    cnt = [rng.randint(0, 9) for _ in range(n)]
    s = [rng.choice("abc") for _ in range(n)]
    return rule, t, fee, cnt, s


def sql_lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, datetime.datetime):
        return "'%s'" % v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, str):
        return "'%s'" % v
    return repr(v)


def pandas_text(env, expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = eval(expr, env)
        except Exception as e:                 # noqa: BLE001
            return "!!! %s: %s" % (type(e).__name__, e)
    return "\n".join(line.rstrip() for line in repr(r).split("\n"))


def golden_file(rng, trials):
    """The golden text and, per cell, its expression (None: setup)."""
    lines, names = [], []
    for _ in range(trials):
        rule, t, fee, cnt, s = random_rides(rng)
        idx = list(range(1, len(t) + 1))
        rd = pd.DataFrame({"t": pd.to_datetime(t),
                           "fee": [float("nan") if x is None else x
                                   for x in fee],
                           "n": cnt, "s": s},
                          index=pd.Index(idx, name="id"))
        env = {"rd": rd, "r": rd.resample(rule, on="t")}
        env["s"] = env["r"]["n"].sum()
        rows = ", ".join("(%d, %s, %s, %s, %s)" % (
            i, sql_lit(a), sql_lit(b), sql_lit(c), sql_lit(d))
            for i, a, b, c, d in zip(idx, t, fee, cnt, s))
        lines += [">>> %%sql", "... DROP TABLE IF EXISTS ride;",
                  "... CREATE TABLE ride (id INTEGER PRIMARY KEY, t "
                  "timestamp, fee double precision, n integer, s text);",
                  "... INSERT INTO ride VALUES %s;" % rows,
                  ">>> rd = Ride.dataframe()",
                  ">>> r = rd.resample('%s', on='t')" % rule,
                  ">>> s = r['n'].sum()"]
        names += [None, None, None, None]
        for expr in EXPRS:
            lines.append(">>> " + expr)
            lines += pandas_text(env, expr).split("\n")
            names.append(expr)
        lines.append("")
    return "\n".join(lines) + "\n", names


def run(trials=30, seed=7):
    rng = random.Random(seed)
    text, names = golden_file(rng, trials)
    out = run_golden(text)
    results, fails = tap_results(out, names)
    return results, fails, out


def test_pandas_resample():
    if not os.path.exists(RUN):
        pytest.skip("build tabula-run first")
    results, fails, out = run()
    assert len(results) == len(EXPRS), out[-3000:]
    assert not fails, "differing from pandas: %s\n%s" % (
        ", ".join(sorted(fails)), out[-3000:])


if __name__ == "__main__":
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    results, fails, out = run(trials, seed)
    for expr in EXPRS:
        good, total = results.get(expr, (0, 0))
        print("%-34s %3d/%-3d %s" % (expr, good, total, "" if good == total
                                     else "first diff: cell %d"
                                     % fails[expr]))
    if "(setup)" in fails:
        print("setup cell failed: %d" % fails["(setup)"])
    if os.environ.get("SHOW"):
        want = fails.get(os.environ["SHOW"])
        for block in out.split("\nnot ok ")[1:]:
            if int(block.split(" ", 1)[0]) == want:
                print("not ok " + block.split("\nok ")[0][:3000])
