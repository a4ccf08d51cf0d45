"""A navigation after the first visit revalidates nothing (issue 16).

The static URLs are versioned and `immutable`, and a static response carries no cookie
and no `Vary: Cookie`, so Chromium takes every stylesheet, script and icon from its cache
on the next pages: no conditional request, no 304. Counted through the DevTools
protocol's Network domain (what went to the network, with which headers, and its status),
with the service worker blocked so the HTTP cache alone is tested.
"""
import pytest

from tests import factories
from tests.browser.conftest import login, screenshot

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
