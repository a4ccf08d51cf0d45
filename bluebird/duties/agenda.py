"""The agenda's rows (我的待办), built as plain tuples in one pass.

A hundred duty rows were a hundred model objects, a translated label escaped a hundred
times, a `url_for` each and a nested time macro each: most of the page's CPU. Here the
rows are named tuples of ready strings, and what a row shows is worked out once per
process, not once per request: each kind's label per language, each duty's link, each
due time's three forms (ISO, full, short) against the request's zone and day, and the
row's markup itself (its macro in templates/duties/_row.html). A butler opens the same
agenda all day, so these are kept in small LRUs keyed by everything they depend on: a
change to any field a row shows, the clock's "today" included, makes a different row.
The template only lays them out.
"""
from datetime import datetime
from functools import lru_cache
from itertools import groupby
from types import SimpleNamespace
from typing import NamedTuple

from flask import request
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from bluebird.db import prepared
from bluebird.duties import rules
from bluebird.duties.models import Duty
from bluebird.web import kept_row, when_context, when_parts


class Words(NamedTuple):
    """The row's fixed words in the request's language (part of every row, so of its cache key)."""
    locale: str
    overdue: str
    escalated: str
    missed: str


class Row(NamedTuple):
    words: Words
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


@lru_cache(maxsize=8192)
def _link(subject: str, kind: str, script_root: str) -> str | None:
    """A duty's link, kept per process: it depends on nothing else."""
    return rules.link_for(subject, kind)


@prepared
def _open_rows(supervises, *, user_id=0, role="", estate_id=0, limit=0):
    """Duty.open_for as plain tuples of COLUMNS, compiled once per shape (bluebird/db.py)."""
    user = SimpleNamespace(id=user_id, role=role, estate_id=estate_id, supervises=supervises)
    return Duty.open_for(user, limit=limit).select(*COLUMNS).limit(limit).tuples()


def _when(value):
    """SQLite hands back text, PostgreSQL a datetime (peewee's strptime loop is slow)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def rows_for(user, now, limit: int):
    """My open duties as rows, soonest first: (rows, more) where more says the list was cut."""
    rows, when, root = [], when_context(), request.script_root
    locale = str(get_locale())
    words = Words(locale, gettext("Overdue"), gettext("escalated"), gettext("Missed"))
    me = user.id  # once: `user` is usually flask-login's proxy, a lookup per access
    for _id, kind, subject, title, assignee_id, due_at, missed_at, escalated_at in _open_rows.cursor(
            bool(user.supervises), user_id=me, role=user.role, estate_id=user.estate_id, limit=limit + 1).fetchall():
        due_at = _when(due_at)
        rows.append(Row(words, kind, _label(locale, kind), title, _link(subject, kind, root), due_at, due_at < now, missed_at is not None,
                        escalated_at is not None and assignee_id != me, *when_parts(due_at, when)))
    return rows[:limit], len(rows) > limit


@lru_cache(maxsize=512)
def _label(locale: str, kind: str) -> Markup:
    """A kind's label in a language, escaped once per process (made while that language is on)."""
    return escape(str(rules.kind_label(kind)))


def row_html(row: Row) -> Markup:
    """One agenda row's markup, rendered once per process for the same fields and language."""
    return kept_row("duties/_row.html", "agenda_row", row)


def grouped(rows, threshold=3):
    """Fold runs of the same kind due at the same time (a week of vacant-unit patrols) into
    one ("group", rows, markup) entry; the rows between stay single, handed over as
    ("one", rows, markup) with their markup joined once: a list a butler reads at a glance.
    The markup is the rows' own (`row_html`); it is safe, so it is joined as text."""
    out, singles = [], []

    def flush():
        if singles:
            out.append(("one", list(singles), Markup("".join(row_html(r) for r in singles))))
            singles.clear()

    for _key, run in groupby(rows, key=lambda r: (r.kind, r.due_at)):
        run = list(run)
        if len(run) > threshold:
            flush()
            out.append(("group", run, Markup("".join(row_html(r) for r in run))))
        else:
            singles.extend(run)
    flush()
    return out
