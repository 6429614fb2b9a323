"""This file is the differential harness's machinery: it builds the test
project's database with Django's own migrate and ORM (project/seed.py),
evaluates one expression in the real Django ORM and the same text in
Tabula (tabula-run with %django), and turns both answers into comparable
Python values.

Both sides see the models under the names Tabula binds: the class name,
or the app label in CamelCase plus the class name when two apps share it
(BlogAuthor, ShopAuthor). So a case is one expression, written once.

Values: query sets become lists, Decimal becomes float, dates and
datetimes ISO text; an exception becomes ("error", ename, message).
Writes (delete()) run on a fresh copy of the database on both sides.

PostgreSQL (use_postgres): seed.py builds a template database in a
throwaway cluster; the cases read a copy of it, which Django reaches
through its `pg` alias (mysite.router sends every query there) and
Tabula through its URL, and a write runs on a fresh copy made from the
template on Tabula's side (rolled back on Django's).
"""
import ast
import datetime
import decimal
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(HERE, "project")
TOP = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"


def tabula_run():
    exe = os.environ.get("TABULA_RUN") or os.path.join(
        os.environ.get("TABULA_BUILD", os.path.join(TOP, "build")),
        "lang", "tabula-run")
    return exe


def django_available():
    try:
        import django  # noqa: F401
        return True
    except ImportError:
        return False


def build_database(path):
    """Runs migrate and seed.py into `path` (replaced; a file, or a
    postgresql:// URL) in a child Python."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    subprocess.run([PY, os.path.join(PROJECT, "seed.py"), path], check=True,
                   cwd=PROJECT, capture_output=True, timeout=300, env=env)


def psycopg2_available():
    try:
        import psycopg2  # noqa: F401
        return True
    except ImportError:
        return False


def _pg_admin(server_url, sql):
    """Runs `sql` (autocommit) on the server's own database."""
    import psycopg2
    c = psycopg2.connect(server_url)
    try:
        c.autocommit = True
        with c.cursor() as cur:
            cur.execute(sql)
    finally:
        c.close()


def _pg_url(server_url, name):
    return server_url.rsplit("/", 1)[0] + "/" + name


_pg = {}


def build_postgres(server_url):
    """Builds the template database `tq_django_seed` on the server with
    migrate and seed.py, and the copy `tq_django` that the cases read.
    Returns the copy's URL."""
    for name in ("tq_django", "tq_django_seed"):
        _pg_admin(server_url, "DROP DATABASE IF EXISTS %s" % name)
    _pg_admin(server_url, "CREATE DATABASE tq_django_seed")
    build_database(_pg_url(server_url, "tq_django_seed"))
    _pg_admin(server_url, "CREATE DATABASE tq_django TEMPLATE tq_django_seed")
    _pg.update(server=server_url, n=0)
    return _pg_url(server_url, "tq_django")


def use_alias(alias, url=None):
    """Sends the project's queries to `alias` ('default' or 'pg'); for
    'pg', first points the alias at `url` (before its first use)."""
    from django.db import connections
    from mysite import router
    if url:
        from urllib.parse import urlparse
        u = urlparse(url)
        connections.databases["pg"].update(
            NAME=u.path.lstrip("/"), USER=u.username or "",
            HOST=u.hostname or "", PORT=str(u.port or ""))
    router.ALIAS = alias


def _fresh_copy(db, tmpdir):
    """A copy of `db` that a write may change."""
    if not db.startswith("postgresql://"):
        copy = os.path.join(tmpdir, "write.sqlite3")
        shutil.copyfile(db, copy)
        return copy
    _pg["n"] += 1
    name = "tq_django_w%d" % _pg["n"]
    _pg_admin(_pg["server"], "DROP DATABASE IF EXISTS %s" % name)
    _pg_admin(_pg["server"], "CREATE DATABASE %s TEMPLATE tq_django_seed"
              % name)
    return _pg_url(_pg["server"], name)


def _drop_copy(db):
    if db.startswith("postgresql://"):
        _pg_admin(_pg["server"], "DROP DATABASE IF EXISTS %s"
                  % db.rsplit("/", 1)[1])


_django_ready = None


def setup_django(db):
    """Configures Django in this process on database `db` (once)."""
    global _django_ready
    if _django_ready:
        return _django_ready
    os.environ["TABULA_DJANGO_DB"] = db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    if PROJECT not in sys.path:
        sys.path.insert(0, PROJECT)
    import django
    django.setup()
    from django.apps import apps
    models = [m for m in apps.get_models()
              if m._meta.app_label in ("blog", "shop")]
    ns = {}
    for m in models:
        same = [o for o in models if o.__name__ == m.__name__]
        name = m.__name__ if len(same) == 1 else (
            m._meta.app_label.title().replace("_", "") + m.__name__)
        ns[name] = m
    from django.db import models as djm
    for n in ("F", "Q", "Count", "Sum", "Avg", "Max", "Min"):
        ns[n] = getattr(djm, n)
    _django_ready = ns
    return ns


def query_namespace(ns):
    """The names a query case sees on Django's side: the models of `ns`
    plus `from django.db.models import *` and
    `from django.db.models.functions import *` (models win a clash)."""
    import django.db.models as djm
    import django.db.models.functions as djf
    out = {}
    for mod in (djm, djf):
        names = getattr(mod, "__all__", None) or [
            n for n in dir(mod) if not n.startswith("_")]
        out.update((n, getattr(mod, n)) for n in names)
    out.update(ns)
    return out


def normalize(v, flat=False):
    """v as compared. With `flat` (the query cases' rules), a boolean is
    0/1 and a model instance its primary key; otherwise an instance is
    ("object", model_name, pk)."""
    from django.db.models.query import QuerySet, RawQuerySet
    if isinstance(v, (QuerySet, RawQuerySet)):
        v = list(v)
    if flat and isinstance(v, bool):
        return int(v)
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: normalize(x, flat) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        out = [normalize(x, flat) for x in v]
        return tuple(out) if isinstance(v, tuple) else out
    if hasattr(v, "_meta") and hasattr(v, "pk"):
        return v.pk if flat else ("object", v._meta.model_name, v.pk)
    return v


def flatten(v):
    """Tabula's answer under the query cases' rules: booleans 0/1."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, dict):
        return {k: flatten(x) for k, x in v.items()}
    if isinstance(v, list):
        return [flatten(x) for x in v]
    if isinstance(v, tuple):
        if len(v) == 3 and v[0] == "error":
            return v
        return tuple(flatten(x) for x in v)
    return v


def by_error_name(v):
    """An error answer reduced to its exception name (the query cases
    compare errors by name only)."""
    if isinstance(v, tuple) and len(v) == 3 and v[0] == "error":
        return ("error", v[1])
    return v


def django_eval(ns, expr, write, flat=False):
    """The Django answer of `expr`; a write is rolled back afterwards."""
    from django.db import transaction
    from mysite import router
    try:
        if not write:
            return normalize(eval(expr, dict(ns)), flat)
        with transaction.atomic(using=router.ALIAS):
            v = normalize(eval(expr, dict(ns)), flat)
            transaction.set_rollback(True, using=router.ALIAS)
            return v
    except Exception as e:  # noqa: BLE001 - the answer is the exception
        msg = e.args[0] if e.args and isinstance(e.args[0], str) else str(e)
        return ("error", type(e).__name__, msg.strip())


_DATE = re.compile(r"datetime\.date\((\d+), (\d+), (\d+)\)")
_ERROR = re.compile(r"^(\w+): (.*)$")


def tabula_eval(db, expr, write, tmpdir):
    """Tabula's answer of `expr` on `db` (a copy when it writes)."""
    if write:
        db = _fresh_copy(db, tmpdir)
    cell = "print(repr(%s))" % expr
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    try:
        p = subprocess.run([tabula_run(), db, "%django " + PROJECT, cell],
                           capture_output=True, text=True, timeout=60,
                           env=env)
    finally:
        if write:
            _drop_copy(db)
    out = p.stdout + p.stderr
    lines = [ln for ln in out.splitlines()
             if ln and not ln.startswith(("Django project", "note: "))]
    if p.returncode != 0 or any("Traceback" in ln for ln in lines):
        for ln in reversed(lines):
            m = _ERROR.match(ln)
            if m:
                return ("error", m.group(1), m.group(2).strip())
        return ("error", "?", out)
    text = _DATE.sub(lambda m: "'%04d-%02d-%02d'" % tuple(
        int(g) for g in m.groups()), lines[-1] if lines else "")
    text = re.sub(r"<QuerySet (\[.*\])>$", r"\1", text)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ("unparsed", text)


def canon(v, ordered):
    """v as compared: lists as multisets unless the case is ordered."""
    if isinstance(v, list) and not ordered:
        return sorted((canon(x, True) for x in v), key=repr)
    if isinstance(v, list):
        return [canon(x, True) for x in v]
    if isinstance(v, tuple):
        return tuple(canon(x, True) for x in v)
    if isinstance(v, dict):
        return {k: canon(x, True) for k, x in v.items()}
    return v
