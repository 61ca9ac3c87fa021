"""The kind of a load jar is read from the jar: main class, GenericSageMakerScenario, Gatling version."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.core.conf.model import ConfError, load_conf, resolved_jar_kind
from sagemaker_sizing.core.gatling.jar_kind import (
    PROJECT,
    SAGEMAKER_GATLING,
    JarKindError,
    inspect_jar,
    jar_kind,
)

PAYLOAD = Path(__file__).resolve().parents[2] / "include" / "examples" / "sample.input.json"


def make_jar(
    path: Path,
    main_class: str | None,
    scenario: str | None,
    version: str | None,
    version_file: str = "gatling",
) -> Path:
    with zipfile.ZipFile(path, "w") as jar:
        if main_class is not None:
            # A long Main-Class wraps at 72 bytes with a leading space, as jar tools write it.
            line = f"Main-Class: {main_class}"
            wrapped = "\r\n ".join(line[i : i + 70] for i in range(0, len(line), 70))
            jar.writestr("META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\r\n{wrapped}\r\n\r\n")
        if scenario is not None:
            jar.writestr(scenario, b"\xca\xfe\xba\xbe")
        if version is not None:
            if version_file == "gatling":
                jar.writestr("gatling-version.properties", f"version={version}\nrelease-date=x\n")
            else:
                jar.writestr(
                    "META-INF/maven/io.gatling/gatling-core/pom.properties",
                    f"groupId=io.gatling\nversion={version}\n",
                )
        jar.writestr("io/gatling/app/Gatling.class", b"")
    return path


def test_the_project_jar_and_a_sagemaker_gatling_jar_are_told_apart(tmp_path: Path) -> None:
    project = make_jar(
        tmp_path / "p.jar", "sagemakersizing.gatling.Launcher", "GenericSageMakerScenario.class", "3.10.5"
    )
    intuit = make_jar(
        tmp_path / "i.jar", "io.gatling.app.Gatling", "GenericSageMakerScenario.class", "3.2.0", "pom"
    )
    packaged = make_jar(
        tmp_path / "k.jar",
        "com.example.SomeLauncherWithAVeryLongNameThatWrapsInTheManifestFile",
        "com/intuit/perf/GenericSageMakerScenario.class",
        None,
    )
    assert jar_kind(project) == PROJECT
    assert jar_kind(intuit) == SAGEMAKER_GATLING
    assert inspect_jar(intuit).gatling_version == "3.2.0"
    info = inspect_jar(packaged)
    assert info.main_class == "com.example.SomeLauncherWithAVeryLongNameThatWrapsInTheManifestFile"
    assert jar_kind(packaged) == SAGEMAKER_GATLING


def test_the_override_wins_but_not_over_a_binary_log_gatling(tmp_path: Path) -> None:
    unknown = make_jar(tmp_path / "u.jar", "com.example.Main", None, "3.9.0")
    with pytest.raises(JarKindError, match="set jar_kind"):
        jar_kind(unknown)
    assert jar_kind(unknown, SAGEMAKER_GATLING) == SAGEMAKER_GATLING
    binary = make_jar(
        tmp_path / "b.jar", "io.gatling.app.Gatling", "GenericSageMakerScenario.class", "3.13.0"
    )
    with pytest.raises(JarKindError, match=r"3\.12 and older write a text simulation\.log.*Gatling 3\.13\.0"):
        jar_kind(binary, SAGEMAKER_GATLING)
    last_text = make_jar(
        tmp_path / "t.jar", "io.gatling.app.Gatling", "GenericSageMakerScenario.class", "3.12.0"
    )
    assert jar_kind(last_text) == SAGEMAKER_GATLING  # 3.12.0 still writes the text log
    not_a_jar = tmp_path / "n.jar"
    not_a_jar.write_text("hello")
    with pytest.raises(JarKindError, match="a readable jar"):
        jar_kind(not_a_jar)


def conf(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "region": "us-west-2",
        "endpoint_name": "e",
        "endpoint_config_name": "c",
        "model_name": "m",
        "scenario_requests": [{"path": str(PAYLOAD), "weight": 100}],
        "peak_tps": 10,
        "latency_success_p99": 500,
        "percent_fail": 1,
        "type_walk": "ml.m5.large",
        "count_walk": "1",
        "tps_walk": "10",
    }
    raw.update(overrides)
    return raw


def test_the_conf_names_jar_file_when_the_jar_is_of_no_known_kind(tmp_path: Path) -> None:
    unknown = make_jar(tmp_path / "u.jar", "com.example.Main", None, None)
    with pytest.raises(ConfError) as caught:
        load_conf(conf(jar_file=str(unknown)))
    assert [p.field for p in caught.value.problems] == ["jar_file"]
    assert resolved_jar_kind(load_conf(conf(jar_file=str(unknown), jar_kind="project"))) == PROJECT
    with pytest.raises(ConfError) as caught:
        load_conf(conf(jar_kind="scala"))
    assert [p.field for p in caught.value.problems] == ["jar_kind"]
    assert resolved_jar_kind(load_conf(conf())) == PROJECT  # no jar_file: the project's own


def test_a_sagemaker_gatling_jar_cannot_take_an_http_host(tmp_path: Path) -> None:
    intuit = make_jar(tmp_path / "i.jar", "io.gatling.app.Gatling", "GenericSageMakerScenario.class", "3.2.0")
    with pytest.raises(ConfError) as caught:
        load_conf(conf(jar_file=str(intuit), host="http://127.0.0.1:8080"))
    assert [p.field for p in caught.value.problems] == ["host"]
    assert load_conf(conf(jar_file=str(intuit), host="runtime.sagemaker.us-west-2.amazonaws.com")).host


def test_a_jar_that_cannot_run_or_lacks_gatling_is_refused(tmp_path: Path) -> None:
    no_gatling = tmp_path / "g.jar"
    with zipfile.ZipFile(no_gatling, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: com.example.Main\r\n\r\n")
        jar.writestr("GenericSageMakerScenario.class", b"\xca\xfe\xba\xbe")
    with pytest.raises(JarKindError, match="holding Gatling itself"):
        jar_kind(no_gatling)
    with pytest.raises(JarKindError, match="holding Gatling itself"):
        jar_kind(no_gatling, SAGEMAKER_GATLING)
    not_runnable = make_jar(tmp_path / "n.jar", None, "GenericSageMakerScenario.class", "3.10.5")
    for kind in ("auto", PROJECT, SAGEMAKER_GATLING):
        with pytest.raises(JarKindError, match="a runnable jar, with a Main-Class"):
            jar_kind(not_runnable, kind)
