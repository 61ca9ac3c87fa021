"""What a walk asks of the account's SageMaker quotas, and whether the applied quotas hold it.

Per instance type the walk may deploy: the instances of its first step (a quota below that means
the type cannot be tested at all) and the most instances of that type the walk can hold at once,
its worst case: side-by-side lanes, endurance retries, speculative autoscaling endpoints each able
to scale out to the maximum. Computed from the conf's bounds, not by enumerating walks. Plus the
most endpoints the run keeps at once (the account's endpoint-count quota).

Quotas are counted per region and per account: instances other endpoints already run count too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sagemaker_sizing.core.walk.adaptive import lanes_for
from sagemaker_sizing.core.walk.targets import instances_for

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sagemaker_sizing.core.conf.model import SizingConf

# Service Quotas' names (service code ``sagemaker``): one quota per type, and the endpoint count.
ENDPOINT_COUNT_QUOTA = "Number of endpoints"
_ENDPOINT_COUNT = re.compile(r"^(maximum )?number of endpoints( per (account|region))?$", re.IGNORECASE)


def instance_quota_name(instance_type: str) -> str:
    """``ml.m5.large for endpoint usage``: the quota AWS names in ResourceLimitExceeded."""
    return f"{instance_type} for endpoint usage"


def is_endpoint_count_quota(name: str) -> bool:
    return bool(_ENDPOINT_COUNT.match(name.strip()))


@dataclass(frozen=True)
class TypeDemand:
    instance_type: str
    first_step: int  # instances the type's first step deploys
    most_at_once: int  # most instances of the type the walk can hold at once (worst case)


def top_count(conf: SizingConf) -> int:
    """The largest fixed count the endurance phase can reach (needed at the lowest TPS per
    instance worth testing, plus every retry)."""
    if conf.strategy == "perfsize":
        lowest = Decimal(str(min(conf.tps_walk))) / max(conf.count_walk)
        needed = math.ceil(Decimal(str(conf.peak_tps)) / lowest)
    else:
        needed = instances_for(conf.peak_tps, min(lane.floor for lane in lanes_for(conf)))
    return needed + conf.endurance_retries


def type_demands(conf: SizingConf) -> list[TypeDemand]:
    """Per type of ``type_walk`` (in order): its first step and its worst case at once."""
    types = list(dict.fromkeys(conf.type_walk))
    endurance = conf.endurance_steady_state_minutes > 0
    top = top_count(conf) if endurance else 0
    if conf.strategy == "perfsize":
        # One step per round on one endpoint; the min phase's endpoint scales out to the maximum.
        first, most = conf.count_walk[0], max(*conf.count_walk, top)
    else:
        # Lanes test one instance each; an endurance round holds the fixed count beside up to
        # width - 1 autoscaling endpoints, each able to scale out to that count; the min search
        # holds up to width of them.
        width = conf.max_parallel_endpoints
        autoscale = endurance and conf.endurance_ramp_minutes > 0 and top > 1
        beside = min(width - 1, top - 1) if autoscale else 0
        search = top * min(width, top - 1) if autoscale else 0
        first, most = 1, max(1, top * (1 + beside), search)
    return [TypeDemand(t, first, most) for t in types]


def most_endpoints_at_once(conf: SizingConf) -> int:
    """Endpoints the run keeps at once (idle lanes are deleted before a round deploys)."""
    if conf.strategy == "perfsize":
        return 1
    types = len(dict.fromkeys(conf.type_walk))
    if conf.endurance_steady_state_minutes <= 0:
        return types
    autoscale = conf.endurance_ramp_minutes > 0
    return max(types, min(conf.max_parallel_endpoints, top_count(conf)) if autoscale else 1)


@dataclass(frozen=True)
class QuotaVerdict:
    """One quota against what the walk needs of it."""

    quota_name: str
    applied: float | None  # None: Service Quotas does not list it (not checked)
    in_use: int  # what the account already runs (other endpoints)
    first_step: int
    most_at_once: int
    instance_type: str | None = None  # None for the endpoint-count quota

    @property
    def blocks_first_step(self) -> bool:
        return self.applied is not None and self.in_use + self.first_step > self.applied

    @property
    def may_be_hit(self) -> bool:
        return self.applied is not None and self.in_use + self.most_at_once > self.applied

    def describe(self) -> str:
        unit = "endpoints" if self.instance_type is None else "instances"
        applied = "not listed by Service Quotas" if self.applied is None else f"{self.applied:g}"
        text = f"'{self.quota_name}' is {applied}, with {self.in_use} in use"
        if self.blocks_first_step:
            return (
                f"{text}: the first step needs {self.first_step} more {unit}; request an increase "
                f"to at least {self.in_use + self.first_step} (AWS Service Quotas)"
                + (f", or drop {self.instance_type} from type_walk" if self.instance_type else "")
            )
        if self.may_be_hit:
            return (
                f"{text}: the walk's worst case holds {self.most_at_once} {unit} at once, so it may "
                f"meet this quota mid-run; an increase to {self.in_use + self.most_at_once} rules that out"
            )
        return f"{text}: holds the walk's worst case of {self.most_at_once} {unit}"


def assess(
    conf: SizingConf,
    applied: Mapping[str, float],
    in_use: Mapping[str, int],
    endpoints_in_use: int,
) -> list[QuotaVerdict]:
    """Every per-type quota of the walk, then the endpoint-count quota.

    ``applied`` maps quota names (as Service Quotas lists them) to values; ``in_use`` the
    instances per type the account's endpoints run.
    """
    verdicts = [
        QuotaVerdict(
            quota_name=instance_quota_name(d.instance_type),
            applied=applied.get(instance_quota_name(d.instance_type)),
            in_use=in_use.get(d.instance_type, 0),
            first_step=d.first_step,
            most_at_once=d.most_at_once,
            instance_type=d.instance_type,
        )
        for d in type_demands(conf)
    ]
    count_name = next((name for name in applied if is_endpoint_count_quota(name)), ENDPOINT_COUNT_QUOTA)
    verdicts.append(
        QuotaVerdict(
            quota_name=count_name,
            applied=applied.get(count_name),
            in_use=endpoints_in_use,
            first_step=1 if conf.strategy == "perfsize" else len(dict.fromkeys(conf.type_walk)),
            most_at_once=most_endpoints_at_once(conf),
        )
    )
    return verdicts
