"""A prompts file (conf ``llm_prompts_file``): JSON Lines, one prompt per line, in the form of
AIPerf's custom ``single_turn`` dataset (``--input-file FILE --custom-dataset-type single_turn``).

Stand-in, with llm-load's names (``PromptsError``, ``load_prompts``), until llm-load's module
lands: each non-blank line is a JSON object with ``text`` (a non-empty string) and optionally
``output_length`` (an integer >= 1) and ``extra`` (an object merged into the request body).
``load_prompts`` reads the whole file and names the first bad line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path


class PromptsError(ValueError):
    """A prompts file AIPerf must not get; the message names the file, the line and what is wrong."""


@dataclass(frozen=True)
class Prompt:
    text: str
    output_length: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_prompts(path: Path) -> tuple[Prompt, ...]:
    """The prompts of the file at ``path`` (UTF-8 JSONL), or PromptsError naming the bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptsError(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    prompts = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            prompts.append(_prompt(line, f"{path} line {number}"))
    if not prompts:
        raise PromptsError(f"{path}: no prompt (one JSON object per line)")
    return tuple(prompts)


def _prompt(line: str, where: str) -> Prompt:
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise PromptsError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(record, dict):
        raise PromptsError(f"{where}: not a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise PromptsError(f'{where}: expected "text", a non-empty string')
    length = record.get("output_length")
    if length is not None and (isinstance(length, bool) or not isinstance(length, int) or length < 1):
        raise PromptsError(f'{where}: "output_length" must be an integer >= 1')
    extra = record.get("extra", {})
    if not isinstance(extra, dict):
        raise PromptsError(f'{where}: "extra" must be a JSON object')
    return Prompt(text, length, extra)
