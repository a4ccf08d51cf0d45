"""The functions that change places and people."""
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from bluebird import clock
from bluebird.db import create_once, db
from bluebird.duties import outcomes
from bluebird.estate.models import Building, Resident, Unit, UnitStatus
from bluebird.timeline.models import record


class Conflict(ValueError):
    """The change clashes with a row that already exists."""


class ReasonRequired(ValueError):
    """A unit set to handed over by hand, without saying why."""

    message = _l("A unit becomes handed over through a move-in inspection. To set it by hand, give the reason: "
                 "the timeline will say that no inspection was done.")


def _handover_by_hand(status: str, note: str, movein_round) -> dict:
    """The timeline facts of a status set without a move-in; refuse 已交付 with no reason."""
    if status != UnitStatus.HANDED_OVER or movein_round is not None:
        return {}
    if not (note or "").strip():
        raise ReasonRequired(status)
    return {"uninspected": True}


def change_unit_status(unit: Unit, status: str, actor, note: str = "", *, movein_round=None) -> bool:
    """Move a unit to a new status and write it on the unit's timeline.

    Handed over (已交付) is what a move-in inspection does (`movein_round`, its id); by
    hand it needs a reason and the timeline says no inspection was done.
    """
    if status not in UnitStatus.ALL:
        raise ValueError(status)
    if status == unit.status:
        return False
    facts = _handover_by_hand(status, note, movein_round)
    if movein_round is not None:
        facts["round"] = movein_round
    before = unit.status
    with db.atomic():
        unit.status = status
        unit.updated_at = clock.now()
        unit.save(only=[Unit.status, Unit.updated_at])
        record(unit.estate_id, f"unit:{unit.id}", actor, "status", before=before, after=status,
               note=(note or "").strip(), **facts)
        outcomes.recheck(f"unit:{unit.id}", actor)  # e.g. a vacant-unit patrol no longer applies
    return True


def create_building(client_uuid, *, estate_id, name, floors, patch_id=None):
    """Add a building to an estate."""
    try:
        return create_once(
            Building,
            client_uuid,
            estate=estate_id,
            name=name.strip(),
            floors=floors,
            patch=patch_id or None,
            sort_key=int(name) if name.strip().isdigit() else 9999,
        )
    except IntegrityError as exc:
        raise Conflict(name) from exc


def create_unit(client_uuid, *, building: Building, number, floor, kind, status, area=None, actor=None, reason=""):
    """Add a unit to a building; its code is building-number (3-1502).

    Registered as already handed over, it needs the reason, as a status change would.
    """
    number = number.strip()
    facts = _handover_by_hand(status, reason, None)
    if facts:
        facts["reason"] = reason.strip()
    try:
        with db.atomic():  # the unit and its timeline entry commit together
            unit, created = create_once(
                Unit, client_uuid, estate=building.estate_id, building=building, number=number,
                code=f"{building.name}-{number}", floor=floor, kind=kind, status=status, area=area,
            )
            if created:
                record(unit.estate_id, f"unit:{unit.id}", actor, "created", status=status, **facts)
    except IntegrityError as exc:
        raise Conflict(number) from exc
    return unit, created


def create_resident(client_uuid, *, unit: Unit, name, phone="", relation="owner", key_account=False, note="",
                    actor=None):
    """Register a resident of a unit, with the household note."""
    with db.atomic():
        resident, created = create_once(
            Resident, client_uuid, estate=unit.estate_id, unit=unit, name=name.strip(), phone=phone.strip(),
            phone_tail=Resident.tail_of(phone), relation=relation, key_account=key_account,
            note=(note or "").strip(),
        )
        if created:
            record(unit.estate_id, f"unit:{unit.id}", actor, "resident_added", name=resident.name)
    return resident, created
