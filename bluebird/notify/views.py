"""The inbox and its bell, push subscriptions, notification settings, WeCom robots."""
from datetime import time

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from bluebird import clock
from bluebird.auth import roles
from bluebird.notify import push, service, wecom
from bluebird.notify.forms import TEAMS, QuietHoursForm, WeComForm
from bluebird.notify.models import Notification, PushSubscription, WeComWebhook
from bluebird.web import estate_id, render, require_role, safe_next

bp = Blueprint("notify", __name__, url_prefix="/notifications")

INBOX_LIMIT = 100


@bp.route("/")
@login_required
def index():
    """List my notifications, newest first."""
    notes = list(Notification.inbox(current_user.id).limit(INBOX_LIMIT))
    return render("notify/index.html", notes=notes, unread=sum(1 for n in notes if n.read_at is None))


@bp.route("/bell")
@login_required
def bell():
    """The bell with my unread count (htmx polls it)."""
    return render("notify/_bell.html", "notify/_bell.html")


@bp.route("/<int:notification_id>")
@login_required
def open_note(notification_id):
    """Mark one of my notifications read and go to the item it is about."""
    note = Notification.get_or_none((Notification.id == notification_id) & (Notification.user == current_user.id))
    if note is None:
        abort(404)
    service.mark_read(current_user, note.id)
    return redirect(safe_next(note.url) or url_for("notify.index"), code=303)


@bp.route("/read", methods=["POST"])
@login_required
def read_all():
    """Mark all my notifications read."""
    service.mark_read(current_user)
    return redirect(url_for("notify.index"), code=303)


def _minutes(value: time | None) -> int:
    return value.hour * 60 + value.minute if value else 0


def _settings_page(form=None, status=200):
    user = current_user
    if form is None:
        on = user.quiet_start != user.quiet_end
        form = QuietHoursForm(enabled=on, start=time(user.quiet_start // 60, user.quiet_start % 60),
                              end=time(user.quiet_end // 60, user.quiet_end % 60))
    return render("notify/settings.html", "notify/_settings.html", status=status, form=form,
                  devices=PushSubscription.select().where(PushSubscription.user == user.id).count(),
                  vapid_key=push.public_key(current_app.config["VAPID_PRIVATE_KEY"]),
                  supervises=user.role in roles.SUPERVISING)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Explain push, turn it on for this device, set my quiet hours."""
    if request.method == "GET":
        return _settings_page()
    form = QuietHoursForm()
    if not form.validate_on_submit():
        return _settings_page(form, status=400)
    start, end = (_minutes(form.start.data), _minutes(form.end.data)) if form.enabled.data else (0, 0)
    service.set_quiet_hours(current_user, start, end)
    flash(_("Quiet hours saved."), "ok")
    return redirect(url_for("auth.me"), code=303)


def _json_error(message, status=400):
    return jsonify(ok=False, error=message), status


@bp.route("/subscribe", methods=["POST"])
@login_required
def subscribe():
    """Store this browser's push subscription (JSON from PushSubscription.toJSON())."""
    data = request.get_json(silent=True) or {}
    endpoint = str(data.get("endpoint") or "")
    keys = data.get("keys") or {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    if not endpoint or len(endpoint) > 1000 or len(p256dh) > 200 or len(auth) > 100 \
            or not service.valid_keys(p256dh, auth):
        return _json_error(_("This browser sent an incomplete subscription."))
    if not service.endpoint_allowed(endpoint, current_app.config["PUSH_HOSTS"]):
        return _json_error(_("This browser's push service is not one Bluebird sends to."))
    old = str(data.get("old_endpoint") or "")
    if old and old != endpoint:
        service.unsubscribe(current_user, old)
    sub = service.subscribe(current_user, endpoint, p256dh, auth, request.headers.get("User-Agent", ""))
    return jsonify(ok=True, id=sub.id), 201


@bp.route("/unsubscribe", methods=["POST"])
@login_required
def unsubscribe():
    """Forget this browser's push subscription."""
    data = request.get_json(silent=True) or {}
    removed = service.unsubscribe(current_user, str(data.get("endpoint") or ""))
    return jsonify(ok=True, removed=removed)


@bp.route("/push-config")
@login_required
def push_config():
    """What the service worker needs to subscribe again by itself: the key and a CSRF token."""
    return jsonify(key=push.public_key(current_app.config["VAPID_PRIVATE_KEY"]), csrf=generate_csrf(),
                   subscribe=url_for("notify.subscribe"))


@bp.route("/test", methods=["POST"])
@login_required
def test():
    """Send myself a test notification at once, to every device of mine."""
    now = clock.now()
    service.notify(current_user, _("Test notification"), _("Reminders will arrive like this one."),
                   url_for("notify.settings"), urgent=True, now=now)
    service.enqueue(service.dispatch(now, user_id=current_user.id))
    flash(_("A test notification is on its way to your devices."), "ok")
    return redirect(url_for("auth.me"), code=303)


@bp.route("/wecom", methods=["GET", "POST"])
@login_required
def wecom_robots():
    """Set the WeCom group robots of my estate, one per team."""
    require_role(roles.MANAGER, roles.ADMIN)
    hooks = {h.team: h for h in WeComWebhook.select().where(WeComWebhook.estate == estate_id())}
    if request.method == "GET":
        form = WeComForm(data={f"url_{team or 'all'}": hooks[team].url for team in hooks})
        return render("notify/wecom.html", form=form, teams=TEAMS, hooks=hooks)
    form = WeComForm()
    if not form.validate_on_submit():
        return render("notify/wecom.html", form=form, teams=TEAMS, hooks=hooks, status=400)
    for team, _label in TEAMS:
        url = (getattr(form, f"url_{team or 'all'}").data or "").strip()
        service.set_robot(estate_id(), team, url)
    if request.form.get("test"):
        results = [wecom.send_wecom(h.url, _("**Bluebird** · this group will get due and overdue notices."),
                                    timeout=current_app.config["PUSH_TIMEOUT_S"])
                   for h in WeComWebhook.select().where(WeComWebhook.estate == estate_id())]
        failed = [r for r in results if not r.ok]
        if failed:
            flash(_("Saved. %(n)d robot(s) did not take the test message: %(error)s", n=len(failed),
                    error=failed[0].error[:120]), "error")
        else:
            flash(_("Saved. The test message went to %(n)d group(s).", n=len(results)), "ok")
    else:
        flash(_("Robots saved."), "ok")
    return redirect(url_for("notify.wecom_robots"), code=303)
