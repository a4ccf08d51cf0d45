"""A move-in signed in a real browser at phone width: the owner signs on the pad, a
refused finish keeps the signature, and the record names who signed."""
import re

import pytest
from playwright.sync_api import expect

from bluebird.estate.models import Resident, Unit
from bluebird.rounds import engine
from bluebird.rounds.models import Round
from tests import factories

pytestmark = pytest.mark.browser

PAD_HAS_INK = """() => {
  const c = document.querySelector("canvas[data-signature-pad]");
  return c.getContext("2d").getImageData(0, 0, c.width, c.height).data.some(v => v !== 0);
}"""


def _answered_movein(*residents):
    """A move-in of 3-1502 (not handed over) with every item OK, ready to be signed."""
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    unit = factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502", status="not_handed_over")
    for name, phone in residents:
        factories.make_resident(unit, name, phone)
    butler = factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    movein = engine.start(None, estate_id=estate.id, user=butler, kind="movein", place_kind="unit",
                          place_id=unit.id, place_label=unit.code)
    for item in engine.items_of(movein):
        engine.record_item(movein, item_id=item.id, result="ok", actor=butler)
    return unit, movein


def test_the_owner_signs_once_even_when_the_finish_is_refused(new_page, login, screenshot, collector):
    unit, movein = _answered_movein()

    page = new_page("phone")
    login(page, "butler")
    page.goto(f"/rounds/{movein.id}#finish")
    finish = page.locator("#finish form")
    finish.locator("input[name=keys_note]").fill("入户门钥匙2把，门禁卡2张")
    pad = finish.locator("canvas[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + box["height"] / 2 + (step % 3 - 1) * 15)
    page.mouse.up()
    finish.get_by_role("button", name="完成检查").click()  # no owner named yet

    expect(page.locator("#finish")).to_contain_text("请填写签字业主的姓名")
    assert Round.get_by_id(movein.id).finished_at is None
    page.wait_for_function(PAD_HAS_INK)  # the signature is back on the pad
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the finish form overflows at 390 px ({width} px)"
    screenshot(page, "movein-finish-refused.png", full_page=True)

    finish = page.locator("#finish form")
    finish.locator("input[name=owner_name]").fill("王建国")
    finish.locator("input[name=owner_phone]").fill("13900001234")
    finish.get_by_role("button", name="完成检查").click()
    expect(page.locator("#signed-by")).to_have_text(re.compile("签字业主：王建国"))
    assert Unit.get_by_id(unit.id).status == "handed_over"
    assert Resident.get(Resident.unit == unit.id).name == "王建国"
    screenshot(page, "movein-record.png", full_page=True)
    collector.assert_clean(console=False)  # the refused finish is a 422 on purpose


def test_a_registered_owner_is_offered_and_a_new_owner_can_be_chosen_instead(new_page, login, collector):
    unit, movein = _answered_movein(("原业主", "13911112222"))

    page = new_page("phone")
    login(page, "butler")
    page.goto(f"/rounds/{movein.id}#finish")
    finish = page.locator("#finish form")
    expect(finish.locator("select[name=owner_id] option:checked")).to_contain_text("原业主")
    expect(finish.locator("input[name=owner_name]")).to_be_hidden()  # only for a new owner
    finish.locator("select[name=owner_id]").select_option("0")
    finish.locator("input[name=owner_name]").fill("王建国")
    finish.locator("input[name=owner_phone]").fill("13900001234")
    finish.locator("input[name=keys_note]").fill("入户门钥匙2把")
    box = finish.locator("canvas[data-signature-pad]").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 120)
    page.mouse.up()
    finish.get_by_role("button", name="完成检查").click()
    expect(page.locator("#signed-by")).to_have_text(re.compile("签字业主：王建国"))
    assert sorted(r.name for r in Resident.select().where(Resident.unit == unit.id)) == ["原业主", "王建国"]
    collector.assert_clean()
