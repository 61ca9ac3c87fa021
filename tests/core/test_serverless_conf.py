from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sagemaker_sizing.core.conf.model import ConfError, conf_to_dict, load_conf

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def demo_raw(**extra: object) -> dict:
    return {**json.loads((EXAMPLES / "demo.conf.json").read_text()), **extra}


def problems_of(raw: dict) -> dict[str, str]:
    with pytest.raises(ConfError) as info:
        load_conf(raw, base_dir=EXAMPLES)
    return {p.field: str(p) for p in info.value.problems}


def test_defaults_size_realtime_only_with_no_serverless_prices():
    conf = load_conf(demo_raw(), base_dir=EXAMPLES)
    assert conf.endpoint_kinds == ("realtime",)
    assert not conf.sizes_serverless and conf.serverless_prices is None
    assert conf.serverless_memory_walk == (1024, 2048, 3072, 4096, 5120, 6144)
    assert conf.serverless_max_concurrency == 20 and conf.serverless_provisioned_concurrency is None
    assert conf.monthly_average_tps == conf.peak_tps


def test_both_kinds_as_string_or_list_load_with_the_regions_serverless_prices():
    for kinds in ("serverless,realtime", ["realtime", "serverless"]):
        conf = load_conf(
            demo_raw(endpoint_kinds=kinds, serverless_memory_walk="3072,1024", average_tps=5),
            base_dir=EXAMPLES,
        )
        assert conf.endpoint_kinds == ("realtime", "serverless")
        assert conf.serverless_memory_walk == (1024, 3072)
        assert conf.serverless_prices is not None
        assert conf.serverless_prices.compute_per_gb_second == Decimal("0.0000200")
        assert conf.monthly_average_tps == 5


def test_conf_to_dict_round_trips_the_serverless_fields():
    conf = load_conf(
        demo_raw(endpoint_kinds="serverless", serverless_provisioned_concurrency=2, average_tps=3),
        base_dir=EXAMPLES,
    )
    assert load_conf(conf_to_dict(conf), base_dir=EXAMPLES) == conf


@pytest.mark.parametrize(
    ("extra", "field", "expected"),
    [
        ({"endpoint_kinds": "lambda"}, "endpoint_kinds", "realtime and/or serverless"),
        ({"endpoint_kinds": ""}, "endpoint_kinds", "realtime and/or serverless"),
        ({"serverless_memory_walk": "1000"}, "serverless_memory_walk", "1024, 2048"),
        ({"serverless_memory_walk": [7168]}, "serverless_memory_walk", "7168 is not"),
        ({"serverless_max_concurrency": 0}, "serverless_max_concurrency", ">= 1"),
        ({"serverless_max_concurrency": 201}, "serverless_max_concurrency", "<= 200"),
        ({"serverless_provisioned_concurrency": 0}, "serverless_provisioned_concurrency", ">= 1"),
        (
            {"serverless_max_concurrency": 4, "serverless_provisioned_concurrency": 5},
            "serverless_provisioned_concurrency",
            "at most serverless_max_concurrency (4)",
        ),
        ({"average_tps": -1}, "average_tps", ">= 0"),
        ({"average_tps": 61}, "average_tps", "at most peak_tps (60)"),
        ({"serverless_idle_minutes": -1}, "serverless_idle_minutes", ">= 0"),
    ],
)
def test_bad_serverless_fields_are_named(extra: dict, field: str, expected: str):
    problems = problems_of(demo_raw(**extra))
    assert field in problems, problems
    assert expected in problems[field]


def test_a_region_without_serverless_prices_is_refused_only_when_serverless_is_sized(tmp_path):
    cost = tmp_path / "cost.json"
    cost.write_text(json.dumps({"ml.m5.large": 0.1, "ml.m5.xlarge": 0.2}))
    raw = demo_raw(region="ap-south-1", cost_file=str(cost))
    assert load_conf(raw, base_dir=EXAMPLES).region == "ap-south-1"
    problems = problems_of({**raw, "endpoint_kinds": "serverless"})
    assert "serverless prices" in problems["region"]
