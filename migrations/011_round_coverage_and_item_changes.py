"""Migration 011: a patrol's checkpoint coverage, kept on the round at finish; the last
change submission of an item result, so a replayed change is one change."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    # Nullable columns: both databases add them in place (no table rebuild, no data touched).
    migrator.add_fields("round", checkpoints_total=pw.IntegerField(null=True),
                        checkpoints_stamped=pw.IntegerField(null=True))
    migrator.add_fields("item_result", last_uuid=pw.UUIDField(null=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.remove_fields("item_result", "last_uuid")
    migrator.remove_fields("round", "checkpoints_total", "checkpoints_stamped")
