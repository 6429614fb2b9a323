"""The kernel maps cairo and graphviz only once a cell draws: at start-up
and after ordinary cells neither they nor their drawing module
tabula-draw.so are in /proc/PID/maps; the first chart loads the module and
returns a PNG, and an ER diagram works from the same module. With the
module missing, or not a drawing module, a chart is a clear error and the
kernel goes on answering."""
import os
import re

import pytest

from helpers import execute, start_kernel, stop_kernel


def start(env=None):
    return start_kernel(**({"env": {**os.environ, **env}} if env else {}))


def mapped(km):
    pid = km.provisioner.process.pid
    with open(f"/proc/{pid}/maps") as f:
        return {os.path.basename(line.split()[-1]) for line in f
                if len(line.split()) >= 6}


def drawing_libraries(names):
    return sorted(n for n in names
                  if re.match(r"(libcairo|libgvc|libcgraph|libpixman|"
                              r"tabula-draw)", n))


SETUP = ("%sql CREATE TABLE pts(id INTEGER PRIMARY KEY, x REAL, y REAL, "
         "w_id INTEGER REFERENCES pts(id))",
         "%sql INSERT INTO pts(x, y) VALUES (1, 2), (2, 3), (3, 5)",
         "Pts.objects.count()")


def test_drawing_is_loaded_on_first_chart(kernelspec_dir):
    km, kc = start()
    try:
        for cell in SETUP:
            reply, _ = execute(kc, cell)
            assert reply["content"]["status"] == "ok", reply["content"]
        assert drawing_libraries(mapped(km)) == []

        reply, iopub = execute(kc, "Pts.objects.all().plot.line(x='x', y='y')")
        assert reply["content"]["status"] == "ok", reply["content"]
        png = [m["content"]["data"]["image/png"] for m in iopub
               if m["msg_type"] in ("execute_result", "display_data")
               and "image/png" in m["content"]["data"]]
        assert png and png[0].startswith("iVBORw0KGgo")   # base64 of \x89PNG
        loaded = drawing_libraries(mapped(km))
        assert "tabula-draw.so" in loaded
        assert any(n.startswith("libcairo") for n in loaded), loaded

        reply, iopub = execute(kc, "%graph_models")
        assert reply["content"]["status"] == "ok", reply["content"]
        assert any("<svg" in m["content"]["data"].get("image/svg+xml", "")
                   for m in iopub
                   if m["msg_type"] in ("execute_result", "display_data"))
    finally:
        stop_kernel(km, kc)


@pytest.mark.parametrize("module,why", [
    ("absent.so", "absent.so"),
    # a real shared library without the module's entry point
    ("/lib/x86_64-linux-gnu/libz.so.1", "not a drawing module"),
])
def test_unusable_drawing_module_is_a_clear_error(kernelspec_dir, tmp_path,
                                                  module, why):
    path = module if module.startswith("/") else str(tmp_path / module)
    km, kc = start({"TABULA_DRAW_MODULE": path})
    try:
        for cell in SETUP:
            execute(kc, cell)
        reply, iopub = execute(kc, "Pts.objects.all().plot.line(x='x', y='y')")
        assert reply["content"]["status"] == "error"
        assert "tabula-draw.so" in reply["content"]["evalue"]
        assert why in reply["content"]["evalue"]
        reply, _ = execute(kc, "%graph_models")
        assert reply["content"]["status"] == "error"
        reply, iopub = execute(kc, "Pts.objects.count()")
        assert reply["content"]["status"] == "ok"
        assert any("3" in m["content"]["data"]["text/plain"] for m in iopub
                   if m["msg_type"] == "execute_result")
    finally:
        stop_kernel(km, kc)
