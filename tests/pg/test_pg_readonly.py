"""This file checks a read-only PostgreSQL session (--readonly) through
tabula-run: tests/pg/readonly_frames.test runs against a database seeded
here (the table "user" and a function evil() that updates it), then the
table is checked unchanged from outside.

Frames live in TEMP tables, which a READ ONLY transaction may not create;
the engine keeps the cell transaction read-write and runs every read with
transaction_read_only set in its statement savepoint (lang/db/postgres.c,
"read-only sessions").
"""

import os
import subprocess
import sys
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402
from pgcluster import psql  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BUILD = pgcluster.build_dir()

SEED = [
    'CREATE TABLE "user" (id integer PRIMARY KEY, name text NOT NULL, '
    'age integer NOT NULL)',
    "INSERT INTO \"user\" VALUES (1, 'John Lennon', 25), "
    "(2, 'Paul McCartney', 26), (3, 'George Harrison', 22)",
    "CREATE FUNCTION evil() RETURNS integer LANGUAGE sql AS "
    "$$ UPDATE \"user\" SET age = 0 RETURNING 1 $$",
]


def test_frames_in_a_readonly_session(server):
    run = os.environ.get("TABULA_RUN") or os.path.join(BUILD, "lang",
                                                       "tabula-run")
    if not os.access(run, os.X_OK):
        pytest.skip("tabula-run is not built")
    psql(server.url, 'DROP DATABASE IF EXISTS "tq_readonly"',
          'CREATE DATABASE "tq_readonly"')
    parts = urllib.parse.urlsplit(server.url)
    db = urllib.parse.urlunsplit(parts._replace(path="/tq_readonly"))
    try:
        psql(db, *SEED)
        p = subprocess.run([run, "--golden", "--database", db,
                            os.path.join(HERE, "readonly_frames.test")],
                           capture_output=True, text=True, timeout=300)
        failed = [l for l in p.stdout.splitlines() if l.startswith("not ok")]
        assert p.returncode == 0 and not failed, p.stdout + p.stderr
        assert psql(db, 'SELECT id, name, age FROM "user" ORDER BY id') == (
            "1|John Lennon|25\n2|Paul McCartney|26\n3|George Harrison|22\n")
        assert psql(db, "SELECT count(*) FROM pg_class WHERE relname = "
                     "'other'") == "0\n"
    finally:
        psql(server.url, 'DROP DATABASE IF EXISTS "tq_readonly"')
