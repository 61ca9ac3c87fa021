"""``sagemaker-sizing demo``: size the bundled example model end to end on the local SageMaker.

Validates the conf, starts a local SageMaker of its own (moto control plane + runtime emulator, in
``.local-sagemaker/demo-<pid>/``, so two demos in one clone never stop or count each other's),
runs the ``sagemaker_sizing`` DAG with ``airflow dags test`` on ``include/examples/demo.conf.json``
and prints one line per step as the run goes, the recommendation table, the log's path and the
run's outcome (``recommendation.json``'s ``status`` and ``headline``); it exits non-zero when the
run failed. A demo killed before its end leaves a DAG run "running": the next demo (or
``sagemaker-sizing orphans``) marks it failed and stops that demo's servers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.commands import demo_output
from sagemaker_sizing.paths import INCLUDE_DIR, PROJECT_ROOT

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.local import DeadServer, LocalSageMakerStatus

DEFAULT_CONF = INCLUDE_DIR / "examples" / "demo.conf.json"
DAG_ID = "sagemaker_sizing"
STATE_NAME = "demo"
SERVERLESS_TIME_COMPRESSION = 10.0
# --realistic-deploys: a CPU endpoint is created in 8 s and deleted in 4 s, beside loads of seconds.
REALISTIC_TIME_COMPRESSION = 30.0
EXIT_FAILED = 1
EXIT_INVALID = 2
# How often the run folder is looked at for newly measured steps.
POLL_S = 0.5
_RUN_CREATED = re.compile(r"creating dag run\b.*?\brun_id=(\S+)")


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
    parser.add_argument(
        "--realistic-deploys",
        action="store_true",
        help="endpoints take what they take on AWS (as `local start --realistic-deploys`), divided by "
        f"--time-compression (default {REALISTIC_TIME_COMPRESSION:g} with this option)",
    )
    parser.add_argument(
        "--time-compression", type=float, default=None, help="the local SageMaker's time compression"
    )
    parser.set_defaults(func=handle)


def local_time_compression(conf: SizingConf) -> float:
    """The local SageMaker's clock for ``conf`` (the demo's and ``make ui``'s): a serverless conf's
    cold starts and idle timeouts in seconds, not minutes (issue 17); real time otherwise."""
    return SERVERLESS_TIME_COMPRESSION if conf.sizes_serverless else 1.0


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.commands.local import parse_quotas
    from sagemaker_sizing.commands.validate import dag_max_rounds, peak_words, print_problems, read_conf_file
    from sagemaker_sizing.core.conf.model import ConfError, conf_to_dict
    from sagemaker_sizing.core.conf.validation import validate_conf
    from sagemaker_sizing.local import LocalSageMaker
    from sagemaker_sizing.local.airflow_env import with_local_env
    from sagemaker_sizing.local.state_dirs import claim_state_dir, update_owner_record

    logging.getLogger("sagemaker_sizing.local").setLevel(logging.WARNING)
    raw = read_conf_file(args.conf)
    if isinstance(raw, str):
        print(f"invalid: {raw}")
        return EXIT_INVALID
    if args.strategy:
        raw["strategy"] = args.strategy
    try:
        valid = validate_conf(raw, max_rounds=dag_max_rounds(), base_dir=args.conf.resolve().parent)
    except ConfError as exc:
        print_problems(args.conf, exc)
        return EXIT_INVALID
    for warning in valid.warnings:
        print(f"warning: {warning}")
    dag_conf = conf_to_dict(valid.conf)  # payload paths are absolute now
    results_dir = args.results_dir.resolve()
    dag_conf["perfsize_results_dir"] = str(results_dir)
    base_env = dict(os.environ)
    base_env.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / "airflow_home"))
    fail_orphaned_runs(base_env)
    # Whole seconds plus this process's pid as microseconds: unique per demo, and a run id
    # (manual__<logical date>) this demo can find its own run folder by.
    logical_date = datetime.now(UTC).replace(microsecond=os.getpid() % 1_000_000)
    state_dir = claim_state_dir(STATE_NAME, runs=[[DAG_ID, logical_date.isoformat()]])
    log_path = results_dir / f"demo-{logical_date:%Y%m%dT%H%M%S}-{os.getpid()}.log"
    print(f"sizing {valid.conf.model_name}: strategy {valid.conf.strategy}, peak {peak_words(valid.conf)}")
    try:
        # An LLM conf's model is an LLM one (an LMI image and HF_MODEL_ID: the local SageMaker
        # serves it as an LLM), made in the conf's region, where preflight looks for it.
        name: tuple[str, ...] = (valid.conf.model_name,)
        if valid.conf.hosts_components:  # every model of the endpoint's components
            from sagemaker_sizing.core.components.models import component_models

            name = tuple(m.model_name for m in component_models(valid.conf))
        model: dict[str, Any] = (
            {"llm_models": name, "region": valid.conf.region} if valid.conf.is_llm else {"models": name}
        )
        local_sagemaker = LocalSageMaker(
            state_dir,
            **model,
            creating_delay=1.0,
            time_compression=time_compression(args, valid.conf),
            realistic_deploys=args.realistic_deploys,
            quotas=parse_quotas(args.quota),
        )
        with local_sagemaker as local:
            print(
                f"local SageMaker: control plane {local.control_plane_url}, "
                f"runtime {local.runtime_url} (TLS {local.runtime_tls_url})"
            )
            env = with_local_env(base_env, local)
            watch = ServerWatch(state_dir)
            rc, run_dir = _airflow_dags_test(dag_conf, logical_date, env, log_path, results_dir, watch=watch)
            leftover = _leftover_endpoints(local)
    except RuntimeError as exc:  # the local SageMaker did not come up
        print(f"error: {exc}")
        return EXIT_FAILED
    if rc != 0:
        # A dags test that died leaves its run "running": say it failed now.
        _fail_runs(base_env, [(DAG_ID, logical_date.isoformat())])
    update_owner_record(state_dir, runs=[])
    code = _print_end(run_dir, rc, leftover, log_path, watch.died)
    if code == 0:  # kept after a failure: the local SageMaker's logs are there
        shutil.rmtree(state_dir, ignore_errors=True)
    return code


def time_compression(args: argparse.Namespace, conf: SizingConf) -> float:
    """The local SageMaker's: as given, else realistic deploys', else the conf's
    (``local_time_compression``)."""
    if args.time_compression is not None:
        return float(args.time_compression)
    if args.realistic_deploys:
        return REALISTIC_TIME_COMPRESSION
    return local_time_compression(conf)


@dataclass
class ServerWatch:
    """Notices a server of the demo's local SageMaker dying mid-run (killed, or crashed), so the
    demo names it at once: the next step's "connection refused" is that, not the endpoint."""

    state_dir: Path
    died: list[DeadServer] = field(default_factory=list)

    def new_lines(self) -> list[str]:
        from sagemaker_sizing.local import dead_servers

        fresh = [d for d in dead_servers(self.state_dir) if d not in self.died]
        self.died += fresh
        return [f"error: {d}: the steps from here on cannot reach it" for d in fresh]


def run_id_in_log(text: str) -> str | None:
    """The run id ``airflow dags test`` logs when it creates the DAG run (``creating dag run``)."""
    match = _RUN_CREATED.search(text)
    return match.group(1) if match else None


def fail_orphaned_runs(env: dict[str, str], root: Path | None = None) -> list[str]:
    """Mark failed the runs of demos that were killed (their state dirs' owners are gone), after
    stopping their local SageMakers; returns ``dag_id/run_id`` of the runs marked."""
    from sagemaker_sizing.local.state_dirs import release_stale_state_dirs

    owners = release_stale_state_dirs(STATE_NAME, root)
    runs = [tuple(run) for owner in owners for run in owner.get("runs", [])]
    return _fail_runs(env, runs) if runs else []


def _fail_runs(env: dict[str, str], runs: list[Any]) -> list[str]:
    env = {"AIRFLOW_HOME": str(PROJECT_ROOT / "airflow_home")} | env
    args = [str(part) for run in runs for part in run]
    command = [sys.executable, "-m", "sagemaker_sizing.airflow.orphaned_runs", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    if done.returncode != 0:
        print(f"warning: could not mark orphaned runs failed: {done.stderr.strip().splitlines()[-1:]}")
    marked = done.stdout.split()
    for name in marked:
        print(f"marked failed (its process was gone): {name}")
    return marked


def _airflow_dags_test(
    dag_conf: dict[str, object],
    logical_date: datetime,
    env: dict[str, str],
    log_path: Path,
    results_dir: Path,
    *,
    watch: ServerWatch | None = None,
) -> tuple[int, Path | None]:
    """Run the DAG, printing each measured step as its ``step.json`` appears in the run's folder
    (found from the run id in the log); returns the exit code and the run folder."""
    from sagemaker_sizing.core.files import run_folder_name

    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("airflow")),
        "dags",
        "test",
        DAG_ID,
        logical_date.isoformat(),
    ]
    command += ["--conf", json.dumps(dag_conf)]
    print(f"running the {DAG_ID} DAG (log: {log_path})")
    watcher: demo_output.StepWatcher | None = None
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT
        ) as proc,
    ):
        while True:
            finished = proc.poll() is not None
            if watcher is None and (run_id := run_id_in_log(log_path.read_text(errors="replace"))):
                watcher = demo_output.StepWatcher(results_dir / run_folder_name(DAG_ID, run_id))
            if watcher is not None:
                _print_lines(watcher.new_lines())
            if watch is not None:
                _print_lines(watch.new_lines())
            if finished:
                break
            time.sleep(POLL_S)
    return proc.returncode, None if watcher is None else watcher.run_dir


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        print("  " + line, flush=True)


def _leftover_endpoints(local: LocalSageMakerStatus) -> list[str] | None:
    """Endpoints left on this demo's own local SageMaker; None when its control plane is gone."""
    try:
        client = local.client("sagemaker")
        endpoints = client.list_endpoints()["Endpoints"]
        components = client.list_inference_components()["InferenceComponents"]
    except Exception as exc:  # botocore's connection errors, a dead server: one line, no traceback
        print(f"error: the local SageMaker's control plane ({local.control_plane_url}) did not answer: {exc}")
        return None
    return [e["EndpointName"] for e in endpoints] + [c["InferenceComponentName"] for c in components]


def _print_end(
    run_dir: Path | None,
    rc: int,
    leftover: list[str] | None,
    log_path: Path,
    died: Sequence[DeadServer] = (),
) -> int:
    data = demo_output.read_recommendation(run_dir)
    if data is not None and run_dir is not None:
        print()
        for line in demo_output.recommendation_table(data):
            print(line)
        print(f"report: {run_dir / 'report.html'}")
    print(f"log: {log_path}")
    if leftover is None:
        print("endpoints left: unknown (the control plane did not answer)")
    else:
        print(f"endpoints left on this demo's local SageMaker: {len(leftover)}")
    outcome = demo_output.outcome(data, rc)
    print(f"outcome: {outcome.status}")
    print(outcome.headline)
    for dead in died:  # what the headline cannot know: why the endpoint stopped answering
        why = "a step that could not reach it failed for that, not the endpoint"
        print(f"note: {dead} during the run: {why}")
    if outcome.failed or rc != 0 or leftover is None or leftover:
        return EXIT_FAILED
    return 0
