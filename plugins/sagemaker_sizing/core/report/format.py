"""How the report writes numbers and money: one place, so the HTML and the JSON agree."""

from __future__ import annotations

import json
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MISSING = "—"
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")


def money_str(value: Any) -> str | None:
    """Money as a string: cents from $1 up, at most 6 decimals below, no trailing zeros past cents.

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
    if not money.is_finite():
        return None
    if abs(money) >= 1:
        return str(money.quantize(CENT, rounding=ROUND_HALF_UP))
    small = money.quantize(MICRO, rounding=ROUND_HALF_UP).normalize()
    exponent = small.as_tuple().exponent
    return f"{small:f}" if isinstance(exponent, int) and exponent <= -2 else f"{small:.2f}"


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


def fmt_money(value: Any) -> str:
    """``$5,361.12`` from the context's money string; the JSON keeps it without separators."""
    if value is None or value == "":
        return MISSING
    try:
        money = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    decimals = max(0, -int(money.as_tuple().exponent)) if money.is_finite() else 0
    return f"${money:,.{decimals}f}"


def fmt_input(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "))
    return MISSING if value is None else str(value)
