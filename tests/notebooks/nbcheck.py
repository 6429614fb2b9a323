"""This file holds what the notebook tests share: where the notebooks are,
which kernel runs them, a skip when that kernel is not installed, and small
readers for outputs (cells found by their tags, HTML table rows, PNG and SVG
checks).

Run with the Debian Python, which has the Jupyter packages:
    /usr/bin/python3 -m pytest tests/notebooks
Environment:
    TABULA_KERNEL_NAME     kernelspec name (default: tabula; TABULA_KERNEL
                           is tests/run's path of the kernel binary)
    TABULA_NOTEBOOKS_DIR   folder of notebooks to run (default: notebooks/)
"""
import base64
import html.parser
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
KERNEL = os.environ.get("TABULA_KERNEL_NAME", "tabula")
NOTEBOOKS_DIR = pathlib.Path(os.environ.get("TABULA_NOTEBOOKS_DIR",
                                            ROOT / "notebooks"))
JUPYTER = "/usr/bin/jupyter"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def notebook_paths():
    """Every notebook under the notebooks folder, sorted."""
    return sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def kernel_spec_or_skip():
    """The installed kernelspec for KERNEL; skips the test when missing."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    try:
        return KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        pytest.skip(f"the '{KERNEL}' kernelspec is not installed "
                    f"(run `tabula-kernel install` first)")


def cells_tagged(nb, tag):
    """Code cells of `nb` whose metadata.tags contain `tag`."""
    return [c for c in nb.cells
            if c.cell_type == "code" and tag in c.metadata.get("tags", [])]


def one_cell(nb, tag):
    cells = cells_tagged(nb, tag)
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def bundles(cell):
    """The data dicts of a cell's execute_result and display_data outputs."""
    return [o["data"] for o in cell.outputs
            if o.output_type in ("execute_result", "display_data")]


def mime(cell, mimetype):
    """The (last) output of `cell` that has `mimetype`; fails when none."""
    found = [b[mimetype] for b in bundles(cell) if mimetype in b]
    assert found, (f"no {mimetype} output; the cell has "
                   f"{[sorted(b) for b in bundles(cell)]} and streams "
                   f"{stream_text(cell)!r}")
    value = found[-1]
    return "".join(value) if isinstance(value, list) else value


def stream_text(cell, name="stdout"):
    return "".join(o.text for o in cell.outputs
                   if o.output_type == "stream" and o.name == name)


def error_outputs(nb):
    return [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]


def assert_png(b64):
    data = base64.b64decode(b64)
    assert data.startswith(PNG_MAGIC), "image/png is not a PNG"
    # IHDR width and height, big-endian, right after the signature.
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width >= 200 and height >= 150, f"tiny chart {width}x{height}"
    assert len(data) > 2000, "the PNG is too small to hold a chart"
    return width, height


class _TableParser(html.parser.HTMLParser):
    """Counts body rows and collects header and cell texts of the first
    <table> of an HTML fragment."""

    def __init__(self):
        super().__init__()
        self.tables = 0
        self.depth = 0
        self.in_body = False
        self.body_rows = []
        self.rows_with_td = []
        self.headers = []
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
            self.depth += 1
        if self.tables != 1 or self.depth != 1:
            return
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = [tag, ""]

    def handle_endtag(self, tag):
        if tag == "table":
            self.depth -= 1
        if self.tables != 1 or (self.depth != 1 and tag != "table"):
            return
        if tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            if self._row is not None:
                self._row.append(tuple(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self.in_body:
                self.body_rows.append(self._row)
            if any(kind == "td" for kind, _ in self._row):
                self.rows_with_td.append(self._row)
            else:
                self.headers.append([t.strip() for _, t in self._row])
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def html_table(fragment):
    """(header rows, data rows) of the first table in `fragment`; data rows
    are lists of cell texts (index cell first when there is one)."""
    p = _TableParser()
    p.feed(fragment)
    assert p.tables >= 1, "no <table> in the text/html output"
    rows = p.body_rows or p.rows_with_td
    rows = [[t.strip() for _, t in r] for r in rows]
    # A truncated table has a "…" row; it is not data.
    rows = [r for r in rows if not all(c in ("…", "...", "") for c in r)]
    return p.headers, rows
