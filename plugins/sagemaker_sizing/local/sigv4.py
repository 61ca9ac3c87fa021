"""Checks an AWS Signature Version 4 ``Authorization`` header against the local credentials.

Same canonical form as botocore's ``SigV4Auth`` (tests sign with botocore and verify here), done
directly with hashlib/hmac because it runs on every request. As AWS does, it also refuses an
``x-amz-content-sha256`` that does not match the body, an ``x-amz-date`` more than 5 minutes
from now ("Signature expired"), and accepts the local STS's temporary credentials (session token
in ``x-amz-security-token``, see session_tokens) until they expire.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote

from sagemaker_sizing.local import session_tokens

if TYPE_CHECKING:
    from collections.abc import Callable

ALGORITHM = "AWS4-HMAC-SHA256"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
CONTENT_SHA_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."
MAX_SKEW_S = 300  # AWS: 5 minutes either way
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class AuthFailure:
    code: str  # the x-amzn-ErrorType AWS uses
    message: str
    status: int = 403


class SigV4Verifier:
    def __init__(self, access_key: str, secret_key: str, clock: Callable[[], float] = time.time) -> None:
        self._access_key = access_key
        self._secret = secret_key
        self._clock = clock
        self._keys: dict[tuple[str, str, str, str], bytes] = {}
        self._temporary: dict[tuple[str, str], tuple[str | None, int]] = {}
        self._last_date = ("", 0.0)

    def _signing_key(self, secret: str, date: str, region: str, service: str) -> bytes:
        cache_key = (secret, date, region, service)
        key = self._keys.get(cache_key)
        if key is None:
            if len(self._keys) > 1024:  # a new day, or many temporary keys: start over
                self._keys.clear()
            key = ("AWS4" + secret).encode()
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
        secret = self._secret_of(access_key, headers.get("x-amz-security-token"))
        if isinstance(secret, AuthFailure):
            return secret
        amz_date = headers.get("x-amz-date", "")
        stale = self._check_date(amz_date)
        if stale is not None:
            return stale
        body_hash = hashlib.sha256(body).hexdigest()
        payload_hash = headers.get("x-amz-content-sha256") or body_hash
        if payload_hash not in (body_hash, "UNSIGNED-PAYLOAD"):
            return AuthFailure("XAmzContentSHA256Mismatch", CONTENT_SHA_MISMATCH, 400)
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
            self._signing_key(secret, date, region, service), to_sign.encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return AuthFailure("InvalidSignatureException", SIGNATURE_MISMATCH)
        return None

    def _secret_of(self, access_key: str, token: str | None) -> str | AuthFailure:
        """The secret key of ``access_key``: the local one, or a temporary key's (from its token)."""
        if access_key == self._access_key:
            return self._secret
        if not token:
            return AuthFailure("UnrecognizedClientException", INVALID_TOKEN)
        found = self._temporary.get((access_key, token))
        if found is None:
            if len(self._temporary) > 1024:
                self._temporary.clear()
            found = self._temporary[(access_key, token)] = session_tokens.secret_for(
                self._secret, access_key, token
            )
        secret, expires = found
        if secret is None:
            return AuthFailure("UnrecognizedClientException", INVALID_TOKEN)
        if expires < self._clock():
            return AuthFailure(
                "ExpiredTokenException", "The security token included in the request is expired"
            )
        return secret

    def _parse_date(self, amz_date: str) -> float:
        """Seconds since the epoch; the last one is kept (a load's requests share their second)."""
        if amz_date != self._last_date[0]:
            parsed = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC).timestamp()
            self._last_date = (amz_date, parsed)
        return self._last_date[1]

    def _check_date(self, amz_date: str) -> AuthFailure | None:
        """AWS's answers to a missing, malformed, or more than 5 minutes off ``x-amz-date``."""
        try:
            signed = self._parse_date(amz_date)
        except ValueError:
            return AuthFailure(
                "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        now = self._clock()
        if signed < now - MAX_SKEW_S:
            return AuthFailure(
                "InvalidSignatureException",
                f"Signature expired: {amz_date} is now earlier than {_format(now - MAX_SKEW_S)} "
                f"({_format(now)} - 5 min.)",
            )
        if signed > now + MAX_SKEW_S:
            return AuthFailure(
                "InvalidSignatureException",
                f"Signature not yet current: {amz_date} is still later than {_format(now + MAX_SKEW_S)} "
                f"({_format(now)} + 5 min.)",
            )
        return None


def _format(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime(_AMZ_DATE)


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
