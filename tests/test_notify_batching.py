"""Sender threads write their claims and settles together (notify.batching): on SQLite and
PostgreSQL, over real HTTP to the fake WeCom API, and a crash in a batched settle still
delivers each message exactly once."""
# ruff: noqa: F811 - the fixtures imported from tests/fixtures/push.py are test arguments
import logging
import threading
from datetime import datetime, timedelta

import pytest

from bluebird import clock
from bluebird.db import db
from bluebird.duties.scheduler import tick
from bluebird.notify import service, wecom_app
from bluebird.notify.batching import Batcher
from bluebird.notify.models import Delivery
from tests import factories
from tests.fixtures.push import immediate, notify_env  # noqa: F401
from tests.notify_fakes import FakeWeComApi

NINE = datetime(2026, 11, 23, 1, 0)  # 09:00 in Asia/Shanghai


class Crash(BaseException):
    """The consumer dying after WeCom took the messages, while their settles were written."""


def test_a_batcher_gives_each_thread_its_own_result_and_batches_those_that_wait():
    batches, started = [], threading.Event()
    release = threading.Event()

    def run(items):
        batches.append(list(items))
        if len(batches) == 1:
            started.set()
            release.wait(5)  # the first batch is slow: the others queue meanwhile
        if "bad" in items:
            raise ValueError("bad item")
        return [item * 2 for item in items]

    batcher = Batcher(run)
    results, errors = {}, {}

    def hand_in(item):
        try:
            results[item] = batcher(item)
        except ValueError as exc:
            errors[item] = exc

    first = threading.Thread(target=hand_in, args=("a",))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=hand_in, args=(x,)) for x in ("b", "c", "d")]
    for t in others:
        t.start()
    while sum(1 for s in batcher._waiting) < 3:  # all three wait behind the slow batch
        threading.Event().wait(0.005)
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert results == {"a": "aa", "b": "bb", "c": "cc", "d": "dd"}
    assert batches[0] == ["a"] and sorted(batches[1]) == ["b", "c", "d"]  # one batch for the three
    # An error reaches every thread of its batch, and the batcher goes on working.
    assert batcher("e") == "ee"
    with pytest.raises(ValueError):
        batcher("bad")
    assert batcher("f") == "ff" and not batcher._leading


def test_a_thread_inside_a_transaction_writes_alone(app):
    seen = []
    batcher = Batcher(lambda items: seen.append(list(items)) or [db.in_transaction()] * len(items))
    with app.app_context(), db.connection_context():
        with db.atomic():
            assert batcher("x") is True  # in the caller's own transaction
        assert batcher("y") is False
    assert seen == [["x"], ["y"]]


def _members(estate, api, count):
    people = []
    for i in range(count):
        user = factories.make_user(estate, username=f"m{i}")
        api.member(f"m{i}")
        wecom_app.set_userid(user.id, f"m{i}")
        people.append(user)
    return people


@pytest.fixture
def wx(app, estate, notify_env, monkeypatch):
    with FakeWeComApi() as api:
        for key, value in {"WECOM_API_BASE": api.base, "WECOM_HOSTS": "127.0.0.1", "WECOM_JITTER_S": 0,
                           "PUBLIC_URL": "https://wuye.example.cn"}.items():
            monkeypatch.setitem(app.config, key, value)
        monkeypatch.setattr(wecom_app, "_memo", {})
        wecom_app.set_app(estate.id, api.corp_id, str(api.agent_id), api.secret)
        yield api
        assert api.errors == [], api.errors


def _deliver_at_once(app, queued, now, threads=8):
    """Deliver from `threads` threads that start together; return what each raised."""
    barrier = threading.Barrier(threads)
    raised = []
    chunks = [queued[i::threads] for i in range(threads)]

    def sender(mine):
        with app.app_context(), db.connection_context():
            barrier.wait(10)
            for delivery_id, token, *_ in mine:
                try:
                    assert service.deliver(delivery_id, token, now) is None
                except BaseException as exc:  # noqa: BLE001 - the crash is what we look at
                    raised.append(exc)

    workers = [threading.Thread(target=sender, args=(c,)) for c in chunks]
    for t in workers:
        t.start()
    for t in workers:
        t.join(60)
    return raised


class _Statements(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql = []

    def emit(self, record):
        if isinstance(record.msg, tuple):
            self.sql.append(record.msg[0])


def test_senders_at_once_claim_and_settle_in_fewer_statements_and_send_each_card_once(app, estate, wx,
                                                                                         notify_env):
    people = _members(estate, wx, 40)
    clock.set_now(NINE)
    with notify_env.app_context():
        for user in people:
            service.notify(user, "24小时回访", "3-1502", "/agenda", urgent=True, now=NINE)
        queued = service.dispatch(NINE)
    assert len(queued) == 40
    statements, logger = _Statements(), logging.getLogger("peewee")
    logger.addHandler(statements)
    logger.setLevel(logging.DEBUG)
    try:
        raised = _deliver_at_once(app, queued, NINE)
    finally:
        logger.removeHandler(statements)
        logger.setLevel(logging.NOTSET)
    assert raised == []
    assert [len(wx.cards(f"m{i}")) for i in range(40)] == [1] * 40 and wx.duplicates == 0
    rows = list(Delivery.select().where(Delivery.channel == "wxapp"))
    assert {(d.status, d.attempts, d.lease_until, d.sent_at) for d in rows} == {("sent", 1, None, NINE)}
    writes = [s for s in statements.sql if s.lstrip().upper().startswith('UPDATE "DELIVERY"')]
    # One claim and one settle each would be 80 statements; threads that came together wrote together.
    assert len(writes) < 80, len(writes)
    assert wx.token_requests == 1


def test_a_crash_while_a_batch_of_settles_is_written_delivers_each_card_once(app, estate, wx, immediate,
                                                                             monkeypatch):
    """The design: a sender returns only once its settle is committed. Those cut down
    with their settle unwritten stay `sending`; when the lease runs out they are sent again
    with the same delivery id, and WeCom's duplicate check drops the second copy."""
    monkeypatch.setitem(app.config, "PUSH_LEASE_S", 60)
    people = _members(estate, wx, 8)
    clock.set_now(NINE)
    for user in people:
        service.notify(user, "24小时回访", "3-1502", "/agenda", urgent=True, now=NINE)
    queued = service.dispatch(NINE)

    def settle_then_die(cls, pairs, fields):
        raise Crash()

    with monkeypatch.context() as patch:
        patch.setattr(Delivery, "settle", classmethod(settle_then_die))
        raised = _deliver_at_once(app, queued, NINE, threads=8)
    assert len(raised) == 8 and all(isinstance(e, Crash) for e in raised)
    assert {d.status for d in Delivery.select()} == {"sending"}
    assert [len(wx.cards(f"m{i}")) for i in range(8)] == [1] * 8  # WeCom has every card
    tick(NINE + timedelta(seconds=30))  # the lease holds
    assert {d.status for d in Delivery.select()} == {"sending"}
    tick(NINE + timedelta(seconds=61))  # expired: queued again, sent again with the same id
    assert {(d.status, d.attempts) for d in Delivery.select()} == {("sent", 2)}
    assert [len(wx.cards(f"m{i}")) for i in range(8)] == [1] * 8 and wx.duplicates == 8
    tick(NINE + timedelta(minutes=10))
    assert [len(wx.cards(f"m{i}")) for i in range(8)] == [1] * 8
