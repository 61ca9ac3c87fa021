"""``sagemaker-sizing preflight --conf CONF [--aws-conn-id ID] [--local]``: the account, before any spend.

Validates the conf, then checks what the account would refuse mid-run: the SageMaker quotas of
every instance type the walk may deploy (against its worst case plus what the account already
runs), the endpoint count, the caller's permissions, the model and its execution role, the
payload files and the prices. Prints every finding, each naming what to change; exit 0 when
nothing blocks, 1 when something does, 2 for an invalid conf.

``--local`` checks the running local SageMaker (``sagemaker-sizing local start``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sagemaker_sizing.commands.local_connection import NOT_RUNNING, use_local_sagemaker

if TYPE_CHECKING:
    import argparse

    from sagemaker_sizing.core.conf.model import SizingConf

EXIT_BLOCKED = 1
EXIT_INVALID = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "preflight", help="check quotas, permissions, the model and prices for a conf (nothing deployed)"
    )
    parser.add_argument("--conf", type=Path, required=True, help="conf JSON file")
    parser.add_argument(
        "--aws-conn-id", default=None, help="Airflow AWS connection (default: [sagemaker_sizing] aws_conn_id)"
    )
    parser.add_argument("--local", action="store_true", help="check the running local SageMaker")
    parser.add_argument("--state-dir", default=None, help="--local: its state dir (default: the project's)")
    parser.set_defaults(func=handle, airflow_in_process=True)


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.commands.validate import print_problems, read_conf_file
    from sagemaker_sizing.core.conf.model import ConfError, load_conf

    raw = read_conf_file(args.conf)
    if isinstance(raw, str):
        print(f"invalid: {raw}")
        return EXIT_INVALID
    try:
        conf = load_conf(raw, base_dir=args.conf.resolve().parent)
    except ConfError as exc:
        print_problems(args.conf, exc)
        return EXIT_INVALID
    conn_id = _connection(args)
    if conn_id is None:
        print(NOT_RUNNING)
        return EXIT_BLOCKED
    from sagemaker_sizing.adapters.preflight import run_preflight
    from sagemaker_sizing.core.account.preflight import Check

    result = run_preflight(conf, conn_id)
    for finding in result.findings:
        print(f"- {finding}")
    for line in _price_lines(conf, conn_id):
        print(f"- {line}")
    if result.dropped_types:
        left = [t for t in conf.type_walk if t not in result.dropped_types]
        print(f"on_quota skip: the walk sizes {', '.join(left)} (dropped: {', '.join(result.dropped_types)})")
    if args.local and any(f.check is Check.MODEL for f in result.blocking):
        state = f" --state-dir {args.state_dir}" if args.state_dir else ""
        seed = f"sagemaker-sizing local seed-model{state} {conf.model_name}"
        print(f"  on the local SageMaker, create it with: {seed}")
    if not result.ok:
        print(f"preflight failed: {len(result.blocking)} blocking problem(s); nothing was deployed")
        return EXIT_BLOCKED
    print(f"preflight passed: {args.conf}")
    return 0


def _price_lines(conf: SizingConf, conn_id: str) -> list[str]:
    """Each price with its source and date (live ones cached under the results root, as the run does)."""
    from datetime import UTC, datetime

    from sagemaker_sizing.adapters.pricing import resolve_prices
    from sagemaker_sizing.core.cost.instances import load_cost_table
    from sagemaker_sizing.core.cost.sources import price_notes

    root = None if "://" in conf.perfsize_results_dir else Path(conf.perfsize_results_dir).resolve()
    day = datetime.now(UTC).date().isoformat()
    cost_file, sources, warnings = resolve_prices(conf, conn_id, root, day)
    table = load_cost_table(conf.region, Path(cost_file)) if cost_file else conf.price_table
    prices = [(t, table[t]) for t in dict.fromkeys(conf.type_walk)]
    return [f"[warning] prices: {w}" for w in warnings] + [
        f"[note] {n}" for n in price_notes(prices, sources)
    ]


def _connection(args: argparse.Namespace) -> str | None:
    """The connection to check through; ``--local``: the local SageMaker's, set in this process's
    environment as the demo sets it for Airflow (None when it is not running)."""
    if not args.local:
        from sagemaker_sizing.adapters.aws_session import configured_conn_id

        return str(args.aws_conn_id or configured_conn_id())
    return use_local_sagemaker(args.state_dir)
