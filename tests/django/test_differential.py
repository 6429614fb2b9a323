"""Differential test: the same expression in the real Django ORM and in
Tabula (tabula-run with %django on the test project), compared by value
(ordered where the case says so, as a multiset otherwise), on a database
that Django's migrate created and whose rows its ORM wrote.

Adding a case is one line in CASES: C(topic, expression), with
ordered=True when order_by() fixes the order and write=True when it
changes the database (it then runs on a fresh copy on each side). Names
are Tabula's: BlogAuthor and ShopAuthor for the two Author models.

The cases of cases_queries.py (Django's query rules, expressions, value
checks and hints, written as data) run here too, under the rules of its
docstring: booleans as 0/1, instances as their primary key, an error
compared by its exception name. A case marked as a departure is listed
as expected-different (its id ends in "-departure") and must still
differ from Django, with the reference naming it.

Run: /usr/bin/python3 -m pytest tests/django -q
"""
import collections
import os

import pytest

import cases_queries
import djharness as h

C = collections.namedtuple("C", "topic expr ordered write")
C.__new__.__defaults__ = (False, False)

CASES = [
    # names: model classes, tables by db_table, ambiguous class names
    C("names", "OrderItem.objects.count()"),
    C("names", "Category.objects.values_list('name', flat=True)"),
    C("names", "BlogAuthor.objects.values_list('name', flat=True)"),
    C("names", "ShopAuthor.objects.values_list('name', flat=True)"),
    C("names", "Book.objects.values_list('name', 'isbn')"),
    C("names", "Tag.objects.filter(name='music').values_list('created', flat=True).count()"),
    # forward and reverse foreign keys, related_name, related_query_name
    C("relations", "Entry.objects.filter(blog__name='Beatles Blog').values_list('headline', flat=True)"),
    C("relations", "Blog.objects.filter(entry__rating__gte=5).distinct().values_list('name', flat=True)"),
    C("relations", "Entry.objects.filter(comments__text='Great').values_list('headline', flat=True)"),
    C("relations", "BlogAuthor.objects.filter(remark__text='Thanks').values_list('name', flat=True)"),
    C("relations", "Category.objects.filter(products__name='Abbey Road').values_list('name', flat=True)"),
    C("relations", "Customer.objects.filter(orders__placed__year=2024).distinct().values_list('name', flat=True)"),
    C("relations", "Order.objects.filter(items__quantity__gte=2).values_list('id', flat=True)"),
    C("relations", "Tag.objects.filter(children__name='rock').values_list('name', flat=True)"),
    C("relations", "Tag.objects.filter(parent__name='music').values_list('name', flat=True)"),
    C("relations", "Blog.objects.get(name='Beatles Blog').entry_set.count()"),
    C("relations", "Entry.objects.get(headline='Lennon speaks').comments.count()"),
    C("relations", "Customer.objects.get(name='Ann').orders.count()"),
    C("relations", "Product.objects.filter(book__isbn='9780261103344').values_list('name', flat=True)"),
    C("relations", "Book.objects.filter(category__name='Books').count()"),
    C("relations", "Entry.objects.order_by('blog__name', 'headline').values_list('headline', flat=True)", ordered=True),
    # many-to-many, both ways, auto join tables and through models
    C("m2m", "Entry.objects.filter(authors__name='John Lennon').values_list('headline', flat=True)"),
    C("m2m", "BlogAuthor.objects.filter(entry__headline='Together again').values_list('name', flat=True)"),
    C("m2m", "BlogAuthor.objects.filter(entry__blog__name='Cheddar Talk').distinct().values_list('name', flat=True)"),
    C("m2m", "Entry.objects.filter(authors__isnull=True).values_list('headline', flat=True)"),
    C("m2m", "BlogAuthor.objects.filter(entry__isnull=True).values_list('name', flat=True)"),
    C("m2m", "Entry.objects.filter(tags__name='music').values_list('headline', flat=True)"),
    C("m2m", "Tag.objects.filter(entries__authors__name='Joe').distinct().values_list('name', flat=True)"),
    C("m2m", "Entry.objects.get(headline='Together again').authors.values_list('name', flat=True)"),
    C("m2m", "BlogAuthor.objects.get(name='Paul McCartney').entry_set.values_list('headline', flat=True)"),
    C("m2m", "Entry.objects.get(headline='Charts').authors.count()"),
    C("m2m", "Order.objects.filter(products__name='Abbey Road').values_list('id', flat=True)"),
    C("m2m", "Product.objects.filter(orders__customer__name='Ann').distinct().values_list('name', flat=True)"),
    C("m2m", "Order.objects.get(id=1).products.values_list('name', flat=True)"),
    C("m2m", "Product.objects.get(name='Abbey Road').orders.count()"),
    C("m2m", "Entry.objects.filter(authors__name__startswith='P').order_by('-pub_date').values_list('headline', flat=True)", ordered=True),
    C("m2m", "BlogAuthor.objects.filter(entry__pub_date__year=2005).distinct().count()"),
    C("m2m", "Entry.objects.filter(authors__email__contains='beatles').distinct().values_list('headline', flat=True)"),
    # delete(): Django's collector (counts, cascade, protect, set null)
    C("delete", "Entry.objects.filter(pub_date__year=2005).delete()", write=True),
    C("delete", "Entry.objects.get(headline='Charts').delete()", write=True),
    C("delete", "Blog.objects.get(name='Beatles Blog').delete()", write=True),
    C("delete", "BlogAuthor.objects.get(name='Joe').delete()", write=True),
    C("delete", "BlogAuthor.objects.filter(name='Nobody').delete()", write=True),
    C("delete", "Entry.objects.filter(headline='no such entry').delete()", write=True),
    C("delete", "Customer.objects.get(name='Ann').delete()", write=True),
    C("delete", "Category.objects.get(name='Records').delete()", write=True),
    C("delete", "Category.objects.get(name='Empty').delete()", write=True),
    C("delete", "Tag.objects.get(name='music').delete()", write=True),
    C("delete", "Tag.objects.get(name='rock').delete()", write=True),
    C("delete", "Book.objects.get(isbn='9780261103344').delete()", write=True),
    C("delete", "Product.objects.get(name='Rubber Soul').delete()", write=True),
    C("delete", "ShopAuthor.objects.get(name='Tolkien').delete()", write=True),
    C("delete", "Order.objects.filter(customer__name='Bob').delete()", write=True),
    # proxy models: counted under the proxy's label
    C("delete", "PublishedEntry.objects.filter(headline='Charts').delete()", write=True),
    C("delete", "RecentEntry.objects.get(headline='Lennon speaks').delete()", write=True),
    C("delete", "Book.objects.get(name='Emma').delete()", write=True),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    if not h.django_available():
        pytest.skip("Django is not installed (apt-get install python3-django)")
    path = str(tmp_path_factory.mktemp("django") / "project.sqlite3")
    h.build_database(path)
    return path


@pytest.fixture(scope="module")
def ns(db):
    ns = h.setup_django(db)
    h.use_alias("default")
    return ns


@pytest.mark.parametrize("case", CASES,
                         ids=["%s-%d" % (c.topic, i) for i, c in enumerate(CASES)])
def test_same_answer(case, db, ns, tmp_path):
    want = h.django_eval(ns, case.expr, case.write)
    got = h.tabula_eval(db, case.expr, case.write, str(tmp_path))
    assert h.canon(got, case.ordered) == h.canon(want, case.ordered), case.expr


QUERY_CASES = cases_queries.CASES
REFERENCE = os.path.join(h.TOP, "lang", "doc", "reference.md")


@pytest.fixture(scope="module")
def query_ns(ns):
    return h.query_namespace(ns)


def query_answers(case, db, query_ns, tmp_path):
    topic, django, tabula, ordered, departure = case
    want = h.by_error_name(h.django_eval(query_ns, django, False, True))
    got = h.by_error_name(h.flatten(
        h.tabula_eval(db, tabula, False, str(tmp_path))))
    return h.canon(got, ordered), h.canon(want, ordered)


def departs(case, engine):
    """Whether the case is a deliberate departure on `engine`."""
    d = case[4]
    return bool(d) and (len(d) < 3 or d[2] == engine)


def check_query_rule(case, engine, db, query_ns, tmp_path):
    got, want = query_answers(case, db, query_ns, tmp_path)
    if not departs(case, engine):
        assert got == want, case[2]
    else:
        assert got != want, "departure no longer differs (%s): %s" % (
            case[4][0], case[2])


@pytest.mark.parametrize(
    "case", QUERY_CASES,
    ids=["q-%s-%d%s" % (c[0], i, "-departure" if departs(c, "sqlite")
                        else "")
         for i, c in enumerate(QUERY_CASES)])
def test_query_rules(case, db, query_ns, tmp_path):
    check_query_rule(case, "sqlite", db, query_ns, tmp_path)


def test_departures_are_in_the_reference():
    with open(REFERENCE, encoding="utf-8") as f:
        text = " ".join(f.read().split())
    for case in QUERY_CASES:
        if case[4]:
            assert " ".join(case[4][1].split()) in text, case[2]


def test_query_cases_cover_every_topic():
    topics = collections.Counter(c[0] for c in QUERY_CASES)
    assert len(QUERY_CASES) >= 200
    assert all(n >= 5 for n in topics.values()), topics
