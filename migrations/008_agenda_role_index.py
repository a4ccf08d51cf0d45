"""Migration 008: the agenda's role branch reads a partial index of unassigned open duties."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    migrator.sql("CREATE INDEX duty_open_role_unassigned ON duty (estate_id, role, due_at) "
                 "WHERE done_at IS NULL AND assignee_id IS NULL")
    migrator.sql("DROP INDEX duty_open_role")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql("CREATE INDEX duty_open_role ON duty (estate_id, role, due_at) WHERE done_at IS NULL")
    migrator.sql("DROP INDEX duty_open_role_unassigned")
