"""A bad conf is refused where a user meets it: at trigger (the DAG's Params), in the DAG's first
task, and by ``sagemaker-sizing validate`` — naming the field, before any AWS call.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException, ParamValidationError
from sagemaker_sizing.airflow.tasks.validate import validated
from sagemaker_sizing.cli import main
from sagemaker_sizing.local import LocalSageMakerStatus

from tests.e2e.harness import SizingRun, base_conf, fresh_dag

Sizing = Callable[[dict[str, Any]], SizingRun]

WRONG_TYPES = [
    ("peak_tps", "lots"),
    ("latency_success_p99", -1),
    ("percent_fail", 200),
    ("endurance_retries", 1.5),
    ("strategy", "greedy"),
    ("count_walk", 5),
    ("scenario_requests", {"path": "x"}),
]


@pytest.fixture(scope="module")
def dag() -> Any:
    return fresh_dag()


@pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
def test_the_dags_params_reject_a_wrong_type_at_trigger(dag: Any, field: str, value: Any) -> None:
    params = copy.deepcopy(dag.params)
    with pytest.raises(ParamValidationError, match=f"param {field}"):
        params[field] = value


def test_dag_test_with_a_wrong_type_starts_no_run(dag: Any) -> None:
    with pytest.raises(ParamValidationError, match="param peak_tps"):
        dag.test(run_conf=base_conf(peak_tps="lots"))


def test_the_validate_task_fails_at_once_naming_every_field() -> None:
    raw = base_conf(type_walk="ml.m5.large,ml.zz.huge", tps_walk="10,-1", percent_fail=-2)
    with pytest.raises(AirflowFailException) as info:  # no retry: a bad conf stays bad
        validated(raw)
    text = str(info.value)
    assert "3 problem(s)" in text
    for words in ("type_walk: got 'ml.zz.huge'", "tps_walk", "percent_fail"):
        assert words in text


def test_the_cli_lists_every_problem_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "bad.json"
    conf.write_text(json.dumps(base_conf(peak_tps=0, strategy="greedy", jar_file="missing.jar")))
    assert main(["validate", str(conf)]) == 2
    out = capsys.readouterr().out
    assert "3 problem(s)" in out
    for field in ("peak_tps", "strategy", "jar_file"):
        assert f"- {field}: got" in out


@pytest.mark.e2e
def test_a_run_with_a_bad_conf_fails_in_validate_and_touches_nothing(
    sizing: Sizing, local_sagemaker: LocalSageMakerStatus
) -> None:
    run = sizing(base_conf(type_walk="ml.m5.gigantic"))

    assert run.state == "failed"
    assert run.states["validate"] == ["failed"]
    assert run.states["round_1.deploy"] == ["upstream_failed"]
    assert run.endpoints_left == [] and run.configs_left == []
    # Nothing was deployed, so there is no report either: report says so and succeeds.
    assert run.states["report"] == ["success"]
