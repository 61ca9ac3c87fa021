"""The kinds of value a conf field holds, as pydantic types; ``core.conf.model`` declares each field
with one of them, its bounds beside it (``Annotated[Number, Gt(0)]``).

Numbers take numeric strings too (perfsizesagemaker's command line passes strings), but no
booleans and nothing infinite; walks are a comma-separated string or a list; file fields resolve
against the validation context's ``base`` folder and must be existing files (payloads: non-empty
JSON). The markers ``Walk`` and ``RequestList`` are read by the problems and the Params schema only
(pydantic ignores them).
"""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, MinLen, MultipleOf
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    with_config,
)
from pydantic.types import AllowInfNan, Strict
from pydantic_core import PydanticCustomError

from sagemaker_sizing.core.conf.choices import ENDPOINT_KINDS, EndpointKind

# SageMaker's pattern for model, endpoint, endpoint config and variant names (63 characters at most).
SAGEMAKER_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
SAGEMAKER_NAME_RULE = (
    "a SageMaker name: letters, digits and hyphens, starting and ending with a letter or digit, "
    "at most 63 characters"
)
MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)  # what SageMaker accepts for MemorySizeInMB
# What both Gatling jars send as the request's Content-Type (the project's jar's default for
# ``scenario.contentType``, which the load command does not override; the sagemaker-gatling jar's).
PAYLOAD_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Walk:
    """A walk: perfsizesagemaker's comma-separated string or a JSON list of ``items``."""

    items: str  # what each value must be, in a problem's words

    @property
    def expected(self) -> str:
        return f"a comma-separated string or a list of {self.items}"


@dataclass(frozen=True)
class ObjectList:
    """A list of objects (``models``): a problem names the item and its key (``models[1].peak_rps``)."""

    expected: str
    each: str


@dataclass(frozen=True)
class RequestList:
    """The scenario's requests: a problem names the request (``scenario_requests[1].weight``)."""

    expected: str = 'a non-empty list of {"path": ..., "weight": ...}'
    each: str = 'an object {"path": "<file>", "weight": <number>}'


def _no_bool(value: Any) -> Any:
    """pydantic would read true as 1 (and its finiteness check overflows on an int beyond any float)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_number", "a boolean is not a number")
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise PydanticCustomError("huge_number", "an integer beyond any float")
    return value


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


def _json_list(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return []  # an empty form field (the form sends null or ""): none
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


def _canonical_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(k for k in ENDPOINT_KINDS if k in kinds)  # canonical order, no repeats


def _sorted_once(values: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(set(values)))


# Finite first, then the bounds a field adds: NaN is "not a number", not "not > 0".
Number = Annotated[float, BeforeValidator(_no_bool), AllowInfNan(False)]
Integer = Annotated[int, BeforeValidator(_no_bool)]
Flag = Annotated[bool, Strict()]  # true or false, not "yes" or 1
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=SAGEMAKER_NAME_PATTERN)]
ExistingFile = Annotated[Text, AfterValidator(_existing_file)]


@dataclass(frozen=True)
class ScenarioRequest:
    """One request file of the scenario and its share of the load.

    Building one checks nothing; validating one with pydantic (``load_conf``) reads its file.
    """

    path: Annotated[str, AfterValidator(_payload)]  # absolute once validated
    weight: Annotated[Number, Ge(0)]


ScenarioRequests = Annotated[
    tuple[ScenarioRequest, ...], BeforeValidator(_json_list), MinLen(1), RequestList()
]


@with_config(ConfigDict(extra="forbid"))  # a misspelt key is a problem, not ignored
@dataclass(frozen=True)
class ModelEntry:
    """One model of an endpoint of inference components (``models``): its SageMaker model, its peak
    and compute per copy; SLOs and token counts left out are the conf's top-level ones."""

    model_name: Name
    peak_rps: Annotated[Number, Gt(0)]
    copy_memory_mb: Annotated[Integer, Ge(1)] | None = None
    copy_accelerators: Annotated[Number, Gt(0)] | None = None
    copy_cpu_cores: Annotated[Number, Gt(0)] | None = None
    ttft_p99_ms: Annotated[Number, Gt(0)] | None = None
    itl_p99_ms: Annotated[Number, Gt(0)] | None = None
    latency_success_p99: Annotated[Number, Gt(0)] | None = None
    percent_fail: Annotated[Number, Ge(0), Le(100)] | None = None
    llm_model_id: Text | None = None
    llm_input_tokens_mean: Annotated[Integer, Ge(1)] | None = None
    llm_output_tokens_mean: Annotated[Integer, Ge(1)] | None = None
    llm_prompts_file: ExistingFile | None = None  # relative to the conf file, as the top-level one


ModelEntries = Annotated[
    tuple[ModelEntry, ...],
    BeforeValidator(_json_list),
    ObjectList(
        'a list of {"model_name": ..., "peak_rps": ..., "copy_memory_mb": ...}',
        'an object {"model_name": "<model>", "peak_rps": <req/s>, "copy_memory_mb": <MiB>, ...}',
    ),
]
InstanceTypes = Annotated[
    tuple[Annotated[str, StringConstraints(pattern=r"^ml\.")], ...],
    BeforeValidator(_split),
    MinLen(1),
    Walk("instance types like ml.m5.large"),
]
Counts = Annotated[
    tuple[Annotated[Integer, Ge(1)], ...], BeforeValidator(_split), MinLen(1), Walk("integer counts >= 1")
]
TpsValues = Annotated[
    tuple[Annotated[Number, Gt(0)], ...], BeforeValidator(_split), MinLen(1), Walk("TPS numbers > 0")
]
EndpointKinds = Annotated[
    tuple[EndpointKind, ...],
    BeforeValidator(_split),
    MinLen(1),
    AfterValidator(_canonical_kinds),
    Walk(" and/or ".join(ENDPOINT_KINDS)),
]
MemorySizes = Annotated[
    tuple[Annotated[int, MultipleOf(1024), Ge(MEMORY_SIZES_MB[0]), Le(MEMORY_SIZES_MB[-1])], ...],
    BeforeValidator(_split),
    MinLen(1),
    AfterValidator(_sorted_once),
    Walk(f"memory sizes in MB, each one of {', '.join(map(str, MEMORY_SIZES_MB))}"),
]


@dataclass(frozen=True)
class Kind:
    """A field's type taken apart: its base type, its metadata, and whether null is allowed."""

    base: Any
    metadata: tuple[Any, ...]
    nullable: bool

    def marker(self, cls: type[Any]) -> Any:
        return next((m for m in self.metadata if isinstance(m, cls)), None)

    @property
    def choices(self) -> tuple[Any, ...] | None:
        return get_args(self.base) if get_origin(self.base) is Literal else None

    @property
    def expected(self) -> str:
        """What a value of the wrong type should have been."""
        marker = self.marker(Walk) or self.marker(RequestList) or self.marker(ObjectList)
        if marker is not None:
            return str(marker.expected)
        if self.choices is not None:
            return f"one of {', '.join(map(str, self.choices))}"
        words = {bool: "true or false", int: "an integer", float: "a number"}
        return words.get(self.base, "a non-empty string")


def kind_of(annotation: Any) -> Kind:
    """``Annotated[X, ...] | None`` taken apart (nested ``Annotated`` are flat already)."""
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation):
        nullable = True
        (annotation,) = (a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return Kind(base, tuple(metadata), nullable)
    return Kind(annotation, (), nullable)
