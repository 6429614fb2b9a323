"""Settings of the test project: two apps, SQLite at $TABULA_DJANGO_DB."""
import os

SECRET_KEY = "tests-only"
DEBUG = False
USE_TZ = False
INSTALLED_APPS = ["blog", "shop"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("TABULA_DJANGO_DB", "db.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
