"""Shared helpers for the benches: timing, percentiles and the `bench:` output lines.

Figures go to stdout as `bench: <name> <value> <unit>`, one per line, so `make bench`
output can be grepped. Everything else (progress, context) goes to stderr.
"""
import logging
import math
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable


def figure(name: str, value: float, unit: str = "-", digits: int = 2) -> None:
    """Print one figure in the fixed `bench: <name> <value> <unit>` form."""
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    print(f"bench: {name} {text} {unit}", flush=True)


def note(*parts) -> None:
    """Print context for a human on stderr (never a figure line)."""
    print(*parts, file=sys.stderr, flush=True)


def percentile(samples: Iterable[float], p: float) -> float:
    """The p-th percentile (0..100) by linear interpolation between closest ranks."""
    data = sorted(samples)
    if not data:
        return math.nan
    if len(data) == 1:
        return data[0]
    rank = (len(data) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


class Series:
    """Per-call latencies (seconds) and the total wall time of the timed blocks."""

    def __init__(self, name: str):
        self.name = name
        self.latencies: list[float] = []
        self.elapsed = 0.0

    def run(self, call: Callable[[int], object], count: int, offset: int = 0) -> None:
        """Time `count` calls of `call(i)`, one perf_counter pair per call."""
        clock = time.perf_counter
        block_start = clock()
        for i in range(offset, offset + count):
            start = clock()
            call(i)
            self.latencies.append(clock() - start)
        self.elapsed += clock() - block_start

    @property
    def count(self) -> int:
        return len(self.latencies)

    def p(self, pct: float) -> float:
        """A percentile of the latencies, in milliseconds."""
        return percentile(self.latencies, pct) * 1000.0

    @property
    def throughput(self) -> float:
        """Calls per second over the timed blocks."""
        return self.count / self.elapsed if self.elapsed else math.nan


def chunks(total: int, size: int) -> list[tuple[int, int]]:
    """Split `total` calls into (offset, count) blocks of at most `size`."""
    return [(start, min(size, total - start)) for start in range(0, total, size)]


class _SqlLog(logging.Handler):
    """Collects the (sql, params) tuples peewee logs at DEBUG (the pool logs plain strings)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sql: list[tuple] = []

    def emit(self, record):
        if isinstance(record.msg, tuple):
            self.sql.append(record.msg)


def capture_sql(call) -> list[tuple]:
    """Run `call()` and return every (sql, params) statement peewee executed for it."""
    logger = logging.getLogger("peewee")
    handler, level = _SqlLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        call()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return handler.sql


class Browser:
    """The WSGI test client with cookies, logged in through the real /login form."""

    TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')

    def __init__(self, app):
        self.http = app.test_client()
        self.token = None

    def login(self, username: str, password: str) -> None:
        found = self.TOKEN.search(self.http.get("/login").get_data(as_text=True))
        if not found:
            raise SystemExit("bench: no CSRF token on /login")
        self.token = next(g for g in found.groups() if g)
        response = self.http.post("/login", data={"username": username, "password": password,
                                                  "csrf_token": self.token})
        if response.status_code != 303:
            raise SystemExit(f"bench: login as {username} answered {response.status_code}")

    def get(self, url: str, **kwargs) -> bytes:
        """GET a page that must answer 200; return its body."""
        response = self.http.get(url, **kwargs)
        if response.status_code != 200:
            raise SystemExit(f"bench: GET {url} answered {response.status_code}")
        data = response.data
        response.close()  # streamed bodies (the Excel export) hold a file open otherwise
        return data


class Forwarder:
    """A TCP forwarder from 127.0.0.1:<port> to a local server, a thread per direction.

    The one piece behind the offline tests' cuttable link (tests/browser/conftest.py `Link`)
    and the HTTP bench's byte counter (bench/_http_load.py `CountingProxy`): `admit()` says
    whether traffic may pass now, `asked(data, conn)` sees every chunk the client sends and
    `sent(data, conn)` every chunk going back to it; `conn` is one dict per connection.
    """

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.open = set()
        self.lock = threading.Lock()
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def admit(self) -> bool:
        return True

    def asked(self, data: bytes, conn: dict) -> None:
        pass

    def sent(self, data: bytes, conn: dict) -> None:
        pass

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if not self.admit():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update({client, upstream})
            conn: dict = {}
            threading.Thread(target=self._pipe, args=(client, upstream, False, conn), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True, conn), daemon=True).start()

    def _pipe(self, src, dst, to_client, conn):
        try:
            while (data := src.recv(65536)) and self.admit():
                (self.sent if to_client else self.asked)(data, conn)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    s.close()
                except OSError:
                    pass
            with self.lock:
                self.open.discard(src)
                self.open.discard(dst)

    def cut(self):
        """Close every connection now open."""
        with self.lock:
            for s in list(self.open):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.open.clear()

    def close(self):
        self.stopped = True
        self.cut()
        self.sock.close()
