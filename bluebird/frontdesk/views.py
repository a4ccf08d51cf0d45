"""The desk on a tablet: the seven everyday actions, a live feed of today, what is open.

Views parse, call a domain function, then redirect (303) or render; the other pages of
the blueprint live in views_*.py, imported at the end.
"""
from datetime import timedelta

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from bluebird import clock
from bluebird.auth.models import User
from bluebird.duties.rules import register_anchor, register_link
from bluebird.extensions import login_manager
from bluebird.forms import choices
from bluebird.frontdesk import clocks, daylog, handover, routine
from bluebird.frontdesk.models import CallKind, Handover, KeyKind, Parcel
from bluebird.frontdesk.service import DESK, DeskError
from bluebird.frontdesk.timeline_text import describe
from bluebird.timeline import models as timeline
from bluebird.web import estate_id, is_htmx, render

bp = Blueprint("frontdesk", __name__)

register_link("deskcall", lambda rest: url_for("frontdesk.call", call_id=int(rest)))
register_link("deskmsg", lambda rest: url_for("frontdesk.message", message_id=int(rest)))
register_link("parcel", lambda rest: url_for("frontdesk.parcel", parcel_id=int(rest)))
register_link("key", lambda rest: url_for("frontdesk.key", key_id=int(rest)))
register_link("handover", lambda rest: url_for("frontdesk.handover_show", handover_id=int(rest)))
register_link("desk", lambda rest: url_for("frontdesk.log_day" if rest.endswith(":post") else "frontdesk.open_items"))
# A duty's link lands on the form that does it (the ids are in templates/frontdesk).
for _kind, _element in ((clocks.ANSWER_MESSAGE, "answer-form"), (clocks.TELL_PARCEL, "told-form"),
                        (clocks.RETURN_KEY, "return-form"), (clocks.ACCEPT_HANDOVER, "accept-form"),
                        (clocks.SORT, "sort-form"), (clocks.POST, "post-form")):
    register_anchor(_kind, _element)

# Feed entry kind → the colour family it is shown in.
FEED_KINDS = {"call": "call", "visitor_in": "visit", "visitor_out": "visit", "message": "message",
              "parcel_in": "parcel", "parcel_out": "parcel", "key_out": "key", "key_back": "key",
              "handover": "handover", "accepted": "handover"}


@bp.before_request
def _login():
    if not current_user.is_authenticated:
        if is_htmx():  # the desk's poll after the session ended: go to the login page, not into the feed
            return "", 204, {"HX-Redirect": url_for("auth.login")}
        return login_manager.unauthorized()
    return None


@bp.context_processor
def _words():
    return {"call_kinds": CallKind.LABELS, "key_kinds": KeyKind.LABELS, "sections": handover.SECTIONS,
            "log_titles": daylog.TITLES, "feed_labels": _feed_labels(), "desk_event_text": describe}


def _feed_labels():
    return {"call": _("Call"), "visitor_in": _("Visitor in"), "visitor_out": _("Visitor out"),
            "message": _("Message"), "parcel_in": _("Parcel in"), "parcel_out": _("Parcel collected"),
            "key_out": _("Key out"), "key_back": _("Key back"), "handover": _("Shift handed over"),
            "accepted": _("Shift accepted")}


def desk_only():
    """The desk's pages are for the desk and its supervisors."""
    if current_user.role not in DESK:
        abort(403)


def tz() -> str:
    return current_user.estate.timezone


def today():
    return clocks.local_day(clock.now(), tz())


def now_input() -> str:
    """Now, as a datetime-local input shows it in the estate's zone."""
    return clocks.to_local_input(clock.now(), tz())


def staff_choices(blank=True):
    """Colleagues of the estate, for "message for" and "lent to"."""
    people = User.select().where((User.estate == estate_id()) & User.active).order_by(User.role, User.name)
    rows = [(u.id, f"{u.name} · {u.role_label}") for u in people]
    return choices(([(0, "—")] if blank else []) + rows)


def fail(form, exc: DeskError):
    """Put a refused step's message next to its field, or return it for the top of the page."""
    field = getattr(form, exc.field, None) if (form is not None and exc.field) else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
        return None
    return exc.message


def once(entry, do):
    """Do a desk step on `entry` once per submission (the form's client_uuid): a replay of a
    step already done does nothing and is answered as done (see timeline.once)."""
    return timeline.once(request.form.get("client_uuid"), estate_id=entry.estate_id, actor_id=current_user.id,
                         subject=entry.subject, conflict=DeskError, action=do)


def see_other(endpoint, **values):
    return redirect(url_for(endpoint, **values), code=303)


def _desk_context():
    estate = current_user.estate
    counts = handover.open_counts(estate.id)
    late_parcels = Parcel.waiting_in(estate.id).where(
        Parcel.arrived_at < clock.now() - timedelta(days=clocks.parcel_days(estate))).count()
    return {
        "greeting": clocks.greeting(estate), "counts": counts, "late_parcels": late_parcels,
        "pending": Handover.pending(estate.id), "routine": routine.today(estate),
        "feed": daylog.feed(estate.id, today(), tz()), "feed_kinds": FEED_KINDS, "now": clock.now(),
    }


@bp.route("/desk")
def desk():
    """The front desk: the big buttons, what is still open, today's feed."""
    desk_only()
    return render("frontdesk/desk.html", **_desk_context())


@bp.route("/desk/feed")
def feed():
    """Today's feed and the open tiles, polled by the desk (htmx)."""
    desk_only()
    return render("frontdesk/desk.html", "frontdesk/_feed.html", **_desk_context())


@bp.route("/desk/open")
def open_items():
    """Everything still open at the desk, to sort and pass on (11:00, 14:30) or hand over."""
    desk_only()
    estate = current_user.estate
    return render("frontdesk/open.html", items=handover.open_items(estate.id),
                  sort_due=routine.due_now(estate, clocks.SORT), routine=routine.today(estate), now=clock.now())


def _settle(kind):
    # A replay of the same tap records the desk's "sorted"/"posted" line once.
    timeline.once(request.form.get("client_uuid"), estate_id=current_user.estate_id, actor_id=current_user.id,
                  subject=f"desk:{current_user.estate_id}", conflict=DeskError,
                  action=lambda: routine.settle(current_user.estate, current_user, kind))


@bp.route("/desk/open/sorted", methods=["POST"])
def sorted_items():
    """The desk sorted the open items and passed them on: the routine duty closes."""
    desk_only()
    _settle(clocks.SORT)
    return see_other("frontdesk.open_items")


@bp.route("/desk/log/posted", methods=["POST"])
def posted():
    """The day's hand-overs and renovation paperwork are posted: the 17:00 duty closes."""
    desk_only()
    _settle(clocks.POST)
    return see_other("frontdesk.log_day")


from bluebird.frontdesk import views_calls, views_keys, views_logs, views_release, views_visits  # noqa: E402,F401
