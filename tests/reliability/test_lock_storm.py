"""Many writers at once never get a 500 (SQLite lock starvation, scaled to CI).

The issue's run: gunicorn -w 4 --threads 8 and 32 writers gave 15 x 500 ("database is
locked" at BEGIN after the 10 s busy_timeout), p99 10 s. Here: the same gunicorn
settings, 16 writers for 10 s. bench/reliability.py runs 32 writers for 30 s.
"""
import uuid
from collections import Counter

from bench._common import percentile
from tests.reliability.harness import Staff, repair, storm

WRITERS, SECONDS = 16, 10
P99_LIMIT_S = 5.0  # the target is 2 s (the bench); CI boxes are shared and slower


def test_sixteen_writers_get_no_errors(instance):
    server = instance.server(workers=4, threads=8)
    try:
        desk = Staff(server, "reception")
        clients = [desk.client() for _ in range(WRITERS)]
        rows = storm(clients, SECONDS, lambda c, i, n: repair(c, uuid.uuid4(), photos=0))
    finally:
        server.stop()
    statuses = Counter(r[2] for r in rows)
    p99 = percentile([r[3] for r in rows], 99)
    print(f"\nreliability: {WRITERS} writers x {SECONDS} s: {len(rows)} requests, {dict(statuses)}, "
          f"p99 {p99 * 1000:.0f} ms")
    assert set(statuses) == {303}, (dict(statuses), server.output()[-2000:])
    assert p99 <= P99_LIMIT_S
