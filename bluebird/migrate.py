"""Schema migrations with peewee-migrate: numbered files in migrations/."""
import logging
from pathlib import Path

from peewee_migrate import Router

from bluebird.db import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def router() -> Router:
    """A migration router over the bound database."""
    logger = logging.getLogger("bluebird.migrate")
    return Router(db.obj, migrate_dir=MIGRATIONS, logger=logger)


def upgrade(to: str | None = None) -> list[str]:
    """Apply every migration not yet applied (or up to `to`); return their names."""
    with db.connection_context():
        return router().run(to)


def pending() -> list[str]:
    """Names of migrations not yet applied."""
    with db.connection_context():
        return list(router().diff)
