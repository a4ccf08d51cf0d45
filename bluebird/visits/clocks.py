"""The visit duties the scheduler makes (idempotently, from tick()).

- Each week, one "visit plan" duty per patch (走访 12 户): the households most overdue for
  contact, key accounts (重点户) first at their shorter interval. It is the patch butler's
  (the supervisor's while nobody covers the patch), due Sunday 18:00; each visit to a
  listed household ticks it off, the last one closes the duty, and a plan still open when
  the next week begins ends as missed (outcomes.end_missed).
- Renovation after-sales calls (000 §1, §2): a start-of-works congratulation call due
  72 hours after a permit's start (开工祝贺), and on the 15th and the last day of each
  month a call-back for every site active more than 15 days (在施工回访).
"""
import calendar
from collections import defaultdict
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from bluebird.db import db
from bluebird.duties import outcomes
from bluebird.duties.models import Duty, create_duty
from bluebird.duties.rules import register_kind, register_link
from bluebird.estate import coverage
from bluebird.estate.models import Building, Estate, Patch, Unit
from bluebird.notify.reminders import register_lead
from bluebird.renovations.models import Permit, PermitStatus
from bluebird.rounds.schedule import _at, local_day
from bluebird.visits.models import Household, SiteCall, SiteCallKind, VisitPlan, VisitPlanItem

VISIT_PLAN = "visit_plan"
RENO_CONGRATS = "reno_congrats"
RENO_CALLBACK = "reno_callback"
DUTY_OF_CALL = {SiteCallKind.CONGRATS: RENO_CONGRATS, SiteCallKind.CALLBACK: RENO_CALLBACK}

register_kind(VISIT_PLAN, _l("This week's household visits"))
register_kind(RENO_CONGRATS, _l("Start-of-works congratulation call"))
register_kind(RENO_CALLBACK, _l("Renovation site call-back"))
# Announced early enough to do: the week's list on Thursday evening (it shows how far it
# got, 一区 5/12), the congratulation call a day after the start, the call-back that morning.
register_lead(VISIT_PLAN, timedelta(days=3))
register_lead(RENO_CONGRATS, timedelta(hours=48))
register_lead(RENO_CALLBACK, timedelta(hours=8))

CONGRATS_WITHIN = timedelta(hours=72)
CALLBACK_AFTER_DAYS = 15


def aftersales_subject(permit_id) -> str:
    return f"aftersales:{permit_id}"


def _patch_of_plan(plan_id):
    plan = VisitPlan.select(VisitPlan.patch).where(VisitPlan.id == plan_id).first()
    return plan.patch_id if plan else None


coverage.register_patch_duties("visitplan", _patch_of_plan, VISIT_PLAN)
coverage.register_patch_duties("aftersales", coverage.patch_through_unit(Permit), RENO_CONGRATS, RENO_CALLBACK)
register_link("visitplan", lambda rest: url_for("visits.plan", plan_id=int(rest)))
register_link("aftersales", lambda rest: url_for("visits.site_calls", permit_id=int(rest)))


def _ended_permits(ids) -> dict[int, str]:
    rows = Permit.select(Permit.id).where(Permit.id.in_(ids) & Permit.status.not_in(PermitStatus.ACTIVE))
    return {p.id: outcomes.PERMIT_ENDED for p in rows}


outcomes.register_end("aftersales", _ended_permits)


def generate(now: datetime) -> int:
    """Make this week's plans and today's after-sales calls for every estate; return how many."""
    made = 0
    for estate in Estate.select():
        made += week_for(estate, now) + aftersales_for(estate, now)
    return made


def week_start(estate, now):
    """(the Monday of the estate's current week, its first moment as naive UTC)."""
    day = local_day(now, estate.timezone)
    monday = day - timedelta(days=day.weekday())
    return monday, _at(monday, 0, 0, estate.timezone)


def week_for(estate, now: datetime, force=False) -> int:
    """End last week's plans (the remainder missed) and make this week's, once a week."""
    monday, start = week_start(estate, now)
    if not force and estate.setting("visit_plans_week") == monday.isoformat():
        return 0
    end_weeks_before(estate, start, now)
    made = plan_week(estate, monday, now)
    estate.set_setting("visit_plans_week", monday.isoformat())
    return made


def end_weeks_before(estate, start, now) -> int:
    """Plans of earlier weeks still open: what is left of them is missed."""
    left = list(Duty.select().where((Duty.estate == estate.id) & (Duty.kind == VISIT_PLAN) & Duty.done_at.is_null()
                                    & (Duty.due_at < start)))
    return outcomes.end_missed(left, start, at=now)


def pick(households, now, settings) -> list:
    """The week's list: households overdue for contact, key accounts first, longest ago first."""
    normal = now - timedelta(days=settings["interval_days"])
    key = now - timedelta(days=settings["key_interval_days"])
    due = [h for h in households if h["last_at"] is None or h["last_at"] <= (key if h["key_account"] else normal)]
    due.sort(key=lambda h: (not h["key_account"], h["last_at"] or datetime.min, h["code"]))
    return due[:settings["quota"]]


def plan_week(estate, monday, now) -> int:
    """One plan and its duty per patch with households due a visit; return how many were made."""
    from bluebird.visits.service import settings_of

    settings = settings_of(estate)
    by_patch = defaultdict(list)
    for row in Household.listing(estate.id).dicts():
        if row["patch_id"]:
            row["key_account"] = bool(row["key_account"])
            by_patch[row["patch_id"]].append(row)
    have = {p.patch_id for p in VisitPlan.select(VisitPlan.patch).where(
        (VisitPlan.estate == estate.id) & (VisitPlan.week_of == monday))}
    names = {p.id: p.name for p in Patch.select(Patch.id, Patch.name).where(Patch.estate == estate.id)}
    butlers = coverage.butlers_by_patch(estate.id)
    due = _at(monday + timedelta(days=6), 18, 0, estate.timezone)
    made = 0
    for patch_id, households in sorted(by_patch.items()):
        if patch_id in have:
            continue
        picked = pick(households, now, settings)
        if not picked:
            continue
        try:
            with db.atomic():
                plan = VisitPlan.create(estate=estate.id, patch=patch_id, week_of=monday, total=len(picked),
                                        created_at=now)
                VisitPlanItem.insert_many([
                    {"plan": plan.id, "unit": h["id"], "position": n, "key_account": h["key_account"],
                     "last_contact_at": h["last_at"]} for n, h in enumerate(picked)]).execute()
                assignee, role = coverage.covering(butlers.get(patch_id))
                create_duty(estate.id, VISIT_PLAN, plan.subject, due, assignee=assignee, role=role,
                            title=_title(names.get(patch_id, ""), 0, len(picked)), points=2,
                            grace=timedelta(hours=12), once_per_day=True)
        except IntegrityError:  # another scheduler made this patch's plan first
            continue
        made += 1
    return made


def _title(patch_name, done, total) -> str:
    return f"{patch_name} {done}/{total}"


def retitle(plan) -> None:
    """The plan's open duty says how far the week's list has got (一区 3/12)."""
    Duty.update(title=_title(plan.patch.name, plan.done, plan.total)).where(
        (Duty.subject == plan.subject) & (Duty.kind == VISIT_PLAN) & Duty.done_at.is_null()).execute()


def plan_is_open(plan) -> bool:
    return Duty.open_about(plan.subject, VISIT_PLAN).exists()


def _last_day(day) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def aftersales_for(estate, now: datetime) -> int:
    """Today's after-sales call duties, once a day; return how many were made."""
    tz = estate.timezone
    day = local_day(now, tz)
    if estate.setting("visits_aftersales_on") == day.isoformat():
        return 0
    butlers = coverage.butlers_by_patch(estate.id)
    active = (Permit.select(Permit, Unit, Building).join(Unit).join(Building)
              .where((Permit.estate == estate.id) & Permit.status.in_(PermitStatus.ACTIVE) & (Permit.starts_on <= day)))
    called = {c.permit_id for c in SiteCall.select(SiteCall.permit).where(
        (SiteCall.estate == estate.id) & (SiteCall.kind == SiteCallKind.CONGRATS) & SiteCall.reached)}
    callback_day = day.day == 15 or _last_day(day)
    made = 0
    for permit in active:
        assignee, role = coverage.covering(butlers.get(permit.unit.building.patch_id))
        subject = aftersales_subject(permit.id)
        if permit.starts_on >= day - timedelta(days=3) and permit.id not in called:
            create_duty(estate.id, RENO_CONGRATS, subject, _at(permit.starts_on, 0, 0, tz) + CONGRATS_WITHIN,
                        assignee=assignee, role=role, title=permit.unit.code, points=1, once_per_day=True)
            made += 1
        if callback_day and permit.starts_on <= day - timedelta(days=CALLBACK_AFTER_DAYS):
            create_duty(estate.id, RENO_CALLBACK, subject, _at(day, 18, 0, tz), assignee=assignee, role=role,
                        title=permit.unit.code, points=1, once_per_day=True)
            made += 1
    estate.set_setting("visits_aftersales_on", day.isoformat())
    return made
