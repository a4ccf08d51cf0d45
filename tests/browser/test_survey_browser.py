"""An owner answers the survey on his own phone, with no login, from the link his butler showed."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bluebird.cases import service as cases
from bluebird.survey.models import Answer, Invitation
from tests import factories

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots")


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_an_owner_opens_the_link_on_a_phone_and_answers(new_page, login, collector):
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    butler = factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    tech = factories.make_user(estate, role="technician", username="tech", name="王师傅", phone="13700009999")
    unit = factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502")
    factories.make_resident(unit, name="张伟", phone="13912345678")
    case = factories.make_case(unit, butler, assignee=tech, status="done", work_done="换了阀门")
    cases.log_call(case, butler, "satisfaction", reached=True, satisfaction="satisfied")
    assert Invitation.get(Invitation.case == case.id).answered_at is None  # closing made the link

    # The butler, on his phone, opens the case and shows the QR code / the WeChat text.
    staff = new_page("phone")
    login(staff, "butler")
    staff.goto(f"/cases/{case.id}")
    staff.locator("#case-survey a").click()
    expect(staff.locator("#survey-qr svg.qr")).to_be_visible()
    message = staff.locator("#survey-link-text").input_value()
    link = re.search(r"https?://\S+/s/\S+", message).group(0)
    copy = staff.locator("button[data-copy]")
    copy.click()
    expect(copy).to_have_text("已复制")
    _shot(staff, "survey-butler-qr.png")

    # The owner's own phone: a fresh browser, no login.
    owner = new_page("phone")
    owner.goto(link)
    expect(owner.locator("#owner-case")).to_contain_text(case.number)
    expect(owner.locator("#owner-case")).to_contain_text("王师傅")
    body = owner.locator("body").inner_text()
    assert "13700009999" not in body and "张伟" not in body and "13912345678" not in body
    assert owner.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    for question in ("speed", "quality", "attitude", "overall"):
        owner.locator(f"#q-{question} label.survey-choice").first.click()  # 非常满意
    owner.locator("textarea[name=comment]").fill("王师傅很专业，谢谢")
    _shot(owner, "survey-owner-form.png")
    owner.locator("button[type=submit]").click()
    expect(owner.locator("#survey-gone")).to_contain_text("谢谢")
    _shot(owner, "survey-owner-thanks.png")
    answer = Answer.get()
    assert answer.case_id == case.id and answer.unit_id == unit.id and answer.comment == "王师傅很专业，谢谢"
    assert {s.score for s in answer.scores} == {5}
    # Opening the link again: answered, nothing more to do.
    owner.goto(link)
    expect(owner.locator("#survey-gone")).to_contain_text("已经填写")
    collector.assert_clean(console=False)


def test_a_supervisor_reads_the_statistics_on_a_phone(new_page, login, collector):
    from datetime import timedelta

    from bluebird import clock
    from bluebird.survey import tokens
    from bluebird.survey.models import Score

    estate = factories.make_estate("home", "蓝鸟花园")
    factories.make_user(estate, role="manager", username="manager", name="赵主管")
    for name in ("1", "2", "3"):
        unit = factories.make_unit(factories.make_building(estate, name), "101")
        for days, overall in ((3, 5), (40, 4), (70, 2)):
            at = clock.now() - timedelta(days=days)
            inv = Invitation.create(estate=estate, unit=unit, building=unit.building_id, kind="repair", target="water",
                                    nonce=tokens.new_nonce(), created_at=at, expires_at=at + timedelta(days=14),
                                    answered_at=at)
            answer = Answer.create(estate=estate, invitation=inv, unit=unit, building=unit.building_id, kind="repair",
                                   target="water", answered_at=at)
            for q in ("speed", "quality", "attitude"):
                Score.create(answer=answer, question=q, score=4)
            Score.create(answer=answer, question="overall", score=overall)
    page = new_page("phone")
    login(page, "manager")
    page.goto("/survey/stats")
    expect(page.locator("#survey-monthly svg.chart")).to_be_visible()
    expect(page.locator("#phone-verdicts")).to_contain_text("电话回访时告知")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "survey-stats-phone.png")
    collector.assert_clean()
