"""A split step's shared start instant on the command line, and who waits for it."""

from __future__ import annotations

from pathlib import Path

from sagemaker_sizing.adapters.gatling_command import (
    START_AT_PROPERTY,
    GatlingStep,
    ScenarioRequest,
    gatling_shell_command,
)
from sagemaker_sizing.airflow import callables
from sagemaker_sizing.airflow.load_sync import wait_for_foreign_jar
from sagemaker_sizing.paths import GATLING_JAR

START_MS = 1_800_000_010_000


def command(jar: Path, start_at_ms: int | None) -> str:
    step = GatlingStep(
        host="http://127.0.0.1:1",
        region="us-west-2",
        endpoint="ep",
        steady_state_tps=10,
        steady_state_minutes=1,
        requests=[ScenarioRequest("p.json", 100)],
        output_base_name="base-inj1of2",
        results_dir="/tmp/results",
        jar=jar,
        start_at_epoch_ms=start_at_ms,
        class_data_archive=None,
    )
    return gatling_shell_command(step)


def test_the_instant_is_a_system_property_only_when_set() -> None:
    assert f"{START_AT_PROPERTY}{START_MS}" in command(GATLING_JAR, START_MS)
    assert START_AT_PROPERTY not in command(GATLING_JAR, None)


def test_a_foreign_jar_is_started_at_the_instant_the_projects_jar_waits_itself() -> None:
    slept: list[float] = []
    now = lambda: START_MS / 1000 - 4.0  # noqa: E731
    assert (
        wait_for_foreign_jar(
            command(Path("/opt/user/sagemaker-gatling.jar"), START_MS), now=now, sleep=slept.append
        )
        == 4.0
    )
    assert slept == [4.0]
    assert wait_for_foreign_jar(command(GATLING_JAR, START_MS), now=now, sleep=slept.append) == 0.0
    assert wait_for_foreign_jar(command(Path("/opt/user/j.jar"), None), now=now, sleep=slept.append) == 0.0
    late = lambda: START_MS / 1000 + 1.0  # noqa: E731
    assert (
        wait_for_foreign_jar(command(Path("/opt/user/j.jar"), START_MS), now=late, sleep=slept.append) == 0.0
    )
    assert slept == [4.0]


def test_only_rounds_with_a_split_step_get_an_instant_ahead_of_now() -> None:
    assert callables.injector_start([{"injectors": 1}, {"injectors": 1}], now_s=100.0) is None
    assert callables.injector_start([{"injectors": 1}, {"injectors": 3}], now_s=100.0) == 115_000


def test_a_worker_makes_the_results_folder_the_commands_task_made_on_another_host(tmp_path: Path) -> None:
    from sagemaker_sizing.airflow.load_sync import ensure_results_folder

    folder = tmp_path / "staging" / "dag__run"
    ensure_results_folder(command(GATLING_JAR, None).replace("/tmp/results", str(folder)))
    assert folder.is_dir()
