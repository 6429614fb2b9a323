"""This file runs golden files (tests/golden) on PostgreSQL against the same
expected text as on SQLite: each file in a database of its own (CREATE
DATABASE through psql), with `tabula-run --golden --database URL`.

A cell marked `# engine: sqlite` (the comment line just before it) runs on
SQLite only, one marked `# engine: postgresql` on PostgreSQL only. The
engine-specific cells are few and of three kinds: the SQL that `.query`
shows, the setup DDL (SQLite's `INTEGER PRIMARY KEY` and an unquoted table
named user become identity columns and "user"), and %attach / VACUUM.

FULL lists the files that pass every cell on PostgreSQL; the test fails
when one of them fails a cell.
"""

import os
import re
import subprocess
import sys
import urllib.parse

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("TABULA_BUILD") or os.path.join(TOP, "build")
GOLDEN = os.path.join(TOP, "tests", "golden")

FULL = ["query_spec", "frame_cells", "frame_dates", "frame_display",
        "frame_keys", "frame_methods", "frame_session", "frame_truncated",
        "frame_update"]


@pytest.fixture(scope="module")
def server():
    with pgcluster.test_server() as pg:
        yield pg


def _psql(url, sql):
    psql = os.path.join(pgcluster.bindir(), "psql")
    subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                    sql], check=True, capture_output=True, text=True)


def _fresh_database(url, name):
    """The URL of a new empty database `name` on url's server."""
    _psql(url, f'DROP DATABASE IF EXISTS "{name}"')
    _psql(url, f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.mark.parametrize("name", FULL)
def test_golden_on_postgres(server, name):
    run = os.environ.get("TABULA_RUN") or os.path.join(BUILD, "lang",
                                                       "tabula-run")
    if not os.access(run, os.X_OK):
        pytest.skip("tabula-run is not built")
    dbname = "tq_golden_" + re.sub(r"\W", "_", name)
    db = _fresh_database(server.url, dbname)
    try:
        p = subprocess.run([run, "--golden", "--database", db,
                            os.path.join(GOLDEN, name + ".test")],
                           capture_output=True, text=True, timeout=300)
        failed = [l for l in p.stdout.splitlines() if l.startswith("not ok")]
        assert p.returncode == 0 and not failed, p.stdout + p.stderr
    finally:
        _psql(server.url, f'DROP DATABASE IF EXISTS "{dbname}"')
