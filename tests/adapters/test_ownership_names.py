"""Names and tags: within SageMaker's limits, unique per run and deployment, tail never cut."""

from __future__ import annotations

import re

import pytest
from sagemaker_sizing.adapters import ownership
from sagemaker_sizing.core.model import StepConfig

SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
RUN = "scheduled__2025-06-01T00:00:00+00:00"


def step(count: int = 1, **scaling: object) -> StepConfig:
    return StepConfig("type", "ml.m5.large", count, 10.0, 1.0, **scaling)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base",
    ["churn", "my_model.v2", "x" * 200, "--weird__name--", "ünïcode model", ""],
)
def test_names_are_valid_sagemaker_names(base: str) -> None:
    scaled = step(3, scaling_min_instance_count=3, scaling_max_instance_count=12, invocations_target=99999)
    for name in (
        ownership.endpoint_name(base, RUN, "ml-m5-24xlarge"),
        ownership.endpoint_config_name(base, RUN, "ml-m5-24xlarge", step(100)),
        ownership.endpoint_config_name(base, RUN, "ml-m5-24xlarge", scaled),
    ):
        assert SAGEMAKER_NAME.match(name), name


def test_endpoint_name_reads_base_run_hash_lane() -> None:
    name = ownership.endpoint_name("churn", RUN, "ml-m5-large")
    assert name == f"churn-{ownership.run_hash(RUN)}-ml-m5-large"


def test_long_base_is_shortened_but_the_unique_tail_is_kept() -> None:
    name = ownership.endpoint_name("a" * 100, RUN, "ml-m5-large")
    assert len(name) == 63 and name.endswith(f"-{ownership.run_hash(RUN)}-ml-m5-large")


def test_config_names_differ_per_deployment_and_run_but_not_per_tps() -> None:
    names = {
        ownership.endpoint_config_name("m", RUN, "ml-m5-large", step(1)),
        ownership.endpoint_config_name("m", RUN, "ml-m5-large", step(2)),
        ownership.endpoint_config_name(
            "m",
            RUN,
            "ml-m5-large",
            step(2, scaling_min_instance_count=2, scaling_max_instance_count=4, invocations_target=10),
        ),
        ownership.endpoint_config_name("m", "another-run", "ml-m5-large", step(1)),
        ownership.endpoint_config_name("m", RUN, "ml-c5-xlarge", step(1)),
    }
    assert len(names) == 5
    faster = StepConfig("type", "ml.m5.large", 1, 500.0, 1.0)
    assert ownership.endpoint_config_name("m", RUN, "ml-m5-large", faster) == ownership.endpoint_config_name(
        "m", RUN, "ml-m5-large", step(1)
    )


def test_an_absurdly_long_lane_still_gives_unique_valid_names() -> None:
    one = ownership.endpoint_name("m", RUN, "lane-" + "a" * 80 + "-one")
    two = ownership.endpoint_name("m", RUN, "lane-" + "a" * 80 + "-two")
    assert one != two and SAGEMAKER_NAME.match(one) and SAGEMAKER_NAME.match(two)


def test_lane_for_instance_type() -> None:
    assert ownership.lane_for("ml.m5.large") == "ml-m5-large"


def test_tags_and_ownership_checks() -> None:
    tags = ownership.tag_map(ownership.run_tags(RUN, "ml-m5-large"))
    assert tags == {
        "managed-by": "sagemaker-sizing",
        "sagemaker-sizing:run-id": RUN,
        "sagemaker-sizing:lane": "ml-m5-large",
    }
    assert ownership.belongs_to(tags, RUN)
    assert not ownership.belongs_to(tags, "another-run")
    assert not ownership.belongs_to({"sagemaker-sizing:run-id": RUN}, RUN)  # no managed-by: not ours
    assert not ownership.is_managed({})
