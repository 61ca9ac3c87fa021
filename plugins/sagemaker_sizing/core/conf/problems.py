"""What is wrong with a conf: each problem names its field, what it got and what was expected;
``field_problems`` puts pydantic's errors for one field in those words."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.conf.field_types import (
    SAGEMAKER_NAME_PATTERN,
    SAGEMAKER_NAME_RULE,
    ObjectList,
    RequestList,
    Walk,
    kind_of,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    field: str
    value: Any
    expected: str

    def __str__(self) -> str:
        return f"{self.field}: got {self.value!r}, expected {self.expected}"


class ConfError(ValueError):
    """An invalid conf; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("invalid sizing conf:\n" + "\n".join(f"- {p}" for p in problems))


_BOUNDS = {"greater_than": ">", "greater_than_equal": ">=", "less_than_equal": "<="}


def field_problems(name: str, annotation: Any, value: Any, error: ValidationError) -> list[Problem]:
    """pydantic's errors for ``value`` of field ``name`` (of type ``annotation``), in the project's words."""
    kind = kind_of(annotation)
    walk, requests, objects = kind.marker(Walk), kind.marker(RequestList), kind.marker(ObjectList)
    found = []
    for e in error.errors():
        loc, code = e["loc"], e["type"]
        where, got, expected = name, value, kind.expected
        if code == "value_error":
            expected = str(e["ctx"]["error"])
        if requests is not None and loc and isinstance(loc[0], int):
            where, got, key = f"{name}[{loc[0]}]", e["input"], loc[1:2]
            if key == ("weight",) and code != "missing":
                where, expected = f"{where}.weight", "a number >= 0"
            elif key == ("path",) and code != "missing":
                where += ".path"
                expected = expected if code == "value_error" else "the path of a request file"
            else:
                expected = requests.each
        elif objects is not None and loc and isinstance(loc[0], int):
            where, got, expected = _item_problem(name, objects, e)
        elif walk is not None and code == "too_short":
            expected = f"at least one value ({walk.items})"
        elif walk is not None and loc:
            expected = f"{walk.items}; {e['input']!r} is not"
        elif code in _BOUNDS:
            limit = next(iter(e["ctx"].values()))
            expected = f"{expected} {_BOUNDS[code]} {limit:g}"
        elif code == "string_pattern_mismatch":
            expected = f"{SAGEMAKER_NAME_RULE} (pattern {SAGEMAKER_NAME_PATTERN})"
        problem = Problem(where, got, expected)
        if problem not in found:  # two empty items of one walk are one problem
            found.append(problem)
    return found


def _item_problem(name: str, objects: ObjectList, e: Any) -> tuple[str, Any, str]:
    """Where in a list of objects a problem sits (``models[1].peak_rps``), what it got, what was expected."""
    loc, code = e["loc"], e["type"]
    where = f"{name}[{loc[0]}]"
    if len(loc) < 2:
        return where, e["input"], objects.each
    where += f".{loc[1]}"
    if code == "missing":
        return where, None, "a value"
    return where, e["input"], _item_expected(e, code)


def _item_expected(e: Any, code: str) -> str:
    """What one key of a list item should have been, in pydantic's words with the project's bounds."""
    if code in _BOUNDS:
        return f"a number {_BOUNDS[code]} {next(iter(e['ctx'].values())):g}"
    if code == "string_pattern_mismatch":
        return f"{SAGEMAKER_NAME_RULE} (pattern {SAGEMAKER_NAME_PATTERN})"
    if code == "unexpected_keyword_argument":
        return "no such key"
    return str(e["msg"]).lower()


def unknown_fields(params: Mapping[str, Any], known: list[str]) -> list[Problem]:
    """A problem for each key of ``params`` that is no field, naming the closest field if any."""
    problems = []
    for name in sorted(set(params) - set(known)):
        close = difflib.get_close_matches(str(name).lower(), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(
            Problem(name, params[name], f"no such field ({hint}see `sagemaker-sizing validate --help`)")
        )
    return problems
