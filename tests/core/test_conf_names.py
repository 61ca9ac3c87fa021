"""Names SageMaker would refuse are refused by ``load_conf`` (so by ``validate`` and the DAG's first
task), before anything is deployed; names it accepts pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.adapters.ownership import endpoint_config_name, endpoint_name
from sagemaker_sizing.core.conf.model import ConfError, load_conf
from sagemaker_sizing.core.conf.schema import params_schema
from sagemaker_sizing.core.model import StepConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
NAME_FIELDS = ("model_name", "endpoint_name", "endpoint_config_name", "variant_name")
REFUSED = [
    "my_model",  # underscore
    "-leading-hyphen",
    "trailing-hyphen-",
    "has space",
    "dots.in.name",
    "a" * 64,  # one over SageMaker's 63
    "ünïcode",
]


def good() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((EXAMPLES / "demo.conf.json").read_text())
    return raw


@pytest.mark.parametrize("field", NAME_FIELDS)
@pytest.mark.parametrize("name", REFUSED)
def test_a_name_sagemaker_refuses_is_refused(field: str, name: str) -> None:
    with pytest.raises(ConfError) as caught:
        load_conf({**good(), field: name}, base_dir=EXAMPLES)
    (problem,) = [p for p in caught.value.problems if p.field == field]
    assert problem.value == name
    assert "SageMaker name" in problem.expected and "63" in problem.expected


def test_every_bad_name_is_listed_at_once() -> None:
    raw = {**good(), **dict.fromkeys(NAME_FIELDS, "bad_name")}
    with pytest.raises(ConfError) as caught:
        load_conf(raw, base_dir=EXAMPLES)
    assert sorted(p.field for p in caught.value.problems) == sorted(NAME_FIELDS)


@pytest.mark.parametrize("name", ["a", "A1", "a--b", "sizing-demo-2", "x" * 63])
def test_names_sagemaker_accepts_pass(name: str) -> None:
    conf = load_conf({**good(), **dict.fromkeys(NAME_FIELDS, name)}, base_dir=EXAMPLES)
    assert conf.endpoint_name == name


def test_the_params_schema_carries_the_pattern() -> None:
    """The trigger form refuses the same names (JSON schema ``pattern``)."""
    schema = params_schema()
    for field in NAME_FIELDS:
        assert schema[field]["pattern"] == r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"


def test_a_valid_base_of_63_characters_still_gives_valid_resource_names() -> None:
    """The run hash and lane the project appends never push a name past SageMaker's rules."""
    import re

    pattern = re.compile(params_schema()["endpoint_name"]["pattern"])
    step = StepConfig("max", "ml.m5.xlarge", 12, 100, 1, 0, 1, 3, 12, 1500)
    base = "b" * 63
    for name in (
        endpoint_name(base, "run/1", "ml-m5-xlarge-4"),
        endpoint_config_name(base, "run/1", "x", step),
    ):
        assert pattern.fullmatch(name), name
