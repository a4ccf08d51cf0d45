"""Assessment in a real browser: the butler reads his month at 390 px and taps to the evidence;
the supervisor issues and signs it at 1024 px; the Excel holds the page's numbers."""
import io
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bluebird import clock
from bluebird.assessment import service
from bluebird.assessment.models import Sheet, SheetStatus
from bluebird.duties import outcomes
from bluebird.duties.models import create_duty
from bluebird.rounds import schedule
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


@pytest.fixture
def november():
    """A butler who skipped one patrol in November, the month closed and stored."""
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    butler = factories.make_user(estate, role="butler", username="butler", name="王管家", patch=patch)
    manager = factories.make_user(estate, role="manager", username="manager", name="李主管")
    clock.set_now(datetime(2026, 11, 1, 0, 0))
    create_duty(estate.id, schedule.DAILY_PATROL, f"patch:{patch.id}", datetime(2026, 11, 3, 10, 0),
                assignee=butler.id, title="一区", points=2, once_per_day=True)
    now = datetime(2026, 12, 2, 2, 0)
    clock.set_now(now)
    outcomes.close_periods(now)
    service.close_periods(now)
    return estate, butler, manager


def test_the_butler_taps_from_his_month_to_the_evidence_at_390px(new_page, login, november, collector):
    _estate, butler, _manager = november
    page = new_page("phone")
    login(page, "butler")
    page.goto("/me")
    page.locator("#my-assessment").click()
    page.wait_for_url("**/assessment/me")
    page.get_by_role("link", name="上个月").click()
    expect(page.locator("#sheet-score")).to_have_text("98")
    item = page.locator(".assess-item").first
    expect(item).to_contain_text("-2")
    expect(item).to_contain_text("003 篇1 §5")
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= 390, f"the sheet scrolls sideways at 390 px ({width})"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "assess-butler-390.png"), full_page=True)
    item.locator("a.assess-evidence").click()
    expect(page.locator("#evidence-facts")).to_contain_text("未完成")
    expect(page.locator("#evidence-title")).to_contain_text("巡查我的片区")
    collector.assert_clean()


def test_the_supervisor_issues_and_signs_the_month_at_1024px(new_page, login, november, collector):
    from openpyxl import load_workbook

    _estate, butler, _manager = november
    page = new_page("tablet")
    login(page, "manager")
    page.get_by_role("link", name="考核").first.click()
    page.goto("/assessment/?m=2026-11")
    expect(page.locator("#overview-table")).to_contain_text("王管家")
    expect(page.locator("#overview-table")).to_contain_text("98")
    page.screenshot(path=str(SHOTS / "assess-overview-1024.png"), full_page=True)
    page.get_by_role("link", name="王管家").click()
    page.locator("#issue-sheet").click()
    expect(page.locator("#sheet-status")).to_have_text("已下发")
    page.locator("#sign-sheet").click()
    expect(page.locator("#sheet-status")).to_have_text("已签字")
    expect(page.locator("#sheet-timeline")).to_contain_text("签字确认，98分")
    assert Sheet.find(butler.id, 2026, 11).status == SheetStatus.SIGNED
    shown = int(page.locator("#sheet-score").inner_text())
    answer = page.request.get(page.locator("#sheet-export").get_attribute("href"))
    assert answer.ok
    rows = list(load_workbook(io.BytesIO(answer.body())).worksheets[0].iter_rows(min_row=3, values_only=True))
    assert rows[-1][2] == "得分" and rows[-1][4] == shown == 98
    assert [r[4] for r in rows[:-2]] == [-2]
    page.screenshot(path=str(SHOTS / "assess-signed-1024.png"), full_page=True)
    collector.assert_clean()
