"""Cases: list, register, the case page and its steps. Views parse, call the service, render."""
import dataclasses
import tempfile
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases import clocks, listing, service
from bluebird.cases import rows as case_rows
from bluebird.cases.forms import CallForm, CancelForm, CaseForm, DispatchForm, FinishForm, TextForm
from bluebird.cases.kinds import (
    SATISFACTION,
    SCOPES,
    SOURCES,
    TARGETS,
    TRADES,
    WORK_TYPES,
    CallKind,
    CaseKind,
    CaseStatus,
)
from bluebird.cases.models import Call, Case, PriceItem
from bluebird.cases.timeline_text import describe
from bluebird.duties.rules import register_anchor, register_link
from bluebird.estate.models import Unit
from bluebird.forms import choices
from bluebird.photos import service as photos
from bluebird.photos.models import Attachment
from bluebird.timeline.models import Event, once
from bluebird.web import estate_id, form_fields, get_scoped_or_404, kept_by, render, translated

bp = Blueprint("cases", __name__, url_prefix="/cases")
register_link("case", lambda rest: url_for("cases.show", case_id=int(rest)))
# A duty's link lands on the form that does it (the ids are in templates/cases/_actions.html).
for _kind, _element in ((clocks.NOTIFY_OWNER, "log-call"), (clocks.CALLBACK_24H, "log-call"),
                        (clocks.SATISFACTION, "log-call"), (clocks.COMPLAINT_CALLBACK, "log-call"),
                        (clocks.ARRIVE, "tech-actions"), (clocks.FINISH, "tech-actions"),
                        (clocks.RESOLVE, "resolve"), (clocks.ANSWER, "answer"), (clocks.INFO_ANSWER, "answer"),
                        (clocks.INCIDENT_NOTIFY, "answer")):
    register_anchor(_kind, _element)

REGISTERS = (roles.BUTLER, roles.RECEPTION, roles.MANAGER, roles.ADMIN, roles.INSPECTOR)
SEES_PHONES = (roles.BUTLER, roles.RECEPTION, roles.MANAGER, roles.ADMIN, roles.TECHNICIAN)
EXPORTS = (roles.BUTLER, roles.RECEPTION, roles.MANAGER, roles.ADMIN, roles.INSPECTOR)  # the export of the list
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_COLUMNS = (_l("No."), _l("Kind"), _l("Status"), _l("Registered"), _l("Closed"), _l("Unit or place"),
                  _l("Building"), _l("Source"), _l("Trade"), _l("Complaint about"), _l("What happened"), _l("Contact"),
                  _l("Contact phone"), _l("Handled by"), _l("Satisfaction"), _l("Reopened"), _l("Warranty"))


@bp.before_request
@login_required
def _login():
    pass


@bp.context_processor
def _words():
    return {"sources": translated(SOURCES), "scopes": translated(SCOPES), "trades": translated(TRADES),
            "work_types": translated(WORK_TYPES), "targets": translated(TARGETS), "case_event_text": describe}


def _technicians():
    return choices([(0, "—")] + list(User.names_with_role(estate_id=estate_id(), role=roles.TECHNICIAN)))


def _staff():
    return choices([(0, "—")] + [(u.id, f"{u.name} · {u.role_label}") for u in
                                 User.select().where((User.estate == estate_id()) & User.active).order_by(User.role, User.name)])


DATE_ERRORS = {"unreadable": _l("Give the dates as YYYY-MM-DD."),
               "reversed": _l("The first day is after the last day.")}


def _tz():
    return current_user.estate.timezone


@bp.route("/")
def index():
    """The case list: filters, the butler's patch first, keyset pages."""
    params = listing.Filters.from_args(request.args, current_user)
    rows, next_before = ([], None) if params.error else listing.page(estate_id(), params, current_user, _tz())
    return render(
        "cases/index.html", "cases/_rows.html", status=422 if params.error else 200,
        rows=rows, row_markup=case_rows.markup(rows), next_before=next_before, f=params,
        filters_html=_filters(params),
    )


def _filters(params):
    """The list's head and filter form, kept per process for everything it shows."""
    buildings = tuple(listing.building_options(estate_id(), str(get_locale()),
                                               lambda name: _("Building %(name)s", name=name)))
    technicians = tuple(User.names_with_role(estate_id=estate_id(), role=roles.TECHNICIAN))
    role, has_patch = current_user.role, bool(current_user.patch_id)
    can_register, can_export = role in REGISTERS, role in EXPORTS
    raw = (request.args.get("date_from", ""), request.args.get("date_to", ""))
    key = (dataclasses.astuple(params), role, has_patch, raw, buildings, technicians)
    return kept_by(key, "cases/_filters.html", "filters", params, role, has_patch, can_register, can_export,
                   DATE_ERRORS.get(params.error), *raw, translated(CaseKind.LABELS), translated(CaseStatus.LABELS),
                   translated(TRADES), buildings, technicians, translated(SOURCES), translated(TARGETS))


@bp.route("/export.xlsx")
def export():
    """Exactly the filtered list as Excel, streamed: written row by row to a temporary file, sent in chunks."""
    if current_user.role not in EXPORTS:
        abort(403)
    params = listing.Filters.from_args(request.args, current_user)
    if params.error:
        abort(422)
    sees = current_user.role in SEES_PHONES
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    listing.export_workbook(
        tmp, listing.export_rows(estate_id(), params, current_user, _tz()),
        heading=f"{current_user.estate.name} · {_('Cases')} · {clock.now().date().isoformat()}",
        columns=EXPORT_COLUMNS, tz=_tz(), sees_phones=sees,
        masked_note=_("Phones are masked (139****5678): your role may not see residents' numbers."))
    tmp.seek(0)

    def chunks():
        try:
            while block := tmp.read(64 * 1024):
                yield block
        finally:
            tmp.close()

    name = _("Cases") + f" {clock.now().date().isoformat()}.xlsx"
    return Response(chunks(), mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=cases.xlsx; filename*=UTF-8''{quote(name)}"})


def _case_form(kind, **kwargs):
    form = CaseForm(**kwargs)
    form.price_item.choices = choices([(0, "—")] + [(p.id, f"{p.name} ¥{p.price:.2f}") for p in PriceItem.offered(estate_id())])
    form.assignee.choices = _staff() if kind == CaseKind.INFO else _technicians()
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Register a case of a kind; the form shows only that kind's fields."""
    if current_user.role not in REGISTERS:
        abort(403)
    kind = request.values.get("kind", CaseKind.REPAIR)
    if kind not in CaseKind.ALL:
        abort(404)
    prefill = _about_prefill(kind, request.args.get("about", type=int)) if request.method == "GET" else {}
    form = _case_form(kind, **{"source": "patrol" if current_user.role == roles.BUTLER else "phone", **prefill})
    if request.method == "POST":
        case = _register(kind, form)
        if case is not None:
            return redirect(url_for("cases.show", case_id=case.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render("cases/new.html", status=status, form=form, kind=kind, kind_label=CaseKind.LABELS[kind])


def _about_prefill(kind, repair_id):
    """投诉此工单: the complaint form filled from the repair (its unit, contact and number)."""
    if repair_id is None:
        return {}
    repair = Case.with_unit(estate_id(), repair_id)
    if repair is None or repair.kind != CaseKind.REPAIR or kind != CaseKind.COMPLAINT:
        abort(404)
    return {"unit_code": repair.unit.code if repair.unit_id else "", "place": "" if repair.unit_id else repair.place,
            "contact_name": repair.contact_name, "contact_phone": repair.contact_phone, "about_code": repair.number,
            "source": repair.source}


def _register(kind, form):
    """Validate the whole form and the photos, then create; on any error, save nothing."""
    ok = form.validate()
    unit = service.find_unit(estate_id(), form.unit_code.data)
    if form.unit_code.data and unit is None:
        form.unit_code.errors.append(_("There is no unit %(code)s in this estate.", code=form.unit_code.data))
        ok = False
    if not form.unit_code.data and not (form.place.data or "").strip():
        form.unit_code.errors.append(_("Give a unit, or the public place."))
        ok = False
    if kind == CaseKind.COMPLAINT and not form.promised_on.data:
        form.promised_on.errors.append(_("Set the date promised to the owner."))
        ok = False
    about = None
    if kind == CaseKind.COMPLAINT and (form.about_code.data or "").strip():
        about = Case.repair_by_number(estate_id(), form.about_code.data)
        if about is None:
            form.about_code.errors.append(_("There is no repair %(number)s in this estate.",
                                            number=form.about_code.data.strip()))
            ok = False
    if kind == CaseKind.INFO and not form.assignee.data:
        form.assignee.errors.append(_("Choose who receives the slip."))
        ok = False
    try:
        blobs = photos.read_uploads(request.files.getlist(form.photos.name))
        ready = photos.prepare_all(blobs, estate=current_user.estate, place=unit.code if unit else form.place.data or "",
                                   actor=current_user)
    except photos.PhotoError as exc:
        form.photos.errors.append(exc.message)
        return None
    if not ok:
        return None
    fields = listing.fields_from(kind, form, unit, about)
    try:
        case, _created = service.register(form.client_uuid.data, estate=current_user.estate, registrar=current_user,
                                          fields=fields, photos=ready)
    except service.CaseError as exc:
        (form.about_code if exc.field == "about_code" else form.description).errors.append(exc.message)
        return None
    return case


@bp.route("/<int:case_id>")
def show(case_id):
    """The case page: what, where, who, the clocks still running, calls and timeline."""
    case = Case.with_unit(estate_id(), case_id)
    if case is None:
        abort(404)
    return _page(case)


def _page(case, status=200, **forms):
    events = list(Event.timeline(subject=case.subject))
    duties, calls = list(service.open_duties(case)), list(Call.of_case(case_id=case.id))
    technicians = _people(case, calls, duties, events)
    return render(
        "cases/show.html", status=status, case=case, events=events,
        duties=duties, calls=calls,
        photos=Attachment.for_subjects([case.subject]).get(case.subject, []),
        forms=ActionForms(case, technicians, _next_call(case, calls), forms), error=forms.get("error"),
        residents=list(service.residents_of(case.unit)) if case.unit_id else [],
        about=Case.get_or_none((Case.id == case.about_case_id) & (Case.estate == case.estate_id))
        if case.about_case_id else None,
        # Each complaint about a repair writes "complained_about" on its timeline (already
        # read above): a repair nobody complained about costs no query for the list.
        complaints_about=list(Case.complaints_about_repair(case.estate_id, case.id))
        if case.kind == CaseKind.REPAIR and any(e.verb == "complained_about" for e in events) else [],
        can_complain=case.kind == CaseKind.REPAIR and current_user.role in REGISTERS,
        sees_phone=current_user.role in SEES_PHONES, call_labels=CallKind.LABELS, satisfaction=SATISFACTION,
        CaseStatus=CaseStatus, CaseKind=CaseKind, roles=roles,
    )


class ActionForms:
    """The case page's forms (templates/cases/_actions.html), each made only when the page
    shows it: the one a refused step bound (`bound`, by key) shows itself; a fresh one is
    the same markup for the same case state, kept (web.form_fields)."""

    TEMPLATE = "cases/_action_fields.html"

    def __init__(self, case, technicians, next_call, bound):
        self.case, self.next_call, self.bound = case, next_call, bound
        self.technicians = tuple((c.value, c.label) for c in technicians)

    def _fields(self, key, form_cls, *args, **data):
        return form_fields(self.TEMPLATE, key, self.bound.get(key), lambda: _fresh(form_cls, **data),
                           tuple(sorted(data.items())), *args)

    def dispatch(self):
        # A warranty repair is passed to the construction company, never to our technicians.
        warranty = bool(self.case.warranty)
        if (bound := self.bound.get("dispatch")) is not None:
            _dispatch_setup(bound, warranty, self.technicians)
        return form_fields(self.TEMPLATE, "dispatch", bound, lambda: _dispatch_setup(_fresh(
            DispatchForm, department=_("Construction company (warranty)") if warranty else ""), warranty,
            self.technicians), (warranty, () if warranty else self.technicians))

    def finish(self):
        return self._fields("finish", FinishForm)

    def call(self):
        # A complaint's call is always its call-back: said, not asked.
        complaint = str(CallKind.LABELS[self.next_call]) if self.case.kind == CaseKind.COMPLAINT else None
        return self._fields("call", CallForm, complaint, kind=self.next_call)

    def text(self):
        return self._fields("text", TextForm)

    def cancel(self):
        return self.bound.get("cancel") or CancelForm()


def _fresh(form_cls, **data):
    """An unbound form with these defaults (never the request's POST, which is another form's)."""
    return form_cls(formdata=None, meta={"csrf": False}, **data)


def _dispatch_setup(form, warranty, technicians):
    if warranty:
        form.department.label.text = _("Passed on to")
    form.assignee.choices = [] if warranty else choices(technicians)
    return form


def _people(case, calls, duties, events):
    """Everybody the case page names (registrar, technician, callers, duty holders, whom it
    was dispatched to) and the estate's technicians for the dispatch form, in one query
    (it had 8 lookups of one user each); returns the form's choices."""
    named = {case.registrar_id, case.assignee_id} | {c.by_id for c in calls} | {d.assignee_id for d in duties}
    named |= {e.data.get("to") for e in events if e.verb == "dispatched" and isinstance(e.data.get("to"), int)}
    named.discard(None)
    people = list(User.these_or_role(ids=tuple(sorted(named)), estate_id=estate_id(), role=roles.TECHNICIAN))
    by_id = g.people = {u.id: u for u in people}
    case.registrar = by_id.get(case.registrar_id) or case.registrar
    if case.assignee_id:
        case.assignee = by_id.get(case.assignee_id) or case.assignee
    for row, field in [(c, "by") for c in calls] + [(d, "assignee") for d in duties]:
        if (person := by_id.get(getattr(row, field + "_id"))) is not None:
            setattr(row, field, person)
    techs = [u for u in people if u.role == roles.TECHNICIAN and u.active and u.estate_id == case.estate_id]
    return choices([(0, "—")] + [(u.id, u.name) for u in techs])


def _next_call(case, calls=None):
    if case.kind == CaseKind.COMPLAINT:
        return CallKind.COMPLAINT_CALLBACK
    if case.status == CaseStatus.DONE:
        return CallKind.SATISFACTION
    done = {c.kind for c in (case.calls if calls is None else calls)}
    # Nobody tells the owner "who will come" for the builder's warranty work.
    return CallKind.NOTIFY if CallKind.NOTIFY not in done and not case.warranty else CallKind.CALLBACK_24H


def _step(case_id, form_cls, key, action):
    """Run one step on a case: validate, act, redirect; or show the page with the error."""
    case = get_scoped_or_404(Case, case_id)
    form = form_cls() if form_cls else None
    if form is not None and hasattr(form, "assignee"):
        form.assignee.choices = _technicians()
    if form is not None and not form.validate_on_submit():
        return _page(case, status=422, **{key: form})
    try:  # a replay of a step already done (same client_uuid) does nothing and lands here too
        once(request.form.get("client_uuid"), estate_id=case.estate_id, actor_id=current_user.id,
             subject=case.subject, conflict=service.CaseError, action=lambda: action(case, form))
    except service.CaseError as exc:
        return _page(case, status=exc.status, error=exc.message, **({key: form} if form else {}))
    except photos.PhotoError as exc:
        form.photos.errors.append(exc.message)
        return _page(case, status=exc.status, **{key: form})
    return redirect(url_for("cases.show", case_id=case.id), code=303)


@bp.route("/<int:case_id>/dispatch", methods=["POST"])
def dispatch(case_id):
    """Send a repair to a technician or a department (a supervisor may reassign)."""
    if current_user.role not in REGISTERS:
        abort(403)
    return _step(case_id, DispatchForm, "dispatch",
                 lambda case, f: service.dispatch(case, current_user, f.assignee.data or None, f.department.data or ""))


@bp.route("/<int:case_id>/arrive", methods=["POST"])
def arrive(case_id):
    """The technician reports he is on site."""
    return _step(case_id, None, "finish", lambda case, f: service.arrive(case, current_user))


@bp.route("/<int:case_id>/finish", methods=["POST"])
def finish(case_id):
    """The technician reports the repair done, with photos."""

    def act(case, form):
        if case.assignee_id != current_user.id:
            raise service.CaseError(_("This repair is not assigned to you."), status=403)
        blobs = photos.read_uploads(request.files.getlist(form.photos.name))
        ready = photos.prepare_all(blobs, estate=current_user.estate, place=case.where, actor=current_user)
        service.finish(case, current_user, form.work_done.data, form.materials.data, photos=ready)

    return _step(case_id, FinishForm, "finish", act)


@bp.route("/<int:case_id>/calls", methods=["POST"])
def call(case_id):
    """Log a call to the owner; it closes the matching duty."""
    return _step(case_id, CallForm, "call", lambda case, f: service.log_call(
        case, current_user, f.kind.data, reached=f.reached.data == "yes", note=f.note.data or "",
        satisfaction=f.satisfaction.data or "", client_uuid=request.form.get("client_uuid")))


@bp.route("/<int:case_id>/resolve", methods=["POST"])
def resolve(case_id):
    """The routed head records how a complaint was resolved."""
    return _step(case_id, TextForm, "text", lambda case, f: service.resolve_complaint(case, current_user, f.text.data))


@bp.route("/<int:case_id>/answer", methods=["POST"])
def answer(case_id):
    """Answer an inquiry or info slip, or report an incident handled."""
    return _step(case_id, TextForm, "text", lambda case, f: service.answer(case, current_user, f.text.data))


@bp.route("/<int:case_id>/cancel", methods=["POST"])
def cancel(case_id):
    """A supervisor cancels a case registered by mistake (作废), with the reason; its duties are void."""
    return _step(case_id, CancelForm, "cancel", lambda case, f: service.cancel(case, current_user, f.reason.data))


@bp.route("/<int:case_id>/comment", methods=["POST"])
def comment(case_id):
    """Add a note to the timeline."""
    return _step(case_id, TextForm, "text", lambda case, f: service.comment(case, current_user, f.text.data))


@bp.route("/<int:case_id>/photos", methods=["POST"])
def add_photos(case_id):
    """Add photos to a case (each goes through the hostile-upload pipeline)."""
    case = get_scoped_or_404(Case, case_id)
    try:
        blobs = photos.read_uploads(request.files.getlist("photos"))
        if not blobs:
            raise photos.PhotoError("empty", _("Choose a photo first."))
        ready = photos.prepare_all(blobs, estate=current_user.estate, place=case.where, actor=current_user)
    except photos.PhotoError as exc:
        return _page(case, status=exc.status, error=exc.message)
    added = service.add_photos(case, current_user, ready, client_uuid=request.form.get("client_uuid"))
    flash(_("%(n)d photo(s) added", n=len(added)), "ok")
    return redirect(url_for("cases.show", case_id=case.id), code=303)


@bp.route("/contacts")
def contacts():
    """The residents of a unit, to fill the contact (htmx, as the unit is typed)."""
    code = request.args.get("unit_code", "").strip()[:40]
    unit = service.find_unit(estate_id(), code)
    residents = list(service.residents_of(unit)) if unit else []
    suggestions = [] if unit or not code else list(Unit.search(estate_id(), code, limit=8))
    return render("cases/_contacts.html", unit=unit, residents=residents, code=code, suggestions=suggestions)
