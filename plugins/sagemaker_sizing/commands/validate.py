"""``sagemaker-sizing validate CONF.json [--max-rounds N]``: the DAG's own validation, offline.

Exit 0 with a summary (types and prices, worst-case rounds, minutes and test cost) and any
warnings (a worst-case test cost above the budget or above $100), or exit 2 listing every
problem, each naming the field, the value and what was expected. The walk must fit the DAG's
round slots: ``--max-rounds``, else the DAG's setting (``AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS`` or
``[sagemaker_sizing] max_rounds`` in ``$AIRFLOW_HOME/airflow.cfg``), else its default.
"""

from __future__ import annotations

import configparser
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    import argparse

    from sagemaker_sizing.core.conf import ConfError

EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("validate", help="check a sizing conf (every problem at once)")
    parser.add_argument("conf", type=Path, help="conf JSON file (relative paths are relative to it)")
    parser.add_argument(
        "--max-rounds", type=int, default=None, help="the DAG's number of round slots (default: its setting)"
    )
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


def dag_max_rounds() -> int:
    """The DAG's round slots, read as Airflow reads them (env var, then airflow.cfg), without
    importing Airflow."""
    from sagemaker_sizing.core.validation import DEFAULT_MAX_ROUNDS

    value = os.environ.get("AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS")
    if value is None:
        home = Path(os.environ.get("AIRFLOW_HOME") or PROJECT_ROOT / "airflow_home")
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(home / "airflow.cfg")
        value = parser.get("sagemaker_sizing", "max_rounds", fallback=None)
    return int(value) if value else DEFAULT_MAX_ROUNDS


def print_problems(conf_path: Path, exc: ConfError) -> None:
    print(f"invalid: {conf_path}: {len(exc.problems)} problem(s)")
    for problem in exc.problems:
        print(f"- {problem}")


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.core.conf import ConfError
    from sagemaker_sizing.core.validation import validate_conf

    raw = read_conf_file(args.conf)
    if isinstance(raw, str):
        print(f"invalid: {raw}")
        return EXIT_INVALID
    max_rounds = args.max_rounds if args.max_rounds is not None else dag_max_rounds()
    try:
        valid = validate_conf(raw, max_rounds=max_rounds, base_dir=args.conf.resolve().parent)
    except ConfError as exc:
        print_problems(args.conf, exc)
        return EXIT_INVALID
    conf, worst = valid.conf, valid.worst
    prices = ", ".join(f"{t} ${p}/h" for t, p in conf.prices)
    print(f"valid: {args.conf}")
    print(f"strategy {conf.strategy}, peak {conf.peak_tps:g} TPS, region {conf.region}: {prices}")
    print(
        f"worst case: {worst.rounds} rounds (of {max_rounds} round slots), "
        f"{float(worst.load_test_minutes):g} load-test minutes, {float(worst.instance_minutes):g} "
        f"instance-minutes, ${worst.test_cost_usd:.2f} test cost"
    )
    for warning in valid.warnings:
        print(f"warning: {warning}")
    return 0
