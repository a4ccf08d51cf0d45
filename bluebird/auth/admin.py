"""Staff administration (admin only): create, edit, deactivate, reset password."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bluebird.auth import roles, service
from bluebird.auth.forms import StaffForm
from bluebird.auth.models import User
from bluebird.estate.models import Estate, Patch
from bluebird.web import estate_id, get_scoped_or_404, render, require_role

bp = Blueprint("staff", __name__, url_prefix="/admin/staff")


@bp.before_request
@login_required
def admins_only():
    require_role(roles.ADMIN)


def _form(**kwargs) -> StaffForm:
    form = StaffForm(**kwargs)
    form.fill_choices(Estate.select().order_by(Estate.name), Patch.ordered(estate_id()))
    return form


def _patch_id(form):
    """The chosen patch, if it is one of the chosen estate's patches."""
    wanted = form.patch.data or None
    if wanted and Patch.get_or_none((Patch.id == wanted) & (Patch.estate == form.estate.data)):
        return wanted
    return None


@bp.route("/")
def index():
    """List the estate's staff."""
    return render("staff/index.html", staff=User.in_estate(estate_id()))


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create a staff account."""
    form = _form(estate=estate_id())
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("Set a first password of at least 8 characters."))
        else:
            try:
                service.create_staff(
                    form.client_uuid.data,
                    estate_id=form.estate.data,
                    username=form.username.data,
                    name=form.name.data,
                    role=form.role.data,
                    password=form.password.data,
                    phone=form.phone.data,
                    patch_id=_patch_id(form),
                )
                flash(_("Staff member %(name)s (%(username)s) created.", name=form.name.data, username=form.username.data), "ok")
                return redirect(url_for("staff.index"), code=303)
            except service.DuplicateUsername:
                form.username.errors.append(_("This username is taken."))
    status = 422 if request.method == "POST" else 200
    return render("staff/form.html", form=form, staff_user=None, status=status)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id):
    """Change a staff account: role, estate, patch, active."""
    user = get_scoped_or_404(User, user_id)
    form = _form(
        username=user.username,
        name=user.name,
        phone=user.phone,
        role=user.role,
        estate=user.estate_id,
        patch=user.patch_id or 0,
        active=user.active,
    )
    if form.validate_on_submit():
        if user.id == current_user.id and (not form.active.data or form.role.data != roles.ADMIN):
            form.active.errors.append(_("You cannot remove your own admin access."))
        else:
            try:
                service.update_staff(
                    user,
                    username=form.username.data,
                    name=form.name.data,
                    role=form.role.data,
                    phone=form.phone.data,
                    estate_id=form.estate.data,
                    patch_id=_patch_id(form),
                    active=form.active.data,
                )
                return redirect(url_for("staff.index"), code=303)
            except service.DuplicateUsername:
                form.username.errors.append(_("This username is taken."))
    status = 422 if request.method == "POST" else 200
    return render("staff/form.html", form=form, staff_user=user, status=status)


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
def reset_password(user_id):
    """Give a staff member a new password, shown once."""
    user = get_scoped_or_404(User, user_id)
    password = service.reset_password(user)
    return render("staff/reset.html", staff_user=user, password=password)
