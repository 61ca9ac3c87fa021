"""``sagemaker-sizing simulate --conf CONF.json [--capacity CAPACITY.json] [--strategy S]``.

With a capacity model: the walk runs against it (nothing deployed) and the steps, recommendation
and minutes are printed as JSON. Without: the worst case (steps, minutes, test cost in USD), to
budget a real run. Either way ``on_aws`` says what the sizing would take on AWS by the deploy-time
model (``--deploy-times``, default resources/deploy_times.json): hours from the first deploy to the
last delete and the sizing's own bill, for the strategy and, side by side, for perfsize (upper
bounds for a worst case).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from sagemaker_sizing.commands.validate import (
    EXIT_INVALID,
    deploy_times_option,
    print_problems,
    read_conf_file,
    read_deploy_times,
)
from sagemaker_sizing.core.conf.choices import STRATEGIES

if TYPE_CHECKING:
    import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("simulate", help="dry-run the walk against a capacity model")
    parser.add_argument("--conf", type=Path, required=True, help="conf JSON file")
    parser.add_argument("--capacity", type=Path, help="capacity model JSON; without it: the worst case")
    parser.add_argument("--strategy", choices=STRATEGIES, help="override the conf's strategy")
    deploy_times_option(parser)
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.core.conf.model import ConfError, load_conf
    from sagemaker_sizing.core.simulate.capacity import CapacityModelError, load_capacity_model
    from sagemaker_sizing.core.simulate.dry_run import budget, simulate

    params = read_conf_file(args.conf)
    if isinstance(params, str):
        print(f"invalid: {params}")
        return EXIT_INVALID
    if args.strategy:  # validated with the rest (an llm conf is walked by adaptive only)
        params["strategy"] = args.strategy
    times = read_deploy_times(args.deploy_times)
    if isinstance(times, str):
        print(f"invalid: {times}")
        return EXIT_INVALID
    try:
        conf = load_conf(params, base_dir=args.conf.resolve().parent)
        if args.capacity is None:
            out = budget(conf, args.strategy, times)
        else:
            out = simulate(conf, load_capacity_model(args.capacity), args.strategy, times)
    except ConfError as exc:
        print_problems(args.conf, exc)
        return EXIT_INVALID
    except CapacityModelError as exc:
        print(f"invalid: {exc}")
        return EXIT_INVALID
    print(json.dumps(out, indent=2))
    return 0
