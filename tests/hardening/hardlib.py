"""Helpers for the hardening suite: kernels started through
jupyter_client (optionally under valgrind when TABULA_VALGRIND=1), requests
with their iopub output, raw signed sockets, the kernel's PID, RSS and
listening sockets, and timing of interrupts.

The module is not called helpers.py because tests/run runs this suite in
the same pytest process as tests/protocol, whose helpers.py would shadow
it."""
import hashlib
import os
import queue
import shutil
import subprocess
import time

import zmq
from jupyter_client import KernelManager
from jupyter_client.session import Session

SPEC = "tabula-hardening"
TIMEOUT = 30
LONG_QUERY = ("%sql WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 "
              "FROM c WHERE x < 400000000) SELECT count(*) FROM c")
VALGRIND = os.environ.get("TABULA_VALGRIND") == "1"
# Under valgrind everything is ~20x slower; timeouts stretch with it.
SLOW = 10 if VALGRIND else 1


def kernel_path():
    return os.environ.get("TABULA_KERNEL", "")


def run_path():
    return os.environ.get("TABULA_RUN", "")


def kernel_is_asan():
    """True when the kernel binary carries AddressSanitizer."""
    try:
        with open(kernel_path(), "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def kernel_argv(valgrind_log_dir=None):
    argv = [kernel_path(), "-f", "{connection_file}"]
    if VALGRIND:
        log = os.path.join(valgrind_log_dir or "/tmp", "valgrind.%p.log")
        supp = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "valgrind.supp")
        argv = ["valgrind", "--error-exitcode=99", "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                f"--suppressions={supp}", f"--log-file={log}"] + argv
    return argv


def start(extra=None, env=None, timeout=TIMEOUT):
    """Starts a kernel of the hardening spec; returns (km, kc)."""
    km = KernelManager(kernel_name=SPEC)
    kw = {}
    if extra:
        kw["extra_arguments"] = list(extra)
    if env is not None:
        kw["env"] = env
    km.start_kernel(**kw)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=timeout * SLOW)
    return km, kc


def stop(km, kc):
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=False)


def pid(km):
    return km.provisioner.process.pid


def shell_reply(kc, msg_id, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout * SLOW
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no reply to {msg_id}"
        msg = kc.get_shell_msg(timeout=left)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def iopub_for(kc, msg_id, timeout=TIMEOUT):
    out = []
    deadline = time.monotonic() + timeout * SLOW
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no idle for {msg_id}"
        msg = kc.get_iopub_msg(timeout=left)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(msg)
        if (msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            return out


def execute(kc, code, timeout=TIMEOUT, **kw):
    """Runs code; returns (reply content, iopub messages)."""
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(kc, msg_id, timeout)
    return reply["content"], iopub_for(kc, msg_id, timeout)


def ok(kc, code, timeout=TIMEOUT):
    """Runs code that must succeed; returns its text/plain result or ''."""
    content, iopub = execute(kc, code, timeout)
    assert content["status"] == "ok", (code, content)
    return result_text(iopub)


# Words by which an error says that the connection is read-only.
READONLY_WORDS = ("read-only", "readonly", "read only", "query_only")


def start_readonly(how, database):
    """Starts a kernel on `database` read-only, as `how` says: "--readonly"
    (the kernel's option) or "%connect" (`%connect DATABASE --readonly` in
    a kernel started on nothing); returns (km, kc)."""
    if how == "--readonly":
        return start(extra=["--readonly", "--database", database])
    km, kc = start()
    ok(kc, f"%connect {database} --readonly")
    return km, kc


def try_write(kc, cell, names):
    """Runs the write attempt `cell`: None when it was not refused, else
    (ename, evalue, as_readonly), as_readonly when the error says the
    connection is read-only; counts the error's ename in `names`."""
    content, _ = execute(kc, cell)
    if content["status"] != "error":
        return None
    ename, evalue = content["ename"], content["evalue"]
    names[ename] = names.get(ename, 0) + 1
    return ename, evalue, ename == "ReadOnlyError" or any(
        w in evalue.lower() for w in READONLY_WORDS)


def report_writes(label, attempts, names, not_refused, unclear):
    """Prints the figure of a run of write attempts (`label` before it) and
    fails on any write not refused or refused unclearly."""
    print(f"\n[figure] {label}{attempts} write attempts: refused by ename "
          f"{names}; not refused {len(not_refused)}; unclear {len(unclear)}")
    for line in unclear:
        print("  unclear:", line)
    assert not not_refused, f"writes that were not refused: {not_refused}"
    assert not unclear, unclear


def result_text(iopub):
    return "".join(m["content"]["data"].get("text/plain", "")
                   for m in iopub if m["msg_type"] == "execute_result")


def wait_running(kc, msg_id, settle=0.3):
    """Waits for execute_input of msg_id, then `settle` seconds."""
    deadline = time.monotonic() + 10 * SLOW
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=10 * SLOW)
        if (msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "execute_input"):
            time.sleep(settle)
            return
    raise AssertionError("the cell never started")


def control(kc, msg_type, content=None, timeout=TIMEOUT):
    msg = kc.session.msg(msg_type, content or {})
    kc.control_channel.send(msg)
    deadline = time.monotonic() + timeout * SLOW
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no control reply to {msg_type}"
        reply = kc.get_control_msg(timeout=left)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply


def drain(kc):
    for get in (kc.get_iopub_msg, kc.get_shell_msg, kc.get_control_msg):
        while True:
            try:
                get(timeout=0.05)
            except queue.Empty:
                break


def vm_rss_kib(process_id):
    with open(f"/proc/{process_id}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def listening_tcp(process_id):
    """(ip, port) of every listening TCP socket that process_id holds."""
    inodes = set()
    fd_dir = f"/proc/{process_id}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state != "0A" or inode not in inodes:
                continue
            hexip, hexport = local.split(":")
            port = int(hexport, 16)
            if v6:
                ip = ":".join(hexip[i:i + 8] for i in range(0, 32, 8))
            else:
                ip = ".".join(str(int(hexip[i:i + 2], 16))
                              for i in (6, 4, 2, 0))
            found.add((ip, port))
    return found


class Raw:
    """A DEALER socket on one of the kernel's ROUTER channels that signs
    with the connection key (or another key), for replays and garbage."""

    def __init__(self, km, channel="shell", key=None):
        info = km.get_connection_info()
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(f"{info['transport']}://{info['ip']}:"
                          f"{info[channel + '_port']}")
        k = info["key"] if key is None else key
        self.session = Session(key=k if isinstance(k, bytes) else k.encode(),
                               signature_scheme=info["signature_scheme"])
        time.sleep(0.1)

    def send_frames(self, frames):
        self.sock.send_multipart(frames)

    def signed(self, msg_type, content):
        msg = self.session.msg(msg_type, content)
        return msg, self.session.serialize(msg)

    def recv(self, timeout=1.0):
        if self.sock.poll(int(timeout * 1000 * SLOW)):
            return self.sock.recv_multipart()
        return None

    def recv_for(self, msg_id, timeout=5.0):
        """The reply whose parent is msg_id, or None."""
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            frames = self.recv(max(0.01, deadline - time.monotonic()))
            if frames is None:
                return None
            msg = self.session.deserialize(
                frames[frames.index(b"<IDS|MSG>") + 1:])
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg
        return None

    def close(self):
        self.sock.close()
        self.ctx.term()


def tabula_run(db, *cells, readonly=False, user=None):
    """Runs cells with tabula-run; returns CompletedProcess."""
    argv = [run_path()] + (["--readonly"] if readonly else []) + [db] + list(cells)
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}",
                "--clear-groups"] + argv
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=120 * SLOW)


def have(tool):
    return shutil.which(tool) is not None
