"""The models of an endpoint of inference components, as the walk, the load and the report read them.

A conf with ``hosting: "inference_components"`` holds one model (its top-level fields) or several
(``models``; each entry's fields left out are the top-level ones). ``component_models`` resolves
them into ``ComponentModel``s, in the conf's order: a step's ``copies`` and ``rates`` are indexed
the same way. ``fits`` says how many copies of each model one instance of a type holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.components.placement import Resources, instance_resources, pack
from sagemaker_sizing.core.verdicts.llm_requirements import LlmLimits

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sagemaker_sizing.core.conf.model import SizingConf


@dataclass(frozen=True)
class ComponentModel:
    """One model: its SageMaker model, the ``model`` field of its requests, its peak, SLOs, token
    mix and compute per copy."""

    model_name: str
    model_id: str
    peak_rps: float
    limits: LlmLimits
    input_tokens_mean: int
    output_tokens_mean: int
    memory_mb: int
    accelerators: float | None = None
    cpu_cores: float | None = None
    prompts_file: str | None = None  # a JSONL file of prompts; None: synthetic ones of the token mix

    @property
    def needs(self) -> Resources:
        """What one copy reserves on an instance."""
        return Resources(
            vcpus=float(self.cpu_cores or 0),
            memory_mb=float(self.memory_mb),
            accelerators=float(self.accelerators or 0),
        )

    def compute_words(self) -> str:
        """``1 accelerator, 4 CPU cores, 8192 MiB`` (what a copy reserves)."""
        parts = []
        if self.accelerators:
            parts.append(f"{self.accelerators:g} accelerator{'s' if self.accelerators != 1 else ''}")
        if self.cpu_cores:
            parts.append(f"{self.cpu_cores:g} CPU cores")
        parts.append(f"{self.memory_mb} MiB")
        return ", ".join(parts)

    def compute(self) -> dict[str, Any]:
        """``{"accelerators", "cpu_cores", "memory_mb"}`` as recommendation.json shows it."""
        return {"accelerators": self.accelerators, "cpu_cores": self.cpu_cores, "memory_mb": self.memory_mb}


def component_models(conf: SizingConf) -> tuple[ComponentModel, ...]:
    """The conf's models in order (the top-level model when ``models`` is empty)."""
    top = _defaults(conf)
    if not conf.models:
        return (_model({"model_name": conf.model_name, "peak_rps": conf.peak_tps}, top),)
    return tuple(
        _model({k: v for k, v in vars(entry).items() if v is not None}, top) for entry in conf.models
    )


def _defaults(conf: SizingConf) -> dict[str, Any]:
    return {
        "copy_memory_mb": conf.copy_memory_mb,
        "copy_accelerators": conf.copy_accelerators,
        "copy_cpu_cores": conf.copy_cpu_cores,
        "ttft_p99_ms": conf.ttft_p99_ms,
        "itl_p99_ms": conf.itl_p99_ms,
        "latency_success_p99": conf.latency_success_p99,
        "percent_fail": conf.percent_fail,
        "llm_model_id": None,  # each model's own name, unless its entry names another
        "llm_input_tokens_mean": conf.llm_input_tokens_mean,
        "llm_output_tokens_mean": conf.llm_output_tokens_mean,
        "llm_prompts_file": conf.llm_prompts_file,
        "top_model_id": conf.llm_model_id,
        "top_model_name": conf.model_name,
    }


def _model(given: Mapping[str, Any], top: Mapping[str, Any]) -> ComponentModel:
    value = {**top, **given}
    name = str(value["model_name"])
    model_id = value.get("llm_model_id") or (top["top_model_id"] if name == top["top_model_name"] else None)
    return ComponentModel(
        model_name=name,
        model_id=str(model_id or name),
        peak_rps=float(value["peak_rps"]),
        limits=LlmLimits(
            float(value["ttft_p99_ms"]),
            float(value["itl_p99_ms"]),
            float(value["latency_success_p99"]),
            float(value["percent_fail"]),
        ),
        input_tokens_mean=int(value["llm_input_tokens_mean"]),
        output_tokens_mean=int(value["llm_output_tokens_mean"]),
        memory_mb=int(value["copy_memory_mb"]),
        accelerators=value.get("copy_accelerators"),
        cpu_cores=value.get("copy_cpu_cores"),
        prompts_file=value.get("llm_prompts_file"),
    )


def copies_per_instance(model: ComponentModel, instance_type: str) -> int:
    """How many copies of ``model`` one empty instance of the type holds (0: none fits, or a type
    the instance table does not know)."""
    offered = instance_resources(instance_type)
    return model.needs.copies_per_instance(offered) if offered is not None else 0


def instances_for_copies(
    models: Sequence[ComponentModel], copies: Sequence[int], instance_type: str
) -> int | None:
    """The fewest instances of the type that hold every model's ``copies``, packed first fit as the
    local SageMaker packs them (largest copies first, so small ones fill the gaps); None when a
    copy fits no instance of the type."""
    offered = instance_resources(instance_type)
    if offered is None:
        return None
    wanted = [
        (models[i].model_name, models[i].needs, copies[i]) for i in packing_order(models) if copies[i] > 0
    ]
    if any(not need.fits_in(offered) for _, need, _ in wanted):
        return None
    limit = sum(count for _, _, count in wanted)
    packing = pack(wanted, offered, max(1, limit))
    return packing.instance_count


def packing_order(models: Sequence[ComponentModel]) -> list[int]:
    """The models' indexes largest copy first: the order components are created in (and packed)."""
    return sorted(
        range(len(models)),
        key=lambda i: (-models[i].needs.accelerators, -models[i].needs.memory_mb, -models[i].needs.vcpus, i),
    )
