"""Data integrity: writers of other files never land on an open database
file (to_csv over the database truncated it, or replaced it with CSV in a
read-only session), %sql ATTACH binds the attached tables' names, and
%connect after a write in the same cell is refused with the write rolled
back (it committed the write before). Reproducers of the hardening review;
see also tests/golden/core_integrity.test."""
import os
import sqlite3

import pytest

import hardlib
from hardlib import execute, ok


def make_db(path):
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE user(id INTEGER PRIMARY KEY, name TEXT, age INTEGER);"
        "INSERT INTO user(name, age) VALUES ('Ann', 30), ('Bob', 40);")
    con.commit()
    con.close()


@pytest.mark.parametrize("readonly", [True, False], ids=["readonly", "readwrite"])
def test_to_csv_never_over_an_open_database(spec, tmp_path, readonly):
    db = str(tmp_path / "data.sqlite")
    make_db(db)
    before = hardlib.sha256(db)
    extra = ["--database", db] + (["--readonly"] if readonly else [])
    km, kc = hardlib.start(extra=extra)
    try:
        for cell in (f"User.objects.to_csv({db!r})",
                     f"df = User[:, ['name']].dataframe()\ndf.to_csv({db!r})"):
            content, _ = execute(kc, cell)
            assert content["status"] == "error", cell
            assert "database file" in content["evalue"], content["evalue"]
        # other paths are written as before
        out = str(tmp_path / "out.csv")
        content, _ = execute(kc, f"User.objects.to_csv({out!r})")
        assert content["status"] == "ok", content
        assert open(out).read().startswith("id,name,age")
        assert ok(kc, "User.count()") == "2"
    finally:
        hardlib.stop(km, kc)
    assert hardlib.sha256(db) == before


def test_sql_attach_binds_names_and_detach_unbinds(kernel, tmp_path):
    km, kc = kernel
    other = str(tmp_path / "other.sqlite")
    make_db(other)
    ok(kc, f"%sql ATTACH '{other}' AS side")
    assert ok(kc, "db.side.user.count()") == "2"
    ok(kc, "%sql DETACH side")
    content, _ = execute(kc, "db.side")
    assert content["status"] == "error"


def test_connect_after_a_write_is_refused(spec, tmp_path):
    db = str(tmp_path / "data.sqlite")
    other = str(tmp_path / "other.sqlite")
    make_db(db)
    make_db(other)
    km, kc = hardlib.start(extra=["--database", db])
    try:
        content, _ = execute(kc, f"User.create(name='Cy', age=1)\n"
                                 f"%connect {other}\n1 / 0")
        assert content["status"] == "error"
        assert "%connect cannot follow changes" in content["evalue"]
        assert ok(kc, "User.count()") == "2"
    finally:
        hardlib.stop(km, kc)
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM user").fetchone()[0] == 2
