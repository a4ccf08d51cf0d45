"""Reminders of duties coming due and notices of escalated ones, batched per person.

remind(now) claims the duties whose lead time has begun (a conditional UPDATE on
Duty.notified_at, so two schedulers never both remind), then puts one notice per person
in the inbox listing all of theirs, and one markdown message per team on its WeCom robot.
"""
from collections import defaultdict
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import force_locale, gettext

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.db import db
from bluebird.duties.models import Duty, claim_reminders
from bluebird.estate.models import Estate
from bluebird.notify import messages, service, wecom
from bluebird.notify.models import Notification

DEFAULT_LEAD = timedelta(minutes=30)
# How long before it falls due a duty is announced; a patrol takes a while to walk.
LEADS: dict[str, timedelta] = {
    "daily_patrol": timedelta(hours=2),
    "vacant_patrol": timedelta(hours=4),
    "renovation_check": timedelta(hours=2),
}
URGENT_KINDS = {"incident_notify"}
URGENT_GRACE = timedelta(minutes=15)
MAX_LINES = 10
CLAIM_BATCH = 5000


def register_lead(kind: str, lead: timedelta) -> None:
    """Announce duties of a kind this long before they fall due."""
    LEADS[kind] = lead


def lead(kind: str) -> timedelta:
    return LEADS.get(kind, DEFAULT_LEAD)


def is_urgent(duty) -> bool:
    """Incidents, duties with a short grace (be on site in 20 min) and ones due at once
    (an emergency repair's notice) go through quiet hours."""
    if duty.kind in URGENT_KINDS:
        return True
    if duty.escalate_at is not None and duty.escalate_at - duty.due_at <= URGENT_GRACE:
        return True
    created = duty.created_at
    return created is not None and created - timedelta(minutes=1) <= duty.due_at <= created + timedelta(minutes=1)


def _when(at: datetime, now: datetime, tz: str) -> str:
    wall, today = service.local(at, tz), service.local(now, tz)
    return wall.strftime("%H:%M") if wall.date() == today.date() else wall.strftime("%m-%d %H:%M")


def _line(duty, now, tz, who=None) -> str:
    text = f"{_when(duty.due_at, now, tz)} {duty.label}"
    if duty.title:
        text += f" · {duty.title}"
    if who:
        text += f" → {who}"
    return text


def _lines(duties, now, tz) -> str:
    lines = [_line(d, now, tz) for d in duties[:MAX_LINES]]
    if len(duties) > MAX_LINES:
        lines.append(gettext("…and %(num)d more", num=len(duties) - MAX_LINES))
    return "\n".join(lines)


def _url(duty) -> str:
    try:
        return service.local_path(duty.url or url_for("duties.agenda"))
    except RuntimeError:  # no app at all (a bare tick() in a test): the agenda's path
        return "/agenda"


def _recipients(duties):
    """Who hears about each duty: its assignee, or every active holder of its role."""
    assigned = {d.assignee_id for d in duties if d.assignee_id}
    wanted = {(d.estate_id, d.role) for d in duties if not d.assignee_id and d.role}
    people = {u.id: u for u in User.select().where(User.id.in_(list(assigned)) & User.active)} if assigned else {}
    by_role = defaultdict(list)
    for estate_id, role in wanted:
        for user in User.with_role(estate_id, role):
            by_role[(estate_id, role)].append(user)
    for d in duties:
        if d.assignee_id:
            yield d, [people[d.assignee_id]] if d.assignee_id in people else []
        else:
            yield d, [u for u in by_role.get((d.estate_id, d.role), []) if u.id != d.excluded_id]


def _zones(estate_ids) -> dict[int, Estate]:
    return {e.id: e for e in Estate.select().where(Estate.id.in_(list(estate_ids)))}


def remind(now) -> tuple[int, list[tuple[int, str]]]:
    """Claim the duties now inside their lead time; notify each person once for all of theirs.

    Returns how many duties were claimed, and the WeCom deliveries to enqueue (push
    goes out through dispatch()).
    """
    window = now + max([DEFAULT_LEAD, *LEADS.values()])
    due = Duty.select(Duty.id, Duty.kind, Duty.due_at).where(
        Duty.done_at.is_null() & Duty.notified_at.is_null() & (Duty.due_at <= window)).limit(CLAIM_BATCH)
    ids = [d.id for d in due if d.due_at - lead(d.kind) <= now]
    if not ids:
        return 0, []
    queued = []
    with service.url_context(), db.atomic():
        claimed = claim_reminders(ids, now)
        if not claimed:
            return 0, []
        duties = list(Duty.select().where(Duty.id.in_(claimed)).order_by(Duty.due_at, Duty.id))
        estates = _zones({d.estate_id for d in duties})
        mine, users = defaultdict(list), {}
        teams = defaultdict(list)
        for duty, people in _recipients(duties):
            for user in people:
                mine[user.id].append(duty)
                users[user.id] = user
            who = ", ".join(u.name for u in people) if duty.assignee_id else roles.LABELS.get(duty.role, duty.role)
            teams[(duty.estate_id, people[0].role if duty.assignee_id and people else duty.role)].append((duty, who))
        for user_id, items in mine.items():
            # Urgent ones go through quiet hours; the rest wait, in a notice of their own.
            tz = estates[items[0].estate_id].timezone
            for group in ([d for d in items if is_urgent(d)], [d for d in items if not is_urgent(d)]):
                if group:
                    _remind_one(users[user_id], group, now, tz)
        for (estate_id, team), items in teams.items():
            sent = service.queue_wecom(estate_id, team, _wecom_text(estates[estate_id], items, now, escalated=False))
            if sent:
                queued.append(sent)
    return len(claimed), queued


def _remind_one(user, duties, now, tz) -> Notification:
    urgent = any(is_urgent(d) for d in duties)
    with force_locale(user.locale):
        if len(duties) == 1:
            duty = duties[0]
            title, message = str(duty.label), messages.message("duty_due", kind=duty.kind)
            body = _lines(duties, now, tz)
            url = _url(duty)
        else:
            title = gettext("Duties due: %(num)d", num=len(duties))
            message = messages.message("duties_due", num=len(duties))
            body = _lines(duties, now, tz)
            url = _url_agenda()
    return service.notify(user, title, body, url, urgent=urgent, kind="reminder", now=now, tz=tz, message=message)


def _url_agenda() -> str:
    try:
        return service.local_path(url_for("duties.agenda"))
    except RuntimeError:
        return "/agenda"


def escalation_notices(duty_ids, now) -> list[tuple[int, str]]:
    """Tell the supervisors of each estate about duties just escalated (each once: the
    escalation claim already made sure). Returns the WeCom deliveries to enqueue."""
    if not duty_ids:
        return []
    queued = []
    with service.url_context(), db.atomic():
        duties = list(Duty.select().where(Duty.id.in_(list(duty_ids))).order_by(Duty.due_at, Duty.id))
        estates = _zones({d.estate_id for d in duties})
        names = {u.id: u.name for u in User.select(User.id, User.name).where(
            User.id.in_([d.assignee_id for d in duties if d.assignee_id]))}
        per_estate = defaultdict(list)
        for d in duties:
            per_estate[d.estate_id].append((d, names.get(d.assignee_id) or roles.LABELS.get(d.role, d.role)))
        for estate_id, items in per_estate.items():
            estate = estates[estate_id]
            bosses = list(User.with_role(estate_id, roles.MANAGER)) or list(User.with_role(estate_id, roles.ADMIN))
            for boss in bosses:
                _escalate_one(boss, items, now, estate.timezone)
            # Whoever owed them hears where they went: "转给了 王经理".
            to = "、".join(b.name for b in bosses)
            owned = defaultdict(list)
            for d, _who in items:
                if d.assignee_id and d.assignee_id not in {b.id for b in bosses}:
                    owned[d.assignee_id].append(d)
            if to and owned:
                for owner in User.select().where(User.id.in_(list(owned)) & User.active):
                    _passed_note(owner, owned[owner.id], to, now, estate.timezone)
            sent = service.queue_wecom(estate_id, roles.MANAGER, _wecom_text(estate, items, now, escalated=True))
            if sent:
                queued.append(sent)
    return queued


def _escalate_one(user, items, now, tz) -> Notification:
    urgent = any(is_urgent(d) for d, _who in items)
    with force_locale(user.locale):
        if len(items) == 1:
            duty, who = items[0]
            title = gettext("Overdue: %(duty)s", duty=duty.label)
            message = messages.message("overdue", kind=duty.kind)
            url = _url(duty)
        else:
            title = gettext("Overdue duties: %(num)d", num=len(items))
            message = messages.message("overdue_many", num=len(items))
            url = _url_agenda()
        lines = [_line(d, now, tz, who) for d, who in items[:MAX_LINES]]
        if len(items) > MAX_LINES:
            lines.append(gettext("…and %(num)d more", num=len(items) - MAX_LINES))
    return service.notify(user, title, "\n".join(lines), url, urgent=urgent, kind="escalation", now=now, tz=tz,
                          message=message)


def _wecom_text(estate, items, now, escalated) -> str:
    """The robot's markdown: a heading, then one quoted line per duty (always in Chinese,
    the group's language)."""
    with force_locale("zh_CN"):
        if escalated:
            head = '<font color="warning">**{}**</font>'.format(gettext("Overdue, escalated to the supervisor"))
        else:
            head = "**{}**".format(gettext("Duties due"))
        lines = [f"{head} · {wecom.clean(estate.name)}"]
        for duty, who in items[:30]:
            lines.append("> " + wecom.clean(_line(duty, now, estate.timezone, who)))
        if len(items) > 30:
            lines.append("> " + gettext("…and %(num)d more", num=len(items) - 30))
    return "\n".join(lines)


def announce_reassigned(duty_ids, new_owner_id, previous_owner_ids=(), now=None) -> int:
    """Tell the new owner of duties handed to him at once, and each previous owner in a
    short note who has them now ("转给了 …"). Runs inside the reassignment's transaction.

    Duties already inside their lead time count as reminded by this notice (the tick
    would otherwise remind him again a minute later). Returns the notices made.
    """
    now = now or clock.now()
    duties = list(Duty.select().where(Duty.id.in_(list(duty_ids))).order_by(Duty.due_at, Duty.id)) if duty_ids else []
    owner = User.get_or_none((User.id == new_owner_id) & User.active)
    if not duties or owner is None:
        return 0
    tz = Estate.get_by_id(owner.estate_id).timezone
    made = 0
    with service.url_context():
        urgent = any(is_urgent(d) for d in duties)
        with force_locale(owner.locale):
            if len(duties) == 1:
                title = gettext("Now yours: %(duty)s", duty=duties[0].label)
                message = messages.message("duty_assigned", kind=duties[0].kind)
                url = _url(duties[0])
            else:
                title = gettext("Now yours: %(num)d duties", num=len(duties))
                message = messages.message("duties_assigned", num=len(duties))
                url = _url_agenda()
            body = _lines(duties, now, tz)
        service.notify(owner, title, body, url, urgent=urgent, kind="reminder", now=now, tz=tz, message=message)
        made += 1
        within = [d.id for d in duties if d.notified_at is None and d.due_at - lead(d.kind) <= now]
        if within:
            claim_reminders(within, now)
        for old in User.select().where(User.id.in_([i for i in set(previous_owner_ids) if i and i != owner.id])
                                       & User.active):
            _passed_note(old, duties, owner.name, now, tz)
            made += 1
    return made


def _passed_note(user, duties, name, now, tz) -> Notification:
    """The short note to whoever had these duties: "转给了 …" (not urgent: quiet hours hold)."""
    with force_locale(user.locale):
        if len(duties) == 1:
            title = gettext("%(duty)s: passed to %(name)s", duty=duties[0].label, name=name)
            message = messages.message("duty_passed", kind=duties[0].kind, name=name)
        else:
            title = gettext("%(num)d duties passed to %(name)s", num=len(duties), name=name)
            message = messages.message("duties_passed", num=len(duties), name=name)
    return service.notify(user, title, "", _url_agenda(), kind="info", now=now, tz=tz, message=message)
