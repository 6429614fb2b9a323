"""The second hardening pass (issue 14), the cases that need a kernel, a
file next to a database or bytes a golden file cannot hold:

- a WAL database opened read-only (kernel `--readonly` or `%connect
  --readonly`) leaves its directory exactly as it was: no -wal or -shm
  file appears, and the file's bytes stay the same;
- NUL bytes in text survive CSV output (to_csv of a query set and of a
  frame), the HTML and text displays of a table and the `%sql` display;
- `%config display.max_rows = 10000000000` then a query displays at most
  TQ_TABLE_ROW_CAP (10,000) rows instead of allocating for ten billion.

The golden side of the same pass is tests/golden/hard_second.test."""
import os
import sqlite3

import pytest

import hardlib
from hardlib import execute, ok


def make_wal_db(path):
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(
        "CREATE TABLE user(id INTEGER PRIMARY KEY, name TEXT, age INT);"
        "INSERT INTO user(name, age) VALUES ('Ann', 31), ('Bob', 25);")
    con.commit()
    con.close()


@pytest.mark.parametrize("how", ["--readonly", "%connect"])
def test_readonly_wal_leaves_no_file(spec, tmp_path, how):
    data = tmp_path / "data"
    data.mkdir()
    db = str(data / "wal.sqlite")
    make_wal_db(db)
    listing = sorted(os.listdir(data))
    assert listing == ["wal.sqlite"], listing
    before = hardlib.sha256(db)
    if how == "--readonly":
        km, kc = hardlib.start(extra=["--readonly", "--database", db])
    else:
        km, kc = hardlib.start()
        ok(kc, f"%connect {db} --readonly")
    try:
        assert ok(kc, "User.objects.count()") == "2"
        assert "Bob" in ok(kc, "%sql SELECT name FROM user ORDER BY age")
        assert ok(kc, "db.main.user.filter(age__gt=30).count()") == "1"
        content, _ = execute(kc, "User.objects.create(name='x', age=1)")
        assert content["ename"] == "ReadOnlyError", content
        assert sorted(os.listdir(data)) == listing, "a file appeared"
    finally:
        hardlib.stop(km, kc)
    assert sorted(os.listdir(data)) == listing, "files stayed after exit"
    assert hardlib.sha256(db) == before


def test_readonly_wal_with_a_writer_sees_its_rows(spec, tmp_path):
    """A WAL database that a writer has open (its -wal file exists) is
    opened as it is: the rows only the -wal file holds are read."""
    db = str(tmp_path / "live.sqlite")
    make_wal_db(db)
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("INSERT INTO user(name, age) VALUES ('Cy', 40)")
    writer.commit()
    assert os.path.exists(db + "-wal")
    km, kc = hardlib.start(extra=["--readonly", "--database", db])
    try:
        assert ok(kc, "User.objects.count()") == "3"
    finally:
        hardlib.stop(km, kc)
        writer.close()


NUL_SETUP = ("%sql CREATE TABLE note(id INTEGER PRIMARY KEY, body TEXT)\n"
             "%sql INSERT INTO note(body) VALUES ('a' || char(0) || 'b')")


def test_nul_bytes_kept_in_csv_and_displays(kernel, tmp_path):
    km, kc = kernel
    ok(kc, NUL_SETUP)
    assert ok(kc, "len(Note[1, 'body'])") == "3"
    qs_csv = str(tmp_path / "qs.csv")
    df_csv = str(tmp_path / "df.csv")
    ok(kc, f"Note.objects.to_csv({qs_csv!r})")
    ok(kc, f"Note[:, 'body'].dataframe().to_csv({df_csv!r})")
    with open(qs_csv, "rb") as f:
        assert b"a\0b" in f.read()
    with open(df_csv, "rb") as f:
        assert b"a\0b" in f.read()
    for cell in ("%sql SELECT body FROM note",
                 "Note[:, ['id', 'body']].dataframe()",
                 "Note.objects.values('body')"):
        content, iopub = execute(kc, cell)
        assert content["status"] == "ok", (cell, content)
        data = [m["content"]["data"] for m in iopub
                if m["msg_type"] == "execute_result"][0]
        assert "a\0b" in data["text/html"], (cell, data["text/html"])
        # a query set's text/plain is its repr, Python's 'a\x00b'
        plain = "a\\x00b" if cell.startswith("Note.objects") else "a\0b"
        assert plain in data["text/plain"], (cell, data["text/plain"])


def test_max_rows_past_the_cap(kernel):
    km, kc = kernel
    ok(kc, "%sql CREATE TABLE big AS WITH RECURSIVE c(i) AS (SELECT 1 "
           "UNION ALL SELECT i + 1 FROM c WHERE i < 20000) SELECT i FROM c")
    ok(kc, "%config display.max_rows = 10000000000")
    for cell in ("%sql SELECT * FROM big", "db.big.all()",
                 "db.big.all().dataframe()"):
        content, iopub = execute(kc, cell)
        assert content["status"] == "ok", (cell, content)
        data = [m["content"]["data"] for m in iopub
                if m["msg_type"] == "execute_result"][0]
        assert "shows at most 10000 rows" in data["text/html"], cell
        if cell != "db.big.all()":     # a query set's text is its repr
            assert "shows at most 10000 rows" in data["text/plain"], cell
        assert len(data["text/html"]) < 2_000_000, cell
