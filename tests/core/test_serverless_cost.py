from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sagemaker_sizing.core.cost.instances import CostTableError
from sagemaker_sizing.core.cost.serverless import (
    SECONDS_PER_MONTH,
    ServerlessPrices,
    ServerlessUsage,
    break_even_average_tps,
    explain,
    load_serverless_prices,
    serverless_monthly_cost,
)

PRICES = ServerlessPrices(
    compute_per_gb_second=Decimal("0.00002"),
    data_per_gb=Decimal("0.016"),
    provisioned_per_gb_second=Decimal("0.000005"),
    provisioned_compute_per_gb_second=Decimal("0.00001"),
)
# 2 GB for 100 ms = 0.2 GB-s per request; 1 GiB of data per 1024*1024 requests of 1 KiB.
USAGE = ServerlessUsage(memory_size_mb=2048, duration_ms=100.0, bytes_per_request=1024.0)


def test_every_region_with_an_instance_table_has_serverless_prices_with_a_source():
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        prices = load_serverless_prices(region)
        assert prices.compute_per_gb_second > 0 and prices.data_per_gb > 0
        assert prices.source  # where the rates come from, and whether they are estimates


def test_missing_or_bad_price_files_are_named(tmp_path):
    with pytest.raises(CostTableError, match="ap-south-1"):
        load_serverless_prices("ap-south-1")
    bad = tmp_path / "x.json"
    bad.write_text(
        json.dumps(
            {
                "compute_per_gb_second": "-1",
                "data_per_gb": 0,
                "provisioned_per_gb_second": 0,
                "provisioned_compute_per_gb_second": 0,
            }
        )
    )
    with pytest.raises(CostTableError, match="compute_per_gb_second"):
        load_serverless_prices("x", bad)


def test_on_demand_month_is_gb_seconds_plus_data():
    cost = serverless_monthly_cost(PRICES, USAGE, average_tps=10)
    requests = 10 * SECONDS_PER_MONTH
    assert cost.compute == requests * Decimal("0.2") * Decimal("0.00002")
    assert cost.data == requests * Decimal(1024) / Decimal(1024**3) * Decimal("0.016")
    assert cost.provisioned == 0
    assert cost.total == cost.compute + cost.data
    # 10 req/s x 0.2 GB-s x 2,628,000 s x $0.00002 = $105.12
    assert round(cost.compute, 2) == Decimal("105.12")
    assert "$105.12" in explain(PRICES, USAGE, cost)


def test_provisioned_concurrency_bills_its_memory_all_month_and_its_requests_cheaper():
    usage = ServerlessUsage(2048, 100.0, 0.0, provisioned_concurrency=1)  # serves 10 req/s warm
    idle = serverless_monthly_cost(PRICES, usage, 0)
    assert idle.provisioned == 2 * Decimal("0.000005") * SECONDS_PER_MONTH and idle.compute == 0
    warm = serverless_monthly_cost(PRICES, usage, 10)
    assert warm.compute == 10 * SECONDS_PER_MONTH * Decimal("0.2") * Decimal("0.00001")
    beyond = serverless_monthly_cost(PRICES, usage, 15)
    assert beyond.compute == warm.compute + 5 * SECONDS_PER_MONTH * Decimal("0.2") * Decimal("0.00002")


def test_break_even_is_where_the_months_cost_the_same():
    realtime = Decimal("84")  # $0.115 x 730 h, one ml.m5.large, rounded
    tps = break_even_average_tps(PRICES, USAGE, realtime)
    assert tps is not None
    assert float(serverless_monthly_cost(PRICES, USAGE, tps).total) == pytest.approx(
        float(realtime), rel=1e-9
    )
    assert serverless_monthly_cost(PRICES, USAGE, tps * 1.01).total > realtime


def test_break_even_beyond_the_provisioned_kink_and_when_provisioning_alone_costs_more():
    usage = ServerlessUsage(2048, 100.0, 1024.0, provisioned_concurrency=1)
    realtime = Decimal("200")
    tps = break_even_average_tps(PRICES, usage, realtime)
    assert tps is not None and tps > 10  # past what the provisioned concurrency serves
    assert float(serverless_monthly_cost(PRICES, usage, tps).total) == pytest.approx(
        float(realtime), rel=1e-9
    )
    assert break_even_average_tps(PRICES, usage, Decimal("1")) == 0.0
