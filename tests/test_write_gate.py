"""SQLite writers take turns at the write gate; no turn in time answers 503, never a 500."""
import fcntl
import os
import threading
import time
import uuid

import pytest

from bluebird.cases.models import Case
from bluebird.db import db
from bluebird.writegate import GateTimeout, WriteGate, _FifoLock

sqlite_only = pytest.mark.skipif(os.environ.get("BLUEBIRD_TEST_DATABASE_URL", "").startswith("postgres"),
                                 reason="the gate serialises SQLite writers only")


def test_the_fifo_serves_waiters_in_arrival_order():
    lock, order = _FifoLock(), []
    assert lock.acquire(1)
    threads = []
    for i in range(6):
        t = threading.Thread(target=lambda i=i: (lock.acquire(5), order.append(i), lock.release()))
        t.start()
        threads.append(t)
        time.sleep(0.02)  # they queue up one after the other
    lock.release()
    for t in threads:
        t.join()
    assert order == list(range(6))


def test_a_waiter_that_gives_up_leaves_the_queue(tmp_path):
    gate = WriteGate(str(tmp_path / "x.db"), timeout=0.2)
    other = os.open(gate.path, os.O_RDWR | os.O_CREAT)  # another process's writer, in effect
    fcntl.flock(other, fcntl.LOCK_EX)
    started = time.monotonic()
    with pytest.raises(GateTimeout, match="database is locked"):
        gate.acquire()
    assert time.monotonic() - started < 1
    fcntl.flock(other, fcntl.LOCK_UN)
    gate.timeout = 2
    with gate:  # the abandoned wait gave its turn back
        assert gate.held
    assert not gate.held
    os.close(other)


@sqlite_only
def test_no_turn_to_write_answers_503_with_retry_after(app, butler_client, monkeypatch):
    gate = db.obj.gate
    monkeypatch.setattr(gate, "timeout", 0.3)
    other = os.open(gate.path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)
    data = {"kind": "repair", "place": "大堂", "source": "patrol", "scope": "public", "trade": "water",
            "work_type": "basic", "description": "漏水", "client_uuid": str(uuid.uuid4())}
    try:
        busy = butler_client.post("/cases/new", data)
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "2"
    assert "此刻保存的人较多" in busy.get_data(as_text=True)
    assert Case.select().count() == 0
    again = butler_client.post("/cases/new", data)  # the outbox sends it again: saved once
    assert again.status_code == 303
    assert Case.select().count() == 1


@sqlite_only
def test_writes_outside_a_transaction_take_their_turn_too(app):
    gate = db.obj.gate
    seen = []
    real = gate.acquire

    def spy():
        seen.append(True)
        real()

    gate.acquire = spy
    try:
        with db.connection_context():
            db.execute_sql("CREATE TEMP TABLE t (x)")
            db.execute_sql("SELECT 1")
            with db.atomic():
                db.execute_sql("INSERT INTO t VALUES (1)")
    finally:
        del gate.acquire
    assert len(seen) == 2  # the CREATE and the transaction; not the SELECT, not inside the transaction
    assert not gate.held
