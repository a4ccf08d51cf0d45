"""Estate administration (admin only): patches, buildings, units, residents."""
from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird.auth import roles
from bluebird.estate import importer, service
from bluebird.estate.forms import (
    BuildingForm,
    ImportConfirmForm,
    ImportForm,
    ResidentForm,
    UnitForm,
)
from bluebird.estate.models import Building, Patch, Resident, Unit
from bluebird.forms import choices
from bluebird.web import estate_id, get_scoped_or_404, render, require_role

bp = Blueprint("estate_admin", __name__, url_prefix="/admin/estate")


@bp.before_request
@login_required
def admins_only():
    require_role(roles.ADMIN)


def _building_form(**kwargs):
    form = BuildingForm(**kwargs)
    form.patch.choices = choices([(0, "—")] + [(p.id, p.name) for p in Patch.ordered(estate_id())])
    return form


def _scoped_patch(patch_id):
    return patch_id if patch_id and Patch.get_or_none((Patch.id == patch_id) & (Patch.estate == estate_id())) else None


@bp.route("/", methods=["GET", "POST"])
def index():
    """List buildings and patches; add a building."""
    form = _building_form()
    status = 200
    if form.validate_on_submit():
        try:
            service.create_building(
                form.client_uuid.data,
                estate_id=estate_id(),
                name=form.name.data,
                floors=form.floors.data,
                patch_id=_scoped_patch(form.patch.data),
            )
            return redirect(url_for("estate_admin.index"), code=303)
        except service.Conflict:
            form.name.errors.append(_("This building already exists."))
    if request.method == "POST":
        status = 422
    return render(
        "estate_admin/index.html",
        status=status,
        form=form,
        buildings=Building.in_estate(estate_id()),
        patches=Patch.ordered(estate_id()),
    )


@bp.route("/patches", methods=["POST"])
def add_patch():
    """Add a patch (片区) to the estate."""
    name = request.form.get("name", "").strip()[:50]
    if name and not Patch.get_or_none((Patch.estate == estate_id()) & (Patch.name == name)):
        Patch.create(estate=estate_id(), name=name)
    return redirect(url_for("estate_admin.index"), code=303)


@bp.route("/buildings/<int:building_id>", methods=["GET", "POST"])
def building(building_id):
    """Change a building's patch and add units to it."""
    b = get_scoped_or_404(Building, building_id)
    form = _building_form(name=b.name, floors=b.floors, patch=b.patch_id or 0)
    unit_form = UnitForm(prefix="unit")
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        b.patch = _scoped_patch(form.patch.data)
        b.floors = form.floors.data
        b.save(only=[Building.patch, Building.floors])
        return redirect(url_for("estate_admin.building", building_id=b.id), code=303)
    if request.method == "POST":
        status = 422
    return render("estate_admin/building.html", status=status, building=b, form=form, unit_form=unit_form,
                  units=Unit.in_building(b.id))


@bp.route("/buildings/<int:building_id>/units", methods=["POST"])
def add_unit(building_id):
    """Add a unit to a building."""
    b = get_scoped_or_404(Building, building_id)
    unit_form = UnitForm(prefix="unit")
    if unit_form.validate_on_submit():
        try:
            unit, _created = service.create_unit(
                unit_form.client_uuid.data,
                building=b,
                number=unit_form.number.data,
                floor=unit_form.floor.data or 0,
                kind=unit_form.kind.data,
                status=unit_form.status.data,
                area=unit_form.area.data,
                actor=current_user.id,
                reason=unit_form.reason.data or "",
            )
            return redirect(url_for("estate_admin.building", building_id=b.id), code=303)
        except service.Conflict:
            unit_form.number.errors.append(_("This unit already exists."))
        except service.ReasonRequired as exc:
            unit_form.reason.errors.append(exc.message)
    return render("estate_admin/building.html", status=422, building=b,
                  form=_building_form(name=b.name, floors=b.floors, patch=b.patch_id or 0),
                  unit_form=unit_form, units=Unit.in_building(b.id))


@bp.route("/units/<int:unit_id>/residents", methods=["GET", "POST"])
def add_resident(unit_id):
    """Register a resident of a unit."""
    unit = get_scoped_or_404(Unit, unit_id)
    form = ResidentForm()
    if form.validate_on_submit():
        resident, _created = service.create_resident(
            form.client_uuid.data,
            unit=unit,
            name=form.name.data,
            phone=form.phone.data or "",
            relation=form.relation.data,
            key_account=form.key_account.data,
            note=form.note.data or "",
            actor=current_user.id,
        )
        return redirect(url_for("estate.unit", unit_id=unit.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render("estate_admin/resident.html", status=status, unit=unit, form=form)


def _import_page(status=200, **context):
    context.setdefault("form", ImportForm())
    context.setdefault("relations", Resident.RELATIONS)
    return render("estate_admin/import.html", status=status, **context)


@bp.route("/import", methods=["GET", "POST"])
def import_residents():
    """Upload an Excel workbook of residents and see what it would do, each bad row with its reason."""
    form = ImportForm()
    if request.method == "GET":
        return _import_page(form=form)
    if not form.validate_on_submit():
        return _import_page(422, form=form)
    upload = form.workbook.data
    data = upload.read() if upload else b""
    if not data:
        form.workbook.errors = [_("Choose the Excel workbook to import.")]
        return _import_page(422, form=form)
    try:
        plan = importer.plan(estate_id(), data)
    except (importer.NotAWorkbook, importer.BadLayout) as exc:
        form.workbook.errors = [str(exc.message)]
        return _import_page(422, form=form)
    confirm = ImportConfirmForm(upload=importer.keep(current_app.instance_path, estate_id(), data))
    return _import_page(422 if plan.bad else 200, form=form, plan=plan, confirm=confirm,
                        filename=getattr(upload, "filename", ""))


@bp.route("/import/confirm", methods=["POST"])
def import_confirm():
    """Import the previewed workbook: every new resident in one transaction, or none."""
    confirm = ImportConfirmForm()
    if not confirm.validate_on_submit():
        return _import_page(422, error=_("The preview has expired. Upload the workbook again."))
    digest = confirm.upload.data
    data = importer.kept(current_app.instance_path, estate_id(), digest)
    if data is None:
        return _import_page(404, error=_("The preview has expired. Upload the workbook again."))
    try:
        plan = importer.apply(estate_id(), data, current_user.id)
    except (importer.NotAWorkbook, importer.BadLayout) as exc:
        return _import_page(422, error=str(exc.message))
    if plan.bad:
        return _import_page(422, plan=plan, confirm=confirm)
    importer.forget(current_app.instance_path, estate_id(), digest)
    return _import_page(200, done=plan)
