"""The Gatling parser against the real 3.2.0 fixtures and a plain reference of perfsize's parser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sagemaker_sizing.core.gatling import parse_log, parse_logs
from sagemaker_sizing.core.gatling import scanner as scanner_module

from tests.conftest import FIXTURES as SHARED_FIXTURES

FIXTURES = SHARED_FIXTURES / "gatling-3.2"
LOGS = sorted(FIXTURES.glob("*.simulation.log"))
PCTS = (25, 50, 75, 90, 95, 98, 99)


def perfsize_reference(paths: list[Path]) -> dict[str, int]:
    """perfsize 0.1.11's parse, written plainly: split REQUEST lines, int(np.percentile(...))."""
    ok: list[int] = []
    ko = 0
    for path in paths:
        for line in path.read_text().splitlines():
            if line.startswith("REQUEST"):
                tokens = line.split("\t")
                assert len(tokens) == 8
                if tokens[6] == "OK":
                    ok.append(int(tokens[5]) - int(tokens[4]))
                else:
                    ko += 1
    lat = np.array(ok)
    out = {"count_success": len(ok), "count_fail": ko, "min": int(lat.min()), "max": int(lat.max())}
    out.update({f"p{p}": int(np.percentile(lat, p)) for p in PCTS})
    return out


def integer_parts(metrics: dict[str, object]) -> dict[str, int]:
    out = {k: int(metrics[k]) for k in ("count_success", "count_fail")}  # type: ignore[call-overload]
    out["min"] = int(metrics["latency_success_min"])  # type: ignore[call-overload]
    out["max"] = int(metrics["latency_success_max"])  # type: ignore[call-overload]
    out.update({f"p{p}": int(metrics[f"latency_success_p{p}"]) for p in PCTS})  # type: ignore[call-overload]
    return out


def test_fixtures_are_there() -> None:
    assert len(LOGS) == 6


@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.name.split("-")[4])
def test_fixture_percentiles_match_perfsize(path: Path) -> None:
    result = parse_log(path)
    assert integer_parts(result["all"]) == perfsize_reference([path])
    assert result["warnings"] == []
    assert result["files"][0]["gatling_version"] == "3.2.0"
    assert result["files"][0]["layout"] == "gatling-3.0"


def test_fixture_1tps_known_values() -> None:
    """Numbers read off the 1 TPS fixture by hand-checked perfsize arithmetic."""
    result = parse_log(LOGS[0])
    a = result["all"]
    assert (a["count_success"], a["count_fail"], a["count_total"]) == (180, 0, 180)
    assert (a["percent_success"], a["percent_fail"]) == (100.0, 0.0)
    assert a["latency_success_min"] == 13 and a["latency_success_max"] == 131
    assert a["latency_success_p99"] == pytest.approx(76.04)
    assert a["simulation_start"] == 1628676533646 and a["simulation_end"] == 1628676712628
    assert a["achieved_tps"] == pytest.approx(1.0, abs=0.01)
    assert list(result["by_request"]) == ["SageMaker-LEARNING-model-simulator-1"]
    assert result["by_request"]["SageMaker-LEARNING-model-simulator-1"]["count_total"] == 180


def test_several_logs_merge_like_one() -> None:
    pair = [LOGS[0], LOGS[2]]
    result = parse_logs(pair)
    assert integer_parts(result["all"]) == perfsize_reference(pair)
    assert [f["requests"] for f in result["files"]] == [180, 1800]
    assert sum(row["requests"] for row in result["per_second"]) == 1980


def test_per_second_series_of_a_fixture() -> None:
    path = LOGS[3]  # 30 TPS for 3 minutes
    result = parse_log(path, target_tps=30)
    rows = result["per_second"]
    assert sum(r["requests"] for r in rows) == result["all"]["count_total"]
    assert all(r["errors"] == 0 for r in rows)
    assert [r["t"] for r in rows] == list(range(rows[0]["t"], rows[0]["t"] + len(rows)))
    # Each second's p99 is numpy's percentile of the latencies of requests started in that second.
    by_second: dict[int, list[int]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("REQUEST"):
            t = line.split("\t")
            by_second.setdefault(int(t[4]) // 1000, []).append(int(t[5]) - int(t[4]))
    for row in rows:
        assert row["p99"] == float(np.percentile(by_second[row["t"]], 99))  # bit for bit
    assert result["all"]["tps_ratio"] == pytest.approx(1.0, abs=0.01)
    assert result["warnings"] == []


def test_chunk_boundaries_do_not_change_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = parse_log(LOGS[1])
    monkeypatch.setattr(scanner_module, "CHUNK_BYTES", 997)  # lines straddle every chunk
    chunked = parse_log(LOGS[1])
    assert chunked["all"] == whole["all"]
    assert chunked["per_second"] == whole["per_second"]


def test_result_is_json_safe() -> None:
    import json

    result = parse_log(LOGS[0], target_tps=1)
    assert json.loads(json.dumps(result)) == result


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100, 10_001])
def test_percentiles_of_the_sorted_array_are_numpys_bit_for_bit(size: int) -> None:
    from sagemaker_sizing.core.gatling.metrics import sorted_percentile

    rng = np.random.default_rng(size)
    latencies = rng.lognormal(3, 1, size).astype(np.int32)
    ordered = np.sort(latencies)
    for q in (0, 1, 25, 50, 75, 90, 95, 98, 99, 99.9, 100):
        assert sorted_percentile(ordered, q) == float(np.percentile(latencies, q)), q
