"""Migration 010: every duty ends with an outcome (done, void, missed); claims carry a lease;
keys can be retired from the register."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    # Plain ALTERs: SQLite adds nullable columns in place (no table rebuild).
    migrator.sql("ALTER TABLE duty ADD COLUMN outcome VARCHAR(8)")
    migrator.sql("ALTER TABLE duty ADD COLUMN void_reason VARCHAR(200) NOT NULL DEFAULT ''")
    migrator.add_fields("duty", missed_at=pw.DateTimeField(null=True))
    # Every duty closed before outcomes existed was closed by its real work.
    migrator.sql("UPDATE duty SET outcome = 'done' WHERE done_at IS NOT NULL")
    # The agenda shows a person's recently voided duties struck through.
    migrator.sql("CREATE INDEX duty_void_assignee ON duty (assignee_id, done_at) WHERE outcome = 'void'")
    # tick's safety net reads the open duties' subjects by prefix.
    migrator.sql("CREATE INDEX duty_open_subject ON duty (subject) WHERE done_at IS NULL")

    migrator.add_fields("delivery", lease_until=pw.DateTimeField(null=True))
    # Rows in flight before leases existed: give them an expired lease, so the next tick resends them.
    migrator.sql("UPDATE delivery SET lease_until = created_at WHERE status IN ('queued', 'sending')")
    migrator.sql("CREATE INDEX delivery_lease ON delivery (lease_until) WHERE status IN ('queued', 'sending')")

    migrator.add_fields("desk_key", retired_at=pw.DateTimeField(null=True),
                        retired_by=pw.ForeignKeyField(migrator.orm["user"], null=True, on_delete="SET NULL",
                                                      field="id", column_name="retired_by_id"))
    migrator.sql("ALTER TABLE desk_key ADD COLUMN retire_reason VARCHAR(200) NOT NULL DEFAULT ''")
    # A retired key frees its hook for the next key.
    migrator.sql("CREATE UNIQUE INDEX desk_key_hook_in_use ON desk_key (estate_id, hook) WHERE retired_at IS NULL")
    migrator.sql("DROP INDEX key_estate_id_hook")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql("CREATE UNIQUE INDEX key_estate_id_hook ON desk_key (estate_id, hook)")
    migrator.sql("DROP INDEX desk_key_hook_in_use")
    migrator.remove_fields("desk_key", "retired_at", "retired_by", "retire_reason")
    migrator.sql("DROP INDEX delivery_lease")
    migrator.remove_fields("delivery", "lease_until")
    migrator.sql("DROP INDEX duty_open_subject")
    migrator.sql("DROP INDEX duty_void_assignee")
    migrator.remove_fields("duty", "outcome", "void_reason", "missed_at")
