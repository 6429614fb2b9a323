"""Settings of the test project: two apps, SQLite at $TABULA_DJANGO_DB.

With $TABULA_DJANGO_PG set (a postgresql:// URL; seed.py in its own
process), the default database is that PostgreSQL database instead. The
differential tests' own process keeps SQLite as `default` and has a `pg`
alias that they point at a throwaway cluster before using it;
mysite.router sends every query to the alias they choose."""
import os
from urllib.parse import urlparse

SECRET_KEY = "tests-only"
DEBUG = False
USE_TZ = False
INSTALLED_APPS = ["blog", "shop"]


def _pg(url):
    u = urlparse(url or "postgresql://tabula@127.0.0.1:1/none")
    return {"ENGINE": "django.db.backends.postgresql",
            "NAME": u.path.lstrip("/"), "USER": u.username or "",
            "PASSWORD": u.password or "", "HOST": u.hostname or "",
            "PORT": str(u.port or "")}


DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("TABULA_DJANGO_DB", "db.sqlite3"),
    },
    "pg": _pg(None),
}
if os.environ.get("TABULA_DJANGO_PG"):
    DATABASES = {"default": _pg(os.environ["TABULA_DJANGO_PG"])}
DATABASE_ROUTERS = ["mysite.router.Router"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
