"""What an endpoint of inference components is to hold: the adapters' input for issue 25.

Plain frozen dataclasses, so the walk (or whoever plans a deployment) builds them from its own
types and XCom carries them as ``to_dict()`` / ``from_dict()``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import StepConfig

ROUTING_STRATEGIES = ("LEAST_OUTSTANDING_REQUESTS", "RANDOM", "PREFIX_AWARE")


@dataclass(frozen=True)
class ComponentSpec:
    """One model on the endpoint: its compute per copy, its copies, and optionally their autoscaling.

    ``accelerators`` and ``cpu_cores`` may be None (the requirement is left out: botocore refuses
    0 accelerators, and a CPU model names none). ``memory_mb`` is MinMemoryRequiredInMb, what a
    copy reserves. Autoscaling of the copy count is on when ``concurrency_target`` is set: target
    tracking on concurrent requests per copy between ``min_copies`` and ``max_copies``.
    """

    model_name: str
    copies: int
    memory_mb: int
    accelerators: float | None = None
    cpu_cores: float | None = None
    min_copies: int | None = None
    max_copies: int | None = None
    concurrency_target: float | None = None

    def __post_init__(self) -> None:
        if self.copies < 1:
            raise ValueError(
                f"{self.model_name}: a component starts with at least one copy, not {self.copies}"
            )
        if self.concurrency_target is not None and (self.min_copies is None or self.max_copies is None):
            raise ValueError(f"{self.model_name}: copy autoscaling needs min_copies and max_copies")

    @property
    def autoscaling(self) -> bool:
        return self.concurrency_target is not None

    def compute_requirements(self) -> dict[str, Any]:
        """``Specification.ComputeResourceRequirements`` of CreateInferenceComponent."""
        compute: dict[str, Any] = {"MinMemoryRequiredInMb": self.memory_mb}
        if self.accelerators is not None:
            compute["NumberOfAcceleratorDevicesRequired"] = self.accelerators
        if self.cpu_cores is not None:
            compute["NumberOfCpuCoresRequired"] = self.cpu_cores
        return compute


@dataclass(frozen=True)
class ComponentEndpointSpec:
    """The endpoint: one instance type, managed instance scaling between ``min_instances`` and
    ``max_instances`` (starting with ``initial_instances``), and its components (one per model)."""

    instance_type: str
    initial_instances: int
    min_instances: int
    max_instances: int
    components: tuple[ComponentSpec, ...]
    routing: str = "LEAST_OUTSTANDING_REQUESTS"

    def __post_init__(self) -> None:
        if not self.min_instances <= self.max_instances or self.max_instances < 1:
            raise ValueError(
                f"instances {self.min_instances}..{self.max_instances}: need min <= max and max >= 1"
            )
        if self.routing not in ROUTING_STRATEGIES:
            raise ValueError(f"routing {self.routing!r}: one of {', '.join(ROUTING_STRATEGIES)}")
        models = [c.model_name for c in self.components]
        if not models or len(set(models)) != len(models):
            raise ValueError(f"one component per model, at least one: {models}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComponentEndpointSpec:
        fields = dict(data)
        fields["components"] = tuple(ComponentSpec(**c) for c in fields["components"])
        return cls(**fields)


def spec_for_step(conf: SizingConf, step: StepConfig) -> ComponentEndpointSpec:
    """The endpoint a sizing step of inference components deploys: its type, managed instance
    scaling between the step's instance counts, and a component per model with copies (created
    largest copy first, the order the walk packed them in); an autoscaling step starts each model
    at its minimum copies with target tracking up to its maximum."""
    from sagemaker_sizing.core.components.models import component_models, packing_order

    models = component_models(conf)
    autoscale = bool(step.min_copies)
    components = tuple(
        ComponentSpec(
            model_name=models[i].model_name,
            copies=step.min_copies[i] if autoscale else step.copies[i],
            memory_mb=models[i].memory_mb,
            accelerators=models[i].accelerators,
            cpu_cores=models[i].cpu_cores,
            min_copies=step.min_copies[i] if autoscale else None,
            max_copies=step.copies[i] if autoscale else None,
            concurrency_target=step.copy_targets[i] if autoscale else None,
        )
        for i in packing_order(models)
        if step.copies[i] > 0
    )
    low = step.scaling_min_instance_count or step.instance_count
    high = step.scaling_max_instance_count or step.instance_count
    return ComponentEndpointSpec(step.instance_type, low, low, high, components)
