"""Drift between two sizings of a model, and the history index that keeps them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core.resizing import drift, history
from sagemaker_sizing.core.resizing.drift import SizingSnapshot


def _context(run_id: str, tps: float | None, count: int | None, hourly: str | None, **per_type: float) -> Any:
    rec_type = "ml.m5.large" if tps is not None else None
    return {
        "run_id": run_id,
        "generated_at": "2026-01-01T00:00:00+00:00",
        "status": "recommended" if rec_type else "none",
        "recommendation": {
            "instance_type": rec_type,
            "tps_per_instance": tps,
            "instance_count_needed": count,
            "max_instance_count": count,
        },
        "costs": {
            "hourly": hourly,
            "per_type": {k.replace("_", "."): {"tps_per_instance": str(v)} for k, v in per_type.items()},
        },
    }


def test_snapshot_reads_recommendation_and_capacity_per_type() -> None:
    snap = drift.snapshot(_context("r1", 40.0, 1, "0.115", ml_m5_xlarge=95.0), report="x/report.html")
    assert snap.instance_type == "ml.m5.large"
    assert snap.instance_count == 1
    assert snap.capacity == {"ml.m5.xlarge": 95.0, "ml.m5.large": 40.0}
    assert snap.hourly_cost_usd == "0.115"
    assert SizingSnapshot.from_dict(snap.to_dict()) == snap


def test_first_run_is_never_drift() -> None:
    result = drift.compare(None, drift.snapshot(_context("r1", 40.0, 1, "0.115")))
    assert not result.drifted
    assert "first sizing" in result.notes[0]


def test_steady_capacity_is_not_drift() -> None:
    before = drift.snapshot(_context("r1", 40.0, 1, "0.115"))
    after = drift.snapshot(_context("r2", 36.0, 1, "0.115"))  # -10%: inside the default 20%
    result = drift.compare(before, after)
    assert not result.drifted
    assert result.capacity_change == {"ml.m5.large": pytest.approx(-0.1)}
    assert not any(n.startswith("DRIFT") for n in result.notes)


def test_capacity_drop_beyond_threshold_is_drift_with_notes() -> None:
    before = drift.snapshot(_context("r1", 40.0, 1, "0.115"))
    after = drift.snapshot(_context("r2", 10.0, 4, "0.460"))
    result = drift.compare(before, after, threshold=0.2)
    assert result.drifted
    text = "\n".join(result.notes)
    assert "DRIFT: capacity per instance of ml.m5.large: 40 -> 10 TPS (-75%)" in text
    assert "recommendation changed: ml.m5.large x1 -> ml.m5.large x4" in text
    assert "hourly cost: $0.115 -> $0.46" in text


def test_threshold_is_configurable() -> None:
    before = drift.snapshot(_context("r1", 40.0, 1, "0.115"))
    after = drift.snapshot(_context("r2", 30.0, 2, "0.230"))  # -25%
    assert drift.compare(before, after, threshold=0.2).drifted
    assert not drift.compare(before, after, threshold=0.3).drifted
    with pytest.raises(ValueError, match="fraction"):
        drift.compare(before, after, threshold=20)


def test_types_compare_like_with_like_and_a_lost_answer_is_drift() -> None:
    before = drift.snapshot(_context("r1", 40.0, 1, "0.115", ml_m5_xlarge=90.0))
    after = drift.snapshot(_context("r2", None, None, None, ml_m5_xlarge=89.0))
    result = drift.compare(before, after)
    assert result.capacity_change == {"ml.m5.xlarge": pytest.approx(-1 / 90)}
    assert result.drifted  # nothing meets the requirements any more
    assert any("found no configuration" in n for n in result.notes)


def test_history_index_appends_replaces_a_retried_run_and_finds_the_previous(tmp_path: Path) -> None:
    path = history.index_path(tmp_path, "resize_m")
    assert history.previous_snapshot(path, "r1") is None
    first = drift.snapshot(_context("r1", 40.0, 1, "0.115"))
    history.record(path, "resize_m", first)
    second = drift.snapshot(_context("r2", 38.0, 1, "0.115"))
    history.record(path, "resize_m", second, {"drifted": False})
    history.record(path, "resize_m", second, {"drifted": False})  # a retried task
    assert [s.run_id for s in history.read_index(path)] == ["r1", "r2"]
    assert history.previous_snapshot(path, "r2") == first  # never itself
    assert history.previous_snapshot(path, "r3") == second
    assert path == tmp_path / "resize_m" / "index.json"
    raw = json.loads(path.read_text())["runs"]
    assert [e.get("drift") for e in raw] == [None, {"drifted": False}]  # earlier entries keep theirs
