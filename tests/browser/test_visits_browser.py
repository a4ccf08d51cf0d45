"""A butler at 390 px opens his weekly visit duty, records a visit whose request becomes a
repair in one tap, and sees his familiarity rise."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bluebird.cases.models import Case
from bluebird.duties.scheduler import tick
from bluebird.visits.models import Visit
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


@pytest.fixture
def patch_office():
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    building = factories.make_building(estate, "3", patch=patch)
    units = []
    for number in ("1501", "1502", "1601", "1602"):
        unit = factories.make_unit(building, number)
        factories.make_resident(unit, f"业主{number}", "13912345678")
        units.append(unit)
    butler = factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    return {"estate": estate, "units": units, "butler": butler}


def test_a_butler_visits_from_his_weekly_duty_and_the_request_becomes_a_repair(new_page, login, collector,
                                                                               patch_office):
    tick()  # the week's plan: four households never contacted
    page = new_page("phone")
    login(page, "butler")
    page.goto("/agenda")
    page.locator("a.duty-link", has_text="本周走访").click()
    page.wait_for_url(re.compile(r"/visits/plans/\d+$"))
    expect(page.locator("#plan-count")).to_contain_text("还剩 4 户")
    page.locator("#plan-items a").first.click()
    page.wait_for_url(re.compile(r"/visits/new\?unit=\d+$"))
    unit_code = page.locator("input[name=unit_code]").input_value()
    assert unit_code.startswith("3-")
    page.select_option("select[name=way]", "in_person")
    page.fill("input[name=met]", "业主本人")
    page.fill("textarea[name=opinions]", "对保洁满意，希望加强夜间巡逻")
    page.fill("textarea[name=request]", "卫生间地漏堵塞")
    page.locator("button[data-submit]").click()
    page.wait_for_url(re.compile(r"/visits/\d+$"))
    visit = Visit.get()
    assert visit.unit.code == unit_code and visit.client_uuid is not None
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "visits-visit.png"), full_page=True)
    page.locator("#case-repair").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    case = Case.get()
    assert (case.kind, case.unit_id, case.description, case.source) == ("repair", visit.unit_id, "卫生间地漏堵塞",
                                                                        "visit")
    expect(page.locator("#case-status")).to_have_text("已登记")
    page.goto("/estate/")
    page.locator("#visits-link").click()
    page.wait_for_url("**/visits/")
    expect(page.locator("#familiarity-percent")).to_have_text("熟悉度 25%")
    expect(page.locator("#week-plan")).to_contain_text("还剩 3 户")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.screenshot(path=str(SHOTS / "visits-familiarity.png"), full_page=True)
    collector.assert_clean()


def test_the_supervisor_sees_familiarity_per_patch_on_the_tablet(new_page, login, collector, patch_office):
    from bluebird.visits import service

    estate, units, butler = patch_office["estate"], patch_office["units"], patch_office["butler"]
    service.record_visit(None, estate=estate, unit=units[0], actor=butler, way="phone")
    factories.make_user(estate, role="manager", username="boss", name="周经理")
    page = new_page("tablet")
    login(page, "boss")
    page.goto("/visits/")
    row = page.locator("#by-patch tr", has_text="一区")
    expect(row).to_contain_text("25%")
    row.locator("a").click()
    expect(page.locator("#familiarity-percent")).to_have_text("熟悉度 25%")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "visits-supervisor-1024.png"), full_page=True)
    collector.assert_clean()
