"""A conf's whole validation: its fields (``core.conf.model``), then what the walk needs (``core.walk``).

``validate_conf`` is what ``sagemaker-sizing validate``, the demo and the DAG's validate task run:
every problem at once (``ConfError``), or the conf with its worst case and the warnings worth
printing (a field no longer used; a worst-case test cost above ``WARN_TEST_COST_USD`` or above the
conf's own budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf.model import (
    NO_LONGER_USED,
    WARN_TEST_COST_USD,
    ConfError,
    SizingConf,
    load_conf,
)
from sagemaker_sizing.core.cost.money import dollars

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

# The DAG's round slots when nobody set [sagemaker_sizing] max_rounds: room for perfsizesagemaker's
# own walk of its README's sizes (three types, ten TPS steps, three endurance retries: 22 rounds).
DEFAULT_MAX_ROUNDS = 24


@dataclass(frozen=True)
class ValidConf:
    conf: SizingConf
    worst: walk.WorstCase
    warnings: tuple[str, ...]


def validate_conf(
    params: Mapping[str, Any],
    *,
    max_rounds: int | None = None,
    base_dir: Path | None = None,
    ignore_unknown: bool = False,
) -> ValidConf:
    """The fields, then the walk: it fits ``max_rounds`` round slots (None: not checked) and the
    budget pays its first round. Raises ConfError listing every problem."""
    conf = load_conf(params, base_dir=base_dir, ignore_unknown=ignore_unknown)
    worst = walk.worst_case(conf)
    problems = walk.fit_problems(conf, worst, max_rounds)
    if problems:
        raise ConfError(problems)
    warnings = (*unused_warnings(params), *workload_warnings(params, conf), *cost_warnings(conf, worst))
    return ValidConf(conf, worst, warnings)


def unused_warnings(params: Mapping[str, Any]) -> list[str]:
    """perfsizesagemaker's options that do nothing here, when given: the conf still validates."""
    return [
        f"{name}: no longer used: {why}; the value {params[name]!r} is ignored"
        for name, why in NO_LONGER_USED.items()
        if params.get(name) is not None
    ]


def workload_warnings(params: Mapping[str, Any], conf: SizingConf) -> list[str]:
    """Fields the conf's workload does not use, given anyway (a default or null is not "given")."""
    from sagemaker_sizing.core.conf.checks import LLM_UNUSED_BY_TPS, TPS_UNUSED_BY_LLM

    unused, why = (
        (TPS_UNUSED_BY_LLM, "AIPerf sends the prompts (llm_prompts_file or synthetic ones)")
        if conf.is_llm
        else (LLM_UNUSED_BY_TPS, "it sets up an LLM's load (workload llm)")
    )
    warnings = []
    for name in unused:
        value = params.get(name)
        if value in (None, "", []) or value == SizingConf.model_fields[name].default:
            continue
        warnings.append(
            f"{name}: not used for workload {conf.workload} ({why}); the value {value!r} is ignored"
        )
    return warnings


def cost_warnings(conf: SizingConf, worst: walk.WorstCase) -> list[str]:
    """Allowed, but said out loud: a worst case costing more than the budget (the cost guard will
    stop the walk there) or more than ``WARN_TEST_COST_USD``."""
    cost = worst.test_cost_usd
    warnings = []
    cost_text = dollars(cost, grouped=True)
    if conf.max_test_cost_usd is not None and cost > Decimal(str(conf.max_test_cost_usd)):
        warnings.append(
            f"max_test_cost_usd: the worst-case test cost {cost_text} is above the budget "
            f"{dollars(conf.max_test_cost_usd, grouped=True)}: the cost guard stops the walk before a "
            "round would pass it, and the recommendation is then built from the steps measured so far"
        )
    elif cost > WARN_TEST_COST_USD:
        warnings.append(
            f"worst-case test cost {cost_text} is above {dollars(WARN_TEST_COST_USD, grouped=True)}: set "
            "max_test_cost_usd to cap the spend, or shorten the walks (type_walk, count_walk, tps_walk, "
            "endurance_retries)"
        )
    return warnings
