"""``sagemaker-sizing validate CONF.json [--max-rounds N]``: the DAG's own validation, offline.

Exit 0 with a summary (types and prices, worst-case rounds, minutes and test cost), or exit 2
listing every problem, each naming the field, the value and what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("validate", help="check a sizing conf (every problem at once)")
    parser.add_argument("conf", type=Path, help="conf JSON file (relative paths are relative to it)")
    parser.add_argument("--max-rounds", type=int, default=None, help="the DAG's number of round slots")
    parser.set_defaults(func=handle)


def read_conf_file(path: Path) -> dict[str, object] | str:
    """The conf file's object, or why it cannot be read."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{path}: {exc}"
    if not isinstance(raw, dict):
        return f"{path}: expected a JSON object of conf fields"
    return raw


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.core.conf import ConfError, load_conf
    from sagemaker_sizing.core.simulate import budget

    raw = read_conf_file(args.conf)
    if isinstance(raw, str):
        print(f"invalid: {raw}")
        return EXIT_INVALID
    try:
        conf = load_conf(raw, max_rounds=args.max_rounds, base_dir=args.conf.resolve().parent)
    except ConfError as exc:
        print(f"invalid: {args.conf}: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            print(f"- {problem}")
        return EXIT_INVALID
    worst = budget(conf)
    prices = ", ".join(f"{t} ${p}/h" for t, p in conf.prices)
    print(f"valid: {args.conf}")
    print(f"strategy {conf.strategy}, peak {conf.peak_tps:g} TPS, region {conf.region}: {prices}")
    print(
        f"worst case: {worst['rounds']} rounds, {worst['load_test_minutes']:g} load-test minutes, "
        f"{worst['instance_minutes']:g} instance-minutes, ${worst['test_cost_usd']:.2f} test cost"
    )
    return 0
