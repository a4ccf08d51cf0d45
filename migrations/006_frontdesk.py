"""Migration 006: the front desk's logs: phone log, visitors, messages, parcels, keys and loans, hand-overs."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""

    @migrator.create_model
    class PhoneCall(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        at = pw.DateTimeField()
        caller = pw.CharField(max_length=50)
        phone = pw.CharField(default='', max_length=20)
        phone_tail = pw.CharField(default='', max_length=4)
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        place = pw.CharField(default='', max_length=80)
        matter = pw.TextField()
        kind = pw.CharField(default='note', max_length=16)
        case = pw.ForeignKeyField(column_name='case_id', field='id', model=migrator.orm['cases'], null=True, on_delete='SET NULL')
        corrects = pw.ForeignKeyField(column_name='corrects_id', field='id', model='self', null=True)
        taken_by = pw.ForeignKeyField(column_name='taken_by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "desk_call"
            indexes = [(('estate', 'at'), False), (('estate', 'phone_tail'), False), (('estate', 'caller'), False), (('unit', 'at'), False)]

    @migrator.create_model
    class StaffMessage(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        at = pw.DateTimeField()
        caller = pw.CharField(max_length=50)
        phone = pw.CharField(default='', max_length=20)
        phone_tail = pw.CharField(default='', max_length=4)
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        recipient = pw.ForeignKeyField(column_name='recipient_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        matter = pw.TextField()
        call = pw.ForeignKeyField(column_name='call_id', field='id', model=migrator.orm['desk_call'], null=True)
        taken_by = pw.ForeignKeyField(column_name='taken_by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        answered_at = pw.DateTimeField(null=True)
        answered_by = pw.ForeignKeyField(column_name='answered_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        answer = pw.CharField(default='', max_length=300)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "desk_message"
            indexes = [(('estate', 'at'), False), (('recipient', 'answered_at'), False), (('estate', 'phone_tail'), False), (('estate', 'caller'), False)]

    @migrator.create_model
    class Visitor(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        name = pw.CharField(max_length=50)
        phone = pw.CharField(default='', max_length=20)
        phone_tail = pw.CharField(default='', max_length=4)
        purpose = pw.CharField(max_length=100)
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        whom = pw.CharField(default='', max_length=50)
        in_at = pw.DateTimeField()
        out_at = pw.DateTimeField(null=True)
        logged_by = pw.ForeignKeyField(column_name='logged_by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        out_by = pw.ForeignKeyField(column_name='out_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "desk_visitor"
            indexes = [(('estate', 'in_at'), False), (('estate', 'out_at'), False), (('estate', 'phone_tail'), False), (('estate', 'name'), False)]


    @migrator.create_model
    class Parcel(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        carrier = pw.CharField(max_length=30)
        tracking_tail = pw.CharField(default='', max_length=8)
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], on_delete='CASCADE')
        addressee = pw.CharField(default='', max_length=50)
        note = pw.CharField(default='', max_length=200)
        arrived_at = pw.DateTimeField()
        logged_by = pw.ForeignKeyField(column_name='logged_by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        told_at = pw.DateTimeField(null=True)
        told_by = pw.ForeignKeyField(column_name='told_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        picked_up_at = pw.DateTimeField(null=True)
        picked_up_by = pw.CharField(default='', max_length=50)
        handed_by = pw.ForeignKeyField(column_name='handed_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "desk_parcel"
            indexes = [(('estate', 'arrived_at'), False), (('estate', 'picked_up_at'), False), (('unit', 'arrived_at'), False), (('estate', 'tracking_tail'), False), (('estate', 'addressee'), False)]

    @migrator.create_model
    class Key(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        kind = pw.CharField(max_length=16)
        name = pw.CharField(max_length=60)
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        hook = pw.CharField(max_length=20)
        note = pw.CharField(default='', max_length=200)
        created_by = pw.ForeignKeyField(column_name='created_by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "desk_key"
            indexes = [(('estate', 'hook'), True), (('estate', 'kind'), False)]

    @migrator.create_model
    class KeyLoan(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        key = pw.ForeignKeyField(column_name='key_id', field='id', model=migrator.orm['desk_key'], on_delete='CASCADE')
        borrower = pw.CharField(max_length=50)
        borrower_user = pw.ForeignKeyField(column_name='borrower_user_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        purpose = pw.CharField(max_length=100)
        out_at = pw.DateTimeField()
        due_at = pw.DateTimeField()
        returned_at = pw.DateTimeField(null=True)
        returned_to = pw.ForeignKeyField(column_name='returned_to_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        lent_by = pw.ForeignKeyField(column_name='lent_by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        note = pw.CharField(default='', max_length=200)

        class Meta:
            table_name = "desk_key_loan"
            indexes = [(('estate', 'out_at'), False), (('estate', 'returned_at'), False), (('key', 'out_at'), False), (('estate', 'borrower'), False)]

    @migrator.create_model
    class Handover(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        outgoing = pw.ForeignKeyField(column_name='outgoing_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        opened_at = pw.DateTimeField()
        note = pw.TextField(default='')
        items = pw.TextField(default='{}')
        incoming = pw.ForeignKeyField(column_name='incoming_id', field='id', model=migrator.orm['user'], null=True, on_delete='RESTRICT')
        accepted_at = pw.DateTimeField(null=True)
        accept_note = pw.CharField(default='', max_length=200)

        class Meta:
            table_name = "desk_handover"
            indexes = [(('estate', 'opened_at'), False)]

    # A key can never be on loan twice, and one hand-over at a time waits for its
    # relief: partial unique indexes over the open rows hold that under any race.
    migrator.sql("CREATE UNIQUE INDEX desk_key_loan_open_once ON desk_key_loan (key_id) WHERE returned_at IS NULL")
    migrator.sql("CREATE UNIQUE INDEX desk_handover_pending_once ON desk_handover (estate_id) WHERE accepted_at IS NULL")
    # The desk polls what is still open every 30 seconds over books kept for years:
    # these indexes hold only the open rows, so the poll does not grow with the history.
    migrator.sql("CREATE INDEX desk_visitor_inside ON desk_visitor (estate_id, in_at) WHERE out_at IS NULL")
    migrator.sql("CREATE INDEX desk_message_unanswered ON desk_message (estate_id, at) WHERE answered_at IS NULL")
    migrator.sql("CREATE INDEX desk_parcel_waiting ON desk_parcel (estate_id, arrived_at) WHERE picked_up_at IS NULL")
    migrator.sql("CREATE INDEX desk_key_loan_out ON desk_key_loan (estate_id, due_at) WHERE returned_at IS NULL")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.remove_model('desk_handover')
    migrator.remove_model('desk_key_loan')
    migrator.remove_model('desk_key')
    migrator.remove_model('desk_parcel')
    migrator.remove_model('desk_visitor')
    migrator.remove_model('desk_message')
    migrator.remove_model('desk_call')
