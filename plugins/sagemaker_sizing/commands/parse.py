"""``sagemaker-sizing parse LOG [LOG...] [--target-tps N]``: print a step's metrics as JSON."""

from __future__ import annotations

import json
import logging
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "parse",
        help="parse Gatling simulation.log files into perfsizesagemaker's metrics (JSON)",
        description=(
            "Merge one or more Gatling text simulation.log files (Gatling 2.0 - 3.12; 3.13 and later "
            'write a binary log, which is refused) and print {"all", "by_request", "per_second", '
            '"warnings", "files"} as JSON.'
        ),
    )
    parser.add_argument("logs", nargs="+", metavar="LOG", help="simulation.log file(s) of one step")
    parser.add_argument("--target-tps", type=float, default=None, help="the TPS the step aimed at")
    parser.add_argument("--indent", type=int, default=2, help="JSON indent (0: one line)")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.core.gatling import GatlingLogError, parse_logs

    try:
        result = parse_logs(args.logs, target_tps=args.target_tps)
    except (GatlingLogError, OSError) as exc:
        log.error("%s", exc)
        return 1
    for warning in result["warnings"]:
        log.warning("%s", warning)
    try:
        json.dump(result, sys.stdout, indent=args.indent or None)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # piped into head & co: not an error of ours
        sys.stderr.close()
    return 0
