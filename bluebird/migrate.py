"""Schema migrations with peewee-migrate: numbered files in migrations/."""
import logging
from pathlib import Path

from peewee_migrate import Router

from bluebird.db import db, is_postgres

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def router() -> Router:
    """A migration router over the bound database."""
    logger = logging.getLogger("bluebird.migrate")
    return Router(db.obj, migrate_dir=MIGRATIONS, logger=logger)


class IntegrityLost(RuntimeError):
    """A migration left rows pointing at rows that no longer exist."""


def upgrade(to: str | None = None) -> list[str]:
    """Apply every migration not yet applied (or up to `to`); return their names.

    On SQLite, foreign keys are off while migrating, as SQLite's documentation asks for
    schema changes: a table rebuild (copy, drop, rename) must not cascade-delete the
    rows that point at it. Integrity is checked before they come back on.
    """
    with db.connection_context():
        sqlite = not is_postgres()
        if sqlite:
            db.execute_sql("PRAGMA foreign_keys = OFF")
        try:
            done = router().run(to)
            if sqlite:
                broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise IntegrityLost(f"foreign keys broken after migrating: {broken[:5]}")
        finally:
            if sqlite:
                db.execute_sql("PRAGMA foreign_keys = ON")
        return done


def pending() -> list[str]:
    """Names of migrations not yet applied."""
    with db.connection_context():
        return list(router().diff)
