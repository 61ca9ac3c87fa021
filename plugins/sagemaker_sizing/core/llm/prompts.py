"""A prompts file (conf ``llm_prompts_file``): checked line by line, and written as AIPerf's input.

The format follows AIPerf's custom single-turn dataset (``--custom-dataset-type single_turn``), a
subset of it: one JSON object per line (blank lines are skipped),

    {"text": "Summarize ...", "output_length": 128, "extra": {"temperature": 0.2}}

- ``text`` (required): the user message (chat) or the prompt (completions), a non-empty string;
- ``output_length`` (optional): the most output tokens to ask for (an integer > 0); absent, the
  server's default length;
- ``extra`` (optional): fields merged into the request body (sampling parameters), except those
  the load step sets itself (``model``, ``messages``, ``prompt``, ``stream``, ``stream_options``).

Anything else is refused, naming the line, so a file that would send something else than what
was checked never reaches AIPerf. The load step writes the checked prompts into the step folder
(``aiperf_input``) and AIPerf reads that copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

FIELDS = ("text", "output_length", "extra")
RESERVED_EXTRA = frozenset({"model", "messages", "prompt", "stream", "stream_options"})
MAX_OUTPUT_LENGTH = 1_000_000


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
    except UnicodeDecodeError as exc:
        raise PromptsError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise PromptsError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return parse_prompts(text, str(path))


def parse_prompts(text: str, source: str = "prompts") -> tuple[Prompt, ...]:
    """The prompts of JSONL ``text``; ``source`` names it in messages."""
    prompts = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            prompts.append(_prompt(line, f"{source} line {number}"))
    if not prompts:
        raise PromptsError(f'{source}: no prompt (one JSON object per line, with a "text")')
    return tuple(prompts)


def _prompt(line: str, where: str) -> Prompt:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise PromptsError(f"{where}: not JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise PromptsError(f"{where}: a JSON object is expected, got {type(data).__name__}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        allowed = ", ".join(f'"{name}"' for name in FIELDS)
        raise PromptsError(
            f"{where}: unknown field(s) {', '.join(map(json.dumps, unknown))} (allowed: {allowed})"
        )
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise PromptsError(f'{where}: "text" must be a non-empty string')
    length = data.get("output_length")
    if length is not None and (
        isinstance(length, bool) or not isinstance(length, int) or not 0 < length <= MAX_OUTPUT_LENGTH
    ):
        raise PromptsError(f'{where}: "output_length" must be an integer from 1 to {MAX_OUTPUT_LENGTH}')
    extra = data.get("extra")
    extra = {} if extra is None else extra
    if not isinstance(extra, dict):
        raise PromptsError(f'{where}: "extra" must be a JSON object')
    reserved = sorted(RESERVED_EXTRA & set(extra))
    if reserved:
        raise PromptsError(f'{where}: "extra" may not set {", ".join(reserved)} (the load step sets it)')
    return Prompt(text, length, extra)


def aiperf_input(prompts: tuple[Prompt, ...]) -> str:
    """AIPerf's single-turn JSONL of ``prompts`` (``--input-file``)."""
    lines = []
    for prompt in prompts:
        entry: dict[str, Any] = {"text": prompt.text}
        if prompt.output_length is not None:
            entry["output_length"] = prompt.output_length
        if prompt.extra:
            entry["extra"] = prompt.extra
        lines.append(json.dumps(entry, ensure_ascii=False))
    return "\n".join(lines) + "\n"
