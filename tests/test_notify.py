"""Reminders reach people: tick(now) with a moving clock, against a local push service.

The push service (tests/notify_fakes.py) checks the VAPID JWT and decrypts every
message with http_ece and the subscription keys made here, so each payload asserted
below went through pywebpush's real encryption and a real HTTP POST.
"""
# ruff: noqa: F811 - the fixtures imported from tests/fixtures/push.py are test arguments
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.duties.models import Duty, create_duty
from bluebird.duties.scheduler import tick
from bluebird.notify import service
from bluebird.notify.models import Delivery, Notification, PushSubscription
from tests import factories
from tests.fixtures.push import immediate, notify_env, push_service  # noqa: F401

# 2026-11-23 is a Monday; Asia/Shanghai is UTC+8, so 09:00 there is 01:00 UTC.
DAY = datetime(2026, 11, 23)


def local(hh, mm=0, days=0):
    """A wall-clock time in the estate (Asia/Shanghai) as the naive UTC the code stores."""
    return DAY + timedelta(days=days, hours=hh - 8, minutes=mm)


def subscribe(user, push_service, name, *modes):
    info = push_service.subscribe(name, *modes)
    return service.subscribe(user, info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"])


@pytest.fixture
def people(estate, butler, manager, push_service, immediate):
    subscribe(butler, push_service, "butler-phone")
    subscribe(manager, push_service, "manager-phone")
    return butler, manager


def test_a_duty_is_reminded_once_and_escalated_once(people, push_service):
    butler, manager = people
    clock.set_now(local(8, 0))
    duty = create_duty(butler.estate_id, "repair_callback_24h", "case:1", local(9, 0), assignee=butler.id,
                       title="3-1502 厨房漏水", grace=timedelta(hours=1))

    assert tick(local(8, 0))["reminded"] == 0  # its lead time (30 min) has not begun
    assert push_service.payloads() == []
    assert tick(local(8, 31))["reminded"] == 1
    [reminder] = push_service.payloads("butler-phone")
    assert reminder["title"] == "24小时回访"
    assert reminder["body"] == "09:00 24小时回访 · 3-1502 厨房漏水"
    assert reminder["item"] == "/cases/1#log-call"  # the tap lands on the call form, as the agenda's does
    note = Notification.get(Notification.user == butler.id)
    assert reminder["url"] == f"/notifications/{note.id}" and note.url == "/cases/1#log-call"

    for minute in (45, 59):
        assert tick(local(8, minute))["reminded"] == 0
    assert tick(local(9, 30))["escalated"] == 0  # past due, but within its grace
    assert tick(local(10, 1))["escalated"] == 1
    for minute in (2, 25):  # (the manager's 11:00 walk-round is announced at 10:30)
        assert tick(local(10, minute))["escalated"] == 0
    # Reminded exactly once; then told, once, that it went to the supervisor.
    assert [p["title"] for p in push_service.payloads("butler-phone")] == ["24小时回访", f"24小时回访：转给了 {manager.name}"]
    [escalation] = push_service.payloads("manager-phone")
    assert escalation["title"] == "超时：24小时回访"
    assert butler.name in escalation["body"]
    duty = Duty.get_by_id(duty.id)
    assert duty.notified_at == local(8, 31) and duty.escalated_at == local(10, 1)


def test_ten_duties_due_at_nine_make_one_notification(people, push_service):
    butler, _ = people
    clock.set_now(local(7, 30))
    titles = [f"{b}-{u}01 回访" for b in range(1, 3) for u in range(1, 6)]
    for n, title in enumerate(titles):
        create_duty(butler.estate_id, "repair_callback_24h", f"case:{n + 10}", local(9, 0), assignee=butler.id,
                    title=title)

    assert tick(local(8, 30))["reminded"] == 10
    [payload] = push_service.payloads("butler-phone")
    assert payload["title"] == "10 项待办到期提醒"
    assert payload["url"].startswith("/notifications/") and payload["item"] == "/agenda"
    lines = payload["body"].split("\n")
    assert len(lines) == 10 and all(line.startswith("09:00 24小时回访 · ") for line in lines)
    assert sorted(line.rsplit(" · ", 1)[1] for line in lines) == sorted(titles)
    assert Notification.select().where(Notification.user == butler.id).count() == 1
    assert tick(local(8, 31))["reminded"] == 0 and len(push_service.payloads()) == 1


def test_quiet_hours_hold_ordinary_reminders_but_not_urgent_ones(people, push_service):
    butler, _ = people  # quiet hours default to 22:00–07:00
    clock.set_now(local(22, 0))
    create_duty(butler.estate_id, "repair_callback_24h", "case:1", local(23, 30), assignee=butler.id, title="回访")
    create_duty(butler.estate_id, "incident_notify", "case:2", local(23, 15), assignee=butler.id, title="3号楼水管爆裂",
                grace=timedelta(minutes=15))

    tick(local(23, 10))
    [urgent] = push_service.payloads("butler-phone")
    assert "3号楼水管爆裂" in urgent["body"] and urgent["urgent"] is True
    # Both are in the inbox at once; only the push of the ordinary one waits.
    # (his patrol, due at 18:00, went to the supervisor at once: a note says so)
    assert Notification.select().where((Notification.user == butler.id) & (Notification.kind == "reminder")).count() == 2
    for when in (local(23, 40), local(3, 0, days=1), local(6, 59, days=1)):
        tick(when)
        assert len(push_service.payloads("butler-phone")) == 1, when
    tick(local(7, 0, days=1))
    ordinary = push_service.payloads("butler-phone")[1]
    assert "回访" in ordinary["body"] and ordinary["urgent"] is False
    assert [r.urgency for r in push_service.received if r.path == "/push/butler-phone"] == ["high", "normal"]
    # The supervisor hears of the incident left undone at once, and of the rest in the morning.
    manager = [r for r in push_service.received if r.path == "/push/manager-phone"]
    assert manager[0].payload["title"] == "超时：告知主管及相关部门" and manager[0].at < push_service.received[-1].at


def test_a_user_without_quiet_hours_is_reminded_at_night(people, push_service):
    butler, _ = people
    service.set_quiet_hours(butler, 0, 0)
    clock.set_now(local(23, 0))
    create_duty(butler.estate_id, "repair_callback_24h", "case:1", local(23, 20), assignee=butler.id)
    tick(local(23, 0))
    assert len(push_service.payloads("butler-phone")) == 1


def test_role_duties_reach_every_holder_and_every_device(estate, butler, push_service, immediate):
    other = factories.make_user(estate, role="butler", username="butler2")
    subscribe(butler, push_service, "b1-phone")
    subscribe(butler, push_service, "b1-tablet")
    subscribe(other, push_service, "b2-phone")
    clock.set_now(local(9, 0))
    create_duty(estate.id, "lobby_check", "estate:1", local(9, 20), role="butler", title="大堂")
    tick(local(9, 0))
    for name in ("b1-phone", "b1-tablet", "b2-phone"):
        assert len(push_service.payloads(name)) == 1, name
    assert all(r.ttl == 12 * 3600 for r in push_service.received)  # explicit TTL in hours


def test_every_notification_lands_in_the_inbox_even_without_a_device(estate, butler, immediate):
    clock.set_now(local(9, 0))
    create_duty(estate.id, "repair_callback_24h", "case:1", local(9, 10), assignee=butler.id)
    tick(local(9, 0))
    assert Notification.select().where(Notification.user == butler.id).count() == 1
    assert Delivery.select().count() == 0


def test_payloads_stay_well_under_4_kb(estate, butler):
    clock.set_now(local(9, 0))
    notes = [factories.make_notification(butler, title="很长的标题" * 40, body="很长的内容" * 400) for _ in range(2)]
    for items in (notes[:1], notes):
        assert len(service._payload(butler, items).encode()) <= 2900


# ---------------------------------------------------------------- the inbox and its bell


def test_the_bell_counts_unread_and_reading_clears_it(butler_client, butler):
    factories.make_notification(butler, title="待办提醒", url="/agenda")
    note = factories.make_notification(butler, title="超时", url="/cases/7")
    page = butler_client.get("/agenda").get_data(as_text=True)
    assert 'class="bell-count">2<' in page and 'hx-trigger="every 30s"' in page
    fragment = butler_client.get("/notifications/bell", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.strip().startswith('<span id="bell"') and ">2<" in fragment

    response = butler_client.get(f"/notifications/{note.id}")
    assert response.status_code == 303 and response.headers["Location"] == "/cases/7"
    assert service.unread_count(butler) == 1
    inbox = butler_client.get("/notifications/").get_data(as_text=True)
    assert "待办提醒" in inbox and "超时" in inbox
    assert butler_client.post("/notifications/read").status_code == 303
    assert service.unread_count(butler) == 0
    assert "bell-count" not in butler_client.get("/agenda").get_data(as_text=True)


def test_nobody_opens_another_users_notification(butler_client, estate):
    other = factories.make_user(estate, role="butler", username="someone")
    note = factories.make_notification(other)
    assert butler_client.get(f"/notifications/{note.id}").status_code == 404
    assert Notification.get_by_id(note.id).read_at is None


# ---------------------------------------------------------------- settings and subscriptions


def test_the_settings_explain_first_and_save_quiet_hours(butler_client, butler):
    me = butler_client.get("/me").get_data(as_text=True)
    assert 'hx-get="/notifications/settings"' in me and 'hx-trigger="load"' in me
    page = butler_client.get("/notifications/settings", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert page.index("为什么要开启") < page.index('id="push-enable"')
    assert 'data-key="' in page and "免打扰时段" in page and 'value="22:00"' in page

    response = butler_client.post("/notifications/settings", {"enabled": "y", "start": "21:30", "end": "06:45"})
    assert response.status_code == 303
    user = type(butler).get_by_id(butler.id)
    assert (user.quiet_start, user.quiet_end) == (21 * 60 + 30, 6 * 60 + 45)
    bad = butler_client.post("/notifications/settings", {"enabled": "y", "start": "21:30", "end": "21:30"})
    assert bad.status_code == 400 and "开始和结束时间不能相同" in bad.get_data(as_text=True)
    butler_client.post("/notifications/settings", {"start": "21:30", "end": "06:45"})
    user = type(butler).get_by_id(butler.id)
    assert user.quiet_start == user.quiet_end  # unticked: no quiet hours


def _post_json(client, url, body, csrf=True):
    headers = {"X-CSRFToken": client.token()} if csrf else {}
    return client.http.post(url, json=body, headers=headers)


def test_devices_subscribe_and_unsubscribe_with_the_csrf_header(butler_client, butler, notify_env,
                                                                push_service):
    keys = push_service.subscribe("any")["keys"]
    phone = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys}
    tablet = {"endpoint": "http://127.0.0.1:9/push/t", "keys": keys}
    assert _post_json(butler_client, "/notifications/subscribe", phone, csrf=False).status_code == 400
    assert _post_json(butler_client, "/notifications/subscribe", phone).status_code == 201
    assert _post_json(butler_client, "/notifications/subscribe", phone).status_code == 201  # again: same row
    assert _post_json(butler_client, "/notifications/subscribe", tablet).status_code == 201
    assert PushSubscription.select().where(PushSubscription.user == butler.id).count() == 2
    evil = {"endpoint": "https://10.0.0.5/admin", "keys": keys}
    response = _post_json(butler_client, "/notifications/subscribe", evil)
    assert response.status_code == 400 and response.json["ok"] is False
    assert _post_json(butler_client, "/notifications/subscribe", {"endpoint": "x"}).status_code == 400
    broken = {"endpoint": phone["endpoint"], "keys": {"p256dh": "BPk", "auth": keys["auth"]}}
    assert _post_json(butler_client, "/notifications/subscribe", broken).status_code == 400
    assert _post_json(butler_client, "/notifications/unsubscribe", {"endpoint": phone["endpoint"]}).json["removed"] == 1
    assert PushSubscription.select().where(PushSubscription.user == butler.id).count() == 1


def test_the_service_worker_gets_its_key_and_a_token(butler_client, app):
    data = butler_client.get("/notifications/push-config").json
    assert data["key"] == service.push.public_key(app.config["VAPID_PRIVATE_KEY"]) and data["csrf"]
    sw = butler_client.get("/sw.js").get_data(as_text=True)
    for handler in ("push", "notificationclick", "pushsubscriptionchange"):
        assert f'addEventListener("{handler}"' in sw
    assert "event.waitUntil(self.registration.showNotification" in sw


def test_quiet_hours_arithmetic():
    user = type("U", (), {"quiet_start": 22 * 60, "quiet_end": 7 * 60})()
    tz = "Asia/Shanghai"
    assert service.in_quiet_hours(user, local(23, 0), tz) and service.in_quiet_hours(user, local(6, 59), tz)
    assert not service.in_quiet_hours(user, local(7, 0), tz) and not service.in_quiet_hours(user, local(21, 59), tz)
    assert service.quiet_hours_end(user, local(23, 0), tz) == local(7, 0, days=1)
    assert service.quiet_hours_end(user, local(3, 0), tz) == local(7, 0)
    day = type("U", (), {"quiet_start": 12 * 60, "quiet_end": 14 * 60})()
    assert service.in_quiet_hours(day, local(13, 0), tz) and not service.in_quiet_hours(day, local(14, 0), tz)
