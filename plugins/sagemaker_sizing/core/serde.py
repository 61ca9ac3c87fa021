"""The domain dataclasses as XCom-safe JSON and back, through pydantic.

XCom values must be plain JSON types (dict, list, str, int, float, bool, None), so every value that
crosses a task boundary goes through here. Round trips are exact for ``core.model``'s dataclasses:
``step_result_from_dict(step_result_to_dict(r)) == r``. Money (``Decimal``) travels as a string so
no cent is lost to binary floats. Reading, pydantic's ``TypeAdapter`` checks each field's type
against the dataclass's annotations, ignores unknown keys (written by a newer version) and names
every missing field in one ``ValueError``.

One deliberate lossy spot: a non-finite float (NaN, ±inf, which strict JSON cannot hold) becomes
``None`` (in practice only in the free-form ``StepResult.metrics`` dict).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python

from sagemaker_sizing.core.model import LoadItem, PlanItem, Recommendation, StepConfig, StepResult

JsonValue = Any  # a nest of dict[str, ...], list, str, int, float, bool, None


def to_jsonable(obj: Any) -> JsonValue:
    """Turn ``obj`` into plain JSON types, recursively (pydantic's ``to_jsonable_python``).

    Dataclasses go field by field, ``Decimal`` → str, tuples and sets → lists, paths → str,
    datetimes → ISO 8601, enums → their value, mapping keys → str, NaN and ±inf → None. Anything
    else raises ``TypeError``, naming the type, so a non-serialisable value fails in the task that
    produced it, not in a later one.
    """
    return to_jsonable_python(obj, inf_nan_mode="null", fallback=_unserialisable, **_exclude(obj))


def _unserialisable(obj: Any) -> Any:
    raise TypeError(f"cannot turn {type(obj).__name__} into JSON: {obj!r:.80}")


# Serverless fields (issue 17) and LLM ones (issue 24) are written only when set, so a real-time
# tps step's JSON is as before.
_OPTIONAL_DEFAULTS: dict[str, Any] = {
    "memory_size_mb": None,
    "max_concurrency": None,
    "provisioned_concurrency": None,
    "idle_minutes": 0.0,
    "concurrency_target": None,
    "workload": "tps",
    "copies": (),
    "rates": (),
    "min_copies": (),
    "copy_targets": (),
}


def _exclude(obj: Any) -> dict[str, Any]:
    """``to_jsonable_python``'s ``exclude`` for a model object: its step's unset optional fields."""
    if isinstance(obj, Recommendation) and obj.components is None:
        return {"exclude": {"components"}}  # an endpoint's recommendation: as before issue 25
    if isinstance(obj, LoadItem):
        inner = _exclude(obj.plan)
        return {"exclude": {"plan": inner["exclude"]}} if inner else {}
    step = obj if isinstance(obj, StepConfig) else getattr(obj, "step", None)
    if not isinstance(step, StepConfig) or not isinstance(obj, StepConfig | PlanItem | StepResult):
        return {}
    unset = {name for name, default in _OPTIONAL_DEFAULTS.items() if getattr(step, name) == default}
    if isinstance(obj, PlanItem) and not obj.component_names:
        return {"exclude": {"step": unset, "component_names": True}}
    return {"exclude": unset if obj is step else {"step": unset}}


_STEP_CONFIG = TypeAdapter(StepConfig)
_PLAN_ITEM = TypeAdapter(PlanItem)
_LOAD_ITEM = TypeAdapter(LoadItem)
_STEP_RESULT = TypeAdapter(StepResult)
_RECOMMENDATION = TypeAdapter(Recommendation)
# Recommendation's None-able fields have no default but may be absent in hand-written JSON.
_RECOMMENDATION_NONE = {
    f.name: None for f in dataclasses.fields(Recommendation) if f.default is dataclasses.MISSING
}


def step_config_to_dict(config: StepConfig) -> dict[str, JsonValue]:
    return to_jsonable(config)  # type: ignore[no-any-return]


def step_config_from_dict(data: Mapping[str, Any]) -> StepConfig:
    return _STEP_CONFIG.validate_python(data)


def plan_item_to_dict(item: PlanItem) -> dict[str, JsonValue]:
    return to_jsonable(item)  # type: ignore[no-any-return]


def plan_item_from_dict(data: Mapping[str, Any]) -> PlanItem:
    return _PLAN_ITEM.validate_python(data)


def load_item_to_dict(item: LoadItem) -> dict[str, JsonValue]:
    return to_jsonable(item)  # type: ignore[no-any-return]


def load_item_from_dict(data: Mapping[str, Any]) -> LoadItem:
    return _LOAD_ITEM.validate_python(data)


def step_result_to_dict(result: StepResult) -> dict[str, JsonValue]:
    return to_jsonable(result)  # type: ignore[no-any-return]


def step_result_from_dict(data: Mapping[str, Any]) -> StepResult:
    # pydantic would read "false" as False: a verdict must be a real boolean.
    if isinstance(data, Mapping) and "passed" in data and not isinstance(data["passed"], bool):
        raise ValueError(f"passed: expected true or false, got {data['passed']!r}")
    return _STEP_RESULT.validate_python(data)


def recommendation_to_dict(rec: Recommendation) -> dict[str, JsonValue]:
    return to_jsonable(rec)  # type: ignore[no-any-return]


def recommendation_from_dict(data: Mapping[str, Any]) -> Recommendation:
    return _RECOMMENDATION.validate_python({**_RECOMMENDATION_NONE, **data})
