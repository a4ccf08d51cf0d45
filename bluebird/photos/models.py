"""Attachments: one model links a photo to a case, a case event, a round item or a permit."""
import secrets

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import ReplaySafe, prepared
from bluebird.estate.models import Estate


def _token():
    return secrets.token_urlsafe(18)


class Attachment(ReplaySafe):
    replay_scope = ("estate", "by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    subject = CharField(max_length=40)  # "case:7", "round_item:3", "permit:2": as Duty and Event
    token = CharField(max_length=32, unique=True, default=_token)  # the unguessable URL part
    display_key = CharField(max_length=80)
    thumb_key = CharField(max_length=80)
    sha256 = CharField(max_length=64)  # of the stored display bytes: tampering shows
    thumb_sha256 = CharField(max_length=64)
    width = IntegerField()
    height = IntegerField()
    source_format = CharField(max_length=8, default="")
    place = CharField(max_length=80, default="")
    captured_at = DateTimeField(null=True)
    received_at = DateTimeField(default=clock.now)
    by = ForeignKeyField(User, null=True, on_delete="RESTRICT")  # None: the owner, through his survey link
    deleted_at = DateTimeField(null=True)
    deleted_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="deleted_attachments")

    class Meta:
        indexes = ((("subject", "id"), False),)

    @classmethod
    def for_subject(cls, subject: str):
        """The live photos of one thing, oldest first."""
        return cls.select().where((cls.subject == subject) & cls.deleted_at.is_null()).order_by(cls.id)

    @classmethod
    def for_subjects(cls, subjects):
        """The live photos of several things at once, grouped by subject."""
        grouped: dict[str, list] = {}
        subjects = list(subjects)
        if subjects:
            # One subject (a case page, a round item) is the common ask: its SQL is compiled once.
            query = (_live_photos(subject=subjects[0]) if len(subjects) == 1 else
                     cls.select().where(cls.subject.in_(subjects) & cls.deleted_at.is_null()).order_by(cls.id))
            for att in query:
                grouped.setdefault(att.subject, []).append(att)
        return grouped


@prepared
def _live_photos(*, subject=""):
    return Attachment.for_subject(subject)
