"""A prompts file is checked line by line (the bad line named) and written as AIPerf's input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sagemaker_sizing.core.llm.prompts import Prompt, PromptsError, aiperf_input, load_prompts, parse_prompts


def test_a_good_file_round_trips_into_aiperfs_single_turn_format(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"text": "Summarize Hamlet.", "output_length": 64}\n'
        "\n"
        '{"text": "Écris un haïku.", "extra": {"temperature": 0.2}}\n'
    )
    prompts = load_prompts(path)
    assert prompts == (
        Prompt("Summarize Hamlet.", 64),
        Prompt("Écris un haïku.", None, {"temperature": 0.2}),
    )
    lines = [json.loads(line) for line in aiperf_input(prompts).splitlines()]
    assert lines == [
        {"text": "Summarize Hamlet.", "output_length": 64},
        {"text": "Écris un haïku.", "extra": {"temperature": 0.2}},
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"text": "a"}\n{"text": "b"', "line 2: not JSON"),
        ('["a"]', "line 1: a JSON object is expected, got list"),
        ('{"text": ""}', 'line 1: "text" must be a non-empty string'),
        ('{"prompt": "a"}', 'line 1: unknown field(s) "prompt" (allowed: "text", "output_length", "extra")'),
        ('{"text": "a", "output_length": 0}', '"output_length" must be an integer from 1'),
        ('{"text": "a", "output_length": true}', '"output_length" must be an integer'),
        ('{"text": "a", "output_length": 1.5}', '"output_length" must be an integer'),
        ('{"text": "a", "extra": []}', '"extra" must be a JSON object'),
        ('{"text": "a", "extra": {"stream": false}}', '"extra" may not set stream'),
        ("\n\n", "no prompt"),
    ],
)
def test_a_bad_line_is_named(text: str, words: str) -> None:
    with pytest.raises(PromptsError, match=r"prompts\.jsonl") as caught:
        parse_prompts(text, "prompts.jsonl")
    assert words in str(caught.value)


def test_unreadable_files_are_refused_by_name(tmp_path: Path) -> None:
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b'{"text": "\xff"}\n')
    with pytest.raises(PromptsError, match="not UTF-8"):
        load_prompts(binary)
    with pytest.raises(PromptsError, match="cannot be read"):
        load_prompts(tmp_path / "missing.jsonl")
