"""Signatures made by botocore verify; anything altered does not."""

from __future__ import annotations

import datetime
import hashlib
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sagemaker_sizing.local import session_tokens
from sagemaker_sizing.local.sigv4 import SigV4Verifier

KEY, SECRET = "LOCALTESTKEY", "local-test-secret"
URL = "http://127.0.0.1:8080/endpoints/my-endpoint/invocations"
BODY = b'{"message": "hello world"}'


def _signed(secret: str = SECRET, key: str = KEY, url: str = URL, **_: Any) -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=BODY, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key, secret), "sagemaker", "us-west-2").add_auth(request)
    request.headers["Host"] = "127.0.0.1:8080"
    return {name.lower(): value for name, value in request.headers.items()}


def test_botocore_signature_verifies() -> None:
    verifier = SigV4Verifier(KEY, SECRET)
    assert verifier.verify("POST", "/endpoints/my-endpoint/invocations", "", _signed(), BODY) is None


def test_query_string_is_part_of_the_signature() -> None:
    verifier = SigV4Verifier(KEY, SECRET)
    headers = _signed(url=URL + "?b=2&a=1")
    assert verifier.verify("POST", "/endpoints/my-endpoint/invocations", "b=2&a=1", headers, BODY) is None
    failure = verifier.verify("POST", "/endpoints/my-endpoint/invocations", "a=2", headers, BODY)
    assert failure is not None and failure.code == "InvalidSignatureException"


def test_wrong_secret_or_altered_body_is_a_signature_mismatch() -> None:
    verifier = SigV4Verifier(KEY, SECRET)
    path = "/endpoints/my-endpoint/invocations"
    wrong = verifier.verify("POST", path, "", _signed(secret="other"), BODY)
    altered = verifier.verify("POST", path, "", _signed(), BODY + b" ")
    other_path = verifier.verify("POST", "/endpoints/other/invocations", "", _signed(), BODY)
    for failure in (wrong, altered, other_path):
        assert failure is not None and failure.code == "InvalidSignatureException"
        assert failure.message.startswith("The request signature we calculated does not match")


def test_unknown_access_key_and_malformed_header() -> None:
    verifier = SigV4Verifier(KEY, SECRET)
    path = "/endpoints/my-endpoint/invocations"
    unknown = verifier.verify("POST", path, "", _signed(key="SOMEONEELSE"), BODY)
    assert unknown is not None and unknown.code == "UnrecognizedClientException"
    malformed = verifier.verify("POST", path, "", {"authorization": "Basic abc"}, BODY)
    assert malformed is not None and malformed.code == "IncompleteSignatureException"


def _at(unix: float) -> Callable[[], float]:
    return lambda: unix


def _signed_at(when: datetime.datetime, **kwargs: Any) -> dict[str, str]:
    with mock.patch("botocore.auth.datetime.datetime") as clock:
        clock.now.return_value = when.replace(tzinfo=None)
        clock.utcnow.return_value = when.replace(tzinfo=None)
        clock.strptime = datetime.datetime.strptime
        return _signed(**kwargs)


def test_a_date_more_than_5_minutes_off_is_signature_expired_or_not_yet_current() -> None:
    path = "/endpoints/my-endpoint/invocations"
    signed_at = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    headers = _signed_at(signed_at)
    assert headers["x-amz-date"] == "20260102T030405Z"
    t = signed_at.timestamp()
    assert SigV4Verifier(KEY, SECRET, clock=_at(t + 299)).verify("POST", path, "", headers, BODY) is None
    late = SigV4Verifier(KEY, SECRET, clock=_at(t + 301)).verify("POST", path, "", headers, BODY)
    assert late is not None and late.code == "InvalidSignatureException" and late.status == 403
    assert late.message == (
        "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T030906Z - 5 min.)"
    )
    early = SigV4Verifier(KEY, SECRET, clock=_at(t - 301)).verify("POST", path, "", headers, BODY)
    assert early is not None and early.message.startswith("Signature not yet current: 20260102T030405Z")


def test_a_content_sha256_header_that_does_not_match_the_body_is_refused() -> None:
    verifier = SigV4Verifier(KEY, SECRET)
    path = "/endpoints/my-endpoint/invocations"
    headers = _signed()
    headers["x-amz-content-sha256"] = hashlib.sha256(BODY).hexdigest()
    assert verifier.verify("POST", path, "", headers, BODY) is None  # matching: fine (not signed here)
    headers["x-amz-content-sha256"] = hashlib.sha256(b"another body").hexdigest()
    failure = verifier.verify("POST", path, "", headers, BODY)
    assert failure is not None and (failure.status, failure.code) == (400, "XAmzContentSHA256Mismatch")
    assert failure.message == "The provided 'x-amz-content-sha256' header does not match what was computed."


def test_temporary_credentials_of_the_local_sts_verify_until_they_expire() -> None:
    path = "/endpoints/my-endpoint/invocations"
    now = time.time()
    creds = session_tokens.issue(SECRET, 900, now=now)
    headers = _signed_token(creds.access_key, creds.secret_key, creds.token)
    assert SigV4Verifier(KEY, SECRET, clock=_at(now)).verify("POST", path, "", headers, BODY) is None
    expired = SigV4Verifier(KEY, SECRET, clock=_at(now + 901)).verify("POST", path, "", headers, BODY)
    assert expired is not None and expired.code == "ExpiredTokenException"
    # A token for another key, a forged token, or none: not a valid security token.
    other = session_tokens.issue(SECRET, 900, now=now)
    forged = session_tokens.issue("another local secret", 900, now=now)
    for key, secret, token in (
        (creds.access_key, creds.secret_key, other.token),
        (forged.access_key, forged.secret_key, forged.token),
    ):
        failure = SigV4Verifier(KEY, SECRET).verify("POST", path, "", _signed_token(key, secret, token), BODY)
        assert failure is not None and failure.code == "UnrecognizedClientException", (key, failure)
    no_token = _signed(key=creds.access_key, secret=creds.secret_key)
    failure = SigV4Verifier(KEY, SECRET).verify("POST", path, "", no_token, BODY)
    assert failure is not None and failure.code == "UnrecognizedClientException"


def _signed_token(key: str, secret: str, token: str) -> dict[str, str]:
    request = AWSRequest(method="POST", url=URL, data=BODY, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key, secret, token), "sagemaker", "us-west-2").add_auth(request)
    request.headers["Host"] = "127.0.0.1:8080"
    return {name.lower(): value for name, value in request.headers.items()}
