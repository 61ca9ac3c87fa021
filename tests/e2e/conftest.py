"""Fixtures for whole sizing runs: one local SageMaker for the session, a fresh env per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker

from tests.e2e.harness import MODEL, SizingRun, make_sizing


@pytest.fixture(scope="session")
def local_sagemaker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    state_dir = tmp_path_factory.mktemp("local-sagemaker")
    # A short Creating delay, so deploy really waits (in the triggerer) as it would on AWS.
    with running_local_sagemaker(
        state_dir, models=(MODEL,), creating_delay=1.0, time_compression=30
    ) as local:
        yield local


@pytest.fixture
def sizing(
    local_sagemaker: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Callable[[dict[str, Any]], SizingRun]:
    return make_sizing(local_sagemaker, monkeypatch, tmp_path / "results")
