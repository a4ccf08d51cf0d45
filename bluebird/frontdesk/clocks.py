"""The desk's clocks (rows of the one clock table), its settings and its local time.

A message is answered the same working day; the patch butler tells the resident about a
parcel within two hours; a borrowed key comes back when promised, else the supervisor
hears of it after the grace; the next shift accepts a hand-over within half an hour.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from bluebird.duties.rules import register_kind, rule
from bluebird.estate import coverage

MESSAGE_LEFT = "desk.message"
PARCEL_ARRIVED = "desk.parcel"
KEY_LENT = "desk.key_lent"
HANDOVER_OPENED = "desk.handover"

ANSWER_MESSAGE = "desk_message_answer"
TELL_PARCEL = "parcel_tell_resident"
RETURN_KEY = "key_return"
ACCEPT_HANDOVER = "handover_accept"
SORT = "desk_sort"
POST = "desk_post"

# The desk's day (DOMAIN.md "Front desk", 002 篇5 §02): sort the open items at 11:00 and
# 14:30, post the day's hand-overs and renovation paperwork at 17:00; messages are
# answered by the end of the working day. An estate changes them on the desk settings.
ROUTINE = {"sort_am": "11:00", "sort_pm": "14:30", "post": "17:00", "day_end": "18:00"}
SLOTS = (("sort_am", SORT), ("sort_pm", SORT), ("post", POST))
PARCEL_DAYS = 3  # uncollected after this many days: listed in red

register_kind(SORT, _l("Sort and pass on the desk's open items"))
register_kind(POST, _l("Post the day's hand-overs and renovation paperwork"))


def routine(estate) -> dict:
    """The estate's desk times, with the defaults filled in."""
    saved = estate.setting("desk_routine") or {}
    return {key: saved.get(key) or default for key, default in ROUTINE.items()}


def parcel_days(estate) -> int:
    return int(estate.setting("desk_parcel_days") or PARCEL_DAYS)


def greeting(estate) -> str:
    """The standard greeting the phone is answered with (004 §2.2)."""
    return estate.setting("desk_greeting") or str(
        _l("Hello, %(estate)s property service centre. How may I help you?", estate=estate.name))


def hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def local_day(at: datetime, tz: str) -> date:
    """The estate's calendar day of a naive UTC time."""
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).date()


def utc_at(day: date, wall: time, tz: str) -> datetime:
    """A wall-clock time of a local day, as naive UTC."""
    return datetime.combine(day, wall, tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """A local day as a half-open UTC range [start, end)."""
    return utc_at(day, time(0, 0), tz), utc_at(day + timedelta(days=1), time(0, 0), tz)


def to_local_input(at: datetime, tz: str) -> str:
    """A UTC time as a datetime-local input value in the estate's zone."""
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def from_local(value: datetime, tz: str) -> datetime:
    """A naive local time (from a datetime-local input) as naive UTC."""
    return value.replace(tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _recipient(ctx):
    return ctx["recipient"], None


def _patch_butler(ctx):
    return coverage.covering(ctx.get("patch_butler"))  # not every butler: the supervisor


def _borrower(ctx):
    # A colleague who borrowed it is reminded himself; an outsider's loan is the desk's to chase.
    return (ctx["borrower"], None) if ctx.get("borrower") else (None, "reception")


def _next_shift(ctx):
    return None, "reception"


def _end_of_working_day(at, ctx, offset):
    """The end of the estate's working day; a message after it is due the next day's end."""
    tz = ctx.get("tz") or "Asia/Shanghai"
    end = hhmm(ctx.get("day_end") or ROUTINE["day_end"])
    day = local_day(at, tz)
    due = utc_at(day, end, tz)
    return due if at < due else utc_at(day + timedelta(days=1), end, tz)


def _due_back(at, ctx, offset):
    return ctx["due_back"]


rule(MESSAGE_LEFT, ANSWER_MESSAGE, _l("Answer the desk message"), _recipient, timedelta(0),
     anchor=_end_of_working_day)
rule(PARCEL_ARRIVED, TELL_PARCEL, _l("Tell the resident about the parcel"), _patch_butler, timedelta(hours=2))
rule(KEY_LENT, RETURN_KEY, _l("Return the borrowed key"), _borrower, timedelta(0), anchor=_due_back,
     grace=timedelta(hours=1))
rule(HANDOVER_OPENED, ACCEPT_HANDOVER, _l("Accept the shift hand-over"), _next_shift, timedelta(minutes=30),
     grace=timedelta(minutes=30))
