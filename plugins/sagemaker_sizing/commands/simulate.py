"""``sagemaker-sizing simulate --conf CONF.json [--capacity CAPACITY.json] [--strategy S] [--json]``.

With a capacity model: the walk runs against it (nothing deployed); the command prints its answer
and totals first, then one line per step. Without: the worst case (steps, rounds, minutes, test
cost in USD), to budget a real run. Either way ``on_aws`` says what the sizing would take on AWS by
the deploy-time model (``--deploy-times``, default resources/deploy_times.json): hours from the
first deploy to the last delete and the sizing's own bill, for the strategy and, side by side, for
perfsize (upper bounds for a worst case). ``--json`` prints the whole dry run as JSON instead
(every step, for scripts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    parser.add_argument("--json", action="store_true", help="the whole dry run as JSON (every step)")
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
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print("\n".join(summary(out, args.conf, args.capacity)))
    return 0


def summary(out: dict[str, Any], conf: Path, capacity: Path | None) -> list[str]:
    """The dry run in words: the answer and the totals first, then the walk's steps (a dry run
    against a capacity model) or where to find them (the worst case)."""
    from sagemaker_sizing.commands.demo_output import step_line
    from sagemaker_sizing.core.cost.money import dollars
    from sagemaker_sizing.core.timeline.words import billed_from, side_by_side

    minutes = f"load-test time {out['load_test_minutes']:g} min, {out['instance_minutes']:g} instance-minutes"
    on_aws = out["on_aws"]
    aws = (
        f"{'worst case ' if on_aws.get('upper_bound') else ''}on AWS ({on_aws['deploy_times']}, "
        f"{billed_from(on_aws['billing_start'])}): "
        f"{side_by_side(on_aws['strategies'], bound=bool(on_aws.get('upper_bound')))}"
    )
    if capacity is None:
        return [
            f"worst case of {conf} (strategy {out['strategy']}): {out['step_count']} steps in "
            f"{out['rounds']} rounds, {minutes}, {dollars(out['test_cost_usd'], grouped=True)} test cost",
            aws,
            "every step: --json",
        ]
    steps = out["steps"]
    lines = [
        f"dry run of {conf} against {capacity} (strategy {out['strategy']}): {len(steps)} steps in "
        f"{len({s['round'] for s in steps})} rounds, {minutes}",
        out["headline"],
        aws,
    ]
    if out.get("serverless") is not None:
        from sagemaker_sizing.core.cost.serverless_compare import summary as serverless_summary

        lines.append(f"serverless: {serverless_summary(out['serverless'])}")
    lines.append("steps:")
    lines += ["  " + step_line({"step": s, "round": s["round"], "passed": s["passed"]}) for s in steps]
    return lines
