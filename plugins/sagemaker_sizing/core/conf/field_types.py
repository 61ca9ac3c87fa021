"""Each conf field's pydantic type, built from its row of ``conf_fields.FIELDS``, and pydantic's
errors turned back into ``Problem``s that name the field, the value and what was expected.

Numbers take numeric strings too (perfsizesagemaker's command line passes strings), walks a
comma-separated string or a list; path fields are resolved against the validation context's
``base`` folder and must be existing files (payloads: non-empty JSON).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)
from pydantic import Field as Constraints
from pydantic_core import PydanticCustomError

from sagemaker_sizing.core.conf.fields import (
    BOOLEAN,
    ENDPOINT_KINDS,
    INTEGER,
    NULL,
    NUMBER,
    SAGEMAKER_NAME_RULE,
    Field,
)
from sagemaker_sizing.core.conf.problems import Problem

MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)  # what SageMaker accepts for MemorySizeInMB
# What both Gatling jars send as the request's Content-Type (the project's jar's default for
# ``scenario.contentType``, which the load command does not override; the sagemaker-gatling jar's).
PAYLOAD_CONTENT_TYPE = "application/json"
_PATH_FIELDS = ("cost_file", "jar_file", "logging_config")
_REQUEST = 'an object {"path": "<file>", "weight": <number>}'


def _no_bool(value: Any) -> Any:
    """pydantic would read true as 1 (and its finiteness check overflows on an int beyond any float)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_number", "a boolean is not a number")
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise PydanticCustomError("huge_number", "an integer beyond any float")
    return value


def _number(integer: bool, gt: float | None = None, ge: float | None = None, le: float | None = None) -> Any:
    # Finite first, then the bounds: NaN is "not a number", not "not > 0".
    finite, bounds = Constraints(allow_inf_nan=False), Constraints(gt=gt, ge=ge, le=le)
    return Annotated[int if integer else float, BeforeValidator(_no_bool), finite, bounds]


def _existing_file(value: str, info: ValidationInfo) -> str:
    base: Path = info.context["base"] if info.context else Path.cwd()  # load_conf's base_dir
    path = (base / value).resolve()
    if not path.is_file():
        raise ValueError(f"an existing file (looked at {path})")
    return str(path)


def _payload(value: str, info: ValidationInfo) -> str:
    """A readable, non-empty file, and valid JSON when the content type is JSON."""
    path = Path(_existing_file(value, info))
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"a readable payload file ({path}: {exc.strerror or exc})") from exc
    if not body.strip():
        raise ValueError(f"a non-empty payload file ({path} is empty)")
    if PAYLOAD_CONTENT_TYPE.endswith("json"):
        try:
            json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(
                f"a JSON payload, as requests are sent as {PAYLOAD_CONTENT_TYPE} ({path}: {exc})"
            ) from exc
    return str(path)


@dataclass(frozen=True)
class ScenarioRequest:
    """One request file of the scenario and its share of the load.

    Building one checks nothing; validating one with pydantic (``load_conf``) reads its file.
    """

    path: Annotated[str, AfterValidator(_payload)]  # absolute once validated
    weight: Annotated[float, BeforeValidator(_no_bool), Constraints(allow_inf_nan=False), Constraints(ge=0)]


def _json_list(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"a JSON array ({exc})") from exc
    return value


def _split(value: Any) -> Any:
    """perfsizesagemaker's comma-separated form, or a JSON list."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",")] if value.strip() else []
    return value


def _walk(item: Any, *after: Any) -> Any:
    return Annotated[tuple[item, ...], BeforeValidator(_split), Constraints(min_length=1), *after]


# The walks: each item's type, and what each item must be (in the problem's words).
_WALKS: dict[str, tuple[Any, str]] = {
    "type_walk": (
        _walk(Annotated[str, StringConstraints(pattern=r"^ml\.")]),
        "instance types like ml.m5.large",
    ),
    "count_walk": (_walk(_number(True, ge=1)), "integer counts >= 1"),
    "tps_walk": (_walk(_number(False, gt=0)), "TPS numbers > 0"),
    "endpoint_kinds": (
        # canonical order, no repeats
        _walk(Literal[ENDPOINT_KINDS], AfterValidator(lambda v: tuple(k for k in ENDPOINT_KINDS if k in v))),
        " and/or ".join(ENDPOINT_KINDS),
    ),
    "serverless_memory_walk": (
        _walk(
            Annotated[int, Constraints(multiple_of=1024, ge=MEMORY_SIZES_MB[0], le=MEMORY_SIZES_MB[-1])],
            AfterValidator(lambda v: tuple(sorted(set(v)))),
        ),
        f"memory sizes in MB, each one of {', '.join(map(str, MEMORY_SIZES_MB))}",
    ),
}


def _annotation(f: Field) -> Any:
    annotation: Any
    if f.name in _WALKS:
        annotation = _WALKS[f.name][0]
    elif f.name == "scenario_requests":
        annotation = Annotated[
            tuple[ScenarioRequest, ...], BeforeValidator(_json_list), Constraints(min_length=1)
        ]
    elif f.types[0] == BOOLEAN:
        annotation = Annotated[bool, Constraints(strict=True)]
    elif f.types[0] in (NUMBER, INTEGER):
        annotation = _number(f.types[0] == INTEGER, f.exclusive_minimum, f.minimum, f.maximum)
    elif f.enum is not None:
        annotation = Literal[f.enum]
    else:
        text = StringConstraints(strip_whitespace=True, min_length=1, pattern=f.pattern)
        files = [AfterValidator(_existing_file)] if f.name in _PATH_FIELDS else []
        annotation = Annotated[str, text, *files]
    return annotation | None if NULL in f.types else annotation


@cache
def adapter(f: Field) -> TypeAdapter[Any]:
    """The field's validator (built on first use: nothing happens at import)."""
    return TypeAdapter(_annotation(f))


_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than_equal": "<="}


def _what(f: Field) -> str:
    """What a value of the wrong type should have been."""
    if f.name in _WALKS:
        return f"a comma-separated string or a list of {_WALKS[f.name][1]}"
    if f.name == "scenario_requests":
        return 'a non-empty list of {"path": ..., "weight": ...}'
    if f.types[0] == BOOLEAN:
        return "true or false"
    if f.types[0] in (NUMBER, INTEGER):
        return "an integer" if f.types[0] == INTEGER else "a number"
    if f.enum is not None:
        return f"one of {', '.join(map(str, f.enum))}"
    return "a non-empty string"


def problems(f: Field, value: Any, error: ValidationError) -> list[Problem]:
    """pydantic's errors for ``value`` of field ``f``, in the project's words."""
    found = []
    for e in error.errors():
        loc, kind = e["loc"], e["type"]
        where, got, expected = f.name, value, _what(f)
        if kind == "value_error":
            expected = str(e["ctx"]["error"])
        if f.name == "scenario_requests" and loc and isinstance(loc[0], int):
            where, got, key = f"{f.name}[{loc[0]}]", e["input"], loc[1:2]
            if key == ("weight",) and kind != "missing":
                where, expected = f"{where}.weight", "a number >= 0"
            elif key == ("path",) and kind != "missing":
                where += ".path"
                expected = expected if kind == "value_error" else "the path of a request file"
            else:
                expected = _REQUEST
        elif f.name in _WALKS and kind == "too_short":
            expected = f"at least one value ({_WALKS[f.name][1]})"
        elif f.name in _WALKS and loc:
            expected = f"{_WALKS[f.name][1]}; {e['input']!r} is not"
        elif kind in _BOUNDS:
            limit = next(iter(e["ctx"].values()))
            expected = f"{expected} {_BOUNDS[kind]} {limit:g}"
        elif kind == "string_pattern_mismatch":
            expected = f"{SAGEMAKER_NAME_RULE} (pattern {f.pattern})"
        problem = Problem(where, got, expected)
        if problem not in found:  # two empty items of one walk are one problem
            found.append(problem)
    return found
