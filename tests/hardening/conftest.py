"""Fixtures for the hardening suite: a kernelspec 'tabula-hardening' for
the kernel named by $TABULA_KERNEL (wrapped in valgrind when
TABULA_VALGRIND=1) in a temporary Jupyter data dir that is put in front of
JUPYTER_PATH, so that the protocol suite's spec, in the same pytest
process, stays visible."""
import json
import os

import pytest

import hardlib


@pytest.fixture(scope="session")
def spec(tmp_path_factory):
    kernel = hardlib.kernel_path()
    if not kernel or not os.path.isabs(kernel) or not os.access(kernel, os.X_OK):
        pytest.exit("set TABULA_KERNEL to the absolute path of an executable "
                    "tabula-kernel", returncode=2)
    root = tmp_path_factory.mktemp("hardening-jupyter")
    d = root / "kernels" / hardlib.SPEC
    d.mkdir(parents=True)
    logs = os.environ.get("TABULA_VALGRIND_LOGS") or str(root)
    (d / "kernel.json").write_text(json.dumps({
        "argv": hardlib.kernel_argv(logs),
        "display_name": "Tabula (hardening tests)",
        "language": "tabula",
        "interrupt_mode": "message",
    }))
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(root) + (os.pathsep + old if old else "")
    os.environ.setdefault("TABULA_HISTORY", str(root / "history.sqlite"))
    yield root
    if old is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = old


@pytest.fixture
def kernel(spec):
    """A kernel of its own over :memory:."""
    km, kc = hardlib.start()
    yield km, kc
    hardlib.stop(km, kc)


@pytest.fixture(scope="module")
def shared(spec):
    km, kc = hardlib.start()
    yield km, kc
    hardlib.stop(km, kc)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long load tests")
