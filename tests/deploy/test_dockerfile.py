"""The Dockerfile: the official Airflow image at the project's Airflow version, Java 17, the pinned
requirements, the Gatling jar built from include/gatling, and the project where the code looks."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.deploy.dockerfile import Instruction, copy_of, parse

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse(DOCKERFILE)


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in parse(DOCKERFILE):
        if ins.keyword == "ENV":
            env.update(word.split("=", 1) for word in ins.words())  # type: ignore[arg-type]
    return env


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            result.append([])
        elif result:
            result[-1].append(ins)
    return result


def test_parses_into_known_instructions(instructions: list[Instruction]) -> None:
    known = {"FROM", "RUN", "COPY", "ENV", "ARG", "USER", "WORKDIR", "LABEL", "EXPOSE", "ENTRYPOINT", "CMD"}
    assert instructions
    assert {ins.keyword for ins in instructions} <= known
    assert instructions[0].keyword in ("ARG", "FROM")


def test_final_image_is_the_official_airflow_at_the_locked_version(instructions: list[Instruction]) -> None:
    args = dict(i.args.split("=", 1) for i in instructions if i.keyword == "ARG" and "=" in i.args)
    base = [i.args for i in instructions if i.keyword == "FROM"][-1]
    image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    locked = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.lock").read_text(), re.M)
    assert locked
    assert image == f"apache/airflow:{locked.group(1)}-python3.11"


def test_java_17_and_the_locked_requirements(instructions: list[Instruction]) -> None:
    runs = " ".join(i.args for i in instructions if i.keyword == "RUN")
    assert re.search(r"apt-get install .*openjdk-17-jre-headless", runs)
    assert "pip install --no-cache-dir -r requirements.lock" in runs
    # apt-get as root, everything after as the image's airflow user.
    users = [i.args for i in instructions if i.keyword == "USER"]
    assert users[-1] == "airflow"


def test_the_gatling_jar_is_built_in_a_stage_and_copied_where_the_code_looks(
    instructions: list[Instruction],
) -> None:
    from sagemaker_sizing import paths

    named = {i.words()[-1] for i in instructions if i.keyword == "FROM" and " AS " in i.args.upper()}
    assert "gatling" in named
    build = stages(instructions)[0]
    assert any("mvn" in i.args and "package" in i.args for i in build if i.keyword == "RUN")
    jar_copies = [copy_of(i) for i in instructions if i.keyword == "COPY" and "--from=gatling" in i.args]
    assert len(jar_copies) == 1
    jar = jar_copies[0]
    assert jar.from_stage in named
    assert Path(jar.sources[0]).name == paths.GATLING_JAR.name
    home = image_env()["SAGEMAKER_SIZING_HOME"]
    workdir = [i.args for i in stages(instructions)[-1] if i.keyword == "WORKDIR"]
    dest = jar.dest if jar.dest.startswith("/") else f"{home}/{jar.dest.removeprefix('./')}"
    assert workdir and home in workdir
    assert dest == f"{home}/{paths.GATLING_JAR.relative_to(paths.PROJECT_ROOT)}"


def test_aiperf_is_a_venv_of_its_own_built_in_a_stage_and_copied_where_the_code_looks(
    instructions: list[Instruction],
) -> None:
    from sagemaker_sizing import paths

    home = image_env()["SAGEMAKER_SIZING_HOME"]
    froms = [i for i in instructions if i.keyword == "FROM"]
    assert [i.words()[-1] for i in froms if " AS " in i.args.upper()] == ["gatling", "aiperf"]
    # Built on the final image's base, so the venv's interpreter is there too.
    assert froms[1].words()[0] == froms[-1].words()[0] == "${AIRFLOW_IMAGE}"
    build = " ".join(i.args for i in stages(instructions)[1] if i.keyword == "RUN")
    assert "python -m venv .aiperf/venv" in build
    assert ".aiperf/venv/bin/pip install --no-cache-dir -r requirements-aiperf.lock" in build
    assert "scripts/aiperf_tokenizer.py .aiperf/tokenizer" in build
    workdir = [i.args for i in stages(instructions)[1] if i.keyword == "WORKDIR"]
    assert workdir == [home]
    [venv] = [copy_of(i) for i in instructions if i.keyword == "COPY" and "--from=aiperf" in i.args]
    assert venv.sources == [f"{home}/.aiperf"] and venv.dest == "./.aiperf"
    assert paths.AIPERF_BIN.relative_to(paths.PROJECT_ROOT).parts[0] == ".aiperf"
    assert paths.AIPERF_TOKENIZER.relative_to(paths.PROJECT_ROOT) == Path(".aiperf/tokenizer")
    # Never in Airflow's environment: the final stage's pip installs do not name it.
    assert not [a for a in pip_installs(instructions) if any("aiperf" in w for w in a)]
    # The checkout's own venv never goes into the build context.
    assert ".aiperf" in (ROOT / ".dockerignore").read_text().splitlines()


def test_copied_sources_exist_and_are_not_docker_ignored(instructions: list[Instruction]) -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copies = [copy_of(i) for i in instructions if i.keyword == "COPY" and "--from=" not in i.args]
    sources = [s for c in copies for s in c.sources]
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        assert not any(fnmatch(source, pattern) for pattern in ignored), f"{source} is in .dockerignore"
    # Everything the DAG needs at run time goes in.
    for needed in (
        "dags",
        "plugins/sagemaker_sizing",
        "resources",
        "include/examples",
        "include/models.yaml",
        "requirements.lock",
    ):
        assert needed in sources, needed
    # And every plugin module Airflow loads (what plugins/.airflowignore leaves): the UI plugin.
    plugin_files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "plugins").glob("*.py"))
    assert plugin_files == ["plugins/sizing_plugin.py"]
    assert set(plugin_files) <= set(sources)


def test_the_image_puts_dags_and_plugins_where_airflow_looks() -> None:
    env = image_env()
    home = env["SAGEMAKER_SIZING_HOME"]
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == f"{home}/dags"
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == f"{home}/plugins"


def test_the_parser_joins_continuations_and_rejects_a_dangling_one(tmp_path: Path) -> None:
    f = tmp_path / "Dockerfile"
    f.write_text("FROM x\n# note\nRUN a \\\n  # inner comment\n  && b\n")
    assert [(i.keyword, i.args) for i in parse(f)] == [("FROM", "x"), ("RUN", "a  && b")]
    f.write_text("FROM x\nRUN a \\\n")
    with pytest.raises(ValueError, match="continuation"):
        parse(f)


# What only development and tests use: never in the production image.
TEST_TOOLS = {"pytest", "ruff", "mypy", "compose-spec"}


def locked_names(lock: str) -> set[str]:
    return {n.lower() for n in re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / lock).read_text(), re.M)}


def direct_names(requirements_txt: str) -> set[str]:
    lines = (ROOT / requirements_txt).read_text().splitlines()
    return {Requirement(line.split("#")[0]).name.lower() for line in lines if line.split("#")[0].strip()}


def pip_installs(instructions: list[Instruction]) -> list[list[str]]:
    """The arguments after ``pip install`` of every pip install the final image runs."""
    installs = []
    for ins in stages(instructions)[-1]:
        if ins.keyword != "RUN":
            continue
        for command in re.split(r"&&|;", ins.args):
            words = command.split()
            if words[:2] == ["pip", "install"]:
                installs.append(words[2:])
    return installs


def test_the_image_holds_no_dev_or_test_tool(instructions: list[Instruction]) -> None:
    # Two pip installs: the pinned production requirements, and the project without deps or extras.
    assert pip_installs(instructions) == [
        ["--no-cache-dir", "-r", "requirements.lock"],
        ["--no-cache-dir", "--no-deps", "-e", "."],
    ]
    assert not TEST_TOOLS & locked_names("requirements.lock")
    assert not [name for name in locked_names("requirements.lock") if name.startswith("pytest")]
    # The dev tools are declared and locked apart, in files the image never sees.
    assert not direct_names("requirements-dev.txt") & direct_names("requirements.txt")
    assert locked_names("requirements-dev.lock") >= TEST_TOOLS
    assert "requirements-dev.*" in (ROOT / ".dockerignore").read_text().splitlines()


def test_the_pip_install_reader_sees_each_command() -> None:
    run = Instruction("RUN", "pip install --no-cache-dir -r a.lock && pip install pytest; echo", 1)
    assert pip_installs([Instruction("FROM", "x", 0), run]) == [
        ["--no-cache-dir", "-r", "a.lock"],
        ["pytest"],
    ]
