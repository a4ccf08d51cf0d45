"""A huey consumer killed in the middle of a push send: after a restart the message goes, once.

The push endpoint (tests/notify_fakes.py) hangs on the first request; the consumer is
killed with SIGKILL while that request is in flight, so the delivery is left claimed
("sending"). The claim has a lease (BLUEBIRD_PUSH_LEASE_S): once it has run out, the
restarted consumer's scheduler tick queues the delivery again and it is sent; the
endpoint receives it exactly once.
"""
import time

from bluebird.notify.push import public_key
from tests.notify_fakes import FakePushService
from tests.reliability.harness import Staff

LEASE_WAIT_S = 80  # the lease, then the next scheduler tick (every minute) queues it again


def _wait(condition, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def _test_delivery(instance):
    """(status, attempts) of the test notification's delivery (the scheduler may send others)."""
    return instance.sql("SELECT status, attempts FROM delivery WHERE payload LIKE %s", ("%测试通知%",))


def _test_pushes(push):
    return [p for p in push.payloads("boss") if p.get("title") == "测试通知"]


def test_a_send_cut_by_kill_9_is_sent_once_after_restart(instance, server):
    pem = (instance.path / "vapid_private.pem").read_text()
    # A lease just longer than a send may take (the default is 3 x the timeout + 30 s).
    consumer_env = {"BLUEBIRD_PUSH_TIMEOUT_S": "5", "BLUEBIRD_PUSH_LEASE_S": "6"}
    with FakePushService(public_key(pem)) as push:
        boss = Staff(server, "manager").client()
        subscription = push.subscribe("boss", "hang", "ok")
        answer = boss.request("POST", "/notifications/subscribe", json=subscription,
                              headers={"X-CSRFToken": boss.staff.token})
        assert answer.status_code == 201, answer.text
        consumer = instance.consumer(extra_env=consumer_env)
        assert boss.post("/notifications/test").status_code == 303
        assert _wait(lambda: push.requests.get("/push/boss", 0) >= 1, 30), consumer.output()
        consumer.kill()  # mid-send: the endpoint has the request and has not answered
        assert _test_delivery(instance) == [("sending", 1)]

        consumer = instance.consumer(extra_env=consumer_env)
        sent = _wait(lambda: len(_test_pushes(push)) >= 1, LEASE_WAIT_S, step=0.5)
        time.sleep(2)  # a second send would come now
        consumer.stop()
        assert sent, f"never sent again after the restart: {_test_delivery(instance)}\n{consumer.output()}"
        assert len(_test_pushes(push)) == 1
        assert _test_delivery(instance)[0][0] == "sent"
