"""A prompts file for an LLM sizing: JSON Lines, one prompt per line, in the form of AIPerf's
custom ``single_turn`` dataset (``--input-file FILE --custom-dataset-type single_turn``).

Each non-blank line is a JSON object with ``text`` (a non-empty string; or ``texts``, a non-empty
list of them) and optionally ``output_length`` (an integer >= 1: the request's max tokens) and
``extra`` (an object merged into the request body). ``check_prompts_file`` reads the whole file
and names the first bad line, so a conf is refused before anything is deployed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

MAX_PROBLEM_CHARS = 80  # of a bad line, quoted in the problem


class PromptsFileError(ValueError):
    """A prompts file that is not one AIPerf reads; the message names the file and the line."""


def check_prompts_file(path: Path) -> int:
    """The number of prompts in ``path``; raises PromptsFileError naming the first bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptsFileError(f"{path} is not a readable UTF-8 file ({exc})") from exc
    count = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        problem = _line_problem(line)
        if problem is not None:
            shown = line if len(line) <= MAX_PROBLEM_CHARS else line[:MAX_PROBLEM_CHARS] + "..."
            raise PromptsFileError(f"{path} line {number}: {problem}: {shown}")
        count += 1
    if count == 0:
        raise PromptsFileError(f"{path} holds no prompt (one JSON object per line)")
    return count


def _line_problem(line: str) -> str | None:
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(record, dict):
        return "not a JSON object"
    texts = record.get("texts", [record.get("text")] if "text" in record else None)
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t.strip() for t in texts):
        return 'no prompt: expected "text" (a non-empty string) or "texts" (a list of them)'
    length = record.get("output_length")
    if length is not None and (isinstance(length, bool) or not isinstance(length, int) or length < 1):
        return '"output_length" must be an integer >= 1'
    if "extra" in record and not isinstance(record["extra"], dict):
        return '"extra" must be a JSON object'
    return None
