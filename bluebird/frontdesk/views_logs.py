"""The day's log (printed, exported to Excel), search across the logs, the desk's settings."""
from datetime import date
from urllib.parse import quote

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from bluebird import clock
from bluebird.auth import roles
from bluebird.estate.models import Unit
from bluebird.frontdesk import clocks, daylog, routine
from bluebird.frontdesk.forms import SettingsForm
from bluebird.frontdesk.models import KeyLoan
from bluebird.frontdesk.views import bp, desk_only, see_other, today, tz
from bluebird.renovations.models import Permit
from bluebird.web import estate_id, render, require_role


def _day_arg(name="day"):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _permits_on(day):
    """Renovation applications registered that day: the paperwork posted at 17:00."""
    start, end = clocks.day_bounds(day, tz())
    return list(Permit.select(Permit, Unit).join(Unit)
                .where((Permit.estate == estate_id()) & (Permit.created_at >= start) & (Permit.created_at < end))
                .order_by(Permit.created_at))


@bp.route("/desk/log")
def log_day():
    """The day's log of every desk book, printable (print CSS) and exportable."""
    desk_only()
    day = _day_arg() or today()
    return render("frontdesk/log.html", day=day, logged=daylog.day(estate_id(), day, tz()), permits=_permits_on(day),
                  late_keys=KeyLoan.late_key_ids(estate_id()),
                  post_due=routine.due_now(current_user.estate, clocks.POST) if day == today() else [],
                  is_today=day == today(), now=clock.now())


@bp.route("/desk/log.xlsx")
def log_export():
    """The day's log as an Excel workbook."""
    desk_only()
    day = _day_arg() or today()
    body = daylog.workbook(daylog.day(estate_id(), day, tz()), day, current_user.estate.name)
    name = _("Desk log %(day)s", day=day.isoformat()) + ".xlsx"
    return body, 200, {
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f"attachment; filename=desk-log-{day.isoformat()}.xlsx; filename*=UTF-8''{quote(name)}",
    }


@bp.route("/desk/search")
def search():
    """Search the logs by date, name, unit (3-1502) or the last digits of a phone."""
    desk_only()
    q = request.args.get("q", "").strip()[:40]
    day = _day_arg()
    found = daylog.search(estate_id(), q, day, tz())
    return render("frontdesk/search.html", "frontdesk/_search_results.html", q=q, day=day, found=found,
                  searched=bool(q or day), total=sum(len(v) for v in found.values()),
                  capped=any(len(v) >= daylog.SEARCH_LIMIT for v in found.values()), cap=daylog.SEARCH_LIMIT)


@bp.route("/desk/units")
def units():
    """Units whose code starts with what is typed, to fill a desk form's unit (htmx)."""
    desk_only()
    code = request.args.get("unit_code", "").strip()[:40]
    exact = Unit.get_or_none((Unit.estate == estate_id()) & (Unit.code == code)) if code else None
    suggestions = [] if exact or not code else list(Unit.search(estate_id(), code, limit=8))
    return render("frontdesk/_units.html", code=code, exact=exact, suggestions=suggestions)


@bp.route("/desk/settings", methods=["GET", "POST"])
def settings():
    """The desk's greeting and routine times (administrators and supervisors)."""
    require_role(roles.ADMIN, roles.MANAGER)
    estate = current_user.estate
    times = clocks.routine(estate)
    form = SettingsForm(data={"greeting": clocks.greeting(estate), "parcel_days": clocks.parcel_days(estate),
                              **{k: clocks.hhmm(v) for k, v in times.items()}})
    if request.method == "POST":
        if form.validate():
            estate.set_setting("desk_greeting", form.greeting.data.strip())
            estate.set_setting("desk_routine", {k: getattr(form, k).data.strftime("%H:%M") for k in clocks.ROUTINE})
            estate.set_setting("desk_parcel_days", form.parcel_days.data)
            return see_other("frontdesk.settings")
        return render("frontdesk/settings.html", status=422, form=form)
    return render("frontdesk/settings.html", form=form)
