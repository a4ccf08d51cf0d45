"""Visitors (来访登记) and parcels (邮件包裹收发)."""
from datetime import timedelta

from flask import abort, request
from flask_login import current_user

from bluebird import clock
from bluebird.auth import roles
from bluebird.frontdesk import clocks, daylog, service
from bluebird.frontdesk.forms import CARRIERS, OutForm, ParcelForm, PickupForm, VisitorForm
from bluebird.frontdesk.models import Parcel, Visitor
from bluebird.frontdesk.service import DESK, DeskError
from bluebird.frontdesk.views import bp, desk_only, fail, now_input, once, see_other, today, tz
from bluebird.frontdesk.views_calls import validate_with_unit
from bluebird.timeline.models import Event
from bluebird.web import estate_id, get_scoped_or_404, render


@bp.route("/desk/visitors")
def visitors():
    """Who is still inside (one tap from the desk), and today's visitors."""
    desk_only()
    logged = daylog.day(estate_id(), today(), tz())["visitors"]
    return render("frontdesk/visitors.html", inside=list(Visitor.still_inside(estate_id())),
                  gone=[v for v in logged if v.out_at], since=clocks.day_bounds(today(), tz())[0])


@bp.route("/desk/visitors/new", methods=["GET", "POST"])
def visitor_new():
    """Log a visitor in; a returning visitor is recognised by phone and pre-filled."""
    desk_only()
    form = VisitorForm()
    error, status = None, 200
    if request.method == "POST":
        status = 422
        ok, unit = validate_with_unit(form)
        if ok:
            fields = {"name": form.name.data.strip(), "phone": (form.phone.data or "").strip(),
                      "purpose": form.purpose.data.strip(), "unit": unit, "whom": (form.whom.data or "").strip(),
                      "in_at": clocks.from_local(form.in_at.data, tz())}
            try:
                service.visitor_in(form.client_uuid.data, estate=current_user.estate, actor=current_user,
                                   fields=fields)
                return see_other("frontdesk.visitors")
            except DeskError as exc:
                error, status = fail(form, exc), exc.status
    return render("frontdesk/visitor_new.html", status=status, form=form,
                  error=error, now_value=now_input(), known=None)


@bp.route("/desk/visitors/recognise")
def visitor_recognise():
    """As the phone is typed, say whether he came before; on a tap (apply=1), fill the
    empty fields from his last visit (htmx). Nothing is swapped under the typist's fingers."""
    desk_only()
    form = VisitorForm(formdata=request.args, meta={"csrf": False})
    known = Visitor.last_by_phone(estate_id(), form.phone.data or "")
    if request.args.get("apply") != "1":
        return render("frontdesk/_visitor_known.html", known=known)
    if known is not None:
        form.name.data = form.name.data or known.name
        form.purpose.data = form.purpose.data or known.purpose
        form.unit_code.data = form.unit_code.data or (known.unit.code if known.unit_id else "")
        form.whom.data = form.whom.data or known.whom
    return render("frontdesk/_visitor_fields.html", form=form)


@bp.route("/desk/visitors/<int:visitor_id>")
def visitor(visitor_id, status=200, error=None, form=None):
    """A visit: who, why, to whom, in and out; the time out can be set here."""
    desk_only()
    entry = get_scoped_or_404(Visitor, visitor_id)
    return render("frontdesk/visitor.html", status=status, visitor=entry, error=error, form=form or OutForm(),
                  now_value=now_input(), events=list(Event.timeline(subject=entry.subject)))


@bp.route("/desk/visitors/<int:visitor_id>/out", methods=["POST"])
def visitor_out(visitor_id):
    """Log a visitor out: now (one tap from the list) or at the time given."""
    desk_only()
    entry = get_scoped_or_404(Visitor, visitor_id)
    form = OutForm()
    if not form.validate():
        return visitor(visitor_id, status=422, form=form)
    out_at = clocks.from_local(form.out_at.data, tz()) if form.out_at.data else None
    try:
        once(entry, lambda: service.visitor_out(entry, current_user, out_at))
    except DeskError as exc:
        return visitor(visitor_id, status=exc.status, error=fail(form, exc), form=form)
    if request.form.get("back") == "visitor":
        return see_other("frontdesk.visitor", visitor_id=entry.id)
    return see_other("frontdesk.visitors")


# Parcels --------------------------------------------------------------------------------------

PARCEL_ROLES = DESK + (roles.BUTLER,)


def _parcel_list(form=None, error=None, status=200):
    estate = current_user.estate
    days = clocks.parcel_days(estate)
    waiting = list(Parcel.waiting_in(estate.id))
    late_before = clock.now() - timedelta(days=days)
    collected = [p for p in daylog.day(estate.id, today(), tz())["parcels"] if p.picked_up_at]
    return render("frontdesk/parcels.html", status=status, form=form or ParcelForm(), error=error,
                  waiting=waiting, late_before=late_before, days=days, collected=collected, carriers=CARRIERS,
                  now=clock.now())


@bp.route("/desk/parcels", methods=["GET", "POST"])
def parcels():
    """Parcels waiting (the ones uncollected after N days in red), and log an arrival."""
    desk_only()
    if request.method == "GET":
        return _parcel_list()
    form = ParcelForm()
    ok, unit = validate_with_unit(form)
    if not (ok and unit is not None):
        return _parcel_list(form=form, status=422)
    fields = {"carrier": form.carrier.data.strip(), "tracking_tail": (form.tracking_tail.data or "").strip(),
              "addressee": (form.addressee.data or "").strip(), "note": (form.note.data or "").strip()}
    try:
        service.parcel_in(form.client_uuid.data, estate=current_user.estate, actor=current_user, unit=unit,
                          fields=fields)
    except DeskError as exc:
        return _parcel_list(form=form, error=fail(form, exc), status=exc.status)
    return see_other("frontdesk.parcels")


@bp.route("/desk/parcels/<int:parcel_id>")
def parcel(parcel_id, status=200, error=None, form=None):
    """A parcel: arrival, the butler's word to the resident, pickup; the butler opens it from his agenda."""
    entry = get_scoped_or_404(Parcel, parcel_id)
    if current_user.role not in PARCEL_ROLES:
        abort(403)
    return render("frontdesk/parcel.html", status=status, parcel=entry, error=error, form=form or PickupForm(),
                  events=list(Event.timeline(subject=entry.subject)), is_desk=current_user.role in DESK)


@bp.route("/desk/parcels/<int:parcel_id>/pickup", methods=["POST"])
def parcel_pickup(parcel_id):
    """Record who collected a parcel."""
    desk_only()
    entry = get_scoped_or_404(Parcel, parcel_id)
    form = PickupForm()
    if not form.validate():
        return parcel(parcel_id, status=422, form=form)
    try:
        once(entry, lambda: service.parcel_pickup(entry, current_user, form.picked_up_by.data))
    except DeskError as exc:
        return parcel(parcel_id, status=exc.status, error=fail(form, exc), form=form)
    return see_other("frontdesk.parcels")


@bp.route("/desk/parcels/<int:parcel_id>/told", methods=["POST"])
def parcel_told(parcel_id):
    """The butler told the resident: his duty closes."""
    entry = get_scoped_or_404(Parcel, parcel_id)
    if current_user.role not in PARCEL_ROLES:
        abort(403)
    try:
        once(entry, lambda: service.parcel_told(entry, current_user))
    except DeskError as exc:
        return parcel(parcel_id, status=exc.status, error=exc.message)
    return see_other("frontdesk.parcel", parcel_id=entry.id)
