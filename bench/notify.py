"""Notifications bench: push throughput to a local push service, and tick() at 100,000 open duties.

Run from the repository root:

    .venv/bin/python bench/notify.py [--messages 3000] [--threads 16] [--duties 100000] [--only wecom]

1. push_msgs_per_s: web-push messages per second from this process to the fake push
   service of the tests (tests/notify_fakes.py), running in a second process on
   127.0.0.1. Every message is encrypted for its own subscription (aes128gcm, a fresh
   ECDH key per message) by pywebpush, carries a VAPID header, goes over HTTP through
   the app's one pooled session, and is verified (ES256) and decrypted (http_ece) by the
   service before it answers 201. A thread pool sends, like the queue's worker threads.
   push_deliveries_per_s is the same through notify.service.deliver(): the claim and
   the log rows in SQLite around each send, i.e. what one huey worker does per message.
2. wecom_msgs_per_s: WeCom app messages (text cards to one member each) per second to the
   fake WeCom API of the tests (FakeWeComApi, in a second process), through the whole
   path: dispatch (per-member batching and send budget: three notices per
   member make one card), then notify.service.deliver() from a thread pool (the claim,
   the shared access token from the database row, message/send, the log row; the
   threads' claims and settles are written in batches, notify/batching.py). The fake
   checks every token and body and counts per member (it would drop above 30 a minute).
3. tick_ms_100k: the wall time of tick(now) (generation, reminder claim, escalation,
   dispatch) on SQLite with 100,000 open duties over 500 staff, in the steady state: the
   clock moves a minute per tick and a few duties come due each minute.
   tick_ms_burst: one tick where 1,000 of them come due at once (one notice per person).
Figures go to stdout as `bench: <name> <value> <unit>`; the rest to stderr.
"""
import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import figure, note  # noqa: E402

TARGET_MSGS = 500
TARGET_TICK_MS = 500


def _serve(public_key, names, conn):
    """The fake push service, in its own process: report its subscriptions, serve, count."""
    from tests.notify_fakes import FakePushService

    with FakePushService(public_key) as service:
        conn.send([service.subscribe(name) for name in names])
        conn.recv()  # told to stop
        conn.send((len(service.received), service.errors[:3]))


def build_app(tmp):
    os.environ["BLUEBIRD_INSTANCE_PATH"] = tmp
    from bluebird import create_app
    from bluebird.migrate import upgrade

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench",
                      "PUSH_HOSTS": "127.0.0.1", "NOTIFY_ALLOW_HTTP": True, "PUSH_TIMEOUT_S": 10.0})
    upgrade()
    return app


def bench_push(app, messages, threads, devices=200):
    from bluebird.db import db
    from bluebird.notify import push, service
    from bluebird.notify.models import Delivery
    from tests import factories

    key = app.config["VAPID_PRIVATE_KEY"]
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(push.public_key(key), [f"d{i}" for i in range(devices)],
                                                          child), daemon=True)
    server.start()
    subs = parent.recv()
    body = ('{"title": "5 项待办到期提醒", "body": "09:00 24小时回访 · 3-1502 厨房漏水\\n09:00 巡查我的片区 · 一区",'
            ' "url": "/notifications/1", "item": "/agenda", "tag": "n1", "urgent": false, "count": 5}').encode()

    def send(i):
        result = push.send_webpush(subs[i % devices], body, private_key=key, subject="mailto:ops@example.com",
                                   ttl_hours=12, timeout=10.0)
        if not result.ok:
            raise RuntimeError(f"push failed: {result}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(threads * 4)))  # warm up: connections, imports
        start = time.perf_counter()
        list(pool.map(send, range(messages)))
        elapsed = time.perf_counter() - start
    rate = messages / elapsed
    figure("push_msgs_per_s", rate, "msg/s", 0)

    # The same through deliver(): claim, log and subscription rows in SQLite around each send.
    with app.app_context(), db.connection_context():
        estate = factories.make_estate("bench", "蓝鸟花园")
        owners = [factories.make_user(estate, username=f"p{i}") for i in range(devices)]
        for i, sub in enumerate(subs):
            service.subscribe(owners[i], sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"])
        from bluebird.notify.models import PushSubscription

        targets = [s.id for s in PushSubscription.select()]
        rows = [service.new_delivery("webpush", targets[i % devices], body.decode(), owners[i % devices].id)
                for i in range(messages)]

    def deliver(row):
        with app.app_context(), db.connection_context():
            if service.deliver(row.id, row.token) is not None:
                raise RuntimeError("delivery asked for a retry")

    with ThreadPoolExecutor(threads) as pool:
        start = time.perf_counter()
        list(pool.map(deliver, rows))
        elapsed = time.perf_counter() - start
    with app.app_context(), db.connection_context():
        sent = Delivery.select().where(Delivery.status == Delivery.SENT).count()
    figure("push_deliveries_per_s", sent / elapsed, "msg/s", 0)
    parent.send("stop")
    received, errors = parent.recv()
    server.join(timeout=10)
    note(f"push service received {received} messages, verification errors: {errors or 'none'}")
    if errors or sent != messages:
        raise SystemExit("the push service rejected messages: the figures above are not valid")
    return rate


def _serve_wecom(members, conn):
    """The fake WeCom API, in its own process: report its address, serve, count."""
    from tests.notify_fakes import FakeWeComApi

    with FakeWeComApi(members=members) as api:
        conn.send((api.base, api.corp_id, api.secret, api.agent_id))
        conn.recv()  # told to stop
        conn.send((api.total(), api.token_requests, api.dropped, api.duplicates, api.errors[:3]))


def bench_wecom(app, rounds, threads, members=500, per_member=3):
    from bluebird import clock
    from bluebird.db import db
    from bluebird.notify import service, wecom_app
    from bluebird.notify.models import Delivery
    from tests import factories

    names = [f"w{i}" for i in range(members)]
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve_wecom, args=(names, child), daemon=True)
    server.start()
    base, corp, secret, agent = parent.recv()
    app.config.update(WECOM_API_BASE=base, WECOM_HOSTS="127.0.0.1", WECOM_JITTER_S=0,
                      PUBLIC_URL="https://wuye.example.cn")
    now = clock.now().replace(second=10)
    with app.app_context(), db.connection_context():
        estate = factories.make_estate("wx", "微信花园")
        wecom_app.set_app(estate.id, corp, str(agent), secret)
        people = [factories.make_user(estate, username=name) for name in names]
        for user in people:
            wecom_app.set_userid(user.id, user.username)

    def deliver(item):
        with app.app_context(), db.connection_context():
            if service.deliver(item[0], item[1]) is not None:
                raise RuntimeError("delivery asked for a retry")

    elapsed = 0.0
    cards = 0
    with ThreadPoolExecutor(threads) as pool:
        for r in range(rounds + 1):  # round 0 warms up (connections, the one token fetch)
            at = now + timedelta(minutes=r)
            clock.set_now(at)
            with app.app_context(), db.connection_context():
                with db.atomic():  # the inbox rows (the same for every channel): not timed
                    for user in people:
                        for k in range(per_member):
                            service.notify(user, f"24小时回访 {r}-{k}", "3-1502 厨房漏水", "/agenda", urgent=True,
                                           now=at, tz="Asia/Shanghai")
                start = made = time.perf_counter()
                queued = service.dispatch(at)
            dispatched = time.perf_counter()
            list(pool.map(deliver, queued))
            note(f"round {r}: dispatch {dispatched - made:.2f} s, deliver {time.perf_counter() - dispatched:.2f} s")
            if r:
                elapsed += time.perf_counter() - start
                cards += len(queued)
    clock.set_now(None)
    with app.app_context(), db.connection_context():
        sent = Delivery.select().where((Delivery.channel == "wxapp") & (Delivery.status == Delivery.SENT)).count()
    rate = cards / elapsed
    figure("wecom_msgs_per_s", rate, "msg/s", 0)
    note(f"wecom: {cards} cards for {cards * per_member} notices to {members} members in {elapsed:.2f} s "
         "(dispatched and delivered)")
    parent.send("stop")
    total, token_requests, dropped, duplicates, errors = parent.recv()
    server.join(timeout=10)
    note(f"fake WeCom received {total}, token fetches {token_requests}, dropped {sum(dropped.values())}, "
         f"duplicates {duplicates}, errors: {errors or 'none'}")
    if errors or dropped or sent != total or token_requests != 1:
        raise SystemExit("the fake WeCom API refused or dropped messages: the figure above is not valid")
    return rate


def bench_tick(app, total, rng):
    from bluebird import clock
    from bluebird.auth.models import User
    from bluebird.db import db
    from bluebird.duties.models import Duty
    from bluebird.duties.scheduler import tick
    from bluebird.estate.models import Estate
    from tests import factories

    now = clock.now().replace(second=0)
    clock.set_now(now)
    with app.app_context(), db.connection_context():
        estates = [factories.make_estate(f"t{e}", f"小区{e}") for e in range(5)]
        roles = ["butler", "technician", "reception", "inspector"]
        staff = []
        for e in estates:
            staff += [factories.make_user(e, role=rng.choice(roles), username=f"s{e.id}-{i}") for i in range(100)]
            factories.make_user(e, role="manager", username=f"m{e.id}")
        rows = []
        for n in range(total):
            user = rng.choice(staff)
            due = now + timedelta(minutes=rng.randint(-3 * 1440, 30 * 1440))
            past = due < now + timedelta(minutes=30)
            rows.append(dict(estate=user.estate_id, kind=rng.choice(["repair_callback_24h", "complaint_callback",
                                                                      "inquiry_answer", "repair_finish"]),
                             subject=f"case:{n}", title=f"{n % 30 + 1}-{n % 1800 + 101} 回访",
                             assignee=user.id, due_at=due, due_date=due.date(), points=2,
                             created_at=due - timedelta(days=1), escalate_at=due + timedelta(hours=1),
                             # Steady state: what fell due before now was announced, and escalated.
                             notified_at=now - timedelta(minutes=1) if past else None,
                             escalated_at=now - timedelta(minutes=1) if due + timedelta(hours=1) <= now else None))
        with db.atomic():
            for start in range(0, len(rows), 2000):
                Duty.insert_many(rows[start:start + 2000]).execute()
        db.execute_sql("ANALYZE")
        open_count = Duty.select().where(Duty.done_at.is_null()).count()
        note(f"{open_count} open duties, {User.select().count()} staff in {Estate.select().count()} estates")
        tick(now)  # the day's recurring duties are made once; not timed
        times = []
        for minute in range(1, 31):
            at = now + timedelta(minutes=minute)
            start = time.perf_counter()
            done = tick(at)
            times.append((time.perf_counter() - start) * 1000)
        note(f"last tick did {done}")
        figure("tick_ms_100k", statistics.median(times), "ms")
        figure("tick_ms_100k_max", max(times), "ms")
        # A burst: 1,000 of the open duties all come due at the same minute.
        at = now + timedelta(minutes=60)
        burst = [d.id for d in Duty.select(Duty.id).where(Duty.notified_at.is_null()).limit(1000)]
        Duty.update(due_at=at + timedelta(minutes=10)).where(Duty.id.in_(burst)).execute()
        start = time.perf_counter()
        done = tick(at)
        figure("tick_ms_burst_1000", (time.perf_counter() - start) * 1000, "ms")
        note(f"burst tick did {done}")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--duties", type=int, default=100_000)
    parser.add_argument("--wecom-rounds", type=int, default=6, help="rounds of 3 notices to each of 500 members")
    parser.add_argument("--only", choices=["push", "wecom", "tick"], default=None)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    tmp = tempfile.mkdtemp(prefix="bluebird-bench-notify-")
    app = build_app(tmp)
    if args.only in (None, "push"):
        rate = bench_push(app, args.messages, args.threads)
        note(f"target: push ≥ {TARGET_MSGS} msg/s: {'met' if rate >= TARGET_MSGS else 'MISSED'}")
    if args.only in (None, "wecom"):
        rate = bench_wecom(app, args.wecom_rounds, args.threads)
        note(f"target: wecom ≥ {TARGET_MSGS} msg/s: {'met' if rate >= TARGET_MSGS else 'MISSED'}")
    if args.only in (None, "tick"):
        tick_ms = bench_tick(app, args.duties, random.Random(6))
        note(f"target: tick ≤ {TARGET_TICK_MS} ms: {'met' if tick_ms <= TARGET_TICK_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
