from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_simulate_says_what_the_sizing_takes_on_aws_beside_perfsize(capsys):
    capacity = str(EXAMPLES / "demo.capacity.json")
    out = run(capsys, "--capacity", capacity)
    on_aws = out["on_aws"]
    assert on_aws["deploy_times"] == "resources/deploy_times.json"
    assert on_aws["billing_start"] == "instance_launch"
    assert list(on_aws["strategies"]) == ["adaptive", "perfsize"]
    for figures in on_aws["strategies"].values():
        # Deploys and deletes of minutes each around a load of about a minute.
        assert figures["wall_clock_hours"] * 60 > figures["load_minutes"] + 4
        assert float(figures["bill_usd"]) > 0 and figures["deploys"] >= 1
    assert on_aws["strategies"]["adaptive"]["load_minutes"] == out["load_test_minutes"]
    perfsize = run(capsys, "--capacity", capacity, "--strategy", "perfsize")
    assert list(perfsize["on_aws"]["strategies"]) == ["perfsize"]
    worst = run(capsys)["on_aws"]
    assert worst["upper_bound"] is True
    assert (
        worst["strategies"]["adaptive"]["wall_clock_hours"]
        >= on_aws["strategies"]["adaptive"]["wall_clock_hours"]
    )


def test_a_deploy_time_table_of_ones_own(tmp_path, capsys):
    table = json.loads((EXAMPLES.parents[1] / "resources" / "deploy_times.json").read_text())
    table["families"]["cpu"] = {
        "create_s": 3600,
        "update_s": 3600,
        "scale_out_s": 60,
        "scale_in_s": 60,
        "delete_s": 0,
    }
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps(table))
    capacity = str(EXAMPLES / "demo.capacity.json")
    default = run(capsys, "--capacity", capacity)["on_aws"]["strategies"]["adaptive"]
    mine = run(capsys, "--capacity", capacity, "--deploy-times", str(slow))["on_aws"]
    assert mine["deploy_times"] == str(slow)
    # An hour to create instead of four minutes, no time to delete: 56 min more, 2 min less.
    assert mine["strategies"]["adaptive"]["wall_clock_hours"] == pytest.approx(
        default["wall_clock_hours"] + 0.9, abs=0.01
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"families": 3}')
    assert main(["simulate", "--conf", str(EXAMPLES / "demo.conf.json"), "--deploy-times", str(bad)]) == 2
    assert f"invalid: deploy-time table {bad}" in capsys.readouterr().out


def test_an_llm_conf_is_simulated_by_adaptive_and_refuses_perfsize(tmp_path, capsys):
    examples = Path(__file__).resolve().parents[2] / "include" / "examples"
    capacity = tmp_path / "llm.capacity.json"
    capacity.write_text(json.dumps({"true_tps_per_instance": {"ml.g5.xlarge": 0.95, "ml.inf2.xlarge": 1.15,
                                                             "ml.g6e.xlarge": 4.0}}))  # fmt: skip
    conf = str(examples / "llm.conf.json")
    assert main(["simulate", "--conf", conf, "--capacity", str(capacity), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["recommendation"]["instance_type"] == "ml.g6e.xlarge"
    assert main(["simulate", "--conf", conf, "--strategy", "perfsize"]) == 2
    assert "strategy: got 'perfsize', expected adaptive for workload llm" in capsys.readouterr().out


def test_simulate_prints_the_answer_and_totals_first_then_one_line_per_step(capsys):
    """Issue 26: ~400 lines of JSON with no summary. The words first; the JSON with --json."""
    capacity = str(EXAMPLES / "demo.capacity.json")
    assert main(["simulate", "--conf", str(EXAMPLES / "demo.conf.json"), "--capacity", capacity]) == 0
    lines = capsys.readouterr().out.splitlines()
    as_json = run(capsys, "--capacity", capacity)
    assert lines[0].startswith("dry run of ") and f"{len(as_json['steps'])} steps in 5 rounds" in lines[0]
    assert lines[1] == as_json["headline"]
    assert as_json["headline"].startswith("Recommended: ml.m5.large x2")
    assert lines[2].startswith(
        "on AWS (resources/deploy_times.json, instances billed from their launch): adaptive "
    )
    assert "perfsize" in lines[2]
    assert lines[3] == "steps:" and len(lines) == 4 + len(as_json["steps"])
    assert lines[4] == "  round 1  probe        ml.m5.large x1 at 10 TPS  PASS"


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
        out[1],
        "every step: --json",
    ]
    # Then the upper bounds of its hours and bill on AWS, beside perfsize's.
    assert out[1].startswith("worst case on AWS (resources/deploy_times.json, instances billed from")
    assert "adaptive ≤ " in out[1] and "; perfsize ≤ " in out[1]


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
