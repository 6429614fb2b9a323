#!/usr/bin/python3
"""The frames' C paths, proved by the SQL they do not run.

Frames answer many pandas operations in C over in-memory typed copies of
their columns (lang/frame/frame_cols.c, frame_calc.c, frame_pandas.c)
rather than in SQL over their temp tables; both give the same values, so
a test of values alone passes with a C path removed. These tests run a
session under tabula-run with TABULA_SQL_LOG (lang/db/db.c: one JSON line
per statement through db.h) and assert, per operation, a property of the
statements it ran: no aggregate, window or sort over the frame's table
for a statistic of a copied column, no read of a computed column that C
computed, no sort of the whole table for sort_values(c).head(k). The
values are checked too, against pandas (Debian's python3-pandas, 1.5):
each session is a golden file (tests/golden format) whose expected text
is pandas' repr, and each operation's statements are told apart by a
marker statement (SELECT 'tq_mark_N') run before it.

The properties name no exact statement, so that the frames' SQL may
change shape; they fail when the C path is gone (each was checked by
disabling its path: see the test's docstring). Each runs on SQLite and
on PostgreSQL (a throwaway cluster, tests/pg/pgcluster.py; skipped
without PostgreSQL's binaries).

Also here: raw SQL that writes a frame's table reaches the copies
(moved from tests/golden/frame_copies.test, which cannot name the table
without knowing the session's numbering of temp tables): the name is read
from the log of a first run, then written into the cells of a second.

Environment: TABULA_RUN (default build/lang/tabula-run), TABULA_TEST_PG
(a server to use instead of a throwaway cluster), TABULA_BUILD (where
the cluster lives).
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

import pytest

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUN = os.environ.get("TABULA_RUN", os.path.join(ROOT, "build", "lang",
                                                "tabula-run"))
sys.path.insert(0, os.path.join(ROOT, "tests", "pg"))
import pgcluster  # noqa: E402

N = 300
# The table every test reads: an int column a (ties), a float column b
# with missing values, a small int key k and a text column c.
SETUP = """\
>>> %%sql
... CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b REAL, k INTEGER,
...                 c TEXT);
... WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
...                         WHERE i < {n})
... INSERT INTO t SELECT i, (i * 37) % 101 - 50,
...     CASE WHEN i % 7 = 0 THEN NULL ELSE ((i * 13) % 17) / 4.0 END,
...     i % 5, 'c' || (i % 3) FROM n;

""".format(n=N)
# The same rows on PostgreSQL.
SETUP_PG = """\
>>> %%sql
... CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b DOUBLE PRECISION,
...                 k INTEGER, c TEXT);
... INSERT INTO t SELECT i, (i * 37) % 101 - 50,
...     CASE WHEN i % 7 = 0 THEN NULL ELSE ((i * 13) % 17) / 4.0 END,
...     i % 5, 'c' || (i % 3) FROM generate_series(1, {n}) AS i;

""".format(n=N)


def pandas_frame(cols=("a", "b", "k", "c")):
    """The table t as pandas reads it (read_sql, index id)."""
    rows = []
    for i in range(1, N + 1):
        b = float("nan") if i % 7 == 0 else ((i * 13) % 17) / 4.0
        rows.append((i, (i * 37) % 101 - 50, b, i % 5, "c%d" % (i % 3)))
    df = pd.DataFrame(rows, columns=["id", "a", "b", "k", "c"])
    return df.set_index("id")[list(cols)]


def pandas_text(value):
    """pandas' repr as Tabula prints it (Python scalars for numpy's)."""
    if isinstance(value, np.dtype):
        value = str(value)              # Tabula's dtype is its name
    if hasattr(value, "item") and not hasattr(value, "index"):
        value = value.item()
    return "\n".join(line.rstrip() for line in repr(value).split("\n"))


class Session:
    """One golden session: set-up cells, then cells each preceded by a
    marker; run() gives the TAP output and each marked cell's
    statements."""

    def __init__(self, setup=None, server=None):
        """A session on SQLite, or with `server` (a pgcluster server) on
        a fresh database of that PostgreSQL server."""
        self.server = server
        if setup is None:
            setup = SETUP_PG if server else SETUP
        self.text = setup
        self.ncells = setup.count("\n>>> ") + setup.startswith(">>> ")
        self.marks = []           # the cell number of each marked cell

    def cell(self, source, expected=""):
        """Adds a cell (its source, its expected text) after a marker."""
        k = len(self.marks)
        self.text += ">>> tq_mark = %%sql SELECT 'tq_mark_%d'\n\n" % k
        self.ncells += 1
        lines = source.split("\n")
        self.text += ">>> " + lines[0] + "\n"
        self.text += "".join("... " + x + "\n" for x in lines[1:])
        if expected:
            self.text += "\n".join(x if x else "<BLANKLINE>" for x in
                                   expected.split("\n")) + "\n"
        self.text += "\n"
        self.ncells += 1
        self.marks.append(self.ncells)
        return k

    def run(self):
        """Runs the session (its TAP output and stderr in self.tap);
        returns (the statements before the first marker, [the statements
        of marked cell k]), each statement a dict of the log's fields."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.test")
            log = os.path.join(d, "sql.log")
            with open(path, "w") as f:
                f.write(self.text)
            args = [RUN, "--golden", path]
            name = "tq_frame_sql_%d" % os.getpid()
            if self.server:
                args[2:2] = ["--database",
                             fresh_database(self.server.url, name)]
            try:
                r = subprocess.run(args, capture_output=True, text=True,
                                   env=dict(os.environ, TABULA_SQL_LOG=log),
                                   timeout=300)
            finally:
                if self.server:
                    pgcluster.psql(self.server.url,
                                   'DROP DATABASE IF EXISTS "%s"' % name)
            with open(log, encoding="utf-8", errors="replace") as f:
                entries = [json.loads(line) for line in f]
        self.tap = r.stdout + r.stderr
        # a sanitizer's report (an ASan build) fails the session
        assert not re.search(r"Sanitizer|runtime error:", r.stderr), \
            r.stderr
        assert r.returncode == 0 or re.search(r"^not ok", r.stdout, re.M), \
            self.tap
        before, cells = [], []
        for e in entries:
            m = re.fullmatch(r"SELECT 'tq_mark_(\d+)'", e["sql"])
            if m:
                assert int(m.group(1)) == len(cells)
                cells.append([])
            else:
                (cells[-1] if cells else before).append(e)
        assert len(cells) == len(self.marks), self.tap
        return before, cells

    def passed(self, k):
        """Whether marked cell k gave its expected text."""
        n = self.marks[k]
        return re.search(r"^ok %d\b" % n, self.tap, re.M) is not None


def fresh_database(url, name):
    """The URL of a new empty database `name` on url's server."""
    pgcluster.psql(url, 'DROP DATABASE IF EXISTS "%s"' % name)
    pgcluster.psql(url, 'CREATE DATABASE "%s"' % name)
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="module")
def pg_server():
    """A throwaway PostgreSQL cluster (pgcluster.py) for the module, or
    the server TABULA_TEST_PG names; skipped without PostgreSQL."""
    if not os.environ.get("TABULA_TEST_PG") and not glob.glob(
            "/usr/lib/postgresql/*/bin/initdb"):
        pytest.skip("no PostgreSQL binaries")
    with pgcluster.test_server() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request):
    """None for SQLite, else the PostgreSQL server: the frames' C paths
    sit above the engines, so each test runs on both."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_server")


def frame_table(stmts):
    """The temp table the statements created (the frame made), one."""
    names = {m.group(1) for e in stmts for m in re.finditer(
        r'CREATE TEMP TABLE "?(\w+)"?', e["sql"])}
    assert len(names) == 1, names
    return names.pop()


def reads(e, table):
    """Whether statement e reads rows of `table` (FROM or JOIN it)."""
    return e["op"] in ("prepare", "exec") and re.search(
        r'\b(FROM|JOIN)\s+(?:"?(?:temp|pg_temp)"?\.)?"?%s(?!\w)'
        % re.escape(table), e["sql"], re.I) is not None


ROWID = r'(?:"?\w+"?\.)?"?(?:_rowid_|rowid|tq_row)"?(?:\s+(?:ASC|DESC))?'


def sorts(sql):
    """Whether some ORDER BY of sql orders by more than the row order."""
    for m in re.finditer(r"\bORDER\s+BY\s+(.*?)(?=\bLIMIT\b|\)|$)", sql,
                         re.I | re.S):
        items = [x.strip() for x in m.group(1).split(",")]
        if any(not re.fullmatch(ROWID, x, re.I) for x in items):
            return True
    return False


AGGREGATE = re.compile(r"\b(count|sum|total|avg|min|max|group_concat|"
                       r"stddev\w*|var\w*)\s*\(|\bGROUP\s+BY\b|\bOVER\s*\(",
                       re.I)


def computes(e, table):
    """Whether statement e computes over the rows of `table`: an
    aggregate, a window, GROUP BY or a sort (a read of copies in row
    order does none of these)."""
    return reads(e, table) and (AGGREGATE.search(e["sql"]) is not None or
                                sorts(e["sql"]))


def show(stmts):
    return "\n".join("  " + e["sql"][:400] for e in stmts)


def need_run():
    if not os.path.exists(RUN):
        pytest.skip("build tabula-run first")


def test_log_format(server):
    """The log holds one JSON line per statement, a statement's line
    breaks and quotes escaped, with its engine and whether it ran; each
    cell is a transaction, rolled back when it fails."""
    need_run()
    s = Session(setup="", server=server)
    s.cell('%%sql\nSELECT \'a\' AS "b\\"\nUNION ALL SELECT \'c\'', "")
    s.cell("%sql SELECT nope", "!!! (its engine's error)")
    before, cells = s.run()
    engine = "postgresql" if server else "sqlite"
    sql = [e for e in cells[0] if e["op"] == "prepare"]
    assert [e["sql"].rstrip("\n") for e in sql] == \
        ['SELECT \'a\' AS "b\\"\nUNION ALL SELECT \'c\''], show(cells[0])
    assert all(e["engine"] == engine and e["ok"] and e["pid"] > 0
               for e in sql)
    failed = [e for e in cells[1] if e["op"] == "prepare"]
    assert [(e["sql"], e["ok"]) for e in failed] == \
        [("SELECT nope", False)], show(cells[1])
    # each cell is one transaction (its marker's COMMIT comes first, the
    # next marker's BEGIN last)
    ends = ("begin", "commit", "rollback")
    assert [e["op"] for e in cells[0] if e["op"] in ends] == \
        ["commit", "begin", "commit", "begin"]
    assert [e["op"] for e in cells[1] if e["op"] in ends] == \
        ["commit", "begin", "rollback"]


def test_computed_column_copy():
    """df['x'] = <+ - * over copied columns>: C computes x's copy
    (fc_assign_copy), so its statistics read no x from the table.
    Fails when fc_assign_copy returns at once. SQLite only: there the
    column is virtual (computed when read); PostgreSQL's frames write
    it, and read it back (reference section 6)."""
    need_run()
    p = pandas_frame(("a", "b"))
    p["x"] = p["a"] * 2 + p["b"]
    p["w"] = -p["a"] * 3 - 7
    s = Session()
    load = s.cell("df = T[:, ['a', 'b']].dataframe()")
    assign = s.cell("df['x'] = df['a'] * 2 + df['b']\n"
                    "df['w'] = -df['a'] * 3 - 7")
    stats = [s.cell(src, pandas_text(eval(src, {"df": p})))
             for src in ("df['x'].sum()", "df['x'].mean()", "df['x'].max()",
                         "df['w'].sum()", "df['w'].dtype", "df['x'].std()")]
    _, cells = s.run()
    table = frame_table(cells[load])
    for k in stats:
        assert s.passed(k), s.tap
    bad = [e for k in [assign] + stats for e in cells[k]
           if reads(e, table) and re.search(r'"[xw]"', e["sql"])]
    assert not bad, "computed columns read back from %s:\n%s" % (
        table, show(bad))


def test_in_place_copy():
    """df['a'] = <+ - * over copied columns>, an existing column written
    in place: its copy comes from the values assigned (fc_recipe_adopt,
    as the column's type stores them), so its statistics, and an
    update_from_dataframe, read no a from the table. Fails when
    in_place_recipe (frame.c) gives no recipe. SQLite only, as the
    computed columns above."""
    need_run()
    p = pandas_frame(("a", "b"))
    p["a"] = p["a"] + 1
    p["b"] = p["b"] * 2 - p["a"]
    s = Session()
    load = s.cell("df = T[:, ['a', 'b']].dataframe()")
    assign = s.cell("df['a'] = df['a'] + 1\n"
                    "df['b'] = df['b'] * 2 - df['a']")
    stats = [s.cell(src, pandas_text(eval(src, {"df": p})))
             for src in ("df['a'].sum()", "df['a'].dtype", "df['b'].mean()",
                         "df['b'].max()", "df['a'].std()")]
    _, cells = s.run()
    table = frame_table(cells[load])
    for k in stats:
        assert s.passed(k), s.tap
    bad = [e for k in stats for e in cells[k]
           if reads(e, table) and re.search(r'"[ab]"', e["sql"])]
    assert not bad, "columns written in place read back from %s:\n%s" % (
        table, show(bad))


def test_sort_head_tail(server):
    """sort_values(c).head(k) and .tail(k) over a copied column: C picks
    the k rows (fc_sorted_rows), SQL sorts only them; no statement sorts
    the frame's table unrestricted. Fails when sorted_rows_filter
    (frame.c) finds no rows."""
    need_run()
    p = pandas_frame(("a", "b", "k"))
    s = Session(server=server)
    load = s.cell("df = T[:, ['a', 'b', 'k']].dataframe()")
    exprs = ["df.sort_values('b').head(4)",
             "df.sort_values('b').tail(6)",
             "df.sort_values('a', ascending=False).head(5)",
             "df.sort_values('a', ascending=False).tail(3)",
             "df['b'].sort_values().head(3)"]
    # Tabula's sort is stable (equal values in row order), pandas'
    # default quicksort is not
    stable = [re.sub(r"sort_values\((.*?)\)", lambda m: "sort_values(%s%s"
                     "kind='stable')" % (m.group(1), m.group(1) and ", "),
                     src) for src in exprs]
    ks = [s.cell(src, pandas_text(eval(ps, {"df": p})))
          for src, ps in zip(exprs, stable)]
    _, cells = s.run()
    table = frame_table(cells[load])
    for k, src in zip(ks, exprs):
        assert s.passed(k), (src, s.tap)
        bad = [e for e in cells[k] if reads(e, table) and sorts(e["sql"])
               and not re.search(r"\bWHERE\b.*\bIN\s*\(", e["sql"],
                                 re.I | re.S)]
        assert not bad, "%s sorts all of %s:\n%s" % (src, table, show(bad))
        assert any(reads(e, table) for e in cells[k]), show(cells[k])


def stats_session(server, exprs, cols=("a", "b", "k"), warm=True):
    """A session that loads t[cols] as df, reads a statistic of each
    column when `warm` (so that each has its copy, whenever copies are
    made), then runs each expression, checked against pandas; returns
    (frame table, statements of each expression)."""
    p = pandas_frame(cols)
    s = Session(server=server)
    load = s.cell("df = T[:, %r].dataframe()" % list(cols))
    if warm:
        src = ", ".join("df[%r].max()" % c for c in cols)
        s.cell(src, pandas_text(eval("(%s,)" % src, {"df": p})))
    ks = [s.cell(src, pandas_text(eval(src, {"df": p}))) for src in exprs]
    _, cells = s.run()
    table = frame_table(cells[load])
    for k, src in zip(ks, exprs):
        assert s.passed(k), (src, s.tap)
    return table, [cells[k] for k in ks]


def assert_no_compute(exprs, table, cells):
    for src, stmts in zip(exprs, cells):
        bad = [e for e in stmts if computes(e, table)]
        assert not bad, "%s computed in SQL over %s:\n%s" % (src, table,
                                                            show(bad))


def test_series_reductions(server):
    """Series sum/mean/std/min/max/count of copied columns are C's
    (fc_reduce): no aggregate over the frame's table. Fails when
    frame_stats.c's reduction skips fc_reduce, or frame_col gives no
    copy."""
    need_run()
    exprs = ["df['a'].sum()", "df['b'].sum()", "df['b'].mean()",
             "df['a'].std()", "df['b'].min()", "df['a'].max()",
             "df['b'].count()", "df[['a', 'b']].mean()",
             "df[['a', 'b']].sum()"]
    table, cells = stats_session(server, exprs)
    assert_no_compute(exprs, table, cells)


def test_order_statistics(server):
    """median(), quantile() and var() of copied columns, of a Series or a
    frame, are C's (fc_quantile, fc_reduce): no sort, count or aggregate
    over the frame's table. Fails when frame_methods.c's reduce() takes
    the SQL path."""
    need_run()
    exprs = ["df['b'].median()", "df['a'].median()", "df['a'].quantile(0.3)",
             "df['b'].quantile(0.75)", "df['b'].var()", "df.median()",
             "df.quantile(0.9)", "df[['a', 'b']].var()"]
    table, cells = stats_session(server, exprs)
    assert_no_compute(exprs, table, cells)


def test_describe(server):
    """describe() of copied numeric columns reads the copies
    (fc_moments, quantiles over fc_values): no statement reads the
    frame's table once its columns are copied, where without the copies
    each column is read again. Fails when frame_stats.c's typed_inputs
    takes no copy."""
    need_run()
    exprs = ["df.describe()", "df['b'].describe()", "df['k'].describe()"]
    table, cells = stats_session(server, exprs)
    for src, stmts in zip(exprs, cells):
        bad = [e for e in stmts if reads(e, table)]
        assert not bad, "%s read %s:\n%s" % (src, table, show(bad))


def test_describe_with_text(server):
    """describe() of a frame with a text column describes its copied
    numeric columns (pandas leaves the text out) without reading the
    frame's table: the text column's dtype says it is not described.
    Fails when typed_inputs gives up on a text column."""
    need_run()
    exprs = ["df.describe()"]
    table, cells = stats_session(server, exprs, cols=("a", "b", "k", "c"))
    for src, stmts in zip(exprs, cells):
        bad = [e for e in stmts if reads(e, table)]
        assert not bad, "%s read %s:\n%s" % (src, table, show(bad))


def test_groupby(server):
    """groupby(k)[cols].sum()/mean()/... over copied columns is C's
    (fc_groupby): no GROUP BY over the frame's table. Fails when
    frame_stats.c takes the SQL path."""
    need_run()
    exprs = ["df.groupby('k')['b'].sum()", "df.groupby('k')['a'].mean()",
             "df.groupby('k')[['a', 'b']].max()",
             "df.groupby('k')['b'].count()"]
    table, cells = stats_session(server, exprs)
    assert_no_compute(exprs, table, cells)


def test_value_counts(server):
    """value_counts() of a copied column is C's (fc_value_counts): no
    GROUP BY or count over the frame's table. Fails when frame_series.c
    takes the SQL path."""
    need_run()
    exprs = ["df['k'].value_counts()", "df['a'].value_counts().head(8)",
             "df['k'].value_counts(normalize=True)"]
    table, cells = stats_session(server, exprs)
    assert_no_compute(exprs, table, cells)


def test_cumsum(server):
    """A Series' cumsum/cummax/cummin over a copy is C's (fc_running,
    a memory store): no window over the frame's table. Fails when
    frame_methods.c takes the SQL path."""
    need_run()
    exprs = ["df['b'].cumsum().tail(4)", "df['a'].cumsum().head(4)",
             "df['a'].cummax().tail(3)", "df['b'].cummin().head(3)"]
    table, cells = stats_session(server, exprs)
    assert_no_compute(exprs, table, cells)


def test_dtypes(server):
    """dtypes of numeric columns come from their copies
    (frame_cols_dtype), first thing after .dataframe(): no count of the
    values' types over the frame's table. Fails when frame_cols_dtype
    says nothing."""
    need_run()
    exprs = ["df.dtypes", "df['b'].dtype", "df['a'].dtype"]
    table, cells = stats_session(server, exprs, warm=False)
    assert_no_compute(exprs, table, cells)


RAW = """\
>>> %%sql
... CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b REAL);
... INSERT INTO t VALUES (1, 1, 1.5), (2, 2, NULL), (3, 3, 2.5),
...     (4, 9223372036854775807, 0.25);
>>> df = T.dataframe()
>>> df['b'].sum(), df['b'].mean(), df['b'].count(), df['a'].max()
(4.25, 1.4166666666666667, 3, 9223372036854775807)
"""

RAW_WRITES = """
# raw SQL writes the frame's table: the copies are read again
>>> %sql UPDATE temp.{t} SET b = b * 2
>>> df['b'].sum(), df['b'].mean()
(8.5, 2.8333333333333335)

# a failed cell's write is rolled back, and so are the copies it read
>>> %sql UPDATE temp.{t} SET b = 100
... print(df['b'].sum())
... 1/0
400.0
!!! ZeroDivisionError: division by zero
>>> df['b'].sum()
8.5
>>> df['b'] = df['b'] + 1
>>> df['b'].sum(), df['a'].min()
(11.5, 1)

# a computed column's copy (computed in C) agrees with SQLite's virtual
# column, and raw SQL writing a column it reads reaches it
>>> df['z'] = -df['a'] * 2 + df['b']
>>> df['z'].dtype, df['z'].count(), df['z'].max(), df['z'].min()
('float64', 3, 2.0, -1.8446744073709552e+19)
>>> %sql SELECT max(z), min(z), count(z) FROM temp.{t}
 max(z)        min(z)  count(z)
    2.0 -1.844674e+19         3
>>> %sql UPDATE temp.{t} SET a = 2 WHERE id = 1
>>> df['z'].max(), df['z'].count()
(0.0, 3)
"""


def created(stmts):
    """The temp tables the statements created, in order."""
    return [m.group(1) for e in stmts for m in re.finditer(
        r'CREATE TEMP TABLE "?(\w+)"?', e["sql"])]


def test_raw_sql_reaches_copies():
    """Raw SQL writing a frame's temp table, and the rollback of a
    failed cell that wrote it, reach the copies; a computed column's
    copy agrees with the table. The table's name comes from the log of
    a first run of the same opening cells (a fresh session numbers its
    temp tables the same way)."""
    need_run()
    before, _ = Session(setup=RAW).run()
    table = frame_table(before)
    s = Session(setup=RAW + RAW_WRITES.format(t=table))
    before, _ = s.run()
    assert created(before)[:1] == [table], show(before)
    assert not re.search(r"^not ok", s.tap, re.M), s.tap
    assert len(re.findall(r"^ok ", s.tap, re.M)) == \
        RAW.count(">>> ") + RAW_WRITES.count(">>> "), s.tap
