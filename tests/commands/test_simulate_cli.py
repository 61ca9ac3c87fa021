from __future__ import annotations

import json
from pathlib import Path

from sagemaker_sizing.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def run(capsys, *args: str) -> dict:
    assert main(["simulate", "--conf", str(EXAMPLES / "demo.conf.json"), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_simulate_with_capacity_both_strategies(capsys):
    capacity = str(EXAMPLES / "demo.capacity.json")
    adaptive = run(capsys, "--capacity", capacity)
    perfsize = run(capsys, "--capacity", capacity, "--strategy", "perfsize")
    assert adaptive["strategy"] == "adaptive" and perfsize["strategy"] == "perfsize"
    for out in (adaptive, perfsize):
        assert out["recommendation"]["instance_type"] == "ml.m5.large"
        assert out["recommendation"]["max_instance_count"] == 2
    assert adaptive["load_test_minutes"] < perfsize["load_test_minutes"]


def test_simulate_without_capacity_is_a_budget(capsys):
    out = run(capsys)
    assert out["worst_case"] is True
    steps = out["steps"]
    assert {s["passed"] for s in steps} == {None}  # nothing measured: a worst case
    assert out["rounds"] == max(s["round"] for s in steps) == len({s["round"] for s in steps})
    # The cost of what it lists: each step's instances (the maximum when autoscaling) for its
    # minutes at the region's price (resources/cost/us-west-2.json).
    prices = json.loads((EXAMPLES.parents[1] / "resources" / "cost" / "us-west-2.json").read_text())
    cost = sum(
        prices[s["instance_type"]]
        * (s["scaling_max_instance_count"] or s["instance_count"])
        * (s["ramp_minutes"] + s["steady_state_minutes"])
        / 60
        for s in steps
    )
    assert cost > 0.1
    # Three significant digits (core.cost.money's rule below $1), not rounded to cents.
    assert out["test_cost_usd"] == float(f"{cost:.3g}") != round(cost, 2)


def test_bad_capacity_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "cap.json"
    bad.write_text('{"nope": 1}')
    assert main(["simulate", "--conf", str(EXAMPLES / "demo.conf.json"), "--capacity", str(bad)]) == 2
    assert "cap.json" in capsys.readouterr().out


def test_simulate_prints_the_answer_and_totals_first_then_one_line_per_step(capsys):
    """Issue 26: ~400 lines of JSON with no summary. The words first; the JSON with --json."""
    capacity = str(EXAMPLES / "demo.capacity.json")
    assert main(["simulate", "--conf", str(EXAMPLES / "demo.conf.json"), "--capacity", capacity]) == 0
    lines = capsys.readouterr().out.splitlines()
    as_json = run(capsys, "--capacity", capacity)
    assert lines[0].startswith("dry run of ") and f"{len(as_json['steps'])} steps in 5 rounds" in lines[0]
    assert lines[1] == as_json["headline"]
    assert as_json["headline"].startswith("Recommended: ml.m5.large x2")
    assert lines[2] == "steps:" and len(lines) == 3 + len(as_json["steps"])
    assert lines[3] == "  round 1  probe        ml.m5.large x1 at 10 TPS  PASS"


def test_simulate_of_serverless_says_which_kind_is_cheaper_first(capsys):
    conf, capacity = EXAMPLES / "serverless.conf.json", EXAMPLES / "serverless.capacity.json"
    assert main(["simulate", "--conf", str(conf), "--capacity", str(capacity)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("Recommended: serverless 2048 MB"), lines[1]
    assert any("cold start   serverless 2048 MB" in line and "after 0.3 min idle" in line for line in lines)


def test_the_worst_case_is_one_line(capsys):
    assert main(["simulate", "--conf", str(EXAMPLES / "demo.conf.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    worst = run(capsys)
    assert out == [
        f"worst case of {EXAMPLES / 'demo.conf.json'} (strategy adaptive): {worst['step_count']} steps in "
        f"{worst['rounds']} rounds, load-test time {worst['load_test_minutes']:g} min, "
        f"{worst['instance_minutes']:g} instance-minutes, ${worst['test_cost_usd']} test cost",
        "every step: --json",
    ]


def test_a_reader_that_stops_reading_is_no_server_error():
    """`simulate ... | head -1`: the pipe closes early; the command was told a server was down."""
    import subprocess
    import sys

    script = Path(sys.executable).with_name("sagemaker-sizing")
    with subprocess.Popen(
        [str(script), "simulate", "--conf", str(EXAMPLES / "demo.conf.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # before the command has printed a line: its print finds no reader
        err = proc.stderr.read().decode()
    assert "is the server running" not in err and "Traceback" not in err, err
