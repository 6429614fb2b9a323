"""Fixtures for the PostgreSQL suite: `server`, one PostgreSQL server per
test module: the one TABULA_TEST_PG names, or else a throwaway cluster
(pgcluster.py) stopped and removed when the module's tests are done."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with pgcluster.test_server() as pg:
        yield pg
