"""docs/iam-policy.json: valid JSON, and it allows every AWS API the project's code calls."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

from sagemaker_sizing.adapters import ownership

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "docs" / "iam-policy.json"
PACKAGE = ROOT / "plugins" / "sagemaker_sizing"
# Which AWS service a module's client talks to.
SERVICE_OF_MODULE = {
    "adapters/sagemaker.py": "sagemaker",
    "adapters/cleanup.py": "sagemaker",
    "adapters/autoscaling.py": "application-autoscaling",
    "adapters/components.py": "sagemaker",
}
# Calls made outside Python or inside the provider on our behalf.
OTHER_CALLS = {
    "sagemaker:InvokeEndpoint",  # the Gatling jar
    "sagemaker:AddTags",  # implied by Tags= on CreateEndpoint/CreateEndpointConfig
    "application-autoscaling:TagResource",  # implied by Tags= on RegisterScalableTarget
    "sts:AssumeRole",  # adapters/aws_session.py, when the conf has iam_role_arn
    "iam:PassRole",  # ExecutionRoleArn of an endpoint config for inference components
    # adapters/preflight.py (clients by name: Account.client("..."))
    "servicequotas:ListServiceQuotas",
    "sagemaker:ListEndpoints",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sts:GetCallerIdentity",
    "iam:SimulatePrincipalPolicy",
    "iam:GetRole",
}
NOT_API = {"get_paginator", "meta", "exceptions", "can_paginate", "get_waiter"}


def allowed_actions() -> list[str]:
    policy = json.loads(POLICY.read_text())
    assert policy["Version"] == "2012-10-17"
    actions: list[str] = []
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement.get("Sid"), "every statement says what it is for"
        listed = statement["Action"]
        actions += [listed] if isinstance(listed, str) else listed
    return actions


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def called_actions() -> set[str]:
    """``client.<method>`` (called or passed along) and paginated ``list_*`` names, per module."""
    found: set[str] = set()
    for module, service in SERVICE_OF_MODULE.items():
        source = (PACKAGE / module).read_text()
        methods = set(re.findall(r"\bclient\.([a-z][a-z_]+)", source))
        methods |= set(re.findall(r'"(list_[a-z_]+)"', source))
        found |= {f"{service}:{camel(m)}" for m in methods - NOT_API}
    return found


def test_the_scan_finds_the_calls_we_know_of() -> None:
    # Guards the regular expressions: should they stop matching, the next test would pass vacuously.
    calls = called_actions()
    for known in (
        "sagemaker:CreateEndpoint",
        "sagemaker:DeleteEndpointConfig",
        "sagemaker:ListEndpointConfigs",
        "sagemaker:ListTags",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "sagemaker:CreateInferenceComponent",
        "sagemaker:UpdateInferenceComponentRuntimeConfig",
        "sagemaker:ListInferenceComponents",
    ):
        assert known in calls


def test_every_api_the_code_calls_is_allowed() -> None:
    allowed = allowed_actions()
    missing = sorted(
        action
        for action in called_actions() | OTHER_CALLS
        if not any(fnmatchcase(action, pattern) for pattern in allowed)
    )
    assert not missing, f"docs/iam-policy.json does not allow {missing}"


def test_no_wildcard_actions() -> None:
    assert not [a for a in allowed_actions() if "*" in a]


def test_the_policy_matches_the_names_and_tags_the_code_uses() -> None:
    policy = json.loads(POLICY.read_text())
    text = json.dumps(policy)
    assert f"aws:ResourceTag/{ownership.MANAGED_BY_KEY}" in text
    assert f"aws:RequestTag/{ownership.MANAGED_BY_KEY}" in text
    assert ownership.MANAGED_BY_VALUE in text
    # An endpoint_name starting with the documented prefix gives names the resources match
    # (SageMaker ARNs hold names in lower case).
    name = ownership.endpoint_name("sizing-my-model", "manual__2024-01-01T00:00:00", "ml.m5.large").lower()
    resources = [
        r for s in policy["Statement"] if "sagemaker:DeleteEndpoint" in s["Action"] for r in s["Resource"]
    ]
    assert any(fnmatchcase(f"arn:aws:sagemaker:us-west-2:123456789012:endpoint/{name}", r) for r in resources)
    component = ownership.component_name(
        "sizing-my-model", "llama-3-8b", "manual__2024", "ml-g5-xlarge"
    ).lower()
    deletes = [
        r
        for s in policy["Statement"]
        if "sagemaker:DeleteInferenceComponent" in s["Action"]
        for r in s["Resource"]
    ]
    arn = f"arn:aws:sagemaker:us-west-2:123456789012:inference-component/{component}"
    assert any(fnmatchcase(arn, r) for r in deletes)
    dimensions = next(
        s["Condition"]["StringEquals"]["application-autoscaling:scalable-dimension"]
        for s in policy["Statement"]
        if "application-autoscaling:PutScalingPolicy" in s["Action"]
    )
    assert "sagemaker:inference-component:DesiredCopyCount" in dimensions
