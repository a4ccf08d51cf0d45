"""Rounds end to end: patrols with QR checkpoints, move-in with signature and re-inspection,
renovation checks and notices, and the 100-point quality inspection with its veto."""
import base64
import io
import re
import uuid
from datetime import datetime, timedelta

import pytest
from PIL import Image

from bluebird import clock
from bluebird.auth.models import User
from bluebird.cases import clocks
from bluebird.cases.models import Case
from bluebird.duties.models import Duty
from bluebird.duties.scheduler import tick
from bluebird.estate.models import Unit
from bluebird.photos.models import Attachment
from bluebird.renovations.models import Permit
from bluebird.rounds import checkpoints, engine
from bluebird.rounds.models import (
    Checkpoint,
    CheckpointVisit,
    ItemResult,
    Round,
    Template,
    TemplateItem,
)
from bluebird.timeline.models import Event
from tests import factories

MONDAY_9 = datetime(2026, 11, 23, 1, 0)  # Monday 09:00 Shanghai


def _jpeg(color=(90, 140, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(buffer, "JPEG")
    return buffer.getvalue()


def _png_signature():
    im = Image.new("RGBA", (600, 220), (255, 255, 255, 0))
    for x in range(50, 550):
        im.putpixel((x, 110 + (x % 40) - 20), (0, 0, 0, 255))
    buffer = io.BytesIO()
    im.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def place(estate, butler, manager, receptionist, technician):
    clock.set_now(MONDAY_9)
    building = factories.make_building(estate, "3", patch=butler.patch)
    unit = factories.make_unit(building, "1502", status="not_handed_over")
    return {"building": building, "unit": unit}


def _start(client, kind, **extra):
    data = {"kind": kind, "client_uuid": str(uuid.uuid4())}
    data.update(extra)
    response = client.post("/rounds/start", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return Round.get_by_id(int(response.headers["Location"].rstrip("/").split("/")[-1]))


def _answer(client, round_, item, result, **extra):
    data = {"result": result, "client_uuid": str(uuid.uuid4())}
    photos = extra.pop("photos", None)
    data.update(extra)
    if photos:
        data["photos"] = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
        return client.post(f"/rounds/{round_.id}/items/{item.id}", data, content_type="multipart/form-data")
    return client.post(f"/rounds/{round_.id}/items/{item.id}", data)


def _answer_all(client, round_, result="ok"):
    for item in engine.items_of(round_):
        if not ItemResult.get_or_none((ItemResult.round == round_.id) & (ItemResult.item == item.id)):
            assert _answer(client, round_, item, result).status_code == 303


def test_daily_duties_are_generated_once_a_day(place, butler, manager, receptionist):
    made = tick(MONDAY_9)["generated"]
    kinds = {d.kind for d in Duty.select()}
    assert {"daily_patrol", "manager_walk", "lobby_check", "vacant_patrol"} <= kinds
    patrol = Duty.get(Duty.kind == "daily_patrol")
    assert patrol.assignee_id == butler.id and patrol.due_at == datetime(2026, 11, 23, 10, 0)  # 18:00 local
    assert Duty.select().where(Duty.kind == "manager_walk").count() == 2
    vacant = Duty.get(Duty.kind == "vacant_patrol")
    assert vacant.subject == f"unit:{place['unit'].id}" and vacant.due_at == datetime(2026, 11, 27, 10, 0)
    rounds_kinds = ["daily_patrol", "manager_walk", "lobby_check", "vacant_patrol", "renovation_check"]
    assert made == Duty.select().where(Duty.kind.in_(rounds_kinds)).count()
    assert tick(MONDAY_9 + timedelta(minutes=1))["generated"] == 0
    assert tick(MONDAY_9 + timedelta(days=1))["generated"] > 0
    assert Duty.select().where(Duty.kind == "vacant_patrol").count() == 1  # weekly, not daily


def test_patrol_with_checkpoints_a_failure_opening_a_repair_and_the_duty_closed(butler_client, butler, place, estate):
    tick(MONDAY_9)
    gate = Checkpoint.create(estate=estate, name="北门", patch=butler.patch, position=1)
    Checkpoint.create(estate=estate, name="地库入口", patch=butler.patch, position=2)
    with butler_client.app.test_request_context():
        token = checkpoints.token_for(gate)
    scanned = butler_client.get(f"/rounds/scan/{token}")  # no patrol yet: scanning starts one
    assert scanned.status_code == 303
    patrol = Round.get(Round.kind == "patrol")
    assert CheckpointVisit.get().checkpoint_id == gate.id
    page = butler_client.get(f"/rounds/{patrol.id}").get_data(as_text=True)
    assert "检查点 1/2" in page and "北门" in page
    lights = TemplateItem.get((TemplateItem.template == patrol.template) & TemplateItem.text.contains("路灯"))
    response = _answer(butler_client, patrol, lights, "fail", note="3号楼楼道灯不亮", photos=[_jpeg()])
    assert response.status_code == 303
    result = ItemResult.get(ItemResult.item == lights.id)
    case = Case.get_by_id(result.case_id)
    assert case.kind == "repair" and case.source == "patrol" and "楼道灯" in case.description
    assert case.place == "北门 · 一区"  # the checkpoint last stamped, not just the patch
    assert Attachment.select().where(Attachment.subject == case.subject).count() == 1
    assert Duty.select().where((Duty.subject == case.subject) & (Duty.kind == clocks.ARRIVE)).exists()
    _answer_all(butler_client, patrol)
    warned = butler_client.post(f"/rounds/{patrol.id}/finish", {"note": "东侧积水"})
    assert warned.status_code == 409  # one of two checkpoints stamped: asked first
    text = warned.get_data(as_text=True)
    assert "地库入口" in text and "仍然完成" in text and "东侧积水" in text
    assert Round.get_by_id(patrol.id).finished_at is None
    assert butler_client.post(f"/rounds/{patrol.id}/finish", {"note": "东侧积水", "unstamped_ok": "1"}).status_code == 303
    done = Round.get_by_id(patrol.id)
    assert (done.checkpoints_stamped, done.checkpoints_total) == (1, 2)
    finished = Event.get((Event.subject == done.subject) & (Event.verb == "finished")).data
    assert finished["checkpoints"] == "1/2" and finished["unstamped"] == ["地库入口"]
    duty = Duty.get(Duty.kind == "daily_patrol")
    assert duty.done_at is not None and duty.done_by_id == butler.id
    summary = butler_client.get(f"/rounds/{patrol.id}").get_data(as_text=True)
    assert case.number in summary and "3号楼楼道灯不亮" in summary and "检查点 1/2" in summary
    assert "检查点 1/2" in butler_client.get("/rounds/").get_data(as_text=True)  # the round record too
    assert "未打卡: 地库入口" in butler_client.get(f"/rounds/{patrol.id}/timeline").get_data(as_text=True)
    case_page = butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "每日巡查发现：路灯" in case_page  # the case tells where it was found


def test_a_forged_or_foreign_checkpoint_code_is_refused(butler_client, place, other_estate):
    foreign = Checkpoint.create(estate=other_estate, name="别家北门")
    with butler_client.app.test_request_context():
        token = checkpoints.token_for(foreign)
    assert butler_client.get(f"/rounds/scan/{token}").status_code == 404
    forged = butler_client.get("/rounds/scan/WzEsIDFd.forged-signature")
    assert forged.status_code == 404 and "不是本项目的检查点" in forged.get_data(as_text=True)
    assert CheckpointVisit.select().count() == 0


def test_finishing_needs_every_answer_and_the_required_photos_and_notes(butler_client, butler, place):
    patrol = _start(butler_client, "patrol")
    fire_lane = TemplateItem.get((TemplateItem.template == patrol.template) & TemplateItem.text.contains("消防通道"))
    assert _answer(butler_client, patrol, fire_lane, "fail", note="堆放杂物", photos=[_jpeg()]).status_code == 303
    photo = Attachment.get(Attachment.subject == ItemResult.get().subject)
    from bluebird.photos.service import soft_delete

    soft_delete(photo, butler)  # the photo was removed afterwards: the failure lacks it again
    refused = butler_client.post(f"/rounds/{patrol.id}/finish", {})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "需要照片" in text
    assert "未作答" in text
    assert Round.get_by_id(patrol.id).finished_at is None


def test_a_failure_is_refused_until_its_required_note_and_photo_are_there(butler_client, butler, place):
    patrol = _start(butler_client, "patrol")
    fire_lane = TemplateItem.get((TemplateItem.template == patrol.template) & TemplateItem.text.contains("消防通道"))
    assert fire_lane.needs_note and fire_lane.needs_photo and fire_lane.opens_case == "incident"
    bare = _answer(butler_client, patrol, fire_lane, "fail")
    assert bare.status_code == 422
    page = bare.get_data(as_text=True)
    assert '<details class="fail-box" open' in page
    assert re.search(r'class="field has-error">\s*<label class="label" for="item-note"', page)
    assert "这个项目不合格时需要备注" in page
    no_photo = _answer(butler_client, patrol, fire_lane, "fail", note="消防通道堆放电动车")
    assert no_photo.status_code == 422
    assert re.search(r'has-error">\s*<label class="label" for="item-photos"', no_photo.get_data(as_text=True))
    assert "消防通道堆放电动车" in no_photo.get_data(as_text=True)  # what was typed is still there
    assert ItemResult.select().count() == 0 and Case.select().count() == 0

    assert _answer(butler_client, patrol, fire_lane, "fail", note="消防通道堆放电动车",
                   photos=[_jpeg(), _jpeg((200, 30, 30))]).status_code == 303
    result = ItemResult.get()
    case = Case.get_by_id(result.case_id)
    assert case.kind == "incident" and "消防通道堆放电动车" in case.description
    assert case.place == "一区"  # no checkpoint stamped yet: the patch is all the round knows
    assert Attachment.select().where(Attachment.subject == case.subject).count() == 2

    # Changing the item afterwards reaches its case: the new note and photo, on its timeline.
    changed = _answer(butler_client, patrol, fire_lane, "fail", note="已通知车主，车仍未挪走", photos=[_jpeg((0, 90, 0))])
    assert changed.status_code == 303
    assert "已更新" in butler_client.get(f"/rounds/{patrol.id}").get_data(as_text=True)
    assert Case.select().count() == 1 and ItemResult.get().note == "已通知车主，车仍未挪走"
    assert Attachment.select().where(Attachment.subject == case.subject).count() == 3
    event = Event.get((Event.subject == case.subject) & (Event.verb == "round_item_changed"))
    assert event.data["note"] == "已通知车主，车仍未挪走" and event.data["photos"] == 1
    case_page = butler_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "已通知车主，车仍未挪走" in case_page

    # Once the case is closed the change stays on the round, and the butler is told why.
    Case.update(status="closed", closed_at=clock.now()).where(Case.id == case.id).execute()
    late = _answer(butler_client, patrol, fire_lane, "fail", note="车又停回来了")
    assert late.status_code == 303
    assert "已关闭" in butler_client.get(f"/rounds/{patrol.id}").get_data(as_text=True)
    assert Event.select().where((Event.subject == case.subject) & (Event.verb == "round_item_changed")).count() == 1


def test_an_answer_names_its_item_and_the_same_answer_twice_is_one_answer(butler_client, place):
    patrol = _start(butler_client, "patrol")
    first, second = engine.items_of(patrol)[:2]
    wrong = _answer(butler_client, patrol, first, "ok", item_id=str(second.id))
    assert wrong.status_code == 409 and ItemResult.select().count() == 0
    assert _answer(butler_client, patrol, first, "ok", item_id=str(first.id)).status_code == 303
    at = ItemResult.get().at
    clock.advance(seconds=1)
    assert _answer(butler_client, patrol, first, "ok", item_id=str(first.id)).status_code == 303  # a new uuid
    assert ItemResult.select().count() == 1 and ItemResult.get().at == at
    assert not Event.select().where(Event.verb == "item_changed").exists()
    page = butler_client.get(f"/rounds/{patrol.id}").get_data(as_text=True)
    assert f'name="item_id" value="{second.id}"' in page  # the next item's forms name it


def test_a_replayed_change_is_one_change(butler_client, place):
    patrol = _start(butler_client, "patrol")
    lights = TemplateItem.get((TemplateItem.template == patrol.template) & TemplateItem.text.contains("路灯"))
    assert _answer(butler_client, patrol, lights, "fail", note="楼道灯不亮").status_code == 303
    case = Case.get()
    key = str(uuid.uuid4())
    for _ in range(2):
        assert _answer(butler_client, patrol, lights, "fail", note="5楼楼道灯不亮", photos=[_jpeg()],
                       client_uuid=key).status_code == 303
    assert Attachment.select().where(Attachment.subject == ItemResult.get().subject).count() == 1
    assert Attachment.select().where(Attachment.subject == case.subject).count() == 1
    assert Event.select().where((Event.subject == case.subject) & (Event.verb == "round_item_changed")).count() == 1
    assert _answer(butler_client, patrol, lights, "ok").status_code == 303  # fixed on the spot after all
    assert "仍未关闭" in butler_client.get(f"/rounds/{patrol.id}").get_data(as_text=True)
    assert Case.get_by_id(case.id).is_open  # closing it is the case's own step, with its call-back


def test_an_error_keeps_the_form_as_it_was(app, estate, place):
    factories.make_user(estate, role="inspector", username="qc2")
    from tests.fixtures.app import Client

    client = Client(app)
    client.login("qc2")
    audit = _start(client, "quality", place="全小区")
    item = engine.items_of(audit)[0]
    over = _answer(client, audit, item, "fail", note="超时到场", deduction="4", photos=[_jpeg()])
    assert over.status_code == 422
    page = over.get_data(as_text=True)
    assert '<details class="fail-box" open' in page
    assert re.search(r'has-error">\s*<label class="label" for="deduction"[\s\S]*?0 到 3', page)
    assert re.search(r'<textarea[^>]*id="item-note"[^>]*>\s*超时到场</textarea>', page)
    assert re.search(r'<textarea[^>]*id="finish-note"[^>]*>\s*</textarea>', page)  # not copied into 总结备注
    assert 'class="flash flash-error"' not in page  # so the page script puts the chosen photo back
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]

    bad_photo = _answer(client, audit, item, "fail", note="超时到场", deduction="3", photos=[b"not an image"])
    assert bad_photo.status_code in (415, 422)
    page = bad_photo.get_data(as_text=True)
    assert '<details class="fail-box" open' in page
    assert re.search(r'has-error">\s*<label class="label" for="item-photos"', page)
    assert re.search(r'<textarea[^>]*id="item-note"[^>]*>\s*超时到场</textarea>', page)
    assert ItemResult.select().count() == 0


def test_only_the_rounds_owner_or_a_supervisor_may_change_it(app, butler_client, manager_client, butler, estate,
                                                             place):
    from tests.fixtures.app import Client

    factories.make_user(estate, role="butler", username="butler2", patch=butler.patch)
    other = Client(app)
    other.login("butler2")
    patrol = _start(butler_client, "patrol")
    item = engine.items_of(patrol)[0]
    refused = _answer(other, patrol, item, "ok")
    assert refused.status_code == 403 and "只有本人或主管" in refused.get_data(as_text=True)
    assert other.post(f"/rounds/{patrol.id}/finish", {}).status_code == 403
    assert ItemResult.select().count() == 0 and Round.get_by_id(patrol.id).finished_at is None
    assert 'data-answer' not in other.get(f"/rounds/{patrol.id}").get_data(as_text=True)
    gate = Checkpoint.create(estate=estate, name="北门", patch=butler.patch)
    with pytest.raises(engine.RoundError) as stamped:
        checkpoints.stamp(patrol, gate, User.get(User.username == "butler2"))
    assert stamped.value.status == 403 and CheckpointVisit.select().count() == 0
    assert _answer(manager_client, patrol, item, "ok").status_code == 303  # a supervisor may step in
    assert _answer(butler_client, patrol, engine.items_of(patrol)[1], "ok").status_code == 303


def test_an_item_of_a_finished_round_or_a_foreign_template_is_refused(butler_client, place, estate):
    patrol = _start(butler_client, "patrol")
    _answer_all(butler_client, patrol)
    butler_client.post(f"/rounds/{patrol.id}/finish", {})
    item = engine.items_of(patrol)[0]
    late = _answer(butler_client, patrol, item, "fail", note="改主意")
    assert late.status_code == 409 and "已结束" in late.get_data(as_text=True)
    assert ItemResult.get((ItemResult.round == patrol.id) & (ItemResult.item == item.id)).result == "ok"
    other = _start(butler_client, "patrol")
    lobby = engine.template_for(estate.id, "lobby").items.first()
    wrong = _answer(butler_client, other, lobby, "ok")
    assert wrong.status_code == 409 and "不在本次检查的清单上" in wrong.get_data(as_text=True)


def test_photo_files_of_a_refused_or_replayed_answer_are_not_left_behind(app, butler_client, place, tmp_path):
    """Files are written before the write transaction; one that commits nothing removes them."""
    def files():
        return [p for p in tmp_path.rglob("*") if p.is_file()]

    saved, app.config["PHOTO_ROOT"] = app.config.get("PHOTO_ROOT"), str(tmp_path)
    try:
        patrol = _start(butler_client, "patrol")
        item = engine.items_of(patrol)[0]
        key = str(uuid.uuid4())
        for _ in range(2):
            assert _answer(butler_client, patrol, item, "fail", note="灯不亮", photos=[_jpeg()],
                           client_uuid=key).status_code == 303
        assert len(files()) == 2  # one display copy and one thumbnail
        _answer_all(butler_client, patrol)
        assert butler_client.post(f"/rounds/{patrol.id}/finish", {}).status_code == 303
        late = _answer(butler_client, patrol, item, "fail", note="又坏了", photos=[_jpeg((200, 40, 40))])
        assert late.status_code == 409 and len(files()) == 2
    finally:
        app.config["PHOTO_ROOT"] = saved


def test_a_replayed_item_submission_saves_once(butler_client, place):
    patrol = _start(butler_client, "patrol")
    item = engine.items_of(patrol)[0]
    key = str(uuid.uuid4())
    assert _answer(butler_client, patrol, item, "ok", client_uuid=key).status_code == 303
    assert _answer(butler_client, patrol, item, "fail", client_uuid=key).status_code == 303
    assert ItemResult.select().count() == 1 and ItemResult.get().result == "ok"
    elsewhere = _start(butler_client, "patrol")  # the same UUID on another round names nothing there
    reused = _answer(butler_client, elsewhere, engine.items_of(elsewhere)[0], "ok", client_uuid=key)
    assert reused.status_code == 409 and ItemResult.select().count() == 1


def test_move_in_defects_become_warranty_repairs_and_the_re_inspection_closes_them(butler_client, butler, place):
    unit = place["unit"]
    movein = _start(butler_client, "movein", unit_code="3-1502")
    items = engine.items_of(movein)
    assert len(items) == 48  # 6 rooms x 8 checks
    wall, drain = items[0], items[7]
    _answer(butler_client, movein, wall, "fail", note="入户墙面开裂", photos=[_jpeg()])
    _answer(butler_client, movein, drain, "fail", note="地漏反味", photos=[_jpeg((30, 30, 30))])
    repairs = list(Case.select().order_by(Case.id))
    assert len(repairs) == 2 and all(c.warranty and c.unit_id == unit.id for c in repairs)
    assert all(c.source == "inspection" for c in repairs)
    assert "验房" in butler_client.get(f"/cases/{repairs[0].id}").get_data(as_text=True)
    assert not Duty.select().where(Duty.kind == clocks.ARRIVE).exists()  # the builder's job, not ours
    _answer_all(butler_client, movein)
    no_signature = butler_client.post(f"/rounds/{movein.id}/finish", {"keys_note": "钥匙2把"})
    assert no_signature.status_code == 422 and "业主签字" in no_signature.get_data(as_text=True)
    not_png = butler_client.post(f"/rounds/{movein.id}/finish", {
        "keys_note": "钥匙2把", "signature_data": "data:image/png;base64," + base64.b64encode(b"GIF89a...").decode()})
    assert not_png.status_code == 422 and "PNG" in not_png.get_data(as_text=True)
    assert Unit.get_by_id(unit.id).status == "not_handed_over"
    done = butler_client.post(f"/rounds/{movein.id}/finish", {"keys_note": "入户门钥匙2把，门禁卡2张",
                                                              "owner_name": "王建国", "owner_phone": "13900001234",
                                                              "signature_data": _png_signature()})
    assert done.status_code == 303
    assert Unit.get_by_id(unit.id).status == "handed_over"
    signature = Attachment.get(Attachment.subject == f"signature:{movein.id}")
    assert signature.source_format == "PNG"
    assert Event.select().where((Event.subject == movein.subject) & (Event.verb == "signed")).exists()
    shown = butler_client.get(f"/photos/{signature.token}/display.jpg")
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    shown.close()

    recheck = butler_client.post(f"/rounds/{movein.id}/reinspect", {"client_uuid": str(uuid.uuid4())})
    child = Round.get(Round.kind == "reinspect")
    assert recheck.headers["Location"].endswith(f"/rounds/{child.id}")
    assert [i.id for i in engine.items_of(child)] == [wall.id, drain.id]
    _answer(butler_client, child, wall, "ok")
    _answer(butler_client, child, drain, "fail", note="仍反味", photos=[_jpeg()])
    fixed, still = [Case.get_by_id(c.id) for c in repairs]
    assert fixed.status == "closed" and still.status != "closed"
    assert Case.select().count() == 2  # the defect still there goes on its open case, not a new one
    assert Event.select().where((Event.subject == still.subject) & (Event.verb == "round_item_changed")).exists()
    assert Attachment.select().where(Attachment.subject == still.subject).count() == 2
    assert not Duty.select().where((Duty.subject == fixed.subject) & Duty.done_at.is_null()).exists()


def test_renovation_permit_checks_violation_notice_and_acceptance(butler_client, manager_client, butler, place):
    unit = place["unit"]
    Unit.update(status="handed_over").where(Unit.id == unit.id).execute()
    today = clock.now().date()
    response = butler_client.post("/renovations/new", {
        "client_uuid": str(uuid.uuid4()), "unit_code": "3-1502", "applicant": "王先生", "contractor": "美家装饰",
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=20)).isoformat(),
        "hours": "08:00-12:00, 14:00-18:00", "deposit": "2000"})
    assert response.status_code == 303
    permit = Permit.get()
    butler_client.post(f"/renovations/{permit.id}/advance")  # approved
    butler_client.post(f"/renovations/{permit.id}/advance")  # in progress
    assert Unit.get_by_id(unit.id).status == "renovating"
    tick(clock.now())
    duty = Duty.get(Duty.kind == "renovation_check")
    assert duty.subject == permit.subject and duty.assignee_id == butler.id
    check = _start(butler_client, "renovation", permit=str(permit.id))
    wall = TemplateItem.get((TemplateItem.template == check.template) & TemplateItem.text.contains("承重墙"))
    no_note = _answer(butler_client, check, wall, "fail", photos=[_jpeg()])
    assert no_note.status_code == 422  # a failure is taken only with its note
    assert butler_client.post(f"/rounds/{check.id}/finish", {}).status_code == 422
    _answer(butler_client, check, wall, "fail", note="拆除卧室承重墙", photos=[_jpeg()])
    _answer_all(butler_client, check)
    assert butler_client.post(f"/rounds/{check.id}/finish", {}).status_code == 303
    assert Duty.get_by_id(duty.id).done_at is not None
    bad_notice = butler_client.post(f"/renovations/{permit.id}/notices", {"kind": "stop_work", "text": ""})
    assert bad_notice.status_code == 422
    butler_client.post(f"/renovations/{permit.id}/notices", {"kind": "stop_work", "text": "立即停工，恢复承重墙"})
    page = butler_client.get(f"/renovations/{permit.id}").get_data(as_text=True)
    assert "停工通知" in page and "立即停工" in page
    butler_client.post(f"/renovations/{permit.id}/advance")  # accepted
    assert Permit.get_by_id(permit.id).status == "accepted" and Unit.get_by_id(unit.id).status == "occupied"


def test_worker_passes_keep_only_the_id_tail_and_cannot_outlast_the_permit(butler_client, butler, place):
    permit = factories.make_permit(place["unit"], butler)
    ok = butler_client.post(f"/renovations/{permit.id}/passes", {
        "name": "李师傅", "id_number": "110101199001011234", "valid_until": permit.ends_on.isoformat()})
    assert ok.status_code == 303
    worker = permit.passes.get()
    assert worker.id_tail == "1234" and "110101" not in worker.masked_id
    too_long = butler_client.post(f"/renovations/{permit.id}/passes", {
        "name": "张师傅", "id_number": "110101199001015678",
        "valid_until": (permit.ends_on + timedelta(days=1)).isoformat()})
    assert too_long.status_code == 422 and permit.passes.count() == 1


def test_a_permit_past_its_end_date_shows_up(butler_client, butler, place):
    today = clock.now().date()
    factories.make_permit(place["unit"], butler, starts_on=today - timedelta(days=40),
                          ends_on=today - timedelta(days=1), status="in_progress")
    assert "已超期" in butler_client.get("/renovations/").get_data(as_text=True)


def test_quality_inspection_scores_100_points_with_deductions_and_a_veto(app, estate, place):
    inspector = factories.make_user(estate, role="inspector", username="qc")
    from tests.fixtures.app import Client

    client = Client(app)
    client.login("qc")
    first = _start(client, "quality", place="全小区")
    items = engine.items_of(first)
    assert sum(i.points for i in items) == 100 and first.max_score == 100
    over = _answer(client, first, items[0], "fail", note="超时到场", deduction="4")
    assert over.status_code == 422 and "0 到 3" in over.get_data(as_text=True)
    _answer(client, first, items[0], "fail", note="超时到场", deduction="3", photos=[_jpeg()])
    _answer(client, first, items[1], "fail", note="现场未清", deduction="1", photos=[_jpeg()])
    _answer_all(client, first)
    assert client.post(f"/rounds/{first.id}/finish", {}).status_code == 303
    first = Round.get_by_id(first.id)
    assert first.score == 96 and not first.vetoed
    assert ("维修（30分）", 26, 30) in engine.section_scores(first)

    clock.advance(days=30)
    second = _start(client, "quality", place="全小区")
    veto = next(i for i in engine.items_of(second) if i.veto)
    _answer(client, second, veto, "fail", note="地库火灾", deduction="2", photos=[_jpeg()])
    _answer_all(client, second)
    client.post(f"/rounds/{second.id}/finish", {})
    second = Round.get_by_id(second.id)
    assert second.vetoed and second.score == 0
    trend = client.get("/rounds/quality").get_data(as_text=True)
    assert trend.index(">0<") < trend.index(">96<") or "96" in trend
    assert "一票否决" in trend or "否决" in trend
    assert inspector.id == first.by_id


def test_editing_a_checklist_makes_a_version_and_old_rounds_keep_theirs(admin_client, butler_client, place, estate):
    old = _start(butler_client, "patrol")
    v1 = old.template
    items = list(v1.items.order_by(TemplateItem.position))
    form = {"csrf_token": None, "rows": str(len(items) + 1)}
    for n, item in enumerate(items):
        form.update({f"section-{n}": item.section, f"text-{n}": item.text, f"points-{n}": "0"})
    form[f"text-{len(items) - 1}"] = ""  # drop the last item
    form.update({f"section-{len(items)}": "新增", f"text-{len(items)}": "电动车未在楼道充电", f"points-{len(items)}": "0",
                 f"photo-{len(items)}": "y", f"case-{len(items)}": "incident"})
    form.pop("csrf_token")
    assert admin_client.post(f"/admin/rounds/templates/{v1.id}", form).status_code == 303
    v2 = Template.current(estate.id, "patrol")
    assert v2.version == 2 and v2.items.count() == len(items)
    assert TemplateItem.get((TemplateItem.template == v2) & TemplateItem.text.contains("电动车")).opens_case == "incident"
    assert Round.get_by_id(old.id).template_id == v1.id and len(engine.items_of(old)) == len(items)
    new = _start(butler_client, "patrol")
    assert new.template_id == v2.id
    stale = admin_client.post(f"/admin/rounds/templates/{v1.id}", form)
    assert stale.status_code == 422 and "不是当前版本" in stale.get_data(as_text=True)


def test_admin_prints_signed_qr_codes_for_checkpoints(admin_client, estate):
    admin_client.post("/admin/rounds/checkpoints", {"name": "北门", "patch": ""})
    sheet = admin_client.get("/admin/rounds/checkpoints/print").get_data(as_text=True)
    assert "北门" in sheet and 'src="data:image/svg+xml' in sheet
