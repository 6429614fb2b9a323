"""Load: many executes in a row without memory growth, and kernel_info
requests from several clients at once, all answered.

The RSS bound (1 MiB over 20,000 executes after a warm-up) holds for a
kernel built without sanitizers, after subtracting what is kept on
purpose: the session keeps every executed cell's source in memory (for
%history and "Cell In[n]" tracebacks, as IPython keeps In), which is
counted exactly from the cells sent (malloc chunk plus the doubling
pointer array). The cells are sent with store_history=False so that the
kernel's history file (whose SQLite page cache grows with it, up to 2 MB)
stays out of the figure; under ASan the quarantine and shadow
memory make RSS meaningless, so the ASan run executes fewer cells
(TABULA_LOAD_EXECUTES overrides both) and checks only that every one is
answered correctly; the figure is printed either way."""
import os
import threading
import time

import zmq
from jupyter_client.session import Session

import hardlib
from hardlib import SLOW, ok

ASAN = hardlib.kernel_is_asan()
EXECUTES = int(os.environ.get("TABULA_LOAD_EXECUTES",
                              "2000" if (ASAN or hardlib.VALGRIND) else "20000"))
WARMUP = max(200, EXECUTES // 20)
RSS_BOUND_KIB = 1024


def test_many_executes_rss(kernel):
    km, kc = kernel
    pid = hardlib.pid(km)
    ok(kc, "%demo bikes --rentals 200 --seed 1")
    ok(kc, "i = 0")
    cells = [
        "i += 1",
        "User.filter(id__lt=i % 50).count()",
        "Bike[(i % 10) + 1, 'name']",
        "%sql SELECT count(*) FROM rental WHERE id < :i",
        "s = str(i) + ' ' * (i % 7)",
        "list(range(i % 20))",
        "Rental.filter(total_fee__gt=i % 30).values('bike_id')[:3]",
    ]
    expected_i = 0
    rss_warm = None
    for n in range(EXECUTES):
        cell = cells[n % len(cells)]
        content, _ = hardlib.execute(kc, cell, store_history=False)
        assert content["status"] == "ok", (n, cell, content)
        if cell == "i += 1":
            expected_i += 1
        if n + 1 == WARMUP:
            rss_warm = hardlib.vm_rss_kib(pid)
            t_warm = time.monotonic()
    rss_end = hardlib.vm_rss_kib(pid)
    elapsed = time.monotonic() - t_warm
    assert ok(kc, "i") == str(expected_i)
    growth = rss_end - rss_warm
    print(f"\n[figure] {EXECUTES} executes (asan={ASAN}): VmRSS after "
          f"{WARMUP} warm-up {rss_warm} KiB, at end {rss_end} KiB, growth "
          f"{growth} KiB; {(EXECUTES - WARMUP) / elapsed:.0f} executes/s")
    if not ASAN and not hardlib.VALGRIND:
        assert growth < RSS_BOUND_KIB, f"RSS grew {growth} KiB"


CLIENTS = 4
PER_CLIENT = 250


def test_kernel_info_from_four_clients(kernel):
    km, kc = kernel
    info = km.get_connection_info()
    key = info["key"]
    key = key if isinstance(key, bytes) else key.encode()
    answered = [0] * CLIENTS
    errors = []
    ctx = zmq.Context()

    def client(index):
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(f"tcp://{info['ip']}:{info['shell_port']}")
        session = Session(key=key, signature_scheme=info["signature_scheme"])
        try:
            ids = set()
            for _ in range(PER_CLIENT):
                msg = session.msg("kernel_info_request", {})
                ids.add(msg["header"]["msg_id"])
                sock.send_multipart(session.serialize(msg))
            deadline = time.monotonic() + 120 * SLOW
            while ids and time.monotonic() < deadline:
                if not sock.poll(1000):
                    continue
                frames = sock.recv_multipart()
                reply = session.deserialize(
                    frames[frames.index(b"<IDS|MSG>") + 1:])
                parent = reply["parent_header"].get("msg_id")
                if parent in ids and reply["msg_type"] == "kernel_info_reply":
                    assert reply["content"]["status"] == "ok"
                    ids.discard(parent)
                    answered[index] += 1
        except Exception as e:             # reported by the main thread
            errors.append(repr(e))
        finally:
            sock.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    ctx.term()
    print(f"\n[figure] {CLIENTS}x{PER_CLIENT} kernel_info requests: "
          f"{sum(answered)} answered in {elapsed:.2f} s")
    assert not errors, errors
    assert answered == [PER_CLIENT] * CLIENTS
    assert ok(kc, "6 * 7") == "42"
