"""Races against a real server: concurrent replays of one submission, concurrent first rounds.

A phone's outbox may send the same submission several times at once (a flaky link, two
tabs): each is one `client_uuid`, so there must be one row, one set of photos, and no 5xx.
"""
import uuid

from tests.reliability.harness import Staff, fail_item, in_threads, repair, start_walk, status_of


def _statuses(results):
    return sorted(status_of(r) or repr(r) for r in results)


def test_replayed_repair_with_a_photo_is_one_case(instance, desk):
    clients = [desk.client() for _ in range(20)]
    key = uuid.uuid4()
    results = in_threads(20, lambda i: repair(clients[i], key, photos=1))
    assert all(status_of(r) and status_of(r) < 500 for r in results), _statuses(results)
    cases = instance.sql('SELECT id FROM cases WHERE client_uuid = %s', (key.hex,))
    assert len(cases) == 1
    subject = f"case:{cases[0][0]}"
    assert instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s", (subject,)) == 1
    assert instance.scalar("SELECT count(*) FROM duty WHERE subject = %s", (subject,)) > 0
    # Every answer leads to that one case.
    assert {r.headers.get("Location", "").rsplit("/", 1)[-1] for r in results} == {str(cases[0][0])}


def test_replayed_failed_round_item_is_one_result_one_case(instance, manager):
    clients = [manager.client() for _ in range(20)]
    problems = []
    for trial in range(3):  # the window is narrow: three rounds, one item each
        round_id, item_id = start_walk(instance, clients[0])
        key = uuid.uuid4()
        results = in_threads(20, lambda i, r=round_id, it=item_id, k=key: fail_item(clients[i], r, it, k))
        assert all(status_of(r) and status_of(r) < 500 for r in results), _statuses(results)
        rows = instance.sql("SELECT id, case_id FROM item_result WHERE round_id = %s AND item_id = %s",
                            (round_id, item_id))
        assert len(rows) == 1
        result_id, case_id = rows[0]
        found = (
            instance.scalar("SELECT count(*) FROM event WHERE verb = 'from_round' AND detail LIKE %s",
                            (f'%"round": {round_id},%',)),
            instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s", (f"result:{result_id}",)),
            instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s", (f"case:{case_id}",)),
        )
        if case_id is None or found != (1, 1, 1):
            problems.append(f"trial {trial}: case {case_id}; cases, item photos, case photos = {found}")
    assert problems == []


def test_first_walk_rounds_started_together_seed_one_template(instance, server, new_estate):
    boss = Staff(server, f"{new_estate}-manager")
    clients = [boss.client() for _ in range(10)]
    results = in_threads(10, lambda i: clients[i].post("/rounds/start", {"kind": "walk",
                                                                         "client_uuid": str(uuid.uuid4())}))
    assert all(status_of(r) and status_of(r) < 500 for r in results), _statuses(results)
    used = instance.sql("SELECT DISTINCT r.template_id FROM round r JOIN estate e ON e.id = r.estate_id "
                        "WHERE e.code = %s", (new_estate,))
    assert len(used) == 1, f"the ten rounds use {len(used)} templates"
    family = instance.scalar("SELECT family FROM template WHERE id = %s", (used[0][0],))
    seeded = instance.scalar("SELECT count(*) FROM template t JOIN estate e ON e.id = t.estate_id "
                             "WHERE e.code = %s AND t.family = %s", (new_estate, family))
    assert seeded == 1
