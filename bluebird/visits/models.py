"""Visits, each household's last contact, the weekly visit plans and the renovation
after-sales calls; the familiarity queries."""
from flask_babel import lazy_gettext as _l
from peewee import (
    JOIN,
    BooleanField,
    Case,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

from bluebird import clock
from bluebird.auth.models import User
from bluebird.cases.models import Case as CaseRow
from bluebird.db import BaseModel, ReplaySafe
from bluebird.estate.models import Building, Estate, Patch, Resident, Unit, UnitStatus
from bluebird.renovations.models import Permit


class Way:
    """How a visit was made."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    WECHAT = "wechat"
    LABELS = {IN_PERSON: _l("In person"), PHONE: _l("Phone"), WECHAT: _l("WeChat")}
    ALL = tuple(LABELS)


class ContactKind:
    """What counted as the last contact with a household."""

    VISIT = "visit"
    CASE = "case"
    CALL = "call"
    MOVE_IN = "move_in"
    SITE_CALL = "site_call"
    MEETING = "meeting"
    LABELS = {VISIT: _l("Visit"), CASE: _l("Case registered"), CALL: _l("Call-back"), MOVE_IN: _l("Move-in"),
              SITE_CALL: _l("Renovation call"), MEETING: _l("Owner meeting")}


# The statuses of a unit somebody lives in: its residents are a household to know.
LIVED_IN = (UnitStatus.OCCUPIED, UnitStatus.RENTED)


class Visit(ReplaySafe):
    """One visit to a household (走访): how, whom, what they said, what they asked for."""

    replay_scope = ("estate", "by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    unit = ForeignKeyField(Unit, on_delete="CASCADE")
    by = ForeignKeyField(User, on_delete="RESTRICT")
    at = DateTimeField(default=clock.now)
    way = CharField(max_length=16, default=Way.IN_PERSON)
    met = CharField(max_length=100, default="")  # who was met
    opinions = TextField(default="")  # 意见征询
    request = TextField(default="")  # what the household asked for
    case = ForeignKeyField(CaseRow, null=True, on_delete="SET NULL")  # the case the request became
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("unit", "at"), False), (("estate", "at"), False), (("by", "at"), False))

    @property
    def subject(self) -> str:
        return f"visit:{self.id}"

    @property
    def way_label(self):
        return Way.LABELS.get(self.way, self.way)

    @classmethod
    def of_unit(cls, unit_id, limit=20):
        """A household's visits, latest first."""
        return (cls.select(cls, User).join(User, on=(cls.by == User.id)).where(cls.unit == unit_id)
                .order_by(cls.at.desc()).limit(limit))

    @classmethod
    def recent_by(cls, user_id, limit=10):
        return (cls.select(cls, Unit).join(Unit).where(cls.by == user_id).order_by(cls.at.desc()).limit(limit))


class HouseholdContact(BaseModel):
    """A household's last contact of any kind: one row per unit, moved on by every contact.

    Familiarity and the visit plan read this one row per household instead of searching
    a million cases and calls.
    """

    unit = ForeignKeyField(Unit, primary_key=True, on_delete="CASCADE")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    last_at = DateTimeField()
    last_kind = CharField(max_length=16, default=ContactKind.VISIT)

    class Meta:
        table_name = "household_contact"

    @property
    def kind_label(self):
        return ContactKind.LABELS.get(self.last_kind, self.last_kind)


def _lived_in(query, estate_id, patch_id=None):
    query = query.where(Unit.status.in_(LIVED_IN) & fn.EXISTS(Resident.select(Resident.id).where(
        (Resident.unit == Unit.id) & Resident.moved_out_at.is_null())))
    if patch_id is None:
        return query.where(Unit.estate == estate_id)
    # A patch's buildings, then their units (the building index): not every unit of the estate.
    return query.where((Building.estate == estate_id) & (Building.patch == patch_id))


def _key_account():
    return fn.EXISTS(Resident.select(Resident.id).where(
        (Resident.unit == Unit.id) & Resident.key_account & Resident.moved_out_at.is_null()))


class Household:
    """A household is a lived-in unit (occupied or rented) with residents. The queries here
    return unexecuted queries or plain numbers."""

    @staticmethod
    def listing(estate_id, patch_id=None, with_key=True):
        """The households of an estate (or a patch) with their last contact (and key-account
        flag): never contacted first, then the longest ago."""
        columns = [Unit.id, Unit.code, Unit.status, Building.patch.alias("patch_id"),
                   HouseholdContact.last_at.alias("last_at"), HouseholdContact.last_kind.alias("last_kind")]
        if with_key:
            columns.append(_key_account().alias("key_account"))
        query = (Unit.select(*columns)
                 .join(Building, on=(Unit.building == Building.id))
                 .join_from(Unit, HouseholdContact, JOIN.LEFT_OUTER, on=(HouseholdContact.unit == Unit.id)))
        query = _lived_in(query, estate_id, patch_id)
        return query.order_by(HouseholdContact.last_at.is_null(False), HouseholdContact.last_at, Unit.code)

    @staticmethod
    def key_accounts(unit_ids) -> set:
        """Which of these units are key accounts (重点户)."""
        if not unit_ids:
            return set()
        return {r.unit_id for r in Resident.select(Resident.unit).where(
            Resident.unit.in_(list(unit_ids)) & Resident.key_account & Resident.moved_out_at.is_null()).distinct()}

    @staticmethod
    def familiarity(estate_id, patch_id, since) -> tuple[int, int]:
        """(households contacted since `since`, households) of one patch: one aggregate."""
        contacted = fn.SUM(Case(None, [(HouseholdContact.last_at >= since, 1)], 0))
        query = (Unit.select(fn.COUNT(Unit.id), contacted)
                 .join(Building, on=(Unit.building == Building.id))
                 .join_from(Unit, HouseholdContact, JOIN.LEFT_OUTER, on=(HouseholdContact.unit == Unit.id)))
        total, done = _lived_in(query, estate_id, patch_id).tuples().get()
        return int(done or 0), int(total or 0)

    @staticmethod
    def familiarity_by_patch(estate_id, since) -> dict:
        """{patch id (None: no patch): (contacted, households)} for the whole estate."""
        contacted = fn.SUM(Case(None, [(HouseholdContact.last_at >= since, 1)], 0))
        query = (Unit.select(Building.patch, fn.COUNT(Unit.id), contacted)
                 .join(Building, on=(Unit.building == Building.id))
                 .join_from(Unit, HouseholdContact, JOIN.LEFT_OUTER, on=(HouseholdContact.unit == Unit.id)))
        query = _lived_in(query, estate_id).group_by(Building.patch)
        return {patch: (int(done or 0), int(total or 0)) for patch, total, done in query.tuples()}


def percent(done: int, total: int) -> int | None:
    """A whole percentage, rounded down (87% means at least 87%); None without households."""
    return (done * 100) // total if total else None


class VisitPlan(BaseModel):
    """One patch's list of households to visit in one week; its duty is "visitplan:<id>"."""

    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    patch = ForeignKeyField(Patch, on_delete="CASCADE")
    week_of = DateField()  # the Monday, in the estate's zone
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "visit_plan"
        indexes = ((("patch", "week_of"), True), (("estate", "week_of"), False))

    @property
    def subject(self) -> str:
        return f"visitplan:{self.id}"

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done)

    @classmethod
    def current_for(cls, patch_id, week_of):
        return cls.get_or_none((cls.patch == patch_id) & (cls.week_of == week_of))


class VisitPlanItem(BaseModel):
    """One household of a weekly plan, ticked off by the first visit to it that week."""

    plan = ForeignKeyField(VisitPlan, backref="items", on_delete="CASCADE")
    unit = ForeignKeyField(Unit, on_delete="CASCADE")
    position = IntegerField(default=0)
    key_account = BooleanField(default=False)
    last_contact_at = DateTimeField(null=True)  # when it was chosen
    visit = ForeignKeyField(Visit, null=True, on_delete="SET NULL")
    done_at = DateTimeField(null=True)

    class Meta:
        table_name = "visit_plan_item"
        indexes = ((("plan", "unit"), True), (("unit", "done_at"), False))

    @classmethod
    def of_plan(cls, plan_id):
        return (cls.select(cls, Unit).join(Unit).where(cls.plan == plan_id)
                .order_by(cls.done_at.is_null(False), cls.position))


class SiteCallKind:
    """The renovation after-sales calls (000 §1, §2)."""

    CONGRATS = "congrats"  # 开工祝贺: within 72 h of the start of works
    CALLBACK = "callback"  # 在施工回访: mid-month and month end, sites active > 15 days
    LABELS = {CONGRATS: _l("Start-of-works congratulation call"), CALLBACK: _l("Site call-back")}
    ALL = tuple(LABELS)


class SiteCall(ReplaySafe):
    """A call to a renovating owner; it may flag a problem site (the reports count these)."""

    replay_scope = ("estate", "by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    permit = ForeignKeyField(Permit, backref="site_calls", on_delete="CASCADE")
    kind = CharField(max_length=16)
    by = ForeignKeyField(User, on_delete="RESTRICT")
    at = DateTimeField(default=clock.now)
    reached = BooleanField(default=True)
    designer = CharField(max_length=80, default="")
    site_supervisor = CharField(max_length=80, default="")
    project_manager = CharField(max_length=80, default="")
    note = CharField(max_length=300, default="")
    problem = BooleanField(default=False)
    problem_note = CharField(max_length=300, default="")

    class Meta:
        table_name = "site_call"
        indexes = ((("permit", "at"), False), (("estate", "at"), False))

    @property
    def kind_label(self):
        return SiteCallKind.LABELS.get(self.kind, self.kind)

    @classmethod
    def of_permit(cls, permit_id):
        return (cls.select(cls, User).join(User, on=(cls.by == User.id)).where(cls.permit == permit_id)
                .order_by(cls.at.desc()))

    @classmethod
    def problem_sites(cls, estate_id, since):
        """Calls since `since` that flagged a problem site, latest first (for the reports)."""
        return (cls.select(cls, Permit, Unit).join(Permit).join(Unit)
                .where((cls.estate == estate_id) & cls.problem & (cls.at >= since)).order_by(cls.at.desc()))


class OwnerMeeting(ReplaySafe):
    """An owner meeting (业主见面会, 003 篇7 §10): when, where, who came, what was said and decided."""

    replay_scope = ("estate", "by")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    by = ForeignKeyField(User, on_delete="RESTRICT")
    held_on = DateField()
    place = CharField(max_length=80)
    topics = TextField(default="")
    resolutions = TextField(default="")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        table_name = "owner_meeting"
        indexes = ((("estate", "held_on"), False),)

    @property
    def subject(self) -> str:
        return f"meeting:{self.id}"

    @classmethod
    def latest(cls, estate_id, limit=30):
        return cls.select().where(cls.estate == estate_id).order_by(cls.held_on.desc(), cls.id.desc()).limit(limit)


class MeetingAttendee(BaseModel):
    """A household that came to an owner meeting."""

    meeting = ForeignKeyField(OwnerMeeting, backref="attendees", on_delete="CASCADE")
    unit = ForeignKeyField(Unit, on_delete="CASCADE")

    class Meta:
        table_name = "meeting_attendee"
        indexes = ((("meeting", "unit"), True),)


class MeetingCase(BaseModel):
    """A follow-up case registered from an owner meeting."""

    meeting = ForeignKeyField(OwnerMeeting, backref="follow_ups", on_delete="CASCADE")
    case = ForeignKeyField(CaseRow, on_delete="CASCADE")

    class Meta:
        table_name = "meeting_case"
        indexes = ((("meeting", "case"), True),)
