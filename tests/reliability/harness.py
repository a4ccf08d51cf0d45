"""A real Bluebird for the reliability suite and bench/reliability.py.

An `Instance` is a temp instance folder with its own database (a SQLite file, or a
fresh schema on the PostgreSQL server named by BLUEBIRD_TEST_DATABASE_URL), set up
through the real CLI. `Instance.server()` starts gunicorn with the repo's
gunicorn.conf.py on a free port; `Instance.consumer()` starts a huey consumer. Both
are subprocesses in their own process group, so a test can kill -9 them. `Staff`
logs in through the login form and hands out per-thread HTTP clients. `Instance.sql`
reads the server's database over a connection of its own (plain SQL, no models).
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "bluebird-reliability"
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')
_seq = iter(range(1, 10**9))
# `flask` commands run one after the other in one process (the app's import costs seconds).
_COMMANDS = """
import json, sys
from app import app
runner = app.test_cli_runner()
for args in json.loads(sys.argv[1]):
    result = runner.invoke(args=args)
    print(result.output)
    if result.exit_code:
        print(args, repr(result.exception), file=sys.stderr)
        sys.exit(result.exit_code or 1)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jpeg(seed: int = 0) -> bytes:
    """A small real JPEG (each seed a different picture)."""
    from PIL import Image

    img = Image.new("RGB", (160, 120), ((seed * 37) % 256, (seed * 91) % 256, 120))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


class Process:
    """A subprocess in its own process group: stop() politely, kill() with SIGKILL."""

    def __init__(self, args, env, log: Path):
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115 - closed in wait()
        self.popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def _signal(self, sig):
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        """kill -9 the whole group (gunicorn's master and its workers at once)."""
        self._signal(signal.SIGKILL)
        self.wait()

    def stop(self, timeout=10):
        if self.alive():
            self._signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def wait(self):
        try:
            self.popen.wait(10)
        finally:
            self._signal(signal.SIGKILL)  # workers left behind by a dead master
            self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class Server(Process):
    def __init__(self, instance: Instance, workers=None, threads=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-b", f"127.0.0.1:{self.port}"]
        if workers:
            args += ["-w", str(workers)]
        if threads:
            args += ["--threads", str(threads)]
        super().__init__(args + ["app:app"], instance.env, instance.path / "server.log")
        self.ready()

    def ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError("the server died on start:\n" + self.output())
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /healthz:\n" + self.output())


class Instance:
    """A temp instance folder and database, set up with the real CLI."""

    def __init__(self, name="rel", database_url=None, extra_env=None):
        self.path = Path(tempfile.mkdtemp(prefix=f"bluebird-{name}-"))
        base = database_url if database_url is not None else os.environ.get("BLUEBIRD_TEST_DATABASE_URL", "")
        self.schema = None
        if base.startswith("postgres"):
            self.schema = f"bluebird_rel_{os.getpid()}_{next(_seq)}"
            self._pg_base = base
            self.url = base + ("&" if "?" in base else "?") + f"schema={self.schema}"
            self._pg(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE; CREATE SCHEMA {self.schema}")
        else:
            self.url = f"sqlite:///{self.path / 'bluebird.db'}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("BLUEBIRD_")}
        self.env.update({
            "BLUEBIRD_INSTANCE_PATH": str(self.path),
            "BLUEBIRD_DATABASE_URL": self.url,
            "BLUEBIRD_SECRET_KEY": "reliability-" + uuid.uuid4().hex,
            "BLUEBIRD_QUEUE_NAME": f"rel{os.getpid()}x{next(_seq)}",
            "PYTHONUNBUFFERED": "1",
        })
        self.env.update(extra_env or {})
        self.processes: list[Process] = []

    @staticmethod
    def on_postgres() -> bool:
        """Tell whether the suite runs on PostgreSQL (BLUEBIRD_TEST_DATABASE_URL)."""
        return os.environ.get("BLUEBIRD_TEST_DATABASE_URL", "").startswith("postgres")

    @property
    def postgres(self) -> bool:
        return self.schema is not None

    @property
    def db_file(self) -> Path:
        return self.path / "bluebird.db"

    @property
    def photo_root(self) -> Path:
        return self.path / "photos"

    # ---------------------------------------------------------------- CLI

    def flask(self, *args, check=True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if check and done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def commands(self, *commands) -> str:
        """Run several `flask` commands (lists of arguments) in one process: the app starts once."""
        done = subprocess.run([sys.executable, "-c", _COMMANDS, json.dumps(commands)], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"flask {commands} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def setup(self, estate="home", users=(("reception", "reception"), ("manager", "manager"))):
        """Migrate, create an estate and its users through the CLI."""
        self.commands(["db", "upgrade"], *self.estate_commands(estate, users))
        return self

    def add_estate(self, code, users):
        self.commands(*self.estate_commands(code, users))

    @staticmethod
    def estate_commands(code, users):
        yield ["create-estate", code, "--name", f"可靠小区{code}"]
        for username, role in users:
            yield ["create-user", username, "--name", f"测试{role}", "--role", role, "--estate", code,
                   "--password", PASSWORD]

    # ---------------------------------------------------------------- processes

    def server(self, workers=None, threads=None) -> Server:
        server = Server(self, workers, threads)
        self.processes.append(server)
        return server

    def consumer(self, workers=2, extra_env=None) -> Process:
        env = dict(self.env, **(extra_env or {}))
        args = [str(BIN / "huey_consumer"), "bluebird.tasks.huey", "--workers", str(workers), "-k", "thread",
                "--delay", "0.05", "--max-delay", "0.2", "--backoff", "1.1"]
        process = Process(args, env, self.path / "consumer.log")
        self.processes.append(process)
        return process

    def close(self):
        for p in self.processes:
            p.stop(timeout=5)
        if self.schema:
            self._pg(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
        shutil.rmtree(self.path, ignore_errors=True)

    # ---------------------------------------------------------------- the database, read directly

    def _pg(self, statement):
        import psycopg2

        conn = psycopg2.connect(self._pg_base.split("?")[0])
        try:
            conn.autocommit = True
            conn.cursor().execute(statement)
        finally:
            conn.close()

    def sql(self, query: str, params=()) -> list[tuple]:
        """Run one read query (placeholders %s) on the server's database."""
        if self.postgres:
            import psycopg2

            conn = psycopg2.connect(self._pg_base.split("?")[0], options=f"-c search_path={self.schema}")
            try:
                cur = conn.cursor()
                cur.execute(query, params)
                return cur.fetchall()
            finally:
                conn.close()
        conn = sqlite3.connect(self.db_file, timeout=30)
        try:
            return conn.execute(query.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()

    def scalar(self, query: str, params=()):
        return self.sql(query, params)[0][0]

    def sqlite_checks(self) -> tuple[str, list]:
        """PRAGMA integrity_check and foreign_key_check on the SQLite file."""
        conn = sqlite3.connect(self.db_file, timeout=30)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()
        return integrity, broken


class Staff:
    """One logged-in account; `client()` gives a fresh HTTP client with its cookie."""

    def __init__(self, server: Server, username: str, password: str = PASSWORD):
        self.base = server.base
        with requests.Session() as http:
            page = http.get(self.base + "/login", timeout=30).text
            token = next(g for g in TOKEN.search(page).groups() if g)
            response = http.post(self.base + "/login", data={"username": username, "password": password,
                                                              "csrf_token": token}, allow_redirects=False, timeout=30)
            if response.status_code != 303:
                raise RuntimeError(f"login as {username} answered {response.status_code}")
            home = http.get(self.base + "/", timeout=30).text
            self.token = next(g for g in TOKEN.search(home).groups() if g)
            self.cookies = http.cookies.get_dict()

    def client(self) -> Client:
        return Client(self)


class Client:
    """An HTTP client for one thread: a new connection per request (as nginx makes upstream),
    and the cookies never change (flash messages are not kept)."""

    def __init__(self, staff: Staff):
        self.staff = staff

    def request(self, method, path, timeout=60, **kwargs) -> requests.Response:
        with requests.Session() as http:
            response = http.request(method, self.staff.base + path, cookies=self.staff.cookies,
                                    allow_redirects=False, timeout=timeout, **kwargs)
            response.content  # noqa: B018 - read it all before the connection closes
            return response

    def post(self, path, data=None, files=None, **kwargs) -> requests.Response:
        return self.request("POST", path, data=dict(data or {}, csrf_token=self.staff.token), files=files, **kwargs)

    def get(self, path, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)


def repair(client: Client, client_uuid, photos=1, seed=0) -> requests.Response:
    """Register a repair in a public place with `photos` JPEGs."""
    files = [("photos", (f"p{i}.jpg", jpeg(seed + i), "image/jpeg")) for i in range(photos)]
    return client.post("/cases/new?kind=repair", {
        "client_uuid": str(client_uuid), "place": "一号楼大堂", "description": "大堂灯不亮",
        "source": "phone", "scope": "public", "trade": "electric", "work_type": "basic", "minor": "y",
    }, files=files or None)


def visitor(client: Client, client_uuid) -> requests.Response:
    """Log a visitor in at the desk."""
    return client.post("/desk/visitors/new", {
        "client_uuid": str(client_uuid), "name": "张三", "purpose": "送货", "whom": "物业办公室",
        "in_at": time.strftime("%Y-%m-%dT%H:%M"),
    })


def start_walk(instance, client):
    response = client.post("/rounds/start", {"kind": "walk", "client_uuid": str(uuid.uuid4())})
    round_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    item_id = instance.scalar(
        "SELECT ti.id FROM template_item ti JOIN round r ON r.template_id = ti.template_id "
        "WHERE r.id = %s AND ti.opens_case <> '' ORDER BY ti.position LIMIT 1", (round_id,))
    return round_id, item_id


def fail_item(client, round_id, item_id, key, seed=0):
    files = [("photos", ("fail.jpg", jpeg(seed), "image/jpeg"))]
    return client.post(f"/rounds/{round_id}/items/{item_id}", {"client_uuid": str(key), "result": "fail",
                                                                "note": "地面有积水"}, files=files)


def item_dupes(instance, round_id, item_id) -> int:
    """Extra rows beyond 1 result, 1 case, 1 photo on the item and 1 on its case."""
    results = instance.sql("SELECT id, case_id FROM item_result WHERE round_id = %s AND item_id = %s",
                           (round_id, item_id))
    extra = abs(len(results) - 1)
    if not results:
        return extra + 3
    rid, case_id = results[0]
    item_photos = instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s", (f"result:{rid}",))
    cases = instance.scalar("SELECT count(*) FROM cases c JOIN event e ON e.subject = 'case:' || c.id "
                            "WHERE e.verb = 'from_round' AND e.detail LIKE %s", (f'%"round": {round_id},%',))
    case_photos = instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s",
                                  (f"case:{case_id}",)) if case_id else 0
    return extra + abs(item_photos - 1) + abs(max(cases, 1 if case_id else 0) - 1) + abs(case_photos - 1)


def whole(instance, kind, key) -> bool:
    """The submission's rows are all there, exactly once: case, its photo and duties; or the visitor."""
    if kind == "visitor":
        return instance.scalar("SELECT count(*) FROM desk_visitor WHERE client_uuid = %s", (uuid.UUID(key).hex,)) == 1
    cases = instance.sql("SELECT id FROM cases WHERE client_uuid = %s", (uuid.UUID(key).hex,))
    if len(cases) != 1:
        return False
    subject = f"case:{cases[0][0]}"
    photos = instance.scalar("SELECT count(*) FROM attachment WHERE subject = %s", (subject,))
    duties = instance.scalar("SELECT count(*) FROM duty WHERE subject = %s", (subject,))
    return photos == 1 and duties > 0


def in_threads(count: int, fn) -> list:
    """Run fn(i) in `count` threads released at once; return their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - the caller judges every outcome
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def status_of(result) -> int | None:
    """The HTTP status of a result, or None for a connection error."""
    return getattr(result, "status_code", None)


def storm(clients, seconds: float, make, stop: threading.Event | None = None) -> list[tuple]:
    """Each client writes in a loop for `seconds`: make(client, i, n) -> response.

    Returns (thread, n, status or None, latency s, error text) per request.
    """
    stop = stop or threading.Event()
    out: list[tuple] = []
    lock = threading.Lock()

    def run(i):
        client, n = clients[i], 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not stop.is_set():
            start = time.perf_counter()
            try:
                status, error = make(client, i, n).status_code, ""
            except requests.RequestException as exc:
                status, error = None, type(exc).__name__
            with lock:
                out.append((i, n, status, time.perf_counter() - start, error))
            n += 1

    in_threads(len(clients), run)
    return out
