"""The inbox, push subscriptions, WeCom robots and the delivery log."""
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import BaseModel
from bluebird.estate.models import Estate


class Notification(BaseModel):
    """One entry of a user's inbox (通知). Every notice lands here, whatever else happens."""

    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    kind = CharField(max_length=16, default="info")  # reminder | escalation | info
    title = CharField(max_length=200)  # as first made; `shown_title` renders it for the reader
    message = TextField(null=True)  # JSON {"key", "params"} of the title (notify.messages)
    body = TextField(default="")
    url = CharField(max_length=300, null=True)  # the exact item a tap opens
    urgent = BooleanField(default=False)
    created_at = DateTimeField(default=clock.now)
    read_at = DateTimeField(null=True)
    # Push and WeCom go out at send_after (the end of quiet hours for non-urgent ones);
    # sent_at is the claim, so two schedulers never send one notification twice.
    send_after = DateTimeField(null=True)
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "created_at"), False),)

    @property
    def shown_title(self) -> str:
        """The title in the current locale (old rows: the stored text)."""
        from bluebird.notify.messages import render_title

        return render_title(self.message, self.title)

    @classmethod
    def inbox(cls, user_id):
        """A user's notifications, newest first."""
        return cls.select().where(cls.user == user_id).order_by(cls.created_at.desc(), cls.id.desc())

    @classmethod
    def unread(cls, user_id):
        """A user's unread notifications."""
        return cls.select().where((cls.user == user_id) & cls.read_at.is_null())

    @classmethod
    def to_send(cls, now):
        """Notifications whose push/WeCom time has come and that nobody has claimed."""
        return cls.select(cls.id).where(cls.sent_at.is_null() & (cls.send_after <= now)).order_by(cls.id)


Notification.add_index(Notification.index(Notification.user, where=Notification.read_at.is_null(),
                                          name="notification_unread"))
Notification.add_index(Notification.index(Notification.send_after, where=Notification.sent_at.is_null(),
                                          name="notification_to_send"))


class PushSubscription(BaseModel):
    """One browser (device) of a user that accepts web push; a user may have several."""

    user = ForeignKeyField(User, backref="push_subscriptions", on_delete="CASCADE")
    endpoint = CharField(max_length=1000, unique=True)
    p256dh = CharField(max_length=200)
    auth = CharField(max_length=100)
    user_agent = CharField(max_length=200, default="")
    created_at = DateTimeField(default=clock.now)
    last_ok_at = DateTimeField(null=True)
    failures = IntegerField(default=0)  # consecutive; reset by a success
    backoff_until = DateTimeField(null=True)  # the push service said 429: not before this

    def info(self) -> dict:
        """The subscription as pywebpush wants it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class WeComWebhook(BaseModel):
    """A 企业微信 group robot of an estate's team; team "" is the whole estate."""

    estate = ForeignKeyField(Estate, backref="wecom_webhooks", on_delete="CASCADE")
    team = CharField(max_length=16, default="")  # a role, or "" for everyone
    url = CharField(max_length=500)
    created_at = DateTimeField(default=clock.now)
    last_ok_at = DateTimeField(null=True)
    failures = IntegerField(default=0)

    class Meta:
        table_name = "wecom_webhook"
        indexes = ((("estate", "team"), True),)


class Delivery(BaseModel):
    """One message to one push subscription or robot: the outbox row and its log."""

    QUEUED, SENDING, SENT, GONE, FAILED = "queued", "sending", "sent", "gone", "failed"

    channel = CharField(max_length=8)  # webpush | wecom
    target = IntegerField()  # PushSubscription or WeComWebhook id (no FK: the log outlives it)
    user = ForeignKeyField(User, null=True, on_delete="CASCADE")
    payload = TextField()  # JSON: what is sent (under 4 KB)
    token = CharField(max_length=32)  # the task carries it: a stale task finds a mismatch
    status = CharField(max_length=8, default=QUEUED)
    attempts = IntegerField(default=0)
    last_status = IntegerField(null=True)  # the HTTP status of the last try
    last_error = CharField(max_length=300, default="")
    created_at = DateTimeField(default=clock.now)
    next_try_at = DateTimeField(null=True)
    sent_at = DateTimeField(null=True)
    # The claim's lease: queued, a task must pick it up by then; sending, the sender must
    # settle it by then. Past it, the next tick queues it again (service.reclaim_expired).
    lease_until = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_try_at"), False),)


Delivery.add_index(Delivery.index(Delivery.lease_until, where=Delivery.status.in_([Delivery.QUEUED, Delivery.SENDING]),
                                  name="delivery_lease"))
