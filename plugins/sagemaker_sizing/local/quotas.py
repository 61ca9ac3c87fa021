"""The local SageMaker's service quotas: per instance type for endpoint usage, and endpoints.

AWS counts a per-region, per-account quota "<type> for endpoint usage" (instances) and refuses a
CreateEndpoint / UpdateEndpoint beyond it with ResourceLimitExceeded; Service Quotas lists the
applied values. Here the values live in a JSON file (``{"ml.m5.xlarge": 0, "Number of endpoints":
4}``) named by the control plane's ``--quota-file``, read on every check, so ``sagemaker-sizing
local quota TYPE=N`` changes the quotas of a running control plane (another team taking the
capacity mid-run). Anything not in the file has a generous default.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from moto.sagemaker.exceptions import SagemakerClientError

from sagemaker_sizing.core.account.quota import ENDPOINT_COUNT_QUOTA, instance_quota_name
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

LOG = logging.getLogger(__name__)
DEFAULT_INSTANCES = 1000  # per type: no demo or test walk comes near it
DEFAULT_ENDPOINTS = 1000
COST_DIR = PROJECT_ROOT / "resources" / "cost"


class ResourceLimitExceeded(SagemakerClientError):
    code = "ResourceLimitExceeded"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class QuotaFile:
    """The applied quotas (``None`` path: every quota at its default)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def overrides(self) -> dict[str, int]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): int(v) for k, v in data.items()}

    def instances(self, instance_type: str) -> int:
        return self.overrides().get(instance_type, DEFAULT_INSTANCES)

    def endpoints(self) -> int:
        return self.overrides().get(ENDPOINT_COUNT_QUOTA, DEFAULT_ENDPOINTS)


QUOTAS = QuotaFile()


def parse_assignments(items: list[str]) -> dict[str, int]:
    """``["ml.m5.xlarge=0", "endpoints=3"]`` -> quotas (``endpoints`` is the endpoint count)."""
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not value.strip().isdigit() or not (name.startswith("ml.") or name == "endpoints"):
            raise ValueError(f"--quota {item!r}: expected TYPE=N (ml.m5.large=2) or endpoints=N")
        out[ENDPOINT_COUNT_QUOTA if name == "endpoints" else name] = int(value)
    return out


def limit_message(quota_name: str, applied: int, in_use: int, delta: int, unit: str) -> str:
    """AWS's words, as CreateEndpoint returns them."""
    return (
        f"The account-level service limit '{quota_name}' is {applied} {unit}, with current "
        f"utilization of {in_use} {unit} and a request delta of {delta} {unit}. "
        "Please use AWS Service Quotas to request an increase to this quota."
    )


def check_deploy(backend: Any, endpoint_name: str, config_name: str, *, new_endpoint: bool) -> None:
    """Raise ResourceLimitExceeded when deploying ``config_name`` on ``endpoint_name`` would pass
    a quota (instances of the other endpoints count; an update replaces this endpoint's own)."""
    if new_endpoint and len(backend.endpoints) + 1 > QUOTAS.endpoints():
        applied = QUOTAS.endpoints()
        raise ResourceLimitExceeded(
            limit_message(ENDPOINT_COUNT_QUOTA, applied, len(backend.endpoints), 1, "Endpoints")
        )
    wanted: dict[str, int] = {}
    for variant in backend.describe_endpoint_config(config_name)["ProductionVariants"]:
        if variant.get("InstanceType"):
            wanted[variant["InstanceType"]] = wanted.get(variant["InstanceType"], 0) + int(
                variant.get("InitialInstanceCount") or 0
            )
    for instance_type, delta in wanted.items():
        in_use = instances_in_use(backend, instance_type, except_endpoint=endpoint_name)
        applied = QUOTAS.instances(instance_type)
        if in_use + delta > applied:
            message = limit_message(instance_quota_name(instance_type), applied, in_use, delta, "Instances")
            LOG.warning("refused %s on %s: %s", config_name, endpoint_name, message)
            raise ResourceLimitExceeded(message)


def check_resize(backend: Any, endpoint_name: str, instance_type: str, count: int) -> None:
    """Raise ResourceLimitExceeded when changing ``endpoint_name`` to ``count`` instances in place
    would pass the type's quota (the endpoint's own instances are replaced, as in an update)."""
    in_use = instances_in_use(backend, instance_type, except_endpoint=endpoint_name)
    applied = QUOTAS.instances(instance_type)
    if in_use + count > applied:
        message = limit_message(instance_quota_name(instance_type), applied, in_use, count, "Instances")
        LOG.warning("refused %s instances on %s: %s", count, endpoint_name, message)
        raise ResourceLimitExceeded(message)


def instances_in_use(backend: Any, instance_type: str, except_endpoint: str | None = None) -> int:
    total = 0
    for name, endpoint in list(backend.endpoints.items()):
        if name == except_endpoint or endpoint.endpoint_status in ("Failed", "Deleting"):
            continue
        try:
            variants = backend.describe_endpoint_config(endpoint.endpoint_config_name)["ProductionVariants"]
        except (SagemakerClientError, KeyError):  # a config deleted under a live endpoint: nothing
            continue
        types = {v["VariantName"]: v.get("InstanceType") for v in variants}
        for variant in endpoint.production_variants:
            if types.get(variant["VariantName"]) == instance_type:
                total += int(variant.get("CurrentInstanceCount") or 0)
    return total


def known_types() -> list[str]:
    types: set[str] = set(QUOTAS.overrides()) - {ENDPOINT_COUNT_QUOTA}
    for table in COST_DIR.glob("*.json"):
        types |= set(json.loads(table.read_text()))
    return sorted(types)


def listed_quotas(region: str) -> list[dict[str, Any]]:
    """ListServiceQuotas(ServiceCode="sagemaker") as AWS shapes it: the applied values."""
    entries = [(instance_quota_name(t), QUOTAS.instances(t), "None") for t in known_types()]
    entries.append((ENDPOINT_COUNT_QUOTA, QUOTAS.endpoints(), "None"))
    return [
        {
            "ServiceCode": "sagemaker",
            "ServiceName": "Amazon SageMaker",
            "QuotaArn": f"arn:aws:servicequotas:{region}:123456789012:sagemaker/{_code(name)}",
            "QuotaCode": _code(name),
            "QuotaName": name,
            "Value": float(value),
            "Unit": unit,
            "Adjustable": True,
            "GlobalQuota": False,
        }
        for name, value, unit in entries
    ]


def _code(name: str) -> str:
    return "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()
