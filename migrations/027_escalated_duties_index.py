"""Migration 027: a supervisor's agenda finds the estate's escalated open duties through an
index of their own (`duty_open_escalated`).

The escalated branch of `Duty.open_for` (ORDER BY due_at LIMIT n) walked the estate's whole
(estate_id, due_at) index, done duties included: 27 ms at 5M duties (bench/cases.py,
`cases_agenda_manager`), 0.06 ms with this partial index.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    migrator.sql("CREATE INDEX duty_open_escalated ON duty (estate_id, due_at) "
                 "WHERE done_at IS NULL AND escalated_at IS NOT NULL")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql("DROP INDEX duty_open_escalated")
