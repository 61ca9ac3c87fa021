"""Money as text: every amount in USD the project prints (report, recommendation.json, notes,
headlines, logs, the command line) is written by ``usd``, so one amount reads the same everywhere.

The one rule, ROUND_HALF_UP throughout:

- from $1 up, to the cent: ``5361.12``, ``3.00``, ``44.98``;
- below $1, three significant digits, trailing zeros dropped down to the cent: ``0.115``,
  ``0.50``, ``0.005``, ``0.003``, ``0.00115``, ``0.958``, ``0.198``.

Why: below a dollar the digits are the answer: an instance-hour at $0.115, a test step at $0.00115,
a budget of $0.003. Rounded to cents they would read $0.12, or $0.00 for an amount that is not zero
(a budget note saying it refused to spend $0.00); more than three digits ($0.197704) is noise to a
reader. From a dollar up, cents are what anyone reads. An amount that is not zero never reads as
zero.

Rates (a price per instance-hour, per GB-second, per GB) and amounts kept exact (the
recommendation's hourly cost in recommendation.json) are written by ``exact``: every digit the
price table or the conf gives, trailing zeros dropped down to the cent (``0.0720000`` from the
Price List API reads ``0.072``, ``0.230`` reads ``0.23``): they are inputs, and rounding one
($0.0000048/GB-s) would misquote it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

Amount = Decimal | int | float | str


def usd(amount: Amount) -> str:
    """The amount as text by the rule above, without a currency sign (as recommendation.json has it).

    A float is read through its shortest repr (0.1 is 0.1, not its binary expansion). Raises
    ``decimal.InvalidOperation`` for text that is no number, ValueError for a non-finite one.
    """
    money = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    if not money.is_finite():
        raise ValueError(f"not an amount of money: {amount!r}")
    if abs(money) >= 1:
        rounded = money.quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        digits = money.adjusted() - 2 if money else -2  # three significant digits
        rounded = money.quantize(Decimal(1).scaleb(digits), rounding=ROUND_HALF_UP)
        if abs(rounded) >= 1:  # 0.9996 rounded up to a dollar: cents from there
            rounded = rounded.quantize(CENT)
    rounded = rounded.normalize()
    exponent = rounded.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        rounded = rounded.quantize(CENT)  # at least the cents: 3.00, 0.50, 0.00
    return f"{rounded:f}"


def exact(amount: Amount) -> str:
    """The amount with every significant digit, trailing zeros dropped down to the cent: ``0.072``,
    ``0.23``, ``0.0000048``, ``3.00`` (rates and exact amounts; see the module's docstring)."""
    money = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    if not money.is_finite():
        raise ValueError(f"not an amount of money: {amount!r}")
    exponent = money.normalize().as_tuple().exponent
    digits = money.normalize() if isinstance(exponent, int) and exponent <= -2 else money.quantize(CENT)
    return f"{digits:f}"


def dollars(amount: Amount, *, grouped: bool = False) -> str:
    """``$`` and ``usd(amount)``; ``grouped``: with thousands separators, for people ($5,361.12)."""
    text = usd(amount)
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    if grouped:
        whole, _, fraction = digits.partition(".")
        digits = f"{int(whole):,}.{fraction}"
    return f"{sign}${digits}"
