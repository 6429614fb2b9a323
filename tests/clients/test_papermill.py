"""papermill runs the parameterised report for another year:
`papermill -k tabula --language python notebooks/2025_revenue_analysis.ipynb
out.ipynb -p year 2024`. papermill has no translator for the language
"tabula" and loads translators only from Python code, so `--language
python` picks its Python translator, whose output (`# Parameters` and
`year = 2024`) is valid Tabula. The test checks that the injected cell
follows the `parameters` cell, that every cell ran without error, that the
2024 figures differ from the stored 2025 ones, and that they match a direct
SQL query run in the same kernel."""
import re
import subprocess

import nbformat
import pytest

from conftest import ROOT, tool

REPORT = ROOT / "notebooks" / "2025_revenue_analysis.ipynb"
CHECK_SQL = (
    "%sql SELECT substr(start_time, 1, 7) AS month, "
    "round(sum(total_fee), 2) AS revenue FROM rental "
    "WHERE start_time >= :start AND start_time < :stop "
    "GROUP BY month ORDER BY month")


def tagged(nb, tag):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{len(cells)} cells tagged {tag}"
    return cells[0]


def plain(cell):
    for o in cell.outputs:
        if o.output_type == "execute_result":
            return o.data["text/plain"]
    raise AssertionError(f"no result in {cell.source!r}: {cell.outputs}")


def monthly(text):
    """(month, revenue) pairs of a query set or %sql text/plain."""
    # a month is a date value (datetime.date(2024, 1, 1)) in a query
    # set's repr, and ISO text in a %sql table
    dated = re.findall(r"datetime\.date\((\d{4}), (\d+), 1\),\s*'revenue':\s*"
                       r"([\d.]+)", text)
    if dated:
        return [(f"{y}-{int(m):02d}", round(float(r), 2)) for y, m, r in dated]
    pairs = (re.findall(r"'(\d{4}-\d\d)-01',\s*'revenue':\s*([\d.]+)", text)
             or re.findall(r"^\s*(\d{4}-\d\d)\s+([\d.]+)\s*$", text, re.M))
    return [(m, round(float(r), 2)) for m, r in pairs]


def run_papermill(tmp_path, *params):
    out = tmp_path / "out.ipynb"
    # The cross-check cell goes into a copy of the report.
    nb = nbformat.read(REPORT, as_version=4)
    check = nbformat.v4.new_code_cell(
        "start = str(year) + '-01-01'\nstop = str(year + 1) + '-01-01'\n"
        + CHECK_SQL + "\n")
    check.metadata["tags"] = ["check-sql"]
    nb.cells.append(check)
    src = tmp_path / "report.ipynb"
    nbformat.write(nb, src)
    r = subprocess.run(
        [tool("papermill"), "-k", "tabula", "--language", "python",
         "--cwd", str(tmp_path), "--execution-timeout", "300",
         "--start-timeout", "120", str(src), str(out), *params],
        capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return nbformat.read(out, as_version=4)


def test_papermill_without_language_explains(tmp_path):
    """Without --language papermill refuses the tabula language; the README
    says to pass --language python."""
    r = subprocess.run(
        [tool("papermill"), "-k", "tabula", str(REPORT),
         str(tmp_path / "out.ipynb"), "-p", "year", "2024"],
        capture_output=True, text=True, timeout=300)
    if r.returncode == 0:
        pytest.fail("papermill now translates tabula parameters by itself: "
                    "update the README and this test")
    assert "No parameter translator" in r.stderr


def test_papermill_2024_report(tmp_path):
    nb = run_papermill(tmp_path, "-p", "year", "2024")
    errors = [o for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    codes = [c for c in nb.cells if c.cell_type == "code"]
    names = [c.metadata.get("tags", []) for c in codes]
    at = names.index(["parameters"])
    injected = codes[at + 1]
    assert "injected-parameters" in injected.metadata.tags
    assert "year = 2024" in injected.source

    got = monthly(plain(tagged(nb, "revenue-table")))
    assert [m for m, _ in got] == [f"2024-{i:02d}" for i in range(1, 13)], got
    direct = monthly(plain(tagged(nb, "check-sql")))
    assert got == pytest.approx(direct, abs=0.01) and len(direct) == 12

    stored = monthly(plain(tagged(nbformat.read(REPORT, as_version=4),
                                  "revenue-table")))
    assert [m for m, _ in stored][0] == "2025-01"
    assert [r for _, r in got] != [r for _, r in stored]
    chart = tagged(nb, "revenue-chart")
    assert "Revenue per month, 2024" in plain(chart)
    assert any("image/png" in o.get("data", {}) for o in chart.outputs)
