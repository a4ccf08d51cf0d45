"""Every contact with a household moves its last-contact row on (one upsert).

Called inside the transaction that writes the contact: a visit, a case registered for
the unit, a call-back reached, a move-in, a renovation call. Other packages call
`touch`; they never write the table themselves.
"""
from peewee import EXCLUDED, Case

from bluebird import clock
from bluebird.visits.models import HouseholdContact


def touch(estate_id, unit_id, kind: str, at=None) -> None:
    """Record a contact with the household of `unit_id` (a later one never goes back in time)."""
    if not unit_id:
        return
    at = at or clock.now()
    later = Case(None, [(HouseholdContact.last_at < EXCLUDED.last_at, EXCLUDED.last_at)], HouseholdContact.last_at)
    kind_then = Case(None, [(HouseholdContact.last_at < EXCLUDED.last_at, EXCLUDED.last_kind)],
                     HouseholdContact.last_kind)
    (HouseholdContact.insert(unit=unit_id, estate=estate_id, last_at=at, last_kind=kind)
     .on_conflict(conflict_target=[HouseholdContact.unit],
                  update={HouseholdContact.last_at: later, HouseholdContact.last_kind: kind_then})
     .execute())
