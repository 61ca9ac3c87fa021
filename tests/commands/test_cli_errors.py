"""The CLI turns an error of the world outside into one line; a bug keeps its traceback."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest
from sagemaker_sizing import cli
from sagemaker_sizing.commands import demo, validate
from sagemaker_sizing.local import LocalSageMakerStatus

if TYPE_CHECKING:
    import argparse


def _raises(exc: BaseException):
    def handle(_args: argparse.Namespace) -> int:
        raise exc

    return handle


def test_a_dead_control_plane_is_one_line_not_a_traceback(monkeypatch, capsys) -> None:
    from botocore.exceptions import EndpointConnectionError

    monkeypatch.setattr(
        validate, "handle", _raises(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
    )
    assert cli.main(["validate", "x.json"]) == 1
    err = capsys.readouterr().err
    assert err == 'error: Could not connect to the endpoint URL: "http://127.0.0.1:9"\n'


def test_aws_refusing_a_call_is_one_line(monkeypatch, capsys) -> None:
    from botocore.exceptions import ClientError

    refused = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListEndpoints")
    monkeypatch.setattr(validate, "handle", _raises(refused))
    assert cli.main(["validate", "x.json"]) == 1
    assert capsys.readouterr().err == "error: AWS refused ListEndpoints: AccessDenied: no\n"


def test_a_bug_keeps_its_traceback(monkeypatch) -> None:
    monkeypatch.setattr(validate, "handle", _raises(KeyError("bug")))
    with pytest.raises(KeyError):
        cli.main(["validate", "x.json"])


def test_the_demo_counting_leftovers_on_a_dead_control_plane_says_so(monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = LocalSageMakerStatus(
        control_plane_url=f"http://127.0.0.1:{port}", runtime_url=None, region="us-west-2",
        aws_access_key_id="LOCALX", aws_secret_access_key="local", control_plane_up=False,
        runtime_up=False, pids={}, state_dir="/nonexistent",
    )  # fmt: skip
    assert demo._leftover_endpoints(dead) is None
    out = capsys.readouterr().out
    assert out.startswith(
        f"error: the local SageMaker's control plane (http://127.0.0.1:{port}) did not answer"
    )
    assert "Traceback" not in out and out.count("\n") == 1


def test_the_cli_uses_the_checkouts_airflow_home_and_keeps_what_the_user_set(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(cli, "PROJECT_ROOT", tmp_path)
    env: dict[str, str] = {}
    cli.airflow_environment(env, in_process=False, verbose=False)
    assert env == {}  # no airflow_home set up: Airflow's own default stays
    (tmp_path / "airflow_home").mkdir()
    (tmp_path / "airflow_home" / "airflow.cfg").write_text("[core]\n")
    cli.airflow_environment(env, in_process=False, verbose=False)
    assert env == {"AIRFLOW_HOME": str(tmp_path / "airflow_home")}  # a command that starts Airflow: INFO
    cli.airflow_environment(env, in_process=True, verbose=True)
    assert "AIRFLOW__LOGGING__LOGGING_LEVEL" not in env
    mine = {"AIRFLOW_HOME": "/mine", "AIRFLOW__LOGGING__LOGGING_LEVEL": "debug"}
    cli.airflow_environment(mine, in_process=True, verbose=False)
    assert mine == {"AIRFLOW_HOME": "/mine", "AIRFLOW__LOGGING__LOGGING_LEVEL": "debug"}
    env.clear()
    cli.airflow_environment(env, in_process=True, verbose=False)
    assert env["AIRFLOW__LOGGING__LOGGING_LEVEL"] == "WARNING"
