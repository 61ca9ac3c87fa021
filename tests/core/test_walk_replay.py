"""One replay of the results (core.walk.replayed): the parts callers used to replay for separately."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sagemaker_sizing.core import walk
from sagemaker_sizing.core.conf.model import SizingConf, load_conf
from sagemaker_sizing.core.model import StepResult
from sagemaker_sizing.core.simulate.capacity import capacity_model_from_dict
from sagemaker_sizing.core.simulate.dry_run import run_walk
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"


def simulated(name: str) -> tuple[SizingConf, list[StepResult]]:
    conf = load_conf(json.loads((EXAMPLES / f"{name}.conf.json").read_text()), base_dir=EXAMPLES)
    model = capacity_model_from_dict(json.loads((EXAMPLES / f"{name}.capacity.json").read_text()))
    return conf, run_walk(conf, model)


@pytest.mark.parametrize("name", ["demo", "serverless"])
def test_one_replay_gives_what_next_batch_recommend_and_recommend_serverless_give(name: str) -> None:
    conf, results = simulated(name)
    for last_round in range(max(r.round for r in results) + 1):
        so_far = [r for r in results if r.round <= last_round]
        once = walk.replayed(conf, so_far)
        assert list(once.next_batch) == walk.next_batch(conf, so_far)
        assert once.recommendation == walk.recommend(conf, so_far)
        assert once.serverless == walk.recommend_serverless(conf, so_far)
    finished = walk.replayed(conf, results)
    assert finished.next_batch == ()
    assert finished.recommendation.instance_type == "ml.m5.large"  # both examples size real-time too
    assert (finished.serverless is not None) is (name == "serverless")


def test_an_incomplete_round_ends_a_tolerant_replay_and_fails_a_strict_one() -> None:
    conf, results = simulated("demo")
    kept = [r for r in results if r.round <= 2]
    third = [r for r in results if r.round == 3]
    broken = dataclasses.replace(
        third[0], error="gatling exited 1", error_category=ErrorCategory.LOAD_GENERATOR
    )
    tolerant = walk.replayed(conf, [*kept, broken, *third[1:]], tolerate_incomplete=True)
    # The rounds before it stand, and the batch the broken round planned is the next one again.
    assert tolerant.recommendation == walk.replayed(conf, kept).recommendation
    assert list(tolerant.next_batch) == [r.step for r in third]
    with pytest.raises(walk.WalkMismatchError):
        walk.replayed(conf, [*kept, broken, *third[1:]])


def test_a_realtime_only_conf_has_no_serverless_findings() -> None:
    conf, results = simulated("demo")
    assert not conf.sizes_serverless
    assert walk.replayed(conf, results).serverless is None
