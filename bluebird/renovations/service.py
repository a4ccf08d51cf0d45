"""The functions that change permits and passes."""
from flask_babel import lazy_gettext as _l

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.db import create_once, db
from bluebird.duties import outcomes
from bluebird.duties.models import create_duty
from bluebird.estate.models import UnitStatus
from bluebird.estate.service import change_unit_status
from bluebird.renovations.models import Permit, PermitStatus, WorkerPass
from bluebird.timeline.models import record


class PermitError(Exception):
    def __init__(self, message, status=409):
        super().__init__(str(message))
        self.message = message
        self.status = status


def apply(client_uuid, *, estate_id, unit, actor, fields) -> Permit:
    """Register a renovation application for a unit."""
    if fields["ends_on"] < fields["starts_on"]:
        raise PermitError(_l("The end date is before the start date."), status=422)
    permit, created = create_once(Permit, client_uuid, estate=estate_id, unit=unit, created_by=actor.id,
                                  status=PermitStatus.APPLIED, **fields)
    if created:
        record(estate_id, permit.subject, actor.id, "applied")
    return permit


def advance(permit: Permit, actor) -> Permit:
    """Move a permit to its next status; the unit shows 装修中 while works run."""
    nxt = PermitStatus.NEXT.get(permit.status)
    if nxt is None:
        raise PermitError(_l("This permit is closed."))
    if nxt in (PermitStatus.APPROVED, PermitStatus.CLOSED) and actor.role not in roles.SUPERVISING + (roles.BUTLER,):
        raise PermitError(_l("Only a butler or a supervisor can do this."), status=403)
    with db.atomic():
        before = permit.status
        permit.status = nxt
        permit.save(only=[Permit.status])
        record(permit.estate_id, permit.subject, actor.id, "status", before=before, after=nxt)
        if nxt == PermitStatus.IN_PROGRESS:
            change_unit_status(permit.unit, UnitStatus.RENOVATING, actor.id)
        elif nxt == PermitStatus.ACCEPTED:
            change_unit_status(permit.unit, UnitStatus.OCCUPIED, actor.id)
        if nxt not in PermitStatus.ACTIVE:  # works over (accepted) or permit closed: no more site checks
            outcomes.end_subject(permit.subject, outcomes.PERMIT_ENDED, actor.id)
    return permit


def add_pass(client_uuid, permit: Permit, *, name, id_number, phone, valid_until, actor) -> WorkerPass:
    """Issue a worker's pass; only the last digits of the ID card are stored."""
    digits = "".join(c for c in id_number if c.isalnum())
    if len(digits) < 6:
        raise PermitError(_l("Enter the ID card number."), status=422)
    if valid_until > permit.ends_on:
        raise PermitError(_l("A pass cannot outlast the permit."), status=422)
    worker, created = create_once(WorkerPass, client_uuid, permit=permit, name=name.strip(), id_tail=digits[-4:],
                                  phone=phone or "", valid_until=valid_until)
    if created:
        record(permit.estate_id, permit.subject, actor.id, "pass", name=worker.name)
    return worker


def notice(permit: Permit, actor, kind: str, text: str):
    """Serve a stop-work or rectification notice (停工/整改通知) after a violation."""
    if kind not in ("stop_work", "rectify") or not (text or "").strip():
        raise PermitError(_l("Choose the notice and write what must change."), status=422)
    record(permit.estate_id, permit.subject, actor.id, "notice", notice=kind, text=text.strip()[:1000])


def daily_checks(estate, day, due_at) -> int:
    """One site-check duty per active permit for the patch butler (or any butler)."""
    butler_of_patch = {u.patch_id: u.id for u in User.with_role(estate.id, roles.BUTLER)}
    made = 0
    for permit in Permit.active_on(estate.id, day).where(Permit.ends_on >= day):
        butler = butler_of_patch.get(permit.unit.building.patch_id)
        create_duty(estate.id, "renovation_check", permit.subject, due_at, assignee=butler,
                    role=None if butler else roles.BUTLER, title=permit.unit.code, points=2, once_per_day=True)
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
