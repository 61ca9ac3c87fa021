"""What is wrong with a conf: each problem names its field, what it got and what was expected.

Apart from conf.py so that the modules that check parts of a conf (serverless_conf.py) import it
without importing conf.py, which imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
