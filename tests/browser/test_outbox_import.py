"""The office import of an exported outbox file (static/outbox.js, 待上传 › 导入文件).

A butler's phone is offline for days: he exports its outbox to a file, and at the office
logs in as himself on the PC and imports it. The items go through the same replay, under
his own login and the PC's session (its CSRF token): on the server exactly once, however
often the file is imported or the phone sends its own copy later. Somebody else's login
refuses the file; a tampered file is refused whole, with a Chinese reason.
"""
import base64
import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from bluebird.cases.models import Case
from bluebird.photos.models import Attachment
from bluebird.rounds.models import ItemResult
from bluebird.timeline.models import Event
from bluebird.visits.models import Visit
from tests import factories
from tests.browser.conftest import DEVICES, browser_contexts
from tests.browser.test_offline import (
    controlled,
    login,
    new_tab,
    offline,
    online,
    outbox,
    patrol,
    wait_for_outbox,
)
from tests.fixtures.photos import make_corpus as corpus

pytestmark = pytest.mark.browser

SHOTS = "/tmp/shots"
OFFICE = {"phone": DEVICES["phone"], "office": {"viewport": {"width": 1024, "height": 768}}}


@pytest.fixture
def contexts(browser, live_server):
    """contexts(device, through=None): a fresh browser (a phone through the cuttable link,
    or the office PC straight to the server), service workers allowed."""
    with browser_contexts(browser, live_server) as context_for:
        yield lambda device, through=None: context_for(through.url if through else live_server,
                                                       accept_downloads=True, **OFFICE[device])


@pytest.fixture
def site():
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    butler = factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    other = factories.make_user(estate, role="butler", username="butler2", name="王管家", patch=patch)
    unit = factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    return {"estate": estate, "butler": butler, "other": other, "unit": unit}


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    path = tmp_path_factory.mktemp("import-photos") / "IMG_0002.jpg"
    path.write_bytes(corpus.jpeg(corpus.photo(2000, 1500, 3), quality=90))
    return path


def _counts(round_, unit):
    cases = list(Case.select().where(Case.unit == unit.id))
    return {
        "results": ItemResult.select().where(ItemResult.round == round_.id).count(),
        "cases": len(cases),
        "photos": sum(Attachment.for_subject(c.subject).count() for c in cases),
        "visits": Visit.select().where(Visit.unit == unit.id).count(),
    }


def _phone_queues_three(contexts, link, collector, site, photo):
    """The butler's phone, offline: a round answer, a new repair with a photo, a visit."""
    round_ = patrol(site["estate"], site["butler"], n=2, fails=0)
    context = contexts("phone", through=link)
    page = new_tab(context, collector)
    login(page, "butler")
    page.goto("/cases/new?kind=repair")
    controlled(page)
    page.reload()  # the service worker keeps the case form
    page.goto(f"/rounds/{round_.id}")
    page.reload()  # and the round with its items
    page.wait_for_timeout(1000)
    page.goto(f"/visits/new?unit={site['unit'].id}")

    offline(context, link)
    form = page.locator("form.visit-form")
    form.locator("input[name=unit_code]").fill("3-1502")
    form.locator("select[name=way]").select_option("in_person")
    form.locator("input[name=met]").fill("业主本人")
    form.locator("textarea[name=opinions]").fill("对保洁满意")
    form.locator("button[data-submit]").click()
    wait_for_outbox(page, 1, timeout=15)

    page.goto("/cases/new?kind=repair")  # from the cache
    form = page.locator("form[data-photo-form]")
    form.locator("[name=unit_code]").fill("3-1502")
    form.locator("[name=description]").fill("地库B1漏水")
    form.locator("input[data-photo-input]").set_input_files(str(photo))
    expect(form.locator("[data-photo-previews] figure")).to_have_count(1, timeout=20000)
    form.locator("[data-submit]").click()
    wait_for_outbox(page, 2, timeout=20)

    page.goto(f"/rounds/{round_.id}")
    page.locator("[data-round-item] button.answer-ok").click()
    kept = wait_for_outbox(page, 3, timeout=15)
    # Kept, the page goes on to the next open item by itself: let that navigation finish
    # before the test navigates, or the two race (the test's goto is interrupted).
    page.wait_for_url(re.compile(r"[?&]item=\d+"), timeout=15000)
    assert sum(it["files"] for it in kept) == 1
    return round_, context, page


def _import(page, path):
    page.goto("/outbox")
    page.locator("[data-outbox-import-file]").set_input_files(str(path))
    expect(page.locator("[data-outbox-import]")).to_be_visible()


@pytest.mark.parametrize("office", ["office", "phone"])
def test_a_phones_file_imported_at_the_office_arrives_exactly_once(
        contexts, link, collector, site, photo, tmp_path, office):
    width = OFFICE[office]["viewport"]["width"]
    round_, phone_context, phone = _phone_queues_three(contexts, link, collector, site, photo)
    assert _counts(round_, site["unit"]) == {"results": 0, "cases": 0, "photos": 0, "visits": 0}

    # Export, still offline: one file naming who exported it, no CSRF token in it.
    phone.goto("/outbox")
    with phone.expect_download() as download:
        phone.locator("[data-outbox-export]").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert re.fullmatch(r"bluebird-outbox-butler-\d{8}-\d{4}\.json", path.name)
    body = json.loads(path.read_text())
    assert (body["format"], body["version"]) == ("bluebird-outbox", 2)
    assert body["exported_by"] == {"id": str(site["butler"].id), "username": "butler", "name": "李管家"}
    assert len(body["items"]) == 3
    assert not any(f[0] == "csrf_token" for it in body["items"] for f in it["fields"])

    # The office PC: the same butler logs in there (another session) and imports the file.
    desk = new_tab(contexts(office), collector)
    login(desk, "butler")
    _import(desk, path)
    rows = desk.locator("[data-outbox-import-item]")
    expect(rows).to_have_count(3)
    expect(desk.locator("[data-outbox-import-summary]")).to_contain_text("李管家")
    expect(desk.locator("[data-outbox-import-summary]")).to_contain_text("共 3 条，将导入 3 条")
    expect(rows.filter(has_text="地库B1漏水")).to_contain_text("1 张照片")
    desk.screenshot(path=f"{SHOTS}/import-preview-{width}.png")
    desk.locator("[data-outbox-import-go]").click()
    expect(desk.locator("[data-outbox-status]")).to_have_text("已导入 3 条，已全部上传。", timeout=30000)
    wait_for_outbox(desk, 0, timeout=30)
    expect(desk.locator("[data-outbox-import]")).to_be_hidden()
    desk.screenshot(path=f"{SHOTS}/import-done-{width}.png")
    once = {"results": 1, "cases": 1, "photos": 1, "visits": 1}
    assert _counts(round_, site["unit"]) == once
    case = Case.get(Case.unit == site["unit"].id)
    visit = Visit.get(Visit.unit == site["unit"].id)
    assert case.registrar_id == site["butler"].id and visit.by_id == site["butler"].id  # his, not the PC's
    assert case.description == "地库B1漏水"

    # The same file again: the server answers each replay without doubling anything.
    _import(desk, path)
    expect(desk.locator("[data-outbox-import-item]")).to_have_count(3)
    desk.locator("[data-outbox-import-go]").click()
    expect(desk.locator("[data-outbox-status]")).to_have_text("已导入 3 条，已全部上传。", timeout=30000)
    wait_for_outbox(desk, 0, timeout=30)
    assert _counts(round_, site["unit"]) == once

    # Somebody else at the office: refused, nothing queued.
    other = new_tab(contexts(office), collector)
    login(other, "butler2")
    _import(other, path)
    error = other.locator("[data-outbox-import-error]")
    expect(error).to_have_text("此文件由 李管家 导出，请李管家本人登录后导入。")
    expect(other.locator("[data-outbox-import-go]")).to_be_hidden()
    other.screenshot(path=f"{SHOTS}/import-refused-{width}.png")
    assert outbox(other) == []

    # The phone gets its signal back and sends its own copies: still once.
    online(phone_context, link)
    phone.locator("[data-outbox-send]").click()
    wait_for_outbox(phone, 0, timeout=30)
    assert _counts(round_, site["unit"]) == once
    collector.assert_clean(console=False)  # the phone's offline requests log network errors


# ---- Files that are not to be trusted ------------------------------------------------------

def _file(path, items, version=2, exported_by=None, fmt="bluebird-outbox"):
    body = {"format": fmt, "version": version, "exported_at": "2026-12-01T02:00:00.000Z", "items": items}
    if exported_by is not None:
        body["exported_by"] = exported_by
    path.write_text(json.dumps(body))
    return path


def _comment(case, user, text="业主下午三点后在家", url=None, files=()):
    cid = str(uuid.uuid4())
    return {"client_uuid": cid, "user": str(user.id), "user_name": user.username, "method": "POST",
            "url": url or f"/cases/{case.id}/comment", "label": "工单 · 备注", "page": f"/cases/{case.id}",
            "created": "2026-12-01T01:00:00.000Z", "attempts": 2, "last_error": "",
            "fields": [["client_uuid", cid], ["text", text], ["csrf_token", "stale-from-the-phone"]],
            "files": list(files)}


@pytest.mark.parametrize("office", ["office", "phone"])
def test_a_tampered_file_is_refused_whole_and_an_old_one_asks_whose_it_is(
        contexts, collector, site, tmp_path, office):
    width = OFFICE[office]["viewport"]["width"]
    case = factories.make_case(site["unit"], site["butler"])
    butler = site["butler"]
    me = {"id": str(butler.id), "username": "butler", "name": "李管家"}
    page = new_tab(contexts(office), collector)
    login(page, "butler")
    error = page.locator("[data-outbox-import-error]")

    refusals = [
        (_file(tmp_path / "a.json", [_comment(case, butler)], exported_by=me, fmt="something-else"),
         "这不是蓝鸟导出的待上传文件，未导入任何记录。"),
        (tmp_path / "b.json", "这不是蓝鸟导出的待上传文件，未导入任何记录。"),
        (_file(tmp_path / "c.json", [_comment(case, butler)], version=7, exported_by=me),
         "此文件的版本为 7，本系统无法读取，未导入任何记录。"),
        (_file(tmp_path / "d.json", [_comment(case, butler), _comment(case, butler, url="https://evil.example/cases/1/comment")],
               exported_by=me), "文件第 2 条的地址不是本系统的表单（https://evil.example/cases/1/comment），未导入任何记录。"),
        (_file(tmp_path / "e.json", [_comment(case, butler, url="//evil.example/cases/1/comment")], exported_by=me),
         "文件第 1 条的地址不是本系统的表单（//evil.example/cases/1/comment），未导入任何记录。"),
        (_file(tmp_path / "f.json", [_comment(case, butler, url=f"/cases/../admin/staff/{butler.id}/reset")],
               exported_by=me), "文件第 1 条的地址不是本系统的表单"),
        (_file(tmp_path / "g.json", [_comment(case, butler, files=[{"field": "photos", "name": "x.jpg", "type": "text/html",
                                                                   "data": base64.b64encode(b"<script>").decode()}])],
               exported_by=me), "文件第 1 条的照片格式不对（text/html），未导入任何记录。"),
        (_file(tmp_path / "h.json", [_comment(case, butler, files=[{"field": "photos", "name": "x.jpg", "type": "image/jpeg",
                                                                   "data": base64.b64encode(b"<html>nope").decode()}])],
               exported_by=me), "文件第 1 条的照片格式不对（image/jpeg），未导入任何记录。"),
    ]
    (tmp_path / "b.json").write_text("{not json")
    for path, message in refusals:
        _import(page, path)
        expect(error).to_contain_text(message)
        expect(page.locator("[data-outbox-import-go]")).to_be_hidden()
        if path.name == "d.json":
            page.screenshot(path=f"{SHOTS}/import-tampered-{width}.png")
        page.locator("[data-outbox-import-cancel]").click()
    assert outbox(page) == []
    assert not Event.select().where((Event.subject == case.subject) & (Event.verb == "comment")).exists()

    # An item that does not say who took it asks too, even in a version 2 file.
    nameless = _comment(case, butler)
    del nameless["user"], nameless["user_name"]
    _import(page, _file(tmp_path / "nameless.json", [nameless], exported_by=me))
    expect(page.locator("[data-outbox-import-confirm-row]")).to_be_visible()
    expect(page.locator("[data-outbox-import-go]")).to_be_disabled()
    page.locator("[data-outbox-import-cancel]").click()

    # A version 1 file does not say who exported it: he confirms it is his before it goes.
    # Its stale CSRF token is not this session's: the PC's own is sent.
    _import(page, _file(tmp_path / "v1.json", [_comment(case, butler)], version=1))
    expect(page.locator("[data-outbox-import-summary]")).to_contain_text("未记录导出人")
    go = page.locator("[data-outbox-import-go]")
    expect(go).to_be_disabled()
    page.screenshot(path=f"{SHOTS}/import-confirm-{width}.png")
    page.locator("[data-outbox-import-confirm-row]").click()
    expect(go).to_be_enabled()
    go.click()
    expect(page.locator("[data-outbox-status]")).to_have_text("已导入 1 条，已全部上传。", timeout=30000)
    wait_for_outbox(page, 0, timeout=30)
    notes = Event.select().where((Event.subject == case.subject) & (Event.verb == "comment"))
    assert [(e.data["text"], e.actor_id) for e in notes] == [("业主下午三点后在家", butler.id)]
    collector.assert_clean(console=False)  # the refusals are no errors; console quiet is not asserted
