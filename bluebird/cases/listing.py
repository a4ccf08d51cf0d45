"""The case list's filters and keyset pages, and turning the form into case fields."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from peewee import JOIN, SQL, Value, fn

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases.kinds import (
    SATISFACTION,
    SCOPES,
    SOURCES,
    TARGETS,
    TRADES,
    WORK_TYPES,
    CaseKind,
    CaseStatus,
)
from bluebird.cases.models import Case, case_number
from bluebird.db import db, prepared
from bluebird.duties.models import Duty
from bluebird.estate.models import Building, Unit

PAGE = 30


FILTER_KEYS = ("kind", "status", "trade", "assignee", "building", "overdue", "mine", "source", "target",
               "satisfied", "reopened", "warranty", "scope", "work_type", "date_field", "date_from", "date_to")


def _int(value):
    return int(value) if value and str(value).isdigit() else None


def _date(value):
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _one_of(value, allowed):
    return value if value in allowed else ""


def local_bounds(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """Local days first..last (inclusive) as a half-open naive-UTC range."""
    zone, utc = ZoneInfo(tz), ZoneInfo("UTC")
    start = datetime.combine(first, time(0, 0), tzinfo=zone).astimezone(utc).replace(tzinfo=None)
    end = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(utc).replace(tzinfo=None)
    return start, end


@dataclass
class Filters:
    kind: str = ""
    status: str = "open"  # open / closed / all / one status
    trade: str = ""
    assignee: int | None = None
    building: int | None = None
    overdue: bool = False
    mine: bool = False  # the butler's patch / the technician's own cases
    source: str = ""
    target: str = ""
    satisfied: str = ""  # "" / yes (satisfied or basically) / no (not satisfied) / none (not asked)
    reopened: bool = False
    warranty: str = ""  # "" / yes / no
    scope: str = ""  # household / public (the reports' repair table links here)
    work_type: str = ""  # basic / materials
    date_field: str = "registered"  # registered / closed
    date_from: date | None = None  # local days, inclusive
    date_to: date | None = None
    before: int | None = None
    error: str = ""  # a date range that cannot be read: said next to the dates, with a 422

    @classmethod
    def from_args(cls, args, user):
        """Read the filters from the query string; a butler starts on his patch."""
        fresh = not any(k in args for k in FILTER_KEYS)
        default_mine = fresh and user.role in (roles.BUTLER, roles.TECHNICIAN)
        made = cls(
            kind=args.get("kind", "") if args.get("kind") in CaseKind.ALL else "",
            status=args.get("status", "open"),
            trade=args.get("trade", "")[:16],
            assignee=_int(args.get("assignee")),
            building=_int(args.get("building")),
            overdue=args.get("overdue") == "1",
            mine=args.get("mine") == "1" or default_mine,
            source=_one_of(args.get("source", ""), SOURCES),
            target=_one_of(args.get("target", ""), TARGETS),
            satisfied=_one_of(args.get("satisfied", ""), ("yes", "no", "none", *SATISFACTION)),
            scope=_one_of(args.get("scope", ""), SCOPES),
            work_type=_one_of(args.get("work_type", ""), WORK_TYPES),
            reopened=args.get("reopened") == "1",
            warranty=_one_of(args.get("warranty", ""), ("yes", "no")),
            date_field="closed" if args.get("date_field") == "closed" else "registered",
            date_from=_date(args.get("date_from")),
            date_to=_date(args.get("date_to")),
            before=_int(args.get("before")),
        )
        given = [args.get("date_from"), args.get("date_to")]
        if any(v and _date(v) is None for v in given):
            made.error = "unreadable"
        elif made.date_from and made.date_to and made.date_from > made.date_to:
            made.error = "reversed"
        return made

    def query_args(self, **changes) -> dict:
        """The filters as query-string arguments (for links and the next page)."""
        data = {"kind": self.kind, "status": self.status, "trade": self.trade, "assignee": self.assignee or "",
                "building": self.building or "", "overdue": "1" if self.overdue else "",
                "mine": "1" if self.mine else "0", "source": self.source, "target": self.target,
                "satisfied": self.satisfied, "reopened": "1" if self.reopened else "", "warranty": self.warranty,
                "scope": self.scope, "work_type": self.work_type,
                "date_field": self.date_field if (self.date_from or self.date_to) else "",
                "date_from": self.date_from.isoformat() if self.date_from else "",
                "date_to": self.date_to.isoformat() if self.date_to else ""}
        data.update(changes)
        return {k: v for k, v in data.items() if v not in ("", None)}


def filtered(query, f: Filters, user, tz="Asia/Shanghai"):
    """Narrow a case query to the filters (the list, its export and the reports' links share it)."""
    if f.kind:
        query = query.where(Case.kind == f.kind)
    if f.status == "open":
        query = query.where(Case.status.not_in([CaseStatus.CLOSED, CaseStatus.CANCELLED]))
    elif f.status == "valid":  # everything a report counts: all but the cancelled
        query = query.where(Case.status != CaseStatus.CANCELLED)
    elif f.status in CaseStatus.ALL:
        query = query.where(Case.status == f.status)
    if f.trade:
        query = query.where(Case.trade == f.trade)
    if f.assignee:
        query = query.where(Case.assignee == f.assignee)
    if f.building:
        query = query.where(Case.building == f.building)
    if f.mine:
        if user.role == roles.TECHNICIAN:
            query = query.where(Case.assignee == user.id)
        elif user.patch_id:
            patch_buildings = Building.select(Building.id).where(Building.patch == user.patch_id)
            query = query.where(Case.building.in_(patch_buildings) | (Case.registrar == user.id))
        else:
            query = query.where(Case.registrar == user.id)
    if f.overdue:
        # A correlated EXISTS on the duty's subject index: loading every overdue duty of
        # the estate into an IN list cost 280 ms at a million cases.
        late = (Duty.select(SQL("1"))
                .where((Duty.subject == Value("case:").concat(Case.id.cast("TEXT")))
                       & Duty.done_at.is_null() & (Duty.due_at < clock.now())))
        query = query.where(fn.EXISTS(late))
    if f.source:
        query = query.where(Case.source == f.source)
    if f.target:
        query = query.where(Case.target == f.target)
    if f.satisfied == "yes":
        query = query.where(Case.satisfaction.in_(["satisfied", "basic"]))
    elif f.satisfied == "no":
        query = query.where(Case.satisfaction == "unsatisfied")
    elif f.satisfied == "none":
        query = query.where(Case.satisfaction == "")
    elif f.satisfied in SATISFACTION:
        query = query.where(Case.satisfaction == f.satisfied)
    if f.scope:
        query = query.where(Case.scope == f.scope)
    if f.work_type:
        query = query.where(Case.work_type == f.work_type)
    if f.reopened:
        query = query.where(Case.reopened > 0)
    if f.warranty:
        query = query.where(Case.warranty == (f.warranty == "yes"))
    if f.date_from or f.date_to:
        field = Case.closed_at if f.date_field == "closed" else Case.created_at
        start, end = local_bounds(f.date_from or date(2000, 1, 1), f.date_to or date(2999, 12, 30), tz)
        if f.date_from:
            query = query.where(field >= start)
        if f.date_to:
            query = query.where(field < end)
    return query


class ListRow(NamedTuple):
    """What a list row shows, straight from the cursor (no model objects: fifty of them,
    each with its unit and technician, were a fifth of the list's CPU)."""
    id: int
    kind: str
    status: str
    place: str
    emergency: bool
    description: str
    created_at: datetime
    unit_code: str | None
    assignee: str | None

    @property
    def number(self) -> str:
        return case_number(self.kind, self.id)

    @property
    def where(self) -> str:
        return self.unit_code or self.place


def page(estate_id, f: Filters, user, tz="Asia/Shanghai"):
    """One page of cases, newest first, and the id to continue before (keyset, no OFFSET)."""
    Assignee = User.alias()
    query = filtered(
        Case.select(Case.id, Case.kind, Case.status, Case.place, Case.emergency, Case.description,
                    Case.created_at, Unit.code, Assignee.name)
        .join(Unit, JOIN.LEFT_OUTER, on=(Case.unit == Unit.id)).switch(Case)
        .join(Assignee, JOIN.LEFT_OUTER, on=(Case.assignee == Assignee.id))
        .where(Case.estate == estate_id).order_by(Case.id.desc()), f, user, tz)
    if f.before:
        query = query.where(Case.id < f.before)
    rows = [ListRow(i, kind, status, place, bool(emergency), description,
                    datetime.fromisoformat(at) if isinstance(at, str) else at, code, name)
            for i, kind, status, place, emergency, description, at, code, name
            in db.execute_sql(*query.limit(PAGE + 1).sql()).fetchall()]
    next_before = rows[PAGE - 1].id if len(rows) > PAGE else None
    return rows[:PAGE], next_before


def fields_from(kind, form, unit, about=None) -> dict:
    """The case columns a form of this kind sets (`about`: the repair a complaint is about)."""
    fields = {
        "kind": kind,
        "unit": unit,
        "place": "" if unit else (form.place.data or "").strip(),
        "contact_name": (form.contact_name.data or "").strip(),
        "contact_phone": (form.contact_phone.data or "").strip(),
        "source": form.source.data,
        "description": form.description.data.strip(),
    }
    if kind == CaseKind.REPAIR:
        fields.update(
            scope=form.scope.data, trade=form.trade.data, work_type=form.work_type.data, category=form.trade.data,
            emergency=form.emergency.data, minor=form.minor.data and not form.emergency.data,
            warranty=form.warranty.data, paid=form.paid.data, price_item=form.price_item.data or None,
            price=form.price.data if form.paid.data else None, assignee=form.assignee.data or None,
        )
    elif kind == CaseKind.COMPLAINT:
        fields.update(target=form.target.data, target_name=(form.target_name.data or "").strip(),
                      cause=(form.cause.data or "").strip(), promised_on=form.promised_on.data, category=form.target.data)
        if about is not None:
            fields["about_case"] = about.id
            if about.resident_id and unit is not None and about.unit_id == unit.id:
                fields["resident"] = about.resident_id
    elif kind == CaseKind.INQUIRY:
        fields["answer"] = (form.answer.data or "").strip()
    elif kind == CaseKind.INFO:
        fields["assignee"] = form.assignee.data or None
    return fields


# ---------------------------------------------------------------- building options
# 120 translated "Building %(name)s" options were 40% of the list's CPU (issue #16). The
# labels are made once per language and set of buildings: the (id, name) rows are read on
# every request (cheap), so an added, removed or renamed building shows at once in every
# worker, with no cache to invalidate.
_BUILDING_OPTIONS: dict = {}
OPTIONS_KEPT = 64


@prepared
def _building_names(*, estate_id=0):
    return Building.in_estate(estate_id).select(Building.id, Building.name).tuples()


def building_options(estate_id, locale: str, label) -> list[tuple[int, str]]:
    """[(id, "3号楼"), …] for the building filter."""
    rows = tuple(_building_names.cursor(estate_id=estate_id))
    key = (locale, rows)
    options = _BUILDING_OPTIONS.get(key)
    if options is None:
        if len(_BUILDING_OPTIONS) >= OPTIONS_KEPT:
            _BUILDING_OPTIONS.clear()
        options = _BUILDING_OPTIONS[key] = [(bid, str(label(name))) for bid, name in rows]
    return options


# ---------------------------------------------------------------- the export
EXPORT_CHUNK = 5000
EXPORT_FIELDS = ("id", "kind", "status", "created_at", "closed_at", "place", "source", "trade", "target",
                 "description", "contact_name", "contact_phone", "satisfaction", "reopened", "warranty", "department",
                 "unit_code", "building_name", "assignee_name")


def export_rows(estate_id, f: Filters, user, tz):
    """Every case the filters select, newest first, as tuples in EXPORT_FIELDS order.

    Keyset chunks of EXPORT_CHUNK rows straight from the cursor (no model or dict per row,
    no datetime parsing: times come as the driver gives them, see LocalTimes), so memory
    stays flat whatever the count.
    """
    assignee = User.alias()
    base = (Case.select(Case.id, Case.kind, Case.status, Case.created_at, Case.closed_at, Case.place, Case.source,
                        Case.trade, Case.target, Case.description, Case.contact_name, Case.contact_phone,
                        Case.satisfaction, Case.reopened, Case.warranty, Case.department, Unit.code, Building.name,
                        assignee.name)
            .join(Unit, JOIN.LEFT_OUTER, on=(Case.unit == Unit.id)).switch(Case)
            .join(Building, JOIN.LEFT_OUTER, on=(Case.building == Building.id)).switch(Case)
            .join(assignee, JOIN.LEFT_OUTER, on=(Case.assignee == assignee.id))
            .where(Case.estate == estate_id).order_by(Case.id.desc()))
    base = filtered(base, f, user, tz)
    before = None
    while True:
        query = (base if before is None else base.where(Case.id < before)).limit(EXPORT_CHUNK)
        chunk = db.execute(query).fetchall()
        yield from chunk
        if len(chunk) < EXPORT_CHUNK:
            return
        before = chunk[-1][0]


class LocalTimes:
    """Naive-UTC times as the estate's local "YYYY-MM-DD HH:MM", fast for many rows.

    The zone is asked once per UTC hour seen (offsets change on the hour); the minutes
    are copied. SQLite gives the stored text ("2026-11-23 01:05:00"), PostgreSQL a
    datetime; both work. A zone whose offset is not whole hours converts each time.
    """

    def __init__(self, tz: str):
        self.zone, self.utc = ZoneInfo(tz), ZoneInfo("UTC")
        self.hours: dict = {}

    def _full(self, at: datetime) -> str:
        return at.replace(tzinfo=self.utc).astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def __call__(self, at) -> str:
        if not at:
            return ""
        if isinstance(at, str):
            if len(at) < 16 or at[10] != " ":
                return self._full(datetime.fromisoformat(at))
            key, minutes = at[:13], at[13:16]
        else:
            key, minutes = (at.year, at.month, at.day, at.hour), f":{at.minute:02d}"
        prefix = self.hours.get(key)
        if prefix is None:
            hour = datetime.fromisoformat(f"{key}:00") if isinstance(key, str) else datetime(*key)
            local = hour.replace(tzinfo=self.utc).astimezone(self.zone)
            whole = local.utcoffset().total_seconds() % 3600 == 0
            prefix = self.hours[key] = local.strftime("%Y-%m-%d %H") if whole else False
        if prefix is False:
            return self._full(at if isinstance(at, datetime) else datetime.fromisoformat(at))
        return prefix + minutes


def export_workbook(out, rows, *, heading: str, columns, tz: str, sees_phones: bool, masked_note: str) -> int:
    """Write the cases to `out` as .xlsx, streamed; return the row count.

    XlsxWriter in constant-memory mode (bluebird/exports.py): each row goes to a
    temporary file as it is written. The labels are plain strings made once, each row is
    one tuple built in one pass, and text a spreadsheet could take for a formula is
    written as quoted text.
    """
    from bluebird import exports
    from bluebird.estate.models import mask_phone

    local = LocalTimes(tz)
    book = exports.new_book(out, streamed=True)
    sheet = exports.Sheet(book, "cases", (10, 8, 10, 17, 17, 10, 8, 10, 10, 14, 40, 10, 15, 10, 10, 6, 6))
    sheet.append([heading], "heading")
    if not sees_phones:
        sheet.append([masked_note])
    sheet.append([str(c) for c in columns], "columns")
    sheet.freeze(sheet.row)
    kinds = {k: str(v) for k, v in CaseKind.LABELS.items()}
    statuses = {k: str(v) for k, v in CaseStatus.LABELS.items()}
    sources = {k: str(v) for k, v in SOURCES.items()}
    trades = {k: str(v) for k, v in TRADES.items()}
    targets = {k: str(v) for k, v in TARGETS.items()}
    verdicts = {k: str(v) for k, v in SATISFACTION.items()}
    prefixes = CaseKind.PREFIX
    append = sheet.append
    count = 0
    for (cid, kind, status, created, closed, place, source, trade, target, description, contact, phone,
         satisfaction, reopened, warranty, department, unit_code, building_name, assignee_name) in rows:
        append((
            f"{prefixes.get(kind, 'GD')}{cid:06d}", kinds.get(kind, kind), statuses.get(status, status),
            local(created), local(closed), unit_code or place, building_name, sources.get(source, source),
            trades.get(trade, trade), targets.get(target, target), description, contact,
            phone if sees_phones else mask_phone(phone), assignee_name or department,
            verdicts.get(satisfaction, satisfaction), reopened or None, "✓" if warranty else None))
        count += 1
    book.close()
    return count
