"""htmx-aware rendering and the small helpers every view uses."""
from urllib.parse import urlsplit

from flask import abort, render_template, request
from flask_login import current_user

HTMX_FILE = "vendor/htmx-2.0.11.min.js"


def is_htmx() -> bool:
    """Tell whether htmx asked for a fragment (not a boosted page or a history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
    )


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    """Render the whole page, or just its fragment for an htmx request."""
    template = fragment if (fragment and is_htmx()) else page
    return render_template(template, **context), status


def safe_next(target: str | None) -> str | None:
    """Return `target` only if it is a path on this site (no open redirect)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def estate_id() -> int:
    """The current user's estate: every query is scoped by it."""
    return current_user.estate_id


def get_scoped_or_404(model, object_id):
    """Fetch a row of the current user's estate, or answer 404 (never 403: no leaks)."""
    row = model.get_or_none((model.id == object_id) & (model.estate == current_user.estate_id))
    if row is None:
        abort(404)
    return row


def require_role(*roles):
    """Answer 403 unless the current user holds one of `roles`."""
    if current_user.role not in roles:
        abort(403)


def short_when(moment) -> str:
    """A time as staff say it: 今天 14:30, 明天 09:00, 昨天 18:00, else 11/27 周五 18:00."""
    from datetime import timedelta

    from flask_babel import format_datetime, format_time, gettext, to_user_timezone

    from bluebird import clock

    day = to_user_timezone(moment).date()
    today = to_user_timezone(clock.now()).date()
    hm = format_time(moment, "HH:mm")
    if day == today:
        return gettext("Today %(time)s", time=hm)
    if day == today + timedelta(days=1):
        return gettext("Tomorrow %(time)s", time=hm)
    if day == today - timedelta(days=1):
        return gettext("Yesterday %(time)s", time=hm)
    if day.year == today.year:
        return format_datetime(moment, "M/d EEE HH:mm")
    return format_datetime(moment, "yyyy/M/d HH:mm")
