"""Migration 026: a complaint can name the repair it is about (针对工单), a nullable
self-reference of `cases` with its index; the complaints already there are about nothing."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    # A plain ALTER both databases run in place (a nullable column: no SQLite table rebuild).
    migrator.sql('ALTER TABLE "cases" ADD COLUMN about_case_id INTEGER NULL '
                 'REFERENCES "cases" (id) ON DELETE SET NULL')
    migrator.sql('CREATE INDEX "cases_about_case_id" ON "cases" (about_case_id)')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql('DROP INDEX "cases_about_case_id"')
    migrator.sql('ALTER TABLE "cases" DROP COLUMN about_case_id')
