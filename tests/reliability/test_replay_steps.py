"""A replayed step against a real gunicorn (several worker processes): the same visitor-out or
case note sent twenty times at once is done once and answered 303 every time; a different
submission after it still gets the honest 409."""
import uuid

from tests.reliability.harness import in_threads, repair, status_of, visitor


def _statuses(results):
    return sorted(status_of(r) or repr(r) for r in results)


def _count(instance, subject, verb):
    return instance.scalar("SELECT count(*) FROM event WHERE subject = %s AND verb = %s", (subject, verb))


def test_a_visitor_out_sent_twenty_times_at_once_is_one_step(instance, desk):
    came = visitor(desk.client(), uuid.uuid4())
    assert came.status_code == 303
    (visitor_id,) = instance.sql("SELECT id FROM desk_visitor ORDER BY id DESC LIMIT 1")[0]
    clients = [desk.client() for _ in range(20)]
    key = str(uuid.uuid4())
    results = in_threads(20, lambda i: clients[i].post(f"/desk/visitors/{visitor_id}/out", {"client_uuid": key}))
    assert _statuses(results) == [303] * 20
    assert _count(instance, f"visitor:{visitor_id}", "out") == 1
    again = desk.client().post(f"/desk/visitors/{visitor_id}/out", {"client_uuid": str(uuid.uuid4())})
    assert again.status_code == 409 and "张三 已于" in again.text


def test_a_case_note_sent_twenty_times_at_once_is_added_once(instance, desk):
    made = repair(desk.client(), uuid.uuid4(), photos=0)
    assert made.status_code == 303
    case_id = int(made.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    clients = [desk.client() for _ in range(20)]
    key = str(uuid.uuid4())
    results = in_threads(20, lambda i: clients[i].post(f"/cases/{case_id}/comment",
                                                       {"client_uuid": key, "text": "业主下午在家"}))
    assert _statuses(results) == [303] * 20
    assert _count(instance, f"case:{case_id}", "comment") == 1
