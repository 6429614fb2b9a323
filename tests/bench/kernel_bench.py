#!/usr/bin/python3
"""Kernel benchmark: tabula against ipykernel (kernelspec 'python3') and
xeus-python (kernelspec 'xpython'), all driven by the same jupyter_client
code in one run. Prints a table; never passes or fails.

Figures per kernel:
  bare start median time from spawning the kernelspec's argv to the
             kernel_info_reply on a bare pyzmq socket (the kernel alone)
  start-up   median wall time of several launches, from start_kernel() to
             the first kernel_info_reply (connection file, fork/exec, bind,
             reply: what a front end waits for)
  p50/p99    round trip of a trivial execute_request until iopub idle
  exec/s     trivial executes per second, one after the other
  RSS        VmRSS of the kernel process after the warm-up (for tabula
             also after a chart and an ER diagram, which load the drawing
             module with cairo and graphviz: printed below the table)
  prints     one cell printing 1,000 lines, then one printing 100,000
             (the same code in every kernel): seconds until iopub idle and
             how many stream messages carried them (batching); measured
             last, since a kernel may die or stall on it (xpython 0.9 does:
             it is reported, not fatal)
  raw p50/99 the same round trip from bare pyzmq sockets (no client
             threads), closer to the kernel's own latency

Usage: /usr/bin/python3 tests/bench/kernel_bench.py [--kernel PATH]
       [--launches N] [--executes N] [--only NAME,...]
The tabula binary comes from --kernel, else $TABULA_KERNEL, else
build-kernel/kernel/tabula-kernel next to this checkout.
"""
import argparse
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import zmq
import zmq.asyncio
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.session import Session

# jupyter_client's clients use asyncio sockets; one context for all of them
CLIENT_CONTEXT = zmq.asyncio.Context()

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def tabula_spec_dir(binary):
    d = tempfile.mkdtemp(prefix="tabula-bench-")
    spec = os.path.join(d, "kernels", "tabula-bench")
    os.makedirs(spec)
    with open(os.path.join(spec, "kernel.json"), "w") as f:
        json.dump({"argv": [binary, "-f", "{connection_file}"],
                   "display_name": "Tabula (bench)", "language": "tabula",
                   "interrupt_mode": "message"}, f)
    os.environ["TABULA_HISTORY"] = os.path.join(d, "history.sqlite")
    return os.path.join(d, "kernels")


def wait_reply(kc, msg_id, timeout=60):
    deadline = time.perf_counter() + timeout
    while True:
        msg = kc.get_shell_msg(timeout=max(0.001, deadline - time.perf_counter()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def wait_idle(kc, msg_id, timeout=60):
    deadline = time.perf_counter() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.001, deadline - time.perf_counter()))
        if (msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            return


def launch(ksm, name):
    """Returns (km, kc, seconds from start_kernel to kernel_info_reply)."""
    km = KernelManager(kernel_name=name, kernel_spec_manager=ksm)
    t0 = time.perf_counter()
    km.start_kernel()
    try:
        kc = km.client(context=CLIENT_CONTEXT)
        kc.start_channels(iopub=True, shell=True, stdin=False, hb=False,
                          control=True)
        msg_id = kc.kernel_info()
        wait_reply(kc, msg_id)
    except BaseException:
        km.shutdown_kernel(now=True)     # never leave a kernel behind
        raise
    return km, kc, time.perf_counter() - t0


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=False)


# Cells that draw, run after the RSS reading (tabula only).
DRAW_CELLS = (
    "%sql CREATE TABLE pts(id INTEGER PRIMARY KEY, x REAL, y REAL)",
    "%sql INSERT INTO pts(x, y) VALUES (1, 2), (2, 3), (3, 5)",
    "Pts.objects.all().plot.line(x='x', y='y')",
    "%graph_models",
)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bare_start(ksm, name):
    """Seconds from spawning the kernel's argv (as the kernelspec gives it)
    to its kernel_info_reply, read with a bare pyzmq DEALER: the kernel's
    own start-up without KernelManager's bookkeeping."""
    spec = ksm.get_kernel_spec(name)
    ports = []
    for _ in range(5):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        ports.append(s.getsockname()[1])
        s.close()
    key = uuid.uuid4().hex
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(dict(zip(["shell_port", "iopub_port", "stdin_port",
                            "control_port", "hb_port"], ports),
                       ip="127.0.0.1", key=key, transport="tcp",
                       signature_scheme="hmac-sha256"), f)
    argv = [a.replace("{connection_file}", path) for a in spec.argv]
    session = Session(key=key.encode())
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.RECONNECT_IVL, 2)
    sock.connect(f"tcp://127.0.0.1:{ports[0]}")
    env = dict(os.environ, **(spec.env or {}))
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    session.send(sock, "kernel_info_request", {})
    sock.poll(60000)
    sock.recv_multipart()
    dt = time.perf_counter() - t0
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    sock.close(linger=0)
    os.unlink(path)
    return dt


def bench(ksm, name, code, launches, executes, draw_cells=()):
    bare = statistics.median(bare_start(ksm, name) for _ in range(launches))
    starts = []
    for _ in range(launches):
        km, kc, dt = launch(ksm, name)
        starts.append(dt)
        stop(km, kc)
    km, kc, _ = launch(ksm, name)
    try:
        # make sure iopub is subscribed before timing executes
        kc.wait_for_ready(timeout=60)
        for _ in range(5):
            msg_id = kc.execute(code)
            wait_reply(kc, msg_id)
            wait_idle(kc, msg_id)
        times = []
        t_all = time.perf_counter()
        for _ in range(executes):
            t0 = time.perf_counter()
            msg_id = kc.execute(code)
            wait_reply(kc, msg_id)
            wait_idle(kc, msg_id)
            times.append(time.perf_counter() - t0)
        total = time.perf_counter() - t_all
        raw = raw_round_trips(km, code, executes)
        rss = rss_kib(km.provisioner.process.pid)
        for cell in draw_cells:
            msg_id = kc.execute(cell)
            reply = wait_reply(kc, msg_id)
            wait_idle(kc, msg_id)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"{cell!r}: {reply['content']}")
        rss_drawn = rss_kib(km.provisioner.process.pid) if draw_cells else 0
        prints = {}
        for lines in PRINT_LINES:
            try:
                prints[lines] = print_burst(km, kc, lines)
            except Exception as e:     # reported in the table, not fatal
                prints[lines] = ("died" if not km.is_alive() else
                                 f"{type(e).__name__}: {e}")
                break
    finally:
        stop(km, kc)
    times.sort()
    return {
        "startup": statistics.median(starts),
        "bare": bare,
        "p50": times[len(times) // 2],
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
        "rate": executes / total,
        "rss": rss,
        "rss_drawn": rss_drawn,
        "prints": prints,
        "raw50": raw[len(raw) // 2],
        "raw99": raw[min(len(raw) - 1, int(len(raw) * 0.99))],
    }


PRINT_LINES = (1000, 100000)
PRINT_TIMEOUT = 60


def print_burst(km, kc, lines):
    """(seconds, stream messages) for one cell printing `lines` lines,
    checking that every line arrived; raises if the kernel dies or takes
    longer than PRINT_TIMEOUT."""
    code = f"for i in range({lines}):\n    print(i)"
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    messages, text = 0, []
    while True:
        if time.perf_counter() - t0 > PRINT_TIMEOUT:
            raise TimeoutError(f"not idle after {PRINT_TIMEOUT} s")
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            if not km.is_alive():
                raise RuntimeError("the kernel died")
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            messages += 1
            text.append(msg["content"]["text"])
        if (msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"):
            break
    seconds = time.perf_counter() - t0
    wait_reply(kc, msg_id)
    got = "".join(text).count("\n")
    if got != lines:
        raise RuntimeError(f"{got} of {lines} printed lines arrived")
    return seconds, messages


def raw_round_trips(km, code, n):
    """Round trips with bare pyzmq sockets (a DEALER on shell, a SUB on
    iopub), to show the kernel's share without jupyter_client's threads."""
    info = km.get_connection_info()
    session = Session(key=info["key"], signature_scheme=info["signature_scheme"])
    ctx = zmq.Context.instance()
    base = f"{info['transport']}://{info['ip']}:"
    shell = ctx.socket(zmq.DEALER)
    shell.connect(base + str(info["shell_port"]))
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(base + str(info["iopub_port"]))
    # the subscription is live once any iopub message arrives
    while True:
        session.send(shell, "kernel_info_request", {})
        shell.recv_multipart()
        if sub.poll(200):
            break
    while sub.poll(50):
        sub.recv_multipart()

    def one():
        msg = session.send(shell, "execute_request", {
            "code": code, "silent": False, "store_history": True,
            "user_expressions": {}, "allow_stdin": False})
        msg_id = msg["header"]["msg_id"]
        shell.recv_multipart()
        while True:
            idents, frames = session.feed_identities(sub.recv_multipart())
            m = session.deserialize(frames, content=True)
            if (m["parent_header"].get("msg_id") == msg_id
                    and m["msg_type"] == "status"
                    and m["content"]["execution_state"] == "idle"):
                return

    for _ in range(5):
        one()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        one()
        times.append(time.perf_counter() - t0)
    shell.close(linger=0)
    sub.close(linger=0)
    return sorted(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default=os.environ.get("TABULA_KERNEL") or
                    os.path.join(ROOT, "build-kernel", "kernel",
                                 "tabula-kernel"))
    ap.add_argument("--launches", type=int, default=7)
    ap.add_argument("--executes", type=int, default=500)
    ap.add_argument("--only", default="tabula,python3,xpython")
    args = ap.parse_args()

    # the same client settings for every kernel: reconnect quickly, so that
    # a kernel that binds fast is not charged zmq's default 100 ms back-off
    ctx = zmq.Context.instance()
    ctx.setsockopt(zmq.RECONNECT_IVL, 2)
    CLIENT_CONTEXT.setsockopt(zmq.RECONNECT_IVL, 2)

    ksm = KernelSpecManager()
    ksm.kernel_dirs = [tabula_spec_dir(os.path.abspath(args.kernel))] + \
        list(ksm.kernel_dirs)
    kernels = {"tabula": ("tabula-bench", "1 + 1"),
               "python3": ("python3", "1 + 1"),
               "xpython": ("xpython", "1 + 1")}
    rows = {}
    for label in args.only.split(","):
        name, code = kernels[label]
        try:
            rows[label] = bench(ksm, name, code, args.launches, args.executes,
                                DRAW_CELLS if label == "tabula" else ())
        except Exception as e:          # a missing kernel is reported, not fatal
            print(f"{label}: {type(e).__name__}: {e}", file=sys.stderr)

    print(f"\nkernel benchmark ({args.launches} launches, {args.executes} "
          f"trivial executes each; jupyter_client, same client for all)\n")
    print(f"{'kernel':<10}{'bare start':>11}{'start-up ms':>13}{'p50 ms':>10}{'p99 ms':>10}"
          f"{'exec/s':>10}{'RSS MiB':>10}{'raw p50':>10}{'raw p99':>10}")
    for label, r in rows.items():
        print(f"{label:<10}{r['bare'] * 1e3:>11.1f}{r['startup'] * 1e3:>13.1f}{r['p50'] * 1e3:>10.3f}"
              f"{r['p99'] * 1e3:>10.3f}{r['rate']:>10.0f}"
              f"{r['rss'] / 1024:>10.1f}{r['raw50'] * 1e3:>10.3f}"
              f"{r['raw99'] * 1e3:>10.3f}")
    print("\nprints in one cell, until iopub idle (seconds, stream messages):")
    for label, r in rows.items():
        cells = []
        for lines in PRINT_LINES:
            got = r["prints"].get(lines)
            if got is None:
                cells.append(f"{lines:,}: not run")
            elif isinstance(got, str):
                cells.append(f"{lines:,}: failed ({got})")
            else:
                cells.append(f"{lines:,}: {got[0]:.3f} s in {got[1]:,}")
        print(f"  {label:<10}" + ";  ".join(cells))
    if rows.get("tabula", {}).get("rss_drawn"):
        print(f"\ntabula RSS after a line chart and an ER diagram (drawing "
              f"module, cairo and graphviz loaded): "
              f"{rows['tabula']['rss_drawn'] / 1024:.1f} MiB")
    if "tabula" in rows and "xpython" in rows:
        t, x = rows["tabula"], rows["xpython"]
        print(f"\ntabula/xpython: bare start {t['bare'] / x['bare']:.3f}x, "
              f"start-up {t['startup'] / x['startup']:.3f}x, "
              f"p50 {t['p50'] / x['p50']:.2f}x")


if __name__ == "__main__":
    main()
