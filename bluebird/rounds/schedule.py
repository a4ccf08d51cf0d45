"""The recurring duties of rounds, generated each day from tick(): idempotent.

Daily patrol per butler's patch (due 18:00), the manager's walk-round twice a day
(11:00 and 17:00), reception's lobby check (10:00), a weekly patrol of every vacant or
not-handed-over unit of any kind, homes, garages, storage rooms and shops (003 篇1 §8;
due Friday 18:00), and a daily check of every active renovation.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.duties.models import Duty, create_duty
from bluebird.duties.outcomes import register_end
from bluebird.duties.rules import register_kind
from bluebird.estate import coverage
from bluebird.estate.models import Building, Estate, Unit, UnitStatus

DAILY_PATROL = "daily_patrol"
MANAGER_WALK = "manager_walk"
LOBBY_CHECK = "lobby_check"
VACANT_PATROL = "vacant_patrol"
RENOVATION_CHECK = "renovation_check"

# Finishing a round of this kind closes this duty about the round's place.
DUTY_OF_KIND = {"patrol": DAILY_PATROL, "walk": MANAGER_WALK, "lobby": LOBBY_CHECK, "vacant": VACANT_PATROL,
                "renovation": RENOVATION_CHECK}

register_kind(DAILY_PATROL, _l("Daily patrol of my patch"))
register_kind(MANAGER_WALK, _l("Manager walk-round"))
register_kind(LOBBY_CHECK, _l("Lobby check"))
register_kind(VACANT_PATROL, _l("Vacant unit patrol"))
register_kind(RENOVATION_CHECK, _l("Renovation site check"))


def _at(day, hh, mm, tz) -> datetime:
    """A local wall-clock time of a day, as naive UTC."""
    local = datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(tz))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def local_day(now: datetime, tz: str):
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).date()


def generate(now: datetime) -> int:
    """Make today's round duties for every estate (once a day each); return how many exist."""
    made = 0
    for estate in Estate.select():
        made += generate_for(estate, now)
    return made


def generate_for(estate, now: datetime) -> int:
    tz = estate.timezone
    day = local_day(now, tz)
    if estate.setting("rounds_duties_on") == day.isoformat():
        return 0
    made = 0
    butlers = User.with_role(estate.id, roles.BUTLER).where(User.patch.is_null(False))
    for butler in butlers:
        create_duty(estate.id, DAILY_PATROL, f"patch:{butler.patch_id}", _at(day, 18, 0, tz), assignee=butler.id,
                    title=butler.patch.name, points=2, once_per_day=True)
        made += 1
    for manager in User.with_role(estate.id, roles.MANAGER):
        for hh in (11, 17):
            create_duty(estate.id, MANAGER_WALK, f"estate:{estate.id}:{manager.id}:{hh}", _at(day, hh, 0, tz),
                        assignee=manager.id, title=f"{hh}:00", points=2, once_per_day=True)
            made += 1
    create_duty(estate.id, LOBBY_CHECK, f"estate:{estate.id}", _at(day, 10, 0, tz), role=roles.RECEPTION,
                title=estate.name, once_per_day=True)
    made += 1
    # The week's vacant-unit patrols, due Friday: made by the first tick of the working
    # week, whatever day that is (a scheduler down on Monday must not skip the week),
    # and topped up daily for units that became vacant since.
    if day.weekday() <= 4:
        made += _vacant_week(estate, day, tz)
    from bluebird.renovations.service import daily_checks

    made += daily_checks(estate, day, _at(day, 17, 0, tz))
    estate.set_setting("rounds_duties_on", day.isoformat())
    return made


coverage.register_patch_duties("unit", coverage.patch_through_unit(Unit), VACANT_PATROL)
# A butler who leaves or changes patch mid-day hands today's patrol of his old patch on.
coverage.register_patch_duties("patch", lambda patch_id: patch_id, DAILY_PATROL)


def _vacant_week(estate, day, tz) -> int:
    """Make the missing vacant-unit patrols of the week of `day`; return how many were made."""
    due = _at(day + timedelta(days=4 - day.weekday()), 18, 0, tz)
    butler_of_patch = coverage.butlers_by_patch(estate.id)
    units = (Unit.select(Unit, Building).join(Building)
             .where((Unit.estate == estate.id) & Unit.status.in_([UnitStatus.VACANT, UnitStatus.NOT_HANDED_OVER]))
             .order_by(Unit.id))
    have = {d.subject for d in Duty.select(Duty.subject).where(
        (Duty.estate == estate.id) & (Duty.kind == VACANT_PATROL) & (Duty.due_date == due.date()))}
    made = 0
    for unit in units:
        if f"unit:{unit.id}" in have:
            continue
        assignee, role = coverage.covering(butler_of_patch.get(unit.building.patch_id))
        create_duty(estate.id, VACANT_PATROL, f"unit:{unit.id}", due, assignee=assignee,
                    role=role, title=unit.code, points=2, once_per_day=True)
        made += 1
    return made


def _no_longer_vacant(ids) -> dict[int, str]:
    from bluebird.duties import outcomes

    rows = Unit.select(Unit.id).where(Unit.id.in_(ids) & Unit.status.not_in(_VACANT_STATUSES))
    return {u.id: outcomes.UNIT_STATUS for u in rows}


# The units a weekly patrol is for; one that leaves them (handed over, moved into) ends its patrols.
_VACANT_STATUSES = (UnitStatus.VACANT, UnitStatus.NOT_HANDED_OVER)
register_end("unit", _no_longer_vacant, kinds=(VACANT_PATROL,))
