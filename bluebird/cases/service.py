"""The functions that move a case along. Each writes the timeline and closes or opens
the duties its step settles, so the clocks follow the real work."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases import clocks
from bluebird.cases.kinds import CallKind, CaseKind, CaseStatus
from bluebird.cases.models import Call, Case, PriceItem
from bluebird.db import create_once, db, replayed
from bluebird.duties import outcomes
from bluebird.duties.models import Duty, close_duties, reassign_duties
from bluebird.duties.rules import spawn
from bluebird.estate import coverage
from bluebird.estate.models import Building, Resident, Unit
from bluebird.photos import service as photo_store
from bluebird.timeline.models import record
from bluebird.visits import contacts

WARRANTY_NOT_OURS = _l("A warranty repair is the construction company's job: pass it to them, "
                       "not to our technicians.")


NOT_A_REPAIR_HERE = _l("A complaint can only be about a repair of this estate.")


class CaseError(Exception):
    """A step a user asked for that cannot be done; `status` is the HTTP answer."""

    def __init__(self, message, status=409, field=None):
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field


def patch_butler_of(unit: Unit | None):
    """The butler who looks after a unit's building, if any."""
    return coverage.butler_of(unit.building.patch_id) if unit is not None else None


def _patch_of_case(case_id):
    case = Case.select(Case.building).where(Case.id == case_id).first()
    return case.building.patch_id if case is not None and case.building_id else None


coverage.register_patch_duties("case", _patch_of_case, clocks.CALLBACK_24H, clocks.SATISFACTION)


def routed_head(estate, target: str):
    """Whom a complaint about `target` goes to: the estate's routing, else the supervisor."""
    routing = estate.setting("complaint_routing", {}) or {}
    user_id = routing.get(target) or routing.get("other")
    if user_id and User.get_or_none((User.id == user_id) & (User.estate == estate.id) & User.active):
        return int(user_id)
    return None


def _context(case: Case, **extra) -> dict:
    estate = case.estate
    patch = case.building.patch_id if case.building_id else None
    ctx = {
        "registrar": case.registrar_id,
        "assignee": case.assignee_id,
        "patch": patch,
        "patch_butler": coverage.butler_of(patch),
        "emergency": case.emergency,
        "minor": case.minor,
        "warranty": case.warranty,
        "tz": estate.timezone,
        "clocks": estate.setting("clocks", {}),
        "promised_on": case.promised_on,
        "title": f"{case.number} {case.where} {case.description[:40]}",
    }
    ctx.update(extra)
    return ctx


def _event(case, actor_id, verb, **detail):
    record(case.estate_id, case.subject, actor_id, verb, **detail)


def find_unit(estate_id, code: str) -> Unit | None:
    """The unit with this code (3-1502) in the estate."""
    code = (code or "").strip().replace("号楼", "-").replace(" ", "")
    return Unit.get_or_none((Unit.estate == estate_id) & (Unit.code == code)) if code else None


def register(client_uuid, *, estate, registrar, fields: dict, photos=()):
    """Register a case with its photos and start its clocks, as one unit.

    `photos` are processed uploads: their files are stored first, then one transaction
    claims the UUID and writes the case, its duties, timeline and photo rows. A failure
    commits nothing, so the same UUID sent again completes it; a replay of a completed
    one returns the first case and does nothing more.
    """
    earlier = replayed(Case, client_uuid, estate=estate.id, registrar=registrar.id)
    if earlier is not None:
        return earlier, False
    kind = fields["kind"]
    unit = fields.get("unit")
    if fields.get("assignee") and kind == CaseKind.REPAIR and fields.get("warranty"):
        raise CaseError(WARRANTY_NOT_OURS, status=422, field="assignee")
    if fields.get("assignee"):
        wanted = (roles.TECHNICIAN,) if kind == CaseKind.REPAIR else roles.ALL
        person = User.get_or_none((User.id == fields["assignee"]) & (User.estate == estate.id) & User.active)
        if person is None or person.role not in wanted:
            raise CaseError(_l("Choose a technician of this estate."), status=422, field="assignee")
    if fields.get("price_item"):
        item = PriceItem.get_or_none((PriceItem.id == fields["price_item"]) & (PriceItem.estate == estate.id))
        if item is None:
            raise CaseError(_l("Choose an item of this estate's price list."), status=422, field="price_item")
        fields["price_item"] = item
        if item and fields.get("price") is None:
            fields["price"] = Decimal(item.price)
    if kind == CaseKind.REPAIR and fields.get("emergency"):
        fields["minor"] = False
    about = None
    if fields.get("about_case"):
        about = Case.get_or_none((Case.id == fields["about_case"]) & (Case.estate == estate.id)
                                 & (Case.kind == CaseKind.REPAIR))
        if about is None or kind != CaseKind.COMPLAINT:
            raise CaseError(NOT_A_REPAIR_HERE, status=422, field="about_code")
    stored = photo_store.store_all(photos)
    with db.atomic():
        case, created = create_once(
            Case,
            client_uuid,
            estate=estate.id,
            registrar=registrar.id,
            building=unit.building_id if unit else None,
            status=CaseStatus.NEW,
            created_at=clock.now(),
            updated_at=clock.now(),
            **{k: v for k, v in fields.items() if k != "answer"},
        )
        if not created:
            return case, False
        _event(case, registrar.id, "created", kind=kind)
        contacts.touch(estate.id, case.unit_id, "case", case.created_at)  # a contact with the household
        photo_store.attach_all(stored, estate_id=estate.id, subject=case.subject, actor_id=registrar.id,
                               place=case.where)
        now = clock.now()
        if kind == CaseKind.REPAIR:
            spawn(clocks.REPAIR_REGISTERED, estate.id, case.subject, now, _context(case))
            if case.assignee_id:
                _mark_dispatched(case, registrar, case.assignee_id, "")
        elif kind == CaseKind.COMPLAINT:
            head = routed_head(estate, case.target)
            spawn(clocks.COMPLAINT_REGISTERED, estate.id, case.subject, now, _context(case, routed_to=head))
            _event(case, registrar.id, "routed", to=head, target=case.target)
            if about is not None:  # 针对工单: a line on both timelines
                _event(case, registrar.id, "about_repair", repair=about.id, number=about.number)
                _event(about, registrar.id, "complained_about", complaint=case.id, number=case.number)
        elif kind == CaseKind.INQUIRY:
            if fields.get("answer"):
                _close(case, registrar, "answered", fields["answer"])
            else:
                spawn(clocks.INQUIRY_UNANSWERED, estate.id, case.subject, now, _context(case))
        elif kind == CaseKind.INCIDENT:
            spawn(clocks.INCIDENT_REPORTED, estate.id, case.subject, now, _context(case))
        elif kind == CaseKind.INFO:
            spawn(clocks.INFO_PASSED, estate.id, case.subject, now, _context(case))
    return case, True


STALE = _l("This case has just been changed by somebody else: look again.")


def _claim(case):
    """Make a step's checks hold in its write: the case must still be as it was read (its
    status and its last change), else somebody changed it meanwhile and the step is refused
    (409) instead of writing over their change. Every step runs this first in its transaction."""
    now = clock.now()
    seen = (Case.updated_at.is_null() if case.updated_at is None else (Case.updated_at == case.updated_at))
    if not Case.update(updated_at=now).where((Case.id == case.id) & (Case.status == case.status) & seen).execute():
        raise CaseError(STALE, status=409)
    case.updated_at = now


def _mark_dispatched(case, actor, assignee_id, department):
    _claim(case)
    case.assignee = assignee_id
    case.department = department or ""
    case.status = CaseStatus.DISPATCHED
    case.dispatched_at = clock.now()
    case.updated_at = clock.now()
    case.save()
    if assignee_id:
        reassign_duties(case.subject, clocks.TECHNICIAN_KINDS, assignee_id, by=actor.id)
    elif case.warranty:
        close_duties(case.subject, clocks.WARRANTY_PASS, actor.id)
    _event(case, actor.id, "dispatched", to=assignee_id, department=department)


def dispatch(case: Case, actor, assignee_id=None, department=""):
    """Send a repair to a technician (or a department); a supervisor may reassign."""
    if case.kind != CaseKind.REPAIR:
        raise CaseError(_l("Only repairs are dispatched."), status=409)
    if not case.is_open:
        raise CaseError(_l("This case is closed."), status=409)
    if case.status in (CaseStatus.ON_SITE, CaseStatus.DONE) and actor.role not in roles.SUPERVISING:
        raise CaseError(_l("Only a supervisor can reassign work already under way."), status=403)
    if assignee_id and case.warranty:
        raise CaseError(WARRANTY_NOT_OURS, status=422, field="assignee")
    if assignee_id:
        tech = User.get_or_none((User.id == assignee_id) & (User.estate == case.estate_id) & User.active)
        if tech is None or tech.role != roles.TECHNICIAN:
            raise CaseError(_l("Choose a technician of this estate."), status=422, field="assignee")
    elif not department:
        raise CaseError(_l("Choose a technician or a department."), status=422, field="assignee")
    with db.atomic():
        _mark_dispatched(case, actor, assignee_id, department)


def _require_assignee(case, actor):
    if case.assignee_id != actor.id:
        raise CaseError(_l("This repair is not assigned to you."), status=403)
    if not case.is_open:
        raise CaseError(_l("This case is closed."), status=409)


def arrive(case: Case, actor):
    """The technician is on site: record the time; the 20-minute clock stops."""
    _require_assignee(case, actor)
    if case.status != CaseStatus.DISPATCHED:
        raise CaseError(_l("Arrival can only be reported for a dispatched repair."), status=409)
    with db.atomic():
        _claim(case)
        case.status, case.arrived_at, case.updated_at = CaseStatus.ON_SITE, clock.now(), clock.now()
        case.save()
        close_duties(case.subject, clocks.ARRIVE, actor.id)
        _event(case, actor.id, "arrived")


def finish(case: Case, actor, work_done: str, materials: str = "", photos=()):
    """The technician finished: what was done and with what (and photos, in the same
    transaction); the satisfaction call is due."""
    _require_assignee(case, actor)
    if case.status not in (CaseStatus.DISPATCHED, CaseStatus.ON_SITE):
        raise CaseError(_l("Only a repair under way can be finished."), status=409)
    if not (work_done or "").strip():
        raise CaseError(_l("Say what was done."), status=422, field="work_done")
    stored = photo_store.store_all(photos)
    with db.atomic():
        _claim(case)
        photo_store.attach_all(stored, estate_id=case.estate_id, subject=case.subject, actor_id=actor.id,
                               place=case.where)
        now = clock.now()
        if case.arrived_at is None:
            case.arrived_at = now
            close_duties(case.subject, clocks.ARRIVE, actor.id)
        case.status, case.done_at, case.updated_at = CaseStatus.DONE, now, now
        case.work_done, case.materials = work_done.strip(), (materials or "").strip()
        case.save()
        close_duties(case.subject, clocks.FINISH, actor.id)
        _event(case, actor.id, "done", work_done=case.work_done, materials=case.materials)
        spawn(clocks.REPAIR_DONE, case.estate_id, case.subject, now, _context(case))


ALLOWED_CALLS = {
    CaseKind.REPAIR: (CallKind.NOTIFY, CallKind.CALLBACK_24H, CallKind.SATISFACTION),
    CaseKind.COMPLAINT: (CallKind.COMPLAINT_CALLBACK,),
}
CLOSES = {
    CallKind.NOTIFY: clocks.NOTIFY_OWNER,
    CallKind.CALLBACK_24H: clocks.CALLBACK_24H,
    CallKind.SATISFACTION: clocks.SATISFACTION,
    CallKind.COMPLAINT_CALLBACK: clocks.COMPLAINT_CALLBACK,
}


def log_call(case: Case, actor, kind: str, *, reached=True, note="", satisfaction="", client_uuid=None) -> Call:
    """Record a call to the owner; it closes its duty, and a verdict may close the case."""
    if not case.is_open:
        raise CaseError(_l("This case is closed; its call-backs are done."), status=409)
    if kind not in ALLOWED_CALLS.get(case.kind, ()):
        raise CaseError(_l("This kind of call does not belong to this case."), status=422, field="kind")
    verdict_call = kind == CallKind.SATISFACTION or (kind == CallKind.COMPLAINT_CALLBACK and case.status == CaseStatus.DONE)
    if kind == CallKind.SATISFACTION and case.status != CaseStatus.DONE:
        raise CaseError(_l("The satisfaction call comes after the repair is done."), status=409)
    if verdict_call and reached and not satisfaction:
        raise CaseError(_l("Record what the owner said: satisfied, basically satisfied or not."), status=422,
                        field="satisfaction")
    with db.atomic():
        call, created = create_once(Call, client_uuid, case=case.id, kind=kind, by=actor.id, at=clock.now(),
                                    reached=reached, note=(note or "")[:300],
                                    satisfaction=satisfaction if reached else "")
        if not created:  # the same call sent again: the first one stands
            return call
        _event(case, actor.id, "call", call=kind, reached=reached, note=call.note, satisfaction=call.satisfaction)
        if reached:
            close_duties(case.subject, CLOSES[kind], actor.id)
            contacts.touch(case.estate_id, case.unit_id, "call", call.at)
        if verdict_call and reached:
            case.satisfaction, case.satisfaction_note = satisfaction, call.note
            if satisfaction == "unsatisfied":
                _reopen(case, actor)
            else:
                _close(case, actor, "closed", "")
    return call


def _reopen(case, actor):
    _claim(case)
    now = clock.now()
    case.reopened += 1
    case.updated_at = now
    if case.kind == CaseKind.REPAIR:
        case.status = CaseStatus.DISPATCHED if case.assignee_id else CaseStatus.NEW
        case.arrived_at = case.done_at = None
        case.save()
        spawn("repair.reopened", case.estate_id, case.subject, now, _context(case))
    else:
        case.status = CaseStatus.NEW
        case.save()
        spawn("complaint.reopened", case.estate_id, case.subject, now,
              _context(case, routed_to=routed_head(case.estate, case.target)))
    _event(case, actor.id, "reopened", times=case.reopened)


def _close(case, actor, verb, text, status=CaseStatus.CLOSED):
    _claim(case)
    now = clock.now()
    case.status, case.closed_at, case.updated_at = status, now, now
    if text:
        case.resolution = text
    case.save()
    _event(case, actor.id, verb, text=text)
    if status == CaseStatus.CLOSED:
        from bluebird.survey.service import invite_for_case

        invite_for_case(case, actor.id)  # the owner's own survey link (a repair or complaint of a household)
    # Whatever clocks still run stop with the case: void, never escalated or counted.
    reason = outcomes.CASE_CANCELLED if status == CaseStatus.CANCELLED else outcomes.CASE_CLOSED
    outcomes.end_subject(case.subject, reason, actor.id)


def resolve_complaint(case: Case, actor, resolution: str):
    """The routed head settles a complaint; the call-back confirms it with the owner."""
    if case.kind != CaseKind.COMPLAINT or not case.is_open:
        raise CaseError(_l("Only an open complaint can be resolved."), status=409)
    if not (resolution or "").strip():
        raise CaseError(_l("Say how it was resolved."), status=422, field="text")
    with db.atomic():
        _claim(case)
        case.status, case.resolution, case.updated_at = CaseStatus.DONE, resolution.strip(), clock.now()
        case.save()
        close_duties(case.subject, clocks.RESOLVE, actor.id)
        _event(case, actor.id, "resolved", text=case.resolution)


def answer(case: Case, actor, text: str):
    """Answer an inquiry or an info slip, or report an incident handled; it closes."""
    if case.kind not in (CaseKind.INQUIRY, CaseKind.INFO, CaseKind.INCIDENT) or not case.is_open:
        raise CaseError(_l("This case cannot be answered now."), status=409)
    if not (text or "").strip():
        raise CaseError(_l("Write the answer."), status=422, field="text")
    kind = {CaseKind.INQUIRY: clocks.ANSWER, CaseKind.INFO: clocks.INFO_ANSWER,
            CaseKind.INCIDENT: clocks.INCIDENT_NOTIFY}[case.kind]
    with db.atomic():
        close_duties(case.subject, kind, actor.id)
        _close(case, actor, "answered", text.strip())


def close_as_fixed(case: Case, actor, note: str):
    """Close a case whose defect an inspection found fixed; its running clocks stop."""
    with db.atomic():
        _close(case, actor, "closed", str(note))


def add_photos(case: Case, actor, photos, client_uuid=None):
    """Add a submission of processed photos to a case, once per client_uuid, with a note."""
    earlier = photo_store.earlier_upload(client_uuid, estate_id=case.estate_id, actor_id=actor.id)
    if earlier is not None:
        return earlier
    stored = photo_store.store_all(photos)
    with db.atomic():
        added, created = photo_store.attach_all(stored, estate_id=case.estate_id, subject=case.subject,
                                                actor_id=actor.id, place=case.where, client_uuid=client_uuid)
        if created:
            comment(case, actor, str(_l("%(n)d photo(s) added", n=len(added))))
    return added


def cancel(case: Case, actor, reason: str):
    """A supervisor cancels a case registered by mistake (a duplicate); its clocks are void."""
    if actor.role not in roles.SUPERVISING:
        raise CaseError(_l("Only a supervisor can cancel a case."), status=403)
    if not case.is_open:
        raise CaseError(_l("This case is closed."), status=409)
    if not (reason or "").strip():
        raise CaseError(_l("Say why the case is cancelled (for example: registered twice)."), status=422,
                        field="text")
    with db.atomic():
        _close(case, actor, "cancelled", reason.strip()[:1000], status=CaseStatus.CANCELLED)


def comment(case: Case, actor, text: str):
    """Add a note to the case's timeline."""
    if not (text or "").strip():
        raise CaseError(_l("Write something first."), status=422, field="text")
    _event(case, actor.id, "comment", text=text.strip()[:1000])


def open_duties(case: Case):
    """The case's duties, open ones first, then how the others ended (the case page)."""
    return Duty.about(case.subject)


def residents_of(unit: Unit):
    """Who can be the contact for a unit's case: its current residents."""
    return Resident.living_in(unit_id=unit.id)


def buildings(estate_id):
    return Building.in_estate(estate_id)
