"""WeCom app messages to the person: the estate's self-built app, its shared access token,
each member's send budget, and the delivery of one text card.

A notification is made with `wecom_due` (= its send_after: now, or the end of the
reader's quiet hours). dispatch() takes the due ones of every member who uses WeCom, at
most one message per member per run, and only while his budget lasts: WeCom drops
messages above 30 a minute and 1,000 an hour per member without a word, so a member over
budget keeps his waiting and they go later in one card ("10 duties due" is one notice).

A delivery is claimed and leased like a push (service.deliver). Its card carries the
delivery id in the link and asks WeCom for its duplicate check, so a retry after a crash
mid-send is dropped by WeCom if the first one got through.

The access token is cached in the app's row for every worker. When it is missing or
near its end, the worker that takes the refresh lease (a conditional UPDATE) fetches
it; the others wait for the row. A token WeCom refuses (40014/42001) is dropped by the
first worker to see it (conditional on its value), so it is fetched again once.
"""
import json
import logging
import random
import secrets
import time
from collections import defaultdict
from datetime import timedelta

from flask_babel import force_locale, gettext

from bluebird import clock
from bluebird.auth import roles
from bluebird.auth.models import User
from bluebird.db import db, is_postgres, prepared
from bluebird.notify import messages, service, wecom
from bluebird.notify.models import Delivery, Notification, NotifyProfile, WeComApp
from bluebird.notify.push import PushResult

log = logging.getLogger("bluebird.notify.wecom")

CHANNEL = "wxapp"
TOKEN_MARGIN = timedelta(minutes=5)  # a token is renewed this long before WeCom's expiry
TOKEN_WAIT_STEP = 0.03
RATE_LIMITED_WAIT_S = 60.0  # 45009: try again after this (then the usual backoff)
DIRECTORY_DENIED = {48002, 60011, 60020}  # the app may not read the directory (API 无权限 / IP)
MAX_LINES = 8


# The row is the shared cache; each process keeps what it last read from it, so a message
# costs no read of the row (a token refused by WeCom drops this copy and the row's).
_memo: dict[int, tuple[str, object]] = {}


class TokenError(Exception):
    """No access token could be had (wrong secret, WeCom unreachable, another holds the lease)."""


def api_base() -> str:
    return str(service.setting("WECOM_API_BASE", "https://qyapi.weixin.qq.com")).rstrip("/")


def api_allowed(base: str | None = None) -> bool:
    """The API host must be on the allow-list, as robots and push services are (no SSRF)."""
    return service.endpoint_allowed((base or api_base()) + "/", service.setting("WECOM_HOSTS", "qyapi.weixin.qq.com"))


def _timeout() -> float:
    return float(service.setting("PUSH_TIMEOUT_S", 10.0))


# ---------------------------------------------------------------- the app and the people


def app_of(estate_id) -> WeComApp | None:
    return WeComApp.get_or_none(WeComApp.estate == estate_id)


def set_app(estate_id, corp_id, agent_id, secret=None, base_url="") -> WeComApp:
    """Connect the estate's app, or change it; an empty secret keeps the stored one."""
    now = clock.now()
    with db.atomic():
        app = app_of(estate_id)
        if app is None:
            if not secret:
                raise ValueError("a new app needs its secret")
            return WeComApp.create(estate=estate_id, corp_id=corp_id, agent_id=agent_id, secret=secret,
                                   base_url=base_url, created_at=now, updated_at=now)
        fields = {"corp_id": corp_id, "agent_id": agent_id, "base_url": base_url, "updated_at": now}
        if secret:
            fields["secret"] = secret
        if secret or corp_id != app.corp_id:  # the cached token belongs to the old credentials
            fields.update(access_token=None, token_expires_at=None)
            _memo.pop(app.id, None)
        WeComApp.update(fields).where(WeComApp.id == app.id).execute()
    return WeComApp.get_by_id(app.id)


def disconnect(estate_id) -> int:
    return WeComApp.delete().where(WeComApp.estate == estate_id).execute()


def _profile_fields(user_id, **fields):
    """Upsert a person's notify profile."""
    fields["updated_at"] = clock.now()
    with db.atomic():
        if not NotifyProfile.update(fields).where(NotifyProfile.user == user_id).execute():
            NotifyProfile.create(user=user_id, **fields)


def set_userid(user_id, userid: str) -> None:
    """Set (or with "" clear) a person's WeCom userid; a new one is no longer marked bad."""
    _profile_fields(user_id, wecom_userid=(userid or "").strip()[:64], wecom_bad_at=None, wecom_bad_reason="")


def set_channel(user_id, channel: str) -> None:
    if channel not in (NotifyProfile.PUSH, NotifyProfile.WECOM, NotifyProfile.BOTH):
        raise ValueError(channel)
    _profile_fields(user_id, channel=channel)


def profiles(user_ids) -> dict[int, NotifyProfile]:
    ids = list(user_ids)
    return {p.user_id: p for p in NotifyProfile.select().where(NotifyProfile.user.in_(ids))} if ids else {}


def wecom_only(user_ids) -> set[int]:
    """Those of these people who chose WeCom alone (no push to their devices)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return {p.user_id for p in NotifyProfile.select(NotifyProfile.user).where(
        NotifyProfile.user.in_(ids) & (NotifyProfile.channel == NotifyProfile.WECOM))}


def last_delivery(user_id, channel) -> Delivery | None:
    return (Delivery.select().where((Delivery.user == user_id) & (Delivery.channel == channel))
            .order_by(Delivery.id.desc()).first())


def match_by_phone(estate_id) -> dict:
    """Look up the WeCom userid of every active member of staff with a phone and none yet.

    Returns {"matched": [names], "missing": [names], "error": text or ""}. Stops at the
    first sign that the app may not read the directory.
    """
    app = app_of(estate_id)
    result = {"matched": [], "missing": [], "error": ""}
    if app is None:
        result["error"] = "not connected"
        return result
    have = {p.user_id for p in NotifyProfile.select(NotifyProfile.user).where(NotifyProfile.wecom_userid != "")}
    staff = [u for u in User.select().where((User.estate == estate_id) & User.active & (User.phone != ""))
             .order_by(User.name) if u.id not in have]
    for user in staff:
        try:
            answer = _with_token(app, lambda token, u=user: wecom.userid_by_mobile(
                api_base(), token, u.phone.strip(), timeout=_timeout()))
        except TokenError as exc:
            result["error"] = str(exc)
            break
        if answer.ok and answer.data.get("userid"):
            set_userid(user.id, str(answer.data["userid"]))
            result["matched"].append(user.name)
        elif answer.errcode in DIRECTORY_DENIED or answer.errcode is None:
            result["error"] = answer.error
            break
        else:
            result["missing"].append(user.name)
    return result


# ---------------------------------------------------------------- the access token


def access_token(app: WeComApp, stale: str | None = None) -> str:
    """The app's access token from the shared cache, fetched by one worker when needed.

    stale: a token WeCom just refused (40014/42001); whoever drops it first makes the
    next reader fetch a new one, the rest find the new one.
    """
    if stale:
        _memo.pop(app.id, None)
        WeComApp.update(access_token=None, token_expires_at=None).where(
            (WeComApp.id == app.id) & (WeComApp.access_token == stale)).execute()
    else:
        memo = _memo.get(app.id)
        if memo and memo[1] > clock.now():  # this process read it from the row already
            return memo[0]
    lease_s = _timeout() + 5
    deadline = time.monotonic() + lease_s + 1
    while True:
        now = clock.now()
        row = WeComApp.get_or_none(WeComApp.id == app.id)
        if row is None:
            raise TokenError("the WeCom app was disconnected")
        if row.access_token and row.token_expires_at and row.token_expires_at > now:
            _memo[app.id] = (row.access_token, row.token_expires_at)
            return row.access_token
        lease = now + timedelta(seconds=lease_s)
        free = WeComApp.token_lease_until.is_null() | (WeComApp.token_lease_until < now)
        # Still without a good token: one that came in since the read above is used instead.
        needed = WeComApp.access_token.is_null() | WeComApp.token_expires_at.is_null() | (
            WeComApp.token_expires_at <= now)
        if WeComApp.update(token_lease_until=lease).where((WeComApp.id == row.id) & free & needed).execute():
            return _fetch_token(row, now, lease)
        if time.monotonic() > deadline:
            raise TokenError("another worker is fetching the WeCom token and has not finished")
        time.sleep(TOKEN_WAIT_STEP)


def _fetch_token(row: WeComApp, now, lease) -> str:
    mine = (WeComApp.id == row.id) & (WeComApp.token_lease_until == lease)
    if not api_allowed():
        WeComApp.update(token_lease_until=None).where(mine).execute()
        raise TokenError(f"the WeCom API host of {api_base()} is not in BLUEBIRD_WECOM_HOSTS")
    answer = wecom.get_token(api_base(), row.corp_id, row.secret, timeout=_timeout())
    token = str(answer.data.get("access_token") or "")
    if not answer.ok or not token:
        WeComApp.update(token_lease_until=None, last_error=(answer.error or "no token")[:300]).where(mine).execute()
        log.warning("WeCom gettoken failed for estate %s: %s", row.estate_id, answer.error)
        raise TokenError(answer.error or "no access_token in the answer")
    expires_in = max(int(answer.data.get("expires_in") or 7200), 1)
    margin = min(TOKEN_MARGIN, timedelta(seconds=expires_in / 10))
    WeComApp.update(access_token=token, token_expires_at=now + timedelta(seconds=expires_in) - margin,
                    token_lease_until=None, token_fetches=WeComApp.token_fetches + 1, last_error="").where(
        mine).execute()
    log.info("WeCom access token fetched for estate %s (valid %d s)", row.estate_id, expires_in)
    _memo[row.id] = (token, now + timedelta(seconds=expires_in) - margin)
    return token


def _with_token(app, call):
    """Call the API with the cached token; on 40014/42001 renew it once and call again."""
    token = access_token(app)
    answer = call(token)
    if answer.errcode in wecom.TOKEN_EXPIRED:
        answer = call(access_token(app, stale=token))
    return answer


# ---------------------------------------------------------------- dispatch


def jitter(now) -> float:
    """Seconds to hold a message so it is not sent on :00 or :30 (WeCom's busiest seconds)."""
    span = float(service.setting("WECOM_JITTER_S", 20.0))
    if span <= 0:
        return 0.0
    delay = random.uniform(1.0, span)
    second = (now.second + now.microsecond / 1e6 + delay) % 30
    if second < 2 or second > 28:
        delay += 4.0
    return delay


def _windows(now) -> list[tuple]:
    """A member's send budget: (since, at most this many app messages after it)."""
    return [(now - timedelta(minutes=1), int(service.setting("WECOM_MEMBER_PER_MIN", 20))),
            (now - timedelta(hours=1), int(service.setting("WECOM_MEMBER_PER_HOUR", 800)))]


def _budgets(user_ids, now) -> dict[int, int]:
    """How many more app messages each member may get now (this minute and this hour)."""
    windows = _windows(now)
    ids = list(user_ids)
    left = dict.fromkeys(ids, min(limit for _, limit in windows))
    if not ids:
        return left
    from peewee import fn

    for since, limit in windows:
        counts = (Delivery.select(Delivery.user, fn.COUNT(Delivery.id).alias("n"))
                  .where((Delivery.channel == CHANNEL) & Delivery.user.in_(ids) & (Delivery.created_at > since))
                  .group_by(Delivery.user))
        for row in counts:
            left[row.user_id] = min(left[row.user_id], limit - row.n)
    return left


def _reachable(user_ids) -> dict[int, tuple[User, NotifyProfile]]:
    """The people who get WeCom: chose it, have a userid not marked bad, and their estate an app."""
    ids = list(user_ids)
    users = {u.id: u for u in User.select(User.id, User.estate, User.locale)  # what a card needs of him
             .where(User.id.in_(ids) & User.active)}
    people = profiles(users)
    with_app = {a.estate_id for a in WeComApp.select(WeComApp.estate).where(
        WeComApp.estate.in_({u.estate_id for u in users.values()}))} if users else set()
    return {uid: (u, people[uid]) for uid, u in users.items()
            if uid in people and people[uid].wants_wecom and people[uid].wecom_userid
            and people[uid].wecom_bad_at is None and u.estate_id in with_app}


_CARD_COLUMNS = (Notification.id, Notification.user, Notification.title, Notification.message, Notification.body,
                 Notification.urgent)


def dispatch(now, user_id=None) -> list[tuple]:
    """Take the notifications due for WeCom; one card per member while his budget lasts.

    Returns (delivery id, token, delay) triples to enqueue after commit.
    """
    query = Notification.select(Notification.id, Notification.user).where(Notification.wecom_due <= now)
    if user_id is not None:
        query = query.where(Notification.user == user_id)
    rows = list(query.order_by(Notification.id).limit(service.DISPATCH_BATCH))
    if not rows:
        return []
    mine = defaultdict(list)
    for row in rows:
        mine[row.user_id].append(row.id)
    reachable = _reachable(mine)
    unreachable = [nid for uid, ids in mine.items() if uid not in reachable for nid in ids]
    queued = []
    with db.atomic():
        for start in range(0, len(unreachable), 500):  # nobody to send to: nothing waits
            Notification.update(wecom_due=None).where(Notification.id.in_(unreachable[start:start + 500])).execute()
        if is_postgres() and reachable:  # (SQLite's writers take turns already: BEGIN IMMEDIATE)
            # Two dispatchers count a member's budget one after the other: the second
            # one's INSERT below then sees the first one's card.
            list(NotifyProfile.select(NotifyProfile.user).where(NotifyProfile.user.in_(list(reachable)))
                 .order_by(NotifyProfile.user).for_update())
        left = _budgets(reachable, now)
        # Over budget: his wait, and go together in one card later.
        wanted = [nid for uid in reachable if left[uid] > 0 for nid in mine[uid]]
        got = []
        for start in range(0, len(wanted), 500):  # the claim: of two dispatchers, one empties each row
            got.extend(r.id for r in Notification.update(wecom_due=None).where(
                Notification.id.in_(wanted[start:start + 500]) & Notification.wecom_due.is_null(False)
            ).returning(Notification.id).execute())
        notes = defaultdict(list)
        for start in range(0, len(got), 500):  # what a card says of each, no more
            for note in Notification.select(*_CARD_COLUMNS).where(Notification.id.in_(got[start:start + 500])):
                notes[note.user_id].append(note)
        rows = []
        for uid, items in notes.items():
            items.sort(key=lambda n: n.id)
            rows.append({"channel": CHANNEL, "target": uid, "user": uid, "payload": _payload(reachable[uid][0], items),
                         "token": secrets.token_hex(8), "created_at": now, "lease_until": now + service.QUEUE_LEASE,
                         "status": Delivery.QUEUED, "attempts": 0, "last_error": ""})
        made = set()
        for start in range(0, len(rows), 200):  # the budget again, counted in the write
            for d in Delivery.insert_within_budget(rows[start:start + 200], _windows(now)):
                queued.append((d.id, d.token, jitter(now)))
                made.add(d.user_id)
        # A rival dispatcher spent his budget since it was read: his notices wait for the next card.
        back = [n.id for uid, items in notes.items() if uid not in made for n in items]
        for start in range(0, len(back), 500):
            Notification.update(wecom_due=now).where(Notification.id.in_(back[start:start + 500])).execute()
    return queued


def _payload(user, notes) -> str:
    """What the card says, in the reader's language; the link gets the delivery id at send."""
    with force_locale(user.locale):
        if len(notes) == 1:
            note = notes[0]
            title, path = note.shown_title, f"{service.INBOX_URL}{note.id}"
            lines = (note.body or "").splitlines() or [note.shown_title]
        else:
            title, path = gettext("New notifications: %(num)d", num=len(notes)), service.INBOX_URL
            lines = [n.shown_title + (f" · {n.body.splitlines()[0]}" if n.body else "") for n in notes[:MAX_LINES]]
            if len(notes) > MAX_LINES:
                lines.append(gettext("…and %(num)d more", num=len(notes) - MAX_LINES))
        button = gettext("View details")
    description = "\n".join(wecom.clean(line) for line in lines[:MAX_LINES * 2])
    return json.dumps({"title": title, "description": description, "path": path, "button": button,
                       "urgent": any(n.urgent for n in notes), "notes": [n.id for n in notes]}, ensure_ascii=False)


def link(app: WeComApp, path: str, delivery_id: int) -> str:
    """The absolute address a card opens: the public URL (config, else the app's) + the item."""
    base = (service.setting("PUBLIC_URL", "") or app.base_url or "http://localhost").rstrip("/")
    return f"{base}{path}{'&' if '?' in path else '?'}d={delivery_id}"


# ---------------------------------------------------------------- delivery


# Only what a send reads (not every column of the three rows): building and reading a
# 40-column join cost more CPU than the HTTP request itself.
_DELIVER_COLUMNS = (NotifyProfile.user, NotifyProfile.wecom_userid, NotifyProfile.wecom_bad_at,
                    User.id, User.estate, User.name, WeComApp.id, WeComApp.agent_id, WeComApp.base_url,
                    WeComApp.last_ok_at)


def prepare(deliveries) -> None:
    """Read what these claimed app messages need (the member's profile, his estate's app)
    in one query for all of them: `delivery.recipient` is the row, or None."""
    if not deliveries:
        return
    found = {row.user_id: row for row in _recipients(user_ids=tuple({d.target for d in deliveries}))}
    for d in deliveries:
        d.recipient = found.get(d.target)


@prepared
def _recipients(*, user_ids=()):
    """prepare()'s query, compiled once per number of members (bluebird/db.py `prepared`)."""
    return (NotifyProfile.select(*_DELIVER_COLUMNS)
            .join(User, on=(NotifyProfile.user == User.id))
            .join(WeComApp, on=(WeComApp.estate == User.estate))
            .where(NotifyProfile.user.in_(user_ids)))


def deliver(delivery: Delivery, now) -> float | None:
    """Send one claimed app message; seconds to a retry, or None when settled."""
    if not hasattr(delivery, "recipient"):
        prepare([delivery])
    found = profile = delivery.recipient
    user = found.user if found else None
    app = found.user.wecomapp if found else None
    if found is None or not profile.wecom_userid or profile.wecom_bad_at:
        service._settle(delivery, Delivery.GONE, now=now)
        return None
    if not api_allowed():
        log.error("WeCom delivery %s not sent: %s is not in BLUEBIRD_WECOM_HOSTS", delivery.id, api_base())
        service._settle(delivery, Delivery.FAILED, PushResult(400, error="WeCom API host not allowed"), now=now)
        return None
    data = json.loads(delivery.payload)
    body = wecom.textcard(profile.wecom_userid, app.agent_id, data["title"], data["description"],
                          link(app, data["path"], delivery.id), data.get("button") or "详情",
                          int(service.setting("WECOM_DUPLICATE_CHECK_S", 1800)))
    try:
        answer = _with_token(app, lambda token: wecom.send_textcard(api_base(), token, body, timeout=_timeout()))
    except TokenError as exc:
        return service._failed(delivery, PushResult(None, error=f"token: {exc}"[:300]), now)
    invalid = str(answer.data.get("invaliduser") or "")
    if answer.errcode == wecom.MEMBER_INVALID or (answer.ok and profile.wecom_userid in invalid.split("|")):
        _mark_bad(user, profile, answer.error or f"invaliduser {invalid}", now)
        service._settle(delivery, Delivery.FAILED, PushResult(400, error=answer.error or "81013 invalid user"),
                        now=now)
        return None
    if answer.ok:
        a_minute_ago = now - timedelta(minutes=1)
        if app.last_ok_at is None or app.last_ok_at < a_minute_ago:  # the admin page's "last", once a minute
            app.last_ok_at = now  # (the row is shared by the messages claimed with this one)
            WeComApp.update(last_ok_at=now).where((WeComApp.id == app.id) & (
                WeComApp.last_ok_at.is_null() | (WeComApp.last_ok_at < a_minute_ago))).execute()
        service._settle(delivery, Delivery.SENT, PushResult(200), now=now)
        return None
    if answer.errcode == wecom.RATE_LIMITED:
        return service._failed(delivery, PushResult(429, retry_after=RATE_LIMITED_WAIT_S * delivery.attempts,
                                                    error=answer.error), now)
    if answer.errcode is None:  # no answer, or not HTTP 200: try again later
        return service._failed(delivery, PushResult(answer.status or None, error=answer.error), now)
    return service._failed(delivery, PushResult(400, error=answer.error), now)  # won't mend by retrying


def _mark_bad(user, profile, reason, now) -> None:
    """WeCom knows no such member: stop sending to him and tell the estate's admins, once."""
    with db.atomic():
        marked = NotifyProfile.update(wecom_bad_at=now, wecom_bad_reason=str(reason)[:200]).where(
            (NotifyProfile.user == user.id) & NotifyProfile.wecom_bad_at.is_null()
            & (NotifyProfile.wecom_userid == profile.wecom_userid)).execute()
        if not marked:
            return
        log.warning("WeCom userid %r of user %s is not valid (%s): marked bad", profile.wecom_userid, user.id, reason)
        admins = list(User.with_role(user.estate_id, roles.ADMIN)) or list(User.with_role(user.estate_id,
                                                                                          roles.MANAGER))
        for admin in admins:
            with force_locale(admin.locale):
                title = gettext("WeCom account not valid: %(name)s", name=user.name)
                body = gettext("WeCom has no member \"%(userid)s\". Correct it under Settings › WeCom.",
                               userid=profile.wecom_userid)
            service.notify(admin, title, body, "/notifications/wecom-app", kind="info", now=now,
                           message=messages.message("wecom_userid_bad", name=user.name))
