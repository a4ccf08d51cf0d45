"""Migration 020: WeCom app messages to the person (an estate's self-built app, the shared
access token, each person's channel and WeCom userid, the WeCom claim on notifications)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""

    @migrator.create_model
    class WeComApp(pw.Model):
        estate = pw.ForeignKeyField(column_name="estate_id", field="id", model=migrator.orm["estate"],
                                    on_delete="CASCADE", unique=True)
        corp_id = pw.CharField(max_length=64)
        agent_id = pw.CharField(max_length=16)
        secret = pw.CharField(max_length=200)
        base_url = pw.CharField(max_length=300, default="")
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        access_token = pw.CharField(max_length=600, null=True)
        token_expires_at = pw.DateTimeField(null=True)
        token_lease_until = pw.DateTimeField(null=True)
        token_fetches = pw.IntegerField(default=0)
        last_ok_at = pw.DateTimeField(null=True)
        last_error = pw.CharField(max_length=300, default="")

        class Meta:
            table_name = "wecom_app"

    @migrator.create_model
    class NotifyProfile(pw.Model):
        user = pw.ForeignKeyField(column_name="user_id", field="id", model=migrator.orm["user"],
                                  on_delete="CASCADE", primary_key=True)
        channel = pw.CharField(max_length=8, default="both")
        wecom_userid = pw.CharField(max_length=64, default="")
        wecom_bad_at = pw.DateTimeField(null=True)
        wecom_bad_reason = pw.CharField(max_length=200, default="")
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "notify_profile"

    # Nullable: SQLite adds it in place. Notifications made before stay unclaimed (null):
    # an upgrade sends nothing old to WeCom.
    migrator.add_fields("notification", wecom_due=pw.DateTimeField(null=True))
    migrator.sql("CREATE INDEX notification_wecom_due ON notification (wecom_due) WHERE wecom_due IS NOT NULL")
    migrator.sql("CREATE INDEX delivery_wxapp_user ON delivery (user_id, created_at) WHERE channel = 'wxapp'")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql("DROP INDEX delivery_wxapp_user")
    migrator.sql("DROP INDEX notification_wecom_due")
    migrator.remove_fields("notification", "wecom_due")
    migrator.remove_model("notify_profile")
    migrator.remove_model("wecom_app")
