"""This file checks a Tabula notebook in a real browser: it starts the
classic `jupyter notebook` server (Debian's jupyter-notebook) on 127.0.0.1,
a free port and a token, serving a temporary copy of the notebook with its
outputs cleared; drives headless Chromium over the DevTools protocol (a
small client on python3-websocket); opens the notebook, clicks Cell > Run
All, waits for every cell to finish, and checks in the page that the
table and the chart rendered (a <table> with the expected rows, a decoded
<img> PNG) and that no error output appeared. It saves screenshots for a
human to look at and prints their paths. Every wait is bounded, and it
stops the kernels, the server and the browser it started.

Needs: jupyter-notebook, chromium, python3-websocket (Debian packages) and
the tabula kernelspec; skips with the reason when one is missing.
Environment:
    TABULA_KERNEL_NAME       kernelspec name (default: tabula)
    TABULA_BROWSER_NOTEBOOK  notebook to open (default: both
                             notebooks/2025_revenue_analysis.ipynb and
                             notebooks/rental_analytics.ipynb)
    TABULA_SCREENSHOT_DIR    where screenshots go (default: pytest tmp dir)
"""
import json
import os
import pathlib
import secrets
import subprocess
import sys
import time
import urllib.error

import nbformat
import pytest

from nbcheck import JUPYTER, KERNEL, ROOT, kernel_spec_or_skip

# The DevTools client and process helpers are shared with tests/clients.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "clients"))
from cdp import CHROMIUM, Browser, free_port, http_get, stop_group, wait_for  # noqa: E402

if os.environ.get("TABULA_BROWSER_NOTEBOOK"):
    BROWSER_NOTEBOOKS = [pathlib.Path(os.environ["TABULA_BROWSER_NOTEBOOK"])]
else:
    BROWSER_NOTEBOOKS = [ROOT / "notebooks" / "2025_revenue_analysis.ipynb",
                         ROOT / "notebooks" / "rental_analytics.ipynb"]
SERVER_START_TIMEOUT = 60
PAGE_TIMEOUT = 90
RUN_TIMEOUT = 300


# JavaScript run in the page. The classic notebook exposes `Jupyter`.
JS_KERNEL_READY = """(() => {
  try {
    const k = Jupyter.notebook.kernel;
    const icon = document.querySelector('#kernel_indicator_icon');
    return !!(k && k.is_connected() && icon &&
              icon.classList.contains('kernel_idle_icon'));
  } catch (e) { return false; }
})()"""

JS_RUN_ALL = """(() => {
  const item = document.querySelector('#run_all_cells > a');
  if (!item) return 'no Run All menu item';
  item.click();
  return 'clicked';
})()"""

JS_DONE = """(() => {
  const cells = Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code');
  const done = cells.every(c => typeof c.input_prompt_number === 'number');
  const icon = document.querySelector('#kernel_indicator_icon');
  return done && icon.classList.contains('kernel_idle_icon');
})()"""

JS_REPORT = """(() => {
  const tagged = {};
  for (const c of Jupyter.notebook.get_cells()) {
    const tags = (c.metadata && c.metadata.tags) || [];
    if (c.cell_type !== 'code') continue;
    const el = c.output_area.element[0];
    const info = {
      tables: [...el.querySelectorAll('table')].map(t =>
        t.querySelectorAll('tbody tr').length || t.querySelectorAll('tr').length - 1),
      images: [...el.querySelectorAll('img')].map(i =>
        ({complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
          png: i.src.startsWith('data:image/png')})),
      svgs: el.querySelectorAll('svg').length,
      svg_text: [...el.querySelectorAll('svg text')].map(t => t.textContent).join(' '),
      svg_width: el.querySelector('svg') ? el.querySelector('svg').getBoundingClientRect().width : 0,
      errors: el.querySelectorAll('.output_error').length,
      text: el.innerText.slice(0, 300),
    };
    for (const t of tags) tagged[t] = info;
  }
  return {
    errors: document.querySelectorAll('.output_error').length,
    tables: [...document.querySelectorAll('.output_area table')].map(t =>
      t.querySelectorAll('tbody tr').length),
    images: [...document.querySelectorAll('.output_area img')].map(i =>
      ({complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
        png: i.src.startsWith('data:image/png')})),
    tagged: tagged,
  };
})()"""

JS_SCROLL_TO_TAG = """(tag => {
  for (const c of Jupyter.notebook.get_cells()) {
    if (((c.metadata && c.metadata.tags) || []).includes(tag)) {
      c.element[0].scrollIntoView({block: 'start'});
      return true;
    }
  }
  return false;
})(%s)"""


@pytest.fixture
def browser_tools(request):
    missing = [name for name, ok in [
        ("chromium (apt-get install chromium)", os.path.exists(CHROMIUM)),
        ("jupyter-notebook (apt-get install jupyter-notebook)",
         os.path.exists("/usr/bin/jupyter-notebook")),
    ] if not ok]
    try:
        import websocket  # noqa: F401
    except ImportError:
        missing.append("python3-websocket (apt-get install python3-websocket)")
    if missing:
        pytest.skip("missing: " + ", ".join(missing))
    kernel_spec_or_skip()


@pytest.mark.parametrize("notebook", BROWSER_NOTEBOOKS,
                         ids=[p.name for p in BROWSER_NOTEBOOKS])
def test_notebook_renders_in_chromium(browser_tools, notebook, tmp_path):
    if not notebook.exists():
        pytest.skip(f"{notebook} does not exist")
    # A copy of the notebook with its outputs cleared: whatever the page
    # shows at the end was produced by this run.
    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    nb = nbformat.read(notebook, as_version=4)
    # What the stored outputs promise the page must show again.
    stored = [o.get("data", {}) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs]
    wants_png = any("image/png" in d for d in stored)
    wants_table = any("<table" in "".join(d.get("text/html", "")) for d in stored)
    assert wants_png or wants_table, "the notebook shows no table or chart"
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.setdefault("kernelspec", {})["name"] = KERNEL
    name = notebook.name
    nbformat.write(nb, nbdir / name)
    shots = pathlib.Path(os.environ.get("TABULA_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)

    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    server = browser = None
    server_log = open(tmp_path / "server.log", "w")
    base = f"http://127.0.0.1:{port}"
    try:
        server = subprocess.Popen(
            [JUPYTER, "notebook", "--no-browser", "--allow-root",
             "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
             f"--NotebookApp.token={token}",
             f"--notebook-dir={nbdir}"],
            stdout=server_log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)

        def server_up():
            assert server.poll() is None, \
                "the notebook server exited:\n" + (tmp_path / "server.log").read_text()
            return http_get(f"{base}/api/status?token={token}")
        wait_for("the notebook server", server_up, SERVER_START_TIMEOUT)

        browser = Browser(tmp_path, width=1280, height=1600)
        browser.call("Page.navigate",
                     url=f"{base}/notebooks/{name}?token={token}")

        wait_for("the notebook page and an idle kernel",
                 lambda: browser.js(JS_KERNEL_READY), PAGE_TIMEOUT)
        assert browser.js(JS_RUN_ALL) == "clicked"
        # Give the click a moment to mark cells as queued before polling.
        time.sleep(1.0)
        wait_for("every cell to run", lambda: browser.js(JS_DONE),
                 RUN_TIMEOUT, interval=0.5)
        # Let the browser decode the images.
        time.sleep(1.0)
        report = browser.js(JS_REPORT)

        saved = []
        for tag in ("revenue-table", "revenue-chart", "top-spenders",
                    "demo", "top-bikes-chart", "erd", "frame-update",
                    "polymorphic"):
            if browser.js(JS_SCROLL_TO_TAG % json.dumps(tag)):
                time.sleep(0.3)
                saved.append(browser.screenshot(
                    shots / f"browser-{notebook.stem}-{tag}.png"))
        if not saved:
            saved.append(browser.screenshot(shots / "browser-notebook.png"))
        print("screenshots:", *saved)

        assert report["errors"] == 0, f"error outputs in the page: {report['tagged']}"
        if wants_table:
            assert any(n > 0 for n in report["tables"]), f"no table rendered: {report}"
        images = [i for i in report["images"] if i["png"]]
        if wants_png:
            assert images, f"no PNG chart in the page: {report}"
        assert all(i["complete"] and i["w"] >= 200 and i["h"] >= 150
                   for i in images), f"a chart did not decode: {images}"
        tagged = report["tagged"]
        if "revenue-table" in tagged:
            assert tagged["revenue-table"]["tables"] == [12], tagged["revenue-table"]
        if "revenue-chart" in tagged:
            chart = tagged["revenue-chart"]["images"]
            assert chart and chart[0]["png"] and chart[0]["w"] >= 200, chart
        if "top-spenders" in tagged:
            assert tagged["top-spenders"]["tables"] == [3], tagged["top-spenders"]
        if "top-bikes" in tagged:
            assert tagged["top-bikes"]["tables"] == [10], tagged["top-bikes"]
        if "erd" in tagged:
            erd = tagged["erd"]
            # The classic notebook puts image/svg+xml inline: the page
            # lays it out and its text names the three tables.
            assert erd["svgs"] >= 1 and erd["svg_width"] >= 100, erd
            for table in ("user", "bike", "rental"):
                assert table in erd["svg_text"].split(), erd["svg_text"]
        if "demo" in tagged:
            assert "Created" in tagged["demo"]["text"], tagged["demo"]
    finally:
        if browser is not None:
            browser.close()
        if server is not None and server.poll() is None:
            # Shut the kernels down through the API, then the server.
            try:
                for k in http_get(f"{base}/api/kernels?token={token}") or []:
                    http_get(f"{base}/api/kernels/{k['id']}?token={token}",
                             method="DELETE", timeout=15)
            except (OSError, urllib.error.URLError, ValueError):
                pass
        stop_group(server)
        server_log.close()
