"""The real scheduler path: Airflow standalone (scheduler, API server, triggerer, DAG processor)
on the local SageMaker; a run triggered through the REST API with conf; its task logs read back."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.commands.ui import standalone_env
from sagemaker_sizing.core.files import run_folder_name
from sagemaker_sizing.core.gatling import parse_log
from sagemaker_sizing.local import start, stop
from sagemaker_sizing.local.airflow_env import write_airflow_cfg

from tests.e2e.harness import MODEL, ROUNDS, base_conf
from tests.e2e.test_llm_sizing import EXAMPLE, LLM_MODEL, SHORT

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None) -> Any:
        payload = self.raw(method, self.base + path, body)
        return json.loads(payload) if payload else None

    def raw(self, method: str, url: str, body: Any = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return bytes(response.read())

    def wait_for(self, path: str, timeout_s: float) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return self.call("GET", path)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)


@pytest.fixture(scope="module")
def airflow_standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Path]]:
    work = tmp_path_factory.mktemp("standalone")
    local = start(work / "local", models=(MODEL,), llm_models=(LLM_MODEL,), creating_delay=1.0)
    port = _free_port()
    # Its own metadata DB and logs: the scheduler must see only this test's runs.
    home = work / "airflow_home"
    write_airflow_cfg(home)
    env = standalone_env(local, port) | {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS": str(ROUNDS),
        # The UI plugin serves this test's results folder.
        "AIRFLOW__SAGEMAKER_SIZING__RESULTS_ROOTS": str(work / "results"),
        # Small injectors, so a step above 16 TPS is split over parallel load tasks.
        "AIRFLOW__SAGEMAKER_SIZING__INJECTOR_MAX_TPS": "16",
        # Deploy defers at once, so the real triggerer waits for the endpoint.
        "AIRFLOW__SAGEMAKER_SIZING__DEFER_AFTER": "0",
    }
    log_path = work / "standalone.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("airflow")), "standalone"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its scheduler, triggerer, ... all stop with the group
        )
    try:
        api = Api(f"http://127.0.0.1:{port}/api/v2")
        api.wait_for("/version", timeout_s=300)
        api.wait_for("/dags/sagemaker_sizing", timeout_s=300)
        yield api, work
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        stop(work / "local")


def _wait_for_run(api: Api, conf: dict[str, Any]) -> tuple[str, str, str]:
    """Trigger a run with ``conf`` through the REST API; its run id, quoted run id and final state."""
    run = api.call("POST", "/dags/sagemaker_sizing/dagRuns", {"logical_date": None, "conf": conf})
    quoted = urllib.request.quote(run["dag_run_id"], safe="")
    deadline = time.monotonic() + 900
    while (state := api.wait_for(f"/dags/sagemaker_sizing/dagRuns/{quoted}", 120)["state"]) not in (
        "success",
        "failed",
    ):
        assert time.monotonic() < deadline, f"run still {state}"
        time.sleep(3)
    return run["dag_run_id"], quoted, state


def test_an_llm_run_triggered_through_the_rest_api_recommends_in_llm_terms(
    airflow_standalone: tuple[Api, Path],
) -> None:
    api, work = airflow_standalone
    # One lane (the type the example recommends), the local SageMaker's region: four rounds; the
    # results where the UI serves them from.
    one_lane = {"region": "us-west-2", "type_walk": "ml.g6e.xlarge", "endurance_ramp_minutes": 0}
    conf = EXAMPLE | SHORT | one_lane | {"perfsize_results_dir": str(work / "results")}
    run_id, quoted, state = _wait_for_run(api, conf)
    assert state == "success"
    runs = f"/dags/sagemaker_sizing/dagRuns/{quoted}/taskInstances"
    # The load task ran AIPerf (built from its load item when it ran), never the Gatling jar.
    rendered = api.call("GET", f"{runs}/round_1.load/0")["rendered_fields"]["bash_command"]
    assert " profile " in rendered and "aiperf" in rendered and " -jar " not in rendered
    tis = api.call("GET", f"{runs}?limit=500")["task_instances"]
    parse = next(ti for ti in tis if (ti["task_id"], ti["map_index"]) == ("round_1.parse", 0))
    log = api.call("GET", f"{runs}/round_1.parse/logs/{parse['try_number']}?map_index=0&full_content=true")
    assert f"round 1: ml.g6e.xlarge x1 at {EXAMPLE['llm_start_rps']:g} req/s" in json.dumps(log)
    run_dir = work / "results" / run_folder_name("sagemaker_sizing", run_id)
    data = json.loads((run_dir / "recommendation.json").read_text())
    assert data["status"] == "recommended" and data["llm"]["instance_type"] == "ml.g6e.xlarge"
    assert data["headline"].startswith("Recommended: ml.g6e.xlarge x")
    # The report, as the UI serves it (the run's "Sizing report" link).
    server = api.base.removesuffix("/api/v2")
    final = api.call("GET", f"{runs}/report/links")["extra_links"]["Sizing report"]
    assert final and b"ttft-knee-chart" in api.raw("GET", server + final)
    # The load task's step link: AIPerf's files listed (an LLM step has no Gatling index.html).
    step = api.call("GET", f"{runs}/round_1.load/links?map_index=0")["extra_links"]["Gatling report"]
    assert step and b"profile_export.jsonl" in api.raw("GET", server + step)


def test_a_run_triggered_through_the_rest_api_succeeds_and_its_logs_read_back(
    airflow_standalone: tuple[Api, Path],
) -> None:
    api, work = airflow_standalone
    conf = base_conf(type_walk="ml.m5.large", tps_walk="10,30", perfsize_results_dir=str(work / "results"))
    run = api.call("POST", "/dags/sagemaker_sizing/dagRuns", {"logical_date": None, "conf": conf})
    run_id = run["dag_run_id"]
    quoted = urllib.request.quote(run_id, safe="")
    deadline = time.monotonic() + 600
    while (state := api.wait_for(f"/dags/sagemaker_sizing/dagRuns/{quoted}", 120)["state"]) not in (
        "success",
        "failed",
    ):
        assert time.monotonic() < deadline, f"run still {state}"
        time.sleep(3)
    assert state == "success"

    tis = api.call("GET", f"/dags/sagemaker_sizing/dagRuns/{quoted}/taskInstances?limit=500")[
        "task_instances"
    ]
    by_id = {(ti["task_id"], ti["map_index"]): ti for ti in tis}
    assert by_id[("teardown", -1)]["state"] == "success"
    parse = by_id[("round_1.parse", 0)]
    log = api.call(
        "GET",
        f"/dags/sagemaker_sizing/dagRuns/{quoted}/taskInstances/round_1.parse/logs/{parse['try_number']}"
        "?map_index=0&full_content=true",
    )
    text = json.dumps(log)
    # The step in words, as the user reads it in the UI.
    assert "round 1: ml.m5.large x1 at 10 TPS" in text
    assert "-> PASS" in text
    reports = list((work / "results").glob("sagemaker_sizing__*/report.html"))
    assert reports

    # Round 2 (30 TPS) ran as two injector tasks, started together; parse merged both logs into
    # one step, judged on the window in which both were sending.
    assert [i for i in by_id if i[0] == "round_2.load"] == [("round_2.load", 0), ("round_2.load", 1)]
    run_dir = reports[0].parent
    logs = sorted(run_dir.glob("*-30TPS-inj*of2-*/simulation.log"))
    assert [log.parent.name.split("-inj")[1][:3] for log in logs] == ["1of", "2of"]
    steps = json.loads((run_dir / "recommendation.json").read_text())["steps"]
    step_30 = next(s for s in steps if s["steady_state_tps"] == 30)
    per_injector = [parse_log(log)["all"]["count_total"] for log in logs]
    assert min(per_injector) > 0
    assert step_30["injectors"] == 2 and 0 <= step_30["start_skew_s"] < 1
    assert 0.8 * sum(per_injector) <= step_30["count_total"] <= sum(per_injector)

    # The operator extra links, read back through the REST API, open the reports in the UI.
    server = api.base.removesuffix("/api/v2")
    runs = f"/dags/sagemaker_sizing/dagRuns/{quoted}/taskInstances"
    gatling = api.call("GET", f"{runs}/round_1.load/links?map_index=0")["extra_links"]["Gatling report"]
    assert gatling and b"Gatling" in api.raw("GET", server + gatling)
    # The Rendered tab shows the command the load task built from its load item when it ran.
    rendered = api.call("GET", f"{runs}/round_1.load/0")["rendered_fields"]
    assert "-Dsagemaker.endpoint=" in rendered["bash_command"] and " -jar " in rendered["bash_command"]
    assert rendered["item"]["plan"]["round"] == 1 and rendered["item"]["injector"] == 0
    final = api.call("GET", f"{runs}/report/links")["extra_links"]["Sizing report"]
    assert final and b"ml.m5.large" in api.raw("GET", server + final)
