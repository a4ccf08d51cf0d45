"""The foundation in a real browser: phone and tablet layouts, PWA, offline, CSP."""
import re

import pytest
from playwright.sync_api import expect

from bluebird import CSP
from bluebird.estate.models import Unit, UnitStatus
from tests import factories

pytestmark = pytest.mark.browser

TABS = ["待办", "巡查", "工单", "住户", "我的"]
DESK_BUTTONS = ["来电", "来访", "报修", "投诉", "留言", "包裹", "钥匙"]


def _estate():
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    return estate, patch


# Not page.wait_for_function: its polling evals the predicate in the page, which our
# CSP (no 'unsafe-eval') refuses. page.evaluate goes through CDP and is not governed.
_CONTROLLED = """() => new Promise((resolve, reject) => {
  const sw = navigator.serviceWorker;
  if (sw.controller) return resolve(sw.controller.scriptURL);
  const timer = setTimeout(() => reject(new Error("no service worker took control")), 10000);
  sw.addEventListener("controllerchange", () => {
    clearTimeout(timer);
    resolve(sw.controller.scriptURL);
  }, { once: true });
})"""


def _wait_for_service_worker(page):
    """Wait until the service worker is active and controls this page; return its scope."""
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        # clients.claim() can lag on a loaded machine; a navigation after activation
        # is always controlled, which is what a returning user gets.
        page.reload()
    page.evaluate(_CONTROLLED)
    return scope


def _layout_problems(page):
    """Sideways scrolling, and content the fixed tab bar hides at the end of the page."""
    return page.evaluate(
        """() => {
          const problems = [];
          const doc = document.documentElement;
          if (doc.scrollWidth > window.innerWidth) problems.push("scrolls sideways: " + doc.scrollWidth);
          const tabbar = document.querySelector(".tabbar");
          if (tabbar && getComputedStyle(tabbar).display !== "none") {
            window.scrollTo(0, doc.scrollHeight);
            const main = document.getElementById("main");
            const last = main.lastElementChild;
            if (last && last.getBoundingClientRect().bottom > tabbar.getBoundingClientRect().top + 1)
              problems.push("tab bar covers the end of the page");
            window.scrollTo(0, 0);
          }
          return problems;
        }"""
    )


def test_butler_finds_a_unit_and_changes_its_status(new_page, login, screenshot, collector):
    estate, patch = _estate()
    building = factories.make_building(estate, "3", patch=patch)
    factories.make_unit(building, "1501")
    unit = factories.make_unit(building, "1502", status=UnitStatus.OCCUPIED)
    factories.make_resident(unit, "张伟", "13912345678")
    factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)

    page = new_page("phone")
    login(page, "butler")
    assert page.url.endswith("/agenda")

    tabbar = page.locator("nav.tabbar")
    tabs = tabbar.locator("a.tab")
    assert tabbar.is_visible()
    assert [t.strip() for t in tabs.all_inner_texts()] == TABS
    assert page.locator(".topnav").count() == 0
    # The tab bar sits on the bottom edge of the screen.
    box = tabbar.bounding_box()
    assert box["width"] == 390 and abs(box["y"] + box["height"] - 844) <= 1

    tabs.filter(has_text="住户").click()
    page.wait_for_url("**/estate/")
    expect(tabs.filter(has_text="住户")).to_have_attribute("aria-current", "page")

    # Live search: typing fills the results in place (htmx), with no page load.
    page.evaluate("window.stillTheSamePage = true")
    page.locator("input[name=q]").press_sequentially("3-1502", delay=30)
    result = page.locator("#search-results a.row")
    expect(result).to_have_count(1)  # 3-1501 was a match on the way, not at the end
    expect(result).to_contain_text("3-1502")
    expect(result).to_contain_text("已入住")
    assert page.url.endswith("/estate/")
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot(page, "butler-search.png")

    result.click()
    page.wait_for_url(f"**/estate/units/{unit.id}")
    expect(page.locator("h1")).to_have_text("3-1502")
    expect(page.locator("#unit-status")).to_have_text("已入住")
    expect(page.locator("main")).to_contain_text("张伟")

    page.select_option("select[name=status]", UnitStatus.RENOVATING)
    page.fill("input[name=note]", "业主开始装修")
    page.get_by_role("button", name="保存状态").click()
    expect(page.locator("#unit-status")).to_have_text("装修中")
    assert page.url.endswith(f"/estate/units/{unit.id}")
    timeline = page.locator("ol.timeline li")
    expect(timeline).to_have_count(1)
    expect(timeline).to_contain_text(re.compile("李管家.*已入住 → 装修中.*业主开始装修", re.S))
    assert Unit.get_by_id(unit.id).status == UnitStatus.RENOVATING

    assert _layout_problems(page) == []
    screenshot(page, "butler-unit.png")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    screenshot(page, "butler-unit-bottom.png")  # a full-page shot would misplace the fixed tab bar
    collector.assert_clean()


def test_receptionist_lands_on_the_desk(new_page, login, screenshot, collector):
    estate, _ = _estate()
    factories.make_user(estate, role="reception", username="reception", name="王前台")

    page = new_page("tablet")
    login(page, "reception")
    assert page.url.endswith("/desk")

    assert page.locator("h1").inner_text() == "前台"
    buttons = page.locator(".desk-btn")
    labels = [b.strip() for b in buttons.all_inner_texts()]
    assert set(DESK_BUTTONS) <= set(labels), labels
    for i in range(buttons.count()):
        assert buttons.nth(i).is_visible()
    # The tablet layout: a top bar with the desk marked, no phone tab bar.
    assert not page.locator(".tabbar").is_visible()
    current = page.locator(".topnav a[aria-current=page]")
    assert current.inner_text() == "前台"
    assert page.locator(".desk input[name=q]").is_visible()
    assert _layout_problems(page) == []

    screenshot(page, "desk.png")
    collector.assert_clean()


@pytest.mark.parametrize(
    ("role", "device"),
    # Technician and inspector share the butler's tab bar and pages.
    [("butler", "phone"), ("reception", "tablet"), ("manager", "tablet"), ("admin", "tablet")],
)
def test_every_nav_page_is_clean(new_page, login, collector, role, device):
    """Each role walks its whole navigation: no CSP violation, no error, no sideways scroll."""
    estate, patch = _estate()
    building = factories.make_building(estate, "3", patch=patch)
    factories.make_resident(factories.make_unit(building, "1502"))
    factories.make_user(estate, role=role, username=role, patch=patch if role == "butler" else None)

    page = new_page(device)
    login(page, role)
    bar = "nav.tabbar" if device == "phone" else "nav.topnav"
    nav = page.locator(f"{bar} a")
    hrefs = [nav.nth(i).get_attribute("href") for i in range(nav.count())]
    assert (len(hrefs) == 5) if device == "phone" else (len(hrefs) >= 4), hrefs
    for href in hrefs:
        page.locator(f"{bar} a[href='{href}']").click()  # boosted, like a thumb on the tab bar
        page.wait_for_url(f"**{href}")
        expect(page.locator(f"{bar} a[href='{href}']")).to_have_attribute("aria-current", "page")
        assert _layout_problems(page) == [], href
        page.goto(href)  # and as a full page load
        assert _layout_problems(page) == [], href
    collector.assert_clean()


def test_installable_pwa_with_a_service_worker(profile_page, collector):
    page = profile_page
    page.goto("/login")

    manifest = page.locator("link[rel=manifest]")
    assert manifest.get_attribute("href") == "/manifest.webmanifest"
    response = page.request.get("/manifest.webmanifest")
    assert response.ok and response.headers["content-type"].startswith("application/manifest+json")
    body = response.json()
    assert body["display"] == "standalone" and body["start_url"].startswith("/")
    for icon in body["icons"]:
        assert page.request.get(icon["src"]).ok, icon["src"]

    scope = _wait_for_service_worker(page)
    assert scope == page.url.split("/login")[0] + "/"
    assert "/sw.js?v=" in page.evaluate("navigator.serviceWorker.controller.scriptURL")

    cdp = page.context.new_cdp_session(page)
    result = cdp.send("Page.getInstallabilityErrors")
    assert result["installabilityErrors"] == [], result
    manifest_info = cdp.send("Page.getAppManifest")
    assert manifest_info["errors"] == [], manifest_info
    assert manifest_info["url"].endswith("/manifest.webmanifest")
    collector.assert_clean()


def test_offline_navigation_shows_the_offline_page(new_page, login, screenshot, collector):
    estate, patch = _estate()
    factories.make_user(estate, role="butler", username="butler", patch=patch)

    page = new_page("phone")
    login(page, "butler")
    _wait_for_service_worker(page)
    context = page.context

    # A full navigation to a page that needs the network (not a field page: those are
    # kept, tests/browser/test_offline.py): the service worker answers with the notice.
    context.set_offline(True)
    page.goto("/notifications/")
    page.locator("#offline-page").wait_for()
    assert "网络已断开" in page.locator("#offline-page h1").inner_text()
    assert page.url.endswith("/notifications/")
    screenshot(page, "offline.png")

    # A boosted link: htmx cannot send, app.js turns it into a navigation, same notice.
    context.set_offline(False)
    page.goto("/agenda")
    page.locator("nav.tabbar").wait_for()
    page.evaluate(_CONTROLLED)
    tab = page.locator("nav.tabbar a.tab", has_text="我的")
    target = tab.get_attribute("href")
    context.set_offline(True)
    tab.click()
    page.wait_for_url(f"**{target}")
    page.locator("#offline-page").wait_for()
    assert "网络已断开" in page.locator("#offline-page").inner_text()

    # Back online, the same address is the real page again.
    context.set_offline(False)
    page.reload()
    page.locator("nav.tabbar").wait_for()
    assert page.locator("#offline-page").count() == 0
    collector.assert_clean(console=False)  # offline fetches log network errors, by design


def test_a_first_visit_downloads_each_shell_file_once(new_page, live_server, monkeypatch, collector):
    """Static URLs carry ?v=<hash of the static files' contents>, so the HTTP cache's copy
    under a URL is that build's: the service worker fills its shell from it rather than
    downloading what the page just loaded a second time (issue #16: cache: "reload"
    doubled the first visit). Every file the pages use is in the shell."""
    seen = []
    cookied = set()  # answered with a Set-Cookie (and Vary: Cookie): the HTTP cache cannot reuse it
    inner = live_server.app.app

    def counting(environ, start_response):
        path = environ.get("PATH_INFO", "")

        def spy(status, headers, exc_info=None):
            if path.startswith("/static/") and any(k.lower() == "set-cookie" for k, _v in headers):
                cookied.add(path)
            return start_response(status, headers, exc_info)

        if path.startswith("/static/"):
            seen.append(path)
        return inner(environ, spy)

    monkeypatch.setattr(live_server.app, "app", counting)
    page = new_page("phone")
    page.goto("/login")
    _wait_for_service_worker(page)
    page.evaluate("""async () => {
      for (let i = 0; i < 100; i++) {
        const name = (await caches.keys()).find(k => k.startsWith("bluebird-shell-"));
        if (name && (await (await caches.open(name)).keys()).length >= 10) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }""")
    assert cookied == set(), f"static files sent with a cookie: {sorted(cookied)}"
    doubled = sorted({p for p in seen if seen.count(p) > 1})
    assert doubled == [], f"downloaded twice: {doubled}"
    shell = page.evaluate("""async () => {
      const name = (await caches.keys()).find(k => k.startsWith("bluebird-shell-"));
      return (await (await caches.open(name)).keys()).map(r => new URL(r.url).pathname);
    }""")
    for name in ("app.css", "notify.css", "frontdesk.css", "notify.js", "icons.svg", "outbox.js", "photos.js"):
        assert f"/static/{name}" in shell, name
    collector.assert_clean()


def test_collector_catches_csp_violations(new_page, live_server, collector):
    """The CSP checks above mean something: an inline script and style are reported."""
    page = new_page("phone")
    page.route(
        "**/csp-probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": CSP},
            body="<!doctype html><p style='color:red'>x</p><script>document.title='ran'</script>",
        ),
    )
    page.goto(f"{live_server}/csp-probe")
    for _ in range(40):  # console events reach Python while Playwright waits
        if any("script" in v for v in collector.csp) and any("style" in v for v in collector.csp):
            break
        page.wait_for_timeout(50)
    assert page.title() != "ran"
    assert any("script" in v for v in collector.csp), collector.csp
    assert any("style" in v for v in collector.csp), collector.csp
    collector.csp.clear()  # expected here; the fixture fails any other test that has some
