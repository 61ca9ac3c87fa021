"""The report of an endpoint of inference components (issue 25): recommendation.json's
``inference_components`` block and the report's tables, from one replay of the walk."""

from __future__ import annotations

from pathlib import Path

from sagemaker_sizing.core.report.render import build_report_context, render_html

from tests.core.components_samples import components_report_content
from tests.core.llm_samples import llm_report_content


def context(tmp_path: Path) -> dict:
    return build_report_context(components_report_content(), run_id="r", results_dir=tmp_path)


def test_recommendation_json_carries_the_components_block(tmp_path: Path) -> None:
    data = context(tmp_path)
    block = data["inference_components"]
    assert block["instance_type"] == "ml.g6e.xlarge"
    assert block["managed_instance_scaling"] == {"min_instance_count": 2, "max_instance_count": 3}
    assert block["hourly_cost_usd"] == "7.83"
    assert block["packing"] == [["ic-demo-summarize"], ["ic-demo-summarize"], ["ic-demo-chat"]]
    chat, summarize = block["models"]
    assert chat["compute_per_copy"] == {"accelerators": 1, "cpu_cores": 2, "memory_mb": 8192}
    assert summarize["compute_per_copy"] == {"accelerators": 1, "cpu_cores": None, "memory_mb": 12288}
    assert (summarize["min_copies"], summarize["max_copies"], summarize["target_value"]) == (1, 2, 3.0)
    assert (chat["hourly_cost_share_usd"], summarize["hourly_cost_share_usd"]) == ("2.61", "5.22")
    assert "components" not in data["recommendation"]  # the block is the answer, once
    # Each type's packed fleet for both peaks: g5.xlarge 2 + 6 copies, g6e.xlarge 1 + 2.
    per_type = data["costs"]["per_type"]
    assert {t: (v["instances"], v["hourly"]) for t, v in per_type.items()} == {
        "ml.g5.xlarge": ("8", "11.26"),
        "ml.g6e.xlarge": ("3", "7.83"),
    }
    assert data["status"] == "recommended"
    assert data["headline"] == (
        "Recommended: ml.g6e.xlarge, managed instance scaling 2..3, for ic-demo-chat 8 req/s (copies "
        "1..1, 8 concurrent per copy) and ic-demo-summarize 6 req/s (copies 1..2, 3 concurrent per copy), "
        "$7.83/hour."
    )


def test_the_report_shows_the_endpoint_and_each_model(tmp_path: Path) -> None:
    html = render_html(context(tmp_path))
    assert 'id="components-endpoint-table"' in html and 'id="components-models-table"' in html
    assert html.count('<tr data-model="') == 2
    assert "instance 1: ic-demo-summarize" in html
    assert "sagemaker:inference-component:DesiredCopyCount" in html


def test_an_endpoint_hosted_llm_report_has_no_components_block(tmp_path: Path) -> None:
    data = build_report_context(llm_report_content(), run_id="r", results_dir=tmp_path)
    assert "inference_components" not in data
    assert 'id="components-endpoint-table"' not in render_html(data)
