"""The runtime's view of deployed endpoints: the control plane's state, one queue per endpoint,
and the autoscaler acting on endpoints that have a target-tracking policy.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.local.autoscaler import Autoscaler
from sagemaker_sizing.local.due_timer import now as monotonic_now
from sagemaker_sizing.local.queueing import EndpointQueue
from sagemaker_sizing.local.serverless import ServerlessPool, ServerlessProfile, load_serverless_profile

if TYPE_CHECKING:
    from sagemaker_sizing.local.capacity import ModelProfile
    from sagemaker_sizing.local.deployments import ControlPlaneWatcher, Deployment

LOG = logging.getLogger(__name__)


@dataclass
class LiveEndpoint:
    deployment: Deployment
    queue: EndpointQueue | ServerlessPool
    autoscaler: Autoscaler | None = None
    control_plane_count: int = 0  # last count read from (or written to) the control plane
    payload_bytes_total: int = 0
    scaling_events: list[dict[str, Any]] = field(default_factory=list)


class EndpointRegistry:
    def __init__(
        self,
        reader: ControlPlaneWatcher,
        profile: ModelProfile,
        time_compression: float = 1.0,
        poll_interval_s: float = 1.0,
        serverless: ServerlessProfile | None = None,
    ) -> None:
        self._reader = reader
        self.profile = profile
        self.time_compression = time_compression
        self.poll_interval_s = poll_interval_s
        self.serverless: ServerlessProfile = serverless or load_serverless_profile()
        self.endpoints: dict[str, LiveEndpoint] = {}
        self.control_plane_up = False
        self._refreshing: asyncio.Future[None] | None = None

    def get(self, name: str) -> LiveEndpoint | None:
        return self.endpoints.get(name)

    async def refresh(self) -> None:
        """Read the control plane once; concurrent callers share one read."""
        if self._refreshing is not None:
            await asyncio.shield(self._refreshing)
            return
        loop = asyncio.get_running_loop()
        self._refreshing = loop.create_future()
        try:
            deployments = await self._reader.read()
            self.control_plane_up = True
            self._apply(deployments, monotonic_now())
        except Exception as exc:
            self.control_plane_up = False
            LOG.warning("cannot read the control plane: %s", exc)
        finally:
            self._refreshing.set_result(None)
            self._refreshing = None

    def _apply(self, deployments: dict[str, Deployment], now: float) -> None:
        for name in list(self.endpoints):
            if name not in deployments:
                del self.endpoints[name]
        for name, deployment in deployments.items():
            live = self.endpoints.get(name)
            if live is None or live.deployment.identity != deployment.identity:
                # Seeded per endpoint name, so a run repeats whatever else is deployed.
                seed = self.profile.seed ^ zlib.crc32(name.encode())
                queue: EndpointQueue | ServerlessPool = EndpointQueue(
                    self.profile, deployment.instance_type, deployment.instance_count, seed
                )
                if deployment.serverless is not None:
                    queue = ServerlessPool(
                        self.profile, self.serverless, deployment.serverless, seed, self.time_compression
                    )
                live = LiveEndpoint(deployment, queue, control_plane_count=deployment.instance_count)
                self.endpoints[name] = live
                LOG.info("endpoint %s: %s x%s", name, deployment.instance_type, deployment.instance_count)
            elif deployment.instance_count != live.control_plane_count:
                live.queue.set_instance_count(deployment.instance_count, now)  # changed by someone else
                live.control_plane_count = deployment.instance_count
            live.deployment = deployment
            if deployment.scaling is None:
                live.autoscaler = None
            elif live.autoscaler is None:
                live.autoscaler = Autoscaler(self.profile.autoscaling, self.time_compression, now)

    async def poll_forever(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self.poll_interval_s)

    async def autoscale_forever(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            now = monotonic_now()
            for live in list(self.endpoints.values()):
                policy = live.deployment.scaling
                if live.autoscaler is None or policy is None or live.deployment.status != "InService":
                    continue
                count = live.autoscaler.tick(now, live.queue.invocations, live.queue.instance_count, policy)
                if count is not None and count != live.queue.instance_count:
                    await self._scale(live, count, now)

    async def _scale(self, live: LiveEndpoint, count: int, now: float) -> None:
        LOG.info("autoscaling %s: %s -> %s instances", live.deployment.name, live.queue.instance_count, count)
        live.scaling_events.append({"at": time.time(), "from": live.queue.instance_count, "to": count})
        live.queue.set_instance_count(count, now)
        live.control_plane_count = count
        try:
            await self._reader.set_instance_count(live.deployment, count)
        except Exception as exc:
            LOG.warning("cannot write the instance count of %s: %s", live.deployment.name, exc)

    def describe(self, name: str) -> dict[str, Any] | None:
        live = self.endpoints.get(name)
        if live is None:
            return None
        d = live.deployment
        return {
            "endpoint": name,
            "status": d.status,
            "instance_type": d.instance_type,
            "instance_count": live.queue.instance_count,
            "workers": live.queue.instance_count * live.queue.workers_per_instance,
            "invocations": live.queue.invocations,
            "errors": live.queue.errors,
            "autoscaling": None if d.scaling is None else vars(d.scaling),
            "pending_count": None if live.autoscaler is None else live.autoscaler.pending_count,
            "scaling_events": live.scaling_events,
            "serverless": _serverless_state(live),
        }


def _serverless_state(live: LiveEndpoint) -> dict[str, Any] | None:
    pool = live.queue
    if not isinstance(pool, ServerlessPool):
        return None
    return {**vars(pool.config), "cold_starts": pool.cold_starts, "throttled": pool.errors}
