"""htmx-aware rendering and the small helpers every view uses."""
import json
from datetime import UTC, date
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask import abort, current_app, g, has_request_context, render_template, request, url_for
from flask_babel import get_locale, get_timezone, gettext
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from bluebird import clock
from bluebird.db import prepared

HTMX_FILE = "vendor/htmx-2.0.11.min.js"

# static/photos.js uploads by XMLHttpRequest, which follows a 303 by itself: the GET it
# makes would use up the flash, then the page loads a second time. It says so with this
# header, and a redirect is answered 200 naming its target, for one real navigation.
UPLOAD_HEADER = "X-Bluebird-Upload"
REDIRECT_HEADER = "X-Bluebird-Redirect"


def is_htmx() -> bool:
    """Tell whether htmx asked for a fragment (not a boosted page or a history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and not headers.get("HX-Boosted")
        and not headers.get("HX-History-Restore-Request")
    )


def install_template_speedups(app):
    """Two lookups every template makes dozens of times, made once per process.

    - `url_for` with plain values always makes the same URL in one process (the shell's
      scripts, the tabs, a row's link): templates get it kept per script root, in a
      bounded table. A call with `_external`, `_anchor` and the like goes through unchanged.
    - Template strings (`_()`) read the request's catalog from the default domain
      (bluebird.extensions.RequestDomain) without asking Flask-Babel which domain is on:
      Bluebird has one.
    """
    urls: dict = {}

    def template_url_for(endpoint, **values):
        if not has_request_context() or any(name[0] == "_" for name in values):
            return url_for(endpoint, **values)
        try:
            # A relative endpoint (".show") means the current blueprint's.
            where = request.blueprint if endpoint[0] == "." else None
            key = (endpoint, where, request.script_root, *sorted(values.items()))
            url = urls.get(key)
        except TypeError:  # a list of values (a repeated query argument)
            return url_for(endpoint, **values)
        if url is None:
            if len(urls) > 4096:
                urls.clear()
            url = urls[key] = url_for(endpoint, **values)
        return url

    app.jinja_env.globals["url_for"] = template_url_for
    app.jinja_env.globals["kept"] = kept

    catalog = app.extensions["babel"].instance.domain_instance.get_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
        newstyle=True,
    )


def kept(template: str, macro: str, *args) -> Markup:
    """A macro's markup, rendered once per process for the same arguments, language and
    script root, then kept (an LRU): for what every page repeats (the shell's head, bars
    and outbox settings) and what a list repeats (one row). The arguments are the key, so
    they must be everything the macro shows; lists are taken as tuples."""
    key = tuple(tuple(a) if isinstance(a, list) else a for a in args)
    return _kept(template, macro, str(get_locale()), request.script_root, key)


_KEPT_BY: dict = {}
KEPT_BY_MAX = 256  # a filtered list head is ~10 KB: at most a few MB a worker


def kept_by(key, template: str, macro: str, *args) -> Markup:
    """`kept` where the macro's arguments are not hashable (a form's filters): `key` stands
    for them and must hold everything the macro shows from them."""
    return _kept_made(key, template, macro, lambda: args)


def form_fields(template: str, macro: str, bound, make, key, *args) -> Markup:
    """A form's fields as `macro(form, *args)` renders them (the CSRF token goes beside them, in
    the page). The form the request bound shows itself: what was typed, why it was refused.
    A fresh one looks the same for the same `key` (its defaults and choices) and language,
    so `make()` builds it only the first time in a process: a case page offers five forms
    and builds none of them (each cost more to build and render than the rest of the page)."""
    if bound is not None:
        return getattr(current_app.jinja_env.get_template(template).module, macro)(bound, *args)
    return _kept_made((key, args), template, macro, lambda: (make(), *args))


def _kept_made(key, template, macro, arguments):
    full = (template, macro, str(get_locale()), request.script_root, key)
    html = _KEPT_BY.get(full)
    if html is None:
        if len(_KEPT_BY) >= KEPT_BY_MAX:
            _KEPT_BY.clear()
        html = _KEPT_BY[full] = getattr(current_app.jinja_env.get_template(template).module, macro)(*arguments())
    return html


def kept_row(template: str, macro: str, row) -> Markup:
    """`kept` for a list row that carries its language, day and links in its own fields
    (bluebird/duties/agenda.py, bluebird/cases/rows.py): the row alone is the key."""
    return _kept(template, macro, None, None, (row,))


@lru_cache(maxsize=8192)
def _kept(template, macro, _locale, _root, args):
    return getattr(current_app.jinja_env.get_template(template).module, macro)(*args)


_TRANSLATED: dict = {}


def translated(labels: dict) -> dict:
    """A dict of lazily translated labels (CaseKind.LABELS, …) as plain text in the request's
    language, made once per process and language: a list page shows them on every row and
    option, and each lazy label translates itself anew whenever it is shown."""
    key = (id(labels), str(get_locale()))
    kept = _TRANSLATED.get(key)
    if kept is None or kept[0] is not labels:  # the dict itself is kept too, so its id stays its own
        if len(_TRANSLATED) > 256:
            _TRANSLATED.clear()
        kept = _TRANSLATED[key] = (labels, {k: str(v) for k, v in labels.items()})
    return kept[1]


def render(page: str, fragment: str | None = None, status: int = 200, **context):
    """Render the whole page, or just its fragment for an htmx request."""
    template = fragment if (fragment and is_htmx()) else page
    return render_template(template, **context), status


def answer_upload_redirect(response):
    """Turn a redirect answering the photo uploader's XHR into a 200 that names its target."""
    if request.headers.get(UPLOAD_HEADER) != "1" or not (300 <= response.status_code < 400):
        return response
    location = response.headers.get("Location")
    if not location:
        return response
    del response.headers["Location"]
    response.status_code = 200
    response.set_data(json.dumps({"redirect": location}))
    response.mimetype = "application/json"
    response.headers[REDIRECT_HEADER] = location
    return response


def keep_url_after_refusal(response):
    """A boosted form the server refused stays at the page's address in history.

    htmx would push the form's action (a POST-only URL): a reload or a back there then
    met a bare 405. The page shown is the one the form is on, so its URL stays.
    """
    if request.method == "POST" and request.headers.get("HX-Boosted") and response.status_code >= 400:
        response.headers.setdefault("HX-Push-Url", "false")
    return response


def owning_page(path: str) -> str | None:
    """The nearest page above a POST-only path that answers GET (/cases/7/calls → /cases/7)."""
    adapter = current_app.url_map.bind("localhost")
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        for candidate in ("/".join(parts) or "/", "/".join(parts) + "/"):
            try:
                adapter.match(candidate, method="GET")
            except HTTPException:
                continue
            return candidate
    return None


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
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        abort(404)
    row = _scoped.first(model, object_id=object_id, estate_id=current_user.estate_id)
    if row is None:
        abort(404)
    return row


@prepared
def _scoped(model, *, object_id=0, estate_id=0):
    """One row of an estate by id, compiled once per model: every detail page asks it."""
    return model.select().where((model.id == object_id) & (model.estate == estate_id)).limit(1)


def require_role(*roles):
    """Answer 403 unless the current user holds one of `roles`."""
    if current_user.role not in roles:
        abort(403)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=8)
def _weekdays(locale: str) -> tuple:
    names = get_day_names("abbreviated", locale=locale)
    return tuple(names[day] for day in range(7))


class When(NamedTuple):
    """What a request's times are told against: hashable, so a formatted time can be kept."""
    zone: ZoneInfo
    today: int  # the local date's ordinal
    near: tuple  # the words for yesterday, today and tomorrow, each with %(time)s
    weekdays: tuple  # Monday first


def when_context() -> When:
    """Per request, once: the zone, today's date there, and the words for near days."""
    ctx = g.get("_when_ctx")
    if ctx is None:
        zone = _zone(str(get_timezone()))
        today = clock.now().replace(tzinfo=UTC).astimezone(zone).toordinal()
        # gettext without arguments leaves %(time)s in place; it is filled per call.
        near = (gettext("Yesterday %(time)s"), gettext("Today %(time)s"), gettext("Tomorrow %(time)s"))
        ctx = g._when_ctx = When(zone, today, near, _weekdays(str(get_locale())))
    return ctx


def short_when(moment) -> str:
    """A time as staff say it: 今天 14:30, 明天 09:00, 昨天 18:00, else 11/27 周五 18:00."""
    return when_parts(moment)[2]


@lru_cache(maxsize=8)
def this_year(today_ordinal: int) -> int:
    return date.fromordinal(today_ordinal).year


def full_when(moment) -> str:
    """The full local date and time, for a tooltip."""
    return when_parts(moment)[1]


def when_parts(moment, context=None) -> tuple[str, str, str]:
    """(ISO, full, short) forms of one UTC moment from one zone conversion.

    Plain arithmetic on a per-request context rather than a Babel pattern per call (a
    tenth of the cost): agendas show a hundred of these, and the agenda's rows
    (bluebird/duties/agenda.py) hand in `when_context()` once. Kept per moment and
    context (the zone, the day, the words): the same page shows the same times all day."""
    return _when_parts(moment, context or when_context())


@lru_cache(maxsize=16384)
def _when_parts(moment, context: When) -> tuple[str, str, str]:
    zone, today, near, weekdays = context
    local = zone.fromutc(moment.replace(tzinfo=zone)).replace(tzinfo=None)
    full = local.isoformat(" ", "minutes")
    hm = full[11:]
    offset = local.toordinal() - today
    if -1 <= offset <= 1:
        short = near[offset + 1] % {"time": hm}
    elif local.year == this_year(today):
        short = f"{local.month}/{local.day} {weekdays[local.weekday()]} {hm}"
    else:
        short = f"{local.year}/{local.month}/{local.day} {hm}"
    return moment.isoformat() + "Z", full, short
