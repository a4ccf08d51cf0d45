"""Migration 019: visits (走访), each household's last contact, weekly visit plans, renovation
after-sales calls, owner meetings. An old office's last contacts are filled in from its cases, reached calls
and move-ins."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""

    @migrator.create_model
    class Visit(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], on_delete='CASCADE')
        by = pw.ForeignKeyField(column_name='by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        at = pw.DateTimeField()
        way = pw.CharField(default='in_person', max_length=16)
        met = pw.CharField(default='', max_length=100)
        opinions = pw.TextField(default='')
        request = pw.TextField(default='')
        case = pw.ForeignKeyField(column_name='case_id', field='id', model=migrator.orm['cases'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "visit"
            indexes = [(('unit', 'at'), False), (('estate', 'at'), False), (('by', 'at'), False)]

    @migrator.create_model
    class HouseholdContact(pw.Model):
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], primary_key=True, on_delete='CASCADE')
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        last_at = pw.DateTimeField()
        last_kind = pw.CharField(default='visit', max_length=16)

        class Meta:
            table_name = "household_contact"

    @migrator.create_model
    class VisitPlan(pw.Model):
        id = pw.AutoField()
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        patch = pw.ForeignKeyField(column_name='patch_id', field='id', model=migrator.orm['patch'], on_delete='CASCADE')
        week_of = pw.DateField()
        total = pw.IntegerField(default=0)
        done = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "visit_plan"
            indexes = [(('patch', 'week_of'), True), (('estate', 'week_of'), False)]

    @migrator.create_model
    class VisitPlanItem(pw.Model):
        id = pw.AutoField()
        plan = pw.ForeignKeyField(column_name='plan_id', field='id', model=migrator.orm['visit_plan'], on_delete='CASCADE')
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], on_delete='CASCADE')
        position = pw.IntegerField(default=0)
        key_account = pw.BooleanField(default=False)
        last_contact_at = pw.DateTimeField(null=True)
        visit = pw.ForeignKeyField(column_name='visit_id', field='id', model=migrator.orm['visit'], null=True, on_delete='SET NULL')
        done_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "visit_plan_item"
            indexes = [(('plan', 'unit'), True), (('unit', 'done_at'), False)]

    @migrator.create_model
    class SiteCall(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        permit = pw.ForeignKeyField(column_name='permit_id', field='id', model=migrator.orm['permit'], on_delete='CASCADE')
        kind = pw.CharField(max_length=16)
        by = pw.ForeignKeyField(column_name='by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        at = pw.DateTimeField()
        reached = pw.BooleanField(default=True)
        designer = pw.CharField(default='', max_length=80)
        site_supervisor = pw.CharField(default='', max_length=80)
        project_manager = pw.CharField(default='', max_length=80)
        note = pw.CharField(default='', max_length=300)
        problem = pw.BooleanField(default=False)
        problem_note = pw.CharField(default='', max_length=300)

        class Meta:
            table_name = "site_call"
            indexes = [(('permit', 'at'), False), (('estate', 'at'), False)]

    @migrator.create_model
    class OwnerMeeting(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        by = pw.ForeignKeyField(column_name='by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        held_on = pw.DateField()
        place = pw.CharField(max_length=80)
        topics = pw.TextField(default='')
        resolutions = pw.TextField(default='')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "owner_meeting"
            indexes = [(('estate', 'held_on'), False)]

    @migrator.create_model
    class MeetingAttendee(pw.Model):
        id = pw.AutoField()
        meeting = pw.ForeignKeyField(column_name='meeting_id', field='id', model=migrator.orm['owner_meeting'], on_delete='CASCADE')
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], on_delete='CASCADE')

        class Meta:
            table_name = "meeting_attendee"
            indexes = [(('meeting', 'unit'), True)]

    @migrator.create_model
    class MeetingCase(pw.Model):
        id = pw.AutoField()
        meeting = pw.ForeignKeyField(column_name='meeting_id', field='id', model=migrator.orm['owner_meeting'], on_delete='CASCADE')
        case = pw.ForeignKeyField(column_name='case_id', field='id', model=migrator.orm['cases'], on_delete='CASCADE')

        class Meta:
            table_name = "meeting_case"
            indexes = [(('meeting', 'case'), True)]

    # An old office's households were contacted before visits existed: the latest case,
    # reached call and move-in of each unit count (one row per unit, the latest wins).
    migrator.sql(
        "INSERT INTO household_contact (unit_id, estate_id, last_at, last_kind) "
        "SELECT contacts.unit_id, contacts.estate_id, MAX(contacts.at), 'case' FROM ("
        "  SELECT c.unit_id, c.estate_id, c.created_at AS at FROM cases c WHERE c.unit_id IS NOT NULL"
        "  UNION ALL SELECT c.unit_id, c.estate_id, k.at FROM \"call\" k JOIN cases c ON c.id = k.case_id"
        "    WHERE c.unit_id IS NOT NULL AND k.reached"
        "  UNION ALL SELECT r.place_id, r.estate_id, r.finished_at FROM \"round\" r"
        "    JOIN unit u ON u.id = r.place_id"
        "    WHERE r.kind = 'movein' AND r.place_kind = 'unit' AND r.finished_at IS NOT NULL"
        ") contacts JOIN unit live ON live.id = contacts.unit_id"  # a dangling unit id is no household
        " GROUP BY contacts.unit_id, contacts.estate_id")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    for name in ('meeting_case', 'meeting_attendee', 'owner_meeting', 'site_call', 'visit_plan_item', 'visit_plan', 'household_contact', 'visit'):
        migrator.remove_model(name)
