"""Every state-changing form a phone or the desk posts carries a client_uuid stamped in the
browser (so the outbox can replay it safely), and a replay of the page's own submission (the
same FormData sent again, as the outbox does after a lost answer) does the step once."""
import pytest
from playwright.sync_api import expect

from bluebird import clock
from bluebird.timeline.models import Event
from tests import factories

pytestmark = pytest.mark.browser

SKIP = ("/login", "/logout", "/language", "/me/")


@pytest.fixture
def office():
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    unit = factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502")
    desk = factories.make_user(estate, role="reception", username="reception", name="刘前台")
    tech = factories.make_user(estate, role="technician", username="tech", name="孙师傅")
    case = factories.make_case(unit, desk, status="dispatched", assignee=tech, dispatched_at=clock.now())
    key = factories.make_key(estate, desk, unit=unit)
    return {"case": case, "visitor": factories.make_visitor(desk, unit=unit),
            "parcel": factories.make_parcel(unit, desk), "key": key}


def _post_forms(page):
    return page.evaluate("""() => [...document.querySelectorAll("form")]
      .filter(f => (f.getAttribute("method") || "").toLowerCase() === "post")
      .map(f => [f.getAttribute("action"), (f.querySelector("input[name=client_uuid]") || {}).value || ""])""")


def _check(page, url):
    page.goto(url)
    forms = [(a, u) for a, u in _post_forms(page) if not a.startswith(SKIP)]
    assert forms, url
    assert all(u for _a, u in forms), [a for a, u in forms if not u]
    assert len({u for _a, u in forms}) == len(forms)  # one per form
    return forms


def test_the_desks_and_the_technicians_forms_carry_a_client_uuid(new_page, login, screenshot, collector, office):
    desk = new_page("phone")
    login(desk, "reception")
    for url in (f"/cases/{office['case'].id}", f"/desk/visitors/{office['visitor'].id}",
                f"/desk/parcels/{office['parcel'].id}", f"/desk/keys/{office['key'].id}"):
        _check(desk, url)
    tech = new_page("phone")
    login(tech, "tech")
    forms = _check(tech, f"/cases/{office['case'].id}")
    assert any(a.endswith("/arrive") for a, _u in forms) and any(a.endswith("/finish") for a, _u in forms)
    screenshot(tech, "replay-case-tech.png", full_page=True)
    collector.assert_clean()


def test_a_note_sent_again_with_its_own_uuid_is_added_once(new_page, login, collector, office):
    page = new_page("phone")
    login(page, "reception")
    case = office["case"]
    page.goto(f"/cases/{case.id}")
    form = page.locator(f"form[action$='/cases/{case.id}/comment']")
    form.locator("input[name=text]").fill("业主下午三点后在家")
    # What the outbox does after a lost answer: the very same submission, sent again.
    statuses = page.evaluate("""async (sel) => {
      const form = document.querySelector(sel);
      const data = new FormData(form);
      const send = () => fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
        .then(r => r.status);
      return [await send(), await send(), await send()];
    }""", f"form[action$='/cases/{case.id}/comment']")
    assert statuses == [200, 200, 200]  # each followed the 303 to the case page
    notes = Event.select().where((Event.subject == case.subject) & (Event.verb == "comment"))
    assert [e.data["text"] for e in notes] == ["业主下午三点后在家"]
    page.reload()
    expect(page.locator("body")).to_contain_text("业主下午三点后在家")
    collector.assert_clean()
