"""``make celery-demo`` (scripts/celery_demo.py): the distributed path for real, with no Docker.
redis-server, PostgreSQL, two Celery workers and the rest of Airflow, one sizing over the REST API
whose steps are split over two injectors, results on the local SageMaker's S3."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sagemaker_sizing.local import LocalSageMaker

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "celery_demo.py"
_spec = importlib.util.spec_from_file_location("celery_demo", SCRIPT)
assert _spec and _spec.loader
celery_demo = importlib.util.module_from_spec(_spec)
sys.modules["celery_demo"] = celery_demo  # its dataclasses look their module up there
_spec.loader.exec_module(celery_demo)
BUCKET, MODEL = celery_demo.BUCKET, celery_demo.MODEL


def test_celery_demo_runs_load_on_both_workers_in_step_and_keeps_results_on_s3(tmp_path: Path) -> None:
    # The test owns the local SageMaker, so it can read the bucket after the demo stopped the rest.
    with LocalSageMaker(tmp_path / "local", models=(MODEL,), creating_delay=1.0) as local:
        done = subprocess.run(
            [
                sys.executable,
                str(SCRIPT),
                "--work-dir",
                str(tmp_path / "demo"),
                "--local-state-dir",
                str(tmp_path / "local"),
            ],
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
        lines = done.stdout.strip().splitlines()
        assert lines, done.stderr[-3000:]
        answer = json.loads(lines[-1])
        assert answer["state"] == "success", done.stderr[-3000:]
        assert done.returncode == 0
        assert answer["workers"] == ["worker1", "worker2"]
        assert answer["max_start_skew_s"] is not None and 0 <= answer["max_start_skew_s"] < 1
        assert abs(answer["achieved_tps_ratio"] - 1) <= 0.02
        assert answer["served_by_ui"] is True, done.stderr[-3000:]
        results = answer["results"]
        assert results.startswith(f"s3://{BUCKET}/") and answer["report"] == f"{results}/report.html"
        prefix = results.removeprefix(f"s3://{BUCKET}/")
        s3 = local.client("s3")
        assert s3.head_object(Bucket=BUCKET, Key=f"{prefix}/report.html")["ContentLength"] > 0
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")["Contents"]]
        # Every injector's Gatling folder (its log and HTML report) reached the bucket.
        logs = [k for k in keys if k.endswith("/simulation.log")]
        assert len(logs) == 4 and all("-inj" in k for k in logs), logs
        assert sum(k.endswith("/index.html") for k in keys) == 4
        recommendation = json.loads(
            s3.get_object(Bucket=BUCKET, Key=f"{prefix}/recommendation.json")["Body"].read()
        )
        assert [s["injectors"] for s in recommendation["steps"]] == [2, 2]
    # Nothing the demo started is left running (its work dir's processes are gone).
    leftover = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "demo")], capture_output=True, text=True, check=False
    )
    assert leftover.stdout.strip() == ""
