"""The DAG's Params schema, read from ``SizingConf``: one JSON schema per field, in the order of the
trigger form.

It describes what a user types (Airflow checks a trigger's conf with it, and the trigger form is
drawn from it): a walk is a string or an array, a default is written as a user would write it.
``load_conf`` then checks every value in full. docs/conf-reference.md
(scripts/gen_conf_reference.py) and ``sagemaker-sizing validate --help`` are made from it too.

The form (Airflow 3 draws one section per Param ``section``, in order of appearance, and opens the
first, "Run Parameters", the fields without one): what a user thinks about first, in that order,
with every field the conf requires, each with an example (``SizingConf``'s ``examples``); the
fields with a default in folded sections (``FORM_SECTIONS``; a field no section names goes into
``ADVANCED``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, get_origin

from annotated_types import Ge, Gt, Le
from pydantic import StringConstraints
from pydantic_core import to_jsonable_python

from sagemaker_sizing.core.conf.field_types import ObjectList, kind_of
from sagemaker_sizing.core.conf.model import FIELD_TYPES, NO_LONGER_USED, SizingConf

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic.fields import FieldInfo

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}

# The form's first fields, in the order a user thinks of them: the model, the peak, the SLOs, the
# candidates, then what else a conf must name. Every field a tps conf requires is here (a test
# checks it); those an llm conf leaves out default to null (core.conf.checks.TPS_NEEDS).
FORM_FIRST = (
    "model_name",
    "peak_tps",
    "latency_success_p99",
    "percent_fail",
    "type_walk",
    "count_walk",
    "tps_walk",
    "scenario_requests",
    "region",
    "endpoint_name",
    "endpoint_config_name",
)
ADVANCED = "Advanced"
# The folded sections, in order; their fields all have defaults.
FORM_SECTIONS = {
    "LLM endpoint (workload llm)": (
        "workload",
        "peak_rps",
        "ttft_p99_ms",
        "itl_p99_ms",
        "llm_api",
        "llm_model_id",
        "llm_prompts_file",
        "llm_input_tokens_mean",
        "llm_input_tokens_stddev",
        "llm_output_tokens_mean",
        "llm_output_tokens_stddev",
        "llm_start_rps",
    ),
    "Inference components (hosting inference_components)": (
        "hosting",
        "copy_memory_mb",
        "copy_accelerators",
        "copy_cpu_cores",
        "models",
    ),
    "Load test steps": (
        "duration_minutes",
        "endurance_ramp_start_tps",
        "endurance_ramp_minutes",
        "endurance_steady_state_minutes",
        "endurance_retries",
        "strategy",
        "precision",
        "max_parallel_endpoints",
        "safety_factor",
    ),
    "Serverless": (
        "endpoint_kinds",
        "average_tps",
        "serverless_memory_walk",
        "serverless_max_concurrency",
        "serverless_provisioned_concurrency",
        "serverless_idle_minutes",
    ),
    "Cost and quotas": ("max_test_cost_usd", "live_prices", "cost_file", "on_quota"),
}


def params_schema(defaults: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """One JSON schema per field in the form's order, then the fields no longer used; required
    fields have no ``default``, unless ``defaults`` (a conf, e.g. the local demo's under ``make ui``)
    gives one: the form then opens with that conf, ready to trigger."""
    schemas = {name: field_schema(FIELD_TYPES[name], SizingConf.model_fields[name]) for name in FIELD_TYPES}
    for name, why in NO_LONGER_USED.items():
        schemas[name] = {"type": ["string", "null"], "description": f"no longer used: {why}", "default": None}
    for name, value in (defaults or {}).items():
        if name in schemas:
            schemas[name]["default"] = form_value(value)
    sectioned = {name: section for section, names in FORM_SECTIONS.items() for name in names}
    ordered = [name for name in FORM_FIRST if name in schemas]
    ordered += [name for names in FORM_SECTIONS.values() for name in names if name in schemas]
    ordered += [name for name in schemas if name not in ordered]
    for name in ordered:
        if name not in FORM_FIRST:
            schemas[name]["section"] = sectioned.get(name, ADVANCED)
    return {name: schemas[name] for name in ordered}


def form_value(value: Any) -> Any:
    """A conf's value as the form shows it: a list of plain values as perfsizesagemaker's comma
    separated string (``ml.m5.large,ml.m5.xlarge``), a list of objects as its JSON text (the
    requests); anything else as it is."""
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return value


def field_schema(annotation: Any, info: FieldInfo) -> dict[str, Any]:
    """The JSON schema of one field (what an Airflow ``Param`` takes as keyword arguments)."""
    kind = kind_of(annotation)
    if kind.choices is not None:
        types = ["string"]
    elif get_origin(kind.base) is tuple:  # a walk or the requests: perfsizesagemaker's string, or JSON
        types = ["string", "array"]
    else:
        types = [_JSON_TYPES[kind.base]]
    empty_objects = kind.marker(ObjectList) is not None and info.default == ()  # e.g. models
    if kind.nullable or (not info.is_required() and info.default is None) or empty_objects:
        types.append("null")  # null or absent: not given (a workload may still need it)
    schema: dict[str, Any] = {
        "type": types[0] if len(types) == 1 else types,
        "description": info.description,
    }
    if info.examples:  # a required field: the form shows the example (and it is in the reference)
        schema["examples"] = [form_value(e) for e in info.examples]
        schema["description"] = f"{info.description}; e.g. {info.examples[0]}"
    if not info.is_required():
        default = info.default
        if isinstance(default, tuple) and kind.marker(ObjectList) is not None:
            # A list of objects: JSON; none (an empty field, which the form sends as null).
            default = [to_jsonable_python(item) for item in default] or None
        schema["default"] = ",".join(map(str, default)) if isinstance(default, tuple) else default
    if kind.choices is not None:
        schema["enum"] = list(kind.choices)
    text = kind.marker(StringConstraints)
    if text is not None and text.pattern is not None:
        schema["pattern"] = text.pattern
    for cls, attribute, key in ((Ge, "ge", "minimum"), (Gt, "gt", "exclusiveMinimum"), (Le, "le", "maximum")):
        bound = kind.marker(cls)
        if bound is not None:
            schema[key] = getattr(bound, attribute)
    return schema


def fields_help() -> str:
    """The fields, for ``sagemaker-sizing validate --help``: each one's type and default."""
    lines = ["conf fields (each one's meaning: docs/conf-reference.md):"]
    for name, schema in params_schema().items():
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        default = f"default {json.dumps(schema['default'])}" if "default" in schema else "required"
        workload = str(schema.get("description", "")).split(" (required)", 1)
        if len(workload) == 2 and workload[0] in ("tps", "llm"):  # required by one workload
            default = f"required for workload {workload[0]}"
        lines.append(f"  {name:<36} {' or '.join(kinds)}, {default}")
    return "\n".join(lines)
