"""The desk's daily routine duties, generated from tick() (idempotently), and the acts
that settle them: sorting the open items (11:00, 14:30) and posting the day (17:00)."""
from datetime import timedelta

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.db import db
from bluebird.duties.models import Duty, close_duties, create_duty, find_duty
from bluebird.estate.models import Estate
from bluebird.frontdesk import clocks
from bluebird.frontdesk.handover import open_counts
from bluebird.timeline.models import record

# A sort done up to this long before its time counts for it (the desk is not idle at 10:45).
EARLY = timedelta(hours=2)


def subject(estate_id, slot) -> str:
    return f"desk:{estate_id}:{slot}"


def generate(now=None) -> int:
    """Make today's desk routine duties for every estate with a desk; return how many were made."""
    now = now or clock.now()
    made = 0
    staffed = User.select(User.estate).where((User.role == roles.RECEPTION) & User.active).distinct()
    for estate in Estate.select().where(Estate.id.in_(staffed)):
        made += generate_for(estate, now)
    return made


def generate_for(estate, now) -> int:
    tz = estate.timezone
    day = clocks.local_day(now, tz)
    times = clocks.routine(estate)
    made = 0
    for slot, kind in clocks.SLOTS:
        due = clocks.utc_at(day, clocks.hhmm(times[slot]), tz)
        if find_duty(kind, subject(estate.id, slot), due.date(), open_only=False) is not None:
            continue  # made today already (and perhaps done): once a day, whatever the ticks
        create_duty(estate.id, kind, subject(estate.id, slot), due, role=roles.RECEPTION, title=times[slot],
                    once_per_day=True)
        made += 1
    return made


def due_now(estate, kind, now=None):
    """The routine duties of a kind the desk could settle now: open, and due within EARLY."""
    now = now or clock.now()
    slots = [subject(estate.id, slot) for slot, k in clocks.SLOTS if k == kind]
    return list(Duty.select().where(Duty.subject.in_(slots) & (Duty.kind == kind) & Duty.done_at.is_null()
                                    & (Duty.due_at <= now + EARLY)).order_by(Duty.due_at))


def today(estate, now=None):
    """Today's routine duties of the estate, in time order (done or not)."""
    now = now or clock.now()
    tz = estate.timezone
    start, end = clocks.day_bounds(clocks.local_day(now, tz), tz)
    slots = [subject(estate.id, slot) for slot, _kind in clocks.SLOTS]
    return list(Duty.select().where(Duty.subject.in_(slots) & (Duty.due_at >= start) & (Duty.due_at < end))
                .order_by(Duty.due_at))


def settle(estate, actor, kind) -> int:
    """The desk sorted its open items (or posted the day): record what stood open, close the duty."""
    counts = open_counts(estate.id)
    with db.atomic():
        closed = sum(close_duties(d.subject, kind, actor.id) for d in due_now(estate, kind))
        record(estate.id, f"desk:{estate.id}", actor.id, "sorted" if kind == clocks.SORT else "posted", **counts)
    return closed
