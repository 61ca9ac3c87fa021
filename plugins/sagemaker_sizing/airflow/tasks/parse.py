"""The parse step: the core's parser and requirement check over a step's simulation.log files, or
for an LLM step (``workload: "llm"``) over AIPerf's exports (``airflow/step_exports.py``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.adapters.load_command import is_llm
from sagemaker_sizing.airflow import results_store, settings, step_logs, step_records
from sagemaker_sizing.airflow.results_store import results_dir_of
from sagemaker_sizing.core.model import StepConfig, StepResult
from sagemaker_sizing.core.serde import plan_item_from_dict, step_result_to_dict
from sagemaker_sizing.core.verdicts.failures import TOP_MESSAGES, describe_failures, judge_failures
from sagemaker_sizing.core.verdicts.outcome import ErrorCategory

if TYPE_CHECKING:
    from airflow.sdk import Context

    from sagemaker_sizing.airflow.results_store import StorePath
    from sagemaker_sizing.core.model import PlanItem

STEP_FILE = "step.json"
KEPT_MESSAGES = 20  # distinct KO messages kept per step (XCom, step.json, report)


class ParseStepOperator(BaseOperator):
    """Reads one step's Gatling logs (merged over its injectors) and judges it against the conf.

    Records the step (``step_records``: the step, its outcome, the reason, the metrics of the
    whole run, the failed requests by message and the step folder); the raw data stays on disk,
    and a copy of the record is written beside it as ``step.json`` so a step survives whatever
    happens next. A step deploy already recorded (a quota refused it, or it failed) has no load
    to read: parse writes no second record.

    A step that could not measure the endpoint (no log: the jar exited before writing one; no
    request; KOs that are mostly setup errors such as unknown host, refused connection, TLS, HTTP
    403/404; connections refused after the endpoint had answered; a split step's injectors that
    did not send together, judged on the window in which all of them were sending: a
    *load-generator* error) is an *error* step: recorded
    like any other (its record pushed before failing, so the report names it), then the task
    fails at once, without retry, with the top messages and their counts in its log.

    :param item: the plan's item for this step (templated; mapped).
    :param conf: the validated conf (templated).
    """

    template_fields = ("item", "conf")
    ui_color = "#d9f2d9"

    def __init__(self, *, item: Any, conf: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.conf = conf

    def execute(self, context: Context) -> None:
        from sagemaker_sizing.core.gatling import GatlingLogError  # numpy: not at DAG parse time
        from sagemaker_sizing.core.verdicts.requirements import check

        item = plan_item_from_dict(self.item)
        step, round_no = item.step, item.round
        decided = step_records.for_item(context, item)
        if decided is not None:
            self._decided_by_deploy(item, decided)
            return
        run_dir = results_dir_of(self.conf, context["dag"].dag_id, context["run_id"])
        if item.step.components:
            self._parse_components(context, item, run_dir)
            return
        if is_llm(self.conf):
            self._parse_llm(context, item, run_dir)
            return
        injectors = item.injectors
        logs = step_logs.step_logs(run_dir, item.folder, injectors)
        if len(logs) < injectors:
            # Parse runs once the load is done or failed: a jar that exited before writing its log
            # (unreachable host, bad settings) did not measure anything, and a retry finds no more.
            error = (
                f"the load did not run: found {len(logs)} of {injectors} simulation.log files for "
                f"{item.folder} (the jar exited before writing its log: see this round's load task)"
            )
            self._error(
                context,
                StepResult(step, round_no, False, error, error=error, error_category=ErrorCategory.SETUP),
                run_dir,
                None,
            )
        try:
            with step_logs.local_logs(logs) as paths:  # downloaded when the results are on a store
                measured = step_logs.measure(
                    paths, step.steady_state_tps, settings.injector_start_tolerance()
                )
        except GatlingLogError as exc:
            # An unreadable log (or one without a request) stays so: the load measured nothing.
            error = f"the load wrote no usable log: {exc}"
            self._error(
                context,
                StepResult(step, round_no, False, error, error=error, error_category=ErrorCategory.SETUP),
                run_dir,
                logs[0].parent,
            )
        parsed = measured.metrics
        for warning in parsed.get("warnings", []):
            self.log.warning("round %s: %s", round_no, warning)
        folder = logs[0].parent.name
        if measured.start_skew_s is not None:
            self.log.info(
                "round %s: %s injectors, start skew %.3f s", round_no, injectors, measured.start_skew_s
            )
        if measured.load_generator_problems:
            # The endpoint never saw the step's TPS from all injectors at once: no capacity verdict.
            error = f"load generator: {'; '.join(measured.load_generator_problems)}"
            result = StepResult(
                step,
                round_no,
                False,
                error,
                parsed["all"],
                folder,
                error,
                ErrorCategory.LOAD_GENERATOR,
            )
            self._error(context, result, run_dir, logs[0].parent)
        verdict = judge_failures(parsed)
        failures = verdict.failures[:KEPT_MESSAGES]
        if verdict.category is not None:
            result = StepResult(
                step,
                round_no,
                False,
                str(verdict.error),
                parsed["all"],
                folder,
                verdict.error,
                verdict.category,
                failures,
            )
            self._error(context, result, run_dir, logs[0].parent)
        passed, reason = check(parsed["all"], self.conf["latency_success_p99"], self.conf["percent_fail"])
        result = StepResult(step, round_no, passed, reason, parsed["all"], folder, failures=failures)
        _write_json(logs[0].parent, STEP_FILE, step_result_to_dict(result))
        step_records.push(context, result)
        self.log.info(
            "round %s: %s -> %s (%s)", round_no, step.describe(), "PASS" if passed else "FAIL", reason
        )
        if failures:
            self.log.info("round %s: failed requests: %s", round_no, describe_failures(failures))

    def _parse_llm(self, context: Context, item: PlanItem, run_dir: StorePath) -> None:
        """An LLM step: AIPerf's per-request export into ``LlmMetrics``, its failures classified
        (setup, infrastructure, load generator: an error step), else the SLO check."""
        from sagemaker_sizing.adapters.load_command import ARRIVAL, RAMP_ARRIVAL
        from sagemaker_sizing.airflow.step_exports import read_step
        from sagemaker_sizing.core.llm.metrics import step_metrics
        from sagemaker_sizing.core.verdicts.llm_failures import judge_llm_failures

        # PLACEHOLDER until llm-size's core/verdicts/llm_requirements.py is in main (same names).
        from sagemaker_sizing.core.verdicts.llm_requirements import LlmLimits, check_llm
        from sagemaker_sizing.paths import AIPERF_BIN

        step, round_no = item.step, item.round
        read = read_step(run_dir, item.folder, str(AIPERF_BIN))
        folder = read.folder.name if read.folder is not None else None
        if read.export is None:
            assert read.no_export is not None
            why = str(read.no_export.error)
            error = StepResult(step, round_no, False, why, {}, folder, why, read.no_export.category)
            self._error(context, error, run_dir, read.folder)
        export = read.export
        metrics = step_metrics(export.metrics)
        if export.lost:
            self.log.warning(
                "round %s: %s request(s) unanswered when AIPerf's grace period ended: counted as failed",
                round_no,
                export.lost,
            )
        ramp_s = step.ramp_minutes * 60
        verdict = judge_llm_failures(
            export,
            rate=step.steady_state_tps,
            duration_s=ramp_s + step.steady_state_minutes * 60,
            ramp_s=ramp_s,
            ramp_start_rate=step.ramp_start_tps,
            arrival=RAMP_ARRIVAL if ramp_s > 0 else ARRIVAL,
        )
        failures = verdict.failures[:KEPT_MESSAGES]
        if verdict.category is not None:
            why = str(verdict.error)
            error = StepResult(step, round_no, False, why, metrics, folder, why, verdict.category, failures)
            self._error(context, error, run_dir, read.folder)
        passed, reason = check_llm(metrics, LlmLimits.of(self.conf))
        passed, reason = _judge_offer(self.log, round_no, step, metrics, passed=passed, reason=reason)
        result = StepResult(step, round_no, passed, reason, metrics, folder, failures=failures)
        assert read.folder is not None
        _write_json(read.folder, STEP_FILE, step_result_to_dict(result))
        step_records.push(context, result)
        self.log.info(
            "round %s: %s -> %s (%s)", round_no, step.describe(), "PASS" if passed else "FAIL", reason
        )
        if failures:
            self.log.info("round %s: failed requests: %s", round_no, describe_failures(failures))

    def _parse_components(self, context: Context, item: PlanItem, run_dir: StorePath) -> None:
        """A step of an endpoint of inference components: each model's AIPerf export (one injector
        per model) judged on that model's SLOs; the step passes when every model does. An export
        that could not measure its model makes the whole step an error step."""
        from sagemaker_sizing.adapters.load_command import ARRIVAL, RAMP_ARRIVAL
        from sagemaker_sizing.airflow.step_exports import read_step
        from sagemaker_sizing.core.components.models import component_models
        from sagemaker_sizing.core.conf.model import conf_from_dict
        from sagemaker_sizing.core.files import injector_base_name
        from sagemaker_sizing.core.llm.metrics import combined_metrics, step_metrics
        from sagemaker_sizing.core.verdicts.llm_failures import judge_llm_failures
        from sagemaker_sizing.core.verdicts.llm_requirements import check_llm
        from sagemaker_sizing.paths import AIPERF_BIN

        step, round_no = item.step, item.round
        models = component_models(conf_from_dict(self.conf))
        ramp_s = step.ramp_minutes * 60
        judged: list[dict[str, Any]] = []
        first_folder = None
        all_failures: list[Any] = []
        for j, index in enumerate(step.models_loaded):
            model = models[index]
            base = injector_base_name(item.folder, j, len(step.models_loaded))
            read = read_step(run_dir, base, str(AIPERF_BIN))
            folder = read.folder.name if read.folder is not None else None
            first_folder = first_folder or read.folder
            rate = step.rates[index]
            if read.export is None:
                assert read.no_export is not None
                why = f"{model.model_name}: {read.no_export.error}"
                error = StepResult(step, round_no, False, why, {}, folder, why, read.no_export.category)
                self._error(context, error, run_dir, read.folder)
            metrics = step_metrics(read.export.metrics)
            ramp_start = step.ramp_start_tps * rate / step.steady_state_tps if step.steady_state_tps else 0.0
            verdict = judge_llm_failures(
                read.export,
                rate=rate,
                duration_s=ramp_s + step.steady_state_minutes * 60,
                ramp_s=ramp_s,
                ramp_start_rate=ramp_start,
                arrival=RAMP_ARRIVAL if ramp_s > 0 else ARRIVAL,
            )
            all_failures += list(verdict.failures)
            if verdict.category is not None:
                why = f"{model.model_name}: {verdict.error}"
                error = StepResult(
                    step,
                    round_no,
                    False,
                    why,
                    metrics,
                    folder,
                    why,
                    verdict.category,
                    verdict.failures[:KEPT_MESSAGES],
                )
                self._error(context, error, run_dir, read.folder)
            passed, reason = _model_offer(step, rate, ramp_start, metrics, check_llm(metrics, model.limits))
            judged.append(
                {
                    "model_name": model.model_name,
                    "index": index,
                    "rate": rate,
                    "passed": passed,
                    "reason": reason,
                    "folder": folder,
                    "metrics": metrics,
                }
            )
        passed = all(one["passed"] for one in judged)
        reason = "; ".join(f"{one['model_name']}: {one['reason']}" for one in judged)
        # The models together stand for the step where one set is read (counts summed, each
        # percentile the worst model's); "models" holds each model's, indexed as the conf's models.
        per_model: list[dict[str, Any] | None] = [None] * len(models)
        for one in judged:
            per_model[one["index"]] = {k: v for k, v in one.items() if k != "index"}
        metrics = {**combined_metrics([one["metrics"] for one in judged]), "models": per_model}
        failures = tuple(sorted(all_failures, key=lambda f: -f.count))[:KEPT_MESSAGES]
        assert first_folder is not None
        result = StepResult(step, round_no, passed, reason, metrics, first_folder.name, failures=failures)
        _write_json(first_folder, STEP_FILE, step_result_to_dict(result))
        step_records.push(context, result)
        self.log.info(
            "round %s: %s -> %s (%s)", round_no, step.describe(), "PASS" if passed else "FAIL", reason
        )

    def _decided_by_deploy(self, item: PlanItem, decided: StepResult) -> None:
        """Deploy recorded this step: a quota refused it (nothing to parse: the walk decides what
        follows) or it failed (this task fails with it; the record is deploy's)."""
        step = item.step.describe()
        if step_records.is_refusal(decided):
            self.log.error("round %s: %s -> QUOTA (%s)", item.round, step, decided.error)
            return
        raise AirflowFailException(
            f"round {item.round}: {step}: {decided.error_category} error: {decided.error}"
        )

    def _error(
        self, context: Context, result: StepResult, run_dir: StorePath, folder: StorePath | None
    ) -> NoReturn:
        """Record an error step where the report finds it, then fail the task for good."""
        # No step folder (the jar wrote none): the record goes beside where it would have been.
        target = folder if folder is not None else run_dir
        name = STEP_FILE if folder is not None else f"{plan_item_from_dict(self.item).folder}.{STEP_FILE}"
        _write_json(target, name, step_result_to_dict(result))
        step_records.push(context, result)  # kept when the task fails: the report reads it
        self.log.error(
            "round %s: %s -> ERROR (%s): %s",
            result.round,
            result.step.describe(),
            result.error_category,
            result.error,
        )
        for failure in result.failures[:TOP_MESSAGES]:
            self.log.error("  %6d x %s: %s", failure.count, failure.kind, failure.message)
        raise AirflowFailException(
            f"round {result.round}: {result.step.describe()}: {result.error_category} error: {result.error}"
        )


def _judge_offer(
    log: Any, round_no: int, step: StepConfig, metrics: dict[str, Any], *, passed: bool, reason: str
) -> tuple[bool, str]:
    """An LLM step counts at the rate it offered (Poisson arrivals over a short step vary by about
    1/sqrt(requests)). A single-instance step of the walk's search counts at its offered rate where
    that differs (the walk credits it: ``credited_rate``); any other step is at a fixed rate (the
    peak), so meeting the SLOs with requests offered short of it is no pass there."""
    from sagemaker_sizing.core.verdicts.llm_failures import expected_requests
    from sagemaker_sizing.core.verdicts.llm_requirements import credited_rate, short_offer
    from sagemaker_sizing.core.walk.adaptive import PHASE_BISECT, PHASE_PROBE

    ramp_s = step.ramp_minutes * 60
    duration_s = ramp_s + step.steady_state_minutes * 60
    expected = expected_requests(step.steady_state_tps, duration_s, ramp_s, step.ramp_start_tps) / duration_s
    if step.phase in (PHASE_PROBE, PHASE_BISECT):
        counted = credited_rate(step.steady_state_tps, passed, metrics)
        if counted != step.steady_state_tps:
            reason += f"; counts at {counted:.3g} req/s, the rate offered"
            log.warning(
                "round %s: %s counts at %.3g req/s, the rate it offered", round_no, step.describe(), counted
            )
        return passed, reason
    short = short_offer(expected, metrics) if passed else None
    if short is None:
        return passed, reason
    log.warning("round %s: %s: SLOs met, but %s", round_no, step.describe(), short)
    return False, f"{short}; SLOs met there ({reason})"


def _model_offer(
    step: StepConfig, rate: float, ramp_start: float, metrics: dict[str, Any], verdict: tuple[bool, str]
) -> tuple[bool, str]:
    """One model of a step of inference components: in a fixed step (every model at its peak, or
    the ramp) SLOs met with requests offered short of the model's rate are no pass; a lane step
    counts at its offered rate instead (the walk credits it)."""
    from sagemaker_sizing.core.verdicts.llm_failures import expected_requests
    from sagemaker_sizing.core.verdicts.llm_requirements import short_offer
    from sagemaker_sizing.core.walk.adaptive import PHASE_BISECT, PHASE_PROBE

    passed, reason = verdict
    if step.phase in (PHASE_PROBE, PHASE_BISECT) or not passed:
        return passed, reason
    ramp_s = step.ramp_minutes * 60
    duration_s = ramp_s + step.steady_state_minutes * 60
    short = short_offer(expected_requests(rate, duration_s, ramp_s, ramp_start) / duration_s, metrics)
    return (True, reason) if short is None else (False, f"{short}; SLOs met there ({reason})")


def _write_json(folder: StorePath, name: str, summary: dict[str, Any]) -> None:
    """``folder/name``, in a local folder or on the object store (no folders to make there)."""
    if results_store.is_local(folder):
        folder.mkdir(parents=True, exist_ok=True)
    results_store.write_text(folder / name, json.dumps(summary, indent=2))
