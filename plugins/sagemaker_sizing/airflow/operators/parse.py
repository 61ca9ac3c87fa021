"""The parse step: the core's parser and requirement check over a step's simulation.log files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.airflow.run_files import latest_simulation_logs, refusal_file
from sagemaker_sizing.airflow.tasks import results_dir_of
from sagemaker_sizing.core.model import StepResult
from sagemaker_sizing.core.outcome import ErrorCategory
from sagemaker_sizing.core.serde import step_config_from_dict, step_result_to_dict

if TYPE_CHECKING:
    from airflow.sdk import Context

    from sagemaker_sizing.core.model import StepConfig


class ParseStepOperator(BaseOperator):
    """Reads one step's Gatling logs (merged over its injectors) and judges it against the conf.

    Returns a small XCom summary (the step, pass/fail, the reason, the metrics of the whole run
    and the step folder); the raw data stays on disk, and a copy of the summary is written beside
    it as ``step.json`` so a measured step survives whatever happens next.

    :param item: the plan's item for this step (templated; mapped).
    :param conf: the validated conf (templated).
    """

    template_fields = ("item", "conf")
    ui_color = "#d9f2d9"

    def __init__(self, *, item: Any, conf: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.conf = conf

    def execute(self, context: Context) -> dict[str, Any]:
        from sagemaker_sizing.core.gatling import GatlingLogError, parse_logs  # numpy: not at DAG parse time
        from sagemaker_sizing.core.requirements import check

        run_dir = results_dir_of(self.conf, context["dag"].dag_id, context["run_id"])
        step = step_config_from_dict(self.item["step"])
        round_no = int(self.item["round"])
        refused = refusal_file(run_dir, self.item["folder"])
        if refused.is_file():
            return self._refused(step, round_no, json.loads(refused.read_text())["error"])
        logs = latest_simulation_logs(run_dir, self.item["folder"], int(self.item["injectors"]))
        if len(logs) < int(self.item["injectors"]):
            # Parse runs once the load is done (or could not run): a retry would find no more files.
            raise AirflowFailException(
                f"round {round_no}: {step.describe()}: found {len(logs)} of {self.item['injectors']} "
                f"simulation.log files for {self.item['folder']} under {run_dir}: the load did not run "
                "or did not finish (see this round's deploy and load tasks)"
            )
        try:
            metrics = parse_logs(logs, target_tps=step.steady_state_tps)
        except GatlingLogError as exc:
            # An unreadable log stays unreadable: fail at once (the message names file and line).
            raise AirflowFailException(f"round {round_no}: {step.describe()}: {exc}") from exc
        for warning in metrics.get("warnings", []):
            self.log.warning("round %s: %s", round_no, warning)
        passed, reason = check(metrics["all"], self.conf["latency_success_p99"], self.conf["percent_fail"])
        result = StepResult(
            step=step,
            round=round_no,
            passed=passed,
            reason=reason,
            metrics=metrics["all"],
            folder=str(logs[0].parent.relative_to(run_dir)),
        )
        summary = step_result_to_dict(result)
        (logs[0].parent / "step.json").write_text(json.dumps(summary, indent=2))
        self.log.info(
            "round %s: %s -> %s (%s)", round_no, step.describe(), "PASS" if passed else "FAIL", reason
        )
        return summary

    def _refused(self, step: StepConfig, round_no: int, error: str) -> dict[str, Any]:
        """A step a quota refused (deploy recorded it): an error step of category quota."""
        result = StepResult(
            step=step,
            round=round_no,
            passed=False,
            reason=f"quota: {error}",
            error=error,
            error_category=ErrorCategory.QUOTA,
        )
        self.log.error("round %s: %s -> QUOTA (%s)", round_no, step.describe(), error)
        return step_result_to_dict(result)
