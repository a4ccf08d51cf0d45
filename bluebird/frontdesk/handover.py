"""The shift hand-over (交接班, 002 篇2 §10): what is still open passes to the next shift,
which accepts it with its own login. Nobody is relieved before that."""
import json

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases.kinds import CaseStatus
from bluebird.cases.models import Case
from bluebird.db import create_once, db, replayed
from bluebird.duties.models import Duty, close_duties
from bluebird.duties.rules import spawn
from bluebird.estate.models import Unit
from bluebird.frontdesk import clocks
from bluebird.frontdesk.models import Handover, KeyLoan, Parcel, PhoneCall, StaffMessage, Visitor
from bluebird.frontdesk.service import DESK, DeskError, when_text
from bluebird.timeline.models import record

# The lists a hand-over carries, in the order the incoming shift reads them.
SECTIONS = {
    "cases": _l("Cases registered at the desk, not yet dispatched"),
    "messages": _l("Messages not yet answered"),
    "visitors": _l("Visitors still inside"),
    "keys": _l("Keys out"),
    "parcels": _l("Parcels waiting"),
}


def desk_cases(estate_id):
    """Cases the desk registered (by a receptionist, or from the phone log) still waiting
    to be dispatched or taken up: status "registered"."""
    from_calls = PhoneCall.select(PhoneCall.case).where((PhoneCall.estate == estate_id) & PhoneCall.case.is_null(False))
    return (Case.select(Case, Unit).join(Unit, JOIN.LEFT_OUTER).switch(Case)
            .join(User, on=(Case.registrar == User.id))
            .where((Case.estate == estate_id) & (Case.status == CaseStatus.NEW)
                   & ((User.role == roles.RECEPTION) | Case.id.in_(from_calls)))
            .order_by(Case.id))


def open_items(estate_id) -> dict:
    """Everything the desk still has open, as lines a person reads: {section: [{id, text}]}."""
    now = clock.now()
    late_keys = KeyLoan.late_key_ids(estate_id, now)
    items = {
        "cases": [{"id": c.id, "text": f"{c.number} {c.kind_label} {c.where} {c.description[:30]}"}
                  for c in desk_cases(estate_id)],
        "messages": [{"id": m.id, "text": f"{m.caller} → {m.recipient.name}: {m.matter[:30]} ({when_text(m.at)})"}
                     for m in StaffMessage.unanswered(estate_id)],
        "visitors": [{"id": v.id, "text": f"{v.name} · {v.visiting or v.purpose} ({when_text(v.in_at)})"}
                     for v in Visitor.still_inside(estate_id)],
        "keys": [{"id": loan.key_id, "text": f"{loan.key.name} · {loan.key.hook} → {loan.borrower}"
                  f" ({when_text(loan.due_at)})", "overdue": loan.key_id in late_keys}
                 for loan in KeyLoan.out_in(estate_id)],
        "parcels": [{"id": p.id, "text": f"{p.unit.code} {p.carrier} {p.tracking_tail} ({when_text(p.arrived_at)})"}
                    for p in Parcel.waiting_in(estate_id)],
    }
    return items


def open_counts(estate_id) -> dict:
    """How many of each, for the desk's tiles (one query each, no rows loaded)."""
    now = clock.now()
    return {
        "cases": desk_cases(estate_id).count(),
        "messages": StaffMessage.unanswered(estate_id).count(),
        "visitors": Visitor.still_inside(estate_id).count(),
        "keys": KeyLoan.out_in(estate_id).count(),
        "keys_overdue": len(KeyLoan.late_key_ids(estate_id, now)),
        "parcels": Parcel.waiting_in(estate_id).count(),
    }


def open_handover(client_uuid, *, estate, actor, note: str):
    """The outgoing shift hands over: the open items are listed as they stand now."""
    if actor.role not in DESK:
        raise DeskError(_l("Only the desk hands over a shift."), status=403)
    earlier = replayed(Handover, client_uuid, estate=estate.id, outgoing=actor.id)
    if earlier is not None:
        return earlier, False
    pending = Handover.pending(estate.id)
    if pending is not None:
        if pending.outgoing_id == actor.id:
            return pending, False
        raise DeskError(_l("%(who)s's hand-over of %(time)s is still waiting: accept it first.",
                           who=pending.outgoing.name, time=when_text(pending.opened_at)), status=409)
    now = clock.now()
    try:
        with db.atomic():
            handover, created = create_once(
                Handover, client_uuid, estate=estate.id, outgoing=actor.id, opened_at=now, note=(note or "").strip()[:2000],
                items=json.dumps(open_items(estate.id), ensure_ascii=False))
            if created:
                made = spawn(clocks.HANDOVER_OPENED, estate.id, handover.subject, now,
                             {"clocks": estate.setting("clocks", {}), "title": actor.name})
                # The incoming shift accepts: the desk's other receptionists, not the one leaving.
                Duty.update(excluded=actor.id).where(Duty.id.in_([d.id for d in made])).execute()
                record(estate.id, handover.subject, actor.id, "opened", items=handover.count)
    except IntegrityError as exc:  # another hand-over was opened a moment ago
        raise DeskError(_l("Another hand-over is already waiting: accept it first."), status=409) from exc
    return handover, created


def accept(handover, actor, note=""):
    """The incoming shift accepts, with its own login: both names and times are kept."""
    if handover.accepted_at is not None:
        raise DeskError(_l("This hand-over was accepted by %(who)s at %(time)s.", who=handover.incoming.name,
                           time=when_text(handover.accepted_at)), status=409)
    if actor.id == handover.outgoing_id:
        raise DeskError(_l("You cannot accept your own hand-over: the incoming receptionist signs in with her "
                           "own account and accepts it."), status=403)
    if actor.role not in DESK:
        raise DeskError(_l("Only the desk accepts a shift hand-over."), status=403)
    with db.atomic():
        done = (Handover.update(incoming=actor.id, accepted_at=clock.now(), accept_note=(note or "").strip()[:200])
                .where((Handover.id == handover.id) & Handover.accepted_at.is_null()).execute())
        if not done:
            raise DeskError(_l("This hand-over has just been accepted."), status=409)
        close_duties(handover.subject, clocks.ACCEPT_HANDOVER, actor.id)
        record(handover.estate_id, handover.subject, actor.id, "accepted", note=(note or "").strip()[:200])
    return Handover.get_by_id(handover.id)


def recent(estate_id, limit=20):
    """The latest hand-overs, newest first."""
    return Handover.select().where(Handover.estate == estate_id).order_by(Handover.opened_at.desc()).limit(limit)
