"""The house dynamics table (房屋动态表), built from the unit-status timeline.

A unit's status at a moment is the `after` of its last status event before it (or the
status it was created with); with no event before, it is the `before` of its first event
after; with no event at all, its status today. So last March's table stays right however
often units change afterwards. A closed month is computed once and kept (HouseMonth):
the timeline is append-only, so the kept table never goes stale.
"""
import json
from collections import defaultdict

from peewee import IntegrityError

from bluebird import clock
from bluebird.db import db
from bluebird.estate.models import Building, Unit, UnitStatus
from bluebird.reports.models import HouseMonth
from bluebird.timeline.models import Event

VERBS = ("status", "created")


def _events(estate_id):
    """Every status event of the estate's units, oldest first: (unit id, verb, detail, at)."""
    rows = (Event.select(Event.subject, Event.verb, Event.detail, Event.at)
            .where((Event.estate == estate_id) & (Event.subject >= "unit:") & (Event.subject < "unit;")
                   & Event.verb.in_(VERBS))
            .order_by(Event.at, Event.id).tuples())
    by_unit = defaultdict(list)
    for subject, verb, detail, at in rows:
        rest = subject[5:]
        if rest.isdigit():
            by_unit[int(rest)].append((verb, json.loads(detail or "{}"), at))
    return by_unit


def compute(estate_id, start, end) -> dict:
    """Units by status at `end` and the month's movements (status changes in [start, end))."""
    names = {b.id: b.name for b in Building.select(Building.id, Building.name).where(Building.estate == estate_id)}
    events = _events(estate_id)
    empty = {s: 0 for s in UnitStatus.ALL}
    table = {"at_end": dict(empty), "moved": dict(empty), "total": 0, "new": 0, "buildings": {}}
    for unit_id, building_id, current in (Unit.select(Unit.id, Unit.building, Unit.status)
                                           .where(Unit.estate == estate_id).tuples()):
        status = current
        history = events.get(unit_id, [])
        before_end = [e for e in history if e[2] < end]
        if before_end:
            verb, detail, _at = before_end[-1]
            status = detail.get("after") if verb == "status" else detail.get("status", current)
        elif history:
            verb, detail, _at = history[0]
            if verb == "created":
                continue  # the unit did not exist yet
            status = detail.get("before", current)
        name = names.get(building_id, "")
        part = table["buildings"].setdefault(name, {"at_end": dict(empty), "moved": dict(empty), "total": 0, "new": 0})
        for bucket in (table, part):
            bucket["at_end"][status] = bucket["at_end"].get(status, 0) + 1
            bucket["total"] += 1
        for verb, detail, at in history:
            if not (start <= at < end):
                continue
            for bucket in (table, part):
                if verb == "status":
                    moved_to = detail.get("after", "")
                    bucket["moved"][moved_to] = bucket["moved"].get(moved_to, 0) + 1
                else:
                    bucket["new"] += 1
    return table


def for_month(estate_id, period, tz, now=None) -> dict:
    """The table of a month: a closed month from its kept copy (made now if missing), this month live."""
    now = now or clock.now()
    start, end = period.bounds(tz)
    if end > now:
        return compute(estate_id, start, end)
    kept = HouseMonth.get_or_none((HouseMonth.estate == estate_id) & (HouseMonth.month == period.key))
    if kept is not None:
        return json.loads(kept.data)
    table = compute(estate_id, start, end)
    try:
        with db.atomic():
            HouseMonth.create(estate=estate_id, month=period.key, data=json.dumps(table, ensure_ascii=False),
                              computed_at=now)
    except IntegrityError:
        pass  # another worker kept it first: the same numbers
    return table


def of_building(table: dict, building_name: str | None) -> dict:
    """The part of the table for one building (or the whole estate)."""
    if not building_name:
        return table
    empty = {s: 0 for s in UnitStatus.ALL}
    return table["buildings"].get(building_name, {"at_end": dict(empty), "moved": dict(empty), "total": 0, "new": 0})
