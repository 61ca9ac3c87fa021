from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def write_conf(tmp_path: Path, **overrides: object) -> Path:
    payload = [{"path": str(DEMO.parent / "sample.input.json"), "weight": 100}]
    raw = json.loads(DEMO.read_text()) | {"scenario_requests": payload} | overrides
    path = tmp_path / "conf.json"
    path.write_text(json.dumps(raw))
    return path


def test_plain_validate_checks_the_dags_round_slots(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))  # no airflow.cfg there: the default
    monkeypatch.delenv("AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS", raising=False)
    long_walk = write_conf(tmp_path, strategy="perfsize", tps_walk=",".join(str(t) for t in range(1, 40)))
    assert main(["validate", str(long_walk)]) == 2
    out = capsys.readouterr().out
    assert "max_rounds: got 24" in out and "may need" in out
    assert "tps_walk" in out and "[sagemaker_sizing] max_rounds" in out
    monkeypatch.setenv("AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS", "80")
    assert main(["validate", str(long_walk)]) == 0
    assert "(of 80 round slots)" in capsys.readouterr().out
    monkeypatch.delenv("AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS")
    (tmp_path / "airflow.cfg").write_text("[sagemaker_sizing]\nmax_rounds = 3\n")
    assert main(["validate", str(DEMO)]) == 2
    assert "max_rounds: got 3" in capsys.readouterr().out


def test_a_huge_peak_answers_with_its_computed_worst_case(tmp_path, capsys):
    wide = {"type_walk": "ml.m5.large,ml.m5.xlarge,ml.c5.large,ml.m5.2xlarge", "count_walk": "1,2,3,4"}
    path = write_conf(tmp_path, peak_tps=100000, tps_walk="1,5,10,20,50,100,200", endurance_retries=3, **wide)
    assert main(["validate", str(path), "--max-rounds", "100"]) == 0
    out = capsys.readouterr().out
    assert "worst case: 44 rounds" in out
    assert "warning: worst-case test cost $" in out and "set max_test_cost_usd" in out


def test_worst_case_above_the_budget_or_the_threshold_is_a_warning(tmp_path, capsys):
    cheap = write_conf(tmp_path)
    assert main(["validate", str(cheap)]) == 0
    assert "warning" not in capsys.readouterr().out  # $0.219 worst case, no budget
    budgeted = write_conf(tmp_path, max_test_cost_usd=0.05)
    assert main(["validate", str(budgeted)]) == 0
    out = capsys.readouterr().out
    assert "warning: max_test_cost_usd: the worst-case test cost $0.219 is above the budget $0.05" in out
    costly = write_conf(tmp_path, peak_tps=2000, duration_minutes=3, endurance_steady_state_minutes=30)
    assert main(["validate", str(costly)]) == 0
    assert "is above $100" in capsys.readouterr().out


def test_payload_files_are_read_and_checked(tmp_path, capsys):
    (tmp_path / "empty.json").write_text("  \n")
    (tmp_path / "broken.json").write_text('{"instances": [1, 2,')
    (tmp_path / "good.json").write_text('{"instances": [1, 2]}')
    requests = [
        {"path": "empty.json", "weight": 20},
        {"path": "broken.json", "weight": 30},
        {"path": "good.json", "weight": 50},
    ]
    path = write_conf(tmp_path, scenario_requests=requests)
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out
    assert "2 problem(s)" in out
    empty = tmp_path / "empty.json"
    assert (
        f"- scenario_requests[0].path: got 'empty.json', expected a non-empty payload file ({empty} is empty)"
        in out
    )
    assert "- scenario_requests[1].path: got 'broken.json', expected a JSON payload" in out
    assert "broken.json" in out and "application/json" in out and "scenario_requests[2]" not in out


def test_help_lists_every_conf_field(capsys):
    from sagemaker_sizing.core.conf.schema import params_schema

    with pytest.raises(SystemExit) as done:
        main(["validate", "--help"])
    assert done.value.code == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.split("conf fields")[1].splitlines()[1:]]
    assert listed == list(params_schema())


def test_a_field_no_longer_used_is_a_warning(tmp_path, capsys):
    assert main(["validate", str(write_conf(tmp_path, logging_config="logging.ini"))]) == 0
    assert (
        "warning: logging_config: no longer used: Airflow configures the task logs" in capsys.readouterr().out
    )


def test_validate_bounds_the_hours_and_the_bill_on_aws_beside_perfsize(capsys):
    assert main(["validate", str(DEMO)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("worst case on AWS"))
    assert "(resources/deploy_times.json, instances billed from their launch)" in line
    assert "adaptive ≤ " in line and " until the answer, ≤ $" in line and "; perfsize ≤ " in line
