"""SageMaker endpoints for a sizing run: deploy a step's configuration, wait, delete (cleanup.py
builds teardown and orphans on these).

The only code that talks to SageMaker and Application Auto Scaling. Built on the Amazon provider's
``SageMakerHook`` (``aws_conn_id``), so a connection whose extra holds ``endpoint_url`` points it at
the local SageMaker and the same code runs against AWS. Ownership is by tag (see ``ownership``):
deploy refuses a name that is not this run's, and cleanup finds what to delete by tag, not XCom, so
it works after a crash.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from sagemaker_sizing.adapters import ownership
from sagemaker_sizing.adapters.autoscaling import VariantAutoscaling, policy_metric
from sagemaker_sizing.adapters.errors import EndpointFailedError, OwnershipError
from sagemaker_sizing.adapters.variants import production_variant
from sagemaker_sizing.core.timeline.deploy_times import DeployTimes, load_deploy_times
from sagemaker_sizing.core.timeline.lanes import Action, Fleet, deploy_action

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
    from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger
    from botocore.waiter import Waiter

    from sagemaker_sizing.core.model import StepConfig

log = logging.getLogger(__name__)

__all__ = ["EndpointManager", "endpoint_manager"]

# Used only when the connection's botocore config sets no retry policy of its own. botocore's
# standard mode retries throttling (and transient) errors with jittered exponential back-off.
DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 10

# Every wait for an endpoint (in service, deleted, settled), in the worker and in the triggerer
# alike: at most this many status checks, ``waiter_delay`` apart. 4 h at the default 30 s: longer
# than SageMaker itself takes to give up on a deploy (a model download and a container's start-up
# health check may each take up to an hour), so a slow endpoint is not abandoned while it settles.
WAIT_DELAY_S = 30
WAIT_MAX_ATTEMPTS = 480


def endpoint_manager(
    aws_conn_id: str | None, region: str | None, iam_role_arn: str | None = None, **kwargs: Any
) -> EndpointManager:
    """A run's manager: the Airflow connection, the run's region and, if given, the conf's IAM role."""
    from sagemaker_sizing.adapters.aws_session import sagemaker_hook

    return EndpointManager(sagemaker_hook(aws_conn_id, region, iam_role_arn), **kwargs)


def with_retries(config: Config | None) -> Config:
    """The connection's botocore config, plus a retry policy when it has none."""
    config = config or Config()
    if config.retries:
        return config
    # A fresh dict each time: botocore rewrites the retries dict it is given, in place.
    return config.merge(Config(retries={"mode": DEFAULT_RETRY_MODE, "max_attempts": DEFAULT_MAX_ATTEMPTS}))


def transitional_states() -> frozenset[str]:
    """The provider's non-terminal endpoint states (an operation is in flight: wait it out)."""
    from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

    return frozenset(SageMakerHook.endpoint_non_terminal_states)


def settled_waiter(client: Any) -> Waiter:
    """A botocore waiter for "no operation in flight": any EndpointStatus outside the provider's
    non-terminal states (from the service model's enum), or the endpoint gone."""
    statuses = client.meta.service_model.shape_for("EndpointStatus").enum
    settled = [status for status in statuses if status not in transitional_states()]
    model = WaiterModel(
        {
            "version": 2,
            "waiters": {
                "EndpointSettled": {
                    "operation": "DescribeEndpoint",
                    "delay": WAIT_DELAY_S,
                    "maxAttempts": WAIT_MAX_ATTEMPTS,
                    "acceptors": [
                        *(
                            {
                                "matcher": "path",
                                "argument": "EndpointStatus",
                                "state": "success",
                                "expected": s,
                            }
                            for s in settled
                        ),
                        {"matcher": "error", "state": "success", "expected": "ValidationException"},
                    ],
                }
            },
        }
    )
    return create_waiter_with_client("EndpointSettled", model, client)


class EndpointManager:
    """Deploys, waits for, and deletes the endpoints of sizing runs."""

    def __init__(
        self,
        hook: SageMakerHook,
        *,
        waiter_delay: float = WAIT_DELAY_S,
        waiter_max_attempts: int = WAIT_MAX_ATTEMPTS,
        scale_in_cooldown: int = 300,
        scale_out_cooldown: int = 60,
    ) -> None:
        self.hook = hook
        # botocore's WaiterConfig for every wait, in place and in the trigger.
        self.waiter_config: dict[str, Any] = {"Delay": waiter_delay, "MaxAttempts": waiter_max_attempts}
        self._cooldowns = {"scale_in_cooldown": scale_in_cooldown, "scale_out_cooldown": scale_out_cooldown}

    @cached_property
    def client(self) -> Any:
        return self.hook.get_client_type(
            region_name=self.hook.region_name, config=with_retries(self.hook.config)
        )

    @cached_property
    def autoscaling(self) -> VariantAutoscaling:
        from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

        # Same connection (credentials, region, endpoint_url, assumed role) as the SageMaker hook.
        aas = AwsBaseHook(
            aws_conn_id=self.hook.aws_conn_id,
            client_type="application-autoscaling",
            region_name=self.hook.region_name,
            verify=self.hook.verify,
        )
        aas.__dict__["conn_config"] = self.hook.conn_config  # a cached_property: share the wrapper
        client = aas.get_client_type(region_name=self.hook.region_name, config=with_retries(self.hook.config))
        return VariantAutoscaling(client, **self._cooldowns)

    # ---- deploy -------------------------------------------------------------------------------

    def deploy(
        self,
        run_key: str,
        lane: str,
        step: StepConfig,
        model_name: str,
        variant_name: str,
        *,
        endpoint_base: str | None = None,
        config_base: str | None = None,
    ) -> dict[str, Any]:
        """Create or update the lane's endpoint for ``step``, wait for InService, apply autoscaling."""
        started = self.start_deploy(
            run_key,
            lane,
            step,
            model_name,
            variant_name,
            endpoint_base=endpoint_base,
            config_base=config_base,
        )
        self.wait_in_service(started["endpoint_name"])
        return self.finish_deploy(run_key, lane, step, variant_name, started)

    def start_deploy(
        self,
        run_key: str,
        lane: str,
        step: StepConfig,
        model_name: str,
        variant_name: str,
        *,
        endpoint_base: str | None = None,
        config_base: str | None = None,
    ) -> dict[str, Any]:
        """Everything before the wait; returns an XCom-safe dict for ``finish_deploy``.

        What the lane's endpoint runs decides the action (``core.timeline.lanes``): created,
        reused, resized in place (only the instance count differs: UpdateEndpointWeightsAndCapacities,
        which keeps the endpoint config) or updated to a new endpoint config. Names start with
        ``endpoint_base`` (the conf's endpoint_name; default the model's name) and ``config_base``
        (its endpoint_config_name; default the endpoint's base). A deferring operator defers to
        ``endpoint_trigger`` when ``status`` is not InService. ``requested_at`` (epoch seconds) is
        when the call that changes the endpoint was made, for the sizing's own bill.
        """
        base = endpoint_base or model_name
        name = ownership.endpoint_name(base, run_key, lane)
        config_name = ownership.endpoint_config_name(config_base or base, run_key, lane, step)
        tags = ownership.run_tags(run_key, lane)
        # Check both names before changing anything: a refusal must leave the account as it was.
        endpoint = self._describe_endpoint(name)
        if endpoint is not None:
            self._require_owned(endpoint["EndpointArn"], run_key, "endpoint", name)
        config = self._describe_config(config_name)
        if config is not None:
            self._require_owned(config["EndpointConfigArn"], run_key, "endpoint config", config_name)
        if endpoint is not None:
            endpoint = self._settle_or_replace(name)
        live = None if endpoint is None else self._fleet(endpoint)
        if endpoint is not None and endpoint["EndpointConfigName"] == config_name and live is None:
            action = Action.REUSED  # serverless: the same config is the same endpoint
        elif endpoint is not None and live is None:
            action = Action.UPDATED
        else:
            action = deploy_action(live, step, self.deploy_times)
        created: list[str] = []
        if config is None and action in (Action.CREATED, Action.UPDATED):
            log.info("Creating endpoint config %s (%s)", config_name, step.describe())
            self.client.create_endpoint_config(
                EndpointConfigName=config_name,
                ProductionVariants=[production_variant(step, model_name, variant_name)],
                Tags=tags,
            )
            created.append(config_name)
        requested_at = time.time()
        if action is Action.CREATED:
            log.info("Creating endpoint %s with config %s", name, config_name)
            self.client.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=tags)
            created.append(name)
        elif action is Action.REUSED:
            log.info("Endpoint %s already runs %s: only the load changes", name, step.describe())
        elif action is Action.RESIZED:
            assert live is not None
            # Application Auto Scaling owns a registered variant's count: deregister first.
            self._remove_scaling(name)
            count = step.instance_count
            log.info("Resizing endpoint %s in place: %s -> %s instances", name, live.count, count)
            self.client.update_endpoint_weights_and_capacities(
                EndpointName=name,
                DesiredWeightsAndCapacities=[{"VariantName": variant_name, "DesiredInstanceCount": count}],
            )
        else:
            # SageMaker rejects updating a variant registered for autoscaling: deregister first.
            self._remove_scaling(name)
            assert endpoint is not None
            log.info("Updating endpoint %s: %s -> %s", name, endpoint["EndpointConfigName"], config_name)
            self.client.update_endpoint(EndpointName=name, EndpointConfigName=config_name)
        status = self._describe_endpoint(name) or {"EndpointStatus": "Unknown"}
        return {
            "endpoint_name": name,
            # The config the endpoint runs (a resized or reused endpoint keeps its own).
            "endpoint_config_name": status.get("EndpointConfigName", config_name),
            "action": str(action),
            "status": status["EndpointStatus"],
            "created": created,
            "previous_count": 0 if live is None else live.count,
            "requested_at": requested_at,
        }

    def _fleet(self, endpoint: dict[str, Any]) -> Fleet | None:
        """What an endpoint runs: its type and current count; None for a serverless variant."""
        config = self._describe_config(endpoint["EndpointConfigName"]) or {}
        variant = (config.get("ProductionVariants") or [{}])[0]
        if "InstanceType" not in variant:
            return None
        current = (endpoint.get("ProductionVariants") or [{}])[0]
        count = current.get("CurrentInstanceCount") or current.get("DesiredInstanceCount")
        return Fleet(variant["InstanceType"], int(count or variant.get("InitialInstanceCount") or 1))

    @cached_property
    def deploy_times(self) -> DeployTimes:
        """The deploy-time model: a count changes in place only where that is faster on AWS."""
        return load_deploy_times()

    def finish_deploy(
        self, run_key: str, lane: str, step: StepConfig, variant_name: str, started: dict[str, Any]
    ) -> dict[str, Any]:
        """After InService: put autoscaling in place (or take it away) and describe the result, with
        the instants the change was asked for and seen InService (epoch seconds)."""
        name = started["endpoint_name"]
        endpoint = self._describe_endpoint(name)
        if endpoint is None or endpoint["EndpointStatus"] != "InService":
            raise EndpointFailedError(_failure_text(name, endpoint))
        if started["action"] == Action.RESIZED:
            # A count change whose new instances fail rolls back: InService again, with the old count.
            live = (endpoint.get("ProductionVariants") or [{}])[0].get("CurrentInstanceCount")
            if live is not None and int(live) != step.instance_count:
                reason = endpoint.get("FailureReason") or "no reason given"
                raise EndpointFailedError(
                    f"endpoint {name} runs {live} instances, not the {step.instance_count} asked: {reason}"
                )
        in_service_at = time.time()
        created = list(started["created"])
        if step.autoscaling:
            metric, target = policy_metric(step.invocations_target, step.concurrency_target)
            created += self.autoscaling.apply(
                name,
                variant_name,
                min_capacity=step.scaling_min_instance_count or step.instance_count,
                max_capacity=int(step.scaling_max_instance_count or step.instance_count),
                target_value=target,
                metric=metric,
                policy_name=ownership.scaling_policy_name(run_key),
                tags=ownership.run_tags(run_key, lane),
            )
        else:
            self._remove_scaling(name)
        return {
            "endpoint_name": name,
            "endpoint_config_name": started["endpoint_config_name"],
            "instance_type": step.instance_type,
            "instance_count": step.instance_count,
            "variant_name": variant_name,
            "autoscaling": step.autoscaling,
            "action": started["action"],
            "status": endpoint["EndpointStatus"],
            "created": created,
            "scaling_max_instance_count": step.scaling_max_instance_count,
            "previous_count": started.get("previous_count", 0),
            "requested_at": started.get("requested_at", in_service_at),
            "in_service_at": in_service_at,
        }

    @staticmethod
    def can_defer() -> bool:
        """Whether the provider's async triggers can run here: they need aiobotocore installed.

        Without it the triggerer fails on import; a deferrable operator should wait in place instead.
        """
        return importlib.util.find_spec("aiobotocore") is not None

    def endpoint_trigger(
        self, endpoint_name: str, *, botocore_config: dict[str, Any] | None = None
    ) -> SageMakerTrigger:
        """The provider's trigger that waits for InService in the triggerer (job_type ``endpoint``),
        as long and as often as a wait in place (``waiter_config``)."""
        from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger

        return SageMakerTrigger(
            job_name=endpoint_name,
            job_type="endpoint",
            waiter_delay=self.waiter_config["Delay"],
            waiter_max_attempts=self.waiter_config["MaxAttempts"],
            aws_conn_id=self.hook.aws_conn_id,
            region_name=self.hook.region_name,
            verify=self.hook.verify,
            botocore_config=botocore_config,
        )

    # ---- waiting (botocore's waiters) ----------------------------------------------------------

    def wait_in_service(self, endpoint_name: str) -> dict[str, Any]:
        """botocore's ``endpoint_in_service`` waiter; raise with SageMaker's reason on failure."""
        try:
            self._wait(self.client.get_waiter("endpoint_in_service"), endpoint_name, self.waiter_config)
        except WaiterError:
            # Failed, gone, or still transitional: say which, in words.
            endpoint = self._describe_endpoint(endpoint_name)
            self._raise_if_transitional(endpoint_name, endpoint)
            raise EndpointFailedError(_failure_text(endpoint_name, endpoint)) from None
        return _in_service(endpoint_name, self._describe_endpoint(endpoint_name))

    def in_service_within(self, endpoint_name: str, seconds: float, interval: float = 0.5) -> bool:
        """Watch a transitional endpoint for about ``seconds``: True once InService, False while
        it is still transitional at the end; raises when it settles in any other state."""
        attempts = max(1, math.ceil(seconds / interval)) + 1
        endpoint = self.wait_settled(
            endpoint_name, {"Delay": interval, "MaxAttempts": attempts}, timeout=False
        )
        if endpoint is not None and endpoint["EndpointStatus"] in transitional_states():
            return False
        _in_service(endpoint_name, endpoint)
        return True

    def gone_within(self, endpoint_name: str, seconds: float, interval: float = 0.5) -> bool:
        """Watch a deleting endpoint for about ``seconds``: True once it is gone."""
        attempts = max(1, math.ceil(seconds / interval)) + 1
        config = {"Delay": interval, "MaxAttempts": attempts}
        return self.wait_settled(endpoint_name, config, timeout=False) is None

    def wait_deleted(self, endpoint_name: str) -> None:
        """botocore's ``endpoint_deleted`` waiter (after a delete was issued)."""
        try:
            self._wait(self.client.get_waiter("endpoint_deleted"), endpoint_name, self.waiter_config)
        except WaiterError:
            endpoint = self._describe_endpoint(endpoint_name)
            if endpoint is None:
                return
            self._raise_if_transitional(endpoint_name, endpoint)
            raise EndpointFailedError(
                f"endpoint {endpoint_name} is {endpoint['EndpointStatus']} instead of deleted"
            ) from None

    def wait_settled(
        self, endpoint_name: str, waiter_config: dict[str, Any] | None = None, *, timeout: bool = True
    ) -> dict[str, Any] | None:
        """The endpoint once no operation is in flight (None when it does not exist)."""
        # Out of checks, or an error: the description below says which (or raises the error).
        with contextlib.suppress(WaiterError):
            self._wait(settled_waiter(self.client), endpoint_name, waiter_config or self.waiter_config)
        endpoint = self._describe_endpoint(endpoint_name)
        if timeout:
            self._raise_if_transitional(endpoint_name, endpoint)
        return endpoint

    @staticmethod
    def _wait(waiter: Waiter, endpoint_name: str, config: dict[str, Any]) -> None:
        log.info(
            "Waiting for endpoint %s (%s: every %g s, at most %s checks)",
            endpoint_name,
            waiter.name,
            config["Delay"],
            config["MaxAttempts"],
        )
        waiter.wait(EndpointName=endpoint_name, WaiterConfig=config)

    def _raise_if_transitional(self, endpoint_name: str, endpoint: dict[str, Any] | None) -> None:
        if endpoint is not None and endpoint["EndpointStatus"] in transitional_states():
            waited = self.waiter_config["Delay"] * self.waiter_config["MaxAttempts"]
            status = endpoint["EndpointStatus"]
            raise TimeoutError(f"endpoint {endpoint_name} still {status} after about {waited:g} s of waiting")

    # ---- helpers ------------------------------------------------------------------------------

    def _settle_or_replace(self, name: str) -> dict[str, Any] | None:
        """The run's endpoint once no operation is in flight; None when there is none (any more)."""
        endpoint = self.wait_settled(name)
        if endpoint is not None and endpoint["EndpointStatus"] in ("Failed", "OutOfService"):
            # A retry after a failed creation: a Failed endpoint cannot be updated, only replaced.
            log.warning("Endpoint %s is %s; deleting it to deploy afresh", name, endpoint["EndpointStatus"])
            self._remove_scaling(name)
            self.delete_if_exists(self.client.delete_endpoint, EndpointName=name)
            self.wait_deleted(name)
            return None
        return endpoint

    def _require_owned(self, arn: str, run_key: str, kind: str, name: str) -> None:
        tags = self.tags(arn)
        if not ownership.belongs_to(tags, run_key):
            owner = tags.get(ownership.RUN_ID_KEY) if ownership.is_managed(tags) else "someone else"
            raise OwnershipError(
                f"{kind} {name} exists but was not created by sizing run {run_key!r} "
                f"(owner: {owner}); refusing to change it. Delete or rename it, or use another endpoint_name."
            )

    def _remove_scaling(self, endpoint_name: str) -> list[str]:
        removed: list[str] = []
        for rid in self.autoscaling.targets_of({endpoint_name}):
            removed += self.autoscaling.remove(rid)
        return removed

    def endpoint_status(self, name: str) -> str | None:
        """The endpoint's status now; None when it does not exist."""
        endpoint = self._describe_endpoint(name)
        return None if endpoint is None else str(endpoint["EndpointStatus"])

    def _describe_endpoint(self, name: str) -> dict[str, Any] | None:
        return self._describe(self.client.describe_endpoint, EndpointName=name)

    def _describe_config(self, name: str) -> dict[str, Any] | None:
        return self._describe(self.client.describe_endpoint_config, EndpointConfigName=name)

    def _describe(self, call: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any] | None:
        try:
            return call(**kwargs)
        except ClientError as error:
            if is_not_found(error):
                return None
            raise

    def tags(self, arn: str) -> dict[str, str]:
        """The resource's tags (botocore's paginator); empty when it vanished between listing and asking."""
        tags: dict[str, str] = {}
        try:
            for page in self.client.get_paginator("list_tags").paginate(ResourceArn=arn):
                tags.update(ownership.tag_map(page.get("Tags", [])))
        except ClientError as error:
            if is_not_found(error):
                return {}
            raise
        return tags

    def delete_if_exists(self, call: Callable[..., dict[str, Any]], **kwargs: Any) -> bool:
        """Run a SageMaker delete; False when the resource was already gone."""
        try:
            call(**kwargs)
        except ClientError as error:
            if is_not_found(error):
                return False
            raise
        return True


def is_not_found(error: ClientError) -> bool:
    """SageMaker answers a missing endpoint or config with ValidationException 'Could not find ...'."""
    err = error.response.get("Error", {})
    return err.get("Code") in ("ValidationException", "ResourceNotFound") and "Could not find" in str(
        err.get("Message", "")
    )


def _in_service(endpoint_name: str, endpoint: dict[str, Any] | None) -> dict[str, Any]:
    """``endpoint`` (a settled description) when InService; else the failure, in words."""
    if endpoint is None or endpoint["EndpointStatus"] != "InService":
        raise EndpointFailedError(_failure_text(endpoint_name, endpoint))
    return endpoint


def _failure_text(name: str, endpoint: dict[str, Any] | None) -> str:
    if endpoint is None:
        return f"endpoint {name} does not exist (deleted while deploying?)"
    reason = endpoint.get("FailureReason") or "no reason given"
    return f"endpoint {name} is {endpoint['EndpointStatus']}: {reason}"
