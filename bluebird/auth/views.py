"""Login, logout and the 我的 (me) page."""
from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from bluebird import clock
from bluebird.auth import service
from bluebird.auth.forms import LocaleForm, LoginForm, PasswordForm
from bluebird.auth.limits import (
    failed,
    ip_limit,
    known_device,
    login_key,
    remember_device,
    username_everywhere_limit,
    username_key,
    username_limit,
)
from bluebird.extensions import LOCALES, limiter
from bluebird.web import render, safe_next

bp = Blueprint("auth", __name__)


# Only failed attempts count (deduct_when). Three limits: one username from one address (or
# one known device); one address over all usernames (a guesser trying many accounts); and,
# higher, one username over all addresses (guesses spread over many addresses). A device
# the user signed in on before is exempt from the last two, so nobody can lock the owner
# out of her own phone or desk tablet.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ip_limit, methods=["POST"], deduct_when=failed, exempt_when=lambda: bool(known_device()))
@limiter.limit(username_everywhere_limit, methods=["POST"], deduct_when=failed, key_func=username_key,
               exempt_when=lambda: bool(known_device()))
@limiter.limit(username_limit, methods=["POST"], deduct_when=failed, key_func=login_key)
def login():
    """Sign in with a username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("shell.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = service.authenticate(form.username.data, form.password.data)
        if user is not None:
            if session.get("locale") in LOCALES:  # the language picked on this page sticks
                service.set_locale(user, session.pop("locale"))
            login_user(service.open_session(user), remember=True)
            session.permanent = True
            response = redirect(safe_next(form.next.data) or url_for("shell.home"), code=303)
            return remember_device(response, user.username.lower())
        form.password.errors.append(_("Wrong username or password."))
        return render("auth/login.html", form=form, status=401)
    status = 400 if form.errors else 200
    return render("auth/login.html", form=form, status=status)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out and go back to the login page; the session ends on the server too."""
    if current_user.is_authenticated:
        service.close_session(current_user)
    logout_user()
    session.pop("locale", None)
    return redirect(url_for("auth.login"), code=303)


@bp.route("/language/<code>", methods=["POST"])
def choose_language(code):
    """Pick the language before logging in (kept in the session)."""
    if code in LOCALES:
        session["locale"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("auth.login"), code=303)


@bp.route("/me")
@login_required
def me():
    """Show the user's own page: profile, language, password."""
    return render(
        "auth/me.html",
        locale_form=LocaleForm(locale=current_user.locale),
        password_form=PasswordForm(),
        now=clock.now(),
    )


@bp.route("/me/language", methods=["POST"])
@login_required
def set_language():
    """Change the user's language."""
    form = LocaleForm()
    if form.validate_on_submit():
        service.set_locale(current_user, form.locale.data)
    return redirect(url_for("auth.me"), code=303)


@bp.route("/me/password", methods=["POST"])
@login_required
def change_password():
    """Change one's own password, knowing the current one."""
    form = PasswordForm()
    if form.validate_on_submit():
        if service.change_password(current_user, form.current.data, form.new.data):
            # Every session ended with the old password; this device gets a new one.
            login_user(service.open_session(current_user._get_current_object()), remember=True)
            flash(_("Password changed."), "ok")
            return redirect(url_for("auth.me"), code=303)
        form.current.errors.append(_("The current password is wrong."))
    return render(
        "auth/me.html",
        locale_form=LocaleForm(locale=current_user.locale),
        password_form=form,
        status=400,
    )
