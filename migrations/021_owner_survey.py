"""Migration 021: the owner's satisfaction survey (rounds, links, answers, scores); a photo an
owner adds through his survey link has no staff uploader (attachment.by_id may be NULL)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""

    @migrator.create_model
    class SurveyRound(pw.Model):
        id = pw.AutoField()
        client_uuid = pw.UUIDField(null=True, unique=True)
        estate = pw.ForeignKeyField(column_name="estate_id", field="id", model=migrator.orm["estate"],
                                    on_delete="CASCADE")
        building = pw.ForeignKeyField(column_name="building_id", field="id", model=migrator.orm["building"],
                                      null=True, on_delete="SET NULL")
        title = pw.CharField(max_length=80)
        started_by = pw.ForeignKeyField(column_name="started_by_id", field="id", model=migrator.orm["user"],
                                        on_delete="RESTRICT")
        started_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        invited = pw.IntegerField(default=0)

        class Meta:
            table_name = "survey_round"
            indexes = [(("estate", "started_at"), False)]

    @migrator.create_model
    class Invitation(pw.Model):
        id = pw.AutoField()
        estate = pw.ForeignKeyField(column_name="estate_id", field="id", model=migrator.orm["estate"],
                                    on_delete="CASCADE")
        unit = pw.ForeignKeyField(column_name="unit_id", field="id", model=migrator.orm["unit"], null=True,
                                  on_delete="SET NULL")
        building = pw.ForeignKeyField(column_name="building_id", field="id", model=migrator.orm["building"],
                                      null=True, on_delete="SET NULL")
        case = pw.ForeignKeyField(column_name="case_id", field="id", model=migrator.orm["cases"], null=True,
                                  on_delete="CASCADE")
        survey_round = pw.ForeignKeyField(column_name="survey_round_id", field="id",
                                          model=migrator.orm["survey_round"], null=True, on_delete="CASCADE")
        kind = pw.CharField(max_length=16)
        target = pw.CharField(max_length=32, default="")
        nonce = pw.CharField(max_length=32)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        answered_at = pw.DateTimeField(null=True)
        issued_by = pw.ForeignKeyField(column_name="issued_by_id", field="id", model=migrator.orm["user"],
                                       null=True, on_delete="SET NULL")

        class Meta:
            table_name = "survey_invitation"
            indexes = [(("estate", "answered_at", "expires_at"), False), (("estate", "created_at"), False),
                       (("case",), False),
                       (("survey_round", "unit"), False)]

    @migrator.create_model
    class Answer(pw.Model):
        id = pw.AutoField()
        estate = pw.ForeignKeyField(column_name="estate_id", field="id", model=migrator.orm["estate"],
                                    on_delete="CASCADE")
        invitation = pw.ForeignKeyField(column_name="invitation_id", field="id",
                                        model=migrator.orm["survey_invitation"], unique=True, on_delete="CASCADE")
        case = pw.ForeignKeyField(column_name="case_id", field="id", model=migrator.orm["cases"], null=True,
                                  on_delete="SET NULL")
        unit = pw.ForeignKeyField(column_name="unit_id", field="id", model=migrator.orm["unit"], null=True,
                                  on_delete="SET NULL")
        building = pw.ForeignKeyField(column_name="building_id", field="id", model=migrator.orm["building"],
                                      null=True, on_delete="SET NULL")
        kind = pw.CharField(max_length=16)
        target = pw.CharField(max_length=32, default="")
        answered_at = pw.DateTimeField()
        comment = pw.TextField(default="")

        class Meta:
            table_name = "survey_answer"
            indexes = [(("estate", "answered_at"), False)]

    @migrator.create_model
    class Score(pw.Model):
        id = pw.AutoField()
        answer = pw.ForeignKeyField(column_name="answer_id", field="id", model=migrator.orm["survey_answer"],
                                    on_delete="CASCADE")
        question = pw.CharField(max_length=24)
        score = pw.IntegerField()

        class Meta:
            table_name = "survey_score"
            indexes = [(("answer", "question"), True), (("answer", "question", "score"), False)]

    # An owner's photo has no staff uploader. PostgreSQL drops the constraint in place;
    # SQLite rebuilds the table (foreign keys are off while migrating: bluebird/migrate.py).
    migrator.drop_not_null("attachment", "by")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration (an owner's photos would have no uploader: they go first)."""
    migrator.sql("DELETE FROM attachment WHERE by_id IS NULL")
    migrator.add_not_null("attachment", "by")
    migrator.remove_model("survey_score")
    migrator.remove_model("survey_answer")
    migrator.remove_model("survey_invitation")
    migrator.remove_model("survey_round")
