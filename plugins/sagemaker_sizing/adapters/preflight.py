"""Preflight's facts from the account: quotas, what it already runs, the caller's permissions,
the model and its role. The core (``core.account.preflight``, ``core.account.quota``) judges them.

Every AWS call goes through the Amazon provider's hooks on the run's connection (and the conf's
``iam_role_arn``, as the run itself would call), so preflight sees what the run will see.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from sagemaker_sizing.adapters import ownership
from sagemaker_sizing.adapters.aws_session import client_hook
from sagemaker_sizing.core.account import quota
from sagemaker_sizing.core.account.preflight import Check, Finding, PreflightResult, Severity, quota_findings
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from sagemaker_sizing.core.conf.model import SizingConf

log = logging.getLogger(__name__)

IAM_POLICY = PROJECT_ROOT / "docs" / "iam-policy.json"
_GONE = frozenset({"Failed", "Deleting"})


class Account:
    """The clients of one run's account and region."""

    def __init__(self, aws_conn_id: str | None, region: str, iam_role_arn: str | None) -> None:
        self._args = (aws_conn_id, region, iam_role_arn)

    def client(self, client_type: str) -> Any:
        return client_hook(client_type, *self._args).get_conn()

    def applied_quotas(self) -> dict[str, float]:
        """Service Quotas' applied values for SageMaker, by quota name."""
        pages = self.client("service-quotas").get_paginator("list_service_quotas")
        return {
            q["QuotaName"]: float(q["Value"])
            for page in pages.paginate(ServiceCode="sagemaker")
            for q in page.get("Quotas", [])
        }

    def instances_in_use(self) -> tuple[dict[str, int], int]:
        """Instances per type the account's live endpoints run, and how many endpoints it has."""
        sagemaker = self.client("sagemaker")
        in_use: dict[str, int] = {}
        endpoints = 0
        for page in sagemaker.get_paginator("list_endpoints").paginate():
            for summary in page.get("Endpoints", []):
                endpoints += 1
                if summary.get("EndpointStatus") in _GONE:
                    continue
                described = sagemaker.describe_endpoint(EndpointName=summary["EndpointName"])
                config = sagemaker.describe_endpoint_config(
                    EndpointConfigName=described["EndpointConfigName"]
                )
                types = {v["VariantName"]: v.get("InstanceType") for v in config["ProductionVariants"]}
                for variant in described.get("ProductionVariants", []):
                    instance_type = types.get(variant["VariantName"])
                    if instance_type:  # serverless variants have none
                        count = int(variant.get("CurrentInstanceCount") or 0)
                        in_use[instance_type] = in_use.get(instance_type, 0) + count
        return in_use, endpoints

    def caller_arn(self, iam_role_arn: str | None) -> str:
        """The principal whose policies apply: the conf's role, else the caller (an assumed-role
        session is simulated as its role)."""
        if iam_role_arn:
            return iam_role_arn
        arn = str(self.client("sts").get_caller_identity()["Arn"])
        if ":assumed-role/" in arn:
            account = arn.split(":")[4]
            role = arn.split(":assumed-role/")[1].split("/", maxsplit=1)[0]
            return f"arn:aws:iam::{account}:role/{role}"
        return arn


def _short(exc: Exception) -> str:
    """An AWS error in one line (a parser error carries the whole HTML page it could not read)."""
    return str(exc).splitlines()[0][:200]


def policy_statements(path: Path = IAM_POLICY) -> list[tuple[list[str], list[str]]]:
    """(actions, resources) of every statement of the project's IAM policy (what a run calls)."""
    document = json.loads(path.read_text())
    out = []
    for statement in document["Statement"]:
        actions, resources = statement["Action"], statement.get("Resource", "*")
        out.append(
            (
                [actions] if isinstance(actions, str) else list(actions),
                [resources] if isinstance(resources, str) else list(resources),
            )
        )
    return out


# What only an endpoint of inference components calls (issue 25): a run hosting its model on the
# endpoint's variant is not refused for lacking them. ListInferenceComponents stays for every run:
# teardown and orphans list components with the endpoints.
COMPONENT_ONLY_ACTIONS = frozenset(
    {
        "sagemaker:CreateInferenceComponent",
        "sagemaker:DescribeInferenceComponent",
        "sagemaker:UpdateInferenceComponent",
        "sagemaker:UpdateInferenceComponentRuntimeConfig",
        "sagemaker:DeleteInferenceComponent",
        "iam:PassRole",
    }
)


def needed_actions(actions: list[str], conf: SizingConf) -> list[str]:
    """The actions of a policy statement this conf's run calls (by its hosting)."""
    return [a for a in actions if conf.hosts_components or a not in COMPONENT_ONLY_ACTIONS]


def concrete_resource(pattern: str, conf: SizingConf, account: str) -> str:
    """The ARN a run would touch for a policy resource: its endpoint (config) names, its model;
    ``*`` where the run's resource is not known before the run."""
    parts = pattern.split(":", 5)
    if len(parts) < 6 or parts[2] != "sagemaker":
        return "*"
    kind = parts[5].partition("/")[0]
    lane = ownership.lane_for(conf.type_walk[0])
    base = conf.endpoint_name
    names = {
        "endpoint": ownership.endpoint_name(base, "preflight", lane),
        "endpoint-config": ownership.endpoint_name(base, "preflight", lane),
        "model": conf.model_name,
    }
    if kind not in names:
        return "*"
    return f"arn:aws:sagemaker:{conf.region}:{account}:{kind}/{names[kind]}"


# The run tags what it creates (ownership.run_tags): the policy's tag conditions see them.
_TAG_CONTEXT = [
    {
        "ContextKeyName": f"aws:{kind}/{ownership.MANAGED_BY_KEY}",
        "ContextKeyValues": [ownership.MANAGED_BY_VALUE],
        "ContextKeyType": "string",
    }
    for kind in ("RequestTag", "ResourceTag")
]


def check_quotas(account: Account, conf: SizingConf) -> tuple[list[Finding], list[str]]:
    try:
        applied = account.applied_quotas()
        in_use, endpoints = account.instances_in_use()
    except (ClientError, BotoCoreError) as exc:
        return [
            Finding(
                Check.QUOTA,
                Severity.WARNING,
                f"could not read the SageMaker quotas or the account's endpoints ({exc}): not checked; "
                "allow servicequotas:ListServiceQuotas, sagemaker:ListEndpoints and "
                "sagemaker:DescribeEndpoint/DescribeEndpointConfig to check them",
            )
        ], []
    return quota_findings(conf, quota.assess(conf, applied, in_use, endpoints))


def check_permissions(account: Account, conf: SizingConf) -> list[Finding]:
    """Each statement's actions simulated on the resources this run would touch, with its tags."""
    try:
        statements = policy_statements()
    except (OSError, ValueError, KeyError) as exc:
        return [Finding(Check.PERMISSIONS, Severity.WARNING, f"cannot read {IAM_POLICY}: {exc}")]
    try:
        principal = account.caller_arn(conf.iam_role_arn)
        account_id = principal.split(":")[4] or "*"
        iam = account.client("iam")
        results = []
        for all_actions, resources in statements:
            actions = needed_actions(all_actions, conf)
            if not actions:
                continue
            arns = sorted({concrete_resource(r, conf, account_id) for r in resources})
            pages = iam.get_paginator("simulate_principal_policy").paginate(
                PolicySourceArn=principal, ActionNames=actions, ResourceArns=arns, ContextEntries=_TAG_CONTEXT
            )
            results += [r for page in pages for r in page.get("EvaluationResults", [])]
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        # Denied: the run may still have what it needs.
        return [
            Finding(
                Check.PERMISSIONS,
                Severity.WARNING,
                f"could not simulate the caller's permissions ({_short(exc)}): not checked "
                "(iam:SimulatePrincipalPolicy allows this check)",
            )
        ]
    denied = sorted({r["EvalActionName"] for r in results if r.get("EvalDecision") != "allowed"})
    if not denied:
        return []
    return [
        Finding(
            Check.PERMISSIONS,
            Severity.BLOCKING,
            f"{principal} is denied {', '.join(denied)} on this run's resources (endpoint names from "
            f"endpoint_name {conf.endpoint_name!r}): grant them (docs/iam-policy.json lists what a "
            "sizing run needs, for endpoints named sizing-*)",
        )
    ]


def check_model(account: Account, conf: SizingConf) -> list[Finding]:
    """The model exists and its execution role too; on an endpoint of inference components, every
    model of ``models``."""
    if conf.hosts_components and conf.models:
        findings: list[Finding] = []
        for entry in conf.models:
            findings += _check_one_model(account, conf, entry.model_name)
        return findings
    return _check_one_model(account, conf, conf.model_name)


def _check_one_model(account: Account, conf: SizingConf, model_name: str) -> list[Finding]:
    try:
        model = account.client("sagemaker").describe_model(ModelName=model_name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ValidationException":
            return [
                Finding(
                    Check.MODEL,
                    Severity.BLOCKING,
                    f"model_name: no model {model_name!r} in {conf.region}: create it first, or "
                    "correct model_name (or region)",
                )
            ]
        return [Finding(Check.MODEL, Severity.WARNING, f"could not describe model {model_name!r}: {exc}")]
    role_arn = model.get("ExecutionRoleArn")
    if not role_arn:
        return []
    try:
        account.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":
            return [
                Finding(
                    Check.MODEL,
                    Severity.BLOCKING,
                    f"model {model_name!r} names execution role {role_arn}, which does not exist: "
                    "the endpoint could not pull its image; recreate the role or the model",
                )
            ]
        return [Finding(Check.MODEL, Severity.WARNING, f"could not check execution role {role_arn}: {exc}")]
    return []


def check_payloads(conf: SizingConf) -> list[Finding]:
    findings = []
    for index, request in enumerate(conf.scenario_requests):
        try:
            with open(request.path, "rb") as payload:
                payload.read(1)
        except OSError as exc:
            findings.append(
                Finding(
                    Check.PAYLOAD,
                    Severity.BLOCKING,
                    f"scenario_requests[{index}].path: {request.path} is not readable ({exc.strerror})",
                )
            )
    return findings


def check_prices(conf: SizingConf) -> list[Finding]:
    missing = [t for t in conf.type_walk if t not in conf.price_table]
    return [
        Finding(
            Check.PRICES,
            Severity.BLOCKING,
            f"type_walk: no {conf.region} price for {t}: add it via cost_file",
        )
        for t in missing
    ]


def run_preflight(conf: SizingConf, aws_conn_id: str | None) -> PreflightResult:
    """Every check, every problem at once."""
    account = Account(aws_conn_id, conf.region, conf.iam_role_arn)
    quota_found, dropped = check_quotas(account, conf)
    findings = [
        *quota_found,
        *check_permissions(account, conf),
        *check_model(account, conf),
        *check_payloads(conf),
        *check_prices(conf),
    ]
    return PreflightResult(tuple(findings), tuple(dropped))
