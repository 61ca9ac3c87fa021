"""Finding a run's resources by tag and deleting them: teardown, and orphans of crashed runs.

Nothing here trusts XCom or names: the tags are the record, so this works after a crash, and a
resource without ``managed-by=sagemaker-sizing`` is never listed, let alone deleted.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from sagemaker_sizing.adapters import ownership
from sagemaker_sizing.adapters.components import ComponentManager
from sagemaker_sizing.adapters.errors import EndpointFailedError, TeardownError

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from sagemaker_sizing.adapters.sagemaker import EndpointManager

log = logging.getLogger(__name__)

# (kind, list operation, result key, name key, arn key)
_LISTINGS = (
    ("endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn"),
    (
        "endpoint_config",
        "list_endpoint_configs",
        "EndpointConfigs",
        "EndpointConfigName",
        "EndpointConfigArn",
    ),
    (
        "inference_component",
        "list_inference_components",
        "InferenceComponents",
        "InferenceComponentName",
        "InferenceComponentArn",
    ),
)


def teardown(manager: EndpointManager, run_key: str) -> dict[str, Any]:
    """Delete every inference component, endpoint, endpoint config and scaling target tagged with
    this run key.

    Idempotent; returns what it deleted, and ``finished_at``: from then on nothing of the run is
    left (epoch seconds); raises ``TeardownError`` after deleting all it could.
    """
    deleted = delete_resources(manager, select(managed_resources(manager), run_key=run_key))
    return {**deleted, "finished_at": time.time()}


def retire_lanes(
    manager: EndpointManager, run_key: str, keep: Collection[str], *, watch_s: float = 0.0
) -> dict[str, Any]:
    """Delete this run's endpoints and configs on lanes the next round does not use, without
    waiting for them to go (the round's deploys need not wait; teardown waits for what is left);
    ``watch_s``: seconds to watch them go, so an endpoint gone that soon has its instant recorded.

    An idle endpoint bills by the hour like a busy one; a lane that comes back is redeployed.
    """
    idle = [r for r in select(managed_resources(manager), run_key=run_key) if r["lane"] not in keep]
    return delete_resources(manager, idle, wait=False, watch_s=watch_s)


def find_orphans(
    manager: EndpointManager,
    older_than: timedelta | None = None,
    run_key: str | None = None,
    *,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Our resources (by tag): one run's, and/or those created at least ``older_than`` ago.

    With neither filter this is every managed resource, including those of runs still going.
    """
    return select(managed_resources(manager), older_than=older_than, run_key=run_key, now=now)


def managed_resources(manager: EndpointManager) -> list[dict[str, Any]]:
    """Every endpoint, endpoint config and inference component tagged ``managed-by=sagemaker-sizing``,
    XCom-safe."""
    found: list[dict[str, Any]] = []
    for kind, operation, key, name_key, arn_key in _LISTINGS:
        for page in manager.client.get_paginator(operation).paginate():
            for item in page.get(key, []):
                tags = manager.tags(item[arn_key])
                if ownership.is_managed(tags):
                    found.append(
                        {
                            "kind": kind,
                            "name": item[name_key],
                            "run_key": tags.get(ownership.RUN_ID_KEY, ""),
                            "lane": tags.get(ownership.LANE_KEY, ""),
                            "created": _utc(item["CreationTime"]).isoformat(),
                        }
                    )
    return found


def select(
    resources: list[dict[str, Any]],
    *,
    older_than: timedelta | None = None,
    run_key: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Only one run's resources, and/or only those created at least ``older_than`` ago."""
    cutoff = (now or datetime.now(UTC)) - older_than if older_than is not None else None
    return [
        r
        for r in resources
        if (run_key is None or r["run_key"] == run_key)
        and (cutoff is None or datetime.fromisoformat(r["created"]) <= cutoff)
    ]


def delete_resources(
    manager: EndpointManager, resources: list[dict[str, Any]], *, wait: bool = True, watch_s: float = 0.0
) -> dict[str, Any]:
    """Scaling first, then inference components (an endpoint hosting any cannot be deleted), then
    endpoints (``wait``: each until gone; else watched for ``watch_s`` seconds at most), then
    configs; keeps going past errors.

    ``deleted_at`` holds when each endpoint's deletion was asked for, ``gone_at`` when each was
    seen gone (epoch seconds), also one an earlier call left deleting: the sizing's own bill counts
    an endpoint's instances until it is gone. Raises ``TeardownError`` at the end if anything
    failed, after deleting all it could.
    """
    components = ComponentManager(manager)
    named = [r["name"] for r in resources if r["kind"] == "inference_component"]
    endpoints = [r["name"] for r in resources if r["kind"] == "endpoint"]
    configs = [r["name"] for r in resources if r["kind"] == "endpoint_config"]
    result: dict[str, Any] = {
        "scaling": [],
        "inference_components": [],
        "endpoints": [],
        "endpoint_configs": [],
        "errors": [],
        "deleted_at": {},
        "gone_at": {},
    }
    for rid in components.autoscaling.targets_of(set(named)):
        _attempt(result, rid, _remove_component_scaling, components, rid, result)
    for rid in manager.autoscaling.targets_of(set(endpoints)):
        _attempt(result, rid, _remove_scaling, manager, rid, result)
    for name in named:
        _attempt(result, name, _delete_component, components, name, result)
    for name in endpoints:
        _attempt(result, name, _delete_endpoint, manager, name, result, wait)
    if wait:
        for name in list(result["endpoints"]):  # those whose deletion was issued
            _attempt(result, name, _wait_gone, manager, name, result)
    elif watch_s > 0:
        deadline = time.monotonic() + watch_s
        for name in list(result["endpoints"]):
            _attempt(result, name, _watch_gone, manager, name, result, deadline - time.monotonic())
    for name in configs:
        _attempt(result, name, _delete_config, manager, name, result)
    if result["errors"]:
        raise TeardownError(f"could not delete everything: {result}")
    log.info(
        "Deleted %s inference component(s) %s, %s endpoint(s) %s, %s endpoint config(s) %s, scaling %s",
        len(result["inference_components"]),
        result["inference_components"],
        len(result["endpoints"]),
        result["endpoints"],
        len(result["endpoint_configs"]),
        result["endpoint_configs"],
        result["scaling"],
    )
    return result


def _remove_component_scaling(components: ComponentManager, rid: str, result: dict[str, Any]) -> None:
    result["scaling"].extend(components.autoscaling.remove(rid))


def _delete_component(components: ComponentManager, name: str, result: dict[str, Any]) -> None:
    if components.delete_component(name):
        result["inference_components"].append(name)


def _remove_scaling(manager: EndpointManager, rid: str, result: dict[str, Any]) -> None:
    result["scaling"].extend(manager.autoscaling.remove(rid))


def _delete_endpoint(manager: EndpointManager, name: str, result: dict[str, Any], wait: bool) -> None:
    if not wait and manager.endpoint_status(name) in (None, "Deleting"):
        return  # gone, or going: nothing to ask
    # An operation in flight blocks deletion: let it settle first (one already deleting: until gone).
    if manager.wait_settled(name) is None:
        result["gone_at"][name] = time.time()
        return
    if manager.delete_if_exists(manager.client.delete_endpoint, EndpointName=name):
        log.info("Deleting endpoint %s", name)
        result["endpoints"].append(name)
        result["deleted_at"][name] = time.time()


def _wait_gone(manager: EndpointManager, name: str, result: dict[str, Any]) -> None:
    manager.wait_deleted(name)
    result["gone_at"][name] = time.time()


def _watch_gone(manager: EndpointManager, name: str, result: dict[str, Any], seconds: float) -> None:
    if manager.gone_within(name, max(seconds, 0.0)):
        result["gone_at"][name] = time.time()


def _delete_config(manager: EndpointManager, name: str, result: dict[str, Any]) -> None:
    if manager.delete_if_exists(manager.client.delete_endpoint_config, EndpointConfigName=name):
        log.info("Deleted endpoint config %s", name)
        result["endpoint_configs"].append(name)


def _attempt(result: dict[str, Any], name: str, action: Callable[..., object], *args: Any) -> None:
    try:
        action(*args)
    except (ClientError, EndpointFailedError, TimeoutError) as error:
        log.error("Could not delete %s: %s", name, error)
        result["errors"].append(f"{name}: {error}")


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
