"""This file checks loading and limits on PostgreSQL through the kernel:
%demo bikes and %load_csv load through COPY FROM STDIN (one INSERT
statement seen by the server per table, counted by statement-level
triggers that an event trigger puts on every new table), with the same
rows as on SQLite and every awkward text (tabs, newlines, backslashes,
\\N, \\.) intact; a refused row or an interrupt leaves the database as it
was; %config statement_timeout cancels a long statement with
OperationalError while an interrupt stays KeyboardInterrupt, and SQLite
refuses the option; `tabula-kernel install --database URL` writes the URL
into kernel.json and refuses one with a password.

It runs against the server TABULA_TEST_PG names, or else a throwaway
cluster (tests/pg/pgcluster.py).
"""

import csv
import json
import os
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402

BUILD = pgcluster.build_dir()
KERNEL = os.environ.get("TABULA_KERNEL") or os.path.join(
    BUILD, "kernel", "tabula-kernel")
RUN = os.environ.get("TABULA_RUN") or os.path.join(BUILD, "lang", "tabula-run")

# Every table created from now on gets a statement-level AFTER INSERT
# trigger that counts the INSERT and COPY statements run into it: a load
# through COPY counts 1 per table, a load of one INSERT per row counts
# one per row.
COUNTER = r"""
DROP EVENT TRIGGER IF EXISTS tq_io_count_tables;
DROP TABLE IF EXISTS tq_io_stmts;
CREATE TABLE tq_io_stmts (tbl text PRIMARY KEY, n integer NOT NULL);
CREATE OR REPLACE FUNCTION tq_io_count() RETURNS trigger AS $$
BEGIN
  INSERT INTO tq_io_stmts VALUES (TG_TABLE_NAME, 1)
    ON CONFLICT (tbl) DO UPDATE SET n = tq_io_stmts.n + 1;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION tq_io_add_counter() RETURNS event_trigger AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands()
           WHERE command_tag = 'CREATE TABLE' LOOP
    IF r.object_identity NOT LIKE '%tq_io_stmts' THEN
      EXECUTE format('CREATE TRIGGER tq_io_count AFTER INSERT ON %s '
                     'FOR EACH STATEMENT EXECUTE FUNCTION tq_io_count()',
                     r.object_identity);
    END IF;
  END LOOP;
END $$ LANGUAGE plpgsql;
CREATE EVENT TRIGGER tq_io_count_tables ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION tq_io_add_counter();
"""

UNCOUNTER = """
DROP EVENT TRIGGER IF EXISTS tq_io_count_tables;
DROP TABLE IF EXISTS tq_io_stmts;
"""

NASTY = [
    ["id", "txt", "x"],
    ["1", "tab\there", "1.5"],
    ["2", "new\nline", "0.1"],
    ["3", "back\\slash \\N \\. \\t", "3.14159265358979"],
    ["4", "\\.", ""],
    ["5", "", "2"],
    ["6", "Zoé \"q\" ,comma\r\ncrlf", "1e300"],
    ["7", "\\N", "-0.000123456789012345"],
]


def _psql(server, sql):
    """Runs sql on the test server with tabula-run (no psql needed)."""
    r = subprocess.run([RUN, server.url, "%%sql\n" + sql],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _kernel(tmp_path, env, name="tabula-pg-io", argv=None):
    from jupyter_client import KernelManager
    if not os.access(KERNEL, os.X_OK):
        pytest.skip("tabula-kernel is not built")
    if argv is None:
        spec = tmp_path / "kernels" / name
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [KERNEL, "-f", "{connection_file}"],
            "display_name": "Tabula (PostgreSQL I/O tests)",
            "language": "tabula", "interrupt_mode": "message"}))
        os.environ["JUPYTER_PATH"] = str(tmp_path)
    km = KernelManager(kernel_name=name)
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    return km, kc


def _run(kc, code, timeout=300, seen=None):
    """(status, text of the outputs) of one cell."""
    out = []

    def hook(m):
        out.append(m)
        if seen is not None:
            seen.append(m)
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook,
                                   allow_stdin=True)
    text = ""
    for m in out:
        c = m["content"]
        if m["msg_type"] == "execute_result":
            text += c["data"].get("text/plain", "")
        elif m["msg_type"] == "error":
            text += f"{c['ename']}: {c['evalue']}"
        elif m["msg_type"] == "stream":
            text += c["text"]
    return reply["content"]["status"], text


def _interrupting(km, first):
    """Interrupts the kernel `first` seconds from now and every second
    after while the cell runs (a loaded machine may start the cell late);
    call the result to stop."""
    done = threading.Event()

    def loop():
        if done.wait(first):
            return
        while True:
            km.interrupt_kernel()
            if done.wait(1.0):
                return
    threading.Thread(target=loop, daemon=True).start()
    return done.set


@pytest.fixture
def counted(server):
    """Statement counting on the server (needs a superuser)."""
    r = subprocess.run([RUN, server.url, "%%sql\n" + COUNTER],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "permission denied" in r.stdout + r.stderr:
        pytest.skip("event triggers need a superuser")
    assert r.returncode == 0, r.stdout + r.stderr
    yield
    _psql(server, UNCOUNTER)


AGGREGATES = [
    "%sql SELECT count(*) AS n, sum(total_fee) AS fees, min(start_time) AS "
    "first, max(end_time) AS last, sum(duration_minutes) AS minutes, "
    "sum(user_id * bike_id) AS mix FROM rental",
    "%sql SELECT count(*) AS n, sum(hourly_rate) AS rates, max(name) AS name "
    "FROM bike",
    "%sql SELECT count(*) AS n, max(name) AS name, max(email) AS email, "
    "max(joined) AS joined, sum(age) AS ages FROM \"user\"",
    "Rental.filter(start_time__year=2025).count()",
    "Rental.order_by('-total_fee').first().total_fee",
]


def test_demo_loads_through_copy(server, counted, tmp_path):
    """%demo bikes on PostgreSQL: one COPY per table, the same rows as on
    SQLite (the same seed), the progress bar shown and cleared."""
    env = dict(os.environ, TABULA_DATABASE=server.url,
               TABULA_HISTORY=str(tmp_path / "history.sqlite"))
    km, kc = _kernel(tmp_path, env)
    try:
        seen = []
        status, text = _run(kc, "%demo bikes --rentals 300000 --replace",
                            seen=seen)
        assert status == "ok", text
        assert "300,000 rentals" in text, text
        bars = [m for m in seen if m["msg_type"] in
                ("display_data", "update_display_data")]
        if bars:    # shown only past a second: a fast machine shows none
            assert "<progress" in json.dumps(bars[0]["content"]["data"])
            assert bars[-1]["content"]["data"] == {}
        status, text = _run(kc, "%sql SELECT tbl, n FROM tq_io_stmts "
                            "ORDER BY tbl")
        assert status == "ok", text
        counts = dict(line.split() for line in text.strip().splitlines()[1:])
        assert counts == {"bike": "1", "rental": "1", "user": "1"}, text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    r = subprocess.run([RUN, server.url] + AGGREGATES, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    on_pg = r.stdout
    lite = str(tmp_path / "demo.sqlite")
    r = subprocess.run([RUN, lite, "%demo bikes --rentals 300000"] +
                       AGGREGATES, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    first, on_sqlite = r.stdout.split("\n", 1)
    assert first.startswith("Created 200 users"), r.stdout
    assert on_pg == on_sqlite
    assert "300000" in on_pg, on_pg


def _nasty_csv(tmp_path):
    path = tmp_path / "nasty.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(NASTY)
    return path


def test_load_csv_through_copy_keeps_every_text(server, counted, tmp_path):
    """%load_csv: one COPY, every awkward text and float back exactly."""
    path = _nasty_csv(tmp_path)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"id,txt\n1,ok\n2,a\x00b\n")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"id,txt\n1,ok\n2,bad\xff\xfe\n3,fine\n")
    env = dict(os.environ, TABULA_DATABASE=server.url,
               TABULA_HISTORY=str(tmp_path / "history.sqlite"))
    km, kc = _kernel(tmp_path, env)
    try:
        status, text = _run(kc, f"%load_csv {path} tq_nasty --replace")
        assert status == "ok" and "Loaded 7 rows into tq_nasty" in text, text
        status, text = _run(kc, "print(repr([(r.id, r.txt, r.x) for r in "
                            "TqNasty.order_by('id')]))")
        assert status == "ok", text
        status, counts = _run(kc, "%sql SELECT n FROM tq_io_stmts WHERE "
                              "tbl = 'tq_nasty'")
        assert status == "ok" and counts.split() == ["n", "1"], counts
        # a NUL byte is refused before it reaches the server
        status, nul_text = _run(kc, f"%load_csv {nul} tq_nul")
        # a row the server refuses (not UTF-8) fails the whole load
        status2, bad_text = _run(kc, f"%load_csv {bad} tq_bad")
        # ... and the database is as it was
        status3, left = _run(kc, "%sql SELECT count(*) AS n FROM "
                             "pg_tables WHERE tablename IN ('tq_nul', "
                             "'tq_bad')")
        status4, kept = _run(kc, "TqNasty.count()")
        _run(kc, "%sql DROP TABLE tq_nasty")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    expected = []
    for row in NASTY[1:]:
        x = float(row[2]) if row[2] else None
        expected.append((int(row[0]), row[1] or None, x))
    assert text.strip() == repr(expected), text
    assert status == "error", nul_text
    assert nul_text == ("ValueError: Line 3: a text value holds a NUL byte "
                        "(\\0), which a database text cannot hold."), nul_text
    assert status2 == "error", bad_text
    assert bad_text.startswith('DatabaseError: invalid byte sequence for '
                               'encoding "UTF8": 0xff'), bad_text
    assert "(row 2 of the load)" in bad_text, bad_text
    assert status3 == "ok" and left.split() == ["n", "0"], left
    assert status4 == "ok" and kept.strip() == "7", kept


def test_interrupted_demo_leaves_nothing(server, tmp_path):
    """An interrupt in the middle of the COPY: KeyboardInterrupt, and the
    demo tables are not there."""
    _psql(server, 'DROP TABLE IF EXISTS rental, bike, "user"')
    env = dict(os.environ, TABULA_DATABASE=server.url,
               TABULA_HISTORY=str(tmp_path / "history.sqlite"))
    km, kc = _kernel(tmp_path, env)
    try:
        stop = _interrupting(km, 1.5)
        started = time.monotonic()
        status, text = _run(kc, "%demo bikes --rentals 5000000")
        took = time.monotonic() - started
        stop()
        assert status == "error", text
        assert text.startswith("KeyboardInterrupt"), text
        assert took < 30, took
        status, text = _run(kc, "%sql SELECT count(*) AS n FROM pg_tables "
                            "WHERE tablename IN ('user', 'bike', 'rental')")
        assert status == "ok" and text.split() == ["n", "0"], text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_statement_timeout(server, tmp_path):
    """%config statement_timeout: a statement past it is OperationalError
    (not an interrupt), it survives a failed cell, an interrupt is still
    KeyboardInterrupt, a bad value is the server's ValueError."""
    env = dict(os.environ, TABULA_DATABASE=server.url,
               TABULA_HISTORY=str(tmp_path / "history.sqlite"))
    km, kc = _kernel(tmp_path, env)
    try:
        assert _run(kc, "%config statement_timeout") == (
            "ok", "statement_timeout = 0\n")
        assert _run(kc, "%config statement_timeout = '300ms'")[0] == "ok"
        assert _run(kc, "%config statement_timeout") == (
            "ok", "statement_timeout = 300ms\n")
        started = time.monotonic()
        status, text = _run(kc, "%sql SELECT pg_sleep(5)")
        assert time.monotonic() - started < 4
        assert (status, text) == ("error", "OperationalError: canceling "
                                  "statement due to statement timeout"), text
        # a failed cell rolls its transaction back; the timeout stays
        status, text = _run(kc, "1/0")
        assert status == "error", text
        status, text = _run(kc, "%sql SELECT pg_sleep(5)")
        assert text == ("OperationalError: canceling statement due to "
                        "statement timeout"), text
        status, text = _run(kc, "%config statement_timeout = 'soon'")
        assert status == "error" and text.startswith(
            "ValueError: %config: statement_timeout = 'soon': invalid value "
            "for parameter \"statement_timeout\""), text
        assert _run(kc, "%config statement_timeout = '20s'")[0] == "ok"
        stop = _interrupting(km, 1.0)
        status, text = _run(kc, "%sql SELECT pg_sleep(10)")
        stop()
        assert status == "error" and text.startswith("KeyboardInterrupt"), \
            text
        assert _run(kc, "%config statement_timeout = None")[0] == "ok"
        assert _run(kc, "%config statement_timeout") == (
            "ok", "statement_timeout = 0\n")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    r = subprocess.run([RUN, ":memory:", "%config statement_timeout = '5s'"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert ("OperationalError: %config: the sqlite database has no statement "
            "timeout (statement_timeout is PostgreSQL's)") in r.stdout + \
        r.stderr


def test_install_database_url(server, tmp_path):
    """tabula-kernel install --database URL: kernel.json holds the URL and
    the kernel it starts queries the server; a URL or keyword string with
    a password is refused and nothing is written."""
    if not os.access(KERNEL, os.X_OK):
        pytest.skip("tabula-kernel is not built")
    prefix = tmp_path / "prefix"
    env = dict(os.environ, TABULA_KERNELSPEC_DIR=os.path.join(
        os.path.dirname(BUILD), "kernelspec"))
    env.pop("TABULA_DATABASE", None)
    r = subprocess.run([KERNEL, "install", "--prefix", str(prefix), "--name",
                        "tq-pg-url", "--database", server.url],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    spec = prefix / "share" / "jupyter" / "kernels" / "tq-pg-url"
    argv = json.loads((spec / "kernel.json").read_text())["argv"]
    assert argv[-2:] == ["--database", server.url], argv
    for secret in ("postgresql://tq_secret:S3cret-Pa55word@127.0.0.1/x",
                   "host=127.0.0.1 password=S3cret-Pa55word dbname=x"):
        r = subprocess.run([KERNEL, "install", "--prefix", str(prefix),
                            "--name", "tq-pg-secret", "--database", secret],
                           capture_output=True, text=True, env=env,
                           timeout=60)
        assert r.returncode == 2, r.stdout + r.stderr
        assert "~/.pgpass" in r.stderr and "PGPASSWORD" in r.stderr, r.stderr
        assert "S3cret" not in r.stdout + r.stderr
        assert not (prefix / "share" / "jupyter" / "kernels" /
                    "tq-pg-secret").exists()
    os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
    kenv = dict(os.environ, TABULA_HISTORY=str(tmp_path / "history.sqlite"))
    kenv.pop("TABULA_DATABASE", None)
    km, kc = _kernel(tmp_path, kenv, name="tq-pg-url", argv=argv)
    try:
        status, text = _run(kc, "%sql SELECT current_database() AS db, "
                            "current_user AS who")
        assert status == "ok", text
        assert text.split() == ["db", "who", "tabula", "tabula"], text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
