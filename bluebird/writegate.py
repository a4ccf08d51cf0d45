"""One SQLite writer at a time, served in turn across threads and worker processes.

SQLite's own busy handler sleeps and polls: a writer that waits wakes up every few
milliseconds (then every 100 ms) to try again, and one that has just arrived takes the
lock in between. Under a storm (gunicorn, 32 writers) some writers lost every race for
the whole 10 s busy_timeout and got "database is locked" as a 500.

The gate queues writers before they ask SQLite: inside a process a FIFO hands the turn
to the longest-waiting thread; between processes the turn is an exclusive flock() on a
file next to the database, which the kernel grants to a sleeping waiter the moment it
is released (no polling, and released by the kernel if the process dies), behind a
second flock (a turnstile) that stops a process from barging in again ahead of one
already asleep on the lock. The gate is
held from BEGIN IMMEDIATE to COMMIT/ROLLBACK, and around single writes outside a
transaction; SQLite's busy_timeout stays as the net for writers that bypass it (the
sqlite3 shell, another program).

A writer that cannot get its turn within `timeout` seconds gets OperationalError
("database is locked"), which the app answers with 503 and Retry-After (never a 500):
the offline outbox tries again.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import deque

from peewee import OperationalError


class GateTimeout(OperationalError):
    """The write lock was not free within the timeout (busy, try again)."""


class _FifoLock:
    """A lock handed to waiters strictly in arrival order."""

    def __init__(self):
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # the lock passes on, still held
            else:
                self._held = False


class WriteGate:
    """The turn to write to one SQLite file: `with gate:` or acquire()/release()."""

    def __init__(self, database_path: str, timeout: float):
        self.path = database_path + ".writelock"
        self.timeout = timeout
        self._local = threading.local()
        self._fifo = _FifoLock()
        self._fd = self._turnstile = None
        self._pid = None

    @property
    def held(self) -> bool:
        return getattr(self._local, "held", False)

    def acquire(self) -> None:
        """Wait for this thread's turn (FIFO in the process, then the file lock)."""
        if self.held:
            return
        deadline = time.monotonic() + self.timeout
        if not self._fifo.acquire(self.timeout):
            raise GateTimeout(f"database is locked (no turn to write within {self.timeout:.0f} s)")
        try:
            self._lock_file(deadline)
        except _Abandoned:
            raise  # the helper thread gives the turn back when it has the file
        except BaseException:
            self._fifo.release()
            raise
        self._local.held = True

    def release(self) -> None:
        if not self.held:
            return
        self._local.held = False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._fifo.release()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

    def _files(self) -> tuple[int, int]:
        # One pair of descriptors per process (a fork, e.g. gunicorn --preload, opens its
        # own: a flock belongs to the open file, which a forked child would share).
        if self._pid != os.getpid():
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            self._fd = os.open(self.path, flags, 0o600)
            self._turnstile = os.open(self.path + "-turnstile", flags, 0o600)
            self._pid = os.getpid()
        return self._fd, self._turnstile

    def _lock_file(self, deadline: float) -> None:
        fd, turnstile = self._files()
        # The turnstile keeps a process from taking the lock twice in a row while another
        # process waits: a waiter holds the turnstile while it sleeps on the lock, so the
        # next thread of the process that just wrote queues behind it, not beside it.
        try:
            fcntl.flock(turnstile, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return self._wait_for_files(fd, turnstile, deadline, have_turnstile=False)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return self._wait_for_files(fd, turnstile, deadline, have_turnstile=True)
        fcntl.flock(turnstile, fcntl.LOCK_UN)

    def _wait_for_files(self, fd, turnstile, deadline, have_turnstile):
        # Sleep in the kernel until the writer ahead is done. flock() has no timeout, so
        # a helper thread blocks in it; if the deadline passes first, the helper gives
        # everything back as soon as it has it. Only the FIFO's head is here, so at most
        # one helper per process waits at a time.
        got, lock = threading.Event(), threading.Lock()
        abandoned = []

        def wait():
            if not have_turnstile:
                fcntl.flock(turnstile, fcntl.LOCK_EX)
            fcntl.flock(fd, fcntl.LOCK_EX)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
            with lock:
                if abandoned:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    self._fifo.release()
                    return
                got.set()

        threading.Thread(target=wait, name="bluebird-writegate", daemon=True).start()
        if got.wait(max(0.0, deadline - time.monotonic())):
            return
        with lock:
            if got.is_set():
                return
            abandoned.append(True)
        # The helper still waits and holds the process's turn until it has the files:
        # it releases them, so nobody here uses the descriptors meanwhile.
        raise _Abandoned()


class _Abandoned(GateTimeout):
    def __init__(self):
        super().__init__("database is locked (no turn to write in time)")
