"""This file runs golden files (tests/golden) on PostgreSQL against the same
expected text as on SQLite: each file in a database of its own (CREATE
DATABASE through psql), with `tabula-run --golden --database URL`.

A cell marked `# engine: sqlite` (the comment line just before it) runs on
SQLite only, one marked `# engine: postgresql` on PostgreSQL only. The
engine-specific cells are few and of these kinds: the SQL that `.query`
and `.explain()` show; the setup DDL (SQLite's `INTEGER PRIMARY KEY` and
an unquoted table named user become identity columns and "user", with the
identity restarted past the rows inserted with their own ids; %attach
becomes CREATE SCHEMA); the engine's catalogue where a cell reads it
(pragma_table_info and sqlite_schema against pg_catalog and
information_schema, and the type names `Table?` shows); the engine's own
SQL errors and settings (a syntax error's text, PRAGMA against SET); the
row id of a table without a primary key (SQLite's rowid; PostgreSQL has
none, so saving or deleting one object of it refuses and its frame is
indexed by position); and %attach / VACUUM, each refused on PostgreSQL with its error.

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
from pgcluster import psql  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = pgcluster.build_dir()
GOLDEN = os.path.join(TOP, "tests", "golden")

FULL = [
    "core_arith",
    "core_assign",
    "core_containers",
    "core_control",
    "core_errors",
    "core_functions",
    "core_habits",
    "core_integrity",
    "core_literals",
    "core_magics",
    "core_more",
    "core_nul",
    "core_print",
    "core_readonly",
    "core_rollback",
    "core_sql",
    "core_strings",
    "core_syntax",
    "dates",
    "django_expr",
    "django_rules",
    "frame_cells",
    "frame_dates",
    "frame_display",
    "frame_keys",
    "frame_methods",
    "frame_ops",
    "frame_memory",
    "frame_session",
    "frame_spec",
    "frame_truncated",
    "frame_update",
    "hard_limits",
    "hard_second",
    "index_assign",
    "index_spec",
    "model_alter",
    "model_inherit",
    "model_objects",
    "model_polymorphic",
    "model_soft_delete",
    "model_spec",
    "model_status",
    "model_timeframed",
    "model_timestamped",
    "query_combine",
    "query_fq",
    "query_inlist",
    "query_lookups",
    "query_methods",
    "query_models",
    "query_relations",
    "query_rewrite",
    "query_spec",
]


def _fresh_database(url, name):
    """The URL of a new empty database `name` on url's server."""
    psql(url, f'DROP DATABASE IF EXISTS "{name}"')
    psql(url, f'CREATE DATABASE "{name}"')
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
        psql(server.url, f'DROP DATABASE IF EXISTS "{dbname}"')
