"""Migration 014: patches in counting order; a role-wide duty that skips one person; notification
titles kept as a message key; no duty left on "every butler"."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    # Plain ALTERs: SQLite and PostgreSQL both add these columns in place (no table rebuild).
    migrator.sql("ALTER TABLE patch ADD COLUMN position INTEGER")
    migrator.sql('ALTER TABLE duty ADD COLUMN excluded_id INTEGER REFERENCES "user" (id) ON DELETE SET NULL')
    migrator.sql("ALTER TABLE notification ADD COLUMN message TEXT")

    def backfill():
        from bluebird.estate.models import patch_position

        patch = pw.Table("patch", ("id", "name", "position")).bind(database)
        for row in list(patch.select(patch.id, patch.name).dicts()):
            patch.update(position=patch_position(row["name"])).where(patch.id == row["id"]).execute()
        # A duty for "the patch butler" of a patch nobody covered went to the role butler,
        # which every butler's agenda shows. The supervisor covers such a patch now.
        duty = pw.Table("duty", ("id", "role", "assignee_id", "done_at")).bind(database)
        duty.update(role="manager").where(duty.done_at.is_null() & duty.assignee_id.is_null()
                                          & (duty.role == "butler")).execute()

    migrator.run(backfill)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.remove_fields("notification", "message")
    migrator.remove_fields("duty", "excluded")
    migrator.remove_fields("patch", "position")
