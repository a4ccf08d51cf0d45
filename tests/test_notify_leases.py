"""Claims are leases: a delivery whose sender died mid-send, or whose task was lost, is sent
again exactly once after its lease runs out; a claim never commits without its notice.
(The process-level proof, a real consumer killed with SIGKILL, is in tests/reliability.)"""
# ruff: noqa: F811 - the fixtures imported from tests/fixtures/push.py are test arguments
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.duties.models import Duty, create_duty
from bluebird.duties.scheduler import tick
from bluebird.notify import push, reminders, service
from bluebird.notify.models import Delivery, Notification
from tests import factories
from tests.fixtures.push import immediate, notify_env, push_service  # noqa: F401

NINE = datetime(2026, 11, 23, 1, 0)  # 09:00 in Asia/Shanghai


class Crash(BaseException):
    """The consumer process dying in the middle of the POST (kill -9): nothing after it runs."""


def _one_delivery(user, push_service, name="phone"):
    info = push_service.subscribe(name)
    service.subscribe(user, info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"])
    service.notify(user, "24小时回访", "3-1502", "/agenda", urgent=True, now=clock.now())
    [(delivery_id, token)] = service.dispatch(clock.now())
    return delivery_id, token


def _ours(push_service):
    """The pushes of the test's notice (ticks also remind of the day's patrol)."""
    return [p for p in push_service.payloads() if p["title"] == "24小时回访"]


def _crash_mid_send(monkeypatch, delivery_id, token):
    """Claim the delivery as a consumer does, then die before the push service answers."""
    with monkeypatch.context() as patch, pytest.raises(Crash):
        patch.setattr(push, "send_webpush", _dies)
        service.deliver(delivery_id, token, clock.now())


def test_a_delivery_abandoned_mid_send_is_sent_again_once_after_its_lease(app, estate, butler, push_service,
                                                                          immediate, monkeypatch):
    clock.set_now(NINE)
    monkeypatch.setitem(app.config, "PUSH_LEASE_S", 60)
    delivery_id, token = _one_delivery(butler, push_service)
    _crash_mid_send(monkeypatch, delivery_id, token)
    stuck = Delivery.get_by_id(delivery_id)
    assert (stuck.status, stuck.attempts, stuck.lease_until) == ("sending", 1, NINE + timedelta(seconds=60))
    assert service.deliver(delivery_id, token, NINE + timedelta(seconds=5)) is None  # a duplicate task: held
    tick(NINE + timedelta(seconds=59))  # the lease still holds: nobody else sends it
    assert _ours(push_service) == [] and Delivery.get_by_id(delivery_id).status == "sending"
    tick(NINE + timedelta(seconds=61))  # expired: queued again and (inline) sent
    sent = Delivery.get_by_id(delivery_id)
    assert (sent.status, sent.attempts, sent.lease_until) == ("sent", 2, None)
    assert len(_ours(push_service)) == 1
    # The sender that vanished cannot settle the row now (its lease was taken over).
    service._settle(stuck, Delivery.FAILED, now=NINE + timedelta(seconds=62))
    assert Delivery.get_by_id(delivery_id).status == "sent"
    for later in (timedelta(minutes=3), timedelta(minutes=10), timedelta(days=1)):
        tick(NINE + later)
    assert len(_ours(push_service)) == 1  # exactly once more, never again


def test_a_delivery_whose_task_was_lost_is_queued_again(app, estate, butler, push_service, immediate):
    clock.set_now(NINE)
    delivery_id, _token = _one_delivery(butler, push_service)  # committed, but never handed to the queue
    tick(NINE + timedelta(minutes=4))
    assert _ours(push_service) == []
    tick(NINE + timedelta(minutes=6))
    assert Delivery.get_by_id(delivery_id).status == "sent" and len(_ours(push_service)) == 1
    tick(NINE + timedelta(minutes=20))
    assert len(_ours(push_service)) == 1


def test_reclaiming_is_a_claim_too_and_gives_up_after_the_last_attempt(app, estate, butler, push_service, notify_env):
    clock.set_now(NINE)
    with notify_env.app_context():
        delivery_id, token = _one_delivery(butler, push_service)
        later = NINE + timedelta(hours=1)
        assert service.reclaim_expired(later) == [(delivery_id, token)]
        assert service.reclaim_expired(later) == []  # a second scheduler finds it taken
        Delivery.update(status="sending", attempts=service.MAX_ATTEMPTS, lease_until=later).where(
            Delivery.id == delivery_id).execute()
        assert service.reclaim_expired(later + timedelta(seconds=1)) == []
        gone = Delivery.get_by_id(delivery_id)
        assert gone.status == "failed" and "lease expired" in gone.last_error and gone.lease_until is None


def _dies(*args, **kwargs):
    raise Crash()


@pytest.mark.parametrize("step, overdue, column, kind, count", [
    ("escalation_notices", True, "escalated_at", "escalation", "escalated"),
    ("_remind_one", False, "notified_at", "reminder", "reminded"),
])
def test_a_claim_commits_with_its_notice_or_not_at_all(app, estate, butler, manager, immediate, monkeypatch,
                                                       step, overdue, column, kind, count):
    """The process dies between claiming the duty and writing its notice: neither is kept."""
    clock.set_now(NINE)
    due = NINE - timedelta(hours=3) if overdue else NINE + timedelta(minutes=10)
    duty = create_duty(estate.id, "repair_callback_24h", "case:1", due, assignee=butler.id)
    with monkeypatch.context() as patch, pytest.raises(Crash):
        patch.setattr(reminders, step, _dies)
        tick(NINE)
    assert getattr(Duty.get_by_id(duty.id), column) is None  # the claim went with the lost notice
    assert tick(NINE + timedelta(minutes=1))[count] == 1
    reader = manager if overdue else butler
    assert Notification.select().where((Notification.user == reader.id) & (Notification.kind == kind)).count() == 1


def test_deliveries_made_before_leases_existed_are_picked_up(app, estate, butler, push_service, immediate):
    """Migration 010 gives rows in flight an expired lease; one without any is reclaimed too."""
    clock.set_now(NINE)
    delivery_id, _token = _one_delivery(butler, push_service)
    Delivery.update(status="sending", attempts=1, lease_until=NINE).where(Delivery.id == delivery_id).execute()
    tick(NINE + timedelta(seconds=1))
    assert Delivery.get_by_id(delivery_id).status == "sent" and len(_ours(push_service)) == 1


def test_a_user_without_devices_gets_no_delivery_to_lease(estate, butler):
    clock.set_now(NINE)
    factories.make_notification(butler, send_after=NINE)
    assert service.dispatch(NINE) == [] and service.reclaim_expired(NINE + timedelta(hours=1)) == []
