"""This file checks the language's session on PostgreSQL through the kernel:
a password never shows (iopub messages, replies, the history, the kernel's
own log at debug level), a caught DatabaseError leaves the cell's
transaction usable (the statement savepoint), and BEGIN/COMMIT are refused
inside a cell as on SQLite.

It runs against the server TABULA_TEST_PG names, or else a throwaway
cluster (tests/pg/pgcluster.py).
"""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402

BUILD = pgcluster.build_dir()


def _password_url(server):
    url = os.environ.get("TABULA_TEST_PG_PASSWORD_URL") or getattr(
        server, "password_url", None)
    if not url:
        pytest.skip("no password user on this server")
    return url


def _kernel(tmp_path, env, stderr):
    from jupyter_client import KernelManager
    kernel = os.environ.get("TABULA_KERNEL") or os.path.join(
        BUILD, "kernel", "tabula-kernel")
    if not os.access(kernel, os.X_OK):
        pytest.skip("tabula-kernel is not built")
    spec = tmp_path / "kernels" / "tabula-pg-session"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [kernel, "-f", "{connection_file}"],
        "display_name": "Tabula (PostgreSQL session tests)",
        "language": "tabula", "interrupt_mode": "message"}))
    os.environ["JUPYTER_PATH"] = str(tmp_path)
    km = KernelManager(kernel_name="tabula-pg-session")
    km.start_kernel(env=env, stderr=stderr)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    return km, kc


def _run(kc, code, seen):
    """(status, text of the outputs) of one cell; every iopub message and
    the reply go to `seen`."""
    out = []

    def hook(m):
        seen.append(m)
        out.append(m)
    reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
    seen.append(reply)
    text = ""
    for m in out:
        c = m["content"]
        if m["msg_type"] in ("execute_result", "display_data"):
            text += c["data"].get("text/plain", "")
        elif m["msg_type"] == "error":
            text += f"{c['ename']}: {c['evalue']}"
        elif m["msg_type"] == "stream":
            text += c["text"]
    return reply["content"]["status"], text


def test_password_never_shows(server, tmp_path):
    url = _password_url(server)
    password = pgcluster.PASSWORD
    assert password in url
    bad = url.replace(password, password + "-wrong")
    log = tmp_path / "kernel.log"
    env = dict(os.environ, TABULA_LOG="debug", TABULA_DATABASE=url,
               TABULA_HISTORY=str(tmp_path / "history.sqlite"))
    seen = []
    with open(log, "w") as err:
        km, kc = _kernel(tmp_path, env, err)
        try:
            status, text = _run(kc, "%sql SELECT current_user AS who", seen)
            assert status == "ok" and "tq_secret" in text, text
            assert _run(kc, f"%connect {url}", seen)[0] == "ok"
            assert _run(kc, f"%connect '{url}'", seen)[0] == "ok"
            status, text = _run(kc, f"%connect {bad}", seen)
            assert status == "error", text
            status, text = _run(kc, f"1/0  # {url}", seen)
            assert status == "error" and "***" in str(seen[-2:]), text
            status, text = _run(kc, "print(In[3])", seen)
            assert status == "ok" and "***" in text, text
            kw = f"host=127.0.0.1 password={password} dbname=x"
            status, text = _run(kc, f'%connect "{kw}"', seen)
            assert status == "error", text
            msg_id = kc.history(hist_access_type="tail", n=20, output=False)
            reply = kc.get_shell_msg(timeout=30)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=30)
            seen.append(reply)
            cells = [h[2] for h in reply["content"]["history"]]
            assert any("***" in c for c in cells), cells
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    text = log.read_text()
    assert "ready" in text, text
    everything = json.dumps(seen, default=str)
    assert password not in everything
    assert password not in text, text
    import sqlite3
    db = sqlite3.connect(str(tmp_path / "history.sqlite"))
    rows = db.execute("SELECT source FROM history").fetchall()
    assert rows and not any(password in r[0] for r in rows), rows


def test_caught_error_and_guard(server, tmp_path):
    env = dict(os.environ, TABULA_DATABASE=server.url,
               TABULA_HISTORY=str(tmp_path / "history.sqlite"))
    seen = []
    km, kc = _kernel(tmp_path, env, None)
    try:
        status, text = _run(kc, "%%sql\nDROP TABLE IF EXISTS tq_gadget;\n"
                            "CREATE TABLE tq_gadget (id integer PRIMARY KEY, "
                            "name text)", seen)
        assert status == "ok", text
        status, text = _run(kc, "TqGadget.create(id=1, name='a')\n"
                            "try:\n    TqGadget.create(id=1, name='b')\n"
                            "except IntegrityError as e:\n"
                            "    print('caught', e)\n"
                            "TqGadget.create(id=2, name='c')\n"
                            "TqGadget.count()", seen)
        assert status == "ok", text
        assert "caught UNIQUE constraint failed: tq_gadget.id" in text, text
        assert text.rstrip().endswith("2"), text
        status, text = _run(kc, "%sql COMMIT", seen)
        assert status == "error" and "refused inside it" in text, text
        status, text = _run(kc, "TqGadget.count()", seen)
        assert status == "ok" and text.strip() == "2", text
        _run(kc, "%sql DROP TABLE tq_gadget", seen)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
