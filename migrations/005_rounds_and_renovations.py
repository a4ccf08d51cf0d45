"""Migration 005: checklist templates, rounds, item results, QR checkpoints; renovation permits and worker passes."""

from decimal import ROUND_HALF_EVEN, Decimal

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    @migrator.create_model
    class Checkpoint(pw.Model):
        id = pw.AutoField()
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        patch = pw.ForeignKeyField(column_name='patch_id', field='id', model=migrator.orm['patch'], null=True, on_delete='SET NULL')
        name = pw.CharField(max_length=60)
        position = pw.IntegerField(default=0)
        active = pw.BooleanField(default=True)

        class Meta:
            table_name = "checkpoint"
            indexes = [(('estate', 'name'), True)]

    @migrator.create_model
    class Template(pw.Model):
        id = pw.AutoField()
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        family = pw.CharField(max_length=24)
        name = pw.CharField(max_length=80)
        name_en = pw.CharField(default='', max_length=80)
        version = pw.IntegerField(default=1)
        created_at = pw.DateTimeField()
        created_by = pw.ForeignKeyField(column_name='created_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        retired_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "template"
            indexes = [(('estate', 'family', 'version'), True)]

    @migrator.create_model
    class Round(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        kind = pw.CharField(max_length=16)
        template = pw.ForeignKeyField(column_name='template_id', field='id', model=migrator.orm['template'], on_delete='RESTRICT')
        place_kind = pw.CharField(max_length=16)
        place_id = pw.IntegerField(null=True)
        place_label = pw.CharField(max_length=80)
        parent = pw.ForeignKeyField(column_name='parent_id', field='id', model='self', null=True, on_delete='SET NULL')
        by = pw.ForeignKeyField(column_name='by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        started_at = pw.DateTimeField()
        finished_at = pw.DateTimeField(null=True)
        score = pw.IntegerField(null=True)
        max_score = pw.IntegerField(null=True)
        vetoed = pw.BooleanField(default=False)
        keys_note = pw.CharField(default='', max_length=200)
        note = pw.TextField(default='')

        class Meta:
            table_name = "round"
            indexes = [(('estate', 'kind', 'started_at'), False), (('by', 'finished_at'), False), (('place_kind', 'place_id'), False)]

    @migrator.create_model
    class CheckpointVisit(pw.Model):
        id = pw.AutoField()
        round = pw.ForeignKeyField(column_name='round_id', field='id', model=migrator.orm['round'], on_delete='CASCADE')
        checkpoint = pw.ForeignKeyField(column_name='checkpoint_id', field='id', model=migrator.orm['checkpoint'], on_delete='CASCADE')
        at = pw.DateTimeField()
        by = pw.ForeignKeyField(column_name='by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')

        class Meta:
            table_name = "checkpoint_visit"
            indexes = [(('round', 'checkpoint'), True)]

    @migrator.create_model
    class TemplateItem(pw.Model):
        id = pw.AutoField()
        template = pw.ForeignKeyField(column_name='template_id', field='id', model=migrator.orm['template'], on_delete='CASCADE')
        position = pw.IntegerField()
        section = pw.CharField(max_length=60)
        section_en = pw.CharField(default='', max_length=60)
        text = pw.CharField(max_length=300)
        text_en = pw.CharField(default='', max_length=300)
        points = pw.IntegerField(default=0)
        needs_photo = pw.BooleanField(default=False)
        needs_note = pw.BooleanField(default=False)
        opens_case = pw.CharField(default='', max_length=16)
        veto = pw.BooleanField(default=False)

        class Meta:
            table_name = "template_item"
            indexes = [(('template', 'position'), True)]

    @migrator.create_model
    class ItemResult(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        round = pw.ForeignKeyField(column_name='round_id', field='id', model=migrator.orm['round'], on_delete='CASCADE')
        item = pw.ForeignKeyField(column_name='item_id', field='id', model=migrator.orm['template_item'], on_delete='RESTRICT')
        result = pw.CharField(max_length=4)
        deduction = pw.IntegerField(default=0)
        note = pw.CharField(default='', max_length=500)
        at = pw.DateTimeField()
        by = pw.ForeignKeyField(column_name='by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')
        case_id = pw.IntegerField(null=True)

        class Meta:
            table_name = "item_result"
            indexes = [(('round', 'item'), True)]

    @migrator.create_model
    class Permit(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], on_delete='CASCADE')
        applicant = pw.CharField(max_length=50)
        applicant_phone = pw.CharField(default='', max_length=20)
        contractor = pw.CharField(max_length=80)
        contractor_phone = pw.CharField(default='', max_length=20)
        starts_on = pw.DateField()
        ends_on = pw.DateField()
        hours = pw.CharField(default='08:00-12:00, 14:00-18:00', max_length=40)
        deposit = pw.DecimalField(auto_round=False, decimal_places=2, default=Decimal('0'), max_digits=10, rounding=ROUND_HALF_EVEN)
        scope = pw.TextField(default='')
        status = pw.CharField(default='applied', max_length=16)
        created_at = pw.DateTimeField()
        created_by = pw.ForeignKeyField(column_name='created_by_id', field='id', model=migrator.orm['user'], on_delete='RESTRICT')

        class Meta:
            table_name = "permit"
            indexes = [(('estate', 'status', 'ends_on'), False), (('unit', 'id'), False)]

    @migrator.create_model
    class WorkerPass(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        permit = pw.ForeignKeyField(column_name='permit_id', field='id', model=migrator.orm['permit'], on_delete='CASCADE')
        name = pw.CharField(max_length=50)
        id_tail = pw.CharField(max_length=8)
        phone = pw.CharField(default='', max_length=20)
        valid_until = pw.DateField()
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "worker_pass"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    for table in ("worker_pass", "permit", "item_result", "template_item", "checkpoint_visit", "round",
                  "template", "checkpoint"):
        migrator.remove_model(table)
