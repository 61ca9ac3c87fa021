"""Did a step's injectors offer its load together? Start skew, common window, each one's share.

A step above one injector's TPS runs as several Gatling processes (often on several workers),
each sending ``target / n``. The endpoint saw the step's TPS only while all of them were sending:
from the last injector's first request to the first injector's last one. A step whose injectors
started further apart than a tolerance, or one of which sent less than its share in that window,
did not measure the endpoint at the step's TPS: a load-generator error, never a capacity verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.gatling.metrics import BEHIND_RATIO

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

DEFAULT_START_TOLERANCE_S = 1.0


@dataclass(frozen=True)
class InjectorWindow:
    """When a step's injectors sent: the skew of their first requests and the common window."""

    first_ms: tuple[int, ...]  # per injector, epoch ms of its first request start
    last_ms: tuple[int, ...]  # per injector, epoch ms of its last request start
    start_skew_s: float
    window_ms: tuple[int, int] | None  # None: no instant at which all were sending
    problems: list[str] = field(default_factory=list)

    @property
    def late(self) -> bool:
        return bool(self.problems)


def common_window(files: Sequence[Mapping[str, Any]], tolerance_s: float) -> InjectorWindow:
    """The skew and common window of the logs ``files`` (``parse_logs``'s per-file entries)."""
    if not files:
        raise ValueError("common_window needs the parsed files of at least one injector")
    firsts = [f.get("first_request_ms") for f in files]
    lasts = [f.get("last_request_ms") for f in files]
    problems: list[str] = []
    silent = [i + 1 for i, first in enumerate(firsts) if first is None]
    if silent:
        problems.append(f"injector(s) {silent} of {len(files)} sent no request")
        return InjectorWindow((), (), 0.0, None, problems)
    first_ms = tuple(int(f) for f in firsts)  # type: ignore[arg-type]  # None ruled out above
    last_ms = tuple(int(v) for v in lasts)  # type: ignore[arg-type]
    skew_s = (max(first_ms) - min(first_ms)) / 1000.0
    start, end = max(first_ms), min(last_ms)
    window = (start, end) if end > start else None
    if skew_s > tolerance_s:
        earliest = min(first_ms)
        late = [
            f"injector {i + 1} started {(first - earliest) / 1000.0:.2f} s after the first"
            for i, first in enumerate(first_ms)
            if (first - earliest) / 1000.0 > tolerance_s
        ]
        problems.append(
            f"injectors started {skew_s:.2f} s apart (tolerance {tolerance_s:g} s): {'; '.join(late)}"
        )
    elif window is None:
        problems.append("the injectors never all sent at the same time")
    return InjectorWindow(first_ms, last_ms, skew_s, window, problems)


def behind_share(
    windowed_files: Sequence[Mapping[str, Any]],
    window_ms: tuple[int, int],
    target_tps: float,
    ratio: float = BEHIND_RATIO,
) -> list[str]:
    """Injectors that sent fewer than ``ratio`` of their share (``target / n``) inside the window.

    ``windowed_files`` are the per-file entries of ``parse_logs(..., window_ms=window_ms)``: their
    ``requests`` count only the requests that started inside the window.
    """
    span_s = (window_ms[1] - window_ms[0]) / 1000.0
    if span_s <= 0 or target_tps <= 0 or not windowed_files:
        return []
    share = target_tps / len(windowed_files)
    problems = []
    for i, entry in enumerate(windowed_files):
        # n starts inside [a, b] make n-1 intervals (as metrics' achieved_tps counts them).
        rate = max(int(entry["requests"]) - 1, 0) / span_s
        if rate < ratio * share:
            problems.append(
                f"injector {i + 1} of {len(windowed_files)} sent {rate:.1f} TPS while all were sending, "
                f"{rate / share:.0%} of its share {share:g} TPS: it fell behind"
            )
    return problems
