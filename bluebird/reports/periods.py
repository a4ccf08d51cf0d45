"""Report periods on the estate's calendar: a week, a month, a half-year, a year.

A period has a key ("2026-W48", "2026-11", "2026-H2", "2026"), its first and last local
day, and a half-open UTC range for queries.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from bluebird.cases.listing import local_bounds

SPANS = ("week", "month", "half", "year")


@dataclass(frozen=True)
class Period:
    span: str
    first: date
    last: date  # inclusive

    @property
    def key(self) -> str:
        if self.span == "week":
            year, week, _day = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.span == "month":
            return f"{self.first.year}-{self.first.month:02d}"
        if self.span == "half":
            return f"{self.first.year}-H{1 if self.first.month == 1 else 2}"
        return str(self.first.year)

    @property
    def label(self) -> str:
        if self.span == "week":
            return _("Week of %(first)s to %(last)s", first=self.first.strftime("%m-%d"), last=self.last.strftime("%m-%d"))
        if self.span == "month":
            return _("%(year)d-%(month)02d", year=self.first.year, month=self.first.month)
        if self.span == "half":
            return (_("First half of %(year)d", year=self.first.year) if self.first.month == 1
                    else _("Second half of %(year)d", year=self.first.year))
        return _("Year %(year)d", year=self.first.year)

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        return local_bounds(self.first, self.last, tz)

    def previous(self) -> "Period":
        return containing(self.span, self.first - timedelta(days=1))

    def next(self) -> "Period":
        return containing(self.span, self.last + timedelta(days=1))

    def list_args(self, date_field="registered") -> dict:
        """The case list's date-range arguments for this period."""
        return {"date_field": date_field, "date_from": self.first.isoformat(), "date_to": self.last.isoformat(),
                "status": "valid"}


def containing(span: str, day: date) -> Period:
    """The period of a span that holds a local day."""
    if span == "week":
        first = day - timedelta(days=day.weekday())
        return Period(span, first, first + timedelta(days=6))
    if span == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return Period(span, first, nxt - timedelta(days=1))
    if span == "half":
        if day.month <= 6:
            return Period(span, date(day.year, 1, 1), date(day.year, 6, 30))
        return Period(span, date(day.year, 7, 1), date(day.year, 12, 31))
    return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))


_KEYS = {
    "week": re.compile(r"^(\d{4})-W(\d{2})$"),
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "half": re.compile(r"^(\d{4})-H([12])$"),
    "year": re.compile(r"^(\d{4})$"),
}


def parse(span: str, key: str | None) -> Period | None:
    """The period a key names, or None when it cannot be read."""
    match = _KEYS[span].match(key or "")
    if not match:
        return None
    try:
        year = int(match.group(1))
        if span == "week":
            return containing(span, date.fromisocalendar(year, int(match.group(2)), 1))
        if span == "month":
            return containing(span, date(year, int(match.group(2)), 1))
        if span == "half":
            return containing(span, date(year, 1 if match.group(2) == "1" else 7, 1))
        return containing(span, date(year, 1, 1))
    except ValueError:
        return None


def local_today(now: datetime, tz: str) -> date:
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).date()


def default(span: str, now: datetime, tz: str, current=False) -> Period:
    """The period a page opens on: this week (filed on Friday), this month (current=True), else the last one."""
    period = containing(span, local_today(now, tz))
    return period if current or span == "week" else period.previous()
