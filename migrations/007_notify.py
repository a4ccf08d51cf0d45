"""Migration 007: the inbox, push subscriptions, WeCom robots, the delivery log; quiet hours; the reminder index."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Apply the migration."""
    # Plain ALTERs with defaults: SQLite adds the columns in place (no table rebuild).
    migrator.sql('ALTER TABLE "user" ADD COLUMN quiet_start INTEGER NOT NULL DEFAULT 1320')
    migrator.sql('ALTER TABLE "user" ADD COLUMN quiet_end INTEGER NOT NULL DEFAULT 420')

    @migrator.create_model
    class Notification(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        kind = pw.CharField(default='info', max_length=16)
        title = pw.CharField(max_length=200)
        body = pw.TextField(default='')
        url = pw.CharField(max_length=300, null=True)
        urgent = pw.BooleanField(default=False)
        created_at = pw.DateTimeField()
        read_at = pw.DateTimeField(null=True)
        send_after = pw.DateTimeField(null=True)
        sent_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "notification"
            indexes = [(('user', 'created_at'), False)]

    @migrator.create_model
    class PushSubscription(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        endpoint = pw.CharField(max_length=1000, unique=True)
        p256dh = pw.CharField(max_length=200)
        auth = pw.CharField(max_length=100)
        user_agent = pw.CharField(default='', max_length=200)
        created_at = pw.DateTimeField()
        last_ok_at = pw.DateTimeField(null=True)
        failures = pw.IntegerField(default=0)
        backoff_until = pw.DateTimeField(null=True)

        class Meta:
            table_name = "push_subscription"

    @migrator.create_model
    class WeComWebhook(pw.Model):
        id = pw.AutoField()
        estate = pw.ForeignKeyField(column_name='estate_id', field='id', model=migrator.orm['estate'], on_delete='CASCADE')
        team = pw.CharField(default='', max_length=16)
        url = pw.CharField(max_length=500)
        created_at = pw.DateTimeField()
        last_ok_at = pw.DateTimeField(null=True)
        failures = pw.IntegerField(default=0)

        class Meta:
            table_name = "wecom_webhook"
            indexes = [(('estate', 'team'), True)]

    @migrator.create_model
    class Delivery(pw.Model):
        id = pw.AutoField()
        channel = pw.CharField(max_length=8)
        target = pw.IntegerField()
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], null=True, on_delete='CASCADE')
        payload = pw.TextField()
        token = pw.CharField(max_length=32)
        status = pw.CharField(default='queued', max_length=8)
        attempts = pw.IntegerField(default=0)
        last_status = pw.IntegerField(null=True)
        last_error = pw.CharField(default='', max_length=300)
        created_at = pw.DateTimeField()
        next_try_at = pw.DateTimeField(null=True)
        sent_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "delivery"
            indexes = [(('status', 'next_try_at'), False)]

    # Partial indexes: the bell counts unread rows, the scheduler looks for what to send
    # and which duties to remind; each index holds only those rows.
    migrator.sql("CREATE INDEX notification_unread ON notification (user_id) WHERE read_at IS NULL")
    migrator.sql("CREATE INDEX notification_to_send ON notification (send_after) WHERE sent_at IS NULL")
    migrator.sql("CREATE INDEX duty_to_remind ON duty (due_at) WHERE done_at IS NULL AND notified_at IS NULL")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Undo the migration."""
    migrator.sql("DROP INDEX duty_to_remind")
    migrator.remove_model('delivery')
    migrator.remove_model('wecom_webhook')
    migrator.remove_model('push_subscription')
    migrator.remove_model('notification')
    migrator.remove_fields('user', 'quiet_start', 'quiet_end')
