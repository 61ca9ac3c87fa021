"""The DAG's validate task: the same validation as the command, its warnings in the task log."""

from __future__ import annotations

import json
import logging

import pytest
from sagemaker_sizing.paths import INCLUDE_DIR


def demo_conf(**overrides: object) -> dict[str, object]:
    raw = json.loads((INCLUDE_DIR / "examples" / "demo.conf.json").read_text())
    raw["scenario_requests"] = [{"path": "include/examples/sample.input.json", "weight": 100}]
    return raw | overrides


def test_the_validate_task_logs_a_worst_case_above_the_budget(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Depending on what configured logging first, Airflow's structlog prints the task's records
    # to the console or they reach the standard handlers: read both.
    from sagemaker_sizing.airflow.tasks.validate import validated

    with caplog.at_level(logging.INFO):
        out = validated(demo_conf(max_test_cost_usd=0.05))
    assert out["max_test_cost_usd"] == 0.05
    records = [f"[{r.levelname.lower()}] {r.getMessage()}" for r in caplog.records]
    printed = "".join(capfd.readouterr()) + "\n".join(records)
    warnings = [line for line in printed.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert (
        "max_test_cost_usd: the worst-case test cost $0.219 is above the budget $0.05: the cost guard "
        "stops the walk before a round would pass it" in warnings[0]
    )
    assert (
        "conf is valid: strategy adaptive, peak 60.0 TPS; worst case 11 rounds, $0.219 test cost" in printed
    )


def test_the_validate_task_refuses_an_empty_payload(tmp_path) -> None:
    from airflow.sdk.exceptions import AirflowFailException
    from sagemaker_sizing.airflow.tasks.validate import validated

    empty = tmp_path / "empty.json"
    empty.write_text("")
    with pytest.raises(AirflowFailException, match=r"scenario_requests\[0\]\.path.*non-empty payload file"):
        validated(demo_conf(scenario_requests=[{"path": str(empty), "weight": 100}]))


def test_the_validate_task_logs_a_field_no_longer_used_and_drops_it(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from sagemaker_sizing.airflow.tasks.validate import validated

    with caplog.at_level(logging.INFO):
        out = validated(demo_conf(logging_config="logging.ini"))
    assert "logging_config" not in out
    printed = "".join(capfd.readouterr()) + "\n".join(r.getMessage() for r in caplog.records)
    assert "logging_config: no longer used: Airflow configures the task logs" in printed
