"""The desk's logs: calls (电话记录表), visitors, messages, parcels, keys and loans, hand-overs.

Each log row carries the time it is about (`at`, `in_at`, `arrived_at`, `out_at`) in UTC
and, where people are named, the phone's last four digits for search. Queries live here
as classmethods returning unexecuted queries.
"""

from flask_babel import lazy_gettext as _l
from peewee import (
    JOIN,
    CharField,
    DateTimeField,
    ForeignKeyField,
    TextField,
)

from bluebird import clock
from bluebird.auth.models import User
from bluebird.cases.models import Case
from bluebird.db import ReplaySafe
from bluebird.estate.models import Estate, Unit, mask_phone


def phone_tail(phone: str) -> str:
    """The last four digits of a phone number, for search."""
    return "".join(c for c in phone or "" if c.isdigit())[-4:]


class _Phoned(ReplaySafe):
    """A log row naming a person with a phone: the tail is kept for search."""

    def save(self, *args, **kwargs):
        self.phone_tail = phone_tail(self.phone)
        return super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone or "")


class CallKind:
    NOTE = "note"  # answered on the phone, or simply logged
    REPAIR = "repair"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    MESSAGE = "message"  # for an absent colleague (留言)

    LABELS = {NOTE: _l("Logged"), REPAIR: _l("Repair"), COMPLAINT: _l("Complaint"), INQUIRY: _l("Inquiry"),
              MESSAGE: _l("Message")}
    CASES = (REPAIR, COMPLAINT, INQUIRY)


class PhoneCall(_Phoned):
    """One line of the phone log (电话记录表). Kept forever: never deleted; a correction
    is a new line pointing at the one it corrects."""
    replay_scope = ("estate", "taken_by")

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    at = DateTimeField()  # when the phone rang
    caller = CharField(max_length=50)
    phone = CharField(max_length=20, default="")
    phone_tail = CharField(max_length=4, default="")
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    place = CharField(max_length=80, default="")  # a public area, when there is no unit
    matter = TextField()
    kind = CharField(max_length=16, default=CallKind.NOTE)
    case = ForeignKeyField(Case, null=True, on_delete="SET NULL")
    corrects = ForeignKeyField("self", null=True, backref="corrections")
    taken_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "desk_call"
        indexes = ((("estate", "at"), False), (("estate", "phone_tail"), False), (("estate", "caller"), False),
                   (("unit", "at"), False))

    @property
    def subject(self) -> str:
        return f"deskcall:{self.id}"

    @property
    def number(self) -> str:
        """The number staff read out: DH000123."""
        return f"DH{self.id:06d}"

    @property
    def kind_label(self):
        return CallKind.LABELS.get(self.kind, self.kind)

    @property
    def where(self) -> str:
        return self.unit.code if self.unit_id else self.place

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("the phone log is kept forever (电话记录表永久保存)")

    def latest_correction(self):
        """The newest line correcting this one, if any."""
        return PhoneCall.select().where(PhoneCall.corrects == self.id).order_by(PhoneCall.id.desc()).first()


class Visitor(_Phoned):
    """A visit (来访登记): who, why, to whom or which unit, in and out."""
    replay_scope = ("estate", "logged_by")

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=50)
    phone = CharField(max_length=20, default="")
    phone_tail = CharField(max_length=4, default="")
    purpose = CharField(max_length=100)
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    whom = CharField(max_length=50, default="")  # a person or department, when not a unit
    in_at = DateTimeField()
    out_at = DateTimeField(null=True)
    logged_by = ForeignKeyField(User, on_delete="RESTRICT")
    out_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "desk_visitor"
        indexes = ((("estate", "in_at"), False), (("estate", "out_at"), False), (("estate", "phone_tail"), False),
                   (("estate", "name"), False))

    @property
    def subject(self) -> str:
        return f"visitor:{self.id}"

    @property
    def inside(self) -> bool:
        return self.out_at is None

    @property
    def visiting(self) -> str:
        return " · ".join(p for p in (self.unit.code if self.unit_id else "", self.whom) if p)

    @classmethod
    def still_inside(cls, estate_id):
        """Visitors who came in and have not been seen out, earliest first."""
        return (cls.select(cls, Unit).join(Unit, JOIN.LEFT_OUTER)
                .where((cls.estate == estate_id) & cls.out_at.is_null()).order_by(cls.in_at))

    @classmethod
    def last_by_phone(cls, estate_id, phone: str):
        """The latest visit by this phone number, to pre-fill a returning visitor."""
        digits = "".join(c for c in phone if c.isdigit())
        if len(digits) < 7:
            return None
        return (cls.select(cls, Unit).join(Unit, JOIN.LEFT_OUTER)
                .where((cls.estate == estate_id) & (cls.phone_tail == digits[-4:]) & (cls.phone == phone.strip()))
                .order_by(cls.in_at.desc()).first())


class StaffMessage(_Phoned):
    """A message for a colleague (留言): who called, when, for whom, what about."""
    replay_scope = ("estate", "taken_by")

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    at = DateTimeField()
    caller = CharField(max_length=50)
    phone = CharField(max_length=20, default="")
    phone_tail = CharField(max_length=4, default="")
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    recipient = ForeignKeyField(User, backref="desk_messages", on_delete="RESTRICT")
    matter = TextField()
    call = ForeignKeyField(PhoneCall, null=True, backref="messages")
    taken_by = ForeignKeyField(User, on_delete="RESTRICT")
    answered_at = DateTimeField(null=True)
    answered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    answer = CharField(max_length=300, default="")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "desk_message"
        indexes = ((("estate", "at"), False), (("recipient", "answered_at"), False),
                   (("estate", "phone_tail"), False), (("estate", "caller"), False))

    @property
    def subject(self) -> str:
        return f"deskmsg:{self.id}"

    @classmethod
    def unanswered(cls, estate_id):
        """Messages nobody has answered yet, oldest first."""
        return (cls.select(cls, User).join(User, on=(cls.recipient == User.id))
                .where((cls.estate == estate_id) & cls.answered_at.is_null()).order_by(cls.at))


class Parcel(ReplaySafe):
    """A parcel or letter at the desk (邮件包裹收发): arrival, the butler told, pickup."""
    replay_scope = ("estate", "logged_by")

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    carrier = CharField(max_length=30)
    tracking_tail = CharField(max_length=8, default="")
    unit = ForeignKeyField(Unit, on_delete="CASCADE")
    addressee = CharField(max_length=50, default="")
    note = CharField(max_length=200, default="")
    arrived_at = DateTimeField()
    logged_by = ForeignKeyField(User, on_delete="RESTRICT")
    told_at = DateTimeField(null=True)
    told_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    picked_up_at = DateTimeField(null=True)
    picked_up_by = CharField(max_length=50, default="")  # who collected it
    handed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "desk_parcel"
        indexes = ((("estate", "arrived_at"), False), (("estate", "picked_up_at"), False),
                   (("unit", "arrived_at"), False), (("estate", "tracking_tail"), False),
                   (("estate", "addressee"), False))

    @property
    def subject(self) -> str:
        return f"parcel:{self.id}"

    @property
    def waiting(self) -> bool:
        return self.picked_up_at is None

    @classmethod
    def waiting_in(cls, estate_id):
        """Parcels not yet collected, oldest first."""
        return (cls.select(cls, Unit).join(Unit)
                .where((cls.estate == estate_id) & cls.picked_up_at.is_null()).order_by(cls.arrived_at))


# The desk polls what is still open every 30 seconds, over books kept for years: these
# partial indexes hold only the open rows, so the poll does not grow with the history.
Visitor.add_index(Visitor.index(Visitor.estate, Visitor.in_at, where=Visitor.out_at.is_null(),
                                name="desk_visitor_inside"))
StaffMessage.add_index(StaffMessage.index(StaffMessage.estate, StaffMessage.at, where=StaffMessage.answered_at.is_null(),
                                          name="desk_message_unanswered"))
Parcel.add_index(Parcel.index(Parcel.estate, Parcel.arrived_at, where=Parcel.picked_up_at.is_null(),
                              name="desk_parcel_waiting"))


# The key cabinet and the hand-over live in models_keys.py; they are part of this module's models.
from bluebird.frontdesk.models_keys import Handover, Key, KeyKind, KeyLoan  # noqa: E402,F401
