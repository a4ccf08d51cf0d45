"""Admin (desktop): edit checklists (each save is a new version) and print QR checkpoints."""
from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird.auth import roles
from bluebird.cases.kinds import CaseKind
from bluebird.db import db
from bluebird.estate.models import Patch
from bluebird.rounds import checkpoints, engine, kinds
from bluebird.rounds.models import Checkpoint, Template, TemplateItem
from bluebird.rounds.seeds import SEEDS
from bluebird.web import estate_id, get_scoped_or_404, render, require_role

bp = Blueprint("rounds_admin", __name__, url_prefix="/admin/rounds")
CASE_KINDS = ("", "repair", "incident")


@bp.before_request
@login_required
def admins_only():
    require_role(roles.ADMIN, roles.MANAGER)


@bp.route("/")
def index():
    """Every checklist family (current version) and the checkpoints."""
    for family in SEEDS:
        engine.template_for(estate_id(), family)
    return render("rounds_admin/index.html", templates=Template.latest_per_family(estate_id()),
                  checkpoints=list(Checkpoint.select().where(Checkpoint.estate == estate_id())
                                   .order_by(Checkpoint.position, Checkpoint.name)),
                  patches=list(Patch.ordered(estate_id())), labels=kinds.LABELS)


def _rows_from(form):
    """Read the editor's rows; a row with no text is dropped."""
    rows, errors = [], []
    for n in range(int(form.get("rows", "0") or 0)):
        text = form.get(f"text-{n}", "").strip()
        if not text:
            continue
        points = form.get(f"points-{n}", "0").strip() or "0"
        if not points.isdigit() or int(points) > 100:
            errors.append(_("Row %(n)d: points must be a whole number from 0 to 100.", n=n + 1))
            continue
        opens = form.get(f"case-{n}", "")
        rows.append({"section": form.get(f"section-{n}", "").strip()[:60] or "—", "text": text[:300],
                     "section_en": form.get(f"section_en-{n}", "").strip()[:60],
                     "text_en": form.get(f"text_en-{n}", "").strip()[:300], "points": int(points),
                     "needs_photo": bool(form.get(f"photo-{n}")), "needs_note": bool(form.get(f"note-{n}")),
                     "opens_case": opens if opens in CASE_KINDS else "", "veto": bool(form.get(f"veto-{n}"))})
    if not rows:
        errors.append(_("A checklist needs at least one item."))
    return rows, errors


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
def edit(template_id):
    """Edit a checklist; saving makes version N+1, and past rounds keep their version."""
    template = get_scoped_or_404(Template, template_id)
    errors = []
    if request.method == "POST":
        current = Template.current(estate_id(), template.family)
        if current is None or current.id != template.id:
            errors.append(_("This version is no longer current. Open the current one and edit that."))
        else:
            rows, errors = _rows_from(request.form)
            if not errors:
                with db.atomic():
                    fresh = Template.create(estate=estate_id(), family=template.family, name=template.name,
                                            name_en=template.name_en, version=template.version + 1,
                                            created_by=current_user.id)
                    for position, row in enumerate(rows, start=1):
                        TemplateItem.create(template=fresh, position=position, **row)
                return redirect(url_for("rounds_admin.edit", template_id=fresh.id), code=303)
    items = list(template.items.order_by(TemplateItem.position))
    return render("rounds_admin/edit.html", status=422 if errors else 200, template=template, items=items,
                  blank=3, errors=errors, case_kinds=CASE_KINDS, case_kind_labels=CaseKind.LABELS)


@bp.route("/checkpoints", methods=["POST"])
def add_checkpoint():
    """Add a checkpoint (a place on a patrol route)."""
    name = request.form.get("name", "").strip()[:60]
    patch_id = request.form.get("patch", type=int)
    patch = Patch.get_or_none((Patch.id == patch_id) & (Patch.estate == estate_id())) if patch_id else None
    if patch_id and patch is None:
        abort(404)  # another estate's patch
    if name and not Checkpoint.get_or_none((Checkpoint.estate == estate_id()) & (Checkpoint.name == name)):
        count = Checkpoint.select().where(Checkpoint.estate == estate_id()).count()
        Checkpoint.create(estate=estate_id(), name=name, patch=patch, position=count + 1)
    return redirect(url_for("rounds_admin.index"), code=303)


@bp.route("/checkpoints/print")
def print_sheet():
    """A printable sheet of QR codes, one per checkpoint."""
    points = list(Checkpoint.select().where((Checkpoint.estate == estate_id()) & Checkpoint.active)
                  .order_by(Checkpoint.position, Checkpoint.name))
    return render("rounds_admin/print.html", codes=[(c, checkpoints.qr_data_uri(c)) for c in points])
