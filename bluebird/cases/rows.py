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

from bluebird.cases.listing import ListRow
from bluebird.cases.models import CaseKind, CaseStatus
from bluebird.web import When, kept_row, translated, when_context


class Row(NamedTuple):
    """A list row (listing.ListRow) with what it is shown with: its labels in the request's
    language, the request's day and zone, and the script root of its link."""
    case: ListRow
    kind_label: str
    status_label: str
    locale: str
    when: When
    root: str


def markup(cases) -> list[Markup]:
    """The rows of a page of cases (listing.page's ListRows), in order."""
    kinds, statuses = translated(CaseKind.LABELS), translated(CaseStatus.LABELS)
    locale, when, root = str(get_locale()), when_context(), request.script_root
    return [kept_row("cases/_row.html", "case_row",
                     Row(c, kinds.get(c.kind, c.kind), statuses.get(c.status, c.status), locale, when, root))
            for c in cases]
