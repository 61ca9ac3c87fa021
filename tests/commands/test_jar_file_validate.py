"""``validate`` with a ``jar_file`` that is not a jar the load step can drive: refused, naming jar_file.

The jars are the real ones Maven builds in scripts/setup.sh (the sagemaker-gatling stand-in: a
shaded Gatling 3.10.5 jar, and the thin jar the shade plugin leaves beside it), or are made from
their bytes (a download cut short, a Gatling jar whose simulation has another name, a Gatling
whose log is binary). ``validate`` deploys nothing: refusing here is refusing before any spend.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from sagemaker_sizing.cli import main
from sagemaker_sizing.paths import INCLUDE_DIR, STANDIN_JAR

if TYPE_CHECKING:
    import pytest

THIN_JAR = STANDIN_JAR.parent / "original-sagemaker-gatling-standin.jar"
DEMO = json.loads((INCLUDE_DIR / "examples" / "demo.conf.json").read_text())
PAYLOAD = str(INCLUDE_DIR / "examples" / "sample.input.json")


def validate(tmp_path: Path, jar: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    conf = DEMO | {"scenario_requests": [{"path": PAYLOAD, "weight": 100}], "jar_file": str(jar)}
    conf["host"] = "runtime.sagemaker.us-west-2.amazonaws.com"
    path = tmp_path / "conf.json"
    path.write_text(json.dumps(conf))
    code = main(["validate", str(path), "--max-rounds", "30"])
    printed = capsys.readouterr()
    out = printed.out + printed.err
    assert "Traceback" not in out
    return code, out


def from_standin(path: Path, renames: dict[str, str], version: str | None = None) -> Path:
    """A jar of the stand-in's own manifest, Gatling launcher and scenario bytes, entries renamed."""
    with zipfile.ZipFile(STANDIN_JAR) as real, zipfile.ZipFile(path, "w") as jar:
        for name in (
            "META-INF/MANIFEST.MF",
            "io/gatling/app/Gatling.class",
            "GenericSageMakerScenario.class",
        ):
            jar.writestr(renames.get(name, name), real.read(name))
        properties = real.read("gatling-version.properties").decode()
        if version is not None:
            properties = properties.replace("version=3.10.5", f"version={version}")
        jar.writestr("gatling-version.properties", properties)
    return path


def test_the_real_stand_in_jar_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = validate(tmp_path, STANDIN_JAR, capsys)
    assert code == 0, out
    # What the load steps will drive, read from the jar (intuit's genuine one: Gatling 3.2.0).
    assert f"jar_file {STANDIN_JAR}: sagemaker-gatling (detected), Gatling 3.10.5" in out


def test_the_thin_jar_maven_leaves_beside_it_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = validate(tmp_path, THIN_JAR, capsys)
    assert code == 2
    assert f"- jar_file: got '{THIN_JAR}', expected a runnable jar, with a Main-Class" in out
    assert "original-*.jar" in out
    # intuit's build leaves its thin jar without the original- prefix (seen with the genuine jar).
    assert "-fatjar.jar" in out


def test_a_jar_cut_short_and_a_file_that_is_no_zip_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.jar"
    with STANDIN_JAR.open("rb") as real:
        cut.write_bytes(real.read(1 << 20))  # a download stopped after 1 MiB: no central directory
    text = tmp_path / "text.jar"
    text.write_text("<html>404 Not Found</html>")
    for jar in (cut, text):
        code, out = validate(tmp_path, jar, capsys)
        assert code == 2
        assert f"- jar_file: got '{jar}', expected a readable jar file" in out


def test_a_zip_without_gatling_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jar = tmp_path / "app.jar"
    with zipfile.ZipFile(jar, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: com.example.App\r\n\r\n")
        z.writestr("com/example/App.class", b"\xca\xfe\xba\xbe")
    code, out = validate(tmp_path, jar, capsys)
    assert code == 2
    assert "- jar_file:" in out
    assert (
        "expected a Gatling jar with main class sagemakersizing.gatling.Launcher or io.gatling.app.Gatling"
        in out
    )
    assert "found main class com.example.App, no GenericSageMakerScenario" in out


def test_a_gatling_jar_with_another_simulation_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jar = from_standin(
        tmp_path / "other.jar", {"GenericSageMakerScenario.class": "com/example/CheckoutSimulation.class"}
    )
    code, out = validate(tmp_path, jar, capsys)
    assert code == 2
    assert "- jar_file:" in out
    assert "found main class io.gatling.app.Gatling, no GenericSageMakerScenario" in out


def test_a_jar_of_a_binary_log_gatling_is_refused_naming_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text_log = from_standin(tmp_path / "text.jar", {}, version="3.12.0")
    assert validate(tmp_path, text_log, capsys)[0] == 0
    binary_log = from_standin(tmp_path / "binary.jar", {}, version="3.13.0")
    code, out = validate(tmp_path, binary_log, capsys)
    assert code == 2
    assert "- jar_file:" in out
    assert "Gatling 3.12 and older write a text simulation.log, 3.13 and later a binary one" in out
    assert "this one is Gatling 3.13.0" in out
