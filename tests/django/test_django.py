"""Tabula on the test project beyond the differential cases: what
%django says it skipped, the names a Django database gets without a
project (join tables as many-to-many, an ambiguous class name as a
NameError listing the bound names), object accessors, and
`tabula-kernel install --django` carrying the project in the kernelspec,
and the errors of the Django 4 and window-frame arguments that Django 3.2
(the differential test's) cannot be compared with.

Run: /usr/bin/python3 -m pytest tests/django -q
"""
import json
import os
import subprocess

import pytest

import djharness as h


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    if not h.django_available():
        pytest.skip("Django is not installed (apt-get install python3-django)")
    path = str(tmp_path_factory.mktemp("django") / "project.sqlite3")
    h.build_database(path)
    return path


def run(db, *cells, env=None):
    p = subprocess.run([h.tabula_run(), db, *cells], capture_output=True,
                       text=True, timeout=60, env=env)
    return p.stdout + p.stderr


def test_notes_name_each_skipped_construct(db):
    out = run(db, "%django " + h.PROJECT)
    assert out.startswith("Django project %s: 2 apps (blog, shop), "
                          "12 models, 2 proxies and 1 abstract\n" % h.PROJECT)
    for note in ("blog/models.py:4: skipped import datetime",
                 "skipped manager class PublishedManager (not a model)",
                 "skipped custom field class UpperField (not a model)",
                 "skipped method Blog.__str__",
                 "skipped manager Entry.published (PublishedManager)",
                 "skipped method Entry.was_recent (@property)",
                 "custom field UpperField Entry.code read as a plain column"):
        assert "note: " in out and note in out, note
    assert "Traceback" not in out
    # a module constant (choices) is read, not skipped
    assert "CITIES" not in out


def test_without_project_join_tables_are_many_to_many(db):
    out = run(db, "print(Entry.filter(authors__name='John Lennon').count())",
              "print(BlogAuthor.filter(entry__headline='Together again').count())",
              "print(Entry.get(headline='Together again').authors.count())",
              "print(BlogAuthor.get(name='Joe').entry_set.count())",
              "print(Tag.filter(entries__headline='Charts').count())")
    assert out.split() == ["2", "2", "2", "2", "0"]


def test_without_project_ambiguous_name(db):
    out = run(db, "Author")
    assert ("NameError: name 'Author' is not defined: 2 models have that "
            "name, bound as BlogAuthor (blog.Author), ShopAuthor "
            "(shop.Author)") in out


def test_without_project_delete_keeps_database_rules(db, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(open(db, "rb").read())
    # the join rows go (Django always cascades them); comments reference
    # the entry with no ON DELETE, so the database refuses
    out = run(str(copy), "Entry.get(headline='Charts').delete()")
    assert "(1, {'blog.Entry': 1})" in out
    out = run(str(copy), "Entry.get(headline='Lennon speaks').delete()")
    assert "IntegrityError" in out


def test_names_with_project(db):
    out = run(db, "%django " + h.PROJECT, "print(OrderItem.count())",
              "print(Category.count())",
              "print(Customer.get(name='Ann').orders.count())",
              "print(Entry.get(headline='Lennon speaks').comments.count())",
              "u = BlogAuthor.get(name='Joe'); print(u.entry.count())")
    lines = [ln for ln in out.splitlines() if not ln.startswith(("Django", "note"))]
    assert lines == ["4", "3", "2", "2", "2"]


def test_environment_variable_loads_project(db):
    env = dict(os.environ, TABULA_DJANGO=h.PROJECT)
    out = run(db, "print(Customer.get(name='Ann').orders.count())", env=env)
    assert out.strip() == "2"


def test_install_carries_django(tmp_path):
    kernel = os.environ.get("TABULA_KERNEL") or os.path.join(
        os.path.dirname(os.path.dirname(h.tabula_run())), "kernel",
        "tabula-kernel")
    if not os.path.exists(kernel):
        pytest.skip("no tabula-kernel built")
    p = subprocess.run([kernel, "install", "--prefix", str(tmp_path),
                        "--django", h.PROJECT], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    spec = json.load(open(tmp_path / "share/jupyter/kernels/tabula/kernel.json"))
    i = spec["argv"].index("--django")
    assert spec["argv"][i + 1] == h.PROJECT


def test_argument_errors(db):
    def err(cell):
        out = run(db, "%django " + h.PROJECT, cell)
        return [ln for ln in out.splitlines() if "Error" in ln][-1]
    assert err("Entry.aggregate(Count('id', default=0))") == \
        "TypeError: Count does not allow default."
    assert err("RowRange(start=2)") == (
        "ValueError: start argument must be a negative integer, zero, or "
        "None, but got '2'.")
    assert err("ValueRange(end=-1)") == (
        "ValueError: end argument must be a positive integer, zero, or "
        "None, but got '-1'.")
    assert err("Entry.annotate(n=Window(RowNumber(), frame=Q(rating=1)))") \
        == "TypeError: Window(frame=) takes RowRange() or ValueRange()"
    assert err("Entry.filter(rating=RowRange(-1, 0)).count()") == \
        "TypeError: RowRange() is only valid as Window(frame=...)"
    assert err("Entry.get(pk=1).get_body_text_display()") .startswith(
        "AttributeError:")
