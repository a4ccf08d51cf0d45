"""Estate settings an admin edits: the clocks, complaint routing and the price list."""
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.cases.kinds import TARGETS
from bluebird.cases.models import PriceItem
from bluebird.duties.rules import RULES
from bluebird.web import get_scoped_or_404, render, require_role

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


@bp.before_request
@login_required
def admins_only():
    require_role(roles.ADMIN, roles.MANAGER)


def clock_rows(estate):
    """Each clock-table row with its default and the estate's override, in minutes."""
    overrides = estate.setting("clocks", {}) or {}
    seen, rows = set(), []
    for row in RULES:
        if row.kind in seen or row.anchor is not None:
            continue  # "same day" and "promised date" clocks have no minutes to set
        seen.add(row.kind)
        rows.append({"kind": row.kind, "label": row.label, "default": int(row.offset / timedelta(minutes=1)),
                     "override": overrides.get(row.kind), "points": row.points})
    return rows


@bp.route("/", methods=["GET"])
def index(errors=None, status=200):
    """Show the clocks, the complaint routing and the price list."""
    estate = current_user.estate
    heads = User.select().where((User.estate == estate.id) & User.active & User.role.in_(roles.SUPERVISING))
    return render("settings/index.html", status=status, clocks=clock_rows(estate), targets=TARGETS,
                  routing=estate.setting("complaint_routing", {}) or {}, heads=list(heads),
                  prices=PriceItem.select().where(PriceItem.estate == estate.id).order_by(PriceItem.name),
                  errors=errors or {})


@bp.route("/clocks", methods=["POST"])
def clocks():
    """Save the estate's clock overrides (empty = the default)."""
    estate = current_user.estate
    overrides, errors = {}, {}
    for row in clock_rows(estate):
        value = request.form.get(row["kind"], "").strip()
        if not value:
            continue
        if not value.isdigit() or not 0 <= int(value) <= 60 * 24 * 30:
            errors[row["kind"]] = _("Minutes from 0 to 43200.")
        else:
            overrides[row["kind"]] = int(value)
    if errors:
        return index(errors=errors, status=422)
    estate.set_setting("clocks", overrides)
    return redirect(url_for("settings.index"), code=303)


@bp.route("/routing", methods=["POST"])
def routing():
    """Save whom each kind of complaint goes to."""
    estate = current_user.estate
    valid = {u.id for u in User.select(User.id).where((User.estate == estate.id) & User.role.in_(roles.SUPERVISING))}
    chosen = {}
    for target in TARGETS:
        value = request.form.get(target, "")
        if value.isdigit() and int(value) in valid:
            chosen[target] = int(value)
        elif value.strip() not in ("", "0"):
            abort(404)  # nobody of this estate's supervisors: another estate's id, or a forged one
    estate.set_setting("complaint_routing", chosen)
    return redirect(url_for("settings.index"), code=303)


@bp.route("/prices", methods=["POST"])
def add_price():
    """Add a paid-service item, or change the price of one with the same name."""
    name = request.form.get("name", "").strip()[:80]
    try:
        price = Decimal(request.form.get("price", "").strip())
    except InvalidOperation:
        price = None
    if not name or price is None or price < 0 or price > 100000:
        return index(errors={"price": _("Give a name and a price from 0 to 100000 yuan.")}, status=422)
    item = PriceItem.get_or_none((PriceItem.estate == current_user.estate_id) & (PriceItem.name == name))
    if item:
        item.price, item.active = price, True
        item.save()
    else:
        PriceItem.create(estate=current_user.estate_id, name=name, price=price,
                         unit_label=request.form.get("unit_label", "次").strip()[:16] or "次")
    return redirect(url_for("settings.index"), code=303)


@bp.route("/prices/<int:item_id>/toggle", methods=["POST"])
def toggle_price(item_id):
    """Withdraw a price-list item from the offer, or offer it again."""
    item = get_scoped_or_404(PriceItem, item_id)
    item.active = not item.active
    item.save()
    return redirect(url_for("settings.index"), code=303)
