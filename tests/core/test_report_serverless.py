"""The report's "Serverless vs real-time" section and recommendation.json's ``serverless`` object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagemaker_sizing.core.conf.model import load_conf
from sagemaker_sizing.core.cost.serverless_compare import summary
from sagemaker_sizing.core.report.assemble import assemble_report
from sagemaker_sizing.core.report.render import render_report
from sagemaker_sizing.core.simulate.capacity import capacity_model_from_dict
from sagemaker_sizing.core.simulate.dry_run import run_walk

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
KEYS = {
    "memory_size_mb",
    "max_concurrency",
    "provisioned_concurrency",
    "p99_ms",
    "cold_start_p99_ms",
    "monthly_cost_usd",
    "break_even_average_tps",
}


def report_of(tmp_path: Path, **extra: Any) -> tuple[dict[str, Any], str]:
    raw = {**json.loads((EXAMPLES / "serverless.conf.json").read_text()), **extra}
    conf = load_conf(raw, base_dir=EXAMPLES)
    model = capacity_model_from_dict(json.loads((EXAMPLES / "serverless.capacity.json").read_text()))
    results = run_walk(conf, model)
    content = assemble_report(conf, results, round_slots=24)
    html, data = render_report(content, run_id="manual__serverless", results_dir=tmp_path)
    return json.loads(data.read_text()), html.read_text()


def test_recommendation_json_has_the_serverless_object(tmp_path):
    data, _ = report_of(tmp_path)
    serverless = data["serverless"]
    assert set(serverless) >= KEYS
    assert serverless["memory_size_mb"] == 2048 and serverless["max_concurrency"] == 9
    assert serverless["provisioned_concurrency"] is None
    assert serverless["p99_ms"] == 450.0 and serverless["cold_start_p99_ms"] == 450.0
    # ml.m5.large x1 all month: 0.115 x 730; serverless at the 2 TPS average is cheaper
    assert serverless["realtime_monthly_cost_usd"] == "83.95"
    assert float(serverless["monthly_cost_usd"]) < 83.95 < float(serverless["monthly_cost_at_peak_usd"])
    assert 2 < serverless["break_even_average_tps"] < 20 and serverless["cheaper"] == "serverless"


def test_report_shows_the_comparison_and_its_chart(tmp_path):
    data, html = report_of(tmp_path)
    section = html[html.index('<h2 id="serverless">') : html.index('<h2 id="steps">')]
    assert "Serverless vs real-time" in section
    assert "2048 MB, max concurrency 9" in section and "ml.m5.large x1" in section
    assert "$83.95" in section  # the real-time month
    assert f"${data['serverless']['monthly_cost_usd']}" in section
    assert f"<strong>{data['serverless']['break_even_average_tps']:.2f}".rstrip("0") in section
    assert 'id="serverless-chart"' in section
    assert (
        'class="serverless"' in section and 'class="realtime"' in section and 'class="break-even"' in section
    )


def test_a_conf_with_more_traffic_than_break_even_says_real_time_is_cheaper(tmp_path):
    data, html = report_of(tmp_path, average_tps=18)
    assert data["serverless"]["cheaper"] == "realtime"
    assert "<strong>realtime</strong> is cheaper" in html


def test_realtime_only_runs_have_no_serverless_section(tmp_path):
    data, html = report_of(tmp_path, endpoint_kinds="realtime")
    assert "serverless" not in data
    assert 'id="serverless"' not in html


def test_when_no_memory_size_passes_the_section_says_so(tmp_path):
    data, html = report_of(tmp_path, serverless_memory_walk="1024")
    assert data["serverless"]["memory_size_mb"] is None and data["serverless"]["monthly_cost_usd"] is None
    assert "No serverless configuration met the requirements" in html
    assert 'id="serverless-chart"' not in html
    assert summary(data["serverless"]) == "no serverless configuration met the requirements"
