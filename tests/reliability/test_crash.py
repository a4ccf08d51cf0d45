"""kill -9 of the server in the middle of a write storm loses nothing the client was told is saved.

Writers register repairs with a photo and log visitors, each with its own client_uuid.
The whole gunicorn (master and workers) is killed with SIGKILL mid-storm. Then:
the database is intact (integrity_check, foreign_key_check on SQLite); every uuid that
got a 2xx/3xx has its complete rows (the case AND its photo AND its duties; the
visitor); and after a restart, replaying every uuid (as the outbox does) completes the
rest exactly once.
"""
import threading
import time
import uuid

import pytest

from tests.reliability.harness import Instance, Staff, repair, storm, visitor, whole


@pytest.fixture
def crash_instance():
    inst = Instance("crash").setup()
    yield inst
    inst.close()


def test_kill_9_mid_storm_then_replay(crash_instance):
    inst = crash_instance
    server = inst.server()
    desk = Staff(server, "reception")
    clients = [desk.client() for _ in range(6)]
    sent, lock = {}, threading.Lock()

    def make(client, i, n):
        key, kind = str(uuid.uuid4()), "visitor" if n % 3 == 2 else "repair"
        with lock:
            sent[key] = (kind, None)
        response = repair(client, key, photos=1, seed=i * 100 + n) if kind == "repair" else visitor(client, key)
        with lock:
            sent[key] = (kind, response.status_code)
        return response

    stop = threading.Event()
    writers = threading.Thread(target=storm, args=(clients, 30, make, stop))
    writers.start()
    deadline = time.monotonic() + 30
    while len(sent) < 40 and time.monotonic() < deadline:  # well into the storm
        time.sleep(0.05)
    server.kill()
    stop.set()
    writers.join()
    assert len(sent) >= 20, "the storm never got going"

    if not inst.postgres:
        integrity, broken = inst.sqlite_checks()
        assert integrity == "ok"
        assert broken == []
    told_saved = [key for key, (_, status) in sent.items() if status is not None and status < 400]
    assert told_saved, "no submission was answered before the kill"
    incomplete = [key for key in told_saved if not whole(inst, sent[key][0], key)]
    assert incomplete == [], "answered 2xx/3xx but not complete"

    server = inst.server()
    client = Staff(server, "reception").client()
    for key, (kind, _) in sent.items():
        response = repair(client, key, photos=1) if kind == "repair" else visitor(client, key)
        assert response.status_code < 400, (key, kind, response.status_code)
    not_whole = [(key, kind) for key, (kind, _) in sent.items() if not whole(inst, kind, key)]
    assert not_whole == [], f"{len(not_whole)} of {len(sent)} submissions not complete after the replay"
