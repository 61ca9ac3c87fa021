"""What a failure says about the endpoint: a Gatling KO message, a step's KOs, a failed deploy.

A KO that never reached the model (name resolution, connection refused or reset, TLS, HTTP
400/401/403/404) is a *setup* failure; one where the model answered badly or slowly (5xx, 429,
throttling, timeouts) is *capacity* evidence. A step whose KOs are mostly setup failures did not
measure the endpoint: it is an error step (``ErrorCategory.SETUP``), or ``INFRASTRUCTURE`` when the
connections were refused only after the endpoint had answered in the same step (the runtime went
away mid-load). See docs/architecture.md, "What a step can end as".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, FailureCount, FailureKind

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Setup KOs above this share of a step's requests, and at least half its KOs, make it an error:
# a stray refused connection among thousands of requests stays a measurement.
SETUP_TOLERANCE = 0.01
TOP_MESSAGES = 5  # kept per step (report, recommendation.json, task log)

_HTTP_STATUS = re.compile(r"\bfound (\d{3})\b")  # Gatling: "status.find.in(200,...), but actually found 403"
# 408 request timeout, 424 SageMaker's ModelError (the container answered badly), 429 throttling.
_CAPACITY_4XX = frozenset({408, 424, 429})
_CONNECTION_LOST = ("connection refused", "connectexception", "connection reset")
_SETUP_WORDS = (
    *_CONNECTION_LOST,
    "unknownhostexception",
    "unresolvedaddressexception",
    "name or service not known",
    "nodename nor servname",
    "no such host",
    "failed to resolve",
    "notsslrecordexception",
    "not an ssl/tls record",
    "sslhandshake",
    "sslexception",
    "handshake_failure",
    "pkix path",
    "certificate",
    "missing authentication token",
    "signaturedoesnotmatch",
    "unrecognizedclient",
    "invalidsignature",
    "accessdenied",
)


def classify_message(message: str) -> FailureKind:
    """What one KO message says: setup (never reached the model) or capacity (the default)."""
    status = _HTTP_STATUS.search(message)
    if status is not None:
        code = int(status.group(1))
        if 400 <= code < 500 and code not in _CAPACITY_4XX:
            return FailureKind.SETUP
        return FailureKind.CAPACITY
    lowered = message.lower()
    if any(word in lowered for word in _SETUP_WORDS):
        return FailureKind.SETUP
    return FailureKind.CAPACITY


def _connection_lost(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _CONNECTION_LOST) and not _HTTP_STATUS.search(message)


@dataclass(frozen=True)
class StepVerdict:
    """A parsed step's failures, and whether they make it an error step (``category`` set)."""

    failures: tuple[FailureCount, ...]  # every distinct KO message, most frequent first
    category: ErrorCategory | None = None
    error: str | None = None  # why the step did not measure the endpoint, top messages included


def judge_failures(parsed: Mapping[str, Any]) -> StepVerdict:
    """Classify the KOs of ``parse_logs``' result (its ``failures``, ``all`` and ``per_second``)."""
    failures = tuple(
        FailureCount(classify_message(f["message"]), f["message"], int(f["count"]))
        for f in parsed.get("failures", ())
    )
    total = int(parsed["all"].get("count_total") or 0)
    ko = sum(f.count for f in failures)
    setup = [f for f in failures if f.kind is FailureKind.SETUP]
    setup_ko = sum(f.count for f in setup)
    if not total or setup_ko <= SETUP_TOLERANCE * total or 2 * setup_ko < ko:
        return StepVerdict(failures)
    share = f"{setup_ko} of {total} requests ({100 * setup_ko / total:.1f}%)"
    top = describe_failures(setup)
    lost = [f for f in parsed.get("failures", ()) if _connection_lost(f["message"])]
    first_lost = min((int(f["first_ms"]) for f in lost), default=None)
    lost_ko = sum(int(f["count"]) for f in lost)
    first_ok = _first_ok_ms(parsed)
    return setup_verdict(
        failures, share, top, setup_ko=setup_ko, lost_ko=lost_ko, first_ok=first_ok, first_lost=first_lost
    )


def setup_verdict(
    failures: tuple[FailureCount, ...],
    share: str,
    top: str,
    *,
    setup_ko: int,
    lost_ko: int,
    first_ok: float | None,
    first_lost: float | None,
) -> StepVerdict:
    """Setup errors that are most of a step's failures: infrastructure when most of them are lost
    connections that began after the endpoint had answered OK (it went away mid-load), else setup
    (the load never reached the model). Instants in any one unit (Gatling's ms, AIPerf's ns)."""
    if first_ok is not None and first_lost is not None and 2 * lost_ko >= setup_ko and first_lost >= first_ok:
        return StepVerdict(
            failures,
            ErrorCategory.INFRASTRUCTURE,
            f"the endpoint stopped answering mid-load: {share} failed after it had answered OK "
            f"(not a capacity result): {top}",
        )
    return StepVerdict(
        failures,
        ErrorCategory.SETUP,
        f"the load did not reach the model: {share} failed with setup errors: {top}",
    )


def _first_ok_ms(parsed: Mapping[str, Any]) -> int | None:
    """Start of the first second with a successful request (the per-second series), in ms."""
    for row in parsed.get("per_second", ()):
        if row["requests"] > row["errors"]:
            return int(row["t"]) * 1000
    return None


def describe_failures(failures: Sequence[FailureCount], top: int = TOP_MESSAGES) -> str:
    """``403 x "status.find.in(...), but actually found 403"; 12 x "j.n.ConnectException: ..."``."""
    shown = [f'{f.count} x "{f.message}"' for f in failures[:top]]
    if len(failures) > top:
        shown.append(f"and {len(failures) - top} more message(s)")
    return "; ".join(shown)


# --- deploys -------------------------------------------------------------------------------------

ENDPOINT_FAILED = "EndpointFailed"  # not an AWS code: the endpoint went to Failed (its FailureReason)
_QUOTA_CODES = frozenset({"ResourceLimitExceeded", "ServiceQuotaExceededException", "LimitExceededException"})
_SETUP_CODES = frozenset(
    {
        "ValidationException",
        "ValidationError",
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "ResourceNotFound",
        ENDPOINT_FAILED,
    }
)


def deploy_error_category(code: str | None) -> ErrorCategory:
    """A failed deploy's category from the AWS error code (None: no answer from the control plane).

    ResourceLimitExceeded is a quota; a refused request (validation, e.g. a model that does not
    exist, access denied, bad credentials) or an endpoint that failed to start is setup; no answer,
    throttling or a server error is infrastructure.
    """
    if code in _QUOTA_CODES:
        return ErrorCategory.QUOTA
    if code in _SETUP_CODES:
        return ErrorCategory.SETUP
    return ErrorCategory.INFRASTRUCTURE
