"""Rounds under concurrency, against a real threaded server: replays of one failed item
race each other, the first rounds of a kind race to seed the checklist, and a retry
after a failed photo save completes the submission. SQLite and PostgreSQL alike."""
import io
import re
import threading
import uuid
from contextlib import contextmanager

import pytest
import requests
from PIL import Image
from werkzeug.serving import WSGIRequestHandler, make_server

from bluebird import clock
from bluebird.cases.models import Case
from bluebird.photos.models import Attachment
from bluebird.rounds import engine
from bluebird.rounds.models import ItemResult, Round, Template, TemplateItem
from tests import factories

THREADS = 20


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


@pytest.fixture
def server(app):
    """The session app served by a threaded werkzeug server on 127.0.0.1."""
    saved = app.config.get("SERVER_NAME")
    app.config["SERVER_NAME"] = None  # answer to the Host the client sends
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
    app.config["SERVER_NAME"] = saved


def _token(html):
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def _login(base, username):
    """A logged-in session: its cookies and the CSRF token its pages hand out."""
    http = requests.Session()
    token = _token(http.get(f"{base}/login").text)
    answer = http.post(f"{base}/login", data={"username": username, "password": factories.PASSWORD,
                                              "csrf_token": token}, allow_redirects=False)
    assert answer.status_code == 303, answer.text[:300]
    return http.cookies, _token(http.get(f"{base}/").text)


def _at_once(n, fn):
    """Run fn(i) in n threads released together; return their results in order."""
    gate = threading.Barrier(n)
    results = [None] * n

    def run(i):
        gate.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - reported as a result, asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _session(cookies):
    http = requests.Session()  # its own connection: the requests really overlap
    http.cookies.update(cookies)
    return http


def _jpeg(color=(120, 60, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def patrol(estate, butler):
    clock.set_now(None)
    round_ = engine.start(None, estate_id=estate.id, user=butler, kind="patrol", place_kind="patch",
                          place_id=butler.patch_id, place_label=butler.patch.name)
    return round_


def test_concurrent_replays_of_a_failed_item_make_one_result_one_case_and_its_photos(app, server, butler, patrol,
                                                                                    tmp_path):
    cookies, token = _login(server, "butler")
    item = TemplateItem.get((TemplateItem.template == patrol.template) & TemplateItem.text.contains("灭火器"))
    key = str(uuid.uuid4())
    photos = [_jpeg(), _jpeg((10, 200, 90))]

    def post(_):
        files = [("photos", (f"p{n}.jpg", data, "image/jpeg")) for n, data in enumerate(photos)]
        return _session(cookies).post(
            f"{server}/rounds/{patrol.id}/items/{item.id}", allow_redirects=False, files=files,
            data={"csrf_token": token, "client_uuid": key, "item_id": str(item.id), "result": "fail",
                  "note": "灭火器压力不足"}).status_code

    with _photo_root(app, tmp_path):
        statuses = _at_once(THREADS, post)
    assert statuses == [303] * THREADS
    # Every request stores its files before its transaction; the losers remove theirs.
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 2 * len(photos), files  # a display copy and a thumbnail per photo
    row = ItemResult.get()
    assert ItemResult.select().count() == 1 and Case.select().count() == 1 and row.case_id
    case = Case.get_by_id(row.case_id)
    assert Attachment.select().where(Attachment.subject == row.subject).count() == len(photos)
    assert Attachment.select().where(Attachment.subject == case.subject).count() == len(photos)
    assert Attachment.select().count() == 2 * len(photos)


def test_concurrent_first_rounds_of_a_kind_seed_one_checklist(server, estate, manager):
    assert Template.select().count() == 0  # a new estate: the first walk-rounds seed it
    cookies, token = _login(server, "manager")

    def start(_):
        return _session(cookies).post(f"{server}/rounds/start", allow_redirects=False, data={
            "csrf_token": token, "kind": "walk", "client_uuid": str(uuid.uuid4())}).status_code

    statuses = _at_once(10, start)
    assert statuses == [303] * 10
    template = Template.get()
    assert Template.select().count() == 1 and template.version == 1
    assert TemplateItem.select().count() == template.items.count() > 0
    assert {r.template_id for r in Round.select()} == {template.id} and Round.select().count() == 10


@contextmanager
def _photo_root(app, root):
    saved = app.config.get("PHOTO_ROOT")
    app.config["PHOTO_ROOT"] = str(root)
    try:
        yield
    finally:
        app.config["PHOTO_ROOT"] = saved


def test_a_retry_after_a_failed_photo_save_completes_the_submission(app, server, butler, patrol, tmp_path):
    from datetime import UTC, datetime

    cookies, token = _login(server, "butler")
    item = TemplateItem.get((TemplateItem.template == patrol.template) & TemplateItem.text.contains("灭火器"))
    key = str(uuid.uuid4())

    def post():
        return _session(cookies).post(
            f"{server}/rounds/{patrol.id}/items/{item.id}", allow_redirects=False,
            files=[("photos", ("p.jpg", _jpeg(), "image/jpeg"))],
            data={"csrf_token": token, "client_uuid": key, "result": "fail", "note": "灭火器过期"})

    blocker = tmp_path / datetime.now(UTC).strftime("%Y/%m/%d")  # where today's photos go
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the folder should be")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        with _photo_root(app, tmp_path):
            failed = post()
            assert failed.status_code == 500
            assert ItemResult.select().count() == 0 and Case.select().count() == 0  # nothing half-saved
            assert Attachment.select().count() == 0
            blocker.unlink()
            retried = post()
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert retried.status_code == 303
    row = ItemResult.get()
    assert row.case_id is not None
    assert Attachment.select().where(Attachment.subject == row.subject).count() == 1
    assert Attachment.select().where(Attachment.subject == Case.get_by_id(row.case_id).subject).count() == 1


def test_concurrent_replays_of_a_change_are_one_change(server, butler, patrol):
    from bluebird.timeline.models import Event

    cookies, token = _login(server, "butler")
    item = TemplateItem.get((TemplateItem.template == patrol.template) & TemplateItem.text.contains("路灯"))
    first = _session(cookies).post(f"{server}/rounds/{patrol.id}/items/{item.id}", allow_redirects=False, data={
        "csrf_token": token, "client_uuid": str(uuid.uuid4()), "result": "fail", "note": "路灯不亮"})
    assert first.status_code == 303
    case = Case.get_by_id(ItemResult.get().case_id)
    key = str(uuid.uuid4())

    def post(_):
        return _session(cookies).post(
            f"{server}/rounds/{patrol.id}/items/{item.id}", allow_redirects=False,
            files=[("photos", ("p.jpg", _jpeg(), "image/jpeg"))],
            data={"csrf_token": token, "client_uuid": key, "result": "fail", "note": "3号路灯灯罩脱落"}).status_code

    assert _at_once(THREADS, post) == [303] * THREADS
    row = ItemResult.get()
    assert row.note == "3号路灯灯罩脱落" and Case.select().count() == 1
    assert Attachment.select().where(Attachment.subject == row.subject).count() == 1
    assert Attachment.select().where(Attachment.subject == case.subject).count() == 1
    assert Event.select().where((Event.subject == case.subject) & (Event.verb == "round_item_changed")).count() == 1
