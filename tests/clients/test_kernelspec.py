"""The virtualenv's Jupyter finds the tabula kernelspec that tests/run
installed into the virtualenv (`tabula-kernel install --sys-prefix` with
VIRTUAL_ENV set), with its logos, and it names the kernel under test."""
import os
import pathlib
import sys

from conftest import KERNEL_NAME


def test_virtualenv_sees_kernelspec(kernelspec):
    resource = pathlib.Path(kernelspec["resource_dir"])
    assert resource.is_relative_to(sys.prefix), \
        f"{resource} is not in the virtualenv {sys.prefix}"
    spec = kernelspec["spec"]
    assert spec["language"] == KERNEL_NAME
    assert spec["display_name"] == "Tabula"
    assert spec["interrupt_mode"] == "message"
    if os.environ.get("TABULA_KERNEL"):
        assert spec["argv"][0] == os.path.realpath(os.environ["TABULA_KERNEL"])
    for logo in ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg"):
        assert (resource / logo).stat().st_size > 0
