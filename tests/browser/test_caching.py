"""A navigation after the first visit revalidates nothing, and asks nothing more (issue 16).

The static URLs are versioned and `immutable`, and a static response carries no cookie
and no `Vary: Cookie`, so Chromium takes every stylesheet, script and icon from its cache
on the next pages: no conditional request, no 304. Counted through the DevTools
protocol's Network domain (what went to the network, with which headers, and its status),
with the service worker blocked so the HTTP cache alone is tested.
"""
import threading
import time

import pytest

from tests import factories
from tests.browser.conftest import DEVICES, browser_contexts, login, screenshot
from tests.browser.test_offline import cached_pages, controlled, new_tab

pytestmark = pytest.mark.browser

CONDITIONAL = ("if-none-match", "if-modified-since")


class Wire:
    """Every request the page put on the network, from CDP events."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.requests = {}  # requestId -> {"url", "headers", "status", "cached"}
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.requestWillBeSentExtraInfo", self._extra)
        self.cdp.on("Network.responseReceived", self._response)
        # A memory-cache hit: Chromium still reports a response, but nothing went out.
        self.cdp.on("Network.requestServedFromCache", lambda e: self._row(e["requestId"]).update(cached=True))
        self.cdp.send("Network.enable")

    def _row(self, rid):
        return self.requests.setdefault(rid, {"url": "", "headers": {}, "status": None, "cached": False})

    def _sent(self, e):
        row = self._row(e["requestId"])
        row["url"] = e["request"]["url"]
        row["headers"].update({k.lower(): v for k, v in e["request"].get("headers", {}).items()})

    def _extra(self, e):
        self._row(e["requestId"])["headers"].update({k.lower(): v for k, v in e.get("headers", {}).items()})

    def _response(self, e):
        row = self._row(e["requestId"])
        response = e["response"]
        row["status"] = response["status"]
        row["cached"] = row["cached"] or bool(response.get("fromDiskCache") or response.get("fromPrefetchCache")
                             or response.get("fromServiceWorker"))

    def reset(self):
        self.requests = {}

    def revalidations(self):
        return [r["url"] for r in self.requests.values()
                if r["status"] == 304 or (not r["cached"] and any(h in r["headers"] for h in CONDITIONAL))]

    def static_from_network(self):
        return [r["url"] for r in self.requests.values() if "/static/" in r["url"] and not r["cached"]
                and r["status"] is not None]


@pytest.fixture
def butler():
    estate = factories.make_estate("home", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    user = factories.make_user(estate, role="butler", username="butler", patch=patch)
    factories.make_duty(user, title="厨房水管漏水")
    return user


def test_a_navigation_after_the_first_visit_revalidates_nothing(phone_page, butler):
    page = phone_page
    wire = Wire(page)
    login(page, "butler")
    page.goto("/agenda")
    page.wait_for_load_state("networkidle")
    first = [r["url"] for r in wire.requests.values() if "/static/" in r["url"]]
    assert first, "the first visit loaded no static file?"
    screenshot(page, "perf-agenda.png")
    for url in ("/cases/", "/estate/", "/agenda"):
        wire.reset()
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert wire.revalidations() == [], f"{url}: revalidated {wire.revalidations()}"
        assert wire.static_from_network() == [], f"{url}: fetched again {wire.static_from_network()}"


class Asked:
    """WSGI middleware in front of the live app: every path (with its query) it was asked."""

    def __init__(self, inner):
        self.inner, self.lock, self.paths = inner, threading.Lock(), []

    def __call__(self, environ, start_response):
        with self.lock:
            query = environ.get("QUERY_STRING")
            self.paths.append(environ.get("PATH_INFO", "") + (f"?{query}" if query else ""))
        return self.inner(environ, start_response)

    def take(self):
        with self.lock:
            paths, self.paths = self.paths, []
        return paths


def test_with_the_worker_the_first_visit_keeps_the_tabs_and_a_navigation_asks_for_its_page_only(
        browser, live_server, collector, butler, monkeypatch):
    """The worker's script is this build's address, cached (no download on each navigation's
    update check), a page the server just sent needs no /ping, and the tab bar's pages are
    kept for offline use as soon as the worker takes charge of the first page."""
    asked = Asked(live_server.app.app)
    monkeypatch.setattr(live_server.app, "app", asked)
    with browser_contexts(browser, live_server) as context_for:
        page = new_tab(context_for(live_server, **DEVICES["phone"]), collector)
        login(page, "butler")
        controlled(page)
        want = {"/agenda", "/rounds/", "/estate/", "/outbox"}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not want <= set(cached_pages(page)):
            page.wait_for_timeout(200)
        assert want <= set(cached_pages(page)), f"kept after the first visit: {cached_pages(page)}"
        first = asked.take()
        assert sum(p.startswith("/sw.js?v=") for p in first) == 1, first
        assert not [p for p in first if p.startswith("/ping")], first

        for url in ("/cases/", "/estate/", "/agenda"):
            page.goto(url)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # the worker's update check runs after the navigation
            assert asked.take() == [url], url  # no /sw.js, no /ping, no static file
