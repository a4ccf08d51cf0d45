"""Staff administration (admin only): create, edit, deactivate, reset password."""
from flask import Blueprint, abort, flash, redirect, request, url_for
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


def _form(actor, **kwargs) -> StaffForm:
    """The staff form; only a company administrator sees (and may send) the estate."""
    form = StaffForm(**kwargs)
    if actor.is_company_admin:
        form.fill_choices(Estate.select().order_by(Estate.name),
                          Patch.select(Patch, Estate).join(Estate).order_by(Estate.name, Patch.position, Patch.id), by_estate=True)
    else:
        form.fill_choices([], Patch.ordered(estate_id()))
        del form.estate
    return form


def _refuse_other_estates(actor):
    """An estate's admin never names another estate: a posted one is refused, not ignored."""
    wanted = request.form.get("estate")
    if request.method == "POST" and wanted is not None and not actor.is_company_admin:
        if wanted != str(actor.estate_id):
            abort(403)


def _placement(form, actor):
    """The estate and patch the form asks for, or None with the error next to the field."""
    chosen = form.estate.data if form.estate is not None else actor.estate_id
    wanted = form.patch.data or None
    if wanted and not Patch.get_or_none((Patch.id == wanted) & (Patch.estate == chosen)):
        form.patch.errors.append(_("Choose a patch of this estate."))
        return None
    return chosen, wanted


def _staff_or_404(actor, user_id) -> User:
    """A staff account the actor may manage: his estate's, or any for a company admin;
    never a company admin's account for an estate admin (a password reset would hand
    over the company)."""
    user = User.get_or_none(User.id == user_id) if actor.is_company_admin else get_scoped_or_404(User, user_id)
    if user is None:
        abort(404)
    if user.is_company_admin and not actor.is_company_admin:
        abort(403)
    return user


@bp.route("/")
def index():
    """List the estate's staff (a company administrator sees every estate's)."""
    everyone = current_user.is_company_admin
    staff = User.everyone() if everyone else User.in_estate(estate_id())
    return render("staff/index.html", staff=staff, every_estate=everyone)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create a staff account."""
    actor = current_user._get_current_object()
    _refuse_other_estates(actor)
    form = _form(actor, estate=estate_id())
    if form.validate_on_submit():
        placement = _placement(form, actor)
        if not form.password.data:
            form.password.errors.append(_("Set a first password of at least 8 characters."))
        elif placement:
            try:
                service.create_staff(
                    form.client_uuid.data,
                    estate_id=placement[0],
                    username=form.username.data,
                    name=form.name.data,
                    role=form.role.data,
                    password=form.password.data,
                    phone=form.phone.data,
                    patch_id=placement[1],
                    actor=actor,
                )
                flash(_("Staff member %(name)s (%(username)s) created.", name=form.name.data, username=form.username.data), "ok")
                return redirect(url_for("staff.index"), code=303)
            except service.DuplicateUsername:
                form.username.errors.append(_("This username is taken."))
    status = 422 if request.method == "POST" else 200
    return render("staff/form.html", form=form, staff_user=None, status=status)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id):
    """Change a staff account: role, estate (company admin only), patch, active."""
    actor = current_user._get_current_object()
    user = _staff_or_404(actor, user_id)
    _refuse_other_estates(actor)
    form = _form(
        actor,
        username=user.username,
        name=user.name,
        phone=user.phone,
        role=user.role,
        estate=user.estate_id,
        patch=user.patch_id or 0,
        active=user.active,
    )
    if form.validate_on_submit():
        placement = _placement(form, actor)
        if user.id == actor.id and (not form.active.data or form.role.data != roles.ADMIN):
            form.active.errors.append(_("You cannot remove your own admin access."))
        elif placement:
            try:
                service.update_staff(
                    user,
                    username=form.username.data,
                    name=form.name.data,
                    role=form.role.data,
                    phone=form.phone.data,
                    estate_id=placement[0],
                    patch_id=placement[1],
                    active=form.active.data,
                    actor=actor,
                )
                return redirect(url_for("staff.index"), code=303)
            except service.DuplicateUsername:
                form.username.errors.append(_("This username is taken."))
    status = 422 if request.method == "POST" else 200
    return render("staff/form.html", form=form, staff_user=user, status=status)


@bp.route("/<int:user_id>/reset-password", methods=["POST"])
def reset_password(user_id):
    """Give a staff member a new password, shown once."""
    user = _staff_or_404(current_user, user_id)
    password = service.reset_password(user)
    return render("staff/reset.html", staff_user=user, password=password)
