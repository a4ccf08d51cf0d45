"""The server side of the outbox (static/outbox.js): a replay always finishes the work.

The outbox sends an item again whenever it saw no success answer. Whatever the first
attempt left behind (its photo files written, the process killed before the commit),
a replay with the same client_uuid and the same photos must complete the submission,
and a replay of a completed one must change nothing: never "already done" with the
photos or the case missing.
"""
import io
import uuid

from bluebird.cases.models import Case
from bluebird.photos.models import Attachment
from bluebird.rounds import engine, service
from bluebird.rounds.models import ItemResult, Template, TemplateItem
from tests import factories


def _files(root):
    return sorted(p for p in root.rglob("*") if p.is_file() and len(p.name) > 30)


def _round(estate, butler, opens_case=""):
    template = Template.create(estate=estate.id, family="patrol", name="巡查", version=1)
    item = TemplateItem.create(template=template, position=1, section="公共区域", text="消防通道畅通",
                               opens_case=opens_case)
    return factories.make_round(estate, butler), item


def _answer(client, round_, item, key, photos=2):
    return client.post(f"/rounds/{round_.id}/items/{item.id}", {
        "client_uuid": key, "item_id": str(item.id), "result": "fail", "note": "堆放杂物",
        "photos": [(io.BytesIO(factories.jpeg((i * 40, 90, 90))), f"p{i}.jpg") for i in range(photos)],
    }, content_type="multipart/form-data", headers={"X-Bluebird-Upload": "1", "X-Bluebird-Replay": key})


class Crash(RuntimeError):
    pass


def _crash_once(monkeypatch, module, name):
    real = getattr(module, name)
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash("the process died before the commit")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, crashing)
    return calls


def test_a_replay_after_a_crash_between_file_write_and_commit_completes_the_answer(
        butler_client, estate, butler, photo_root, real_500, monkeypatch):
    round_, item = _round(estate, butler)
    key = str(uuid.uuid4())
    _crash_once(monkeypatch, engine, "record_item")  # inside the transaction, after the files
    assert _answer(butler_client, round_, item, key).status_code == 500
    assert ItemResult.select().count() == 0 and Attachment.select().count() == 0

    replay = _answer(butler_client, round_, item, key)
    assert replay.status_code == 200 and replay.headers["X-Bluebird-Redirect"].endswith(f"/rounds/{round_.id}")
    row = ItemResult.get()
    assert row.result == "fail" and Attachment.for_subject(row.subject).count() == 2
    files = _files(photo_root)

    again = _answer(butler_client, round_, item, key)  # the outbox saw no answer and sends it again
    assert again.status_code == 200
    assert ItemResult.select().count() == 1 and Attachment.select().count() == 2
    assert _files(photo_root) == files  # a replay of a completed answer stores nothing


def test_a_replay_after_a_crash_while_opening_the_case_completes_case_and_photos(
        butler_client, estate, butler, photo_root, real_500, monkeypatch):
    round_, item = _round(estate, butler, opens_case="repair")
    key = str(uuid.uuid4())
    _crash_once(monkeypatch, service, "open_case")  # the answer's row written, its case not
    assert _answer(butler_client, round_, item, key).status_code == 500
    assert ItemResult.select().count() == 0 and Case.select().count() == 0  # one transaction: nothing

    assert _answer(butler_client, round_, item, key).status_code == 200
    row = ItemResult.get()
    case = Case.get()
    assert row.case_id == case.id
    assert Attachment.for_subject(row.subject).count() == 2 and Attachment.for_subject(case.subject).count() == 2

    assert _answer(butler_client, round_, item, key).status_code == 200
    assert Case.select().count() == 1 and Attachment.select().count() == 4


def test_a_page_loads_only_the_scripts_it_uses(butler_client, estate, butler):
    """photos.js only where a photo can be chosen, signature.js only at the move-in finish."""
    agenda = butler_client.get("/agenda").get_data(as_text=True)
    assert "htmx" in agenda and "outbox.js" in agenda
    assert "photos.js" not in agenda and "signature.js" not in agenda
    unit = factories.make_unit(factories.make_building(estate, "3", patch=butler.patch), "1502")
    case = factories.make_case(unit, butler)
    page = butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "photos.js" in page and "signature.js" not in page
    round_, _item = _round(estate, butler)
    patrol = butler_client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "photos.js" in patrol and "signature.js" not in patrol
