"""Renovation permits: apply, approve, passes, checks (rounds), notices, acceptance."""
from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird.auth import roles
from bluebird.cases.service import find_unit
from bluebird.duties.rules import register_link
from bluebird.renovations import service
from bluebird.renovations.forms import NoticeForm, PassForm, PermitForm
from bluebird.renovations.models import Permit, PermitStatus
from bluebird.rounds.models import Round
from bluebird.timeline.models import Event, once
from bluebird.web import estate_id, get_scoped_or_404, render

bp = Blueprint("renovations", __name__, url_prefix="/renovations")
register_link("permit", lambda rest: url_for("renovations.show", permit_id=int(rest)))
MANAGES = (roles.BUTLER, roles.RECEPTION, roles.MANAGER, roles.ADMIN)


@bp.before_request
@login_required
def _login():
    if current_user.role not in MANAGES + (roles.INSPECTOR,):
        abort(403)


@bp.route("/")
def index():
    """All permits, works in progress first; overrunning ones flagged."""
    return render("renovations/index.html", permits=list(Permit.in_estate(estate_id())),
                  today=service.today(current_user.estate), can_apply=current_user.role in MANAGES)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Register a renovation application."""
    if current_user.role not in MANAGES:
        abort(403)
    form = PermitForm()
    if form.validate_on_submit():
        unit = find_unit(estate_id(), form.unit_code.data)
        if unit is None:
            form.unit_code.errors.append(_("There is no unit %(code)s in this estate.", code=form.unit_code.data))
        else:
            fields = {k: getattr(form, k).data for k in ("applicant", "applicant_phone", "contractor",
                                                         "contractor_phone", "starts_on", "ends_on", "hours",
                                                         "deposit", "scope")}
            fields["deposit"] = fields["deposit"] or 0
            fields["applicant_phone"] = fields["applicant_phone"] or ""
            fields["contractor_phone"] = fields["contractor_phone"] or ""
            fields["scope"] = fields["scope"] or ""
            try:
                permit = service.apply(form.client_uuid.data, estate_id=estate_id(), unit=unit, actor=current_user,
                                       fields=fields)
                return redirect(url_for("renovations.show", permit_id=permit.id), code=303)
            except service.PermitError as exc:
                form.ends_on.errors.append(exc.message)
    status = 422 if request.method == "POST" else 200
    return render("renovations/new.html", status=status, form=form)


def _page(permit, status=200, pass_form=None, notice_form=None, error=None):
    return render("renovations/show.html", status=status, permit=permit, passes=list(permit.passes),
                  pass_form=pass_form or PassForm(), notice_form=notice_form or NoticeForm(), error=error,
                  rounds=list(Round.select().where((Round.place_kind == "permit") & (Round.place_id == permit.id))
                              .order_by(Round.started_at.desc())),
                  events=list(Event.timeline(subject=permit.subject)), today=service.today(current_user.estate),
                  statuses=PermitStatus.LABELS, next_status=PermitStatus.NEXT.get(permit.status),
                  may={action: service.may(permit, current_user, action)
                       for action in (service.ADVANCE, service.PASS, service.NOTICE)})


@bp.route("/<int:permit_id>")
def show(permit_id):
    """A permit: dates, contractor, passes, daily checks, notices, timeline."""
    return _page(get_scoped_or_404(Permit, permit_id))


def _once(permit, do):
    # A replay of a step already done (the same client_uuid) does nothing: never a second advance.
    return once(request.form.get("client_uuid"), estate_id=permit.estate_id, actor_id=current_user.id,
                subject=permit.subject, conflict=service.PermitError, action=do)


@bp.route("/<int:permit_id>/advance", methods=["POST"])
def advance(permit_id):
    """Approve, start, accept or close a permit."""
    permit = get_scoped_or_404(Permit, permit_id)
    try:
        _once(permit, lambda: service.advance(permit, current_user, request.form.get("from_status") or None))
    except service.PermitError as exc:
        return _page(permit, status=exc.status, error=exc.message)
    return redirect(url_for("renovations.show", permit_id=permit.id), code=303)


@bp.route("/<int:permit_id>/passes", methods=["POST"])
def add_pass(permit_id):
    """Issue an outside worker's pass (出入证)."""
    permit = get_scoped_or_404(Permit, permit_id)
    form = PassForm()
    if not form.validate_on_submit():
        return _page(permit, status=422, pass_form=form)
    try:
        service.add_pass(form.client_uuid.data, permit, name=form.name.data, id_number=form.id_number.data,
                         phone=form.phone.data, valid_until=form.valid_until.data, actor=current_user)
    except service.PermitError as exc:
        form.valid_until.errors.append(exc.message)
        return _page(permit, status=exc.status, pass_form=form)
    return redirect(url_for("renovations.show", permit_id=permit.id), code=303)


@bp.route("/<int:permit_id>/notices", methods=["POST"])
def notice(permit_id):
    """Serve a stop-work or rectification notice after a violation."""
    permit = get_scoped_or_404(Permit, permit_id)
    form = NoticeForm()
    if not form.validate_on_submit():
        return _page(permit, status=422, notice_form=form)
    try:
        _once(permit, lambda: service.notice(permit, current_user, form.kind.data, form.text.data))
    except service.PermitError as exc:
        return _page(permit, status=exc.status, notice_form=form, error=exc.message)
    return redirect(url_for("renovations.show", permit_id=permit.id), code=303)
