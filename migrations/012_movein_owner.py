"""Migration 012: a move-in round records who signed it (the owner's name, phone, resident)."""

import peewee as pw
from peewee_migrate import Migrator

COLUMNS = ("owner_name VARCHAR(50) NOT NULL DEFAULT ''", "owner_phone VARCHAR(20) NOT NULL DEFAULT ''",
           "owner_id INTEGER NULL")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    # Plain ALTERs that SQLite and PostgreSQL both run in place (add_fields would rebuild
    # the SQLite table for a NOT NULL column); the rounds already there get empty names.
    for column in COLUMNS:
        migrator.sql(f"ALTER TABLE round ADD COLUMN {column}")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    for column in COLUMNS:
        migrator.sql(f"ALTER TABLE round DROP COLUMN {column.split()[0]}")
