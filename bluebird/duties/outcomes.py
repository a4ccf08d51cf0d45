"""How duties end other than by their work: void when their subject ends, missed when their
KPI period closes.

The places where a subject ends call `end_subject(subject, reason, by)` (a case closed or
cancelled, a permit accepted or closed, a key retired) or `recheck(subject, by)` (a unit's
status changed: whether its vacant-unit patrol still applies is the rounds package's to
say). Each package registers an "ended?" predicate for its subjects with `register_end`,
and tick() runs `sweep_ended()` over every open duty every tenth minute, so a path that
forgets to end its subject still ends right within ten minutes. A void duty has done_at set: it leaves every
partial index of open duties, so it is never reminded, escalated or counted.
"""
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from peewee import fn

from bluebird import clock
from bluebird.db import db
from bluebird.duties.models import Duty, Outcome
from bluebird.timeline.models import record

VOIDED = "duties_voided"  # the timeline verb on the subject

CASE_CLOSED = "case_closed"
CASE_CANCELLED = "case_cancelled"
PERMIT_ENDED = "permit_ended"
KEY_RETIRED = "key_retired"
UNIT_STATUS = "unit_status"
SUPERSEDED = "superseded"
ENDED = "subject_ended"

REASONS = {
    CASE_CLOSED: _l("the case was closed"),
    CASE_CANCELLED: _l("the case was cancelled"),
    PERMIT_ENDED: _l("the renovation is no longer under way"),
    KEY_RETIRED: _l("the key was retired from the register"),
    UNIT_STATUS: _l("the unit is no longer vacant or waiting for hand-over"),
    SUPERSEDED: _l("superseded: reassigned to someone else"),
    ENDED: _l("what it was about has ended"),
}


def register_reason(code: str, label) -> None:
    """Name a reason a package voids duties for."""
    REASONS[code] = label


def reason_label(code: str):
    """The reader's words for a void reason (a free-text reason reads as written)."""
    return REASONS.get(code, code)


def void(duties: Iterable[Duty], reason: str, by=None, at=None) -> int:
    """Void these duties (those still open); write one timeline entry per subject."""
    at = at or clock.now()
    by_subject = defaultdict(list)
    for duty in duties:
        by_subject[(duty.estate_id, duty.subject)].append(duty)
    voided = 0
    with db.atomic():
        for (estate_id, subject), rows in by_subject.items():
            got = list(Duty.update(done_at=at, done_by=by, outcome=Outcome.VOID, void_reason=str(reason)[:200])
                       .where(Duty.id.in_([d.id for d in rows]) & Duty.done_at.is_null())
                       .returning(Duty.kind).execute())
            if got:
                record(estate_id, subject, by, VOIDED, reason=str(reason)[:200], kinds=sorted({r.kind for r in got}),
                       n=len(got))
                voided += len(got)
    return voided


def end_subject(subject: str, reason: str, by=None, *, kinds=None, at=None) -> int:
    """Void a thing's open duties (of these kinds only, if given): it ended, they no longer apply."""
    query = Duty.open_about(subject)
    if kinds is not None:
        query = query.where(Duty.kind.in_(list(kinds)))
    return void(list(query), reason, by, at)


# ---------------------------------------------------------------- the safety net


@dataclass(frozen=True)
class Ending:
    prefix: str  # "case": subjects "case:<id>"
    ended: Callable[[list[int]], dict[int, str]]  # ids -> {id: reason} of those that ended
    kinds: tuple | None = None  # only these duty kinds end with it (None: every kind)


ENDINGS: list[Ending] = []


def register_end(prefix: str, ended: Callable[[list[int]], dict[int, str]], kinds=None) -> None:
    """Say how to tell that "<prefix>:<id>" subjects have ended (a cheap query over ids)."""
    ENDINGS.append(Ending(prefix, ended, tuple(kinds) if kinds else None))


def _ids(subjects) -> dict[int, str]:
    out = {}
    for subject in subjects:
        rest = subject.partition(":")[2]
        if rest.isdigit():
            out[int(rest)] = subject
    return out


def _sweep(ending: Ending, subjects, by) -> int:
    ids = _ids(subjects)
    voided = 0
    for start in range(0, len(ids), 500):
        chunk = list(ids)[start:start + 500]
        for thing_id, reason in ending.ended(chunk).items():
            voided += end_subject(ids[thing_id], reason, by, kinds=ending.kinds)
    return voided


def recheck(subject: str, by=None) -> int:
    """Void what no longer applies to one thing that just changed (asks the registered predicates)."""
    prefix = subject.partition(":")[0]
    return sum(_sweep(e, [subject], by) for e in ENDINGS if e.prefix == prefix)


def sweep_ended() -> int:
    """Void the open duties of every ended subject (tick's safety net); return how many.

    One range of the open subjects' partial index per prefix, then one query per 500 ids.
    """
    voided = 0
    for ending in ENDINGS:
        # A range, not LIKE: it seeks the partial index of open subjects on both databases.
        query = Duty.select(Duty.subject).where(Duty.done_at.is_null() & (Duty.subject >= ending.prefix + ":")
                                                & (Duty.subject < ending.prefix + ";"))
        if ending.kinds:
            query = query.where(Duty.kind.in_(list(ending.kinds)))
        subjects = [row.subject for row in query.distinct()]
        if subjects:
            voided += _sweep(ending, subjects, None)
    return voided


# ---------------------------------------------------------------- missed


def mark_missed(estate_id, period_end: datetime) -> int:
    """Mark the estate's duties due before `period_end` and still open as missed; return how many.

    They stay open (owed, on the agenda); `missed_at` records the period they were
    missed in and outlives a later completion, so a closed month's count never changes.
    """
    return (Duty.update(outcome=Outcome.MISSED, missed_at=period_end)
            .where((Duty.estate == estate_id) & Duty.done_at.is_null() & Duty.outcome.is_null()
                   & (Duty.due_at < period_end)).execute())


def end_missed(duties: Iterable[Duty], period_end: datetime, at=None) -> int:
    """End duties bound to a period that closed with them still open: missed, and no longer
    owed, because the next period's duty replaces them (last week's visit plan). They keep
    `missed_at`, so the period's count is the same as for mark_missed; return how many."""
    ids = [d.id for d in duties]
    if not ids:
        return 0
    return (Duty.update(done_at=at or clock.now(), outcome=Outcome.MISSED,
                        missed_at=fn.COALESCE(Duty.missed_at, period_end))
            .where(Duty.id.in_(ids) & Duty.done_at.is_null()).execute())


def month_start(now: datetime, tz: str) -> datetime:
    """The first moment of the estate's current local month, as naive UTC."""
    zone = ZoneInfo(tz or "Asia/Shanghai")
    wall = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    start = datetime.combine(wall.date().replace(day=1), time(0, 0), tzinfo=zone)
    return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def close_periods(now=None) -> int:
    """At each estate's month end (first tick of a new local month) mark the last month's misses."""
    from bluebird.estate.models import Estate

    now = now or clock.now()
    marked = 0
    for estate in Estate.select():
        start = month_start(now, estate.timezone)
        if estate.setting("duties_missed_through") == start.isoformat():
            continue
        marked += mark_missed(estate.id, start)
        estate.set_setting("duties_missed_through", start.isoformat())
    return marked


def describe(event) -> str:
    """One timeline line for a voiding, in the reader's language."""
    from bluebird.duties.rules import kind_label

    data = event.data
    sep = "、" if str(get_locale() or "zh").startswith("zh") else ", "
    kinds = sep.join(str(kind_label(k)) for k in data.get("kinds", []))
    return gettext("void: %(kinds)s (%(reason)s)", kinds=kinds, reason=reason_label(data.get("reason", "")))
