"""Migration 024: a replayed step creates nothing. The timeline event a state change writes
carries the submission's client_uuid (unique), and so does a case's logged call."""

import peewee as pw
from peewee_migrate import Migrator

TABLES = ("event", "call")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    kind = "UUID" if isinstance(database, pw.PostgresqlDatabase) else "TEXT"
    # Plain ALTERs both databases run in place; the rows already there have no uuid (NULL).
    for table in TABLES:
        migrator.sql(f'ALTER TABLE "{table}" ADD COLUMN client_uuid {kind}')
        migrator.sql(f'CREATE UNIQUE INDEX "{table}_client_uuid" ON "{table}" (client_uuid)')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    for table in TABLES:
        migrator.sql(f'DROP INDEX "{table}_client_uuid"')
        migrator.sql(f'ALTER TABLE "{table}" DROP COLUMN client_uuid')
