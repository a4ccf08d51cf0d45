"""The complaint summary and analysis (投诉情况月汇总表) and the complaint rate per party (被投诉比率).

Causes and targets, time to resolve, promised dates kept, call-back rate and repeat
complainants, for the complaints registered in a period (cancelled ones never count).
"""
from collections import Counter
from zoneinfo import ZoneInfo

from peewee import JOIN

from bluebird.cases.kinds import CaseKind, CaseStatus
from bluebird.cases.models import Call, Case
from bluebird.estate.models import Unit

BUCKETS = ("1d", "3d", "7d", "more")  # closed within a day, three days, a week, later


def _bucket(hours: float) -> str:
    if hours <= 24:
        return "1d"
    if hours <= 72:
        return "3d"
    return "7d" if hours <= 168 else "more"


def summary(estate_id, start, end, tz, building=None) -> dict:
    query = (Case.select(Case.id, Case.target, Case.target_name, Case.status, Case.created_at, Case.closed_at,
                         Case.promised_on, Case.unit, Case.satisfaction, Case.reopened, Case.about_case, Unit.id, Unit.code)
             .join(Unit, JOIN.LEFT_OUTER, on=(Case.unit == Unit.id))
             .where((Case.estate == estate_id) & (Case.kind == CaseKind.COMPLAINT)
                    & (Case.status != CaseStatus.CANCELLED) & (Case.created_at >= start) & (Case.created_at < end)))
    if building:
        query = query.where(Case.building == building)
    rows = list(query)
    ids = [c.id for c in rows]
    called = {c.case_id for c in Call.select(Call.case).where(Call.case.in_(ids) & (Call.kind == "complaint_callback"))} \
        if ids else set()
    zone, utc = ZoneInfo(tz), ZoneInfo("UTC")
    targets, parties, units = Counter(), Counter(), Counter()
    buckets = dict.fromkeys(BUCKETS, 0)
    hours, kept, closed, reopened = [], 0, 0, 0
    for c in rows:
        targets[c.target or "other"] += 1
        if c.target_name:
            parties[c.target_name] += 1
        if c.unit_id:
            units[c.unit.code] += 1
        reopened += 1 if c.reopened else 0
        if c.status == CaseStatus.CLOSED and c.closed_at:
            closed += 1
            spent = (c.closed_at - c.created_at).total_seconds() / 3600
            hours.append(spent)
            buckets[_bucket(spent)] += 1
            local_close = c.closed_at.replace(tzinfo=utc).astimezone(zone).date()
            if c.promised_on and local_close <= c.promised_on:
                kept += 1
    total = len(rows)
    return {
        "total": total, "closed": closed, "open": total - closed, "reopened": reopened,
        "about_repair": sum(1 for c in rows if c.about_case_id),  # registered about a repair (针对工单)
        "by_target": dict(targets.most_common()),
        "by_party": [{"name": name, "n": n, "share": round(100 * n / total, 1)} for name, n in parties.most_common(15)],
        "resolve_buckets": buckets,
        "avg_hours": round(sum(hours) / len(hours), 1) if hours else None,
        "promise_kept": kept,
        "called_back": len(called),
        "callback_rate": round(100 * len(called) / closed, 1) if closed else None,
        "repeat": [{"unit": code, "n": n} for code, n in sorted(units.items(), key=lambda x: (-x[1], x[0])) if n >= 2][:20],
    }
