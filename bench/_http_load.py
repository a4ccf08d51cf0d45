"""The implementation of bench/http.py (see its docstring); not a bench by itself."""
import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench._common import Forwarder, figure, note, percentile  # noqa: E402

BIN = os.path.dirname(sys.executable)
PASSWORD = "bluebird"
ACCEPT = "gzip, deflate, br, zstd"  # what Chromium sends
# One browser's identity for the login and every request after: Flask-Login's session
# protection marks a session whose user agent changed "not fresh", which re-signs and
# re-sends the cookie on every response of a load that kept the login's cookie (a browser
# stores the new one; wrk never does), 0.2 ms of CPU a request the bare page never pays.
USER_AGENT = "Mozilla/5.0 (Linux; Android 14) bluebird-bench"
CHROMIUM = os.environ.get("BLUEBIRD_CHROMIUM", "/usr/bin/chromium")
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')
PAGES = ("agenda", "bare", "case_list", "case_page")


# ---------------------------------------------------------------- the database


def prepare(tmp, url, scale):
    """Seed the office (foundation.py's seed) and return what the loads need."""
    from bench import foundation

    os.environ["BLUEBIRD_INSTANCE_PATH"] = tmp
    os.environ["BLUEBIRD_DATABASE_URL"] = url
    from bluebird import create_app
    from bluebird.migrate import upgrade

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret"})
    upgrade()
    data = foundation.seed(app, scale, random.Random(2024))
    from bluebird.auth.models import User
    from bluebird.cases.models import Case
    from bluebird.db import db

    with app.app_context(), db.connection_context():
        butler = User.get(User.username == "butler1")
        add_cases(butler, data, 600)
        data["case_ids"] = [i for (i,) in Case.select(Case.id).where(Case.estate == butler.estate_id).tuples()]
        data["cases_before"] = Case.select().count()
    db.close_all()
    return data


def add_cases(butler, data, n):
    """A history of repairs over the estate's units: dispatched, with calls and timeline events."""
    from datetime import timedelta

    from bluebird import clock
    from bluebird.auth.models import User
    from bluebird.cases.models import Call, Case
    from bluebird.db import db
    from bluebird.estate.models import Unit
    from bluebird.timeline.models import Event

    rng = random.Random(11)
    staff = [u for (u,) in User.select(User.id).where(User.estate == butler.estate_id).tuples()]
    techs = [u for (u,) in User.select(User.id).where((User.estate == butler.estate_id)
                                                      & (User.role == "technician")).tuples()] or staff
    units = list(Unit.select(Unit.id, Unit.building).where(Unit.estate == butler.estate_id).tuples())
    now = clock.now()
    with db.atomic():
        for i in range(n):
            unit_id, building_id = rng.choice(units)
            at = now - timedelta(minutes=rng.randint(30, 90 * 1440))
            status = rng.choice(["new", "dispatched", "on_site", "done", "closed", "closed", "closed"])
            case = Case.create(estate=butler.estate_id, kind="repair", status=status, unit=unit_id,
                               building=building_id, source="phone", scope="household", trade="water",
                               work_type="basic", description=f"厨房水管漏水 #{i}", registrar=rng.choice(staff),
                               assignee=rng.choice(techs) if status != "new" else None, created_at=at,
                               updated_at=at, contact_name="张伟", contact_phone="13912345678")
            Event.create(estate=butler.estate_id, subject=case.subject, actor=case.registrar_id, verb="created",
                         detail="{}", at=at)
            if case.assignee_id:
                Event.create(estate=butler.estate_id, subject=case.subject, actor=rng.choice(staff),
                             verb="dispatched", detail=f'{{"to": {case.assignee_id}}}', at=at + timedelta(minutes=5))
            for k in range(rng.randint(0, 3)):
                Call.create(case=case, kind=["notify_owner", "callback_24h", "satisfaction"][k], by=rng.choice(staff),
                            at=at + timedelta(hours=k + 1), reached=True, note="已联系")


def count_cases(url):
    from bluebird.cases.models import Case
    from bluebird.db import db

    with db.connection_context():
        return Case.select().count()


def pg_schema_url(url):
    """A fresh schema of its own on the PostgreSQL server (dropped at the end)."""
    import psycopg2

    schema = f"bench_http_{os.getpid()}"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    conn.cursor().execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    conn.close()
    return url + ("&" if "?" in url else "?") + f"schema={schema}", schema


def pg_drop(url, schema):
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    conn.cursor().execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    conn.close()


# ---------------------------------------------------------------- servers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py <module>` with the bench's database and settings."""

    def __init__(self, module, tmp, url, workers=None, threads=None, extra_env=None):
        self.port = free_port()
        env = dict(os.environ, BLUEBIRD_INSTANCE_PATH=tmp, BLUEBIRD_DATABASE_URL=url,
                   BLUEBIRD_SECRET_KEY="bench-secret", BLUEBIRD_BIND=f"127.0.0.1:{self.port}",
                   PYTHONPATH=ROOT, **(extra_env or {}))
        for name, value in (("BLUEBIRD_WEB_WORKERS", workers), ("BLUEBIRD_WEB_THREADS", threads)):
            if value:
                env[name] = str(value)
            else:
                env.pop(name, None)
        self.log = open(os.path.join(tmp, f"gunicorn-{module.replace(':', '_')}-{self.port}.log"), "w")
        self.proc = subprocess.Popen([os.path.join(BIN, "gunicorn"), "-c", "gunicorn.conf.py", module],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait()

    def _wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: gunicorn exited ({self.proc.returncode}); see {self.log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/login" if "app:app" in self.proc.args[-1] else "/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("bench: gunicorn did not answer in time")

    def cpu_seconds(self):
        """CPU time (user + system) the master's worker processes have used so far."""
        total = 0
        for pid in _children(self.proc.pid):
            try:
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
            except (OSError, IndexError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _children(pid):
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


# ---------------------------------------------------------------- a signed-in client


def login(base, username="butler1"):
    """Sign in through the real form; return (cookie header, CSRF token)."""
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    found = TOKEN.search(s.get(f"{base}/login").text)
    token = next(g for g in found.groups() if g)
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
               allow_redirects=False)
    if r.status_code != 303:
        raise SystemExit(f"bench: login answered {r.status_code}")
    page = s.get(f"{base}/agenda").text
    token = next(g for g in TOKEN.search(page).groups() if g)
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies), token, s


class Plan:
    """What one load sends: GET paths picked at random, and a share of case registrations."""

    def __init__(self, paths, post_share=0.0, unit_codes=(), token="", cookie=""):
        self.paths, self.post_share, self.unit_codes = list(paths), post_share, list(unit_codes)
        self.token, self.cookie = token, cookie

    def form(self, code, client_uuid):
        return urllib.parse.urlencode({
            "kind": "repair", "unit_code": code, "source": "phone", "scope": "household", "trade": "water",
            "work_type": "basic", "minor": "y", "description": "压力测试：厨房水管漏水",
            "client_uuid": client_uuid, "csrf_token": self.token})

    def lua(self):
        """The same plan as a wrk script (random paths; POSTs with fresh uuids)."""
        quoted = ",".join('"' + p.replace('"', '\\"') + '"' for p in self.paths)
        codes = ",".join('"' + urllib.parse.quote(c) + '"' for c in self.unit_codes) or '""'
        body_head = self.form("@@CODE@@", "@@UUID@@")
        return f"""
local paths = {{{quoted}}}
local codes = {{{codes}}}
local share = {self.post_share}
local body = "{body_head}"
local get_headers = {{["Cookie"] = "{self.cookie}", ["Accept-Encoding"] = "{ACCEPT}", ["User-Agent"] = "{USER_AGENT}"}}
local post_headers = {{["Cookie"] = "{self.cookie}", ["Accept-Encoding"] = "{ACCEPT}", ["User-Agent"] = "{USER_AGENT}",
                       ["Content-Type"] = "application/x-www-form-urlencoded"}}
local n = 0
function setup(thread) thread:set("seed", math.random(1, 1000000000)) end
function init(args) math.randomseed(seed + os.time()) end
function request()
  if share > 0 and math.random() < share then
    n = n + 1
    local id = string.format("%08x-%04x-4%03x-8%03x-%06x%06x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
      math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0xffffff), n)
    local code = codes[math.random(#codes)]
    local b = body:gsub("%%40%%40CODE%%40%%40", code):gsub("%%40%%40UUID%%40%%40", id)
    return wrk.format("POST", "/cases/new", post_headers, b)
  end
  return wrk.format("GET", paths[math.random(#paths)], get_headers)
end
"""


# ---------------------------------------------------------------- loads


class Result:
    def __init__(self):
        self.requests = 0
        self.seconds = 0.0
        self.errors = 0
        self.p99s = []
        self.latencies = []  # the Python client's own samples (seconds)
        self.cpu = 0.0  # CPU seconds the server's workers spent on the block

    def add(self, other):
        self.requests += other.requests
        self.seconds += other.seconds
        self.errors += other.errors
        self.p99s.extend(other.p99s)
        self.latencies.extend(other.latencies)
        self.cpu += other.cpu

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self):
        """Server CPU per request: steadier than the rate on a busy machine."""
        return self.cpu / self.requests * 1000 if self.requests else float("nan")

    @property
    def p99_ms(self):
        if self.latencies:
            return percentile(self.latencies, 99) * 1000
        return max(self.p99s) if self.p99s else float("nan")


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def run_wrk(base, plan, seconds, clients, tmp):
    script = os.path.join(tmp, f"plan-{uuid.uuid4().hex}.lua")
    with open(script, "w") as f:
        f.write(plan.lua())
    out = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--timeout", "20s",
                          "--latency", "-s", script, base], capture_output=True, text=True, check=True).stdout
    os.unlink(script)
    result = Result()
    found = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    result.requests = int(found.group(1))
    result.seconds = float(found.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[found.group(3)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result.errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", out)
    if p99:
        result.p99s.append(float(p99.group(1)) * _UNIT[p99.group(2)])
    return result


def run_python(base, plan, seconds, clients, tmp):
    """The fallback when wrk is missing: one keep-alive connection per thread."""
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    result, lock = Result(), threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed):
        rng, n = random.Random(seed), 0
        conn = http.client.HTTPConnection(host, port, timeout=20)
        lat, errors = [], 0
        while time.monotonic() < deadline:
            headers = {"Cookie": plan.cookie, "Accept-Encoding": ACCEPT, "User-Agent": USER_AGENT}
            if plan.post_share and rng.random() < plan.post_share:
                n += 1
                body = plan.form(rng.choice(plan.unit_codes), str(uuid.UUID(int=rng.getrandbits(128), version=4)))
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                method, path = "POST", "/cases/new"
            else:
                body, method, path = None, "GET", rng.choice(plan.paths)
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if not 200 <= response.status < 400:
                    errors += 1
            except OSError:
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=20)
            lat.append(time.perf_counter() - start)
        with lock:
            result.latencies.extend(lat)
            result.requests += len(lat)
            result.errors += errors

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.monotonic() - started
    return result


# ---------------------------------------------------------------- bytes on the wire


class CountingProxy(Forwarder):
    """A TCP proxy in front of gunicorn that counts every byte sent to the browser, the
    service worker's copies of pages for offline use apart (their requests say `Purpose:
    prefetch`, templates/shell/sw.js). A browser sends one request at a time on a connection
    (no pipelining), so what comes back belongs to the last request sent on it."""

    def __init__(self, target_port):
        super().__init__(target_port)
        self.bytes = {"page": 0, "prefetch": 0}

    def asked(self, data, conn):
        if data[:4] in (b"GET ", b"HEAD", b"POST"):
            head = data.split(b"\r\n\r\n", 1)[0].lower()
            conn["kind"] = "prefetch" if b"\r\npurpose: prefetch" in head else "page"

    def sent(self, data, conn):
        with self.lock:
            self.bytes[conn.get("kind", "page")] += len(data)

    def take(self, kind="page"):
        """The bytes of that kind since the last take of it."""
        with self.lock:
            value, self.bytes[kind] = self.bytes[kind], 0
        return value


def browser_bytes(app_port, case_id):
    """(first_visit_kb, offline_copies_kb, [repeat navigation kb], revalidations) in Chromium at 390 px."""
    from playwright.sync_api import sync_playwright

    proxy = CountingProxy(app_port)
    base = f"http://127.0.0.1:{proxy.port}"
    cookie, _token, _s = login(base)
    revalidations = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-quic",
                                          "--disable-background-networking", "--disable-component-update"])
        context = browser.new_context(base_url=base, locale="zh-CN", timezone_id="Asia/Shanghai", user_agent=USER_AGENT,
                                      viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                      service_workers="allow")
        context.add_cookies([{"name": k, "value": v, "url": base} for k, _, v in
                             (part.partition("=") for part in cookie.split("; "))])
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.on("Network.responseReceived",
               lambda e: revalidations.append(e["response"]["url"]) if e["response"]["status"] == 304 else None)
        cdp.on("Network.requestWillBeSentExtraInfo",
               lambda e: revalidations.append(e["requestId"])
               if any(h.lower() in ("if-none-match", "if-modified-since") for h in e.get("headers", {})) else None)
        cdp.send("Network.enable")

        proxy.take(), proxy.take("prefetch")
        page.goto("/agenda")
        page.wait_for_load_state("networkidle")
        try:  # the service worker installs (and caches the shell) after the load
            page.evaluate("Promise.race([navigator.serviceWorker.ready, new Promise(r => setTimeout(r, 8000))])")
        except Exception:  # noqa: BLE001 - no service worker is a figure, not a crash
            pass
        # Then it takes charge of the page and keeps the field pages for offline use: wait
        # until that is quiet too (nothing more for 1.5 s, 20 s at most).
        copies, quiet_since, deadline = 0, time.monotonic(), time.monotonic() + 20
        while time.monotonic() - quiet_since < 1.5 and time.monotonic() < deadline:
            time.sleep(0.25)
            if (more := proxy.take("prefetch")):
                copies, quiet_since = copies + more, time.monotonic()
        first = proxy.take()
        revalidations.clear()
        navs = []
        for url in ("/cases/", f"/cases/{case_id}", "/agenda"):
            page.goto(url)
            page.wait_for_load_state("networkidle")
            time.sleep(0.5)
            navs.append((proxy.take() + proxy.take("prefetch")) / 1024)
        browser.close()
    proxy.close()
    return first / 1024, copies / 1024, navs, len(revalidations)


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="HTTP bench: Bluebird under gunicorn against a bare page")
    parser.add_argument("--scale", type=int, default=5, help="demo estate multiplier (foundation.py's seed)")
    parser.add_argument("--database-url", help="postgresql://… (a schema of its own); default: SQLite in a temp dir")
    parser.add_argument("--workers", type=int, help="gunicorn -w (default: gunicorn.conf.py's choice)")
    parser.add_argument("--threads", type=int, help="gunicorn --threads (default: gunicorn.conf.py's)")
    parser.add_argument("--clients", type=int, default=8, help="connections at once")
    parser.add_argument("--seconds", type=float, default=4, help="length of one block of one page")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over the pages")
    parser.add_argument("--mixed-seconds", type=float, default=15)
    parser.add_argument("--mixes", default="", help="also the mixed load per setting: 1x8,2x4,4x2 (workers x threads)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--no-browser", dest="browser", action="store_false")
    args = parser.parse_args(argv)
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    load = run_wrk if use_wrk else run_python
    note(f"load generator: {'wrk' if use_wrk else 'Python threads'}, {args.clients} connections; "
         f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

    tmp = tempfile.mkdtemp(prefix="bluebird-http-")
    schema = None
    if args.database_url:
        url, schema = pg_schema_url(args.database_url)
    else:
        url = f"sqlite:///{tmp}/bench.db"
    servers = []
    try:
        start = time.perf_counter()
        data = prepare(tmp, url, args.scale)
        note(f"seeded in {time.perf_counter() - start:.0f} s: {len(data['case_ids'])} cases, "
             f"{len(data['unit_ids'])} units")
        ours = Gunicorn("app:app", tmp, url, args.workers, args.threads)
        bare = Gunicorn("bench._bare:app", tmp, url, args.workers, args.threads)
        servers += [ours, bare]
        cfg = subprocess.run([os.path.join(BIN, "python"), "-c",
                              "import runpy; c = runpy.run_path('gunicorn.conf.py'); print(c['workers'], c['threads'])"],
                             cwd=ROOT, capture_output=True, text=True,
                             env=dict(os.environ, BLUEBIRD_DATABASE_URL=url,
                                      **({"BLUEBIRD_WEB_WORKERS": str(args.workers)} if args.workers else {}),
                                      **({"BLUEBIRD_WEB_THREADS": str(args.threads)} if args.threads else {}))).stdout.split()
        note(f"gunicorn -c gunicorn.conf.py: {cfg[0]} workers x {cfg[1]} threads (gthread), "
             f"{'PostgreSQL' if schema else 'SQLite'}")
        cookie, token, _session = login(ours.base)
        rng = random.Random(7)
        case_ids = rng.sample(data["case_ids"], min(300, len(data["case_ids"])))
        plans = {
            "agenda": (ours, Plan(["/agenda"], cookie=cookie)),
            "bare": (bare, Plan(["/"])),
            "case_list": (ours, Plan(["/cases/?mine=0&status=all"], cookie=cookie)),
            "case_page": (ours, Plan([f"/cases/{i}" for i in case_ids], cookie=cookie)),
        }
        for server, plan in plans.values():  # warm up every worker
            load(server.base, plan, 1.5, args.clients, tmp)
        results = {name: Result() for name in plans}
        for round_no in range(args.rounds):
            order = list(PAGES) if round_no % 2 == 0 else list(reversed(PAGES))
            for name in order:
                server, plan = plans[name]
                cpu = server.cpu_seconds()
                block = load(server.base, plan, args.seconds, args.clients, tmp)
                block.cpu = server.cpu_seconds() - cpu
                results[name].add(block)
        for name in PAGES:
            r = results[name]
            figure(f"{name}_rps", r.rps, "req/s", digits=0)
            figure(f"{name}_p99_ms", r.p99_ms, "ms", digits=1)
            figure(f"{name}_cpu_ms", r.cpu_ms, "ms", digits=2)
            if r.errors:
                note(f"{name}: {r.errors} errors")
        for name in ("agenda", "case_list", "case_page"):
            figure(f"{name}_ratio_vs_bare", results[name].rps / results["bare"].rps, "-", digits=3)
            figure(f"{name}_cpu_ratio_vs_bare", results["bare"].cpu_ms / results[name].cpu_ms, "-", digits=3)

        reads = (["/agenda"] * 3 + ["/cases/?mine=0&status=all"] * 2 + [f"/cases/{i}" for i in case_ids[:60]]
                 + [f"/estate/units/{u}" for u in rng.sample(data["unit_ids"], min(60, len(data["unit_ids"])))])
        mixed = Plan(reads, post_share=0.10, unit_codes=rng.sample(data["codes"], min(200, len(data["codes"]))),
                     token=token, cookie=cookie)
        before = count_cases_http(url)
        r = load(ours.base, mixed, args.mixed_seconds, args.clients, tmp)
        created = count_cases_http(url) - before
        figure("mixed_rps", r.rps, "req/s", digits=0)
        figure("mixed_errors", r.errors, "-")
        figure("mixed_p99_ms", r.p99_ms, "ms", digits=1)
        note(f"mixed: {r.requests} requests, {created} cases registered ({created / max(r.requests, 1):.0%})")

        if args.browser and os.path.exists(CHROMIUM):
            first, copies, navs, revalidated = browser_bytes(ours.port, case_ids[0])
            figure("first_visit_kb", first, "KB", digits=1)
            figure("offline_copies_kb", copies, "KB", digits=1)
            figure("repeat_nav_kb", sum(navs) / len(navs), "KB", digits=1)
            figure("repeat_nav_max_kb", max(navs), "KB", digits=1)
            figure("repeat_nav_revalidations", revalidated, "-")
        ours.stop()
        bare.stop()

        for mix in filter(None, args.mixes.split(",")):
            workers, _, threads = mix.partition("x")
            server = Gunicorn("app:app", tmp, url, int(workers), int(threads))
            servers.append(server)
            cookie, token, _s = login(server.base)
            plan = Plan(reads, 0.10, mixed.unit_codes, token=token, cookie=cookie)
            load(server.base, Plan(reads[:5], cookie=cookie), 1.5, args.clients, tmp)
            r = load(server.base, plan, args.mixed_seconds, args.clients, tmp)
            figure(f"mixed_rps_{mix}", r.rps, "req/s", digits=0)
            figure(f"mixed_errors_{mix}", r.errors, "-")
            figure(f"mixed_p99_ms_{mix}", r.p99_ms, "ms", digits=1)
            server.stop()
        note(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        for server in servers:
            server.stop()
        if schema:
            pg_drop(args.database_url, schema)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def count_cases_http(url):
    """Cases in the database now (read directly, not through the server)."""
    from bluebird.db import db

    try:
        return count_cases(url)
    finally:
        db.close_all()

