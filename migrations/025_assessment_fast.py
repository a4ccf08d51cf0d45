"""Migration 025: the month's assessment is counted from indexes alone.

`duty_counted` (016) becomes covering: a month's counted duties are read from the index
without touching the 5M-row table. (The complaint a repair drew is found through
`cases.about_case_id`, indexed by migration 026.)
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    migrator.sql("DROP INDEX duty_counted")
    migrator.sql("CREATE INDEX duty_counted ON duty (estate_id, due_at, kind, assignee_id, outcome, missed_at, "
                 "late_minutes, subject) WHERE missed_at IS NOT NULL OR late_minutes > 0")
    if not isinstance(database, pw.PostgresqlDatabase):
        # SQLite's planner prefers an index it has no statistics for: give it some (sampled).
        migrator.sql("PRAGMA analysis_limit = 1000")
        migrator.sql("ANALYZE duty")
        migrator.sql("ANALYZE cases")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql("DROP INDEX duty_counted")
    migrator.sql("CREATE INDEX duty_counted ON duty (estate_id, due_at) "
                 "WHERE missed_at IS NOT NULL OR late_minutes > 0")
