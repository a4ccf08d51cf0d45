"""The inbox, push subscriptions, WeCom robots and the delivery log."""
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Select,
    TextField,
    Tuple,
    ValuesList,
    fn,
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
    # The WeCom app message's own claim: set to send_after when made, emptied by the
    # dispatcher that takes it (a member over his send budget keeps his waiting, batched).
    wecom_due = DateTimeField(null=True)

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
Notification.add_index(Notification.index(Notification.wecom_due, where=Notification.wecom_due.is_null(False),
                                          name="notification_wecom_due"))


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


class WeComApp(BaseModel):
    """An estate's 企业微信 self-built app (自建应用): app messages to one member at a time.

    The secret never leaves this row (pages say "set"). The access token is cached here,
    shared by every worker: whoever takes the refresh lease (a conditional UPDATE on
    token_lease_until) fetches it, the others wait for the row.
    """

    estate = ForeignKeyField(Estate, backref="wecom_apps", on_delete="CASCADE", unique=True)
    corp_id = CharField(max_length=64)
    agent_id = CharField(max_length=16)
    secret = CharField(max_length=200)
    base_url = CharField(max_length=300, default="")  # where a card's link opens Bluebird
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)
    access_token = CharField(max_length=600, null=True)
    token_expires_at = DateTimeField(null=True)
    token_lease_until = DateTimeField(null=True)
    token_fetches = IntegerField(default=0)
    last_ok_at = DateTimeField(null=True)
    last_error = CharField(max_length=300, default="")

    class Meta:
        table_name = "wecom_app"

    def __repr__(self):  # never the secret, nor the token, in a log line
        return f"<WeComApp estate={self.estate_id} corp={self.corp_id} agent={self.agent_id}>"


class NotifyProfile(BaseModel):
    """A person's channels: push, WeCom or both, and his WeCom userid (the inbox always)."""

    PUSH, WECOM, BOTH = "push", "wecom", "both"

    user = ForeignKeyField(User, primary_key=True, backref="notify_profile", on_delete="CASCADE")
    channel = CharField(max_length=8, default=BOTH)
    wecom_userid = CharField(max_length=64, default="")
    wecom_bad_at = DateTimeField(null=True)  # WeCom said 81013: no such member (until fixed)
    wecom_bad_reason = CharField(max_length=200, default="")
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "notify_profile"

    @property
    def wants_push(self) -> bool:
        return self.channel in (self.PUSH, self.BOTH)

    @property
    def wants_wecom(self) -> bool:
        return self.channel in (self.WECOM, self.BOTH)

    @classmethod
    def of(cls, user_id) -> "NotifyProfile":
        """The person's profile (an unsaved default one if he has none yet)."""
        return cls.get_or_none(cls.user == user_id) or cls(user=user_id)


class Delivery(BaseModel):
    """One message to one push subscription or robot: the outbox row and its log."""

    QUEUED, SENDING, SENT, GONE, FAILED = "queued", "sending", "sent", "gone", "failed"

    channel = CharField(max_length=8)  # webpush | wecom (a robot) | wxapp (a WeCom app message)
    target = IntegerField()  # PushSubscription, WeComWebhook or (wxapp) User id (no FK: the log outlives it)
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

    @classmethod
    def _pairs(cls, a, b, pairs):
        # (a, b) IN (VALUES (?, ?), …): one condition per row, on SQLite and PostgreSQL alike.
        if len(pairs) == 1:
            return (a == pairs[0][0]) & (b == pairs[0][1])
        return Tuple(a, b).in_(ValuesList(pairs))

    @classmethod
    def claim(cls, pairs, lease_until, columns) -> list["Delivery"]:
        """Take queued deliveries, given as (id, token) pairs, for sending: one conditional
        UPDATE for all; returns `columns` of the rows this caller got (a row taken by
        another sender, or whose token differs, is not among them)."""
        return list(cls.update(status=cls.SENDING, attempts=cls.attempts + 1, lease_until=lease_until).where(
            cls._pairs(cls.id, cls.token, pairs) & (cls.status == cls.QUEUED)).returning(*columns).execute())

    @classmethod
    def insert_within_budget(cls, rows, windows) -> list["Delivery"]:
        """Insert outbox rows (dicts of the same fields, one channel), each only while its user has fewer
        than `limit` rows of its channel made after `since`, for every (since, limit) of
        `windows`: the budget is counted in the INSERT itself. Returns the rows inserted
        (id, token, user); a row over budget is left out."""
        if not rows:
            return []
        channel = rows[0]["channel"]
        if any(row["channel"] != channel for row in rows):
            raise ValueError("one channel at a time")
        fields = [cls._meta.fields[name] for name in rows[0]]
        # (SQLite and PostgreSQL both call the columns of a VALUES list column1, column2, …)
        values = ValuesList([tuple(field.db_value(row[field.name]) for field in fields) for row in rows], alias="v")
        new = {f.name: getattr(values.c, f"column{i}") for i, f in enumerate(fields, 1)}
        within = None
        for since, limit in windows:
            # (the channel as a literal: the partial index delivery_wxapp_user answers the count)
            made = (cls.select(fn.COUNT(cls.id)).where((cls.channel == channel) & (cls.user == new["user"])
                                                        & (cls.created_at > since)))
            within = (made < limit) if within is None else (within & (made < limit))
        query = Select([values], [new[f.name] for f in fields]).where(within)
        return list(cls.insert_from(query, fields).returning(cls.id, cls.token, cls.user).execute())

    @classmethod
    def settle(cls, pairs, fields) -> int:
        """Write `fields` on the deliveries, given as (id, attempts) pairs, that are still
        being sent by the claim that counted those attempts (one whose lease was taken
        over since changes nothing)."""
        return cls.update(fields).where(cls._pairs(cls.id, cls.attempts, pairs)
                                        & (cls.status == cls.SENDING)).execute()


Delivery.add_index(Delivery.index(Delivery.lease_until, where=Delivery.status.in_([Delivery.QUEUED, Delivery.SENDING]),
                                  name="delivery_lease"))
# A member's WeCom send budget counts his app messages of the last minute and hour.
Delivery.add_index(Delivery.index(Delivery.user, Delivery.created_at, where=Delivery.channel == "wxapp",
                                  name="delivery_wxapp_user"))
