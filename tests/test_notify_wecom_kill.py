"""A real huey consumer killed with SIGKILL in the middle of a WeCom app message: after the
restart the card is sent once more and WeCom (its duplicate check) delivers it once.

The fake WeCom API (tests/notify_fakes.py) takes the first message to the member and never
answers, as if the consumer died after WeCom had it. The delivery is left claimed
("sending"); when its lease (BLUEBIRD_PUSH_LEASE_S) runs out, the restarted consumer's
tick queues it again; the same card (same delivery id in its link) comes again and WeCom
drops the duplicate. Set up through the real pages, as an admin would.
"""
import time

import pytest

from tests.notify_fakes import FakeWeComApi
from tests.reliability.harness import Instance, Staff

pytestmark = pytest.mark.reliability

LEASE_WAIT_S = 80  # the lease, then the next scheduler tick (every minute) queues it again


def _wait(condition, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def test_a_wecom_send_cut_by_kill_9_is_delivered_once_after_restart():
    with FakeWeComApi() as api:
        api.member("boss", "hang", "ok")
        instance = Instance("wx", extra_env={
            "BLUEBIRD_WECOM_API": api.base, "BLUEBIRD_WECOM_HOSTS": "127.0.0.1", "BLUEBIRD_NOTIFY_ALLOW_HTTP": "1",
            "BLUEBIRD_WECOM_JITTER_S": "0", "BLUEBIRD_PUBLIC_URL": "https://wuye.example.cn",
        }).setup(users=(("manager", "manager"), ("admin", "admin")))
        try:
            server = instance.server()
            admin = Staff(server, "admin").client()
            saved = admin.post("/notifications/wecom-app", {"corpid": api.corp_id, "agentid": str(api.agent_id),
                                                            "secret": api.secret})
            assert saved.status_code == 303, saved.text
            assert api.secret not in admin.get("/notifications/wecom-app").text
            [(boss_id,)] = instance.sql("SELECT id FROM \"user\" WHERE username = %s", ("manager",))
            assert admin.post(f"/notifications/wecom-app/members/{boss_id}", {"userid": "boss"}).status_code == 303
            boss = Staff(server, "manager").client()
            consumer_env = {"BLUEBIRD_PUSH_TIMEOUT_S": "5", "BLUEBIRD_PUSH_LEASE_S": "6"}
            consumer = instance.consumer(extra_env=consumer_env)
            assert boss.post("/notifications/test").status_code == 303

            def ours():
                return [c for c in api.cards("boss") if c["title"] == "测试通知"]

            def delivery():
                return instance.sql("SELECT status, attempts FROM delivery WHERE channel = 'wxapp' "
                                    "AND payload LIKE %s", ("%测试通知%",))

            assert _wait(lambda: len(ours()) == 1, 30), consumer.output()
            consumer.kill()  # WeCom has the card; the sender dies before the answer
            assert delivery() == [("sending", 1)]

            consumer = instance.consumer(extra_env=consumer_env)
            assert _wait(lambda: delivery() and delivery()[0][0] == "sent", LEASE_WAIT_S, step=0.5), (
                f"{delivery()}\n{consumer.output()}")
            time.sleep(2)  # a third send would come now
            consumer.stop()
            assert len(ours()) == 1 and api.duplicates == 1
            assert delivery() == [("sent", 2)]
            assert api.token_requests == 1  # the second consumer used the token in the database
        finally:
            instance.close()
