"""Sends every query of the test project to one database alias, ALIAS
(the differential tests set it to 'pg' for their PostgreSQL run)."""

ALIAS = "default"


class Router:
    def db_for_read(self, model, **hints):
        return ALIAS

    def db_for_write(self, model, **hints):
        return ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True
