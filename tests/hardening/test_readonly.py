"""Read-only: every write form of the language, the SQL magics and the
data magics is refused on a read-only database (kernel started with
`--readonly --database FILE`, or `%connect FILE --readonly`), with
ReadOnlyError (or another clear error that says read-only), and the file's
bytes stay exactly the same (sha256 before and after)."""
import os
import sqlite3

import pytest

import hardlib
from hardlib import execute, ok

SETUP = """
CREATE TABLE user(id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER);
INSERT INTO user VALUES (1, 'John Lennon', 25), (2, 'Paul McCartney', 26),
                        (3, 'George Harrison', 22), (4, 'Ringo Star', 29);
CREATE TABLE club(id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO club VALUES (1, 'Cavern');
CREATE INDEX user_age ON user(age);
"""

WRITES = [
    # fancy-index assignment (Boogie)
    "User[1, 'name'] = 'x'",
    "User.objects[1, ['name', 'age']] = 'x', 3",
    "User[:, 'age'] = 0",
    "User[F.age < 25, 'name'] = 'y'",
    "User[Q(age__lt=25), 'age'] = 1",
    "User[[1, 2], 'age'] = 5",
    "User[User.filter(age=25), ['name', 'age']] = 'z', 1",
    # query-set and manager writes (Django)
    "User.objects.update(age=1)",
    "User.filter(age__lt=30).update(age=F.age + 1)",
    "User.objects.delete()",
    "User.filter(pk=1).delete()",
    "User.objects.create(name='n', age=1)",
    "User.create(name='n', age=1)",
    "User.objects.bulk_create([User.new(name='a', age=1), User.new(name='b', age=2)])",
    "User.objects.get_or_create(name='New Person', age=1)",
    "User.objects.update_or_create(name='John Lennon', defaults={'age': 3})",
    "db.main.user.filter(id=2).update(name='q')",
    "db.user.create(name='d', age=4)",
    # objects
    "u = User[1, :]\nu.age = 99\nu.save()",
    "u = User[2, :]\nu.delete()",
    "User.new(name='z', age=3).save()",
    "for u in User.objects:\n    u.age = 1\n    u.save()",
    # frames
    "df = User[:, 'age'].dataframe()\ndf['age'] += 1\nUser.update_from_dataframe(df)",
    # functions and methods that write
    "def f():\n    User.objects.create(name='f', age=1)\nf()",
    "@manager_method(User)\ndef make(self):\n    return self.create(name='m', age=1)\nUser.make()",
    # class declarations: a new table, a new column
    "class Book(Model):\n    title = CharField(max_length=10)",
    "class User(Model):\n    name = CharField(max_length=100)\n"
    "    age = IntegerField()\n    email = CharField(max_length=50, null=True)",
    # SQL
    "%sql INSERT INTO user(name, age) VALUES ('a', 1)",
    "%sql UPDATE user SET age = 0",
    "%sql DELETE FROM user",
    "%sql REPLACE INTO user VALUES (1, 'r', 1)",
    "%sql INSERT OR IGNORE INTO club(name) VALUES ('x')",
    "%sql WITH w AS (SELECT 1) INSERT INTO club(name) SELECT 'w' FROM w",
    "%sql DROP TABLE club",
    "%sql CREATE TABLE t2(a)",
    "%sql CREATE INDEX ix ON user(age)",
    "%sql CREATE VIEW v AS SELECT 1",
    "%sql CREATE TRIGGER tr AFTER INSERT ON club BEGIN DELETE FROM user; END",
    "%sql ALTER TABLE user ADD COLUMN z INTEGER",
    "%sql ALTER TABLE club RENAME TO clubs",
    "%sql VACUUM",
    "%sql VACUUM INTO '{tmp}/vacuum-copy.sqlite'",
    "%sql REINDEX",
    "%sql ANALYZE",
    "%sql PRAGMA user_version = 7",
    "%sql PRAGMA application_id = 42",
    "%sql PRAGMA journal_mode = WAL",
    "%%sql\nPRAGMA writable_schema = ON;\n"
    "UPDATE sqlite_master SET sql = 'CREATE TABLE club(x)' WHERE name = 'club'",
    "%%sql\nPRAGMA query_only = 0;\nINSERT INTO club(name) VALUES ('q')",
    "%%sql\nBEGIN;\nINSERT INTO club(name) VALUES ('b');\nCOMMIT",
    "%%sql\nDELETE FROM club",
    "%sql ATTACH DATABASE '{tmp}/attached.sqlite' AS other",
    "%attach {tmp}/attached2.sqlite as other2",
    # an existing file attached to a read-only connection is read-only too
    "%attach {tmp}/existing.sqlite as ext\n%sql INSERT INTO ext.t VALUES (2)",
    "%sql ATTACH DATABASE '{tmp}/existing.sqlite' AS ext2\n"
    "%sql DELETE FROM ext2.t",
    # URI filenames asking for a writable mode
    "%sql ATTACH DATABASE 'file:{tmp}/uri.sqlite?mode=rwc' AS u",
    "%sql ATTACH DATABASE 'file:{tmp}/existing.sqlite?mode=rw' AS u2\n"
    "%sql INSERT INTO u2.t VALUES (3)",
    # data magics
    "%load_csv {tmp}/people.csv people",
    "%load_csv {tmp}/people.csv user --replace",
    "%demo bikes --rentals 10",
    "%demo bikes --replace",
]

# Statements that SQLite refuses before it gets to the read-only check,
# because every cell runs inside a transaction, or because ATTACH cannot
# create a file on a read-only connection. They are refused (the file is
# unchanged) but the message does not say "read-only"; ReadOnlyError would
# be better and is accepted too.
OTHER_REFUSALS = {
    "%sql PRAGMA journal_mode = WAL": "within a transaction",
    "%%sql\nBEGIN;": "a cell runs in one transaction of its own",
    "%sql ATTACH DATABASE '{tmp}/attached.sqlite'": "unable to open",
    "%attach {tmp}/attached2.sqlite": "unable to open",
    "%sql ATTACH DATABASE 'file:": "access mode not allowed",
}


def make_db(path):
    con = sqlite3.connect(path)
    con.executescript(SETUP)
    con.commit()
    con.close()


def files_in(d):
    return sorted(os.listdir(d))


@pytest.fixture(params=["--readonly", "%connect"])
def readonly_kernel(request, spec, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    db = str(data / "ro.sqlite")
    make_db(db)
    (tmp_path / "people.csv").write_text("name,age\nAnn,30\nBob,40\n")
    existing = str(tmp_path / "existing.sqlite")
    con = sqlite3.connect(existing)
    con.executescript("CREATE TABLE t(a); INSERT INTO t VALUES (1);")
    con.close()
    before_existing = hardlib.sha256(existing)
    before = hardlib.sha256(db)
    listing = files_in(data)
    km, kc = hardlib.start_readonly(request.param, db)
    yield km, kc, db, str(tmp_path)
    hardlib.stop(km, kc)
    assert hardlib.sha256(db) == before, "the read-only file changed"
    assert hardlib.sha256(existing) == before_existing, \
        "a file attached to the read-only connection changed"
    assert files_in(data) == listing, "files appeared next to the database"


def test_every_write_refused(readonly_kernel):
    km, kc, db, tmp = readonly_kernel
    assert len(WRITES) >= 40
    assert ok(kc, "User.objects.count()") == "4"
    not_refused, unclear, names = [], [], {}
    for template in WRITES:
        cell = template.replace("{tmp}", tmp)
        refused = hardlib.try_write(kc, cell, names)
        if refused is None:
            not_refused.append(cell)
            continue
        ename, evalue, as_readonly = refused
        if as_readonly:
            continue
        other = [v for k, v in OTHER_REFUSALS.items() if template.startswith(k)]
        if other and other[0] in evalue:
            print(f"  refused, not as read-only: {cell!r}: {ename}: {evalue}")
            continue
        unclear.append(f"{cell!r}: {ename}: {evalue}")
    hardlib.report_writes("", len(WRITES), names, not_refused, unclear)
    # the data and the schema are untouched, and reads still work
    assert ok(kc, "User.objects.count()") == "4"
    assert ok(kc, "User[1, 'name']") == "'John Lennon'"
    assert ok(kc, "%sql PRAGMA user_version").find("7") < 0
    # no attached files were created
    assert not os.path.exists(os.path.join(tmp, "attached.sqlite"))
    assert not os.path.exists(os.path.join(tmp, "attached2.sqlite"))
    assert not os.path.exists(os.path.join(tmp, "uri.sqlite"))
    assert not os.path.exists(os.path.join(tmp, "vacuum-copy.sqlite"))


def test_reads_still_work(readonly_kernel):
    km, kc, db, tmp = readonly_kernel
    assert ok(kc, "User.filter(age__gt=25).count()") == "2"
    assert "Ringo" in ok(kc, "User[:, 'name']")
    content, _ = execute(kc, "%sql SELECT name FROM user ORDER BY age")
    assert content["status"] == "ok"


def test_dataframe_on_readonly(readonly_kernel):
    """Reading a query set into a frame is a read: frames live in the
    TEMP schema, which a read-only main database does not forbid (but
    PRAGMA query_only does)."""
    km, kc, db, tmp = readonly_kernel
    content, _ = execute(kc, "User[:, ['name', 'age']].dataframe()")
    assert content["status"] == "ok", content


def test_connect_from_readonly_kernel_stays_readonly(spec, tmp_path):
    """A kernel started with --readonly stays read-only when the user
    connects to another file with a plain %connect."""
    db = str(tmp_path / "a.sqlite")
    other = str(tmp_path / "b.sqlite")
    make_db(db)
    make_db(other)
    before = hardlib.sha256(other)
    km, kc = hardlib.start(extra=["--readonly", "--database", db])
    try:
        ok(kc, f"%connect {other}")
        for cell in ("%sql INSERT INTO club(name) VALUES ('x')",
                     "User[1, 'age'] = 0", "%connect " + str(tmp_path / "new.sqlite")
                     + " --create"):
            content, _ = execute(kc, cell)
            assert content["status"] == "error", cell
    finally:
        hardlib.stop(km, kc)
    assert hardlib.sha256(other) == before
    assert not os.path.exists(tmp_path / "new.sqlite")
