"""Work that goes on after a delivery is acknowledged: a thread pool that counts what is in flight, drained at shutdown."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from bot.ops import IN_FLIGHT

IN_FLIGHT_WORK = IN_FLIGHT.labels("work")  # every pool's work, for /metrics

log = logging.getLogger("cmmi_bot.work")

T = TypeVar("T")


class Work:
    """A bounded pool for a transport's work. `drain` waits, up to a deadline, for everything submitted to finish."""

    def __init__(self, threads: int = 32, name: str = "cmmi-work") -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._lock = threading.Condition()
        self._in_flight = 0

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        with self._lock:
            self._in_flight += 1
            IN_FLIGHT_WORK.inc()
        try:
            future = self._pool.submit(fn, *args)
        except RuntimeError:  # shut down: nothing more is taken
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: object) -> None:
        with self._lock:
            self._in_flight -= 1
            IN_FLIGHT_WORK.dec()
            self._lock.notify_all()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def drain(self, timeout: float) -> bool:
        """Take no more work and wait up to `timeout` seconds for what is in flight. True when all of it finished."""
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._lock:
            # Work can submit follow-up work (an answer sent late); wait for the count, not the pool.
            finished = self._lock.wait_for(lambda: self._in_flight == 0, timeout=max(deadline - time.monotonic(), 0.0))
        self._pool.shutdown(wait=False, cancel_futures=False)
        if not finished:
            log.warning("shutdown: %d piece(s) of work still running after the grace period", self.in_flight)
        return finished
