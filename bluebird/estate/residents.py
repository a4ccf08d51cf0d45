"""The butler's ledger (工作台帐): change a resident, move one in or out, check a release slip.

Every change is on the unit's timeline (`unit:<id>`); a move in or out moves the unit's
status the way the house dynamics table counts it (occupied, rented, vacant).
"""
from datetime import UTC, date
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from bluebird import clock
from bluebird.db import create_once, db
from bluebird.estate.models import Resident, Unit, UnitStatus, mask_phone
from bluebird.estate.models_moves import MoveOut, new_slip_code
from bluebird.estate.service import change_unit_status
from bluebird.timeline.models import record


class LedgerError(ValueError):
    """A change the ledger refuses, with the field it is about."""

    def __init__(self, message, field=None, status=422):
        super().__init__(str(message))
        self.message, self.field, self.status = message, field, status


# The fields the edit form changes, in the order the timeline lists them.
EDITABLE = ("name", "phone", "phone2", "wechat", "contact_pref", "relation", "members", "key_account",
            "key_reason", "arrears", "arrears_amount", "arrears_as_of", "birthday", "note")
PHONES = ("phone", "phone2")
LONG_TEXT = ("members", "note")  # the timeline says they changed, not their whole text

# Statuses a move in or out may move a unit out of; a unit not yet handed over needs its
# move-in inspection first, and a renovating one keeps its status until the works end.
FOLLOWS = (UnitStatus.HANDED_OVER, UnitStatus.OCCUPIED, UnitStatus.RENTED, UnitStatus.VACANT)


def local_today(estate) -> date:
    """Today in the estate's zone."""
    return clock.now().replace(tzinfo=UTC).astimezone(ZoneInfo(estate.timezone)).date()


def _timeline_value(name, value):
    if name in PHONES:
        return mask_phone(value or "")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def clean_fields(fields: dict) -> dict:
    """The form's values as the ledger stores them; refuse what does not hold together."""
    out = dict(fields)
    for name in ("name", "phone", "phone2", "wechat", "key_reason", "members", "note"):
        if name in out:
            out[name] = (out[name] or "").strip()
    if out.get("key_account") and not out.get("key_reason"):
        raise LedgerError(_l("Say why this household is a key account (often complains, elderly living alone…)."),
                          "key_reason")
    if not out.get("key_account", True):
        out["key_reason"] = ""
    if out.get("arrears"):
        if out.get("arrears_amount") is None or out["arrears_amount"] <= 0:
            raise LedgerError(_l("Give the amount owed."), "arrears_amount")
        if out.get("arrears_as_of") is None:
            raise LedgerError(_l("Give the date the amount was owed on."), "arrears_as_of")
    elif "arrears" in out:
        out["arrears_amount"], out["arrears_as_of"] = None, None
    if out.get("contact_pref") == "wechat" and not out.get("wechat") and not out.get("phone"):
        raise LedgerError(_l("Give the WeChat ID, or the phone number WeChat is found by."), "wechat")
    return out


def update_resident(resident: Resident, actor, fields: dict) -> dict:
    """Change a resident's ledger entry; the changes go on the unit's timeline.

    Returns the changes as {field: [before, after]} (phones masked); nothing changed
    writes nothing.
    """
    fields = clean_fields(fields)
    changes = {}
    for name in EDITABLE:
        if name not in fields:
            continue
        before, after = getattr(resident, name), fields[name]
        if isinstance(after, Decimal) and before is not None:
            before = Decimal(before)
        if before != after:
            changes[name] = [before, after]
    if not changes:
        return {}
    with db.atomic():
        for name, (_before, after) in changes.items():
            setattr(resident, name, after)
        resident.save()
        shown = {name: (["", ""] if name in LONG_TEXT else [_timeline_value(name, b), _timeline_value(name, a)])
                 for name, (b, a) in changes.items()}
        record(resident.estate_id, f"unit:{resident.unit_id}", actor, "resident_changed", name=resident.name,
               resident=resident.id, changes=shown)
    return shown


def status_after(unit: Unit) -> str | None:
    """The status the unit's current household gives it, or None to leave it as it is."""
    if unit.status not in FOLLOWS:
        return None
    relations = [r.relation for r in Resident.of_unit(unit.id)]
    if not relations:
        return UnitStatus.VACANT if unit.status in (UnitStatus.OCCUPIED, UnitStatus.RENTED) else None
    return UnitStatus.RENTED if "tenant" in relations and "owner" not in relations else UnitStatus.OCCUPIED


def _follow(unit: Unit, actor, note):
    wanted = status_after(unit)
    if wanted and wanted != unit.status:
        change_unit_status(unit, wanted, actor, note)


def move_in(client_uuid, *, unit: Unit, actor, fields: dict, moved_in_at: date):
    """A resident moves in (入住): registered with the day, and the unit's status follows."""
    fields = clean_fields(fields)
    with db.atomic():
        resident, created = create_once(
            Resident, client_uuid, estate=unit.estate_id, unit=unit, moved_in_at=moved_in_at,
            phone_tail=Resident.tail_of(fields.get("phone", "")), **fields)
        if created:
            record(unit.estate_id, f"unit:{unit.id}", actor, "moved_in", name=resident.name, resident=resident.id,
                   relation=resident.relation, on=moved_in_at.isoformat())
            _follow(Unit.get_by_id(unit.id), actor, str(_l("Move-in of %(name)s", name=resident.name)))
    return resident, created


def household_arrears(unit_id) -> list[Resident]:
    """Everybody of the unit, current or moved out, whose fees are owed."""
    return list(Resident.select().where((Resident.unit == unit_id) & (Resident.arrears == True))  # noqa: E712
                .order_by(Resident.id))


def move_out(client_uuid, *, resident: Resident, actor, moving_on: date, slot="", mover="", note="",
             with_household=True) -> tuple[MoveOut, bool]:
    """A resident moves out (迁出) on `moving_on`: the moving day is booked, the release slip
    (放行条) issued, he (and, with `with_household`, everybody still living there) leaves
    the current residents but stays in the unit's history; the unit's status follows.
    """
    if resident.moved_out_at is not None:
        raise LedgerError(_l("%(name)s has already moved out.", name=resident.name), "resident", status=409)
    unit = Unit.get_by_id(resident.unit_id)
    leaving = [resident]
    if with_household:
        leaving += [r for r in Resident.of_unit(unit.id) if r.id != resident.id]
    names = "、".join(r.name for r in leaving)[:200]
    for _attempt in range(5):  # a slip code taken in the estate: draw again
        try:
            with db.atomic():
                move, created = create_once(
                    MoveOut, client_uuid, estate=unit.estate_id, unit=unit, resident=resident, names=names,
                    moving_on=moving_on, slot=(slot or "").strip(), mover=(mover or "").strip(),
                    note=(note or "").strip(), slip_code=new_slip_code(), created_by=actor.id)
                if not created:
                    return move, False
                # The claim: he is still current (two move-outs sent at once issue one slip).
                claimed = (Resident.update(moved_out_at=moving_on)
                           .where((Resident.id == resident.id) & Resident.moved_out_at.is_null()).execute())
                if not claimed:
                    raise LedgerError(_l("%(name)s has already moved out.", name=resident.name), "resident",
                                      status=409)
                others = [r.id for r in leaving if r.id != resident.id]
                if others:
                    Resident.update(moved_out_at=moving_on).where(
                        Resident.id.in_(others) & Resident.moved_out_at.is_null()).execute()
                owed = household_arrears(unit.id)
                record(unit.estate_id, f"unit:{unit.id}", actor.id, "moved_out", names=names, on=moving_on.isoformat(),
                       move=move.id, slip=move.slip_code, arrears=bool(owed))
                _follow(unit, actor.id, str(_l("Move-out of %(names)s", names=names)))
            return move, True
        except IntegrityError:
            continue
    raise LedgerError(_l("The release slip could not be numbered. Send it again."), status=503)


def _owed_text(resident: Resident) -> str:
    if resident.arrears_amount is None:
        return resident.name
    return f"{resident.name} ¥{Decimal(resident.arrears_amount):.2f}"


def check_slip(move: MoveOut, actor, *, release: bool, note="") -> MoveOut:
    """The desk checks a release slip: released (放行), or held (e.g. fees owed), with a note.

    A held slip may be checked again once settled; a released one is final.
    """
    if move.status == MoveOut.RELEASED:
        raise LedgerError(_l("This slip was already released."), status=409)
    note = (note or "").strip()
    owed = household_arrears(move.unit_id)
    if not release and not note:
        raise LedgerError(_l("Say why the move is held."), "check_note")
    with db.atomic():
        changed = (MoveOut.update(status=MoveOut.RELEASED if release else MoveOut.HELD, checked_by=actor.id,
                                  checked_at=clock.now(), check_note=note[:200])
                   .where((MoveOut.id == move.id) & (MoveOut.status != MoveOut.RELEASED)).execute())
        if not changed:
            raise LedgerError(_l("This slip was already released."), status=409)
        record(move.estate_id, f"unit:{move.unit_id}", actor.id, "slip_checked", slip=move.slip_code,
               released=release, note=note[:200], arrears=[_owed_text(r) for r in owed])
    return MoveOut.get_by_id(move.id)


def key_account_rows(estate_id, patch_id=None) -> list[dict]:
    """The key-account list (重点户明细及服务情况): each current key account of the patch, with
    the household's last contact (the one the visits package keeps: a visit, a reached call,
    a case, a move-in, a meeting) and its open cases."""
    from bluebird.cases.kinds import CaseStatus
    from bluebird.cases.models import Case
    from bluebird.visits.models import HouseholdContact

    residents = list(Resident.key_accounts(estate_id, patch_id))
    unit_ids = sorted({r.unit_id for r in residents})
    last, open_cases = {}, {}
    if unit_ids:
        last = dict(HouseholdContact.select(HouseholdContact.unit, HouseholdContact.last_at)
                    .where(HouseholdContact.unit.in_(unit_ids)).tuples())
        for case in (Case.select(Case.id, Case.unit, Case.kind, Case.status, Case.description, Case.created_at)
                     .where(Case.unit.in_(unit_ids) & Case.status.in_(CaseStatus.OPEN)).order_by(Case.created_at)):
            open_cases.setdefault(case.unit_id, []).append(case)
    return [{"resident": r, "unit": r.unit, "last_contact": last.get(r.unit_id),
             "open_cases": open_cases.get(r.unit_id, [])} for r in residents]
