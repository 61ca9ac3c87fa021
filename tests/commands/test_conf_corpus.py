"""A corpus of malformed confs, each refused by ``sagemaker-sizing validate`` and by the DAG's entry.

Each case: a non-zero exit, a message naming the field (or the file) and what was expected, no
Python traceback. The DAG's entry is what a triggered run does with its conf: Airflow merges it
into the DAG's Params and checks their JSON schema (a trigger is refused there), then the
``validate`` task checks it with the core and fails before preflight and any deployment.
Behaviour only, through the CLI and the DAG's validate task: it survives a rewrite of conf internals.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.cli import main
from sagemaker_sizing.paths import INCLUDE_DIR

DEMO = json.loads((INCLUDE_DIR / "examples" / "demo.conf.json").read_text())
PAYLOAD = str(INCLUDE_DIR / "examples" / "sample.input.json")


def good(**overrides: Any) -> dict[str, Any]:
    return DEMO | {"scenario_requests": [{"path": PAYLOAD, "weight": 100}]} | overrides


def text(**overrides: Any) -> str:
    return json.dumps(good(**overrides))


def literal(field: str, written: str) -> str:
    """The good conf with ``field``'s value written as ``written`` (a literal json.dumps won't write)."""
    return text(**{field: 123456789}).replace("123456789", written)


# name -> (file text, what the output must say). A str path under tmp_path is made by the test.
FILE_CASES: dict[str, tuple[str | bytes, list[str]]] = {
    "array": ("[1, 2]", ["expected a JSON object of conf fields, got a JSON array"]),
    "string": ('"conf"', ["got a JSON string"]),
    "number": ("42", ["got a JSON number"]),
    "null": ("null", ["got a JSON null"]),
    "trailing comma": (text()[:-1] + ",}", ["invalid JSON at line 1 column"]),
    "comment": ("// my conf\n" + text(), ["invalid JSON at line 1 column 1", "JSON has no comments"]),
    "utf-8 bom": ("\ufeff" + text(), ["without a byte order mark"]),
    "empty file": ("", ["the file is empty"]),
    "not utf-8": (b'{"region": "\xff"}', ["in UTF-8 text"]),
    "deeply nested": ("[" * 100_000 + "]" * 100_000, ["nested too deeply"]),
    "duplicate key": (text()[:-1] + ', "peak_tps": -1}', ["'peak_tps' is given twice"]),
}

# name -> (conf overrides or a literal text, what the output must say)
FIELD_CASES: dict[str, tuple[dict[str, Any] | str, list[str]]] = {
    "object for a number": ({"peak_tps": {"a": 1}}, ["peak_tps: got {'a': 1}, expected a number"]),
    "array for a number": ({"peak_tps": [1]}, ["peak_tps: got [1], expected a number"]),
    "bool for a number": ({"peak_tps": True}, ["peak_tps: got True, expected a number"]),
    "bool for an integer": (
        {"endurance_retries": False},
        ["endurance_retries: got False, expected an integer"],
    ),
    "fraction for an integer": (
        {"endurance_retries": 1.5},
        ["endurance_retries: got 1.5, expected an integer"],
    ),
    "NaN": (literal("percent_fail", "NaN"), ["percent_fail: got NaN, expected a number"]),
    "Infinity": (literal("peak_tps", "Infinity"), ["peak_tps: got Infinity, expected a number"]),
    "-Infinity": (literal("latency_success_p99", "-Infinity"), ["latency_success_p99: got -Infinity"]),
    "1e309": (literal("peak_tps", "1e309"), ["peak_tps: got 1e309, expected a number"]),
    "integer beyond a float": (
        literal("endurance_retries", "1" + "0" * 400),
        ["endurance_retries: got 1000"],
    ),
    "NaN in a text field": (literal("endpoint_name", "NaN"), ["endpoint_name: got NaN, expected"]),
    "empty walk items": ({"type_walk": "ml.m5.large,,"}, ["type_walk: got 'ml.m5.large,,'", "'' is not"]),
    "negative count": ({"count_walk": "-1"}, ["count_walk: got '-1', expected integer counts >= 1"]),
    "zero count": ({"count_walk": "0"}, ["count_walk: got '0', expected integer counts >= 1"]),
    "mixed walk array": ({"count_walk": [1, "x", None]}, ["count_walk: got [1, 'x', None]"]),
    "word as a weight": (
        {"scenario_requests": [{"path": PAYLOAD, "weight": "heavy"}]},
        ["scenario_requests[0].weight: got 'heavy', expected a number >= 0"],
    ),
    "requests to a directory": (
        {"scenario_requests": [{"path": str(INCLUDE_DIR), "weight": 100}]},
        ["scenario_requests[0].path", "expected an existing file"],
    ),
    "requests to a missing file": (
        {"scenario_requests": [{"path": "no/such/payload.json", "weight": 100}]},
        ["scenario_requests[0].path: got 'no/such/payload.json', expected an existing file"],
    ),
    "requests not a list": ({"scenario_requests": 7}, ["scenario_requests: got 7"]),
    "request not an object": (
        {"scenario_requests": ["a.json"]},
        ["scenario_requests[0]: got 'a.json', expected"],
    ),
    "unknown field": ({"duration_minute": 10}, ["duration_minute: got 10, expected no such field"]),
    "key differing in case": ({"Peak_TPS": 60}, ["Peak_TPS: got 60, expected no such field"]),
    "jar_file a directory": ({"jar_file": str(INCLUDE_DIR)}, ["jar_file", "expected an existing file"]),
    "jar_file not a zip": ({"jar_file": PAYLOAD}, ["jar_file", "expected a readable jar file"]),
    "required field null": ({"peak_tps": None}, ["peak_tps: got None, expected a value", "for workload tps"]),
}


def conf_text(case: dict[str, Any] | str) -> str:
    return case if isinstance(case, str) else text(**case)


def run_validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(path), "--max-rounds", "30"])
    printed = capsys.readouterr()
    return code, printed.out + printed.err


@pytest.mark.parametrize("name", list(FILE_CASES))
def test_a_malformed_conf_file_is_refused_naming_the_file(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, expected = FILE_CASES[name]
    path = tmp_path / "conf.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, out = run_validate(path, capsys)
    assert code == 2
    assert f"invalid: {path}: expected a JSON object of conf fields" in out
    for words in expected:
        assert words in out
    assert "Traceback" not in out


def test_a_conf_path_that_is_a_directory_or_missing_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in (tmp_path, tmp_path / "missing.json"):
        code, out = run_validate(path, capsys)
        assert code == 2
        assert f"invalid: {path}: expected a JSON object of conf fields, but the file cannot be read" in out


@pytest.mark.parametrize("name", list(FIELD_CASES))
def test_a_bad_field_is_refused_naming_the_field(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case, expected = FIELD_CASES[name]
    path = tmp_path / "conf.json"
    path.write_text(conf_text(case))
    code, out = run_validate(path, capsys)
    assert code == 2, out
    assert f"invalid: {path}: " in out and " problem(s)" in out
    for words in expected:
        assert words in out
    assert "Traceback" not in out


def test_the_console_script_refuses_without_a_traceback(tmp_path: Path) -> None:
    # The installed entry point, not only main(): exit code and output as a shell sees them.
    bad = tmp_path / "conf.json"
    bad.write_text(literal("endurance_retries", "1" + "0" * 400))
    script = Path(sys.executable).parent / "sagemaker-sizing"
    done = subprocess.run(
        [str(script), "validate", str(bad), "--max-rounds", "30"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "endurance_retries: got 1000" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_numeric_string_weight_is_read_as_its_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Numbers may be written as numeric strings (perfsizesagemaker's command line passes them so):
    # the jar gets the number.
    path = tmp_path / "conf.json"
    path.write_text(text(scenario_requests=[{"path": PAYLOAD, "weight": "100"}]))
    code, out = run_validate(path, capsys)
    assert code == 0, out


# ----- the DAG's entry: Airflow's Params, then the validate task -----


@pytest.fixture(scope="module")
def sizing_dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag
    from sagemaker_sizing.paths import PROJECT_ROOT

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "sizing.py"))
    return bag.get_dag("sagemaker_sizing")


def dag_entry(dag: Any, conf: dict[str, Any]) -> str:
    """What a run triggered with ``conf`` says when refused: at the trigger (Params) or in validate."""
    from airflow.sdk.definitions.param import ParamsDict, ParamValidationError
    from airflow.sdk.exceptions import AirflowFailException
    from sagemaker_sizing.airflow.tasks.validate import validated

    params = ParamsDict(suppress_exception=False)
    params.update(dag.params)
    try:
        params.update(conf)  # what dag_run_conf_overrides_params does with a trigger's conf
        resolved = params.validate()
    except ParamValidationError as exc:
        return f"refused at trigger: {exc}"
    try:
        validated(resolved)
    except AirflowFailException as exc:
        return f"validate task failed: {exc}"
    raise AssertionError(f"the DAG accepted {conf}")


DAG_CASES = {
    name: case
    for name, (case, _) in FIELD_CASES.items()
    if isinstance(case, dict) and name not in ("requests to a missing file",)
}


@pytest.mark.parametrize("name", list(DAG_CASES))
def test_the_dag_refuses_a_bad_conf_before_anything_is_deployed(name: str, sizing_dag: Any) -> None:
    overrides = DAG_CASES[name]
    said = dag_entry(sizing_dag, good(**overrides))
    field = next(iter(overrides))
    assert field in said, said
    assert "expected" in said or "is not valid under" in said or "is not of type" in said, said


def test_the_dag_refuses_values_json_cannot_carry(sizing_dag: Any) -> None:
    # A conf reaching the DAG through Python (the REST API's JSON reader accepts NaN, Infinity).
    for field, value in (("percent_fail", float("nan")), ("peak_tps", float("inf"))):
        said = dag_entry(sizing_dag, good(**{field: value}))
        assert field in said, said


def test_the_dags_validate_task_refuses_a_missing_payload_file(sizing_dag: Any) -> None:
    said = dag_entry(sizing_dag, good(scenario_requests=[{"path": "no/such/payload.json", "weight": 100}]))
    assert said.startswith("validate task failed")
    assert "scenario_requests[0].path: got 'no/such/payload.json', expected an existing file" in said


def test_a_walk_with_two_empty_items_is_one_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "conf.json"
    path.write_text(text(type_walk="ml.m5.large,,"))
    code, out = run_validate(path, capsys)
    assert code == 2
    assert f"invalid: {path}: 1 problem(s)" in out
    assert out.count("- type_walk: got 'ml.m5.large,,'") == 1


def test_a_payload_that_is_not_utf8_json_is_refused_naming_the_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sizing_dag: Any
) -> None:
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"\xff\xfe\x00binary\x80")
    path = tmp_path / "conf.json"
    path.write_text(text(scenario_requests=[{"path": str(payload), "weight": 100}]))
    code, out = run_validate(path, capsys)
    assert code == 2
    assert f"- scenario_requests[0].path: got '{payload}', expected a JSON payload" in out
    assert "Traceback" not in out
    said = dag_entry(sizing_dag, good(scenario_requests=[{"path": str(payload), "weight": 100}]))
    assert said.startswith("validate task failed") and "scenario_requests[0].path" in said
