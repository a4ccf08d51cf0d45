"""At 390 px the desk taps 投诉此工单 on a repair, registers the complaint from the filled-in
form, and the two pages link each other."""
import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bluebird import clock
from bluebird.cases.models import Case
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


def test_the_desk_complains_about_a_repair_in_one_tap(new_page, login, collector):
    clock.set_now(datetime(2026, 11, 23, 1, 0))
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    unit = factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    desk = factories.make_user(estate, role="reception", username="desk", name="王前台")
    repair = factories.make_case(unit, desk, contact_name="张伟", contact_phone="13912345678",
                                 description="厨房水管漏水", created_at=clock.now())
    page = new_page("phone")
    login(page, "desk")
    page.goto(f"/cases/{repair.id}")
    expect(page.locator("#complaints-about")).to_contain_text("本工单暂无投诉")
    page.locator("#complain-about").click()
    page.wait_for_url(re.compile(r"/cases/new\?kind=complaint&about=\d+$"))
    expect(page.locator("input[name=unit_code]")).to_have_value("3-1502")
    expect(page.locator("input[name=contact_name]")).to_have_value("张伟")
    expect(page.locator("input[name=about_code]")).to_have_value(repair.number)
    page.fill("textarea[name=description]", "修了三次还漏水")
    page.fill("input[name=promised_on]", "2026-11-25")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "about-form.png"), full_page=True)
    page.locator("button[data-submit]").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    complaint = Case.get(Case.kind == "complaint")
    assert complaint.about_case_id == repair.id
    expect(page.get_by_role("link", name=f"针对工单 {repair.number}")).to_be_visible()
    page.screenshot(path=str(SHOTS / "about-complaint.png"), full_page=True)
    page.locator("#about-repair a").click()
    page.wait_for_url(re.compile(rf"/cases/{repair.id}$"))
    expect(page.locator("#complaints-about")).to_contain_text(complaint.number)
    page.screenshot(path=str(SHOTS / "about-repair.png"), full_page=True)
    collector.assert_clean()
