"""Timeline events. Rows are only ever inserted; nothing updates or deletes them."""
import json
from contextvars import ContextVar

from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, IntegrityError, TextField

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import ReplaySafe, parse_uuid, prepared, replayed
from bluebird.estate.models import Estate

# The step being done (see `once`): (client_uuid, subject). The next event recorded about
# that subject carries the uuid.
_claim: ContextVar = ContextVar("timeline_claim", default=None)


class Event(ReplaySafe):
    """One line of a thing's timeline. A state change done through `once` stores its
    submission's client_uuid on the first event it writes: that insert is its claim."""

    replay_scope = ("estate", "actor", "subject")

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

    @staticmethod
    @prepared
    def timeline(*, subject=""):
        """`for_subject` compiled once, for the pages that show a whole timeline."""
        return Event.for_subject(subject)

    @staticmethod
    @prepared
    def latest(*, subject="", limit=0):
        """The newest `limit` of a thing's timeline, compiled once."""
        return Event.for_subject(subject).limit(limit)


def record(estate_id, subject: str, actor, verb: str, **detail) -> Event:
    """Append one event to a thing's timeline (the first one of a step done through `once`
    carries the step's client_uuid)."""
    claim, key = _claim.get(), None
    if claim is not None and claim[1] == subject:
        key = claim[0]
        _claim.set(None)
    return Event.create(
        client_uuid=key,
        estate=estate_id,
        subject=subject,
        actor=actor,
        verb=verb,
        detail=json.dumps(detail, ensure_ascii=False, default=str),
        at=clock.now(),
    )


def applied(client_uuid, *, estate_id, actor_id, subject) -> bool:
    """Tell whether a step with this client_uuid was already done (ReplayConflict if the uuid
    names another person's, estate's or thing's step)."""
    return replayed(Event, client_uuid, estate=estate_id, actor=actor_id, subject=subject) is not None


def once(client_uuid, *, estate_id, actor_id, subject, conflict, action):
    """Do one state change (dispatch, return a key, a visitor out…) once per submission.

    `action()` runs the step in its own transaction; the first event it records about
    `subject` carries the uuid (unique). A replay of a step already done returns None and does nothing: found
    before acting, or after acting when a twin sent at the same moment won (our event's
    insert fails and the transaction rolls back, or the step meets the state the twin left
    and raises `conflict` with status 409). A different submission gets its honest 409.
    """
    key = parse_uuid(client_uuid)
    if key is None:
        return action()
    scope = {"estate_id": estate_id, "actor_id": actor_id, "subject": subject}
    if applied(key, **scope):
        return None
    token = _claim.set((key, subject))
    try:
        return action()
    except IntegrityError:
        if applied(key, **scope):
            return None
        raise
    except conflict as exc:
        if getattr(exc, "status", None) == 409 and applied(key, **scope):
            return None
        raise
    finally:
        _claim.reset(token)
