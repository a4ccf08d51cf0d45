"""Login limits: a guesser runs out of tries, the owner never gets locked out, and the
count is shared by every worker process (Redis), or the app says loudly that it is not."""
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379/0"
ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
OWNER = {"REMOTE_ADDR": "198.51.100.20"}


def _login(client, username, password, address):
    return client.post("/login", {"username": username, "password": password}, environ_base=address)


def test_a_guesser_cannot_lock_the_owner_out(app, client, butler):
    for _ in range(5):  # the test limit: 5 failures a minute
        assert _login(client, "butler", "guess", ATTACKER).status_code == 401
    assert _login(client, "butler", factories.PASSWORD, ATTACKER).status_code == 429
    owner = type(client)(app)
    assert _login(owner, "butler", factories.PASSWORD, OWNER).status_code == 303
    assert owner.get("/agenda").status_code == 200


def test_guessing_from_one_address_is_still_limited(app, client, butler, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_LIMIT", "8 per minute")
    for _ in range(5):
        assert _login(client, "butler", "guess", ATTACKER).status_code == 401
    assert _login(client, "butler", "guess", ATTACKER).status_code == 429
    # Spreading the guesses over many usernames hits the per-address limit instead.
    for n in range(3):
        assert _login(client, f"someone{n}", "guess", ATTACKER).status_code == 401
    limited = _login(client, "someone9", "guess", ATTACKER)
    assert limited.status_code == 429 and "尝试次数过多" in limited.get_data(as_text=True)
    assert _login(client, "butler", factories.PASSWORD, OWNER).status_code == 303


def test_the_owners_own_device_is_never_locked_out_even_behind_the_guessers_address(app, client, butler,
                                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_LIMIT", "8 per minute")
    phone = type(client)(app)  # the owner signed in on this phone yesterday, from the office
    assert _login(phone, "butler", factories.PASSWORD, ATTACKER).status_code == 303
    phone.get("/logout")
    # A colleague behind the same office address guesses her password, and others'.
    for _ in range(5):
        assert _login(client, "butler", "guess", ATTACKER).status_code == 401
    for n in range(3):
        assert _login(client, f"someone{n}", "guess", ATTACKER).status_code == 401
    assert _login(client, "butler", factories.PASSWORD, ATTACKER).status_code == 429  # both limits are spent
    assert _login(phone, "butler", factories.PASSWORD, ATTACKER).status_code == 303
    # Her device's marker is signed: a forged one is just a stranger's browser.
    forger = type(client)(app)
    forger.http.set_cookie("bluebird_device", phone.http.get_cookie("bluebird_device").value + "x", domain="localhost")
    assert _login(forger, "butler", factories.PASSWORD, ATTACKER).status_code == 429


def test_guesses_spread_over_many_addresses_run_out_but_the_owners_device_gets_in(app, client, butler,
                                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_USERNAME_LIMIT", "12 per hour")
    phone = type(client)(app)
    assert _login(phone, "butler", factories.PASSWORD, OWNER).status_code == 303
    phone.get("/logout")
    for n in range(12):  # three guesses each from four addresses: under every per-address limit
        assert _login(client, "butler", "guess", {"REMOTE_ADDR": f"192.0.2.{n // 3 + 1}"}).status_code == 401
    fresh = {"REMOTE_ADDR": "192.0.2.200"}
    assert _login(client, "butler", factories.PASSWORD, fresh).status_code == 429
    assert _login(client, "someone", "guess", fresh).status_code == 401  # other accounts are untouched
    assert _login(phone, "butler", factories.PASSWORD, {"REMOTE_ADDR": "192.0.2.201"}).status_code == 303


def test_a_known_device_is_still_limited_for_wrong_passwords(app, client, butler):
    assert _login(client, "butler", factories.PASSWORD, OWNER).status_code == 303
    client.get("/logout")
    for _ in range(5):
        assert _login(client, "butler", "guess", OWNER).status_code == 401
    assert _login(client, "butler", factories.PASSWORD, OWNER).status_code == 429


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _gunicorns(app, *servers):
    """Real gunicorns on the test database, started together (each a dict: workers, env);
    yields (base URL, a function reading its log) for each."""
    procs, started = [], []
    try:
        for server in servers:
            env = dict(server)
            workers = env.pop("workers", 1)
            port = _free_port()
            log = Path(app.config["TMP_DIR"]) / f"gunicorn-{port}.log"
            environ = {**os.environ, "BLUEBIRD_DATABASE_URL": app.config["DATABASE_URL"],
                       "BLUEBIRD_SECRET_KEY": "test-secret", "BLUEBIRD_VAPID_PRIVATE_KEY": app.config["VAPID_PRIVATE_KEY"],
                       "BLUEBIRD_LOGIN_LIMIT": "5 per minute", **env}
            environ.pop("SERVER_SOFTWARE", None)
            with open(log, "wb") as out:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:app"],
                    cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT))
            started.append((f"http://127.0.0.1:{port}", log, workers))
        deadline = time.monotonic() + 60
        for proc, (base, log, workers) in zip(procs, started, strict=True):
            while True:
                try:
                    if requests.get(base + "/healthz", timeout=10).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            # Every worker imports the app (and logs) before it serves; wait for the others.
            while log.read_text().count("Booting worker") < workers and time.monotonic() < deadline:
                time.sleep(0.2)
        time.sleep(0.5)
        yield [(base, log.read_text) for base, log, _workers in started]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def _attempt(base, password):
    browser = requests.Session()
    page = browser.get(base + "/login").text
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    return browser.post(base + "/login", data={"username": "butler", "password": password, "csrf_token": token},
                        allow_redirects=False).status_code


def test_redis_counts_failed_logins_across_two_app_processes_and_memory_warns(app, butler):
    shared = {"BLUEBIRD_RATELIMIT_STORAGE_URL": REDIS, "BLUEBIRD_RATELIMIT_KEY_PREFIX": f"bbtest-{uuid.uuid4().hex}"}
    memory = {"workers": 2, "BLUEBIRD_RATELIMIT_STORAGE_URL": "memory://"}
    with _gunicorns(app, shared, shared, memory) as [(one, log_one), (two, log_two), (_three, log_three)]:
        assert [_attempt(one, "guess") for _ in range(3)] == [401] * 3
        assert [_attempt(two, "guess") for _ in range(2)] == [401] * 2
        assert _attempt(one, "guess") == 429  # the fifth failure was counted at the other process
        assert _attempt(two, "guess") == 429
        # Several processes on memory:// each keep their own count: the app says so.
        assert re.search(r"memory:// but 2 worker processes", log_three()), log_three()
        assert "memory://" not in log_one() + log_two()


@pytest.mark.parametrize("workers", ["1", "3"])
def test_the_worker_count_is_read_the_way_gunicorn_reads_it(workers):
    probe = ("import os, sys; os.environ['SERVER_SOFTWARE'] = 'gunicorn/x'; sys.argv = ['gunicorn', '-w', "
             f"'{workers}', 'app:app']; from bluebird.extensions import worker_processes; print(worker_processes())")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == workers
