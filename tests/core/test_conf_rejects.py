"""Malformed confs: each is rejected by ``validate_conf`` (before any AWS call), naming the field.

The same ``validate_conf`` runs in ``sagemaker-sizing validate`` and in the DAG's first task, so every
case here is refused there too (see tests/faults/test_bad_conf_surfaces.py for those surfaces).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core.conf.model import ConfError, load_conf
from sagemaker_sizing.core.conf.validation import validate_conf

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
DROP = object()  # remove the field instead of setting it


def good() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((EXAMPLES / "demo.conf.json").read_text())
    return raw


# (case id, overrides, the field the problem must name, words the expectation must contain)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("peak_tps is a word", {"peak_tps": "lots"}, "peak_tps", "a number"),
    ("peak_tps is zero", {"peak_tps": 0}, "peak_tps", "> 0"),
    ("peak_tps is negative", {"peak_tps": -5}, "peak_tps", "> 0"),
    ("peak_tps is a boolean", {"peak_tps": True}, "peak_tps", "a number"),
    ("peak_tps is infinite", {"peak_tps": "inf"}, "peak_tps", "a number"),
    ("peak_tps is missing", {"peak_tps": DROP}, "peak_tps", "a value"),
    ("p99 latency is zero", {"latency_success_p99": 0}, "latency_success_p99", "> 0"),
    ("p99 latency is a list", {"latency_success_p99": [500]}, "latency_success_p99", "a number"),
    ("percent_fail is negative", {"percent_fail": -1}, "percent_fail", ">= 0"),
    ("percent_fail above 100", {"percent_fail": 101}, "percent_fail", "<= 100"),
    ("duration is zero", {"duration_minutes": 0}, "duration_minutes", "> 0"),
    ("ramp minutes negative", {"endurance_ramp_minutes": -1}, "endurance_ramp_minutes", ">= 0"),
    ("endurance retries fractional", {"endurance_retries": 1.5}, "endurance_retries", "an integer"),
    ("endurance retries negative", {"endurance_retries": -1}, "endurance_retries", ">= 0"),
    ("type_walk empty", {"type_walk": ""}, "type_walk", "at least one value"),
    ("type_walk empty list", {"type_walk": []}, "type_walk", "at least one value"),
    ("type_walk not ml.*", {"type_walk": "m5.large"}, "type_walk", "instance types like ml.m5.large"),
    ("type_walk a number", {"type_walk": 5}, "type_walk", "a comma-separated string or a list"),
    ("type_walk unknown type", {"type_walk": "ml.m5.gigantic"}, "type_walk", "cost table"),
    ("count_walk zero", {"count_walk": "0,1"}, "count_walk", "integer counts >= 1"),
    ("count_walk fractional", {"count_walk": "1.5"}, "count_walk", "integer counts >= 1"),
    ("count_walk trailing comma", {"count_walk": "1,"}, "count_walk", "integer counts >= 1"),
    ("tps_walk negative", {"tps_walk": "10,-20"}, "tps_walk", "TPS numbers > 0"),
    ("tps_walk words", {"tps_walk": "ten,twenty"}, "tps_walk", "TPS numbers > 0"),
    ("strategy unknown", {"strategy": "greedy"}, "strategy", "one of adaptive, perfsize"),
    ("strategy empty", {"strategy": ""}, "strategy", "one of adaptive, perfsize"),
    ("region unknown", {"region": "mars-north-1"}, "region", "no cost table for region"),
    ("region missing", {"region": DROP}, "region", "a value"),
    ("model_name a number", {"model_name": 42}, "model_name", "a non-empty string"),
    ("endpoint_name blank", {"endpoint_name": "  "}, "endpoint_name", "a non-empty string"),
    (
        "weights sum to 90",
        {"scenario_requests": [{"path": "sample.input.json", "weight": 90}]},
        "scenario_requests",
        "weights summing to 100",
    ),
    (
        "weight negative",
        {"scenario_requests": [{"path": "sample.input.json", "weight": -100}]},
        "scenario_requests[0].weight",
        ">= 0",
    ),
    (
        "payload file missing",
        {"scenario_requests": [{"path": "no-such-payload.json", "weight": 100}]},
        "scenario_requests[0].path",
        "an existing file",
    ),
    ("requests empty", {"scenario_requests": []}, "scenario_requests", "a non-empty list"),
    ("requests bad JSON", {"scenario_requests": "[{"}, "scenario_requests", "a JSON array"),
    ("request without path", {"scenario_requests": [{"weight": 100}]}, "scenario_requests[0]", "path"),
    ("cost file missing", {"cost_file": "no-such-prices.json"}, "cost_file", "an existing file"),
    ("jar file missing", {"jar_file": "no-such.jar"}, "jar_file", "an existing file"),
    ("precision above 1", {"precision": 2}, "precision", "<= 1"),
    ("safety factor zero", {"safety_factor": 0}, "safety_factor", "> 0"),
    ("parallel endpoints zero", {"max_parallel_endpoints": 0}, "max_parallel_endpoints", ">= 1"),
    ("budget negative", {"max_test_cost_usd": -1}, "max_test_cost_usd", ">= 0"),
    ("budget below the first round", {"max_test_cost_usd": 0.00001}, "max_test_cost_usd", "first round"),
    ("unknown field (typo)", {"peak_tsp": 60}, "peak_tsp", "no such field"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_malformed_conf_is_rejected_naming_the_field(
    overrides: dict[str, Any], field: str, expected: str
) -> None:
    raw = good()
    for key, value in overrides.items():
        if value is DROP:
            raw.pop(key)
        else:
            raw[key] = value
    with pytest.raises(ConfError) as info:
        validate_conf(raw, base_dir=EXAMPLES)
    problems = {p.field: str(p) for p in info.value.problems}
    assert field in problems, problems
    assert expected in problems[field], problems[field]


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25


def test_a_walk_too_long_for_the_round_slots_is_rejected() -> None:
    with pytest.raises(ConfError) as info:
        validate_conf(good() | {"strategy": "perfsize"}, base_dir=EXAMPLES, max_rounds=3)
    assert [p.field for p in info.value.problems] == ["max_rounds"]
    assert "may need" in str(info.value)


def test_every_problem_comes_back_at_once() -> None:
    raw = good() | {"peak_tps": 0, "strategy": "greedy", "count_walk": "0"}
    with pytest.raises(ConfError) as info:
        load_conf(raw, base_dir=EXAMPLES)
    assert {p.field for p in info.value.problems} == {"peak_tps", "strategy", "count_walk"}


def test_not_an_object_at_all() -> None:
    with pytest.raises(ConfError) as info:
        load_conf(["peak_tps", 60], base_dir=EXAMPLES)  # type: ignore[arg-type]
    assert info.value.problems[0].field == "conf"


def test_all_errors_at_once_across_fields_of_every_kind() -> None:
    """Numbers, booleans, walk items, enums, names, files and each request of the list: one
    ConfError lists every problem, each naming its field, the value and what was expected."""
    raw = good() | {
        "peak_tps": True,  # a boolean is not a number (pydantic alone would read 1)
        "latency_success_p99": "NaN",
        "live_prices": "yes",
        "count_walk": [1, True],
        "tps_walk": "10,inf",
        "strategy": None,
        "model_name": "my_model",
        "cost_file": "no-such-prices.json",
        "endpoint_kinds": "realtime,lambda",
        "scenario_requests": [
            {"path": "no-such-payload.json", "weight": 50},
            {"path": "sample.input.json", "weight": -50},
            {"weight": 100},
        ],
    }
    with pytest.raises(ConfError) as info:
        load_conf(raw, base_dir=EXAMPLES)
    found = {p.field: str(p) for p in info.value.problems}
    assert found == {
        "peak_tps": "peak_tps: got True, expected a number",
        "latency_success_p99": "latency_success_p99: got 'NaN', expected a number",
        "live_prices": "live_prices: got 'yes', expected true or false",
        "count_walk": "count_walk: got [1, True], expected integer counts >= 1; True is not",
        "tps_walk": "tps_walk: got '10,inf', expected TPS numbers > 0; 'inf' is not",
        "strategy": "strategy: got None, expected one of adaptive, perfsize",
        "model_name": found["model_name"],
        "cost_file": found["cost_file"],
        "endpoint_kinds": "endpoint_kinds: got 'realtime,lambda', expected realtime and/or serverless; "
        "'lambda' is not",
        "scenario_requests[0].path": found["scenario_requests[0].path"],
        "scenario_requests[1].weight": "scenario_requests[1].weight: got -50, expected a number >= 0",
        "scenario_requests[2]": "scenario_requests[2]: got {'weight': 100}, expected an object {\"path\": "
        '"<file>", "weight": <number>}',
    }
    assert "SageMaker name" in found["model_name"]
    assert "an existing file" in found["cost_file"] and "no-such-prices.json" in found["cost_file"]
    assert "an existing file" in found["scenario_requests[0].path"]


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", float("nan")])
def test_a_non_finite_number_is_not_a_number_whatever_its_bounds(value: Any) -> None:
    with pytest.raises(ConfError) as info:
        load_conf(good() | {"peak_tps": value, "average_tps": value}, base_dir=EXAMPLES)
    assert {p.field: p.expected for p in info.value.problems} == {
        "peak_tps": "a number",
        "average_tps": "a number",
    }
