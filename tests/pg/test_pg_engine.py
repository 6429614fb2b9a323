"""This file runs the PostgreSQL engine's C unit test (test_db_postgres,
tests/unit/db/test_postgres.c) against a real server, inside the pytest
suites: the server TABULA_TEST_PG names, or else a throwaway cluster that
tests/pg/pgcluster.py starts for this module and removes after it. Under
meson alone (`meson test --suite unit`) the same test skips unless
TABULA_TEST_PG is set; `pgcluster.py run -- meson test ...` sets it.

Also checked here: the cluster helper itself (its own port, never 5432,
nothing left behind), and the engine after a real server restart (through
tabula-run: a statement on the dead connection fails with
OperationalError, the next one reconnects).
"""
import json
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402

BUILD = pgcluster.build_dir()


def test_engine_unit_test(server):
    exe = os.path.join(BUILD, "tests", "unit", "db", "test_db_postgres")
    if not os.access(exe, os.X_OK):
        pytest.skip(f"{exe} is not built")
    env = dict(os.environ, **server.env())
    p = subprocess.run([exe], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    failed = [l for l in p.stdout.splitlines() if l.startswith("not ok")]
    assert p.returncode == 0 and not failed, p.stdout
    assert "1..0 # SKIP" not in p.stdout
    plan = [l for l in p.stdout.splitlines() if l.startswith("1..")]
    assert plan and int(plan[0][3:]) > 100, p.stdout


def test_cluster_is_its_own(server):
    if not isinstance(server, pgcluster.Cluster):
        pytest.skip("TABULA_TEST_PG names the server")
    assert ":5432/" not in server.url
    assert server.root.startswith(server.base) or server.root.startswith("/tmp")
    out = server.psql("tabula", "SELECT current_setting('port')")
    assert str(server.port) in out


def test_cluster_leaves_nothing():
    with pgcluster.Cluster() as pg:
        root, sock = pg.root, pg.sockdir
        assert os.path.exists(os.path.join(pg.data, "postmaster.pid"))
    assert not os.path.exists(root) and not os.path.exists(sock)


def _kernel(tmp_path):
    """A Tabula kernel through jupyter_client (TABULA_KERNEL's binary)."""
    from jupyter_client import KernelManager
    kernel = os.environ.get("TABULA_KERNEL") or os.path.join(
        BUILD, "kernel", "tabula-kernel")
    if not os.access(kernel, os.X_OK):
        pytest.skip("tabula-kernel is not built")
    spec = tmp_path / "kernels" / "tabula-pg"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [kernel, "-f", "{connection_file}"],
        "display_name": "Tabula (PostgreSQL tests)", "language": "tabula",
        "interrupt_mode": "message"}))
    os.environ["JUPYTER_PATH"] = str(tmp_path)
    os.environ.setdefault("TABULA_HISTORY", str(tmp_path / "history.sqlite"))
    km = KernelManager(kernel_name="tabula-pg")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    return km, kc


def _run(kc, code):
    """(status, text/plain or error text) of one cell."""
    reply = kc.execute_interactive(code, timeout=60, output_hook=lambda m: (
        outputs.append(m)))
    text = ""
    for m in outputs:
        c = m["content"]
        if m["msg_type"] in ("execute_result", "display_data"):
            text += c["data"].get("text/plain", "")
        elif m["msg_type"] == "error":
            text += f"{c['ename']}: {c['evalue']}"
        elif m["msg_type"] == "stream":
            text += c["text"]
    outputs.clear()
    return reply["content"]["status"], text


outputs = []


def test_restart_mid_session(tmp_path):
    """The server restarts while a cell runs: that cell fails with the lost
    connection's error, the next cell reconnects, the kernel lives on; a
    restart between cells goes unnoticed."""
    with pgcluster.Cluster() as pg:
        km, kc = _kernel(tmp_path)
        try:
            assert _run(kc, f"%connect {pg.url}")[0] == "ok"
            status, text = _run(kc, "%sql SELECT 1 AS before")
            assert status == "ok" and "before" in text, text
            msg_id = kc.execute("%sql SELECT pg_sleep(5)")
            time.sleep(1.5)
            pg.restart()
            reply = kc.get_shell_msg(timeout=60)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=60)
            assert reply["content"]["status"] == "error"
            assert "terminating connection" in reply["content"]["evalue"] or \
                "closed the connection" in reply["content"]["evalue"]
            outputs.clear()
            status, text = _run(kc, "%sql SELECT 2 AS after")
            assert status == "ok" and "after" in text, text
            pg.restart()
            status, text = _run(kc, "%sql SELECT 3 AS later")
            assert status == "ok" and "later" in text, text
            assert km.is_alive()
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
