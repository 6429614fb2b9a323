"""Every notebook under notebooks/ exports with the virtualenv's nbconvert 7:
--to html with the lab and the classic template (stored outputs, and the
lab template once more with --execute on the tabula kernel), --to
markdown, --to script; --to webpdf and --to pdf only when their toolchain
(playwright, xelatex) is there, else they skip with the reason.

Each HTML page is opened in headless Chromium from a file:// URL; the test
waits for the images to decode and checks in the page that what the stored
outputs promise is laid out with a non-zero size: every HTML table (with
rows), every PNG chart (decoded, at least 200x150), and the ER diagram
(inline <svg>, or an <img> of an SVG data URL as nbconvert 7's templates
write it) naming its tables. A full-page screenshot of each export is
saved and its path printed."""
import json
import shutil
import subprocess

import nbformat
import pytest

from cdp import Browser
from conftest import NOTEBOOKS, shots_dir, tool

IDS = [p.stem for p in NOTEBOOKS]


def promised(path):
    """How many tables, PNGs and SVGs the stored outputs hold."""
    nb = nbformat.read(path, as_version=4)
    data = [o.get("data", {}) for c in nb.cells if c.cell_type == "code"
            for o in c.outputs]
    return {"tables": sum("<table" in "".join(d.get("text/html", ""))
                          for d in data),
            "pngs": sum("image/png" in d for d in data),
            "svgs": sum("image/svg+xml" in d for d in data)}


def export(path, tmp_path, to, *extra):
    out = tmp_path / to
    r = subprocess.run(
        [tool("jupyter"), "nbconvert", "--to", to, *extra,
         "--output-dir", str(out), str(path)],
        capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "[tabula-kernel]" not in r.stdout + r.stderr
    files = [f for f in out.iterdir() if f.is_file()]
    assert files, f"nbconvert wrote nothing: {r.stderr[-2000:]}"
    return files[0]


JS_PAGE = """(() => {
  if (document.readyState !== 'complete') return null;
  const imgs = [...document.images];
  if (!imgs.every(i => i.complete)) return null;
  const box = el => { const r = el.getBoundingClientRect();
                      return [Math.round(r.width), Math.round(r.height)]; };
  return {
    tables: [...document.querySelectorAll('table')].map(t =>
      ({rows: t.querySelectorAll('tr').length, size: box(t)})),
    pngs: imgs.filter(i => i.src.startsWith('data:image/png')).map(i =>
      ({w: i.naturalWidth, h: i.naturalHeight, size: box(i)})),
    // An SVG output is inline <svg> (classic) or an <img> of a data URL
    // (nbconvert 7's lab template): both count, with the text they draw.
    svgs: [...document.querySelectorAll('svg')]
      .filter(s => s.querySelector('text')).map(s =>
        ({size: box(s), text: [...s.querySelectorAll('text')]
          .map(t => t.textContent).join(' ')}))
      .concat(imgs.filter(i => i.src.startsWith('data:image/svg+xml'))
        .map(i => {
          const src = i.src.slice(i.src.indexOf(',') + 1);
          const svg = i.src.includes(';base64,') ? atob(src)
                                                 : decodeURIComponent(src);
          const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
          return {size: box(i), natural: [i.naturalWidth, i.naturalHeight],
                  text: [...doc.querySelectorAll('text')]
                    .map(t => t.textContent).join(' ')};
        })),
    errors: document.querySelectorAll('.output_error, .jp-RenderedText' +
      '[data-mime-type="application/vnd.jupyter.stderr"]').length,
  };
})()"""


def check_page(html, tmp_path, name, want):
    browser = Browser(tmp_path, width=1280, height=900)
    try:
        page = browser.open(html.as_uri(), JS_PAGE, f"the export {name}",
                            timeout=60)
        shot = browser.screenshot(shots_dir(tmp_path) / f"nbconvert-{name}.png",
                                  full=True)
        print("screenshot:", shot)
    finally:
        browser.close()
    assert page["errors"] == 0, page
    tables = [t for t in page["tables"] if t["rows"] >= 2]
    assert len(tables) >= want["tables"], (want, page["tables"])
    assert all(t["size"][0] > 0 and t["size"][1] > 0 for t in tables), tables
    assert len(page["pngs"]) >= want["pngs"], (want, page["pngs"])
    for png in page["pngs"]:
        assert png["w"] >= 200 and png["h"] >= 150, png
        assert png["size"][0] > 100 and png["size"][1] > 75, png
    assert len(page["svgs"]) >= want["svgs"], (want, page["svgs"])
    for svg in page["svgs"]:
        assert svg["size"][0] >= 100 and svg["size"][1] >= 100, svg
        assert svg.get("natural", [1, 1])[0] > 0, svg
        for table in ("user", "bike", "rental"):
            assert table in svg["text"].split(), svg["text"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
@pytest.mark.parametrize("template", ["lab", "classic"])
def test_html_export_renders(path, template, tmp_path):
    html = export(path, tmp_path, "html", f"--template={template}")
    assert html.suffix == ".html"
    check_page(html, tmp_path, f"{path.stem}-{template}", promised(path))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_html_export_executed_renders(path, tmp_path, kernelspec):
    html = export(path, tmp_path, "html", "--execute",
                  "--ExecutePreprocessor.kernel_name=tabula",
                  "--ExecutePreprocessor.timeout=300")
    check_page(html, tmp_path, f"{path.stem}-executed", promised(path))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_markdown_export(path, tmp_path):
    md = export(path, tmp_path, "markdown").read_text()
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    assert first.source.splitlines()[0] in md
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.source.splitlines()[0] in md
    want = promised(path)
    if want["tables"]:
        assert "<table" in md
    if want["pngs"]:
        assert "![png](" in md
    if want["svgs"]:
        assert "![svg](" in md or "<svg" in md


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_script_export(path, tmp_path):
    script = export(path, tmp_path, "script")
    nb = nbformat.read(path, as_version=4)
    assert script.suffix == nb.metadata.language_info.file_extension
    text = script.read_text()
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.source in text


def test_webpdf_export(tmp_path):
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("--to webpdf needs nbconvert[webpdf] (playwright and its "
                    "own Chromium download), not installed")
    pdf = export(NOTEBOOKS[0], tmp_path, "webpdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_pdf_export(tmp_path):
    if not shutil.which("xelatex"):
        pytest.skip("--to pdf needs xelatex (texlive-xetex), not installed")
    pdf = export(NOTEBOOKS[0], tmp_path, "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_promises_cover_every_kind():
    """The notebooks, together, hold a table, a PNG chart and an ER
    diagram, so the page checks above check each kind."""
    total = {k: sum(promised(p)[k] for p in NOTEBOOKS)
             for k in ("tables", "pngs", "svgs")}
    assert all(total.values()), json.dumps(total)
