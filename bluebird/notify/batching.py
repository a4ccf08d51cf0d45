"""Group commit for the senders' writes: threads that want the same kind of write at the
same moment hand it in, and one of them writes all of them in one statement.

A sender makes two writes per message (the claim, then the settle). With 16 sender
threads each write queued alone at the SQLite write gate, and every hand-over of the
gate went to a thread that had to be woken and given the GIL first; building each
statement cost more CPU than the send. Here a thread hands its item to a Batcher: the
first to arrive (the leader) takes every item waiting, runs them as one batch, and
keeps draining while others keep arriving (it is running already, so no hand-over is
needed); those it wrote for wake with their result. No thread returns before its own
item is written (and committed, when the batch commits): a settle is never held in
memory, so a crash loses nothing that the lease would not recover.

A thread inside a transaction writes alone, in its own transaction: another thread's
item must not commit or roll back with it.
"""
import threading

from bluebird.db import db


class _Slot:
    __slots__ = ("item", "ready", "lead", "value", "error")

    def __init__(self, item):
        self.item = item
        self.ready = threading.Event()
        self.lead = False
        self.value = self.error = None


class Batcher:
    """`batcher(item)` runs `run(items) -> results` (one result per item, in order) for
    this item and whatever other threads hand in meanwhile, at most `limit` at a time."""

    def __init__(self, run, limit=64, rounds=8):
        self._run = run
        self._limit = limit
        self._rounds = rounds  # batches a leader runs before it hands the lead on
        self._lock = threading.Lock()
        self._waiting: list[_Slot] = []
        self._leading = False

    def __call__(self, item):
        if db.in_transaction():
            return self._run([item])[0]
        slot = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            lead = not self._leading
            self._leading = True
        if not lead:
            slot.ready.wait()
        if slot.lead:  # the last leader handed the lead on; this item still waits
            slot.ready.clear()
        if lead or slot.lead:
            self._drain(slot)
        if slot.error is not None:
            raise slot.error
        return slot.value

    def _drain(self, mine):
        rounds = 0
        while rounds < self._rounds or not mine.ready.is_set():
            rounds += 1
            with self._lock:
                batch = self._waiting[:self._limit]
                del self._waiting[:self._limit]
                if not batch:
                    self._leading = False
                    return
            try:
                values = self._run([s.item for s in batch])
            except BaseException as exc:  # every item of the batch failed with it
                for s in batch:
                    s.error = exc
            else:
                for s, value in zip(batch, values, strict=True):
                    s.value = value
            for s in batch:
                s.ready.set()
        with self._lock:  # enough: the next waiter leads (its own item is still waiting)
            if self._waiting:
                head = self._waiting[0]
                head.lead = True
                head.ready.set()
            else:
                self._leading = False
