"""Reliability at length: replays, a crash under a storm, 32 writers on one SQLite file.

The long versions of tests/reliability/ against a real gunicorn on a temp instance:

    bench: replay_dupes N       1,000 replays (20 threads each, 50 uuids) of a repair with a
                                photo and of a failed round item: extra cases + photos + results
    bench: crash_lost N         kill -9 during a 60 s storm (repairs with photos, visitors),
                                restart, replay every uuid: submissions missing or incomplete
    bench: writers32_errors N   32 writers for 30 s: responses that were not 2xx/3xx
    bench: writers32_p99_ms X   their 99th percentile latency

Usage: python bench/reliability.py [--only writers|replay|crash] [--seconds S]
       [--workers W --threads T] (defaults: gunicorn.conf.py's settings for the database).
BLUEBIRD_TEST_DATABASE_URL=postgresql://… runs it on PostgreSQL.
"""
import argparse
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import figure, note, percentile  # noqa: E402
from tests.reliability.harness import (  # noqa: E402
    Instance,
    Staff,
    fail_item,
    in_threads,
    item_dupes,
    repair,
    start_walk,
    status_of,
    storm,
    visitor,
    whole,
)


def ok(status) -> bool:
    return status is not None and status < 400


@contextmanager
def office(name, args):
    """A set-up instance and its gunicorn; removed afterwards."""
    instance = Instance(name).setup()
    try:
        yield instance, instance.server(args.workers, args.threads)
    finally:
        instance.close()


def writers(args):
    """32 writers registering repairs (no photos: the write lock is what is measured)."""
    with office("bench-writers", args) as (instance, server):
        staff = Staff(server, "reception")
        clients = [staff.client() for _ in range(args.writers)]
        note(f"{args.writers} writers for {args.seconds:.0f} s on {server.base} ({'PostgreSQL' if instance.postgres else 'SQLite'})")
        rows = storm(clients, args.seconds, lambda c, i, n: repair(c, uuid.uuid4(), photos=0))
        statuses = Counter(r[2] for r in rows)
        errors = sum(1 for r in rows if not ok(r[2]))
        note(f"{len(rows)} requests, statuses {dict(statuses)}, "
             f"p50 {percentile([r[3] for r in rows], 50) * 1000:.0f} ms")
        figure(f"writers{args.writers}_errors", errors, "responses")
        figure(f"writers{args.writers}_p99_ms", percentile([r[3] for r in rows], 99) * 1000, "ms", 0)


def replay(args):
    """Concurrent replays of one uuid, 50 uuids x 20 threads, for a repair and a failed item."""
    with office("bench-replay", args) as (instance, server):
        desk, manager = Staff(server, "reception"), Staff(server, "manager")
        clients = [desk.client() for _ in range(20)]
        bosses = [manager.client() for _ in range(20)]
        dupes, fives = 0, 0
        rounds = args.replays // 20 // 2
        for k in range(rounds):
            key = uuid.uuid4()
            results = in_threads(20, lambda i, key=key, k=k: repair(clients[i], key, photos=1, seed=k))
            fives += sum(1 for r in results if not ok(status_of(r)))
            cases = instance.sql("SELECT id FROM cases WHERE client_uuid = %s", (key.hex,))
            photos = instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s",
                                     (f"case:{cases[0][0]}",)) if cases else 0
            dupes += abs(len(cases) - 1) + abs(photos - 1)
        for k in range(rounds):
            round_id, item_id = start_walk(instance, bosses[0])
            key = uuid.uuid4()
            results = in_threads(20, lambda i, key=key, r=round_id, it=item_id, k=k: fail_item(bosses[i], r, it, key, k))
            fives += sum(1 for r in results if not ok(status_of(r)))
            dupes += item_dupes(instance, round_id, item_id)
        note(f"{rounds * 40} replays: {fives} answers not 2xx/3xx")
        figure("replay_dupes", dupes, "rows")
        figure("replay_errors", fives, "responses")


def crash(args):
    """kill -9 in the middle of a storm; then replay every uuid and count what is not whole."""
    with office("bench-crash", args) as (instance, server):
        desk = Staff(server, "reception")
        clients = [desk.client() for _ in range(8)]
        sent: dict[str, tuple[str, int | None]] = {}
        lock = threading.Lock()

        def make(client, i, n):
            key, kind = uuid.uuid4(), "repair" if (i + n) % 3 else "visitor"
            with lock:
                sent[str(key)] = (kind, None)
            response = repair(client, key, photos=1, seed=n) if kind == "repair" else visitor(client, key)
            with lock:
                sent[str(key)] = (kind, response.status_code)
            return response

        seconds, stop = args.seconds, threading.Event()

        def kill():
            server.kill()
            stop.set()  # what is sent after the kill never reaches a server

        killer = threading.Timer(random.uniform(seconds * 0.5, seconds * 0.9), kill)
        killer.start()
        storm(clients, seconds, make, stop)
        killer.join()
        note(f"killed after a storm of {len(sent)} submissions")
        integrity, broken = ("ok", []) if instance.postgres else instance.sqlite_checks()
        lost = sum(1 for key, (kind, status) in sent.items() if ok(status) and not whole(instance, kind, key))
        note(f"integrity {integrity}, foreign keys broken {len(broken)}, 2xx without complete rows {lost}")
        server = instance.server(args.workers, args.threads)
        desk = Staff(server, "reception")
        keys = list(sent.items())

        def replay_slice(i):  # as 8 outboxes would: each key once, 8 at a time
            client = desk.client()
            for key, (kind, _) in keys[i::8]:
                repair(client, key, photos=1) if kind == "repair" else visitor(client, key)

        in_threads(8, replay_slice)
        lost += sum(1 for key, (kind, _) in sent.items() if not whole(instance, kind, key))
        lost += 0 if integrity == "ok" and not broken else 1
        figure("crash_lost", lost, "submissions")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["writers", "replay", "crash"])
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--replays", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    for name, fn, seconds in (("replay", replay, 0), ("crash", crash, 60), ("writers", writers, 30)):
        if args.only in (None, name):
            args.seconds = args.seconds if args.only else seconds
            args.seconds = args.seconds or seconds
            started = time.monotonic()
            fn(args)
            note(f"{name}: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
