"""What is deployed, read from the control plane with boto3: endpoints, their configs, and scaling.

The runtime emulator awaits :meth:`ControlPlaneWatcher.read` every poll interval (and at once when
a request names an endpoint it does not know yet). The watcher runs a :class:`ControlPlaneReader`
in a child process: a read is ~15 ms of boto3 CPU, and in a thread of the runtime it would take the
GIL from the event loop while answers are due.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sagemaker_sizing.local.autoscaler import (
    CONCURRENCY_METRIC,
    COPY_CONCURRENCY_METRIC,
    INVOCATIONS_METRIC,
    ScalingPolicy,
)
from sagemaker_sizing.local.component_deployments import ComponentDeployment, read_components
from sagemaker_sizing.local.deploy_delays import RUNTIME_AGENT
from sagemaker_sizing.local.llm_profiles import is_llm_image
from sagemaker_sizing.local.serverless import ServerlessConfig

LOG = logging.getLogger(__name__)
TRACKED_METRICS = (INVOCATIONS_METRIC, CONCURRENCY_METRIC, COPY_CONCURRENCY_METRIC)


@dataclass(frozen=True)
class LlmModel:
    """A model whose container serves an LLM (LMI, vLLM, TGI): its image and HF_MODEL_ID."""

    image: str
    hf_model_id: str | None


@dataclass(frozen=True)
class Deployment:
    name: str
    status: str
    config_name: str
    variant_name: str
    instance_type: str
    instance_count: int
    created: str  # CreationTime, to tell a re-created endpoint from the old one
    scaling: ScalingPolicy | None = None
    serverless: ServerlessConfig | None = None  # a serverless variant (issue 17)
    llm: LlmModel | None = None  # the variant's model serves an LLM (issue 24)
    routing: str | None = None  # the variant's RoutingConfig.RoutingStrategy, if any
    hosts_components: bool = False  # a variant without a model: inference components (issue 25)
    components: tuple[ComponentDeployment, ...] = ()  # its components, oldest first

    @property
    def identity(self) -> tuple[str, str, str]:
        """Changes when the endpoint is re-created or switched to another config."""
        return (self.created, self.config_name, self.instance_type)


def make_clients(url: str, region: str, access_key: str, secret_key: str) -> tuple[Any, Any]:
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=2,
        read_timeout=10,
        user_agent_extra=RUNTIME_AGENT,  # its autoscaling writes take no deploy delay (deploy_delays)
    )
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
    )
    sagemaker = session.client("sagemaker", endpoint_url=url, config=config)
    scaling = session.client("application-autoscaling", endpoint_url=url, config=config)
    return sagemaker, scaling


class ControlPlaneReader:
    def __init__(self, url: str, region: str, access_key: str, secret_key: str) -> None:
        self.sagemaker, self.scaling = make_clients(url, region, access_key, secret_key)
        self._configs: dict[str, dict[str, Any]] = {}  # endpoint configs are immutable
        self._llm: dict[str, LlmModel | None] = {}  # per endpoint config: its model, read once
        self._models: dict[str, tuple[str, str | None]] = {}  # components' models: image, HF_MODEL_ID

    def read(self) -> dict[str, Deployment]:
        policies = self._scaling_policies()
        components = {
            endpoint: tuple(
                dataclasses.replace(c, scaling=policies.get(f"inference-component/{c.name}")) for c in found
            )
            for endpoint, found in read_components(self.sagemaker, self._models).items()
        }
        found: dict[str, Deployment] = {}
        for summary in self._paginate("list_endpoints", "Endpoints"):
            name = summary["EndpointName"]
            try:
                found[name] = self._deployment(name, policies, components.get(name, ()))
            except Exception as exc:  # deleted between list and describe
                LOG.debug("skipping endpoint %s: %s", name, exc)
        return found

    def _paginate(self, operation: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.sagemaker.get_paginator(operation).paginate():
            items.extend(page[key])
        return items

    def _config(self, name: str) -> dict[str, Any]:
        if name not in self._configs:
            self._configs[name] = self.sagemaker.describe_endpoint_config(EndpointConfigName=name)
        return self._configs[name]

    def _deployment(
        self, name: str, policies: dict[str, ScalingPolicy], components: tuple[ComponentDeployment, ...] = ()
    ) -> Deployment:
        endpoint = self.sagemaker.describe_endpoint(EndpointName=name)
        variant = self._config(endpoint["EndpointConfigName"])["ProductionVariants"][0]
        live: dict[str, Any] = next(
            (v for v in endpoint.get("ProductionVariants", []) if v["VariantName"] == variant["VariantName"]),
            {},
        )
        count = int(live.get("CurrentInstanceCount") or variant.get("InitialInstanceCount") or 1)
        return Deployment(
            name=name,
            status=endpoint["EndpointStatus"],
            config_name=endpoint["EndpointConfigName"],
            variant_name=variant["VariantName"],
            instance_type=variant.get("InstanceType", "default"),
            instance_count=count,
            created=str(endpoint.get("CreationTime")),
            scaling=policies.get(f"endpoint/{name}/variant/{variant['VariantName']}"),
            serverless=_serverless_config(variant.get("ServerlessConfig")),
            llm=self._llm_model(endpoint["EndpointConfigName"], variant.get("ModelName")),
            routing=(variant.get("RoutingConfig") or {}).get("RoutingStrategy"),
            hosts_components=not variant.get("ModelName") and not variant.get("ServerlessConfig"),
            components=components,
        )

    def _llm_model(self, config_name: str, model_name: str | None) -> LlmModel | None:
        """The variant's model when its container serves an LLM (read once per endpoint config)."""
        if config_name in self._llm:
            return self._llm[config_name]
        if not model_name:
            return None
        try:
            model = self.sagemaker.describe_model(ModelName=model_name)
        except Exception as exc:  # deleted, or not made yet: not cached, read again next time
            LOG.debug("cannot read model %s: %s", model_name, exc)
            return None
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        image = str(container.get("Image", ""))
        found = None
        if is_llm_image(image):
            found = LlmModel(image, (container.get("Environment") or {}).get("HF_MODEL_ID"))
        self._llm[config_name] = found
        return found

    def _scaling_policies(self) -> dict[str, ScalingPolicy]:
        """Scalable targets that have a target-tracking policy on a metric the emulator tracks
        (invocations per instance, or concurrent requests per instance at high resolution)."""
        targets = self.scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        policies = self.scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
        tracking: dict[str, dict[str, Any]] = {}
        for policy in policies:
            conf = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
            metric = (conf.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
            if metric in TRACKED_METRICS:
                tracking[policy["ResourceId"]] = conf
        result: dict[str, ScalingPolicy] = {}
        for target in targets:
            conf = tracking.get(target["ResourceId"])
            if conf is None:
                continue
            result[target["ResourceId"]] = ScalingPolicy(
                min_count=int(target["MinCapacity"]),
                max_count=int(target["MaxCapacity"]),
                target=float(conf["TargetValue"]),
                scale_in_cooldown_s=_optional_float(conf.get("ScaleInCooldown")),
                scale_out_cooldown_s=_optional_float(conf.get("ScaleOutCooldown")),
                disable_scale_in=bool(conf.get("DisableScaleIn", False)),
                metric=conf["PredefinedMetricSpecification"]["PredefinedMetricType"],
            )
        return result

    def set_instance_count(self, deployment: Deployment, count: int) -> None:
        """Make DescribeEndpoint show the autoscaler's count (what AWS autoscaling itself calls)."""
        self.sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=deployment.name,
            DesiredWeightsAndCapacities=[
                {"VariantName": deployment.variant_name, "DesiredInstanceCount": count, "DesiredWeight": 1.0}
            ],
        )

    def set_copy_count(self, component_name: str, count: int) -> None:
        """Make the component's copy count the autoscaler's (what AWS autoscaling itself calls)."""
        self.sagemaker.update_inference_component_runtime_config(
            InferenceComponentName=component_name, DesiredRuntimeConfig={"CopyCount": count}
        )


def _serverless_config(raw: dict[str, Any] | None) -> ServerlessConfig | None:
    if not raw:
        return None
    return ServerlessConfig(
        memory_size_mb=int(raw["MemorySizeInMB"]),
        max_concurrency=int(raw["MaxConcurrency"]),
        provisioned_concurrency=int(raw.get("ProvisionedConcurrency") or 0),
    )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


_CHILD_READER: ControlPlaneReader | None = None  # the watcher process's own reader


def _start_child(url: str, region: str, access_key: str, secret_key: str) -> None:
    global _CHILD_READER  # noqa: PLW0603 - one reader per watcher process, made by its initializer
    _CHILD_READER = ControlPlaneReader(url, region, access_key, secret_key)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A killed runtime does not close the executor's queue (the child holds both ends): leave
    when the parent is gone, so a SIGKILLed runtime leaves no process behind."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _child_read() -> dict[str, Deployment]:
    assert _CHILD_READER is not None
    return _CHILD_READER.read()


def _child_set_instance_count(deployment: Deployment, count: int) -> None:
    assert _CHILD_READER is not None
    _CHILD_READER.set_instance_count(deployment, count)


def _child_set_copy_count(component_name: str, count: int) -> None:
    assert _CHILD_READER is not None
    _CHILD_READER.set_copy_count(component_name, count)


class ControlPlaneWatcher:
    """:class:`ControlPlaneReader`'s calls, run one at a time in a child process and awaited."""

    def __init__(self, url: str, region: str, access_key: str, secret_key: str) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a running event loop
            initializer=_start_child,
            initargs=(url, region, access_key, secret_key),
        )

    async def read(self) -> dict[str, Deployment]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, _child_read)

    async def set_instance_count(self, deployment: Deployment, count: int) -> None:
        await asyncio.get_running_loop().run_in_executor(
            self._executor, _child_set_instance_count, deployment, count
        )

    async def set_copy_count(self, component_name: str, count: int) -> None:
        await asyncio.get_running_loop().run_in_executor(
            self._executor, _child_set_copy_count, component_name, count
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
