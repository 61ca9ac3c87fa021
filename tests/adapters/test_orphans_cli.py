# ruff: noqa: F811  (pytest fixtures imported from the teardown tests)
"""``sagemaker-sizing orphans``: lists by tag through an Airflow connection, deletes only when filtered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sagemaker_sizing.cli import main
from sagemaker_sizing.commands.orphans import duration

from tests.adapters.conftest import CONN_ID
from tests.adapters.test_sagemaker_teardown import OTHER_RUN, RUN, endpoints, two_runs_and_a_stranger  # noqa: F401


def test_durations() -> None:
    assert duration("2h") == timedelta(hours=2)
    assert duration("30m") == timedelta(minutes=30)
    assert duration("1.5d") == timedelta(hours=36)
    with pytest.raises(Exception, match="not a duration"):
        duration("two hours")


def test_lists_every_sizing_resource_but_not_the_stranger(
    aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orphans", "--aws-conn-id", CONN_ID]) == 0
    out = capsys.readouterr().out
    assert "7 sizing resource(s) found" in out
    assert RUN in out and OTHER_RUN in out
    assert "foreign" not in out
    assert len(endpoints(aws)) == 4  # listing deletes nothing


def test_delete_needs_a_filter(
    aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orphans", "--aws-conn-id", CONN_ID, "--delete"]) == 2
    assert "refusing" in capsys.readouterr().out
    assert len(endpoints(aws)) == 4


def test_delete_one_crashed_run(
    aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = two_runs_and_a_stranger["theirs"]
    assert main(["orphans", "--aws-conn-id", CONN_ID, "--run-id", OTHER_RUN, "--delete"]) == 0
    out = capsys.readouterr().out
    assert "2 sizing resource(s) found" in out and theirs["endpoint_name"] in out
    left = endpoints(aws)
    assert theirs["endpoint_name"] not in left and "foreign" in left and len(left) == 3


def test_older_than_leaves_young_resources(
    aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orphans", "--aws-conn-id", CONN_ID, "--older-than", "2h", "--delete"]) == 0
    assert "0 sizing resource(s) found" in capsys.readouterr().out
    assert len(endpoints(aws)) == 4


def test_a_region_flag_lists_in_that_region(
    aws: dict[str, Any], two_runs_and_a_stranger: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Was: 'str' object has no attribute 'get' (the region was passed where a conf was expected).
    assert main(["orphans", "--aws-conn-id", CONN_ID, "--region", "us-west-2"]) == 0
    assert "7 sizing resource(s) found" in capsys.readouterr().out
    assert main(["orphans", "--aws-conn-id", CONN_ID, "--region", "eu-west-1"]) == 0
    assert "0 sizing resource(s) found" in capsys.readouterr().out  # moto keeps regions apart
