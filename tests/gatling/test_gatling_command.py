"""The java command line of a load step: perfsizesagemaker's, argument for argument."""

from __future__ import annotations

import shlex
from decimal import Decimal
from pathlib import Path

import pytest
from sagemaker_sizing.adapters.gatling_command import (
    GatlingStep,
    ScenarioRequest,
    format_number,
    gatling_args,
    gatling_shell_command,
    output_base_name,
    requests_json,
    result_folder,
)
from sagemaker_sizing.paths import GATLING_JAR


def step(**overrides: object) -> GatlingStep:
    fields: dict[str, object] = dict(
        host="runtime.sagemaker.us-west-2.amazonaws.com",
        region="us-west-2",
        endpoint="LEARNING-model-simulator-1",
        steady_state_tps=Decimal("10"),
        steady_state_minutes=Decimal("3"),
        requests=[ScenarioRequest("bodies/model-sim/1/status-200.input.json", 100)],
        output_base_name="1628676529-ml.m5.large-1-10TPS",
        results_dir="./perfsize-results-dir",
        warm_up_seconds=0,
        class_data_archive=None,
    )
    fields.update(overrides)
    return GatlingStep(**fields)  # type: ignore[arg-type]


def test_args_match_perfsizesagemaker_order_without_credentials() -> None:
    args = gatling_args(step())
    assert args == [
        "java",
        "-Dgatling.core.outputDirectoryBaseName=1628676529-ml.m5.large-1-10TPS",
        "-Dsagemaker.host=runtime.sagemaker.us-west-2.amazonaws.com",
        "-Dsagemaker.region=us-west-2",
        "-Dsagemaker.endpoint=LEARNING-model-simulator-1",
        "-Dscenario.rampStartTps=0",
        "-Dscenario.rampMinutes=0",
        "-Dscenario.steadyStateTps=10",
        "-Dscenario.steadyStateMinutes=3",
        '-Dscenario.requests=[{"path":"bodies/model-sim/1/status-200.input.json","weight":100}]',
        "-jar",
        str(GATLING_JAR),
        "-s",
        "GenericSageMakerScenario",
        "-rf",
        "./perfsize-results-dir",
    ]
    assert not any("auth." in a or "ccessKey" in a for a in args)


def test_warm_up_is_on_by_default_and_rendered_before_the_contract_properties() -> None:
    fields = {k: getattr(step(), k) for k in ("host", "region", "endpoint", "requests", "results_dir")}
    default = GatlingStep(**fields, steady_state_tps=1000, steady_state_minutes=3, output_base_name="x")
    args = gatling_args(default)
    assert "-Dscenario.warmUpSeconds=3" in args
    assert args.index("-Dscenario.warmUpSeconds=3") < args.index("-Dgatling.core.outputDirectoryBaseName=x")
    assert gatling_args(step(warm_up_seconds=0.5))[1] == "-Dscenario.warmUpSeconds=0.5"
    with pytest.raises(ValueError, match="warm_up_seconds"):
        gatling_args(step(warm_up_seconds=-1))


def test_class_data_archive_is_the_jars_sibling_when_present(tmp_path: Path) -> None:
    jar = tmp_path / "load.jar"
    jar.write_bytes(b"")
    assert gatling_args(step(jar=jar, class_data_archive="auto"))[1].startswith("-Dgatling.core")
    (tmp_path / "load.jsa").write_bytes(b"")
    assert gatling_args(step(jar=jar, class_data_archive="auto"))[1] == (
        f"-XX:SharedArchiveFile={tmp_path / 'load.jsa'}"
    )
    assert gatling_args(step(jar=jar, class_data_archive="/x/y.jsa"))[1] == "-XX:SharedArchiveFile=/x/y.jsa"
    assert gatling_args(step(jar=jar, class_data_archive=None))[1].startswith("-Dgatling.core")


def test_shell_string_round_trips_through_a_shell_split() -> None:
    s = step(
        requests=[ScenarioRequest("/data/it's a file.json", 40), ScenarioRequest("b.json", 60)],
        jvm_opts=["-Xmx512m", "-XX:+UseParallelGC"],
        results_dir=Path("/tmp/results dir"),
        ramp_minutes=0.5,
        ramp_start_tps=2,
    )
    line = gatling_shell_command(s)
    assert shlex.split(line) == gatling_args(s)
    assert shlex.split(line)[1:3] == ["-Xmx512m", "-XX:+UseParallelGC"]
    assert "-Dscenario.rampMinutes=0.5" in shlex.split(line)


@pytest.mark.parametrize(
    "opt", ["-Dauth.awsAccessKeyId=AKIA", "-Daws.secretAccessKey=x", "-DAWS.SESSIONTOKEN=x"]
)
def test_credentials_are_refused_on_the_command_line(opt: str) -> None:
    with pytest.raises(ValueError, match="credentials never go on the command line"):
        gatling_args(step(jvm_opts=[opt]))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (10, "10"),
        (10.0, "10"),
        (Decimal("10.00"), "10"),
        (0.25, "0.25"),
        (1e6, "1000000"),
        (0, "0"),
        (Decimal("0.05"), "0.05"),
        (1 / 3, "0.3333333333333333"),
    ],
)
def test_numbers_render_without_exponent_or_trailing_zeros(value: float, text: str) -> None:
    assert format_number(value) == text


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        format_number(float("nan"))


def test_requests_weights_must_total_100() -> None:
    assert requests_json([ScenarioRequest("a", 30), ScenarioRequest("b", 70)]) == (
        '[{"path":"a","weight":30},{"path":"b","weight":70}]'
    )
    for bad in ([], [ScenarioRequest("a", 99)], [ScenarioRequest("a", 101), ScenarioRequest("b", -1)]):
        with pytest.raises(ValueError):
            requests_json(bad)


def test_output_base_name_is_perfsizesagemakers_run_tag() -> None:
    assert output_base_name(1628676529, "ml.m5.large", Decimal("100"), instance_count=1) == (
        "1628676529-ml.m5.large-1-100TPS"
    )
    assert output_base_name(1628676529, "ml.m5.large", 70.0, scaling_min=2, scaling_max=5) == (
        "1628676529-ml.m5.large-min2-max5-70TPS"
    )


def test_result_folder_is_the_newest_with_a_gatling_timestamp(tmp_path: Path) -> None:
    for name in (
        "run-1-10TPS-20210811100851239",
        "run-1-10TPS-20210811110851239",
        "run-1-10TPS-extra-20210811120851239",  # another step whose tag only starts alike
        "run-1-10TPS-notes",
    ):
        (tmp_path / name).mkdir()
    assert result_folder(tmp_path, "run-1-10TPS") == tmp_path / "run-1-10TPS-20210811110851239"
    assert result_folder(tmp_path, "other") is None
    assert result_folder(tmp_path / "missing", "run") is None


def test_a_sagemaker_gatling_jar_gets_utf8_and_no_call_to_the_internet() -> None:
    # Seen with intuit's genuine jar (Gatling 3.2.0): under a POSIX locale it crashes on a
    # non-ASCII payload, and Gatling's defaults warm up on https://gatling.io and send analytics.
    args = gatling_args(step(host="127.0.0.1:8443", jar_kind="sagemaker-gatling", jvm_opts=("-Xmx1g",)))
    foreign = [
        "-Dfile.encoding=UTF-8",
        "-Dgatling.http.enableGA=false",
        "-Dgatling.data.enableAnalytics=false",
        "-Dgatling.http.warmUpUrl=https://127.0.0.1:8443/",
    ]
    # Right after java, before the user's java_opts (the last -D of a name wins: theirs can override).
    assert args[1:6] == [*foreign, "-Xmx1g"]
    # Otherwise perfsizesagemaker's list, untouched.
    assert args[6:] == gatling_args(step(host="127.0.0.1:8443", jvm_opts=("-Xmx1g",)))[2:]
    # The project's own jar sets these itself.
    assert not set(foreign) & set(gatling_args(step()))
    with pytest.raises(ValueError, match="jar_kind"):
        gatling_args(step(jar_kind="auto"))
