"""The key cabinet (钥匙管理): register keys, lend them, take them back.

A key is never out twice: the lend checks, and a partial unique index over open loans
holds under any race. Each loan makes a duty for the borrower to bring it back by the
time promised; past that and the grace, the supervisor sees it.
"""
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import create_once, db, replayed
from bluebird.duties import outcomes
from bluebird.duties.models import close_duties
from bluebird.duties.rules import spawn
from bluebird.frontdesk import clocks
from bluebird.frontdesk.models import Key, KeyKind, KeyLoan
from bluebird.frontdesk.service import DeskError, when_text
from bluebird.timeline.models import Event, record

LONGEST_LOAN = timedelta(days=30)


def register_key(client_uuid, *, estate, actor, fields: dict):
    """Put a key in the register on its hook or in its box."""
    if fields["kind"] not in KeyKind.ALL:
        raise DeskError(_l("Choose what kind of key it is."), status=422, field="kind")
    earlier = replayed(Key, client_uuid, estate=estate.id, created_by=actor.id)
    if earlier is not None:
        return earlier, False
    taken = Key.get_or_none((Key.estate == estate.id) & (Key.hook == fields["hook"]) & Key.retired_at.is_null())
    if taken is not None:
        raise DeskError(_l("Hook %(hook)s already holds %(name)s.", hook=taken.hook, name=taken.name), status=409,
                        field="hook")
    try:
        with db.atomic():
            key, created = create_once(Key, client_uuid, estate=estate.id, created_by=actor.id,
                                       created_at=clock.now(), **fields)
            if created:
                record(estate.id, key.subject, actor.id, "registered", hook=key.hook)
    except IntegrityError as exc:
        raise DeskError(_l("Hook %(hook)s is already taken.", hook=fields["hook"]), status=409, field="hook") from exc
    return key, created


def _at_the_desk(key, actor):
    # Keys are lent and taken back at the desk (reception, or a supervisor standing in),
    # never by the borrower himself: the desk holds the cabinet and sees the key come back.
    from bluebird.frontdesk.service import DESK

    if actor.role not in DESK or actor.estate_id != key.estate_id:
        raise DeskError(_l("Keys are lent and taken back at the front desk."), status=403)


def lend(key, actor, client_uuid, *, borrower: str, borrower_user_id=None, purpose: str, due_at):
    """Lend a key: who, why, until when. Refused if it is already out."""
    earlier = replayed(KeyLoan, client_uuid, estate=key.estate_id, lent_by=actor.id)
    if earlier is not None:
        return earlier, False
    _at_the_desk(key, actor)
    if key.retired_at is not None:
        raise DeskError(_l("This key was retired from the register."), status=409)
    out = key.open_loan()
    if out is not None:
        raise DeskError(_l("This key is already out: lent to %(who)s, due back %(when)s.", who=out.borrower,
                           when=when_text(out.due_at)), status=409)
    colleague = None
    if borrower_user_id:
        colleague = User.get_or_none((User.id == borrower_user_id) & (User.estate == key.estate_id) & User.active)
        if colleague is None:
            raise DeskError(_l("Choose a colleague of this estate."), status=422, field="borrower_user")
    borrower = (borrower or "").strip() or (colleague.name if colleague else "")
    if not borrower:
        raise DeskError(_l("Write who borrows the key."), status=422, field="borrower")
    now = clock.now()
    if due_at <= now:
        raise DeskError(_l("The time it is due back must be later than now."), status=422, field="due_at")
    if due_at > now + LONGEST_LOAN:
        raise DeskError(_l("A loan lasts 30 days at most."), status=422, field="due_at")
    try:
        with db.atomic():
            loan, created = create_once(
                KeyLoan, client_uuid, estate=key.estate_id, key=key.id, borrower=borrower[:50],
                borrower_user=colleague.id if colleague else None, purpose=purpose.strip()[:100], out_at=now,
                due_at=due_at, lent_by=actor.id)
            if created:
                ctx = {"borrower": colleague.id if colleague else None, "due_back": due_at,
                       "title": f"{key.name} · {key.hook} → {borrower}"}
                spawn(clocks.KEY_LENT, key.estate_id, key.subject, now, ctx)
                record(key.estate_id, key.subject, actor.id, "lent", to=borrower, purpose=loan.purpose,
                       due=due_at.isoformat(), loan=loan.id)
    except IntegrityError as exc:  # someone lent it a moment ago, at another tablet
        raise DeskError(_l("This key was just lent to someone else."), status=409) from exc
    return loan, created


def give_back(key, actor, note=""):
    """Take a key back; the borrower's duty closes (late, if it is late)."""
    _at_the_desk(key, actor)
    loan = key.open_loan()
    if loan is None:
        raise DeskError(_l("This key is not out, so it cannot be returned."), status=409)
    now = clock.now()
    with db.atomic():
        done = (KeyLoan.update(returned_at=now, returned_to=actor.id, note=(note or "").strip()[:200])
                .where((KeyLoan.id == loan.id) & KeyLoan.returned_at.is_null()).execute())
        if not done:
            raise DeskError(_l("This key is not out, so it cannot be returned."), status=409)
        close_duties(key.subject, clocks.RETURN_KEY, loan.borrower_user_id or actor.id)
        late = max(0, int((now - loan.due_at) / timedelta(minutes=1)))
        record(key.estate_id, key.subject, actor.id, "returned", by=loan.borrower, late_minutes=late,
               note=(note or "").strip()[:200], loan=loan.id)
    return loan


def retire(key, actor, reason: str):
    """Take a key out of the register for good (handed to the owner at move-in…), never one on loan."""
    reason = (reason or "").strip()
    if not reason:
        raise DeskError(_l("Say why the key leaves the register (for example: handed to the owner)."), status=422,
                        field="reason")
    if key.retired_at is not None:
        raise DeskError(_l("This key was retired from the register."), status=409)
    if key.open_loan() is not None:
        raise DeskError(_l("This key is out on loan: take it back before retiring it."), status=409)
    now = clock.now()
    with db.atomic():
        done = (Key.update(retired_at=now, retired_by=actor.id, retire_reason=reason[:200])
                .where((Key.id == key.id) & Key.retired_at.is_null()).execute())
        if not done:
            raise DeskError(_l("This key was retired from the register."), status=409)
        record(key.estate_id, key.subject, actor.id, "retired", reason=reason[:200])
        outcomes.end_subject(key.subject, outcomes.KEY_RETIRED, actor.id)
    key.retired_at, key.retire_reason = now, reason[:200]
    return key


def _retired_keys(ids) -> dict[int, str]:
    return {k.id: outcomes.KEY_RETIRED for k in Key.select(Key.id).where(Key.id.in_(ids) & Key.retired_at.is_null(False))}


outcomes.register_end("key", _retired_keys)


def history(key):
    """Every loan of a key, newest first, and its timeline."""
    loans = list(KeyLoan.select().where(KeyLoan.key == key.id).order_by(KeyLoan.out_at.desc(), KeyLoan.id.desc()))
    return loans, list(Event.timeline(subject=key.subject))
