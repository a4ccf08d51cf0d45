"""The agenda's rows (我的待办), built as plain tuples in one pass.

A hundred duty rows were a hundred model objects, a translated label escaped a hundred
times, a `url_for` each and a nested time macro each: most of the page's CPU. Here the
rows are named tuples of ready strings: each kind's label is made once per request, each
duty link comes from its subject's cached URL pattern, and the three forms of the due
time (ISO, full, short) are computed in the same loop. The template only lays them out.
"""
from datetime import datetime
from itertools import groupby
from types import SimpleNamespace
from typing import NamedTuple

from flask import g
from markupsafe import Markup, escape

from bluebird.db import db
from bluebird.duties import rules
from bluebird.duties.models import Duty
from bluebird.web import when_parts


class Row(NamedTuple):
    kind: str
    label: Markup
    title: str
    url: str | None
    due_at: object
    overdue: bool
    missed: bool
    escalated: bool
    iso: str
    full: str
    short: str


COLUMNS = (Duty.id, Duty.kind, Duty.subject, Duty.title, Duty.assignee, Duty.due_at, Duty.missed_at,
           Duty.escalated_at)


def _links():
    """subject → URL, with each prefix's URL pattern worked out once per request."""
    cache = g.setdefault("_duty_link_patterns", {})
    marker = "9876543210"

    def link(subject: str, kind: str) -> str | None:
        prefix, _, rest = subject.partition(":")
        if not rest.isdigit():
            return rules.link_for(subject, kind)
        pattern = cache.get(prefix)
        if pattern is None:
            sample = rules.link_for(f"{prefix}:{marker}")
            pattern = cache[prefix] = tuple(sample.split(marker, 1)) if sample and sample.count(marker) == 1 else ()
        if not pattern:
            return rules.link_for(subject, kind)
        anchor = rules.anchor_for(kind)
        return f"{pattern[0]}{rest}{pattern[1]}" + (f"#{anchor}" if anchor else "")

    return link


_SQL: dict = {}  # (database, supervises, limit) -> (sql, [(user attribute or None, value)])
_PROBE = {"id": -70001, "role": "\x00role\x00", "estate_id": -70002}


def _agenda_sql(user, limit: int):
    """Duty.open_for's SQL, compiled once per shape: building it cost more than running it.

    The query is built for a probe user whose id, role and estate are sentinels; each
    request puts the real user's values where the sentinels were.
    """
    key = (id(db.obj), bool(user.supervises), limit)
    cached = _SQL.get(key)
    if cached is None:
        probe = SimpleNamespace(supervises=user.supervises, **_PROBE)
        sql, params = Duty.open_for(probe, limit=limit).select(*COLUMNS).limit(limit).sql()
        slots = {value: name for name, value in _PROBE.items()}
        cached = _SQL[key] = (sql, [(slots.get(p), p) for p in params])
    sql, plan = cached
    return sql, [getattr(user, name) if name else value for name, value in plan]


def _when(value):
    """SQLite hands back text, PostgreSQL a datetime (peewee's strptime loop is slow)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def rows_for(user, now, limit: int):
    """My open duties as rows, soonest first: (rows, more) where more says the list was cut."""
    labels, link, rows = {}, _links(), []
    me = user.id  # once: `user` is usually flask-login's proxy, a lookup per access
    for _id, kind, subject, title, assignee_id, due_at, missed_at, escalated_at in db.execute_sql(
            *_agenda_sql(user, limit + 1)).fetchall():
        due_at = _when(due_at)
        label = labels.get(kind)
        if label is None:
            label = labels[kind] = escape(str(rules.kind_label(kind)))
        rows.append(Row(kind, label, title, link(subject, kind), due_at, due_at < now, missed_at is not None,
                        escalated_at is not None and assignee_id != me, *when_parts(due_at)))
    return rows[:limit], len(rows) > limit


def grouped(rows, threshold=3):
    """Fold runs of the same kind due at the same time (a week of vacant-unit patrols) into
    one ("group", rows) entry, the others stay ("one", row): a list a butler reads at a glance."""
    out = []
    for _key, run in groupby(rows, key=lambda r: (r.kind, r.due_at)):
        run = list(run)
        if len(run) > threshold:
            out.append(("group", run))
        else:
            out.extend(("one", r) for r in run)
    return out
