"""The clock table: which event makes which duty, for whom, due when, worth what.

Each workflow package adds its rows with `rule(...)`; `spawn(trigger, ...)` turns an
event into duties by reading the table. The offsets are DOMAIN.md's defaults; an estate
overrides one in its settings (clocks: {kind: minutes}), on the admin's clock page.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bluebird.duties.models import create_duty


def _always(ctx):
    return True


@dataclass(frozen=True)
class Rule:
    trigger: str  # "repair.registered"
    kind: str  # the Duty kind it makes
    label: object  # lazy-translated name of the duty kind
    who: Callable  # (ctx) -> (assignee user id or None, role or None)
    offset: timedelta  # default delay after the event; estates may override it
    points: int = 0  # KPI deduction when missed (DOMAIN.md 绩效)
    grace: timedelta = timedelta(hours=1)  # past due this long, the supervisor is told
    anchor: Callable | None = None  # (event time, ctx, offset) -> due; default: time + offset
    when: Callable[[dict], bool] = field(default=_always)

    def due(self, at: datetime, ctx: dict) -> datetime:
        """When the duty falls due for this event, honouring the estate's override."""
        minutes = (ctx.get("clocks") or {}).get(self.kind)
        offset = timedelta(minutes=int(minutes)) if minutes is not None else self.offset
        return self.anchor(at, ctx, offset) if self.anchor else at + offset


RULES: list[Rule] = []
_LABELS: dict[str, object] = {}


def rule(trigger, kind, label, who, offset, **options) -> Rule:
    """Add a row to the clock table."""
    row = Rule(trigger, kind, label, who, offset, **options)
    RULES.append(row)
    _LABELS[kind] = label
    return row


def register_kind(kind: str, label) -> None:
    """Name a duty kind that no event rule makes (recurring duties)."""
    _LABELS[kind] = label


def recurring_kinds() -> set[str]:
    """The duty kinds no event rule makes: generated each day (or week) by the scheduler."""
    return set(_LABELS) - {row.kind for row in RULES}


def kind_label(kind: str):
    """The human name of a duty kind."""
    return _LABELS.get(kind, kind)


_LINKS: dict[str, Callable[[str], str]] = {}


def register_link(prefix: str, make_url: Callable[[str], str]) -> None:
    """Say where a duty about "<prefix>:<rest>" is done (make_url gets <rest>)."""
    _LINKS[prefix] = make_url


_ANCHORS: dict[str, str] = {}


def register_anchor(kind: str, element_id: str) -> None:
    """Say which element of the page a duty of `kind` is done in: its link lands there."""
    _ANCHORS[kind] = element_id


def anchor_for(kind: str | None) -> str | None:
    """The element id a duty of `kind` lands on, if one was registered."""
    return _ANCHORS.get(kind)


def link_for(subject: str, kind: str | None = None) -> str | None:
    """The page where a duty about `subject` is done, one tap from the agenda, at its form."""
    prefix, _, rest = subject.partition(":")
    make_url = _LINKS.get(prefix)
    url = make_url(rest) if make_url else None
    anchor = _ANCHORS.get(kind) if url else None
    return f"{url}#{anchor}" if anchor else url


def rules_for(trigger: str) -> list[Rule]:
    """The rows of the table an event triggers."""
    return [row for row in RULES if row.trigger == trigger]


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
                grace=row.grace,
            )
        )
    return made
