"""What moto 5.2.5's SageMaker lacks and the sizing DAG relies on, patched into its backend.

- ``UpdateEndpoint`` (moto has no such action): switch an endpoint to another endpoint config.
- Instance types: moto's list stops at 2019's; any ``ml.<family>.<size>`` is accepted (ml.g5,
  ml.g6e, ml.inf2, ml.p4d ... for LLM endpoints).
- Optional ``Creating`` / ``Updating`` / ``Deleting`` delays (``deploy_delays``: fixed, or the
  deploy-time model's per instance family, time-compressed), so that a caller's waiting is
  exercised. moto stores every attribute of a fake endpoint in its API answers, so pending
  transitions live in a side table keyed by ARN and are settled whenever an endpoint is read.
- ``UpdateEndpointWeightsAndCapacities`` (a count changed in place) takes its delay too: the
  endpoint is ``Updating`` with the new DesiredInstanceCount until the new CurrentInstanceCount is
  in service, and refuses an endpoint that is not InService, as AWS does. The runtime emulator's own
  autoscaling writes are applied at once (``deploy_delays``).

- Service quotas: CreateEndpoint / UpdateEndpoint beyond "<type> for endpoint usage" (or the
  endpoint count) fail with AWS's ResourceLimitExceeded, and Service Quotas' ListServiceQuotas
  answers ``sagemaker`` with the applied values (moto serves only ``vpc``); see ``quotas``.
- ``iam:SimulatePrincipalPolicy`` (moto has none): everything allowed, as the local SageMaker
  enforces no IAM, so preflight's permission check runs end to end.
- Application Auto Scaling's ``DescribeScalableTargets`` paging: moto answers every page after the
  first with the same ``NextToken`` (the page's length, not its end), which botocore's paginator
  rightly refuses; the patch returns the index of the page's last target.

- Inference components (moto has none): ``component_patches`` and ``inference_components``.

Autoscaling decisions need no more: the runtime emulator applies them through
``UpdateEndpointWeightsAndCapacities``, the call AWS Application Auto Scaling itself makes.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moto.applicationautoscaling import responses as aas_responses
from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import SagemakerClientError, ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from sagemaker_sizing.local import component_patches, deploy_delays, faults, quotas, session_tokens
from sagemaker_sizing.local.deploy_delays import FixedDelays, variant_type

if TYPE_CHECKING:
    from sagemaker_sizing.core.timeline.deploy_times import DeployTimes

# The fixed delays (``deploy_delays``), by the names inference components read them by.
Delays = FixedDelays
DELAYS = deploy_delays.FIXED

# AWS's instance types are ml.<family>.<size>; moto 5.2.5 knows only those of 2019 (no ml.g5,
# ml.g6, ml.g6e, ml.inf2, ml.p4d, ...), which LLM endpoints run on.
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z][a-z0-9-]*\.[a-z0-9]+$")


class InjectedFault(SagemakerClientError):
    """An error a test asked for (faults.py); ``code`` is set per instance (ResourceLimitExceeded, ...)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def _check_fault(action: str, *names: str) -> None:
    """Raise the injected error of the first matching fault rule, if any."""
    rule = faults.fire(action, names)
    if rule is not None:
        code = str(rule.get("error", "InternalFailure"))
        raise InjectedFault(code, str(rule.get("message", f"injected {code} on {action}")))


def _validate_instance_type(self: FakeEndpointConfig, instance_type: str) -> None:
    if not _INSTANCE_TYPE.match(instance_type):
        raise ValidationError(
            message=f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ml.<family>.<size>"
        )


@dataclass
class _Transition:
    ready_at: float  # time.monotonic() when the endpoint becomes InService (or is gone)
    new_config: str | None = None  # UpdateEndpoint's target config, applied when ready
    new_count: int | None = None  # UpdateEndpointWeightsAndCapacities' count, in service when ready
    delete: bool = False  # DeleteEndpoint: gone when ready


_PENDING: dict[str, _Transition] = {}
_LOCK = threading.Lock()
_APPLIED: set[str] = set()  # holds "sagemaker" once patched


def _settle(backend: SageMakerModelBackend) -> None:
    """Finish every transition whose delay is over."""
    now = time.monotonic()
    with _LOCK:
        for endpoint in list(backend.endpoints.values()):
            transition = _PENDING.get(endpoint.arn)
            if transition is None or transition.ready_at > now:
                continue
            del _PENDING[endpoint.arn]
            if transition.delete:
                backend.endpoints.pop(endpoint.endpoint_name, None)
                continue
            if transition.new_count is not None:
                _settle_resize(endpoint, transition.new_count)
                continue
            if transition.new_config is not None:
                _switch_config(backend, endpoint, transition.new_config)
            # Test-only: faults.py may make it settle Failed (InService unless a fault is set).
            status, reason = faults.settled_status(endpoint.endpoint_name, endpoint.endpoint_config_name)
            endpoint.endpoint_status = status
            if reason is not None:
                setattr(endpoint, "failure_reason", reason)  # noqa: B010 (moto types it None)
            endpoint.last_modified_time = _utcnow()


def resized_name(endpoint_name: str, count: Any) -> str:
    """What a test-only fault rule matches for a count changed in place: ``<endpoint>-x<count>``."""
    return f"{endpoint_name}-x{count}"


def _settle_resize(endpoint: FakeEndpoint, count: int) -> None:
    """The new count in service; a fault makes the change roll back, as AWS does when the new
    instances fail: InService again with the old count and SageMaker's reason."""
    status, reason = faults.settled_status(
        endpoint.endpoint_name, resized_name(endpoint.endpoint_name, count)
    )
    if status == "InService":
        for variant in endpoint.production_variants:
            variant["CurrentInstanceCount"] = count
    else:
        for variant in endpoint.production_variants:
            variant["DesiredInstanceCount"] = variant.get("CurrentInstanceCount")
        setattr(endpoint, "failure_reason", reason)  # noqa: B010 (moto types it None)
    endpoint.endpoint_status = "InService"
    endpoint.last_modified_time = _utcnow()


def _utcnow() -> Any:
    from moto.core.utils import utcnow

    return utcnow()


def _switch_config(backend: SageMakerModelBackend, endpoint: FakeEndpoint, config_name: str) -> None:
    config = backend.describe_endpoint_config(config_name)
    endpoint.endpoint_config_name = config_name
    endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])


def _update_endpoint(self: SageMakerModelBackend, endpoint_name: str, endpoint_config_name: str) -> str:
    _settle(self)
    _check_fault("UpdateEndpoint", endpoint_name, endpoint_config_name)
    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is None:
        arn = FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
        raise ValidationError(message=f"Could not find endpoint '{arn}'.")
    if endpoint.endpoint_status != "InService":
        raise ValidationError(message=f"Cannot update in-progress endpoint '{endpoint.arn}'.")
    self.describe_endpoint_config(endpoint_config_name)  # raises when it does not exist
    quotas.check_deploy(self, endpoint_name, endpoint_config_name, new_endpoint=False)
    delay = deploy_delays.updating_s(_config_type(self, endpoint_config_name))
    if delay <= 0:
        _switch_config(self, endpoint, endpoint_config_name)
    else:
        endpoint.endpoint_status = "Updating"
        with _LOCK:
            _PENDING[endpoint.arn] = _Transition(time.monotonic() + delay, endpoint_config_name)
    endpoint.last_modified_time = _utcnow()
    return str(endpoint.arn)


def _config_type(backend: SageMakerModelBackend, config_name: str) -> str:
    config = backend.endpoint_configs.get(config_name)
    variants = getattr(config, "production_variants", None) or [{}]
    return variant_type(variants[0])


def _resize_with_delay(method: Any) -> Any:
    """UpdateEndpointWeightsAndCapacities: Updating until the new count is in service."""

    def wrapper(
        self: SageMakerModelBackend, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]
    ) -> Any:
        desired = desired_weights_and_capacities
        _settle(self)
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is not None and endpoint.endpoint_status != "InService":
            raise ValidationError(message=f"Cannot update in-progress endpoint '{endpoint.arn}'.")
        counts = [v.get("CurrentInstanceCount") for v in getattr(endpoint, "production_variants", [])]
        wanted = desired[0].get("DesiredInstanceCount") if desired else None
        if endpoint is not None and wanted is not None and not deploy_delays.from_runtime():
            # Test-only faults match "<endpoint>-x<count>", as a config of that count would.
            _check_fault(
                "UpdateEndpointWeightsAndCapacities", endpoint_name, resized_name(endpoint_name, wanted)
            )
            instance_type = _config_type(self, endpoint.endpoint_config_name)
            quotas.check_resize(self, endpoint_name, instance_type, int(wanted))
        arn = method(self, endpoint_name, desired_weights_and_capacities)  # raises for an unknown endpoint
        if endpoint is None or wanted is None or not counts or counts[0] is None:
            return arn
        old, new = int(counts[0]), int(wanted)
        delay = deploy_delays.resizing_s(_config_type(self, endpoint.endpoint_config_name), old, new)
        if new != old and delay > 0:
            for variant in endpoint.production_variants:
                variant["CurrentInstanceCount"] = old  # in service until the new count is
            endpoint.endpoint_status = "Updating"
            with _LOCK:
                _PENDING[endpoint.arn] = _Transition(time.monotonic() + delay, new_count=new)
        endpoint.last_modified_time = _utcnow()
        return arn

    return wrapper


def _resize_response(method: Any) -> Any:
    def wrapper(self: SageMakerResponse) -> Any:
        with deploy_delays.caller(self.headers):
            return method(self)

    return wrapper


def _update_endpoint_response(self: SageMakerResponse) -> ActionResult:
    arn = self.sagemaker_backend.update_endpoint(  # type: ignore[attr-defined]
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
    )
    return ActionResult({"EndpointArn": arn})


def _settling(method: Any) -> Any:
    def wrapper(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        _settle(self)
        return method(self, *args, **kwargs)

    return wrapper


def _create_endpoint_with_delay(method: Any) -> Any:
    def wrapper(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        _check_fault(
            "CreateEndpoint", kwargs.get("endpoint_name", ""), kwargs.get("endpoint_config_name", "")
        )
        if kwargs.get("endpoint_config_name") in self.endpoint_configs:
            quotas.check_deploy(
                self, kwargs.get("endpoint_name", ""), kwargs["endpoint_config_name"], new_endpoint=True
            )
        endpoint = method(self, *args, **kwargs)
        delay = deploy_delays.creating_s(_config_type(self, endpoint.endpoint_config_name))
        if delay > 0:
            endpoint.endpoint_status = "Creating"
            with _LOCK:
                _PENDING[endpoint.arn] = _Transition(time.monotonic() + delay)
        return endpoint

    return wrapper


def _describe_faulty(method: Any) -> Any:
    def wrapper(self: SageMakerModelBackend, endpoint_name: str) -> Any:
        _check_fault("DescribeEndpoint", endpoint_name)
        return method(self, endpoint_name)

    return wrapper


def _delete_endpoint_forgetting(method: Any) -> Any:
    def wrapper(self: SageMakerModelBackend, endpoint_name: str) -> Any:
        _check_fault("DeleteEndpoint", endpoint_name)
        _settle(self)
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is not None and endpoint.endpoint_status == "Deleting":
            raise ValidationError(message=f"Cannot update in-progress endpoint '{endpoint.arn}'.")
        delay = (
            0.0
            if endpoint is None
            else deploy_delays.deleting_s(_config_type(self, endpoint.endpoint_config_name))
        )
        if endpoint is not None and delay > 0:
            endpoint.endpoint_status = "Deleting"
            endpoint.last_modified_time = _utcnow()
            with _LOCK:
                _PENDING[endpoint.arn] = _Transition(time.monotonic() + delay, delete=True)
            return None
        result = method(self, endpoint_name)
        if endpoint is not None:
            with _LOCK:
                _PENDING.pop(endpoint.arn, None)
        return result

    return wrapper


def _describe_scalable_targets(self: aas_responses.ApplicationAutoScalingResponse) -> str:
    """moto's own, with a ``NextToken`` that moves forward (see the module's docstring)."""
    self._validate_params()
    found = self.applicationautoscaling_backend.describe_scalable_targets(
        self._get_param("ServiceNamespace"),
        self._get_param("ResourceIds"),
        self._get_param("ScalableDimension"),
    )
    max_results = self._get_int_param("MaxResults") or 50
    marker = self._get_param("NextToken")
    start = int(marker) + 1 if marker else 0
    page = found[start : start + max_results]
    next_token = str(start + len(page) - 1) if len(found) > start + max_results else None
    targets = [aas_responses._build_target(t) for t in page]
    return json.dumps({"ScalableTargets": targets, "NextToken": next_token})


def _list_service_quotas(self: Any) -> str:
    params = json.loads(self.body or "{}")
    if params.get("ServiceCode") != "sagemaker":
        from moto.servicequotas.exceptions import NoSuchResource

        raise NoSuchResource
    return json.dumps({"Quotas": quotas.listed_quotas(self.region)})


def _simulate_principal_policy(self: Any) -> ActionResult:
    """The local SageMaker enforces no IAM: every action a principal asks about is allowed."""
    actions = self._get_param("ActionNames") or []
    return ActionResult(
        {
            "EvaluationResults": [
                {"EvalActionName": action, "EvalResourceName": "*", "EvalDecision": "allowed"}
                for action in actions
            ],
            "IsTruncated": False,
        }
    )


def apply(
    creating_delay_s: float = 0.0,
    updating_delay_s: float | None = None,
    quota_file: str | None = None,
    realistic: DeployTimes | None = None,
) -> None:
    """Patch moto's SageMaker and Service Quotas (once per process); later calls only change the
    delays and the quota file. ``realistic``: the deploy-time table (already time-compressed) that
    replaces the fixed delays (``deploy_delays``)."""
    quotas.QUOTAS.path = Path(quota_file) if quota_file else None
    deploy_delays.configure(creating_delay_s, updating_delay_s, realistic)
    component_patches.apply(DELAYS)
    if _APPLIED:
        return
    backend: Any = SageMakerModelBackend
    backend.update_endpoint = _update_endpoint
    backend.create_endpoint = _create_endpoint_with_delay(backend.create_endpoint)
    backend.delete_endpoint = _delete_endpoint_forgetting(backend.delete_endpoint)
    backend.update_endpoint_weights_and_capacities = _resize_with_delay(
        backend.update_endpoint_weights_and_capacities
    )
    for name in ("describe_endpoint", "list_endpoints"):
        setattr(backend, name, _settling(getattr(backend, name)))
    backend.describe_endpoint = _describe_faulty(backend.describe_endpoint)
    config: Any = FakeEndpointConfig
    config.validate_instance_type = _validate_instance_type
    response: Any = SageMakerResponse
    response.update_endpoint = _update_endpoint_response
    response.update_endpoint_weights_and_capacities = _resize_response(
        response.update_endpoint_weights_and_capacities
    )
    _patch_sts()
    from moto.servicequotas.responses import ServiceQuotasResponse

    quotas_response: Any = ServiceQuotasResponse
    quotas_response.list_service_quotas = _list_service_quotas
    from moto.iam.responses import IamResponse

    iam_response: Any = IamResponse
    iam_response.simulate_principal_policy = _simulate_principal_policy
    aas: Any = aas_responses.ApplicationAutoScalingResponse
    aas.describe_scalable_targets = _describe_scalable_targets
    _APPLIED.add("sagemaker")


def _patch_sts() -> None:
    """GetSessionToken and AssumeRole hand out temporary keys the runtime emulator can check.

    moto answers GetSessionToken with AWS's documentation example keys and AssumeRole with random
    ones nobody else knows; with the local secret in the environment (``servers.start`` passes it), both
    give keys made by session_tokens from it, so requests signed with them verify as on AWS.
    """
    import os

    from moto.sts.models import STSBackend
    from moto.sts.responses import TokenResponse

    master = os.environ.get("LOCAL_SAGEMAKER_SECRET_ACCESS_KEY")
    if not master:
        return

    def get_session_token(self: Any) -> ActionResult:
        duration = self._get_int_param("DurationSeconds", 43200)
        creds = session_tokens.issue(master, duration)
        return ActionResult(
            {
                "Credentials": {
                    "AccessKeyId": creds.access_key,
                    "SecretAccessKey": creds.secret_key,
                    "SessionToken": creds.token,
                    "Expiration": datetime.datetime.fromtimestamp(creds.expires_unix, datetime.UTC),
                }
            }
        )

    original_assume_role = STSBackend.assume_role

    def assume_role(self: Any, **kwargs: Any) -> Any:
        role = original_assume_role(self, **kwargs)
        creds = session_tokens.issue(master, int(kwargs.get("duration") or 3600))
        role.access_key_id, role.secret_access_key = creds.access_key, creds.secret_key
        role.session_token = creds.token
        return role

    response: Any = TokenResponse
    response.get_session_token = get_session_token
    backend: Any = STSBackend
    backend.assume_role = assume_role
