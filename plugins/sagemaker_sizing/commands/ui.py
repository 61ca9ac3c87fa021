"""``sagemaker-sizing ui``: Airflow with its UI (standalone) on the local SageMaker.

Starts the local SageMaker, writes a ready trigger conf, and runs ``airflow standalone`` on
loopback with the connection and settings that point the DAG at the local SageMaker, so a user
can trigger ``sagemaker_sizing`` with conf JSON and read its task logs in the browser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    import argparse

    from sagemaker_sizing.local import LocalSageMakerStatus


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("ui", help="Airflow standalone (UI, scheduler) on the local SageMaker")
    parser.add_argument("--port", type=int, default=8080, help="API server / UI port on 127.0.0.1")
    parser.add_argument("--conf", type=Path, help="example conf to prepare (default: the demo's)")
    parser.set_defaults(func=handle)


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
    from sagemaker_sizing.core.conf import conf_to_dict, load_conf

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
    with LocalSageMaker(models=(model,), creating_delay=1.0) as local:
        env = standalone_env(local, args.port)
        trigger = prepare_trigger_conf(conf_path, Path(env["AIRFLOW_HOME"]) / "demo-conf.json")
        print(
            f"local SageMaker: control plane {local.control_plane_url}, "
            f"runtime {local.runtime_url} (TLS {local.runtime_tls_url})"
        )
        print(
            f"Airflow UI: http://127.0.0.1:{args.port}  (trigger sagemaker_sizing with the JSON in {trigger})"
        )
        print(
            f"  or: AIRFLOW_HOME={env['AIRFLOW_HOME']} .venv/bin/airflow dags trigger sagemaker_sizing "
            f'--conf "$(cat {trigger})"'
        )
        try:
            return subprocess.call([str(Path(sys.executable).with_name("airflow")), "standalone"], env=env)
        except KeyboardInterrupt:
            return 0
