"""The DAG's Params schema and ``load_conf`` come from one model: every bound the trigger form
refuses, the validation refuses too (and the other way round), and the defaults validate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sagemaker_sizing.core.conf.checks import TPS_NEEDS
from sagemaker_sizing.core.conf.model import FIELD_TYPES, ConfError, SizingConf, load_conf
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
        assert info.description and field_schema(annotation, info)["description"] == info.description
    assert "prices" not in SCHEMA and "serverless_prices" not in SCHEMA  # derived, not given


def test_the_demo_conf_is_valid_under_the_params_schema() -> None:
    for name, value in demo_raw().items():
        jsonschema.validate(value, SCHEMA[name])
