"""ListInferenceComponents on the local SageMaker: AWS's filters, sort keys and pages.

Defaults as AWS documents them for its List* calls: sorted by CreationTime, Descending, 10 a page
(MaxResults 1..100). ``NextToken`` is opaque to callers (an offset here), and one the call did not
hand out is refused.
"""

from __future__ import annotations

import base64
import datetime
from typing import TYPE_CHECKING, Any

from moto.sagemaker.exceptions import ValidationError

from sagemaker_sizing.local.component_store import components
from sagemaker_sizing.local.inference_components import settle

if TYPE_CHECKING:
    from collections.abc import Callable

    from moto.sagemaker.models import SageMakerModelBackend

    from sagemaker_sizing.local.component_store import FakeInferenceComponent

DEFAULT_PAGE = 10
_TOKEN_KIND = "ic"


def list_summaries(backend: SageMakerModelBackend, params: dict[str, Any]) -> dict[str, Any]:
    settle(backend)
    found = [c for c in components(backend).values() if _matches(c, params)]
    sort_keys: dict[str, Callable[[FakeInferenceComponent], Any]] = {
        "Name": lambda c: c.name,
        "Status": lambda c: (c.status, c.creation_time),
        "CreationTime": lambda c: (c.creation_time, c.name),
    }
    found.sort(
        key=sort_keys[params.get("SortBy") or "CreationTime"],
        reverse=(params.get("SortOrder") or "Descending") == "Descending",
    )
    size = int(params.get("MaxResults") or DEFAULT_PAGE)
    if not 1 <= size <= 100:
        raise ValidationError(message=f"MaxResults must be between 1 and 100, got {size}.")
    start = _offset(params.get("NextToken"))
    result: dict[str, Any] = {"InferenceComponents": [c.summary() for c in found[start : start + size]]}
    if start + size < len(found):
        result["NextToken"] = base64.urlsafe_b64encode(f"{_TOKEN_KIND}:{start + size}".encode()).decode()
    return result


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        kind, offset = "", ""
    if kind != _TOKEN_KIND or not offset.isdigit():
        raise ValidationError(message="Invalid pagination token.")
    return int(offset)


def _matches(component: FakeInferenceComponent, params: dict[str, Any]) -> bool:
    checks: tuple[tuple[str, Callable[[Any], bool]], ...] = (
        ("NameContains", lambda v: v in component.name),
        ("EndpointNameEquals", lambda v: v == component.endpoint_name),
        ("VariantNameEquals", lambda v: v == component.variant_name),
        ("StatusEquals", lambda v: v == component.status),
        ("CreationTimeBefore", lambda v: component.creation_time < _moment(v)),
        ("CreationTimeAfter", lambda v: component.creation_time > _moment(v)),
        ("LastModifiedTimeBefore", lambda v: component.last_modified_time < _moment(v)),
        ("LastModifiedTimeAfter", lambda v: component.last_modified_time > _moment(v)),
    )
    return all(check(params[key]) for key, check in checks if params.get(key) is not None)


def _moment(value: Any) -> datetime.datetime:
    """A request's timestamp (moto parses it into a datetime; epoch seconds or ISO 8601 otherwise)
    as moto's own timestamps are: naive UTC."""
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, datetime.UTC).replace(tzinfo=None)
    moment = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))
    return moment.astimezone(datetime.UTC).replace(tzinfo=None) if moment.tzinfo else moment
