"""Browser fixtures: a live server on the session app, one Chromium, pages per viewport.

The live server runs in this process, on the same database as the factories, so rows a
test creates are what the browser sees. One Chromium serves the whole session; every
page gets a fresh context (cookies, cache, service workers) and an error collector.
"""
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from bench._common import Forwarder
from tests import factories

CHROMIUM = os.environ.get("BLUEBIRD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("BLUEBIRD_SHOTS", "/tmp/bluebird-shots"))
TIMEOUT_MS = 10_000

DEVICES = {
    # A mid-size phone in portrait: the butler's and technician's screen.
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    # A 10" tablet in landscape on the front desk.
    "tablet": {"viewport": {"width": 1024, "height": 768}, "has_touch": True},
}

# What Chromium writes to the console when the Content-Security-Policy blocks something,
# and what our own securitypolicyviolation listener (below) writes.
CSP_MARKERS = ("Content Security Policy", "Refused to", "CSP violation")

# Playwright injects this through CDP, which the page's CSP does not govern.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class _QuietHandler(WSGIRequestHandler):
    """Keep the access log out of the test output; errors still print."""

    def log_request(self, code="-", size="-"):
        pass


class _LiveApp:
    """WSGI middleware around the app: counts requests in flight, can alter a response.

    Counting: a request the browser left running must not touch the tables after the
    next test's `clean` emptied them (and on PostgreSQL must not hold locks TRUNCATE
    waits for), so each test ends by waiting for quiet.

    Altering: `with live_server.app.rewrite("/static/app.css", fn):` serves fn(body)
    instead of the real body (headers kept), e.g. to stand for an earlier build.
    """

    def __init__(self, app):
        self.app = app
        self.count = 0
        self.cond = threading.Condition()
        self.rewrites = {}

    def __call__(self, environ, start_response):
        with self.cond:
            self.count += 1
        try:
            fn = self.rewrites.get(environ.get("PATH_INFO"))
            if fn is not None:
                # fn edits the plain body: ask the app for it uncompressed.
                environ = {k: v for k, v in environ.items() if k != "HTTP_ACCEPT_ENCODING"}
                return self._stream(self._rewritten(environ, start_response, fn))
            body = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return self._stream(body)

    def _rewritten(self, environ, start_response, fn):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = self.app(environ, capture)
        try:
            data = fn(b"".join(body))
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(data)))])
        return [data]

    def _stream(self, body):
        try:
            # Not `yield from`: on an early close it would close body, then finally again.
            for chunk in body:  # noqa: UP028
                yield chunk
        finally:
            try:
                close = getattr(body, "close", None)
                if close is not None:
                    close()  # Flask's teardown: the database connection goes back
            finally:
                self._done()

    def _done(self):
        with self.cond:
            self.count -= 1
            self.cond.notify_all()

    def wait_idle(self, timeout=5.0):
        with self.cond:
            return self.cond.wait_for(lambda: self.count == 0, timeout)

    @contextmanager
    def rewrite(self, path, fn):
        self.rewrites[path] = fn
        try:
            yield
        finally:
            self.rewrites.pop(path, None)


class LiveServer(str):
    """The base URL (a str, so f"{live_server}/login" works) plus the server's handles."""

    server = None
    app = None  # the _LiveApp middleware


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the session app on 127.0.0.1 in a daemon thread; yield its base URL."""
    live_app = _LiveApp(app)
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.server_port}")
    url.server, url.app = server, live_app
    yield url
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    live_app.wait_idle(timeout=5)


@pytest.fixture(autouse=True)
def _live_host(app, live_server):
    """Answer to the Host the browser sends, as production does (SERVER_NAME unset).

    The shared test app carries SERVER_NAME="localhost" for the test client; it is put
    back after each browser test so the other tests see the config they expect.
    """
    saved = app.config.get("SERVER_NAME")
    app.config["SERVER_NAME"] = None
    yield
    app.config["SERVER_NAME"] = saved


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    """One Chromium for the whole session (Debian's, never a downloaded one)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class Collector:
    """What went wrong in the browser during one test, across all its pages."""

    def __init__(self):
        self.csp = []  # CSP violations (console and securitypolicyviolation)
        self.page_errors = []  # uncaught exceptions in page scripts
        self.console_errors = []  # every console error, CSP or not (offline tests expect some)
        self.bad_responses = []  # HTTP 4xx/5xx answers to the page's own requests

    def watch(self, page):
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("response", self._on_response)

    def _on_console(self, msg):
        text = msg.text
        if any(marker in text for marker in CSP_MARKERS):
            self.csp.append(f"{msg.location.get('url', '')}: {text}")
        if msg.type == "error":
            self.console_errors.append(f"{msg.location.get('url', '')}: {text}")

    def _on_response(self, response):
        if response.status >= 400:
            self.bad_responses.append(f"{response.status} {response.request.method} {response.url}")

    def assert_clean(self, console=True):
        """No CSP violation, no page error; with console=True, no console error or 4xx/5xx."""
        assert self.csp == [], "CSP violations:\n" + "\n".join(self.csp)
        assert self.page_errors == [], "page errors:\n" + "\n".join(self.page_errors)
        if console:
            assert self.bad_responses == [], "error responses:\n" + "\n".join(self.bad_responses)
            assert self.console_errors == [], "console errors:\n" + "\n".join(self.console_errors)


@pytest.fixture
def collector():
    """Collects CSP violations and page errors; every test ends with none of either."""
    c = Collector()
    yield c
    assert c.csp == [], "CSP violations:\n" + "\n".join(c.csp)
    assert c.page_errors == [], "page errors:\n" + "\n".join(c.page_errors)


@contextmanager
def browser_contexts(browser, live_server, idle_s=10):
    """make(base_url, **options) → a fresh context with the suite's defaults (zh-CN,
    Shanghai, service workers allowed, the timeout, the CSP listener); all are closed
    after, and the server left to finish what the closed pages asked."""
    made = []

    def make(base_url, **options):
        context = browser.new_context(base_url=str(base_url), locale="zh-CN", timezone_id="Asia/Shanghai",
                                      **{"service_workers": "allow", **options})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        made.append(context)
        return context

    try:
        yield make
    finally:
        for context in made:
            context.close()
        live_server.app.wait_idle(timeout=idle_s)


@pytest.fixture
def new_page(browser, live_server, collector):
    """A factory: new_page("phone") or new_page("tablet") → a Page in a fresh context.

    The page's base URL is the live server, so page.goto("/estate/") works.
    """
    # Let requests the closed pages left behind finish before the next test empties tables.
    with browser_contexts(browser, live_server, idle_s=5) as context_for:
        def make(device="phone"):
            page = context_for(live_server, **DEVICES[device]).new_page()
            collector.watch(page)
            return page

        yield make


@pytest.fixture
def page(new_page):
    """A phone page (390×844), for tests that need just one."""
    return new_page("phone")


@pytest.fixture
def phone_page(browser, live_server, collector):
    """A 390x844 phone page like new_page("phone"), but with service workers blocked.

    Requests from a page the service worker controls may bypass Playwright's routing and
    request events, even when the worker lets them through (it ignores POSTs); the body
    check needs every upload seen. The upload path itself never touches the worker.
    """
    context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  service_workers="block", **DEVICES["phone"])
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    collector.watch(page)
    yield page
    context.close()
    live_server.app.wait_idle(timeout=5)


@pytest.fixture
def profile_page(playwright, live_server, collector, tmp_path):
    """A phone page in a real (persistent) profile, not an incognito-like context.

    Chromium's installability check answers "in-incognito" for every new_context()
    page, so the PWA check needs a profile on disk. That is a second Chromium process,
    for this fixture's tests only.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_server,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="allow",
        **DEVICES["phone"],
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    page = context.pages[0] if context.pages else context.new_page()
    collector.watch(page)
    yield page
    context.close()
    live_server.app.wait_idle(timeout=5)


def login(page, username, password=factories.PASSWORD):
    """Sign in through the real login form, and wait for the role's home screen."""
    page.goto("/login")
    form = page.locator("form[action$='/login']")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(name="login")
def login_fixture():
    """The login(page, username, password) helper, as a fixture."""
    return login


def screenshot(page, name, full_page=False):
    """Save a PNG under /tmp/bluebird-shots (BLUEBIRD_SHOTS) and return its path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture(name="screenshot")
def screenshot_fixture():
    """The screenshot(page, name, full_page=False) helper, as a fixture."""
    return screenshot


class Link(Forwarder):
    """A TCP forwarder from 127.0.0.1:<port> to the live server that can be cut."""

    up = True

    def admit(self):
        return self.up

    def down(self):
        self.up = False
        self.cut()

    def restore(self):
        self.up = True


@pytest.fixture
def link(live_server):
    """A cuttable link to the live server: the phone's network, for offline tests."""
    link = Link(live_server.server.server_port)
    yield link
    link.close()
