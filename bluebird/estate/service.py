"""The functions that change places and people."""
from peewee import IntegrityError

from bluebird import clock
from bluebird.db import create_once, db
from bluebird.duties import outcomes
from bluebird.estate.models import Building, Resident, Unit, UnitStatus
from bluebird.timeline.models import record


class Conflict(ValueError):
    """The change clashes with a row that already exists."""


def change_unit_status(unit: Unit, status: str, actor, note: str = "") -> bool:
    """Move a unit to a new status and write it on the unit's timeline."""
    if status not in UnitStatus.ALL:
        raise ValueError(status)
    if status == unit.status:
        return False
    before = unit.status
    with db.atomic():
        unit.status = status
        unit.updated_at = clock.now()
        unit.save(only=[Unit.status, Unit.updated_at])
        record(unit.estate_id, f"unit:{unit.id}", actor, "status", before=before, after=status, note=note)
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


def create_unit(client_uuid, *, building: Building, number, floor, kind, status, area=None, actor=None):
    """Add a unit to a building; its code is building-number (3-1502)."""
    number = number.strip()
    try:
        unit, created = create_once(
            Unit,
            client_uuid,
            estate=building.estate_id,
            building=building,
            number=number,
            code=f"{building.name}-{number}",
            floor=floor,
            kind=kind,
            status=status,
            area=area,
        )
    except IntegrityError as exc:
        raise Conflict(number) from exc
    if created:
        record(unit.estate_id, f"unit:{unit.id}", actor, "created", status=status)
    return unit, created


def create_resident(client_uuid, *, unit: Unit, name, phone="", relation="owner", key_account=False, actor=None):
    """Register a resident of a unit."""
    resident, created = create_once(
        Resident,
        client_uuid,
        estate=unit.estate_id,
        unit=unit,
        name=name.strip(),
        phone=phone.strip(),
        phone_tail=Resident.tail_of(phone),
        relation=relation,
        key_account=key_account,
    )
    if created:
        record(unit.estate_id, f"unit:{unit.id}", actor, "resident_added", name=resident.name)
    return resident, created
