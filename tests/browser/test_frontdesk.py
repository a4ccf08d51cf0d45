"""The front desk in a real browser on a 10" tablet (1024×768): a call passed on as a
complaint, a visitor in and out, a key lent and returned, and the shift handed over to a
second receptionist in her own browser. No CSP violation anywhere; the desk fits a phone too."""
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from bluebird import clock
from bluebird.cases.models import Case
from bluebird.frontdesk import routine
from bluebird.frontdesk.models import Handover, KeyLoan, PhoneCall, Visitor
from tests import factories

pytestmark = pytest.mark.browser

SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def office():
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    building = factories.make_building(estate, "3", patch=patch)
    unit = factories.make_unit(building, "1502", status="vacant")
    factories.make_unit(building, "1501")
    factories.make_resident(unit, "张伟", "13912345678")
    factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    tech = factories.make_user(estate, role="technician", username="tech", name="孙师傅")
    desk = factories.make_user(estate, role="reception", username="reception", name="刘前台")
    factories.make_user(estate, role="reception", username="reception2", name="赵前台")
    factories.make_user(estate, role="manager", username="manager", name="周经理")
    key = factories.make_key(estate, desk, name="3-1502 入户门", hook="A-12", unit=unit)
    last_week = clock.now() - timedelta(days=7)
    factories.make_visitor(desk, name="王五", phone="13800001111", purpose="探亲", in_at=last_week,
                           out_at=last_week + timedelta(hours=1))
    factories.make_key(estate, desk, name="水泵房", hook="B-03", kind="public")
    routine.generate(clock.now())  # today's 11:00, 14:30 and 17:00 desk duties
    return {"estate": estate, "unit": unit, "tech": tech, "key": key}


def test_a_shift_at_the_desk_on_a_tablet(new_page, login, screenshot, collector, office):
    page = new_page("tablet")
    login(page, "reception")
    assert page.url.endswith("/desk")
    expect(page.locator(".fd-greeting")).to_contain_text("您好，蓝鸟花园物业服务中心")

    # A call: the unit fills the caller from the residents; one tap makes it a complaint.
    page.locator(".desk-btn", has_text="来电").click()
    page.wait_for_url("**/desk/calls/new")
    page.locator("input[name=unit_code]").press_sequentially("3-1502", delay=20)
    page.locator("[data-fill-contact]").first.click()
    expect(page.locator("input[name=contact_name]")).to_have_value("张伟")
    page.fill("textarea[name=matter]", "楼上装修噪音太大，中午也不停")
    screenshot(page, "desk-call-form.png")
    screenshot(page, "desk-call-form-full.png", full_page=True)
    page.get_by_role("button", name="投诉", exact=True).click()
    # A complaint needs the date promised to the owner: asked for next to the field, nothing saved.
    expect(page.locator("details.fd-extra")).to_have_attribute("open", "")
    expect(page.locator("details.fd-extra .error")).to_contain_text("请填写向业主承诺的解决日期")
    assert PhoneCall.select().count() == 0
    # The one refusal asked for (the response and htmx's console notes of it); any other still fails.
    assert collector.bad_responses == [f"422 POST {page.url}"]
    collector.bad_responses.clear()
    collector.console_errors = [e for e in collector.console_errors if "422" not in e]
    page.fill("input[name=promised_on]", (date.today() + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="投诉", exact=True).click()
    page.wait_for_url(re.compile(r"/desk/calls/\d+$"))
    expect(page.locator("#call-kind")).to_have_text("投诉")
    expect(page.locator("#call-case")).to_contain_text("TS")
    case = Case.get()
    assert case.kind == "complaint" and PhoneCall.get().case_id == case.id

    # A visitor in, listed as still inside, then out with one tap.
    page.goto("/desk")
    page.locator(".desk-btn", has_text="来访").click()
    page.wait_for_url("**/desk/visitors/new")
    page.locator("input[name=phone]").press_sequentially("13800001111", delay=10)
    known = page.locator("#visitor-known")
    expect(known).to_contain_text("回访客人")  # he came last week
    known.get_by_role("button", name="按上次来访信息填写").click()
    expect(page.locator("input[name=name]")).to_have_value("王五")
    expect(page.locator("input[name=purpose]")).to_have_value("探亲")
    page.locator("input[name=unit_code]").press_sequentially("3-15", delay=20)
    page.locator("[data-fill-unit='3-1502']").click()
    expect(page.locator("input[name=unit_code]")).to_have_value("3-1502")
    expect(page.locator(".fd-unit-suggest")).to_contain_text("空置")  # the unit is known
    screenshot(page, "desk-visitor-form.png")
    page.get_by_role("button", name="登记进入").click()
    page.wait_for_url("**/desk/visitors")
    inside = page.locator("#inside-list li")
    expect(inside).to_have_count(1)
    expect(inside).to_contain_text("王五")
    expect(inside).to_contain_text("138****1111")
    screenshot(page, "desk-visitors.png")
    inside.get_by_role("button", name="离开").click()
    expect(page.locator("#inside-list")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("今日已离开")
    assert Visitor.select().where(Visitor.out_at.is_null()).count() == 0 and Visitor.select().count() == 2

    # A key lent to a colleague and returned; its history keeps both.
    page.goto("/desk")
    page.locator(".desk-btn", has_text="钥匙").click()
    page.wait_for_url("**/desk/keys")
    page.locator("#key-list a", has_text="3-1502 入户门").click()
    page.wait_for_url(f"**/desk/keys/{office['key'].id}")
    page.select_option("select[name=borrower_user]", label="孙师傅 · 维修工")
    page.fill("input[name=purpose]", "空置房维修")
    page.get_by_role("button", name="借出", exact=True).click()
    expect(page.locator("#key-status")).to_have_text("借出")
    expect(page.locator("main")).to_contain_text("空置房维修")
    screenshot(page, "desk-key-out.png")
    page.get_by_role("button", name="已归还，挂回原处").click()
    expect(page.locator("#key-status")).to_have_text("在柜")
    loan = KeyLoan.get()
    assert loan.borrower == "孙师傅" and loan.returned_at is not None
    expect(page.locator("table tbody tr")).to_have_count(1)

    # The desk: the feed shows the day so far.
    page.goto("/desk")
    expect(page.locator(".fd-feed-list li")).to_have_count(5)  # call, visitor in/out, key out/back
    expect(page.locator(".fd-routine .chip")).to_have_count(3)
    screenshot(page, "desk-home.png")

    # The hand-over: the outgoing shift is not relieved until the next one accepts.
    page.locator(".desk-btn", has_text="交接班").click()
    page.wait_for_url("**/desk/handover")
    expect(page.locator("[data-section=cases]")).to_contain_text("楼上装修噪音")
    page.fill("textarea[name=note]", "对讲机2台正常，打印机缺纸")
    page.get_by_role("button", name="交班", exact=True).click()
    page.wait_for_url(re.compile(r"/desk/handovers/\d+$"))
    expect(page.locator("#handover-status")).to_have_text("未接班")
    screenshot(page, "desk-handover.png")

    relief = new_page("tablet")
    login(relief, "reception2")
    banner = relief.locator("#desk-banner")
    expect(banner).to_contain_text("刘前台")
    banner.get_by_role("link", name="查看并接班").click()
    relief.wait_for_url(re.compile(r"/desk/handovers/\d+$"))
    expect(relief.locator("main")).to_contain_text("对讲机2台正常")
    relief.get_by_role("button", name="确认接班").click()
    expect(relief.locator("#handover-status")).to_have_text("已接班")
    relief.wait_for_load_state("networkidle")
    screenshot(relief, "desk-handover-accepted.png")
    handover = Handover.get()
    assert handover.incoming.username == "reception2" and handover.accepted_at is not None

    page.goto("/desk")
    expect(page.locator("#desk-banner")).to_have_text("")
    for p in (page, relief):
        assert p.evaluate(SIDEWAYS) <= 0
    collector.assert_clean()


def test_the_desk_fits_a_phone_and_prints_its_log(new_page, login, screenshot, collector, office):
    factories.make_call(office["key"].created_by, caller="张伟", unit=office["unit"], matter="咨询停车月卡")
    page = new_page("phone")
    login(page, "reception")
    expect(page.locator(".desk-btn")).to_have_count(8)
    assert page.evaluate(SIDEWAYS) <= 0
    screenshot(page, "desk-phone.png")
    page.goto("/desk/log")
    expect(page.locator("#log-calls")).to_contain_text("咨询停车月卡")
    assert page.evaluate(SIDEWAYS) <= 0
    screenshot(page, "desk-log-phone.png")

    tablet = new_page("tablet")
    login(tablet, "reception")
    tablet.goto("/desk/log")
    tablet.emulate_media(media="print")
    expect(tablet.locator(".fd-print-title")).to_be_visible()
    expect(tablet.locator(".appbar")).to_be_hidden()
    screenshot(tablet, "desk-log-print.png", full_page=True)
    collector.assert_clean()
