"""The deploy step: a configuration on its lane's endpoint, InService, autoscaling in place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

from sagemaker_sizing.airflow import step_records
from sagemaker_sizing.core.model import StepResult
from sagemaker_sizing.core.serde import plan_item_from_dict
from sagemaker_sizing.core.verdicts.failures import ENDPOINT_FAILED, deploy_error_category
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow.sdk import Context

    from sagemaker_sizing.adapters.sagemaker import EndpointManager
    from sagemaker_sizing.core.model import PlanItem


STARTED_KEY = "started"  # what start_deploy did, kept across a deferral


def quota_message(error: str) -> str:
    """AWS's sentence naming the quota, without botocore's "An error occurred (...) when calling" prefix."""
    return error.split(": ", 1)[1] if error.startswith("An error occurred") and ": " in error else error


def run_key(context: Context) -> str:
    """What the run's resources are tagged with: unique across DAGs and runs."""
    return f"{context['dag'].dag_id}/{context['run_id']}"


class DeployStepOperator(AwsBaseOperator[SageMakerHook]):
    """Deploys one plan item: creates or updates the lane's endpoint (only this run's, by tag),
    waits for InService in the triggerer when deferrable, then applies or removes autoscaling.

    Idempotent: a retry finds what the first try created and carries on from there. A step that
    no load will measure is decided here, as its step record (``step_records``): a quota refused
    the deployment (the task succeeds, the walk decides what follows), or it failed (the task
    fails; at once when a retry would meet the same refusal).

    :param item: the plan's item for this step (templated; mapped).
    :param conf: the validated conf (templated).
    :param aws_conn_id: the AWS connection (real AWS, or the local SageMaker via ``endpoint_url``).
    :param region_name: the region (default: the conf's ``region``).
    :param verify: whether to verify SSL certificates (as every AWS operator).
    :param botocore_config: botocore client configuration (a dict), also given to the trigger.
    :param deferrable: wait in the triggerer instead of holding a worker slot (when the provider's
        async triggers can run here: see ``can_defer``).
    :param waiter_delay: seconds between status checks (in the worker and in the triggerer).
    :param defer_after: seconds to watch a transitional endpoint in the worker before deferring
        (an endpoint that settles sooner costs no trip through the triggerer).
    """

    aws_hook_class = SageMakerHook
    template_fields = aws_template_fields("item", "conf")
    ui_color = "#cce5ff"

    def __init__(
        self,
        *,
        item: Any,
        conf: Any,
        deferrable: bool = True,
        waiter_delay: int = 30,
        defer_after: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.conf = conf
        self.deferrable = deferrable
        self.waiter_delay = waiter_delay
        self.defer_after = defer_after

    @property
    def planned(self) -> PlanItem:
        """The plan's item (rendered from XCom) as the core's PlanItem."""
        return plan_item_from_dict(self.item)

    @property
    def _hook_parameters(self) -> dict[str, Any]:
        return {**super()._hook_parameters, "region_name": self.region_name or self.conf["region"]}

    def _manager(self) -> EndpointManager:
        # Imported here: boto3 would slow every parse of the DAG file.
        from sagemaker_sizing.adapters.aws_session import with_role
        from sagemaker_sizing.adapters.sagemaker import EndpointManager

        return EndpointManager(
            with_role(self.hook, self.conf.get("iam_role_arn")), waiter_delay=self.waiter_delay
        )

    def _can_defer(self, manager: EndpointManager) -> bool:
        # The provider's trigger knows the connection, not the conf's role: wait here then.
        return self.deferrable and manager.can_defer() and not self.conf.get("iam_role_arn")

    def execute(self, context: Context) -> dict[str, Any]:
        return self._recorded(context, lambda: self._deploy(context))

    def _deploy(self, context: Context) -> dict[str, Any]:
        step = self.planned.step
        self.log.info("round %s: deploying %s", self.planned.round, step.describe())
        manager = self._manager()
        if step.components:
            return self._deploy_components(context, manager)
        started = self._start(context, manager)
        name = started["endpoint_name"]
        settled = started["status"] == "InService" or (
            self.defer_after > 0 and manager.in_service_within(name, self.defer_after)
        )
        if not settled:
            if self._can_defer(manager):
                # Also kept as XCom: ``airflow dags test`` resumes with the trigger's event only.
                if (ti := context.get("ti")) is not None:
                    ti.xcom_push(key=STARTED_KEY, value=started)
                self.defer(
                    trigger=manager.endpoint_trigger(name, botocore_config=self.botocore_config),
                    method_name="execute_complete",
                    kwargs={"started": started},
                )
            manager.wait_in_service(name)
        return self._finish(context, manager, started)

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, started: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._recorded(context, lambda: self._complete(context, event, started))

    def _complete(
        self, context: Context, event: dict[str, Any] | None, started: dict[str, Any] | None
    ) -> dict[str, Any]:
        if not event or event.get("status") != "success":
            from sagemaker_sizing.adapters.errors import EndpointFailedError

            raise EndpointFailedError(f"waiting for the endpoint failed: {event}")
        manager = self._manager()
        # What the start before the wait did (created, resized, updated, reused: the action and its
        # instant), handed over by the trigger or kept as XCom; finishing checks InService again.
        # Without either (a deferral made by an older version), starting again is idempotent.
        started = started or self._kept_start(context)
        return self._finish(context, manager, started or self._start(context, manager))

    @staticmethod
    def _kept_start(context: Context) -> dict[str, Any] | None:
        ti = context.get("ti")
        if ti is None:
            return None
        kept = ti.xcom_pull(task_ids=ti.task_id, key=STARTED_KEY, map_indexes=ti.map_index)
        return kept if isinstance(kept, dict) else None

    def _recorded(self, context: Context, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``work``, or the step's record when it fails: a quota (ResourceLimitExceeded and the
        like) refused the deployment; a refused request (e.g. a missing model) fails the task at
        once; anything else (an endpoint that went Failed, no answer) is retried."""
        try:
            return work()
        except TaskDeferred:
            raise
        except Exception as exc:
            from sagemaker_sizing.adapters.errors import EndpointFailedError

            code = ENDPOINT_FAILED if isinstance(exc, EndpointFailedError) else _error_code(exc)
            category = deploy_error_category(code)
            if category is ErrorCategory.QUOTA:
                return self._refused(context, str(exc))
            error = f"deploy failed ({code or type(exc).__name__}): {exc}"
            step = self.planned.step
            result = StepResult(step, self.planned.round, False, error, error=error, error_category=category)
            step_records.push(context, result)
            self.log.error("round %s: %s: %s error: %s", self.planned.round, step.describe(), category, error)
            if category is ErrorCategory.SETUP and code != ENDPOINT_FAILED:
                raise AirflowFailException(error) from exc  # the same request is refused again: no retry
            raise

    def _refused(self, context: Context, error: str) -> dict[str, Any]:
        """A quota refused the deployment: not a crash and not a capacity result. Its step record
        (category quota) tells the step's load to send nothing; the walk decides what follows."""
        message = quota_message(error)
        result = StepResult(
            step=self.planned.step,
            round=self.planned.round,
            passed=False,
            reason=f"quota: {message}",
            error=message,
            error_category=ErrorCategory.QUOTA,
        )
        step_records.push(context, result)
        self.log.error("round %s: a quota refused the deployment: %s", self.planned.round, message)
        return {"endpoint_name": self.planned.endpoint_name, "action": "refused", "quota": message}

    def _start(self, context: Context, manager: EndpointManager) -> dict[str, Any]:
        return manager.start_deploy(
            run_key(context),
            self.planned.lane,
            self.planned.step,
            self.conf["model_name"],
            self.conf["variant_name"],
            endpoint_base=self.conf.get("endpoint_name") or None,
            config_base=self.conf.get("endpoint_config_name") or None,
        )

    def _deploy_components(self, context: Context, manager: EndpointManager) -> dict[str, Any]:
        """An endpoint of inference components (issue 25): the endpoint, then its components, waited
        InService in the worker (botocore waiters: the provider has no trigger for components)."""
        from sagemaker_sizing.adapters.component_specs import spec_for_step
        from sagemaker_sizing.adapters.components import ComponentManager
        from sagemaker_sizing.core.conf.model import conf_from_dict

        spec = spec_for_step(conf_from_dict(self.conf), self.planned.step)
        deployed = ComponentManager(manager).deploy(
            run_key(context),
            self.planned.lane,
            spec,
            endpoint_base=self.conf.get("endpoint_name") or self.conf["model_name"],
            config_base=self.conf.get("endpoint_config_name") or None,
        )
        planned = self.planned.endpoint_name
        if planned and planned != deployed["endpoint_name"]:
            raise RuntimeError(f"deployed {deployed['endpoint_name']}, but the plan named {planned}")
        names = [c["component_name"] for c in deployed["components"]]
        missing = set(self.planned.component_names) - set(names)
        if missing:
            raise RuntimeError(f"deployed components {names}, but the plan named {sorted(missing)}")
        self.log.info(
            "round %s: endpoint %s %s with %s",
            self.planned.round,
            deployed["endpoint_name"],
            deployed["action"],
            ", ".join(f"{c['model_name']} x{c['copies']}" for c in deployed["components"]),
        )
        return deployed

    def _finish(self, context: Context, manager: EndpointManager, started: dict[str, Any]) -> dict[str, Any]:
        step = self.planned.step
        planned = self.planned.endpoint_name
        if planned and planned != started["endpoint_name"]:
            # The load items carry the planned name.
            raise RuntimeError(f"deployed {started['endpoint_name']}, but the plan named {planned}")
        deployed = manager.finish_deploy(
            run_key(context), self.planned.lane, step, self.conf["variant_name"], started
        )
        self.log.info(
            "round %s: endpoint %s %s and InService (%s)",
            self.planned.round,
            deployed["endpoint_name"],
            deployed["action"],
            deployed["endpoint_config_name"],
        )
        return deployed


def _error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError; None for no answer (connection) or others."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None
