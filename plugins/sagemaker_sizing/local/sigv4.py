"""Checks an AWS Signature Version 4 ``Authorization`` header against the local credentials.

Same canonical form as botocore's ``SigV4Auth`` (tests sign with botocore and verify here), done
directly with hashlib/hmac because it runs on every request.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

ALGORITHM = "AWS4-HMAC-SHA256"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class AuthFailure:
    code: str  # the x-amzn-ErrorType AWS uses
    message: str


class SigV4Verifier:
    def __init__(self, access_key: str, secret_key: str) -> None:
        self._access_key = access_key
        self._secret = secret_key
        self._keys: dict[tuple[str, str, str], bytes] = {}

    def _signing_key(self, date: str, region: str, service: str) -> bytes:
        cache_key = (date, region, service)
        key = self._keys.get(cache_key)
        if key is None:
            key = ("AWS4" + self._secret).encode()
            for part in (date, region, service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys[cache_key] = key
        return key

    def verify(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> AuthFailure | None:
        """None when the signature is right; ``headers`` has lower-case names."""
        fields = _parse_authorization(headers.get("authorization", ""))
        if fields is None:
            return AuthFailure("IncompleteSignatureException", "Authorization header is malformed.")
        credential, signed_headers, signature = fields
        scope_parts = credential.split("/")
        if len(scope_parts) != 5 or scope_parts[4] != "aws4_request":
            return AuthFailure("IncompleteSignatureException", f"Credential is malformed: {credential}")
        access_key, date, region, service, _ = scope_parts
        if access_key != self._access_key:
            return AuthFailure(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        amz_date = headers.get("x-amz-date", "")
        payload_hash = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
        canonical_headers = "".join(
            f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_headers.split(";")
        )
        canonical_request = "\n".join(
            (
                method,
                quote(path, safe="/~"),
                _canonical_query(query),
                canonical_headers,
                signed_headers,
                payload_hash,
            )
        )
        scope = f"{date}/{region}/{service}/aws4_request"
        to_sign = "\n".join(
            (ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest())
        )
        expected = hmac.new(
            self._signing_key(date, region, service), to_sign.encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return AuthFailure("InvalidSignatureException", SIGNATURE_MISMATCH)
        return None


def _parse_authorization(value: str) -> tuple[str, str, str] | None:
    if not value.startswith(ALGORITHM + " "):
        return None
    parts: dict[str, str] = {}
    for item in value[len(ALGORITHM) + 1 :].split(","):
        key, _, val = item.strip().partition("=")
        parts[key] = val
    try:
        return parts["Credential"], parts["SignedHeaders"], parts["Signature"]
    except KeyError:
        return None


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
