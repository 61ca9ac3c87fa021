"""``sagemaker-sizing ui`` (``make ui``): Airflow with its UI on the local SageMaker, on loopback.

Starts the local SageMaker (on the demo's clock for the conf: a serverless conf's cold starts and
idle timeouts in seconds, ``demo.local_time_compression``), writes the demo's conf ready to
trigger, and runs Airflow's four components (scheduler, dag-processor, triggerer, API server) with
the connection and settings that point the DAG at the local SageMaker. What a user reads stays
short: the URL, what the trigger form holds, where the logs are, how to stop; each component writes
to its own log file (``airflow_home/logs/ui/``). The trigger form opens with the demo's conf
(``[sagemaker_sizing] form_defaults``): its 0.15-minute steps make a sizing of a few minutes,
where the conf's own defaults (perfsizesagemaker's 3-minute steps and 30-minute endurance) would
start a long run.

Not ``airflow standalone``: its components' log servers listen on every interface (a worker's
on ``[::]:8793``, the triggerer's on ``:8794``) and it prints every component's output. Here the
scheduler and the triggerer run without theirs (``--skip-serve-logs``: everything runs on this
machine, the API server reads the task logs from their files) and the API server listens on
127.0.0.1 only.

While it runs, a component that exits stops everything (its log's last lines are printed), and a
server of the local SageMaker that dies is named and started again on the port Airflow knows.

Ctrl-C, SIGTERM or ``sagemaker-sizing ui --stop`` (``make ui-stop``, from another terminal) stops
everything within 10 s: each component runs in a session of its own, so this command alone
receives the signal; it terminates every process of each component's tree and session (SIGKILL
for what is left after ``STOP_GRACE_S``) and stops the local SageMaker's two servers
(``LOCAL_STOP_S`` each). (``kill -INT`` of a ``make ui`` process does nothing: make does not pass a
signal on to what it runs.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

    from sagemaker_sizing.local import LocalSageMaker, LocalSageMakerStatus

DAG_ID = "sagemaker_sizing"
PID_FILE = "ui.json"  # in AIRFLOW_HOME: who runs `make ui` (for --stop)
COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
# Seconds Airflow's processes get to exit on SIGTERM before SIGKILL, and each local SageMaker server:
# together under the 10 s a user waits after Ctrl-C.
STOP_GRACE_S = 4.0
LOCAL_STOP_S = 2.0
READY_TIMEOUT_S = 300.0
WATCH_S = 1.0
LOG_TAIL_LINES = 15


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("ui", help="Airflow (UI, scheduler) on the local SageMaker, on loopback")
    parser.add_argument("--port", type=int, default=8080, help="API server / UI port on 127.0.0.1")
    parser.add_argument(
        "--conf",
        type=Path,
        help="conf the trigger form opens with (default: the demo's); a serverless one sets the local "
        "SageMaker's clock as its demo does (cold starts in seconds)",
    )
    parser.add_argument(
        "--local-dir",
        type=Path,
        default=None,
        help="the local SageMaker's state dir (default: .local-sagemaker)",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=PROJECT_ROOT / "results",
        help="where the form's runs write (and the UI serves them from); default: results",
    )
    parser.add_argument("--stop", action="store_true", help="stop the `sagemaker-sizing ui` that runs")
    parser.set_defaults(func=handle)


def airflow_home() -> Path:
    return Path(os.environ.get("AIRFLOW_HOME", str(PROJECT_ROOT / "airflow_home")))


def standalone_env(local: LocalSageMakerStatus, port: int, form_conf: Path | None = None) -> dict[str, str]:
    """The environment of Airflow's components on the local SageMaker, UI on 127.0.0.1:port; the
    trigger form opens with ``form_conf``."""
    from sagemaker_sizing.local.airflow_env import with_local_env

    bin_dir = str(Path(sys.executable).parent)
    env = with_local_env(os.environ, local)
    env |= {
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "AIRFLOW_HOME": str(airflow_home()),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        # Links a task writes in its log (its Gatling report) name this server.
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        # Tasks report to the API server: it must be the one on this port.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        # A local, loopback-only UI: everyone who can reach it is the admin, no password to find.
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
    }
    if form_conf is not None:
        env["AIRFLOW__SAGEMAKER_SIZING__FORM_DEFAULTS"] = str(form_conf)
    return env


def component_commands(port: int) -> dict[str, list[str]]:
    """Each component's command line: no log server (all on this machine), the API on loopback."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    return {
        "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
        "dag-processor": [airflow, "dag-processor"],
        "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
        "api-server": [airflow, "api-server", "--host", "127.0.0.1", "--port", str(port)],
    }


def prepare_trigger_conf(conf_path: Path, out: Path, results_dir: Path = PROJECT_ROOT / "results") -> Path:
    """The example conf with absolute payload paths and results in ``results_dir``: ready to trigger."""
    from sagemaker_sizing.commands.validate import read_conf_file
    from sagemaker_sizing.core.conf.model import conf_to_dict, load_conf

    raw = read_conf_file(conf_path)
    if isinstance(raw, str):
        raise SystemExit(f"invalid: {raw}")
    conf = conf_to_dict(load_conf(raw, base_dir=conf_path.resolve().parent))
    conf["perfsize_results_dir"] = str(results_dir.resolve())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(conf, indent=2))
    return out


def handle(args: argparse.Namespace) -> int:
    if args.stop:
        return stop_running_ui(airflow_home())
    from sagemaker_sizing.commands.demo import DEFAULT_CONF, local_time_compression
    from sagemaker_sizing.core.conf.model import conf_from_dict
    from sagemaker_sizing.local import LocalSageMaker

    logging.getLogger("sagemaker_sizing.local").setLevel(logging.WARNING)  # its lines are printed here

    conf_path = args.conf or DEFAULT_CONF
    model = json.loads(conf_path.read_text())["model_name"]
    home = airflow_home()
    # SIGTERM takes Ctrl-C's way out, so that every `finally` below runs.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    _write_pid_file(home)
    try:
        trigger = prepare_trigger_conf(conf_path, home / "demo-conf.json", args.results_dir)
        # The demo's clock for this conf: a serverless conf's cold starts take seconds, as in its demo.
        compression = local_time_compression(conf_from_dict(json.loads(trigger.read_text())))
        local_sagemaker = LocalSageMaker(
            args.local_dir,
            models=(model,),
            creating_delay=1.0,
            time_compression=compression,
            stop_timeout_s=LOCAL_STOP_S,
        )
        with local_sagemaker as local:
            env = standalone_env(local, args.port, trigger)
            if args.results_dir.resolve() != (PROJECT_ROOT / "results").resolve():  # served as well
                roots = f"{args.results_dir.resolve()},results"
                env["AIRFLOW__SAGEMAKER_SIZING__RESULTS_ROOTS"] = roots
            print(f"local SageMaker: control plane {local.control_plane_url}, runtime {local.runtime_url}")
            return run_airflow(env, args.port, local_sagemaker, trigger, conf_path)
    except KeyboardInterrupt:
        print("stopped", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        with contextlib.suppress(FileNotFoundError):
            (home / PID_FILE).unlink()


def run_airflow(
    env: dict[str, str], port: int, local_sagemaker: LocalSageMaker, trigger: Path, conf_path: Path
) -> int:
    """The components, until one exits or a signal stops this command; all of them stopped after."""
    logs = Path(env["AIRFLOW_HOME"]) / "logs" / "ui"
    logs.mkdir(parents=True, exist_ok=True)
    print(
        f"starting Airflow: scheduler, dag-processor, triggerer, API server (their logs: {logs}/)", flush=True
    )
    migrated = _run_logged([str(Path(sys.executable).with_name("airflow")), "db", "migrate"], env, logs)
    if migrated != 0:
        print(f"error: `airflow db migrate` exited with {migrated}:")
        print(_tail(logs / "db-migrate.log"))
        return 1
    started: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in component_commands(port).items():  # in the try: a Ctrl-C here stops them
            started[name] = _start(name, command, env, logs)
        url = f"http://127.0.0.1:{port}"
        if not _wait_until_ready(url, started, logs):
            return 1
        _print_how_to_use(url, trigger, conf_path, env["AIRFLOW_HOME"], logs)
        return _watch(started, logs, local_sagemaker)
    finally:
        stop_processes(list(started.values()), STOP_GRACE_S)


def _start(name: str, command: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    with (logs / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _run_logged(command: list[str], env: dict[str, str], logs: Path) -> int:
    with (logs / "db-migrate.log").open("wb") as log:
        return subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False).returncode


def _wait_until_ready(url: str, started: Mapping[str, subprocess.Popen[bytes]], logs: Path) -> bool:
    """Until the API server answers with every component healthy and the DAG's form filled; False (with
    the reason printed) when a component exits first or the time is up."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if exited := _exited(started, logs):
            print(exited)
            return False
        if _healthy(url) and _form_ready(url):
            return True
        time.sleep(1.0)
    print(f"error: Airflow was not ready within {READY_TIMEOUT_S:g} s; its logs: {logs}/")
    return False


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as answer:
            health = json.loads(answer.read())
    except (OSError, ValueError):
        return False
    parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return all((health.get(part) or {}).get("status") == "healthy" for part in parts)


def _form_ready(url: str) -> bool:
    """The sizing DAG is in Airflow as this command's environment parses it: its form opens with the
    demo's conf (a DAG a demo serialized before still has the empty form until the dag-processor
    has parsed the file again). Asked with a token, as a user's browser."""
    try:
        with urllib.request.urlopen(f"{url}/auth/token", timeout=5) as answer:
            token = json.loads(answer.read())["access_token"]
        request = urllib.request.Request(
            f"{url}/api/v2/dags/{DAG_ID}/details", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            params = json.loads(answer.read())["params"]
        return params["model_name"]["value"] is not None
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _print_how_to_use(url: str, trigger: Path, conf_path: Path, home: str, logs: Path) -> None:
    print(f"Airflow UI: {url}  (ready)")
    # What the form holds, as the conf says it (not always the demo's 0.15-minute steps).
    steps = float(json.loads(trigger.read_text())["duration_minutes"])
    print(
        f"  {url}/dags/{DAG_ID} → Trigger: the form opens with {conf_path.name} "
        f"({steps:g}-minute steps); press Trigger"
    )
    print(f'  or: AIRFLOW_HOME={home} .venv/bin/airflow dags trigger {DAG_ID} --conf "$(cat {trigger})"')
    print(f"  reports: {url} → Browse → Sizing runs; Airflow's logs: {logs}/")
    print("Stop: Ctrl-C here, or `make ui-stop` from another terminal.", flush=True)


def _watch(
    started: Mapping[str, subprocess.Popen[bytes]], logs: Path, local_sagemaker: LocalSageMaker
) -> int:
    """Until a component exits (1) or a signal: a dead local SageMaker server is started again."""
    from sagemaker_sizing.local import dead_servers

    while True:
        if exited := _exited(started, logs):
            print(exited)
            return 1
        dead = dead_servers(local_sagemaker.state_dir)
        if dead:
            for server in dead:
                print(f"error: {server}: a run using it fails; starting it again on its port", flush=True)
            try:
                local_sagemaker.start()
            except RuntimeError as exc:
                print(f"error: the local SageMaker could not start again: {exc}")
                return 1
            print("local SageMaker back on the same ports: trigger the failed run again", flush=True)
        time.sleep(WATCH_S)


def _exited(started: Mapping[str, subprocess.Popen[bytes]], logs: Path) -> str | None:
    for name, process in started.items():
        code = process.poll()
        if code is not None:
            return f"error: airflow {name} exited with {code}; the end of {logs / f'{name}.log'}:\n" + _tail(
                logs / f"{name}.log"
            )
    return None


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "  (no log)"
    return "\n".join(f"  {line}" for line in lines[-LOG_TAIL_LINES:])


def _write_pid_file(home: Path) -> None:
    from sagemaker_sizing.local import processes

    home.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    (home / PID_FILE).write_text(json.dumps({"pid": pid, "started": processes.start_time(pid)}))


def stop_running_ui(home: Path, timeout_s: float = 20.0) -> int:
    """``--stop``: SIGTERM to the ``sagemaker-sizing ui`` recorded in ``home`` (the same process:
    its start time matches), then wait for it to have stopped everything."""
    from sagemaker_sizing.local import processes

    try:
        record: dict[str, Any] = json.loads((home / PID_FILE).read_text())
    except (OSError, ValueError):
        record = {}
    pid, started = record.get("pid"), record.get("started")
    if not isinstance(pid, int) or not isinstance(started, float) or not processes.is_alive(pid, started):
        print("no `sagemaker-sizing ui` is running for this clone")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while processes.is_alive(pid, started) and time.monotonic() < deadline:
        time.sleep(0.2)
    if processes.is_alive(pid, started):
        print(f"`sagemaker-sizing ui` (pid {pid}) did not stop within {timeout_s:g} s")
        return 1
    print(f"stopped `sagemaker-sizing ui` (pid {pid}): Airflow and the local SageMaker")
    return 0


def stop_processes(roots: list[subprocess.Popen[Any]], grace_s: float) -> None:
    """SIGTERM to each root, its descendants and its session's process group; SIGKILL to what is
    left after ``grace_s`` (all roots share the grace). A component that outlives its parent is
    re-parented, not out of its group."""
    import psutil

    tree: list[psutil.Process] = []
    for process in roots:
        with contextlib.suppress(psutil.NoSuchProcess):
            root = psutil.Process(process.pid)
            tree += [root, *root.children(recursive=True)]
    for process in roots:
        _signal_group(process.pid, signal.SIGTERM)
    for member in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.terminate()
    _, alive = psutil.wait_procs(tree, timeout=grace_s)
    for process in roots:
        _signal_group(process.pid, signal.SIGKILL)
    for member in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    psutil.wait_procs(alive, timeout=1.0)
    for process in roots:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=1.0)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
