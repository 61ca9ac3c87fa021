"""Signatures made by botocore verify; anything altered does not."""

from __future__ import annotations

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sagemaker_sizing.local.sigv4 import SigV4Verifier

KEY, SECRET = "LOCALTESTKEY", "local-test-secret"
URL = "http://127.0.0.1:8080/endpoints/my-endpoint/invocations"
BODY = b'{"message": "hello world"}'


def _signed(secret: str = SECRET, key: str = KEY, url: str = URL) -> dict[str, str]:
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
