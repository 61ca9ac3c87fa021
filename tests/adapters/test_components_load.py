"""A step of an endpoint of inference components as what the adapters run: one AIPerf per model
(its component, rate, token mix and SLOs), and the endpoint spec deploy creates (issue 25)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sagemaker_sizing.adapters.aiperf_command import aiperf_argv
from sagemaker_sizing.adapters.component_specs import spec_for_step
from sagemaker_sizing.adapters.load_command import aiperf_step, shell_command
from sagemaker_sizing.core.model import PHASE_MAX, PHASE_MIN, LoadItem, PlanItem, StepConfig

from tests.core.components_samples import components_conf

COMBINED = StepConfig(
    PHASE_MAX, "ml.g6e.xlarge", 3, 14, 0.3, ramp_start_tps=7, ramp_minutes=0.2, workload="llm",
    copies=(1, 2), rates=(8, 6),
)  # fmt: skip
NAMES = ("ic-demo-ic-demo-chat-abc-ml-g6e-xlarge-1", "ic-demo-ic-demo-summarize-abc-ml-g6e-xlarge-2")


def item(step: StepConfig) -> LoadItem:
    return LoadItem(
        PlanItem(1, "ml-g6e-xlarge", step, "ic-demo-abc-ml-g6e-xlarge", "f", component_names=NAMES)
    )


def test_each_injector_loads_its_model_on_its_component(tmp_path: Path) -> None:
    conf = components_conf()
    chat = aiperf_step(conf, item(COMBINED), tmp_path / "a", "http://127.0.0.1:1", slot=0)
    summarize = aiperf_step(conf, item(COMBINED), tmp_path / "b", "http://127.0.0.1:1", slot=1)
    assert (chat.inference_component, summarize.inference_component) == NAMES
    assert (chat.rate, summarize.rate) == (8, 6)
    # The ramp's start is shared in proportion to the peaks.
    assert (chat.ramp_start_rate, summarize.ramp_start_rate) == (4, 3)
    assert chat.model == "ic-demo-chat" and summarize.model == "ic-demo-summarize"
    assert summarize.prompts.input_tokens_mean == 1024 and summarize.prompts.output_tokens_mean == 32  # type: ignore[union-attr]
    assert dict(summarize.goodput)["time_to_first_token"] == 2500
    assert dict(chat.goodput)["time_to_first_token"] == 1500
    argv = aiperf_argv(summarize)
    flag = argv.index("--sagemaker-inference-component-name")
    assert argv[flag + 1] == NAMES[1]
    assert argv[argv.index("--sagemaker-endpoint-name") + 1] == "ic-demo-abc-ml-g6e-xlarge"


def test_the_models_aiperf_start_together_in_one_shell_and_every_exit_code_counts(tmp_path: Path) -> None:
    import subprocess

    conf = components_conf()
    steps = [aiperf_step(conf, item(COMBINED), tmp_path / n, None, slot=j) for j, n in enumerate("ab")]
    fake = tmp_path / "fake-aiperf"  # not named aiperf: it starts no real one
    # A stand-in for AIPerf: records when it started, then exits with the code its folder names.
    fake.write_text(
        '#!/bin/bash\nd="${@: -1}"; for a in "$@"; do [[ $prev == --artifact-dir ]] && d=$a; prev=$a; done\n'
        'date +%s.%N > "$d/started"; sleep 1; exit "$(cat "$d/code")"\n'
    )
    fake.chmod(0o755)
    for step, code in zip(steps, (0, 3), strict=True):
        step.artifact_dir.mkdir(parents=True)
        (step.artifact_dir / "code").write_text(str(code))
    steps = [dataclasses.replace(step, aiperf=fake) for step in steps]
    line = shell_command(steps)
    done = subprocess.run(["bash", "-c", line], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr  # the model whose AIPerf failed fails the load
    started = [float((s.artifact_dir / "started").read_text()) for s in steps]
    assert abs(started[0] - started[1]) < 0.9  # side by side, not one after the other
    assert [(s.artifact_dir / "aiperf_exit_code").read_text().strip() for s in steps] == ["0", "3"]


def test_an_endpoint_step_has_no_component_flag(tmp_path: Path) -> None:
    from tests.fixtures.aiperf.confs import llm_conf

    step = StepConfig("probe", "ml.g5.xlarge", 1, 2, 0.25, workload="llm")
    plan = PlanItem(1, "ml-g5-xlarge", step, "e", "f")
    argv = aiperf_argv(aiperf_step(llm_conf(), LoadItem(plan), tmp_path, None))
    assert "--sagemaker-inference-component-name" not in argv


def test_the_spec_creates_the_largest_copy_first_with_the_steps_copies() -> None:
    spec = spec_for_step(components_conf(), COMBINED)
    assert (spec.instance_type, spec.initial_instances, spec.min_instances, spec.max_instances) == (
        "ml.g6e.xlarge",
        3,
        3,
        3,
    )
    # summarize reserves more memory per copy: created (and packed) first.
    assert [(c.model_name, c.copies, c.memory_mb) for c in spec.components] == [
        ("ic-demo-summarize", 2, 12288),
        ("ic-demo-chat", 1, 8192),
    ]
    assert not any(c.autoscaling for c in spec.components)
    assert spec.components[1].compute_requirements() == {
        "MinMemoryRequiredInMb": 8192,
        "NumberOfAcceleratorDevicesRequired": 1,
        "NumberOfCpuCoresRequired": 2,
    }


def test_an_autoscaling_step_starts_at_the_minimum_copies_with_their_policy() -> None:
    ramp = StepConfig(
        PHASE_MIN, "ml.g6e.xlarge", 3, 14, 0.3, ramp_start_tps=1, ramp_minutes=0.2,
        scaling_min_instance_count=2, scaling_max_instance_count=3, workload="llm",
        copies=(1, 2), rates=(8, 6), min_copies=(1, 1), copy_targets=(8.0, 3.0),
    )  # fmt: skip
    spec = spec_for_step(components_conf(), ramp)
    assert (spec.initial_instances, spec.min_instances, spec.max_instances) == (2, 2, 3)
    summarize = spec.components[0]
    assert (summarize.copies, summarize.min_copies, summarize.max_copies) == (1, 1, 2)
    assert summarize.concurrency_target == 3.0


def test_each_model_sends_its_own_prompts_file(tmp_path: Path) -> None:
    """Issue 25: each model with its prompts. A model's entry names its file (relative to the conf
    file); a model without one keeps synthetic prompts of its token mix; a bad line of a model's
    file is named by that model's field before anything runs."""
    import json

    from sagemaker_sizing.adapters.aiperf_command import FileInput, SyntheticPrompts
    from sagemaker_sizing.adapters.load_command import prompts_source
    from sagemaker_sizing.airflow.llm_load import prepare
    from sagemaker_sizing.core.conf.model import ConfError, load_conf

    from tests.core.components_samples import EXAMPLE

    (tmp_path / "chat.jsonl").write_text('{"text": "Hello there."}\n{"text": "Why?", "output_length": 8}\n')
    raw = json.loads(EXAMPLE.read_text())
    raw["models"] = [dict(raw["models"][0], llm_prompts_file="chat.jsonl"), raw["models"][1]]
    conf = load_conf(raw, base_dir=tmp_path)
    assert conf.models[0].llm_prompts_file == str(tmp_path / "chat.jsonl")
    step = item(COMBINED)
    assert prompts_source(conf, step, 0) == str(tmp_path / "chat.jsonl")
    assert prompts_source(conf, step, 1) is None
    chat = prepare(conf, step, tmp_path / "a", None, slot=0)
    summarize = prepare(conf, step, tmp_path / "b", None, slot=1)
    assert isinstance(chat.prompts, FileInput) and isinstance(summarize.prompts, SyntheticPrompts)
    sent = [json.loads(line)["text"] for line in chat.prompts.path.read_text().splitlines()]
    assert sent == ["Hello there.", "Why?"]
    (tmp_path / "chat.jsonl").write_text('{"text": "fine"}\n{"prompt": "wrong key"}\n')
    try:
        load_conf(raw, base_dir=tmp_path)
    except ConfError as exc:
        found = {p.field: p.expected for p in exc.problems}
    else:
        raise AssertionError("a bad prompts file of one model was accepted")
    assert "line 2" in found["models[0].llm_prompts_file"]
