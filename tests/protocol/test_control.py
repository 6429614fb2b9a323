"""Control channel, heartbeat and signals: kernel_info on control,
interrupt_request and SIGINT while a long query runs, shutdown with
restart false and true, and the heartbeat answering during a long query."""
import queue
import signal
import time

import pytest
import zmq

from helpers import (LONG_QUERY, execute, iopub_for, request, shell_reply,
                     start_kernel, stop_kernel)


def wait_running(kc, msg_id):
    """Waits for the execute_input of msg_id: the cell is running."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=10)
        if (msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "execute_input"):
            time.sleep(0.3)
            return
    raise AssertionError("the cell never started")


def test_kernel_info_on_control(fresh):
    km, kc = fresh
    reply = request(kc, "kernel_info_request", {}, channel="control")
    assert reply["msg_type"] == "kernel_info_reply"
    assert reply["content"]["language_info"]["name"] == "tabula"


def test_interrupt_request_while_running(fresh):
    km, kc = fresh
    msg_id = kc.execute(LONG_QUERY)
    wait_running(kc, msg_id)
    started = time.monotonic()
    info = request(kc, "kernel_info_request", {}, channel="control",
                   timeout=5)
    assert info["content"]["status"] == "ok"
    reply = request(kc, "interrupt_request", {}, channel="control", timeout=5)
    assert reply["msg_type"] == "interrupt_reply"
    assert reply["content"]["status"] == "ok"
    result = shell_reply(kc, msg_id, timeout=10)
    assert time.monotonic() - started < 10
    assert result["content"]["status"] == "error"
    assert result["content"]["ename"] == "KeyboardInterrupt"
    errors = [m for m in iopub_for(kc, msg_id) if m["msg_type"] == "error"]
    assert errors[0]["content"]["ename"] == "KeyboardInterrupt"
    # the kernel goes on
    reply, _ = execute(kc, "1 + 1")
    assert reply["content"]["status"] == "ok"


def test_interrupt_via_manager(fresh):
    km, kc = fresh
    msg_id = kc.execute(LONG_QUERY)
    wait_running(kc, msg_id)
    km.interrupt_kernel()
    result = shell_reply(kc, msg_id, timeout=10)
    assert result["content"]["ename"] == "KeyboardInterrupt"


def test_sigint_interrupts(fresh):
    km, kc = fresh
    msg_id = kc.execute(LONG_QUERY)
    wait_running(kc, msg_id)
    km.signal_kernel(signal.SIGINT)
    result = shell_reply(kc, msg_id, timeout=10)
    assert result["content"]["status"] == "error"
    assert result["content"]["ename"] == "KeyboardInterrupt"
    assert km.is_alive()
    km.signal_kernel(signal.SIGINT)          # idle: harmless
    reply, _ = execute(kc, "1 + 1")
    assert reply["content"]["status"] == "ok"


def test_heartbeat_during_long_query(fresh):
    km, kc = fresh
    info = km.get_connection_info()
    ctx = zmq.Context()
    hb = ctx.socket(zmq.REQ)
    hb.setsockopt(zmq.LINGER, 0)
    hb.connect(f"tcp://{info['ip']}:{info['hb_port']}")
    msg_id = kc.execute(LONG_QUERY)
    wait_running(kc, msg_id)
    try:
        for i in range(10):
            payload = b"ping %d" % i
            t0 = time.monotonic()
            hb.send(payload)
            assert hb.poll(1000), "heartbeat did not answer within 1 s"
            assert hb.recv() == payload
            assert time.monotonic() - t0 < 1.0
            time.sleep(0.2)
        assert kc.is_alive()
        # the query is still running: no reply yet
        with pytest.raises(queue.Empty):
            kc.get_shell_msg(timeout=0.1)
    finally:
        hb.close()
        ctx.term()
    km.interrupt_kernel()
    assert shell_reply(kc, msg_id, timeout=10)["content"]["status"] == "error"


def test_shutdown(kernelspec_dir):
    km, kc = start_kernel()
    try:
        reply = request(kc, "shutdown_request", {"restart": False},
                        channel="control")
        assert reply["content"] == {"status": "ok", "restart": False}
        proc = km.provisioner.process
        assert proc.wait(timeout=5) == 0
    finally:
        stop_kernel(km, kc)


def test_shutdown_while_running(kernelspec_dir):
    km, kc = start_kernel()
    try:
        msg_id = kc.execute(LONG_QUERY)
        wait_running(kc, msg_id)
        reply = request(kc, "shutdown_request", {"restart": False},
                        channel="control", timeout=5)
        assert reply["content"]["status"] == "ok"
        assert km.provisioner.process.wait(timeout=5) == 0
    finally:
        stop_kernel(km, kc)


def test_shutdown_restart(kernelspec_dir):
    km, kc = start_kernel()
    try:
        execute(kc, "x = 41")
        reply = request(kc, "shutdown_request", {"restart": True},
                        channel="control")
        assert reply["content"] == {"status": "ok", "restart": True}
        assert km.provisioner.process.wait(timeout=5) == 0
    finally:
        stop_kernel(km, kc)


def test_restart_via_manager(fresh):
    km, kc = fresh
    execute(kc, "x = 41")
    old_pid = km.provisioner.process.pid
    km.restart_kernel(now=False)
    assert km.provisioner.process.pid != old_pid
    kc.wait_for_ready(timeout=20)
    reply, _ = execute(kc, "x")
    assert reply["content"]["ename"] == "NameError"   # state cleared


def test_manager_shutdown_is_clean(kernelspec_dir):
    km, kc = start_kernel()
    proc = km.provisioner.process
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    assert proc.returncode == 0


def test_interrupt_while_waiting_for_input(fresh):
    km, kc = fresh
    msg_id = kc.execute("input('name? ')", allow_stdin=True)
    req = kc.get_stdin_msg(timeout=10)
    assert req["msg_type"] == "input_request"
    reply = request(kc, "interrupt_request", {}, channel="control", timeout=5)
    assert reply["content"]["status"] == "ok"
    result = shell_reply(kc, msg_id, timeout=5)
    assert result["content"]["status"] == "error"
    reply, _ = execute(kc, "1 + 1")
    assert reply["content"]["status"] == "ok"
