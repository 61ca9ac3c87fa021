"""Test-only fault injection for the local SageMaker: off unless an environment variable says so.

``SAGEMAKER_SIZING_LOCAL_FAULTS=<path to a JSON file>`` in the environment the local SageMaker is
started with turns it on (both processes inherit it). The file is read again whenever it changes,
so a test changes the faults of a running local SageMaker by rewriting it (no restart, no extra
route); a new ``id`` resets the ``times`` counters::

    {"id": "t1", "rules": [
      {"action": "CreateEndpoint", "match": "limit", "error": "ResourceLimitExceeded",
       "message": "...", "times": 1},
      {"action": "EndpointStatus", "match": "-x2", "status": "Failed", "reason": "..."},
      {"action": "StreamCut", "match": "llm", "after_tokens": 3, "every": 2}]}

Control plane: ``action`` is CreateEndpoint, UpdateEndpoint, DescribeEndpoint or DeleteEndpoint
(raise ``error``), or EndpointStatus (a Creating/Updating endpoint settles in ``status`` instead of
InService). ``match`` is a substring of the endpoint name or of the endpoint config name it is
created or updated with.

Runtime: StreamCut ends an LLM endpoint's answer after ``after_tokens`` tokens (default 1) with an
event-stream exception: ``error`` ModelStreamError (default, ErrorCode ``error_code``, default
StreamBroken) or InternalStreamFailure, and ``message``; a non-streaming invocation gets HTTP 424
ModelError instead. ``match`` is a substring of the endpoint name; ``every`` (default 1) cuts every
n-th matching request.

``times`` (default: always) is how often a rule fires.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ENV_VAR = "SAGEMAKER_SIZING_LOCAL_FAULTS"
STREAM_CUT = "StreamCut"
LOG = logging.getLogger(__name__)
_FIRED: Counter[tuple[str, int]] = Counter()
_SEEN: Counter[tuple[str, int]] = Counter()  # matching calls, for ``every``
_LOCK = threading.Lock()
_CACHE: dict[str, Any] = {"key": None, "read_at": 0.0, "rules": ("", [])}
_REREAD_S = 0.5  # a rewrite within the file system's timestamp granularity is seen after this


def _rules() -> tuple[str, list[dict[str, Any]]]:
    path = os.environ.get(ENV_VAR)
    if not path:
        return "", []
    try:
        stat = Path(path).stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        now = time.monotonic()
        if _CACHE["key"] != key or now - _CACHE["read_at"] > _REREAD_S:
            data = json.loads(Path(path).read_text())
            _CACHE["rules"] = (str(data.get("id", "")), list(data.get("rules", [])))
            _CACHE["key"], _CACHE["read_at"] = key, now
    except (OSError, ValueError):
        return "", []
    rules: tuple[str, list[dict[str, Any]]] = _CACHE["rules"]
    return rules


def fire(action: str, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The first rule for ``action`` matching one of ``names`` that still has firings left."""
    fault_id, rules = _rules()
    for index, rule in enumerate(rules):
        if rule.get("action") != action or not any(rule.get("match", "") in n for n in names if n):
            continue
        with _LOCK:
            key = (fault_id, index)
            _SEEN[key] += 1
            if _SEEN[key] % max(1, int(rule.get("every", 1))) != 0:
                continue
            if "times" in rule and _FIRED[key] >= int(rule["times"]):
                continue
            _FIRED[key] += 1
        LOG.warning("injected fault %s on %s: %s", action, names, rule)
        return rule
    return None


def settled_status(endpoint_name: str, config_name: str) -> tuple[str, str | None]:
    """The status (and failure reason) a Creating/Updating endpoint settles in."""
    rule = fire("EndpointStatus", (endpoint_name, config_name))
    if rule is None:
        return "InService", None
    return str(rule.get("status", "Failed")), str(rule.get("reason", "injected failure"))
