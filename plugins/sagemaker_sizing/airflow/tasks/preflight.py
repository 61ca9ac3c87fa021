"""The preflight task: the account before any spend (quotas, permissions, the model, prices)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow.sdk import task
from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.airflow import notes, settings
from sagemaker_sizing.airflow.task_ids import PREFLIGHT
from sagemaker_sizing.core.conf import model as conf_mod

if TYPE_CHECKING:
    from collections.abc import Mapping

log = logging.getLogger(__name__)


@task(task_id=PREFLIGHT, retries=0)
def preflight_account(conf: Any) -> dict[str, Any]:
    """The account before any spend (quotas, permissions, the model, prices): the conf the rounds size."""
    return preflight(conf, settings.aws_conn_id())


def preflight(conf: Mapping[str, Any], aws_conn_id: str) -> dict[str, Any]:
    """The account before any spend: every problem at once; fails without retry on a blocking one.

    Returns the conf the rounds size: with ``on_quota: "skip"``, without the types whose quota
    cannot hold even their first step (the report says why, from this task's notes).
    """
    from sagemaker_sizing.adapters.preflight import run_preflight
    from sagemaker_sizing.core.account.preflight import Severity, without_types

    sizing_conf = conf_mod.conf_from_dict(conf)
    result = run_preflight(sizing_conf, aws_conn_id)
    for finding in result.findings:  # the task log (the command line prints them itself)
        level = logging.ERROR if finding.severity is Severity.BLOCKING else logging.WARNING
        log.log(level, "preflight: %s", finding)
    if not result.ok:
        problems = "; ".join(str(f) for f in result.blocking)
        # A failed task's pushed XComs are kept: the report names these as the run's cause.
        notes.push(
            [{"check": str(f.check), "message": f.message} for f in result.blocking], key=notes.BLOCKING_KEY
        )
        raise AirflowFailException(f"preflight: {len(result.blocking)} blocking problem(s): {problems}")
    report_notes = result.report_notes()
    if result.dropped_types:
        sizing_conf = without_types(sizing_conf, result.dropped_types)
        log.warning("on_quota skip: sizing %s only", ", ".join(sizing_conf.type_walk))
    checked = conf_mod.conf_to_dict(sizing_conf)
    cost_file, price_notes = run_prices(sizing_conf, aws_conn_id)
    if cost_file is not None:
        checked["cost_file"] = cost_file  # the day's cached live prices: every later task uses them
    notes.push(report_notes + price_notes, key=notes.NOTES_KEY)
    return checked


def run_prices(sizing_conf: conf_mod.SizingConf, aws_conn_id: str) -> tuple[str | None, list[str]]:
    """The run's prices: live ones (``live_prices``, cached per day under the results root) or
    the conf's table; one report line per price with its source and date."""
    from datetime import UTC, datetime
    from pathlib import Path

    from sagemaker_sizing.adapters.pricing import resolve_prices
    from sagemaker_sizing.core.cost.instances import load_cost_table
    from sagemaker_sizing.core.cost.sources import price_notes

    root_text = str(sizing_conf.perfsize_results_dir)
    root = None if "://" in root_text else settings.resolve(root_text)
    day = datetime.now(UTC).date().isoformat()
    cost_file, sources, warnings = resolve_prices(sizing_conf, aws_conn_id, root, day)
    for warning in warnings:
        log.warning("prices: %s", warning)
    table = sizing_conf.price_table
    if cost_file is not None:
        table = load_cost_table(sizing_conf.region, Path(cost_file))
    prices = [(t, table[t]) for t in dict.fromkeys(sizing_conf.type_walk)]
    return cost_file, [f"prices: {w}" for w in warnings] + price_notes(prices, sources)
