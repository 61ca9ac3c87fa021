"""Serving an endpoint's inference components in the runtime: each component's copies, each copy
running on its share of an instance.

A copy holds a share of its instance: the fraction of the instance's accelerators it reserves
(NumberOfAcceleratorDevicesRequired / the type's accelerators, resources/instance_resources.json),
or of its vCPUs for a model without accelerators. It runs that share of the instance's serving
model, so the copies on one instance together have what the whole instance has:

- an LLM component (its model's container is an LLM one, ``llm_profiles``): each copy is one
  engine of the LLM serving model (``llm_serving``) whose KV cache is the share of the instance's
  and whose steps take 1/share as long (a copy with a quarter of the GPUs of an ml.g5.12xlarge
  holds a quarter of its KV cache and steps four times as slowly; one copy with all of them is the
  instance's engine). Requests go to the component's copies by the variant's routing.
- any other model: each copy is the share of the instance's worker slots (at least one) of the
  queueing model (``queueing``), at the instance's speed.

A component with a target-tracking policy on its copy count (concurrent requests per copy) gets
an :class:`~sagemaker_sizing.local.autoscaler.Autoscaler` of its own; the registry applies what it
decides to the copies and writes it to the control plane (UpdateInferenceComponentRuntimeConfig).

Real tensor parallelism does not scale linearly, so a copy on a part of a big instance is slower
here than on the small instance with as many accelerators: the model keeps the instance's total
capacity, and no more, for the copies that share it.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.local.autoscaler import Autoscaler
from sagemaker_sizing.local.capacity import InstanceProfile
from sagemaker_sizing.local.llm_profiles import LlmInstanceSpec, is_llm_image
from sagemaker_sizing.local.llm_serving import LlmEndpoint
from sagemaker_sizing.local.placement import Resources, instance_resources
from sagemaker_sizing.local.queueing import EndpointQueue

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sagemaker_sizing.local.capacity import ModelProfile
    from sagemaker_sizing.local.component_deployments import ComponentDeployment
    from sagemaker_sizing.local.llm_profiles import LlmProfiles

CopyServer = LlmEndpoint | EndpointQueue


def copy_share(needs: Resources, instance: Resources) -> float:
    """The part of one instance a copy holds: its accelerators' fraction, else its vCPUs', else
    its memory's (at most the whole instance)."""
    for needed, offered in (
        (needs.accelerators, instance.accelerators),
        (needs.vcpus, instance.vcpus),
        (needs.memory_mb, instance.memory_mb),
    ):
        if needed > 0 and offered > 0:
            return min(1.0, needed / offered)
    return 1.0


def llm_copy_spec(spec: LlmInstanceSpec, share: float) -> LlmInstanceSpec:
    """The instance's engine cut to ``share``: KV cache x share, every step time / share."""
    return dataclasses.replace(
        spec,
        decode_base_ms=spec.decode_base_ms / share,
        decode_per_seq_ms=spec.decode_per_seq_ms / share,
        prefill_ms_per_1k_tokens=spec.prefill_ms_per_1k_tokens / share,
        kv_cache_tokens=max(1, int(spec.kv_cache_tokens * share)),
    )


class ComponentHost:
    """The runtime's queue for an endpoint that hosts components: one server per component whose
    instances are the component's copies. What the registry reads of any queue (counts, the
    in-flight area, ``set_instance_count``) covers the endpoint; invocations go to ``server``."""

    def __init__(
        self,
        profile: ModelProfile,
        llm: LlmProfiles,
        instance_type: str,
        instance_count: int,
        *,
        seed: int,
        schedule: Callable[..., Any] | None,
        routing: str | None,
        time_compression: float = 1.0,
    ) -> None:
        self._profile = profile
        self._compression = time_compression
        self._llm = llm
        self.instance_type = instance_type
        self.instance = instance_resources(instance_type) or Resources(1.0, 1.0, 0.0)
        self.instance_count = instance_count
        self._seed = seed
        self._schedule = schedule
        self._routing = routing
        self.servers: dict[str, CopyServer] = {}
        self._identities: dict[str, tuple[str, Resources]] = {}
        self._known: dict[str, int] = {}  # copies last read from (or written to) the control plane
        self.autoscalers: dict[str, Autoscaler] = {}
        self.components: dict[str, ComponentDeployment] = {}

    # ---- what the registry reads of any queue --------------------------------------------------

    @property
    def workers_per_instance(self) -> int:
        return 0  # the copies hold the workers (``describe``)

    @property
    def invocations(self) -> int:
        return sum(server.invocations for server in self.servers.values())

    @property
    def errors(self) -> int:
        return sum(server.errors for server in self.servers.values())

    def in_flight_area(self, now: float) -> float:
        return sum(server.in_flight_area(now) for server in self.servers.values())

    def set_instance_count(self, count: int, now: float) -> None:
        """Managed instance scaling's count, as the control plane shows it (the copies serve)."""
        self.instance_count = count

    # ---- the components --------------------------------------------------------------------------

    def update(self, components: Sequence[ComponentDeployment], now: float) -> None:
        """Follow the control plane: new components get a server, changed compute a new one, a
        copy count changed there (not while Updating: the count asked for is already served)
        more or fewer copies; components gone are dropped."""
        wanted = {c.name: c for c in components}
        for name in list(self.servers):
            if name not in wanted:
                del self.servers[name], self._identities[name], self._known[name]
                self.autoscalers.pop(name, None)
        for name, component in wanted.items():
            if self._identities.get(name) != component.identity:
                self.servers[name] = self._server(component)
                self._identities[name] = component.identity
                self._known[name] = component.copies
            elif component.status != "Updating" and component.copies != self._known[name]:
                self.servers[name].set_instance_count(component.copies, now)
                self._known[name] = component.copies
            self._follow_policy(name, component, now)
        self.components = wanted

    def _follow_policy(self, name: str, component: ComponentDeployment, now: float) -> None:
        policy = component.scaling
        if policy is None:
            self.autoscalers.pop(name, None)
        elif name not in self.autoscalers or self.autoscalers[name].metric != policy.metric:
            self.autoscalers[name] = Autoscaler(
                self._profile.autoscaling, self._compression, now, policy.metric
            )

    def autoscale(self, now: float) -> list[tuple[str, int]]:
        """Each autoscaled component's new copy count, when its policy changes it."""
        changes: list[tuple[str, int]] = []
        for name, autoscaler in self.autoscalers.items():
            server, policy = self.servers[name], self.components[name].scaling
            if policy is None:
                continue
            count = autoscaler.tick(
                now, server.invocations, server.instance_count, policy, server.in_flight_area(now)
            )
            if count is not None and count != server.instance_count:
                changes.append((name, count))
        return changes

    def set_copies(self, name: str, count: int, now: float) -> None:
        """The autoscaler's count, served at once and known as written to the control plane."""
        self.servers[name].set_instance_count(count, now)
        self._known[name] = count

    def server(self, name: str) -> CopyServer | None:
        return self.servers.get(name)

    def _server(self, component: ComponentDeployment) -> CopyServer:
        share = copy_share(component.needs, self.instance)
        seed = self._seed ^ zlib.crc32(component.name.encode())
        if is_llm_image(component.image) and self._schedule is not None:
            model = self._llm.model(component.hf_model_id)
            spec = llm_copy_spec(model.instance(self.instance_type), share)
            return LlmEndpoint(
                self._llm,
                dataclasses.replace(model, instance_types={self.instance_type: spec}),
                self.instance_type,
                component.copies,
                seed=self._llm.seed ^ seed,
                schedule=self._schedule,
                routing=self._routing,
            )
        whole = self._profile.instance(self.instance_type)
        part = InstanceProfile(workers=max(1, round(whole.workers * share)), speed=whole.speed)
        profile = dataclasses.replace(self._profile, instance_types={self.instance_type: part})
        return EndpointQueue(profile, self.instance_type, component.copies, seed)

    def describe(self) -> dict[str, Any]:
        """Per component: its copies, share of an instance, requests and errors (and LLM state)."""
        out: dict[str, Any] = {}
        for name, server in self.servers.items():
            component = self.components[name]
            autoscaler = self.autoscalers.get(name)
            state: dict[str, Any] = {
                "copies": server.instance_count,
                "autoscaling": None if component.scaling is None else vars(component.scaling),
                "pending_copies": None if autoscaler is None else autoscaler.pending_count,
                "datapoints": [] if autoscaler is None else autoscaler.datapoints[-30:],
                "share_of_instance": copy_share(component.needs, self.instance),
                "invocations": server.invocations,
                "errors": server.errors,
            }
            if isinstance(server, LlmEndpoint):
                state["llm"] = server.describe()
            out[name] = state
        return out
