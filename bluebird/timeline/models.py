"""Timeline events. Rows are only ever inserted; nothing updates or deletes them."""
import json

from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, TextField

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import BaseModel
from bluebird.estate.models import Estate


class Event(BaseModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    subject = CharField(max_length=40)  # "unit:12", "case:7": the same keys Duty uses
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    verb = CharField(max_length=40)
    detail = TextField(default="{}")
    at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("subject", "at"), False),)

    @property
    def data(self) -> dict:
        return json.loads(self.detail or "{}")

    @classmethod
    def for_subject(cls, subject: str):
        """A thing's timeline, newest first."""
        return (
            cls.select(cls, User)
            .join(User, join_type=JOIN.LEFT_OUTER)
            .where(cls.subject == subject)
            .order_by(cls.at.desc(), cls.id.desc())
        )


def record(estate_id, subject: str, actor, verb: str, **detail) -> Event:
    """Append one event to a thing's timeline."""
    return Event.create(
        estate=estate_id,
        subject=subject,
        actor=actor,
        verb=verb,
        detail=json.dumps(detail, ensure_ascii=False, default=str),
        at=clock.now(),
    )
