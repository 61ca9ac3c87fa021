"""moto's SageMaker and Application Auto Scaling, patched for inference components.

- The six component operations on moto's HTTP layer (its SageMakerResponse dispatches by action
  name; answers are serialised from botocore's service model, as for moto's own operations).
- Endpoint configs for components: a production variant without ``ModelName`` (moto looks every
  variant's model up), with ``ManagedInstanceScaling`` and ``RoutingConfig`` kept and shown by
  DescribeEndpoint, and the config's ``ExecutionRoleArn`` (moto drops it; such a config needs one,
  as on AWS) kept and shown.
- DeleteEndpoint refused while the endpoint hosts components; tags on a component's ARN.
- Application Auto Scaling accepts ``sagemaker:inference-component:DesiredCopyCount`` on
  ``inference-component/<name>`` (moto's enum of dimensions lacks it).
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse

from sagemaker_sizing.local import inference_components as ic
from sagemaker_sizing.local.component_listing import list_summaries
from sagemaker_sizing.local.component_store import get, hosted_on

if TYPE_CHECKING:
    from collections.abc import Callable

    from sagemaker_sizing.local.moto_patches import Delays

COPY_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
_APPLIED: set[str] = set()


# ---- endpoint configs and endpoints --------------------------------------------------------------


def _validate_variants(original: Callable[..., None]) -> Callable[..., None]:
    """moto looks every variant's ModelName up; a variant for components has none."""

    def validate(self: SageMakerModelBackend, production_variants: list[dict[str, Any]]) -> None:
        original(self, [v for v in production_variants if v.get("ModelName")])
        for variant in production_variants:
            if not variant.get("ModelName"):
                _check_component_variant(variant)

    return validate


def _check_component_variant(variant: dict[str, Any]) -> None:
    if not variant.get("InstanceType"):
        raise ValidationError(message="A production variant without a ModelName needs an InstanceType.")
    scaling = variant.get("ManagedInstanceScaling") or {}
    low, high = scaling.get("MinInstanceCount"), scaling.get("MaxInstanceCount")
    if low is not None and high is not None and int(low) > int(high):
        raise ValidationError(
            message=f"ManagedInstanceScaling MinInstanceCount ({low}) exceeds MaxInstanceCount ({high})."
        )


def _create_endpoint_config(original: Callable[..., ActionResult]) -> Callable[..., ActionResult]:
    """Keep ExecutionRoleArn, which a config of variants without a model must have."""

    def create(self: SageMakerResponse) -> ActionResult:
        role = self._get_param("ExecutionRoleArn")
        variants = self._get_param("ProductionVariants") or []
        if not role and any(not v.get("ModelName") for v in variants):
            raise ValidationError(
                message="ExecutionRoleArn is required for an endpoint configuration whose production "
                "variants have no ModelName (an endpoint for inference components)."
            )
        result = original(self)
        if role:
            config: Any = self.sagemaker_backend.endpoint_configs[self._get_param("EndpointConfigName")]
            config.execution_role_arn = role  # moto describes a config from its attributes
        return result

    return create


def _process_variants(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    """DescribeEndpoint's variants show ManagedInstanceScaling and RoutingConfig, as on AWS."""

    def process(self: FakeEndpoint, production_variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
        processed = original(self, production_variants)
        for shown, given in zip(processed, production_variants, strict=True):
            shown.update({k: given[k] for k in ("ManagedInstanceScaling", "RoutingConfig") if given.get(k)})
        return processed

    return process


def _delete_endpoint(original: Callable[..., None]) -> Callable[..., None]:
    def delete(self: SageMakerModelBackend, endpoint_name: str) -> None:
        ic.settle(self)
        hosted = [c.name for c in hosted_on(self, endpoint_name)]
        if hosted:
            arn = FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
            raise ValidationError(
                message=f"Cannot delete endpoint '{arn}' while it hosts inference components "
                f"({', '.join(hosted)}): delete them first."
            )
        original(self, endpoint_name)

    return delete


def _settling(original: Callable[..., Any]) -> Callable[..., Any]:
    """Reading endpoints settles components first: they change the instance counts shown."""

    def read(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        ic.settle(self)
        return original(self, *args, **kwargs)

    return read


def _resource_from_arn(original: Callable[..., Any]) -> Callable[..., Any]:
    """ListTags/AddTags/DeleteTags on a component's ARN."""

    def find(self: SageMakerModelBackend, arn: str) -> Any:
        kind, _, name = arn.rsplit(":", maxsplit=1)[-1].partition("/")
        return get(self, name) if kind == "inference-component" else original(self, arn)

    return find


# ---- the operations on moto's HTTP layer ---------------------------------------------------------


def _create(self: SageMakerResponse) -> ActionResult:
    return ActionResult({"InferenceComponentArn": ic.create(self.sagemaker_backend, self._get_params())})


def _describe(self: SageMakerResponse) -> ActionResult:
    return ActionResult(ic.describe(self.sagemaker_backend, self._get_param("InferenceComponentName")))


def _list(self: SageMakerResponse) -> ActionResult:
    return ActionResult(list_summaries(self.sagemaker_backend, self._get_params()))


def _update(self: SageMakerResponse) -> ActionResult:
    return ActionResult({"InferenceComponentArn": ic.update(self.sagemaker_backend, self._get_params())})


def _update_runtime_config(self: SageMakerResponse) -> ActionResult:
    arn = ic.update_runtime_config(self.sagemaker_backend, self._get_params())
    return ActionResult({"InferenceComponentArn": arn})


def _delete(self: SageMakerResponse) -> ActionResult:
    ic.delete(self.sagemaker_backend, self._get_param("InferenceComponentName"))
    return EmptyResult()


def _accept_copy_dimension() -> None:
    """moto checks dimensions against an enum without the copy count: the same enum, extended,
    replaces it in the two modules that read it."""
    from moto.applicationautoscaling import models, responses

    members = {m.name: m.value for m in models.ScalableDimensionValueSet}
    if COPY_DIMENSION in members.values():
        return
    pairs = [*members.items(), ("SAGEMAKER_INFERENCE_COMPONENT_DESIRED_COPY_COUNT", COPY_DIMENSION)]
    extended: Any = Enum("ScalableDimensionValueSet", pairs)  # type: ignore[misc]
    patched: Any = models
    patched.ScalableDimensionValueSet = extended
    patched = responses
    patched.ScalableDimensionValueSet = extended


def apply(delays: Delays) -> None:
    """Patch moto once per process (``moto_patches.apply`` calls this); ``delays`` is read at each
    transition, so later changes to it apply."""
    ic.use_delays(delays)
    if _APPLIED:
        return
    backend: Any = SageMakerModelBackend
    backend.validate_production_variants = _validate_variants(backend.validate_production_variants)
    backend.delete_endpoint = _delete_endpoint(backend.delete_endpoint)
    backend._get_resource_from_arn = _resource_from_arn(backend._get_resource_from_arn)
    for name in ("describe_endpoint", "list_endpoints"):
        setattr(backend, name, _settling(getattr(backend, name)))
    endpoint: Any = FakeEndpoint
    endpoint._process_production_variants = _process_variants(endpoint._process_production_variants)
    response: Any = SageMakerResponse
    response.create_endpoint_config = _create_endpoint_config(response.create_endpoint_config)
    response.create_inference_component = _create
    response.describe_inference_component = _describe
    response.list_inference_components = _list
    response.update_inference_component = _update
    response.update_inference_component_runtime_config = _update_runtime_config
    response.delete_inference_component = _delete
    _accept_copy_dimension()
    _APPLIED.add("components")
