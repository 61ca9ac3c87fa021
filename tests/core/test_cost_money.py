"""Money as text (core.cost.money): one rounding rule, and every surface that prints an amount uses
it, so $0.005 or $0.003 reads the same in a note, a headline, the report and the command line."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.commands import demo_output
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf.model import SizingConf
from sagemaker_sizing.core.conf.validation import cost_warnings, validate_conf
from sagemaker_sizing.core.cost import budget, serverless
from sagemaker_sizing.core.cost.money import dollars, usd
from sagemaker_sizing.core.cost.serverless_compare import summary
from sagemaker_sizing.core.model import Recommendation
from sagemaker_sizing.core.report import charts
from sagemaker_sizing.core.report.format import fmt_money, money_str
from sagemaker_sizing.core.resizing import drift
from sagemaker_sizing.core.simulate.dry_run import budget as dry_run_budget
from sagemaker_sizing.core.verdicts.run_outcome import describe_recommendation
from sagemaker_sizing.core.walk.worst_totals import WorstCase

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
SMALL = [Decimal("0.005"), Decimal("0.003")]  # the amounts the three old roundings disagreed on


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("5361.120000"), "5361.12"),  # from $1 up: cents
        (Decimal("14.685"), "14.69"),  # half up, not half even
        (Decimal("1.005"), "1.01"),
        (3, "3.00"),
        (Decimal("0.115"), "0.115"),  # below $1: three significant digits, no trailing zeros ...
        (Decimal("0.230"), "0.23"),
        (Decimal("0.5"), "0.50"),  # ... but at least the cents
        (Decimal("0.005"), "0.005"),
        (Decimal("0.003"), "0.003"),
        (Decimal("0.00115"), "0.00115"),
        (Decimal("0.19770416666666674"), "0.198"),
        (Decimal("0.033092"), "0.0331"),
        (Decimal("0.0000005"), "0.0000005"),
        (Decimal("0.00000042"), "0.00000042"),  # not zero: never 0.00
        (Decimal("0.9996"), "1.00"),
        (0, "0.00"),
        (0.1 + 0.2, "0.30"),  # a float by its shortest repr
        ("0.850000", "0.85"),
        (Decimal("-0.5"), "-0.50"),
    ],
)
def test_the_rule(amount: Any, text: str) -> None:
    assert usd(amount) == text
    assert usd(text) == text  # the written form reads back to itself
    assert dollars(amount) == ("-$" + text[1:] if text.startswith("-") else f"${text}")


def test_dollars_for_people_and_what_is_no_amount() -> None:
    assert dollars(Decimal("5361.12"), grouped=True) == "$5,361.12"
    assert dollars(Decimal("1234567.891"), grouped=True) == "$1,234,567.89"
    assert dollars(Decimal("0.003"), grouped=True) == "$0.003"
    with pytest.raises(InvalidOperation):
        usd("n/a")
    with pytest.raises(ValueError, match="not an amount"):
        usd(Decimal("NaN"))


def _conf(**overrides: Any) -> SizingConf:
    raw = json.loads((EXAMPLES / "demo.conf.json").read_text())
    raw |= {"strategy": "perfsize", "type_walk": "ml.m5.large", "duration_minutes": 0.6}
    return validate_conf(raw | overrides, base_dir=EXAMPLES).conf


@pytest.mark.parametrize("amount", SMALL)
def test_every_surface_prints_a_small_amount_as_the_rule_does(amount: Decimal) -> None:
    text = usd(amount)
    assert text == str(amount)  # 0.005 and 0.003 are exact under the rule
    # The report and recommendation.json.
    assert money_str(amount) == text and fmt_money(text) == f"${text}"
    # The budget note: its budget, and a round that costs the amount.
    conf = _conf().model_copy(update={"max_test_cost_usd": float(amount) / 2})
    step = walk.next_batch(conf, ())[0]
    priced = conf.model_copy(update={"prices": (("ml.m5.large", amount * 60 / Decimal("0.6")),)})
    note = budget.check_round(priced, [], [step], 1).note
    assert note is not None and f"about ${text} on top of $0.00 already spent" in note
    budget_note = budget.check_round(
        priced.model_copy(update={"max_test_cost_usd": float(amount)}), [], [step] * 2, 1
    )
    assert budget_note.note is not None and f"max_test_cost_usd=${text};" in budget_note.note
    # The run's headline.
    rec = Recommendation("ml.m5.large", 10.0, 1, 1, None, None, None, amount)
    assert describe_recommendation(rec).endswith(f", ${text}/hour")
    # The serverless comparison: its monthly cost, its one-line summary and its arithmetic.
    month = serverless.ServerlessMonthlyCost(1.0, amount, amount, Decimal(0))
    usage = serverless.ServerlessUsage(memory_size_mb=1024, duration_ms=1.0, bytes_per_request=1.0)
    prices = serverless.load_serverless_prices("us-west-2")
    words = serverless.explain(prices, usage, month)
    assert f"= ${text}\n" in words and f"monthly total: {dollars(amount * 2)}" in words
    line = summary({"memory_size_mb": 1024, "max_concurrency": 1, "p99_ms": 1, "cold_start_p99_ms": 1,
                    "monthly_cost_usd": text, "average_tps": 1})  # fmt: skip
    assert f"${text}/month" in line
    # The cost chart's bar, and the drift note of a re-sizing.
    bar = charts.cost_chart({"ml.m5.large": {"hourly": text, "instances": 1}}, None)
    assert bar is not None and bar.bars[0].value_label == f"${text}"
    snapshots = [
        drift.snapshot({"run_id": run, "status": "recommended", "recommendation": {"instance_type": "t",
                        "tps_per_instance": 10, "max_instance_count": 1}, "costs": {"hourly": str(cost)}})
        for run, cost in (("r1", amount), ("r2", amount * 2))
    ]  # fmt: skip
    assert f"hourly cost: ${text} -> {dollars(amount * 2)}" in drift.compare(*snapshots).notes
    # Validation's warning (the conf's budget and the worst case) and the dry run's budget.
    worst = WorstCase(1, 1, Decimal(1), Decimal(1), amount * 2)
    warning = cost_warnings(conf.model_copy(update={"max_test_cost_usd": float(amount)}), worst)
    assert warning == [
        f"max_test_cost_usd: the worst-case test cost {dollars(amount * 2)} is above the budget ${text}: "
        "the cost guard stops the walk before a round would pass it, and the recommendation is then "
        "built from the steps measured so far"
    ]
    # The demo's table reads recommendation.json.
    found = {
        "recommendation": {"instance_type": "t", "hourly_cost_usd": f"{amount}0"},
        "costs": {"hourly": f"{amount}0"},
    }
    table = demo_output.recommendation_table(found)
    assert any(line.split() == ["cost", "hourly", f"${text}"] for line in table)


def test_the_first_rounds_cost_a_budget_cannot_pay_is_not_rounded_to_cents() -> None:
    from sagemaker_sizing.core.conf.model import ConfError

    with pytest.raises(ConfError) as info:
        _conf(max_test_cost_usd=0.001)  # the first round (ml.m5.large x1 for 0.6 min) is $0.00115
    assert "at least the load-test cost of the walk's first round, $0.00115" in str(info.value)


def test_the_dry_runs_budget_keeps_a_test_cost_below_a_dollar_to_three_digits() -> None:
    conf = _conf(duration_minutes=0.06, endurance_steady_state_minutes=0.06, tps_walk="10")
    exact = walk.worst_case(conf).test_cost_usd
    assert exact < 1 and exact != round(exact, 2)
    out = dry_run_budget(conf)["test_cost_usd"]
    assert out == float(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))  # $0.0101, not cents
    assert out != float(round(exact, 2))
