"""Migration 016: staff assessment (绩效): rule-book versions, monthly sheets, their items and
appeals, the annual review; an index over the duties that count against someone."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    ESTATE, USER, DUTY = migrator.orm["estate"], migrator.orm["user"], migrator.orm["duty"]

    @migrator.create_model
    class RuleSet(pw.Model):
        estate = pw.ForeignKeyField(ESTATE, column_name="estate_id", on_delete="CASCADE")
        version = pw.IntegerField()
        data = pw.TextField(default="{}")
        created_by = pw.ForeignKeyField(USER, column_name="created_by_id", null=True, on_delete="SET NULL")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment_ruleset"
            indexes = ((("estate", "version"), True),)

    @migrator.create_model
    class Sheet(pw.Model):
        estate = pw.ForeignKeyField(ESTATE, column_name="estate_id", on_delete="CASCADE")
        person = pw.ForeignKeyField(USER, column_name="person_id", on_delete="CASCADE")
        year = pw.IntegerField()
        month = pw.IntegerField()
        kind = pw.CharField(max_length=16, default="butler")
        status = pw.CharField(max_length=8, default="open")
        ruleset_version = pw.IntegerField(default=0)
        score = pw.IntegerField(null=True)
        rates = pw.TextField(default="{}")
        closed_at = pw.DateTimeField(null=True)
        issued_at = pw.DateTimeField(null=True)
        issued_by = pw.ForeignKeyField(USER, column_name="issued_by_id", null=True, on_delete="SET NULL",
                                       backref="+")
        appeal_until = pw.DateTimeField(null=True)
        signed_at = pw.DateTimeField(null=True)
        signed_by = pw.ForeignKeyField(USER, column_name="signed_by_id", null=True, on_delete="SET NULL",
                                       backref="+")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment_sheet"
            indexes = ((("person", "year", "month", "kind"), True), (("estate", "year", "month"), False))

    @migrator.create_model
    class Entry(pw.Model):
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(ESTATE, column_name="estate_id", on_delete="CASCADE")
        sheet = pw.ForeignKeyField(Sheet, column_name="sheet_id", on_delete="CASCADE")
        rule = pw.CharField(max_length=32)
        computed = pw.BooleanField(default=False)
        points = pw.IntegerField()
        occurred_at = pw.DateTimeField()
        duty = pw.ForeignKeyField(DUTY, column_name="duty_id", null=True, on_delete="SET NULL", backref="+")
        subject = pw.CharField(max_length=40, default="")
        detail = pw.CharField(max_length=200, default="")
        reason = pw.TextField(default="")
        correction = pw.BooleanField(default=False)
        withdrawn_at = pw.DateTimeField(null=True)
        withdrawn_reason = pw.CharField(max_length=300, default="")
        created_by = pw.ForeignKeyField(USER, column_name="created_by_id", null=True, on_delete="SET NULL",
                                        backref="+")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment_entry"
            indexes = ((("sheet", "occurred_at"), False),)

    @migrator.create_model
    class Appeal(pw.Model):
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(ESTATE, column_name="estate_id", on_delete="CASCADE")
        entry = pw.ForeignKeyField(Entry, column_name="entry_id", on_delete="CASCADE")
        by = pw.ForeignKeyField(USER, column_name="by_id", on_delete="CASCADE", backref="+")
        reason = pw.TextField()
        status = pw.CharField(max_length=8, default="open")
        answer = pw.TextField(default="")
        new_points = pw.IntegerField(null=True)
        answered_by = pw.ForeignKeyField(USER, column_name="answered_by_id", null=True, on_delete="SET NULL",
                                         backref="+")
        answered_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment_appeal"

    @migrator.create_model
    class AnnualReview(pw.Model):
        estate = pw.ForeignKeyField(ESTATE, column_name="estate_id", on_delete="CASCADE")
        person = pw.ForeignKeyField(USER, column_name="person_id", on_delete="CASCADE", backref="+")
        year = pw.IntegerField()
        checks = pw.IntegerField(null=True)
        year_end = pw.IntegerField(null=True)
        bonus = pw.IntegerField(default=0)
        note = pw.CharField(max_length=300, default="")
        updated_by = pw.ForeignKeyField(USER, column_name="updated_by_id", null=True, on_delete="SET NULL",
                                        backref="+")
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment_annual"
            indexes = ((("person", "year"), True),)

    @migrator.create_model
    class Scorecard(pw.Model):
        estate = pw.ForeignKeyField(ESTATE, column_name="estate_id", on_delete="CASCADE")
        person = pw.ForeignKeyField(USER, column_name="person_id", on_delete="CASCADE", backref="+")
        year = pw.IntegerField()
        month = pw.IntegerField()
        kind = pw.CharField(max_length=16)
        scores = pw.TextField(default="{}")
        note = pw.CharField(max_length=300, default="")
        updated_by = pw.ForeignKeyField(USER, column_name="updated_by_id", null=True, on_delete="SET NULL",
                                        backref="+")
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "assessment_scorecard"
            indexes = ((("person", "year", "month", "kind"), True),)

    # The duties that count against someone (Duty.counted_in): a small share of all duties.
    migrator.sql("CREATE INDEX duty_counted ON duty (estate_id, due_at) "
                 "WHERE missed_at IS NOT NULL OR late_minutes > 0")
    # Paid special services done in a month (+5 each): a few percent of all cases.
    migrator.sql("CREATE INDEX cases_paid_done ON cases (estate_id, done_at) WHERE paid")
    # The month's rates count every ended duty of a few kinds (Duty.on_time_tally).
    migrator.sql("CREATE INDEX duty_estate_kind_due ON duty (estate_id, kind, due_at)")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql("DROP INDEX cases_paid_done")
    migrator.sql("DROP INDEX duty_estate_kind_due")
    migrator.sql("DROP INDEX duty_counted")
    for name in ("assessment_scorecard", "assessment_annual", "assessment_appeal", "assessment_entry", "assessment_sheet",
                 "assessment_ruleset"):
        migrator.remove_model(name)
