"""`tabula-kernel install`: kernel.json and logos written where ipykernel's
install would put them (--prefix, --user, --sys-prefix is checked by path
only), with --name and --display-name, and found by jupyter_client."""
import json
import os
import struct
import subprocess

import pytest
from jupyter_client.kernelspec import KernelSpecManager

KERNEL = os.environ.get("TABULA_KERNEL", "")


def run(*args, env=None):
    return subprocess.run([KERNEL, "install", *args], capture_output=True,
                          text=True, env=env, timeout=20)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def check_spec(d, display="Tabula"):
    spec = json.loads((d / "kernel.json").read_text())
    assert spec["argv"][0] == os.path.realpath(KERNEL)
    assert os.path.isabs(spec["argv"][0])
    assert spec["argv"][1:3] == ["-f", "{connection_file}"]
    assert spec["display_name"] == display
    assert spec["language"] == "tabula"
    assert spec["interrupt_mode"] == "message"
    assert isinstance(spec["metadata"], dict)
    assert png_size(d / "logo-32x32.png") == (32, 32)
    assert png_size(d / "logo-64x64.png") == (64, 64)
    assert (d / "logo-svg.svg").read_text().lstrip().startswith("<?xml")
    return spec


def test_install_prefix(kernelspec_dir, tmp_path):
    r = run("--prefix", str(tmp_path), "--name", "Tab-Test",
            "--display-name", "Tabula (test)", "--database", "data.sqlite")
    assert r.returncode == 0, r.stderr
    d = tmp_path / "share" / "jupyter" / "kernels" / "tab-test"
    spec = check_spec(d, "Tabula (test)")
    assert spec["argv"][3] == "--database"
    assert os.path.isabs(spec["argv"][4])
    assert str(d) in r.stdout
    ksm = KernelSpecManager(kernel_dirs=[str(d.parent)])
    found = ksm.get_kernel_spec("tab-test")
    assert found.language == "tabula" and found.interrupt_mode == "message"
    # installing again replaces the spec
    assert run("--prefix", str(tmp_path), "--name", "tab-test").returncode == 0
    check_spec(d)


def test_install_user(kernelspec_dir, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("JUPYTER_DATA_DIR", None)
    env.pop("XDG_DATA_HOME", None)
    r = run("--user", env=env)
    assert r.returncode == 0, r.stderr
    d = tmp_path / ".local" / "share" / "jupyter" / "kernels" / "tabula"
    check_spec(d)
    out = subprocess.run(["/usr/bin/jupyter", "kernelspec", "list", "--json"],
                         capture_output=True, text=True, env=env, timeout=60)
    specs = json.loads(out.stdout)["kernelspecs"]
    assert specs["tabula"]["resource_dir"] == str(d)


def test_install_options_refused(kernelspec_dir, tmp_path):
    assert run("--user", "--sys-prefix").returncode != 0
    assert run("--name", "bad name!", "--prefix", str(tmp_path)).returncode != 0
    assert run("--bogus").returncode != 0
    assert run("--help").returncode == 0


def test_sys_prefix_in_help(kernelspec_dir):
    r = run("--help")
    assert "/usr/share/jupyter/kernels" in r.stdout
    assert "--display-name" in r.stdout


def test_sys_prefix_follows_active_environment(kernelspec_dir, tmp_path):
    """--sys-prefix installs into an activated conda environment or
    virtualenv, as ipykernel's does when run by that environment's Python."""
    for var in ("CONDA_PREFIX", "VIRTUAL_ENV"):
        env = {k: v for k, v in os.environ.items()
               if k not in ("CONDA_PREFIX", "VIRTUAL_ENV")}
        env[var] = str(tmp_path / var)
        r = run("--sys-prefix", env=env)
        assert r.returncode == 0, r.stderr
        check_spec(tmp_path / var / "share" / "jupyter" / "kernels" / "tabula")
