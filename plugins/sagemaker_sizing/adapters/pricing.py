"""Live SageMaker hosting prices from the AWS Price List API, cached per day under the results root.

``pricing:GetProducts`` (service ``AmazonSageMaker``, the run's region) through the provider's
generic hook; the Price List API answers from us-east-1. Any failure falls back to the bundled
table (or ``cost_file``) and says so.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from sagemaker_sizing.adapters.aws_session import client_hook
from sagemaker_sizing.core.cost.instances import load_cost_table
from sagemaker_sizing.core.cost.sources import (
    PriceSource,
    cache_path,
    cached_sources,
    parse_price_list,
    table_source,
    type_sources,
    write_cache,
)

if TYPE_CHECKING:
    from decimal import Decimal

    from sagemaker_sizing.core.conf.model import SizingConf

log = logging.getLogger(__name__)
PRICE_LIST_REGION = "us-east-1"


def live_prices(aws_conn_id: str | None, region: str, iam_role_arn: str | None) -> dict[str, Decimal]:
    client = client_hook("pricing", aws_conn_id, PRICE_LIST_REGION, iam_role_arn).get_conn()
    pages = client.get_paginator("get_products").paginate(
        ServiceCode="AmazonSageMaker",
        FormatVersion="aws_v1",
        Filters=[{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
    )
    return parse_price_list((item for page in pages for item in page.get("PriceList", [])), region)


def resolve_prices(
    conf: SizingConf, aws_conn_id: str | None, results_root: Path | None, day: str
) -> tuple[str | None, dict[str, PriceSource], list[str]]:
    """(the cost file the run should use, or None for the conf's own; each type's price source;
    warnings). Live only with ``live_prices``; cached per region and day."""
    fallback = table_source(conf.region, conf.cost_file)
    table_sources = type_sources(conf.region, conf.cost_file, conf.type_walk)
    if not conf.live_prices:
        return None, table_sources, []
    if results_root is None:
        return (
            None,
            table_sources,
            ["live prices are cached on a local results root only: bundled prices used"],
        )
    path = cache_path(results_root, conf.region, day)
    if not path.is_file():
        try:
            live = live_prices(aws_conn_id, conf.region, conf.iam_role_arn)
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            reason = str(exc).splitlines()[0][:200]
            return None, table_sources, [f"live prices unavailable ({reason}): {fallback.describe()} used"]
        if not live:
            return (
                None,
                table_sources,
                [f"the Price List had no {conf.region} hosting prices: {fallback.describe()} used"],
            )
        bundled = load_cost_table(conf.region, Path(conf.cost_file) if conf.cost_file else None)
        write_cache(path, live, bundled, day)
        log.info("cached %d live prices in %s", len(live), path)
    sources = cached_sources(path, fallback)
    # A type the Price List did not answer keeps its bundled price and that price's source.
    sources |= {t: table_sources[t] for t in conf.type_walk if sources.get(t) == fallback}
    return str(path), {t: sources[t] for t in conf.type_walk if t in sources}, []
