"""A sizing run whose AWS secret key is a recognisable test secret leaks it nowhere.

Checked after a whole ``dag.test()`` run: the task logs (captured output and the log folder),
every XCom, every rendered template field, the report, every results file and the Gatling java
process's argument list. The secret does reach java, through its environment.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus

from tests.e2e.harness import apply_env, base_conf, run_sizing, sizing_env
from tests.security.conftest import SECRET

pytestmark = pytest.mark.e2e


def files_under(root: Path, since: float) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_mtime >= since:
            yield path


def leaks_in_db() -> list[str]:
    """Every XCom and rendered-fields row that holds the secret (all runs: the secret is unique)."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    found = []
    with create_session() as session:
        rows = 0
        for xcom in session.query(XComModel).all():
            rows += 1
            if SECRET in repr(xcom.value):
                found.append(f"xcom {xcom.task_id} {xcom.key}")
        for rtif in session.query(RenderedTaskInstanceFields).all():
            rows += 1
            if SECRET in repr(rtif.rendered_fields) + repr(getattr(rtif, "k8s_pod_yaml", "")):
                found.append(f"rendered fields of {rtif.task_id}")
        assert rows, "no XCom or rendered fields at all: the check would prove nothing"
    return found


def test_the_secret_key_appears_in_no_log_xcom_field_file_or_argv(
    local_sagemaker: LocalSageMakerStatus,
    java_shim: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    argv_log, env_log = java_shim
    apply_env(monkeypatch, sizing_env(local_sagemaker))
    monkeypatch.setenv("PATH", f"{argv_log.parent / 'shim'}{os.pathsep}{os.environ['PATH']}")
    started = time.time()
    conf = base_conf(endpoint_name="secret", type_walk="ml.m5.large", tps_walk="10", peak_tps=10)
    conf["perfsize_results_dir"] = str(tmp_path / "results")

    run = run_sizing(local_sagemaker, conf)
    out, err = capfd.readouterr()

    assert run.state == "success", run.states
    # The check means something: java ran, and got the secret through its environment.
    argv = argv_log.read_text()
    assert "-Dsagemaker.endpoint=" in argv
    assert hashlib.sha256(SECRET.encode()).hexdigest() in env_log.read_text()
    assert SECRET not in argv
    # Task logs: everything dag.test() printed, and the log folder.
    assert "-Dsagemaker.endpoint=" in out + err  # the load task's log was captured
    assert SECRET not in out and SECRET not in err
    log_files = list(files_under(Path(os.environ["AIRFLOW_HOME"]) / "logs", started))
    assert [p for p in log_files if SECRET.encode() in p.read_bytes()] == []
    # XCom and rendered template fields.
    assert leaks_in_db() == []
    # Report, recommendation.json, step.json, simulation.log, Gatling's HTML: every results file.
    assert run.run_dir is not None and (run.run_dir / "report.html").is_file()
    results = list(files_under(tmp_path / "results", started))
    assert len(results) > 3
    assert [p for p in results if SECRET.encode() in p.read_bytes()] == []
