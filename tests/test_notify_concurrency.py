"""Two schedulers ticking at once send each reminder exactly once: on SQLite, on
PostgreSQL (the suite runs on both), and through real consumers on the Redis queue."""
# ruff: noqa: F811 - the fixtures imported from tests/fixtures/push.py are test arguments
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bluebird import clock
from bluebird.db import db
from bluebird.duties.models import Duty, create_duty
from bluebird.duties.scheduler import tick
from bluebird.notify import service
from bluebird.notify.models import Delivery, Notification
from tests import factories
from tests.fixtures.push import immediate, notify_env, push_service  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
NINE = datetime(2026, 11, 23, 1, 0)  # 09:00 in Asia/Shanghai


def staff_with_duties(estate, push_service, due_at, people=12, each=3):
    """People with a phone each and `each` duties due at `due_at`; return every duty title."""
    titles = []
    for i in range(people):
        user = factories.make_user(estate, role="technician", username=f"t{i}")
        service.set_quiet_hours(user, 0, 0)  # consumers tick on the real clock: any hour of the day
        info = push_service.subscribe(f"t{i}")
        service.subscribe(user, info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"])
        for j in range(each):
            title = f"t{i}-duty{j}"
            create_duty(estate.id, "repair_finish", f"case:{i * 10 + j}", due_at, assignee=user.id, title=title)
            titles.append(title)
    return titles


def titles_pushed(push_service):
    """Every duty title in every push received, counted."""
    seen = Counter()
    for payload in push_service.payloads():
        for line in payload["body"].split("\n"):
            seen[line.rsplit(" · ", 1)[-1]] += 1
    return seen


def test_two_schedulers_ticking_at_once_remind_each_duty_once(app, estate, push_service, immediate):
    clock.set_now(NINE)
    titles = staff_with_duties(estate, push_service, NINE + timedelta(minutes=10))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def scheduler():
        try:
            with app.app_context(), db.connection_context():
                barrier.wait()
                results.append(tick(NINE))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(r["reminded"] for r in results)[-1] >= 1
    assert sum(r["reminded"] for r in results) == Duty.select().where(Duty.notified_at.is_null(False)).count()
    assert titles_pushed(push_service) == Counter(titles)  # each exactly once
    assert Delivery.select().where(Delivery.status == Delivery.SENT).count() == len(push_service.received)
    # And tick after tick, nothing is sent again.
    for minute in (1, 2):
        tick(NINE + timedelta(minutes=minute))
    assert titles_pushed(push_service) == Counter(titles)


def _redis_url():
    url = os.environ.get("BLUEBIRD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - no Redis here: the test is skipped
        return None
    return url


def test_two_consumers_on_the_redis_queue_send_each_reminder_once(app, estate, push_service, notify_env,
                                                                 monkeypatch, tmp_path):
    url = _redis_url()
    if url is None:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    from huey.storage import RedisStorage

    from bluebird import tasks

    name = f"bluebird-test-{uuid.uuid4().hex[:12]}"
    storage = RedisStorage(name, url=url)
    monkeypatch.setattr(tasks.huey, "storage", storage)  # this process enqueues into Redis
    now = clock.now()
    titles = staff_with_duties(estate, push_service, now + timedelta(minutes=10), people=10, each=3)
    env = dict(os.environ, BLUEBIRD_QUEUE_URL=url, BLUEBIRD_QUEUE_NAME=name,
               BLUEBIRD_DATABASE_URL=app.config["DATABASE_URL"], BLUEBIRD_INSTANCE_PATH=app.config["TMP_DIR"],
               BLUEBIRD_PUSH_HOSTS="127.0.0.1", BLUEBIRD_NOTIFY_ALLOW_HTTP="1", BLUEBIRD_PUSH_TIMEOUT_S="5",
               PYTHONPATH=str(ROOT))
    logs = [tmp_path / f"consumer{i}.log" for i in range(2)]
    consumers = [subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "bluebird.tasks.huey",
                                   "--workers", "2", "--no-periodic", "--delay", "0.05", "--max-delay", "0.2",
                                   "--logfile", str(log)],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for log in logs]
    try:
        for _ in range(4):  # four ticks at once over two processes (two workers each)
            tasks.tick_every_minute()
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and sum(titles_pushed(push_service).values()) < len(titles):
            assert all(c.poll() is None for c in consumers), "a consumer died"
            time.sleep(0.1)
        time.sleep(1.0)  # anything sent twice would arrive now
        assert titles_pushed(push_service) == Counter(titles), "\n".join(
            log.read_text()[-3000:] for log in logs if log.exists())
        assert Notification.select().count() >= 10
    finally:
        for c in consumers:
            c.terminate()
        for c in consumers:
            try:
                c.wait(timeout=10)
            except subprocess.TimeoutExpired:
                c.kill()
        storage.flush_all()
