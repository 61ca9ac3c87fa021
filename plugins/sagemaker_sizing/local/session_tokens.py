"""Temporary credentials of the local SageMaker, checkable without shared state.

The local STS (moto, patched in moto_patches) answers GetSessionToken and AssumeRole with keys
made here from the local secret: ``ASIA...`` access key, a session token carrying that key and
its expiry under an HMAC, and a secret key that is an HMAC of the token. The runtime emulator,
which knows the local secret, checks a request signed with them as AWS would (token valid and
not expired, signature made with the matching secret), with no call to the control plane.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

_PREFIX = "LOCALSTS"


@dataclass(frozen=True)
class TemporaryCredentials:
    access_key: str
    secret_key: str
    token: str
    expires_unix: int


def issue(master_secret: str, duration_s: int, now: float | None = None) -> TemporaryCredentials:
    access_key = "ASIA" + secrets.token_hex(8).upper()
    expires = int((time.time() if now is None else now) + duration_s)
    body = f"{access_key}.{expires}"
    token = f"{_PREFIX}.{body}.{_mac(master_secret, 'token:' + body)}"
    return TemporaryCredentials(access_key, _secret_for(master_secret, token), token, expires)


def secret_for(master_secret: str, access_key: str, token: str) -> tuple[str | None, int]:
    """(secret key, expiry) when the token is ours and names ``access_key``; else (None, 0)."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != _PREFIX or parts[1] != access_key or not parts[2].isdigit():
        return None, 0
    body = f"{parts[1]}.{parts[2]}"
    if not hmac.compare_digest(parts[3], _mac(master_secret, "token:" + body)):
        return None, 0
    return _secret_for(master_secret, token), int(parts[2])


def _secret_for(master_secret: str, token: str) -> str:
    digest = hmac.new(master_secret.encode(), ("secret:" + token).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()[:40]


def _mac(master_secret: str, text: str) -> str:
    return hmac.new(master_secret.encode(), text.encode(), hashlib.sha256).hexdigest()
