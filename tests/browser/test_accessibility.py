"""Accessibility: axe-core finds nothing on any nav page of any role (issue 16).

Every page the navigation offers a role (bluebird/shell/nav.py: the tab bar, the desk's
top bar, the 更多 page) is loaded in Chromium as that role, on a phone and, for the
office roles, on a tablet, with some data on it (a case with calls, open duties), and
axe-core (vendored for tests: tests/browser/vendor/) runs on it. Any violation fails,
with its rule, its help text and the elements that broke it. The case page is checked
too (its links inside text).
"""
import uuid
from pathlib import Path

import pytest
from flask import url_for

from bluebird.auth import roles
from bluebird.shell import nav
from tests import factories
from tests.browser.conftest import login

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary.replace(/\\s+/g, " "))}));
}"""
USERS = {roles.BUTLER: "butler", roles.TECHNICIAN: "tech", roles.INSPECTOR: "inspector",
         roles.RECEPTION: "reception", roles.MANAGER: "manager", roles.ADMIN: "admin"}


def _endpoints(role):
    """The nav pages of a role, as nav.py lists them (phone tabs, office tabs, top bar)."""
    if role in roles.PHONE:
        return [endpoint for endpoint, *_ in nav.TABS]
    found = [endpoint for endpoint, *_ in nav.OFFICE_TABS[role]] + [e for e, _label in nav.TOPNAV[role]]
    return list(dict.fromkeys(found))


@pytest.fixture
def office(app):
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    people = {role: factories.make_user(estate, role=role, username=name, patch=patch if role == roles.BUTLER else None)
              for role, name in USERS.items()}
    building = factories.make_building(estate, "3", patch=patch)
    unit = factories.make_unit(building, "1502")
    factories.make_resident(unit, "张伟", "13912345678")
    case = factories.make_case(unit, people[roles.RECEPTION], contact_name="张伟", contact_phone="13912345678",
                               scope="household", trade="water", work_type="basic", client_uuid=str(uuid.uuid4()))
    for role in roles.ALL:
        factories.make_duty(people[role], subject=case.subject, title="厨房水管漏水")
    with app.test_request_context():
        pages = {role: [url_for(e) for e in _endpoints(role)] for role in USERS}
        more = url_for(nav.MORE)
    return {"pages": pages, "case": case, "more": more}


def _violations(page, url):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate(AXE)  # through DevTools: the page's CSP does not govern it
    return page.evaluate(RUN_AXE)


def _check(new_page, role, device, urls):
    page = new_page(device)
    login(page, USERS[role])
    found = []
    for url in urls:
        for v in _violations(page, url):
            found.append(f"{role} {device} {url}: [{v['impact']}] {v['id']}: {v['help']}\n      "
                         + "\n      ".join(v["nodes"]))
    return found


@pytest.mark.parametrize("role", list(USERS))
def test_no_axe_violation_on_any_nav_page_of_the_role(new_page, office, role):
    urls = office["pages"][role] + [f"/cases/{office['case'].id}"]
    if role not in roles.PHONE:
        urls.append(office["more"])
    found = _check(new_page, role, "phone", urls)
    if role not in roles.PHONE:
        found += _check(new_page, role, "tablet", urls)
    assert not found, "axe-core violations:\n" + "\n".join(found)
