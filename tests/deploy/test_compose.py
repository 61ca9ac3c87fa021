"""docker-compose.yaml: valid against the Compose Specification, shaped like Airflow's official
CeleryExecutor file, and referring only to what exists (services, volumes, files, variables)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.interpolate import MissingVariableError, interpolate, read_env_file

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
}


def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # type: ignore[no-any-return]


def resolved(env: dict[str, str]) -> tuple[dict[str, Any], set[str]]:
    used: set[str] = set()
    return interpolate(raw(), env, used), used


@pytest.fixture(scope="module")
def example_env() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE.read_text())


@pytest.fixture(scope="module")
def compose(example_env: dict[str, str]) -> dict[str, Any]:
    return resolved(example_env)[0]


def test_every_variable_resolves_without_a_dot_env_and_with_the_example() -> None:
    resolved({})  # defaults only: `docker compose up` works before .env exists
    env = read_env_file(ENV_EXAMPLE.read_text())
    _, used = resolved(env)
    assert used, "the compose file uses no variables at all?"
    assert not used - set(env), f"variables missing from .env.example: {sorted(used - set(env))}"
    assert not set(env) - used, f".env.example sets unused variables: {sorted(set(env) - used)}"


def test_an_unset_variable_without_default_is_caught() -> None:
    # The check above is only worth something if a missing variable does fail.
    with pytest.raises(MissingVariableError):
        interpolate({"x": "${NOT_SET_ANYWHERE}"}, {}, set())
    assert interpolate("$${HOSTNAME}", {}, set()) == "${HOSTNAME}"


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    """Checked by compose_spec (a Compose Specification parser: unknown keys, wrong types), which
    the lock file installs everywhere; a check through `docker compose config` would run only
    where a Docker client happens to be, and skip unseen elsewhere, so there is none."""
    from compose_spec import PyCompose

    parsed = PyCompose.from_json(json.dumps(compose))
    parsed.validate()
    assert set(parsed.service_names()) == set(compose["services"])


def test_the_validator_rejects_a_broken_file(compose: dict[str, Any]) -> None:
    from compose_spec import PyCompose

    broken = json.loads(json.dumps(compose))
    broken["services"]["airflow-worker"]["comand"] = "celery worker"
    with pytest.raises(ValueError, match="comand"):
        PyCompose.from_json(json.dumps(broken)).validate()
    broken = json.loads(json.dumps(compose))
    broken["services"]["airflow-apiserver"]["ports"] = 8080
    with pytest.raises(ValueError, match="invalid type: integer `8080`"):
        PyCompose.from_json(json.dumps(broken)).validate()


def test_shaped_like_airflows_celery_file(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert AIRFLOW_SERVICES | {"postgres", "redis"} <= set(services)
    commands = {name: services[name].get("command") for name in AIRFLOW_SERVICES - {"airflow-init"}}
    assert commands == {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
        "airflow-worker": "celery worker",
    }
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        assert "AIRFLOW_CONN_AWS_DEFAULT" in env
        assert services[name]["build"]["context"] == "."
    assert services["airflow-init"]["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"


def test_workers_scale(compose: dict[str, Any]) -> None:
    # `--scale airflow-worker=N` fails on a fixed container name or a published host port.
    worker = compose["services"]["airflow-worker"]
    assert "container_name" not in worker
    assert "ports" not in worker


def test_depends_on_and_volumes_refer_to_what_exists(compose: dict[str, Any]) -> None:
    services = compose["services"]
    named_volumes = set(compose.get("volumes") or {})
    used_volumes: set[str] = set()
    for name, service in services.items():
        for dependency in service.get("depends_on") or {}:
            assert dependency in services, f"{name} depends on unknown service {dependency}"
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind-mount source {source} does not exist"
            else:
                assert source in named_volumes, f"{name}: volume {source} is not declared"
                used_volumes.add(source)
    assert used_volumes == named_volumes, f"declared but unused: {named_volumes - used_volumes}"


def test_results_are_shared_by_every_airflow_service(compose: dict[str, Any]) -> None:
    """Load and parse tasks run on any worker and the report reads all their results."""
    from sagemaker_sizing.airflow import results_store
    from sagemaker_sizing.core.conf.model import RESULTS_DIR_DEFAULT

    from tests.deploy.test_dockerfile import image_env

    home = image_env()["SAGEMAKER_SIZING_HOME"]
    # The conf's default results folder and every folder the UI serves runs from.
    folders = {RESULTS_DIR_DEFAULT, *(p.name for p in results_store.results_roots())}
    assert len(folders) >= 2
    for name in AIRFLOW_SERVICES:
        mounts = {v.split(":")[1] for v in compose["services"][name]["volumes"]}
        assert {f"{home}/{folder}" for folder in folders} <= mounts, name


def test_build_context_has_the_dockerfile(compose: dict[str, Any]) -> None:
    build = compose["services"]["airflow-worker"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()


def test_settings_variables_are_real_settings(compose: dict[str, Any]) -> None:
    """Each AIRFLOW__SAGEMAKER_SIZING__X the file sets is a setting the DAG reads."""
    import sagemaker_sizing.airflow.settings as settings

    env = compose["services"]["airflow-worker"]["environment"]
    names = {k.removeprefix("AIRFLOW__SAGEMAKER_SIZING__").lower() for k in env if "SAGEMAKER_SIZING__" in k}
    assert names
    source = Path(settings.__file__).read_text()
    for name in names:
        assert re.search(rf'SECTION, "{name}"', source), f"no setting {name} in airflow/settings.py"
