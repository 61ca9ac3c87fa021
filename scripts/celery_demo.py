"""``make celery-demo``: the distributed path on one machine, without Docker.

    .venv/bin/python scripts/celery_demo.py [--work-dir DIR] [--local-state-dir DIR] [--timeout S]

A demo of the CeleryExecutor, not part of the shipped command line (it needs the [local] extra
and set-up's redis-server and PostgreSQL): the image and the production install leave it out.

Starts Debian's ``redis-server`` (the Celery broker) and a PostgreSQL on loopback (the metadata
DB, ``scripts/postgres.sh``), the local SageMaker (its moto server also serves the S3 bucket the
results go to), then Airflow's API server, scheduler, DAG processor, triggerer and two Celery
workers with distinct hostnames, all with the CeleryExecutor. It triggers one sizing over the
REST API whose steps are split over two injectors, waits for its end, stops everything it
started (also on Ctrl-C or a failure), and prints one JSON object as its last line:
``{"state", "workers", "max_start_skew_s", "achieved_tps_ratio", "results", "report",
"served_by_ui"}`` (the last: the UI plugin served the report and a Gatling report from S3).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.paths import INCLUDE_DIR, PROJECT_ROOT

if TYPE_CHECKING:
    from sagemaker_sizing.local import LocalSageMakerStatus

MODEL = "celery-demo-model"
BUCKET = "sizing-results"
PREFIX = "runs"
DAG_ID = "sagemaker_sizing"
DB_NAME = "sizing_celery_demo"
WORKERS = ("worker1", "worker2")
# One injector holds 12 TPS here: the 24 TPS steps run as two load tasks, one per worker.
INJECTOR_MAX_TPS = 12


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="celery_demo.py",
        description="one sizing on Celery workers (redis, PostgreSQL, S3 results), no Docker",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=PROJECT_ROOT / ".celery-demo",
        help="logs, Airflow home (emptied first)",
    )
    parser.add_argument(
        "--local-state-dir",
        type=Path,
        help="a local SageMaker state dir (started if not running; stopped only if started here)",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the run")
    return parser.parse_args(argv)


def demo_conf(results: str) -> dict[str, Any]:
    """A short sizing whose every step is split over two injectors (seconds of load each)."""
    return {
        "region": "us-west-2",
        "endpoint_name": "celery-demo",
        "endpoint_config_name": "celery-demo-config",
        "model_name": MODEL,
        "scenario_requests": [{"path": str(INCLUDE_DIR / "examples" / "sample.input.json"), "weight": 100}],
        "peak_tps": 24,
        "latency_success_p99": 500,
        "percent_fail": 1,
        "type_walk": "ml.m5.large",
        "count_walk": "1",
        "tps_walk": "24",
        "duration_minutes": 0.1,
        "endurance_ramp_start_tps": 0,
        "endurance_ramp_minutes": 0,
        "endurance_steady_state_minutes": 0.1,
        "endurance_retries": 0,
        "strategy": "perfsize",
        "perfsize_results_dir": results,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Services:
    """Processes started here, each in its own process group, stopped in reverse order."""

    logs: Path
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    postgres_started: bool = False  # scripts/postgres.sh started the server here: stop it too

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("wb") as out:
            proc = subprocess.Popen(
                args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.procs.append((name, proc))
        log(f"started {name} (pid {proc.pid}, log {self.logs / f'{name}.log'})")
        return proc

    def check(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}: see {self.logs / f'{name}.log'}")

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in time: killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


def log(message: str) -> None:
    print(f"[celery-demo] {message}", file=sys.stderr, flush=True)


def wait_port(port: int, timeout_s: float, services: Services) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        with socket.socket() as s, contextlib.suppress(OSError):
            s.settimeout(1)
            s.connect(("127.0.0.1", port))
            return
        services.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:g} s")
        time.sleep(0.5)


class Api:
    """Airflow 3's public REST API with a JWT from ``/auth/token``."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if self.token is None:
            self.token = str(self._request("GET", f"{self.server}/auth/token")["access_token"])
        return self._request(method, f"{self.server}/api/v2{path}", body)

    def raw(self, path: str) -> bytes:
        """A page of the API server (``path`` from its root), with the token."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        request = urllib.request.Request(f"{self.server}{path}", headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            return bytes(response.read())

    def _request(self, method: str, url: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def wait_for(self, path: str, timeout_s: float, services: Services) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return self.call("GET", path)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                services.check()
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)


def start_postgres() -> tuple[str, bool]:
    """(SQLAlchemy URL of a fresh demo database, whether the server was started here)."""
    import psycopg2

    script = PROJECT_ROOT / "scripts" / "postgres.sh"
    done = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/postgres.sh start failed: {done.stderr.strip()}")
    started_here = "starting on" in done.stderr
    url = done.stdout.strip().splitlines()[-1]
    parts = urllib.parse.urlsplit(url)
    admin = psycopg2.connect(host="127.0.0.1", port=parts.port, user="postgres", dbname="postgres")
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {DB_NAME} OWNER {parts.username}")
    finally:
        admin.close()
    return urllib.parse.urlunsplit(parts._replace(path=f"/{DB_NAME}")), started_here


def airflow_env(
    local: LocalSageMakerStatus, home: Path, api_port: int, db_url: str, redis_port: int
) -> dict[str, str]:
    from sagemaker_sizing.commands.ui import standalone_env

    env = standalone_env(local, api_port)
    env |= {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "sagemaker_sizing.airflow.worker_host.hostname",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
        "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + db_url,
        # One task at a time per worker, none held in reserve: a step's two injectors run on both.
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
        "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS": "4",
        "AIRFLOW__SAGEMAKER_SIZING__INJECTOR_MAX_TPS": str(INJECTOR_MAX_TPS),
        "AIRFLOW__SAGEMAKER_SIZING__RESULTS_ROOTS": f"s3://{BUCKET}/{PREFIX}",
        "AIRFLOW__SAGEMAKER_SIZING__STAGING_DIR": str(home.parent / "staging"),
    }
    return env


def create_bucket(local: LocalSageMakerStatus) -> None:
    s3 = local.client("s3")
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": local.region})


def run_demo(work: Path, local: LocalSageMakerStatus, services: Services, timeout_s: float) -> dict[str, Any]:
    from sagemaker_sizing.local.airflow_env import write_airflow_cfg

    airflow = str(Path(sys.executable).with_name("airflow"))
    create_bucket(local)
    redis_port = free_port()
    services.start(
        "redis",
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(redis_port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        dict(os.environ),
    )
    wait_port(redis_port, 30, services)
    db_url, services.postgres_started = start_postgres()
    home = work / "airflow_home"
    write_airflow_cfg(home)
    api_port = free_port()
    env = airflow_env(local, home, api_port, db_url, redis_port)
    log("migrating the metadata DB")
    with (work / "db-migrate.log").open("wb") as out:
        subprocess.run([airflow, "db", "migrate"], env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    services.start("api-server", [airflow, "api-server", "--host", "127.0.0.1", "--port", str(api_port)], env)
    for component in ("scheduler", "dag-processor", "triggerer"):
        services.start(component, [airflow, component], env)
    for name in WORKERS:
        worker_env = env | {
            "SAGEMAKER_SIZING_HOSTNAME": name,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        }
        services.start(name, [airflow, "celery", "worker", "--celery-hostname", f"{name}@%h"], worker_env)

    api = Api(f"http://127.0.0.1:{api_port}")
    api.wait_for("/version", 300, services)
    api.wait_for(f"/dags/{DAG_ID}", 300, services)
    api.call("PATCH", f"/dags/{DAG_ID}", {"is_paused": False})
    results = f"s3://{BUCKET}/{PREFIX}"
    run = api.call("POST", f"/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": demo_conf(results)})
    run_id = run["dag_run_id"]
    log(f"triggered {DAG_ID} run {run_id}")
    quoted = urllib.parse.quote(run_id, safe="")
    deadline = time.monotonic() + timeout_s
    while (state := api.wait_for(f"/dags/{DAG_ID}/dagRuns/{quoted}", 120, services)["state"]) not in (
        "success",
        "failed",
    ):
        services.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {state} after {timeout_s:g} s")
        time.sleep(3)
    log(f"run {run_id}: {state}")
    instances = api.call("GET", f"/dags/{DAG_ID}/dagRuns/{quoted}/taskInstances?limit=500")["task_instances"]
    workers = sorted(
        {ti["hostname"] for ti in instances if ti["task_id"].endswith(".load") and ti["hostname"]}
    )
    answer = summarize(local, state, workers, run_id, instances)
    answer["served_by_ui"] = served_by_ui(api, run_id, instances)
    return answer


def served_by_ui(api: Api, run_id: str, instances: list[dict[str, Any]]) -> bool:
    """The API server's UI plugin serves the run's report and a load's Gatling report from S3."""
    from sagemaker_sizing.airflow.ui import URL_PREFIX
    from sagemaker_sizing.core.files import run_folder_name

    run_name = urllib.parse.quote(run_folder_name(DAG_ID, run_id), safe="")
    quoted = urllib.parse.quote(run_id, safe="")
    load = next(
        (ti for ti in instances if ti["task_id"].endswith(".load") and ti["state"] == "success"), None
    )
    if load is None:
        return False
    try:
        report = api.raw(f"{URL_PREFIX}/runs/{run_name}/report.html")
        links = api.call(
            "GET",
            f"/dags/{DAG_ID}/dagRuns/{quoted}/taskInstances/{load['task_id']}/links?map_index={load['map_index']}",
        )["extra_links"]
        gatling = api.raw(links["Gatling report"])
    except (urllib.error.URLError, KeyError, TypeError) as exc:
        log(f"the UI plugin did not serve the run's reports: {exc}")
        return False
    return b"Endpoint Sizing Results" in report and b"Gatling" in gatling


def summarize(
    local: LocalSageMakerStatus,
    state: str,
    workers: list[str],
    run_id: str,
    instances: list[dict[str, Any]],
) -> dict[str, Any]:
    """The demo's answer, from the run's recommendation.json in the bucket."""
    from sagemaker_sizing.core.files import run_folder_name

    run_name = run_folder_name(DAG_ID, run_id)
    key = f"{PREFIX}/{run_name}/recommendation.json"
    steps: list[dict[str, Any]] = []
    try:
        body = local.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
        steps = json.loads(body)["steps"]
    except Exception as exc:  # the answer says what is missing
        log(f"no s3://{BUCKET}/{key}: {exc}")
    skews = [s["start_skew_s"] for s in steps if s.get("start_skew_s") is not None]
    ratios = [
        s["achieved_tps"] / s["target_tps"] for s in steps if s.get("achieved_tps") and s.get("target_tps")
    ]
    failed = sorted({f"{ti['task_id']}[{ti['map_index']}]" for ti in instances if ti["state"] == "failed"})
    if failed:
        log(f"failed tasks: {', '.join(failed)}")
    results = f"s3://{BUCKET}/{PREFIX}/{run_name}"
    return {
        "state": state,
        "workers": workers,
        "max_start_skew_s": round(max(skews), 3) if skews else None,
        "achieved_tps_ratio": round(min(ratios), 4) if ratios else None,
        "results": results,
        "report": f"{results}/report.html",
    }


def _raise_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.local import LocalSageMaker

    if shutil.which("redis-server") is None:
        log("redis-server is not installed: run `make setup` (scripts/setup.sh installs it)")
        return 2
    work: Path = args.work_dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    services = Services(logs=work / "logs")
    answer: dict[str, Any] = {
        "state": "failed",
        "workers": [],
        "max_start_skew_s": None,
        "achieved_tps_ratio": None,
        "results": None,
        "report": None,
        "served_by_ui": False,
    }
    local_sagemaker = LocalSageMaker(
        args.local_state_dir or work / "local", models=(MODEL,), creating_delay=1.0
    )
    try:
        with local_sagemaker as local:
            try:
                answer = run_demo(work, local, services, args.timeout)
            finally:
                services.stop()
    except KeyboardInterrupt:
        log("interrupted: everything started here is stopped")
    except Exception as exc:
        log(f"failed: {exc} (logs under {work / 'logs'})")
    finally:
        if services.postgres_started:
            subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "postgres.sh"), "stop"], check=False)
    print(json.dumps(answer))
    return 0 if answer["state"] == "success" else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(handle(parse_args()))
