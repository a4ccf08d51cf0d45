"""Migration 015: a row per signed-in device (logout ends it); company-wide administrators."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    # A plain ALTER with a default: SQLite adds the column in place (no table rebuild).
    migrator.sql('ALTER TABLE "user" ADD COLUMN company_wide BOOLEAN NOT NULL DEFAULT FALSE')

    @migrator.create_model
    class LoginSession(pw.Model):
        token = pw.CharField(max_length=64, primary_key=True)
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        created_at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "login_session"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.remove_model('login_session')
    migrator.sql('ALTER TABLE "user" DROP COLUMN company_wide')
