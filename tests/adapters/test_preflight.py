"""Preflight's checks against moto (quotas via the local SageMaker's patches, the model, its role)
and against a scripted IAM (moto has no SimulatePrincipalPolicy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from sagemaker_sizing.adapters import preflight
from sagemaker_sizing.adapters.preflight import Account, policy_statements
from sagemaker_sizing.core.account.preflight import Check, Severity
from sagemaker_sizing.core.conf.model import load_conf
from sagemaker_sizing.local import moto_patches

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sagemaker_sizing.core.conf.model import SizingConf

EXAMPLES = Path(__file__).resolve().parents[2] / "include" / "examples"
ROLE = "arn:aws:iam::123456789012:role/model-role"


def conf(**overrides: Any) -> SizingConf:
    raw = json.loads((EXAMPLES / "demo.conf.json").read_text())
    return load_conf({**raw, **overrides}, base_dir=EXAMPLES)


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_DEFAULT_REGION": "us-west-2",
    }.items():
        monkeypatch.setenv(key, value)
    quota_file = tmp_path / "quotas.json"
    quota_file.write_text("{}")
    with mock_aws():
        moto_patches.apply(0.0, quota_file=str(quota_file))
        yield quota_file
    moto_patches.apply(0.0)


def account() -> Account:
    return Account(None, "us-west-2", None)


def deploy(name: str, instance_type: str, count: int) -> None:
    sagemaker = boto3.client("sagemaker", region_name="us-west-2")
    sagemaker.create_model(ModelName=f"{name}-m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"})
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": f"{name}-m",
                "InitialInstanceCount": count,
                "InstanceType": instance_type,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)


def test_a_zero_quota_blocks_and_names_the_quota(aws: Path) -> None:
    aws.write_text(json.dumps({"ml.m5.xlarge": 0}))
    findings, dropped = preflight.check_quotas(account(), conf())
    (blocking,) = [f for f in findings if f.severity is Severity.BLOCKING]
    assert "'ml.m5.xlarge for endpoint usage' is 0" in blocking.message
    assert dropped == []


def test_instances_the_account_already_runs_count(aws: Path) -> None:
    aws.write_text(json.dumps({"ml.m5.large": 3}))
    deploy("other-team", "ml.m5.large", 3)
    findings, _ = preflight.check_quotas(account(), conf())
    (blocking,) = [f for f in findings if f.severity is Severity.BLOCKING]
    assert "'ml.m5.large for endpoint usage' is 3, with 3 in use" in blocking.message


def test_on_quota_skip_drops_instead_of_blocking(aws: Path) -> None:
    aws.write_text(json.dumps({"ml.m5.xlarge": 0}))
    findings, dropped = preflight.check_quotas(account(), conf(on_quota="skip"))
    assert dropped == ["ml.m5.xlarge"]
    assert not [f for f in findings if f.severity is Severity.BLOCKING]


def test_a_missing_model_blocks_naming_model_name(aws: Path) -> None:
    (finding,) = preflight.check_model(account(), conf())
    assert finding.severity is Severity.BLOCKING and finding.message.startswith(
        "model_name: no model 'sizing-demo-model'"
    )


def test_a_model_whose_role_is_gone_blocks(aws: Path) -> None:
    deploy("x", "ml.m5.large", 1)  # model x-m names ROLE, which does not exist
    (finding,) = preflight.check_model(account(), conf(model_name="x-m"))
    assert finding.severity is Severity.BLOCKING and ROLE in finding.message


def test_a_model_and_its_role_pass(aws: Path) -> None:
    boto3.client("iam").create_role(RoleName="model-role", AssumeRolePolicyDocument="{}")
    deploy("x", "ml.m5.large", 1)
    assert preflight.check_model(account(), conf(model_name="x-m")) == []


def test_an_unreadable_payload_and_a_missing_price_block(tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text("{}")
    checked = conf(scenario_requests=[{"path": str(payload), "weight": 100}])
    payload.unlink()
    (unreadable,) = preflight.check_payloads(checked)
    assert unreadable.check is Check.PAYLOAD and "scenario_requests[0].path" in unreadable.message
    (no_price,) = preflight.check_prices(checked.model_copy(update={"prices": checked.prices[:1]}))
    assert "ml.m5.xlarge" in no_price.message


class ScriptedIam:
    """simulate_principal_policy answers: denied actions, or an error for the whole call."""

    def __init__(self, denied: set[str] | None = None, error: str | None = None) -> None:
        self.denied = denied or set()
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def get_paginator(self, name: str) -> ScriptedIam:
        assert name == "simulate_principal_policy"
        return self

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        if self.error:
            raise ClientError(
                {"Error": {"Code": self.error, "Message": "not for you"}}, "SimulatePrincipalPolicy"
            )
        self.calls.append(kwargs)
        decide = lambda a: "implicitDeny" if a in self.denied else "allowed"  # noqa: E731
        return [
            {
                "EvaluationResults": [
                    {"EvalActionName": a, "EvalDecision": decide(a)} for a in kwargs["ActionNames"]
                ]
            }
        ]


class ScriptedAccount(Account):
    def __init__(self, iam: ScriptedIam) -> None:
        super().__init__(None, "us-west-2", None)
        self.iam = iam

    def client(self, client_type: str) -> Any:
        assert client_type == "iam"
        return self.iam

    def caller_arn(self, iam_role_arn: str | None) -> str:
        return iam_role_arn or "arn:aws:iam::111122223333:role/airflow"


def test_denied_actions_are_listed_and_block() -> None:
    iam = ScriptedIam(denied={"sagemaker:CreateEndpoint", "application-autoscaling:PutScalingPolicy"})
    (finding,) = preflight.check_permissions(ScriptedAccount(iam), conf())
    assert finding.severity is Severity.BLOCKING
    assert "application-autoscaling:PutScalingPolicy, sagemaker:CreateEndpoint" in finding.message
    simulated = {a for call in iam.calls for a in call["ActionNames"]}
    every = {a for actions, _ in policy_statements() for a in actions}
    # An endpoint-hosted (tps) run is not asked for what only inference components call.
    assert simulated == every - preflight.COMPONENT_ONLY_ACTIONS
    assert "sagemaker:ListInferenceComponents" in simulated  # teardown lists components always


def test_a_tps_run_is_not_refused_for_component_actions_a_components_run_is() -> None:
    denied = {"sagemaker:CreateInferenceComponent", "iam:PassRole"}
    assert preflight.check_permissions(ScriptedAccount(ScriptedIam(denied=denied)), conf()) == []
    raw = json.loads((EXAMPLES / "components.conf.json").read_text())
    components = load_conf(raw, base_dir=EXAMPLES)
    iam = ScriptedIam(denied=denied)
    (finding,) = preflight.check_permissions(ScriptedAccount(iam), components)
    assert finding.severity is Severity.BLOCKING
    assert "iam:PassRole, sagemaker:CreateInferenceComponent" in finding.message
    simulated = {a for call in iam.calls for a in call["ActionNames"]}
    assert simulated == {a for actions, _ in policy_statements() for a in actions}


def test_the_simulation_uses_this_runs_resources_and_tags() -> None:
    iam = ScriptedIam()
    assert (
        preflight.check_permissions(
            ScriptedAccount(iam), conf(iam_role_arn="arn:aws:iam::111122223333:role/sizing")
        )
        == []
    )
    assert {c["PolicySourceArn"] for c in iam.calls} == {"arn:aws:iam::111122223333:role/sizing"}
    arns = {arn for call in iam.calls for arn in call["ResourceArns"]}
    assert any(a.startswith("arn:aws:sagemaker:us-west-2:111122223333:endpoint/sizing-demo-") for a in arns)
    assert "arn:aws:sagemaker:us-west-2:111122223333:model/sizing-demo-model" in arns
    assert all(call["ContextEntries"] for call in iam.calls)


def test_a_denied_simulation_warns_and_goes_on() -> None:
    (finding,) = preflight.check_permissions(ScriptedAccount(ScriptedIam(error="AccessDenied")), conf())
    assert finding.severity is Severity.WARNING and "not checked" in finding.message


def test_every_model_of_an_endpoint_of_components_must_exist(aws: Path) -> None:
    raw = json.loads((EXAMPLES / "components.conf.json").read_text())
    components = load_conf(raw | {"region": "us-west-2"}, base_dir=EXAMPLES)
    boto3.client("iam").create_role(RoleName="model-role", AssumeRolePolicyDocument="{}")
    sagemaker = boto3.client("sagemaker", region_name="us-west-2")
    sagemaker.create_model(
        ModelName="ic-demo-chat", ExecutionRoleArn="arn:aws:iam::123456789012:role/model-role",
        PrimaryContainer={"Image": "i"},
    )  # fmt: skip
    (finding,) = preflight.check_model(account(), components)
    assert finding.severity is Severity.BLOCKING
    assert finding.message.startswith("model_name: no model 'ic-demo-summarize'")
