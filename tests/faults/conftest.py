"""Fault-injection fixtures: a local SageMaker whose control plane reads a faults file.

The control plane inherits ``SAGEMAKER_SIZING_LOCAL_FAULTS`` (see ``sagemaker_sizing.local.faults``)
when it starts; ``faults.set([...])`` rewrites the file, ``faults.clear()`` empties it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker
from sagemaker_sizing.local.faults import ENV_VAR

from tests.e2e.harness import MODEL, SizingRun, make_sizing


class Faults:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.clear()

    def set(self, rules: list[dict[str, Any]]) -> None:
        # A fresh id resets the control plane's counters of rules with ``times``.
        self.path.write_text(json.dumps({"id": uuid.uuid4().hex, "rules": rules}))

    def clear(self) -> None:
        self.set([])


@pytest.fixture(scope="session")
def faults_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults") / "faults.json"


@pytest.fixture(scope="session")
def local_sagemaker(
    tmp_path_factory: pytest.TempPathFactory, faults_file: Path
) -> Iterator[LocalSageMakerStatus]:
    Faults(faults_file)
    state_dir = tmp_path_factory.mktemp("local-sagemaker-faults")
    previous = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = str(faults_file)  # read by the control plane process at start
    try:
        with running_local_sagemaker(
            state_dir, models=(MODEL,), creating_delay=1.0, time_compression=30
        ) as local:
            yield local
    finally:
        if previous is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = previous


@pytest.fixture
def faults(faults_file: Path) -> Iterator[Faults]:
    injected = Faults(faults_file)
    yield injected
    injected.clear()


@pytest.fixture
def sizing(
    local_sagemaker: LocalSageMakerStatus, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Callable[[dict[str, Any]], SizingRun]:
    return make_sizing(local_sagemaker, monkeypatch, tmp_path / "results")
