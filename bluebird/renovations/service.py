"""The functions that change permits and passes."""
from flask_babel import lazy_gettext as _l

from bluebird import clock
from bluebird.auth import roles
from bluebird.db import create_once, db
from bluebird.duties import outcomes
from bluebird.duties.models import create_duty
from bluebird.estate import coverage
from bluebird.estate.models import UnitStatus
from bluebird.estate.service import change_unit_status
from bluebird.renovations.models import Permit, PermitStatus, WorkerPass
from bluebird.timeline.models import record


class PermitError(Exception):
    def __init__(self, message, status=409):
        super().__init__(str(message))
        self.message = message
        self.status = status


# Who may change a permit once registered (README, "Who may change what"). A permit's
# owner is the butler of its unit's patch (any butler if the building has no patch); the
# supervisors may do everything; the desk also issues worker passes; everyone else who
# may see permits (other butlers, reception, the inspector) only reads them.
ADVANCE, PASS, NOTICE = "advance", "pass", "notice"
_REFUSED = {
    ADVANCE: _l("Only the butler of this unit's patch or a supervisor can do this."),
    PASS: _l("Only the desk, the butler of this unit's patch or a supervisor can issue a pass."),
    NOTICE: _l("Only the butler of this unit's patch or a supervisor can serve a notice."),
}


def is_patch_butler(permit: Permit, actor) -> bool:
    """Tell whether `actor` is the butler who looks after the permit's unit."""
    if actor.role != roles.BUTLER or actor.estate_id != permit.estate_id:
        return False
    patch_id = permit.unit.building.patch_id
    return patch_id is None or actor.patch_id == patch_id


def may(permit: Permit, actor, action: str) -> bool:
    """Tell whether `actor` may take `action` (ADVANCE, PASS, NOTICE) on the permit."""
    if actor.estate_id != permit.estate_id:
        return False
    if actor.role in roles.SUPERVISING or is_patch_butler(permit, actor):
        return True
    return action == PASS and actor.role == roles.RECEPTION


def _require(permit, actor, action):
    if not may(permit, actor, action):
        raise PermitError(_REFUSED[action], status=403)


def apply(client_uuid, *, estate_id, unit, actor, fields) -> Permit:
    """Register a renovation application for a unit."""
    if fields["ends_on"] < fields["starts_on"]:
        raise PermitError(_l("The end date is before the start date."), status=422)
    with db.atomic():
        permit, created = create_once(Permit, client_uuid, estate=estate_id, unit=unit, created_by=actor.id,
                                      status=PermitStatus.APPLIED, **fields)
        if created:
            record(estate_id, permit.subject, actor.id, "applied")
    return permit


def advance(permit: Permit, actor, expected: str | None = None) -> Permit:
    """Move a permit to its next status; the unit shows 装修中 while works run.

    `expected` is the status the person saw when he tapped: the move is a conditional
    UPDATE from it, so two people tapping at once (or one after the other, from pages
    loaded before) move it one step, and the other is told it already moved."""
    if expected and expected != permit.status:
        raise PermitError(_l("This permit has just been moved on by somebody else: look again."))
    nxt = PermitStatus.NEXT.get(permit.status)
    if nxt is None:
        raise PermitError(_l("This permit is closed."))
    _require(permit, actor, ADVANCE)
    with db.atomic():
        before = permit.status
        moved = Permit.update(status=nxt).where((Permit.id == permit.id) & (Permit.status == before)).execute()
        if not moved:
            raise PermitError(_l("This permit has just been moved on by somebody else: look again."))
        permit.status = nxt
        record(permit.estate_id, permit.subject, actor.id, "status", before=before, after=nxt)
        if nxt == PermitStatus.IN_PROGRESS:
            change_unit_status(permit.unit, UnitStatus.RENOVATING, actor.id)
        elif nxt == PermitStatus.ACCEPTED:
            change_unit_status(permit.unit, UnitStatus.OCCUPIED, actor.id)
        if nxt not in PermitStatus.ACTIVE:  # works over (accepted) or permit closed: no more site checks
            outcomes.end_subject(permit.subject, outcomes.PERMIT_ENDED, actor.id)
            outcomes.recheck(f"aftersales:{permit.id}", actor.id)  # its after-sales calls (visits)
    return permit


def add_pass(client_uuid, permit: Permit, *, name, id_number, phone, valid_until, actor) -> WorkerPass:
    """Issue a worker's pass; only the last digits of the ID card are stored."""
    _require(permit, actor, PASS)
    digits = "".join(c for c in id_number if c.isalnum())
    if len(digits) < 6:
        raise PermitError(_l("Enter the ID card number."), status=422)
    if valid_until > permit.ends_on:
        raise PermitError(_l("A pass cannot outlast the permit."), status=422)
    with db.atomic():
        worker, created = create_once(WorkerPass, client_uuid, permit=permit, name=name.strip(),
                                      id_tail=digits[-4:], phone=phone or "", valid_until=valid_until)
        if created:
            record(permit.estate_id, permit.subject, actor.id, "pass", name=worker.name)
    return worker


def notice(permit: Permit, actor, kind: str, text: str):
    """Serve a stop-work or rectification notice (停工/整改通知) after a violation."""
    _require(permit, actor, NOTICE)
    if kind not in ("stop_work", "rectify") or not (text or "").strip():
        raise PermitError(_l("Choose the notice and write what must change."), status=422)
    record(permit.estate_id, permit.subject, actor.id, "notice", notice=kind, text=text.strip()[:1000])


coverage.register_patch_duties("permit", coverage.patch_through_unit(Permit), "renovation_check")


def daily_checks(estate, day, due_at) -> int:
    """One site-check duty per active permit for the patch butler (else the supervisor)."""
    butler_of_patch = coverage.butlers_by_patch(estate.id)
    made = 0
    for permit in Permit.active_on(estate.id, day).where(Permit.ends_on >= day):
        assignee, role = coverage.covering(butler_of_patch.get(permit.unit.building.patch_id))
        create_duty(estate.id, "renovation_check", permit.subject, due_at, assignee=assignee,
                    role=role, title=permit.unit.code, points=2, once_per_day=True)
        made += 1
    return made


def _ended_permits(ids) -> dict[int, str]:
    rows = Permit.select(Permit.id).where(Permit.id.in_(ids) & Permit.status.in_([PermitStatus.ACCEPTED,
                                                                                   PermitStatus.CLOSED]))
    return {p.id: outcomes.PERMIT_ENDED for p in rows}


outcomes.register_end("permit", _ended_permits)


def today(estate) -> object:
    from bluebird.rounds.schedule import local_day

    return local_day(clock.now(), estate.timezone)
