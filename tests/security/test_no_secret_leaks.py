"""A sizing run whose AWS secret key is a recognisable test secret leaks it nowhere.

Checked after a whole ``dag.test()`` run: the task logs (captured output and the log folder),
every XCom, every rendered template field, the report, every results file and the Gatling java
process's argument list. The secret does reach java, through its environment (the project's
jar) or, for a sagemaker-gatling jar, as temporary credentials in a per-step config file.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus
from sagemaker_sizing.paths import STANDIN_JAR

from tests.e2e.harness import apply_env, base_conf, run_sizing, sizing_env
from tests.security.conftest import SECRET

pytestmark = pytest.mark.e2e


def files_under(root: Path, since: float) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file() and path.stat().st_mtime >= since:
            yield path


def leaks_in_db(secret: str = SECRET) -> list[str]:
    """Every XCom and rendered-fields row that holds the secret (all runs: the secret is unique)."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    found = []
    with create_session() as session:
        rows = 0
        for xcom in session.query(XComModel).all():
            rows += 1
            if secret in repr(xcom.value):
                found.append(f"xcom {xcom.task_id} {xcom.key}")
        for rtif in session.query(RenderedTaskInstanceFields).all():
            rows += 1
            if secret in repr(rtif.rendered_fields) + repr(getattr(rtif, "k8s_pod_yaml", "")):
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


def test_a_sagemaker_gatling_jar_gets_temporary_credentials_through_a_file_that_leaks_nowhere(
    local_sagemaker: LocalSageMakerStatus,
    java_auth_shim: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    argv_log, file_log, values_log = java_auth_shim
    apply_env(monkeypatch, sizing_env(local_sagemaker))
    monkeypatch.setenv("PATH", f"{argv_log.parent / 'shim'}{os.pathsep}{os.environ['PATH']}")
    started = time.time()
    conf = base_conf(
        endpoint_name="secret-jar",
        type_walk="ml.m5.large",
        tps_walk="10",
        peak_tps=10,
        jar_file=str(STANDIN_JAR),
        latency_success_p99=5000,
    )
    conf["perfsize_results_dir"] = str(tmp_path / "results")

    run = run_sizing(local_sagemaker, conf)
    out, err = capfd.readouterr()

    assert run.state == "success", run.states
    # The jar got a config file only its user could read, with temporary credentials in it.
    files = [line.split(" ", 1) for line in file_log.read_text().splitlines()]
    assert files and all(mode == "600" for mode, _ in files), files
    values = values_log.read_text().splitlines()
    assert len(values) == 3 * len(files)
    key, secret, token = values[:3]
    assert key.startswith("ASIA") and token and secret not in (SECRET, "do-not-commit-to-git")
    # ... and nothing left behind: every step's file is gone.
    assert [path for _, path in files if Path(path).exists()] == []
    # None of them (nor the connection's own secret) in argv, logs, XCom, rendered fields, results.
    argv = argv_log.read_text()
    assert "-Dsagemaker.endpoint=" in argv and "-Dconfig.file" not in argv
    assert "-Dsagemaker.endpoint=" in out + err
    logs = list(files_under(Path(os.environ["AIRFLOW_HOME"]) / "logs", started))
    results = list(files_under(tmp_path / "results", started))
    assert len(results) > 3
    for secret_value in (SECRET, secret, token):
        assert secret_value not in argv
        assert secret_value not in out and secret_value not in err
        assert [p for p in logs + results if secret_value.encode() in p.read_bytes()] == []
        assert leaks_in_db(secret_value) == []
