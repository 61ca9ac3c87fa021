"""What a newcomer reads of an answer (issue 26): the headline says which endpoint kind is cheaper
for the conf's traffic, a tie between types names its tie-break, min = max reads as no
autoscaling and says what failed below it, and money and counts read the same everywhere."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sagemaker_sizing.core.cost.money import exact
from sagemaker_sizing.core.cost.sources import PriceSource, price_notes
from sagemaker_sizing.core.report.assemble import assemble_report, p99_at_peak
from sagemaker_sizing.core.report.render import build_report_context, render_html
from sagemaker_sizing.core.simulate.capacity import capacity_model_from_dict
from sagemaker_sizing.core.simulate.dry_run import run_walk
from sagemaker_sizing.core.verdicts.outcome import RunStatus

from tests.ui.outcome_reports import HTTP_503, conf_of, measured, outcome_content

# Autoscaling from 1 instance never keeps up with this ramp: the search ends at the maximum.
NO_AUTOSCALING = {
    "true_tps_per_instance": {"ml.m5.large": 38, "ml.m5.xlarge": 80},
    "autoscale": {"ramp_factor": 1.0},
}


def test_when_serverless_is_cheaper_at_the_confs_traffic_the_headline_says_so() -> None:
    content = outcome_content("serverless cheaper")
    serverless = content.serverless
    assert serverless is not None and serverless["cheaper"] == "serverless"
    assert content.outcome.status is RunStatus.RECOMMENDED
    headline = content.outcome.headline
    assert headline.startswith("Recommended: serverless 2048 MB, max concurrency 9 ("), headline
    assert f"${serverless['monthly_cost_usd']}/month at 2 TPS average" in headline
    realtime = serverless["realtime_monthly_cost_usd"]
    assert f"cheaper than real-time ml.m5.large x1 (${realtime}/month)" in headline
    assert f"below {serverless['break_even_average_tps']:g} TPS average" in headline


def test_when_real_time_is_cheaper_the_headline_says_so_with_both_months() -> None:
    content = outcome_content("serverless dearer")
    serverless = content.serverless
    assert serverless is not None and serverless["cheaper"] == "realtime"
    headline = content.outcome.headline
    assert headline.startswith("Recommended: ml.m5.large x1 (20 TPS per instance)"), headline
    assert (
        f"$0.115/hour (${serverless['realtime_monthly_cost_usd']}/month), cheaper than serverless 2048 MB, "
        f"max concurrency 9 (${serverless['monthly_cost_at_peak_usd']}/month at 20 TPS average)"
    ) in headline


def test_the_comparison_shows_the_real_time_p99_measured_at_peak_and_why_cold_starts_read_lower() -> None:
    content = outcome_content("serverless cheaper")
    serverless = content.serverless
    assert serverless is not None
    endurance = next(r for r in content.results if r.step.phase == "max")
    assert serverless["realtime_p99_ms"] == endurance.metrics["latency_success_p99"] == 73.01
    assert (serverless["cold_start_tps"], serverless["idle_minutes"]) == (2.0, 0.3)
    html = render_html(build_report_context(content, run_id="r", results_dir=Path("/results/r")))
    table = html.split('id="serverless-table"')[1].split("</table>")[0]
    assert '<td>p99 at peak TPS (20)</td><td class="n">73.01 ms</td>' in table
    assert "Cold-start p99 (after 0.3 min idle, at 2 TPS)" in table
    assert 'id="cold-start-note"' in html and "not the peak" in html


def test_no_fixed_fleet_measured_at_peak_has_no_p99_at_peak() -> None:
    content = outcome_content("partial")
    assert p99_at_peak(content.results, content.recommendation) is None


def test_a_tie_between_types_names_its_tie_break() -> None:
    explanation = outcome_content("recommended").recommendation.explanation
    assert (
        "ml.m5.large x2 and ml.m5.xlarge x1 cost the same for the peak ($0.23/hour): the tie goes to "
        "ml.m5.large, listed first in type_walk."
    ) in explanation
    # One instance is "1 instance".
    one = "ml.m5.xlarge: one instance held 60 TPS; ceiling(60 / 60) = 1 instance = $0.23/hour."
    assert one in explanation


def test_min_equal_to_max_reads_as_no_autoscaling_and_says_what_failed_below_it() -> None:
    conf = conf_of("demo")
    results = [measured(conf, r) for r in run_walk(conf, capacity_model_from_dict(NO_AUTOSCALING))]
    content = assemble_report(conf, results, round_slots=24)
    rec = content.recommendation
    assert (rec.min_instance_count, rec.max_instance_count) == (2, 2)
    assert "no autoscaling (no smaller minimum kept up with the ramp)" in content.outcome.headline
    assert "2..2" not in content.outcome.headline
    assert rec.explanation[-1].startswith("No autoscaling: no minimum below 2 kept up with the ramp")
    html = render_html(build_report_context(content, run_id="r", results_dir=Path("/results/r")))
    how = html.split('id="min-instance-count-how">')[1].split("</td>")[0]
    assert how.startswith("no autoscaling: no smaller minimum kept up with the ramp; 1..2 failed the ramp: ")
    assert "5.10% fail &gt;= 1%" in how and HTTP_503 in how
    assert "For an <strong>auto scale</strong>" not in html


def test_recommendation_json_writes_the_hourly_cost_as_every_other_amount(tmp_path: Path) -> None:
    context = build_report_context(outcome_content("recommended"), run_id="r", results_dir=tmp_path)
    assert context["recommendation"]["hourly_cost_usd"] == context["costs"]["hourly"] == "0.23"
    json.dumps(context)  # still JSON


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("0.0720000", "0.072"),
        ("0.230", "0.23"),
        ("0.0000048", "0.0000048"),
        ("3", "3.00"),
        ("0.1155", "0.1155"),
    ],
)
def test_rates_keep_every_digit_without_trailing_zeros(given: str, written: str) -> None:
    assert exact(Decimal(given)) == written
    assert price_notes([("ml.m5.large", Decimal(given))], {})[0] == f"price of ml.m5.large: ${written}/hour"
    source = PriceSource("Price List API", "2026-01-01")
    assert f"${written}/hour (" in price_notes([("ml.m5.large", Decimal(given))], {"ml.m5.large": source})[0]
