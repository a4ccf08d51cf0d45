"""Delivery: what a push service's answers do, a black hole, retries, the WeCom robot.

Everything goes over real HTTP to local servers (tests/notify_fakes.py); the real
huey consumer (worker threads) runs the delivery tasks where timing matters.
"""
# ruff: noqa: F811 - the fixtures imported from tests/fixtures/push.py are test arguments
import time
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.duties.models import create_duty
from bluebird.duties.scheduler import tick
from bluebird.notify import push, service
from bluebird.notify.models import Delivery, PushSubscription, WeComWebhook
from tests import factories
from tests.fixtures.push import consumer, immediate, notify_env, push_service, wecom_robot  # noqa: F401

NINE = datetime(2026, 11, 23, 1, 0)  # 09:00 in Asia/Shanghai


def subscribe(user, push_service, name, *modes):
    info = push_service.subscribe(name, *modes)
    return service.subscribe(user, info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"])


def queue_one(user, title="测试提醒", urgent=False):
    """One notification for the user, dispatched into deliveries (not yet sent)."""
    service.notify(user, title, "正文", "/agenda", urgent=urgent, now=clock.now())
    return service.dispatch(clock.now())


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def in_app(notify_env):
    with notify_env.app_context():
        yield


def test_410_deletes_the_subscription(butler, push_service, in_app):
    kept = subscribe(butler, push_service, "kept")
    gone = subscribe(butler, push_service, "gone", "gone")
    clock.set_now(NINE)
    for delivery_id, token in queue_one(butler):
        assert service.deliver(delivery_id, token) is None
    assert [s.id for s in PushSubscription.select()] == [kept.id]
    assert Delivery.get(Delivery.target == gone.id).status == Delivery.GONE
    assert Delivery.get(Delivery.target == kept.id).status == Delivery.SENT
    assert len(push_service.payloads("kept")) == 1
    # A task for the same delivery showing up again does nothing.
    assert all(service.deliver(d.id, d.token) is None for d in Delivery.select())
    assert push_service.requests["/push/kept"] == 1


def test_429_backs_off_for_retry_after_without_hammering(butler, push_service, in_app):
    sub = subscribe(butler, push_service, "busy", "429:120", "ok")
    clock.set_now(NINE)
    [(delivery_id, token)] = queue_one(butler)
    assert service.deliver(delivery_id, token) == 120
    sub = PushSubscription.get_by_id(sub.id)
    assert sub.backoff_until == NINE + timedelta(seconds=120)
    # Retried too early (another task, a second consumer): it waits, the service hears nothing.
    clock.set_now(NINE + timedelta(seconds=30))
    assert service.deliver(delivery_id, token) == 90
    assert push_service.requests["/push/busy"] == 1
    clock.set_now(NINE + timedelta(seconds=121))
    assert service.deliver(delivery_id, token) is None
    assert push_service.requests["/push/busy"] == 2 and len(push_service.payloads("busy")) == 1
    delivery = Delivery.get_by_id(delivery_id)
    assert delivery.status == Delivery.SENT and delivery.attempts == 2
    assert PushSubscription.get_by_id(sub.id).backoff_until is None


def test_retry_after_as_an_http_date_is_understood():
    from email.utils import formatdate

    assert 55 <= push.retry_after_seconds(formatdate(time.time() + 60, usegmt=True)) <= 60
    assert push.retry_after_seconds("garbage") == 60 and push.retry_after_seconds("99999") == 3600


def test_5xx_is_retried_with_backoff_by_the_queue(butler, push_service, consumer):
    service.set_quiet_hours(butler, 0, 0)  # the real clock: the test must pass at any hour of the day
    butler.quiet_start = butler.quiet_end = 0
    subscribe(butler, push_service, "flaky", "500", "503", "ok")
    queued = queue_one(butler)
    consumer()
    started = time.monotonic()
    service.enqueue(queued)
    assert wait_for(lambda: push_service.payloads("flaky"), timeout=15)
    took = time.monotonic() - started
    [(delivery_id, _)] = queued
    assert wait_for(lambda: Delivery.get_by_id(delivery_id).status == Delivery.SENT)
    delivery = Delivery.get_by_id(delivery_id)
    assert delivery.attempts == 3 and push_service.requests["/push/flaky"] == 3
    assert took >= 0.2 + 0.4  # waited the backoff (0.2 s, then 0.4 s) between tries


def test_5xx_for_ever_is_given_up_and_logged(butler, push_service, in_app, caplog):
    subscribe(butler, push_service, "down", "500")
    clock.set_now(NINE)
    [(delivery_id, token)] = queue_one(butler)
    delays = []
    while (delay := service.deliver(delivery_id, token)) is not None:
        delays.append(delay)
        Delivery.update(status=Delivery.QUEUED).where(Delivery.id == delivery_id).execute()
    assert delays == [0.2, 0.4, 0.8, 1.6, 3.2]  # exponential backoff, then it gives up
    delivery = Delivery.get_by_id(delivery_id)
    assert delivery.status == Delivery.FAILED and delivery.last_status == 500
    assert "failed for good" in caplog.text
    assert PushSubscription.get(PushSubscription.endpoint.endswith("/push/down")).failures == 6


def test_a_black_holed_endpoint_times_out_without_holding_up_others(app, estate, push_service, consumer,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_TIMEOUT_S", 2.0)
    stuck = factories.make_user(estate, username="stuck")
    subscribe(stuck, push_service, "black-hole", "hang")
    others = [factories.make_user(estate, username=f"u{i}") for i in range(6)]
    for i, user in enumerate(others):
        subscribe(user, push_service, f"ok{i}")
    clock.set_now(NINE)
    for user in [stuck, *others]:
        service.notify(user, "提醒", "", "/agenda", now=NINE)
    queued = service.dispatch(NINE)
    consumer(workers=3)
    started = time.monotonic()
    service.enqueue(queued)  # the black hole is first in the queue
    assert wait_for(lambda: len(push_service.received) == 6, timeout=10)
    assert time.monotonic() - started < 1.5  # everyone else got theirs before the timeout hit
    black = Delivery.get(Delivery.target == PushSubscription.get(PushSubscription.user == stuck.id).id)
    assert wait_for(lambda: Delivery.get_by_id(black.id).last_error.startswith("timeout"), timeout=5)
    assert time.monotonic() - started < 4.0  # it timed out (2 s) instead of hanging


def test_the_send_itself_gives_up_at_the_timeout(app, push_service):
    info = push_service.subscribe("void", "hang")
    started = time.monotonic()
    result = push.send_webpush(info, b'{"title": "x"}', private_key=app.config["VAPID_PRIVATE_KEY"],
                               subject="mailto:ops@example.com", ttl_hours=12, timeout=0.5)
    assert result.status is None and result.error.startswith("timeout")
    assert time.monotonic() - started < 1.5


# ---------------------------------------------------------------- WeCom


def test_wecom_robots_get_markdown_for_due_and_overdue(estate, butler, manager, wecom_robot, immediate):
    service.set_robot(estate.id, "butler", wecom_robot.url("butlers"))
    service.set_robot(estate.id, "", wecom_robot.url("everyone"))
    clock.set_now(NINE)
    create_duty(estate.id, "repair_callback_24h", "case:1", NINE + timedelta(minutes=20), assignee=butler.id,
                title="3-1502 <@all> 漏水", grace=timedelta(minutes=30))
    tick(NINE)
    [due] = wecom_robot.messages("butlers")
    assert due.startswith("**待办到期提醒** · 蓝鸟花园")
    assert f"> 09:20 24小时回访 · 3-1502 @all 漏水 → {butler.name}" in due  # no mention smuggled in
    tick(NINE + timedelta(minutes=51))
    # No managers' robot: the estate's gets it (with the desk's lobby check due at 10:00).
    [overdue] = [m for m in wecom_robot.messages("everyone") if "超时未办" in m]
    assert overdue.startswith('<font color="warning">**超时未办，已上报主管**</font>') and butler.name in overdue
    assert len(wecom_robot.messages("butlers")) == 1


def test_wecom_failures_are_logged_and_retried(estate, butler, wecom_robot, in_app, caplog):
    service.set_robot(estate.id, "", wecom_robot.url("shaky", "500", "limit", "ok"))
    clock.set_now(NINE)
    [(delivery_id, token)] = [service.queue_wecom(estate.id, "butler", "**待办到期提醒**\n> 09:00 巡查")]
    assert service.deliver(delivery_id, token) == 0.2
    Delivery.update(status=Delivery.QUEUED).where(Delivery.id == delivery_id).execute()
    assert service.deliver(delivery_id, token) == 60  # errcode 45009: the robot's rate limit
    Delivery.update(status=Delivery.QUEUED).where(Delivery.id == delivery_id).execute()
    assert service.deliver(delivery_id, token) is None
    assert wecom_robot.messages("shaky") == ["**待办到期提醒**\n> 09:00 巡查"]
    assert "wecom delivery" in caplog.text and "500" in caplog.text
    hook = WeComWebhook.get(WeComWebhook.estate == estate.id)
    assert hook.failures == 0 and hook.last_ok_at == NINE


def test_supervisors_set_the_robots_and_others_cannot(manager_client, butler_client, estate, wecom_robot,
                                                      notify_env):
    assert butler_client.get("/notifications/wecom").status_code == 403
    bad = manager_client.post("/notifications/wecom", {"url_all": "https://example.com/hook"})
    assert bad.status_code == 400 and "Webhook" in bad.get_data(as_text=True)
    url = wecom_robot.url("team")
    response = manager_client.post("/notifications/wecom", {"url_all": url, "test": "1"})
    assert response.status_code == 303
    assert WeComWebhook.get(WeComWebhook.estate == estate.id).url == url
    assert len(wecom_robot.messages("team")) == 1
    manager_client.post("/notifications/wecom", {"url_all": ""})
    assert WeComWebhook.select().count() == 0
