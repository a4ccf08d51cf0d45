"""Migration 003: per-duty escalation time, estate settings (clock overrides, routing)."""

import datetime as dt

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    migrator.add_fields("duty", escalate_at=pw.DateTimeField(null=True))
    # One ALTER that both SQLite and PostgreSQL run in place (add_fields would rebuild
    # the SQLite table to add NOT NULL).
    migrator.sql("ALTER TABLE estate ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'")

    def backfill():
        # Open duties made before this migration escalate an hour after they fall due.
        duty = migrator.orm["duty"]
        for row in duty.select(duty.id, duty.due_at).where(duty.done_at.is_null()):
            duty.update(escalate_at=row.due_at + dt.timedelta(hours=1)).where(duty.id == row.id).execute()

    migrator.run(backfill)
    migrator.sql(
        "CREATE INDEX duty_to_escalate ON duty (escalate_at) WHERE done_at IS NULL AND escalated_at IS NULL"
    )


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql("DROP INDEX duty_to_escalate")
    migrator.remove_fields("duty", "escalate_at")
    migrator.remove_fields("estate", "settings")
