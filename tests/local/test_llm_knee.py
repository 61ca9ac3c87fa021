"""The analytical knee against the serving model in virtual time (the model's ground truth)."""

from __future__ import annotations

import statistics

import pytest
from sagemaker_sizing.local.llm_knee import capacity, knee_rps, predict
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.local.llm_simulation import simulate

PROFILES = load_llm_profiles()
MODEL = PROFILES.model(None)


def _meets(instance_type: str, rate: float, mix: tuple[int, int], limits: tuple[float, float]) -> bool:
    """The simulated model's verdict at ``rate``: the median p99 of three 10-minute runs."""
    runs = [
        simulate(
            PROFILES,
            MODEL,
            instance_type,
            rate=rate,
            input_tokens=mix[0],
            output_tokens=mix[1],
            duration_s=600,
            seed=seed,
            warm_up_s=60,
        )
        for seed in (1, 2, 3)
    ]
    ttft = statistics.median(run.ttft_p99_ms for run in runs)
    itl = statistics.median(run.itl_p99_ms for run in runs)
    return all(run.errors == 0 for run in runs) and ttft <= limits[0] and itl <= limits[1]


def _check_knee(instance_type: str, mix: tuple[int, int], limits: tuple[float, float]) -> None:
    knee = knee_rps(
        MODEL.instance(instance_type), *mix, ttft_p99_ms=limits[0], itl_p99_ms=limits[1], noise=PROFILES.noise
    )
    assert knee > 0
    assert _meets(instance_type, 0.9 * knee, mix, limits), "the model fails 10% below the analytical knee"
    assert not _meets(instance_type, 1.1 * knee, mix, limits), (
        "the model passes 10% above the analytical knee"
    )


def test_saturation_is_where_the_kv_cache_fills() -> None:
    spec = MODEL.instance("ml.g5.xlarge")
    found = capacity(spec, 256, 64)
    assert found.max_sequences == 24000 // 320
    at = predict(spec, 256, 64, found.saturation_rps * 0.999999)
    assert at.concurrency == pytest.approx(found.max_sequences, rel=1e-3)
    assert at.step_ms == pytest.approx(found.itl_at_saturation_ms, rel=1e-3)
    assert not predict(spec, 256, 64, found.saturation_rps).stable


def test_predicted_latencies_grow_with_the_rate() -> None:
    spec = MODEL.instance("ml.g6e.xlarge")
    predictions = [predict(spec, 512, 128, rate, PROFILES.noise) for rate in (1, 4, 8, 11)]
    assert [p.itl_p99_ms for p in predictions] == sorted(p.itl_p99_ms for p in predictions)
    assert [p.ttft_p99_ms for p in predictions] == sorted(p.ttft_p99_ms for p in predictions)


def test_no_rate_meets_limits_tighter_than_an_idle_instance() -> None:
    spec = MODEL.instance("ml.g6.xlarge")  # 52 ms per step alone
    assert knee_rps(spec, 256, 64, ttft_p99_ms=2000, itl_p99_ms=50) == 0.0


def test_analytical_knee_matches_the_model_where_itl_binds() -> None:
    _check_knee("ml.g6e.xlarge", (256, 64), (1000.0, 50.0))


def test_analytical_knee_matches_the_model_where_the_kv_cache_binds() -> None:
    _check_knee("ml.inf2.xlarge", (256, 64), (1000.0, 100.0))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("instance_type", "mix", "limits"),
    [
        ("ml.g5.xlarge", (256, 64), (1000.0, 100.0)),
        ("ml.g5.xlarge", (256, 64), (2000.0, 200.0)),
        ("ml.g5.xlarge", (512, 128), (1000.0, 60.0)),
        ("ml.g5.xlarge", (512, 128), (2000.0, 200.0)),
        ("ml.g6e.xlarge", (256, 64), (1000.0, 200.0)),
        ("ml.g6e.xlarge", (1024, 256), (2000.0, 100.0)),
        ("ml.g6.xlarge", (512, 128), (1000.0, 100.0)),
        ("ml.g5.12xlarge", (512, 128), (1000.0, 50.0)),
    ],
)
def test_analytical_knee_matches_the_model(
    instance_type: str, mix: tuple[int, int], limits: tuple[float, float]
) -> None:
    _check_knee(instance_type, mix, limits)


def test_near_saturation_itl_stays_at_the_full_batch() -> None:
    # ml.g5.xlarge at 266 + 64 tokens holds 72 sequences: past ~0.85 of saturation the batch is full.
    spec = MODEL.instance("ml.g5.xlarge")
    found = capacity(spec, 266, 64)
    near = predict(spec, 266, 64, 0.98 * found.saturation_rps, PROFILES.noise)
    simulated = simulate(
        PROFILES, MODEL, "ml.g5.xlarge", rate=0.98 * found.saturation_rps, input_tokens=266, output_tokens=64,
        duration_s=300, warm_up_s=30,
    )  # fmt: skip
    assert near.itl_p99_ms < 1.15 * simulated.itl_p99_ms
