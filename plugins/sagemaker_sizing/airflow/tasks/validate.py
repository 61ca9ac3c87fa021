"""The validate task: every problem of the run's conf at once, before anything is deployed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow.sdk import get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.airflow import settings
from sagemaker_sizing.airflow.task_ids import VALIDATE
from sagemaker_sizing.core.conf import model as conf_mod
from sagemaker_sizing.core.conf.validation import validate_conf as validate_raw_conf
from sagemaker_sizing.core.cost.money import dollars
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import Mapping

log = logging.getLogger(__name__)


@task(task_id=VALIDATE)
def validate_conf() -> dict[str, Any]:
    """Validate the run's conf (the DAG's Params) with the core: every problem at once."""
    return validated(dict(get_current_context()["params"]))


def validated(params: Mapping[str, Any]) -> dict[str, Any]:
    """The validated conf (``conf_to_dict``); a bad conf fails the task at once, without retry."""
    try:
        valid = validate_raw_conf(params, max_rounds=settings.max_rounds(), base_dir=PROJECT_ROOT)
    except conf_mod.ConfError as exc:
        for problem in exc.problems:
            log.error("invalid conf: %s", problem)
        # A bad conf stays bad: fail at once, no retry, nothing deployed.
        raise AirflowFailException(f"invalid conf: {len(exc.problems)} problem(s): {exc}") from exc
    sizing_conf, worst = valid.conf, valid.worst
    log.info(
        "conf is valid: %sstrategy %s, peak %s %s; worst case %s rounds, %s test cost",
        "workload llm, " if sizing_conf.is_llm else "",
        sizing_conf.strategy,
        sizing_conf.peak_tps,
        sizing_conf.rate_unit,
        worst.rounds,
        dollars(worst.test_cost_usd),
    )
    for warning in valid.warnings:
        log.warning("%s", warning)
    return conf_mod.conf_to_dict(sizing_conf)
