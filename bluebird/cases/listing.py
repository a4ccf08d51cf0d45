"""The case list's filters and keyset pages, and turning the form into case fields."""
from dataclasses import dataclass

from peewee import SQL, Value, fn

from bluebird import clock
from bluebird.auth import roles
from bluebird.cases.kinds import CaseKind, CaseStatus
from bluebird.cases.models import Case
from bluebird.duties.models import Duty
from bluebird.estate.models import Building

PAGE = 30


def _int(value):
    return int(value) if value and str(value).isdigit() else None


@dataclass
class Filters:
    kind: str = ""
    status: str = "open"  # open / closed / all / one status
    trade: str = ""
    assignee: int | None = None
    building: int | None = None
    overdue: bool = False
    mine: bool = False  # the butler's patch / the technician's own cases
    before: int | None = None

    @classmethod
    def from_args(cls, args, user):
        """Read the filters from the query string; a butler starts on his patch."""
        fresh = not any(k in args for k in ("kind", "status", "trade", "assignee", "building", "overdue", "mine"))
        default_mine = fresh and user.role in (roles.BUTLER, roles.TECHNICIAN)
        return cls(
            kind=args.get("kind", "") if args.get("kind") in CaseKind.ALL else "",
            status=args.get("status", "open"),
            trade=args.get("trade", "")[:16],
            assignee=_int(args.get("assignee")),
            building=_int(args.get("building")),
            overdue=args.get("overdue") == "1",
            mine=args.get("mine") == "1" or default_mine,
            before=_int(args.get("before")),
        )

    def query_args(self, **changes) -> dict:
        """The filters as query-string arguments (for links and the next page)."""
        data = {"kind": self.kind, "status": self.status, "trade": self.trade, "assignee": self.assignee or "",
                "building": self.building or "", "overdue": "1" if self.overdue else "",
                "mine": "1" if self.mine else "0"}
        data.update(changes)
        return {k: v for k, v in data.items() if v not in ("", None)}


def page(estate_id, f: Filters, user):
    """One page of cases, newest first, and the id to continue before (keyset, no OFFSET)."""
    query = Case.listing(estate_id)
    if f.kind:
        query = query.where(Case.kind == f.kind)
    if f.status == "open":
        query = query.where(Case.status.not_in([CaseStatus.CLOSED, CaseStatus.CANCELLED]))
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
    if f.before:
        query = query.where(Case.id < f.before)
    rows = list(query.limit(PAGE + 1))
    next_before = rows[PAGE - 1].id if len(rows) > PAGE else None
    return rows[:PAGE], next_before


def fields_from(kind, form, unit) -> dict:
    """The case columns a form of this kind sets."""
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
    elif kind == CaseKind.INQUIRY:
        fields["answer"] = (form.answer.data or "").strip()
    elif kind == CaseKind.INFO:
        fields["assignee"] = form.assignee.data or None
    return fields
