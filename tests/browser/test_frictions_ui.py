"""The rough edges a new user hit on a phone (issue 10 §4): bell, lost flash, landing on
the duty's action, layout at 390 px, forms, the dashboard's overdue rows, who to call."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from bluebird import clock
from bluebird.rounds.models import ItemResult, Round
from tests import factories

pytestmark = pytest.mark.browser

ROLES = ["butler", "technician", "inspector", "reception", "manager", "admin"]
PHONE_WIDTH = 390


def _office():
    """An estate with something in every list: cases, desk log rows, a finished inspection."""
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    building = factories.make_building(estate, "3", patch=patch)
    unit = factories.make_unit(building, "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    users = {role: factories.make_user(estate, role=role, username=role, name=f"{role}名",
                                       patch=patch if role == "butler" else None) for role in ROLES}
    case = factories.make_case(unit, users["butler"], description="厨房水龙头漏水，" * 20)
    reception = users["reception"]
    factories.make_call(reception, unit=unit, matter="咨询物业费缴费时间以及停车位月租的办理流程" * 3)
    factories.make_visitor(reception, unit=unit, purpose="探亲访友，送东西给业主" * 2)
    factories.make_message(reception, users["butler"], matter="请回电，关于装修押金退还" * 3)
    factories.make_parcel(unit, reception)
    inspection = factories.make_round(estate, users["inspector"], kind="quality")
    Round.update(finished_at=clock.now(), score=92).where(Round.id == inspection.id).execute()
    return estate, users, case


_OVERFLOW = "() => document.scrollingElement.scrollWidth"
# Key controls a thumb taps on every page: tabs, the bell, breadcrumbs, checkbox rows.
_SMALL_TARGETS = """() => [...document.querySelectorAll('nav.tabbar a, a.bell, .crumbs a, label.check')]
  .map(e => [e.textContent.trim().slice(0, 12), e.getBoundingClientRect().height])
  .filter(([, h]) => h > 0 && h < 44)"""


def _phone_at(new_page, login, role, path):
    """A phone page, signed in as role, at path."""
    page = new_page("phone")
    login(page, role)
    page.goto(path)
    return page


def _nav_hrefs(page):
    """The nav links a thumb can see: the tab bar, and the 更多 page's list if there is one."""
    links = page.locator("nav.tabbar a, nav.topnav a").all()
    hrefs = [a.get_attribute("href") for a in links if a.is_visible()]
    return list(dict.fromkeys(hrefs))


@pytest.mark.parametrize("role", ROLES)
def test_every_nav_page_fits_a_phone(new_page, login, collector, screenshot, role):
    """At 390 px every role gets a tab bar with everything reachable, and no page scrolls sideways."""
    _office()
    page = new_page("phone")
    login(page, role)
    hrefs = _nav_hrefs(page)
    assert len(hrefs) == 5, hrefs  # five tabs, not an 8-link strip
    tabbar = page.locator("nav.tabbar")
    assert tabbar.is_visible()
    box = tabbar.bounding_box()
    assert box["width"] == PHONE_WIDTH and abs(box["y"] + box["height"] - 844) <= 1
    for a in page.locator("nav.tabbar a, nav.topnav a, header a").all():
        if a.is_visible():
            rect = a.bounding_box()
            assert rect["x"] >= 0 and rect["x"] + rect["width"] <= PHONE_WIDTH, a.get_attribute("href")
    more = page.locator("nav.tabbar a[href='/more']")
    if more.count():
        more.click()
        page.wait_for_url("**/more")
        expect(more).to_have_attribute("aria-current", "page")
        hrefs += [a.get_attribute("href") for a in page.locator("main .more-list a").all()]
    extra = {"inspector": ["/rounds/quality"], "manager": ["/rounds/quality", "/desk/log"],
             "reception": ["/desk/log", "/cases/new?kind=repair"]}
    pages = list(dict.fromkeys(hrefs + extra.get(role, [])))
    for href in pages:
        page.goto(href)
        width = page.evaluate(_OVERFLOW)
        assert width <= PHONE_WIDTH, f"{role} {href} is {width} px wide"
        assert page.locator("nav.tabbar").is_visible(), href
        assert page.evaluate(_SMALL_TARGETS) == [], href
    screenshot(page, f"frictions-{role}-phone-last.png")
    collector.assert_clean()


@pytest.mark.parametrize("role", ["manager", "admin", "reception"])
def test_office_roles_keep_the_top_bar_on_a_tablet(new_page, login, collector, role):
    _office()
    page = new_page("tablet")
    login(page, role)
    assert page.locator("nav.topnav").is_visible()
    assert not page.locator("nav.tabbar").is_visible()
    collector.assert_clean()


def test_small_controls_have_thumb_sized_hit_areas(new_page, login, collector, screenshot):
    """The 紧急/保修 checkboxes and the breadcrumb links: at least 44 px tall to tap."""
    _office()
    page = _phone_at(new_page, login, "reception", "/cases/new?kind=repair")
    boxes = page.locator("form input[type=checkbox]")
    assert boxes.count() >= 4
    for box in boxes.all():
        rect = box.bounding_box()
        # The box itself is square and readable (it was squeezed to 14 px by its label's text) …
        assert rect["width"] >= 20 and abs(rect["width"] - rect["height"]) <= 1, rect
        # … and the label around it, which toggles it, is a 44 px target.
        hit = box.evaluate("e => { const r = e.closest('label').getBoundingClientRect(); return [r.width, r.height]; }")
        assert hit[0] >= 44 and hit[1] >= 44, hit
    crumbs = page.locator(".crumbs a")
    assert crumbs.count() >= 1
    for link in crumbs.all():
        assert link.bounding_box()["height"] >= 44
    screenshot(page, "frictions-repair-form-phone.png", full_page=True)
    collector.assert_clean()


@pytest.mark.parametrize(("role", "device"), [(r, "phone") for r in ROLES] + [("manager", "tablet"), ("reception", "tablet")])
def test_tapping_the_bell_opens_the_inbox_as_a_page(new_page, login, collector, screenshot, role, device):
    """The bell's link used to inherit the poll's hx-select="#bell": the page became a bell."""
    _estate, users, _case = _office()
    factories.make_notification(users[role], title="24小时回访到期", url="/agenda")
    page = new_page(device)
    login(page, role)
    page.locator("a.bell").click()
    page.wait_for_url("**/notifications/")
    expect(page.locator("main h1")).to_have_text("通知")
    expect(page.locator(".notes")).to_contain_text("24小时回访到期")
    nav = page.locator("nav.tabbar" if device == "phone" else "nav.topnav")
    expect(nav).to_be_visible()
    assert nav.locator("a").count() >= 5
    expect(page.locator("header .brand")).to_be_visible()
    assert page.locator("#bell").count() == 1
    screenshot(page, f"frictions-bell-{role}-{device}.png")
    collector.assert_clean()


def _photo(tmp_path, name="leak.jpg"):
    path = tmp_path / name
    Image.new("RGB", (1200, 900), (80, 120, 160)).save(path, "JPEG", quality=90)
    return str(path)


def _requests_to(page, pattern):
    """(method, path) of every request the page makes to URLs matching pattern."""
    seen = []
    rx = re.compile(pattern)
    page.on("request", lambda r: seen.append((r.method, r.url.split("?")[0])) if rx.search(r.url) else None)
    return seen


def test_the_flash_survives_a_photo_upload_on_a_case(phone_page, login, collector, tmp_path, screenshot):
    """One POST, one GET, and the message shows (the XHR used to follow the 303 and eat it)."""
    _estate, _users, case = _office()
    page = phone_page
    login(page, "butler")
    page.goto(f"/cases/{case.id}")
    seen = _requests_to(page, rf"/cases/{case.id}(/photos)?(\?|$)")
    form = page.locator(f"form[action$='/cases/{case.id}/photos']")
    form.locator("input[type=file]").set_input_files(_photo(tmp_path))
    expect(form.locator("[data-photo-previews] img")).to_have_count(1)
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("添加了 1 张照片")
    page.wait_for_load_state("load")
    base = page.url.split("/cases/")[0]
    assert seen == [("POST", f"{base}/cases/{case.id}/photos"), ("GET", f"{base}/cases/{case.id}")], seen
    screenshot(page, "frictions-case-photo-flash.png")
    collector.assert_clean()


def test_the_flash_survives_a_failed_round_item_with_a_photo(phone_page, login, collector, tmp_path, screenshot):
    _office()
    page = phone_page
    login(page, "butler")
    page.goto("/rounds/")
    page.locator("form.start-card", has=page.locator("input[value=patrol]")).get_by_role("button").click()
    page.wait_for_url(re.compile(r"/rounds/\d+$"))
    patrol = Round.get(Round.kind == "patrol")
    page.get_by_role("button", name="合格").click()
    expect(page.locator("#current-item")).to_contain_text("2/")
    seen = _requests_to(page, rf"/rounds/{patrol.id}(/items/\d+)?(\?|$)")
    page.locator("summary.answer-fail").click()
    page.fill("#current-item textarea[name=note]", "灭火器压力不足")
    page.set_input_files("#item-photos", _photo(tmp_path, "extinguisher.jpg"))
    page.locator("#current-item button[data-submit]").click()
    expect(page.locator(".flash")).to_have_text("已为这个不合格项生成工单。")
    expect(page.locator("#current-item")).to_contain_text("3/")
    page.wait_for_load_state("load")
    assert ItemResult.get(ItemResult.result == "fail").case_id
    assert [m for m, _url in seen] == ["POST", "GET"], seen
    screenshot(page, "frictions-round-photo-flash.png")
    collector.assert_clean()


def _in_view(page, selector):
    """Whether the element starts on screen, below the sticky app bar, with room to show its start."""
    return page.evaluate("""sel => { const e = document.querySelector(sel); if (!e) return 'missing';
      const top = e.getBoundingClientRect().top, bar = document.querySelector('.appbar').getBoundingClientRect().bottom;
      return (top >= bar - 1 && top + 160 <= window.innerHeight) || [top, bar, window.scrollY]; }""", selector)


@pytest.mark.parametrize(("role", "kind", "anchor"), [
    ("butler", "repair_satisfaction", "#log-call"),
    ("butler", "repair_callback_24h", "#log-call"),
    ("technician", "repair_arrive", "#tech-actions"),
    ("butler", "desk_message_answer", "#answer-form"),
])
def test_the_duty_you_tap_lands_on_its_form(new_page, login, collector, screenshot, role, kind, anchor):
    """A 满意度回访 opened the case at the top, the 登记通话 form four screens down."""
    from bluebird.cases.models import Case

    _estate, users, case = _office()
    user = users[role]
    if kind == "desk_message_answer":
        message = factories.make_message(users["reception"], user, matter="请回电，关于装修押金退还" * 12)
        subject = f"deskmsg:{message.id}"
    else:
        # A long description, as owners dictate them: the form is well below the first screen.
        Case.update(status="dispatched", assignee=users["technician"],
                    description="厨房水龙头漏水，楼下天花板有水渍。" * 40).where(Case.id == case.id).execute()
        subject = case.subject
    factories.make_duty(user, kind=kind, subject=subject, title="3-1502")
    page = _phone_at(new_page, login, role, "/agenda")
    page.locator("a.duty-link", has_text="3-1502").first.click()
    page.wait_for_url(f"**{anchor}")
    expect(page.locator(anchor)).to_be_visible()
    page.wait_for_timeout(200)  # htmx scrolls to the anchor after the swap settles
    assert _in_view(page, anchor) is True, anchor
    # A full load of the same link lands there too.
    page.reload()
    assert _in_view(page, anchor) is True, anchor
    screenshot(page, f"frictions-duty-{kind}.png")
    collector.assert_clean()


def test_reloading_a_refused_form_shows_its_page_not_a_405(new_page, login, collector, screenshot):
    _estate, _users, case = _office()
    page = _phone_at(new_page, login, "butler", f"/cases/{case.id}")
    comment = page.locator(f"form[action$='/cases/{case.id}/comment']")
    comment.locator("button[type=submit]").click()  # empty: refused with a 422
    expect(page.locator(".flash-error, .error").first).to_be_visible()
    assert page.url.endswith(f"/cases/{case.id}"), page.url  # not the POST-only /comment
    page.reload()
    expect(page.locator("main h1")).to_contain_text("3-1502")
    assert "405" not in page.locator("main").inner_text()
    # A POST-only address reached some other way (an old history entry, a bookmark) opens its page.
    page.goto(f"/cases/{case.id}/calls")
    assert page.url.endswith(f"/cases/{case.id}")
    expect(page.locator("#log-call")).to_be_visible()
    collector.assert_clean(console=False)  # the deliberate 422 is a console error


def test_going_back_to_the_case_form_keeps_the_unit(new_page, login, collector):
    _office()
    page = _phone_at(new_page, login, "butler", "/cases/")
    page.locator("a[href='/cases/new?kind=repair']").first.click()
    page.wait_for_url("**/cases/new?kind=repair")
    page.locator("input[name=unit_code]").press_sequentially("3-1502", delay=20)
    expect(page.locator("#contacts")).to_contain_text("张伟")
    page.fill("textarea[name=description]", "厨房漏水")
    page.locator("button[data-submit]").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    page.go_back()
    page.wait_for_url("**/cases/new?kind=repair")
    expect(page.locator("textarea[name=description]")).to_have_value("厨房漏水")
    expect(page.locator("input[name=unit_code]")).to_have_value("3-1502")
    expect(page.locator("#contacts")).to_contain_text("张伟")  # and its residents to pick again
    collector.assert_clean()


def test_a_long_description_shows_its_limit_and_is_never_cut_silently(new_page, login, collector, screenshot):
    from bluebird.cases.models import Case

    _office()
    page = _phone_at(new_page, login, "butler", "/cases/new?kind=repair")
    area = page.locator("textarea[name=description]")
    assert area.get_attribute("maxlength") == "2000"
    counter = page.locator("textarea[name=description] + .counter")
    expect(counter).to_have_text("0 / 2000")
    area.fill("漏" * 20000)
    expect(counter).to_contain_text("2000 / 2000")
    # A paste the browser cuts at the limit says so.
    page.evaluate("""() => { const a = document.querySelector('textarea[name=description]'); a.focus();
      const dt = new DataTransfer(); dt.setData('text/plain', 'x'.repeat(500));
      a.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true})); }""")
    expect(counter).to_contain_text("超过 2000 字")
    expect(counter).to_have_class(re.compile("is-full"))
    screenshot(page, "frictions-long-description.png", full_page=True)
    # A client without the attribute (a replayed outbox, an old page) is refused, not cut.
    page.fill("input[name=unit_code]", "3-1502")
    page.evaluate("document.querySelector('textarea[name=description]').removeAttribute('maxlength')")
    area.fill("漏" * 20000)
    page.locator("button[data-submit]").click()
    expect(page.locator(".has-error .error")).to_have_text("最多 2000 字（现在 20000 字）。")
    assert len(page.locator("textarea[name=description]").input_value()) == 20000
    assert Case.select().where(Case.description.startswith("漏漏")).count() == 0
    collector.assert_clean(console=False)  # the deliberate 422 is a console error


@pytest.mark.parametrize("device", ["phone", "tablet"])
def test_a_dashboard_row_opens_that_persons_overdue_duties(new_page, login, collector, screenshot, device):
    from datetime import timedelta

    _estate, users, case = _office()
    butler, tech = users["butler"], users["technician"]
    for n, kind in enumerate(["repair_callback_24h", "repair_satisfaction", "repair_notify_owner"]):
        factories.make_duty(butler, kind=kind, subject=case.subject, title=f"回访{n}", due_in=timedelta(hours=-2 - n))
    factories.make_duty(tech, kind="repair_arrive", subject=case.subject, title="孙师傅的", due_in=timedelta(hours=-1))
    factories.make_duty(butler, kind="complaint_callback", subject=case.subject, title="还没到期")
    page = new_page(device)
    login(page, "manager")
    page.goto("/dashboard")
    row = page.locator("tr.link-row", has_text="butler名")
    expect(row.locator("td.num")).to_have_text("3")
    row.locator("a").first.click()
    page.wait_for_url(f"**/dashboard/overdue?user={butler.id}")
    duties = page.locator("#overdue-list li.duty")
    expect(duties).to_have_count(3)
    expect(page.locator("#overdue-list")).not_to_contain_text("孙师傅的")
    expect(page.locator("#overdue-list")).not_to_contain_text("还没到期")
    assert row.count() == 0 and page.locator("h1").inner_text().startswith("已超时")
    # Each row is one tap from where the duty is done.
    assert duties.first.locator("a").get_attribute("href") == f"/cases/{case.id}#log-call"
    duties.first.locator("a").click()
    page.wait_for_url(f"**/cases/{case.id}#log-call")
    screenshot(page, f"frictions-overdue-{device}.png")
    collector.assert_clean()


def test_the_technician_sees_whom_to_call_and_the_unit_links_to_its_page(new_page, login, collector, screenshot):
    from bluebird.cases.models import Case

    _estate, users, case = _office()
    Case.update(status="dispatched", assignee=users["technician"], contact_name="业主",
                contact_phone="").where(Case.id == case.id).execute()
    page = _phone_at(new_page, login, "technician", f"/cases/{case.id}")
    call = page.locator("#case-residents a[href^='tel:']")
    expect(call).to_have_count(1)
    assert call.get_attribute("href") == "tel:13912345678"
    expect(page.locator("#case-residents")).to_contain_text("张伟")
    assert call.bounding_box()["height"] >= 44
    screenshot(page, "frictions-tech-case.png")
    page.locator("h1 a.unit-link").click()
    page.wait_for_url(f"**/estate/units/{case.unit_id}")
    expect(page.locator("h1")).to_have_text("3-1502")
    collector.assert_clean()


def test_residents_phones_are_masked_for_roles_that_do_not_call(new_page, login, collector):
    _estate, _users, case = _office()
    page = _phone_at(new_page, login, "inspector", f"/cases/{case.id}")
    expect(page.locator("#case-residents")).to_contain_text("139****5678")
    assert page.locator("#case-residents a[href^='tel:']").count() == 0
    assert "13912345678" not in page.content()
    collector.assert_clean()
