"""The differential test on PostgreSQL: every case of test_differential.py
(CASES, and the query cases of cases_queries.py) once more, on a database
that Django's migrate created in a throwaway cluster (tests/pg/pgcluster.py,
or the server TABULA_TEST_PG names) with rows its ORM wrote, Tabula
connected to the same database by URL. The comparison rules are the
SQLite run's; a departure must differ from Django here too, unless the
case names SQLite as its only engine (a third item of its departure).

Run: /usr/bin/python3 -m pytest tests/django -q -k pg
"""
import os
import sys

import pytest

import djharness as h
import test_differential as sq

sys.path.insert(0, os.path.join(h.TOP, "tests", "pg"))
import pgcluster  # noqa: E402

@pytest.fixture(scope="module")
def server():
    if not h.django_available():
        pytest.skip("Django is not installed (apt-get install python3-django)")
    if not h.psycopg2_available():
        pytest.skip("psycopg2 is not installed (apt-get install "
                    "python3-psycopg2)")
    try:
        with pgcluster.test_server() as pg:
            yield pg
    except RuntimeError as e:
        pytest.skip("no PostgreSQL cluster: %s" % e)


@pytest.fixture(scope="module")
def db(server):
    return h.build_postgres(server.url)


@pytest.fixture(scope="module")
def ns(db, tmp_path_factory):
    ns = h.setup_django(str(tmp_path_factory.mktemp("unused") / "x.sqlite3"))
    h.use_alias("pg", db)
    yield ns
    h.use_alias("default")


@pytest.fixture(scope="module")
def query_ns(ns):
    return h.query_namespace(ns)


@pytest.mark.parametrize("case", sq.CASES,
                         ids=["pg-%s-%d" % (c.topic, i)
                              for i, c in enumerate(sq.CASES)])
def test_same_answer_pg(case, db, ns, tmp_path):
    want = h.django_eval(ns, case.expr, case.write)
    got = h.tabula_eval(db, case.expr, case.write, str(tmp_path))
    assert h.canon(got, case.ordered) == h.canon(want, case.ordered), case.expr


@pytest.mark.parametrize(
    "case", sq.QUERY_CASES,
    ids=["pg-q-%s-%d%s" % (c[0], i, "-departure"
                           if sq.departs(c, "postgresql") else "")
         for i, c in enumerate(sq.QUERY_CASES)])
def test_query_rules_pg(case, db, query_ns, tmp_path):
    sq.check_query_rule(case, "postgresql", db, query_ns, tmp_path)
