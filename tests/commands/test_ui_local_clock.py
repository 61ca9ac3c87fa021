"""``make ui``'s local SageMaker runs on the demo's clock for its conf (issue 26).

The demo of the serverless example runs its local SageMaker ten times faster (cold starts and idle
timeouts in seconds); ``sagemaker-sizing ui --conf include/examples/serverless.conf.json`` started
it in real time, and the same conf triggered from the form found no serverless configuration
(every memory size's p99 in seconds, a quarter of its requests failed) where its demo recommends
serverless. A realtime conf keeps real time: its autoscaling is measured as the demo measures it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing import local
from sagemaker_sizing.commands import ui
from sagemaker_sizing.commands.demo import DEFAULT_CONF, SERVERLESS_TIME_COMPRESSION
from sagemaker_sizing.paths import INCLUDE_DIR

SERVERLESS_CONF = INCLUDE_DIR / "examples" / "serverless.conf.json"


class StartsNothing:
    """LocalSageMaker's stand-in: records its options; entering it is a Ctrl-C."""

    options: dict[str, Any] = {}

    def __init__(self, state_dir: Path | None = None, **options: Any) -> None:
        StartsNothing.options = options

    def __enter__(self) -> None:
        raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize(
    ("conf", "compression"), [(SERVERLESS_CONF, SERVERLESS_TIME_COMPRESSION), (DEFAULT_CONF, 1.0)]
)
def test_the_ui_starts_the_local_sagemaker_on_the_demos_clock_for_its_conf(
    conf: Path, compression: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow_home"))
    monkeypatch.setattr(local, "LocalSageMaker", StartsNothing)
    args = argparse.Namespace(stop=False, conf=conf, local_dir=None, results_dir=tmp_path / "results", port=0)
    assert ui.handle(args) == 0  # the stand-in's Ctrl-C
    assert StartsNothing.options["time_compression"] == compression
    assert StartsNothing.options["models"] == ("sizing-demo-model",)
