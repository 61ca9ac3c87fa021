"""The conf of an LLM sizing (workload llm, issue 24): what it needs, what it refuses or warns
about, and what it derives (peak_rps is the walk's rate), every problem at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core.conf.model import ConfError, conf_from_dict, conf_to_dict, load_conf
from sagemaker_sizing.core.conf.validation import validate_conf

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def llm_raw(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((EXAMPLES / "llm.conf.json").read_text())
    raw.update(overrides)
    return {k: v for k, v in raw.items() if v is not None}


def tps_raw(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((EXAMPLES / "demo.conf.json").read_text())
    raw.update(overrides)
    return {k: v for k, v in raw.items() if v is not None}


def problems(raw: dict[str, Any], tmp: Path = EXAMPLES) -> dict[str, str]:
    with pytest.raises(ConfError) as caught:
        load_conf(raw, base_dir=tmp)
    return {p.field: f"{p.value!r}: {p.expected}" for p in caught.value.problems}


def test_the_shipped_llm_conf_is_valid_and_its_peak_is_the_walks_rate() -> None:
    conf = load_conf(llm_raw(), base_dir=EXAMPLES)
    assert conf.is_llm and conf.rate_unit == "req/s"
    assert conf.peak_tps == conf.peak_rps == 6
    assert conf.peak_output_tokens_per_s == 6 * conf.llm_output_tokens_mean
    assert conf.scenario_requests == () and conf.tps_walk == () and conf.count_walk == (2,)
    assert conf.llm_model == conf.model_name  # llm_model_id not given
    assert conf.price("ml.g6e.xlarge") > conf.price("ml.g5.xlarge") > 0


def test_an_llm_conf_crosses_xcom_and_validates_again_unchanged() -> None:
    conf = load_conf(llm_raw(llm_model_id="meta-llama/Llama-3.1-8B-Instruct"), base_dir=EXAMPLES)
    data = json.loads(json.dumps(conf_to_dict(conf)))
    assert conf_from_dict(data) == conf
    # The demo hands conf_to_dict to the DAG, whose validate task loads it again: peak_tps (the
    # derived rate, equal to peak_rps) and the empty tps fields are accepted.
    assert load_conf(data, base_dir=EXAMPLES) == conf


def test_every_missing_slo_and_the_peak_are_named_at_once_for_llm() -> None:
    found = problems(llm_raw(peak_rps=None, ttft_p99_ms=None, itl_p99_ms=None))
    assert set(found) == {"peak_rps", "ttft_p99_ms", "itl_p99_ms"}
    assert all("expected" not in v and "for workload llm" in v for v in found.values())
    assert "time to first token" in found["ttft_p99_ms"]


def test_peak_tps_for_llm_is_refused_with_the_reason() -> None:
    found = problems(llm_raw(peak_tps=1500))
    assert list(found) == ["peak_tps"]
    assert "peak_rps" in found["peak_tps"] and "tokens per second" in found["peak_tps"]


@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        ({"strategy": "perfsize"}, "strategy", "adaptive for workload llm"),
        ({"endpoint_kinds": "realtime,serverless"}, "endpoint_kinds", "realtime for workload llm"),
        ({"workload": "tokens"}, "workload", "one of tps, llm"),
        ({"llm_api": "messages"}, "llm_api", "one of chat, completions"),
        ({"llm_output_tokens_mean": 0}, "llm_output_tokens_mean", ">= 1"),
        ({"llm_input_tokens_stddev": -1}, "llm_input_tokens_stddev", ">= 0"),
        ({"ttft_p99_ms": 0}, "ttft_p99_ms", "> 0"),
        ({"llm_start_rps": "fast"}, "llm_start_rps", "a number"),
        ({"llm_prompts_file": "no-such-prompts.jsonl"}, "llm_prompts_file", "an existing file"),
        ({"type_walk": "ml.g5.gigantic"}, "type_walk", "cost table"),
    ],
)
def test_a_bad_llm_field_is_named_with_its_value_and_expectation(
    override: dict[str, Any], field: str, words: str
) -> None:
    found = problems(llm_raw(**override))
    assert field in found and words in found[field], found


def test_a_tps_conf_refuses_the_llm_peak_and_slos_and_still_needs_its_own_fields() -> None:
    found = problems(tps_raw(peak_rps=5, ttft_p99_ms=800, scenario_requests=None, tps_walk=None))
    assert set(found) == {"peak_rps", "ttft_p99_ms", "scenario_requests", "tps_walk"}
    assert "no value for workload tps" in found["peak_rps"] and "workload to llm" in found["peak_rps"]
    assert "a value (" in found["scenario_requests"] and "for workload tps" in found["tps_walk"]


def test_fields_the_workload_does_not_use_are_warned_about_not_refused() -> None:
    llm = validate_conf(llm_raw(tps_walk="1,2", jar_kind="project", count_walk="1,4"), base_dir=EXAMPLES)
    assert any(w.startswith("tps_walk: not used for workload llm") for w in llm.warnings)
    assert any(w.startswith("jar_kind: not used for workload llm") for w in llm.warnings)
    assert not any(w.startswith("count_walk") for w in llm.warnings)  # llm: the most instances
    assert llm.conf.count_walk == (1, 4)
    tps = validate_conf(tps_raw(llm_api="completions", llm_input_tokens_mean=512), base_dir=EXAMPLES)
    unused = [w for w in tps.warnings if "not used for workload tps" in w]
    assert len(unused) == 1 and unused[0].startswith("llm_api:")  # 512 is the default: not "given"
    assert validate_conf(llm_raw(), base_dir=EXAMPLES).warnings == ()


def test_a_prompts_file_is_read_and_its_bad_line_named(tmp_path: Path) -> None:
    good = tmp_path / "prompts.jsonl"
    good.write_text('{"text": "Summarise this."}\n\n{"text": "Why?", "output_length": 40}\n')
    assert load_conf(llm_raw(llm_prompts_file=str(good)), base_dir=EXAMPLES).llm_prompts_file == str(good)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"prompt": "wrong key"}\n')
    found = problems(llm_raw(llm_prompts_file=str(bad)))
    assert "line 2" in found["llm_prompts_file"] and "text" in found["llm_prompts_file"]
    worse = tmp_path / "worse.jsonl"
    worse.write_text('{"text": "fine", "output_length": 0}\n')
    assert "output_length" in problems(llm_raw(llm_prompts_file=str(worse)))["llm_prompts_file"]
