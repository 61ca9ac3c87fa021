"""Extra links (from XCom, as Airflow 3 computes them on the worker) and the plugin's declarations."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sagemaker_sizing.adapters.gatling_command import GatlingStep, ScenarioRequest
from sagemaker_sizing.airflow import links

from tests.ui.results_tree import RUN, STEP_BASE, make_results_tree

PLUGIN_FILE = Path(__file__).resolve().parents[2] / "plugins" / "sizing_plugin.py"


def _command(results_dir: Path) -> GatlingStep:
    return GatlingStep(
        host="http://127.0.0.1:1",
        region="us-west-2",
        endpoint="e",
        ramp_start_tps=0,
        ramp_minutes=0,
        steady_state_tps=10,
        steady_state_minutes=1,
        requests=[ScenarioRequest(path="/tmp/p.json", weight=100)],
        output_base_name=STEP_BASE,
        results_dir=results_dir,
    )


def test_gatling_target_reads_the_run_folder_and_step_from_the_command(tmp_path: Path) -> None:
    target = links.gatling_target(_command(tmp_path / "results" / RUN))
    assert target == {"run": RUN, "step": STEP_BASE}
    # A staging folder on another host is named like the run's folder: the same link.
    assert links.gatling_target(_command(tmp_path / "staging" / RUN)) == target


class _FakeTI:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_gatling_link_from_persisted_xcom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ti = _FakeTI()
    links.GatlingReportLink.persist({"ti": ti}, _command(tmp_path / RUN))  # type: ignore[arg-type]
    store = {links.GatlingReportLink.key: ti.pushed[links.GatlingReportLink.key]}
    monkeypatch.setattr(links.XCom, "get_value", lambda *, ti_key, key: store.get(key))
    url = links.GatlingReportLink().get_link(None, ti_key=None)  # type: ignore[arg-type]
    assert url == f"/sagemaker-sizing/runs/{RUN}/steps/{STEP_BASE}"
    store.clear()
    assert links.GatlingReportLink().get_link(None, ti_key=None) == ""  # type: ignore[arg-type]


def test_final_report_link_from_the_report_tasks_return_value(monkeypatch: pytest.MonkeyPatch) -> None:
    returned = {"report": f"/data/results/{RUN}/report.html", "summary": "x"}
    monkeypatch.setattr(
        links.XCom, "get_value", lambda *, ti_key, key: returned if key == "return_value" else None
    )
    url = links.FinalReportLink().get_link(None, ti_key=None)  # type: ignore[arg-type]
    assert url == f"/sagemaker-sizing/runs/{RUN}/report.html"
    monkeypatch.setattr(links.XCom, "get_value", lambda *, ti_key, key: None)
    assert links.FinalReportLink().get_link(None, ti_key=None) == ""  # type: ignore[arg-type]


def test_links_follow_the_api_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/tools/airflow/")
    assert links.ui_url("runs/x/report.html") == "/tools/airflow/sagemaker-sizing/runs/x/report.html"


def _plugin() -> Any:
    spec = importlib.util.spec_from_file_location("sizing_plugin_under_test", PLUGIN_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SagemakerSizingPlugin()


def test_plugin_declares_views_links_and_an_authenticated_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_results_tree(tmp_path)
    monkeypatch.setenv("AIRFLOW__SAGEMAKER_SIZING__RESULTS_ROOTS", str(tree.root))
    plugin = _plugin()
    assert {v["destination"] for v in plugin.external_views} == {"nav", "dag_run"}
    assert {type(link).__name__ for link in plugin.operator_extra_links} == {
        "GatlingReportLink",
        "FinalReportLink",
    }
    (mounted,) = plugin.fastapi_apps
    assert mounted["url_prefix"] == "/sagemaker-sizing"
    parent = FastAPI()
    parent.mount(mounted["url_prefix"], mounted["app"])
    # No Airflow token: refused before any file is looked at.
    assert TestClient(parent).get(f"/sagemaker-sizing/runs/{RUN}/report.html").status_code == 401


def test_the_dags_operators_carry_the_links() -> None:
    from sagemaker_sizing.airflow.tasks.load import GatlingLoadOperator

    assert [link.name for link in GatlingLoadOperator.operator_extra_links] == ["Gatling report"]
