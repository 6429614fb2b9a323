"""The kernel's stderr: front ends such as jupyter console and nbconvert
show it, so a kernel that runs normally writes nothing there; --debug and
$TABULA_LOG ask for its log lines."""
import json
import os
import socket
import subprocess
import time

import pytest


def run_kernel(tmp_path, args=(), env_extra=None, seconds=1.5):
    """Starts tabula-kernel on free loopback ports, lets it run, stops it
    with SIGTERM and returns its stderr."""
    ports = []
    for _ in range(5):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ports.append(s.getsockname()[1])
        s.close()
    conn = tmp_path / "conn.json"
    conn.write_text(json.dumps(dict(zip(
        ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"],
        ports), ip="127.0.0.1", key="a-key", transport="tcp",
        signature_scheme="hmac-sha256")))
    env = dict(os.environ)
    env.pop("TABULA_LOG", None)
    env.update(env_extra or {})
    p = subprocess.Popen([os.environ["TABULA_KERNEL"], "-f", str(conn), *args],
                         stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(seconds)
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return p.stderr.read()


def test_quiet_by_default(kernelspec_dir, tmp_path):
    err = run_kernel(tmp_path)
    assert "[tabula-kernel]" not in err, err


@pytest.mark.parametrize("args,env", [
    (["--debug"], {}),
    ([], {"TABULA_LOG": "info"}),
])
def test_log_lines_on_request(kernelspec_dir, tmp_path, args, env):
    err = run_kernel(tmp_path, args, env)
    assert "[tabula-kernel] info: ready" in err, err
