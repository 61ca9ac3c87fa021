"""Injectors of one step: the skew of their first requests, the window they all sent in, each one's share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sagemaker_sizing.core.gatling import parse_logs
from sagemaker_sizing.core.gatling.injectors import behind_share, common_window

from tests.core.test_gatling_formats import T0, Req, write_log

if TYPE_CHECKING:
    from pathlib import Path


def injector(path: Path, start_ms: int, seconds: float, tps: float, latency_ms: int = 20) -> Path:
    """One injector's log: ``tps`` requests a second from ``start_ms`` for ``seconds``."""
    gap = 1000.0 / tps
    requests = [
        Req("p", start_ms + round(i * gap), start_ms + round(i * gap) + latency_ms, True)
        for i in range(round(seconds * tps))
    ]
    return write_log(path, "3.11.5", requests)


def test_each_file_says_when_its_requests_started(tmp_path: Path) -> None:
    a = injector(tmp_path / "a.log", T0, 5, 10)
    b = injector(tmp_path / "b.log", T0 + 400, 5, 10)
    files = parse_logs([a, b])["files"]
    assert [f["first_request_ms"] for f in files] == [T0, T0 + 400]
    assert [f["last_request_ms"] for f in files] == [T0 + 4900, T0 + 5300]


def test_the_window_keeps_only_requests_that_started_inside_it(tmp_path: Path) -> None:
    a = injector(tmp_path / "a.log", T0, 5, 10)
    b = injector(tmp_path / "b.log", T0 + 400, 5, 10)
    window = common_window(parse_logs([a, b])["files"], tolerance_s=1.0)
    assert window.start_skew_s == pytest.approx(0.4)
    assert window.window_ms == (T0 + 400, T0 + 4900)
    assert not window.problems
    windowed = parse_logs([a, b], target_tps=20, window_ms=window.window_ms)
    # a: starts at 0, 100, ..., 4900, of which 400 ... 4900 are inside (46); b: 400 ... 5300, 46 inside.
    assert [f["requests"] for f in windowed["files"]] == [46, 46]
    assert windowed["all"]["count_total"] == 92
    assert windowed["all"]["simulation_start"] == T0 + 400
    # Both sent their share (10 TPS each) while both were sending.
    assert behind_share(windowed["files"], window.window_ms, target_tps=20) == []


def test_an_injector_that_started_past_the_tolerance_is_a_load_generator_problem(tmp_path: Path) -> None:
    a = injector(tmp_path / "a.log", T0, 10, 10)
    b = injector(tmp_path / "b.log", T0 + 3500, 10, 10)
    window = common_window(parse_logs([a, b])["files"], tolerance_s=1.0)
    assert window.late
    assert window.start_skew_s == pytest.approx(3.5)
    assert "injector 2 started 3.50 s after the first" in window.problems[0]
    assert "tolerance 1 s" in window.problems[0]


def test_an_injector_that_fell_behind_its_share_is_named(tmp_path: Path) -> None:
    a = injector(tmp_path / "a.log", T0, 10, 10)
    b = injector(tmp_path / "b.log", T0 + 100, 10, 6)  # its share is 10 TPS
    window = common_window(parse_logs([a, b])["files"], tolerance_s=1.0)
    assert not window.problems
    assert window.window_ms is not None
    windowed = parse_logs([a, b], target_tps=20, window_ms=window.window_ms)
    problems = behind_share(windowed["files"], window.window_ms, target_tps=20)
    assert len(problems) == 1 and problems[0].startswith("injector 2 of 2 sent 5.9 TPS")
    assert "59% of its share 10 TPS: it fell behind" in problems[0]


def test_injectors_that_never_overlap_have_no_window(tmp_path: Path) -> None:
    a = injector(tmp_path / "a.log", T0, 2, 10)
    b = injector(tmp_path / "b.log", T0 + 2500, 2, 10)
    window = common_window(parse_logs([a, b])["files"], tolerance_s=5.0)
    assert window.window_ms is None
    assert window.problems == ["the injectors never all sent at the same time"]
