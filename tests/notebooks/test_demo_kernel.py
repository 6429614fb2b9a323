"""This file checks `%demo bikes` through the real kernel with
jupyter_client, where the C test (demo_test.c) cannot reach: the progress
bar (display_data with a display_id, then update_display_data messages for
the same id, the last one clearing it), the summary result, the names User/Bike/Rental bound right
after, the error for existing tables and --replace, argument errors, a
read-only connection, and an interrupt in the middle, which must leave no
table.

Run: /usr/bin/python3 -m pytest tests/notebooks/test_demo_kernel.py -v
"""
import re
import threading
import time

import pytest

from nbcheck import KERNEL, kernel_spec_or_skip


@pytest.fixture
def kernel():
    kernel_spec_or_skip()
    if KERNEL != "tabula":
        pytest.skip("%demo is a Tabula magic")
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=60)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code, timeout=300):
    """Executes `code`; returns (reply content, iopub messages). With
    stop_on_error false, so that a request sent right after an expected
    error is not aborted as "queued behind an error"."""
    msgs = []
    reply = kc.execute_interactive(code, timeout=timeout, stop_on_error=False,
                                   output_hook=msgs.append)
    return reply["content"], msgs


def result_text(msgs):
    texts = [m["content"]["data"]["text/plain"] for m in msgs
             if m["msg_type"] == "execute_result"]
    assert len(texts) == 1, msgs
    return texts[0]


def test_progress_bar_updates_in_place(kernel):
    _, kc = kernel
    # enough rentals to run past the indicator's one-second delay
    reply, msgs = run(kc, "%demo bikes --rentals 2_000_000")
    assert reply["status"] == "ok", reply
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    updates = [m for m in msgs if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1, "the bar is displayed once, then updated"
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert display_id
    assert updates, "no update_display_data"
    assert all(u["content"]["transient"]["display_id"] == display_id
               for u in updates)
    assert updates[-1]["content"]["data"] == {}, "cleared at the end"
    # After the last row the demo still builds indexes and commits; under
    # load that can outlast a refresh, which then shows only elapsed time.
    # The last update that carries a bar must be the full one.
    bars = [u["content"]["data"] for u in updates[:-1]
            if "<progress" in u["content"]["data"].get("text/html", "")]
    assert bars, "no update carried a bar"
    last = bars[-1]
    assert "100%" in last["text/plain"] and \
        "2,000,250 / 2,000,250" in last["text/plain"]
    assert "<progress" in last["text/html"]
    summary = result_text(msgs)
    assert re.fullmatch(r"Created 200 users, 50 bikes, 2,000,000 rentals in "
                        r"\d+\.\d\d s \(seed 42\)", summary), summary
    # The tables are names at once.
    reply, msgs = run(kc, "Rental.count(), User.count(), Bike.count()")
    assert result_text(msgs) == "(2000000, 200, 50)"


def test_small_demo_has_no_progress_bar(kernel):
    _, kc = kernel
    reply, msgs = run(kc, "%demo bikes --users 20 --bikes 5 --rentals 300 --seed 7")
    assert reply["status"] == "ok", reply
    assert not [m for m in msgs if m["msg_type"] in ("display_data",
                                                     "update_display_data")]
    assert result_text(msgs).startswith("Created 20 users, 5 bikes, 300 rentals in ")
    reply, msgs = run(kc, "Rental.filter(bike__id__lte=5).count()")
    assert result_text(msgs) == "300"


def test_existing_tables_and_replace(kernel):
    _, kc = kernel
    assert run(kc, "%demo bikes --rentals 100")[0]["status"] == "ok"
    reply, msgs = run(kc, "%demo bikes")
    assert reply["status"] == "error"
    assert reply["ename"] == "ValueError"
    assert "--replace" in reply["evalue"] and "'user'" in reply["evalue"]
    reply, msgs = run(kc, "Rental.count()")
    assert result_text(msgs) == "100", "a refused %demo changed the data"
    reply, msgs = run(kc, "%demo bikes --replace --rentals 250\nRental.count()")
    assert reply["status"] == "ok", reply
    assert result_text(msgs) == "250"


@pytest.mark.parametrize("args, message", [
    ("", "needs a data set name"),
    ("cars", "Unknown demo data set 'cars'"),
    ("bikes --rentals lots", "non-negative whole number"),
    ("bikes --users 0", "between 1 and"),
])
def test_argument_errors(kernel, args, message):
    _, kc = kernel
    reply, _ = run(kc, f"%demo {args}")
    assert reply["status"] == "error"
    assert reply["ename"] == "ValueError"
    assert message in reply["evalue"], reply["evalue"]


def test_readonly_connection_refuses(kernel, tmp_path):
    _, kc = kernel
    path = tmp_path / "ro.sqlite"
    reply, _ = run(kc, f"%connect {path} --create\n%sql CREATE TABLE t (x)")
    assert reply["status"] == "ok", reply
    reply, _ = run(kc, f"%connect {path} --readonly")
    assert reply["status"] == "ok", reply
    reply, _ = run(kc, "%demo bikes --rentals 10")
    assert reply["status"] == "error"
    assert reply["ename"] == "ReadOnlyError", reply


def test_interrupt_leaves_no_tables(kernel):
    km, kc = kernel
    # Enough rentals that the generation is still running after a second.
    timer = threading.Timer(1.0, km.interrupt_kernel)
    timer.start()
    t0 = time.monotonic()
    try:
        reply, _ = run(kc, "%demo bikes --rentals 50_000_000", timeout=120)
    finally:
        timer.cancel()
    assert reply["status"] == "error", reply
    assert reply["ename"] == "KeyboardInterrupt", reply
    assert time.monotonic() - t0 < 60, "the interrupt did not stop the demo soon"
    reply, msgs = run(kc, "%sql SELECT count(*) AS n FROM sqlite_master "
                          "WHERE name IN ('user', 'bike', 'rental')")
    assert reply["status"] == "ok", reply
    text = result_text(msgs)
    assert re.search(r"\b0\b", text) and not re.search(r"\b[1-3]\b", text), text
    # And the kernel is usable: the demo runs afterwards.
    reply, msgs = run(kc, "%demo bikes --rentals 10\nRental.count()")
    assert result_text(msgs) == "10"
