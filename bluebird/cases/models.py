"""Cases, the calls made about them, and the paid-service price list."""
from peewee import (
    JOIN,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from bluebird import clock
from bluebird.auth.models import User
from bluebird.cases.kinds import CaseKind, CaseStatus
from bluebird.db import BaseModel, ReplaySafe, prepared
from bluebird.estate.models import Building, Estate, Resident, Unit, mask_phone


class PriceItem(BaseModel):
    """One line of the paid-service price list (有偿服务价目表)."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=80)
    price = DecimalField(max_digits=10, decimal_places=2)
    unit_label = CharField(max_length=16, default="次")
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("estate", "name"), True),)

    @classmethod
    def offered(cls, estate_id):
        """The estate's active price list, by name."""
        return cls.select().where((cls.estate == estate_id) & cls.active).order_by(cls.name)


class Case(ReplaySafe):
    replay_scope = ("estate", "registrar")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=16)
    status = CharField(max_length=16, default=CaseStatus.NEW)
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    building = ForeignKeyField(Building, null=True, on_delete="SET NULL")  # for filters
    place = CharField(max_length=80, default="")  # a public area when there is no unit
    resident = ForeignKeyField(Resident, null=True, on_delete="SET NULL")
    contact_name = CharField(max_length=50, default="")
    contact_phone = CharField(max_length=20, default="")
    source = CharField(max_length=16)
    category = CharField(max_length=32, default="")
    description = TextField()
    registrar = ForeignKeyField(User, backref="registered_cases", on_delete="RESTRICT")
    assignee = ForeignKeyField(User, null=True, backref="assigned_cases", on_delete="SET NULL")
    department = CharField(max_length=40, default="")
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)
    # Repairs (报修)
    scope = CharField(max_length=16, default="")  # household / public
    trade = CharField(max_length=16, default="")  # water / electric / heating / civil / other
    work_type = CharField(max_length=16, default="")  # basic / materials
    warranty = BooleanField(default=False)  # the construction company's job
    paid = BooleanField(default=False)  # 有偿服务
    price_item = ForeignKeyField(PriceItem, null=True, on_delete="SET NULL")
    price = DecimalField(max_digits=10, decimal_places=2, null=True)
    emergency = BooleanField(default=False)
    minor = BooleanField(default=True)  # 零修: finished the same day
    dispatched_at = DateTimeField(null=True)
    arrived_at = DateTimeField(null=True)
    done_at = DateTimeField(null=True)
    work_done = TextField(default="")
    materials = CharField(max_length=200, default="")
    # Complaints (投诉)
    target = CharField(max_length=16, default="")  # design / construction / inspection / other
    target_name = CharField(max_length=80, default="")  # the person or department complained about
    cause = TextField(default="")
    promised_on = DateField(null=True)
    resolution = TextField(default="")
    # Inquiries, incidents and info slips answer or report in `resolution` too.
    closed_at = DateTimeField(null=True)
    satisfaction = CharField(max_length=16, default="")
    satisfaction_note = CharField(max_length=200, default="")
    reopened = IntegerField(default=0)
    # A complaint about a repair (针对工单): the link the assessment's "the repair drew a
    # complaint" (003 篇1 §4) counts by. Null for a complaint about nothing in particular.
    about_case = ForeignKeyField("self", null=True, backref="complaints_about", on_delete="SET NULL")

    class Meta:
        table_name = "cases"  # CASE is an SQL keyword
        indexes = (
            (("estate", "id"), False),
            (("estate", "kind", "id"), False),
            (("estate", "status", "id"), False),
            (("assignee", "status"), False),
            (("building", "id"), False),
            (("unit", "id"), False),
        )

    @classmethod
    def repair_by_number(cls, estate_id, number: str):
        """The estate's repair with this number (BX000123, bx123 or 123), or None."""
        text = (number or "").strip().upper()
        prefix = CaseKind.PREFIX[CaseKind.REPAIR]
        digits = text[len(prefix):] if text.startswith(prefix) else text
        if not digits.isdigit() or len(digits) > 12:
            return None
        return cls.get_or_none((cls.id == int(digits)) & (cls.estate == estate_id) & (cls.kind == CaseKind.REPAIR))

    @classmethod
    def complaints_about_repair(cls, estate_id, case_id):
        """The complaints registered about one repair, oldest first (cancelled ones too: the page says so)."""
        return (cls.select(cls.id, cls.kind, cls.status, cls.created_at, cls.description)
                .where((cls.estate == estate_id) & (cls.kind == CaseKind.COMPLAINT) & (cls.about_case == case_id))
                .order_by(cls.id))

    @classmethod
    def with_unit(cls, estate_id, case_id):
        """One case of an estate with its unit in the same query (the case page), or None."""
        return _case_with_unit.first(estate_id=estate_id, case_id=case_id)

    @property
    def subject(self) -> str:
        """The key duties and the timeline use for this case."""
        return f"case:{self.id}"

    @property
    def number(self) -> str:
        """The case number staff read out: BX000123."""
        return case_number(self.kind, self.id)

    @property
    def kind_label(self):
        return CaseKind.LABELS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return CaseStatus.LABELS.get(self.status, self.status)

    @property
    def where(self) -> str:
        return self.unit.code if self.unit_id else self.place

    @property
    def is_open(self) -> bool:
        return self.status in CaseStatus.OPEN

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)


def case_number(kind: str, case_id: int) -> str:
    """BX000123: the kind's prefix and the id (Case.number, and the list's plain rows)."""
    return f"{CaseKind.PREFIX.get(kind, 'GD')}{case_id:06d}"


class Call(ReplaySafe):
    """A call made about a case: telling the owner, a call-back, a satisfaction call."""

    replay_scope = ("case", "by")

    case = ForeignKeyField(Case, backref="calls", on_delete="CASCADE")
    kind = CharField(max_length=24)
    by = ForeignKeyField(User, on_delete="RESTRICT")
    at = DateTimeField(default=clock.now)
    reached = BooleanField(default=True)
    note = CharField(max_length=300, default="")
    satisfaction = CharField(max_length=16, default="")

    class Meta:
        indexes = ((("case", "at"), False),)

    @staticmethod
    @prepared
    def of_case(*, case_id=0):
        """A case's calls in time order (the case page), compiled once."""
        return Call.select().where(Call.case == case_id).order_by(Call.at)


@prepared
def _case_with_unit(*, estate_id=0, case_id=0):
    """Case.with_unit's query, compiled once: every case page and step asks it."""
    return (Case.select(Case, Unit).join(Unit, JOIN.LEFT_OUTER, on=(Case.unit == Unit.id))
            .where((Case.id == case_id) & (Case.estate == estate_id)).limit(1))
