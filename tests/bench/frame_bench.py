#!/usr/bin/python3
"""This file benchmarks frames (LANGUAGE.md section 6) against plain SQL.

It builds a `user` table of N rows (100,000 by default) in a fresh SQLite
file, then times, as Tabula cells through `tabula-run --time R`:

  (a) df = User.values('age').dataframe()   CREATE TEMP TABLE ... AS SELECT
  (b) df['age'] += 1                        one UPDATE of the temp table
  (c) User.update_from_dataframe(df)        per 65,536 frame rows, the
                                            rows loaded in memory, then one
                                            UPDATE reading them by key as it
                                            scans the table (tq_merge_load,
                                            tq_merge_take: db/sqlite.c)
  (d) the three together, as a user writes them in one cell

and next to them, in the `sqlite3` shell (.timer on) on a copy of the
same file:

  (e) UPDATE user SET age = age + 1             the plain update
  (f) the statements of (a)-(c) by hand          (c) as UPDATE ... FROM
      the frame, which Tabula ran before the merge (and still runs for a
      frame whose index does not ascend): SQLite builds the whole join in
      a temporary table before it writes a row, about twice the plain
      UPDATE (e); the merge costs about as much as (e)
  (g) the correlated-subquery form of (c)        UPDATE ... SET age =
      (SELECT f.age FROM frame f WHERE f.id = user.id) WHERE id IN (...),
      on --correlated-rows rows only: the frame has no index, so it is
      quadratic

With --pandas it also times, one run each at --rows, the frame
operations of issue 15 against pandas on the same rows (the frame made
by .dataframe(), the pandas frame by read_sql; each Tabula figure is one
cell through `tabula-run --time 1`, displayed results rendered as text):

  show            df                         (head and tail rows, count)
  describe        df.describe()
  groupby sum     df.groupby('age')['score'].sum()
  groupby mean    df.groupby('age')['score'].mean()
  arithmetic      df['x'] = df['age'] * 2 + df['score']
  arithmetic + sum  the same, then df['x'].sum() (reads the column whole)
  sort head       df.sort_values('score').head()
  value_counts    df['age'].value_counts()
  cumsum          df['score'].cumsum()
  mean            df.mean()

It prints figures and never passes or fails. Run from the repository
root:

  /usr/bin/python3 tests/bench/frame_bench.py [--build build-frame]
      [--rows 100000] [--runs 5] [--db /tmp/tabula_frame_bench.sqlite]
      [--pandas] [--pandas-only] [--cpu] [--update]

--update times (c) against (e) only, --runs rounds taking turns (the
load of a shared machine falls on both alike), and prints the medians of
wall and CPU time: (c) on a frame just assigned (df['age'] += 1: the
column's copy is read first) and again on the same frame (its copies
held), (e) in the shell (.timer's user + sys for its CPU time).

--cpu times each frame operation in CPU seconds (see pandas_cpu_bench),
steadier than wall time when other work shares the machine, and prints
the peak resident memory of a session holding the frame beside that of
a Python holding pandas' frame.
"""
import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def make_db(path, rows):
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    con.executescript(f"""
        CREATE TABLE user (id INTEGER PRIMARY KEY, name varchar(100) NOT NULL,
                           age integer NOT NULL);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                                WHERE i < {rows})
        INSERT INTO user SELECT i, 'user ' || i, 18 + (i * 7919) % 60 FROM n;
    """)
    con.commit()
    con.close()


def tabula_time(binary, db, runs, cells):
    """Mean seconds per run of each cell (tabula-run --time)."""
    out = subprocess.run([binary, "--time", str(runs), db] + cells,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("tabula-run failed:\n" + out.stderr)
    times = [float(m.group(1)) * 1e-6 for m in
             re.finditer(r"^([0-9.]+) us per run", out.stderr, re.M)]
    if len(times) != len(cells):
        sys.exit("unexpected tabula-run output:\n" + out.stderr)
    return times


def shell_time(db, setup, stmt, runs):
    """Best and mean 'real' seconds of stmt in the sqlite3 shell, each run
    after `setup` (untimed) in the same connection."""
    script = []
    for _ in range(runs):
        script.append(".timer off")
        script.extend(setup)
        script.append(".timer on")
        script.append(stmt)
    out = subprocess.run(["sqlite3", db], input="\n".join(script) + "\n",
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("sqlite3 failed:\n" + out.stderr)
    real = [float(x) for x in re.findall(r"Run Time: real ([0-9.]+)",
                                         out.stdout)]
    return min(real), sum(real) / len(real)


PANDAS_OPS = [
    ("show", "df", "repr(df)"),
    ("describe", "df.describe()", "repr(df.describe())"),
    ("groupby sum", "df.groupby('age')['score'].sum()",
     "repr(df.groupby('age')['score'].sum())"),
    ("groupby mean", "df.groupby('age')['score'].mean()",
     "repr(df.groupby('age')['score'].mean())"),
    ("arithmetic", "df['x'] = df['age'] * 2 + df['score']",
     "df.__setitem__('x', df['age'] * 2 + df['score'])"),
    # the column assigned above is computed when read (a virtual column
    # on SQLite): this one reads it whole
    ("arithmetic + sum", "df['x'] = df['age'] * 2 + df['score']; "
     "df['x'].sum()",
     "(df.__setitem__('x', df['age'] * 2 + df['score']), df['x'].sum())"),
    ("sort head", "df.sort_values('score').head()",
     "repr(df.sort_values('score').head())"),
    ("value_counts", "df['age'].value_counts()",
     "repr(df['age'].value_counts())"),
    ("cumsum", "df['score'].cumsum()", "repr(df['score'].cumsum())"),
    ("mean", "df[['age', 'score']].mean()",
     "repr(df[['age', 'score']].mean())"),
]


def score_table(db):
    """A connection to db (the caller closes it) in which the table score
    (id, age, score) is made anew from user: the frame both pandas benches
    load."""
    con = sqlite3.connect(db)
    con.execute("DROP TABLE IF EXISTS score")
    con.execute("CREATE TABLE score AS SELECT id, age, (id * 7919 % 1000) "
                "/ 10.0 AS score FROM user")
    con.commit()
    return con


def pandas_bench(binary, db, rows, nops):
    """One run of each frame operation (the first nops) in Tabula and in
    pandas."""
    ops = PANDAS_OPS[:nops]
    import pandas as pd
    con = score_table(db)
    t0 = time.perf_counter()
    df = pd.read_sql("SELECT id, age, score FROM score", con, index_col="id")
    t_load_pd = time.perf_counter() - t0
    con.close()
    cells = ["df = Score.dataframe()"] + [c for _, c, _ in ops]
    out = subprocess.run([binary, "--time", "1", db] + cells,
                         capture_output=True, text=True)
    times = [float(m.group(1)) * 1e-6 for m in
             re.finditer(r"^([0-9.]+) us per run", out.stderr, re.M)]
    if len(times) != len(cells):
        sys.exit("tabula-run failed:\n" + out.stderr[-2000:])
    print(f"\nframes against pandas {pd.__version__}, {rows:,} rows, one run")
    print(f"{'':24s}{'Tabula':>12s}{'pandas':>12s}{'ratio':>8s}")
    print(f"{'load':24s}{fmt(times[0]):>12s}{fmt(t_load_pd):>12s}"
          f"{times[0] / t_load_pd:7.2f}x")
    for (name, _, code), t in zip(ops, times[1:]):
        t0 = time.perf_counter()
        eval(code, {"df": df})
        tp = time.perf_counter() - t0
        print(f"{name:24s}{fmt(t):>12s}{fmt(tp):>12s}{t / tp:7.2f}x")


def cell_cpu(binary, db, cells, rss=None):
    """CPU seconds of each of cells, in one tabula-run session, as its
    --time reports them (CLOCK_PROCESS_CPUTIME_ID around the cell); with
    rss a list, the session's peak resident memory and its anonymous
    resident memory at the end (bytes) are appended as a pair."""
    out = subprocess.run([binary, "--time", "1", db] + cells,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    err = out.stderr
    cpu = [float(m.group(1)) * 1e-6 for m in
           re.finditer(r"^[0-9.]+ us per run \(1 runs, ([0-9.]+) us CPU\)",
                       err, re.M)]
    peak = re.search(r"^peak resident:\s*([0-9]+) kB", err, re.M)
    anon = re.search(r"^anonymous resident:\s*([0-9]+) kB", err, re.M)
    if out.returncode != 0 or len(cpu) != len(cells) or not peak or \
            not anon:
        sys.exit("tabula-run failed:\n" + err[-2000:])
    if rss is not None:
        rss.append((int(peak.group(1)) * 1024, int(anon.group(1)) * 1024))
    return cpu


def pandas_rss(db):
    """(peak, anonymous) resident memory (bytes) of a Python that imports
    pandas, and of one that also read_sql()s the score table: the frame's
    cost is the difference."""
    # VmHWM: getrusage's maxrss would count what this process held
    # before the child's exec; RssAnon: what it holds at the end, without
    # mapped files
    code = ("import re, sqlite3, pandas as pd\n"
            "if {load}:\n"
            "    df = pd.read_sql('SELECT id, age, score FROM score', "
            "sqlite3.connect({db!r}), index_col='id')\n"
            "st = open('/proc/self/status').read()\n"
            "print(re.search(r'VmHWM:\\s*([0-9]+)', st).group(1), "
            "re.search(r'RssAnon:\\s*([0-9]+)', st).group(1))")
    out = []
    for load in (False, True):
        words = subprocess.run([sys.executable, "-c",
                                code.format(load=load, db=db)],
                               capture_output=True, text=True,
                               check=True).stdout.split()
        out.append((int(words[0]) * 1024, int(words[1]) * 1024))
    return out[0], out[1]


def pandas_cpu_bench(binary, db, rows, nops):
    """CPU time of each operation: Tabula's as the CPU time of its cell,
    measured inside a tabula-run that first loads the frame (best of 3
    sessions), pandas' as process_time around it (best of 3). On a shared
    machine this is steadier than wall time."""
    ops = PANDAS_OPS[:nops]
    import pandas as pd
    con = score_table(db)
    df = pd.read_sql("SELECT id, age, score FROM score", con, index_col="id")
    con.close()
    load = ["df = Score.dataframe()"]
    rss = []
    base = min(cell_cpu(binary, db, load, rss)[0] for _ in range(3))
    empty = []
    cell_cpu(binary, db, ["1"], empty)
    pd_import, pd_loaded = pandas_rss(db)
    mib = 1 << 20
    for k, what in enumerate(("peak resident memory (VmHWM)",
                              "anonymous resident memory at the end "
                              "(RssAnon, no mapped files)")):
        tab = min(r[k] for r in rss)
        print(f"\n{what} with the frame loaded: Tabula {tab / mib:.1f} MiB "
              f"({(tab - empty[0][k]) / mib:.1f} for the frame), pandas "
              f"{pd_loaded[k] / mib:.1f} MiB "
              f"({(pd_loaded[k] - pd_import[k]) / mib:.1f} for the frame)",
              end="")
    print()
    print(f"\nCPU time, frames against pandas {pd.__version__}, {rows:,} "
          f"rows, best of 3 (load alone: {fmt(base)})")
    print(f"{'':24s}{'Tabula':>12s}{'pandas':>12s}{'ratio':>8s}")
    for name, cell, code in ops:
        t = min(cell_cpu(binary, db, load + [cell])[1] for _ in range(3))
        tp = []
        for _ in range(3):
            d = df.copy()
            t0 = time.process_time()
            eval(code, {"df": d})
            tp.append(time.process_time() - t0)
        tp = min(tp)
        print(f"{name:24s}{fmt(t):>12s}{fmt(tp):>12s}"
              f"{t / max(tp, 1e-6):7.2f}x")


def update_bench(binary, db, runs):
    """(c) against (e), taking turns: medians of wall and CPU ms."""
    first, again, shell = ([], []), ([], []), ([], [])
    for _ in range(runs):
        out = subprocess.run(
            [binary, "--time", "1", db,
             "df = User.values('age').dataframe(); df['age'] += 1",
             "User.update_from_dataframe(df)",
             "User.update_from_dataframe(df)"],
            capture_output=True, text=True)
        m = re.findall(r"^([0-9.]+) us per run \(\d+ runs, ([0-9.]+) us "
                       r"CPU\)", out.stderr, re.M)
        if out.returncode != 0 or len(m) != 3:
            sys.exit("tabula-run failed:\n" + out.stderr[-2000:])
        for (w, c), to in ((m[1], first), (m[2], again)):
            to[0].append(float(w) / 1e3)
            to[1].append(float(c) / 1e3)
        sh = subprocess.run(["sqlite3", db], capture_output=True, text=True,
                            input=".timer on\nUPDATE user SET age = age + 1;\n")
        t = re.search(r"Run Time: real ([0-9.]+) user ([0-9.]+) sys "
                      r"([0-9.]+)", sh.stdout)
        if sh.returncode != 0 or not t:
            sys.exit("sqlite3 failed:\n" + sh.stderr)
        shell[0].append(float(t.group(1)) * 1e3)
        shell[1].append((float(t.group(2)) + float(t.group(3))) * 1e3)
    med = statistics.median
    print(f"{'median of ' + str(runs) + ' runs':44s}{'wall':>12s}{'CPU':>12s}"
          f"{'wall / (e)':>12s}{'CPU / (e)':>12s}")
    for name, (w, c) in (("(c) update_from_dataframe(df), just assigned",
                          first),
                         ("(c) again, copies held", again),
                         ("(e) UPDATE user SET age = age + 1", shell)):
        print(f"{name:44s}{med(w):9.1f} ms{med(c):9.1f} ms"
              f"{med(w) / med(shell[0]):11.2f}x{med(c) / med(shell[1]):11.2f}x")


def fmt(s):
    return f"{s * 1e3:9.2f} ms"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build-frame"))
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", default="/tmp/tabula_frame_bench.sqlite")
    ap.add_argument("--correlated-rows", type=int, default=5000)
    ap.add_argument("--pandas", action="store_true")
    ap.add_argument("--pandas-only", action="store_true")
    ap.add_argument("--cpu", action="store_true",
                    help="with --pandas-only: CPU time instead of wall "
                    "time (steadier on a loaded machine)")
    ap.add_argument("--update", action="store_true",
                    help="only (c) against (e), taking turns: medians of "
                    "wall and CPU time")
    ap.add_argument("--ops", type=int, default=len(PANDAS_OPS),
                    help="time the first N pandas operations only (an "
                    "older build lacks the later methods)")
    a = ap.parse_args()
    binary = os.path.join(a.build, "lang", "tabula-run")
    if not os.path.exists(binary):
        sys.exit(f"build {binary} first")
    if not shutil.which("sqlite3"):
        sys.exit("the sqlite3 shell is needed")

    t0 = time.perf_counter()
    make_db(a.db, a.rows)
    print(f"user table: {a.rows:,} rows ({time.perf_counter() - t0:.2f} s "
          f"to build), {a.runs} runs each, "
          f"{'median' if a.update else 'mean'} per run\n")
    if a.update:
        update_bench(binary, a.db, a.runs)
        return
    if a.cpu:
        pandas_cpu_bench(binary, a.db, a.rows, a.ops)
    elif a.pandas or a.pandas_only:
        pandas_bench(binary, a.db, a.rows, a.ops)
    if a.pandas_only:
        return

    # Tabula: each cell is run `runs` times in one session; (b) and (c)
    # reuse the frame made by the last run of (a).
    cells = ["df = User.values('age').dataframe()",
             "df['age'] += 1",
             "User.update_from_dataframe(df)",
             "d2 = User.values('age').dataframe(); d2['age'] += 1; "
             "User.update_from_dataframe(d2)"]
    ta, tb, tc, td = tabula_time(binary, a.db, a.runs, cells)

    frame = ("CREATE TEMP TABLE f AS WITH q(id, age) AS (SELECT id, age FROM "
             "user ORDER BY id) SELECT * FROM q;")
    plain = shell_time(a.db, [], "UPDATE user SET age = age + 1;", a.runs)
    make = shell_time(a.db, ["DROP TABLE IF EXISTS temp.f;"], frame, a.runs)
    bump = shell_time(a.db, ["DROP TABLE IF EXISTS temp.f;", frame],
                      "UPDATE temp.f SET age = age + 1;", a.runs)
    upd_from = shell_time(
        a.db, ["DROP TABLE IF EXISTS temp.f;", frame,
               "UPDATE temp.f SET age = age + 1;"],
        "UPDATE user SET age = f.age FROM temp.f AS f WHERE user.id = f.id;",
        a.runs)
    # the correlated form scans the (unindexed) frame once per row: it is
    # quadratic, so it runs on a small copy only
    small_rows = min(a.rows, a.correlated_rows)
    small = a.db + ".small"
    make_db(small, small_rows)
    correlated = shell_time(
        small, ["DROP TABLE IF EXISTS temp.f;", frame,
               "UPDATE temp.f SET age = age + 1;"],
        "UPDATE user SET age = (SELECT f.age FROM temp.f f WHERE f.id = "
        "user.id) WHERE id IN (SELECT id FROM temp.f);", a.runs)

    rows = [
        ("(a) df = User.values('age').dataframe()", ta, make),
        ("(b) df['age'] += 1", tb, bump),
        ("(c) User.update_from_dataframe(df)", tc, upd_from),
        ("(d) (a)+(b)+(c) in one cell", td, None),
    ]
    print(f"{'':44s}{'Tabula':>12s}{'sqlite3 shell (best/mean)':>30s}")
    for name, t, sh in rows:
        shs = f"{fmt(sh[0])} / {fmt(sh[1])}" if sh else ""
        print(f"{name:44s}{fmt(t):>12s}   {shs}")
    print()
    print(f"{'(e) UPDATE user SET age = age + 1':44s}{'':12s}   "
          f"{fmt(plain[0])} / {fmt(plain[1])}")
    print(f"{'(g) correlated form of (c), %s rows' % f'{small_rows:,}':44s}{'':12s}   "
          f"{fmt(correlated[0])} / {fmt(correlated[1])}")
    print()
    print(f"update_from_dataframe / plain UPDATE: {tc / plain[1]:.2f}x; "
          f"whole round trip (d) / plain UPDATE: {td / plain[1]:.2f}x")


if __name__ == "__main__":
    main()
