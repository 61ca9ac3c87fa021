"""``sagemaker-sizing preflight --local`` against a running local SageMaker with quotas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sagemaker_sizing.cli import main
from sagemaker_sizing.local import running_local_sagemaker
from sagemaker_sizing.local.state_files import set_quotas

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sagemaker_sizing.local import LocalSageMakerStatus

DEMO = Path(__file__).resolve().parents[2] / "include" / "examples" / "demo.conf.json"

pytestmark = pytest.mark.e2e  # a local SageMaker per module (make check leaves it out)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    state_dir = tmp_path_factory.mktemp("local-preflight")
    with running_local_sagemaker(
        state_dir, models=("sizing-demo-model",), quotas={"ml.m5.xlarge": 0}
    ) as running:
        yield running


def preflight(local: LocalSageMakerStatus, conf: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(["preflight", "--local", "--state-dir", local.state_dir, "--conf", str(conf)])
    return rc, capsys.readouterr().out


def test_a_zero_quota_fails_preflight_naming_it(
    local: LocalSageMakerStatus, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out = preflight(local, DEMO, capsys)
    assert rc == 1
    assert "[blocking] quota: 'ml.m5.xlarge for endpoint usage' is 0" in out
    assert "nothing was deployed" in out
    assert (
        "price of ml.m5.large: $0.115/hour (bundled table resources/cost/us-west-2.json, 2021-08-04)" in out
    )
    assert local.client("sagemaker").list_endpoints()["Endpoints"] == []


def test_skip_passes_and_says_what_it_sizes(
    local: LocalSageMakerStatus, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = json.loads(DEMO.read_text())
    raw.update(
        on_quota="skip", scenario_requests=[{"path": str(DEMO.parent / "sample.input.json"), "weight": 100}]
    )
    conf = tmp_path / "skip.conf.json"
    conf.write_text(json.dumps(raw))
    rc, out = preflight(local, conf, capsys)
    assert rc == 0, out
    assert "ml.m5.xlarge dropped from the walk (on_quota skip)" in out
    assert "the walk sizes ml.m5.large (dropped: ml.m5.xlarge)" in out


def test_a_missing_model_and_a_raised_quota(
    local: LocalSageMakerStatus, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    set_quotas({"ml.m5.xlarge": 40}, local.state_dir)
    try:
        raw = json.loads(DEMO.read_text())
        raw.update(
            model_name="no-such-model",
            scenario_requests=[{"path": str(DEMO.parent / "sample.input.json"), "weight": 100}],
        )
        conf = tmp_path / "missing.conf.json"
        conf.write_text(json.dumps(raw))
        rc, out = preflight(local, conf, capsys)
    finally:
        set_quotas({"ml.m5.xlarge": 0}, local.state_dir)
    assert rc == 1
    assert "[blocking] model: model_name: no model 'no-such-model'" in out
    # How to make it, on the local SageMaker (issue 26).
    seed = f"sagemaker-sizing local seed-model --state-dir {local.state_dir} no-such-model"
    assert f"  on the local SageMaker, create it with: {seed}\n" in out
    assert "'ml.m5.xlarge for endpoint usage'" not in out.split("[blocking]", 1)[1].split("\n")[0]


def test_an_invalid_conf_exits_2(
    local: LocalSageMakerStatus, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    raw = json.loads(DEMO.read_text())
    raw["endpoint_name"] = "has_underscore"
    conf = tmp_path / "bad.conf.json"
    conf.write_text(json.dumps(raw))
    rc, out = preflight(local, conf, capsys)
    assert rc == 2 and "endpoint_name" in out and "SageMaker name" in out


def test_the_console_script_prints_each_finding_once_without_airflow_noise(
    local: LocalSageMakerStatus,
) -> None:
    """Run as a user types it: no AIRFLOW_HOME (the checkout's airflow_home is used, not ~/airflow),
    no logging settings. Airflow's INFO lines (config read, the provider's "credentials retrieved"
    per client) and the task-log copy of each finding stay out of the command's output."""
    env = {k: v for k, v in os.environ.items() if k != "AIRFLOW_HOME" and not k.startswith("AIRFLOW__")}
    script = Path(sys.executable).with_name("sagemaker-sizing")
    done = subprocess.run(
        [str(script), "preflight", "--local", "--state-dir", str(local.state_dir), "--conf", str(DEMO)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert output.count("'ml.m5.xlarge for endpoint usage' is 0") == 1, output
    assert "credentials retrieved" not in output
    assert "Reading the config" not in output


def test_orphans_lists_what_a_crashed_run_left_on_the_local_sagemaker(
    local: LocalSageMakerStatus, capsys: pytest.CaptureFixture[str]
) -> None:
    """``orphans --local`` (issue 26): the local SageMaker's connection lives only in the demo's and
    the UI's environment, so ``--aws-conn-id sagemaker_sizing_local`` alone could not find it."""
    from sagemaker_sizing.adapters.ownership import run_tags

    sm = local.client("sagemaker")
    variant = {"VariantName": "v", "ModelName": "sizing-demo-model", "InstanceType": "ml.m5.large"}
    sm.create_endpoint_config(
        EndpointConfigName="left-behind-config",
        ProductionVariants=[{**variant, "InitialInstanceCount": 1}],
        Tags=run_tags("sagemaker_sizing/crashed", "ml-m5-large"),
    )
    try:
        assert main(["orphans", "--local", "--state-dir", local.state_dir]) == 0
        out = capsys.readouterr().out
        assert "left-behind-config" in out and "run sagemaker_sizing/crashed" in out
        assert "1 sizing resource(s) found" in out
    finally:
        sm.delete_endpoint_config(EndpointConfigName="left-behind-config")
    assert main(["orphans", "--local", "--state-dir", str(Path(local.state_dir) / "not-running")]) == 1
    assert "the local SageMaker is not running" in capsys.readouterr().out
