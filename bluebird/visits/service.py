"""The functions that record visits and site calls and keep the households' last contact.

Each submission is one transaction: the row (claiming its client_uuid), the household's
last contact, the visit plan's tick, the duty it closes, the timeline and photo rows.
"""
import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from bluebird import clock
from bluebird.cases.kinds import CaseKind
from bluebird.db import create_once, db, replayed
from bluebird.duties.models import close_duties
from bluebird.estate.models import Resident
from bluebird.photos import service as photo_store
from bluebird.timeline.models import record
from bluebird.visits import clocks, contacts
from bluebird.visits.models import (
    ContactKind,
    Household,
    MeetingAttendee,
    MeetingCase,
    OwnerMeeting,
    SiteCall,
    SiteCallKind,
    Visit,
    VisitPlan,
    VisitPlanItem,
    Way,
    percent,
)

# An estate's visit settings (设置 › 走访), with the defaults of 003 篇7.
DEFAULTS = {"quota": 12, "window_days": 90, "interval_days": 90, "key_interval_days": 30}
LIMITS = {"quota": (1, 100), "window_days": (7, 365), "interval_days": (7, 365), "key_interval_days": (1, 365)}


class VisitError(Exception):
    """A step a user asked for that cannot be done; `status` is the HTTP answer."""

    def __init__(self, message, status=422, field=None):
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field


def settings_of(estate) -> dict:
    """The estate's visit settings, defaults filled in."""
    stored = estate.setting("visits", {}) or {}
    return {key: int(stored.get(key, default)) for key, default in DEFAULTS.items()}


def save_settings(estate, values: dict) -> None:
    estate.set_setting("visits", {key: int(values[key]) for key in DEFAULTS})


def window_start(estate, now=None):
    return (now or clock.now()) - timedelta(days=settings_of(estate)["window_days"])


def familiarity(estate, patch_id, now=None) -> dict:
    """A patch's familiarity: contacted households of the window, households, the percentage."""
    done, total = Household.familiarity(estate.id, patch_id, window_start(estate, now))
    return {"done": done, "total": total, "percent": percent(done, total)}


def record_visit(client_uuid, *, estate, unit, actor, way, met="", opinions="", request="", photos=()) -> tuple:
    """Record a visit with its photos; it counts as a contact and ticks the week's plan.

    Returns (visit, created); a replay returns the first visit and does nothing more.
    """
    earlier = replayed(Visit, client_uuid, estate=estate.id, by=actor.id)
    if earlier is not None:
        return earlier, False
    if way not in Way.ALL:
        raise VisitError(_l("Choose how the visit was made."), field="way")
    stored = photo_store.store_all(photos)
    with db.atomic():
        now = clock.now()
        visit, created = create_once(Visit, client_uuid, estate=estate.id, unit=unit.id, by=actor.id, at=now,
                                     way=way, met=(met or "").strip()[:100], opinions=(opinions or "").strip(),
                                     request=(request or "").strip(), created_at=now)
        if not created:
            photo_store.discard(stored)
            return visit, False
        photo_store.attach_all(stored, estate_id=estate.id, subject=visit.subject, actor_id=actor.id,
                               place=unit.code)
        contacts.touch(estate.id, unit.id, ContactKind.VISIT, now)
        record(estate.id, f"unit:{unit.id}", actor.id, "visited", visit=visit.id, way=way, met=visit.met)
        _tick_plan(visit, actor, now)
    return visit, True


def _tick_plan(visit, actor, now) -> None:
    """The household's item on an open plan is done; the plan's duty closes with its last one."""
    open_items = (VisitPlanItem.select(VisitPlanItem, VisitPlan).join(VisitPlan)
                  .where((VisitPlanItem.unit == visit.unit_id) & VisitPlanItem.done_at.is_null()
                         & (VisitPlan.estate == visit.estate_id)))
    for item in open_items:
        plan = item.plan
        if not clocks.plan_is_open(plan):
            continue
        if not VisitPlanItem.update(done_at=now, visit=visit.id).where(
                (VisitPlanItem.id == item.id) & VisitPlanItem.done_at.is_null()).execute():
            continue
        VisitPlan.update(done=VisitPlan.done + 1).where(VisitPlan.id == plan.id).execute()
        plan = VisitPlan.get_by_id(plan.id)
        clocks.retitle(plan)
        if plan.done >= plan.total:
            close_duties(plan.subject, clocks.VISIT_PLAN, actor.id, at=now)


CASE_KINDS = (CaseKind.REPAIR, CaseKind.INQUIRY)


def case_from_visit(client_uuid, visit: Visit, actor, kind: str):
    """Register the visit's request as a case (its unit, whom he met, the request), once."""
    from bluebird.cases import service as cases

    if kind not in CASE_KINDS:
        raise VisitError(_l("A request becomes a repair or an inquiry."), field="kind")
    if visit.case_id:
        return visit.case, False
    text = (visit.request or "").strip() or (visit.opinions or "").strip()
    if not text:
        raise VisitError(_l("This visit recorded no request to register."), field="request")
    resident = (Resident.select().where(Resident.unit == visit.unit_id)
                .order_by(Resident.relation != "owner", Resident.id).first())
    fields = {"kind": kind, "unit": visit.unit, "resident": resident.id if resident else None,
              "contact_name": (visit.met or (resident.name if resident else ""))[:50],
              "contact_phone": resident.phone if resident else "", "source": "visit", "description": text}
    if kind == CaseKind.REPAIR:
        fields.update(scope="household", trade="other", work_type="basic", category="other")
    with db.atomic():
        case, created = cases.register(client_uuid, estate=visit.estate, registrar=actor, fields=fields)
        if Visit.update(case=case.id).where((Visit.id == visit.id) & Visit.case.is_null()).execute():
            record(visit.estate_id, f"unit:{visit.unit_id}", actor.id, "visit_case", visit=visit.id, case=case.id)
    return case, created


def log_site_call(client_uuid, *, permit, actor, kind, reached=True, designer="", site_supervisor="",
                  project_manager="", note="", problem=False, problem_note="") -> tuple:
    """Record an after-sales call about a renovation; it closes that call's duty."""
    earlier = replayed(SiteCall, client_uuid, estate=permit.estate_id, by=actor.id)
    if earlier is not None:
        return earlier, False
    if kind not in SiteCallKind.ALL:
        raise VisitError(_l("Choose which call this is."), field="kind")
    if problem and not (problem_note or "").strip():
        raise VisitError(_l("Say what the problem on the site is."), field="problem_note")
    with db.atomic():
        now = clock.now()
        call, created = create_once(
            SiteCall, client_uuid, estate=permit.estate_id, permit=permit.id, kind=kind, by=actor.id, at=now,
            reached=bool(reached), designer=designer.strip()[:80], site_supervisor=site_supervisor.strip()[:80],
            project_manager=project_manager.strip()[:80], note=(note or "").strip()[:300], problem=bool(problem),
            problem_note=(problem_note or "").strip()[:300] if problem else "")
        if not created:
            return call, False
        record(permit.estate_id, permit.subject, actor.id, "site_call", call=kind, reached=call.reached,
               problem=call.problem, note=call.note)
        if call.reached:
            contacts.touch(permit.estate_id, permit.unit_id, ContactKind.SITE_CALL, now)
            close_duties(clocks.aftersales_subject(permit.id), clocks.DUTY_OF_CALL[kind], actor.id, at=now)
    return call, True


def parse_units(estate_id, text: str):
    """Units named in free text ("3-1502 3-1601，5-201"): (units, the codes not found)."""
    from bluebird.cases import service as cases

    codes = [c for c in re.split(r"[\s,，、;；]+", text or "") if c]
    units, unknown = [], []
    for code in dict.fromkeys(codes):
        unit = cases.find_unit(estate_id, code)
        (units.append(unit) if unit is not None else unknown.append(code))
    return units, unknown


def hold_meeting(client_uuid, *, estate, actor, held_on, place, topics, resolutions, units) -> tuple:
    """Record an owner meeting (业主见面会); each attending household counts as contacted."""
    earlier = replayed(OwnerMeeting, client_uuid, estate=estate.id, by=actor.id)
    if earlier is not None:
        return earlier, False
    if held_on > clock.now().date() + timedelta(days=1):
        raise VisitError(_l("Record a meeting once it has been held."), field="held_on")
    with db.atomic():
        meeting, created = create_once(OwnerMeeting, client_uuid, estate=estate.id, by=actor.id, held_on=held_on,
                                       place=place.strip()[:80], topics=(topics or "").strip(),
                                       resolutions=(resolutions or "").strip(), created_at=clock.now())
        if not created:
            return meeting, False
        if units:
            MeetingAttendee.insert_many([{"meeting": meeting.id, "unit": u.id} for u in units]).execute()
        for unit in units:
            contacts.touch(estate.id, unit.id, ContactKind.MEETING)
        record(estate.id, meeting.subject, actor.id, "held", households=len(units))
    return meeting, True


def meeting_case(client_uuid, meeting, actor, *, unit, kind, description):
    """A follow-up of an owner meeting becomes a case in one step, linked to the meeting."""
    from bluebird.cases import service as cases

    if kind not in CASE_KINDS + (CaseKind.COMPLAINT,):
        raise VisitError(_l("A follow-up becomes a repair, an inquiry or a complaint."), field="kind")
    if not (description or "").strip():
        raise VisitError(_l("Say what is to be followed up."), field="description")
    resident = (Resident.select().where(Resident.unit == unit.id)
                .order_by(Resident.relation != "owner", Resident.id).first()) if unit else None
    fields = {"kind": kind, "unit": unit, "resident": resident.id if resident else None,
              "contact_name": resident.name if resident else "", "contact_phone": resident.phone if resident else "",
              "source": "meeting", "description": description.strip(), "place": "" if unit else meeting.place}
    if kind == CaseKind.REPAIR:
        fields.update(scope="household", trade="other", work_type="basic", category="other")
    if kind == CaseKind.COMPLAINT:
        fields.update(target="service", category="service", promised_on=clock.now().date() + timedelta(days=3))
    with db.atomic():
        case, created = cases.register(client_uuid, estate=meeting.estate, registrar=actor, fields=fields)
        if created:
            MeetingCase.create(meeting=meeting.id, case=case.id)
            record(meeting.estate_id, meeting.subject, actor.id, "follow_up", case=case.id)
    return case, created
