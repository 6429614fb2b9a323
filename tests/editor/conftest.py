"""Fixtures for the editor-help tests (completion, inspection, is-complete,
history): a temporary kernelspec that points at $TABULA_KERNEL, found
through a KernelSpecManager of its own (os.environ is left alone, so the
other suites in the same pytest run keep their JUPYTER_PATH), and kernels
whose JUPYTER_DATA_DIR is a temporary directory, where the kernel keeps its
history file. Helpers are fixtures and plain functions here, so that no
module name clashes with the other suites' helpers."""
import json
import os
import time

import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

TIMEOUT = 30
KERNEL_NAME = "tabula-editor-test"


def kernel_path():
    kernel = os.environ.get("TABULA_KERNEL")
    if not kernel or not os.path.isabs(kernel) or not os.access(kernel, os.X_OK):
        pytest.exit("set TABULA_KERNEL to the absolute path of an executable "
                    "tabula-kernel", returncode=2)
    return kernel


@pytest.fixture(scope="session")
def editor_root(tmp_path_factory):
    kernel = kernel_path()
    root = tmp_path_factory.mktemp("editor-jupyter")
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [kernel, "-f", "{connection_file}"],
        "display_name": "Tabula (editor tests)",
        "language": "tabula",
        "interrupt_mode": "message",
    }))
    return root


def kernel_env(data_dir):
    env = dict(os.environ)
    env.pop("TABULA_HISTORY", None)      # history goes under the data dir
    env["JUPYTER_DATA_DIR"] = str(data_dir)
    return env


class Kernel:
    """A kernel started through jupyter_client, with request helpers."""

    def __init__(self, root, data_dir, cwd=None):
        ksm = KernelSpecManager(kernel_dirs=[str(root / "kernels")])
        self.km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)
        self.km.start_kernel(env=kernel_env(data_dir),
                             cwd=str(cwd) if cwd else None)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=TIMEOUT)

    def stop(self):
        self.kc.stop_channels()
        if self.km.is_alive():
            self.km.shutdown_kernel(now=False)

    def reply(self, msg_id):
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no reply to {msg_id}"
            msg = self.kc.get_shell_msg(timeout=left)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def execute(self, code):
        """Runs code; returns (reply content, stdout text, result text)."""
        msg_id = self.kc.execute(code, store_history=True)
        reply = self.reply(msg_id)["content"]
        stdout, result = [], []
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            assert left > 0, "no idle"
            msg = self.kc.get_iopub_msg(timeout=left)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            t, c = msg["msg_type"], msg["content"]
            if t == "stream":
                stdout.append(c["text"])
            elif t in ("execute_result", "display_data"):
                result.append(c["data"].get("text/plain", ""))
            elif t == "status" and c["execution_state"] == "idle":
                break
        return reply, "".join(stdout), "".join(result)

    def ok(self, code):
        reply, out, res = self.execute(code)
        assert reply["status"] == "ok", (code, reply)
        return out, res

    def complete(self, code, cursor_pos=None):
        msg_id = self.kc.complete(code, cursor_pos)
        return self.reply(msg_id)["content"]

    def inspect(self, code, cursor_pos=None, detail_level=0):
        msg_id = self.kc.inspect(code, cursor_pos, detail_level)
        return self.reply(msg_id)["content"]

    def is_complete(self, code):
        msg_id = self.kc.is_complete(code)
        return self.reply(msg_id)["content"]

    def history(self, **kw):
        msg_id = self.kc.history(**kw)
        return self.reply(msg_id)["content"]


# The schema every completion test runs against: two related tables.
SCHEMA = '''%sql CREATE TABLE user (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, email TEXT)
%sql CREATE TABLE bike (id INTEGER PRIMARY KEY, model TEXT, wheels INTEGER)
%sql CREATE TABLE rental (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES user(id), bike_id INTEGER REFERENCES bike(id), fee REAL)
'''


@pytest.fixture(scope="module")
def kernel(editor_root, tmp_path_factory):
    """One kernel with the schema above and a few rows and variables."""
    data = tmp_path_factory.mktemp("editor-data")
    k = Kernel(editor_root, data)
    try:
        for line in SCHEMA.strip().splitlines():
            k.ok(line)
        k.ok("User.objects.create(name='Ann', age=31, email='ann@example.org')\n"
             "User.objects.create(name='Bob', age=17)\n"
             "Bike.objects.create(model='Brompton', wheels=2)\n"
             "Rental.objects.create(user_id=1, bike_id=1, fee=3.5)")
        k.ok("users = User.filter(age__gte=18)\n"
             "adults_df = User.objects.dataframe()\n"
             "greeting = 'héllo wörld'\n"
             "numbers = list(range(400))")
        yield k
    finally:
        k.stop()


@pytest.fixture
def new_kernel(editor_root, tmp_path):
    """Starts kernels on demand (same data dir for restarts); stops all."""
    started = []

    def start(data_dir=None, cwd=None):
        k = Kernel(editor_root, data_dir or tmp_path / "data", cwd=cwd)
        started.append(k)
        return k
    yield start
    for k in started:
        k.stop()
