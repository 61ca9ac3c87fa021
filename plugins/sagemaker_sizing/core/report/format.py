"""How the report writes numbers and money: one place, so the HTML and the JSON agree (money by
core.cost.money's one rule)."""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from sagemaker_sizing.core.cost.money import dollars, usd

MISSING = "—"


def money_str(value: Any) -> str | None:
    """Money as recommendation.json writes it (``core.cost.money.usd``); None for nothing or a
    non-finite number, and text that is no number as given.

    Daily/annual figures multiplied out in Decimal carry more digits than anyone can use
    ("5361.120000"); the report and the JSON show the same rounded string.
    """
    text = opt_str(value)
    if text is None:
        return None
    try:
        money = Decimal(text)
    except InvalidOperation:
        return text  # not a number: shown as given
    return usd(money) if money.is_finite() else None


def number(value: Any) -> int | float | None:
    """A finite int or float from a number or numeric string; None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return None
    return parsed if math.isfinite(parsed) else None


def opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def fmt_num(value: Any) -> str:
    """Up to two decimals, no trailing zeros: 38.5, 812.35, 60000; None → "—"."""
    parsed = number(value)
    if parsed is None:
        return MISSING if value is None or value == "" else str(value)
    if isinstance(parsed, int) or parsed.is_integer():
        return str(int(parsed))
    return f"{parsed:.2f}".rstrip("0").rstrip(".")


def fmt_ms(value: Any) -> str:
    """Milliseconds as read: whole from 100 ms up (812), one decimal below (41.2); None → "—"."""
    parsed = number(value)
    if parsed is None:
        return fmt_num(value)
    return f"{parsed:.0f}" if abs(parsed) >= 100 else f"{parsed:.1f}"


def fmt_money(value: Any) -> str:
    """``$5,361.12`` from the context's money string; the JSON keeps it without separators."""
    if value is None or value == "":
        return MISSING
    try:
        money = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return dollars(money, grouped=True) if money.is_finite() else str(value)


def fmt_input(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "))
    return MISSING if value is None else str(value)
