"""The files of a local SageMaker's state dir (default ``<project>/.local-sagemaker``).

``state.json``: ports, pids and options of the running servers; ``credentials.json``: the local
test credentials (random, made once per state dir, useless anywhere but here; mode 0600 from its
creation); ``quotas.json``: the applied service quotas the control plane reads on every deploy;
``.lock``: held by a start or a stop, so two callers never both start one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

DEFAULT_STATE_DIR = PROJECT_ROOT / ".local-sagemaker"
STATE_FILE = "state.json"
CREDENTIALS_FILE = "credentials.json"
QUOTA_FILE = "quotas.json"


def resolve_dir(state_dir: str | Path | None) -> Path:
    """The state dir given, or the default one."""
    return Path(state_dir) if state_dir else DEFAULT_STATE_DIR


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Exclusive lock on the state dir for a start or a stop (released when the process dies)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_state(directory: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((directory / STATE_FILE).read_text()))
    except (OSError, ValueError):
        return {}


def write_state(directory: Path, state: dict[str, Any]) -> None:
    (directory / STATE_FILE).write_text(json.dumps(state, indent=2))


def credentials(directory: Path) -> dict[str, str]:
    """The state dir's access key id and secret, made on first use."""
    path = directory / CREDENTIALS_FILE
    if path.exists():
        return dict(json.loads(path.read_text()))
    creds = {
        "aws_access_key_id": "LOCAL" + secrets.token_hex(8).upper(),
        "aws_secret_access_key": secrets.token_urlsafe(30),
    }
    write_private(path, json.dumps(creds))
    return creds


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read, from the moment it exists: created with
    mode 0600 (a file already there is first made 0600, then rewritten)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)  # a file that already existed keeps its mode otherwise
        out.write(text)


def set_quotas(quotas: dict[str, int], state_dir: str | Path | None = None) -> dict[str, int]:
    """Change the applied quotas of the local SageMaker (running or not): merged into its quota
    file, read on every CreateEndpoint / UpdateEndpoint and ListServiceQuotas. Returns them all."""
    path = resolve_dir(state_dir) / QUOTA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        current = dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        current = {}
    current.update(quotas)
    path.write_text(json.dumps(current))
    return current
