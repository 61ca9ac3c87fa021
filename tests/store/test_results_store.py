"""Results on an object store (moto's S3 through an Airflow AWS connection): upload, find, download,
serve in the UI, and parse a split step's logs from it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from fastapi.testclient import TestClient
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from sagemaker_sizing.airflow import results_store, step_logs
from sagemaker_sizing.airflow.ui import results_files
from sagemaker_sizing.airflow.ui.app import create_app

from tests.core.test_gatling_formats import T0
from tests.core.test_gatling_injectors import injector
from tests.ui.results_tree import RUN, SECRET, STEP_BASE, make_results_tree

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CONN_ID = "sizing_store_test"
BUCKET = "sizing-results"
REGION = "us-west-2"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    conn = {
        "conn_type": "aws",
        "login": "testing",
        "password": "testing",
        "extra": {"endpoint_url": s3_url, "region_name": REGION},
    }
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(conn))
    monkeypatch.setenv("AIRFLOW__SAGEMAKER_SIZING__AWS_CONN_ID", CONN_ID)
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield s3
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=obj["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def test_a_local_path_stays_a_local_folder(tmp_path: Path) -> None:
    assert not results_store.is_object_store(str(tmp_path))
    assert not results_store.is_object_store("perfsize-results-dir")
    assert results_store.is_object_store("s3://bucket/prefix")
    assert results_store.open_location(str(tmp_path), CONN_ID) == tmp_path
    assert results_store.is_local(results_store.open_location(str(tmp_path), CONN_ID))


def test_a_results_tree_uploads_and_the_ui_serves_it_from_s3(bucket: Any, tmp_path: Path) -> None:
    tree = make_results_tree(tmp_path)
    for link in ("leak.txt", "leakdir"):
        (tree.run_dir / link).unlink()  # symlinks are a local matter
    root = results_store.open_location(f"s3://{BUCKET}/results", CONN_ID)
    assert not results_store.is_local(root)
    results_store.upload_folder(tree.run_dir, root / RUN)
    keys = {o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"results/{RUN}/report.html" in keys
    assert f"results/{RUN}/{tree.step_dir.name}/js/stats.js" in keys
    # A secret next to the prefix, never reachable through a run.
    bucket.put_object(Bucket=BUCKET, Key="results/secret.txt", Body=SECRET.encode())

    client = TestClient(create_app([root]))
    index = client.get("/")
    assert index.status_code == 200 and RUN in index.text and "ml.m5.large x2" in index.text
    report = client.get(f"/runs/{RUN}/report.html")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "Sizing report" in report.text
    step = client.get(f"/runs/{RUN}/steps/{STEP_BASE}", follow_redirects=False)
    assert step.status_code in (302, 307)
    assert step.headers["location"].endswith(f"/runs/{RUN}/{tree.step_dir.name}/index.html")
    gatling = client.get(f"/runs/{RUN}/{tree.step_dir.name}/")
    assert gatling.status_code == 200 and tree.step_dir.name in gatling.text
    assert (
        client.get(f"/runs/{RUN}/{tree.step_dir.name}/js/stats.js")
        .headers["content-type"]
        .endswith("javascript")
        or "javascript" in client.get(f"/runs/{RUN}/{tree.step_dir.name}/js/stats.js").headers["content-type"]
    )
    # The client normalises dot segments; the function sees what a raw request could send.
    for raw in ("../secret.txt", "a/../../secret.txt", "js//../../../secret.txt", "./report.html"):
        assert results_files.find_file(root / RUN, raw) is None, raw
    for bad in ("../secret.txt", "a/../../secret.txt", "%2e%2e/secret.txt"):
        response = client.get(f"/runs/{RUN}/{bad}")
        assert response.status_code == 404, bad
        assert SECRET not in response.text
    assert client.get("/runs/..%2Fsecret.txt/").status_code == 404


def test_parse_reads_each_injectors_log_from_s3(bucket: Any, tmp_path: Path) -> None:
    run_dir = results_store.open_location(f"s3://{BUCKET}/runs", CONN_ID) / "dag__run"
    base = "1767323045-ml.m5.large-1-20TPS"
    for n, start in ((1, T0), (2, T0 + 300)):
        local = tmp_path / f"inj{n}"
        local.mkdir()
        injector(local / "simulation.log", start, 5, 10)
        results_store.upload_folder(local, run_dir / f"{base}-inj{n}of2-20260102030405000")
    logs = step_logs.step_logs(run_dir, base, 2)
    assert [log.parent.name for log in logs] == [
        f"{base}-inj1of2-20260102030405000",
        f"{base}-inj2of2-20260102030405000",
    ]
    with step_logs.local_logs(logs) as paths:
        assert all(p.is_file() for p in paths)
        measured = step_logs.measure(paths, 20, tolerance_s=1.0)
    assert not any(p.exists() for p in paths)  # downloads are removed
    assert measured.start_skew_s == pytest.approx(0.3)
    assert measured.load_generator_problems == []
    assert measured.metrics["all"]["start_skew_s"] == pytest.approx(0.3)
    assert measured.metrics["all"]["injectors"] == 2
