"""This file executes every notebook under notebooks/ through the real
Tabula kernel with nbclient and checks what the reader must see: no error
output anywhere, the tables with the right number of rows and the right
numbers (cross-checked with raw SQL run in the same kernel), charts that
are real PNGs, the ER diagram as SVG naming the tables, %timeit's IPython
format, and SQL from .query. It also checks the notebooks as stored in the
repository (kernelspec, executed, no stored errors) and that
`jupyter nbconvert --to script` gives a .tq file that runs again, as one
cell, through the kernel.

The notebooks in POSTGRES run on PostgreSQL: their kernel gets
TABULA_DATABASE naming a fresh database on a throwaway cluster
(tests/pg/pgcluster.py; the server TABULA_TEST_PG names, when set), one
database per execution; they skip only when the PostgreSQL server
binaries are not installed.

Cells are found by their metadata tags (see CHECKS below), so prose can
change freely. Run: /usr/bin/python3 -m pytest tests/notebooks -v
"""
import itertools
import os
import re
import subprocess
import sys
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient

from nbcheck import (JUPYTER, KERNEL, assert_png, error_outputs, html_table,
                      kernel_spec_or_skip, mime, notebook_paths, one_cell,
                      stream_text)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "pg"))
import pgcluster  # noqa: E402

NOTEBOOKS = notebook_paths()
IDS = [p.name for p in NOTEBOOKS]

# Cross-check cells appended before execution (never saved): raw SQL
# through %sql, so the query-set compiler is checked against SQLite itself.
REVENUE_2025_SQL = (
    "%sql SELECT substr(start_time, 1, 7) AS month, sum(total_fee) AS revenue"
    " FROM rental WHERE start_time >= '2025-01-01' AND start_time < "
    "'2026-01-01' GROUP BY month ORDER BY month")
TOP_SPENDERS_SQL = (
    "%sql SELECT u.name AS name, sum(r.total_fee) AS spend FROM user u JOIN"
    " rental r ON r.user_id = u.id GROUP BY u.id ORDER BY spend DESC"
    " LIMIT 3")
# The same cross-checks in PostgreSQL's SQL, and a cell that fails unless
# the kernel runs on PostgreSQL.
REVENUE_2025_PG = (
    "%sql SELECT date_trunc('month', start_time)::date AS month,"
    " sum(total_fee) AS revenue FROM rental WHERE start_time >= '2025-01-01'"
    " AND start_time < '2026-01-01' GROUP BY 1 ORDER BY 1")
TOP_SPENDERS_PG = (
    "%sql SELECT u.name AS name, sum(r.total_fee) AS spend FROM \"user\" u"
    " JOIN rental r ON r.user_id = u.id GROUP BY u.id ORDER BY spend DESC"
    " LIMIT 3")
SERVER_VERSION_PG = "%sql SELECT current_setting('server_version_num') AS v"
TOP_BIKES_SQL = (
    "%sql SELECT b.name AS name, sum(r.total_fee) AS revenue FROM bike b"
    " JOIN rental r ON r.bike_id = b.id GROUP BY b.id ORDER BY revenue DESC"
    " LIMIT 5")

_executed = {}


def number(text):
    return float(text.replace(",", "").replace("\u202f", "").strip())


def numbers_in(row):
    out = []
    for cell in row:
        try:
            out.append(number(cell))
        except ValueError:
            pass
    return out


def column(headers, rows, name):
    """Values of column `name` (header texts as rendered), or None."""
    for header in headers:
        if name in header:
            i = header.index(name)
            if all(len(r) == len(header) for r in rows):
                return [r[i] for r in rows]
            # Header without the index cell: align from the right.
            shift = len(rows[0]) - len(header)
            return [r[i + shift] for r in rows]
    return None


def notebook_workdir(path):
    """The folder a notebook that opens files of the repository by
    relative paths runs in (its own), or None for a fresh one."""
    return str(path.parent) if path.name in RUN_IN_PLACE else None


# Notebooks that open the repository's files (read-only) by relative path.
RUN_IN_PLACE = {"django_project.ipynb"}

# Notebooks that run on a PostgreSQL server (TABULA_DATABASE).
POSTGRES = {"postgres.ipynb"}
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the POSTGRES notebooks, started on first
    use (a throwaway cluster unless TABULA_TEST_PG names one)."""
    try:
        pgcluster.bindir()
    except RuntimeError as e:
        if not os.environ.get("TABULA_TEST_PG"):
            pytest.skip(str(e))
    with pgcluster.test_server() as pg:
        yield pg


def kernel_env(path, request):
    """The kernel's environment for the notebook at `path`: for a POSTGRES
    notebook, TABULA_DATABASE names a new empty database; None otherwise."""
    if path.name not in POSTGRES:
        return None
    pg = request.getfixturevalue("pg_server")
    name = f"tq_nb_{path.stem}_{os.getpid()}_{next(_databases)}"
    try:
        psql = os.path.join(pgcluster.bindir(), "psql")
    except RuntimeError:
        psql = "psql"                 # TABULA_TEST_PG names the server
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", pg.url,
                        "-c", sql], check=True, capture_output=True, env=env)
    url = pg.url.rsplit("/", 1)[0] + "/" + name
    return dict(env, TABULA_DATABASE=url)


def execute(path, request):
    """Executes a copy of the notebook at `path` (plus the cross-check
    cells) in a fresh kernel; cached per notebook for the session."""
    if path in _executed:
        return _executed[path]
    kernel_spec_or_skip()
    env = kernel_env(path, request)
    nb = nbformat.read(path, as_version=4)
    extra = {"2025_revenue_analysis.ipynb": [("check-revenue", REVENUE_2025_SQL),
                                             ("check-spenders", TOP_SPENDERS_SQL)],
             "rental_analytics.ipynb": [("check-bikes", TOP_BIKES_SQL)],
             "postgres.ipynb": [("check-revenue", REVENUE_2025_PG),
                                ("check-spenders", TOP_SPENDERS_PG),
                                ("check-version", SERVER_VERSION_PG)]}
    for tag, source in extra.get(path.name, []):
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    workdir = notebook_workdir(path) or tempfile.mkdtemp(prefix="tabula-nb-")
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=300,
                            startup_timeout=60,
                            resources={"metadata": {"path": workdir}})
    if env is None:
        client.execute()
    else:
        client.execute(env=env)
    _executed[path] = nb
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_notebook(path):
    """The notebook as committed: Tabula kernelspec, every code cell
    executed, outputs stored, no stored error."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ks = nb.metadata.get("kernelspec", {})
    if KERNEL == "tabula":
        assert ks.get("name") == "tabula"
        assert ks.get("display_name") == "Tabula"
        assert ks.get("language") == "tabula"
        li = nb.metadata.get("language_info", {})
        assert li.get("name") == "tabula"
        assert li.get("file_extension") == ".tq"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert any(c.cell_type == "markdown" for c in nb.cells)
    for c in code:
        assert c.execution_count is not None, f"not executed: {c.source!r}"
    assert sum(1 for c in code if c.outputs) >= len(code) // 2, \
        "most cells should show something"
    assert not error_outputs(nb), "stored error outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executes_without_errors(path, request):
    nb = execute(path, request)
    assert not error_outputs(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.execution_count is not None
            assert "Traceback" not in stream_text(c, "stderr")


# ---- per-notebook checks ------------------------------------------------

def check_revenue_2025(nb):
    table = one_cell(nb, "revenue-table")
    headers, rows = html_table(mime(table, "text/html"))
    assert len(rows) == 12, f"revenue table has {len(rows)} rows, not 12"
    months = []
    for r in rows:
        m = [re.search(r"2025-(\d\d)", c) for c in r]
        m = [x for x in m if x]
        assert m, f"no 2025 month in row {r}"
        months.append(int(m[0].group(1)))
    assert months == list(range(1, 13)), months
    revenue = column(headers, rows, "revenue") or [numbers_in(r)[-1] for r in rows]
    revenue = [number(v) if isinstance(v, str) else v for v in revenue]
    assert "revenue" in mime(table, "text/plain")

    _, expected = html_table(mime(one_cell(nb, "check-revenue"), "text/html"))
    assert len(expected) == 12
    for got, exp in zip(revenue, expected):
        assert got == pytest.approx(numbers_in(exp)[-1], abs=0.01)
    # Seasonality shows: the summer peak is above the winter trough.
    assert max(revenue[5:8]) > 1.5 * min(revenue[0], revenue[1], revenue[11])

    chart = one_cell(nb, "revenue-chart")
    assert_png(mime(chart, "image/png"))
    assert mime(chart, "text/plain")

    spenders = one_cell(nb, "top-spenders")
    headers, rows = html_table(mime(spenders, "text/html"))
    assert len(rows) == 3, f"{len(rows)} top spenders"
    spend = [number(v) for v in column(headers, rows, "spend")]
    assert spend == sorted(spend, reverse=True)
    names = column(headers, rows, "name")
    _, expected = html_table(mime(one_cell(nb, "check-spenders"), "text/html"))
    assert [e[-2] for e in expected] == names
    for got, exp in zip(spend, expected):
        assert got == pytest.approx(number(exp[-1]), abs=0.01)


def check_rental_analytics(nb):
    chart = one_cell(nb, "top-bikes-chart")
    assert_png(mime(chart, "image/png"))

    top = one_cell(nb, "top-bikes")
    headers, rows = html_table(mime(top, "text/html"))
    _, expected = html_table(mime(one_cell(nb, "check-bikes"), "text/html"))
    got = column(headers, rows, "revenue")
    assert got and len(got) >= 5
    for g, e in zip(got, expected):
        assert number(g) == pytest.approx(number(e[-1]), abs=0.01)

    timeit = one_cell(nb, "timeit")
    text = stream_text(timeit) + "".join(
        o["data"].get("text/plain", "") for o in timeit.outputs
        if o.output_type in ("execute_result", "display_data"))
    assert re.search(r"[\d.]+ (ns|µs|us|ms|s) ± [\d.]+ (ns|µs|us|ms|s) per "
                     r"loop \(mean ± std\. dev\. of \d+ runs?, [\d,]+ loops? "
                     r"each\)", text), text

    query = one_cell(nb, "query")
    sql = stream_text(query) + "".join(
        o["data"].get("text/plain", "") for o in query.outputs
        if o.output_type in ("execute_result", "display_data"))
    assert re.search(r"\bSELECT\b", sql) and re.search(r"\bJOIN\b", sql), sql

    svg = mime(one_cell(nb, "erd"), "image/svg+xml")
    assert "<svg" in svg
    for table in ("user", "bike", "rental"):
        assert re.search(rf">\s*{table}\s*<", svg), f"{table} not in the ER diagram"


# LANGUAGE.md sections 3 and 6, the seed's session: (cell source, the
# text/plain the spec requires). Copied from the spec, not from outputs.
BOOGIE_SPEC = [
    ("pk = 1\nUser.objects[pk, 'name']", "'John Lennon'"),
    ("users[pk, :]", "<User: John Winston Lennon>"),
    ("users[pk, ['name', 'age']]", "Row('John Winston Lennon', 25)"),
    ("users[:, 'name']",
     "<QuerySet ['John Lennon', 'Paul McCartney', 'George Harrison', 'Ringo Star']>"),
    ("users[:, ['name', 'age']]",
     "<QuerySet [Row('John Lennon', 27), Row('Paul McCartney', 26), "
     "Row('George Harrison', 22), Row('Ringo Star', 29)]>"),
    ("users[[1, 2], :]", "<QuerySet [<User: John Lennon>, <User: Paul McCartney>]>"),
    ("users[[1, 2, 3], 'age']", "<QuerySet [27, 26, 22]>"),
    ("users[[1, 3], ['age', 'name']]",
     "<QuerySet [Row(27, 'John Lennon'), Row(22, 'George Harrison')]>"),
    ("users[users.filter(age__lt=25), 'name']", "<QuerySet ['George Harrison']>"),
    ("users[F.age < 25, 'name']", "<QuerySet ['George Harrison']>"),
    ("users[Q(age__lt=25), 'name']", "<QuerySet ['George Harrison']>"),
    ("users[F.age < 25, [F.name, F.age]]", "<QuerySet [Row('George Harrison', 22)]>"),
    ("db.main.user[:, 'name']",
     "<QuerySet ['John Lennon', 'Paul McCartney', 'George Harrison', 'Ringo Star']>"),
    ("users[:, ['name', 'age']].dataframe()",
     "               name  age\n"
     "id\n"
     "1       John Lennon   27\n"
     "2    Paul McCartney   26\n"
     "3   George Harrison   22\n"
     "4        Ringo Star   29"),
    ("df = users[:, 'age'].dataframe()\ndf['age'] += 1\n"
     "users.update_from_dataframe(df)\nusers[:, ['name', 'age']].dataframe()",
     "               name  age\n"
     "id\n"
     "1       John Lennon   28\n"
     "2    Paul McCartney   27\n"
     "3   George Harrison   23\n"
     "4        Ringo Star   30"),
]

# The tour's own steps after the spec's session (ages 28, 27, 23, 30).
BOOGIE_TAGGED = {
    "f-and-not": "<QuerySet ['John Lennon']>",
    "f-isin": "<QuerySet [Row('Paul McCartney', 27), Row('Ringo Star', 30)]>",
    "q-or": "<QuerySet ['George Harrison', 'Ringo Star']>",
    "update-f": "2",
    "assign-rows": "<QuerySet [Row('John Lennon', 28), Row('Paul McCartney', 28), "
                   "Row('George Harrison', 25), Row('Ringo Star', 30)]>",
    "save": "31",
    "row-local": "(Row('J. Lennon', 28), 'John Lennon')",
    "members": "<QuerySet [<Member: John Lennon>, <Member: Pete Best>]>",
    "status": "<QuerySet [Row('John Lennon', 'published', False), "
              "Row('Pete Best', 'draft', False), Row('Brian Epstein', 'draft', False)]>",
    "soft-delete": "(2, 3)",
    "all-objects": "<QuerySet [Row('John Lennon', False), Row('Pete Best', True), "
                   "Row('Brian Epstein', False)]>",
    "timestamps": "(True, True)",
    "polymorphic": "<QuerySet [<Bicycle: Blue Falcon>, <Scooter: Red Comet>]>",
    "timeframed": "<QuerySet [<Event: open-ended>]>",
    "manager-method": "<Member: Stuart Sutcliffe>",
    # Pete Best is soft-deleted: the default manager no longer sees him.
    "queryset-method": "<QuerySet [Row('John Lennon', 25), Row('Brian Epstein', 27), "
                       "Row('Stuart Sutcliffe', 20)]>",
}


def check_boogie_tour(nb):
    by_source = {c.source: c for c in nb.cells if c.cell_type == "code"}
    for source, want in BOOGIE_SPEC:
        assert source in by_source, f"the tour lacks the spec's cell {source!r}"
        got = mime(by_source[source], "text/plain")
        assert got == want, f"{source!r}: {got!r} != {want!r}"
    for tag, want in BOOGIE_TAGGED.items():
        got = mime(one_cell(nb, tag), "text/plain")
        assert got == want, f"{tag}: {got!r} != {want!r}"
    # Tables also come as HTML, frames with their index.
    frame = by_source[BOOGIE_SPEC[-1][0]]
    headers, rows = html_table(mime(frame, "text/html"))
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    assert column(headers, rows, "age") == ["28", "27", "23", "30"]
    schema = mime(one_cell(nb, "schema-member"), "text/plain")
    assert re.search(r"club_id\s+\S+\s+FK -> club\.id", schema), schema
    for col in ("created", "modified", "status", "status_changed", "is_removed"):
        assert re.search(rf"^\s*{col}\s", schema, re.M), f"{col} missing:\n{schema}"


def check_postgres(nb):
    """The tour ran on PostgreSQL, and its answers are the server's."""
    version = mime(one_cell(nb, "check-version"), "text/plain")
    assert re.search(r"\b\d{5,6}\b", version), version
    assert mime(one_cell(nb, "db"), "text/plain") == (
        "<db main: bike (Bike), rental (Rental), user (User)>")
    schema = mime(one_cell(nb, "schema-rental"), "text/plain")
    assert re.search(r"user_id\s+integer\s+FK -> user\.id", schema), schema
    assert re.search(r"start_time\s+timestamp", schema), schema
    assert mime(one_cell(nb, "counts"), "text/plain") == "(200, 50, 10000)"
    assert mime(one_cell(nb, "icontains"), "text/plain") == (
        "<QuerySet ['Crimson Falcon', 'Quiet Falcon', 'Wild Falcon']>")
    rel = mime(one_cell(nb, "relations"), "text/plain")
    assert re.fullmatch(r"\(<User: [^>]+>, '[^']+', "
                        r"datetime\.timedelta\(seconds=\d+\)\)", rel), rel
    # The months and sums of the query set are those of the server's SQL.
    check_revenue_2025(nb)
    sql = stream_text(one_cell(nb, "query"))
    assert "date_trunc('month'" in sql and 'FROM "rental"' in sql, sql
    raw = mime(one_cell(nb, "sql"), "text/plain").split()
    assert raw[:2] == ["kind", "bikes"] and len(raw) == 8, raw
    saved = one_cell(nb, "savepoint")
    assert stream_text(saved).startswith(
        "refused: UNIQUE constraint failed: user.id"), stream_text(saved)
    assert mime(saved, "text/plain") == "200"
    cell = one_cell(nb, "timeit")
    timeit = stream_text(cell) + "".join(
        o["data"].get("text/plain", "") for o in cell.outputs
        if o.output_type in ("execute_result", "display_data"))
    assert re.search(r"per loop \(mean ± std\. dev\. of \d+ runs?", timeit), \
        timeit
    svg = mime(one_cell(nb, "erd"), "image/svg+xml")
    for table in ("user", "bike", "rental"):
        assert re.search(rf">\s*{table}\s*<", svg), f"{table} not in the ER diagram"


CHECKS = {
    "postgres.ipynb": check_postgres,
    "2025_revenue_analysis.ipynb": check_revenue_2025,
    "rental_analytics.ipynb": check_rental_analytics,
    "boogie_tour.ipynb": check_boogie_tour,
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_key_outputs(path, request):
    check = CHECKS.get(path.name)
    if check is None:
        pytest.skip(f"no specific checks for {path.name}")
    check(execute(path, request))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_script_export_runs(path, tmp_path, request):
    """nbconvert --to script gives a .tq program that the kernel runs again
    in one execute_request (a fresh kernel, its own working folder)."""
    kernel_spec_or_skip()
    from jupyter_client.manager import start_new_kernel
    if KERNEL != "tabula":
        pytest.skip("the script export is checked for the tabula kernel")
    subprocess.run([JUPYTER, "nbconvert", "--to", "script", "--output-dir",
                    str(tmp_path), str(path)], check=True,
                   capture_output=True, timeout=120)
    scripts = list(tmp_path.glob("*.tq"))
    assert [s.name for s in scripts] == [path.stem + ".tq"]
    code = scripts[0].read_text()
    late_cell_magics = [l for l in code.splitlines()[1:] if l.startswith("%%")]
    assert not late_cell_magics, \
        f"cell magics cannot run inside a whole-file cell: {late_cell_magics}"
    env = kernel_env(path, request)
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=60,
                              cwd=notebook_workdir(path) or str(tmp_path),
                              **({"env": env} if env else {}))
    outputs = []
    try:
        reply = kc.execute_interactive(
            code, timeout=300,
            output_hook=lambda msg: outputs.append(msg))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    assert reply["content"]["status"] == "ok", reply["content"]
    assert not errors, errors
    shown = [m for m in outputs
             if m["msg_type"] in ("execute_result", "display_data", "stream")]
    assert shown, "the script showed nothing"
