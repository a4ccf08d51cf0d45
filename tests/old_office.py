"""An office's database from before a migration, for tests that it upgrades in place."""
import tempfile
from contextlib import contextmanager

from bluebird import create_app
from bluebird.db import db
from bluebird.migrate import upgrade

BEFORE_SESSION_2 = "008_agenda_role_index"  # the last migration of the first release


@contextmanager
def old_office(at=BEFORE_SESSION_2, *statements):
    """Build a SQLite database migrated up to `at` holding one estate and `statements`.

    Yields inside the old database (call `upgrade()` there); the test's own database is
    bound again afterwards.
    """
    tmp = tempfile.mkdtemp(prefix="bluebird-old-")
    original = db.obj
    try:
        create_app({"DATABASE_URL": f"sqlite:///{tmp}/old.db", "SECRET_KEY": "x"})
        upgrade(at)
        with db.connection_context():
            db.execute_sql("INSERT INTO estate (name, code, timezone, created_at, settings) "
                           "VALUES ('老小区', 'old', 'Asia/Shanghai', '2025-01-01 00:00:00', '{}')")
            for sql in statements:
                db.execute_sql(sql)
        yield db
    finally:
        db.initialize(original)
