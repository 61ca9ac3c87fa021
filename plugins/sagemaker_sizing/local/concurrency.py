"""Requests in flight over time, for the concurrency metric of target tracking
(``SageMakerVariantConcurrentRequestsPerModelHighResolution``): integrated exactly from each
request's start and end, so an average over any period is the area between two readings divided by
its length.
"""

from __future__ import annotations

import heapq


class ConcurrencyMeter:
    """In-flight requests over time, integrated exactly: request-seconds between two readings."""

    def __init__(self) -> None:
        self.in_flight = 0
        self._last = 0.0
        self._area = 0.0
        self._ends: list[float] = []  # ends known in advance (a classic queue's due times)

    def _advance(self, now: float) -> None:
        ends = self._ends
        while ends and ends[0] <= now:
            end = heapq.heappop(ends)
            self._area += self.in_flight * max(0.0, end - self._last)
            self._last = max(self._last, end)
            self.in_flight -= 1
        self._area += self.in_flight * max(0.0, now - self._last)
        self._last = max(self._last, now)

    def start(self, now: float, ends_at: float | None = None) -> None:
        """A request starts now; it ends at ``ends_at`` if known, else at a call of :meth:`end`."""
        self._advance(now)
        self.in_flight += 1
        if ends_at is not None:
            heapq.heappush(self._ends, ends_at)

    def end(self, now: float) -> None:
        self._advance(now)
        self.in_flight -= 1

    def area(self, now: float) -> float:
        """Request-seconds in flight since the meter was made."""
        self._advance(now)
        return self._area
