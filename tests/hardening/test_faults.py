"""Faults: a kernel killed with SIGKILL in the middle of a large update
leaves the database as it was; a second kernel writing a file that the
first one holds locked waits (busy_timeout) and then reports a
DatabaseError naming the lock; a read-only file and a full disk give a
clean error, not a crash, and the kernel goes on."""
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time

import pytest

import hardlib
from hardlib import LONG_QUERY, control, execute, ok, shell_reply

ROWS = 300_000


def make_items(path, rows=ROWS):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE item(id INTEGER PRIMARY KEY, v INTEGER, "
                "label TEXT)")
    con.execute("INSERT INTO item(v, label) SELECT x, 'row ' || x FROM "
                "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c "
                f"WHERE x < {rows}) SELECT x FROM c)")
    con.commit()
    con.close()


def check_items(path, rows=ROWS):
    """Every row still has its original values; the file is sound."""
    con = sqlite3.connect(path, timeout=10)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n, bad = con.execute(
            "SELECT count(*), sum(v != id OR label != 'row ' || id) "
            "FROM item").fetchone()
        assert (n, bad) == (rows, 0)
    finally:
        con.close()


@pytest.mark.parametrize("when", ["during-update", "after-update"])
def test_kill9_during_large_update(spec, tmp_path, when):
    db = str(tmp_path / "items.sqlite")
    make_items(db)
    km, kc = hardlib.start(extra=["--database", db])
    killed = False
    try:
        assert ok(kc, "Item.objects.count()") == str(ROWS)
        if when == "during-update":
            # several full-table updates in a row; killed while they run
            cell = "\n".join(["Item.objects.update(v=F.v * 3 + 1, label='x')"]
                             * 20)
            settle = 0.4
        else:
            # the update is done (in the cell's open transaction); killed
            # while a long query runs after it
            cell = ("Item.objects.update(v=F.v * 3 + 1, label='x')\n"
                    "Item[1, 'v'] = -1\n" + LONG_QUERY)
            settle = 1.5
        msg_id = kc.execute(cell)
        hardlib.wait_running(kc, msg_id, settle=settle)
        # the cell must still be running when the kill lands
        with pytest.raises(Exception):
            kc.get_shell_msg(timeout=0.01)
        proc = km.provisioner.process
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        killed = True
    finally:
        kc.stop_channels()
        if not killed and km.is_alive():
            km.shutdown_kernel(now=True)
    check_items(db)
    # a new kernel opens the file and sees the original rows
    km, kc = hardlib.start(extra=["--database", db])
    try:
        assert ok(kc, "Item.objects.count()") == str(ROWS)
        assert ok(kc, "Item[1, 'v']") == "1"
        assert ok(kc, "Item.filter(v=F.id).count()") == str(ROWS)
    finally:
        hardlib.stop(km, kc)


def test_second_kernel_waits_then_reports_lock(spec, tmp_path):
    db = str(tmp_path / "locked.sqlite")
    make_items(db, 100)
    a = hardlib.start(extra=["--database", db])
    b = hardlib.start(extra=["--database", db])
    try:
        kma, kca = a
        kmb, kcb = b
        # A writes, then keeps its transaction open with a long query
        msg_id = kca.execute("Item[1, 'v'] = -1\n" + LONG_QUERY)
        hardlib.wait_running(kca, msg_id, settle=0.5)
        t0 = time.monotonic()
        content, _ = execute(kcb, "Item[2, 'v'] = -2")
        waited = time.monotonic() - t0
        print(f"\n[figure] second kernel waited {waited * 1000:.0f} ms "
              f"before: {content.get('ename')}: {content.get('evalue')}")
        assert content["status"] == "error"
        assert content["ename"] == "DatabaseError", content
        assert "lock" in content["evalue"].lower(), content["evalue"]
        assert waited >= 0.5, "no busy wait before the error"
        # B still reads (the lock is a write lock)
        assert ok(kcb, "Item.objects.count()") == "100"
        # A is interrupted: its write rolls back, and B may write now
        control(kca, "interrupt_request")
        assert shell_reply(kca, msg_id)["content"]["ename"] == \
            "KeyboardInterrupt"
        ok(kcb, "Item[2, 'v'] = -2")
        assert ok(kca, "Item[1, 'v']") == "1"
        assert ok(kca, "Item[2, 'v']") == "-2"
    finally:
        hardlib.stop(*a)
        hardlib.stop(*b)


@pytest.fixture
def tiny_mount():
    """A 64 KiB tmpfs (root only); None when mounting is not possible or
    TABULA_NO_MOUNT=1 asks for the fallbacks."""
    if os.environ.get("TABULA_NO_MOUNT") == "1":
        yield None
        return
    d = tempfile.mkdtemp(prefix="tabula-tiny-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755",
                        "tmpfs", d], capture_output=True)
    if r.returncode != 0:
        os.rmdir(d)
        yield None
        return
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", d])
        os.rmdir(d)


FILL = ("%sql INSERT INTO blob(b) SELECT randomblob(1000) FROM (WITH RECURSIVE"
        " c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 500) "
        "SELECT x FROM c)")


def test_full_disk(spec, tiny_mount, tmp_path):
    if tiny_mount is None:
        # no tmpfs: simulate a full disk with a page-count cap
        db = str(tmp_path / "full.sqlite")
        cap = "%sql PRAGMA max_page_count = 16\n"
        how = "max_page_count"
    else:
        db = os.path.join(tiny_mount, "full.sqlite")
        cap = ""
        how = "64 KiB tmpfs"
    km, kc = hardlib.start(extra=["--database", db])
    try:
        ok(kc, "%sql CREATE TABLE blob(id INTEGER PRIMARY KEY, b BLOB)")
        ok(kc, "%sql INSERT INTO blob(b) VALUES (x'00')")
        content, _ = execute(kc, cap + FILL)
        print(f"\n[figure] full disk ({how}): {content.get('ename')}: "
              f"{content.get('evalue')}")
        assert content["status"] == "error"
        assert content["ename"] == "DatabaseError", content
        assert "full" in content["evalue"].lower()
        # the kernel goes on; the failed cell's rows are gone
        assert ok(kc, "%sql SELECT count(*) AS n FROM blob").find("1") >= 0
        content, _ = execute(kc, "Blob.objects.count()")
        assert content["status"] == "ok"
        assert ok(kc, "1 + 1") == "2"
    finally:
        hardlib.stop(km, kc)
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM blob").fetchone()[0] == 1
    finally:
        con.close()


def test_readonly_filesystem(spec, tiny_mount):
    """A file on a read-only mount (root ignores chmod 444, so the kernel
    test uses a read-only tmpfs): writes fail cleanly, reads work."""
    if tiny_mount is None:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    db = os.path.join(tiny_mount, "ro.sqlite")
    make_items(db, 10)
    r = subprocess.run(["mount", "-o", "remount,ro", tiny_mount],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot remount read-only: {r.stderr.strip()}")
    before = hardlib.sha256(db)
    km, kc = hardlib.start(extra=["--database", db])
    try:
        assert ok(kc, "Item.objects.count()") == "10"
        for cell in ("Item[1, 'v'] = 5", "%sql DELETE FROM item",
                     "Item.objects.create(v=1, label='n')"):
            content, _ = execute(kc, cell)
            print(f"\n[figure] read-only mount, {cell!r}: "
                  f"{content.get('ename')}: {content.get('evalue')}")
            assert content["status"] == "error"
            assert content["ename"] in ("DatabaseError", "ReadOnlyError")
        assert ok(kc, "Item[1, 'v']") == "1"
    finally:
        hardlib.stop(km, kc)
    assert hardlib.sha256(db) == before


def test_chmod_444_file(tmp_path):
    """chmod 444 binds a non-root user only: tabula-run runs as nobody."""
    if not hardlib.run_path() or not hardlib.have("setpriv"):
        pytest.skip("needs TABULA_RUN and setpriv")
    if os.getuid() != 0:
        user = None                     # not root: chmod binds us already
    else:
        user = 65534
    d = tempfile.mkdtemp(prefix="tabula-444-")
    try:
        os.chmod(d, 0o755)
        db = os.path.join(d, "ro.sqlite")
        make_items(db, 10)
        os.chmod(db, 0o444)
        before = hardlib.sha256(db)
        r = hardlib.tabula_run(db, "Item.objects.count()",
                               "Item[1, 'v'] = 5", user=user)
        out = r.stdout + r.stderr
        print(f"\n[figure] chmod 444 via tabula-run: rc={r.returncode} "
              f"{out.strip().splitlines()[-1] if out.strip() else ''}")
        assert r.returncode >= 0, f"killed by signal {-r.returncode}"
        assert "10" in r.stdout
        assert ("ReadOnlyError" in out or "DatabaseError" in out), out
        assert "Sanitizer" not in out
        assert hardlib.sha256(db) == before
    finally:
        shutil.rmtree(d, ignore_errors=True)
