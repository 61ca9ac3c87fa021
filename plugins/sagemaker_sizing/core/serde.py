"""The domain dataclasses as XCom-safe JSON and back.

XCom values must be plain JSON types (dict, list, str, int, float, bool, None), so every value that
crosses a task boundary goes through here. Round trips are exact for ``core.model``'s dataclasses:
``step_result_from_dict(step_result_to_dict(r)) == r``. Money (``Decimal``) travels as a string so
no cent is lost to binary floats.

Two deliberate lossy spots, both inside the free-form ``StepResult.metrics`` dict only: a
``Decimal`` there becomes a string, and a non-finite float (NaN, ±inf, which strict JSON cannot
hold) becomes ``None``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any

from sagemaker_sizing.core.model import PlanItem, Recommendation, StepConfig, StepResult
from sagemaker_sizing.core.outcome import ErrorCategory, FailureCount, FailureKind

JsonValue = Any  # a nest of dict[str, ...], list, str, int, float, bool, None


def to_jsonable(obj: Any) -> JsonValue:
    """Turn ``obj`` into plain JSON types, recursively.

    The model's dataclasses use their ``*_to_dict``; other dataclasses go field by field;
    ``Decimal`` → str, tuples and sets → lists (sets sorted), paths → str, datetimes → ISO 8601,
    enums → their value, mapping keys → str. Anything else raises ``TypeError``, naming the type,
    so a non-serialisable value fails in the task that produced it, not in a later one.
    """
    if isinstance(obj, Enum):  # before str: a StrEnum is a str
        return to_jsonable(obj.value)
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, StepConfig | StepResult | Recommendation):
        return _MODEL_TO_DICT[type(obj)](obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, set | frozenset):
        return [to_jsonable(v) for v in sorted(obj, key=repr)]
    return _leaf_to_jsonable(obj)


def _leaf_to_jsonable(obj: Any) -> JsonValue:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    raise TypeError(f"cannot turn {type(obj).__name__} into JSON: {obj!r:.80}")


# --- StepConfig -------------------------------------------------------------------------------


# Serverless fields (issue 17) are written only when set, so a real-time step's JSON is as before.
_SERVERLESS_DEFAULTS: dict[str, Any] = {
    "memory_size_mb": None,
    "max_concurrency": None,
    "provisioned_concurrency": None,
    "idle_minutes": 0.0,
}


def step_config_to_dict(config: StepConfig) -> dict[str, JsonValue]:
    return {
        f.name: to_jsonable(getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in _SERVERLESS_DEFAULTS or getattr(config, f.name) != _SERVERLESS_DEFAULTS[f.name]
    }


def step_config_from_dict(data: Mapping[str, Any]) -> StepConfig:
    _require(data, StepConfig)
    return StepConfig(
        phase=str(data["phase"]),
        instance_type=str(data["instance_type"]),
        instance_count=int(data["instance_count"]),
        steady_state_tps=float(data["steady_state_tps"]),
        steady_state_minutes=float(data["steady_state_minutes"]),
        ramp_start_tps=float(data.get("ramp_start_tps", 0.0)),
        ramp_minutes=float(data.get("ramp_minutes", 0.0)),
        scaling_min_instance_count=_opt_int(data.get("scaling_min_instance_count")),
        scaling_max_instance_count=_opt_int(data.get("scaling_max_instance_count")),
        invocations_target=_opt_int(data.get("invocations_target")),
        memory_size_mb=_opt_int(data.get("memory_size_mb")),
        max_concurrency=_opt_int(data.get("max_concurrency")),
        provisioned_concurrency=_opt_int(data.get("provisioned_concurrency")),
        idle_minutes=float(data.get("idle_minutes", 0.0)),
    )


# --- PlanItem ---------------------------------------------------------------------------------


def plan_item_to_dict(item: PlanItem) -> dict[str, JsonValue]:
    return {
        "round": item.round,
        "index": item.index,
        "lane": item.lane,
        "endpoint_name": item.endpoint_name,
        "step": step_config_to_dict(item.step),
        "folder": item.folder,
        "injectors": item.injectors,
    }


def plan_item_from_dict(data: Mapping[str, Any]) -> PlanItem:
    _require(data, PlanItem)
    return PlanItem(
        round=int(data["round"]),
        lane=str(data["lane"]),
        step=step_config_from_dict(data["step"]),
        endpoint_name=_opt_str(data.get("endpoint_name")),
        folder=str(data.get("folder", "")),
        injectors=int(data.get("injectors", 1)),
        index=int(data.get("index", 0)),
    )


# --- StepResult -------------------------------------------------------------------------------


def step_result_to_dict(result: StepResult) -> dict[str, JsonValue]:
    return {
        "step": step_config_to_dict(result.step),
        "round": result.round,
        "passed": result.passed,
        "reason": result.reason,
        "metrics": to_jsonable(result.metrics),
        "folder": result.folder,
        "error": result.error,
        "error_category": None if result.error_category is None else str(result.error_category),
        "failures": [to_jsonable(f) for f in result.failures],
    }


def step_result_from_dict(data: Mapping[str, Any]) -> StepResult:
    _require(data, StepResult)
    return StepResult(
        step=step_config_from_dict(data["step"]),
        round=int(data["round"]),
        passed=_bool(data["passed"], "passed"),
        reason=str(data["reason"]),
        metrics=dict(data.get("metrics") or {}),
        folder=_opt_str(data.get("folder")),
        error=_opt_str(data.get("error")),
        error_category=None if data.get("error_category") is None else ErrorCategory(data["error_category"]),
        failures=tuple(
            FailureCount(kind=FailureKind(f["kind"]), message=str(f["message"]), count=int(f["count"]))
            for f in data.get("failures") or ()
        ),
    )


# --- Recommendation ---------------------------------------------------------------------------


def recommendation_to_dict(rec: Recommendation) -> dict[str, JsonValue]:
    return {
        "instance_type": rec.instance_type,
        "tps_per_instance": to_jsonable(rec.tps_per_instance),
        "instance_count_needed": rec.instance_count_needed,
        "max_instance_count": rec.max_instance_count,
        "min_instance_count": rec.min_instance_count,
        "invocations_target": rec.invocations_target,
        "aws_formula_invocations_target": rec.aws_formula_invocations_target,
        "hourly_cost_usd": None if rec.hourly_cost_usd is None else str(rec.hourly_cost_usd),
        "explanation": list(rec.explanation),
    }


def recommendation_from_dict(data: Mapping[str, Any]) -> Recommendation:
    _require(data, Recommendation)
    cost = data.get("hourly_cost_usd")
    tps = data.get("tps_per_instance")
    return Recommendation(
        instance_type=_opt_str(data.get("instance_type")),
        tps_per_instance=None if tps is None else float(tps),
        instance_count_needed=_opt_int(data.get("instance_count_needed")),
        max_instance_count=_opt_int(data.get("max_instance_count")),
        min_instance_count=_opt_int(data.get("min_instance_count")),
        invocations_target=_opt_int(data.get("invocations_target")),
        aws_formula_invocations_target=_opt_int(data.get("aws_formula_invocations_target")),
        # Decimal(str) keeps the exact digits the producer wrote.
        hourly_cost_usd=None if cost is None else Decimal(str(cost)),
        explanation=tuple(str(line) for line in data.get("explanation") or ()),
    )


_MODEL_TO_DICT: dict[type, Callable[[Any], dict[str, JsonValue]]] = {
    StepConfig: step_config_to_dict,
    StepResult: step_result_to_dict,
    Recommendation: recommendation_to_dict,
}


# --- helpers ----------------------------------------------------------------------------------


def _require(data: Mapping[str, Any], cls: type) -> None:
    """Fail with the missing field names; unknown keys are ignored (written by a newer version)."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
    required = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    # Recommendation's None-able fields have no default but may be absent in hand-written JSON.
    if cls is Recommendation:
        required = []
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{cls.__name__}: missing field(s) {', '.join(missing)}")


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false, got {value!r}")
    return value
