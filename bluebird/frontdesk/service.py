"""What changes the desk's logs: calls, messages, visitors, parcels. Each step writes the
timeline and opens or closes the duties it settles; a refused step saves nothing."""
import uuid
from datetime import timedelta

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases import service as cases
from bluebird.cases.kinds import CaseKind
from bluebird.db import create_once, db
from bluebird.duties import outcomes
from bluebird.duties.models import close_duties
from bluebird.duties.rules import spawn
from bluebird.estate import coverage
from bluebird.frontdesk import clocks
from bluebird.frontdesk.models import CallKind, Parcel, PhoneCall, StaffMessage, Visitor
from bluebird.timeline.models import record

DESK = (roles.RECEPTION, roles.MANAGER, roles.ADMIN)
# A time typed at the desk may run a little ahead of the server's clock, not more.
SKEW = timedelta(minutes=5)


class DeskError(Exception):
    """A step that cannot be done; `status` is the HTTP answer, `field` where to say so."""

    def __init__(self, message, status=409, field=None):
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field


def derived_uuid(row, what: str) -> uuid.UUID:
    """A UUID for what a row makes (a call's case): the same every time, so it is made once."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"bluebird:{row.subject}:{row.created_at.isoformat()}:{what}")


def not_in_future(at, field):
    if at > clock.now() + SKEW:
        raise DeskError(_l("That time is still to come."), status=422, field=field)


def when_text(at) -> str:
    return format_datetime(at, "M/d HH:mm")


# Calls (电话记录表) -------------------------------------------------------------------------

def log_call(client_uuid, *, estate, taker, fields: dict, then=None, extra=None):
    """Log a call; `then` passes it on at once (a case, or a message for a colleague).

    A replayed UUID returns the first entry and does nothing more. If passing it on
    fails, the call is not saved either: the receptionist fixes the form and sends again.
    """
    not_in_future(fields["at"], "at")
    corrects = fields.get("corrects")
    if corrects is not None and corrects.latest_correction() is not None:
        raise DeskError(_l("This entry has already been corrected: correct the latest one."), status=409)
    with db.atomic():
        call, created = create_once(PhoneCall, client_uuid, estate=estate.id, taken_by=taker.id,
                                    created_at=clock.now(), **fields)
        if not created:
            return call, False
        record(estate.id, call.subject, taker.id, "logged", kind=call.kind)
        if corrects is not None:
            record(estate.id, corrects.subject, taker.id, "corrected", by=call.id, number=call.number)
        if then:
            classify(call, taker, then, **(extra or {}))
    return call, True


def classify(call, actor, kind, *, recipient=None, trade="", target="", promised_on=None):
    """Pass a call on in one tap: a repair, complaint or inquiry case with the call's
    details, or a message for an absent colleague. Done once per call."""
    if kind not in CallKind.CASES + (CallKind.MESSAGE,):
        raise DeskError(_l("Choose repair, complaint, inquiry or message."), status=422, field="then")
    with db.atomic():
        fresh = PhoneCall.get_by_id(call.id)
        if fresh.kind != CallKind.NOTE:
            raise DeskError(_l("This call has already been passed on (%(kind)s).", kind=fresh.kind_label), status=409)
        if fresh.latest_correction() is not None:
            raise DeskError(_l("This entry was corrected: pass on the correction instead."), status=409)
        detail = {"kind": kind}
        if kind in CallKind.CASES:
            case = _case_from(fresh, actor, kind, trade=trade, target=target, promised_on=promised_on)
            fresh.case = case
            detail["case"] = case.number
        else:
            message, _ = leave_message(derived_uuid(fresh, "message"), estate=fresh.estate, taker=actor,
                                       recipient_id=recipient, caller=fresh.caller, phone=fresh.phone,
                                       unit=fresh.unit, matter=fresh.matter, at=fresh.at, call=fresh)
            detail["to"] = message.recipient.name
        fresh.kind = kind
        PhoneCall.update(kind=kind, case=fresh.case_id).where(PhoneCall.id == fresh.id).execute()
        record(fresh.estate_id, fresh.subject, actor.id, "classified", **detail)
    call.kind, call.case = fresh.kind, fresh.case_id
    return fresh


def _case_from(call, actor, kind, *, trade, target, promised_on):
    unit = call.unit if call.unit_id else None
    fields = {"kind": kind, "unit": unit, "place": "" if unit else (call.place or str(_l("Not given on the phone"))),
              "contact_name": call.caller, "contact_phone": call.phone, "source": "phone",
              "description": call.matter}
    if kind == CaseKind.REPAIR:
        fields.update(scope="household" if unit else "public", trade=trade or "other", work_type="basic",
                      category=trade or "other", minor=True)
    elif kind == CaseKind.COMPLAINT:
        # The date is what the receptionist told the owner: never one nobody promised.
        if promised_on is None:
            raise DeskError(_l("Set the date promised to the owner."), status=422, field="promised_on")
        if promised_on < clocks.local_day(clock.now(), call.estate.timezone):
            raise DeskError(_l("The promised date cannot be in the past."), status=422, field="promised_on")
        fields.update(target=target or "other", category=target or "other", cause="", promised_on=promised_on)
    try:
        case, created = cases.register(derived_uuid(call, "case"), estate=call.estate, registrar=actor,
                                       fields=fields)
    except cases.CaseError as exc:
        raise DeskError(exc.message, status=exc.status) from exc
    if created:
        # The case links back to the phone log, where the caller's words stay as spoken.
        cases.comment(case, actor, str(_l("From the desk phone log: %(number)s, %(caller)s, %(time)s",
                                           number=call.number, caller=call.caller, time=when_text(call.at))))
    return case


# Messages (留言) ------------------------------------------------------------------------------

def leave_message(client_uuid, *, estate, taker, recipient_id, caller, phone, unit, matter, at, call=None):
    """Leave a message for a colleague; it lands on his agenda, due by the end of the working day."""
    recipient = User.get_or_none((User.id == (recipient_id or 0)) & (User.estate == estate.id) & User.active)
    if recipient is None:
        raise DeskError(_l("Choose the colleague the message is for."), status=422, field="recipient")
    not_in_future(at, "at")
    with db.atomic():
        message, created = create_once(
            StaffMessage, client_uuid, estate=estate.id, at=at, caller=caller, phone=phone or "", unit=unit,
            recipient=recipient.id, matter=matter, call=call, taken_by=taker.id, created_at=clock.now())
        if created:
            ctx = {"recipient": recipient.id, "tz": estate.timezone, "day_end": clocks.routine(estate)["day_end"],
                   "title": f"{caller} · {matter[:40]}"}
            spawn(clocks.MESSAGE_LEFT, estate.id, message.subject, clock.now(), ctx)
            record(estate.id, message.subject, taker.id, "left", to=recipient.name)
    return message, created


def answer_message(message, actor, text=""):
    """The colleague answered the message (called back, or saw to it): its duty closes."""
    if actor.id != message.recipient_id and actor.role not in DESK:
        raise DeskError(_l("Only the colleague it is for, or the desk, can mark it answered."), status=403)
    with db.atomic():
        done = (StaffMessage.update(answered_at=clock.now(), answered_by=actor.id, answer=(text or "").strip()[:300])
                .where((StaffMessage.id == message.id) & StaffMessage.answered_at.is_null()).execute())
        if not done:
            raise DeskError(_l("This message has already been answered."), status=409)
        close_duties(message.subject, clocks.ANSWER_MESSAGE, actor.id)
        record(message.estate_id, message.subject, actor.id, "answered", text=(text or "").strip()[:300])


# Visitors (来访登记) ----------------------------------------------------------------------------

def visitor_in(client_uuid, *, estate, actor, fields: dict):
    """Log a visitor in."""
    not_in_future(fields["in_at"], "in_at")
    with db.atomic():
        visitor, created = create_once(Visitor, client_uuid, estate=estate.id, logged_by=actor.id,
                                       created_at=clock.now(), **fields)
        if created:
            record(estate.id, visitor.subject, actor.id, "in")
    return visitor, created


def visitor_out(visitor, actor, out_at=None):
    """Log a visitor out (now, or at the time given), never before he came in."""
    out_at = out_at or clock.now()
    if visitor.out_at is not None:
        raise DeskError(_l("%(name)s already left at %(time)s.", name=visitor.name, time=when_text(visitor.out_at)),
                        status=409)
    if out_at < visitor.in_at:
        raise DeskError(_l("The time out cannot be before the time in (%(time)s).", time=when_text(visitor.in_at)),
                        status=422, field="out_at")
    not_in_future(out_at, "out_at")
    with db.atomic():
        done = (Visitor.update(out_at=out_at, out_by=actor.id)
                .where((Visitor.id == visitor.id) & Visitor.out_at.is_null()).execute())
        if not done:
            raise DeskError(_l("%(name)s has already left.", name=visitor.name), status=409)
        record(visitor.estate_id, visitor.subject, actor.id, "out")


PARCEL_COLLECTED = "parcel_collected"
outcomes.register_reason(PARCEL_COLLECTED, _l("the parcel was collected"))


# Parcels (邮件包裹收发) -------------------------------------------------------------------------

coverage.register_patch_duties("parcel", coverage.patch_through_unit(Parcel), clocks.TELL_PARCEL)


def parcel_in(client_uuid, *, estate, actor, unit, fields: dict):
    """Log a parcel's arrival; the unit's patch butler is to tell the resident."""
    if unit is None or unit.estate_id != estate.id:
        raise DeskError(_l("Give the recipient's unit."), status=422, field="unit_code")
    with db.atomic():
        parcel, created = create_once(Parcel, client_uuid, estate=estate.id, unit=unit, logged_by=actor.id,
                                      arrived_at=clock.now(), created_at=clock.now(), **fields)
        if created:
            ctx = {"patch_butler": cases.patch_butler_of(unit), "clocks": estate.setting("clocks", {}),
                   "title": " ".join(p for p in (unit.code, parcel.carrier, parcel.tracking_tail) if p)}
            spawn(clocks.PARCEL_ARRIVED, estate.id, parcel.subject, parcel.arrived_at, ctx)
            record(estate.id, parcel.subject, actor.id, "arrived")
    return parcel, created


def parcel_told(parcel, actor):
    """The butler told the resident a parcel is waiting."""
    if parcel.picked_up_at is not None:
        raise DeskError(_l("This parcel has already been collected."), status=409)
    with db.atomic():
        Parcel.update(told_at=clock.now(), told_by=actor.id).where(
            (Parcel.id == parcel.id) & Parcel.told_at.is_null()).execute()
        close_duties(parcel.subject, clocks.TELL_PARCEL, actor.id)
        record(parcel.estate_id, parcel.subject, actor.id, "told")


def parcel_pickup(parcel, actor, collected_by: str):
    """Hand a parcel over, recording who collected it; nobody needs telling any more."""
    collected_by = (collected_by or "").strip()
    if not collected_by:
        raise DeskError(_l("Write who collected it."), status=422, field="picked_up_by")
    with db.atomic():
        done = (Parcel.update(picked_up_at=clock.now(), picked_up_by=collected_by[:50], handed_by=actor.id)
                .where((Parcel.id == parcel.id) & Parcel.picked_up_at.is_null()).execute())
        if not done:
            raise DeskError(_l("This parcel has already been collected."), status=409)
        outcomes.end_subject(parcel.subject, PARCEL_COLLECTED, actor.id)  # nobody needs telling now
        record(parcel.estate_id, parcel.subject, actor.id, "collected", by=collected_by[:50])
