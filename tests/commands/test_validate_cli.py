from __future__ import annotations

import json
from pathlib import Path

from sagemaker_sizing.cli import main

DEMO = Path(__file__).resolve().parents[2] / "include" / "examples" / "demo.conf.json"


def test_valid_conf_exits_0_with_summary(capsys):
    assert main(["validate", str(DEMO), "--max-rounds", "30"]) == 0
    out = capsys.readouterr().out
    assert "valid:" in out and "ml.m5.large $0.115/h" in out and "worst case:" in out


def test_invalid_conf_exits_2_listing_every_problem(tmp_path, capsys):
    raw = json.loads(DEMO.read_text()) | {"peak_tps": -5, "tps_walk": "ten", "type_walk": "ml.nope"}
    raw["scenario_requests"] = [{"path": str(DEMO.parent / "sample.input.json"), "weight": 100}]
    conf = tmp_path / "bad.json"
    conf.write_text(json.dumps(raw))
    assert main(["validate", str(conf)]) == 2
    out = capsys.readouterr().out
    assert "3 problem(s)" in out
    assert "- peak_tps: got -5, expected a number > 0" in out
    assert "tps_walk" in out and "type_walk" in out and "ml.nope" in out


def test_round_slots_and_unreadable_file(tmp_path, capsys):
    assert main(["validate", str(DEMO), "--max-rounds", "1"]) == 2
    assert "max_rounds: got 1" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main(["validate", str(broken)]) == 2
    assert "broken.json" in capsys.readouterr().out
