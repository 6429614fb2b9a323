"""Helpers for the protocol tests: start/stop kernels, run a request and
collect its iopub messages, and talk to the kernel's sockets directly with
hand-made (or deliberately broken) frames."""
import queue
import time

import zmq
from jupyter_client import KernelManager
from jupyter_client.session import Session

LONG_QUERY = ("%sql WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 "
              "FROM c WHERE x < 400000000) SELECT count(*) FROM c")
TIMEOUT = 20


def start_kernel(**kw):
    """A kernel and its started client; kw goes to KernelManager.start_kernel
    (extra_arguments, env...)."""
    km = KernelManager(kernel_name="tabula-test")
    km.start_kernel(**kw)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=TIMEOUT)
    return km, kc


def stop_kernel(km, kc):
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=False)


def iopub_for(kc, msg_id, timeout=TIMEOUT):
    """iopub messages whose parent is msg_id, up to and including idle."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no idle for {msg_id}; got {[m['msg_type'] for m in out]}"
        msg = kc.get_iopub_msg(timeout=left)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(msg)
        if (msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            return out


def shell_reply(kc, msg_id, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no reply to {msg_id}"
        msg = kc.get_shell_msg(timeout=left)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def execute(kc, code, timeout=TIMEOUT, **kw):
    """Runs code; returns (execute_reply, iopub messages of the request)."""
    msg_id = kc.execute(code, **kw)
    reply = shell_reply(kc, msg_id, timeout)
    return reply, iopub_for(kc, msg_id, timeout)


def request(kc, msg_type, content, channel="shell", timeout=TIMEOUT):
    """Sends a request on shell or control and returns the reply."""
    msg = kc.session.msg(msg_type, content)
    if channel == "shell":
        kc.shell_channel.send(msg)
        return shell_reply(kc, msg["header"]["msg_id"], timeout)
    kc.control_channel.send(msg)
    deadline = time.monotonic() + timeout
    while True:
        reply = kc.get_control_msg(timeout=deadline - time.monotonic())
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply


def drain(kc):
    for get in (kc.get_iopub_msg, kc.get_shell_msg):
        while True:
            try:
                get(timeout=0.05)
            except queue.Empty:
                break


class Raw:
    """A DEALER socket on one of the kernel's ROUTER channels, for frames
    that jupyter_client would never send."""

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

    def signed(self, msg_type, content, header_extra=None):
        """Frames of a correctly signed message (after the delimiter)."""
        msg = self.session.msg(msg_type, content)
        if header_extra:
            msg["header"].update(header_extra)
        return msg, self.session.serialize(msg)

    def sign_parts(self, parts):
        """[delimiter, signature, *parts] for raw JSON byte parts."""
        return [b"<IDS|MSG>", self.session.sign(parts)] + parts

    def recv(self, timeout=1.0):
        if self.sock.poll(int(timeout * 1000)):
            return self.sock.recv_multipart()
        return None

    def close(self):
        self.sock.close()
        self.ctx.term()
