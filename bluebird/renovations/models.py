"""Renovation permits and outside-worker passes (出入证)."""
from flask_babel import lazy_gettext as _l
from peewee import CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, TextField

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import ReplaySafe
from bluebird.estate.models import Estate, Unit


class PermitStatus:
    APPLIED = "applied"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    LABELS = {APPLIED: _l("Applied"), APPROVED: _l("Approved"), IN_PROGRESS: _l("In progress"),
              ACCEPTED: _l("Accepted"), CLOSED: _l("Closed")}
    ACTIVE = (APPROVED, IN_PROGRESS)  # checked every day
    NEXT = {APPLIED: APPROVED, APPROVED: IN_PROGRESS, IN_PROGRESS: ACCEPTED, ACCEPTED: CLOSED}


class Permit(ReplaySafe):
    replay_scope = ("estate", "created_by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    unit = ForeignKeyField(Unit, on_delete="CASCADE")
    applicant = CharField(max_length=50)
    applicant_phone = CharField(max_length=20, default="")
    contractor = CharField(max_length=80)
    contractor_phone = CharField(max_length=20, default="")
    starts_on = DateField()
    ends_on = DateField()
    hours = CharField(max_length=40, default="08:00-12:00, 14:00-18:00")
    deposit = DecimalField(max_digits=10, decimal_places=2, default=0)
    scope = TextField(default="")
    status = CharField(max_length=16, default=PermitStatus.APPLIED)
    created_at = DateTimeField(default=clock.now)
    created_by = ForeignKeyField(User, on_delete="RESTRICT")

    class Meta:
        indexes = ((("estate", "status", "ends_on"), False), (("unit", "id"), False))

    @property
    def subject(self) -> str:
        return f"permit:{self.id}"

    @property
    def status_label(self):
        return PermitStatus.LABELS.get(self.status, self.status)

    def overrun(self, today) -> bool:
        """Past its end date and not yet accepted."""
        return self.ends_on < today and self.status in (PermitStatus.APPLIED,) + PermitStatus.ACTIVE

    @classmethod
    def in_estate(cls, estate_id):
        return (cls.select(cls, Unit).join(Unit).where(cls.estate == estate_id)
                .order_by(cls.status != PermitStatus.IN_PROGRESS, cls.ends_on))

    @classmethod
    def active_on(cls, estate_id, day):
        """Permits whose sites are to be checked on `day`."""
        return cls.select().where((cls.estate == estate_id) & cls.status.in_(PermitStatus.ACTIVE)
                                  & (cls.starts_on <= day))


class WorkerPass(ReplaySafe):
    replay_scope = ("permit",)  # a permit is one estate's
    permit = ForeignKeyField(Permit, backref="passes", on_delete="CASCADE")
    name = CharField(max_length=50)
    id_tail = CharField(max_length=8)  # only the last digits of the ID card are kept
    phone = CharField(max_length=20, default="")
    valid_until = DateField()
    created_at = DateTimeField(default=clock.now)

    @property
    def masked_id(self) -> str:
        return "**************" + self.id_tail[-4:]
