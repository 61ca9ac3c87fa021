from __future__ import annotations

import json
from pathlib import Path

from sagemaker_sizing.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def run(capsys, *args: str) -> dict:
    assert main(["simulate", "--conf", str(EXAMPLES / "demo.conf.json"), *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_simulate_with_capacity_both_strategies(capsys):
    capacity = str(EXAMPLES / "demo.capacity.json")
    adaptive = run(capsys, "--capacity", capacity)
    perfsize = run(capsys, "--capacity", capacity, "--strategy", "perfsize")
    assert adaptive["strategy"] == "adaptive" and perfsize["strategy"] == "perfsize"
    for out in (adaptive, perfsize):
        assert out["recommendation"]["instance_type"] == "ml.m5.large"
        assert out["recommendation"]["max_instance_count"] == 2
    assert adaptive["load_test_minutes"] < perfsize["load_test_minutes"]


def test_simulate_without_capacity_is_a_budget(capsys):
    out = run(capsys)
    assert out["worst_case"] is True and out["test_cost_usd"] >= 0 and out["rounds"] >= 1


def test_bad_capacity_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "cap.json"
    bad.write_text('{"nope": 1}')
    assert main(["simulate", "--conf", str(EXAMPLES / "demo.conf.json"), "--capacity", str(bad)]) == 2
    assert "cap.json" in capsys.readouterr().out
