"""The results app through FastAPI's TestClient: runs, reports, Gatling files, and nothing else."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sagemaker_sizing.airflow.ui import results_files
from sagemaker_sizing.airflow.ui.app import create_app
from sagemaker_sizing.airflow.ui.dag_runs import AirflowRun, runs_by_folder

from tests.ui.results_tree import RUN, SECRET, STEP_BASE, ResultsTree, make_results_tree


@pytest.fixture
def tree(tmp_path: Path) -> ResultsTree:
    return make_results_tree(tmp_path)


@pytest.fixture
def client(tree: ResultsTree) -> TestClient:
    return TestClient(create_app([tree.root]))


def test_index_lists_runs_with_their_recommendation(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert RUN in page.text
    assert "ml.m5.large x2" in page.text
    assert f"runs/{RUN}/report.html" in page.text
    # a symlinked run folder pointing outside the root is not a run
    assert "linked_out" not in page.text


def test_serves_report_and_recommendation(client: TestClient) -> None:
    report = client.get(f"/runs/{RUN}/report.html")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert "Sizing report" in report.text
    assert report.headers["x-content-type-options"] == "nosniff"
    rec = client.get(f"/runs/{RUN}/recommendation.json")
    assert rec.json()["recommendation"]["instance_type"] == "ml.m5.large"


def test_run_root_redirects_to_its_report(client: TestClient) -> None:
    response = client.get(f"/runs/{RUN}/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"/runs/{RUN}/report.html")


def test_dag_run_view_finds_the_sanitized_folder(client: TestClient) -> None:
    run_id = "manual__2026-01-02T03:04:05.000000+00:00"
    response = client.get(f"/dags/sagemaker_sizing/runs/{run_id}", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"/runs/{RUN}/report.html")
    # Without Airflow's runs (airflow_runs) the app cannot tell a run without results from none.
    assert "No sizing report for this run yet" in client.get("/dags/sagemaker_sizing/runs/never").text


def test_step_link_goes_to_the_newest_gatling_report(client: TestClient, tree: ResultsTree) -> None:
    response = client.get(f"/runs/{RUN}/steps/{STEP_BASE}")
    assert response.status_code == 200
    assert f"Gatling {tree.step_dir.name}" in response.text
    assert client.get(f"/runs/{RUN}/{tree.step_dir.name}/js/stats.js").text == "var stats = {};"
    # a folder gives its index.html
    assert "Gatling" in client.get(f"/runs/{RUN}/{tree.step_dir.name}/").text
    assert client.get(f"/runs/{RUN}/steps/1-ml.m5.large-9-9TPS").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/runs/no_such__run/report.html",
        f"/runs/{RUN}/no-such-file.html",
        "/runs/sagemaker_sizing__linked_out/secret.txt",
        "/runs/sagemaker_sizing__linked_out/",
    ],
)
def test_unknown_runs_and_files_are_404(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert SECRET not in response.text


@pytest.mark.parametrize(
    "url",
    [
        f"/runs/{RUN}/..%2f..%2fsecret.txt",
        f"/runs/{RUN}/%2e%2e/%2e%2e/secret.txt",
        f"/runs/{RUN}/%2e%2e%2f%2e%2e%2fsecret.txt",
        f"/runs/{RUN}/%2Fetc%2Fpasswd",
        "/runs/%2e%2e/secret.txt",
        f"/runs/{RUN}/leak.txt",
        f"/runs/{RUN}/leakdir/secret.txt",
        f"/runs/{RUN}/leakdir/",
        f"/runs/{RUN}/steps/..%2f..%2foutside",
    ],
)
def test_nothing_outside_a_run_folder_is_served(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404, url
    assert SECRET not in response.text


@pytest.mark.parametrize(
    "relative",
    ["../../secret.txt", "..", "../", "/etc/passwd", "leak.txt", "leakdir/secret.txt", "a\x00b", ""],
)
def test_find_file_refuses_escapes(tree: ResultsTree, relative: str) -> None:
    assert results_files.find_file(tree.run_dir, relative) is None


@pytest.mark.parametrize(
    "name", ["..", ".", "", "../results", "a/b", "sagemaker_sizing__linked_out", "x..__y"]
)
def test_find_run_refuses_escapes(tree: ResultsTree, name: str) -> None:
    assert results_files.find_run([tree.root], name) is None


def test_first_root_wins_and_missing_roots_are_fine(tree: ResultsTree, tmp_path: Path) -> None:
    other = tmp_path / "other"
    (other / RUN).mkdir(parents=True)
    (other / RUN / "report.html").write_text("other root")
    client = TestClient(create_app([tmp_path / "missing", tree.root, other]))
    assert "Sizing report" in client.get(f"/runs/{RUN}/report.html").text
    assert len(results_files.list_runs([tree.root, other])) == 1


def test_dependencies_guard_every_route(tree: ResultsTree) -> None:
    from fastapi import Depends

    def deny() -> None:
        raise HTTPException(401, "not authenticated")

    client = TestClient(create_app([tree.root], dependencies=[Depends(deny)]))
    for url in ("/", f"/runs/{RUN}/report.html", f"/runs/{RUN}/steps/{STEP_BASE}"):
        assert client.get(url).status_code == 401


def test_mounted_under_a_prefix_redirects_stay_under_it(tree: ResultsTree) -> None:
    parent = FastAPI()
    parent.mount("/sagemaker-sizing", create_app([tree.root]))
    client = TestClient(parent)
    response = client.get(f"/sagemaker-sizing/runs/{RUN}/steps/{STEP_BASE}", follow_redirects=False)
    assert response.headers["location"].endswith(
        f"/sagemaker-sizing/runs/{RUN}/{tree.step_dir.name}/index.html"
    )
    assert (
        f'href="http://testserver/sagemaker-sizing/runs/{RUN}/report.html"'
        in client.get("/sagemaker-sizing/").text
    )


def test_encoded_traversal_reaches_the_containment_check(
    tree: ResultsTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client sends the dots encoded; the app sees ``..`` and refuses it (not the client)."""
    asked: list[str] = []
    real = results_files.find_file

    def spy(run_dir: Path, relative: str) -> Path | None:
        asked.append(relative)
        return real(run_dir, relative)

    monkeypatch.setattr(results_files, "find_file", spy)
    client = TestClient(create_app([tree.root]))
    assert client.get(f"/runs/{RUN}/%2e%2e/%2e%2e/secret.txt").status_code == 404
    assert client.get(f"/runs/{RUN}/..%2f..%2fsecret.txt").status_code == 404
    assert asked == ["../../secret.txt", "../../secret.txt"]


RUN_ID = "manual__2026-01-02T03:04:05.000000+00:00"  # the run whose folder is RUN


def test_index_shows_each_runs_airflow_run_id_and_state(tree: ResultsTree) -> None:
    asked: list[list[str]] = []

    def runs(names: Sequence[str]) -> dict[str, AirflowRun]:
        asked.append(list(names))
        return {RUN: AirflowRun(RUN_ID, "failed")}

    page = TestClient(create_app([tree.root], airflow_runs=runs)).get("/")
    assert asked and RUN in asked[0]
    row = next(line for line in page.text.split("<tr>") if RUN in line)
    assert 'data-state="failed">failed<' in row
    # The id Airflow's pages know the run by, not only the folder's name (the run key).
    assert f"<code>{RUN_ID}</code>" in row
    assert "running or failed early" not in page.text


def test_runs_by_folder_map_dag_runs_to_their_sanitized_folders() -> None:
    class State:  # Airflow's DagRunState is an Enum: its value is what is shown
        value = "running"

    rows = [
        ("sagemaker_sizing", RUN_ID, State()),
        ("sagemaker_sizing", "manual__other", "success"),
        ("another_dag", RUN_ID, "failed"),
    ]
    assert runs_by_folder(rows, [RUN]) == {RUN: AirflowRun(RUN_ID, "running")}


def _runs(known: dict[str, AirflowRun]) -> Callable[[Sequence[str]], dict[str, AirflowRun]]:
    return lambda names: {name: known[name] for name in names if name in known}


def test_the_report_tab_of_a_run_without_report_says_so_in_words(tree: ResultsTree) -> None:
    folder = "sagemaker_sizing__manual__not-yet"
    client = TestClient(
        create_app([tree.root], airflow_runs=_runs({folder: AirflowRun("manual__not-yet", "running")}))
    )
    page = client.get("/dags/sagemaker_sizing/runs/manual__not-yet")
    # A real run without a report yet is not a failed request (nothing red in the browser console).
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "No sizing report for this run yet" in page.text and ">running<" in page.text
    assert "manual__not-yet" in page.text


def test_the_report_tab_of_a_known_run_opens_its_report(tree: ResultsTree) -> None:
    client = TestClient(create_app([tree.root], airflow_runs=_runs({RUN: AirflowRun(RUN_ID, "success")})))
    response = client.get(f"/dags/sagemaker_sizing/runs/{quote(RUN_ID, safe='')}", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"/runs/{RUN}/report.html")


@pytest.mark.parametrize(
    "asked",
    [
        RUN,  # the folder's name (the index's first column) used as a run id
        "manual__2026-01-02T03_04_05.000000_00_00",  # the folder's run part: ':' and '+' made '_'
    ],
)
def test_the_report_tab_of_an_id_airflow_does_not_know_names_the_mix_up(
    tree: ResultsTree, asked: str
) -> None:
    # Airflow's run page of such an id shows only an empty red error bar above its tabs (its
    # get-dag-run request is 404): the tab says why, and which run id the folder belongs to.
    client = TestClient(create_app([tree.root], airflow_runs=_runs({RUN: AirflowRun(RUN_ID, "success")})))
    page = client.get(f"/dags/sagemaker_sizing/runs/{asked}", follow_redirects=False)
    assert page.status_code == 404
    assert f"Airflow has no run <code>{asked}</code>" in page.text
    assert f'<code id="known-run-id">{RUN_ID}</code>' in page.text
    assert f'href="http://testserver/runs/{RUN}/report.html"' in page.text


def test_the_report_tab_of_a_run_gone_from_airflow_still_links_its_report(tree: ResultsTree) -> None:
    # Results kept, metadata DB reset (or the run deleted): no such run, but its report exists.
    client = TestClient(create_app([tree.root], airflow_runs=_runs({})))
    page = client.get(f"/dags/sagemaker_sizing/runs/{quote(RUN_ID, safe='')}", follow_redirects=False)
    assert page.status_code == 404
    assert "Airflow has no run" in page.text and "known-run-id" not in page.text
    assert f'href="http://testserver/runs/{RUN}/report.html"' in page.text


def test_the_step_link_and_the_loader_pick_the_same_step_folder(tree: ResultsTree) -> None:
    # Where the old rules differed: the UI took any digits after the base ('-9' sorts after
    # '-2026...') and the loader took any entry with a 17-digit suffix, a file included.
    from sagemaker_sizing.airflow.step_logs import step_logs

    short = tree.run_dir / f"{STEP_BASE}-9"  # not a Gatling timestamp
    short.mkdir()
    (tree.run_dir / f"{STEP_BASE}-20991231235959999").write_text("a file, not a step folder")
    for folder in (short, tree.step_dir):
        (folder / "simulation.log").write_text(f"log of {folder.name}")

    (log,) = step_logs(tree.run_dir, STEP_BASE, 1)
    page = TestClient(create_app([tree.root])).get(f"/runs/{RUN}/steps/{STEP_BASE}")
    assert log.parent == tree.step_dir
    assert page.status_code == 200 and f"Gatling {tree.step_dir.name}" in page.text


def test_the_step_link_of_an_llm_step_lists_aiperfs_files(client: TestClient, tree: ResultsTree) -> None:
    base = "1767323045-ml.g6e.xlarge-1-3RPS"
    step_dir = tree.run_dir / f"{base}-20260102030405000"
    (step_dir / "logs").mkdir(parents=True)
    (step_dir / "profile_export_aiperf.json").write_text('{"request_count": {"avg": 45}}')
    (step_dir / "step.json").write_text("{}")
    (step_dir / "logs" / "aiperf.log").write_text("aiperf log")
    (step_dir / "leak.txt").symlink_to(tree.outside / "secret.txt")
    # No Gatling index.html in an LLM step's folder: the link lists its files instead of a 404.
    response = client.get(f"/runs/{RUN}/steps/{base}", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"/runs/{RUN}/{step_dir.name}/")
    listing = client.get(response.headers["location"])
    assert listing.status_code == 200 and listing.headers["content-type"].startswith("text/html")
    assert ">logs/<" in listing.text and ">step.json<" in listing.text
    assert "leak.txt" not in listing.text and SECRET not in listing.text
    export = f"/runs/{RUN}/{step_dir.name}/profile_export_aiperf.json"
    assert f'href="http://testserver{export}"' in listing.text
    assert client.get(export).json() == {"request_count": {"avg": 45}}
    assert ">aiperf.log<" in client.get(f"/runs/{RUN}/{step_dir.name}/logs").text
    assert client.get(f"/runs/{RUN}/{step_dir.name}/logs/aiperf.log").text == "aiperf log"
    # A Gatling step still goes to its report; a folder outside the run is still 404.
    assert (
        client.get(f"/runs/{RUN}/steps/{STEP_BASE}", follow_redirects=False)
        .headers["location"]
        .endswith("/index.html")
    )
    assert client.get(f"/runs/{RUN}/leakdir/").status_code == 404


def test_index_gives_each_run_its_headline_and_a_link_to_its_airflow_run(tree: ResultsTree) -> None:
    """Issue 26: a failed run said nothing of why, and its run id could not be clicked."""
    rec = json.loads((tree.run_dir / "recommendation.json").read_text())
    headline = "Run failed: setup error, the load could not measure the endpoint. round 3: Connection refused"
    rec |= {"status": "failed", "headline": headline}
    (tree.run_dir / "recommendation.json").write_text(json.dumps(rec))
    parent = FastAPI()
    runs = {RUN: AirflowRun(RUN_ID, "failed")}
    parent.mount("/sagemaker-sizing", create_app([tree.root], airflow_runs=lambda names: runs))
    page = TestClient(parent).get("/sagemaker-sizing/").text
    row = next(line for line in page.split("<tr") if RUN in line and "data-folder" in line)
    assert f'<td class="headline">{headline}</td>' in row
    assert 'class="result failed">failed<' in row
    link = f"http://testserver/dags/sagemaker_sizing/runs/{quote(RUN_ID, safe='')}"
    assert f'<a href="{link}" class="airflow-page"' in row
    assert f'<span class="folder muted" title="the run\'s results folder">{RUN}</span>' in row
