"""Run callbacks at their due time with sub-millisecond precision, without a task or busy wait.

The event loops' own timers are millisecond timers: uvloop (libuv) keeps time in whole
milliseconds, and asyncio's epoll wait rounds its timeout up to the next millisecond, so an answer
due 0.8 ms from now leaves anywhere from 0 to 2 ms late (or even early, with uvloop's cached clock).
On Linux this module arms one ``timerfd`` (nanosecond deadline on CLOCK_MONOTONIC, the clock of
``time.monotonic``) and waits for it in the event loop like for a socket; elsewhere it falls back
to ``loop.call_at``. Due times are ``time.monotonic()`` seconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import itertools
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

LOG = logging.getLogger(__name__)
_CLOCK_MONOTONIC = 1
_TFD_NONBLOCK = os.O_NONBLOCK
_TFD_CLOEXEC = 0o2000000
_TFD_TIMER_ABSTIME = 1

now = time.monotonic  # the clock of every due time


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class _TimerFd:
    """A one-shot absolute CLOCK_MONOTONIC timer whose expiry makes a file descriptor readable."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._settime = libc.timerfd_settime
        self._settime.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
        fd = int(libc.timerfd_create(_CLOCK_MONOTONIC, _TFD_NONBLOCK | _TFD_CLOEXEC))
        if fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create failed")
        self.fd = fd
        self._spec = _Itimerspec()
        self._spec_ref = ctypes.byref(self._spec)

    def arm(self, due: float) -> None:
        seconds = int(due)
        value = self._spec.it_value
        value.tv_sec = seconds
        value.tv_nsec = max(1, int((due - seconds) * 1e9))  # 0/0 would disarm
        if self._settime(self.fd, _TFD_TIMER_ABSTIME, self._spec_ref, None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime failed")

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):  # an expiry that a re-arm has since cancelled
            os.read(self.fd, 8)

    def close(self) -> None:
        os.close(self.fd)


class DueTimer:
    """Calls ``callback(*args)`` at ``due`` (``time.monotonic()`` seconds), earliest first; equal
    due times run in the order they were scheduled."""

    def __init__(self, loop: asyncio.AbstractEventLoop, use_timerfd: bool = True) -> None:
        self._loop = loop
        self._heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._order = itertools.count()
        self._armed = float("inf")  # the deadline the timer is set for
        self._timerfd: _TimerFd | None = None
        if use_timerfd and sys.platform.startswith("linux"):
            try:
                self._timerfd = _TimerFd()
                loop.add_reader(self._timerfd.fd, self._expired)
            except (OSError, AttributeError, NotImplementedError) as exc:
                LOG.info("no timerfd (%s): answers use the event loop's millisecond timers", exc)
                self._timerfd = None
        self._handle: asyncio.TimerHandle | None = None

    @property
    def precise(self) -> bool:
        return self._timerfd is not None

    def call_at(self, due: float, callback: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self._heap, (due, next(self._order), callback, args))
        if due < self._armed:
            self._arm(due)

    def _arm(self, due: float) -> None:
        self._armed = due
        if self._timerfd is not None:
            self._timerfd.arm(due)
            return
        if self._handle is not None:
            self._handle.cancel()
        # loop.time() and time.monotonic() share CLOCK_MONOTONIC (uvloop's in whole milliseconds).
        self._handle = self._loop.call_at(self._loop.time() + (due - now()), self._expired)

    def _expired(self) -> None:
        if self._timerfd is not None:
            self._timerfd.drain()
        self._handle = None
        self._armed = float("inf")
        heap = self._heap
        current = now()
        while heap and heap[0][0] <= current:
            _, _, callback, args = heapq.heappop(heap)
            callback(*args)
        if heap:
            self._arm(heap[0][0])

    def close(self) -> None:
        if self._timerfd is not None:
            self._loop.remove_reader(self._timerfd.fd)
            self._timerfd.close()
            self._timerfd = None
        if self._handle is not None:
            self._handle.cancel()
