"""The local SageMaker's inference components as its moto backend holds them (moto has none).

One record per component (:class:`FakeInferenceComponent`), kept in a table on the SageMaker
backend itself, so moto's reset (a new backend) forgets them with everything else. Its answers
are in the shapes of AWS's DescribeInferenceComponent and ListInferenceComponents summaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.utils import arn_formatter

from sagemaker_sizing.local.placement import Resources, requirements

if TYPE_CHECKING:
    import datetime

    from moto.sagemaker.models import SageMakerModelBackend

TRANSITIONAL = ("Creating", "Updating", "Deleting")
HOLDING = ("Creating", "Updating", "InService")  # statuses whose copies take room on the instances


def now_ms() -> datetime.datetime:
    """moto's naive UTC now, to the millisecond: the precision answers carry, so a time read back
    from one filters the same component as the stored one."""
    moment = utcnow()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class FakeInferenceComponent:
    name: str
    arn: str
    endpoint_name: str
    endpoint_arn: str
    variant_name: str
    specification: dict[str, Any]
    desired_copies: int
    tags: list[dict[str, str]]  # ListTags/AddTags work on it as on moto's own resources
    instance_type: str
    status: str = "Creating"
    current_copies: int = 0
    failure_reason: str | None = None
    ready_at: float = 0.0  # time.monotonic() when a Creating/Updating/Deleting status ends
    creation_time: datetime.datetime = field(default_factory=now_ms)
    last_modified_time: datetime.datetime = field(default_factory=now_ms)

    @property
    def needs(self) -> Resources:
        """What one copy reserves on an instance."""
        return requirements(self.specification.get("ComputeResourceRequirements") or {})

    def summary(self) -> dict[str, Any]:
        return {
            "InferenceComponentName": self.name,
            "InferenceComponentArn": self.arn,
            "EndpointName": self.endpoint_name,
            "EndpointArn": self.endpoint_arn,
            "VariantName": self.variant_name,
            "InferenceComponentStatus": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }

    def describe(self) -> dict[str, Any]:
        runtime: dict[str, Any] = {
            "DesiredCopyCount": self.desired_copies,
            "CurrentCopyCount": self.current_copies,
        }
        if self.current_copies:
            runtime["PlacementStatus"] = [
                {"InstanceType": self.instance_type, "CurrentCopyCount": self.current_copies}
            ]
        described = self.summary() | {"Specification": self.specification, "RuntimeConfig": runtime}
        if self.failure_reason:
            described["FailureReason"] = self.failure_reason
        return described


def components(backend: SageMakerModelBackend) -> dict[str, FakeInferenceComponent]:
    """The backend's components, by name."""
    table: dict[str, FakeInferenceComponent] | None = getattr(backend, "inference_components", None)
    if table is None:
        table = {}
        backend.inference_components = table  # type: ignore[attr-defined]
    return table


def component_arn(backend: SageMakerModelBackend, name: str) -> str:
    return arn_formatter("inference-component", name, backend.account_id, backend.region_name)


def get(backend: SageMakerModelBackend, name: str) -> FakeInferenceComponent:
    """The component ``name``, or SageMaker's ValidationException for a name it does not know."""
    found = components(backend).get(name)
    if found is None:
        raise ValidationError(message=f"Could not find inference component '{component_arn(backend, name)}'.")
    return found


def hosted_on(
    backend: SageMakerModelBackend, endpoint_name: str, statuses: tuple[str, ...] = ()
) -> list[FakeInferenceComponent]:
    """The endpoint's components (only those in ``statuses`` when given), oldest first."""
    found = [
        c
        for c in components(backend).values()
        if c.endpoint_name == endpoint_name and (not statuses or c.status in statuses)
    ]
    return sorted(found, key=lambda c: (c.creation_time, c.name))
