"""How long SageMaker endpoint operations take on AWS, per instance family: the deploy-time model.

Read from ``resources/deploy_times.json`` (docs/benchmarks.md, "Deploy-time model", gives each
figure's source). Durations run from the API call to the terminal status (InService, or gone for a
delete); ``NO_WAIT`` is the local SageMaker's default, where every operation is about instant.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from sagemaker_sizing.paths import PROJECT_ROOT, RESOURCES_DIR

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

DEFAULT_PATH = RESOURCES_DIR / "deploy_times.json"
FAMILIES = ("cpu", "gpu", "gpu-large", "inferentia", "serverless")
BillingStart = Literal["instance_launch", "in_service"]


class DeployTimesError(ValueError):
    """A malformed deploy-time table; the message names the file and the key."""


@dataclass(frozen=True)
class FamilyTimes:
    """Seconds from the call to the terminal status, one instance (more launch in parallel)."""

    create_s: float = 0.0  # CreateEndpoint -> InService
    update_s: float = 0.0  # UpdateEndpoint to a new endpoint config (blue/green, all at once)
    scale_out_s: float = 0.0  # a count increase in place (UpdateEndpointWeightsAndCapacities)
    scale_in_s: float = 0.0  # a count decrease in place
    delete_s: float = 0.0  # DeleteEndpoint -> gone

    def resize_s(self, old_count: int, new_count: int) -> float:
        return self.scale_out_s if new_count > old_count else self.scale_in_s


@dataclass(frozen=True)
class AutoscalingTimes:
    """Target tracking's reaction, before the new instances' own ``scale_out_s``."""

    detection_s: float = 0.0
    detection_high_resolution_s: float = 0.0
    scale_out_cooldown_s: float = 0.0
    scale_in_cooldown_s: float = 0.0


@dataclass(frozen=True)
class DeployTimes:
    families: Mapping[str, FamilyTimes]
    family_rules: tuple[tuple[re.Pattern[str], str], ...] = ()
    billing_start: BillingStart = "instance_launch"
    waiter_delay_s: float = 0.0  # a wait for a status ends on the first poll after the change
    autoscaling: AutoscalingTimes = field(default_factory=AutoscalingTimes)
    source: str = ""  # where the table came from, for the reader of a figure

    def family(self, instance_type: str) -> str:
        """The family of an instance type (a serverless lane's type is ``serverless-<MB>``)."""
        for pattern, family in self.family_rules:
            if pattern.search(instance_type):
                return family
        return "cpu"

    def of(self, instance_type: str) -> FamilyTimes:
        return self.families.get(self.family(instance_type), FamilyTimes())

    def waited(self, seconds: float) -> float:
        """How long a poller waits for a change that takes ``seconds``: up to its next poll."""
        if seconds <= 0 or self.waiter_delay_s <= 0:
            return max(seconds, 0.0)
        return math.ceil(seconds / self.waiter_delay_s - 1e-9) * self.waiter_delay_s

    def scaled(self, compression: float) -> DeployTimes:
        """Every duration divided by ``compression`` (the local SageMaker's time compression)."""
        factor = 1.0 / max(compression, 1e-9)
        return DeployTimes(
            families={
                name: FamilyTimes(*(v * factor for v in vars(times).values()))
                for name, times in self.families.items()
            },
            family_rules=self.family_rules,
            billing_start=self.billing_start,
            waiter_delay_s=self.waiter_delay_s * factor,
            autoscaling=AutoscalingTimes(*(v * factor for v in vars(self.autoscaling).values())),
            source=f"{self.source} / {compression:g}",
        )


# The local SageMaker as it runs by default: endpoints settle in about no time, nothing to wait for.
NO_WAIT = DeployTimes(families={})


def deploy_times_from_dict(raw: Mapping[str, Any], source: str = "") -> DeployTimes:
    where = f"deploy-time table {source}".strip()
    try:
        families = {
            str(name): FamilyTimes(**{k: float(v) for k, v in spec.items() if not k.startswith("_")})
            for name, spec in raw["families"].items()
        }
        rules = tuple((re.compile(str(pattern)), str(family)) for pattern, family in raw.get("family_of", ()))
        billing = str(raw.get("billing_start", "instance_launch"))
        autoscaling = AutoscalingTimes(**{k: float(v) for k, v in raw.get("autoscaling", {}).items()})
        waiter = float(raw.get("waiter_delay_s", 0.0))
    except (KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
        raise DeployTimesError(
            f"{where}: expected {{'families': {{family: {{'create_s', 'update_s', 'scale_out_s', "
            f"'scale_in_s', 'delete_s'}}}}, 'family_of': [[regex, family]], 'billing_start', "
            f"'waiter_delay_s', 'autoscaling'}} ({exc!r})"
        ) from exc
    unknown = sorted({family for _, family in rules} - set(families))
    if unknown:
        raise DeployTimesError(f"{where}: family_of names families without times: {unknown}")
    if billing not in ("instance_launch", "in_service"):
        raise DeployTimesError(f"{where}: billing_start is instance_launch or in_service, not {billing!r}")
    return DeployTimes(families, rules, cast("BillingStart", billing), waiter, autoscaling, source)


def load_deploy_times(path: Path | None = None) -> DeployTimes:
    """The deploy-time table (default: ``resources/deploy_times.json``)."""
    where = path or DEFAULT_PATH
    try:
        raw = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeployTimesError(f"deploy-time table {where}: {exc}") from exc
    shown = where.relative_to(PROJECT_ROOT) if where.is_relative_to(PROJECT_ROOT) else where
    return deploy_times_from_dict(raw, str(shown))
