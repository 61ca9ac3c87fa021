from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sagemaker_sizing.core.conf.model import FIELD_TYPES, ConfError, SizingConf, conf_to_dict, load_conf
from sagemaker_sizing.core.conf.schema import params_schema
from sagemaker_sizing.core.conf.validation import validate_conf

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def demo_raw() -> dict:
    return json.loads((EXAMPLES / "demo.conf.json").read_text())


def problems_of(raw: dict, **kwargs) -> dict[str, str]:
    with pytest.raises(ConfError) as info:
        validate_conf(raw, base_dir=EXAMPLES, **kwargs)
    return {p.field: str(p) for p in info.value.problems}


def test_demo_conf_loads_with_parsed_walks_and_prices():
    conf = load_conf(demo_raw(), base_dir=EXAMPLES)
    assert conf.type_walk == ("ml.m5.large", "ml.m5.xlarge")
    assert conf.count_walk == (1,) and conf.tps_walk == (10, 20, 30, 40, 50)
    assert conf.scenario_requests[0].path == str(EXAMPLES / "sample.input.json")
    assert conf.price("ml.m5.large") == Decimal("0.115")
    assert conf.strategy == "adaptive" and conf.precision == 0.05 and conf.safety_factor == 0.5


def test_perfsizesagemaker_example_with_string_values_loads():
    raw = json.loads((EXAMPLES / "perfsizesagemaker.conf.json").read_text())
    conf = load_conf(raw, base_dir=EXAMPLES)
    assert conf.peak_tps == 300 and conf.endurance_retries == 3 and conf.percent_fail == 0.1
    assert conf.tps_walk[-1] == 100


def test_defaults_are_perfsizesagemakers():
    schema = params_schema()
    expected = {
        "variant_name": "variant-name-1",
        "duration_minutes": 3,
        "endurance_ramp_start_tps": 0,
        "endurance_ramp_minutes": 0,
        "endurance_steady_state_minutes": 30,
        "endurance_retries": 3,
        "perfsize_results_dir": "perfsize-results-dir",
        "strategy": "adaptive",
        "precision": 0.05,
        "max_test_cost_usd": None,
        "safety_factor": 0.5,
    }
    assert {k: schema[k]["default"] for k in expected} == expected
    required = {name for name in FIELD_TYPES if SizingConf.model_fields[name].is_required()}
    assert required >= {"type_walk", "latency_success_p99", "percent_fail", "model_name"}
    assert {name for name, s in schema.items() if "default" not in s} == required
    # Required by workload tps only (an llm conf leaves them out): null in the form, checked by load_conf.
    for name in ("peak_tps", "count_walk", "tps_walk", "scenario_requests"):
        assert schema[name]["default"] is None and "null" in schema[name]["type"], name
    # Every field once, in the trigger form's order (core.conf.schema); the one no longer used last.
    assert sorted(schema) == sorted([*FIELD_TYPES, "logging_config"]) and list(schema)[-1] == "logging_config"
    assert schema["strategy"]["enum"] == ["adaptive", "perfsize"]
    assert schema["peak_tps"]["exclusiveMinimum"] == 0
    assert "aws_conn_id" not in schema


def test_every_problem_is_reported_at_once_naming_field_value_and_expectation():
    raw = demo_raw() | {
        "peak_tps": "lots",
        "percent_fail": -1,
        "count_walk": "1,two",
        "strategy": "fastest",
        "endurance_retries": 1.5,
        "scenario_requests": [
            {"path": "missing.json", "weight": 60},
            {"path": "sample.input.json", "weight": -1},
        ],
        "typo_field": 1,
    }
    del raw["region"]
    found = problems_of(raw)
    assert found["peak_tps"] == "peak_tps: got 'lots', expected a number"
    assert found["percent_fail"] == "percent_fail: got -1, expected a number >= 0"
    assert "'two' is not" in found["count_walk"]
    assert "one of adaptive, perfsize" in found["strategy"]
    assert "an integer" in found["endurance_retries"]
    assert (
        "missing.json" in found["scenario_requests[0].path"]
        and "existing file" in found["scenario_requests[0].path"]
    )
    assert "a number >= 0" in found["scenario_requests[1].weight"]
    assert "no such field" in found["typo_field"]
    assert "region" in found


def test_weights_must_sum_to_100_and_json_string_form_is_accepted():
    raw = demo_raw() | {"scenario_requests": '[{"path": "sample.input.json", "weight": 90}]'}
    assert "summing to 100 (they sum to 90)" in problems_of(raw)["scenario_requests"]
    raw["scenario_requests"] = '[{"path": "sample.input.json", "weight": 100}]'
    assert load_conf(raw, base_dir=EXAMPLES).scenario_requests[0].weight == 100


def test_walks_accept_json_lists():
    raw = demo_raw() | {"type_walk": ["ml.m5.large"], "count_walk": [1, 2], "tps_walk": [5, 7.5]}
    conf = load_conf(raw, base_dir=EXAMPLES)
    assert (conf.type_walk, conf.count_walk, conf.tps_walk) == (("ml.m5.large",), (1, 2), (5.0, 7.5))


def test_instance_types_must_be_in_the_regions_cost_table_or_cost_file(tmp_path):
    raw = demo_raw() | {"type_walk": "ml.m5.large,ml.zz.huge", "region": "eu-west-1"}
    assert "ml.zz.huge" in problems_of(raw)["type_walk"]
    cost_file = tmp_path / "prices.json"
    cost_file.write_text(json.dumps({"ml.m5.large": 0.2, "ml.zz.huge": 9}))
    conf = load_conf(raw | {"cost_file": str(cost_file)}, base_dir=EXAMPLES)
    assert conf.price("ml.zz.huge") == Decimal("9")
    assert "no cost table for region" in problems_of(demo_raw() | {"region": "mars-1"})["region"]


def test_walk_must_fit_the_dags_round_slots_and_the_cost_guard():
    found = problems_of(demo_raw(), max_rounds=2)
    assert "max_rounds" in found and "may need" in found["max_rounds"]
    found = problems_of(demo_raw() | {"max_test_cost_usd": 0.0001})
    assert "cost of the walk's first round" in found["max_test_cost_usd"]
    assert validate_conf(demo_raw(), base_dir=EXAMPLES, max_rounds=100).conf


def test_conf_to_dict_is_json_safe_and_round_trips():
    conf = load_conf(demo_raw(), base_dir=EXAMPLES)
    as_dict = conf_to_dict(conf)
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert list(as_dict) == list(FIELD_TYPES)
    assert load_conf(as_dict) == conf


def test_unknown_keys_can_be_ignored_for_airflow_params():
    assert load_conf(demo_raw() | {"aws_conn_id": "x"}, base_dir=EXAMPLES, ignore_unknown=True)


def test_conf_from_dict_rebuilds_the_validated_conf_without_reading_payloads(tmp_path):
    from sagemaker_sizing.core.conf.model import conf_from_dict

    for extra in ({}, {"endpoint_kinds": "realtime,serverless", "strategy": "perfsize"}):
        conf = load_conf(demo_raw() | extra, base_dir=EXAMPLES)
        data = json.loads(json.dumps(conf_to_dict(conf)))
        payload = Path(conf.scenario_requests[0].path)
        data["scenario_requests"] = [{"path": str(tmp_path / "gone.json"), "weight": 100}]
        rebuilt = conf_from_dict(data)  # the payload is not read again
        assert rebuilt == conf.model_copy(
            update={"scenario_requests": (type(conf.scenario_requests[0])(str(tmp_path / "gone.json"), 100),)}
        )
        assert rebuilt.prices == conf.prices and rebuilt.serverless_prices == conf.serverless_prices
        assert payload.is_file()


def test_a_misspelt_field_is_refused_with_the_closest_name():
    found = problems_of(demo_raw() | {"duration_minute": 10, "Peak_TPS": 60, "colour": "blue"})
    assert "did you mean 'duration_minutes'?" in found["duration_minute"]
    assert "did you mean 'peak_tps'?" in found["Peak_TPS"]
    assert (
        found["colour"]
        == "colour: got 'blue', expected no such field (see `sagemaker-sizing validate --help`)"
    )


@pytest.mark.parametrize("value", ["logging.ini", "no/such/file.ini", 5])
def test_logging_config_is_accepted_with_a_no_longer_used_warning(value):
    valid = validate_conf(demo_raw() | {"logging_config": value}, base_dir=EXAMPLES)
    assert valid.warnings[0] == (
        "logging_config: no longer used: Airflow configures the task logs ([logging] in airflow.cfg); "
        f"the value {value!r} is ignored"
    )
    assert "logging_config" not in conf_to_dict(valid.conf)
    assert not hasattr(valid.conf, "logging_config")


def test_no_warning_when_logging_config_is_null_or_absent():
    for raw in (demo_raw(), demo_raw() | {"logging_config": None}):
        assert not validate_conf(raw, base_dir=EXAMPLES).warnings
