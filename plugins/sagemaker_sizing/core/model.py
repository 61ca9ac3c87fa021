"""The domain: what a step tests, what it measured, and what the run recommends.

Frozen dataclasses, XCom-safe through ``core.serde``. The walk is a pure function of the plan and
every result so far, so a cleared and re-run decide task computes the same batch again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal  # noqa: TC003 (dataclass field types are resolved at run time by serde)
from typing import Any

from sagemaker_sizing.core.components.answer import ComponentsAnswer  # noqa: TC001 (serde resolves it)
from sagemaker_sizing.core.files import injector_base_name
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, FailureCount, StepOutcome

# perfsizesagemaker's phases; the adaptive walk adds its own ("probe", "bisect", "endurance", ...).
PHASE_TYPE = "type"
PHASE_MAX = "max"
PHASE_MIN = "min"


@dataclass(frozen=True)
class StepConfig:
    """One configuration under one load shape: what a single deploy → load → parse tests."""

    phase: str
    instance_type: str
    instance_count: int
    steady_state_tps: float
    steady_state_minutes: float
    ramp_start_tps: float = 0.0
    ramp_minutes: float = 0.0
    # Autoscaling steps only: the endpoint starts at the minimum and may scale to the maximum.
    scaling_min_instance_count: int | None = None
    scaling_max_instance_count: int | None = None
    invocations_target: int | None = None
    # Autoscaling steps of an LLM walk: target tracking on concurrent requests per instance
    # (SageMakerVariantConcurrentRequestsPerModelHighResolution) instead of invocations per minute.
    concurrency_target: float | None = None
    # Serverless steps only (core.walk.serverless): the variant's ServerlessConfig, and how long the
    # endpoint idles before the load starts (the cold-start step).
    memory_size_mb: int | None = None
    max_concurrency: int | None = None
    provisioned_concurrency: int | None = None
    idle_minutes: float = 0.0
    # What loads the step (conf.workload): "tps" (Gatling; rates in TPS) or "llm" (AIPerf; rates in
    # requests per second).
    workload: str = "tps"
    # An endpoint of inference components (issue 25), indexed as the conf's models
    # (core.components.models): each model's copies (0: not on this endpoint) and request rate; an
    # autoscaling step's copies are the maximum, ``min_copies`` the minimum and ``copy_targets`` the
    # concurrent requests per copy its policy tracks. ``instance_count`` is the instances managed
    # instance scaling may use (between scaling_min_instance_count and scaling_max_instance_count
    # for an autoscaling step).
    copies: tuple[int, ...] = ()
    rates: tuple[float, ...] = ()
    min_copies: tuple[int, ...] = ()
    copy_targets: tuple[float, ...] = ()

    @property
    def components(self) -> bool:
        return bool(self.copies)

    @property
    def models_loaded(self) -> tuple[int, ...]:
        """The models this step sends load to (their index), in order: one AIPerf each."""
        return tuple(i for i, rate in enumerate(self.rates) if rate > 0)

    @property
    def is_llm(self) -> bool:
        return self.workload == "llm"

    @property
    def rate_unit(self) -> str:
        return "req/s" if self.is_llm else "TPS"

    @property
    def autoscaling(self) -> bool:
        return self.scaling_max_instance_count is not None

    @property
    def serverless(self) -> bool:
        return self.memory_size_mb is not None

    @property
    def load_minutes(self) -> float:
        return self.ramp_minutes + self.steady_state_minutes

    @property
    def deployment_key(
        self,
    ) -> tuple[Any, ...]:
        """Steps with the same key can share one endpoint (only the load differs)."""
        return (
            self.instance_type,
            self.instance_count,
            self.scaling_min_instance_count,
            self.scaling_max_instance_count,
            self.invocations_target,
            self.concurrency_target,
            self.memory_size_mb,
            self.max_concurrency,
            self.provisioned_concurrency,
            self.copies,
            self.min_copies,
            self.copy_targets,
        )

    @property
    def scaling_target(self) -> str:
        """The autoscaling target in words: ``target 40/min`` or ``target 6.5 concurrent``."""
        if self.concurrency_target is not None:
            return f"target {_num(self.concurrency_target)} concurrent"
        return f"target {self.invocations_target}/min"

    def describe(self) -> str:
        """Human words for logs: ``ml.m5.large x1 at 80 TPS for 3 min`` (an LLM step: ``at 2 req/s``)."""
        size = f"{self.instance_type} x{self.instance_count}"
        if self.serverless:
            size = f"serverless {self.memory_size_mb} MB, max concurrency {self.max_concurrency}"
            if self.provisioned_concurrency:
                size += f", provisioned {self.provisioned_concurrency}"
            if self.idle_minutes:
                size += f", after {_num(self.idle_minutes)} min idle"
        elif self.components:
            size = f"{self.instance_type} x{self.instance_count}, copies {_copies(self)}"
            if self.autoscaling:
                bounds = f"{self.scaling_min_instance_count}..{self.scaling_max_instance_count}"
                size = (
                    f"{self.instance_type} {bounds}, "
                    f"copies {_copies(self)} (target {'/'.join(_num(t) for t in self.copy_targets)} per copy)"
                )
        elif self.autoscaling:
            size = (
                f"{self.instance_type} autoscaling {self.scaling_min_instance_count}.."
                f"{self.scaling_max_instance_count} ({self.scaling_target})"
            )
        unit = self.rate_unit
        rate = _num(self.steady_state_tps)
        if len(self.models_loaded) > 1:  # each model's rate: ``at 2+2 req/s``
            rate = "+".join(_num(r) for r in self.rates)
        load = f"at {rate} {unit} for {_num(self.steady_state_minutes)} min"
        if self.ramp_minutes:
            load = (
                f"ramp {_num(self.ramp_start_tps)}->{_num(self.steady_state_tps)} {unit} over "
                f"{_num(self.ramp_minutes)} min, then {load}"
            )
        return f"{size} {load}"


@dataclass(frozen=True)
class PlanItem:
    """One configuration of a round's batch: what plan hands to deploy, the load commands and parse
    (through XCom, as ``serde.plan_item_to_dict``)."""

    round: int
    lane: str  # the endpoint slot it deploys to (``ml-m5-large``, ``ml-m5-large-2``, ...)
    step: StepConfig
    endpoint_name: str | None = None  # as planned; deploy refuses to deploy under another name
    folder: str = ""  # perfsizesagemaker's step folder base name (Gatling appends a stamp)
    injectors: int = 1  # Gatling processes sharing the step's TPS
    index: int = 0  # position in the batch
    # An endpoint of inference components: each loaded model's component name, as planned (in the
    # order of ``step.models_loaded``; injector j loads the j-th).
    component_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadItem:
    """One injector's share of a plan item: what one load task runs (through XCom, as
    ``serde.load_item_to_dict``). The step's TPS is split evenly over its ``plan.injectors``."""

    plan: PlanItem
    injector: int = 0  # 0-based, below plan.injectors
    # The instant (epoch ms) a split step's injectors start together; None for one injector.
    start_at_epoch_ms: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.injector < self.plan.injectors:
            raise ValueError(f"injector must be in 0..{self.plan.injectors - 1}, got {self.injector}")

    @property
    def injectors(self) -> int:
        return self.plan.injectors

    @property
    def output_base_name(self) -> str:
        """Gatling's output base name of this injector (its results folder is this plus a stamp)."""
        return injector_base_name(self.plan.folder, self.injector, self.injectors)


@dataclass(frozen=True)
class StepResult:
    """What one step measured and whether it met the requirements.

    ``error`` set means the step did not measure the endpoint (``passed`` is then False and is no
    capacity evidence); ``error_category`` says why (core.verdicts.outcome.ErrorCategory).
    """

    step: StepConfig
    round: int
    passed: bool
    reason: str  # "p99 812 ms > 500 ms", or why the step could not be measured
    metrics: dict[str, Any] = field(default_factory=dict)  # the parser's "all" metrics
    folder: str | None = None  # the step's results folder (Gatling report inside)
    error: str | None = None  # set when the load could not run or its log could not be read
    error_category: ErrorCategory | None = None
    failures: tuple[FailureCount, ...] = ()  # the failed requests by message, most frequent first

    @property
    def outcome(self) -> StepOutcome:
        if self.error is not None:
            return StepOutcome.ERROR
        return StepOutcome.PASS if self.passed else StepOutcome.FAIL


@dataclass(frozen=True)
class Recommendation:
    """The run's answer; fields are None where a phase found nothing."""

    instance_type: str | None
    tps_per_instance: float | None
    instance_count_needed: int | None
    max_instance_count: int | None
    min_instance_count: int | None
    invocations_target: int | None
    aws_formula_invocations_target: int | None
    hourly_cost_usd: Decimal | None
    explanation: tuple[str, ...] = ()
    # The autoscaling policy's predefined metric and target value (core.walk.targets): invocations
    # per instance per minute, or concurrent requests per instance (an LLM's); None without a minimum.
    target_metric: str | None = None
    target_value: float | None = None
    # An endpoint of inference components (issue 25): its type, managed scaling and models.
    components: ComponentsAnswer | None = None


def _num(value: float) -> str:
    return f"{value:g}"


def _copies(step: StepConfig) -> str:
    """``1+0`` (copies per model), ``1..3+2..4`` with autoscaling."""
    if step.min_copies:
        return "+".join(f"{lo}..{hi}" for lo, hi in zip(step.min_copies, step.copies, strict=True))
    return "+".join(str(c) for c in step.copies)
