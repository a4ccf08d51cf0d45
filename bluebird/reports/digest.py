"""The supervisors' morning digest (每日简报), after open-condo's daily statistics.

At 08:30 on the estate's calendar each supervisor gets one notice: yesterday's new cases
and what stands overdue, reopened or unassigned. It opens the digest page, where each line
is a link to the case list filtered to exactly those cases. Nothing to say, no notice.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from peewee import SQL, IntegrityError, Value, fn

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases.kinds import CaseKind, CaseStatus
from bluebird.cases.listing import local_bounds
from bluebird.cases.models import Case
from bluebird.db import db
from bluebird.duties.models import Duty
from bluebird.estate.models import Estate
from bluebird.notify.messages import message
from bluebird.reports.models import ReportCache

AT = time(8, 30)
UNTIL = time(12, 0)  # a consumer down all morning does not send yesterday's digest at night


def counts(estate_id, day, tz, now=None) -> dict:
    """The digest's lines for the local day `day` (yesterday at 08:30)."""
    now = now or clock.now()
    start, end = local_bounds(day, day, tz)
    valid = (Case.estate == estate_id) & (Case.status != CaseStatus.CANCELLED)
    new = {r["kind"]: r["n"] for r in Case.select(Case.kind, fn.COUNT(Case.id).alias("n"))
           .where(valid & (Case.created_at >= start) & (Case.created_at < end)).group_by(Case.kind).dicts()}
    late = (Duty.select(SQL("1")).where((Duty.subject == Value("case:").concat(Case.id.cast("TEXT")))
                                        & Duty.done_at.is_null() & (Duty.due_at < now)))
    open_ = valid & Case.status.in_(list(CaseStatus.OPEN))
    return {
        "new": sum(new.values()), "new_by_kind": new,
        "overdue": Case.select().where(open_ & fn.EXISTS(late)).count(),
        "reopened": Case.select().where(open_ & (Case.reopened > 0)).count(),
        "unassigned": Case.select().where(valid & (Case.status == CaseStatus.NEW) & (Case.kind == CaseKind.REPAIR)
                                          & Case.assignee.is_null() & (Case.department == "")).count(),
    }


def quiet(c: dict) -> bool:
    return not (c["new"] or c["overdue"] or c["reopened"] or c["unassigned"])


def url_for_day(day) -> str:
    return f"/reports/digest?day={day.isoformat()}"


def send_for(estate, now) -> int:
    """Send the estate's digest if it is 08:30–12:00 there and today's has not gone; return notices sent."""
    from bluebird.notify.models import Notification
    from bluebird.notify.service import notify

    tz = estate.timezone
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz))
    if not (AT <= local.time() < UNTIL):
        return 0
    day = local.date() - timedelta(days=1)
    url = url_for_day(day)
    supervisors = list(User.select().where((User.estate == estate.id) & (User.role == roles.MANAGER) & User.active))
    if not supervisors:
        return 0
    sent = {n.user_id for n in Notification.select(Notification.user)
            .where(Notification.user.in_([u.id for u in supervisors]) & (Notification.kind == "digest")
                   & (Notification.url == url))}
    waiting = [u for u in supervisors if u.id not in sent]
    if not waiting:
        return 0
    c = counts(estate.id, day, tz, now)
    if quiet(c):
        return 0
    key = message("digest", new=c["new"], overdue=c["overdue"], reopened=c["reopened"], unassigned=c["unassigned"])
    with db.atomic():
        # The claim is the write: one row per estate and day under a unique key, in the same
        # transaction as the notices. A second scheduler at the same minute loses the insert.
        try:
            with db.atomic():
                ReportCache.create(estate=estate.id, key=f"digest:{day.isoformat()}", data="{}", computed_at=now)
        except IntegrityError:
            return 0
        for user in waiting:
            notify(user, title="每日简报", url=url, kind="digest", now=now, tz=tz, message=key)
    return len(waiting)


def send(now=None) -> int:
    now = now or clock.now()
    staffed = User.select(User.estate).where((User.role == roles.MANAGER) & User.active).distinct()
    return sum(send_for(e, now) for e in Estate.select().where(Estate.id.in_(staffed)))


def day_of(text: str):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None

