"""``sagemaker-sizing demo``: size the bundled example model end to end on the local SageMaker.

Starts the local SageMaker (moto control plane + runtime emulator), runs the ``sagemaker_sizing``
DAG with ``airflow dags test`` on ``include/examples/demo.conf.json``, prints the recommendation
and the report's path, and stops what it started. No AWS account is involved.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sagemaker_sizing.paths import INCLUDE_DIR, PROJECT_ROOT

if TYPE_CHECKING:
    import argparse

DEFAULT_CONF = INCLUDE_DIR / "examples" / "demo.conf.json"
SERVERLESS_TIME_COMPRESSION = 10.0
# Lines of the DAG's own task logs worth showing live; everything goes to the log file.
_SHOW = re.compile(
    r"round \d+:|recommendation:|report:|teardown of|invalid conf|preflight|ERROR|Traceback|DagRun Finished"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="size the example model end to end on the local SageMaker")
    parser.add_argument("--conf", type=Path, default=DEFAULT_CONF, help="conf JSON (default: the demo's)")
    parser.add_argument("--strategy", choices=("adaptive", "perfsize"), help="override the conf's strategy")
    parser.add_argument(
        "--results-dir", type=Path, default=PROJECT_ROOT / "results", help="where run folders are written"
    )
    parser.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="TYPE=N",
        help="service quota of the local SageMaker, as `local start --quota` (repeatable)",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.airflow.local_run import with_local_env
    from sagemaker_sizing.commands.validate import read_conf_file
    from sagemaker_sizing.core.conf import ConfError, conf_to_dict, load_conf
    from sagemaker_sizing.local import LocalSageMaker

    raw = read_conf_file(args.conf)
    if isinstance(raw, str):
        print(f"invalid: {raw}", file=sys.stderr)
        return 2
    if args.strategy:
        raw["strategy"] = args.strategy
    try:
        conf = load_conf(raw, base_dir=args.conf.resolve().parent)
    except ConfError as exc:
        print(f"invalid: {args.conf}:\n{exc}", file=sys.stderr)
        return 2
    dag_conf = conf_to_dict(conf)  # payload paths are absolute now
    results_dir = args.results_dir.resolve()
    dag_conf["perfsize_results_dir"] = str(results_dir)
    started = time.time()
    # Serverless (issue 17): cold starts and idle timeouts in seconds, not minutes.
    compression = SERVERLESS_TIME_COMPRESSION if conf.sizes_serverless else 1.0
    from sagemaker_sizing.commands.local import parse_quotas

    quotas = parse_quotas(args.quota)
    with LocalSageMaker(
        models=(conf.model_name,), creating_delay=1.0, time_compression=compression, quotas=quotas
    ) as local:
        print(
            f"local SageMaker: control plane {local.control_plane_url}, "
            f"runtime {local.runtime_url} (TLS {local.runtime_tls_url})"
        )
        env = with_local_env(os.environ, local)
        env.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / "airflow_home"))
        rc = _airflow_dags_test(dag_conf, env, results_dir / "demo-airflow.log")
        leftover = local.client("sagemaker").list_endpoints()["Endpoints"]
    run_dir = _newest_run(results_dir, started)
    if run_dir is not None and (run_dir / "recommendation.json").is_file():
        _print_summary(run_dir)
    print(f"endpoints left on the local SageMaker: {len(leftover)}")
    return rc or (1 if leftover else 0)


def _airflow_dags_test(dag_conf: dict[str, object], env: dict[str, str], log_path: Path) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("airflow")), "dags", "test", "sagemaker_sizing"]
    command += ["--conf", json.dumps(dag_conf)]
    print(f"running the sagemaker_sizing DAG (full log: {log_path})")
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT
        ) as proc,
    ):
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if _SHOW.search(line):
                print("  " + line.rstrip()[-220:])
    return proc.returncode


def _newest_run(results_dir: Path, since: float) -> Path | None:
    runs = [p for p in results_dir.glob("sagemaker_sizing__*") if p.is_dir() and p.stat().st_mtime >= since]
    return max(runs, key=lambda p: p.stat().st_mtime, default=None)


def _print_summary(run_dir: Path) -> None:
    data = json.loads((run_dir / "recommendation.json").read_text())
    rec = data.get("recommendation", {})
    print("\nrecommendation:")
    for key in (
        "instance_type",
        "instance_count_needed",
        "max_instance_count",
        "min_instance_count",
        "invocations_target",
        "hourly_cost_usd",
    ):
        print(f"  {key}: {rec.get(key)}")
    costs = data.get("costs", {})
    for key in ("hourly", "monthly", "annual"):
        print(f"  cost {key}: {costs.get(key)}")
    serverless = data.get("serverless")
    if serverless:
        print("serverless:")
        for key in (
            "memory_size_mb",
            "max_concurrency",
            "provisioned_concurrency",
            "p99_ms",
            "cold_start_p99_ms",
            "monthly_cost_usd",
            "realtime_monthly_cost_usd",
            "break_even_average_tps",
            "cheaper",
        ):
            print(f"  {key}: {serverless.get(key)}")
    print(f"report: {run_dir / 'report.html'}")
