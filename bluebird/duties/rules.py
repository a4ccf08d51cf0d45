"""The clock table: which event makes which duty, for whom, due when, worth what.

Each workflow package adds its rows with `rule(...)`; `spawn(trigger, ...)` turns an
event into duties by reading the table. Estates may override the offsets later
(settings), but the defaults come from DOMAIN.md.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bluebird.duties.models import create_duty


@dataclass(frozen=True)
class Rule:
    trigger: str  # "repair.registered"
    kind: str  # the Duty kind it makes
    label: object  # lazy-translated name of the duty kind
    who: Callable  # (context) -> (assignee user or None, role or None)
    due: Callable[[datetime, dict], datetime]  # (event time, context) -> due_at
    points: int = 0
    when: Callable[[dict], bool] = lambda ctx: True

RULES: list[Rule] = []
_LABELS: dict[str, object] = {}

def rule(trigger, kind, label, who, due, points=0, when=None) -> Rule:
    """Add a row to the clock table."""
    row = Rule(trigger, kind, label, who, due, points, when or (lambda ctx: True))
    RULES.append(row)
    _LABELS[kind] = label
    return row

def register_kind(kind: str, label) -> None:
    """Name a duty kind that no event rule makes (recurring duties)."""
    _LABELS[kind] = label

def kind_label(kind: str):
    """The human name of a duty kind."""
    return _LABELS.get(kind, kind)

def after(**delta) -> Callable[[datetime, dict], datetime]:
    """A due rule: a fixed time after the event."""
    span = timedelta(**delta)
    return lambda at, ctx: at + span

def spawn(trigger: str, estate_id, subject: str, at: datetime, ctx: dict, rules=None):
    """Create the duties the clock table prescribes for an event."""
    made = []
    for row in rules if rules is not None else RULES:
        if row.trigger != trigger or not row.when(ctx):
            continue
        assignee, role = row.who(ctx)
        if assignee is None and role is None:
            continue
        made.append(
            create_duty(
                estate_id,
                row.kind,
                subject,
                row.due(at, ctx),
                assignee=assignee,
                role=role,
                title=ctx.get("title", ""),
                points=row.points,
            )
        )
    return made
