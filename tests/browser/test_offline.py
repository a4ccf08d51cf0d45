"""Works without signal: the outbox keeps every answer, case and photo taken offline and
sends each exactly once when the signal returns (static/outbox.js, templates/shell/sw.js).

Offline here is really offline: the browser talks to the live server through a TCP
link this test cuts (`Link.down()`), so the page's requests and the service worker's
own fail alike (Playwright's set_offline does not reach the worker, playwright #2311);
`context.set_offline` is set as well, as a phone's radio would.
"""
import re
import time

import pytest
from playwright.sync_api import Error, expect

from bluebird import clock
from bluebird.cases.models import Case, CaseStatus
from bluebird.frontdesk.models import Visitor
from bluebird.photos.models import Attachment
from bluebird.rounds.models import ItemResult, Template, TemplateItem
from tests import factories
from tests.browser.conftest import DEVICES, browser_contexts
from tests.fixtures.photos import make_corpus as corpus

pytestmark = pytest.mark.browser

ITEMS = 30
FAILS = 10


@pytest.fixture
def phone(browser, link, collector, live_server):
    """A 390 px phone context through the link, service workers allowed."""
    with browser_contexts(browser, live_server) as context_for:
        yield lambda device="phone": context_for(link.url, **DEVICES[device])


def new_tab(context, collector):
    page = context.new_page()
    collector.watch(page)
    return page


def offline(context, link):
    link.down()
    context.set_offline(True)


def online(context, link):
    link.restore()
    context.set_offline(False)


def login(page, username):
    page.goto("/login")
    form = page.locator("form[action$='/login']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(factories.PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def controlled(page):
    """The service worker controls the page (page.evaluate: our CSP refuses wait_for_function's eval)."""
    page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()  # a navigation after activation is always controlled
    page.evaluate("""() => new Promise((resolve, reject) => {
      const sw = navigator.serviceWorker;
      if (sw.controller) return resolve(true);
      const timer = setTimeout(() => reject(new Error("no service worker took control")), 15000);
      sw.addEventListener("controllerchange", () => { clearTimeout(timer); resolve(true); }, { once: true });
    })""")


def cached_pages(page):
    return page.evaluate("""async () => {
      const c = await caches.open("bluebird-pages");
      return (await c.keys()).map(r => new URL(r.url).pathname + new URL(r.url).search);
    }""")


def outbox(page):
    """The outbox's items as the page's outbox.js reads them (waits out a navigation)."""
    for _ in range(50):
        try:
            if page.evaluate("() => !!window.BluebirdOutbox"):
                return _outbox(page)
            page.wait_for_timeout(100)
        except Error as exc:
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
            page.wait_for_timeout(100)
    return _outbox(page)


def _outbox(page):
    return page.evaluate("""() => window.BluebirdOutbox.items().then(items => items.map(it => ({
      id: it.id, url: it.url, state: it.state, attempts: it.attempts, size: it.size,
      files: it.files.length, lastError: it.lastError, status: it.status,
      fileTypes: it.files.map(f => Object.prototype.toString.call(f.data)) })))""")


def wait_for_outbox(page, n, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = outbox(page)
        if len(items) == n:
            return items
        page.wait_for_timeout(250)
    raise AssertionError(f"outbox has {len(outbox(page))} items, expected {n}")


@pytest.fixture(scope="module")
def twelve_mp(tmp_path_factory):
    path = tmp_path_factory.mktemp("offline-photos") / "IMG_0001.jpg"
    path.write_bytes(corpus.jpeg(corpus.photo(4032, 3024, 7), quality=92,
                                 exif=corpus.exif(6, captured=corpus.CAPTURED)))
    return path


def patrol(estate, butler, n=ITEMS, fails=FAILS):
    """A patrol round of n items; the first `fails` will be failed with a photo."""
    template = Template.create(estate=estate.id, family="patrol", name="离线巡查", version=1)
    for i in range(n):
        TemplateItem.create(template=template, position=i + 1, section="公共区域", text=f"检查点 {i + 1:02d}")
    return factories.make_round(estate, butler)


def _site(username="butler"):
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    butler = factories.make_user(estate, role="butler", username=username, name="李管家", patch=patch)
    return estate, patch, butler


def _open_round(page, round_):
    page.goto(f"/rounds/{round_.id}")
    controlled(page)
    page.reload()  # now the service worker sees the page and warms every item
    want = {f"/rounds/{round_.id}?item={item.id}" for item in round_.template.items}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not want <= set(cached_pages(page)):
        page.wait_for_timeout(200)
    assert want <= set(cached_pages(page)), "the round's items were not kept for offline use"


def _answer(page, index, photo=None):
    card = page.locator("[data-round-item]")
    if photo:
        card.locator("summary.answer-fail").click()
        form = card.locator("form[data-photo-form]")
        form.locator("textarea[name=note], input[name=note]").first.fill(f"第{index + 1}项有问题")
        form.locator("input[data-photo-input]").set_input_files(str(photo))
        expect(form.locator("[data-photo-previews] figure")).to_have_count(1, timeout=20000)
        form.locator("[data-submit]").click()
    else:
        card.locator("button.answer-ok").click()


def test_a_30_item_patrol_with_10_photos_done_offline_arrives_once(
        phone, link, collector, twelve_mp, screenshot, record_property):
    estate, _patch, butler = _site()
    round_ = patrol(estate, butler)
    items = list(TemplateItem.select().where(TemplateItem.template == round_.template).order_by(TemplateItem.position))
    context = phone()
    page = new_tab(context, collector)
    login(page, "butler")
    _open_round(page, round_)

    offline(context, link)
    for i, item in enumerate(items):
        expect(page.locator("[data-round-item] input[name=item_id]").first).to_have_value(str(item.id), timeout=20000)
        _answer(page, i, twelve_mp if i < FAILS else None)
        if i + 1 < len(items):
            expect(page.locator("[data-round-item] input[name=item_id]").first).to_have_value(
                str(items[i + 1].id), timeout=20000)
    # The last answer kept, the page goes back to the round's own page by itself.
    page.wait_for_url(re.compile(rf"/rounds/{round_.id}$"), timeout=20000)
    kept = wait_for_outbox(page, ITEMS, timeout=20)
    assert ItemResult.select().where(ItemResult.round == round_.id).count() == 0  # nothing reached the server
    assert sum(it["files"] for it in kept) == FAILS
    assert {t for it in kept for t in it["fileTypes"]} == {"[object ArrayBuffer]"}
    queued_bytes = sum(it["size"] for it in kept)
    record_property("queued_bytes", queued_bytes)
    print(f"\nqueued_bytes={queued_bytes} ({queued_bytes / 2**20:.2f} MB) for {ITEMS} items, {FAILS} photos")
    assert queued_bytes <= 5 * 2**20

    # The badge on the page, and the 待上传 page, both offline from the cache.
    expect(page.locator("[data-outbox-badge] [data-outbox-count]")).to_have_text(str(ITEMS))
    expect(page.locator("#offline-banner")).to_be_visible()
    assert re.search(r"离线 · 保存于 \d\d:\d\d", page.locator("#offline-banner").inner_text())
    screenshot(page, "offline-badge.png")
    page.goto("/outbox")
    expect(page.locator("[data-outbox-item]")).to_have_count(ITEMS)
    screenshot(page, "offline-outbox.png", full_page=False)

    started = time.monotonic()
    online(context, link)
    page.locator("[data-outbox-send]").click()
    wait_for_outbox(page, 0, timeout=60)
    elapsed = time.monotonic() - started
    record_property("replay_seconds", elapsed)
    print(f"replay_seconds={elapsed:.1f}")

    results = list(ItemResult.select().where(ItemResult.round == round_.id))
    assert len(results) == ITEMS and len({r.item_id for r in results}) == ITEMS  # 0 lost, 0 doubled
    assert sorted(r.result for r in results).count("fail") == FAILS
    photos = Attachment.select().where(Attachment.subject.in_([r.subject for r in results])).count()
    assert photos == FAILS
    expect(page.locator("[data-outbox-badge]")).to_be_hidden()
    collector.assert_clean(console=False)  # offline requests log network errors, by design


# ---- Replay under trouble --------------------------------------------------------------------

class Faults:
    """WSGI middleware put in front of the live app for one test: delay or fail POSTs."""

    def __init__(self, inner):
        self.inner = inner
        self.delay = 0.0
        self.fail_once = set()  # paths whose first POST answers 500
        self.busy = False  # every round POST answers 503 + Retry-After
        self.log = []  # (path, status)

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if method == "POST" and path.startswith("/rounds/"):
            if self.delay:
                time.sleep(self.delay)
            if self.busy:
                self.log.append((path, 503))
                start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "3600")])
                return [b"busy"]
            if path in self.fail_once:
                self.fail_once.discard(path)
                self.log.append((path, 500))
                start_response("500 Internal Server Error", [("Content-Type", "text/html")])
                return [b"<main><h1>boom</h1></main>"]
            self.log.append((path, 200))
        return self.inner(environ, start_response)


@pytest.fixture
def faults(live_server, monkeypatch):
    f = Faults(live_server.app.app)
    monkeypatch.setattr(live_server.app, "app", f)
    return f


def _queue_ok_answers(page, items, already=0):
    for item in items:
        expect(page.locator("[data-round-item] input[name=item_id]").first).to_have_value(str(item.id), timeout=20000)
        page.locator("[data-round-item] button.answer-ok").click()
        expect(page.locator("[data-round-item] input[name=item_id]").first).not_to_have_value(str(item.id), timeout=20000)
    return wait_for_outbox(page, already + len(items), timeout=20)


def _offline_round(phone, link, collector, n):
    estate, _patch, butler = _site()
    round_ = patrol(estate, butler, n=n, fails=0)
    items = list(TemplateItem.select().where(TemplateItem.template == round_.template).order_by(TemplateItem.position))
    context = phone()
    page = new_tab(context, collector)
    login(page, "butler")
    _open_round(page, round_)
    offline(context, link)
    return round_, items, context, page


def _results(round_):
    return list(ItemResult.select().where(ItemResult.round == round_.id))


def test_closing_the_page_mid_replay_completes_without_duplicates(phone, link, collector, faults):
    round_, items, context, page = _offline_round(phone, link, collector, 8)
    _queue_ok_answers(page, items[:7])
    faults.delay = 0.4
    online(context, link)
    deadline = time.monotonic() + 20
    while len(_results(round_)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 2 <= len(_results(round_)) < 7
    page.close()  # mid-replay: one request may still be on its way

    faults.delay = 0.0
    again = new_tab(context, collector)
    again.goto("/outbox")
    wait_for_outbox(again, 0, timeout=30)
    results = _results(round_)
    assert len(results) == 7 and len({r.item_id for r in results}) == 7


def test_a_500_on_one_item_is_retried_and_does_not_block_the_others(phone, link, collector, faults):
    round_, items, context, page = _offline_round(phone, link, collector, 4)
    _queue_ok_answers(page, items[:3])
    first = f"/rounds/{round_.id}/items/{items[0].id}"
    faults.fail_once.add(first)
    online(context, link)
    wait_for_outbox(page, 0, timeout=30)
    posts = [p for p, _s in faults.log]
    assert faults.log[0] == (first, 500)
    assert posts.index(f"/rounds/{round_.id}/items/{items[1].id}") < len(posts) - 1  # sent before the retry
    assert faults.log[-1] == (first, 200)
    assert len(_results(round_)) == 3


def test_a_conflict_is_shown_with_the_servers_message_and_kept_until_resolved(phone, link, collector):
    estate, patch, butler = _site()
    unit = factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502")
    case = factories.make_case(unit, butler)
    context = phone()
    page = new_tab(context, collector)
    login(page, "butler")
    page.goto(f"/cases/{case.id}")
    controlled(page)
    page.reload()  # kept by the service worker
    page.goto("/outbox")
    page.goto(f"/cases/{case.id}")

    offline(context, link)
    form = page.locator(f"form[action$='/cases/{case.id}/calls']")
    form.locator("input[name=note]").fill("业主说下午在家")
    form.locator("button[type=submit]").click()
    expect(page.locator("#outbox-toast")).to_have_text("已保存，待上传")
    wait_for_outbox(page, 1, timeout=10)

    Case.update(status=CaseStatus.CLOSED, closed_at=clock.now()).where(Case.id == case.id).execute()
    online(context, link)
    page.goto("/outbox")
    item = page.locator("[data-outbox-item]")
    expect(item).to_have_count(1)
    expect(item).to_have_class(re.compile("state-refused"), timeout=20000)
    expect(page.locator("[data-outbox-badge]")).to_have_class(re.compile("has-refused"))
    item.locator("[data-outbox-why]").click()
    expect(item.locator("[data-outbox-error]")).to_contain_text("该工单已关闭，回访已完成。")
    page.reload()  # kept: nothing is dropped silently
    expect(page.locator("[data-outbox-item]")).to_have_count(1)
    page.on("dialog", lambda d: d.accept())
    page.locator("[data-outbox-item] [data-outbox-discard]").click()
    expect(page.locator("[data-outbox-item]")).to_have_count(0)
    expect(page.locator("[data-outbox-empty]")).to_be_visible()


# A deploy: the next page names the new build's worker (static/app.js registers each build's
# own address, cached for good), which the rewrite stands for.
NEXT_BUILD = 'navigator.serviceWorker.register("/sw.js?v=next-build", { scope: "/", updateViaCache: "all" });'


def test_a_service_worker_update_while_five_items_wait_sends_all_five(phone, link, collector, live_server):
    round_, items, context, page = _offline_round(phone, link, collector, 6)
    _queue_ok_answers(page, items[:5])
    old = page.evaluate("navigator.serviceWorker.controller.scriptURL")
    with live_server.app.rewrite("/sw.js", lambda body: body + b"\n// a new build\n"):
        online(context, link)
        page.evaluate(f"""() => new Promise((resolve) => {{
          navigator.serviceWorker.addEventListener("controllerchange", resolve);
          {NEXT_BUILD}
        }})""")
    assert "/sw.js?v=" in old
    page.reload()
    wait_for_outbox(page, 0, timeout=30)
    results = _results(round_)
    assert len(results) == 5 and len({r.item_id for r in results}) == 5


def test_logout_clears_the_pages_asks_about_queued_items_and_shows_nobody_elses(phone, link, collector, faults):
    round_, items, context, page = _offline_round(phone, link, collector, 3)
    _queue_ok_answers(page, items[:2])
    faults.busy = True  # the items stay waiting while online
    online(context, link)
    page.goto("/me")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    page.on("dialog", answer)
    logout = page.locator("form[action$='/logout'] button")
    logout.click()
    page.wait_for_timeout(500)
    assert page.url.endswith("/me") and "2 条待上传" in asked[0]  # said no: still signed in
    logout.click()
    page.wait_for_url("**/login")
    assert len(asked) == 2
    assert [k for k in page.evaluate("caches.keys()") if k.startswith("bluebird-pages")] == []
    assert len(outbox(page)) == 2  # the queue stays on the phone

    # Somebody else signs in on this phone: the first butler's round never shows from the cache.
    factories.make_user(round_.estate, role="butler", username="butler2", name="王管家", patch=None)
    login(page, "butler2")
    offline(context, link)
    page.goto(f"/rounds/{round_.id}?item={items[2].id}")
    expect(page.locator("#offline-page")).to_be_visible()
    assert "李管家" not in page.content()


def test_an_expired_session_keeps_the_item_until_he_logs_in_again(phone, link, collector):
    round_, items, context, page = _offline_round(phone, link, collector, 2)
    _queue_ok_answers(page, items[:1])
    context.clear_cookies()  # the session ended while the phone was offline
    online(context, link)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and outbox(page)[0]["state"] != "refused":
        page.wait_for_timeout(200)
    (item,) = outbox(page)
    assert item["state"] == "refused" and item["status"] == 401
    assert item["lastError"] == "登录已过期：请重新登录后上传。"
    assert _results(round_) == []

    login(page, "butler")  # back in: the item goes by itself
    wait_for_outbox(page, 0, timeout=20)
    assert len(_results(round_)) == 1


def test_the_desk_logs_a_visitor_offline_on_the_tablet(phone, link, collector):
    estate, patch, _butler = _site()
    factories.make_unit(factories.make_building(estate, "3", patch=patch), "1502")
    factories.make_user(estate, role="reception", username="reception", name="刘前台")
    context = phone("tablet")
    page = new_tab(context, collector)
    login(page, "reception")
    page.goto("/desk/visitors/new")
    controlled(page)
    page.reload()  # kept by the service worker
    page.wait_for_timeout(1500)  # the desk's page is made a while before the visitor comes

    offline(context, link)
    page.reload()  # from the cache, with the banner
    expect(page.locator("#offline-banner")).to_be_visible()
    form = page.locator("form[action$='/desk/visitors/new']")
    form.locator("input[name=name]").fill("王五")
    form.locator("input[name=purpose]").fill("探亲")
    form.locator("input[name=unit_code]").fill("3-1502")
    form.locator("button[type=submit]").click()
    expect(page.locator("#outbox-toast")).to_have_text("已保存，待上传")
    (item,) = wait_for_outbox(page, 1, timeout=10)
    assert item["url"] == "/desk/visitors/new"
    assert Visitor.select().count() == 0

    online(context, link)
    wait_for_outbox(page, 0, timeout=30)
    (visitor,) = list(Visitor.select())
    assert visitor.name == "王五" and visitor.unit.code == "3-1502"


def test_a_service_worker_update_waits_while_an_upload_runs(phone, link, collector, live_server):
    _estate, _patch, _butler = _site()
    context = phone()
    page = new_tab(context, collector)
    login(page, "butler")
    controlled(page)
    # The outbox holds this lock for as long as it uploads (static/outbox.js).
    page.evaluate("""() => { navigator.locks.request("bluebird-outbox-upload",
      () => new Promise((release) => { window.releaseUpload = release; })); }""")
    with live_server.app.rewrite("/sw.js", lambda body: body + b"\n// a new build\n"):
        page.evaluate(f"() => {{ {NEXT_BUILD} }}")
        page.wait_for_timeout(2000)
        state = page.evaluate("""() => navigator.serviceWorker.getRegistration().then((r) => ({
          installing: !!r.installing, waiting: !!r.waiting }))""")
        assert state["installing"] or state["waiting"], state  # not yet in charge
        changed = page.evaluate("""() => new Promise((resolve) => {
          navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true));
          window.releaseUpload();
          setTimeout(() => resolve(false), 10000);
        })""")
    assert changed  # the upload over, the new worker takes over


def test_a_503_answered_to_a_boosted_form_is_kept_and_sent_after_its_retry_after(phone, link, collector, faults):
    """The server is busy (no turn at the write gate: 503 + Retry-After): the answer is kept in
    the outbox like a failed send, not tried again before Retry-After, and sent once later."""
    estate, _patch, butler = _site()
    round_ = patrol(estate, butler, n=2, fails=0)
    context = phone()
    page = new_tab(context, collector)
    login(page, "butler")
    _open_round(page, round_)
    faults.busy = True
    page.locator("[data-round-item] button.answer-ok").click()
    (item,) = wait_for_outbox(page, 1, timeout=20)
    assert item["url"].startswith(f"/rounds/{round_.id}/items/") and item["state"] == "waiting"
    page.wait_for_timeout(5000)  # the outbox's own early retry (3 s) waits for Retry-After (3600 s)
    assert faults.log == [(item["url"], 503)], faults.log
    assert _results(round_) == []

    faults.busy = False
    page.evaluate("id => window.BluebirdOutbox.retry(id)", item["id"])
    wait_for_outbox(page, 0, timeout=30)
    assert len(_results(round_)) == 1 and [s for _p, s in faults.log] == [503, 200]


# Every IndexedDB connection the page opens, so a test can close it the way iOS does under
# memory pressure (the page's handle stays, and its next transaction fails).
KEEP_CONNECTIONS = """
(() => {
  window.__idbConnections = [];
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function () {
    const request = open.apply(this, arguments);
    request.addEventListener("success", () => window.__idbConnections.push(request.result));
    return request;
  };
})();
"""


def test_a_database_the_browser_closed_is_opened_again_and_nothing_is_lost(phone, link, collector):
    estate, _patch, butler = _site()
    round_ = patrol(estate, butler, n=4, fails=0)
    items = list(TemplateItem.select().where(TemplateItem.template == round_.template).order_by(TemplateItem.position))
    context = phone()
    context.add_init_script(KEEP_CONNECTIONS)
    page = new_tab(context, collector)
    login(page, "butler")
    _open_round(page, round_)
    offline(context, link)
    _queue_ok_answers(page, items[:1])

    # A read on the closed connection: the outbox opens the database again and finds the item.
    seen = page.evaluate("""async () => {
      window.__idbConnections.forEach(c => c.close());
      const before = window.__idbConnections.length;
      const items = await window.BluebirdOutbox.items();
      return {before, after: window.__idbConnections.length, n: items.length};
    }""")
    assert seen["n"] == 1 and seen["after"] > seen["before"]
    # Writes on a closed connection: the next answers are kept all the same.
    page.evaluate("() => window.__idbConnections.forEach(c => c.close())")
    _queue_ok_answers(page, items[1:3], already=1)

    online(context, link)
    wait_for_outbox(page, 0, timeout=30)
    assert sorted(r.item_id for r in _results(round_)) == sorted(i.id for i in items[:3])
