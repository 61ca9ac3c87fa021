"""Inference components on the local SageMaker (moto 5.2.5 has none): the operations and statuses.

Create/Describe/Update/UpdateRuntimeConfig/Delete InferenceComponent as AWS takes and answers them
(``component_patches`` serves them through moto's HTTP layer, ``component_listing`` answers List).

- Statuses: Creating, Updating and Deleting last ``moto_patches``' delays (Deleting the updating
  one); then InService, Failed, or gone. Whatever reads components or endpoints settles them first.
- Placement (``component_endpoints``, ``placement``): one copy needing more than a whole instance
  of the variant's type is refused at the call (ValidationException). Copies are packed onto the
  endpoint's instances; with managed instance scaling, instances are added up to MaxInstanceCount
  to hold them and taken away down to MinInstanceCount as copies go; growing past an instance
  quota is refused (ResourceLimitExceeded, the error botocore lists for these calls). Copies that
  find no room leave a new component Failed ("InsufficientCapacity: ...") and an updated one below
  its desired count (CurrentCopyCount < DesiredCopyCount).
- Order, as AWS keeps it: components go on an InService endpoint whose variant has no model; a
  component is changed or deleted only once its Creating or Updating is over; an endpoint with
  components is not deleted (``component_patches``).

Messages are this module's own words where AWS's are not known; the error codes are AWS's.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.utils import arn_formatter

from sagemaker_sizing.local import quotas
from sagemaker_sizing.local.component_endpoints import (
    ComponentVariant,
    check_copy_fits,
    check_growth,
    component_variant,
    instance_limit,
    packing,
    refresh,
)
from sagemaker_sizing.local.component_store import (
    TRANSITIONAL,
    FakeInferenceComponent,
    component_arn,
    components,
    get,
    now_ms,
)
from sagemaker_sizing.local.placement import requirements

if TYPE_CHECKING:
    from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend

    from sagemaker_sizing.local.moto_patches import Delays

LOCK = threading.RLock()  # moto's server is threaded; a component's change is one step
_DELAYS: list[Delays] = []  # the control plane's (moto_patches.DELAYS), read at each transition


def use_delays(delays: Delays) -> None:
    _DELAYS[:] = [delays]


def _delay(status: str) -> float:
    if not _DELAYS:
        return 0.0
    return _DELAYS[0].creating_s if status == "Creating" else _DELAYS[0].updating_s


# ---- settling ----------------------------------------------------------------------------------


def settle(backend: SageMakerModelBackend) -> None:
    """End every Creating/Updating/Deleting status whose time is up (oldest component first)."""
    now = time.monotonic()
    with LOCK:
        touched: set[str] = set()
        for component in sorted(components(backend).values(), key=lambda c: (c.creation_time, c.name)):
            if component.status in TRANSITIONAL and component.ready_at <= now:
                touched.add(component.endpoint_name)
                _finish(backend, component)
        for endpoint_name in touched:
            refresh(backend, endpoint_name)


def _finish(backend: SageMakerModelBackend, component: FakeInferenceComponent) -> None:
    component.last_modified_time = now_ms()
    if component.status == "Deleting":
        del components(backend)[component.name]
    elif component.status == "Updating":
        component.status = "InService"  # its copies are counted by the endpoint's refresh
    else:
        _place_new(backend, component)


def _place_new(backend: SageMakerModelBackend, component: FakeInferenceComponent) -> None:
    """A creation ends: InService with all its copies, or Failed when they do not all fit."""
    endpoint = backend.endpoints.get(component.endpoint_name)
    try:
        if endpoint is None:
            raise ValidationError(message=f"Endpoint '{component.endpoint_arn}' was deleted.")
        variant = component_variant(backend, endpoint, component.variant_name)
    except ValidationError as error:
        component.status, component.failure_reason = "Failed", error.message
        return
    limit = instance_limit(endpoint, variant)
    placed = packing(backend, endpoint, variant, limit).placed.get(component.name, 0)
    if placed < component.desired_copies:
        bound = (
            "ManagedInstanceScaling MaxInstanceCount" if variant.managed else "no managed instance scaling"
        )
        component.status = "Failed"
        component.failure_reason = (
            f"InsufficientCapacity: {component.desired_copies} copies of inference component "
            f"'{component.name}' were requested; {placed} fit on the endpoint's {limit} instance(s) of "
            f"{variant.instance_type} beside its other components ({bound})."
        )
        return
    component.status = "InService"
    component.current_copies = component.desired_copies


def _begin(component: FakeInferenceComponent, status: str) -> None:
    component.status = status
    component.ready_at = time.monotonic() + _delay(status)
    component.last_modified_time = now_ms()


# ---- the operations ----------------------------------------------------------------------------


def create(backend: SageMakerModelBackend, params: dict[str, Any]) -> str:
    settle(backend)
    name = params["InferenceComponentName"]
    spec = dict(params.get("Specification") or {})
    copies = int((params.get("RuntimeConfig") or {}).get("CopyCount", 0))
    with LOCK:
        if name in components(backend):
            arn = component_arn(backend, name)
            raise ValidationError(message=f"Cannot create already existing inference component '{arn}'.")
        endpoint = _in_service_endpoint(backend, params["EndpointName"])
        variant = component_variant(backend, endpoint, params.get("VariantName"))
        _check_specification(backend, name, spec, variant)
        if copies < 1:
            raise ValidationError(message="Inference components copy count an integer larger than 0")  # AWS's
        component = FakeInferenceComponent(
            name=name,
            arn=component_arn(backend, name),
            endpoint_name=endpoint.endpoint_name,
            endpoint_arn=endpoint.arn,
            variant_name=variant.name,
            specification=spec,
            desired_copies=copies,
            tags=list(params.get("Tags") or []),
            instance_type=variant.instance_type,
        )
        components(backend)[name] = component
        try:
            check_growth(backend, endpoint, variant)
        except quotas.ResourceLimitExceeded:
            del components(backend)[name]
            raise
        _begin(component, "Creating")
    settle(backend)
    return component.arn


def _in_service_endpoint(backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
    backend.describe_endpoint(name)  # settles the endpoint's own Creating; "Could not find endpoint" if none
    endpoint = backend.endpoints[name]
    if endpoint.endpoint_status != "InService":
        raise ValidationError(
            message=f"Endpoint '{endpoint.arn}' is {endpoint.endpoint_status}: inference components "
            "can be created only on an InService endpoint."
        )
    return endpoint


def _check_specification(
    backend: SageMakerModelBackend, name: str, spec: dict[str, Any], variant: ComponentVariant
) -> None:
    model = spec.get("ModelName")
    if model and model not in backend._models:
        arn = arn_formatter("model", model, backend.account_id, backend.region_name)
        raise ValidationError(message=f"Could not find model '{arn}'.")
    base = spec.get("BaseInferenceComponentName")
    if not model and not spec.get("Container") and not base:
        raise ValidationError(
            message="Specification needs a ModelName, a Container or a BaseInferenceComponentName."
        )
    compute = spec.get("ComputeResourceRequirements")
    if not compute and not base:
        raise ValidationError(message="Specification.ComputeResourceRequirements is required.")
    check_copy_fits(name, requirements(compute or {}), variant)


def update(backend: SageMakerModelBackend, params: dict[str, Any]) -> str:
    """UpdateInferenceComponent: a new specification and/or copy count."""
    settle(backend)
    with LOCK:
        component, endpoint, variant = _updatable(backend, params["InferenceComponentName"])
        before = (dict(component.specification), component.desired_copies)
        if params.get("Specification"):
            spec = component.specification | dict(params["Specification"])
            _check_specification(backend, component.name, spec, variant)
            component.specification = spec
        if params.get("RuntimeConfig"):
            component.desired_copies = int(params["RuntimeConfig"]["CopyCount"])
        _grow_or_restore(backend, component, endpoint, variant, before)
    settle(backend)
    return component.arn


def update_runtime_config(backend: SageMakerModelBackend, params: dict[str, Any]) -> str:
    """UpdateInferenceComponentRuntimeConfig: the copy count (what copy autoscaling changes)."""
    settle(backend)
    with LOCK:
        component, endpoint, variant = _updatable(backend, params["InferenceComponentName"])
        before = (dict(component.specification), component.desired_copies)
        component.desired_copies = int(params["DesiredRuntimeConfig"]["CopyCount"])
        _grow_or_restore(backend, component, endpoint, variant, before)
    settle(backend)
    return component.arn


def _updatable(
    backend: SageMakerModelBackend, name: str
) -> tuple[FakeInferenceComponent, FakeEndpoint, ComponentVariant]:
    component = get(backend, name)
    if component.status != "InService":
        raise ValidationError(
            message=f"Cannot update inference component '{component.arn}' while it is {component.status}."
        )
    endpoint = backend.endpoints[component.endpoint_name]  # an endpoint with components is never deleted
    return component, endpoint, component_variant(backend, endpoint, component.variant_name)


def _grow_or_restore(
    backend: SageMakerModelBackend,
    component: FakeInferenceComponent,
    endpoint: FakeEndpoint,
    variant: ComponentVariant,
    before: tuple[dict[str, Any], int],
) -> None:
    try:
        check_growth(backend, endpoint, variant)
    except quotas.ResourceLimitExceeded:
        component.specification, component.desired_copies = before
        raise
    _begin(component, "Updating")


def delete(backend: SageMakerModelBackend, name: str) -> None:
    settle(backend)
    with LOCK:
        component = get(backend, name)
        if component.status in ("Creating", "Updating"):
            raise ValidationError(
                message=f"Cannot delete inference component '{component.arn}' while it is {component.status}."
            )
        if component.status != "Deleting":  # a repeated delete changes nothing
            _begin(component, "Deleting")
            component.current_copies = 0
    settle(backend)


def describe(backend: SageMakerModelBackend, name: str) -> dict[str, Any]:
    settle(backend)
    return get(backend, name).describe()
