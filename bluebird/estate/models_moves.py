"""Move-outs (迁出): the booked moving day (搬家预约) and its release slip (放行条)."""
import secrets

from flask_babel import lazy_gettext as _l
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, TextField

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import ReplaySafe, prepared
from bluebird.estate.models import Estate, Resident, Unit

# Letters and digits nobody misreads at a desk (no 0/O, 1/I/L).
SLIP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_slip_code() -> str:
    """A release slip's number as the desk types it: 6 unambiguous characters."""
    return "".join(secrets.choice(SLIP_ALPHABET) for _ in range(6))


class MoveOut(ReplaySafe):
    """A household (or one person of it) moving out: the moving day and the slip the
    gate and desk check before the furniture leaves."""

    ISSUED, RELEASED, HELD = "issued", "released", "held"
    STATUSES = {ISSUED: _l("Issued, not yet checked"), RELEASED: _l("Released"), HELD: _l("Held at the desk")}

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    unit = ForeignKeyField(Unit, on_delete="CASCADE")
    resident = ForeignKeyField(Resident, on_delete="CASCADE")  # who asked; others may leave with him
    names = CharField(max_length=200, default="")  # everybody who moved out with it
    moving_on = DateField()  # the booked moving day
    slot = CharField(max_length=20, default="")  # 09:00-12:00
    mover = CharField(max_length=80, default="")  # the moving company or van plate
    slip_code = CharField(max_length=8)
    status = CharField(max_length=12, default=ISSUED)
    note = TextField(default="")
    created_by = ForeignKeyField(User, on_delete="RESTRICT", backref="+")
    created_at = DateTimeField(default=clock.now)
    checked_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    checked_at = DateTimeField(null=True)
    check_note = CharField(max_length=200, default="")

    replay_scope = ("estate", "created_by")

    class Meta:
        table_name = "move_out"
        indexes = ((("estate", "slip_code"), True), (("estate", "moving_on"), False))

    @property
    def status_label(self):
        return self.STATUSES.get(self.status, self.status)

    @classmethod
    def for_desk(cls, estate_id, since):
        """Slips the desk may meet: not yet checked, or moving from `since` on; soonest first."""
        return (cls.select(cls, Unit).join(Unit)
                .where((cls.estate == estate_id) & ((cls.status == cls.ISSUED) | (cls.moving_on >= since)))
                .order_by(cls.moving_on, cls.id))

    @classmethod
    def by_code(cls, estate_id, code):
        return cls.get_or_none((cls.estate == estate_id) & (cls.slip_code == code.strip().upper()))

    @classmethod
    def of_unit(cls, unit_id):
        return cls.select().where(cls.unit == unit_id).order_by(cls.moving_on.desc(), cls.id.desc())

    @staticmethod
    @prepared
    def latest_of(*, unit_id=0, limit=0):
        """The unit's latest moves, compiled once (the unit page)."""
        return MoveOut.of_unit(unit_id).limit(limit)
