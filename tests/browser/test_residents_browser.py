"""A butler at 390 px keeps his ledger: edits a resident, then moves one out with a release slip."""
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from bluebird.estate.models import Resident, Unit
from bluebird.estate.models_moves import MoveOut
from tests import factories

pytestmark = pytest.mark.browser


def _fits(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} overflows at 390 px ({width} px)"


def test_a_butler_edits_a_resident_and_moves_one_out_on_his_phone(new_page, login, screenshot, collector):
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    unit = factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502", status="occupied")
    owner = factories.make_resident(unit, "张伟", "13912345678")
    factories.make_resident(unit, "李娜", "13700001111", relation="family")
    factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)

    page = new_page("phone")
    login(page, "butler")
    page.goto(f"/estate/residents/{owner.id}")
    page.locator("#edit-resident").click()
    form = page.locator("#resident-form")
    form.locator("input[name=phone2]").fill("13600003333")
    form.locator("textarea[name=members]").fill("妻 李娜，子 张小明")
    form.locator("input[name=key_account]").check()
    form.locator("button[type=submit]").click()  # no reason yet: refused next to the field
    expect(page.locator("#resident-form")).to_contain_text("请说明为什么是重点户")
    _fits(page, "the refused edit form")
    form.locator("input[name=key_reason]").fill("独居老人，腿脚不便")
    form.locator("input[name=arrears]").check()
    form.locator("input[name=arrears_amount]").fill("860")
    form.locator("input[name=arrears_as_of]").fill("2026-10-31")
    form.locator("input[name=birthday]").fill("1958-03-14")
    screenshot(page, "residents-edit.png", full_page=True)
    form.locator("button[type=submit]").click()
    expect(page.locator("#resident-card")).to_contain_text("独居老人，腿脚不便")
    expect(page.locator("#arrears-badge")).to_contain_text("¥860.00")
    page.wait_for_url(f"**/estate/residents/{owner.id}")
    r = Resident.get_by_id(owner.id)
    assert r.key_account and r.arrears_amount == Decimal("860") and r.birthday == date(1958, 3, 14)
    _fits(page, "the resident page")

    page.locator("#move-out-link").click()
    expect(page.locator("#owed-warning")).to_contain_text("¥860.00")
    out = page.locator("#move-out-form")
    out.locator("input[name=moving_on]").fill("2026-12-05")
    out.locator("input[name=slot]").fill("09:00-12:00")
    out.locator("input[name=mover]").fill("京A12345")
    _fits(page, "the move-out form")
    screenshot(page, "residents-move-out.png", full_page=True)
    out.locator("button[type=submit]").click()
    page.wait_for_url("**/estate/moves/*")
    move = MoveOut.get()
    expect(page.locator("#slip-code")).to_have_text(move.slip_code)
    expect(page.locator("#slip-arrears")).to_contain_text("张伟 ¥860.00")
    screenshot(page, "residents-slip.png", full_page=True)
    _fits(page, "the release slip")

    page.goto(f"/estate/units/{unit.id}")
    expect(page.locator("#unit-status")).to_have_text("空置")
    expect(page.locator("#former-residents")).to_contain_text("张伟")
    expect(page.locator("#former-residents")).to_contain_text("李娜")
    assert Unit.get_by_id(unit.id).status == "vacant" and not list(Resident.of_unit(unit.id))
    screenshot(page, "residents-unit.png", full_page=True)
    collector.assert_clean(console=False)
    assert [r.split()[:2] for r in collector.bad_responses] == [["422", "POST"]]  # only the refused edit


def test_the_desk_looks_a_slip_up_sees_the_arrears_and_holds_then_releases(new_page, login, screenshot, collector):
    estate = factories.make_estate("lan", "蓝鸟花园")
    unit = factories.make_unit(factories.make_building(estate, "3"), "1502", status="occupied")
    owner = factories.make_resident(unit, "张伟", "13912345678")
    Resident.update(arrears=True, arrears_amount=Decimal("860"), arrears_as_of=date(2026, 10, 31)).where(
        Resident.id == owner.id).execute()
    butler = factories.make_user(estate, role="butler", username="butler", name="李管家")
    factories.make_user(estate, role="reception", username="desk", name="前台小王")
    move = factories.make_move(Resident.get_by_id(owner.id), butler, slot="09:00-12:00")

    page = new_page("tablet")
    login(page, "desk")
    page.goto("/desk/release")
    page.locator("#q").fill(move.slip_code.lower())
    page.locator("#slip-lookup button[type=submit]").click()
    expect(page.locator("#desk-arrears")).to_contain_text("张伟 ¥860.00")
    expect(page.locator("#desk-arrears")).to_contain_text("截至 2026-10-31")
    screenshot(page, "residents-desk-slip.png", full_page=True)
    check = page.locator("#check-form")
    check.locator("select[name=decision]").select_option("hold")
    check.locator("input[name=check_note]").fill("物业费未结清")
    check.locator("button[type=submit]").click()
    expect(page.locator("#slip-status")).to_have_text("前台暂不放行")
    check.locator("select[name=decision]").select_option("release")
    check.locator("input[name=check_note]").fill("已补缴")
    check.locator("button[type=submit]").click()
    expect(page.locator("#slip-status")).to_have_text("已放行")
    expect(page.locator("#check-form")).to_have_count(0)
    assert MoveOut.get_by_id(move.id).status == "released"
    collector.assert_clean()


def test_the_key_account_list_fits_a_phone(new_page, login, screenshot, collector):
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    building = factories.make_building(estate, "3", patch=patch)
    butler = factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    for i, (name, why) in enumerate((("张伟", "经常投诉，对噪音敏感"), ("王芳", "独居老人"), ("刘洋", "业委会成员"))):
        unit = factories.make_unit(building, f"{15 + i}02")
        r = factories.make_resident(unit, name, f"1391234{i:04d}")
        Resident.update(key_account=True, key_reason=why).where(Resident.id == r.id).execute()
        if i == 0:
            factories.make_case(unit, butler, description="卫生间漏水到楼下，业主要求尽快处理")
    page = new_page("phone")
    login(page, "butler")
    page.goto("/estate/")
    page.locator("#key-accounts-link").click()
    expect(page.locator("#key-accounts")).to_contain_text("经常投诉，对噪音敏感")
    expect(page.locator("#key-accounts")).to_contain_text("卫生间漏水")
    _fits(page, "the key-account list")
    screenshot(page, "residents-key-accounts.png", full_page=True)
    collector.assert_clean()
