"""The DAG's Params schema and ``load_conf`` come from one model: every bound the trigger form
refuses, the validation refuses too (and the other way round), and the defaults validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sagemaker_sizing.core.conf.checks import TPS_NEEDS
from sagemaker_sizing.core.conf.model import FIELD_TYPES, ConfError, SizingConf, conf_to_dict, load_conf
from sagemaker_sizing.core.conf.schema import field_schema, params_schema

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
SCHEMA = params_schema()
DEFAULTS = {name: schema["default"] for name, schema in SCHEMA.items() if "default" in schema}


def demo_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((EXAMPLES / "demo.conf.json").read_text())
    return raw


def bound_cases() -> list[tuple[str, float, bool]]:
    """(field, value, allowed) just at and beyond each bound the schema states."""
    cases = []
    for name, schema in SCHEMA.items():
        step = 1 if "integer" in schema["type"] else 0.5
        if "minimum" in schema:
            cases += [(name, schema["minimum"], True), (name, schema["minimum"] - step, False)]
        if "exclusiveMinimum" in schema:
            cases += [(name, schema["exclusiveMinimum"], False)]
        if "maximum" in schema:
            cases += [(name, schema["maximum"], True), (name, schema["maximum"] + step, False)]
    return cases


def test_there_are_bounds_to_check() -> None:
    assert len(bound_cases()) >= 25


@pytest.mark.parametrize(("name", "value", "allowed"), bound_cases())
def test_the_form_and_the_validation_agree_on_each_bound(name: str, value: float, allowed: bool) -> None:
    form_allows = jsonschema.Draft202012Validator(SCHEMA[name]).is_valid(value)
    assert form_allows == allowed
    raw = demo_raw() | {name: value}
    if name.startswith("copy_"):  # compute per copy: an endpoint of inference components' fields
        raw = json.loads((EXAMPLES / "components.conf.json").read_text()) | {name: value}
    if name == "serverless_provisioned_concurrency":  # at most serverless_max_concurrency (20)
        raw["serverless_max_concurrency"] = 200
    if name == "average_tps":  # at most peak_tps
        raw["peak_tps"] = 1000
    try:
        load_conf(raw, base_dir=EXAMPLES)
        validation_allows = True
    except ConfError as exc:
        assert [p.field for p in exc.problems] == [name], exc
        validation_allows = False
    assert validation_allows == allowed


def test_every_default_the_form_shows_validates_to_the_models_default() -> None:
    # The fields workload tps needs default to null ("not given"): the demo gives them.
    defaults = {k: v for k, v in DEFAULTS.items() if k not in TPS_NEEDS}
    conf = load_conf(demo_raw() | defaults, base_dir=EXAMPLES)
    for name, value in defaults.items():
        if name in FIELD_TYPES:
            assert getattr(conf, name) == SizingConf.model_fields[name].default, name
            assert jsonschema.Draft202012Validator(SCHEMA[name]).is_valid(value), name


def test_an_llm_conf_with_every_other_default_validates() -> None:
    # The form sends every field: the tps ones as null, which an llm conf does not need.
    llm = json.loads((EXAMPLES / "llm.conf.json").read_text())
    conf = load_conf(DEFAULTS | llm, base_dir=EXAMPLES)
    assert conf.is_llm and conf.peak_tps == llm["peak_rps"]
    assert conf.scenario_requests == () and conf.tps_walk == ()
    for name in TPS_NEEDS:
        assert jsonschema.Draft202012Validator(SCHEMA[name]).is_valid(None), name


def test_every_field_has_a_meaning_and_a_schema() -> None:
    for name, annotation in FIELD_TYPES.items():
        info = SizingConf.model_fields[name]
        assert info.description and field_schema(annotation, info)["description"].startswith(info.description)
    assert "prices" not in SCHEMA and "serverless_prices" not in SCHEMA  # derived, not given


def test_the_demo_conf_is_valid_under_the_params_schema() -> None:
    for name, value in demo_raw().items():
        jsonschema.validate(value, SCHEMA[name])


def test_the_form_opens_with_what_a_user_thinks_of_first_then_folded_sections() -> None:
    """Issue 26: the form's first fields were iam_role_arn and host, 11 required fields empty
    among 35. Now: model, peak, SLOs, candidates first, every required field there with an
    example; the rest, all with defaults, in sections Airflow shows folded."""
    names = list(SCHEMA)
    assert names[:5] == ["model_name", "peak_tps", "latency_success_p99", "percent_fail", "type_walk"]
    first = [name for name in names if "section" not in SCHEMA[name]]
    assert names[: len(first)] == first  # the open section comes first
    required = {name for name, info in SizingConf.model_fields.items() if info.is_required()}
    assert required == {name for name in first if "default" not in SCHEMA[name]}
    assert set(first) == required | set(TPS_NEEDS)  # a tps conf's fields (null for llm) open too
    for name in first:
        example = SCHEMA[name]["examples"][0]
        assert f"e.g. {SizingConf.model_fields[name].examples[0]}" in SCHEMA[name]["description"]
        assert jsonschema.Draft202012Validator(SCHEMA[name]).is_valid(example), name
    # Each example makes a valid conf (the payload file aside, which must exist where it is read).
    examples = {name: SCHEMA[name]["examples"][0] for name in first}
    assert load_conf(examples | {"scenario_requests": demo_raw()["scenario_requests"]}, base_dir=EXAMPLES)
    sections = list(dict.fromkeys(SCHEMA[name]["section"] for name in names[len(first) :]))
    assert sections == [
        "LLM endpoint (workload llm)",
        "Inference components (hosting inference_components)",
        "Load test steps",
        "Serverless",
        "Cost and quotas",
        "Advanced",
    ]
    assert SCHEMA["iam_role_arn"]["section"] == SCHEMA["host"]["section"] == "Advanced"
    assert SCHEMA["endurance_steady_state_minutes"]["section"] == "Load test steps"
    assert SCHEMA["models"]["section"].startswith("Inference components")
    # An empty list of models opens as an empty field, which Airflow's form sends as null: the
    # schema allows it (else the form stays invalid and Trigger disabled) and the conf reads it as none.
    assert SCHEMA["models"]["default"] is None and "null" in SCHEMA["models"]["type"]
    assert load_conf(demo_raw() | {"models": None}, base_dir=EXAMPLES).models == ()


def test_a_conf_given_as_the_forms_defaults_fills_it_as_a_user_types_it() -> None:
    """``make ui`` opens the form with the local demo's conf: every field filled, walks as the
    comma separated strings a user types, the requests as their JSON text; the schema still valid."""
    conf = conf_to_dict(load_conf(demo_raw(), base_dir=EXAMPLES))
    schema = params_schema(conf)
    assert all("default" in field for field in schema.values())
    assert schema["type_walk"]["default"] == "ml.m5.large,ml.m5.xlarge"
    assert schema["tps_walk"]["default"] == "10,20,30,40,50"
    assert json.loads(schema["scenario_requests"]["default"]) == conf["scenario_requests"]
    assert schema["duration_minutes"]["default"] == 0.15  # the demo's short steps, not 3 minutes
    for name, field in schema.items():
        assert jsonschema.Draft202012Validator(field).is_valid(field["default"]), name
    again = {name: field["default"] for name, field in schema.items() if name in FIELD_TYPES}
    assert conf_to_dict(load_conf(again, base_dir=EXAMPLES)) == conf
