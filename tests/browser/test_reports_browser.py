"""Reports in a real browser: the supervisor files the complaint summary on a tablet (1024 px),
prints it (page.pdf() on A4, a page rendered to PNG with pdftoppm and looked at), the
project manager confirms it on his own login, and the case list's filters and export fit a phone."""
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bluebird import clock
from bluebird.cases.models import Call
from bluebird.reports.models import Filing
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def office():
    estate = factories.make_estate("lan", "蓝鸟花园")
    b3 = factories.make_building(estate, "3")
    u1, u2 = factories.make_unit(b3, "1502"), factories.make_unit(b3, "1601")
    desk = factories.make_user(estate, role="reception", username="reception", name="刘前台")
    boss = factories.make_user(estate, role="manager", username="manager", name="周主管")
    factories.make_user(estate, role="manager", username="pm", name="吴经理")
    clock.set_now(datetime(2026, 11, 20, 2, 0))  # Friday 20 Nov, 10:00 in Shanghai
    now = clock.now()
    first = factories.make_case(u1, desk, "complaint", target="service", target_name="保洁部",
                                created_at=now - timedelta(days=2), status="closed", closed_at=now - timedelta(days=1),
                                promised_on=date(2026, 11, 25), satisfaction="satisfied")
    Call.create(case=first, kind="complaint_callback", by=boss.id, at=now - timedelta(days=1))
    factories.make_case(u1, desk, "complaint", target="construction", created_at=now - timedelta(hours=5))
    factories.make_case(u2, desk, "repair", scope="household", trade="water", created_at=now - timedelta(hours=3))
    return {"estate": estate}


def test_the_supervisor_files_the_complaint_summary_and_prints_it(new_page, login, collector, office, app):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page("tablet")
    login(page, "manager")
    page.goto("/reports/")
    page.get_by_role("link", name="投诉情况月汇总表").first.click()
    page.wait_for_url("**/reports/complaints**")
    expect(page.locator("#cs-total")).to_have_text("2")
    assert page.locator("svg.chart").count() == 1
    assert page.evaluate(SIDEWAYS) <= 0
    page.fill("textarea[name=analysis]", "本月投诉2起，其中保洁1起已解决并回访；施工质量1起正在跟进。")
    page.screenshot(path=str(SHOTS / "reports-complaints-1024.png"), full_page=True)
    page.locator("#file-button").click()
    page.wait_for_url("**/reports/filed/**")
    expect(page.locator("#rp-analysis")).to_contain_text("保洁1起已解决")
    filing = Filing.get()
    assert filing.kind == "complaints" and filing.data["total"] == 2

    pdf = page.pdf(format="A4", print_background=True)
    (SHOTS / "reports-complaints.pdf").write_bytes(pdf)  # kept to look at, whatever the checks say
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") in (1, 2)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(SHOTS / "reports-complaints.pdf"),
                        str(SHOTS / "reports-complaints-print")], check=True)
        assert (SHOTS / "reports-complaints-print-1.png").exists()
    page.emulate_media(media="print")
    assert page.locator(".rp-print-title").is_visible() and page.locator(".rp-sign").is_visible()
    assert not page.locator("#confirm-button").count() or not page.locator("#confirm-button").is_visible()
    assert not page.locator(".appbar").first.is_visible() if page.locator(".appbar").count() else True
    page.emulate_media(media="screen")

    # The project manager confirms it on his own login.
    pm = new_page("tablet")
    login(pm, "pm")
    pm.goto(f"/reports/filed/{filing.id}")
    pm.locator("#confirm-button").click()
    expect(pm.locator("#rp-confirmed")).to_contain_text("吴经理")
    collector.assert_clean()


def test_the_case_list_filters_and_export_on_a_phone(new_page, login, collector, office):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page("phone")
    login(page, "manager")
    page.goto("/cases/?status=all")
    page.locator("details.more-filters summary").click()
    page.select_option("select[name=target]", "service")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".case-row")).to_have_count(1)
    assert page.evaluate(SIDEWAYS) <= 0
    page.screenshot(path=str(SHOTS / "reports-case-list-390.png"), full_page=True)
    with page.expect_download() as info:
        page.locator("#cases-export").click()
    path = info.value.path()
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(Path(path).read_bytes())).active.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 1 and rows[0][0].startswith("TS")
    page.goto("/reports/tables/week")
    assert page.evaluate(SIDEWAYS) <= 0
    page.screenshot(path=str(SHOTS / "reports-weekly-390.png"), full_page=True)
    collector.assert_clean()




def test_the_supervisor_files_the_problem_sites_and_exports_them_at_1024px(new_page, login, collector, office):
    from bluebird.auth.models import User
    from bluebird.estate.models import Unit
    from bluebird.rounds import engine
    from bluebird.rounds.models import ItemResult, Round

    SHOTS.mkdir(parents=True, exist_ok=True)
    butler = factories.make_user(office["estate"], role="butler", username="butler", name="王管家")
    unit = Unit.get(Unit.code.endswith("1502"))
    permit = factories.make_permit(unit, butler)
    round_ = engine.start(None, estate_id=office["estate"].id, user=butler, kind="renovation", place_kind="permit",
                          place_id=permit.id, place_label=unit.code)
    for item in engine.items_of(round_)[:1]:
        ItemResult.create(round=round_, item=item, result="fail", by=butler.id, at=clock.now())
    Round.update(finished_at=clock.now()).where(Round.id == round_.id).execute()
    page = new_page("tablet")
    login(page, "manager")
    page.goto("/reports/")
    page.get_by_role("link", name="问题工地").first.click()
    page.get_by_role("link", name="月中（1日–15日）").click()
    page.get_by_role("link", name="月末（16日–月底）").click()  # 20 Nov: the month-end half
    expect(page.locator(f"#site-{permit.id}-fails")).to_have_text("1")
    assert page.evaluate(SIDEWAYS) <= 0
    with page.expect_download() as info:
        page.locator("#rp-xlsx").click()
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert [c.value for c in book.worksheets[1][3]] == [unit.code, permit.contractor, 1, 1]
    page.screenshot(path=str(SHOTS / "reports-sites-1024.png"), full_page=True)
    page.locator("#file-button").click()
    page.wait_for_url("**/reports/filed/**")
    expect(page.locator(f"#site-{permit.id}-fails")).to_have_text("1")
    filing = Filing.get()
    assert filing.kind == "sites" and filing.period == "2026-11-2" and filing.filed_by_id == User.get(
        User.username == "manager").id
    collector.assert_clean()
