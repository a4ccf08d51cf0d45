"""Migration 004: cases (repairs, complaints…), their calls, the price list, and photo attachments."""

from decimal import ROUND_HALF_EVEN

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""

    @migrator.create_model
    class Attachment(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        subject = pw.CharField(max_length=40)
        token = pw.CharField(max_length=32, unique=True)
        display_key = pw.CharField(max_length=80)
        thumb_key = pw.CharField(max_length=80)
        sha256 = pw.CharField(max_length=64)
        thumb_sha256 = pw.CharField(max_length=64)
        width = pw.IntegerField()
        height = pw.IntegerField()
        source_format = pw.CharField(default='', max_length=8)
        place = pw.CharField(default='', max_length=80)
        captured_at = pw.DateTimeField(null=True)
        received_at = pw.DateTimeField()
        by = pw.ForeignKeyField(column_name='by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        deleted_at = pw.DateTimeField(null=True)
        deleted_by = pw.ForeignKeyField(column_name='deleted_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')

        class Meta:
            table_name = "attachment"
            indexes = [(('subject', 'id'), False)]

    @migrator.create_model
    class PriceItem(pw.Model):
        id = pw.AutoField()
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        name = pw.CharField(max_length=80)
        price = pw.DecimalField(auto_round=False, decimal_places=2, max_digits=10, rounding=ROUND_HALF_EVEN)
        unit_label = pw.CharField(default='次', max_length=16)
        active = pw.BooleanField(default=True)

        class Meta:
            table_name = "price_item"
            indexes = [(('estate', 'name'), True)]

    @migrator.create_model
    class Case(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        kind = pw.CharField(max_length=16)
        status = pw.CharField(default='new', max_length=16)
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        building = pw.ForeignKeyField(column_name='building_id', field='id', model=migrator.orm['building'], null=True, on_delete='SET NULL')
        place = pw.CharField(default='', max_length=80)
        resident = pw.ForeignKeyField(column_name='resident_id', field='id', model=migrator.orm['resident'], null=True, on_delete='SET NULL')
        contact_name = pw.CharField(default='', max_length=50)
        contact_phone = pw.CharField(default='', max_length=20)
        source = pw.CharField(max_length=16)
        category = pw.CharField(default='', max_length=32)
        description = pw.TextField()
        registrar = pw.ForeignKeyField(column_name='registrar_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        assignee = pw.ForeignKeyField(column_name='assignee_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        department = pw.CharField(default='', max_length=40)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        scope = pw.CharField(default='', max_length=16)
        trade = pw.CharField(default='', max_length=16)
        work_type = pw.CharField(default='', max_length=16)
        warranty = pw.BooleanField(default=False)
        paid = pw.BooleanField(default=False)
        price_item = pw.ForeignKeyField(column_name='price_item_id', field='id', model=migrator.orm['price_item'], null=True, on_delete='SET NULL')
        price = pw.DecimalField(auto_round=False, decimal_places=2, max_digits=10, null=True, rounding=ROUND_HALF_EVEN)
        emergency = pw.BooleanField(default=False)
        minor = pw.BooleanField(default=True)
        dispatched_at = pw.DateTimeField(null=True)
        arrived_at = pw.DateTimeField(null=True)
        done_at = pw.DateTimeField(null=True)
        work_done = pw.TextField(default='')
        materials = pw.CharField(default='', max_length=200)
        target = pw.CharField(default='', max_length=16)
        target_name = pw.CharField(default='', max_length=80)
        cause = pw.TextField(default='')
        promised_on = pw.DateField(null=True)
        resolution = pw.TextField(default='')
        closed_at = pw.DateTimeField(null=True)
        satisfaction = pw.CharField(default='', max_length=16)
        satisfaction_note = pw.CharField(default='', max_length=200)
        reopened = pw.IntegerField(default=0)

        class Meta:
            table_name = "cases"
            indexes = [(('estate', 'id'), False), (('estate', 'kind', 'id'), False), (('estate', 'status', 'id'), False), (('assignee', 'status'), False), (('building', 'id'), False), (('unit', 'id'), False)]

    @migrator.create_model
    class Call(pw.Model):
        id = pw.AutoField()
        case = pw.ForeignKeyField(column_name='case_id', field='id', model=migrator.orm['cases'], on_delete='CASCADE')
        kind = pw.CharField(max_length=24)
        by = pw.ForeignKeyField(column_name='by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        at = pw.DateTimeField()
        reached = pw.BooleanField(default=True)
        note = pw.CharField(default='', max_length=300)
        satisfaction = pw.CharField(default='', max_length=16)

        class Meta:
            table_name = "call"
            indexes = [(('case', 'at'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.remove_model("call")
    migrator.remove_model("cases")
    migrator.remove_model("price_item")
    migrator.remove_model("attachment")
