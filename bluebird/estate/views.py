"""Browse the estate: buildings → units → residents, search, unit status."""
from functools import lru_cache

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from bluebird.auth import roles
from bluebird.duties.rules import register_link
from bluebird.estate import service
from bluebird.estate.forms import StatusForm
from bluebird.estate.models import Building, Resident, Unit, UnitStatus
from bluebird.estate.models_moves import MoveOut
from bluebird.timeline.models import Event
from bluebird.web import estate_id, get_scoped_or_404, render

bp = Blueprint("estate", __name__, url_prefix="/estate")
register_link("unit", lambda rest: url_for("estate.unit", unit_id=int(rest)))

# Roles that phone residents, and so see their numbers in full on a unit's page.
SEES_PHONES = (roles.BUTLER, roles.RECEPTION, roles.MANAGER, roles.ADMIN)
CHANGES_STATUS = (roles.BUTLER, roles.RECEPTION, roles.MANAGER, roles.ADMIN)


@bp.before_request
@login_required
def _login():
    pass


@bp.route("/")
def index():
    """List buildings, the user's patch first, with the search box on top."""
    buildings = list(Building.in_estate(estate_id(), current_user.patch_id))
    counts = Unit.status_counts(estate_id())
    return render("estate/index.html", buildings=buildings, counts=counts, statuses=UnitStatus.LABELS)


@bp.route("/search")
def search():
    """Find units by number (3-1502) and residents by name or phone tail, as you type."""
    q = request.args.get("q", "").strip()[:40]
    units = list(Unit.search(estate_id(), q)) if q else []
    residents = list(Resident.search(estate_id(), q)) if q else []
    return render("estate/search.html", "estate/_results.html", q=q, units=units, residents=residents)


@bp.route("/buildings/<int:building_id>")
def building(building_id):
    """Show a building's units floor by floor."""
    b = get_scoped_or_404(Building, building_id)
    floors: dict[int, list] = {}
    for unit in Unit.in_building(b.id):
        floors.setdefault(unit.floor, []).append(unit)
    return render("estate/building.html", building=b, floors=floors)


def _unit_page(u, form, status=200):
    return render(
        "estate/unit.html",
        status=status,
        unit=u,
        residents=list(Resident.living_in(unit_id=u.id)),
        former=list(Resident.former_of(unit_id=u.id)),
        moves=list(MoveOut.latest_of(unit_id=u.id, limit=10)),
        events=list(Event.latest(subject=f"unit:{u.id}", limit=50)),
        form=form,
        sees_phones=current_user.role in SEES_PHONES,
        can_change=current_user.role in CHANGES_STATUS,
        keeps_ledger=current_user.role in SEES_PHONES,
        field_labels=resident_field_labels(),
    )


@bp.route("/units/<int:unit_id>")
def unit(unit_id):
    """Show a unit: status, residents, timeline."""
    u = get_scoped_or_404(Unit, unit_id)
    return _unit_page(u, StatusForm(status=u.status))


@bp.route("/units/<int:unit_id>/status", methods=["POST"])
def change_status(unit_id):
    """Change a unit's status; the change goes on its timeline."""
    u = get_scoped_or_404(Unit, unit_id)
    if current_user.role not in CHANGES_STATUS:
        abort(403)
    form = StatusForm()
    if not form.validate_on_submit():
        return _unit_page(u, form, status=422)
    try:
        service.change_unit_status(u, form.status.data, current_user.id, form.note.data or "")
    except service.ReasonRequired as exc:
        form.note.errors.append(exc.message)
        return _unit_page(u, form, status=422)
    return redirect(url_for("estate.unit", unit_id=u.id), code=303)


@bp.route("/residents/<int:resident_id>")
def resident(resident_id):
    """Show one resident of a unit."""
    r = get_scoped_or_404(Resident, resident_id)
    return render("estate/resident.html", resident=r, sees_phones=current_user.role in SEES_PHONES,
                  keeps_ledger=current_user.role in SEES_PHONES,
                  moves=list(MoveOut.of_unit(r.unit_id).where(MoveOut.resident == r.id)))


def resident_field_labels():
    """The ledger's field names as the timeline lists a change."""
    return _field_labels(str(get_locale()))


@lru_cache(maxsize=8)
def _field_labels(locale: str) -> dict:
    from bluebird.estate.forms import ResidentEditForm

    form = ResidentEditForm(meta={"csrf": False})  # made while that language is on
    return {name: str(getattr(form, name).label.text) for name in ResidentEditForm.FIELDS}

from bluebird.estate import views_residents  # noqa: E402,F401
