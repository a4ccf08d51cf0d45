"""The agenda's rows (我的待办), built as plain tuples in one pass.

A hundred duty rows were a hundred model objects, a translated label escaped a hundred
times, a `url_for` each and a nested time macro each: most of the page's CPU. Here the
rows are named tuples of ready strings: each kind's label is made once per request, each
duty link comes from its subject's cached URL pattern, and the three forms of the due
time (ISO, full, short) are computed in the same loop. The template only lays them out.
"""
from itertools import groupby
from typing import NamedTuple

from flask import g
from markupsafe import Markup, escape

from bluebird.duties import rules
from bluebird.duties.models import Duty
from bluebird.web import full_when, short_when


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


def rows_for(user, now, limit: int):
    """My open duties as rows, soonest first: (rows, more) where more says the list was cut."""
    query = Duty.open_for(user, limit=limit + 1).select(*COLUMNS).limit(limit + 1).tuples()
    labels, link, rows = {}, _links(), []
    for _id, kind, subject, title, assignee_id, due_at, missed_at, escalated_at in query:
        label = labels.get(kind)
        if label is None:
            label = labels[kind] = escape(str(rules.kind_label(kind)))
        rows.append(Row(kind, label, title, link(subject, kind), due_at, due_at < now, missed_at is not None,
                        escalated_at is not None and assignee_id != user.id,
                        due_at.isoformat() + "Z", full_when(due_at), short_when(due_at)))
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
