"""This file holds what the client tests share: where the project, the
notebooks and the virtualenv's Jupyter are, the kernelspec check, and a
skip when the test does not run under the virtualenv that tests/run builds
(jupyterlab 4, notebook 7, papermill, nbconvert 7, nbclient,
jupyter_client 8, jupyter_kernel_test, websocket-client from PyPI).

Run with that virtualenv's Python, never the Debian one:
    build/venv/bin/python -m pytest tests/clients
Environment:
    TABULA_KERNEL          the kernel binary the kernelspec must name
    TABULA_SCREENSHOT_DIR  where screenshots go (default: pytest tmp dirs)
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BIN = pathlib.Path(sys.executable).parent
KERNEL_NAME = "tabula"


def tool(name):
    """A command of the virtualenv (jupyter, papermill)."""
    return str(BIN / name)


def shots_dir(tmp_path):
    d = pathlib.Path(os.environ.get("TABULA_SCREENSHOT_DIR", tmp_path))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session", autouse=True)
def in_virtualenv():
    if sys.prefix == sys.base_prefix:
        pytest.skip("run under the virtualenv tests/run makes "
                    "(build/venv/bin/python -m pytest tests/clients)")


@pytest.fixture(scope="session")
def kernelspec():
    """The tabula kernelspec as the virtualenv's jupyter sees it."""
    out = subprocess.run([tool("jupyter"), "kernelspec", "list", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    specs = json.loads(out.stdout)["kernelspecs"]
    if KERNEL_NAME not in specs:
        pytest.skip("the tabula kernelspec is not installed for this "
                    "virtualenv (tabula-kernel install --sys-prefix)")
    return specs[KERNEL_NAME]
