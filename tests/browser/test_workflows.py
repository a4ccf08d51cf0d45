"""Field workflows in a real browser at phone width: a repair from registration to done,
and a patrol with a QR checkpoint, a failed item with a photo, and the finish."""
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from bluebird.cases.models import Case
from bluebird.photos.models import Attachment
from bluebird.rounds import checkpoints
from bluebird.rounds.models import CheckpointVisit, ItemResult, Round
from tests import factories

pytestmark = pytest.mark.browser


def _photo(tmp_path, name="leak.jpg", size=(1200, 900)):
    path = tmp_path / name
    Image.new("RGB", size, (80, 120, 160)).save(path, "JPEG", quality=90)
    return str(path)


@pytest.fixture
def office():
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    building = factories.make_building(estate, "3", patch=patch)
    unit = factories.make_unit(building, "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    butler = factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    tech = factories.make_user(estate, role="technician", username="tech", name="孙师傅")
    return {"estate": estate, "patch": patch, "unit": unit, "butler": butler, "tech": tech}


def test_a_repair_with_a_photo_from_the_butler_to_the_technician(new_page, login, screenshot, collector, office,
                                                                   tmp_path):
    page = new_page("phone")
    login(page, "butler")
    page.locator("nav.tabbar a.tab", has_text="工单").click()
    page.wait_for_url("**/cases/")
    page.get_by_role("link", name=re.compile("报修")).first.click()
    page.wait_for_url("**/cases/new?kind=repair")
    page.locator("input[name=unit_code]").press_sequentially("3-1502", delay=20)
    page.locator("[data-fill-contact]").first.click()  # the resident fills the contact
    expect(page.locator("input[name=contact_name]")).to_have_value("张伟")
    page.fill("textarea[name=description]", "厨房水管漏水")
    page.select_option("select[name=assignee]", label="孙师傅")
    page.set_input_files("input[name=photos]", _photo(tmp_path))
    page.locator("button[data-submit]").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    case = Case.get()
    expect(page.locator("#case-status")).to_have_text("已派工")
    expect(page.locator("#case-photos img")).to_have_count(1)
    assert Attachment.select().where(Attachment.subject == case.subject).count() == 1
    screenshot(page, "case-registered.png")
    collector.assert_clean()

    tech_page = new_page("phone")
    login(tech_page, "tech")
    expect(tech_page.locator(".duties")).to_contain_text("到场")
    tech_page.goto(f"/cases/{case.id}")
    tech_page.get_by_role("button", name="我已到场").click()
    expect(tech_page.locator("#case-status")).to_have_text("已到场")
    tech_page.fill("textarea[name=work_done]", "更换角阀")
    tech_page.locator("#tech-actions button[data-submit]").click()
    expect(tech_page.locator("#case-status")).to_have_text("已完成，待回访")
    case = Case.get_by_id(case.id)
    assert case.status == "done" and case.arrived_at is not None
    screenshot(tech_page, "case-done.png")
    collector.assert_clean()


def test_a_patrol_with_a_checkpoint_a_failed_item_with_a_photo_and_the_finish(
        new_page, login, screenshot, collector, office, live_server, tmp_path):
    from bluebird.rounds.models import Checkpoint

    gate = Checkpoint.create(estate=office["estate"], name="北门", patch=office["patch"], position=1)
    page = new_page("phone")
    login(page, "butler")
    page.locator("nav.tabbar a.tab", has_text="巡查").click()
    page.wait_for_url("**/rounds/")
    page.locator("form.start-card", has=page.locator("input[value=patrol]")).get_by_role("button").click()
    page.wait_for_url(re.compile(r"/rounds/\d+$"))
    patrol = Round.get(Round.kind == "patrol")
    expect(page.locator("#current-item")).to_contain_text("1/13")

    with live_server.app.app.test_request_context():
        token = checkpoints.token_for(gate)
    page.goto(f"/rounds/scan/{token}")  # what opening the printed QR code does
    page.wait_for_url(re.compile(rf"/rounds/{patrol.id}$"))
    expect(page.locator(".checkpoint-list li.visited")).to_have_text(re.compile("北门"))
    assert CheckpointVisit.select().count() == 1

    page.get_by_role("button", name="合格").click()
    expect(page.locator("#current-item")).to_contain_text("2/13")
    page.locator("summary.answer-fail").click()
    page.fill("#current-item textarea[name=note]", "灭火器压力不足")
    page.set_input_files("#item-photos", _photo(tmp_path, "extinguisher.jpg"))
    page.locator("#current-item button[data-submit]").click()
    expect(page.locator("#current-item")).to_contain_text("3/13")
    failed = ItemResult.get(ItemResult.result == "fail")
    assert failed.case_id and Attachment.select().where(Attachment.subject == failed.subject).count() == 1
    screenshot(page, "patrol-item.png")

    for n in range(3, 14):  # answer items 3..13, waiting for each swap before the next tap
        page.get_by_role("button", name="合格").click()
        if n < 13:
            expect(page.locator("#current-item")).to_contain_text(f"{n + 1}/13")
        else:
            expect(page.locator(".page-head .badge")).to_have_text("13/13")
    page.get_by_role("button", name="完成检查").click()
    expect(page.locator(".summary")).to_contain_text("灭火器压力不足")
    assert Round.get_by_id(patrol.id).finished_at is not None
    screenshot(page, "patrol-summary.png")
    collector.assert_clean()


def _patrol_page(new_page, login):
    page = new_page("phone")
    login(page, "butler")
    page.goto("/rounds/")
    page.locator("form.start-card", has=page.locator("input[value=patrol]")).get_by_role("button").click()
    page.wait_for_url(re.compile(r"/rounds/\d+$"))
    expect(page.locator("#current-item")).to_contain_text("1/13")
    return page


@pytest.mark.parametrize("second_tap", ["in_flight", "after_swap"])
def test_a_double_tap_answers_one_item(new_page, login, collector, office, second_tap):
    """Two taps 120 ms apart: the second lands while the first is on its way, or (on a
    quick network) just after the next item replaced the first, on its button."""
    page = _patrol_page(new_page, login)
    box = page.get_by_role("button", name="合格").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    if second_tap == "after_swap":
        expect(page.locator("#current-item")).to_contain_text("2/13")
    page.mouse.click(x, y)  # the same spot
    expect(page.locator("#current-item")).to_contain_text("2/13")
    page.wait_for_timeout(800)  # anything the second tap started has landed by now
    assert ItemResult.select().count() == 1
    expect(page.locator(".page-head .badge")).to_have_text("1/13")
    page.get_by_role("button", name="合格").click()  # the next item still answers normally
    expect(page.locator("#current-item")).to_contain_text("3/13")
    assert ItemResult.select().count() == 2
    collector.assert_clean()


def test_a_refused_failure_keeps_the_box_the_note_and_the_photo(new_page, login, collector, office, tmp_path):
    page = _patrol_page(new_page, login)
    page.locator("summary.answer-fail").click()
    page.fill("#current-item textarea[name=note]", "")
    page.set_input_files("#item-photos", _photo(tmp_path, "clutter.jpg"))
    expect(page.locator("[data-photo-previews] img")).to_have_count(1)
    page.fill("#finish-note", "")
    page.locator("#current-item button[data-submit]").click()  # the first item needs a note
    expect(page.locator("#current-item .has-error")).to_contain_text("需要备注")
    expect(page.locator("#current-item details.fail-box")).to_have_attribute("open", "")
    expect(page.locator("[data-photo-previews] img")).to_have_count(1)  # the photo is still chosen
    expect(page.locator("#finish-note")).to_have_value("")
    assert ItemResult.select().count() == 0
    page.fill("#current-item textarea[name=note]", "楼道堆放纸箱")
    page.locator("#current-item button[data-submit]").click()
    expect(page.locator("#current-item")).to_contain_text("2/13")
    failed = ItemResult.get()
    assert failed.note == "楼道堆放纸箱" and failed.case_id
    assert Attachment.select().where(Attachment.subject == failed.subject).count() == 1
    assert page.evaluate("document.querySelectorAll('[id=note]').length") == 0
    collector.assert_clean(console=False)  # the refused answer is a 422 on purpose
