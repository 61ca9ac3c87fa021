"""``sagemaker-sizing orphans``: find (and with ``--delete`` remove) what crashed sizing runs left.

Resources are found by tag (``managed-by=sagemaker-sizing``, the run id), never by name, so an
endpoint somebody else made is never listed. The same code deletes them as the DAG's teardown.

    sagemaker-sizing orphans                       # every sizing resource, with run id and age
    sagemaker-sizing orphans --older-than 2h       # only those created at least 2 hours ago
    sagemaker-sizing orphans --run-key 'sagemaker_sizing/manual__2025-...' --delete
    sagemaker-sizing orphans --local               # on the running local SageMaker
"""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import timedelta
from typing import Any

from sagemaker_sizing.commands.local_connection import NOT_RUNNING, use_local_sagemaker

EXIT_ERROR = 1
EXIT_USAGE = 2
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``2h``, ``1d`` -> timedelta (argparse type)."""
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 2h or 1d")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "orphans", help="list (or --delete) endpoints and configs left by crashed sizing runs (by tag)"
    )
    parser.add_argument("--older-than", type=duration, default=None, help="only resources at least this old")
    parser.add_argument(
        "--run-key",
        "--run-id",
        dest="run_key",
        default=None,
        help="only this run's (the run key the resources are tagged with: '<dag_id>/<run_id>')",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete them (needs --older-than or --run-key: runs may be live)",
    )
    parser.add_argument(
        "--aws-conn-id", default=None, help="Airflow AWS connection (default: [sagemaker_sizing] aws_conn_id)"
    )
    parser.add_argument("--region", default=None, help="region (default: the connection's)")
    parser.add_argument(
        "--local", action="store_true", help="on the running local SageMaker (`sagemaker-sizing local start`)"
    )
    parser.add_argument("--state-dir", default=None, help="--local: its state dir (default: the project's)")
    parser.set_defaults(func=handle, airflow_in_process=True)


def handle(args: argparse.Namespace) -> int:
    # Core and adapters only: the CLI does not import the Airflow layer (sagemaker_sizing.airflow).
    from sagemaker_sizing.adapters import cleanup
    from sagemaker_sizing.adapters.aws_session import configured_conn_id
    from sagemaker_sizing.adapters.errors import TeardownError
    from sagemaker_sizing.adapters.sagemaker import endpoint_manager
    from sagemaker_sizing.commands.demo import fail_orphaned_runs

    fail_orphaned_runs(dict(os.environ))  # killed demos: their runs marked failed, servers stopped
    if args.delete and args.older_than is None and args.run_key is None:
        # Without a filter, resources of runs still going would be deleted under them.
        print("refusing to --delete every sizing resource: give --older-than or --run-key")
        return EXIT_USAGE
    if args.local:
        conn_id = use_local_sagemaker(args.state_dir)
        if conn_id is None:
            print(NOT_RUNNING)
            return EXIT_ERROR
    else:
        conn_id = args.aws_conn_id or configured_conn_id()
    manager = endpoint_manager(conn_id, args.region)
    found: list[dict[str, Any]] = cleanup.find_orphans(manager, args.older_than, args.run_key)
    width = max([16, *(len(r["kind"]) for r in found)])  # inference_component is longer than 16
    for r in found:
        print(f"{r['kind']:<{width}} {r['name']:<64} {r['created']}  run {r['run_key']}")
    print(f"{len(found)} sizing resource(s) found")
    if not args.delete or not found:
        return 0
    try:
        deleted = cleanup.delete_resources(manager, found)
    except TeardownError as exc:
        print(f"some could not be deleted: {exc}")
        return EXIT_ERROR
    print("deleted: " + json.dumps(deleted))
    return 0
