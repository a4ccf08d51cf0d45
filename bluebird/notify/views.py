"""The inbox and its bell, push subscriptions, notification settings, WeCom robots."""
from datetime import time

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.notify import push, service, wecom, wecom_app
from bluebird.notify.forms import (
    TEAMS,
    ChannelForm,
    MemberForm,
    QuietHoursForm,
    WeComAppForm,
    WeComForm,
)
from bluebird.notify.models import Notification, NotifyProfile, PushSubscription, WeComWebhook
from bluebird.web import estate_id, get_scoped_or_404, render, require_role, safe_next

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


def _settings_page(form=None, status=200, channel_form=None):
    user = current_user
    if form is None:
        on = user.quiet_start != user.quiet_end
        form = QuietHoursForm(enabled=on, start=time(user.quiet_start // 60, user.quiet_start % 60),
                              end=time(user.quiet_end // 60, user.quiet_end % 60))
    profile = NotifyProfile.of(user.id)
    if channel_form is None:
        channel_form = ChannelForm(channel=profile.channel, formdata=None)
    return render("notify/settings.html", "notify/_settings.html", status=status, form=form,
                  channel_form=channel_form, profile=profile, wecom_connected=wecom_app.app_of(user.estate_id),
                  last_push=wecom_app.last_delivery(user.id, "webpush"),
                  last_wecom=wecom_app.last_delivery(user.id, wecom_app.CHANNEL),
                  devices=PushSubscription.select().where(PushSubscription.user == user.id).count(),
                  vapid_key=push.public_key(current_app.config["VAPID_PRIVATE_KEY"]),
                  supervises=user.role in roles.SUPERVISING, is_admin=user.role == roles.ADMIN)


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


@bp.route("/settings/channel", methods=["POST"])
@login_required
def channel():
    """Choose where my reminders go: push, WeCom or both (the inbox always has them)."""
    form = ChannelForm()
    if not form.validate_on_submit():
        return _settings_page(status=400, channel_form=form)
    wecom_app.set_channel(current_user.id, form.channel.data)
    flash(_("Channels saved."), "ok")
    return redirect(url_for("auth.me"), code=303)


# ---------------------------------------------------------------- 设置 › 企业微信 (the app)


def _staff():
    return list(User.select().where((User.estate == estate_id()) & User.active).order_by(User.role, User.name))


def _wecom_app_page(form=None, status=200, member_errors=None, matched=None):
    app = wecom_app.app_of(estate_id())
    if form is None:
        form = WeComAppForm(formdata=None, corpid=app.corp_id if app else "", agentid=app.agent_id if app else "",
                            base_url=(app.base_url if app else "") or request.host_url.rstrip("/"))
    staff = _staff()
    return render("notify/wecom_app.html", status=status, form=form, app=app, staff=staff,
                  profiles=wecom_app.profiles(u.id for u in staff), member_errors=member_errors or {},
                  matched=matched, public_url=current_app.config.get("PUBLIC_URL", ""),
                  api_ok=wecom_app.api_allowed())


@bp.route("/wecom-app", methods=["GET", "POST"])
@login_required
def wecom_app_settings():
    """Connect the estate's WeCom self-built app: corp id, agent id, secret (kept out of pages)."""
    require_role(roles.ADMIN)
    if request.method == "GET":
        return _wecom_app_page()
    form = WeComAppForm()
    app = wecom_app.app_of(estate_id())
    if not form.validate_on_submit():
        return _wecom_app_page(form, status=400)
    secret = (form.secret.data or "").strip()
    if app is None and not secret:
        form.secret.errors.append(_("Copy the app's Secret from its page in the WeCom admin console."))
        return _wecom_app_page(form, status=400)
    wecom_app.set_app(estate_id(), form.corpid.data.strip(), form.agentid.data.strip(), secret or None,
                      (form.base_url.data or "").strip().rstrip("/"))
    flash(_("WeCom app saved."), "ok")
    return redirect(url_for("notify.wecom_app_settings"), code=303)


@bp.route("/wecom-app/test", methods=["POST"])
@login_required
def wecom_app_test():
    """Fetch a fresh access token: proves the corp id and secret (nothing is sent)."""
    require_role(roles.ADMIN)
    app = wecom_app.app_of(estate_id())
    if app is None:
        abort(404)
    try:
        wecom_app.access_token(app, stale=app.access_token)
    except wecom_app.TokenError as exc:
        flash(_("WeCom did not accept the app: %(error)s", error=str(exc)[:120]), "error")
    else:
        flash(_("Connected: WeCom accepted the corp ID and secret."), "ok")
    return redirect(url_for("notify.wecom_app_settings"), code=303)


@bp.route("/wecom-app/match", methods=["POST"])
@login_required
def wecom_app_match():
    """Find each member of staff's WeCom userid by his phone number (where the app may read it)."""
    require_role(roles.ADMIN)
    if wecom_app.app_of(estate_id()) is None:
        abort(404)
    result = wecom_app.match_by_phone(estate_id())
    if result["error"]:
        flash(_("Matching by phone stopped: %(error)s. The app may not read the directory: set the userids by hand.",
                error=result["error"][:120]), "error")
    else:
        flash(_("Matched by phone: %(n)d. Not found: %(m)d.", n=len(result["matched"]), m=len(result["missing"])),
              "ok")
    return redirect(url_for("notify.wecom_app_settings"), code=303)


@bp.route("/wecom-app/members/<int:user_id>", methods=["POST"])
@login_required
def wecom_app_member(user_id):
    """Set one member of staff's WeCom userid (empty: none)."""
    require_role(roles.ADMIN)
    user = get_scoped_or_404(User, user_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _wecom_app_page(status=400, member_errors={user.id: form.userid.errors[0]})
    wecom_app.set_userid(user.id, form.userid.data or "")
    flash(_("WeCom userid of %(name)s saved.", name=user.name), "ok")
    return redirect(url_for("notify.wecom_app_settings") + f"#member-{user.id}", code=303)
