"""The desk's day: the log of one day (printed, exported to Excel), search across the logs,
and the live feed of today's items."""
import re
from datetime import date

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from bluebird import exports
from bluebird.auth.models import User
from bluebird.db import is_postgres
from bluebird.estate.models import Unit, mask_phone
from bluebird.frontdesk import clocks
from bluebird.frontdesk.models import (
    Handover,
    Key,
    KeyLoan,
    Parcel,
    PhoneCall,
    StaffMessage,
    Visitor,
)

LIMIT = 200  # rows of one kind in a day's log: the desk's busiest day fits
SEARCH_LIMIT = 50  # rows of one kind in a search, newest first; a day narrows it
FEED = 30

TITLES = {
    "calls": _l("Phone log"),
    "visitors": _l("The visitor book"),
    "messages": _l("Messages"),
    "parcels": _l("Parcels"),
    "loans": _l("Key loans"),
    "handovers": _l("Hand-overs"),
}


def _scoped(query, model, estate_id):
    return query if estate_id is None else query.where(model.estate == estate_id)


def _calls(estate_id):
    return _scoped(PhoneCall.select(PhoneCall, Unit, User).join(Unit, JOIN.LEFT_OUTER)
                   .switch(PhoneCall).join(User, on=(PhoneCall.taken_by == User.id), attr="taken_by")
                   .order_by(PhoneCall.at, PhoneCall.id), PhoneCall, estate_id)


def _visitors(estate_id):
    return _scoped(Visitor.select(Visitor, Unit, User).join(Unit, JOIN.LEFT_OUTER)
                   .switch(Visitor).join(User, on=(Visitor.logged_by == User.id), attr="logged_by")
                   .order_by(Visitor.in_at, Visitor.id), Visitor, estate_id)


def _messages(estate_id):
    return _scoped(StaffMessage.select(StaffMessage, Unit, User).join(Unit, JOIN.LEFT_OUTER)
                   .switch(StaffMessage).join(User, on=(StaffMessage.recipient == User.id), attr="recipient")
                   .order_by(StaffMessage.at, StaffMessage.id), StaffMessage, estate_id)


def _parcels(estate_id):
    return _scoped(Parcel.select(Parcel, Unit).join(Unit).order_by(Parcel.arrived_at, Parcel.id), Parcel, estate_id)


def _loans(estate_id):
    return _scoped(KeyLoan.select(KeyLoan, Key).join(Key).order_by(KeyLoan.out_at, KeyLoan.id), KeyLoan, estate_id)


def _handovers(estate_id):
    return Handover.select().where(Handover.estate == estate_id).order_by(Handover.opened_at)


def _between(field, start, end):
    return (field >= start) & (field < end)


def _in_or_out(query, first, second, start, end):
    """Rows that came in, or went out, during [start, end), in order of coming in.

    Two indexed range queries rather than one OR: over years of books, a planner without
    statistics walks the whole (estate, first) index for the OR to keep its ORDER BY.
    """
    came = list(query.where(_between(first, start, end)).limit(LIMIT))
    seen = {row.id for row in came}
    went = [row for row in query.order_by().where(_between(second, start, end)).limit(LIMIT) if row.id not in seen]
    return sorted(came + went, key=lambda row: (getattr(row, first.name), row.id))[:LIMIT]


def day(estate_id, day_: date, tz: str) -> dict:
    """Everything the desk logged on a local day, by kind, in time order."""
    start, end = clocks.day_bounds(day_, tz)
    return {
        "calls": list(_calls(estate_id).where(_between(PhoneCall.at, start, end)).limit(LIMIT)),
        "visitors": _in_or_out(_visitors(estate_id), Visitor.in_at, Visitor.out_at, start, end),
        "messages": list(_messages(estate_id).where(_between(StaffMessage.at, start, end)).limit(LIMIT)),
        "parcels": _in_or_out(_parcels(estate_id), Parcel.arrived_at, Parcel.picked_up_at, start, end),
        "loans": _in_or_out(_loans(estate_id), KeyLoan.out_at, KeyLoan.returned_at, start, end),
        "handovers": list(_handovers(estate_id).where(_between(Handover.opened_at, start, end)).limit(LIMIT)),
    }


UNIT_LIKE = re.compile(r"^[0-9A-Za-z]+(-|号楼|栋)[0-9A-Za-z]*$")
# Each book: its model, the time it is filed by, its base query (no estate: see search()).
BOOKS = {
    "calls": (PhoneCall, PhoneCall.at, _calls),
    "visitors": (Visitor, Visitor.in_at, _visitors),
    "messages": (StaffMessage, StaffMessage.at, _messages),
    "parcels": (Parcel, Parcel.arrived_at, _parcels),
    "loans": (KeyLoan, KeyLoan.out_at, _loans),
}


def _prefix(field, q):
    """Names starting with q. SQLite's LIKE cannot use an index; a code-point range can
    (PostgreSQL's collations do not sort that way, and its planner needs no help)."""
    condition = field.startswith(q)
    if not is_postgres():
        condition = (field >= q) & (field < q + "\uffff") & condition
    return condition


def _conditions(estate_id, q):
    """What a search text means for each book: a unit, a phone tail, or a name."""
    if UNIT_LIKE.match(q):
        units = Unit.select(Unit.id).where((Unit.estate == estate_id) & Unit.code.startswith(
            q.replace("号楼", "-").replace("栋", "-").replace(" ", "")))
        return {"calls": PhoneCall.unit.in_(units), "visitors": Visitor.unit.in_(units),
                "messages": StaffMessage.unit.in_(units), "parcels": Parcel.unit.in_(units),
                "loans": Key.unit.in_(units)}, False
    if q.isdigit():
        tail = q[-4:]
        return {"calls": (PhoneCall.phone_tail == tail) & PhoneCall.phone.endswith(q),
                "visitors": (Visitor.phone_tail == tail) & Visitor.phone.endswith(q),
                "messages": (StaffMessage.phone_tail == tail) & StaffMessage.phone.endswith(q),
                "parcels": Parcel.tracking_tail == q[-8:], "loans": Key.hook == q}, True
    return {"calls": _prefix(PhoneCall.caller, q), "visitors": _prefix(Visitor.name, q),
            "messages": _prefix(StaffMessage.caller, q), "parcels": _prefix(Parcel.addressee, q),
            "loans": _prefix(KeyLoan.borrower, q) | _prefix(Key.name, q)}, True


def search(estate_id, q: str, day_: date | None, tz: str) -> dict:
    """Search the logs by name, unit (3-1502), or the last digits of a phone, on a day or ever.

    The matching ids are found first, through the index the text calls for, and only
    those rows are then read newest first: over years of books a planner left to itself
    walks the whole (estate, time) index to keep the order.
    """
    q = (q or "").strip()[:40]
    if not q and day_ is None:
        return {kind: [] for kind in BOOKS}
    conditions, by_estate = _conditions(estate_id, q) if q else ({}, True)
    span = clocks.day_bounds(day_, tz) if day_ is not None else None
    found = {}
    for kind, (model, filed, base) in BOOKS.items():
        ids = model.select(model.id)
        if kind == "loans":
            ids = ids.join(Key)
        # A unit names rows of this estate already; the estate index would only slow it.
        where = [model.estate == estate_id] if (by_estate or span) else []
        if kind in conditions:
            where.append(conditions[kind])
        if span:
            where.append(_between(filed, *span))
        ids = ids.where(*where)
        # Newest first: the one the caller means is usually the latest.
        found[kind] = list(base(None).where(model.id.in_(ids)).order_by(filed.desc(), model.id.desc())
                           .limit(SEARCH_LIMIT))
    return found


def feed(estate_id, day_: date, tz: str) -> list[dict]:
    """Today's desk items as one stream, newest first: what happened, when, where to look."""
    start, end = clocks.day_bounds(day_, tz)
    entries = []

    def add(at, kind, text, endpoint, **args):
        if at is not None and start <= at < end:
            # seq breaks ties within a second: a key lent and returned reads in that order.
            entries.append({"at": at, "seq": len(entries), "kind": kind, "text": text, "endpoint": endpoint,
                            "args": args})

    logged = day(estate_id, day_, tz)
    for c in logged["calls"]:
        add(c.at, "call", f"{c.caller} {c.where} · {c.matter[:40]}", "frontdesk.call", call_id=c.id)
    for v in logged["visitors"]:
        add(v.in_at, "visitor_in", f"{v.name} · {v.visiting or v.purpose}", "frontdesk.visitor", visitor_id=v.id)
        add(v.out_at, "visitor_out", v.name, "frontdesk.visitor", visitor_id=v.id)
    for m in logged["messages"]:
        add(m.at, "message", f"{m.caller} → {m.recipient.name} · {m.matter[:40]}", "frontdesk.message", message_id=m.id)
    for p in logged["parcels"]:
        add(p.arrived_at, "parcel_in", f"{p.unit.code} {p.carrier} {p.tracking_tail}", "frontdesk.parcel",
            parcel_id=p.id)
        add(p.picked_up_at, "parcel_out", f"{p.unit.code} · {p.picked_up_by}", "frontdesk.parcel", parcel_id=p.id)
    for loan in logged["loans"]:
        add(loan.out_at, "key_out", f"{loan.key.name} → {loan.borrower}", "frontdesk.key", key_id=loan.key_id)
        add(loan.returned_at, "key_back", f"{loan.key.name} ← {loan.borrower}", "frontdesk.key", key_id=loan.key_id)
    for h in logged["handovers"]:
        add(h.opened_at, "handover", h.outgoing.name, "frontdesk.handover_show", handover_id=h.id)
        add(h.accepted_at, "accepted", h.incoming.name if h.incoming_id else "", "frontdesk.handover_show",
            handover_id=h.id)
    entries.sort(key=lambda e: (e["at"], e["seq"]), reverse=True)
    return entries[:FEED]


def _hm(at):
    return format_datetime(at, "HH:mm") if at else ""


def _md_hm(at):
    return format_datetime(at, "M/d HH:mm") if at else ""


def workbook(logged: dict, day_: date, estate_name: str) -> bytes:
    """The day's log as an Excel workbook: one sheet per log, phones masked as in lists."""
    sheets = {
        "calls": ([_l("Time"), _l("Caller"), _l("Phone"), _l("Unit or place"), _l("Matter"), _l("Passed on as"),
                   _l("Taken by"), _l("Corrects")],
                  [[_hm(c.at), c.caller, mask_phone(c.phone), c.where, c.matter, str(c.kind_label),
                    c.taken_by.name, f"DH{c.corrects_id:06d}" if c.corrects_id else ""] for c in logged["calls"]]),
        "visitors": ([_l("Time in"), _l("Time out"), _l("Name"), _l("Phone"), _l("Purpose"), _l("Visiting"), _l("Logged by")],
                     [[_md_hm(v.in_at), _md_hm(v.out_at), v.name, mask_phone(v.phone), v.purpose, v.visiting,
                       v.logged_by.name] for v in logged["visitors"]]),
        "messages": ([_l("Time"), _l("Caller"), _l("Phone"), _l("For"), _l("Matter"), _l("Answered")],
                     [[_hm(m.at), m.caller, mask_phone(m.phone), m.recipient.name, m.matter,
                       _md_hm(m.answered_at)] for m in logged["messages"]]),
        "parcels": ([_l("Arrived"), _l("Unit"), _l("Carrier"), _l("Tracking no. (last digits)"), _l("Addressee"),
                     _l("Collected"), _l("Collected by")],
                    [[_md_hm(p.arrived_at), p.unit.code, p.carrier, p.tracking_tail, p.addressee,
                      _md_hm(p.picked_up_at), p.picked_up_by] for p in logged["parcels"]]),
        "loans": ([_l("Key"), _l("Hook or box"), _l("Borrower"), _l("Purpose"), _l("Out since"), _l("Due back"),
                   _l("Returned")],
                  [[loan.key.name, loan.key.hook, loan.borrower, loan.purpose, _md_hm(loan.out_at),
                    _md_hm(loan.due_at), _md_hm(loan.returned_at)] for loan in logged["loans"]]),
        "handovers": ([_l("Shift handed over"), _l("Outgoing"), _l("Open items"), _l("Equipment and notes"),
                       _l("Shift accepted"), _l("Incoming")],
                      [[_hm(h.opened_at), h.outgoing.name, h.count, h.note, _md_hm(h.accepted_at),
                        h.incoming.name if h.incoming_id else ""] for h in logged["handovers"]]),
    }
    return exports.workbook(
        {"title": TITLES[key], "heading": f"{estate_name} · {TITLES[key]} · {day_.isoformat()}", "columns": head,
         "rows": rows, "widths": (12, 14, 16, 16, 40, 14, 12, 12)}
        for key, (head, rows) in sheets.items())
