"""Fixtures for the protocol tests: a temporary Jupyter data dir holding a
kernelspec that points at the kernel binary named by $TABULA_KERNEL, and
kernels started through jupyter_client's KernelManager."""
import json
import os

import pytest

from helpers import start_kernel, stop_kernel


@pytest.fixture(scope="session")
def kernelspec_dir(tmp_path_factory):
    kernel = os.environ.get("TABULA_KERNEL")
    if not kernel or not os.path.isabs(kernel) or not os.access(kernel, os.X_OK):
        pytest.exit("set TABULA_KERNEL to the absolute path of an executable "
                    "tabula-kernel", returncode=2)
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "tabula-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [kernel, "-f", "{connection_file}"],
        "display_name": "Tabula (protocol tests)",
        "language": "tabula",
        "interrupt_mode": "message",
    }))
    os.environ["JUPYTER_PATH"] = str(root)
    os.environ["TABULA_HISTORY"] = str(root / "history.sqlite")
    return root


@pytest.fixture(scope="module")
def shared(kernelspec_dir):
    """One kernel for the tests that do not change its life cycle."""
    km, kc = start_kernel()
    yield km, kc
    stop_kernel(km, kc)


@pytest.fixture
def fresh(kernelspec_dir):
    """A kernel of its own, for shutdown, interrupt and state tests."""
    km, kc = start_kernel()
    yield km, kc
    stop_kernel(km, kc)
