"""The embedded local SageMaker: a moto control plane plus a runtime emulator with a capacity model.

Start and stop it with :func:`start` / :func:`stop` (or the ``sagemaker-sizing local`` command); the
ground truth of the capacity model is :func:`sagemaker_sizing.local.capacity.analytical_capacity`,
that of an LLM endpoint's serving model :func:`sagemaker_sizing.local.llm_knee.knee_rps`
(docs/local-sagemaker.md). Importing this package starts nothing.
"""

from __future__ import annotations

from sagemaker_sizing.local.capacity import ModelProfile, analytical_capacity, load_profile
from sagemaker_sizing.local.servers import (
    DeadServer,
    LocalSageMaker,
    LocalSageMakerStatus,
    dead_servers,
    running_local_sagemaker,
    seed_model,
    start,
    status,
    stop,
)

__all__ = [
    "DeadServer",
    "LocalSageMaker",
    "LocalSageMakerStatus",
    "ModelProfile",
    "analytical_capacity",
    "dead_servers",
    "load_profile",
    "running_local_sagemaker",
    "seed_model",
    "start",
    "status",
    "stop",
]
