"""Models loaded together (an endpoint of inference components' step): one set of step metrics
that sums what adds up and keeps the worst latency (``core.llm.metrics.combined_metrics``)."""

from __future__ import annotations

import pytest
from sagemaker_sizing.core.llm.metrics import combined_metrics

from tests.core.components_samples import model_metrics


def test_counts_and_rates_add_up_and_each_percentile_is_the_worst_models() -> None:
    fast = model_metrics(8, 18, passed=True)  # TTFT p99 400, ITL p99 40
    slow = model_metrics(6, 18, passed=False)  # TTFT p99 2600, ITL p99 95
    slow |= {"ko": 6, "ok": slow["requests"] - 6, "count_fail": 6, "errors": [["ModelStreamError", 6]]}
    both = combined_metrics([fast, slow])
    assert both["requests"] == fast["requests"] + slow["requests"] == 252
    assert both["offered_rate"] == pytest.approx(14) and both["output_tokens_per_s"] == pytest.approx(14 * 48)
    assert both["percent_fail"] == pytest.approx(100 * 6 / 252)
    assert both["ttft_ms"]["p99"] == 2600 and both["itl_ms"]["p99"] == 95 and both["itl_ms"]["p50"] == 76
    assert both["errors"] == [["ModelStreamError", 6]]
    assert combined_metrics([fast]) == fast  # one model: its own
