"""Who covers a patch (片区): its butler; while nobody does, the supervisor.

A duty that is "the patch butler's" (a call-back, a parcel notice, a site check, a
vacant-unit patrol) goes to that patch's butler by name. It is never put on the role
"butler": the agenda shows a role-wide duty to every butler of the estate, so the new
butler of 二区 would get the call-back of a 一区 repair. A patch without a butler is the
supervisor's to cover (role manager); when a butler is given the patch, the duties still
waiting for the patch pass to him, and a butler moved off a patch (or leaving) leaves its
duties to whoever covers it now (hand_over).
"""
from collections.abc import Callable

from bluebird.auth import roles
from bluebird.auth.models import User

# Until a butler covers the patch, its butler duties wait on the supervisors' agenda.
UNCOVERED = roles.MANAGER

# Duty kinds that belong to "the patch butler", and how to find the patch of a subject
# ("case:7" -> the case's building's patch). Each package registers its own.
_PATCH_OF: dict[str, Callable[[int], int | None]] = {}
_KINDS: set[str] = set()


def register_patch_duties(prefix: str, patch_of: Callable[[int], int | None], *kinds: str) -> None:
    """Duties of `kinds` about "<prefix>:<id>" belong to the butler of patch_of(id)."""
    _PATCH_OF[prefix] = patch_of
    _KINDS.update(kinds)


def patch_through_unit(model) -> Callable[[int], int | None]:
    """A patch_of for rows that have a `unit`: the patch of the unit's building."""
    from bluebird.estate.models import Building, Unit

    def patch_of(row_id):
        query = model.select(Building.patch)
        query = query.join_from(model, Unit) if model is not Unit else query
        row = query.join_from(Unit, Building).where(model.id == row_id).tuples().first()
        return row[0] if row else None
    return patch_of


def butler_of(patch_id) -> int | None:
    """The active butler who covers a patch (the longest-serving if there are two)."""
    if not patch_id:
        return None
    butler = (User.select(User.id)
              .where((User.patch == patch_id) & (User.role == roles.BUTLER) & User.active)
              .order_by(User.id).first())
    return butler.id if butler else None


def butlers_by_patch(estate_id) -> dict[int, int]:
    """{patch id: butler id} for every covered patch of an estate (one query)."""
    found: dict[int, int] = {}
    for user in (User.select(User.id, User.patch)
                 .where((User.estate == estate_id) & (User.role == roles.BUTLER) & User.active
                        & User.patch.is_null(False))
                 .order_by(User.id.desc())):
        found[user.patch_id] = user.id  # descending: the lowest id wins, as in butler_of
    return found


def covering(butler_id) -> tuple[int | None, str | None]:
    """(assignee, role) for a patch duty: the butler, else the supervisors."""
    return (butler_id, None) if butler_id else (None, UNCOVERED)


def _patch_of_duty(duty) -> int | None:
    prefix, _, rest = duty.subject.partition(":")
    patch_of = _PATCH_OF.get(prefix)
    return patch_of(int(rest)) if patch_of and rest.isdigit() else None


def hand_over(user) -> int:
    """Settle a butler's patch duties after his account changed; return how many moved.

    Given a patch, he takes the open duties waiting for it (made while nobody covered it).
    Moved off a patch, or no longer an active butler, his open duties about other patches
    go to their patch's butler, else to the supervisor.
    """
    from bluebird.duties.models import Duty

    if not _KINDS:
        return 0
    kinds = sorted(_KINDS)
    moved = 0
    covers = user.patch_id if user.role == roles.BUTLER and user.active else None
    for duty in (Duty.select(Duty.id, Duty.subject)
                 .where((Duty.assignee == user.id) & Duty.done_at.is_null() & Duty.kind.in_(kinds))):
        patch = _patch_of_duty(duty)
        if patch is not None and patch != covers:
            assignee, role = covering(butler_of(patch))
            moved += Duty.update(assignee=assignee, role=role).where(
                (Duty.id == duty.id) & Duty.done_at.is_null()).execute()
    if covers is None:
        return moved
    waiting = (Duty.select(Duty.id, Duty.subject)
               .where((Duty.estate == user.estate_id) & Duty.done_at.is_null() & Duty.assignee.is_null()
                      & Duty.role.in_([UNCOVERED, roles.BUTLER]) & Duty.kind.in_(kinds)))
    mine = [duty.id for duty in waiting if _patch_of_duty(duty) == covers]
    if mine:
        moved += Duty.update(assignee=user.id, role=None).where(Duty.id.in_(mine) & Duty.done_at.is_null()).execute()
    return moved
