"""JupyterLab 4 and Notebook 7 (from the virtualenv) drive the tabula kernel
in headless Chromium, over the DevTools protocol (cdp.py).

Each test starts the server on 127.0.0.1 with a token over a temporary
folder holding copies of notebooks/ with their outputs cleared (whatever
the page shows was produced by this run), with windowed rendering off so
every cell is in the DOM, and `window.jupyterapp` exposed so the test can
read the notebook's model.

- the JupyterLab launcher shows a Tabula tile whose logo (the kernelspec's
  logo-svg.svg) loads;
- each notebook opens on the Tabula kernel, Run All runs it to the end with
  no error output, and the tagged cells show what they promise: HTML tables
  with rows, decoded PNG charts, the ER diagram (an SVG naming its tables);
- Tab in a cell shows the completer popup with the kernel's matches;
- Shift-Tab shows the inspection tooltip;
- the toolbar's interrupt button stops a never-ending `%sql WITH RECURSIVE`
  query (KeyboardInterrupt in the cell, the kernel idle again);
- the toolbar's restart button (and its dialog) restarts the kernel: a
  variable defined before is a NameError after.
Screenshots of each step are saved and their paths printed.

The classic Notebook 6 check stays in tests/notebooks/test_browser.py."""
import json
import time

import nbformat
import pytest

from cdp import Browser, Server
from conftest import NOTEBOOKS, ROOT, shots_dir, tool

SETTINGS = {
    # Every cell stays in the DOM, so outputs can be read and clicked.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {
        "checkForUpdates": False, "fetchNews": "false"},
}
RUN_TIMEOUT = 300

# The notebook panel showing `name` (the shell's current widget is not
# reliable in a headless browser without focus).
JS_PANEL = """const panel = [...jupyterapp.shell.widgets('main')].find(w =>
  w.content && w.sessionContext && w.context &&
  w.context.path.endsWith(%s));"""

JS_READY = """(() => { %s
  if (!panel) return false;
  const k = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && k.connectionStatus === 'connected' &&
            panel.content.widgets.length > 0) &&
         panel.sessionContext.kernelDisplayName;
})()"""

JS_DONE = """(() => { %s
  const code = panel.content.widgets.filter(c => c.model.type === 'code');
  const k = panel.sessionContext.session.kernel;
  return code.every(c => c.model.executionCount !== null &&
                         !c.promptNode.textContent.includes('*')) &&
         k.status === 'idle';
})()"""

JS_REPORT = """(() => { %s
  const box = el => { const r = el.getBoundingClientRect();
                      return [Math.round(r.width), Math.round(r.height)]; };
  const svgText = img => {
    const src = img.src.slice(img.src.indexOf(',') + 1);
    const svg = img.src.includes(';base64,') ? atob(src)
                                             : decodeURIComponent(src);
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return [...doc.querySelectorAll('text')].map(t => t.textContent).join(' ');
  };
  const cells = {};
  let errors = 0;
  for (const c of panel.content.widgets) {
    if (c.model.type !== 'code') continue;
    const el = c.outputArea.node;
    errors += el.querySelectorAll(
      '[data-mime-type="application/vnd.jupyter.stderr"]').length;
    const tags = c.model.getMetadata('tags') || [];
    const info = {
      tables: [...el.querySelectorAll('table')].map(t =>
        ({rows: t.querySelectorAll('tbody tr').length, size: box(t)})),
      pngs: [...el.querySelectorAll('img')]
        .filter(i => i.src.startsWith('data:image/png')).map(i =>
          ({complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
            size: box(i)})),
      svgs: [...el.querySelectorAll('img')]
        .filter(i => i.src.startsWith('data:image/svg+xml')).map(i =>
          ({w: i.naturalWidth, size: box(i), text: svgText(i)}))
        .concat([...el.querySelectorAll('svg')]
          .filter(s => s.querySelector('text')).map(s =>
            ({w: box(s)[0], size: box(s), text: [...s.querySelectorAll('text')]
              .map(t => t.textContent).join(' ')}))),
      text: el.innerText.slice(0, 300),
    };
    for (const t of tags) cells[t] = info;
  }
  return {errors: errors, cells: cells};
})()"""

JS_SCROLL_TO_TAG = """(() => { %s
  for (const c of panel.content.widgets)
    if ((c.model.getMetadata('tags') || []).includes(%s)) {
      c.node.scrollIntoView({block: 'start'}); return true; }
  return false;
})()"""

# A new last cell holding `source`, active, in edit mode, the cursor at its
# end (the editor focused, as a click into it would).
JS_EDIT_LAST = """(async () => { %s
  const nb = panel.content;
  nb.activeCellIndex = nb.widgets.length - 1;
  nb.mode = 'command';
  await jupyterapp.commands.execute('notebook:insert-cell-below');
  const cell = nb.activeCell;
  cell.model.sharedModel.setSource(%s);
  nb.mode = 'edit';
  cell.editor.focus();
  cell.editor.setCursorPosition(
    cell.editor.getPositionAt(cell.model.sharedModel.getSource().length));
  cell.node.scrollIntoView({block: 'center'});
  return nb.activeCellIndex;
})()"""

# Not awaited: the command's promise ends with the execution.
JS_RUN_ACTIVE = """(() => { %s
  jupyterapp.commands.execute('notebook:run-cell');
  return true;
})()"""

JS_CELL_TEXT = """(() => { %s
  const c = panel.content.widgets[%d];
  return {count: c.model.executionCount, text: c.outputArea.node.innerText,
          busy: c.promptNode.textContent.includes('*'),
          status: panel.sessionContext.session.kernel.status};
})()"""

JS_STATUS_LOG = """(() => { %s
  window.tqStatus = [];
  panel.sessionContext.statusChanged.connect((_, s) => window.tqStatus.push(s));
  return true;
})()"""


def clean_copies(folder):
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nbformat.write(nb, folder / path.name)


@pytest.fixture(params=["lab", "notebook"])
def app(request, tmp_path, kernelspec):
    root = tmp_path / "notebooks"
    root.mkdir()
    clean_copies(root)
    # notebooks that read the repository's files by relative path
    # (django_project.ipynb: ../tests/django/project) find them here too
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    server = Server(tool("jupyter"), request.param, root, tmp_path,
                    settings=SETTINGS)
    browser = None
    try:
        browser = Browser(tmp_path, width=1400, height=1000)
        yield request.param, server, browser, shots_dir(tmp_path)
    finally:
        if browser is not None:
            browser.close()
        server.close()


def open_notebook(kind, server, browser, name):
    path = f"lab/tree/{name}" if kind == "lab" else f"notebooks/{name}"
    panel = JS_PANEL % json.dumps(name)
    display = browser.open(server.url(path), JS_READY % panel,
                           f"{kind}: {name} with an idle kernel", timeout=120)
    assert display == "Tabula"
    return panel


def shot(browser, shots, kind, what):
    path = browser.screenshot(shots / f"{kind}-{what}.png")
    print("screenshot:", path)
    return path


def test_launcher_shows_tabula_tile(app):
    kind, server, browser, shots = app
    if kind != "lab":
        # Notebook 7 has no launcher: its New menu lists kernels by name.
        browser.open(server.url("tree"),
                     "!!document.querySelector('.jp-DirListing-content li')",
                     "the Notebook 7 file browser", timeout=120)
        specs = browser.js("""fetch('/api/kernelspecs', {headers:
          {Authorization: 'token %s'}}).then(r => r.json())""" % server.token)
        assert "tabula" in specs["kernelspecs"]
        shot(browser, shots, kind, "tree")
        return
    tile = browser.open(server.url("lab"), """(() => {
      const card = [...document.querySelectorAll(
        '.jp-LauncherCard[data-category="Notebook"]')]
        .find(c => c.title === 'Tabula');
      if (!card) return null;
      const img = card.querySelector('img');
      if (!img || !img.complete || img.naturalWidth === 0) return null;
      const r = img.getBoundingClientRect();
      return {src: img.getAttribute('src'), w: img.naturalWidth,
              box: [r.width, r.height],
              label: card.innerText.trim()};
    })()""", "the launcher's Tabula tile", timeout=120)
    shot(browser, shots, kind, "launcher")
    assert tile["label"] == "Tabula"
    assert "/kernelspecs/tabula/logo" in tile["src"], tile
    assert tile["box"][0] > 0 and tile["box"][1] > 0, tile


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_run_all_renders(app, notebook):
    kind, server, browser, shots = app
    panel = open_notebook(kind, server, browser, notebook.name)
    browser.js("""(() => { %s
      jupyterapp.commands.execute('notebook:run-all-cells');
      return true; })()""" % panel)
    time.sleep(1.0)
    browser.wait("every cell to run", JS_DONE % panel, RUN_TIMEOUT, 0.5)
    # Let the browser decode the images.
    browser.wait("the images to decode", """(() => { %s
      return [...panel.node.querySelectorAll('img')].every(i => i.complete);
    })()""" % panel, 30)
    report = browser.js(JS_REPORT % panel)
    for tag in ("revenue-table", "revenue-chart", "top-bikes-chart", "erd",
                "polymorphic"):
        if browser.js(JS_SCROLL_TO_TAG % (panel, json.dumps(tag))):
            time.sleep(0.3)
            shot(browser, shots, kind, f"{notebook.stem}-{tag}")

    assert report["errors"] == 0, report
    stored = nbformat.read(notebook, as_version=4)
    for cell in stored.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or not tags:
            continue
        got = report["cells"][tags[0]]
        data = [o.get("data", {}) for o in cell.outputs]
        if any("<table" in "".join(d.get("text/html", "")) for d in data):
            assert got["tables"] and got["tables"][0]["rows"] > 0, (tags, got)
            assert got["tables"][0]["size"][1] > 0, (tags, got)
        if any("image/png" in d for d in data):
            assert got["pngs"], (tags, got)
            for png in got["pngs"]:
                assert png["complete"] and png["w"] >= 200, (tags, png)
                assert png["size"][0] > 100 and png["size"][1] > 75, png
        if any("image/svg+xml" in d for d in data):
            assert got["svgs"], (tags, got)
            svg = got["svgs"][0]
            assert svg["w"] > 0 and svg["size"][0] >= 100, svg
            for table in ("user", "bike", "rental"):
                assert table in svg["text"].split(), svg["text"]
    cells = report["cells"]
    if "revenue-table" in cells:
        assert cells["revenue-table"]["tables"][0]["rows"] == 12
    if "top-spenders" in cells:
        assert cells["top-spenders"]["tables"][0]["rows"] == 3


def test_completion_tooltip_interrupt_restart(app):
    kind, server, browser, shots = app
    panel = open_notebook(kind, server, browser, "2025_revenue_analysis.ipynb")

    # Tab: the completer popup lists the kernel's matches.
    browser.js(JS_EDIT_LAST % (panel, json.dumps("%demo bikes --rentals 100")))
    browser.js(JS_RUN_ACTIVE % panel)
    browser.wait("the demo cell", """(() => { %s
      return panel.sessionContext.session.kernel.status === 'idle' &&
             panel.content.widgets.at(-1).model.executionCount !== null;
    })()""" % panel, 120)
    browser.js(JS_EDIT_LAST % (panel, json.dumps("Rental.")))
    time.sleep(0.5)
    browser.key("Tab", keycode=9)
    items = browser.wait("the completer popup", """(() => {
      const c = document.querySelector('.jp-Completer');
      if (!c || c.classList.contains('lm-mod-hidden')) return null;
      const r = c.getBoundingClientRect();
      const items = [...c.querySelectorAll('.jp-Completer-item')]
        .map(i => i.getAttribute('data-value'));
      return r.width > 0 && items.length ? items : null;
    })()""", 30)
    shot(browser, shots, kind, "completer")
    # The popup renders its first items at once, the rest as they scroll.
    assert {"aggregate", "all", "count"} <= set(items), items
    browser.key("Escape", keycode=27)

    # Shift-Tab: the tooltip shows the kernel's inspection.
    browser.js(JS_EDIT_LAST % (panel, json.dumps("Sum")))
    time.sleep(0.5)
    browser.key("Tab", keycode=9, shift=True)
    tip = browser.wait("the tooltip", """(() => {
      const t = document.querySelector('.jp-Tooltip');
      if (!t) return null;
      const r = t.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && t.innerText.trim();
    })()""", 30)
    shot(browser, shots, kind, "tooltip")
    assert "Sum" in tip, tip
    browser.key("Escape", keycode=27)

    # The interrupt button stops a query that never ends.
    index = browser.js(JS_EDIT_LAST % (panel, json.dumps(
        "%sql WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
        "FROM n) SELECT count(*) FROM n")))
    browser.js(JS_RUN_ACTIVE % panel)
    browser.wait("the kernel busy on the query", """(() => { %s
      return panel.sessionContext.session.kernel.status === 'busy'; })()"""
                 % panel, 30)
    time.sleep(1.5)
    browser.click('.jp-NotebookPanel-toolbar '
                  '[data-command="notebook:interrupt-kernel"]',
                  "the interrupt button")
    out = browser.wait("the interrupted cell", """(() => { %s
      const c = panel.content.widgets[%d];
      return c.model.executionCount !== null &&
             panel.sessionContext.session.kernel.status === 'idle' &&
             c.outputArea.node.innerText; })()""" % (panel, index), 60)
    shot(browser, shots, kind, "interrupted")
    assert "KeyboardInterrupt" in out, out

    # The restart button (and its dialog) gives a fresh kernel.
    browser.js(JS_EDIT_LAST % (panel, json.dumps("probe = 41")))
    browser.js(JS_RUN_ACTIVE % panel)
    browser.wait("probe = 41 to run", """(() => { %s
      return panel.sessionContext.session.kernel.status === 'idle' &&
             panel.content.widgets.at(-1).model.executionCount !== null;
    })()""" % panel, 60)
    browser.js(JS_STATUS_LOG % panel)
    browser.click('.jp-NotebookPanel-toolbar '
                  '[data-command="notebook:restart-kernel"]',
                  "the restart button")
    browser.click(".jp-Dialog .jp-mod-accept", "the restart dialog's button")
    browser.wait("the kernel to restart", """(() => { %s
      return window.tqStatus.includes('restarting') &&
             panel.sessionContext.session.kernel.status === 'idle' &&
             panel.sessionContext.session.kernel.connectionStatus ===
               'connected'; })()""" % panel, 120)
    index = browser.js(JS_EDIT_LAST % (panel, json.dumps("probe + 1")))
    browser.js(JS_RUN_ACTIVE % panel)
    out = browser.wait("the probe after restart", """(() => { %s
      const c = panel.content.widgets[%d];
      return c.model.executionCount !== null &&
             panel.sessionContext.session.kernel.status === 'idle' &&
             c.outputArea.node.innerText; })()""" % (panel, index), 60)
    shot(browser, shots, kind, "restarted")
    assert "NameError" in out, out
    assert browser.js(JS_CELL_TEXT % (panel, index))["count"] == 1
