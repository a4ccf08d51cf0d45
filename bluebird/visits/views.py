"""Visits: the butler's households and familiarity, recording a visit, the one-tap case,
the week's plan, the renovation after-sales calls and the estate's visit settings."""
from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird import clock
from bluebird.auth import roles
from bluebird.cases import service as cases
from bluebird.cases.models import Case
from bluebird.estate.models import Patch, Resident, Unit
from bluebird.photos import service as photos
from bluebird.photos.models import Attachment
from bluebird.renovations.models import Permit
from bluebird.visits import clocks, service
from bluebird.visits.forms import (
    CaseFromVisitForm,
    FollowUpForm,
    MeetingForm,
    SiteCallForm,
    VisitForm,
    VisitSettingsForm,
)
from bluebird.visits.models import (
    ContactKind,
    Household,
    MeetingAttendee,
    MeetingCase,
    OwnerMeeting,
    SiteCall,
    SiteCallKind,
    Visit,
    VisitPlan,
    VisitPlanItem,
    percent,
)
from bluebird.web import estate_id, get_scoped_or_404, render, require_role

bp = Blueprint("visits", __name__, url_prefix="/visits")

VISITORS = (roles.BUTLER, roles.MANAGER, roles.ADMIN)
LIST_LIMIT = 50  # the households to visit first; the phone shows no more


@bp.before_request
@login_required
def _login():
    pass


@bp.context_processor
def _words():
    return {"contact_kinds": ContactKind.LABELS}


def _patch_for_page():
    """The patch the page is about: the butler's own; a supervisor picks one (?patch=)."""
    if current_user.role == roles.BUTLER:
        return Patch.get_or_none(Patch.id == current_user.patch_id) if current_user.patch_id else None
    wanted = request.args.get("patch", type=int)
    if not wanted:
        return None
    patch = Patch.get_or_none((Patch.id == wanted) & (Patch.estate == estate_id()))
    if patch is None:
        abort(404)
    return patch


@bp.route("/")
def index():
    """熟悉度: a patch's households, not yet contacted first; supervisors see every patch."""
    require_role(*VISITORS)
    estate = current_user.estate
    now = clock.now()
    since = service.window_start(estate, now)
    patch = _patch_for_page()
    context = {"patch": patch, "since": since, "settings": service.settings_of(estate), "now": now}
    if patch is not None:
        done, total = Household.familiarity(estate.id, patch.id, since)
        monday, _start = clocks.week_start(estate, now)
        plan = VisitPlan.current_for(patch.id, monday)
        context.update(done=done, total=total, pct=percent(done, total), plan=plan,
                       plan_items=list(VisitPlanItem.of_plan(plan.id)) if plan else [],
                       households=_first_households(estate.id, patch.id))
    if current_user.role in roles.SUPERVISING:
        counts = Household.familiarity_by_patch(estate.id, since)
        context["patches"] = [(p, *counts.get(p.id, (0, 0)), percent(*counts.get(p.id, (0, 0))))
                              for p in Patch.ordered(estate.id)]
    return render("visits/index.html", **context)


def _first_households(estate_id_, patch_id):
    rows = list(Household.listing(estate_id_, patch_id, with_key=False).limit(LIST_LIMIT).dicts())
    keys = Household.key_accounts([r["id"] for r in rows])
    for row in rows:
        row["key_account"] = row["id"] in keys
    return rows


def _unit_of(code):
    return cases.find_unit(estate_id(), code)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Record a visit (走访): household, how, whom, opinions, a request, a photo."""
    require_role(*VISITORS)
    form = VisitForm()
    if request.method == "GET":
        unit = Unit.get_or_none((Unit.id == request.args.get("unit", type=int)) & (Unit.estate == estate_id()))
        if unit is not None:
            form.unit_code.data = unit.code
        return render("visits/new.html", form=form)
    visit = _record(form)
    if visit is not None:
        return redirect(url_for("visits.show", visit_id=visit.id), code=303)
    return render("visits/new.html", status=422, form=form)


def _record(form):
    """Validate the whole form and the photo, then create; on any error, save nothing."""
    ok = form.validate()
    unit = _unit_of(form.unit_code.data) if form.unit_code.data else None
    if form.unit_code.data and unit is None:
        form.unit_code.errors.append(_("There is no unit %(code)s in this estate.", code=form.unit_code.data))
        ok = False
    try:
        blobs = photos.read_uploads(request.files.getlist(form.photos.name), limit=3)
        ready = photos.prepare_all(blobs, estate=current_user.estate, place=unit.code if unit else "",
                                   actor=current_user)
    except photos.PhotoError as exc:
        form.photos.errors.append(exc.message)
        return None
    if not ok:
        return None
    try:
        visit, _created = service.record_visit(form.client_uuid.data, estate=current_user.estate, unit=unit,
                                               actor=current_user, way=form.way.data, met=form.met.data,
                                               opinions=form.opinions.data, request=form.request.data,
                                               photos=ready)
    except service.VisitError as exc:
        getattr(form, exc.field or "unit_code").errors.append(exc.message)
        return None
    return visit


def _visit_page(visit, status=200, case_form=None, error=None):
    residents = list(Resident.select().where(Resident.unit == visit.unit_id).order_by(Resident.relation, Resident.id))
    return render("visits/show.html", status=status, visit=visit, residents=residents,
                  photos=Attachment.for_subjects([visit.subject]).get(visit.subject, []),
                  case_form=case_form or CaseFromVisitForm(), error=error,
                  earlier=list(Visit.of_unit(visit.unit_id, limit=10)))


@bp.route("/<int:visit_id>")
def show(visit_id):
    """A visit, and its request one tap from becoming a case."""
    visit = get_scoped_or_404(Visit, visit_id)
    require_role(*VISITORS)
    return _visit_page(visit)


@bp.route("/<int:visit_id>/case", methods=["POST"])
def make_case(visit_id):
    """The visit's request becomes a repair or an inquiry, its details carried over."""
    visit = get_scoped_or_404(Visit, visit_id)
    require_role(*VISITORS)
    form = CaseFromVisitForm()
    if not form.validate_on_submit():
        return _visit_page(visit, status=422, case_form=form)
    try:
        case, _created = service.case_from_visit(form.client_uuid.data, visit, current_user, form.kind.data)
    except (service.VisitError, cases.CaseError) as exc:
        return _visit_page(visit, status=getattr(exc, "status", 422), case_form=form, error=exc.message)
    return redirect(url_for("cases.show", case_id=case.id), code=303)


@bp.route("/plans/<int:plan_id>")
def plan(plan_id):
    """One week's visit list of a patch: who is left, who was visited."""
    plan_row = get_scoped_or_404(VisitPlan, plan_id)
    require_role(*VISITORS)
    return render("visits/plan.html", plan=plan_row, items=list(VisitPlanItem.of_plan(plan_row.id)),
                  is_open=clocks.plan_is_open(plan_row))


def _site_page(permit, status=200, form=None, error=None):
    if form is None:
        form = SiteCallForm(designer=permit.contractor, site_supervisor="", project_manager="")
        called = {c.kind for c in SiteCall.of_permit(permit.id) if c.reached}
        form.kind.data = SiteCallKind.CALLBACK if SiteCallKind.CONGRATS in called else SiteCallKind.CONGRATS
    return render("visits/site_calls.html", status=status, permit=permit, unit=permit.unit, form=form, error=error,
                  calls=list(SiteCall.of_permit(permit.id)))


@bp.route("/sites/<int:permit_id>", methods=["GET", "POST"])
def site_calls(permit_id):
    """The after-sales calls of a renovation: the congratulation call and the site call-backs."""
    permit = get_scoped_or_404(Permit, permit_id)
    require_role(*VISITORS)
    if request.method == "GET":
        return _site_page(permit)
    form = SiteCallForm()
    if not form.validate_on_submit():
        return _site_page(permit, status=422, form=form)
    try:
        service.log_site_call(form.client_uuid.data, permit=permit, actor=current_user, kind=form.kind.data,
                              reached=form.reached.data, designer=form.designer.data or "",
                              site_supervisor=form.site_supervisor.data or "",
                              project_manager=form.project_manager.data or "", note=form.note.data or "",
                              problem=form.problem.data, problem_note=form.problem_note.data or "")
    except service.VisitError as exc:
        getattr(form, exc.field or "note").errors.append(exc.message)
        return _site_page(permit, status=exc.status, form=form)
    return redirect(url_for("visits.site_calls", permit_id=permit.id), code=303)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """设置 › 走访: the weekly quota, the familiarity window and the visit intervals."""
    require_role(*roles.SUPERVISING)
    estate = current_user.estate
    form = VisitSettingsForm(data=service.settings_of(estate)) if request.method == "GET" else VisitSettingsForm()
    if request.method == "POST":
        if form.validate_on_submit():
            service.save_settings(estate, form.data)
            return redirect(url_for("visits.settings", saved=1), code=303)
        return render("visits/settings.html", status=422, form=form, defaults=service.DEFAULTS)
    return render("visits/settings.html", form=form, defaults=service.DEFAULTS, saved=request.args.get("saved"))


@bp.route("/meetings", methods=["GET", "POST"])
def meetings():
    """业主见面会: the estate's owner meetings, and the form to record one."""
    require_role(*VISITORS)
    form = MeetingForm()
    if request.method == "GET":
        form.held_on.data = clock.now().date()
        return render("visits/meetings.html", form=form, meetings=list(OwnerMeeting.latest(estate_id())))
    ok = form.validate()
    units, unknown = service.parse_units(estate_id(), form.households.data)
    if unknown:
        form.households.errors.append(_("There is no unit %(code)s in this estate.", code="、".join(unknown)))
        ok = False
    if ok:
        try:
            meeting, _created = service.hold_meeting(
                form.client_uuid.data, estate=current_user.estate, actor=current_user, held_on=form.held_on.data,
                place=form.place.data, topics=form.topics.data, resolutions=form.resolutions.data, units=units)
        except service.VisitError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            return redirect(url_for("visits.meeting", meeting_id=meeting.id), code=303)
    return render("visits/meetings.html", status=422, form=form, meetings=list(OwnerMeeting.latest(estate_id())))


def _meeting_page(meeting, status=200, form=None, error=None):
    attendees = list(MeetingAttendee.select(MeetingAttendee, Unit).join(Unit)
                     .where(MeetingAttendee.meeting == meeting.id).order_by(Unit.code))
    follow_ups = list(MeetingCase.select(MeetingCase, Case).join(Case)
                      .where(MeetingCase.meeting == meeting.id).order_by(MeetingCase.id))
    return render("visits/meeting.html", status=status, meeting=meeting, attendees=attendees, follow_ups=follow_ups,
                  form=form or FollowUpForm(), error=error)


@bp.route("/meetings/<int:meeting_id>")
def meeting(meeting_id):
    """One owner meeting: who came, topics, resolutions and their follow-up cases."""
    row = get_scoped_or_404(OwnerMeeting, meeting_id)
    require_role(*VISITORS)
    return _meeting_page(row)


@bp.route("/meetings/<int:meeting_id>/cases", methods=["POST"])
def meeting_case(meeting_id):
    """A follow-up of the meeting becomes a case, linked to it."""
    row = get_scoped_or_404(OwnerMeeting, meeting_id)
    require_role(*VISITORS)
    form = FollowUpForm()
    ok = form.validate_on_submit()
    unit = _unit_of(form.unit_code.data) if form.unit_code.data else None
    if form.unit_code.data and unit is None:
        form.unit_code.errors.append(_("There is no unit %(code)s in this estate.", code=form.unit_code.data))
        ok = False
    if not ok:
        return _meeting_page(row, status=422, form=form)
    try:
        service.meeting_case(form.client_uuid.data, row, current_user, unit=unit, kind=form.kind.data,
                             description=form.description.data)
    except (service.VisitError, cases.CaseError) as exc:
        return _meeting_page(row, status=getattr(exc, "status", 422), form=form, error=exc.message)
    return redirect(url_for("visits.meeting", meeting_id=row.id), code=303)
