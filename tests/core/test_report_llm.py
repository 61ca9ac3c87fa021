"""The report of an LLM sizing: recommendation.json's ``llm`` block (exactly its keys, money by the
one rule), the headline in LLM terms, each step's TTFT/ITL/e2e and tokens/s, the knee charts and the
costs per hour, month and million output tokens; a tps report stays as it was."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from llm_samples import llm_report_content
from sagemaker_sizing.core.report.llm import LLM_BLOCK_KEYS
from sagemaker_sizing.core.report.render import build_report_context, render_html
from sagemaker_sizing.core.walk.targets import CONCURRENCY_METRIC

RUN_DIR = Path("/runs/r")


def context() -> dict:
    return build_report_context(llm_report_content(), run_id="r", results_dir=RUN_DIR)


def test_the_llm_block_has_exactly_its_keys_and_the_measured_answer() -> None:
    ctx = context()
    block = ctx["llm"]
    assert tuple(block) == LLM_BLOCK_KEYS
    assert block["instance_type"] == "ml.g6.xlarge"  # the third listed type: the cheapest at 6 req/s
    assert (block["instance_count"], block["min_instance_count"], block["max_instance_count"]) == (4, 2, 4)
    assert (
        block["target_metric"] == CONCURRENCY_METRIC
        and block["target_value"] == ctx["recommendation"]["target_value"]
    )
    assert block["requests_per_s_per_instance"] == 1.5
    # The autoscaling endurance step that held the ramp and the peak measured them (2..4 x
    # ml.g6.xlarge, ending at 6 req/s); output tokens/s: the peak x the tokens per request measured.
    held = next(s for s in ctx["steps"] if s["phase"] == "min" and s["passed"])
    assert held["size"].startswith("autoscaling 2..4")
    assert block["output_tokens_per_s"] == 576
    assert block["ttft_p99_ms"] == round(held["ttft_p99"], 1) and block["itl_p99_ms"] == round(
        held["itl_p99"], 1
    )
    # $1.006/hour x 4, over 576 output tokens/s x 3600 s, per million: a string, as money is.
    expected = Decimal("4.024") / (Decimal(str(block["output_tokens_per_s"])) * 3600) * 1_000_000
    assert block["cost_per_1m_output_tokens_usd"] == f"{expected.quantize(Decimal('0.01'))}"
    assert json.loads(json.dumps(ctx, allow_nan=False))["llm"] == block  # what recommendation.json holds


def test_the_headline_says_the_answer_in_requests_and_tokens() -> None:
    headline = context()["headline"]
    assert headline.startswith("Recommended: ml.g6.xlarge x4 for 6 req/s (576 output tokens/s; 1.5 req/s")
    assert "TTFT p99" in headline and "ITL p99" in headline
    assert "concurrent requests per instance" in headline and "per 1M output tokens" in headline
    assert "TPS" not in headline


def test_requirements_costs_and_details_of_an_llm_run() -> None:
    ctx = context()
    reqs = ctx["requirements"]
    assert (reqs["peak_rps"], reqs["peak_output_tokens_per_s"], reqs["ttft_p99_ms"], reqs["itl_p99_ms"]) == (
        6,
        576,
        1500,
        60,
    )
    costs = ctx["llm_details"]["costs"]
    assert costs == {"hourly": "4.02", "monthly": "2937.52", "per_million_output_tokens": "1.94"}
    assert "endurance step" in ctx["llm_details"]["measured_by"]


def test_each_llm_step_row_has_its_latencies_tokens_and_offered_rate() -> None:
    rows = context()["steps"]
    assert all(row["load_shape"].endswith("min") and "req/s" in row["load_shape"] for row in rows)
    first = rows[0]
    assert first["ttft_p99"] is not None and first["itl_p50"] is not None
    assert first["offered_rate"] == 1.96 and first["target_tps"] == 2
    assert first["report_link"].endswith("RPS/")  # the step folder: AIPerf's files, no Gatling report
    scaled = next(row for row in rows if row["autoscaling"])
    assert "concurrent" in scaled["size"]


def test_the_html_draws_the_knee_and_the_llm_tables() -> None:
    html = render_html(context())
    assert 'id="ttft-knee-chart"' in html and 'id="itl-knee-chart"' in html
    assert "TTFT p99 SLO 1500 ms" in html and "ITL p99 SLO 60 ms" in html
    assert 'id="latency-chart"' not in html  # the knee replaces the e2e chart
    assert 'data-key="llm.cost_per_1m_output_tokens_usd">$1.94<' in html
    assert 'data-key="llm.target_metric">SageMakerVariantConcurrentRequestsPerModelHighResolution<' in html
    assert "<th>TTFT p50 / p99 ms</th>" in html and ">files</a>" in html
    assert "Instance type and count (rows) vs steady-state req/s (columns)" in html
    assert "invocations target" not in html.lower()


def test_a_tps_report_has_no_llm_part(tmp_path: Path) -> None:
    from tests.ui.browser import render_sample_report  # the hand-made tps report

    path = render_sample_report(tmp_path / "run")
    data = json.loads((path.parent / "recommendation.json").read_text())
    assert "llm" not in data and "workload" not in data and "llm_details" not in data
    assert set(data["requirements"]) == {"peak_tps", "latency_success_p99", "percent_fail"}
    assert 'id="latency-chart"' in path.read_text()


def test_a_minimum_equal_to_the_maximum_is_said_as_no_autoscaling() -> None:
    import dataclasses

    from sagemaker_sizing.core.verdicts.run_outcome import describe_llm

    content = llm_report_content()
    rec = dataclasses.replace(content.recommendation, min_instance_count=4)
    words = describe_llm(rec, content.llm or {})
    assert "no autoscaling minimum below 4 kept up with the ramp" in words
    assert "autoscaling 4..4" not in words
    assert "TTFT p99 922 ms" in words  # whole ms from 100 ms up
    assert "576 output tokens/s" in words
