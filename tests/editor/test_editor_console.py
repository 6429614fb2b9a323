"""Tab completion in a real terminal front end: Debian's jupyter-console
driven inside tmux, with the kernelspec installed by `tabula-kernel install
--prefix` into a temporary JUPYTER_PATH. Bounded in time; the tmux server
(on a socket of its own) is killed in a finally."""
import os
import shlex
import shutil
import subprocess
import time
import uuid

import pytest

JUPYTER = "/usr/bin/jupyter"


def tmux(sock, *args, check=True):
    return subprocess.run(["tmux", "-L", sock, *args], check=check,
                          capture_output=True, text=True, timeout=20)


def pane(sock, name):
    return tmux(sock, "capture-pane", "-p", "-t", name).stdout


def wait_for(sock, name, predicate, timeout=40):
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = pane(sock, name)
        if predicate(text):
            return text
        time.sleep(0.25)
    pytest.fail(f"timed out; the pane shows:\n{text}")


@pytest.mark.skipif(not shutil.which("tmux") or not os.path.exists(JUPYTER),
                    reason="tmux and jupyter-console are needed")
def test_console_tab_completes_a_table(tmp_path, editor_root):
    kernel = os.environ["TABULA_KERNEL"]   # checked by editor_root
    prefix = tmp_path / "prefix"
    subprocess.run([kernel, "install", "--prefix", str(prefix)], check=True,
                   capture_output=True, timeout=20)
    assert (prefix / "share/jupyter/kernels/tabula/kernel.json").is_file()
    env = {
        "JUPYTER_PATH": str(prefix / "share/jupyter"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
    }
    envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    cmd = f"env {envs} {JUPYTER} console --kernel tabula"
    sock = f"tabula-editor-{uuid.uuid4().hex[:8]}"
    name = "console"
    try:
        tmux(sock, "new-session", "-d", "-s", name, "-x", "150", "-y", "40", cmd)
        wait_for(sock, name, lambda t: "In [1]" in t)
        tmux(sock, "send-keys", "-t", name,
             "%sql CREATE TABLE rental_item (id INTEGER PRIMARY KEY, name TEXT)",
             "Enter")
        wait_for(sock, name, lambda t: "In [2]" in t)
        assert "RentalItem" not in pane(sock, name)
        tmux(sock, "send-keys", "-t", name, "RentalI")
        wait_for(sock, name, lambda t: "RentalI" in t)
        tmux(sock, "send-keys", "-t", name, "Tab")
        text = wait_for(sock, name, lambda t: "RentalItem" in t)
        line = [l for l in text.splitlines() if "In [2]" in l][-1]
        assert "RentalItem" in line
        # and the completed name runs
        tmux(sock, "send-keys", "-t", name, ".objects.count()", "Enter")
        wait_for(sock, name, lambda t: "Out[2]: 0" in t)
    finally:
        tmux(sock, "kill-server", check=False)
