"""What a step and a run can end as: the one vocabulary of measured, failed on capacity, and could
not measure (docs/architecture.md, "What a step can end as").

A step is ``pass`` or ``fail`` only when the endpoint was measured: only those feed a walk as
capacity evidence. Anything else is an ``error`` with a category, and a run stopped by an error
never reads as "no configuration met the requirements".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StepOutcome(StrEnum):
    PASS = "pass"  # measured, met the requirements
    FAIL = "fail"  # measured, did not (capacity evidence)
    ERROR = "error"  # not measured: see ErrorCategory


class ErrorCategory(StrEnum):
    """Why a step (or a run) could not measure the endpoint."""

    # The load never reached the model: name resolution, connection refused, TLS, HTTP
    # 400/401/403/404, no request written, the jar exiting non-zero, a missing model.
    SETUP = "setup"
    # A quota refused the deployment (ResourceLimitExceeded, Service Quotas).
    QUOTA = "quota"
    # The control plane or the runtime went away mid-run (it answered before, then did not).
    INFRASTRUCTURE = "infrastructure"
    # The injectors did not offer the step's load: started late, fell behind their share.
    LOAD_GENERATOR = "load_generator"


class FailureKind(StrEnum):
    """What one failed request (a Gatling KO) says about the endpoint."""

    SETUP = "setup"  # never reached the model (see ErrorCategory.SETUP)
    CAPACITY = "capacity"  # the model answered badly or slowly: 5xx, 429/throttling, timeout


class RunStatus(StrEnum):
    """``recommendation.json``'s ``status``; the report's headline, the demo's last lines and the
    DAG run's state say the same thing."""

    RECOMMENDED = "recommended"  # a type and a count proven at peak TPS
    PARTIAL = "partial"  # a type passed, but no count was proven at peak
    NONE = "none"  # steps were measured and every one failed on capacity
    BUDGET = "budget"  # the cost guard stopped the walk (with what was found so far)
    FAILED = "failed"  # the run could not measure: see its ErrorCategory


@dataclass(frozen=True)
class FailureCount:
    """One KO message of a step's Gatling log, how often it occurred, and what it means."""

    kind: FailureKind
    message: str
    count: int
