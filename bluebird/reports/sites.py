"""Problem construction sites (问题工地), mid-month and month-end (000 §6).

Counts what exists: the renovation checks (装修巡查 rounds, one per permit) finished in the
half-month, and their failed items (violations). A site with a failed item is a problem site.
The residents' call-backs on sites come with the residents-and-visits issue.
"""
import re
from datetime import date, timedelta

from peewee import JOIN, fn
from peewee import Case as When

from bluebird.estate.models import Unit
from bluebird.renovations.models import Permit
from bluebird.rounds.models import ItemResult, Round


def half_days(period, half: int) -> tuple[date, date]:
    """Days 1–15 (half 1) or 16–the end (half 2) of a month period."""
    middle = period.first + timedelta(days=14)
    return (period.first, middle) if half == 1 else (middle + timedelta(days=1), period.last)


def filing_key(period, half: int) -> str:
    """The key a half-month's table is filed under: "2026-11-1" (1st–15th), "2026-11-2"."""
    return f"{period.key}-{half}"


def parse_key(key: str):
    """(month period, half) of a filing key, or None when it cannot be read."""
    from bluebird.reports import periods

    match = re.match(r"^(\d{4}-\d{2})-([12])$", key or "")
    period = periods.parse("month", match.group(1)) if match else None
    return (period, int(match.group(2))) if period else None


def for_half(estate_id, period, half: int, tz: str, building=None) -> dict:
    """The table of a half-month, with its days (first, last) as ISO dates."""
    from bluebird.cases.listing import local_bounds

    first, last = half_days(period, half)
    start, end = local_bounds(first, last, tz)
    data = problem_sites(estate_id, start, end, building)
    data.update(half=half, first=first.isoformat(), last=last.isoformat())
    return data


def problem_sites(estate_id, start, end, building=None) -> dict:
    fails = fn.SUM(When(None, [(ItemResult.result == "fail", 1)], 0))
    query = (Round.select(Round.place_id, fn.COUNT(fn.DISTINCT(Round.id)).alias("checks"), fails.alias("fails"))
             .join(ItemResult, JOIN.LEFT_OUTER, on=(ItemResult.round == Round.id))
             .where((Round.estate == estate_id) & (Round.kind == "renovation") & (Round.place_kind == "permit")
                    & Round.finished_at.is_null(False) & (Round.finished_at >= start) & (Round.finished_at < end))
             .group_by(Round.place_id))
    counts = {r["place_id"]: r for r in query.dicts()}
    permits = {p.id: p for p in Permit.select(Permit, Unit).join(Unit).where(Permit.id.in_(list(counts) or [0]))}
    sites = []
    for permit_id, r in counts.items():
        permit = permits.get(permit_id)
        if permit is None or (building and permit.unit.building_id != building):
            continue
        sites.append({"permit": permit_id, "unit": permit.unit.code, "contractor": permit.contractor,
                      "checks": r["checks"], "fails": int(r["fails"] or 0)})
    sites.sort(key=lambda s: (-s["fails"], s["unit"]))
    return {"checked": len(sites), "problem": sum(1 for s in sites if s["fails"]),
            "checks": sum(s["checks"] for s in sites), "fails": sum(s["fails"] for s in sites), "sites": sites}
