"""``sagemaker-sizing ui``: Airflow with its UI (standalone) on the local SageMaker.

Starts the local SageMaker, writes a ready trigger conf, and runs ``airflow standalone`` on
loopback with the connection and settings that point the DAG at the local SageMaker, so a user
can trigger ``sagemaker_sizing`` with conf JSON and read its task logs in the browser.

Ctrl-C or SIGTERM stops everything within 10 s: ``airflow standalone`` runs in a session of its
own, so this command alone receives the signal; it then terminates every process of that tree
and session (SIGKILL for what is left after ``STOP_GRACE_S``) and stops the local SageMaker's two
servers (``LOCAL_STOP_S`` each).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    import argparse

    from sagemaker_sizing.local import LocalSageMakerStatus


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("ui", help="Airflow standalone (UI, scheduler) on the local SageMaker")
    parser.add_argument("--port", type=int, default=8080, help="API server / UI port on 127.0.0.1")
    parser.add_argument("--conf", type=Path, help="example conf to prepare (default: the demo's)")
    parser.add_argument(
        "--local-dir",
        type=Path,
        default=None,
        help="the local SageMaker's state dir (default: .local-sagemaker)",
    )
    parser.set_defaults(func=handle)


# Seconds Airflow's processes get to exit on SIGTERM before SIGKILL, and each local SageMaker server:
# together under the 10 s a user waits after Ctrl-C.
STOP_GRACE_S = 4.0
LOCAL_STOP_S = 2.0


def standalone_env(local: LocalSageMakerStatus, port: int) -> dict[str, str]:
    """The environment of ``airflow standalone`` on the local SageMaker, UI on 127.0.0.1:port."""
    from sagemaker_sizing.local.airflow_env import with_local_env

    bin_dir = str(Path(sys.executable).parent)
    env = with_local_env(os.environ, local)
    env |= {
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",  # standalone starts `airflow ...`
        "AIRFLOW_HOME": env.get("AIRFLOW_HOME", str(PROJECT_ROOT / "airflow_home")),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        # Tasks report to the API server: it must be the one on this port.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        # A local, loopback-only UI: everyone who can reach it is the admin, no password to find.
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
    }
    return env


def prepare_trigger_conf(conf_path: Path, out: Path) -> Path:
    """The example conf with absolute payload paths and results under the project: ready to trigger."""
    from sagemaker_sizing.commands.validate import read_conf_file
    from sagemaker_sizing.core.conf.model import conf_to_dict, load_conf

    raw = read_conf_file(conf_path)
    if isinstance(raw, str):
        raise SystemExit(f"invalid: {raw}")
    conf = conf_to_dict(load_conf(raw, base_dir=conf_path.resolve().parent))
    conf["perfsize_results_dir"] = str(PROJECT_ROOT / "results")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(conf, indent=2))
    return out


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.commands.demo import DEFAULT_CONF
    from sagemaker_sizing.local import LocalSageMaker

    conf_path = args.conf or DEFAULT_CONF
    model = json.loads(conf_path.read_text())["model_name"]
    # SIGTERM takes Ctrl-C's way out, so that every `finally` below runs.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        local_sagemaker = LocalSageMaker(
            args.local_dir, models=(model,), creating_delay=1.0, stop_timeout_s=LOCAL_STOP_S
        )
        with local_sagemaker as local:
            env = standalone_env(local, args.port)
            trigger = prepare_trigger_conf(conf_path, Path(env["AIRFLOW_HOME"]) / "demo-conf.json")
            _print_how_to_use(local, args.port, trigger, env["AIRFLOW_HOME"])
            return run_standalone(env)
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_how_to_use(local: LocalSageMakerStatus, port: int, trigger: Path, home: str) -> None:
    print(
        f"local SageMaker: control plane {local.control_plane_url}, "
        f"runtime {local.runtime_url} (TLS {local.runtime_tls_url})"
    )
    print(f"Airflow UI: http://127.0.0.1:{port}  (trigger sagemaker_sizing with the JSON in {trigger})")
    print(
        f'  or: AIRFLOW_HOME={home} .venv/bin/airflow dags trigger sagemaker_sizing --conf "$(cat {trigger})"'
    )
    print("Ctrl-C stops Airflow and the local SageMaker.", flush=True)


def run_standalone(env: dict[str, str]) -> int:
    """``airflow standalone`` in a session of its own; all of it is stopped however this returns."""
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("airflow")), "standalone"], env=env, start_new_session=True
    )
    try:
        return process.wait()
    finally:
        stop_process_tree(process, STOP_GRACE_S)


def stop_process_tree(process: subprocess.Popen[Any], grace_s: float) -> None:
    """SIGTERM to ``process``, its descendants and its session's process group; SIGKILL to what is
    left after ``grace_s``. (A component that outlives standalone is re-parented, not out of its group.)"""
    import psutil

    try:
        root = psutil.Process(process.pid)
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    _signal_group(process.pid, signal.SIGTERM)
    for member in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.terminate()
    _, alive = psutil.wait_procs(tree, timeout=grace_s)
    _signal_group(process.pid, signal.SIGKILL)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=1.0)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=1.0)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
