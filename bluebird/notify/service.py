"""What changes notification state: the inbox, quiet hours, subscriptions, dispatch, delivery.

notify() always lands in the inbox. Push goes out at the notification's send_after
(now, or the end of the user's quiet hours unless urgent): dispatch() claims due
notifications with a conditional UPDATE, makes one push per device per user (several
notifications at once become one), and the task queue delivers each one on its own.
"""
import base64
import binascii
import json
import logging
import secrets
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from fnmatch import fnmatch
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context, has_request_context
from flask.globals import app_ctx
from flask_babel import force_locale, gettext
from peewee import fn

from bluebird import clock
from bluebird.auth.models import User
from bluebird.db import db, prepared
from bluebird.estate.models import Estate
from bluebird.notify import push, wecom
from bluebird.notify.batching import Batcher
from bluebird.notify.models import Delivery, Notification, PushSubscription, WeComWebhook

log = logging.getLogger("bluebird.notify")

INBOX_URL = "/notifications/"
MAX_ATTEMPTS = 6  # a push or robot message is tried this often before it is given up
DISPATCH_BATCH = 2000
# A claim is a lease: a delivery queued but not picked up within QUEUE_LEASE (its task was
# lost: the enqueue never happened, the queue was reset), or held in `sending` past the
# send lease (its consumer died mid-POST), is handed to the queue again by the next tick.
QUEUE_LEASE = timedelta(minutes=5)
RECLAIM_BATCH = 500


def setting(name, default):
    """An app setting, or its default when no app is active (plain tick() in a test)."""
    return current_app.config.get(name, default) if has_app_context() else default


@contextmanager
def url_context():
    """Let url_for build links outside a request (the scheduler runs in the queue).

    A test request context would do, but popping it runs the app's teardown, which
    closes the scheduler's database connection; binding the app context's URL adapter
    does not. Links come out absolute then: local_path() keeps the path.
    """
    if has_request_context() or not has_app_context():
        yield
        return
    ctx = app_ctx._get_current_object()
    saved = ctx.url_adapter
    if saved is None:
        ctx.url_adapter = current_app.url_map.bind("localhost", script_name=current_app.config["APPLICATION_ROOT"])
    try:
        yield
    finally:
        ctx.url_adapter = saved


def local_path(url: str) -> str:
    """The path, query and anchor of a link, without scheme and host (a tap lands on the form)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def claim(model, ids, field, value) -> list[int]:
    """Set `field` on the rows of `ids` where it is still empty; return the ids this caller got.

    The conditional UPDATE is the claim: of two schedulers racing for a row, exactly one
    sees it changed.
    """
    got = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        query = model.update({field: value}).where(model.id.in_(chunk) & field.is_null())
        got.extend(row.id for row in query.returning(model.id).execute())
    return got


# ---------------------------------------------------------------- quiet hours


def local(now: datetime, tz: str) -> datetime:
    """A naive UTC time as a wall-clock time in the zone."""
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz or "Asia/Shanghai"))


def in_quiet_hours(user, now: datetime, tz: str) -> bool:
    """Tell whether `now` falls in the user's quiet hours (estate's zone)."""
    start, end = user.quiet_start, user.quiet_end
    if start == end:
        return False
    wall = local(now, tz)
    minute = wall.hour * 60 + wall.minute
    return start <= minute < end if start < end else (minute >= start or minute < end)


def quiet_hours_end(user, now: datetime, tz: str) -> datetime:
    """The next end of the user's quiet hours after `now`, as naive UTC."""
    zone = ZoneInfo(tz or "Asia/Shanghai")
    wall = local(now, tz)
    end = datetime.combine(wall.date(), time(user.quiet_end // 60, user.quiet_end % 60), tzinfo=zone)
    if end <= wall:
        end += timedelta(days=1)
    return end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def send_time(user, now: datetime, tz: str, urgent: bool) -> datetime:
    """When a push to this user may go: now, or when the quiet hours end."""
    if urgent or not in_quiet_hours(user, now, tz):
        return now
    return quiet_hours_end(user, now, tz)


def set_quiet_hours(user, start: int, end: int) -> None:
    """Set the user's quiet hours in minutes after local midnight (equal: none)."""
    User.update(quiet_start=start, quiet_end=end).where(User.id == user.id).execute()


# ---------------------------------------------------------------- inbox


def notify(user, title, body="", url=None, urgent=False, kind="info", now=None, tz=None,
           message=None) -> Notification:
    """Put a notice in the user's inbox; push follows now, or after quiet hours unless urgent.

    message: the title as a key (notify.messages.message), shown in the reader's language.
    """
    now = now or clock.now()
    tz = tz or Estate.get_by_id(user.estate_id).timezone
    send_after = send_time(user, now, tz, urgent)
    # wecom_due: the WeCom app message waits for the same time (its dispatcher skips those
    # who do not use WeCom).
    return Notification.create(user=user.id, kind=kind, title=str(title)[:200], body=str(body)[:2000],
                               message=message, url=url, urgent=urgent, created_at=now,
                               send_after=send_after, wecom_due=send_after)


def unread_count(user) -> int:
    """How many unread notifications the user has (the bell)."""
    return _unread.cursor(user_id=user.id).fetchone()[0]


@prepared
def _unread(*, user_id=0):
    """The bell's count, compiled once: every page asks it."""
    return Notification.unread(user_id).select(fn.COUNT(Notification.id))


def mark_read(user, notification_id=None, now=None) -> int:
    """Mark one of the user's notifications (or all of them) read."""
    query = (Notification.user == user.id) & Notification.read_at.is_null()
    if notification_id is not None:
        query &= Notification.id == notification_id
    return Notification.update(read_at=now or clock.now()).where(query).execute()


# ---------------------------------------------------------------- subscriptions


def endpoint_allowed(url: str, hosts: str) -> bool:
    """Accept only https URLs on the configured hosts (no posting to the office LAN)."""
    parts = urlsplit(url or "")
    scheme_ok = parts.scheme == "https" or (parts.scheme == "http" and setting("NOTIFY_ALLOW_HTTP", False))
    host = (parts.hostname or "").lower()
    patterns = [p.strip().lower() for p in (hosts or "").split(",") if p.strip()]
    return bool(scheme_ok and host and any(p == "*" or fnmatch(host, p) for p in patterns))


def valid_keys(p256dh: str, auth: str) -> bool:
    """Tell whether a subscription's keys are a P-256 point and a 16-byte secret (base64url)."""
    try:
        point = base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4))
        secret = base64.urlsafe_b64decode(auth + "=" * (-len(auth) % 4))
    except (ValueError, binascii.Error):
        return False
    return len(point) == 65 and point[0] == 4 and len(secret) == 16


def subscribe(user, endpoint, p256dh, auth, user_agent="") -> PushSubscription:
    """Remember a browser's push subscription for the user (a device changing hands moves)."""
    fields = dict(user=user.id, p256dh=p256dh, auth=auth, user_agent=(user_agent or "")[:200], failures=0,
                  backoff_until=None)
    with db.atomic():
        existing = PushSubscription.get_or_none(PushSubscription.endpoint == endpoint)
        if existing is not None:
            PushSubscription.update(**fields).where(PushSubscription.id == existing.id).execute()
            return PushSubscription.get_by_id(existing.id)
        return PushSubscription.create(endpoint=endpoint, **fields)


def unsubscribe(user, endpoint) -> int:
    """Forget one of the user's push subscriptions."""
    return PushSubscription.delete().where(
        (PushSubscription.user == user.id) & (PushSubscription.endpoint == endpoint)).execute()


# ---------------------------------------------------------------- dispatch


def _payload(user, notes) -> str:
    """The JSON a device gets for some notifications of one user, well under 4 KB."""
    if len(notes) == 1:
        note = notes[0]
        with force_locale(user.locale):
            title = note.shown_title
        data = {"title": title, "body": note.body, "url": f"/notifications/{note.id}",
                "item": note.url or INBOX_URL, "tag": f"n{note.id}", "urgent": note.urgent, "count": 1}
    else:
        with force_locale(user.locale):
            title = gettext("New notifications: %(num)d", num=len(notes))
            lines = [n.shown_title for n in notes[:8]] + (["…"] if len(notes) > 8 else [])
        data = {"title": title, "body": "\n".join(lines), "url": INBOX_URL, "item": INBOX_URL, "tag": "inbox",
                "urgent": any(n.urgent for n in notes), "count": len(notes)}
    text = json.dumps(data, ensure_ascii=False)
    while len(text.encode()) > push.MAX_PAYLOAD - 100 and len(data["body"]) > 20:
        data["body"] = data["body"][: len(data["body"]) * 2 // 3] + "…"
        text = json.dumps(data, ensure_ascii=False)
    return text


def new_delivery(channel, target, payload, user_id=None) -> Delivery:
    now = clock.now()
    return Delivery.create(channel=channel, target=target, user=user_id, payload=payload,
                           token=secrets.token_hex(8), created_at=now, lease_until=now + QUEUE_LEASE)


def send_lease() -> timedelta:
    """How long a sender holds a delivery: well past the HTTP timeout (a slow drip of bytes)."""
    seconds = setting("PUSH_LEASE_S", None)
    if seconds is None:
        seconds = 3 * float(setting("PUSH_TIMEOUT_S", 10.0)) + 30
    return timedelta(seconds=float(seconds))


def reclaim_expired(now=None) -> list[tuple[int, str]]:
    """Queue again every delivery whose lease ran out; give up those out of attempts.

    A `sending` one goes back to `queued` (its attempt counted: it may have reached the
    push service); a `queued` one nobody picked up gets a fresh lease. Each change is
    conditional on the lease it saw, so two schedulers reclaim a row once. Returns
    (id, token) pairs to enqueue after commit, as dispatch() does.
    """
    now = now or clock.now()
    stale = list(Delivery.select(Delivery.id, Delivery.token, Delivery.status, Delivery.attempts, Delivery.lease_until)
                 .where(Delivery.status.in_([Delivery.QUEUED, Delivery.SENDING]) & (Delivery.lease_until < now))
                 .order_by(Delivery.lease_until).limit(RECLAIM_BATCH))
    queued = []
    for d in stale:
        same = (Delivery.id == d.id) & (Delivery.status == d.status) & (Delivery.lease_until == d.lease_until)
        if d.status == Delivery.SENDING and d.attempts >= MAX_ATTEMPTS:
            Delivery.update(status=Delivery.FAILED, lease_until=None,
                            last_error="lease expired while sending: given up").where(same).execute()
            log.warning("delivery %s given up: its last sender vanished mid-send", d.id)
            continue
        if Delivery.update(status=Delivery.QUEUED, lease_until=now + QUEUE_LEASE).where(same).execute():
            if d.status == Delivery.SENDING:
                log.warning("delivery %s: its sender's lease expired; queued again", d.id)
            queued.append((d.id, d.token))
    return queued


def dispatch(now=None, user_id=None) -> list[tuple]:
    """Claim notifications whose time has come: one push per device of each user, and one
    WeCom app message per member (notify.wecom_app, within his send budget).

    Returns (delivery id, token[, delay]) for the caller to enqueue once this has committed.
    """
    from bluebird.notify import wecom_app

    now = now or clock.now()
    return dispatch_push(now, user_id) + wecom_app.dispatch(now, user_id)


def dispatch_push(now, user_id=None) -> list[tuple[int, str]]:
    """Claim notifications whose push time has come; queue one push per device of each user."""
    from bluebird.notify import wecom_app

    query = Notification.to_send(now).select(Notification.id, Notification.user)
    if user_id is not None:
        query = query.where(Notification.user == user_id)
    owners = {n.id: n.user_id for n in query.limit(DISPATCH_BATCH)}
    if not owners:
        return []
    queued = []
    with db.atomic():
        claimed = claim(Notification, list(owners), Notification.sent_at, now)
        if not claimed:
            return []
        people = list({owners[nid] for nid in claimed})
        devices = defaultdict(list)
        wecom_only = wecom_app.wecom_only(people)  # chose WeCom alone under 通知设置
        for sub in PushSubscription.select().where(PushSubscription.user.in_(people)):
            if sub.user_id not in wecom_only:
                devices[sub.user_id].append(sub)
        # Only the notices of people with a device are read (the claim is all it takes for the rest).
        mine = [nid for nid in claimed if owners[nid] in devices]
        if not mine:
            return []
        notes = defaultdict(list)
        for start in range(0, len(mine), 500):
            for note in Notification.select().where(Notification.id.in_(mine[start:start + 500])):
                notes[note.user_id].append(note)
        users = {u.id: u for u in User.select().where(User.id.in_(list(notes)))}
        for user_id, items in notes.items():
            items.sort(key=lambda n: n.id)
            payload = _payload(users[user_id], items)
            for sub in devices[user_id]:
                d = new_delivery("webpush", sub.id, payload, user_id)
                queued.append((d.id, d.token))
    return queued


def queue_wecom(estate_id, team, markdown) -> tuple[int, str] | None:
    """Queue a markdown message to the team's robot (else the estate's), if it has one."""
    hooks = {h.team: h for h in WeComWebhook.select().where(
        (WeComWebhook.estate == estate_id) & WeComWebhook.team.in_([team or "", ""]))}
    hook = hooks.get(team or "") or hooks.get("")
    if hook is None:
        return None
    d = new_delivery("wecom", hook.id, markdown)
    return d.id, d.token


def set_robot(estate_id, team, url) -> None:
    """Set (or with an empty url, remove) the WeCom robot of an estate's team."""
    query = (WeComWebhook.estate == estate_id) & (WeComWebhook.team == team)
    if not url:
        WeComWebhook.delete().where(query).execute()
        return
    with db.atomic():
        if not WeComWebhook.update(url=url, failures=0).where(query).execute():
            WeComWebhook.create(estate=estate_id, team=team, url=url)


def enqueue(queued) -> None:
    """Hand queued deliveries to the task queue (after their rows are committed).

    An item may carry a delay in seconds (a WeCom message held off :00 and :30).
    """
    if not queued:
        return
    from bluebird import tasks

    for item in queued:
        delivery_id, token = item[0], item[1]
        delay = item[2] if len(item) > 2 else 0
        if delay and not tasks.huey.immediate:
            tasks.deliver_task.schedule(args=(delivery_id, token), delay=delay)
        else:
            tasks.deliver_task(delivery_id, token)


# ---------------------------------------------------------------- delivery


# What a sender reads of the row it claimed (the payload, and what settles it), no more.
CLAIMED = (Delivery.id, Delivery.channel, Delivery.target, Delivery.user, Delivery.payload, Delivery.status,
           Delivery.attempts)


def deliver(delivery_id, token, now=None) -> float | None:
    """Send one queued delivery; return seconds to wait before a retry, or None when done."""
    now = now or clock.now()
    delivery = _claims((delivery_id, token, now))
    if delivery is None:
        return None  # sent already, being sent, given up, or a stale task from a reset database
    if delivery.channel == "webpush":
        return _deliver_push(delivery, now)
    if delivery.channel == "wxapp":
        from bluebird.notify import wecom_app

        return wecom_app.deliver(delivery, now)
    return _deliver_wecom(delivery, now)


def _claim_batch(items) -> list:
    """Claim the deliveries that sender threads asked for at once: one UPDATE per `now`
    (clock.now() is to the second: one for all, as a rule), then one read of what the
    WeCom app messages among them need (wecom_app.prepare)."""
    from bluebird.notify import wecom_app

    got = {}
    by_now = defaultdict(list)
    for delivery_id, token, now in items:
        by_now[now].append((delivery_id, token))
    for now, pairs in by_now.items():
        for row in Delivery.claim(list(dict.fromkeys(pairs)), now + send_lease(), CLAIMED + (Delivery.token,)):
            got[row.id, row.token] = row
    wecom_app.prepare([d for d in got.values() if d.channel == "wxapp"])
    # A delivery asked for twice (a duplicate task) is claimed once: the first asker gets it.
    return [got.pop((delivery_id, token), None) for delivery_id, token, _ in items]


def _settle_batch(items) -> list:
    """Write the settles that sender threads handed in at once: one UPDATE per distinct set
    of fields (all the sent ones of the same second, as a rule), in one transaction."""
    groups = defaultdict(list)
    for delivery_id, attempts, fields in items:
        groups[tuple(fields.items())].append((delivery_id, attempts))
    if len(items) == 1:
        Delivery.settle(*[(pairs, dict(key)) for key, pairs in groups.items()][0])
    else:
        with db.atomic():  # one turn at the write gate and one commit for them all
            for key, pairs in groups.items():
                Delivery.settle(pairs, dict(key))
    return [None] * len(items)


# Sender threads hand their claim and their settle in to these (notify.batching): those
# that come at once are written together, and none returns before its own is written.
_claims = Batcher(_claim_batch)
_settles = Batcher(_settle_batch)


def _mine(delivery):
    """The row as this sender claimed it: a sender whose lease was taken over changes nothing."""
    return ((Delivery.id == delivery.id) & (Delivery.status == Delivery.SENDING)
            & (Delivery.attempts == delivery.attempts))


def _settle(delivery, status, result=None, retry_in=None, now=None):
    fields = {"status": status, "lease_until": None}
    if result is not None:
        fields.update(last_status=result.status, last_error=result.error[:300])
    if status == Delivery.SENT:
        fields["sent_at"] = now
    if retry_in is not None:
        fields["next_try_at"] = now + timedelta(seconds=retry_in)
        fields["lease_until"] = fields["next_try_at"] + QUEUE_LEASE  # the retry task's lease
    _settles((delivery.id, delivery.attempts, fields))


def _retry_delay(delivery, result) -> float | None:
    """How long to wait before the next try, or None when it is time to give up."""
    if delivery.attempts >= MAX_ATTEMPTS:
        return None
    if result.status == 429:
        return result.retry_after or 60.0
    base = float(setting("PUSH_RETRY_BASE_S", 30.0))
    return min(base * 2 ** (delivery.attempts - 1), 3600.0)


def _deliver_push(delivery, now):
    sub = PushSubscription.get_or_none(PushSubscription.id == delivery.target)
    if sub is None:
        _settle(delivery, Delivery.GONE, now=now)
        return None
    if sub.backoff_until and sub.backoff_until > now:
        # The push service asked us to slow down: wait without spending an attempt.
        wait = (sub.backoff_until - now).total_seconds()
        Delivery.update(status=Delivery.QUEUED, attempts=Delivery.attempts - 1, next_try_at=sub.backoff_until,
                        lease_until=sub.backoff_until + QUEUE_LEASE).where(_mine(delivery)).execute()
        return max(wait, 1.0)
    config = current_app.config
    result = push.send_webpush(sub.info(), delivery.payload.encode(), private_key=config["VAPID_PRIVATE_KEY"],
                               subject=config["VAPID_SUBJECT"], ttl_hours=config["PUSH_TTL_HOURS"],
                               timeout=config["PUSH_TIMEOUT_S"],
                               urgent=json.loads(delivery.payload).get("urgent", False))
    if result.ok:
        with db.atomic():  # one commit for both rows
            if sub.failures or sub.backoff_until or sub.last_ok_at != now:
                PushSubscription.update(last_ok_at=now, failures=0, backoff_until=None).where(
                    PushSubscription.id == sub.id).execute()
            _settle(delivery, Delivery.SENT, result, now=now)
        return None
    if result.gone:
        log.info("push subscription %s is gone (%s): deleted", sub.id, result.status)
        PushSubscription.delete().where(PushSubscription.id == sub.id).execute()
        _settle(delivery, Delivery.GONE, result, now=now)
        return None
    return _failed(delivery, result, now, sub)


def _deliver_wecom(delivery, now):
    hook = WeComWebhook.get_or_none(WeComWebhook.id == delivery.target)
    if hook is None:
        _settle(delivery, Delivery.GONE, now=now)
        return None
    result = wecom.send_wecom(hook.url, delivery.payload, timeout=current_app.config["PUSH_TIMEOUT_S"])
    if result.ok:
        WeComWebhook.update(last_ok_at=now, failures=0).where(WeComWebhook.id == hook.id).execute()
        _settle(delivery, Delivery.SENT, result, now=now)
        return None
    WeComWebhook.update(failures=WeComWebhook.failures + 1).where(WeComWebhook.id == hook.id).execute()
    return _failed(delivery, result, now)


def _failed(delivery, result, now, sub=None):
    transient = result.status is None or result.status >= 500 or result.status == 429
    if sub is not None:
        fields = {"failures": PushSubscription.failures + 1}
        if result.status == 429:
            fields["backoff_until"] = now + timedelta(seconds=result.retry_after or 60.0)
        PushSubscription.update(fields).where(PushSubscription.id == sub.id).execute()
    delay = _retry_delay(delivery, result) if transient else None
    if delay is None:
        log.warning("%s delivery %s failed for good after %s attempt(s): %s %s", delivery.channel, delivery.id,
                    delivery.attempts, result.status, result.error)
        _settle(delivery, Delivery.FAILED, result, now=now)
        return None
    log.warning("%s delivery %s failed (%s %s), retry in %.0f s", delivery.channel, delivery.id, result.status,
                result.error[:100], delay)
    _settle(delivery, Delivery.QUEUED, result, retry_in=delay, now=now)
    return delay
