"""Test-only fault injection for the local control plane: off unless an environment variable says so.

``SAGEMAKER_SIZING_LOCAL_FAULTS=<path to a JSON file>`` in the control plane's environment turns it
on. The file is read on every faultable call, so a test changes the faults of a running control
plane by rewriting it (no restart, no extra route); a new ``id`` resets the ``times`` counters::

    {"id": "t1", "rules": [
      {"action": "CreateEndpoint", "match": "limit", "error": "ResourceLimitExceeded",
       "message": "...", "times": 1},
      {"action": "EndpointStatus", "match": "-x2", "status": "Failed", "reason": "..."}]}

``action`` is CreateEndpoint, UpdateEndpoint, DescribeEndpoint or DeleteEndpoint (raise ``error``),
or EndpointStatus (a Creating/Updating endpoint settles in ``status`` instead of InService).
``match`` is a substring of the endpoint name or of the endpoint config name it is created or
updated with; ``times`` (default: always) is how often the rule fires.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from moto.sagemaker.exceptions import SagemakerClientError

ENV_VAR = "SAGEMAKER_SIZING_LOCAL_FAULTS"
LOG = logging.getLogger(__name__)
_FIRED: Counter[tuple[str, int]] = Counter()
_LOCK = threading.Lock()


class InjectedFault(SagemakerClientError):
    """An error the test asked for; ``code`` is set per instance (ResourceLimitExceeded, ...)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def _rules() -> tuple[str, list[dict[str, Any]]]:
    path = os.environ.get(ENV_VAR)
    if not path:
        return "", []
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return "", []
    return str(data.get("id", "")), list(data.get("rules", []))


def _fire(action: str, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The first rule for ``action`` matching one of ``names`` that still has firings left."""
    fault_id, rules = _rules()
    for index, rule in enumerate(rules):
        if rule.get("action") != action or not any(rule.get("match", "") in n for n in names if n):
            continue
        with _LOCK:
            key = (fault_id, index)
            if "times" in rule and _FIRED[key] >= int(rule["times"]):
                continue
            _FIRED[key] += 1
        LOG.warning("injected fault %s on %s: %s", action, names, rule)
        return rule
    return None


def check(action: str, *names: str) -> None:
    """Raise the injected error of the first matching rule, if any."""
    rule = _fire(action, names)
    if rule is not None:
        code = str(rule.get("error", "InternalFailure"))
        raise InjectedFault(code, str(rule.get("message", f"injected {code} on {action}")))


def settled_status(endpoint_name: str, config_name: str) -> tuple[str, str | None]:
    """The status (and failure reason) a Creating/Updating endpoint settles in."""
    rule = _fire("EndpointStatus", (endpoint_name, config_name))
    if rule is None:
        return "InService", None
    return str(rule.get("status", "Failed")), str(rule.get("reason", "injected failure"))
