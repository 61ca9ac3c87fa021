"""The runtime's view of deployed endpoints: the control plane's state, one queue per endpoint
(an :class:`EndpointQueue`, a :class:`ServerlessPool`, an :class:`LlmEndpoint` when the model's
container serves an LLM, or a :class:`ComponentHost` when the endpoint hosts inference
components), and the autoscaler acting on endpoints that have a target-tracking policy.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.local.autoscaler import Autoscaler
from sagemaker_sizing.local.component_serving import ComponentHost
from sagemaker_sizing.local.due_timer import now as monotonic_now
from sagemaker_sizing.local.llm_profiles import load_llm_profiles
from sagemaker_sizing.local.llm_serving import LlmEndpoint
from sagemaker_sizing.local.queueing import EndpointQueue
from sagemaker_sizing.local.serverless import ServerlessPool, ServerlessProfile, load_serverless_profile

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagemaker_sizing.local.capacity import ModelProfile
    from sagemaker_sizing.local.deployments import ControlPlaneWatcher, Deployment
    from sagemaker_sizing.local.llm_profiles import LlmProfiles

LOG = logging.getLogger(__name__)
_LATE_BUCKETS_MS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, float("inf"))


@dataclass
class StepLateness:
    """How late the LLM engines' steps ended (their callbacks ran after their due time): the
    runtime keeps up with its streams while these stay small."""

    steps: int = 0
    worst_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(_LATE_BUCKETS_MS))

    def record(self, late_s: float) -> None:
        late_ms = max(0.0, late_s * 1000.0)
        self.steps += 1
        self.worst_ms = max(self.worst_ms, late_ms)
        self.buckets[next(i for i, bound in enumerate(_LATE_BUCKETS_MS) if late_ms <= bound)] += 1

    def as_dict(self) -> dict[str, Any]:
        """Counts of steps at most 0.5, 1, 2, 5 ... ms late, and the worst."""
        labels = [f"<={bound:g}ms" if bound != float("inf") else ">100ms" for bound in _LATE_BUCKETS_MS]
        return {
            "steps": self.steps,
            "worst_ms": round(self.worst_ms, 3),
            "late": dict(zip(labels, self.buckets, strict=True)),
        }


@dataclass
class LiveEndpoint:
    deployment: Deployment
    queue: EndpointQueue | ServerlessPool | LlmEndpoint | ComponentHost
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
        *,
        serverless: ServerlessProfile | None = None,
        llm: LlmProfiles | None = None,
        schedule: Callable[..., None] | None = None,
    ) -> None:
        """``schedule(due, callback, *args)`` runs the LLM endpoints' steps (the DueTimer's call_at)."""
        self._reader = reader
        self.profile = profile
        self.llm: LlmProfiles = llm or load_llm_profiles()
        self._schedule = schedule
        self.lateness = StepLateness()
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
                live = LiveEndpoint(
                    deployment, self._queue(name, deployment), control_plane_count=deployment.instance_count
                )
                self.endpoints[name] = live
                LOG.info(
                    "endpoint %s: %s x%s%s",
                    name,
                    deployment.instance_type,
                    deployment.instance_count,
                    "" if deployment.llm is None else f" (LLM {deployment.llm.hf_model_id or 'default'})",
                )
            elif deployment.instance_count != live.control_plane_count:
                live.queue.set_instance_count(deployment.instance_count, now)  # changed by someone else
                live.control_plane_count = deployment.instance_count
            live.deployment = deployment
            if isinstance(live.queue, ComponentHost):
                live.queue.update(deployment.components, now)
            if deployment.scaling is None:
                live.autoscaler = None
            elif live.autoscaler is None or live.autoscaler.metric != deployment.scaling.metric:
                live.autoscaler = Autoscaler(
                    self.profile.autoscaling, self.time_compression, now, deployment.scaling.metric
                )

    def _queue(
        self, name: str, deployment: Deployment
    ) -> EndpointQueue | ServerlessPool | LlmEndpoint | ComponentHost:
        # Seeded per endpoint name, so a run repeats whatever else is deployed.
        seed = self.profile.seed ^ zlib.crc32(name.encode())
        if deployment.hosts_components:
            return ComponentHost(
                self.profile,
                self.llm,
                deployment.instance_type,
                deployment.instance_count,
                seed=seed,
                schedule=self._call_at if self._schedule is not None else None,
                routing=deployment.routing,
                time_compression=self.time_compression,
            )
        if deployment.serverless is not None:
            return ServerlessPool(
                self.profile, self.serverless, deployment.serverless, seed, self.time_compression
            )
        if deployment.llm is not None and self._schedule is not None:
            return LlmEndpoint(
                self.llm,
                self.llm.model(deployment.llm.hf_model_id),
                deployment.instance_type,
                deployment.instance_count,
                seed=self.llm.seed ^ seed,
                schedule=self._call_at,
                routing=deployment.routing,
            )
        return EndpointQueue(self.profile, deployment.instance_type, deployment.instance_count, seed)

    def _call_at(self, due: float, callback: Callable[..., None], *args: Any) -> None:
        """The LLM engines' scheduler: the runtime's, noting how late each step ends."""
        assert self._schedule is not None
        self._schedule(due, self._late_call, due, callback, args)

    def _late_call(self, due: float, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.lateness.record(monotonic_now() - due)
        callback(*args)

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
                queue = live.queue
                area = 0.0 if isinstance(queue, ServerlessPool) else queue.in_flight_area(now)
                count = live.autoscaler.tick(now, queue.invocations, queue.instance_count, policy, area)
                if count is not None and count != live.queue.instance_count:
                    await self._scale(live, count, now)
            for live in list(self.endpoints.values()):
                if isinstance(live.queue, ComponentHost) and live.deployment.status == "InService":
                    for component, copies in live.queue.autoscale(now):
                        await self._scale_copies(live, live.queue, component, copies, now)

    async def _scale_copies(
        self, live: LiveEndpoint, host: ComponentHost, component: str, count: int, now: float
    ) -> None:
        before = host.servers[component].instance_count
        LOG.info("autoscaling %s of %s: %s -> %s copies", component, live.deployment.name, before, count)
        live.scaling_events.append({"at": time.time(), "component": component, "from": before, "to": count})
        host.set_copies(component, count, now)
        try:
            await self._reader.set_copy_count(component, count)
        except Exception as exc:
            LOG.warning("cannot write the copy count of %s: %s", component, exc)

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
            "datapoints": [] if live.autoscaler is None else live.autoscaler.datapoints[-30:],
            "serverless": _serverless_state(live),
            "llm": None if not isinstance(live.queue, LlmEndpoint) else live.queue.describe(),
            "components": None if not isinstance(live.queue, ComponentHost) else live.queue.describe(),
            "llm_steps_lateness": self.lateness.as_dict(),  # the whole runtime's LLM steps
        }


def _serverless_state(live: LiveEndpoint) -> dict[str, Any] | None:
    pool = live.queue
    if not isinstance(pool, ServerlessPool):
        return None
    return {**vars(pool.config), "cold_starts": pool.cold_starts, "throttled": pool.errors}
