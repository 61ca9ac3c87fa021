"""Endpoints of inference components for a sizing run (issue 25): deploy, wait, change copies, delete.

An endpoint whose variant has no model, with managed instance scaling, and one inference
component per model (its compute per copy and copy count), all through the same SageMaker client
as ``sagemaker.EndpointManager`` (the provider's ``SageMakerHook``, ``aws_conn_id``), tagged with
the run's tags. Deploying again with the same endpoint config changes only the components (copies,
compute); another config (instance type, bounds, routing) replaces the endpoint, its components
first. Teardown and orphans (``cleanup``) find components by tag like every other resource.
"""

from __future__ import annotations

import contextlib
import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, WaiterError

from sagemaker_sizing.adapters import component_waiters, ownership
from sagemaker_sizing.adapters.autoscaling import ComponentAutoscaling, component_resource_id
from sagemaker_sizing.adapters.errors import ComponentFailedError
from sagemaker_sizing.adapters.sagemaker import is_not_found
from sagemaker_sizing.adapters.variants import component_variant

if TYPE_CHECKING:
    from botocore.waiter import Waiter

    from sagemaker_sizing.adapters.component_specs import ComponentEndpointSpec, ComponentSpec
    from sagemaker_sizing.adapters.sagemaker import EndpointManager

log = logging.getLogger(__name__)

VARIANT_NAME = "AllTraffic"


class ComponentManager:
    """Deploys, waits for, changes and deletes a run's endpoints of inference components."""

    def __init__(self, endpoints: EndpointManager) -> None:
        self.endpoints = endpoints

    @property
    def client(self) -> Any:
        return self.endpoints.client

    @cached_property
    def autoscaling(self) -> ComponentAutoscaling:
        variants = self.endpoints.autoscaling  # the same client, connection and cooldowns
        return ComponentAutoscaling(
            variants.client,
            scale_in_cooldown=variants.scale_in_cooldown,
            scale_out_cooldown=variants.scale_out_cooldown,
        )

    # ---- deploy ------------------------------------------------------------------------------------

    def deploy(
        self,
        run_key: str,
        lane: str,
        spec: ComponentEndpointSpec,
        *,
        endpoint_base: str,
        config_base: str | None = None,
        execution_role_arn: str | None = None,
    ) -> dict[str, Any]:
        """The endpoint InService with every component InService and its autoscaling in place."""
        started = self.start(
            run_key,
            lane,
            spec,
            endpoint_base=endpoint_base,
            config_base=config_base,
            execution_role_arn=execution_role_arn,
        )
        self.endpoints.wait_in_service(started["endpoint_name"])
        return self.place(run_key, lane, spec, started, endpoint_base=endpoint_base)

    def start(
        self,
        run_key: str,
        lane: str,
        spec: ComponentEndpointSpec,
        *,
        endpoint_base: str,
        config_base: str | None = None,
        execution_role_arn: str | None = None,
    ) -> dict[str, Any]:
        """The endpoint and its config, created (or kept, or replaced); XCom-safe, for ``place``.

        ``execution_role_arn``: the config's role (such a config needs one); default: the role of
        the first component's model. Nothing changes before every existing name is proven ours.
        """
        name = ownership.endpoint_name(endpoint_base, run_key, lane)
        config_name = ownership.component_config_name(config_base or endpoint_base, run_key, lane, spec)
        tags = ownership.run_tags(run_key, lane)
        endpoint = self.endpoints._describe_endpoint(name)
        if endpoint is not None:
            self.endpoints._require_owned(endpoint["EndpointArn"], run_key, "endpoint", name)
            for component in self.hosted(name):
                self._require_owned(component, run_key)
        config = self.endpoints._describe_config(config_name)
        if config is not None:
            self.endpoints._require_owned(
                config["EndpointConfigArn"], run_key, "endpoint config", config_name
            )
        action = "reused"
        if endpoint is not None:
            endpoint = self.endpoints.wait_settled(name)
        if endpoint is not None and (
            endpoint["EndpointStatus"] in ("Failed", "OutOfService")
            or endpoint["EndpointConfigName"] != config_name
        ):
            log.info("Replacing endpoint %s (%s, config %s)", name, endpoint["EndpointStatus"], config_name)
            self.delete_endpoint(name)
            endpoint, action = None, "replaced"
        created: list[str] = []
        if config is None:
            role = execution_role_arn or self._model_role(spec.components[0].model_name)
            log.info("Creating endpoint config %s for components on %s", config_name, spec.instance_type)
            self.client.create_endpoint_config(
                EndpointConfigName=config_name,
                ProductionVariants=[component_variant(spec, VARIANT_NAME)],
                ExecutionRoleArn=role,
                Tags=tags,
            )
            created.append(config_name)
        if endpoint is None:
            log.info("Creating endpoint %s with config %s", name, config_name)
            self.client.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=tags)
            created.append(name)
            action = "created" if action == "reused" else action
        return {
            "endpoint_name": name,
            "endpoint_config_name": config_name,
            "action": action,
            "created": created,
        }

    def place(
        self,
        run_key: str,
        lane: str,
        spec: ComponentEndpointSpec,
        started: dict[str, Any],
        *,
        endpoint_base: str,
    ) -> dict[str, Any]:
        """On the InService endpoint: components to the spec (removed, shrunk, then grown or
        created, so copies make room before others need it), waited InService, autoscaled."""
        name = started["endpoint_name"]
        tags = ownership.run_tags(run_key, lane)
        wanted = {
            ownership.component_name(endpoint_base, c.model_name, run_key, lane): c for c in spec.components
        }
        existing = {c["InferenceComponentName"]: c for c in self.hosted(name)}
        for summary in existing.values():
            self._require_owned(summary, run_key)
        for gone in sorted(set(existing) - set(wanted)):
            self.delete_component(gone)
        current = {n: self._settled(n) for n in wanted if n in existing}
        for failed in [
            n for n, d in current.items() if d is None or d["InferenceComponentStatus"] == "Failed"
        ]:
            self.delete_component(failed)  # a Failed component is not changed, only replaced
            del current[failed]
        # Existing ones first, those freeing room before those growing; new ones in the spec's
        # order (a stable sort), the order the sizing walk packed them in.
        order = sorted(
            wanted, key=lambda n: (n not in current, _growth(wanted[n], current[n]) if n in current else 0)
        )
        created = list(started["created"])
        for component_name in order:
            created += self._apply(
                name, component_name, wanted[component_name], current.get(component_name), tags
            )
        described = {n: self.wait_in_service(n) for n in wanted}
        short = [
            f"{n}: {d['RuntimeConfig'].get('CurrentCopyCount')} of {wanted[n].copies}"
            for n, d in described.items()
            if int(d["RuntimeConfig"].get("CurrentCopyCount") or 0) < wanted[n].copies
        ]
        if short:  # an update SageMaker could not place all of: not the deployment asked for
            raise ComponentFailedError(f"copies not all placed on {name} ({'; '.join(short)})")
        for component_name, component in wanted.items():
            created += self._scale(component_name, component, run_key, tags)
        endpoint = self.endpoints._describe_endpoint(name) or {}
        live = (endpoint.get("ProductionVariants") or [{}])[0]
        return {
            "endpoint_name": name,
            "endpoint_config_name": started["endpoint_config_name"],
            "instance_type": spec.instance_type,
            "instance_count": int(live.get("CurrentInstanceCount") or 0),
            "min_instance_count": spec.min_instances,
            "max_instance_count": spec.max_instances,
            "variant_name": VARIANT_NAME,
            "components": [_summary(n, wanted[n], described[n]) for n in wanted],
            "action": started["action"],
            "status": endpoint.get("EndpointStatus", "Unknown"),
            "created": created,
        }

    def _apply(
        self,
        endpoint_name: str,
        name: str,
        want: ComponentSpec,
        current: dict[str, Any] | None,
        tags: list[dict[str, str]],
    ) -> list[str]:
        """Create the component, or bring an existing one to ``want``; the names it created."""
        compute = want.compute_requirements()
        specification = {"ModelName": want.model_name, "ComputeResourceRequirements": compute}
        if current is None:
            log.info("Creating inference component %s: %s x%s", name, want.model_name, want.copies)
            self.client.create_inference_component(
                InferenceComponentName=name,
                EndpointName=endpoint_name,
                VariantName=VARIANT_NAME,
                Specification=specification,
                RuntimeConfig={"CopyCount": want.copies},
                Tags=tags,
            )
            return [name]
        self._remove_scaling(name)  # a policy would fight the copy count being set
        shown = current.get("Specification") or {}
        same_spec = shown.get("ModelName") == want.model_name and _same_compute(
            shown.get("ComputeResourceRequirements") or {}, compute
        )
        if not same_spec:
            log.info("Updating inference component %s: %s", name, specification)
            self.client.update_inference_component(
                InferenceComponentName=name,
                Specification=specification,
                RuntimeConfig={"CopyCount": want.copies},
            )
        elif current["RuntimeConfig"].get("DesiredCopyCount") != want.copies:
            log.info("Setting inference component %s to %s copies", name, want.copies)
            self.client.update_inference_component_runtime_config(
                InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": want.copies}
            )
        return []

    def _scale(self, name: str, want: ComponentSpec, run_key: str, tags: list[dict[str, str]]) -> list[str]:
        if not want.autoscaling:
            self._remove_scaling(name)
            return []
        return self.autoscaling.apply(
            name,
            min_copies=int(want.min_copies or want.copies),
            max_copies=int(want.max_copies or want.copies),
            concurrency_target=float(want.concurrency_target or 0.0),
            policy_name=ownership.component_policy_name(run_key),
            tags=tags,
        )

    # ---- copies --------------------------------------------------------------------------------

    def set_copies(self, name: str, copies: int) -> dict[str, Any]:
        """UpdateInferenceComponentRuntimeConfig, waited InService (what copy autoscaling does)."""
        self.client.update_inference_component_runtime_config(
            InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": copies}
        )
        return self.wait_in_service(name)

    # ---- reading -------------------------------------------------------------------------------

    def hosted(self, endpoint_name: str) -> list[dict[str, Any]]:
        """The endpoint's components (ListInferenceComponents summaries, botocore's paginator)."""
        found: list[dict[str, Any]] = []
        pages = self.client.get_paginator("list_inference_components").paginate(
            EndpointNameEquals=endpoint_name
        )
        for page in pages:
            found.extend(page.get("InferenceComponents", []))
        return found

    def describe(self, name: str) -> dict[str, Any] | None:
        try:
            described: dict[str, Any] = self.client.describe_inference_component(InferenceComponentName=name)
        except ClientError as error:
            if _is_gone(error):
                return None
            raise
        return described

    # ---- waiting -------------------------------------------------------------------------------

    def wait_in_service(self, name: str) -> dict[str, Any]:
        """The component once InService; ComponentFailedError with SageMaker's reason otherwise."""
        self._wait(component_waiters.in_service_waiter(self.client), name)
        described = self.describe(name)
        if described is None or described["InferenceComponentStatus"] != "InService":
            raise ComponentFailedError(_failure_text(name, described))
        return described

    def _settled(self, name: str) -> dict[str, Any] | None:
        self._wait(component_waiters.settled_waiter(self.client), name)
        described = self.describe(name)
        if described is not None and described["InferenceComponentStatus"] in component_waiters.TRANSITIONAL:
            raise TimeoutError(f"inference component {name} still {described['InferenceComponentStatus']}")
        return described

    def _wait(self, waiter: Waiter, name: str) -> None:
        config = self.endpoints.waiter_config
        log.info(
            "Waiting for inference component %s (%s: every %g s, at most %s checks)",
            name,
            waiter.name,
            config["Delay"],
            config["MaxAttempts"],
        )
        # Out of checks, failed or gone: the caller's description says which.
        with contextlib.suppress(WaiterError):
            waiter.wait(InferenceComponentName=name, WaiterConfig=config)

    # ---- delete --------------------------------------------------------------------------------

    def delete_component(self, name: str) -> bool:
        """Its autoscaling, then the component once settled, waited gone; False if it was gone."""
        self._remove_scaling(name)
        if self._settled(name) is None:
            return False
        log.info("Deleting inference component %s", name)
        try:
            self.client.delete_inference_component(InferenceComponentName=name)
        except ClientError as error:
            if _is_gone(error):
                return False
            raise
        self._wait(component_waiters.deleted_waiter(self.client), name)
        left = self.describe(name)
        if left is not None:
            raise ComponentFailedError(
                f"inference component {name} is {left['InferenceComponentStatus']} instead of deleted"
            )
        return True

    def delete_endpoint(self, name: str) -> None:
        """The endpoint's components first (an endpoint with components cannot be deleted), then it."""
        for component in self.hosted(name):
            self.delete_component(component["InferenceComponentName"])
        self.endpoints._remove_scaling(name)
        if self.endpoints.wait_settled(name) is None:
            return
        self.endpoints.delete_if_exists(self.client.delete_endpoint, EndpointName=name)
        self.endpoints.wait_deleted(name)

    # ---- helpers -------------------------------------------------------------------------------

    def _remove_scaling(self, name: str) -> list[str]:
        removed: list[str] = []
        for rid in self.autoscaling.targets_of({name}):
            removed += self.autoscaling.remove(rid)
        return removed

    def _require_owned(self, summary: dict[str, Any], run_key: str) -> None:
        name = summary["InferenceComponentName"]
        self.endpoints._require_owned(summary["InferenceComponentArn"], run_key, "inference component", name)

    def _model_role(self, model_name: str) -> str:
        """The model's execution role, which SageMaker takes for the endpoint config's too."""
        role: str = self.client.describe_model(ModelName=model_name)["ExecutionRoleArn"]
        return role


def _growth(want: ComponentSpec, current: dict[str, Any] | None) -> int:
    """Copies the change adds (negative: it frees room)."""
    had = int((current or {}).get("RuntimeConfig", {}).get("DesiredCopyCount") or 0)
    return want.copies - had


def _same_compute(shown: dict[str, Any], wanted: dict[str, Any]) -> bool:
    keys = set(shown) | set(wanted)
    return all(float(shown.get(k) or 0) == float(wanted.get(k) or 0) for k in keys)


def _summary(name: str, want: ComponentSpec, described: dict[str, Any]) -> dict[str, Any]:
    runtime = described.get("RuntimeConfig") or {}
    return {
        "component_name": name,
        "model_name": want.model_name,
        "copies": int(runtime.get("CurrentCopyCount") or 0),
        "desired_copies": int(runtime.get("DesiredCopyCount") or 0),
        "compute": want.compute_requirements(),
        "autoscaling": want.autoscaling,
        "scaling_resource_id": component_resource_id(name) if want.autoscaling else None,
    }


def _is_gone(error: ClientError) -> bool:
    """A component that does not exist: ValidationException "Could not find inference component"."""
    return is_not_found(error)


def _failure_text(name: str, described: dict[str, Any] | None) -> str:
    if described is None:
        return f"inference component {name} does not exist (deleted while deploying?)"
    reason = described.get("FailureReason") or "no reason given"
    return f"inference component {name} is {described['InferenceComponentStatus']}: {reason}"
