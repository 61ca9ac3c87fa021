"""Price List parsing (a GetProducts response shaped as the AWS docs describe it), the per-day
cache as a cost table, and the live/fallback choice of the run's prices."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sagemaker_sizing.adapters import pricing as adapter
from sagemaker_sizing.core.cost.instances import load_cost_table
from sagemaker_sizing.core.cost.sources import (
    cached_sources,
    parse_price_list,
    table_source,
    type_sources,
)
from walk_helpers import make_conf, make_llm_conf


def product(
    usagetype: str, price: str, region: str = "us-west-2", unit: str = "Hrs", **attributes: str
) -> str:
    """One PriceList item of GetProducts (a JSON string, FormatVersion aws_v1)."""
    sku = "ABCDEF123"
    return json.dumps(
        {
            "product": {
                "productFamily": "ML Instance",
                "attributes": {
                    "servicecode": "AmazonSageMaker",
                    "regionCode": region,
                    "usagetype": usagetype,
                    "instanceName": usagetype.split(":", 1)[1],
                    "operation": "RunInstance",
                    **attributes,
                },
                "sku": sku,
            },
            "serviceCode": "AmazonSageMaker",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": unit,
                                "pricePerUnit": {"USD": price},
                                "description": "$0.1 per Hosting ml.m5.large hour",
                            }
                        },
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                    }
                }
            },
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z",
        }
    )


RESPONSE = {
    "FormatVersion": "aws_v1",
    "PriceList": [
        product("USW2-Hosting:ml.m5.large", "0.1150000000"),
        product("USW2-Hosting:ml.m5.xlarge", "0.2400000000"),
        product("USW2-Training:ml.m5.large", "0.1150000000"),  # not hosting
        product("USW2-Notebk:ml.t3.medium", "0.0500000000"),  # not hosting
        product("USE1-Hosting:ml.c5.large", "0.1000000000", region="us-east-1"),  # other region
        product("USW2-Hosting:ml.c5.large", "0.5000000000", unit="GB"),  # not per hour
    ],
}


def test_only_hosting_on_demand_hourly_prices_of_the_region() -> None:
    assert parse_price_list(RESPONSE["PriceList"], "us-west-2") == {
        "ml.m5.large": Decimal("0.1150000000"),
        "ml.m5.xlarge": Decimal("0.2400000000"),
    }


# What GetProducts answers for SageMaker in us-east-1: real-time hosting's usage type is
# "<region code>-Host:ml.<type>" with component "Hosting" (the parser used to look for
# "Hosting:ml." and found no price at all in a real answer).
REAL_GPU_ANSWER = [
    product("USE1-Host:ml.g5.xlarge", "1.4080000000", "us-east-1", component="Hosting"),
    product("USE1-Host:ml.g6e.xlarge", "2.6990000000", "us-east-1", component="Hosting"),
    product("USE1-Host:ml.inf2.xlarge", "0.9900000000", "us-east-1", component="Hosting"),
    product("USE1-Train:ml.g5.xlarge", "1.4080000000", "us-east-1", component="Training"),
    product("USE1-Tsform:ml.g5.xlarge", "1.4080000000", "us-east-1", component="Batch Transform"),
    product("USE1-Notebk:ml.g5.xlarge", "1.4080000000", "us-east-1", component="Notebook"),
]


def test_real_hosting_usage_types_are_read_gpu_and_accelerator_types_included() -> None:
    assert parse_price_list(REAL_GPU_ANSWER, "us-east-1") == {
        "ml.g5.xlarge": Decimal("1.4080000000"),
        "ml.g6e.xlarge": Decimal("2.6990000000"),
        "ml.inf2.xlarge": Decimal("0.9900000000"),
    }


def test_llm_types_are_in_every_bundled_table_marked_as_estimates() -> None:
    llm_types = [
        "ml.g5.xlarge",
        "ml.g5.2xlarge",
        "ml.g5.12xlarge",
        "ml.g5.48xlarge",
        "ml.g6.xlarge",
        "ml.g6.2xlarge",
        "ml.g6.12xlarge",
        "ml.g6e.xlarge",
        "ml.g6e.2xlarge",
        "ml.p4d.24xlarge",
        "ml.inf2.xlarge",
        "ml.inf2.8xlarge",
        "ml.inf2.24xlarge",
        "ml.inf2.48xlarge",
    ]
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        table = load_cost_table(region)
        assert all(table[t] > 0 for t in llm_types), region
        sources = type_sources(region, None, [*llm_types, "ml.m5.large"])
        for t in llm_types:
            assert sources[t].estimate, (region, t)
            assert sources[t].describe() == (
                f"bundled table resources/cost/{region}.json, "
                "estimate, not checked against the price list on 2026-12-07"
            )
        assert sources["ml.m5.large"] == table_source(region, None)
    # A cost file is the user's: no bundled estimate is claimed for it.
    assert not type_sources("us-east-1", "/tmp/prices.json", ["ml.g5.xlarge"])["ml.g5.xlarge"].estimate


def test_live_gpu_prices_replace_the_estimates_and_the_rest_keep_their_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter, "live_prices", lambda *a: parse_price_list(REAL_GPU_ANSWER, "us-east-1"))
    conf = make_llm_conf(live_prices=True, type_walk="ml.g5.xlarge,ml.g6e.xlarge,ml.g6.xlarge")
    cost_file, sources, warnings = adapter.resolve_prices(conf, None, tmp_path, "2026-12-07")
    assert warnings == [] and cost_file is not None
    table = load_cost_table("us-east-1", Path(cost_file))
    assert table["ml.g6e.xlarge"] == Decimal("2.6990000000")  # live
    assert sources["ml.g6e.xlarge"].describe() == "AWS Price List API, 2026-12-07"
    assert table["ml.g6.xlarge"] == load_cost_table("us-east-1")["ml.g6.xlarge"]  # not answered
    assert sources["ml.g6.xlarge"].estimate


def test_bundled_sources_say_their_date_and_keep_estimates_marked() -> None:
    assert (
        table_source("us-west-2", None).describe()
        == "bundled table resources/cost/us-west-2.json, 2021-08-04"
    )
    assert table_source("eu-west-1", None).describe().endswith(", estimate")


def test_live_prices_are_cached_per_day_as_a_cost_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def fake_live(*args: Any) -> dict[str, Decimal]:
        calls.append("x")
        return parse_price_list(RESPONSE["PriceList"], "us-west-2")

    monkeypatch.setattr(adapter, "live_prices", fake_live)
    conf = make_conf(live_prices=True, type_walk="ml.m5.large,ml.m5.xlarge,ml.c5.large")
    cost_file, sources, warnings = adapter.resolve_prices(conf, None, tmp_path, "2026-11-29")
    again = adapter.resolve_prices(conf, None, tmp_path, "2026-11-29")
    assert calls == ["x"]  # the second call on the same day reads the cache
    assert again[0] == cost_file == str(tmp_path / ".prices" / "us-west-2-2026-11-29.json")
    assert warnings == []
    table = load_cost_table("us-west-2", Path(cost_file))
    assert table["ml.m5.xlarge"] == Decimal("0.2400000000")  # live, not the bundled 0.23
    assert table["ml.c5.large"] == load_cost_table("us-west-2")["ml.c5.large"]  # bundled fallback
    assert sources["ml.m5.xlarge"].describe() == "AWS Price List API, 2026-11-29"
    assert sources["ml.c5.large"].describe() == "bundled table resources/cost/us-west-2.json, 2021-08-04"
    assert (
        cached_sources(Path(cost_file), table_source("us-west-2", None))["ml.m5.large"].date == "2026-11-29"
    )


def test_an_unreachable_price_list_falls_back_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(*args: Any) -> dict[str, Decimal]:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetProducts")

    monkeypatch.setattr(adapter, "live_prices", denied)
    conf = make_conf(live_prices=True)
    cost_file, sources, warnings = adapter.resolve_prices(conf, None, tmp_path, "2026-11-29")
    assert cost_file is None
    assert "AccessDeniedException" in warnings[0] and "bundled table" in warnings[0]
    assert {s.source for s in sources.values()} == {"bundled table resources/cost/us-west-2.json"}
    assert not (tmp_path / ".prices").exists()


def test_without_live_prices_nothing_is_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter, "live_prices", lambda *a: pytest.fail("asked the Price List"))
    cost_file, sources, _ = adapter.resolve_prices(make_conf(), None, tmp_path, "2026-11-29")
    assert cost_file is None and sources["ml.m5.large"].date == "2021-08-04"
