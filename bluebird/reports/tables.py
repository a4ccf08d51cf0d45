"""The counts of the case tables (周报/月报): plain dicts, so a filed table can be frozen as JSON.

Every count here is of cases the case list can show with the same filters (see
`links.py`), and cancelled cases (作废) are never counted. Registered-in-the-period counts
read the (estate, created_at) index, closed-in-the-period ones the (estate, closed_at) one.
"""
from peewee import JOIN, SQL, fn
from peewee import Case as When

from bluebird import clock
from bluebird.auth.models import User
from bluebird.cases.kinds import CaseKind, CaseStatus
from bluebird.cases.models import Call, Case
from bluebird.duties.models import Duty, Outcome

SATISFIED = ("satisfied", "basic")


def _scoped(query, estate_id, building):
    query = query.where((Case.estate == estate_id) & (Case.status != CaseStatus.CANCELLED))
    return query.where(Case.building == building) if building else query


def registered(estate_id, start, end, building=None):
    """Cases registered in [start, end), grouped by what the tables break them down by."""
    query = (Case.select(Case.kind, Case.scope, Case.trade, Case.work_type, Case.target, Case.warranty, Case.status,
                         fn.COUNT(Case.id).alias("n"),
                         fn.SUM(When(None, [(Case.reopened > 0, 1)], 0)).alias("reopened"))
             .where((Case.created_at >= start) & (Case.created_at < end))
             .group_by(Case.kind, Case.scope, Case.trade, Case.work_type, Case.target, Case.warranty, Case.status))
    return list(_scoped(query, estate_id, building).dicts())


def closed(estate_id, start, end, building=None):
    """Cases closed in [start, end), by kind, satisfaction and warranty."""
    query = (Case.select(Case.kind, Case.satisfaction, Case.warranty, fn.COUNT(Case.id).alias("n"))
             .where((Case.closed_at >= start) & (Case.closed_at < end) & (Case.status == CaseStatus.CLOSED))
             .group_by(Case.kind, Case.satisfaction, Case.warranty))
    return list(_scoped(query, estate_id, building).dicts())


def _add(bucket: dict, key, n):
    bucket[key] = bucket.get(key, 0) + n


def _subject_id(prefix: str):
    """The id in a duty subject "<prefix>:<id>" as an integer, NULL for any other subject."""
    inside = (Duty.subject >= f"{prefix}:") & (Duty.subject < f"{prefix};")
    return When(None, [(inside, fn.SUBSTR(Duty.subject, len(prefix) + 2).cast("INTEGER"))], None)


def _about_building(building):
    """Duties about one building: its cases, its units and the building itself.

    A duty carries no building, only its subject ("case:12", "unit:3", "building:1"): the
    case or unit it names is looked up by its primary key, once per duty of the period.
    Patrols of a patch and the office's own duties (reports, the desk) belong to no
    building and are left out.
    """
    from bluebird.estate.models import Unit

    case = Case.select(SQL("1")).where((Case.id == _subject_id("case")) & (Case.building == building))
    unit = Unit.select(SQL("1")).where((Unit.id == _subject_id("unit")) & (Unit.building == building))
    return fn.EXISTS(case) | fn.EXISTS(unit) | (Duty.subject == f"building:{building}")


def late_by_person(estate_id, start, end, now=None, building=None):
    """Duties due in [start, end) per person: how many, and how many handled late (000 考核3).

    Late means done after its time, marked missed at a month's close, or still open past
    due. A void duty is never counted. Only duties with a named person count. With a
    building, only the duties about it (_about_building).
    """
    now = now or clock.now()
    late = When(None, [((Duty.late_minutes > 0) | Duty.missed_at.is_null(False)
                        | (Duty.done_at.is_null() & (Duty.due_at < now)), 1)], 0)
    query = (Duty.select(Duty.assignee, User.name, fn.COUNT(Duty.id).alias("due"), fn.SUM(late).alias("late"))
             .join(User, JOIN.INNER, on=(Duty.assignee == User.id))
             .where((Duty.estate == estate_id) & (Duty.due_at >= start) & (Duty.due_at < end)
                    & (Duty.outcome.is_null() | (Duty.outcome != Outcome.VOID)))
             .group_by(Duty.assignee, User.name))
    if building:
        query = query.where(_about_building(building))
    people = [{"user": r["assignee"], "name": r["name"], "due": r["due"], "late": int(r["late"] or 0)}
              for r in query.dicts()]
    return sorted(people, key=lambda p: (-p["late"], p["name"]))


def callbacks(estate_id, start, end, building=None):
    """Complaints registered in the period that had their call-back (回访)."""
    called = Call.select(SQL("1")).where((Call.case == Case.id) & (Call.kind == "complaint_callback"))
    query = (Case.select(fn.COUNT(Case.id)).where((Case.created_at >= start) & (Case.created_at < end)
                                                 & (Case.kind == CaseKind.COMPLAINT) & fn.EXISTS(called)))
    return _scoped(query, estate_id, building).scalar() or 0


def case_tables(estate_id, start, end, building=None, now=None) -> dict:
    """The six tables of the weekly/monthly report for one period."""
    complaints = {"registered": 0, "closed": 0, "open": 0, "reopened": 0, "by_target": {}}
    repairs = {"registered": 0, "closed": 0, "open": 0, "by_scope": {}, "by_trade": {}, "by_work_type": {}}
    warranty = {"issued": 0, "closed": 0, "open": 0}
    info = {"registered": 0, "closed": 0, "open": 0}
    other = {}
    for r in registered(estate_id, start, end, building):
        n, kind, state = r["n"], r["kind"], ("open" if r["status"] in CaseStatus.OPEN else "closed")
        if kind == CaseKind.COMPLAINT:
            complaints["registered"] += n
            complaints[state] += n
            complaints["reopened"] += int(r["reopened"] or 0)
            _add(complaints["by_target"], r["target"] or "other", n)
        elif kind == CaseKind.REPAIR:
            repairs["registered"] += n
            repairs[state] += n
            _add(repairs["by_scope"], r["scope"] or "household", n)
            _add(repairs["by_trade"], r["trade"] or "other", n)
            _add(repairs["by_work_type"], r["work_type"] or "basic", n)
            if r["warranty"]:
                warranty["issued"] += n
                warranty[state] += n
        elif kind == CaseKind.INFO:
            info["registered"] += n
            info[state] += n
        else:
            _add(other, kind, n)
    satisfaction = {"closed": 0, "satisfied": 0, "basic": 0, "unsatisfied": 0, "none": 0}
    for r in closed(estate_id, start, end, building):
        if r["kind"] not in (CaseKind.REPAIR, CaseKind.COMPLAINT):
            continue
        satisfaction["closed"] += r["n"]
        _add(satisfaction, r["satisfaction"] if r["satisfaction"] in satisfaction else "none", r["n"])
    asked = satisfaction["satisfied"] + satisfaction["basic"] + satisfaction["unsatisfied"]
    satisfaction["asked"] = asked
    satisfaction["rate"] = round(100 * (satisfaction["satisfied"] + satisfaction["basic"]) / asked, 1) if asked else None
    complaints["called_back"] = callbacks(estate_id, start, end, building)
    return {"complaints": complaints, "repairs": repairs, "satisfaction": satisfaction, "warranty": warranty,
            "info": info, "other": other, "late": late_by_person(estate_id, start, end, now, building)}


def trend(estate_id, periods, tz, building=None, now=None) -> dict:
    """Complaints and repairs registered per period, and the satisfaction rate: the charts."""
    from bluebird.reports.cache import cached

    now = now or clock.now()
    out = {"labels": [], "complaints": [], "repairs": [], "rate": []}
    for period in periods:
        start, end = period.bounds(tz)
        point = cached(estate_id, f"trend:{period.span}:{period.key}:{building or 0}", end <= now,
                       lambda start=start, end=end: _point(estate_id, start, end, building), ended=end)
        out["labels"].append(period.first.strftime("%m-%d") if period.span == "week" else period.key)
        for name in ("complaints", "repairs", "rate"):
            out[name].append(point[name])
    return out


def _point(estate_id, start, end, building):
    """One chart point: complaints and repairs registered, the satisfaction rate of those closed."""
    counts = {CaseKind.COMPLAINT: 0, CaseKind.REPAIR: 0}
    query = (Case.select(Case.kind, fn.COUNT(Case.id).alias("n"))
             .where((Case.created_at >= start) & (Case.created_at < end)
                    & Case.kind.in_([CaseKind.COMPLAINT, CaseKind.REPAIR])).group_by(Case.kind))
    for r in _scoped(query, estate_id, building).dicts():
        counts[r["kind"]] = r["n"]
    sat = (Case.select(fn.COUNT(Case.id).alias("asked"),
                       fn.SUM(When(None, [(Case.satisfaction.in_(SATISFIED), 1)], 0)).alias("good"))
           .where((Case.closed_at >= start) & (Case.closed_at < end) & (Case.satisfaction != "")))
    row = _scoped(sat, estate_id, building).dicts().get()
    return {"complaints": counts[CaseKind.COMPLAINT], "repairs": counts[CaseKind.REPAIR],
            "rate": round(100 * int(row["good"] or 0) / row["asked"], 1) if row["asked"] else None}


def period_data(estate_id, period, tz, building=None, fresh=False, now=None) -> dict:
    """A table page's numbers: the six tables, the trend behind the charts, and for a half-year
    or a year the complaint analysis. A closed period's counts come from report_cache."""
    from bluebird.reports import complaints
    from bluebird.reports.cache import cached

    now = now or clock.now()
    start, end = period.bounds(tz)
    closed = end <= now and not fresh
    data = cached(estate_id, f"tables:{period.span}:{period.key}:{building or 0}", closed,
                  lambda: case_tables(estate_id, start, end, building, now), now=now, ended=end)
    back = [period]
    for _i in range(7 if period.span == "week" else 11 if period.span == "month" else 1):
        back.insert(0, back[0].previous())
    data["trend"] = trend(estate_id, back, tz, building, now)
    if period.span in ("half", "year"):
        data["analysis"] = cached(estate_id, f"complaints:{period.span}:{period.key}:{building or 0}", closed,
                                  lambda: complaints.summary(estate_id, start, end, tz, building), now=now, ended=end)
    return data
