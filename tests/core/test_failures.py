"""KO messages as Gatling writes them: counted by the parser, classified setup / capacity, and a
step judged an error (setup, or infrastructure when refused after OK) or left a measurement."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sagemaker_sizing.core.gatling import parse_log
from sagemaker_sizing.core.verdicts.failures import classify_message, deploy_error_category, judge_failures
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory, FailureKind

if TYPE_CHECKING:
    from pathlib import Path

T0 = 1628676533646  # intuit's 3.2.0 fixtures' epoch
NAME = "SageMaker-LEARNING-model-simulator-1"

# Real message shapes: intuit's jar (Scala, Gatling 3.2: default status check, abbreviated
# exception packages), the project's jar (Java DSL, status().is(200)), and the emulator's answers.
SETUP_MESSAGES = [
    "j.n.UnknownHostException: http",
    "j.n.UnknownHostException: runtime.sagemaker.us-west-2.amazonaws.comx: Name or service not known",
    "j.n.ConnectException: Connection refused",
    "i.n.c.AbstractChannel$AnnotatedConnectException: Connection refused: /127.0.0.1:8080",
    "i.n.c.u.Errors$NativeIoException: readAddress(..) failed: Connection reset by peer",
    "i.n.h.s.NotSslRecordException: not an SSL/TLS record: 485454502f312e3120343030",
    "j.n.s.SSLHandshakeException: PKIX path building failed",
    "status.find.in(200,201,202,203,204,205,206,207,208,209,304), but actually found 403",
    "status.find.in(200,201,202,203,204,205,206,207,208,209,304), but actually found 404",
    "status.find.is(200), but actually found 400",
    "status.find.is(200), but actually found 401",
]
CAPACITY_MESSAGES = [
    "status.find.is(200), but actually found 503",
    "status.find.in(200,201,202,203,204,205,206,207,208,209,304), but actually found 500",
    "status.find.is(200), but actually found 429",
    "status.find.is(200), but actually found 424",  # SageMaker ModelError (the container timed out)
    "i.g.h.c.i.RequestTimeoutException: Request timeout to localhost/127.0.0.1:8080 after 60000 ms",
    "j.u.c.TimeoutException: Request timeout after 60000 ms",
    "ThrottlingException: Rate exceeded",
]


@pytest.mark.parametrize("message", SETUP_MESSAGES)
def test_messages_that_never_reached_the_model_are_setup(message: str) -> None:
    assert classify_message(message) is FailureKind.SETUP


@pytest.mark.parametrize("message", CAPACITY_MESSAGES)
def test_messages_where_the_model_answered_badly_are_capacity(message: str) -> None:
    assert classify_message(message) is FailureKind.CAPACITY


def write_32_log(path: Path, lines: list[tuple[int, bool, str]]) -> Path:
    """A Gatling 3.2.0 log (intuit's layout: REQUEST userId groups name start end status message)."""
    with path.open("w") as out:
        out.write(f"RUN\tGenericSageMakerScenario\t1628676529-ml.m5.large-1-1TPS\t{T0}\t \t3.2.0\n")
        for user, (offset, ok, message) in enumerate(lines, start=1):
            start = T0 + offset
            out.write(f"USER\tSageMaker\t{user}\tSTART\t{start}\t{start}\n")
            status, text = ("OK", " ") if ok else ("KO", message)
            out.write(f"REQUEST\t{user}\t\t{NAME}\t{start}\t{start + 40}\t{status}\t{text}\n")
            out.write(f"USER\tSageMaker\t{user}\tEND\t{start}\t{start + 41}\n")
    return path


FORBIDDEN = SETUP_MESSAGES[7]
REFUSED = SETUP_MESSAGES[2]
OVERLOADED = CAPACITY_MESSAGES[0]


@pytest.mark.parametrize("requests", [300, 30000], ids=["few-KO-lines", "mostly-KO-chunks"])
def test_the_parser_counts_each_ko_message_on_either_path(tmp_path: Path, requests: int) -> None:
    # Few KO lines are split one by one; chunks of mostly KO take the vectorised path.
    lines = [(i * 10, i % 3 == 0, FORBIDDEN if i % 3 == 1 else OVERLOADED) for i in range(requests)]
    parsed = parse_log(write_32_log(tmp_path / "simulation.log", lines))
    counts = {f["message"]: f["count"] for f in parsed["failures"]}
    assert counts == {
        FORBIDDEN: sum(1 for i in range(requests) if i % 3 == 1),
        OVERLOADED: sum(1 for i in range(requests) if i % 3 == 2),
    }
    assert parsed["failures"][0]["first_ms"] == T0 + 10  # the first KO (i = 1)
    assert sum(counts.values()) == parsed["all"]["count_fail"]


def test_messages_differing_only_in_per_request_parts_count_as_one_failure(tmp_path: Path) -> None:
    """Netty's NotSslRecordException (https to a plain-HTTP port) dumps the bytes it got, and a
    request id differs per request: each such KO is still the same failure, counted together."""
    ssl = "io.netty.handler.ssl.NotSslRecordException: not an SSL/TLS record: {}"
    dumps = [f"485454502f312e31203430302042616420{i:06x}0d0a" for i in range(50)]
    ids = [f"request 1b4e28ba-2fa1-11d2-883f-0016d3cc{i:04x} failed" for i in range(50)]
    lines = [(i * 10, False, ssl.format(dumps[i % 50])) for i in range(100)]
    lines += [(2000 + i * 10, False, ids[i]) for i in range(50)]
    parsed = parse_log(write_32_log(tmp_path / "simulation.log", lines))
    assert [(f["message"], f["count"]) for f in parsed["failures"]] == [
        (ssl.format("…"), 100),
        ("request … failed", 50),
    ]


def test_a_log_of_403s_is_a_setup_error_with_its_top_message(tmp_path: Path) -> None:
    parsed = parse_log(
        write_32_log(tmp_path / "simulation.log", [(i * 100, False, FORBIDDEN) for i in range(300)])
    )
    verdict = judge_failures(parsed)
    assert verdict.category is ErrorCategory.SETUP
    assert verdict.error is not None and f'300 x "{FORBIDDEN}"' in verdict.error
    assert [(f.kind, f.count) for f in verdict.failures] == [(FailureKind.SETUP, 300)]


def test_refused_after_the_endpoint_had_answered_is_infrastructure(tmp_path: Path) -> None:
    # The runtime died after 4 s: OK first, then every connection refused (issue 19 case 1).
    lines = [(i * 50, i < 80, REFUSED) for i in range(400)]
    verdict = judge_failures(parse_log(write_32_log(tmp_path / "simulation.log", lines)))
    assert verdict.category is ErrorCategory.INFRASTRUCTURE
    assert verdict.error is not None and "after it had answered OK" in verdict.error


def test_refused_from_the_first_request_is_setup(tmp_path: Path) -> None:
    verdict = judge_failures(
        parse_log(write_32_log(tmp_path / "s.log", [(i * 50, False, REFUSED) for i in range(50)]))
    )
    assert verdict.category is ErrorCategory.SETUP


def test_overload_stays_a_measurement_and_stray_setup_errors_are_tolerated(tmp_path: Path) -> None:
    # 60% 503s and 0.5% refused connections: a capacity failure, not an error step.
    lines = [(i * 5, i % 10 < 4, REFUSED if i % 200 == 199 else OVERLOADED) for i in range(2000)]
    verdict = judge_failures(parse_log(write_32_log(tmp_path / "simulation.log", lines)))
    assert verdict.category is None and verdict.error is None
    kinds = {f.kind: f.count for f in verdict.failures}
    assert kinds[FailureKind.SETUP] == 10 and kinds[FailureKind.CAPACITY] == 1190


def test_setup_errors_beside_more_capacity_failures_stay_a_measurement(tmp_path: Path) -> None:
    # 5% of requests 403 but 40% 503: the step failed on capacity whatever the 403s say.
    lines = [(i * 5, i % 20 >= 9, FORBIDDEN if i % 20 == 0 else OVERLOADED) for i in range(2000)]
    assert judge_failures(parse_log(write_32_log(tmp_path / "simulation.log", lines))).category is None


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("ResourceLimitExceeded", ErrorCategory.QUOTA),
        ("ValidationException", ErrorCategory.SETUP),  # e.g. Could not find model
        ("AccessDeniedException", ErrorCategory.SETUP),
        ("EndpointFailed", ErrorCategory.SETUP),
        (None, ErrorCategory.INFRASTRUCTURE),  # no answer: connection refused, timeout
        ("ServiceUnavailable", ErrorCategory.INFRASTRUCTURE),
    ],
)
def test_deploy_errors_by_code(code: str | None, category: ErrorCategory) -> None:
    assert deploy_error_category(code) is category
