"""The DAG's Params schema, read from ``SizingConf``: one JSON schema per field, in field order.

It describes what a user types (Airflow checks a trigger's conf with it, and the trigger form is
drawn from it): a walk is a string or an array, a default is written as a user would write it.
``load_conf`` then checks every value in full. docs/conf-reference.md
(scripts/gen_conf_reference.py) and ``sagemaker-sizing validate --help`` are made from it too.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, get_origin

from annotated_types import Ge, Gt, Le
from pydantic import StringConstraints

from sagemaker_sizing.core.conf.field_types import kind_of
from sagemaker_sizing.core.conf.model import FIELD_TYPES, NO_LONGER_USED, SizingConf

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def params_schema() -> dict[str, dict[str, Any]]:
    """One JSON schema per field, then the fields no longer used; required fields have no ``default``."""
    schemas = {name: field_schema(FIELD_TYPES[name], SizingConf.model_fields[name]) for name in FIELD_TYPES}
    for name, why in NO_LONGER_USED.items():
        schemas[name] = {"type": ["string", "null"], "description": f"no longer used: {why}", "default": None}
    return schemas


def field_schema(annotation: Any, info: FieldInfo) -> dict[str, Any]:
    """The JSON schema of one field (what an Airflow ``Param`` takes as keyword arguments)."""
    kind = kind_of(annotation)
    if kind.choices is not None:
        types = ["string"]
    elif get_origin(kind.base) is tuple:  # a walk or the requests: perfsizesagemaker's string, or JSON
        types = ["string", "array"]
    else:
        types = [_JSON_TYPES[kind.base]]
    if kind.nullable or (not info.is_required() and info.default is None):
        types.append("null")  # null or absent: not given (a workload may still need it)
    schema: dict[str, Any] = {
        "type": types[0] if len(types) == 1 else types,
        "description": info.description,
    }
    if not info.is_required():
        default = info.default
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
