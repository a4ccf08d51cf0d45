"""The case list's rows (工单), each rendered once per process for what it shows.

A page of fifty rows was fifty macro calls, each escaping a dozen values and formatting
a time: most of the list's CPU. A row's markup depends only on the case's fields it shows,
the language, the request's day and zone (its time reads 今天 14:30) and the script root
(its link), so it is kept in an LRU keyed by exactly those: a change to any of them makes
a different row. The macro in templates/cases/_row.html stays the one place a row is laid out.
"""
from typing import NamedTuple

from flask import request
from flask_babel import get_locale
from markupsafe import Markup

from bluebird.cases.models import CaseKind, CaseStatus
from bluebird.web import When, kept_row, translated, when_context


class Row(NamedTuple):
    id: int
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    where: str
    emergency: bool
    description: str
    created_at: object
    assignee: str
    locale: str
    when: When
    root: str


def markup(cases) -> list[Markup]:
    """The rows of a page of cases (listing.page's ListRows), in order."""
    kinds, statuses = translated(CaseKind.LABELS), translated(CaseStatus.LABELS)
    locale, when, root = str(get_locale()), when_context(), request.script_root
    return [kept_row("cases/_row.html", "case_row", Row(c.id, c.number, c.kind, kinds.get(c.kind, c.kind), c.status, statuses.get(c.status, c.status),
                      c.where or "", c.emergency, c.description or "", c.created_at, c.assignee or "",
                      locale, when, root))
            for c in cases]
