"""Migration 017: filed reports, the month-close house dynamics tables, date indexes on cases."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""

    @migrator.create_model
    class Filing(pw.Model):
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'],
                                    on_delete='CASCADE')
        kind = pw.CharField(max_length=24)
        period = pw.CharField(max_length=12)
        building = pw.IntegerField(default=0)
        snapshot = pw.TextField(default="{}")
        analysis = pw.TextField(default="")
        plan = pw.TextField(default="")
        filed_by = pw.ForeignKeyField(column_name='filed_by_id', field='id', model=migrator.orm['user'],
                                      on_delete='RESTRICT', backref='+')
        filed_at = pw.DateTimeField()
        confirmed_by = pw.ForeignKeyField(column_name='confirmed_by_id', field='id', model=migrator.orm['user'],
                                          null=True, on_delete='SET NULL', backref='+')
        confirmed_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "filing"
            indexes = ((("estate", "kind", "period", "building"), True),)

    @migrator.create_model
    class HouseMonth(pw.Model):
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'],
                                    on_delete='CASCADE')
        month = pw.CharField(max_length=7)
        data = pw.TextField()
        computed_at = pw.DateTimeField()

        class Meta:
            table_name = "house_month"
            indexes = ((("estate", "month"), True),)

    @migrator.create_model
    class ReportCache(pw.Model):
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'],
                                    on_delete='CASCADE')
        key = pw.CharField(max_length=60)
        data = pw.TextField()
        computed_at = pw.DateTimeField()

        class Meta:
            table_name = "report_cache"
            indexes = ((("estate", "key"), True),)

    # The reports count a period's cases by when they were registered or closed.
    migrator.sql('CREATE INDEX IF NOT EXISTS cases_estate_created_at ON cases (estate_id, created_at)')
    migrator.sql('CREATE INDEX IF NOT EXISTS cases_estate_closed_at ON cases (estate_id, closed_at)')
    # Late handling per person reads a period's duties, done or not (the open-only indexes miss them).
    migrator.sql('CREATE INDEX IF NOT EXISTS duty_estate_due_at ON duty (estate_id, due_at)')


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql('DROP INDEX IF EXISTS duty_estate_due_at')
    migrator.sql('DROP INDEX IF EXISTS cases_estate_closed_at')
    migrator.sql('DROP INDEX IF EXISTS cases_estate_created_at')
    migrator.remove_model('report_cache')
    migrator.remove_model('house_month')
    migrator.remove_model('filing')
